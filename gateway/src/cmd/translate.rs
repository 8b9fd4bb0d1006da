//! `borderpost translate`: run any decode/encode pair offline.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use borderpost_core::{
    Country, DecodeContext, EncodeContext, Part, PartyId, Postbox, Recipient, Scheme, Wire,
};
use borderpost_gateway::registry::Registry;
use borderpost_no::{CmsKey, DpiConfig, PART_DOKUMENTPAKKE, PART_FORRETNINGSMELDING};
use time::OffsetDateTime;
use uuid::Uuid;

/// The file a DPI part is read from (`--in-dir`) and written to
/// (`--out-dir`).
const DPI_FILES: [(&str, &str); 2] = [
    (PART_FORRETNINGSMELDING, "forretningsmelding.jwt"),
    (PART_DOKUMENTPAKKE, "dokumentpakke.cms"),
];

/// The example postbox provider (Posten/Digipost in KRR).
const EXAMPLE_PROVIDER: &str = "984661185";

/// The options of `borderpost translate`.
///
/// Norway (`no-dpi`, `no-dpi-receipt`, `no-sdp`) needs keys. Without
/// `--cert`/`--key`, the example PKI is used: `certs-example/sender-no` to
/// sign what is encoded, `certs-example/postbox-no` to decrypt what is
/// decoded and as the certificate packages are encrypted to. The
/// `certs-example` folder is looked up in the current directory, then in
/// the repository this binary was built from.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The protocol of the input (see `--list`).
    #[arg(long, required_unless_present = "list")]
    from: Option<String>,
    /// The protocol to produce.
    #[arg(long, required_unless_present = "list")]
    to: Option<String>,
    /// The recipient to encode for, as SCHEME:VALUE, when the message has
    /// several (or to address one the input does not name).
    #[arg(long)]
    recipient: Option<String>,
    /// Read multi-part input from DIR instead of stdin (no-dpi:
    /// forretningsmelding.jwt and dokumentpakke.cms; no-sdp:
    /// forretningsmelding.xml and dokumentpakke.cms; others: DIR/body).
    #[arg(long, value_name = "DIR")]
    in_dir: Option<PathBuf>,
    /// Write multi-part output (DPI: forretningsmelding.jwt and
    /// dokumentpakke.cms) as files in DIR.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Keys and Norwegian addressing.
    #[command(flatten)]
    norway: Box<NorwayArgs>,
    /// Translate a receipt (decode_receipt / encode_receipt) rather than a
    /// message; implied by no-dpi-receipt on either side.
    #[arg(long)]
    receipt: bool,
    /// The canonical JSON of the message a receipt is about (needed to
    /// encode a no-dpi-receipt).
    #[arg(long, value_name = "FILE")]
    original: Option<PathBuf>,
    /// A CA certificate (PEM) the signers of the input must chain to
    /// (repeatable). Decoding a signed message without one is refused.
    #[arg(long, value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// DANGEROUS: do not check the input signers' certificate chains, only
    /// that each signature verifies with the certificate it carries (for
    /// inspecting a message whose CA you do not have; anyone can make a
    /// certificate naming any organisation).
    #[arg(long, conflicts_with = "trust")]
    dangerous_skip_chain_check: bool,
    /// List the protocols and exit.
    #[arg(long)]
    list: bool,
}

/// The options only the Norwegian protocols use (kept apart, boxed, so
/// the command enum stays small).
#[derive(Debug, clap::Args)]
pub struct NorwayArgs {
    /// Certificate (PEM, chain may follow) of the key Borderpost signs and
    /// decrypts with. Default: certs-example/sender-no.crt to sign,
    /// certs-example/postbox-no.crt to decrypt.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The private key (PEM) belonging to --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The encryption certificate (PEM) of the Norwegian postbox or print
    /// provider (KRR `sertifikat`). Default: certs-example/postbox-no.crt.
    #[arg(long, value_name = "FILE")]
    recipient_cert: Option<PathBuf>,
    /// The Norwegian postbox address (KRR `postkasseadresse`) of a
    /// recipient the input does not resolve.
    #[arg(long, value_name = "ADDRESS")]
    postbox: Option<String>,
    /// The postbox provider's organisation number (KRR
    /// `postkasseleverandoeradresse`), with --postbox.
    #[arg(long, value_name = "ORGNR", default_value = EXAMPLE_PROVIDER)]
    postbox_provider: String,
    /// The Maskinporten access token DPI messages must carry. Borderpost
    /// never mints it: get it from Maskinporten (scope
    /// digitalpostinnbygger:send).
    #[arg(long, value_name = "TOKEN")]
    maskinporten_token: Option<String>,
}

/// What went wrong, for the exit status.
#[derive(Debug)]
pub enum Outcome {
    /// Translated.
    Done,
    /// The input was rejected by an adapter (the message is on stderr).
    Rejected,
}

