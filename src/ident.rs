//! Identity numbers and bank cards: the GB 11643-1999 check character of the 18-character resident id,
//! the birth date it carries, the 15-digit legacy form and its conversion, full validation
//! ([`validate_id`]), the Luhn check digit of card numbers, and age on a date.

use chrono::{Datelike, NaiveDate};
use std::borrow::Cow;
use std::fmt;

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The check character (`0`-`9` or `X`) of the first 17 digits of a resident id; `None` when the input is not
/// 17 ASCII digits.
pub fn id_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(ID_CHECK[(sum % 11) as usize])
}

/// The birth date carried by an 18-character id (characters 7-14, `YYYYMMDD`), when it is a real date.
pub fn id_birth_date(id: &str) -> Option<NaiveDate> {
    let b = id.as_bytes();
    if b.len() != 18 || !b[6..14].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let year = i32::try_from(num(6..10)).ok()?;
    if !(1880..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, num(10..12), num(12..14))
}

/// Whether `id` is a well-formed 18-character resident id: 17 digits, the right check character (`x` accepted
/// for `X`) and a real birth date.
pub fn is_valid_id18(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 18 {
        return false;
    }
    let Some(check) = id_check_char(&b[..17]) else {
        return false;
    };
    b[17].to_ascii_uppercase() == check && id_birth_date(id).is_some()
}

/// The Luhn check digit (`0`-`9`) to append to `digits`; `None` when the input is empty or not all digits.
pub fn luhn_check_digit(digits: &[u8]) -> Option<u8> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 0 {
                let x = v * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                v
            }
        })
        .sum();
    Some(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// Whether a card number (all digits, at least 2) ends in its Luhn check digit.
pub fn is_luhn_valid(card: &str) -> bool {
    let b = card.as_bytes();
    b.len() >= 2 && luhn_check_digit(&b[..b.len() - 1]) == Some(b[b.len() - 1])
}

/// Age in whole years on `on` of someone born on `birth` (0 when `on` is before `birth`).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    u32::try_from(age).unwrap_or(0)
}

/// Province-level codes of GB/T 2260 (the first two digits of a resident id), with 71 (Taiwan), 81 (Hong
/// Kong), 82 (Macao) and 83 (residence permits of Taiwan residents).
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// Whether the first two characters of `id` are the digits of a province code (GB/T 2260).
pub fn has_province_prefix(id: &[u8]) -> bool {
    id.len() >= 2
        && id[..2].iter().all(u8::is_ascii_digit)
        && PROVINCES.contains(&((id[0] - b'0') * 10 + (id[1] - b'0')))
}

/// Oldest age (whole years on the payment date) that is still plausible.
pub const MAX_PLAUSIBLE_AGE: u32 = 120;

/// Why an identity number is not a valid resident id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdProblem {
    /// Neither 18 characters nor the 15-digit legacy form.
    Length,
    /// A character other than a digit (or a final `X`), after full-width digits are normalised.
    Characters,
    /// The 18th character is not the GB 11643-1999 check character of the first 17.
    CheckCharacter,
    /// Characters 7-14 (or 7-12 of the legacy form) are not a real date.
    BirthDate,
    /// The first two digits are not a province code.
    Region,
    /// The birth date is after the payment.
    BornAfterPayment,
    /// Older than [`MAX_PLAUSIBLE_AGE`] on the payment date.
    TooOld,
}

impl IdProblem {
    pub const ALL: [IdProblem; 7] = [
        Self::Length,
        Self::Characters,
        Self::CheckCharacter,
        Self::BirthDate,
        Self::Region,
        Self::BornAfterPayment,
        Self::TooOld,
    ];
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Option<Self> {
        Self::ALL.get(usize::from(c)).copied()
    }
    pub fn describe(self) -> &'static str {
        match self {
            Self::Length => "not 18 characters (nor the 15-digit legacy form)",
            Self::Characters => "holds characters other than digits and a final X",
            Self::CheckCharacter => "wrong check character (GB 11643-1999)",
            Self::BirthDate => "impossible birth date",
            Self::Region => "no such province code in its first two digits",
            Self::BornAfterPayment => "birth date after the payment",
            Self::TooOld => "older than 120 on the payment date",
        }
    }
}

