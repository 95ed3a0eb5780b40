// The dashboard's shell: sign-in and sign-out, the live stream, and the
// views behind hash URLs (#/, #/client/<id>, #/invites), so the server only
// ever serves one page and no token or client data is ever in a path.

import "./style.css";
import { accounts } from "./api";
import { Caseload } from "./data/caseload";
import { el, replace } from "./dom";
import { explain, type Problem } from "./errors";
import { addDays, today } from "./format";
import type { Account } from "./gen/stepwise/v1/account_pb";
import { Role } from "./gen/stepwise/v1/account_pb";
import { CareLinkState } from "./gen/stepwise/v1/care_pb";
import type { Change } from "./gen/stepwise/v1/sync_service_pb";
import { type LiveState, watch } from "./live";
import { forgetToken, token } from "./session";
import { caseloadView } from "./views/caseload";
import { clientView } from "./views/client";
import type { LiveListeners, View } from "./views/common";
import { invitesView } from "./views/invites";
import { signInView } from "./views/signin";

interface Session {
  account: Account;
  caseload: Caseload;
  live: LiveListeners;
  stop: AbortController;
}

let session: Session | undefined;
let current: View | undefined;
let signInNotice: string | undefined;

const who = el("p", { class: "who" });
const liveStatus = el("p", { class: "live-status", role: "status" });
const nav = el(
  "nav",
  { "aria-label": "Main" },
  el(
    "ul",
    null,
    el("li", null, el("a", { href: "#/" }, "Caseload")),
    el("li", null, el("a", { href: "#/invites" }, "Invite a client")),
  ),
);
const sessionBox = el(
  "div",
  { class: "session" },
  who,
  liveStatus,
  el("button", { type: "button", class: "quiet", on: { click: () => signOut() } }, "Sign out"),
);
const header = el("header", { class: "top" }, el("p", { class: "brand" }, "Stepwise"), nav, sessionBox);
// Problems of the whole dashboard (the live connection); views show their own.
const banner = el("div", { class: "banner", role: "alert" });
const viewBox = el("div", { class: "view" });
const main = el("main", { id: "main" }, banner, viewBox);

/** Handles what no single view can: a token the server no longer accepts. */
function onProblem(problem: Problem): boolean {
  if (problem.kind !== "signed-out") return false;
  signOut(problem.message);
  return true;
}

function signOut(notice?: string): void {
  session?.stop.abort();
  session = undefined;
  forgetToken();
  signInNotice = notice;
  replace(banner);
  route();
}

function startSession(account: Account): void {
  const stop = new AbortController();
  const caseload = new Caseload(onProblem);
  const live: LiveListeners = new Set();
  session = { account, caseload, live, stop };
  signInNotice = undefined;
  let connects = 0;
  caseload.refresh(true);
  void watch(stop.signal, {
    event(event) {
      if (event.kind === "connected") {
        // Whatever changed while no stream was open; the first connect only
        // closes the gap since the first load.
        caseload.refresh(connects++ > 0);
      } else if (event.kind === "link") {
        if (event.link.state === CareLinkState.REVOKED) caseload.unlinked(event.clientId);
        else caseload.linked(event.clientId);
      } else {
        caseload.refresh(changesPastWeeks(event.change));
      }
      for (const listener of live) listener(event);
    },
    state(state) {
      showLive(state);
    },
    fatal(problem) {
      if (!onProblem(problem)) replace(banner, el("p", { class: "notice notice-error" }, problem.message));
    },
  });
  route();
}

/** Whether a change can alter the adherence of weeks before this one. */
function changesPastWeeks(change: Change): boolean {
  const entity = change.entity;
  return entity.case === "checkIn" && entity.value.localDate < addDays(today(), -6);
}

function showLive(state: LiveState): void {
  liveStatus.dataset.state = state.state;
  if (state.state === "live") {
    replace(liveStatus, "Live updates on");
    replace(banner);
  } else if (state.state === "connecting") {
    replace(liveStatus, "Connecting live updates…");
  } else {
    replace(liveStatus, "Live updates paused");
    replace(
      banner,
      el(
        "p",
        { class: "notice notice-error" },
        `${state.problem.message} Trying again in ${state.inSeconds} ${state.inSeconds === 1 ? "second" : "seconds"}.`,
      ),
    );
  }
}

const CLIENT_ROUTE = /^#\/client\/([0-9A-Za-z-]{1,64})$/;

function route(moveFocus = false): void {
  current?.dispose();
  const signedIn = session !== undefined;
  header.classList.toggle("signed-out", !signedIn);
  nav.hidden = !signedIn;
  sessionBox.hidden = !signedIn;
  let title = "Stepwise";
  if (!session) {
    current = signInView(signInNotice, startSession);
    title = "Sign in · Stepwise";
  } else {
    replace(who, "Signed in as ", el("strong", null, session.account.displayName));
    const hash = location.hash;
    const client = CLIENT_ROUTE.exec(hash)?.[1];
    if (client) {
      current = clientView(client, session.account.id, session.caseload, session.live, onProblem);
      title = `${session.caseload.client(client)?.displayName ?? "Client"} · Stepwise`;
    } else if (hash === "#/invites") {
      current = invitesView(onProblem);
      title = "Invite a client · Stepwise";
    } else {
      current = caseloadView(session.caseload);
      title = "Caseload · Stepwise";
    }
  }
  for (const link of nav.querySelectorAll("a")) {
    const here = link.getAttribute("href") === (location.hash || "#/");
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = title;
  replace(viewBox, current.node);
  if (moveFocus) {
    // Tell screen readers the page changed: focus the new view's heading.
    const heading = viewBox.querySelector("h1");
    heading?.setAttribute("tabindex", "-1");
    heading?.focus();
  }
}

/** Restores a session from this tab's token, if it still works. */
async function resume(): Promise<void> {
  if (!token()) {
    route();
    return;
  }
  replace(viewBox, el("p", { class: "loading" }, "Signing in…"));
  try {
    const account = await accounts.getCurrentAccount({});
    if (account.role === Role.THERAPIST) {
      startSession(account);
      return;
    }
    signOut("This token does not belong to a therapist account. Sign in with a therapist's token.");
  } catch (error) {
    const problem = explain(error);
    if (problem.kind === "signed-out" || problem.kind === "forbidden") {
      signOut(problem.message);
      return;
    }
    replace(
      viewBox,
      el("h1", null, "Stepwise"),
      el("p", { class: "notice notice-error", role: "alert" }, problem.message),
      el("button", { type: "button", class: "primary", on: { click: () => void resume() } }, "Try again"),
    );
  }
}

const app = document.getElementById("app");
if (app) {
  app.replaceChildren(header, main);
  window.addEventListener("hashchange", () => route(true));
  void resume();
}
