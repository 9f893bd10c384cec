# Sourced by run.sh and frameworks.sh: builds switchboard and starts `serve --demo` on a free
# 127.0.0.1 port with a throwaway database, stopped when the sourcing script exits.
# Sets: bin, work, db, url (demo-hubspot), read_url (demo-hubspot-read), sandbox, base.

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
base="${url%%/mcp/*}"
