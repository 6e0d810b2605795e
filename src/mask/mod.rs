//! Masked copies of the outputs, for readers outside the investigators: identity numbers, names, card (account)
//! numbers, phones and addresses of the beneficiaries never appear in them, while a keyed pseudonym keeps the
//! rows of one person (or one card) joinable.
//!
//! ```text
//! scan --mask:  scan -> Outcome -> mask_outcome (in memory) -> every writer, unchanged -> --out
//! mask IN OUT:  IN's outputs read -> what they name harvested -> every string field masked -> OUT (atomic)
//! ```
//!
//! Masking the [`crate::Outcome`] before the writers run means no writer knows about masking: a report added
//! later (a workbook, a page) is masked by construction. The `mask` command applies the same field rules to the
//! files of an output folder, so `mask` over an unmasked folder gives the bytes `scan --mask` writes.
//!
//! The forms ([`mask_id_form`], [`mask_name`], [`mask_card_form`], [`mask_phone`], [`mask_address`]):
//!
//! | value | masked |
//! |---|---|
//! | identity number (18 characters / 15-digit legacy) | `110101********1234~P3f9a0b1c2d3e` / `110101*****1234~P…` |
//! | card / account number | `***************0460~A5c0d…` (all but the last 4; never more than half of a short one) |
//! | name | `张*`, `J*` (the first character) |
//! | phone | `138****5678` |
//! | address | the first 6 characters (at most half) + `***` |
//!
//! `P` + 12 hex digits is HMAC-SHA256(key, canonical id) ([`crate::ident::canonical_id`], so every written form
//! of one id has one pseudonym); `A` + 12 hex digits the same of the card number. The key comes from the config
//! (`[mask] key`) or the environment ([`KEY_ENV`]); it is never written anywhere (`summary.json` names it by
//! `masked.key_id`, an HMAC of a fixed text under it). Case ids are not changed: they are the join key of the
//! baseline of reviewed cases.
//!
//! Free text (explanations, case explanations, flood messages and filters, paths) is masked by pattern
//! ([`text`]): digit runs of an id's, a card's or a phone's length (an id's `X` check character, full-width
//! digits and digit groups split by single spaces included), names in the `NAME (ID…` and `ID (NAME)` shapes the
//! explanations use, and every id, card and name the outputs name elsewhere (subjects, evidence rows, the
//! officials table), wherever it appears. A birth date written out (`born 1953-05-28`) keeps its year only: the
//! masked id hides exactly that date.
//!
//! Case ids are keyed too ([`Masker::case_id`]): a case id is an unkeyed hash of the unmasked subjects, so kept
//! as it is, a case of one payee would give its id back to whoever tries the ~36,500 birth dates its masked form
//! leaves open. A masked copy's case ids are therefore not the baseline's: keep the unmasked `cases.csv` for that.

mod folder;
mod json;
mod outcome;
mod text;

pub use folder::{mask_folder, FolderReport, MASKABLE};
pub use outcome::mask_outcome;

use crate::error::{Error, Result};
use crate::ident::canonical_id;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// The environment variable that gives the key (when the config's `[mask] key` does not).
pub const KEY_ENV: &str = "SUBSIDY_AUDIT_MASK_KEY";
/// The shortest key accepted, in bytes: pseudonyms of ids (a small space) under a short key can be guessed.
pub const MIN_KEY_LEN: usize = 16;

/// How to give a key, for the error that says none was given.
pub const KEY_HELP: &str = "set SUBSIDY_AUDIT_MASK_KEY in the environment or add `[mask] key = \"...\"` to the \
                            config file (--config); at least 16 characters, e.g. from `openssl rand -hex 32`";

/// The secret key of the pseudonyms. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MaskKey(String);

impl std::fmt::Debug for MaskKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MaskKey(<redacted>)")
    }
}

