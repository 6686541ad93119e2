//! Project automation, run as `cargo xtask <task>`.
//!
//! - `ci [--skip-tests]`: formatting, clippy with warnings denied, the tests, signing-only
//!   builds of the gateway crates (and with only `async` or `subscriptions` on), the fuzz
//!   targets compiling, and the docs (as `docs`).
//! - `docs`: the workspace's docs with rustdoc warnings denied; fails when two targets would
//!   write the same doc directory (cargo reports an output filename collision).
//! - `deny`: installs cargo-deny if it is missing and runs the checks that work offline
//!   (bans, licenses, sources).
//! - `bench [--skip-stores] [--skip-build-cost]`: runs the criterion benchmarks and prints
//!   each figure as a ratio to the raw digest (or raw HTTP call) measured in the same run,
//!   with the allocations per operation and (unless skipped) the cold build costs, each
//!   against its target.
//! - `build-cost [PROGRAM...]`: cold-builds three tiny programs (`freekassa-signing-only`,
//!   `freekassa-default`, `payments-everything`: the full façade), or only those named, and
//!   reports time and compiled crates.
//! - `fuzz <target> <seconds> | all <seconds> | list`: runs the libFuzzer targets of
//!   `crates/payments-fuzz` (cargo-fuzz, installed if missing; nightly, else stable with
//!   `RUSTC_BOOTSTRAP=1` and no sanitizer), seeded from the test vectors and the committed
//!   example responses; prints the executions and fails on a crash, naming the artifact.
//! - `stores`: installs Debian's `postgresql` and `redis-server` if missing, starts each on a
//!   free loopback port with a temporary data directory, runs the store tests against them
//!   (none may skip), stops them, and ends with `stores: N passed, M failed`.
//! - `e2e`: installs Debian's `chromium` and `chromium-driver` if either is missing, then runs
//!   the browser test of the sandbox's checkout page and dashboard (ignored by the normal test
//!   run), which writes screenshots to `target/e2e/` and prints their paths.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool reports on the terminal"
)]

mod bench;
mod fuzz;
mod stores;

use std::env;
use std::process::{Command, ExitCode};

/// The crates whose `default-features = false` build must have no HTTP stack and still compile.
const SIGNING_ONLY_CRATES: &[&str] = &["payments-core", "feennex", "freekassa", "fena"];

/// Features between signing-only and the client, each checked alone on top of
/// `--no-default-features`: the async traits without an HTTP stack, the subscription model.
const PARTIAL_FEATURES: &[(&str, &str)] =
    &[("payments-core", "async"), ("payments-core", "subscriptions"), ("freekassa", "async")];

/// The façade's gateway features; each alone must compile that gateway and no other.
const GATEWAYS: &[&str] = &["feennex", "freekassa", "fena"];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(args.iter().any(|arg| arg == "--skip-tests")),
        Some("deny") => deny(),
        Some("docs") => docs(),
        Some("e2e") => e2e(),
        Some("stores") => stores::stores(),
        Some("bench") => bench::bench(args.get(1..).unwrap_or_default()),
        Some("build-cost") => bench::build_cost(args.get(1..).unwrap_or_default()),
        Some("fuzz") => fuzz::fuzz(args.get(1..).unwrap_or_default()),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci [--skip-tests] | docs | deny | e2e | stores | bench [--skip-stores] [--skip-build-cost] | build-cost [PROGRAM...] \
                 | fuzz <target> <seconds> | fuzz all <seconds> | fuzz list>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // An empty message: the task has reported already (`stores` ends on its summary).
            if !message.is_empty() {
                eprintln!("xtask: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

fn ci(skip_tests: bool) -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        &["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"],
        &[],
    )?;
    if !skip_tests {
        cargo(&["test", "--workspace", "--all-features"], &[])?;
    }
    for krate in SIGNING_ONLY_CRATES {
        cargo(
            &["check", "--package", krate, "--no-default-features"],
            &[("RUSTFLAGS", "-D warnings")],
        )?;
        no_http_stack(krate)?;
    }
    for (krate, feature) in PARTIAL_FEATURES {
        cargo(
            &["check", "--package", krate, "--no-default-features", "--features", feature],
            &[("RUSTFLAGS", "-D warnings")],
        )?;
    }
    for gateway in GATEWAYS {
        cargo(
            &["check", "--package", "payments", "--no-default-features", "--features", gateway],
            &[("RUSTFLAGS", "-D warnings")],
        )?;
        only_gateway(gateway)?;
    }
    // The fuzz targets live outside the workspace (cargo-fuzz builds them); check they still
    // compile against the crates they exercise, reusing the workspace's build directory.
    let root = bench::workspace_root()?;
    let target = root.join("target");
    let manifest = root.join("crates").join("payments-fuzz").join("Cargo.toml");
    cargo(&["fmt", "--manifest-path", &manifest.to_string_lossy(), "--", "--check"], &[])?;
    cargo(
        &["check", "--manifest-path", &manifest.to_string_lossy(), "--bins"],
        &[("RUSTFLAGS", "-D warnings"), ("CARGO_TARGET_DIR", &target.to_string_lossy())],
    )?;
    docs()?;
    println!("xtask ci: all checks passed");
    Ok(())
}

