//! The field-map language: expressions that map vendor records onto unified models and back,
//! checked at `cargo xtask gen` time and compiled to plain Rust — no interpreter at run time.

pub mod ast;
pub mod codegen;
pub mod functions;
pub mod parse;
pub mod target;
pub mod typecheck;
pub mod types;

/// The name an update map reads the record as stored now by (in unified form).
pub const CURRENT: &str = "current";
