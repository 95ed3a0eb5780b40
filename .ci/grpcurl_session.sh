#!/usr/bin/env bash
# Scripted grpcurl session against a running Stepwise server, using server
# reflection only (no .proto files).
#
#   .ci/grpcurl_session.sh ADDR ADMIN_TOKEN
#
# Environment: GRPCURL (grpcurl binary; default: `grpcurl` on PATH, else
# .ci/.venv/bin/grpcurl), PYTHON (for JSON parsing; default python3).
# Prints one line per check; exits non-zero on the first unexpected result.
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 ADDR ADMIN_TOKEN" >&2
  exit 2
fi
ADDR="$1"
ADMIN_TOKEN="$2"

CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${GRPCURL:-}" ]]; then
  if command -v grpcurl >/dev/null 2>&1; then
    GRPCURL="$(command -v grpcurl)"
  else
    GRPCURL="$CI_DIR/.venv/bin/grpcurl"
  fi
fi
PYTHON="${PYTHON:-python3}"
"$GRPCURL" -version >/dev/null 2>&1 || {
  echo "FAIL: grpcurl not usable ($GRPCURL)" >&2
  exit 1
}
command -v "$PYTHON" >/dev/null 2>&1 || {
  echo "FAIL: $PYTHON not found (needed to parse JSON)" >&2
  exit 1
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/stepwise-grpcurl.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

CHECKS=0
ok() {
  CHECKS=$((CHECKS + 1))
  echo "ok   - $*"
}
fail() {
  echo "FAIL - $*" >&2
  exit 1
}

# gc OUT_FILE [grpcurl args...]: runs grpcurl with -plaintext; stdout goes to
# OUT_FILE, stderr to OUT_FILE.err. Returns grpcurl's exit status.
gc() {
  local out="$1"
  shift
  "$GRPCURL" -plaintext -connect-timeout 5 -max-time 15 "$@" >"$out" 2>"$out.err"
}

# call NAME TOKEN METHOD JSON: a unary call that must succeed; the response
# JSON is left in $WORK/NAME.json.
call() {
  local name="$1" token="$2" method="$3" data="$4"
  local out="$WORK/$name.json"
  if ! gc "$out" -rpc-header "authorization: Bearer $token" -d "$data" "$ADDR" "$method"; then
    echo "---- grpcurl output for $method ----" >&2
    cat "$out" "$out.err" >&2
    fail "$name: $method failed"
  fi
}

# refused NAME EXIT PATTERN WANT [grpcurl args...]: a call that must fail with
# grpcurl exit EXIT (64 + the status code) and PATTERN in its error output;
# WANT says what was expected when it does not.
refused() {
  local name="$1" want_rc="$2" pattern="$3" want="$4" rc=0
  shift 4
  local out="$WORK/$name.json"
  gc "$out" "$@" || rc=$?
  if ((rc != want_rc)) || ! grep -q "$pattern" "$out.err"; then
    cat "$out" "$out.err" >&2
    fail "$want, got exit $rc"
  fi
}

# jget FILE PATH: prints the value at a dotted PATH ("a.b.0.c", proto field
# names) of the JSON in FILE; strings as is, other values as JSON; exits 3 if
# the path is missing.
jget() {
  "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    value = json.load(f)
for part in sys.argv[2].split(".") if sys.argv[2] else []:
    try:
        if isinstance(value, list):
            value = value[int(part)]
        elif part in value:
            value = value[part]
        else:
            # grpcurl prints proto field names; newer protojson uses lowerCamelCase.
            head, *rest = part.split("_")
            # (protojson uppercases only the letter after "_": "practices_7d"
            # is "practices7d").
            value = value[head + "".join(w[:1].upper() + w[1:] for w in rest)]
    except (KeyError, IndexError, ValueError, TypeError):
        sys.exit(3)
print(value if isinstance(value, str) else json.dumps(value))
PY
}

# expect FILE PATH EXPECTED: the value at PATH must equal EXPECTED.
expect() {
  local file="$1" path="$2" want="$3" got
  got="$(jget "$file" "$path")" || {
    echo "---- $(basename "$file") ----" >&2
    cat "$file" >&2
    fail "$(basename "$file" .json): field '$path' missing (want '$want')"
  }
  [[ "$got" == "$want" ]] || {
    echo "---- $(basename "$file") ----" >&2
    cat "$file" >&2
    fail "$(basename "$file" .json): field '$path' is '$got', want '$want'"
  }
}

# nonempty FILE PATH: prints the value at PATH, which must be a non-empty string.
nonempty() {
  local file="$1" path="$2" got
  got="$(jget "$file" "$path")" || got=""
  if [[ -z "$got" ]]; then
    echo "---- $(basename "$file") ----" >&2
    cat "$file" >&2
    fail "$(basename "$file" .json): field '$path' is missing or empty"
  fi
  printf '%s' "$got"
}

# ---------------------------------------------------------------------------
# Reflection.
# ---------------------------------------------------------------------------
if ! gc "$WORK/list.txt" "$ADDR" list; then
  cat "$WORK/list.txt" "$WORK/list.txt.err" >&2
  fail "grpcurl list (server reflection) failed"
fi
for svc in stepwise.v1.AccountService stepwise.v1.AdminService stepwise.v1.GoalService stepwise.v1.ProgressService \
  stepwise.v1.AssessmentService stepwise.v1.CommentService stepwise.v1.SkillService \
  stepwise.v1.InsightService grpc.health.v1.Health; do
  grep -qxF "$svc" "$WORK/list.txt" || {
    cat "$WORK/list.txt" >&2
    fail "grpcurl list does not include $svc"
  }
done
grep -qxE 'grpc\.reflection\.(v1|v1alpha)\.ServerReflection' "$WORK/list.txt" || {
  cat "$WORK/list.txt" >&2
  fail "grpcurl list does not include grpc.reflection.v1(alpha).ServerReflection"
}
ok "list: $(tr '\n' ' ' <"$WORK/list.txt")"

if ! gc "$WORK/describe.txt" "$ADDR" describe stepwise.v1.Goal; then
  cat "$WORK/describe.txt" "$WORK/describe.txt.err" >&2
  fail "grpcurl describe stepwise.v1.Goal failed"
fi
for want in 'message Goal {' 'string title = 3;' 'int64 version = 9;' \
  '.google.protobuf.Timestamp create_time = 7;'; do
  grep -qF "$want" "$WORK/describe.txt" || {
    cat "$WORK/describe.txt" >&2
    fail "describe stepwise.v1.Goal lacks '$want'"
  }
done
ok "describe stepwise.v1.Goal"

if ! gc "$WORK/describe_goal_service.txt" "$ADDR" describe stepwise.v1.GoalService; then
  cat "$WORK/describe_goal_service.txt" "$WORK/describe_goal_service.txt.err" >&2
  fail "grpcurl describe stepwise.v1.GoalService failed"
fi
grep -qF 'rpc CreateGoal ( .stepwise.v1.CreateGoalRequest ) returns ( .stepwise.v1.Goal );' \
  "$WORK/describe_goal_service.txt" || {
  cat "$WORK/describe_goal_service.txt" >&2
  fail "describe stepwise.v1.GoalService lacks CreateGoal"
}
ok "describe stepwise.v1.GoalService"

# ---------------------------------------------------------------------------
# Health (no token needed).
# ---------------------------------------------------------------------------
if ! gc "$WORK/health.json" "$ADDR" grpc.health.v1.Health/Check; then
  cat "$WORK/health.json" "$WORK/health.json.err" >&2
  fail "grpc.health.v1.Health/Check failed"
fi
expect "$WORK/health.json" status SERVING
ok "grpc.health.v1.Health/Check: SERVING"

# ---------------------------------------------------------------------------
# Accounts.
# ---------------------------------------------------------------------------
call create_account "$ADMIN_TOKEN" stepwise.v1.AccountService/CreateAccount \
  '{"account": {"role": "ROLE_CLIENT", "display_name": "grpcurl client", "time_zone": "Europe/Berlin"}}'
CLIENT_ID="$(nonempty "$WORK/create_account.json" account.id)"
SETUP_CODE="$(nonempty "$WORK/create_account.json" setup_code)"
expect "$WORK/create_account.json" account.role ROLE_CLIENT
expect "$WORK/create_account.json" account.display_name "grpcurl client"
expect "$WORK/create_account.json" account.time_zone "Europe/Berlin"
ok "AccountService/CreateAccount (admin): client $CLIENT_ID"

# Events are listed oldest first: the newest is the last one (-1).
call admin_events "$ADMIN_TOKEN" stepwise.v1.AdminService/ListAdminEvents '{"page_size": 1000}'
expect "$WORK/admin_events.json" admin_events.-1.action ADMIN_ACTION_ACCOUNT_CREATED
expect "$WORK/admin_events.json" admin_events.-1.target_id "$CLIENT_ID"
ok "AdminService/ListAdminEvents (admin): the account's creation is audited"

# The account's holder chooses an email and a password with the setup code,
# then signs in (the email in any case) on a device of their own.
PASSWORD="grpcurl passphrase for tests"
call setup "" stepwise.v1.AuthService/CompleteAccountSetup \
  "{\"setup_code\": \"$SETUP_CODE\", \"email\": \"client@example.org\", \"password\": \"$PASSWORD\", \"device_label\": \"grpcurl setup\"}"
nonempty "$WORK/setup.json" tokens.access_token >/dev/null
ok "AuthService/CompleteAccountSetup: email and password set"
refused weak_password 67 'password' "a common password refused as INVALID_ARGUMENT" \
  -d '{"email": "x@example.org", "password": "passwordpassword", "device_label": "x", "setup_code": "x"}' \
  "$ADDR" stepwise.v1.AuthService/CompleteAccountSetup
ok "AuthService/CompleteAccountSetup: a common password is INVALID_ARGUMENT"
call sign_in "" stepwise.v1.AuthService/SignIn \
  "{\"email\": \"Client@Example.org\", \"password\": \"$PASSWORD\", \"device_label\": \"grpcurl\"}"
CLIENT_TOKEN="$(nonempty "$WORK/sign_in.json" tokens.access_token)"
SESSION_ID="$(nonempty "$WORK/sign_in.json" tokens.session.id)"
REFRESH_TOKEN="$(nonempty "$WORK/sign_in.json" tokens.refresh_token)"
expect "$WORK/sign_in.json" account.id "$CLIENT_ID"
ok "AuthService/SignIn: session $SESSION_ID"
refused wrong_password 80 'SIGN_IN_FAILED\|email or the password' "a wrong password refused as UNAUTHENTICATED" \
  -d '{"email": "client@example.org", "password": "not the password", "device_label": "x"}' \
  "$ADDR" stepwise.v1.AuthService/SignIn
ok "AuthService/SignIn: a wrong password is UNAUTHENTICATED"
call refresh "" stepwise.v1.AuthService/RefreshSession \
  "{\"session_id\": \"$SESSION_ID\", \"refresh_token\": \"$REFRESH_TOKEN\"}"
CLIENT_TOKEN="$(nonempty "$WORK/refresh.json" tokens.access_token)"
ok "AuthService/RefreshSession: new tokens"
call sessions "$CLIENT_TOKEN" stepwise.v1.AuthService/ListSessions '{}'
expect "$WORK/sessions.json" sessions.1.id "$SESSION_ID"
expect "$WORK/sessions.json" sessions.1.current true
ok "AuthService/ListSessions: two devices"
call security_events "$CLIENT_TOKEN" stepwise.v1.AuthService/ListSecurityEvents '{}'
expect "$WORK/security_events.json" events.0.type SECURITY_EVENT_TYPE_SIGN_IN_FAILED
ok "AuthService/ListSecurityEvents: the failed sign-in is listed"

call current_account "$CLIENT_TOKEN" stepwise.v1.AccountService/GetCurrentAccount '{}'
expect "$WORK/current_account.json" id "$CLIENT_ID"
ok "AccountService/GetCurrentAccount with the client's access token"

# ---------------------------------------------------------------------------
# Goal, action step, check-in.
# ---------------------------------------------------------------------------
call create_goal "$CLIENT_TOKEN" stepwise.v1.GoalService/CreateGoal \
  '{"goal": {"title": "Walk more", "why": "Feel better in the mornings", "target_date": "2027-03-01"}}'
GOAL_ID="$(nonempty "$WORK/create_goal.json" id)"
expect "$WORK/create_goal.json" client_id "$CLIENT_ID"
expect "$WORK/create_goal.json" title "Walk more"
expect "$WORK/create_goal.json" why "Feel better in the mornings"
expect "$WORK/create_goal.json" target_date "2027-03-01"
expect "$WORK/create_goal.json" status GOAL_STATUS_ACTIVE
nonempty "$WORK/create_goal.json" version >/dev/null
ok "GoalService/CreateGoal: goal $GOAL_ID"

call get_goal "$CLIENT_TOKEN" stepwise.v1.GoalService/GetGoal "{\"id\": \"$GOAL_ID\"}"
expect "$WORK/get_goal.json" id "$GOAL_ID"
expect "$WORK/get_goal.json" title "Walk more"
ok "GoalService/GetGoal"

call create_step "$CLIENT_TOKEN" stepwise.v1.GoalService/CreateActionStep \
  "{\"action_step\": {\"goal_id\": \"$GOAL_ID\", \"title\": \"Walk 20 minutes\", \"schedule\": {\"times\": 3, \"period_days\": 7}}}"
STEP_ID="$(nonempty "$WORK/create_step.json" id)"
expect "$WORK/create_step.json" goal_id "$GOAL_ID"
expect "$WORK/create_step.json" client_id "$CLIENT_ID"
expect "$WORK/create_step.json" schedule.times 3
expect "$WORK/create_step.json" schedule.period_days 7
expect "$WORK/create_step.json" status ACTION_STEP_STATUS_ACTIVE
ok "GoalService/CreateActionStep: step $STEP_ID"

call log_check_in "$CLIENT_TOKEN" stepwise.v1.ProgressService/LogCheckIn \
  "{\"check_in\": {\"action_step_id\": \"$STEP_ID\", \"local_date\": \"2026-11-20\", \"state\": \"CHECK_IN_STATE_DONE\", \"amount\": 20, \"note\": \"Sunny\"}}"
CHECK_IN_ID="$(nonempty "$WORK/log_check_in.json" id)"
expect "$WORK/log_check_in.json" action_step_id "$STEP_ID"
expect "$WORK/log_check_in.json" client_id "$CLIENT_ID"
expect "$WORK/log_check_in.json" local_date 2026-11-20
expect "$WORK/log_check_in.json" state CHECK_IN_STATE_DONE
expect "$WORK/log_check_in.json" amount 20
expect "$WORK/log_check_in.json" note Sunny
ok "ProgressService/LogCheckIn: check-in $CHECK_IN_ID"

call list_check_ins "$CLIENT_TOKEN" stepwise.v1.ProgressService/ListCheckIns \
  "{\"action_step_id\": \"$STEP_ID\"}"
COUNT="$(jget "$WORK/list_check_ins.json" check_ins | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" || COUNT="?"
[[ "$COUNT" == 1 ]] || {
  cat "$WORK/list_check_ins.json" >&2
  fail "ListCheckIns returned $COUNT check-ins, want 1"
}
expect "$WORK/list_check_ins.json" check_ins.0.id "$CHECK_IN_ID"
expect "$WORK/list_check_ins.json" check_ins.0.state CHECK_IN_STATE_DONE
ok "ProgressService/ListCheckIns: 1 check-in"

# ---------------------------------------------------------------------------
# Questionnaires, goal attainment and comments, with a linked therapist.
# ---------------------------------------------------------------------------
PHQ9=00000000-0000-0000-0000-000000000009
call create_therapist "$ADMIN_TOKEN" stepwise.v1.AccountService/CreateAccount \
  '{"account": {"role": "ROLE_THERAPIST", "display_name": "grpcurl therapist"}}'
THERAPIST_CODE="$(nonempty "$WORK/create_therapist.json" setup_code)"
call therapist_setup "" stepwise.v1.AuthService/CompleteAccountSetup \
  "{\"setup_code\": \"$THERAPIST_CODE\", \"email\": \"therapist@example.org\", \"password\": \"$PASSWORD\", \"device_label\": \"grpcurl\"}"
THERAPIST_TOKEN="$(nonempty "$WORK/therapist_setup.json" tokens.access_token)"
# Therapists read no client data without a second factor: add an
# authenticator, with .ci/totp.py playing the app.
call totp_begin "$THERAPIST_TOKEN" stepwise.v1.AuthService/BeginTotpEnrollment '{}'
TOTP_URI="$(nonempty "$WORK/totp_begin.json" provisioning_uri)"
TOTP_CODE="$("$PYTHON" "$CI_DIR/totp.py" "$TOTP_URI")"
call totp_confirm "$THERAPIST_TOKEN" stepwise.v1.AuthService/ConfirmTotpEnrollment \
  "{\"code\": \"$TOTP_CODE\"}"
nonempty "$WORK/totp_confirm.json" recovery_codes.9 >/dev/null
ok "AuthService/BeginTotpEnrollment and ConfirmTotpEnrollment: ten recovery codes"
call invite "$THERAPIST_TOKEN" stepwise.v1.CareService/CreateInvite '{}'
CODE="$(nonempty "$WORK/invite.json" code)"
call accept "$CLIENT_TOKEN" stepwise.v1.CareService/AcceptInvite "{\"code\": \"$CODE\"}"
expect "$WORK/accept.json" state CARE_LINK_STATE_ACTIVE
ok "CareService/CreateInvite and AcceptInvite: the client is linked"

call assign "$THERAPIST_TOKEN" stepwise.v1.AssessmentService/AssignAssessment \
  "{\"assignment\": {\"client_id\": \"$CLIENT_ID\", \"instrument_id\": \"$PHQ9\", \"every_days\": 14, \"start_date\": \"2026-11-20\"}}"
expect "$WORK/assign.json" state ASSIGNMENT_STATE_ACTIVE
ok "AssessmentService/AssignAssessment: PHQ-9 every 14 days"

call due "$CLIENT_TOKEN" stepwise.v1.AssessmentService/ListDueAssessments '{"as_of_date": "2026-11-20"}'
expect "$WORK/due.json" due_assessments.0.due_date 2026-11-20
expect "$WORK/due.json" due_assessments.0.instrument_version 1
ok "AssessmentService/ListDueAssessments: due today"

call phq9 "$CLIENT_TOKEN" stepwise.v1.AssessmentService/GetInstrument "{\"id\": \"$PHQ9\", \"version\": 1}"
expect "$WORK/phq9.json" short_name PHQ-9
expect "$WORK/phq9.json" items.8.labels.3.label "Nearly every day"
ok "AssessmentService/GetInstrument: the PHQ-9"

call submit "$CLIENT_TOKEN" stepwise.v1.AssessmentService/SubmitAssessment \
  "{\"result\": {\"instrument_id\": \"$PHQ9\", \"local_date\": \"2026-11-20\", \"answers\": [2, 2, 1, 1, 2, 1, 1, 2, 0]}}"
RESULT_ID="$(nonempty "$WORK/submit.json" id)"
expect "$WORK/submit.json" total 12
expect "$WORK/submit.json" severity.label Moderate
ok "AssessmentService/SubmitAssessment: total 12, Moderate"

refused bad_answers 67 'result.answers\[0\]' \
  "SubmitAssessment with bad answers: want InvalidArgument naming result.answers[0]" \
  -rpc-header "authorization: Bearer $CLIENT_TOKEN" \
  -d "{\"result\": {\"instrument_id\": \"$PHQ9\", \"local_date\": \"2026-11-20\", \"answers\": [4]}}" \
  "$ADDR" stepwise.v1.AssessmentService/SubmitAssessment
ok "AssessmentService/SubmitAssessment with bad answers: InvalidArgument"

call results "$THERAPIST_TOKEN" stepwise.v1.AssessmentService/ListAssessmentResults "{\"client_id\": \"$CLIENT_ID\"}"
expect "$WORK/results.json" assessment_results.0.id "$RESULT_ID"
ok "AssessmentService/ListAssessmentResults (the therapist)"

call scaled_goal "$CLIENT_TOKEN" stepwise.v1.GoalService/CreateGoal \
  '{"goal": {"title": "Sleep better", "attainment_scale": {"much_less_than_expected": "Never in bed by 23:00", "less_than_expected": "Once a week", "expected": "Three times a week", "more_than_expected": "Five times a week", "much_more_than_expected": "Every night", "weight": 2, "baseline_level": "ATTAINMENT_LEVEL_LESS_THAN_EXPECTED"}}}'
SCALED_GOAL_ID="$(nonempty "$WORK/scaled_goal.json" id)"
expect "$WORK/scaled_goal.json" attainment_scale.weight 2
call attain "$THERAPIST_TOKEN" stepwise.v1.ProgressService/RecordAttainment \
  "{\"rating\": {\"goal_id\": \"$SCALED_GOAL_ID\", \"level\": \"ATTAINMENT_LEVEL_MORE_THAN_EXPECTED\", \"local_date\": \"2026-11-20\"}}"
call gas "$THERAPIST_TOKEN" stepwise.v1.ProgressService/GetProgress \
  "{\"client_id\": \"$CLIENT_ID\", \"as_of_date\": \"2026-11-20\"}"
expect "$WORK/gas.json" attainment.t_score 60
ok "GoalService/CreateGoal with an attainment scale, RecordAttainment, GetProgress: T-score 60"

call comment "$THERAPIST_TOKEN" stepwise.v1.CommentService/CreateComment \
  "{\"comment\": {\"check_in_id\": \"$CHECK_IN_ID\", \"text\": \"Well done\"}}"
call comments "$CLIENT_TOKEN" stepwise.v1.CommentService/ListComments "{\"check_in_id\": \"$CHECK_IN_ID\"}"
expect "$WORK/comments.json" comments.0.text "Well done"
ok "CommentService/CreateComment and ListComments"

# ---------------------------------------------------------------------------
# Coping skill, practice, statistics; thought record, insight statistics.
# ---------------------------------------------------------------------------
call create_skill "$CLIENT_TOKEN" stepwise.v1.SkillService/CreateSkill \
  '{"skill": {"title": "Box breathing", "category": "SKILL_CATEGORY_BREATHING"}}'
SKILL_ID="$(nonempty "$WORK/create_skill.json" id)"
expect "$WORK/create_skill.json" client_id "$CLIENT_ID"
expect "$WORK/create_skill.json" category SKILL_CATEGORY_BREATHING
ok "SkillService/CreateSkill: skill $SKILL_ID"

call log_practice "$CLIENT_TOKEN" stepwise.v1.SkillService/LogSkillPractice \
  "{\"skill_practice\": {\"skill_id\": \"$SKILL_ID\", \"local_date\": \"2026-11-20\", \"distress_before\": 70, \"distress_after\": 40}}"
expect "$WORK/log_practice.json" distress_before 70
expect "$WORK/log_practice.json" distress_after 40
ok "SkillService/LogSkillPractice"

call skill_stats "$CLIENT_TOKEN" stepwise.v1.SkillService/GetSkillStats \
  "{\"skill_id\": \"$SKILL_ID\", \"as_of_date\": \"2026-11-21\"}"
expect "$WORK/skill_stats.json" stats.practices_7d 1
expect "$WORK/skill_stats.json" stats.mean_distress_drop_28d 30
expect "$WORK/skill_stats.json" stats.trend SKILL_TREND_INSUFFICIENT_DATA
ok "SkillService/GetSkillStats: 1 practice, mean drop 30"

call create_thought_record "$CLIENT_TOKEN" stepwise.v1.InsightService/CreateThoughtRecord \
  '{"thought_record": {"local_date": "2026-11-20", "automatic_thought": "I always fail",
    "emotions": [{"name": "anxious", "intensity_before": 80, "intensity_after": 50}],
    "distortions": ["COGNITIVE_DISTORTION_OVERGENERALISATION"], "belief_before": 90, "belief_after": 40}}'
