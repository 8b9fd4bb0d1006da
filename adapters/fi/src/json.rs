//! Bounded, strict JSON reading, shared by every decoder of this crate.
//!
//! Every body is checked for size, UTF-8 and nesting before a parser
//! allocates anything (the core's `check_json`), then read with
//! `serde_path_to_error`, so a wrong field is reported at its JSON path
//! (`electronic.notifications.unreadMessageNotification.reminder`) rather
//! than at a line and column.

use borderpost_core::canonical::check_json;
use borderpost_core::{AdapterError, Limits};
use serde::de::DeserializeOwned;

/// The deepest nesting any Suomi.fi body has is five (a request's
/// `electronic.notifications.customisedNewMessageNotification.title`);
/// eight leaves room and still stops a nesting bomb at once.
pub(crate) const MAX_DEPTH: usize = 8;

/// Parses `json` as `T` within `max_bytes` (and the caller's limits, if
/// stricter).
pub(crate) fn parse<T: DeserializeOwned>(
    json: &[u8],
    limits: &Limits,
    max_bytes: u64,
) -> Result<T, AdapterError> {
    let bounded = Limits {
        max_body_bytes: limits.max_body_bytes.min(max_bytes),
        max_depth: limits.max_depth.min(MAX_DEPTH),
        ..*limits
    };
    check_json(json, &bounded)?;
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| path_error(e, json))?;
    deserializer.end().map_err(syntax_error)?;
    Ok(value)
}

/// Reads an already parsed value as `T`, naming the path of a misfit.
pub(crate) fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, AdapterError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = join(prefix, &e.path().to_string());
        AdapterError::schema(path, strip_position(&e.into_inner().to_string()))
    })
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>, json: &[u8]) -> AdapterError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            AdapterError::schema(join("", &path), strip_position(&inner.to_string()))
        }
        // serde_json reports a value of the wrong kind where an enum string
        // belongs (`true` for `"Default reminder"`) as a syntax error. If
        // the document is well-formed, it is a wrong value at that path.
        // (Only failing input pays for this second reading.)
        serde_json::error::Category::Syntax
            if serde_json::from_slice::<serde::de::IgnoredAny>(json).is_ok() =>
        {
            AdapterError::schema(
                join("", &path),
                "a value of the wrong kind (a string is expected)",
            )
        }
        _ => syntax_error(inner),
    }
}

fn syntax_error(e: serde_json::Error) -> AdapterError {
    AdapterError::malformed("JSON", e.to_string())
}

/// `serde_path_to_error` names the root `.`; Borderpost's errors name it `/`.
fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path == "." || path.is_empty()) {
        (true, true) => "/".to_owned(),
        (true, false) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{path}"),
    }
}

/// serde_json appends " at line L column C"; the path already says where.
fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// Checks a text field: `min..=max` characters, no control characters but
/// tab and line breaks.
pub(crate) fn text(path: &str, value: &str, min: usize, max: usize) -> Result<(), AdapterError> {
    let count = value.chars().count();
    if count < min {
        return Err(AdapterError::schema(
            path,
            if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("{count} characters, at least {min}")
            },
        ));
    }
    if count > max {
        return Err(AdapterError::schema(
            path,
            format!("{count} characters, at most {max}"),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AdapterError::schema(
            path,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

/// The first `max` characters of `s`, for quoting untrusted input in errors.
pub(crate) fn quote(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{:?}…", &s[..at]),
        None => format!("{s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "read by the deserialiser only")]
    struct Outer {
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "read by the deserialiser only")]
    struct Inner {
        n: u8,
    }

    #[test]
    fn errors_name_the_json_path() {
        let limits = Limits::default();
        let e = parse::<Outer>(br#"{"inner":{"n":300}}"#, &limits, 1024).unwrap_err();
        assert_eq!(e.code(), "schema");
        assert!(e.to_string().contains("inner.n"), "{e}");
        let e = parse::<Outer>(br#"{"inner":{"n":1,"x":2}}"#, &limits, 1024).unwrap_err();
        assert!(e.to_string().contains("unknown field `x`"), "{e}");
        let e = parse::<Outer>(br#"{"inner":{"n":1}"#, &limits, 1024).unwrap_err();
        assert_eq!(e.code(), "malformed");
        let e = parse::<Outer>(br#"{"inner":{"n":1}} x"#, &limits, 1024).unwrap_err();
        assert_eq!(e.code(), "malformed");
        let e = parse::<Outer>(&[b'['; 9], &limits, 1024).unwrap_err();
        assert_eq!(e.code(), "too-deep");
        let e = parse::<Outer>(&[b' '; 1025], &limits, 1024).unwrap_err();
        assert_eq!(e.code(), "too-large");
    }

    #[test]
    fn text_limits_and_control_characters() {
        assert!(text("t", "", 1, 3).is_err());
        assert!(text("t", "abc", 1, 3).is_ok());
        assert!(text("t", "abcd", 1, 3).is_err());
        assert!(text("t", "äöå", 1, 3).is_ok());
        assert!(text("t", "a\u{7}", 1, 3).is_err());
        assert!(text("t", "a\tb", 1, 3).is_ok());
        assert_eq!(quote("abcdef", 3), "\"abc\"…");
    }
}
