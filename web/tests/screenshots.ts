// `npm run screenshots`: the README's pictures of the dashboard, with eight
// weeks of practice behind each client. Progress counts from the day a step
// was created, and the server's clock sets that day, so the steps are made by
// a server started under libfaketime (Debian's `libfaketime`) eight weeks ago;
// the same data dir is then served once for each day since, in that day's
// present, where the clients check in and rate as they would have. Writes
// screenshots/caseload.png and screenshots/client.png. Not part of CI: the
// pictures are committed.

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { Role } from "../src/gen/stepwise/v1/account_pb";
import { CheckInState } from "../src/gen/stepwise/v1/check_in_pb";
import { api, utcDate } from "./seed";
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

interface ClientPlan {
  name: string;
  goals: { title: string; why: string; steps: StepPlan[]; efficacy: (week: number) => number }[];
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
    const made = await admin.accounts.createAccount({
      account: { role: Role.THERAPIST, displayName: "Dr. Maya Rivera", timeZone: "UTC" },
    });
    const therapist = api(past.url, made.token);
    const people = [];
    for (const plan of CLIENTS) {
      const invite = await therapist.care.createInvite({});
      const signedUp = await api(past.url, "").accounts.signUpWithInvite({
        code: invite.code,
        displayName: plan.name,
        timeZone: "UTC",
      });
      const client = api(past.url, signedUp.token);
      const goals = [];
      for (const goalPlan of plan.goals) {
        const goal = await client.goals.createGoal({ goal: { title: goalPlan.title, why: goalPlan.why } });
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
      people.push({ plan, token: signedUp.token, goals });
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
          }
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
