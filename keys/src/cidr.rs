//! IPv4 and IPv6 networks (CIDR blocks) for route network conditions (`routes[N].networks`),
//! and the viewer address as CloudFront sends it (`clientIp`).
//!
//! Stricter than [`crate::Ipv4Cidr`] (the signed-policy `IpAddress`, which follows CloudFront):
//! a block with host bits set (`192.0.2.1/24`) is refused rather than silently widened, and so
//! is an IPv4-mapped IPv6 block (write the IPv4 form: a mapped viewer address counts as IPv4).
//! Pure: no panics, no allocation but the error text.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a network text is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CidrError {
    /// Empty text.
    Empty,
    /// Whitespace anywhere (never trimmed).
    Whitespace,
    /// An IPv6 zone id (`fe80::1%eth0`): it names a link, not a network.
    ZoneId,
    /// Not an IPv4 or IPv6 address before the `/`.
    BadAddress,
    /// The prefix length is not 0..=32 (IPv4) or 0..=128 (IPv6) in plain decimal.
    BadPrefix,
    /// Bits set after the prefix (`192.0.2.1/24`).
    HostBitsSet,
    /// An IPv4-mapped IPv6 block (`::ffff:192.0.2.0/120`).
    Ipv4Mapped,
}

impl CidrError {
    /// What is wrong, for a configuration error.
    pub fn reason(self) -> &'static str {
        match self {
            CidrError::Empty => "empty",
            CidrError::Whitespace => "contains whitespace",
            CidrError::ZoneId => "an IPv6 zone id (%...) is not allowed",
            CidrError::BadAddress => "not an IPv4 or IPv6 address",
            CidrError::BadPrefix => {
                "prefix length must be 0 to 32 (IPv4) or 0 to 128 (IPv6), plain decimal"
            }
            CidrError::HostBitsSet => "host bits set after the prefix length",
            CidrError::Ipv4Mapped => "an IPv4-mapped IPv6 network: write it as IPv4 (a.b.c.d/n)",
        }
    }
}

impl core::fmt::Display for CidrError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.reason())
    }
}

/// An IPv4 or IPv6 network: its first address and prefix length, host bits clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpCidr {
    network: IpAddr,
    prefix: u8,
}

fn mask4(prefix: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0)
}

fn mask6(prefix: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0)
}

/// `ip`, with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address.
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The viewer address of a `clientIp` value (dotted IPv4 or IPv6 text, as CloudFront sends
/// it), an IPv4-mapped IPv6 address as IPv4; `None` for anything else (which is inside no
/// network).
pub fn viewer_address(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>().ok().map(unmap)
}

impl IpCidr {
    /// `ip` with the bits after `prefix` cleared; `None` when `prefix` is longer than the
    /// address (no unmapping).
    fn truncate(ip: IpAddr, prefix: u8) -> Option<Self> {
        let network = match ip {
            IpAddr::V4(v4) if prefix <= 32 => {
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask4(prefix)))
            }
            IpAddr::V6(v6) if prefix <= 128 => {
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask6(prefix)))
            }
            _ => return None,
        };
        Some(IpCidr { network, prefix })
    }

    /// The network of `prefix` bits that holds `ip` (host bits cleared; an IPv4-mapped `ip`
    /// as its IPv4 address, so the network holds it); `None` when `prefix` is longer than
    /// that address.
    pub fn containing(ip: IpAddr, prefix: u8) -> Option<Self> {
        IpCidr::truncate(unmap(ip), prefix)
    }

    /// The single-address network of `ip` (/32 or /128; an IPv4-mapped `ip` as IPv4).
    pub fn host(ip: IpAddr) -> Self {
        let ip = unmap(ip);
        IpCidr {
            network: ip,
            prefix: if ip.is_ipv4() { 32 } else { 128 },
        }
    }

    /// Parses `a.b.c.d/n` (n 0..=32), an IPv6 address `/n` (n 0..=128), or a bare address
    /// (/32 or /128). Addresses as [`std::net::IpAddr`] parses them (so no leading zeros in an
    /// IPv4 octet, up to four hex digits in an IPv6 group); the prefix length in plain decimal
    /// without leading zeros.
    ///
    /// # Errors
    /// [`CidrError`]: whitespace, a zone id, a bad address or prefix, host bits set, or an
    /// IPv4-mapped IPv6 block.
    pub fn parse(text: &str) -> Result<Self, CidrError> {
        if text.is_empty() {
            return Err(CidrError::Empty);
        }
        if text.chars().any(char::is_whitespace) {
            return Err(CidrError::Whitespace);
        }
        if text.contains('%') {
            return Err(CidrError::ZoneId);
        }
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| CidrError::BadAddress)?;
        let max: u8 = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => {
                let plain = !p.is_empty()
                    && p.len() <= 3
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p == "0" || !p.starts_with('0'));
                if !plain {
                    return Err(CidrError::BadPrefix);
                }
                match p.parse::<u8>() {
                    Ok(n) if n <= max => n,
                    _ => return Err(CidrError::BadPrefix),
                }
            }
        };
        let cidr = IpCidr::truncate(ip, prefix).ok_or(CidrError::BadPrefix)?;
        if cidr.network != ip {
            return Err(CidrError::HostBitsSet);
        }
        if let IpAddr::V6(v6) = ip {
            if prefix >= 96 && v6.to_ipv4_mapped().is_some() {
                return Err(CidrError::Ipv4Mapped);
            }
        }
        Ok(cidr)
    }

    /// The network's first address.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is inside the network; an IPv4-mapped IPv6 `ip` counts as its IPv4
    /// address, and an IPv4 address is never inside an IPv6 network (nor the reverse).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                (u32::from(ip) & mask4(self.prefix)) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                (u128::from(ip) & mask6(self.prefix)) == u128::from(net)
            }
            _ => false,
        }
    }
}

