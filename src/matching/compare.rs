//! Comparing two candidate records field by field and combining the agreements into one match score.
//!
//! The score is a Fellegi-Sunter log-likelihood ratio: each field contributes `log2(m/u)` when it agrees at a
//! level (m: how often the level is seen when both records are one person; u: how often for two different
//! people of the same block) and `log2((1-m)/(1-u))` when it disagrees. The m and u below are estimates for
//! subsidy ledgers (u from name, birth-date and region frequencies; m from how a second enrolment is usually
//! made: a homophone or a typo of the name, a fresh id, another village of the same county), rounded to whole
//! points so the explanation can show them:
//!
//! | field | level | points |
//! |---|---|---:|
//! | name | same characters after normalisation | +10 |
//! | name | same sound: same pinyin (Chinese) | +9 |
//! | name | same sound: same Soundex codes (Latin) | +7 |
//! | name | similar: Jaro-Winkler >= 0.90 (Latin: on the words; Chinese: one pinyin syllable differs, `zhen` / `zheng`) | +3 |
//! | name | different | -6 |
//! | birth date | equal | +12 |
//! | birth date | one digit or one transposition apart | +3 |
//! | birth date | different (unknown on either side: 0) | -6 |
//! | id | one substitution or transposition apart | +8 |
//! | region | same village (12-digit code) or same code | +4 |
//! | region | same township (first 9 digits) | +3 |
//! | region | same county (first 6 digits) | +2 |
//! | region | another county | -4 |
//! | account | the same card | +8 |
//! | household | the same household | +2 |
//! | address | the same address | +4 |
//! | phone | the same phone | +6 |
//!
//! Two records are one person when the score reaches the threshold (`min_score`, default 20). A homophone
//! name with the same birth date in the same county scores at least 9 + 12 + 2 = 23; the same name and birth
//! date in another county (two real people: common names repeat nationwide) 10 + 12 - 4 = 18.

/// What the comparison saw, field by field (bits of [`Comparison::agree`]).
pub mod field {
    pub const NAME_EXACT: u32 = 1;
    pub const NAME_SOUND: u32 = 1 << 1;
    pub const NAME_SIMILAR: u32 = 1 << 2;
    pub const BIRTH: u32 = 1 << 3;
    pub const BIRTH_NEAR: u32 = 1 << 4;
    pub const ID_ONE: u32 = 1 << 5;
    pub const VILLAGE: u32 = 1 << 7;
    pub const TOWNSHIP: u32 = 1 << 8;
    pub const COUNTY: u32 = 1 << 9;
    pub const ACCOUNT: u32 = 1 << 10;
    pub const HOUSEHOLD: u32 = 1 << 11;
    pub const ADDRESS: u32 = 1 << 12;
    pub const PHONE: u32 = 1 << 13;
    /// Disagreements that cost points.
    pub const NAME_DIFF: u32 = 1 << 16;
    pub const BIRTH_DIFF: u32 = 1 << 17;
    pub const REGION_FAR: u32 = 1 << 18;
    /// The name is Latin (sound = Soundex).
    pub const LATIN: u32 = 1 << 20;
}

/// Points of each level (see the module table).
pub mod weight {
    pub const NAME_EXACT: f64 = 10.0;
    pub const NAME_SOUND_HAN: f64 = 9.0;
    pub const NAME_SOUND_LATIN: f64 = 7.0;
    pub const NAME_SIMILAR: f64 = 3.0;
    pub const NAME_DIFF: f64 = -6.0;
    pub const BIRTH: f64 = 12.0;
    pub const BIRTH_NEAR: f64 = 3.0;
    pub const BIRTH_DIFF: f64 = -6.0;
    pub const ID_ONE: f64 = 8.0;
    pub const VILLAGE: f64 = 4.0;
    pub const TOWNSHIP: f64 = 3.0;
    pub const COUNTY: f64 = 2.0;
    pub const REGION_FAR: f64 = -4.0;
    pub const ACCOUNT: f64 = 8.0;
    pub const HOUSEHOLD: f64 = 2.0;
    pub const ADDRESS: f64 = 4.0;
    pub const PHONE: f64 = 6.0;
    /// Jaro-Winkler similarity from which a name is "similar".
    pub const SIMILAR_JW: f64 = 0.90;
}

/// One record as the matcher sees it: normalised texts and hashed contact fields (0 = unknown).
#[derive(Debug, Clone, Copy, Default)]
pub struct Person<'a> {
    /// Normalised id.
    pub id: &'a str,
    pub chars: &'a str,
    pub phon: &'a str,
    pub key: u64,
    pub is_han: bool,
    /// Days since 1970-01-01.
    pub birth: Option<i32>,
    pub region: &'a str,
    pub account: u64,
    pub household: u64,
    pub address: u64,
    pub phone: u64,
}

