// The caseload: a summary of every actively linked client
// (CareService.ListClientSummaries), and their weekly adherence over the last
// weeks for the sparklines (the same call, as of earlier days).
//
// Each ListClientSummaries call records an access event for every client on
// it, so the history is reloaded only when it can have changed much: on
// sign-in, after a reconnect, for a new link, or for a check-in dated before
// this week. Other live changes reload today's summaries alone.

import { type ClientSummary, Flag } from "../gen/stepwise/v1/care_service_pb";
import { allPages, care, PAGE_SIZE } from "../api";
import { explain, type Problem } from "../errors";
import { addDays, today } from "../format";
import { coalesced } from "../tasks";

/** Weeks in the adherence sparkline, this week included. */
export const WEEKS = 8;

/** How much each flag weighs among clients of the same severity. */
const FLAG_WEIGHT: Record<Flag, number> = {
  [Flag.UNSPECIFIED]: 0,
  [Flag.SELF_HARM_RISK]: 64,
  [Flag.NO_SAFETY_PLAN]: 32,
  [Flag.RELIABLE_DETERIORATION]: 16,
  [Flag.EFFICACY_DROP]: 8,
  [Flag.INACTIVE]: 4,
  [Flag.LOW_ADHERENCE]: 2,
  [Flag.ASSESSMENT_OVERDUE]: 1,
};

/**
 * Orders clients by need for attention: the server's severity (a risk of
 * self-harm first, then worse symptoms, then a drop in self-efficacy, then
 * the rest), then the weight of their flags, then lower 7-day adherence,
 * then name.
 */
export function byNeedForAttention(a: ClientSummary, b: ClientSummary): number {
  const weight = (s: ClientSummary) => s.flags.reduce((sum, flag) => sum + FLAG_WEIGHT[flag], 0);
  return (
    b.severity - a.severity ||
    weight(b) - weight(a) ||
    (a.adherence7d ?? 2) - (b.adherence7d ?? 2) ||
    a.displayName.localeCompare(b.displayName) ||
    a.clientId.localeCompare(b.clientId)
  );
}

/** Loads and keeps the caseload; views subscribe to its changes. */
export class Caseload {
  /** The clients, most in need of attention first. */
  clients: ClientSummary[] = [];
  /** Weekly 7-day adherence per client, oldest first, this week last. */
  readonly history = new Map<string, (number | undefined)[]>();
  /** Whether the first load finished. */
  loaded = false;
  /** Why the last load failed, while it did. */
  problem: Problem | undefined;
  /** When the summaries were last loaded. */
  updatedAt: Date | undefined;

  private wantHistory = true;
  // Clients whose link a live event revoked: a load that started before
  // the revocation must not bring them back.
  private readonly revoked = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readonly run = coalesced(() => this.load(), 1000);

  /** `onProblem` may handle a failure globally (sign out) and return true. */
  constructor(private readonly onProblem: (problem: Problem) => boolean) {}

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The summary of one client, if linked. */
  client(clientId: string): ClientSummary | undefined {
    return this.clients.find((c) => c.clientId === clientId);
  }

  /** Reloads the summaries soon, and the weekly history too if asked. */
  refresh(history = false): void {
    if (history) this.wantHistory = true;
    this.run();
  }

  /** A client's link was made (again). */
  linked(clientId: string): void {
    this.revoked.delete(clientId);
    this.refresh(true);
  }

  /** A client's link was revoked: they leave the caseload at once. */
  unlinked(clientId: string): void {
    this.revoked.add(clientId);
    this.clients = this.clients.filter((c) => c.clientId !== clientId);
    this.history.delete(clientId);
    this.notify();
  }

  private async load(): Promise<void> {
    const withHistory = this.wantHistory;
    this.wantHistory = false;
    let missingHistory = false;
    try {
      const day = today();
      const [current, ...past] = await Promise.all([
        summaries(""),
        ...(withHistory
          ? Array.from({ length: WEEKS - 1 }, (_, k) => summaries(addDays(day, -7 * (k + 1))))
          : []),
      ]);
      const clients = (current ?? []).filter((c) => !this.revoked.has(c.clientId));
      for (const client of clients) {
        let weeks = this.history.get(client.clientId);
        if (withHistory) {
          weeks = past
            .map((page) => page.find((c) => c.clientId === client.clientId)?.adherence7d)
            .reverse();
        } else if (!weeks) {
          weeks = new Array<number | undefined>(WEEKS - 1).fill(undefined);
          missingHistory = true;
        }
        this.history.set(client.clientId, [...weeks.slice(-(WEEKS - 1)), client.adherence7d]);
      }
      for (const id of this.history.keys()) {
        if (!clients.some((c) => c.clientId === id)) this.history.delete(id);
      }
      this.clients = clients.sort(byNeedForAttention);
      this.loaded = true;
      this.problem = undefined;
      this.updatedAt = new Date();
    } catch (error) {
      if (withHistory) this.wantHistory = true;
      const problem = explain(error);
      if (!this.onProblem(problem)) this.problem = problem;
    }
    this.notify();
    // A client who appeared without a live link event (a link made while
    // the stream was reconnecting) still gets their sparkline.
    if (missingHistory) this.refresh(true);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

async function summaries(asOfDate: string): Promise<ClientSummary[]> {
  return await allPages(async (pageToken) => {
    const page = await care.listClientSummaries({ pageSize: PAGE_SIZE, pageToken, asOfDate });
    return { items: page.clientSummaries, next: page.nextPageToken };
  });
}
