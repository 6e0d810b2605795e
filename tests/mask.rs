//! Masked copies (`scan --mask`, `mask IN --out OUT`) over the demo ledger: every byte of every output (Parquet
//! decompressed and read value by value, a workbook unzipped entry by entry) holds no identity number, name or
//! card number of the ledger; the key is never written; pseudonyms join one payee's rows; masking is
//! deterministic; without a key nothing runs (exit 2).

mod common;

use arrow::array::{Array, ListArray, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use common::bin;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use subsidy_audit::mask::{MaskKey, Masker, KEY_ENV};

const KEY: &str = "mask-test-key-0123456789abcdef";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// Every text value of the named columns of a Parquet file (any string or dictionary type).
fn column_texts(path: &Path, columns: &[&str]) -> BTreeMap<String, Vec<String>> {
    let f = std::fs::File::open(path).expect("open");
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in reader {
        let b = b.expect("batch");
        for name in columns {
            let Some(col) = b.column_by_name(name) else {
                continue;
            };
            let col = arrow::compute::cast(col, &DataType::Utf8).expect("cast");
            let s = col.as_any().downcast_ref::<StringArray>().expect("strings");
            out.entry((*name).to_string())
                .or_default()
                .extend(s.iter().flatten().map(str::to_string));
        }
    }
    out
}

/// What must never appear in a masked output: every identity number (as written and canonical), every name and
/// every card number of the demo ledger, and of the officials table.
struct Sensitive {
    ids: BTreeSet<String>,
    names: BTreeSet<String>,
    accounts: BTreeSet<String>,
}

fn sensitive() -> Sensitive {
    let mut s = Sensitive {
        ids: BTreeSet::new(),
        names: BTreeSet::new(),
        accounts: BTreeSet::new(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(demo().join("ledger"))
        .expect("ledger")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let t = column_texts(f, &["payee_id", "payee_name", "account"]);
        for id in &t["payee_id"] {
            let id = id.trim();
            s.ids.insert(id.to_string());
            s.ids
                .insert(subsidy_audit::ident::canonical_id(id).into_owned());
        }
        s.names
            .extend(t["payee_name"].iter().map(|n| n.trim().to_string()));
        s.accounts
            .extend(t["account"].iter().map(|a| a.trim().to_string()));
    }
    let o = column_texts(&demo().join("officials.parquet"), &["person_id", "name"]);
    s.ids
        .extend(o["person_id"].iter().map(|x| x.trim().to_string()));
    s.names
        .extend(o["name"].iter().map(|x| x.trim().to_string()));
    // one character (a name of one Han character) or a short account would be found inside masked forms
    // (`王*`, the last four digits): those are checked by the unit tests of the forms
    s.names.retain(|n| n.chars().count() >= 2);
    s.accounts.retain(|a| a.chars().count() >= 8);
    s.ids.retain(|i| i.chars().count() >= 8);
    assert!(s.ids.len() > 2000 && s.names.len() > 1000 && s.accounts.len() > 2000);
    s
}

/// Every text of an output folder, by file: a Parquet file's every string value (decompressed), a workbook's
/// every entry (unzipped), any other file's bytes.
fn output_texts(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("out")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        assert!(p.is_file(), "{name}: only outputs are left in the folder");
        let text = match p.extension().and_then(|e| e.to_str()) {
            Some("parquet") => parquet_strings(&p),
            Some("xlsx") => zip_entries(&p),
            _ => String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned(),
        };
        out.push((name, text));
    }
    out
}

fn parquet_strings(p: &Path) -> String {
    let f = std::fs::File::open(p).expect("open");
    let b = ParquetRecordBatchReaderBuilder::try_new(f).expect("parquet");
    let mut text: String = b
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .map(|kv| format!("{}={}\n", kv.key, kv.value.as_deref().unwrap_or("")))
        .collect();
    let batches: Vec<RecordBatch> = b
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches");
    for batch in batches {
        for col in batch.columns() {
            if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
                for v in s.iter().flatten() {
                    text.push_str(v);
                    text.push('\n');
                }
            } else if let Some(l) = col.as_any().downcast_ref::<ListArray>() {
                let values = l.values();
                let s = values
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("list of text");
                for v in s.iter().flatten() {
                    text.push_str(v);
                    text.push('\n');
                }
            }
        }
    }
    text
}

