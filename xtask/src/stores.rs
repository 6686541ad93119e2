//! `cargo xtask stores`: the store tests against real PostgreSQL and Redis servers.
//!
//! Installs Debian's `postgresql` and `redis-server` when missing, starts each on 127.0.0.1 on
//! a free port with a temporary data directory (PostgreSQL as the `postgres` user the package
//! creates: it refuses to run as root), creates a database, runs the store tests (those of
//! `payments-store`, and the `payments` webhook tests on both engines: the transactional
//! router, several `webhook_server` processes) with `PAYMENTS_TEST_POSTGRES_URL`,
//! `PAYMENTS_TEST_REDIS_URL` and `PAYMENTS_STORES_REQUIRED=1` (so a store test that cannot
//! reach its server fails instead of skipping), stops both servers whatever happened, and ends
//! with one line: `stores: N passed, M failed`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{cargo_bin, run};

/// The test runs against the servers: each `cargo test` with its arguments. The webhook
/// tests spawn `webhook_server` example processes (which they build with cargo) and print
/// their figures (deliveries, handled, duplicates, lost), hence `--nocapture`.
const TEST_RUNS: &[&[&str]] = &[
    &["test", "--package", "payments-store", "--all-features"],
    &[
        "test",
        "--package",
        "payments",
        "--all-features",
        "--test",
        "transactional_router",
        "--test",
        "several_instances",
        "--",
        "--nocapture",
    ],
    // Freekassa API calls from two processes sharing a nonce counter on each server.
    &[
        "test",
        "--package",
        "payments-sandbox",
        "--all-features",
        "--test",
        "freekassa_nonces",
        "--",
        "--nocapture",
    ],
];

/// The database the tests use.
const DATABASE: &str = "payments_test";

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn stores() -> Result<(), String> {
    let totals = match with_servers() {
        Ok(totals) => totals,
        Err(error) => {
            // The servers could not be set up: reported, and counted as one failure so the
            // summary stays the last line.
            eprintln!("xtask: {error}");
            Totals { passed: 0, failed: 1, clean: false }
        }
    };
    println!("stores: {} passed, {} failed", totals.passed, totals.failed);
    if totals.failed == 0 && totals.clean {
        Ok(())
    } else {
        // The summary is the last line; main adds nothing to an empty message.
        Err(String::new())
    }
}

/// Installs and starts the servers, runs the tests, and stops the servers (their guards'
/// drops, on every return path).
fn with_servers() -> Result<Totals, String> {
    install_if_missing()?;
    let scratch = Scratch::new()?;
    let postgres = Postgres::start(&scratch.0)?;
    let redis = Redis::start(&scratch.0)?;
    let envs = [
        ("PAYMENTS_TEST_POSTGRES_URL", postgres.url()),
        ("PAYMENTS_TEST_REDIS_URL", redis.url()),
        ("PAYMENTS_STORES_REQUIRED", "1".to_owned()),
    ];
    let mut totals = Totals { clean: true, ..Totals::default() };
    for args in TEST_RUNS {
        totals.add(cargo_test(args, &envs)?);
    }
    // Servers first, then their directory.
    drop(redis);
    drop(postgres);
    drop(scratch);
    Ok(totals)
}

/// Runs `work` with PostgreSQL and Redis started (installed first if missing) and their URLs
/// in `PAYMENTS_TEST_POSTGRES_URL` and `PAYMENTS_TEST_REDIS_URL`, then stops them whatever
/// happened: what `cargo xtask bench` measures the stores against.
///
/// # Errors
///
/// When a server cannot be installed or started, or `work` fails.
pub fn with_running_servers<T>(
    work: impl FnOnce(&[(&str, String)]) -> Result<T, String>,
) -> Result<T, String> {
    install_if_missing()?;
    let scratch = Scratch::new()?;
    let postgres = Postgres::start(&scratch.0)?;
    let redis = Redis::start(&scratch.0)?;
    let envs =
        [("PAYMENTS_TEST_POSTGRES_URL", postgres.url()), ("PAYMENTS_TEST_REDIS_URL", redis.url())];
    let result = work(&envs);
    drop(redis);
    drop(postgres);
    drop(scratch);
    result
}

