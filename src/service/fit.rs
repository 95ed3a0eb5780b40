//! Answers that fit in one gRPC message ([`MAX_MESSAGE_BYTES`]): a message
//! over the limit is no answer at all (tonic refuses to send it, and the
//! caller gets `OUT_OF_RANGE` for a call that may have done its work), so
//! an answer that holds a list of records people wrote is cut to fit.
//!
//! Field limits bound one record, not a page of them: a thousand goals of
//! 200-character titles and 4000-character `why`s in emoji make 17 MB. A
//! page is measured as it will be sent (prost's `encoded_len`, exact and
//! cheap), and a page that does not fit is read again with as many items
//! as fit, so its `next_page_token` continues right after them. The store
//! stops most pages well before the limit (see [`crate::store`]); this is
//! what makes the limit a guarantee, also for lists computed in memory.

use std::future::Future;

use prost::Message;

use crate::app::PageRequest;
use crate::error::{Error, Result};
use crate::limits::MAX_MESSAGE_BYTES;
use crate::pb;

/// Room left in a cut answer for what a read with fewer items may hold
/// more of than the answer it was measured on (a longer token).
const SLACK: usize = 4 * 1024;

/// An answer made of a list of items and a few fields about the list (its
/// `next_page_token`, a `Pull`'s cursor).
pub(super) trait Paged: Message {
    /// An item of the list.
    type Item: Message;
    /// The items, in order.
    fn items(&self) -> &[Self::Item];
}

macro_rules! paged {
    ($($answer:ident.$field:ident: $item:ident),* $(,)?) => {$(
        impl $crate::service::fit::Paged for $crate::pb::$answer {
            type Item = $crate::pb::$item;
            fn items(&self) -> &[$crate::pb::$item] {
                &self.$field
            }
        }
    )*};
}

/// A list answer: a page of items and its `next_page_token`, nothing else.
pub(super) trait ListAnswer: Paged {
    /// The answer that holds a page's `items`.
    fn new<T: Into<Self::Item>>(items: Vec<T>, next_page_token: String) -> Self;
}

/// [`Paged`] and [`ListAnswer`] for answers `Answer.field: Item`.
macro_rules! listed {
    ($($answer:ident.$field:ident: $item:ident),* $(,)?) => {$(
        $crate::service::fit::paged!($answer.$field: $item);
        impl $crate::service::fit::ListAnswer for $crate::pb::$answer {
            fn new<T: Into<$crate::pb::$item>>(items: Vec<T>, next_page_token: String) -> Self {
                Self {
                    $field: items.into_iter().map(Into::into).collect(),
                    next_page_token,
                }
            }
        }
    )*};
}
pub(super) use {listed, paged};

paged!(
    ListDueAssessmentsResponse.due_assessments: DueAssessment,
    PullResponse.changes: Change,
);

listed!(
    ListTokensResponse.tokens: Token,
    AuthServiceListSessionsResponse.sessions: DeviceSession,
    ListSecurityEventsResponse.events: SecurityEvent,
    ListAccountsResponse.accounts: Account,
    ListAdminEventsResponse.admin_events: AdminEvent,
    ListInstrumentsResponse.instruments: Instrument,
    ListAssignmentsResponse.assignments: Assignment,
    ListAssessmentResultsResponse.assessment_results: AssessmentResult,
    ListCareLinksResponse.care_links: CareLink,
    ListAccessEventsResponse.access_events: AccessEvent,
    ListClientSummariesResponse.client_summaries: ClientSummary,
    ListInvitesResponse.invites: Invite,
    ListSessionsResponse.sessions: Session,
    ListCommentsResponse.comments: Comment,
    ListGoalsResponse.goals: Goal,
    ListActionStepsResponse.action_steps: ActionStep,
    ListThoughtRecordsResponse.thought_records: ThoughtRecord,
    ListCheckInsResponse.check_ins: CheckIn,
    ListEfficacyRatingsResponse.efficacy_ratings: EfficacyRating,
    ListAttainmentsResponse.attainment_ratings: AttainmentRating,
    ListSkillsResponse.skills: Skill,
    ListSkillPracticesResponse.skill_practices: SkillPractice,
);

/// The answer of `read(size)`, the page of at most `size` items that a
/// request asked for; when it does not fit in a message, the answer of
/// `read` with as many items as fit instead (at least one: a page always
/// moves on). Each read must hand out at most as many items as asked, and
/// continue after the last one it hands out, as pages and cursors do.
pub(super) async fn fitted<A, F, Fut>(size: usize, mut read: F) -> Result<A>
where
    A: Paged,
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<A>>,
{
    let mut size = size;
    loop {
        let answer = read(size).await?;
        match fitting(&answer) {
            None => return Ok(answer),
            // Fewer than asked for before: the loop ends.
            Some(fit) if fit < size => size = fit,
            Some(_) => {
                return Err(Error::internal(
                    "one item of a list does not fit in a message",
                ));
            }
        }
    }
}

