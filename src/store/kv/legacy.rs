//! Upgrading a data dir of the first layout (one sled tree per index, every
//! value a prost message mirroring the API) to the key-value layout of
//! [`super::keys`], at start-up, keeping everything: records and
//! tombstones at their versions, sequences, replays, accounts and tokens,
//! invites, care links, both audit trails and the epoch (so devices' cursors
//! stay valid).
//!
//! The upgrade writes the new layout in atomic batches, flushes, and only
//! then drops the old trees; a crash in between leaves the old trees in
//! place and the next start does it again (every write is idempotent).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use prost::Message;
use uuid::Uuid;

use super::codec::{Value, encode_entity};
use super::engine::{Batch, Engine};
use super::keys;
use super::sled::SledKv;
use crate::domain::{
    AccessEvent, Account, AccountState, ActionStep, ActionStepStatus, AdminAction, AdminEvent,
    CareLink, CareLinkState, CheckIn, CheckInState, EfficacyRating, Entity, Goal, GoalStatus,
    Invite, Kind, Meta, Outcome, Parent, RatingTarget, Rejection, Replay, Role, Schedule,
    StepTrack, Tombstone, TrackedRating, TrackedStep, track_year,
};
use crate::error::{Error, FieldViolation, Result};

/// The trees of the first layout.
const OLD_TREES: &[&str] = &[
    "entities",
    "goals_by_client",
    "steps_by_goal",
    "check_ins_by_step",
    "ratings_by_target",
    "changes",
    "sequences",
    "accounts",
    "token_hashes",
    "mutations",
    "generations",
    "meta",
    "invites",
    "care_links",
    "links_by_pair",
    "links_by_client",
    "links_by_therapist",
    "access_by_client",
    "access_by_therapist",
    "admin_events",
];

/// Entries written per batch.
const BATCH: usize = 10_000;

// The first layout's messages, as they were stored (enums as their
// numbers).

#[derive(Clone, PartialEq, Message)]
struct OldMeta {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(string, tag = "2")]
    client_id: String,
    #[prost(int64, tag = "3")]
    version: i64,
    #[prost(int64, tag = "4")]
    create_time_us: i64,
    #[prost(int64, tag = "5")]
    update_time_us: i64,
    #[prost(string, tag = "6")]
    created_by: String,
    #[prost(string, tag = "7")]
    updated_by: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldGoal {
    #[prost(message, required, tag = "1")]
    meta: OldMeta,
    #[prost(string, tag = "2")]
    title: String,
    #[prost(string, tag = "3")]
    why: String,
    #[prost(string, tag = "4")]
    target_date: String,
    #[prost(int32, tag = "5")]
    status: i32,
}

#[derive(Clone, Copy, PartialEq, Message)]
struct OldSchedule {
    #[prost(uint32, tag = "1")]
    times: u32,
    #[prost(uint32, tag = "2")]
    period_days: u32,
}

#[derive(Clone, PartialEq, Message)]
struct OldActionStep {
    #[prost(message, required, tag = "1")]
    meta: OldMeta,
    #[prost(string, tag = "2")]
    goal_id: String,
    #[prost(string, tag = "3")]
    title: String,
    #[prost(message, required, tag = "4")]
    schedule: OldSchedule,
    #[prost(int32, tag = "5")]
    status: i32,
}

