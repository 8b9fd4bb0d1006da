//! Files travel beside a Suomi.fi request, not inside it: a sender uploads
//! each one (`POST /v2/attachments`, multipart field `file`), gets an
//! `attachmentId`, and names that id in the request. The upload is the
//! gateway's I/O; the adapter stays pure by taking and giving the files as
//! values:
//!
//! - **Sending** (canonical → Suomi.fi): [`crate::SuomiFi::attachments_to_upload`]
//!   lists the copy's documents to upload ([`Upload`]); the gateway uploads
//!   them, and passes the ids it got back ([`Uploaded`]) to
//!   [`crate::SuomiFi::encode_with`].
//! - **Receiving** (a Finnish sender → canonical): the gateway hands the
//!   request body and the files it names ([`IncomingAttachment`]) to
//!   [`crate::SuomiFi::decode_request`].
//!
//! Through the [`borderpost_core::Adapter`] trait both directions carry the
//! files as extra parts of the `Wire`/`Encoded`, each named
//! `<attachmentId>/<filename>` (see [`IncomingAttachment::part_name`]).

use borderpost_core::{AdapterError, Part};
use uuid::Uuid;

use crate::json;
use crate::wire::parse_uuid;

/// The largest file Borderpost uploads or accepts, in bytes. DVV's API
/// description answers an upload over 10,485,760 bytes of HTTP content
/// with `413`; 8 KiB of that is left for the multipart framing.
pub const MAX_ATTACHMENT_BYTES: u64 = 10_485_760 - 8 * 1024;

/// The media types `POST /v2/attachments` accepts (DVV's list, lower case).
pub const ATTACHMENT_MEDIA_TYPES: [&str; 12] = [
    "application/msword",
    "application/pdf",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "image/jpeg",
    "image/png",
    "text/plain",
];

/// The media type Posti prints.
pub const PRINTABLE_MEDIA_TYPE: &str = "application/pdf";

/// One of the copy's documents to upload before the request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upload<'m> {
    /// Its index in the message's `documents`.
    pub document: usize,
    /// The file name the recipient sees (the multipart `filename`).
    pub filename: &'m str,
    /// Its media type (the part's `Content-Type`).
    pub media_type: &'m str,
    /// Its bytes.
    pub content: &'m [u8],
}

/// What `POST /v2/attachments` answered for one [`Upload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uploaded {
    /// The [`Upload::document`] it was for.
    pub document: usize,
    /// The `attachmentId` Suomi.fi returned.
    pub attachment_id: Uuid,
}

/// A file a Finnish sender uploaded to Borderpost, named by a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomingAttachment<'a> {
    /// The `attachmentId` Borderpost returned for it.
    pub attachment_id: Uuid,
    /// The file name it was uploaded with.
    pub filename: &'a str,
    /// Its media type.
    pub media_type: &'a str,
    /// Its bytes.
    pub content: &'a [u8],
}

impl<'a> IncomingAttachment<'a> {
    /// The name of the wire part that carries this file:
    /// `<attachmentId>/<filename>`.
    pub fn part_name(&self) -> String {
        format!("{}/{}", self.attachment_id.hyphenated(), self.filename)
    }

    /// Reads a file from a wire part named `<attachmentId>/<filename>`
    /// with a media type.
    pub fn from_part(part: &Part<'a>) -> Result<IncomingAttachment<'a>, AdapterError> {
        let bad = |detail: &str| {
            AdapterError::schema(
                format!("parts[{}]", json::quote(part.name, 60)),
                detail.to_owned(),
            )
        };
        let (id, filename) = part
            .name
            .split_once('/')
            .ok_or_else(|| bad("a file part is named <attachmentId>/<filename>"))?;
        let attachment_id =
            parse_uuid(id).ok_or_else(|| bad("the part name does not start with a UUID"))?;
        let media_type = part
            .media_type
            .ok_or_else(|| bad("a file part needs a media type"))?;
        Ok(IncomingAttachment {
            attachment_id,
            filename,
            media_type,
            content: part.body,
        })
    }
}

/// The media type's essence (`type/subtype`), lower case.
pub(crate) fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether Suomi.fi takes files of this media type.
pub(crate) fn is_supported(media_type: &str) -> bool {
    ATTACHMENT_MEDIA_TYPES.contains(&essence(media_type).as_str())
}

/// The id Borderpost gives a document of a copy when it encodes without a
/// real upload (through the `Adapter` trait): derived from the copy's id
/// and the document's index, so retries of the copy carry the same ids.
/// A version-8 UUID: the copy id with its last bits mixed with the index.
pub(crate) fn derived_id(copy: Uuid, document: usize) -> Uuid {
    let mixed = copy.as_u128() ^ ((document as u128 + 1) << 64 | (document as u128 + 1));
    uuid::Builder::from_custom_bytes(mixed.to_be_bytes()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_both_ways() {
        let file = IncomingAttachment {
            attachment_id: Uuid::from_u128(7),
            filename: "päätös/liite 1.pdf",
            media_type: "application/pdf",
            content: b"%PDF",
        };
        let name = file.part_name();
        assert_eq!(
            name,
            "00000000-0000-0000-0000-000000000007/päätös/liite 1.pdf"
        );
        let part = Part {
            name: &name,
            media_type: Some("application/pdf"),
            body: b"%PDF",
        };
        assert_eq!(IncomingAttachment::from_part(&part).unwrap(), file);
        for (name, media_type) in [
            ("body", Some("application/pdf")),
            ("not-a-uuid/x.pdf", Some("application/pdf")),
            ("00000000-0000-0000-0000-000000000007/x.pdf", None),
        ] {
            let part = Part {
                name,
                media_type,
                body: b"",
            };
            assert_eq!(
                IncomingAttachment::from_part(&part).unwrap_err().code(),
                "schema"
            );
        }
    }

    #[test]
    fn derived_ids_are_distinct_and_stable() {
        let copy = Uuid::from_u128(0x8c2e_a15d_61fb_4ba9_9366_42f8_b194_c114);
        let ids: Vec<Uuid> = (0..60).map(|i| derived_id(copy, i)).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(id.get_version_num(), 8);
            assert_ne!(*id, copy);
            assert_eq!(*id, derived_id(copy, i));
            assert!(!ids[..i].contains(id));
        }
    }

    #[test]
    fn media_types() {
        assert!(is_supported("application/pdf"));
        assert!(is_supported("Text/Plain; charset=utf-8"));
        assert!(!is_supported("text/markdown"));
        assert!(!is_supported("application/xml"));
        assert_eq!(essence(" image/PNG ;x=1"), "image/png");
    }
}
