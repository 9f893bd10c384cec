"""LangChain's MultiServerMCPClient over Streamable HTTP and SSE."""

import asyncio
import sys

from langchain_mcp_adapters.client import MultiServerMCPClient

import checks


async def session(label, connection):
    client = MultiServerMCPClient({"crm": connection})
    tools = {tool.name: tool for tool in await client.get_tools()}

    async def list_names():
        fresh = await client.get_tools()
        return [tool.name for tool in fresh]

    async def call(name, args):
        return await tools[name].ainvoke(args)

    await checks.run(label, list_names, call)


async def main(url):
    await session("langchain streamable-http", {"url": url, "transport": "streamable_http"})
    await session("langchain sse", {"url": url, "transport": "sse"})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