/// Counts summed over `cargo test` runs.
#[derive(Debug, Default)]
struct Totals {
    passed: u64,
    failed: u64,
    /// Every run exited successfully.
    clean: bool,
}

impl Totals {
    fn add(&mut self, run: Totals) {
        self.passed += run.passed;
        self.failed += run.failed;
        self.clean &= run.clean;
    }
}

/// Runs `cargo <args>`, echoing its output, and sums its `test result:` lines. A run that
/// fails without a failed test (a build error, a crashed test binary) counts one failure.
fn cargo_test(args: &[&str], envs: &[(&str, String)]) -> Result<Totals, String> {
    println!("$ cargo {}", args.join(" "));
    let mut child = Command::new(cargo_bin())
        .args(args)
        .envs(envs.iter().map(|(name, value)| (*name, value.as_str())))
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    let mut totals = Totals::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|error| format!("cannot read cargo's output: {error}"))?;
            println!("{line}");
            if let Some((passed, failed)) = test_result(&line) {
                totals.passed += passed;
                totals.failed += failed;
            }
        }
    }
    let status = child.wait().map_err(|error| format!("cargo did not finish: {error}"))?;
    totals.clean = status.success();
    if !status.success() && totals.failed == 0 {
        println!("xtask: `cargo {}` failed ({status}) with no failed test counted", args.join(" "));
        totals.failed = 1;
    }
    Ok(totals)
}

/// The passed and failed counts of a `test result: ok. 3 passed; 0 failed; ...` line.
fn test_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let count = |label: &str| {
        rest.split(';').find_map(|part| part.trim().strip_suffix(label)?.trim().parse().ok())
    };
    let passed = rest.split_once(". ").and_then(|(_, counts)| {
        counts.split(';').next()?.trim().strip_suffix(" passed")?.trim().parse().ok()
    })?;
    Some((passed, count(" failed")?))
}

/// Debian's server packages, and the binary that tells each is there.
fn install_if_missing() -> Result<(), String> {
    let postgres_missing = postgres_bin_dir().is_none();
    let redis_missing = which("redis-server").is_none();
    if !postgres_missing && !redis_missing {
        return Ok(());
    }
    println!("xtask: installing postgresql and redis-server (Debian packages)");
    // The packages' scripts would start system-wide servers on the default ports; a
    // policy-rc.d that refuses every start keeps them stopped (the usual way in containers).
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let own_policy = !policy.exists()
        && std::fs::write(policy, "#!/bin/sh\nexit 101\n").is_ok()
        && run("chmod", &["755", "/usr/sbin/policy-rc.d"], &[]).is_ok();
    let installed = run("apt-get", &["update"], &[]).and_then(|()| {
        run(
            "apt-get",
            &["install", "-y", "--no-install-recommends", "postgresql", "redis-server"],
            &[("DEBIAN_FRONTEND", "noninteractive")],
        )
    });
    if own_policy {
        let _ = std::fs::remove_file(policy);
    }
    installed?;
    if postgres_bin_dir().is_none() || which("redis-server").is_none() {
        return Err("postgresql or redis-server is still missing after apt-get install".into());
    }
    Ok(())
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`.
fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `program`'s path in `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// A port nobody listens on now.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|error| format!("no free port: {error}"))?;
    listener.local_addr().map(|address| address.port()).map_err(|error| error.to_string())
}

