//! The street office's side of the district: its home (the district key and the register of
//! enrolled counters). The hub server that serves the nightly sync from it comes next.

pub mod home;

pub use home::{Hub, HubError, HubHome};
