//! Borderpost's Danish receipt document: `Kvittering` in the namespace
//! `urn:borderpost:dk:receipt:1`.
//!
//! **This is Borderpost's model, not Digital Post's format.** NgDP's business
//! receipt (forretningskvittering) is specified only in Digst's "Technical
//! Integration" document, which is not public (`protocols/dk/NOTES.md`
//! §1.3). What *is* public are the status names and status-action UUIDs of
//! SF1601 `PKO_PostStatus`; the document below carries exactly those, so a
//! Danish sender (and Borderpost's Danish simulator and `/dk/memo` ingress)
//! can rely on them, and the mapping to the real receipt is one table when
//! the specification can be read.
//!
//! ```xml
//! <k:Kvittering xmlns:k="urn:borderpost:dk:receipt:1">
//!   <k:messageUUID>8c2ea15d-61fb-4ba9-9366-42f8b194c114</k:messageUUID>
//!   <k:status>Fejlet</k:status>
//!   <k:statusActionUUID>e225a75c-4b63-46c4-9423-77f5c8762445</k:statusActionUUID>
//!   <k:timestamp>2025-09-30T12:00:00Z</k:timestamp>
//!   <k:errorCode>E123</k:errorCode>
//!   <k:errorText>…</k:errorText>
//! </k:Kvittering>
//! ```
//!
//! Elements, in this order: `messageUUID` (the message's UUID), `status`,
//! `statusActionUUID` (only for the SF1601 statuses, and then it must be
//! theirs), `timestamp` (UTC, `Z`), then optional `errorCode`, `errorText`,
//! `channel` (`sms` or `email`, required with `NotifikationFejlet`) and
//! `issuer` (`SCHEME:VALUE`).

use borderpost_core::xml::{self, XmlLimits, XmlWriter};
use borderpost_core::{
    AdapterError, DecodeContext, EncodeContext, Encoded, Message, NativeReceipt, PartyId, Receipt,
    ReceiptKind,
};
use uuid::Uuid;

use crate::memo::MEDIA_TYPE;
use crate::schema::{self, Content, Decl, Simple, child_text, leaf, one, opt};

/// The receipt document's namespace.
pub const NAMESPACE: &str = "urn:borderpost:dk:receipt:1";
/// The protocol name recorded with the native receipt.
pub const PROTOCOL: &str = "dk-memo-receipt";

/// A receipt status: the three of SF1601 `PKO_PostStatus`, and the ones
/// Borderpost adds so that receipts from other countries can be told to a
/// Danish sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// SF1601 "ModtagetDigitalPost": received and validated by Digital Post.
    ModtagetDigitalPost,
    /// SF1601 "AfleveretDigitalPost": in the recipient's postbox.
    AfleveretDigitalPost,
    /// SF1601 "Fejlet": refused; resending the same message will not help.
    Fejlet,
    /// Borderpost: handed to the print service (Fjernprint).
    AfleveretFjernprint,
    /// Borderpost: opened by the recipient (receipts from other countries;
    /// Digital Post sends none).
    Laest,
    /// Borderpost: the recipient could not be notified by SMS or e-mail.
    NotifikationFejlet,
    /// Borderpost: printed mail came back undeliverable.
    Returneret,
    /// Borderpost: a temporary failure; the message may be sent again.
    FejletMidlertidigt,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 8] = [
        Status::ModtagetDigitalPost,
        Status::AfleveretDigitalPost,
        Status::Fejlet,
        Status::AfleveretFjernprint,
        Status::Laest,
        Status::NotifikationFejlet,
        Status::Returneret,
        Status::FejletMidlertidigt,
    ];

    /// The name in the `status` element.
    pub fn name(self) -> &'static str {
        match self {
            Status::ModtagetDigitalPost => "ModtagetDigitalPost",
            Status::AfleveretDigitalPost => "AfleveretDigitalPost",
            Status::Fejlet => "Fejlet",
            Status::AfleveretFjernprint => "AfleveretFjernprint",
            Status::Laest => "Laest",
            Status::NotifikationFejlet => "NotifikationFejlet",
            Status::Returneret => "Returneret",
            Status::FejletMidlertidigt => "FejletMidlertidigt",
        }
    }

    /// The SF1601 `PKO_PostStatus` status-action UUID, for the statuses
    /// that are SF1601's.
    pub fn action_uuid(self) -> Option<Uuid> {
        let u = match self {
            Status::Fejlet => 0xe225a75c_4b63_46c4_9423_77f5c8762445,
            Status::AfleveretDigitalPost => 0xf7161a89_5068_4023_bc80_d7f4daad2a2e,
            Status::ModtagetDigitalPost => 0xeb866ca2_b871_4387_b501_12cde577bd58,
            _ => return None,
        };
        Some(Uuid::from_u128(u))
    }

    fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }
}

