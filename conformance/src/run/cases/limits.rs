//! Limits: body size (refused before the body is read), recipients,
//! nesting, header count, and the per-sender quota.
//!
//! "Before the body is read" is observed directly: the request declares a
//! body over the documented default limit (64 MiB; `--oversize-bytes`,
//! default 65 MiB) and sends none of it. A target that answers has
//! decided on the declared length alone; one that waits for the body is
//! reading it, and the case fails when no answer comes within the request
//! timeout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::super::checks::{self, short};
use super::super::ctx::{Ctx, Trace};
use super::super::messages::{DK_RECIPIENT, TOKEN, letter};
use super::super::party::Party;
use super::super::probe::{self, RawResponse};
use super::super::report::{Evidence, Outcome, body_excerpt};
use borderpost_sim::{Client, Reply};

/// How many requests the quota flood keeps in flight.
const CONCURRENCY: usize = 64;
/// Over how many connections (each its own HTTP/2 connection, so the
/// target can spread them over its cores).
const CONNECTIONS: usize = 4;
/// The longest a quota case waits out a `Retry-After` before returning
/// (so the cases after it are not throttled).
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

/// A raw answer as a [`Reply`], for the shared checks.
fn to_reply(raw: &RawResponse) -> Reply {
    let mut headers = HeaderMap::new();
    for (name, value) in &raw.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    Reply {
        status: StatusCode::from_u16(raw.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        headers,
        body: bytes::Bytes::from(raw.body.clone()),
    }
}

/// Sends a head declaring `oversize` bytes and no body, as `party`.
async fn declare_oversize(
    ctx: &Ctx,
    t: &mut Trace,
    party: &Party,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<RawResponse, String> {
    let identity = party.identity()?;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {}:{}\r\ncontent-length: {}\r\n",
        ctx.host, ctx.port, ctx.options.oversize_bytes
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let result = probe::raw_http1(
        &ctx.host,
        ctx.port,
        &ctx.roots,
        Some(identity),
        &head,
        b"",
        ctx.options.timeout,
    )
    .await;
    t.evidence.push(Evidence {
        what: format!(
            "a request declaring {} bytes, none of them sent",
            ctx.options.oversize_bytes
        ),
        sent: Some(format!("{head}(no body bytes)")),
        received: Some(match &result {
            Ok(raw) => format!(
                "HTTP {} after {} ms\n{}\n\n{}",
                raw.status,
                raw.elapsed.as_millis(),
                raw.headers
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                body_excerpt(&raw.body)
            ),
            Err(e) => format!("no answer: {e}"),
        }),
    });
    result.map_err(|e| {
        format!(
            "{e} (a target that waits for the declared body is reading it rather than refusing it)"
        )
    })
}

/// LIM-001.
pub(crate) async fn oversize_canonical(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let raw = match declare_oversize(
        ctx,
        &mut t,
        &ctx.primary,
        "/v1/messages",
        &[("content-type", "application/json")],
    )
    .await
    {
        Ok(raw) => raw,
        Err(why) => return t.fail(why),
    };
    let result = checks::problem(&to_reply(&raw), 413, Some("too-large")).map(|_| {
        format!(
            "413 problem too-large after {} ms, before any body byte",
            raw.elapsed.as_millis()
        )
    });
    t.judge(result)
}

/// LIM-002.
pub(crate) async fn oversize_dk(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.dk_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let raw = match declare_oversize(
        ctx,
        &mut t,
        &party,
        "/dk/memo",
        &[("content-type", "application/xml")],
    )
    .await
    {
        Ok(raw) => raw,
        Err(why) => return t.fail(why),
    };
    let result = checks::kvittering(&to_reply(&raw), 413, "Fejlet", Some("too-large")).map(|_| {
        format!(
            "413 Kvittering Fejlet too-large after {} ms, before any body byte",
            raw.elapsed.as_millis()
        )
    });
    t.judge(result)
}

/// LIM-003.
pub(crate) async fn oversize_no(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let party = match ctx.no_sender() {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let bearer = format!("Bearer {TOKEN}");
    let path = format!("/no/dpi/messages/out?kanal={}", ctx.kanal);
    let raw = match declare_oversize(
        ctx,
        &mut t,
        &party,
        &path,
        &[
            ("content-type", "multipart/form-data; boundary=conformance"),
            ("authorization", &bearer),
        ],
    )
    .await
    {
        Ok(raw) => raw,
        Err(why) => return t.fail(why),
    };
    let result = checks::problem(&to_reply(&raw), 413, Some("too-large")).map(|_| {
        format!(
            "413 problem too-large after {} ms, before any body byte",
            raw.elapsed.as_millis()
        )
    });
    t.judge(result)
}

/// LIM-004.
pub(crate) async fn too_many_recipients(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    // 1001 distinct valid CPR numbers: 1 January 1980, serials 0000–1000
    // (CPR numbers have no check digit to get wrong).
    let ids: Vec<String> = (0..1001).map(|i| format!("dk-cpr:010180{i:04}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let value = letter(
        ctx.org(),
        &refs,
        &format!("Conformance LIM-004 {}", ctx.nonce),
    );
    let Some(reply) = t
        .post(
            "a message with 1001 recipients",
            &ctx.primary.client,
            &ctx.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&value).unwrap_or_default(),
        )
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 413, Some("too-large")).map(|doc| {
        format!(
            "413 too-large: {}",
            short(doc["detail"].as_str().unwrap_or(""))
        )
    });
    t.judge(result)
}

/// LIM-005.
pub(crate) async fn too_deep(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let depth = 200;
    let mut value = letter(
        ctx.org(),
        &[DK_RECIPIENT],
        &format!("Conformance LIM-005 {}", ctx.nonce),
    );
    value["extensions"] = serde_json::json!({ "x": "PLACEHOLDER" });
    let text = serde_json::to_string(&value).unwrap_or_default().replace(
        "\"PLACEHOLDER\"",
        &format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
    );
    let Some(reply) = t
        .post(
            &format!("a message with arrays nested {depth} deep"),
            &ctx.primary.client,
            &ctx.url("/v1/messages"),
            "application/json",
            text,
        )
        .await
    else {
        return t.fail("no answer");
    };
    let result = checks::problem(&reply, 400, Some("too-deep")).map(|doc| {
        format!(
            "400 too-deep: {}",
            short(doc["detail"].as_str().unwrap_or(""))
        )
    });
    t.judge(result)
}

/// LIM-006.
pub(crate) async fn too_many_headers(ctx: &Ctx) -> Outcome {
    let mut t = Trace::default();
    let identity = match ctx.primary.identity() {
        Ok(i) => i,
        Err(why) => return t.skip(why),
    };
    let count = 300;
    let mut head = format!(
        "GET /v1/messages/{} HTTP/1.1\r\nhost: {}:{}\r\n",
        uuid::Uuid::new_v4(),
        ctx.host,
        ctx.port
    );
    for i in 0..count {
        head.push_str(&format!("x-conformance-{i}: {i}\r\n"));
    }
    head.push_str("\r\n");
    let result = probe::raw_http1(
        &ctx.host,
        ctx.port,
        &ctx.roots,
        Some(identity),
        &head,
        b"",
        ctx.options.timeout,
    )
    .await;
    t.evidence.push(Evidence {
        what: format!("a request with {} header fields", count + 1),
        sent: Some(format!(
            "GET … HTTP/1.1 with x-conformance-0 … x-conformance-{}",
            count - 1
        )),
        received: Some(match &result {
            Ok(raw) => format!("HTTP {}\n\n{}", raw.status, body_excerpt(&raw.body)),
            Err(e) => format!("no answer: {e}"),
        }),
    });
    match result {
        Ok(raw) if raw.status == 431 => t.pass("431 Request Header Fields Too Large"),
        Ok(raw) if matches!(raw.status, 400 | 413) => {
            t.pass(format!("refused with {} (RFC 6585 names 431)", raw.status))
        }
        Ok(raw) => t.fail(format!(
            "the request was processed: HTTP {} ({} header fields)",
            raw.status,
            count + 1
        )),
        Err(e) if e.contains("closed without an answer") => {
            t.pass("the connection was closed without processing the request")
        }
        Err(e) => t.fail(e),
    }
}

/// What a flood found.
struct Flood {
    /// The first `429`, if any.
    limited: Option<Reply>,
    /// Requests sent.
    sent: usize,
    /// Answers by status.
    statuses: BTreeMap<u16, usize>,
    /// Requests without an answer.
    errors: usize,
    elapsed: Duration,
}

/// Sends up to `burst` requests to `url` with `CONCURRENCY` in flight,
/// spread over `clients` (one connection each), until the first `429`.
async fn flood(clients: &[Client], url: String, burst: usize) -> Flood {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for client in clients.iter().cycle().take(CONCURRENCY) {
        let (client, url, next, stop) = (
            client.clone(),
            url.clone(),
            Arc::clone(&next),
            Arc::clone(&stop),
        );
        workers.spawn(async move {
            let mut statuses = BTreeMap::new();
            let mut errors = 0;
            let mut limited = None;
            while !stop.load(Ordering::Relaxed) && next.fetch_add(1, Ordering::Relaxed) < burst {
                match client.get(&url).await {
                    Ok(reply) => {
                        *statuses.entry(reply.status.as_u16()).or_insert(0) += 1;
                        if reply.status == 429 {
                            stop.store(true, Ordering::Relaxed);
                            limited = Some(reply);
                        }
                    }
                    Err(_) => errors += 1,
                }
            }
            (statuses, errors, limited)
        });
    }
    let mut result = Flood {
        limited: None,
        sent: 0,
        statuses: BTreeMap::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    while let Some(joined) = workers.join_next().await {
        if let Ok((statuses, errors, limited)) = joined {
            for (status, n) in statuses {
                *result.statuses.entry(status).or_insert(0) += n;
                result.sent += n;
            }
            result.errors += errors;
            result.sent += errors;
            if result.limited.is_none() {
                result.limited = limited;
            }
        }
    }
    result.elapsed = started.elapsed();
    result
}

/// The `Retry-After` of a reply as seconds (delta-seconds; an HTTP-date
/// is accepted as "present" and waited out for one second).
fn retry_after(reply: &Reply) -> Result<u64, String> {
    let value = reply
        .headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .ok_or("the 429 has no Retry-After header")?;
    match value.trim().parse::<u64>() {
        Ok(seconds) => Ok(seconds),
        Err(_) if value.contains("GMT") => Ok(1),
        Err(_) => Err(format!(
            "Retry-After {value:?} is neither delta-seconds nor an HTTP-date"
        )),
    }
}

/// The party that floods (`--flood-cert/--flood-key`, else the sender),
/// once per connection.
fn flooders(ctx: &Ctx) -> Result<Vec<Party>, String> {
    let (name, cert, key) = match &ctx.options.flood {
        Some((cert, key)) => ("flood sender", cert, key),
        None => (
            ctx.primary.name.as_str(),
            &ctx.options.cert,
            &ctx.options.key,
        ),
    };
    (0..CONNECTIONS)
        .map(|_| Party::load(name, cert, key, &ctx.roots).map_err(|e| e.to_string()))
        .collect()
}

async fn quota_case(
    ctx: &Ctx,
    path: impl Fn() -> String,
    check: impl Fn(&Reply) -> Result<String, String>,
) -> Outcome {
    let mut t = Trace::default();
    let parties = match flooders(ctx) {
        Ok(p) => p,
        Err(why) => return t.skip(why),
    };
    let name = parties.first().map(|p| p.name.clone()).unwrap_or_default();
    let clients: Vec<Client> = parties.into_iter().map(|p| p.client).collect();
    let url = ctx.url(&path());
    let result = flood(&clients, url.clone(), ctx.options.burst).await;
    let rate = result.sent as f64 / result.elapsed.as_secs_f64().max(0.001);
    t.note(format!(
        "{name} flooded GET {} with {} requests ({} in flight over {} connections) in {:.2} s ({rate:.0}/s): statuses {:?}, {} without answer",
        path(),
        result.sent,
        CONCURRENCY,
        CONNECTIONS,
        result.elapsed.as_secs_f64(),
        result.statuses,
        result.errors
    ));
    let Some(limited) = result.limited else {
        return t.skip(format!(
            "no 429 within {} requests at {rate:.0}/s: the quota is higher than this client can reach (configure a small quota for --flood-cert's organisation to decide this case)",
            result.sent
        ));
    };
    t.exchange("the first 429", "GET", &url, &[], b"", Ok(&limited));
    let verdict =
        retry_after(&limited).and_then(|seconds| check(&limited).map(|how| (seconds, how)));
    match verdict {
        Ok((seconds, how)) => {
            // Let the bucket refill, so the cases after this one are not
            // throttled.
            tokio::time::sleep(Duration::from_secs(seconds).min(MAX_RETRY_WAIT)).await;
            t.pass(format!(
                "{how}, Retry-After: {seconds} (after {} requests)",
                result.sent
            ))
        }
        Err(why) => t.fail(why),
    }
}

/// LIM-007.
pub(crate) async fn quota(ctx: &Ctx) -> Outcome {
    quota_case(
        ctx,
        || format!("/v1/messages/{}", uuid::Uuid::nil()),
        |reply| {
            checks::problem(reply, 429, Some("rate-limited"))
                .map(|_| "429 problem rate-limited".to_owned())
        },
    )
    .await
}

/// LIM-008.
pub(crate) async fn quota_danish(ctx: &Ctx) -> Outcome {
    quota_case(
        ctx,
        || format!("/dk/memo/{}", uuid::Uuid::nil()),
        |reply| {
            checks::kvittering(reply, 429, "FejletMidlertidigt", Some("rate-limited"))
                .map(|_| "429 Kvittering FejletMidlertidigt rate-limited".to_owned())
        },
    )
    .await
}
