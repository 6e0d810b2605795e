//! `report.html`: the case file auditors hand on with their report. One self-contained page (inline CSS, inline
//! script, inline SVG charts, the data as JSON in the page): it opens offline from a file, fetches nothing and
//! names no font or server.
//!
//! The page is a [`minijinja`] template (`html/report.html`, HTML autoescape on every value) filled from a
//! [`Page`]: the summary, the charts ([`super::svg`], drawn here), the rule texts (once, in the rule list) and
//! the cases, findings and evidence rows as one JSON block (`<script type="application/json">`, every `<`,
//! `>` and `&` written as `\u003c`, `\u003e`, `\u0026`, so no text in the data can close the block). The
//! page's script (`html/report.js`) renders the case list from it a page of 100 rows at a time, filters
//! (rule, region, score, referral, text), sorts, and expands a case on click; it reads and writes its state
//! in the URL (`report.html#rule=DUP001&region=110101`, `#case=C…`) so a view can be shared. Everything the
//! script puts on the page goes in as text nodes, never as markup.
//!
//! The same outcome gives the same bytes: no time, no thread count, every map ordered.

use super::svg::{self, Bar, Chart};
use crate::error::{Error, Result};
use crate::exhibit::DigitCurve;
use crate::finding::EvidenceRow;
use crate::hotspot::Level;
use crate::ledger::batch::RowRef;
use crate::Outcome;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

const TEMPLATE: &str = include_str!("html/report.html");
const CSS: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Regions drawn in each bar chart of money at risk by region.
pub const REGION_BARS: usize = 15;

/// Writes `report.html`.
pub fn write(path: &Path, o: &Outcome) -> Result<()> {
    let page = render(o).map_err(|e| Error::output(path, e))?;
    let mut w = super::create(path)?;
    w.write_all(page.as_bytes())
        .and_then(|()| w.flush())
        .map_err(|e| Error::output(path, e))
}

/// The page of an outcome.
pub fn render(o: &Outcome) -> std::result::Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("report.html", TEMPLATE)?;
    let page = page(o);
    env.get_template("report.html")?
        .render(minijinja::value::Serde(&page))
}

