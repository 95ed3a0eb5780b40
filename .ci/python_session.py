#!/usr/bin/env python3
"""Scripted grpcio session against a running Stepwise server.

    python .ci/python_session.py ADDR ADMIN_TOKEN GENERATED_DIR

GENERATED_DIR holds the code generated from proto/ by
`python -m grpc_tools.protoc -I proto --python_out --grpc_python_out`.
Prints one line per check and exits non-zero on the first failure.
"""

import os
import sys
import uuid

if len(sys.argv) != 4:
    print(f"usage: {sys.argv[0]} ADDR ADMIN_TOKEN GENERATED_DIR", file=sys.stderr)
    sys.exit(2)

ADDR, ADMIN_TOKEN, GENERATED_DIR = sys.argv[1:4]
sys.path.insert(0, GENERATED_DIR)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from google.protobuf import field_mask_pb2  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402

import totp  # noqa: E402

from stepwise.v1 import (  # noqa: E402
    account_pb2,
    account_service_pb2,
    account_service_pb2_grpc,
    action_step_pb2,
    assessment_pb2,
    assessment_service_pb2,
    assessment_service_pb2_grpc,
    auth_service_pb2,
    auth_service_pb2_grpc,
    care_service_pb2,
    care_service_pb2_grpc,
    check_in_pb2,
    efficacy_rating_pb2,
    goal_pb2,
    goal_service_pb2,
    goal_service_pb2_grpc,
    insight_service_pb2,
    insight_service_pb2_grpc,
    progress_service_pb2,
    progress_service_pb2_grpc,
    session_pb2,
    skill_pb2,
    skill_service_pb2,
    skill_service_pb2_grpc,
    sync_service_pb2,
    sync_service_pb2_grpc,
    thought_record_pb2,
    token_pb2,
)

TIMEOUT = 15.0  # seconds per call
CHECKS = 0


class CheckFailed(Exception):
    pass


def ok(what):
    global CHECKS
    CHECKS += 1
    print(f"ok   - {what}", flush=True)


def check(cond, what):
    if not cond:
        raise CheckFailed(what)


def auth(token):
    return (("authorization", f"Bearer {token}"),)


def describe_error(err):
    return f"{err.code().name}: {err.details()!r}"


def expect_code(code, what, fn, *args, **kwargs):
    """Calls fn, which must fail with status `code`; returns the RpcError."""
    try:
        resp = fn(*args, timeout=TIMEOUT, **kwargs)
    except grpc.RpcError as err:
        if err.code() != code:
            raise CheckFailed(f"{what}: want {code.name}, got {describe_error(err)}") from None
        return err
    raise CheckFailed(f"{what}: want {code.name}, but the call succeeded: {resp!r}")


def call(what, fn, request, token):
    """Calls fn, which must succeed; returns the response."""
    try:
        return fn(request, metadata=auth(token), timeout=TIMEOUT)
    except grpc.RpcError as err:
        raise CheckFailed(f"{what}: unexpected error {describe_error(err)}") from None


PASSWORD = "python passphrase for tests"


def set_up(channel, created, what):
    """Sets up an account an administrator created (its setup code, a new
    email and PASSWORD) and returns the new device session's access token."""
    auth_service = auth_service_pb2_grpc.AuthServiceStub(channel)
    check(created.setup_code, f"{what}: empty setup_code")
    done = call(
        f"CompleteAccountSetup ({what})",
        auth_service.CompleteAccountSetup,
        auth_service_pb2.CompleteAccountSetupRequest(
            setup_code=created.setup_code,
            email=f"{uuid.uuid4().hex}@example.org",
            password=PASSWORD,
            device_label="python session",
        ),
        "",
    )
    check(done.tokens.access_token, f"{what}: empty access token")
    if done.account.role != account_pb2.ROLE_CLIENT:
        # Therapists read no client data without a second factor; totp.py
        # plays the authenticator app.
        began = call(
            f"BeginTotpEnrollment ({what})",
            auth_service.BeginTotpEnrollment,
            auth_service_pb2.BeginTotpEnrollmentRequest(),
            done.tokens.access_token,
        )
        confirmed = call(
            f"ConfirmTotpEnrollment ({what})",
            auth_service.ConfirmTotpEnrollment,
            auth_service_pb2.ConfirmTotpEnrollmentRequest(code=totp.code(began.provisioning_uri)),
            done.tokens.access_token,
        )
        check(len(confirmed.recovery_codes) == 10, f"{what}: {len(confirmed.recovery_codes)} recovery codes")
    return done.tokens.access_token


