//! The document package: an ASiC-E container (ETSI TS 102 918) as the SDP
//! profile restricts it (docs.digdir.no, "dokumentpakke"):
//!
//! - `mimetype` first, stored, `application/vnd.etsi.asic-e+zip`;
//! - `manifest.xml` in the SDP namespace (`sdp-manifest.xsd`): the
//!   recipient's postbox address (digital post), the sender, the main
//!   document and up to 200 attachments;
//! - the documents;
//! - `META-INF/signatures.xml`: one XAdES B-level signature (`rsa-sha256`)
//!   with a SHA-256 reference, without transforms, to every file outside
//!   `META-INF`, and a reference to the `SignedProperties` (SigningTime,
//!   SigningCertificate with a SHA-1 `CertDigest`, a `DataObjectFormat` per
//!   file) under inclusive C14N.
//!
//! Borderpost writes the structure of Digdir's sample packages. It writes
//! `SignedInfo` and `SignedProperties` directly in their canonical form
//! (inclusive C14N 1.0, `http://www.w3.org/TR/2001/REC-xml-c14n-20010315`,
//! declared as both the `CanonicalizationMethod` and the SignedProperties
//! transform) and signs/digests exactly those bytes; in the document the
//! two elements differ from their canonical form only by the namespace
//! declarations they inherit. `META-INF/manifest.xml` is not written (the
//! profile forbids it); on input it is tolerated and ignored, because
//! Digdir's own samples contain it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use borderpost_core::xml::c14n::{C14N_10, C14N_11, escape_attr, escape_text};
use borderpost_core::xml::dsig::{self, DS_NS, RSA_SHA256, SHA1, SHA256};
use borderpost_core::xml::{self, Element, XmlWriter};
use borderpost_core::{AdapterError, Limits, Signer};
use openssl::hash::{MessageDigest, hash};
use openssl::x509::X509;
use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::cert::{self, crypto};

/// The SDP namespace (manifest, legacy messages).
pub const SDP_NS: &str = "http://begrep.difi.no/sdp/schema_v10";
/// The ASiC namespace of `XAdESSignatures`.
pub const ASIC_NS: &str = "http://uri.etsi.org/02918/v1.2.1#";
/// XAdES 1.3.2.
pub const XADES_NS: &str = "http://uri.etsi.org/01903/v1.3.2#";
/// The container's media type.
pub const MIMETYPE: &str = "application/vnd.etsi.asic-e+zip";
/// The largest package DPI accepts (50 MB).
pub const MAX_PACKAGE_BYTES: u64 = 50 * 1000 * 1000;
/// The most attachments besides the main document.
pub const MAX_ATTACHMENTS: usize = 200;
/// The most entries a package may have (main document, attachments, their
/// `data` extension files, manifest, signature, mimetype and the tolerated
/// `META-INF/manifest.xml`).
const MAX_ENTRIES: usize = 2 * (MAX_ATTACHMENTS + 1) + 8;

const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";
const MANIFEST: &str = "manifest.xml";
const SIGNATURES: &str = "META-INF/signatures.xml";
const ODF_MANIFEST: &str = "META-INF/manifest.xml";

/// The media types DPI accepts for documents (docs.digdir.no "MIME
/// types"), plus EHF.
pub const DOCUMENT_MEDIA_TYPES: &[&str] = &[
    "application/pdf",
    "text/html",
    "application/xml",
    "text/plain",
    "application/vnd.oasis.opendocument.formula",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.graphics",
    "image/gif",
    "image/jpeg",
    "image/png",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/octet-stream",
    "application/ehf+xml",
];

/// The media types of the `data` extensions of a document.
pub const EXTENSION_MEDIA_TYPES: &[&str] = &[
    "application/vnd.difi.dpi.bevis+xml",
    "application/vnd.difi.dpi.lenke+xml",
    "application/vnd.difi.dpi.arrangement+xml",
];

