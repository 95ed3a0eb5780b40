//! Conversions between API messages and domain records. Parsing a request
//! validates every field and reports all bad ones at once, with
//! request-relative field paths (`goal.title`).

use prost_types::{FieldMask, Timestamp};

use crate::app::Principal;
use crate::domain::fields;
use crate::domain::{
    self, ActionStepPatch, ActionStepStatus, CheckInState, GoalPatch, GoalStatus, Meta,
    RatingTarget, Role,
};
use crate::error::{Error, Result, Violations};
use crate::pb;

/// Timestamp of microseconds since the Unix epoch.
pub fn timestamp(micros: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    })
}

/// Microseconds since the Unix epoch of a valid timestamp.
fn micros(ts: &Timestamp) -> Result<i64, String> {
    let valid_nanos = (0..1_000_000_000).contains(&ts.nanos);
    ts.seconds
        .checked_mul(1_000_000)
        .and_then(|us| us.checked_add(i64::from(ts.nanos / 1000)))
        .filter(|_| valid_nanos)
        .ok_or_else(|| "must be a valid timestamp".to_owned())
}

/// The message of a required request field.
pub fn required<T>(message: Option<T>, field: &str) -> Result<T> {
    message.ok_or_else(|| Error::invalid(field, "is required"))
}

/// A required id in a request.
pub fn id(value: &str, field: &str) -> Result<String> {
    fields::id(value)
        .map(|id| id.to_string())
        .map_err(|e| Error::invalid(field, e))
}

/// Page size and token of a list request.
pub fn page(size: i32) -> Result<usize> {
    fields::page_size(size).map_err(|e| Error::invalid("page_size", e))
}

/// Optional date in a request.
pub fn optional_date(value: &str, field: &str) -> Result<Option<chrono::NaiveDate>> {
    fields::optional_date(value).map_err(|e| Error::invalid(field, e))
}

