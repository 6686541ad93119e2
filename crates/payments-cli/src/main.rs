//! `payments`: an offline demo of every gateway, the local sandbox, and signature debugging.
//!
//! Exit status: 0 on success, 1 when a demo step or a verification fails, 2 on bad usage.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool reports on the terminal"
)]

mod demo;
mod ordered;
mod sandbox;
mod secret;
mod sign;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Payments SDK tools: run the whole payment flow offline, and debug signatures.
#[derive(Debug, Parser)]
#[command(name = "payments", version, about, after_help = SECRETS_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How every secret option is given, shown under each command's help.
const SECRETS_HELP: &str = "Secrets: every secret option --NAME takes its value literally, even \
when it begins with '-' or '@' (--secret1 -x7 or --secret1=-x7); --NAME-file PATH reads it from \
a file instead, without one trailing newline, and --NAME-file - reads standard input; without \
either, it comes from the environment variable the option names. Secrets are never printed.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the sandbox and a webhook receiver, and run every gateway's payment flow.
    Demo,
    /// Run the gateway sandbox until stopped, printing every gateway's URLs.
    Sandbox(sandbox::Args),
    /// Sign fields the way a gateway does.
    #[command(subcommand)]
    Sign(sign::Command),
    /// Verify a notification the way the SDK does.
    #[command(subcommand)]
    Verify(verify::Command),
}

/// How a command failed.
#[derive(Debug)]
enum Failure {
    /// A check failed (exit 1).
    Check(String),
    /// The command was used wrongly (exit 2).
    Usage(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo::run(),
        Command::Sandbox(args) => sandbox::run(&args),
        Command::Sign(command) => sign::run(command),
        Command::Verify(command) => verify::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Check(reason)) => {
            eprintln!("{reason}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(reason)) => {
            eprintln!("usage error: {reason}");
            ExitCode::from(2)
        }
    }
}

/// A tokio runtime for the commands that need one.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Failure::Check(format!("cannot start the async runtime: {error}")))
}

/// Splits `KEY=VALUE` arguments, keeping their order.
fn pairs(arguments: &[String]) -> Result<Vec<(String, String)>, Failure> {
    arguments
        .iter()
        .map(|argument| {
            argument
                .split_once('=')
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .ok_or_else(|| Failure::Usage(format!("{argument:?} is not KEY=VALUE")))
        })
        .collect()
}
