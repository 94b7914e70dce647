//! Text → [`Filter`]. Words are split on whitespace outside double quotes; an error names the
//! byte range of the word it is about so the filter bar can underline it.

use chrono::NaiveDate;

use super::{DateRange, Filter, FilterError, Owner, Span, Term};

/// Longest filter text accepted (the bar and saved views never need more).
pub const MAX_LEN: usize = 2_000;

/// One word of the input: its byte range and, for `key:value`, the key and the values.
struct Word<'a> {
    start: usize,
    end: usize,
    raw: &'a str,
}

pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_LEN {
        return Err(FilterError {
            span: 0..input.len(),
            message: format!("a filter is at most {MAX_LEN} characters long"),
        });
    }
    let mut terms = Vec::new();
    for word in words(input)? {
        let term = term(&word)?;
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    Ok(Filter { terms })
}

fn error(word: &Word, message: impl Into<String>) -> FilterError {
    FilterError {
        span: word.start..word.end,
        message: message.into(),
    }
}

fn words(input: &str) -> Result<Vec<Word<'_>>, FilterError> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quote_at = None;
    for (i, c) in input.char_indices() {
        if c == '"' {
            quote_at = if quote_at.is_some() { None } else { Some(i) };
        }
        if c.is_whitespace() && quote_at.is_none() {
            if let Some(s) = start.take() {
                out.push(Word {
                    start: s,
                    end: i,
                    raw: &input[s..i],
                });
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(q) = quote_at {
        return Err(FilterError {
            span: q..input.len(),
            message: "this quote is never closed: add a \" at the end".into(),
        });
    }
    if let Some(s) = start {
        out.push(Word {
            start: s,
            end: input.len(),
            raw: &input[s..],
        });
    }
    Ok(out)
}

/// Splits at `sep` outside quotes and drops the quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut in_quote = false;
    for c in text.chars() {
        match c {
            '"' => in_quote = !in_quote,
            c if c == sep && !in_quote => parts.push(String::new()),
            c => parts.last_mut().map(|p| p.push(c)).unwrap_or(()),
        }
    }
    parts
}

fn key_of(raw: &str) -> Option<(&str, &str)> {
    let colon = raw.find(':')?;
    let key = &raw[..colon];
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        return None;
    }
    Some((key, &raw[colon + 1..]))
}

fn term(word: &Word) -> Result<Term, FilterError> {
    let Some((key, value)) = key_of(word.raw) else {
        return bare(word);
    };
    let key = key.to_ascii_lowercase();
    let values: Vec<String> = split_unquoted(value, ',')
        .into_iter()
        .map(|v| v.trim().to_string())
        .collect();
    let needs_value = |example: &str| {
        error(
            word,
            format!("`{key}:` needs a value, for example {key}:{example}"),
        )
    };
    let one = || values.first().map(String::as_str).unwrap_or("");
    let nonempty = |example: &str| {
        if values.iter().any(String::is_empty) {
            Err(needs_value(example))
        } else {
            Ok(values.clone())
        }
    };
    match key.as_str() {
        "owner" | "owners" => {
            let names = nonempty("me")?;
            Ok(Term::Owners(
                names
                    .into_iter()
                    .map(|n| match n.to_lowercase().as_str() {
                        "me" => Owner::Me,
                        "none" | "nobody" => Owner::Nobody,
                        _ => Owner::Named(n),
                    })
                    .collect(),
            ))
        }
        "tag" | "tags" => Ok(Term::Tags(nonempty("vip")?)),
        "source" | "sources" => Ok(Term::Sources(nonempty("website")?)),
        "score" => score(word, one()),
        "created" => Ok(Term::Created(dates(word, one(), false)?)),
        "contacted" => Ok(Term::Contacted(dates(word, one(), true)?)),
        "is" | "has" | "no" => bare_named(word, &format!("{key}:{}", one())),
        _ => Err(error(
            word,
            format!(
                "unknown filter `{key}:`; use owner:, tag:, source:, score:, created:, contacted:, mine, rotting, overdue or no-next-step"
            ),
        )),
    }
}

fn bare(word: &Word) -> Result<Term, FilterError> {
    let text = split_unquoted(word.raw, '\u{0}').concat();
    // A quoted word is always text, even if it spells a keyword.
    if word.raw.contains('"') {
        return if text.trim().is_empty() {
            Err(error(word, "empty quotes: type the text to look for"))
        } else {
            Ok(Term::Text(text))
        };
    }
    bare_named(word, &text).or(Ok(Term::Text(text)))
}

