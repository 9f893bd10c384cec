//! Word diffs of descriptions, for a Markdown report.

use similar::{ChangeTag, TextDiff};

/// Unchanged words kept on each side of a change; longer unchanged runs are elided.
const CONTEXT: usize = 6;

/// `after` against `before`, Markdown: ~~removed~~ and **added** words, long unchanged runs cut to `…`.
pub fn word_diff(before: &str, after: &str) -> String {
    let diff = TextDiff::from_words(before, after);
    // Runs of one tag, as words.
    let mut runs: Vec<(ChangeTag, Vec<&str>)> = Vec::new();
    for change in diff.iter_all_changes() {
        let words = change.value().split_whitespace();
        match runs.last_mut() {
            Some((tag, run)) if *tag == change.tag() => run.extend(words),
            _ => runs.push((change.tag(), words.collect())),
        }
    }
    runs.retain(|(_, words)| !words.is_empty());
    let last = runs.len().saturating_sub(1);
    let mut out: Vec<String> = Vec::new();
    for (i, (tag, words)) in runs.iter().enumerate() {
        match tag {
            ChangeTag::Equal => {
                let head = if i == 0 { 0 } else { CONTEXT };
                let tail = if i == last { 0 } else { CONTEXT };
                if words.len() > head + tail {
                    out.extend(words[..head].iter().map(|w| escape(w)));
                    out.push("…".to_owned());
                    out.extend(words[words.len() - tail..].iter().map(|w| escape(w)));
                } else {
                    out.extend(words.iter().map(|w| escape(w)));
                }
            }
            ChangeTag::Delete => out.push(format!("~~{}~~", escape(&words.join(" ")))),
            ChangeTag::Insert => out.push(format!("**{}**", escape(&words.join(" ")))),
        }
    }
    out.join(" ")
}

/// Markdown's emphasis and code characters, escaped so a description's own cannot break the markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '*' | '_' | '~' | '`' | '<' | '>' | '|' | '[' | ']' | '\\'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::word_diff;

    #[test]
    fn marks_changed_words_and_cuts_long_unchanged_runs() {
        let before =
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen end";
        let after = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen finish";
        assert_eq!(
            word_diff(before, after),
            "… nine ten eleven twelve thirteen fourteen ~~end~~ **finish**"
        );
        assert_eq!(word_diff("a b", "a c b"), "a **c** b");
        assert_eq!(word_diff("", "new"), "**new**");
        assert_eq!(
            word_diff("use *x*", "use `y`"),
            "use ~~\\*x\\*~~ **\\`y\\`**"
        );
    }
}
