//! Downloading a client's export into a file of JSON lines.
//!
//! Each message of `AccountService.ExportData` becomes one line: the
//! `ExportDataResponse` in protobuf's JSON mapping (field names in
//! lowerCamelCase, 64-bit integers as strings, enums by name, timestamps in
//! RFC 3339; `prost-reflect` writes it from the API's own descriptors), the
//! trailer last. The count and SHA-256 of the items are checked against the
//! trailer before the file takes its name, so a file that has one is whole.

use std::io::Write;
use std::path::Path;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use tonic::transport::Channel;

use super::auth::authenticated;
use super::partial::PartialFile;
use crate::pb;
use crate::pb::account_service_client::AccountServiceClient;
use crate::pb::export_data_response::Item;
use crate::service::convert::ExportDigest;

/// Why an export could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The server refused or failed.
    #[error("{}", .0.message())]
    Rpc(#[from] tonic::Status),
    /// What arrived is not a whole export.
    #[error("the export is incomplete or damaged: {0}; nothing was saved")]
    Incomplete(String),
    /// Writing the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Streams the export of the holder of `token` into `to` (mode 0600), one
/// JSON object per line, the trailer last; `to` is replaced only once the
/// export is whole (until then it is `<to>.partial`, removed if anything
/// fails). Returns the number of items.
pub async fn download(channel: Channel, token: &str, to: &Path) -> Result<i64, ExportError> {
    let json = JsonLines::new()?;
    let mut api = AccountServiceClient::new(authenticated(channel, token));
    let mut stream = api
        .export_data(pb::ExportDataRequest::default())
        .await?
        .into_inner();
    let (partial, file) = PartialFile::create(to)?;
    let mut file = std::io::BufWriter::new(file);
    let mut digest = ExportDigest::default();
    let outcome = loop {
        let Some(message) = stream.message().await? else {
            break Err(ExportError::Incomplete(
                "it ended without its trailer".into(),
            ));
        };
        json.write(&mut file, &message)?;
        match &message.item {
            Some(Item::Trailer(trailer)) => break check(digest, trailer),
            _ => digest.add(&message),
        }
    };
    let count = outcome?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    partial.finish()?;
    Ok(count)
}

/// The number of items, if it and their digest agree with the trailer.
fn check(digest: ExportDigest, trailer: &pb::ExportTrailer) -> Result<i64, ExportError> {
    let received = digest.trailer();
    if received.item_count != trailer.item_count {
        return Err(ExportError::Incomplete(format!(
            "{} items arrived, the server sent {}",
            received.item_count, trailer.item_count
        )));
    }
    if received.sha256 != trailer.sha256 {
        return Err(ExportError::Incomplete(
            "the items' SHA-256 differs from the server's".into(),
        ));
    }
    Ok(received.item_count)
}

/// Writes messages as JSON lines, by the API's descriptors.
struct JsonLines {
    message: MessageDescriptor,
}

impl JsonLines {
    fn new() -> Result<Self, ExportError> {
        let bad = |e: &dyn std::fmt::Display| ExportError::Incomplete(e.to_string());
        let pool = DescriptorPool::decode(pb::FILE_DESCRIPTOR_SET).map_err(|e| bad(&e))?;
        let message = pool
            .get_message_by_name("stepwise.v1.ExportDataResponse")
            .ok_or_else(|| bad(&"the API has no ExportDataResponse"))?;
        Ok(Self { message })
    }

    /// One line: `message` in protobuf's JSON mapping.
    fn write(
        &self,
        out: &mut impl Write,
        message: &pb::ExportDataResponse,
    ) -> Result<(), ExportError> {
        let dynamic =
            DynamicMessage::decode(self.message.clone(), message.encode_to_vec().as_slice())
                .map_err(|e| ExportError::Incomplete(e.to_string()))?;
        serde_json::to_writer(&mut *out, &dynamic)
            .map_err(|e| ExportError::Io(std::io::Error::other(e)))?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
