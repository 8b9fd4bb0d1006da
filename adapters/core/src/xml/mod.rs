//! Hostile-input-safe XML: a pre-screen, a small namespace-aware tree, and a
//! writer.
//!
//! Every XML body Borderpost receives goes through [`parse`] first. It
//! refuses, before building anything:
//!
//! - input over the size limit, and input that is not UTF-8 (or declares
//!   another encoding);
//! - any `<!DOCTYPE` (so no entity can ever be declared — the XML-bomb and
//!   XXE families end here), any entity reference other than the five
//!   predefined ones and character references, and processing instructions
//!   other than the XML declaration;
//! - nesting deeper than the limit, and more elements or attributes than
//!   the limits allow.
//!
//! Why a tree rather than serde wire structs: national protocols put
//! elements of several namespaces side by side, senders bind them to any
//! prefix (or the default namespace), and a lossless relay must keep
//! subtrees Borderpost does not model *verbatim*. A namespace-resolved tree
//! gives adapters all three; the mapping code stays plain Rust.

use std::fmt;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::error::AdapterError;

pub mod c14n;
pub mod dsig;
mod write;

pub use write::{PrefixMap, XmlWriter, is_xml_char};

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// The largest input, in bytes.
    pub max_bytes: usize,
    /// The deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// The most elements in the document.
    pub max_elements: usize,
    /// The most attributes on one element.
    pub max_attributes: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 32,
            max_elements: 100_000,
            max_attributes: 64,
        }
    }
}

/// An element: its namespace, local name, attributes and children.
///
/// Two elements are equal when their namespace, name, attributes and
/// children are; where they were read from does not count.
#[derive(Clone)]
pub struct Element {
    /// The namespace URI, `None` if unqualified.
    pub ns: Option<String>,
    /// The local name.
    pub name: String,
    /// Attributes other than namespace declarations.
    pub attrs: Vec<Attribute>,
    /// Child elements and text, in document order.
    pub children: Vec<Node>,
    /// Where the element's start tag (its `<`) begins in the text
    /// [`parse_document`] returns; `None` for an element built in code.
    /// This is how a signature verifier canonicalises *the* node it holds,
    /// never the first element that happens to carry the same name.
    pub offset: Option<usize>,
}

/// An attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The namespace URI, `None` for an unprefixed attribute.
    pub ns: Option<String>,
    /// The local name.
    pub name: String,
    /// The value, with references resolved.
    pub value: String,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (text and CDATA, references resolved). Comments are
    /// dropped.
    Text(String),
}

/// The XML namespace (`xml:lang`, `xml:space`).
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Cheap checks only (size, encoding, DOCTYPE, entities, PIs, depth), for
/// code that hands the bytes to another parser afterwards. Returns the text
/// without a byte-order mark.
pub fn prescreen<'a>(input: &'a [u8], limits: &XmlLimits) -> Result<&'a str, AdapterError> {
    parse_with(input, limits, false).map(|(text, _)| text)
}

/// Pre-screens `input` and parses it into a tree rooted at the document
/// element.
pub fn parse(input: &[u8], limits: &XmlLimits) -> Result<Element, AdapterError> {
    parse_document(input, limits).map(|(_, root)| root)
}

/// Like [`parse`], and also returns the text the elements'
/// [`offset`](Element::offset)s point into (the input without a byte-order
/// mark): what [`c14n`] needs to canonicalise a signed element exactly as
/// it was written.
pub fn parse_document<'a>(
    input: &'a [u8],
    limits: &XmlLimits,
) -> Result<(&'a str, Element), AdapterError> {
    let (text, root) = parse_with(input, limits, true)?;
    let root = root.ok_or_else(|| AdapterError::malformed("XML", "no root element"))?;
    Ok((text, root))
}

