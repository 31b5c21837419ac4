//! The listener's SYN cookie (draft-sharabayko-srt-01 §4.3.1.1): a keyed hash of the caller's
//! address and a coarse time bucket, so the listener keeps no state for an induction and a
//! caller must have seen the listener's answer to conclude.
//!
//! The hash is SipHash-2-4 (Aumasson and Bernstein, 2012): a short-input keyed PRF made for
//! exactly this. The secret is the caller's to give, so a replay with the same secret and
//! the same times reproduces the same cookies.

use std::net::{IpAddr, SocketAddr};

/// The listener's cookie secret and time bucket length.
#[derive(Debug, Clone)]
pub struct CookieJar {
    secret: [u8; 16],
    bucket_secs: u64,
}

impl CookieJar {
    /// Cookies keyed by `secret`, one per `bucket_secs` seconds (at least 1).
    pub fn new(secret: [u8; 16], bucket_secs: u64) -> Self {
        CookieJar {
            secret,
            bucket_secs: bucket_secs.max(1),
        }
    }

    /// The time bucket of `elapsed_secs` since the listener's start.
    pub fn bucket(&self, elapsed_secs: u64) -> u64 {
        elapsed_secs / self.bucket_secs
    }

    /// The cookie for `peer` in time bucket `bucket`.
    pub fn cookie(&self, peer: SocketAddr, bucket: u64) -> u32 {
        let mut message = Vec::with_capacity(28);
        match peer.ip() {
            IpAddr::V4(ip) => message.extend_from_slice(&ip.octets()),
            IpAddr::V6(ip) => message.extend_from_slice(&ip.octets()),
        }
        message.extend_from_slice(&peer.port().to_be_bytes());
        message.extend_from_slice(&bucket.to_be_bytes());
        siphash24(&self.secret, &message) as u32
    }

    /// Whether `cookie` is `peer`'s in the bucket of `elapsed_secs` or the one before (a
    /// caller whose induction answer came just before a bucket boundary still concludes).
    pub fn check(&self, peer: SocketAddr, elapsed_secs: u64, cookie: u32) -> bool {
        let now = self.bucket(elapsed_secs);
        self.cookie(peer, now) == cookie || (now > 0 && self.cookie(peer, now - 1) == cookie)
    }
}

/// SipHash-2-4 of `message` under `key`.
pub fn siphash24(key: &[u8; 16], message: &[u8]) -> u64 {
    let word = |bytes: &[u8]| {
        let mut w = [0u8; 8];
        w[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(w)
    };
    let (k0, k1) = (word(&key[..8]), word(&key[8..]));
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let round = |v: &mut [u64; 4]| {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    };
    let compress = |v: &mut [u64; 4], m: u64| {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    };
    let blocks = message.chunks_exact(8);
    let tail = blocks.remainder();
    for block in blocks {
        compress(&mut v, word(block));
    }
    compress(&mut v, word(tail) | (message.len() as u64) << 56);
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash_matches_the_papers_test_vector() {
        // SipHash paper (Aumasson, Bernstein: "SipHash: a fast short-input PRF", 2012),
        // Appendix A: key 00..0f, message 00..0e, output 0xa129ca6149be45e5.
        let key: [u8; 16] = std::array::from_fn(|i| i as u8);
        let message: Vec<u8> = (0..15).collect();
        assert_eq!(siphash24(&key, &message), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn cookies_hold_for_this_bucket_and_the_one_before_only() {
        let jar = CookieJar::new([7; 16], 60);
        let peer: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let cookie = jar.cookie(peer, jar.bucket(59));
        assert!(jar.check(peer, 59, cookie));
        assert!(jar.check(peer, 119, cookie));
        assert!(!jar.check(peer, 120, cookie));
        assert!(!jar.check("10.0.0.1:5001".parse().unwrap(), 59, cookie));
        assert_ne!(CookieJar::new([8; 16], 60).cookie(peer, 0), cookie);
    }
}
