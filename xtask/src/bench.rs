//! `cargo xtask bench` and `cargo xtask build-cost`: the figures of issues 8 and 17, measured
//! in one run, each against its target.
//!
//! - `bench` runs the criterion benchmarks of the three gateway crates and, with PostgreSQL
//!   and Redis started as `cargo xtask stores` does, of the seen-stores (short runs: 1 s warm-up,
//!   3 s measurement; `XTASK_BENCH_SECONDS` changes the measurement time), then reads each
//!   result from `target/criterion/<group>/<bench>/new/estimates.json` and prints ratios
//!   (ours / raw, from the medians of the same run) and verifications per second on one core.
//!   The machine is shared and noisy: only figures of one run are compared with each other.
//! - `build-cost [PROGRAM...]` writes three tiny programs (or only those named:
//!   `freekassa-signing-only`, `freekassa-default`, `payments-everything`) into a temporary
//!   directory outside the workspace (each depending on the workspace crates by path, with the workspace's `Cargo.lock`), builds
//!   each cold in a fresh `CARGO_TARGET_DIR` (dev profile, dependencies fetched beforehand and
//!   not timed), reports the wall time and the number of crates compiled, and deletes it all.
#![allow(clippy::float_arithmetic, reason = "benchmark figures are measurements, never money")]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// The targets of issue 17 ("Speed, second pass").
/// A prepared Feennex request (signature, JSON body, URL) at most this many times the raw
/// SHA-256 of the signed bytes.
const PREPARE_TARGET: f64 = 4.0;
/// A Fena payment link, and a Fena webhook token verified, at most this many times the raw
/// HMAC-SHA512 of the signing input.
const FENA_TARGET: f64 = 1.3;
/// At least this many webhook verifications per second on one core (Feennex and Freekassa).
const VERIFY_TARGET: f64 = 1_000_000.0;
/// A client call at most this many times a raw reqwest POST of the same body.
const CLIENT_TARGET: f64 = 1.05;
/// The signing-only Freekassa program builds cold within this time...
const BUILD_SECONDS_TARGET: f64 = 15.0;
/// ... and compiles at most this many crates.
const BUILD_CRATES_TARGET: usize = 40;
/// The full façade builds cold within this time.
const FACADE_SECONDS_TARGET: f64 = 60.0;

/// The benchmark targets to run, per package, with the features they need.
const BENCHES: &[(&str, &[&str], &str)] = &[
    ("feennex", &["sign", "webhook", "client"], ""),
    ("freekassa", &["sign", "webhook"], ""),
    ("fena", &["sign", "webhook"], ""),
    ("payments", &["webhook_router"], "axum"),
];

/// The benchmarks that need PostgreSQL and Redis, run with both started
/// ([`crate::stores::with_running_servers`]).
const STORE_BENCHES: &[(&str, &str, &str)] = &[
    ("payments-store", "claims", "postgres,redis"),
    ("payments", "webhook_stores", "axum,feennex,postgres,redis"),
];

/// A claim through a store at most this many times the bare statement it issues.
const CLAIM_TARGET: f64 = 1.2;

/// A claim through each store against the bare statement: (what, criterion group).
const CLAIMS: &[(&str, &str)] = &[
    ("PostgreSQL claim vs its INSERT ... ON CONFLICT statement", "store_claim_postgres"),
    ("Redis claim vs SET NX PX", "store_claim_redis"),
];

/// The webhook endpoint over loopback per store (group `webhook_stores`, batches of 64).
const ENDPOINT_STORES: &[&str] = &["memory", "postgres", "redis"];
const ENDPOINT_CONCURRENT: f64 = 64.0;

/// The webhook router against a bare axum endpoint (criterion group `webhook_router`).
const ROUTER_GROUP: &str = "webhook_router";

/// One ratio: `ours` against `raw` in criterion group `group`.
struct Ratio {
    what: &'static str,
    group: &'static str,
    ours: &'static str,
    raw: &'static str,
    /// A `paired_*_x1000` bench of the same two operations alternated (see
    /// `benches-support/paired.rs`); when set, the ratio and the verdict come from it.
    paired: Option<&'static str>,
    target: Option<f64>,
}

