//! Switchboard's HTTP and MCP serving: who is calling, with which account, through which transport.
//! Everything here ends in one call of the runtime's executor; nothing here knows a vendor.

pub mod audit;
pub mod gateway;
pub mod http;
pub mod mcp;
pub mod metrics;
