//! GHO005 malformed-account: payments into an account number that cannot be a real card or account.

use crate::finding::{Finding, Severity, SubjectKind};
use crate::ident::is_luhn_valid;
use crate::ledger::batch::{Batch, RowRef};
use crate::ledger::column::Col;
use crate::ledger::payees::Memo;
use crate::rules::keyed::Flagged;
use crate::rules::render::{all_same, by_pay_date};
use crate::rules::render::{payments, payments_zh};
use crate::rules::{
    erase, rows_of, Draft, DynRule, Evidence, ParamSpec, ParamValue, Params, Rule, RuleEnv,
    RuleMeta,
};
use crate::text::{list, list_zh};

pub static META: RuleMeta = RuleMeta {
    code: "GHO005",
    name: "malformed-account",
    summary: "Payments into an account number with an impossible length or characters, or a card failing Luhn",
    doc: "\
What it flags
  An account that received PAID payments whose number (spaces and hyphens ignored) is not all digits, has
  fewer than `min_length` (default 12) or more than `max_length` (default 19) digits, or, when it is 16 to
  19 digits long (a bank card, 银联卡), fails the Luhn check digit (`check_luhn`, default true). Low
  severity, nothing put at risk: it says the number cannot be a real card, not that money was taken.
  One finding per account.

Why it matters
  Money sent to a number that cannot exist bounces, or is booked to a suspense account that someone
  clears by hand; a ledger that carries such numbers was typed after the fact, or hides where the money
  really went.

Example
  account 6228480012345670 (Luhn check digit should be 8) received 2 payments (236.00 yuan) from
  2024-04-05 to 2024-06-05 for 张三 (520102196510150027).

False positives
  Passbook accounts (存折) and company accounts of other lengths: widen `min_length`/`max_length`, set
  `check_luhn = false`, or turn the rule off with `--ignore GHO005`.",
    severity: Severity::Low,
    columns: &[Col::Account],
    optional_columns: &[Col::Status],
    references: &[],
    params: &[
        ParamSpec {
            name: "min_length",
            default: ParamValue::Int(12),
            doc: "fewest digits an account number may have",
        },
        ParamSpec {
            name: "max_length",
            default: ParamValue::Int(19),
            doc: "most digits an account number may have",
        },
        ParamSpec {
            name: "check_luhn",
            default: ParamValue::Bool(true),
            doc: "check the Luhn digit of 16- to 19-digit numbers (bank cards)",
        },
    ],
};

pub fn build(p: &Params, env: &RuleEnv) -> Box<dyn DynRule> {
    erase(
        &META,
        MalformedAccount {
            cur: env.batch.locale.currency.clone(),
            min: p.int("min_length").clamp(1, 64) as usize,
            max: p.int("max_length").clamp(1, 64) as usize,
            luhn: p.flag("check_luhn"),
        },
    )
}

pub struct MalformedAccount {
    cur: crate::locale::Currency,
    min: usize,
    max: usize,
    luhn: bool,
}

const CHARS: u8 = 0;
const LENGTH: u8 = 1;
const LUHN: u8 = 2;

impl MalformedAccount {
    /// What is wrong with an account number, if anything.
    pub fn problem(&self, account: &str) -> Option<u8> {
        let mut buf = [0u8; 64];
        let mut n = 0;
        for &c in account.trim().as_bytes() {
            match c {
                b' ' | b'-' => {}
                b'0'..=b'9' => {
                    if n == buf.len() {
                        return Some(LENGTH);
                    }
                    buf[n] = c;
                    n += 1;
                }
                _ => return Some(CHARS),
            }
        }
        if n < self.min || n > self.max {
            return Some(LENGTH);
        }
        let digits = std::str::from_utf8(&buf[..n]).unwrap_or("");
        (self.luhn && (16..=19).contains(&n) && !is_luhn_valid(digits)).then_some(LUHN)
    }
}

impl Rule for MalformedAccount {
    /// (account hash, problem, row); memo: the problem of the payee's account
    type State = Flagged<(u64, u8, RowRef), Memo<Option<u8>>>;
    const PAYEE_NUMBERS: bool = true;

