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

cargo build --quiet -p switchboard
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
bin="$target/debug/switchboard"

for framework in autogen langchain crewai; do
  venv="tests/interop/.venv-$framework"
  if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "tests/interop/frameworks/$framework.txt"
done

work="$(mktemp -d)"
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$serve_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" --db "$work/switchboard.db" serve --demo --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 1 200); do
  grep -q '^demo_server=demo-hubspot ' "$work/serve.out" 2>/dev/null && break
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "switchboard serve --demo exited early:" >&2
    cat "$work/serve.err" >&2
    exit 1
  fi
  sleep 0.1
done
url="$(sed -n 's/^demo_server=demo-hubspot mcp_url=//p' "$work/serve.out")"
base="${url%%/mcp/*}"

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
