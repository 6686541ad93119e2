//! Where a notification may come from: Freekassa's addresses, and which proxies are believed
//! when they say who the client was.
//!
//! The connecting peer is the only address nobody can forge. `X-Real-IP` and
//! `X-Forwarded-For` are ordinary request headers that anyone can send, so they are read only
//! when the peer is a proxy the shop declared trusted ([`SourcePolicy::with_trusted_proxy`]).
//! A request from an untrusted peer that carries them is refused with its own error, so a
//! spoofing attempt is told apart from a plain foreign address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use http::HeaderMap;
use ipnet::{IpNet, Ipv4Net};
use payments_core::InputError;

use crate::webhook::NotificationError;

/// The addresses Freekassa sends notifications from, as the documentation lists them today
/// (`138.201.88.124`, on older lists, is gone).
pub const FREEKASSA_IPS: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(168, 119, 157, 136)),
    IpAddr::V4(Ipv4Addr::new(168, 119, 60, 227)),
    IpAddr::V4(Ipv4Addr::new(178, 154, 197, 79)),
    IpAddr::V4(Ipv4Addr::new(51, 250, 54, 238)),
];

/// One address or a CIDR network (`10.0.0.0/8`, `2001:db8::/32`), matched by the `ipnet`
/// crate. An IPv4-mapped IPv6 address or network (`::ffff:10.0.0.0/104`) is held as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpRange(IpNet);

impl IpRange {
    /// A single address.
    pub fn single(ip: IpAddr) -> Self {
        Self(IpNet::from(canonical(ip)))
    }

    /// Whether `ip` is in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&canonical(ip))
    }
}

impl From<IpAddr> for IpRange {
    fn from(ip: IpAddr) -> Self {
        Self::single(ip)
    }
}

impl FromStr for IpRange {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| InputError::field("ip_range", format!("{text:?}: {reason}"));
        let Some((address, prefix)) = text.split_once('/') else {
            let ip = text.parse::<IpAddr>().map_err(|_| bad("not an IP address"))?;
            return Ok(Self::single(ip));
        };
        address.parse::<IpAddr>().map_err(|_| bad("not an IP address"))?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("bad prefix length"));
        }
        let network = text.parse::<IpNet>().map_err(|_| bad("bad prefix length"))?;
        let network = canonical_network(network);
        if let IpNet::V6(v6) = network
            && v6.addr().to_ipv4_mapped().is_some()
        {
            // Fewer than 96 prefix bits of ::ffff:0:0/96: a range no peer address is ever
            // compared in (mapped peers are read as IPv4), so it would match nothing.
            return Err(bad("an IPv4-mapped network needs a prefix of at least 96"));
        }
        Ok(Self(network))
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// An IPv4-mapped IPv6 network of at least 96 prefix bits as the IPv4 network it maps.
fn canonical_network(network: IpNet) -> IpNet {
    let IpNet::V6(v6) = network else { return network };
    match (v6.addr().to_ipv4_mapped(), v6.prefix_len().checked_sub(96)) {
        (Some(v4), Some(prefix)) => Ipv4Net::new(v4, prefix).map_or(network, IpNet::V4),
        _ => network,
    }
}

/// Which forwarded header a trusted proxy sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ForwardedHeader {
    /// `X-Real-IP` when present, otherwise `X-Forwarded-For` (the default).
    #[default]
    RealIpThenForwardedFor,
    /// Only `X-Real-IP` (nginx `proxy_set_header X-Real-IP $remote_addr`).
    RealIp,
    /// Only `X-Forwarded-For`, read from the right, skipping trusted proxies.
    ForwardedFor,
}

/// Which source addresses a notification is accepted from.
///
/// ```
/// use freekassa::source_ip::SourcePolicy;
///
/// // Freekassa's list, behind a load balancer in 10.0.0.0/8 that sets X-Forwarded-For.
/// let policy = SourcePolicy::freekassa().with_trusted_proxy("10.0.0.0/8".parse()?);
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePolicy {
    allowed: Option<Vec<IpRange>>,
    trusted_proxies: Vec<IpRange>,
    header: ForwardedHeader,
}

impl Default for SourcePolicy {
    fn default() -> Self {
        Self::freekassa()
    }
}

const REAL_IP: &str = "x-real-ip";
const FORWARDED_FOR: &str = "x-forwarded-for";

impl SourcePolicy {
    /// Freekassa's current addresses ([`FREEKASSA_IPS`]), no trusted proxy.
    pub fn freekassa() -> Self {
        Self::allow(FREEKASSA_IPS.map(IpRange::single))
    }

