//! The district: many counters, one ledger. Pure data and cryptography, no IO.
//!
//! - [`trust`]: the street office's district key, the enrolment grant it signs for one counter,
//!   and the certificate a counter makes with that grant for its own series key. A series is
//!   taken in elsewhere only with a certificate that leads back to the district key.
//! - [`wire`]: what travels between counters and the hub: entries exactly as signed,
//!   in pages of one series; resident keys sealed to the district; heads.
//! - [`heads`]: the one pure function that turns what one side has and the other has into
//!   what to send, and its pages.
//! - [`protocol`]: the hub's network protocol as data (version, headers, bodies, refusals).
//! - [`admit`]: which series a replica takes in (certified, or an endorsed continuation).
//! - [`claims`]: what only one entry of the district may claim (a txn, a reversal, a
//!   settlement) and which claimant counts.
//! - [`clocks`]: entries whose time cannot be right (dated after they arrived, or before
//!   their predecessor).
//! - [`signatures`]: checking many entries' signatures at once (batches, threads).
//! - [`auth`]: what a signed request signs, and the checks of signature, clock and nonce.

pub mod admit;
pub mod auth;
pub mod claims;
pub mod clocks;
pub mod heads;
pub mod protocol;
pub mod signatures;
pub mod trust;
pub mod wire;

pub use heads::{Head, Range, to_send};
pub use trust::{
    Certificate, CertificateBody, DistrictKey, EnrolmentFile, Grant, GrantBody, TrustProblem,
};
pub use wire::{Page, SealedResidentKey, WireEntry};
