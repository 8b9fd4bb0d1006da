//! Norway: a DPI access point (C2, the sender side of
//! `dpi-2022/openapi_spec.yaml`) with the receiving postbox provider behind
//! it, and a KRR lookup that hands out the postboxes.
//!
//! One simulator plays three parts of the Norwegian chain, because a sender
//! (Borderpost's Norwegian transport) talks to exactly these: the KRR to
//! find a person's postbox and encryption certificate, the access point to
//! send and to fetch receipts, and — through the access point — the postbox
//! provider `postbox-no` (Posten Norge, example Digipost, `0192:984661185`),
//! which decrypts and validates the message and issues the receipts.
//!
//! | route | answer |
//! |---|---|
//! | `POST /messages/out?kanal=K`, `multipart/form-data` (`forretningsmelding` JWT, `dokumentpakke` CMS) | `201` (empty); `400` problem+json (`type` `urn:borderpost:error:<code>`, `title` the code); `401` problem without the right bearer token |
//! | `GET /messages/in?kanal=K&avsenderidentifikator=A&page_size=N&page=P` | `200` `[{"forretningsmelding": "<receipt JWT>"}]` (unread receipts, oldest first, at most `page_size`), or `204` |
//! | `POST /messages/in/{id}/read` | `200` (the receipt leaves the list); `404` problem |
//! | `GET /messages/out/{id}/statuses` | `200` `[{"status":"OPPRETTET",…},{"status":"SENDT",…}]` for an accepted message; `404` problem |
//! | `POST /krr/rest/v2/personer` | `200` `{"personer": [...]}`; `400` problem for more than 1000 identifiers or a body that is not the lookup JSON |
//!
//! Every `/messages/…` route requires `Authorization: Bearer <token>`
//! ([`NoOptions::token`], by default [`DEMO_TOKEN`]), as the OpenAPI
//! file's global security requirement says. The KRR route checks no
//! token: the real KRR wants a Maskinporten token of its own scopes, which
//! the demo does not model (the client certificate is still required).
//!
//! **Validation** is the postbox provider's: [`Dpi`] decodes with the
//! `postbox-no` key as decrypter and the example roots as trust anchors —
//! JWT signature and chain, signer organisation = SBDH sender, package
//! fingerprint, CMS decryption, ASiC-E, manifest and XAdES. Beyond the
//! adapter: the SBDH receiver must be this provider (for `utskrift` too:
//! the simulator is also the print service), and a `digital`
//! `postkasseadresse` must be one this KRR hands out
//! ([`postbox_address`]: `sim#<fnr>` of a person who has not reserved
//! themselves). The KRR is deterministic, so that check needs no memory of
//! past lookups and survives a simulator restart.
//!
//! **Recording**: `message_id` = the SBDH `instanceIdentifier` (the decoded
//! message's id), lower case; `recipient` = `no-fnr:<fnr>` for a KRR
//! postbox, the address (`address:NO`) for print. An invalid message is
//! recorded with `valid: false` when the (unverified) JWT payload yields an
//! instance id. The first valid arrival queues receipts, each a JWT signed
//! by `postbox-no` ([`DpiReceipts`]) whose ConversationId is the message's
//! (so the sender's `Receipt::message_id` is its own id), marked with the
//! request's `kanal`: `digital` → `leveringskvittering` (+ `aapningskvittering`
//! when the message asks for one); `utskrift` → `mottakskvittering`, then
//! `leveringskvittering` in the print process. Repeats get `201` again and
//! are only counted. The first valid arrival is also kept decoded (what the
//! postbox decrypted and read), with the request body, for
//! `GET /sim/messages` (route `dpi`).
//!
//! **KRR**: every valid `no-fnr` is an active person with a postbox at this
//! provider, except those in [`NoOptions::reserved`] (`reservasjon: JA`, no
//! postbox). Identifiers that are not valid fødselsnumre / D-numbers are
//! left out of `personer` ("one entry per identifier found", as
//! `borderpost_no::krr::LookupResponse` reads the response); NOTES §2.7's
//! `IKKE_REGISTRERT` is for valid numbers without a registration, which this
//! KRR does not have.
//!
//! Failure modes (`POST /sim/mode`) apply to `POST /messages/out` only, after
//! the token check; `reject` answers `400` problem `type`
//! `urn:borderpost:error:rejected`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use borderpost_core::canonical::check_json;
use borderpost_core::{
    Adapter, AdapterError, DecodeContext, Decrypter, EncodeContext, Limits, Message, NativeReceipt,
    PartyId, Receipt, ReceiptKind, Scheme,
};
use borderpost_no::krr::{self, DigitalPost, Lookup, LookupResponse, Person};
use borderpost_no::transport::{
    self, IncomingMessage, MessageStatus, MultipartLimits, PROBLEM_MEDIA_TYPE, Problem, StatusKind,
};
use borderpost_no::{CmsKey, Dpi, DpiConfig, DpiReceipts, PART_FORRETNINGSMELDING};
use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::net::TcpListener;
use uuid::Uuid;

