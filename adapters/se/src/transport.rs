//! The SOAP 1.1 wire of Mina meddelanden v3, as pure codecs for the
//! gateway's client and a simulator: `deliverSecure` at the mailbox
//! operator (`Service/v3`), `isReachable` at FaR (`Recipient/v3`), and the
//! `applicationFault` both answer with (`contracts-v3/*.wsdl`:
//! document/literal, `soapAction=""`).
//!
//! Two kinds of XML, two tools:
//!
//! - the **`deliverSecure` request** carries signed content, which needs
//!   exact bytes: it is written and read through the namespace-resolved
//!   tree and the [normal form](crate::normal) the signatures are over;
//! - the **fixed-shape answers** (`DeliveryResult`, `ReachabilityStatus`,
//!   the fault) are typed structs read and written by serde-xml-rs, the
//!   product's choice for such documents (DESIGN §13). serde-xml-rs matches
//!   element names as written, prefix included, while senders pick
//!   prefixes freely (the samples use `ns8:`, `ns10:`, `ns2:`, `S:`,
//!   `SOAP-ENV:`) and xml-rs expands entities. So an answer is first
//!   pre-screened and parsed by `borderpost_core::xml` (no DOCTYPE, no
//!   entities, bounded size and depth; namespaces resolved), then
//!   re-written with Borderpost's fixed prefixes, and only that text
//!   reaches serde-xml-rs.

use borderpost_core::xml::{self, Element, XmlLimits};
use borderpost_core::{AdapterError, PartyId, Scheme};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::delivery::{self, matches_recipient_pattern, wire_id};
use crate::normal;
use crate::ns::{COMMON_V3, M3, RECIPIENT, RECIPIENT_V3, SERVICE, SERVICE_V3, SOAP};
use crate::signature::SealedDelivery;

/// The media type of every SOAP 1.1 message.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";
/// The `SOAPAction` header of every operation (the WSDLs' `soapAction=""`),
/// quoted as HTTP sends it.
pub const SOAP_ACTION: &str = "\"\"";
/// The most recipient ids one `isReachable` call may ask about (the XSD's
/// `maxOccurs="1000"`).
pub const MAX_RECIPIENTS_PER_LOOKUP: usize = 1000;

/// The prefixes answers are re-written with before serde-xml-rs reads
/// them, and written with.
const PREFIXES: [(&str, &str); 6] = [
    ("soap", SOAP),
    ("svc3", SERVICE_V3),
    ("svc", SERVICE),
    ("rcp3", RECIPIENT_V3),
    ("rcp", RECIPIENT),
    ("c3", COMMON_V3),
];

/// An answer: the operation's result, or a SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// The operation succeeded.
    Ok(T),
    /// The service answered with a fault.
    Fault(Fault),
}

/// `service:DeliveryResult`: the mailbox operator's synchronous answer to
/// `deliverSecure`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryResult {
    /// `TransId`: the operator's transaction id (a UUID in practice).
    #[serde(rename = "svc:TransId")]
    pub trans_id: String,
    /// `Status`, one per recipient (one: a secure delivery has one).
    #[serde(rename = "svc:Status", default)]
    pub statuses: Vec<DeliveryStatus>,
}

/// `service:DeliveryStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryStatus {
    /// `RecipientId` as written.
    #[serde(rename = "svc:RecipientId")]
    pub recipient_id: String,
    /// `Delivered`.
    #[serde(rename = "svc:Delivered")]
    pub delivered: bool,
}

/// `recipient:ReachabilityStatus`: FaR's answer for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReachabilityStatus {
    /// `AccountStatus`.
    #[serde(rename = "rcp:AccountStatus")]
    pub account_status: AccountStatus,
    /// `SenderAccepted`: the recipient accepts post from this sender.
    #[serde(rename = "rcp:SenderAccepted")]
    pub sender_accepted: bool,
    /// `LastSenderAcceptChange` (`xs:dateTime`, as written).
    #[serde(
        rename = "rcp:LastSenderAcceptChange",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sender_accept_change: Option<String>,
}