#[derive(Clone, PartialEq, Message)]
struct OldCheckIn {
    #[prost(message, required, tag = "1")]
    meta: OldMeta,
    #[prost(string, tag = "2")]
    action_step_id: String,
    #[prost(string, tag = "3")]
    local_date: String,
    #[prost(int32, tag = "4")]
    state: i32,
    #[prost(double, tag = "5")]
    amount: f64,
    #[prost(string, tag = "6")]
    note: String,
    #[prost(bool, tag = "7")]
    private_note: bool,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum OldRatingTarget {
    #[prost(string, tag = "2")]
    GoalId(String),
    #[prost(string, tag = "3")]
    ActionStepId(String),
}

#[derive(Clone, PartialEq, Message)]
struct OldEfficacyRating {
    #[prost(message, required, tag = "1")]
    meta: OldMeta,
    #[prost(oneof = "OldRatingTarget", tags = "2, 3")]
    target: Option<OldRatingTarget>,
    #[prost(int32, tag = "4")]
    score: i32,
    #[prost(string, tag = "5")]
    note: String,
    #[prost(int64, tag = "6")]
    rate_time_us: i64,
}

#[derive(Clone, PartialEq, Message)]
struct OldTombstone {
    #[prost(int32, tag = "1")]
    kind: i32,
    #[prost(message, required, tag = "2")]
    meta: OldMeta,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum OldEntity {
    #[prost(message, tag = "1")]
    Goal(OldGoal),
    #[prost(message, tag = "2")]
    ActionStep(OldActionStep),
    #[prost(message, tag = "3")]
    CheckIn(OldCheckIn),
    #[prost(message, tag = "4")]
    EfficacyRating(OldEfficacyRating),
    #[prost(message, tag = "5")]
    Tombstone(OldTombstone),
}

#[derive(Clone, PartialEq, Message)]
struct OldStoredEntity {
    #[prost(oneof = "OldEntity", tags = "1, 2, 3, 4, 5")]
    entity: Option<OldEntity>,
}

#[derive(Clone, PartialEq, Message)]
struct OldAccount {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(int32, tag = "2")]
    role: i32,
    #[prost(string, tag = "3")]
    display_name: String,
    #[prost(string, tag = "4")]
    time_zone: String,
    #[prost(int64, tag = "5")]
    create_time_us: i64,
    #[prost(int64, tag = "6")]
    update_time_us: i64,
    #[prost(int64, tag = "7")]
    version: i64,
}

#[derive(Clone, PartialEq, Message)]
struct OldInvite {
    #[prost(string, tag = "1")]
    code: String,
    #[prost(string, tag = "2")]
    therapist_id: String,
    #[prost(int64, tag = "3")]
    create_time_us: i64,
    #[prost(int64, tag = "4")]
    expire_time_us: i64,
    #[prost(string, tag = "5")]
    used_by: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldCareLink {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(string, tag = "2")]
    therapist_id: String,
    #[prost(string, tag = "3")]
    client_id: String,
    #[prost(int32, tag = "4")]
    state: i32,
    #[prost(int64, tag = "5")]
    create_time_us: i64,
    #[prost(int64, tag = "6")]
    revoke_time_us: i64,
}

#[derive(Clone, PartialEq, Message)]
struct OldAccessEvent {
    #[prost(string, tag = "1")]
    therapist_id: String,
    #[prost(string, tag = "2")]
    client_id: String,
    #[prost(string, tag = "3")]
    method: String,
    #[prost(int64, tag = "4")]
    time_us: i64,
}

#[derive(Clone, PartialEq, Message)]
struct OldAdminEvent {
    #[prost(string, tag = "1")]
    actor_id: String,
    #[prost(int32, tag = "2")]
    action: i32,
    #[prost(string, tag = "3")]
    target_id: String,
    #[prost(int64, tag = "4")]
    size_bytes: i64,
    #[prost(bytes = "vec", tag = "5")]
    sha256: Vec<u8>,
    #[prost(int64, tag = "6")]
    time_us: i64,
}

#[derive(Clone, PartialEq, Message)]
struct OldViolation {
    #[prost(string, tag = "1")]
    field: String,
    #[prost(string, tag = "2")]
    description: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldMutationResult {
    #[prost(string, tag = "1")]
    mutation_id: String,
    #[prost(int32, tag = "2")]
    outcome: i32,
    #[prost(message, optional, tag = "3")]
    current: Option<OldStoredEntity>,
    #[prost(string, tag = "4")]
    error: String,
    #[prost(string, tag = "5")]
    reason: String,
    #[prost(message, repeated, tag = "6")]
    violations: Vec<OldViolation>,
    #[prost(bytes = "vec", tag = "7")]
    payload_digest: Vec<u8>,
}

fn bad(what: &str) -> Error {
    Error::internal(format!("the old store holds a malformed {what}"))
}

fn id(value: &str) -> Result<Uuid> {
    Uuid::parse_str(value).map_err(|_| bad("id"))
}

fn optional_id(value: &str) -> Result<Option<Uuid>> {
    if value.is_empty() {
        Ok(None)
    } else {
        id(value).map(Some)
    }
}

fn date(value: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| bad("date"))
}

fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M> {
    M::decode(bytes).map_err(|_| bad(what))
}

fn meta(old: &OldMeta) -> Result<Meta> {
    let client_id = id(&old.client_id)?;
    let created_by = optional_id(&old.created_by)?.unwrap_or(client_id);
    Ok(Meta {
        id: id(&old.id)?,
        client_id,
        version: old.version,
        create_time_us: old.create_time_us,
        update_time_us: old.update_time_us,
        created_by,
        updated_by: optional_id(&old.updated_by)?.unwrap_or(created_by),
    })
}

fn kind(number: i32) -> Result<Kind> {
    match number {
        1 => Ok(Kind::Goal),
        2 => Ok(Kind::ActionStep),
        3 => Ok(Kind::CheckIn),
        4 => Ok(Kind::EfficacyRating),
        _ => Err(bad("record kind")),
    }
}

fn entity(old: OldStoredEntity) -> Result<Entity> {
    Ok(match old.entity.ok_or_else(|| bad("record"))? {
        OldEntity::Goal(g) => Entity::Goal(Goal {
            meta: meta(&g.meta)?,
            title: g.title,
            why: g.why,
            target_date: match g.target_date.as_str() {
                "" => None,
                day => Some(date(day)?),
            },
            status: match g.status {
                2 => GoalStatus::Achieved,
                3 => GoalStatus::Archived,
                _ => GoalStatus::Active,
            },
            // The first layout had no attainment scales.
            attainment_scale: None,
        }),
        OldEntity::ActionStep(s) => Entity::ActionStep(ActionStep {
            meta: meta(&s.meta)?,
            goal_id: id(&s.goal_id)?,
            title: s.title,
            schedule: Schedule {
                times: s.schedule.times,
                period_days: s.schedule.period_days,
            },
            status: match s.status {
                2 => ActionStepStatus::Paused,
                3 => ActionStepStatus::Archived,
                _ => ActionStepStatus::Active,
            },
        }),
        OldEntity::CheckIn(c) => Entity::CheckIn(CheckIn {
            meta: meta(&c.meta)?,
            action_step_id: id(&c.action_step_id)?,
            local_date: date(&c.local_date)?,
            state: match c.state {
                2 => CheckInState::Partial,
                3 => CheckInState::Skipped,
                _ => CheckInState::Done,
            },
            amount: c.amount,
            note: c.note,
            private_note: c.private_note,
        }),
        OldEntity::EfficacyRating(r) => Entity::EfficacyRating(EfficacyRating {
            meta: meta(&r.meta)?,
            target: match r.target.ok_or_else(|| bad("rating"))? {
                OldRatingTarget::GoalId(goal) => RatingTarget::Goal(id(&goal)?),
                OldRatingTarget::ActionStepId(step) => RatingTarget::ActionStep(id(&step)?),
            },
            score: u8::try_from(r.score).map_err(|_| bad("rating"))?,
            note: r.note,
            rate_time_us: r.rate_time_us,
        }),
        OldEntity::Tombstone(t) => Entity::Tombstone(Tombstone {
            kind: kind(t.kind)?,
            meta: meta(&t.meta)?,
            // The first layout had no records hidden from therapists.
            hidden_from_therapists: false,
        }),
    })
}

fn account(old: OldAccount) -> Result<Account> {
    Ok(Account {
        id: id(&old.id)?,
        role: match old.role {
            2 => Role::Therapist,
            3 => Role::Admin,
            _ => Role::Client,
        },
        display_name: old.display_name,
        time_zone: old.time_zone.parse::<Tz>().unwrap_or(chrono_tz::UTC),
        create_time_us: old.create_time_us,
        update_time_us: old.update_time_us,
        version: old.version,
        state: AccountState::Active,
    })
}

/// Collects the new layout's entries and writes them in batches.
struct Writer<'a> {
    engine: &'a SledKv,
    batch: Batch,
    written: u64,
}