impl IdProblem {
    /// The Chinese twin of [`IdProblem::describe`].
    pub fn describe_zh(self) -> &'static str {
        match self {
            Self::Length => "不是 18 位（也不是 15 位旧号码）",
            Self::Characters => "含有数字和末位 X 以外的字符",
            Self::CheckCharacter => "校验码错误（GB 11643-1999）",
            Self::BirthDate => "出生日期不存在",
            Self::Region => "前两位不是有效的省级代码",
            Self::BornAfterPayment => "出生日期晚于付款日期",
            Self::TooOld => "付款时已超过 120 岁",
        }
    }
}

impl fmt::Display for IdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// How an id was written before it was normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdForm {
    /// 18 ASCII characters, upper-case `X` if any.
    Standard,
    /// 18 characters with full-width digits, a lower-case `x` or inner spaces.
    Normalised,
    /// The 15-digit legacy form, converted (century `19` inserted, check character computed).
    Legacy15,
}

/// A valid resident id in its 18-character form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NormalisedId {
    id: [u8; 18],
    pub birth: NaiveDate,
    pub is_male: bool,
    pub form: IdForm,
}

impl NormalisedId {
    /// The 18 characters (ASCII digits and maybe a final `X`).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.id).unwrap_or("")
    }
}

/// Full-width digits and `Ｘ`/`ｘ` to ASCII; spaces (ASCII, ideographic) dropped; `None` for any other
/// non-ASCII character. At most 20 bytes kept (longer is a length problem anyway).
fn ascii_form(raw: &str, buf: &mut [u8; 20]) -> Result<usize, IdProblem> {
    let mut n = 0;
    for c in raw.chars() {
        let b = match c {
            '0'..='9' | 'X' | 'x' => c as u8,
            '０'..='９' => b'0' + (c as u32 - '０' as u32) as u8,
            'Ｘ' | 'ｘ' => b'X',
            ' ' | '\u{3000}' => continue,
            c if c.is_ascii() => c as u8,
            _ => return Err(IdProblem::Characters),
        };
        if n == buf.len() {
            return Err(IdProblem::Length);
        }
        buf[n] = b;
        n += 1;
    }
    Ok(n)
}

fn digits(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'))
}

/// Validates a resident id as GB 11643-1999 says: 18 characters (17 digits and a check character, `x` read
/// as `X`), full-width digits normalised first; the 15-digit legacy form (GB 11643-1989) is converted by
/// inserting the century `19` and computing the check character. The birth date must be a real date from 1880
/// on and the first two digits a province code. Checks that need the payment date are in [`check_age`].
pub fn validate_id(raw: &str) -> Result<NormalisedId, IdProblem> {
    let raw = raw.trim();
    let mut buf = [0u8; 20];
    let (n, mut form) = if raw.len() == 18 && raw.is_ascii() && !raw.ends_with('x') {
        buf[..18].copy_from_slice(raw.as_bytes());
        (18, IdForm::Standard)
    } else {
        (ascii_form(raw, &mut buf)?, IdForm::Normalised)
    };
    let mut id = [0u8; 18];
    match n {
        18 => {
            if !buf[..17].iter().all(u8::is_ascii_digit) {
                return Err(IdProblem::Characters);
            }
            let last = buf[17].to_ascii_uppercase();
            if !(last.is_ascii_digit() || last == b'X') {
                return Err(IdProblem::Characters);
            }
            id[..17].copy_from_slice(&buf[..17]);
            id[17] = last;
        }
        15 => {
            if !buf[..15].iter().all(u8::is_ascii_digit) {
                return Err(IdProblem::Characters);
            }
            id[..6].copy_from_slice(&buf[..6]);
            id[6..8].copy_from_slice(b"19");
            id[8..17].copy_from_slice(&buf[6..15]);
            form = IdForm::Legacy15;
        }
        _ => return Err(IdProblem::Length),
    }
    let check = id_check_char(&id[..17]).ok_or(IdProblem::Characters)?;
    if form == IdForm::Legacy15 {
        id[17] = check;
    } else if id[17] != check {
        return Err(IdProblem::CheckCharacter);
    }
    let year = digits(&id[6..10]);
    let birth = NaiveDate::from_ymd_opt(year as i32, digits(&id[10..12]), digits(&id[12..14]))
        .filter(|_| year >= 1880)
        .ok_or(IdProblem::BirthDate)?;
    if !PROVINCES.contains(&(digits(&id[..2]) as u8)) {
        return Err(IdProblem::Region);
    }
    Ok(NormalisedId {
        id,
        birth,
        is_male: (id[16] - b'0') % 2 == 1,
        form,
    })
}