/// `recipient:AccountStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountStatus {
    /// `RecipientId` as written (see [`AccountStatus::recipient`]).
    #[serde(rename = "rcp:RecipientId")]
    pub recipient_id: String,
    /// `Type`.
    #[serde(rename = "rcp:Type")]
    pub kind: AccountType,
    /// `Pending`.
    #[serde(rename = "rcp:Pending")]
    pub pending: bool,
    /// `ServiceSupplier`: the mailbox operator, if the recipient has one.
    #[serde(
        rename = "rcp:ServiceSupplier",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_supplier: Option<ServiceSupplier>,
    /// `LastRegistration` (`xs:dateTime`, as written).
    #[serde(
        rename = "rcp:LastRegistration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_registration: Option<String>,
}

/// `recipient:AccountTypes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AccountType {
    /// A mailbox for secure (signed, sealed) deliveries.
    Secure,
    /// An anonymous account.
    Anonymous,
    /// No account.
    Not,
}

/// `recipient:ServiceSupplier`: a mailbox operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSupplier {
    /// `Id`: `16` + organisationsnummer.
    #[serde(rename = "rcp:Id")]
    pub id: String,
    /// `Name`.
    #[serde(rename = "rcp:Name")]
    pub name: String,
    /// `Logo`.
    #[serde(rename = "rcp:Logo", default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// `ServiceAdress` (sic): where `deliverSecure` goes.
    #[serde(rename = "rcp:ServiceAdress")]
    pub service_address: String,
    /// `UIAdress`.
    #[serde(
        rename = "rcp:UIAdress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ui_address: Option<String>,
    /// `InternalServiceAdress`: required by the XSD, empty in practice.
    #[serde(rename = "rcp:InternalServiceAdress", default)]
    pub internal_service_address: String,
}

/// A SOAP 1.1 fault, with Mina meddelanden's `applicationFault` detail if
/// it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The local part of `faultcode` (`Client`, `Server`, `Client.Auth`…).
    pub code: String,
    /// `faultstring`.
    pub string: String,
    /// `detail/applicationFault`.
    pub application: Option<ApplicationFault>,
}

/// `common3:ExceptionInformation`, the `applicationFault` detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationFault {
    /// `ErrorCode`, 1–9998.
    #[serde(rename = "c3:ErrorCode")]
    pub error_code: u16,
    /// `Description`.
    #[serde(rename = "c3:Description")]
    pub description: String,
    /// `CallId`, 20–50 characters: the service's id of the failed call.
    #[serde(rename = "c3:CallId")]
    pub call_id: String,
}

/// What a fault means for the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultClass {
    /// The service refused the delivery itself: sending it again unchanged
    /// will not help (the copy is `rejected`).
    Rejected,
    /// Anything else: try again later, within the gateway's retry budget.
    Retry,
}

/// Whether (and where) a recipient can be delivered to, from FaR's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deliverability {
    /// Deliver with `deliverSecure` to `service_address`.
    Deliver {
        /// `ServiceSupplier/ServiceAdress`.
        service_address: String,
        /// `ServiceSupplier/Id`.
        supplier_id: String,
        /// `ServiceSupplier/Name`.
        supplier_name: String,
    },
    /// Not digitally; why.
    Not(Unreachable),
}

/// Why a recipient cannot be delivered to digitally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// `Type=Not`: no mailbox.
    NoMailbox,
    /// `Type=Anonymous`: an account that takes no secure deliveries.
    Anonymous,
    /// `SenderAccepted=false`: the recipient does not accept this sender.
    SenderNotAccepted,
    /// No `ServiceSupplier/ServiceAdress` to deliver to.
    NoServiceAddress,
}

