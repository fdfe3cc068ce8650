//! Random ids and secret tokens, their SHA-256 digests, and constant-time checks.

use crate::domain::TokenHash;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ID_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS generator failing leaves nothing safe to do but stop.
    getrandom::fill(&mut b).expect("the operating system's random generator failed");
    b
}

/// A server-chosen id: 12 characters of an unambiguous lower-case alphabet (60 bits).
/// Ids are not secrets, so their random bytes come from a small per-thread pool
/// the OS generator refills, rather than from one system call per id.
pub fn new_id() -> String {
    const ID: usize = 12;
    thread_local! {
        static POOL: std::cell::RefCell<([u8; 64 * ID], usize)> = const { std::cell::RefCell::new(([0; 64 * ID], 64 * ID)) };
    }
    POOL.with_borrow_mut(|(bytes, used)| {
        if *used == bytes.len() {
            *bytes = random_bytes();
            *used = 0;
        }
        let id = bytes[*used..*used + ID].iter().map(|b| ID_ALPHABET[usize::from(b % 32)] as char).collect();
        *used += ID;
        id
    })
}

/// A number drawn at random by the operating system's generator (a prize
/// draw's seed: no one can tell it beforehand).
pub fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes())
}

/// A secret token with a readable prefix (`ck_` live key, `ot_` overlay token, `ca_` admin): 256 random bits.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(random_bytes::<32>()))
}

pub fn hash(token: &str) -> TokenHash {
    TokenHash(Sha256::digest(token.as_bytes()).into())
}

/// Compares a presented token with a stored digest in constant time.
pub fn matches(token: &str, stored: &TokenHash) -> bool {
    same(&hash(token), stored)
}

/// Compares the digest of a presented token with a stored one in constant time
/// (for a caller that has the digest already).
pub fn same(digest: &TokenHash, stored: &TokenHash) -> bool {
    digest.0.ct_eq(&stored.0).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_checked_by_digest() {
        let a = new_token("ck_");
        let b = new_token("ck_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 64);
        assert!(matches(&a, &hash(&a)));
        assert!(!matches(&b, &hash(&a)));
        let id = new_id();
        assert_eq!(id.len(), 12);
        assert!(crate::domain::text::id(&id).is_ok());
    }

    #[test]
    fn ids_stay_distinct_across_refills_of_the_pool_and_across_threads() {
        let mut ids: std::collections::HashSet<String> = (0..1000).map(|_| new_id()).collect();
        let other = std::thread::spawn(|| (0..1000).map(|_| new_id()).collect::<Vec<_>>()).join().unwrap();
        ids.extend(other);
        assert_eq!(ids.len(), 2000);
        assert!(ids.iter().all(|id| id.len() == 12 && crate::domain::text::id(id).is_ok()));
    }
}
