//! The ghost and insider families on a hand-built ledger with its registry, deaths and officials tables:
//! exact findings (rule, subject, evidence, money, severity), nothing on the clean rows, the same findings
//! from CSV reference tables, errors (exit 2) that name a bad table, and on generated ledgers every planted
//! payment of these kinds cited, with nothing found on a clean one.

mod common;

use common::{
    bin, card, deaths, resident_id, row, write_batch, Col, Ledger, Parquet, Row, Table, SCHEMES,
};
use std::path::Path;
use subsidy_audit::generate::{generate, GenerateOptions};
use subsidy_audit::{scan, ScanOptions};

const R1: &str = "520102003004";
const R2: &str = "520102007001";

struct Ids {
    a: String,
    b_bad: String,
    c15: String,
    c18: String,
    d_fw: String,
    d: String,
    e: String,
    f: String,
    g: String,
    h: String,
    i: String,
    j: String,
    k: String,
    l: String,
    m: String,
    n: String,
    p: String,
}

fn ids() -> Ids {
    let c18 = resident_id("520102", "19400301", 22);
    let d = resident_id("520102", "19660101", 31);
    let d_fw: String = d
        .chars()
        .map(|c| {
            char::from_u32(c as u32 - '0' as u32 + '０' as u32)
                .filter(|_| c.is_ascii_digit())
                .unwrap_or(c)
        })
        .collect();
    let b = resident_id("520102", "19700505", 11);
    let wrong = if b.ends_with('1') { '2' } else { '1' };
    Ids {
        a: resident_id("520102", "19390101", 1),
        b_bad: format!("{}{wrong}", &b[..17]),
        c15: format!("{}{}", &c18[..6], &c18[8..17]),
        c18,
        d_fw,
        d,
        e: resident_id("520102", "19380202", 41),
        f: resident_id("520102", "19370303", 51),
        g: resident_id("520102", "19360404", 61),
        h: resident_id("520102", "19350505", 71),
        i: resident_id("520102", "19300606", 81),
        j: resident_id("520102", "19540707", 91),
        k: resident_id("520102", "19700808", 101),
        l: resident_id("520102", "19950909", 102),
        m: resident_id("520102", "19751010", 103),
        n: resident_id("520102", "19801111", 104),
        p: resident_id("520102", "19601212", 105),
    }
}

