//! A run as an operator's scheduled job meets it: killed runs leave nothing behind, a failed write changes no
//! output, a scan that read nothing useful says so in its exit code, nonsense sizes are refused, and the error
//! messages say what is wrong.

mod common;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use assert_cmd::Command;
use common::{bin, dup_folder, dup_rows, row, summary_json, write_batch, Ledger, Row, SCHEMES};
use std::path::Path;
use std::sync::Arc;

const OUTPUTS: [&str; 6] = [
    "findings.parquet",
    "findings.jsonl",
    "cases.csv",
    "cases.jsonl",
    "report.xlsx",
    "summary.json",
];

fn scan_args(ledger: &Path, cfg: &Path, out: &Path) -> Vec<std::ffi::OsString> {
    vec![
        "scan".into(),
        "--select".into(),
        "DUP".into(),
        ledger.into(),
        "--config".into(),
        cfg.into(),
        "--out".into(),
        out.into(),
        "-q".into(),
    ]
}

fn scan(ledger: &Path, cfg: &Path, out: &Path) -> Command {
    let mut c = bin();
    c.args(scan_args(ledger, cfg, out));
    c
}

fn snapshot(out: &Path) -> Vec<(String, Vec<u8>)> {
    OUTPUTS
        .iter()
        .filter(|n| out.join(n).is_file())
        .map(|n| ((*n).to_string(), std::fs::read(out.join(n)).expect("read")))
        .collect()
}

fn tmp_folders(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".subsidy-audit-tmp-"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_temp_dir_that_is_no_folder_is_refused_before_the_scan() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(1);
    let before = snapshot(&out);
    for bad in [d.path().join("a-file"), d.path().join("no/such/folder")] {
        std::fs::write(d.path().join("a-file"), "x").expect("write");
        // no spill would happen (a generous limit): the folder is still checked first
        let a = scan(&ledger, &cfg, &out)
            .arg("--temp-dir")
            .arg(&bad)
            .arg("--memory-limit")
            .arg("1GiB")
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(
            err.contains(&bad.display().to_string()) && err.contains("--temp-dir"),
            "{err}"
        );
        assert_eq!(snapshot(&out), before);
        assert!(!d.path().join("no").exists(), "nothing is made");
    }
    // a size out of range names the flag and the range
    for (size, says) in [("1.5", "--memory-limit"), ("512", "between 1KiB and 1EiB")] {
        let a = scan(&ledger, &cfg, &out)
            .args(["--memory-limit", size])
            .assert()
            .code(2);
        assert!(stderr_of(&a).contains(says), "{}", stderr_of(&a));
    }
}

#[test]
fn a_run_removes_spill_folders_of_killed_runs_and_never_a_live_ones() {
    let (d, ledger, cfg) = dup_folder(5);
    let temp = d.path().join("temp");
    let folder = |name: &str, lock: bool| {
        let f = temp.join(format!(".subsidy-audit-spill-{name}"));
        std::fs::create_dir_all(&f).expect("folder");
        std::fs::write(f.join("spill-0-0.lz4"), b"junk").expect("junk");
        if lock {
            std::fs::write(f.join(".lock"), b"").expect("lock");
        }
        f
    };
    // killed with -9: its lock file is held by nobody
    let dead = folder("4000000001-0123456789abcdef", true);
    // a live run's: its lock is held (here by this test)
    let live = folder("4000000002-0123456789abcdef", true);
    let held = std::fs::File::options()
        .read(true)
        .write(true)
        .open(live.join(".lock"))
        .expect("open");
    held.lock().expect("lock");
    // one without a lock file whose process lives (a run between making its folder and locking it)
    let other = folder(&format!("{}-0123456789abcdef", std::process::id()), false);
    // one without a lock file whose process is gone (left by a crash before the lock was taken)
    let crashed = folder("4000000003-0123456789abcdef", false);
    scan(&ledger, &cfg, &d.path().join("out"))
        .arg("--temp-dir")
        .arg(&temp)
        .assert()
        .code(1);
    assert!(!dead.exists(), "the killed run's folder is removed");
    assert!(
        live.join("spill-0-0.lz4").is_file(),
        "a live run's folder stays"
    );
    assert!(
        other.join("spill-0-0.lz4").is_file(),
        "a live process's folder without a lock stays"
    );
    assert!(
        !crashed.exists(),
        "a dead process's folder without a lock is removed"
    );
    // and this run's own folder is gone
    let left: Vec<String> = std::fs::read_dir(&temp)
        .expect("temp")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    drop(held);
}

fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

/// The duplicate fixture with its last payee's ids and accounts changed, so a second run's outputs differ.
fn other_rows() -> Vec<Row> {
    let mut rows = dup_rows();
    rows.truncate(rows.len() - 2);
    rows
}

#[cfg(unix)]
mod signals {
    use super::*;
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant};

    /// Starts a scan that pauses at `point` (the hidden test hook) and waits until it has paused there.
    fn paused_run(args: &[std::ffi::OsString], point: &str, ready: &Path) -> Child {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_subsidy-audit"))
            .args(args)
            .env(
                "SUBSIDY_AUDIT_TEST_PAUSE",
                format!("{point}:{}", ready.display()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let start = Instant::now();
        while !ready.exists() {
            if let Some(status) = child.try_wait().expect("wait") {
                panic!("the run ended ({status}) before pausing at {point}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "the run never paused at {point}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    fn signal(child: &Child, sig: &str) {
        let ok = std::process::Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    fn stopped_by(child: &mut Child, sig: &str, code: i32) {
        signal(child, sig);
        let out = std::mem::take(&mut child.stderr);
        let status = child.wait().expect("wait");
        let mut err = String::new();
        if let Some(mut e) = out {
            std::io::Read::read_to_string(&mut e, &mut err).expect("stderr");
        }
        assert_eq!(status.code(), Some(code), "{status}: {err}");
        assert!(err.contains("interrupted"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    #[test]
    fn sigterm_during_the_scan_removes_the_temporary_folder_and_keeps_the_outputs() {
        let (d, ledger, cfg) = dup_folder(5);
        let out = d.path().join("out");
        scan(&ledger, &cfg, &out).assert().code(1);
        let before = snapshot(&out);
        assert_eq!(before.len(), OUTPUTS.len());
        let other = d.path().join("other.parquet");
        Ledger::new(&other_rows()).row_group_size(5).write(&other);
        let ready = d.path().join("ready");
        let mut child = paused_run(&scan_args(&other, &cfg, &out), "scan", &ready);
        assert_eq!(tmp_folders(&out).len(), 1, "the run's folder exists");
        stopped_by(&mut child, "-TERM", 143);
        assert_eq!(tmp_folders(&out), Vec::<String>::new());
        assert_eq!(snapshot(&out), before);
    }

    /// The spill folders in `dir`.
    fn spill_folders(dir: &Path) -> Vec<std::fs::DirEntry> {
        std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".subsidy-audit-spill-")
            })
            .collect()
    }

    #[test]
    fn a_signal_during_a_spilling_scan_leaves_no_spill_file_behind() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().expect("tmp");
        let data = d.path().join("g");
        subsidy_audit::generate::generate(&subsidy_audit::generate::GenerateOptions {
            rows: 20_000,
            out: data.clone(),
            seed: 3,
            row_group_rows: 2000,
            ..subsidy_audit::generate::GenerateOptions::default()
        })
        .expect("generate");
        for (sig, code) in [("-TERM", 143), ("-INT", 130)] {
            // spill files in an explicit folder, and in the default one (the run's folder in --out)
            for explicit in [true, false] {
                let out = d.path().join(format!("out{sig}{explicit}"));
                let temp = d.path().join(format!("temp{sig}{explicit}"));
                std::fs::create_dir_all(&temp).expect("temp");
                let mut args: Vec<std::ffi::OsString> = vec![
                    "scan".into(),
                    data.clone().into(),
                    "--out".into(),
                    out.clone().into(),
                    "--threads".into(),
                    "2".into(),
                    "--memory-limit".into(),
                    "1KiB".into(),
                    "-q".into(),
                ];
                if explicit {
                    args.extend(["--temp-dir".into(), temp.clone().into()]);
                }
                let ready = d.path().join(format!("ready{sig}{explicit}"));
                let mut child = paused_run(&args, "scan", &ready);
                let spill_in = if explicit {
                    temp.clone()
                } else {
                    out.join(&tmp_folders(&out)[0])
                };
                let folders = spill_folders(&spill_in);
                assert_eq!(folders.len(), 1, "the spill folder is made at the start");
                let meta = folders[0].metadata().expect("meta");
                assert_eq!(meta.permissions().mode() & 0o777, 0o700, "owner-only");
                let spilled = std::fs::read_dir(folders[0].path())
                    .expect("spill")
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".lz4"))
                    .count();
                assert!(spilled > 0, "it spilled before the pause");
                stopped_by(&mut child, sig, code);
                assert!(spill_folders(&temp).is_empty(), "{sig} {explicit}");
                assert_eq!(tmp_folders(&out), Vec::<String>::new(), "{sig} {explicit}");
            }
        }
    }

    #[test]
    fn ctrl_c_after_writing_removes_the_partial_outputs_and_keeps_the_old_ones() {
        let (d, ledger, cfg) = dup_folder(5);
        let out = d.path().join("out");
        scan(&ledger, &cfg, &out).assert().code(1);
        let before = snapshot(&out);
        let other = d.path().join("other.parquet");
        Ledger::new(&other_rows()).row_group_size(5).write(&other);
        let ready = d.path().join("ready");
        let mut child = paused_run(&scan_args(&other, &cfg, &out), "write", &ready);
        let tmp = tmp_folders(&out);
        assert_eq!(tmp.len(), 1);
        assert!(out.join(&tmp[0]).join("findings.parquet").is_file());
        stopped_by(&mut child, "-INT", 130);
        assert_eq!(tmp_folders(&out), Vec::<String>::new());
        assert_eq!(snapshot(&out), before);
    }

    #[test]
    fn a_later_run_removes_dead_runs_folders_and_never_a_live_ones() {
        let (d, ledger, cfg) = dup_folder(5);
        let out = d.path().join("out");
        // a live run, paused during its scan, holding its lock
        let ready = d.path().join("ready");
        let mut live = paused_run(&scan_args(&ledger, &cfg, &out), "scan", &ready);
        let live_name = format!(".subsidy-audit-tmp-{}", live.id());
        assert!(out.join(&live_name).is_dir());
        // a dead run of this version: its lock file is held by nobody
        let dead = out.join(".subsidy-audit-tmp-4000000001");
        std::fs::create_dir_all(&dead).expect("dead");
        std::fs::write(dead.join(".lock"), b"").expect("lock");
        std::fs::write(dead.join("findings.parquet"), b"PAR1 partial").expect("partial");
        // a dead run of an older version (no lock file), whose process is gone
        let old = out.join(".subsidy-audit-tmp-4000000002");
        std::fs::create_dir_all(&old).expect("old");
        std::fs::write(old.join("cases.csv"), b"rank,case_id").expect("partial");
        // a folder without a lock file whose process lives (this test's): kept
        let alive = out.join(format!(".subsidy-audit-tmp-{}", std::process::id()));
        std::fs::create_dir_all(&alive).expect("alive");

        scan(&ledger, &cfg, &out).assert().code(1);
        let mut expected = vec![
            alive
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string(),
            live_name.clone(),
        ];
        expected.sort();
        assert_eq!(tmp_folders(&out), expected);
        assert_eq!(snapshot(&out).len(), OUTPUTS.len());

        stopped_by(&mut live, "-TERM", 143);
        assert!(!out.join(&live_name).exists());
    }
}

#[test]
fn a_failed_write_changes_no_output() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(1);
    let before = snapshot(&out);
    std::fs::remove_file(out.join("cases.csv")).expect("rm");
    std::fs::create_dir(out.join("cases.csv")).expect("folder");
    std::fs::write(out.join("cases.csv").join("keep.txt"), b"x").expect("write");
    let before: Vec<_> = before
        .into_iter()
        .filter(|(n, _)| n != "cases.csv")
        .collect();
    let other = d.path().join("other.parquet");
    Ledger::new(&other_rows()).row_group_size(5).write(&other);
    let a = scan(&other, &cfg, &out).assert().code(2);
    let err = stderr_of(&a);
    assert!(err.contains("cases.csv"), "{err}");
    assert!(err.contains("no output was replaced"), "{err}");
    // every output is the old one: findings.* too, which come before cases.csv
    assert_eq!(snapshot(&out), before);
    assert!(out.join("cases.csv").join("keep.txt").is_file());
    assert_eq!(tmp_folders(&out), Vec::<String>::new());
}

#[test]
fn a_failed_first_run_leaves_no_output_folder() {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join("out");
    bin()
        .arg("scan")
        .arg(d.path().join("nope.parquet"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
}

// ---- exit code 3: the data-quality gate ----

/// `good` clean rows (distinct payees, no finding) and `bad` rows without a payee_id.
fn mixed(good: usize, bad: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    for i in 0..good {
        rows.push(row(
            &format!("G{i}"),
            "FARMLAND",
            "2024",
            "2024-04-12",
            "R1",
            &format!("P{i}"),
            &format!("名{i}"),
            &format!("A{i}"),
            &format!("{}.00", 100 + i * 37),
        ));
    }
    for i in 0..bad {
        rows.push(row(
            &format!("B{i}"),
            "FARMLAND",
            "2024",
            "2024-04-12",
            "R1",
            "",
            "某",
            &format!("X{i}"),
            "10.00",
        ));
    }
    rows
}

#[test]
fn every_row_rejected_exits_3_and_still_writes_the_outputs() {
    let (d, _, cfg) = dup_folder(5);
    let ledger = d.path().join("bad.parquet");
    Ledger::new(&mixed(0, 4)).row_group_size(10).write(&ledger);
    let out = d.path().join("out");
    let a = scan(&ledger, &cfg, &out).assert().code(3);
    let err = stderr_of(&a);
    assert!(err.contains("data-quality gate failed"), "{err}");
    assert!(err.contains("no row scanned"), "{err}");
    let s = summary_json(&out);
    assert_eq!(s["rows_scanned"], 0);
    assert_eq!(s["rows_with_problems"], 4);
    assert_eq!(s["quality_gate"]["passed"], false);
    assert_eq!(s["quality_gate"]["problem_share"], 1.0);
    assert_eq!(s["quality_gate"]["max_problem_share"], 0.5);
    assert_eq!(snapshot(&out).len(), OUTPUTS.len());
    // --exit-zero silences referrals, not the gate
    scan(&ledger, &cfg, &out)
        .arg("--exit-zero")
        .assert()
        .code(3);
}

#[test]
fn an_empty_ledger_exits_3() {
    let (d, _, cfg) = dup_folder(5);
    let ledger = d.path().join("empty.parquet");
    Ledger::new(&[]).row_group_size(10).write(&ledger);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(3);
    let s = summary_json(&out);
    assert_eq!(s["rows_read"], 0);
    assert_eq!(s["quality_gate"]["problem_share"], 0.0);
    assert!(s["quality_gate"]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("no row scanned")));
}

#[test]
fn the_problem_share_decides_the_gate() {
    let (d, _, cfg) = dup_folder(5);
    let ledger = d.path().join("l.parquet");
    // 3 of 5 rows with problems: 60%
    Ledger::new(&mixed(2, 3)).row_group_size(10).write(&ledger);
    let out = d.path().join("out");
    let a = scan(&ledger, &cfg, &out).assert().code(3);
    assert!(
        stderr_of(&a).contains("3 of 5 rows (60.0%)"),
        "{}",
        stderr_of(&a)
    );
    assert_eq!(summary_json(&out)["quality_gate"]["problem_share"], 0.6);
    scan(&ledger, &cfg, &out)
        .args(["--max-problem-share", "0.6"])
        .assert()
        .code(0);
    let with = d.path().join("gate.toml");
    std::fs::write(
        &with,
        format!("{SCHEMES}\n[scan]\nmax_problem_share = 0.75\n"),
    )
    .expect("cfg");
    scan(&ledger, &with, &out).assert().code(0);
    assert_eq!(summary_json(&out)["quality_gate"]["passed"], true);
    assert!(summary_json(&out)["quality_gate"].get("reason").is_none());
    // 2 of 5: under the default
    Ledger::new(&mixed(3, 2)).row_group_size(10).write(&ledger);
    scan(&ledger, &cfg, &out).assert().code(0);
    for bad in ["1.5", "-0.1", "NaN"] {
        let a = scan(&ledger, &cfg, &out)
            .arg(format!("--max-problem-share={bad}"))
            .assert()
            .code(2);
        assert!(stderr_of(&a).contains("--max-problem-share must be between 0 and 1"));
    }
    let wrong = d.path().join("wrong.toml");
    std::fs::write(&wrong, "[scan]\nmax_problem_share = 2\n").expect("cfg");
    let a = scan(&ledger, &wrong, &out).assert().code(2);
    assert!(stderr_of(&a).contains("scan.max_problem_share"));
}

#[test]
fn the_gate_wins_over_referrals_and_errors_win_over_the_gate() {
    let (d, _, cfg) = dup_folder(5);
    let ledger = d.path().join("l.parquet");
    // the duplicate fixture (referrals) drowned in rows without a payee
    let mut rows = dup_rows();
    rows.extend(mixed(0, 30));
    Ledger::new(&rows).row_group_size(10).write(&ledger);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(3);
    assert!(summary_json(&out)["referrals"]
        .as_u64()
        .is_some_and(|r| r > 0));
    scan(&ledger, &cfg, &out)
        .arg("--baseline")
        .arg(d.path().join("missing.csv"))
        .assert()
        .code(2);
}

// ---- ranges ----

#[test]
fn threads_and_batch_sizes_out_of_range_are_refused() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    for (flag, value, message) in [
        (
            "--threads",
            "0",
            "--threads must be between 1 and 1024, got 0",
        ),
        (
            "--threads",
            "20000",
            "--threads must be between 1 and 1024, got 20000",
        ),
        (
            "--threads",
            "100000",
            "--threads must be between 1 and 1024, got 100000",
        ),
        (
            "--batch-size",
            "0",
            "--batch-size must be between 1 and 16777216, got 0",
        ),
        (
            "--batch-size",
            "100000000000",
            "--batch-size must be between 1 and 16777216, got 100000000000",
        ),
    ] {
        let a = scan(&ledger, &cfg, &out)
            .args([flag, value])
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains(message), "{flag} {value}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!out.exists(), "a refused run writes nothing");
    for (flag, value) in [("--threads", "0"), ("--threads", "5000")] {
        let a = bin()
            .args(["digits", "--by", "none"])
            .arg(&ledger)
            .args([flag, value])
            .assert()
            .code(2);
        assert!(stderr_of(&a).contains(&format!(
            "--threads must be between 1 and 1024, got {value}"
        )));
    }
    let big = d.path().join("big.toml");
    std::fs::write(&big, "[scan]\nbatch_size = 100000000\n").expect("cfg");
    let a = scan(&ledger, &big, &out).assert().code(2);
    assert!(stderr_of(&a).contains("scan.batch_size"));
    // the edges are accepted
    scan(&ledger, &cfg, &out)
        .args(["--threads", "1", "--batch-size", "1"])
        .assert()
        .code(1);
}

#[test]
fn generate_sizes_out_of_range_are_refused() {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join("g");
    for (args, message) in [
        (
            vec!["--rows", "0"],
            "--rows must be between 1 and 10000000000, got 0",
        ),
        (
            vec!["--rows", "100000000000"],
            "--rows must be between 1 and 10000000000, got 100000000000",
        ),
        (
            vec!["--rows", "100", "--row-group-rows", "0"],
            "--row-group-rows must be between 1 and 16777216, got 0",
        ),
        (
            vec!["--rows", "100", "--row-group-rows", "100000000"],
            "--row-group-rows must be between 1 and 16777216, got 100000000",
        ),
        (
            vec!["--rows", "100", "--files", "0"],
            "--files must be between 1 and 100000, got 0",
        ),
    ] {
        let a = bin()
            .arg("generate")
            .args(&args)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

// ---- messages ----

#[test]
fn a_period_of_the_wrong_type_names_every_accepted_form() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("l.parquet");
    let rb = RecordBatch::try_from_iter(vec![
        (
            "payee_id",
            Arc::new(StringArray::from(vec!["P1"])) as ArrayRef,
        ),
        ("amount", Arc::new(Int64Array::from(vec![100])) as ArrayRef),
        (
            "period",
            Arc::new(Float64Array::from(vec![202_401.0])) as ArrayRef,
        ),
    ])
    .expect("batch");
    write_batch(&p, &rb, 10);
    let a = bin()
        .arg("scan")
        .arg(&p)
        .arg("--out")
        .arg(d.path().join("o"))
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert!(err.contains("column `period` has type Float64"), "{err}");
    assert!(
        err.contains("period text (YYYY, YYYY-MM, YYYYMM, YYYY-Qn) or integer (YYYY, YYYYMM)"),
        "{err}"
    );
}

#[test]
fn a_baseline_that_is_no_cases_file_is_refused() {
    let (d, ledger, cfg) = dup_folder(5);
    let out = d.path().join("out");
    scan(&ledger, &cfg, &out).assert().code(1);
    let a = scan(&ledger, &cfg, &d.path().join("out2"))
        .arg("--baseline")
        .arg(out.join("summary.json"))
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert!(
        err.contains("summary.json: the baseline holds no case id"),
        "{err}"
    );
    // an earlier run that found nothing wrote a cases.csv of its header alone: an empty baseline
    let empty = d.path().join("empty.csv");
    std::fs::write(&empty, "\u{feff}rank,case_id,score,referral\n").expect("write");
    scan(&ledger, &cfg, &d.path().join("out3"))
        .arg("--baseline")
        .arg(&empty)
        .assert()
        .code(1);
    let blank = d.path().join("blank.txt");
    std::fs::write(&blank, "\n").expect("write");
    scan(&ledger, &cfg, &d.path().join("out4"))
        .arg("--baseline")
        .arg(&blank)
        .assert()
        .code(1);
}

#[test]
fn a_missing_column_without_a_config_is_named_plainly() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("l.parquet");
    let rb = RecordBatch::try_from_iter(vec![(
        "payee_id",
        Arc::new(StringArray::from(vec!["P1"])) as ArrayRef,
    )])
    .expect("batch");
    write_batch(&p, &rb, 10);
    let a = bin()
        .arg("scan")
        .arg(&p)
        .arg("--out")
        .arg(d.path().join("o"))
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert!(
        err.contains("l.parquet: column `amount` is not in the file; columns found: payee_id"),
        "{err}"
    );
    assert!(!err.contains("mapped"), "{err}");
    // mapped in a config: the message says so
    let cfg = d.path().join("c.toml");
    std::fs::write(&cfg, "[columns]\namount = \"金额\"\n").expect("cfg");
    let a = bin()
        .arg("scan")
        .arg(&p)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(d.path().join("o"))
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert!(
        err.contains("column `金额` (mapped to `amount` in the config) is not in the file"),
        "{err}"
    );
}

// ---- hostile files: metadata that claims absurd sizes ----

mod hostile {
    use super::*;
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::metadata::{
        ColumnChunkMetaDataBuilder, ParquetMetaData, ParquetMetaDataReader, ParquetMetaDataWriter,
    };
    use parquet::file::properties::{EnabledStatistics, WriterProperties};

    const N: usize = 100;

    /// A ledger of one REQUIRED INT64 `amount` column: uncompressed, plain, one page, no statistics, so its
    /// one data page is exactly the `8 * N` bytes at the end of its column chunk.
    fn plain_ledger() -> Vec<u8> {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "amount",
            DataType::Int64,
            false,
        )]));
        let amounts: Vec<i64> = (0..N as i64).map(|i| 10_000 + i * 137).collect();
        let rb = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(amounts))])
            .expect("batch");
        let props = WriterProperties::builder()
            .set_compression(Compression::UNCOMPRESSED)
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::None)
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props)).expect("writer");
        w.write(&rb).expect("write");
        w.close().expect("close");
        buf
    }

    fn footer(bytes: &[u8]) -> ParquetMetaData {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("f.parquet");
        std::fs::write(&p, bytes).expect("write");
        let f = std::fs::File::open(&p).expect("open");
        ParquetMetaDataReader::new()
            .parse_and_finish(&f)
            .expect("footer")
    }

    fn data_end(bytes: &[u8]) -> usize {
        let n = bytes.len();
        let meta = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().expect("4 bytes")) as usize;
        n - 8 - meta
    }

    fn with_footer(data: &[u8], md: &ParquetMetaData) -> Vec<u8> {
        let mut v = data.to_vec();
        ParquetMetaDataWriter::new(&mut v, md)
            .finish()
            .expect("footer");
        v
    }

    fn edit(
        md: &ParquetMetaData,
        rows: Option<i64>,
        chunk: impl Fn(ColumnChunkMetaDataBuilder) -> ColumnChunkMetaDataBuilder,
    ) -> ParquetMetaData {
        let groups = md
            .row_groups()
            .iter()
            .map(|rg| {
                let cols = rg
                    .columns()
                    .iter()
                    .map(|c| chunk(c.clone().into_builder()).build().expect("chunk"))
                    .collect();
                let mut b = rg.clone().into_builder().set_column_metadata(cols);
                if let Some(r) = rows {
                    b = b.set_num_rows(r);
                }
                b.build().expect("row group")
            })
            .collect();
        md.clone().into_builder().set_row_groups(groups).build()
    }

    /// Writes `bytes` as a ledger, scans it and expects exit 2 naming the file and each of `needles`.
    fn refused(bytes: &[u8], needles: &[&str]) {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("hostile.parquet");
        std::fs::write(&p, bytes).expect("write");
        let a = bin()
            .arg("scan")
            .arg(&p)
            .arg("--out")
            .arg(d.path().join("out"))
            .arg("-q")
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("hostile.parquet"), "{err}");
        for n in needles {
            assert!(err.contains(n), "stderr lacks `{n}`: {err}");
        }
    }

    fn scans(bytes: &[u8]) -> i32 {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("ok.parquet");
        std::fs::write(&p, bytes).expect("write");
        let out = bin()
            .arg("scan")
            .arg(&p)
            .arg("--out")
            .arg(d.path().join("out"))
            .arg("-q")
            .output()
            .expect("run");
        out.status.code().expect("code")
    }

    #[test]
    fn a_footer_claiming_absurd_rows_is_refused() {
        let v = plain_ledger();
        let md = footer(&v);
        let data = &v[..data_end(&v)];
        assert_eq!(scans(&with_footer(data, &md)), 0, "the rebuilt file reads");
        refused(
            &with_footer(data, &edit(&md, Some(1 << 50), |c| c)),
            &[
                "implausible metadata",
                "row group 0 claims 1125899906842624 rows",
            ],
        );
        refused(
            &with_footer(data, &edit(&md, Some(-5), |c| c)),
            &["row group 0 claims -5 rows"],
        );
    }

    #[test]
    fn a_column_chunk_longer_than_the_file_or_past_its_end_is_refused() {
        let v = plain_ledger();
        let md = footer(&v);
        let data = &v[..data_end(&v)];
        refused(
            &with_footer(
                data,
                &edit(&md, None, |c| c.set_total_compressed_size(1 << 40)),
            ),
            &["row group 0, column `amount`", "lies outside the file"],
        );
        refused(
            &with_footer(data, &edit(&md, None, |c| c.set_data_page_offset(1 << 33))),
            &["lies outside the file"],
        );
        refused(
            &with_footer(data, &edit(&md, None, |c| c.set_total_compressed_size(-1))),
            &["negative sizes"],
        );
        refused(
            &with_footer(
                data,
                &edit(&md, None, |c| c.set_dictionary_page_offset(Some(2))),
            ),
            &["lies outside the file"],
        );
    }

    /// A compact-thrift page header: `kind` (0 data, 2 dictionary), sizes, and its sub-header (field 5 for a
    /// data page, 7 for a dictionary page) of i32 fields 1, 2, ...
    fn header(kind: i64, uncompressed: i64, compressed: i64, sub: &[i64]) -> Vec<u8> {
        fn varint(mut v: u64, out: &mut Vec<u8>) {
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(b);
                    return;
                }
                out.push(b | 0x80);
            }
        }
        let zz = |v: i64| ((v << 1) ^ (v >> 63)) as u64;
        let mut h = Vec::new();
        for v in [kind, uncompressed, compressed] {
            h.push(0x15); // next field id, i32
            varint(zz(v), &mut h);
        }
        // a struct: field 5 (delta 2) or field 7 (delta 4)
        h.push(if kind == 2 { 0x4c } else { 0x2c });
        for &v in sub {
            h.push(0x15);
            varint(zz(v), &mut h);
        }
        h.push(0);
        h.push(0);
        h
    }

    /// A data page header (v1) for `values` plain INT64 values.
    fn page_header(uncompressed: i64, compressed: i64, values: i64) -> Vec<u8> {
        // num_values, encoding PLAIN, definition and repetition levels RLE
        header(0, uncompressed, compressed, &[values, 0, 3, 3])
    }

    /// The plain ledger's column rewritten as a dictionary of one value (its header claiming `values`)
    /// and one data page of N indices, all 0.
    fn crafted_dictionary(values: i64) -> Vec<u8> {
        let v = plain_ledger();
        let md = footer(&v);
        let dict = header(2, 8, 8, &[values, 0]);
        // bit width 1, one RLE run of N zeros
        let indices = [1u8, (N as u8) << 1 | 0x80, 0x01, 0x00];
        assert_eq!(N, 100);
        let data = header(0, 4, 4, &[N as i64, 8, 3, 3]);
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(&dict);
        file.extend_from_slice(&12_345i64.to_le_bytes());
        let data_at = file.len() as i64;
        file.extend_from_slice(&data);
        file.extend_from_slice(&indices);
        let len = file.len() as i64 - 4;
        let md = edit(&md, None, |c| {
            c.set_dictionary_page_offset(Some(4))
                .set_data_page_offset(data_at)
                .set_total_compressed_size(len)
                .set_total_uncompressed_size(len)
                .set_page_encoding_stats(Vec::new())
        });
        with_footer(&file, &md)
    }

    #[test]
    fn a_dictionary_page_claiming_absurd_counts_is_refused() {
        assert_eq!(
            scans(&crafted_dictionary(1)),
            0,
            "the crafted dictionary reads"
        );
        // decoded, this dictionary would be resized to 2^31 - 1 entries of 8 bytes: 16 GiB
        refused(
            &crafted_dictionary(i64::from(i32::MAX)),
            &[
                "row group 0",
                "implausible page header",
                "dictionary page at byte",
                "claims 2147483647 values (at most 64)",
            ],
        );
        refused(&crafted_dictionary(-3), &["claims -3 values"]);
    }

    /// The plain ledger's data page behind a header of our own: `PAR1`, header, values, footer.
    fn crafted(uncompressed: i64, compressed: i64) -> Vec<u8> {
        let v = plain_ledger();
        let md = footer(&v);
        let end = data_end(&v);
        let values = &v[end - 8 * N..end];
        let header = page_header(uncompressed, compressed, N as i64);
        let mut data = b"PAR1".to_vec();
        data.extend_from_slice(&header);
        data.extend_from_slice(values);
        let len = (header.len() + values.len()) as i64;
        let md = edit(&md, None, |c| {
            c.set_data_page_offset(4)
                .set_dictionary_page_offset(None)
                .set_total_compressed_size(len)
                .set_total_uncompressed_size(len)
        });
        with_footer(&data, &md)
    }

    #[test]
    fn a_page_header_claiming_absurd_sizes_is_refused_before_any_allocation() {
        let honest = 8 * N as i64;
        assert_eq!(scans(&crafted(honest, honest)), 0, "the crafted page reads");
        refused(
            &crafted(i64::from(i32::MAX), honest),
            &[
                "row group 0",
                "implausible page header",
                "column `amount`",
                "2147483647 bytes uncompressed",
            ],
        );
        refused(
            &crafted(honest, honest + 1),
            &["row group 0", "implausible page header", "claims 801 bytes"],
        );
        refused(&crafted(-1, honest), &["implausible page header"]);
    }

    #[test]
    fn a_reference_table_with_absurd_metadata_is_refused() {
        let (d, ledger, cfg) = dup_folder(5);
        let deaths = d.path().join("deaths.parquet");
        let v = plain_ledger();
        let md = footer(&v);
        let data = &v[..data_end(&v)];
        std::fs::write(
            &deaths,
            with_footer(
                data,
                &edit(&md, None, |c| c.set_total_compressed_size(1 << 40)),
            ),
        )
        .expect("write");
        let a = bin()
            .args(["scan", "--select", "GHO003"])
            .arg(&ledger)
            .arg("--config")
            .arg(&cfg)
            .arg("--deaths")
            .arg(&deaths)
            .arg("--out")
            .arg(d.path().join("out"))
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains("deaths table"), "{err}");
        assert!(err.contains("deaths.parquet"), "{err}");
        assert!(err.contains("implausible Parquet metadata"), "{err}");
    }
}
