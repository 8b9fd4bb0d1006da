//! The one serialisation of signed content: Mina meddelanden's "normal
//! form".
//!
//! The reference implementation removes every namespace prefix before it
//! signs (`XmlUtil.removeXmlNsPrefixes`, then DOM namespace fix-up): each
//! element is unprefixed and declares `xmlns="…"` where its namespace
//! differs from its parent's. The official signed sample is written that
//! way, and the mailbox side, which receives the sealed delivery re-wrapped
//! in a SOAP `deliverSecure` element, can only verify by rebuilding the
//! same form. So Borderpost signs this form and verifies this form: a
//! received delivery, bare or inside SOAP, is re-written from its
//! namespace-resolved tree and the signatures are checked on that text.
//!
//! Nothing of the content changes: every text node is kept, whitespace
//! included (a document re-indented after signing still fails), and only
//! what Canonical XML does not see anyway — prefixes, redundant
//! declarations, attribute quoting, empty-element syntax — is normalised.

use borderpost_core::xml::{Element, Node, XML_NS, is_xml_char};

/// `element` and its subtree in normal form, with the XML declaration.
pub(crate) fn document(element: &Element) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    write(&mut out, element, None);
    out
}

/// `element` in normal form, as a child of an element whose namespace is
/// `parent_ns`.
pub(crate) fn write(out: &mut String, element: &Element, parent_ns: Option<&str>) {
    let mut prefixes: Vec<(String, String)> = Vec::new();
    out.push('<');
    out.push_str(&element.name);
    if element.ns.as_deref() != parent_ns {
        out.push_str(" xmlns=\"");
        escape(out, element.ns.as_deref().unwrap_or(""), true);
        out.push('"');
    }
    for attr in &element.attrs {
        out.push(' ');
        match attr.ns.as_deref() {
            None => {}
            Some(XML_NS) => out.push_str("xml:"),
            Some(uri) => {
                // Unprefixed attributes are in no namespace, so a
                // namespaced one needs a prefix: generated the way DOM
                // namespace fix-up does.
                let prefix = match prefixes.iter().find(|(u, _)| u == uri) {
                    Some((_, p)) => p.clone(),
                    None => {
                        let p = format!("NS{}", prefixes.len() + 1);
                        prefixes.push((uri.to_owned(), p.clone()));
                        p
                    }
                };
                out.push_str(&prefix);
                out.push(':');
            }
        }
        out.push_str(&attr.name);
        out.push_str("=\"");
        escape(out, &attr.value, true);
        out.push('"');
    }
    for (uri, prefix) in &prefixes {
        out.push_str(" xmlns:");
        out.push_str(prefix);
        out.push_str("=\"");
        escape(out, uri, true);
        out.push('"');
    }
    if element.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for child in &element.children {
        match child {
            Node::Element(e) => write(out, e, element.ns.as_deref()),
            Node::Text(t) => escape(out, t, false),
        }
    }
    out.push_str("</");
    out.push_str(&element.name);
    out.push('>');
}

fn escape(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

#[cfg(test)]
mod tests {
    use borderpost_core::xml::{XmlLimits, c14n, parse_document};

    use super::*;

    #[test]
    fn prefixes_become_default_namespaces_and_canonical_forms_agree() {
        let xml = "<a:r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\"><a:x>1</a:x>\n <b:y xml:lang=\"sv\" b:k=\"v\">t &amp; u</b:y><z/></a:r>";
        let (_, root) = parse_document(xml.as_bytes(), &XmlLimits::default()).unwrap();
        let normal = document(&root);
        assert_eq!(
            normal,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r xmlns=\"urn:a\"><x>1</x>\n <y xmlns=\"urn:b\" xml:lang=\"sv\" NS1:k=\"v\" xmlns:NS1=\"urn:b\">t &amp; u</y><z xmlns=\"\"/></r>"
        );
        // Normal form is a fixed point.
        let (text, again) = parse_document(normal.as_bytes(), &XmlLimits::default()).unwrap();
        assert_eq!(document(&again), normal);
        assert_eq!(again, root);
        let method = c14n::Method::Exclusive {
            inclusive_prefixes: vec![],
        };
        let canonical = c14n::canonicalize(text, &again, &method, None).unwrap();
        assert!(canonical.starts_with("<r xmlns=\"urn:a\"><x>1</x>\n <y"));
    }
}
