//! Several webhook-server processes against real stores: the `webhook_server` example built
//! and spawned, signed Feennex callbacks delivered the way a gateway does (again after any
//! answer but 2xx), what the handlers did read back, and store servers of a test's own.
//!
//! The shared servers come from `PAYMENTS_TEST_POSTGRES_URL` and `PAYMENTS_TEST_REDIS_URL`
//! (`cargo xtask stores` starts both and sets them). Without a URL a test is skipped with a
//! line on stderr, unless `PAYMENTS_STORES_REQUIRED=1`, where it fails: the approach of the
//! store tests in `crates/payments-store/tests/support`.
#![allow(dead_code, reason = "each test uses part of it")]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use payments::seen::Lease;
use sha2::{Digest, Sha256};

/// The environment variable naming PostgreSQL's URL.
pub const POSTGRES_URL: &str = "PAYMENTS_TEST_POSTGRES_URL";
/// The environment variable naming Redis's URL.
pub const REDIS_URL: &str = "PAYMENTS_TEST_REDIS_URL";
/// Set to 1 where every store test must run (CI, `cargo xtask stores`).
pub const REQUIRED: &str = "PAYMENTS_STORES_REQUIRED";

/// Whether store tests must run here instead of skipping.
pub fn required() -> bool {
    std::env::var(REQUIRED).is_ok_and(|value| value == "1")
}

/// Says on stderr that `test` is skipped, and why. Straight to the process's stderr: the test
/// harness captures `eprintln!` of passing tests, and this line must be seen.
pub fn skip(test: &str, why: &str) {
    let _ =
        writeln!(std::io::stderr(), "skipped {test}: {why}; run `cargo xtask stores` to run it");
}

/// The server URL in `var`, or `None` after saying on stderr that `test` is skipped.
///
/// # Panics
///
/// When the URL is missing and [`REQUIRED`] is 1: there the test must run.
pub fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if required() => {
            panic!("{test}: {var} is not set, and {REQUIRED}=1 says store tests must run")
        }
        _ => {
            skip(test, &format!("{var} is not set"));
            None
        }
    }
}

/// Whether the store servers are there (either URL set, or [`REQUIRED`]), for a test that
/// needs none itself but runs with the store tests; `false` after a line on stderr.
///
/// Outside `cargo xtask stores` the workspace's test run builds `payments` with features
/// unified across the workspace, and the example built for this package alone would then
/// recompile much of the dependency tree.
pub fn with_stores(test: &str) -> bool {
    let set = |var| std::env::var(var).is_ok_and(|url| !url.is_empty());
    if set(POSTGRES_URL) || set(REDIS_URL) || required() {
        return true;
    }
    skip(test, "it runs with the store tests");
    false
}

/// Prints a line of the test's figures, seen with `--nocapture`.
pub fn report(test: &str, line: &str) {
    println!("{test}: {line}");
}

/// A random lowercase hex name part, so runs against one server never meet.
pub fn random_part() -> String {
    Lease::random().unwrap().to_string()[..12].to_owned()
}

// ---------------------------------------------------------------------------------------
// The example binary.

/// The `payments` features this test was compiled with: the example is built with exactly
/// these, so the build reuses every dependency the test build compiled.
fn features() -> String {
    let all: &[(&str, bool)] = &[
        // `--all-features` turns `default` on as a feature of its own.
        ("default", cfg!(feature = "default")),
        ("full", cfg!(feature = "full")),
        ("feennex", cfg!(feature = "feennex")),
        ("freekassa", cfg!(feature = "freekassa")),
        ("fena", cfg!(feature = "fena")),
        ("rustls", cfg!(feature = "rustls")),
        ("native-tls", cfg!(feature = "native-tls")),
        ("postgres", cfg!(feature = "postgres")),
        ("redis", cfg!(feature = "redis")),
        ("axum", cfg!(feature = "axum")),
    ];
    all.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect::<Vec<_>>().join(",")
}

/// The target directory this test binary was built in: the nearest ancestor holding the
/// `CACHEDIR.TAG` cargo writes there (so a `--target-dir` given to the outer cargo is kept).
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().find(|dir| dir.join("CACHEDIR.TAG").is_file()).map(Path::to_path_buf)
}

/// The `webhook_server` example, built once per test binary by the cargo running the tests,
/// with this test's features, profile and target directory: always the current code, and a
/// no-op when `cargo test` built it already. Its path is read from cargo's JSON messages.
pub fn example_binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY.get_or_init(build_example).clone().unwrap_or_else(|error| panic!("{error}"))
}

