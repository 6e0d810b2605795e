//! Identity numbers and bank cards: the GB 11643-1999 check character of the 18-character resident id,
//! the birth date it carries, the Luhn check digit of card numbers, and age on a date.

use chrono::{Datelike, NaiveDate};

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
}