const NAMES: &[&str] = &[
    "ModtagetDigitalPost",
    "AfleveretDigitalPost",
    "Fejlet",
    "AfleveretFjernprint",
    "Laest",
    "NotifikationFejlet",
    "Returneret",
    "FejletMidlertidigt",
];

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && Uuid::try_parse(s).is_ok()
}

static KVITTERING: Decl = Decl {
    ns: NAMESPACE,
    name: "Kvittering",
    content: Content::Sequence(&[
        one(leaf!(
            NAMESPACE,
            "messageUUID",
            Simple::Pattern(is_uuid, "a UUID")
        )),
        one(leaf!(NAMESPACE, "status", Simple::Enum(NAMES))),
        opt(leaf!(
            NAMESPACE,
            "statusActionUUID",
            Simple::Pattern(is_uuid, "a UUID")
        )),
        one(leaf!(NAMESPACE, "timestamp", Simple::DateTimeZ)),
        opt(leaf!(
            NAMESPACE,
            "errorCode",
            Simple::Text { min: 1, max: 256 }
        )),
        opt(leaf!(
            NAMESPACE,
            "errorText",
            Simple::Text { min: 0, max: 1024 }
        )),
        opt(leaf!(NAMESPACE, "channel", Simple::Enum(&["sms", "email"]))),
        opt(leaf!(
            NAMESPACE,
            "issuer",
            Simple::Text { min: 1, max: 100 }
        )),
    ]),
    attrs: &[],
};

/// Decodes a `Kvittering`.
pub fn decode(body: &[u8], ctx: &DecodeContext<'_>) -> Result<Receipt, AdapterError> {
    let limits = XmlLimits {
        max_depth: ctx.limits.max_depth.min(4),
        ..ctx.limits.xml()
    };
    let root = xml::parse(body, &limits)?;
    if !root.is(NAMESPACE, "Kvittering") {
        return Err(AdapterError::schema(
            "/",
            format!("the root element must be Kvittering in the namespace {NAMESPACE}"),
        ));
    }
    schema::check(&root, &KVITTERING, schema::ALL, "Kvittering")?;
    let text = |name: &str| child_text(&root, NAMESPACE, name);
    let status = text("status")
        .and_then(|s| Status::from_name(&s))
        .ok_or_else(|| AdapterError::schema("Kvittering/status", "unknown status"))?;
    if let Some(given) = text("statusActionUUID") {
        let given = Uuid::try_parse(&given).ok();
        if status.action_uuid().is_none() || given != status.action_uuid() {
            return Err(AdapterError::schema(
                "Kvittering/statusActionUUID",
                format!(
                    "does not belong to the status {} (SF1601 statuses carry their own UUID; Borderpost's carry none)",
                    status.name()
                ),
            ));
        }
    }
    let at = schema::parse_date_time(text("timestamp").unwrap_or_default().trim())
        .map_err(|e| AdapterError::schema("Kvittering/timestamp", e))?;
    let detail = match (text("errorCode"), text("errorText")) {
        (Some(code), Some(t)) => Some(format!("{code}: {t}")),
        (code, t) => code.or(t),
    };
    let kind = match status {
        Status::ModtagetDigitalPost => ReceiptKind::Received,
        Status::AfleveretDigitalPost => ReceiptKind::Delivered,
        Status::AfleveretFjernprint => ReceiptKind::Printed,
        Status::Laest => ReceiptKind::Read,
        Status::Returneret => ReceiptKind::Returned,
        Status::Fejlet => ReceiptKind::Error {
            permanent: true,
            detail,
        },
        Status::FejletMidlertidigt => ReceiptKind::Error {
            permanent: false,
            detail,
        },
        Status::NotifikationFejlet => ReceiptKind::NotificationFailed {
            channel: text("channel").ok_or_else(|| {
                AdapterError::schema("Kvittering", "NotifikationFejlet needs a channel")
            })?,
            detail,
        },
    };
    let issuer = text("issuer")
        .map(|s| {
            s.parse::<PartyId>()
                .map_err(|error| AdapterError::InvalidId {
                    path: "Kvittering/issuer".to_owned(),
                    error,
                })
        })
        .transpose()?;
    let native = String::from_utf8_lossy(body);
    Ok(Receipt {
        message_id: text("messageUUID").unwrap_or_default().to_ascii_lowercase(),
        kind,
        at,
        issuer,
        native: NativeReceipt {
            protocol: PROTOCOL.to_owned(),
            media_type: MEDIA_TYPE.to_owned(),
            body: native.trim_start_matches('\u{feff}').to_owned(),
        },
    })
}

