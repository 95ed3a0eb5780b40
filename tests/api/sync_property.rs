//! Property: devices editing offline and syncing in any interleaving, over
//! a network that loses responses, converge on the server's state, and no
//! acknowledged edit is lost except as reported.

use std::collections::{BTreeMap, HashMap, HashSet};

use proptest::prelude::*;
use stepwise::client::{SyncReport, change_id};
use stepwise::pb;
use stepwise::pb::change::Entity;

use crate::devices::*;
use crate::helpers::*;

const DEVICES: usize = 3;

#[derive(Debug, Clone)]
enum Action {
    CreateGoal,
    EditGoal(usize),
    DeleteGoal(usize),
    CreateStep(usize),
    CheckIn(usize, u8, i32),
    Sync,
    SyncLosingResponse,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => Just(Action::CreateGoal),
        3 => any::<usize>().prop_map(Action::EditGoal),
        1 => any::<usize>().prop_map(Action::DeleteGoal),
        2 => any::<usize>().prop_map(Action::CreateStep),
        3 => (any::<usize>(), 0..4u8, 1..4i32).prop_map(|(s, d, st)| Action::CheckIn(s, d, st)),
        3 => Just(Action::Sync),
        1 => Just(Action::SyncLosingResponse),
    ]
}

/// The `index`-th (modulo) record of a kind in a device's view.
fn pick<T: Clone>(
    records: &BTreeMap<String, Entity>,
    index: usize,
    of: impl Fn(&Entity) -> Option<T>,
) -> Option<T> {
    let matching: Vec<T> = records.values().filter_map(of).collect();
    (!matching.is_empty()).then(|| matching[index % matching.len()].clone())
}

fn goal(e: &Entity) -> Option<pb::Goal> {
    if let Entity::Goal(g) = e {
        Some(g.clone())
    } else {
        None
    }
}

fn step(e: &Entity) -> Option<pb::ActionStep> {
    if let Entity::ActionStep(s) = e {
        Some(s.clone())
    } else {
        None
    }
}

/// Performs one local edit; edits the app would refuse (say, of a record
/// deleted on this device) are skipped.
fn edit(device: &mut Device, action: &Action, counter: usize) {
    let view = device.client.records();
    let saved = match action {
        Action::CreateGoal => device.client.save(Entity::Goal(pb::Goal {
            title: format!("goal {counter}"),
            ..Default::default()
        })),
        Action::EditGoal(i) => match pick(&view, *i, goal) {
            Some(g) => device.client.save(Entity::Goal(pb::Goal {
                title: format!("edit {counter}"),
                ..g
            })),
            None => return,
        },
        Action::DeleteGoal(i) => match pick(&view, *i, goal) {
            Some(g) => device
                .client
                .delete(pb::EntityType::Goal, &g.id)
                .map(|()| g.id),
            None => return,
        },
        Action::CreateStep(i) => match pick(&view, *i, goal) {
            Some(g) => device.client.save(Entity::ActionStep(pb::ActionStep {
                goal_id: g.id,
                title: format!("step {counter}"),
                schedule: Some(pb::Schedule {
                    times: 1,
                    period_days: 1,
                }),
                ..Default::default()
            })),
            None => return,
        },
        Action::CheckIn(i, day, state) => match pick(&view, *i, step) {
            Some(s) => {
                let date = format!("2026-11-0{}", day + 1);
                let existing = view.values().find_map(|e| match e {
                    Entity::CheckIn(c) if c.action_step_id == s.id && c.local_date == date => {
                        Some(c.clone())
                    }
                    _ => None,
                });
                let check_in = existing.unwrap_or(pb::CheckIn {
                    action_step_id: s.id,
                    local_date: date,
                    ..Default::default()
                });
                device.client.save(Entity::CheckIn(pb::CheckIn {
                    state: *state,
                    ..check_in
                }))
            }
            None => return,
        },
        Action::Sync | Action::SyncLosingResponse => return,
    };
    let _ = saved;
}

