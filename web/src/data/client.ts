// One client's records, as a linked therapist may read them: progress
// (ProgressService.GetProgress), goals and their action steps, the check-ins
// of the calendar's weeks, the self-efficacy and attainment ratings of the
// goals, questionnaires (instruments, assignments, what is due, results),
// coping skills with their recent practices, thought records (the server
// leaves out private ones), the client's current safety plan, and the
// digest since the therapist's last session with the client.

import {
  allPages,
  assessments as assessmentApi,
  care,
  goals as goalApi,
  insights as insightApi,
  PAGE_SIZE,
  progress as progressApi,
  safetyPlans,
  skills as skillApi,
} from "../api";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ActionStep } from "../gen/stepwise/v1/action_step_pb";
import type {
  AssessmentResult,
  Assignment,
  DueAssessment,
  Instrument,
} from "../gen/stepwise/v1/assessment_pb";
import type { AttainmentRating } from "../gen/stepwise/v1/attainment_pb";
import type { CheckIn } from "../gen/stepwise/v1/check_in_pb";
import type { EfficacyRating } from "../gen/stepwise/v1/efficacy_rating_pb";
import type { Goal } from "../gen/stepwise/v1/goal_pb";
import type { Progress, StepProgress } from "../gen/stepwise/v1/progress_service_pb";
import type { SafetyPlan } from "../gen/stepwise/v1/safety_plan_pb";
import type { SessionDigest } from "../gen/stepwise/v1/session_pb";
import type { Skill, SkillPractice, SkillStats } from "../gen/stepwise/v1/skill_pb";
import type { InsightStats, ThoughtRecord } from "../gen/stepwise/v1/thought_record_pb";
import { addDays, weekdayIndex } from "../format";
import { mapLimit } from "../tasks";

/** Weeks the check-in calendar shows, the client's current week last. */
export const CALENDAR_WEEKS = 12;

/** Days of skill practices and thought records the client page lists (the stats' longest window). */
export const PRACTICE_DAYS = 28;

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
  /** Attainment ratings by goal id (goals with a scale only), oldest first. */
  attainments: Map<string, AttainmentRating[]>;
  /** The instruments the therapist may assign, built-in ones first. */
  instruments: Instrument[];
  /** The client's questionnaire results, oldest first. */
  results: AssessmentResult[];
  /** The client's active assignments. */
  assignments: Assignment[];
  /** What the client has to answer today, by assignment id. */
  due: Map<string, DueAssessment>;
  /** The client's coping skills. */
  skills: Skill[];
  /** Practice statistics: all skills pooled, and each skill's own by id. */
  skillStats: { all: SkillStats | undefined; bySkill: Map<string, SkillStats> };
  /** Practices of the last PRACTICE_DAYS days by skill id, oldest first. */
  practices: Map<string, SkillPractice[]>;
  /** Thought records of the last PRACTICE_DAYS days that are not private, oldest first. */
  thoughts: ThoughtRecord[];
  /** Their statistics over the same days. */
  insights: InsightStats;
  /** What changed since the therapist's last session with the client. */
  digest: SessionDigest;
  /** The client's current safety plan; undefined before the first is written. */
  safetyPlan: SafetyPlan | undefined;
}

/** The client's current safety plan, or undefined when they have none yet. */
async function currentSafetyPlan(clientId: string, signal: AbortSignal): Promise<SafetyPlan | undefined> {
  try {
    return await safetyPlans.getSafetyPlan({ clientId }, { signal });
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) return undefined;
    throw error;
  }
}

/** Loads a client's records; fails as the first failing call does. */
export async function loadClient(clientId: string, signal: AbortSignal): Promise<ClientRecords> {
  const options = { signal };
  const [progress, goals, instruments, results, assignments, due, skills, skillStats, digest, safetyPlan] =
    await Promise.all([
      progressApi.getProgress({ target: { case: "clientId", value: clientId } }, options),
      allPages(async (pageToken) => {
        const page = await goalApi.listGoals({ clientId, pageSize: PAGE_SIZE, pageToken }, options);
        return { items: page.goals, next: page.nextPageToken };
      }),
      allPages(async (pageToken) => {
        const page = await assessmentApi.listInstruments({ pageToken }, options);
        return { items: page.instruments, next: page.nextPageToken };
      }),
      allPages(async (pageToken) => {
        const page = await assessmentApi.listAssessmentResults(
          { clientId, pageSize: PAGE_SIZE, pageToken },
          options,
        );
        return { items: page.assessmentResults, next: page.nextPageToken };
      }),
      allPages(async (pageToken) => {
        const page = await assessmentApi.listAssignments({ clientId, pageSize: PAGE_SIZE, pageToken }, options);
        return { items: page.assignments, next: page.nextPageToken };
      }),
      allPages(async (pageToken) => {
        const page = await assessmentApi.listDueAssessments({ clientId, pageSize: PAGE_SIZE, pageToken }, options);
        return { items: page.dueAssessments, next: page.nextPageToken };
      }),
      allPages(async (pageToken) => {
        const page = await skillApi.listSkills({ clientId, pageSize: PAGE_SIZE, pageToken }, options);
        return { items: page.skills, next: page.nextPageToken };
      }),
      skillApi.getSkillStats({ target: { case: "clientId", value: clientId } }, options),
      care.getSessionDigest({ clientId }, options),
      currentSafetyPlan(clientId, signal),
    ]);
  const asOf = progress.asOfDate;
  const from = addDays(asOf, -weekdayIndex(asOf) - 7 * (CALENDAR_WEEKS - 1));

  const since = addDays(asOf, -(PRACTICE_DAYS - 1));
  const [thoughts, insights] = await Promise.all([
    allPages(async (pageToken) => {
      const page = await insightApi.listThoughtRecords(
        { clientId, startDate: since, endDate: asOf, pageSize: PAGE_SIZE, pageToken },
        options,
      );
      return { items: page.thoughtRecords, next: page.nextPageToken };
    }),
    insightApi.getInsightStats({ clientId, startDate: since, endDate: asOf }, options),
  ]);
  const practices = await mapLimit(skills, PARALLEL_CALLS, (skill) =>
    allPages(async (pageToken) => {
      const page = await skillApi.listSkillPractices(
        { skillId: skill.id, startDate: since, endDate: asOf, pageSize: PAGE_SIZE, pageToken },
        options,
      );
      return { items: page.skillPractices, next: page.nextPageToken };
    }),
  );

  const perGoal = await mapLimit(goals, PARALLEL_CALLS, async (goal) => {
    const [steps, ratings, attainments] = await Promise.all([
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
      goal.attainmentScale
        ? allPages(async (pageToken) => {
            const page = await progressApi.listAttainments(
              { goalId: goal.id, pageSize: PAGE_SIZE, pageToken },
              options,
            );
            return { items: page.attainmentRatings, next: page.nextPageToken };
          })
        : undefined,
    ]);
    return { goal, steps, ratings, attainments };
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
    attainments: new Map(perGoal.flatMap((g) => (g.attainments ? [[g.goal.id, g.attainments] as const] : []))),
    instruments,
    results,
    assignments,
    due: new Map(due.map((d) => [d.assignment?.id ?? "", d])),
    skills,
    skillStats: {
      all: skillStats.stats,
      bySkill: new Map(skillStats.skills.map((s) => [s.skillId, s])),
    },
    practices: new Map(skills.map((skill, i) => [skill.id, practices[i] ?? []])),
    thoughts,
    insights,
    digest,
    safetyPlan,
  };
}
