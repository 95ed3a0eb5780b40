// A section of the client page. Each kind of record the page shows is one
// section in its own module, listed in ../client.ts; the records that come
// with later API versions (assessments with severity bands, goal attainment
// ratings, skill practice, comments) are added the same way.

import type { Charts } from "../../charts";
import type { ClientRecords } from "../../data/client";
import type { Child } from "../../dom";

/** What a section renders from. */
export interface SectionContext {
  records: ClientRecords;
  /** The client's display name. */
  name: string;
  /** Charts of the page, destroyed when it goes. */
  charts: Charts;
  /** Width available to a chart, in CSS pixels. */
  chartWidth: number;
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