/// Builds the workspace's docs with rustdoc warnings as errors, and fails when cargo reports an
/// output filename collision: two targets writing the same doc directory race each other, and
/// the loser fails with "No such file or directory" only some of the time
/// (<https://github.com/rust-lang/cargo/issues/6313>).
fn docs() -> Result<(), String> {
    let args = ["doc", "--workspace", "--all-features", "--no-deps"];
    println!("$ cargo {}", args.join(" "));
    let output = Command::new(cargo_bin())
        .args(args)
        .env("RUSTDOCFLAGS", "-D warnings")
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprint!("{stderr}");
    if !output.status.success() {
        return Err(format!("`cargo {}` failed ({})", args.join(" "), output.status));
    }
    if stderr.contains("output filename collision") {
        return Err(format!(
            "`cargo {}` found two targets writing the same docs (see the collision above): \
             give one of them `doc = false`",
            args.join(" ")
        ));
    }
    Ok(())
}

/// Fails when the signing-only build of `krate` pulls in an HTTP client.
fn no_http_stack(krate: &str) -> Result<(), String> {
    let output = Command::new(cargo_bin())
        .args([
            "tree",
            "--package",
            krate,
            "--no-default-features",
            "--edges",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .map_err(|error| format!("cannot run cargo tree: {error}"))?;
    if !output.status.success() {
        return Err(format!("cargo tree failed for {krate}"));
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    for forbidden in ["reqwest ", "hyper ", "tokio "] {
        if tree.lines().any(|line| line.starts_with(forbidden)) {
            return Err(format!(
                "{krate} without default features depends on {}",
                forbidden.trim()
            ));
        }
    }
    println!("xtask: {krate} without default features has no HTTP stack");
    Ok(())
}

/// Fails when the façade built with only `gateway` pulls in another gateway crate.
fn only_gateway(gateway: &str) -> Result<(), String> {
    let output = Command::new(cargo_bin())
        .args(["tree", "--package", "payments", "--no-default-features", "--features", gateway])
        .args(["--edges", "normal", "--prefix", "none"])
        .output()
        .map_err(|error| format!("cannot run cargo tree: {error}"))?;
    if !output.status.success() {
        return Err(format!("cargo tree failed for payments --features {gateway}"));
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    for other in GATEWAYS {
        let present = tree.lines().any(|line| line.starts_with(&format!("{other} v")));
        if present != (other == &gateway) {
            return Err(format!("payments --features {gateway}: {other} present = {present}"));
        }
    }
    println!("xtask: payments --features {gateway} compiles {gateway} and no other gateway");
    Ok(())
}

fn deny() -> Result<(), String> {
    let installed = Command::new(cargo_bin())
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        println!("xtask: installing cargo-deny");
        cargo(&["install", "--locked", "cargo-deny"], &[])?;
    }
    // Advisories need the RustSec database from the network, which these machines cannot
    // reach; the other checks work offline.
    cargo(&["deny", "--all-features", "check", "bans", "licenses", "sources"], &[])
}

/// The browser and its WebDriver server, as Debian's `chromium` and `chromium-driver` install them.
const BROWSER_BINARIES: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromedriver"];

fn e2e() -> Result<(), String> {
    let missing: Vec<&str> = BROWSER_BINARIES
        .iter()
        .copied()
        .filter(|path| !std::path::Path::new(path).exists())
        .collect();
    if !missing.is_empty() {
        println!("xtask: {} missing, installing chromium and chromium-driver", missing.join(", "));
        run("apt-get", &["update"], &[])?;
        run(
            "apt-get",
            &["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"],
            &[("DEBIAN_FRONTEND", "noninteractive")],
        )?;
    }
    // `--nocapture`: the test prints where it wrote its screenshots.
    cargo(
        &[
            "test",
            "--package",
            "payments-sandbox",
            "--test",
            "browser",
            "--",
            "--ignored",
            "--nocapture",
        ],
        &[],
    )
}

/// Runs `program` with `args`, failing unless it exits successfully.
fn run(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .status()
        .map_err(|error| format!("cannot run {program}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    println!("$ cargo {}", args.join(" "));
    let status = Command::new(cargo_bin())
        .args(args)
        .envs(envs.iter().copied())
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

fn cargo_bin() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}
