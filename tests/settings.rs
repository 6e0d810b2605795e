//! The settings real ledgers need (issue 10): `[[exclude]]` row filters, `check --profile`, and `[locale]`
//! (currency, id scheme, region hierarchy), on hand-made ledgers shaped like the public ones: a placeholder id
//! holding most rows, zero amounts, pounds, 5-character and free-text region codes.

mod common;

use common::{bin, row, summary_json, Ledger, Row};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Runs the binary: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let o = bin().args(args).output().expect("run");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn p(x: &Path) -> &str {
    x.to_str().expect("utf-8 path")
}

fn findings(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("findings.jsonl"))
        .expect("findings")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

/// A UK-style farm ledger: `n_placeholder` rows paid to the placeholder id `GB-0000000` (each into its own
/// account, as the 2013 file's suppressed recipients), then `n_real` payees paid once each.
fn placeholder_rows(n_placeholder: usize, n_real: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    for i in 0..n_placeholder {
        rows.push(row(
            &format!("T{i:04}"),
            "SPS",
            "2013",
            "2013-12-01",
            "E0601",
            "GB-0000000",
            "Direct Services",
            &format!("AC{i:05}"),
            "100.00",
        ));
    }
    for i in 0..n_real {
        rows.push(row(
            &format!("U{i:04}"),
            "SPS",
            "2013",
            "2013-12-01",
            "E0601",
            &format!("GB-{:07}", 1000 + i),
            &format!("Farm {i}"),
            &format!("BC{i:05}"),
            &format!("{}.{:02}", 2000 + i * 37, i % 100),
        ));
    }
    rows
}

/// Two files (120 and 80 rows of the placeholder ledger, row groups of 32).
fn placeholder_ledger(dir: &Path) -> PathBuf {
    let rows = placeholder_rows(150, 50);
    let ledger = dir.join("ledger");
    // file a: 100 placeholder rows and 20 real; file b: 50 placeholder rows and 30 real
    let mut a: Vec<Row> = rows[..100].to_vec();
    a.extend_from_slice(&rows[150..170]);
    let mut b: Vec<Row> = rows[100..150].to_vec();
    b.extend_from_slice(&rows[170..]);
    Ledger::new(&a)
        .row_group_size(32)
        .write(&ledger.join("a.parquet"));
    Ledger::new(&b)
        .row_group_size(32)
        .write(&ledger.join("b.parquet"));
    ledger
}

const PLACEHOLDER_FILTER: &str = r#"
[[exclude]]
name = "placeholder ids"
column = "payee_id"
value = "GB-0000000"
"#;

