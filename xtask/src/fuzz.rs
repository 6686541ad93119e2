//! `cargo xtask fuzz`: the coverage-guided fuzz targets of `crates/payments-fuzz`.
//!
//! - `cargo xtask fuzz list` prints the targets.
//! - `cargo xtask fuzz <target> <seconds>` seeds the target's corpus from the test vectors
//!   (`testdata/vectors`) and the committed example responses (`crates/payments-fuzz/seeds`),
//!   then runs libFuzzer for that long with a 10 s hang limit and a 2 GiB memory limit. It
//!   prints the number of executions and fails on any crash, naming the artifact to replay.
//! - `cargo xtask fuzz all <seconds>` runs every target in turn.
//!
//! cargo-fuzz is installed when missing. It needs a nightly toolchain for the sanitizers;
//! without one it runs on stable with `RUSTC_BOOTSTRAP=1` and no sanitizer (Rust code has no
//! memory errors to find without `unsafe`; panics, hangs and memory blow-ups are still found).

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The fuzz targets, as named in `crates/payments-fuzz/Cargo.toml`.
pub const TARGETS: &[&str] = &[
    "feennex_callback",
    "freekassa_notification",
    "fena_webhook",
    "feennex_responses",
    "freekassa_responses",
    "fena_responses",
];

/// Runs `cargo xtask fuzz <args>`.
///
/// # Errors
///
/// Bad arguments, a tool that cannot run, or a crash found.
pub fn fuzz(args: &[String]) -> Result<(), String> {
    let root = crate::bench::workspace_root()?;
    match args {
        [list] if list == "list" => {
            for target in TARGETS {
                println!("{target}");
            }
            Ok(())
        }
        [all, seconds] if all == "all" => {
            let seconds = parse_seconds(seconds)?;
            let mut executions = Vec::new();
            for target in TARGETS {
                executions.push((target, run(&root, target, seconds)?));
            }
            println!("\nxtask fuzz: every target ran {seconds} s clean");
            for (target, runs) in executions {
                println!("  {target:<24} {runs:>12} executions");
            }
            Ok(())
        }
        [target, seconds] if TARGETS.contains(&target.as_str()) => {
            let seconds = parse_seconds(seconds)?;
            let runs = run(&root, target, seconds)?;
            println!("\nxtask fuzz: {target} ran {seconds} s clean, {runs} executions");
            Ok(())
        }
        _ => Err(format!(
            "usage: cargo xtask fuzz <list | all <seconds> | <target> <seconds>>; targets: {}",
            TARGETS.join(", ")
        )),
    }
}

fn parse_seconds(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| format!("{text:?} is not a number of seconds"))
}

/// Runs one target; returns the number of executions.
fn run(root: &Path, target: &str, seconds: u64) -> Result<u64, String> {
    ensure_cargo_fuzz()?;
    let fuzz_dir = root.join("crates").join("payments-fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    fs::create_dir_all(&corpus)
        .map_err(|error| format!("cannot create {}: {error}", corpus.display()))?;
    let seeded = seed(root, &fuzz_dir, target, &corpus)?;
    println!("xtask fuzz: {target}: {seeded} seeds in {}", corpus.display());

    let nightly = has_nightly();
    let mut command = Command::new("cargo");
    if nightly {
        command.arg("+nightly");
    } else {
        println!("xtask fuzz: no nightly toolchain; stable with RUSTC_BOOTSTRAP=1, no sanitizer");
        command.env("RUSTC_BOOTSTRAP", "1");
    }
    command.args(["fuzz", "run", "--fuzz-dir"]).arg(&fuzz_dir);
    if !nightly {
        command.args(["--sanitizer", "none"]);
    }
    command.arg(target).arg(&corpus).args([
        "--",
        &format!("-max_total_time={seconds}"),
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-malloc_limit_mb=512",
        "-print_final_stats=1",
    ]);
    println!("$ {command:?}");
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run cargo fuzz: {error}"))?;
    let mut executions = None;
    let mut crash = None;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // Progress lines are many; keep the rest, which say what happened.
            if !line.starts_with('#') {
                eprintln!("{line}");
            }
            if let Some(count) = line.strip_prefix("stat::number_of_executed_units:") {
                executions = count.trim().parse().ok();
            }
            if line.contains("Test unit written to") {
                crash = Some(line.clone());
            }
        }
    }
    let status = child.wait().map_err(|error| format!("cargo fuzz did not finish: {error}"))?;
    if let Some(line) = crash {
        return Err(format!("{target} found a failing input: {line}"));
    }
    if !status.success() {
        return Err(format!("`cargo fuzz run {target}` failed ({status})"));
    }
    executions.ok_or_else(|| format!("{target}: libFuzzer printed no execution count"))
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if installed {
        return Ok(());
    }
    crate::run("cargo", &["install", "cargo-fuzz", "--locked"], &[])
}

fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Writes the seeds of `target` into `corpus`: inputs built from the test vectors, then the
/// committed files of `seeds/<target>`. Returns how many there are.
fn seed(root: &Path, fuzz_dir: &Path, target: &str, corpus: &Path) -> Result<usize, String> {
    let mut seeds = vector_seeds(root, target)?;
    let committed = fuzz_dir.join("seeds").join(target);
    if committed.is_dir() {
        let entries = fs::read_dir(&committed)
            .map_err(|error| format!("cannot list {}: {error}", committed.display()))?;
        for entry in entries.map_while(Result::ok) {
            let body = read(&entry.path())?;
            // Each example is fed as a 200 and as a 400 (the first byte picks the status).
            for status in [0_u8, 2] {
                let name = format!("{}-{status}", entry.file_name().to_string_lossy());
                seeds.push((name, [vec![status], body.clone()].concat()));
            }
        }
    }
    for (name, bytes) in &seeds {
        let path = corpus.join(format!("seed-{name}"));
        fs::write(&path, bytes)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    Ok(seeds.len())
}

/// Seeds from `testdata/vectors`, prefixed with the mode byte each target reads first.
fn vector_seeds(root: &Path, target: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let vectors = |gateway: &str| -> Result<Value, String> {
        let path = root.join("testdata").join("vectors").join(format!("{gateway}.json"));
        serde_json::from_slice(&read(&path)?)
            .map_err(|error| format!("{}: {error}", path.display()))
    };
    let entries = |value: &Value, key: &str| -> Vec<Value> {
        value.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let text = |entry: &Value, key: &str| -> Vec<u8> {
        entry.get(key).and_then(Value::as_str).unwrap_or_default().as_bytes().to_vec()
    };
    let mut seeds = Vec::new();
    let mut add = |name: String, mode: u8, bytes: Vec<u8>| {
        seeds.push((name, [vec![mode], bytes].concat()));
    };
    match target {
        "feennex_callback" => {
            for (index, entry) in entries(&vectors("feennex")?, "callbacks").iter().enumerate() {
                let json =
                    entry.get("content_type").and_then(Value::as_str) == Some("application/json");
                let body = text(entry, "body");
                add(format!("callback-{index}"), u8::from(json), body.clone());
                if !json {
                    add(format!("callback-{index}-resigned"), 2, body);
                }
            }
        }
        "freekassa_notification" => {
            let notifications = entries(&vectors("freekassa")?, "notification");
            for (index, entry) in notifications.iter().enumerate() {
                for mode in [0, 1, 3] {
                    add(format!("notification-{index}-{mode}"), mode, text(entry, "body"));
                }
            }
        }
        "fena_webhook" => {
            let fena = vectors("fena")?;
            for (index, entry) in entries(&fena, "valid").iter().enumerate() {
                let token = text(entry, "token");
                add(format!("valid-{index}-form"), 0, [b"token=".to_vec(), token.clone()].concat());
                add(format!("valid-{index}-token"), 1, token);
                let claims = entry.get("claims").map(Value::to_string).unwrap_or_default();
                add(format!("valid-{index}-claims"), 2, claims.into_bytes());
            }
            for (index, entry) in entries(&fena, "invalid").iter().enumerate() {
                add(format!("invalid-{index}-token"), 1, text(entry, "token"));
            }
        }
        // The vectors hold requests, not responses: the response targets use `seeds/`.
        _ => {}
    }
    Ok(seeds)
}

fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}
