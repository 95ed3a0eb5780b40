// The people and records of the end-to-end test, made through the public API
// (gRPC-Web from Node, the same transport the dashboard uses): a therapist,
// and two clients who signed up with the therapist's invites and keep goals,
// action steps, check-ins and self-efficacy ratings; one of them answered
// the PHQ-9's item 9 (thoughts of self-harm) above 0.

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { Role } from "../src/gen/stepwise/v1/account_pb";
import { AccountService } from "../src/gen/stepwise/v1/account_service_pb";
import { AssessmentService } from "../src/gen/stepwise/v1/assessment_service_pb";
import { CareService } from "../src/gen/stepwise/v1/care_service_pb";
import { CheckInState } from "../src/gen/stepwise/v1/check_in_pb";
import { GoalService } from "../src/gen/stepwise/v1/goal_service_pb";
import { ProgressService } from "../src/gen/stepwise/v1/progress_service_pb";
import { stepwiseTransport } from "../src/transport";

/** The services, as the holder of one token. */
export interface Api {
  accounts: Client<typeof AccountService>;
  assessments: Client<typeof AssessmentService>;
  care: Client<typeof CareService>;
  goals: Client<typeof GoalService>;
  progress: Client<typeof ProgressService>;
}

/** The API at `url` as the holder of `token`. */
export function api(url: string, token: string): Api {
  const transport = stepwiseTransport(url, () => token);
  return {
    accounts: createClient(AccountService, transport),
    assessments: createClient(AssessmentService, transport),
    care: createClient(CareService, transport),
    goals: createClient(GoalService, transport),
    progress: createClient(ProgressService, transport),
  };
}

/** A goal whose title is markup: it must show as text, and run nothing. */
export const XSS_TITLE = "<img src=x onerror=alert(1)>";
/** A note the client keeps from therapists. */
export const PRIVATE_NOTE = "Only for me: the night was hard";

/** Who the test plays, and the ids it checks. */
export interface World {
  therapistToken: string;
  ada: { id: string; token: string; name: string; walkStepId: string };
  ben: { id: string; token: string; name: string; callStepId: string };
  /** Today in the clients' time zone (UTC). */
  today: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** "YYYY-MM-DD" in UTC, `days` from now. */
export function utcDate(days = 0): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
}

/** Creates the test's people and records on the server at `url`. */
export async function seed(url: string, adminToken: string): Promise<World> {
  const admin = api(url, adminToken);
  const made = await admin.accounts.createAccount({
    account: { role: Role.THERAPIST, displayName: "Dr. Maya Rivera", timeZone: "UTC" },
  });
  const therapist = api(url, made.token);

  async function signUp(name: string) {
    const invite = await therapist.care.createInvite({});
    const signedUp = await api(url, "").accounts.signUpWithInvite({
      code: invite.code,
      displayName: name,
      timeZone: "UTC",
    });
    return { id: signedUp.account!.id, token: signedUp.token, name, api: api(url, signedUp.token) };
  }

  const today = utcDate();
  const ada = await signUp("Ada Lovelace");
  const sleep = await ada.api.goals.createGoal({
    goal: { title: "Sleep better", why: "More energy for my kids", targetDate: utcDate(90) },
  });
  const screens = await ada.api.goals.createActionStep({
    actionStep: { goalId: sleep.id, title: "Screens off at 22:00", schedule: { times: 1, periodDays: 1 } },
  });
  const moving = await ada.api.goals.createGoal({ goal: { title: XSS_TITLE, why: "<script>alert(2)</script>" } });
  const walk = await ada.api.goals.createActionStep({
    actionStep: { goalId: moving.id, title: "Walk 20 minutes", schedule: { times: 3, periodDays: 7 } },
  });
  await ada.api.progress.logCheckIn({
    checkIn: { actionStepId: screens.id, localDate: today, state: CheckInState.DONE, note: "Read a book instead" },
  });
  await ada.api.progress.logCheckIn({
    checkIn: {
      actionStepId: walk.id,
      localDate: today,
      state: CheckInState.PARTIAL,
      amount: 10,
      note: PRIVATE_NOTE,
      privateNote: true,
    },
  });
  for (const [daysAgo, score] of [
    [21, 40],
    [10, 55],
    [0, 70],
  ] as const) {
    await ada.api.progress.recordEfficacyRating({
      rating: {
        target: { case: "goalId", value: sleep.id },
        score,
        rateTime: timestampFromMs(Date.now() - daysAgo * DAY_MS - 60_000),
      },
    });
  }
  await ada.api.progress.recordEfficacyRating({
    rating: {
      target: { case: "goalId", value: moving.id },
      score: 35,
      note: "<b>not bold</b>",
      rateTime: timestampFromMs(Date.now() - 15 * DAY_MS),
    },
  });

  const ben = await signUp("Ben Okafor");
  const work = await ben.api.goals.createGoal({ goal: { title: "Return to work gradually" } });
  const call = await ben.api.goals.createActionStep({
    actionStep: { goalId: work.id, title: "Call a colleague", schedule: { times: 2, periodDays: 7 } },
  });
  for (const [daysAgo, score] of [
    [20, 80],
    [0, 50],
  ] as const) {
    await ben.api.progress.recordEfficacyRating({
      rating: {
        target: { case: "goalId", value: work.id },
        score,
        rateTime: timestampFromMs(Date.now() - daysAgo * DAY_MS - 60_000),
      },
    });
  }

  // PHQ-9 item 9 answered "Several days": the most severe flag.
  await ben.api.assessments.submitAssessment({
    result: {
      instrumentId: "00000000-0000-0000-0000-000000000009",
      localDate: today,
      answers: [1, 1, 1, 1, 1, 1, 1, 1, 1],
    },
  });

  return {
    therapistToken: made.token,
    ada: { id: ada.id, token: ada.token, name: ada.name, walkStepId: walk.id },
    ben: { id: ben.id, token: ben.token, name: ben.name, callStepId: call.id },
    today,
  };
}