/// The ledger rows, each with its officer.
fn ledger(x: &Ids) -> Vec<Row> {
    let rows = vec![
        // clean: an 85-year-old, enrolled, alive
        row(
            "T01",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.a,
            "张三",
            &card(1),
            "100.00",
        ),
        // clean: a 15-digit legacy id, enrolled in its 18-character form
        row(
            "T02",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.c15,
            "钱七",
            &card(2),
            "100.00",
        ),
        // clean: a full-width id, enrolled in ASCII
        row(
            "T03",
            "FARMLAND",
            "2024",
            "2024-04-12",
            R1,
            &x.d_fw,
            "周八",
            &card(3),
            "1180.00",
        ),
        // GHO001: a wrong check character (enrolled as written, so only GHO001 fires)
        row(
            "T10",
            "FARMLAND",
            "2024",
            "2024-04-12",
            R1,
            &x.b_bad,
            "李四",
            &card(10),
            "1200.00",
        ),
        // GHO002: not in the registry
        row(
            "T20",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.e,
            "吴九",
            &card(20),
            "100.00",
        ),
        row(
            "T21",
            "ELDERLY",
            "2024-02",
            "2024-02-15",
            R1,
            &x.e,
            "吴九",
            &card(20),
            "100.00",
        ),
        // GHO002: enrolled in R2, paid by R1
        row(
            "T22",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.f,
            "郑十",
            &card(22),
            "100.00",
        ),
        // clean: the registry writes the name with a space
        row(
            "T23",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.g,
            "王五",
            &card(23),
            "100.00",
        ),
        // GHO002: the registry has another name
        row(
            "T24",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.h,
            "赵七",
            &card(24),
            "100.00",
        ),
        // GHO003: died 2024-01-10; January and February within the 60 days of grace, March and April not
        row(
            "T30",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.i,
            "孙甲",
            &card(30),
            "200.00",
        ),
        row(
            "T31",
            "ELDERLY",
            "2024-02",
            "2024-02-15",
            R1,
            &x.i,
            "孙甲",
            &card(30),
            "200.00",
        ),
        row(
            "T32",
            "ELDERLY",
            "2024-03",
            "2024-03-15",
            R1,
            &x.i,
            "孙甲",
            &card(30),
            "200.00",
        ),
        row(
            "T33",
            "ELDERLY",
            "2024-04",
            "2024-04-15",
            R1,
            &x.i,
            "孙甲",
            &card(30),
            "200.00",
        ),
        // GHO004: 69 years old, ELDERLY needs 80
        row(
            "T40",
            "ELDERLY",
            "2024-01",
            "2024-01-15",
            R1,
            &x.j,
            "林乙",
            &card(40),
            "100.00",
        ),
        row(
            "T41",
            "ELDERLY",
            "2024-02",
            "2024-02-15",
            R1,
            &x.j,
            "林乙",
            &card(40),
            "100.00",
        ),
        // INS001: the official paid, by himself (critical)
        row(
            "T50",
            "TEKUN",
            "2024-Q1",
            "2024-02-10",
            R1,
            &x.k,
            "王官",
            &card(900),
            "1800.00",
        ),
        // INS002: a relative (relative_of) paid, by another officer (high)
        row(
            "T51",
            "TEKUN",
            "2024-Q1",
            "2024-02-10",
            R1,
            &x.l,
            "王亲",
            &card(51),
            "1800.00",
        ),
        // INS002: someone of the official's household
        row(
            "T52",
            "TEKUN",
            "2024-Q1",
            "2024-02-10",
            R1,
            &x.n,
            "王家",
            &card(52),
            "1800.00",
        )
        .household("HK"),
        // INS003: an ordinary payee's money into the official's card, paid by the official (critical)
        row(
            "T53",
            "FARMLAND",
            "2024",
            "2024-04-12",
            R1,
            &x.p,
            "何丙",
            &card(900),
            "590.00",
        ),
        // GHO005: an account of 9 digits
        row(
            "T60",
            "FARMLAND",
            "2024",
            "2024-04-12",
            R1,
            &x.a,
            "张三",
            "622848123",
            "236.00",
        ),
        // not counted: a reversed payment to the ghost
        row(
            "T61",
            "ELDERLY",
            "2024-03",
            "2024-03-15",
            R1,
            &x.e,
            "吴九",
            &card(20),
            "100.00",
        )
        .status("REVERSED"),
    ];
    rows.into_iter()
        .map(|row| {
            let officer = if row.txn == "T50" || row.txn == "T53" {
                &x.k
            } else {
                &x.m
            };
            row.officer(officer)
        })
        .collect()
}

fn registry(x: &Ids) -> Table {
    let people: Vec<(&str, &str, &str)> = vec![
        (&x.a, "张三", R1),
        (&x.b_bad, "李四", R1),
        (&x.c18, "钱七", R1),
        (&x.d, "周八", R1),
        (&x.f, "郑十", R2),
        (&x.g, "王 五", R1),
        (&x.h, "赵六", R1),
        (&x.i, "孙甲", R1),
        (&x.j, "林乙", R1),
        (&x.k, "王官", R1),
        (&x.l, "王亲", R1),
        (&x.n, "王家", R1),
        (&x.p, "何丙", R1),
        (&x.m, "马丁", R1),
    ];
    let col = |k: usize| -> Vec<Option<&str>> {
        people.iter().map(|p| Some([p.0, p.1, p.2][k])).collect()
    };
    Table::new()
        .col("payee_id", &col(0))
        .col("payee_name", &col(1))
        .col("region", &col(2))
}

fn deaths_table(x: &Ids) -> Table {
    deaths(&[
        (&x.i, "2024-01-10"),
        (&resident_id("520102", "19200101", 1), "2023-05-01"),
    ])
}