nonempty "$WORK/create_thought_record.json" id >/dev/null
expect "$WORK/create_thought_record.json" distortions.0 COGNITIVE_DISTORTION_OVERGENERALISATION
ok "InsightService/CreateThoughtRecord"

call insight_stats "$CLIENT_TOKEN" stepwise.v1.InsightService/GetInsightStats \
  '{"start_date": "2026-11-01", "end_date": "2026-11-30"}'
expect "$WORK/insight_stats.json" records 1
expect "$WORK/insight_stats.json" mean_emotion_change -30
expect "$WORK/insight_stats.json" mean_belief_change -50
ok "InsightService/GetInsightStats: 1 record, emotion -30, belief -50"

# ---------------------------------------------------------------------------
# The account's own: profile, a token per device, the export.
# ---------------------------------------------------------------------------
call move "$CLIENT_TOKEN" stepwise.v1.AccountService/UpdateCurrentAccount \
  '{"account": {"time_zone": "Europe/Lisbon"}, "update_mask": {"paths": ["time_zone"]}}'
expect "$WORK/move.json" time_zone "Europe/Lisbon"
expect "$WORK/move.json" display_name "grpcurl client"
ok "AccountService/UpdateCurrentAccount: the time zone alone (update_mask)"

call create_token "$CLIENT_TOKEN" stepwise.v1.AccountService/CreateToken '{"label": "grpcurl device"}'
DEVICE_TOKEN="$(nonempty "$WORK/create_token.json" secret)"
DEVICE_TOKEN_ID="$(nonempty "$WORK/create_token.json" token.id)"
expect "$WORK/create_token.json" token.state TOKEN_STATE_ACTIVE
call device_account "$DEVICE_TOKEN" stepwise.v1.AccountService/GetCurrentAccount '{}'
expect "$WORK/device_account.json" id "$CLIENT_ID"
call list_tokens "$DEVICE_TOKEN" stepwise.v1.AccountService/ListTokens '{}'
expect "$WORK/list_tokens.json" tokens.0.label "grpcurl device"
expect "$WORK/list_tokens.json" tokens.0.current true
ok "AccountService/CreateToken and ListTokens: a personal access token"

