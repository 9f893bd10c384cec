"""AutoGen's McpWorkbench over Streamable HTTP and the legacy SSE transport."""

import asyncio
import sys

from autogen_ext.tools.mcp import McpWorkbench, SseServerParams, StreamableHttpServerParams

import checks


async def session(label, params):
    async with McpWorkbench(server_params=params) as workbench:

        async def list_names():
            return [tool["name"] for tool in await workbench.list_tools()]

        async def call(name, args):
            result = await workbench.call_tool(name, args)
            text = "".join(getattr(part, "content", "") for part in result.result)
            checks.check(not result.is_error, f"{label}: {name} failed: {text[:300]}")
            return text

        await checks.run(label, list_names, call)


async def main(url):
    await session("autogen streamable-http", StreamableHttpServerParams(url=url))
    await session("autogen sse", SseServerParams(url=url))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
