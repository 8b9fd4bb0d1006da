//! A small, bounded BER reader and DER writer for the CMS and X.509
//! structures DPI needs.
//!
//! Why not the RustCrypto `der`/`cms` crates: they decode DER only, and
//! what Norwegian senders actually produce is BER — Digdir's own sample
//! packages (`eksempler/komplette/*.cms`, written by Bouncy Castle's
//! streaming generator) use indefinite lengths and a chunked, constructed
//! `encryptedContent`. A reader that cannot take those cannot read a real
//! DPI package. The subset needed here (tags below 31, definite and
//! indefinite lengths, constructed octet strings) fits in this file, is
//! bounded (depth, lengths checked against the input before any slice) and
//! is fuzzed. Everything Borderpost writes is DER by construction.

use borderpost_core::AdapterError;

/// The deepest nesting the reader follows (CMS EnvelopedData needs 8).
const MAX_DEPTH: usize = 24;

/// Universal tags used here.
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[0]` constructed (EXPLICIT, or IMPLICIT over a constructed type).
    pub const CTX0: u8 = 0xA0;
    /// `[1]` constructed.
    pub const CTX1: u8 = 0xA1;
    /// `[2]` constructed.
    pub const CTX2: u8 = 0xA2;
    /// `[0]` primitive (IMPLICIT over a primitive type).
    pub const CTX0_PRIM: u8 = 0x80;
}

/// DER-encoded object identifiers (tag and length included).
pub(crate) mod oid {
    /// 1.2.840.113549.1.7.1 id-data.
    pub const DATA: &[u8] = &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
    ];
    /// 1.2.840.113549.1.7.3 id-envelopedData.
    pub const ENVELOPED_DATA: &[u8] = &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03,
    ];
    /// 1.2.840.113549.1.1.7 id-RSAES-OAEP.
    pub const RSAES_OAEP: &[u8] = &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x07,
    ];
    /// 1.2.840.113549.1.1.8 id-mgf1.
    pub const MGF1: &[u8] = &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08,
    ];
    /// 1.2.840.113549.1.1.9 id-pSpecified.
    pub const P_SPECIFIED: &[u8] = &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x09,
    ];
    /// 2.16.840.1.101.3.4.2.1 id-sha256.
    pub const SHA256: &[u8] = &[
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    ];
    /// 1.3.14.3.2.26 id-sha1.
    pub const SHA1: &[u8] = &[0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A];
    /// 2.16.840.1.101.3.4.1.42 id-aes256-CBC.
    pub const AES256_CBC: &[u8] = &[
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A,
    ];
}

/// One decoded element: its tag, and its content (for an indefinite-length
/// element, the bytes between the header and the end-of-contents marker).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (class, constructed bit and tag number < 31).
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// The whole encoding, header included (for definite lengths exactly
    /// the bytes read; for indefinite ones including the end marker).
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Whether the constructed bit is set.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// The child elements of a constructed element.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, AdapterError> {
        if !self.constructed() {
            return Err(bad("expected a constructed element"));
        }
        children_of(self.content, 1)
    }

    /// The bytes of an OCTET STRING (primitive or, in BER, constructed
    /// from segments), whatever its tag.
    pub fn octets(&self) -> Result<Vec<u8>, AdapterError> {
        let mut out = Vec::new();
        collect_octets(self, &mut out, 0)?;
        Ok(out)
    }
}

/// Reads exactly one element that spans all of `input`.
pub(crate) fn parse_one(input: &[u8]) -> Result<Tlv<'_>, AdapterError> {
    let (tlv, rest) = read(input, 0)?;
    if !rest.is_empty() {
        return Err(bad("trailing bytes after the outer element"));
    }
    Ok(tlv)
}

/// Reads one element from the front of `input`.
pub(crate) fn read(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), AdapterError> {
    if depth > MAX_DEPTH {
        return Err(AdapterError::TooDeep { limit: MAX_DEPTH });
    }
    let (&tag, after_tag) = input
        .split_first()
        .ok_or_else(|| bad("truncated element"))?;
    if tag & 0x1F == 0x1F {
        return Err(bad("high tag numbers are not used in CMS"));
    }
    let (&first, mut after_len) = after_tag
        .split_first()
        .ok_or_else(|| bad("truncated length"))?;
    let header = 2;
    match first {
        0x80 => {
            // Indefinite length: only constructed encodings may use it.
            if tag & 0x20 == 0 {
                return Err(bad("indefinite length on a primitive element"));
            }
            let body = after_len;
            let mut cursor = body;
            loop {
                if cursor.len() >= 2 && cursor[0] == 0 && cursor[1] == 0 {
                    let content_len = body.len() - cursor.len();
                    let total = header + content_len + 2;
                    return Ok((
                        Tlv {
                            tag,
                            content: &body[..content_len],
                            raw: &input[..total],
                        },
                        &cursor[2..],
                    ));
                }
                let (_, rest) = read(cursor, depth + 1)?;
                cursor = rest;
            }
        }
        n if n & 0x80 == 0 => finish(input, tag, header, usize::from(n), after_len),
        n => {
            let count = usize::from(n & 0x7F);
            if count == 0 || count > 4 || after_len.len() < count {
                return Err(bad("unsupported or truncated length"));
            }
            let mut len = 0usize;
            for &b in &after_len[..count] {
                len = (len << 8) | usize::from(b);
            }
            after_len = &after_len[count..];
            finish(input, tag, header + count, len, after_len)
        }
    }
}

fn finish<'a>(
    input: &'a [u8],
    tag: u8,
    header: usize,
    len: usize,
    after_len: &'a [u8],
) -> Result<(Tlv<'a>, &'a [u8]), AdapterError> {
    if after_len.len() < len {
        return Err(bad("length runs past the end of the input"));
    }
    Ok((
        Tlv {
            tag,
            content: &after_len[..len],
            raw: &input[..header + len],
        },
        &after_len[len..],
    ))
}

fn children_of(mut content: &[u8], depth: usize) -> Result<Vec<Tlv<'_>>, AdapterError> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tlv, rest) = read(content, depth)?;
        out.push(tlv);
        content = rest;
    }
    Ok(out)
}

fn collect_octets(tlv: &Tlv<'_>, out: &mut Vec<u8>, depth: usize) -> Result<(), AdapterError> {
    if depth > MAX_DEPTH {
        return Err(AdapterError::TooDeep { limit: MAX_DEPTH });
    }
    if !tlv.constructed() {
        out.extend_from_slice(tlv.content);
        return Ok(());
    }
    for child in children_of(tlv.content, depth + 1)? {
        if child.tag & 0xDF != tag::OCTET_STRING {
            return Err(bad("a constructed octet string holds something else"));
        }
        collect_octets(&child, out, depth + 1)?;
    }
    Ok(())
}

/// The element `expected` at `index`, or an error naming `what`.
pub(crate) fn expect<'a>(
    items: &[Tlv<'a>],
    index: usize,
    expected: u8,
    what: &str,
) -> Result<Tlv<'a>, AdapterError> {
    match items.get(index) {
        Some(tlv) if tlv.tag == expected => Ok(*tlv),
        _ => Err(bad(&format!("{what} missing or of the wrong type"))),
    }
}

/// A small non-negative INTEGER's value (versions).
pub(crate) fn small_uint(tlv: &Tlv<'_>) -> Result<u32, AdapterError> {
    if tlv.tag != tag::INTEGER || tlv.content.is_empty() || tlv.content.len() > 4 {
        return Err(bad("expected a small INTEGER"));
    }
    if tlv.content[0] & 0x80 != 0 {
        return Err(bad("negative INTEGER"));
    }
    Ok(tlv
        .content
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

fn bad(detail: &str) -> AdapterError {
    AdapterError::malformed("ASN.1", detail)
}

// === DER writer ===

/// `tag` + DER length + `content`.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A constructed element of `tag` holding the concatenated `parts`.
pub(crate) fn constructed(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// A SEQUENCE of `parts`.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    constructed(tag::SEQUENCE, parts)
}

/// An INTEGER with a small non-negative value.
pub(crate) fn uint(value: u8) -> Vec<u8> {
    if value & 0x80 != 0 {
        tlv(tag::INTEGER, &[0, value])
    } else {
        tlv(tag::INTEGER, &[value])
    }
}

/// NULL.
pub(crate) const NULL: &[u8] = &[tag::NULL, 0x00];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_definite_and_indefinite_lengths() {
        // SEQUENCE (indefinite) { INTEGER 5, [0] (indefinite) { OCTET STRING "ab", OCTET STRING "c" } }
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x05, 0xA0, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c',
            0x00, 0x00, 0x00, 0x00,
        ];
        let outer = parse_one(&ber).unwrap();
        let items = outer.children().unwrap();
        assert_eq!(small_uint(&items[0]).unwrap(), 5);
        assert_eq!(items[1].octets().unwrap(), b"abc");
    }

    #[test]
    fn writes_long_lengths() {
        let content = vec![7u8; 300];
        let der = tlv(tag::OCTET_STRING, &content);
        assert_eq!(&der[..4], &[0x04, 0x82, 0x01, 0x2C]);
        assert_eq!(parse_one(&der).unwrap().content, &content[..]);
    }

    #[test]
    fn rejects_hostile_lengths_and_depth() {
        assert!(parse_one(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(parse_one(&[0x04, 0x80, 0x00, 0x00]).is_err());
        let mut deep = vec![];
        for _ in 0..100 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        assert!(parse_one(&deep).is_err());
        assert!(parse_one(&[0x30, 0x80, 0x02]).is_err());
    }
}
