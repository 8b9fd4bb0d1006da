//! The conformance suite: a catalogue of cases, each a requirement with a
//! source, judged against a target over the network only — like any
//! tester, the runner never links the gateway it tests.
//!
//! - [`catalogue`]: every case (`TLS-…`, `ID-…`, `API-…`, `DK-…`,
//!   `NO-…`, `JRN-…`, `LIM-…`) with its suite, requirement and source.
//! - [`run`]: meets the target, runs the selected cases in catalogue
//!   order, one at a time (evidence stays readable, and cases that count
//!   deliveries at a simulator are not disturbed by each other), and
//!   returns the [`Report`].
//! - [`Report`]: verdicts with evidence, written as a human summary, JSON
//!   or JUnit XML.
//!
//! Design decisions a reader would question:
//!
//! - **Messages are built with Borderpost's adapters** (MeMo, DPI): an
//!   adapter is Borderpost's executable reading of the national
//!   specification, tested on the official samples. The official samples
//!   themselves are sent where they can be (MeMo as published and
//!   corrected; the DPI business message JSON as the base of the DPI
//!   tampering cases). The complete DPI sample sets are encrypted to
//!   Digdir's unpublished keystore, so no gateway can accept them as
//!   published — which is itself a case.
//! - **A case that cannot be decided skips, with the reason**: a missing
//!   certificate, an unreachable simulator, a target that does not trust
//!   the example PKI (then refusing the negative certificates proves
//!   nothing), a quota that never ran out. Only a failure makes the run
//!   fail.
//! - **Translation fidelity is judged at the simulator**: the simulators
//!   keep what their decoder read (`GET /sim/messages/{id}`), and the case
//!   compares it with what it sent, field by field, naming the losses the
//!   adapters' READMEs document instead of ignoring them silently.

use std::time::{Duration, Instant};

use time::OffsetDateTime;

mod cases;
mod catalogue;
mod checks;
mod compare;
mod ctx;
mod junit;
mod messages;
mod options;
mod party;
mod probe;
mod report;
mod samples;

pub use catalogue::{Case, CaseFn, Suite, catalogue};
pub use ctx::Ctx;
pub use options::{
    DEFAULT_BURST, DEFAULT_OVERSIZE_BYTES, DEFAULT_SIM_DK, DEFAULT_SIM_NO, Error, Options,
};
pub use report::{CaseResult, Evidence, Outcome, Report, Totals, Verdict};

/// The cases `options` select, in catalogue order.
pub fn select(options: &Options) -> Vec<Case> {
    catalogue()
        .into_iter()
        .filter(|c| options.suites.is_empty() || options.suites.contains(&c.suite))
        .filter(|c| {
            options.cases.is_empty()
                || options.cases.iter().any(|p| {
                    c.id.to_ascii_uppercase()
                        .starts_with(&p.to_ascii_uppercase())
                })
        })
        .collect()
}

/// Runs the selected cases against the target and reports.
pub async fn run(options: Options) -> Result<Report, Error> {
    let started_at = OffsetDateTime::now_utc();
    let clock = Instant::now();
    let cases = select(&options);
    // A case that hangs must not hang the run: the longest legitimate case
    // waits for a delivery and then for its receipts.
    let case_limit = options.deliver_timeout * 3 + Duration::from_secs(60);
    let (ctx, setup, simulators) = Ctx::setup(options).await?;
    let mut results = Vec::with_capacity(cases.len());
    for case in cases {
        let started = Instant::now();
        tracing::debug!(id = case.id, "running");
        let outcome = match tokio::time::timeout(case_limit, (case.run)(&ctx)).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome {
                verdict: Verdict::Fail,
                reason: format!("the case did not finish within {case_limit:?}"),
                evidence: Vec::new(),
            },
        };
        tracing::debug!(id = case.id, verdict = outcome.verdict.label(), reason = %outcome.reason, "done");
        results.push(CaseResult {
            id: case.id.to_owned(),
            suite: case.suite,
            requirement: case.requirement.to_owned(),
            source: case.source.to_owned(),
            verdict: outcome.verdict,
            reason: outcome.reason,
            evidence: outcome.evidence,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
    for running in simulators {
        running.stop().await;
    }
    let mut report = Report {
        tool: format!("borderpost-conformance {}", env!("CARGO_PKG_VERSION")),
        target: ctx.base.clone(),
        started_at,
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        setup,
        totals: Totals::default(),
        cases: results,
    };
    report.recount();
    Ok(report)
}
