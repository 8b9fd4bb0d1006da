use std::time::Duration;

use borderpost_sim::{self as sim, Client, Delivery, Pki, Reply, Running};
use tokio::net::TcpListener;

pub fn pki() -> Pki {
    sim::find_pki().expect("certs-example/ beside the crate")
}

pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// The gateway's client certificate (issued by the federation root).
pub fn client() -> Client {
    Client::new(&pki(), "gateway").unwrap()
}

pub fn url(running: &Running, path: &str) -> String {
    format!("https://{}{path}", running.addr)
}

pub async fn deliveries(client: &Client, running: &Running) -> Vec<Delivery> {
    let reply = client.get(&url(running, "/sim/deliveries")).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    serde_json::from_slice(&reply.body).unwrap()
}

pub async fn delivery(client: &Client, running: &Running, id: &str) -> Delivery {
    deliveries(client, running)
        .await
        .into_iter()
        .find(|d| d.message_id == id)
        .unwrap_or_else(|| panic!("no delivery {id}"))
}

pub async fn set_mode(client: &Client, running: &Running, mode: &str, delay: Duration) {
    let body = format!(r#"{{"mode":"{mode}","delay_ms":{}}}"#, delay.as_millis());
    let reply = client
        .post(&url(running, "/sim/mode"), "application/json", body)
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// The body of a JSON reply.
pub fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", reply.text()))
}
