// Questionnaire results (AssessmentService.ListAssessmentResults): one table
// per instrument, newest first, with the total, its severity band, the change
// against the client's first result and the flags; a risk of self-harm on
// the latest result comes with the crisis note. Each result has a comment
// thread.

import { el } from "../../dom";
import { longDate } from "../../format";
import type { AssessmentResult } from "../../gen/stepwise/v1/assessment_pb";
import {
  assessmentFlagBadges,
  bandBadge,
  changeText,
  crisisNote,
  hasSelfHarmRisk,
  instrumentOf,
  maxTotal,
} from "../assessments";
import { dataTable, missing } from "../common";
import { commentThread } from "./comments";
import type { Section } from "./section";

export const questionnairesSection: Section = {
  id: "questionnaires",
  title: "Questionnaires",
  render(context) {
    const { records, name } = context;
    if (records.results.length === 0) {
      return el("p", { class: "empty" }, "No questionnaire answered yet.");
    }
    const byInstrument = new Map<string, AssessmentResult[]>();
    for (const result of records.results) {
      byInstrument.set(result.instrumentId, [...(byInstrument.get(result.instrumentId) ?? []), result]);
    }
    return [...byInstrument].map(([instrumentId, results]) => {
      const instrument = instrumentOf(records.instruments, instrumentId);
      const shortName = instrument?.shortName ?? "Questionnaire";
      const max = maxTotal(instrument);
      const newest = [...results].reverse();
      const latest = newest[0];
      return el(
        "div",
        { class: "instrument" },
        el("h3", null, instrument ? `${instrument.shortName}: ${instrument.title}` : shortName),
        latest && hasSelfHarmRisk(latest.flags)
          ? crisisNote(`${name}'s latest ${shortName} (${longDate(latest.localDate)}) reports thoughts of self-harm.`)
          : null,
        dataTable({
          attrs: { class: "results", "data-instrument": shortName },
          caption: `${shortName} results, newest first`,
          columns: ["Day", { label: "Total", num: true }, "Severity", "Change", "Flags", "Comments"],
          rows: newest.map((result) =>
            el(
              "tr",
              null,
              el("td", null, el("time", { datetime: result.localDate }, longDate(result.localDate))),
              el("td", { class: "num" }, max === undefined ? String(result.total) : `${result.total} of ${max}`),
              el("td", null, bandBadge(result.severity) ?? missing("no bands")),
              el("td", null, changeText(result.change)),
              el("td", null, assessmentFlagBadges(result.flags) ?? missing("none")),
              el("td", null, commentThread(context, { case: "assessmentResultId", value: result.id }, "this result")),
            ),
          ),
        }),
      );
    });
  },
};
