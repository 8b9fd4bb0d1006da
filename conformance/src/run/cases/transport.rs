//! Transport security: who may complete a handshake, which TLS versions,
//! and that identity comes from the certificate only.
//!
//! A refusal "at the handshake" is observed as a request that gets no
//! HTTP answer at all: with TLS 1.3 the client's side of the handshake
//! completes before the server has checked the certificate, so the
//! server's alert arrives when the client reads — either way no request
//! is processed. An HTTP answer of any status (even 403) means the TLS
//! layer let the client in, and fails the case.

use bytes::Bytes;
use http::Method;

use super::super::checks;
use super::super::ctx::{Ctx, Trace, identity};
use super::super::messages::{DK_RECIPIENT, letter};
use super::super::probe::{self, Legacy};
use super::super::report::Outcome;

/// Whether the target accepts the example PKI's `sender-dk`: unless it
/// does, refusing the negative certificates (issued by the same CA, or
/// its look-alike) proves nothing.
async fn pki_control(ctx: &Ctx) -> Result<(), String> {
    ctx.fixtures
        .pki_control
        .get_or_init(|| async {
            let control = ctx.pki_party("sender-dk")?;
            let url = ctx.url(&format!("/v1/messages/{}", uuid::Uuid::new_v4()));
            match control.client.get(&url).await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!(
                    "the target does not accept the example PKI's sender-dk ({e}), so refusing certificates of the same CA proves nothing"
                )),
            }
        })
        .await
        .clone()
}

/// A request that must not get an HTTP answer. Made by hand over a
/// fresh connection, so the evidence shows the TLS alert itself (an HTTP
/// client library reports only that its connection closed).
async fn must_be_refused(
    mut t: Trace,
    ctx: &Ctx,
    identity: Option<probe::Identity>,
    who: &str,
) -> Outcome {
    let head = format!(
        "GET /v1/messages/{} HTTP/1.1\r\nhost: {}:{}\r\n\r\n",
        uuid::Uuid::new_v4(),
        ctx.host,
        ctx.port
    );
    let result = probe::raw_http1(
        &ctx.host,
        ctx.port,
        &ctx.roots,
        identity,
        &head,
        b"",
        ctx.options.timeout,
    )
    .await;
    t.evidence.push(super::super::report::Evidence {
        what: format!("GET with {who}"),
        sent: Some(head.trim_end().to_owned()),
        received: Some(match &result {
            Ok(raw) => format!("HTTP {}", raw.status),
            Err(e) => format!("no HTTP answer: {e}"),
        }),
    });
    match result {
        Err(e) => t.pass(format!("refused before any HTTP answer: {e}")),
        Ok(raw) => t.fail(format!(
            "the TLS layer let {who} in: the request was answered HTTP {}",
            raw.status
        )),
    }
}

