//! Retention's side of a transaction: removing what is older than its
//! window, one bounded batch per call, so that the writer thread is never
//! held up for long (see [`crate::store::Tx::purge`]).

use std::ops::Bound;

use uuid::Uuid;

use super::kv::codec::{Value, encode_seq, replay_version};
use super::kv::keys;
use super::tx::Tx;
use super::types::Purged;
use crate::domain::{AccessEvent, Entity, Expiring, Invite};
use crate::error::{Error, Result};

impl Tx<'_> {
    /// Removes entries of `what` dated before `before_us`, examining at most
    /// about `limit` entries, from `resume` (`None` at the start of a pass,
    /// else the previous batch's [`Purged::resume`]). Forgetting a replay or
    /// a tombstone raises its client's sync floor to its version in the same
    /// transaction; a tombstone's record entry stays, so its id stays taken.
    pub fn purge(
        &mut self,
        what: Expiring,
        before_us: i64,
        limit: usize,
        resume: Option<&[u8]>,
    ) -> Result<Purged> {
        purge(self, what, before_us, limit, resume)
    }
}

fn purge(
    tx: &mut Tx<'_>,
    what: Expiring,
    before_us: i64,
    limit: usize,
    resume: Option<&[u8]>,
) -> Result<Purged> {
    // Two at least: a batch of access events may spend one on finding a
    // client and must still remove something.
    let limit = limit.max(2);
    match what {
        Expiring::Replays => oldest(tx, keys::REPLAY_BY_TIME, before_us, limit, forget_replay),
        Expiring::Tombstones => oldest(
            tx,
            keys::TOMBSTONE_BY_TIME,
            before_us,
            limit,
            compact_tombstone,
        ),
        Expiring::AdminEvents => oldest(tx, keys::ADMIN_EVENT, before_us, limit, |_, _| Ok(())),
        Expiring::Invites => expired_invites(tx, before_us, limit, resume),
        Expiring::AccessEvents => access_events(tx, before_us, limit, resume),
    }
}

/// Removes the oldest entries of the time-ordered `prefix` dated before
/// `before_us`, each after `also` removed what it stands for. The next
/// batch starts again at the oldest entry left.
fn oldest<'a>(
    tx: &mut Tx<'a>,
    prefix: u8,
    before_us: i64,
    limit: usize,
    also: impl Fn(&mut Tx<'a>, &[u8]) -> Result<()>,
) -> Result<Purged> {
    let start = [prefix];
    let end = keys::at_time(&start, before_us);
    let entries = tx.scan((Bound::Included(&start), Bound::Excluded(&end)), limit)?;
    for (key, _) in &entries {
        also(tx, key)?;
        tx.remove(key.clone());
    }
    Ok(Purged {
        removed: entries.len() as u64,
        resume: (entries.len() == limit).then(Vec::new),
    })
}

/// Forgets the replay a retention index entry points at; a push that
/// would have been answered by it must now come from a device whose
/// cursor is past the version it produced.
fn forget_replay(tx: &mut Tx<'_>, index: &[u8]) -> Result<()> {
    let (account, replay) =
        keys::replay_of_index(index).ok_or_else(|| Error::internal("bad replay index key"))?;
    if let Some(kept) = tx.get(&replay)? {
        raise_floor(tx, account, replay_version(&kept)?)?;
        tx.remove(replay);
    }
    Ok(())
}

/// Takes a tombstone out of the change index (its record entry stays, so
/// the id stays taken); a pull from before it must start afresh.
fn compact_tombstone(tx: &mut Tx<'_>, index: &[u8]) -> Result<()> {
    let id = keys::child_id(index).ok_or_else(|| Error::internal("bad tombstone index key"))?;
    if let Some(Entity::Tombstone(tombstone)) = tx.entity(id)? {
        let (client, version) = (tombstone.meta.client_id, tombstone.meta.version);
        tx.remove(keys::change(client, version));
        raise_floor(tx, client, version)?;
    }
    Ok(())
}

fn raise_floor(tx: &mut Tx<'_>, client: Uuid, seq: i64) -> Result<()> {
    if seq > tx.sync_floor(client)? {
        tx.put(keys::sync_floor(client), encode_seq(seq));
    }
    Ok(())
}

/// Removes invites that expired before `expired_before_us`, examining
/// `limit` invites from `resume` on (invites are keyed by code, not time;
/// retention itself keeps their number small).
fn expired_invites(
    tx: &mut Tx<'_>,
    expired_before_us: i64,
    limit: usize,
    resume: Option<&[u8]>,
) -> Result<Purged> {
    let prefix = [keys::INVITE];
    let end = [keys::INVITE + 1];
    let from = resume.unwrap_or(&prefix);
    let entries = tx.scan((Bound::Included(from), Bound::Excluded(&end)), limit)?;
    let mut removed = 0;
    for (key, value) in &entries {
        if Invite::decode(value)?.expire_time_us < expired_before_us {
            tx.remove(key.clone());
            removed += 1;
        }
    }
    let resume = match entries.last() {
        Some((last, _)) if entries.len() == limit => Some([&last[..], &[0]].concat()),
        _ => None,
    };
    Ok(Purged { removed, resume })
}