const SIGNING: &[Ratio] = &[
    Ratio {
        what: "Feennex bill/create, BillCreate::prepare (signature + JSON body + URL)",
        group: "bill_create_signature",
        ours: "prepare_whole_request",
        raw: "raw_sha256",
        paired: Some("paired_prepare_x1000"),
        target: Some(PREPARE_TARGET),
    },
    Ratio {
        what: "Feennex invoice/create, InvoiceCreate::prepare",
        group: "feennex_invoice_create_sign",
        ours: "prepare",
        raw: "raw_sha256",
        paired: None,
        target: Some(PREPARE_TARGET),
    },
    Ratio {
        what: "Feennex invoice/create, REQUEST_SCHEME string to sign + digest",
        group: "feennex_invoice_create_sign",
        ours: "sign",
        raw: "raw_sha256",
        paired: None,
        target: None,
    },
    Ratio {
        what: "Freekassa orders/create, OrderCreate::prepare",
        group: "freekassa_orders_create_sign",
        ours: "prepare",
        raw: "raw_hmac_sha256",
        paired: None,
        target: None,
    },
    Ratio {
        what: "Freekassa orders/create, API_SCHEME string to sign + digest",
        group: "freekassa_orders_create_sign",
        ours: "api_sign",
        raw: "raw_hmac_sha256",
        paired: None,
        target: None,
    },
    Ratio {
        what: "Fena payment token, PaymentLinkRequest::prepare",
        group: "fena_payment_token_sign",
        ours: "link_sign",
        raw: "raw_hmac_sha512",
        paired: Some("paired_link_x1000"),
        target: Some(FENA_TARGET),
    },
    Ratio {
        what: "  the same link vs an HMAC whose key is made once, as fena::Config keeps ours",
        group: "fena_payment_token_sign",
        ours: "link_sign",
        raw: "raw_hmac_sha512",
        paired: Some("paired_link_keyed_x1000"),
        target: None,
    },
    Ratio {
        what: "  raw: aws-lc HMAC-SHA512 vs RustCrypto's (alternated), key per call",
        group: "fena_payment_token_sign",
        ours: "raw_hmac_sha512_aws_lc",
        raw: "raw_hmac_sha512",
        paired: Some("paired_aws_lc_vs_rustcrypto_x1000"),
        target: None,
    },
    Ratio {
        what: "  raw: aws-lc HMAC-SHA512 vs RustCrypto's (alternated), key made once",
        group: "fena_payment_token_sign",
        ours: "raw_hmac_sha512_aws_lc_keyed",
        raw: "raw_hmac_sha512",
        paired: Some("paired_aws_lc_vs_rustcrypto_keyed_x1000"),
        target: None,
    },
    Ratio {
        what: "Fena payment token, PaymentClaims::sign",
        group: "fena_payment_token_sign",
        ours: "claims_sign",
        raw: "raw_hmac_sha512",
        paired: None,
        target: None,
    },
];

/// One webhook verification row.
struct Verify {
    what: &'static str,
    group: &'static str,
    bench: &'static str,
    /// The raw digest of the signed bytes, in the same group.
    raw: &'static str,
    /// At least this many verifications per second on one core.
    per_second_target: Option<f64>,
    /// At most this many times the raw digest.
    ratio_target: Option<f64>,
    /// A `paired_*_x1000` bench of verification and raw digest alternated.
    paired: Option<&'static str>,
}

const VERIFY: &[Verify] = &[
    Verify {
        what: "Feennex callback (form), CallbackVerifier::verify_request",
        group: "feennex_callback_verify",
        bench: "verify",
        raw: "raw_sha256",
        per_second_target: Some(VERIFY_TARGET),
        ratio_target: None,
        paired: Some("paired_verify_x1000"),
    },
    Verify {
        what: "Freekassa notification (form), verify_request",
        group: "freekassa_notification_verify",
        bench: "verify_request",
        raw: "raw_md5",
        per_second_target: Some(VERIFY_TARGET),
        ratio_target: None,
        paired: Some("paired_verify_x1000"),
    },
    Verify {
        what: "Fena webhook token (form), TokenVerifier",
        group: "fena_webhook_verify",
        bench: "verify_request",
        raw: "raw_hmac_sha512",
        per_second_target: None,
        ratio_target: Some(FENA_TARGET),
        paired: Some("paired_verify_x1000"),
    },
    Verify {
        what: "  the same token vs an HMAC whose key is made once, as fena::Config keeps ours",
        group: "fena_webhook_verify",
        bench: "verify_request",
        raw: "raw_hmac_sha512",
        per_second_target: None,
        ratio_target: None,
        paired: Some("paired_verify_keyed_x1000"),
    },
];

