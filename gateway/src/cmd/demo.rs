//! `borderpost demo`: the gateway, the example PKI, and in-process
//! simulators of every national system Borderpost has an adapter for.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use borderpost_gateway::config::Config;
use borderpost_gateway::demo::{self, Ports};
use borderpost_gateway::gateway;
use borderpost_sim as sim;
use tokio::net::TcpListener;

/// The options of `borderpost demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the configuration the demo runs with, and exit.
    #[arg(long)]
    print_config: bool,
    /// Where the journal and the demo files go.
    #[arg(long, value_name = "DIR", default_value = "data/demo")]
    data: PathBuf,
    /// The example PKI (default: `certs-example/` here or in a parent).
    #[arg(long, value_name = "DIR")]
    certs: Option<PathBuf>,
    /// The gateway's ingress address.
    #[arg(long, default_value = "127.0.0.1:8443")]
    ingress: SocketAddr,
    /// The admin address.
    #[arg(long, default_value = "127.0.0.1:9090")]
    admin: SocketAddr,
    /// The Danish simulator's address.
    #[arg(long, default_value = "127.0.0.1:8501")]
    dk: SocketAddr,
    /// The Norwegian simulator's address.
    #[arg(long, default_value = "127.0.0.1:8502")]
    no: SocketAddr,
}

/// Runs the demo until Ctrl-C.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let certs = match &args.certs {
        Some(dir) => dir.clone(),
        None => demo::find_certs()
            .context("cannot find certs-example/ (run from the repository, or give --certs DIR)")?,
    };
    let certs = std::fs::canonicalize(&certs).with_context(|| format!("{}", certs.display()))?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating {}", args.data.display()))?;
    let data = std::fs::canonicalize(&args.data)?;
    let ports = Ports {
        ingress: args.ingress,
        admin: args.admin,
        dk: args.dk,
        no: args.no,
    };
    let text = demo::config_toml(&certs, &data, &ports);
    if args.print_config {
        print!("{text}");
        return Ok(());
    }
    let config_path = data.join("borderpost.toml");
    std::fs::write(&config_path, &text)
        .with_context(|| format!("writing {}", config_path.display()))?;
    let config = Config::load(&config_path)
        .map_err(|e| anyhow::anyhow!("the demo configuration is invalid:\n{e}"))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("borderpost")
        .build()?;
    runtime.block_on(async move {
        let pki = sim::Pki::new(&certs);
        let dk = sim::dk::start(bind(args.dk).await?, &pki, sim::dk::DkOptions::default())?;
        let no = sim::no::start(bind(args.no).await?, &pki, sim::no::NoOptions::default())?;
        let running = gateway::start(config)
            .await
            .context("starting the gateway")?;
        let message = write_message(&data)?;
        print_instructions(
            &certs,
            &data,
            &message,
            running.ingress,
            running.admin,
            dk.addr,
            no.addr,
        );
        super::serve::wait_for_signal().await;
        running.stop().await;
        dk.stop().await;
        no.stop().await;
        Ok(())
    })
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(addr).await {
        Ok(listener) => Ok(listener),
        Err(e) => bail!(
            "cannot listen on {addr}: {e} (is another demo running? see --help for the address options)"
        ),
    }
}

/// Writes an example message (a fresh id each run) to a Danish and a
/// Norwegian recipient. Returns its id.
fn write_message(data: &Path) -> anyhow::Result<uuid::Uuid> {
    let id = uuid::Uuid::new_v4();
    // A one-page PDF saying "Hello from Borderpost".
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 72 760 Td (Hello from Borderpost) Tj ET\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    let message = serde_json::json!({
        "id": id,
        "sender": { "id": "dk-cvr:55133018", "name": "Example Kommune" },
        "recipients": [
            { "id": "dk-cpr:0707614285", "name": "Mette Hansen" },
            { "id": "no-fnr:31129956715", "name": "Ola Nordmann" }
        ],
        "subject": "Your kindergarten place",
        "notification": "You have a letter from Example Kommune",
        "documents": [{
            "filename": "offer.pdf",
            "media_type": "application/pdf",
            "language": "en",
            "title": "Offer of a kindergarten place",
            "content": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pdf)
        }]
    });
    let path = data.join("message.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&message)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(id)
}

fn print_instructions(
    certs: &Path,
    data: &Path,
    id: &uuid::Uuid,
    ingress: SocketAddr,
    admin: SocketAddr,
    dk: SocketAddr,
    no: SocketAddr,
) {
    let c = |name: &str| certs.join(name).display().to_string();
    let curl = format!(
        "curl --cacert {ca} --cert {cert} --key {key}",
        ca = c("ca-all.crt"),
        cert = c("sender-dk.crt"),
        key = c("sender-dk.key"),
    );
    let host = |addr: SocketAddr| format!("localhost:{}", addr.port());
    println!(
        "\nBorderpost demo is running (Ctrl-C stops it).\n\
         \n  gateway   https://{gw}   (admin http://{admin}/metrics)\
         \n  Denmark   https://{dk}   (Digital Post simulator)\
         \n  Norway    https://{no}   (DPI access point + KRR simulator)\
         \n\nSend a message from Example Kommune (dk-cvr:55133018) to a Danish and a Norwegian recipient:\n\
         \n  {curl} -H 'content-type: application/json' --data @{message} https://{gw}/v1/messages\n\
         \nSee where each copy is:\n\
         \n  {curl} https://{gw}/v1/messages/{id}\n\
         \nWhat the national systems received:\n\
         \n  {curl} https://{dk}/sim/deliveries\
         \n  {curl} https://{no}/sim/deliveries\n",
        gw = host(ingress),
        admin = admin,
        dk = host(dk),
        no = host(no),
        message = data.join("message.json").display(),
    );
}
