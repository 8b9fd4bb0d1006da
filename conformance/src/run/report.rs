//! What a run found: one verdict per case with its evidence, and the three
//! ways it is written out (human summary, JSON, JUnit XML).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::catalogue::Suite;

/// The longest excerpt of a body kept as evidence. Enough to show a
/// problem document or a `Kvittering`; bodies of megabytes are cut.
pub const MAX_EXCERPT: usize = 1200;

/// A case's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The target meets the requirement.
    Pass,
    /// The target does not meet the requirement (or did not answer).
    Fail,
    /// The case does not apply, or could not be decided (its reason says
    /// why: a missing certificate, an unreachable simulator, a quota that
    /// never ran out).
    Skip,
}

impl Verdict {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
        }
    }
}

/// One piece of evidence: what was sent and what came back, or a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What this step was, in a few words.
    pub what: String,
    /// What was sent (request line, notable headers, a body excerpt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// What came back (status, notable headers, a body excerpt), or the
    /// error in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
}

impl Evidence {
    /// A note with no exchange.
    pub fn note(what: impl Into<String>) -> Evidence {
        Evidence {
            what: what.into(),
            sent: None,
            received: None,
        }
    }
}

/// What a case found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one sentence.
    pub reason: String,
    /// The exchanges and notes behind it.
    pub evidence: Vec<Evidence>,
}

/// One case's result in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The stable id, e.g. `TLS-001`.
    pub id: String,
    /// The suite it belongs to.
    pub suite: Suite,
    /// The requirement, in one line.
    pub requirement: String,
    /// Where the requirement comes from.
    pub source: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// What was sent and what came back.
    pub evidence: Vec<Evidence>,
    /// How long the case took, in milliseconds.
    pub duration_ms: u64,
}

/// Counts per verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Cases that passed.
    pub pass: usize,
    /// Cases that failed.
    pub fail: usize,
    /// Cases skipped.
    pub skip: usize,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The tool and its version.
    pub tool: String,
    /// The target's base URL.
    pub target: String,
    /// When the run started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// What the runner learnt about its setup (the target's certificate,
    /// the simulators, the certificates it found): the context a reader
    /// needs to judge the skips.
    pub setup: Vec<String>,
    /// Counts per verdict.
    pub totals: Totals,
    /// Every case that ran, in catalogue order.
    pub cases: Vec<CaseResult>,
}

// === impl Report ===

impl Report {
    /// Whether no case failed (skips allowed).
    pub fn passed(&self) -> bool {
        self.totals.fail == 0
    }

    /// Recomputes [`Report::totals`] from the cases.
    pub fn recount(&mut self) {
        let mut totals = Totals::default();
        for case in &self.cases {
            match case.verdict {
                Verdict::Pass => totals.pass += 1,
                Verdict::Fail => totals.fail += 1,
                Verdict::Skip => totals.skip += 1,
            }
        }
        self.totals = totals;
    }

    /// The ids of the cases with `verdict`.
    pub fn ids(&self, verdict: Verdict) -> Vec<&str> {
        self.cases
            .iter()
            .filter(|c| c.verdict == verdict)
            .map(|c| c.id.as_str())
            .collect()
    }

    /// The result of case `id`.
    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// The human summary: one line per case, the reason and evidence of
    /// every failure, the reason of every skip, and the totals.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "borderpost-conformance run against {}", self.target);
        for line in &self.setup {
            let _ = writeln!(out, "  {line}");
        }
        out.push('\n');
        let mut suite = None;
        for case in &self.cases {
            if suite != Some(case.suite) {
                suite = Some(case.suite);
                let _ = writeln!(out, "[{}]", case.suite.name());
            }
            let _ = writeln!(
                out,
                "  {} {:<8} {}",
                case.verdict.label(),
                case.id,
                case.requirement
            );
            match case.verdict {
                Verdict::Pass => {}
                Verdict::Skip => {
                    let _ = writeln!(out, "{:>17}{}", "", case.reason);
                }
                Verdict::Fail => {
                    let _ = writeln!(out, "{:>17}{}", "", case.reason);
                    let _ = writeln!(out, "{:>17}source: {}", "", case.source);
                    for e in &case.evidence {
                        write_evidence(&mut out, e, 17);
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "\n{} cases: {} passed, {} failed, {} skipped ({:.1} s)",
            self.cases.len(),
            self.totals.pass,
            self.totals.fail,
            self.totals.skip,
            self.duration_ms as f64 / 1000.0
        );
        if !self.passed() {
            let _ = writeln!(out, "failed: {}", self.ids(Verdict::Fail).join(", "));
        }
        out
    }

    /// The report as JUnit XML (the dialect Jenkins, GitLab and GitHub
    /// read): one `testsuite` per suite, one `testcase` per case named
    /// `ID requirement`, `failure` / `skipped` with the reason, and the
    /// evidence in `system-out`.
    pub fn junit(&self) -> String {
        super::junit::write(self)
    }
}

/// Writes one piece of evidence, indented.
pub(crate) fn write_evidence(out: &mut String, e: &Evidence, indent: usize) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}- {}", e.what);
    for (label, text) in [("sent", &e.sent), ("got ", &e.received)] {
        if let Some(text) = text {
            for (i, line) in text.lines().enumerate() {
                let head = if i == 0 { label } else { "    " };
                let _ = writeln!(out, "{pad}    {head} {line}");
            }
        }
    }
}

/// The first [`MAX_EXCERPT`] characters of `text`, with a note of how much
/// was left out.
pub(crate) fn excerpt(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_EXCERPT {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_EXCERPT).collect();
    format!("{cut}… ({} more characters)", count - MAX_EXCERPT)
}

/// Bytes as evidence: text when they are UTF-8 and printable, else their
/// length.
pub(crate) fn body_excerpt(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty body)".to_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text)
            if text
                .chars()
                .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')) =>
        {
            excerpt(text)
        }
        _ => format!("({} bytes of binary data)", bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_and_say_so() {
        let long = "x".repeat(MAX_EXCERPT + 5);
        assert!(excerpt(&long).ends_with("(5 more characters)"));
        assert_eq!(excerpt("short"), "short");
        assert_eq!(body_excerpt(b""), "(empty body)");
        assert_eq!(body_excerpt(&[0, 1, 2]), "(3 bytes of binary data)");
    }
}
