//! Risk alerts: a PHQ-9 answer about self-harm (item 9 above 0) waiting for
//! a therapist to act on it. The server opens one with the result, in the
//! same write, whatever day the result is for; it stays open until a
//! linked therapist acknowledges it, and only that closes it. No device
//! writes one and nobody deletes one: it is the record that a risk was
//! seen to.

use chrono::NaiveDate;
use uuid::Uuid;

use super::record::{Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::domain::fields;
use crate::encoding::Stored;

/// Longest acknowledgement note, in characters.
pub const MAX_RISK_NOTE_CHARS: usize = 2000;

/// Why an alert is never changed or deleted but by an acknowledgement.
const CLOSED_BY_ACKNOWLEDGEMENT: &str =
    "a risk alert is closed by a therapist's acknowledgement (CareService.AcknowledgeRisk), \
     never changed or deleted";

/// What a therapist did about a risk alert.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Stored)]
pub enum RiskAction {
    /// Contacted the client.
    #[default]
    ContactedClient = 1,
    /// Reviewed the client's safety plan with them.
    ReviewedSafetyPlan = 2,
    /// Escalated (emergency services, a crisis team, a supervisor).
    Escalated = 3,
}

/// A therapist's acknowledgement of an alert.
#[derive(Clone, Debug, Default, PartialEq, Eq, Stored)]
pub struct Acknowledgement {
    /// The therapist.
    pub therapist_id: Uuid,
    /// When, microseconds since the Unix epoch.
    pub time_us: i64,
    /// What they did.
    pub action: RiskAction,
    /// Their note, for therapists only (see [`RiskAlert::for_client`]).
    pub note: String,
}

/// An alert a self-harm answer opened.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct RiskAlert {
    /// Common fields; `create_time_us` is when it opened.
    #[stored(skip)]
    pub meta: Meta,
    /// The assessment result that opened it.
    pub result_id: Uuid,
    /// The day the result is for, in the client's time zone.
    pub result_date: NaiveDate,
    /// How a therapist acknowledged it; `None` while it is open.
    pub acknowledgement: Option<Acknowledgement>,
}

impl RiskAlert {
    /// Whether no therapist has acknowledged it yet.
    pub fn is_open(&self) -> bool {
        self.acknowledgement.is_none()
    }
}

record!(
    RiskAlert,
    authors: Authors::CareTeam,
    parent: |_alert| Parent::Client,
    fn order(&self) -> Order {
        Order::Time(self.meta.create_time_us)
    }
    // The note is the therapists' working record, not the client's to read
    // on their phone.
    fn for_client(mut self) -> Self {
        if let Some(acknowledgement) = &mut self.acknowledgement {
            acknowledgement.note.clear();
        }
        self
    }
    fn alteration(&self, _by: Uuid) -> Result<(), &'static str> {
        Err(CLOSED_BY_ACKNOWLEDGEMENT)
    }
);

editable! {
    RiskAlert / RiskAlertField {}
    immutable {
        result_id: "result_id",
        result_date: "result_date",
        acknowledgement: "acknowledgement",
    }
}

/// Checks an acknowledgement note: up to [`MAX_RISK_NOTE_CHARS`]
/// characters, trimmed.
pub fn risk_note(value: &str) -> Result<String, String> {
    fields::text(value, 0, MAX_RISK_NOTE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for RiskAlert {
        fn samples() -> (Self, Self) {
            let a = RiskAlert {
                meta: Meta::default(),
                result_id: Uuid::from_u128(1),
                result_date: day("2026-03-01"),
                acknowledgement: None,
            };
            let b = RiskAlert {
                meta: Meta::default(),
                result_id: Uuid::from_u128(2),
                result_date: day("2026-03-02"),
                acknowledgement: Some(Acknowledgement {
                    therapist_id: Uuid::from_u128(3),
                    time_us: 4,
                    action: RiskAction::Escalated,
                    note: "called the crisis team".into(),
                }),
            };
            (a, b)
        }
    }

    #[test]
    fn the_client_sees_an_acknowledgement_without_its_note() {
        let (open, closed) = <RiskAlert as Samples>::samples();
        assert!(open.is_open() && !closed.is_open());
        let seen = closed.clone().for_client();
        let acknowledgement = seen.acknowledgement.expect("kept");
        assert_eq!(acknowledgement.note, "");
        assert_eq!(acknowledgement.action, RiskAction::Escalated);
        assert_eq!(closed.clone().for_therapist(), Some(closed));
    }
}
