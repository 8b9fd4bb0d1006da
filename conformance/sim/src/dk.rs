//! Denmark: **Borderpost's model** of Digital Post's (NgDP) REST
//! single-send API, with Fjernprint (SF1600) for print.
//!
//! The real API — paths, headers, the business receipt — is specified only
//! in Digst's "Digital Post – Technical Integration" document, which is not
//! public (`protocols/dk/NOTES.md` §1.3). This simulator implements the
//! model Borderpost's Danish transport speaks (`adapters/dk/README.md`,
//! "What of the Danish transport is not public"): the message formats are
//! the real ones (MeMo 1.1/1.2, SF1600 `ForsendelseI`), the receipts are
//! Borderpost's `Kvittering` document carrying SF1601's public status
//! names, and the HTTP shape below is ours.
//!
//! | route | answer |
//! |---|---|
//! | `POST /apis/v1/memo`, MeMo 1.0/1.1/1.2, `Content-Type: application/xml` | `202` + `Kvittering` `ModtagetDigitalPost`; `400` + `Fejlet` (`errorCode` = the adapter's error code); `415` + `Fejlet` for another content type; `422` + `Fejlet` `RECIPIENT_NOT_REGISTERED` for a recipient without Digital Post |
//! | `POST /apis/v1/print`, SF1600 `ForsendelseI` | `202` + `Kvittering` `ModtagetDigitalPost`; `400`/`415` + `Fejlet` |
//! | `GET /apis/v1/receipts` | `200` `[{"id", "kvittering"}]` (oldest first, at most 100; listed until acknowledged) or `204` |
//! | `POST /apis/v1/receipts/{id}/ack` | `204`; `404` for an unknown id |
//! | `GET /apis/v1/memo/{id}`, `GET /apis/v1/print/{id}` | `200` + `Kvittering` `ModtagetDigitalPost` if a valid message with that id was taken on that route; `404` otherwise |
//!
//! Validation is strict: the body is decoded with `borderpost_dk`'s
//! [`Memo`] (version from `memoVersion`; schema, identifiers with their
//! national rules, business rules) or [`Fjernprint`]. Beyond the adapter, a
//! MeMo recipient must be a CPR or CVR number (Digital Post delivers only to
//! Danish ids; `Andet` with a foreign label is refused with
//! `recipient-unaddressable`), and a Fjernprint `AfsendelseIdentifikator`
//! must be a UUID (the receipts name letters by UUID; Borderpost writes
//! one).
//!
//! Recording: `message_id` is the MeMo `messageUUID` or the Fjernprint
//! `AfsendelseIdentifikator` (the id the sender fixes per copy and keeps
//! across retries), lower case. An invalid message is recorded with
//! `valid: false` when its id can be read from the XML tree, else not at
//! all. The first valid arrival of an id queues one receipt —
//! `AfleveretDigitalPost` for MeMo, `AfleveretFjernprint` for print — after
//! [`DkOptions::receipt_delay`]; repeats are answered the same way, only
//! counted. It is also kept decoded, with its bytes, for `GET /sim/messages`
//! (route `memo` or `print`).
//!
//! Recipients without Digital Post ([`DkOptions::no_digital_post`], by
//! default [`DEFAULT_NO_DIGITAL_POST`]) are not deliveries: the message is
//! valid but nobody received it. They are listed under `GET /sim/refusals`
//! instead, so the print delivery a gateway falls back to (same id, route
//! `print`) shows up in `/sim/deliveries` on its own with `count: 1`.
//!
//! Failure modes (`POST /sim/mode`) apply to the two message routes only;
//! `reject` answers `400` + `Fejlet` `errorCode` `rejected` and records the
//! arrival (if its id can be read) as invalid.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use borderpost_core::xml::{self, Element, XmlLimits};
use borderpost_core::{
    Adapter, AdapterError, DecodeContext, Message, NativeReceipt, PartyId, Receipt, ReceiptKind,
    Scheme, Wire,
};
use borderpost_dk::{Fjernprint, Memo, MemoVersion, receipt};
use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use uuid::Uuid;

use crate::{
    Body, EXAMPLE_ROOTS, Error, Handler, Mode, Pki, Running, Shared, empty, json, lock, respond,
    server_tls, spawn, text,
};

