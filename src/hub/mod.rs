//! The street office's side of the district: its home (the district key), the store that holds
//! the district ledger (SQLite or PostgreSQL), and the hub server that serves the nightly sync.
//! Comes later: the street office's web pages.

pub mod home;
pub mod ingest;
pub mod metrics;
pub mod openapi;
pub mod server;
pub mod service;
pub mod store;

pub use home::{Hub, HubError, HubHome};
