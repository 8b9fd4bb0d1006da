//! Configuration: one TOML file, parsed raw ([`raw`]), then validated into a
//! typed [`Config`] with every problem reported against the key that holds
//! it. `borderpost check-config` prints the problems; `serve` refuses to
//! start on them.
//!
//! Relative paths are resolved against the configuration file's directory.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use borderpost_core::{Country, Limits, PartyId};

use crate::{journal, pki};

mod raw;

use raw::RawConfig;

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The ingress listener and the gateway's own identity.
    pub server: Server,
    /// Trust anchors for client certificates and CRLs.
    pub trust: Trust,
    /// Where the journal lives.
    pub journal: JournalConfig,
    /// Delivery pacing and retries.
    pub delivery: Delivery,
    /// Size and time limits.
    pub limits: LimitsConfig,
    /// What to do with translations that lose fields.
    pub policy: TranslationPolicy,
    /// Request quotas at ingress.
    pub rate_limits: RateLimits,
    /// The organisations allowed to send.
    pub senders: Vec<Sender>,
    /// The national systems (and peers) Borderpost delivers to, by route name.
    pub upstreams: BTreeMap<String, Upstream>,
    /// Keys for the Norwegian DPI ingress.
    pub no_ingress: Option<NoIngress>,
}

/// The ingress listener and Borderpost's own certificate.
#[derive(Debug, Clone)]
pub struct Server {
    /// Where senders connect.
    pub listen: SocketAddr,
    /// The admin listener (`/healthz`, `/readyz`, `/metrics`).
    pub admin: SocketAddr,
    /// The server certificate chain (PEM).
    pub certificate: PathBuf,
    /// Its private key (PEM).
    pub private_key: PathBuf,
    /// Borderpost's own organisation (from the certificate unless given).
    pub organisation: PartyId,
    /// How often certificate, key and CRL files are checked for changes.
    pub reload_interval: Duration,
}

/// Which CA vouches for whom.
#[derive(Debug, Clone)]
pub struct Trust {
    /// Trust anchors and the role of the clients they issue for.
    pub anchors: Vec<Anchor>,
    /// Certificate revocation lists, checked on every handshake.
    pub crls: Vec<PathBuf>,
    /// DANGEROUS: let in clients of a CA that has no CRL here (their
    /// revocation status is unknown) instead of refusing them. Off by
    /// default; logged at start when on.
    pub dangerous_allow_unknown_revocation_status: bool,
}

/// A trust anchor file and what it vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Sending organisations of a country, or peer gateways.
    pub role: Role,
    /// The PEM file.
    pub path: PathBuf,
}

/// What a client certificate makes its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An organisation of this country, sending messages.
    Sender(Country),
    /// A peer Borderpost gateway.
    Peer,
}

/// The journal's files.
#[derive(Debug, Clone)]
pub struct JournalConfig {
    /// Directory of the log and the state.
    pub dir: PathBuf,
    /// The payload encryption key (created if missing).
    pub payload_key: PathBuf,
    /// The state's page cache, in bytes.
    pub cache_bytes: u64,
}

/// Delivery pacing.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Deliveries in flight at once, across upstreams.
    pub concurrency: usize,
    /// A copy not delivered within this age is `expired`.
    pub max_age: Duration,
    /// The first retry delay.
    pub retry_initial: Duration,
    /// The longest retry delay.
    pub retry_max: Duration,
    /// Consecutive failures that open an upstream's circuit.
    pub breaker_failures: u32,
    /// How long an open circuit waits before a trial delivery.
    pub breaker_cooldown: Duration,
    /// How often receipts are polled from upstreams.
    pub receipt_poll: Duration,
}