/// The operations whose allocations the benchmarks count (`benches-support/alloc_count.rs`):
/// (what, criterion group, bench).
const ALLOCATIONS: &[(&str, &str, &str)] = &[
    ("Feennex BillCreate::prepare", "bill_create_signature", "prepare_whole_request"),
    ("Feennex InvoiceCreate::prepare", "feennex_invoice_create_sign", "prepare"),
    ("Freekassa OrderCreate::prepare", "freekassa_orders_create_sign", "prepare"),
    ("Fena PaymentLinkRequest::prepare", "fena_payment_token_sign", "link_sign"),
    ("Feennex callback verified", "feennex_callback_verify", "verify"),
    ("Freekassa notification verified", "freekassa_notification_verify", "verify_request"),
    ("Fena webhook token verified", "fena_webhook_verify", "verify_request"),
];

/// The client call against a raw reqwest POST, then where the difference goes: (what,
/// criterion bench in `feennex_client_call`, target). These benches alternate both calls in
/// every sample and report ratio x 1000 as nanoseconds, so load changes hit both sides alike.
const CLIENT_GROUP: &str = "feennex_client_call";
const CLIENT: &[(&str, &str, Option<f64>)] = &[
    (
        "Feennex Client::create_bill vs a raw POST that reads the answer (result, id, url)",
        "paired_create_bill_x1000",
        Some(CLIENT_TARGET),
    ),
    (
        "  the same vs a raw POST that never reads its answer (the first pass's floor)",
        "paired_create_bill_vs_bytes_x1000",
        Some(CLIENT_TARGET),
    ),
    (
        "  part (floor: bytes only): reqwest with the transport's settings",
        "paired_reqwest_sdk_settings_x1000",
        None,
    ),
    ("  part: ReqwestTransport::send", "paired_transport_send_x1000", None),
    ("  part: transport::execute (retry policy, span)", "paired_transport_execute_x1000", None),
];

/// Runs the benchmarks and prints the summary table.
///
/// # Errors
///
/// When cargo cannot run or fails, or a result file is missing or unreadable.
pub fn bench(options: &[String]) -> Result<(), String> {
    let skip_stores = options.iter().any(|option| option == "--skip-stores");
    let skip_build_cost = options.iter().any(|option| option == "--skip-build-cost");
    let root = workspace_root()?;
    let seconds = std::env::var("XTASK_BENCH_SECONDS").unwrap_or_else(|_| "3".to_owned());
    for (package, benches, features) in BENCHES {
        let mut args = vec!["bench", "--package", package];
        if !features.is_empty() {
            args.extend(["--features", features]);
        }
        for bench in *benches {
            args.extend(["--bench", bench]);
        }
        args.extend(["--", "--warm-up-time", "1", "--measurement-time", &seconds]);
        println!("$ cargo {}", args.join(" "));
        let status = Command::new(cargo_bin())
            .args(&args)
            .current_dir(&root)
            .status()
            .map_err(|error| format!("cannot run cargo: {error}"))?;
        if !status.success() {
            return Err(format!("`cargo {}` failed ({status})", args.join(" ")));
        }
    }
    let stores = |envs: &[(&str, String)]| {
        for (package, bench, features) in STORE_BENCHES {
            let args = [
                "bench",
                "--package",
                package,
                "--features",
                features,
                "--bench",
                bench,
                "--",
                "--warm-up-time",
                "1",
                "--measurement-time",
                &seconds,
            ];
            println!("$ cargo {}", args.join(" "));
            let status = Command::new(cargo_bin())
                .args(args)
                .envs(envs.iter().map(|(name, value)| (*name, value.as_str())))
                .current_dir(&root)
                .status()
                .map_err(|error| format!("cannot run cargo: {error}"))?;
            if !status.success() {
                return Err(format!("`cargo {}` failed ({status})", args.join(" ")));
            }
        }
        Ok(())
    };
    if !skip_stores {
        crate::stores::with_running_servers(|envs| stores(envs))?;
    }
    let builds = if skip_build_cost { None } else { Some(build_rows(&root, &[])?) };
    let criterion = target_dir(&root)?.join("criterion");
    let mut summary = summary(&criterion, !skip_stores)?;
    if let Some(rows) = builds {
        summary.push_str(&build_table(&rows));
    }
    println!("\n{summary}");
    Ok(())
}

