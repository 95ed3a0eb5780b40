//! Measurement-based care: the questionnaires (instruments) a caller may
//! use, the assignments that say when a client answers one, and the
//! results, assessed against the client's first result on the same
//! instrument (see [`crate::domain::assessment`] and
//! [`crate::domain::assignments`] for the rules).
//!
//! Built-in instruments are constants; a custom one belongs to the
//! therapist who wrote it. A therapist uses the built-in ones and their
//! own; a client uses the built-in ones and those it has an assignment of,
//! active or cancelled (so its app can still show old results).

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Action, App, PageRequest, Principal, check_version, records};
use crate::domain::IntoEntity;
use crate::domain::assessment::{self, Assessed, ResultDraft};
use crate::domain::assignments::AssignmentSchedule;
use crate::domain::instruments::{self, AnyInstrument, CustomInstrument, Instrument};
use crate::domain::{
    AssessmentResult, Assignment, ClientTrack, Entity, Kind, Meta, Order, Role, TrackedResult,
};
use crate::error::{Error, FieldViolation, Result};
use crate::store::{Page, Tx, page_of};

/// An assignment as a therapist makes it.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    /// Its id.
    pub id: Uuid,
    /// The client who is to answer.
    pub client_id: Uuid,
    /// The instrument.
    pub instrument_id: Uuid,
    /// Days between due dates, checked.
    pub every_days: u32,
    /// The first due date; `None` means the client's today.
    pub start: Option<NaiveDate>,
}

/// An assignment waiting for a result.
#[derive(Debug, Clone)]
pub struct DueAssessment {
    /// The assignment.
    pub assignment: Assignment,
    /// The due date waiting for a result.
    pub due_date: NaiveDate,
    /// Whether a due date more than two days old has no result.
    pub overdue: bool,
    /// The instrument's current version.
    pub instrument_version: u32,
}

/// A result with its change against the client's first result on the same
/// instrument, and its flags.
#[derive(Debug, Clone)]
pub struct AssessedResult {
    /// The result.
    pub result: AssessmentResult,
    /// Its change and flags.
    pub assessed: Assessed,
}

