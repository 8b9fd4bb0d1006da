//! What every ingress route shares: who may send, where each recipient's
//! copy goes, and making a decoded message durable.

use std::collections::HashMap;
use std::sync::Arc;

use borderpost_core::{Adapter, AdapterError, Channel, Country, Message, PartyId, Status};
use borderpost_core::{canonical, copy_id};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::{Config, Role};
use crate::journal::{
    CodecError, Corruption, Intake, IntakeOutcome, Item, Journal, JournalError, MessageKey,
    MessageView, NewCopy, PayloadKey,
};
use crate::limits::Limiter;
use crate::metrics::{LimitLabels, Metrics};
use crate::tls::PeerIdentity;

/// The gateway's shared state.
pub struct App {
    /// The validated configuration.
    pub config: Config,
    /// The journal.
    pub journal: Arc<dyn Journal>,
    /// The payload key.
    pub payload_key: PayloadKey,
    /// Wakes the delivery scheduler when copies become due.
    pub wake_delivery: Arc<tokio::sync::Notify>,
    /// Every metric.
    pub metrics: Arc<Metrics>,
    /// Ingress quotas.
    pub limiter: Limiter,
    /// The Norwegian DPI ingress, if configured.
    pub no_ingress: Option<NoIngress>,
    /// The key evidence records are signed with (the server's).
    pub evidence_signer: Option<borderpost_no::CmsKey>,
    /// Refreshers of state gauges, run at each scrape.
    scrape_hooks: std::sync::Mutex<Vec<ScrapeHook>>,
    /// Readiness checks, run at each `/readyz`.
    ready_checks: std::sync::Mutex<Vec<ReadyCheck>>,
    /// Senders (national form) and whom they may act for.
    senders: HashMap<PartyId, Vec<PartyId>>,
    /// Configured names of senders (national form).
    names: HashMap<PartyId, String>,
    /// Which upstream serves each country.
    routes: HashMap<Country, String>,
    /// The protocols each route writes (its messages and, for Denmark,
    /// print), which a copy's upstream id must fit.
    route_protocols: HashMap<String, Vec<Arc<dyn Adapter>>>,
}

/// The keys of the Norwegian DPI ingress.
pub struct NoIngress {
    /// Decodes DPI messages (signer certificates chain to the Norwegian
    /// anchors).
    pub dpi: borderpost_no::Dpi,
    /// Encodes receipts for Norwegian senders.
    pub receipts: borderpost_no::DpiReceipts,
    /// Borderpost's key senders encrypt document packages to.
    pub decryption: borderpost_no::CmsKey,
    /// The key receipts are signed with.
    pub signing: borderpost_no::CmsKey,
}

/// Refreshes gauges that mirror state, at scrape time.
pub type ScrapeHook = Box<dyn Fn(&Metrics) + Send + Sync>;

/// A readiness check: its name, whether it passes, and details.
pub type ReadyCheck = Box<dyn Fn() -> (String, bool, serde_json::Value) + Send + Sync>;

/// Why intake refused a message.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The client is not allowed to send this (unknown organisation, or
    /// sending as someone else).
    #[error("{0}")]
    Forbidden(String),
    /// The message is not valid.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    /// The id was used before for different content.
    #[error("message {0} was submitted before with different content")]
    Conflict(String),
    /// No recipient can be delivered to.
    #[error("{0}")]
    Unroutable(String),
    /// The journal could not make it durable; nothing was accepted.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Why a client may not make a request at all (checked before its body is
/// read).
#[derive(Debug)]
pub enum Refusal {
    /// Not a configured sender (or no usable certificate identity).
    Forbidden(String),
    /// Over its quota: retry after this long.
    Limited(std::time::Duration),
}

/// The answer to a submission.
#[derive(Debug)]
pub struct Submitted {
    /// The message and its copies.
    pub view: MessageView,
    /// Whether this was a repeat of an earlier submission.
    pub duplicate: bool,
}