/// The summary table, from the results criterion left in `criterion`.
fn summary(criterion: &Path, with_stores: bool) -> Result<String, String> {
    let median = |group: &str, bench: &str| median_ns(criterion, group, bench);
    let mut out = String::new();
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let _ = writeln!(out, "Figures are criterion medians of this run; ratios are ours / raw.\n");
    let _ = writeln!(
        out,
        "Ratios marked (paired) alternate both operations in every sample (the figure the \
         target is judged on); the others divide two medians.\n"
    );
    let _ = writeln!(out, "| signing | ours | raw digest | ratio | target |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for ratio in SIGNING {
        let ours = median(ratio.group, ratio.ours)?;
        let raw = median(ratio.group, ratio.raw)?;
        let (value, how) = match ratio.paired {
            Some(paired) => (median(ratio.group, paired)? / 1000.0, " (paired)"),
            None => (ours / raw, ""),
        };
        let target = ratio.target.map_or_else(
            || "(none)".to_owned(),
            |target| format!("<= {target:.2}x {}", verdict(value <= target)),
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {value:.2}x{how} | {target} |",
            ratio.what,
            duration(ours),
            duration(raw)
        );
    }
    let _ = writeln!(out, "\n| client call vs raw reqwest POST (paired) | ratio | target |");
    let _ = writeln!(out, "|---|---:|---|");
    for (what, bench, target) in CLIENT {
        let value = median(CLIENT_GROUP, bench)? / 1000.0;
        let target = target.map_or_else(
            || "(none)".to_owned(),
            |target| format!("<= {target:.2}x {}", verdict(value <= target)),
        );
        let _ = writeln!(out, "| {what} | {value:.2}x | {target} |");
    }
    let ours = median(CLIENT_GROUP, "create_bill")?;
    let raw = median(CLIENT_GROUP, "raw_reqwest")?;
    let _ = writeln!(
        out,
        "\nSeparate medians (not paired, so load changes between them skew the ratio): \
         create_bill {}, raw reqwest {}, {:.2}x.",
        duration(ours),
        duration(raw),
        ours / raw
    );
    let router = median(ROUTER_GROUP, "router")?;
    let bare = median(ROUTER_GROUP, "bare_axum")?;
    let paired = median(ROUTER_GROUP, "paired_router_x1000")? / 1000.0;
    let _ = writeln!(
        out,
        "\n| webhook router, in process | per delivery | deliveries/s/core | bare axum endpoint | ratio (paired) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| Feennex callback: verify, claim, handler task, complete, ack | {} | {} | {} | {paired:.2}x |",
        duration(router),
        thousands(1e9 / router),
        duration(bare)
    );
    if with_stores {
        stores_summary(criterion, &mut out)?;
    }
    let _ = writeln!(
        out,
        "\n| webhook verification | per verification | verifications/s/core | raw digest | ratio | target |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
    for Verify { what, group, bench, raw, per_second_target, ratio_target, paired } in VERIFY {
        let ours = median(group, bench)?;
        let raw = median(group, raw)?;
        let per_second = 1e9 / ours;
        let (ratio, how) = match paired {
            Some(paired) => (median(group, paired)? / 1000.0, " (paired)"),
            None => (ours / raw, ""),
        };
        let mut targets = Vec::new();
        if let Some(target) = per_second_target {
            targets.push(format!(">= {}/s {}", thousands(*target), verdict(per_second >= *target)));
        }
        if let Some(target) = ratio_target {
            targets.push(format!("<= {target:.2}x {}", verdict(ratio <= *target)));
        }
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {} | {ratio:.2}x{how} | {} |",
            duration(ours),
            thousands(per_second),
            duration(raw),
            targets.join(", ")
        );
    }
    let _ = writeln!(out, "\n| allocations per operation | count |");
    let _ = writeln!(out, "|---|---:|");
    for (what, group, bench) in ALLOCATIONS {
        let path = criterion.join("allocations").join(format!("{group}.{bench}.txt"));
        let count = fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let _ = writeln!(out, "| {what} | {} |", count.trim());
    }
    Ok(out)
}