/// Send a MeMo.
pub const PATH_MEMO: &str = "/apis/v1/memo";
/// Send a letter to print (SF1600 `ForsendelseI`).
pub const PATH_PRINT: &str = "/apis/v1/print";
/// List pending receipts; `/{id}/ack` below it acknowledges one.
pub const PATH_RECEIPTS: &str = "/apis/v1/receipts";
/// The `errorCode` of a recipient without Digital Post (`422`).
pub const NOT_REGISTERED: &str = "RECIPIENT_NOT_REGISTERED";
/// The `errorCode` of the `reject` failure mode.
pub const REJECTED: &str = "rejected";
/// The recipient that has no Digital Post unless configured otherwise: a
/// valid CPR number (25 December 2016) reserved for print-fallback tests.
pub const DEFAULT_NO_DIGITAL_POST: &str = "dk-cpr:2512169996";
/// The most receipts one `GET /apis/v1/receipts` lists.
pub const MAX_RECEIPTS_PER_LIST: usize = 100;
/// The certificate the simulator serves TLS with and names as the
/// receipts' issuer (`postbox-dk.crt`/`.key` in the PKI).
pub const CERTIFICATE: &str = "postbox-dk";
/// The media type of MeMo, Fjernprint and `Kvittering` bodies.
pub const MEDIA_TYPE: &str = "application/xml";

/// Settings of the Danish simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkOptions {
    /// Recipients (`dk-cpr`/`dk-cvr`) without Digital Post: MeMo to them is
    /// answered `422` `RECIPIENT_NOT_REGISTERED`.
    pub no_digital_post: Vec<PartyId>,
    /// How long after the accepting answer a receipt becomes listed.
    pub receipt_delay: Duration,
    /// How far the simulated Digital Post's clock is off: every
    /// `Kvittering` is stamped with the time plus this (negative: a clock
    /// behind, whose receipts look older than what caused them).
    pub clock_skew: time::Duration,
}

impl Default for DkOptions {
    fn default() -> Self {
        DkOptions {
            no_digital_post: DEFAULT_NO_DIGITAL_POST.parse().into_iter().collect(),
            receipt_delay: Duration::ZERO,
            clock_skew: time::Duration::ZERO,
        }
    }
}

/// Starts the Danish simulator on `listener`: TLS with `postbox-dk`, a
/// client certificate from any example root required.
pub fn start(listener: TcpListener, pki: &Pki, options: DkOptions) -> Result<Running, Error> {
    for id in &options.no_digital_post {
        if !matches!(id.scheme(), Scheme::DkCpr | Scheme::DkCvr) {
            return Err(Error::Option {
                option: "no_digital_post",
                detail: format!("{id} is not a Danish CPR or CVR number"),
            });
        }
    }
    let tls = server_tls(
        pki,
        &format!("{CERTIFICATE}.crt"),
        &format!("{CERTIFICATE}.key"),
        &EXAMPLE_ROOTS,
    )?;
    let issuer = issuer(pki)?;
    let state = State {
        shared: Shared::default(),
        no_digital_post: options.no_digital_post.into_iter().collect(),
        receipt_delay: options.receipt_delay,
        clock_skew: options.clock_skew,
        issuer,
        receipts: Mutex::new(VecDeque::new()),
        held: Mutex::new(HashMap::new()),
    };
    spawn(listener, tls, Arc::new(DkSim(Arc::new(state))))
}

/// The organisation of the simulator's certificate (Digitaliseringsstyrelsen
/// in the example PKI), read from the certificate so the receipts' issuer
/// follows the PKI.
fn issuer(pki: &Pki) -> Result<PartyId, Error> {
    let key = |source| Error::Key {
        name: CERTIFICATE.to_owned(),
        source,
    };
    borderpost_no::CmsKey::from_pem(
        &pki.read_file(&format!("{CERTIFICATE}.crt"))?,
        &pki.read_file(&format!("{CERTIFICATE}.key"))?,
    )
    .and_then(|k| k.organisation())
    .map_err(key)
}

/// The handler: cheap to clone into blocking tasks.
struct DkSim(Arc<State>);

struct State {
    shared: Shared,
    no_digital_post: HashSet<PartyId>,
    receipt_delay: Duration,
    clock_skew: time::Duration,
    issuer: PartyId,
    receipts: Mutex<VecDeque<Pending>>,
    /// Every message taken, by id, with the route it came on: what
    /// `GET /apis/v1/memo/{id}` (or `print`) answers from.
    held: Mutex<HashMap<Uuid, Route>>,
}

