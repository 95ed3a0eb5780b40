//! When the reminders of a client's action steps fire (see
//! [`crate::domain::reminders`] for the rules), for the client and its
//! linked therapists.

use chrono_tz::Tz;
use uuid::Uuid;

use super::{Action, App, Principal};
use crate::domain::reminders::{self, Firing, Span, StepReminders};
use crate::domain::{ActionStep, ActionStepStatus, IntoEntity, Kind};
use crate::error::Result;

impl App {
    /// The firings of the reminders of `client`'s active steps from `from`
    /// (inclusive) to `until` (exclusive), at most `most`, in the client's
    /// time zone as it is now, which comes with them.
    pub async fn upcoming_reminders(
        &self,
        principal: &Principal,
        client: Uuid,
        window: Span,
        most: usize,
    ) -> Result<(Tz, Vec<Firing>)> {
        self.require(principal, Action::Read, client).await?;
        let zone = self.time_zone(client).await?;
        let plan = self.store.client_track(client).await?;
        let mut steps = Vec::new();
        let active = plan
            .steps
            .iter()
            .filter(|(_, step)| step.status == ActionStepStatus::Active);
        for (id, tracked) in active {
            let Some(step) = self
                .store
                .live(*id, Kind::ActionStep)
                .await?
                .and_then(ActionStep::from_entity)
            else {
                continue;
            };
            if !step.reminders.is_empty() {
                steps.push(StepReminders {
                    step_id: *id,
                    start_day: tracked.start_day,
                    reminders: step.reminders,
                    quiet_hours: step.quiet_hours,
                });
            }
        }
        let firings = self
            .off_the_workers(move || Ok(reminders::upcoming(&steps, zone, window, most)))
            .await?;
        Ok((zone, firings))
    }
}
