use std::time::{Duration, Instant};

use borderpost_tests::{Harness, message, raw_tls, set_key};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_over_its_quota_gets_429_while_another_is_served() {
    let h = Harness::start_with(|text| {
        let text = set_key(&text, "rate_limits", "sender_per_second", "1");
        set_key(&text, "rate_limits", "sender_burst", "3")
    })
    .await;
    let mut refused = None;
    for _ in 0..6 {
        let reply = h
            .submit("sender-dk", &message(&["dk-cpr:0707614285"]))
            .await;
        if reply.status == 429 {
            refused = Some(reply);
            break;
        }
        assert_eq!(reply.status, 202, "{}", reply.text());
    }
    let refused = refused.expect("the fourth request within a second is over the quota");
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let problem: Value = serde_json::from_slice(&refused.body).unwrap();
    assert_eq!(problem["code"], "rate-limited");
    // Norway's sender has its own bucket.
    let mut other = message(&["dk-cpr:0707614285"]);
    other["sender"]["id"] = "no-orgnr:991825827".into();
    assert_eq!(h.submit("sender-no", &other).await.status, 202);
    // The refusal is counted.
    let text = plain_get(h.gateway.admin, "/metrics").await;
    assert!(
        text.lines().any(|l| l.starts_with(
            "borderpost_rate_limited_total{scope=\"sender\",key=\"dk-cvr:55133018\"}"
        )),
        "{text}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_quota_paces_delivery_without_failing_it() {
    let h = Harness::start_with(|text| {
        text.replace(
            "print_protocol = \"dk-fjernprint\"",
            "print_protocol = \"dk-fjernprint\"\nmax_per_second = 2\nburst = 1",
        )
    })
    .await;
    let started = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..6 {
        let msg = message(&["dk-cpr:0707614285"]);
        ids.push(msg["id"].as_str().unwrap().to_owned());
        assert_eq!(h.submit("sender-dk", &msg).await.status, 202);
    }
    for id in &ids {
        let doc = h
            .wait_for("sender-dk", id, &["delivered"], Duration::from_secs(30))
            .await;
        assert!(
            doc["recipients"][0]["history"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["status"] != "failed")
        );
    }
    // Six deliveries at two per second (one at once) take over two seconds.
    assert!(
        started.elapsed() >= Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(h.deliveries(&h.dk).await.len(), 6);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_body_is_refused_before_it_is_read() {
    let h = Harness::start_with(|text| set_key(&text, "limits", "max_body_bytes", "65536")).await;
    let mut tls = raw_tls(&h.pki, h.gateway.ingress, "sender-dk")
        .await
        .unwrap();
    // Declare ten gigabytes and send none of it: the answer must come now.
    tls.write_all(
        b"POST /v1/messages HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 10737418240\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("too-large"), "{text}");

    // A chunked body with no declared length is cut off at the limit too.
    let big = serde_json::json!({ "subject": "x".repeat(200_000) });
    let reply = h
        .client("sender-dk")
        .post(
            &h.url("/v1/messages"),
            "application/json",
            serde_json::to_vec(&big).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 413);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_headers_is_cut_off() {
    let h =
        Harness::start_with(|text| set_key(&text, "limits", "header_read_timeout", "\"1s\"")).await;
    let mut tls = raw_tls(&h.pki, h.gateway.ingress, "sender-dk")
        .await
        .unwrap();
    let started = Instant::now();
    let request = b"GET /v1/messages/x HTTP/1.1\r\nhost: localhost\r\n";
    let mut closed = false;
    for byte in request.iter().cycle().take(30) {
        if tls.write_all(&[*byte]).await.is_err() || tls.flush().await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        // A closed connection reads as EOF (or an error).
        let mut probe = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), tls.read(&mut probe)).await
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow client was never disconnected");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_in_flight_cap_new_requests_get_503_at_once_and_memory_stays_flat() {
    let h = Harness::start_with(|text| set_key(&text, "limits", "max_in_flight", "2")).await;
    // Two requests that never finish their bodies hold both slots.
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut tls = raw_tls(&h.pki, h.gateway.ingress, "sender-dk")
            .await
            .unwrap();
        tls.write_all(b"POST /v1/messages HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{")
            .await
            .unwrap();
        holders.push(tls);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib();
    let client = h.client("sender-dk");
    let url = h.url("/v1/messages/00000000-0000-4000-8000-000000000000");
    let started = Instant::now();
    for _ in 0..500 {
        let reply = client.get(&url).await.unwrap();
        assert_eq!(reply.status, 503);
        assert_eq!(reply.headers["retry-after"], "1");
    }
    // Shedding is immediate: 500 refusals take well under a second each.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "RSS grew by {grown} KiB while shedding");
    drop(holders);
    h.stop().await;
}

/// This process's resident set, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// A plain-HTTP GET (the admin listener).
pub(crate) async fn plain_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tcp.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_can_differ_per_route() {
    let h =
        Harness::start_with(|text| format!("{text}\n[limits.routes.dk]\nmax_body_bytes = 4096\n"))
            .await;
    let padding = "x".repeat(6000);
    // Over the Danish route's limit: refused in the Danish format.
    let reply = h
        .client("sender-dk")
        .post(
            &h.url("/dk/memo"),
            "application/xml",
            format!("<a>{padding}</a>"),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert!(reply.text().contains("too-large"), "{}", reply.text());
    // The same size is fine on the canonical route.
    let mut msg = message(&["dk-cpr:0707614285"]);
    msg["references"] = serde_json::json!({ "case": "x".repeat(200) });
    msg["notification"] = padding[..900].into();
    let reply = h.submit("sender-dk", &msg).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    h.stop().await;
}

/// Sends `GET /v1/messages/{random}` with `extra` header fields over
/// HTTP/1.1 or HTTP/2 and returns the status.
async fn status_with_headers(h: &Harness, alpn: &[u8], extra: usize) -> u16 {
    use http_body_util::Empty;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let tls = borderpost_tests::raw_tls_alpn(&h.pki, h.gateway.ingress, "sender-dk", alpn)
        .await
        .unwrap();
    let mut request = http::Request::get(format!(
        "https://localhost/v1/messages/{}",
        uuid::Uuid::new_v4()
    ));
    for i in 0..extra {
        request = request.header(format!("x-extra-{i}"), i.to_string());
    }
    let request = request.body(Empty::<bytes::Bytes>::new()).unwrap();
    let io = TokioIo::new(tls);
    let response = if alpn == b"h2" {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .unwrap();
        tokio::spawn(conn);
        sender.send_request(request).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        sender.send_request(request).await
    };
    match response {
        Ok(response) => response.status().as_u16(),
        // A server may also close the connection on a header flood.
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_count_limit_holds_on_http1_and_http2() {
    let h = Harness::start().await;
    // The default limit is 100 header fields.
    for alpn in [&b"http/1.1"[..], b"h2"] {
        let within = status_with_headers(&h, alpn, 50).await;
        assert_eq!(within, 404, "{}", String::from_utf8_lossy(alpn));
        let over = status_with_headers(&h, alpn, 1600).await;
        assert!(
            over == 431 || (alpn == b"http/1.1" && over == 0),
            "{}: {over}",
            String::from_utf8_lossy(alpn)
        );
    }
    h.stop().await;
}
