//! Entitlement periods (`YYYY`, `YYYY-MM`, `YYYY-Qn`) and scheme frequencies.
//!
//! A scheme's frequency says how often one payee may be paid. A ledger's period may be finer or coarser than
//! that frequency, so rules compare payments inside a *bucket*: the period coarsened to the frequency, with the
//! number of payments the bucket allows (a yearly period of a monthly scheme allows 12).

use serde::{Deserialize, Serialize};
use std::fmt;

/// How often one payee may be paid by a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Yearly => "yearly",
        }
    }
}

/// The granularity of a period text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Year(u16),
    Quarter(u16, u8),
    Month(u16, u8),
}

impl Period {
    /// Parses `YYYY`, `YYYY-MM`, `YYYYMM`, `YYYY-Qn` (case-insensitive `q`). Years 1900..=2200.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().as_bytes();
        let year = |b: &[u8]| -> Option<u16> {
            if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let y = b.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
            (1900..=2200).contains(&y).then_some(y)
        };
        let two = |b: &[u8]| -> Option<u8> {
            (b.len() == 2 && b.iter().all(u8::is_ascii_digit))
                .then(|| (b[0] - b'0') * 10 + (b[1] - b'0'))
        };
        match t.len() {
            4 => year(t).map(Period::Year),
            6 => {
                let y = year(&t[..4])?;
                let m = two(&t[4..])?;
                (1..=12).contains(&m).then_some(Period::Month(y, m))
            }
            7 if t[4] == b'-' => {
                let y = year(&t[..4])?;
                if t[5] == b'Q' || t[5] == b'q' {
                    let q = t[6].wrapping_sub(b'0');
                    (1..=4).contains(&q).then_some(Period::Quarter(y, q))
                } else {
                    let m = two(&t[5..])?;
                    (1..=12).contains(&m).then_some(Period::Month(y, m))
                }
            }
            _ => None,
        }
    }

    /// A compact code unique per period: `year * 100` plus 0 (year), 20 + q (quarter) or the month.
    pub fn code(self) -> u32 {
        match self {
            Self::Year(y) => u32::from(y) * 100,
            Self::Quarter(y, q) => u32::from(y) * 100 + 20 + u32::from(q),
            Self::Month(y, m) => u32::from(y) * 100 + u32::from(m),
        }
    }

    pub fn from_code(code: u32) -> Option<Self> {
        let y = u16::try_from(code / 100).ok()?;
        match code % 100 {
            0 => Some(Self::Year(y)),
            m @ 1..=12 => Some(Self::Month(y, m as u8)),
            q @ 21..=24 => Some(Self::Quarter(y, (q - 20) as u8)),
            _ => None,
        }
    }

    /// The bucket this period falls in for a scheme of `frequency`, and how many payments it allows.
    /// Without a frequency the period itself is the bucket and allows one payment.
    pub fn bucket(self, frequency: Option<Frequency>) -> (Period, u8) {
        use Frequency::{Monthly, Quarterly, Yearly};
        match (frequency, self) {
            (None, p) => (p, 1),
            (Some(Monthly), Period::Month(..)) => (self, 1),
            (Some(Monthly), Period::Quarter(..)) => (self, 3),
            (Some(Monthly), Period::Year(_)) => (self, 12),
            (Some(Quarterly), Period::Month(y, m)) => (Period::Quarter(y, (m - 1) / 3 + 1), 1),
            (Some(Quarterly), Period::Quarter(..)) => (self, 1),
            (Some(Quarterly), Period::Year(_)) => (self, 4),
            (Some(Yearly), Period::Month(y, _) | Period::Quarter(y, _) | Period::Year(y)) => {
                (Period::Year(y), 1)
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Year(y) => write!(f, "{y:04}"),
            Self::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Self::Month(y, m) => write!(f, "{y:04}-{m:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Period::parse("2024"), Some(Period::Year(2024)));
        assert_eq!(Period::parse("2024-03"), Some(Period::Month(2024, 3)));
        assert_eq!(Period::parse("202403"), Some(Period::Month(2024, 3)));
        assert_eq!(Period::parse("2024-Q2"), Some(Period::Quarter(2024, 2)));
        assert_eq!(Period::parse("2024-q4"), Some(Period::Quarter(2024, 4)));
        for bad in [
            "2024-13", "2024-Q5", "24", "2024-00", "abcd", "", "2024-1", "1800",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_round_trip_and_display() {
        for p in [
            Period::Year(2023),
            Period::Quarter(2024, 3),
            Period::Month(2024, 11),
        ] {
            assert_eq!(Period::from_code(p.code()), Some(p));
            assert_eq!(Period::parse(&p.to_string()), Some(p));
        }
    }

    #[test]
    fn buckets_follow_the_frequency() {
        use Frequency::*;
        assert_eq!(
            Period::Month(2024, 5).bucket(Some(Quarterly)),
            (Period::Quarter(2024, 2), 1)
        );
        assert_eq!(
            Period::Year(2024).bucket(Some(Monthly)),
            (Period::Year(2024), 12)
        );
        assert_eq!(
            Period::Year(2024).bucket(Some(Quarterly)),
            (Period::Year(2024), 4)
        );
        assert_eq!(
            Period::Quarter(2024, 1).bucket(Some(Monthly)),
            (Period::Quarter(2024, 1), 3)
        );
        assert_eq!(
            Period::Month(2024, 12).bucket(Some(Yearly)),
            (Period::Year(2024), 1)
        );
        assert_eq!(
            Period::Month(2024, 12).bucket(None),
            (Period::Month(2024, 12), 1)
        );
    }
}
