//! The canonical API (`/v1/messages`): its answers, its problem
//! documents, status, and translation into each national protocol.

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use super::super::checks::{self, essence, short};
use super::super::compare::Comparison;
use super::super::ctx::{Ctx, SimEndpoint, Trace};
use super::super::messages::{self, DK_RECIPIENT, NO_RECIPIENT};
use super::super::report::Outcome;
use super::{accepted_and_delivered, answered, canonical, delivered};
use borderpost_core::Message;

/// API-001.
pub(crate) async fn accepted_shape(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match canonical(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    t.extend(&sent.evidence);
    let reply = &sent.first;
    let check = || -> Result<String, String> {
        if reply.status != 202 {
            return Err(format!("expected 202, got {}", reply.status));
        }
        if essence(reply) != "application/json" {
            return Err(format!(
                "the answer is {:?}, not application/json",
                reply.content_type().unwrap_or("untyped")
            ));
        }
        let doc: Value = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("the answer is not JSON: {e}"))?;
        if doc["id"].as_str() != Some(sent.id.to_string().as_str()) {
            return Err(format!(
                "id {:?} is not the message's {}",
                doc["id"], sent.id
            ));
        }
        let recipients = doc["recipients"]
            .as_array()
            .ok_or("the answer has no recipients array")?;
        let wanted: Vec<String> = sent
            .message
            .recipients
            .iter()
            .filter_map(|r| r.id.as_ref().map(ToString::to_string))
            .collect();
        let listed: Vec<&str> = recipients
            .iter()
            .map(|r| r["recipient"].as_str().unwrap_or(""))
            .collect();
        if listed != wanted {
            return Err(format!(
                "recipients {listed:?}, expected {wanted:?} in the message's order"
            ));
        }
        for r in recipients {
            if r["route"].as_str().is_none_or(str::is_empty) {
                return Err(format!("{} has no route", r["recipient"]));
            }
            if r["status"] != "accepted" {
                return Err(format!(
                    "{} has status {}, not accepted",
                    r["recipient"], r["status"]
                ));
            }
        }
        Ok(format!(
            "202 with the id and {} recipient(s), each with a route and status accepted",
            recipients.len()
        ))
    };
    t.judge(check())
}

async fn post_raw(
    ctx: &Ctx,
    t: &mut Trace,
    what: &str,
    body: impl Into<Bytes>,
) -> Option<borderpost_sim::Reply> {
    t.post(
        what,
        &ctx.primary.client,
        &ctx.url("/v1/messages"),
        "application/json",
        body,
    )
    .await
}

/// API-002.
pub(crate) async fn malformed_problem(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let Some(reply) = post_raw(ctx, &mut t, "truncated JSON", "{\"subject\": ").await else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 400, Some("malformed"))
        .map(|_| "400 problem+json with every RFC 9457 member and code malformed".to_owned());
    t.judge(result)
}

/// API-003.
pub(crate) async fn unknown_field(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let mut value = messages::letter(
        ctx.org(),
        &[DK_RECIPIENT],
        &format!("Conformance API-003 {}", ctx.nonce),
    );
    value["subjekt"] = "a misspelt field".into();
    let Some(reply) = post_raw(
        ctx,
        &mut t,
        "a message with the unknown field \"subjekt\"",
        serde_json::to_vec(&value).unwrap_or_default(),
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 422, Some("schema")).map(|doc| {
        format!(
            "422 schema: {}",
            short(doc["detail"].as_str().unwrap_or(""))
        )
    });
    t.judge(result)
}

/// API-008.
pub(crate) async fn unverified_representative(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let mut value = messages::letter(
        ctx.org(),
        &[DK_RECIPIENT],
        &format!("Conformance API-008 {}", ctx.nonce),
    );
    // A representative the sender's certificate does not prove: a CVR
    // that is not the sender's own.
    let claimed = if ctx.org().to_string() == "dk-cvr:34485771" {
        "dk-cvr:13748136"
    } else {
        "dk-cvr:34485771"
    };
    value["sender"]["representative"] = serde_json::json!({ "id": claimed, "name": "Not us" });
    let Some(reply) = post_raw(
        ctx,
        &mut t,
        &format!("a message naming {claimed} as the sender's representative"),
        serde_json::to_vec(&value).unwrap_or_default(),
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 403, Some("forbidden")).map(|doc| {
        format!(
            "403 forbidden: {}",
            short(doc["detail"].as_str().unwrap_or(""))
        )
    });
    t.judge(result)
}