/// The canonical text: the address as [`std::net::IpAddr`] prints it (IPv6 compressed,
/// lowercase), `/`, the prefix length; [`IpCidr::parse`] gives the same network back.
impl core::fmt::Display for IpCidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_parse_canonical_and_contains_ok() {
        for (text, canonical) in [
            ("192.0.2.0/24", "192.0.2.0/24"),
            ("198.51.100.7", "198.51.100.7/32"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("2001:0DB8:0000::/32", "2001:db8::/32"),
            ("::/0", "::/0"),
            ("2001:db8::1", "2001:db8::1/128"),
            ("2001:db8::1/128", "2001:db8::1/128"),
            ("::/95", "::/95"),
        ] {
            let c = IpCidr::parse(text).unwrap();
            assert_eq!(c.to_string(), canonical, "{text}");
            assert_eq!(IpCidr::parse(canonical), Ok(c));
            assert!(c.contains(c.network()), "{text}");
        }
        let v4 = IpCidr::parse("192.0.2.0/24").unwrap();
        assert!(v4.contains(ip("192.0.2.255")));
        assert!(!v4.contains(ip("192.0.3.0")));
        assert!(
            v4.contains(ip("::ffff:192.0.2.9")),
            "IPv4-mapped counts as IPv4"
        );
        assert!(!v4.contains(ip("::192.0.2.9")), "IPv4-compatible does not");
        assert!(!v4.contains(ip("2001:db8::1")));
        let all4 = IpCidr::parse("0.0.0.0/0").unwrap();
        assert!(all4.contains(ip("255.255.255.255")) && !all4.contains(ip("::1")));
        let all6 = IpCidr::parse("::/0").unwrap();
        assert!(all6.contains(ip("2001:db8::1")) && !all6.contains(ip("192.0.2.1")));
        assert!(
            !all6.contains(ip("::ffff:192.0.2.1")),
            "a mapped address is IPv4"
        );
        let one = IpCidr::parse("198.51.100.7").unwrap();
        assert!(one.contains(ip("198.51.100.7")) && !one.contains(ip("198.51.100.8")));
        let host6 = IpCidr::parse("2001:db8::1/128").unwrap();
        assert!(host6.contains(ip("2001:db8::1")) && !host6.contains(ip("2001:db8::2")));
        let v6 = IpCidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::")));
    }

    #[test]
    fn cidr_malformed_fails() {
        for (bad, why) in [
            ("", CidrError::Empty),
            (" 192.0.2.0/24", CidrError::Whitespace),
            ("192.0.2.0/24 ", CidrError::Whitespace),
            ("192.0.2.0 /24", CidrError::Whitespace),
            ("192.0.2.0/\t24", CidrError::Whitespace),
            ("fe80::1%eth0", CidrError::ZoneId),
            ("fe80::/64%1", CidrError::ZoneId),
            ("192.0.2.1/24", CidrError::HostBitsSet),
            ("2001:db8::1/32", CidrError::HostBitsSet),
            ("128.0.0.0/0", CidrError::HostBitsSet),
            ("192.0.2.0/33", CidrError::BadPrefix),
            ("2001:db8::/129", CidrError::BadPrefix),
            ("192.0.2.0/", CidrError::BadPrefix),
            ("192.0.2.0/024", CidrError::BadPrefix),
            ("192.0.2.0/+24", CidrError::BadPrefix),
            ("192.0.2.0/-1", CidrError::BadPrefix),
            ("2001:db8::/0128", CidrError::BadPrefix),
            ("192.0.2.0/24/24", CidrError::BadPrefix),
            ("192.000.2.0/24", CidrError::BadAddress),
            ("01.2.3.4", CidrError::BadAddress),
            ("192.0.2/24", CidrError::BadAddress),
            ("[2001:db8::]/32", CidrError::BadAddress),
            ("example.com", CidrError::BadAddress),
            ("/24", CidrError::BadAddress),
            ("::ffff:192.0.2.0/120", CidrError::Ipv4Mapped),
            ("::ffff:192.0.2.7", CidrError::Ipv4Mapped),
            ("::ffff:0:0/95", CidrError::HostBitsSet),
        ] {
            assert_eq!(IpCidr::parse(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn viewer_address_unmaps_and_refuses_junk_ok() {
        assert_eq!(viewer_address("192.0.2.10"), Some(ip("192.0.2.10")));
        assert_eq!(viewer_address("::ffff:192.0.2.10"), Some(ip("192.0.2.10")));
        assert_eq!(viewer_address("2001:db8::7"), Some(ip("2001:db8::7")));
        for junk in [
            "",
            " 192.0.2.10",
            "192.0.2.10 ",
            "fe80::1%eth0",
            "[::1]",
            "192.0.2.010",
            "x",
        ] {
            assert_eq!(viewer_address(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn containing_truncates_and_contains_its_address_ok() {
        for addr in [
            "192.0.2.77",
            "2001:db8:1:2::3",
            "0.0.0.0",
            "255.255.255.255",
            "::",
        ] {
            let a = ip(addr);
            let max = if a.is_ipv4() { 32 } else { 128 };
            for p in 0..=max {
                let c = IpCidr::containing(a, p).unwrap();
                assert!(c.contains(a), "{addr}/{p}");
                assert_eq!(IpCidr::parse(&c.to_string()), Ok(c), "{addr}/{p}");
            }
            assert_eq!(IpCidr::containing(a, max + 1), None);
            let mapped = match a {
                IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
                v6 => v6,
            };
            assert!(IpCidr::host(mapped).contains(mapped), "{addr}");
            assert_eq!(IpCidr::host(a), IpCidr::containing(a, max).unwrap());
        }
    }
}
