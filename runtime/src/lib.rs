//! The generic runtime that executes generated tool tables: it knows no vendor; everything
//! vendor-specific is data in a [`table::Integration`].

pub mod account;
pub mod outcome;
pub mod table;