#[test]
fn placeholder_id_profile_warns_and_a_filter_drops_it() {
    let d = tempfile::tempdir().expect("tmp");
    let ledger = placeholder_ledger(d.path());
    // the profile: exact counts, and a warning naming the filter that drops the placeholder
    let (code, out, err) = run(&["check", p(&ledger), "--profile", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let prof: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(prof["rows_read"], 200);
    assert_eq!(prof["rows_excluded"], 0);
    let col = |name: &str| -> Value {
        prof["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .find(|c| c["column"] == name)
            .cloned()
            .expect(name)
    };
    let payee = col("payee_id");
    assert_eq!(payee["distinct"], 51);
    assert_eq!(payee["nulls"], 0);
    assert_eq!(payee["top"][0]["value"], "GB-0000000");
    assert_eq!(payee["top"][0]["rows"], 150);
    assert_eq!(payee["top"][0]["share"], 0.75);
    let account = col("account");
    assert_eq!(account["distinct"], 200);
    let amount = col("amount");
    assert_eq!(amount["range"]["min"], "100.00");
    assert_eq!(amount["range"]["max"], "3813.49");
    assert_eq!(amount["range"]["zero"], 0);
    let region = col("region");
    assert_eq!(region["shapes"][0]["value"], "A9999");
    assert_eq!(region["shapes"][0]["rows"], 200);
    assert_eq!(region["outside_hierarchy"], 200);
    let warnings: Vec<&str> = prof["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let placeholder: Vec<&&str> = warnings
        .iter()
        .filter(|w| w.starts_with("payee_id:"))
        .collect();
    assert_eq!(placeholder.len(), 1, "{warnings:?}");
    assert!(
        placeholder[0].contains("\"GB-0000000\" holds 75.0% of the rows (150 of 200)")
            && placeholder[0].contains("[[exclude]] column = \"payee_id\" value = \"GB-0000000\""),
        "{}",
        placeholder[0]
    );
    // payee_name "Direct Services" holds 150 rows too: flagged, a key column
    assert!(warnings.iter().any(|w| w.starts_with("payee_name:")));
    // the table says the same
    let (code, table, _) = run(&["check", p(&ledger), "--profile"]);
    assert_eq!(code, 0);
    assert!(
        table.contains("payee_id: nulls 0 (0.0%), unreadable 0, distinct 51"),
        "{table}"
    );
    assert!(table.contains("top: GB-0000000 150 (75.0%)"), "{table}");
    assert!(table.contains("shapes: A9999: 100.0%"), "{table}");

    // without the filter the placeholder floods the duplicate rules
    let out1 = d.path().join("out1");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DUP001,DUP002",
        "--out",
        p(&out1),
        "-q",
    ]);
    assert_eq!(code, 1, "{err}");
    let f = findings(&out1);
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|x| x["subject"] == "GB-0000000"), "{f:?}");

    // with it: the rows are excluded, counted per file and per filter, and nothing is found
    let cfg = d.path().join("audit.toml");
    std::fs::write(&cfg, PLACEHOLDER_FILTER).expect("cfg");
    let out2 = d.path().join("out2");
    let (code, stdout, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DUP001,DUP002",
        "--config",
        p(&cfg),
        "--out",
        p(&out2),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains(
            "excluded 150 rows by the config's filters ([[exclude]]): \"placeholder ids\" 150"
        ),
        "{stdout}"
    );
    let s = summary_json(&out2);
    assert_eq!(s["findings"], 0);
    assert_eq!(
        (
            &s["rows_read"],
            &s["rows_scanned"],
            &s["rows_with_problems"],
            &s["rows_excluded"]
        ),
        (
            &Value::from(200),
            &Value::from(50),
            &Value::from(0),
            &Value::from(150)
        )
    );
    assert_eq!(
        s["filters"],
        serde_json::json!([{"name": "placeholder ids", "column": "payee_id", "rows_excluded": 150}])
    );
    let files: Vec<(u64, u64, u64)> = s["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            (
                i["rows_read"].as_u64().expect("n"),
                i["rows_scanned"].as_u64().expect("n"),
                i["rows_excluded"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(files, vec![(120, 20, 100), (80, 30, 50)]);

    // the profile after the filter: no placeholder warning, 50 rows profiled
    let (code, out, _) = run(&[
        "check",
        p(&ledger),
        "--profile",
        "--format",
        "json",
        "--config",
        p(&cfg),
        "--threads",
        "1",
    ]);
    assert_eq!(code, 0);
    let after: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(after["rows_profiled"], 50);
    assert_eq!(after["filters"][0]["rows_excluded"], 150);
    assert!(!after["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w.as_str().is_some_and(|w| w.starts_with("payee_id:"))));
    // the same whatever the thread count
    let (_, out3, _) = run(&[
        "check",
        p(&ledger),
        "--profile",
        "--format",
        "json",
        "--config",
        p(&cfg),
        "--threads",
        "3",
    ]);
    assert_eq!(out, out3);
}

#[test]
fn filters_are_deterministic_whatever_the_thread_count() {
    let d = tempfile::tempdir().expect("tmp");
    let ledger = placeholder_ledger(d.path());
    let cfg = d.path().join("audit.toml");
    std::fs::write(
        &cfg,
        format!(
            "{PLACEHOLDER_FILTER}\n[[exclude]]\ncolumn = \"payee_id\"\npattern = \"GB-000101?\"\n"
        ),
    )
    .expect("cfg");
    let mut seen = Vec::new();
    for threads in ["1", "4"] {
        let out = d.path().join(format!("out{threads}"));
        let (code, _, err) = run(&[
            "scan",
            p(&ledger),
            "--config",
            p(&cfg),
            "--out",
            p(&out),
            "--threads",
            threads,
            "--batch-size",
            "7",
            "-q",
        ]);
        assert!(code <= 1, "{err}");
        let mut s = summary_json(&out);
        s["timing"] = Value::Null;
        seen.push((s, std::fs::read(out.join("findings.jsonl")).expect("f")));
    }
    assert_eq!(seen[0], seen[1]);
    // GB-0001010 ... GB-0001019: ten ids of the pattern
    assert_eq!(seen[0].0["filters"][1]["rows_excluded"], 10);
    assert_eq!(
        seen[0].0["filters"][1]["name"],
        "payee_id like \"GB-000101?\""
    );
    assert_eq!(seen[0].0["rows_excluded"], 160);
}

#[test]
fn zero_amounts_are_excluded_by_a_filter_and_unreadable_ones_stay_problems() {
    let d = tempfile::tempdir().expect("tmp");
    let mut rows = Vec::new();
    // payee P1 paid 0.00 twice for one yearly period (no payment, so no duplicate), a correction of -50.00, a null
    // amount, and clean payments
    for (i, (payee, amount)) in [
        ("P1", "0.00"),
        ("P1", "0.00"),
        ("P2", "0.00"),
        ("P3", "-50.00"),
        ("P4", ""),
        ("P5", "120.00"),
        ("P6", "130.00"),
    ]
    .iter()
    .enumerate()
    {
        rows.push(row(
            &format!("T{i}"),
            "SPS",
            "2013",
            "2013-12-01",
            "E0601",
            payee,
            payee,
            &format!("A{i}"),
            amount,
        ));
    }
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&rows).row_group_size(3).write(&ledger);
    let out0 = d.path().join("out0");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DUP001",
        "--out",
        p(&out0),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    // zero and negative rows are no payment for any rule (keys), but they are still scanned and counted
    assert!(findings(&out0).is_empty());
    let s0 = summary_json(&out0);
    assert_eq!(
        (&s0["rows_zero_amount"], &s0["rows_negative_amount"]),
        (&Value::from(3), &Value::from(1))
    );
    let cfg = d.path().join("audit.toml");
    std::fs::write(
        &cfg,
        "[[exclude]]\nname = \"zero\"\ncolumn = \"amount\"\nzero = true\n\n[[exclude]]\ncolumn = \"amount\"\nbelow = 0.00\n",
    )
    .expect("cfg");
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DUP001",
        "--config",
        p(&cfg),
        "--out",
        p(&out),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let s = summary_json(&out);
    assert_eq!(s["findings"], 0);
    assert_eq!(s["rows_read"], 7);
    assert_eq!(s["rows_excluded"], 4);
    assert_eq!(
        s["rows_with_problems"], 1,
        "the null amount is a problem, not a zero"
    );
    assert_eq!(s["rows_scanned"], 2);
    assert_eq!(
        s["filters"],
        serde_json::json!([
            {"name": "zero", "column": "amount", "rows_excluded": 3},
            {"name": "amount < 0.00", "column": "amount", "rows_excluded": 1}
        ])
    );
}

#[test]
fn filter_config_errors_name_the_file_and_key() {
    let d = tempfile::tempdir().expect("tmp");
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&placeholder_rows(2, 2))
        .row_group_size(10)
        .write(&ledger);
    for (text, want) in [
        (
            "[[exclude]]\ncolumn = \"payee\"\nvalue = \"x\"\n",
            "exclude[1].column: unknown canonical column `payee`",
        ),
        (
            "[[exclude]]\ncolumn = \"payee_id\"\n",
            "exclude[1]: no condition",
        ),
        (
            "[[exclude]]\ncolumn = \"payee_id\"\nvalue = \"x\"\nvalues = [\"y\"]\n",
            "exclude[1]: two conditions (value, values)",
        ),
        (
            "[[exclude]]\ncolumn = \"pay_date\"\nafter = \"2024-02-30\"\n",
            "exclude[1].after: must be a date YYYY-MM-DD",
        ),
        (
            "[[exclude]]\ncolumn = \"scheme\"\nabove = 3\n",
            "exclude[1].above: `above` applies to the amount column only",
        ),
        (
            "[[exclude]]\ncolumn = \"officer_id\"\nvalue = \"x\"\n",
            "exclude[1].column: the ledger has no column `officer_id`",
        ),
    ] {
        let cfg = d.path().join("bad.toml");
        std::fs::write(&cfg, text).expect("cfg");
        let out = d.path().join("out");
        let (code, _, err) = run(&[
            "scan",
            p(&ledger),
            "--config",
            p(&cfg),
            "--out",
            p(&out),
            "-q",
        ]);
        assert_eq!(code, 2, "{text}");
        assert!(err.contains("bad.toml") && err.contains(want), "{err}");
        assert!(!out.join("summary.json").exists());
    }
}

/// Findings in several rules' words: duplicate payments, two accounts, a shared account, a split.
fn pounds_rows() -> Vec<Row> {
    vec![
        row(
            "T1",
            "SPS",
            "2013",
            "2013-03-01",
            "E0601",
            "GB-1000001",
            "T G Redsell Ltd",
            "40-11-22 1111",
            "1177332.82",
        ),
        row(
            "T2",
            "SPS",
            "2013",
            "2013-06-01",
            "E0601",
            "GB-1000001",
            "T G Redsell Ltd",
            "40-11-22 2222",
            "1177332.82",
        ),
        row(
            "T3",
            "SPS",
            "2013",
            "2013-03-01",
            "E0602",
            "GB-1000002",
            "Yuan Farms",
            "40-11-22 3333",
            "75.00",
        ),
        row(
            "T4",
            "SPS",
            "2013",
            "2013-03-01",
            "E0602",
            "GB-1000003",
            "A N Other",
            "40-11-22 3333",
            "75.00",
        ),
        row(
            "T5",
            "SPS",
            "2013",
            "2013-03-01",
            "E0603",
            "GB-1000004",
            "B Farm",
            "40-11-22 3333",
            "75.00",
        ),
        row(
            "T6",
            "SPS",
            "2013",
            "2013-03-01",
            "E0603",
            "GB-1000005",
            "C Farm",
            "40-11-22 4444",
            "80.00",
        ),
    ]
}

#[test]
fn pounds_appear_everywhere_and_yuan_nowhere() {
    let d = tempfile::tempdir().expect("tmp");
    let rows = pounds_rows();
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&rows).row_group_size(4).write(&ledger);
    let cfg = d.path().join("uk.toml");
    std::fs::write(&cfg, "[locale]\ncurrency = \"GBP\"\nid_scheme = \"none\"\n").expect("cfg");
    for format in ["table", "json", "csv"] {
        let out = d.path().join(format!("out-{format}"));
        let (code, stdout, err) = run(&[
            "scan",
            p(&ledger),
            "--config",
            p(&cfg),
            "--out",
            p(&out),
            "--format",
            format,
        ]);
        assert_eq!(code, 1, "{err}");
        // "Yuan Farms" is a payee's name; the currency word never appears
        let scrub = |s: &str| s.replace("Yuan Farms", "");
        assert!(
            !scrub(&stdout).to_lowercase().contains("yuan"),
            "{format}: {stdout}"
        );
        if format == "table" {
            assert!(stdout.contains("GBP at risk"), "{stdout}");
        }
        for name in ["findings.jsonl", "cases.csv", "cases.jsonl", "summary.json"] {
            let text = std::fs::read_to_string(out.join(name)).expect(name);
            assert!(
                !scrub(&text).to_lowercase().contains("yuan"),
                "{name}: {text}"
            );
        }
        let parquet = std::fs::read(out.join("findings.parquet")).expect("parquet");
        let lossy = String::from_utf8_lossy(&parquet)
            .to_lowercase()
            .replace("yuan farms", "");
        assert!(!lossy.contains("yuan"), "findings.parquet names yuan");
        let f = findings(&out);
        let dup = f.iter().find(|x| x["rule"] == "DUP001").expect("DUP001");
        assert!(
            dup["explanation"]
                .as_str()
                .is_some_and(|e| e.contains("(2354665.64 GBP)")
                    && e.ends_with("1177332.82 GBP paid beyond the allowance")),
            "{dup}"
        );
        assert_eq!(dup["amount"], "1177332.82");
        assert_eq!(dup["currency"], "GBP");
        assert!(dup.get("amount_yuan").is_none());
        assert_eq!(summary_json(&out)["currency"], "GBP");
    }
}

#[test]
fn default_currency_keeps_yuan_outputs() {
    let d = tempfile::tempdir().expect("tmp");
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&pounds_rows()).row_group_size(4).write(&ledger);
    let out = d.path().join("out");
    let (code, stdout, _) = run(&["scan", p(&ledger), "--select", "DUP001", "--out", p(&out)]);
    assert_eq!(code, 1);
    assert!(stdout.contains("yuan at risk"), "{stdout}");
    let f = findings(&out);
    assert_eq!(f[0]["amount_yuan"], "1177332.82");
    assert!(f[0].get("currency").is_none());
    assert!(f[0]["explanation"]
        .as_str()
        .is_some_and(|e| e.ends_with("1177332.82 yuan paid beyond the allowance")));
}

