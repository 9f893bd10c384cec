//! Structure-aware: starts from a valid definition (HubSpot, Salesforce or the `cargo xtask new`
//! scaffold), applies up to 16 tree edits (set, remove, rename, insert, copy, duplicate, swap) with
//! values drawn from the format's own vocabulary, writes the tree back as block YAML or JSON, and runs
//! it through load → check (→ lower → emit). The YAML stays well formed, so inputs get past the parser
//! to the semantic checks and the emitters.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use switchboard_fuzz::tree::{Input, MAX_EDITS, Node, dictionary, to_json};

/// The starting points, by `Input::base % 4`: the scaffold twice, as it checks over ten times faster.
const SEEDS: [(&str, &str); 4] = [
    (
        "fuzz_seed",
        include_str!("../seeds/load_check/fuzz_seed.yaml"),
    ),
    (
        "fuzz_seed",
        include_str!("../seeds/load_check/fuzz_seed.yaml"),
    ),
    ("hubspot", include_str!("../seeds/load_check/hubspot.yaml")),
    (
        "salesforce",
        include_str!("../seeds/load_check/salesforce.yaml"),
    ),
];

struct Bases {
    trees: Vec<(&'static str, Node)>,
    dict: Vec<String>,
}

fn bases() -> &'static Bases {
    static BASES: OnceLock<Bases> = OnceLock::new();
    BASES.get_or_init(|| {
        let trees: Vec<(&str, Node)> = SEEDS
            .iter()
            .map(|(name, text)| match serde_saphyr::from_str::<Node>(text) {
                Ok(tree) => (*name, tree),
                Err(e) => panic!("seed {name} does not parse: {e}"),
            })
            .collect();
        let nodes: Vec<Node> = trees.iter().map(|(_, t)| t.clone()).collect();
        let dict = dictionary(&nodes);
        Bases { trees, dict }
    })
}

fuzz_target!(|input: Input| {
    let bases = bases();
    let (seed_name, base) = &bases.trees[usize::from(input.base) % bases.trees.len()];
    let mut tree = base.clone();
    for edit in input.edits.iter().take(MAX_EDITS) {
        edit.apply(&mut tree, &bases.dict);
    }
    let text = if input.as_json {
        to_json(&tree)
    } else {
        tree.to_yaml()
    };
    let name = if input.fixed_file_name {
        "fuzz.yaml".to_owned()
    } else {
        format!("{}.yaml", tree.top_str("name").unwrap_or(seed_name))
    };
    switchboard_fuzz::compile_and_render(&name, text.into_bytes());
});
