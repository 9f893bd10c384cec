#!/usr/bin/env bash
# The generated HubSpot crm.contact map (Rust) against the same map in JSONata (reference jsonata package
# on node), on the same synthetic HubSpot contacts. See README.md next to this script.
#
# Environment (all optional):
#   RECORDS=100000       how many contacts to generate
#   SEED=1592598564      generator seed, 0x5eed2024 as in the bench (same seed, same file byte for byte)
#   RUST_ROUNDS=10       timed passes per Rust case (best and median reported)
#   NODE_MIN_SECONDS=20  JSONata: keep adding passes until this much time is spent …
#   NODE_MAX_ROUNDS=5    … or this many passes are done (always at least one full pass)
#   CHECK_COUNT=1000     records whose outputs must be identical on both sides
#   NODE_END_TO_END=0    skip the JSONata parse+map+serialize pass (another full pass, as slow as a map pass)
#   KEEP=1               keep the temp dir (input file, outputs, raw figures) and print its path
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
records="${RECORDS:-100000}"
seed="${SEED:-1592598564}"
rust_rounds="${RUST_ROUNDS:-10}"
node_min_seconds="${NODE_MIN_SECONDS:-20}"
node_max_rounds="${NODE_MAX_ROUNDS:-5}"
check_count="${CHECK_COUNT:-1000}"

if ! command -v node >/dev/null 2>&1; then
    echo "run.sh: node is not on PATH; install Node.js 18 or later to run the JSONata side" >&2
    exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "run.sh: npm is not on PATH (it comes with Node.js)" >&2
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-mapping-bench.XXXXXX")"
if [[ "${KEEP:-}" == 1 ]]; then
    echo "# keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
input="$work/contacts.json"

# The JSONata map says which version of the YAML map it follows; warn when the YAML has moved on since
# (the equivalence check below compares with the *generated* Rust, which moves only with `cargo xtask gen`).
yaml="$root/integrations/hubspot.yaml"
yaml_map_sha="$(awk '/^  crm\.contact:/ {in_model = 1; next} in_model && /^  [^ ]/ {exit}
    in_model && /^    response:/ {on = 1} on && /^    [a-z_]+:/ && !/^    response:/ {exit} on {print}' "$yaml" \
    | sha256sum | cut -c1-16)"
expected_sha="$(sed -n 's/.*MATCHES_YAML_MAP_SHA256 = .\([0-9a-f]*\).*/\1/p' "$here/jsonata/map.js")"
if [[ "$yaml_map_sha" != "$expected_sha" ]]; then
    echo "WARNING: the crm.contact response map in integrations/hubspot.yaml (sha256 $yaml_map_sha) is not" >&2
    echo "         the one bench/mapping/jsonata/map.js was written for ($expected_sha): update the" >&2
    echo "         JSONata expression (and MATCHES_YAML_MAP_SHA256) to keep the comparison fair." >&2
else
    echo "# the JSONata expression follows the YAML's crm.contact response map (sha256 $yaml_map_sha)"
fi

echo "# machine: $(nproc) cores; load before:$(uptime | sed 's/.*load average//')"

echo "# installing the node side (npm ci)"
(cd "$here/jsonata" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
jsonata_version="$(node -p "require('$here/jsonata/node_modules/jsonata/package.json').version")"

echo "# building the Rust bench (release profile)"
cd "$root"
cargo bench -q -p switchboard-tests --bench map_contacts --no-run
bench() { cargo bench -q -p switchboard-tests --bench map_contacts -- "$@"; }

equivalence_failed() {
    echo >&2
    echo "FAILED: the JSONata side failed, or its outputs differ from the generated Rust map's (see above)." >&2
    echo "        A speed comparison of two different mappings is worthless: fix the mismatch first (if the" >&2
    echo "        YAML map changed, bring bench/mapping/jsonata/map.js in step with it)." >&2
    exit 1
}

echo "# equivalence on bench/mapping/edge_cases.json"
bench map --input "$here/edge_cases.json" --out "$work/edge_rust.jsonl"
node "$here/jsonata/map.js" --input "$here/edge_cases.json" --rust-outputs "$work/edge_rust.jsonl" \
    --check-count 1000000 --check-only yes >"$work/edge_node.txt" || equivalence_failed
grep -q '^EQUIVALENCE ok' "$work/edge_node.txt" || equivalence_failed

echo "# generating $records contacts (seed $seed)"
bench gen --out "$input" --count "$records" --seed "$seed" >"$work/gen.txt"
cat "$work/gen.txt"

echo "# Rust side (figures on stderr as they come; BENCH lines collected for the table)"
bench run --input "$input" --rounds "$rust_rounds" \
    --check-out "$work/rust_first.jsonl" --check-count "$check_count" >"$work/rust.txt"

echo "# JSONata side"
node "$here/jsonata/map.js" --input "$input" --rust-outputs "$work/rust_first.jsonl" \
    --check-count "$check_count" --min-seconds "$node_min_seconds" --max-rounds "$node_max_rounds" \
    --end-to-end "$([[ "${NODE_END_TO_END:-1}" == 0 ]] && echo no || echo yes)" >"$work/node.txt" \
    || equivalence_failed
grep -q '^EQUIVALENCE ok' "$work/node.txt" || equivalence_failed

# field SIDE CASE KEY: one figure from the BENCH lines.
field() {
    cat "$work/rust.txt" "$work/node.txt" | awk -v side="$1" -v case_="$2" -v key="$3" '
        $1 == "BENCH" {
            delete kv
            for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
            if (kv["side"] == side && kv["case"] == case_) { print kv[key]; found = 1; exit }
        }
        END { if (!found) exit 1 }'
}
row() { # label side case
    field "$2" "$3" records >/dev/null || return 0
    printf '%-36s %8s %6s %10s %10s %14s\n' "$1" "$(field "$2" "$3" records)" "$(field "$2" "$3" rounds)" \
        "$(field "$2" "$3" best_s)" "$(field "$2" "$3" median_s)" "$(field "$2" "$3" median_rps)"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo
echo "HubSpot contacts -> crm.contact: $records records, $(du -h "$input" | cut -f1) of JSON, outputs of the first $check_count identical on both sides"
echo "Rust: switchboard_generated::hubspot::crm_contact_from_vendor (release); JSONata: jsonata $jsonata_version on node $(node --version)"
echo
printf '%-36s %8s %6s %10s %10s %14s\n' "case" "records" "rounds" "best s" "median s" "records/s"
row "generated Rust: map" rust map
row "JSONata: map" jsonata map
row "generated Rust: parse+map+serialize" rust end_to_end
row "JSONata: parse+map+serialize" jsonata end_to_end
row "Rust: parse only" rust parse
row "Rust: parse+serialize (no map)" rust parse_serialize
echo
rust_map="$(field rust map median_rps)"
node_map="$(field jsonata map median_rps)"
echo "ratio map (generated / JSONata, median records/s): $(ratio "$rust_map" "$node_map")x"
if node_e2e="$(field jsonata end_to_end median_rps)"; then
    echo "ratio parse+map+serialize (generated / JSONata):   $(ratio "$(field rust end_to_end median_rps)" "$node_e2e")x"
fi
echo "Rust parse+map+serialize costs $(ratio "$(field rust end_to_end median_s)" "$(field rust parse_serialize median_s)")x the time of parse+serialize alone"
echo "# machine: $(nproc) cores; load after:$(uptime | sed 's/.*load average//')"
