//! `stepwise.v1.JournalService`: the client's journal entries.

use tonic::{Request, Response, Status};

use super::convert::{self, JOURNAL_ENTRY};
use super::fit::{self, Paged};
use super::principal;
use super::request::{DeleteRequest, delete};
use crate::app::App;
use crate::domain::{JournalEntry, Kind, Order};
use crate::pb;

/// Implements `JournalService` over the use cases.
pub struct JournalApi {
    app: App,
}

impl JournalApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::journal_service_server::JournalService for JournalApi {
    async fn create_journal_entry(
        &self,
        request: Request<pb::CreateJournalEntryRequest>,
    ) -> Result<Response<pb::JournalEntry>, Status> {
        let principal = principal(&request)?;
        let entry =
            convert::new_journal_entry(principal.account_id, request.into_inner().journal_entry)?;
        let entry = self.app.create_record(&principal, entry).await?;
        Ok(Response::new(entry.into()))
    }

    async fn get_journal_entry(
        &self,
        request: Request<pb::GetJournalEntryRequest>,
    ) -> Result<Response<pb::JournalEntry>, Status> {
        let principal = principal(&request)?;
        let id = convert::id(&request.get_ref().id, "id")?;
        let entry: JournalEntry = self.app.get_record(&principal, id).await?;
        Ok(Response::new(entry.into()))
    }

    async fn list_journal_entries(
        &self,
        request: Request<pb::ListJournalEntriesRequest>,
    ) -> Result<Response<pb::ListJournalEntriesResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, (start, end), page) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::date_range(&request.start_date, &request.end_date),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let within = (start.map(Order::Day), end.map(Order::Day));
        let principal = &principal;
        let answer = fit::page(page, |page| async move {
            let page = self
                .app
                .list_records::<JournalEntry>(principal, client_id, within, page)
                .await?;
            Ok(pb::ListJournalEntriesResponse {
                journal_entries: page.items.into_iter().map(Into::into).collect(),
                next_page_token: page.next_page_token,
            })
        });
        Ok(Response::new(answer.await?))
    }

    async fn update_journal_entry(
        &self,
        request: Request<pb::UpdateJournalEntryRequest>,
    ) -> Result<Response<pb::JournalEntry>, Status> {
        let principal = principal(&request)?;
        let (id, version, patch) = convert::journal_entry_update(request.into_inner())?;
        let entry = self
            .app
            .update_record(&principal, (id, version), patch, JOURNAL_ENTRY)
            .await?;
        Ok(Response::new(entry.into()))
    }

    async fn delete_journal_entry(
        &self,
        request: Request<pb::DeleteJournalEntryRequest>,
    ) -> Result<Response<()>, Status> {
        delete(&self.app, request, Kind::JournalEntry).await
    }
}

impl Paged for pb::ListJournalEntriesResponse {
    type Item = pb::JournalEntry;
    fn items(&self) -> &[pb::JournalEntry] {
        &self.journal_entries
    }
}

impl DeleteRequest for pb::DeleteJournalEntryRequest {
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
}