call revoke_token "$CLIENT_TOKEN" stepwise.v1.AccountService/RevokeToken "{\"id\": \"$DEVICE_TOKEN_ID\"}"
expect "$WORK/revoke_token.json" state TOKEN_STATE_REVOKED
refused revoked 80 'Code: Unauthenticated' \
  "GetCurrentAccount with a revoked token: want Unauthenticated (grpcurl exit 80)" \
  -rpc-header "authorization: Bearer $DEVICE_TOKEN" -d '{}' \
  "$ADDR" stepwise.v1.AccountService/GetCurrentAccount
ok "AccountService/RevokeToken: the revoked token is refused"

call export "$CLIENT_TOKEN" stepwise.v1.AccountService/ExportData '{}'
COUNTS="$("$PYTHON" - "$WORK/export.json" <<'PY'
import json, sys
text, decoder, at, messages = open(sys.argv[1]).read(), json.JSONDecoder(), 0, []
while text[at:].strip():
    at += len(text[at:]) - len(text[at:].lstrip())
    message, at = decoder.raw_decode(text, at)
    messages.append(message)
trailer = messages[-1]["trailer"]
count = trailer.get("item_count", trailer.get("itemCount"))
print(len(messages) - 1, count, len(trailer["sha256"]))
PY
)" || fail "ExportData: cannot read the stream's messages"
read -r ITEMS COUNT DIGEST_LEN <<<"$COUNTS"
[[ "$ITEMS" == "$COUNT" && "$ITEMS" -ge 4 && "$DIGEST_LEN" == 64 ]] || {
  cat "$WORK/export.json" >&2
  fail "ExportData: $ITEMS items, trailer says $COUNT (digest of $DIGEST_LEN hex digits)"
}
ok "AccountService/ExportData: $ITEMS items, then the trailer"

# ---------------------------------------------------------------------------
# Without a token: Unauthenticated (grpcurl exits with 64 + status code 16).
# ---------------------------------------------------------------------------
refused no_token 80 'Code: Unauthenticated' \
  "GetGoal without a token: want Unauthenticated (grpcurl exit 80)" \
  -d "{\"id\": \"$GOAL_ID\"}" "$ADDR" stepwise.v1.GoalService/GetGoal
ok "GoalService/GetGoal without a token: Unauthenticated"

refused bad_token 80 'Code: Unauthenticated' \
  "GetCurrentAccount with a bogus token: want Unauthenticated (grpcurl exit 80)" \
  -rpc-header "authorization: Bearer not-a-valid-token" -d '{}' \
  "$ADDR" stepwise.v1.AccountService/GetCurrentAccount
ok "AccountService/GetCurrentAccount with a bogus token: Unauthenticated"

echo "grpcurl session: all $CHECKS checks passed"
