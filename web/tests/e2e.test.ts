// The dashboard in a real browser against the real server: headless
// Chromium (Debian's, driven by playwright-core) signs in as a therapist,
// reads the caseload (most urgent first) and a client page (questionnaires,
// attainment, skills, the digest since the last session), writes a comment,
// assigns a questionnaire and records a session, manages invites, follows
// live updates, and checks that client text stays text, private notes stay
// private, every page passes axe-core and the caseload fits a tablet.
//
//   STEPWISE_BIN   the server binary (default ../target/debug/stepwise)
//   CHROMIUM       the browser (default /usr/bin/chromium)
//   E2E_OUTPUT     screenshots and the server log (default test-output/)

import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import axe from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";
import { CareLinkState } from "../src/gen/stepwise/v1/care_pb";
import { CheckInState } from "../src/gen/stepwise/v1/check_in_pb";
import {
  api,
  GAD7,
  PHQ9,
  PRIVATE_NOTE,
  PRIVATE_PRACTICE_NOTE,
  PRIVATE_THOUGHT,
  SHARED_THOUGHT,
  seed,
  signUpWithInvite,
  utcDate,
  type World,
  XSS_TITLE,
} from "./seed";
import { type Server, startServer } from "./server";

const BINARY = process.env.STEPWISE_BIN ?? path.resolve("../target/debug/stepwise");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OUTPUT = path.resolve(process.env.E2E_OUTPUT ?? "test-output");
const DAY_MS = 24 * 3600 * 1000;
/** How long the page may take to show what the server knows. */
const SETTLE_MS = 10_000;
/**
 * The server's heartbeat of idle streams: longer than the whole test, so
 * nothing the dashboard shows can wait for one.
 */
const HEARTBEAT_MS = 10 * 60_000;
/** A tablet upright and on its side, and a laptop. */
const VIEWPORTS = [
  { width: 768, height: 1024 },
  { width: 1024, height: 768 },
  { width: 1280, height: 860 },
] as const;
/** The words that say a table holds more than its box shows. */
const SCROLL_CUE = "Scroll sideways to see every column";

let server: Server;
let world: World;
let browser: Browser;
let page: Page;
/** Console errors (CSP violations among them), uncaught errors and dialogs. */
const trouble: string[] = [];

before(async () => {
  await mkdir(OUTPUT, { recursive: true });
  server = await startServer(BINARY, path.join(OUTPUT, "server.log"), { heartbeatMs: HEARTBEAT_MS });
  world = await seed(server.url, server.adminToken);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-GB" });
  page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") trouble.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => trouble.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => {
    trouble.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Runs axe-core on the page; fails on serious or critical violations. */
async function assertAccessible(name: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP allows.
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const results = await (window as unknown as { axe: typeof axe }).axe.run(document, {
      resultTypes: ["violations"],
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of violations) {
    console.log(`axe (${name}): ${v.impact} ${v.id}: ${v.help} at ${v.nodes.join(", ")}`);
  }
  assert.deepEqual(serious, [], `serious accessibility violations on ${name}`);
}

async function screenshot(name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage });
}

/** Which parts of the header's session bar (who, live status, sign-out) can be seen. */
async function visibleSessionBar(): Promise<string[]> {
  const parts = {
    "the session bar": page.locator("header .session"),
    "who is signed in": page.locator("header .who"),
    "the live status": page.locator("header .live-status"),
    "Sign out": page.getByRole("button", { name: "Sign out" }),
  };
  const visible: string[] = [];
  for (const [name, part] of Object.entries(parts)) {
    if (await part.isVisible()) visible.push(name);
  }
  return visible;
}

/** Whether a response is the one that opens the dashboard's live stream. */
function isLiveStream(response: { url(): string }): boolean {
  return response.url().endsWith("/stepwise.v1.CareService/WatchClients");
}

/**
 * How the caseload sits in the window: whether the page scrolls sideways,
 * whether its table is wider than the box it scrolls in, and which parts
 * are cut off (beyond the window, or beyond a box that clips them).
 */
async function caseloadLayout() {
  return await page.evaluate(() => {
    const table = document.querySelector("table.caseload-table");
    if (!table) throw new Error("no caseload table");
    /** The nearest ancestor that scrolls sideways. */
    let box = table.parentElement;
    while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    /** The left and right edges between which `node` can be seen. */
    const visibleSpan = (node: Element) => {
      let [left, right] = [0, innerWidth];
      for (let a = node.parentElement; a; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") {
          const inner = a.getBoundingClientRect().left + a.clientLeft;
          [left, right] = [Math.max(left, inner), Math.min(right, inner + a.clientWidth)];
        }
      }
      return { left, right };
    };
    /** Whether any line of `node`'s text lies (partly) beyond what can be seen. */
    const cutOff = (node: Element | null) => {
      if (!node) return true;
      const range = document.createRange();
      range.selectNodeContents(node);
      const { left, right } = visibleSpan(node);
      return [...range.getClientRects()].some((r) => r.width > 0 && (r.left < left - 0.5 || r.right > right + 0.5));
    };
    const labelledBy = table.getAttribute("aria-labelledby");
    const caption = labelledBy ? document.getElementById(labelledBy) : table.querySelector("caption");
    const firstCell = table.querySelector("tbody tr th a");
    return {
      pageScrollWidth: document.scrollingElement?.scrollWidth ?? 0,
      innerWidth,
      tableWiderThanBox: box !== null && box.scrollWidth > box.clientWidth,
      captionCutOff: cutOff(caption),
      lastColumnCutOff: cutOff(table.querySelector("thead th:last-child")),
      clientNameCutOff: cutOff(firstCell),
    };
  });
}