fn officials(x: &Ids) -> Table {
    let s = Some;
    Table::new()
        .col(
            "person_id",
            &[s(x.k.as_str()), s(x.l.as_str()), s(x.m.as_str())],
        )
        .col("name", &[s("王官"), s("王亲"), s("马丁")])
        .col("region", &[s(R1), s(R1), s(R1)])
        .col("account", &[Some(card(900)), None, None])
        .col("role", &[s("村主任"), None, s("会计")])
        .col("household_id", &[s("HK"), s("HL"), s("HM")])
        .col("relative_of", &[None, s(x.k.as_str()), None])
}

/// Writes the ledger, config and the three tables (Parquet, or CSV when `csv`) into `dir`.
fn setup(dir: &Path, csv: bool, rg: usize) {
    let x = ids();
    Ledger::new(&ledger(&x))
        .with(&[Col::Officer])
        .row_group_size(rg)
        .write(&dir.join("ledger.parquet"));
    std::fs::write(dir.join("schemes.toml"), SCHEMES).expect("write");
    for (name, t) in [
        ("registry", registry(&x)),
        ("deaths", deaths_table(&x)),
        ("officials", officials(&x)),
    ] {
        if csv {
            t.write_csv(&dir.join(format!("{name}.csv")));
        } else {
            t.row_group_size(3)
                .write(&dir.join(format!("{name}.parquet")));
        }
    }
}

fn opts(dir: &Path, csv: bool) -> ScanOptions {
    let ext = if csv { "csv" } else { "parquet" };
    ScanOptions {
        inputs: vec![dir.join("ledger.parquet")],
        config: Some(dir.join("schemes.toml")),
        registry: Some(dir.join(format!("registry.{ext}"))),
        deaths: Some(dir.join(format!("deaths.{ext}"))),
        officials: Some(dir.join(format!("officials.{ext}"))),
        select: vec!["GHO".into(), "INS".into()],
        threads: Some(2),
        ..ScanOptions::default()
    }
}

type Summary = (String, String, String, Vec<String>, i64);

fn findings(o: &subsidy_audit::Outcome) -> Vec<Summary> {
    o.findings
        .iter()
        .map(|f| {
            (
                f.rule.to_string(),
                f.severity.as_str().to_string(),
                f.subject.clone(),
                f.txn_ids.clone(),
                f.amount_fen,
            )
        })
        .collect()
}

fn expected(x: &Ids) -> Vec<Summary> {
    let f = |rule: &str, sev: &str, subject: &str, txns: &[&str], fen: i64| {
        (
            rule.to_string(),
            sev.to_string(),
            subject.to_string(),
            txns.iter().map(ToString::to_string).collect(),
            fen,
        )
    };
    let mut gho002 = vec![
        f("GHO002", "high", &x.e, &["T20", "T21"], 20_000),
        f("GHO002", "medium", &x.f, &["T22"], 10_000),
        f("GHO002", "medium", &x.h, &["T24"], 10_000),
    ];
    gho002.sort_by(|a, b| a.2.cmp(&b.2));
    let mut ins002 = vec![
        f("INS002", "high", &x.l, &["T51"], 180_000),
        f("INS002", "high", &x.n, &["T52"], 180_000),
    ];
    ins002.sort_by(|a, b| a.2.cmp(&b.2));
    let mut v = vec![f("GHO001", "high", &x.b_bad, &["T10"], 120_000)];
    v.extend(gho002);
    v.push(f("GHO003", "high", &x.i, &["T32", "T33"], 40_000));
    v.push(f("GHO004", "high", &x.j, &["T40", "T41"], 20_000));
    v.push(f("GHO005", "low", "622848123", &["T60"], 0));
    v.push(f("INS001", "critical", &x.k, &["T50"], 180_000));
    v.extend(ins002);
    v.push(f("INS003", "critical", &x.p, &["T53"], 59_000));
    v
}

