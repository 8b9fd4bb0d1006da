//! The catalogue: every case with its stable id, suite, requirement and
//! source.
//!
//! **Ids are stable**: a case keeps its id for as long as it exists, and a
//! retired id is never reused, so a JUnit history stays comparable across
//! versions. The prefix names the interface a case speaks to — `TLS`
//! (the TLS layer and identity), `ID` (identifier rules), `API` (the
//! canonical API), `DK` / `NO` (the national ingress routes), `JRN`
//! (journal semantics: idempotency, duplicates), `LIM` (limits) — and
//! the hundreds say what it checks there: `0xx` ingress, `1xx`
//! translation fidelity, `2xx` receipts and status. The suite groups
//! cases by concern; `--suite` selects by suite, `--case` by id prefix.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use super::Ctx;
use super::cases::{api, dk, identifiers, journal, limits, no, transport};
use super::report::Outcome;

/// A suite: one concern of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suite {
    /// Transport security: client certificates, TLS versions, identity
    /// that cannot be spoofed.
    Transport,
    /// National identifier rules at the canonical API.
    Identifiers,
    /// The canonical API's own contract (answers, problem details).
    Api,
    /// The Danish ingress (`/dk/memo`): official samples, hostile input.
    DkIngress,
    /// The Norwegian ingress (`/no/dpi`): DPI messages, tampering.
    NoIngress,
    /// A message through the target arrives with every mapped field.
    Translation,
    /// Repeats, conflicts and duplicate deliveries.
    Idempotency,
    /// Status and receipts, per protocol.
    Receipts,
    /// Body size, quota, header and nesting limits.
    Limits,
}

impl Suite {
    /// Every suite, in run order.
    pub const ALL: [Suite; 9] = [
        Suite::Transport,
        Suite::Identifiers,
        Suite::Api,
        Suite::DkIngress,
        Suite::NoIngress,
        Suite::Translation,
        Suite::Idempotency,
        Suite::Receipts,
        Suite::Limits,
    ];

    /// The suite's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Transport => "transport",
            Suite::Identifiers => "identifiers",
            Suite::Api => "api",
            Suite::DkIngress => "dk-ingress",
            Suite::NoIngress => "no-ingress",
            Suite::Translation => "translation",
            Suite::Idempotency => "idempotency",
            Suite::Receipts => "receipts",
            Suite::Limits => "limits",
        }
    }

    /// Every suite's name.
    pub fn names() -> Vec<&'static str> {
        Suite::ALL.iter().map(|s| s.name()).collect()
    }

    /// The suite called `name`.
    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A case's body: given the run's context, a verdict with evidence.
