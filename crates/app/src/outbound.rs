//! Where Tandem connects on a user's behalf: HTTP connectors, SQL connectors, webhooks and bot
//! channels. An admin types the address, so without a rule one admin (or one stolen admin
//! session) could make the server read its own API, the cloud metadata service or anything on
//! the internal network. The rule: only public addresses, checked after DNS (every address a
//! name resolves to, and the one actually connected to) and again on every redirect, in every
//! spelling of an address (`2130706433`, `0177.0.0.1`, `::ffff:127.0.0.1` …). The operator may
//! allow hosts or networks (`TANDEM_OUTBOUND_ALLOW`, a comma-separated list of names and CIDRs),
//! for a source on the company's own network or a test's loopback receiver.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tandem_domain::Lang;

/// Hosts and networks the operator allows beyond the public internet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outbound {
    hosts: Vec<String>,
    nets: Vec<IpNet>,
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// Not an `http://` or `https://` URL with a host.
    BadUrl,
    /// The host is, or resolves to, an address that is not public.
    NotPublic(String),
    /// The name does not resolve.
    Unresolved(String),
}

impl Refused {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Refused::BadUrl, Lang::Zh) => "地址须是带主机名的 http:// 或 https:// URL".into(),
            (Refused::BadUrl, Lang::En) => "The address must be an http:// or https:// URL with a host".into(),
            (Refused::NotPublic(h), Lang::Zh) => {
                format!("“{h}”指向本机、内网或保留地址，Tandem 不会连接（运维可用 TANDEM_OUTBOUND_ALLOW 放行）")
            }
            (Refused::NotPublic(h), Lang::En) => format!(
                "“{h}” points to a loopback, private or reserved address; Tandem will not connect to it (an operator may allow it with TANDEM_OUTBOUND_ALLOW)"
            ),
            (Refused::Unresolved(h), Lang::Zh) => format!("无法解析主机名“{h}”"),
            (Refused::Unresolved(h), Lang::En) => format!("The host name “{h}” does not resolve"),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for Refused {}

/// Whether an address belongs to the public internet: not loopback, private, link-local (the
/// cloud metadata service lives there), shared, documentation, benchmarking, multicast,
/// reserved or unspecified, and not an IPv6 form that embeds such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4
    // address that the network may route to.
    if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || s[0] == 0x0100) // discard-only
}

impl Outbound {
    /// Parses the operator's list: names (`metrics.corp.example`) and addresses or networks
    /// (`127.0.0.1`, `10.0.0.0/8`, `::1`), separated by commas or spaces.
    pub fn parse(list: &str) -> Result<Outbound, String> {
        let mut out = Outbound::default();
        for item in list.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
            if let Ok(net) = item.parse::<IpNet>() {
                out.nets.push(net);
            } else if let Ok(ip) = item.parse::<IpAddr>() {
                out.nets.push(IpNet::from(ip));
            } else if item.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
                out.hosts.push(item.to_ascii_lowercase());
            } else {
                return Err(format!("not a host name, address or network: {item}"));
            }
        }
        Ok(out)
    }

    /// Whether the operator allowed this host by name.
    pub fn allows_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Whether Tandem may connect to this address.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        is_public(ip) || self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The host of an `http(s)://` URL, parsed the way browsers and the HTTP client parse it
    /// (so `http://2130706433/` is 127.0.0.1), refused at once when it is an address that is
    /// not allowed. A name is checked when it is resolved.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, Refused> {
        let u = reqwest::Url::parse(url.trim()).map_err(|_| Refused::BadUrl)?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(Refused::BadUrl);
        }
        match u.host() {
            None => Err(Refused::BadUrl),
            Some(url::Host::Ipv4(ip)) if !self.allows_ip(IpAddr::V4(ip)) => Err(Refused::NotPublic(ip.to_string())),
            Some(url::Host::Ipv6(ip)) if !self.allows_ip(IpAddr::V6(ip)) => Err(Refused::NotPublic(ip.to_string())),
            Some(_) => Ok(u),
        }
    }

    /// Resolves `host` and hands back its addresses, if every one is allowed (a name that
    /// resolves to a public and a private address is refused: which one a client picks is not
    /// ours to choose).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return if self.allows_ip(ip) {
                Ok(vec![SocketAddr::new(ip, port)])
            } else {
                Err(Refused::NotPublic(host.to_string()))
            };
        }
        let addrs: Vec<SocketAddr> =
            tokio::net::lookup_host((bare, port)).await.map_err(|_| Refused::Unresolved(host.to_string()))?.collect();
        if addrs.is_empty() {
            return Err(Refused::Unresolved(host.to_string()));
        }
        if self.allows_name(bare) || addrs.iter().all(|a| self.allows_ip(a.ip())) {
            Ok(addrs)
        } else {
            Err(Refused::NotPublic(host.to_string()))
        }
    }

    /// An HTTP client bound to these rules: names resolve through [`Outbound::resolve`] (so
    /// the address connected to is the address checked), every redirect is checked (three at
    /// most), and no proxy from the environment steps in between.
    pub fn http_client(self: &Arc<Self>, timeout: Duration) -> Result<reqwest::Client, String> {
        let rules = self.clone();
        reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .dns_resolver(Arc::new(Checked(self.clone())))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 3 {
                    attempt.error("too many redirects")
                } else {
                    match rules.check_url(attempt.url().as_str()) {
                        Ok(_) => attempt.follow(),
                        Err(e) => attempt.error(e),
                    }
                }
            }))
            .build()
            .map_err(|e| e.to_string())
    }
}