/// Encodes `receipt` as a `Kvittering` for a Danish sender.
pub fn encode(
    receipt: &Receipt,
    _original: &Message,
    _ctx: &EncodeContext<'_>,
) -> Result<Encoded, AdapterError> {
    encode_with_code(receipt, None)
}

/// Encodes `receipt` as a `Kvittering`, with `error_code` (1–256
/// characters) as its `errorCode`: the machine-readable reason of a
/// `Fejlet` or `FejletMidlertidigt` answer, such as an
/// [`AdapterError::code`] or `RECIPIENT_NOT_REGISTERED`.
///
/// [`encode`] has no code to give (the canonical receipt carries only a
/// detail text) and needs the original message; the receiving side
/// (Borderpost's Digital Post simulator) answers messages it could not
/// decode, so it has no original and calls this directly. A decoder reads
/// the pair back as the detail `errorCode: errorText`.
pub fn encode_with_code(
    receipt: &Receipt,
    error_code: Option<&str>,
) -> Result<Encoded, AdapterError> {
    if let Some(code) = error_code {
        let len = code.chars().count();
        if !(1..=256).contains(&len) || !code.chars().all(xml::is_xml_char) {
            return Err(AdapterError::schema(
                "Kvittering/errorCode",
                "1 to 256 XML characters",
            ));
        }
    }
    if !is_uuid(&receipt.message_id) {
        return Err(AdapterError::schema(
            "receipt.message_id",
            "a Danish receipt names its message by UUID",
        ));
    }
    let (status, detail, channel) = match &receipt.kind {
        ReceiptKind::Received => (Status::ModtagetDigitalPost, None, None),
        ReceiptKind::Delivered => (Status::AfleveretDigitalPost, None, None),
        ReceiptKind::Printed => (Status::AfleveretFjernprint, None, None),
        ReceiptKind::Read => (Status::Laest, None, None),
        ReceiptKind::Returned => (Status::Returneret, None, None),
        ReceiptKind::Error {
            permanent: true,
            detail,
        } => (Status::Fejlet, detail.as_deref(), None),
        ReceiptKind::Error {
            permanent: false,
            detail,
        } => (Status::FejletMidlertidigt, detail.as_deref(), None),
        ReceiptKind::NotificationFailed { channel, detail } => {
            if !matches!(channel.as_str(), "sms" | "email") {
                return Err(AdapterError::Unsupported {
                    what: format!(
                        "a notification receipt for the channel {:?} (Danish receipts know sms and email)",
                        schema::truncate(channel, 20)
                    ),
                });
            }
            (
                Status::NotifikationFejlet,
                detail.as_deref(),
                Some(channel.as_str()),
            )
        }
    };
    let detail: Option<String> = detail.map(|d| d.chars().take(1024).collect());
    let mut w = XmlWriter::with_indent(true);
    w.start("k:Kvittering", &[("xmlns:k", NAMESPACE)]);
    w.leaf("k:messageUUID", &receipt.message_id.to_ascii_lowercase());
    w.leaf("k:status", status.name());
    if let Some(uuid) = status.action_uuid() {
        w.leaf("k:statusActionUUID", &uuid.hyphenated().to_string());
    }
    w.leaf(
        "k:timestamp",
        &crate::memo::format_utc(receipt.at, "receipt.at")?,
    );
    w.opt_leaf("k:errorCode", error_code);
    w.opt_leaf("k:errorText", detail.as_deref());
    w.opt_leaf("k:channel", channel);
    if let Some(issuer) = &receipt.issuer {
        w.leaf("k:issuer", &issuer.to_string());
    }
    w.end();
    Ok(Encoded::single(
        "body",
        MEDIA_TYPE,
        w.finish().into_bytes(),
        Vec::new(),
    ))
}
