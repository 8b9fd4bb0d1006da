//! Writing XML: escaping, prefixes, and re-serialising kept subtrees.

use super::{Element, Node, XML_NS};

/// Namespace URI → prefix bindings that a document declares on its root.
#[derive(Debug, Clone, Default)]
pub struct PrefixMap {
    bindings: Vec<(String, String)>,
}

impl PrefixMap {
    /// An empty map.
    pub fn new() -> PrefixMap {
        PrefixMap::default()
    }

    /// Binds `prefix` to `uri`.
    pub fn bind(mut self, prefix: &str, uri: &str) -> PrefixMap {
        self.bindings.push((uri.to_owned(), prefix.to_owned()));
        self
    }

    /// The prefix bound to `uri`.
    pub fn prefix(&self, uri: &str) -> Option<&str> {
        self.bindings
            .iter()
            .find(|(u, _)| u == uri)
            .map(|(_, p)| p.as_str())
    }

    /// `xmlns:prefix="uri"` attribute pairs for the root element.
    pub fn declarations(&self) -> Vec<(String, String)> {
        self.bindings
            .iter()
            .map(|(uri, prefix)| (format!("xmlns:{prefix}"), uri.clone()))
            .collect()
    }
}

/// A small streaming XML writer. Output is UTF-8 with an XML declaration;
/// text and attribute values are escaped, and characters XML 1.0 cannot
/// carry are replaced by U+FFFD (validation rejects them earlier).
#[derive(Debug)]
pub struct XmlWriter {
    out: String,
    open: Vec<String>,
    indent: bool,
    /// Whether the element just opened has content yet (for indentation).
    last_was_start: bool,
}

impl XmlWriter {
    /// A writer with the XML declaration written, without indentation.
    pub fn new() -> XmlWriter {
        XmlWriter::with_indent(false)
    }

    /// A writer that puts each element on its own line, indented by depth.
    /// Safe for element-only content models like MeMo's.
    pub fn with_indent(indent: bool) -> XmlWriter {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            open: Vec::new(),
            indent,
            last_was_start: false,
        }
    }

    /// A writer with no declaration (for fragments).
    pub fn fragment() -> XmlWriter {
        XmlWriter {
            out: String::new(),
            open: Vec::new(),
            indent: false,
            last_was_start: false,
        }
    }

    fn newline(&mut self) {
        if self.indent {
            self.out.push('\n');
            for _ in 0..self.open.len() {
                self.out.push_str("  ");
            }
        } else if self.open.is_empty() && !self.out.is_empty() && self.out.ends_with("?>") {
            self.out.push('\n');
        }
    }

    fn open_tag(&mut self, qname: &str, attrs: &[(&str, &str)]) {
        self.newline();
        self.out.push('<');
        self.out.push_str(qname);
        for (name, value) in attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    /// Opens `<qname attrs…>`.
    pub fn start(&mut self, qname: &str, attrs: &[(&str, &str)]) -> &mut XmlWriter {
        self.open_tag(qname, attrs);
        self.out.push('>');
        self.open.push(qname.to_owned());
        self.last_was_start = true;
        self
    }

    /// Closes the innermost open element.
    pub fn end(&mut self) -> &mut XmlWriter {
        if let Some(qname) = self.open.pop() {
            if !self.last_was_start {
                self.newline();
            }
            self.out.push_str("</");
            self.out.push_str(&qname);
            self.out.push('>');
        }
        self.last_was_start = false;
        self
    }

    /// Writes `<qname>text</qname>`.
    pub fn leaf(&mut self, qname: &str, text: &str) -> &mut XmlWriter {
        self.leaf_with(qname, &[], text)
    }

    /// Writes `<qname attrs…>text</qname>`.
    pub fn leaf_with(&mut self, qname: &str, attrs: &[(&str, &str)], text: &str) -> &mut XmlWriter {
        self.open_tag(qname, attrs);
        self.out.push('>');
        escape_into(&mut self.out, text, false);
        self.out.push_str("</");
        self.out.push_str(qname);
        self.out.push('>');
        self.last_was_start = false;
        self
    }

    /// Writes `<qname>text</qname>` if `text` is `Some`.
    pub fn opt_leaf(&mut self, qname: &str, text: Option<&str>) -> &mut XmlWriter {
        if let Some(text) = text {
            self.leaf(qname, text);
        }
        self
    }

    /// Writes an empty element `<qname attrs…/>`.
    pub fn empty(&mut self, qname: &str, attrs: &[(&str, &str)]) -> &mut XmlWriter {
        self.open_tag(qname, attrs);
        self.out.push_str("/>");
        self.last_was_start = false;
        self
    }

    /// Writes `element` and its subtree, naming namespaces by `prefixes`
    /// (which the document root declares). A namespace with no prefix in
    /// the map gets a generated one, declared where it is first used.
    pub fn element(&mut self, element: &Element, prefixes: &PrefixMap) -> &mut XmlWriter {
        let mut local = Vec::new();
        self.write_element(element, prefixes, &mut local);
        self
    }

    fn write_element(
        &mut self,
        element: &Element,
        prefixes: &PrefixMap,
        local: &mut Vec<(String, String)>,
    ) {
        let scope = local.len();
        let mut declarations: Vec<(String, String)> = Vec::new();
        let mut qualify = |ns: Option<&str>,
                           name: &str,
                           local: &mut Vec<(String, String)>,
                           is_attr: bool|
         -> String {
            match ns {
                None if is_attr => name.to_owned(),
                None => name.to_owned(),
                Some(XML_NS) => format!("xml:{name}"),
                Some(uri) => {
                    if let Some(prefix) = prefixes.prefix(uri) {
                        return format!("{prefix}:{name}");
                    }
                    if let Some((_, prefix)) = local.iter().rev().find(|(u, _)| u == uri) {
                        return format!("{prefix}:{name}");
                    }
                    let prefix = format!("ns{}", local.len());
                    local.push((uri.to_owned(), prefix.clone()));
                    declarations.push((format!("xmlns:{prefix}"), uri.to_owned()));
                    format!("{prefix}:{name}")
                }
            }
        };
        let qname = qualify(element.ns.as_deref(), &element.name, local, false);
        let attrs: Vec<(String, String)> = element
            .attrs
            .iter()
            .map(|a| {
                (
                    qualify(a.ns.as_deref(), &a.name, local, true),
                    a.value.clone(),
                )
            })
            .collect();
        let all: Vec<(&str, &str)> = declarations
            .iter()
            .chain(attrs.iter())
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();

        let has_elements = element
            .children
            .iter()
            .any(|n| matches!(n, Node::Element(_)));
        if element.children.is_empty() {
            self.empty(&qname, &all);
        } else if !has_elements {
            self.leaf_with(&qname, &all, &element.text());
        } else {
            self.start(&qname, &all);
            for child in &element.children {
                match child {
                    Node::Element(e) => self.write_element(e, prefixes, local),
                    // Whitespace between elements is layout, not content.
                    Node::Text(t) if t.trim().is_empty() => {}
                    Node::Text(t) => {
                        escape_into(&mut self.out, t, false);
                        self.last_was_start = false;
                    }
                }
            }
            self.end();
        }
        local.truncate(scope);
    }

    /// The document.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.end();
        }
        if self.indent {
            self.out.push('\n');
        }
        self.out
    }
}

impl Default for XmlWriter {
    fn default() -> Self {
        XmlWriter::new()
    }
}

/// Whether `c` may appear in an XML 1.0 document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}
