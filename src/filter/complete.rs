//! Completion of the word being typed: filter keys, then the values of `owner:`, `tag:` and
//! `source:` from the organization's own lists.

use super::KEYS;

/// The values a filter can complete, read once from the database when the bar first opens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterChoices {
    /// Team members' full names.
    pub owners: Vec<String>,
    pub tags: Vec<String>,
    pub sources: Vec<String>,
}

/// Where the last word of `input` starts (after the last whitespace outside quotes).
fn last_word_start(input: &str) -> usize {
    let mut start = 0;
    let mut in_quote = false;
    for (i, c) in input.char_indices() {
        if c == '"' {
            in_quote = !in_quote;
        } else if c.is_whitespace() && !in_quote {
            start = i + c.len_utf8();
        }
    }
    start
}

fn quote(value: &str) -> String {
    if value.chars().any(|c| c.is_whitespace() || c == ',') {
        format!("\"{}\"", value.replace('"', ""))
    } else {
        value.to_string()
    }
}

/// Whole-word replacements for the last word of `input`, best first (at most `max`).
pub fn complete(input: &str, choices: &FilterChoices, max: usize) -> Vec<String> {
    let word = &input[last_word_start(input)..];
    let Some((key, value)) = word.split_once(':') else {
        let lower = word.to_lowercase();
        return KEYS
            .iter()
            .filter(|k| !lower.is_empty() && k.starts_with(&lower) && **k != lower)
            .map(|k| k.to_string())
            .take(max)
            .collect();
    };
    let key = key.to_lowercase();
    let list: Vec<String> = match key.as_str() {
        "owner" | "owners" => ["me", "none"]
            .into_iter()
            .map(String::from)
            .chain(choices.owners.iter().cloned())
            .collect(),
        "tag" | "tags" => choices.tags.clone(),
        "source" | "sources" => choices.sources.clone(),
        _ => return Vec::new(),
    };
    // Earlier values of a comma list stay as typed.
    let (done, partial) = match value.rfind(',') {
        Some(i) => (&value[..=i], &value[i + 1..]),
        None => ("", value),
    };
    let needle = partial.trim_matches('"').to_lowercase();
    let mut starts: Vec<&String> = Vec::new();
    let mut contains: Vec<&String> = Vec::new();
    for v in &list {
        let lower = v.to_lowercase();
        if lower == needle {
            continue;
        }
        if lower.starts_with(&needle) {
            starts.push(v);
        } else if lower.contains(&needle) {
            contains.push(v);
        }
    }
    starts
        .into_iter()
        .chain(contains)
        .take(max)
        .map(|v| format!("{key}:{done}{}", quote(v)))
        .collect()
}

/// `input` with its last word replaced by `word` and a space to type the next one (none after
/// a bare key such as `owner:`, whose value comes next).
pub fn apply(input: &str, word: &str) -> String {
    let space = if word.ends_with(':') { "" } else { " " };
    format!("{}{word}{space}", &input[..last_word_start(input)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> FilterChoices {
        FilterChoices {
            owners: vec!["Ana Silva".into(), "Bo Chen".into()],
            tags: vec!["vip".into(), "hot".into(), "VIP-2".into()],
            sources: vec!["website".into(), "referral".into()],
        }
    }

    #[test]
    fn keys_then_values() {
        assert_eq!(complete("ro", &choices(), 5), vec!["rotting"]);
        assert_eq!(complete("mine ow", &choices(), 5), vec!["owner:"]);
        assert_eq!(
            complete("owner:a", &choices(), 5),
            vec!["owner:\"Ana Silva\""]
        );
        assert_eq!(
            complete("owner:", &choices(), 2),
            vec!["owner:me", "owner:none"]
        );
        assert_eq!(
            complete("tag:vi", &choices(), 5),
            vec!["tag:vip", "tag:VIP-2"]
        );
        assert_eq!(complete("tag:vip,h", &choices(), 5), vec!["tag:vip,hot"]);
        assert_eq!(
            complete("source:ref", &choices(), 5),
            vec!["source:referral"]
        );
        assert!(complete("score:", &choices(), 5).is_empty());
        assert!(complete("", &choices(), 5).is_empty());
    }

    #[test]
    fn applying_replaces_the_last_word_only() {
        assert_eq!(apply("mine tag:v", "tag:vip"), "mine tag:vip ");
        assert_eq!(apply("\"a b\" ow", "owner:"), "\"a b\" owner:");
    }
}
