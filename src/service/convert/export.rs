//! Exports: items as messages, and the digest that the trailer carries.

use futures_util::{Stream, StreamExt};
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::Status;

use super::{care_link, change, hex};
use crate::app::ExportItem;
use crate::error::Result;
use crate::pb;

/// The count and digest of an export's items, as `ExportTrailer` defines
/// them: SHA-256 over each item message's deterministic encoding, preceded
/// by its length as a varint. prost encodes deterministically (fields in
/// number order, no unknown fields, defaults left out), so the server's
/// encoding and a client's re-encoding of what it received agree.
#[derive(Debug, Default, Clone)]
pub struct ExportDigest {
    hash: Sha256,
    count: i64,
}

impl ExportDigest {
    /// Adds the next item.
    pub fn add(&mut self, item: &pb::ExportDataResponse) {
        self.hash.update(item.encode_length_delimited_to_vec());
        self.count += 1;
    }

    /// The trailer of the items added.
    pub fn trailer(self) -> pb::ExportTrailer {
        pb::ExportTrailer {
            item_count: self.count,
            sha256: hex(&self.hash.finalize()),
        }
    }
}

/// API form of an export item.
pub fn export_item(item: ExportItem) -> pb::ExportDataResponse {
    use pb::export_data_response::Item;
    let item = match item {
        ExportItem::Account(account) => Item::Account(account.into()),
        ExportItem::Record(entity) => Item::Record(change(*entity)),
        ExportItem::CareLink(link, names) => Item::CareLink(care_link(link, names)),
        ExportItem::AccessEvent(event) => Item::AccessEvent(event.into()),
    };
    pb::ExportDataResponse { item: Some(item) }
}

/// The messages of an export: each item, then (once the items ended
/// without an error) the trailer. An error ends the stream without one.
pub fn export_messages(
    items: impl Stream<Item = Result<ExportItem>> + Send + Unpin + 'static,
) -> impl Stream<Item = Result<pb::ExportDataResponse, Status>> + Send {
    let start = (items, Some(ExportDigest::default()));
    futures_util::stream::unfold(start, |(mut items, digest)| async move {
        let mut digest = digest?;
        match items.next().await {
            Some(Ok(item)) => {
                let message = export_item(item);
                digest.add(&message);
                Some((Ok(message), (items, Some(digest))))
            }
            Some(Err(error)) => Some((Err(Status::from(error)), (items, None))),
            None => {
                let trailer = pb::export_data_response::Item::Trailer(digest.trailer());
                let message = pb::ExportDataResponse {
                    item: Some(trailer),
                };
                Some((Ok(message), (items, None)))
            }
        }
    })
}
