// `npm run screenshots`: the README's pictures of the dashboard (its
// "Dashboard" section; docs/quick-start.md shows them too), with eight
// weeks of practice behind each client. Progress counts from the day a step
// was created, and the server's clock sets that day, so the steps are made by
// a server started under libfaketime (Debian's `libfaketime`) eight weeks ago;
// the same data dir is then served once for each day since, in that day's
// present, where the clients check in, rate, answer their questionnaires
// and practise their coping skills as they would have. Writes
// screenshots/caseload.png and screenshots/client.png. Not part of CI: the
// pictures are committed.

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { chromium } from "playwright-core";
import { Role } from "../src/gen/stepwise/v1/account_pb";
import { AttainmentLevel } from "../src/gen/stepwise/v1/attainment_pb";
import { CheckInState } from "../src/gen/stepwise/v1/check_in_pb";
import { SkillCategory } from "../src/gen/stepwise/v1/skill_pb";
import { api, createAccount, GAD7, PHQ9, signUpWithInvite, utcDate } from "./seed";
import { startServer } from "./server";

const BINARY = process.env.STEPWISE_BIN ?? path.resolve("../target/debug/stepwise");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OUT = path.resolve("screenshots");
const LIBFAKETIME = process.env.LIBFAKETIME ?? "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
const DAYS = 56;

/** A reproducible stream of numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface StepPlan {
  title: string;
  times: number;
  periodDays: number;
  /** Chance of practising on day `d` (0 = eight weeks ago), where due. */
  chance(d: number): number;
}

/** A questionnaire the therapist assigns fortnightly from the first day. */
interface QuestionnairePlan {
  instrumentId: string;
  /** The answers of the `n`th fortnight (0 = the first day); none: not answered. */
  answers(n: number): number[] | undefined;
}

/** PHQ-9 answers summing to `total` (item 9, self-harm, answered `item9`). */
function phq9(total: number, item9 = 0): number[] {
  const rest = total - item9;
  return Array.from({ length: 8 }, (_, i) => Math.min(3, Math.max(0, rest - 3 * i))).concat(item9);
}

/** GAD-7 answers summing to `total`. */
function gad7(total: number): number[] {
  return Array.from({ length: 7 }, (_, i) => Math.min(3, Math.max(0, total - 3 * i)));
}

interface ClientPlan {
  name: string;
  goals: {
    title: string;
    why: string;
    steps: StepPlan[];
    efficacy: (week: number) => number;
    /** Five outcomes, worst first, for goal attainment scaling; rated each week. */
    scale?: { levels: [string, string, string, string, string]; level: (week: number) => AttainmentLevel };
  }[];
  questionnaires?: QuestionnairePlan[];
  /** A coping skill and the distress before and after practising on day `d`, when practised. */
  skill?: {
    title: string;
    category: SkillCategory;
    practice: (d: number, roll: number) => [number, number] | undefined;
  };
  /** The therapist saw the client this many days ago (the digest starts there). */
  sessionDaysAgo?: number;
  notes?: string[];
  /** Checks in early: already today when the screenshots are taken. */
  earlyBird?: boolean;
}

const lastDays = (n: number, before: number, after: number) => (d: number) => (d >= DAYS - n ? after : before);
const rising = (from: number, to: number) => (d: number) => from + ((to - from) * d) / DAYS;

