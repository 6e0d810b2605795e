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

fn demo_outcome() -> subsidy_audit::Outcome {
    subsidy_audit::scan(
        &subsidy_audit::ScanOptions {
            inputs: vec![demo()],
            ..Default::default()
        },
        &|_, _| {},
    )
    .expect("scan")
}

/// Every finding of the demo is explained in Chinese too: with its subject (a payee's id), without an English
/// sentence; the cases in Chinese from them.
#[test]
fn every_finding_is_explained_in_chinese() {
    let o = demo_outcome();
    assert!(o.findings.len() > 200);
    for f in &o.findings {
        let zh = &f.explanation_zh;
        assert!(
            !zh.is_empty(),
            "{} has no Chinese explanation: {}",
            f.rule,
            f.explanation
        );
        assert_ne!(zh, &f.explanation);
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        if f.subject_kind.as_str() == "payee" {
            assert!(zh.contains(&f.subject), "{zh}");
        }
        for en in [
            " was paid ",
            " payments",
            " payment ",
            " yuan",
            " and ",
            " more",
            "payee ",
            "account ",
            " received ",
            " on an unknown",
        ] {
            assert!(!zh.contains(en), "{en:?} in {zh}");
        }
    }
    let zh = |rule: &str, subject: &str| -> String {
        o.findings
            .iter()
            .find(|f| f.rule == rule && f.subject == subject && f.explanation.contains("below"))
            .or_else(|| {
                o.findings
                    .iter()
                    .find(|f| f.rule == rule && f.subject == subject)
            })
            .unwrap_or_else(|| panic!("{rule} {subject}"))
            .explanation_zh
            .clone()
    };
    assert_eq!(
        zh("DUP001", "110101192101134320"),
        "梁骅兰（110101192101134320）在 ELDERLY 2024-04 获发 2 次（共 1000.00 元），该项目每月只应发 1 次：\
         T000000001055 (2024-04-07, 500.00)（2024-04），T000000001513 (2024-04-30, 500.00)（2024-04）；超发 500.00 元"
    );
    assert_eq!(
        zh("AMT001", "110101193903292878"),
        "领取人周鹃（110101193903292878）有 1 笔付款低于应发金额：FARMLAND 2024 实发 2200.00 应发 2247.90；被克扣 47.90 元"
    );
    assert_eq!(
        zh("AMT001", "110101194104246810"),
        "领取人张兰洁（110101194104246810）有 1 笔付款高于应发金额：FARMLAND 2024 实发 400.00 应发 369.34；多发 30.66 元"
    );
    assert_eq!(
        zh("GHO001", "110101197207073825"),
        "领取人证件号 110101197207073825（梁磊丽）不是有效的居民身份证号：校验码错误（GB 11643-1999），按前 17 位应为 1；\
         获发 1 笔（2326.96 元），于 2024-04-24"
    );
    // a case in Chinese: its findings' Chinese explanations, after their rules
    for c in &o.cases {
        assert!(!c.explanation_zh.is_empty());
        for &i in &c.finding_indices {
            let f = &o.findings[i];
            assert!(
                c.explanation_zh
                    .contains(&format!("{}: {}", f.rule, f.explanation_zh))
                    || c.explanation_zh.contains("另有"),
                "{}",
                c.explanation_zh
            );
        }
    }
}