#[test]
fn each_rule_finds_exactly_its_planted_rows() {
    let d = tempfile::tempdir().expect("tmp");
    setup(d.path(), false, 4);
    let o = scan(&opts(d.path(), false), &|_, _| {}).expect("scan");
    let x = ids();
    assert_eq!(findings(&o), expected(&x));
    let text = |rule: &str| {
        o.findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.explanation.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        text("GHO001").contains("wrong check character"),
        "{}",
        text("GHO001")
    );
    assert!(
        text("GHO003").contains("died on 2024-01-10"),
        "{}",
        text("GHO003")
    );
    assert!(
        text("GHO003").contains("paid for 2 periods after 2024-03-10"),
        "{}",
        text("GHO003")
    );
    assert!(
        text("GHO004").contains("was 69 on 2024-01-15"),
        "{}",
        text("GHO004")
    );
    assert!(
        text("GHO004").contains("requires an age of 80 or more"),
        "{}",
        text("GHO004")
    );
    assert!(text("GHO005").contains("9 digits"), "{}", text("GHO005"));
    assert!(
        text("INS001").contains("self-dealing"),
        "{}",
        text("INS001")
    );
    assert!(
        text("INS002").contains("relative of official 王官"),
        "{}",
        text("INS002")
    );
    assert!(
        text("INS002").contains("household HK"),
        "{}",
        text("INS002")
    );
    assert!(text("INS003").contains(&card(900)), "{}", text("INS003"));
    let s = &o.summary;
    assert_eq!(s.reference_tables["registry"].rows, 14);
    assert_eq!(s.reference_tables["deaths"].keys, 2);
    assert_eq!(s.reference_tables["officials"].format, "parquet");
    assert!(s.timing.reference_load_seconds.contains_key("officials"));
}

#[test]
fn csv_tables_threads_and_batches_give_the_same_findings() {
    let x = ids();
    for (csv, rg, threads, batch) in [(true, 1000, 1, 8192), (false, 1, 3, 7), (true, 5, 2, 3)] {
        let d = tempfile::tempdir().expect("tmp");
        setup(d.path(), csv, rg);
        let mut o = opts(d.path(), csv);
        o.threads = Some(threads);
        o.batch_size = Some(batch);
        let out = scan(&o, &|_, _| {}).expect("scan");
        assert_eq!(
            findings(&out),
            expected(&x),
            "csv {csv} rg {rg} threads {threads} batch {batch}"
        );
        if csv {
            assert_eq!(out.summary.reference_tables["registry"].format, "csv");
        }
    }
}

#[test]
fn thresholds_change_the_grace_and_silence_luhn_and_region() {
    let d = tempfile::tempdir().expect("tmp");
    setup(d.path(), false, 100);
    std::fs::write(
        d.path().join("schemes.toml"),
        format!("{SCHEMES}\n[rules.GHO003]\ngrace_days = 20\n[rules.GHO005]\nmin_length = 9\n"),
    )
    .expect("write");
    let mut o = opts(d.path(), false);
    o.select = vec!["GHO003".into(), "GHO005".into()];
    let out = scan(&o, &|_, _| {}).expect("scan");
    let got: Vec<(String, Vec<String>)> = out
        .findings
        .iter()
        .map(|f| (f.rule.to_string(), f.txn_ids.clone()))
        .collect();
    // with 20 days of grace February (36 days after the death) is posthumous too
    assert_eq!(
        got,
        vec![(
            "GHO003".to_string(),
            vec!["T31".into(), "T32".into(), "T33".into()]
        )]
    );
}

#[test]
fn rules_without_their_table_are_skipped_with_the_reason() {
    let d = tempfile::tempdir().expect("tmp");
    setup(d.path(), false, 100);
    let mut o = opts(d.path(), false);
    o.registry = None;
    o.officials = None;
    let out = scan(&o, &|_, _| {}).expect("scan");
    let skipped: Vec<(String, String)> = out
        .summary
        .rules_skipped
        .iter()
        .map(|s| (s.code.clone(), s.reason.clone()))
        .collect();
    assert_eq!(
        skipped[0],
        (
            "GHO002".into(),
            "no registry table given (--registry)".into()
        )
    );
    assert_eq!(skipped.len(), 4);
    assert!(out.summary.reference_tables.contains_key("deaths"));
    assert!(!out.summary.reference_tables.contains_key("registry"));
    assert!(out
        .findings
        .iter()
        .all(|f| f.rule != "GHO002" && !f.rule.starts_with("INS")));
}

