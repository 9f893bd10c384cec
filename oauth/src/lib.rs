//! OAuth 2.0 for connected accounts.
