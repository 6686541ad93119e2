//! `payments sandbox`: the emulator, until Ctrl-C.

use std::net::SocketAddr;

use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

use crate::{Failure, runtime};

/// Options of `payments sandbox`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Prints every URL it serves, where each shop's notifications go, and the \
shops' credentials. The --*-notify flags set every shop's settings URL of that gateway, over the \
config file's; a notification URL given in a request is handled as with a config file.")]
pub struct Args {
    /// The loopback port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8700)]
    port: u16,
    /// A JSON file with the shops to emulate (default: the demo shops).
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Send every Feennex shop's callbacks here (the shop-settings callback URL).
    #[arg(long, value_name = "URL", value_parser = notify_url)]
    feennex_notify: Option<String>,
    /// Send every Freekassa shop's notifications here (the cabinet's notification URL).
    #[arg(long, value_name = "URL", value_parser = notify_url)]
    freekassa_notify: Option<String>,
    /// Send every Fena terminal's webhooks here (the terminal's webhook endpoint).
    #[arg(long, value_name = "URL", value_parser = notify_url)]
    fena_notify: Option<String>,
}

/// A notification URL: absolute `http` or `https`, with a host.
fn notify_url(text: &str) -> Result<String, String> {
    let uri: http::Uri = text.parse().map_err(|error| format!("not a URL: {error}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err("expected an absolute http:// or https:// URL".to_owned());
    }
    Ok(text.to_owned())
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                Failure::Usage(format!("cannot read {}: {error}", path.display()))
            })?;
            SandboxConfig::from_json(&text)
                .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?
        }
        None => SandboxConfig::demo(),
    };
    if let Some(url) = &args.feennex_notify {
        for shop in &mut config.feennex {
            shop.callback_url = Some(url.clone());
        }
    }
    if let Some(url) = &args.freekassa_notify {
        for shop in &mut config.freekassa {
            shop.notification_url = Some(url.clone());
        }
    }
    if let Some(url) = &args.fena_notify {
        for terminal in &mut config.fena {
            terminal.webhook_url = Some(url.clone());
        }
    }
    runtime()?.block_on(async {
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let sandbox = Sandbox::start(config, addr)
            .await
            .map_err(|error| Failure::Check(format!("cannot listen on {addr}: {error}")))?;
        for line in describe(&sandbox) {
            println!("{line}");
        }
        println!("Press Ctrl-C to stop.");
        let _ = tokio::signal::ctrl_c().await;
        sandbox.shutdown().await;
        Ok(())
    })
}

/// What `payments sandbox` prints: every URL it serves, where notifications go, the shops.
fn describe(sandbox: &RunningSandbox) -> Vec<String> {
    let base = sandbox.base_url();
    let mut lines = vec![
        format!("Sandbox listening on {base}"),
        format!("  dashboard               {}", sandbox.dashboard_url()),
        format!("  Feennex API             {}", sandbox.feennex_url()),
        format!("  Feennex payment form    {}", sandbox.feennex_pay_form_url()),
        format!("  Freekassa payment form  {}", sandbox.freekassa_form_url()),
        format!("  Freekassa API v1        {}", sandbox.freekassa_api_url()),
        format!("  Fena pay page           {}?token=<payment link token>", sandbox.fena_pay_url()),
        format!("  checkout pages          {base}/checkout/<id>"),
        format!("  control API             GET  {base}/control/payments"),
        format!("                          POST {base}/control/payments/<id>/pay"),
        format!("                          POST {base}/control/payments/<id>/reject"),
        format!("                          POST {base}/control/payments/<id>/redeliver"),
        format!("  faults on demand        POST {}", sandbox.faults_url()),
        "                          (gateway, endpoint, kind: timeout, status, gateway_error,"
            .to_owned(),
        "                          lose_answer; times; JSON or a form); GET lists, DELETE clears"
            .to_owned(),
        "Notifications:".to_owned(),
    ];
    let config = sandbox.config();
    let target = |url: &Option<String>, otherwise: &str| match url {
        Some(url) => url.clone(),
        None => otherwise.to_owned(),
    };
    for shop in &config.feennex {
        let to = target(&shop.callback_url, "the request's callback_url only");
        lines.push(format!("  feennex shop {}  -> {to}", shop.shop_id));
    }
    for shop in &config.freekassa {
        let to = target(&shop.notification_url, "the API order's notification_url only");
        lines.push(format!("  freekassa shop {}  -> {to}", shop.shop_id));
    }
    for terminal in &config.fena {
        let to = target(&terminal.webhook_url, "none (no webhook endpoint set)");
        lines.push(format!("  fena terminal {}  -> {to}", terminal.terminal_id));
    }
    lines.push("Shops:".to_owned());
    lines.extend(config.describe().into_iter().map(|line| format!("  {line}")));
    lines
}
