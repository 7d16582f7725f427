//! Receipt printing: ESC/POS commands, the Chinese text layer (GBK-safe, display widths),
//! slip layouts, printer profiles, the decoder behind the printer simulator, and the paper a
//! decoded slip makes (for screens that show it).
//! Owns bytes on their way to paper; must not touch the ledger (a slip is made from a receipt
//! that is already committed).

pub mod decode;
pub mod escpos;
pub mod layout;
pub mod paper;
pub mod print;
pub mod profile;
pub mod queue;
pub mod setup;
pub mod sim;
pub mod status;
pub mod text;
pub mod transport;
