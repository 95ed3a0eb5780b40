//! The key layout: one ordered keyspace, each kind of entry under its own
//! first byte. Ids are their 16 UUID bytes; integers are big-endian with the
//! sign bit flipped, so byte order is numeric order.
//!
//! | prefix | key after the prefix | value |
//! |---|---|---|
//! | `E` | record id | the record or its tombstone ([`super::codec`]) |
//! | `C` | client, sequence | id of the record at that version: the change index |
//! | `P` | parent, kind, order, id | empty: the live children of a client or record |
//! | `S` | client | the client's last sequence number |
//! | `R` | account, SHA-256(mutation id)\[..16\] | what the mutation did ([`crate::domain::Replay`]) |
//! | `r` | time, account, SHA-256(mutation id)\[..16\] | empty: replays by the time of their push, for retention |
//! | `e` | time, record id | empty: tombstones by the time of the deletion, for retention |
//! | `F` | client | the lowest sequence number a cursor of the client may hold: older cursors fall before what retention removed |
//! | `T` | step, year (2 bytes) | the step's check-ins of that year ([`crate::domain::StepTrack`]) |
//! | `K` | client, `s`, `r`, `a`, `q`, `g` or `l`, id | a step, rating, assignment, assessment result, goal scale or attainment rating of the client ([`crate::domain::ClientTrack`]) |
//! | `A` | account id | the account |
//! | `H` | SHA-256(token) | the token ([`crate::domain::Token`]) |
//! | `I` | invite code | the invite |
//! | `L` | link id | the care link |
//! | `l` | therapist, client | id of their latest link |
//! | `c` | client, link id | empty: a client's links |
//! | `t` | therapist, link id | empty: a therapist's links |
//! | `X` | client, time, 8 random bytes | an access event |
//! | `x` | therapist, time, 8 random bytes | the same event, by therapist |
//! | `D` | time, 8 random bytes | an administrator's event |
//! | `N` | instrument id | a therapist's custom instrument ([`crate::domain::instruments::CustomInstrument`]) |
//! | `n` | therapist, instrument id | empty: a therapist's instruments |
//! | `V` | session id | a therapist's session ([`crate::domain::Session`]) |
//! | `v` | therapist, client, !session time, session id | empty: a therapist's sessions with a client, newest first |
//! | `0` | `epoch` | the store's random epoch |
//! | `0` | `format` | the store's on-disk format ([`super::format`]), a big-endian u32 |
//! | `0` | `keycheck` | a value sealed by the master key ([`super::seal`]) |
//! | `0` | `access` | random, replaced by every write that changes a token, an account or a care link: other servers' streams notice it ([`crate::store::poller`]) |
//! | `Y` | client | the client's key, wrapped by the master key ([`super::seal`]) |
//! | `k` | account, token id | SHA-256(token): an account's tokens |
//! | `i` | therapist, create time, invite code | empty: a therapist's unused invites |
//! | `B` | email, normalized | the id of the account that signs in with it |
//! | `G` | account | its email and password hash ([`crate::domain::Credential`]) |
//! | `U` | SHA-256(setup code) | the setup code ([`crate::domain::SetupCode`]) |
//! | `W` | device session id | the session ([`crate::domain::DeviceSession`]) |
//! | `w` | account, device session id | empty: an account's device sessions |
//! | `Q` | SHA-256(refresh token) | id of its device session: every refresh token it was ever given, so a replaced one is recognised |
//! | `q` | device session, SHA-256(refresh token) | empty: a session's refresh tokens |
//! | `M` | SHA-256(access token) | the access token ([`crate::domain::AccessToken`]) |
//! | `m` | device session, SHA-256(access token) | empty: a session's access tokens |
//! | `Z` | account, !time, 8 random bytes | a security event, newest first |
//! | `J` | SHA-256(recovery code) | a client's account recovery code ([`crate::domain::AccountRecoveryCode`]) |
//! | `O` | account | its TOTP authenticator, the secret sealed with the master key ([`crate::domain::TotpFactor`]) |
//! | `o` | risk alert id | the alert's delivery to the webhook, until it is delivered ([`crate::domain::AlertDelivery`]) |
//!
//! Secondary entries (`C`, `P`, `r`, `e`, `l`, `c`, `t`, `x`, `n`, `v`, `k`,
//! `i`, `B`, `w`, `q`, `m`) are written in the same atomic batch as what they point at, so they
//! are exact. Retention removes a tombstone's `C` and `e` entries but keeps
//! its `E` entry, so its id stays taken.