/// How payee ids are keyed: as GB 11643 resident ids (the default: every form of one person's id is one key) or
/// as written (`[locale] id_scheme = "none"`: trimmed text, nothing converted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IdScheme {
    #[default]
    Gb11643,
    None,
}

impl IdScheme {
    /// Whether birth dates are read from ids (only resident ids carry one).
    pub fn reads_birth_dates(self) -> bool {
        self == Self::Gb11643
    }
    /// The config's name of the scheme (`[locale] id_scheme`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gb11643 => "gb11643",
            Self::None => "none",
        }
    }
    /// The key text of an id under this scheme: [`canonical_id`], or the trimmed text.
    #[inline]
    pub fn key(self, raw: &str) -> Cow<'_, str> {
        match self {
            Self::Gb11643 => canonical_id(raw),
            Self::None => Cow::Borrowed(raw.trim()),
        }
    }
}

/// Whether `t` is already in the form [`canonical_id`] keeps as it is: 18 ASCII characters, 17 digits and a
/// digit or upper-case `X` (whether or not the check character is right: a wrong one stays as written).
#[inline]
pub fn is_plain_id18(t: &[u8]) -> bool {
    t.len() == 18
        && t[..17].iter().all(u8::is_ascii_digit)
        && (t[17].is_ascii_digit() || t[17] == b'X')
}

/// One key per person: a valid resident id in any of its forms (`x` or `X`, full-width digits, inner spaces,
/// the 15-digit legacy form) becomes its 18-character form; anything else (an invalid id, a non-id such as
/// `AAA1`) is the trimmed text as written. Borrowed, with no work beyond a scan of the bytes, for ids already
/// in the plain 18-character form and for ASCII text that cannot be an id in another form.
pub fn canonical_id(raw: &str) -> Cow<'_, str> {
    let t = raw.trim();
    let b = t.as_bytes();
    if is_plain_id18(b) {
        return Cow::Borrowed(t);
    }
    // only a lower-case x, a 15-character form, a space inside or a non-ASCII character can change, and only
    // in a text of 15 bytes (the legacy form) to 80 (full-width characters take 3 bytes, spaces add some)
    let may_change = (15..=80).contains(&b.len())
        && (b.len() == 15 || !t.is_ascii() || b.iter().any(|&c| c == b'x' || c == b' '));
    if !may_change {
        return Cow::Borrowed(t);
    }
    match validate_id(t) {
        Ok(n) if n.as_str() != t => Cow::Owned(n.as_str().to_string()),
        _ => Cow::Borrowed(t),
    }
}

