#![forbid(unsafe_code)]
pub mod cli;
pub mod demo;
pub mod domain;
pub mod home;
pub mod i18n;
pub mod import;
pub mod keys;
pub mod ledger;
pub mod passbook;
pub mod store;
