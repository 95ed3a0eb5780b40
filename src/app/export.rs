//! A client's own data, whole: the right of access and to take it along.
//!
//! An export streams the account, every live record the client owns
//! (private notes included), their care links and the access events about
//! them. Records are read from the client's change index up to its head,
//! then again up to the new head until it stands still, each record once
//! (the first time it is read): a record that changes meanwhile moves to a
//! later place in the index, and is neither missed nor sent twice.

use std::collections::HashSet;

use tokio::sync::mpsc;
use uuid::Uuid;

use super::{App, BATCH, PageRequest, Principal};
use crate::domain::{AccessEvent, Account, CareLink, Entity, Role};
use crate::error::{Error, Result};
use crate::store::{Page, Side};

/// Records read at a time.
const PAGE_SIZE: usize = 256;
/// Bytes of records read at a time.
const PAGE_BYTES: usize = 1024 * 1024;

/// One item of an export.
#[derive(Debug)]
pub enum ExportItem {
    /// The client's account.
    Account(Account),
    /// A live record the client owns.
    Record(Box<Entity>),
    /// A care link of the client, with the display names of the therapist
    /// and the client.
    CareLink(CareLink, (String, String)),
    /// An access of a therapist to the client's data.
    AccessEvent(AccessEvent),
}

impl App {
    /// Streams the export of the calling client's data (`account_id`, when
    /// given, must be theirs); the stream ends after the last item, or with
    /// an error.
    pub async fn export_data(
        &self,
        principal: &Principal,
        account_id: Option<Uuid>,
    ) -> Result<mpsc::Receiver<Result<ExportItem>>> {
        if principal.role != Role::Client {
            return Err(Error::PermissionDenied(
                "only clients export data, their own (administrators read no client data)",
            ));
        }
        if account_id.is_some_and(|id| id != principal.account_id) {
            return Err(Error::PermissionDenied("you can export only your own data"));
        }
        let caller = principal.clone();
        self.spawn_stream(principal, move |app, items| async move {
            app.export_into(&caller, &items).await
        })
    }

    async fn export_into(
        &self,
        principal: &Principal,
        items: &mpsc::Sender<Result<ExportItem>>,
    ) -> Result<()> {
        let client = principal.account_id;
        self.still_authenticated(principal).await?;
        let account = self.current_account(principal).await?;
        if !send(items, ExportItem::Account(account)).await {
            return Ok(());
        }
        crate::async_fail_point!("export::after_account");
        let mut sent = HashSet::new();
        let (mut at, mut head) = (0, self.store.head(client).await?);
        while at < head {
            let page = self
                .store
                .changes(client, (at, head), (PAGE_SIZE, PAGE_BYTES), true)
                .await?;
            self.still_authenticated(principal).await?;
            for entity in page.entities {
                if entity.is_deleted() || !sent.insert(entity.meta().id) {
                    continue;
                }
                // The client's copy, as their devices hold it.
                if !send(items, ExportItem::Record(Box::new(entity.for_client()))).await {
                    return Ok(());
                }
            }
            at = page.last_seq;
            if at >= head {
                head = self.store.head(client).await?;
            }
        }
        // A client has few links.
        let links = self.links_of(client, Side::Client).await?;
        for link in links {
            let names = (
                self.display_name(link.therapist_id).await?,
                self.display_name(link.client_id).await?,
            );
            if !send(items, ExportItem::CareLink(link, names)).await {
                return Ok(());
            }
        }
        let events = |token: String| async move {
            let page = PageRequest {
                size: BATCH,
                token: &token,
            };
            self.store
                .access_events(client, Side::Client, page.into())
                .await
        };
        send_pages(items, events, ExportItem::AccessEvent).await?;
        Ok(())
    }
}

/// Sends an item; `false` once the receiver is gone.
async fn send(items: &mpsc::Sender<Result<ExportItem>>, item: ExportItem) -> bool {
    items.send(Ok(item)).await.is_ok()
}

/// Sends every item of a paged list, page by page; `false` once the
/// receiver is gone.
async fn send_pages<T, F>(
    items: &mpsc::Sender<Result<ExportItem>>,
    mut page: impl FnMut(String) -> F,
    wrap: impl Fn(T) -> ExportItem,
) -> Result<bool>
where
    F: Future<Output = Result<Page<T>>>,
{
    let mut token = String::new();
    loop {
        let next = page(token).await?;
        for item in next.items {
            if !send(items, wrap(item)).await {
                return Ok(false);
            }
        }
        if next.next_page_token.is_empty() {
            return Ok(true);
        }
        token = next.next_page_token;
    }
}
