//! What each canonical document becomes in a DPI document package: a file
//! name the ASiC-E profile takes, and a media type from DPI's list.
//!
//! A message valid elsewhere often breaks the package's rules without
//! anything wrong with its content: MeMo lets two files of one message share
//! a name (the official Full example does), and names and types are spelled
//! in ways DPI does not list (`text/xml`). Those documents are carried, under
//! a name or type DPI takes, with a [`Loss`] saying what was written
//! instead. Only a type DPI postboxes refuse outright is an error: sending
//! it would be refused at the postbox, and renaming it would smuggle a file
//! the recipient's postbox is meant to keep out.

use std::collections::HashSet;

use borderpost_core::{AdapterError, Document, Loss};

use crate::asice;
use crate::dpi::loss;
use crate::sbd;

/// The shortest file name the manifest takes (`href`, 4–100 characters).
const MIN_NAME: usize = 4;
/// The longest.
const MAX_NAME: usize = 100;
/// The longest extension kept whole when a name is shortened.
const MAX_EXTENSION: usize = 16;

/// Media types DPI lists under another name, and the name it lists them
/// by (RFC 7303: `text/xml` is `application/xml`; DPI's ZIP is
/// `application/octet-stream`).
const ALIASES: &[(&str, &str)] = &[
    ("text/xml", "application/xml"),
    ("application/x-pdf", "application/pdf"),
    ("image/jpg", "image/jpeg"),
    ("image/pjpeg", "image/jpeg"),
    ("application/zip", "application/octet-stream"),
    ("application/x-zip-compressed", "application/octet-stream"),
];

/// One document as the package holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageDocument {
    /// Its file name in the package (manifest `href`).
    pub(crate) href: String,
    /// Its media type (manifest `mime`).
    pub(crate) mime: String,
}

/// The package names and types of `documents`, in order, with a loss for
/// each one written differently; an error for a type DPI refuses.
pub(crate) fn package_documents(
    documents: &[Document],
) -> Result<(Vec<PackageDocument>, Vec<Loss>), AdapterError> {
    let mut losses = Vec::new();
    let mut out = Vec::with_capacity(documents.len());
    let wanted: Vec<String> = documents.iter().map(|d| fitted(&d.filename)).collect();
    let mut given: HashSet<String> = HashSet::with_capacity(documents.len());
    for (i, doc) in documents.iter().enumerate() {
        let fits = wanted[i] == doc.filename;
        let href = if given.contains(&wanted[i]) {
            // A later document that has this name itself keeps it: the
            // numbered names skip every name still to come.
            let later = &wanted[i + 1..];
            (2u32..)
                .map(|n| numbered(&wanted[i], n))
                .find(|name| !given.contains(name) && !later.contains(name))
                .unwrap_or_else(|| wanted[i].clone())
        } else {
            wanted[i].clone()
        };
        if href != wanted[i] {
            losses.push(loss(
                &format!("documents[{i}].filename"),
                &format!(
                    "a DPI package needs a different name for each file; {:?} is taken, so it was written as {:?}",
                    sbd::truncate(&doc.filename, MAX_NAME),
                    href
                ),
            ));
        } else if !fits {
            losses.push(loss(
                &format!("documents[{i}].filename"),
                &format!(
                    "DPI file names are {MIN_NAME} to {MAX_NAME} characters, without / \\ or control characters, and not a name the package reserves; it was written as {href:?}"
                ),
            ));
        }
        let mime = media_type(i, &doc.media_type, &mut losses)?;
        given.insert(href.clone());
        out.push(PackageDocument { href, mime });
    }
    Ok((out, losses))
}

/// The media type the manifest gets for document `i`.
fn media_type(i: usize, media_type: &str, losses: &mut Vec<Loss>) -> Result<String, AdapterError> {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if asice::DOCUMENT_MEDIA_TYPES.contains(&essence.as_str()) {
        return Ok(media_type.to_owned());
    }
    if let Some((_, listed)) = ALIASES.iter().find(|(alias, _)| *alias == essence) {
        losses.push(loss(
            &format!("documents[{i}].media_type"),
            &format!("DPI lists {essence} as {listed}, which was written instead"),
        ));
        return Ok((*listed).to_owned());
    }
    Err(AdapterError::BusinessRule {
        rule: "no.dpi-media-type",
        detail: format!(
            "documents[{i}].media_type {:?} is not one DPI postboxes accept; send it as one of: {}",
            sbd::truncate(media_type, 100),
            asice::DOCUMENT_MEDIA_TYPES.join(", ")
        ),
    })
}

/// `name` within the package's rules: `/`, `\` and control characters
/// become `_`; a name the package reserves (`mimetype`, `manifest.xml`,
/// `META-INF…`) gets a leading `_`; a short name is padded with `_` before
/// its extension, a long one shortened before it.
fn fitted(name: &str) -> String {
    let mut name: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let reserved = name == "mimetype"
        || name == "manifest.xml"
        || name.to_ascii_uppercase().starts_with("META-INF");
    if reserved {
        name.insert(0, '_');
    }
    let (stem, extension) = split(&name);
    let n = name.chars().count();
    if n < MIN_NAME {
        let pad = "_".repeat(MIN_NAME - n);
        return format!("{stem}{pad}{extension}");
    }
    if n > MAX_NAME {
        return with_stem_within(stem, extension, "");
    }
    name
}