/// An `isReachable` request, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachabilityQuery {
    /// `senderOrgNr`.
    pub sender: PartyId,
    /// `recipientId`, 0–1000.
    pub recipients: Vec<PartyId>,
}

// === deliverSecure: signed content, through the tree ===

/// The SOAP request that delivers `sealed` to a mailbox operator:
/// `Envelope/Body/deliverSecure/deliverSecure`, the inner element holding
/// the sealed delivery's children (`deliverSecure` is typed
/// `message3:SealedDelivery`).
pub fn deliver_secure_request(sealed: &SealedDelivery) -> Result<String, AdapterError> {
    let root = xml::parse(sealed.as_str().as_bytes(), &XmlLimits::default())?;
    let mut inner = Element::new(Some(SERVICE_V3), "deliverSecure");
    inner.attrs = root.attrs;
    inner.children = root.children;
    let mut outer = Element::new(Some(SERVICE_V3), "deliverSecure");
    delivery::push(&mut outer, inner);
    Ok(normal::document(&envelope(outer)))
}

/// The element a delivery input holds: the document element itself
/// (`Delivery`, `SignedDelivery`, `SealedDelivery`), or, for a SOAP
/// `deliverSecure` request, its sealed delivery rebuilt as
/// `m3:SealedDelivery`.
pub(crate) fn delivery_element(root: Element) -> Result<Element, AdapterError> {
    if !root.is(SOAP, "Envelope") {
        return Ok(root);
    }
    let payload = body_payload(&root)?;
    if !payload.is(SERVICE_V3, "deliverSecure") {
        return Err(AdapterError::Unsupported {
            what: format!(
                "the SOAP operation <{}> (deliverSecure expected)",
                delivery::truncate(&payload.name, 64)
            ),
        });
    }
    let mut c = delivery::Children::of(payload, "Body/deliverSecure")?;
    let inner = c.one(SERVICE_V3, "deliverSecure")?;
    c.end()?;
    let mut sealed = Element::new(Some(M3), "SealedDelivery");
    sealed.attrs = inner.attrs.clone();
    sealed.children = inner.children.clone();
    Ok(sealed)
}

fn envelope(payload: Element) -> Element {
    let mut body = Element::new(Some(SOAP), "Body");
    delivery::push(&mut body, payload);
    let mut envelope = Element::new(Some(SOAP), "Envelope");
    delivery::push(&mut envelope, body);
    envelope
}

/// The one element in `Envelope/Body`. A `Header` is allowed; an entry in
/// it that must be understood is refused (Borderpost understands none).
fn body_payload(envelope: &Element) -> Result<&Element, AdapterError> {
    let mut c = delivery::Children::of(envelope, "Envelope")?;
    if let Some(header) = c.opt(SOAP, "Header") {
        let must = header.elements().any(|entry| {
            entry.attrs.iter().any(|a| {
                a.ns.as_deref() == Some(SOAP)
                    && a.name == "mustUnderstand"
                    && matches!(a.value.trim(), "1" | "true")
            })
        });
        if must {
            return Err(AdapterError::Unsupported {
                what: "a SOAP header entry marked mustUnderstand".to_owned(),
            });
        }
    }
    let body = c.one(SOAP, "Body")?;
    c.end()?;
    let mut b = delivery::Children::of(body, "Envelope/Body")?;
    let payload = b
        .next()
        .ok_or_else(|| AdapterError::schema("Envelope/Body", "the body is empty"))?;
    b.end()?;
    Ok(payload)
}

// === fixed-shape answers: serde-xml-rs behind the pre-screen ===

/// Pre-screens and parses a SOAP message, and returns its body's payload
/// re-written with Borderpost's prefixes, or the fault it holds.
fn read_payload(
    bytes: &[u8],
    limits: &XmlLimits,
) -> Result<Answer<(Element, String)>, AdapterError> {
    let root = xml::parse(bytes, limits)?;
    if !root.is(SOAP, "Envelope") {
        return Err(AdapterError::schema("/", "a SOAP 1.1 Envelope expected"));
    }
    let payload = body_payload(&root)?;
    if payload.is(SOAP, "Fault") {
        return read_fault(payload).map(Answer::Fault);
    }
    let text = prefixed(payload);
    Ok(Answer::Ok((payload.clone(), text)))
}

