// How questionnaire figures read, wherever the dashboard shows them (the
// caseload, the client page, the digest): severity bands, change against
// the first result, flags, and the note that Stepwise is not a crisis
// service.

import { crisis } from "../api";
import { type Child, el, replace, srOnly } from "../dom";
import { signed } from "../format";
import type { CrisisResource } from "../gen/stepwise/v1/crisis_pb";
import {
  AssessmentFlag,
  type Instrument,
  ReliableChange,
  type ResultChange,
  type SeverityBand,
} from "../gen/stepwise/v1/assessment_pb";

/** The instrument with `id`, if the therapist may see it. */
export function instrumentOf(instruments: readonly Instrument[], id: string): Instrument | undefined {
  return instruments.find((i) => i.id === id);
}

/** The highest total of an instrument (the sum of its items' highest answers). */
export function maxTotal(instrument: Instrument | undefined): number | undefined {
  return instrument?.items.reduce((sum, item) => sum + item.maxValue, 0);
}

/**
 * A severity band as a badge with words. The tone follows the band's rank
 * (0 the least severe): the lowest bands of PHQ-9 and GAD-7 are neutral,
 * "moderate" a warning, anything above it danger.
 */
export function bandBadge(band: SeverityBand | undefined): Child {
  if (!band) return null;
  const tone = band.rank <= 0 ? "neutral" : band.rank === 1 ? "caution" : band.rank === 2 ? "warning" : "danger";
  return el("span", { class: `badge badge-${tone}` }, band.label);
}

/** Change against the first result, in words: "−6 since the first (18): reliably better, a response". */
export function changeText(change: ResultChange | undefined): string {
  if (!change) return "first result";
  const parts = [`${signed(change.difference)} since the first (${change.firstTotal})`];
  const judged = [
    change.reliableChange === ReliableChange.IMPROVEMENT
      ? "reliably better"
      : change.reliableChange === ReliableChange.DETERIORATION
        ? "reliably worse"
        : change.reliableChange === ReliableChange.NONE
          ? "no reliable change"
          : "",
    change.response ? "a response (half or less of the first)" : "",
    change.remission ? "remission" : "",
  ].filter(Boolean);
  return judged.length ? `${parts[0]}: ${judged.join(", ")}` : (parts[0] as string);
}

const ASSESSMENT_FLAGS: Record<AssessmentFlag, { label: string; explain: string } | undefined> = {
  [AssessmentFlag.UNSPECIFIED]: undefined,
  [AssessmentFlag.SELF_HARM_RISK]: {
    label: "Self-harm risk",
    explain: "item 9 (thoughts of being better off dead or of self-harm) was answered above 0",
  },
  [AssessmentFlag.RELIABLE_DETERIORATION]: {
    label: "Reliably worse",
    explain: "the total is reliably worse than the client's first result",
  },
};

/** The flags of a result as badges (most severe first, as the server sends them). */
export function assessmentFlagBadges(flags: readonly AssessmentFlag[]): Child {
  const known = flags.flatMap((flag) => {
    const info = ASSESSMENT_FLAGS[flag];
    return info ? [{ flag, ...info }] : [];
  });
  if (known.length === 0) return null;
  return el(
    "ul",
    { class: "badges" },
    known.map(({ flag, label, explain }) =>
      el(
        "li",
        { class: `badge badge-danger${flag === AssessmentFlag.SELF_HARM_RISK ? " badge-critical" : ""}`, title: explain },
        label,
        srOnly(`: ${explain}`),
      ),
    ),
  );
}

/** Whether any of `flags` is the self-harm flag. */
export function hasSelfHarmRisk(flags: readonly AssessmentFlag[]): boolean {
  return flags.includes(AssessmentFlag.SELF_HARM_RISK);
}

/**
 * What a therapist must know with a self-harm flag: Stepwise tells nobody
 * else, and nobody may be watching.
 */
export function crisisNote(lead: Child): HTMLElement {
  return el(
    "div",
    { class: "notice notice-crisis", role: "note" },
    el("p", null, el("strong", null, lead)),
    el(
      "p",
      null,
      "Stepwise is not a crisis service: it alerts nobody outside this dashboard, and no one may be watching it. " +
        "Contact the client directly and follow your service's risk procedure; in an emergency, call the local emergency number.",
    ),
    crisisResources(),
  );
}

/** The deployment's crisis resources, fetched once per page. */
let resources: Promise<CrisisResource[]> | undefined;

/**
 * The crisis resources the deployment lists for the browser's region and
 * language (else its default list), as the client's app shows them: filled
 * in when they arrive, left out if they cannot be fetched.
 */
function crisisResources(): HTMLElement {
  const list = el("ul", { class: "crisis-resources", "aria-label": "Where to get help" });
  const [language = "", ...subtags] = navigator.language.split("-");
  const region = subtags.find((s) => /^[A-Za-z]{2}$/.test(s)) ?? "";
  resources ??= crisis
    .getCrisisResources({ region, language: language ? navigator.language : "" })
    .then((answer) => answer.crisisResources);
  resources.then(
    (all) => replace(list, ...all.map(resourceItem)),
    () => list.remove(),
  );
  return list;
}

/** One resource: its name, then each way to reach it, as text. */
function resourceItem(resource: CrisisResource): HTMLElement {
  const ways = [
    resource.phone && `call ${resource.phone}`,
    resource.sms && `text ${resource.sms}`,
    resource.url,
    resource.hours,
  ].filter(Boolean);
  return el("li", null, el("strong", null, resource.name), ways.length ? `: ${ways.join(" · ")}` : "");
}