/// Whether a protocol is one of Norway's (they need keys).
fn norwegian(protocol: &str) -> bool {
    protocol.starts_with("no-")
}

/// Runs the translation; adapter errors are reported on stderr as
/// `error[CODE]: message`.
pub fn run(args: &Args) -> anyhow::Result<Outcome> {
    let mut registry = Registry::with_defaults();
    if args.list {
        for name in registry.names() {
            println!("{name}");
        }
        return Ok(Outcome::Done);
    }
    let (Some(from), Some(to)) = (&args.from, &args.to) else {
        bail!("--from and --to are required");
    };
    // DPI encodes only with its configuration (the token), and verifies
    // signers against the anchors given.
    let mut trust_anchors = Vec::new();
    for path in &args.trust {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let certs = openssl::x509::X509::stack_from_pem(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .with_context(|| format!("{} holds no PEM certificate", path.display()))?;
        for cert in certs {
            trust_anchors.push(cert.to_der().context("encoding a trust anchor")?);
        }
    }
    if args.dangerous_skip_chain_check {
        eprintln!(
            "warning: --dangerous-skip-chain-check: signers' certificates are not checked against any CA"
        );
    }
    let config = DpiConfig {
        maskinporten_token: args.norway.maskinporten_token.clone(),
        trust_anchors,
        dangerous_skip_chain_check: args.dangerous_skip_chain_check,
        ..DpiConfig::default()
    };
    registry.insert(Arc::new(borderpost_no::Dpi::new(config.clone())));
    registry.insert(Arc::new(borderpost_no::DpiReceipts::new(config)));
    let lookup = |name: &str| {
        registry.get(name).with_context(|| {
            format!(
                "unknown protocol {name:?}; known: {}",
                registry.names().join(", ")
            )
        })
    };
    let (decoder, encoder) = (lookup(from)?, lookup(to)?);

    // Keys, loaded only for the Norwegian protocols that use them.
    let decrypter = norwegian(from)
        .then(|| load_key(args, "postbox-no"))
        .transpose()?;
    let signer = norwegian(to)
        .then(|| load_key(args, "sender-no"))
        .transpose()?;
    let recipient_cert = if to == "no-dpi" {
        Some(read_cert_der(
            &args
                .norway
                .recipient_cert
                .clone()
                .map_or_else(|| example("postbox-no.crt"), Ok)?,
        )?)
    } else {
        None
    };

    let input = read_input(args, from)?;
    let wire = Wire {
        parts: input
            .iter()
            .map(|(name, body)| Part {
                name,
                media_type: None,
                body,
            })
            .collect(),
    };
    let now = OffsetDateTime::now_utc();
    let mut decode_ctx = DecodeContext::new(now, Uuid::new_v4());
    decode_ctx.decrypter = decrypter.as_ref().map(|k| k as _);

    if args.receipt || from == "no-dpi-receipt" || to == "no-dpi-receipt" {
        let receipt = match decoder.decode_receipt(&wire, &decode_ctx) {
            Ok(receipt) => receipt,
            Err(e) => return Ok(rejected(&e)),
        };
        let original = match &args.original {
            Some(path) => {
                let json =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                match borderpost_core::canonical::decode(&json, &decode_ctx) {
                    Ok(message) => message,
                    Err(e) => return Ok(rejected(&e)),
                }
            }
            None if to == "canonical" => {
                let json =
                    serde_json::to_vec_pretty(&receipt).context("serialising the receipt")?;
                io::stdout().write_all(&json).context("writing stdout")?;
                return Ok(Outcome::Done);
            }
            None => bail!(
                "encoding a receipt in {to} needs --original FILE (the canonical JSON of the message it is about)"
            ),
        };
        let mut ctx = EncodeContext::new(now, Uuid::new_v4());
        ctx.signer = signer.as_ref().map(|k| k as _);
        return match encoder.encode_receipt(&receipt, &original, &ctx) {
            Ok(encoded) => write_output(args, to, &encoded),
            Err(e) => Ok(rejected(&e)),
        };
    }

    let message = match decoder.decode(&wire, &decode_ctx) {
        Ok(message) => message,
        Err(e) => return Ok(rejected(&e)),
    };
    let mut recipient = choose_recipient(&message.recipients, args.recipient.as_deref())?;
    if let Some(address) = &args.norway.postbox
        && recipient.postbox.is_none()
    {
        let provider = PartyId::parse(Scheme::NoOrgnr, &args.norway.postbox_provider)
            .with_context(|| format!("--postbox-provider {:?}", args.norway.postbox_provider))?;
        recipient.postbox = Some(Postbox {
            country: Country::No,
            address: address.clone(),
            provider: Some(provider),
        });
    }
    let mut encode_ctx = EncodeContext::new(now, message.id);
    encode_ctx.signer = signer.as_ref().map(|k| k as _);
    encode_ctx.recipient_certificate = recipient_cert.as_deref();
    match encoder.encode(&message, &recipient, &encode_ctx) {
        Ok(encoded) => write_output(args, to, &encoded),
        Err(e) => Ok(rejected(&e)),
    }
}

fn rejected(e: &borderpost_core::AdapterError) -> Outcome {
    eprintln!("error[{}]: {e}", e.code());
    Outcome::Rejected
}

/// The input parts: the files of `--in-dir`, or stdin as one part.
fn read_input(args: &Args, from: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    match &args.in_dir {
        Some(dir) if from == "no-dpi" || from == "no-sdp" => {
            let mut parts = Vec::new();
            for (part, file) in DPI_FILES {
                let path = dir.join(file);
                if from == "no-sdp" && part == PART_FORRETNINGSMELDING {
                    // Legacy SDP's business message is XML.
                    let xml = dir.join("forretningsmelding.xml");
                    let body = std::fs::read(&xml)
                        .with_context(|| format!("reading {}", xml.display()))?;
                    parts.push((part.to_owned(), body));
                    continue;
                }
                let body =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                parts.push((part.to_owned(), body));
            }
            Ok(parts)
        }
        Some(dir) => {
            let path = dir.join("body");
            let body =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            Ok(vec![("body".to_owned(), body)])
        }
        None => {
            if from == "no-dpi" {
                bail!(
                    "no-dpi has two parts: give --in-dir DIR with forretningsmelding.jwt and dokumentpakke.cms"
                );
            }
            let mut input = Vec::new();
            io::stdin()
                .read_to_end(&mut input)
                .context("reading stdin")?;
            Ok(vec![("body".to_owned(), input)])
        }
    }
}

fn write_output(
    args: &Args,
    to: &str,
    encoded: &borderpost_core::Encoded,
) -> anyhow::Result<Outcome> {
    for loss in &encoded.losses {
        eprintln!("loss: {}: {}", loss.field, loss.reason);
    }
    match (&args.out_dir, encoded.parts.as_slice()) {
        (Some(dir), parts) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for part in parts {
                let file = DPI_FILES
                    .iter()
                    .find(|(name, _)| *name == part.name && to.starts_with("no-dpi"))
                    .map_or(part.name.as_str(), |(_, file)| file);
                let path = dir.join(file);
                std::fs::write(&path, &part.body)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
        }
        (None, [single]) => io::stdout()
            .write_all(&single.body)
            .context("writing stdout")?,
        (None, parts) => bail!(
            "{to} produces {} parts ({}); give --out-dir DIR to write them",
            parts.len(),
            parts
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    Ok(Outcome::Done)
}

/// `--cert`/`--key`, or the example PKI's `default` pair.
fn load_key(args: &Args, default: &str) -> anyhow::Result<CmsKey> {
    let (cert, key) = match (&args.norway.cert, &args.norway.key) {
        (Some(cert), Some(key)) => (cert.clone(), key.clone()),
        _ => (
            example(&format!("{default}.crt"))?,
            example(&format!("{default}.key"))?,
        ),
    };
    let cert_pem = std::fs::read(&cert).with_context(|| format!("reading {}", cert.display()))?;
    let key_pem = std::fs::read(&key).with_context(|| format!("reading {}", key.display()))?;
    CmsKey::from_pem(&cert_pem, &key_pem)
        .with_context(|| format!("loading {} and {}", cert.display(), key.display()))
}

fn read_cert_der(path: &Path) -> anyhow::Result<Vec<u8>> {
    let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    borderpost_no::certificate_der_from_pem(&pem)
        .with_context(|| format!("{} is not a PEM certificate", path.display()))
}

/// A file of the example PKI: `./certs-example/NAME`, else the repository's.
fn example(name: &str) -> anyhow::Result<PathBuf> {
    let candidates = [
        PathBuf::from("certs-example").join(name),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../certs-example")
            .join(name),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .with_context(|| {
            format!("certs-example/{name} not found in the current directory or the repository; give --cert/--key (and --recipient-cert)")
        })
}

/// The recipient to encode for: the one named by `--recipient`, else the
/// message's only recipient.
fn choose_recipient(recipients: &[Recipient], wanted: Option<&str>) -> anyhow::Result<Recipient> {
    match wanted {
        Some(wanted) => {
            let id: PartyId = wanted
                .parse()
                .with_context(|| format!("--recipient {wanted:?} is not a valid SCHEME:VALUE"))?;
            Ok(recipients
                .iter()
                .find(|r| r.id.as_ref().is_some_and(|r| r.same_party(&id)))
                .cloned()
                .unwrap_or_else(|| Recipient::with_id(id)))
        }
        None => match recipients {
            [only] => Ok(only.clone()),
            _ => bail!(
                "the message has {} recipients; choose one with --recipient SCHEME:VALUE",
                recipients.len()
            ),
        },
    }
}
