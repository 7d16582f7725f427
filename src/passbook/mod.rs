//! Passbooks: the token format and its QR renderings, and the slip QR that names a txn. Issuing, reissuing and revoking are
//! ledger commands (`crate::ledger`); this module only knows tokens and pictures of them.

pub mod qr;
pub mod slip_qr;
pub mod token;

pub use token::{ScanProblem, TOKEN_CHARS, Token};
