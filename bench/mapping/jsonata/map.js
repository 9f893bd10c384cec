#!/usr/bin/env node
// The HubSpot contacts → unified crm.contact response map of integrations/hubspot.yaml (`unified:` →
// `crm.contact` → `response:`), written in JSONata and run by the reference `jsonata` package, so that
// bench/mapping/run.sh can set its speed beside the Rust function `cargo xtask gen` compiles from the
// same map (switchboard_generated::hubspot::crm_contact_from_vendor).
//
// When the YAML map changes, change EXPRESSION in step and set MATCHES_YAML_MAP_SHA256 to the hash run.sh
// prints: run.sh warns when the YAML's map is not the one written here, and fails when the JSONata outputs
// stop matching the generated Rust's.
//
// Usage: node map.js --input records.json [--rust-outputs first.jsonl] [--check-count 1000]
//                    [--check-only yes] [--min-seconds 20] [--max-rounds 5] [--end-to-end no]
// Prints `BENCH side=jsonata case=… key=value …` lines (the format of the Rust bench's lines).
'use strict';

const fs = require('fs');
const jsonata = require('jsonata');

// First 16 hex digits of the sha256 of the `response:` block of `crm.contact` in integrations/hubspot.yaml
// (as run.sh extracts it) that EXPRESSION follows: the version of commit 235268e (blank emails and phones
// dropped, every part trimmed, addresses kept when any part is set, custom fields as strings, empty
// arrays and objects left out).
const MATCHES_YAML_MAP_SHA256 = '6e6fa81a599b8166';