impl Writer<'_> {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.batch.push((key, Some(value)));
        self.written += 1;
        if self.batch.len() >= BATCH {
            self.engine.apply(std::mem::take(&mut self.batch))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<u64> {
        self.engine.apply(std::mem::take(&mut self.batch))?;
        self.engine.flush()?;
        Ok(self.written)
    }
}

/// Upgrades `engine`'s data dir when it holds the first layout; returns
/// the number of entries written, or `None` when there was nothing to do.
/// Replays, which the first layout kept undated, are dated `now_us` for
/// retention.
pub fn upgrade(engine: &SledKv, now_us: i64) -> Result<Option<u64>> {
    let db = engine.db();
    let names: Vec<Vec<u8>> = db.tree_names().iter().map(|n| n.to_vec()).collect();
    if !names.iter().any(|name| name.as_slice() == b"entities") {
        return Ok(None);
    }
    tracing::info!("upgrading the store from its first layout");
    let tree = |name: &str| db.open_tree(name).map_err(Error::from);
    let mut out = Writer {
        engine,
        batch: Vec::new(),
        written: 0,
    };
    if let Some(epoch) = tree("meta")?.get(b"epoch")? {
        out.put(keys::epoch(), epoch.to_vec())?;
    }
    // Accounts first: their time zones fix the aggregates' local days.
    let mut zones: BTreeMap<Uuid, Tz> = BTreeMap::new();
    for entry in tree("accounts")?.iter() {
        let (_, value) = entry?;
        let account = account(decode(&value, "account")?)?;
        zones.insert(account.id, account.time_zone);
        out.put(
            keys::key(keys::ACCOUNT, &[account.id.as_bytes()]),
            account.encode(),
        )?;
    }
    for entry in tree("token_hashes")?.iter() {
        let (hash, account) = entry?;
        out.put(keys::key(keys::TOKEN, &[&hash]), account.to_vec())?;
    }
    for entry in tree("sequences")?.iter() {
        let (client, seq) = entry?;
        out.put(keys::key(keys::SEQUENCE, &[&client]), seq.to_vec())?;
    }
    records(&tree("entities")?, &zones, &mut out)?;
    replays(&tree("mutations")?, now_us, &mut out)?;
    care(db, &mut out)?;
    let written = out.finish()?;
    for name in OLD_TREES {
        db.drop_tree(name)?;
    }
    engine.flush()?;
    tracing::info!(
        entries = written,
        "upgraded the store to its key-value layout"
    );
    Ok(Some(written))
}

