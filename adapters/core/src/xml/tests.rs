use super::*;

fn limits() -> XmlLimits {
    XmlLimits::default()
}

#[test]
fn parses_namespaces_whatever_the_prefix() {
    let prefixed = br#"<?xml version="1.0" encoding="UTF-8"?><m:a xmlns:m="urn:x"><m:b k="v">t &amp; &#65;</m:b></m:a>"#;
    let default = br#"<a xmlns="urn:x"><b k="v">t &amp; &#65;</b></a>"#;
    for input in [&prefixed[..], &default[..]] {
        let root = parse(input, &limits()).unwrap();
        assert!(root.is("urn:x", "a"));
        let b = root.child("urn:x", "b").unwrap();
        assert_eq!(b.text(), "t & A");
        assert_eq!(b.attr("k"), Some("v"));
    }
}

#[test]
fn strips_a_byte_order_mark() {
    let root = parse("\u{feff}<a/>".as_bytes(), &limits()).unwrap();
    assert_eq!(root.name, "a");
}

#[test]
fn refuses_doctype_and_entities() {
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>"#;
    assert_eq!(
        parse(bomb, &limits()).unwrap_err().code(),
        "forbidden-construct"
    );
    let xxe = br#"<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>"#;
    assert_eq!(
        parse(xxe, &limits()).unwrap_err().code(),
        "forbidden-construct"
    );
    let undeclared = br#"<a>&nbsp;</a>"#;
    assert_eq!(
        parse(undeclared, &limits()).unwrap_err().code(),
        "forbidden-construct"
    );
    let in_attr = br#"<a b="&foo;"/>"#;
    assert_eq!(
        parse(in_attr, &limits()).unwrap_err().code(),
        "forbidden-construct"
    );
    let pi = br#"<?xml-stylesheet href="x"?><a/>"#;
    assert_eq!(
        parse(pi, &limits()).unwrap_err().code(),
        "forbidden-construct"
    );
}

#[test]
fn refuses_other_encodings_and_bad_utf8() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe6</a>";
    assert_eq!(parse(latin1, &limits()).unwrap_err().code(), "encoding");
    let declared = br#"<?xml version="1.0" encoding="ISO-8859-1"?><a/>"#;
    assert_eq!(parse(declared, &limits()).unwrap_err().code(), "encoding");
}

#[test]
fn enforces_depth_size_and_counts() {
    let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
    assert_eq!(
        parse(deep.as_bytes(), &limits()).unwrap_err().code(),
        "too-deep"
    );
    let small = XmlLimits {
        max_bytes: 10,
        ..limits()
    };
    assert_eq!(
        parse(b"<a>0123456789</a>", &small).unwrap_err().code(),
        "too-large"
    );
    let many = format!("<a>{}</a>", "<b/>".repeat(20));
    let few = XmlLimits {
        max_elements: 10,
        ..limits()
    };
    assert_eq!(
        parse(many.as_bytes(), &few).unwrap_err().code(),
        "too-large"
    );
}

#[test]
fn refuses_malformed_documents() {
    for bad in [
        &b""[..],
        b"<a>",
        b"<a></b>",
        b"<a/><b/>",
        b"text",
        b"<a><b></a>",
        b"<p:a/>",
        b"<a x='1' x='2'/>",
    ] {
        assert!(
            parse(bad, &limits()).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn every_prefix_of_a_document_is_rejected_cleanly() {
    let doc = br#"<?xml version="1.0"?><m:a xmlns:m="urn:x" z="1"><m:b>t&amp;u</m:b><![CDATA[x]]><!-- c --></m:a>"#;
    assert!(parse(doc, &limits()).is_ok());
    for end in 0..doc.len() {
        assert!(
            parse(&doc[..end], &limits()).is_err(),
            "prefix of {end} bytes"
        );
    }
}

#[test]
fn writer_escapes_and_round_trips_subtrees() {
    let input = br#"<x:a xmlns:x="urn:x" xmlns:y="urn:y" y:k="a&quot;b"><x:b>1 &lt; 2</x:b><y:c/><z xmlns="urn:z">t</z></x:a>"#;
    let tree = parse(input, &limits()).unwrap();
    let prefixes = PrefixMap::new().bind("p", "urn:x").bind("q", "urn:y");
    let mut w = XmlWriter::fragment();
    w.element(&tree, &prefixes);
    let out = w.finish();
    // Declarations for p and q belong to the enclosing document; add them to re-parse.
    let wrapped = format!(r#"<root xmlns:p="urn:x" xmlns:q="urn:y">{out}</root>"#);
    let reparsed = parse(wrapped.as_bytes(), &limits()).unwrap();
    assert_eq!(reparsed.elements().next().unwrap(), &tree);
    assert!(out.starts_with("<p:a q:k=\"a&quot;b\">"), "{out}");
}

#[test]
fn writer_replaces_characters_xml_cannot_carry() {
    let mut w = XmlWriter::fragment();
    w.leaf("a", "x\u{1}y");
    assert_eq!(w.finish(), "<a>x\u{FFFD}y</a>");
}