def main():
    channel = grpc.insecure_channel(ADDR)
    try:
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
    except grpc.FutureTimeoutError:
        raise CheckFailed(f"could not connect to {ADDR} within {TIMEOUT}s") from None

    accounts = account_service_pb2_grpc.AccountServiceStub(channel)
    goals = goal_service_pb2_grpc.GoalServiceStub(channel)
    progress = progress_service_pb2_grpc.ProgressServiceStub(channel)

    # --- accounts ---------------------------------------------------------
    def create_client(name):
        resp = call(
            "CreateAccount",
            accounts.CreateAccount,
            account_service_pb2.CreateAccountRequest(
                account=account_pb2.Account(
                    role=account_pb2.ROLE_CLIENT, display_name=name, time_zone="Europe/Berlin"
                )
            ),
            ADMIN_TOKEN,
        )
        check(resp.account.id, f"CreateAccount({name}): empty account.id")
        check(
            resp.account.role == account_pb2.ROLE_CLIENT,
            f"CreateAccount({name}): role {account_pb2.Role.Name(resp.account.role)}",
        )
        check(
            resp.account.display_name == name,
            f"CreateAccount({name}): display_name {resp.account.display_name!r}",
        )
        return resp.account, set_up(channel, resp, name)

    alice, alice_token = create_client("Alice (python session)")
    ok(f"CreateAccount (admin) -> client {alice.id}")

    me = call(
        "GetCurrentAccount",
        accounts.GetCurrentAccount,
        account_service_pb2.GetCurrentAccountRequest(),
        alice_token,
    )
    check(me.id == alice.id, f"GetCurrentAccount: id {me.id!r}, want {alice.id!r}")
    check(me.role == account_pb2.ROLE_CLIENT, f"GetCurrentAccount: role {me.role}")
    check(me.time_zone == "Europe/Berlin", f"GetCurrentAccount: time_zone {me.time_zone!r}")
    ok("GetCurrentAccount returns the caller")

    # --- goals ------------------------------------------------------------
    goal_id = str(uuid.uuid4())
    goal = call(
        "CreateGoal",
        goals.CreateGoal,
        goal_service_pb2.CreateGoalRequest(
            goal=goal_pb2.Goal(id=goal_id, title="Sleep better", why="More energy for my kids")
        ),
        alice_token,
    )
    check(goal.id == goal_id, f"CreateGoal: id {goal.id!r}, want the client-generated {goal_id!r}")
    check(goal.client_id == alice.id, f"CreateGoal: client_id {goal.client_id!r}, want {alice.id!r}")
    check(goal.title == "Sleep better", f"CreateGoal: title {goal.title!r}")
    check(goal.why == "More energy for my kids", f"CreateGoal: why {goal.why!r}")
    check(goal.status == goal_pb2.GOAL_STATUS_ACTIVE, f"CreateGoal: status {goal.status}")
    check(goal.version > 0, f"CreateGoal: version {goal.version}, want > 0")
    check(goal.HasField("create_time"), "CreateGoal: create_time not set")
    ok(f"CreateGoal with client-generated id {goal_id}")

    expect_code(
        grpc.StatusCode.ALREADY_EXISTS,
        "CreateGoal with a taken id",
        goals.CreateGoal,
        goal_service_pb2.CreateGoalRequest(goal=goal_pb2.Goal(id=goal_id, title="Duplicate")),
        metadata=auth(alice_token),
    )
    ok("CreateGoal with the same id -> ALREADY_EXISTS")

    got = call("GetGoal", goals.GetGoal, goal_service_pb2.GetGoalRequest(id=goal_id), alice_token)
    check(got == goal, f"GetGoal: {got!r} differs from the created goal {goal!r}")
    ok("GetGoal returns the created goal")

    all_ids = {goal_id}
    for i in range(4):
        extra = call(
            "CreateGoal",
            goals.CreateGoal,
            goal_service_pb2.CreateGoalRequest(goal=goal_pb2.Goal(title=f"Extra goal {i + 1}")),
            alice_token,
        )
        check(extra.id, "CreateGoal without id: server assigned no id")
        all_ids.add(extra.id)
    check(len(all_ids) == 5, f"expected 5 distinct goal ids, got {sorted(all_ids)}")

    seen = []
    pages = 0
    token = ""
    while True:
        pages += 1
        check(pages <= 10, "ListGoals: more than 10 pages for 5 goals with page_size=2")
        resp = call(
            "ListGoals",
            goals.ListGoals,
            goal_service_pb2.ListGoalsRequest(page_size=2, page_token=token),
            alice_token,
        )
        check(len(resp.goals) <= 2, f"ListGoals page {pages}: {len(resp.goals)} goals, page_size=2")
        seen.extend(g.id for g in resp.goals)
        token = resp.next_page_token
        if not token:
            break
        check(resp.goals, f"ListGoals page {pages}: empty page with a next_page_token")
    check(len(seen) == len(set(seen)), f"ListGoals: duplicates across pages: {seen}")
    check(set(seen) == all_ids, f"ListGoals: saw {sorted(seen)}, want {sorted(all_ids)}")
    check(seen == sorted(seen), f"ListGoals: not in order by id: {seen}")
    ok(f"ListGoals page_size=2: 5 goals in {pages} pages, each once, ordered by id")

    updated = call(
        "UpdateGoal",
        goals.UpdateGoal,
        goal_service_pb2.UpdateGoalRequest(
            goal=goal_pb2.Goal(id=goal_id, title="Sleep 7 hours", version=goal.version),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
        ),
        alice_token,
    )
    check(updated.title == "Sleep 7 hours", f"UpdateGoal: title {updated.title!r}")
    check(
        updated.version > goal.version,
        f"UpdateGoal: version {updated.version}, want > {goal.version}",
    )
    check(
        updated.why == goal.why,
        f"UpdateGoal with mask [title]: why changed from {goal.why!r} to {updated.why!r}",
    )
    check(updated.id == goal_id and updated.client_id == alice.id, "UpdateGoal: id/client_id changed")
    ok(f"UpdateGoal mask [title]: version {goal.version} -> {updated.version}, why unchanged")

    expect_code(
        grpc.StatusCode.ABORTED,
        "UpdateGoal with a stale version",
        goals.UpdateGoal,
        goal_service_pb2.UpdateGoalRequest(
            goal=goal_pb2.Goal(id=goal_id, title="Stale write", version=goal.version),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
        ),
        metadata=auth(alice_token),
    )
    after = call("GetGoal", goals.GetGoal, goal_service_pb2.GetGoalRequest(id=goal_id), alice_token)
    check(after.title == "Sleep 7 hours", f"stale UpdateGoal changed the title to {after.title!r}")
    ok("UpdateGoal with a stale version -> ABORTED (goal unchanged)")

    # --- action steps and check-ins --------------------------------------
    step = call(
        "CreateActionStep",
        goals.CreateActionStep,
        goal_service_pb2.CreateActionStepRequest(
            action_step=action_step_pb2.ActionStep(
                goal_id=goal_id,
                title="Screens off at 22:00",
                schedule=action_step_pb2.Schedule(times=3, period_days=7),
            )
        ),
        alice_token,
    )
    check(step.id, "CreateActionStep: empty id")
    check(step.goal_id == goal_id, f"CreateActionStep: goal_id {step.goal_id!r}")
    check(step.client_id == alice.id, f"CreateActionStep: client_id {step.client_id!r}")
    check(
        step.schedule.times == 3 and step.schedule.period_days == 7,
        f"CreateActionStep: schedule {step.schedule!r}",
    )
    check(
        step.status == action_step_pb2.ACTION_STEP_STATUS_ACTIVE,
        f"CreateActionStep: status {step.status}",
    )
    ok(f"CreateActionStep 3 per 7 days -> {step.id}")

    first = call(
        "LogCheckIn",
        progress.LogCheckIn,
        progress_service_pb2.LogCheckInRequest(
            check_in=check_in_pb2.CheckIn(
                action_step_id=step.id,
                local_date="2026-11-20",
                state=check_in_pb2.CHECK_IN_STATE_DONE,
                amount=30,
                note="Read a book instead",
            )
        ),
        alice_token,
    )
    check(first.id, "LogCheckIn: empty id")
    check(first.action_step_id == step.id, f"LogCheckIn: action_step_id {first.action_step_id!r}")
    check(first.client_id == alice.id, f"LogCheckIn: client_id {first.client_id!r}")
    check(first.local_date == "2026-11-20", f"LogCheckIn: local_date {first.local_date!r}")
    check(first.state == check_in_pb2.CHECK_IN_STATE_DONE, f"LogCheckIn: state {first.state}")
    check(first.amount == 30, f"LogCheckIn: amount {first.amount}")
    check(first.version > 0, f"LogCheckIn: version {first.version}")
    ok(f"LogCheckIn 2026-11-20 DONE -> {first.id} v{first.version}")

    second = call(
        "LogCheckIn",
        progress.LogCheckIn,
        progress_service_pb2.LogCheckInRequest(
            check_in=check_in_pb2.CheckIn(
                action_step_id=step.id,
                local_date="2026-11-20",
                state=check_in_pb2.CHECK_IN_STATE_PARTIAL,
            )
        ),
        alice_token,
    )
    check(second.id == first.id, f"LogCheckIn again: id {second.id!r}, want the same {first.id!r}")
    check(
        second.version > first.version,
        f"LogCheckIn again: version {second.version}, want > {first.version}",
    )
    check(
        second.state == check_in_pb2.CHECK_IN_STATE_PARTIAL,
        f"LogCheckIn again: state {second.state}",
    )
    ok(f"LogCheckIn same step and date PARTIAL -> same id, v{first.version} -> v{second.version}")

    listed = call(
        "ListCheckIns",
        progress.ListCheckIns,
        progress_service_pb2.ListCheckInsRequest(action_step_id=step.id),
        alice_token,
    )
    check(len(listed.check_ins) == 1, f"ListCheckIns: {len(listed.check_ins)} items, want 1")
    check(listed.check_ins[0] == second, f"ListCheckIns: {listed.check_ins[0]!r}, want {second!r}")
    check(not listed.next_page_token, "ListCheckIns: unexpected next_page_token")
    ok("ListCheckIns -> 1 check-in (the updated one)")

    # --- efficacy ratings ------------------------------------------------
    rating = call(
        "RecordEfficacyRating",
        progress.RecordEfficacyRating,
        progress_service_pb2.RecordEfficacyRatingRequest(
            rating=efficacy_rating_pb2.EfficacyRating(goal_id=goal_id, score=60)
        ),
        alice_token,
    )
    check(rating.id, "RecordEfficacyRating: empty id")
    check(rating.WhichOneof("target") == "goal_id", f"RecordEfficacyRating: target {rating.WhichOneof('target')}")
    check(rating.goal_id == goal_id, f"RecordEfficacyRating: goal_id {rating.goal_id!r}")
    check(rating.score == 60, f"RecordEfficacyRating: score {rating.score}")
    check(rating.client_id == alice.id, f"RecordEfficacyRating: client_id {rating.client_id!r}")
    check(rating.HasField("rate_time"), "RecordEfficacyRating: rate_time not defaulted")
    ok(f"RecordEfficacyRating goal score 60 -> {rating.id}")

    ratings = call(
        "ListEfficacyRatings",
        progress.ListEfficacyRatings,
        progress_service_pb2.ListEfficacyRatingsRequest(goal_id=goal_id),
        alice_token,
    )
    check(
        [r.id for r in ratings.efficacy_ratings] == [rating.id],
        f"ListEfficacyRatings: {[r.id for r in ratings.efficacy_ratings]}, want [{rating.id}]",
    )
    check(ratings.efficacy_ratings[0].score == 60, "ListEfficacyRatings: score changed")
    ok("ListEfficacyRatings -> the recorded rating")

    # --- invalid input: rich error details -------------------------------
    err = expect_code(
        grpc.StatusCode.INVALID_ARGUMENT,
        "CreateGoal with an empty title",
        goals.CreateGoal,
        goal_service_pb2.CreateGoalRequest(goal=goal_pb2.Goal(title="")),
        metadata=auth(alice_token),
    )
    trailers = dict(err.trailing_metadata() or ())
    check(
        "grpc-status-details-bin" in trailers,
        f"CreateGoal empty title: no grpc-status-details-bin trailer (trailers: {sorted(trailers)})",
    )
    try:
        status = rpc_status.from_call(err)
    except ValueError as exc:
        raise CheckFailed(f"CreateGoal empty title: grpc-status-details-bin does not match the status: {exc}") from None
    check(status is not None, "CreateGoal empty title: rpc_status.from_call returned None")
    check(
        status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0],
        f"CreateGoal empty title: google.rpc.Status.code {status.code}",
    )
    violations = [v for bad in details_of(status, error_details_pb2.BadRequest) for v in bad.field_violations]
    check(
        violations,
        "CreateGoal empty title: google.rpc.Status has no google.rpc.BadRequest detail "
        f"(detail types: {[d.type_url for d in status.details]})",
    )
    fields = [v.field for v in violations]
    check("goal.title" in fields, f"CreateGoal empty title: BadRequest field violations {fields}, want 'goal.title'")
    title_violation = next(v for v in violations if v.field == "goal.title")
    check(title_violation.description, "CreateGoal empty title: the goal.title violation has no description")
    ok(f"CreateGoal empty title -> INVALID_ARGUMENT with BadRequest goal.title ({title_violation.description!r})")

    # --- isolation between clients ---------------------------------------
    bob, bob_token = create_client("Bob (python session)")
    check(bob.id != alice.id, "second client got the same id as the first")
    expect_code(
        grpc.StatusCode.NOT_FOUND,
        "GetGoal of another client's goal",
        goals.GetGoal,
        goal_service_pb2.GetGoalRequest(id=goal_id),
        metadata=auth(bob_token),
    )
    ok("another client's GetGoal -> NOT_FOUND")

    # --- delete -----------------------------------------------------------
    current = call("GetGoal", goals.GetGoal, goal_service_pb2.GetGoalRequest(id=goal_id), alice_token)
    call(
        "DeleteGoal",
        goals.DeleteGoal,
        goal_service_pb2.DeleteGoalRequest(id=goal_id, version=current.version),
        alice_token,
    )
    expect_code(
        grpc.StatusCode.NOT_FOUND,
        "GetGoal after DeleteGoal",
        goals.GetGoal,
        goal_service_pb2.GetGoalRequest(id=goal_id),
        metadata=auth(alice_token),
    )
    ok("DeleteGoal, then GetGoal -> NOT_FOUND")

    # --- authentication --------------------------------------------------
    expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        "ListGoals without a token",
        goals.ListGoals,
        goal_service_pb2.ListGoalsRequest(),
    )
    expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        "GetCurrentAccount with a bogus token",
        accounts.GetCurrentAccount,
        account_service_pb2.GetCurrentAccountRequest(),
        metadata=auth("not-a-valid-token"),
    )
    ok("call without a token (or with a bogus one) -> UNAUTHENTICATED")

    offline_sync_session(channel, create_client)
    questionnaire_session(channel, create_client)
    skills_and_insight_session(channel, create_client)
    account_rights_session(channel, create_client)
    channel.close()


