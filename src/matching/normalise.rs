//! Normalised forms of names and identity numbers, so that one person written two ways compares equal.
//!
//! A name becomes three things:
//! - `chars`: NFKC (full-width letters and digits, compatibility ideographs), traditional Chinese characters
//!   mapped to simplified ones, Latin letters lower-cased with diacritics folded (`é` -> `e`), punctuation and
//!   spaces dropped between Chinese characters (`张 伟`, `张·伟` -> `张伟`), Latin words separated by one space;
//! - `phon`: the sound of the name: the toneless pinyin of each Chinese character (`zhang wei`), the folded
//!   Latin words as they are;
//! - `key`: a 64-bit phonetic blocking key: the pinyin syllables in order for a Chinese name (so homophones
//!   such as 张伟 / 章玮 share it), or the Soundex codes of the Latin words, sorted (so `Jonathan Smith`,
//!   `Jonathon Smyth` and `Smith, Jonathan` share it).
//!
//! Traditional -> simplified: no maintained, permissively licensed crate does it well without pulling in
//! dictionaries and old dependencies (zhconv is GPL; fast2s and character_converter bring bincode 1 and FST
//! word tables we do not need for names), so the character table of fast2s (MIT, 2,734 pairs, see
//! `t2s.txt`) is embedded and looked up by binary search. Names need characters, not words.

use crate::ledger::batch::hash_text;
use pinyin::ToPinyin;
use std::sync::OnceLock;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// A normalised name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NormName {
    pub chars: String,
    pub phon: String,
    pub key: u64,
    /// Whether the name holds Chinese characters (its key is pinyin; otherwise Soundex).
    pub is_han: bool,
}

static T2S_TEXT: &str = include_str!("t2s.txt");

fn t2s_table() -> &'static [(char, char)] {
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v: Vec<(char, char)> = T2S_TEXT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut c = l.chars();
                let t = c.next()?;
                let s = c.nth(1)?;
                Some((t, s))
            })
            .collect();
        v.sort_unstable();
        v.dedup_by_key(|p| p.0);
        v.retain(|p| p.0 != p.1);
        // follow chains (a simplified character that is itself listed) so that mapping twice changes nothing
        let look =
            |v: &[(char, char)], c: char| v.binary_search_by_key(&c, |p| p.0).ok().map(|i| v[i].1);
        let resolved: Vec<(char, char)> = v
            .iter()
            .map(|&(t, mut s)| {
                for _ in 0..4 {
                    match look(&v, s) {
                        Some(n) if n != t => s = n,
                        _ => break,
                    }
                }
                (t, s)
            })
            .collect();
        resolved
    })
}

/// The simplified form of a traditional Chinese character (the character itself when it has none).
pub fn to_simplified(c: char) -> char {
    let t = t2s_table();
    t.binary_search_by_key(&c, |p| p.0).map_or(c, |i| t[i].1)
}

/// Whether `c` is a CJK ideograph (unified, extension A, compatibility, or the supplementary planes).
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// `é` -> `e`, `ß` -> `ss`: a lower-case Latin letter without its diacritics, pushed onto `out`.
fn push_folded(c: char, out: &mut String) {
    match c {
        'ß' => out.push_str("ss"),
        'æ' => out.push_str("ae"),
        'œ' => out.push_str("oe"),
        'ø' => out.push('o'),
        'đ' | 'ð' => out.push('d'),
        'ł' => out.push('l'),
        'þ' => out.push_str("th"),
        'ı' => out.push('i'),
        _ if c.is_ascii() => out.push(c),
        // a lone combining mark (`İ` lower-cases to `i` + U+0307) folds away like any other diacritic
        _ if unicode_normalization::char::is_combining_mark(c) => {}
        _ => {
            let mut any = false;
            unicode_normalization::char::decompose_canonical(c, |d| {
                if !unicode_normalization::char::is_combining_mark(d) {
                    out.push(d);
                    any = true;
                }
            });
            if !any {
                out.push(c);
            }
        }
    }
}