const CLIENTS: ClientPlan[] = [
  {
    name: "Ada Lovelace",
    goals: [
      {
        title: "Sleep better",
        why: "More energy for my kids in the morning",
        steps: [
          { title: "Screens off at 22:00", times: 1, periodDays: 1, chance: rising(0.45, 0.95) },
          { title: "Same wake-up time", times: 5, periodDays: 7, chance: rising(0.6, 0.9) },
        ],
        efficacy: (w) => 35 + w * 5,
        scale: {
          levels: [
            "Asleep after 1:00 most nights",
            "Asleep after midnight most nights",
            "Asleep by 23:30 on most nights",
            "Asleep by 23:00 on most nights",
            "Asleep by 23:00 every night",
          ],
          level: (w) =>
            w < 2
              ? AttainmentLevel.MUCH_LESS_THAN_EXPECTED
              : w < 4
                ? AttainmentLevel.LESS_THAN_EXPECTED
                : w < 7
                  ? AttainmentLevel.EXPECTED
                  : AttainmentLevel.MORE_THAN_EXPECTED,
        },
      },
      {
        title: "See friends again",
        why: "I miss them",
        steps: [{ title: "Message a friend", times: 2, periodDays: 7, chance: rising(0.4, 0.8) }],
        efficacy: (w) => 40 + w * 3,
      },
    ],
    notes: ["Read a book instead", "Hard evening, but made it", "Went to bed at 22:30"],
    earlyBird: true,
    sessionDaysAgo: 7,
    questionnaires: [
      { instrumentId: PHQ9, answers: (n) => phq9([17, 14, 11, 9, 6][n] ?? 6) },
      { instrumentId: GAD7, answers: (n) => gad7([13, 12, 9, 8, 6][n] ?? 6) },
    ],
    skill: {
      title: "Box breathing",
      category: SkillCategory.BREATHING,
      practice: (d, roll) => (roll < 0.4 ? [Math.round(55 + roll * 40), Math.round(45 - d / 3 + roll * 20)] : undefined),
    },
  },
  {
    name: "Ben Okafor",
    goals: [
      {
        title: "Return to work gradually",
        why: "Feel useful again",
        steps: [
          { title: "Morning walk", times: 1, periodDays: 1, chance: lastDays(6, 0.8, 0) },
          { title: "Call a colleague", times: 2, periodDays: 7, chance: lastDays(6, 0.7, 0) },
        ],
        efficacy: (w) => (w < 6 ? 72 : 45),
      },
    ],
    questionnaires: [{ instrumentId: PHQ9, answers: (n) => phq9([8, 7, 9, 12, 15][n] ?? 15) }],
  },
  {
    name: "Chloé Martin",
    goals: [
      {
        title: "Fewer panic attacks",
        why: "Take the train to work again",
        steps: [{ title: "Breathing exercise, 10 minutes", times: 1, periodDays: 1, chance: lastDays(10, 0.6, 0.3) }],
        efficacy: (w) => 50 - w,
      },
    ],
    questionnaires: [
      { instrumentId: PHQ9, answers: (n) => (n < 4 ? phq9([12, 13, 13, 14][n] ?? 14) : phq9(16, 1)) },
    ],
    skill: {
      title: "5-4-3-2-1 grounding",
      category: SkillCategory.GROUNDING,
      practice: (_, roll) => (roll < 0.3 ? [Math.round(70 + roll * 30), Math.round(50 + roll * 30)] : undefined),
    },
  },
  {
    name: "Dev Patel",
    goals: [
      {
        title: "Run 5 km without stopping",
        why: "Prove to myself I can",
        steps: [
          { title: "Run", times: 3, periodDays: 7, chance: () => 0.85 },
          { title: "Stretch after work", times: 1, periodDays: 1, chance: () => 0.75 },
        ],
        efficacy: (w) => 58 + w * 4,
      },
    ],
    earlyBird: true,
    questionnaires: [{ instrumentId: GAD7, answers: (n) => (n < 3 ? gad7([7, 5, 4][n] ?? 4) : undefined) }],
  },
  {
    name: "Elena García",
    goals: [
      {
        title: "Drink less",
        why: "Sleep through the night",
        steps: [{ title: "Alcohol-free day", times: 4, periodDays: 7, chance: () => 0.7 }],
        efficacy: (w) => 55 + (w % 3),
      },
    ],
  },
];

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "stepwise-screenshots-"));
  const dataDir = path.join(dir, "data");
  const log = path.join(dir, "server.log");
  try {
    // Eight weeks ago: the therapist, the clients, their goals and steps.
    const past = await startServer(BINARY, log, {
      dataDir,
      env: { LD_PRELOAD: LIBFAKETIME, FAKETIME: `-${DAYS}d` },
    });
    const admin = api(past.url, past.adminToken);
    const made = await createAccount(past.url, admin, {
      role: Role.THERAPIST,
      displayName: "Dr. Maya Rivera",
      timeZone: "UTC",
    });
    const therapist = api(past.url, made.token);
    const people = [];
    for (const plan of CLIENTS) {
      const invite = await therapist.care.createInvite({});
      const signedUp = await signUpWithInvite(past.url, invite.code, plan.name);
      const client = api(past.url, signedUp.token);
      const goals = [];
      for (const goalPlan of plan.goals) {
        const levels = goalPlan.scale?.levels;
        const goal = await client.goals.createGoal({
          goal: {
            title: goalPlan.title,
            why: goalPlan.why,
            attainmentScale: levels && {
              muchLessThanExpected: levels[0],
              lessThanExpected: levels[1],
              expected: levels[2],
              moreThanExpected: levels[3],
              muchMoreThanExpected: levels[4],
              weight: 1,
              baselineLevel: AttainmentLevel.MUCH_LESS_THAN_EXPECTED,
            },
          },
        });
        const steps = [];
        for (const stepPlan of goalPlan.steps) {
          const step = await client.goals.createActionStep({
            actionStep: {
              goalId: goal.id,
              title: stepPlan.title,
              schedule: { times: stepPlan.times, periodDays: stepPlan.periodDays },
            },
          });
          steps.push({ plan: stepPlan, id: step.id });
        }
        goals.push({ plan: goalPlan, id: goal.id, steps });
      }
      for (const questionnaire of plan.questionnaires ?? []) {
        await therapist.assessments.assignAssessment({
          assignment: { clientId: signedUp.id, instrumentId: questionnaire.instrumentId, everyDays: 14 },
        });
      }
      const skill = plan.skill
        ? await client.skills.createSkill({ skill: { title: plan.skill.title, category: plan.skill.category } })
        : undefined;
      people.push({ plan, id: signedUp.id, token: signedUp.token, goals, skillId: skill?.id });
    }
    await past.stop();

    // Each day of the eight weeks, in that day's present: its check-ins,
    // and on the last day of each week a rating of every goal.
    const pick = random(20261126);
    let now = past;
    for (let d = 1; d <= DAYS; d++) {
      const daysAgo = DAYS - d;
      now = await startServer(BINARY, log, {
        dataDir,
        env: daysAgo > 0 ? { LD_PRELOAD: LIBFAKETIME, FAKETIME: `-${daysAgo}d` } : {},
      });
      for (const person of people) {
        const client = api(now.url, person.token);
        for (const goal of person.goals) {
          for (const step of goal.steps) {
            const due = step.plan.periodDays === 1 || pick() < step.plan.times / step.plan.periodDays;
            const chance = step.plan.chance(d);
            const roll = pick();
            // Today, only some have checked in yet.
            if (!due || chance === 0 || (daysAgo === 0 && !person.plan.earlyBird)) continue;
            const state =
              roll < chance
                ? CheckInState.DONE
                : roll < chance + 0.1
                  ? CheckInState.PARTIAL
                  : roll < chance + 0.15
                    ? CheckInState.SKIPPED
                    : undefined;
            if (state === undefined) continue;
            const notes = person.plan.notes ?? [];
            const note = notes.length > 0 && pick() < 0.2 ? (notes[d % notes.length] ?? "") : "";
            await client.progress.logCheckIn({
              checkIn: {
                actionStepId: step.id,
                localDate: utcDate(-daysAgo),
                state,
                note,
                privateNote: note !== "" && pick() < 0.3,
              },
            });
          }
          if (d % 7 === 0) {
            await client.progress.recordEfficacyRating({
              rating: {
                target: { case: "goalId", value: goal.id },
                score: Math.max(0, Math.min(100, Math.round(goal.plan.efficacy(d / 7 - 1)))),
              },
            });
            if (goal.plan.scale) {
              await client.progress.recordAttainment({
                rating: { goalId: goal.id, level: goal.plan.scale.level(d / 7 - 1) },
              });
            }
          }
        }
        // Questionnaires on their due days (day 0, 14, 28, ...; the
        // first due day's answers come on day 1, the first day served).
        if (d === 1 || d % 14 === 0) {
          for (const questionnaire of person.plan.questionnaires ?? []) {
            const answers = questionnaire.answers(Math.floor(d / 14));
            if (!answers) continue;
            await client.assessments.submitAssessment({
              result: { instrumentId: questionnaire.instrumentId, localDate: utcDate(-daysAgo), answers },
            });
          }
        }
        if (person.plan.sessionDaysAgo === daysAgo) {
          await api(now.url, made.token).care.recordSession({
            session: { clientId: person.id, sessionTime: timestampFromMs(Date.now() - daysAgo * 24 * 3600 * 1000) },
          });
        }
        const practice = person.skillId ? person.plan.skill?.practice(d, pick()) : undefined;
        if (person.skillId && practice) {
          await client.skills.logSkillPractice({
            skillPractice: {
              skillId: person.skillId,
              localDate: utcDate(-daysAgo),
              distressBefore: Math.min(100, practice[0]),
              distressAfter: Math.max(0, Math.min(100, practice[1])),
              durationMinutes: 5,
            },
          });
        }
      }
      if (daysAgo > 0) await now.stop();
    }

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 620 }, locale: "en-GB" });
      await page.goto(now.url);
      await page.getByLabel("Therapist token").fill(made.token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("Live updates on").waitFor();
      await page.locator("table.caseload-table tbody tr").nth(CLIENTS.length - 1).waitFor();
      await page.waitForTimeout(500);
      await mkdir(OUT, { recursive: true });
      await page.screenshot({ path: path.join(OUT, "caseload.png") });
      await page.getByRole("link", { name: "Ada Lovelace" }).click();
      await page.getByRole("heading", { name: "Self-efficacy" }).waitFor();
      await page.setViewportSize({ width: 1280, height: 1700 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(OUT, "client.png") });
      console.log(`wrote ${path.join(OUT, "caseload.png")} and ${path.join(OUT, "client.png")}`);
    } finally {
      await browser.close();
      await now.stop();
    }
  } finally {
    if (process.env.KEEP !== "1") await rm(dir, { recursive: true, force: true });
  }
}

await main();
