//! `no-dpi-receipt`: DPI receipts (`leveringskvittering`,
//! `aapningskvittering`, `mottakskvittering`, `varslingfeiletkvittering`,
//! `returpostkvittering`) and errors (`feil`), each an SBD signed as a JWT.
//!
//! Correlation: a receipt carries its own `instanceIdentifier` and the
//! **ConversationId** of the message it is about (the samples and the
//! eFormidling docs tie receipts to the forsendelse by conversation).
//! [`Receipt::message_id`] is therefore that ConversationId, and when
//! Borderpost encodes a DPI message it sets the ConversationId to the
//! copy's `EncodeContext::message_id`, so the id comes back unchanged.

use borderpost_core::{
    Adapter, AdapterError, Channel, DecodeContext, EncodeContext, Encoded, Message, NativeReceipt,
    Protocol, Receipt, ReceiptKind, Recipient, Wire,
};
use uuid::Uuid;

use crate::config::DpiConfig;
use crate::dpi::{
    MEDIA_TYPE_JWT, check_signer, header_in_process, identifier, iso6523_value, party, verify_token,
};
use crate::sbd::{self, Avsender, DocumentType, Kvittering, Sbd, VirksomhetMottaker};
use crate::{PART_FORRETNINGSMELDING, PROTOCOL_DPI_RECEIPT, jwt};

/// The receipt adapter: one part, the receipt JWT.
#[derive(Debug, Clone, Default)]
pub struct DpiReceipts {
    config: DpiConfig,
}

impl DpiReceipts {
    /// An adapter with `config` (its trust anchors are used).
    pub fn new(config: DpiConfig) -> DpiReceipts {
        DpiReceipts { config }
    }
}

impl Adapter for DpiReceipts {
    fn protocol(&self) -> Protocol {
        PROTOCOL_DPI_RECEIPT
    }

    fn decode(&self, _wire: &Wire<'_>, _ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        Err(AdapterError::Unsupported {
            what: "messages in no-dpi-receipt (use no-dpi)".to_owned(),
        })
    }

    fn encode(
        &self,
        _message: &Message,
        _to: &Recipient,
        _ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        Err(AdapterError::Unsupported {
            what: "messages in no-dpi-receipt (use no-dpi)".to_owned(),
        })
    }

    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        decode(wire.body(), &self.config, ctx)
    }

    fn encode_receipt(
        &self,
        receipt: &Receipt,
        original: &Message,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        encode(receipt, original, ctx)
    }
}

/// Decodes a receipt JWT.
pub(crate) fn decode(
    token: &[u8],
    config: &DpiConfig,
    ctx: &DecodeContext<'_>,
) -> Result<Receipt, AdapterError> {
    let verified = verify_token(token, config, ctx)?;
    let sbd = sbd::parse(&verified.payload, &ctx.limits)?;
    let kind = sbd.document_type()?;
    if !kind.is_receipt() {
        return Err(AdapterError::schema(
            "standardBusinessDocument",
            "this is a business message; decode it as no-dpi",
        ));
    }
    check_signer(&sbd, &verified.signer)?;
    let body = sbd
        .receipt()
        .ok_or_else(|| AdapterError::schema("standardBusinessDocument", "no receipt body"))?;
    let scope = sbd
        .conversation()
        .ok_or_else(|| AdapterError::schema("businessScope", "no ConversationId"))?;
    let message_id = scope.instance_identifier.clone().unwrap_or_default();
    let process = scope.identifier.as_deref().unwrap_or_default();
    let at = sbd::timestamp(&format!("{}.tidspunkt", kind.name()), &body.tidspunkt)?;
    let issuer = party(
        &body.avsender.virksomhetsidentifikator.value,
        &format!("{}.avsender.virksomhetsidentifikator", kind.name()),
    )?;
    let receipt_kind = match kind {
        DocumentType::Leveringskvittering if process == sbd::PROCESS_UTSKRIFT => {
            ReceiptKind::Printed
        }
        DocumentType::Leveringskvittering => ReceiptKind::Delivered,
        DocumentType::Aapningskvittering => ReceiptKind::Read,
        DocumentType::Mottakskvittering => ReceiptKind::Received,
        DocumentType::Returpostkvittering => ReceiptKind::Returned,
        DocumentType::Varslingfeiletkvittering => ReceiptKind::NotificationFailed {
            channel: match body.varslingskanal.as_deref() {
                Some("epost") => "email".to_owned(),
                _ => "sms".to_owned(),
            },
            detail: body.beskrivelse.clone(),
        },
        DocumentType::Feil => ReceiptKind::Error {
            permanent: body.feiltype.as_deref() == Some("KLIENT"),
            detail: body.detaljer.clone(),
        },
        DocumentType::Digital | DocumentType::Utskrift | DocumentType::Flyttet => {
            return Err(AdapterError::schema(
                "standardBusinessDocument",
                "not a receipt",
            ));
        }
    };
    let text = String::from_utf8_lossy(token).trim_end().to_owned();
    Ok(Receipt {
        message_id,
        kind: receipt_kind,
        at,
        issuer: Some(issuer),
        native: NativeReceipt {
            protocol: PROTOCOL_DPI_RECEIPT.0.to_owned(),
            media_type: MEDIA_TYPE_JWT.to_owned(),
            body: text,
        },
    })
}