/// The outcome of comparing two records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub score: f64,
    /// [`field`] bits.
    pub agree: u32,
    /// Best Jaro-Winkler similarity of the names.
    pub name_sim: f64,
}

fn is_code12(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `(bits, points)` of the region comparison.
fn region(a: &str, b: &str) -> (u32, f64) {
    if a.is_empty() || b.is_empty() {
        return (0, 0.0);
    }
    if is_code12(a) && is_code12(b) {
        let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        return match common {
            12 => (field::VILLAGE, weight::VILLAGE),
            9..=11 => (field::TOWNSHIP, weight::TOWNSHIP),
            6..=8 => (field::COUNTY, weight::COUNTY),
            _ => (field::REGION_FAR, weight::REGION_FAR),
        };
    }
    if a == b {
        (field::VILLAGE, weight::VILLAGE)
    } else {
        (0, 0.0)
    }
}

/// `YYYYMMDD` digits of a day count (days since 1970-01-01), by the civil-from-days algorithm (integer only:
/// this runs for many pairs).
fn digits8(days: i32) -> [u8; 8] {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = (yoe + era * 400 + i64::from(m <= 2)).clamp(0, 9999);
    let v = y * 10_000 + m * 100 + d;
    let mut out = [0u8; 8];
    let mut x = v;
    for o in out.iter_mut().rev() {
        *o = (x % 10) as u8;
        x /= 10;
    }
    out
}

/// Whether two birth dates are one digit or one adjacent transposition apart (`19500312` / `19500321`).
pub fn birth_near(a: i32, b: i32) -> bool {
    let (x, y) = (digits8(a), digits8(b));
    let mut diff = (0..8).filter(|&i| x[i] != y[i]);
    match (diff.next(), diff.next(), diff.next()) {
        (Some(_), None, _) => true,
        (Some(i), Some(j), None) => j == i + 1 && x[i] == y[j] && x[j] == y[i],
        _ => false,
    }
}

/// Jaro-Winkler of two Latin names, with their words in order and sorted (`smith jonathan` / `jonathan
/// smith`).
fn latin_sim(a: &str, b: &str) -> f64 {
    let direct = strsim::jaro_winkler(a, b);
    if direct >= weight::SIMILAR_JW || !a.contains(' ') {
        return direct;
    }
    let sorted = |s: &str| {
        let mut w: Vec<&str> = s.split(' ').collect();
        w.sort_unstable();
        w.join(" ")
    };
    direct.max(strsim::jaro_winkler(&sorted(a), &sorted(b)))
}

/// Whether two ids are exactly one edit apart: one substitution, one adjacent transposition, or one
/// character more or less (the optimal-string-alignment distance is 1), without allocating.
pub fn one_edit(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let head = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    match long.len() - short.len() {
        0 => {
            if head == short.len() {
                return false; // equal
            }
            let n = short.len();
            let tail = short[head..]
                .iter()
                .rev()
                .zip(long[head..].iter().rev())
                .take_while(|(x, y)| x == y)
                .count();
            let differ = n - head - tail;
            differ == 1
                || (differ == 2 && short[head] == long[head + 1] && short[head + 1] == long[head])
        }
        1 => short[head..] == long[head + 1..],
        _ => false,
    }
}

/// Similarity of two Chinese names by their pinyin syllables: the names must have as many syllables and
/// differ in one at most; the result is the Jaro-Winkler similarity of the differing syllables (`zhen` /
/// `zheng` 0.95, `lin` / `ling` 0.94: the common front and back nasal confusions), 1 when none differ, 0 when
/// more than one does. Jaro-Winkler over the whole pinyin would call `wang hong` and `wang bao fang` similar.
fn han_sim(a: &str, b: &str) -> f64 {
    let (x, y): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    if x.len() != y.len() {
        return 0.0;
    }
    let mut diff = x.iter().zip(&y).filter(|(p, q)| p != q);
    match (diff.next(), diff.next()) {
        (None, _) => 1.0,
        (Some((p, q)), None) => strsim::jaro_winkler(p, q),
        _ => 0.0,
    }
}

/// Compares two records; `None` when they cannot reach `min_score` (the name comparison, the costly part, is
/// skipped when the other fields already rule the pair out).
#[derive(Default)]
struct Tally {
    score: f64,
    agree: u32,
}

impl Tally {
    fn add(&mut self, bit: u32, w: f64) {
        self.agree |= bit;
        self.score += w;
    }
}

pub fn compare(a: &Person<'_>, b: &Person<'_>, min_score: f64) -> Option<Comparison> {
    let mut t = Tally::default();
    if let (Some(x), Some(y)) = (a.birth, b.birth) {
        if x == y {
            t.add(field::BIRTH, weight::BIRTH);
        } else if birth_near(x, y) {
            t.add(field::BIRTH_NEAR, weight::BIRTH_NEAR);
        } else {
            t.add(field::BIRTH_DIFF, weight::BIRTH_DIFF);
        }
    }
    let (bits, w) = region(a.region, b.region);
    t.add(bits, w);
    for (x, y, bit, w) in [
        (a.account, b.account, field::ACCOUNT, weight::ACCOUNT),
        (
            a.household,
            b.household,
            field::HOUSEHOLD,
            weight::HOUSEHOLD,
        ),
        (a.address, b.address, field::ADDRESS, weight::ADDRESS),
        (a.phone, b.phone, field::PHONE, weight::PHONE),
    ] {
        if x != 0 && x == y {
            t.add(bit, w);
        }
    }
    if t.score + weight::NAME_EXACT + weight::ID_ONE < min_score {
        return None;
    }
    if !a.id.is_empty() && !b.id.is_empty() && one_edit(a.id.as_bytes(), b.id.as_bytes()) {
        t.add(field::ID_ONE, weight::ID_ONE);
    }
    if t.score + weight::NAME_EXACT < min_score {
        return None;
    }
    if (a.chars.is_empty() && a.phon.is_empty()) || (b.chars.is_empty() && b.phon.is_empty()) {
        // a name not known (a placeholder): neither for nor against
        return (t.score >= min_score).then_some(Comparison {
            score: t.score,
            agree: t.agree,
            name_sim: 0.0,
        });
    }
    let latin = !a.is_han || !b.is_han;
    if latin {
        t.agree |= field::LATIN;
    }
    let mut name_sim = 1.0;
    if a.chars == b.chars && !a.chars.is_empty() {
        t.add(field::NAME_EXACT, weight::NAME_EXACT);
    } else if a.key == b.key && !a.phon.is_empty() {
        let w = if latin {
            weight::NAME_SOUND_LATIN
        } else {
            weight::NAME_SOUND_HAN
        };
        t.add(field::NAME_SOUND, w);
        name_sim = if latin {
            latin_sim(a.chars, b.chars)
        } else {
            strsim::jaro_winkler(a.chars, b.chars)
        };
    } else {
        name_sim = if latin {
            latin_sim(a.chars, b.chars)
        } else {
            han_sim(a.phon, b.phon)
        };
        if name_sim >= weight::SIMILAR_JW {
            t.add(field::NAME_SIMILAR, weight::NAME_SIMILAR);
        } else {
            t.add(field::NAME_DIFF, weight::NAME_DIFF);
        }
    }
    (t.score >= min_score).then_some(Comparison {
        score: t.score,
        agree: t.agree,
        name_sim,
    })
}

/// The agreeing fields of `agree`, with their points: `name sounds alike +9, same birth date +12, ...`.
pub fn describe(agree: u32) -> Vec<String> {
    fields(agree)
        .map(|(en, _, w)| format!("{en} {w:+}"))
        .collect()
}

/// The Chinese twin of [`describe`]: `姓名读音相同（拼音） +9, 出生日期相同 +12, ...`.
pub fn describe_zh(agree: u32) -> Vec<String> {
    fields(agree)
        .map(|(_, zh, w)| format!("{zh} {w:+}"))
        .collect()
}

/// The agreeing fields of `agree`: their words in English and Chinese and their points.
fn fields(agree: u32) -> impl Iterator<Item = (&'static str, &'static str, f64)> {
    let latin = agree & field::LATIN != 0;
    let items: [(u32, &str, &str, f64); 16] = [
        (
            field::NAME_EXACT,
            "same name",
            "姓名相同",
            weight::NAME_EXACT,
        ),
        (
            field::NAME_SOUND,
            if latin {
                "name sounds alike (Soundex)"
            } else {
                "name sounds alike (pinyin)"
            },
            if latin {
                "姓名读音相近（Soundex）"
            } else {
                "姓名读音相同（拼音）"
            },
            if latin {
                weight::NAME_SOUND_LATIN
            } else {
                weight::NAME_SOUND_HAN
            },
        ),
        (
            field::NAME_SIMILAR,
            "similar name",
            "姓名相似",
            weight::NAME_SIMILAR,
        ),
        (
            field::BIRTH,
            "same birth date",
            "出生日期相同",
            weight::BIRTH,
        ),
        (
            field::BIRTH_NEAR,
            "birth date one digit apart",
            "出生日期仅差一位数字",
            weight::BIRTH_NEAR,
        ),
        (
            field::ID_ONE,
            "ids one edit apart",
            "证件号仅差一处",
            weight::ID_ONE,
        ),
        (field::VILLAGE, "same village", "同村", weight::VILLAGE),
        (field::TOWNSHIP, "same township", "同乡镇", weight::TOWNSHIP),
        (field::COUNTY, "same county", "同县", weight::COUNTY),
        (field::ACCOUNT, "same account", "同一账户", weight::ACCOUNT),
        (
            field::HOUSEHOLD,
            "same household",
            "同一户",
            weight::HOUSEHOLD,
        ),
        (field::ADDRESS, "same address", "地址相同", weight::ADDRESS),
        (field::PHONE, "same phone", "电话相同", weight::PHONE),
        (
            field::NAME_DIFF,
            "different name",
            "姓名不同",
            weight::NAME_DIFF,
        ),
        (
            field::BIRTH_DIFF,
            "different birth date",
            "出生日期不同",
            weight::BIRTH_DIFF,
        ),
        (
            field::REGION_FAR,
            "another county",
            "不同县",
            weight::REGION_FAR,
        ),
    ];
    items
        .into_iter()
        .filter(move |(bit, _, _, _)| agree & bit != 0)
        .map(|(_, en, zh, w)| (en, zh, w))
}

/// The record of a normalised id, a normalised name and a region, its birth date read off the id (the tests'
/// records).
#[cfg(test)]
pub(crate) fn person<'a>(
    id: &'a str,
    n: &'a crate::matching::normalise::NormName,
    region: &'a str,
) -> Person<'a> {
    Person {
        id,
        chars: &n.chars,
        phon: &n.phon,
        key: n.key,
        is_han: n.is_han,
        birth: crate::matching::normalise::id_birth_days(id),
        region,
        ..Person::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::normalise::{normalise_id, normalise_name};

    #[test]
    fn homophone_in_another_village_of_the_county_matches() {
        let (n1, n2) = (normalise_name("张伟"), normalise_name("章玮"));
        let (i1, i2) = (
            normalise_id("520102195003120017"),
            normalise_id("520102195003120350"),
        );
        let a = person(&i1, &n1, "520102003004");
        let b = person(&i2, &n2, "520102007001");
        let c = compare(&a, &b, 20.0).expect("match");
        assert!((c.score - 23.0).abs() < 1e-9, "{c:?}");
        assert_eq!(
            describe(c.agree),
            vec![
                "name sounds alike (pinyin) +9",
                "same birth date +12",
                "same county +2"
            ]
        );
    }

    #[test]
    fn same_name_and_birth_in_another_county_is_two_people() {
        let n = normalise_name("王芳");
        let (i1, i2) = (
            normalise_id("520102195003120017"),
            normalise_id("110105195003120035"),
        );
        let a = person(&i1, &n, "520102003004");
        let b = person(&i2, &n, "110105001001");
        assert_eq!(compare(&a, &b, 20.0), None);
        assert!((compare(&a, &b, 0.0).expect("scored").score - 18.0).abs() < 1e-9);
    }

    #[test]
    fn latin_variants_match_with_birth_and_region() {
        let (n1, n2) = (
            normalise_name("Jonathan Smith"),
            normalise_name("Jonathon Smyth"),
        );
        let mut a = person("", &n1, "2600");
        let mut b = person("", &n2, "2600");
        a.birth = Some(-5000);
        b.birth = Some(-5000);
        let c = compare(&a, &b, 20.0).expect("match");
        assert!((c.score - 23.0).abs() < 1e-9, "{c:?}");
        assert!(c.name_sim > 0.9);
        b.birth = Some(-4000);
        assert_eq!(compare(&a, &b, 20.0), None);
    }

    proptest::proptest! {
        #[test]
        fn one_edit_is_osa_distance_one(a in "[0-9X]{0,6}", b in "[0-9X]{0,6}") {
            proptest::prop_assert_eq!(
                one_edit(a.as_bytes(), b.as_bytes()),
                strsim::osa_distance(&a, &b) == 1
            );
        }
    }

    #[test]
    fn birth_dates_one_typo_apart() {
        let d = |s: &str| crate::ledger::decode::parse_date(s).expect("date");
        assert!(birth_near(d("1950-03-12"), d("1950-03-21")));
        assert!(birth_near(d("1950-03-12"), d("1950-08-12")));
        assert!(!birth_near(d("1950-03-12"), d("1951-04-12")));
        assert!(!birth_near(d("1950-03-12"), d("1950-03-12")));
        for s in [
            "1900-02-28",
            "1970-01-01",
            "2000-02-29",
            "1969-12-31",
            "2024-12-31",
        ] {
            let want: Vec<u8> = s
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| b - b'0')
                .collect();
            assert_eq!(digits8(d(s)).to_vec(), want, "{s}");
        }
    }
}