/// American Soundex of a lower-case ASCII word (`smith`, `smyth` -> `s530`); the word itself when it has no
/// ASCII letter.
pub fn soundex(word: &str) -> String {
    fn code(c: u8) -> u8 {
        match c {
            b'b' | b'f' | b'p' | b'v' => b'1',
            b'c' | b'g' | b'j' | b'k' | b'q' | b's' | b'x' | b'z' => b'2',
            b'd' | b't' => b'3',
            b'l' => b'4',
            b'm' | b'n' => b'5',
            b'r' => b'6',
            b'h' | b'w' => b'-',
            _ => b'0',
        }
    }
    let letters: Vec<u8> = word.bytes().filter(u8::is_ascii_lowercase).collect();
    let Some(&first) = letters.first() else {
        return word.to_string();
    };
    let mut out = vec![first];
    let mut last = code(first);
    for &c in &letters[1..] {
        let k = code(c);
        if k == b'-' {
            continue; // h and w do not separate equal codes
        }
        if k != b'0' && k != last {
            out.push(k);
            if out.len() == 4 {
                break;
            }
        }
        last = k;
    }
    while out.len() < 4 {
        out.push(b'0');
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Normalises a name (see the module docs).
pub fn normalise_name(raw: &str) -> NormName {
    let nfkc: std::borrow::Cow<'_, str> = if is_nfkc_quick(raw.chars()) == IsNormalized::Yes {
        raw.into()
    } else {
        raw.nfkc().collect::<String>().into()
    };
    let mut chars = String::with_capacity(nfkc.len());
    let mut phon = String::with_capacity(nfkc.len() * 2);
    let mut latin: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut is_han_name = false;
    let flush =
        |word: &mut String, chars: &mut String, phon: &mut String, latin: &mut Vec<String>| {
            if word.is_empty() {
                return;
            }
            for s in [&mut *chars, &mut *phon] {
                if !s.is_empty() {
                    s.push(' ');
                }
                s.push_str(word);
            }
            latin.push(std::mem::take(word));
        };
    for c in nfkc.chars() {
        if is_han(c) {
            flush(&mut word, &mut chars, &mut phon, &mut latin);
            let s = to_simplified(c);
            if chars.ends_with(|x: char| !is_han(x)) {
                chars.push(' ');
            }
            chars.push(s);
            if !phon.is_empty() {
                phon.push(' ');
            }
            match s.to_pinyin() {
                Some(p) => phon.push_str(p.plain()),
                None => phon.push(s),
            }
            is_han_name = true;
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                push_folded(l, &mut word);
            }
        } else {
            // spaces, middle dots, commas, hyphens, apostrophes: word separators
            flush(&mut word, &mut chars, &mut phon, &mut latin);
        }
    }
    flush(&mut word, &mut chars, &mut phon, &mut latin);
    let key = if is_han_name {
        hash_text(&phon)
    } else {
        let mut codes: Vec<String> = latin.iter().map(|w| soundex(w)).collect();
        codes.sort_unstable();
        hash_text(&codes.join(" "))
    };
    NormName {
        chars,
        phon,
        key,
        is_han: is_han_name,
    }
}

/// Normalises an identity number: NFKC (full-width digits and `Ｘ`), spaces and hyphens dropped, letters
/// upper-cased (`x` -> `X`).
pub fn normalise_id(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut push = |c: char| {
        if !(c.is_whitespace() || c == '-') {
            out.push(c.to_ascii_uppercase());
        }
    };
    if raw.is_ascii() {
        raw.chars().for_each(&mut push);
        return out;
    }
    raw.nfkc().for_each(&mut push);
    if out.is_ascii() {
        out
    } else {
        // dropping a space can leave a combining mark next to a letter: compose again
        out.nfkc().collect()
    }
}

