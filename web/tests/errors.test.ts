// How failures read: the sentence for each kind of error the server sends,
// with the google.rpc.ErrorInfo reason it attaches.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { explain } from "../src/errors";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb";

function failure(code: Code, reason?: string): ConnectError {
  const details = reason ? [{ desc: ErrorInfoSchema, value: { reason, domain: "stepwise.v1" } }] : [];
  return new ConnectError("from the server", code, undefined, details);
}

test("a revoked link names the client; a refused role says who the dashboard is for", () => {
  const revoked = explain(failure(Code.PermissionDenied, "ACCESS_REVOKED"), "Ada");
  assert.equal(revoked.kind, "revoked");
  assert.match(revoked.message, /^Ada no longer shares their data with you/);
  const forbidden = explain(failure(Code.PermissionDenied, "PERMISSION_DENIED"));
  assert.equal(forbidden.kind, "forbidden");
  assert.match(forbidden.message, /therapist/);
});

test("an unknown token asks to sign in again", () => {
  const problem = explain(failure(Code.Unauthenticated, "UNAUTHENTICATED"));
  assert.equal(problem.kind, "signed-out");
  assert.match(problem.message, /Sign in again/);
});

test("an expired or revoked token and a disabled account each say so", () => {
  const expired = explain(failure(Code.Unauthenticated, "TOKEN_EXPIRED"));
  assert.equal(expired.kind, "signed-out");
  assert.match(expired.message, /^Your token has expired/);
  assert.match(explain(failure(Code.Unauthenticated, "TOKEN_REVOKED")).message, /^Your token was revoked/);
  assert.match(explain(failure(Code.Unauthenticated, "ACCOUNT_DISABLED")).message, /administrator/);
});

test("a network failure and a restarting server both say the dashboard keeps trying", () => {
  const network = explain(new ConnectError("Failed to fetch", Code.Unknown, undefined, undefined, new TypeError("Failed to fetch")));
  assert.equal(network.kind, "offline");
  assert.match(network.message, /^Cannot reach the Stepwise server/);
  const restarting = explain(failure(Code.Unavailable, "SHUTTING_DOWN"));
  assert.equal(restarting.kind, "offline");
  assert.match(restarting.message, /restarting/);
});

test("too many open streams, a deadline and anything else have their own words", () => {
  assert.match(explain(failure(Code.ResourceExhausted, "TOO_MANY_STREAMS")).message, /Too many Stepwise windows/);
  assert.equal(explain(failure(Code.DeadlineExceeded)).kind, "timeout");
  const other = explain(failure(Code.Internal));
  assert.equal(other.kind, "server");
  assert.doesNotMatch(other.message, /from the server/, "the server's own words are not shown");
});

test("a refused form, a stale version and an invite's state each say what to do", () => {
  const invalid = explain(failure(Code.InvalidArgument, "INVALID_ARGUMENT"));
  assert.equal(invalid.kind, "refused");
  assert.match(invalid.message, /Check the form/);
  assert.match(explain(failure(Code.Aborted, "VERSION_MISMATCH")).message, /changed this in the meantime/);
  const used = explain(failure(Code.FailedPrecondition, "INVITE_USED"));
  assert.equal(used.kind, "refused");
  assert.match(used.message, /^This invite was already used/);
  assert.match(explain(failure(Code.FailedPrecondition, "INVITE_EXPIRED")).message, /expired/);
  const gone = explain(failure(Code.NotFound, "INVITE_NOT_FOUND"));
  assert.match(gone.message, /no longer pending/);
  assert.doesNotMatch(gone.message, /care link/, "an invite is not a client's data");
  assert.match(explain(failure(Code.NotFound, "NOT_FOUND"), "Ada").message, /^Ada's data is not available/);
});