/// What `manifest.xml` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The recipient's postbox address (digital post).
    pub postkasseadresse: Option<String>,
    /// The sender (`ICD:value`).
    pub avsender: String,
    /// The sender's unit.
    pub avsenderidentifikator: Option<String>,
    /// The invoicing reference.
    pub faktura_referanse: Option<String>,
    /// The main document, then the attachments.
    pub documents: Vec<ManifestDocument>,
}

/// A document in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDocument {
    /// The file name in the package.
    pub href: String,
    /// Its media type.
    pub mime: String,
    /// Its title and the title's language.
    pub tittel: Option<(String, String)>,
    /// An extension file (`data`): its name and media type.
    pub data: Option<(String, String)>,
}

/// A package read and checked.
#[derive(Debug, Clone)]
pub struct Package {
    /// The manifest.
    pub manifest: Manifest,
    /// Every file outside `META-INF` except the manifest, by name.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The XAdES signing certificate (DER).
    pub signer_certificate: Vec<u8>,
}

/// One document to put in a package.
#[derive(Debug, Clone, Copy)]
pub struct NewDocument<'a> {
    /// File name.
    pub href: &'a str,
    /// Media type.
    pub mime: &'a str,
    /// Title.
    pub tittel: &'a str,
    /// Title language.
    pub lang: &'a str,
    /// Bytes.
    pub content: &'a [u8],
}

/// What to put in a package.
#[derive(Debug, Clone, Copy)]
pub struct NewPackage<'a> {
    /// The recipient's postbox address (digital post only).
    pub postkasseadresse: Option<&'a str>,
    /// The sender (`ICD:value`).
    pub avsender: &'a str,
    /// The sender's unit.
    pub avsenderidentifikator: Option<&'a str>,
    /// The invoicing reference.
    pub faktura_referanse: Option<&'a str>,
    /// The main document first.
    pub documents: &'a [NewDocument<'a>],
}

// === build ===

/// Builds and signs a package. `now` is the XAdES SigningTime and the
/// ZIP entries' modification time.
pub fn build(
    package: &NewPackage<'_>,
    signer: &dyn Signer,
    now: OffsetDateTime,
) -> Result<Vec<u8>, AdapterError> {
    let manifest = manifest_xml(package);
    let mut files: Vec<(&str, &str, &[u8])> =
        vec![(MANIFEST, "application/xml", manifest.as_bytes())];
    for doc in package.documents {
        files.push((doc.href, doc.mime, doc.content));
    }
    let signatures = signatures_xml(&files, signer, now)?;

    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let modified = zip_time(now);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(modified);
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(modified);
    let zip_err = |e: zip::result::ZipError| AdapterError::Crypto {
        detail: format!("writing the ZIP: {e}"),
    };
    zip.start_file("mimetype", stored).map_err(zip_err)?;
    zip.write_all(MIMETYPE.as_bytes())
        .map_err(|e| AdapterError::Crypto {
            detail: e.to_string(),
        })?;
    for (name, _, content) in
        files
            .iter()
            .copied()
            .chain(std::iter::once((SIGNATURES, "", signatures.as_bytes())))
    {
        zip.start_file(name, deflated).map_err(zip_err)?;
        zip.write_all(content).map_err(|e| AdapterError::Crypto {
            detail: e.to_string(),
        })?;
    }
    // The samples carry the ASiC media type in the ZIP comment too.
    zip.set_comment(format!("mimetype={MIMETYPE}"))
        .map_err(zip_err)?;
    let bytes = zip.finish().map_err(zip_err)?.into_inner();
    if bytes.len() as u64 > MAX_PACKAGE_BYTES {
        return Err(AdapterError::TooLarge {
            what: "document package (bytes)".to_owned(),
            limit: MAX_PACKAGE_BYTES,
        });
    }
    Ok(bytes)
}

