//! Integration tests of `generate` and `evaluate`: layout, determinism, planted kinds agree with the scheme
//! rules, clean rows stay clean, exact scores on hand-made findings, and the demo fixture is current.

mod common;

use arrow::array::{Array, AsArray, ListBuilder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Date32Type, Decimal128Type, Field, Schema};
use chrono::NaiveDate;
use common::write_batch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use subsidy_audit::evaluate::evaluate;
use subsidy_audit::generate::{generate, schemes, GenerateOptions, KINDS};
use subsidy_audit::ident::{age_on, id_birth_date, is_luhn_valid, is_valid_id18};

const CODES: [&str; 5] = ["FARMLAND", "ECO_FOREST", "ELDERLY", "DIBAO", "TEKUN"];

fn opts(rows: u64, out: &Path) -> GenerateOptions {
    GenerateOptions {
        rows,
        out: out.to_path_buf(),
        row_group_rows: 4096,
        ..GenerateOptions::default()
    }
}

fn batches(path: &Path) -> Vec<RecordBatch> {
    let f = File::open(path).expect("open");
    ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

fn col(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    b.column_by_name(name)
        .expect(name)
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

fn epoch_plus(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(i64::from(days))
}

#[derive(Debug, Clone)]
struct L {
    txn: String,
    scheme: String,
    period: String,
    date: NaiveDate,
    region: String,
    payee: String,
    account: String,
    amount: i64,
    quantity: Option<i64>,
    status: String,
    household: String,
}

fn ledger(dir: &Path) -> Vec<L> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir.join("ledger"))
        .expect("ledger")
        .map(|e| e.expect("e").path())
        .collect();
    parts.sort();
    let mut out = Vec::new();
    for p in parts {
        for b in batches(&p) {
            let s = |n| col(&b, n);
            let (txn, scheme, period, region) =
                (s("txn_id"), s("scheme"), s("period"), s("region"));
            let (payee, account, status, hh) =
                (s("payee_id"), s("account"), s("status"), s("household_id"));
            let dates = b
                .column_by_name("pay_date")
                .expect("pay_date")
                .as_primitive::<Date32Type>();
            let amt = b
                .column_by_name("amount")
                .expect("amount")
                .as_primitive::<Decimal128Type>();
            let qty = b
                .column_by_name("quantity")
                .expect("quantity")
                .as_primitive::<Decimal128Type>();
            for i in 0..b.num_rows() {
                out.push(L {
                    txn: txn[i].clone().expect("txn"),
                    scheme: scheme[i].clone().expect("s"),
                    period: period[i].clone().expect("p"),
                    date: epoch_plus(dates.value(i)),
                    region: region[i].clone().expect("r"),
                    payee: payee[i].clone().expect("payee"),
                    account: account[i].clone().expect("a"),
                    amount: amt.value(i) as i64,
                    quantity: qty.is_valid(i).then(|| qty.value(i) as i64),
                    status: status[i].clone().expect("st"),
                    household: hh[i].clone().expect("hh"),
                });
            }
        }
    }
    out
}

/// (kind, txn, subject) rows of truth.parquet.
fn truth(dir: &Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for b in batches(&dir.join("truth.parquet")) {
        let (k, t, s) = (col(&b, "kind"), col(&b, "txn_id"), col(&b, "subject"));
        for i in 0..b.num_rows() {
            out.push((
                k[i].clone().expect("k"),
                t[i].clone().expect("t"),
                s[i].clone().expect("s"),
            ));
        }
    }
    out
}

fn scheme_index(l: &L) -> usize {
    CODES.iter().position(|x| *x == l.scheme).expect("scheme")
}

fn due(l: &L, s: &[subsidy_audit::scheme::Scheme; 5]) -> Option<i64> {
    let age = id_birth_date(&l.payee).map(|b| age_on(b, l.date));
    s[scheme_index(l)].due_fen(l.quantity.map(|q| q * 100), age)
}

fn registry(dir: &Path) -> HashSet<String> {
    let mut r = HashSet::new();
    for b in batches(&dir.join("registry.parquet")) {
        r.extend(col(&b, "payee_id").into_iter().flatten());
    }
    r
}

fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for sub in [dir.to_path_buf(), dir.join("ledger")] {
        for e in std::fs::read_dir(&sub).expect("dir") {
            let p = e.expect("e").path();
            if p.is_file() {
                m.insert(
                    p.strip_prefix(dir).expect("prefix").display().to_string(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    m
}

#[test]
fn layout_and_determinism() {
    let t = tempfile::tempdir().expect("tmp");
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    let mut o = opts(9_000, &a);
    o.files = Some(2);
    let m = generate(&o).expect("generate");
    assert_eq!(m.counts.rows, 9_000);
    let fa = files_of(&a);
    let names: Vec<&str> = fa.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "deaths.parquet",
            "ledger/part-00000.parquet",
            "ledger/part-00001.parquet",
            "manifest.json",
            "officials.parquet",
            "registry.parquet",
            "schemes.toml",
            "truth.parquet"
        ]
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    o.out.clone_from(&b);
    pool.install(|| generate(&o)).expect("generate again");
    assert_eq!(
        fa,
        files_of(&b),
        "same seed, other thread count: byte-identical"
    );
    // regenerating over an existing folder overwrites it
    o.out.clone_from(&a);
    generate(&o).expect("overwrite");
    assert_eq!(fa, files_of(&a));
    let rows = ledger(&a);
    assert_eq!(rows.len(), 9_000);
    assert_eq!(
        rows.iter().map(|l| &l.txn).collect::<HashSet<_>>().len(),
        9_000
    );
    let toml_text = std::fs::read_to_string(a.join("schemes.toml")).expect("toml");
    let doc: toml::Table = toml::from_str(&toml_text).expect("toml");
    let parsed = subsidy_audit::scheme::parse_schemes(
        Path::new("schemes.toml"),
        doc["schemes"].as_table().expect("table"),
    )
    .expect("schemes parse");
    assert_eq!(parsed.len(), 5);
}

#[test]
fn unknown_kind_is_rejected() {
    let t = tempfile::tempdir().expect("tmp");
    let mut o = opts(100, t.path());
    o.rates.insert("nonsense".into(), 0.01);
    let e = generate(&o).expect_err("unknown kind");
    assert!(e.to_string().contains("nonsense"), "{e}");
}

#[test]
fn clean_ledger_has_no_truth_and_obeys_the_rules() {
    let t = tempfile::tempdir().expect("tmp");
    let mut o = opts(20_000, t.path());
    o.anomaly_rate = 0.0;
    generate(&o).expect("generate");
    assert!(truth(t.path()).is_empty());
    check_clean(t.path(), &HashSet::new());
}

/// Clean rows (not in `planted`): amount == due, ids valid, cards Luhn-valid, registered, one PAID row per
/// payee/scheme/period, no account shared across 3+ households.
fn check_clean(dir: &Path, planted: &HashSet<String>) {
    let s = schemes().expect("schemes");
    let reg = registry(dir);
    let mut paid: HashMap<(String, String, String), u32> = HashMap::new();
    let mut acct_hh: HashMap<String, HashSet<String>> = HashMap::new();
    for l in ledger(dir).iter().filter(|l| !planted.contains(&l.txn)) {
        assert_eq!(Some(l.amount), due(l, &s), "clean amount == due: {l:?}");
        assert!(is_valid_id18(&l.payee), "{l:?}");
        assert!(is_luhn_valid(&l.account), "{l:?}");
        assert!(reg.contains(&l.payee), "{l:?}");
        assert_eq!(l.region.len(), 12);
        if l.status == "PAID" {
            *paid
                .entry((l.payee.clone(), l.scheme.clone(), l.period.clone()))
                .or_default() += 1;
            acct_hh
                .entry(l.account.clone())
                .or_default()
                .insert(l.household.clone());
        }
    }
    assert!(paid.values().all(|n| *n == 1), "no clean duplicates");
    assert!(
        acct_hh.values().all(|h| h.len() < 3),
        "no clean shared accounts"
    );
}

#[test]
fn planted_kinds_agree_with_the_rules() {
    let t = tempfile::tempdir().expect("tmp");
    let mut o = opts(20_000, t.path());
    o.row_group_rows = 262_144;
    generate(&o).expect("generate");
    let truth = truth(t.path());
    let kinds: HashSet<&str> = truth.iter().map(|(k, _, _)| k.as_str()).collect();
    for k in KINDS {
        assert!(kinds.contains(k), "kind {k} planted at the default rate");
    }
    let planted: HashSet<String> = truth.iter().map(|(_, t, _)| t.clone()).collect();
    check_clean(t.path(), &planted);
    let s = schemes().expect("schemes");
    let rows = ledger(t.path());
    let by_txn: HashMap<&str, &L> = rows.iter().map(|l| (l.txn.as_str(), l)).collect();
    let reg = registry(t.path());
    let mut deaths = HashMap::new();
    for b in batches(&t.path().join("deaths.parquet")) {
        let d = b
            .column_by_name("death_date")
            .expect("death_date")
            .as_primitive::<Date32Type>();
        for (i, id) in col(&b, "payee_id").into_iter().enumerate() {
            deaths.insert(id.expect("id"), epoch_plus(d.value(i)));
        }
    }
    let mut groups: HashMap<(&str, &str), Vec<&L>> = HashMap::new();
    for (k, txn, subj) in &truth {
        let l = by_txn[txn.as_str()];
        groups
            .entry((k.as_str(), subj.as_str()))
            .or_default()
            .push(l);
        let sc = &s[scheme_index(l)];
        match k.as_str() {
            "skim" => assert!(due(l, &s).is_some_and(|d| l.amount < d), "{l:?}"),
            "inflation" => assert!(
                due(l, &s).is_none_or(|d| l.amount > d)
                    || sc.max_amount_fen.is_some_and(|m| l.amount > m)
            ),
            "deceased" => assert!(
                deaths[&l.payee] + chrono::Duration::days(60) < l.date,
                "{l:?}"
            ),
            "ghost" => assert!(!reg.contains(&l.payee)),
            "invalid_id" => assert!(!is_valid_id18(&l.payee)),
            "age_ineligible" => {
                let age = age_on(id_birth_date(&l.payee).expect("birth"), l.date);
                assert!(sc.min_age.is_some_and(|m| age < m), "{l:?}");
            }
            "round_sum" => assert!(l.amount % 10_000 == 0 && Some(l.amount) != due(l, &s)),
            _ => {}
        }
    }
    for ((k, subj), g) in &groups {
        match *k {
            "duplicate" => {
                assert_eq!(g.len(), 2);
                assert!(g.iter().all(|l| l.status == "PAID" && l.payee == *subj));
                assert_eq!((&g[0].scheme, &g[0].period), (&g[1].scheme, &g[1].period));
            }
            "one_payee_many_accounts" => assert_ne!(g[0].account, g[1].account),
            "cross_region" => assert_ne!(g[0].region, g[1].region),
            "shared_account" => {
                assert!(g.iter().all(|l| l.account == *subj));
                assert!(g.iter().map(|l| &l.household).collect::<HashSet<_>>().len() >= 3);
            }
            "split" => {
                let th = s[0].approval_threshold_fen.expect("threshold");
                assert!(
                    g.len() >= 2 && g.iter().all(|l| l.account == *subj && l.date == g[0].date)
                );
                assert!(g.iter().all(|l| l.amount * 5 >= th * 4 && l.amount < th));
                assert!(g.iter().map(|l| l.amount).sum::<i64>() >= th);
            }
            "fuzzy_duplicate" => {
                let mut v: Vec<&str> = g
                    .iter()
                    .map(|l| l.payee.as_str())
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                v.sort_unstable();
                assert_eq!(v.len(), 2);
                assert_eq!(v.join("|"), *subj);
                assert_eq!(v[0][6..14], v[1][6..14], "same birth date");
            }
            _ => {}
        }
    }
}

fn strings<'a>(it: impl IntoIterator<Item = &'a str>) -> Arc<StringArray> {
    Arc::new(StringArray::from_iter_values(it))
}

fn write_findings(path: &Path, rows: &[(&str, &str, &[&str])]) {
    let item = Arc::new(Field::new("item", DataType::Utf8, true));
    let schema = Arc::new(Schema::new(vec![
        Field::new("rule", DataType::Utf8, false),
        Field::new("subject", DataType::Utf8, true),
        Field::new("txn_ids", DataType::List(item.clone()), true),
    ]));
    let mut lists = ListBuilder::new(StringBuilder::new()).with_field(item);
    for (_, _, t) in rows {
        for x in *t {
            lists.values().append_value(x);
        }
        lists.append(true);
    }
    let b = RecordBatch::try_new(
        schema,
        vec![
            strings(rows.iter().map(|r| r.0)),
            strings(rows.iter().map(|r| r.1)),
            Arc::new(lists.finish()),
        ],
    )
    .expect("batch");
    write_batch(path, &b, 1024);
}

#[test]
fn evaluate_gives_exact_scores() {
    let t = tempfile::tempdir().expect("tmp");
    let truth_path = t.path().join("truth.parquet");
    let schema = Arc::new(Schema::new(
        ["kind", "txn_id", "subject", "detail"]
            .map(|n| Field::new(n, DataType::Utf8, false))
            .to_vec(),
    ));
    let rows = [
        ("duplicate", "T1", "A"),
        ("duplicate", "T2", "A"),
        ("duplicate", "T3", "B"),
        ("duplicate", "T4", "B"),
        ("ghost", "T5", "G"),
    ];
    let b = RecordBatch::try_new(
        schema,
        vec![
            strings(rows.iter().map(|r| r.0)),
            strings(rows.iter().map(|r| r.1)),
            strings(rows.iter().map(|r| r.2)),
            strings(rows.iter().map(|_| "")),
        ],
    )
    .expect("batch");
    write_batch(&truth_path, &b, 1024);
    let out = t.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let findings = out.join("findings.parquet");
    // DUP001 finds A fully and cites a clean T9 (subject C); GHO002 cites the ghost T5 and a clean T8
    write_findings(
        &findings,
        &[
            ("DUP001", "A", &["T1", "T2"]),
            ("DUP001", "C", &["T9"]),
            ("GHO002", "G", &["T5", "T8"]),
        ],
    );
    let e = evaluate(&truth_path, &findings).expect("evaluate");
    let kind = |k: &str| e.kinds.iter().find(|x| x.kind == k).expect("kind").clone();
    let dup = kind("duplicate");
    assert_eq!((dup.planted_payments, dup.cited_payments), (4, 3));
    assert_eq!(dup.recall_payment, Some(0.5));
    assert_eq!(dup.precision_payment, Some(2.0 / 3.0));
    assert_eq!((dup.planted_subjects, dup.found_subjects), (2, 1));
    assert_eq!(
        (dup.recall_subject, dup.precision_subject),
        (Some(0.5), Some(0.5))
    );
    let ghost = kind("ghost");
    assert_eq!(
        (ghost.recall_payment, ghost.precision_payment),
        (Some(1.0), Some(0.5))
    );
    let skim = kind("skim");
    assert_eq!(
        (
            skim.planted_payments,
            skim.recall_payment,
            skim.precision_payment
        ),
        (0, None, None)
    );
    let r = e.rules.iter().find(|r| r.rule == "GHO002").expect("rule");
    assert_eq!(
        (r.findings, r.cited_payments, r.precision_payment),
        (1, 2, Some(0.5))
    );
    assert!(e.to_table().contains("duplicate"));
    // rules that did not run are not evaluated
    std::fs::write(out.join("summary.json"), r#"{"rules_run":["DUP001"]}"#).expect("summary");
    let e = evaluate(&truth_path, &findings).expect("evaluate");
    assert!(
        e.kinds
            .iter()
            .find(|k| k.kind == "duplicate")
            .expect("d")
            .evaluated
    );
    assert!(
        !e.kinds
            .iter()
            .find(|k| k.kind == "ghost")
            .expect("g")
            .evaluated
    );
    assert!(e.to_table().contains("not evaluated"));
    // a missing column is named with its file
    write_findings(&truth_path, &[("X", "Y", &[])]);
    let err = evaluate(&truth_path, &findings).expect_err("missing column");
    assert!(
        err.to_string().contains("`kind`") && err.to_string().contains("truth.parquet"),
        "{err}"
    );
}

#[test]
fn demo_fixture_is_current() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let text = std::fs::read_to_string(fixture.join("manifest.json")).expect("manifest");
    let m: serde_json::Value = serde_json::from_str(&text).expect("json");
    let o = &m["options"];
    let t = tempfile::tempdir().expect("tmp");
    let opts = GenerateOptions {
        rows: o["rows"].as_u64().expect("rows"),
        out: t.path().to_path_buf(),
        seed: o["seed"].as_u64().expect("seed"),
        anomaly_rate: o["anomaly_rate"].as_f64().expect("rate"),
        rates: o["rates"]
            .as_object()
            .expect("rates")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().expect("r")))
            .collect(),
        files: Some(usize::try_from(o["files"].as_u64().expect("files")).expect("files")),
        row_group_rows: usize::try_from(o["row_group_rows"].as_u64().expect("rg")).expect("rg"),
    };
    if std::env::var_os("REGENERATE_DEMO").is_some() {
        let mut again = opts.clone();
        again.out.clone_from(&fixture);
        generate(&again).expect("regenerate fixture");
    }
    generate(&opts).expect("generate");
    assert!(files_of(&fixture) == files_of(t.path()), "fixtures/demo is stale: REGENERATE_DEMO=1 cargo test --test generate demo_fixture_is_current");
}
