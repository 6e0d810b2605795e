//! The byte format of a partial state.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "SAUDPART"
//!      8     4  format version, u32 little-endian (FORMAT_VERSION)
//!     12     8  plan fingerprint, u64 little-endian (Plan::fingerprint: rules, columns, config)
//!     20     8  xxh3-64 of the body, u64 little-endian
//!     28     …  body: the partial in postcard's wire format (https://postcard.jamesmunns.com/wire-format)
//! ```
//!
//! The body is [`super::partial::Wire`]: per file the data-quality counts, the flood sketch, the shared
//! payee-period grouping when a rule reads it, then per rule its code and its state's own postcard bytes. A
//! state holds hashed keys, row references and counts, never ledger text (DUP005 alone keeps each payee's id,
//! name and region, clipped to 255 bytes). Bytes of another format version, of another plan (other rules,
//! columns or config), or whose checksum fails are refused with [`Error::Partial`]; nothing is guessed.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The first bytes of every partial state.
pub const MAGIC: &[u8; 8] = b"SAUDPART";
/// The version of the byte format; bumped whenever any state's layout changes.
pub const FORMAT_VERSION: u32 = 2;
const HEADER: usize = 28;

fn refuse(message: impl Into<String>) -> Error {
    Error::Partial {
        source_name: None,
        message: message.into(),
    }
}

/// `body` in postcard bytes.
pub fn to_vec<T: Serialize + ?Sized>(body: &T) -> Result<Vec<u8>> {
    postcard::to_allocvec(body).map_err(|e| refuse(format!("cannot encode: {e}")))
}

/// A value from postcard bytes, which must be taken whole.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    let (v, rest) = postcard::take_from_bytes::<T>(bytes)
        .map_err(|e| refuse(format!("cannot decode {what}: {e}")))?;
    if !rest.is_empty() {
        return Err(refuse(format!(
            "{} bytes left over after {what}",
            rest.len()
        )));
    }
    Ok(v)
}

/// The envelope around an encoded body.
pub fn seal(fingerprint: u64, body: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&fingerprint.to_le_bytes());
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The body of sealed bytes, checked against this build's format version and the plan's fingerprint.
pub fn open(bytes: &[u8], fingerprint: u64) -> Result<&[u8]> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(refuse(
            "not a partial state of subsidy-audit (no SAUDPART header)",
        ));
    }
    let word = |at: usize| -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let mut v = [0u8; 4];
    v.copy_from_slice(&bytes[8..12]);
    let version = u32::from_le_bytes(v);
    if version != FORMAT_VERSION {
        return Err(refuse(format!(
            "format version {version}, this build reads version {FORMAT_VERSION} only (subsidy-audit {}); \
             make every partial of one scan with one build",
            env!("CARGO_PKG_VERSION")
        )));
    }
    if word(12) != fingerprint {
        return Err(refuse(format!(
            "made by another plan (fingerprint {:016x}, this plan's is {fingerprint:016x}): \
             every partial of one scan needs the same rules, columns and config",
            word(12)
        )));
    }
    let body = &bytes[HEADER..];
    if xxhash_rust::xxh3::xxh3_64(body) != word(20) {
        return Err(refuse("checksum mismatch: the bytes are damaged"));
    }
    Ok(body)
}

/// Serde for `[T; N]` of any length (serde derives arrays up to 32 only): a tuple of N elements.
pub mod array {
    use serde::de::{Deserializer, Error, SeqAccess, Visitor};
    use serde::ser::{SerializeTuple, Serializer};
    use serde::{Deserialize, Serialize};
    use std::marker::PhantomData;

    pub fn serialize<S: Serializer, T: Serialize, const N: usize>(
        a: &[T; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(N)?;
        for x in a {
            t.serialize_element(x)?;
        }
        t.end()
    }

    pub fn deserialize<
        'de,
        D: Deserializer<'de>,
        T: Deserialize<'de> + Copy + Default,
        const N: usize,
    >(
        d: D,
    ) -> Result<[T; N], D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Copy + Default, const N: usize> Visitor<'de> for V<T, N> {
            type Value = [T; N];
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "an array of {N}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[T; N], A::Error> {
                let mut out = [T::default(); N];
                for (i, slot) in out.iter_mut().enumerate() {
                    *slot = seq
                        .next_element()?
                        .ok_or_else(|| A::Error::invalid_length(i, &self))?;
                }
                Ok(out)
            }
        }
        d.deserialize_tuple(N, V::<T, N>(PhantomData))
    }
}

/// [`array`] for a boxed array.
pub mod boxed_array {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize, const N: usize>(
        a: &[T; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        super::array::serialize(a, s)
    }

    pub fn deserialize<
        'de,
        D: Deserializer<'de>,
        T: Deserialize<'de> + Copy + Default,
        const N: usize,
    >(
        d: D,
    ) -> Result<Box<[T; N]>, D::Error> {
        super::array::deserialize(d).map(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bytes_open_only_with_the_same_version_plan_and_content() {
        let body = to_vec(&(1u64, vec![2u32, 3], "x")).expect("encode");
        let sealed = seal(42, body.clone());
        assert_eq!(open(&sealed, 42).expect("opens"), &body[..]);
        let e = open(&sealed, 43).expect_err("other plan").to_string();
        assert!(e.contains("another plan"), "{e}");
        let mut other = sealed.clone();
        other[8] = 9;
        let e = open(&other, 42).expect_err("other version").to_string();
        assert!(e.contains("format version 9"), "{e}");
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        let e = open(&damaged, 42).expect_err("damaged").to_string();
        assert!(e.contains("checksum"), "{e}");
        let e = open(b"PAR1....", 42).expect_err("not ours").to_string();
        assert!(e.contains("SAUDPART"), "{e}");
        let (a, b, c): (u64, Vec<u32>, String) = from_slice(&body, "t").expect("decode");
        assert_eq!((a, b, c.as_str()), (1, vec![2, 3], "x"));
        let mut longer = body.clone();
        longer.push(0);
        assert!(from_slice::<(u64, Vec<u32>, String)>(&longer, "t").is_err());
    }

    #[test]
    fn long_arrays_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct A {
            #[serde(with = "array")]
            a: [u64; 90],
            #[serde(with = "boxed_array")]
            b: Box<[u64; 100]>,
        }
        let mut x = A {
            a: [0; 90],
            b: Box::new([7; 100]),
        };
        x.a[89] = u64::MAX;
        let back: A = from_slice(&to_vec(&x).expect("enc"), "A").expect("dec");
        assert_eq!(back, x);
    }
}
