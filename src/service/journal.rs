//! `stepwise.v1.JournalService`: the client's journal entries.

use tonic::{Request, Response, Status};

use super::convert::{self, JOURNAL_ENTRY};
use super::fit::listed;
use super::request::{
    create, delete, delete_request, get, id_request, list_records, list_records_request, update,
};
use crate::app::App;
use crate::domain::{JournalEntry, Kind};
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
        create(&self.app, request, |caller, r| {
            convert::new_journal_entry(caller, r.journal_entry)
        })
        .await
    }

    async fn get_journal_entry(
        &self,
        request: Request<pb::GetJournalEntryRequest>,
    ) -> Result<Response<pb::JournalEntry>, Status> {
        get::<JournalEntry, _>(&self.app, request).await
    }

    async fn list_journal_entries(
        &self,
        request: Request<pb::ListJournalEntriesRequest>,
    ) -> Result<Response<pb::ListJournalEntriesResponse>, Status> {
        list_records::<JournalEntry, _>(&self.app, request).await
    }

    async fn update_journal_entry(
        &self,
        request: Request<pb::UpdateJournalEntryRequest>,
    ) -> Result<Response<pb::JournalEntry>, Status> {
        update(
            &self.app,
            request,
            convert::journal_entry_update,
            JOURNAL_ENTRY,
        )
        .await
    }

    async fn delete_journal_entry(
        &self,
        request: Request<pb::DeleteJournalEntryRequest>,
    ) -> Result<Response<()>, Status> {
        delete(&self.app, request, Kind::JournalEntry).await
    }
}

listed!(ListJournalEntriesResponse.journal_entries: JournalEntry);
id_request!(pb::GetJournalEntryRequest);
delete_request!(pb::DeleteJournalEntryRequest);
list_records_request!(pb::ListJournalEntriesRequest, start_date..end_date);
