//! The Danish ingress, `POST /dk/memo` and `GET /dk/memo/{messageUUID}`:
//! the official MeMo samples, hostile and invalid MeMo, translation into
//! DPI, and the `Kvittering` status.
//!
//! Every answer must be a `Kvittering` (Borderpost's Danish receipt
//! document, adapters/dk README): `ModtagetDigitalPost` on acceptance,
//! `Fejlet` with the stable error code in `errorCode` on refusal.

use super::super::checks::{self, short};
use super::super::compare::Comparison;
use super::super::ctx::{Ctx, Trace};
use super::super::messages::{self, DK_RECIPIENT, NO_RECIPIENT};
use super::super::party::Party;
use super::super::report::Outcome;
use super::super::samples::{self, MEMO_SAMPLES};
use super::{accepted_and_delivered, memo};
use borderpost_sim::Reply;

async fn post(
    ctx: &Ctx,
    t: &mut Trace,
    party: &Party,
    what: &str,
    body: impl Into<bytes::Bytes>,
) -> Option<Reply> {
    t.post(
        what,
        &party.client,
        &ctx.url("/dk/memo"),
        "application/xml",
        body,
    )
    .await
}

/// A MeMo 1.1 the Danish sender could send, as text, for editing.
fn base_memo(ctx: &Ctx, party: &Party, case: &str) -> Result<String, String> {
    let org = party.org()?.clone();
    let message = messages::full(
        &org,
        DK_RECIPIENT,
        &format!("Conformance {case} {}", ctx.nonce),
    )?;
    let bytes = messages::memo(&message)?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Sends `base_memo` edited by `edit` and expects `http` + `Fejlet` `code`.
async fn refused(
    ctx: &Ctx,
    case: &str,
    what: &str,
    edit: impl FnOnce(String) -> Result<String, String>,
    http: u16,
    code: &str,
) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let body = match base_memo(ctx, &party, case).and_then(edit) {
        Ok(b) => b,
        Err(why) => return t.skip(format!("cannot build the MeMo: {why}")),
    };
    let Some(reply) = post(ctx, &mut t, &party, what, body).await else {
        return t.fail("no answer");
    };
    let result = checks::kvittering(&reply, http, "Fejlet", Some(code))
        .map(|k| format!("{http} Fejlet {code}: {}", short(&error_text(&k.receipt))));
    t.judge(result)
}

fn error_text(receipt: &borderpost_core::Receipt) -> String {
    match &receipt.kind {
        borderpost_core::ReceiptKind::Error { detail, .. } => detail.clone().unwrap_or_default(),
        other => format!("{other:?}"),
    }
}

/// Replaces exactly `from` (which must be there) with `to`.
fn replace(text: String, from: &str, to: &str) -> Result<String, String> {
    if !text.contains(from) {
        return Err(format!("the MeMo has no {from:?}"));
    }
    Ok(text.replacen(from, to, 1))
}

/// DK-001.
pub(crate) async fn samples_as_published(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for path in MEMO_SAMPLES {
        let sample = match ctx.sample(&format!("dk/{path}")) {
            Ok(s) => s,
            Err(why) => return t.skip(why),
        };
        let Some(reply) = post(ctx, &mut t, &party, &format!("{path} as published"), sample).await
        else {
            return t.fail(format!("no answer for {path}"));
        };
        match checks::kvittering(&reply, 422, "Fejlet", Some("invalid-identifier")) {
            Ok(k) => lines.push(format!("{path}: {}", short(&error_text(&k.receipt)))),
            Err(why) => failures.push(format!("{path}: {why}")),
        }
    }
    if failures.is_empty() {
        t.pass(format!(
            "all {} refused with invalid-identifier ({})",
            lines.len(),
            lines.join("; ")
        ))
    } else {
        t.fail(failures.join("; "))
    }
}

