//! Where load goes: an `https://` URL, resolved once, loopback only unless
//! remote targets are allowed.

use std::net::{IpAddr, SocketAddr};

use rustls_pki_types::ServerName;

use super::LoadError;

/// A resolved `https://` URL.
#[derive(Debug, Clone)]
pub struct Target {
    /// The URL as given.
    pub url: String,
    /// The host as written in the URL (without IPv6 brackets); also the
    /// TLS server name.
    pub host: String,
    /// The `Host` header: host and port as written.
    pub authority: String,
    /// The path and query every request goes to.
    pub path: String,
    /// The address connections go to (the first the host resolved to).
    pub addr: SocketAddr,
}

// === impl Target ===

impl Target {
    /// Parses and resolves `url`. Every address the host resolves to must
    /// be a loopback address unless `allow_remote`: the generator is for
    /// this machine's servers (and a typo must not load someone else's).
    pub async fn resolve(url: &str, allow_remote: bool) -> Result<Target, LoadError> {
        let bad = |detail: &str| LoadError::Option {
            option: "target",
            detail: format!("{url:?}: {detail}"),
        };
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        if uri.scheme_str() != Some("https") {
            return Err(bad("only https:// URLs (the generator speaks mTLS)"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| bad("no host"))?
            .as_str()
            .to_owned();
        if authority.contains('@') {
            return Err(bad("user information in the URL is not supported"));
        }
        let host = uri
            .host()
            .ok_or_else(|| bad("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(443);
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| LoadError::Resolve {
                    host: host.clone(),
                    detail: e.to_string(),
                })?
                .collect(),
        };
        let Some(&addr) = addrs.first() else {
            return Err(LoadError::Resolve {
                host,
                detail: "no address".to_owned(),
            });
        };
        if !allow_remote && let Some(remote) = addrs.iter().find(|a| !is_loopback(a.ip())) {
            return Err(LoadError::NotLoopback {
                url: url.to_owned(),
                addr: remote.ip(),
            });
        }
        Ok(Target {
            url: url.to_owned(),
            host,
            authority,
            path,
            addr,
        })
    }

    /// The TLS server name (a DNS name or an IP address).
    pub(crate) fn server_name(&self) -> Result<ServerName<'static>, LoadError> {
        ServerName::try_from(self.host.clone()).map_err(|_| LoadError::Option {
            option: "target",
            detail: format!("{:?} is not a valid TLS server name", self.host),
        })
    }

    /// The same server with another path (and query).
    pub(crate) fn with_path(&self, path: &str) -> Target {
        Target {
            path: path.to_owned(),
            ..self.clone()
        }
    }
}

/// Whether `ip` is on this machine's loopback (127.0.0.0/8, ::1, or an
/// IPv4-mapped 127.x).
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}
