//! Risk alerts and their acknowledgement.

use uuid::Uuid;

use super::{all, enum_conversions, enum_value, id, timestamp};
use crate::domain::{Acknowledgement, RiskAction, RiskAlert, fields, risk_note};
use crate::error::{Error, Result};
use crate::pb;

enum_conversions!(
    RiskAction,
    pb::RiskAction {
        ContactedClient,
        ReviewedSafetyPlan,
        Escalated,
    }
);

/// The client and the acknowledgement of an `AcknowledgeRiskRequest`.
pub fn risk_acknowledgement(
    request: &pb::AcknowledgeRiskRequest,
) -> Result<(Uuid, (RiskAction, String))> {
    let (client, action, note) = all((
        id(&request.client_id, "client_id"),
        enum_value::<pb::RiskAction, RiskAction>(request.action)
            .map_err(|e| Error::invalid("action", e)),
        risk_note(&request.note).map_err(|e| Error::invalid("note", e)),
    ))?;
    Ok((client, (action, note)))
}

impl From<RiskAlert> for pb::RiskAlert {
    fn from(alert: RiskAlert) -> Self {
        let RiskAlert {
            meta,
            result_id,
            result_date,
            acknowledgement,
        } = alert;
        pb::RiskAlert {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            result_id: result_id.to_string(),
            result_date: fields::format_date(result_date),
            open_time: timestamp(meta.create_time_us),
            acknowledgement: acknowledgement.map(
                |Acknowledgement {
                     therapist_id,
                     time_us,
                     action,
                     note,
                 }| pb::RiskAcknowledgement {
                    therapist_id: therapist_id.to_string(),
                    acknowledge_time: timestamp(time_us),
                    action: pb::RiskAction::from(action).into(),
                    note,
                },
            ),
            version: meta.version,
        }
    }
}
