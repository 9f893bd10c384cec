//! What a comparison finds: classified changes and the context cost of `tools/list`.

use serde::Serialize;

/// How a change affects the people and agents depending on the tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// An agent written against the old tools may fail or misbehave.
    Breaking,
    /// Accounts connected before must authorize again (new OAuth scopes).
    Consent,
    /// Nothing that worked stops working.
    Safe,
}

impl Class {
    /// The heading a report gives the class.
    pub fn heading(self) -> &'static str {
        match self {
            Class::Breaking => "Breaking for agents",
            Class::Consent => "Needs new consent",
            Class::Safe => "Safe",
        }
    }
}

/// One change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Its class.
    pub class: Class,
    /// The integration (`hubspot`) or unified model (`crm.contact`) it belongs to.
    pub scope: String,
    /// The tool, when the change is to one tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// A stable code for the kind of change (`tool_removed`, `input_added_required`, …).
    pub code: &'static str,
    /// Where in the tool's schema, as a path of property names (`address/city`, `result/*/id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// What changed and what it means, in a sentence (identifiers in backticks).
    pub message: String,
    /// The text before, for description changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The text after, for description changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The size of one integration's `tools/list` before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContextCost {
    /// The integration.
    pub integration: String,
    /// Tools listed before.
    pub tools_before: usize,
    /// Tools listed after.
    pub tools_after: usize,
    /// Bytes of compact JSON before.
    pub bytes_before: usize,
    /// Bytes of compact JSON after.
    pub bytes_after: usize,
    /// Estimated tokens before (bytes / 4).
    pub tokens_before: usize,
    /// Estimated tokens after (bytes / 4).
    pub tokens_after: usize,
}

impl ContextCost {
    /// Whether the listing changed size.
    pub fn changed(&self) -> bool {
        self.bytes_before != self.bytes_after || self.tools_before != self.tools_after
    }
}

/// A comparison of two generated trees.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Every change, by class, scope, tool and place.
    pub changes: Vec<Change>,
    /// Per integration in either tree, by name.
    pub context_cost: Vec<ContextCost>,
}

impl Report {
    /// How many changes are of `class`.
    pub fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }

    /// Why `--deny-breaking` refuses this change: one line per breaking or consent change.
    pub fn denials(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| c.class != Class::Safe)
            .map(|c| {
                let what = match &c.tool {
                    Some(tool) => format!("{} `{tool}`", c.scope),
                    None => c.scope.clone(),
                };
                let class = match c.class {
                    Class::Breaking => "breaking",
                    _ => "needs consent",
                };
                format!("{class}: {what}: {}", c.message)
            })
            .collect()
    }

    /// The report as JSON, with counts per class.
    pub fn to_json(&self, base: &str) -> serde_json::Value {
        serde_json::json!({
            "base": base,
            "summary": {
                "breaking": self.count(Class::Breaking),
                "consent": self.count(Class::Consent),
                "safe": self.count(Class::Safe),
            },
            "changes": self.changes,
            "context_cost": self.context_cost,
        })
    }
}