use std::ops::Bound;

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::{Kind, Order};

// Defined with the store's list ranges, which the engine imports: were it
// here, the two would import each other.
pub use crate::store::page_token::prefix_end;

/// Records and tombstones by id.
pub const RECORD: u8 = b'E';
/// The change index.
pub const CHANGE: u8 = b'C';
/// Live children by parent.
pub const CHILD: u8 = b'P';
/// Sequence numbers by client.
pub const SEQUENCE: u8 = b'S';
/// Replays of sync mutations.
pub const REPLAY: u8 = b'R';
/// Replays by the time of their push.
pub const REPLAY_BY_TIME: u8 = b'r';
/// Tombstones by the time of the deletion.
pub const TOMBSTONE_BY_TIME: u8 = b'e';
/// Per client, the oldest cursor position still answered exactly.
pub const SYNC_FLOOR: u8 = b'F';
/// Step aggregates.
pub const STEP_TRACK: u8 = b'T';
/// Client aggregates.
pub const CLIENT_TRACK: u8 = b'K';
/// Accounts.
pub const ACCOUNT: u8 = b'A';
/// Token hashes.
pub const TOKEN: u8 = b'H';
/// Invites.
pub const INVITE: u8 = b'I';
/// Care links.
pub const LINK: u8 = b'L';
/// The latest link of a therapist and client.
pub const LINK_PAIR: u8 = b'l';
/// Links by client.
pub const LINK_BY_CLIENT: u8 = b'c';
/// Links by therapist.
pub const LINK_BY_THERAPIST: u8 = b't';
/// Access events by client.
pub const ACCESS_BY_CLIENT: u8 = b'X';
/// Access events by therapist.
pub const ACCESS_BY_THERAPIST: u8 = b'x';
/// Administrators' events.
pub const ADMIN_EVENT: u8 = b'D';
/// Custom instruments.
pub const INSTRUMENT: u8 = b'N';
/// Custom instruments by therapist.
pub const INSTRUMENT_BY_OWNER: u8 = b'n';
/// Therapists' sessions.
pub const SESSION: u8 = b'V';
/// Sessions by therapist and client.
pub const SESSION_BY_PAIR: u8 = b'v';
/// The store's own settings.
pub const META: u8 = b'0';
/// Clients' keys.
pub const CLIENT_KEY: u8 = b'Y';
/// Tokens by account.
pub const TOKEN_BY_ACCOUNT: u8 = b'k';
/// Unused invites by therapist.
pub const INVITE_BY_THERAPIST: u8 = b'i';
/// Accounts by sign-in email.
pub const EMAIL: u8 = b'B';
/// Emails and password hashes by account.
pub const CREDENTIAL: u8 = b'G';
/// Setup codes by hash.
pub const SETUP_CODE: u8 = b'U';
/// Device sessions.
pub const DEVICE_SESSION: u8 = b'W';
/// Device sessions by account.
pub const DEVICE_SESSION_BY_ACCOUNT: u8 = b'w';
/// Device sessions by refresh token hash.
pub const REFRESH_TOKEN: u8 = b'Q';
/// Refresh token hashes by device session.
pub const REFRESH_TOKEN_BY_SESSION: u8 = b'q';
/// Access tokens by hash.
pub const ACCESS_TOKEN: u8 = b'M';
/// Access token hashes by device session.
pub const ACCESS_TOKEN_BY_SESSION: u8 = b'm';
/// Security events by account.
pub const SECURITY_EVENT: u8 = b'Z';
/// Clients' account recovery codes by hash.
pub const RECOVERY_CODE: u8 = b'J';
/// TOTP authenticators by account.
pub const TOTP_FACTOR: u8 = b'O';
/// Risk alerts waiting for their delivery to the webhook: the outbox.
pub const ALERT_DELIVERY: u8 = b'o';

/// The key of the store's epoch.
pub fn epoch() -> Vec<u8> {
    key(META, &[b"epoch"])
}

/// The key of the store's format mark ([`super::format`]).
pub fn format() -> Vec<u8> {
    key(META, &[b"format"])
}

/// The key of the master key's check value.
pub fn key_check() -> Vec<u8> {
    key(META, &[b"keycheck"])
}

/// The key of the access mark.
pub fn access_mark() -> Vec<u8> {
    key(META, &[b"access"])
}