fn zip_entries(p: &Path) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(p).expect("open")).expect("zip");
    let mut text = String::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).expect("entry");
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).expect("unzip");
        text.push_str(&String::from_utf8_lossy(&bytes));
        text.push('\n');
    }
    text
}

/// The sensitive values found in the folder's texts, as `file: kind value` (every substring of every length a
/// value has is looked up).
fn leaks(dir: &Path, s: &Sensitive) -> Vec<String> {
    leaks_in(output_texts(dir), s)
}

/// The sensitive values found in the texts `(where, text)`.
fn leaks_in(texts: Vec<(String, String)>, s: &Sensitive) -> Vec<String> {
    let mut kinds: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for (kind, set) in [("id", &s.ids), ("name", &s.names), ("account", &s.accounts)] {
        for v in set {
            kinds.entry(v.as_str()).or_insert(kind);
        }
    }
    let lens: BTreeSet<usize> = kinds.keys().map(|k| k.len()).collect();
    let mut found = BTreeSet::new();
    for (file, text) in texts {
        for (i, _) in text.char_indices() {
            for &l in &lens {
                let Some(w) = text.get(i..i + l) else {
                    continue;
                };
                if let Some(kind) = kinds.get(w) {
                    found.insert(format!("{file}: {kind} {w}"));
                }
            }
        }
    }
    found.into_iter().collect()
}

fn scan(out: &Path, mask: bool) -> assert_cmd::Command {
    let mut c = bin();
    c.arg("scan")
        .arg(demo())
        .arg("--out")
        .arg(out)
        .arg("-q")
        .env_remove(KEY_ENV);
    if mask {
        c.arg("--mask").env(KEY_ENV, KEY);
    }
    c
}

fn mask(input: &Path, out: &Path) -> assert_cmd::Command {
    let mut c = bin();
    c.arg("mask")
        .arg(input)
        .arg("--out")
        .arg(out)
        .env(KEY_ENV, KEY);
    c
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn jsonl(p: &Path) -> Vec<serde_json::Value> {
    String::from_utf8(read(p))
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn summary_without_timing(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("summary.json"))).expect("json");
    v.as_object_mut().expect("object").remove("timing");
    v
}

/// Every output but `summary.json` byte for byte, and `summary.json` but its `timing`; the workbook and the page
/// only `scan --mask` writes (the `mask` command cannot mask them from the file) are left out.
fn assert_same_outputs(a: &Path, b: &Path) {
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = output_texts(d)
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n != "report.xlsx" && n != "report.html")
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(a), names(b));
    for n in names(a) {
        if n == "summary.json" {
            assert_eq!(summary_without_timing(a), summary_without_timing(b));
        } else {
            assert!(read(&a.join(&n)) == read(&b.join(&n)), "{n} differs");
        }
    }
}