/// The seen-store rows (benchmarks run with PostgreSQL and Redis started).
fn stores_summary(criterion: &Path, out: &mut String) -> Result<(), String> {
    let median = |group: &str, bench: &str| median_ns(criterion, group, bench);
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let _ =
        writeln!(out, "\n| seen-store claim | ours | bare statement | ratio (paired) | target |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for (what, group) in CLAIMS {
        let ours = median(group, "claim")?;
        let raw_bench = if group.ends_with("redis") { "raw_set_nx_px" } else { "raw_statement" };
        let raw = median(group, raw_bench)?;
        let paired = median(group, "paired_claim_x1000")? / 1000.0;
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {paired:.2}x | <= {CLAIM_TARGET:.1}x {} |",
            duration(ours),
            duration(raw),
            verdict(paired <= CLAIM_TARGET)
        );
    }
    let _ = writeln!(
        out,
        "\n| webhook endpoint over loopback, 64 concurrent | per batch of 64 | deliveries/s |"
    );
    let _ = writeln!(out, "|---|---:|---:|");
    for store in ENDPOINT_STORES {
        let batch = median("webhook_stores", &format!("{store}_batch64"))?;
        let _ = writeln!(
            out,
            "| Feennex callbacks, {store} seen-store | {} | {} |",
            duration(batch),
            thousands(ENDPOINT_CONCURRENT * 1e9 / batch)
        );
    }
    Ok(())
}

/// The median time of one benchmark, in nanoseconds.
fn median_ns(criterion: &Path, group: &str, bench: &str) -> Result<f64, String> {
    let path = criterion.join(group).join(bench).join("new").join("estimates.json");
    let text = fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    json_number(&text, "median", "point_estimate")
        .ok_or_else(|| format!("no median point_estimate in {}", path.display()))
}

/// The number at `"field": <number>` after the key `"object":` in a JSON text.
///
/// Enough for criterion's `estimates.json`, whose objects hold only numbers and one nested
/// object; not a JSON parser.
fn json_number(text: &str, object: &str, field: &str) -> Option<f64> {
    let start = text.find(&format!("\"{object}\":"))?;
    let rest = text.get(start..)?;
    let key = format!("\"{field}\":");
    let at = rest.find(&key)?;
    let rest = rest.get(at.checked_add(key.len())?..)?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(rest.len());
    rest.get(..end)?.parse().ok()
}

fn duration(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// A count with thousands separators (`1,234,567`).
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// One program of the build-cost table.
struct Program {
    name: &'static str,
    what: &'static str,
    /// The `[dependencies]` line, with `{root}` for the workspace root.
    dependency: &'static str,
    main: &'static str,
    /// Which target applies.
    target: BuildTarget,
}

/// The build-cost target a program is held to.
#[derive(Clone, Copy)]
enum BuildTarget {
    /// Time and crate count of a signing-only build.
    SigningOnly,
    /// Time of the full façade.
    Facade,
    /// Measured, no target.
    None,
}

const PROGRAMS: &[Program] = &[
    Program {
        name: "freekassa-signing-only",
        what: "freekassa, default-features = false",
        dependency: r#"freekassa = { path = "{root}/crates/freekassa", default-features = false }"#,
        main: r#"fn main() {
    let key = freekassa::core::SecretString::from("test_api_key");
    let text = freekassa::sign::api_string_to_sign([("shopId", "777"), ("nonce", "1")]);
    println!("{}", freekassa::sign::api_signature(&text.unwrap_or_default(), &key));
}
"#,
        target: BuildTarget::SigningOnly,
    },
    Program {
        name: "freekassa-default",
        what: "freekassa, default features (client)",
        dependency: r#"freekassa = { path = "{root}/crates/freekassa" }"#,
        main: r#"fn main() {
    let key = freekassa::core::SecretString::from("test_api_key");
    let text = freekassa::sign::api_string_to_sign([("shopId", "777"), ("nonce", "1")]);
    println!("{}", freekassa::sign::api_signature(&text.unwrap_or_default(), &key));
    println!("{}", std::any::type_name::<freekassa::Client>());
}
"#,
        target: BuildTarget::None,
    },
    Program {
        name: "payments-everything",
        what: "payments façade, full + rustls + axum",
        dependency: r#"payments = { path = "{root}/crates/payments", features = ["full", "rustls", "axum"] }"#,
        main: r#"fn main() {
    println!("{}", std::any::type_name::<payments::feennex::Client>());
    println!("{}", std::any::type_name::<payments::freekassa::Client>());
    println!("{}", std::any::type_name::<payments::fena::Client>());
}
"#,
        target: BuildTarget::Facade,
    },
];