/// The hosts a bot channel of `kind` posts to (none: a generic webhook, any public host).
pub fn vendor_hosts(kind: &str) -> &'static [&'static str] {
    match kind {
        "feishu" => &["open.feishu.cn", "open.larksuite.com"],
        "dingtalk" => &["oapi.dingtalk.com"],
        "wecom" => &["qyapi.weixin.qq.com"],
        "slack" => &["hooks.slack.com"],
        _ => &[],
    }
}

impl Outbound {
    /// Where a channel of `kind` may post: a public address for a webhook; the vendor's own
    /// host for a bot, unless the operator allowed the host (a company gateway, a test).
    pub fn check_channel(&self, kind: &str, url: &str) -> Result<reqwest::Url, tandem_domain::Invalid> {
        use tandem_domain::{Invalid, Rule};
        let u = self.check_url(url).map_err(|e| match e {
            Refused::NotPublic(_) => Invalid::new("url", Rule::NotPublic),
            _ => Invalid::new("url", Rule::OneOf(&["https://…", "http://…"])),
        })?;
        let vendors = vendor_hosts(kind);
        let host = u.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let operator_allowed =
            self.allows_name(&host) || host.parse::<IpAddr>().is_ok_and(|ip| self.nets.iter().any(|n| n.contains(&ip)));
        if !vendors.is_empty() && !vendors.contains(&host.as_str()) && !operator_allowed {
            return Err(Invalid::new("url", Rule::VendorHost(vendors)));
        }
        Ok(u)
    }

    /// Checks where a URL's name resolves now (a name that does not resolve yet is let
    /// through: it is checked again on every connection).
    pub async fn check_resolved(&self, u: &reqwest::Url) -> Result<(), tandem_domain::Invalid> {
        let Some(host) = u.host_str() else { return Ok(()) };
        match self.resolve(host, u.port_or_known_default().unwrap_or(80)).await {
            Err(Refused::NotPublic(_)) => Err(tandem_domain::Invalid::new("url", tandem_domain::Rule::NotPublic)),
            _ => Ok(()),
        }
    }
}

/// The resolver of [`Outbound::http_client`].
struct Checked(Arc<Outbound>);

