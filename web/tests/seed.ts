// The people and records of the end-to-end test, made through the public API
// (gRPC-Web from Node, the same transport the dashboard uses): a therapist,
// and two clients who signed up with the therapist's invites and keep goals,
// action steps, check-ins and self-efficacy ratings. Ada also answers
// questionnaires (her PHQ-9 improved reliably; her GAD-7 is overdue), rates
// a scaled goal and practises a coping skill; Ben answered the PHQ-9's item 9
// (thoughts of self-harm) above 0; Cleo's PHQ-9 got reliably worse, and she
// logged a walk of four days ago only today.

import { createHmac } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { Role } from "../src/gen/stepwise/v1/account_pb";
import { AccountService } from "../src/gen/stepwise/v1/account_service_pb";
import { AssessmentService } from "../src/gen/stepwise/v1/assessment_service_pb";
import { AuthService } from "../src/gen/stepwise/v1/auth_service_pb";
import { AttainmentLevel } from "../src/gen/stepwise/v1/attainment_pb";
import { CareService } from "../src/gen/stepwise/v1/care_service_pb";
import { CheckInState } from "../src/gen/stepwise/v1/check_in_pb";
import { GoalService } from "../src/gen/stepwise/v1/goal_service_pb";
import { CommentService } from "../src/gen/stepwise/v1/comment_service_pb";
import { InsightService } from "../src/gen/stepwise/v1/insight_service_pb";
import { ProgressService } from "../src/gen/stepwise/v1/progress_service_pb";
import { SafetyPlanService } from "../src/gen/stepwise/v1/safety_plan_service_pb";
import { SkillCategory } from "../src/gen/stepwise/v1/skill_pb";
import { SkillService } from "../src/gen/stepwise/v1/skill_service_pb";
import { CognitiveDistortion } from "../src/gen/stepwise/v1/thought_record_pb";
import { stepwiseTransport } from "../src/transport";

/** The services, as the holder of one token. */
export interface Api {
  accounts: Client<typeof AccountService>;
  assessments: Client<typeof AssessmentService>;
  auth: Client<typeof AuthService>;
  care: Client<typeof CareService>;
  comments: Client<typeof CommentService>;
  goals: Client<typeof GoalService>;
  insights: Client<typeof InsightService>;
  progress: Client<typeof ProgressService>;
  safetyPlans: Client<typeof SafetyPlanService>;
  skills: Client<typeof SkillService>;
}

/** The API at `url` as the holder of `token`. */
export function api(url: string, token: string): Api {
  const transport = stepwiseTransport(url, () => token);
  return {
    accounts: createClient(AccountService, transport),
    assessments: createClient(AssessmentService, transport),
    auth: createClient(AuthService, transport),
    care: createClient(CareService, transport),
    comments: createClient(CommentService, transport),
    goals: createClient(GoalService, transport),
    insights: createClient(InsightService, transport),
    progress: createClient(ProgressService, transport),
    safetyPlans: createClient(SafetyPlanService, transport),
    skills: createClient(SkillService, transport),
  };
}

/** The password of every account the tests make. */
export const PASSWORD = "correct horse battery staple";

/** A new email address, unique in the run. */
export function newEmail(): string {
  return `${crypto.randomUUID()}@example.org`;
}

/** A personal access token (the server's default 90 days) made with a device
 * session's access token: what the tests call as, whatever the access
 * token's lifetime. */
async function personalToken(url: string, accessToken: string): Promise<string> {
  const made = await api(url, accessToken).accounts.createToken({ label: "Test" });
  return made.secret;
}

/** The code an authenticator app that read `uri` shows now (TOTP, RFC
 * 6238: HMAC-SHA-1, 30-second steps, six digits). */