/// Size and time limits at ingress.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// Limits the adapters enforce.
    pub adapter: Limits,
    /// Time to receive a request's headers.
    pub header_read_timeout: Duration,
    /// Time to receive a request's body.
    pub body_read_timeout: Duration,
    /// An idle keep-alive connection is closed after this.
    pub idle_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Requests in progress at most; beyond, `503` with `Retry-After`.
    pub max_in_flight: usize,
    /// Headers per request at most.
    pub max_headers: usize,
    /// Header bytes per request at most.
    pub max_header_bytes: usize,
    /// HTTP/2 streams per connection at most.
    pub h2_max_concurrent_streams: u32,
    /// Per-route overrides of the body and message limits, by route
    /// (`canonical`, `dk`, `no`).
    pub routes: BTreeMap<String, RouteLimits>,
}

/// The limits one route applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteLimits {
    /// Limits the adapters enforce (body, recipients, documents, depth).
    pub adapter: Limits,
    /// Time to receive the body.
    pub body_read_timeout: Duration,
}

/// The route names `limits.routes` may name.
pub const ROUTES: [&str; 3] = ["canonical", "dk", "no"];

impl LimitsConfig {
    /// The limits of `route`: its overrides, else the defaults.
    pub fn route(&self, route: &str) -> RouteLimits {
        self.routes.get(route).copied().unwrap_or(RouteLimits {
            adapter: self.adapter,
            body_read_timeout: self.body_read_timeout,
        })
    }
}

/// Request quotas at ingress (token buckets).
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Each sender organisation's default quota.
    pub sender: Quota,
    /// Each peer gateway's quota.
    pub peer: Quota,
    /// Per-organisation quotas replacing the default.
    pub overrides: Vec<(PartyId, Quota)>,
}

/// A token bucket: a steady rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

/// What happens when a translation cannot carry every field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranslationPolicy {
    /// Refuse the copy (`rejected`), naming the lost fields.
    Strict,
    /// Deliver and record the losses in the copy's history.
    Lenient,
}

/// An organisation allowed to send.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Its identifier (as its certificate names it).
    pub id: PartyId,
    /// Its name, for protocols that require one (MeMo's sender label) when
    /// a message does not carry it (DPI has none).
    pub name: Option<String>,
    /// Other organisations it may send for.
    pub acts_for: Vec<PartyId>,
}

/// A national system (or peer gateway) Borderpost delivers to.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The route name.
    pub name: String,
    /// The country whose recipients it serves.
    pub country: Country,
    /// Its base URL (`https://…`).
    pub url: http::Uri,
    /// The protocol messages are encoded in.
    pub protocol: String,
    /// The protocol for print, if the upstream offers print fallback.
    pub print_protocol: Option<String>,
    /// The client certificate presented (PEM).
    pub client_certificate: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
    /// The only anchors its server certificate may chain to.
    pub trust: Vec<PathBuf>,
    /// Time for one delivery request.
    pub timeout: Duration,
    /// The certificate and key Borderpost signs messages with (protocols
    /// that sign, like DPI).
    pub signing: Option<KeyPair>,
    /// A Maskinporten access token (Norway). Borderpost does not mint it.
    pub maskinporten_token: Option<String>,
    /// The DPI `kanal` Borderpost polls receipts on.
    pub kanal: Option<String>,
    /// The recipient directory (Norway's KRR) base URL.
    pub directory_url: Option<http::Uri>,
    /// Deliveries per second to this upstream, if paced; copies over the
    /// quota wait (nothing fails).
    pub quota: Option<Quota>,
}

/// A certificate and its key.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// The certificate (PEM).
    pub certificate: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

/// Keys of the Norwegian DPI ingress.
#[derive(Debug, Clone)]
pub struct NoIngress {
    /// The certificate senders encrypt document packages to, and its key.
    pub decryption: KeyPair,
    /// The key receipts to Norwegian senders are signed with.
    pub signing: KeyPair,
}

/// One problem in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The key that holds it, e.g. `upstreams.no.client_key`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

// === impl Config ===