/// The key of a risk alert's delivery.
pub fn alert_delivery(alert: Uuid) -> Vec<u8> {
    key(ALERT_DELIVERY, &[alert.as_bytes()])
}

/// The key of a client's key.
pub fn client_key(client: Uuid) -> Vec<u8> {
    key(CLIENT_KEY, &[client.as_bytes()])
}

/// The key of a token.
pub fn token(hash: &[u8; 32]) -> Vec<u8> {
    key(TOKEN, &[hash])
}

/// The index entry of a token under its account.
pub fn token_of(account: Uuid, token: Uuid) -> Vec<u8> {
    key(TOKEN_BY_ACCOUNT, &[account.as_bytes(), token.as_bytes()])
}

/// The key of the account that signs in with a normalized email.
pub fn email(email: &str) -> Vec<u8> {
    key(EMAIL, &[email.as_bytes()])
}

/// The key of an account's email and password hash.
pub fn credential(account: Uuid) -> Vec<u8> {
    key(CREDENTIAL, &[account.as_bytes()])
}

/// The key of a setup code.
pub fn setup_code(hash: &[u8; 32]) -> Vec<u8> {
    key(SETUP_CODE, &[hash])
}

/// The key of a device session.
pub fn device_session(id: Uuid) -> Vec<u8> {
    key(DEVICE_SESSION, &[id.as_bytes()])
}

/// The index entry of a device session under its account.
pub fn device_session_of(account: Uuid, session: Uuid) -> Vec<u8> {
    key(
        DEVICE_SESSION_BY_ACCOUNT,
        &[account.as_bytes(), session.as_bytes()],
    )
}

/// The key of a refresh token.
pub fn refresh_token(hash: &[u8; 32]) -> Vec<u8> {
    key(REFRESH_TOKEN, &[hash])
}

/// The index entry of a refresh token under its session.
pub fn refresh_token_of(session: Uuid, hash: &[u8; 32]) -> Vec<u8> {
    key(REFRESH_TOKEN_BY_SESSION, &[session.as_bytes(), hash])
}

/// The key of an access token.
pub fn access_token(hash: &[u8; 32]) -> Vec<u8> {
    key(ACCESS_TOKEN, &[hash])
}

/// The index entry of an access token under its session.
pub fn access_token_of(session: Uuid, hash: &[u8; 32]) -> Vec<u8> {
    key(ACCESS_TOKEN_BY_SESSION, &[session.as_bytes(), hash])
}

/// The key of an account recovery code.
pub fn recovery_code(hash: &[u8; 32]) -> Vec<u8> {
    key(RECOVERY_CODE, &[hash])
}

/// The key of an account's TOTP authenticator.
pub fn totp_factor(account: Uuid) -> Vec<u8> {
    key(TOTP_FACTOR, &[account.as_bytes()])
}

/// The prefix of an account's security events.
pub fn security_events_of(account: Uuid) -> Vec<u8> {
    key(SECURITY_EVENT, &[account.as_bytes()])
}

/// The key of a new security event at `time_us`: the time inverted, so the
/// newest sorts first, then random bytes, so events at one time differ.
pub fn security_event(account: Uuid, time_us: i64) -> Vec<u8> {
    let unique: [u8; 8] = rand::random();
    key(
        SECURITY_EVENT,
        &[account.as_bytes(), &ordered_i64(!time_us), &unique],
    )
}

/// The key of an invite.
pub fn invite(code: &str) -> Vec<u8> {
    key(INVITE, &[code.as_bytes()])
}

/// The index entry of an unused invite under its therapist.
pub fn invite_of(therapist: Uuid, create_time_us: i64, code: &str) -> Vec<u8> {
    key(
        INVITE_BY_THERAPIST,
        &[
            therapist.as_bytes(),
            &ordered_i64(create_time_us),
            code.as_bytes(),
        ],
    )
}

/// The key of an account.
pub fn account(id: Uuid) -> Vec<u8> {
    key(ACCOUNT, &[id.as_bytes()])
}

/// The range of every account's key.
pub fn accounts() -> (Bound<&'static [u8]>, Bound<&'static [u8]>) {
    (Bound::Included(&[ACCOUNT]), Bound::Excluded(&[ACCOUNT + 1]))
}

/// `prefix` followed by the parts.
pub fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    key.push(prefix);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

/// The key of a record.
pub fn record(id: Uuid) -> Vec<u8> {
    key(RECORD, &[id.as_bytes()])
}

