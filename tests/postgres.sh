#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: started on a free 127.0.0.1 port, stopped and deleted
# when the shell that started it exits (success, failure or Ctrl-C alike).
#
#   source tests/postgres.sh            # what .ci/run does: start, export, stop at the shell's exit
#   bash tests/postgres.sh CMD [ARG…]   # start, run CMD with the variable set, stop; exits with CMD's status
#                                       #   e.g.  bash tests/postgres.sh cargo test -p switchboard-vault
#
# What it does:
# - Finds initdb and pg_ctl under /usr/lib/postgresql/<version>/bin (the newest version), or in
#   SWITCHBOARD_PG_BINDIR. When there are none it installs Debian's `postgresql` package (as root, or
#   through passwordless sudo), running `apt-get update` first only when apt knows no candidate or the
#   install fails. apt's output goes to a log that is printed only when it fails.
# - PostgreSQL refuses to run as root, so as root the cluster runs as the system user `switchboard-pg`
#   (SWITCHBOARD_PG_OSUSER), created with useradd when missing; otherwise as the current user.
# - Runs initdb in a fresh 0700 directory under /tmp (under $TMPDIR when not root), with the
#   superuser `switchboard`, UTF8 and the C locale, and starts it with pg_ctl: listening on 127.0.0.1
#   only, its Unix socket inside that directory, fsync, synchronous_commit and full_page_writes off
#   (nothing in it outlives the run), max_connections 200. Then it creates the database
#   `switchboard_test`.
# - Authentication is `trust`. The cluster lives for one run, listens on loopback only, and its socket
#   is in a directory only its owner can open; a password would add nothing on a CI machine but a
#   secret in the URL, which every test process and log line would then carry. (On a machine shared
#   with people you don't trust, any local user could connect while it runs.)
#
# Exports SWITCHBOARD_TEST_POSTGRES=postgres://switchboard@127.0.0.1:<port>/switchboard_test.
# Defines switchboard_pg_stop, which stops the cluster early and deletes its directory (the exit trap
# calls it too). If SWITCHBOARD_TEST_POSTGRES is already set, it starts nothing and the tests use
# that server.
#
# When sourced, the exit trap is chained after any EXIT trap already set; an EXIT trap set *after*
# sourcing replaces it, so call switchboard_pg_stop from yours. The exit status of the shell is kept.
#
# The contract for a Rust test that needs PostgreSQL (see vault/tests/postgres_env.rs):
# - it reads SWITCHBOARD_TEST_POSTGRES, a database it may use freely;
# - when that is unset and SWITCHBOARD_CI is unset, it prints
#   `skipped: SWITCHBOARD_TEST_POSTGRES is unset (see tests/postgres.sh)` and returns;
# - when that is unset and SWITCHBOARD_CI=1 (which .ci/run exports), it panics: CI must run it.

_sbpg_log() { printf 'tests/postgres.sh: %s\n' "$*" >&2; }

_sbpg_has_server() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]; }

# SWITCHBOARD_PG_BINDIR, or the newest /usr/lib/postgresql/<version>/bin with initdb, pg_ctl and postgres.
_sbpg_bindir() {
  local d
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    if _sbpg_has_server "$d"; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  return 1
}

# apt-get install postgresql, quietly; the log is shown when it fails.
_sbpg_install() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      _sbpg_log "PostgreSQL's server is not installed and this user cannot install it."
      _sbpg_log "Run 'apt-get install postgresql' as root, or set SWITCHBOARD_PG_BINDIR to a directory"
      _sbpg_log "with initdb and pg_ctl, or SWITCHBOARD_TEST_POSTGRES to a database of yours."
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    _sbpg_log "PostgreSQL's server is not installed and there is no apt-get to install it with."
    return 1
  fi
  local log apt policy updated=""
  log="$(mktemp)"
  apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0
    -o DPkg::Lock::Timeout=300)
  _sbpg_log "installing Debian's postgresql package…"
  policy="$(apt-cache policy postgresql 2>/dev/null || true)"
  if [[ $policy != *"Candidate: "[0-9]* ]]; then # no package lists yet
    updated=1
    "${apt[@]}" update >>"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; return 1; }
  fi
  if ! "${apt[@]}" install -y --no-install-recommends postgresql >>"$log" 2>&1; then
    # A stale package list names versions the mirror no longer has: refresh it once and retry.
    [ -n "$updated" ] || _sbpg_log "apt-get install failed with the package lists at hand; running apt-get update and retrying"
    if [ -n "$updated" ] ||
      ! "${apt[@]}" update >>"$log" 2>&1 ||
      ! "${apt[@]}" install -y --no-install-recommends postgresql >>"$log" 2>&1; then
      _sbpg_log "apt-get install postgresql failed:"
      cat "$log" >&2
      rm -f "$log"
      return 1
    fi
  fi
  rm -f "$log"
  # The package creates a `main` cluster and, where services may start, starts it on 5432. Nothing
  # here uses it: stop what the install started, so the run leaves no server behind.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local ver name port status rest
    while read -r ver name port status rest; do
      if [ "$status" = online ]; then
        _sbpg_log "stopping the cluster $ver/$name that the install started on port $port"
        "${sudo[@]}" pg_ctlcluster "$ver" "$name" stop >&2 || true
      fi
    done < <(pg_lsclusters --no-header 2>/dev/null || true)
  fi
}

