//! Building each configured upstream's transport.

use std::sync::Arc;

use borderpost_no::{CmsKey, Dpi, DpiConfig, DpiReceipts};

use super::breaker::Breaker;
use super::client::UpstreamClient;
use super::dk::DkTransport;
use super::no::NoTransport;
use super::{Transport, Upstream};
use crate::config::{Config, Upstream as UpstreamConfig};
use crate::pki;
use crate::registry::Registry;

/// Why an upstream could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("upstream {name}: {message}")]
pub struct BuildError {
    /// The route name.
    pub name: String,
    /// What went wrong.
    pub message: String,
}

/// Every configured upstream, and each one's HTTP client by name (for
/// certificate reloads).
pub type Built = (Vec<Upstream>, Vec<(String, UpstreamClient)>);

/// Every configured upstream, ready to deliver, and their HTTP clients (for
/// certificate reloads).
pub fn upstreams(config: &Config, registry: &Registry) -> Result<Built, BuildError> {
    let mut upstreams = Vec::new();
    let mut clients = Vec::new();
    for u in config.upstreams.values() {
        let fail = |message: String| BuildError {
            name: u.name.clone(),
            message,
        };
        let client = UpstreamClient::new(u).map_err(|e| fail(e.to_string()))?;
        clients.push((u.name.clone(), client.clone()));
        let transport: Box<dyn Transport> = match u.protocol.as_str() {
            "dk-memo-1.1" | "dk-memo-1.2" => {
                let memo = registry
                    .get(&u.protocol)
                    .ok_or_else(|| fail(format!("unknown protocol {}", u.protocol)))?;
                let print = match &u.print_protocol {
                    Some(p) => Some(
                        registry
                            .get(p)
                            .ok_or_else(|| fail(format!("unknown protocol {p}")))?,
                    ),
                    None => None,
                };
                Box::new(DkTransport::new(client, memo, print))
            }
            "no-dpi" => Box::new(no_transport(u, client).map_err(fail)?),
            other => return Err(fail(format!("Borderpost has no transport for {other} yet"))),
        };
        upstreams.push(Upstream {
            name: u.name.clone(),
            transport,
            breaker: Breaker::new(
                config.delivery.breaker_failures,
                config.delivery.breaker_cooldown,
            ),
            quota: u.quota.map(crate::limits::direct),
        });
    }
    Ok((upstreams, clients))
}

fn no_transport(u: &UpstreamConfig, client: UpstreamClient) -> Result<NoTransport, String> {
    let signing = u
        .signing
        .as_ref()
        .ok_or("DPI needs a signing certificate")?;
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let signer = CmsKey::from_pem(&read(&signing.certificate)?, &read(&signing.key)?)
        .map_err(|e| e.to_string())?;
    let token = u
        .maskinporten_token
        .clone()
        .ok_or("DPI needs a Maskinporten token")?;
    let directory_url = u
        .directory_url
        .clone()
        .ok_or("DPI needs the KRR directory URL")?;
    let mut directory_config = u.clone();
    directory_config.url = directory_url;
    let directory = UpstreamClient::new(&directory_config).map_err(|e| e.to_string())?;
    let mut anchors = Vec::new();
    for path in &u.trust {
        for cert in pki::load_certificates(path).map_err(|e| e.to_string())? {
            anchors.push(cert.to_vec());
        }
    }
    let dpi = Dpi::new(DpiConfig {
        maskinporten_token: Some(token.clone()),
        kanal: u.kanal.clone(),
        ..DpiConfig::default()
    });
    // Receipts must be signed by a certificate that chains to the anchors
    // pinned for this upstream.
    let receipts = DpiReceipts::new(DpiConfig {
        trust_anchors: anchors,
        ..DpiConfig::default()
    });
    Ok(NoTransport::new(
        client,
        directory,
        dpi,
        receipts,
        Arc::new(signer),
        token,
        u.kanal.clone(),
    ))
}
