//! The JUnit XML report, written with the core crate's escaping XML
//! writer (a dozen elements do not need an XML library).
//!
//! The dialect is the common denominator CI systems read: `testsuites`
//! with totals, one `testsuite` per conformance suite, one `testcase` per
//! case (`classname` `borderpost.conformance.<suite>`, `name` `ID
//! requirement`), a `failure` (message = the reason, text = source and
//! evidence) or `skipped` (message = the reason) child, and the evidence
//! of passed cases in `system-out`.

use borderpost_core::xml::XmlWriter;

use super::report::{Report, Verdict, write_evidence};

/// Writes `report` as JUnit XML.
pub(crate) fn write(report: &Report) -> String {
    let mut w = XmlWriter::with_indent(true);
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let total = report.cases.len().to_string();
    let failures = report.totals.fail.to_string();
    let skipped = report.totals.skip.to_string();
    let time = seconds(report.duration_ms);
    w.start(
        "testsuites",
        &[
            ("name", "borderpost-conformance"),
            ("tests", &total),
            ("failures", &failures),
            ("errors", "0"),
            ("skipped", &skipped),
            ("time", &time),
        ],
    );
    // Suites in the order their first case appears.
    let mut suites = Vec::new();
    for case in &report.cases {
        if !suites.contains(&case.suite) {
            suites.push(case.suite);
        }
    }
    let timestamp = report
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    for suite in suites {
        let cases: Vec<_> = report.cases.iter().filter(|c| c.suite == suite).collect();
        let count = |v: Verdict| cases.iter().filter(|c| c.verdict == v).count().to_string();
        let tests = cases.len().to_string();
        let failures = count(Verdict::Fail);
        let skipped = count(Verdict::Skip);
        let time = seconds(cases.iter().map(|c| c.duration_ms).sum());
        w.start(
            "testsuite",
            &[
                ("name", suite.name()),
                ("tests", &tests),
                ("failures", &failures),
                ("errors", "0"),
                ("skipped", &skipped),
                ("time", &time),
                ("timestamp", &timestamp),
                ("hostname", &report.target),
            ],
        );
        let classname = format!("borderpost.conformance.{}", suite.name());
        for case in cases {
            let name = format!("{} {}", case.id, case.requirement);
            let time = seconds(case.duration_ms);
            w.start(
                "testcase",
                &[("classname", &classname), ("name", &name), ("time", &time)],
            );
            let mut evidence = String::new();
            for e in &case.evidence {
                write_evidence(&mut evidence, e, 0);
            }
            match case.verdict {
                Verdict::Pass => {}
                Verdict::Skip => {
                    w.empty("skipped", &[("message", &case.reason)]);
                }
                Verdict::Fail => {
                    let text = format!("{}\nsource: {}\n{evidence}", case.reason, case.source);
                    w.leaf_with(
                        "failure",
                        &[("message", &case.reason), ("type", "nonconformance")],
                        &text,
                    );
                }
            }
            if !evidence.is_empty() {
                w.leaf("system-out", &evidence);
            }
            w.end();
        }
        w.end();
    }
    w.end();
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::super::catalogue::Suite;
    use super::super::report::{CaseResult, Evidence, Report, Totals};
    use super::*;

    fn case(id: &str, suite: Suite, verdict: Verdict) -> CaseResult {
        CaseResult {
            id: id.to_owned(),
            suite,
            requirement: "a requirement with <markup> & \"quotes\"".to_owned(),
            source: "RFC 0000".to_owned(),
            verdict,
            reason: "because".to_owned(),
            evidence: vec![Evidence {
                what: "a request".to_owned(),
                sent: Some("GET /".to_owned()),
                received: Some("202 {}".to_owned()),
            }],
            duration_ms: 12,
        }
    }

    #[test]
    fn names_failed_cases_and_escapes_text() {
        let mut report = Report {
            tool: "t".to_owned(),
            target: "https://localhost:8443".to_owned(),
            started_at: time::OffsetDateTime::UNIX_EPOCH,
            duration_ms: 1500,
            setup: Vec::new(),
            totals: Totals::default(),
            cases: vec![
                case("TLS-001", Suite::Transport, Verdict::Fail),
                case("TLS-002", Suite::Transport, Verdict::Pass),
                case("LIM-004", Suite::Limits, Verdict::Skip),
            ],
        };
        report.recount();
        let xml = write(&report);
        let root = borderpost_core::xml::parse(xml.as_bytes(), &Default::default()).unwrap();
        assert_eq!(root.name, "testsuites");
        assert!(xml.contains(r#"tests="3" failures="1" errors="0" skipped="1""#));
        assert!(xml.contains(
            "name=\"TLS-001 a requirement with &lt;markup&gt; &amp; &quot;quotes&quot;\""
        ));
        assert!(xml.contains("<failure message=\"because\" type=\"nonconformance\">"));
        assert!(xml.contains("<skipped message=\"because\"/>"));
        assert_eq!(xml.matches("<testsuite ").count(), 2);
    }
}
