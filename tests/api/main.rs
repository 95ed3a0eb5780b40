//! Black-box tests of the API: one test binary, the real server, real
//! gRPC clients.

mod access;
mod accounts;
mod action_steps;
mod admin;
mod assessments;
mod attainment;
mod backup;
mod binary;
mod care;
mod comments;
mod concurrency;
mod crash;
mod devices;
mod digest;
#[cfg(feature = "failpoints")]
mod durability;
mod erasure;
mod expensive;
mod export;
mod files;
mod fuzz;
mod goals;
mod grpc_web;
mod helpers;
mod insights;
mod invites;
mod message_size;
mod metrics;
mod nodes;
mod paging;
mod persistence;
mod progress;
mod reflection;
mod retention;
mod skills;
mod smoke;
mod stream_access;
mod streams;
mod sync;
mod sync_property;
mod thought_records;
mod tls;
mod tokens;
mod validation;
mod web;
