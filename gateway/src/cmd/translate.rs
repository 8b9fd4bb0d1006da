//! `borderpost translate`: run any decode/encode pair offline.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use borderpost_core::{DecodeContext, EncodeContext, PartyId, Recipient, Wire};
use borderpost_gateway::registry::Registry;
use time::OffsetDateTime;
use uuid::Uuid;

/// The options of `borderpost translate`.
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
    /// Write multi-part output (e.g. DPI's two parts) as files in DIR.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// List the protocols and exit.
    #[arg(long)]
    list: bool,
}

/// What went wrong, for the exit status.
#[derive(Debug)]
pub enum Outcome {
    /// Translated.
    Done,
    /// The input was rejected by an adapter (the message is on stderr).
    Rejected,
}

/// Runs the translation; adapter errors are reported on stderr as
/// `error[CODE]: message`.
pub fn run(args: &Args) -> anyhow::Result<Outcome> {
    let registry = Registry::with_defaults();
    if args.list {
        for name in registry.names() {
            println!("{name}");
        }
        return Ok(Outcome::Done);
    }
    let (Some(from), Some(to)) = (&args.from, &args.to) else {
        bail!("--from and --to are required");
    };
    let lookup = |name: &str| {
        registry.get(name).with_context(|| {
            format!(
                "unknown protocol {name:?}; known: {}",
                registry.names().join(", ")
            )
        })
    };
    let (decoder, encoder) = (lookup(from)?, lookup(to)?);

    let mut input = Vec::new();
    io::stdin()
        .read_to_end(&mut input)
        .context("reading stdin")?;
    let now = OffsetDateTime::now_utc();
    let decode_ctx = DecodeContext::new(now, Uuid::new_v4());
    let message = match decoder.decode(&Wire::single(&input), &decode_ctx) {
        Ok(message) => message,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return Ok(Outcome::Rejected);
        }
    };

    let recipient = choose_recipient(&message.recipients, args.recipient.as_deref())?;
    let encode_ctx = EncodeContext::new(now, message.id);
    let encoded = match encoder.encode(&message, &recipient, &encode_ctx) {
        Ok(encoded) => encoded,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return Ok(Outcome::Rejected);
        }
    };
    for loss in &encoded.losses {
        eprintln!("loss: {}: {}", loss.field, loss.reason);
    }
    match (&args.out_dir, encoded.parts.as_slice()) {
        (Some(dir), parts) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for part in parts {
                let path = dir.join(&part.name);
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
