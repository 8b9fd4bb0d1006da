//! National identifier rules, judged at the canonical API: each
//! identifier is sent as a message's only recipient.
//!
//! "Accepted" means the identifier was not the reason for a refusal: a
//! `202`, or a refusal for something else — a recipient in a country the
//! target has no upstream for is refused as `unroutable` ("no upstream
//! serves se"), which says nothing against the identifier. "Refused"
//! means `422` (or `400`) with code `invalid-identifier` or `schema` and
//! a detail that gives the reason (the canonical API reads identifiers
//! while parsing the JSON, so Borderpost reports them as `schema` with
//! the national rule's message; either code is accepted, the reason is
//! required).

use super::super::checks::{self, problem_code, short};
use super::super::ctx::{Ctx, Trace};
use super::super::messages::letter;
use super::super::report::Outcome;
use borderpost_sim::Reply;

async fn send(ctx: &Ctx, t: &mut Trace, recipient: &str) -> Option<Reply> {
    let value = letter(
        ctx.org(),
        &[recipient],
        &format!("Conformance ID {}", ctx.nonce),
    );
    t.post(
        &format!("a letter to {recipient}"),
        &ctx.primary.client,
        &ctx.url("/v1/messages"),
        "application/json",
        serde_json::to_vec(&value).unwrap_or_default(),
    )
    .await
}

/// Whether the answer accepts the identifier.
fn accepted(reply: &Reply) -> Result<String, String> {
    if reply.status == 202 {
        return Ok("202".to_owned());
    }
    let doc = checks::problem_document(reply, None)?;
    let code = problem_code(&doc).unwrap_or_default();
    let detail = doc["detail"].as_str().unwrap_or("").to_owned();
    if matches!(code.as_str(), "invalid-identifier" | "schema") {
        return Err(format!(
            "refused as {code} (HTTP {}): {}",
            reply.status,
            short(&detail)
        ));
    }
    Ok(format!(
        "{} {code} ({}): the identifier passed, the message was refused for another reason",
        reply.status,
        short(&detail)
    ))
}

/// Whether the answer refuses the identifier, saying `reason`.
fn refused(reply: &Reply, reason: &str) -> Result<String, String> {
    if !matches!(reply.status.as_u16(), 400 | 422) {
        return Err(format!(
            "expected 422 (or 400), got {}: {}",
            reply.status,
            short(&reply.text())
        ));
    }
    let doc = checks::problem_document(reply, None)?;
    let code = problem_code(&doc).unwrap_or_default();
    let detail = doc["detail"].as_str().unwrap_or("");
    if !matches!(code.as_str(), "invalid-identifier" | "schema") {
        return Err(format!(
            "refused with code {code:?}, not invalid-identifier (or schema): {}",
            short(detail)
        ));
    }
    if !detail.contains(reason) {
        return Err(format!(
            "the refusal does not give the reason ({reason:?}): {}",
            short(detail)
        ));
    }
    Ok(format!("{code}: {}", short(detail)))
}

async fn all_accepted(ctx: &Ctx, ids: &[(&str, &str)]) -> Outcome {
    let mut t = Trace::default();
    let mut verdicts = Vec::new();
    for (id, what) in ids {
        let Some(reply) = send(ctx, &mut t, id).await else {
            return t.fail(format!("no answer for {id}"));
        };
        match accepted(&reply) {
            Ok(how) => verdicts.push(format!("{id} ({what}): {how}")),
            Err(why) => return t.fail(format!("{id} ({what}) was {why}")),
        }
    }
    t.pass(format!("accepted: {}", verdicts.join("; ")))
}

async fn refused_with(ctx: &Ctx, id: &str, reason: &str) -> Outcome {
    let mut t = Trace::default();
    let Some(reply) = send(ctx, &mut t, id).await else {
        return t.fail("no answer");
    };
    let result = refused(&reply, reason).map(|how| format!("{id} refused: {how}"));
    t.judge(result)
}