use crate::{
    Body, EXAMPLE_ROOTS, Error, Handler, Mode, Pki, Running, Shared, empty, json, lock, respond,
    server_tls, spawn, text,
};

/// Where the KRR part is mounted (its base URL is `https://ADDR/krr`).
pub const KRR_BASE: &str = "/krr";
/// The Maskinporten token the simulator takes unless configured otherwise
/// (the gateway's demo uses the same). It is not a real token.
pub const DEMO_TOKEN: &str = "demo-maskinporten-token-not-valid-outside-the-simulator";
/// The certificate the simulator serves TLS with, decrypts packages with
/// and signs receipts with (`postbox-no.crt`/`.key` in the PKI).
pub const CERTIFICATE: &str = "postbox-no";
/// How the KRR part forms postbox addresses: this prefix, then the fnr.
pub const POSTBOX_PREFIX: &str = "sim#";
/// The page size of `GET /messages/in` unless configured otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest KRR lookup body (1000 identifiers take ~20 KB).
pub const MAX_KRR_BODY: usize = 256 * 1024;

/// Settings of the Norwegian simulator.
#[derive(Clone, PartialEq, Eq)]
pub struct NoOptions {
    /// The bearer token every `/messages/…` call must carry.
    pub token: String,
    /// Persons (`no-fnr`) who have reserved themselves against digital
    /// post: KRR answers `reservasjon: JA` without a postbox.
    pub reserved: Vec<PartyId>,
    /// How long after the accepting answer a receipt becomes listed.
    pub receipt_delay: Duration,
    /// The default and largest page of `GET /messages/in`.
    pub page_size: usize,
}