/// A queued receipt.
struct Pending {
    id: Uuid,
    kvittering: String,
    visible_at: Instant,
}

/// One entry of `GET /apis/v1/receipts`.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    id: String,
    kvittering: &'a str,
}

/// Which message route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Memo,
    Print,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Memo => "memo",
            Route::Print => "print",
        }
    }
}

/// What validating one body found.
enum Outcome {
    Valid {
        message_id: String,
        recipient: String,
        recipient_id: Option<PartyId>,
        /// What the decoder read, kept for `GET /sim/messages`.
        message: Box<Message>,
    },
    Invalid {
        /// `None` when no id could be read: nothing is recorded.
        message_id: Option<String>,
        recipient: String,
        status: StatusCode,
        error: AdapterError,
    },
}

// === impl DkSim ===

impl Handler for DkSim {
    fn handle(
        &self,
        method: Method,
        path: String,
        _query: Option<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send + '_>> {
        let state = Arc::clone(&self.0);
        Box::pin(async move {
            let route = match path.as_str() {
                PATH_MEMO => Some(Route::Memo),
                PATH_PRINT => Some(Route::Print),
                _ => None,
            };
            if let Some((route, id)) = held_path(&path) {
                if method != Method::GET {
                    return text(StatusCode::METHOD_NOT_ALLOWED, "use GET");
                }
                return state.lookup(route, id);
            }
            if let Some(route) = route {
                if method != Method::POST {
                    return text(StatusCode::METHOD_NOT_ALLOWED, "use POST");
                }
                if let Some(response) = state.shared.intercept().await {
                    return response;
                }
                let response = Arc::clone(&state).submit(route, &headers, body).await;
                return state.shared.answer(response);
            }
            if path == PATH_RECEIPTS {
                return match method {
                    Method::GET => state.list_receipts(),
                    _ => text(StatusCode::METHOD_NOT_ALLOWED, "use GET"),
                };
            }
            match ack_id(&path) {
                Some(id) if method == Method::POST => state.ack(id),
                Some(_) => text(StatusCode::METHOD_NOT_ALLOWED, "use POST"),
                None => text(StatusCode::NOT_FOUND, "not found"),
            }
        })
    }

    fn shared(&self) -> &Shared {
        &self.0.shared
    }
}

/// The route and `{id}` of `/apis/v1/memo/{id}` or `/apis/v1/print/{id}`.
fn held_path(path: &str) -> Option<(Route, &str)> {
    let (route, rest) = if let Some(rest) = path.strip_prefix(PATH_MEMO) {
        (Route::Memo, rest)
    } else {
        (Route::Print, path.strip_prefix(PATH_PRINT)?)
    };
    let id = rest.strip_prefix('/')?;
    (!id.is_empty() && !id.contains('/')).then_some((route, id))
}

/// The `{id}` of `/apis/v1/receipts/{id}/ack`.
fn ack_id(path: &str) -> Option<&str> {
    path.strip_prefix(PATH_RECEIPTS)?
        .strip_prefix('/')?
        .strip_suffix("/ack")
        .filter(|id| !id.contains('/'))
}

// === impl State ===