fn from_xml<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, AdapterError> {
    serde_xml_rs::from_str(text).map_err(|e| AdapterError::schema(what, e.to_string()))
}

fn to_xml<T: Serialize>(value: &T) -> Result<String, AdapterError> {
    let mut config = serde_xml_rs::SerdeXml::new();
    for (prefix, uri) in PREFIXES {
        config = config.namespace(prefix, uri);
    }
    config.to_string(value).map_err(|e| AdapterError::Crypto {
        detail: format!("a SOAP message cannot be written: {e}"),
    })
}

/// `e` written with the fixed prefixes, all declared on it. An element of
/// another namespace gets the prefix `other`, which no struct accepts.
fn prefixed(e: &Element) -> String {
    let mut out = String::new();
    write_prefixed(&mut out, e, true);
    out
}

fn write_prefixed(out: &mut String, e: &Element, root: bool) {
    let qname = qualified(e.ns.as_deref(), &e.name);
    out.push('<');
    out.push_str(&qname);
    if root {
        for (prefix, uri) in PREFIXES {
            out.push_str(&format!(" xmlns:{prefix}=\"{uri}\""));
        }
        out.push_str(" xmlns:other=\"urn:borderpost:other\"");
    }
    for attr in &e.attrs {
        let mut value = String::new();
        escape(&mut value, &attr.value);
        out.push_str(&format!(
            " {}=\"{}\"",
            qualified(attr.ns.as_deref(), &attr.name),
            value.replace('"', "&quot;")
        ));
    }
    out.push('>');
    for child in &e.children {
        match child {
            xml::Node::Element(c) => write_prefixed(out, c, false),
            xml::Node::Text(t) => escape(out, t),
        }
    }
    out.push_str("</");
    out.push_str(&qname);
    out.push('>');
}

fn qualified(ns: Option<&str>, name: &str) -> String {
    match ns {
        None => name.to_owned(),
        Some(uri) => {
            let prefix = PREFIXES
                .iter()
                .find(|(_, u)| *u == uri)
                .map_or("other", |(p, _)| p);
            format!("{prefix}:{name}")
        }
    }
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[derive(Serialize)]
#[serde(rename = "soap:Envelope")]
struct EnvelopeOut<B> {
    #[serde(rename = "soap:Body")]
    body: B,
}

#[derive(Serialize, Deserialize)]
struct DeliverSecureResponse {
    #[serde(rename = "svc3:return")]
    result: DeliveryResult,
}

#[derive(Serialize)]
struct DeliverSecureResponseBody<'a> {
    #[serde(rename = "svc3:deliverSecureResponse")]
    response: &'a DeliverSecureResponseRef<'a>,
}

#[derive(Serialize)]
struct DeliverSecureResponseRef<'a> {
    #[serde(rename = "svc3:return")]
    result: &'a DeliveryResult,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IsReachableResponse {
    #[serde(rename = "rcp3:return", default)]
    statuses: Vec<ReachabilityStatus>,
}

#[derive(Serialize)]
struct IsReachableResponseBody<'a> {
    #[serde(rename = "rcp3:isReachableResponse")]
    response: IsReachableResponseRef<'a>,
}

#[derive(Serialize)]
struct IsReachableResponseRef<'a> {
    #[serde(rename = "rcp3:return")]
    statuses: &'a [ReachabilityStatus],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IsReachable {
    #[serde(rename = "rcp3:senderOrgNr")]
    sender: String,
    #[serde(rename = "rcp3:recipientId", default)]
    recipients: Vec<String>,
}