/// The change index entry of a client's sequence number.
pub fn change(client: Uuid, seq: i64) -> Vec<u8> {
    key(CHANGE, &[client.as_bytes(), &ordered_i64(seq)])
}

/// The key of a client's sequence number.
pub fn sequence(client: Uuid) -> Vec<u8> {
    key(SEQUENCE, &[client.as_bytes()])
}

/// The prefix of the children of `parent` of `kind`.
pub fn children_of(parent: Uuid, kind: Kind) -> Vec<u8> {
    key(CHILD, &[parent.as_bytes(), &[kind.byte()]])
}

/// The prefix of the children of `parent` of `kind` at `order`.
pub fn children_at(parent: Uuid, kind: Kind, order: Order) -> Vec<u8> {
    let mut key = children_of(parent, kind);
    key.extend_from_slice(&order_bytes(order));
    key
}

/// The parent index entry of a record.
pub fn child(parent: Uuid, kind: Kind, order: Order, id: Uuid) -> Vec<u8> {
    let mut key = children_at(parent, kind, order);
    key.extend_from_slice(id.as_bytes());
    key
}

/// The id at the end of a parent index entry.
pub fn child_id(key: &[u8]) -> Option<Uuid> {
    let at = key.len().checked_sub(16)?;
    Uuid::from_slice(&key[at..]).ok()
}

/// The key of a replay: the mutation id is hashed, so keys stay short
/// whatever the device sends.
pub fn replay(account: Uuid, mutation_id: &str) -> Vec<u8> {
    key(REPLAY, &[account.as_bytes(), &mutation_digest(mutation_id)])
}

/// The retention index entry of a replay kept at `time_us`.
pub fn replay_by_time(time_us: i64, account: Uuid, mutation_id: &str) -> Vec<u8> {
    key(
        REPLAY_BY_TIME,
        &[
            &ordered_i64(time_us),
            account.as_bytes(),
            &mutation_digest(mutation_id),
        ],
    )
}

/// The account and the replay key a retention index entry points at.
pub fn replay_of_index(index: &[u8]) -> Option<(Uuid, Vec<u8>)> {
    let rest = index.get(1 + 8..)?;
    if rest.len() != 32 {
        return None;
    }
    let account = Uuid::from_slice(&rest[..16]).ok()?;
    Some((account, key(REPLAY, &[rest])))
}

fn mutation_digest(mutation_id: &str) -> [u8; 16] {
    let digest = Sha256::digest(mutation_id.as_bytes());
    let mut short = [0; 16];
    short.copy_from_slice(&digest[..16]);
    short
}

/// The retention index entry of a tombstone made at `time_us`.
pub fn tombstone_by_time(time_us: i64, id: Uuid) -> Vec<u8> {
    key(TOMBSTONE_BY_TIME, &[&ordered_i64(time_us), id.as_bytes()])
}

/// The first key of a time-ordered prefix at `time_us`: the entries before
/// it are older.
pub fn at_time(prefix: &[u8], time_us: i64) -> Vec<u8> {
    [prefix, &ordered_i64(time_us)].concat()
}

/// The key of a client's sync floor.
pub fn sync_floor(client: Uuid) -> Vec<u8> {
    key(SYNC_FLOOR, &[client.as_bytes()])
}

/// A step's check-ins of one year.
pub fn step_year(step: Uuid, year: i32) -> Vec<u8> {
    let year = u16::try_from(year).unwrap_or(0).to_be_bytes();
    key(STEP_TRACK, &[step.as_bytes(), &year])
}

/// Every year of a step's check-ins.
pub fn step_years(step: Uuid) -> Vec<u8> {
    key(STEP_TRACK, &[step.as_bytes()])
}

/// A step in its client's aggregate.
pub fn tracked_step(client: Uuid, step: Uuid) -> Vec<u8> {
    key(CLIENT_TRACK, &[client.as_bytes(), b"s", step.as_bytes()])
}

/// A rating in its client's aggregate.
pub fn tracked_rating(client: Uuid, rating: Uuid) -> Vec<u8> {
    key(CLIENT_TRACK, &[client.as_bytes(), b"r", rating.as_bytes()])
}

/// A client's aggregate.
pub fn client_track(client: Uuid) -> Vec<u8> {
    key(CLIENT_TRACK, &[client.as_bytes()])
}

