//! Passbooks: the token format and its QR renderings. Issuing, reissuing and revoking are
//! ledger commands (`crate::ledger`); this module only knows tokens and pictures of them.

pub mod qr;
pub mod token;

pub use token::{ScanProblem, TOKEN_CHARS, Token};