fn build_example() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut command = Command::new(cargo);
    command
        .args(["build", "--example", "webhook_server", "--no-default-features", "--features"])
        .arg(features())
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--message-format=json-render-diagnostics");
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    if let Some(dir) = target_dir() {
        command.arg("--target-dir").arg(dir);
    }
    let started = Instant::now();
    let output =
        command.stdin(Stdio::null()).stderr(Stdio::inherit()).output().map_err(|error| {
            format!("cannot run cargo to build the webhook_server example: {error}")
        })?;
    if !output.status.success() {
        return Err(format!("building the webhook_server example failed ({})", output.status));
    }
    let executable = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == "webhook_server")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or("cargo named no executable for the webhook_server example")?;
    println!("webhook_server example ready in {:.1?}: {}", started.elapsed(), executable.display());
    Ok(executable)
}

// ---------------------------------------------------------------------------------------
// Webhook-server processes.

/// How to run one webhook-server process.
#[derive(Debug, Clone, Default)]
pub struct ServerSpec {
    /// `PAYMENTS_STORE_URL`, if any.
    pub store_url: Option<String>,
    /// `PAYMENTS_ORDERS=1`: the transactional router writing `orders`.
    pub orders: bool,
    /// `PAYMENTS_LEASE_MS`.
    pub lease: Option<Duration>,
    /// `PAYMENTS_HANDLER_DELAY_MS`.
    pub delay: Option<Duration>,
    /// `PAYMENTS_HANG_ORDER`.
    pub hang_order: Option<String>,
}

/// A running `webhook_server` process, SIGKILLed on drop.
pub struct Server {
    /// What this process is called in messages.
    pub name: String,
    /// The Feennex route, `http://127.0.0.1:<port>/webhooks/feennex`.
    pub url: String,
    /// The handled log the handler appends to.
    pub log: PathBuf,
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Server {
    /// Starts a server named `name` with its handled log in `dir`, and waits until it listens.
    pub fn start(name: &str, dir: &Path, spec: &ServerSpec) -> Self {
        let log = dir.join(format!("{name}.log"));
        let mut command = Command::new(example_binary());
        command
            .env("PAYMENTS_GATEWAY", "feennex")
            .env("PAYMENTS_SHOP_ID", "5")
            .env("PAYMENTS_SECRET", "SecretKey01")
            .env("PAYMENTS_LISTEN", "127.0.0.1:0")
            .env("PAYMENTS_HANDLED_LOG", &log)
            .env_remove("PAYMENTS_STORE_URL")
            .env_remove("PAYMENTS_ORDERS")
            .env_remove("PAYMENTS_LEASE_MS")
            .env_remove("PAYMENTS_HANDLER_DELAY_MS")
            .env_remove("PAYMENTS_HANG_ORDER");
        if let Some(url) = &spec.store_url {
            command.env("PAYMENTS_STORE_URL", url);
        }
        if spec.orders {
            command.env("PAYMENTS_ORDERS", "1");
        }
        if let Some(lease) = spec.lease {
            command.env("PAYMENTS_LEASE_MS", lease.as_millis().to_string());
        }
        if let Some(delay) = spec.delay {
            command.env("PAYMENTS_HANDLER_DELAY_MS", delay.as_millis().to_string());
        }
        if let Some(order) = &spec.hang_order {
            command.env("PAYMENTS_HANG_ORDER", order);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("{name}: cannot start webhook_server: {error}"));
        let output = Arc::new(Mutex::new(String::new()));
        // Stderr is collected whole, for messages; stdout up to the "listening on" line.
        let mut stderr = child.stderr.take().unwrap();
        let collected = output.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            collected.lock().unwrap().push_str(&text);
        });
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = stdout.lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("listening on ") {
                    let _ = sender.send(address.to_owned());
                    break;
                }
            }
            // Keep reading so the process never blocks on a full pipe.
            for _ in lines {}
        });
        let url = match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "{name}: webhook_server did not start ({status:?}): {}",
                    output.lock().unwrap()
                );
            }
        };
        Self { name: name.to_owned(), url, log, child, output }
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The lines the handler appended to its log, as `(what, order)`.
    pub fn handled(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(what, order)| (what.to_owned(), order.to_owned()))
            .collect()
    }

    /// How many `<what> <order>` lines the log holds.
    pub fn count(&self, what: &str, order: &str) -> usize {
        self.handled().iter().filter(|(w, o)| w == what && o == order).count()
    }

    /// What the process wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How many `what` lines each order has in the logs of `servers`.