/// The entries of a client's aggregate besides steps and ratings: one
/// byte after the client names the kind of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracked {
    /// A questionnaire assignment.
    Assignment,
    /// An assessment result.
    Result,
    /// A goal's attainment scale.
    Scale,
    /// An attainment rating.
    Attainment,
}

impl Tracked {
    /// Every kind of entry.
    pub const ALL: [Tracked; 4] = [
        Tracked::Assignment,
        Tracked::Result,
        Tracked::Scale,
        Tracked::Attainment,
    ];

    /// The byte naming the kind in keys. Fixed forever.
    pub fn byte(self) -> u8 {
        match self {
            Tracked::Assignment => b'a',
            Tracked::Result => b'q',
            Tracked::Scale => b'g',
            Tracked::Attainment => b'l',
        }
    }
}

/// An entry of a client's aggregate of kind `tracked` about record `id`.
pub fn tracked(client: Uuid, tracked: Tracked, id: Uuid) -> Vec<u8> {
    key(
        CLIENT_TRACK,
        &[client.as_bytes(), &[tracked.byte()], id.as_bytes()],
    )
}

/// The entries of a client's aggregate of kind `tracked`.
pub fn tracked_of(client: Uuid, tracked: Tracked) -> Vec<u8> {
    key(CLIENT_TRACK, &[client.as_bytes(), &[tracked.byte()]])
}

/// A custom instrument.
pub fn instrument(id: Uuid) -> Vec<u8> {
    key(INSTRUMENT, &[id.as_bytes()])
}

/// A therapist's custom instrument in their index.
pub fn instrument_of(owner: Uuid, id: Uuid) -> Vec<u8> {
    key(INSTRUMENT_BY_OWNER, &[owner.as_bytes(), id.as_bytes()])
}

/// Every custom instrument of a therapist.
pub fn instruments_of(owner: Uuid) -> Vec<u8> {
    key(INSTRUMENT_BY_OWNER, &[owner.as_bytes()])
}

/// The key of a session.
pub fn session(id: Uuid) -> Vec<u8> {
    key(SESSION, &[id.as_bytes()])
}

/// The prefix of a therapist's sessions with a client.
pub fn sessions_of(therapist: Uuid, client: Uuid) -> Vec<u8> {
    key(SESSION_BY_PAIR, &[therapist.as_bytes(), client.as_bytes()])
}

/// The index entry of a session: its time inverted, so the newest sorts
/// first.
pub fn session_entry(therapist: Uuid, client: Uuid, session_time_us: i64, id: Uuid) -> Vec<u8> {
    let mut key = sessions_of(therapist, client);
    key.extend_from_slice(&ordered_i64(!session_time_us));
    key.extend_from_slice(id.as_bytes());
    key
}

/// The bytes of an order, sorting in order.
pub fn order_bytes(order: Order) -> Vec<u8> {
    match order {
        Order::Id => Vec::new(),
        Order::Day(day) => day_bytes(day).to_vec(),
        Order::Time(us) => ordered_i64(us).to_vec(),
        Order::DayTime(day, us) => [&day_bytes(day)[..], &ordered_i64(us)].concat(),
        // Inverted, so the newest revision sorts first.
        Order::Revision(revision) => (!revision).to_be_bytes().to_vec(),
    }
}

/// An i64 whose big-endian bytes sort in numeric order.
pub fn ordered_i64(value: i64) -> [u8; 8] {
    ((value as u64) ^ (1 << 63)).to_be_bytes()
}

/// A date whose bytes sort in calendar order.
pub fn day_bytes(date: NaiveDate) -> [u8; 4] {
    ((date.num_days_from_ce() as u32) ^ (1 << 31)).to_be_bytes()
}

#[cfg(test)]
mod tests {
    /// Two kinds of entry under one prefix would read each other's keys in
    /// every scan of either (two branches once both took `W`): each prefix
    /// declared in this file is its own.
    #[test]
    fn every_prefix_is_its_own() {
        let mut seen = std::collections::BTreeMap::new();
        for line in include_str!("keys.rs").lines() {
            let Some(rest) = line.strip_prefix("pub const ") else {
                continue;
            };
            let Some((name, byte)) = rest.split_once(": u8 = b'") else {
                continue;
            };
            let byte = byte.chars().next().expect("a prefix byte");
            if let Some(other) = seen.insert(byte, name) {
                panic!("{name} and {other} share the prefix {byte:?}");
            }
        }
        assert!(seen.len() > 30, "the prefixes were not found: {seen:?}");
    }
}