/// Encodes `receipt` for the Norwegian sender of `original` (a message
/// Borderpost decoded from DPI), signed by `ctx.signer` — Borderpost in the
/// postbox provider's seat. It never carries a Maskinporten token.
pub(crate) fn encode(
    receipt: &Receipt,
    original: &Message,
    ctx: &EncodeContext<'_>,
) -> Result<Encoded, AdapterError> {
    let signer = ctx.signer.ok_or(AdapterError::Missing {
        what: "signer (the certificate that signs DPI receipts)",
    })?;
    let leaf = signer
        .certificate_chain()
        .first()
        .ok_or(AdapterError::Missing {
            what: "signer certificate",
        })?;
    let issuer = crate::cert::organisation(
        openssl::x509::X509::from_der(leaf)
            .map_err(crate::cert::crypto)?
            .as_ref(),
    )?;
    let issuer_value = iso6523_value(&issuer, "signer certificate")?;
    let print = original.channel == Channel::PrintOnly;
    let process = if print {
        sbd::PROCESS_UTSKRIFT
    } else {
        sbd::PROCESS_DIGITAL
    };
    let (kind, extra) = match &receipt.kind {
        ReceiptKind::Delivered | ReceiptKind::Printed => {
            (DocumentType::Leveringskvittering, Extra::None)
        }
        ReceiptKind::Read => (DocumentType::Aapningskvittering, Extra::None),
        ReceiptKind::Received => (DocumentType::Mottakskvittering, Extra::None),
        ReceiptKind::Returned => (DocumentType::Returpostkvittering, Extra::None),
        ReceiptKind::NotificationFailed { channel, detail } => (
            DocumentType::Varslingfeiletkvittering,
            Extra::Varsling {
                kanal: if channel == "email" { "epost" } else { "sms" },
                beskrivelse: detail.clone(),
            },
        ),
        ReceiptKind::Error { permanent, detail } => (
            DocumentType::Feil,
            Extra::Feil {
                feiltype: if *permanent { "KLIENT" } else { "SERVER" },
                detaljer: detail.clone(),
            },
        ),
    };
    if !kind.processes().contains(&process) {
        return Err(AdapterError::Unsupported {
            what: format!(
                "a {} receipt for {} post: DPI has none",
                kind.name(),
                if print { "print" } else { "digital" }
            ),
        });
    }

    // The receipt goes to whoever sent the message (its data processor, if
    // it had one) and names the organisation responsible, with its unit.
    let to = original
        .sender
        .representative
        .as_ref()
        .map_or(&original.sender.id, |r| &r.id);
    let receiver = iso6523_value(to, "original sender")?;
    let mottaker = iso6523_value(&original.sender.id, "original sender")?;
    let conversation = original
        .references
        .conversation
        .as_deref()
        .and_then(|c| Uuid::parse_str(c).ok())
        .unwrap_or(original.id);
    let mut body = Kvittering {
        avsender: Avsender {
            virksomhetsidentifikator: identifier(&issuer_value),
            avsenderidentifikator: None,
            faktura_referanse: None,
        },
        mottaker: VirksomhetMottaker {
            virksomhetsidentifikator: identifier(&mottaker),
            motakeridentifikator: original.sender.unit.clone(),
        },
        tidspunkt: crate::dpi::rfc3339(receipt.at)?,
        varslingskanal: None,
        beskrivelse: None,
        feiltype: None,
        detaljer: None,
        maskinportentoken: None,
    };
    match extra {
        Extra::None => {}
        Extra::Varsling { kanal, beskrivelse } => {
            body.varslingskanal = Some(kanal.to_owned());
            body.beskrivelse = beskrivelse;
        }
        Extra::Feil { feiltype, detaljer } => {
            body.feiltype = Some(feiltype.to_owned());
            body.detaljer = detaljer;
        }
    }
    let mut sbd = Sbd {
        standard_business_document_header: header_in_process(
            &issuer_value,
            &receiver,
            kind,
            ctx.message_id,
            ctx.now,
            conversation,
            process,
            None,
        )?,
        digital: None,
        utskrift: None,
        flyttet: None,
        leveringskvittering: None,
        aapningskvittering: None,
        mottakskvittering: None,
        varslingfeiletkvittering: None,
        returpostkvittering: None,
        feil: None,
    };
    let slot = match kind {
        DocumentType::Leveringskvittering => &mut sbd.leveringskvittering,
        DocumentType::Aapningskvittering => &mut sbd.aapningskvittering,
        DocumentType::Mottakskvittering => &mut sbd.mottakskvittering,
        DocumentType::Varslingfeiletkvittering => &mut sbd.varslingfeiletkvittering,
        DocumentType::Returpostkvittering => &mut sbd.returpostkvittering,
        _ => &mut sbd.feil,
    };
    *slot = Some(body);
    sbd::validate(&sbd)?;
    let json = sbd::to_json(&sbd)?;
    let token = jwt::sign(&json, signer)?;
    Ok(Encoded::single(
        PART_FORRETNINGSMELDING,
        MEDIA_TYPE_JWT,
        token.into_bytes(),
        Vec::new(),
    ))
}

enum Extra {
    None,
    Varsling {
        kanal: &'static str,
        beskrivelse: Option<String>,
    },
    Feil {
        feiltype: &'static str,
        detaljer: Option<String>,
    },
}
