//! The street office's side of the district: its home (the district key), the store that holds
//! the district ledger (SQLite or PostgreSQL), and the hub server that serves the nightly sync.
//! The street office reads its district in reports ([`reports`]) on the command line and on
//! web pages ([`web`], [`pages`]) for its administrators ([`admins`]). Which certificates the
//! hub takes is [`grants`]' one rule.

pub mod admins;
pub mod grants;
pub mod home;
pub mod ingest;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod reports;
pub mod server;
pub mod service;
pub mod store;
pub mod web;

pub use home::{Hub, HubError, HubHome};
