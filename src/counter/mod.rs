//! The counter: a full-screen terminal UI for the volunteers. `model` holds state, messages
//! and effects; `update` decides (pure); `view` draws (pure); `driver` runs effects — ledger
//! writes and printing on a worker thread, so the screen never freezes — and feeds results back
//! as messages. All strings are in `strings`, zh-CN and en.

pub mod driver;
pub mod model;
pub mod strings;
pub mod update;
pub mod view;