def offline_sync_session(channel, create_client):
    """A phone that was offline pushes its edits, retries after a lost
    response, and pulls; a second device's stale edit conflicts."""
    sync = sync_service_pb2_grpc.SyncServiceStub(channel)
    _, token = create_client("Carol (offline phone)")
    S = sync_service_pb2
    goal_id, step_id = str(uuid.uuid4()), str(uuid.uuid4())
    batch = S.PushRequest(
        device_id="carols-phone",
        mutations=[
            S.Mutation(mutation_id=str(uuid.uuid4()), base_version=0,
                       upsert_goal=goal_pb2.Goal(id=goal_id, title="Walk to work")),
            S.Mutation(mutation_id=str(uuid.uuid4()), base_version=0,
                       upsert_action_step=action_step_pb2.ActionStep(
                           id=step_id, goal_id=goal_id, title="Leave at 8",
                           schedule=action_step_pb2.Schedule(times=3, period_days=7))),
            S.Mutation(mutation_id=str(uuid.uuid4()), base_version=0,
                       upsert_check_in=check_in_pb2.CheckIn(
                           action_step_id=step_id, local_date="2026-11-24",
                           state=check_in_pb2.CHECK_IN_STATE_DONE, note="Sunny")),
            S.Mutation(mutation_id=str(uuid.uuid4()), base_version=0,
                       upsert_efficacy_rating=efficacy_rating_pb2.EfficacyRating(
                           goal_id=goal_id, score=140)),
        ],
    )
    first = call("Push", sync.Push, batch, token)
    outcomes = [S.Outcome.Name(r.outcome) for r in first.results]
    want = ["OUTCOME_APPLIED"] * 3 + ["OUTCOME_REJECTED"]
    check(outcomes == want, f"Push outcomes {outcomes}, want {want}")
    check(
        [v.field for v in first.results[3].field_violations] == ["rating.score"],
        f"rejected rating: violations {first.results[3].field_violations}",
    )
    ok("Push of an offline batch: 3 applied, the invalid rating rejected and the rest unaffected")

    # The phone never saw the answer and sends the same batch again.
    replay = call("Push (replay)", sync.Push, batch, token)
    check(replay == first, "replayed Push returned different results")
    ok("replaying the Push returns identical results")

    changes, cursor = [], ""
    while True:
        page = call("Pull", sync.Pull, S.PullRequest(cursor=cursor, page_size=2), token)
        changes.extend(page.changes)
        cursor = page.next_cursor
        if not page.has_more:
            break
    kinds = sorted(c.WhichOneof("entity") for c in changes)
    check(kinds == ["action_step", "check_in", "goal"], f"pulled {kinds}, want one goal, step and check-in")
    ok("Pull in pages of 2 returns each record once, nothing applied twice")

    goal = next(c.goal for c in changes if c.WhichOneof("entity") == "goal")
    edit = lambda mid, title: S.PushRequest(device_id="carols-tablet", mutations=[S.Mutation(
        mutation_id=mid, base_version=goal.version,
        upsert_goal=goal_pb2.Goal(id=goal_id, title=title))])
    applied = call("Push (edit)", sync.Push, edit(str(uuid.uuid4()), "Walk to work daily"), token)
    stale = call("Push (stale edit)", sync.Push, edit(str(uuid.uuid4()), "Cycle to work"), token)
    check(S.Outcome.Name(applied.results[0].outcome) == "OUTCOME_APPLIED", "first edit not applied")
    check(S.Outcome.Name(stale.results[0].outcome) == "OUTCOME_CONFLICT", "stale edit did not conflict")
    check(stale.results[0].current.goal.title == "Walk to work daily", "conflict lacks the server's copy")
    ok("an edit from a stale base -> OUTCOME_CONFLICT carrying the server's copy")

    page = call("Pull (incremental)", sync.Pull, S.PullRequest(cursor=cursor), token)
    check([c.goal.title for c in page.changes] == ["Walk to work daily"], f"incremental pull {page.changes}")
    ok("Pull from the saved cursor returns only the change since")