/// `name` numbered `n`, as a desktop numbers a copy: `Brev (2).pdf`.
fn numbered(name: &str, n: u32) -> String {
    let (stem, extension) = split(name);
    with_stem_within(stem, extension, &format!(" ({n})"))
}

/// `stem` + `suffix` + `extension`, the stem shortened so the whole is at
/// most [`MAX_NAME`] characters.
fn with_stem_within(stem: &str, extension: &str, suffix: &str) -> String {
    let room = MAX_NAME.saturating_sub(extension.chars().count() + suffix.chars().count());
    let stem: String = stem.chars().take(room).collect();
    format!("{stem}{suffix}{extension}")
}

/// A name's stem and its extension (from the last `.`, when the name has
/// a stem and the extension is short enough to be one).
fn split(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(at) if at > 0 && name[at..].chars().count() <= MAX_EXTENSION => name.split_at(at),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(filename: &str, media_type: &str) -> Document {
        Document {
            filename: filename.to_owned(),
            media_type: media_type.to_owned(),
            language: None,
            title: None,
            content: Vec::new(),
        }
    }

    fn names(docs: &[Document]) -> (Vec<String>, Vec<String>) {
        let (package, losses) = package_documents(docs).unwrap();
        (
            package.into_iter().map(|d| d.href).collect(),
            losses.into_iter().map(|l| l.field).collect(),
        )
    }

    #[test]
    fn repeated_names_are_numbered_in_order_with_a_loss_each() {
        let docs = [
            doc("Pladsanvisning.pdf", "application/pdf"),
            doc("Pladsanvisning.txt", "text/plain"),
            doc("Pladsanvisning.pdf", "application/pdf"),
            doc("Pladsanvisning.pdf", "application/pdf"),
        ];
        assert_eq!(
            names(&docs),
            (
                vec![
                    "Pladsanvisning.pdf".to_owned(),
                    "Pladsanvisning.txt".to_owned(),
                    "Pladsanvisning (2).pdf".to_owned(),
                    "Pladsanvisning (3).pdf".to_owned(),
                ],
                vec![
                    "documents[2].filename".to_owned(),
                    "documents[3].filename".to_owned()
                ]
            )
        );
    }

    #[test]
    fn a_number_never_takes_a_later_documents_own_name() {
        let docs = [
            doc("a.pdf", "application/pdf"),
            doc("a.pdf", "application/pdf"),
            doc("a (2).pdf", "application/pdf"),
        ];
        assert_eq!(
            names(&docs).0,
            ["a.pdf", "a (3).pdf", "a (2).pdf"].map(str::to_owned)
        );
    }

    #[test]
    fn names_outside_the_profile_are_fitted_with_a_loss() {
        let long = format!("{}.pdf", "x".repeat(120));
        let docs = [
            doc("a.c", "application/pdf"),
            doc("x", "application/pdf"),
            doc("2025/09 brev.pdf", "application/pdf"),
            doc("manifest.xml", "application/xml"),
            doc("META-INF", "application/xml"),
            doc(&long, "application/pdf"),
        ];
        let (hrefs, losses) = names(&docs);
        assert_eq!(
            hrefs[..5],
            [
                "a_.c",
                "x___",
                "2025_09 brev.pdf",
                "_manifest.xml",
                "_META-INF"
            ]
            .map(str::to_owned)
        );
        assert_eq!(hrefs[5], format!("{}.pdf", "x".repeat(96)));
        assert_eq!(losses.len(), 6);
        for (i, href) in hrefs.iter().enumerate() {
            assert!((MIN_NAME..=MAX_NAME).contains(&href.chars().count()), "{i}");
        }
    }

    #[test]
    fn a_numbered_long_name_stays_within_the_limit() {
        let long = format!("{}.pdf", "x".repeat(100));
        let docs = [doc(&long, "application/pdf"), doc(&long, "application/pdf")];
        let (hrefs, _) = names(&docs);
        assert_ne!(hrefs[0], hrefs[1]);
        assert!(hrefs[1].ends_with(" (2).pdf"), "{}", hrefs[1]);
        assert_eq!(hrefs[1].chars().count(), MAX_NAME);
    }

    #[test]
    fn known_aliases_are_written_as_dpi_lists_them_and_others_refused() {
        let (package, losses) = package_documents(&[
            doc("TekniskDokument.xml", "text/xml"),
            doc("brev.pdf", "application/pdf"),
            doc("bilag.zip", "application/zip"),
        ])
        .unwrap();
        assert_eq!(
            package.iter().map(|d| d.mime.as_str()).collect::<Vec<_>>(),
            [
                "application/xml",
                "application/pdf",
                "application/octet-stream"
            ]
        );
        assert_eq!(
            losses.iter().map(|l| l.field.as_str()).collect::<Vec<_>>(),
            ["documents[0].media_type", "documents[2].media_type"]
        );
        let e = package_documents(&[doc("prog.exe", "application/x-msdownload")]).unwrap_err();
        assert_eq!(e.code(), "business-rule");
        assert!(e.to_string().contains("application/pdf"), "{e}");
    }
}
