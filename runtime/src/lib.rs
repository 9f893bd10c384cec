//! The generic runtime that executes generated tool tables: it knows no vendor; everything
//! vendor-specific is data in a [`table::Integration`].

pub mod account;
pub mod base_url;
pub mod credential_source;
pub mod credentials;
pub mod cursor;
pub mod envelope;
pub mod executor;
pub mod filter;
pub mod mapping;
pub mod observe;
pub mod outcome;
pub mod pagination;
mod proxy;
pub mod rate_limit;
pub mod redact;
pub mod request;
pub mod table;
mod unified;
pub mod upstream_error;
pub mod validate;
