//! Canonical XML of one element held in a parsed document, for XML
//! signatures: inclusive C14N 1.0 and 1.1 and exclusive C14N 1.0, all
//! without comments, optionally with one subtree left out (the
//! enveloped-signature transform).
//!
//! The element is named by its [`offset`](super::Element::offset) in the
//! text [`parse_document`](super::parse_document) accepted — the node the
//! verifier holds, never a search for an element with the same name (a
//! decoy before the real one would otherwise be what gets canonicalised).
//!
//! It runs over text the core parser has already accepted (no DOCTYPE, no
//! entities beyond the predefined five, no processing instructions, bounded
//! size and depth), so only the canonicalisation rules live here. Inclusive
//! C14N renders every namespace declaration in scope on the apex and below
//! only where it changes, and carries the ancestors' `xml:*` attributes onto
//! the apex; exclusive C14N renders a declaration only where its prefix is
//! visibly used (by the element's name or one of its attributes, or named in
//! the `InclusiveNamespaces` prefix list) and not already rendered above.
//! Attributes are sorted by namespace URI and local name; empty elements
//! are written as start–end pairs; text and attribute values are re-escaped
//! the canonical way; comments are dropped. Prefixes are kept as written,
//! which is why this reads the text rather than the namespace-resolved tree.
//!
//! C14N 1.1 differs from 1.0 only in `xml:id` (not inherited) and
//! `xml:base` fix-up; `xml:base` is refused on the apex's ancestors rather
//! than fixed up, which no profile Borderpost speaks uses.

use std::collections::BTreeMap;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::PrefixDeclaration;
use quick_xml::reader::Reader;

use super::{Element, XML_NS};
use crate::error::AdapterError;

/// Inclusive Canonical XML 1.0.
pub const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// Inclusive Canonical XML 1.1.
pub const C14N_11: &str = "http://www.w3.org/2006/12/xml-c14n11";
/// Exclusive Canonical XML 1.0.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// A canonicalisation method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Inclusive C14N 1.0.
    Inclusive10,
    /// Inclusive C14N 1.1.
    Inclusive11,
    /// Exclusive C14N 1.0 with the `InclusiveNamespaces` prefix list
    /// (`#default` for the default namespace).
    Exclusive {
        /// Prefixes treated the inclusive way.
        inclusive_prefixes: Vec<String>,
    },
}

impl Method {
    /// The method an algorithm URI names (without comments), if supported.
    pub fn from_uri(uri: &str, inclusive_prefixes: Vec<String>) -> Option<Method> {
        match uri {
            C14N_10 => Some(Method::Inclusive10),
            C14N_11 => Some(Method::Inclusive11),
            EXC_C14N => Some(Method::Exclusive { inclusive_prefixes }),
            _ => None,
        }
    }
}

/// One open element of the input: the namespace declarations and `xml:`
/// attributes it makes.
struct Frame {
    decls: Vec<(String, String)>,
    xml_attrs: Vec<(String, String)>,
}

/// What one output element rendered, for its children: the namespace
/// bindings in force in the output.
type Rendered = BTreeMap<String, String>;

