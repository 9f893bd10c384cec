//! What a change to the generated tools means for the people and agents depending on them.
//!
//! [`Tree::from_files`] reads a generated tree (the catalog and schemas `cargo xtask gen` writes);
//! [`compare`] classifies every difference between two trees as breaking for agents, needing new
//! consent, or safe, and measures the context cost of `tools/list`; [`markdown`] and
//! [`Report::to_json`] render the result. `cargo xtask diff` reads the base tree from git.

mod compare;
mod cost;
mod markdown;
mod report;
mod schema;
mod tree;
mod words;

pub use compare::compare;
pub use markdown::markdown;
pub use report::{Change, Class, ContextCost, Report};
pub use tree::{CATALOG, SCHEMAS, Tool, Tree, TreeError};
pub use words::word_diff;
