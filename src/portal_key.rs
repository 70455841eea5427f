//! One name per portal, however it is spelled (CLI.md section 3): the key of its locks, its
//! records beside them, and the journal lines that count for it.
//!
//! `localhost`, `127.0.0.1` and `[::1]` are one machine; a trailing slash, upper case and a
//! default port do not make another portal. A label that is not a URL (`sandbox`) is compared
//! without case and trailing slashes, as linkus 0.1 did.

use url::{Host, Url};

/// The form in which two labels of one portal compare equal.
pub fn normalise(label: &str) -> String {
    let trimmed = label.trim();
    match Url::parse(trimmed) {
        Ok(url) if url.has_host() => {
            let host = match url.host() {
                Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
                    "localhost".to_owned()
                }
                Some(Host::Ipv4(ip)) if ip.is_loopback() => "localhost".to_owned(),
                Some(Host::Ipv6(ip)) if ip.is_loopback() => "localhost".to_owned(),
                Some(Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
                Some(Host::Ipv4(ip)) => ip.to_string(),
                Some(Host::Ipv6(ip)) => format!("[{ip}]"),
                None => String::new(),
            };
            let port = url
                .port_or_known_default()
                .filter(|port| Some(*port) != default_port(url.scheme()))
                .map(|port| format!(":{port}"))
                .unwrap_or_default();
            let path = url.path().trim_end_matches('/').to_ascii_lowercase();
            format!("{}://{host}{port}{path}", url.scheme())
        }
        _ => trimmed.trim_end_matches('/').to_ascii_lowercase(),
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_spellings_slashes_case_and_default_ports_are_one_portal() {
        let one = normalise("http://127.0.0.1:8080/");
        for other in [
            "http://localhost:8080",
            "http://LOCALHOST:8080/",
            "http://[::1]:8080",
            "HTTP://127.0.0.1:8080//",
        ] {
            assert_eq!(normalise(other), one, "{other}");
        }
        assert_eq!(
            normalise("https://Open.Yeastar.com/"),
            normalise("https://open.yeastar.com:443")
        );
        assert_eq!(normalise("sandbox"), "sandbox");
        assert_eq!(normalise("Sandbox/"), "sandbox");
    }

    fn same(a: &str, b: &str) -> bool {
        normalise(a) == normalise(b)
    }

    #[test]
    fn other_ports_hosts_and_schemes_are_other_portals() {
        assert!(!same("http://localhost:8080", "http://localhost:8081"));
        assert!(!same("http://localhost", "https://localhost"));
        assert!(!same("https://a.example", "https://b.example"));
        assert!(!same("https://a.example/x", "https://a.example/y"));
        assert!(!same("http://10.0.0.1", "http://localhost"));
        assert!(!same("http://[2001:db8::1]", "http://localhost"));
        assert_eq!(
            normalise("http://[2001:DB8::1]:8080/"),
            "http://[2001:db8::1]:8080"
        );
        assert_eq!(normalise("http://p.example:80/"), "http://p.example");
        assert_eq!(normalise("sandbox:/tmp/A/"), "sandbox:/tmp/a");
    }

    #[test]
    fn what_linkus_0_2_wrote_keeps_its_key_for_a_real_portal() {
        // The key names the lock and record files: a real portal's must not move.
        assert_eq!(
            normalise("https://open.yeastar.com/"),
            "https://open.yeastar.com"
        );
    }
}