#[test]
fn bad_reference_tables_exit_2_and_name_the_table() {
    let d = tempfile::tempdir().expect("tmp");
    setup(d.path(), false, 100);
    let p = d.path();
    let run = |args: &[&str], config: &Path| {
        let out = bin()
            .arg("scan")
            .arg(p.join("ledger.parquet"))
            .arg("--config")
            .arg(config)
            .arg("--out")
            .arg(p.join("out"))
            .arg("-q")
            .args(args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let cfg = p.join("schemes.toml");
    let missing = p.join("nope.parquet");
    let e = run(&["--registry", missing.to_str().expect("utf8")], &cfg);
    assert!(
        e.contains("registry table") && e.contains("nope.parquet") && e.contains("no such file"),
        "{e}"
    );
    // not Parquet, not CSV
    std::fs::write(p.join("deaths.txt"), "hello").expect("write");
    let e = run(
        &["--deaths", p.join("deaths.txt").to_str().expect("utf8")],
        &cfg,
    );
    assert!(
        e.contains("deaths table") && e.contains("neither a Parquet file"),
        "{e}"
    );
    // a mapped column the file lacks
    let mapped = p.join("mapped.toml");
    std::fs::write(
        &mapped,
        format!("{SCHEMES}\n[officials.columns]\nperson_id = \"工号\"\n"),
    )
    .expect("write");
    let e = run(
        &[
            "--officials",
            p.join("officials.parquet").to_str().expect("utf8"),
        ],
        &mapped,
    );
    assert!(
        e.contains("officials table") && e.contains("`工号`") && e.contains("person_id"),
        "{e}"
    );
    // a CSV without a required column
    Table::new()
        .col("payee_id", &[Some("x")])
        .col("region", &[Some(R1)])
        .write_csv(&p.join("reg.csv"));
    let e = run(
        &["--registry", p.join("reg.csv").to_str().expect("utf8")],
        &cfg,
    );
    assert!(
        e.contains("registry table") && e.contains("reg.csv") && e.contains("`payee_name`"),
        "{e}"
    );
    // a column of the wrong type
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("payee_id", arrow::datatypes::DataType::Utf8, true),
        arrow::datatypes::Field::new("death_date", arrow::datatypes::DataType::Float64, true),
    ]));
    let b = arrow::array::RecordBatch::try_new(
        schema,
        vec![
            std::sync::Arc::new(arrow::array::StringArray::from(vec!["x"])),
            std::sync::Arc::new(arrow::array::Float64Array::from(vec![1.5])),
        ],
    )
    .expect("batch");
    write_batch(&p.join("bad_deaths.parquet"), &b, 10);
    let e = run(
        &[
            "--deaths",
            p.join("bad_deaths.parquet").to_str().expect("utf8"),
        ],
        &cfg,
    );
    assert!(
        e.contains("deaths table") && e.contains("`death_date` has type Float64"),
        "{e}"
    );
    // config paths are relative to the config file
    let via = p.join("via.toml");
    std::fs::write(
        &via,
        format!("{SCHEMES}\n[registry]\npath = \"missing.csv\"\n"),
    )
    .expect("write");
    let e = run(&[], &via);
    assert!(
        e.contains("registry table") && e.contains("missing.csv"),
        "{e}"
    );
}

const MY_KINDS: &[&str] = &[
    "invalid_id",
    "ghost",
    "deceased",
    "age_ineligible",
    "official_match",
];

fn generated(rate: f64, seed: u64) -> (tempfile::TempDir, subsidy_audit::Outcome) {
    let t = tempfile::tempdir().expect("tmp");
    let g = t.path().join("g");
    generate(&GenerateOptions {
        rows: 20_000,
        out: g.clone(),
        seed,
        anomaly_rate: rate,
        row_group_rows: 4096,
        ..GenerateOptions::default()
    })
    .expect("generate");
    let o = ScanOptions {
        inputs: vec![g],
        threads: Some(2),
        ..ScanOptions::default()
    };
    let out = scan(&o, &|_, _| {}).expect("scan");
    (t, out)
}

