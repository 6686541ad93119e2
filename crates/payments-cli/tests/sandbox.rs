//! `payments sandbox`: every URL it serves is printed, and `--feennex-notify`,
//! `--freekassa-notify` and `--fena-notify` send each gateway's notifications where they say.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// The sandbox child, killed when dropped.
struct Running {
    child: Child,
    lines: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// `http://127.0.0.1:<port>`, from the first line.
    fn base(&self) -> String {
        self.lines[0].strip_prefix("Sandbox listening on ").unwrap().to_owned()
    }
}

/// Starts `payments sandbox --port 0 <args>` and reads what it prints up to "Press Ctrl-C".
fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payments"))
        .arg("sandbox")
        .args(["--port", "0"])
        .args(args)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut running = Running { child, lines: Vec::new() };
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line == "Press Ctrl-C to stop." {
            return running;
        }
        running.lines.push(line);
    }
    panic!("the sandbox stopped before it was ready: {:?}", running.lines);
}

/// One HTTP/1.1 request: the status and the headers and body as text.
fn http(base: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
    let authority = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// A merchant receiver on a free port: answers `YES` to every request and reports each
/// request's path and body.
fn receiver() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header == "\r\n" || header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let path = request_line.split(' ').nth(1).unwrap().to_owned();
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\
                  Connection: close\r\n\r\nYES",
            );
            if sender.send((path, String::from_utf8(body).unwrap())).is_err() {
                return;
            }
        }
    });
    (url, received)
}

fn json(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_payments")).args(args).env_clear().output();
    let output = output.unwrap();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn prints_every_gateway_url_and_where_notifications_go() {
    let sandbox = start(&[]);
    let base = sandbox.base();
    let text = sandbox.lines.join("\n");
    for url in [
        format!("{base}/feennex/"),
        format!("{base}/feennex/en/pay"),
        format!("{base}/freekassa/pay/"),
        format!("{base}/freekassa/api/v1/"),
        format!("{base}/fena/pay/"),
        format!("{base}/checkout/<id>"),
        format!("{base}/control/payments"),
        format!("{base}/control/payments/<id>/pay"),
        format!("{base}/control/payments/<id>/reject"),
        format!("POST {base}/control/faults"),
        format!("dashboard               {base}/\n"),
        format!("POST {base}/control/payments/<id>/redeliver"),
    ] {
        assert!(text.contains(&url), "{url} missing from\n{text}");
    }
    assert!(text.contains("feennex shop 5  -> the request's callback_url only"), "{text}");
    assert!(text.contains("shop_id=7012 secret1=secret"), "{text}");
    // What it prints is served.
    let (status, _, body) = http(&base, "GET", "/control/payments", None);
    assert_eq!((status, body.as_str()), (200, r#"{"payments":[]}"#));
    let (status, _, body) = http(&base, "GET", "/control/faults", None);
    assert_eq!((status, body.as_str()), (200, r#"{"faults":[]}"#));
    let (status, _, body) = http(&base, "GET", "/", None);
    assert_eq!(status, 200);
    assert!(body.contains("<h1>Payments sandbox</h1>"), "{body}");
}

#[test]
fn notification_flags_send_each_gateway_to_its_url() {
    let (url, received) = receiver();
    let (feennex, freekassa, fena) =
        (format!("{url}/fx-hook"), format!("{url}/fk-hook"), format!("{url}/fena-hook"));
    let sandbox = start(&[
        "--feennex-notify",
        &feennex,
        "--freekassa-notify",
        &freekassa,
        "--fena-notify",
        &fena,
    ]);
    let base = sandbox.base();
    let text = sandbox.lines.join("\n");
    for line in [
        format!("feennex shop 5  -> {feennex}"),
        format!("freekassa shop 7012  -> {freekassa}"),
        format!("fena terminal 4af9b080-b6d3-4206-a10f-f2162f15b655  -> {fena}"),
    ] {
        assert!(text.contains(&line), "{line} missing from\n{text}");
    }

    // Feennex: a bill without a callback_url of its own.
    let fields = [
        "payer_currency=643",
        "shop_amount=23.15",
        "shop_currency=643",
        "shop_id=5",
        "shop_order_id=cli-fx",
    ];
    let mut args = vec!["sign", "feennex", "--secret", "SecretKey01", "--endpoint", "bill/create"];
    args.extend(fields);
    let sign = json(&args)["sign"].as_str().unwrap().to_owned();
    let bill = format!(
        r#"{{"payer_currency": 643, "shop_amount": "23.15", "shop_currency": 643, "shop_id": "5", "shop_order_id": "cli-fx", "sign": "{sign}"}}"#
    );
    let (status, _, body) = http(&base, "POST", "/feennex/bill/create", Some(&bill));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""result":true"#), "{body}");

    // Freekassa: the payment form.
    let form = json(&[
        "sign",
        "freekassa-form",
        "--secret1",
        "secret",
        "m=7012",
        "oa=100",
        "currency=RUB",
        "o=cli-fk",
    ]);
    let query = format!(
        "/freekassa/pay/?m=7012&oa=100&currency=RUB&o=cli-fk&s={}",
        form["sign"].as_str().unwrap()
    );
    let (status, head, body) = http(&base, "GET", &query, None);
    assert!((300..400).contains(&status), "{status} {body}");
    assert!(head.to_ascii_lowercase().contains("location: /checkout/"), "{head}");

    // Fena: the payment link of the test vectors (terminal 4af9b080-..., the demo terminal).
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../testdata/vectors/fena.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let link = vectors["valid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["name"] == "payment request")
        .unwrap();
    let path = format!("/fena/pay/?token={}", link["token"].as_str().unwrap());
    let (status, _, body) = http(&base, "GET", &path, None);
    assert!((300..400).contains(&status), "{status} {body}");

    // Pay each, and see its notification arrive at the URL its flag gave.
    let (_, _, list) = http(&base, "GET", "/control/payments", None);
    let list: Value = serde_json::from_str(&list).unwrap();
    let payments = list["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 3, "{list}");
    for (order, hook, needle) in [
        ("cli-fx", "/fx-hook", "shop_order_id=cli-fx"),
        ("cli-fk", "/fk-hook", "MERCHANT_ORDER_ID=cli-fk"),
        ("ORDER-0001", "/fena-hook", "token="),
    ] {
        let payment = payments.iter().find(|payment| payment["order_id"] == order).unwrap();
        let id = payment["id"].as_u64().unwrap();
        let (status, _, body) =
            http(&base, "POST", &format!("/control/payments/{id}/pay"), Some(""));
        assert_eq!(status, 200, "{order}: {body}");
        let (path, body) = received.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(path, hook, "{order}");
        assert!(body.contains(needle), "{order}: {body}");
    }
}

#[test]
fn a_notification_flag_must_be_an_http_url() {
    let output = Command::new(env!("CARGO_BIN_EXE_payments"))
        .args(["sandbox", "--port", "0", "--fena-notify", "ftp://example.com/hook"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--fena-notify") && stderr.contains("http://"), "{stderr}");
}