# A TCP port on 127.0.0.1 that nothing listens on, below Linux's ephemeral range (32768…) so that an
# outgoing connection is unlikely to take it. pg_ctl start retries with another when it is taken anyway.
_sbpg_free_port() {
  local port _
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  _sbpg_log "no free port found on 127.0.0.1"
  return 1
}

# Whether process $1 runs. An exited postmaster stays a zombie until init reaps it, which can take
# seconds; it counts as gone.
_sbpg_alive() {
  local stat
  if [ -r "/proc/$1/stat" ]; then
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [ "${stat%% *}" != Z ]
  else
    kill -0 "$1" 2>/dev/null
  fi
}

# Stops the cluster in $1 (pg_ctl in $2, run as $3 or the current user) and waits for the postmaster.
# Immediate shutdown: nothing in the cluster is kept.
_sbpg_kill() {
  local dir="$1" bindir="$2" osuser="$3" pid="" _
  local run=()
  [ -n "$osuser" ] && run=(runuser -u "$osuser" --)
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
  (cd "$dir" && "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 -s stop) \
    >/dev/null 2>&1 || true
  if [ -n "$pid" ] && _sbpg_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      _sbpg_alive "$pid" || break
      sleep 0.1
    done
  fi
}

# Installs if needed, creates and starts the cluster; prints "dir port bindir osuser version" on
# stdout. Runs in a child process (`--internal-start`, under set -euo pipefail there), so a failure
# cleans up after itself and never ends the caller's shell; and errexit holds in it even when the
# caller sources this script from a condition (`source … || exit`), where bash would ignore it in a
# function or subshell.
_sbpg_start() {
  if [ -n "${SWITCHBOARD_PG_BINDIR:-}" ]; then
    bindir="$SWITCHBOARD_PG_BINDIR"
    if ! _sbpg_has_server "$bindir"; then
      _sbpg_log "SWITCHBOARD_PG_BINDIR=$bindir has no initdb, pg_ctl and postgres"
      exit 1
    fi
  elif ! bindir="$(_sbpg_bindir)"; then
    _sbpg_install
    if ! bindir="$(_sbpg_bindir)"; then
      _sbpg_log "no initdb/pg_ctl under /usr/lib/postgresql/*/bin after installing"
      exit 1
    fi
  fi

  osuser="" run=() base="${TMPDIR:-/tmp}"
  if [ "$(id -u)" -eq 0 ]; then
    osuser="${SWITCHBOARD_PG_OSUSER:-switchboard-pg}"
    if ! id -u "$osuser" >/dev/null 2>&1; then
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$osuser"
    fi
    run=(runuser -u "$osuser" --)
    base=/tmp # traversable by $osuser, unlike a TMPDIR under /root
  fi
  # The socket path (…/sock/.s.PGSQL.<port>) must fit in 107 bytes.
  [ "${#base}" -le 60 ] || base=/tmp

  dir="$(mktemp -d "$base/switchboard-pg.XXXXXX")"
  trap '_sbpg_kill "$dir" "$bindir" "$osuser"; rm -rf "$dir"' EXIT
  mkdir "$dir/data" "$dir/sock"
  chmod 700 "$dir"
  [ -z "$osuser" ] || chown -R "$osuser:" "$dir"
  cd "$dir" # initdb and postgres must be able to read their working directory

  if ! "${run[@]}" "$bindir/initdb" -D "$dir/data" -U switchboard --auth=trust \
    --encoding=UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
    _sbpg_log "initdb failed:"
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  cat >>"$dir/data/postgresql.conf" <<EOF

# tests/postgres.sh: a throwaway cluster for one test run.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF

  started="" port=""
  for _ in 1 2 3 4 5; do
    port="$(_sbpg_free_port)"
    if "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "-p $port" \
      -w -t 60 -s start >"$dir/pg_ctl.log" 2>&1; then
      started=1
      break
    fi
    _sbpg_kill "$dir" "$bindir" "$osuser"
    grep -qE 'could not bind|Address already in use|could not create any TCP/IP sockets' \
      "$dir/postgres.log" 2>/dev/null || break
    _sbpg_log "port $port was taken; trying another"
  done
  if [ -z "$started" ]; then
    _sbpg_log "PostgreSQL did not start:"
    cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2 2>/dev/null || true
    exit 1
  fi

  for _ in $(seq 1 100); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && break
    sleep 0.1
  done
  "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U switchboard -d postgres \
    -c 'CREATE DATABASE switchboard_test' >&2
  version="$("$bindir/psql" -X -tA -h 127.0.0.1 -p "$port" -U switchboard -d postgres \
    -c 'SHOW server_version')"

  trap - EXIT
  printf '%s %s %s %s %s\n' "$dir" "$port" "$bindir" "${osuser:--}" "${version%% *}"
}

_SBPG_DIR="" _SBPG_BINDIR="" _SBPG_OSUSER="" _SBPG_PREV_EXIT_TRAP=""

# Stops the cluster and deletes its directory; safe to call twice. Never fails.
switchboard_pg_stop() {
  local -
  set +e
  [ -n "$_SBPG_DIR" ] || return 0
  local dir="$_SBPG_DIR"
  _SBPG_DIR=""
  _sbpg_kill "$dir" "$_SBPG_BINDIR" "$_SBPG_OSUSER"
  rm -rf "$dir"
  unset SWITCHBOARD_TEST_POSTGRES
  return 0
}

_sbpg_on_exit() {
  local rc=$?
  set +e # the shell is exiting: nothing here may change its status
  switchboard_pg_stop
  if [ -n "$_SBPG_PREV_EXIT_TRAP" ]; then
    (exit "$rc")
    eval "$_SBPG_PREV_EXIT_TRAP"
  fi
  exit "$rc"
}

switchboard_pg_start() {
  if [ -n "${SWITCHBOARD_TEST_POSTGRES:-}" ]; then
    _sbpg_log "SWITCHBOARD_TEST_POSTGRES is already set: using that server, starting none"
    return 0
  fi
  if [ -n "$_SBPG_DIR" ]; then
    return 0
  fi
  local started="${EPOCHREALTIME/[.,]/}" state dir port bindir osuser version ms
  state="$(bash "$_SBPG_SELF" --internal-start)" || return 1
  state="${state##*$'\n'}" # only the last line is ours
  read -r dir port bindir osuser version <<<"$state"
  [ "$osuser" != - ] || osuser=""
  _SBPG_DIR="$dir" _SBPG_BINDIR="$bindir" _SBPG_OSUSER="$osuser"

  # Chain after an EXIT trap already set (`trap -p` prints it quoted for reuse).
  local prev
  prev="$(trap -p EXIT)"
  if [ -n "$prev" ] && [ "$prev" = "${prev#"trap -- '_sbpg_on_exit'"}" ]; then
    local words
    eval "words=($prev)"
    _SBPG_PREV_EXIT_TRAP="${words[2]}"
  fi
  trap _sbpg_on_exit EXIT
  # A non-interactive shell killed by a signal skips its EXIT trap unless the signal is trapped.
  if [[ $- != *i* ]]; then
    local sig code
    for sig in HUP:129 INT:130 TERM:143; do
      code="${sig#*:}" sig="${sig%:*}"
      # shellcheck disable=SC2064 # $code is meant to expand now
      [ -n "$(trap -p "$sig")" ] || trap "exit $code" "$sig"
    done
  fi

  export SWITCHBOARD_TEST_POSTGRES="postgres://switchboard@127.0.0.1:$port/switchboard_test"
  ms=$(((${EPOCHREALTIME/[.,]/} - started) / 1000))
  _sbpg_log "PostgreSQL $version on 127.0.0.1:$port in $dir, ready in $((ms / 1000)).$((ms % 1000 / 100)) s;" \
    "SWITCHBOARD_TEST_POSTGRES=$SWITCHBOARD_TEST_POSTGRES"
}

_SBPG_SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  switchboard_pg_start
else
  set -euo pipefail
  case "${1:-}" in
    --internal-start)
      _sbpg_start
      exit 0
      ;;
    "" | -h | --help)
      sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
      [ "$#" -eq 0 ] && exit 2
      exit 0
      ;;
  esac
  switchboard_pg_start
  status=0
  "$@" || status=$?
  exit "$status"
fi
