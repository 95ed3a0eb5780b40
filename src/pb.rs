//! The only place generated protobuf and gRPC code is included.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// `stepwise.v1`, generated from `proto/stepwise/v1/`.
pub mod stepwise {
    /// Version 1 of the API.
    pub mod v1 {
        tonic::include_proto!("stepwise.v1");
    }
}

pub use stepwise::v1::*;

/// Encoded `FileDescriptorSet` of `proto/` and its imports, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/stepwise_descriptor.bin"));