/// ID-001.
pub(crate) async fn cpr_valid(ctx: &Ctx) -> Outcome {
    all_accepted(
        ctx,
        &[
            ("dk-cpr:0707614285", "passes modulus 11"),
            (
                "dk-cpr:0101651234",
                "no modulus-11 check, issued since 2007",
            ),
            ("dk-cpr:070761-4285", "with the hyphen"),
        ],
    )
    .await
}

/// ID-002.
pub(crate) async fn cpr_invalid_date(ctx: &Ctx) -> Outcome {
    refused_with(ctx, "dk-cpr:3201771212", "day 32").await
}

/// ID-003.
pub(crate) async fn cvr_check_digit(ctx: &Ctx) -> Outcome {
    refused_with(ctx, "dk-cvr:55133019", "check digit should be 8").await
}

/// ID-004.
pub(crate) async fn fnr_valid_and_d_number(ctx: &Ctx) -> Outcome {
    all_accepted(
        ctx,
        &[
            ("no-fnr:31129956715", "fødselsnummer"),
            ("no-fnr:71129956709", "D-number: day + 40"),
        ],
    )
    .await
}

/// ID-005.
pub(crate) async fn fnr_check_digit(ctx: &Ctx) -> Outcome {
    refused_with(ctx, "no-fnr:31129956716", "second check digit should be 5").await
}

/// ID-006.
pub(crate) async fn se_pnr_valid(ctx: &Ctx) -> Outcome {
    all_accepted(
        ctx,
        &[
            ("se-pnr:811218-9876", "personnummer"),
            ("se-pnr:701063-2391", "samordningsnummer: day + 60"),
        ],
    )
    .await
}

/// ID-007.
pub(crate) async fn se_pnr_luhn(ctx: &Ctx) -> Outcome {
    refused_with(ctx, "se-pnr:811218-9875", "check digit should be 6").await
}

/// ID-008.
pub(crate) async fn fi_hetu_new_signs(ctx: &Ctx) -> Outcome {
    all_accepted(
        ctx,
        &[
            ("fi-hetu:131052-308T", "classic century sign -"),
            ("fi-hetu:010594Y9021", "century sign Y (1900s, from 2023)"),
            ("fi-hetu:020502E902X", "century sign E (2000s, from 2023)"),
        ],
    )
    .await
}

/// ID-009.
pub(crate) async fn fi_hetu_check(ctx: &Ctx) -> Outcome {
    refused_with(ctx, "fi-hetu:010190-999K", "check character should be W").await
}

/// ID-010.
pub(crate) async fn iso6523(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let Some(good) = send(ctx, &mut t, "iso6523:0184:34485771").await else {
        return t.fail("no answer");
    };
    if let Err(why) = accepted(&good) {
        return t.fail(format!("iso6523:0184:34485771 (a valid CVR) was {why}"));
    }
    let Some(bad) = send(ctx, &mut t, "iso6523:0192:123456789").await else {
        return t.fail("no answer");
    };
    let result = refused(&bad, "check digit should be 5").map(|how| {
        format!("0184:34485771 accepted; 0192:123456789 refused as an organisasjonsnummer: {how}")
    });
    t.judge(result)
}

/// ID-011.
pub(crate) async fn sender_iso6523(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let Some(iso) = ctx.org().to_iso6523() else {
        return t.skip(format!("{} has no ISO 6523 form", ctx.org()));
    };
    let value = letter(
        &iso,
        &[super::super::messages::DK_RECIPIENT],
        &format!("Conformance ID-011 {}", ctx.nonce),
    );
    let Some(reply) = t
        .post(
            &format!("a message whose sender is written {iso}"),
            &ctx.primary.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&value).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    if reply.status == 202 {
        t.pass(format!("{iso} is accepted as {}", ctx.org()))
    } else {
        t.fail(format!(
            "{iso} was not accepted as the certificate's {}: HTTP {} {}",
            ctx.org(),
            reply.status,
            short(&reply.text())
        ))
    }
}
