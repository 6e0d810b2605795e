//! Exhibits: what the rules measured besides their findings, for the workbook and the HTML case file: the digit
//! curves of every unit the digit rules met (counties, townships and the ledger whether tested or not, officers
//! only when tested: a province has tens of thousands too small to test), and the round-sum share of every
//! officer AMT003 tested, against the share expected of it.

use serde::Serialize;

/// One unit's digit curve: the observed counts per digit value against Benford's proportions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitCurve {
    /// The rule that tested it (`DIG001` first two digits, `DIG004` last two digits).
    pub rule: String,
    /// `first two digits` or `last two digits`.
    pub test: String,
    /// `county`, `township`, `officer` or `ledger`.
    pub level: String,
    /// The unit: a county or township code, an officer id, `all`.
    pub unit: String,
    /// The amounts tested.
    pub n: u64,
    /// The digit value of `observed[0]` (10 for first two digits, 0 for last two).
    pub first_digit: u32,
    /// Observed counts per digit value, in digit order.
    pub observed: Vec<u64>,
    /// Expected proportions per digit value (Benford for first two digits, uniform for last two).
    pub expected: Vec<f64>,
    /// Mean absolute deviation, and the MAD expected of conforming data of this size.
    pub mad: f64,
    pub expected_mad: f64,
    pub chi2: f64,
    pub p_value: f64,
    /// Whether the rule raised a finding on this unit.
    pub flagged: bool,
    /// Why the rule did not test the unit (too few amounts, too narrow a spread, mostly fixed amounts); absent
    /// when it did. The curve is drawn all the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_testable: Option<String>,
}

/// One officer's share of round sums (AMT003): every officer tested with at least one payee paid a round sum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundShare {
    pub officer: String,
    /// Distinct payees the officer paid, and those paid a round sum.
    pub payees: u64,
    pub round: u64,
    pub share: f64,
    /// The share expected of the officer (the same schemes' share among payees elsewhere).
    pub expected: f64,
    /// The binomial upper tail, and its Benjamini-Hochberg q-value across every unit tested.
    pub p_value: f64,
    pub q_value: f64,
    pub flagged: bool,
    /// A round payment of the officer's, whose evidence row gives the officer id.
    #[serde(skip)]
    pub sample: Option<crate::ledger::batch::RowRef>,
}

/// Every exhibit of a scan, flagged units first, then by rule, level and unit.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Exhibits {
    pub digits: Vec<DigitCurve>,
    pub round_sums: Vec<RoundShare>,
}

impl Exhibits {
    pub fn extend(&mut self, o: Exhibits) {
        self.digits.extend(o.digits);
        self.round_sums.extend(o.round_sums);
    }

    /// The total order the exhibits leave the library in (whatever the thread count).
    pub fn sort(&mut self) {
        self.digits.sort_by(|a, b| {
            b.flagged
                .cmp(&a.flagged)
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.level.cmp(&b.level))
                .then_with(|| a.unit.cmp(&b.unit))
        });
        self.round_sums.sort_by(|a, b| {
            b.flagged
                .cmp(&a.flagged)
                .then_with(|| a.p_value.total_cmp(&b.p_value))
                .then_with(|| a.officer.cmp(&b.officer))
        });
    }
}
