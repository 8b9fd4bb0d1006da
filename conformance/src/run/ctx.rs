//! What every case gets: the target, the senders, the simulators, the
//! official samples, and the few messages several cases share
//! (fixtures, made once per run on first use).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use borderpost_core::{Message, PartyId};
use bytes::Bytes;
use http::Method;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::options::{Error, Options, host_port, is_loopback};
use super::party::{Party, organisation_der};
use super::probe;
use super::report::{Evidence, Outcome, Verdict, body_excerpt};
use borderpost_sim::{self as sim, Client, Delivery, Recorded, RecordedSummary, Reply};

/// How often a wait polls.
const POLL: Duration = Duration::from_millis(150);

/// The run's context.
pub struct Ctx {
    /// The options as given.
    pub options: Options,
    /// `https://host:port` of the target.
    pub base: String,
    /// The target's host.
    pub host: String,
    /// The target's port.
    pub port: u16,
    /// The CA certificates the target (and the simulators) chain to.
    pub roots: Vec<CertificateDer<'static>>,
    /// The sender of `--cert`/`--key`.
    pub primary: Party,
    /// Its organisation.
    pub sender: PartyId,
    /// The example PKI: `--certs DIR`, else `certs-example/` here or in a
    /// parent, else the copy built into the simulators.
    pub pki: sim::Pki,
    /// The target's TLS server certificate chain (DER, leaf first).
    pub server_chain: Vec<Vec<u8>>,
    /// The TLS version the sender's handshake negotiated.
    pub server_version: String,
    /// The certificate DPI senders encrypt to (DER).
    pub dpi_cert: Vec<u8>,
    /// The Danish simulator, or why it cannot be used.
    pub dk_sim: Result<SimEndpoint, String>,
    /// The Norwegian simulator, or why it cannot be used.
    pub no_sim: Result<SimEndpoint, String>,
    /// The official protocol material, if found.
    pub protocols: Option<PathBuf>,
    /// A short random tag of this run, in subjects and references, so a
    /// run finds its own messages at a simulator shared with others.
    pub nonce: String,
    /// This run's DPI `kanal` (receipts are listed per kanal).
    pub kanal: String,
    /// Messages several cases share.
    pub fixtures: Fixtures,
}

/// A simulator's control API.
#[derive(Debug, Clone)]
pub struct SimEndpoint {
    /// `dk` or `no`.
    pub name: &'static str,
    /// Its base URL.
    pub base: String,
    /// A client it accepts.
    pub client: Client,
}

/// A message sent by a fixture.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its id (the sender's).
    pub id: uuid::Uuid,
    /// The canonical message it carries, as meant.
    pub message: Message,
    /// The request body.
    pub body: Vec<u8>,
    /// Its content type.
    pub content_type: String,
    /// The first answer.
    pub first: Reply,
    /// Who sent it.
    pub party: Party,
    /// The subject marker that finds it at a simulator.
    pub marker: String,
    /// How it was made (evidence for every case that uses it).
    pub evidence: Vec<Evidence>,
}

/// Why a fixture could not be made: the verdict every case that needs it
/// gets (a skip when something the fixture needs is missing, a failure
/// when the target did not answer), with the fixture's evidence.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Skip or fail.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// The fixture's exchanges.
    pub evidence: Vec<Evidence>,
}

impl Failure {
    /// A skip: something the fixture needs is not available.
    pub fn skip(reason: impl Into<String>) -> Failure {
        Failure {
            verdict: Verdict::Skip,
            reason: reason.into(),
            evidence: Vec::new(),
        }
    }

    /// This failure as the outcome of a case with trace `t`.
    pub fn outcome(&self, mut t: Trace) -> Outcome {
        t.extend(&self.evidence);
        Outcome {
            verdict: self.verdict,
            reason: self.reason.clone(),
            evidence: t.evidence,
        }
    }
}

/// The shared messages, made on first use.
#[derive(Debug, Default)]
pub struct Fixtures {
    /// A canonical message from the sender to a Danish and a Norwegian
    /// recipient.
    pub canonical: OnceCell<Result<Sent, Failure>>,
    /// A MeMo from the Danish sender to a Danish recipient.
    pub memo: OnceCell<Result<Sent, Failure>>,
    /// A DPI message from the Norwegian sender to a Danish recipient.
    pub dpi: OnceCell<Result<Sent, Failure>>,
    /// Whether the target accepts the example PKI's `sender-dk` (the
    /// control for the negative certificates).
    pub pki_control: OnceCell<Result<(), String>>,
}