/// DK-002.
pub(crate) async fn samples_corrected(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let org = match party.org() {
        Ok(o) => o.clone(),
        Err(why) => return t.skip(why),
    };
    t.note(format!(
        "corrections: sender → {org} (the certificate's), representative 87654321 → {org}, 1.0 recipient 11223344 → 11223346, placeholders → 2211771212 / {org}, http:// → https://, header messageUUID → a fresh one"
    ));
    let mut failures = Vec::new();
    let mut accepted = 0;
    for path in MEMO_SAMPLES {
        let sample = match ctx.sample(&format!("dk/{path}")) {
            Ok(s) => s,
            Err(why) => return t.skip(why),
        };
        let uuid = uuid::Uuid::new_v4();
        let body = samples::corrected_memo(&String::from_utf8_lossy(&sample), &org, uuid);
        let Some(reply) = post(ctx, &mut t, &party, &format!("{path}, corrected"), body).await
        else {
            return t.fail(format!("no answer for {path}"));
        };
        match checks::kvittering(&reply, 202, "ModtagetDigitalPost", None) {
            Ok(k) if k.receipt.message_id == uuid.to_string() => accepted += 1,
            Ok(k) => failures.push(format!(
                "{path}: the Kvittering names {}, not {uuid}",
                k.receipt.message_id
            )),
            Err(why) => failures.push(format!("{path}: {why}")),
        }
    }
    if failures.is_empty() {
        t.pass(format!(
            "all {accepted} accepted with ModtagetDigitalPost naming their messageUUID"
        ))
    } else {
        t.fail(failures.join("; "))
    }
}