/// The problem of a birth date on a payment date: born after it, or older than [`MAX_PLAUSIBLE_AGE`].
pub fn check_age(birth: NaiveDate, paid: NaiveDate) -> Option<IdProblem> {
    if birth > paid {
        Some(IdProblem::BornAfterPayment)
    } else if age_on(birth, paid) > MAX_PLAUSIBLE_AGE {
        Some(IdProblem::TooOld)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_check_character() {
        assert_eq!(id_check_char(b"11010519491231002"), Some(b'X'));
        assert!(is_valid_id18("11010519491231002X"));
        assert!(is_valid_id18("11010519491231002x"));
        assert!(is_valid_id18("440524188001010014"));
        assert!(!is_valid_id18("110105194912310021"));
        assert!(!is_valid_id18("11010519491231002"));
        assert!(!is_valid_id18("1101051949123100AX"));
        assert_eq!(id_check_char(b"1101051949123100"), None);
    }

    #[test]
    fn impossible_birth_dates_are_invalid() {
        let first = b"11010519450230001";
        let c = id_check_char(first).expect("digits");
        let mut id = String::from_utf8(first.to_vec()).expect("ascii");
        id.push(c as char);
        assert!(!is_valid_id18(&id));
        assert_eq!(id_birth_date(&id), None);
        assert_eq!(
            id_birth_date("11010519491231002X"),
            NaiveDate::from_ymd_opt(1949, 12, 31)
        );
    }

    #[test]
    fn luhn() {
        assert_eq!(luhn_check_digit(b"7992739871"), Some(b'3'));
        assert!(is_luhn_valid("79927398713"));
        assert!(!is_luhn_valid("79927398710"));
        assert!(is_luhn_valid("4111111111111111"));
        assert!(!is_luhn_valid("4111111111111112"));
        assert!(!is_luhn_valid("41111a1111111111"));
        assert_eq!(luhn_check_digit(b""), None);
    }

    #[test]
    fn ages() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        assert_eq!(age_on(d(1944, 3, 15), d(2024, 3, 14)), 79);
        assert_eq!(age_on(d(1944, 3, 15), d(2024, 3, 15)), 80);
        assert_eq!(age_on(d(1944, 2, 29), d(2024, 2, 28)), 79);
        assert_eq!(age_on(d(2000, 1, 1), d(1999, 1, 1)), 0);
    }

    fn with_check(first17: &str) -> String {
        let c = id_check_char(first17.as_bytes()).expect("17 digits");
        format!("{first17}{}", c as char)
    }

    #[test]
    fn validate_id_vectors() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        // a man (odd 17th digit) and a woman (even), standard form
        let man = validate_id("440524188001010014").expect("valid");
        assert!(man.is_male);
        assert_eq!(man.birth, d(1880, 1, 1));
        assert_eq!(man.form, IdForm::Standard);
        let woman = with_check("11010519491231002");
        assert!(woman.ends_with('X'));
        let w = validate_id(&woman).expect("valid");
        assert!(!w.is_male);
        assert_eq!(w.as_str(), "11010519491231002X");
        // lower-case x, surrounding spaces
        let w2 = validate_id(" 11010519491231002x ").expect("valid");
        assert_eq!(
            (w2.as_str(), w2.form),
            ("11010519491231002X", IdForm::Normalised)
        );
        // full-width digits and X
        let fw = validate_id("１１０１０５１９４９１２３１００２Ｘ").expect("valid");
        assert_eq!(fw.as_str(), "11010519491231002X");
        assert_eq!(fw.form, IdForm::Normalised);
        // 15-digit legacy form: 19 inserted, check character computed
        let old = validate_id("110105491231002").expect("valid");
        assert_eq!(old.as_str(), "11010519491231002X");
        assert_eq!(old.form, IdForm::Legacy15);
        assert!(!old.is_male);
        // each kind of invalid
        assert_eq!(validate_id("1101051949123100"), Err(IdProblem::Length));
        assert_eq!(validate_id(""), Err(IdProblem::Length));
        assert_eq!(validate_id("P01"), Err(IdProblem::Length));
        assert_eq!(
            validate_id("1101051949123100AX"),
            Err(IdProblem::Characters)
        );
        assert_eq!(
            validate_id("11010519491231002Y"),
            Err(IdProblem::Characters)
        );
        assert_eq!(
            validate_id("张三10519491231002X"),
            Err(IdProblem::Characters)
        );
        assert_eq!(
            validate_id("110105194912310021"),
            Err(IdProblem::CheckCharacter)
        );
        assert_eq!(
            validate_id(&with_check("11010519450230001")),
            Err(IdProblem::BirthDate)
        );
        assert_eq!(
            validate_id(&with_check("11010519451301001")),
            Err(IdProblem::BirthDate)
        );
        assert_eq!(
            validate_id(&with_check("11010518700101001")),
            Err(IdProblem::BirthDate)
        );
        assert_eq!(validate_id("110105450230001"), Err(IdProblem::BirthDate));
        assert_eq!(
            validate_id(&with_check("99010519491231001")),
            Err(IdProblem::Region)
        );
        assert_eq!(
            validate_id(&with_check("00010519491231001")),
            Err(IdProblem::Region)
        );
        // problems that need the payment date
        let paid = d(2024, 5, 10);
        assert_eq!(
            check_age(d(2025, 1, 1), paid),
            Some(IdProblem::BornAfterPayment)
        );
        assert_eq!(check_age(d(1900, 1, 1), paid), Some(IdProblem::TooOld));
        assert_eq!(check_age(d(1904, 5, 10), paid), None);
        assert_eq!(check_age(d(1944, 3, 15), paid), None);
        for p in IdProblem::ALL {
            assert_eq!(IdProblem::from_code(p.code()), Some(p));
        }
    }

    #[test]
    fn canonical_ids_are_one_key_per_person() {
        let k = "110101196205035536";
        assert!(matches!(canonical_id(k), Cow::Borrowed(_)));
        assert_eq!(canonical_id("110101620503553"), k);
        assert_eq!(canonical_id(" 110101196205035536 "), k);
        assert_eq!(canonical_id("１１０１０１１９６２０５０３５５３６"), k);
        assert_eq!(canonical_id("110101 19620503 5536"), k);
        assert_eq!(canonical_id("11010519491231002x"), "11010519491231002X");
        assert_eq!(
            canonical_id("１１０１０５４９１２３１００２"),
            "11010519491231002X"
        );
        // not ids, or invalid ids: as written (trimmed)
        assert_eq!(canonical_id(" AAA1 "), "AAA1");
        assert_eq!(canonical_id("110105194912310021"), "110105194912310021");
        assert_eq!(canonical_id("110105450230001"), "110105450230001");
        assert_eq!(canonical_id("张三"), "张三");
        assert_eq!(canonical_id(""), "");
        assert_eq!(IdScheme::None.key(" 110101620503553 "), "110101620503553");
        assert_eq!(IdScheme::Gb11643.key("110101620503553"), k);
    }

    proptest::proptest! {
        #[test]
        fn every_valid_id_survives_its_forms(days in 0i64..50_000, seq in 0u32..1000, prov in 0usize..35) {
            let birth = NaiveDate::from_ymd_opt(1890, 1, 1).expect("date") + chrono::Duration::days(days);
            let first17 = format!("{:02}0105{}{seq:03}", PROVINCES[prov], birth.format("%Y%m%d"));
            let id = with_check(&first17);
            let v = validate_id(&id).expect("valid");
            proptest::prop_assert_eq!(v.as_str(), id.as_str());
            proptest::prop_assert_eq!(v.birth, birth);
            let fw: String = id.chars().map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c) } else { c }).collect();
            proptest::prop_assert_eq!(validate_id(&fw).map(|x| x.as_str().to_string()), Ok(id.clone()));
            // one digit changed: the check character catches it
            let mut b = id.clone().into_bytes();
            b[9] = if b[9] == b'9' { b'0' } else { b[9] + 1 };
            let changed = String::from_utf8(b).expect("ascii");
            proptest::prop_assert!(validate_id(&changed).is_err());
        }
    }
}
