//! Canonical XML 1.0 (inclusive, without comments,
//! `http://www.w3.org/TR/2001/REC-xml-c14n-20010315`) of one element and
//! its subtree, for checking XAdES signatures made by others.
//!
//! It runs over text that `borderpost_core::xml::parse` has already
//! accepted (no DOCTYPE, no entities beyond the predefined five, no
//! processing instructions, bounded size and depth), so only the
//! canonicalisation rules live here: namespace declarations in scope are
//! rendered on the apex and thereafter only where they change; attributes
//! are sorted by namespace URI and local name; empty elements are written
//! as start-end pairs; text and attribute values are re-escaped the
//! canonical way; comments are dropped. Prefixes are kept as written —
//! which is why this cannot work on the core's namespace-resolved tree.
//!
//! Borderpost's own signatures do not need this: it writes the signed
//! elements directly in canonical form (see `asice::xades`).

use std::collections::BTreeMap;

use borderpost_core::AdapterError;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::PrefixDeclaration;
use quick_xml::reader::Reader;

/// Which element to canonicalise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// Its namespace URI.
    pub ns: &'a str,
    /// Its local name.
    pub name: &'a str,
    /// The value its `Id` attribute must have, if any.
    pub id: Option<&'a str>,
}

/// One open element: the namespace declarations and `xml:` attributes it
/// makes.
struct Frame {
    decls: Vec<(String, String)>,
    xml_attrs: Vec<(String, String)>,
}