/// Records with their change index and parent index entries, and the
/// aggregates rebuilt from them.
fn records(entities: &sled::Tree, zones: &BTreeMap<Uuid, Tz>, out: &mut Writer<'_>) -> Result<()> {
    let mut step_years: BTreeMap<(Uuid, i32), StepTrack> = BTreeMap::new();
    for entry in entities.iter() {
        let (_, value) = entry?;
        let entity = entity(decode(&value, "record")?)?;
        let meta = *entity.meta();
        // Sealed when the store is first opened with its master key.
        out.put(keys::record(meta.id), encode_entity(&entity).plain())?;
        out.put(
            keys::change(meta.client_id, meta.version),
            meta.id.as_bytes().to_vec(),
        )?;
        if entity.is_deleted() {
            out.put(
                keys::tombstone_by_time(meta.update_time_us, meta.id),
                Vec::new(),
            )?;
        }
        let (Some(parent), Some(order)) = (entity.parent(), entity.order()) else {
            continue;
        };
        let parent = match parent {
            Parent::Client => meta.client_id,
            Parent::Record(_, id) => id,
        };
        out.put(
            keys::child(parent, entity.kind(), order, meta.id),
            Vec::new(),
        )?;
        let zone = zones
            .get(&meta.client_id)
            .copied()
            .unwrap_or(chrono_tz::UTC);
        match &entity {
            Entity::CheckIn(check_in) => {
                let year = track_year(check_in.local_date);
                step_years
                    .entry((check_in.action_step_id, year))
                    .or_default()
                    .set(check_in);
            }
            Entity::ActionStep(step) => out.put(
                keys::tracked_step(meta.client_id, meta.id),
                TrackedStep::of(step, None, zone).encode(),
            )?,
            Entity::EfficacyRating(rating) => out.put(
                keys::tracked_rating(meta.client_id, meta.id),
                TrackedRating::of(rating, zone).encode(),
            )?,
            // The first layout had none of the later kinds, and goals
            // without attainment scales need no aggregate.
            Entity::Goal(_)
            | Entity::Assignment(_)
            | Entity::AssessmentResult(_)
            | Entity::AttainmentRating(_)
            | Entity::Comment(_)
            | Entity::Skill(_)
            | Entity::SkillPractice(_)
            | Entity::ThoughtRecord(_)
            | Entity::Tombstone(_) => {}
        }
    }
    for ((step, year), track) in step_years {
        out.put(keys::step_year(step, year), track.encode())?;
    }
    Ok(())
}