def details_of(status, kind):
    """The details of a google.rpc.Status (None for none) that are `kind`
    messages, e.g. error_details_pb2.BadRequest, unpacked."""
    found = []
    for detail in status.details if status else []:
        message = kind()
        if detail.Unpack(message):
            found.append(message)
    return found


def bad_request_fields(err):
    """The field paths of the google.rpc.BadRequest detail of an error."""
    bad_requests = details_of(rpc_status.from_call(err), error_details_pb2.BadRequest)
    return sorted(v.field for bad in bad_requests for v in bad.field_violations)


def skills_and_insight_session(channel, create_client):
    """A client practises a skill and keeps thought records, one private; its
    therapist records a session and reads the digest, which leaves the
    private record out."""
    accounts = account_service_pb2_grpc.AccountServiceStub(channel)
    care = care_service_pb2_grpc.CareServiceStub(channel)
    skills = skill_service_pb2_grpc.SkillServiceStub(channel)
    insights = insight_service_pb2_grpc.InsightServiceStub(channel)
    therapist = set_up(channel, call(
        "CreateAccount (therapist)",
        accounts.CreateAccount,
        account_service_pb2.CreateAccountRequest(
            account=account_pb2.Account(role=account_pb2.ROLE_THERAPIST, display_name="Dr. Py")
        ),
        ADMIN_TOKEN,
    ), "therapist")
    client, token = create_client("Dana (skills and insight)")
    code = call("CreateInvite", care.CreateInvite, care_service_pb2.CreateInviteRequest(), therapist).code
    call("AcceptInvite", care.AcceptInvite, care_service_pb2.AcceptInviteRequest(code=code), token)

    skill = call(
        "CreateSkill",
        skills.CreateSkill,
        skill_service_pb2.CreateSkillRequest(
            skill=skill_pb2.Skill(title="Box breathing", category=skill_pb2.SKILL_CATEGORY_BREATHING)
        ),
        token,
    )
    practice = call(
        "LogSkillPractice",
        skills.LogSkillPractice,
        skill_service_pb2.LogSkillPracticeRequest(
            skill_practice=skill_pb2.SkillPractice(
                skill_id=skill.id, local_date="2026-11-20", distress_before=70,
                distress_after=40, note="before the call", private_note=True,
            )
        ),
        token,
    )
    check(practice.note == "before the call", "LogSkillPractice: the client's note is kept")
    seen = call(
        "ListSkillPractices (therapist)",
        skills.ListSkillPractices,
        skill_service_pb2.ListSkillPracticesRequest(skill_id=skill.id),
        therapist,
    ).skill_practices
    check([(p.note, p.private_note) for p in seen] == [("", True)], f"therapist sees {seen}")
    ok("LogSkillPractice with a private note; the therapist sees it blank")

    err = expect_code(
        grpc.StatusCode.INVALID_ARGUMENT,
        "CreateThoughtRecord with bad fields",
        insights.CreateThoughtRecord,
        insight_service_pb2.CreateThoughtRecordRequest(
            thought_record=thought_record_pb2.ThoughtRecord(
                local_date="2026-11-31",
                emotions=[thought_record_pb2.Emotion(name="anxious", intensity_before=120)],
                distortions=[thought_record_pb2.COGNITIVE_DISTORTION_UNSPECIFIED],
            )
        ),
        metadata=auth(token),
    )
    fields = bad_request_fields(err)
    want = sorted([
        "thought_record.local_date",
        "thought_record.emotions[0].intensity_before",
        "thought_record.distortions[0]",
    ])
    check(fields == want, f"CreateThoughtRecord: violations {fields}, want {want}")
    ok("CreateThoughtRecord with bad fields -> INVALID_ARGUMENT naming each")

    records = {}
    for private in (False, True):
        records[private] = call(
            "CreateThoughtRecord",
            insights.CreateThoughtRecord,
            insight_service_pb2.CreateThoughtRecordRequest(
                thought_record=thought_record_pb2.ThoughtRecord(
                    local_date="2026-11-20",
                    automatic_thought="They will laugh at me",
                    distortions=[thought_record_pb2.COGNITIVE_DISTORTION_JUMPING_TO_CONCLUSIONS],
                    belief_before=80,
                    belief_after=30,
                    private_record=private,
                )
            ),
            token,
        )
    expect_code(
        grpc.StatusCode.NOT_FOUND,
        "GetThoughtRecord (therapist, private)",
        insights.GetThoughtRecord,
        insight_service_pb2.GetThoughtRecordRequest(id=records[True].id),
        metadata=auth(therapist),
    )
    stats = call(
        "GetInsightStats (therapist)",
        insights.GetInsightStats,
        insight_service_pb2.GetInsightStatsRequest(
            client_id=client.id, start_date="2026-11-01", end_date="2026-11-30"
        ),
        therapist,
    )
    check(stats.records == 1, f"GetInsightStats (therapist): {stats.records} records, want 1")
    check(stats.mean_belief_change == -50, f"GetInsightStats: belief change {stats.mean_belief_change}")
    ok("a private thought record is NOT_FOUND and not counted for the therapist")

    session = call(
        "RecordSession",
        care.RecordSession,
        session_pb2.RecordSessionRequest(
            session=session_pb2.Session(client_id=client.id, session_time=practice.create_time)
        ),
        therapist,
    )
    check(session.id, "RecordSession: empty id")
    digest = call(
        "GetSessionDigest",
        care.GetSessionDigest,
        session_pb2.GetSessionDigestRequest(client_id=client.id),
        therapist,
    )
    check(digest.since_session_id == session.id, f"digest since {digest.since_session_id!r}")
    check(
        [r.id for r in digest.thought_records] == [records[False].id],
        f"digest thought records {[r.id for r in digest.thought_records]}",
    )
    ok("RecordSession, then GetSessionDigest since it: the shared thought record only")


