//! `cargo xtask fuzz`: the coverage-guided fuzz targets of `crates/payments-fuzz`.
//!
//! - `cargo xtask fuzz list` prints the targets.
//! - `cargo xtask fuzz <target> <seconds>` seeds the target's corpus from the test vectors
//!   (`testdata/vectors`) and the committed example responses (`crates/payments-fuzz/seeds`),
//!   then runs libFuzzer for that long with a 10 s hang limit, a 2 GiB RSS limit and a
//!   512 MiB single-allocation limit. It prints the number of executions and fails on any
//!   crash, hang or memory blow-up, naming the artifact to replay.
//! - `cargo xtask fuzz all <seconds>` runs every target in turn (all of them, even after a
//!   failure) and fails if any failed.
//!
//! cargo-fuzz is installed when missing. It needs a nightly toolchain for the sanitizers;
//! without one it runs on stable with `RUSTC_BOOTSTRAP=1` and no sanitizer (Rust code has no
//! memory errors to find without `unsafe`; panics, hangs and memory blow-ups are still found).
//!
//! Seeds are whole inputs: the first byte is the mode the target reads (see the top of each
//! `fuzz_targets/<target>.rs`), the rest what that mode feeds.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
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

/// The boundary of `freekassa_notification`'s multipart mode.
const MULTIPART_BOUNDARY: &str = "XyZ";

/// The unsigned Toolkit webhook of `crates/fena/tests/toolkit.rs` (`forged_trigger`).
const TOOLKIT_TRIGGER: &str = r#"{"amount":"10.00","eventName":"status-update","eventScope":"single-payments","id":"65a1b2c3d4e5f60718293a4b","reference":"ORDER-7","status":"paid"}"#;

/// How one target's run ended.
enum Outcome {
    /// Ran the whole time: the number of executions.
    Clean(u64),
    /// Found a failing input: what libFuzzer said, and the artifact when it wrote one.
    Failed(String),
}

/// Runs `cargo xtask fuzz <args>`.
///
/// # Errors
///
/// Bad arguments, a tool that cannot run, or a failing input found.
pub fn fuzz(args: &[String]) -> Result<(), String> {
    match args {
        [list] if list == "list" => {
            for target in TARGETS {
                println!("{target}");
            }
            Ok(())
        }
        [all, seconds] if all == "all" => {
            let seconds = parse_seconds(seconds)?;
            let root = crate::bench::workspace_root()?;
            let mut outcomes = Vec::new();
            for target in TARGETS {
                outcomes.push((target, run(&root, target, seconds)?));
            }
            println!("\nxtask fuzz: every target, {seconds} s each");
            let mut failed = 0_usize;
            for (target, outcome) in &outcomes {
                match outcome {
                    Outcome::Clean(runs) => println!("  {target:<24} {runs:>12} executions, clean"),
                    Outcome::Failed(what) => {
                        failed = failed.saturating_add(1);
                        println!("  {target:<24} FAILED: {what}");
                    }
                }
            }
            if failed == 0 { Ok(()) } else { Err(format!("{failed} target(s) found a failure")) }
        }
        [target, seconds] if TARGETS.contains(&target.as_str()) => {
            let seconds = parse_seconds(seconds)?;
            let root = crate::bench::workspace_root()?;
            match run(&root, target, seconds)? {
                Outcome::Clean(runs) => {
                    println!("\nxtask fuzz: {target} ran {seconds} s clean, {runs} executions");
                    Ok(())
                }
                Outcome::Failed(what) => Err(format!("{target}: {what}")),
            }
        }
        _ => Err(format!(
            "usage: cargo xtask fuzz <list | all <seconds> | <target> <seconds>>; targets: {}",
            TARGETS.join(", ")
        )),
    }
}