/// Evidence being collected by one case.
#[derive(Debug, Default)]
pub struct Trace {
    /// What was sent and received so far.
    pub evidence: Vec<Evidence>,
}

// === impl Ctx ===

impl Ctx {
    /// Checks the options, loads the certificates, meets the target and
    /// the simulators. Returns the context, the setup notes for the
    /// report, and the simulators it started (to stop at the end).
    pub async fn setup(options: Options) -> Result<(Ctx, Vec<String>, Vec<sim::Running>), Error> {
        let mut notes = Vec::new();
        let (host, port) = host_port(&options.target).map_err(|detail| Error::Target {
            url: options.target.clone(),
            detail,
        })?;
        if !options.allow_remote && !is_loopback(&host) {
            return Err(Error::Remote(options.target.clone()));
        }
        let base = format!("https://{host}:{port}");
        let roots = load_roots(&options.ca)?;
        let primary = Party::load(&stem(&options.cert), &options.cert, &options.key, &roots)?;
        let Some(sender) = primary.org.clone() else {
            return Err(Error::NoOrganisation(options.cert.clone()));
        };
        notes.push(format!("sender: {} ({sender})", primary.name));

        // Meet the target with the sender's certificate: everything else
        // is judged only if this works.
        let identity = identity(&options.cert, &options.key)?;
        let handshake = probe::handshake(&host, port, &roots, Some(identity), options.timeout)
            .await
            .map_err(|detail| Error::Unreachable {
                target: base.clone(),
                detail,
            })?;
        // With TLS 1.3 a client's handshake completes before the server has
        // judged its certificate: only an HTTP answer proves it was taken.
        let probe_url = format!("{base}/v1/messages/{}", uuid::Uuid::new_v4());
        if let Err(e) = primary.client.get(&probe_url).await {
            return Err(Error::Unreachable {
                target: base.clone(),
                detail: format!("no HTTP answer with the sender's certificate: {e}"),
            });
        }
        let server_org = handshake.chain.first().and_then(|c| organisation_der(c));
        notes.push(format!(
            "target: {} (TLS {}, ALPN {}, server certificate names {})",
            base,
            handshake.version,
            handshake.alpn.as_deref().unwrap_or("none"),
            server_org
                .as_ref()
                .map_or_else(|| "no organisation".to_owned(), ToString::to_string)
        ));
        let dpi_cert = match &options.dpi_cert {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
                notes.push(format!("DPI encryption certificate: {}", path.display()));
                borderpost_no::certificate_der_from_pem(&pem).map_err(|e| Error::Pem {
                    path: path.clone(),
                    detail: e.to_string(),
                })?
            }
            None => {
                notes.push(
                    "DPI encryption certificate: the target's TLS server certificate".to_owned(),
                );
                handshake.chain.first().cloned().unwrap_or_default()
            }
        };

        let pki = options
            .certs
            .as_ref()
            .map_or_else(sim::Pki::find_or_built_in, sim::Pki::new);
        notes.push(format!("example PKI: {pki}"));
        let protocols = options.protocols.clone();
        match &protocols {
            Some(dir) => notes.push(format!("official samples: {}", dir.display())),
            None => notes.push("official samples: embedded in this binary".to_owned()),
        }

        let mut started = Vec::new();
        let mut sim_dk = options.sim_dk.clone();
        let mut sim_no = options.sim_no.clone();
        if options.start_sims {
            let (dk, url) = start_sim(&sim_dk, |l| {
                sim::dk::start(l, &pki, sim::dk::DkOptions::default())
            })
            .await?;
            sim_dk = url;
            started.push(dk);
            let (no, url) = start_sim(&sim_no, |l| {
                sim::no::start(l, &pki, sim::no::NoOptions::default())
            })
            .await?;
            sim_no = url;
            started.push(no);
            notes.push(format!(
                "started simulators: dk {sim_dk}, no {sim_no} (the target must deliver to them)"
            ));
        }
        let dk_sim = probe_sim("dk", &sim_dk, &primary.client).await;
        let no_sim = probe_sim("no", &sim_no, &primary.client).await;
        for (name, sim) in [("dk", &dk_sim), ("no", &no_sim)] {
            match sim {
                Ok(s) => notes.push(format!("{name} simulator: {}", s.base)),
                Err(why) => notes.push(format!(
                    "{name} simulator: unavailable, cases that inspect it skip ({why})"
                )),
            }
        }