/// The canonical form of the first element matching `target`.
pub(crate) fn canonicalize(xml: &str, target: Target<'_>) -> Result<String, AdapterError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Frame> = Vec::new();
    // While inside the target: the output, the depth of the apex, and the
    // namespace context rendered so far per open output element.
    let mut out = String::new();
    let mut apex: Option<usize> = None;
    let mut rendered: Vec<BTreeMap<String, String>> = Vec::new();

    loop {
        let event = reader
            .read_event()
            .map_err(|e| AdapterError::malformed("XML", e.to_string()))?;
        match event {
            Event::Start(start) => {
                let frame = frame_of(&start)?;
                stack.push(frame);
                if apex.is_none() && matches_target(&start, &stack, target)? {
                    apex = Some(stack.len());
                    let scope = in_scope(&stack);
                    write_start(&mut out, &start, &scope, &BTreeMap::new(), Some(&stack))?;
                    rendered.push(scope);
                } else if apex.is_some() {
                    let scope = in_scope(&stack);
                    let parent = rendered.last().cloned().unwrap_or_default();
                    write_start(&mut out, &start, &scope, &parent, None)?;
                    rendered.push(scope);
                }
            }
            Event::Empty(start) => {
                let frame = frame_of(&start)?;
                stack.push(frame);
                let qname = start.name().into_inner().to_owned();
                if apex.is_none() && matches_target(&start, &stack, target)? {
                    let scope = in_scope(&stack);
                    write_start(&mut out, &start, &scope, &BTreeMap::new(), Some(&stack))?;
                    out.push_str(&format!("</{qname}>"));
                    return Ok(out);
                } else if apex.is_some() {
                    let scope = in_scope(&stack);
                    let parent = rendered.last().cloned().unwrap_or_default();
                    write_start(&mut out, &start, &scope, &parent, None)?;
                    out.push_str(&format!("</{qname}>"));
                }
                stack.pop();
            }
            Event::End(end) => {
                if let Some(depth) = apex {
                    out.push_str(&format!("</{}>", end.name().into_inner()));
                    rendered.pop();
                    if stack.len() == depth {
                        return Ok(out);
                    }
                }
                stack.pop();
            }
            Event::Text(text) if apex.is_some() => {
                escape_text(&mut out, &text.xml10_content());
            }
            Event::CData(cdata) if apex.is_some() => {
                escape_text(&mut out, &cdata.xml10_content());
            }
            Event::GeneralRef(reference) if apex.is_some() => {
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
    Err(AdapterError::Package {
        detail: format!(
            "signatures.xml has no {}{} element to check",
            target.name,
            target
                .id
                .map(|id| format!(" with Id {id:?}"))
                .unwrap_or_default()
        ),
    })
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

/// Every namespace binding in scope at the top of `stack`.
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
        "xml" => Some("http://www.w3.org/XML/1998/namespace"),
        _ => scope
            .get(prefix)
            .map(String::as_str)
            .filter(|uri| !uri.is_empty()),
    }
}

fn matches_target(
    start: &BytesStart<'_>,
    stack: &[Frame],
    target: Target<'_>,
) -> Result<bool, AdapterError> {
    let (local, prefix) = start.name().decompose();
    if local.into_inner() != target.name {
        return Ok(false);
    }
    let scope = in_scope(stack);
    let ns = resolve(&scope, prefix.map_or("", |p| p.into_inner()));
    if ns != Some(target.ns) {
        return Ok(false);
    }
    match target.id {
        None => Ok(true),
        Some(id) => {
            for attr in start.attributes().with_checks(true) {
                let attr = attr.map_err(|e| AdapterError::malformed("XML", e.to_string()))?;
                if attr.key.into_inner() == "Id" {
                    let value = attr
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| AdapterError::malformed("XML", e.to_string()))?;
                    return Ok(value == id);
                }
            }
            Ok(false)
        }
    }
}

/// Writes a start tag in canonical form. `scope` is the element's
/// namespace context, `parent` what the output parent rendered; for the
/// apex, `ancestors` supplies inherited `xml:` attributes.
fn write_start(
    out: &mut String,
    start: &BytesStart<'_>,
    scope: &BTreeMap<String, String>,
    parent: &BTreeMap<String, String>,
    ancestors: Option<&[Frame]>,
) -> Result<(), AdapterError> {
    let qname = start.name().into_inner();
    out.push('<');
    out.push_str(qname);

    // Namespace declarations: those whose value differs from the output
    // parent's (everything, for the apex). An empty default namespace is
    // rendered only to undo a non-empty one.
    for (prefix, uri) in scope {
        let inherited = parent.get(prefix).map(String::as_str).unwrap_or("");
        if uri == inherited {
            continue;
        }
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
    // Attributes sorted by (namespace URI, local name).
    let mut attrs: Vec<(String, String, String, String)> = Vec::new();
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
            Some(p) => resolve(scope, p.into_inner())
                .ok_or_else(|| {
                    AdapterError::malformed("XML", "undeclared attribute namespace prefix")
                })?
                .to_owned(),
        };
        attrs.push((
            ns,
            local.into_inner().to_owned(),
            attr.key.into_inner().to_owned(),
            value,
        ));
    }
    if let Some(ancestors) = ancestors {
        // Inclusive C14N of a subset carries the nearest ancestor's xml:*
        // attributes onto the apex.
        let mut inherited: BTreeMap<String, String> = BTreeMap::new();
        for frame in &ancestors[..ancestors.len().saturating_sub(1)] {
            for (name, value) in &frame.xml_attrs {
                inherited.insert(name.clone(), value.clone());
            }
        }
        for (name, value) in inherited {
            if !attrs.iter().any(|a| a.2 == format!("xml:{name}")) {
                attrs.push((
                    "http://www.w3.org/XML/1998/namespace".to_owned(),
                    name.clone(),
                    format!("xml:{name}"),
                    value,
                ));
            }
        }
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
    Ok(())
}

fn escape_text(out: &mut String, text: &str) {
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

fn escape_attr(out: &mut String, value: &str) {
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

    #[test]
    fn renders_inherited_namespaces_and_sorted_attributes() {
        let xml = r#"<r xmlns="urn:a" xmlns:p="urn:p"><s xml:lang="no"><t b="2" a="1" p:c="&amp;"/><u>x&lt;y</u></s></r>"#;
        let c = canonicalize(
            xml,
            Target {
                ns: "urn:a",
                name: "t",
                id: None,
            },
        )
        .unwrap();
        assert_eq!(
            c,
            // Sorted by namespace URI: none, then http://www.w3.org/XML/…, then urn:p.
            r#"<t xmlns="urn:a" xmlns:p="urn:p" a="1" b="2" xml:lang="no" p:c="&amp;"></t>"#
        );
        let c = canonicalize(
            xml,
            Target {
                ns: "urn:a",
                name: "s",
                id: None,
            },
        )
        .unwrap();
        assert_eq!(
            c,
            r#"<s xmlns="urn:a" xmlns:p="urn:p" xml:lang="no"><t a="1" b="2" p:c="&amp;"></t><u>x&lt;y</u></s>"#
        );
    }
}