/// The canonical form of `element` (read from `text`), leaving out the
/// subtree of `exclude` if it lies inside.
pub fn canonicalize(
    text: &str,
    element: &Element,
    method: &Method,
    exclude: Option<&Element>,
) -> Result<String, AdapterError> {
    let target = element.offset.ok_or_else(|| {
        AdapterError::malformed(
            "XML",
            "the element to canonicalise was not read from this text",
        )
    })?;
    let exclude = exclude.and_then(|e| e.offset);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = String::new();
    // While inside the apex: the depth of the apex, the bindings rendered
    // per open output element, and the depth of a subtree being skipped.
    let mut apex: Option<usize> = None;
    let mut rendered: Vec<Rendered> = Vec::new();
    let mut skipping: Option<usize> = None;

    loop {
        let position = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| AdapterError::malformed("XML", e.to_string()))?;
        match event {
            Event::Start(_) | Event::Empty(_) => {
                let (start, empty) = match event {
                    Event::Start(start) => (start, false),
                    Event::Empty(start) => (start, true),
                    _ => continue,
                };
                stack.push(frame_of(&start)?);
                if skipping.is_none() && apex.is_some() && Some(position) == exclude {
                    skipping = Some(stack.len());
                }
                let output = if skipping.is_some() {
                    false
                } else if apex.is_none() && position == target {
                    apex = Some(stack.len());
                    true
                } else {
                    apex.is_some()
                };
                if output {
                    let is_apex = apex == Some(stack.len());
                    let parent = if is_apex {
                        Rendered::new()
                    } else {
                        rendered.last().cloned().unwrap_or_default()
                    };
                    let now = write_start(&mut out, &start, &stack, &parent, method, is_apex)?;
                    rendered.push(now);
                }
                if empty {
                    if output {
                        out.push_str("</");
                        out.push_str(qname(&start)?);
                        out.push('>');
                        rendered.pop();
                        if apex == Some(stack.len()) {
                            return Ok(out);
                        }
                    }
                    if skipping == Some(stack.len()) {
                        skipping = None;
                    }
                    stack.pop();
                }
            }
            Event::End(end) => {
                if skipping.is_none() && apex.is_some() {
                    out.push_str("</");
                    out.push_str(end.name().into_inner());
                    out.push('>');
                    rendered.pop();
                    if apex == Some(stack.len()) {
                        return Ok(out);
                    }
                }
                if skipping == Some(stack.len()) {
                    skipping = None;
                }
                stack.pop();
            }
            Event::Text(t) if apex.is_some() && skipping.is_none() => {
                escape_text(&mut out, &t.xml10_content());
            }
            Event::CData(c) if apex.is_some() && skipping.is_none() => {
                escape_text(&mut out, &c.xml10_content());
            }
            Event::GeneralRef(reference) if apex.is_some() && skipping.is_none() => {
                let ch = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| AdapterError::malformed("XML", e.to_string()))?
                } else {
                    match &*reference.xml10_content() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    }
                };
                let ch = ch.ok_or_else(|| AdapterError::Forbidden {
                    construct: "entity reference".to_owned(),
                })?;
                escape_text(&mut out, ch.encode_utf8(&mut [0; 4]));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Err(AdapterError::malformed(
        "XML",
        "the element to canonicalise is not in this text",
    ))
}

fn qname<'a>(start: &'a BytesStart<'_>) -> Result<&'a str, AdapterError> {
    Ok(start.name().into_inner())
}

fn frame_of(start: &BytesStart<'_>) -> Result<Frame, AdapterError> {
    let mut decls = Vec::new();
    let mut xml_attrs = Vec::new();
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| AdapterError::malformed("XML", e.to_string()))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| AdapterError::malformed("XML", e.to_string()))?
            .into_owned();
        match attr.key.as_namespace_binding() {
            Some(PrefixDeclaration::Default) => decls.push((String::new(), value)),
            Some(PrefixDeclaration::Named(prefix)) => decls.push((prefix.to_owned(), value)),
            None => {
                let key = attr.key.into_inner();
                if let Some(local) = key.strip_prefix("xml:") {
                    xml_attrs.push((local.to_owned(), value));
                }
            }
        }
    }
    Ok(Frame { decls, xml_attrs })
}

/// Every namespace binding in scope at the top of `stack` (an undeclared
/// default namespace is the empty string).
fn in_scope(stack: &[Frame]) -> BTreeMap<String, String> {
    let mut scope = BTreeMap::new();
    for frame in stack {
        for (prefix, uri) in &frame.decls {
            scope.insert(prefix.clone(), uri.clone());
        }
    }
    scope
}

fn resolve<'s>(scope: &'s BTreeMap<String, String>, prefix: &str) -> Option<&'s str> {
    match prefix {
        "xml" => Some(XML_NS),
        _ => scope
            .get(prefix)
            .map(String::as_str)
            .filter(|uri| !uri.is_empty()),
    }
}

