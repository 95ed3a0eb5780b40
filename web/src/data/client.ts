// One client's records, as a linked therapist may read them: progress
// (ProgressService.GetProgress), goals and their action steps, the check-ins
// of the calendar's weeks and the self-efficacy ratings of the goals.

import { allPages, goals as goalApi, PAGE_SIZE, progress as progressApi } from "../api";
import type { ActionStep } from "../gen/stepwise/v1/action_step_pb";
import type { CheckIn } from "../gen/stepwise/v1/check_in_pb";
import type { EfficacyRating } from "../gen/stepwise/v1/efficacy_rating_pb";
import type { Goal } from "../gen/stepwise/v1/goal_pb";
import type { Progress, StepProgress } from "../gen/stepwise/v1/progress_service_pb";
import { addDays, weekdayIndex } from "../format";
import { mapLimit } from "../tasks";

/** Weeks the check-in calendar shows, the client's current week last. */
export const CALENDAR_WEEKS = 12;

/** Calls in flight at once while loading (a browser opens at most 6 HTTP/1.1 connections). */
const PARALLEL_CALLS = 4;

/** Everything the client page shows. */
export interface ClientRecords {
  clientId: string;
  /** Today in the client's time zone (GetProgress's as-of day). */
  asOf: string;
  /** The first day of the calendar (a Monday). */
  from: string;
  progress: Progress;
  goals: Goal[];
  /** Action steps by goal id, in the server's order. */
  steps: Map<string, ActionStep[]>;
  /** Each step's own statistics, by step id. */
  stepProgress: Map<string, StepProgress>;
  /** Check-ins of all steps from `from` to `asOf`. */
  checkIns: CheckIn[];
  /** Self-efficacy ratings by goal id, oldest first. */
  ratings: Map<string, EfficacyRating[]>;
}

/** Loads a client's records; fails as the first failing call does. */
export async function loadClient(clientId: string, signal: AbortSignal): Promise<ClientRecords> {
  const options = { signal };
  const [progress, goals] = await Promise.all([
    progressApi.getProgress({ target: { case: "clientId", value: clientId } }, options),
    allPages(async (pageToken) => {
      const page = await goalApi.listGoals({ clientId, pageSize: PAGE_SIZE, pageToken }, options);
      return { items: page.goals, next: page.nextPageToken };
    }),
  ]);
  const asOf = progress.asOfDate;
  const from = addDays(asOf, -weekdayIndex(asOf) - 7 * (CALENDAR_WEEKS - 1));

  const perGoal = await mapLimit(goals, PARALLEL_CALLS, async (goal) => {
    const [steps, ratings] = await Promise.all([
      allPages(async (pageToken) => {
        const page = await goalApi.listActionSteps(
          { goalId: goal.id, pageSize: PAGE_SIZE, pageToken },
          options,
        );
        return { items: page.actionSteps, next: page.nextPageToken };
      }),
      allPages(async (pageToken) => {
        const page = await progressApi.listEfficacyRatings(
          { target: { case: "goalId", value: goal.id }, pageSize: PAGE_SIZE, pageToken },
          options,
        );
        return { items: page.efficacyRatings, next: page.nextPageToken };
      }),
    ]);
    return { goal, steps, ratings };
  });

  const allSteps = perGoal.flatMap((g) => g.steps);
  const checkIns = (
    await mapLimit(allSteps, PARALLEL_CALLS, (step) =>
      allPages(async (pageToken) => {
        const page = await progressApi.listCheckIns(
          { actionStepId: step.id, startDate: from, endDate: asOf, pageSize: PAGE_SIZE, pageToken },
          options,
        );
        return { items: page.checkIns, next: page.nextPageToken };
      }),
    )
  ).flat();

  return {
    clientId,
    asOf,
    from,
    progress,
    goals,
    steps: new Map(perGoal.map((g) => [g.goal.id, g.steps])),
    stepProgress: new Map(progress.steps.map((s) => [s.actionStepId, s])),
    checkIns,
    ratings: new Map(perGoal.map((g) => [g.goal.id, g.ratings])),
  };
}
