//! Latency summaries (percentiles by sorting: a run has at most a few hundred thousand samples,
//! so a histogram crate would buy nothing) and the two output forms: a table or JSON.

use std::time::Duration;

use serde::Serialize;

/// Nearest-rank percentiles of one measured operation, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Summary {
    pub fn of(samples: &[Duration]) -> Summary {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        if n == 0 {
            return Summary::default();
        }
        let rank = |p: f64| {
            // Nearest rank: the smallest sample with at least p % of samples at or below it.
            let index = ((p / 100.0) * n as f64).ceil() as usize;
            round(ms[index.clamp(1, n) - 1])
        };
        Summary {
            n,
            p50_ms: rank(50.0),
            p95_ms: rank(95.0),
            p99_ms: rank(99.0),
            max_ms: round(ms[n - 1]),
            mean_ms: round(ms.iter().sum::<f64>() / n as f64),
        }
    }

    /// `p50 1.23 · p95 … · p99 … ms (n)` for the table.
    pub fn line(&self) -> String {
        format!(
            "p50 {} · p95 {} · p99 {} · max {} ms (n={})",
            ms(self.p50_ms),
            ms(self.p95_ms),
            ms(self.p99_ms),
            ms(self.max_ms),
            self.n
        )
    }
}

/// Milliseconds with three decimals: enough below a millisecond, not noisy above.
pub fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

pub fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

pub fn millis(d: Duration) -> f64 {
    round(d.as_secs_f64() * 1000.0)
}

/// One table row: what was measured, the figure, and the target it is held against.
pub struct Row {
    pub what: String,
    pub figure: String,
    pub target: &'static str,
}

pub fn row(what: impl Into<String>, figure: impl Into<String>, target: &'static str) -> Row {
    Row {
        what: what.into(),
        figure: figure.into(),
        target,
    }
}

/// A plain aligned table (no colours: it is often pasted into issues and READMEs).
pub fn table(title: &str, rows: &[Row]) -> String {
    let what = rows
        .iter()
        .map(|r| r.what.chars().count())
        .max()
        .unwrap_or(0);
    let figure = rows
        .iter()
        .map(|r| r.figure.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("{title}\n");
    for r in rows {
        let target = if r.target.is_empty() {
            String::new()
        } else {
            format!("  (target {})", r.target)
        };
        let line = format!("  {:<what$}  {:<figure$}{target}", r.what, r.figure);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What build measured it: debug builds are 5–10× slower and must not be quoted.
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(&samples);
        assert_eq!(s.n, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p95_ms, 95.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(s.mean_ms, 50.5);
        assert_eq!(Summary::of(&[]), Summary::default());
        let one = Summary::of(&[Duration::from_micros(1500)]);
        assert_eq!((one.p50_ms, one.p99_ms), (1.5, 1.5));
    }
}
