//! GHO001 invalid-identity-number: payments to a payee_id that is not a valid resident id (GB 11643-1999).

use crate::finding::{Finding, Severity, SubjectKind};
use crate::ident::{id_check_char, validate_id, IdProblem, MAX_PLAUSIBLE_AGE};
use crate::ledger::batch::{Batch, RowRef};
use crate::ledger::column::Col;
use crate::ledger::decode::days_from_date;
use crate::ledger::payees::Facts;
use crate::rules::keyed::Flagged;
use crate::rules::render::{all_same, by_pay_date};
use crate::rules::render::{payments, payments_zh};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::text::{list, list_zh};

pub static META: RuleMeta = RuleMeta {
    code: "GHO001",
    name: "invalid-identity-number",
    summary: "Payments to a payee_id that is not a valid resident id (GB 11643-1999)",
    doc: "\
What it flags
  A payee whose payee_id, after full-width digits and a lower-case x are normalised, is not a valid
  18-character resident id: not 18 characters, characters other than 17 digits and a check character,
  a wrong check character (ISO 7064 MOD 11-2, as GB 11643-1999 computes it), an impossible birth date
  (2023-02-30, month 13, before 1880), a first two digits that are no province code, or a birth date
  after the payment or more than 120 years before it (those two need pay_date). The 15-digit legacy form
  is converted as the standard says (century 19 inserted, check character computed) and accepted when
  its date and province are real. One finding per payee; at risk: every PAID payment to it.

Why it matters
  A resident id with a wrong checksum or an impossible date cannot belong to a real person: the payee was
  invented (a ghost), or the id was mistyped so that no cross-check (registry, deaths, duplicates) can
  match it, which is how ghosts hide.

Example
  11010519491231002Y paid 6 ELDERLY payments (600.00 yuan) from 2024-07-05 to 2024-12-05: wrong check
  character (GB 11643-1999; the first 17 digits give X).

False positives
  Foreigners' permanent residence ids and other documents held in payee_id; ids masked for privacy
  (`110105********0021`). Set `check_region = false` for ledgers with historical region codes, give
  those payees their resident id, or `--ignore GHO001`.",
    severity: Severity::High,
    columns: &[Col::PayeeId],
    optional_columns: &[Col::PayDate, Col::Status],
    references: &[],
    params: &[ParamSpec {
        name: "check_region",
        default: ParamValue::Bool(true),
        doc: "flag ids whose first two digits are no province code",
    }],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        InvalidId {
            cur: env.batch.locale.currency.clone(),
            check_region: p.flag("check_region"),
        },
    )
}

pub struct InvalidId {
    cur: crate::locale::Currency,
    check_region: bool,
}

/// Whole days of 120 years and one, beyond which an exact age is computed.
const OLD_DAYS: i32 = (MAX_PLAUSIBLE_AGE as i32) * 365;

/// The id's problem on a payment made on day `paid` (`None` when the id is valid then).
pub fn problem(id: &str, paid: Option<i32>, check_region: bool) -> Option<IdProblem> {
    match validate_id(id) {
        Err(IdProblem::Region) if !check_region => None,
        Err(p) => Some(p),
        Ok(n) => {
            let paid = paid?;
            let born = days_from_date(n.birth);
            if born > paid || paid - born > OLD_DAYS {
                let on = crate::ledger::decode::date_from_days(paid)?;
                crate::ident::check_age(n.birth, on)
            } else {
                None
            }
        }
    }
}

/// What an id says whatever the payment date (remembered per payee).
#[derive(Debug, Clone, Copy)]
pub enum Verdict {
    Bad(IdProblem),
    Fine,
    /// Valid, born on this day: the payment date decides (born after it, or over 120 on it).
    Born(i32),
}

fn verdict(id: &str, check_region: bool) -> Verdict {
    match validate_id(id) {
        Err(IdProblem::Region) if !check_region => Verdict::Fine,
        Err(p) => Verdict::Bad(p),
        Ok(n) => Verdict::Born(days_from_date(n.birth)),
    }
}