impl MaskKey {
    /// A key of at least [`MIN_KEY_LEN`] bytes; `Err` says why not (without the key).
    pub fn new(key: &str) -> std::result::Result<Self, String> {
        if key.len() < MIN_KEY_LEN {
            return Err(format!(
                "the mask key has {} bytes; give at least {MIN_KEY_LEN} (e.g. from `openssl rand -hex 32`)",
                key.len()
            ));
        }
        Ok(Self(key.to_string()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `[mask]` table of the config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaskSettings {
    /// `[mask] key`: the key of the pseudonyms.
    pub key: Option<MaskKey>,
}

/// Parses `[mask]` (`key = "..."`); any other key is an error naming it.
pub fn parse_settings(path: &std::path::Path, value: &toml::Value) -> Result<MaskSettings> {
    let t = value
        .as_table()
        .ok_or_else(|| Error::config(path, "mask", "must be a table"))?;
    let mut s = MaskSettings::default();
    for (k, v) in t {
        match k.as_str() {
            "key" => {
                let text = v
                    .as_str()
                    .ok_or_else(|| Error::config(path, "mask.key", "must be text"))?;
                s.key = Some(MaskKey::new(text).map_err(|m| Error::config(path, "mask.key", m))?);
            }
            _ => {
                return Err(Error::config(
                    path,
                    format!("mask.{k}"),
                    "unknown key (expected key)",
                ))
            }
        }
    }
    Ok(s)
}

/// The key of a masked run: the config's `[mask] key`, else [`KEY_ENV`]. Both given and different is an error
/// (which one is meant cannot be told); none is an error saying how to give one.
pub fn resolve_key(config: &crate::config::Config) -> Result<MaskKey> {
    let env = match std::env::var(KEY_ENV) {
        Ok(v) if v.is_empty() => None,
        Ok(v) => Some(v),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(Error::Usage(format!("{KEY_ENV} is not valid UTF-8")))
        }
    };
    match (&config.mask.key, env) {
        (Some(c), Some(e)) if c.0 != e => Err(Error::Usage(format!(
            "two different mask keys: the config's [mask] key and {KEY_ENV}; give one"
        ))),
        (Some(c), _) => Ok(c.clone()),
        (None, Some(e)) => MaskKey::new(&e).map_err(|m| Error::Usage(format!("{KEY_ENV}: {m}"))),
        (None, None) => Err(Error::Usage(format!("masking needs a key: {KEY_HELP}"))),
    }
}

/// What `summary.json` says of a masked copy (`masked`): the key's id, so that readers of two copies know
/// whether their pseudonyms join (one key) or not.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MaskInfo {
    /// `K` + 12 hex digits of HMAC-SHA256(key, a fixed text): names the key, reveals nothing of it.
    pub key_id: String,
}

/// HMAC-SHA256 (RFC 2104) with the pads hashed once: each message then costs two compressions more.
#[derive(Clone)]
pub(crate) struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let pad = |p: u8| k.map(|b| b ^ p);
        Self {
            inner: Sha256::new().chain_update(pad(0x36)),
            outer: Sha256::new().chain_update(pad(0x5c)),
        }
    }