export function authenticatorCode(uri: string): string {
  const secret = new URL(uri).searchParams.get("secret") ?? "";
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000)));
  const mac = createHmac("sha1", key).update(step).digest();
  const offset = (mac.at(-1) ?? 0) & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** Creates an account as `admin`, sets it up with a new email and
 * `PASSWORD` (and an authenticator, which a therapist needs to read clients'
 * data), and returns it with a personal access token. */
export async function createAccount(
  url: string,
  admin: Api,
  account: { role: Role; displayName: string; timeZone: string },
): Promise<{ id: string; token: string }> {
  const made = await admin.accounts.createAccount({ account });
  const setUp = await api(url, "").auth.completeAccountSetup({
    setupCode: made.setupCode,
    email: newEmail(),
    password: PASSWORD,
    deviceLabel: "Test",
  });
  const accessToken = setUp.tokens!.accessToken;
  if (account.role !== Role.CLIENT) {
    const device = api(url, accessToken).auth;
    const { provisioningUri } = await device.beginTotpEnrollment({});
    await device.confirmTotpEnrollment({ code: authenticatorCode(provisioningUri) });
  }
  return { id: made.account!.id, token: await personalToken(url, accessToken) };
}

/** Signs a new client up with the invite `code`; returns the client's id and
 * a personal access token. */
export async function signUpWithInvite(
  url: string,
  code: string,
  displayName: string,
): Promise<{ id: string; token: string }> {
  const signedUp = await api(url, "").accounts.signUpWithInvite({
    code,
    displayName,
    timeZone: "UTC",
    email: newEmail(),
    password: PASSWORD,
    deviceLabel: "Test",
  });
  return { id: signedUp.account!.id, token: await personalToken(url, signedUp.tokens!.accessToken) };
}

/** A goal whose title is markup: it must show as text, and run nothing. */
export const XSS_TITLE = "<img src=x onerror=alert(1)>";
/** A note the client keeps from therapists. */
export const PRIVATE_NOTE = "Only for me: the night was hard";
/** A practice note the client keeps from therapists. */
export const PRIVATE_PRACTICE_NOTE = "Only for me: breathing after the phone call";
/** The automatic thought of a thought record Ada shares. */
export const SHARED_THOUGHT = "They will think I am useless";
/** The automatic thought of a thought record Ada keeps private. */
export const PRIVATE_THOUGHT = "Only for me: I always ruin everything";
/** The built-in questionnaires. */
export const PHQ9 = "00000000-0000-0000-0000-000000000009";
export const GAD7 = "00000000-0000-0000-0000-000000000007";

/** Who the test plays, and the ids it checks. */
export interface World {
  therapistToken: string;
  ada: { id: string; token: string; name: string; walkStepId: string; sleepGoalId: string };
  ben: { id: string; token: string; name: string; callStepId: string };
  cleo: { id: string; token: string; name: string };
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
  const made = await createAccount(url, admin, {
    role: Role.THERAPIST,
    displayName: "Dr. Maya Rivera",
    timeZone: "UTC",
  });
  const therapist = api(url, made.token);

  async function signUp(name: string) {
    const invite = await therapist.care.createInvite({});
    const signedUp = await signUpWithInvite(url, invite.code, name);
    return { id: signedUp.id, token: signedUp.token, name, api: api(url, signedUp.token) };
  }