impl Default for NoOptions {
    fn default() -> Self {
        NoOptions {
            token: DEMO_TOKEN.to_owned(),
            reserved: Vec::new(),
            receipt_delay: Duration::ZERO,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl fmt::Debug for NoOptions {
    // The token is a bearer credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoOptions")
            .field("token", &"<redacted>")
            .field("reserved", &self.reserved)
            .field("receipt_delay", &self.receipt_delay)
            .field("page_size", &self.page_size)
            .finish()
    }
}

/// The postbox address KRR hands out for `fnr`.
pub fn postbox_address(fnr: &PartyId) -> String {
    format!("{POSTBOX_PREFIX}{}", fnr.value())
}

/// The KRR lookup path (`POST`).
pub fn krr_path() -> String {
    format!("{KRR_BASE}{}", krr::PATH_PERSONER)
}

/// Starts the Norwegian simulator on `listener`: TLS with `postbox-no`, a
/// client certificate from any example root required.
pub fn start(listener: TcpListener, pki: &Pki, options: NoOptions) -> Result<Running, Error> {
    if options.token.trim().is_empty() {
        return Err(Error::Option {
            option: "token",
            detail: "empty".to_owned(),
        });
    }
    if options.page_size == 0 {
        return Err(Error::Option {
            option: "page_size",
            detail: "must be at least 1".to_owned(),
        });
    }
    for id in &options.reserved {
        if id.scheme() != Scheme::NoFnr {
            return Err(Error::Option {
                option: "reserved",
                detail: format!("{id} is not a Norwegian fødselsnummer (no-fnr)"),
            });
        }
    }
    let tls = server_tls(
        pki,
        &format!("{CERTIFICATE}.crt"),
        &format!("{CERTIFICATE}.key"),
        &EXAMPLE_ROOTS,
    )?;
    let key_error = |source| Error::Key {
        name: CERTIFICATE.to_owned(),
        source,
    };
    let key = CmsKey::from_pem(
        &pki.read_file(&format!("{CERTIFICATE}.crt"))?,
        &pki.read_file(&format!("{CERTIFICATE}.key"))?,
    )
    .map_err(key_error)?;
    let provider = key.organisation().map_err(key_error)?.national();
    if provider.scheme() != Scheme::NoOrgnr {
        return Err(Error::Option {
            option: "pki",
            detail: format!("{CERTIFICATE}.crt names {provider}, not a Norwegian organisation"),
        });
    }
    let mut trust_anchors = Vec::new();
    for root in EXAMPLE_ROOTS {
        trust_anchors.extend(
            pki.certificates(root)?
                .into_iter()
                .map(|c| c.as_ref().to_vec()),
        );
    }
    let state = State {
        shared: Shared::default(),
        token: options.token,
        reserved: options.reserved.into_iter().collect(),
        receipt_delay: options.receipt_delay,
        page_size: options.page_size,
        certificate: STANDARD.encode(key.certificate()),
        key,
        provider,
        dpi: Dpi::new(DpiConfig {
            trust_anchors,
            ..DpiConfig::default()
        }),
        incoming: Mutex::new(Vec::new()),
        sent: Mutex::new(HashMap::new()),
    };
    spawn(listener, tls, Arc::new(NoSim(Arc::new(state))))
}

/// The handler: cheap to clone into blocking tasks.
struct NoSim(Arc<State>);

struct State {
    shared: Shared,
    token: String,
    reserved: HashSet<PartyId>,
    receipt_delay: Duration,
    page_size: usize,
    /// `postbox-no`: decrypts packages, signs receipts.
    key: CmsKey,
    /// Its organisation, `no-orgnr:984661185` in the example PKI.
    provider: PartyId,
    /// Its certificate, base64 DER, as KRR's `sertifikat`.
    certificate: String,
    dpi: Dpi,
    /// Receipts for senders, oldest first.
    incoming: Mutex<Vec<Incoming>>,
    /// Accepted messages by id, with when they were first accepted.
    sent: Mutex<HashMap<String, OffsetDateTime>>,
}

/// A receipt waiting to be read.
struct Incoming {
    /// The receipt's own SBDH `instanceIdentifier`.
    id: Uuid,
    /// The `kanal` of the message it is about, lower case (kanal names are
    /// case-insensitive).
    kanal: Option<String>,
    /// The message's `avsenderidentifikator`.
    avsenderidentifikator: Option<String>,
    jwt: String,
    visible_at: Instant,
}

/// What validating one request found.
enum Outcome {
    Valid {
        message: Box<Message>,
        recipient: String,
    },
    Invalid {
        /// `None` when no id could be read: nothing is recorded.
        message_id: Option<String>,
        recipient: String,
        error: AdapterError,
    },
}

// === impl NoSim ===

impl Handler for NoSim {
    fn handle(
        &self,
        method: Method,
        path: String,
        query: Option<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send + '_>> {
        let state = Arc::clone(&self.0);
        Box::pin(async move {
            if path == krr_path() {
                return match method {
                    Method::POST => state.krr(&body),
                    _ => text(StatusCode::METHOD_NOT_ALLOWED, "use POST"),
                };
            }
            if !path.starts_with("/messages/") {
                return text(StatusCode::NOT_FOUND, "not found");
            }
            if !state.authorised(&headers) {
                return unauthorised();
            }
            let query = query.as_deref();
            let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            match (&method, segments.as_slice()) {
                (&Method::POST, ["messages", "out"]) => {
                    if let Some(response) = state.shared.intercept().await {
                        return response;
                    }
                    let response = Arc::clone(&state).submit(query, &headers, body).await;
                    state.shared.answer(response)
                }
                (&Method::GET, ["messages", "in"]) => state.list(query),
                (&Method::POST, ["messages", "in", id, "read"]) => state.read(id),
                (&Method::GET, ["messages", "out", id, "statuses"]) => state.statuses(id),
                (
                    _,
                    ["messages", "out"]
                    | ["messages", "in"]
                    | ["messages", "in", _, "read"]
                    | ["messages", "out", _, "statuses"],
                ) => problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method-not-allowed",
                    "this route takes another method",
                ),
                _ => problem(StatusCode::NOT_FOUND, "not-found", "no such route"),
            }
        })
    }

    fn shared(&self) -> &Shared {
        &self.0.shared
    }
}

// === impl State ===

impl State {
    /// Whether the request carries the configured bearer token.
    fn authorised(&self, headers: &HeaderMap) -> bool {
        let given = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            });
        given.is_some_and(|token| constant_time_eq(token.as_bytes(), self.token.as_bytes()))
    }

    async fn submit(
        self: Arc<Self>,
        query: Option<&str>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response<Body> {
        // One look at the mode, so a mode change mid-request cannot mix two
        // answers.
        let rejected = self.shared.mode().mode == Mode::Reject;
        let kanal = query_param(query, "kanal");
        if let Some(kanal) = &kanal
            && let Err(e) = transport::validate_kanal(kanal)
        {
            return problem_for(&e, StatusCode::BAD_REQUEST);
        }
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let this = Arc::clone(&self);
        let media_type = content_type.clone();
        // Decryption, signature checks and unzipping are CPU work: keep them
        // off the runtime's worker threads.
        let validated = tokio::task::spawn_blocking(move || {
            let outcome = if rejected {
                let peeked = peek(&content_type, &body);
                Outcome::Invalid {
                    message_id: peeked.message_id,
                    recipient: peeked.recipient,
                    error: AdapterError::Unsupported {
                        what: "any message: the simulator is in reject mode".to_owned(),
                    },
                }
            } else {
                this.validate(&content_type, &body)
            };
            (outcome, body)
        })
        .await;
        let (outcome, body) = match validated {
            Ok(validated) => validated,
            Err(e) => {
                tracing::error!(error = %e, "validation task failed");
                return text(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            }
        };
        match outcome {
            Outcome::Invalid {
                message_id,
                recipient,
                error,
            } => {
                let (code, detail) = if rejected {
                    (
                        "rejected",
                        "refused by the simulator (mode reject)".to_owned(),
                    )
                } else {
                    (error.code(), error.to_string())
                };
                let count = message_id.as_deref().map(|id| {
                    self.shared
                        .record(id, &recipient, false, Some(detail.clone()))
                });
                tracing::info!(message_id = ?message_id, count = ?count, code, %detail, "refused an invalid message");
                if rejected {
                    problem(StatusCode::BAD_REQUEST, code, &detail)
                } else {
                    problem_for(&error, StatusCode::BAD_REQUEST)
                }
            }
            Outcome::Valid { message, recipient } => {
                let message_id = message.id.hyphenated().to_string();
                let arrival = self
                    .shared
                    .record_arrival(&message_id, &recipient, true, None);
                tracing::info!(%message_id, count = arrival.count, "accepted");
                if arrival.first_valid {
                    lock(&self.sent).insert(message_id.clone(), OffsetDateTime::now_utc());
                    self.queue_receipts(&message, kanal);
                    self.shared.keep_message(
                        &message_id,
                        &recipient,
                        "dpi",
                        *message,
                        &media_type,
                        &body,
                    );
                }
                empty(StatusCode::CREATED)
            }
        }
    }

    /// Decodes and checks one `POST /messages/out` body, strictly.
    fn validate(&self, content_type: &str, body: &[u8]) -> Outcome {
        let limits = Limits::default();
        let wire =
            match transport::parse_multipart(content_type, body, &MultipartLimits::from(&limits)) {
                Ok(wire) => wire,
                Err(error) => {
                    return Outcome::Invalid {
                        message_id: None,
                        recipient: "unknown".to_owned(),
                        error,
                    };
                }
            };
        let token = wire
            .part(PART_FORRETNINGSMELDING)
            .map(|p| p.body)
            .unwrap_or_default();
        let invalid = |error| {
            let peeked = peek_token(token);
            Outcome::Invalid {
                message_id: peeked.message_id,
                recipient: peeked.recipient,
                error,
            }
        };
        let mut ctx = DecodeContext::new(OffsetDateTime::now_utc(), Uuid::new_v4());
        ctx.limits = limits;
        ctx.decrypter = Some(&self.key);
        let message = match self.dpi.decode(&wire, &ctx) {
            Ok(message) => message,
            Err(error) => return invalid(error),
        };
        match self.addressee(&message, token, &limits) {
            Ok(recipient) => Outcome::Valid {
                message: Box::new(message),
                recipient,
            },
            Err(error) => Outcome::Invalid {
                message_id: Some(message.id.hyphenated().to_string()),
                recipient: message
                    .recipients
                    .first()
                    .map_or_else(|| "unknown".to_owned(), ToString::to_string),
                error,
            },
        }
    }

    /// What the adapter cannot check: that the message is for this
    /// provider and, for digital post, for a postbox KRR hands out. Returns
    /// the recipient as recorded.
    fn addressee(
        &self,
        message: &Message,
        token: &[u8],
        limits: &Limits,
    ) -> Result<String, AdapterError> {
        // The adapter has verified this very token; only its SBDH receiver
        // is not in the canonical message (for print).
        let sbd = unverified_payload(token)
            .ok_or_else(|| AdapterError::malformed("JWT", "no payload"))
            .and_then(|payload| borderpost_no::sbd::parse(&payload, limits))?;
        let receiver = sbd.receiver();
        let is_here =
            PartyId::parse(Scheme::Iso6523, receiver).is_ok_and(|id| id.same_party(&self.provider));
        if !is_here {
            return Err(AdapterError::Recipient {
                detail: format!(
                    "the SBDH receiver {} is not this postbox provider ({})",
                    truncate(receiver),
                    self.provider
                ),
            });
        }
        let Some(to) = message.recipients.first() else {
            return Err(AdapterError::Recipient {
                detail: "the message has no recipient".to_owned(),
            });
        };
        if sbd.utskrift.is_some() {
            return Ok(to.to_string());
        }
        let address = to.postbox.as_ref().map(|p| p.address.as_str());
        match address.and_then(|a| self.person(a)) {
            Some(fnr) => Ok(fnr.to_string()),
            None => Err(AdapterError::Recipient {
                detail: format!(
                    "{} is not a postbox of this provider (postkasseadresse comes from KRR)",
                    address.map_or_else(|| to.to_string(), truncate)
                ),
            }),
        }
    }

    /// The person whose postbox `address` is, if KRR hands it out.
    fn person(&self, address: &str) -> Option<PartyId> {
        let fnr = address.strip_prefix(POSTBOX_PREFIX)?;
        PartyId::parse(Scheme::NoFnr, fnr)
            .ok()
            .filter(|id| id.value() == fnr && !self.reserved.contains(id))
    }

    /// Queues the receipts of a first valid arrival.
    fn queue_receipts(&self, message: &Message, kanal: Option<String>) {
        let kinds: &[ReceiptKind] = match (message.channel, message.read_receipt) {
            (borderpost_core::Channel::PrintOnly, _) => {
                &[ReceiptKind::Received, ReceiptKind::Printed]
            }
            (_, true) => &[ReceiptKind::Delivered, ReceiptKind::Read],
            (_, false) => &[ReceiptKind::Delivered],
        };
        let adapter = DpiReceipts::new(DpiConfig::default());
        let now = OffsetDateTime::now_utc();
        let visible_at = Instant::now() + self.receipt_delay;
        let mut queued = Vec::with_capacity(kinds.len());
        for kind in kinds {
            let id = Uuid::new_v4();
            let mut ctx = EncodeContext::new(now, id);
            ctx.signer = Some(&self.key);
            let receipt = Receipt {
                message_id: message.id.hyphenated().to_string(),
                kind: kind.clone(),
                at: now,
                issuer: Some(self.provider.clone()),
                native: NativeReceipt {
                    protocol: borderpost_no::PROTOCOL_DPI_RECEIPT.0.to_owned(),
                    media_type: borderpost_no::MEDIA_TYPE_JWT.to_owned(),
                    body: String::new(),
                },
            };
            let jwt = adapter
                .encode_receipt(&receipt, message, &ctx)
                .map(|encoded| {
                    encoded
                        .parts
                        .into_iter()
                        .next()
                        .map(|p| p.body)
                        .unwrap_or_default()
                });
            match jwt {
                Ok(jwt) => queued.push(Incoming {
                    id,
                    kanal: kanal.as_ref().map(|k| k.to_ascii_lowercase()),
                    avsenderidentifikator: message.sender.unit.clone(),
                    jwt: String::from_utf8_lossy(&jwt).into_owned(),
                    visible_at,
                }),
                // Only a simulator bug (or an original the receipt adapter
                // cannot answer) gets here: say so loudly, keep serving.
                Err(e) => {
                    tracing::error!(message_id = %message.id, ?kind, error = %e, "could not encode a receipt")
                }
            }
        }
        lock(&self.incoming).extend(queued);
    }

    /// `GET /messages/in`.
    fn list(&self, query: Option<&str>) -> Response<Body> {
        let number = |name: &str| match query_param(query, name) {
            None => Ok(None),
            Some(raw) => raw.parse::<usize>().map(Some).map_err(|_| name.to_owned()),
        };
        let (page_size, page) = match (number("page_size"), number("page")) {
            (Ok(size), Ok(page)) => (
                size.unwrap_or(self.page_size).clamp(1, self.page_size),
                page.unwrap_or(0),
            ),
            (Err(name), _) | (_, Err(name)) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "schema",
                    &format!("{name} must be a number"),
                );
            }
        };
        let kanal = query_param(query, "kanal").map(|k| k.to_ascii_lowercase());
        let avsender = query_param(query, "avsenderidentifikator");
        let now = Instant::now();
        let incoming = lock(&self.incoming);
        let listed: Vec<IncomingMessage> = incoming
            .iter()
            .filter(|i| i.visible_at <= now)
            .filter(|i| kanal.is_none() || i.kanal == kanal)
            .filter(|i| avsender.is_none() || i.avsenderidentifikator == avsender)
            .skip(page.saturating_mul(page_size))
            .take(page_size)
            .map(|i| IncomingMessage {
                forretningsmelding: i.jwt.clone(),
                downloadurl: None,
            })
            .collect();
        if listed.is_empty() {
            empty(StatusCode::NO_CONTENT)
        } else {
            json(StatusCode::OK, &listed)
        }
    }

    /// `POST /messages/in/{id}/read`.
    fn read(&self, id: &str) -> Response<Body> {
        let Ok(id) = Uuid::try_parse(id) else {
            return problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "no such incoming message",
            );
        };
        let mut incoming = lock(&self.incoming);
        match incoming.iter().position(|i| i.id == id) {
            Some(at) => {
                incoming.remove(at);
                empty(StatusCode::OK)
            }
            None => problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "no such incoming message",
            ),
        }
    }

    /// `GET /messages/out/{id}/statuses`.
    fn statuses(&self, id: &str) -> Response<Body> {
        let at = Uuid::try_parse(id)
            .ok()
            .and_then(|id| lock(&self.sent).get(&id.hyphenated().to_string()).copied());
        let Some(at) = at else {
            return problem(StatusCode::NOT_FOUND, "not-found", "no such message");
        };
        let timestamp = at.format(&Rfc3339).ok();
        let statuses = [StatusKind::Opprettet, StatusKind::Sendt].map(|status| MessageStatus {
            status,
            beskrivelse: None,
            timestamp: timestamp.clone(),
        });
        json(StatusCode::OK, &statuses)
    }

    /// `POST /krr/rest/v2/personer`.
    fn krr(&self, body: &[u8]) -> Response<Body> {
        let limits = Limits {
            max_body_bytes: MAX_KRR_BODY as u64,
            ..Limits::default()
        };
        let lookup = check_json(body, &limits).and_then(|()| {
            serde_json::from_slice::<Lookup>(body)
                .map_err(|e| AdapterError::schema("body", e.to_string()))
        });
        let lookup = match lookup {
            Ok(lookup) => lookup,
            Err(e) => return problem_for(&e, StatusCode::BAD_REQUEST),
        };
        if lookup.personidentifikatorer.len() > krr::MAX_PER_LOOKUP {
            return problem(
                StatusCode::BAD_REQUEST,
                "too-large",
                &format!(
                    "at most {} personidentifikatorer per lookup",
                    krr::MAX_PER_LOOKUP
                ),
            );
        }
        let personer = lookup
            .personidentifikatorer
            .into_iter()
            .filter_map(|raw| {
                let fnr = PartyId::parse(Scheme::NoFnr, &raw).ok()?;
                Some(self.registration(raw, &fnr))
            })
            .collect();
        json(StatusCode::OK, &LookupResponse { personer })
    }

    /// KRR's entry for `fnr`, asked for as `asked`.
    fn registration(&self, asked: String, fnr: &PartyId) -> Person {
        if self.reserved.contains(fnr) {
            return Person {
                personidentifikator: asked,
                reservasjon: Some("JA".to_owned()),
                status: "AKTIV".to_owned(),
                varslingsstatus: None,
                digital_post: None,
                sertifikat: None,
                spraak: Some("nb".to_owned()),
            };
        }
        Person {
            personidentifikator: asked,
            reservasjon: Some("NEI".to_owned()),
            status: "AKTIV".to_owned(),
            varslingsstatus: Some("KAN_VARSLES".to_owned()),
            digital_post: Some(DigitalPost {
                postkasseadresse: postbox_address(fnr),
                postkasseleverandoeradresse: self.provider.value().to_owned(),
            }),
            sertifikat: Some(self.certificate.clone()),
            spraak: Some("nb".to_owned()),
        }
    }
}