fn parse_seconds(text: &str) -> Result<u64, String> {
    match text.parse() {
        Ok(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

/// Seeds and runs one target.
fn run(root: &Path, target: &str, seconds: u64) -> Result<Outcome, String> {
    ensure_cargo_fuzz()?;
    let fuzz_dir = root.join("crates").join("payments-fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    fs::create_dir_all(&corpus)
        .map_err(|error| format!("cannot create {}: {error}", corpus.display()))?;
    let seeded = seed(root, &fuzz_dir, target, &corpus)?;
    println!("xtask fuzz: {target}: {seeded} seeds written to {}", corpus.display());

    let nightly = has_nightly();
    // The rustup proxy, not `$CARGO`: `+nightly` needs it.
    let mut command = Command::new("cargo");
    if nightly {
        command.arg("+nightly");
    } else {
        println!(
            "xtask fuzz: no nightly toolchain installed; running on stable with \
             RUSTC_BOOTSTRAP=1 and --sanitizer none"
        );
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
    let mut report = Report::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // Progress lines are many; keep the rest, which say what happened.
            if !line.starts_with('#') {
                eprintln!("{line}");
            }
            report.read(&line);
        }
    }
    let status = child.wait().map_err(|error| format!("cargo fuzz did not finish: {error}"))?;
    if let Some(artifact) = report.artifact {
        let error = report.error.unwrap_or_else(|| "a failing input".to_owned());
        return Ok(Outcome::Failed(format!(
            "{error}; input written to {artifact} (replay: cargo +nightly fuzz run --fuzz-dir \
             {} {target} {artifact})",
            fuzz_dir.display()
        )));
    }
    if !status.success() {
        // A failure without an artifact: the build, or libFuzzer itself.
        let error = report.error.unwrap_or_else(|| format!("cargo fuzz run exited with {status}"));
        return Err(format!("{target}: {error}"));
    }
    match report.executions {
        Some(runs) => Ok(Outcome::Clean(runs)),
        None => Err(format!("{target}: libFuzzer printed no execution count")),
    }
}

/// What libFuzzer's output says about a run.
#[derive(Debug, Default, PartialEq, Eq)]
struct Report {
    executions: Option<u64>,
    artifact: Option<String>,
    error: Option<String>,
}

impl Report {
    fn read(&mut self, line: &str) {
        // `Done 123 runs in 30 second(s)`, and with -print_final_stats=1
        // `stat::number_of_executed_units: 123`.
        if let Some(count) = line.strip_prefix("stat::number_of_executed_units:") {
            self.executions = count.trim().parse().ok().or(self.executions);
        } else if let Some(rest) = line.strip_prefix("Done ")
            && let Some((count, _)) = rest.split_once(" runs in ")
        {
            self.executions = count.trim().parse().ok().or(self.executions);
        }
        // `==123== ERROR: libFuzzer: deadly signal`, `... timeout after 10 seconds`,
        // `... out-of-memory (malloc(...))`; panics print `thread '...' panicked at ...`.
        if let Some((_, error)) = line.split_once("ERROR: libFuzzer: ") {
            self.error.get_or_insert_with(|| error.trim().to_owned());
        } else if line.contains("panicked at") {
            self.error = Some(line.trim().to_owned());
        }
        // `artifact_prefix='...'; Test unit written to ./artifacts/<target>/crash-<sha1>`
        if let Some((_, path)) = line.split_once("Test unit written to ") {
            self.artifact = Some(path.trim().to_owned());
        }
    }
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
    println!("xtask fuzz: cargo-fuzz is missing, installing it");
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

/// Writes the seeds of `target` into `corpus` (as `seed-<name>`, overwriting older seeds of
/// the same name): inputs built from the test vectors, then the committed files of
/// `seeds/<target>`, each prefixed with byte 0 (HTTP 200 and 400 for the response targets).
/// Returns how many there are.
fn seed(root: &Path, fuzz_dir: &Path, target: &str, corpus: &Path) -> Result<usize, String> {
    let mut seeds = vector_seeds(root, target)?;
    let committed = fuzz_dir.join("seeds").join(target);
    if committed.is_dir() {
        let entries = fs::read_dir(&committed)
            .map_err(|error| format!("cannot list {}: {error}", committed.display()))?;
        let mut paths: Vec<_> = entries.map_while(Result::ok).map(|entry| entry.path()).collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned());
            let body = read(&path)?;
            seeds.push((name.unwrap_or_default(), [vec![0], body].concat()));
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
    let text = |entry: &Value, key: &str| -> Option<String> {
        entry.get(key).and_then(Value::as_str).map(str::to_owned)
    };
    let mut seeds = Vec::new();
    let mut add = |name: String, mode: u8, bytes: &[u8]| {
        seeds.push((name, [&[mode][..], bytes].concat()));
    };
    match target {
        // Modes: 0 form, 1 JSON, 2 form re-signed, 3 JSON re-signed.
        "feennex_callback" => {
            for (index, entry) in entries(&vectors("feennex")?, "callbacks").iter().enumerate() {
                let Some(body) = text(entry, "body") else { continue };
                if entry.get("content_type").and_then(Value::as_str) == Some("application/json") {
                    add(format!("callback-{index}-json"), 1, body.as_bytes());
                    add(format!("callback-{index}-json-resigned"), 3, body.as_bytes());
                    continue;
                }
                add(format!("callback-{index}-form"), 0, body.as_bytes());
                add(format!("callback-{index}-form-resigned"), 2, body.as_bytes());
                // The same fields as a JSON object of strings: the same values, so the same
                // signature.
                let object: serde_json::Map<String, Value> = form_pairs(&body)
                    .into_iter()
                    .map(|(name, value)| (name, Value::String(value)))
                    .collect();
                let json = Value::Object(object).to_string();
                add(format!("callback-{index}-json"), 1, json.as_bytes());
                add(format!("callback-{index}-json-resigned"), 3, json.as_bytes());
            }
        }
        // Modes: 0 GET query, 1 form POST, 2 multipart POST, 3 re-signed.
        "freekassa_notification" => {
            let notifications = entries(&vectors("freekassa")?, "notification");
            for (index, entry) in notifications.iter().enumerate() {
                let Some(body) = text(entry, "body") else { continue };
                add(format!("notification-{index}-get"), 0, body.as_bytes());
                add(format!("notification-{index}-form"), 1, body.as_bytes());
                let multipart = multipart(&form_pairs(&body));
                add(format!("notification-{index}-multipart"), 2, multipart.as_bytes());
                add(format!("notification-{index}-resigned"), 3, body.as_bytes());
            }
        }
        // Modes: 0 request, 1 form body, 2 token, 3 claims signed, 4 Toolkit webhook.
        "fena_webhook" => {
            let fena = vectors("fena")?;
            let groups =
                [("valid", entries(&fena, "valid")), ("invalid", entries(&fena, "invalid"))];
            for (group, list) in &groups {
                for (index, entry) in list.iter().enumerate() {
                    let Some(token) = text(entry, "token") else { continue };
                    let form = text(entry, "form_body").unwrap_or_else(|| format!("token={token}"));
                    add(format!("{group}-{index}-request"), 0, form.as_bytes());
                    add(format!("{group}-{index}-form"), 1, form.as_bytes());
                    add(format!("{group}-{index}-token"), 2, token.as_bytes());
                    if let Some(claims) = entry.get("claims") {
                        add(format!("{group}-{index}-claims"), 3, claims.to_string().as_bytes());
                    }
                }
            }
            add("toolkit-trigger".to_owned(), 4, TOOLKIT_TRIGGER.as_bytes());
        }
        // The vectors hold requests, not responses: the response targets use `seeds/`.
        _ => {}
    }
    Ok(seeds)
}

/// The pairs of a form body, decoded (`+` is a space, `%XX` a byte; bad escapes kept).
fn form_pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

/// A `multipart/form-data` body with [`MULTIPART_BOUNDARY`].
fn multipart(pairs: &[(String, String)]) -> String {
    let mut body = String::new();
    for (name, value) in pairs {
        body.push_str(&format!(
            "--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n\
             {value}\r\n"
        ));
    }
    body.push_str(&format!("--{MULTIPART_BOUNDARY}--\r\n"));
    body
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_executions_and_the_artifact() {
        let mut report = Report::default();
        for line in [
            "#1048576\tpulse  cov: 1200 ft: 4000 corp: 300/20Kb exec/s: 34952 rss: 80Mb",
            "Done 1048576 runs in 31 second(s)",
            "stat::number_of_executed_units: 1048577",
        ] {
            report.read(line);
        }
        assert_eq!(report.executions, Some(1_048_577));
        assert_eq!(report.artifact, None);

        let mut report = Report::default();
        for line in [
            "thread '<unnamed>' panicked at crates/feennex/src/webhook.rs:10:5:",
            "==42== ERROR: libFuzzer: deadly signal",
            "artifact_prefix='/x/artifacts/t/'; Test unit written to /x/artifacts/t/crash-ab12",
        ] {
            report.read(line);
        }
        assert_eq!(report.artifact.as_deref(), Some("/x/artifacts/t/crash-ab12"));
        assert_eq!(
            report.error.as_deref(),
            Some("thread '<unnamed>' panicked at crates/feennex/src/webhook.rs:10:5:")
        );
    }

    #[test]
    fn decodes_forms_into_multipart() {
        let pairs = form_pairs("A=1+2&B=%7B%22x%22%7D&C=&D=%zz");
        assert_eq!(
            pairs,
            [("A", "1 2"), ("B", "{\"x\"}"), ("C", ""), ("D", "%zz")]
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
        );
        let body = multipart(&pairs[..1]);
        assert_eq!(
            body,
            "--XyZ\r\nContent-Disposition: form-data; name=\"A\"\r\n\r\n1 2\r\n--XyZ--\r\n"
        );
    }

    #[test]
    fn seconds_must_be_positive() {
        assert_eq!(parse_seconds("30"), Ok(30));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("x").is_err());
    }
}
