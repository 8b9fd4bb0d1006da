//! The C1→C2 REST API of DPI (`dpi-2022/openapi_spec.yaml`, "API for
//! digital post til innbygger 1.0.0") as pure codecs: the
//! `multipart/form-data` body of `POST /messages/out`, the receipt list of
//! `GET /messages/in`, the status list of `GET /messages/out/{id}/statuses`
//! and the RFC 7807 problem. No HTTP client or server lives here: the
//! gateway serves and calls these routes with these shapes.
//!
//! Every call carries `Authorization: Bearer <Maskinporten token>` (scope
//! `digitalpostinnbygger:send`). Borderpost does not mint that token: it
//! is configuration ([`crate::DpiConfig::maskinporten_token`]).
//!
//! The multipart codec is written by hand on purpose: it is small, it must
//! be strict and bounded (part count, header size, total size) and return
//! parts borrowed from the body as a [`Wire`], and the async `multer` crate
//! would bring a runtime into a crate that has no I/O.

use std::collections::BTreeMap;

use borderpost_core::adapter::{EncodedPart, Part};
use borderpost_core::canonical::check_json;
use borderpost_core::{AdapterError, Limits, Wire};
use serde::{Deserialize, Serialize};

use crate::{PART_DOKUMENTPAKKE, PART_FORRETNINGSMELDING};

/// Send a message: `POST` with the multipart body, `?kanal=` optional.
pub const PATH_MESSAGES_OUT: &str = "/messages/out";
/// Incoming messages (receipts): `GET`, query `avsenderidentifikator`,
/// `kanal`, `page`, `page_size`; `200` with [`IncomingMessage`]s or `204`.
pub const PATH_MESSAGES_IN: &str = "/messages/in";
/// The media type of problem responses.
pub const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";
/// The file name given to the package part (the OpenAPI file leaves it
/// open; servers that bind the part as a file want one).
pub const PACKAGE_FILENAME: &str = "dokumentpakke.cms";

/// `GET /messages/out/{id}/statuses`; `id` is the message's
/// `documentIdentification.instanceIdentifier`.
pub fn statuses_path(id: uuid::Uuid) -> String {
    format!("/messages/out/{id}/statuses")
}

/// `GET /messages/in/{id}` (the package of an incoming message).
pub fn message_in_path(id: uuid::Uuid) -> String {
    format!("/messages/in/{id}")
}

/// `POST /messages/in/{id}/read` (acknowledge; the message leaves the list).
pub fn read_path(id: uuid::Uuid) -> String {
    format!("/messages/in/{id}/read")
}

/// Checks a `kanal`: `[A-Za-z0-9_-]`, 1 to 28 characters (compared
/// case-insensitively by the access point).
pub fn validate_kanal(kanal: &str) -> Result<(), AdapterError> {
    let ok = (1..=28).contains(&kanal.len())
        && kanal
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AdapterError::schema(
            "kanal",
            "1 to 28 characters of A-Z, a-z, 0-9, _ and -",
        ))
    }
}

// === multipart ===