fn parse_with<'a>(
    input: &'a [u8],
    limits: &XmlLimits,
    build: bool,
) -> Result<(&'a str, Option<Element>), AdapterError> {
    if input.len() > limits.max_bytes {
        return Err(AdapterError::TooLarge {
            what: "XML document (bytes)".to_owned(),
            limit: limits.max_bytes as u64,
        });
    }
    let text = std::str::from_utf8(input).map_err(|e| AdapterError::Encoding {
        detail: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.expand_empty_elements = false;

    let mut stack: Vec<Element> = Vec::new();
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut root: Option<Element> = None;
    let mut seen_root = false;

    loop {
        let position = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| malformed_at(position, e))?;
        let ns = namespace(resolved, position)?;
        match event {
            Event::Decl(decl) => {
                if let Some(encoding) = decl.encoding() {
                    let encoding = encoding.map_err(|e| malformed_at(position, e))?;
                    if !encoding.eq_ignore_ascii_case("utf-8") {
                        return Err(AdapterError::Encoding {
                            detail: format!(
                                "declared encoding {encoding:?}; only UTF-8 is accepted"
                            ),
                        });
                    }
                }
            }
            Event::DocType(_) => {
                return Err(AdapterError::Forbidden {
                    construct: "DOCTYPE declaration".to_owned(),
                });
            }
            Event::PI(_) => {
                return Err(AdapterError::Forbidden {
                    construct: "processing instruction".to_owned(),
                });
            }
            Event::Start(start) | Event::Empty(start) if seen_root && stack.is_empty() => {
                let _ = start;
                return Err(AdapterError::malformed("XML", "more than one root element"));
            }
            Event::Start(start) => {
                depth += 1;
                elements += 1;
                check_limits(depth, elements, limits)?;
                seen_root = true;
                let element = start_element(&reader, &start, ns, limits, position, build)?;
                stack.push(element);
            }
            Event::Empty(start) => {
                elements += 1;
                check_limits(depth + 1, elements, limits)?;
                seen_root = true;
                let element = start_element(&reader, &start, ns, limits, position, build)?;
                close(element, &mut stack, &mut root);
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if let Some(element) = stack.pop() {
                    close(element, &mut stack, &mut root);
                }
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                push_text(&mut stack, &content, position, build)?;
            }
            Event::CData(cdata) => {
                let content = cdata.xml10_content();
                push_text(&mut stack, &content, position, build)?;
            }
            Event::GeneralRef(reference) => {
                let ch = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| malformed_at(position, e))?
                } else {
                    predefined_entity(&reference)
                };
                let Some(ch) = ch else {
                    return Err(AdapterError::Forbidden {
                        construct: format!(
                            "entity reference &{};",
                            crate::id::truncate(&reference, 32)
                        ),
                    });
                };
                push_text(&mut stack, ch.encode_utf8(&mut [0; 4]), position, build)?;
            }
            Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() || !seen_root {
        return Err(AdapterError::malformed(
            "XML",
            "document ends before its root element is closed",
        ));
    }
    Ok((text, root))
}

fn check_limits(depth: usize, elements: usize, limits: &XmlLimits) -> Result<(), AdapterError> {
    if depth > limits.max_depth {
        return Err(AdapterError::TooDeep {
            limit: limits.max_depth,
        });
    }
    if elements > limits.max_elements {
        return Err(AdapterError::TooLarge {
            what: "XML document (elements)".to_owned(),
            limit: limits.max_elements as u64,
        });
    }
    Ok(())
}

fn namespace(resolved: ResolveResult<'_>, position: u64) -> Result<Option<String>, AdapterError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(Some(ns.0.to_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(AdapterError::malformed(
            "XML",
            format!("undeclared namespace prefix {prefix:?} near byte {position}"),
        )),
    }
}

fn start_element(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    ns: Option<String>,
    limits: &XmlLimits,
    position: u64,
    build: bool,
) -> Result<Element, AdapterError> {
    let mut attrs = Vec::new();
    for (count, attr) in start.attributes().with_checks(true).enumerate() {
        if count >= limits.max_attributes {
            return Err(AdapterError::TooLarge {
                what: "attributes on one element".to_owned(),
                limit: limits.max_attributes as u64,
            });
        }
        let attr = attr.map_err(|e| malformed_at(position, e))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| match e {
                quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                    ..,
                )) => AdapterError::Forbidden {
                    construct: "entity reference in an attribute".to_owned(),
                },
                other => malformed_at(position, other),
            })?;
        if attr.key.as_namespace_binding().is_some() || !build {
            continue;
        }
        let (resolved, local) = reader.resolver().resolve_attribute(attr.key);
        attrs.push(Attribute {
            ns: namespace(resolved, position)?,
            name: local.as_ref().to_owned(),
            value: value.into_owned(),
        });
    }
    let name = if build {
        start.local_name().as_ref().to_owned()
    } else {
        String::new()
    };
    Ok(Element {
        ns,
        name,
        attrs,
        children: Vec::new(),
        offset: usize::try_from(position).ok(),
    })
}

fn close(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

fn push_text(
    stack: &mut [Element],
    text: &str,
    position: u64,
    build: bool,
) -> Result<(), AdapterError> {
    let Some(parent) = stack.last_mut() else {
        if text.trim().is_empty() {
            return Ok(());
        }
        return Err(AdapterError::malformed(
            "XML",
            format!("text outside the root element near byte {position}"),
        ));
    };
    if !build {
        return Ok(());
    }
    match parent.children.last_mut() {
        Some(Node::Text(existing)) => existing.push_str(text),
        _ => parent.children.push(Node::Text(text.to_owned())),
    }
    Ok(())
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

fn malformed_at(position: u64, e: impl fmt::Display) -> AdapterError {
    AdapterError::malformed("XML", format!("{e} (near byte {position})"))
}

// === impl Element ===

impl Element {
    /// A new element with no attributes or children.
    pub fn new(ns: Option<&str>, name: &str) -> Element {
        Element {
            ns: ns.map(str::to_owned),
            name: name.to_owned(),
            attrs: Vec::new(),
            children: Vec::new(),
            offset: None,
        }
    }

    /// Whether this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns.as_deref() == Some(ns)
    }

    /// The child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, name))
    }

    /// All child elements `{ns}name`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.is(ns, name))
    }

    /// The element's text content (its direct text children, concatenated).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            if let Node::Text(t) = node {
                out.push_str(t);
            }
        }
        out
    }

    /// The unqualified attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Whether the element has non-whitespace text directly inside it.
    pub fn has_text(&self) -> bool {
        self.children
            .iter()
            .any(|n| matches!(n, Node::Text(t) if !t.trim().is_empty()))
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Element) -> bool {
        self.ns == other.ns
            && self.name == other.name
            && self.attrs == other.attrs
            && self.children == other.children
    }
}

impl Eq for Element {}

impl fmt::Debug for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{{{}}}{}>", self.ns.as_deref().unwrap_or(""), self.name)
    }
}

#[cfg(test)]
mod tests;