fn zip_time(now: OffsetDateTime) -> zip::DateTime {
    let t = now.to_offset(time::UtcOffset::UTC);
    u16::try_from(t.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            )
            .ok()
        })
        .unwrap_or_default()
}

fn manifest_xml(p: &NewPackage<'_>) -> String {
    let mut w = XmlWriter::new();
    w.start("manifest", &[("xmlns", SDP_NS)]);
    if let Some(address) = p.postkasseadresse {
        w.start("mottaker", &[])
            .start("person", &[])
            .leaf("postkasseadresse", address)
            .end()
            .end();
    }
    w.start("avsender", &[])
        .leaf_with(
            "organisasjon",
            &[("authority", crate::sbd::AUTHORITY)],
            p.avsender,
        )
        .opt_leaf("avsenderidentifikator", p.avsenderidentifikator)
        .opt_leaf("fakturaReferanse", p.faktura_referanse)
        .end();
    for (i, doc) in p.documents.iter().enumerate() {
        let element = if i == 0 { "hoveddokument" } else { "vedlegg" };
        w.start(element, &[("href", doc.href), ("mime", doc.mime)])
            .leaf_with("tittel", &[("lang", doc.lang)], doc.tittel)
            .end();
    }
    w.end();
    w.finish()
}

/// `signatures.xml` for `files` (name, media type, bytes).
fn signatures_xml(
    files: &[(&str, &str, &[u8])],
    signer: &dyn Signer,
    now: OffsetDateTime,
) -> Result<String, AdapterError> {
    let chain = signer.certificate_chain();
    let leaf_der = chain.first().ok_or(AdapterError::Missing {
        what: "signer certificate",
    })?;
    let leaf = X509::from_der(leaf_der).map_err(crypto)?;

    // SignedProperties, canonical form (all empty elements as pairs, text
    // escaped the C14N way).
    let mut sp = String::new();
    sp.push_str("<SignedSignatureProperties><SigningTime>");
    sp.push_str(&signing_time(now)?);
    sp.push_str(
        "</SigningTime><SigningCertificate><Cert><CertDigest><ns2:DigestMethod Algorithm=\"",
    );
    sp.push_str(SHA1);
    sp.push_str("\"></ns2:DigestMethod><ns2:DigestValue>");
    sp.push_str(&STANDARD.encode(cert::sha1(&leaf)?));
    sp.push_str("</ns2:DigestValue></CertDigest><IssuerSerial><ns2:X509IssuerName>");
    escape_text(&mut sp, &cert::rfc4514(leaf.issuer_name()));
    sp.push_str("</ns2:X509IssuerName><ns2:X509SerialNumber>");
    sp.push_str(&cert::serial_decimal(&leaf)?);
    sp.push_str("</ns2:X509SerialNumber></IssuerSerial></Cert></SigningCertificate></SignedSignatureProperties><SignedDataObjectProperties>");
    for (i, (_, mime, _)) in files.iter().enumerate() {
        sp.push_str(&format!(
            "<DataObjectFormat ObjectReference=\"#ID_{i}\"><MimeType>"
        ));
        escape_text(&mut sp, mime);
        sp.push_str("</MimeType></DataObjectFormat>");
    }
    sp.push_str("</SignedDataObjectProperties>");
    let sp_canonical = format!(
        "<SignedProperties xmlns=\"{XADES_NS}\" xmlns:ns2=\"{DS_NS}\" Id=\"SignedProperties\">{sp}</SignedProperties>"
    );
    let sp_document = format!("<SignedProperties Id=\"SignedProperties\">{sp}</SignedProperties>");

    let mut si = String::new();
    si.push_str(&format!(
        "<CanonicalizationMethod Algorithm=\"{C14N_10}\"></CanonicalizationMethod><SignatureMethod Algorithm=\"{RSA_SHA256}\"></SignatureMethod>"
    ));
    for (i, (name, _, content)) in files.iter().enumerate() {
        si.push_str(&format!("<Reference Id=\"ID_{i}\" URI=\""));
        escape_attr(&mut si, &uri_encode(name));
        si.push_str(&format!(
            "\"><DigestMethod Algorithm=\"{SHA256}\"></DigestMethod><DigestValue>{}</DigestValue></Reference>",
            sha256_b64(content)?
        ));
    }
    si.push_str(&format!(
        "<Reference Type=\"{SIGNED_PROPERTIES_TYPE}\" URI=\"#SignedProperties\"><Transforms><Transform Algorithm=\"{C14N_10}\"></Transform></Transforms><DigestMethod Algorithm=\"{SHA256}\"></DigestMethod><DigestValue>{}</DigestValue></Reference>",
        sha256_b64(sp_canonical.as_bytes())?
    ));
    let si_canonical = format!("<SignedInfo xmlns=\"{DS_NS}\">{si}</SignedInfo>");
    let si_document = format!("<SignedInfo>{si}</SignedInfo>");
    let signature = signer.sign_rs256(si_canonical.as_bytes())?;

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>");
    out.push_str(&format!(
        "<XAdESSignatures xmlns=\"{ASIC_NS}\"><Signature xmlns=\"{DS_NS}\" Id=\"Signature\">"
    ));
    out.push_str(&si_document);
    out.push_str(&format!(
        "<SignatureValue>{}</SignatureValue><KeyInfo><X509Data>",
        STANDARD.encode(signature)
    ));
    for der in chain {
        out.push_str(&format!(
            "<X509Certificate>{}</X509Certificate>",
            STANDARD.encode(der)
        ));
    }
    out.push_str(&format!(
        "</X509Data></KeyInfo><Object><QualifyingProperties xmlns=\"{XADES_NS}\" xmlns:ns2=\"{DS_NS}\" Target=\"#Signature\">"
    ));
    out.push_str(&sp_document);
    out.push_str("</QualifyingProperties></Object></Signature></XAdESSignatures>");
    Ok(out)
}

