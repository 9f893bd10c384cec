//! End-to-end tests of the sandbox over real HTTP on ephemeral ports.

mod common;
mod cross_vendor;
mod hostile;
mod hubspot;
mod oauth;
mod pipedrive;
mod rate_limits;
mod salesforce;
mod zendesk;