#[test]
fn scan_mask_leaves_no_id_name_or_card_of_the_ledger_in_any_output() {
    let s = sensitive();
    let d = tempfile::tempdir().expect("tmp");
    let (plain, masked) = (d.path().join("plain"), d.path().join("masked"));
    scan(&plain, false).assert().code(1);
    scan(&masked, true).assert().code(1).stdout("");
    // the check has teeth: the unmasked outputs hold ids, names and cards in every file but hotspots.csv
    let before = leaks(&plain, &s);
    for (file, kinds) in [
        ("findings.parquet", ["id", "name", "account"].as_slice()),
        ("findings.jsonl", &["id", "name", "account"]),
        ("cases.csv", &["id", "name", "account"]),
        ("cases.jsonl", &["id", "name", "account"]),
    ] {
        for k in kinds {
            assert!(
                before
                    .iter()
                    .any(|l| l.starts_with(&format!("{file}: {k} "))),
                "the unmasked {file} names no {k}?"
            );
        }
    }
    let outputs: Vec<String> = output_texts(&masked).into_iter().map(|(n, _)| n).collect();
    for n in subsidy_audit::mask::MASKABLE {
        assert!(outputs.contains(&(*n).to_string()), "{n} written");
    }
    let found = leaks(&masked, &s);
    assert!(
        found.is_empty(),
        "unmasked in the masked outputs: {found:#?}"
    );
    // what the scan prints is masked too: the table, the summary and cases as JSON, the cases as CSV
    for format in ["table", "json", "csv"] {
        let out = bin()
            .arg("scan")
            .arg(demo())
            .arg("--out")
            .arg(d.path().join(format))
            .args(["--mask", "--format", format])
            .env(KEY_ENV, KEY)
            .assert()
            .code(1);
        let printed = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(printed.contains("~P"), "{format}: {printed}");
        let found = leaks_in(vec![(format.to_string(), printed)], &s);
        assert!(found.is_empty(), "{format}: {found:#?}");
    }
    // the forms and the pseudonyms are there
    let findings = String::from_utf8(read(&masked.join("findings.jsonl"))).expect("utf-8");
    assert!(findings.contains("********") && findings.contains("~P") && findings.contains("~A"));
    let summary = summary_without_timing(&masked);
    let key_id = summary["masked"]["key_id"].as_str().expect("masked.key_id");
    assert_eq!(
        key_id,
        Masker::new(&MaskKey::new(KEY).expect("key")).info().key_id
    );
    // case ids are keyed (an unkeyed hash of the unmasked subjects would give a one-payee case's id back):
    // each masked case id is the key's MAC of the plain one, and the findings join their cases by it
    let ids = |d: &Path| -> Vec<String> {
        jsonl(&d.join("cases.jsonl"))
            .iter()
            .map(|c| c["case_id"].as_str().expect("id").to_string())
            .collect()
    };
    let m = Masker::new(&MaskKey::new(KEY).expect("key"));
    let keyed: Vec<String> = ids(&plain).iter().map(|c| m.case_id(c)).collect();
    assert_eq!(ids(&masked), keyed);
    assert!(ids(&plain).iter().all(|c| !ids(&masked).contains(c)));
    let finding_cases: std::collections::BTreeSet<String> = jsonl(&masked.join("findings.jsonl"))
        .iter()
        .map(|f| f["case_id"].as_str().expect("id").to_string())
        .collect();
    let case_ids: std::collections::BTreeSet<String> = ids(&masked).into_iter().collect();
    assert_eq!(finding_cases, case_ids);
}

/// The workbook in Chinese shows the Chinese explanations, masked as the English ones are.
#[test]
fn scan_mask_in_chinese_leaves_no_id_name_or_card_in_the_workbook() {
    let s = sensitive();
    let d = tempfile::tempdir().expect("tmp");
    let (plain, masked) = (d.path().join("plain"), d.path().join("masked"));
    scan(&plain, false).args(["--lang", "zh"]).assert().code(1);
    scan(&masked, true).args(["--lang", "zh"]).assert().code(1);
    let book = |d: &Path| zip_entries(&d.join("report.xlsx"));
    // the check has teeth: the unmasked Chinese workbook names ids and names in its explanations
    assert!(book(&plain).contains("获发") && book(&masked).contains("获发"));
    let before = leaks(&plain, &s);
    assert!(
        before.iter().any(|l| l.starts_with("report.xlsx: name ")),
        "{before:#?}"
    );
    let found = leaks(&masked, &s);
    assert!(
        found.is_empty(),
        "unmasked in the masked outputs: {found:#?}"
    );
}

#[test]
fn mask_command_masks_an_unmasked_folder_as_scan_mask_does() {
    let s = sensitive();
    let d = tempfile::tempdir().expect("tmp");
    let (plain, copy, masked) = (
        d.path().join("plain"),
        d.path().join("copy"),
        d.path().join("masked"),
    );
    scan(&plain, false).assert().code(1);
    mask(&plain, &copy)
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "masked findings.parquet, findings.jsonl",
        ));
    let found = leaks(&copy, &s);
    assert!(found.is_empty(), "unmasked in the masked copy: {found:#?}");
    // the same bytes as a masked scan (summary.json's timing aside, which differs between any two runs)
    scan(&masked, true).assert().code(1);
    assert_same_outputs(&copy, &masked);
    // the originals are untouched
    assert!(!leaks(&plain, &s).is_empty());
}