/// The birth date (days since 1970-01-01) carried by a normalised resident id: `YYYYMMDD` at characters 7-14
/// of an 18-character id, `YYMMDD` (19YY) at characters 7-12 of a 15-digit one.
pub fn id_birth_days(id: &str) -> Option<i32> {
    let date = match id.len() {
        18 => crate::ident::id_birth_date(id)?,
        15 if id.bytes().all(|b| b.is_ascii_digit()) => {
            crate::ident::id_birth_date(&format!("{}19{}0", &id[..6], &id[6..]))?
        }
        _ => return None,
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((date - epoch).num_days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn homophones_share_the_key() {
        let a = normalise_name("张伟");
        let b = normalise_name("章玮");
        assert_eq!(a.phon, "zhang wei");
        assert_eq!(a.phon, b.phon);
        assert_eq!(a.key, b.key);
        assert_ne!(a.chars, b.chars);
        assert!(a.is_han);
    }

    #[test]
    fn traditional_full_width_and_spaces_fold() {
        let a = normalise_name("張 偉");
        assert_eq!(a.chars, "张伟");
        assert_eq!(normalise_name("张·伟").chars, "张伟");
        assert_eq!(normalise_name("陳　大文").chars, "陈大文");
        assert_eq!(normalise_name("ＪＯＨＮ Ｓｍｉｔｈ").chars, "john smith");
        assert_eq!(
            normalise_name("José  Müller-Lüdenscheidt").chars,
            "jose muller ludenscheidt"
        );
    }

    #[test]
    fn latin_variants_share_the_soundex_key() {
        let a = normalise_name("Jonathan Smith");
        let b = normalise_name("Jonathon Smyth");
        let c = normalise_name("SMITH, Jonathan");
        assert_eq!(a.key, b.key);
        assert_eq!(a.key, c.key);
        assert_ne!(a.key, normalise_name("Mary Smith").key);
        assert!(!a.is_han);
        assert_eq!(soundex("robert"), "r163");
        assert_eq!(soundex("rupert"), "r163");
        assert_eq!(soundex("ashcraft"), "a261");
        assert_eq!(soundex("tymczak"), "t522");
    }

    #[test]
    fn ids_fold_case_and_width() {
        assert_eq!(normalise_id("11010519491231002x"), "11010519491231002X");
        assert_eq!(
            normalise_id("１１０１０５１９４９１２３１００２Ｘ"),
            "11010519491231002X"
        );
        assert_eq!(normalise_id(" 110105-19491231-002X "), "11010519491231002X");
        assert_eq!(id_birth_days("11010519700102002X"), Some(1));
        assert_eq!(id_birth_days("110105700102002"), Some(1));
        assert_eq!(id_birth_days("abc"), None);
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(s in "\\PC{0,12}") {
            let once = normalise_name(&s);
            let twice = normalise_name(&once.chars);
            prop_assert_eq!(&once.chars, &twice.chars);
            prop_assert_eq!(&once.phon, &twice.phon);
            prop_assert_eq!(once.key, twice.key);
            let id = normalise_id(&s);
            prop_assert_eq!(normalise_id(&id), id);
        }

        #[test]
        fn width_and_case_do_not_matter(s in "[a-zA-Z0-9 ]{0,16}") {
            let wide: String = s.chars().map(|c| if c == ' ' { '\u{3000}' } else {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) }).collect();
            prop_assert_eq!(normalise_name(&wide), normalise_name(&s.to_uppercase()));
            prop_assert_eq!(normalise_id(&wide), normalise_id(&s.to_lowercase()));
        }

        #[test]
        fn traditional_and_simplified_agree(s in "[張偉陳劉楊黃趙吳周鄭馮蕭鄧許蘇盧蔣葉王李]{1,4}") {
            let simplified: String = s.chars().map(to_simplified).collect();
            let a = normalise_name(&s);
            let b = normalise_name(&simplified);
            prop_assert_eq!(&a.chars, &simplified);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn never_panics_on_any_text(s in any::<String>()) {
            let n = normalise_name(&s);
            prop_assert!(!n.chars.starts_with(' ') && !n.chars.ends_with(' '));
            let _ = id_birth_days(&normalise_id(&s));
        }
    }
}