/// Writes a start tag in canonical form and returns the namespace bindings
/// in force in the output below it. `parent` is what the output parent has
/// in force (nothing, for the apex).
fn write_start(
    out: &mut String,
    start: &BytesStart<'_>,
    stack: &[Frame],
    parent: &Rendered,
    method: &Method,
    is_apex: bool,
) -> Result<Rendered, AdapterError> {
    let scope = in_scope(stack);
    let name = start.name();
    let (_, element_prefix) = name.decompose();
    let element_prefix = element_prefix
        .map(|p| p.into_inner().to_owned())
        .unwrap_or_default();

    // Attributes (other than namespace declarations), with their
    // namespace URI for sorting.
    let mut attrs: Vec<(String, String, String, String)> = Vec::new();
    let mut attribute_prefixes: Vec<String> = Vec::new();
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| AdapterError::malformed("XML", e.to_string()))?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| AdapterError::malformed("XML", e.to_string()))?
            .into_owned();
        let (local, prefix) = attr.key.decompose();
        let ns = match prefix {
            None => String::new(),
            Some(p) => {
                let p = p.into_inner().to_owned();
                let uri = resolve(&scope, &p)
                    .ok_or_else(|| {
                        AdapterError::malformed("XML", "undeclared attribute namespace prefix")
                    })?
                    .to_owned();
                if p != "xml" {
                    attribute_prefixes.push(p);
                }
                uri
            }
        };
        attrs.push((
            ns,
            local.into_inner().to_owned(),
            attr.key.into_inner().to_owned(),
            value,
        ));
    }

    // The namespace bindings this element must render.
    let mut now = parent.clone();
    let mut render: BTreeMap<String, String> = BTreeMap::new();
    match method {
        Method::Inclusive10 | Method::Inclusive11 => {
            for (prefix, uri) in &scope {
                let inherited = parent.get(prefix).map(String::as_str).unwrap_or("");
                if uri != inherited {
                    render.insert(prefix.clone(), uri.clone());
                }
                now.insert(prefix.clone(), uri.clone());
            }
        }
        Method::Exclusive { inclusive_prefixes } => {
            let mut used: Vec<String> = vec![element_prefix.clone()];
            used.extend(attribute_prefixes.iter().cloned());
            for listed in inclusive_prefixes {
                let prefix = if listed == "#default" {
                    String::new()
                } else {
                    listed.clone()
                };
                if scope.contains_key(&prefix) {
                    used.push(prefix);
                }
            }
            for prefix in used {
                let uri = scope.get(&prefix).cloned().unwrap_or_default();
                let inherited = parent.get(&prefix).map(String::as_str).unwrap_or("");
                if uri != inherited {
                    render.insert(prefix.clone(), uri.clone());
                }
                now.insert(prefix, uri);
            }
        }
    }

    if matches!(method, Method::Inclusive10 | Method::Inclusive11) && is_apex {
        // Inclusive C14N of a subset carries the nearest ancestors' xml:*
        // attributes onto the apex (1.1: except xml:id; xml:base would
        // need fixing up, which is refused rather than guessed).
        let mut inherited: BTreeMap<String, String> = BTreeMap::new();
        for frame in &stack[..stack.len().saturating_sub(1)] {
            for (name, value) in &frame.xml_attrs {
                inherited.insert(name.clone(), value.clone());
            }
        }
        for (name, value) in inherited {
            if name == "base" {
                return Err(AdapterError::Unsupported {
                    what: "xml:base above a signed element".to_owned(),
                });
            }
            if name == "id" && *method == Method::Inclusive11 {
                continue;
            }
            let qualified = format!("xml:{name}");
            if !attrs.iter().any(|a| a.2 == qualified) {
                attrs.push((XML_NS.to_owned(), name, qualified, value));
            }
        }
    }

    out.push('<');
    out.push_str(qname(start)?);
    // Namespace declarations sorted by prefix (the default first), then
    // attributes by (namespace URI, local name).
    for (prefix, uri) in &render {
        if prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(prefix);
            out.push_str("=\"");
        }
        escape_attr(out, uri);
        out.push('"');
    }
    attrs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (_, _, qualified, value) in attrs {
        out.push(' ');
        out.push_str(&qualified);
        out.push_str("=\"");
        escape_attr(out, &value);
        out.push('"');
    }
    out.push('>');
    Ok(now)
}