#[test]
fn the_key_is_never_written() {
    let d = tempfile::tempdir().expect("tmp");
    let cfg = d.path().join("mask.toml");
    std::fs::write(&cfg, format!("[mask]\nkey = \"{KEY}\"\n")).expect("config");
    let (by_env, by_config, copy, plain) = (
        d.path().join("env"),
        d.path().join("config"),
        d.path().join("copy"),
        d.path().join("plain"),
    );
    let out = scan(&by_env, true)
        .arg("--format")
        .arg("json")
        .assert()
        .code(1);
    let o = out.get_output();
    let out2 = bin()
        .arg("scan")
        .arg(demo())
        .arg("--out")
        .arg(&by_config)
        .arg("--config")
        .arg(&cfg)
        .arg("--mask")
        .env_remove(KEY_ENV)
        .assert()
        .code(1);
    scan(&plain, false).assert().code(1);
    let out3 = bin()
        .arg("mask")
        .arg(&plain)
        .arg("--out")
        .arg(&copy)
        .arg("--config")
        .arg(&cfg)
        .env_remove(KEY_ENV)
        .assert()
        .code(0);
    let hex: String = KEY.bytes().map(|b| format!("{b:02x}")).collect();
    for dir in [&by_env, &by_config, &copy] {
        for (file, text) in output_texts(dir) {
            assert!(
                !text.contains(KEY) && !text.contains(&hex),
                "{file} holds the key"
            );
        }
    }
    for o in [o, out2.get_output(), out3.get_output()] {
        for stream in [&o.stdout, &o.stderr] {
            assert!(!String::from_utf8_lossy(stream).contains(KEY));
        }
    }
    // the key from the config or the environment: one key, the same pseudonyms
    assert_eq!(
        read(&by_env.join("findings.jsonl")),
        read(&by_config.join("findings.jsonl"))
    );
    // the key is no part of the config hash
    let hash = |dir: &Path| summary_without_timing(dir)["config_hash"].clone();
    let cfg2 = d.path().join("mask2.toml");
    std::fs::write(&cfg2, "[mask]\nkey = \"another-key-0123456789\"\n").expect("config");
    let other = d.path().join("other");
    bin()
        .arg("scan")
        .arg(demo())
        .arg("--out")
        .arg(&other)
        .arg("--config")
        .arg(&cfg2)
        .arg("--mask")
        .arg("-q")
        .env_remove(KEY_ENV)
        .assert()
        .code(1);
    assert_eq!(hash(&by_config), hash(&other));
    assert_ne!(
        read(&by_config.join("findings.jsonl")),
        read(&other.join("findings.jsonl"))
    );
}

#[test]
fn findings_of_one_payee_carry_one_pseudonym_and_distinct_payees_distinct_ones() {
    let d = tempfile::tempdir().expect("tmp");
    let (plain, masked) = (d.path().join("plain"), d.path().join("masked"));
    scan(&plain, false).assert().code(1);
    scan(&masked, true).assert().code(1);
    let (p, m) = (
        jsonl(&plain.join("findings.jsonl")),
        jsonl(&masked.join("findings.jsonl")),
    );
    assert_eq!(p.len(), m.len());
    // masking keeps the order: subject i of one is subject i of the other
    let mut by_subject: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let masker = Masker::new(&MaskKey::new(KEY).expect("key"));
    for (a, b) in p.iter().zip(&m) {
        assert_eq!(
            masker.case_id(a["case_id"].as_str().expect("id")),
            b["case_id"].as_str().expect("id")
        );
        assert_eq!(a["txn_ids"], b["txn_ids"]);
        by_subject
            .entry((
                a["subject_kind"].as_str().expect("kind").to_string(),
                a["subject"].as_str().expect("subject").to_string(),
            ))
            .or_default()
            .insert(b["subject"].as_str().expect("subject").to_string());
    }
    // one masked subject per subject, none shared by two
    let masked_subjects: Vec<&String> = by_subject.values().flatten().collect();
    assert!(by_subject.values().all(|v| v.len() == 1));
    let distinct: BTreeSet<&String> = masked_subjects.iter().copied().collect();
    assert_eq!(distinct.len(), masked_subjects.len());
    // a payee of four findings (DUP001, DUP004, AMT001, GHO002): one pseudonym, the library's
    let id = "110101196205035536";
    let pseudonym = Masker::new(&MaskKey::new(KEY).expect("key")).pseudonym(id);
    let subject = format!("110101********5536~{pseudonym}");
    let of_payee: Vec<&serde_json::Value> = p
        .iter()
        .zip(&m)
        .filter(|(a, _)| a["subject"] == id)
        .map(|(_, b)| b)
        .collect();
    assert!(of_payee.len() >= 2, "{}", of_payee.len());
    for f in &of_payee {
        assert_eq!(f["subject"], subject.as_str());
        assert!(f["explanation"]
            .as_str()
            .expect("text")
            .contains(&pseudonym));
    }
    // and the case lists it as `payee:…~P…`
    let cases = jsonl(&masked.join("cases.jsonl"));
    let case = cases
        .iter()
        .find(|c| c["case_id"] == of_payee[0]["case_id"])
        .expect("case");
    assert!(case["subjects"]
        .as_array()
        .expect("subjects")
        .contains(&serde_json::Value::from(format!("payee:{subject}"))));
}