/// DK-003.
pub(crate) async fn doctype(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE memo:Message [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.1"><memo:MessageHeader>&xxe;&b;</memo:MessageHeader></memo:Message>"#;
    let Some(reply) = post(
        ctx,
        &mut t,
        &party,
        "a MeMo with a DOCTYPE, an external and a nested entity",
        body,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::kvittering(&reply, 400, "Fejlet", Some("forbidden-construct")).map(|k| {
        format!(
            "400 Fejlet forbidden-construct: {}",
            short(&error_text(&k.receipt))
        )
    });
    t.judge(result)
}

/// DK-004.
pub(crate) async fn malformed(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let body = r#"<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.1"><memo:MessageHeader></memo:Message>"#;
    let Some(reply) = post(
        ctx,
        &mut t,
        &party,
        "a MeMo with a mismatched end tag",
        body,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::kvittering(&reply, 400, "Fejlet", Some("malformed"))
        .map(|k| format!("400 Fejlet malformed: {}", short(&error_text(&k.receipt))));
    t.judge(result)
}

/// DK-005.
pub(crate) async fn schema_violation(ctx: &Ctx) -> Outcome {
    refused(
        ctx,
        "DK-005",
        "a MeMo with an unknown element in MessageHeader",
        |m| {
            replace(
                m,
                "<memo:MessageHeader>",
                "<memo:MessageHeader><memo:unknownElement>x</memo:unknownElement>",
            )
        },
        422,
        "schema",
    )
    .await
}

/// DK-006.
pub(crate) async fn filename_rule(ctx: &Ctx) -> Outcome {
    refused(
        ctx,
        "DK-006",
        "a MeMo whose file name contains ':'",
        |m| {
            replace(
                m,
                "<memo:filename>letter.pdf</memo:filename>",
                "<memo:filename>letter:1.pdf</memo:filename>",
            )
        },
        422,
        "business-rule",
    )
    .await
}

/// DK-007.
pub(crate) async fn http_link(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let org = match party.org() {
        Ok(o) => o.clone(),
        Err(why) => return t.skip(why),
    };
    let sample = match ctx.sample(&format!("dk/{}", MEMO_SAMPLES[0])) {
        Ok(s) => s,
        Err(why) => return t.skip(why),
    };
    let text = String::from_utf8_lossy(&sample);
    if !text.contains("<memo:url>http://") {
        return t.skip("the sample has no http:// link");
    }
    let body = samples::sender_corrected_memo(&text, &org, uuid::Uuid::new_v4());
    let Some(reply) = post(
        ctx,
        &mut t,
        &party,
        "the 1.1 Full example, sender corrected, its http:// link kept",
        body,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::kvittering(&reply, 422, "Fejlet", Some("business-rule")).and_then(|k| {
        let text = error_text(&k.receipt);
        if text.contains("https") {
            Ok(format!("422 Fejlet business-rule: {}", short(&text)))
        } else {
            Err(format!(
                "refused as business-rule, but not for the link: {}",
                short(&text)
            ))
        }
    });
    t.judge(result)
}

/// DK-008.
pub(crate) async fn recipient_invalid(ctx: &Ctx) -> Outcome {
    refused(
        ctx,
        "DK-008",
        "a MeMo to the CPR 3201771212 (32 January)",
        |m| {
            replace(
                m,
                "<memo:recipientID>0707614285</memo:recipientID>",
                "<memo:recipientID>3201771212</memo:recipientID>",
            )
        },
        422,
        "invalid-identifier",
    )
    .await
}

/// DK-009.
pub(crate) async fn not_utf8(ctx: &Ctx) -> Outcome {
    refused(
        ctx,
        "DK-009",
        "a MeMo declared ISO-8859-1",
        |m| replace(m, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""),
        400,
        "encoding",
    )
    .await
}

/// DK-010.
pub(crate) async fn wrong_sender(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let own = party.org.clone();
    let claimed: Option<borderpost_core::PartyId> = ["dk-cvr:34485771", "dk-cvr:13748136"]
        .into_iter()
        .filter_map(|s| s.parse().ok())
        .find(|o: &borderpost_core::PartyId| own.as_ref().is_none_or(|own| !own.same_party(o)));
    let Some(claimed) = claimed else {
        return t.skip("no other CVR to claim");
    };
    let body = messages::full(
        &claimed,
        DK_RECIPIENT,
        &format!("Conformance DK-010 {}", ctx.nonce),
    )
    .and_then(|m| messages::memo(&m));
    let body = match body {
        Ok(b) => b,
        Err(why) => return t.skip(why),
    };
    let Some(reply) = post(
        ctx,
        &mut t,
        &party,
        &format!("a MeMo naming {claimed} as sender"),
        body,
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::kvittering(&reply, 403, "Fejlet", Some("forbidden")).map(|_| {
        format!(
            "403 Fejlet forbidden: the certificate names {}",
            own.map(|o| o.to_string()).unwrap_or_default()
        )
    });
    t.judge(result)
}

/// DK-012.
pub(crate) async fn unverified_representative(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let Some(own) = party.org.clone() else {
        return t.skip("the sender's certificate names no organisation");
    };
    let sample = match ctx.sample(&format!("dk/{}", MEMO_SAMPLES[2])) {
        Ok(s) => String::from_utf8_lossy(&s).into_owned(),
        Err(why) => return t.skip(why),
    };
    let claimed = if own.value() == "34485771" {
        "13748136"
    } else {
        "34485771"
    };
    let body = samples::corrected_memo(&sample, &own, uuid::Uuid::new_v4()).replace(
        &format!(
            "<memo:representativeID>{}</memo:representativeID>",
            own.value()
        ),
        &format!("<memo:representativeID>{claimed}</memo:representativeID>"),
    );
    if !body.contains(claimed) {
        return t.skip("the 1.2 Full example has no representative to change");
    }
    let Some(reply) = post(
        ctx,
        &mut t,
        &party,
        &format!("the 1.2 Full example naming CVR {claimed} as the sender's representative"),
        body.into_bytes(),
    )
    .await
    else {
        return t.fail("no answer");
    };
    let result = checks::kvittering(&reply, 403, "Fejlet", Some("forbidden"))
        .map(|_| "403 Fejlet forbidden".to_owned());
    t.judge(result)
}

/// DK-011.
pub(crate) async fn unknown_version(ctx: &Ctx) -> Outcome {
    refused(
        ctx,
        "DK-011",
        "a MeMo with memoVersion 9.9",
        |m| replace(m, "memoVersion=\"1.1\"", "memoVersion=\"9.9\""),
        422,
        "unsupported-version",
    )
    .await
}

/// DK-101.
pub(crate) async fn to_norway(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let sim = match ctx.no_sim() {
        Ok(s) => s.clone(),
        Err(why) => return t.skip(format!("the Norwegian simulator is needed: {why}")),
    };
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let org = match party.org() {
        Ok(o) => o.clone(),
        Err(why) => return t.skip(why),
    };
    let sent = match messages::full(
        &org,
        NO_RECIPIENT,
        &format!("Conformance DK-101 {}", ctx.nonce),
    ) {
        Ok(m) => m,
        Err(why) => return t.skip(why),
    };
    let body = match messages::memo(&sent) {
        Ok(b) => b,
        Err(why) => return t.skip(why),
    };
    t.note("the recipient is written <idType>Andet</idType><idTypeLabel>no-fnr</idTypeLabel>, Borderpost's convention for foreign recipients in MeMo");
    let Some(reply) = post(ctx, &mut t, &party, "a MeMo to a Norwegian recipient", body).await
    else {
        return t.fail("no answer");
    };
    if let Err(why) = checks::kvittering(&reply, 202, "ModtagetDigitalPost", None) {
        return t.fail(why);
    }
    let recorded = match ctx.find_at_sim(&mut t, &sim, &sent.subject).await {
        Ok(r) => r,
        Err(why) => return t.fail(why),
    };
    let got = &recorded.message;
    let mut c = Comparison::default();
    c.sender(&sent, got);
    c.field("recipient", &NO_RECIPIENT.to_owned(), &recorded.recipient);
    c.field("subject", &sent.subject, &got.subject);
    c.field("created", &sent.created, &got.created);
    c.field("effective_at", &sent.effective_at, &got.effective_at);
    c.documents(&sent.documents, &got.documents, true);
    c.lost(
        "notification, legal.*, reply, references.*",
        "no DPI field (adapters/no README)",
    );
    c.lost(
        "security_level, read_receipt, references.invoice, sender.unit",
        "MeMo does not carry them (adapters/dk README); DPI writes its defaults",
    );
    super::api::finish(t, c, "DPI")
}

/// DK-201.
pub(crate) async fn status_kvittering(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let memo = memo(ctx).await;
    if let Ok(sent) = memo {
        t.extend(&sent.evidence);
    }
    let (sent, _) = match accepted_and_delivered(ctx, &mut t, memo, |s| {
        checks::kvittering(&s.first, 202, "ModtagetDigitalPost", None)
            .map(|_| ())
            .map_err(|why| format!("the MeMo was not accepted: {why}"))
    })
    .await
    {
        Ok(done) => done,
        Err(outcome) => return outcome,
    };
    let url = ctx.url(&format!("/dk/memo/{}", sent.id));
    let Some(reply) = t.get("the MeMo's status", &sent.party.client, &url).await else {
        return t.fail("no answer");
    };
    match checks::kvittering(&reply, 200, "AfleveretDigitalPost", None) {
        Ok(k) if k.receipt.message_id == sent.id.to_string() => {}
        Ok(k) => {
            return t.fail(format!(
                "the Kvittering names {}, not {}",
                k.receipt.message_id, sent.id
            ));
        }
        Err(why) => return t.fail(why),
    }
    let other = match ctx.other_sender() {
        Ok(p) => p,
        Err(why) => {
            return t.skip(format!(
                "AfleveretDigitalPost for the sender; another sender is {why}"
            ));
        }
    };
    let Some(theirs) = t
        .get(&format!("{} asks for it", other.name), &other.client, &url)
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::kvittering(&theirs, 404, "Fejlet", None)
        .map(|_| {
            format!(
                "AfleveretDigitalPost naming {} for the sender; 404 Fejlet for {}",
                sent.id, other.name
            )
        })
        .map_err(|why| format!("another sender: {why}"));
    t.judge(result)
}
