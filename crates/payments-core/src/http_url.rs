//! The one check for URLs a shop configures: API base URLs, pay pages, webhook targets.

use std::sync::{Arc, OnceLock};

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

/// The URLs of one base URL's endpoints, each joined once and then shared: parsing the join
/// on every request cost more than signing it, and a shared URL costs no copy. Clones share
/// the cache; a config that changes its base URL starts a new one ([`EndpointUrls::default`]).
///
/// ```
/// use payments_core::http_url::{EndpointUrls, base_url};
///
/// let base = base_url("base_url", "https://api.example/v1")?;
/// let urls = EndpointUrls::default();
/// assert_eq!(urls.join(&base, "bill/create")?.as_str(), "https://api.example/v1/bill/create");
/// assert_eq!(urls.join(&base, "bill/create")?.as_str(), "https://api.example/v1/bill/create");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct EndpointUrls(Arc<Slots>);

/// An endpoint and its joined URL.
type Joined = (Box<str>, Arc<Url>);

/// Slots filled in order and never emptied: a lookup reads them with no lock (a lock's two
/// atomic updates cost more than the lookup).
struct Slots([OnceLock<Joined>; EndpointUrls::LIMIT]);

impl Default for Slots {
    fn default() -> Self {
        Self(std::array::from_fn(|_| OnceLock::new()))
    }
}

impl EndpointUrls {
    /// At most this many endpoints are kept (paths holding ids are joined, not all kept).
    pub const LIMIT: usize = 64;

    /// `base` joined with `endpoint`, from the cache when it was joined before under the same
    /// base. A cached URL is used only when it begins with `base`, so a cache shared by
    /// mistake with another base joins afresh rather than answer another host's URL.
    ///
    /// # Errors
    ///
    /// When `endpoint` cannot be joined to `base`.
    pub fn join(&self, base: &Url, endpoint: &str) -> Result<Arc<Url>, url::ParseError> {
        let filled = self.0.0.iter().map_while(OnceLock::get);
        if let Some((_, url)) = filled.clone().find(|(known, _)| **known == *endpoint)
            && url.as_str().starts_with(base.as_str())
        {
            return Ok(Arc::clone(url));
        }
        let url = Arc::new(base.join(endpoint)?);
        if filled.clone().all(|(known, _)| **known != *endpoint) {
            // Two threads joining the same endpoint at once may both keep it: the first is
            // found first, the other only takes a slot.
            let mut joined = Some((endpoint.into(), Arc::clone(&url)));
            for slot in &self.0.0 {
                let Some(value) = joined.take() else { break };
                joined = slot.set(value).err();
            }
        }
        Ok(url)
    }
}

impl std::fmt::Debug for EndpointUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointUrls").finish_non_exhaustive()
    }
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

    #[test]
    fn a_cache_used_with_another_base_joins_afresh() {
        let first = base_url("b", "http://h/a/").unwrap();
        let second = base_url("b", "http://other/b/").unwrap();
        let urls = EndpointUrls::default();
        assert_eq!(urls.join(&first, "x").unwrap().as_str(), "http://h/a/x");
        assert_eq!(urls.join(&second, "x").unwrap().as_str(), "http://other/b/x");
        assert_eq!(urls.join(&first, "x").unwrap().as_str(), "http://h/a/x");
    }

    #[test]
    fn endpoint_urls_are_joined_once_and_capped() {
        let base = base_url("b", "http://h/a/").unwrap();
        let urls = EndpointUrls::default();
        assert_eq!(urls.join(&base, "x/y").unwrap().as_str(), "http://h/a/x/y");
        let kept =
            |urls: &EndpointUrls| urls.0.0.iter().filter(|slot| slot.get().is_some()).count();
        assert_eq!(kept(&urls), 1);
        assert_eq!(urls.join(&base, "x/y").unwrap().as_str(), "http://h/a/x/y");
        assert_eq!(kept(&urls), 1, "the second join came from the cache");
        for id in 0..100 {
            let url = urls.join(&base, &format!("item/{id}")).unwrap();
            assert_eq!(url.as_str(), format!("http://h/a/item/{id}"));
        }
        assert_eq!(kept(&urls), EndpointUrls::LIMIT);
        assert_eq!(urls.clone().join(&base, "item/99").unwrap().path(), "/a/item/99");
    }
}
