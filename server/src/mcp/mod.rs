//! MCP serving over the official Rust SDK (`rmcp`): one handler for stdio and Streamable HTTP.
//!
//! Protocol errors (unknown or filtered-out tool, bad cursor) are JSON-RPC errors; everything a tool
//! call can go through upstream is a tool result, with `isError: true` and a structured error when it
//! failed (see [`results`]).

pub mod binding;
mod cursor;
pub mod discovery;
mod handler;
pub mod results;

use std::io;

use rmcp::ServiceExt;

pub use crate::gateway::insufficient_scope_message;
pub use binding::{Access, Binding, Bound, UserAccount};
pub use discovery::{DiscoveryError, IndexCache, SearchHit, ToolIndex};
pub use handler::{DEFAULT_PAGE_SIZE, McpServer, describe_for, describe_tool};

/// Serves one MCP server over stdin/stdout until the client closes the stream.
///
/// Nothing but protocol messages is written to stdout: logs must go to stderr.
pub async fn serve_stdio(server: McpServer) -> io::Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| io::Error::other(format!("MCP session failed to start: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| io::Error::other(format!("MCP session ended abnormally: {e}")))?;
    Ok(())
}