/// Serializes `v` as JSON to sit inside a `<script type="application/json">` block: `<`, `>` and `&` (which
/// JSON holds only inside strings) become `\u003c`, `\u003e`, `\u0026`, so no value can end the block
/// (`</script>`) or open a comment (`<!--`); U+2028 and U+2029 are escaped too.
pub fn script_json<T: Serialize>(v: &T) -> String {
    let raw = serde_json::to_string(v).unwrap_or_else(|_| "null".to_string());
    let mut out = String::with_capacity(raw.len() + raw.len() / 64);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// What the template is filled with.
#[derive(Debug, Serialize)]
pub struct Page {
    pub title: String,
    pub version: &'static str,
    pub currency: String,
    pub stats: Vec<Stat>,
    pub cases: usize,
    pub referrals: usize,
    pub gate_passed: bool,
    pub gate_reason: Option<String>,
    pub inputs: Vec<Input>,
    pub floods: Vec<String>,
    pub rules: Vec<RuleText>,
    pub rule_options: Vec<Opt>,
    pub counties: Vec<Opt>,
    pub townships: Vec<Opt>,
    pub charts: Charts,
    /// The cases, findings and evidence rows (see [`script_json`]).
    pub data: String,
    pub css: &'static str,
    pub script: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Stat {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct Input {
    pub path: String,
    pub rows: String,
    pub sha256: String,
}

/// A rule run (or skipped) in this scan, with its full text (the one `explain CODE` prints).
#[derive(Debug, Serialize)]
pub struct RuleText {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub severity: &'static str,
    pub doc: &'static str,
    pub findings: usize,
    pub cases: usize,
    pub skipped: Option<String>,
}

/// An option of a filter's list.
#[derive(Debug, Serialize)]
pub struct Opt {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct Charts {
    pub risk_rule: Chart,
    pub risk_county: Chart,
    pub risk_township: Chart,
    pub digits_first: Chart,
    pub digits_last: Chart,
    pub round_sums: Chart,
}

/// The ids of the charts, in page order (the browser test looks for each).
pub const CHART_IDS: [&str; 6] = [
    "chart-risk-rule",
    "chart-risk-county",
    "chart-risk-township",
    "chart-digits-first",
    "chart-digits-last",
    "chart-round-sums",
];

/// The JSON the page's script reads. Short keys: a run of 20,000 cases carries them 20,000 times.
#[derive(Debug, Serialize)]
struct Data<'a> {
    currency: &'a str,
    /// Every region value a case names, sorted; cases refer to them by index.
    regions: Vec<&'a str>,
    /// Rule code → name.
    names: BTreeMap<&'static str, &'static str>,
    cases: Vec<CaseData<'a>>,
    findings: Vec<FindingData<'a>>,
    /// Evidence rows: txn, scheme, period, date, region, payee id, payee name, account, amount (fen),
    /// status, officer, household.
    evidence: Vec<EvidenceData<'a>>,
}

#[derive(Debug, Serialize)]
struct CaseData<'a> {
    id: &'a str,
    rk: usize,
    sc: f64,
    /// referred, reviewed (0/1)
    rf: u8,
    rv: u8,
    sv: &'static str,
    am: i64,
    py: usize,
    nf: usize,
    ru: &'a [String],
    sj: &'a [String],
    /// subjects not listed
    sm: usize,
    /// The region index of the case's place (its most serious finding's first row's village), -1 if none.
    pl: i64,
    /// Every region its rows lie in (village, township, county), as indices.
    rg: Vec<u32>,
    /// Its findings, as indices into `findings`.
    fi: &'a [usize],
}

#[derive(Debug, Serialize)]
struct FindingData<'a> {
    ru: &'static str,
    sv: &'static str,
    sk: &'static str,
    sj: &'a str,
    am: i64,
    ex: &'a str,
    /// The cited rows, as indices into `evidence` (in the finding's order).
    ev: Vec<u32>,
    /// The txn ids the finding cites (more than `ev` when a row could not be read back).
    nt: usize,
}

type EvidenceData<'a> = (
    &'a str,
    &'a str,
    &'a str,
    String,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    i64,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
);

