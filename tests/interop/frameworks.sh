#!/usr/bin/env bash
# The agent frameworks the product is for, unmodified, against `switchboard serve --demo`: AutoGen
# (McpWorkbench: Streamable HTTP and SSE), LangChain (MultiServerMCPClient: Streamable HTTP and SSE)
# and CrewAI (MCPServerAdapter: its SSE default and Streamable HTTP). Each lists the tools, pages a list
# tool with a string limit, gets a record by `id` and calls a unified tool (tests/interop/frameworks/
# checks.py); no LLM. Then /metrics must show the calls they made.
#
# Each framework gets its own virtualenv under tests/interop/ (they pin mcp below 2, the official SDK
# check in run.sh uses the current major), created on first use from the pinned requirements beside
# the scripts. Set PYTHON to pick the interpreter.
set -euo pipefail
cd "$(dirname "$0")/../.."

for framework in autogen langchain crewai; do
  venv="tests/interop/.venv-$framework"
  if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "tests/interop/frameworks/$framework.txt"
done

# shellcheck source=tests/interop/demo.sh
source tests/interop/demo.sh

status=0
for framework in autogen langchain crewai; do
  (cd tests/interop/frameworks && timeout 300 "../.venv-$framework/bin/python" "${framework}_check.py" "$url") \
    || { echo "FAILED: $framework" >&2; status=1; }
done

# Every framework's calls are in the metrics: 6 sessions × 2 pages of the list tool.
metrics="$(curl -fsS "$base/metrics")"
listed="$(printf '%s\n' "$metrics" \
  | sed -n 's/^switchboard_tool_calls_total{integration="hubspot",tool="list_all_hub_spot_contacts",kind="proxy",outcome="ok"} //p')"
if [ "${listed:-0}" -lt 12 ]; then
  echo "FAILED: /metrics shows ${listed:-no} successful list_all_hub_spot_contacts calls, expected at least 12" >&2
  printf '%s\n' "$metrics" | grep -v '^#' | grep -v _bucket >&2
  status=1
else
  echo "ok  /metrics: $listed successful list_all_hub_spot_contacts calls counted"
fi
if [ "$status" -ne 0 ]; then
  echo "--- switchboard serve log" >&2
  tail -n 40 "$work/serve.err" >&2
fi
exit "$status"