/// Builds the three programs (or those named in `only`) cold and prints wall time and compiled
/// crates.
///
/// # Errors
///
/// When a name is unknown, or a program cannot be written, fetched or built.
pub fn build_cost(only: &[String]) -> Result<(), String> {
    let root = workspace_root()?;
    if let Some(unknown) =
        only.iter().find(|name| !PROGRAMS.iter().any(|program| program.name == name.as_str()))
    {
        let names: Vec<&str> = PROGRAMS.iter().map(|program| program.name).collect();
        return Err(format!("no program {unknown}; the programs: {}", names.join(", ")));
    }
    let rows = build_rows(&root, only)?;
    println!("{}", build_table(&rows));
    Ok(())
}

/// Builds the three programs (or those named in `only`, when not empty) cold in a scratch
/// directory outside the workspace, then deletes it.
fn build_rows(root: &Path, only: &[String]) -> Result<Vec<Row>, String> {
    let scratch = std::env::temp_dir().join(format!("payments-build-cost-{}", std::process::id()));
    if scratch.starts_with(root) {
        return Err(format!("{} is inside the workspace", scratch.display()));
    }
    let result = build_all(root, &scratch, only);
    let cleanup = fs::remove_dir_all(&scratch);
    let rows = result?;
    cleanup.map_err(|error| format!("cannot delete {}: {error}", scratch.display()))?;
    Ok(rows)
}

/// The build-cost table, with the targets of issue 17.
fn build_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nCold dev builds, each in a fresh CARGO_TARGET_DIR (fetching not timed).\n"
    );
    let _ = writeln!(out, "| program | wall time | CPU time | compiled crates | target |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for Row { program, elapsed, cpu, crates } in rows {
        let seconds = elapsed.as_secs_f64();
        let cpu = cpu.map_or_else(|| "n/a".to_owned(), |cpu| format!("{cpu:.1} s"));
        let verdict = |met: bool| if met { "met" } else { "MISSED" };
        let target = match program.target {
            BuildTarget::SigningOnly => format!(
                "<= {BUILD_SECONDS_TARGET:.0} s and <= {BUILD_CRATES_TARGET} crates: {}",
                verdict(seconds <= BUILD_SECONDS_TARGET && *crates <= BUILD_CRATES_TARGET)
            ),
            BuildTarget::Facade => format!(
                "<= {FACADE_SECONDS_TARGET:.0} s: {}",
                verdict(seconds <= FACADE_SECONDS_TARGET)
            ),
            BuildTarget::None => "(none)".to_owned(),
        };
        let _ =
            writeln!(out, "| {} | {seconds:.1} s | {cpu} | {crates} | {target} |", program.what);
    }
    out
}

/// One measured build.
struct Row {
    program: &'static Program,
    elapsed: Duration,
    /// User + system CPU seconds of the build (Linux only).
    cpu: Option<f64>,
    crates: usize,
}

