//! Secret options. Every secret `--NAME` of every subcommand comes from, in this order:
//!
//! 1. `--NAME VALUE` (or `--NAME=VALUE`): the value exactly as written, even when it begins
//!    with `-` or `@` (Freekassa secret words may begin with any character);
//! 2. `--NAME-file PATH`: the file's content, without one trailing newline; `PATH` `-` reads
//!    standard input (a file named `-` is `./-`);
//! 3. the environment variable the option names.
//!
//! Giving both `--NAME` and `--NAME-file` is a usage error. A secret is never printed: errors
//! name the option, the file or the variable, never the value.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use payments::SecretString;
use payments::core::ExposeSecret;

use crate::Failure;

/// The longest secret file read (a secret is a few dozen bytes; this guards against pointing
/// the option at a large file or a stream that never ends).
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Declares the `clap::Args` of one secret option: `--$long`, `--$long-file` and `$env`.
macro_rules! secret_option {
    ($(#[$doc:meta])* $name:ident, $long:literal, $env:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, clap::Args)]
        pub struct $name {
            #[arg(
                id = $long,
                long = $long,
                value_name = "VALUE",
                allow_hyphen_values = true,
                value_parser = crate::secret::parse_literal,
                help = concat!(
                    $what,
                    ", taken literally even when it begins with '-' or '@' [env: ",
                    $env,
                    "]"
                )
            )]
            value: Option<payments::SecretString>,
            #[arg(
                id = concat!($long, "-file"),
                long = concat!($long, "-file"),
                value_name = "PATH",
                conflicts_with = $long,
                help = concat!(
                    "Read --",
                    $long,
                    " from this file, without one trailing newline ('-': standard input)"
                )
            )]
            file: Option<std::path::PathBuf>,
        }

        impl $name {
            /// The secret, from the option, its file or the environment.
            pub fn resolve(self) -> Result<payments::SecretString, crate::Failure> {
                crate::secret::resolve($long, $env, self.value, self.file)
            }
        }
    };
}

secret_option!(FeennexSecret, "secret", "FEENNEX_SECRET", "The shop's secret key");
secret_option!(FreekassaSecret1, "secret1", "FREEKASSA_SECRET1", "Secret word 1");
secret_option!(FreekassaSecret2, "secret2", "FREEKASSA_SECRET2", "Secret word 2");
secret_option!(FreekassaApiKey, "api-key", "FREEKASSA_API_KEY", "The API key");
secret_option!(FenaSecret, "secret", "FENA_SECRET", "The terminal secret");

/// The value parser of `--NAME VALUE`: the value as written, wrapped at once.
pub fn parse_literal(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

/// Picks the secret of `--long`: the literal value, else the file, else the variable `env`.
pub fn resolve(
    long: &str,
    env: &str,
    value: Option<SecretString>,
    file: Option<PathBuf>,
) -> Result<SecretString, Failure> {
    let (secret, source) = match (value, file) {
        (Some(value), _) => (value, format!("--{long}")),
        (None, Some(path)) => {
            let source = format!("--{long}-file {}", shown(&path));
            (read_file(&path, &source)?, source)
        }
        (None, None) => match std::env::var_os(env) {
            Some(value) => (from_env(env, value)?, env.to_owned()),
            None => {
                return Err(Failure::Usage(format!(
                    "the secret is missing: give --{long} VALUE, --{long}-file PATH \
                     ('-' for standard input) or set {env}"
                )));
            }
        },
    };
    if secret.expose_secret().is_empty() {
        return Err(Failure::Usage(format!("the secret from {source} is empty")));
    }
    Ok(secret)
}

/// How a path is named in messages (`-` is standard input).
fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "- (standard input)".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads a secret file, or standard input for `-`, dropping one trailing `\n` or `\r\n`.
fn read_file(path: &Path, source: &str) -> Result<SecretString, Failure> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().lock().take(MAX_SECRET_FILE + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_SECRET_FILE + 1).read_to_end(&mut bytes))
    };
    read.map_err(|error| Failure::Usage(format!("cannot read {source}: {error}")))?;
    if u64::try_from(bytes.len()).map_or(true, |len| len > MAX_SECRET_FILE) {
        return Err(Failure::Usage(format!(
            "{source} is longer than {MAX_SECRET_FILE} bytes; is it the secret?"
        )));
    }
    let Ok(mut text) = String::from_utf8(bytes) else {
        return Err(Failure::Usage(format!("{source} is not UTF-8 text")));
    };
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(SecretString::from(text))
}

/// A secret from the environment variable `env`.
fn from_env(env: &str, value: OsString) -> Result<SecretString, Failure> {
    value
        .into_string()
        .map(SecretString::from)
        .map_err(|_| Failure::Usage(format!("{env} is not UTF-8 text")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a failing test should fail loudly")]

    use super::*;

    fn message(failure: Failure) -> String {
        match failure {
            Failure::Usage(message) | Failure::Check(message) => message,
        }
    }

    #[test]
    fn a_literal_wins_and_a_file_loses_one_newline() {
        let literal = resolve("secret1", "UNSET_VAR_X", Some("-x7".into()), None).unwrap();
        assert_eq!(literal.expose_secret(), "-x7");

        let dir = std::env::temp_dir().join(format!("payments-cli-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (content, expected) in
            [("@a\n", "@a"), ("b\r\n", "b"), ("c\n\n", "c\n"), ("  d ", "  d ")]
        {
            let path = dir.join("secret");
            std::fs::write(&path, content).unwrap();
            let secret = resolve("secret1", "UNSET_VAR_X", None, Some(path)).unwrap();
            assert_eq!(secret.expose_secret(), expected, "{content:?}");
        }
        let path = dir.join("empty");
        std::fs::write(&path, "\n").unwrap();
        let error = message(resolve("secret1", "UNSET_VAR_X", None, Some(path)).unwrap_err());
        assert!(error.contains("--secret1-file") && error.contains("empty"), "{error}");
        let error =
            message(resolve("secret1", "UNSET_VAR_X", None, Some(dir.join("absent"))).unwrap_err());
        assert!(error.starts_with("cannot read --secret1-file"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
