//! Secret options: literal values beginning with `-` or `@`, `--NAME-file PATH`, `--NAME-file -`
//! (standard input) and the environment, for every secret option of every subcommand; and no
//! secret in any error message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Runs the binary with no environment but `env`, feeding `stdin`.
fn run_with(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payments"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The command may exit before reading: a broken pipe is not a failure of the test.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_with(args, &[], b"")
}

fn stdout_json(output: &Output, what: &str) -> Value {
    assert!(
        output.status.success(),
        "{what}: exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A fresh directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payments-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One secret option: the subcommand before it, its name, its variable, the arguments after.
struct Case {
    command: &'static [&'static str],
    option: &'static str,
    env: &'static str,
    rest: Vec<String>,
}

/// Every secret option of every subcommand, with arguments that succeed for `secret`.
fn cases(secret: &str) -> Vec<Case> {
    let sign = |args: &[&str], env: &[(&str, &str)]| {
        stdout_json(&run_with(args, env, b""), &format!("{args:?}"))
    };
    let feennex_sign = sign(
        &["sign", "feennex", "shop_id=5", "status=success", "shop_order_id=7"],
        &[("FEENNEX_SECRET", secret)],
    );
    let feennex_body =
        format!("shop_id=5&status=success&shop_order_id=7&sign={}", text(&feennex_sign["sign"]));
    let fk_sign = sign(
        &[
            "sign",
            "freekassa-notification",
            "MERCHANT_ID=7012",
            "AMOUNT=100",
            "MERCHANT_ORDER_ID=o1",
        ],
        &[("FREEKASSA_SECRET2", secret)],
    );
    let fk_body =
        format!("MERCHANT_ID=7012&AMOUNT=100&MERCHANT_ORDER_ID=o1&SIGN={}", text(&fk_sign["sign"]));
    let claims = r#"{"iat": 1700000000, "exp": 4102444800, "terminalID": "t-1", "orderID": "ORDER-1", "amount": "10.00", "email": "user@example.com", "firstName": "John", "lastName": "Doe", "contactNumber": "07000000000", "bankID": "ob-lloyds-personal", "sortCode": "123456", "accountNumber": "12345678"}"#;
    let token = sign(&["sign", "fena", "--claims", claims], &[("FENA_SECRET", secret)]);
    let owned = |args: &[&str]| args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>();
    vec![
        Case {
            command: &["sign", "feennex"],
            option: "secret",
            env: "FEENNEX_SECRET",
            rest: owned(&["shop_id=5", "shop_order_id=7"]),
        },
        Case {
            command: &["sign", "freekassa-form"],
            option: "secret1",
            env: "FREEKASSA_SECRET1",
            rest: owned(&["m=7012", "oa=100", "currency=RUB", "o=o1"]),
        },
        Case {
            command: &["sign", "freekassa-notification"],
            option: "secret2",
            env: "FREEKASSA_SECRET2",
            rest: owned(&["MERCHANT_ID=7012", "AMOUNT=100", "MERCHANT_ORDER_ID=o1"]),
        },
        Case {
            command: &["sign", "freekassa-api"],
            option: "api-key",
            env: "FREEKASSA_API_KEY",
            rest: owned(&["shopId=7012", "nonce=1"]),
        },
        Case {
            command: &["sign", "fena"],
            option: "secret",
            env: "FENA_SECRET",
            rest: owned(&["--claims", claims]),
        },
        Case {
            command: &["verify", "feennex"],
            option: "secret",
            env: "FEENNEX_SECRET",
            rest: vec!["--body".to_owned(), feennex_body],
        },
        Case {
            command: &["verify", "freekassa"],
            option: "secret2",
            env: "FREEKASSA_SECRET2",
            rest: vec!["--body".to_owned(), fk_body],
        },
        Case {
            command: &["verify", "fena"],
            option: "secret",
            env: "FENA_SECRET",
            rest: vec![
                "--link".to_owned(),
                "--terminal-id".to_owned(),
                "t-1".to_owned(),
                "--token".to_owned(),
                text(&token["token"]),
            ],
        },
    ]
}

fn text(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

#[test]
fn every_secret_option_takes_a_dash_value_a_file_standard_input_and_the_environment() {
    let dir = scratch("secrets");
    // Begins with '-', then '@': neither is read as a flag or a file reference.
    for secret in ["-x7Q:secret", "@not-a-file"] {
        for case in cases(secret) {
            let with = |option: &[&str]| {
                let mut args: Vec<&str> = case.command.to_vec();
                args.extend_from_slice(option);
                args.extend(case.rest.iter().map(String::as_str));
                args.into_iter().map(str::to_owned).collect::<Vec<_>>()
            };
            let long = format!("--{}", case.option);
            let file_option = format!("--{}-file", case.option);
            let path = dir.join(case.option);
            std::fs::write(&path, format!("{secret}\n")).unwrap();
            let path = path.to_str().unwrap();
            let equals = format!("{long}={secret}");
            let name = format!("{:?} {long}", case.command);

            let expected = stdout_json(
                &run_with(
                    &with(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
                    &[(case.env, secret)],
                    b"",
                ),
                &format!("{name} from {}", case.env),
            );
            let sources = [
                (with(&[&long, secret]), Vec::new()),
                (with(&[&equals]), Vec::new()),
                (with(&[&file_option, path]), Vec::new()),
                (with(&[&file_option, "-"]), format!("{secret}\r\n").into_bytes()),
            ];
            for (args, stdin) in sources {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                // A wrong secret in the environment: the option wins over it.
                let output = run_with(&args, &[(case.env, "wrong")], &stdin);
                assert_eq!(stdout_json(&output, &format!("{args:?}")), expected, "{args:?}");
                assert!(!String::from_utf8_lossy(&output.stdout).contains(secret), "{args:?}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Arguments, environment and the exit status expected.
type Failure<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], i32);

#[test]
fn secrets_never_appear_in_errors() {
    let secret = "-TopSecretWord9";
    let dir = scratch("secret-errors");
    let path = dir.join("secret");
    std::fs::write(&path, secret).unwrap();
    let path = path.to_str().unwrap();
    let failures: [Failure<'_>; 6] = [
        // A missing field.
        (&["sign", "freekassa-form", "--secret1", secret, "m=1"], &[], 2),
        // Both the option and its file.
        (&["sign", "freekassa-form", "--secret1", secret, "--secret1-file", path, "m=1"], &[], 2),
        // A wrong signature.
        (
            &[
                "verify",
                "freekassa",
                "--secret2-file",
                path,
                "--body",
                "MERCHANT_ID=1&AMOUNT=1&MERCHANT_ORDER_ID=1&SIGN=00",
            ],
            &[],
            1,
        ),
        (&["verify", "feennex", "--body", "shop_id=5&sign=00"], &[("FEENNEX_SECRET", secret)], 1),
        // Not KEY=VALUE.
        (&["sign", "feennex", "--secret", secret, "oops"], &[], 2),
        // Bad claims.
        (&["sign", "fena", "--claims", "[", "--secret-file", path], &[], 2),
    ];
    for (args, env, code) in failures {
        let output = run_with(args, env, b"");
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.is_empty(), "{args:?}: a reason");
        assert!(!stderr.contains("TopSecret"), "{args:?} printed the secret: {stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains("TopSecret"), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn secret_errors_name_the_source() {
    let dir = scratch("secret-sources");
    let empty = dir.join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let binary = dir.join("binary");
    std::fs::write(&binary, [0xff, 0xfe, b'\n']).unwrap();
    let missing = dir.join("missing");
    let fields = ["m=1", "oa=2", "currency=RUB", "o=3"];
    let expect = |option: &[&str], stdin: &[u8], needle: &str| {
        let mut args = vec!["sign", "freekassa-form"];
        args.extend_from_slice(option);
        args.extend_from_slice(&fields);
        let output = run_with(&args, &[], stdin);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr:?} should say {needle:?}");
    };
    expect(&[], b"", "give --secret1 VALUE, --secret1-file PATH");
    expect(&["--secret1-file", empty.to_str().unwrap()], b"", "is empty");
    expect(&["--secret1-file", binary.to_str().unwrap()], b"", "is not UTF-8");
    expect(&["--secret1-file", missing.to_str().unwrap()], b"", "cannot read --secret1-file");
    expect(&["--secret1-file", "-"], b"", "--secret1-file - (standard input)");
    expect(&["--secret1", ""], b"", "the secret from --secret1 is empty");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_documents_the_secret_scheme() {
    for args in [["sign", "freekassa-form"], ["verify", "fena"]] {
        let output = run(&[args[0], args[1], "--help"]);
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success());
        for needle in ["-file <PATH>", "standard input", "begins with '-'", "[env: "] {
            assert!(help.contains(needle), "{args:?} --help lacks {needle:?}:\n{help}");
        }
    }
}