/// API-004.
pub(crate) async fn missing_subject(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let mut value = messages::letter(ctx.org(), &[DK_RECIPIENT], "x");
    if let Some(object) = value.as_object_mut() {
        object.remove("subject");
    }
    let Some(reply) = post_raw(
        ctx,
        &mut t,
        "a message without subject",
        serde_json::to_vec(&value).unwrap_or_default(),
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 422, Some("schema")).map(|doc| {
        format!(
            "422 schema: {}",
            short(doc["detail"].as_str().unwrap_or(""))
        )
    });
    t.judge(result)
}

/// API-005.
pub(crate) async fn not_utf8(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let value = messages::letter(ctx.org(), &[DK_RECIPIENT], "Conformance API-005 ZZZ");
    let mut body = serde_json::to_vec(&value).unwrap_or_default();
    // The subject's "ZZZ" becomes Latin-1 "æøå": not UTF-8.
    if let Some(at) = body.windows(3).position(|w| w == b"ZZZ") {
        body[at..at + 3].copy_from_slice(&[0xE6, 0xF8, 0xE5]);
    }
    let Some(reply) = post_raw(ctx, &mut t, "a message whose subject is Latin-1", body).await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 400, Some("encoding")).map(|doc| {
        format!(
            "400 encoding: {}",
            short(doc["detail"].as_str().unwrap_or(""))
        )
    });
    t.judge(result)
}

/// API-006.
pub(crate) async fn wrong_method(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let Some(reply) = t
        .send(
            "DELETE /v1/messages",
            &ctx.primary.client,
            Method::DELETE,
            &ctx.url("/v1/messages"),
            &[],
            Bytes::new(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 405, None).map(|_| "405 problem".to_owned());
    t.judge(result)
}

/// API-007.
pub(crate) async fn unknown_route(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let Some(reply) = t
        .get(
            "an unknown route",
            &ctx.primary.client,
            &ctx.url("/v1/no-such-route"),
        )
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 404, None).map(|_| "404 problem".to_owned());
    t.judge(result)
}

/// Sends `message` through the canonical API and finds it at `sim`.
async fn through(
    ctx: &Ctx,
    t: &mut Trace,
    message: &Message,
    sim: &SimEndpoint,
) -> Result<borderpost_sim::Recorded, String> {
    let body = messages::to_json(message)?;
    let reply = t
        .post(
            "the message",
            &ctx.primary.client,
            &ctx.url("/v1/messages"),
            "application/json",
            body,
        )
        .await
        .ok_or("no answer")?;
    if reply.status != 202 {
        return Err(format!(
            "the message was not accepted: HTTP {}",
            reply.status
        ));
    }
    let recorded = ctx.find_at_sim(t, sim, &message.subject).await?;
    // What the gateway says it lost, for the reader.
    if let Ok(doc) = ctx
        .wait_status(t, &ctx.primary, &message.id.to_string(), delivered)
        .await
    {
        let notes: Vec<String> = doc["recipients"][0]["history"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["note"].as_str().map(str::to_owned))
            .collect();
        if !notes.is_empty() {
            t.note(format!(
                "the target's notes on the copy: {}",
                notes.join(" | ")
            ));
        }
    }
    Ok(recorded)
}

/// API-101.
pub(crate) async fn to_denmark(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sim = match ctx.dk_sim() {
        Ok(s) => s.clone(),
        Err(why) => return t.skip(format!("the Danish simulator is needed: {why}")),
    };
    let sent = match messages::full(
        ctx.org(),
        DK_RECIPIENT,
        &format!("Conformance API-101 {}", ctx.nonce),
    ) {
        Ok(m) => m,
        Err(why) => return t.skip(why),
    };
    let got = match through(ctx, &mut t, &sent, &sim).await {
        Ok(r) => r.message,
        Err(why) => return t.fail(why),
    };
    let mut c = Comparison::default();
    memo_fields(&mut c, &sent, &got);
    c.lost("id", "may differ: a gateway fixes one id per copy so retries carry it (Borderpost keeps the message's own when it has one recipient and MeMo takes it: adapters/core README, Copy ids)");
    finish(t, c, "MeMo")
}

