//! Exact money: integer fen (1 yuan = 100 fen), never floats.
//!
//! Config files write yuan as TOML numbers (`118.00`) or strings (`"118.00"`); both are read through their
//! shortest decimal text, so `0.1` is exactly 10 fen and never 9.999… fen.

use std::fmt::Write as _;

/// Parse a decimal text (`"118"`, `"118.5"`, `"-0.01"`) into an integer count of `10^-scale` units.
/// Returns `None` when the text is not a plain decimal or has more than `scale` decimals.
pub fn parse_decimal(text: &str, scale: u32) -> Option<i64> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac_part) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > scale as usize {
        return None;
    }
    let mut v: i64 = 0;
    for b in int_part.bytes() {
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let mut frac = 0i64;
    for i in 0..scale as usize {
        let d = frac_trimmed
            .as_bytes()
            .get(i)
            .map_or(0, |b| i64::from(b - b'0'));
        frac = frac * 10 + d;
    }
    v = v
        .checked_mul(10i64.checked_pow(scale)?)?
        .checked_add(frac)?;
    Some(if neg { -v } else { v })
}

/// Parse an amount as finance systems export it as text into an integer count of `10^-scale` units, exactly.
///
/// Accepted: surrounding white space (full-width and no-break spaces included); a sign: leading `-` or `+`,
/// a trailing `-` (SAP) or accounting parentheses `(1,234.50)`; digits with optional `,` thousands separators
/// in groups of three (`1,234,567.5`); a `.` decimal point with any number of decimals, more than `scale`
/// rounded half away from zero (as decimal columns are); full-width digits, signs, points and commas (typed
/// with a Chinese input method) read as their ASCII forms. Refused (`None`): currency symbols or codes, a
/// decimal comma (`1.234,50`: ambiguous), exponents (`1e3`), misplaced separators (`12,34`), empty text, and
/// values beyond `i64`.
pub fn parse_amount_text(text: &str, scale: u32) -> Option<i64> {
    if !text.is_ascii() {
        let narrow: String = text
            .chars()
            .map(|c| match c {
                '\u{FF10}'..='\u{FF19}' | '\u{FF0B}'..='\u{FF0E}' | '\u{FF08}' | '\u{FF09}' => {
                    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                }
                _ => c,
            })
            .collect();
        if narrow.trim().is_ascii() {
            return parse_amount_ascii(&narrow, scale);
        }
        return None;
    }
    parse_amount_ascii(text, scale)
}

fn parse_amount_ascii(text: &str, scale: u32) -> Option<i64> {
    let t = text.trim();
    let (neg, t) = if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        (true, inner.trim())
    } else if let Some(rest) = t.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = t.strip_suffix('-') {
        (true, rest.trim_end())
    } else {
        (false, t.strip_prefix('+').unwrap_or(t))
    };
    let (int_part, frac_part) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // thousands separators: 1-3 digits, then groups of exactly three
    let mut groups = int_part.split(',');
    let first = groups.next().unwrap_or_default();
    let grouped = int_part.contains(',');
    if !first.bytes().all(|b| b.is_ascii_digit()) || (grouped && !(1..=3).contains(&first.len())) {
        return None;
    }
    let mut v: i64 = 0;
    let mut push = |digits: &str| -> Option<()> {
        for b in digits.bytes() {
            v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        }
        Some(())
    };
    push(first)?;
    for g in groups {
        if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        push(g)?;
    }
    let f = frac_part.as_bytes();
    for i in 0..scale as usize {
        let d = f.get(i).map_or(0, |b| i64::from(b - b'0'));
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    if f.get(scale as usize).is_some_and(|b| *b >= b'5') {
        v = v.checked_add(1)?;
    }
    Some(if neg { -v } else { v })
}

/// Yuan text to fen; `None` for non-decimals or more than 2 decimals.
pub fn parse_yuan(text: &str) -> Option<i64> {
    parse_decimal(text, 2)
}

