//! Risk alerts (`crate::domain::RiskAlert`): whether a client has one open,
//! for the summaries, and a therapist's acknowledgement, the only thing
//! that closes one. A self-harm answer opens its alert where every record
//! is created (`records::create`), so no path of submitting a result can
//! skip it.

use uuid::Uuid;

use super::{Action, App, PageRequest, Principal, records};
use crate::domain::{Acknowledgement, Entity, IntoEntity, Kind, RiskAction, RiskAlert, SafetyPlan};
use crate::error::{Error, Result};

/// Where a client stands on risk, as their summary shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskState {
    /// A risk alert waits for a therapist's acknowledgement.
    pub open_alert: bool,
    /// The client has a safety plan.
    pub safety_plan: bool,
}

impl App {
    /// Closes every open risk alert of `client_id` with the caller's
    /// acknowledgement (`action` taken, `note`), for every therapist at
    /// once; returns the alerts closed, oldest first. Only a therapist
    /// actively linked to the client may (`PERMISSION_DENIED`);
    /// `FAILED_PRECONDITION` when no alert is open.
    pub async fn acknowledge_risk(
        &self,
        principal: &Principal,
        client_id: Uuid,
        (action, note): (RiskAction, String),
    ) -> Result<Vec<RiskAlert>> {
        principal.require_therapist("only a linked therapist acknowledges a risk alert")?;
        if !self.may(principal, Action::Feedback, client_id).await? {
            return Err(Error::PermissionDenied(
                "only a therapist actively linked to the client acknowledges their risk alerts",
            ));
        }
        let therapist_id = principal.account_id;
        let closed = self
            .store
            .write(therapist_id, move |tx| {
                let acknowledgement = Acknowledgement {
                    therapist_id,
                    time_us: tx.now_micros(),
                    action,
                    note: note.clone(),
                };
                let mut closed = Vec::new();
                for id in tx.children_of(client_id, Kind::RiskAlert)? {
                    let Entity::RiskAlert(alert) = records::live(tx, id, Kind::RiskAlert)? else {
                        return Err(Error::internal("a risk alert's index names another kind"));
                    };
                    if alert.is_open() {
                        let alert = RiskAlert {
                            acknowledgement: Some(acknowledgement.clone()),
                            ..alert
                        };
                        closed.push(records::update(tx, alert.into_entity())?);
                    }
                }
                if closed.is_empty() {
                    return Err(Error::NoOpenRiskAlert);
                }
                Ok(closed)
            })
            .await?;
        Ok(closed
            .into_iter()
            .filter_map(RiskAlert::from_entity)
            .collect())
    }

    /// Whether `client` has an open risk alert and a safety plan, as the
    /// caller (whose access was checked) sees them.
    pub(super) async fn risk_state(
        &self,
        principal: &Principal,
        client: Uuid,
    ) -> Result<RiskState> {
        let alerts: Vec<RiskAlert> = self.every(principal, client, (None, None)).await?;
        let open_alert = alerts.iter().any(RiskAlert::is_open);
        let newest = PageRequest { size: 1, token: "" };
        let plans = self
            .list::<SafetyPlan>(principal, client, (None, None), newest)
            .await?;
        Ok(RiskState {
            open_alert,
            safety_plan: !plans.items.is_empty(),
        })
    }
}
