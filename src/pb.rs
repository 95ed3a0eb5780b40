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

/// Every encoded descriptor set the server describes by reflection: its own
/// API, health, reflection itself (v1 and v1alpha), and google.rpc's error
/// details, so tools can decode them. The gRPC methods declared here are the
/// ones the server knows (metrics label only those by name).
pub const DESCRIPTOR_SETS: &[&[u8]] = &[
    FILE_DESCRIPTOR_SET,
    tonic_health::pb::FILE_DESCRIPTOR_SET,
    tonic_types::pb::FILE_DESCRIPTOR_SET,
    tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
    tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
];
