//! Journal semantics seen from outside: a repeat gets the first answer
//! and is delivered once, a changed repeat is a conflict, and the key of
//! a message is its sender plus its id (DESIGN §8).
//!
//! "Delivered once" is counted at the simulators: every arrival of a copy
//! is counted there (`/sim/deliveries` `count`), and the run finds its
//! copies by the marker in their subject (`/sim/messages`).

use std::time::Duration;

use http::Method;
use serde_json::Value;

use super::super::checks::{self, short};
use super::super::ctx::{Ctx, Sent, SimEndpoint, Trace};
use super::super::messages::{DK_RECIPIENT, letter};
use super::super::report::Outcome;
use super::{accepted_and_delivered, answered, arrivals, canonical, delivered, dpi, memo};

/// How long a repeat is given to (wrongly) cause a second delivery.
const GRACE: Duration = Duration::from_secs(1);

/// Sends `sent` again, exactly.
async fn repeat(t: &mut Trace, sent: &Sent, url: &str) -> Option<borderpost_sim::Reply> {
    let mut headers = vec![("content-type", sent.content_type.as_str())];
    let bearer = format!("Bearer {}", super::super::messages::TOKEN);
    if url.contains("/no/dpi/") {
        headers.push(("authorization", bearer.as_str()));
    }
    t.send(
        "the same request again",
        &sent.party.client,
        Method::POST,
        url,
        &headers,
        sent.body.clone(),
    )
    .await
}

/// Checks that the copies with `marker` arrived once at each simulator in
/// `sims` (skipping unavailable ones); `Ok` names what was checked.
async fn once_at(
    t: &mut Trace,
    sims: &[Result<&SimEndpoint, String>],
    marker: &str,
) -> Result<Option<String>, String> {
    tokio::time::sleep(GRACE).await;
    let mut checked = Vec::new();
    for sim in sims.iter().filter_map(|s| s.as_ref().ok()) {
        let (ids, count) = arrivals(t, sim, marker).await?;
        if (ids, count) != (1, 1) {
            return Err(format!(
                "the {} simulator got {ids} message(s) arriving {count} time(s) in all; expected one message arriving once",
                sim.name
            ));
        }
        checked.push(sim.name);
    }
    Ok((!checked.is_empty())
        .then(|| format!("one arrival at the {} simulator(s)", checked.join(" and "))))
}

