//! Reference tables: the registry of enrolled beneficiaries, the civil register of deaths and the list of
//! officials with their relatives. Each is Parquet or CSV ([`source`]), loaded once before the scan (the three
//! in parallel, each file's row groups in parallel) into compact maps keyed by 64-bit hashes of normalised
//! ids ([`map::U64Map`]), and shared read-only by every thread through [`crate::rules::RuleEnv`].
//!
//! Only the tables that the enabled rules need are loaded. A table that is given but cannot be read is an
//! [`crate::error::Error::Reference`] naming the table, the file and the column; rows whose key is empty (or
//! a deaths row without a readable date) are counted as skipped, not errors.

pub mod deaths;
pub mod map;
pub mod officials;
pub mod registry;
pub mod source;

pub use crate::rule_meta::Reference;
pub use deaths::Deaths;
pub use officials::Officials;
pub use registry::Registry;

use crate::config::Config;
use crate::error::Result;
use crate::ident::{is_plain_id18, IdScheme};
use crate::ledger::hash::{hash_id, hash_text};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The key of an identity number: the hash of its canonical form ([`crate::ident::canonical_id`]: a valid id's
/// 18-character form, so `x`/`X`, full-width digits and the 15-digit legacy form all meet), else of the trimmed
/// text. The same hash as the ledger's payee-id hashes ([`crate::ledger::hash::hash_id`]).
pub fn id_key(raw: &str) -> u64 {
    id_key_in(raw, IdScheme::Gb11643)
}

/// [`id_key`] under an id scheme (`IdScheme::None`: the trimmed text as written).
pub fn id_key_in(raw: &str, scheme: IdScheme) -> u64 {
    hash_id(raw, scheme)
}

/// [`id_key`] when the batch already hashed the raw text (`raw_hash` = `hash_text(raw)`, as for officer ids):
/// no work for ids that are already in the standard form, which is nearly all of them.
#[inline]
pub fn id_key_fast(raw: Option<&str>, raw_hash: u64, scheme: IdScheme) -> u64 {
    match raw {
        Some(t) if scheme != IdScheme::None && !is_plain_id18(t.as_bytes()) => id_key_in(t, scheme),
        _ => raw_hash,
    }
}

/// A name with its width and spaces normalised: full-width ASCII forms to ASCII, every space (ASCII or
/// ideographic) and the middle dots of transcribed names dropped, ASCII letters upper-cased.
pub fn normalise_name(raw: &str) -> Cow<'_, str> {
    let plain = raw.chars().all(|c| {
        !c.is_whitespace()
            && !('\u{ff01}'..='\u{ff5e}').contains(&c)
            && !c.is_ascii_lowercase()
            && c != '·'
            && c != '•'
    });
    if plain {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(
        raw.chars()
            .filter(|c| !c.is_whitespace() && *c != '·' && *c != '•')
            .map(|c| {
                if ('\u{ff01}'..='\u{ff5e}').contains(&c) {
                    char::from_u32(c as u32 - 0xfee0).unwrap_or(c)
                } else {
                    c
                }
            })
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    )
}

/// The key of a name, after [`normalise_name`].
#[inline]
pub fn name_key(raw: &str) -> u64 {
    hash_text(&normalise_name(raw))
}

/// What `summary.json` says of each loaded table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TableInfo {
    pub path: String,
    pub format: &'static str,
    /// Rows read.
    pub rows: u64,
    /// Rows left out: an empty key, or (deaths) no readable death date.
    pub rows_skipped: u64,
    /// Distinct keys (persons) loaded.
    pub keys: u64,
    /// Approximate bytes the loaded maps hold.
    pub memory_bytes: u64,
}

/// The loaded tables, shared read-only.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub registry: Option<Arc<Registry>>,
    pub deaths: Option<Arc<Deaths>>,
    pub officials: Option<Arc<Officials>>,
    pub info: BTreeMap<String, TableInfo>,
    /// Seconds each table took to load (not deterministic, so kept apart from `info`).
    pub load_seconds: BTreeMap<String, f64>,
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, (t.elapsed().as_secs_f64() * 1000.0).round() / 1000.0))
}

/// Loads the tables in `needed` whose path is given (the three in parallel).
pub fn load(
    needed: &[Reference],
    registry: Option<&Path>,
    deaths: Option<&Path>,
    officials: Option<&Path>,
    config: &Config,
    ids: IdScheme,
) -> Result<References> {
    let want = |r: Reference, p: Option<&Path>| -> Option<PathBuf> {
        p.filter(|_| needed.contains(&r)).map(Path::to_path_buf)
    };
    let (reg, dea, off) = (
        want(Reference::Registry, registry),
        want(Reference::Deaths, deaths),
        want(Reference::Officials, officials),
    );
    let ((r, d), o) = rayon::join(
        || {
            rayon::join(
                || {
                    reg.as_deref()
                        .map(|p| timed(|| Registry::load(p, &config.registry.columns, ids)))
                        .transpose()
                },
                || {
                    dea.as_deref()
                        .map(|p| timed(|| Deaths::load(p, &config.deaths.columns, ids)))
                        .transpose()
                },
            )
        },
        || {
            off.as_deref()
                .map(|p| timed(|| Officials::load(p, &config.officials.columns, ids)))
                .transpose()
        },
    );
    let mut out = References::default();
    if let Some(((t, info), secs)) = r? {
        out.info.insert("registry".into(), info);
        out.load_seconds.insert("registry".into(), secs);
        out.registry = Some(Arc::new(t));
    }
    if let Some(((t, info), secs)) = d? {
        out.info.insert("deaths".into(), info);
        out.load_seconds.insert("deaths".into(), secs);
        out.deaths = Some(Arc::new(t));
    }
    if let Some(((t, info), secs)) = o? {
        out.info.insert("officials".into(), info);
        out.load_seconds.insert("officials".into(), secs);
        out.officials = Some(Arc::new(t));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_meet_whatever_their_form() {
        let k = id_key("11010519491231002X");
        assert_eq!(id_key("11010519491231002x"), k);
        assert_eq!(id_key(" １１０１０５１９４９１２３１００２Ｘ"), k);
        assert_eq!(id_key("110105491231002"), k);
        assert_eq!(
            id_key_fast(
                Some("11010519491231002X"),
                hash_text("11010519491231002X"),
                IdScheme::Gb11643
            ),
            k
        );
        assert_eq!(
            id_key_fast(Some("110105491231002"), 99, IdScheme::Gb11643),
            k
        );
        assert_eq!(id_key_fast(Some("110105491231002"), 99, IdScheme::None), 99);
        assert_eq!(
            id_key_in(" 110105491231002 ", IdScheme::None),
            hash_text("110105491231002")
        );
        assert_eq!(id_key("P01"), hash_text("P01"));
    }

    #[test]
    fn names_meet_whatever_their_width_and_spaces() {
        assert_eq!(name_key("张 三"), name_key("张三"));
        assert_eq!(name_key("张\u{3000}三"), name_key("张三"));
        assert_eq!(name_key("阿依古丽·买买提"), name_key("阿依古丽买买提"));
        assert_eq!(name_key("ＺＨＡＮＧ ｓａｎ"), name_key("ZHANGSAN"));
        assert_ne!(name_key("张三"), name_key("张山"));
        assert!(matches!(normalise_name("张三"), Cow::Borrowed(_)));
    }
}