/// Bounds for [`parse_multipart`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// The most parts.
    pub max_parts: usize,
    /// The most header bytes of one part.
    pub max_header_bytes: usize,
    /// The largest body.
    pub max_body_bytes: u64,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        MultipartLimits {
            max_parts: 4,
            max_header_bytes: 4096,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

impl From<&Limits> for MultipartLimits {
    fn from(limits: &Limits) -> Self {
        MultipartLimits {
            max_body_bytes: limits.max_body_bytes,
            ..MultipartLimits::default()
        }
    }
}

/// An encoded multipart body and its `Content-Type` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartBody {
    /// `multipart/form-data; boundary=…`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

/// A boundary derived from an id (so the body is reproducible).
pub fn boundary(id: uuid::Uuid) -> String {
    format!("borderpost-{}", id.simple())
}

/// The body of `POST /messages/out` from an encoded DPI message's parts
/// (`forretningsmelding`, then `dokumentpakke`).
pub fn encode_multipart(
    parts: &[EncodedPart],
    boundary: &str,
) -> Result<MultipartBody, AdapterError> {
    check_boundary(boundary)?;
    let delimiter = format!("--{boundary}");
    let mut body = Vec::new();
    for part in parts {
        if !part
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(AdapterError::schema(
                "multipart",
                "part names must be plain tokens",
            ));
        }
        if contains(&part.body, delimiter.as_bytes()) {
            return Err(AdapterError::Crypto {
                detail: "the multipart boundary occurs in a part; choose another".to_owned(),
            });
        }
        body.extend_from_slice(delimiter.as_bytes());
        body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        body.extend_from_slice(part.name.as_bytes());
        body.push(b'"');
        if part.name == PART_DOKUMENTPAKKE {
            body.extend_from_slice(format!("; filename=\"{PACKAGE_FILENAME}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\nContent-Type: ");
        body.extend_from_slice(part.media_type.as_bytes());
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(&part.body);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(delimiter.as_bytes());
    body.extend_from_slice(b"--\r\n");
    Ok(MultipartBody {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        body,
    })
}

fn check_boundary(boundary: &str) -> Result<(), AdapterError> {
    // RFC 2046 bchars, without space so it never needs quoting.
    let ok = (1..=70).contains(&boundary.len())
        && boundary
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AdapterError::malformed(
            "multipart",
            "the boundary must be 1 to 70 characters of RFC 2046 bchars",
        ))
    }
}

/// Parses a `multipart/form-data` body into named parts borrowed from
/// `body`. Strict: CRLF line ends, every part named by
/// `Content-Disposition: form-data; name="…"`, no duplicate names, no
/// header folding, within `limits`.
pub fn parse_multipart<'a>(
    content_type: &'a str,
    body: &'a [u8],
    limits: &MultipartLimits,
) -> Result<Wire<'a>, AdapterError> {
    if body.len() as u64 > limits.max_body_bytes {
        return Err(AdapterError::TooLarge {
            what: "multipart body (bytes)".to_owned(),
            limit: limits.max_body_bytes,
        });
    }
    let boundary = boundary_of(content_type)?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();

    // The first delimiter: at the very start, or after a preamble line.
    let mut pos = if body.starts_with(delimiter) {
        delimiter.len()
    } else {
        let mut marker = b"\r\n".to_vec();
        marker.extend_from_slice(delimiter);
        find(body, &marker, 0).ok_or_else(|| bad("no opening boundary"))? + marker.len()
    };
    let mut parts: Vec<Part<'a>> = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            // Close delimiter; anything after it is epilogue.
            break;
        }
        // Transport padding, then CRLF.
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err(bad("a boundary line must end with CRLF"));
        }
        pos += padding + 2;
        if parts.len() == limits.max_parts {
            return Err(AdapterError::TooLarge {
                what: "multipart parts".to_owned(),
                limit: limits.max_parts as u64,
            });
        }
        let header_end = find(
            &body[..body.len().min(pos + limits.max_header_bytes + 4)],
            b"\r\n\r\n",
            pos,
        )
        .or_else(|| {
            body[pos..]
                .starts_with(b"\r\n")
                .then_some(pos.saturating_sub(2))
        })
        .ok_or_else(|| {
            if body.len() > pos + limits.max_header_bytes {
                AdapterError::TooLarge {
                    what: "multipart part headers (bytes)".to_owned(),
                    limit: limits.max_header_bytes as u64,
                }
            } else {
                bad("part headers do not end")
            }
        })?;
        let headers = std::str::from_utf8(&body[pos..header_end.max(pos)])
            .map_err(|_| bad("part headers are not UTF-8"))?;
        let (name, media_type) = part_headers(headers)?;
        let content_start = header_end + 4;
        let mut marker = b"\r\n".to_vec();
        marker.extend_from_slice(delimiter);
        let content_end =
            find(body, &marker, content_start).ok_or_else(|| bad("a part does not end"))?;
        if parts.iter().any(|p| p.name == name) {
            return Err(bad("a part name is repeated"));
        }
        parts.push(Part {
            name,
            media_type,
            body: &body[content_start..content_end],
        });
        pos = content_end + marker.len();
    }
    if parts.is_empty() {
        return Err(bad("no parts"));
    }
    Ok(Wire { parts })
}