// The expression does what the generated function does (runtime/src/mapping.rs gives the field-map
// language its meaning), written the way a JSONata author would write it:
//   - A `$.…` path documented as a string yields null when it holds anything else (only_string), and
//     trim(x) is str::trim with an empty result null: $trimmed gives undefined for both.
//     (JSONata's own $trim also collapses inner runs of whitespace, which ours does not, so it is not used.)
//   - exists(trim(x)) is the truthiness of $trimmed(x): a non-empty string or undefined.
//   - map(split(s, ';'), …): parts trimmed, empty parts dropped.
//   - compact([compact({street: …, …})]): the object constructor leaves undefined parts out; an address
//     with none is {}, which JSONata counts as false.
//   - compact(to_strings(omit($.properties, […]))): one $sift keeps the scalar, non-empty values of the
//     other keys; numbers and booleans (HubSpot sends strings only) are then written as strings.
//   - datetime(x): RFC 3339 (any offset, +0000 too, no offset meaning UTC) or epoch milliseconds in a
//     digit string → RFC 3339 UTC with ".000" left out; null when unreadable or outside years 0000-9999.
//     Timestamps $toMillis accepts as they are take the short path.
//   - The generated function compacts its output at the end, dropping null, "", [] and {} fields: here
//     those fields evaluate to undefined, which the object constructor leaves out.
// bench/mapping/edge_cases.json holds inputs the generated records do not (odd timestamps, blank emails,
// typed or missing properties); run.sh checks both sides agree on them too.
const EXPRESSION = String.raw`
(
  $trimmed := function($v) {
    $type($v) = "string" ? ($t := $replace($v, /^\s+|\s+$/, ""); $t != "" ? $t)
  };
  $nonEmpty := function($list) { $count($list) > 0 ? $list };
  $datetime := function($v) {(
    $ms := $type($v) = "string" ? (
        $contains($v, /^[0-9]+$/) ? $number($v)
        : $contains($v, /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-][0-2]\d:?[0-5]\d)$/)
          ? $toMillis($v)
        : (
            $m := $match($trimmed($v),
              /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))[Tt ]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d*))?([Zz]|([+-])([0-2]\d):?([0-5]\d))?$/);
            $m ? $toMillis(
              $m.groups[0] & "T" & $m.groups[1] & ":" & $m.groups[2] & ":" & $m.groups[3]
              & "." & $substring($m.groups[4] & "000", 0, 3)
              & ($m.groups[6] ? $m.groups[6] & $m.groups[7] & ":" & $m.groups[8] : "Z")
            )
          )
      );
    $ms >= -62167219200000 and $ms <= 253402300799999 ? $replace($fromMillis($ms), ".000Z", "Z")
  )};
  $standard := ['hs_object_id', 'firstname', 'lastname', 'email', 'hs_additional_emails', 'phone',
    'mobilephone', 'fax', 'hubspot_owner_id', 'associatedcompanyid', 'address', 'city', 'state', 'zip',
    'country', 'createdate', 'lastmodifieddate'];
  $p := properties;
  $email := $trimmed($p.email);
  $phone := $trimmed($p.phone);
  $mobile := $trimmed($p.mobilephone);
  $fax := $trimmed($p.fax);
  $address := {"street": $trimmed($p.address), "city": $trimmed($p.city), "state": $trimmed($p.state),
    "postal_code": $trimmed($p.zip), "country": $trimmed($p.country)};
  $account := $trimmed($p.associatedcompanyid);
  $owner := $trimmed($p.hubspot_owner_id);
  {
    "id": $type(id) = "string" and id != "" ? id,
    "first_name": $trimmed($p.firstname),
    "last_name": $trimmed($p.lastname),
    "email_addresses": $nonEmpty([
      $email ? {"email": $email, "is_primary": true},
      $type($p.hs_additional_emails) = "string"
        ? $split($p.hs_additional_emails, ";").($t := $trimmed($); $t ? {"email": $t, "is_primary": false})
    ]),
    "phone_numbers": $nonEmpty([
      $phone ? {"number": $phone, "type": "work"},
      $mobile ? {"number": $mobile, "type": "mobile"},
      $fax ? {"number": $fax, "type": "fax"}
    ]),
    "addresses": $address ? [$address],
    "account": $account ? {"id": $account},
    "owner": $owner ? {"id": $owner},
    "custom_fields": $type($p) = "object" ? (
      $c := $sift($p, function($v, $k) {
        $type($v) in ["string", "number", "boolean"] and $v != "" and $not($k in $standard)
      });
      $exists($c.*[$type($) != "string"]) ? $merge($each($c, function($v, $k) { {$k: $string($v)} })) : $c
    ),
    "created_at": $datetime(createdAt),
    "updated_at": $datetime(updatedAt)
  }
)
`;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`expected --name value pairs, got ${argv.slice(i).join(' ')}`);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

/// JSON text with every object's keys sorted, so two outputs compare whatever their key order.
function canonical(v) {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

/// The paths at which two canonical values differ, for the failure message.
function differences(a, b, path = '', out = []) {
  if (out.length >= 10) return out;
  const kind = (x) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  if (kind(a) !== kind(b)) {
    out.push(`${path || '/'}: rust ${JSON.stringify(a)} vs jsonata ${JSON.stringify(b)}`);
  } else if (kind(a) === 'array') {
    if (a.length !== b.length) {
      out.push(`${path || '/'}: rust ${JSON.stringify(a)} vs jsonata ${JSON.stringify(b)}`);
    } else {
      a.forEach((x, i) => differences(x, b[i], `${path}/${i}`, out));
    }
  } else if (kind(a) === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a)) out.push(`${path}/${k}: missing in rust, jsonata ${JSON.stringify(b[k])}`);
      else if (!(k in b)) out.push(`${path}/${k}: rust ${JSON.stringify(a[k])}, missing in jsonata`);
      else differences(a[k], b[k], `${path}/${k}`, out);
    }
  } else if (a !== b) {
    out.push(`${path || '/'}: rust ${JSON.stringify(a)} vs jsonata ${JSON.stringify(b)}`);
  }
  return out;
}