/// A submission, decoded.
#[derive(Debug)]
pub struct Submission {
    /// The canonical message.
    pub message: Message,
    /// The protocol it arrived in.
    pub protocol: String,
    /// The sender's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the request body.
    pub body_hash: [u8; 32],
    /// When it arrived.
    pub received_at: OffsetDateTime,
    /// The channel receipt notices go to, for senders that pull receipts.
    pub receipt_channel: Option<String>,
    /// The limits of the route it came in on.
    pub limits: borderpost_core::Limits,
}

impl App {
    /// The shared state for `config` over `journal`.
    pub fn new(
        config: Config,
        journal: Arc<dyn Journal>,
        payload_key: PayloadKey,
        metrics: Arc<Metrics>,
    ) -> App {
        let senders = config
            .senders
            .iter()
            .map(|s| {
                (
                    s.id.national(),
                    s.acts_for.iter().map(PartyId::national).collect(),
                )
            })
            .collect();
        let names = config
            .senders
            .iter()
            .filter_map(|s| Some((s.id.national(), s.name.clone()?)))
            .collect();
        let routes = config
            .upstreams
            .values()
            .map(|u| (u.country, u.name.clone()))
            .collect();
        let registry = crate::registry::Registry::with_defaults();
        let route_protocols = config
            .upstreams
            .values()
            .map(|u| {
                let protocols = std::iter::once(&u.protocol)
                    .chain(&u.print_protocol)
                    .filter_map(|p| registry.get(p))
                    .collect();
                (u.name.clone(), protocols)
            })
            .collect();
        App {
            limiter: Limiter::new(&config.rate_limits),
            no_ingress: None,
            evidence_signer: None,
            scrape_hooks: std::sync::Mutex::new(Vec::new()),
            ready_checks: std::sync::Mutex::new(Vec::new()),
            metrics,
            config,
            journal,
            payload_key,
            wake_delivery: Arc::new(tokio::sync::Notify::new()),
            senders,
            names,
            routes,
            route_protocols,
        }
    }

    /// The organisation of a client allowed to send: a configured sender
    /// whose certificate names it.
    pub fn sender_of(&self, identity: Option<&PeerIdentity>) -> Result<PartyId, IntakeError> {
        let Some(identity) = identity else {
            return Err(IntakeError::Forbidden(
                "no verified client certificate".to_owned(),
            ));
        };
        if identity.role == Role::Peer {
            return Err(IntakeError::Forbidden(
                "peer gateways use the federation routes, not the sender API".to_owned(),
            ));
        }
        let Some(org) = &identity.organisation else {
            return Err(IntakeError::Forbidden(
                "the client certificate names no organisation (organizationIdentifier or serialNumber)".to_owned(),
            ));
        };
        let org = org.national();
        if !self.senders.contains_key(&org) {
            return Err(IntakeError::Forbidden(format!(
                "organisation {org} is not configured to send"
            )));
        }
        Ok(org)
    }

    /// Sets the evidence signer.
    pub fn with_evidence_signer(mut self, signer: Option<borderpost_no::CmsKey>) -> App {
        self.evidence_signer = signer;
        self
    }

    /// Sets the Norwegian DPI ingress.
    pub fn with_no_ingress(mut self, ingress: Option<NoIngress>) -> App {
        self.no_ingress = ingress;
        self
    }

    /// Adds a readiness check.
    pub fn on_ready(&self, check: ReadyCheck) {
        self.ready_checks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(check);
    }