fn signing_time(now: OffsetDateTime) -> Result<String, AdapterError> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .map_err(|e| AdapterError::Crypto {
            detail: format!("formatting SigningTime: {e}"),
        })
}

fn sha256_b64(bytes: &[u8]) -> Result<String, AdapterError> {
    Ok(STANDARD.encode(hash(MessageDigest::sha256(), bytes).map_err(crypto)?))
}

/// A file name as a URI reference: everything but RFC 3986 unreserved
/// characters percent-encoded (file names may hold spaces and non-ASCII).
fn uri_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn uri_decode(uri: &str) -> Option<String> {
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = uri.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

// === read ===

/// Reads a package: the container, the manifest and the XAdES signature
/// (every reference digest, and the signature over `SignedInfo`).
///
/// A document whose bytes do not match its signed digest, a file that is
/// not signed or not in the manifest, or a container that breaks the
/// profile is `package-invalid`; a signature that does not verify is
/// `signature-invalid`.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Package, AdapterError> {
    let limit = MAX_PACKAGE_BYTES.min(limits.max_body_bytes);
    if bytes.len() as u64 > limit {
        return Err(AdapterError::TooLarge {
            what: "document package (bytes)".to_owned(),
            limit,
        });
    }
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| package(&format!("not a ZIP archive: {e}")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(AdapterError::TooLarge {
            what: "document package entries".to_owned(),
            limit: MAX_ENTRIES as u64,
        });
    }
    if zip.has_duplicate_names() {
        return Err(package("the ZIP has two entries with the same name"));
    }

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut manifest_bytes = None;
    let mut signatures_bytes = None;
    let mut total: u64 = 0;
    for index in 0..zip.len() {
        let mut entry = zip
            .by_index(index)
            .map_err(|e| package(&format!("ZIP entry {index}: {e}")))?;
        let name = entry
            .name()
            .map_err(|_| package("a ZIP entry name is not UTF-8"))?
            .into_owned();
        if entry.encrypted() {
            return Err(package("encrypted ZIP entries are not allowed"));
        }
        if index == 0 {
            if name != "mimetype" || entry.compression() != CompressionMethod::Stored {
                return Err(package(
                    "the first entry must be `mimetype`, stored uncompressed",
                ));
            }
        } else if name == "mimetype" {
            return Err(package("`mimetype` must be the first entry only"));
        }
        if entry.is_dir() {
            if name == "META-INF/" {
                continue;
            }
            return Err(package("the package has folders other than META-INF"));
        }
        check_name(&name)?;
        let per_entry = limits.max_document_bytes.min(limit);
        let mut content = Vec::new();
        entry
            .by_ref()
            .take(per_entry + 1)
            .read_to_end(&mut content)
            .map_err(|e| package(&format!("{name:?} cannot be read: {e}")))?;
        if content.len() as u64 > per_entry {
            return Err(AdapterError::TooLarge {
                what: format!("package entry {name:?} (bytes)"),
                limit: per_entry,
            });
        }
        total += content.len() as u64;
        if total > limit {
            return Err(AdapterError::TooLarge {
                what: "document package, uncompressed (bytes)".to_owned(),
                limit,
            });
        }
        match name.as_str() {
            "mimetype" => {
                if content != MIMETYPE.as_bytes() {
                    return Err(package(&format!("`mimetype` must say {MIMETYPE}")));
                }
            }
            MANIFEST => manifest_bytes = Some(content),
            SIGNATURES => signatures_bytes = Some(content),
            // Tolerated (Digdir's samples have it) and ignored.
            ODF_MANIFEST => {}
            other if other.starts_with("META-INF/") => {
                return Err(package(&format!(
                    "{other:?}: META-INF may hold only signatures.xml"
                )));
            }
            _ => {
                files.insert(name, content);
            }
        }
    }
    if zip.is_empty() {
        return Err(package("the ZIP is empty"));
    }
    let manifest_bytes = manifest_bytes.ok_or_else(|| package("manifest.xml is missing"))?;
    let signatures_bytes =
        signatures_bytes.ok_or_else(|| package("META-INF/signatures.xml is missing"))?;
    let manifest = parse_manifest(&manifest_bytes, limits)?;

    // Every file is named by the manifest, and everything the manifest
    // names is there.
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for doc in &manifest.documents {
        named.insert(&doc.href);
        if let Some((href, _)) = &doc.data {
            named.insert(href);
        }
    }
    for name in &named {
        if !files.contains_key(*name) {
            return Err(package(&format!(
                "the manifest names {name:?}, which is not in the package"
            )));
        }
    }
    if let Some(extra) = files.keys().find(|f| !named.contains(f.as_str())) {
        return Err(package(&format!(
            "{extra:?} is in the package but not in the manifest"
        )));
    }

    let signer_certificate = check_signature(&signatures_bytes, &manifest_bytes, &files, limits)?;
    Ok(Package {
        manifest,
        files,
        signer_certificate,
    })
}

