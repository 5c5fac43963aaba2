//! The client address (contract §4): the socket peer, unless the peer is a trusted
//! proxy (`server.trusted_proxies`); then the rightmost `X-Forwarded-For` entry that is
//! not a trusted proxy. A header from an untrusted peer is never believed. Entries may
//! carry a port or brackets (`203.0.113.5:4711`, `[2001:db8::1]:443`, `[2001:db8::1]`).
//!
//! For limits, [`limit_key`] counts an IPv6 client by its /64 network: one host
//! commonly holds a whole /64, so counting single addresses would give it 2^64 tries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::HttpRequest;
use ipnet::{IpNet, Ipv6Net};

/// What `client_address` answers when the header names no client it can believe.
pub const UNKNOWN: &str = "unknown";

pub fn client_address(req: &HttpRequest, trusted: &[IpNet]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    resolve(peer, &forwarded, trusted).map_or_else(|| UNKNOWN.to_string(), |ip| ip.to_string())
}

/// Whether the socket peer is one of `server.trusted_proxies`, so that what it says
/// about the request (`X-Forwarded-For`, `X-Forwarded-Proto`) may be believed.
pub fn peer_is_trusted(req: &HttpRequest, trusted: &[IpNet]) -> bool {
    req.peer_addr()
        .is_some_and(|peer| is_trusted(canonical(peer.ip()), trusted))
}

/// The client, from the socket peer and the `X-Forwarded-For` header lines in order.
///
/// An untrusted peer is the client, whatever the header says. Behind a trusted peer the
/// entries are walked from the right (the nearest hop first), skipping empty list
/// elements (RFC 9110 §5.6.1):
///
/// - an address outside `trusted` is the client: the walk ends there, and nothing left
///   of it (which the client itself may have written) is read;
/// - an address inside `trusted` is one of our proxies: it becomes the *last good*
///   entry and the walk goes on;
/// - an entry that is not an address stops the walk, and the answer is the last good
///   entry: the nearest address our own proxies vouch for, so an inner hop rather than
///   anything written further left. The peer's own address is never the answer when the
///   header has entries: if the very first entry is bad there is no last good one, and
///   the client is unknown (`None`) rather than the proxy;
/// - when every entry is a trusted address, the leftmost one is the client (a request
///   made from inside the trusted network), and without any entry the peer is.
pub fn resolve(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    if !is_trusted(peer, trusted) {
        return Some(peer);
    }
    let entries: Vec<&str> = forwarded
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    let mut last_good = None;
    for entry in entries.iter().rev() {
        let Some(ip) = parse_entry(entry).map(canonical) else {
            return last_good;
        };
        if !is_trusted(ip, trusted) {
            return Some(ip);
        }
        last_good = Some(ip);
    }
    last_good.or(Some(peer))
}

/// One `X-Forwarded-For` entry as an address: `203.0.113.5`, `203.0.113.5:4711`,
/// `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:443`. Anything else (a name,
/// `unknown`, an IPv6 zone, an IPv4 address in brackets, a port out of range) is `None`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip = inside.parse::<Ipv6Addr>().ok()?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return port_ok.then_some(IpAddr::V6(ip));
    }
    let (host, port) = entry.rsplit_once(':')?;
    let ip = host.parse::<Ipv4Addr>().ok()?;
    is_port(port).then_some(IpAddr::V4(ip))
}

fn is_port(text: &str) -> bool {
    (1..=5).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u16>().is_ok()
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// The key a client address is counted under for limits: an IPv4 address as it is, an
/// IPv6 address as its /64 network (`2001:db8:1:2::/64`), and anything that is not an
/// address (`unknown`) unchanged.
pub fn limit_key(address: &str) -> String {
    match address.parse::<IpAddr>().map(canonical) {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| address.to_string()),
        Err(_) => address.to_string(),
    }
}

/// IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let r = resolve(
            Some(ip("203.0.113.9")),
            &["1.2.3.4"],
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(r, Some(ip("203.0.113.9")));
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &["1.2.3.4"], &[]),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        let r = resolve(
            Some(ip("10.0.0.2")),
            &["6.6.6.6, 198.51.100.7, 10.0.0.5"],
            &trusted,
        );
        assert_eq!(r, Some(ip("198.51.100.7")));
        let r = resolve(Some(ip("10.0.0.2")), &["6.6.6.6", "198.51.100.7"], &trusted);
        assert_eq!(r, Some(ip("198.51.100.7")));
    }

    #[test]
    fn a_trusted_peer_without_a_header_or_with_garbage_is_itself_or_the_last_good_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), &[], &trusted),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), &["junk, 10.0.0.3"], &trusted),
            Some(ip("10.0.0.3"))
        );
        assert_eq!(
            resolve(Some(ip("::ffff:10.0.0.2")), &["198.51.100.7"], &trusted),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn entries_with_a_port_or_brackets_are_their_address() {
        let trusted = nets(&["127.0.0.1/32"]);
        let peer = Some(ip("127.0.0.1"));
        for (entry, expected) in [
            ("203.0.113.5:4711", "203.0.113.5"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            (" 203.0.113.5:80 ", "203.0.113.5"),
            ("[::ffff:203.0.113.5]:80", "203.0.113.5"),
        ] {
            assert_eq!(
                resolve(peer, &[entry], &trusted),
                Some(ip(expected)),
                "{entry}"
            );
        }
        // Trusted hops written with a port are still recognised and skipped.
        assert_eq!(
            resolve(peer, &["198.51.100.7:5000, 127.0.0.1:8080"], &trusted),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn malformed_entries_are_not_addresses() {
        for bad in [
            "",
            "unknown",
            "_hidden",
            "1.2.3",
            "203.0.113.5:",
            "203.0.113.5:99999",
            "203.0.113.5:+80",
            "203.0.113.5:4711:1",
            "[203.0.113.5]",
            "[203.0.113.5]:80",
            "[2001:db8::1",
            "2001:db8::1]:443",
            "[2001:db8::1]:x",
            "[2001:db8::1]443",
            "[fe80::1%eth0]:443",
            "fe80::1%eth0",
            "010.0.0.1",
        ] {
            assert_eq!(parse_entry(bad), None, "{bad:?}");
        }
    }

    /// "The last good one" is the last entry the walk accepted before the bad one: the
    /// nearest hop our own proxies vouch for. The peer itself is never the answer once
    /// the header has entries; with nothing good before the bad entry, the client is
    /// unknown.
    #[test]
    fn garbage_stops_the_walk_at_the_last_good_entry_never_at_the_proxy_itself() {
        let trusted = nets(&["10.0.0.0/8"]);
        let peer = Some(ip("10.0.0.2"));
        let walk = |header: &str| resolve(peer, &[header], &trusted);
        assert_eq!(walk("junk, 10.0.0.3"), Some(ip("10.0.0.3")));
        assert_eq!(
            walk("198.51.100.7, junk, 10.0.0.3"),
            Some(ip("10.0.0.3")),
            "nothing left of the garbage is believed"
        );
        assert_eq!(walk("junk"), None, "not the proxy's own address");
        assert_eq!(walk("198.51.100.7, junk"), None);
        assert_eq!(walk("198.51.100.7:80, 10.0.0.3"), Some(ip("198.51.100.7")));
        assert_eq!(
            walk("198.51.100.7, , 10.0.0.3"),
            Some(ip("198.51.100.7")),
            "empty list elements are ignored (RFC 9110 §5.6.1)"
        );
        assert_eq!(walk(""), peer, "an empty header is no header");
        assert_eq!(walk("10.0.0.9, 10.0.0.3"), Some(ip("10.0.0.9")));
    }

    #[test]
    fn limits_count_ipv6_clients_by_their_64_network() {
        assert_eq!(limit_key("203.0.113.5"), "203.0.113.5");
        assert_eq!(limit_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(limit_key("2001:db8:1:2::ffff"), "2001:db8:1:2::/64");
        assert_eq!(limit_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(limit_key("::1"), "::/64");
        assert_eq!(limit_key("::ffff:203.0.113.5"), "203.0.113.5");
        for unparsable in ["unknown", "", "2001:db8::/64", "[2001:db8::1]"] {
            assert_eq!(limit_key(unparsable), unparsable);
        }
    }

    const TRUSTED: &[&str] = &["10.0.0.0/8", "fd00::/8"];

    fn any_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from(n))),
            any::<u128>().prop_map(|n| IpAddr::V6(Ipv6Addr::from(n))),
        ]
    }

    fn trusted_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff)))),
            any::<u128>().prop_map(|n| IpAddr::V6(Ipv6Addr::from((0xfd << 120) | (n >> 8)))),
        ]
    }

    fn untrusted_ip() -> impl Strategy<Value = IpAddr> {
        let trusted = nets(TRUSTED);
        any_ip().prop_filter("outside the trusted ranges", move |ip| {
            let ip = canonical(*ip);
            !trusted.iter().any(|net| net.contains(&ip)) && !ip.is_unspecified()
        })
    }

    /// An address as a proxy might write it: bare, with a port, or in brackets.
    fn written(ip: IpAddr, style: u8, port: u16) -> String {
        match (ip, style % 3) {
            (_, 0) => ip.to_string(),
            (IpAddr::V4(v4), _) => format!("{v4}:{port}"),
            (IpAddr::V6(v6), 1) => format!("[{v6}]:{port}"),
            (IpAddr::V6(v6), _) => format!("[{v6}]"),
        }
    }

    fn noise_entry() -> impl Strategy<Value = String> {
        prop_oneof![
            "[^,]{0,20}",
            any_ip().prop_map(|ip| ip.to_string()),
            Just("unknown".to_string()),
            Just("[::1".to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_header_resolves_without_panicking(
            peer in any_ip(),
            headers in proptest::collection::vec(".{0,40}", 0..3),
        ) {
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            let _ = resolve(Some(peer), &headers, &nets(TRUSTED));
            let _ = resolve(Some(peer), &headers, &nets(&["0.0.0.0/0", "::/0"]));
        }

        /// The answer is the untrusted peer, or an address written in the header, or the
        /// trusted peer itself only when the header has no entries at all.
        #[test]
        fn the_answer_comes_from_the_peer_or_the_header(
            peer in prop_oneof![trusted_ip(), untrusted_ip()],
            entries in proptest::collection::vec(noise_entry(), 0..5),
        ) {
            let trusted = nets(TRUSTED);
            let header = entries.join(",");
            let peer_trusted = trusted.iter().any(|n| n.contains(&canonical(peer)));
            let answer = resolve(Some(peer), &[header.as_str()], &trusted);
            let listed: Vec<IpAddr> = entries
                .iter()
                .filter_map(|e| parse_entry(e.trim()))
                .map(canonical)
                .collect();
            let no_entries = entries.iter().all(|e| e.trim().is_empty());
            match answer {
                _ if !peer_trusted => prop_assert_eq!(answer, Some(canonical(peer))),
                Some(ip) if no_entries => prop_assert_eq!(ip, canonical(peer)),
                Some(ip) => prop_assert!(listed.contains(&ip), "{ip} not in {header:?}"),
                None => prop_assert!(!no_entries),
            }
        }

        /// Behind our proxies, the client they saw is the answer, however each hop wrote
        /// its address and whatever the client put in front of it.
        #[test]
        fn the_client_behind_a_chain_of_trusted_proxies_is_found(
            client in untrusted_ip(),
            proxies in proptest::collection::vec(trusted_ip(), 0..4),
            peer in trusted_ip(),
            styles in proptest::collection::vec((any::<u8>(), any::<u16>()), 5),
            forged in proptest::collection::vec(noise_entry(), 0..4),
        ) {
            let mut entries = forged.clone();
            entries.push(written(client, styles[0].0, styles[0].1));
            for (i, proxy) in proxies.iter().enumerate() {
                entries.push(written(*proxy, styles[i + 1].0, styles[i + 1].1));
            }
            // Split across header lines as well as commas.
            let (left, right) = entries.split_at(entries.len() / 2);
            let (left, right) = (left.join(", "), right.join(","));
            let answer = resolve(Some(peer), &[left.as_str(), right.as_str()], &nets(TRUSTED));
            prop_assert_eq!(answer, Some(canonical(client)));
        }

        #[test]
        fn limit_keys_keep_ipv4_and_group_ipv6_by_64(a in any::<u128>(), b in any::<u128>(), v4 in any::<u32>()) {
            let v4 = Ipv4Addr::from(v4).to_string();
            prop_assert_eq!(limit_key(&v4), v4);
            let (a, b) = (Ipv6Addr::from(a), Ipv6Addr::from(b));
            if a.to_ipv4_mapped().is_none() && b.to_ipv4_mapped().is_none() {
                let key: ipnet::Ipv6Net = limit_key(&a.to_string()).parse().unwrap();
                prop_assert_eq!(key.prefix_len(), 64);
                prop_assert!(key.contains(&a));
                let same = (u128::from(a) >> 64) == (u128::from(b) >> 64);
                prop_assert_eq!(limit_key(&a.to_string()) == limit_key(&b.to_string()), same);
            }
        }

        #[test]
        fn anything_else_is_its_own_limit_key(text in ".{0,40}") {
            if text.parse::<IpAddr>().is_err() {
                prop_assert_eq!(limit_key(&text), text);
            }
        }
    }
}