    pub(crate) fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let inner = self.inner.clone().chain_update(msg).finalize();
        self.outer.clone().chain_update(inner).finalize().into()
    }

    /// `prefix` + the first 12 hex digits of the MAC of `msg`.
    fn tag(&self, prefix: char, msg: &[u8]) -> String {
        let mut s = String::with_capacity(13);
        s.push(prefix);
        for b in &self.mac(msg)[..6] {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// What a dictionary entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Id,
    Account,
    Name,
}

/// Every value the outputs name (ids, cards, names) with its masked form, found wherever it appears in text.
#[derive(Default)]
struct Dict {
    map: HashMap<String, (Kind, String)>,
    /// Byte lengths of the entries, longest first, by their first character.
    lens: HashMap<char, Vec<usize>>,
}

impl Dict {
    fn insert(&mut self, value: &str, kind: Kind, masked: String) {
        let Some(first) = value.chars().next() else {
            return;
        };
        if self.map.contains_key(value) {
            return;
        }
        self.map.insert(value.to_string(), (kind, masked));
        let l = self.lens.entry(first).or_default();
        if let Err(at) = l.binary_search_by(|x| value.len().cmp(x)) {
            l.insert(at, value.len());
        }
    }
}

/// Masks values and text under one key, knowing the ids, cards and names the outputs name.
pub struct Masker {
    hmac: Hmac,
    dict: Dict,
    /// Transaction ids of the findings: digit runs that are these are left as written.
    keep: HashSet<String>,
}

impl Masker {
    pub fn new(key: &MaskKey) -> Self {
        Self {
            hmac: Hmac::new(key.as_str().as_bytes()),
            dict: Dict::default(),
            keep: HashSet::new(),
        }
    }

    /// The key's id (`summary.json`'s `masked.key_id`).
    pub fn info(&self) -> MaskInfo {
        MaskInfo {
            key_id: self.hmac.tag('K', b"subsidy-audit mask key id"),
        }
    }

    /// `P` + 12 hex digits of HMAC-SHA256(key, canonical id): one per person, whatever form the id is written in.
    pub fn pseudonym(&self, id: &str) -> String {
        self.hmac.tag('P', canonical_id(id).as_bytes())
    }

    /// `A` + 12 hex digits of HMAC-SHA256(key, `account:` + the card number without spaces).
    pub fn account_pseudonym(&self, card: &str) -> String {
        let mut msg = String::from("account:");
        msg.push_str(&normalise_digits(card));
        self.hmac.tag('A', msg.as_bytes())
    }

    /// A case id in a masked copy: `C` + 16 hex digits of HMAC-SHA256(key, `case:` + the case id). The case id
    /// is an unkeyed hash of the case's unmasked subjects, so kept as it is it would give a masked id back to
    /// anyone hashing the 36,500 birth dates its masked form leaves open; keyed, it stays stable from run to run
    /// (under one key) and joins the masked findings to their cases. Empty stays empty.
    pub fn case_id(&self, id: &str) -> String {
        if id.trim().is_empty() {
            return id.to_string();
        }
        let mut msg = String::from("case:");
        msg.push_str(id.trim());
        let mac = self.hmac.mac(msg.as_bytes());
        let mut s = String::with_capacity(17);
        s.push('C');
        for b in &mac[..8] {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// An identity number masked, with its pseudonym: `110101********1234~P3f9a0b1c2d3e` (empty stays empty).
    pub fn id(&self, raw: &str) -> String {
        if raw.trim().is_empty() {
            return raw.to_string();
        }
        format!("{}~{}", mask_id_form(raw), self.pseudonym(raw))
    }

    /// A card number masked, with its pseudonym: `***************0460~A5c0d1e2f3a4b` (empty stays empty).
    pub fn account(&self, raw: &str) -> String {
        if raw.trim().is_empty() {
            return raw.to_string();
        }
        format!("{}~{}", mask_card_form(raw), self.account_pseudonym(raw))
    }

    /// Free text with every id, card, phone and name masked ([`text`]).
    pub fn text(&self, s: &str) -> String {
        text::mask(self, s, true)
    }

    /// A region (a code or a place name): ids and cards masked, names not looked for (a village may bear a
    /// surname).
    pub fn region(&self, s: &str) -> String {
        text::mask(self, s, false)
    }

    /// A finding's subject of kind `kind`: payees and accounts with their pseudonyms, a person's ids each,
    /// anything else as text.
    pub fn subject(&self, kind: &str, key: &str) -> String {
        match kind {
            "payee" => self.id(key),
            "account" => self.account(key),
            "person" => key
                .split('|')
                .map(|k| self.id(k))
                .collect::<Vec<_>>()
                .join("|"),
            "region" => self.region(key),
            _ => self.text(key),
        }
    }

    /// A case's `kind:key` subject (or a list of them joined by `; `, as `cases.csv` writes them; `and N more`
    /// kept).
    pub fn subjects(&self, list: &str) -> String {
        list.split("; ")
            .map(|item| match item.split_once(':') {
                Some((kind, key)) if is_subject_kind(kind) => {
                    format!("{kind}:{}", self.subject(kind, key))
                }
                _ => self.text(item),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A flood's value of the (canonical) column `column`.
    pub fn flood_value(&self, column: Option<&str>, value: &str) -> String {
        match column {
            Some("payee_id") => self.id(value),
            Some("account") => self.account(value),
            Some("payee_name") => mask_name(value),
            Some("phone") => mask_phone(value),
            Some("address") => mask_address(value),
            Some("birth_date") => value.to_string(),
            Some("region" | "county" | "township") => self.region(value),
            _ => self.text(value),
        }
    }

    /// A flood's message, which quotes its value (`{value:?}`): the quoted value replaced by its masked form,
    /// then the rest masked as text.
    pub fn flood_message(
        &self,
        column: Option<&str>,
        value: Option<&str>,
        message: &str,
    ) -> String {
        match value {
            Some(v) => self.text(&message.replace(
                &format!("{v:?}"),
                &format!("{:?}", self.flood_value(column, v)),
            )),
            None => self.text(message),
        }
    }

    /// A flood's `[[exclude]]` filter, which holds its value as a TOML string: masked as the value is.
    pub fn flood_exclude(&self, column: Option<&str>, value: Option<&str>, filter: &str) -> String {
        match value {
            Some(v) => self.text(&filter.replace(
                &crate::flood::toml_str(v.trim()),
                &crate::flood::toml_str(&self.flood_value(column, v)),
            )),
            None => self.text(filter),
        }
    }

    /// Masks a string field named `key` (a JSON key, a CSV or Parquet column), given the string fields before it
    /// in its object or row (a flood's `column` and `value`, a finding's `subject_kind`): the one table of field
    /// rules that the `mask` command applies to files and [`mask_outcome`] to the outcome.
    pub fn field(&self, key: Option<&str>, before: &[(String, String)], value: &str) -> String {
        let get = |k: &str| {
            before
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        match key.unwrap_or("") {
            "case_id" => self.case_id(value),
            k if KEEP.contains(&k) => value.to_string(),
            "subject" => match get("subject_kind") {
                Some(kind) => self.subject(kind, value),
                None => self.text(value),
            },
            "subjects" => self.subjects(value),
            "region" | "township" | "county" => self.region(value),
            "value" if get("column").is_some() => self.flood_value(get("column"), value),
            "message" if get("column").is_some() => {
                self.flood_message(get("column"), get("value"), value)
            }
            "exclude" if get("column").is_some() => {
                self.flood_exclude(get("column"), get("value"), value)
            }
            _ => self.text(value),
        }
    }

    // ---- what the outputs name

    /// An identity number the outputs name (a payee's key or its written form).
    pub fn add_id(&mut self, raw: &str) {
        let t = raw.trim();
        if t.chars().count() >= 3 {
            let masked = self.id(t);
            self.dict.insert(t, Kind::Id, masked);
        }
    }

    /// A card number the outputs name.
    pub fn add_account(&mut self, raw: &str) {
        let t = raw.trim();
        if t.chars().count() >= 3 {
            let masked = self.account(t);
            self.dict.insert(t, Kind::Account, masked);
        }
    }

    /// A name the outputs name: masked wherever it appears (names of one character only where the patterns
    /// place them: one character alone is no name to look for).
    pub fn add_name(&mut self, raw: &str) {
        let t = raw.trim();
        if t.chars().count() >= 2 {
            self.dict.insert(t, Kind::Name, mask_name(t));
        }
    }

    /// The ids or cards of a subject of kind `kind`.
    pub fn add_subject(&mut self, kind: &str, key: &str) {
        match kind {
            "payee" => self.add_id(key),
            "person" => key.split('|').for_each(|k| self.add_id(k)),
            "account" => self.add_account(key),
            _ => {}
        }
    }

    /// The ids or cards of `kind:key` subjects (one, or several joined by `; `).
    pub fn add_subjects(&mut self, list: &str) {
        for item in list.split("; ") {
            if let Some((kind, key)) = item.split_once(':') {
                self.add_subject(kind, key);
            }
        }
    }

    /// A transaction id: left as written in text even when it is a digit run of a card's length.
    pub fn keep_txn_id(&mut self, txn: &str) {
        let n = normalise_digits(txn);
        if text::classify(&n).is_some() {
            self.keep.insert(n);
        }
    }

    /// The names `s` places in the `NAME (ID…` and `ID (NAME)` shapes, added to those looked for.
    pub fn harvest(&mut self, s: &str) {
        let mut names = Vec::new();
        text::harvest(self, s, &mut names);
        for n in names {
            self.add_name(&n);
        }
    }

    /// What [`Masker::field`] learns from a field: subjects' ids and cards, transaction ids, a name flood's
    /// value, the names of text. Call for every field before masking any.
    pub fn learn_field(&mut self, key: Option<&str>, before: &[(String, String)], value: &str) {
        let get = |k: &str| {
            before
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        match key.unwrap_or("") {
            "txn_ids" => self.keep_txn_id(value),
            "subject" => {
                if let Some(kind) = get("subject_kind") {
                    self.add_subject(&kind, value);
                }
            }
            "subjects" => self.add_subjects(value),
            "value" if get("column").as_deref() == Some("payee_name") => self.add_name(value),
            _ => {}
        }
    }

    /// The second half of learning: names by pattern in a text field (after every id and card is known, so
    /// that `NAME (P01)` is found for a known id `P01` too).
    pub fn learn_names(&mut self, key: Option<&str>, value: &str) {
        let k = key.unwrap_or("");
        if !KEEP.contains(&k)
            && !matches!(k, "region" | "township" | "county" | "subject" | "subjects")
        {
            self.harvest(value);
        }
    }
}

/// Fields never masked: codes, hashes, counts, transaction ids (case ids are keyed: [`Masker::case_id`]).
const KEEP: &[&str] = &[
    "rule",
    "rule_name",
    "severity",
    "subject_kind",
    "txn_ids",
    "version",
    "config_hash",
    "sha256",
    "currency",
    "kind",
    "column",
    "level",
    "rules",
    "rules_run",
    "top_rules",
    "format",
    "rank",
    "score",
    "referral",
    "reviewed",
    "amount_at_risk",
    "amount_at_risk_fen",
    "payments",
    "findings",
    "payees",
    "paid",
    "paid_fen",
    "cases",
    "referrals",
    "findings_per_10k_payees",
    "amount_yuan",
    "amount_at_risk_yuan",
    "amount",
    "key_id",
];

fn is_subject_kind(k: &str) -> bool {
    matches!(k, "payee" | "account" | "officer" | "region" | "person")
}

/// Full-width digits and `Ｘ` to ASCII, `x` to `X`, spaces (ASCII and ideographic) dropped.
fn normalise_digits(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            'x' | 'Ｘ' | 'ｘ' => 'X',
            c => c,
        })
        .collect()
}

/// Stars for all but the last `keep` characters of `chars`.
fn stars_then(chars: &[char], keep: usize) -> String {
    let keep = keep.min(chars.len());
    let mut s = "*".repeat(chars.len() - keep);
    s.extend(&chars[chars.len() - keep..]);
    s
}

/// An identity number's masked form: an 18-character id (17 digits and a digit or `X`) keeps its 6-digit region
/// prefix and its last 4 characters (`110101********1234`), the 15-digit legacy form its first 6 and last 4
/// (`110101*****1234`); full-width digits, spaces and a lower-case `x` are read as the id. Anything else (a
/// non-standard id) is masked as a card ([`mask_card_form`]).
pub fn mask_id_form(raw: &str) -> String {
    let n = normalise_digits(raw);
    let b = n.as_bytes();
    let is_id =
        crate::ident::is_plain_id18(b) || (b.len() == 15 && b.iter().all(u8::is_ascii_digit));
    if is_id {
        format!(
            "{}{}{}",
            &n[..6],
            "*".repeat(n.len() - 10),
            &n[n.len() - 4..]
        )
    } else {
        mask_card_form(raw)
    }
}

/// A card (account) number's masked form: stars for all but the last 4 characters (`************1234` for a
/// 16-digit card); a card of fewer than 8 characters keeps at most half (`**34`, `**1`, `*`). Spaces are dropped.
pub fn mask_card_form(raw: &str) -> String {
    let chars: Vec<char> = normalise_digits(raw).chars().collect();
    let keep = if chars.len() >= 8 { 4 } else { chars.len() / 2 };
    stars_then(&chars, keep)
}

/// A name's masked form: its first character and one star, whatever its length (`张*` for 张三 and 欧阳娜娜,
/// `J*` for John Smith); a name of one character is `*`.
pub fn mask_name(raw: &str) -> String {
    let t = raw.trim();
    let mut chars = t.chars();
    match (chars.next(), chars.next()) {
        (None, _) => String::new(),
        (Some(_), None) => "*".to_string(),
        (Some(c), Some(_)) => format!("{c}*"),
    }
}

/// A phone's masked form: a mobile number (11 digits from `1`, spaces and dashes dropped) keeps its first 3 and
/// last 4 digits (`138****5678`); any other number keeps its last 4 digits and its separators, and one of fewer
/// than 7 digits keeps none.
pub fn mask_phone(raw: &str) -> String {
    let n = normalise_digits(raw);
    let compact: String = n.chars().filter(|c| *c != '-').collect();
    if compact.len() == 11
        && compact.starts_with('1')
        && compact.bytes().all(|b| b.is_ascii_digit())
    {
        return format!("{}****{}", &compact[..3], &compact[7..]);
    }
    let digits = n.chars().filter(char::is_ascii_digit).count();
    let keep = if digits >= 7 { 4 } else { 0 };
    let mut seen = 0;
    n.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen > digits - keep {
                    c
                } else {
                    '*'
                }
            } else {
                c
            }
        })
        .collect()
}

/// An address's masked form: its first 6 characters (at most half of a short one) and `***`
/// (`北京市朝阳区***`).
pub fn mask_address(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let keep = 6.min(chars.len() / 2);
    let mut s: String = chars[..keep].iter().collect();
    s.push_str("***");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MaskKey {
        MaskKey::new("0123456789abcdef-test-key").expect("key")
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        // test case 1
        let h = Hmac::new(&[0x0b; 20]);
        assert_eq!(
            hex(&h.mac(b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // test case 2
        let h = Hmac::new(b"Jefe");
        assert_eq!(
            hex(&h.mac(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // test case 6: a key longer than the block, hashed first
        let h = Hmac::new(&[0xaa; 131]);
        assert_eq!(
            hex(&h.mac(b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn ids_keep_the_region_prefix_and_the_last_four() {
        assert_eq!(mask_id_form("110101196205035536"), "110101********5536");
        // the X check character is one of the last four; a lower-case x reads as X
        assert_eq!(mask_id_form("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id_form("11010519491231002x"), "110105********002X");
        // the 15-digit legacy form
        assert_eq!(mask_id_form("110101620503553"), "110101*****3553");
        // full-width digits and inner spaces read as the id
        assert_eq!(
            mask_id_form("１１０１０１１９６２０５０３５５３６"),
            "110101********5536"
        );
        assert_eq!(mask_id_form("110101 19620503 5536"), "110101********5536");
        // not an id: masked as a card
        assert_eq!(mask_id_form("P01"), "**1");
        assert_eq!(mask_id_form("E12345678"), "*****5678");
    }

    #[test]
    fn cards_keep_the_last_four_and_at_most_half_of_a_short_one() {
        assert_eq!(mask_card_form("6222020000751575"), "************1575");
        assert_eq!(mask_card_form("6217990000518530460"), "***************0460");
        assert_eq!(mask_card_form("6222 0200 0075 1575"), "************1575");
        assert_eq!(mask_card_form("12345678"), "****5678");
        assert_eq!(mask_card_form("1234567"), "****567");
        assert_eq!(mask_card_form("1234"), "**34");
        assert_eq!(mask_card_form("A01"), "**1");
        assert_eq!(mask_card_form("7"), "*");
        assert_eq!(mask_card_form(""), "");
    }

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("梁骅兰"), "梁*");
        assert_eq!(mask_name("欧阳娜娜"), "欧*");
        assert_eq!(mask_name("阿依古丽·买买提"), "阿*");
        assert_eq!(mask_name("John Smith"), "J*");
        assert_eq!(mask_name(" Li "), "L*");
        assert_eq!(mask_name("王"), "*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn phones_and_addresses() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("138-1234-5678"), "138****5678");
        assert_eq!(mask_phone("010-62345678"), "***-****5678");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_address("北京市朝阳区建国路88号"), "北京市朝阳区***");
        assert_eq!(mask_address("朝阳区"), "朝***");
        assert_eq!(mask_address(""), "");
    }

    #[test]
    fn pseudonyms_are_one_per_person_and_keyed() {
        let m = Masker::new(&key());
        let p = m.pseudonym("110101196205035536");
        assert_eq!(p.len(), 13);
        assert!(p.starts_with('P') && p[1..].bytes().all(|b| b.is_ascii_hexdigit()));
        // every written form of one id: one pseudonym
        assert_eq!(m.pseudonym("110101620503553"), p);
        assert_eq!(m.pseudonym(" １１０１０１１９６２０５０３５５３６ "), p);
        assert_ne!(m.pseudonym("110101196205035544"), p);
        // another key, another pseudonym
        let other = Masker::new(&MaskKey::new("another key of 16+ bytes").expect("key"));
        assert_ne!(other.pseudonym("110101196205035536"), p);
        assert_eq!(
            m.id("110101196205035536"),
            format!("110101********5536~{p}")
        );
        assert!(m
            .account("6222020000751575")
            .starts_with("************1575~A"));
        assert_eq!(m.subject("person", "110101196205035536|110101620503553"), {
            let one = m.id("110101196205035536");
            format!("{one}|{}", m.id("110101620503553"))
        });
        assert_ne!(m.info().key_id, other.info().key_id);
        assert!(!format!("{:?}", key()).contains("test-key"));
    }

    #[test]
    fn keys_are_checked() {
        assert!(MaskKey::new("short").is_err());
        let e = parse_settings(
            std::path::Path::new("c.toml"),
            &toml::from_str::<toml::Value>("keys = 1").expect("toml"),
        )
        .expect_err("unknown key");
        assert!(e.to_string().contains("mask.keys"), "{e}");
        let e = parse_settings(
            std::path::Path::new("c.toml"),
            &toml::from_str::<toml::Value>("key = \"short\"").expect("toml"),
        )
        .expect_err("short key");
        assert!(
            e.to_string().contains("mask.key") && !e.to_string().contains("\"short\""),
            "{e}"
        );
    }
}
