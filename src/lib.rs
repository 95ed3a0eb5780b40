//! Stepwise: the sync backend of therapy-companion apps. Clients keep goals,
//! action steps, check-ins and self-efficacy ratings; therapists they
//! consent to follow their progress.
//!
//! Data flows one way: gRPC handlers ([`service`]) → use cases ([`app`]) →
//! storage ([`store`]); [`domain`] holds the records and their rules.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

#[macro_use]
mod kinds;

pub mod app;
pub mod client;
pub mod config;
pub mod data_dir;
pub mod domain;
pub mod encoding;
pub mod error;
pub mod failpoints;
pub mod limits;
pub mod metrics;
pub mod pb;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod web;