/** Scrolls the caseload's table box to its far right, as a swipe would. */
async function scrollCaseloadToTheEnd(): Promise<void> {
  await page.locator("table.caseload-table").hover();
  await page.mouse.wheel(2000, 0);
  await page.waitForFunction(
    () => {
      const box = document.querySelector("table.caseload-table")?.closest(".table-scroll");
      return !!box && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1;
    },
    null,
    { timeout: SETTLE_MS },
  );
  // Off the table again: no row is left highlighted as under the pointer.
  await page.mouse.move(0, 0);
}

/**
 * Waits until the page has drawn two more frames: what it marks after a
 * resize or a scroll (the cues of a wide table) is drawn by then.
 */
async function rendered(): Promise<void> {
  await page.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
  );
}

/** A fraction as the dashboard shows it; a missing one is a dash and, for screen readers, why. */
function percent(fraction: number | undefined, why = ""): string {
  return fraction === undefined ? `\u2014 ${why}`.trim() : `${Math.round(fraction * 100)}%`;
}

/** The caseload's row of a client. */
function row(name: string) {
  return page.locator("table.caseload-table tbody tr").filter({ has: page.getByRole("link", { name }) });
}

/** The text of the cells of a caseload row, by column header. */
async function cells(name: string): Promise<Record<string, string>> {
  const headers = await page.locator("table.caseload-table thead th").allInnerTexts();
  const values = await row(name).locator("th, td").allInnerTexts();
  const text = (s: string | undefined) => (s ?? "").replace(/\s+/g, " ").trim();
  return Object.fromEntries(headers.map((h, i) => [text(h), text(values[i])]));
}

/** The urgency badge under a client's name. */
async function urgency(name: string): Promise<string> {
  return (await row(name).locator(".urgency").innerText()).replace(/\s+/g, " ").trim();
}

/** Midnight UTC of a date as the dashboard writes it in English ("3 Sept 2026"). */
function dayOf(date: string): number {
  const [day, month, year] = date.split(" ");
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return Date.UTC(Number(year), months.indexOf((month ?? "").slice(0, 3)), Number(day));
}

/**
 * Asserts that a caseload row's "Last check-in" is the local day `date`
 * ("YYYY-MM-DD") that the client checked in for, as a date with its year.
 */
async function assertCheckedInFor(name: string, date: string, why: string): Promise<void> {
  const text = (await cells(name))["Last check-in"] ?? "";
  assert.doesNotMatch(text, /ago|now/, `${why}: not when it was logged`);
  const [year, , day] = date.split("-").map(Number);
  assert.match(text, new RegExp(`\\b${day}\\b.*\\b${year}\\b`), `${why}: ${text}`);
  assert.equal(await row(name).locator("td time.last-check-in").getAttribute("datetime"), date, why);
}

/** What the therapist's API says about a client today. */
async function summary(clientId: string) {
  const therapist = api(server.url, world.therapistToken);
  const { clientSummaries } = await therapist.care.listClientSummaries({});
  return clientSummaries.find((s) => s.clientId === clientId);
}