#[test]
fn masking_is_deterministic() {
    let d = tempfile::tempdir().expect("tmp");
    let p = |n: &str| d.path().join(n);
    scan(&p("a"), true).assert().code(1);
    scan(&p("b"), true)
        .arg("--threads")
        .arg("1")
        .assert()
        .code(1);
    assert_same_outputs(&p("a"), &p("b"));
    // the mask command: the same key, the same bytes, summary.json included
    scan(&p("plain"), false).assert().code(1);
    mask(&p("plain"), &p("c")).assert().code(0);
    mask(&p("plain"), &p("d")).assert().code(0);
    for (n, _) in output_texts(&p("c")) {
        assert!(read(&p("c").join(&n)) == read(&p("d").join(&n)), "{n}");
    }
    // another key: other pseudonyms, other case ids
    mask(&p("plain"), &p("e"))
        .env(KEY_ENV, "yet-another-key-of-enough-bytes")
        .assert()
        .code(0);
    let (c, e) = (
        jsonl(&p("c").join("cases.jsonl")),
        jsonl(&p("e").join("cases.jsonl")),
    );
    assert_eq!(c.len(), e.len());
    for (x, y) in c.iter().zip(&e) {
        assert_ne!(x["case_id"], y["case_id"]);
        assert_ne!(x["subjects"], y["subjects"]);
    }
}

#[test]
fn no_key_is_exit_2_saying_how_to_give_one_and_nothing_is_written() {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join("out");
    for mut c in [
        {
            let mut c = scan(&out, false);
            c.arg("--mask");
            c
        },
        {
            let mut c = mask(&demo(), &out);
            c.env_remove(KEY_ENV);
            c
        },
    ] {
        c.assert()
            .code(2)
            .stderr(predicates::str::contains("masking needs a key"))
            .stderr(predicates::str::contains("SUBSIDY_AUDIT_MASK_KEY"))
            .stderr(predicates::str::contains("[mask] key"));
        assert!(!out.exists(), "no output folder is left");
    }
    // a short key, two different keys, an unknown [mask] setting
    scan(&out, true)
        .env(KEY_ENV, "short")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("at least 16"));
    let cfg = d.path().join("c.toml");
    std::fs::write(&cfg, "[mask]\nkey = \"a-config-key-0123456789\"\n").expect("config");
    scan(&out, true)
        .arg("--config")
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("two different mask keys"));
    std::fs::write(&cfg, "[mask]\nsecret = \"x\"\n").expect("config");
    scan(&out, true)
        .arg("--config")
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("mask.secret"));
    assert!(!out.exists());
}

