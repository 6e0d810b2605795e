//! `--lang zh|en` and `[locale] lang`: the terminal summary in Chinese or English; the machine-readable outputs
//! the same bytes whatever the language; an unknown language named in the error.

mod common;

use std::path::{Path, PathBuf};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn run(out: &Path, extra: &[&str]) -> String {
    let a = common::bin()
        .args(["scan", demo().to_str().expect("utf8"), "--out"])
        .arg(out)
        .arg("--exit-zero")
        .args(extra)
        .assert()
        .success();
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

#[test]
fn chinese_terminal_and_the_same_machine_outputs() {
    let d = tempfile::tempdir().expect("tmp");
    let (en, zh) = (d.path().join("en"), d.path().join("zh"));
    let t_en = run(&en, &[]);
    let t_zh = run(&zh, &["--lang", "zh"]);
    assert!(t_en.starts_with("scanned 20000 rows of 2 files"), "{t_en}");
    assert!(
        t_zh.starts_with("扫描 2 个文件共 20000 行（数据质量问题 0 行）"),
        "{t_zh}"
    );
    assert!(t_zh.contains("疑点 223 个（AMT001 125，"), "{t_zh}");
    assert!(t_zh.contains("案件 187 个，移送 79 个"), "{t_zh}");
    assert!(t_zh.contains("县（共 6 个）"), "{t_zh}");
    assert!(t_zh.contains("各级地区明细见 hotspots.csv"), "{t_zh}");
    assert!(!t_zh.contains("findings ("), "{t_zh}");
    for f in [
        "findings.jsonl",
        "cases.jsonl",
        "cases.csv",
        "hotspots.csv",
        "findings.parquet",
    ] {
        assert_eq!(
            std::fs::read(en.join(f)).expect("en"),
            std::fs::read(zh.join(f)).expect("zh"),
            "{f}"
        );
    }
}

#[test]
fn the_config_sets_the_language_and_the_flag_wins() {
    let d = tempfile::tempdir().expect("tmp");
    let cfg = d.path().join("c.toml");
    std::fs::write(&cfg, "[locale]\nlang = \"zh\"\n").expect("write");
    let c = cfg.to_str().expect("utf8");
    let t = run(&d.path().join("a"), &["--config", c]);
    assert!(t.starts_with("扫描 "), "{t}");
    let t = run(&d.path().join("b"), &["--config", c, "--lang", "en"]);
    assert!(t.starts_with("scanned "), "{t}");
    std::fs::write(&cfg, "[locale]\nlang = \"fr\"\n").expect("write");
    common::bin()
        .args([
            "scan",
            demo().to_str().expect("utf8"),
            "--config",
            c,
            "--out",
        ])
        .arg(d.path().join("c"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("locale.lang"))
        .stderr(predicates::str::contains("must be \"en\" or \"zh\""));
    common::bin()
        .args([
            "scan",
            demo().to_str().expect("utf8"),
            "--lang",
            "fr",
            "--out",
        ])
        .arg(d.path().join("d"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown language `fr` (known: en, zh)",
        ));
}
