//! The care team: invites, consent links, the audit trail, and therapists'
//! notes of their sessions.

use uuid::Uuid;

use crate::encoding::Stored;

/// Characters of invite codes: no look-alikes (I, O, 0, 1).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Characters per code: 10 of 32 is 50 bits.
pub const CODE_LENGTH: usize = 10;

/// A single-use invite from a therapist.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct Invite {
    /// The normalised code (no dash).
    pub code: String,
    /// The inviting therapist.
    pub therapist_id: Uuid,
    /// When it was made, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// When it stops working.
    pub expire_time_us: i64,
    /// The client who used it, once used.
    pub used_by: Option<Uuid>,
}

/// Whether a link is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub enum CareLinkState {
    /// In force.
    Active = 1,
    /// Revoked; links are never deleted, so both sides keep the history.
    Revoked = 2,
}

/// A client's consent that a therapist may see their data.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct CareLink {
    /// The link's id.
    pub id: Uuid,
    /// The therapist.
    pub therapist_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// In force or revoked.
    pub state: CareLinkState,
    /// When it was made, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// When it was revoked.
    pub revoke_time_us: Option<i64>,
}

impl CareLink {
    /// Whether the link is in force.
    pub fn is_active(&self) -> bool {
        self.state == CareLinkState::Active
    }
}

/// One look of a therapist at a client's data.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct AccessEvent {
    /// The therapist.
    pub therapist_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Full gRPC method name.
    pub method: String,
    /// When, microseconds since the Unix epoch.
    pub time_us: i64,
}

/// A session a therapist had with a client: the therapist's own record,
/// never the client's (it is in no client's change index), so neither the
/// client nor the client's other therapists ever see it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Stored)]
pub struct Session {
    /// The session's id.
    pub id: Uuid,
    /// The therapist who recorded it, and its only reader.
    pub therapist_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// When it took place, microseconds since the Unix epoch.
    pub session_time_us: i64,
    /// The therapist's note.
    pub note: String,
    /// When it was recorded, microseconds since the Unix epoch.
    pub create_time_us: i64,
}

/// A new random invite code, normalised (no dash).
pub fn new_invite_code() -> String {
    (0..CODE_LENGTH)
        .map(|_| CODE_ALPHABET[rand::random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// The code as shown to people: two groups of five.
pub fn display_code(code: &str) -> String {
    let (first, second) = code.split_at(code.len().min(5));
    format!("{first}-{second}")
}

/// The normalised form of a typed code (case, spaces and dashes ignored);
/// `None` when it cannot be a code at all.
pub fn normalize_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed_forgivingly() {
        let code = new_invite_code();
        assert_eq!(normalize_code(&display_code(&code)), Some(code.clone()));
        assert_eq!(
            normalize_code(&display_code(&code).to_lowercase()),
            Some(code)
        );
        assert_eq!(
            normalize_code("ABCDE-FGHI1"),
            None,
            "1 and I are not in the alphabet"
        );
        assert_eq!(normalize_code("short"), None);
    }
}