/// Appends `text` escaped as canonical XML writes character data (also
/// for code that writes signed elements directly in canonical form).
pub fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Appends `value` escaped as canonical XML writes an attribute value.
pub fn escape_attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{XmlLimits, parse_document};

    fn find<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
        if e.name == name {
            return Some(e);
        }
        e.elements().find_map(|c| find(c, name))
    }

    fn c14n(xml: &str, name: &str, method: &Method, exclude: Option<&str>) -> String {
        let (text, root) = parse_document(xml.as_bytes(), &XmlLimits::default()).unwrap();
        let element = find(&root, name).unwrap();
        let exclude = exclude.map(|n| find(&root, n).unwrap());
        canonicalize(text, element, method, exclude).unwrap()
    }

    #[test]
    fn inclusive_renders_inherited_namespaces_and_sorted_attributes() {
        let xml = r#"<r xmlns="urn:a" xmlns:p="urn:p"><s xml:lang="no"><t b="2" a="1" p:c="&amp;"/><u>x&lt;y</u></s></r>"#;
        assert_eq!(
            c14n(xml, "t", &Method::Inclusive10, None),
            // Sorted by namespace URI: none, then http://www.w3.org/XML/…, then urn:p.
            r#"<t xmlns="urn:a" xmlns:p="urn:p" a="1" b="2" xml:lang="no" p:c="&amp;"></t>"#
        );
        assert_eq!(
            c14n(xml, "s", &Method::Inclusive10, None),
            r#"<s xmlns="urn:a" xmlns:p="urn:p" xml:lang="no"><t a="1" b="2" p:c="&amp;"></t><u>x&lt;y</u></s>"#
        );
    }

    #[test]
    fn exclusive_renders_only_visibly_used_namespaces() {
        let xml = r#"<r xmlns="urn:a" xmlns:p="urn:p" xmlns:q="urn:q"><s xml:lang="no"><q:t p:c="1"><u/></q:t></s></r>"#;
        assert_eq!(
            c14n(
                xml,
                "t",
                &Method::Exclusive {
                    inclusive_prefixes: vec![]
                },
                None
            ),
            r#"<q:t xmlns:p="urn:p" xmlns:q="urn:q" p:c="1"><u xmlns="urn:a"></u></q:t>"#
        );
        assert_eq!(
            c14n(
                xml,
                "t",
                &Method::Exclusive {
                    inclusive_prefixes: vec!["#default".to_owned()]
                },
                None
            ),
            r#"<q:t xmlns="urn:a" xmlns:p="urn:p" xmlns:q="urn:q" p:c="1"><u></u></q:t>"#
        );
    }

    #[test]
    fn the_held_node_is_canonicalised_not_the_first_of_its_name() {
        let xml = r#"<r><x Id="a">decoy</x><y><x Id="a">real</x></y></r>"#;
        let (text, root) = parse_document(xml.as_bytes(), &XmlLimits::default()).unwrap();
        let real = root.elements().nth(1).unwrap().elements().next().unwrap();
        assert_eq!(
            canonicalize(text, real, &Method::Inclusive10, None).unwrap(),
            r#"<x Id="a">real</x>"#
        );
        let built = Element::new(None, "x");
        assert!(canonicalize(text, &built, &Method::Inclusive10, None).is_err());
    }

    #[test]
    fn the_excluded_subtree_is_left_out() {
        let xml =
            r#"<d xmlns="urn:d"><a>1</a><Signature xmlns="urn:s"><v>x</v></Signature><b/></d>"#;
        assert_eq!(
            c14n(
                xml,
                "d",
                &Method::Exclusive {
                    inclusive_prefixes: vec![]
                },
                Some("Signature")
            ),
            r#"<d xmlns="urn:d"><a>1</a><b></b></d>"#
        );
        let empty = r#"<d><a/><Signature/><b/></d>"#;
        assert_eq!(
            c14n(empty, "d", &Method::Inclusive10, Some("Signature")),
            "<d><a></a><b></b></d>"
        );
    }
}
