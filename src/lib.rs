#![forbid(unsafe_code)]
pub mod domain;
pub mod i18n;
pub mod keys;
pub mod ledger;
pub mod passbook;
pub mod store;