    /// Exactly these addresses (when Freekassa publishes a new list before this SDK does).
    pub fn allow(ranges: impl IntoIterator<Item = IpRange>) -> Self {
        Self {
            allowed: Some(ranges.into_iter().collect()),
            trusted_proxies: Vec::new(),
            header: ForwardedHeader::default(),
        }
    }

    /// No address check at all. For local tests and sandboxes only: the signature still has
    /// to match.
    pub fn any_source() -> Self {
        Self { allowed: None, trusted_proxies: Vec::new(), header: ForwardedHeader::default() }
    }

    /// Believes forwarded headers from requests whose peer is in `proxy`.
    #[must_use]
    pub fn with_trusted_proxy(mut self, proxy: IpRange) -> Self {
        self.trusted_proxies.push(proxy);
        self
    }

    /// Chooses which forwarded header the trusted proxies set.
    #[must_use]
    pub fn with_forwarded_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|range| range.contains(ip))
    }

    fn is_allowed(&self, ip: IpAddr) -> bool {
        self.allowed.as_ref().is_none_or(|allowed| allowed.iter().any(|range| range.contains(ip)))
    }

    /// The client address of a request: the peer, or what a trusted proxy says.
    ///
    /// # Errors
    ///
    /// [`NotificationError::NoPeerAddress`] without a peer, [`NotificationError::Malformed`]
    /// for an unreadable forwarded header from a trusted proxy.
    pub fn client_ip(
        &self,
        peer: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Result<IpAddr, NotificationError> {
        let peer = canonical(peer.ok_or(NotificationError::NoPeerAddress)?);
        if !self.is_trusted(peer) {
            return Ok(peer);
        }
        let use_real_ip = self.header != ForwardedHeader::ForwardedFor;
        let use_forwarded = self.header != ForwardedHeader::RealIp;
        if use_real_ip && let Some(ip) = real_ip(headers)? {
            return Ok(ip);
        }
        if use_forwarded {
            let chain = forwarded_for(headers)?;
            // Read from the right: the last hop was added by our own proxy; skip every trusted
            // proxy, and the first address that is not one is the client.
            if let Some(client) = chain.iter().rev().find(|ip| !self.is_trusted(**ip)) {
                return Ok(*client);
            }
            if let Some(first) = chain.first() {
                return Ok(*first);
            }
        }
        Ok(peer)
    }

    /// Checks the source of a request.
    ///
    /// # Errors
    ///
    /// [`NotificationError::ForbiddenSource`] for an address outside the list,
    /// [`NotificationError::UntrustedForwardedHeader`] when an untrusted, unlisted peer sent a
    /// forwarded header (a spoofing attempt or a proxy missing from the trusted list), and the
    /// errors of [`SourcePolicy::client_ip`].
    pub fn check(
        &self,
        peer: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Result<IpAddr, NotificationError> {
        if self.allowed.is_none() {
            return Ok(peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), canonical));
        }
        let client = self.client_ip(peer, headers)?;
        if self.is_allowed(client) {
            return Ok(client);
        }
        if let Some(peer) = peer.map(canonical)
            && !self.is_trusted(peer)
        {
            for header in [REAL_IP, FORWARDED_FOR] {
                if headers.contains_key(header) {
                    return Err(NotificationError::UntrustedForwardedHeader { peer, header });
                }
            }
        }
        Err(NotificationError::ForbiddenSource { ip: client })
    }
}

fn header_ip(text: &str, header: &'static str) -> Result<IpAddr, NotificationError> {
    let text = text.trim();
    // `X-Forwarded-For` entries may carry a port: `1.2.3.4:5678`, `[2001:db8::1]:443`.
    let address = if let Some(rest) = text.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(inside, _)| inside)
    } else if text.matches(':').count() == 1 {
        text.split_once(':').map_or(text, |(host, _)| host)
    } else {
        text
    };
    address.parse::<IpAddr>().map(canonical).map_err(|_| {
        NotificationError::Malformed(format!("{header}: {text:?} is not an IP address"))
    })
}

fn real_ip(headers: &HeaderMap) -> Result<Option<IpAddr>, NotificationError> {
    let mut values = headers.get_all(REAL_IP).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(NotificationError::Malformed("X-Real-IP appears more than once".into()));
    }
    let text = value
        .to_str()
        .map_err(|_| NotificationError::Malformed("X-Real-IP is not ASCII".into()))?;
    header_ip(text, REAL_IP).map(Some)
}