/// JRN-001.
pub(crate) async fn repeat_same_answer(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match canonical(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    t.extend(&sent.evidence);
    if sent.first.status != 202 {
        return t.fail(format!(
            "the first submission was not accepted (HTTP {})",
            sent.first.status
        ));
    }
    let Some(again) = repeat(&mut t, sent, &ctx.url("/v1/messages")).await else {
        return t.fail("no answer to the repeat");
    };
    if again.status != 202 {
        return t.fail(format!("the repeat was answered {}, not 202", again.status));
    }
    if again.body != sent.first.body {
        return t.fail("the repeat's answer differs from the first answer");
    }
    t.pass("202 again, byte for byte the first answer")
}

/// JRN-002.
pub(crate) async fn repeat_one_delivery(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match canonical(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    let sims = [ctx.dk_sim(), ctx.no_sim()];
    if sims.iter().all(Result::is_err) {
        return t.skip("the simulators are needed to count arrivals");
    }
    let (sent, _) = match accepted_and_delivered(ctx, &mut t, Ok(sent), |s| {
        answered(s, 202, "the first submission")
    })
    .await
    {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    let Some(again) = repeat(&mut t, sent, &ctx.url("/v1/messages")).await else {
        return t.fail("no answer to the repeat");
    };
    if again.status != 202 {
        return t.fail(format!("the repeat was answered {}", again.status));
    }
    match once_at(&mut t, &sims, &sent.marker).await {
        Ok(Some(what)) => t.pass(format!("submitted twice, delivered: {what}")),
        Ok(None) => t.skip("no simulator to count at"),
        Err(why) => t.fail(why),
    }
}

/// JRN-003.
pub(crate) async fn conflict(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sent = match canonical(ctx).await {
        Ok(s) => s,
        Err(f) => return f.outcome(t),
    };
    if sent.first.status != 202 {
        return t.fail(format!(
            "the first submission was not accepted (HTTP {})",
            sent.first.status
        ));
    }
    let mut changed: Value = match serde_json::from_slice(&sent.body) {
        Ok(v) => v,
        Err(e) => return t.skip(e.to_string()),
    };
    changed["subject"] = format!("{} (changed)", sent.message.subject).into();
    let Some(reply) = t
        .post(
            "the same id with another subject",
            &sent.party.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&changed).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 409, None)
        .map(|doc| format!("409: {}", short(doc["detail"].as_str().unwrap_or(""))));
    t.judge(result)
}

/// JRN-004.
pub(crate) async fn idempotency_key(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let marker = format!("JRN-004-{}", ctx.nonce);
    let mut value = letter(ctx.org(), &[DK_RECIPIENT], &format!("Conformance {marker}"));
    if let Some(object) = value.as_object_mut() {
        object.remove("id");
    }
    let body = serde_json::to_vec(&value).unwrap_or_default();
    let key = format!("conformance-{}", ctx.nonce);
    let mut ids = Vec::new();
    for round in ["first", "second"] {
        let Some(reply) = t
            .send(
                &format!("{round} post with Idempotency-Key {key} and no id"),
                &ctx.primary.client,
                Method::POST,
                &ctx.url("/v1/messages"),
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", &key),
                ],
                body.clone(),
            )
            .await
        else {
            return t.fail("no answer");
        };
        if reply.status != 202 {
            return t.fail(format!("the {round} post was answered {}", reply.status));
        }
        let doc: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
        ids.push(doc["id"].as_str().unwrap_or_default().to_owned());
    }
    if ids[0].is_empty() || ids[0] != ids[1] {
        return t.fail(format!("the two posts got different ids: {ids:?}"));
    }
    let sim = ctx.dk_sim();
    if sim.is_err() {
        return t.pass(format!("both posts answered with the id {}", ids[0]));
    }
    if let Err(why) = ctx
        .wait_status(&mut t, &ctx.primary, &ids[0], delivered)
        .await
    {
        return t.fail(why);
    }
    match once_at(&mut t, &[sim], &marker).await {
        Ok(Some(what)) => t.pass(format!("one id ({}) for both posts; {what}", ids[0])),
        Ok(None) => t.pass(format!("both posts answered with the id {}", ids[0])),
        Err(why) => t.fail(why),
    }
}

/// JRN-005.
pub(crate) async fn memo_repeat(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let (sent, _) = match accepted_and_delivered(ctx, &mut t, memo(ctx).await, |s| {
        checks::kvittering(&s.first, 202, "ModtagetDigitalPost", None)
            .map(|_| ())
            .map_err(|why| format!("the first MeMo was not accepted: {why}"))
    })
    .await
    {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    let Some(again) = repeat(&mut t, sent, &ctx.url("/dk/memo")).await else {
        return t.fail("no answer to the repeat");
    };
    match checks::kvittering(&again, 202, "ModtagetDigitalPost", None) {
        Ok(k) if k.receipt.message_id == sent.id.to_string() => {}
        Ok(k) => {
            return t.fail(format!(
                "the repeat's Kvittering names {}",
                k.receipt.message_id
            ));
        }
        Err(why) => return t.fail(format!("the repeat: {why}")),
    }
    match once_at(&mut t, &[ctx.dk_sim()], &sent.marker).await {
        Ok(Some(what)) => t.pass(format!("202 ModtagetDigitalPost twice; {what}")),
        Ok(None) => t.pass("202 ModtagetDigitalPost twice (no simulator to count at)"),
        Err(why) => t.fail(why),
    }
}

/// JRN-006.
pub(crate) async fn dpi_repeat(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let (sent, _) = match accepted_and_delivered(ctx, &mut t, dpi(ctx).await, |s| {
        answered(s, 201, "the first DPI message")
    })
    .await
    {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    let Some(again) = repeat(&mut t, sent, &super::dpi_url(ctx)).await else {
        return t.fail("no answer to the repeat");
    };
    if again.status != 201 {
        return t.fail(format!("the repeat was answered {}, not 201", again.status));
    }
    match once_at(&mut t, &[ctx.dk_sim()], &sent.marker).await {
        Ok(Some(what)) => t.pass(format!("201 twice; {what}")),
        Ok(None) => t.pass("201 twice (no simulator to count at)"),
        Err(why) => t.fail(why),
    }
}

/// JRN-007.
pub(crate) async fn same_id_other_sender(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let other = match ctx.other_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let Some(org) = other.org.clone() else {
        return t.skip("the other sender names no organisation");
    };
    // A message of its own, so the shared fixture's id stays the
    // sender's alone for the status cases.
    let first = letter(
        ctx.org(),
        &[DK_RECIPIENT],
        &format!("Conformance JRN-007a {}", ctx.nonce),
    );
    let id = first["id"].as_str().unwrap_or_default().to_owned();
    let Some(reply) = t
        .post(
            &format!("{} sends a message", ctx.primary.name),
            &ctx.primary.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&first).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    if reply.status != 202 {
        return t.fail(format!("the first message was answered {}", reply.status));
    }
    let mut value = letter(
        &org,
        &[DK_RECIPIENT],
        &format!("Conformance JRN-007b {}", ctx.nonce),
    );
    value["id"] = id.clone().into();
    let Some(reply) = t
        .post(
            &format!("{} sends another message with the same id {id}", other.name),
            &other.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&value).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    if reply.status != 202 {
        return t.fail(format!(
            "answered {}, not 202: {}",
            reply.status,
            short(&reply.text())
        ));
    }
    // Each sender sees its own message under the id.
    let url = ctx.url(&format!("/v1/messages/{id}"));
    for (party, subject) in [
        (&ctx.primary, &first["subject"]),
        (&other, &value["subject"]),
    ] {
        let Some(status) = t
            .get(&format!("{} reads {id}", party.name), &party.client, &url)
            .await
        else {
            return t.fail("no answer");
        };
        let doc: Value = serde_json::from_slice(&status.body).unwrap_or_default();
        let sender = doc["sender"].as_str().unwrap_or_default();
        if status.status != 200 || party.org.as_ref().is_none_or(|o| o.to_string() != sender) {
            return t.fail(format!(
                "{} reading {id} got HTTP {} naming sender {sender:?} (expected its own message, {subject})",
                party.name, status.status
            ));
        }
    }
    t.pass("202 for both: two messages under one id, each sender sees its own")
}