fn data(o: &Outcome) -> String {
    // the township and county of each village (the roll-up knows them from the region hierarchy)
    let mut up: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for h in o.hotspots.iter().filter(|h| h.level == Level::Village) {
        up.insert(
            h.region.as_str(),
            (h.township.as_deref(), h.county.as_deref()),
        );
    }
    let places = |e: &'_ EvidenceRow| -> [Option<String>; 3] {
        let village = e.region.trim().to_string();
        let (t, c) = up.get(village.as_str()).copied().unwrap_or((None, None));
        let t = t.or(e.township.as_deref()).map(str::to_string);
        let c = c.or(e.county.as_deref()).map(str::to_string);
        [Some(village).filter(|v| !v.is_empty()), t, c]
    };
    let row_of = |r: &RowRef| -> Option<usize> {
        o.evidence.binary_search_by(|e| e.row.cmp(&Some(*r))).ok()
    };
    // the regions of each case
    let mut case_regions: Vec<(Option<String>, BTreeSet<String>)> =
        Vec::with_capacity(o.cases.len());
    let mut all: BTreeSet<String> = BTreeSet::new();
    for c in &o.cases {
        let mut set = BTreeSet::new();
        for &i in &c.finding_indices {
            for r in &o.findings[i].cited {
                if let Some(e) = row_of(r).map(|k| &o.evidence[k]) {
                    set.extend(places(e).into_iter().flatten());
                }
            }
        }
        // the hot-spot roll-up's place of a case: its most serious finding's first row
        let lead = c.finding_indices.iter().copied().min_by(|&a, &b| {
            let (fa, fb) = (&o.findings[a], &o.findings[b]);
            fb.severity
                .cmp(&fa.severity)
                .then(fb.amount_fen.cmp(&fa.amount_fen))
                .then(a.cmp(&b))
        });
        let place = lead
            .and_then(|i| o.findings[i].cited.first())
            .and_then(row_of)
            .map(|k| o.evidence[k].region.trim().to_string())
            .filter(|v| !v.is_empty());
        all.extend(set.iter().cloned());
        case_regions.push((place, set));
    }
    let regions: Vec<&str> = all.iter().map(String::as_str).collect();
    let index = |r: &str| -> Option<u32> {
        regions
            .binary_search(&r)
            .ok()
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
    };
    let cases: Vec<CaseData> = o
        .cases
        .iter()
        .zip(&case_regions)
        .map(|(c, (place, set))| CaseData {
            id: &c.case_id,
            rk: c.rank,
            sc: c.score,
            rf: u8::from(c.referral),
            rv: u8::from(c.reviewed),
            sv: c.severity.as_str(),
            am: c.amount_at_risk_fen,
            py: c.payments,
            nf: c.findings,
            ru: &c.rules,
            sj: &c.subjects,
            sm: c.subjects_not_listed,
            pl: place.as_deref().and_then(index).map_or(-1, i64::from),
            rg: set.iter().filter_map(|r| index(r)).collect(),
            fi: &c.finding_indices,
        })
        .collect();
    let findings: Vec<FindingData> = o
        .findings
        .iter()
        .map(|f| FindingData {
            ru: f.rule,
            sv: f.severity.as_str(),
            sk: f.subject_kind.as_str(),
            sj: &f.subject,
            am: f.amount_fen,
            ex: &f.explanation,
            ev: f
                .cited
                .iter()
                .filter_map(row_of)
                .map(|k| u32::try_from(k).unwrap_or(u32::MAX))
                .collect(),
            nt: f.txn_ids.len().max(f.cited.len()),
        })
        .collect();
    let evidence: Vec<EvidenceData> = o
        .evidence
        .iter()
        .map(|e| {
            (
                e.txn_id.as_str(),
                e.scheme.as_str(),
                e.period.as_str(),
                e.date(),
                e.region.as_str(),
                e.payee_id.as_str(),
                e.payee_name.as_str(),
                e.account.as_str(),
                e.amount_fen,
                e.status.as_str(),
                e.officer_id.as_deref(),
                e.household_id.as_deref(),
            )
        })
        .collect();
    let names = crate::rules::registry()
        .iter()
        .map(|e| (e.meta.code, e.meta.name))
        .collect();
    script_json(&Data {
        currency: &o.summary.currency,
        regions,
        names,
        cases,
        findings,
        evidence,
    })
}

fn stat(id: &'static str, label: &'static str, value: String, note: String) -> Stat {
    Stat {
        id,
        label,
        value,
        note,
    }
}

