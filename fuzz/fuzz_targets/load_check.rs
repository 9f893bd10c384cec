//! Arbitrary bytes as one definition file, `fuzz.yaml`, through load → check (→ lower → emit when the
//! checks pass), rendering every diagnostic. Seeds: `fuzz/seeds/load_check/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard_fuzz::compile_and_render("fuzz.yaml", data.to_vec());
});