/// 150 payments in one region: 30 payees paid the same 777.00, 120 paid amounts that differ.
fn repeated_amount_rows(regions: &[&str]) -> Vec<Row> {
    (0..150)
        .map(|i| {
            let amount = if i < 30 {
                "777.00".to_string()
            } else {
                format!("{}.{:02}", 1000 + i * 13, i % 97)
            };
            row(
                &format!("T{i:03}"),
                "SPS",
                "2013",
                "2013-03-01",
                regions[i % regions.len()],
                &format!("GB-{i:07}"),
                &format!("Farm {i}"),
                &format!("AC{i:05}"),
                &amount,
            )
        })
        .collect()
}

#[test]
fn region_codes_outside_the_hierarchy_are_never_cut_into_units() {
    let d = tempfile::tempdir().expect("tmp");
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&repeated_amount_rows(&["Direct Services"]))
        .row_group_size(64)
        .write(&ledger);
    let out = d.path().join("out");
    let (code, stdout, err) = run(&["scan", p(&ledger), "--select", "DIG002", "--out", p(&out)]);
    assert_eq!(code, 0, "{err}");
    let f = findings(&out);
    assert!(f.is_empty(), "no `Direct` or `Direct Se` unit: {f:?}");
    assert_eq!(summary_json(&out)["region_codes_outside_hierarchy"], 150);
    assert!(
        stdout.contains("150 rows have region codes outside the region hierarchy"),
        "{stdout}"
    );
    // 12-digit codes still make counties and townships
    let ledger12 = d.path().join("ledger12.parquet");
    Ledger::new(&repeated_amount_rows(&["110105001002"]))
        .row_group_size(64)
        .write(&ledger12);
    let out12 = d.path().join("out12");
    run(&[
        "scan",
        p(&ledger12),
        "--select",
        "DIG002",
        "--out",
        p(&out12),
        "-q",
    ]);
    let mut subjects: Vec<String> = findings(&out12)
        .iter()
        .map(|x| x["subject"].as_str().unwrap_or("").to_string())
        .collect();
    subjects.sort();
    assert_eq!(subjects, vec!["110105", "110105001"]);
    assert_eq!(summary_json(&out12)["region_codes_outside_hierarchy"], 0);
}