/// Everything the template shows of `o`.
pub fn page(o: &Outcome) -> Page {
    let s = &o.summary;
    let cur = s.currency.as_str();
    let stats = vec![
        stat(
            "rows-scanned",
            "Rows scanned",
            svg::count(s.rows_scanned),
            format!(
                "of {} read in {} file{}; {} with data-quality problems, {} excluded",
                svg::count(s.rows_read),
                s.inputs.len(),
                if s.inputs.len() == 1 { "" } else { "s" },
                svg::count(s.rows_with_problems),
                svg::count(s.rows_excluded)
            ),
        ),
        stat(
            "finding-count",
            "Findings",
            svg::count(s.findings as u64),
            format!(
                "by {} rules run, {} skipped",
                s.rules_run.len(),
                s.rules_skipped.len()
            ),
        ),
        stat(
            "case-count",
            "Cases",
            svg::count(s.cases as u64),
            format!("{} reviewed before (baseline)", s.reviewed_in_baseline),
        ),
        stat(
            "referral-count",
            "Referred",
            svg::count(s.referrals as u64),
            "cases scoring at or above the referral threshold".to_string(),
        ),
        stat(
            "amount-at-risk",
            "Money at risk",
            format!("{} {cur}", svg::money(s.amount_at_risk_fen)),
            format!(
                "{} {cur} in referred cases",
                svg::money(s.referred_amount_at_risk_fen)
            ),
        ),
    ];
    let inputs = s
        .inputs
        .iter()
        .map(|i| Input {
            path: i.path.clone(),
            rows: svg::count(i.rows_read),
            sha256: i.sha256.clone(),
        })
        .collect();
    // rules: findings and cases of each
    let mut cases_of: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &o.cases {
        for r in &c.rules {
            *cases_of.entry(r.as_str()).or_default() += 1;
        }
    }
    let skipped: BTreeMap<&str, &str> = s
        .rules_skipped
        .iter()
        .map(|k| (k.code.as_str(), k.reason.as_str()))
        .collect();
    let registry = crate::rules::registry();
    let rules: Vec<RuleText> = registry
        .iter()
        .map(|e| e.meta)
        .filter(|m| s.rules_run.iter().any(|r| r == m.code) || skipped.contains_key(m.code))
        .map(|m| RuleText {
            code: m.code,
            name: m.name,
            summary: m.summary,
            severity: m.severity.as_str(),
            doc: m.doc,
            findings: s.findings_per_rule.get(m.code).copied().unwrap_or(0),
            cases: cases_of.get(m.code).copied().unwrap_or(0),
            skipped: skipped.get(m.code).map(|r| (*r).to_string()),
        })
        .collect();
    let rule_options = rules
        .iter()
        .filter(|r| r.cases > 0)
        .map(|r| Opt {
            value: r.code.to_string(),
            label: format!(
                "{} {} ({} case{})",
                r.code,
                r.name,
                r.cases,
                if r.cases == 1 { "" } else { "s" }
            ),
        })
        .collect();
    let region_opts = |level: Level| -> Vec<Opt> {
        let mut v: Vec<Opt> = o
            .hotspots
            .iter()
            // a region some case touches (its findings, or a payment at risk, lie there)
            .filter(|h| {
                h.level == level && (h.cases > 0 || h.findings > 0 || h.amount_at_risk_fen != 0)
            })
            .map(|h| Opt {
                value: h.region.clone(),
                label: match &h.county {
                    Some(c) if level == Level::Township => format!("{} (county {c})", h.region),
                    _ => h.region.clone(),
                },
            })
            .collect();
        v.sort_by(|a, b| a.value.cmp(&b.value));
        v.dedup_by(|a, b| a.value == b.value);
        v
    };
    let floods = s.floods.iter().map(|f| f.message.clone()).collect();
    Page {
        title: format!(
            "Subsidy audit case file: {} cases, {} referred",
            s.cases, s.referrals
        ),
        version: s.version,
        currency: s.currency.clone(),
        stats,
        cases: s.cases,
        referrals: s.referrals,
        gate_passed: s.quality_gate.passed,
        gate_reason: s.quality_gate.reason.clone(),
        inputs,
        floods,
        rules,
        rule_options,
        counties: region_opts(Level::County),
        townships: region_opts(Level::Township),
        charts: charts(o),
        data: data(o),
        css: CSS,
        script: SCRIPT,
    }
}

