//! The care team: invites, consent links, and the audit trail.

use prost::{Enumeration, Message};

/// Characters of invite codes: no look-alikes (I, O, 0, 1).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Characters per code: 10 of 32 is 50 bits.
const CODE_LENGTH: usize = 10;

/// A single-use invite from a therapist.
#[derive(Clone, PartialEq, Message)]
pub struct Invite {
    /// The normalised code (no dash).
    #[prost(string, tag = "1")]
    pub code: String,
    /// The inviting therapist.
    #[prost(string, tag = "2")]
    pub therapist_id: String,
    /// When it was made.
    #[prost(int64, tag = "3")]
    pub create_time_us: i64,
    /// When it stops working.
    #[prost(int64, tag = "4")]
    pub expire_time_us: i64,
    /// The client who used it, once used.
    #[prost(string, tag = "5")]
    pub used_by: String,
}

/// Whether a link is in force. Numbers match the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum CareLinkState {
    /// Not set.
    Unspecified = 0,
    /// In force.
    Active = 1,
    /// Revoked.
    Revoked = 2,
}

/// A client's consent that a therapist may see their data.
#[derive(Clone, PartialEq, Message)]
pub struct CareLink {
    /// Canonical UUID.
    #[prost(string, tag = "1")]
    pub id: String,
    /// The therapist.
    #[prost(string, tag = "2")]
    pub therapist_id: String,
    /// The client.
    #[prost(string, tag = "3")]
    pub client_id: String,
    /// In force or revoked.
    #[prost(enumeration = "CareLinkState", tag = "4")]
    pub state: i32,
    /// When it was made.
    #[prost(int64, tag = "5")]
    pub create_time_us: i64,
    /// When it was revoked (0 while active).
    #[prost(int64, tag = "6")]
    pub revoke_time_us: i64,
}

/// One call in which a therapist accessed a client's data.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct AccessEvent {
    /// The therapist.
    #[prost(string, tag = "1")]
    pub therapist_id: String,
    /// The client.
    #[prost(string, tag = "2")]
    pub client_id: String,
    /// Full gRPC method name.
    #[prost(string, tag = "3")]
    pub method: String,
    /// When, microseconds since the Unix epoch.
    #[prost(int64, tag = "4")]
    pub time_us: i64,
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
