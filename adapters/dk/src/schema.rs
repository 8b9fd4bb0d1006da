//! A small validator for the part of XML Schema that MeMo and Fjernprint
//! use: global and local elements in strict `xs:sequence`s, `xs:choice`s,
//! occurrence bounds, and simple types with length, pattern, enumeration and
//! range facets.
//!
//! Why not an XSD engine: there is none in pure Rust we would trust with
//! hostile input, and the two schemas are small and fixed. The tables in
//! `memo::xsd` and `fjernprint::xsd` transcribe the official XSDs element by
//! element; the test suite checks our output against the real files with
//! libxml2, so a transcription error shows up there.
//!
//! The validator runs on the tree `borderpost_core::xml::parse` built, which
//! already bounds size and depth, so recursion here is bounded too.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::AdapterError;
use borderpost_core::xml::Element;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A set of MeMo versions, as bits.
pub(crate) type Versions = u8;
/// MeMo 1.0.
pub(crate) const V1_0: Versions = 1;
/// MeMo 1.1.
pub(crate) const V1_1: Versions = 2;
/// MeMo 1.2.
pub(crate) const V1_2: Versions = 4;
/// Every version (and the only "version" of Fjernprint).
pub(crate) const ALL: Versions = V1_0 | V1_1 | V1_2;

/// The XML Schema instance namespace (`xsi:schemaLocation` and friends).
pub(crate) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A simple type: what the text of a leaf element (or an attribute) must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Simple {
    /// `xs:string` with a length range in characters.
    Text { min: usize, max: usize },
    /// MeMo's `memoUuidType`: a UUID whose version digit is 4.
    Uuid4,
    /// `xs:dateTime` that must end in `Z` (MeMo's `memoDateTimeType`).
    DateTimeZ,
    /// Plain `xs:dateTime`.
    DateTime,
    /// `xs:date`, with or without a time zone.
    Date,
    /// `xs:boolean`.
    Boolean,
    /// MeMo's `memoLanguageType`: `xs:language` of at most 2 characters.
    Language,
    /// One of the listed strings.
    Enum(&'static [&'static str]),
    /// An integer (`xs:long`, `xs:integer` and their restrictions) in a range.
    Integer { min: i64, max: i64 },
    /// `xs:base64Binary`.
    Base64,
    /// A pattern facet, checked by a function; the text says what it wants.
    Pattern(fn(&str) -> bool, &'static str),
}

/// What an element may contain.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content {
    /// Text of a simple type.
    Simple(Simple),
    /// Child elements in this order.
    Sequence(&'static [Particle]),
    /// Any one element (`xs:any`): not looked into further.
    Any,
}

/// An attribute an element may carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttrDecl {
    /// Its (unqualified) name.
    pub(crate) name: &'static str,
    /// Its type.
    pub(crate) simple: Simple,
    /// Whether it must be present.
    pub(crate) required: bool,
}

/// An element declaration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decl {
    /// Namespace URI.
    pub(crate) ns: &'static str,
    /// Local name.
    pub(crate) name: &'static str,
    /// Content model.
    pub(crate) content: Content,
    /// Attributes allowed on it (none for MeMo below the root).
    pub(crate) attrs: &'static [AttrDecl],
}

/// One item of a sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Particle {
    /// An element, `min..=max` times, present in `versions`, and optional
    /// (whatever `min` says) in the versions of `optional_in`.
    Element {
        decl: &'static Decl,
        min: u32,
        max: u32,
        versions: Versions,
        optional_in: Versions,
    },
    /// Exactly one of the branches (or none if `min` is 0 or a branch can
    /// be empty), chosen by its first element.
    Choice {
        branches: &'static [&'static [Particle]],
        min: u32,
    },
}

/// Unbounded `maxOccurs`.
pub(crate) const UNBOUNDED: u32 = u32::MAX;

/// An element that must occur exactly once.
pub(crate) const fn one(decl: &'static Decl) -> Particle {
    Particle::Element {
        decl,
        min: 1,
        max: 1,
        versions: ALL,
        optional_in: 0,
    }
}

/// An element that may occur once.
pub(crate) const fn opt(decl: &'static Decl) -> Particle {
    Particle::Element {
        decl,
        min: 0,
        max: 1,
        versions: ALL,
        optional_in: 0,
    }
}

/// An element that occurs `min..=max` times.
pub(crate) const fn many(decl: &'static Decl, min: u32, max: u32) -> Particle {
    Particle::Element {
        decl,
        min,
        max,
        versions: ALL,
        optional_in: 0,
    }
}