/// Removes access events dated before `before_us`, in both orders of the
/// trail. Each client's events are in time order, so per client only the
/// old ones are read; a batch reads at most `limit` entries (the first of
/// each client counted), from the client in `resume` on.
fn access_events(
    tx: &mut Tx<'_>,
    before_us: i64,
    limit: usize,
    resume: Option<&[u8]>,
) -> Result<Purged> {
    /// The prefix and client id of an entry's key.
    const CLIENT_PREFIX: usize = 1 + 16;
    let end = [keys::ACCESS_BY_CLIENT + 1];
    let mut from = resume.map_or_else(|| vec![keys::ACCESS_BY_CLIENT], <[u8]>::to_vec);
    let (mut budget, mut removed) = (limit, 0);
    while budget > 0 {
        let next = tx.scan((Bound::Included(&from), Bound::Excluded(&end)), 1)?;
        let Some((first, _)) = next.first() else {
            return Ok(Purged {
                removed,
                resume: None,
            });
        };
        budget -= 1;
        let client = first
            .get(..CLIENT_PREFIX)
            .ok_or_else(|| Error::internal("bad access event key"))?
            .to_vec();
        let old_end = keys::at_time(&client, before_us);
        let old = tx.scan((Bound::Included(first), Bound::Excluded(&old_end)), budget)?;
        budget -= old.len();
        for (key, value) in old {
            let event = AccessEvent::decode(&value)?;
            let by_therapist = keys::key(
                keys::ACCESS_BY_THERAPIST,
                &[event.therapist_id.as_bytes(), &key[CLIENT_PREFIX..]],
            );
            tx.remove(by_therapist);
            tx.remove(key);
            removed += 1;
        }
        // Out of budget: this client may have more; its removed events are
        // gone, so the next batch starts at it again.
        from = if budget == 0 {
            client
        } else {
            keys::prefix_end(&client).ok_or_else(|| Error::internal("bad access event key"))?
        };
    }
    Ok(Purged {
        removed,
        resume: Some(from),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use uuid::Uuid;

    use crate::domain::{
        AccessEvent, AdminAction, AdminEvent, Expiring, ManualClock, Outcome, Replay,
    };
    use crate::store::kv::memory::MemoryKv;
    use crate::store::kv::seal::MasterKey;
    use crate::store::{PageRequest, Purged, Side, Store};

    fn store() -> Arc<Store> {
        let clock = Arc::new(ManualClock::starting_at(1_000));
        Arc::new(
            Store::open(MemoryKv::default(), clock, MasterKey::generate()).expect("store opens"),
        )
    }

    /// Runs a whole pass over `what` in batches of `limit`; returns the
    /// entries removed and the batches it took.
    async fn pass(
        store: &Arc<Store>,
        what: Expiring,
        before_us: i64,
        limit: usize,
    ) -> (u64, usize) {
        let (mut removed, mut batches, mut resume) = (0, 0, None::<Vec<u8>>);
        loop {
            let from = resume.take();
            let Purged {
                removed: n,
                resume: next,
            } = store
                .write(Uuid::nil(), move |tx| {
                    tx.purge(what, before_us, limit, from.as_deref())
                })
                .await
                .expect("purge");
            removed += n;
            batches += 1;
            assert!(batches < 100, "a pass ends");
            match next {
                Some(next) => resume = Some(next),
                None => return (removed, batches),
            }
        }
    }

    async fn times(store: &Arc<Store>, account: Uuid, side: Side) -> Vec<i64> {
        let page = PageRequest {
            size: 100,
            token: "",
        };
        let events = store
            .access_events(account, side, page)
            .await
            .expect("events");
        events.items.iter().map(|event| event.time_us).collect()
    }

    #[tokio::test]
    async fn old_access_events_go_from_both_orders_of_the_trail_in_small_batches() {
        let store = store();
        let therapist = Uuid::now_v7();
        let clients = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
        let events: Vec<AccessEvent> = clients
            .iter()
            .flat_map(|client| {
                (1..=5).map(move |time_us| AccessEvent {
                    therapist_id: therapist,
                    client_id: *client,
                    method: "stepwise.v1.GoalService/GetGoal".into(),
                    time_us,
                })
            })
            .collect();
        store
            .write(therapist, move |tx| tx.append_access_events(&events))
            .await
            .expect("events kept");

        let (removed, batches) = pass(&store, Expiring::AccessEvents, 4, 2).await;

        assert_eq!(removed, 9);
        assert!(batches > 3, "bounded batches, resumed: {batches}");
        for client in clients {
            assert_eq!(times(&store, client, Side::Client).await, vec![4, 5]);
        }
        assert_eq!(
            times(&store, therapist, Side::Therapist).await,
            vec![4, 4, 4, 5, 5, 5]
        );
        let (removed, _) = pass(&store, Expiring::AccessEvents, 4, 2).await;
        assert_eq!(removed, 0, "nothing old is left");
    }

    #[tokio::test]
    async fn a_batch_sees_what_an_earlier_one_of_the_same_group_removed() {
        let store = store();
        let events: Vec<AdminEvent> = (1..=3)
            .map(|time_us| AdminEvent {
                actor_id: Uuid::now_v7(),
                action: AdminAction::AccountCreated,
                target_id: Uuid::now_v7(),
                size_bytes: 0,
                sha256: None,
                time_us,
            })
            .collect();
        store
            .write(Uuid::nil(), move |tx| {
                events
                    .iter()
                    .try_for_each(|event| tx.append_admin_event(event))
            })
            .await
            .expect("events kept");

        // Both batches in one transaction: nothing of the first is applied
        // to the engine when the second reads.
        let (first, second) = store
            .write(Uuid::nil(), |tx| {
                let first = tx.purge(Expiring::AdminEvents, 10, 2, None)?;
                let second = tx.purge(Expiring::AdminEvents, 10, 2, None)?;
                Ok((first.removed, second.removed))
            })
            .await
            .expect("purge");

        assert_eq!((first, second), (2, 1));
        let page = PageRequest {
            size: 10,
            token: "",
        };
        assert!(
            store
                .admin_events(page)
                .await
                .expect("events")
                .items
                .is_empty()
        );
    }

    #[tokio::test]
    async fn forgetting_replays_raises_the_clients_floor_to_their_versions() {
        let store = store();
        let client = Uuid::now_v7();
        for (mutation_id, version) in [("m1", 7), ("m2", 3)] {
            store
                .write(client, move |tx| {
                    let goal = crate::domain::Goal {
                        meta: crate::domain::Meta {
                            id: Uuid::now_v7(),
                            client_id: client,
                            version,
                            ..Default::default()
                        },
                        title: "Walk".into(),
                        ..Default::default()
                    };
                    let replay = Replay {
                        payload_digest: [1; 32],
                        outcome: Outcome::Applied,
                        current: Some(goal.into()),
                        rejection: None,
                    };
                    tx.remember(mutation_id, &replay)
                })
                .await
                .expect("kept");
        }
        assert_eq!(store.sync_floor(client).await.expect("floor"), 0);

        let (removed, _) = pass(&store, Expiring::Replays, 1_001, 1).await;

        assert_eq!(removed, 2);
        assert_eq!(store.sync_floor(client).await.expect("floor"), 7);
        let forgotten = store
            .write(client, |tx| tx.replay("m1"))
            .await
            .expect("read");
        assert_eq!(forgotten, None);
    }

    #[tokio::test]
    async fn erasing_a_client_leaves_no_retention_entry_of_theirs() {
        use std::ops::Bound;

        use crate::domain::{Entity, Goal, Meta};

        let clock = Arc::new(ManualClock::starting_at(1_000));
        let store = Arc::new(
            Store::open(MemoryKv::default(), clock, MasterKey::generate()).expect("opens"),
        );
        let client = Uuid::now_v7();
        let goal = Entity::Goal(Goal {
            meta: Meta {
                id: Uuid::now_v7(),
                client_id: client,
                ..Meta::default()
            },
            title: "Walk".into(),
            ..Goal::default()
        });
        store
            .write(client, move |tx| {
                let goal = tx.create(goal.clone())?;
                let replay = Replay {
                    payload_digest: [1; 32],
                    outcome: Outcome::Applied,
                    current: Some(tx.tombstone(&goal)?),
                    rejection: None,
                };
                tx.remember("m1", &replay)
            })
            .await
            .expect("written");
        pass(&store, Expiring::Replays, 1_001, 10).await;
        assert_eq!(store.sync_floor(client).await.expect("floor"), 2);

        store
            .write(client, move |tx| tx.erase_client(client))
            .await
            .expect("erased");

        let mut left = Vec::new();
        store
            .engine
            .scan((Bound::Unbounded, Bound::Unbounded), &mut |key, _| {
                left.push(key.to_vec());
                Ok(true)
            })
            .expect("scan");
        let kept: Vec<u8> = left.iter().map(|key| key[0]).collect();
        assert_eq!(
            kept,
            b"0".repeat(kept.len()),
            "only the store's own entries"
        );
    }
}
