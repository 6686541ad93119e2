//! `payments sandbox`: the emulator, until Ctrl-C.

use std::net::SocketAddr;

use payments_sandbox::{Sandbox, SandboxConfig};

use crate::{Failure, runtime};

/// Options of `payments sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The loopback port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8700)]
    port: u16,
    /// A JSON file with the shops to emulate (default: the demo shops).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                Failure::Usage(format!("cannot read {}: {error}", path.display()))
            })?;
            SandboxConfig::from_json(&text)
                .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?
        }
        None => SandboxConfig::demo(),
    };
    runtime()?.block_on(async {
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let sandbox = Sandbox::start(config, addr)
            .await
            .map_err(|error| Failure::Check(format!("cannot listen on {addr}: {error}")))?;
        println!("Sandbox listening on {}", sandbox.base_url());
        println!("  Feennex API      {}", sandbox.feennex_url());
        println!("  checkout pages   {}/checkout/<id>", sandbox.base_url());
        println!("  control API      {}/control/payments", sandbox.base_url());
        println!("Shops:");
        for line in sandbox.config().describe() {
            println!("  {line}");
        }
        println!("Press Ctrl-C to stop.");
        let _ = tokio::signal::ctrl_c().await;
        sandbox.shutdown().await;
        Ok(())
    })
}