impl State {
    async fn submit(
        self: Arc<Self>,
        route: Route,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response<Body> {
        // One look at the mode, so a mode change mid-request cannot mix
        // two answers.
        let rejected = self.shared.mode().mode == Mode::Reject;
        let media_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(MEDIA_TYPE)
            .to_owned();
        let (outcome, body) = if rejected {
            let peek = peek(route, &body);
            let outcome = Outcome::Invalid {
                message_id: peek.message_id,
                recipient: peek.recipient,
                status: StatusCode::BAD_REQUEST,
                error: AdapterError::Unsupported {
                    what: "any message: the simulator is in reject mode".to_owned(),
                },
            };
            (outcome, body)
        } else if !is_xml(headers) {
            let peek = peek(route, &body);
            let outcome = Outcome::Invalid {
                message_id: peek.message_id,
                recipient: peek.recipient,
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                error: AdapterError::Unsupported {
                    what: format!("a body that is not {MEDIA_TYPE} (Content-Type)"),
                },
            };
            (outcome, body)
        } else {
            // Decoding a large MeMo (base64 documents, schema walk) is CPU
            // work: keep it off the runtime's worker threads.
            let validated = tokio::task::spawn_blocking(move || {
                let outcome = validate(route, &body);
                (outcome, body)
            });
            match validated.await {
                Ok(validated) => validated,
                Err(e) => {
                    tracing::error!(error = %e, "validation task failed");
                    return text(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
                }
            }
        };
        self.answer(route, outcome, rejected, &media_type, &body)
    }

    fn answer(
        &self,
        route: Route,
        outcome: Outcome,
        rejected: bool,
        media_type: &str,
        body: &[u8],
    ) -> Response<Body> {
        match outcome {
            Outcome::Invalid {
                message_id,
                recipient,
                status,
                error,
            } => {
                let (code, detail) = if rejected {
                    (
                        REJECTED,
                        "refused by the simulator (mode reject)".to_owned(),
                    )
                } else {
                    (error.code(), error.to_string())
                };
                let count = message_id.as_deref().map(|id| {
                    self.shared
                        .record(id, &recipient, false, Some(detail.clone()))
                });
                tracing::info!(route = route.name(), message_id = ?message_id, count = ?count, code, %detail, "refused an invalid message");
                self.kvittering(
                    status,
                    message_id.as_deref(),
                    ReceiptKind::Error {
                        permanent: true,
                        detail: Some(detail.clone()),
                    },
                    Some(code),
                )
            }
            Outcome::Valid {
                message_id,
                recipient,
                recipient_id,
                message,
            } => {
                if route == Route::Memo
                    && recipient_id
                        .as_ref()
                        .is_some_and(|id| self.no_digital_post.contains(id))
                {
                    let detail = "recipient has no Digital Post";
                    let count = self.shared.refuse(&message_id, &recipient, detail);
                    tracing::info!(route = route.name(), %message_id, count, "refused: the recipient has no Digital Post");
                    return self.kvittering(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Some(&message_id),
                        ReceiptKind::Error {
                            permanent: true,
                            detail: Some(format!("{detail}: {recipient}")),
                        },
                        Some(NOT_REGISTERED),
                    );
                }
                let arrival = self
                    .shared
                    .record_arrival(&message_id, &recipient, true, None);
                tracing::info!(route = route.name(), %message_id, count = arrival.count, "accepted");
                if let Ok(id) = Uuid::try_parse(&message_id) {
                    lock(&self.held).entry(id).or_insert(route);
                }
                if arrival.first_valid {
                    let kind = match route {
                        Route::Memo => ReceiptKind::Delivered,
                        Route::Print => ReceiptKind::Printed,
                    };
                    self.queue(&message_id, kind);
                    self.shared.keep_message(
                        &message_id,
                        &recipient,
                        route.name(),
                        *message,
                        media_type,
                        body,
                    );
                }
                self.kvittering(
                    StatusCode::ACCEPTED,
                    Some(&message_id),
                    ReceiptKind::Received,
                    None,
                )
            }
        }
    }

    /// `GET /apis/v1/{memo|print}/{id}`: the message's `Kvittering` if it
    /// was taken on that route, else `404`.
    fn lookup(&self, route: Route, id: &str) -> Response<Body> {
        let held = Uuid::try_parse(id)
            .ok()
            .and_then(|id| lock(&self.held).get(&id).copied());
        if held != Some(route) {
            return text(StatusCode::NOT_FOUND, "no such message");
        }
        self.kvittering(StatusCode::OK, Some(id), ReceiptKind::Received, None)
    }

    /// Queues the receipt of a first valid arrival.
    fn queue(&self, message_id: &str, kind: ReceiptKind) {
        match self.document(message_id, kind, None) {
            Ok(document) => {
                let pending = Pending {
                    id: Uuid::new_v4(),
                    kvittering: String::from_utf8_lossy(&document).into_owned(),
                    visible_at: Instant::now() + self.receipt_delay,
                };
                lock(&self.receipts).push_back(pending);
            }
            // Only a simulator bug gets here (the id is a UUID, the kind
            // has a status): say so loudly, keep serving.
            Err(e) => tracing::error!(%message_id, error = %e, "could not encode a receipt"),
        }
    }

    /// An answer carrying a `Kvittering`.
    fn kvittering(
        &self,
        status: StatusCode,
        message_id: Option<&str>,
        kind: ReceiptKind,
        code: Option<&str>,
    ) -> Response<Body> {
        match self.document(message_id.unwrap_or_default(), kind, code) {
            Ok(document) => respond(status, MEDIA_TYPE, document),
            Err(e) => {
                tracing::error!(error = %e, "could not encode an answer");
                text(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }

    /// A `Kvittering` for `message_id`, timestamped now (by the simulated
    /// clock, see [`DkOptions::clock_skew`]). An id that is not a
    /// UUID (unreadable from a broken message) is written as the nil UUID:
    /// the document requires one.
    fn document(
        &self,
        message_id: &str,
        kind: ReceiptKind,
        code: Option<&str>,
    ) -> Result<Vec<u8>, AdapterError> {
        let uuid = Uuid::try_parse(message_id).unwrap_or_else(|_| Uuid::nil());
        let receipt = Receipt {
            message_id: uuid.hyphenated().to_string(),
            kind,
            at: OffsetDateTime::now_utc() + self.clock_skew,
            issuer: Some(self.issuer.clone()),
            native: NativeReceipt {
                protocol: receipt::PROTOCOL.to_owned(),
                media_type: MEDIA_TYPE.to_owned(),
                body: String::new(),
            },
        };
        let encoded = receipt::encode_with_code(&receipt, code)?;
        Ok(encoded
            .parts
            .into_iter()
            .next()
            .map(|p| p.body)
            .unwrap_or_default())
    }

    fn list_receipts(&self) -> Response<Body> {
        let now = Instant::now();
        let receipts = lock(&self.receipts);
        let listed: Vec<Listed<'_>> = receipts
            .iter()
            .filter(|p| p.visible_at <= now)
            .take(MAX_RECEIPTS_PER_LIST)
            .map(|p| Listed {
                id: p.id.hyphenated().to_string(),
                kvittering: &p.kvittering,
            })
            .collect();
        if listed.is_empty() {
            empty(StatusCode::NO_CONTENT)
        } else {
            json(StatusCode::OK, &listed)
        }
    }

    fn ack(&self, id: &str) -> Response<Body> {
        let Ok(id) = Uuid::try_parse(id) else {
            return text(StatusCode::NOT_FOUND, "no such receipt");
        };
        let mut receipts = lock(&self.receipts);
        match receipts.iter().position(|p| p.id == id) {
            Some(at) => {
                receipts.remove(at);
                empty(StatusCode::NO_CONTENT)
            }
            None => text(StatusCode::NOT_FOUND, "no such receipt"),
        }
    }
}

/// Whether the request says its body is `application/xml` (parameters such
/// as `charset` allowed).
fn is_xml(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(MEDIA_TYPE))
}

// === validation ===

/// Decodes and checks one body, strictly.
fn validate(route: Route, body: &[u8]) -> Outcome {
    let ctx = DecodeContext::new(OffsetDateTime::now_utc(), Uuid::new_v4());
    let wire = Wire::single(body);
    let decoded = match route {
        Route::Memo => Memo::new(MemoVersion::V1_1).decode(&wire, &ctx),
        Route::Print => Fjernprint::new().decode(&wire, &ctx),
    };
    let message = match decoded {
        Ok(message) => message,
        Err(error) => {
            let peek = peek(route, body);
            return Outcome::Invalid {
                message_id: peek.message_id,
                recipient: peek.recipient,
                status: StatusCode::BAD_REQUEST,
                error,
            };
        }
    };
    let to = message.recipients.first();
    let recipient = to.map_or_else(|| "unaddressed".to_owned(), ToString::to_string);
    match route {
        Route::Memo => {
            let message_id = message.id.hyphenated().to_string();
            match to.and_then(|r| r.id.clone()) {
                Some(id) if matches!(id.scheme(), Scheme::DkCpr | Scheme::DkCvr) => {
                    Outcome::Valid {
                        message_id,
                        recipient: id.to_string(),
                        recipient_id: Some(id),
                        message: Box::new(message),
                    }
                }
                _ => Outcome::Invalid {
                    message_id: Some(message_id),
                    error: AdapterError::Recipient {
                        detail: format!(
                            "Digital Post delivers to CPR and CVR numbers only, not to {recipient}"
                        ),
                    },
                    recipient,
                    status: StatusCode::BAD_REQUEST,
                },
            }
        }
        Route::Print => {
            // The decoded message's id is the letter's UUIDIdentifikator;
            // the id the sender fixed for this copy is AfsendelseIdentifikator.
            let peek = peek(route, body);
            match peek.message_id.as_deref().map(Uuid::try_parse) {
                Some(Ok(uuid)) => Outcome::Valid {
                    message_id: uuid.hyphenated().to_string(),
                    recipient,
                    recipient_id: to.and_then(|r| r.id.clone()),
                    message: Box::new(message.clone()),
                },
                _ => Outcome::Invalid {
                    message_id: peek.message_id,
                    recipient,
                    status: StatusCode::BAD_REQUEST,
                    error: AdapterError::schema(
                        "ForsendelseI/AfsendelseIdentifikator",
                        "Borderpost's model of the print service names letters by UUID, as its receipts do",
                    ),
                },
            }
        }
    }
}

/// What a best-effort look at a body's tree finds.
struct Peek {
    message_id: Option<String>,
    recipient: String,
}

/// The longest id recorded from a message that did not decode.
const MAX_PEEKED_ID: usize = 64;

/// Reads the message id (and recipient) of a body that may be invalid,
/// without trusting anything else in it: the hostile-input-safe parser,
/// local names only, any namespace.
fn peek(route: Route, body: &[u8]) -> Peek {
    let mut peek = Peek {
        message_id: None,
        recipient: "unknown".to_owned(),
    };
    let Ok(root) = xml::parse(body, &XmlLimits::default()) else {
        return peek;
    };
    let child = |e: &Element, name: &str| e.elements().find(|c| c.name == name).cloned();
    let text = |e: Option<Element>| {
        e.map(|e| e.text().trim().to_owned())
            .filter(|t| !t.is_empty() && t.chars().count() <= MAX_PEEKED_ID)
    };
    match route {
        Route::Memo => {
            let header = child(&root, "MessageHeader");
            peek.message_id = text(header.as_ref().and_then(|h| child(h, "messageUUID")))
                .map(|id| id.to_ascii_lowercase());
            let to = header.as_ref().and_then(|h| child(h, "Recipient"));
            if let Some(value) = text(to.as_ref().and_then(|r| child(r, "recipientID"))) {
                let scheme = match text(to.as_ref().and_then(|r| child(r, "idType"))).as_deref() {
                    Some("CPR") => "dk-cpr".to_owned(),
                    Some("CVR") => "dk-cvr".to_owned(),
                    _ => text(to.as_ref().and_then(|r| child(r, "idTypeLabel")))
                        .unwrap_or_else(|| "unknown".to_owned()),
                };
                peek.recipient = format!("{scheme}:{value}");
            }
        }
        Route::Print => {
            peek.message_id =
                text(child(&root, "AfsendelseIdentifikator")).map(|id| id.to_ascii_lowercase());
        }
    }
    peek
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_recipient_without_digital_post_is_a_valid_cpr() {
        assert_eq!(
            DkOptions::default().no_digital_post,
            vec![PartyId::parse(Scheme::DkCpr, "2512169996").unwrap()]
        );
    }

    #[test]
    fn ack_paths() {
        assert_eq!(ack_id("/apis/v1/receipts/abc/ack"), Some("abc"));
        assert_eq!(ack_id("/apis/v1/receipts/a/b/ack"), None);
        assert_eq!(ack_id("/apis/v1/receipts/ack"), None);
        assert_eq!(ack_id("/apis/v1/receiptsx/abc/ack"), None);
    }

    #[test]
    fn peek_reads_ids_of_broken_messages() {
        let memo = br#"<m:Message xmlns:m="https://DigitalPost.dk/MeMo-1"><m:MessageHeader>
            <m:messageUUID> 8C2EA15D-61FB-4BA9-9366-42F8B194C114 </m:messageUUID>
            <m:Recipient><m:recipientID>0101011234</m:recipientID><m:idType>CPR</m:idType></m:Recipient>
            </m:MessageHeader><m:junk/></m:Message>"#;
        let p = peek(Route::Memo, memo);
        assert_eq!(
            p.message_id.as_deref(),
            Some("8c2ea15d-61fb-4ba9-9366-42f8b194c114")
        );
        assert_eq!(p.recipient, "dk-cpr:0101011234");
        assert!(peek(Route::Memo, b"<!DOCTYPE x><x/>").message_id.is_none());
        assert!(peek(Route::Print, b"not xml").message_id.is_none());
    }
}