/// Every chart of the page.
pub fn charts(o: &Outcome) -> Charts {
    let cur = o.summary.currency.as_str();
    // money at risk by rule: the sum of its findings' (a payment two rules flag counts under both)
    let mut by_rule: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
    for f in &o.findings {
        let e = by_rule.entry(f.rule).or_default();
        e.0 += f.amount_fen;
        e.1 += 1;
    }
    let names: BTreeMap<&str, &str> = crate::rules::registry()
        .iter()
        .map(|e| (e.meta.code, e.meta.name))
        .collect();
    let mut rule_bars: Vec<Bar> = by_rule
        .iter()
        .map(|(code, (fen, n))| Bar {
            label: format!("{code} {}", names.get(code).copied().unwrap_or("")),
            hint: format!("{code} {}", names.get(code).copied().unwrap_or("")),
            fen: *fen,
            detail: plural(*n, "finding"),
        })
        .collect();
    rule_bars.sort_by(|a, b| b.fen.cmp(&a.fen).then_with(|| a.label.cmp(&b.label)));
    let region_bars = |level: Level| -> Vec<Bar> {
        // the roll-up is ordered by money at risk within each level
        o.hotspots
            .iter()
            .filter(|h| h.level == level && h.amount_at_risk_fen > 0)
            .take(REGION_BARS)
            .map(|h| {
                let label = match (&h.county, level) {
                    (Some(c), Level::Township) => format!("{} ({c})", h.region),
                    _ => h.region.clone(),
                };
                Bar {
                    hint: format!("{} {label}", level.as_str()),
                    label,
                    fen: h.amount_at_risk_fen,
                    detail: format!(
                        "{}, {} referred",
                        plural(h.cases as usize, "case"),
                        h.referrals
                    ),
                }
            })
            .collect()
    };
    let no_region = if o.hotspots.is_empty() {
        "No region roll-up: the ledger has no region or no payee id column."
    } else {
        "No money at risk in any region of this level (or the region hierarchy gives no such level)."
    };
    let of_test = |test: &str| -> Vec<&DigitCurve> {
        o.exhibits
            .digits
            .iter()
            .filter(|d| d.test == test)
            .collect()
    };
    Charts {
        risk_rule: svg::bars(
            "chart-risk-rule",
            "Money at risk by rule",
            &rule_bars,
            cur,
            "No finding: no money at risk.",
        ),
        risk_county: svg::bars(
            "chart-risk-county",
            "Money at risk by county",
            &region_bars(Level::County),
            cur,
            no_region,
        ),
        risk_township: svg::bars(
            "chart-risk-township",
            "Money at risk by township",
            &region_bars(Level::Township),
            cur,
            no_region,
        ),
        digits_first: svg::digits(
            "chart-digits-first",
            "First two digits: observed share against Benford's law, per unit tested",
            &of_test("first two digits"),
            "expected (Benford)",
            "No unit tested: DIG001 did not run or met no unit (county, township, officer).",
        ),
        digits_last: svg::digits(
            "chart-digits-last",
            "Last two digits: observed share against a uniform share, per unit tested",
            &of_test("last two digits"),
            "expected (uniform, 1%)",
            "No unit tested: DIG004 did not run or met no unit (county, township, officer).",
        ),
        round_sums: svg::round_sums(
            "chart-round-sums",
            "Round-sum share per officer against the share expected",
            &o.exhibits.round_sums,
            "No unit tested: AMT003 did not run or no officer had enough payees.",
        ),
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;
    use crate::exhibit::{Exhibits, RoundShare};
    use crate::finding::{Finding, SubjectKind};
    use crate::rule_meta::Severity;

    const EVIL: &str = "</script><script>alert(1)</script><!-- \u{2028} & x";

    pub(crate) fn empty_outcome() -> Outcome {
        use crate::report::summary::{QualityGate, Summary, Timing};
        Outcome {
            summary: Summary {
                version: "0.1.0",
                config_hash: String::new(),
                inputs: vec![],
                reference_tables: BTreeMap::new(),
                rows_read: 10,
                rows_scanned: 10,
                rows_with_problems: 0,
                rows_excluded: 0,
                filters: vec![],
                currency: "yuan".into(),
                region_codes_outside_hierarchy: 0,
                rows_undated: 0,
                rows_zero_amount: 0,
                rows_negative_amount: 0,
                rules_run: vec![],
                rules_skipped: vec![],
                findings_per_rule: BTreeMap::new(),
                findings: 0,
                cases: 0,
                referrals: 0,
                reviewed_in_baseline: 0,
                amount_at_risk_fen: 0,
                referred_amount_at_risk_fen: 0,
                key_collisions_dropped: 0,
                quality_gate: QualityGate::judge(10, 0, 0.5),
                floods: vec![],
                hotspots: crate::hotspot::Top::default(),
                masked: None,
                timing: Timing {
                    threads: 1,
                    reference_load_seconds: BTreeMap::new(),
                    wall_seconds: 0.0,
                    rows_per_second: 0.0,
                    phases: vec![],
                    memory_limit_bytes: 0,
                    spill_files: 0,
                },
            },
            findings: vec![],
            cases: vec![],
            hotspots: vec![],
            evidence: vec![],
            exhibits: Exhibits::default(),
            lang: crate::lang::Lang::En,
        }
    }

    /// An outcome of one case of one finding citing one row, with `name` as the payee's name, the subject,
    /// the region and the officer.
    fn outcome(name: &str) -> Outcome {
        let row = RowRef::new(0, 7);
        let ev = EvidenceRow {
            row: Some(row),
            txn_id: "T1".into(),
            scheme: "DIBAO".into(),
            period: "2024-05".into(),
            pay_date: Some(19_860),
            region: name.into(),
            payee_id: "110101196205035536".into(),
            payee_raw: "110101196205035536".into(),
            payee_name: name.into(),
            account: "6230520000115283671".into(),
            amount_fen: 168_000,
            status: "PAID".into(),
            officer_id: Some(name.into()),
            household_id: None,
            county: None,
            township: None,
        };
        let meta = crate::rules::registry()
            .into_iter()
            .find(|e| e.meta.code == "DUP001")
            .expect("DUP001")
            .meta;
        let mut f = Finding::new(
            meta,
            Severity::High,
            SubjectKind::Payee,
            name,
            &[&ev],
            &[168_000],
            format!("{name} was paid twice"),
        );
        f.case_id = "C0000000000000001".into();
        f.txn_ids = vec!["T1".into()];
        f.cited = vec![row];
        let case = Case {
            case_id: "C0000000000000001".into(),
            rank: 1,
            score: 12.5,
            referral: true,
            reviewed: false,
            subjects: vec![format!("payee:{name}")],
            subjects_not_listed: 0,
            rules: vec!["DUP001".into()],
            severity: Severity::High,
            amount_at_risk_fen: 168_000,
            payments: 1,
            findings: 1,
            explanation: f.explanation.clone(),
            explanation_zh: String::new(),
            finding_indices: vec![0],
        };
        let mut o = empty_outcome();
        o.summary.cases = 1;
        o.summary.referrals = 1;
        o.summary.findings = 1;
        o.summary.rules_run = vec!["DUP001".into()];
        o.summary.findings_per_rule.insert("DUP001".into(), 1);
        o.findings = vec![f];
        o.cases = vec![case];
        o.evidence = vec![ev];
        o.exhibits = Exhibits {
            digits: vec![],
            round_sums: vec![RoundShare {
                officer: name.into(),
                payees: 40,
                round: 12,
                share: 0.3,
                expected: 0.08,
                p_value: 0.0004,
                q_value: 0.002,
                flagged: true,
                sample: None,
            }],
        };
        o
    }

    /// The text of the page's data block.
    fn data_block(page: &str) -> &str {
        let open = r#"<script type="application/json" id="case-data">"#;
        let at = page.find(open).expect("data block") + open.len();
        let end = page[at..].find("</script>").expect("end") + at;
        &page[at..end]
    }

    #[test]
    fn script_json_cannot_close_its_block() {
        let j = script_json(&vec![EVIL]);
        assert!(
            !j.contains('<') && !j.contains('>') && !j.contains('&'),
            "{j}"
        );
        assert!(!j.contains('\u{2028}'));
        let back: Vec<String> = serde_json::from_str(&j).expect("still JSON");
        assert_eq!(back, vec![EVIL.to_string()]);
    }

    #[test]
    fn a_hostile_name_cannot_break_the_page() {
        let page = render(&outcome(EVIL)).expect("render");
        // the page's own two scripts (data, code) open and close; no other
        assert_eq!(page.matches("<script").count(), 2, "{page}");
        assert_eq!(page.matches("</script>").count(), 2);
        assert!(!page.contains("alert(1)</script>"));
        assert!(!page.contains("<!--"), "a comment opened");
        // the name is in the data, escaped, and reads back whole
        let block = data_block(&page);
        let v: serde_json::Value = serde_json::from_str(block).expect("data is JSON");
        assert_eq!(v["evidence"][0][6], EVIL);
        assert_eq!(v["findings"][0]["sj"], EVIL);
        assert_eq!(v["regions"][0], EVIL);
        // and in the chart, as escaped text
        assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(1)"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = render(&outcome("程磊")).expect("render");
        for external in [
            "http://",
            "https://",
            "src=",
            "href=\"http",
            "@import",
            "url(",
        ] {
            let hits: Vec<&str> = page
                .match_indices(external)
                .map(|(i, _)| &page[i.saturating_sub(40)..(i + 60).min(page.len())])
                .filter(|ctx| !ctx.contains("http://www.w3.org/2000/svg"))
                .collect();
            assert!(hits.is_empty(), "{external}: {hits:?}");
        }
        assert!(!CSS.contains("</style") && !SCRIPT.contains("</script"));
        for id in CHART_IDS {
            assert!(page.contains(&format!(r#"<svg id="{id}""#)), "{id}");
        }
        // no digit curve: the notes say so
        assert_eq!(page.matches("No unit tested").count(), 4);
        // the rule text, once
        let doc = crate::rules::registry()
            .into_iter()
            .find(|e| e.meta.code == "DUP001")
            .expect("DUP001")
            .meta
            .doc;
        let line = &doc.lines().nth(1).expect("line").trim()[..40];
        assert_eq!(page.matches(line).count(), 1, "{line}");
        assert!(page.contains(r#"<b id="case-count">1</b>"#), "case count");
    }

    #[test]
    fn the_same_outcome_gives_the_same_bytes() {
        let o = outcome("程磊");
        assert_eq!(render(&o).expect("a"), render(&o).expect("b"));
    }

    #[test]
    fn cases_carry_their_regions_and_findings() {
        let mut o = outcome("110101001009");
        o.hotspots = vec![crate::hotspot::Hotspot {
            level: Level::Village,
            region: "110101001009".into(),
            township: Some("110101001".into()),
            county: Some("110101".into()),
            payees: 1,
            payments: 1,
            paid_fen: 168_000,
            findings: 1,
            cases: 1,
            referrals: 1,
            amount_at_risk_fen: 168_000,
            findings_per_10k_payees: 10_000.0,
            top_rules: vec![],
        }];
        let v: serde_json::Value = serde_json::from_str(&data(&o)).expect("json");
        assert_eq!(
            v["regions"],
            serde_json::json!(["110101", "110101001", "110101001009"])
        );
        assert_eq!(v["cases"][0]["rg"], serde_json::json!([0, 1, 2]));
        assert_eq!(v["cases"][0]["pl"], 2);
        assert_eq!(v["cases"][0]["fi"], serde_json::json!([0]));
        assert_eq!(v["findings"][0]["ev"], serde_json::json!([0]));
        assert_eq!(v["evidence"][0][3], "2024-05-17");
        assert_eq!(v["evidence"][0][8], 168_000);
    }
}