fn bare_named(word: &Word, name: &str) -> Result<Term, FilterError> {
    match name.to_lowercase().as_str() {
        "mine" | "is:mine" => Ok(Term::Owners(vec![Owner::Me])),
        "rotting" | "is:rotting" => Ok(Term::Rotting),
        "overdue" | "has:overdue" | "is:overdue" => Ok(Term::Overdue),
        "no-next-step" | "no:next-step" | "no:next" | "no:tasks" => Ok(Term::NoNextStep),
        _ => Err(error(
            word,
            format!(
                "`{name}` is not a filter; use is:mine, is:rotting, has:overdue or no:next-step"
            ),
        )),
    }
}

fn score(word: &Word, value: &str) -> Result<Term, FilterError> {
    let bad = || {
        error(
            word,
            "a score is 0 to 100: score:>70, score:<=30, score:40..60 or score:50",
        )
    };
    let num = |s: &str| -> Result<i32, FilterError> {
        let n: i32 = s.trim().parse().map_err(|_| bad())?;
        if (0..=100).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    };
    let (min, max) = if let Some(v) = value.strip_prefix(">=") {
        (num(v)?, 100)
    } else if let Some(v) = value.strip_prefix("<=") {
        (0, num(v)?)
    } else if let Some(v) = value.strip_prefix('>') {
        (num(v)?.checked_add(1).ok_or_else(bad)?, 100)
    } else if let Some(v) = value.strip_prefix('<') {
        (0, num(v)?.checked_sub(1).ok_or_else(bad)?)
    } else if let Some((a, b)) = value.split_once("..") {
        (num(a)?, num(b)?)
    } else {
        let n = num(value)?;
        (n, n)
    };
    if min > max {
        return Err(error(
            word,
            format!("no score is in {min}..{max}: the lower end comes first"),
        ));
    }
    Ok(Term::Score { min, max })
}

fn span(text: &str) -> Option<Span> {
    let unit = text.chars().last()?;
    let count = text[..text.len() - unit.len_utf8()].parse().ok()?;
    matches!(unit, 'd' | 'w' | 'm' | 'y')
        .then_some(Span { count, unit })
        .filter(|s| s.days() <= 36_500)
}

