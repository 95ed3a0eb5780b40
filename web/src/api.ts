// The Stepwise services the dashboard calls, over gRPC-Web on the origin
// that served the page.

import { createClient } from "@connectrpc/connect";
import { AccountService } from "./gen/stepwise/v1/account_service_pb";
import { AssessmentService } from "./gen/stepwise/v1/assessment_service_pb";
import { CareService } from "./gen/stepwise/v1/care_service_pb";
import { CommentService } from "./gen/stepwise/v1/comment_service_pb";
import { CrisisService } from "./gen/stepwise/v1/crisis_service_pb";
import { GoalService } from "./gen/stepwise/v1/goal_service_pb";
import { InsightService } from "./gen/stepwise/v1/insight_service_pb";
import { ProgressService } from "./gen/stepwise/v1/progress_service_pb";
import { SafetyPlanService } from "./gen/stepwise/v1/safety_plan_service_pb";
import { SkillService } from "./gen/stepwise/v1/skill_service_pb";
import { token } from "./session";
import { stepwiseTransport } from "./transport";

const transport = stepwiseTransport(location.origin, token);

export const accounts = createClient(AccountService, transport);
export const assessments = createClient(AssessmentService, transport);
export const care = createClient(CareService, transport);
export const comments = createClient(CommentService, transport);
export const crisis = createClient(CrisisService, transport);
export const goals = createClient(GoalService, transport);
export const insights = createClient(InsightService, transport);
export const progress = createClient(ProgressService, transport);
export const safetyPlans = createClient(SafetyPlanService, transport);
export const skills = createClient(SkillService, transport);

/** The largest page the server hands out. */
export const PAGE_SIZE = 1000;

/**
 * Every item of a paged list: calls `page(token)` from the empty token until
 * the server returns an empty `next_page_token`.
 */
export async function allPages<T>(
  page: (pageToken: string) => Promise<{ items: T[]; next: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken = "";
  for (let pages = 0; pages < 10_000; pages++) {
    const { items: got, next } = await page(pageToken);
    items.push(...got);
    if (!next) return items;
    pageToken = next;
  }
  throw new Error("the server kept returning more pages");
}
