//! The Norwegian ingress, the DPI sender API under `/no/dpi/`: DPI
//! messages built with the DPI adapter, the official business message
//! sample re-signed and tampered with, translation into MeMo, statuses
//! and receipts.
//!
//! The official complete sample sets are signed by Digdir's test
//! certificate and encrypted to Digdir's unpublished keystore: no gateway
//! can decrypt them, and none should trust the signer. So the positive
//! cases send DPI the adapter builds (signed by the Norwegian sender,
//! encrypted to the target's DPI certificate), and the sample's business
//! message JSON is the base of the tampering cases — re-addressed, signed
//! by the sender, and then broken in exactly one way.

use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use borderpost_core::{Adapter, DecodeContext, Receipt, ReceiptKind, Wire};
use borderpost_no::{DpiConfig, DpiReceipts, transport};
use http::Method;
use time::OffsetDateTime;

use super::super::checks::{self, short};
use super::super::compare::Comparison;
use super::super::ctx::{Ctx, Trace};
use super::super::messages::{self, DK_RECIPIENT, TOKEN};
use super::super::party::Party;
use super::super::report::Outcome;
use super::super::samples::{DPI_DIGITAL_CMS, DPI_DIGITAL_JSON, DPI_DIGITAL_JWT};
use super::{accepted_and_delivered, answered, dpi, dpi_url, provider};
use borderpost_sim::Reply;

/// Posts a DPI request as `party`.
async fn post(
    t: &mut Trace,
    party: &Party,
    what: &str,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
    bearer: bool,
) -> Option<Reply> {
    let token = format!("Bearer {TOKEN}");
    let mut headers = vec![("content-type", content_type)];
    if bearer {
        headers.push(("authorization", token.as_str()));
    }
    t.send(what, &party.client, Method::POST, url, &headers, body)
        .await
}

/// A DPI business message (JWT) and package (CMS) built from the official
/// business message sample, and its id: `signer` signs it, the package is
/// the adapter's (encrypted to the target), and the declared fingerprint
/// is the package's unless `published_fingerprint`.
fn from_sample(
    ctx: &Ctx,
    party: &Party,
    signer: &borderpost_no::CmsKey,
    published_fingerprint: bool,
) -> Result<(String, Vec<u8>, uuid::Uuid), String> {
    let sample = ctx.sample(DPI_DIGITAL_JSON)?;
    let org = party.org()?.clone();
    let own = party.signer()?;
    let id = uuid::Uuid::new_v4();
    let mut message = messages::full(
        &org,
        DK_RECIPIENT,
        &format!("Conformance sample {}", ctx.nonce),
    )?;
    message.id = id;
    // The package: the adapter's, signed (XAdES) by the sender, encrypted
    // to the target; its manifest names the same avsender as the sample.
    let request = messages::dpi(&message, &own, &ctx.dpi_cert, &provider(ctx))?;
    let fingerprint = if published_fingerprint {
        None
    } else {
        Some(borderpost_no::cms::fingerprint(&request.cms).map_err(|e| e.to_string())?)
    };
    let payload = messages::sample_business_message(
        &sample,
        &org,
        &provider(ctx),
        id,
        DK_RECIPIENT,
        fingerprint.as_deref(),
    )?;
    let jwt = borderpost_no::jwt::sign(&payload, signer).map_err(|e| e.to_string())?;
    Ok((jwt, request.cms, id))
}

/// Changes one character in the middle of a JWT's signature.
fn tamper(jwt: &str) -> String {
    let Some(dot) = jwt.rfind('.') else {
        return jwt.to_owned();
    };
    let mut bytes = jwt.as_bytes().to_vec();
    let at = dot + 1 + (bytes.len() - dot - 1) / 2;
    if let Some(b) = bytes.get_mut(at) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn expect_problem(
    ctx: &Ctx,
    what: &str,
    build: impl FnOnce(&Party) -> Result<(String, Vec<u8>), String>,
    status: u16,
    code: &str,
) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.no_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let (content_type, body) = match build(&party) {
        Ok(b) => b,
        Err(why) => return t.skip(format!("cannot build the request: {why}")),
    };
    let Some(reply) = post(
        &mut t,
        &party,
        what,
        &dpi_url(ctx),
        &content_type,
        body,
        true,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, status, Some(code)).map(|doc| {
        format!(
            "{status} {code}: {}",
            short(doc["detail"].as_str().unwrap_or(""))
        )
    });
    t.judge(result)
}