pub type CaseFn = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// One test case.
#[derive(Clone, Copy)]
pub struct Case {
    /// The stable id, e.g. `TLS-001`.
    pub id: &'static str,
    /// The suite.
    pub suite: Suite,
    /// The requirement, in one line.
    pub requirement: &'static str,
    /// Where the requirement comes from: a DESIGN section, an RFC, a
    /// national rule, an adapter README.
    pub source: &'static str,
    /// The check.
    pub run: CaseFn,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("id", &self.id)
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// Builds the catalogue from `(id, suite, function, requirement, source)`
/// rows; the function is an `async fn(&Ctx) -> Outcome`.
macro_rules! cases {
    ($( $id:literal, $suite:ident, $f:path, $req:literal, $src:literal; )*) => {
        vec![ $( Case {
            id: $id,
            suite: Suite::$suite,
            requirement: $req,
            source: $src,
            run: |ctx| Box::pin($f(ctx)),
        }, )* ]
    };
}

/// Every case, in run order (suite order, then id).
pub fn catalogue() -> Vec<Case> {
    let mut all = cases![
        // --- transport security ---
        "TLS-001", Transport, transport::no_certificate,
            "A client that presents no certificate is refused at the TLS handshake",
            "DESIGN §6 (client certificate required), §7; RFC 8446 §4.4.2 / RFC 5246 §7.4.6";
        "TLS-002", Transport, transport::unknown_ca,
            "A certificate from an untrusted CA with a trusted CA's name (sender-dk-unknown-ca) is refused at the handshake",
            "DESIGN §7 (trust anchors per role); RFC 5280 §6.1; certs-example/README.md negative cases";
        "TLS-003", Transport, transport::expired,
            "An expired client certificate (sender-dk-expired) is refused at the handshake",
            "RFC 5280 §4.1.2.5 / §6.1.3; certs-example/README.md negative cases";
        "TLS-004", Transport, transport::not_yet_valid,
            "A client certificate that is not yet valid (sender-dk-notyet) is refused at the handshake",
            "RFC 5280 §4.1.2.5; certs-example/README.md negative cases";
        "TLS-005", Transport, transport::revoked,
            "A revoked client certificate (sender-dk-revoked, in ca-dk.crl) is refused at the handshake",
            "DESIGN §7 (CRLs checked); RFC 5280 §5, §6.3";
        "TLS-006", Transport, transport::server_only_eku,
            "A certificate without the clientAuth extended key usage (sender-dk-serveronly) is refused at the handshake",
            "RFC 5280 §4.2.1.12 (id-kp-clientAuth)";
        "TLS-007", Transport, transport::tls_1_1,
            "A client offering at most TLS 1.1 is refused",
            "DESIGN §10 (TLS 1.2+ only); RFC 8996 (TLS 1.0 and 1.1 deprecated)";
        "TLS-008", Transport, transport::tls_1_0,
            "A client offering at most TLS 1.0 is refused",
            "DESIGN §10 (TLS 1.2+ only); RFC 8996";
        "TLS-009", Transport, transport::good_certificate,
            "The sender's certificate is accepted over TLS 1.2 or 1.3, and the server's certificate chains to the given CA",
            "DESIGN §6, §10; RFC 8446; RFC 5246";
        "TLS-020", Transport, transport::spoofed_headers,
            "Headers claiming another identity (X-Client-Cert, X-Forwarded-Client-Cert, X-Sender, X-SSL-Client-S-DN…) change nothing",
            "DESIGN §7 (identity from the certificate only; identity headers stripped); STYLE habit 7";
        "TLS-021", Transport, transport::sender_mismatch,
            "A message whose sender is not the certificate's organisation is refused with 403",
            "DESIGN §7 (a sender may only send as itself, else 403); adapters/core README (Message.sender)";
        "TLS-022", Transport, transport::unconfigured_sender,
            "A valid certificate of an organisation not configured to send (sender-dk-other) is refused with 403",
            "DESIGN §7; DESIGN §10 (no route is open to a caller that is not configured for it)";
        "TLS-023", Transport, transport::appended_certificates,
            "Certificates a client sends after its own chain do not change who it is: a sender with a peer gateway's certificate appended is still served as that sender",
            "DESIGN §7 (role from the trust anchor); RFC 8446 §4.4.2 (the chain may carry certificates not needed for the path); RFC 5280 §6.1";
        // --- identifiers ---
        "ID-001", Identifiers, identifiers::cpr_valid,
            "Valid CPR numbers are accepted, including numbers without the modulus-11 check",
            "adapters/core README (dk-cpr: date check, no modulus 11); CPR-kontoret, numbers without check digit since 2007";
        "ID-002", Identifiers, identifiers::cpr_invalid_date,
            "A CPR number with an impossible date (32 January) is refused, saying the day does not exist",
            "adapters/core README (dk-cpr); protocols/dk/NOTES.md";
        "ID-003", Identifiers, identifiers::cvr_check_digit,
            "A CVR number with a wrong check digit is refused, naming the expected digit",
            "adapters/core README (dk-cvr: weights 2,7,6,5,4,3,2,1, mod 11)";
        "ID-004", Identifiers, identifiers::fnr_valid_and_d_number,
            "Norwegian fødselsnumre and D-numbers (day + 40) are accepted",
            "adapters/core README (no-fnr); Skatteetaten, D-nummer";
        "ID-005", Identifiers, identifiers::fnr_check_digit,
            "A fødselsnummer with a wrong second check digit is refused",
            "adapters/core README (no-fnr: two mod-11 check digits)";
        "ID-006", Identifiers, identifiers::se_pnr_valid,
            "Swedish personnummer and samordningsnummer (day + 60) are accepted as identifiers",
            "adapters/core README (se-pnr); Skatteverket SKV 704 / SKV 707";
        "ID-007", Identifiers, identifiers::se_pnr_luhn,
            "A Swedish personnummer failing the Luhn check is refused",
            "adapters/core README (se-pnr: Luhn)";
        "ID-008", Identifiers, identifiers::fi_hetu_new_signs,
            "Finnish HETUs with the century signs introduced in 2023 (Y, E, …) are accepted as identifiers",
            "adapters/core README (fi-hetu); Finnish Government decree 128/2022 (new century signs)";
        "ID-009", Identifiers, identifiers::fi_hetu_check,
            "A HETU with a wrong check character is refused, naming the expected one",
            "adapters/core README (fi-hetu: mod-31 check character)";
        "ID-010", Identifiers, identifiers::iso6523,
            "ISO 6523 identifiers are validated as the national number their ICD names (0192:123456789 refused)",
            "adapters/core README (iso6523); ISO/IEC 6523 ICD list";
        "ID-011", Identifiers, identifiers::sender_iso6523,
            "The certificate's organisation written as ISO 6523 (iso6523:ICD:value) is the same sender",
            "adapters/core README (PartyId: two spellings of one number are the same identifier); DESIGN §7";
        // --- the canonical API ---
        "API-001", Api, api::accepted_shape,
            "A valid message is answered 202 with its id and each recipient's route and status",
            "DESIGN §6 (POST /v1/messages: 202 with the id and the route per recipient)";
        "API-002", Api, api::malformed_problem,
            "Malformed JSON is answered 400 application/problem+json with type, title, status, detail and code malformed",
            "RFC 9457 §3; DESIGN §6 (errors); adapters/core README (codes)";
        "API-003", Api, api::unknown_field,
            "An unknown field is refused (422 schema): a misspelt field is an error, not a dropped instruction",
            "adapters/core README (unknown fields are rejected)";
        "API-004", Api, api::missing_subject,
            "A message without its required subject is refused with 422 schema",
            "adapters/core README (Message.subject required)";
        "API-005", Api, api::not_utf8,
            "A body that is not UTF-8 is refused with 400 encoding",
            "adapters/core README (text is UTF-8; code encoding)";
        "API-006", Api, api::wrong_method,
            "A method a route does not take is answered 405 with a problem document",
            "RFC 9110 §15.5.6; RFC 9457";
        "API-007", Api, api::unknown_route,
            "An unknown route is answered 404 with a problem document",
            "RFC 9110 §15.5.5; RFC 9457";
        "API-008", Api, api::unverified_representative,
            "A message naming a representative the sender's certificate does not prove is refused with 403 forbidden",
            "DESIGN §7 (identity only from the certificate); adapters/core README (sender.representative)";
        // --- Danish ingress ---
        "DK-001", DkIngress, dk::samples_as_published,
            "Every official MeMo sample as published is refused with Fejlet invalid-identifier (sender CVR 12345678 fails modulus 11, placeholder ids)",
            "adapters/dk README (identifiers, the official samples); protocols/dk memo-1.1, memo-1.2, memo-1.0-scenario";
        "DK-002", DkIngress, dk::samples_corrected,
            "Every official MeMo sample is accepted (202 Kvittering ModtagetDigitalPost) once its sender is the certificate's organisation and its placeholders are valid",
            "adapters/dk README; protocols/dk MeMo 1.0/1.1/1.2 examples";
        "DK-003", DkIngress, dk::doctype,
            "A MeMo with a DOCTYPE and entities (XXE / entity expansion) is refused with Fejlet forbidden-construct before parsing",
            "DESIGN §10, §13 (reject <!DOCTYPE before any parser); OWASP XXE";
        "DK-004", DkIngress, dk::malformed,
            "A MeMo that is not well-formed XML is refused with Fejlet malformed",
            "adapters/core README (malformed); XML 1.0 §2.1";
        "DK-005", DkIngress, dk::schema_violation,
            "A MeMo with an element the schema does not allow is refused with Fejlet schema (422)",
            "MeMo_core.xsd 1.1 (xs:sequence); adapters/dk README (schema check)";
        "DK-006", DkIngress, dk::filename_rule,
            "A MeMo file name with a forbidden character is refused with Fejlet business-rule (dk.filename-characters)",
            "Digital Post 'øget validering' (digitaliser.dk, Nov 2024); adapters/dk README (business rules)";
        "DK-007", DkIngress, dk::http_link,
            "The official 1.1 Full example with its http:// action link is refused with Fejlet business-rule (dk.action-https)",
            "Digital Post 'øget validering' (https links since 10 Sep 2025); adapters/dk README";
        "DK-008", DkIngress, dk::recipient_invalid,
            "A MeMo recipient CPR with an impossible date is refused with Fejlet invalid-identifier",
            "adapters/dk README (identifiers); adapters/core README (dk-cpr)";
        "DK-009", DkIngress, dk::not_utf8,
            "A MeMo declared in ISO-8859-1 is refused with Fejlet encoding",
            "adapters/dk README (non-UTF-8 input refused); MeMo is UTF-8";
        "DK-010", DkIngress, dk::wrong_sender,
            "A MeMo whose sender is not the certificate's organisation is refused with 403 Fejlet forbidden",
            "DESIGN §7";
        "DK-011", DkIngress, dk::unknown_version,
            "A MeMo of a version no one publishes (memoVersion 9.9) is refused with Fejlet unsupported-version",
            "adapters/dk README (versions read: 1.0, 1.1, 1.2)";
        "DK-012", DkIngress, dk::unverified_representative,
            "A MeMo 1.2 naming a Representative the sender's certificate does not prove is refused with 403 Fejlet forbidden",
            "DESIGN §7; MeMo 1.2 Sender/Representative (conformance/protocols/dk/NOTES.md)";
        // --- Norwegian ingress ---
        "NO-001", NoIngress, no::valid_message,
            "A DPI message (JWT signed by the sender, package encrypted to the target's DPI certificate) is accepted with 201",
            "DPI OpenAPI (openapi_spec.yaml) POST /messages/out; felleslosninger docs dpi_forretningsmelding, dpi_dokumentpakke_sikkerhet";
        "NO-002", NoIngress, no::no_token,
            "POST /messages/out without a bearer token is answered 401 problem",
            "DPI OpenAPI (global bearer security requirement); RFC 6750 §3";
        "NO-003", NoIngress, no::tampered_signature,
            "The official business message sample, re-signed and then tampered with in its signature, is refused with 400 signature-invalid",
            "RFC 7515 §5.2 (JWS validation); dpi-2022 komplette/digital-forretningsmelding.json";
        "NO-004", NoIngress, no::wrong_fingerprint,
            "The official business message sample keeping its published dokumentpakkefingeravtrykk, sent with another package, is refused with 400 fingerprint-mismatch",
            "felleslosninger docs dpi_dokumentpakke_sikkerhet (fingerprint = SHA-256 of the CMS); dpi-2022 komplette sample";
        "NO-005", NoIngress, no::published_sample,
            "The official complete sample as published (signed by Digdir's test certificate, encrypted to Digdir's keystore) is refused with 400 signature-invalid",
            "DESIGN §7 (trust anchors per role); dpi-2022 komplette/digital-forretningsmelding.jwt + .cms";
        "NO-006", NoIngress, no::signer_mismatch,
            "The official business message sample signed by an organisation other than its SBDH sender is refused with 403 signer-mismatch",
            "felleslosninger docs (the SBDH sender signs the business message); adapters/no README";
        "NO-007", NoIngress, no::wrong_recipient_key,
            "A package encrypted to another certificate than the target's is refused with 400 content-invalid",
            "RFC 5652 §6 (EnvelopedData); dpi_dokumentpakke_sikkerhet";
        "NO-008", NoIngress, no::not_multipart,
            "A body that is not multipart/form-data is refused with a 4xx problem (malformed)",
            "DPI OpenAPI (multipart/form-data: forretningsmelding, dokumentpakke); RFC 7578";
        "NO-009", NoIngress, no::bad_kanal,
            "An invalid kanal parameter is refused with 400 problem",
            "DPI OpenAPI (kanal: [A-Za-z0-9_-]{1,28})";
        "NO-010", NoIngress, no::wrong_identity,
            "A DPI message whose avsender is not the certificate's organisation is refused with 403",
            "DESIGN §7";
        "NO-011", NoIngress, no::sample_resigned,
            "The official business message sample, re-addressed, re-signed by the sender and sent with a package encrypted to the target, is accepted with 201",
            "dpi-2022 komplette/digital-forretningsmelding.json; DPI OpenAPI POST /messages/out";
        "NO-012", NoIngress, no::one_answer_for_sealed_content,
            "Packages that fail after their fingerprint matched (broken padding, not a ZIP, encrypted to another certificate) all get one answer: 400 content-invalid, the same text",
            "Vaudenay, 'Security Flaws Induced by CBC Padding' (EUROCRYPT 2002); RFC 5652 §6.3 (CBC padding); adapters/core AdapterError::Sealed";
        // --- translation fidelity ---
        "API-101", Translation, api::to_denmark,
            "A canonical message arrives at Digital Post as MeMo with every mapped field intact (only documented losses)",
            "adapters/dk README (translation table MeMo ↔ canonical)";
        "API-102", Translation, api::to_norway,
            "A canonical message arrives at the DPI access point with every mapped field intact (only documented losses)",
            "adapters/no README (mapping DPI ↔ canonical)";
        "DK-101", Translation, dk::to_norway,
            "A MeMo to a Norwegian recipient (idType Andet, idTypeLabel no-fnr) arrives in Norway as DPI with its fields intact",
            "adapters/dk README (Andet + idTypeLabel); adapters/no README (mapping)";
        "NO-101", Translation, no::to_denmark,
            "A DPI message to a Danish recipient (postkasseadresse dk-cpr:…) arrives at Digital Post as MeMo with its fields intact",
            "adapters/no README (foreign recipients); adapters/dk README (translation table)";
        // --- idempotency and duplicates ---
        "JRN-001", Idempotency, journal::repeat_same_answer,
            "Repeating a submission returns the first answer byte for byte",
            "DESIGN §8 (idempotent intake: the same sender + id returns the first answer)";
        "JRN-002", Idempotency, journal::repeat_one_delivery,
            "A repeated submission is delivered once (one arrival at the national system)",
            "DESIGN §8 (never delivered twice; at-least-once delivery, exactly-once effect)";
        "JRN-003", Idempotency, journal::conflict,
            "The same id with different content is refused with 409",
            "DESIGN §8 (the same id with different content is 409); RFC 9110 §15.5.10";
        "JRN-004", Idempotency, journal::idempotency_key,
            "An Idempotency-Key stands in for a missing id: two posts, one message, one delivery",
            "DESIGN §6 (Idempotency-Key header); draft-ietf-httpapi-idempotency-key-header";
        "JRN-005", Idempotency, journal::memo_repeat,
            "A repeated MeMo is accepted again (202 ModtagetDigitalPost) and delivered once",
            "DESIGN §8; adapters/dk README";
        "JRN-006", Idempotency, journal::dpi_repeat,
            "A repeated DPI message is accepted again (201) and delivered once",
            "DESIGN §8; DPI OpenAPI";
        "JRN-007", Idempotency, journal::same_id_other_sender,
            "The same message id from another sender is a different message, not a conflict",
            "DESIGN §8 (sender + message id make intake idempotent)";
        // --- receipts and status ---
        "API-201", Receipts, api::delivered_with_receipt,
            "Each copy reaches delivered, with the native receipt it came from in its history",
            "DESIGN §4 (Lifecycle: each event carries its native receipt); DESIGN §6 (GET /v1/messages/{id})";
        "API-202", Receipts, api::status_only_for_sender,
            "A message's status is visible to its sender only: another sender gets 404, as does an unknown id",
            "DESIGN §6 (GET /v1/messages/{id}: the sender who sent it); ids cannot be probed";
        "API-203", Receipts, api::evidence_pack,
            "The evidence pack is the sender's alone; every record is an RS256 JWS by a certificate under the CA, chained per copy, naming the message and its native receipts' digests",
            "DESIGN §9 (signed evidence, verifiable with standard JOSE tools); ETSI EN 319 522; RFC 7515";
        "DK-201", Receipts, dk::status_kvittering,
            "GET /dk/memo/{messageUUID} answers a Kvittering AfleveretDigitalPost for a delivered MeMo, 404 Fejlet for another sender",
            "adapters/dk README (Receipts: Kvittering); SF1601 PKO_PostStatus names";
        "NO-201", Receipts, no::statuses,
            "GET /messages/out/{id}/statuses lists OPPRETTET then SENDT for a delivered message, 404 for another sender",
            "DPI OpenAPI (statuses)";
        "NO-202", Receipts, no::receipts,
            "GET /messages/in lists receipts on the message's kanal that verify (RS256, signer chain) and name the message as delivered",
            "DPI OpenAPI (GET /messages/in); adapters/no README (receipts and correlation)";
        "NO-203", Receipts, no::read_removes,
            "POST /messages/in/{id}/read removes a receipt from the list",
            "DPI OpenAPI (POST /messages/in/{id}/read)";
        // --- limits ---
        "LIM-001", Limits, limits::oversize_canonical,
            "A declared body over the size limit is refused with 413 problem (too-large) before the body is read",
            "DESIGN §10 (maximum body size); RFC 9110 §15.5.14; adapters/core Limits (64 MiB default)";
        "LIM-002", Limits, limits::oversize_dk,
            "An oversize MeMo is refused with 413 in the Danish format (Kvittering Fejlet too-large) before the body is read",
            "DESIGN §6 (each national route answers in its own error format), §10";
        "LIM-003", Limits, limits::oversize_no,
            "An oversize DPI request is refused with 413 problem before the body is read",
            "DESIGN §10; DPI OpenAPI (problem+json errors)";
        "LIM-004", Limits, limits::too_many_recipients,
            "A message with more recipients than the limit is refused with 413 too-large",
            "adapters/core README (recipients: 1 to 1000, configurable)";
        "LIM-005", Limits, limits::too_deep,
            "JSON nested deeper than the limit is refused with 400 too-deep before it is parsed",
            "DESIGN §10 (JSON depth limits); adapters/core README (too-deep)";
        "LIM-006", Limits, limits::too_many_headers,
            "A request with more header fields than the limit is refused (431) and not processed",
            "DESIGN §10 (header limits); RFC 6585 §5";
        "LIM-007", Limits, limits::quota,
            "A sender over its quota gets 429 with Retry-After (and a problem document)",
            "DESIGN §10 (token buckets, 429 + Retry-After); RFC 6585 §4; RFC 9110 §10.2.3";
        "LIM-008", Limits, limits::quota_danish,
            "A sender over its quota gets 429 with Retry-After on the Danish route, in the Danish format (Kvittering FejletMidlertidigt rate-limited: a temporary error)",
            "DESIGN §6 (each national route answers in its own format), §10; adapters/dk README (FejletMidlertidigt = a temporary error)";
    ];
    all.sort_by_key(|c| (c.suite, order(c.id)));
    all
}

/// Sort key of an id within its suite: the prefix in catalogue order,
/// then the number.
fn order(id: &str) -> (usize, u32) {
    const PREFIXES: [&str; 7] = ["TLS", "ID", "API", "DK", "NO", "JRN", "LIM"];
    let (prefix, number) = id.split_once('-').unwrap_or((id, "0"));
    (
        PREFIXES
            .iter()
            .position(|p| *p == prefix)
            .unwrap_or(PREFIXES.len()),
        number.parse().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_documented() {
        let all = catalogue();
        let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "duplicate ids");
        for case in &all {
            let (prefix, number) = case.id.split_once('-').unwrap();
            assert!(
                ["TLS", "ID", "API", "DK", "NO", "JRN", "LIM"].contains(&prefix),
                "{}",
                case.id
            );
            assert_eq!(number.len(), 3, "{}", case.id);
            assert!(!case.requirement.is_empty() && !case.source.is_empty());
        }
        for name in Suite::names() {
            assert!(
                all.iter().any(|c| c.suite.name() == name),
                "{name} is empty"
            );
            assert_eq!(Suite::from_name(name).map(Suite::name), Some(name));
        }
    }

    #[test]
    fn the_readme_lists_the_catalogue() {
        let readme = include_str!("../../README.md");
        for case in catalogue() {
            let row = format!(
                "| `{}` | {} | {} | {} |",
                case.id,
                case.suite.name(),
                case.requirement.replace('|', "\\|"),
                case.source.replace('|', "\\|")
            );
            assert!(readme.contains(&row), "README.md lacks the row\n{row}");
        }
    }
}