fn dates(word: &Word, value: &str, never_ok: bool) -> Result<DateRange, FilterError> {
    let bad = || {
        error(
            word,
            "a date range is today, <7d (within 7 days), >30d (longer ago), 2w, 3m, 2026-01-31 or 2026-01-01..2026-01-31",
        )
    };
    let day = |s: &str| -> Result<Option<NaiveDate>, FilterError> {
        if s.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| bad())
    };
    let lower = value.to_lowercase();
    match lower.as_str() {
        "today" => {
            return Ok(DateRange::Within(Span {
                count: 0,
                unit: 'd',
            }));
        }
        "never" if never_ok => return Ok(DateRange::Never),
        "never" => return Err(error(word, "only `contacted:` can be never")),
        _ => {}
    }
    if let Some(s) = lower.strip_prefix('<').and_then(span) {
        return Ok(DateRange::Within(s));
    }
    if let Some(s) = lower.strip_prefix('>').and_then(span) {
        return Ok(DateRange::OlderThan(s));
    }
    if let Some(s) = span(&lower) {
        return Ok(DateRange::Within(s));
    }
    let (a, b) = match lower.split_once("..") {
        Some((a, b)) => (day(a)?, day(b)?),
        None => {
            let d = day(&lower)?;
            (d, d)
        }
    };
    match (a, b) {
        (None, None) => Err(bad()),
        (Some(a), Some(b)) if a > b => Err(error(
            word,
            format!("{a} is after {b}: the earlier day comes first"),
        )),
        _ => Ok(DateRange::Between(a, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> (String, String) {
        let e = parse(input).expect_err(input);
        (input[e.span.clone()].to_string(), e.message)
    }

    #[test]
    fn the_example_from_the_issue() {
        let f = parse("owner:me tag:vip score:>70 rotting").expect("parses");
        assert_eq!(
            f.terms,
            vec![
                Term::Owners(vec![Owner::Me]),
                Term::Tags(vec!["vip".into()]),
                Term::Score { min: 71, max: 100 },
                Term::Rotting,
            ]
        );
    }

    #[test]
    fn every_term_and_its_printed_form_round_trip() {
        for text in [
            "mine",
            "owner:me,none,\"Ana Silva\"",
            "tag:vip,hot",
            "source:website",
            "score:>=70",
            "score:<=30",
            "score:40..60",
            "score:50",
            "rotting",
            "overdue",
            "no-next-step",
            "created:<7d",
            "created:>2w",
            "created:today",
            "created:2026-01-01..2026-01-31",
            "created:2026-01-01..",
            "contacted:never",
            "contacted:2026-03-04",
            "reyes",
            "\"olivia reyes\"",
        ] {
            let f = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(f.to_string(), text, "printed form of {text}");
            assert_eq!(parse(&f.to_string()), Ok(f), "round trip of {text}");
        }
    }

    #[test]
    fn aliases_and_case() {
        assert_eq!(parse("is:mine").map(|f| f.to_string()), Ok("mine".into()));
        assert_eq!(
            parse("HAS:overdue No:Next-Step Owner:ME").map(|f| f.to_string()),
            Ok("overdue no-next-step mine".into())
        );
        assert_eq!(
            parse("score:<30").map(|f| f.to_string()),
            Ok("score:<=29".into())
        );
        assert_eq!(
            parse("contacted:30d").map(|f| f.to_string()),
            Ok("contacted:<30d".into())
        );
        assert_eq!(parse("  ").map(|f| f.is_empty()), Ok(true));
        assert_eq!(parse("vip vip").map(|f| f.terms.len()), Ok(1));
    }

    #[test]
    fn quoted_keywords_are_text_and_bare_words_are_text() {
        assert_eq!(
            parse("\"rotting\"").map(|f| f.terms),
            Ok(vec![Term::Text("rotting".into())])
        );
        assert_eq!(
            parse("müller 100%").map(|f| f.terms),
            Ok(vec![Term::Text("müller".into()), Term::Text("100%".into())])
        );
        // A colon after a non-key stays text (an e-mail, a time).
        assert_eq!(
            parse("10:30").map(|f| f.terms),
            Ok(vec![Term::Text("10:30".into())])
        );
    }

    #[test]
    fn errors_point_at_the_offending_word() {
        let (word, msg) = err("owner:me ower:ana rotting");
        assert_eq!(word, "ower:ana");
        assert!(msg.contains("unknown filter `ower:`"), "{msg}");
        assert_eq!(err("rotting score:>170").0, "score:>170");
        assert_eq!(err("score:abc").0, "score:abc");
        assert_eq!(err("score:80..20").0, "score:80..20");
        assert_eq!(err("tag: vip").0, "tag:");
        assert!(err("tag:").1.contains("tag:vip"));
        assert_eq!(err("mine created:yesterday").0, "created:yesterday");
        assert_eq!(err("created:2026-02-30").0, "created:2026-02-30");
        assert_eq!(
            err("created:2026-03-01..2026-01-01").0,
            "created:2026-03-01..2026-01-01"
        );
        assert_eq!(err("created:never").0, "created:never");
        assert_eq!(err("is:happy").0, "is:happy");
        assert_eq!(err("tag:vip,").0, "tag:vip,");
        assert_eq!(err("\"\"").0, "\"\"");
        // Multi-byte text before the error: spans are byte ranges on char boundaries.
        assert_eq!(err("zoë müller owner:").0, "owner:");
    }

    #[test]
    fn an_open_quote_is_pointed_at() {
        let e = parse("tag:vip \"olivia reyes").expect_err("open quote");
        assert_eq!(e.span, 8..21);
        assert!(e.message.contains("never closed"));
    }

    #[test]
    fn hostile_input_never_panics() {
        for text in [
            "%",
            "_",
            "'",
            "\\",
            "\"\\\"",
            "tag:'); drop table leads;--",
            ":",
            "::",
            ",,",
            "score:",
            "created:..",
            "score:-1",
            "created:99999999999d",
        ] {
            let _ = parse(text);
        }
        assert!(parse(&"x".repeat(10_000)).is_err());
        assert_eq!(
            parse("tag:'); drop table leads;--").map(|f| f.terms),
            Ok(vec![
                Term::Tags(vec!["');".into()]),
                Term::Text("drop".into()),
                Term::Text("table".into()),
                Term::Text("leads;--".into())
            ])
        );
    }
}
