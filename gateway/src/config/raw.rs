//! The configuration file exactly as written: serde structs, no meaning
//! attached yet. Unknown keys are errors (a misspelt key must not silently
//! fall back to a default).

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) server: Option<RawServer>,
    pub(crate) trust: Option<RawTrust>,
    pub(crate) journal: Option<RawJournal>,
    pub(crate) delivery: Option<RawDelivery>,
    pub(crate) limits: Option<RawLimits>,
    pub(crate) policy: Option<RawPolicy>,
    pub(crate) rate_limits: Option<RawRateLimits>,
    #[serde(default)]
    pub(crate) senders: Vec<RawSender>,
    #[serde(default)]
    pub(crate) upstreams: BTreeMap<String, RawUpstream>,
    pub(crate) ingress: Option<RawIngress>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: Option<String>,
    pub(crate) admin: Option<String>,
    pub(crate) certificate: Option<String>,
    pub(crate) private_key: Option<String>,
    pub(crate) organisation: Option<String>,
    pub(crate) reload_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTrust {
    #[serde(default)]
    pub(crate) dk: Vec<String>,
    #[serde(default)]
    pub(crate) no: Vec<String>,
    #[serde(default)]
    pub(crate) se: Vec<String>,
    #[serde(default)]
    pub(crate) fi: Vec<String>,
    #[serde(default)]
    pub(crate) federation: Vec<String>,
    #[serde(default)]
    pub(crate) crls: Vec<String>,
    pub(crate) dangerous_allow_unknown_revocation_status: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJournal {
    pub(crate) dir: Option<String>,
    pub(crate) payload_key: Option<String>,
    pub(crate) cache_bytes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDelivery {
    pub(crate) concurrency: Option<usize>,
    pub(crate) max_age: Option<String>,
    pub(crate) retry_initial: Option<String>,
    pub(crate) retry_max: Option<String>,
    pub(crate) breaker_failures: Option<u32>,
    pub(crate) breaker_cooldown: Option<String>,
    pub(crate) receipt_poll: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub(crate) max_body_bytes: Option<u64>,
    pub(crate) max_recipients: Option<usize>,
    pub(crate) max_documents: Option<usize>,
    pub(crate) max_document_bytes: Option<u64>,
    pub(crate) max_depth: Option<usize>,
    pub(crate) header_read_timeout: Option<String>,
    pub(crate) body_read_timeout: Option<String>,
    pub(crate) idle_timeout: Option<String>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) max_in_flight: Option<usize>,
    pub(crate) max_headers: Option<usize>,
    pub(crate) max_header_bytes: Option<usize>,
    pub(crate) h2_max_concurrent_streams: Option<u32>,
    #[serde(default)]
    pub(crate) routes: BTreeMap<String, RawRouteLimits>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRouteLimits {
    pub(crate) max_body_bytes: Option<u64>,
    pub(crate) body_read_timeout: Option<String>,
    pub(crate) max_recipients: Option<usize>,
    pub(crate) max_documents: Option<usize>,
    pub(crate) max_document_bytes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimits {
    pub(crate) sender_per_second: Option<u32>,
    pub(crate) sender_burst: Option<u32>,
    pub(crate) peer_per_second: Option<u32>,
    pub(crate) peer_burst: Option<u32>,
    #[serde(default)]
    pub(crate) overrides: Vec<RawQuota>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQuota {
    pub(crate) id: Option<String>,
    pub(crate) per_second: Option<u32>,
    pub(crate) burst: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    pub(crate) translation: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSender {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) acts_for: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstream {
    pub(crate) country: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) protocol: Option<String>,
    pub(crate) print_protocol: Option<String>,
    pub(crate) client_certificate: Option<String>,
    pub(crate) client_key: Option<String>,
    #[serde(default)]
    pub(crate) trust: Vec<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) signing_certificate: Option<String>,
    pub(crate) signing_key: Option<String>,
    pub(crate) maskinporten_token: Option<String>,
    pub(crate) kanal: Option<String>,
    pub(crate) directory_url: Option<String>,
    pub(crate) max_per_second: Option<u32>,
    pub(crate) burst: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIngress {
    pub(crate) no: Option<RawNoIngress>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNoIngress {
    pub(crate) decryption_certificate: Option<String>,
    pub(crate) decryption_key: Option<String>,
    pub(crate) signing_certificate: Option<String>,
    pub(crate) signing_key: Option<String>,
}