fn check_name(name: &str) -> Result<(), AdapterError> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        || name.chars().any(char::is_control);
    if bad {
        return Err(package(&format!(
            "entry name {:?} is not a plain relative path",
            crate::sbd::truncate(name, 100)
        )));
    }
    Ok(())
}

fn parse_manifest(bytes: &[u8], limits: &Limits) -> Result<Manifest, AdapterError> {
    let root = xml::parse(bytes, &limits.xml())?;
    if !root.is(SDP_NS, "manifest") {
        return Err(package("manifest.xml is not an SDP manifest"));
    }
    let mut postkasseadresse = None;
    let mut avsender = None;
    let mut documents = Vec::new();
    let mut attachments = 0usize;
    let mut last: Option<u8> = None;
    for child in root.elements() {
        let rank = match (child.ns.as_deref(), child.name.as_str()) {
            (Some(SDP_NS), "mottaker") => 0,
            (Some(SDP_NS), "avsender") => 1,
            (Some(SDP_NS), "hoveddokument") => 2,
            (Some(SDP_NS), "vedlegg") => 3,
            (Some(SDP_NS), "lenke") => 4,
            _ => {
                return Err(manifest_error(&format!(
                    "unexpected element <{}>",
                    child.name
                )));
            }
        };
        if let Some(last) = last
            && (rank < last || (rank == last && rank != 3))
        {
            return Err(manifest_error("elements out of order or repeated"));
        }
        last = Some(rank);
        match rank {
            0 => {
                let person = child
                    .child(SDP_NS, "person")
                    .ok_or_else(|| manifest_error("mottaker needs person"))?;
                let address = person
                    .child(SDP_NS, "postkasseadresse")
                    .ok_or_else(|| manifest_error("person needs postkasseadresse"))?;
                postkasseadresse = Some(address.text());
            }
            1 => avsender = Some(parse_avsender(child)?),
            2 | 3 => {
                if rank == 3 {
                    attachments += 1;
                    if attachments > MAX_ATTACHMENTS {
                        return Err(AdapterError::TooLarge {
                            what: "attachments (vedlegg)".to_owned(),
                            limit: MAX_ATTACHMENTS as u64,
                        });
                    }
                }
                documents.push(parse_document(child)?);
            }
            _ => {
                // `lenke` (a link shown with the message) has no canonical
                // home; it is checked for shape only.
                if child.child(SDP_NS, "url").is_none() {
                    return Err(manifest_error("lenke needs url"));
                }
            }
        }
    }
    let (avsender, avsenderidentifikator, faktura_referanse) =
        avsender.ok_or_else(|| manifest_error("avsender is missing"))?;
    if documents.is_empty() {
        return Err(manifest_error("hoveddokument is missing"));
    }
    Ok(Manifest {
        postkasseadresse,
        avsender,
        avsenderidentifikator,
        faktura_referanse,
        documents,
    })
}