#[test]
fn generated_ledger_every_planted_payment_is_cited() {
    let (t, out) = generated(0.02, 11);
    let dir = t.path().join("out");
    subsidy_audit::report::write_all(&dir, &out).expect("write");
    let ev = subsidy_audit::evaluate::evaluate(
        &t.path().join("g/truth.parquet"),
        &dir.join("findings.parquet"),
    )
    .expect("evaluate");
    for k in ev
        .kinds
        .iter()
        .filter(|k| MY_KINDS.contains(&k.kind.as_str()))
    {
        assert!(k.planted_payments > 0, "{} not planted", k.kind);
        assert_eq!(k.recall_payment, Some(1.0), "{k:?}");
        assert_eq!(k.recall_subject, Some(1.0), "{k:?}");
    }
    for r in ev
        .rules
        .iter()
        .filter(|r| r.rule.starts_with("GHO") || r.rule.starts_with("INS"))
    {
        assert!(r.precision_payment.is_some_and(|p| p > 0.95), "{r:?}");
    }
}

#[test]
fn clean_generated_ledger_gives_no_finding_of_these_rules() {
    let (_t, out) = generated(0.0, 12);
    let mine: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("GHO") || f.rule.starts_with("INS"))
        .map(|f| (f.rule, f.explanation.clone()))
        .collect();
    assert!(mine.is_empty(), "{mine:?}");
    for code in [
        "GHO001", "GHO002", "GHO003", "GHO004", "GHO005", "INS001", "INS002", "INS003",
    ] {
        assert!(
            out.summary.rules_run.iter().any(|r| r == code),
            "{code} did not run"
        );
    }
}

/// Rewrites a Parquet file as Hive writes it: every Utf8 column as BINARY without the UTF8 annotation, and no
/// Arrow schema in the footer.
fn rewrite_as_hive(path: &Path) {
    use arrow::array::{ArrayRef, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let f = std::fs::File::open(path).expect("open");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet")
        .build()
        .expect("reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    let b = arrow::compute::concat_batches(&batches[0].schema(), &batches).expect("concat");
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for (field, col) in b.schema().fields().iter().zip(b.columns()) {
        if field.data_type() == &DataType::Utf8 {
            fields.push(Field::new(field.name(), DataType::Binary, true));
            cols.push(arrow::compute::cast(col, &DataType::Binary).expect("cast"));
        } else {
            fields.push(field.as_ref().clone());
            cols.push(col.clone());
        }
    }
    let hive = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("batch");
    Parquet::row_groups(4)
        .without_arrow_schema()
        .write(path, &hive);
}

#[test]
fn hive_binary_ledger_and_reference_tables_give_the_same_findings() {
    let x = ids();
    let d = tempfile::tempdir().expect("tmp");
    setup(d.path(), false, 5);
    for name in ["ledger", "registry", "deaths", "officials"] {
        rewrite_as_hive(&d.path().join(format!("{name}.parquet")));
    }
    let out = scan(&opts(d.path(), false), &|_, _| {}).expect("scan");
    assert_eq!(findings(&out), expected(&x));
    assert_eq!(out.summary.reference_tables["registry"].rows, 14);
    assert_eq!(out.summary.rows_with_problems, 0);
}

#[test]
fn gbk_csv_reference_tables_give_the_same_findings() {
    let x = ids();
    let d = tempfile::tempdir().expect("tmp");
    setup(d.path(), true, 5);
    for name in ["registry", "deaths", "officials"] {
        let p = d.path().join(format!("{name}.csv"));
        let text = std::fs::read_to_string(&p).expect("read");
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        std::fs::write(&p, &gbk).expect("write");
    }
    assert!(
        std::str::from_utf8(&std::fs::read(d.path().join("registry.csv")).expect("r")).is_err()
    );
    let out = scan(&opts(d.path(), true), &|_, _| {}).expect("scan");
    assert_eq!(findings(&out), expected(&x));
    assert_eq!(out.summary.reference_tables["registry"].rows, 14);
}