fn boundary_of(content_type: &str) -> Result<&str, AdapterError> {
    let mut params = content_type.split(';');
    let essence = params.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(bad("the content type must be multipart/form-data"));
    }
    for param in params {
        if let Some((key, value)) = param.split_once('=')
            && key.trim().eq_ignore_ascii_case("boundary")
        {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            if value.is_empty() || value.len() > 70 {
                return Err(bad("the boundary must be 1 to 70 characters"));
            }
            return Ok(value);
        }
    }
    Err(bad("the content type has no boundary"))
}

/// The name (from `Content-Disposition`) and media type of a part.
fn part_headers(headers: &str) -> Result<(&str, Option<&str>), AdapterError> {
    let mut name = None;
    let mut media_type = None;
    for line in headers.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            return Err(bad("folded headers are not accepted"));
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| bad("a part header has no colon"))?;
        let value = value.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            let mut params = value.split(';');
            if !params
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("form-data")
            {
                return Err(bad("Content-Disposition must be form-data"));
            }
            for param in params {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("name")
                {
                    let v = v.trim();
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(v);
                    if v.is_empty() || v.contains(['\\', '"']) {
                        return Err(bad("a part name must be a plain quoted string"));
                    }
                    name = Some(v);
                }
            }
        } else if key.eq_ignore_ascii_case("content-type") {
            media_type = Some(value);
        } else if key.eq_ignore_ascii_case("content-transfer-encoding")
            && !matches!(
                value.to_ascii_lowercase().as_str(),
                "binary" | "8bit" | "7bit"
            )
        {
            return Err(bad("only binary parts are accepted (no transfer encoding)"));
        }
    }
    let name = name.ok_or_else(|| bad("a part has no name"))?;
    Ok((name, media_type))
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        let offset = haystack[i..].iter().position(|&b| b == first)?;
        i += offset;
        if haystack.get(i..i + needle.len()) == Some(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle, 0).is_some()
}

fn bad(detail: &str) -> AdapterError {
    AdapterError::malformed("multipart", detail)
}

/// The two DPI parts of a parsed body: (`forretningsmelding`, `dokumentpakke`).
pub fn dpi_parts<'a>(wire: &Wire<'a>) -> Result<(&'a [u8], &'a [u8]), AdapterError> {
    let get = |name: &str| {
        wire.part(name)
            .map(|p| p.body)
            .ok_or_else(|| AdapterError::schema("multipart", format!("the {name} part is missing")))
    };
    Ok((get(PART_FORRETNINGSMELDING)?, get(PART_DOKUMENTPAKKE)?))
}

// === JSON shapes ===

/// One entry of `GET /messages/in`: a receipt and where its package is
/// (receipts have none worth fetching).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingMessage {
    /// The receipt (or message) JWT.
    pub forretningsmelding: String,
    /// Where the package can be downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloadurl: Option<String>,
}

/// A status of a sent message at the access point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatusKind {
    /// Created at the sender's access point, not sent yet.
    Opprettet,
    /// Sent to the receiving access point.
    Sendt,
    /// Failed at the sender's access point.
    Feilet,
}

/// One entry of `GET /messages/out/{id}/statuses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageStatus {
    /// The status.
    pub status: StatusKind,
    /// Why (for example why it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beskrivelse: Option<String>,
    /// When (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// An RFC 7807 problem (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` when absent).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A short summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI for this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

impl Problem {
    /// A problem for an adapter error: `type` names the error code
    /// (`urn:borderpost:error:<code>`), `detail` is its message.
    pub fn from_error(error: &AdapterError, status: u16) -> Problem {
        Problem {
            kind: Some(format!("urn:borderpost:error:{}", error.code())),
            title: Some(error.code().to_owned()),
            status: Some(status),
            detail: Some(error.to_string()),
            instance: None,
            extensions: BTreeMap::new(),
        }
    }
}

/// Parses the body of `GET /messages/in`.
pub fn parse_incoming(json: &[u8], limits: &Limits) -> Result<Vec<IncomingMessage>, AdapterError> {
    parse_json(json, limits)
}