/// The fields MeMo carries (adapters/dk README, translation table).
pub(crate) fn memo_fields(c: &mut Comparison, sent: &Message, got: &Message) {
    c.field("kind", &sent.kind, &got.kind);
    c.sender(sent, got);
    c.field("sender.name", &sent.sender.name, &got.sender.name);
    let recipient = |m: &Message| {
        m.recipients.first().map(|r| {
            (
                r.id.as_ref().map(|i| i.national().to_string()),
                r.name.clone(),
            )
        })
    };
    c.field(
        "recipients[0] (id, name)",
        &recipient(sent),
        &recipient(got),
    );
    c.field("subject", &sent.subject, &got.subject);
    c.field("notification", &sent.notification, &got.notification);
    c.field("created", &sent.created, &got.created);
    c.field("legal", &sent.legal, &got.legal);
    c.field("reply", &sent.reply, &got.reply);
    c.field("effective_at", &sent.effective_at, &got.effective_at);
    c.field(
        "references.case",
        &sent.references.case,
        &got.references.case,
    );
    c.field(
        "references.sender_reference",
        &sent.references.sender_reference,
        &got.references.sender_reference,
    );
    c.documents(&sent.documents, &got.documents, true);
    c.lost("security_level", "Digital Post decides the login level");
    c.lost("read_receipt", "Digital Post sends no read receipts");
    c.lost(
        "references.conversation, .invoice, .in_reply_to",
        "no MeMo field",
    );
    c.lost("sender.unit", "no MeMo field");
}

/// API-102.
pub(crate) async fn to_norway(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sim = match ctx.no_sim() {
        Ok(s) => s.clone(),
        Err(why) => return t.skip(format!("the Norwegian simulator is needed: {why}")),
    };
    let mut sent = match messages::full(
        ctx.org(),
        NO_RECIPIENT,
        &format!("Conformance API-102 {}", ctx.nonce),
    ) {
        Ok(m) => m,
        Err(why) => return t.skip(why),
    };
    sent.read_receipt = true;
    let recorded = match through(ctx, &mut t, &sent, &sim).await {
        Ok(r) => r,
        Err(why) => return t.fail(why),
    };
    let mut c = Comparison::default();
    dpi_fields(&mut c, &sent, &recorded.message);
    // The postbox is the one KRR gave the recipient: the simulator names
    // the person whose postbox it is.
    c.field(
        "recipient (the person whose KRR postbox it reached)",
        &NO_RECIPIENT.to_owned(),
        &recorded.recipient,
    );
    c.lost("id", "may differ: the copy's id, fixed per copy for retries (Borderpost keeps the message's own for one recipient)");
    finish(t, c, "DPI")
}

/// The fields DPI carries (adapters/no README, mapping table).
pub(crate) fn dpi_fields(c: &mut Comparison, sent: &Message, got: &Message) {
    c.sender(sent, got);
    c.field(
        "sender.unit (avsenderidentifikator)",
        &sent.sender.unit,
        &got.sender.unit,
    );
    c.field("subject (ikkesensitivtittel)", &sent.subject, &got.subject);
    c.field("created", &sent.created, &got.created);
    c.field(
        "effective_at (virkningsdato)",
        &sent.effective_at,
        &got.effective_at,
    );
    c.field(
        "security_level (sikkerhetsnivaa)",
        &sent.security_level,
        &got.security_level,
    );
    c.field(
        "read_receipt (aapningskvittering)",
        &sent.read_receipt,
        &got.read_receipt,
    );
    c.field(
        "references.invoice (fakturaReferanse)",
        &sent.references.invoice,
        &got.references.invoice,
    );
    c.documents(&sent.documents, &got.documents, true);
    c.lost("legal.*, reply", "no DPI field");
    c.lost(
        "references.case, .sender_reference, .in_reply_to, .conversation",
        "no DPI field (ConversationId carries the copy id)",
    );
    c.lost("sender.name", "DPI shows the registered name");
    c.lost(
        "notification",
        "DPI needs the notification addresses (extensions.no-dpi.varsler)",
    );
    c.lost("recipients[].id", "DPI addresses the postbox");
}