async fn negative_certificate(ctx: &Ctx, name: &str) -> Outcome {
    let mut t = Trace::default();
    if let Err(why) = pki_control(ctx).await {
        return t.skip(why);
    }
    let party = match ctx.pki_party(name) {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    t.note(format!(
        "{name}: same subject as sender-dk ({}); the one defect is the one under test",
        party
            .org
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    ));
    let identity = match party.identity() {
        Ok(i) => i,
        Err(why) => return t.skip(why),
    };
    must_be_refused(t, ctx, Some(identity), name).await
}

/// TLS-001.
pub(crate) async fn no_certificate(ctx: &Ctx) -> Outcome {
    must_be_refused(Trace::default(), ctx, None, "no client certificate").await
}

/// TLS-002.
pub(crate) async fn unknown_ca(ctx: &Ctx) -> Outcome {
    negative_certificate(ctx, "sender-dk-unknown-ca").await
}

/// TLS-003.
pub(crate) async fn expired(ctx: &Ctx) -> Outcome {
    negative_certificate(ctx, "sender-dk-expired").await
}

/// TLS-004.
pub(crate) async fn not_yet_valid(ctx: &Ctx) -> Outcome {
    negative_certificate(ctx, "sender-dk-notyet").await
}

/// TLS-005.
pub(crate) async fn revoked(ctx: &Ctx) -> Outcome {
    negative_certificate(ctx, "sender-dk-revoked").await
}

/// TLS-006.
pub(crate) async fn server_only_eku(ctx: &Ctx) -> Outcome {
    negative_certificate(ctx, "sender-dk-serveronly").await
}

async fn legacy(ctx: &Ctx, version: openssl::ssl::SslVersion, name: &str) -> Outcome {
    let mut t = Trace::default();
    let (host, port) = (ctx.host.clone(), ctx.port);
    let (cert, key) = (ctx.options.cert.clone(), ctx.options.key.clone());
    let timeout = ctx.options.timeout;
    let result = tokio::task::spawn_blocking(move || {
        probe::legacy_handshake(&host, port, &cert, &key, version, timeout)
    })
    .await;
    let sent = format!(
        "OpenSSL ClientHello offering TLS 1.0 up to {name} only (cipher string DEFAULT:@SECLEVEL=0), with the sender's certificate"
    );
    let mut record = |received: String| {
        t.evidence.push(super::super::report::Evidence {
            what: format!("handshake offering at most {name}"),
            sent: Some(sent.clone()),
            received: Some(received),
        });
    };
    match result {
        Err(e) => {
            record(format!("the probe failed: {e}"));
            t.skip("the probe could not run")
        }
        Ok(Legacy::Accepted(version)) => {
            record(format!("handshake completed at {version}"));
            t.fail(format!(
                "the target completed a handshake at {version}, below TLS 1.2"
            ))
        }
        Ok(Legacy::Refused(why)) => {
            record(format!("refused: {why}"));
            t.pass(format!("refused: {why}"))
        }
        Ok(Legacy::Inconclusive(why)) => {
            record(why.clone());
            t.skip(format!(
                "inconclusive: {why} (this case proves only what the local OpenSSL can offer)"
            ))
        }
    }
}

/// TLS-007.
pub(crate) async fn tls_1_1(ctx: &Ctx) -> Outcome {
    legacy(ctx, openssl::ssl::SslVersion::TLS1_1, "TLS 1.1").await
}

/// TLS-008.
pub(crate) async fn tls_1_0(ctx: &Ctx) -> Outcome {
    legacy(ctx, openssl::ssl::SslVersion::TLS1, "TLS 1.0").await
}

/// TLS-009.
pub(crate) async fn good_certificate(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let mut accepted = Vec::new();
    for (name, versions) in [
        ("TLS 1.3", &[&rustls::version::TLS13][..]),
        ("TLS 1.2", &[&rustls::version::TLS12][..]),
    ] {
        let id = match identity(&ctx.options.cert, &ctx.options.key) {
            Ok(id) => id,
            Err(e) => return t.skip(e.to_string()),
        };
        let result = probe::handshake_with(
            &ctx.host,
            ctx.port,
            &ctx.roots,
            Some(id),
            versions,
            ctx.options.timeout,
        )
        .await;
        let received = match &result {
            Ok(h) => format!(
                "handshake completed: {}, ALPN {}, {} server certificate(s) verified against --ca",
                h.version,
                h.alpn.as_deref().unwrap_or("none"),
                h.chain.len()
            ),
            Err(e) => format!("no handshake: {e}"),
        };
        t.evidence.push(super::super::report::Evidence {
            what: format!("{name} only, with the sender's certificate"),
            sent: Some(format!("ClientHello offering {name} only")),
            received: Some(received),
        });
        if result.is_ok() {
            accepted.push(name);
        }
    }
    // The certificate must also get through to HTTP.
    let url = ctx.url(&format!("/v1/messages/{}", uuid::Uuid::new_v4()));
    let Some(reply) = t
        .get(
            "a request with the sender's certificate",
            &ctx.primary.client,
            &url,
        )
        .await
    else {
        return t.fail("the sender's certificate got no HTTP answer");
    };
    if accepted.is_empty() {
        return t.fail("neither TLS 1.3 nor TLS 1.2 completed with the sender's certificate");
    }
    t.pass(format!(
        "accepted over {} (HTTP {} to a status request)",
        accepted.join(" and "),
        reply.status
    ))
}

/// The headers a misconfigured proxy chain might trust.
fn spoof_headers(claimed: &str, cert_pem: &str) -> Vec<(String, String)> {
    let subject = format!("CN=Spoofed,organizationIdentifier=NTR-{claimed}");
    vec![
        ("x-client-cert".to_owned(), cert_pem.to_owned()),
        ("x-ssl-client-cert".to_owned(), cert_pem.to_owned()),
        (
            "x-forwarded-client-cert".to_owned(),
            format!(
                "By=spiffe://borderpost/gateway;Hash=00;Subject=\"{subject}\";URI=spiffe://{claimed}"
            ),
        ),
        ("x-ssl-client-s-dn".to_owned(), subject.clone()),
        ("x-client-dn".to_owned(), subject),
        ("x-sender".to_owned(), claimed.to_owned()),
        ("x-organisation-id".to_owned(), claimed.to_owned()),
        ("x-borderpost-sender".to_owned(), claimed.to_owned()),
        ("x-forwarded-for".to_owned(), "127.0.0.1".to_owned()),
    ]
}

/// TLS-020.
pub(crate) async fn spoofed_headers(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let other = match ctx.other_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let Some(claimed) = other.org.clone() else {
        return t.skip("the other sender's certificate names no organisation");
    };
    // URL-encoded PEM, as nginx's $ssl_client_escaped_cert writes it.
    let pem: String = String::from_utf8_lossy(&other.cert_pem)
        .replace('\n', "%0A")
        .replace(' ', "%20")
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let headers = spoof_headers(&claimed.to_string(), &pem);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain([("content-type", "application/json")])
        .collect();

    // 1. Sending as the claimed organisation.
    let value = letter(
        &claimed,
        &[DK_RECIPIENT],
        &format!("Conformance TLS-020 {}", ctx.nonce),
    );
    let body = serde_json::to_vec(&value).unwrap_or_default();
    let Some(reply) = t
        .send(
            "a message as the claimed organisation, identity headers claiming it",
            &ctx.primary.client,
            Method::POST,
            &ctx.url("/v1/messages"),
            &headers,
            body,
        )
        .await
    else {
        return t.fail("no answer");
    };
    if let Err(why) = checks::problem(&reply, 403, None) {
        return t.fail(format!(
            "sending as {claimed} with identity headers was not refused with 403: {why}"
        ));
    }

    // 2. Reading the claimed organisation's message.
    let own = letter(
        &claimed,
        &[DK_RECIPIENT],
        &format!("Conformance TLS-020b {}", ctx.nonce),
    );
    let own_id = own["id"].as_str().unwrap_or_default().to_owned();
    let Some(submitted) = t
        .post(
            "the claimed organisation sends a message of its own",
            &other.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&own).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer to the other sender's message");
    };
    if submitted.status != 202 {
        return t.skip(format!(
            "the other sender's own message was not accepted (HTTP {}), so reading it cannot be tested",
            submitted.status
        ));
    }
    let read_headers: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(n, _)| *n != "content-type")
        .copied()
        .collect();
    let Some(read) = t
        .send(
            "reading that message with identity headers claiming its sender",
            &ctx.primary.client,
            Method::GET,
            &ctx.url(&format!("/v1/messages/{own_id}")),
            &read_headers,
            Bytes::new(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    if read.status != 404 {
        return t.fail(format!(
            "reading {claimed}'s message with spoofed headers was answered {} (must be 404 as for anyone else)",
            read.status
        ));
    }
    t.pass(format!(
        "identity headers claiming {claimed} changed nothing: sending as it 403, reading its message 404"
    ))
}

/// TLS-021.
pub(crate) async fn sender_mismatch(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let claimed = match ctx.other_sender() {
        Ok(p) => p.org.clone(),
        Err(_) => None,
    };
    // Without another certificate, any other valid organisation will do.
    let claimed = claimed.or_else(|| {
        ["no-orgnr:991825827", "dk-cvr:34485771"]
            .into_iter()
            .filter_map(|s| s.parse().ok())
            .find(|o: &borderpost_core::PartyId| !o.same_party(ctx.org()))
    });
    let Some(claimed) = claimed else {
        return t.skip("no other organisation to claim");
    };
    let value = letter(
        &claimed,
        &[DK_RECIPIENT],
        &format!("Conformance TLS-021 {}", ctx.nonce),
    );
    let Some(reply) = t
        .post(
            &format!(
                "a message naming {claimed} as sender, with {}'s certificate",
                ctx.org()
            ),
            &ctx.primary.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&value).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 403, None)
        .map(|_| format!("refused with 403: the certificate names {}", ctx.org()));
    t.judge(result)
}