/// What each mutation did, as a replay needs it, dated `now_us`.
fn replays(mutations: &sled::Tree, now_us: i64, out: &mut Writer<'_>) -> Result<()> {
    for entry in mutations.iter() {
        let (key, value) = entry?;
        let account = Uuid::from_slice(key.get(..16).ok_or_else(|| bad("replay"))?)
            .map_err(|_| bad("replay"))?;
        let result: OldMutationResult = decode(&value, "replay")?;
        let current = result.current.map(entity).transpose()?;
        let rejected = result.outcome == 4;
        let replay = Replay {
            payload_digest: result.payload_digest.as_slice().try_into().ok(),
            outcome: match result.outcome {
                1 => Outcome::Applied,
                2 => Outcome::Conflict,
                3 => Outcome::Gone,
                _ => Outcome::Rejected,
            },
            record_id: current.as_ref().map(|e| e.meta().id),
            version: current.as_ref().map_or(0, |e| e.meta().version),
            rejection: rejected.then(|| Rejection {
                reason: result.reason,
                message: result.error,
                violations: result
                    .violations
                    .into_iter()
                    .map(|v| FieldViolation {
                        field: v.field,
                        description: v.description,
                    })
                    .collect(),
            }),
        };
        out.put(keys::replay(account, &result.mutation_id), replay.encode())?;
        out.put(
            keys::replay_by_time(now_us, account, &result.mutation_id),
            Vec::new(),
        )?;
    }
    Ok(())
}