#[test]
fn mask_refuses_workbooks_and_pages_masked_folders_and_its_own_input() {
    let d = tempfile::tempdir().expect("tmp");
    let p = |n: &str| d.path().join(n);
    scan(&p("plain"), false).assert().code(1);
    std::fs::write(p("plain").join("report.xlsx"), "an unmasked workbook").expect("xlsx");
    std::fs::write(p("plain").join("report.html"), "<p>梁骅兰</p>").expect("html");
    mask(&p("plain"), &p("copy"))
        .assert()
        .code(0)
        .stderr(predicates::str::contains(
            "not masked: report.html, report.xlsx",
        ))
        .stderr(predicates::str::contains("scan --mask"));
    assert!(!p("copy").join("report.xlsx").exists() && !p("copy").join("report.html").exists());
    mask(&p("copy"), &p("twice"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("masked already"));
    mask(&p("plain"), &p("plain"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is the input folder"));
    mask(&demo(), &p("x"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no summary.json"));
    assert!(!p("twice").exists() && !p("x").exists());
}

#[test]
fn the_masked_folder_is_written_all_together_or_not_at_all() {
    let d = tempfile::tempdir().expect("tmp");
    let p = |n: &str| d.path().join(n);
    // an output folder of two reports: the copy holds exactly their masked copies, an earlier run's are removed
    scan(&p("plain"), false)
        .arg("--report")
        .arg("jsonl")
        .assert()
        .code(1);
    std::fs::create_dir_all(p("copy")).expect("mkdir");
    std::fs::write(p("copy").join("hotspots.csv"), "an earlier run's").expect("old");
    std::fs::write(p("copy").join("findings.jsonl"), "an earlier run's").expect("old");
    mask(&p("plain"), &p("copy")).assert().code(0);
    let names: Vec<String> = output_texts(&p("copy"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["cases.jsonl", "findings.jsonl", "summary.json"]);
    // a file that cannot be read back: exit 2, the earlier copy untouched, no temporary folder left
    let before: Vec<(String, String)> = output_texts(&p("copy"));
    std::fs::write(p("plain").join("findings.parquet"), "not parquet").expect("bad");
    mask(&p("plain"), &p("copy"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "findings.parquet: cannot be masked",
        ));
    assert_eq!(output_texts(&p("copy")), before);
    mask(&p("plain"), &p("new")).assert().code(2);
    assert!(!p("new").exists());
}

#[test]
fn the_library_masks_the_outcome_every_writer_gets() {
    // through the library, the key from the config (the environment must not give another)
    if std::env::var_os(KEY_ENV).is_some() {
        return;
    }
    let d = tempfile::tempdir().expect("tmp");
    let cfg = d.path().join("c.toml");
    std::fs::write(&cfg, format!("[mask]\nkey = \"{KEY}\"\n")).expect("config");
    let opts = subsidy_audit::ScanOptions {
        inputs: vec![demo()],
        config: Some(cfg),
        mask: true,
        ..subsidy_audit::ScanOptions::default()
    };
    let o = subsidy_audit::scan(&opts, &|_, _| {}).expect("scan");
    assert!(o.summary.masked.is_some());
    assert!(!o.evidence.is_empty());
    for e in &o.evidence {
        assert!(
            e.payee_id.contains("~P") && e.payee_raw.contains("~P"),
            "{e:?}"
        );
        assert!(
            e.payee_name.ends_with('*') && e.payee_name.chars().count() <= 2,
            "{e:?}"
        );
        assert!(e.account.is_empty() || e.account.contains("~A"), "{e:?}");
    }
    let s = sensitive();
    for f in &o.findings {
        for v in s.ids.iter().chain(&s.names).chain(&s.accounts) {
            assert!(!f.explanation.contains(v.as_str()) && !f.subject.contains(v.as_str()));
            assert!(
                !f.explanation_zh.contains(v.as_str()),
                "{}",
                f.explanation_zh
            );
        }
    }
}

/// The sensitive values of a ledger given as rows: every payee id as written, name and account.
fn sensitive_of(rows: &[(&str, &str, &str)]) -> Sensitive {
    let mut s = Sensitive {
        ids: BTreeSet::new(),
        names: BTreeSet::new(),
        accounts: BTreeSet::new(),
    };
    for (id, name, account) in rows {
        s.ids.insert((*id).to_string());
        s.ids
            .insert(subsidy_audit::ident::canonical_id(id).into_owned());
        s.names.insert((*name).to_string());
        s.accounts.insert((*account).to_string());
    }
    // each group of digits of a spaced id is too short to be one
    s.ids.retain(|i| !i.contains(' '));
    s
}

#[test]
fn ids_written_in_other_forms_and_latin_names_are_masked() {
    let (a, b) = (common::card(1), common::card(2));
    let people: Vec<(&str, &str, &str)> = vec![
        ("110101196205035536", "程磊", &a),
        ("110101620503553", "程磊", &b),
        ("11010519491231002x", "John Smith", &a),
        ("１１０１０５１９４９１２３１００２Ｘ", "John Smith", &b),
        ("110105 19491231 002X", "John Smith", &a),
    ];
    let rows: Vec<common::Row> = people
        .iter()
        .enumerate()
        .map(|(i, (id, name, account))| {
            common::row(
                &format!("T{i}"),
                "FARMLAND",
                "2024",
                &format!("2024-0{}-12", i + 4),
                "520102003004",
                id,
                name,
                account,
                "1000.00",
            )
        })
        .collect();
    let (d, ledger, cfg) = common::scan_folder(&common::Ledger::new(&rows), common::SCHEMES);
    let p = |n: &str| d.path().join(n);
    let scan = |out: &Path| {
        let mut c = bin();
        c.arg("scan")
            .arg(&ledger)
            .arg("--config")
            .arg(&cfg)
            .args(["--select", "DUP", "-q", "--out"])
            .arg(out)
            .env_remove(KEY_ENV);
        c
    };
    scan(&p("plain")).assert().code(1);
    let plain = String::from_utf8(read(&p("plain").join("findings.jsonl"))).expect("utf-8");
    assert!(
        plain.contains("ids as written") && plain.contains("１１０１０５"),
        "{plain}"
    );
    let s = sensitive_of(&people);
    assert!(!leaks(&p("plain"), &s).is_empty());
    scan(&p("masked"))
        .arg("--mask")
        .env(KEY_ENV, KEY)
        .assert()
        .code(1);
    let found = leaks(&p("masked"), &s);
    assert!(found.is_empty(), "unmasked: {found:#?}");
    // no group of the spaced form, no full-width digit, no name left either
    let masked = String::from_utf8(read(&p("masked").join("findings.jsonl"))).expect("utf-8");
    for gone in ["19491231", "１", "John", "Smith", "620503"] {
        assert!(!masked.contains(gone), "{gone} in {masked}");
    }
    // every form of one id: one pseudonym
    let m = Masker::new(&MaskKey::new(KEY).expect("key"));
    for (id, _, _) in &people {
        assert!(masked.contains(&m.pseudonym(id)), "{id}");
    }
    mask(&p("plain"), &p("copy")).assert().code(0);
    assert_same_outputs(&p("copy"), &p("masked"));
}

#[test]
fn flood_values_messages_and_filters_are_masked() {
    let d = tempfile::tempdir().expect("tmp");
    for kind in ["one_payee", "account"] {
        let v = d.path().join(kind);
        subsidy_audit::generate::skew::write_variant(&demo(), &v, kind).expect("variant");
        let s = {
            let mut s = sensitive();
            s.ids
                .insert(subsidy_audit::generate::skew::PLACEHOLDER_ID.to_string());
            s.names
                .insert(subsidy_audit::generate::skew::PLACEHOLDER_NAME.to_string());
            s.accounts
                .insert(subsidy_audit::generate::skew::placeholder_account());
            s
        };
        let (plain, masked, copy) = (v.join("plain"), v.join("masked"), v.join("copy"));
        scan_at(&v, &plain, false).assert().code(1);
        let floods = |dir: &Path| summary_without_timing(dir)["floods"].clone();
        let text = floods(&plain).to_string();
        assert!(
            text.contains(&subsidy_audit::generate::skew::placeholder_account())
                || text.contains(subsidy_audit::generate::skew::PLACEHOLDER_NAME),
            "{kind}: {text}"
        );
        scan_at(&v, &masked, true).assert().code(1);
        let found = leaks(&masked, &s);
        assert!(found.is_empty(), "{kind}: {found:#?}");
        let f = floods(&masked);
        for flood in f.as_array().expect("floods") {
            if let (Some(v), Some(m)) = (flood["value"].as_str(), flood["message"].as_str()) {
                assert!(m.contains(&format!("{v:?}")), "{kind}: {m} quotes {v}");
                if let Some(x) = flood["exclude"].as_str() {
                    assert!(x.contains(&format!("value = {v:?}")), "{kind}: {x}");
                }
            }
        }
        mask(&plain, &copy).assert().code(0);
        assert_same_outputs(&copy, &masked);
    }
}

fn scan_at(folder: &Path, out: &Path, masked: bool) -> assert_cmd::Command {
    let mut c = bin();
    c.arg("scan")
        .arg(folder)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .env_remove(KEY_ENV);
    if masked {
        c.arg("--mask").env(KEY_ENV, KEY);
    }
    c
}
