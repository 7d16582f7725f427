//! Moving the district ledger between counters: the signed bundle file (`sync export` /
//! `sync import`). The hub's network client (next) carries the same pages.

pub mod bundle;
