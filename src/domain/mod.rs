//! Pure types and rules: points, entry bodies, their effects on projections, text rules.
//! No IO and no clock here; everything is a function of its arguments.

pub mod body;
pub mod effects;
pub mod hours;
pub mod ids;
pub mod points;
pub mod text;

pub use body::{
    ActivityDef, Body, ENVELOPE_VERSION, Envelope, ItemDef, ItemKind, Line, PersonalData, Posting,
    Role, Sealed, SeriesLink, Undo,
};
pub use effects::{Effect, EntryContext, effects, postings_balance, undo_of};
pub use points::Points;