impl App {
    /// A page of the instruments the caller may use: built-in ones first,
    /// then by id; at most [`instruments::MAX_INSTRUMENTS_PER_PAGE`].
    pub async fn list_instruments(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<AnyInstrument>> {
        principal.permit(Action::Read)?;
        let page = PageRequest {
            size: page.size.min(instruments::MAX_INSTRUMENTS_PER_PAGE),
            ..page
        };
        /// An entry of the list, before custom instruments are read.
        enum Listed {
            BuiltIn(&'static Instrument),
            Custom(Uuid),
        }
        let key = |group: u8, id: Uuid| [&[group][..], id.as_bytes()].concat();
        let custom = self.usable_custom_instruments(principal).await?;
        let keyed = instruments::BUILT_IN
            .iter()
            .map(|i| (key(0, i.id), Listed::BuiltIn(i)))
            .chain(
                custom
                    .into_iter()
                    .map(|id| (key(1, id), Listed::Custom(id))),
            )
            .collect();
        let list = [b"instruments:".as_slice(), principal.account_id.as_bytes()].concat();
        let page = page_of(&list, keyed, page.into())?;
        let mut items = Vec::with_capacity(page.items.len());
        for listed in page.items {
            match listed {
                Listed::BuiltIn(instrument) => items.push(AnyInstrument::BuiltIn(instrument)),
                Listed::Custom(id) => {
                    let instrument = self.store.instrument(id).await?;
                    items.extend(instrument.map(AnyInstrument::from));
                }
            }
        }
        Ok(Page {
            items,
            next_page_token: page.next_page_token,
        })
    }

    /// An instrument the caller may use, at `version` (0: the current one).
    pub async fn get_instrument(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i64,
    ) -> Result<AnyInstrument> {
        principal.permit(Action::Read)?;
        let instrument = match instruments::built_in(id) {
            Some(built_in) => Some(AnyInstrument::BuiltIn(built_in)),
            None if self
                .usable_custom_instruments(principal)
                .await?
                .contains(&id) =>
            {
                self.store.instrument(id).await?.map(AnyInstrument::from)
            }
            None => None,
        };
        instrument
            .filter(|i| version == 0 || version == i64::from(i.definition().version))
            .ok_or(Error::NotFound("instrument"))
    }

    /// Stores a therapist's new custom instrument, checked already.
    pub async fn create_instrument(
        &self,
        principal: &Principal,
        instrument: Instrument,
    ) -> Result<CustomInstrument> {
        principal.require_therapist("only therapists write questionnaires")?;
        let custom = CustomInstrument {
            owner: principal.account_id,
            create_time_us: self.now_micros(),
            instrument,
        };
        let stored = custom.clone();
        self.store
            .write(principal.account_id, move |tx| {
                tx.create_instrument(&stored)
            })
            .await?;
        Ok(custom)
    }

    /// Assigns an instrument to a client the calling therapist is linked to:
    /// a built-in one or the therapist's own.
    pub async fn assign_assessment(
        &self,
        principal: &Principal,
        new: NewAssignment,
    ) -> Result<Assignment> {
        principal.require_therapist("only therapists assign questionnaires")?;
        self.require(principal, Action::Plan, new.client_id).await?;
        let own = |custom: &CustomInstrument| custom.owner == principal.account_id;
        let assignable = instruments::built_in(new.instrument_id).is_some()
            || self
                .store
                .instrument(new.instrument_id)
                .await?
                .is_some_and(|custom| own(&custom));
        if !assignable {
            return Err(Error::invalid(
                "assignment.instrument_id",
                "no instrument with this id that you may assign: use a built-in one or one you wrote",
            ));
        }
        let start = self.day_or_today(new.client_id, new.start).await?;
        let schedule = AssignmentSchedule::new(start, i64::from(new.every_days))
            .map_err(|e| Error::invalid("assignment.every_days", e))?;
        let assignment = Assignment {
            meta: Meta::new(new.id, new.client_id),
            instrument_id: new.instrument_id,
            schedule,
        };
        self.create(principal, assignment, None).await
    }

    /// A page of a client's assignments, by id; cancelled ones only when
    /// asked for.
    pub async fn list_assignments(
        &self,
        principal: &Principal,
        client_id: Uuid,
        show_cancelled: bool,
        page: PageRequest<'_>,
    ) -> Result<Page<Assignment>> {
        self.require(principal, Action::Read, client_id).await?;
        let wanted = move |a: &Assignment| show_cancelled || a.schedule.cancelled_on.is_none();
        self.list_where(principal, client_id, (None, None), page, wanted)
            .await
    }

    /// Cancels an assignment from the client's today on; a cancelled one is
    /// returned unchanged. Therapists linked to the client only.
    pub async fn cancel_assignment(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i64,
    ) -> Result<Assignment> {
        principal.require_therapist("only therapists cancel assignments")?;
        let client = self
            .visible(principal, Action::Plan, id, Kind::Assignment)
            .await?
            .meta()
            .client_id;
        let today = self.client_today(client).await?;
        let cancelled = self
            .store
            .write(principal.account_id, move |tx| {
                let entity = records::live(tx, id, Kind::Assignment)?;
                check_version(&entity, version)?;
                match entity {
                    Entity::Assignment(a) if a.schedule.cancelled_on.is_some() => {
                        Ok(Entity::Assignment(a))
                    }
                    Entity::Assignment(a) => {
                        let schedule = a.schedule.cancelled(today);
                        records::update(tx, Entity::Assignment(Assignment { schedule, ..a }))
                    }
                    _ => Err(Error::internal("kind changed")),
                }
            })
            .await?;
        Assignment::from_entity(cancelled).ok_or_else(|| Error::internal("kind changed"))
    }

    /// The client's assignments pending on `as_of` (default: the client's
    /// today), by due date, then assignment id, and the day answered for.
    pub async fn list_due_assessments(
        &self,
        principal: &Principal,
        client_id: Uuid,
        as_of: Option<NaiveDate>,
        page: PageRequest<'_>,
    ) -> Result<(NaiveDate, Page<DueAssessment>)> {
        self.require(principal, Action::Read, client_id).await?;
        let day = self.day_or_today(client_id, as_of).await?;
        let track = self.store.client_track(client_id).await?;
        let keyed = assessment::due(&track, day)
            .into_iter()
            .map(|due| {
                let key = [
                    &crate::domain::fields::format_date(due.due_date).into_bytes()[..],
                    due.assignment_id.as_bytes(),
                ]
                .concat();
                (key, due)
            })
            .collect();
        let list = [
            b"due:".as_slice(),
            client_id.as_bytes(),
            crate::domain::fields::format_date(day).as_bytes(),
        ]
        .concat();
        let page = page_of(&list, keyed, page.into())?;
        let mut items = Vec::with_capacity(page.items.len());
        for due in page.items {
            let Some(Entity::Assignment(assignment)) = self.store.entity(due.assignment_id).await?
            else {
                continue;
            };
            let instrument_version = self.current_version(assignment.instrument_id).await?;
            items.push(DueAssessment {
                assignment,
                due_date: due.due_date,
                overdue: due.overdue,
                instrument_version,
            });
        }
        Ok((
            day,
            Page {
                items,
                next_page_token: page.next_page_token,
            },
        ))
    }

    /// Scores and stores a client's answers, and assesses the result.
    pub async fn submit_assessment(
        &self,
        principal: &Principal,
        draft: ResultDraft,
    ) -> Result<AssessedResult> {
        principal.permit(Action::Own)?;
        let client = principal.account_id;
        let stored = self
            .store
            .write(client, move |tx| {
                let result = score(tx, client, draft.clone())?;
                records::create(tx, result.into_entity())
            })
            .await?;
        let result =
            AssessmentResult::from_entity(stored).ok_or_else(|| Error::internal("kind changed"))?;
        let track = self.store.client_track(client).await?;
        Ok(assessed(&track, result))
    }

    /// A page of a client's results (of one instrument, when given) between
    /// two local dates (inclusive), by local date, then submission order,
    /// each assessed against the client's first result on its instrument.
    pub async fn list_assessment_results(
        &self,
        principal: &Principal,
        client_id: Uuid,
        instrument: Option<Uuid>,
        (start, end): (Option<NaiveDate>, Option<NaiveDate>),
        page: PageRequest<'_>,
    ) -> Result<Page<AssessedResult>> {
        self.require(principal, Action::Read, client_id).await?;
        let within = (start.map(Order::Day), end.map(Order::Day));
        let wanted = move |r: &AssessmentResult| instrument.is_none_or(|i| r.instrument_id == i);
        let page = self
            .list_where(principal, client_id, within, page, wanted)
            .await?;
        let track = self.store.client_track(client_id).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|result| assessed(&track, result))
                .collect(),
            next_page_token: page.next_page_token,
        })
    }

    /// The current version of an instrument (1 for a custom one that is
    /// gone, which cannot happen: instruments are never deleted).
    async fn current_version(&self, id: Uuid) -> Result<u32> {
        Ok(match instruments::built_in(id) {
            Some(instrument) => instrument.version,
            None => self
                .store
                .instrument(id)
                .await?
                .map_or(1, |custom| custom.instrument.version),
        })
    }

    /// The ids of the custom instruments the caller may use: a therapist's
    /// own, or those a client has assignments of.
    async fn usable_custom_instruments(&self, principal: &Principal) -> Result<Vec<Uuid>> {
        let mut ids = match principal.role {
            Role::Therapist => self.store.instrument_ids(principal.account_id).await?,
            Role::Client => self
                .store
                .client_track(principal.account_id)
                .await?
                .assignments
                .values()
                .map(|a| a.instrument_id)
                .filter(|id| instruments::built_in(*id).is_none())
                .collect(),
            Role::Admin => Vec::new(),
        };
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

/// The result of checking `draft` for `client` against its instrument,
/// inside a transaction: the instrument must be built in, or assigned to the
/// client (an assignment active or cancelled).
pub(super) fn score(tx: &mut Tx<'_>, client: Uuid, draft: ResultDraft) -> Result<AssessmentResult> {
    let instrument_id = draft.instrument_id;
    let custom;
    let instrument = match instruments::built_in(instrument_id) {
        Some(built_in) => built_in,
        None => {
            let assigned = tx
                .tracked_assignments(client)?
                .values()
                .any(|a| a.instrument_id == instrument_id);
            custom = match assigned {
                true => tx.instrument(instrument_id)?,
                false => None,
            };
            match &custom {
                Some(custom) => &custom.instrument,
                None => {
                    // With whatever else is wrong with the draft.
                    let mut violations = draft.violations;
                    violations.push(FieldViolation::new(
                        "result.instrument_id",
                        "no instrument with this id that you may answer: answer a built-in one or one assigned to you",
                    ));
                    return Err(Error::InvalidFields(violations));
                }
            }
        }
    };
    draft.score(instrument, client)
}

/// `result` assessed against the client's first result on its instrument,
/// as the client's aggregate `track` holds them.
fn assessed(track: &ClientTrack, result: AssessmentResult) -> AssessedResult {
    let first = assessment::history(track, result.instrument_id)
        .first()
        .map(|(id, first)| (*id, first.total));
    let tracked = TrackedResult::of(&result);
    let assessed = assessment::assess(result.instrument_id, first, (result.meta.id, &tracked));
    AssessedResult { result, assessed }
}