fn forwarded_for(headers: &HeaderMap) -> Result<Vec<IpAddr>, NotificationError> {
    let mut chain = Vec::new();
    for value in headers.get_all(FORWARDED_FOR) {
        let text = value
            .to_str()
            .map_err(|_| NotificationError::Malformed("X-Forwarded-For is not ASCII".into()))?;
        for entry in text.split(',').filter(|entry| !entry.trim().is_empty()) {
            chain.push(header_ip(entry, FORWARDED_FOR)?);
        }
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn ranges() {
        let range: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(range.contains(ip("10.200.1.1")));
        assert!(!range.contains(ip("11.0.0.1")));
        assert!(range.contains(ip("::ffff:10.1.2.3")));
        let any: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains(ip("1.2.3.4")) && !any.contains(ip("::1")));
        let v6: IpRange = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::1")) && !v6.contains(ip("2001:db9::1")));
        for bad in ["10.0.0.0/33", "10.0.0.0/", "x", "10.0.0.0/+8", "::/129", "10.0.0.0/8/8"] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
        // An IPv4-mapped network is the IPv4 network it maps: 96 + 8 bits is 10.0.0.0/8.
        let mapped: IpRange = "::ffff:10.0.0.0/104".parse().unwrap();
        assert_eq!(mapped, range);
        assert!(mapped.contains(ip("10.9.9.9")) && !mapped.contains(ip("11.0.0.1")));
        let single: IpRange = "::ffff:168.119.60.227".parse().unwrap();
        assert_eq!(single.to_string(), "168.119.60.227/32");
        // Shorter than the mapped prefix itself: it could match no peer, so it is refused.
        assert!("::ffff:10.0.0.0/80".parse::<IpRange>().is_err());
    }

    #[test]
    fn direct_peers() {
        let policy = SourcePolicy::freekassa();
        assert_eq!(
            policy.check(Some(ip("51.250.54.238")), &HeaderMap::new()).unwrap(),
            ip("51.250.54.238")
        );
        assert!(policy.check(Some(ip("::ffff:168.119.60.227")), &HeaderMap::new()).is_ok());
        assert!(matches!(
            policy.check(Some(ip("138.201.88.124")), &HeaderMap::new()),
            Err(NotificationError::ForbiddenSource { .. })
        ));
        assert!(matches!(
            policy.check(None, &HeaderMap::new()),
            Err(NotificationError::NoPeerAddress)
        ));
        assert!(SourcePolicy::any_source().check(None, &HeaderMap::new()).is_ok());
    }

    #[test]
    fn trusted_proxy_headers() {
        let policy = SourcePolicy::freekassa().with_trusted_proxy("10.0.0.0/8".parse().unwrap());
        let proxy = Some(ip("10.0.0.5"));
        let via_real_ip = headers(&[("x-real-ip", "178.154.197.79")]);
        assert!(policy.check(proxy, &via_real_ip).is_ok());
        // Rightmost untrusted entry wins: a client-supplied left part is ignored.
        let chain = headers(&[("x-forwarded-for", "168.119.157.136, 6.6.6.6, 10.0.0.7")]);
        assert!(matches!(
            policy.check(proxy, &chain),
            Err(NotificationError::ForbiddenSource { ip: found }) if found == ip("6.6.6.6")
        ));
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 168.119.157.136:443")]);
        assert!(policy.check(proxy, &chain).is_ok());
        // A proxy without a header is just its own address.
        assert!(matches!(
            policy.check(proxy, &HeaderMap::new()),
            Err(NotificationError::ForbiddenSource { .. })
        ));
        let garbage = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert!(matches!(policy.check(proxy, &garbage), Err(NotificationError::Malformed(_))));
        let only_xff = policy.clone().with_forwarded_header(ForwardedHeader::ForwardedFor);
        let both = headers(&[("x-real-ip", "178.154.197.79"), ("x-forwarded-for", "6.6.6.6")]);
        assert!(only_xff.check(proxy, &both).is_err());
    }

    #[test]
    fn headers_from_untrusted_peers_are_spoofing() {
        let policy = SourcePolicy::freekassa();
        let spoofed = headers(&[("x-forwarded-for", "168.119.157.136")]);
        assert!(matches!(
            policy.check(Some(ip("203.0.113.9")), &spoofed),
            Err(NotificationError::UntrustedForwardedHeader { header: "x-forwarded-for", .. })
        ));
        // Freekassa itself connecting directly with a stray header is fine.
        assert!(policy.check(Some(ip("168.119.157.136")), &spoofed).is_ok());
    }
}