impl Particle {
    /// The same particle, present only in `versions`.
    pub(crate) const fn only(self, versions: Versions) -> Particle {
        match self {
            Particle::Element {
                decl,
                min,
                max,
                optional_in,
                ..
            } => Particle::Element {
                decl,
                min,
                max,
                versions,
                optional_in,
            },
            other => other,
        }
    }

    /// The same particle, optional in `versions`.
    pub(crate) const fn optional_in(self, optional_in: Versions) -> Particle {
        match self {
            Particle::Element {
                decl,
                min,
                max,
                versions,
                ..
            } => Particle::Element {
                decl,
                min,
                max,
                versions,
                optional_in,
            },
            other => other,
        }
    }
}

/// Declares a leaf element: `leaf!(NS, "name", Simple)`.
macro_rules! leaf {
    ($ns:expr, $name:literal, $simple:expr) => {
        &$crate::schema::Decl {
            ns: $ns,
            name: $name,
            content: $crate::schema::Content::Simple($simple),
            attrs: &[],
        }
    };
}
pub(crate) use leaf;

/// Declares an element with child elements: `seq!(NS, "name", [particles])`.
macro_rules! seq {
    ($ns:expr, $name:literal, [$($p:expr),* $(,)?]) => {
        $crate::schema::Decl {
            ns: $ns,
            name: $name,
            content: $crate::schema::Content::Sequence(&[$($p),*]),
            attrs: &[],
        }
    };
}
pub(crate) use seq;

/// Checks `element` against `decl` for a document of `version`. `path` names
/// the element in errors (`MessageHeader/Sender`); the caller has already
/// matched the element's name.
pub(crate) fn check(
    element: &Element,
    decl: &Decl,
    version: Versions,
    path: &str,
) -> Result<(), AdapterError> {
    check_attributes(element, decl, path)?;
    check_content(element, decl, version, path)
}

/// Like [`check`], without looking at the element's own attributes (for a
/// root whose attributes the caller has checked).
pub(crate) fn check_content(
    element: &Element,
    decl: &Decl,
    version: Versions,
    path: &str,
) -> Result<(), AdapterError> {
    match decl.content {
        Content::Simple(simple) => {
            if element.elements().next().is_some() {
                return Err(AdapterError::schema(
                    path,
                    "child elements are not allowed here; text is expected",
                ));
            }
            check_simple(&element.text(), simple, path)
        }
        Content::Sequence(particles) => {
            if element.has_text() {
                return Err(AdapterError::schema(path, "text is not allowed here"));
            }
            let children: Vec<&Element> = element.elements().collect();
            let mut at = 0;
            sequence(particles, &children, &mut at, version, path)?;
            match children.get(at) {
                Some(extra) => Err(AdapterError::schema(
                    path,
                    format!("unexpected element {}", describe(extra)),
                )),
                None => Ok(()),
            }
        }
        Content::Any => Ok(()),
    }
}

fn check_attributes(element: &Element, decl: &Decl, path: &str) -> Result<(), AdapterError> {
    for attr in &element.attrs {
        let known = attr
            .ns
            .is_none()
            .then(|| decl.attrs.iter().find(|a| a.name == attr.name))
            .flatten();
        match known {
            Some(a) => check_simple(&attr.value, a.simple, &format!("{path}/@{}", a.name))?,
            None => {
                return Err(AdapterError::schema(
                    path,
                    format!("unexpected attribute {}", attr.name),
                ));
            }
        }
    }
    for a in decl.attrs.iter().filter(|a| a.required) {
        if element.attr(a.name).is_none() {
            return Err(AdapterError::schema(
                path,
                format!("the attribute {} is required", a.name),
            ));
        }
    }
    Ok(())
}