/// [`fitted`] for a list request: `read` reads `page` or, when that does
/// not fit, the same page with fewer items.
pub(super) async fn page<'a, A, F, Fut>(page: PageRequest<'a>, mut read: F) -> Result<A>
where
    A: Paged,
    F: FnMut(PageRequest<'a>) -> Fut,
    Fut: Future<Output = Result<A>>,
{
    fitted(page.size, |size| read(PageRequest { size, ..page })).await
}

/// `None` when `answer` fits in a message; otherwise how many of its first
/// items would (at least one, fewer than it holds, unless it holds one).
fn fitting<A: Paged>(answer: &A) -> Option<usize> {
    let whole = answer.encoded_len();
    if whole <= MAX_MESSAGE_BYTES {
        return None;
    }
    let items = answer.items();
    let sizes: Vec<usize> = items.iter().map(framed).collect();
    let about_the_list = whole.saturating_sub(sizes.iter().sum());
    let budget = MAX_MESSAGE_BYTES.saturating_sub(about_the_list + SLACK);
    let mut used = 0;
    let fit = sizes
        .iter()
        .take_while(|size| {
            used += **size;
            used <= budget
        })
        .count();
    Some(fit.clamp(1, items.len().saturating_sub(1).max(1)))
}

/// Leaves out the records of a push's results from where they would no
/// longer fit in one message: each result still says what happened to its
/// mutation, and the records come with the device's next pull (which
/// hands out every record changed after its cursor).
pub(super) fn results_within_limit(results: &mut [pb::MutationResult]) {
    let whole: usize = results.iter().map(framed).sum();
    if whole <= MAX_MESSAGE_BYTES {
        return;
    }
    let budget = MAX_MESSAGE_BYTES - SLACK;
    let mut used = 0;
    for result in results {
        if used + framed(result) > budget {
            result.current = None;
        }
        used += framed(result);
    }
}

/// A list of a digest, whose latest entries come last.
trait Latest {
    /// Bytes each entry takes in the digest, in order.
    fn sizes(&self) -> Vec<usize>;
    /// Keeps the latest `count` entries.
    fn keep_latest(&mut self, count: usize);
}

impl<T: Message> Latest for Vec<T> {
    fn sizes(&self) -> Vec<usize> {
        self.iter().map(framed).collect()
    }

    fn keep_latest(&mut self, count: usize) {
        self.drain(..self.len().saturating_sub(count));
    }
}

/// Cuts the lists of a pre-session digest so that it fits in one message:
/// each keeps its latest entries, as many as let all of them fit, the
/// same number for every list, and `truncated` says so. Its summaries
/// (progress, mean drop, distortions) stay those of the whole period.
pub(super) fn digest_within_limit(digest: &mut pb::SessionDigest) {
    let whole = digest.encoded_len();
    if whole <= MAX_MESSAGE_BYTES {
        return;
    }
    let d = digest;
    let mut lists: [&mut dyn Latest; 11] = [
        &mut d.goals_created,
        &mut d.goals_achieved,
        &mut d.goals_archived,
        &mut d.steps_created,
        &mut d.steps_archived,
        &mut d.efficacy_ratings,
        &mut d.assessment_results,
        &mut d.attainment_ratings,
        &mut d.comments,
        &mut d.skill_practices,
        &mut d.thought_records,
    ];
    let sizes: Vec<Vec<usize>> = lists.iter().map(|list| list.sizes()).collect();
    let rest = whole.saturating_sub(sizes.iter().flatten().sum());
    let budget = MAX_MESSAGE_BYTES.saturating_sub(rest + SLACK);
    let latest = |count: usize| -> usize {
        sizes
            .iter()
            .map(|list| {
                list[list.len().saturating_sub(count)..]
                    .iter()
                    .sum::<usize>()
            })
            .sum()
    };
    let longest = sizes.iter().map(Vec::len).max().unwrap_or(0);
    let keep = (0..longest)
        .rev()
        .find(|&count| latest(count) <= budget)
        .unwrap_or(0);
    for list in &mut lists {
        list.keep_latest(keep);
    }
    d.truncated = true;
}

/// Bytes an item takes in its answer: its key, its length and itself.
pub(super) fn framed(item: &impl Message) -> usize {
    // Every list's items are a field numbered below 16: a one-byte key.
    prost::encoding::message::encoded_len(1, item)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// A list of `count` goals of `why_bytes` each, and a token, as a
    /// page read of at most `size` of them would be.
    fn goals(count: usize, why_bytes: usize, size: usize) -> pb::ListGoalsResponse {
        let shown = count.min(size);
        pb::ListGoalsResponse {
            goals: (0..shown)
                .map(|n| pb::Goal {
                    id: format!("{n:036}"),
                    why: "w".repeat(why_bytes),
                    ..Default::default()
                })
                .collect(),
            next_page_token: if shown < count {
                "t".repeat(64)
            } else {
                String::new()
            },
        }
    }

    #[tokio::test]
    async fn a_page_that_fits_is_read_once() {
        let reads = RefCell::new(Vec::new());
        let answer = fitted(1000, |size| {
            reads.borrow_mut().push(size);
            async move { Ok(goals(300, 4000, size)) }
        })
        .await
        .expect("answer");
        assert_eq!(answer.goals.len(), 300);
        assert_eq!(*reads.borrow(), [1000]);
    }

    #[tokio::test]
    async fn a_page_too_large_is_read_again_with_as_many_items_as_fit() {
        let reads = RefCell::new(Vec::new());
        let answer = fitted(1000, |size| {
            reads.borrow_mut().push(size);
            async move { Ok(goals(1200, 17_000, size)) }
        })
        .await
        .expect("answer");
        assert!(answer.encoded_len() <= MAX_MESSAGE_BYTES);
        let one = framed(&answer.goals[0]);
        assert!(
            answer.encoded_len() + one > MAX_MESSAGE_BYTES - SLACK,
            "as many as fit: one more would not"
        );
        assert_eq!(reads.borrow().len(), 2, "read again once: {:?}", reads);
        assert!(!answer.next_page_token.is_empty(), "the rest comes next");
    }

    #[test]
    fn a_push_answer_leaves_out_the_records_that_do_not_fit() {
        let result = |why_bytes| pb::MutationResult {
            mutation_id: "m".into(),
            outcome: pb::Outcome::Conflict as i32,
            current: Some(pb::Change {
                entity: Some(pb::change::Entity::Goal(pb::Goal {
                    why: "w".repeat(why_bytes),
                    ..Default::default()
                })),
            }),
            ..Default::default()
        };
        let mut small = vec![result(100); 500];
        results_within_limit(&mut small);
        assert!(small.iter().all(|r| r.current.is_some()), "all fit");

        let mut results = vec![result(1_000_000); 5];
        results.push(result(100));
        results_within_limit(&mut results);
        let kept: Vec<bool> = results.iter().map(|r| r.current.is_some()).collect();
        assert_eq!(kept, [true, true, true, true, false, true]);
        let answer = pb::PushResponse { results };
        assert!(answer.encoded_len() <= MAX_MESSAGE_BYTES);
    }

    #[test]
    fn a_digest_too_large_keeps_the_same_number_of_latest_entries_in_each_list() {
        let goal = |n: usize, why_bytes| pb::Goal {
            id: n.to_string(),
            why: "w".repeat(why_bytes),
            ..Default::default()
        };
        let mut digest = pb::SessionDigest {
            goals_created: (0..200).map(|n| goal(n, 10)).collect(),
            goals_archived: (0..60).map(|n| goal(n, 80_000)).collect(),
            steps_created: vec![pb::ActionStep::default(); 3],
            ..Default::default()
        };
        digest_within_limit(&mut digest);
        assert!(digest.encoded_len() <= MAX_MESSAGE_BYTES);
        assert!(digest.truncated);
        let kept = digest.goals_archived.len();
        assert!((45..60).contains(&kept), "as many as fit: {kept}");
        assert_eq!(digest.goals_created.len(), kept, "the same number");
        assert_eq!(digest.goals_created[0].id, (200 - kept).to_string());
        assert_eq!(digest.goals_archived[kept - 1].id, "59", "the latest");
        assert_eq!(digest.steps_created.len(), 3, "a shorter list whole");
    }

    #[tokio::test]
    async fn a_page_moves_on_by_one_item_however_large() {
        // Larger than any record the field limits allow: still one item a
        // page rather than none, until one alone is too large.
        let answer = fitted(1000, |size| async move {
            Ok(goals(3, MAX_MESSAGE_BYTES / 2 + 1, size))
        })
        .await
        .expect("answer");
        assert_eq!(answer.goals.len(), 1);
        let refused = fitted(1000, |size| async move {
            Ok(goals(3, MAX_MESSAGE_BYTES + 1, size))
        })
        .await;
        assert!(refused.is_err());
    }
}