        let nonce = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
        let kanal = format!("bpc{nonce}");
        let ctx = Ctx {
            options,
            base,
            host,
            port,
            roots,
            primary,
            sender,
            pki,
            server_chain: handshake.chain,
            server_version: handshake.version,
            dpi_cert,
            dk_sim,
            no_sim,
            protocols,
            nonce,
            kanal,
            fixtures: Fixtures::default(),
        };
        Ok((ctx, notes, started))
    }

    /// The target's URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The sender's organisation.
    pub fn org(&self) -> &PartyId {
        &self.sender
    }

    /// The file `name` of the example PKI, if it has it.
    pub fn pki_file(&self, name: &str) -> Option<Vec<u8>> {
        self.pki.read(name).ok()
    }

    /// A party from the example PKI (`NAME.crt` + `NAME.key`), or why not.
    pub fn pki_party(&self, name: &str) -> Result<Party, String> {
        let (cert, key) = (format!("{name}.crt"), format!("{name}.key"));
        let (Some(cert_pem), Some(key_pem)) = (self.pki_file(&cert), self.pki_file(&key)) else {
            return Err(format!(
                "needs {cert} and {key} from the example PKI (--certs DIR)"
            ));
        };
        Party::from_pem(
            name,
            cert_pem,
            key_pem,
            &self.pki.origin(&cert),
            &self.pki.origin(&key),
            &self.roots,
        )
        .map_err(|e| e.to_string())
    }

    /// The main sender presenting its chain with the example PKI's
    /// certificate `extra` appended after it (same key), or why not.
    pub fn primary_with_extra(&self, extra: &str) -> Result<Party, String> {
        let extra_pem = self
            .pki_file(extra)
            .ok_or_else(|| format!("needs {extra} from the example PKI (--certs DIR)"))?;
        let mut cert_pem = self.primary.cert_pem.clone();
        if !cert_pem.ends_with(b"\n") {
            cert_pem.push(b'\n');
        }
        cert_pem.extend(extra_pem);
        let name = format!("{} + {extra}", self.primary.name);
        Party::from_pem(
            &name,
            cert_pem,
            self.primary.key_pem.clone(),
            &self.pki.origin(extra),
            Path::new("(the sender's key)"),
            &self.roots,
        )
        .map_err(|e| e.to_string())
    }

    /// A sender whose organisation is Danish (a CVR): the main sender if it
    /// is one, else the example PKI's `sender-dk`.
    pub fn dk_sender(&self) -> Result<Party, String> {
        self.national_sender(borderpost_core::Scheme::DkCvr, "sender-dk")
    }

    /// A sender whose organisation is Norwegian: the main sender if it is
    /// one, else the example PKI's `sender-no`.
    pub fn no_sender(&self) -> Result<Party, String> {
        self.national_sender(borderpost_core::Scheme::NoOrgnr, "sender-no")
    }

    fn national_sender(
        &self,
        scheme: borderpost_core::Scheme,
        fallback: &str,
    ) -> Result<Party, String> {
        if self.org().scheme() == scheme {
            return Ok(self.primary.clone());
        }
        let party = self.pki_party(fallback)?;
        match &party.org {
            Some(org) if org.scheme() == scheme => Ok(party),
            _ => Err(format!("{fallback} does not name a {scheme} organisation")),
        }
    }

    /// Another configured sender (a different organisation): the first of
    /// the example PKI's senders that is not the main one.
    pub fn other_sender(&self) -> Result<Party, String> {
        for name in ["sender-no", "sender-dk", "sender-se", "sender-fi"] {
            if let Ok(party) = self.pki_party(name)
                && party
                    .org
                    .as_ref()
                    .is_some_and(|o| !o.same_party(self.org()))
            {
                return Ok(party);
            }
        }
        Err("needs a second configured sender from the example PKI (--certs DIR)".to_owned())
    }

    /// An official sample, by path below `protocols/`.
    pub fn sample(&self, path: &str) -> Result<Vec<u8>, String> {
        super::samples::read(self.protocols.as_deref(), path)
    }

    /// The Danish simulator, or why not.
    pub fn dk_sim(&self) -> Result<&SimEndpoint, String> {
        self.dk_sim.as_ref().map_err(Clone::clone)
    }

    /// The Norwegian simulator, or why not.
    pub fn no_sim(&self) -> Result<&SimEndpoint, String> {
        self.no_sim.as_ref().map_err(Clone::clone)
    }

    /// Polls `GET /v1/messages/{id}` as `party` until every recipient's
    /// status satisfies `done`, and returns the status document. Stops at
    /// once on an answer that is not a status document.
    pub async fn wait_status(
        &self,
        t: &mut Trace,
        party: &Party,
        id: &str,
        done: fn(&str) -> bool,
    ) -> Result<Value, String> {
        let url = self.url(&format!("/v1/messages/{id}"));
        let deadline = Instant::now() + self.options.deliver_timeout;
        loop {
            let reply = party
                .client
                .get(&url)
                .await
                .map_err(|e| format!("status request failed: {e}"))?;
            let doc: Option<Value> = serde_json::from_slice(&reply.body).ok();
            let statuses: Option<Vec<String>> = doc.as_ref().and_then(|d| {
                d["recipients"].as_array().map(|rs| {
                    rs.iter()
                        .map(|r| r["status"].as_str().unwrap_or("").to_owned())
                        .collect()
                })
            });
            let Some(statuses) = statuses.filter(|s| reply.status == 200 && !s.is_empty()) else {
                t.exchange("status", "GET", &url, &[], b"", Ok(&reply));
                return Err(format!(
                    "GET /v1/messages/{id} did not answer a status document (HTTP {})",
                    reply.status
                ));
            };
            if statuses.iter().all(|s| done(s)) || Instant::now() > deadline {
                t.exchange("status", "GET", &url, &[], b"", Ok(&reply));
                if statuses.iter().all(|s| done(s)) {
                    return doc.ok_or_else(|| "no status document".to_owned());
                }
                return Err(format!(
                    "within {:?} the copies reached only {statuses:?}",
                    self.options.deliver_timeout
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls `sim` until a delivered message whose subject contains
    /// `marker` is there, and returns it decoded.
    pub async fn find_at_sim(
        &self,
        t: &mut Trace,
        sim: &SimEndpoint,
        marker: &str,
    ) -> Result<Recorded, String> {
        let deadline = Instant::now() + self.options.deliver_timeout;
        loop {
            let list = sim.messages().await?;
            if let Some(found) = list.iter().find(|m| m.subject.contains(marker)) {
                let recorded = sim.message(&found.message_id).await?;
                t.note(format!(
                    "the {} simulator received {} ({} on route {}, {} native bytes)",
                    sim.name,
                    recorded.message_id,
                    recorded.recipient,
                    recorded.route,
                    recorded.native.length
                ));
                return Ok(recorded);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no message with {marker:?} in its subject reached the {} simulator within {:?}",
                    sim.name, self.options.deliver_timeout
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

// === impl SimEndpoint ===

impl SimEndpoint {
    /// `GET /sim/messages`.
    pub async fn messages(&self) -> Result<Vec<RecordedSummary>, String> {
        self.json("/sim/messages").await
    }

    /// `GET /sim/messages/{id}`.
    pub async fn message(&self, id: &str) -> Result<Recorded, String> {
        self.json(&format!("/sim/messages/{id}")).await
    }

    /// `GET /sim/deliveries`.
    pub async fn deliveries(&self) -> Result<Vec<Delivery>, String> {
        self.json("/sim/deliveries").await
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let url = format!("{}{path}", self.base);
        let reply = self
            .client
            .get(&url)
            .await
            .map_err(|e| format!("{} simulator: {e}", self.name))?;
        if reply.status != 200 {
            return Err(format!(
                "{} simulator: GET {path} answered {}",
                self.name, reply.status
            ));
        }
        serde_json::from_slice(&reply.body)
            .map_err(|e| format!("{} simulator: GET {path}: {e}", self.name))
    }
}

// === impl Trace ===

impl Trace {
    /// Sends a request, records it and the answer (or the error), and
    /// returns the answer.
    pub async fn send(
        &mut self,
        what: &str,
        client: &Client,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Option<Reply> {
        let body = body.into();
        let result = client
            .request(method.clone(), url, headers, body.clone())
            .await;
        self.exchange(what, method.as_str(), url, headers, &body, result.as_ref());
        result.ok()
    }

    /// `GET url`.
    pub async fn get(&mut self, what: &str, client: &Client, url: &str) -> Option<Reply> {
        self.send(what, client, Method::GET, url, &[], Bytes::new())
            .await
    }

    /// `POST url` with a body of `content_type`.
    pub async fn post(
        &mut self,
        what: &str,
        client: &Client,
        url: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Option<Reply> {
        self.send(
            what,
            client,
            Method::POST,
            url,
            &[("content-type", content_type)],
            body,
        )
        .await
    }

    /// Records an exchange made elsewhere.
    pub fn exchange(
        &mut self,
        what: &str,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        result: Result<&Reply, &sim::Error>,
    ) {
        let mut sent = format!("{method} {url}");
        for (name, value) in headers {
            let value: String = value.chars().take(200).collect();
            sent.push_str(&format!("\n{name}: {value}"));
        }
        if !body.is_empty() {
            sent.push_str(&format!("\n\n{}", body_excerpt(body)));
        }
        let received = match result {
            Ok(reply) => describe(reply),
            Err(e) => format!("no HTTP answer: {e}"),
        };
        self.evidence.push(Evidence {
            what: what.to_owned(),
            sent: Some(sent),
            received: Some(received),
        });
    }

    /// Records a note.
    pub fn note(&mut self, what: impl Into<String>) {
        self.evidence.push(Evidence::note(what));
    }

    /// Records evidence gathered elsewhere (a fixture's).
    pub fn extend(&mut self, evidence: &[Evidence]) {
        self.evidence.extend_from_slice(evidence);
    }

    /// Passes, because `reason`.
    pub fn pass(self, reason: impl Into<String>) -> Outcome {
        self.done(Verdict::Pass, reason)
    }

    /// Fails, because `reason`.
    pub fn fail(self, reason: impl Into<String>) -> Outcome {
        self.done(Verdict::Fail, reason)
    }

    /// Skips, because `reason`.
    pub fn skip(self, reason: impl Into<String>) -> Outcome {
        self.done(Verdict::Skip, reason)
    }

    /// Passes with the reason in `Ok`, fails with the one in `Err`.
    pub fn judge(self, result: Result<String, String>) -> Outcome {
        match result {
            Ok(reason) => self.pass(reason),
            Err(reason) => self.fail(reason),
        }
    }

    fn done(self, verdict: Verdict, reason: impl Into<String>) -> Outcome {
        Outcome {
            verdict,
            reason: reason.into(),
            evidence: self.evidence,
        }
    }
}

/// An answer as evidence: status, the headers that matter, the body.
pub fn describe(reply: &Reply) -> String {
    let mut out = format!("HTTP {}", reply.status);
    for name in [
        "content-type",
        "retry-after",
        "www-authenticate",
        "location",
        "x-request-id",
    ] {
        if let Some(value) = reply.headers.get(name).and_then(|v| v.to_str().ok()) {
            out.push_str(&format!("\n{name}: {value}"));
        }
    }
    out.push_str(&format!("\n\n{}", body_excerpt(&reply.body)));
    out
}

/// The certificates of a PEM file.
fn load_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let roots = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Pem {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    if roots.is_empty() {
        return Err(Error::Pem {
            path: path.to_owned(),
            detail: "no certificate".to_owned(),
        });
    }
    Ok(roots)
}

/// A probe identity from PEM files.
pub fn identity(cert: &Path, key: &Path) -> Result<probe::Identity, Error> {
    let pem_error = |path: &Path, detail: String| Error::Pem {
        path: path.to_owned(),
        detail,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem_error(cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(cert, e.to_string()))?;
    let key_der = rustls_pki_types::PrivateKeyDer::from_pem_file(key)
        .map_err(|e| pem_error(key, e.to_string()))?;
    Ok((chain, key_der))
}

/// A file's stem, for naming a party.
fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// Starts a simulator on the address of `url` (port 0: any free port);
/// returns it and its URL with the bound port.
async fn start_sim(
    url: &str,
    start: impl FnOnce(tokio::net::TcpListener) -> Result<sim::Running, sim::Error>,
) -> Result<(sim::Running, String), Error> {
    let (host, port) = host_port(url).map_err(|d| Error::Simulators(format!("{url}: {d}")))?;
    let listener = tokio::net::TcpListener::bind((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| Error::Simulators(format!("cannot listen on {host}:{port}: {e}")))?;
    let running = start(listener).map_err(|e| Error::Simulators(e.to_string()))?;
    let url = format!("https://{host}:{}", running.addr.port());
    Ok((running, url))
}

/// Whether the simulator at `url` answers its control API.
async fn probe_sim(name: &'static str, url: &str, client: &Client) -> Result<SimEndpoint, String> {
    host_port(url)?;
    let endpoint = SimEndpoint {
        name,
        base: url.trim_end_matches('/').to_owned(),
        client: client.clone().with_timeout(Duration::from_secs(10)),
    };
    endpoint.deliveries().await.map(|_| endpoint)
}