/// User + system CPU seconds of this process's waited-for children, from `/proc/self/stat`
/// (`cutime` and `cstime`, in clock ticks of 1/100 s, the Linux value for user space).
///
/// The machine is shared: CPU time is far less disturbed by other people's builds than wall
/// time, so both are reported.
fn children_cpu_seconds() -> Option<f64> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // `cutime` and `cstime` are fields 16 and 17 of the line, 14 and 15 after the name.
    let ticks = |index: usize| fields.get(index).and_then(|text| text.parse::<u64>().ok());
    let total = ticks(13)?.checked_add(ticks(14)?)?;
    Some(total as f64 / 100.0)
}

fn build_all(root: &Path, scratch: &Path, only: &[String]) -> Result<Vec<Row>, String> {
    let root_text =
        root.to_str().ok_or_else(|| format!("{} is not UTF-8", root.display()))?.to_owned();
    let mut rows = Vec::new();
    let chosen = PROGRAMS
        .iter()
        .filter(|program| only.is_empty() || only.iter().any(|name| name == program.name));
    for program in chosen {
        let dir = scratch.join(program.name);
        fs::create_dir_all(dir.join("src"))
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        let manifest = format!(
            "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{}\n\n[workspace]\n",
            program.name,
            program.dependency.replace("{root}", &root_text)
        );
        write(&dir.join("Cargo.toml"), &manifest)?;
        write(&dir.join("src").join("main.rs"), program.main)?;
        // The workspace's lock file, so the same versions are built (cargo drops the rest).
        fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
            .map_err(|error| format!("cannot copy Cargo.lock: {error}"))?;
        let target = scratch.join(format!("target-{}", program.name));

        println!("xtask build-cost: {} ({})", program.name, program.what);
        let fetch = Command::new(cargo_bin())
            .arg("fetch")
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .map_err(|error| format!("cannot run cargo fetch: {error}"))?;
        if !fetch.success() {
            return Err(format!("cargo fetch failed for {} ({fetch})", program.name));
        }
        let cpu_before = children_cpu_seconds();
        let started = Instant::now();
        let output = Command::new(cargo_bin())
            .args(["build", "--offline", "--color", "never"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|error| format!("cannot run cargo build: {error}"))?;
        let elapsed = started.elapsed();
        let cpu = children_cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
        let log = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(format!("cargo build failed for {}:\n{log}", program.name));
        }
        let crates = log.lines().filter(|line| line.trim_start().starts_with("Compiling ")).count();
        println!("  {:.1} s, {crates} crates compiled", elapsed.as_secs_f64());
        fs::remove_dir_all(&target)
            .map_err(|error| format!("cannot delete {}: {error}", target.display()))?;
        rows.push(Row { program, elapsed, cpu, crates });
    }
    Ok(rows)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// The workspace root, as cargo finds it from the current directory.
pub fn workspace_root() -> Result<PathBuf, String> {
    let output = Command::new(cargo_bin())
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .map_err(|error| format!("cannot run cargo locate-project: {error}"))?;
    if !output.status.success() {
        return Err("cargo locate-project failed".to_owned());
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    manifest
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} has no parent", manifest.display()))
}

/// The workspace's target directory (honours `CARGO_TARGET_DIR` and cargo config).
fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let output = Command::new(cargo_bin())
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root)
        .output()
        .map_err(|error| format!("cannot run cargo metadata: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let key = "\"target_directory\":\"";
    let start = text.find(key).map(|at| at.saturating_add(key.len()));
    let path = start
        .and_then(|start| text.get(start..))
        .and_then(|rest| rest.split('"').next())
        .filter(|path| !path.is_empty())
        .ok_or("cargo metadata gave no target directory")?;
    Ok(PathBuf::from(path))
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_median_of_criterion_estimates() {
        let text = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.5,"upper_bound":2.5},"point_estimate":2.0,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":1.2},"point_estimate":1.1e2,"standard_error":0.01},"median_abs_dev":{"point_estimate":9.0}}"#;
        assert_eq!(json_number(text, "median", "point_estimate"), Some(110.0));
        assert_eq!(json_number(text, "mean", "point_estimate"), Some(2.0));
        assert_eq!(json_number(text, "slope", "point_estimate"), None);
    }

    #[test]
    fn formats_counts_and_durations() {
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(duration(1500.0), "1.50 µs");
        assert_eq!(duration(42.0), "42.0 ns");
    }
}
