// Failures as people read them: every error of a call becomes one of a few
// kinds, each with a plain sentence that says what happened and what to do.

import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";

/** What went wrong, as far as the dashboard acts on it. */
export type ProblemKind =
  | "signed-out" // the token is unknown or revoked: sign in again
  | "offline" // the server cannot be reached, or is restarting
  | "revoked" // the client ended the care link
  | "forbidden" // this account may not do this (not a therapist)
  | "not-found" // the record is gone, or no longer shared
  | "refused" // the server refused what was sent or asked (bad input, a stale copy)
  | "busy" // too many streams, or the server sheds load
  | "timeout" // the server took too long
  | "canceled" // the dashboard itself gave up (navigated away)
  | "server"; // anything else

/** A failure and the sentence to show for it. */
export interface Problem {
  kind: ProblemKind;
  message: string;
}

/** The `google.rpc.ErrorInfo` reason the server attached, if any. */
export function reasonOf(error: ConnectError): string | undefined {
  return error.findDetails(ErrorInfoSchema)[0]?.reason;
}

/** Whether a failed call never reached the server (or its answer never came). */
function isNetworkFailure(error: ConnectError): boolean {
  // fetch rejects with a TypeError ("Failed to fetch", "network error") when
  // the connection fails; connect-web reports it as UNKNOWN with that cause.
  return error.code === Code.Unknown && error.cause instanceof TypeError;
}

/** Why the server no longer accepts the sign-in, by ErrorInfo reason. */
function signedOut(why: string | undefined): string {
  switch (why) {
    case "TOKEN_EXPIRED":
      return "Your token has expired. Sign in again with a current therapist token.";
    case "TOKEN_REVOKED":
      return "Your token was revoked. Sign in again with a current therapist token.";
    case "ACCOUNT_DISABLED":
      return "Your account is disabled. Ask your administrator; your data stays as it is.";
    default:
      return "The server does not accept your sign-in: the token is unknown or was revoked. Sign in again with a current therapist token.";
  }
}

/** Why the server refused a change in the state things are in. */
function refusedBecause(why: string | undefined): string {
  switch (why) {
    case "INVITE_USED":
      return "This invite was already used: the client is linked to you, so it cannot be cancelled.";
    case "INVITE_EXPIRED":
      return "This invite has expired. Create a new one.";
    case "NO_ATTAINMENT_SCALE":
      return "This goal has no attainment scale, so it cannot be rated.";
    default:
      return "The server cannot do this right now, in the state the records are in. Reload the page and try again.";
  }
}

/**
 * Explains a failed call. `about` names the client a call was about, for
 * messages such as "Ada no longer shares their data with you".
 */
export function explain(reason: unknown, about = "This client"): Problem {
  const error = ConnectError.from(reason);
  const why = reasonOf(error);
  if (isNetworkFailure(error)) {
    return {
      kind: "offline",
      message:
        "Cannot reach the Stepwise server. Check your network connection; the dashboard keeps trying.",
    };
  }
  switch (error.code) {
    case Code.Unauthenticated:
      return { kind: "signed-out", message: signedOut(why) };
    case Code.Unavailable:
      return {
        kind: "offline",
        message:
          why === "SHUTTING_DOWN"
            ? "The Stepwise server is restarting. The dashboard reconnects by itself."
            : "The Stepwise server is not available right now. The dashboard keeps trying.",
      };
    case Code.PermissionDenied:
      return why === "ACCESS_REVOKED"
        ? {
            kind: "revoked",
            message: `${about} no longer shares their data with you: the care link was revoked.`,
          }
        : {
            kind: "forbidden",
            message:
              "This account may not do that. The dashboard is for therapist accounts; sign in with a therapist's token.",
          };
    case Code.NotFound:
      return {
        kind: "not-found",
        message:
          why === "INVITE_NOT_FOUND"
            ? "This invite code is no longer pending: it was used, cancelled or has expired."
            : `${about}'s data is not available to you. The care link may have been revoked.`,
      };
    case Code.InvalidArgument:
      return {
        kind: "refused",
        message: "The server did not accept what was entered. Check the form and try again.",
      };
    case Code.FailedPrecondition:
      return { kind: "refused", message: refusedBecause(why) };
    case Code.AlreadyExists:
      return { kind: "refused", message: "This was already saved. Reload the page to see it." };
    case Code.Aborted:
      return {
        kind: "refused",
        message: "Someone changed this in the meantime. The page shows the latest version; try again.",
      };
    case Code.ResourceExhausted:
      return {
        kind: "busy",
        message:
          why === "TOO_MANY_STREAMS"
            ? "Too many Stepwise windows are open with this account. Close some of them, then reload this page."
            : "The server is busy. Try again in a moment.",
      };
    case Code.DeadlineExceeded:
      return { kind: "timeout", message: "The server took too long to answer. Try again." };
    case Code.Canceled:
      return { kind: "canceled", message: "The request was cancelled." };
    default:
      return {
        kind: "server",
        message: `Something went wrong on the server (${Code[error.code]}). Try again; if it keeps happening, tell your administrator.`,
      };
  }
}
