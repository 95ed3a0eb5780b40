// A section of the client page. Each kind of record the page shows is one
// section in its own module, listed in ../client.ts.

import type { Charts } from "../../charts";
import type { ClientRecords } from "../../data/client";
import type { Child } from "../../dom";
import type { OnProblem } from "../common";

/**
 * A part of the page that lives as long as the page, not one rendering:
 * forms and comment threads keep what is typed into them, and whether they
 * are open, when the page renders again after a live change.
 */
export interface Kept {
  node: HTMLElement;
  /** Called on every rendering after the first (a comment thread reloads). */
  update?(): void;
}

/** What a section renders from. */
export interface SectionContext {
  records: ClientRecords;
  /** The client's display name. */
  name: string;
  /** Charts of the page, destroyed when it goes. */
  charts: Charts;
  /** Width available to a chart, in CSS pixels. */
  chartWidth: number;
  /** The signed-in therapist's account id. */
  me: string;
  /** The node kept under `key`, made by `make` the first time. */
  keep(key: string, make: () => Kept): HTMLElement;
  /** Loads the client's records again (after a change the page made). */
  refresh(): void;
  /** The global failure handler (signs out on a refused token). */
  onProblem: OnProblem;
}

/** One section of the client page. */
export interface Section {
  /** Id of its heading (unique on the page). */
  id: string;
  /** Its heading. */
  title: string;
  /** Its content. */
  render(context: SectionContext): Child;
}