impl reqwest::dns::Resolve for Checked {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let rules = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = rules.resolve(&host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn only_public_addresses_are_public() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
        ] {
            assert!(!is_public(ip(s)), "{s}");
        }
        for s in
            ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::"]
        {
            assert!(is_public(ip(s)), "{s}");
        }
    }

    #[test]
    fn every_spelling_of_loopback_is_refused() {
        let rules = Outbound::default();
        for url in [
            "http://2130706433:8080/x",
            "http://0177.0.0.1/x",
            "http://0x7f.1/x",
            "http://127.1/x",
            "http://0.0.0.0/x",
            "http://[::1]/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
        ] {
            assert!(matches!(rules.check_url(url), Err(Refused::NotPublic(_))), "{url}");
        }
        assert_eq!(rules.check_url("ftp://example.com/"), Err(Refused::BadUrl));
        assert_eq!(rules.check_url("not a url"), Err(Refused::BadUrl));
        assert!(rules.check_url("https://example.com/x").is_ok(), "a name is judged when it resolves");
    }

    #[test]
    fn the_operator_allows_hosts_and_networks() {
        let rules = Outbound::parse("127.0.0.1, 10.0.0.0/8 metrics.corp.example,::1").expect("list");
        assert!(rules.allows_ip(ip("127.0.0.1")) && rules.allows_ip(ip("::ffff:127.0.0.1")));
        assert!(rules.allows_ip(ip("10.9.8.7")) && rules.allows_ip(ip("::1")));
        assert!(!rules.allows_ip(ip("127.0.0.2")) && !rules.allows_ip(ip("192.168.0.1")));
        assert!(rules.allows_name("Metrics.Corp.Example.") && !rules.allows_name("corp.example"));
        assert!(rules.check_url("http://2130706433/").is_ok());
        assert!(Outbound::parse("http://x").is_err());
    }

    #[test]
    fn bots_post_to_their_vendor_only() {
        let strict = Outbound::default();
        assert!(strict.check_channel("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x").is_ok());
        assert!(strict.check_channel("slack", "https://hooks.slack.com/services/x").is_ok());
        let e = strict.check_channel("dingtalk", "https://attacker.example/robot/send").unwrap_err();
        assert_eq!(e.rule, tandem_domain::Rule::VendorHost(&["oapi.dingtalk.com"]));
        assert!(strict.check_channel("webhook", "https://hooks.example.com/x").is_ok());
        assert_eq!(
            strict.check_channel("webhook", "http://10.0.0.5/x").unwrap_err().rule,
            tandem_domain::Rule::NotPublic
        );
        let test = Outbound::parse("127.0.0.1").expect("list");
        assert!(test.check_channel("wecom", "http://127.0.0.1:9/hook").is_ok(), "the operator's allow list wins");
    }

    #[tokio::test]
    async fn names_are_judged_by_what_they_resolve_to() {
        let strict = Outbound::default();
        assert!(matches!(strict.resolve("localhost", 80).await, Err(Refused::NotPublic(_))));
        assert!(matches!(strict.resolve("[::1]", 80).await, Err(Refused::NotPublic(_))));
        let allowed = Outbound::parse("localhost").expect("list");
        assert!(allowed.resolve("localhost", 80).await.is_ok());
    }

    #[tokio::test]
    async fn the_client_refuses_loopback_and_redirects_into_it() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // A loopback server that answers every request with a redirect to itself.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let answer =
                    format!("HTTP/1.1 302 Found\r\nLocation: http://2130706433:{port}/in\r\nContent-Length: 0\r\n\r\n");
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        let strict = Arc::new(Outbound::default());
        let client = strict.http_client(Duration::from_secs(5)).expect("client");
        assert!(client.get(format!("http://localhost:{port}/")).send().await.is_err());
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0, "never connected");
        // Allowed by name, the redirect to the same server in another spelling is still refused.
        let by_name = Arc::new(Outbound::parse("localhost").expect("list"));
        let client = by_name.http_client(Duration::from_secs(5)).expect("client");
        assert!(client.get(format!("http://localhost:{port}/")).send().await.is_err());
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1, "the first request only");
    }
}