function report(name, records, timesNs, what) {
  const secs = timesNs.map((t) => Number(t) / 1e9).sort((x, y) => x - y);
  const best = secs[0];
  const n = secs.length;
  const median = n % 2 ? secs[(n - 1) / 2] : (secs[n / 2 - 1] + secs[n / 2]) / 2;
  console.log(
    `BENCH side=jsonata case=${name} records=${records} rounds=${n} best_s=${best.toFixed(6)} ` +
      `median_s=${median.toFixed(6)} best_rps=${(records / best).toFixed(0)} ` +
      `median_rps=${(records / median).toFixed(0)}`,
  );
  console.error(
    `# jsonata ${name.padEnd(16)} ${(records / median).toFixed(0).padStart(12)} records/s ` +
      `(median of ${n}, best ${(records / best).toFixed(0)}): ${what}`,
  );
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.input) throw new Error('--input FILE is required');
  const checkCount = Number(args['check-count'] ?? 1000);
  const minSeconds = Number(args['min-seconds'] ?? 20);
  const maxRounds = Number(args['max-rounds'] ?? 5);

  let t0 = process.hrtime.bigint();
  const records = JSON.parse(fs.readFileSync(args.input, 'utf8'));
  console.error(
    `# jsonata ${require('jsonata/package.json').version} on node ${process.version}: read and parsed ` +
      `${records.length} records in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3)} s ` +
      `(expression for the YAML map ${MATCHES_YAML_MAP_SHA256})`,
  );

  const expr = jsonata(EXPRESSION); // compiled once

  // Equivalence first (it also warms the JIT): the same records must give the same unified records.
  if (args['rust-outputs']) {
    const rust = fs
      .readFileSync(args['rust-outputs'], 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
    const n = Math.min(checkCount, records.length);
    if (rust.length < n) {
      throw new Error(`${args['rust-outputs']} holds ${rust.length} outputs, expected ${n}`);
    }
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const ours = await expr.evaluate(records[i]);
      if (canonical(ours) !== canonical(rust[i])) {
        if (bad < 5) {
          console.error(`MISMATCH record #${i} (id ${records[i].id}):`);
          for (const d of differences(sortKeys(rust[i]), sortKeys(ours))) console.error(`  ${d}`);
        }
        bad++;
      }
    }
    if (bad > 0) {
      console.error(`EQUIVALENCE FAILED: ${bad} of ${n} records map differently in Rust and JSONata`);
      process.exit(2);
    }
    console.log(`EQUIVALENCE ok records=${n}`);
    if (args['check-only'] === 'yes') return;
  } else {
    for (let i = 0; i < Math.min(1000, records.length); i++) await expr.evaluate(records[i]);
  }

  // Map only: parsed record in, unified object out (the Rust `map` case).
  const times = [];
  let spent = 0;
  while (times.length < maxRounds && (times.length === 0 || spent < minSeconds)) {
    t0 = process.hrtime.bigint();
    for (let i = 0; i < records.length; i++) await expr.evaluate(records[i]);
    const dt = process.hrtime.bigint() - t0;
    times.push(dt);
    spent += Number(dt) / 1e9;
  }
  report('map', records.length, times, 'compiled expression evaluated on parsed records (awaited)');

  // End to end, once: each record's JSON text parsed, mapped and serialized (the Rust `end_to_end` case).
  if (args['end-to-end'] !== 'no') {
    const texts = records.map((r) => JSON.stringify(r));
    t0 = process.hrtime.bigint();
    let sink = 0;
    for (let i = 0; i < texts.length; i++) {
      sink += JSON.stringify(await expr.evaluate(JSON.parse(texts[i]))).length;
    }
    report('end_to_end', texts.length, [process.hrtime.bigint() - t0], `parse, map, serialize (${sink} bytes out)`);
  }
}

main().catch((e) => {
  // JSONata errors are objects with a code, a message and the offending token.
  console.error(e && e.code ? `${e.code}: ${e.message} (token ${e.token}, position ${e.position})` : '');
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
