// The last two weeks of check-ins with the client's notes and a comment
// thread each. A note the client kept private reaches therapists blank, with
// `private_note` set: it shows as "Private", and its text never reaches the
// browser.

import { el } from "../../dom";
import { addDays, longDate } from "../../format";
import type { ActionStep } from "../../gen/stepwise/v1/action_step_pb";
import { checkInStateText, dataTable, missing, privateText } from "../common";
import { commentThread } from "./comments";
import type { Section } from "./section";

const DAYS = 14;

export const checkInsSection: Section = {
  id: "check-ins",
  title: "Recent check-ins",
  render(context) {
    const { records } = context;
    const since = addDays(records.asOf, -(DAYS - 1));
    const steps = new Map<string, ActionStep>([...records.steps.values()].flat().map((s) => [s.id, s]));
    const recent = records.checkIns
      .filter((c) => c.localDate >= since)
      .sort((a, b) => b.localDate.localeCompare(a.localDate) || a.actionStepId.localeCompare(b.actionStepId));
    if (recent.length === 0) {
      return el("p", { class: "empty" }, `No check-ins in the last ${DAYS} days.`);
    }
    return dataTable({
      attrs: { class: "check-ins" },
      caption: `Check-ins of the last ${DAYS} days, newest first`,
      columns: ["Day", "Action step", "What happened", { label: "Amount", num: true }, "Note", "Comments"],
      rows: recent.map((checkIn) =>
        el(
          "tr",
          null,
          el("td", null, el("time", { datetime: checkIn.localDate }, longDate(checkIn.localDate))),
          el("td", null, steps.get(checkIn.actionStepId)?.title ?? "(a deleted step)"),
          el("td", null, checkInStateText(checkIn.state)),
          el("td", { class: "num" }, checkIn.amount ? String(checkIn.amount) : missing("none given")),
          el("td", { class: "note" }, privateText(checkIn.privateNote, checkIn.note)),
          el("td", null, commentThread(context, { case: "checkInId", value: checkIn.id }, "this check-in")),
        ),
      ),
    });
  },
};
