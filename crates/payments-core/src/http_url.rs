//! The one check for URLs a shop configures: API base URLs, pay pages, webhook targets.

use url::Url;

use crate::error::InputError;

/// Parses `text`, given for the setting `field`, as an absolute `http` or `https` URL.
///
/// ```
/// use payments_core::http_url::http_url;
///
/// assert_eq!(http_url("pay_url", "https://pay.example/form")?.path(), "/form");
/// assert!(http_url("pay_url", "ftp://pay.example/").is_err());
/// assert!(http_url("pay_url", "pay.example").is_err());
/// # Ok::<(), payments_core::InputError>(())
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `field`, for text that is not a URL or not an http(s) one.
pub fn http_url(field: &'static str, text: &str) -> Result<Url, InputError> {
    let url =
        Url::parse(text).map_err(|error| InputError::field(field, format!("{text:?}: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(InputError::field(field, format!("{text:?} is not an http(s) URL")));
    }
    Ok(url)
}

/// Parses `text` as [`http_url`] does, as the base of an API: a missing trailing slash is
/// added to its path, so endpoint paths are appended to it rather than replacing its last
/// segment (`https://proxy/feennex` + `bill/create` is `https://proxy/feennex/bill/create`).
///
/// ```
/// use payments_core::http_url::base_url;
///
/// let base = base_url("base_url", "https://proxy.example/feennex")?;
/// assert_eq!(base.join("bill/create")?.as_str(), "https://proxy.example/feennex/bill/create");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`http_url`].
pub fn base_url(field: &'static str, text: &str) -> Result<Url, InputError> {
    let mut url = http_url(field, text)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_keep_query_free_paths_and_end_in_a_slash() {
        assert_eq!(
            base_url("b", "http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(base_url("b", "https://h/a/").unwrap().as_str(), "https://h/a/");
        let error = base_url("base_url", "mailto:x@y").unwrap_err().to_string();
        assert_eq!(error, r#"field base_url: "mailto:x@y" is not an http(s) URL"#);
    }
}