/// Invites, care links (with their indexes) and both audit trails.
fn care(db: &sled::Db, out: &mut Writer<'_>) -> Result<()> {
    for entry in db.open_tree("invites")?.iter() {
        let (_, value) = entry?;
        let old: OldInvite = decode(&value, "invite")?;
        let invite = Invite {
            code: old.code,
            therapist_id: id(&old.therapist_id)?,
            create_time_us: old.create_time_us,
            expire_time_us: old.expire_time_us,
            used_by: optional_id(&old.used_by)?,
        };
        out.put(
            keys::key(keys::INVITE, &[invite.code.as_bytes()]),
            invite.encode(),
        )?;
    }
    let mut links = Vec::new();
    for entry in db.open_tree("care_links")?.iter() {
        let (_, value) = entry?;
        let old: OldCareLink = decode(&value, "care link")?;
        links.push(CareLink {
            id: id(&old.id)?,
            therapist_id: id(&old.therapist_id)?,
            client_id: id(&old.client_id)?,
            state: if old.state == 2 {
                CareLinkState::Revoked
            } else {
                CareLinkState::Active
            },
            create_time_us: old.create_time_us,
            revoke_time_us: (old.revoke_time_us != 0).then_some(old.revoke_time_us),
        });
    }
    // The latest link of a pair is the one its pair entry points at.
    links.sort_by_key(|link| link.create_time_us);
    for link in links {
        let (link_id, therapist, client) = (
            link.id.as_bytes(),
            link.therapist_id.as_bytes(),
            link.client_id.as_bytes(),
        );
        out.put(keys::key(keys::LINK, &[link_id]), link.encode())?;
        out.put(
            keys::key(keys::LINK_PAIR, &[therapist, client]),
            link_id.to_vec(),
        )?;
        out.put(
            keys::key(keys::LINK_BY_CLIENT, &[client, link_id]),
            Vec::new(),
        )?;
        out.put(
            keys::key(keys::LINK_BY_THERAPIST, &[therapist, link_id]),
            Vec::new(),
        )?;
    }
    for entry in db.open_tree("access_by_client")?.iter() {
        let (key, value) = entry?;
        let old: OldAccessEvent = decode(&value, "access event")?;
        let event = AccessEvent {
            therapist_id: id(&old.therapist_id)?,
            client_id: id(&old.client_id)?,
            method: old.method,
            time_us: old.time_us,
        };
        // The old key's time and random suffix (after the client) stay.
        let suffix = key.get(16..).ok_or_else(|| bad("access event"))?;
        let value = event.encode();
        out.put(
            keys::key(
                keys::ACCESS_BY_CLIENT,
                &[event.client_id.as_bytes(), suffix],
            ),
            value.clone(),
        )?;
        out.put(
            keys::key(
                keys::ACCESS_BY_THERAPIST,
                &[event.therapist_id.as_bytes(), suffix],
            ),
            value,
        )?;
    }
    for entry in db.open_tree("admin_events")?.iter() {
        let (key, value) = entry?;
        let old: OldAdminEvent = decode(&value, "administrator's event")?;
        let event = AdminEvent {
            actor_id: id(&old.actor_id)?,
            action: if old.action == 1 {
                AdminAction::BackupCreated
            } else {
                AdminAction::AccountCreated
            },
            target_id: id(&old.target_id)?,
            size_bytes: u64::try_from(old.size_bytes).unwrap_or(0),
            sha256: old.sha256.as_slice().try_into().ok(),
            time_us: old.time_us,
        };
        out.put(keys::key(keys::ADMIN_EVENT, &[&key]), event.encode())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::{Clock, Expiring, ManualClock};
    use crate::store::Store;
    use crate::store::kv::KvStore;
    use crate::store::kv::seal::MasterKey;

    fn old_meta(id: Uuid, client: Uuid, version: i64) -> OldMeta {
        OldMeta {
            id: id.to_string(),
            client_id: client.to_string(),
            version,
            create_time_us: 1_700_000_000_000_000,
            update_time_us: 1_700_000_000_000_000,
            created_by: client.to_string(),
            updated_by: client.to_string(),
        }
    }

    fn stored(entity: OldEntity) -> Vec<u8> {
        OldStoredEntity {
            entity: Some(entity),
        }
        .encode_to_vec()
    }

    /// A data dir of the first layout: a client with a goal, a step, a
    /// check-in, a deleted goal, a replay, and a linked therapist.
    /// Fills `db` with a store of the first layout. Its handle is passed
    /// around rather than opened again: sled's threads hold the data dir's
    /// lock for a moment after a handle is dropped, so a second open right
    /// away can fail.
    fn old_store(db: &sled::Db) -> (Uuid, Uuid, Uuid) {
        let (client, therapist) = (Uuid::now_v7(), Uuid::now_v7());
        let (goal, step, check_in, gone) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let entities = db.open_tree("entities").expect("tree");
        let put = |id: Uuid, value: Vec<u8>| {
            entities.insert(id.as_bytes(), value).expect("insert");
        };
        put(
            goal,
            stored(OldEntity::Goal(OldGoal {
                meta: old_meta(goal, client, 1),
                title: "Walk more".into(),
                why: String::new(),
                target_date: "2026-12-31".into(),
                status: 1,
            })),
        );
        put(
            step,
            stored(OldEntity::ActionStep(OldActionStep {
                meta: old_meta(step, client, 2),
                goal_id: goal.to_string(),
                title: "Walk".into(),
                schedule: OldSchedule {
                    times: 1,
                    period_days: 1,
                },
                status: 1,
            })),
        );
        put(
            check_in,
            stored(OldEntity::CheckIn(OldCheckIn {
                meta: old_meta(check_in, client, 3),
                action_step_id: step.to_string(),
                local_date: "2026-11-20".into(),
                state: 1,
                amount: 0.0,
                note: "Felt good".into(),
                private_note: true,
            })),
        );
        put(
            gone,
            stored(OldEntity::Tombstone(OldTombstone {
                kind: 1,
                meta: old_meta(gone, client, 4),
            })),
        );
        db.open_tree("sequences")
            .expect("tree")
            .insert(client.as_bytes(), &4i64.to_be_bytes())
            .expect("insert");
        let account = |id: Uuid, role: i32, name: &str| OldAccount {
            id: id.to_string(),
            role,
            display_name: name.into(),
            time_zone: "Europe/Berlin".into(),
            create_time_us: 1,
            update_time_us: 1,
            version: 1,
        };
        let accounts = db.open_tree("accounts").expect("tree");
        accounts
            .insert(client.as_bytes(), account(client, 1, "Ada").encode_to_vec())
            .expect("insert");
        accounts
            .insert(
                therapist.as_bytes(),
                account(therapist, 2, "Ruth").encode_to_vec(),
            )
            .expect("insert");
        db.open_tree("token_hashes")
            .expect("tree")
            .insert([7u8; 32], client.as_bytes())
            .expect("insert");
        let link = Uuid::now_v7();
        db.open_tree("care_links")
            .expect("tree")
            .insert(
                link.as_bytes(),
                OldCareLink {
                    id: link.to_string(),
                    therapist_id: therapist.to_string(),
                    client_id: client.to_string(),
                    state: 1,
                    create_time_us: 5,
                    revoke_time_us: 0,
                }
                .encode_to_vec(),
            )
            .expect("insert");
        let mut replay_key = client.as_bytes().to_vec();
        replay_key.extend_from_slice(b"m1");
        db.open_tree("mutations")
            .expect("tree")
            .insert(
                replay_key,
                OldMutationResult {
                    mutation_id: "m1".into(),
                    outcome: 1,
                    current: Some(OldStoredEntity {
                        entity: Some(OldEntity::Goal(OldGoal {
                            meta: old_meta(goal, client, 1),
                            ..OldGoal::default()
                        })),
                    }),
                    ..OldMutationResult::default()
                }
                .encode_to_vec(),
            )
            .expect("insert");
        db.open_tree("meta")
            .expect("tree")
            .insert(b"epoch", &[9u8; 16])
            .expect("insert");
        db.flush().expect("flush");
        (client, therapist, check_in)
    }

    #[tokio::test]
    async fn a_store_of_the_first_layout_keeps_everything_after_the_upgrade() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (client, therapist, check_in) = old_store(&sled::open(dir.path()).expect("old store"));

        let engine = SledKv::open(dir.path(), 16 * 1024 * 1024).expect("open");
        let clock = Arc::new(ManualClock::starting_now());
        let written = upgrade(&engine, clock.now_micros())
            .expect("upgrade")
            .expect("there was an old layout");
        assert!(written > 10);
        assert_eq!(
            upgrade(&engine, clock.now_micros()).expect("again"),
            None,
            "done once"
        );
        let store: Arc<dyn Store> =
            Arc::new(KvStore::open(engine, clock.clone(), MasterKey::generate()).expect("store"));

        assert_eq!(store.epoch(), [9u8; 16], "cursors stay valid");
        assert_eq!(store.head(client).await.expect("head"), 4);
        let changes = store
            .changes(client, (0, 4), (100, usize::MAX), false)
            .await
            .expect("changes");
        assert_eq!(changes.entities.len(), 4, "each record once, tombstone too");
        let Some(Entity::CheckIn(kept)) = store.entity(check_in).await.expect("read") else {
            panic!("the check-in is kept");
        };
        assert_eq!((kept.note.as_str(), kept.private_note), ("Felt good", true));
        assert!(store.link_active(therapist, client).await.expect("link"));
        let token = store.token(&[7; 32]).await.expect("token").expect("kept");
        let listed = store
            .tokens(
                token.account_id,
                crate::store::PageRequest {
                    size: 10,
                    token: "",
                },
            )
            .await
            .expect("listed");
        assert_eq!(listed.items, vec![token], "tokens are listed by account");
        let track = store.client_track(client).await.expect("track");
        assert_eq!(track.steps.len(), 1, "the aggregate is rebuilt");
        assert_eq!(
            store
                .step_track(kept.action_step_id)
                .await
                .expect("days")
                .days
                .len(),
            1
        );

        // Retention finds what was upgraded: the tombstone by the time of
        // its deletion (2023), the replay by the time of the upgrade.
        let purge = |what: Expiring, before_us: i64| {
            let store = store.clone();
            async move {
                store
                    .write(Uuid::nil(), move |tx| tx.purge(what, before_us, 100, None))
                    .await
                    .expect("purge")
                    .removed
            }
        };
        let now = clock.now_micros();
        assert_eq!(purge(Expiring::Tombstones, now).await, 1);
        let changes = store
            .changes(client, (0, 4), (100, usize::MAX), false)
            .await
            .expect("changes");
        assert_eq!(changes.entities.len(), 3, "the tombstone left the index");
        assert_eq!(store.sync_floor(client).await.expect("floor"), 4);
        assert_eq!(purge(Expiring::Replays, now).await, 0, "dated now");
        assert_eq!(purge(Expiring::Replays, now + 1).await, 1);
    }

    /// A backup of the first layout, as that version's `stepwise backup`
    /// wrote it.
    fn first_layout_backup(db: &sled::Db, to: &std::path::Path) {
        use sha2::{Digest, Sha256};
        let mut bytes = b"STEPWISE-BACKUP1".to_vec();
        for name in db.tree_names() {
            for entry in db.open_tree(&name).expect("tree").iter() {
                let (key, value) = entry.expect("entry");
                bytes.push(1);
                bytes.extend_from_slice(&(name.len() as u16).to_be_bytes());
                bytes.extend_from_slice(&name);
                bytes.extend_from_slice(&(key.len() as u32).to_be_bytes());
                bytes.extend_from_slice(&key);
                bytes.extend_from_slice(&(value.len() as u32).to_be_bytes());
                bytes.extend_from_slice(&value);
            }
        }
        bytes.push(0xFF);
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        std::fs::write(to, bytes).expect("write backup");
    }

    #[tokio::test]
    async fn a_backup_of_the_first_layout_restores_and_upgrades() {
        let old = tempfile::tempdir().expect("temp dir");
        let db = sled::open(old.path().join("db")).expect("old store");
        let (client, _, _) = old_store(&db);
        let file = old.path().join("first.backup");
        first_layout_backup(&db, &file);

        let restored = tempfile::tempdir().expect("temp dir");
        super::super::snapshot::restore(&file, restored.path(), None).expect("restore");
        let engine = SledKv::open(restored.path(), 16 * 1024 * 1024).expect("open");
        let clock = Arc::new(ManualClock::starting_now());
        upgrade(&engine, clock.now_micros())
            .expect("upgrade")
            .expect("an old layout");
        let store: Arc<dyn Store> =
            Arc::new(KvStore::open(engine, clock, MasterKey::generate()).expect("store"));
        assert_ne!(store.epoch(), [9u8; 16], "a restored store has a new epoch");
        assert_eq!(store.head(client).await.expect("head"), 4);
    }
}