    fn update(&self, st: &mut Self::State, b: &Batch) {
        let acct = b.hashes(Col::Account);
        st.memo.fit(b.payees_numbered);
        for i in b.rows() {
            // no account (a cash payment, a blank cell) is no malformed number
            if !b.is_paid(i) || acct[i] == crate::ledger::batch::NO_HASH {
                continue;
            }
            // a payee keeps its card: the check runs once per payee and account
            let problem = st.memo.get(b.payee_no(i), acct[i], || {
                self.problem(b.text(Col::Account, i).unwrap_or(""))
            });
            if let Some(p) = problem {
                st.found.push((acct[i], p, b.row_ref(i)));
            }
        }
    }

    fn merge(&self, into: &mut Self::State, from: Self::State) {
        into.append(from);
    }

    fn finish(&self, st: Self::State) -> Vec<Draft> {
        st.found
            .finish(|run| Some(super::draft_with_first_fact(run)))
    }

    fn render(&self, d: &Draft, ev: &Evidence) -> Option<Finding> {
        let mut rows = rows_of(d, ev);
        if rows.is_empty() || !all_same(&rows, |r| &r.account) {
            return None;
        }
        by_pay_date(&mut rows);
        let account = rows[0].account.clone();
        let digits: String = account.chars().filter(char::is_ascii_digit).collect();
        let why = match u8::try_from(*d.facts.first()?).unwrap_or(CHARS) {
            LENGTH => format!(
                "{} digits, where an account has {} to {}",
                digits.len(),
                self.min,
                self.max
            ),
            LUHN => {
                let want = crate::ident::luhn_check_digit(&digits.as_bytes()[..digits.len() - 1])
                    .map_or('?', char::from);
                format!("Luhn check digit should be {want}")
            }
            _ => "characters other than digits".to_string(),
        };
        let why_zh = match u8::try_from(*d.facts.first()?).unwrap_or(CHARS) {
            LENGTH => format!(
                "{} 位数字，账号应为 {} 至 {} 位",
                digits.len(),
                self.min,
                self.max
            ),
            LUHN => {
                let want = crate::ident::luhn_check_digit(&digits.as_bytes()[..digits.len() - 1])
                    .map_or('?', char::from);
                format!("Luhn 校验位应为 {want}")
            }
            _ => "含有数字以外的字符".to_string(),
        };
        let mut payees_zh: Vec<String> = rows
            .iter()
            .map(|r| format!("{}（{}）", r.payee_name, r.payee_id))
            .collect();
        payees_zh.sort();
        payees_zh.dedup();
        let mut payees: Vec<String> = rows
            .iter()
            .map(|r| format!("{} ({})", r.payee_name, r.payee_id))
            .collect();
        payees.sort();
        payees.dedup();
        let explanation = format!(
            "account {account} ({why}) received {} for {}",
            payments(&rows, &self.cur),
            list(&payees, 4)
        );
        let zh = format!(
            "账户 {account}（{why_zh}）收到 {}，领取人：{}",
            payments_zh(&rows, &self.cur),
            list_zh(&payees_zh, 4)
        );
        Some(
            Finding::new(
                &META,
                META.severity,
                SubjectKind::Account,
                account,
                &rows,
                &[],
                explanation,
            )
            .with_zh(zh),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_problems() {
        let r = MalformedAccount {
            cur: crate::locale::Currency::default(),
            min: 12,
            max: 19,
            luhn: true,
        };
        assert_eq!(r.problem("4111111111111111"), None);
        assert_eq!(r.problem("4111 1111 1111 1111"), None);
        assert_eq!(r.problem("4111111111111112"), Some(LUHN));
        assert_eq!(r.problem("123456789012"), None);
        assert_eq!(r.problem("12345"), Some(LENGTH));
        assert_eq!(r.problem("12345678901234567890"), Some(LENGTH));
        assert_eq!(r.problem("A01"), Some(CHARS));
        assert_eq!(r.problem(""), Some(LENGTH));
        let off = MalformedAccount { luhn: false, ..r };
        assert_eq!(off.problem("4111111111111112"), None);
    }
}