#[test]
fn five_character_codes_with_prefix_levels_make_the_right_units() {
    let d = tempfile::tempdir().expect("tmp");
    let ledger = d.path().join("ledger.parquet");
    // E0601 and E0602: county E0 (first 2 characters), township E060 (first 4) holds both
    Ledger::new(&repeated_amount_rows(&["E0601", "E0602"]))
        .row_group_size(64)
        .write(&ledger);
    let cfg = d.path().join("uk.toml");
    std::fs::write(&cfg, "[locale.region]\nlevels = [2, 4]\n").expect("cfg");
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DIG002",
        "--config",
        p(&cfg),
        "--out",
        p(&out),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut units: Vec<(String, String)> = findings(&out)
        .iter()
        .map(|x| {
            let e = x["explanation"].as_str().unwrap_or("");
            (
                e.split(':').next().unwrap_or("").to_string(),
                x["subject"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    units.sort();
    assert_eq!(
        units,
        vec![
            ("county E0".to_string(), "E0".to_string()),
            ("township E060".to_string(), "E060".to_string())
        ]
    );
    assert_eq!(summary_json(&out)["region_codes_outside_hierarchy"], 0);
    // region = "none": the county and township tests have no unit; DIG002 is skipped with the reason
    std::fs::write(&cfg, "[locale]\nregion = \"none\"\n").expect("cfg");
    let out2 = d.path().join("out2");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DIG002",
        "--config",
        p(&cfg),
        "--out",
        p(&out2),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let s = summary_json(&out2);
    assert_eq!(s["rules_skipped"][0]["code"], "DIG002");
    assert!(s["rules_skipped"][0]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("[locale] region")));
}

#[test]
fn id_scheme_none_skips_gho001_with_its_reason() {
    let d = tempfile::tempdir().expect("tmp");
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&pounds_rows()).row_group_size(4).write(&ledger);
    // by default the UK ids are invalid resident ids
    let out0 = d.path().join("out0");
    run(&[
        "scan",
        p(&ledger),
        "--select",
        "GHO001",
        "--out",
        p(&out0),
        "-q",
    ]);
    assert_eq!(summary_json(&out0)["findings_per_rule"]["GHO001"], 5);
    let cfg = d.path().join("uk.toml");
    std::fs::write(&cfg, "[locale]\nid_scheme = \"none\"\n").expect("cfg");
    let out = d.path().join("out");
    let (code, stdout, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "GHO",
        "--config",
        p(&cfg),
        "--out",
        p(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    let s = summary_json(&out);
    let reason = "payee ids are not resident identity numbers ([locale] id_scheme = \"none\")";
    assert!(
        s["rules_skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|k| k["code"] == "GHO001" && k["reason"] == reason),
        "{s}"
    );
    assert!(
        stdout.contains(&format!("rule skipped: GHO001 ({reason})")),
        "{stdout}"
    );
    assert!(!s["rules_run"]
        .as_array()
        .expect("run")
        .iter()
        .any(|c| c == "GHO001"));
    let (code, check, _) = run(&["check", p(&ledger), "--config", p(&cfg)]);
    assert_eq!(code, 0);
    assert!(check.contains(&format!("skipped: {reason}")), "{check}");
    assert!(
        check.contains("locale: currency yuan, id scheme none"),
        "{check}"
    );
}

#[test]
fn id_scheme_none_takes_ages_from_the_birth_date_column() {
    let d = tempfile::tempdir().expect("tmp");
    // an ELDERLY payee whose id is an 18-character resident id born 1990 but whose birth_date says 1930: by
    // default the id decides (too young); with id_scheme none the column does (old enough)
    let id = common::resident_id("110105", "19900101", 1);
    let rows = vec![row(
        "T1",
        "ELDERLY",
        "2024-01",
        "2024-01-05",
        "110105001002",
        &id,
        "王五",
        "A1",
        "100.00",
    )];
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&rows)
        .text_column("birth_date", &[Some("1930-01-01")])
        .row_group_size(4)
        .write(&ledger);
    let cfg = d.path().join("c.toml");
    std::fs::write(&cfg, common::SCHEMES).expect("cfg");
    let out = d.path().join("out");
    run(&[
        "scan",
        p(&ledger),
        "--select",
        "GHO004",
        "--config",
        p(&cfg),
        "--out",
        p(&out),
        "-q",
    ]);
    assert_eq!(summary_json(&out)["findings"], 1);
    std::fs::write(
        &cfg,
        format!("{}\n[locale]\nid_scheme = \"none\"\n", common::SCHEMES),
    )
    .expect("cfg");
    let out2 = d.path().join("out2");
    run(&[
        "scan",
        p(&ledger),
        "--select",
        "GHO004",
        "--config",
        p(&cfg),
        "--out",
        p(&out2),
        "-q",
    ]);
    assert_eq!(summary_json(&out2)["findings"], 0);
}

#[test]
fn county_and_township_columns_make_the_units() {
    let d = tempfile::tempdir().expect("tmp");
    let rows = repeated_amount_rows(&["Direct Services"]);
    let ledger = d.path().join("ledger.parquet");
    let district: Vec<Option<&str>> = vec![Some("Kent"); rows.len()];
    let ward: Vec<Option<&str>> = (0..rows.len())
        .map(|i| Some(if i < 120 { "Kent North" } else { "Kent South" }))
        .collect();
    Ledger::new(&rows)
        .text_column("district", &district)
        .text_column("ward", &ward)
        .row_group_size(64)
        .write(&ledger);
    let cfg = d.path().join("uk.toml");
    std::fs::write(
        &cfg,
        "[locale.region]\ncounty_column = \"district\"\ntownship_column = \"ward\"\n",
    )
    .expect("cfg");
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DIG002",
        "--config",
        p(&cfg),
        "--out",
        p(&out),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut subjects: Vec<String> = findings(&out)
        .iter()
        .map(|x| x["subject"].as_str().unwrap_or("").to_string())
        .collect();
    subjects.sort();
    // the county and the ward Kent North hold all 30 repeats; Kent South has 30 amounts (< min_amounts 100)
    assert_eq!(subjects, vec!["Kent", "Kent North"]);
    assert_eq!(summary_json(&out)["region_codes_outside_hierarchy"], 0);
    // the column must exist
    std::fs::write(&cfg, "[locale.region]\ncounty_column = \"borough\"\n").expect("cfg");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--config",
        p(&cfg),
        "--out",
        p(&out),
        "-q",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("borough"), "{err}");
}

#[test]
fn a_value_the_filters_drop_floods_nothing() {
    // 1,500 rows of the placeholder id and 500 real payees: the id floods payee_id, until the filter drops it
    let d = tempfile::tempdir().expect("tmp");
    let ledger = d.path().join("ledger.parquet");
    Ledger::new(&placeholder_rows(1500, 500))
        .row_group_size(256)
        .write(&ledger);
    let out1 = d.path().join("out1");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DUP001",
        "--out",
        p(&out1),
        "-q",
        "--exit-zero",
    ]);
    assert_eq!(code, 0, "{err}");
    let s1 = summary_json(&out1);
    let floods = s1["floods"].as_array().expect("floods");
    let ids: Vec<&Value> = floods
        .iter()
        .filter(|f| f["column"] == "payee_id")
        .collect();
    assert_eq!(ids.len(), 1, "{floods:?}");
    assert_eq!(
        (&ids[0]["value"], &ids[0]["count"], &ids[0]["of"]),
        (
            &Value::from("GB-0000000"),
            &Value::from(1500),
            &Value::from(2000)
        )
    );
    let config = d.path().join("audit.toml");
    std::fs::write(&config, PLACEHOLDER_FILTER).expect("config");
    let out2 = d.path().join("out2");
    let (code, _, err) = run(&[
        "scan",
        p(&ledger),
        "--select",
        "DUP001",
        "--config",
        p(&config),
        "--out",
        p(&out2),
        "-q",
        "--exit-zero",
    ]);
    assert_eq!(code, 0, "{err}");
    let s2 = summary_json(&out2);
    assert_eq!(s2["rows_excluded"], 1500);
    assert!(
        s2["floods"]
            .as_array()
            .is_none_or(|f| f.iter().all(|f| f["column"] != "payee_id")),
        "{}",
        s2["floods"]
    );
}
