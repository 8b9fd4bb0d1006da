use super::*;
use crate::demo;

fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example")
}

fn demo_text() -> String {
    demo::config_toml(
        &certs(),
        Path::new("/tmp/borderpost-config-test"),
        &demo::Ports::default(),
    )
}

fn errors(text: &str) -> Vec<String> {
    match Config::parse(text, Path::new("/")) {
        Ok(_) => Vec::new(),
        Err(ConfigErrors(errors)) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_demo_configuration_is_valid() {
    let config = Config::parse(&demo_text(), Path::new("/")).unwrap();
    assert_eq!(config.server.organisation.to_string(), "dk-cvr:13748136");
    assert_eq!(config.upstreams["no"].country, Country::No);
    assert_eq!(config.trust.anchors.len(), 5);
    assert_eq!(config.senders.len(), 4);
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let text = demo_text()
        .replace("gateway.key\"\n\n[trust]", "sender-dk.key\"\n\n[trust]")
        .replace("country = \"no\"", "country = \"xx\"")
        .replace("retry_max = \"10s\"", "retry_max = \"ten seconds\"")
        .replace("id = \"dk-cvr:55133018\"", "id = \"dk-cvr:55133019\"")
        .replace("ca-fi.crt", "missing.crt");
    let found = errors(&text);
    for key in [
        "server.private_key:",
        "upstreams.no.country:",
        "delivery.retry_max:",
        "senders[0].id:",
        "trust.fi[0]:",
    ] {
        assert!(
            found.iter().any(|e| e.starts_with(key)),
            "{key} not in {found:#?}"
        );
    }
    assert!(
        found
            .iter()
            .any(|e| e.contains("does not belong to the certificate")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|e| e.contains("check digit should be 8")),
        "{found:#?}"
    );
}

#[test]
fn unknown_keys_and_bad_syntax_are_errors() {
    let found = errors(&format!("{}\n[server2]\nx = 1\n", demo_text()));
    assert!(found.iter().any(|e| e.contains("server2")), "{found:#?}");
    let found = errors("[server\nlisten=");
    assert!(found[0].starts_with("(syntax)"), "{found:#?}");
}

#[test]
fn dpi_upstreams_need_token_signer_and_directory() {
    let text = demo_text()
        .replace("maskinporten_token = ", "# maskinporten_token = ")
        .replace("directory_url = ", "# directory_url = ");
    let found = errors(&text);
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("upstreams.no.maskinporten_token:")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("upstreams.no.directory_url:")),
        "{found:#?}"
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("72h"), Some(Duration::from_secs(72 * 3600)));
    assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86400)));
    assert_eq!(parse_duration("7"), None);
    assert_eq!(parse_duration("h"), None);
    assert_eq!(parse_duration("99999999999999999999h"), None);
}

#[test]
fn a_dpi_ingress_without_norwegian_anchors_is_refused() {
    // The demo trusts ca-no for Norwegian senders; without it the DPI
    // ingress could not check who signed a business message.
    let text = demo_text().replace(
        &format!("no = [\"{}\"]", certs().join("ca-no.crt").display()),
        "no = []",
    );
    assert_ne!(text, demo_text());
    let found = errors(&text);
    assert!(
        found.iter().any(|e| e.starts_with("trust.no:")),
        "{found:#?}"
    );
}

#[test]
fn a_ca_without_a_crl_is_refused_unless_dangerously_allowed() {
    let crl = format!("\"{}\", ", certs().join("ca-se.crl").display());
    let text = demo_text().replacen(&crl, "", 1);
    assert_ne!(text, demo_text());
    let found = errors(&text);
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("trust.crls:") && e.contains("Example Root CA SE")),
        "{found:#?}"
    );
    let allowed = text.replace(
        "[trust]\n",
        "[trust]\ndangerous_allow_unknown_revocation_status = true\n",
    );
    let config = Config::parse(&allowed, Path::new("/")).unwrap();
    assert_eq!(config.dangerous_options().len(), 1);
    assert!(
        Config::parse(&demo_text(), Path::new("/"))
            .unwrap()
            .dangerous_options()
            .is_empty()
    );
}

#[test]
fn limits_the_journal_could_not_hold_are_refused_naming_the_key_and_the_bound() {
    let with = |extra: &str| errors(&format!("{}\n{extra}\n", demo_text()));
    // 512 MiB bodies: one message could need a record over the log's limit.
    let found = with("[limits]\nmax_body_bytes = 536870912");
    let error = found
        .iter()
        .find(|e| e.starts_with("limits.max_body_bytes:"))
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(
        error.contains("journal's limit of 1073741824 bytes per record"),
        "{error}"
    );
    // The same through a route's override, named as that route's key.
    let found = with("[limits.routes.dk]\nmax_body_bytes = 536870912");
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("limits.routes.dk.max_body_bytes:")),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|e| e.starts_with("limits.max_body_bytes")),
        "{found:#?}"
    );
    // More recipients than a copy index can number.
    let found = with("[limits]\nmax_recipients = 70000");
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("limits.max_recipients:") && e.contains("65535")),
        "{found:#?}"
    );
    // The check is exactly the journal's bound: the largest body it names
    // is accepted, one byte more is not.
    let longest_sender = "Digitaliseringsdirektoratet (example)".len();
    let largest = journal::largest_body(
        &Limits {
            max_body_bytes: 1 << 30,
            ..Limits::default()
        },
        longest_sender,
        2,
    );
    assert!(
        error.contains(&format!("at most {largest} fits")),
        "{error}"
    );
    assert!(with(&format!("[limits]\nmax_body_bytes = {largest}")).is_empty());
    assert_eq!(
        with(&format!("[limits]\nmax_body_bytes = {}", largest + 1)).len(),
        1
    );
}
