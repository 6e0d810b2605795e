//! The 64-bit hashes rows are grouped by: of a text value, of a payee id's key, and of two keys mixed into one.
//! [`NO_HASH`] stands for a missing value. Kept apart from [`super::batch`] so that modules the batch uses
//! ([`super::payees`]) can share them without depending on the batch.

use crate::ident::{canonical_id, is_plain_id18, IdScheme};
use xxhash_rust::xxh3::xxh3_64;

/// Sentinel hash for a null optional text.
pub const NO_HASH: u64 = 0;

/// A stable 64-bit hash of a text value (trimmed); never [`NO_HASH`].
#[inline]
pub fn hash_text(s: &str) -> u64 {
    let b = s.as_bytes();
    let padded = b.first().is_some_and(u8::is_ascii_whitespace)
        || b.last().is_some_and(u8::is_ascii_whitespace);
    let t = if padded { s.trim().as_bytes() } else { b };
    match xxh3_64(t) {
        NO_HASH => 1,
        h => h,
    }
}

/// The [`hash_text`] of a payee id's key under `scheme` ([`IdScheme::key`]): one hash for every form of one
/// person's resident id. A plain 18-character id (the common case) is hashed as it is, with no other work.
#[inline]
pub fn hash_id(s: &str, scheme: IdScheme) -> u64 {
    if scheme == IdScheme::None || is_plain_id18(s.as_bytes()) {
        return hash_text(s);
    }
    hash_text(&canonical_id(s))
}

/// Mixes two 64-bit values into one well-spread key (the finaliser of MurmurHash3 over a rotate-xor).
#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    let mut h = a ^ b.rotate_left(29).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The hasher of in-memory maps and sets keyed by ledger texts or row places, in findings of millions of rows:
/// a text is hashed in one call of xxh3 (the streaming hasher behind `Hash for str` copies every text through a
/// buffer, and SipHash is slower still), an integer (a row's place) by [`mix`]. Keys come from the ledger, so this
/// is no defence against chosen collisions; a collision costs time, never a wrong answer.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = self.0.rotate_left(5) ^ u64::from(i);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = mix(self.0, n);
    }
}

/// [`KeyHasher`] as a map's or set's hasher.
pub type KeyHash = std::hash::BuildHasherDefault<KeyHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn hash_id_is_the_hash_of_the_canonical_key(s in "[0-9xX １２ ]{13,20}|\\PC{0,24}") {
            let key = crate::ident::canonical_id(&s);
            proptest::prop_assert_eq!(hash_id(&s, IdScheme::Gb11643), hash_text(&key));
            proptest::prop_assert_eq!(crate::ident::canonical_id(&key), key.clone());
            proptest::prop_assert_eq!(hash_id(&s, IdScheme::None), hash_text(&s));
        }
    }
}