/// Mutation ids a report accounts for.
fn reported(report: &SyncReport) -> Vec<String> {
    let mut ids: Vec<String> = report.applied.iter().map(|(id, _)| id.clone()).collect();
    ids.extend(report.conflicts.iter().map(|(id, _)| id.clone()));
    ids.extend(report.gone.iter().cloned());
    ids.extend(report.rejected.iter().map(|(id, _)| id.clone()));
    ids.extend(report.superseded.iter().cloned());
    ids
}

fn version(change: &pb::Change) -> i64 {
    stepwise::client::change_version(change)
}

fn parent(entity: &Entity) -> Option<String> {
    match entity {
        Entity::ActionStep(s) => Some(s.goal_id.clone()),
        Entity::CheckIn(c) => Some(c.action_step_id.clone()),
        _ => None,
    }
}

async fn run(actions: Vec<(usize, Action)>) {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mut devices = Vec::new();
    for n in 0..DEVICES {
        devices.push(Device::new(&app, &token, &format!("device {n}")).await);
    }
    let mut queued: Vec<HashSet<String>> = vec![HashSet::new(); DEVICES];
    let mut reports: Vec<SyncReport> = Vec::new();
    for (counter, (d, action)) in actions.iter().enumerate() {
        let device = &mut devices[*d];
        match action {
            Action::Sync => reports.push(device.client.sync().await.expect("sync")),
            Action::SyncLosingResponse => {
                device.lose_next_response();
                assert!(device.client.sync().await.is_err(), "the response was lost");
            }
            edit_action => edit(device, edit_action, counter),
        }
        queued[*d].extend(device.client.pending());
    }
    // Everyone syncs until quiet: two rounds carry every edit to everyone.
    for _ in 0..2 {
        for device in &mut devices {
            reports.push(device.client.sync().await.expect("final sync"));
        }
    }

    let (changes, _) = pull_everything(&mut sync_api(&app, &token).await).await;
    let server: BTreeMap<String, Entity> = changes
        .iter()
        .map(|c| (change_id(c).to_owned(), c.entity.clone().expect("entity")))
        .collect();
    for device in &devices {
        assert!(device.client.pending().is_empty());
        assert_eq!(
            device.client.records(),
            server,
            "every replica equals the server"
        );
    }

    // Every queued edit got exactly one reported outcome.
    let all_reported: Vec<String> = reports.iter().flat_map(reported).collect();
    let unique: HashSet<&String> = all_reported.iter().collect();
    assert_eq!(
        unique.len(),
        all_reported.len(),
        "no outcome reported twice"
    );
    let all_queued: HashSet<&String> = queued.iter().flatten().collect();
    assert_eq!(unique, all_queued, "every edit has an outcome");

    // No acknowledged edit was lost: each live record is its latest applied
    // state, and each applied record that is gone was deleted, or hangs
    // under something that was.
    let mut latest: HashMap<String, pb::Change> = HashMap::new();
    let mut deleted = HashSet::new();
    let mut parents = HashMap::new();
    for (_, change) in reports.iter().flat_map(|r| r.applied.iter()) {
        let id = change_id(change).to_owned();
        match change.entity.as_ref().expect("entity") {
            Entity::Tombstone(_) => {
                deleted.insert(id.clone());
            }
            entity => {
                if let Some(p) = parent(entity) {
                    parents.insert(id.clone(), p);
                }
            }
        }
        if latest
            .get(&id)
            .is_none_or(|known| version(change) > version(known))
        {
            latest.insert(id, change.clone());
        }
    }
    for (id, entity) in &server {
        let applied = latest.get(id).and_then(|c| c.entity.as_ref());
        assert_eq!(
            applied,
            Some(entity),
            "the server holds the latest applied edit of {id}"
        );
    }
    for id in latest.keys().filter(|id| !server.contains_key(*id)) {
        let mut at = Some(id.clone());
        let mut explained = false;
        while let Some(current) = at {
            explained |= deleted.contains(&current);
            at = parents.get(&current).cloned();
        }
        assert!(explained, "record {id} disappeared without a delete");
    }
    app.stop().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn devices_syncing_in_any_order_over_a_lossy_network_converge_without_losing_edits(
        actions in prop::collection::vec((0..DEVICES, action()), 5..40)
    ) {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(run(actions));
    }
}