// === helpers ===

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The first value of `name` in a query string, percent-decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first characters of a value from the request, for messages.
fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// A problem+json answer.
fn problem(status: StatusCode, code: &str, detail: &str) -> Response<Body> {
    send_problem(&Problem {
        kind: Some(format!("urn:borderpost:error:{code}")),
        title: Some(code.to_owned()),
        status: Some(status.as_u16()),
        detail: Some(detail.to_owned()),
        instance: None,
        extensions: BTreeMap::new(),
    })
}

/// A problem+json answer for an adapter error.
fn problem_for(error: &AdapterError, status: StatusCode) -> Response<Body> {
    send_problem(&Problem::from_error(error, status.as_u16()))
}

fn send_problem(problem: &Problem) -> Response<Body> {
    let status = problem
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    match serde_json::to_vec(problem) {
        Ok(body) => respond(status, PROBLEM_MEDIA_TYPE, body),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "serialisation failed"),
    }
}

/// `401` with the challenge RFC 6750 asks for.
fn unauthorised() -> Response<Body> {
    let mut response = problem(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid Maskinporten bearer token (scope digitalpostinnbygger:send) is required",
    );
    response.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer"),
    );
    response
}

/// The payload of a compact JWS, **not verified**: for reading ids of
/// messages that failed validation, and the header of one that passed.
fn unverified_payload(token: &[u8]) -> Option<Vec<u8>> {
    if token.len() > borderpost_no::jwt::MAX_TOKEN_BYTES {
        return None;
    }
    let text = std::str::from_utf8(token)
        .ok()?
        .trim_end_matches(['\r', '\n']);
    let payload = text.split('.').nth(1)?;
    URL_SAFE_NO_PAD.decode(payload.as_bytes()).ok()
}

