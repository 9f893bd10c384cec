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

cargo build --quiet -p switchboard
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
bin="$target/debug/switchboard"

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

db="$work/switchboard.db"
"$bin" --db "$db" serve --demo --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!

for _ in $(seq 1 200); do
  grep -q '^demo_server=demo-hubspot-read ' "$work/serve.out" 2>/dev/null && break
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "switchboard serve --demo exited early:" >&2
    cat "$work/serve.err" >&2
    exit 1
  fi
  sleep 0.1
done
url="$(sed -n 's/^demo_server=demo-hubspot mcp_url=//p' "$work/serve.out")"
read_url="$(sed -n 's/^demo_server=demo-hubspot-read mcp_url=//p' "$work/serve.out")"
sandbox="$(sed -n 's/^demo_sandbox_url=//p' "$work/serve.out")"
if [ -z "$url" ] || [ -z "$read_url" ] || [ -z "$sandbox" ]; then
  echo "no demo URLs from switchboard serve --demo:" >&2
  cat "$work/serve.out" "$work/serve.err" >&2
  exit 1
fi

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
