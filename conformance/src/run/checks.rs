//! Reading the target's answers: RFC 9457 problem documents (canonical
//! API, DPI) and Danish `Kvittering` documents, each checked for the
//! status, the format and the stable error code a case expects.

use borderpost_core::xml::{self, XmlLimits};
use borderpost_core::{DecodeContext, Receipt};
use serde_json::Value;
use time::OffsetDateTime;

use borderpost_sim::Reply;

/// The media type of a problem document.
pub const PROBLEM: &str = "application/problem+json";

/// The essence of a `Content-Type` (`type/subtype`, lower case).
pub fn essence(reply: &Reply) -> String {
    reply
        .content_type()
        .and_then(|c| c.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The stable code of a problem document: Borderpost's `code` member, or
/// the last segment of its `type` URI (`…/problems/too-large`,
/// `urn:borderpost:error:too-large`).
pub fn problem_code(doc: &Value) -> Option<String> {
    if let Some(code) = doc["code"].as_str() {
        return Some(code.to_owned());
    }
    let kind = doc["type"].as_str()?;
    kind.rsplit(['/', ':']).next().map(str::to_owned)
}

/// Checks that `reply` is a problem document with HTTP `status` and (if
/// given) error `code`: the media type, the RFC 9457 members `type`,
/// `title`, `status` (equal to the HTTP status) and `detail`.
pub fn problem(reply: &Reply, status: u16, code: Option<&str>) -> Result<Value, String> {
    if reply.status != status {
        return Err(format!(
            "expected HTTP {status}, got {}: {}",
            reply.status,
            short(&reply.text())
        ));
    }
    problem_document(reply, code)
}

/// Like [`problem`], for any status.
pub fn problem_document(reply: &Reply, code: Option<&str>) -> Result<Value, String> {
    if essence(reply) != PROBLEM {
        return Err(format!(
            "the answer is {:?}, not {PROBLEM}",
            reply.content_type().unwrap_or("without a content type")
        ));
    }
    let doc: Value = serde_json::from_slice(&reply.body)
        .map_err(|e| format!("the problem document is not JSON: {e}"))?;
    if !doc.is_object() {
        return Err("the problem document is not a JSON object".to_owned());
    }
    for member in ["type", "title", "detail"] {
        if !doc[member].is_string() {
            return Err(format!("the problem document has no {member:?} string"));
        }
    }
    match doc["status"].as_u64() {
        Some(s) if s == u64::from(reply.status.as_u16()) => {}
        Some(s) => {
            return Err(format!(
                "the problem's status {s} differs from the HTTP status {}",
                reply.status
            ));
        }
        None => return Err("the problem document has no numeric \"status\"".to_owned()),
    }
    no_internal_detail(&String::from_utf8_lossy(&reply.body))?;
    if let Some(code) = code {
        let found = problem_code(&doc);
        if found.as_deref() != Some(code) {
            return Err(format!(
                "expected the error code {code:?}, got {:?}: {}",
                found.unwrap_or_default(),
                doc["detail"].as_str().unwrap_or("")
            ));
        }
    }
    Ok(doc)
}

/// A decoded `Kvittering` answer.
#[derive(Debug, Clone)]
pub struct Kvittering {
    /// The receipt, decoded by the Danish adapter (which validates the
    /// document against its schema).
    pub receipt: Receipt,
    /// The `status` element (`ModtagetDigitalPost`, `Fejlet`, …).
    pub status: String,
    /// The `errorCode` element.
    pub error_code: Option<String>,
}

/// Checks that `reply` has HTTP `http_status` and is a valid `Kvittering`
/// with `status` and (if given) `errorCode` `code`.
pub fn kvittering(
    reply: &Reply,
    http_status: u16,
    status: &str,
    code: Option<&str>,
) -> Result<Kvittering, String> {
    if reply.status != http_status {
        return Err(format!(
            "expected HTTP {http_status}, got {}: {}",
            reply.status,
            short(&reply.text())
        ));
    }
    let k = read_kvittering(reply)?;
    if k.status != status {
        return Err(format!("expected a {status} Kvittering, got {}", k.status));
    }
    if let Some(code) = code
        && k.error_code.as_deref() != Some(code)
    {
        return Err(format!(
            "expected errorCode {code:?}, got {:?} ({})",
            k.error_code.clone().unwrap_or_default(),
            short(&reply.text())
        ));
    }
    Ok(k)
}

/// Reads a `Kvittering` answer of any status.
pub fn read_kvittering(reply: &Reply) -> Result<Kvittering, String> {
    let media = essence(reply);
    if media != "application/xml" && media != "text/xml" {
        return Err(format!(
            "the answer is {:?}, not an XML Kvittering",
            reply.content_type().unwrap_or("without a content type")
        ));
    }
    no_internal_detail(&String::from_utf8_lossy(&reply.body))?;
    let ctx = DecodeContext::new(OffsetDateTime::now_utc(), uuid::Uuid::nil());
    let receipt = borderpost_dk::receipt::decode(&reply.body, &ctx)
        .map_err(|e| format!("the answer is not a valid Kvittering: {e}"))?;
    let root = xml::parse(&reply.body, &XmlLimits::default())
        .map_err(|e| format!("the Kvittering is not XML: {e}"))?;
    let text = |name: &str| {
        root.elements()
            .find(|e| e.name == name)
            .map(|e| e.text().trim().to_owned())
    };
    Ok(Kvittering {
        receipt,
        status: text("status").unwrap_or_default(),
        error_code: text("errorCode"),
    })
}

/// What an error answer must never show a caller, by what gives it away:
/// a library's error stack, a source or file path, a type path, a panic,
/// or which step of opening encrypted content failed (a padding oracle).
const INTERNAL_DETAIL: [(&str, &str); 11] = [
    ("SSL routines", "an OpenSSL error stack"),
    ("error:0", "an OpenSSL error code"),
    (":lib(", "an OpenSSL error stack"),
    (".rs:", "a source location"),
    ("/home/", "a file path"),
    ("/root/", "a file path"),
    ("/work/", "a file path"),
    ("::", "a type path"),
    ("panicked", "a panic message"),
    ("backtrace", "a backtrace"),
    ("padding", "which decryption step failed"),
];

/// Checks that an error answer carries no internal detail.
pub fn no_internal_detail(body: &str) -> Result<(), String> {
    let lower = body.to_ascii_lowercase();
    for (marker, what) in INTERNAL_DETAIL {
        if lower.contains(&marker.to_ascii_lowercase()) {
            return Err(format!(
                "the error answer shows {what} ({marker:?}): {}",
                short(body)
            ));
        }
    }
    Ok(())
}

/// At most 300 characters of `text`, for reasons.
pub fn short(text: &str) -> String {
    let mut out: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, content_type: &str, body: &str) -> Reply {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_str(content_type).unwrap(),
        );
        Reply {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers,
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn problems_are_checked_member_by_member() {
        let good = r#"{"type":"https://borderpost.eu/problems/too-large","title":"Payload Too Large","status":413,"detail":"x","code":"too-large"}"#;
        assert!(problem(&reply(413, PROBLEM, good), 413, Some("too-large")).is_ok());
        assert!(problem(&reply(413, PROBLEM, good), 413, Some("schema")).is_err());
        assert!(problem(&reply(202, PROBLEM, good), 413, None).is_err());
        assert!(problem(&reply(413, "application/json", good), 413, None).is_err());
        let urn = r#"{"type":"urn:borderpost:error:signature-invalid","title":"t","status":400,"detail":"d"}"#;
        assert!(problem(&reply(400, PROBLEM, urn), 400, Some("signature-invalid")).is_ok());
        let wrong_status = r#"{"type":"t","title":"t","status":400,"detail":"d"}"#;
        assert!(problem(&reply(413, PROBLEM, wrong_status), 413, None).is_err());
    }

    #[test]
    fn internal_detail_in_an_error_answer_fails_the_check() {
        for detail in [
            "decryption failed: error:0A000086:SSL routines::certificate verify failed",
            "the content does not decrypt (bad padding)",
            "cannot read /work/main/data/payload.key",
            "thread 'main' panicked at gateway/src/app.rs:12:5",
            "borderpost_gateway::journal::JournalError",
        ] {
            let body = format!(
                r#"{{"type":"t","title":"t","status":400,"detail":{}}}"#,
                Value::String(detail.to_owned())
            );
            assert!(
                problem(&reply(400, PROBLEM, &body), 400, None).is_err(),
                "{detail}"
            );
        }
        let fine = r#"{"type":"t","title":"t","status":400,"detail":"the encrypted content could not be opened and verified"}"#;
        assert!(problem(&reply(400, PROBLEM, fine), 400, None).is_ok());
    }
}
