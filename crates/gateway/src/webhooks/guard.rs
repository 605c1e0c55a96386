//! SSRF guard for webhook endpoints: which addresses a live-mode endpoint may reach, the URL
//! check at endpoint creation, and the name resolution every connection goes through.
//!
//! A host name is resolved once per new connection, every address it resolves to is checked,
//! and the connection is made only to those checked addresses (see `connect.rs`), so a name
//! that resolves to a private address — at creation or later, after a DNS change — is refused
//! without connecting. IP literals are checked from the URL text itself.

use crate::error::{ApiError, ApiResult};
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Arc, RwLock};

/// Most addresses one name may resolve to; more are ignored (never connected to).
const ADDRS_PER_NAME_MAX: usize = 16;

/// A boxed resolution in flight.
pub type Resolving = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Name resolution for webhook hosts. The system resolver by default; tests inject their own
/// through [`Dns::set`] to model names that resolve (or start resolving) anywhere.
pub trait Resolve: Send + Sync {
    /// The addresses of `host` (a DNS name, never an IP literal).
    fn resolve(&self, host: &str) -> Resolving;
}

/// The operating system's resolver (`getaddrinfo` through tokio).
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str) -> Resolving {
        let host = host.to_string();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// The resolver in use, replaceable at run time (shared by the API and the delivery workers).
#[derive(Clone)]
pub struct Dns(Arc<RwLock<Arc<dyn Resolve>>>);

impl Default for Dns {
    fn default() -> Dns {
        Dns(Arc::new(RwLock::new(Arc::new(SystemResolver))))
    }
}

impl Dns {
    /// Replaces the resolver (tests; an operator's custom resolver).
    pub fn set(&self, resolver: Arc<dyn Resolve>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = resolver;
    }

    fn current(&self) -> Arc<dyn Resolve> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Resolves `host` and checks every address. `allow_private` skips the check (test mode,
    /// or `webhooks_allow_private`).
    pub async fn vetted(&self, host: &str, allow_private: bool) -> Result<Vec<IpAddr>, Refused> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return check_addrs(host, vec![ip], allow_private);
        }
        let mut addrs = self
            .current()
            .resolve(host)
            .await
            .map_err(|e| Refused::Unresolved {
                host: host.to_string(),
                reason: e.to_string(),
            })?;
        addrs.truncate(ADDRS_PER_NAME_MAX);
        if addrs.is_empty() {
            return Err(Refused::Unresolved {
                host: host.to_string(),
                reason: "no addresses".into(),
            });
        }
        check_addrs(host, addrs, allow_private)
    }
}

fn check_addrs(
    host: &str,
    addrs: Vec<IpAddr>,
    allow_private: bool,
) -> Result<Vec<IpAddr>, Refused> {
    if !allow_private
        && let Some((ip, class)) = addrs.iter().find_map(|ip| blocked(*ip).map(|c| (*ip, c)))
    {
        return Err(Refused::Blocked {
            host: host.to_string(),
            ip,
            class,
        });
    }
    Ok(addrs)
}

/// Why a webhook host may not be connected to.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(
        "{host} resolves to {ip}, a {class} address; live-mode webhooks may only reach public addresses"
    )]
    Blocked {
        host: String,
        ip: IpAddr,
        class: &'static str,
    },
    #[error("{host} does not resolve ({reason})")]
    Unresolved { host: String, reason: String },
}

/// The class of a non-public address, or `None` for an address a live webhook may reach.
/// IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4 address inside.
pub fn blocked(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private()
        || a == 100 && (64..128).contains(&b)
        || a == 198 && (18..20).contains(&b)
    {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("multicast or reserved")
    } else {
        None
    }
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return blocked_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return blocked_v4(Ipv4Addr::new(a, b, c, d));
    }
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if (s[0] & 0xfe00) == 0xfc00 {
        Some("private")
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast or reserved")
    } else {
        None
    }
}

/// Checks an endpoint URL's text: http(s) with a host; in live mode (unless private networks
/// are allowed) https only, no local names (`localhost.` included) and no non-public IP
/// literal (IPv4-mapped IPv6 judged by its IPv4 address).
pub fn check_url_text(url: &str, livemode: bool, allow_private: bool) -> ApiResult<url::Url> {
    let parsed = url::Url::parse(url)
        .map_err(|e| ApiError::bad_param("url", format!("not a URL ({e}).")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ApiError::bad_param(
            "url",
            "the URL must use http or https.",
        ));
    }
    if livemode && parsed.scheme() != "https" && !allow_private {
        return Err(ApiError::bad_param(
            "url",
            "live-mode webhook endpoints must use https.",
        ));
    }
    let host = parsed
        .host()
        .ok_or_else(|| ApiError::bad_param("url", "the URL has no host."))?;
    if livemode && !allow_private {
        let private = match host {
            url::Host::Domain(name) => is_internal_name(name),
            url::Host::Ipv4(ip) => blocked(IpAddr::V4(ip)).is_some(),
            url::Host::Ipv6(ip) => blocked(IpAddr::V6(ip)).is_some(),
        };
        if private {
            return Err(private_url());
        }
    }
    Ok(parsed)
}

/// [`check_url_text`], then in live mode (unless private networks are allowed) every address
/// the host name resolves to must be public. A name that does not resolve now is accepted:
/// every delivery resolves and checks it again before connecting.
pub async fn check_url(dns: &Dns, url: &str, livemode: bool, allow_private: bool) -> ApiResult<()> {
    let parsed = check_url_text(url, livemode, allow_private)?;
    if !livemode || allow_private {
        return Ok(());
    }
    if let Some(url::Host::Domain(name)) = parsed.host() {
        match dns.vetted(name, false).await {
            Ok(_) | Err(Refused::Unresolved { .. }) => {}
            Err(Refused::Blocked { .. }) => return Err(private_url()),
        }
    }
    Ok(())
}

fn private_url() -> ApiError {
    ApiError::bad_param(
        "url",
        "live-mode webhook endpoints may not point at loopback, link-local or private networks.",
    )
}

/// Names that are local by convention whatever they resolve to (`localhost.` included).
fn is_internal_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.ends_with(".internal")
        || h.ends_with(".local")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_classified() {
        for (ip, class) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast or reserved"),
            ("::1", "loopback"),
            ("fc00::1", "private"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
        ] {
            assert_eq!(blocked(ip.parse().unwrap()), Some(class), "{ip}");
        }
        for ip in ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"] {
            assert_eq!(blocked(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn url_text_is_checked_in_live_mode_only() {
        assert!(check_url_text("http://127.0.0.1:9/x", false, false).is_ok());
        for url in [
            "https://127.0.0.1/x",
            "https://localhost./x",
            "https://[::ffff:127.0.0.1]/x",
            "https://[fe80::1]/x",
            "https://0x7f.1/x",
            "http://example.com/x",
        ] {
            assert!(check_url_text(url, true, false).is_err(), "{url}");
        }
        assert!(check_url_text("https://example.com/hook", true, false).is_ok());
        assert!(check_url_text("https://10.1.2.3/x", true, true).is_ok());
        assert!(check_url_text("ftp://example.com/x", false, false).is_err());
    }
}
