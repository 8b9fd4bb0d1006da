//! Signed evidence of every step (DESIGN §9): one JWS per lifecycle event
//! of each copy, signed with the gateway's key (`RS256`, the certificate in
//! `x5c`), named after ETSI EN 319 522 events, holding a digest of the
//! native receipt it came from, and chained per copy (`prev` is the SHA-256
//! of the previous record) so a removed or reordered record shows.
//!
//! Records are built from the journal when asked for
//! (`GET /v1/messages/{id}/evidence`): the content is fixed by the
//! journal's history and RSASSA-PKCS1-v1_5 is deterministic, so the same
//! record is returned every time, and intake pays no signature.
//!
//! Verify with any JOSE tool: the header's `x5c[0]` is the signer.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use borderpost_core::{Signer, Status};
use serde::Serialize;

use crate::journal::{CopyState, MessageView};

/// The EN 319 522 event name for a status.
pub fn event_name(status: Status, first: bool) -> &'static str {
    match status {
        Status::Accepted => "SubmissionAcceptance",
        Status::Rejected if first => "SubmissionRejection",
        Status::Rejected => "RelayRejection",
        Status::Forwarded => "RelayAcceptance",
        Status::Delivered => "ContentConsignment",
        Status::Read => "ContentAccessTracking",
        Status::Printed => "RelayToNonERDS",
        Status::Undeliverable => "ContentConsignmentFailure",
        Status::Expired | Status::Failed => "RelayFailure",
    }
}

#[derive(Serialize)]
struct Record<'a> {
    /// The event, e.g. `ContentConsignment`.
    event: &'static str,
    /// `http://uri.etsi.org/19522/Event/<event>`.
    event_uri: String,
    /// A stable id for this record.
    evidence_id: String,
    /// Who issues the evidence (the gateway's organisation).
    issuer: String,
    /// The message and its sender.
    message_id: String,
    sender: &'a str,
    /// The recipient the copy is for.
    recipient: String,
    /// The copy's status after the event.
    status: Status,
    /// When the event happened (RFC 3339).
    time: String,
    /// When the message was submitted.
    submission_time: String,
    /// What happened, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    /// The native receipt the event came from: its protocol and SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt_protocol: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt_sha256: Option<String>,
    /// SHA-256 (base64url) of the previous record of this copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<String>,
}

/// Every evidence record of `view`, per copy in recipient order, each copy's
/// records in event order.
pub fn records(
    view: &MessageView,
    issuer: &str,
    signer: &dyn Signer,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for copy in &view.copies {
        out.extend(copy_records(view, copy, issuer, signer)?);
    }
    Ok(out)
}

fn copy_records(
    view: &MessageView,
    copy: &CopyState,
    issuer: &str,
    signer: &dyn Signer,
) -> Result<Vec<String>, String> {
    let leaf = signer
        .certificate_chain()
        .first()
        .ok_or("the evidence signer has no certificate")?;
    let header =
        serde_json::json!({ "alg": "RS256", "typ": "JWT", "x5c": [STANDARD.encode(leaf)] });
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).map_err(|e| e.to_string())?);
    let sender = view.record.key.sender.to_string();
    let mut prev: Option<String> = None;
    let mut out = Vec::with_capacity(copy.history.len());
    for (i, event) in copy.history.iter().enumerate() {
        let name = event_name(event.status, i == 0);
        let record = Record {
            event: name,
            event_uri: format!("http://uri.etsi.org/19522/Event/{name}"),
            evidence_id: format!("{}.{}.{}", view.record.key.id, copy.id.index, i),
            issuer: issuer.to_owned(),
            message_id: view.record.key.id.to_string(),
            sender: &sender,
            recipient: copy.recipient.to_string(),
            status: event.status,
            time: rfc3339(event.at)?,
            submission_time: rfc3339(view.record.received_at)?,
            detail: event.note.as_deref(),
            receipt_protocol: event.receipt.as_ref().map(|r| r.protocol.as_str()),
            receipt_sha256: event
                .receipt
                .as_ref()
                .map(|r| URL_SAFE_NO_PAD.encode(openssl::sha::sha256(r.body.as_bytes()))),
            prev: prev.take(),
        };
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&record).map_err(|e| e.to_string())?);
        let signing_input = format!("{header}.{payload}");
        let signature = signer
            .sign_rs256(signing_input.as_bytes())
            .map_err(|e| e.to_string())?;
        let jws = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
        prev = Some(URL_SAFE_NO_PAD.encode(openssl::sha::sha256(jws.as_bytes())));
        out.push(jws);
    }
    Ok(out)
}

fn rfc3339(at: time::OffsetDateTime) -> Result<String, String> {
    at.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| e.to_string())
}