type ManifestAvsender = (String, Option<String>, Option<String>);

fn parse_avsender(e: &Element) -> Result<ManifestAvsender, AdapterError> {
    let org = e
        .child(SDP_NS, "organisasjon")
        .ok_or_else(|| manifest_error("avsender needs organisasjon"))?
        .text();
    if !crate::sbd::is_iso6523_pattern(org.trim()) {
        return Err(manifest_error("avsender/organisasjon must be ICD:value"));
    }
    let unit = e.child(SDP_NS, "avsenderidentifikator").map(Element::text);
    let invoice = e.child(SDP_NS, "fakturaReferanse").map(Element::text);
    Ok((org.trim().to_owned(), unit, invoice))
}

fn parse_document(e: &Element) -> Result<ManifestDocument, AdapterError> {
    let href = e
        .attr("href")
        .ok_or_else(|| manifest_error("a document needs href"))?;
    let mime = e
        .attr("mime")
        .ok_or_else(|| manifest_error("a document needs mime"))?;
    if !(4..=100).contains(&href.chars().count()) {
        return Err(manifest_error("href must be 4 to 100 characters"));
    }
    if !(1..=100).contains(&mime.chars().count()) {
        return Err(manifest_error("mime must be 1 to 100 characters"));
    }
    let tittel = match e.child(SDP_NS, "tittel") {
        Some(t) => {
            let lang = t
                .attr("lang")
                .ok_or_else(|| manifest_error("tittel needs lang"))?;
            let text = t.text();
            if lang.chars().count() != 2 || !(1..=255).contains(&text.chars().count()) {
                return Err(manifest_error(
                    "tittel must be 1 to 255 characters with a two-letter lang",
                ));
            }
            Some((text, lang.to_owned()))
        }
        None => None,
    };
    let data = match e.child(SDP_NS, "data") {
        Some(d) => {
            let href = d
                .attr("href")
                .ok_or_else(|| manifest_error("data needs href"))?;
            let mime = d
                .attr("mime")
                .ok_or_else(|| manifest_error("data needs mime"))?;
            Some((href.to_owned(), mime.to_owned()))
        }
        None => None,
    };
    Ok(ManifestDocument {
        href: href.to_owned(),
        mime: mime.to_owned(),
        tittel,
        data,
    })
}