pub fn tally(servers: &[&Server], what: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for server in servers {
        for (line_what, order) in server.handled() {
            if line_what == what {
                *counts.entry(order).or_insert(0) += 1;
            }
        }
    }
    counts
}

// ---------------------------------------------------------------------------------------
// The gateway.

/// A Feennex callback for `order`, signed here (SHA-256 of the values joined with `:`, then
/// the secret) independently of the SDK: shop 5, secret `SecretKey01`.
pub fn callback(order: &str) -> String {
    let fields = format!(
        "payment_id=9&shop_amount=5.0&shop_currency=840&shop_id=5&shop_order_id={order}&status=success"
    );
    let string = format!("9:5.0:840:5:{order}:successSecretKey01");
    let sign: String =
        Sha256::digest(string.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("{fields}&sign={sign}")
}

/// The de-dup key of `order`'s callback, as the stores hold it.
pub fn key(order: &str) -> String {
    format!("v1|feennex|{}:{order}|paid", order.len())
}

/// Sends callbacks like a gateway, and counts every answer.
#[derive(Clone)]
pub struct Gateway {
    client: reqwest::Client,
    answers: Arc<Mutex<BTreeMap<u16, usize>>>,
}

/// An answer that is not an HTTP status (the connection failed).
pub const NO_ANSWER: u16 = 0;

impl Gateway {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        Self { client, answers: Arc::default() }
    }

    /// Posts `order`'s callback to `url` once; the status, or [`NO_ANSWER`].
    pub async fn send(&self, url: &str, order: &str) -> u16 {
        let answer = self
            .client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(callback(order))
            .send()
            .await;
        let status = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                status
            }
            Err(_) => NO_ANSWER,
        };
        *self.answers.lock().unwrap().entry(status).or_insert(0) += 1;
        status
    }

    /// Delivers `order`'s callback as a gateway does: again after any answer but 2xx, 100 ms
    /// later and twice as long each time up to 1 s, to `urls` in turn (a load balancer), until
    /// `deadline`. Whether it was acknowledged.
    pub async fn deliver(
        &self,
        urls: &[String],
        first: usize,
        order: &str,
        deadline: Instant,
    ) -> bool {
        let mut wait = Duration::from_millis(100);
        for attempt in first.. {
            let url = &urls[attempt % urls.len()];
            if (200..300).contains(&self.send(url, order).await) {
                return true;
            }
            if Instant::now() + wait > deadline {
                return false;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(1));
        }
        false
    }

    /// Every answer so far, by status ([`NO_ANSWER`] for none).
    pub fn answers(&self) -> BTreeMap<u16, usize> {
        self.answers.lock().unwrap().clone()
    }

    /// How many requests were sent.
    pub fn requests(&self) -> usize {
        self.answers().values().sum()
    }
}

/// Delivers `copies` deliveries of each of `orders`, all at once, split across `urls`: the
/// copies of one order go first to `urls` in turn, so both processes receive every
/// notification at the same moment and race for its key in the store. Each is redelivered
/// until acknowledged; the number acknowledged.
pub async fn deliver_all(
    gateway: &Gateway,
    urls: &[String],
    orders: &[String],
    copies: usize,
) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut tasks = tokio::task::JoinSet::new();
    for copy in 0..copies {
        for (index, order) in orders.iter().enumerate() {
            let (gateway, urls, order) = (gateway.clone(), urls.to_vec(), order.clone());
            // Copy `c` of an order starts at `urls[(index * copies + c) % n]`: consecutive
            // copies alternate between the processes.
            let first = index * copies + copy;
            tasks.spawn(async move { gateway.deliver(&urls, first, &order, deadline).await });
        }
    }
    tasks.join_all().await.into_iter().filter(|acked| *acked).count()
}

/// Exactly-once figures: how many orders were handled at all, how many handler runs were
/// duplicates, and how many orders were never handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Once {
    pub handled: usize,
    pub duplicates: usize,
    pub lost: usize,
}

