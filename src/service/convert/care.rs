//! The care team and the audit trails.

use super::{change, enum_conversions, heartbeat, hex, timestamp};
use crate::app::WatchEvent;
use crate::domain::{AccessEvent, AdminAction, AdminEvent, CareLink, CareLinkState, Invite};
use crate::pb;

enum_conversions!(CareLinkState, pb::CareLinkState { Active, Revoked });
enum_conversions!(
    AdminAction,
    pb::AdminAction {
        BackupCreated,
        AccountCreated,
        AccountDisabled,
        AccountEnabled,
        AccountDeleted,
        RecoveryCodeCreated,
        AccountRecovered,
    }
);

impl From<Invite> for pb::Invite {
    fn from(invite: Invite) -> Self {
        let Invite {
            code,
            therapist_id,
            create_time_us,
            expire_time_us,
            used_by: _,
        } = invite;
        pb::Invite {
            code,
            therapist_id: therapist_id.to_string(),
            create_time: timestamp(create_time_us),
            expire_time: timestamp(expire_time_us),
        }
    }
}

/// API form of a care link, with the display names of both sides.
pub fn care_link(link: CareLink, (therapist_name, client_name): (String, String)) -> pb::CareLink {
    let CareLink {
        id,
        therapist_id,
        client_id,
        state,
        create_time_us,
        revoke_time_us,
    } = link;
    pb::CareLink {
        id: id.to_string(),
        therapist_id: therapist_id.to_string(),
        client_id: client_id.to_string(),
        state: pb::CareLinkState::from(state) as i32,
        create_time: timestamp(create_time_us),
        revoke_time: revoke_time_us.and_then(timestamp),
        therapist_display_name: therapist_name,
        client_display_name: client_name,
    }
}

/// The message of a `WatchClients` event (a link without display names).
pub fn watch_clients_response(event: WatchEvent) -> pb::WatchClientsResponse {
    use pb::watch_clients_response::Event;
    let (client_id, event) = match event {
        WatchEvent::Change(client_id, entity) => {
            (client_id.to_string(), Event::Change(change(*entity)))
        }
        WatchEvent::Link(link) => (
            link.client_id.to_string(),
            Event::CareLink(care_link(link, (String::new(), String::new()))),
        ),
        WatchEvent::Heartbeat(now_us) => (String::new(), Event::Heartbeat(heartbeat(now_us))),
    };
    pb::WatchClientsResponse {
        client_id,
        event: Some(event),
    }
}

impl From<AccessEvent> for pb::AccessEvent {
    fn from(event: AccessEvent) -> Self {
        let AccessEvent {
            therapist_id,
            client_id,
            method,
            time_us,
        } = event;
        pb::AccessEvent {
            therapist_id: therapist_id.to_string(),
            client_id: client_id.to_string(),
            method,
            time: timestamp(time_us),
        }
    }
}

impl From<AdminEvent> for pb::AdminEvent {
    /// The hash in lowercase hex, as `sha256sum` prints it.
    fn from(event: AdminEvent) -> Self {
        let AdminEvent {
            actor_id,
            action,
            target_id,
            size_bytes,
            sha256,
            time_us,
        } = event;
        pb::AdminEvent {
            actor_id: actor_id.to_string(),
            action: pb::AdminAction::from(action) as i32,
            target_id: target_id.to_string(),
            size_bytes: i64::try_from(size_bytes).unwrap_or(i64::MAX),
            sha256: sha256
                .as_ref()
                .map(|digest| hex(digest))
                .unwrap_or_default(),
            time: timestamp(time_us),
        }
    }
}
