//! The amount family (`AMT`): payments against the scheme rules (skims, inflations, over the ceiling),
//! payments split to dodge a second approval, invented round sums, and officers whose payments gather on a few
//! accounts.

pub mod entitlement;
pub mod officer_concentration;
pub mod round_sum;
pub mod split_payment;

use crate::ledger::batch::{Batch, BatchContext, NO_DATE};
use crate::ledger::column::Col;
use crate::ledger::decode::date_from_days;
use crate::scheme::Scheme;
use chrono::Datelike;

/// Computes the due amount of batch rows, caching the last pay date's calendar date.
pub(crate) struct DueCalc<'a> {
    ctx: &'a BatchContext,
    last_day: i32,
    ymd: Option<(i32, u32, u32)>,
}

impl<'a> DueCalc<'a> {
    pub fn new(ctx: &'a BatchContext) -> Self {
        Self {
            ctx,
            last_day: i32::MIN,
            ymd: None,
        }
    }

    /// The scheme of row `i`, when the config describes it.
    #[inline]
    pub fn scheme(&self, b: &Batch, i: usize) -> Option<&'a Scheme> {
        b.scheme.get(i).and_then(|s| self.ctx.scheme(*s))
    }

    /// The amount due on row `i` (rate x quantity, the fixed amount, or the age band on the pay date from the
    /// birth date in the payee id); `None` when the rules cannot say.
    pub fn due(&mut self, b: &Batch, i: usize, s: &Scheme) -> Option<i64> {
        let needs_age = s.rate_micro.is_none() && s.amount_fen.is_none() && !s.bands.is_empty();
        let q = if s.rate_micro.is_some() {
            Some(b.quantity(i)?)
        } else {
            None
        };
        let age = if needs_age { self.age(b, i) } else { None };
        s.due_fen(q, age)
    }

    fn age(&mut self, b: &Batch, i: usize) -> Option<u32> {
        let day = b.pay_date(i)?;
        if day != self.last_day {
            self.last_day = day;
            self.ymd = date_from_days(day).map(|d| (d.year(), d.month(), d.day()));
        }
        let (py, pm, pd) = self.ymd?;
        let (by, bm, bd) = if self.ctx.locale.id_scheme.reads_birth_dates() {
            birth_of_id(b.text(Col::PayeeId, i)?)?
        } else {
            // `[locale] id_scheme = "none"`: the birth_date column
            let d = date_from_days(*b.birth_date.get(i).filter(|d| **d != NO_DATE)?)?;
            (d.year(), d.month(), d.day())
        };
        let mut age = py - by;
        if (pm, pd) < (bm, bd) {
            age -= 1;
        }
        u32::try_from(age).ok()
    }
}

/// The birth date (year, month, day) carried by an 18-character resident id, when it is a real date.
#[inline]
pub(crate) fn birth_of_id(id: &str) -> Option<(i32, u32, u32)> {
    let b = id.trim().as_bytes();
    if b.len() != 18 || !b[6..14].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let (y, m, d) = (num(6..10), num(10..12), num(12..14));
    if !(1880..=2100).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = i32::try_from(y).ok()?;
    if d > 28 && chrono::NaiveDate::from_ymd_opt(y, m, d).is_none() {
        return None;
    }
    Some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::{age_on, id_birth_date};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn birth_of_id_agrees_with_ident(y in 1870u32..2110, m in 0u32..14, d in 0u32..33, on in 0i32..30_000) {
            let id = format!("520102{y:04}{m:02}{d:02}0011");
            let fast = birth_of_id(&id);
            let slow = id_birth_date(&id);
            prop_assert_eq!(fast, slow.map(|x| (x.year(), x.month(), x.day())));
            if let (Some(b), Some(when)) = (slow, date_from_days(on)) {
                let (by, bm, bd) = fast.expect("same");
                let mut age = when.year() - by;
                if (when.month(), when.day()) < (bm, bd) { age -= 1; }
                if age >= 0 {
                    prop_assert_eq!(u32::try_from(age).expect("age"), age_on(b, when));
                }
            }
        }
    }
}
