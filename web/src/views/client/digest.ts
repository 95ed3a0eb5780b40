// "Since the last session" (CareService.GetSessionDigest): what changed for
// the client since the therapist's last recorded session with them, or since
// the link was made, and a form to record today's session, which starts the
// next digest. Private notes are blank and private thought records absent:
// the server leaves them out.

import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { care } from "../../api";
import { type Child, el, replace } from "../../dom";
import { dateTime, longDate, percent, signed } from "../../format";
import { AttainmentLevel } from "../../gen/stepwise/v1/attainment_pb";
import type { ProgressSnapshot } from "../../gen/stepwise/v1/session_pb";
import { assessmentFlagBadges, bandBadge, instrumentOf } from "../assessments";
import { act, count, done } from "../common";
import { levelValue } from "./attainment";
import { distortionName } from "./thoughts";
import type { Kept, Section, SectionContext } from "./section";

const NOTE_MAX = 4000;

export const digestSection: Section = {
  id: "digest",
  title: "Since the last session",
  render(context) {
    const { records, name } = context;
    const digest = records.digest;
    const since = digest.sinceTime ? dateTime(digest.sinceTime) : "the start";
    const titles = new Map<string, string>([
      ...records.goals.map((g) => [g.id, g.title] as const),
      ...[...records.steps.values()].flat().map((s) => [s.id, s.title] as const),
    ]);
    const lines: Child[] = [
      adherence(digest.progressThen, digest.progressNow),
      listed("Goals set", digest.goalsCreated.map((g) => g.title)),
      listed("Goals achieved", digest.goalsAchieved.map((g) => g.title)),
      listed("Goals archived", digest.goalsArchived.map((g) => g.title)),
      listed("Action steps added", digest.stepsCreated.map((s) => s.title)),
      listed("Action steps archived", digest.stepsArchived.map((s) => s.title)),
      listed(
        "Self-efficacy",
        digest.efficacyChanges.map((change) => {
          const what = titles.get(change.target.value ?? "") ?? "a deleted goal";
          return change.scoreThen === undefined
            ? `${what}: ${change.scoreNow}`
            : `${what}: ${change.scoreThen} \u2192 ${change.scoreNow} (${signed(change.scoreNow - change.scoreThen)})`;
        }),
      ),
      digest.assessmentResults.length
        ? line(
            "Questionnaires",
            el(
              "ul",
              { class: "digest-results" },
              digest.assessmentResults.map((result) =>
                el(
                  "li",
                  null,
                  `${instrumentOf(records.instruments, result.instrumentId)?.shortName ?? "Questionnaire"} on ${longDate(result.localDate)}: ${result.total} `,
                  bandBadge(result.severity),
                  " ",
                  assessmentFlagBadges(result.flags),
                ),
              ),
            ),
          )
        : null,
      listed(
        "Goal attainment",
        digest.attainmentRatings
          .filter((r) => r.level !== AttainmentLevel.UNSPECIFIED)
          .map((r) => `${titles.get(r.goalId) ?? "a deleted goal"}: ${levelValue(r.level)} on ${longDate(r.localDate)}`),
      ),
      digest.comments.length ? line("Comments", `${count(digest.comments.length, "new comment")} (under the goals and check-ins)`) : null,
      digest.skillPractices.length
        ? line(
            "Skill practice",
            `${count(digest.skillPractices.length, "practice")}` +
              (digest.meanDistressDrop === undefined ? "" : `, distress down ${digest.meanDistressDrop.toFixed(1)} points on average`),
          )
        : null,
      digest.thoughtRecords.length
        ? line(
            "Thought records",
            `${count(digest.thoughtRecords.length, "thought record")} shared` +
              (digest.distortions.length
                ? `; most often: ${digest.distortions
                    .slice(0, 3)
                    .map((d) => `${distortionName(d.distortion)} (${d.count})`)
                    .join(", ")}`
                : ""),
          )
        : null,
    ].filter(Boolean);
    return [
      el(
        "p",
        { class: "meta" },
        digest.sinceSessionId
          ? `Since your session on ${since}.`
          : `Since ${since}, when ${name} linked with you: no session recorded yet.`,
      ),
      lines.length ? el("dl", { class: "digest" }, lines) : el("p", { class: "empty" }, "Nothing new since then."),
      digest.truncated ? el("p", { class: "help" }, "Long lists were cut to their 200 most recent entries.") : null,
      context.keep("session-form", () => sessionForm(context)),
    ];
  },
};

function line(label: string, value: Child): HTMLElement {
  return el("div", { class: "digest-line" }, el("dt", null, label), el("dd", null, value));
}

function listed(label: string, items: string[]): Child {
  return items.length ? line(label, items.join("; ")) : null;
}

function adherence(then: ProgressSnapshot | undefined, now: ProgressSnapshot | undefined): Child {
  if (!now) return null;
  const was = percent(then?.adherence7d) ?? "nothing scheduled";
  const is = percent(now.adherence7d) ?? "nothing scheduled";
  return line("Adherence, 7 days", `${was} then, ${is} now`);
}

/** "YYYY-MM-DDTHH:MM" of now in the browser's time zone, for a datetime-local input. */
function localNow(): string {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function sessionForm(context: SectionContext): Kept {
  const status = el("div", { role: "status" });
  const when = el("input", { id: "session-time", name: "when", type: "datetime-local", value: localNow(), required: true });
  const note = el("textarea", { id: "session-note", name: "note", rows: 2, maxlength: NOTE_MAX });
  const button = el("button", { type: "submit", class: "primary" }, "Record the session");
  const form = el(
    "form",
    {
      class: "inline-form",
      "aria-labelledby": "session-title",
      on: {
        submit: (event) => {
          event.preventDefault();
          const at = new Date(when.value);
          if (Number.isNaN(at.getTime())) {
            replace(status, el("p", { class: "notice notice-error" }, "Enter the day and time the session started."));
            return;
          }
          void act(button, status, context.onProblem, async () => {
            await care.recordSession({
              session: { clientId: context.records.clientId, sessionTime: timestampFromDate(at), note: note.value.trim() },
            });
            note.value = "";
            context.refresh();
            return done(`Session of ${at.toLocaleString()} recorded: the next digest starts there.`);
          }, context.name);
        },
      },
    },
    el("h3", { id: "session-title" }, "Record a session"),
    el("div", { class: "field" }, el("label", { for: "session-time" }, "When it started"), when),
    el(
      "div",
      { class: "field field-wide" },
      el("label", { for: "session-note" }, "Your note (only you ever see it)"),
      note,
    ),
    button,
    status,
  );
  return { node: form };
}