  const today = utcDate();
  const ada = await signUp("Ada Lovelace");
  const sleep = await ada.api.goals.createGoal({
    goal: {
      title: "Sleep better",
      why: "More energy for my kids",
      targetDate: utcDate(90),
      attainmentScale: {
        muchLessThanExpected: "Asleep after 1:00 most nights",
        lessThanExpected: "Asleep after midnight most nights",
        expected: "Asleep by 23:30 on most nights",
        moreThanExpected: "Asleep by 23:00 on most nights",
        muchMoreThanExpected: "Asleep by 23:00 every night",
        weight: 1,
        baselineLevel: AttainmentLevel.MUCH_LESS_THAN_EXPECTED,
      },
    },
  });
  await ada.api.progress.recordAttainment({ rating: { goalId: sleep.id, level: AttainmentLevel.EXPECTED } });
  // PHQ-9 from 18 (moderately severe) to 10 (moderate): reliably better.
  for (const [daysAgo, answer] of [
    [28, 2],
    [0, 1],
  ] as const) {
    const answers = Array.from<unknown, number>({ length: 9 }, (_, i) => (i === 8 ? 0 : answer));
    if (daysAgo === 28) answers[0] = 3;
    if (daysAgo === 28) answers[1] = 3;
    if (daysAgo === 0) answers[0] = 3;
    await ada.api.assessments.submitAssessment({ result: { instrumentId: PHQ9, localDate: utcDate(-daysAgo), answers } });
  }
  for (const [automaticThought, privateRecord] of [
    [SHARED_THOUGHT, false],
    [PRIVATE_THOUGHT, true],
  ] as const) {
    await ada.api.insights.createThoughtRecord({
      thoughtRecord: {
        localDate: today,
        situation: "Meeting at work",
        automaticThought,
        emotions: [{ name: "Anxious", intensityBefore: 80, intensityAfter: 40 }],
        distortions: [CognitiveDistortion.JUMPING_TO_CONCLUSIONS],
        balancedThought: "I prepared well; one question I could not answer is normal",
        beliefBefore: 90,
        beliefAfter: 40,
        privateRecord,
      },
    });
  }
  const breathing = await ada.api.skills.createSkill({
    skill: { title: "Box breathing", category: SkillCategory.BREATHING, instructions: "4 in, 4 hold, 4 out, 4 hold" },
  });
  await ada.api.skills.logSkillPractice({
    skillPractice: { skillId: breathing.id, localDate: today, distressBefore: 60, distressAfter: 30, durationMinutes: 5 },
  });
  await ada.api.skills.logSkillPractice({
    skillPractice: {
      skillId: breathing.id,
      localDate: today,
      distressBefore: 50,
      distressAfter: 40,
      note: PRIVATE_PRACTICE_NOTE,
      privateNote: true,
    },
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

  // Cleo: her PHQ-9 went from 5 to 12, reliably worse (6 points or more).
  const cleo = await signUp("Cleo Tanaka");
  for (const [daysAgo, total] of [
    [14, 5],
    [0, 12],
  ] as const) {
    const answers = Array.from({ length: 9 }, (_, i) => (i < 8 ? Math.min(3, Math.max(0, total - 3 * i)) : 0));
    await cleo.api.assessments.submitAssessment({ result: { instrumentId: PHQ9, localDate: utcDate(-daysAgo), answers } });
  }

  // Cleo walks once a week. Today she logs the walk she took four days ago:
  // her last check-in is for that day, so she is inactive, however recently
  // she logged it.
  const outside = await cleo.api.goals.createGoal({ goal: { title: "Get outside" } });
  const longWalk = await cleo.api.goals.createActionStep({
    actionStep: { goalId: outside.id, title: "A long walk", schedule: { times: 1, periodDays: 7 } },
  });
  await cleo.api.progress.logCheckIn({
    checkIn: { actionStepId: longWalk.id, localDate: utcDate(-4), state: CheckInState.DONE },
  });

  // The therapist asked Ada for a GAD-7 every 14 days, from 20 days ago:
  // the one due 6 days ago is unanswered, so it is overdue.
  await therapist.assessments.assignAssessment({
    assignment: { clientId: ada.id, instrumentId: GAD7, everyDays: 14, startDate: utcDate(-20) },
  });

  return {
    therapistToken: made.token,
    ada: { id: ada.id, token: ada.token, name: ada.name, walkStepId: walk.id, sleepGoalId: sleep.id },
    ben: { id: ben.id, token: ben.token, name: ben.name, callStepId: call.id },
    cleo: { id: cleo.id, token: cleo.token, name: cleo.name },
    today,
  };
}