/// The fields an update changes: those in the mask, or all of `allowed`
/// when the mask is empty or `*`.
pub fn mask<'a>(mask: &'a Option<FieldMask>, allowed: &[&'a str]) -> Result<Vec<&'a str>> {
    let paths: Vec<&str> = mask
        .iter()
        .flat_map(|m| m.paths.iter().map(String::as_str))
        .collect();
    if paths.is_empty() || paths == ["*"] {
        return Ok(allowed.to_vec());
    }
    let mut violations = Violations::new();
    for path in &paths {
        if !allowed.contains(path) {
            violations.add(
                "update_mask",
                format!(
                    "cannot update {path:?}; updatable fields are {}",
                    allowed.join(", ")
                ),
            );
        }
    }
    violations.finish()?;
    Ok(paths)
}

fn new_meta(id: String, client_id: String) -> Meta {
    Meta {
        id,
        client_id,
        ..Meta::default()
    }
}

// --- accounts ---

/// A new account from a `CreateAccountRequest`.
pub fn new_account(account: Option<pb::Account>) -> Result<crate::app::NewAccount> {
    let account = required(account, "account")?;
    let mut check = Violations::new();
    let role = check.check(
        "account.role",
        fields::enum_value(account.role, Role::Unspecified),
    );
    let display_name = check.check(
        "account.display_name",
        fields::display_name(&account.display_name),
    );
    let time_zone = check.check("account.time_zone", fields::time_zone(&account.time_zone));
    check.finish()?;
    Ok(crate::app::NewAccount {
        role,
        display_name,
        time_zone,
    })
}

/// The code and new account of a `SignUpWithInviteRequest`.
pub fn sign_up(request: pb::SignUpWithInviteRequest) -> Result<(String, crate::app::NewAccount)> {
    let mut check = Violations::new();
    let display_name = check.check("display_name", fields::display_name(&request.display_name));
    let time_zone = check.check("time_zone", fields::time_zone(&request.time_zone));
    if request.code.trim().is_empty() {
        check.add("code", "is required");
    }
    check.finish()?;
    let new = crate::app::NewAccount {
        role: Role::Client,
        display_name,
        time_zone,
    };
    Ok((request.code, new))
}

/// API form of an account.
pub fn account(account: domain::Account) -> pb::Account {
    pb::Account {
        id: account.id,
        role: account.role,
        display_name: account.display_name,
        time_zone: account.time_zone,
        create_time: timestamp(account.create_time_us),
        update_time: timestamp(account.update_time_us),
        version: account.version,
    }
}

// --- goals ---

/// A new goal from a `CreateGoalRequest`; the client defaults to the caller.
pub fn new_goal(principal: &Principal, goal: Option<pb::Goal>) -> Result<domain::Goal> {
    let goal = required(goal, "goal")?;
    let mut check = Violations::new();
    let id = check.check("goal.id", fields::new_id(&goal.id).map(|u| u.to_string()));
    let client_id = match goal.client_id.as_str() {
        "" => principal.account_id.clone(),
        given => check.check("goal.client_id", fields::id(given).map(|u| u.to_string())),
    };
    let title = check.check("goal.title", fields::title(&goal.title));
    let why = check.check("goal.why", fields::note(&goal.why));
    let target_date = check.check("goal.target_date", target_date(&goal.target_date));
    let status = match goal.status {
        0 => GoalStatus::Active,
        other => check.check(
            "goal.status",
            fields::enum_value(other, GoalStatus::Unspecified),
        ),
    };
    check.finish()?;
    Ok(domain::Goal {
        meta: new_meta(id, client_id),
        title,
        why,
        target_date,
        status: status as i32,
    })
}

fn target_date(value: &str) -> Result<String, String> {
    fields::optional_date(value).map(|d| d.map(fields::format_date).unwrap_or_default())
}

/// Updatable fields of a goal.
pub const GOAL_MASK: &[&str] = &["title", "why", "target_date", "status"];

/// The id, expected version and patch of an `UpdateGoalRequest`.
pub fn goal_update(request: pb::UpdateGoalRequest) -> Result<(String, i64, GoalPatch)> {
    let goal = required(request.goal, "goal")?;
    let paths = mask(&request.update_mask, GOAL_MASK)?;
    let mut check = Violations::new();
    let id = check.check("goal.id", fields::id(&goal.id).map(|u| u.to_string()));
    let mut patch = GoalPatch::default();
    for path in paths {
        match path {
            "title" => patch.title = Some(check.check("goal.title", fields::title(&goal.title))),
            "why" => patch.why = Some(check.check("goal.why", fields::note(&goal.why))),
            "target_date" => {
                patch.target_date =
                    Some(check.check("goal.target_date", target_date(&goal.target_date)))
            }
            _ => {
                patch.status = Some(check.check(
                    "goal.status",
                    fields::enum_value(goal.status, GoalStatus::Unspecified),
                ))
            }
        }
    }
    check.finish()?;
    Ok((id, goal.version, patch))
}

/// API form of a goal.
pub fn goal(goal: domain::Goal) -> pb::Goal {
    pb::Goal {
        id: goal.meta.id,
        client_id: goal.meta.client_id,
        title: goal.title,
        why: goal.why,
        target_date: goal.target_date,
        status: goal.status,
        create_time: timestamp(goal.meta.create_time_us),
        update_time: timestamp(goal.meta.update_time_us),
        version: goal.meta.version,
        created_by: goal.meta.created_by,
        updated_by: goal.meta.updated_by,
    }
}

// --- action steps ---

fn schedule(value: Option<pb::Schedule>) -> Result<domain::Schedule, String> {
    let value = value.ok_or("is required")?;
    let (times, period_days) = fields::schedule(value.times, value.period_days)?;
    Ok(domain::Schedule { times, period_days })
}

/// A new action step from a `CreateActionStepRequest`; its client is the
/// goal's, filled in by the use case.
pub fn new_action_step(step: Option<pb::ActionStep>) -> Result<domain::ActionStep> {
    let step = required(step, "action_step")?;
    let mut check = Violations::new();
    let id = check.check(
        "action_step.id",
        fields::new_id(&step.id).map(|u| u.to_string()),
    );
    let goal_id = check.check(
        "action_step.goal_id",
        fields::id(&step.goal_id).map(|u| u.to_string()),
    );
    let title = check.check("action_step.title", fields::title(&step.title));
    let schedule = check.check("action_step.schedule", schedule(step.schedule));
    let status = match step.status {
        0 => ActionStepStatus::Active,
        other => check.check(
            "action_step.status",
            fields::enum_value(other, ActionStepStatus::Unspecified),
        ),
    };
    check.finish()?;
    Ok(domain::ActionStep {
        meta: new_meta(id, String::new()),
        goal_id,
        title,
        schedule,
        status: status as i32,
    })
}

/// Updatable fields of an action step.
pub const ACTION_STEP_MASK: &[&str] = &["title", "schedule", "status"];

/// The id, expected version and patch of an `UpdateActionStepRequest`.
pub fn action_step_update(
    request: pb::UpdateActionStepRequest,
) -> Result<(String, i64, ActionStepPatch)> {
    let step = required(request.action_step, "action_step")?;
    let paths = mask(&request.update_mask, ACTION_STEP_MASK)?;
    let mut check = Violations::new();
    let id = check.check(
        "action_step.id",
        fields::id(&step.id).map(|u| u.to_string()),
    );
    let mut patch = ActionStepPatch::default();
    for path in paths {
        match path {
            "title" => {
                patch.title = Some(check.check("action_step.title", fields::title(&step.title)))
            }
            "schedule" => {
                patch.schedule = Some(check.check("action_step.schedule", schedule(step.schedule)))
            }
            _ => {
                patch.status = Some(check.check(
                    "action_step.status",
                    fields::enum_value(step.status, ActionStepStatus::Unspecified),
                ))
            }
        }
    }
    check.finish()?;
    Ok((id, step.version, patch))
}

/// API form of an action step.
pub fn action_step(step: domain::ActionStep) -> pb::ActionStep {
    pb::ActionStep {
        id: step.meta.id,
        goal_id: step.goal_id,
        client_id: step.meta.client_id,
        title: step.title,
        schedule: Some(pb::Schedule {
            times: step.schedule.times,
            period_days: step.schedule.period_days,
        }),
        status: step.status,
        create_time: timestamp(step.meta.create_time_us),
        update_time: timestamp(step.meta.update_time_us),
        version: step.meta.version,
        created_by: step.meta.created_by,
        updated_by: step.meta.updated_by,
    }
}

// --- check-ins ---

/// A check-in and its expected version from a `LogCheckInRequest`.
pub fn new_check_in(check_in: Option<pb::CheckIn>) -> Result<(domain::CheckIn, i64)> {
    let check_in = required(check_in, "check_in")?;
    let mut check = Violations::new();
    let id = check.check(
        "check_in.id",
        fields::new_id(&check_in.id).map(|u| u.to_string()),
    );
    let action_step_id = check.check(
        "check_in.action_step_id",
        fields::id(&check_in.action_step_id).map(|u| u.to_string()),
    );
    let local_date = check.check(
        "check_in.local_date",
        fields::date(&check_in.local_date).map(fields::format_date),
    );
    let state = check.check(
        "check_in.state",
        fields::enum_value(check_in.state, CheckInState::Unspecified),
    );
    let amount = check.check("check_in.amount", fields::amount(check_in.amount));
    let note = check.check("check_in.note", fields::note(&check_in.note));
    check.finish()?;
    let record = domain::CheckIn {
        meta: new_meta(id, String::new()),
        action_step_id,
        local_date,
        state: state as i32,
        amount,
        note,
        private_note: check_in.private_note,
    };
    Ok((record, check_in.version))
}

/// API form of a check-in.
pub fn check_in(check_in: domain::CheckIn) -> pb::CheckIn {
    pb::CheckIn {
        id: check_in.meta.id,
        action_step_id: check_in.action_step_id,
        client_id: check_in.meta.client_id,
        local_date: check_in.local_date,
        state: check_in.state,
        amount: check_in.amount,
        note: check_in.note,
        private_note: check_in.private_note,
        create_time: timestamp(check_in.meta.create_time_us),
        update_time: timestamp(check_in.meta.update_time_us),
        version: check_in.meta.version,
    }
}

// --- efficacy ratings ---

/// A new rating from a `RecordEfficacyRatingRequest`; without a rate time
/// it was given at `now_us`.
pub fn new_rating(
    rating: Option<pb::EfficacyRating>,
    now_us: i64,
) -> Result<domain::EfficacyRating> {
    use pb::efficacy_rating::Target;
    let rating = required(rating, "rating")?;
    let mut check = Violations::new();
    let id = check.check(
        "rating.id",
        fields::new_id(&rating.id).map(|u| u.to_string()),
    );
    let target = match &rating.target {
        Some(Target::GoalId(goal)) => RatingTarget::GoalId(
            check.check("rating.goal_id", fields::id(goal).map(|u| u.to_string())),
        ),
        Some(Target::ActionStepId(step)) => RatingTarget::ActionStepId(check.check(
            "rating.action_step_id",
            fields::id(step).map(|u| u.to_string()),
        )),
        None => {
            check.add("rating.target", "set goal_id or action_step_id");
            RatingTarget::GoalId(String::new())
        }
    };
    let score = check.check("rating.score", fields::score(rating.score));
    let note = check.check("rating.note", fields::note(&rating.note));
    let rate_time_us = match &rating.rate_time {
        Some(ts) => check.check(
            "rating.rate_time",
            micros(ts).and_then(|us| fields::rate_time(us, now_us)),
        ),
        None => now_us,
    };
    check.finish()?;
    Ok(domain::EfficacyRating {
        meta: new_meta(id, String::new()),
        target: Some(target),
        score,
        note,
        rate_time_us,
    })
}

/// The target of a `ListEfficacyRatingsRequest`.
pub fn rating_target(
    target: Option<pb::list_efficacy_ratings_request::Target>,
) -> Result<RatingTarget> {
    use pb::list_efficacy_ratings_request::Target;
    match target {
        Some(Target::GoalId(goal)) => Ok(RatingTarget::GoalId(id(&goal, "goal_id")?)),
        Some(Target::ActionStepId(step)) => {
            Ok(RatingTarget::ActionStepId(id(&step, "action_step_id")?))
        }
        None => Err(Error::invalid("target", "set goal_id or action_step_id")),
    }
}

/// API form of a rating.
pub fn rating(rating: domain::EfficacyRating) -> pb::EfficacyRating {
    use pb::efficacy_rating::Target;
    pb::EfficacyRating {
        id: rating.meta.id,
        client_id: rating.meta.client_id,
        target: rating.target.map(|target| match target {
            RatingTarget::GoalId(id) => Target::GoalId(id),
            RatingTarget::ActionStepId(id) => Target::ActionStepId(id),
        }),
        score: rating.score,
        note: rating.note,
        rate_time: timestamp(rating.rate_time_us),
        create_time: timestamp(rating.meta.create_time_us),
        update_time: timestamp(rating.meta.update_time_us),
        version: rating.meta.version,
    }
}

// --- sync ---

/// API form of any record or tombstone.
pub fn change(entity: domain::Entity) -> pb::Change {
    use domain::Entity;
    use pb::change::Entity as Api;
    let entity = match entity {
        Entity::Goal(r) => Api::Goal(goal(r)),
        Entity::ActionStep(r) => Api::ActionStep(action_step(r)),
        Entity::CheckIn(r) => Api::CheckIn(check_in(r)),
        Entity::EfficacyRating(r) => Api::EfficacyRating(rating(r)),
        Entity::Tombstone(t) => Api::Tombstone(pb::Tombstone {
            entity_type: t.kind,
            id: t.meta.id,
            version: t.meta.version,
            client_id: t.meta.client_id,
            delete_time: timestamp(t.meta.update_time_us),
        }),
    };
    pb::Change {
        entity: Some(entity),
    }
}

/// Longest device or mutation id.
const MAX_SYNC_ID_CHARS: usize = 128;

fn sync_id(value: &str) -> Result<String, String> {
    match value.chars().count() {
        0 => Err("is required".into()),
        n if n > MAX_SYNC_ID_CHARS => {
            Err(format!("must be at most {MAX_SYNC_ID_CHARS} characters"))
        }
        _ => Ok(value.to_owned()),
    }
}

/// The mutations of a `PushRequest`. Request-level problems (ids, batch
/// size) fail the whole push; bad content of one mutation becomes its
/// rejection.
pub fn push(
    principal: &Principal,
    request: pb::PushRequest,
    max: usize,
    now_us: i64,
) -> Result<Vec<domain::Mutation>> {
    let mut check = Violations::new();
    check.check("device_id", sync_id(&request.device_id));
    if request.mutations.len() > max {
        check.add(
            "mutations",
            format!(
                "at most {max} mutations per push, got {}; split the batch",
                request.mutations.len()
            ),
        );
    }
    for (i, mutation) in request.mutations.iter().enumerate() {
        check.check(
            &format!("mutations[{i}].mutation_id"),
            sync_id(&mutation.mutation_id),
        );
        if mutation.base_version < 0 {
            check.add(
                &format!("mutations[{i}].base_version"),
                "must not be negative",
            );
        }
    }
    check.finish()?;
    Ok(request
        .mutations
        .into_iter()
        .map(|mut m| {
            let mutation_id = std::mem::take(&mut m.mutation_id);
            domain::Mutation {
                mutation_id,
                base_version: m.base_version,
                payload_digest: payload_digest(&m),
                op: mutation_op(principal, m.op, now_us),
            }
        })
        .collect())
}

/// SHA-256 of a mutation whose id was cleared, in its canonical encoding:
/// the prost encoding of the decoded message.
///
/// The digest is of what the device sent, not of the parsed edit, so server
/// defaults (a rating's rate time is "now") cannot make a replay differ.
/// Re-encoding after decoding normalises how different client libraries
/// write the same message: prost writes fields in tag order, leaves out
/// proto3 defaults, drops fields the server does not know, and merges a
/// field sent twice as protobuf says (the last scalar wins), so field
/// order, defaults written out and unknown fields do not count; only what
/// the server acts on does.
fn payload_digest(mutation: &pb::Mutation) -> [u8; 32] {
    use prost::Message;
    use sha2::{Digest, Sha256};
    debug_assert!(mutation.mutation_id.is_empty(), "the id is not payload");
    Sha256::digest(mutation.encode_to_vec()).into()
}

fn mutation_op(
    principal: &Principal,
    op: Option<pb::mutation::Op>,
    now_us: i64,
) -> Result<domain::MutationOp> {
    use domain::{MutationOp, Record};
    use pb::mutation::Op;
    Ok(match op {
        Some(Op::UpsertGoal(g)) => MutationOp::Upsert(new_goal(principal, Some(g))?.into_entity()),
        Some(Op::UpsertActionStep(s)) => {
            MutationOp::Upsert(new_action_step(Some(s))?.into_entity())
        }
        Some(Op::UpsertCheckIn(c)) => MutationOp::Upsert(new_check_in(Some(c))?.0.into_entity()),
        Some(Op::UpsertEfficacyRating(r)) => {
            MutationOp::Upsert(new_rating(Some(r), now_us)?.into_entity())
        }
        Some(Op::Delete(target)) => {
            let kind = fields::enum_value(target.entity_type, domain::EntityKind::Unspecified)
                .map_err(|e| Error::invalid("delete.entity_type", e))?;
            MutationOp::Delete(kind, id(&target.id, "delete.id")?)
        }
        None => {
            return Err(Error::invalid(
                "op",
                "set one of the upsert fields or delete",
            ));
        }
    })
}

/// API form of a mutation's result.
pub fn mutation_result(result: domain::MutationResult) -> pb::MutationResult {
    pb::MutationResult {
        mutation_id: result.mutation_id,
        outcome: result.outcome,
        current: result.current.and_then(|stored| stored.entity).map(change),
        error: result.error,
        reason: result.reason,
        field_violations: result
            .violations
            .into_iter()
            .map(|v| pb::FieldViolation {
                field: v.field,
                description: v.description,
            })
            .collect(),
    }
}

// --- care team ---

/// API form of an invite.
pub fn invite(invite: domain::Invite) -> pb::Invite {
    pb::Invite {
        code: invite.code,
        therapist_id: invite.therapist_id,
        create_time: timestamp(invite.create_time_us),
        expire_time: timestamp(invite.expire_time_us),
    }
}

/// API form of a care link, with the display names of both sides.
pub fn care_link(link: domain::CareLink, names: (String, String)) -> pb::CareLink {
    pb::CareLink {
        id: link.id,
        therapist_id: link.therapist_id,
        client_id: link.client_id,
        state: link.state,
        create_time: timestamp(link.create_time_us),
        revoke_time: (link.revoke_time_us != 0)
            .then(|| timestamp(link.revoke_time_us))
            .flatten(),
        therapist_display_name: names.0,
        client_display_name: names.1,
    }
}

/// API form of an access event.
pub fn access_event(event: domain::AccessEvent) -> pb::AccessEvent {
    pb::AccessEvent {
        therapist_id: event.therapist_id,
        client_id: event.client_id,
        method: event.method,
        time: timestamp(event.time_us),
    }
}

/// API form of an administrator's event; the hash in lowercase hex, as
/// `sha256sum` prints it.
pub fn admin_event(event: domain::AdminEvent) -> pb::AdminEvent {
    pb::AdminEvent {
        actor_id: event.actor_id,
        action: event.action,
        target_id: event.target_id,
        size_bytes: event.size_bytes,
        sha256: event.sha256.iter().map(|b| format!("{b:02x}")).collect(),
        time: timestamp(event.time_us),
    }
}

// --- progress insights ---

/// The target of a `GetProgressRequest`.
pub fn progress_target(
    target: Option<pb::get_progress_request::Target>,
) -> Result<crate::app::ProgressTarget> {
    use crate::app::ProgressTarget;
    use pb::get_progress_request::Target;
    match target {
        Some(Target::ActionStepId(step)) => {
            Ok(ProgressTarget::ActionStep(id(&step, "action_step_id")?))
        }
        Some(Target::GoalId(goal)) => Ok(ProgressTarget::Goal(id(&goal, "goal_id")?)),
        Some(Target::ClientId(client)) => Ok(ProgressTarget::Client(id(&client, "client_id")?)),
        None => Err(Error::invalid(
            "target",
            "set action_step_id, goal_id or client_id",
        )),
    }
}

fn stats(stats: domain::insights::Stats) -> pb::ProgressStats {
    pb::ProgressStats {
        current_streak: stats.current_streak as i32,
        best_streak: stats.best_streak as i32,
        adherence_7d: stats.adherence_7d,
        adherence_28d: stats.adherence_28d,
        habit_strength: stats.habit_strength,
    }
}

fn efficacy(efficacy: domain::insights::Efficacy) -> pb::EfficacyStats {
    pb::EfficacyStats {
        first: efficacy.first,
        latest: efficacy.latest,
        change_28d: efficacy.change_28d,
        count: efficacy.count as i32,
    }
}

/// API form of a progress report.
pub fn progress(report: crate::app::ProgressReport) -> pb::Progress {
    pb::Progress {
        as_of_date: fields::format_date(report.as_of),
        stats: Some(stats(report.stats)),
        efficacy: Some(efficacy(report.efficacy)),
        steps: report
            .steps
            .into_iter()
            .map(|(step, step_stats, step_efficacy)| pb::StepProgress {
                action_step_id: step.meta.id,
                goal_id: step.goal_id,
                status: step.status,
                stats: Some(stats(step_stats)),
                efficacy: Some(efficacy(step_efficacy)),
            })
            .collect(),
    }
}

/// API form of a client summary.
pub fn client_summary(summary: crate::app::ClientSummary) -> pb::ClientSummary {
    let stats = summary.progress.stats;
    let efficacy = summary.progress.efficacy;
    pb::ClientSummary {
        client_id: summary.client_id,
        display_name: summary.display_name,
        last_check_in_time: summary
            .progress
            .last_check_in
            .and_then(|(_, us)| timestamp(us)),
        adherence_7d: stats.adherence_7d,
        adherence_28d: stats.adherence_28d,
        habit_strength: stats.habit_strength,
        efficacy_latest: efficacy.latest,
        efficacy_change_28d: efficacy.change_28d,
        flags: summary.flags.into_iter().map(|f| f as i32).collect(),
    }
}
