"""CrewAI's MCPServerAdapter: its default (a dict without "transport" is the legacy SSE transport)
and Streamable HTTP. CrewAI builds a pydantic model per tool up front and sends null for every
optional argument it was not given."""

import asyncio
import sys
import time

from crewai_tools import MCPServerAdapter

import checks


def session(label, params):
    # The adapter lists the tools (and builds a model per tool) as it opens: that is its tools/list.
    started = time.perf_counter()
    with MCPServerAdapter(params) as tools:
        opened_ms = (time.perf_counter() - started) * 1000
        by_name = {tool.name: tool for tool in tools}

        async def list_names():
            return list(by_name)

        async def call(name, args):
            return by_name[name].run(**args)

        asyncio.run(checks.run(f"{label} (opened with tools/list in {opened_ms:.0f} ms)", list_names, call))


def main(url):
    session("crewai sse (default)", {"url": url})
    session("crewai streamable-http", {"url": url, "transport": "streamable-http"})


if __name__ == "__main__":
    main(sys.argv[1])
