//! The client address (contract §4): the socket peer, unless the peer is a trusted
//! proxy (`server.trusted_proxies`); then the rightmost `X-Forwarded-For` entry that is
//! not a trusted proxy. A header from an untrusted peer is never believed.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

pub fn client_address(req: &HttpRequest, trusted: &[IpNet]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    resolve(peer, &forwarded, trusted).map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

pub fn resolve(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops = forwarded
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim);
    let mut client = peer;
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                let ip = canonical(ip);
                client = ip;
                if !is_trusted(&ip) {
                    return Some(ip);
                }
            }
            // Garbage in the chain: stop believing it here.
            Err(_) => return Some(client),
        }
    }
    Some(client)
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
}
