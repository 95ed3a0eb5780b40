// Charts, drawn by uPlot (small, fast, canvas). Each chart comes with words
// for screen readers: a sparkline is an image with a label, and the trend
// chart has a table of its data beside it.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { el } from "./dom";
import { axisDay, TICK_INCREMENTS, tickLabels, timeSpan } from "./timeaxis";

/**
 * Series colours; `.swatch-N` in style.css has the same ones, so a legend
 * can name a line without inline styles (the CSP forbids them).
 */
export const PALETTE = [
  "#1b6ca8",
  "#b5361c",
  "#2e7d32",
  "#6a3d9a",
  "#8a5300",
  "#00838f",
  "#ad1457",
  "#4e5d6c",
] as const;

/** The colour of series `i`. */
export function colour(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

/** The charts of one view, destroyed together when it goes. */
export class Charts {
  private readonly plots: uPlot[] = [];

  /** Destroys every chart (uPlot listens on the window until then). */
  destroy(): void {
    for (const plot of this.plots.splice(0)) plot.destroy();
  }

  /**
   * A sparkline of fractions 0..1 (gaps where undefined), as an image
   * labelled `label`.
   */
  sparkline(values: readonly (number | undefined)[], label: string): HTMLElement {
    const box = el("span", { class: "sparkline", role: "img", "aria-label": label });
    const xs = values.map((_, i) => i);
    const ys = values.map((v) => (v === undefined ? null : v));
    this.plots.push(
      new uPlot(
        {
          width: 96,
          height: 28,
          cursor: { show: false },
          select: { show: false, left: 0, top: 0, width: 0, height: 0 },
          legend: { show: false },
          scales: { x: { time: false }, y: { range: [0, 1] } },
          axes: [{ show: false }, { show: false }],
          series: [
            {},
            {
              stroke: PALETTE[0],
              width: 1.5,
              fill: "rgba(27, 108, 168, 0.12)",
              points: { show: true, size: 3 },
            },
          ],
        },
        [xs, ys],
        box,
      ),
    );
    return box;
  }

  /**
   * A line chart of scores 0..100 over time, one line per series; points
   * are [seconds since the epoch, score]. Its accessible name is `label`
   * and the days the time axis shows.
   */
  trend(
    series: readonly { label: string; points: readonly [number, number][] }[],
    width: number,
    label: string,
  ): HTMLElement {
    const box = el("div", { class: "trend", role: "img", "aria-label": label });
    const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
    const columns = series.map((s) => {
      const at = new Map(s.points);
      return times.map((t) => at.get(t) ?? null);
    });
    this.plots.push(
      new uPlot(
        {
          width,
          height: 240,
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { range: (_, min, max) => timeSpan(min, max) }, y: { range: [0, 100] } },
          axes: [
            {
              incrs: [...TICK_INCREMENTS],
              // Room for a label with its year ("28 Dec 2026") between ticks.
              space: 72,
              values: (_, ticks, _axis, _space, increment) => tickLabels(ticks, increment),
            },
            { label: "Confidence (0–100)", size: 44 },
          ],
          hooks: {
            setScale: [
              (plot, key) => {
                const { min, max } = plot.scales.x ?? {};
                if (key !== "x" || min === undefined || max === undefined) return;
                box.setAttribute("aria-label", `${label} It shows the days from ${axisDay(min)} to ${axisDay(max)}.`);
              },
            ],
          },
          series: [
            {},
            ...series.map((s, i) => ({
              label: s.label,
              stroke: colour(i),
              width: 2,
              spanGaps: true,
              points: { show: true, size: 6 },
            })),
          ],
        },
        [times, ...columns],
        box,
      ),
    );
    return box;
  }
}