/// TLS-023.
pub(crate) async fn appended_certificates(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.primary_with_extra("peer-gateway.crt") {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    t.note(format!(
        "{}'s chain with peer-gateway.crt (issued by the federation CA) appended, same key",
        ctx.primary.name
    ));
    let value = letter(
        ctx.org(),
        &[DK_RECIPIENT],
        &format!("Conformance TLS-023 {}", ctx.nonce),
    );
    let Some(reply) = t
        .post(
            "a valid message from the sender, over a connection presenting the longer chain",
            &party.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&value).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer: the longer chain was refused, or the connection failed");
    };
    if reply.status == 202 {
        t.pass("accepted as the sender's own message")
    } else {
        t.fail(format!(
            "HTTP {} instead of 202: the appended certificate changed how the client was identified",
            reply.status
        ))
    }
}

/// TLS-022.
pub(crate) async fn unconfigured_sender(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.pki_party("sender-dk-other") {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let Some(org) = party.org.clone() else {
        return t.skip("sender-dk-other names no organisation");
    };
    t.note(format!(
        "sender-dk-other names {org}; the example configuration does not configure it as a sender"
    ));
    let value = letter(
        &org,
        &[DK_RECIPIENT],
        &format!("Conformance TLS-022 {}", ctx.nonce),
    );
    let Some(reply) = t
        .post(
            "a message from an organisation that is not configured",
            &party.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&value).unwrap_or_default(),
        )
        .await
    else {
        return t.pass(
            "refused before any HTTP answer (the TLS layer already refuses unconfigured organisations)",
        );
    };
    let result = checks::problem(&reply, 403, None).map(|_| "refused with 403".to_owned());
    t.judge(result)
}
