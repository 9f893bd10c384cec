"""Interop check: the official Python MCP SDK (`mcp` on PyPI) against Switchboard.

Connects over stdio (spawning `switchboard mcp stdio`) and over Streamable HTTP, with both the
initialize handshake (`mode="legacy"`, 2025-era session revisions) and the 2026-07-28 lifecycle
(`mode="auto"`: `server/discover`, no session), lists the tools (following `nextCursor`) and reads
five HubSpot contacts, plus three canonical contacts through the unified `list_all_crm_contacts`. Exits non-zero on the first failed check.

    python client.py --http-url http://127.0.0.1:8080/mcp/<token> \
        [--read-only-url http://127.0.0.1:8080/mcp/<token>] \
        -- switchboard --db switchboard.db mcp stdio --account demo-hubspot

Everything after `--` is the command serving MCP on stdio.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from mcp import Client, StdioServerParameters

LIST_TOOL = "list_all_hub_spot_contacts"
WRITE_TOOL = "create_a_hub_spot_contact"
UNIFIED_TOOL = "list_all_crm_contacts"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


async def all_tools(client: Client) -> list[Any]:
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(100):
        page = await client.list_tools(cursor=cursor, cache_mode="refresh")
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return tools
    raise AssertionError("tools/list never ended")


async def exercise(label: str, server: Any, mode: str, read_only: bool = False) -> None:
    async with Client(server, mode=mode) as client:
        info = client.server_info
        check(info is not None and info.name == "switchboard", f"{label}: server info {info!r}")
        version = client.protocol_version
        tools = await all_tools(client)
        names = [tool.name for tool in tools]
        check(names == sorted(names), f"{label}: tools are not sorted by name")
        check(LIST_TOOL in names, f"{label}: {LIST_TOOL} missing from {names}")
        if read_only:
            check(WRITE_TOOL not in names, f"{label}: a read-only server lists {WRITE_TOOL}")
            check(
                all(tool.annotations and tool.annotations.read_only_hint for tool in tools),
                f"{label}: a read-only server lists a tool without readOnlyHint",
            )
        else:
            check(WRITE_TOOL in names, f"{label}: {WRITE_TOOL} missing")

        result = await client.call_tool(LIST_TOOL, {"limit": 5})
        check(not result.is_error, f"{label}: call failed: {result.content!r}")
        envelope = result.structured_content
        check(isinstance(envelope, dict), f"{label}: no structuredContent: {result!r}")
        check(envelope.get("result_count") == 5, f"{label}: result_count {envelope.get('result_count')!r}")
        check(len(envelope.get("result", [])) == 5, f"{label}: {len(envelope.get('result', []))} records")
        check(isinstance(envelope.get("next_cursor"), str), f"{label}: no next_cursor")

        # The unified tool: canonical contacts, which the SDK checks against the tool's outputSchema.
        check(UNIFIED_TOOL in names, f"{label}: {UNIFIED_TOOL} missing")
        unified = await client.call_tool(UNIFIED_TOOL, {"limit": 3})
        check(not unified.is_error, f"{label}: {UNIFIED_TOOL} failed: {unified.content!r}")
        contacts = (unified.structured_content or {}).get("result", [])
        check(len(contacts) == 3, f"{label}: {len(contacts)} canonical contacts")
        check(
            all(isinstance(c.get("id"), str) and c.get("email_addresses") for c in contacts),
            f"{label}: not canonical contacts: {contacts!r}",
        )

        bad = await client.call_tool(LIST_TOOL, {"limit": "five"})
        check(bool(bad.is_error), f"{label}: bad arguments were accepted")
        error = (bad.structured_content or {}).get("error", {})
        check(error.get("pointer") == "/limit", f"{label}: error does not name /limit: {error!r}")

        print(f"ok  {label}: protocol {version}, {len(names)} tools, 5 contacts read")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http-url", help="MCP URL of a read-write HubSpot server")
    parser.add_argument("--read-only-url", help="MCP URL of a read-only HubSpot server")
    argv = sys.argv[1:]
    stdio: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, stdio = argv[:split], argv[split + 1 :]
    args = parser.parse_args(argv)
    if not args.http_url and not stdio:
        parser.error("give --http-url and/or a stdio command after --")

    runs: list[tuple[str, Any, str, bool]] = []
    if stdio:
        params = StdioServerParameters(command=stdio[0], args=stdio[1:])
        runs.append(("stdio, initialize", params, "legacy", False))
        runs.append(("stdio, discover", params, "auto", False))
    if args.http_url:
        runs.append(("http, initialize", args.http_url, "legacy", False))
        runs.append(("http, stateless", args.http_url, "auto", False))
    if args.read_only_url:
        runs.append(("http read-only, initialize", args.read_only_url, "legacy", True))
        runs.append(("http read-only, stateless", args.read_only_url, "auto", True))

    failures = 0
    for label, server, mode, read_only in runs:
        try:
            await exercise(label, server, mode, read_only)
        except Exception as error:  # report every run, then fail
            failures += 1
            print(f"FAIL {label}: {type(error).__name__}: {error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