def questionnaire_session(channel, create_client):
    """A client answers the GAD-7: every bad answer is named in the
    BadRequest, offline answers are pushed and scored, and the change
    against the first result is a reliable deterioration."""
    assessments = assessment_service_pb2_grpc.AssessmentServiceStub(channel)
    sync = sync_service_pb2_grpc.SyncServiceStub(channel)
    _, token = create_client("Dan (questionnaires)")
    gad7 = "00000000-0000-0000-0000-000000000007"
    instrument = call(
        "GetInstrument",
        assessments.GetInstrument,
        assessment_service_pb2.GetInstrumentRequest(id=gad7, version=1),
        token,
    )
    check(instrument.short_name == "GAD-7" and len(instrument.items) == 7, f"GetInstrument {instrument!r}")
    ok("GetInstrument: the GAD-7 with its seven items")

    def answers(date, values):
        return assessment_pb2.AssessmentResult(instrument_id=gad7, local_date=date, answers=values)

    err = expect_code(
        grpc.StatusCode.INVALID_ARGUMENT,
        "SubmitAssessment with bad answers",
        assessments.SubmitAssessment,
        assessment_service_pb2.SubmitAssessmentRequest(result=answers("2026-11-20", [1, 4, 0, -1, 0])),
        metadata=auth(token),
    )
    fields = bad_request_fields(err)
    want = ["result.answers[1]", "result.answers[3]", "result.answers[5]", "result.answers[6]"]
    check(fields == want, f"BadRequest fields {fields}, want {want}")
    ok("SubmitAssessment names every bad answer in the BadRequest")

    S = sync_service_pb2
    push = S.PushRequest(device_id="dans-phone", mutations=[
        S.Mutation(mutation_id=str(uuid.uuid4()), base_version=0,
                   submit_assessment_result=answers("2026-11-06", [1, 1, 1, 1, 1, 1, 2])),
        S.Mutation(mutation_id=str(uuid.uuid4()), base_version=0,
                   submit_assessment_result=answers("2026-11-20", [2, 2, 2, 2, 2, 1, 1])),
    ])
    pushed = call("Push (answers)", sync.Push, push, token)
    totals = [r.current.assessment_result.total for r in pushed.results]
    check(totals == [8, 12], f"pushed totals {totals}, want [8, 12]")
    ok("Push of answers made offline: scored 8 and 12")

    listed = call(
        "ListAssessmentResults",
        assessments.ListAssessmentResults,
        assessment_service_pb2.ListAssessmentResultsRequest(instrument_id=gad7),
        token,
    ).assessment_results
    latest = listed[-1]
    check(latest.change.difference == 4, f"change {latest.change!r}, want +4")
    check(
        latest.change.reliable_change == assessment_pb2.RELIABLE_CHANGE_DETERIORATION,
        f"reliable change {latest.change.reliable_change}",
    )
    check(
        list(latest.flags) == [assessment_pb2.ASSESSMENT_FLAG_RELIABLE_DETERIORATION],
        f"flags {list(latest.flags)}",
    )
    ok("ListAssessmentResults: +4 on the GAD-7 is a reliable deterioration")


