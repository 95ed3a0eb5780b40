//! Therapists' sessions with their clients, and the pre-session digest:
//! what changed for a client since the last session.
//!
//! A session is the therapist's own note, kept apart from the client's
//! records (in no change index), so no sync call, stream or other
//! therapist's call ever reads it. Recording or listing one reads nothing
//! of the client's data and records no access event; the digest does.

use uuid::Uuid;

use super::sync::MAX_PULL_BYTES;
use super::{Action, App, BATCH, PageRequest, Principal, ProgressReport};
use crate::domain::Session;
use crate::domain::digest::{Digest, DigestBuilder, Period};
use crate::error::{Error, Result};
use crate::store::Page;

/// A digest with where its period starts and how progress moved.
#[derive(Debug, Clone)]
pub struct SessionDigest {
    /// The client.
    pub client_id: Uuid,
    /// The period.
    pub period: Period,
    /// The session the period starts at, when it does.
    pub since_session: Option<Uuid>,
    /// What changed.
    pub digest: Digest,
    /// Progress as of the client's local day at the start of the period.
    pub progress_then: ProgressReport,
    /// Progress as of the client's local day at its end.
    pub progress_now: ProgressReport,
}

impl App {
    /// Records a session of the calling therapist with an actively linked
    /// client.
    pub async fn record_session(&self, principal: &Principal, session: Session) -> Result<Session> {
        principal.require_therapist("only therapists record sessions")?;
        let therapist = principal.account_id;
        // Not `require`: recording a session reads nothing of the client's.
        if !self.store.link_active(therapist, session.client_id).await? {
            return Err(Error::invalid(
                "session.client_id",
                "is not a client actively linked to you",
            ));
        }
        let session = self
            .store
            .write(therapist, move |tx| {
                if tx.session(session.id)?.is_some() {
                    return Err(Error::AlreadyExists("session"));
                }
                let stored = Session {
                    therapist_id: tx.actor(),
                    create_time_us: tx.now_micros(),
                    ..session.clone()
                };
                tx.put_session(&stored)?;
                Ok(stored)
            })
            .await?;
        tracing::info!(session_id = %session.id, client_id = %session.client_id, "session recorded");
        Ok(session)
    }

    /// A page of the calling therapist's sessions with a client, newest
    /// first; the therapist's own notes, so also after the link ended.
    pub async fn list_sessions(
        &self,
        principal: &Principal,
        client_id: Uuid,
        page: PageRequest<'_>,
    ) -> Result<Page<Session>> {
        principal.require_therapist("only therapists have sessions")?;
        self.store
            .sessions(principal.account_id, client_id, page.into())
            .await
    }

    /// What changed for an actively linked client since `since_us`
    /// (default: the caller's latest session with the client up to now,
    /// or else when the link was made), as the caller may see it.
    pub async fn session_digest(
        &self,
        principal: &Principal,
        client_id: Uuid,
        since_us: Option<i64>,
    ) -> Result<SessionDigest> {
        principal.require_therapist("only therapists get session digests")?;
        self.require(principal, Action::Read, client_id).await?;
        let until_us = self.now_micros();
        let (since_us, since_session) = match since_us {
            Some(since) => (since.min(until_us), None),
            None => self.digest_start(principal, client_id, until_us).await?,
        };
        let period = Period { since_us, until_us };
        let digest = self.collect_digest(principal, client_id, period).await?;
        let [progress_then, progress_now] = self
            .client_progress_at(client_id, [since_us, until_us])
            .await?;
        Ok(SessionDigest {
            client_id,
            period,
            since_session,
            digest,
            progress_then,
            progress_now,
        })
    }

    /// Where a digest starts by default: the caller's latest session with
    /// the client up to `now_us`, or else when their link was made.
    async fn digest_start(
        &self,
        principal: &Principal,
        client_id: Uuid,
        now_us: i64,
    ) -> Result<(i64, Option<Uuid>)> {
        let therapist = principal.account_id;
        let mut token = String::new();
        loop {
            let page = PageRequest {
                size: BATCH,
                token: &token,
            };
            let page = self
                .store
                .sessions(therapist, client_id, page.into())
                .await?;
            // Newest first: the first one not after now.
            if let Some(last) = page.items.iter().find(|s| s.session_time_us <= now_us) {
                return Ok((last.session_time_us, Some(last.id)));
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        let link = self
            .store
            .link_between(therapist, client_id)
            .await?
            .ok_or(Error::NotFound("client"))?;
        Ok((link.create_time_us, None))
    }

    /// Reads every live record of the client once, as the caller may see
    /// it, into a digest of `period`.
    async fn collect_digest(
        &self,
        principal: &Principal,
        client_id: Uuid,
        period: Period,
    ) -> Result<Digest> {
        let head = self.store.head(client_id).await?;
        let mut builder = DigestBuilder::new(period);
        let mut after = 0;
        while after < head {
            let page = self
                .store
                .changes(client_id, (after, head), (BATCH, MAX_PULL_BYTES), true)
                .await?;
            for entity in page.entities {
                if let Some(seen) = self.as_seen_by(principal, entity) {
                    builder.add(seen);
                }
            }
            if !page.has_more {
                break;
            }
            after = page.last_seq;
        }
        Ok(builder.finish())
    }
}
