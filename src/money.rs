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