/// Parses the body of `GET /messages/out/{id}/statuses`.
pub fn parse_statuses(json: &[u8], limits: &Limits) -> Result<Vec<MessageStatus>, AdapterError> {
    parse_json(json, limits)
}

/// Parses a problem body.
pub fn parse_problem(json: &[u8], limits: &Limits) -> Result<Problem, AdapterError> {
    parse_json(json, limits)
}

fn parse_json<T: serde::de::DeserializeOwned>(
    json: &[u8],
    limits: &Limits,
) -> Result<T, AdapterError> {
    check_json(json, limits)?;
    serde_json::from_slice(json).map_err(|e| AdapterError::schema("body", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Vec<EncodedPart> {
        vec![
            EncodedPart {
                name: PART_FORRETNINGSMELDING.to_owned(),
                media_type: "application/jwt".to_owned(),
                body: b"eyJ.eyJ.sig".to_vec(),
            },
            EncodedPart {
                name: PART_DOKUMENTPAKKE.to_owned(),
                media_type: "application/octet-stream".to_owned(),
                body: vec![0x30, 0x80, b'\r', b'\n', b'-', b'-', 0xFF],
            },
        ]
    }

    #[test]
    fn multipart_round_trip() {
        let encoded = encode_multipart(&parts(), &boundary(uuid::Uuid::from_u128(7))).unwrap();
        let wire = parse_multipart(
            &encoded.content_type,
            &encoded.body,
            &MultipartLimits::default(),
        )
        .unwrap();
        let (jwt, cms) = dpi_parts(&wire).unwrap();
        assert_eq!(jwt, b"eyJ.eyJ.sig");
        assert_eq!(cms, parts()[1].body.as_slice());
        assert_eq!(wire.parts[1].media_type, Some("application/octet-stream"));
    }

    #[test]
    fn multipart_is_strict_and_bounded() {
        let encoded = encode_multipart(&parts(), "b").unwrap();
        // Every prefix short of the close delimiter fails cleanly (its
        // trailing CRLF is optional, as is any epilogue).
        for n in 0..encoded.body.len() - 2 {
            assert!(
                parse_multipart(
                    &encoded.content_type,
                    &encoded.body[..n],
                    &MultipartLimits::default()
                )
                .is_err()
            );
        }
        let limits = MultipartLimits {
            max_parts: 1,
            ..MultipartLimits::default()
        };
        assert_eq!(
            parse_multipart(&encoded.content_type, &encoded.body, &limits)
                .unwrap_err()
                .code(),
            "too-large"
        );
        assert!(parse_multipart("text/plain", &encoded.body, &MultipartLimits::default()).is_err());
        let dup = [
            encoded.body[..encoded.body.len() - 4].to_vec(),
            b"\r\nContent-Disposition: form-data; name=\"dokumentpakke\"\r\n\r\nx\r\n--b--\r\n"
                .to_vec(),
        ]
        .concat();
        assert!(parse_multipart(&encoded.content_type, &dup, &MultipartLimits::default()).is_err());
    }

    #[test]
    fn json_shapes() {
        let limits = Limits::default();
        let incoming = parse_incoming(
            br#"[{"forretningsmelding":"a.b.c","downloadurl":"https://ap.example/messages/in/1"}]"#,
            &limits,
        )
        .unwrap();
        assert_eq!(incoming[0].forretningsmelding, "a.b.c");
        let statuses = parse_statuses(
            br#"[{"status":"SENDT","timestamp":"2024-01-01T00:00:00Z"}]"#,
            &limits,
        )
        .unwrap();
        assert_eq!(statuses[0].status, StatusKind::Sendt);
        let problem =
            parse_problem(br#"{"type":"about:blank","detail":"x","extra":1}"#, &limits).unwrap();
        assert_eq!(problem.extensions.len(), 1);
        assert!(validate_kanal("min_kanal-1").is_ok());
        assert!(validate_kanal("min kanal").is_err());
        assert!(validate_kanal(&"a".repeat(29)).is_err());
    }
}