impl Once {
    /// From each order's run count (orders missing from `counts` ran 0 times).
    pub fn of(orders: &[String], counts: &BTreeMap<String, usize>) -> Self {
        let runs = |order: &String| counts.get(order).copied().unwrap_or(0);
        Self {
            handled: orders.iter().filter(|order| runs(order) > 0).count(),
            duplicates: orders.iter().map(|order| runs(order).saturating_sub(1)).sum(),
            lost: orders.iter().filter(|order| runs(order) == 0).count(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Store servers of a test's own, to stop and start again.

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port()
}

/// A temporary directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Self {
        let path = std::env::temp_dir().join(format!("payments-{test}-{}", random_part()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `program`'s path in `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// A Redis server of the test's own on 127.0.0.1, with an append-only file synced at every
/// write (as a seen-store needs: done keys must survive a restart); killed on drop.
pub struct OwnRedis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl OwnRedis {
    /// Starts one, or `None` (skipped, or failing when required) without `redis-server`.
    pub fn start(test: &str, dir: &Path) -> Option<Self> {
        if which("redis-server").is_none() {
            assert!(!required(), "{test}: redis-server is not installed, and {REQUIRED}=1");
            skip(test, "redis-server is not installed");
            return None;
        }
        let mut server = Self { port: free_port(), dir: dir.join("redis"), child: None };
        std::fs::create_dir_all(&server.dir).unwrap();
        server.resume();
        Some(server)
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (SIGKILL: an outage, not a shutdown).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data.
    pub fn resume(&mut self) {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port, "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.ping() {
            assert!(Instant::now() < deadline, "Redis did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn ping(&self) -> bool {
        let Ok(mut stream) = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut answer = [0; 16];
        // A server still loading its append-only file answers -LOADING.
        matches!(stream.read(&mut answer), Ok(read) if answer[..read].starts_with(b"+PONG"))
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
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

/// A PostgreSQL cluster of the test's own on 127.0.0.1 (Debian's binaries; as the `postgres`
/// user when running as root, as PostgreSQL refuses root), stopped on drop.
pub struct OwnPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl OwnPostgres {
    /// Creates and starts one, or `None` (skipped, or failing when required) without the
    /// binaries.
    pub fn start(test: &str, dir: &Path) -> Option<Self> {
        let Some(bin) = postgres_bin_dir() else {
            assert!(!required(), "{test}: PostgreSQL's initdb is not installed, and {REQUIRED}=1");
            skip(test, "PostgreSQL's initdb is not found in /usr/lib/postgresql");
            return None;
        };
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|output| output.stdout.starts_with(b"0\n"));
        let server = Self { bin, dir: dir.join("postgres"), port: free_port(), as_postgres };
        std::fs::create_dir_all(server.dir.join("sockets")).unwrap();
        if as_postgres {
            server.run("chown", &["-R", "postgres:postgres", &server.dir.to_string_lossy()], false);
            // The postgres user must reach its directory.
            server.run("chmod", &["755", &dir.to_string_lossy()], false);
        }
        let data = server.dir.join("data");
        let initdb = server.bin.join("initdb");
        server.run(
            &initdb.to_string_lossy(),
            &["-D", &data.to_string_lossy(), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
                .into_iter()
                .chain(["--locale=C", "--no-sync"])
                .collect::<Vec<_>>(),
            true,
        );
        server.resume();
        let createdb = server.bin.join("createdb");
        let port = server.port.to_string();
        server.run(
            &createdb.to_string_lossy(),
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "payments_test"],
            true,
        );
        Some(server)
    }

    /// Runs `program`, as the `postgres` user if `as_postgres` and running as root.
    fn run(&self, program: &str, args: &[&str], as_postgres: bool) {
        let mut command = if as_postgres && self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", program]);
            command
        } else {
            Command::new(program)
        };
        let output =
            command.args(args).current_dir(&self.dir).stdin(Stdio::null()).output().unwrap();
        assert!(
            output.status.success(),
            "`{program} {}` failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.join("data");
        let mut all = vec!["-D", data.to_str().unwrap()];
        all.extend_from_slice(args);
        self.run(&self.bin.join("pg_ctl").to_string_lossy(), &all, true);
    }

    /// The server's URL, on the database `payments_test`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/payments_test", self.port)
    }

    /// Stops the server (fast: open transactions are rolled back, sessions cut).
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "-t", "30", "stop"]);
    }

    /// Starts the server (again) on the same port and data.
    pub fn resume(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} -c fsync=off \
             -c max_connections=100",
            self.port,
            self.dir.join("sockets").display()
        );
        let log = self.dir.join("postgres.log");
        self.pg_ctl(&["-o", &options, "-l", log.to_str().unwrap(), "-w", "-t", "30", "start"]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let pg_ctl = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&pg_ctl);
            command
        } else {
            Command::new(&pg_ctl)
        };
        let _ = command
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "-t", "30", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
