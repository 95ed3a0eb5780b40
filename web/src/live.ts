// Live updates: one CareService.WatchClients stream for the whole dashboard,
// reopened with backoff when it breaks. Every (re)connect is reported as
// "connected" as soon as the server answers the call (its response headers):
// the server takes its place in every client's changes before it answers, so
// from then on changes arrive, and the views can reload whatever changed
// while no stream was open. Waiting for a first message instead would leave
// an idle caseload "connecting" until the server's first heartbeat.

import { care } from "./api";
import { explain, type Problem } from "./errors";
import type { CareLink } from "./gen/stepwise/v1/care_pb";
import type { Change } from "./gen/stepwise/v1/sync_service_pb";

/** Something the stream reported. */
export type LiveEvent =
  | { kind: "connected" }
  | { kind: "change"; clientId: string; change: Change }
  | { kind: "link"; clientId: string; link: CareLink };

/** Whether updates are flowing. */
export type LiveState =
  | { state: "connecting" }
  | { state: "live" }
  | { state: "retrying"; problem: Problem; inSeconds: number };

/** Callbacks of [`watch`]. */
export interface LiveHandlers {
  event(event: LiveEvent): void;
  state(state: LiveState): void;
  /** A failure that retrying cannot fix (the token was revoked, ...). */
  fatal(problem: Problem): void;
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/** Watches the therapist's clients until `signal` aborts. */
export async function watch(signal: AbortSignal, on: LiveHandlers): Promise<void> {
  let retryMs = FIRST_RETRY_MS;
  while (!signal.aborted) {
    on.state({ state: "connecting" });
    let problem: Problem = {
      kind: "offline",
      message: "The live connection to the server closed. Reconnecting.",
    };
    try {
      const onHeader = () => {
        on.state({ state: "live" });
        on.event({ kind: "connected" });
      };
      // No deadline: the stream stays open as long as the page does.
      for await (const message of care.watchClients({}, { signal, timeoutMs: 0, onHeader })) {
        // The backoff starts over once the stream delivered something (a
        // heartbeat at the latest), so a server that answers and then fails
        // at once is still tried ever more slowly.
        retryMs = FIRST_RETRY_MS;
        const event = message.event;
        if (event.case === "change") {
          on.event({ kind: "change", clientId: message.clientId, change: event.value });
        } else if (event.case === "careLink") {
          on.event({ kind: "link", clientId: message.clientId, link: event.value });
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      problem = explain(error);
      if (problem.kind === "signed-out" || problem.kind === "forbidden") {
        on.fatal(problem);
        return;
      }
    }
    if (signal.aborted) return;
    on.state({ state: "retrying", problem, inSeconds: Math.round(retryMs / 1000) });
    await sleep(retryMs, signal);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