/// The outcome of a comparison.
pub(crate) fn finish(mut t: Trace, c: Comparison, protocol: &str) -> Outcome {
    t.note(format!(
        "field by field (= same, ≠ differs, ~ documented loss):\n{}",
        c.table()
    ));
    if c.ok() {
        t.pass(format!(
            "every mapped field arrived intact in the {protocol}"
        ))
    } else {
        t.fail(format!("fields differ: {}", c.mismatches().join("; ")))
    }
}

/// API-201.
pub(crate) async fn delivered_with_receipt(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let (_, doc) = match accepted_and_delivered(ctx, &mut t, canonical(ctx).await, |s| {
        answered(s, 202, "the message")
    })
    .await
    {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    let mut lines = Vec::new();
    for copy in doc["recipients"].as_array().into_iter().flatten() {
        let history = copy["history"].as_array().cloned().unwrap_or_default();
        let Some(event) = history
            .iter()
            .find(|e| delivered(e["status"].as_str().unwrap_or("")))
        else {
            return t.fail(format!(
                "{} has no delivered event in its history",
                copy["recipient"]
            ));
        };
        let receipt = &event["receipt"];
        let body = receipt["body"].as_str().unwrap_or("");
        if receipt["protocol"].as_str().is_none_or(str::is_empty)
            || receipt["media_type"].as_str().is_none_or(str::is_empty)
            || body.is_empty()
        {
            return t.fail(format!(
                "{}'s delivered event carries no native receipt (protocol, media type, body): {receipt}",
                copy["recipient"]
            ));
        }
        lines.push(format!(
            "{} delivered with a {} receipt ({}, {} bytes)",
            copy["recipient"].as_str().unwrap_or("?"),
            receipt["protocol"].as_str().unwrap_or("?"),
            receipt["media_type"].as_str().unwrap_or("?"),
            body.len()
        ));
    }
    t.pass(lines.join("; "))
}

/// API-202.
pub(crate) async fn status_only_for_sender(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match canonical(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    let url = ctx.url(&format!("/v1/messages/{}", sent.id));
    let Some(own) = t
        .get("the sender reads its status", &sent.party.client, &url)
        .await
    else {
        return t.fail("no answer");
    };
    if own.status != 200 {
        return t.fail(format!("the sender itself got HTTP {}", own.status));
    }
    let Some(unknown) = t
        .get(
            "an unknown id",
            &sent.party.client,
            &ctx.url(&format!("/v1/messages/{}", uuid::Uuid::new_v4())),
        )
        .await
    else {
        return t.fail("no answer");
    };
    if let Err(why) = checks::problem(&unknown, 404, None) {
        return t.fail(format!("an unknown id: {why}"));
    }
    let other =
        match ctx.other_sender() {
            Ok(p) => p,
            Err(why) => return t.skip(format!(
                "the sender sees its own status and unknown ids are 404; another sender is {why}"
            )),
        };
    let Some(theirs) = t
        .get(&format!("{} reads it", other.name), &other.client, &url)
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&theirs, 404, None)
        .map(|_| {
            format!(
                "200 for the sender, 404 for {} and for an unknown id",
                other.name
            )
        })
        .map_err(|why| format!("another sender ({}): {why}", other.name));
    t.judge(result)
}

/// Whether the DER certificate chains to one of `roots` (now).
fn chains_to(
    der: &[u8],
    roots: &[rustls_pki_types::CertificateDer<'static>],
) -> Result<(), String> {
    use openssl::stack::Stack;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::{X509, X509StoreContext};

    let e = |e: openssl::error::ErrorStack| e.to_string();
    let cert = X509::from_der(der).map_err(e)?;
    let mut store = X509StoreBuilder::new().map_err(e)?;
    for root in roots {
        store
            .add_cert(X509::from_der(root).map_err(e)?)
            .map_err(e)?;
    }
    let store = store.build();
    let chain = Stack::new().map_err(e)?;
    let mut context = X509StoreContext::new().map_err(e)?;
    let (ok, why) = context
        .init(&store, &cert, &chain, |c| {
            let ok = c.verify_cert()?;
            Ok((ok, c.error().error_string().to_owned()))
        })
        .map_err(e)?;
    if ok { Ok(()) } else { Err(why) }
}

/// API-203.
pub(crate) async fn evidence_pack(ctx: &Ctx) -> Outcome {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let mut t = Trace::default();
    let (sent, status) = match accepted_and_delivered(ctx, &mut t, canonical(ctx).await, |s| {
        answered(s, 202, "the message")
    })
    .await
    {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    let url = ctx.url(&format!("/v1/messages/{}/evidence", sent.id));
    let Some(reply) = t.get("the evidence pack", &sent.party.client, &url).await else {
        return t.fail("no answer");
    };
    if reply.status != 200 {
        return t.fail(format!("expected 200, got {}", reply.status));
    }
    let doc: Value = match serde_json::from_slice(&reply.body) {
        Ok(d) => d,
        Err(e) => return t.fail(format!("the evidence pack is not JSON: {e}")),
    };
    let records: Vec<&str> = doc["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if records.is_empty() {
        return t.fail("the evidence pack has no records");
    }
    // Every native receipt the status shows, by its SHA-256 (base64url).
    let receipts: Vec<String> = status["recipients"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["history"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| {
            e["receipt"]["body"]
                .as_str()
                .map(|b| URL_SAFE_NO_PAD.encode(openssl::sha::sha256(b.as_bytes())))
        })
        .collect();
    let mut previous: std::collections::HashMap<String, String> = Default::default();
    let mut events = Vec::new();
    for (i, jws) in records.iter().enumerate() {
        let verified = match borderpost_no::jwt::verify(jws.as_bytes()) {
            Ok(v) => v,
            Err(e) => {
                return t.fail(format!(
                    "record {i} does not verify as RS256 JWS with its x5c: {e}"
                ));
            }
        };
        if let Err(why) = chains_to(&verified.certificate, &ctx.roots) {
            return t.fail(format!("record {i}'s signer does not chain to --ca: {why}"));
        }
        let record: Value = match serde_json::from_slice(&verified.payload) {
            Ok(r) => r,
            Err(e) => return t.fail(format!("record {i}'s payload is not JSON: {e}")),
        };
        if record["message_id"].as_str() != Some(sent.id.to_string().as_str()) {
            return t.fail(format!(
                "record {i} names message {}, not {}",
                record["message_id"], sent.id
            ));
        }
        let recipient = record["recipient"].as_str().unwrap_or_default().to_owned();
        let prev = record["prev"].as_str().map(str::to_owned);
        if prev != previous.get(&recipient).cloned() {
            return t.fail(format!(
                "record {i} ({recipient}) is not chained to the copy's previous record: prev {prev:?}"
            ));
        }
        if let Some(digest) = record["receipt_sha256"].as_str()
            && !receipts.iter().any(|r| r == digest)
        {
            return t.fail(format!(
                "record {i}'s receipt_sha256 matches no native receipt in the status"
            ));
        }
        previous.insert(
            recipient.clone(),
            URL_SAFE_NO_PAD.encode(openssl::sha::sha256(jws.as_bytes())),
        );
        events.push(format!(
            "{recipient}: {}",
            record["event"].as_str().unwrap_or("?")
        ));
    }
    if !events.iter().any(|e| e.ends_with("ContentConsignment")) {
        return t.fail(format!(
            "no ContentConsignment (delivery) evidence: {events:?}"
        ));
    }
    t.note(format!("records: {}", events.join(", ")));
    let other = match ctx.other_sender() {
        Ok(p) => p,
        Err(why) => {
            return t.skip(format!(
                "{} records verify and chain; another sender is {why}",
                records.len()
            ));
        }
    };
    let Some(theirs) = t
        .get(&format!("{} asks for it", other.name), &other.client, &url)
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&theirs, 404, None)
        .map(|_| format!("{} records, each an RS256 JWS by a certificate under --ca, chained per copy, receipts matching; 404 for {}", records.len(), other.name))
        .map_err(|why| format!("another sender: {why}"));
    t.judge(result)
}