#[derive(Serialize)]
struct IsReachableBody<'a> {
    #[serde(rename = "rcp3:isReachable")]
    request: &'a IsReachable,
}

#[derive(Serialize, Deserialize)]
struct FaultWire {
    faultcode: String,
    faultstring: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    faultactor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<DetailWire>,
}

#[derive(Serialize, Deserialize)]
struct DetailWire {
    #[serde(
        rename = "c3:applicationFault",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    application: Option<ApplicationFault>,
}

#[derive(Serialize)]
struct FaultBody<'a> {
    #[serde(rename = "soap:Fault")]
    fault: &'a FaultWire,
}

/// The answer to `deliverSecure`.
pub fn read_deliver_secure_response(
    bytes: &[u8],
    limits: &XmlLimits,
) -> Result<Answer<DeliveryResult>, AdapterError> {
    let (payload, text) = match read_payload(bytes, limits)? {
        Answer::Ok(p) => p,
        Answer::Fault(f) => return Ok(Answer::Fault(f)),
    };
    delivery::expect(
        &payload,
        SERVICE_V3,
        "deliverSecureResponse",
        "Envelope/Body",
    )?;
    let response: DeliverSecureResponse = from_xml(&text, "deliverSecureResponse")?;
    let result = response.result;
    if result.statuses.is_empty() {
        return Err(AdapterError::schema(
            "deliverSecureResponse/return",
            "at least one Status is required",
        ));
    }
    for status in &result.statuses {
        if !matches_recipient_pattern(&status.recipient_id) {
            return Err(AdapterError::schema(
                "deliverSecureResponse/return/Status/RecipientId",
                "not a RecipientId",
            ));
        }
    }
    Ok(Answer::Ok(result))
}

/// The answer to `deliverSecure`, as a mailbox operator (a simulator)
/// writes it.
pub fn deliver_secure_response(result: &DeliveryResult) -> Result<String, AdapterError> {
    to_xml(&EnvelopeOut {
        body: DeliverSecureResponseBody {
            response: &DeliverSecureResponseRef { result },
        },
    })
}