/// What a best-effort look at a request finds.
struct Peek {
    message_id: Option<String>,
    recipient: String,
}

/// Reads the message id of a request that may be invalid.
fn peek(content_type: &str, body: &[u8]) -> Peek {
    match transport::parse_multipart(content_type, body, &MultipartLimits::default()) {
        Ok(wire) => peek_token(
            wire.part(PART_FORRETNINGSMELDING)
                .map(|p| p.body)
                .unwrap_or_default(),
        ),
        Err(_) => Peek {
            message_id: None,
            recipient: "unknown".to_owned(),
        },
    }
}

/// Reads the instance id and recipient of a business message JWT without
/// trusting it.
fn peek_token(token: &[u8]) -> Peek {
    let value = unverified_payload(token)
        .filter(|payload| check_json(payload, &Limits::default()).is_ok())
        .and_then(|payload| serde_json::from_slice::<serde_json::Value>(&payload).ok());
    let text = |pointer: &str| {
        value
            .as_ref()
            .and_then(|v| v.pointer(pointer))
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.chars().count() <= 64)
            .map(str::to_owned)
    };
    let message_id = text("/standardBusinessDocument/standardBusinessDocumentHeader/documentIdentification/instanceIdentifier")
        .map(|id| id.to_ascii_lowercase());
    let recipient = match text("/standardBusinessDocument/digital/mottaker/postkasseadresse") {
        Some(address) => address
            .strip_prefix(POSTBOX_PREFIX)
            .and_then(|fnr| PartyId::parse(Scheme::NoFnr, fnr).ok())
            .map_or(address.clone(), |fnr| fnr.to_string()),
        None if value
            .as_ref()
            .is_some_and(|v| v.pointer("/standardBusinessDocument/utskrift").is_some()) =>
        {
            "print".to_owned()
        }
        None => "unknown".to_owned(),
    };
    Peek {
        message_id,
        recipient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        let q = Some("kanal=Min_Kanal&page_size=5&avsenderidentifikator=a%20b+c&empty");
        assert_eq!(query_param(q, "kanal").as_deref(), Some("Min_Kanal"));
        assert_eq!(query_param(q, "page_size").as_deref(), Some("5"));
        assert_eq!(
            query_param(q, "avsenderidentifikator").as_deref(),
            Some("a b c")
        );
        assert_eq!(query_param(q, "empty").as_deref(), Some(""));
        assert_eq!(query_param(q, "page"), None);
        assert_eq!(query_param(None, "kanal"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn peeking_survives_garbage() {
        for token in [&b""[..], b"a.b.c", b"a.!!!.c", b"\xff"] {
            let p = peek_token(token);
            assert!(p.message_id.is_none());
        }
        let payload = URL_SAFE_NO_PAD.encode(
            br#"{"standardBusinessDocument":{"standardBusinessDocumentHeader":{"documentIdentification":{"instanceIdentifier":"ABC"}},"digital":{"mottaker":{"postkasseadresse":"sim#31129956715"}}}}"#,
        );
        let p = peek_token(format!("h.{payload}.s").as_bytes());
        assert_eq!(p.message_id.as_deref(), Some("abc"));
        assert_eq!(p.recipient, "no-fnr:31129956715");
    }
}