    /// Whether the gateway is ready, and why (or why not): the journal
    /// takes appends, certificates are within validity, and each check
    /// registered by a component.
    pub fn readiness(&self) -> (bool, serde_json::Value) {
        let mut report = serde_json::Map::new();
        let writable = self.journal.is_writable();
        report.insert("journal_writable".to_owned(), writable.into());
        let mut ready = writable;
        for check in self
            .ready_checks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let (name, ok, detail) = check();
            ready &= ok;
            report.insert(name, detail);
        }
        report.insert("ready".to_owned(), ready.into());
        (ready, serde_json::Value::Object(report))
    }

    /// Adds a gauge refresher run at each scrape.
    pub fn on_scrape(&self, hook: ScrapeHook) {
        self.scrape_hooks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(hook);
    }

    /// Every metric in the Prometheus text format, state gauges refreshed.
    pub fn scrape(&self) -> String {
        let state = &self.metrics.state;
        for (status, count) in self.journal.depth() {
            state
                .journal_depth
                .get_or_create(&crate::metrics::StatusLabels {
                    status: status.as_str().to_owned(),
                })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        state
            .journal_writable
            .set(i64::from(self.journal.is_writable()));
        if let Some((syncs, appends)) = self.journal.sync_stats() {
            // Counters only go up: add what happened since the last scrape.
            state
                .journal_syncs
                .inc_by(syncs.saturating_sub(state.journal_syncs.get()));
            state
                .journal_appends
                .inc_by(appends.saturating_sub(state.journal_appends.get()));
        }
        for hook in self
            .scrape_hooks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            hook(&self.metrics);
        }
        self.metrics.encode()
    }

    /// Identifies a sender and takes one request from its quota: the check
    /// every sender route makes before reading a body.
    pub fn admit_sender(&self, identity: Option<&PeerIdentity>) -> Result<PartyId, Refusal> {
        let org = self
            .sender_of(identity)
            .map_err(|e| Refusal::Forbidden(e.to_string()))?;
        if let Err(wait) = self.limiter.check_sender(&org) {
            self.metrics
                .ingress
                .rate_limited
                .get_or_create(&LimitLabels {
                    scope: "sender".to_owned(),
                    key: org.to_string(),
                })
                .inc();
            return Err(Refusal::Limited(wait));
        }
        Ok(org)
    }

    /// Whether `caller` may send messages whose sender is `sender`.
    pub fn may_send_as(&self, caller: &PartyId, sender: &PartyId) -> bool {
        let sender = sender.national();
        caller.same_party(&sender)
            || self
                .senders
                .get(&caller.national())
                .is_some_and(|acts_for| acts_for.iter().any(|a| a.same_party(&sender)))
    }

    /// The organisations whose messages `caller` may see.
    pub fn visible_senders(&self, caller: &PartyId) -> Vec<PartyId> {
        let mut out = vec![caller.national()];
        if let Some(acts_for) = self.senders.get(&caller.national()) {
            out.extend(acts_for.iter().cloned());
        }
        out
    }

    /// Validates, authorises, routes and journals a decoded message.
    /// Returns only once the message is durable (or was already).
    pub async fn submit(
        &self,
        caller: &PartyId,
        submission: Submission,
    ) -> Result<Submitted, IntakeError> {
        let Submission {
            mut message,
            protocol,
            idempotency_key,
            body_hash,
            received_at,
            receipt_channel,
            limits,
        } = submission;
        canonical::validate(&message, &limits)?;
        // Some protocols carry no sender name (DPI) and some require one
        // (MeMo): the configured name fills the gap.
        if message.sender.name.is_none() {
            message.sender.name = self.names.get(&message.sender.id.national()).cloned();
        }
        if !self.may_send_as(caller, &message.sender.id) {
            return Err(IntakeError::Forbidden(format!(
                "the message's sender {} is not the certificate's organisation {caller} (nor one it may act for)",
                message.sender.id
            )));
        }
        // A representative is a claim about who transmits: it holds only if
        // the certificate's organisation is that representative (or may
        // act for it). Carried unchecked, any sender could name anyone.
        if let Some(representative) = &message.sender.representative
            && !self.may_send_as(caller, &representative.id)
        {
            return Err(IntakeError::Forbidden(format!(
                "the message names {} as the sender's representative, but the certificate's organisation {caller} is not it (nor one it may act for)",
                representative.id
            )));
        }
        let copies: Vec<NewCopy> = (0..message.recipients.len())
            .map(|index| self.route(&message, index))
            .collect();
        if copies.iter().all(|c| c.status != Status::Accepted) {
            let reasons: Vec<&str> = copies.iter().filter_map(|c| c.note.as_deref()).collect();
            return Err(IntakeError::Unroutable(format!(
                "no recipient can be delivered to: {}",
                reasons.join("; ")
            )));
        }
        let key = MessageKey::new(&message.sender.id, message.id);
        let plaintext = serde_json::to_vec(&message).map_err(|source| {
            JournalError::Codec(CodecError::Encode {
                what: Item::Payload,
                source,
            })
        })?;
        let sealed_payload = self
            .payload_key
            .seal(key.to_string().as_bytes(), &plaintext)
            .map_err(JournalError::from)?;
        let intake = Intake {
            key,
            submitter: caller.clone(),
            idempotency_key,
            body_hash,
            source_protocol: protocol,
            received_at,
            sealed_payload,
            copies,
            receipt_channel,
        };
        let outcome = self.journal.submit(intake).await?;
        match outcome {
            IntakeOutcome::Accepted(view) => {
                self.wake_delivery.notify_one();
                Ok(Submitted {
                    view,
                    duplicate: false,
                })
            }
            IntakeOutcome::Duplicate(view) => Ok(Submitted {
                view,
                duplicate: true,
            }),
            IntakeOutcome::Conflict(key) => Err(IntakeError::Conflict(key.id.to_string())),
        }
    }

    /// Where recipient `index`'s copy goes, or why it cannot go anywhere,
    /// and the id the upstream will know it by.
    fn route(&self, message: &Message, index: usize) -> NewCopy {
        let recipient = &message.recipients[index];
        let country = recipient.country();
        let route = country.and_then(|c| self.routes.get(&c));
        // The id must fit every protocol the route may write the copy in.
        let protocols = route.and_then(|r| self.route_protocols.get(r));
        let accepts = |id| protocols.is_none_or(|ps| ps.iter().all(|p| p.accepts_message_id(id)));
        let recipients = &message.recipients;
        let copy = NewCopy {
            recipient: recipient.clone(),
            country,
            route: route.cloned().unwrap_or_default(),
            upstream_id: copy_id::upstream_id(message.id, recipients, index, accepts),
            upstream_id_if_taken: copy_id::sender_scoped(
                &message.sender.id.national().to_string(),
                message.id,
                recipients,
                index,
                accepts,
            ),
            status: Status::Accepted,
            note: None,
        };
        let refuse = |note: String| NewCopy {
            route: String::new(),
            status: Status::Rejected,
            note: Some(note),
            ..copy.clone()
        };
        let Some(country) = country else {
            return refuse("the recipient names no country Borderpost delivers to".to_owned());
        };
        let Some(route) = route else {
            return refuse(format!("no upstream serves {country}"));
        };
        if message.channel == Channel::PrintOnly
            && self
                .config
                .upstreams
                .get(route)
                .is_none_or(|u| u.print_protocol.is_none())
        {
            return refuse(format!("no print service is configured for {country}"));
        }
        copy
    }

    /// The message `id` of one of the senders `caller` may see.
    pub fn find(&self, caller: &PartyId, id: Uuid) -> Result<Option<MessageView>, JournalError> {
        for sender in self.visible_senders(caller) {
            if let Some(view) = self.journal.message(&MessageKey::new(&sender, id))? {
                return Ok(Some(view));
            }
        }
        Ok(None)
    }

    /// Opens the sealed canonical message of `view`.
    pub fn open(&self, view: &MessageView) -> Result<Message, JournalError> {
        let seq = view.record.seq;
        let sealed = self.journal.payload(seq)?.ok_or(Corruption::Missing {
            seq,
            what: Item::Payload,
        })?;
        let plaintext = self
            .payload_key
            .open(view.record.key.to_string().as_bytes(), &sealed)?;
        serde_json::from_slice(&plaintext).map_err(|source| {
            JournalError::Codec(CodecError::Decode {
                what: Item::Payload,
                source,
            })
        })
    }
}