/// An `isReachable` request: may `sender` deliver to `recipients`
/// (at most [`MAX_RECIPIENTS_PER_LOOKUP`])?
pub fn is_reachable_request(
    sender: &PartyId,
    recipients: &[PartyId],
) -> Result<String, AdapterError> {
    if recipients.len() > MAX_RECIPIENTS_PER_LOOKUP {
        return Err(AdapterError::TooLarge {
            what: "recipient ids in one isReachable call".to_owned(),
            limit: MAX_RECIPIENTS_PER_LOOKUP as u64,
        });
    }
    let sender = match sender.national().scheme() {
        Scheme::SeOrgnr => wire_id(sender),
        _ => None,
    }
    .ok_or_else(|| {
        AdapterError::schema(
            "senderOrgNr",
            "a Swedish organisationsnummer (se-orgnr) is required",
        )
    })?;
    let recipients = recipients
        .iter()
        .map(|r| {
            wire_id(r).ok_or_else(|| AdapterError::Recipient {
                detail: format!("{r} is not a Swedish identifier"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    to_xml(&EnvelopeOut {
        body: IsReachableBody {
            request: &IsReachable { sender, recipients },
        },
    })
}

/// An `isReachable` request, as FaR (a simulator) reads it; identifiers
/// are checked by their national rule.
pub fn read_is_reachable_request(
    bytes: &[u8],
    limits: &XmlLimits,
    today: Date,
) -> Result<ReachabilityQuery, AdapterError> {
    let (payload, text) = match read_payload(bytes, limits)? {
        Answer::Ok(p) => p,
        Answer::Fault(_) => {
            return Err(AdapterError::schema(
                "Envelope/Body",
                "a fault is no request",
            ));
        }
    };
    delivery::expect(&payload, RECIPIENT_V3, "isReachable", "Envelope/Body")?;
    let request: IsReachable = from_xml(&text, "isReachable")?;
    if request.recipients.len() > MAX_RECIPIENTS_PER_LOOKUP {
        return Err(AdapterError::TooLarge {
            what: "recipient ids in one isReachable call".to_owned(),
            limit: MAX_RECIPIENTS_PER_LOOKUP as u64,
        });
    }
    let sender = delivery::parse_recipient_id(&request.sender, "isReachable/senderOrgNr", today)?;
    if sender.scheme() != Scheme::SeOrgnr {
        return Err(AdapterError::schema(
            "isReachable/senderOrgNr",
            "16 + organisationsnummer expected",
        ));
    }
    let recipients = request
        .recipients
        .iter()
        .map(|r| delivery::parse_recipient_id(r, "isReachable/recipientId", today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReachabilityQuery { sender, recipients })
}

/// FaR's answer to `isReachable`. Recipient ids are checked against the
/// XSD pattern only; [`AccountStatus::recipient`] applies the national
/// rule (public mock answers carry ids whose Luhn digit is wrong).
pub fn read_is_reachable_response(
    bytes: &[u8],
    limits: &XmlLimits,
) -> Result<Answer<Vec<ReachabilityStatus>>, AdapterError> {
    let (payload, text) = match read_payload(bytes, limits)? {
        Answer::Ok(p) => p,
        Answer::Fault(f) => return Ok(Answer::Fault(f)),
    };
    delivery::expect(
        &payload,
        RECIPIENT_V3,
        "isReachableResponse",
        "Envelope/Body",
    )?;
    let response: IsReachableResponse = from_xml(&text, "isReachableResponse")?;
    for status in &response.statuses {
        let account = &status.account_status;
        if !matches_recipient_pattern(&account.recipient_id) {
            return Err(AdapterError::schema(
                "isReachableResponse/return/AccountStatus/RecipientId",
                "not a RecipientId",
            ));
        }
        if let Some(supplier) = &account.service_supplier {
            let org_ok = supplier.id.len() == 12
                && supplier.id.starts_with("16")
                && supplier.id.bytes().all(|b| b.is_ascii_digit());
            if !org_ok {
                return Err(AdapterError::schema(
                    "isReachableResponse/return/AccountStatus/ServiceSupplier/Id",
                    "16 + 10 digits expected",
                ));
            }
        }
    }
    Ok(Answer::Ok(response.statuses))
}

/// FaR's answer to `isReachable`, as a simulator writes it.
pub fn is_reachable_response(statuses: &[ReachabilityStatus]) -> Result<String, AdapterError> {
    to_xml(&EnvelopeOut {
        body: IsReachableResponseBody {
            response: IsReachableResponseRef { statuses },
        },
    })
}

fn read_fault(payload: &Element) -> Result<Fault, AdapterError> {
    let wire: FaultWire = from_xml(&prefixed(payload), "Fault")?;
    let code = wire
        .faultcode
        .trim()
        .rsplit_once(':')
        .map_or(wire.faultcode.trim(), |(_, local)| local)
        .to_owned();
    let application = wire.detail.and_then(|d| d.application);
    if let Some(a) = &application {
        if !(1..=9998).contains(&a.error_code) {
            return Err(AdapterError::schema(
                "Fault/detail/applicationFault/ErrorCode",
                "1–9998 expected",
            ));
        }
        delivery::length("Fault/detail/applicationFault/CallId", &a.call_id, 20, 50)?;
    }
    Ok(Fault {
        code,
        string: wire.faultstring,
        application,
    })
}

/// A SOAP fault, as a service (a simulator) writes it.
pub fn fault_response(fault: &Fault) -> Result<String, AdapterError> {
    let wire = FaultWire {
        faultcode: format!("soap:{}", fault.code),
        faultstring: fault.string.clone(),
        faultactor: None,
        detail: fault.application.clone().map(|application| DetailWire {
            application: Some(application),
        }),
    };
    to_xml(&EnvelopeOut {
        body: FaultBody { fault: &wire },
    })
}

// === decisions ===

/// What a fault means for the copy.
///
/// The meanings of Mina meddelanden's error codes are not public (the v1
/// `ErrorCodes` enumeration lists 4999, 5000–5005 and 6004, nothing more),
/// so Borderpost decides by what is public, SOAP 1.1 §4.4.1: a `Client`
/// fault says the message itself is wrong and will fail again unchanged —
/// **rejected**; a `Server` fault (and any other) says processing failed for
/// a reason that may pass — **retry**, within the gateway's retry budget
/// and maximum age. An operator who learns a code's meaning lists it in
/// `rejecting_codes` ([`crate::SeConfig::rejecting_fault_codes`]) to reject
/// on it whatever the faultcode.
pub fn classify_fault(fault: &Fault, rejecting_codes: &[u16]) -> FaultClass {
    if fault
        .application
        .as_ref()
        .is_some_and(|a| rejecting_codes.contains(&a.error_code))
    {
        return FaultClass::Rejected;
    }
    if fault.code == "Client" || fault.code.starts_with("Client.") {
        FaultClass::Rejected
    } else {
        FaultClass::Retry
    }
}

/// Whether to deliver to a recipient, by FaR's answer: only when the
/// account is `Secure`, the recipient accepts the sender, and a
/// `ServiceAdress` exists (the rule Sundsvall's production sender applies).
pub fn deliverability(status: &ReachabilityStatus) -> Deliverability {
    let account = &status.account_status;
    match account.kind {
        AccountType::Not => return Deliverability::Not(Unreachable::NoMailbox),
        AccountType::Anonymous => return Deliverability::Not(Unreachable::Anonymous),
        AccountType::Secure => {}
    }
    if !status.sender_accepted {
        return Deliverability::Not(Unreachable::SenderNotAccepted);
    }
    match &account.service_supplier {
        Some(s) if !s.service_address.trim().is_empty() => Deliverability::Deliver {
            service_address: s.service_address.trim().to_owned(),
            supplier_id: s.id.clone(),
            supplier_name: s.name.clone(),
        },
        _ => Deliverability::Not(Unreachable::NoServiceAddress),
    }
}

// === impl AccountType ===

impl AccountType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Secure => "Secure",
            AccountType::Anonymous => "Anonymous",
            AccountType::Not => "Not",
        }
    }
}

// serde-xml-rs reads a unit enum from an element's name, not its text, so
// the enumeration goes through a string.
impl TryFrom<String> for AccountType {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        [
            AccountType::Secure,
            AccountType::Anonymous,
            AccountType::Not,
        ]
        .into_iter()
        .find(|t| t.as_str() == value)
        .ok_or_else(|| "Secure, Anonymous or Not expected".to_owned())
    }
}

impl From<AccountType> for String {
    fn from(value: AccountType) -> String {
        value.as_str().to_owned()
    }
}

// === impl AccountStatus / DeliveryStatus ===

impl AccountStatus {
    /// The recipient, checked by its national rule (Luhn included).
    pub fn recipient(&self, today: Date) -> Result<PartyId, AdapterError> {
        delivery::parse_recipient_id(&self.recipient_id, "AccountStatus/RecipientId", today)
    }
}

impl DeliveryStatus {
    /// The recipient, checked by its national rule (Luhn included).
    pub fn recipient(&self, today: Date) -> Result<PartyId, AdapterError> {
        delivery::parse_recipient_id(&self.recipient_id, "Status/RecipientId", today)
    }
}

impl Unreachable {
    /// A stable, short reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Unreachable::NoMailbox => "no-mailbox",
            Unreachable::Anonymous => "anonymous-account",
            Unreachable::SenderNotAccepted => "sender-not-accepted",
            Unreachable::NoServiceAddress => "no-service-address",
        }
    }
}