def reason_of(err):
    """The google.rpc.ErrorInfo reason of a failed call."""
    infos = details_of(rpc_status.from_call(err), error_details_pb2.ErrorInfo)
    return infos[0].reason if infos else None


def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def account_rights_session(channel, create_client):
    """A device token revoked, an export checked against its trailer by
    re-encoding here, and the account erased."""
    import hashlib

    accounts = account_service_pb2_grpc.AccountServiceStub(channel)
    A = account_service_pb2
    dana, token = create_client("Dana (python session)")
    goals = goal_service_pb2_grpc.GoalServiceStub(channel)
    call("CreateGoal", goals.CreateGoal,
         goal_service_pb2.CreateGoalRequest(goal=goal_pb2.Goal(title="Swim", why="Calm")), token)

    made = call("CreateToken", accounts.CreateToken, A.CreateTokenRequest(label="Dana's tablet"), token)
    check(made.secret and made.token.label == "Dana's tablet", f"CreateToken: {made!r}")
    call("RevokeToken", accounts.RevokeToken, A.RevokeTokenRequest(id=made.token.id), token)
    err = expect_code(grpc.StatusCode.UNAUTHENTICATED, "a revoked token", accounts.GetCurrentAccount,
                      A.GetCurrentAccountRequest(), metadata=auth(made.secret))
    check(reason_of(err) == "TOKEN_REVOKED", f"revoked token: reason {reason_of(err)!r}")
    listed = call("ListTokens", accounts.ListTokens, A.ListTokensRequest(), token)
    states = [token_pb2.TokenState.Name(t.state) for t in listed.tokens]
    check(states == ["TOKEN_STATE_REVOKED"], f"ListTokens states {states}")
    ok("CreateToken, RevokeToken: the tablet's token is refused with reason TOKEN_REVOKED")

    messages = list(accounts.ExportData(A.ExportDataRequest(), metadata=auth(token), timeout=TIMEOUT))
    *items, last = messages
    check(last.WhichOneof("item") == "trailer", f"ExportData: last message {last!r}")
    digest = hashlib.sha256()
    for item in items:
        encoded = item.SerializeToString(deterministic=True)
        digest.update(varint(len(encoded)) + encoded)
    check(last.trailer.item_count == len(items), f"ExportData: {len(items)} items, trailer {last.trailer}")
    check(last.trailer.sha256 == digest.hexdigest(), "ExportData: the digest re-encoded here differs")
    kinds = [m.WhichOneof("item") for m in items]
    check(kinds[0] == "account" and "record" in kinds, f"ExportData items {kinds}")
    ok(f"ExportData: {len(items)} items whose SHA-256, re-encoded by Python, matches the trailer")

    err = expect_code(grpc.StatusCode.INVALID_ARGUMENT, "DeleteAccount unconfirmed", accounts.DeleteAccount,
                      A.DeleteAccountRequest(), metadata=auth(token))
    receipt = call("DeleteAccount", accounts.DeleteAccount,
                   A.DeleteAccountRequest(confirm_account_id=dana.id), token)
    check(receipt.state == account_pb2.ACCOUNT_STATE_DELETED and not receipt.display_name,
          f"DeleteAccount receipt {receipt!r}")
    err = expect_code(grpc.StatusCode.UNAUTHENTICATED, "a deleted account's token",
                      accounts.GetCurrentAccount, A.GetCurrentAccountRequest(), metadata=auth(token))
    check(reason_of(err) == "ACCOUNT_DELETED", f"deleted account: reason {reason_of(err)!r}")
    ok("DeleteAccount: needs the confirmation, leaves a receipt; the token gets ACCOUNT_DELETED")


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as failure:
        print(f"FAIL - {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"python session: all {CHECKS} checks passed")
