//! The generic runtime that executes generated tool tables.

pub mod table;