fn sequence(
    particles: &[Particle],
    children: &[&Element],
    at: &mut usize,
    version: Versions,
    path: &str,
) -> Result<(), AdapterError> {
    for particle in particles {
        match *particle {
            Particle::Element {
                decl,
                min,
                max,
                versions,
                optional_in,
            } => {
                if versions & version == 0 {
                    continue;
                }
                let min = if optional_in & version != 0 { 0 } else { min };
                let mut count = 0;
                while count < max
                    && let Some(child) = children.get(*at)
                    && child.is(decl.ns, decl.name)
                {
                    check(child, decl, version, &format!("{path}/{}", decl.name))?;
                    count += 1;
                    *at += 1;
                }
                if count < min {
                    let found = children
                        .get(*at)
                        .map_or_else(|| "nothing".to_owned(), |e| describe(e));
                    return Err(AdapterError::schema(
                        path,
                        format!("{} expected, found {found}", decl.name),
                    ));
                }
            }
            Particle::Choice { branches, min } => {
                let next = children.get(*at).copied();
                match branches.iter().find(|b| starts(b, next, version)) {
                    Some(branch) => sequence(branch, children, at, version, path)?,
                    None if min == 0 || branches.iter().any(|b| nullable(b, version)) => {}
                    None => {
                        let found = next.map_or_else(|| "nothing".to_owned(), describe);
                        return Err(AdapterError::schema(
                            path,
                            format!("{} expected, found {found}", firsts(branches, version)),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether `branch` can begin with `next`.
fn starts(branch: &[Particle], next: Option<&Element>, version: Versions) -> bool {
    let Some(next) = next else { return false };
    for particle in branch {
        match *particle {
            Particle::Element {
                decl,
                min,
                versions,
                optional_in,
                ..
            } => {
                if versions & version == 0 {
                    continue;
                }
                if next.is(decl.ns, decl.name) {
                    return true;
                }
                if min > 0 && optional_in & version == 0 {
                    return false;
                }
            }
            Particle::Choice { branches, min } => {
                if branches.iter().any(|b| starts(b, Some(next), version)) {
                    return true;
                }
                if min > 0 && !branches.iter().any(|b| nullable(b, version)) {
                    return false;
                }
            }
        }
    }
    false
}

/// Whether `branch` may be empty.
fn nullable(branch: &[Particle], version: Versions) -> bool {
    branch.iter().all(|particle| match *particle {
        Particle::Element {
            min,
            versions,
            optional_in,
            ..
        } => versions & version == 0 || min == 0 || optional_in & version != 0,
        Particle::Choice { branches, min } => {
            min == 0 || branches.iter().any(|b| nullable(b, version))
        }
    })
}

fn firsts(branches: &[&[Particle]], version: Versions) -> String {
    let names: Vec<&str> = branches
        .iter()
        .filter_map(|b| {
            b.iter().find_map(|p| match *p {
                Particle::Element { decl, versions, .. } if versions & version != 0 => {
                    Some(decl.name)
                }
                _ => None,
            })
        })
        .collect();
    format!("one of {}", names.join(", "))
}

/// An element's name for messages: its local name, and its namespace when
/// that is not the one expected.
fn describe(element: &Element) -> String {
    match &element.ns {
        Some(ns) => format!("{{{ns}}}{}", element.name),
        None => element.name.clone(),
    }
}

/// XML Schema's whitespace "collapse" for the types that apply it.
fn collapse(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// Checks `text` against `simple`.
pub(crate) fn check_simple(text: &str, simple: Simple, path: &str) -> Result<(), AdapterError> {
    let fail = |detail: String| Err(AdapterError::schema(path, detail));
    match simple {
        Simple::Text { min, max } => {
            let n = text.chars().count();
            if n > max {
                return fail(format!("{n} characters, at most {max}"));
            }
            if n < min {
                return fail(format!("at least {min} characters expected"));
            }
            Ok(())
        }
        Simple::Uuid4 => {
            if is_uuid4(text) {
                Ok(())
            } else {
                fail(
                    "a UUID of version 4 expected (xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx)"
                        .into(),
                )
            }
        }
        Simple::DateTimeZ => {
            let t = collapse(text);
            if !t.ends_with('Z') {
                return fail("a UTC date and time ending in Z expected".into());
            }
            parse_date_time(t)
                .map(|_| ())
                .map_err(|detail| AdapterError::schema(path, detail))
        }
        Simple::DateTime => parse_date_time(collapse(text))
            .map(|_| ())
            .map_err(|detail| AdapterError::schema(path, detail)),
        Simple::Date => parse_date(collapse(text))
            .map(|_| ())
            .map_err(|detail| AdapterError::schema(path, detail)),
        Simple::Boolean => parse_bool(collapse(text))
            .map(|_| ())
            .ok_or_else(|| AdapterError::schema(path, "true or false expected")),
        Simple::Language => {
            let t = collapse(text);
            if (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphabetic()) {
                Ok(())
            } else {
                fail("a language code of one or two letters expected".into())
            }
        }
        Simple::Enum(values) => {
            if values.contains(&text) {
                Ok(())
            } else {
                fail(format!("one of {} expected", values.join(", ")))
            }
        }
        Simple::Integer { min, max } => {
            let t = collapse(text);
            let t = t.strip_prefix('+').unwrap_or(t);
            let digits = t.strip_prefix('-').unwrap_or(t);
            let value = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<i64>().ok())
                .flatten();
            match value {
                Some(v) if (min..=max).contains(&v) => Ok(()),
                _ => fail(format!("an integer from {min} to {max} expected")),
            }
        }
        Simple::Base64 => {
            let compact = strip_whitespace(text);
            if compact.len().is_multiple_of(4)
                && compact
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            {
                Ok(())
            } else {
                fail("base64 expected".into())
            }
        }
        Simple::Pattern(matches, what) => {
            if matches(text) {
                Ok(())
            } else {
                fail(format!("{what} expected"))
            }
        }
    }
}

/// MeMo's `memoUuidType` pattern, exactly (either case).
pub(crate) fn is_uuid4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            14 => c == b'4',
            19 => matches!(c, b'8' | b'9' | b'a' | b'b' | b'A' | b'B'),
            _ => c.is_ascii_hexdigit(),
        })
}

/// Parses an `xs:dateTime` that carries a time zone. One without a zone is
/// refused: it names no instant.
pub(crate) fn parse_date_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|_| "a date and time such as 2025-09-30T12:00:00Z expected".to_owned())
}

/// Parses an `xs:date` (`YYYY-MM-DD`, optionally with a time zone, which a
/// calendar date does not need and is dropped).
pub(crate) fn parse_date(s: &str) -> Result<time::Date, String> {
    let err = || {
        format!(
            "a date such as 2025-09-15 expected, found {:?}",
            truncate(s, 40)
        )
    };
    let (date, zone) = s.split_at_checked(10).ok_or_else(err)?;
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':'
            && zone
                .bytes()
                .enumerate()
                .all(|(i, b)| matches!(i, 0 | 3) || b.is_ascii_digit()));
    if !zone_ok {
        return Err(err());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &format).map_err(|_| err())
}

/// Parses an `xs:boolean`.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Decodes `xs:base64Binary` (whitespace allowed between characters).
pub(crate) fn decode_base64(text: &str, path: &str) -> Result<Vec<u8>, AdapterError> {
    STANDARD
        .decode(strip_whitespace(text).as_bytes())
        .map_err(|e| AdapterError::schema(path, format!("not base64: {e}")))
}

fn strip_whitespace(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        .collect()
}

/// The first `max` characters of untrusted text, for error messages.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// The text of the child `{ns}name`, if present.
pub(crate) fn child_text(element: &Element, ns: &str, name: &str) -> Option<String> {
    element.child(ns, name).map(Element::text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid4_pattern_is_the_xsd_one() {
        assert!(is_uuid4("8C2EA15D-61FB-4BA9-9366-42F8B194C114"));
        assert!(is_uuid4("fcdcf318-59b6-427c-9879-4f0af833d593"));
        assert!(!is_uuid4("8C2EA15D-61FB-1BA9-9366-42F8B194C114"));
        assert!(!is_uuid4("8C2EA15D-61FB-4BA9-7366-42F8B194C114"));
        assert!(!is_uuid4(" 8C2EA15D-61FB-4BA9-9366-42F8B194C114"));
    }

    #[test]
    fn dates_and_times() {
        assert!(parse_date("2018-09-15").is_ok());
        assert!(parse_date("2018-09-15Z").is_ok());
        assert!(parse_date("2018-09-15+02:00").is_ok());
        assert!(parse_date("2018-9-15").is_err());
        assert!(parse_date("2018-02-30").is_err());
        assert!(parse_date("").is_err());
        assert!(parse_date_time("2018-09-30T12:00:00Z").is_ok());
        assert!(parse_date_time("2018-09-30T12:00:00.5Z").is_ok());
        assert!(parse_date_time("2018-09-30T12:00:00").is_err());
        let z = Simple::DateTimeZ;
        assert!(check_simple("2018-09-30T12:00:00+02:00", z, "x").is_err());
    }

    #[test]
    fn integers_and_base64() {
        let gln = Simple::Integer {
            min: i64::MIN,
            max: 9_999_999_999_999,
        };
        assert!(check_simple("5798000012345", gln, "x").is_ok());
        assert!(check_simple("99999999999999", gln, "x").is_err());
        assert!(check_simple("12a", gln, "x").is_err());
        assert!(check_simple("", gln, "x").is_err());
        assert!(check_simple("VGhp\ncyBp", Simple::Base64, "x").is_ok());
        assert!(check_simple("VGhp!", Simple::Base64, "x").is_err());
    }
}