impl Rule for InvalidId {
    /// (payee hash, problem code, row); memo: the id's [`Verdict`]
    type State = Flagged<(u64, u8, RowRef), Facts<Verdict>>;
    const PAYEE_NUMBERS: bool = true;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        let payee = b.hashes(Col::PayeeId);
        st.memo.fit(b.payees_numbered);
        for i in b.rows() {
            if !b.is_paid(i) {
                continue;
            }
            let id = || b.text(Col::PayeeId, i).unwrap_or("");
            let found = match st
                .memo
                .get(b.payee_no(i), || verdict(id(), self.check_region))
            {
                Verdict::Bad(p) => Some(p),
                Verdict::Fine => None,
                Verdict::Born(born) => {
                    // unknown for an undated payment: only the checks that need no date apply
                    let paid = b.pay_date(i);
                    // the same test as `problem`, which decides the rare payment it may concern
                    match paid {
                        Some(paid) if born > paid || paid - born > OLD_DAYS => {
                            problem(id(), Some(paid), self.check_region)
                        }
                        _ => None,
                    }
                }
            };
            if let Some(p) = found {
                st.found.push((payee[i], p.code(), b.row_ref(i)));
            }
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.append(from);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        st.found.finish(|run| {
            let mut rows: Vec<RowRef> = run.iter().map(|e| e.2).collect();
            rows.sort_unstable();
            let mut codes: Vec<i64> = run.iter().map(|e| i64::from(e.1)).collect();
            codes.sort_unstable();
            codes.dedup();
            Some(Draft {
                evidence: rows,
                facts: codes,
            })
        })
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.payee_id) {
            return None;
        }
        by_pay_date(&mut rows);
        let first = rows[0];
        let mut why: Vec<String> = d
            .facts
            .iter()
            .filter_map(|c| IdProblem::from_code(u8::try_from(*c).ok()?))
            .map(|p| match p {
                IdProblem::CheckCharacter => {
                    let b = first.payee_id.as_bytes();
                    let want = b
                        .get(..17)
                        .and_then(id_check_char)
                        .map_or(String::new(), |c| {
                            format!("; the first 17 digits give {}", c as char)
                        });
                    format!("{p}{want}")
                }
                _ => p.to_string(),
            })
            .collect();
        why.dedup();
        let names = crate::text::distinct_sorted(rows.iter().map(|r| r.payee_name.as_str()));
        let explanation = format!(
            "payee_id {} ({}) is not a valid resident id: {}; paid {}",
            first.payee_id,
            list(&names, 3),
            why.join("; "),
            payments(&rows, &self.cur)
        );
        let mut why_zh: Vec<String> = d
            .facts
            .iter()
            .filter_map(|c| IdProblem::from_code(u8::try_from(*c).ok()?))
            .map(|p| match p {
                IdProblem::CheckCharacter => {
                    let b = first.payee_id.as_bytes();
                    let want = b
                        .get(..17)
                        .and_then(id_check_char)
                        .map_or(String::new(), |c| format!("，按前 17 位应为 {}", c as char));
                    format!("{}{want}", p.describe_zh())
                }
                _ => p.describe_zh().to_string(),
            })
            .collect();
        why_zh.dedup();
        let zh = format!(
            "领取人证件号 {}（{}）不是有效的居民身份证号：{}；获发 {}",
            first.payee_id,
            list_zh(&names, 3),
            why_zh.join("；"),
            payments_zh(&rows, &self.cur)
        );
        let risk: Vec<i64> = rows.iter().map(|r| r.amount_fen).collect();
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Payee,
                first.payee_id.clone(),
                &rows,
                &risk,
                explanation,
            )
            .with_zh(zh),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::decode::parse_date;

    #[test]
    fn problems_on_a_payment_date() {
        let paid = parse_date("2024-05-10");
        assert_eq!(problem("11010519491231002X", paid, true), None);
        assert_eq!(problem("11010519491231002X", None, true), None);
        assert_eq!(
            problem("110105194912310021", paid, true),
            Some(IdProblem::CheckCharacter)
        );
        // born 1900-01-01: 124 on the payment
        let c = id_check_char(b"11010519000101001").expect("digits");
        let old = format!("11010519000101001{}", c as char);
        assert_eq!(problem(&old, paid, true), Some(IdProblem::TooOld));
        assert_eq!(problem(&old, parse_date("2019-12-31"), true), None);
        let c = id_check_char(b"11010520250101001").expect("digits");
        let unborn = format!("11010520250101001{}", c as char);
        assert_eq!(
            problem(&unborn, paid, true),
            Some(IdProblem::BornAfterPayment)
        );
        let c = id_check_char(b"99010519491231001").expect("digits");
        let region = format!("99010519491231001{}", c as char);
        assert_eq!(problem(&region, paid, true), Some(IdProblem::Region));
        assert_eq!(problem(&region, paid, false), None);
    }
}
