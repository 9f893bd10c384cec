#!/usr/bin/env bash
# MCP interop with the official Python SDK: `switchboard serve --demo` (Streamable HTTP, session and
# stateless lifecycles) and `switchboard mcp stdio`, checked by tests/interop/client.py.
#
# Creates tests/interop/.venv (pip install mcp) on first use, runs everything on free 127.0.0.1
# ports with a throwaway database, and stops what it started. Set PYTHON to pick the interpreter.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=tests/interop/.venv
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "mcp>=2.3,<3"

# shellcheck source=tests/interop/demo.sh
source tests/interop/demo.sh

# stdio serves an account from the store: connect one to the demo's sandbox.
SANDBOX_TOKEN=sandbox-token "$bin" --db "$db" accounts add --id interop-hubspot \
  --integration hubspot --base-url "$sandbox" --credential bearer --secret-env SANDBOX_TOKEN >/dev/null

status=0
"$venv/bin/python" tests/interop/client.py \
  --http-url "$url" \
  --read-only-url "$read_url" \
  -- "$bin" --db "$db" mcp stdio --account interop-hubspot || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- switchboard serve log" >&2
  tail -n 50 "$work/serve.err" >&2
fi
exit "$status"
