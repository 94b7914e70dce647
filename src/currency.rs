//! Currencies (issue 11): the codes a deal may carry, their symbols, reading a typed amount
//! (`€1,250,000`, `1.250.000 EUR`, `GBP 20k`, `¥300000`) and printing one. Pure.

/// The accepted ISO 4217 codes and how amounts in them are written (prefix symbols).
const KNOWN: &[(&str, &str)] = &[
    ("USD", "$"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("JPY", "¥"),
    ("CHF", "CHF "),
    ("CAD", "CA$"),
    ("AUD", "A$"),
    ("NZD", "NZ$"),
    ("CNY", "CN¥"),
    ("INR", "₹"),
    ("SEK", "SEK "),
    ("NOK", "NOK "),
    ("DKK", "DKK "),
    ("PLN", "PLN "),
    ("BRL", "R$"),
    ("MXN", "MX$"),
    ("SGD", "S$"),
    ("HKD", "HK$"),
    ("ZAR", "ZAR "),
    ("KRW", "₩"),
];

/// Symbols typed before or after a number, longest first so `CA$` is not read as `$`.
const TYPED: &[(&str, &str)] = &[
    ("CA$", "CAD"),
    ("A$", "AUD"),
    ("NZ$", "NZD"),
    ("CN¥", "CNY"),
    ("R$", "BRL"),
    ("MX$", "MXN"),
    ("S$", "SGD"),
    ("HK$", "HKD"),
    ("US$", "USD"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("₩", "KRW"),
];

/// Whether `code` is one Closer accepts (upper case).
pub fn is_known(code: &str) -> bool {
    KNOWN.iter().any(|(c, _)| *c == code)
}

/// The sentence naming what is accepted, for an unknown code.
pub fn accepted() -> String {
    let codes: Vec<&str> = KNOWN.iter().map(|(c, _)| *c).collect();
    format!(
        "Amount: a currency Closer knows ({}), or $ € £ ¥ before the number",
        codes.join(", ")
    )
}

/// What goes before an amount in `code`: `$`, `€`, `CHF ` (the code and a space when unknown).
pub fn symbol(code: &str) -> String {
    KNOWN
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| format!("{code} "), |(_, s)| (*s).to_string())
}

/// `€1,250,000` (whole units; cents shown when there are some).
pub fn money(amount: f64, code: &str) -> String {
    let a = if amount.is_finite() { amount } else { 0.0 };
    let cents = (a.abs() * 100.0).round() as u64 % 100;
    let whole = if cents == 0 {
        a.abs().round()
    } else {
        a.abs().trunc()
    };
    let mut out = group_digits(whole);
    if cents != 0 {
        out.push_str(&format!(".{cents:02}"));
    }
    let sign = if a < 0.0 { "-" } else { "" };
    format!("{sign}{}{out}", symbol(code))
}

/// `1234568` → `1,234,568`: a whole, non-negative number with thousands separated.
pub fn group_digits(whole: f64) -> String {
    let digits = format!("{whole:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Compact: `$950`, `€4.3k`, `£430k`, `$1.2M`, `¥3.4B`.
pub fn compact(amount: f64, code: &str) -> String {
    format!("{}{}", symbol(code), compact_number(amount))
}

/// `950`, `4.3k`, `430k`, `1.2M`, `3.4B` (negative and non-finite read as 0).
pub fn compact_number(amount: f64) -> String {
    let a = if amount.is_finite() {
        amount.max(0.0)
    } else {
        0.0
    };
    let (value, suffix) = if a >= 1e9 {
        (a / 1e9, "B")
    } else if a >= 1e6 {
        (a / 1e6, "M")
    } else if a >= 1e3 {
        (a / 1e3, "k")
    } else {
        return format!("{}", a.round());
    };
    if value < 10.0 {
        let s = format!("{value:.1}");
        let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
        format!("{s}{suffix}")
    } else {
        format!("{}{suffix}", value.round())
    }
}

/// An ISO 4217 code as a plain value (totals stay `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code([u8; 3]);

impl Code {
    pub const USD: Code = Code(*b"USD");

    /// Three capital letters (what the database's check allows), else `None`.
    pub fn parse(text: &str) -> Option<Code> {
        let b = text.as_bytes();
        (b.len() == 3 && b.iter().all(u8::is_ascii_uppercase)).then(|| Code([b[0], b[1], b[2]]))
    }

    /// A code read from the database (checked there); an unreadable one reads as USD.
    pub fn from_db(text: &str) -> Code {
        Code::parse(text).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("USD")
    }
}

impl Default for Code {
    fn default() -> Self {
        Code::USD
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Amounts in currencies other than the organization's: never added to its sums, shown beside
/// them (issue 11).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Others {
    /// The largest of them.
    pub largest: Option<(Code, f64)>,
    /// How many currencies besides the organization's.
    pub currencies: u32,
}

impl Others {
    pub fn add(&mut self, code: Code, amount: f64) {
        self.currencies += 1;
        if self.largest.is_none_or(|(_, a)| amount > a) {
            self.largest = Some((code, amount));
        }
    }

    /// ` +€300k` beside a sum (`…` when more currencies follow); empty without others.
    pub fn suffix(&self) -> String {
        match self.largest {
            Some((code, amount)) if self.currencies > 0 => {
                let more = if self.currencies > 1 { "…" } else { "" };
                format!(" +{}{more}", compact(amount, code.as_str()))
            }
            _ => String::new(),
        }
    }

    /// ` +€` (the symbol only, `…` when more follow): where there is no room for the amount.
    pub fn flag(&self) -> String {
        match self.largest {
            Some((code, _)) if self.currencies > 0 => {
                let more = if self.currencies > 1 { "…" } else { "" };
                format!(" +{}{more}", symbol(code.as_str()).trim_end())
            }
            _ => String::new(),
        }
    }
}

/// An amount read from a form: `currency` is `None` when none was typed (the organization's,
/// or the deal's own when editing).
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub amount: f64,
    pub currency: Option<String>,
}

/// Reads `€1,250,000`, `1.250.000 EUR`, `GBP 20k`, `¥300000`, `250000`, `1.2m usd`
/// (`None`: blank). The sentence says what is wrong.
pub fn parse(text: &str) -> Result<Option<Typed>, String> {
    let (currency, number) = split(text)?;
    let number = number.replace(['_', ' ', '\u{a0}', '\''], "");
    if number.is_empty() {
        return match currency {
            Some(_) => Err("Amount: a number after the currency, like €250,000".into()),
            None => Ok(None),
        };
    }
    let amount = parse_number(&number)
        .ok_or_else(|| "Amount: a number like 250000, 250,000.50, 250k or 1.2m".to_string())?;
    Ok(Some(Typed { amount, currency }))
}

/// The currency (a symbol or a code, before or after) and the number without it.
fn split(text: &str) -> Result<(Option<String>, String), String> {
    let t = text.trim();
    for (typed, code) in TYPED {
        if let Some(rest) = t.strip_prefix(typed).or_else(|| t.strip_suffix(typed)) {
            return Ok((Some((*code).to_string()), rest.trim().to_string()));
        }
    }
    // A code is letters at either end: `EUR 1.250.000`, `1.250.000 EUR`, `GBP20k`.
    let lead: String = t.chars().take_while(char::is_ascii_alphabetic).collect();
    let tail: String = {
        let mut v: Vec<char> = t
            .chars()
            .rev()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        v.reverse();
        v.into_iter().collect()
    };
    let (word, rest) = if !lead.is_empty() {
        (lead.clone(), t[lead.len()..].trim())
    } else if tail.len() >= 2 {
        (tail.clone(), t[..t.len() - tail.len()].trim())
    } else {
        return Ok((None, t.to_string()));
    };
    let code = word.to_ascii_uppercase();
    if is_known(&code) {
        Ok((Some(code), rest.to_string()))
    } else if word.len() == 3 {
        Err(format!(
            "Amount: {code} is not a currency Closer knows. {}",
            accepted_tail()
        ))
    } else {
        Err("Amount: a number like 250000, 250k or €1.2m".to_string())
    }
}

fn accepted_tail() -> String {
    let codes: Vec<&str> = KNOWN.iter().map(|(c, _)| *c).collect();
    format!("Type one of {} or $ € £ ¥", codes.join(", "))
}

/// `1,250,000.50` / `1.250.000,50` / `1250000` / `250k` / `1.2m` → the value.
fn parse_number(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let (digits, factor) = match lower.chars().last() {
        Some('k') => (&lower[..lower.len() - 1], 1e3),
        Some('m') => (&lower[..lower.len() - 1], 1e6),
        Some('b') => (&lower[..lower.len() - 1], 1e9),
        _ => (lower.as_str(), 1.0),
    };
    let plain = normalize(digits)?;
    let v: f64 = plain.parse().ok()?;
    let v = v * factor;
    (v.is_finite() && (0.0..1e12).contains(&v)).then_some(v)
}

/// One decimal point, no grouping: the last of `.`/`,` is the decimal mark when both appear;
/// a mark repeated, or followed by exactly three digits, groups thousands.
fn normalize(t: &str) -> Option<String> {
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let dots = t.matches('.').count();
    let commas = t.matches(',').count();
    let decimal = match (dots, commas) {
        (0, 0) => None,
        (_, 0) | (0, _) => {
            let mark = if dots > 0 { '.' } else { ',' };
            let after = t.rsplit(mark).next().unwrap_or("");
            if dots + commas > 1 || after.len() == 3 {
                None
            } else {
                Some(mark)
            }
        }
        _ => {
            let last_dot = t.rfind('.').unwrap_or(0);
            let last_comma = t.rfind(',').unwrap_or(0);
            let mark = if last_dot > last_comma { '.' } else { ',' };
            // The decimal mark appears once, after every grouping mark.
            if t.matches(mark).count() > 1 {
                return None;
            }
            Some(mark)
        }
    };
    let mut out = String::new();
    for c in t.chars() {
        match c {
            d if d.is_ascii_digit() => out.push(d),
            m if Some(m) == decimal => out.push('.'),
            _ => {}
        }
    }
    (!out.starts_with('.') || out.len() > 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (f64, Option<String>) {
        let t = parse(text).expect("reads").expect("not blank");
        (t.amount, t.currency)
    }

    #[test]
    fn symbols_codes_and_groupings_are_read() {
        let eur = Some("EUR".to_string());
        assert_eq!(read("€1,250,000"), (1_250_000.0, eur.clone()));
        assert_eq!(read("1.250.000 EUR"), (1_250_000.0, eur.clone()));
        assert_eq!(read("1.250.000,50 eur"), (1_250_000.5, eur.clone()));
        assert_eq!(read("EUR 1250000"), (1_250_000.0, eur.clone()));
        assert_eq!(read("1250000€"), (1_250_000.0, eur));
        assert_eq!(read("GBP 20k"), (20_000.0, Some("GBP".into())));
        assert_eq!(read("gbp20k"), (20_000.0, Some("GBP".into())));
        assert_eq!(read("¥300000"), (300_000.0, Some("JPY".into())));
        assert_eq!(read("CA$ 1.5m"), (1_500_000.0, Some("CAD".into())));
        assert_eq!(read("$1,250,000.75"), (1_250_000.75, Some("USD".into())));
        assert_eq!(read("250000"), (250_000.0, None));
        assert_eq!(read("250,000.50"), (250_000.5, None));
        assert_eq!(read("1.2m"), (1_200_000.0, None));
        assert_eq!(read("2.5"), (2.5, None));
        assert_eq!(read("1 250 000"), (1_250_000.0, None));
        assert_eq!(parse("   "), Ok(None));
    }

    #[test]
    fn unknown_codes_and_bad_numbers_get_sentences() {
        let err = parse("XYZ 100").expect_err("unknown code");
        assert!(err.contains("XYZ is not a currency Closer knows"), "{err}");
        assert!(err.contains("USD, EUR, GBP"), "{err}");
        let err = parse("100 btc").expect_err("unknown code after");
        assert!(err.contains("BTC is not a currency"), "{err}");
        assert!(parse("€").is_err());
        assert!(parse("1.2.3,4,5").is_err());
        assert!(parse("-5").is_err());
        assert!(parse("12 apples").is_err());
        assert!(parse("9999999999999").is_err());
    }

    #[test]
    fn amounts_print_with_their_symbol() {
        assert_eq!(money(1_250_000.0, "EUR"), "€1,250,000");
        assert_eq!(money(640_000.0, "USD"), "$640,000");
        assert_eq!(money(20_000.5, "GBP"), "£20,000.50");
        assert_eq!(money(300_000.0, "CHF"), "CHF 300,000");
        assert_eq!(money(5.0, "XAU"), "XAU 5");
        assert_eq!(compact(1_200_000.0, "USD"), "$1.2M");
        assert_eq!(compact(300_000.0, "EUR"), "€300k");
        assert_eq!(compact(950.0, "JPY"), "¥950");
        assert_eq!(compact(f64::NAN, "USD"), "$0");
    }

    #[test]
    fn other_currencies_are_shown_beside_a_sum() {
        let mut others = Others::default();
        assert_eq!(others.suffix(), "");
        others.add(Code::parse("EUR").expect("code"), 300_000.0);
        assert_eq!(others.suffix(), " +€300k");
        others.add(Code::parse("GBP").expect("code"), 20_000.0);
        assert_eq!(others.suffix(), " +€300k…");
        assert_eq!(others.flag(), " +€…");
        assert_eq!(others.currencies, 2);
        assert_eq!(Code::parse("usd"), None);
        assert_eq!(Code::from_db("JPY").as_str(), "JPY");
    }
}