/// A temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!("payments-stores-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A PostgreSQL server started with `pg_ctl` as the `postgres` user; stopped on drop.
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl Postgres {
    fn start(scratch: &Path) -> Result<Self, String> {
        let bin = postgres_bin_dir().ok_or("PostgreSQL's initdb not found")?;
        let (data, sockets) = (scratch.join("pgdata"), scratch.join("pgsock"));
        for dir in [&data, &sockets] {
            std::fs::create_dir_all(dir)
                .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        }
        let scratch_text = scratch.to_string_lossy();
        run("chown", &["-R", "postgres:postgres", &scratch_text], &[])?;
        let port = free_port()?;
        as_postgres(
            &bin.join("initdb"),
            &["-D", &data.to_string_lossy(), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            &["--locale=C", "--no-sync"],
            scratch,
        )?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=200",
            sockets.display()
        );
        let log = scratch.join("postgres.log");
        let server = Self { bin, data, port };
        as_postgres(
            &server.bin.join("pg_ctl"),
            &["-D", &server.data.to_string_lossy(), "-o", &options],
            &["-l", &log.to_string_lossy(), "-w", "-t", "60", "start"],
            scratch,
        )
        .map_err(|error| format!("{error}\n{}", tail(&log)))?;
        as_postgres(
            &server.bin.join("createdb"),
            &["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"],
            &[DATABASE],
            scratch,
        )?;
        println!("xtask: PostgreSQL on 127.0.0.1:{port}, data in {}", server.data.display());
        Ok(server)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let stopped = as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data.to_string_lossy()],
            &["-m", "fast", "-w", "-t", "30", "stop"],
            self.data.parent().unwrap_or(&self.data),
        );
        match stopped {
            Ok(()) => println!("xtask: PostgreSQL stopped"),
            Err(error) => eprintln!("xtask: PostgreSQL did not stop: {error}"),
        }
    }
}

/// Runs `program` as the `postgres` user in `dir` (a directory it can enter).
fn as_postgres(program: &Path, args: &[&str], more: &[&str], dir: &Path) -> Result<(), String> {
    let program = program.to_string_lossy();
    println!("$ runuser -u postgres -- {program} {} {}", args.join(" "), more.join(" "));
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--", &program])
        .args(args)
        .args(more)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run runuser: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program}` failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The last lines of a log file, for an error message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines.iter().skip(lines.len().saturating_sub(20)).copied().collect::<Vec<_>>().join("\n")
}

/// A Redis server with no persistence; shut down on drop.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(scratch: &Path) -> Result<Self, String> {
        let port = free_port()?;
        let dir = scratch.join("redis");
        std::fs::create_dir_all(&dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        let log = std::fs::File::create(scratch.join("redis.log"))
            .map_err(|error| format!("cannot create the Redis log: {error}"))?;
        let port_text = port.to_string();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port_text, "--save", ""])
            .args(["--appendonly", "no", "--daemonize", "no", "--dir", &dir.to_string_lossy()])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start redis-server: {error}"))?;
        let server = Self { child, port };
        let deadline = Instant::now() + START_TIMEOUT;
        while server.command("PING").as_deref() != Some("+PONG") {
            if Instant::now() > deadline {
                return Err(format!("Redis did not answer PING on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        println!("xtask: Redis on 127.0.0.1:{port}");
        Ok(server)
    }

    /// Sends one inline command and reads the first line of the answer.
    fn command(&self, command: &str) -> Option<String> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
        let mut answer = [0; 64];
        let read = stream.read(&mut answer).ok()?;
        let answer = String::from_utf8_lossy(answer.get(..read)?).into_owned();
        Some(answer.lines().next().unwrap_or_default().to_owned())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.command("SHUTDOWN NOSAVE");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        println!("xtask: Redis stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargos_test_result_lines() {
        let line = "test result: ok. 24 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \
                    finished in 4.02s";
        assert_eq!(test_result(line), Some((24, 0)));
        let failed =
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(test_result(failed), Some((3, 2)));
        assert_eq!(test_result("test foo ... ok"), None);
    }

    #[test]
    fn totals_are_clean_only_if_every_run_was() {
        let mut totals = Totals { clean: true, ..Totals::default() };
        totals.add(Totals { passed: 3, failed: 0, clean: true });
        assert!(totals.clean);
        totals.add(Totals { passed: 1, failed: 0, clean: false });
        assert!(!totals.clean);
        totals.add(Totals { passed: 1, failed: 0, clean: true });
        assert!(!totals.clean);
        assert_eq!(totals.passed, 5);
    }
}