impl Config {
    /// Every option in force that weakens a check, as a sentence for the
    /// log at start and for `check-config`.
    pub fn dangerous_options(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.trust.dangerous_allow_unknown_revocation_status {
            out.push(
                "trust.dangerous_allow_unknown_revocation_status = true: clients of a CA without a configured CRL are let in unchecked for revocation"
                    .to_owned(),
            );
        }
        out
    }

    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                key: "(file)".to_owned(),
                message: format!("cannot read {}: {e}", path.display()),
            }])
        })?;
        let base = path.parent().map(Path::to_owned).unwrap_or_default();
        Config::parse(&text, &base)
    }

    /// Validates `text`, resolving relative paths against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigErrors> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                key: "(syntax)".to_owned(),
                message: e.to_string().trim().replace('\n', " "),
            }])
        })?;
        Validator::new(base).config(raw)
    }
}

// === Validation ===

struct Validator {
    base: PathBuf,
    errors: Vec<ConfigError>,
}

impl Validator {
    fn new(base: &Path) -> Validator {
        Validator {
            base: base.to_owned(),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            key: key.into(),
            message: message.into(),
        });
    }

    fn path(&self, value: &str) -> PathBuf {
        let path = Path::new(value);
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.base.join(path)
        }
    }

    fn required<T>(&mut self, key: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.error(key, "is required");
        }
        value
    }

    fn addr(&mut self, key: &str, value: Option<String>, default: &str) -> SocketAddr {
        let text = value.unwrap_or_else(|| default.to_owned());
        match text.parse() {
            Ok(addr) => addr,
            Err(_) => {
                self.error(
                    key,
                    format!("{text:?} is not an address such as 127.0.0.1:8443"),
                );
                SocketAddr::from(([127, 0, 0, 1], 0))
            }
        }
    }

    fn duration(&mut self, key: &str, value: Option<String>, default: Duration) -> Duration {
        match value {
            None => default,
            Some(text) => match parse_duration(&text) {
                Some(d) if !d.is_zero() => d,
                _ => {
                    self.error(
                        key,
                        format!("{text:?} is not a duration such as 500ms, 30s, 5m, 72h or 7d"),
                    );
                    default
                }
            },
        }
    }

    fn party(&mut self, key: &str, value: &str) -> Option<PartyId> {
        match value.parse::<PartyId>() {
            Ok(id) => Some(id),
            Err(e) => {
                self.error(key, format!("{value:?}: {e}"));
                None
            }
        }
    }

    /// A certificate file that must load; returns its first certificate.
    fn certificate(
        &mut self,
        key: &str,
        value: Option<String>,
    ) -> Option<(PathBuf, rustls_pki_types::CertificateDer<'static>)> {
        let value = self.required(key, value)?;
        let path = self.path(&value);
        match pki::load_certificates(&path) {
            Ok(mut certs) => Some((path, certs.swap_remove(0))),
            Err(e) => {
                self.error(key, e.message);
                None
            }
        }
    }

    /// A certificate and key pair that must load and match.
    fn key_pair(
        &mut self,
        prefix: &str,
        cert_key: &str,
        key_key: &str,
        cert: Option<String>,
        key: Option<String>,
    ) -> Option<KeyPair> {
        let cert = self.certificate(&format!("{prefix}.{cert_key}"), cert);
        let key_name = format!("{prefix}.{key_key}");
        let key = self.required(&key_name, key).map(|k| self.path(&k));
        let (Some((cert_path, der)), Some(key_path)) = (cert, key) else {
            return None;
        };
        match pki::load_private_key(&key_path) {
            Ok(private) => {
                if let Err(e) = pki::check_key_matches(&der, &private, &key_path) {
                    self.error(&key_name, e.message);
                    return None;
                }
            }
            Err(e) => {
                self.error(&key_name, e.message);
                return None;
            }
        }
        Some(KeyPair {
            certificate: cert_path,
            key: key_path,
        })
    }

    fn required_u32(&mut self, key: &str, value: Option<u32>) -> Option<u32> {
        self.required(key, value)
    }

    /// A quota from a rate (and optional burst, default the rate): both
    /// must be at least 1, or nothing could ever pass.
    fn quota(&mut self, key: &str, per_second: Option<u32>, burst: Option<u32>) -> Option<Quota> {
        let per_second = per_second?;
        let burst = burst.unwrap_or(per_second);
        if per_second == 0 {
            self.error(
                format!("{key}_per_second"),
                "a quota of 0 per second lets nothing through",
            );
            return None;
        }
        if burst == 0 {
            self.error(format!("{key}_burst"), "a burst of 0 lets nothing through");
            return None;
        }
        Some(Quota { per_second, burst })
    }

    /// Refuses limits under which an accepted message could make a journal
    /// record larger than the log takes: such a message could never be
    /// acknowledged. Names the body limit of `scope` (or, when no body fits,
    /// its recipient or document limit) and the largest value that fits.
    fn record_limit(
        &mut self,
        scope: &str,
        limits: &Limits,
        sender_name: usize,
        route_name: usize,
    ) {
        let record_limit = journal::MAX_RECORD_BYTES;
        if limits.max_recipients > journal::MAX_COPIES {
            self.error(
                format!("{scope}.max_recipients"),
                format!(
                    "{} is over {}: the journal numbers a message's copies in 16 bits",
                    limits.max_recipients,
                    journal::MAX_COPIES
                ),
            );
            return;
        }
        let bound = journal::accept_record_bound(limits, sender_name, route_name);
        if bound <= record_limit {
            return;
        }
        let body = journal::largest_body(limits, sender_name, route_name);
        if body > 0 {
            self.error(
                format!("{scope}.max_body_bytes"),
                format!(
                    "{} (with the other limits of {scope}) lets one accepted message make a journal record of up to {bound} bytes, over the journal's limit of {record_limit} bytes per record; at most {body} fits",
                    limits.max_body_bytes
                ),
            );
            return;
        }
        let smallest_body = Limits {
            max_body_bytes: 1,
            ..*limits
        };
        let recipients = journal::largest_recipients(&smallest_body, sender_name, route_name);
        if recipients > 0 {
            self.error(
                format!("{scope}.max_recipients"),
                format!(
                    "{} recipients make a journal record over its limit of {record_limit} bytes per record even with the smallest body; at most {recipients} fit",
                    limits.max_recipients
                ),
            );
        } else {
            self.error(
                format!("{scope}.max_documents"),
                format!(
                    "{} documents make a journal record over its limit of {record_limit} bytes per record even with the smallest body",
                    limits.max_documents
                ),
            );
        }
    }

    fn config(mut self, raw: RawConfig) -> Result<Config, ConfigErrors> {
        let registry = crate::registry::Registry::with_defaults();

        let server = raw.server.unwrap_or_default();
        let listen = self.addr("server.listen", server.listen, "127.0.0.1:8443");
        let admin = self.addr("server.admin", server.admin, "127.0.0.1:9090");
        let own = self.key_pair(
            "server",
            "certificate",
            "private_key",
            server.certificate,
            server.private_key,
        );
        let reload_interval = self.duration(
            "server.reload_interval",
            server.reload_interval,
            Duration::from_secs(5),
        );
        let organisation = match (&server.organisation, &own) {
            (Some(id), _) => self.party("server.organisation", id),
            (None, Some(pair)) => {
                let org = pki::load_certificates(&pair.certificate)
                    .ok()
                    .and_then(|certs| pki::organisation(&certs[0], None));
                if org.is_none() {
                    self.error(
                        "server.organisation",
                        "the server certificate carries no organizationIdentifier: give the gateway's organisation (e.g. dk-cvr:13748136)",
                    );
                }
                org
            }
            (None, None) => None,
        };

        let trust_raw = raw.trust.unwrap_or_default();
        let mut anchors = Vec::new();
        for (key, role, files) in [
            ("trust.dk", Role::Sender(Country::Dk), &trust_raw.dk),
            ("trust.no", Role::Sender(Country::No), &trust_raw.no),
            ("trust.se", Role::Sender(Country::Se), &trust_raw.se),
            ("trust.fi", Role::Sender(Country::Fi), &trust_raw.fi),
            ("trust.federation", Role::Peer, &trust_raw.federation),
        ] {
            for (i, file) in files.iter().enumerate() {
                let path = self.path(file);
                match pki::load_certificates(&path) {
                    Ok(_) => anchors.push(Anchor { role, path }),
                    Err(e) => self.error(format!("{key}[{i}]"), e.message),
                }
            }
        }
        if anchors.is_empty() {
            self.error("trust", "no trust anchors: no client could ever connect");
        }
        let mut crls = Vec::new();
        let mut crl_ders = Vec::new();
        for (i, file) in trust_raw.crls.iter().enumerate() {
            let path = self.path(file);
            match pki::load_crls(&path) {
                Ok(loaded) => {
                    crl_ders.extend(loaded);
                    crls.push(path);
                }
                Err(e) => self.error(format!("trust.crls[{i}]"), e.message),
            }
        }
        let dangerous_allow_unknown_revocation_status = trust_raw
            .dangerous_allow_unknown_revocation_status
            .unwrap_or(false);
        if !dangerous_allow_unknown_revocation_status {
            // A client of a CA without a CRL here could be revoked and
            // still be let in: refuse the configuration instead.
            for anchor in &anchors {
                for cert in pki::load_certificates(&anchor.path).unwrap_or_default() {
                    if !crl_ders.iter().any(|crl| pki::crl_issued_by(crl, &cert)) {
                        self.error(
                            "trust.crls",
                            format!(
                                "no CRL from {} ({}): its clients' revocation could not be checked; add its CRL, or set trust.dangerous_allow_unknown_revocation_status = true",
                                pki::subject(&cert),
                                anchor.path.display()
                            ),
                        );
                    }
                }
            }
        }

        let journal_raw = raw.journal.unwrap_or_default();
        let journal = JournalConfig {
            dir: self.path(journal_raw.dir.as_deref().unwrap_or("data/journal")),
            payload_key: self.path(
                journal_raw
                    .payload_key
                    .as_deref()
                    .unwrap_or("data/payload.key"),
            ),
            cache_bytes: journal_raw.cache_bytes.unwrap_or(64 * 1024 * 1024),
        };

        let d = raw.delivery.unwrap_or_default();
        let delivery = Delivery {
            concurrency: d.concurrency.unwrap_or(64),
            max_age: self.duration(
                "delivery.max_age",
                d.max_age,
                Duration::from_secs(72 * 3600),
            ),
            retry_initial: self.duration(
                "delivery.retry_initial",
                d.retry_initial,
                Duration::from_secs(1),
            ),
            retry_max: self.duration("delivery.retry_max", d.retry_max, Duration::from_secs(300)),
            breaker_failures: d.breaker_failures.unwrap_or(5),
            breaker_cooldown: self.duration(
                "delivery.breaker_cooldown",
                d.breaker_cooldown,
                Duration::from_secs(30),
            ),
            receipt_poll: self.duration(
                "delivery.receipt_poll",
                d.receipt_poll,
                Duration::from_secs(10),
            ),
        };
        if delivery.concurrency == 0 {
            self.error("delivery.concurrency", "must be at least 1");
        }
        if delivery.breaker_failures == 0 {
            self.error("delivery.breaker_failures", "must be at least 1");
        }
        if delivery.retry_initial > delivery.retry_max {
            self.error(
                "delivery.retry_initial",
                "is longer than delivery.retry_max",
            );
        }

        let l = raw.limits.unwrap_or_default();
        let defaults = Limits::default();
        let limits = LimitsConfig {
            adapter: Limits {
                max_body_bytes: l.max_body_bytes.unwrap_or(defaults.max_body_bytes),
                max_recipients: l.max_recipients.unwrap_or(defaults.max_recipients),
                max_documents: l.max_documents.unwrap_or(defaults.max_documents),
                max_document_bytes: l.max_document_bytes.unwrap_or(defaults.max_document_bytes),
                max_depth: l.max_depth.unwrap_or(defaults.max_depth),
            },
            header_read_timeout: self.duration(
                "limits.header_read_timeout",
                l.header_read_timeout,
                Duration::from_secs(10),
            ),
            body_read_timeout: self.duration(
                "limits.body_read_timeout",
                l.body_read_timeout,
                Duration::from_secs(60),
            ),
            idle_timeout: self.duration(
                "limits.idle_timeout",
                l.idle_timeout,
                Duration::from_secs(60),
            ),
            max_connections: l.max_connections.unwrap_or(10_000),
            max_in_flight: l.max_in_flight.unwrap_or(4096),
            max_headers: l.max_headers.unwrap_or(100),
            max_header_bytes: l.max_header_bytes.unwrap_or(64 * 1024),
            h2_max_concurrent_streams: l.h2_max_concurrent_streams.unwrap_or(128),
            routes: BTreeMap::new(),
        };
        let mut limits = limits;
        for (name, r) in l.routes {
            let key = format!("limits.routes.{name}");
            if !ROUTES.contains(&name.as_str()) {
                self.error(
                    &key,
                    format!("unknown route {name:?}; routes are {}", ROUTES.join(", ")),
                );
                continue;
            }
            let route = RouteLimits {
                adapter: Limits {
                    max_body_bytes: r.max_body_bytes.unwrap_or(limits.adapter.max_body_bytes),
                    max_recipients: r.max_recipients.unwrap_or(limits.adapter.max_recipients),
                    max_documents: r.max_documents.unwrap_or(limits.adapter.max_documents),
                    max_document_bytes: r
                        .max_document_bytes
                        .unwrap_or(limits.adapter.max_document_bytes),
                    max_depth: limits.adapter.max_depth,
                },
                body_read_timeout: self.duration(
                    &format!("{key}.body_read_timeout"),
                    r.body_read_timeout,
                    limits.body_read_timeout,
                ),
            };
            if route.adapter.max_body_bytes == 0 || route.adapter.max_recipients == 0 {
                self.error(&key, "a limit of 0 lets nothing through");
            }
            limits.routes.insert(name, route);
        }
        for (key, zero) in [
            ("limits.max_body_bytes", limits.adapter.max_body_bytes == 0),
            ("limits.max_recipients", limits.adapter.max_recipients == 0),
            ("limits.max_depth", limits.adapter.max_depth < 4),
            ("limits.max_connections", limits.max_connections == 0),
            ("limits.max_in_flight", limits.max_in_flight == 0),
            ("limits.max_headers", limits.max_headers < 8),
            ("limits.max_header_bytes", limits.max_header_bytes < 1024),
            (
                "limits.h2_max_concurrent_streams",
                limits.h2_max_concurrent_streams == 0,
            ),
        ] {
            if zero {
                self.error(key, "is too small for any request to pass");
            }
        }

        let policy = match raw.policy.and_then(|p| p.translation).as_deref() {
            None | Some("lenient") => TranslationPolicy::Lenient,
            Some("strict") => TranslationPolicy::Strict,
            Some(other) => {
                self.error(
                    "policy.translation",
                    format!("{other:?} is not \"strict\" or \"lenient\""),
                );
                TranslationPolicy::Lenient
            }
        };

        let r = raw.rate_limits.unwrap_or_default();
        let sender_quota = self.quota(
            "rate_limits.sender",
            r.sender_per_second.or(Some(1000)),
            r.sender_burst,
        );
        let peer_quota = self.quota(
            "rate_limits.peer",
            r.peer_per_second.or(Some(5000)),
            r.peer_burst,
        );
        let mut overrides = Vec::new();
        for (i, o) in r.overrides.into_iter().enumerate() {
            let key = format!("rate_limits.overrides[{i}]");
            let id = self
                .required(&format!("{key}.id"), o.id)
                .and_then(|id| self.party(&format!("{key}.id"), &id));
            let per_second = self.required_u32(&format!("{key}.per_second"), o.per_second);
            let quota = self.quota(&key, per_second, o.burst);
            if let (Some(id), Some(quota)) = (id, quota) {
                overrides.push((id.national(), quota));
            }
        }
        let rate_limits = RateLimits {
            sender: sender_quota.unwrap_or(Quota {
                per_second: 1000,
                burst: 1000,
            }),
            peer: peer_quota.unwrap_or(Quota {
                per_second: 5000,
                burst: 5000,
            }),
            overrides,
        };

        let mut senders = Vec::new();
        for (i, sender) in raw.senders.into_iter().enumerate() {
            let key = format!("senders[{i}]");
            let Some(id) = self.required(&format!("{key}.id"), sender.id) else {
                continue;
            };
            let Some(id) = self.party(&format!("{key}.id"), &id) else {
                continue;
            };
            let acts_for = sender
                .acts_for
                .iter()
                .enumerate()
                .filter_map(|(j, a)| self.party(&format!("{key}.acts_for[{j}]"), a))
                .collect();
            senders.push(Sender {
                id,
                name: sender.name,
                acts_for,
            });
        }

        let mut upstreams = BTreeMap::new();
        for (name, u) in raw.upstreams {
            let key = format!("upstreams.{name}");
            let country = match self.required(&format!("{key}.country"), u.country) {
                Some(c) => match c.parse::<Country>() {
                    Ok(c) => Some(c),
                    Err(e) => {
                        self.error(format!("{key}.country"), e);
                        None
                    }
                },
                None => None,
            };
            let url = self.required(&format!("{key}.url"), u.url).and_then(|url| {
                match url.parse::<http::Uri>() {
                    Ok(uri) if uri.scheme_str() == Some("https") && uri.host().is_some() => {
                        Some(uri)
                    }
                    _ => {
                        self.error(
                            format!("{key}.url"),
                            format!("{url:?} is not an https:// URL"),
                        );
                        None
                    }
                }
            });
            let protocol = self.required(&format!("{key}.protocol"), u.protocol);
            for (field, p) in [
                ("protocol", &protocol),
                ("print_protocol", &u.print_protocol),
            ] {
                if let Some(p) = p
                    && registry.get(p).is_none()
                {
                    self.error(
                        format!("{key}.{field}"),
                        format!(
                            "unknown protocol {p:?}; known: {}",
                            registry.names().join(", ")
                        ),
                    );
                }
            }
            let client = self.key_pair(
                &key,
                "client_certificate",
                "client_key",
                u.client_certificate,
                u.client_key,
            );
            let mut trust = Vec::new();
            for (i, file) in u.trust.iter().enumerate() {
                let path = self.path(file);
                match pki::load_certificates(&path) {
                    Ok(_) => trust.push(path),
                    Err(e) => self.error(format!("{key}.trust[{i}]"), e.message),
                }
            }
            if trust.is_empty() {
                self.error(
                    format!("{key}.trust"),
                    "pin at least one trust anchor for the upstream's server certificate",
                );
            }
            let signing = match (&u.signing_certificate, &u.signing_key) {
                (None, None) => None,
                _ => self.key_pair(
                    &key,
                    "signing_certificate",
                    "signing_key",
                    u.signing_certificate,
                    u.signing_key,
                ),
            };
            let timeout = self.duration(
                &format!("{key}.timeout"),
                u.timeout,
                Duration::from_secs(30),
            );
            let directory_url = u
                .directory_url
                .and_then(|url| match url.parse::<http::Uri>() {
                    Ok(uri) if uri.scheme_str() == Some("https") => Some(uri),
                    _ => {
                        self.error(
                            format!("{key}.directory_url"),
                            format!("{url:?} is not an https:// URL"),
                        );
                        None
                    }
                });
            let quota = match u.max_per_second {
                Some(rate) => self.quota(&key, Some(rate), u.burst),
                None => None,
            };
            if protocol.as_deref() == Some("no-dpi") {
                if u.maskinporten_token.is_none() {
                    self.error(
                        format!("{key}.maskinporten_token"),
                        "DPI needs a Maskinporten access token (Borderpost does not mint it)",
                    );
                }
                if signing.is_none() {
                    self.error(
                        format!("{key}.signing_certificate"),
                        "DPI messages are signed: give signing_certificate and signing_key",
                    );
                }
                if directory_url.is_none() {
                    self.error(
                        format!("{key}.directory_url"),
                        "DPI needs the KRR lookup URL to find postboxes",
                    );
                }
            }
            if let (Some(country), Some(url), Some(protocol), Some(client)) =
                (country, url, protocol, client)
            {
                upstreams.insert(
                    name.clone(),
                    Upstream {
                        name,
                        country,
                        url,
                        protocol,
                        print_protocol: u.print_protocol,
                        client_certificate: client.certificate,
                        client_key: client.key,
                        trust,
                        timeout,
                        signing,
                        maskinporten_token: u.maskinporten_token,
                        kanal: u.kanal,
                        directory_url,
                        quota,
                    },
                );
            }
        }
        let mut countries = std::collections::BTreeSet::new();
        for upstream in upstreams.values() {
            if !countries.insert(upstream.country) {
                self.error(
                    format!("upstreams.{}.country", upstream.name),
                    format!("another upstream already serves {}", upstream.country),
                );
            }
        }

        let no_ingress = raw.ingress.and_then(|i| i.no).and_then(|no| {
            let decryption = self.key_pair(
                "ingress.no",
                "decryption_certificate",
                "decryption_key",
                no.decryption_certificate,
                no.decryption_key,
            );
            let signing = self.key_pair(
                "ingress.no",
                "signing_certificate",
                "signing_key",
                no.signing_certificate,
                no.signing_key,
            );
            Some(NoIngress {
                decryption: decryption?,
                signing: signing?,
            })
        });
        if no_ingress.is_some() && !anchors.iter().any(|a| a.role == Role::Sender(Country::No)) {
            // The DPI ingress checks each business message's signer against
            // these anchors; without them it could check nothing, and a
            // certificate anyone made claiming a configured organisation
            // would pass.
            self.error(
                "trust.no",
                "[ingress.no] verifies Norwegian senders' signatures against these anchors: give at least one",
            );
        }

        // The journal must be able to hold the record of any message the
        // limits accept: names from the configuration go into it too.
        let sender_name = senders
            .iter()
            .filter_map(|s| s.name.as_ref().map(String::len))
            .max()
            .unwrap_or(0);
        let route_name = upstreams.keys().map(String::len).max().unwrap_or(0);
        self.record_limit("limits", &limits.adapter, sender_name, route_name);
        for (name, route) in &limits.routes {
            if route.adapter != limits.adapter {
                self.record_limit(
                    &format!("limits.routes.{name}"),
                    &route.adapter,
                    sender_name,
                    route_name,
                );
            }
        }

        if !self.errors.is_empty() {
            return Err(ConfigErrors(self.errors));
        }
        let (Some(own), Some(organisation)) = (own, organisation) else {
            return Err(ConfigErrors(vec![ConfigError {
                key: "server".to_owned(),
                message: "incomplete".to_owned(),
            }]));
        };
        Ok(Config {
            server: Server {
                listen,
                admin,
                certificate: own.certificate,
                private_key: own.key,
                organisation,
                reload_interval,
            },
            trust: Trust {
                anchors,
                crls,
                dangerous_allow_unknown_revocation_status,
            },
            journal,
            delivery,
            limits,
            policy,
            rate_limits,
            senders,
            upstreams,
            no_ingress,
        })
    }
}

/// Parses `500ms`, `30s`, `5m`, `72h`, `7d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    Some(match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60)?),
        "h" => Duration::from_secs(n.checked_mul(3600)?),
        "d" => Duration::from_secs(n.checked_mul(86_400)?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