/// What the DPI profile lets a package signature use.
const PROFILE: dsig::Profile<'static> = dsig::Profile {
    canonicalization: &[C14N_10, C14N_11],
    signature_methods: &[RSA_SHA256],
    digest_methods: &[SHA256],
    // Only the SignedProperties reference has one (its C14N); file
    // references have none.
    transforms: &[C14N_10, C14N_11],
    whole_document: dsig::WholeDocument::DocumentElement,
};

/// Checks `signatures.xml`; returns the signing certificate (DER).
///
/// The one `ds:Signature` the container holds is verified by the core's
/// [`dsig`] rule: its own `SignedInfo`, canonicalised where it stands; its
/// references resolved to exactly the files and the one `SignedProperties`
/// of this signature's `QualifyingProperties` — the same node whose
/// `SigningCertificate` names the key — and nothing else.
fn check_signature(
    bytes: &[u8],
    manifest: &[u8],
    files: &BTreeMap<String, Vec<u8>>,
    limits: &Limits,
) -> Result<Vec<u8>, AdapterError> {
    let (text, root) = xml::parse_document(bytes, &limits.xml())?;
    if !root.is(ASIC_NS, "XAdESSignatures") {
        return Err(package(
            "signatures.xml is not an ASiC XAdESSignatures document",
        ));
    }
    let children: Vec<&Element> = root.elements().collect();
    let [signature] = children.as_slice() else {
        return Err(package("signatures.xml must hold exactly one signature"));
    };
    if !signature.is(DS_NS, "Signature") || root.has_text() {
        return Err(package("XAdESSignatures may hold only its ds:Signature"));
    }
    let doc = dsig::Document::new(text, &root)?;
    let signed_properties = signed_properties(signature)?;

    let certs: Vec<Vec<u8>> = signature
        .child(DS_NS, "KeyInfo")
        .and_then(|k| k.child(DS_NS, "X509Data"))
        .map(|d| {
            d.children_named(DS_NS, "X509Certificate")
                .filter_map(|c| {
                    let b64: String = c.text().chars().filter(|c| !c.is_whitespace()).collect();
                    STANDARD.decode(b64).ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let signer_der = signing_certificate(signed_properties, &certs)?;

    let external = |uri: &str| -> Option<&[u8]> {
        let name = uri_decode(uri)?;
        if name == MANIFEST {
            Some(manifest)
        } else {
            files.get(&name).map(Vec::as_slice)
        }
    };
    let verified = dsig::verify(
        &doc,
        signature,
        &PROFILE,
        &signer_der,
        &external,
        &crate::keys::XmlCrypto,
    )?;

    let mut signed: BTreeSet<String> = BTreeSet::new();
    let mut saw_properties = false;
    for reference in verified.references() {
        match reference.target {
            dsig::Target::Element(e) if std::ptr::eq(e, signed_properties) => {
                if saw_properties || reference.kind != Some(SIGNED_PROPERTIES_TYPE) {
                    return Err(package(
                        "the SignedProperties must be referenced once, with its Type",
                    ));
                }
                saw_properties = true;
            }
            dsig::Target::Element(_) => {
                return Err(package(
                    "the signature refers to an element other than its SignedProperties",
                ));
            }
            dsig::Target::External(_) => {
                let name = uri_decode(reference.uri).unwrap_or_default();
                if !signed.insert(name) {
                    return Err(package("a file is referenced twice"));
                }
            }
        }
    }
    if !saw_properties {
        return Err(package("the signature has no SignedProperties reference"));
    }
    for name in std::iter::once(MANIFEST).chain(files.keys().map(String::as_str)) {
        if !signed.contains(name) {
            return Err(package(&format!(
                "{name:?} is not covered by the signature"
            )));
        }
    }
    Ok(signer_der)
}

/// The signature's one `Object/QualifyingProperties/SignedProperties`,
/// with nothing beside them that the XAdES schema does not allow, and the
/// `QualifyingProperties` naming this signature as its target.
fn signed_properties(signature: &Element) -> Result<&Element, AdapterError> {
    let objects: Vec<&Element> = signature.children_named(DS_NS, "Object").collect();
    let [object] = objects.as_slice() else {
        return Err(package(
            "the signature must hold exactly one Object (its QualifyingProperties)",
        ));
    };
    let inside: Vec<&Element> = object.elements().collect();
    let [qualifying] = inside.as_slice() else {
        return Err(package("the Object must hold only QualifyingProperties"));
    };
    if !qualifying.is(XADES_NS, "QualifyingProperties") || object.has_text() {
        return Err(package("the Object must hold only QualifyingProperties"));
    }
    let target = qualifying.attr("Target").unwrap_or("");
    let id = signature.attr("Id");
    if id.is_none_or(|id| target.strip_prefix('#') != Some(id)) {
        return Err(package(
            "QualifyingProperties must target this signature by its Id",
        ));
    }
    let mut properties = qualifying.elements();
    let signed = properties
        .next()
        .filter(|p| p.is(XADES_NS, "SignedProperties"))
        .ok_or_else(|| package("QualifyingProperties must begin with SignedProperties"))?;
    match properties.next() {
        None => {}
        Some(p) if p.is(XADES_NS, "UnsignedProperties") && properties.next().is_none() => {}
        Some(_) => {
            return Err(package(
                "QualifyingProperties may hold only SignedProperties and UnsignedProperties",
            ));
        }
    }
    Ok(signed)
}

/// The certificate the (verified) `SigningCertificate` names by its
/// `CertDigest`, or the first one when the signature names none.
fn signing_certificate(
    signed_properties: &Element,
    certs: &[Vec<u8>],
) -> Result<Vec<u8>, AdapterError> {
    let cert_digest = signed_properties
        .child(XADES_NS, "SignedSignatureProperties")
        .and_then(|p| p.child(XADES_NS, "SigningCertificate"))
        .and_then(|p| p.child(XADES_NS, "Cert"))
        .and_then(|p| p.child(XADES_NS, "CertDigest"));
    let Some(cert_digest) = cert_digest else {
        return certs
            .first()
            .cloned()
            .ok_or_else(|| AdapterError::Signature {
                detail: "the package signature carries no certificate".to_owned(),
            });
    };
    let md = match cert_digest
        .child(DS_NS, "DigestMethod")
        .and_then(|m| m.attr("Algorithm"))
    {
        Some(SHA1) => MessageDigest::sha1(),
        Some(SHA256) => MessageDigest::sha256(),
        _ => return Err(package("the CertDigest algorithm must be SHA-1 or SHA-256")),
    };
    let wanted = cert_digest
        .child(DS_NS, "DigestValue")
        .map(|v| v.text())
        .unwrap_or_default();
    let wanted = STANDARD
        .decode(wanted.trim())
        .map_err(|_| package("the CertDigest is not base64"))?;
    for der in certs {
        if hash(md, der).map_err(crypto)?.as_ref() == wanted.as_slice() {
            return Ok(der.clone());
        }
    }
    Err(AdapterError::Signature {
        detail: "no certificate in KeyInfo matches the signed SigningCertificate".to_owned(),
    })
}

fn package(detail: &str) -> AdapterError {
    AdapterError::Package {
        detail: detail.to_owned(),
    }
}

fn manifest_error(detail: &str) -> AdapterError {
    AdapterError::Package {
        detail: format!("manifest.xml: {detail}"),
    }
}

#[cfg(test)]
mod tests;