test("a therapist follows their clients in the dashboard", async (t) => {
  await t.test("the sign-in page refuses an unknown token with a clear message", async () => {
    await page.goto(server.url);
    await page.getByRole("heading", { name: "Sign in to the Stepwise dashboard" }).waitFor();
    assert.deepEqual(await visibleSessionBar(), [], "no one is signed in: no session bar on a fresh tab");
    await assertAccessible("sign-in");
    await page.getByLabel("Therapist token").fill("sw_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("The server does not know this token").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, "a refused token is not kept");
    assert.deepEqual(await visibleSessionBar(), [], "no session bar after a refused token");
    await page.getByLabel("Therapist token").fill(world.ben.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("This token belongs to a client account").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, "a client's token is not kept");
    assert.deepEqual(await visibleSessionBar(), [], "no session bar after a client's token");
    await screenshot("sign-in");
  });

  await t.test("signing in shows every client, most urgent first, a risk of self-harm marked", async () => {
    const liveStream = page.waitForResponse(isLiveStream);
    await page.getByLabel("Therapist token").fill(world.therapistToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Caseload" }).waitFor();
    assert.ok(!page.url().includes(world.therapistToken), "the token is never in the URL");
    assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in localStorage");
    await row(world.ben.name).waitFor();
    await row(world.ada.name).waitFor();
    await row(world.cleo.name).waitFor();

    const names = await page.locator("table.caseload-table tbody th a").allInnerTexts();
    assert.deepEqual(
      names,
      [world.ben.name, world.cleo.name, world.ada.name],
      "Ben (a risk of self-harm) before Cleo (reliably worse) before Ada (an overdue questionnaire)",
    );

    for (const client of [world.ada, world.ben, world.cleo]) {
      const expected = await summary(client.id);
      assert.ok(expected, `${client.name} is linked`);
      const shown = await cells(client.name);
      const scheduled = (fraction: number | undefined) => percent(fraction, "nothing scheduled");
      assert.equal(shown["Adherence, 7 days"], scheduled(expected.adherence7d), `${client.name}: 7 days`);
      assert.equal(shown["Adherence, 28 days"], scheduled(expected.adherence28d), `${client.name}: 28 days`);
      assert.equal(shown["Habit strength"], percent(expected.habitStrength, "no steps"), `${client.name}: strength`);
      if (expected.efficacyLatest !== undefined) {
        assert.ok(shown["Self-efficacy"]?.startsWith(String(expected.efficacyLatest)), `${client.name}: efficacy`);
      }
      assert.equal(
        shown["Practice, 7 days"],
        `${expected.skillPractices7d} skill practice${expected.skillPractices7d === 1 ? "" : "s"} ${expected.thoughtRecords7d} thought record${expected.thoughtRecords7d === 1 ? "" : "s"}`,
        `${client.name}: practice`,
      );
    }
    const ben = await cells(world.ben.name);
    assert.equal(await urgency(world.ben.name), "Urgency: Critical");
    assert.equal(ben["Adherence, 7 days"], "0%");
    assert.equal(ben["Last check-in"], "Never");
    for (const flag of ["Self-harm risk", "Efficacy drop", "Inactive", "Low adherence"]) {
      assert.ok(ben["Needs attention"]?.includes(flag), `Ben is flagged ${flag}`);
    }
    assert.ok(ben["Needs attention"]?.startsWith("Self-harm risk"), "the most severe flag comes first");
    assert.equal(await row(world.ben.name).getAttribute("class"), "row-critical", "Ben's row stands out");
    assert.match(ben["Self-efficacy"] ?? "", /^50 \(\u221230/);
    assert.match(ben["Questionnaires"] ?? "", /^PHQ-9 9 Mild$/);
    const crisis = page.locator(".caseload .notice-crisis");
    assert.match(await crisis.innerText(), /Ben Okafor reported thoughts of self-harm/);
    assert.match(await crisis.innerText(), /Stepwise is not a crisis service/);
    // The deployment's list (the one compiled in), for the browser's en-GB.
    const helpline = crisis.locator(".crisis-resources li").first();
    await helpline.waitFor();
    assert.match(await helpline.innerText(), /^Samaritans: call 116 123/);

    const cleo = await cells(world.cleo.name);
    assert.ok(cleo["Needs attention"]?.includes("Inactive"), "Cleo's last walk was four days ago");
    await assertCheckedInFor(world.cleo.name, utcDate(-4), "the day Cleo walked, not when she logged it (just now)");
    assert.equal(await urgency(world.cleo.name), "Urgency: High");
    assert.ok(cleo["Needs attention"]?.startsWith("Symptoms worse"), "reliable deterioration is named");
    assert.equal(cleo["Questionnaires"], "PHQ-9 12 Moderate");

    const ada = await cells(world.ada.name);
    assert.equal(await urgency(world.ada.name), "Urgency: Low");
    assert.match(ada["Needs attention"] ?? "", /^Questionnaire overdue\b/);
    assert.equal(ada["Questionnaires"], "GAD-7 no result yet (overdue) PHQ-9 10 Moderate");
    assert.equal(ada["Practice, 7 days"], "2 skill practices 1 thought record", "the private record is not counted");
    assert.equal(ada["Adherence, 7 days"], "100%");
    assert.match(ada["Self-efficacy"] ?? "", /^70 \(\+30/);
    await assertCheckedInFor(world.ada.name, world.today, "Ada checked in for today");
    assert.equal(await row(world.ada.name).locator(".sparkline canvas").count(), 1, "a sparkline");

    // The stream's answer came (its headers): changes flow from now on, and
    // the page says so at once, not at the first heartbeat (minutes away).
    assert.equal((await liveStream).status(), 200, "the live stream opened");
    await page.locator("header .live-status").getByText("Live updates on").waitFor({ timeout: SETTLE_MS });
    await assertAccessible("caseload");
    await screenshot("caseload");
  });

  await t.test("on a tablet the caseload fits the screen: a wide table scrolls in its own box and says so", async () => {
    try {
      for (const viewport of VIEWPORTS) {
        const at = `at ${viewport.width} px`;
        await page.setViewportSize(viewport);
        await row(world.ada.name).waitFor();
        await page.locator(".caseload .table-scroll").evaluate((box) => box.scrollTo({ left: 0, behavior: "instant" }));
        await rendered();
        await screenshot(`caseload-${viewport.width}`);
        await assertAccessible(`caseload ${at}`);
        const layout = await caseloadLayout();
        assert.ok(
          layout.pageScrollWidth <= layout.innerWidth,
          `${at}, the page does not scroll sideways (${layout.pageScrollWidth} px wide in a ${layout.innerWidth} px window)`,
        );
        assert.equal(layout.captionCutOff, false, `${at}, the table's caption is shown whole`);
        const cue = page.getByText(SCROLL_CUE);
        if (!layout.tableWiderThanBox) {
          assert.equal(layout.lastColumnCutOff, false, `${at}, the last column is shown`);
          assert.equal(await cue.isVisible(), false, `${at}, nothing to scroll, so no cue`);
          continue;
        }
        assert.ok(await cue.isVisible(), `${at}, the table is wider than its box, and the page says so`);
        await scrollCaseloadToTheEnd();
        await rendered();
        await screenshot(`caseload-${viewport.width}-scrolled`);
        const scrolled = await caseloadLayout();
        assert.equal(scrolled.lastColumnCutOff, false, `${at}, scrolling the table shows its last column`);
        assert.equal(scrolled.clientNameCutOff, false, `${at}, the client's name stays in view while the table scrolls`);
        assert.ok(scrolled.pageScrollWidth <= scrolled.innerWidth, `${at}, only the table scrolled, not the page`);
        if (viewport.width === 768) {
          // Cleo rates her confidence in a new goal: the caseload updates live,
          // and the table stays where the therapist scrolled it.
          const cleo = api(server.url, world.cleo.token);
          const goal = await cleo.goals.createGoal({ goal: { title: "Sleep before midnight" } });
          await cleo.progress.recordEfficacyRating({
            rating: { target: { case: "goalId", value: goal.id }, score: 60, rateTime: timestampFromMs(Date.now()) },
          });
          await row(world.cleo.name).locator("td.num", { hasText: /^60$/ }).waitFor({ timeout: SETTLE_MS });
          assert.equal((await caseloadLayout()).lastColumnCutOff, false, `${at}, a live update keeps the table scrolled`);
        }
      }
    } finally {
      // The tests after this one see the laptop again, even when it fails.
      await page.setViewportSize(VIEWPORTS[2]);
    }
  });

  await t.test("a client at risk of self-harm has it said at the top of their page and on the result", async () => {
    await page.getByRole("link", { name: world.ben.name }).click();
    await page.getByRole("heading", { level: 1, name: world.ben.name }).waitFor();
    const top = page.locator(".client-risk .notice-crisis");
    await top.waitFor();
    assert.match(await top.innerText(), /^Ben Okafor reported thoughts of self-harm on a PHQ-9 that no therapist has acknowledged yet\./);
    assert.match(await top.innerText(), /Stepwise is not a crisis service/);
    const result = page.locator("table.results[data-instrument='PHQ-9'] tbody tr").first();
    await result.waitFor();
    assert.deepEqual(
      (await result.locator("td").allInnerTexts()).slice(1, 5).map((c) => c.replace(/\s+/g, " ").trim()),
      ["9 of 27", "Mild", "first result", "Self-harm risk : item 9 (thoughts of being better off dead or of self-harm) was answered above 0"],
    );
    await assertAccessible("client at risk");
    await page.getByRole("link", { name: "Back to the caseload" }).click();
    await row(world.ada.name).waitFor();
  });

  await t.test("a goal with a single self-efficacy rating is drawn over the days around it, with the year", async () => {
    const cleo = api(server.url, world.cleo.token);
    const goal = await cleo.goals.createGoal({ goal: { title: "Call my sister" } });
    const rated = Date.now();
    await cleo.progress.recordEfficacyRating({
      rating: { target: { case: "goalId", value: goal.id }, score: 45, rateTime: timestampFromMs(rated) },
    });
    await page.getByRole("link", { name: world.cleo.name }).click();
    await page.getByRole("heading", { level: 1, name: world.cleo.name }).waitFor();
    const chart = page.locator("figure.chart .trend");
    await chart.locator("canvas").first().waitFor();
    await rendered();
    await page.locator("figure.chart").screenshot({ path: path.join(OUTPUT, "chart-one-rating.png") });

    // The canvas cannot be read; its accessible name says which days it shows.
    const label = (await chart.getAttribute("aria-label")) ?? "";
    const span = /from (\d{1,2} \w+ \d{4}) to (\d{1,2} \w+ \d{4})/.exec(label);
    assert.ok(span, `the chart names the days it shows, with their year: ${label}`);
    const [from, to] = [dayOf(span[1] ?? ""), dayOf(span[2] ?? "")];
    const day = Date.parse(`${utcDate()}T00:00:00Z`);
    assert.ok(from <= day && day <= to, `the rating's day is in the chart: ${label}`);
    assert.ok(to - from <= 31 * DAY_MS, `a few weeks around the rating, not years: ${label}`);
    await page.getByRole("link", { name: "Back to the caseload" }).click();
    await row(world.ada.name).waitFor();
  });

  await t.test("the client page shows goals, calendar, trend and progress, and client text as text", async () => {
    await page.getByRole("link", { name: world.ada.name }).click();
    await page.getByRole("heading", { level: 1, name: world.ada.name }).waitFor();
    await page.getByRole("heading", { name: "Goals and action steps" }).waitFor();

    const xss = page.getByRole("heading", { level: 3, name: XSS_TITLE });
    await xss.waitFor();
    assert.equal(await xss.textContent(), XSS_TITLE, "the title is shown exactly as typed");
    assert.equal(await page.locator("img, script:not([src])").count(), 0, "no element was made from client text");
    assert.ok(await page.getByText("<script>alert(2)</script>").isVisible(), "the why is text too");

    const goals = page.locator("section.section-goals");
    await goals.getByText("Screens off at 22:00").waitFor();
    await goals.getByText("Walk 20 minutes").waitFor();
    const therapist = api(server.url, world.therapistToken);
    const progress = await therapist.progress.getProgress({ target: { case: "clientId", value: world.ada.id } });
    const figure = (label: string) =>
      page.locator(".figure").filter({ has: page.locator("dt", { hasText: label }) }).locator(".figure-value");
    assert.equal(await figure("Adherence, 7 days").innerText(), percent(progress.stats?.adherence7d));
    assert.equal(await figure("Habit strength").innerText(), percent(progress.stats?.habitStrength));
    assert.equal(await figure("Self-efficacy").innerText(), String(progress.efficacy?.latest));

    // Today: one step done, one partly done.
    const today = page.locator("table.calendar td.day").filter({ hasText: "1 done, 1 partly done" });
    assert.equal(await today.count(), 1, "today is in the calendar");
    assert.match((await today.getAttribute("class")) ?? "", /day-partial/);

    assert.equal(await page.locator("figure.chart canvas").count() > 0, true, "the trend chart is drawn");
    await page.getByText("All ratings as a table").click();
    assert.equal(await page.locator("table.ratings tbody tr").count(), 4, "every rating is listed");
    assert.ok(await page.getByRole("cell", { name: "<b>not bold</b>" }).isVisible());

    const privateRow = page.locator("table.check-ins tbody tr").filter({ hasText: "Walk 20 minutes" });
    assert.equal((await privateRow.locator("td.note").innerText()).trim(), "Private");
    assert.equal(await page.getByText(PRIVATE_NOTE).count(), 0, "a private note never shows");
    await page.getByRole("cell", { name: "Read a book instead" }).waitFor();

    await assertAccessible("client page");
    await screenshot("client", true);

    // A check-in the client logs now shows up here too, without a reload.
    await api(server.url, world.ada.token).progress.logCheckIn({
      checkIn: { actionStepId: world.ada.walkStepId, localDate: world.today, state: CheckInState.DONE },
    });
    // Today: both steps done now.
    await page.locator("table.calendar td.day-done").filter({ hasText: "2 done" }).waitFor({ timeout: SETTLE_MS });
  });

  await t.test("the client page shows questionnaires with their bands, attainment, skills and the digest", async () => {
    const phq9 = page.locator("table.results[data-instrument='PHQ-9'] tbody tr");
    await phq9.first().waitFor();
    assert.equal(await phq9.count(), 2, "both PHQ-9 results");
    const latest = (await phq9.first().locator("td").allInnerTexts()).map((c) => c.trim());
    assert.equal(latest[1], "10 of 27");
    assert.equal(latest[2], "Moderate");
    assert.equal(latest[3], "\u22128 since the first (18): reliably better");
    const first = (await phq9.nth(1).locator("td").allInnerTexts()).map((c) => c.trim());
    assert.deepEqual(first.slice(1, 4), ["18 of 27", "Moderately severe", "first result"]);
    assert.equal(await page.locator("section.section-questionnaires .notice-crisis").count(), 0, "no self-harm note for Ada");

    const gad7 = page.locator("table.assignments tbody tr").filter({ hasText: "GAD-7" });
    assert.match(await gad7.innerText(), /every 14 days/);
    assert.match(await gad7.innerText(), /Overdue: due/);

    const figure = (label: string) =>
      page.locator(".figure").filter({ has: page.locator("dt", { hasText: label }) }).locator(".figure-value");
    assert.equal(await figure("Goal attainment (T-score)").innerText(), "50.0");
    const scale = page.locator(".attainment").filter({ hasText: "Sleep better" });
    assert.match(await scale.locator(".level-current").innerText(), /^0\s+Asleep by 23:30 on most nights\s+now$/);
    assert.match(await scale.locator(".meta").first().innerText(), /^Now at 0, rated .* by Ada Lovelace · started at \u22122/);

    const skills = page.locator("section.section-skills");
    assert.equal(await skills.locator(".figure", { hasText: "Practices, 7 days" }).locator(".figure-value").innerText(), "2");
    assert.equal(
      await skills.locator(".figure", { hasText: "Mean distress drop" }).locator(".figure-value").innerText(),
      "20.0 points",
    );
    await skills.getByText(/Practices of the last 28 days/).click();
    const practices = skills.locator("table.practices tbody tr");
    assert.equal(await practices.count(), 2);
    assert.deepEqual(
      (await practices.locator("td.note").allInnerTexts()).map((n) => n.replace(/\s+/g, " ").trim()).sort(),
      ["Private", "\u2014 no note"],
      "the private practice note shows as Private",
    );
    assert.equal(await page.getByText(PRIVATE_PRACTICE_NOTE).count(), 0, "a private practice note never shows");

    const thoughts = page.locator("section.section-thoughts");
    assert.equal(await thoughts.locator("li.thought").count(), 1, "only the shared thought record");
    assert.match(await thoughts.locator("li.thought").innerText(), new RegExp(SHARED_THOUGHT));
    assert.match(await thoughts.locator("li.thought").innerText(), /Anxious 80 \u2192 40 \(\u221240\)/);
    assert.equal(
      await thoughts.locator(".figure", { hasText: "Most frequent thinking traps" }).locator(".figure-value").innerText(),
      "jumping to conclusions (1)",
    );
    assert.equal(await page.getByText(PRIVATE_THOUGHT).count(), 0, "a private thought record never shows");

    const digest = page.locator("section.section-digest");
    assert.match(await digest.locator(".meta").first().innerText(), /linked with you: no session recorded yet/);
    assert.match(await digest.locator(".digest").innerText(), /Questionnaires\s+PHQ-9 on .*: 18 Moderately severe/);
    assert.match(await digest.locator(".digest").innerText(), /Skill practice\s+2 practices, distress down 20\.0 points/);
    await assertAccessible("client page, all sections");
    await screenshot("client-sections", true);
  });

  await t.test("a comment written on a goal appears in the thread and reaches the client", async () => {
    const goal = page.locator("article.goal").filter({ has: page.getByRole("heading", { name: "Sleep better" }) });
    await goal.locator("summary", { hasText: "Comments" }).click();
    await goal.getByText("No comments yet.").waitFor();
    await goal.getByLabel("Your comment on this goal").fill("Great progress. <b>Keep</b> the 23:30 target this week.");
    await goal.getByRole("button", { name: "Add comment" }).click();
    await goal.getByText("Comment saved").waitFor();
    const comment = goal.locator("li.comment");
    await comment.waitFor();
    assert.match(await comment.locator(".comment-meta").innerText(), /^You · /);
    assert.equal(await comment.locator(".comment-text").innerText(), "Great progress. <b>Keep</b> the 23:30 target this week.");
    assert.equal(await goal.getByLabel("Your comment on this goal").inputValue(), "", "the form is cleared");
    const seen = await api(server.url, world.ada.token).comments.listComments({
      target: { case: "goalId", value: world.ada.sleepGoalId },
    });
    assert.deepEqual(
      seen.comments.map((c) => c.text),
      ["Great progress. <b>Keep</b> the 23:30 target this week."],
      "Ada sees the comment",
    );
    // The comment is a change of Ada's: the page reloads live, and the open
    // thread with it.
    await goal.locator("summary", { hasText: "Comments (1)" }).waitFor({ timeout: SETTLE_MS });
    await assertAccessible("comment thread");
  });

  await t.test("an empty comment is refused in words, and nothing is written", async () => {
    const row = page.locator("table.check-ins tbody tr").filter({ hasText: "Screens off at 22:00" }).first();
    await row.locator("summary", { hasText: "Comments" }).click();
    await row.getByRole("button", { name: "Add comment" }).click();
    await row.getByText("Write something first.").waitFor();
  });

  await t.test("a questionnaire can be assigned every N days from the client page", async () => {
    const form = page.locator("form", { has: page.getByRole("heading", { name: "Assign a questionnaire" }) });
    await form.getByLabel("Questionnaire").selectOption(PHQ9);
    await form.getByLabel("Every how many days").fill("7");
    await form.getByRole("button", { name: "Assign" }).click();
    await form.getByText("Assigned: Ada Lovelace's app asks for the PHQ-9 every 7 days, from today.").waitFor();
    const phq9 = page.locator("table.assignments tbody tr").filter({ hasText: "PHQ-9" });
    await phq9.waitFor({ timeout: SETTLE_MS });
    assert.match(await phq9.innerText(), /every 7 days/);
    const { assignments } = await api(server.url, world.therapistToken).assessments.listAssignments({ clientId: world.ada.id });
    assert.deepEqual(assignments.map((a) => a.instrumentId).sort(), [GAD7, PHQ9].sort());
  });

  await t.test("recording a session starts the next digest there", async () => {
    const form = page.locator("form", { has: page.getByRole("heading", { name: "Record a session" }) });
    await form.getByLabel("Your note (only you ever see it)").fill("Talked about evenings");
    await form.getByRole("button", { name: "Record the session" }).click();
    await form.getByText(/recorded: the next digest starts there/).waitFor();
    await page
      .locator("section.section-digest .meta", { hasText: "Since your session on" })
      .waitFor({ timeout: SETTLE_MS });
    const { sessions } = await api(server.url, world.therapistToken).care.listSessions({ clientId: world.ada.id });
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]?.note, "Talked about evenings");
  });

  await t.test("a check-in logged in the app updates the caseload live, without a reload", async () => {
    await page.getByRole("link", { name: "Back to the caseload" }).click();
    await row(world.ben.name).waitFor();
    await page.evaluate(() => {
      (window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true;
    });
    await api(server.url, world.ben.token).progress.logCheckIn({
      checkIn: { actionStepId: world.ben.callStepId, localDate: world.today, state: CheckInState.DONE },
    });
    const expected = await summary(world.ben.id);
    assert.ok(expected?.adherence7d !== undefined && expected.adherence7d > 0);
    await row(world.ben.name)
      .locator("td", { hasText: percent(expected.adherence7d) })
      .first()
      .waitFor({ timeout: SETTLE_MS });
    const ben = await cells(world.ben.name);
    assert.equal(ben["Adherence, 7 days"], percent(expected.adherence7d));
    assert.ok(!ben["Needs attention"]?.includes("Inactive"), "Ben is no longer inactive");
    await assertCheckedInFor(world.ben.name, world.today, "Ben checked in for today");
    assert.ok(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage));
  });

  await t.test("a revoked link takes the client off the caseload at once", async () => {
    const ada = api(server.url, world.ada.token);
    const { careLinks } = await ada.care.listCareLinks({});
    const link = careLinks.find((l) => l.state === CareLinkState.ACTIVE);
    assert.ok(link, "Ada has an active link");
    await ada.care.revokeCareLink({ id: link.id });
    await row(world.ada.name).waitFor({ state: "detached", timeout: SETTLE_MS });
    assert.deepEqual(await page.locator("table.caseload-table tbody th a").allInnerTexts(), [world.ben.name, world.cleo.name]);
    assert.ok(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage));

    await page.evaluate((id) => {
      location.hash = `#/client/${id}`;
    }, world.ada.id);
    await page.getByText("not available to you").waitFor();
    await assertAccessible("revoked client");
  });

  await t.test("an invite code can be created and handed over", async () => {
    await page.getByRole("link", { name: "Invite a client" }).click();
    await page.getByText("No invite is waiting to be used.").waitFor();
    await page.getByRole("button", { name: "Create an invite code" }).click();
    const code = page.locator(".invite-code");
    await code.waitFor();
    assert.match(await code.innerText(), /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    await page.locator("table.invites-table tbody tr").filter({ hasText: await code.innerText() }).waitFor();
    await assertAccessible("invites");
    await screenshot("invites");
  });

  await t.test("pending invites are listed with their expiry, and one can be cancelled", async () => {
    const therapist = api(server.url, world.therapistToken);
    const second = await therapist.care.createInvite({});
    await page.reload();
    const rows = page.locator("table.invites-table tbody tr");
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2, "both unused codes are listed");
    const secondRow = rows.filter({ hasText: second.code });
    assert.match(await secondRow.innerText(), /\d{4}/, "with when they were made and expire");
    await secondRow.getByRole("button", { name: `Cancel invite ${second.code}` }).click();
    await page.getByText(`Invite ${second.code} cancelled: the code no longer works.`).waitFor();
    await secondRow.waitFor({ state: "detached", timeout: SETTLE_MS });
    assert.equal(await rows.count(), 1);
    const { invites } = await therapist.care.listInvites({});
    assert.deepEqual(
      invites.map((i) => i.code).includes(second.code),
      false,
      "the server no longer lists the cancelled code",
    );
    await assertAccessible("pending invites");
  });

  await t.test("cancelling an invite a client used meanwhile says so in words", async () => {
    const invite = await api(server.url, world.therapistToken).care.createInvite({});
    await page.reload();
    const inviteRow = page.locator("table.invites-table tbody tr").filter({ hasText: invite.code });
    await inviteRow.waitFor();
    await signUpWithInvite(server.url, invite.code, "Dana Moss");
    await inviteRow.getByRole("button", { name: `Cancel invite ${invite.code}` }).click();
    await page
      .getByText("This invite was already used: the client is linked to you, so it cannot be cancelled.")
      .waitFor();
    await inviteRow.waitFor({ state: "detached", timeout: SETTLE_MS });
  });

  await t.test("a late, backdated self-harm answer shows on the dashboard until a therapist acknowledges it", async () => {
    await page.getByRole("link", { name: "Caseload", exact: true }).click();
    await row(world.cleo.name).waitFor();
    assert.ok(!(await cells(world.cleo.name))["Needs attention"]?.includes("Self-harm risk"), "Cleo's PHQ-9s were calm");
    // Cleo enters, late, a PHQ-9 for three weeks ago with item 9 answered
    // "several days": her latest result by date is still today's calm one.
    await api(server.url, world.cleo.token).assessments.submitAssessment({
      result: { instrumentId: PHQ9, localDate: utcDate(-21), answers: [0, 0, 0, 0, 0, 0, 0, 0, 1] },
    });
    await row(world.cleo.name).locator("li", { hasText: "Self-harm risk" }).waitFor({ timeout: SETTLE_MS });
    assert.equal(await urgency(world.cleo.name), "Urgency: Critical");
    assert.ok((await cells(world.cleo.name))["Needs attention"]?.includes("No safety plan"));

    await page.getByRole("link", { name: world.cleo.name }).click();
    await page.getByRole("heading", { level: 1, name: world.cleo.name }).waitFor();
    const top = page.locator(".client-risk .notice-crisis");
    await top.waitFor();
    assert.match(
      await top.innerText(),
      /^Cleo Tanaka reported thoughts of self-harm on a PHQ-9 that no therapist has acknowledged yet\./,
    );
    await page.getByRole("link", { name: "Read the client's safety plan" }).click();
    await page.getByText("Cleo Tanaka has no safety plan yet. Write one with them below.").waitFor();
    await assertAccessible("client with an open risk alert");

    // The therapist writes the plan with Cleo, in the session.
    const planSection = page.locator("section.section-safety-plan");
    await planSection.getByText("Edit the safety plan").click();
    await planSection.getByLabel(/^1\. Warning signs/).fill("Lying awake past 2 am\nSkipping meals");
    await planSection.getByLabel(/^4\. People to ask for help/).fill("My sister Mia, 555-0101");
    await planSection.getByLabel(/^Reasons for living/).fill("My cat, Miso");
    await planSection.getByRole("button", { name: "Save a new version" }).click();
    await planSection.getByText("Saved as version 1 of Cleo Tanaka's safety plan.").waitFor({ timeout: SETTLE_MS });
    await planSection.getByText("My sister Mia, 555-0101").waitFor({ timeout: SETTLE_MS });
    await planSection.locator(".meta", { hasText: "Version 1" }).waitFor();
    const saved = await api(server.url, world.cleo.token).safetyPlans.getSafetyPlan({});
    assert.deepEqual(saved.warningSigns, ["Lying awake past 2 am", "Skipping meals"]);
    assert.deepEqual(
      saved.peopleToAsk.map((p) => [p.name, p.phone]),
      [["My sister Mia", "555-0101"]],
    );
    await assertAccessible("client with a safety plan");

    const form = page.locator("form", { has: page.getByRole("heading", { name: "Acknowledge the alert" }) });
    await form.getByLabel("What you did").selectOption({ label: "Contacted the client" });
    await form.getByLabel(/^Note/).fill("Called Cleo: safe tonight, seen tomorrow.");
    await form.getByRole("button", { name: "Acknowledge" }).click();
    await page.getByText(/^Acknowledged for every therapist of Cleo Tanaka/).waitFor();
    await top.waitFor({ state: "detached", timeout: SETTLE_MS });
    await page.getByRole("link", { name: "Back to the caseload" }).click();
    await row(world.cleo.name).waitFor();
    const after = (await cells(world.cleo.name))["Needs attention"];
    assert.ok(!after?.includes("Self-harm risk"), "acknowledged: the flag is gone");
    assert.ok(!after?.includes("No safety plan"), "and she has a plan");
  });

  await t.test("nothing broke the page: no errors, no CSP violations, no dialogs", () => {
    assert.deepEqual(trouble, []);
  });

  await t.test("the browser itself refuses to turn strings into markup (CSP, Trusted Types)", async () => {
    const outcome = await page.evaluate(() => {
      try {
        document.createElement("div").innerHTML = "<img src=x>";
        return "markup was parsed";
      } catch (error) {
        return (error as Error).name;
      }
    });
    assert.equal(outcome, "TypeError", "innerHTML with a string is refused");
  });

  await t.test("when the server goes away, the dashboard says so", async () => {
    await page.getByRole("link", { name: "Caseload" }).click();
    await server.stop();
    await page.locator(".banner").getByText("Cannot reach the Stepwise server").waitFor({ timeout: SETTLE_MS });
    await page.getByText("Live updates paused").waitFor();
    await screenshot("offline");
  });
});
