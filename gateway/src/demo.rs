//! `borderpost demo`: the gateway with the example PKI, a journal under a
//! data directory, and local simulators of every national system that has
//! an adapter — the first thing a new user runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the demo's parts listen.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// The gateway's ingress.
    pub ingress: SocketAddr,
    /// The gateway's admin listener.
    pub admin: SocketAddr,
    /// The Danish Digital Post simulator.
    pub dk: SocketAddr,
    /// The Norwegian DPI access point (and KRR) simulator.
    pub no: SocketAddr,
}

impl Default for Ports {
    fn default() -> Self {
        let at = |port| SocketAddr::from(([127, 0, 0, 1], port));
        Ports {
            ingress: at(8443),
            admin: at(9090),
            dk: at(8501),
            no: at(8502),
        }
    }
}

/// The Maskinporten token the demo hands to the Norwegian simulator. In
/// production it comes from Maskinporten; Borderpost never mints one.
pub const DEMO_MASKINPORTEN_TOKEN: &str = "demo-maskinporten-token-not-valid-outside-the-simulator";

/// Finds the example PKI: `certs-example/` under the current directory or
/// any parent, else next to the source tree this binary was built from.
pub fn find_certs() -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok();
    while let Some(d) = dir {
        let candidate = d.join("certs-example");
        if candidate.join("gateway.crt").is_file() {
            return Some(candidate);
        }
        dir = d.parent().map(Path::to_owned);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example");
    built.join("gateway.crt").is_file().then_some(built)
}

/// The demo's configuration as TOML, with absolute paths so it can be saved
/// and run with `borderpost serve --config`.
pub fn config_toml(certs: &Path, data: &Path, ports: &Ports) -> String {
    let c = |name: &str| toml_str(&certs.join(name));
    let d = |name: &str| toml_str(&data.join(name));
    format!(
        r#"# Borderpost demo configuration: the example PKI (public keys, tests only)
# and local simulators of the national systems.

[server]
listen = "{ingress}"
admin = "{admin}"
certificate = {gateway_crt}
private_key = {gateway_key}

[trust]
dk = [{ca_dk}]
no = [{ca_no}]
se = [{ca_se}]
fi = [{ca_fi}]
federation = [{ca_federation}]
crls = [{crl_dk}, {crl_no}, {crl_se}, {crl_fi}, {crl_federation}]

[journal]
dir = {journal}
payload_key = {payload_key}

[delivery]
retry_initial = "200ms"
retry_max = "10s"
receipt_poll = "500ms"
breaker_cooldown = "2s"

[[senders]]
id = "dk-cvr:55133018"
name = "Example Kommune"

[[senders]]
id = "no-orgnr:991825827"
name = "Digitaliseringsdirektoratet (example)"

[[senders]]
id = "se-orgnr:2021004748"
name = "Kommun A (example)"

[[senders]]
id = "fi-ytunnus:1366959-8"
name = "Example Oy"

[upstreams.dk]
country = "dk"
url = "https://{dk}"
protocol = "dk-memo-1.1"
print_protocol = "dk-fjernprint"
client_certificate = {gateway_crt}
client_key = {gateway_key}
trust = [{ca_dk}]

[upstreams.no]
country = "no"
url = "https://{no}"
protocol = "no-dpi"
client_certificate = {gateway_crt}
client_key = {gateway_key}
trust = [{ca_no}]
signing_certificate = {gateway_crt}
signing_key = {gateway_key}
maskinporten_token = "{token}"
kanal = "borderpost"
directory_url = "https://{no}/krr"

[ingress.no]
decryption_certificate = {gateway_crt}
decryption_key = {gateway_key}
signing_certificate = {gateway_crt}
signing_key = {gateway_key}
"#,
        ingress = ports.ingress,
        admin = ports.admin,
        dk = ports.dk,
        no = ports.no,
        token = DEMO_MASKINPORTEN_TOKEN,
        gateway_crt = c("gateway.crt"),
        gateway_key = c("gateway.key"),
        ca_dk = c("ca-dk.crt"),
        ca_no = c("ca-no.crt"),
        ca_se = c("ca-se.crt"),
        ca_fi = c("ca-fi.crt"),
        ca_federation = c("ca-federation.crt"),
        crl_dk = c("ca-dk.crl"),
        crl_no = c("ca-no.crl"),
        crl_se = c("ca-se.crl"),
        crl_fi = c("ca-fi.crl"),
        crl_federation = c("ca-federation.crl"),
        journal = d("journal"),
        payload_key = d("payload.key"),
    )
}

/// A path as a TOML basic string.
fn toml_str(path: &Path) -> String {
    let text = path.display().to_string();
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