/// NO-001.
pub(crate) async fn valid_message(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match dpi(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    t.extend(&sent.evidence);
    if sent.first.status == 201 {
        t.pass("201 Created")
    } else {
        t.fail(format!(
            "expected 201, got {}: {}",
            sent.first.status,
            short(&sent.first.text())
        ))
    }
}

/// NO-002.
pub(crate) async fn no_token(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.no_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let Some(reply) = post(
        &mut t,
        &party,
        "POST /messages/out without Authorization",
        &dpi_url(ctx),
        "multipart/form-data; boundary=x",
        b"--x--\r\n".to_vec(),
        false,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 401, None).map(|_| "401 problem".to_owned());
    t.judge(result)
}

/// NO-003.
pub(crate) async fn tampered_signature(ctx: &Ctx) -> Outcome {
    expect_problem(
        ctx,
        "the sample business message, signed, one signature character changed",
        |party| {
            let signer = party.signer()?;
            let (jwt, cms, id) = from_sample(ctx, party, &signer, false)?;
            messages::dpi_body(tamper(&jwt).as_bytes(), &cms, id)
        },
        400,
        "signature-invalid",
    )
    .await
}

/// NO-004.
pub(crate) async fn wrong_fingerprint(ctx: &Ctx) -> Outcome {
    expect_problem(
        ctx,
        "the sample business message with its published fingerprint, another package",
        |party| {
            let signer = party.signer()?;
            let (jwt, cms, id) = from_sample(ctx, party, &signer, true)?;
            messages::dpi_body(jwt.as_bytes(), &cms, id)
        },
        400,
        "fingerprint-mismatch",
    )
    .await
}

/// NO-005.
pub(crate) async fn published_sample(ctx: &Ctx) -> Outcome {
    expect_problem(
        ctx,
        "the complete sample as published (digital-forretningsmelding.jwt + digital-dokumentpakke.cms)",
        |_| {
            let jwt = ctx.sample(DPI_DIGITAL_JWT)?;
            let cms = ctx.sample(DPI_DIGITAL_CMS)?;
            let jwt = String::from_utf8_lossy(&jwt).trim().to_owned();
            messages::dpi_body(jwt.as_bytes(), &cms, uuid::Uuid::new_v4())
        },
        400,
        "signature-invalid",
    )
    .await
}

/// NO-006.
pub(crate) async fn signer_mismatch(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    // Another Norwegian organisation, under the same trust as the sender:
    // only the signer's identity is wrong.
    let other = match ctx.pki_party("postbox-no") {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let signer = match other.signer() {
        Ok(s) => s,
        Err(why) => return t.skip(why),
    };
    t.note(format!(
        "signed by {} ({}), while the SBDH sender is the Norwegian sender",
        other.name,
        other
            .org
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    ));
    let mut outcome = expect_problem(
        ctx,
        "the sample business message signed by another organisation",
        |party| {
            let (jwt, cms, id) = from_sample(ctx, party, &signer, false)?;
            messages::dpi_body(jwt.as_bytes(), &cms, id)
        },
        403,
        "signer-mismatch",
    )
    .await;
    let mut evidence = t.evidence;
    evidence.append(&mut outcome.evidence);
    outcome.evidence = evidence;
    outcome
}

/// The sample business message, signed by the sender, declaring the
/// fingerprint of `cms` — a package built (or broken) by the case.
fn with_package(ctx: &Ctx, party: &Party, cms: &[u8]) -> Result<(String, Vec<u8>), String> {
    let sample = ctx.sample(DPI_DIGITAL_JSON)?;
    let org = party.org()?.clone();
    let signer = party.signer()?;
    let id = uuid::Uuid::new_v4();
    let fingerprint = borderpost_no::cms::fingerprint(cms).map_err(|e| e.to_string())?;
    let payload = messages::sample_business_message(
        &sample,
        &org,
        &provider(ctx),
        id,
        DK_RECIPIENT,
        Some(&fingerprint),
    )?;
    let jwt = borderpost_no::jwt::sign(&payload, &signer).map_err(|e| e.to_string())?;
    messages::dpi_body(jwt.as_bytes(), cms, id)
}

/// NO-012: every way a package can fail to open after its fingerprint
/// matched gets one answer — else a sender holding someone else's
/// captured package could decrypt it through the answers (a padding
/// oracle).
pub(crate) async fn one_answer_for_sealed_content(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.no_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let packages = (|| -> Result<Vec<(&'static str, Vec<u8>)>, String> {
        let org = party.org()?.clone();
        let own = party.signer()?;
        let message = messages::full(
            &org,
            DK_RECIPIENT,
            &format!("Conformance NO-012 {}", ctx.nonce),
        )?;
        let good = messages::dpi(&message, &own, &ctx.dpi_cert, &provider(ctx))?.cms;
        // The ciphertext ends the CMS: a flipped byte in its next-to-last
        // block garbles the last block's padding.
        let mut padding = good.clone();
        let at = padding
            .len()
            .checked_sub(17)
            .ok_or("the package is too short")?;
        padding[at] ^= 0x01;
        let not_zip =
            borderpost_no::cms::encrypt(&[0x5a; 4000], &ctx.dpi_cert).map_err(|e| e.to_string())?;
        let other_key =
            messages::dpi(&message, &own, &party.certificate_der()?, &provider(ctx))?.cms;
        Ok(vec![
            ("the padding of the last block broken", padding),
            ("well padded, but not a ZIP archive", not_zip),
            ("encrypted to another certificate", other_key),
        ])
    })();
    let packages = match packages {
        Ok(p) => p,
        Err(why) => return t.skip(format!("cannot build the packages: {why}")),
    };
    let mut answers = Vec::new();
    for (what, cms) in packages {
        let (content_type, body) = match with_package(ctx, &party, &cms) {
            Ok(b) => b,
            Err(why) => return t.skip(format!("cannot build the request: {why}")),
        };
        let Some(reply) = post(
            &mut t,
            &party,
            what,
            &dpi_url(ctx),
            &content_type,
            body,
            true,
        )
        .await
        else {
            return t.fail("no answer");
        };
        let doc = match checks::problem(&reply, 400, None) {
            Ok(doc) => doc,
            Err(why) => return t.fail(format!("{what}: {why}")),
        };
        answers.push((
            what,
            reply.status.as_u16(),
            checks::problem_code(&doc).unwrap_or_default(),
            doc["detail"].as_str().unwrap_or("").to_owned(),
            doc["title"].as_str().unwrap_or("").to_owned(),
        ));
    }
    let (_, status, code, detail, title) = &answers[0];
    for (what, s, c, d, ti) in &answers[1..] {
        if (s, c, d, ti) != (status, code, detail, title) {
            return t.fail(format!(
                "the answers differ: {:?} got {s} {c} {d:?}, {:?} got {status} {code} {detail:?}",
                what, answers[0].0
            ));
        }
    }
    t.pass(format!(
        "{} failures, one answer: {status} {code}: {}",
        answers.len(),
        short(detail)
    ))
}

/// NO-007.
pub(crate) async fn wrong_recipient_key(ctx: &Ctx) -> Outcome {
    expect_problem(
        ctx,
        "a DPI message whose package is encrypted to the sender's own certificate",
        |party| {
            let org = party.org()?.clone();
            let own = party.signer()?;
            let message = messages::full(
                &org,
                DK_RECIPIENT,
                &format!("Conformance NO-007 {}", ctx.nonce),
            )?;
            let request = messages::dpi(&message, &own, &party.certificate_der()?, &provider(ctx))?;
            Ok((request.content_type, request.body))
        },
        400,
        "content-invalid",
    )
    .await
}

/// NO-008.
pub(crate) async fn not_multipart(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.no_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let Some(reply) = post(
        &mut t,
        &party,
        "a JSON body",
        &dpi_url(ctx),
        "application/json",
        b"{}".to_vec(),
        true,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = if (400..500).contains(&reply.status.as_u16()) {
        checks::problem_document(&reply, None).map(|doc| {
            format!(
                "{} {}: {}",
                reply.status,
                checks::problem_code(&doc).unwrap_or_default(),
                short(doc["detail"].as_str().unwrap_or(""))
            )
        })
    } else {
        Err(format!("expected a 4xx problem, got {}", reply.status))
    };
    t.judge(result)
}

/// NO-009.
pub(crate) async fn bad_kanal(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.no_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let url = ctx.url("/no/dpi/messages/out?kanal=not%20a%20kanal!");
    let Some(reply) = post(
        &mut t,
        &party,
        "kanal \"not a kanal!\"",
        &url,
        "multipart/form-data; boundary=x",
        b"--x--\r\n".to_vec(),
        true,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 400, None).map(|_| "400 problem".to_owned());
    t.judge(result)
}

/// NO-010.
pub(crate) async fn wrong_identity(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let (no, dk) = match (ctx.no_sender(), ctx.dk_sender()) {
        (Ok(no), Ok(dk)) => (no, dk),
        (Err(why), _) | (_, Err(why)) => return t.skip(why),
    };
    if no.org == dk.org {
        return t.skip("the Danish and Norwegian senders are the same organisation");
    }
    let build = || -> Result<messages::DpiRequest, String> {
        let org = no.org()?.clone();
        let message = messages::full(
            &org,
            DK_RECIPIENT,
            &format!("Conformance NO-010 {}", ctx.nonce),
        )?;
        messages::dpi(&message, &no.signer()?, &ctx.dpi_cert, &provider(ctx))
    };
    let request = match build() {
        Ok(r) => r,
        Err(why) => return t.skip(why),
    };
    let Some(reply) = post(
        &mut t,
        &dk,
        &format!(
            "a DPI message signed by {}, sent with {}'s certificate",
            no.name, dk.name
        ),
        &dpi_url(ctx),
        &request.content_type,
        request.body,
        true,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 403, None)
        .map(|_| "403: the avsender is not the certificate's organisation".to_owned());
    t.judge(result)
}

/// NO-011.
pub(crate) async fn sample_resigned(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.no_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let built = party.signer().and_then(|signer| {
        let (jwt, cms, id) = from_sample(ctx, &party, &signer, false)?;
        messages::dpi_body(jwt.as_bytes(), &cms, id)
    });
    let (content_type, body) = match built {
        Ok(b) => b,
        Err(why) => return t.skip(format!("cannot build the request: {why}")),
    };
    t.note("digital-forretningsmelding.json with a fresh id and conversation, created now, sender/avsender = the certificate's organisation, postkasseadresse = dk-cpr:0707614285, the fingerprint of a package encrypted to the target; the rest (sikkerhetsnivaa 3, virkningstidspunkt, title \"Test\", the published Maskinporten token) as published");
    let Some(reply) = post(
        &mut t,
        &party,
        "the re-signed sample",
        &dpi_url(ctx),
        &content_type,
        body,
        true,
    )
    .await
    else {
        return t.fail("no answer");
    };
    if reply.status == 201 {
        t.pass("201 Created")
    } else {
        t.fail(format!(
            "expected 201, got {}: {}",
            reply.status,
            short(&reply.text())
        ))
    }
}

/// NO-101.
pub(crate) async fn to_denmark(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sim = match ctx.dk_sim() {
        Ok(s) => s.clone(),
        Err(why) => return t.skip(format!("the Danish simulator is needed: {why}")),
    };
    let sent = match dpi(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    t.extend(&sent.evidence);
    if sent.first.status != 201 {
        return t.fail(format!(
            "the DPI message was not accepted (HTTP {})",
            sent.first.status
        ));
    }
    let recorded = match ctx.find_at_sim(&mut t, &sim, &sent.marker).await {
        Ok(r) => r,
        Err(why) => return t.fail(why),
    };
    let (want, got) = (&sent.message, &recorded.message);
    let mut c = Comparison::default();
    c.sender(want, got);
    c.field("recipient", &DK_RECIPIENT.to_owned(), &recorded.recipient);
    c.field("subject", &want.subject, &got.subject);
    c.field("created", &want.created, &got.created);
    c.field("effective_at", &want.effective_at, &got.effective_at);
    c.documents(&want.documents, &got.documents, true);
    c.lost(
        "sender.name",
        "DPI carries none; the target names the sender from its configuration",
    );
    c.lost(
        "security_level, read_receipt",
        "MeMo does not carry them (adapters/dk README)",
    );
    c.lost("sender.unit, references.invoice", "no MeMo field");
    c.lost(
        "notification, legal.*, reply, references.case/sender_reference",
        "DPI does not carry them (adapters/no README)",
    );
    super::api::finish(t, c, "MeMo")
}

/// NO-201.
pub(crate) async fn statuses(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let (sent, _) = match accepted_and_delivered(ctx, &mut t, dpi(ctx).await, |s| {
        answered(s, 201, "the DPI message")
    })
    .await
    {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    let url = ctx.url(&format!("/no/dpi/messages/out/{}/statuses", sent.id));
    let Some(reply) = t.get("its statuses", &sent.party.client, &url).await else {
        return t.fail("no answer");
    };
    if reply.status != 200 {
        return t.fail(format!("expected 200, got {}", reply.status));
    }
    let listed = match transport::parse_statuses(&reply.body, &Default::default()) {
        Ok(l) => l,
        Err(e) => return t.fail(format!("not a status list: {e}")),
    };
    let kinds: Vec<transport::StatusKind> = listed.iter().map(|s| s.status).collect();
    let opprettet = kinds
        .iter()
        .position(|k| *k == transport::StatusKind::Opprettet);
    let sendt = kinds
        .iter()
        .position(|k| *k == transport::StatusKind::Sendt);
    match (opprettet, sendt) {
        (Some(a), Some(b)) if a < b => {}
        _ => return t.fail(format!("expected OPPRETTET then SENDT, got {kinds:?}")),
    }
    let other = match ctx.other_sender() {
        Ok(p) if p.org != sent.party.org => p,
        _ => match ctx.dk_sender() {
            Ok(p) if p.org != sent.party.org => p,
            _ => return t.skip("OPPRETTET then SENDT; no other sender to check 404 with"),
        },
    };
    let Some(theirs) = t
        .get(
            &format!("{} asks for them", other.name),
            &other.client,
            &url,
        )
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&theirs, 404, None)
        .map(|_| {
            format!(
                "OPPRETTET then SENDT for the sender, 404 for {}",
                other.name
            )
        })
        .map_err(|why| format!("another sender: {why}"));
    t.judge(result)
}

/// A receipt listed at `GET /messages/in`: its own id, decoded form.
struct Listed {
    id: String,
    receipt: Receipt,
}

/// Polls the run's kanal until a receipt naming `message` as delivered is
/// listed; returns every listed receipt, verified.
async fn poll_receipts(
    ctx: &Ctx,
    t: &mut Trace,
    party: &Party,
    message: uuid::Uuid,
) -> Result<Vec<Listed>, String> {
    let url = ctx.url(&format!("/no/dpi/messages/in?kanal={}", ctx.kanal));
    let anchors: Vec<Vec<u8>> = ctx.roots.iter().map(|c| c.as_ref().to_vec()).collect();
    let adapter = DpiReceipts::new(DpiConfig {
        trust_anchors: anchors,
        ..DpiConfig::default()
    });
    let deadline = Instant::now() + ctx.options.deliver_timeout;
    loop {
        let reply = party.client.get(&url).await.map_err(|e| e.to_string())?;
        if reply.status == 200 {
            t.exchange(
                "the receipts on the run's kanal",
                "GET",
                &url,
                &[],
                b"",
                Ok(&reply),
            );
            let incoming = transport::parse_incoming(&reply.body, &Default::default())
                .map_err(|e| format!("not a receipt list: {e}"))?;
            let mut listed = Vec::new();
            for item in incoming {
                let jwt = item.forretningsmelding.as_bytes();
                let ctx = DecodeContext::new(OffsetDateTime::now_utc(), uuid::Uuid::new_v4());
                let receipt = adapter
                    .decode_receipt(&Wire::single(jwt), &ctx)
                    .map_err(|e| format!("a listed receipt does not verify: {e}"))?;
                let id = instance_id(jwt).ok_or("a listed receipt has no instanceIdentifier")?;
                listed.push(Listed { id, receipt });
            }
            if listed.iter().any(|l| {
                l.receipt.message_id == message.to_string()
                    && l.receipt.kind == ReceiptKind::Delivered
            }) {
                return Ok(listed);
            }
        } else if reply.status != 204 {
            t.exchange(
                "the receipts on the run's kanal",
                "GET",
                &url,
                &[],
                b"",
                Ok(&reply),
            );
            return Err(format!("expected 200 or 204, got {}", reply.status));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no delivery receipt for {message} on kanal {} within {:?}",
                ctx.kanal, ctx.options.deliver_timeout
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The SBDH `instanceIdentifier` of a JWT (unverified: the caller has
/// verified it).
fn instance_id(jwt: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(jwt).ok()?;
    let payload = URL_SAFE_NO_PAD.decode(text.split('.').nth(1)?).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    value
        .pointer("/standardBusinessDocument/standardBusinessDocumentHeader/documentIdentification/instanceIdentifier")?
        .as_str()
        .map(str::to_owned)
}

/// NO-202.
pub(crate) async fn receipts(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match dpi(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    if sent.first.status != 201 {
        return t.fail(format!(
            "the DPI message was not accepted (HTTP {})",
            sent.first.status
        ));
    }
    match poll_receipts(ctx, &mut t, &sent.party, sent.id).await {
        Ok(listed) => {
            let kinds: Vec<String> = listed
                .iter()
                .map(|l| format!("{:?} for {}", l.receipt.kind, l.receipt.message_id))
                .collect();
            t.pass(format!(
                "{} receipt(s) verified against --ca: {}",
                listed.len(),
                kinds.join(", ")
            ))
        }
        Err(why) => t.fail(why),
    }
}

/// NO-203.
pub(crate) async fn read_removes(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match dpi(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    if sent.first.status != 201 {
        return t.fail(format!(
            "the DPI message was not accepted (HTTP {})",
            sent.first.status
        ));
    }
    let listed = match poll_receipts(ctx, &mut t, &sent.party, sent.id).await {
        Ok(l) => l,
        Err(why) => return t.fail(why),
    };
    for l in &listed {
        let url = ctx.url(&format!("/no/dpi/messages/in/{}/read", l.id));
        let Some(reply) = t
            .send(
                "mark the receipt read",
                &sent.party.client,
                Method::POST,
                &url,
                &[],
                bytes::Bytes::new(),
            )
            .await
        else {
            return t.fail("no answer");
        };
        if reply.status != 200 {
            return t.fail(format!("read answered {}, not 200", reply.status));
        }
    }
    let url = ctx.url(&format!("/no/dpi/messages/in?kanal={}", ctx.kanal));
    let Some(after) = t.get("the list again", &sent.party.client, &url).await else {
        return t.fail("no answer");
    };
    let still: Vec<String> = if after.status == 204 {
        Vec::new()
    } else {
        transport::parse_incoming(&after.body, &Default::default())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| instance_id(i.forretningsmelding.as_bytes()))
                    .filter(|id| listed.iter().any(|l| &l.id == id))
                    .collect()
            })
            .unwrap_or_default()
    };
    if still.is_empty() {
        t.pass(format!(
            "{} receipt(s) read and gone from the list",
            listed.len()
        ))
    } else {
        t.fail(format!(
            "read receipts are still listed: {}",
            still.join(", ")
        ))
    }
}