/// Formats fen as yuan with two decimals: `123456` -> `"1234.56"`.
pub fn fmt_yuan(fen: i64) -> String {
    let mut s = String::new();
    if fen < 0 {
        s.push('-');
    }
    let a = fen.unsigned_abs();
    let _ = write!(s, "{}.{:02}", a / 100, a % 100);
    s
}

/// Divide with rounding half away from zero (the rounding of `round(x, 2)` in SQL engines on decimals).
pub fn div_round_half_away(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0);
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

/// A value in yuan read from TOML: a number or a decimal string, exactly as written.
pub fn toml_yuan(value: &toml::Value) -> Option<i64> {
    decimal_text(value).and_then(|t| parse_yuan(&t))
}

/// The shortest decimal text of a TOML number or string (`118.0` -> `"118"`, `"0.1"` -> `"0.1"`).
pub fn decimal_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) if f.is_finite() => Some(format!("{f}")),
        toml::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_exactly() {
        assert_eq!(parse_yuan("118.00"), Some(11800));
        assert_eq!(parse_yuan("0.1"), Some(10));
        assert_eq!(parse_yuan("-3.5"), Some(-350));
        assert_eq!(parse_yuan("12"), Some(1200));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("1.2300"), Some(123));
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(parse_yuan(""), None);
        assert_eq!(parse_yuan("."), None);
    }

    #[test]
    fn parses_amount_text_as_exported() {
        let fen = |s: &str| parse_amount_text(s, 2);
        assert_eq!(fen("12.50"), Some(1250));
        assert_eq!(fen("-3.1"), Some(-310));
        assert_eq!(fen(" 1,234.50 "), Some(123_450));
        assert_eq!(fen("1,234,567"), Some(123_456_700));
        assert_eq!(fen("\u{3000}88\u{a0}"), Some(8800));
        assert_eq!(fen("(1,234.50)"), Some(-123_450));
        assert_eq!(fen("123.45-"), Some(-12_345));
        assert_eq!(fen("+7"), Some(700));
        assert_eq!(fen(".5"), Some(50));
        assert_eq!(fen("5."), Some(500));
        assert_eq!(fen("0.125"), Some(13));
        assert_eq!(fen("-0.125"), Some(-13));
        assert_eq!(fen("0.1249"), Some(12));
        for bad in [
            "",
            " ",
            "-",
            ".",
            "abc",
            "1.234,50",
            "12,34",
            "1,2345",
            "1234,567",
            ",123",
            "1e3",
            "¥12.50",
            "£1,234.50",
            "12.5.0",
            "1 234",
            "--5",
            "(5",
            "0x10",
            "99999999999999999999",
        ] {
            assert_eq!(fen(bad), None, "{bad:?}");
        }
        assert_eq!(parse_amount_text("2.5", 4), Some(25_000));
        // full-width forms from a Chinese input method
        assert_eq!(fen("１，２００．５０"), Some(120_050));
        assert_eq!(fen("－３．１"), Some(-310));
        assert_eq!(fen("（４０．００）"), Some(-4000));
        assert_eq!(fen("１２，５"), None);
        assert_eq!(fen("一百"), None);
    }

    #[test]
    fn formats_yuan() {
        assert_eq!(fmt_yuan(123_456), "1234.56");
        assert_eq!(fmt_yuan(5), "0.05");
        assert_eq!(fmt_yuan(-250), "-2.50");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round_half_away(15, 10), 2);
        assert_eq!(div_round_half_away(14, 10), 1);
        assert_eq!(div_round_half_away(-15, 10), -2);
        assert_eq!(div_round_half_away(-14, 10), -1);
    }

    #[test]
    fn toml_floats_read_through_their_text() {
        assert_eq!(toml_yuan(&toml::Value::Float(0.1)), Some(10));
        assert_eq!(toml_yuan(&toml::Value::Float(118.0)), Some(11800));
        assert_eq!(toml_yuan(&toml::Value::Integer(7)), Some(700));
        assert_eq!(toml_yuan(&toml::Value::String("4.20".into())), Some(420));
    }
}
