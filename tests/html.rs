//! `report.html` in a real browser: headless Chromium loads the page a scan of the demo writes (and pages
//! built to be hostile or large), runs its script, and the DOM it leaves is checked: no console error or
//! uncaught exception, every case counted, a filter in the address shows only matching cases, a case in the
//! address is opened, every chart is drawn.
//!
//! Chromium is the Debian package `chromium` (or `SUBSIDY_AUDIT_CHROMIUM=/path`). Without it the tests print a
//! notice and pass, unless `SUBSIDY_AUDIT_REQUIRE_BROWSER=1` (CI sets it): then they fail.

mod common;

use common::{row, scan_folder, Ledger, SCHEMES};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use subsidy_audit::report::html::CHART_IDS;
use subsidy_audit::{report, scan, ScanOptions};

/// One browser at a time (each is several processes; the tests run in parallel threads).
static BROWSER: Mutex<()> = Mutex::new(());
/// The notice that the browser tests were skipped, printed once.
static NOTICE: std::sync::Once = std::sync::Once::new();

/// The browser to run, or `None` (after a loud notice) when there is none and none is required.
fn browser() -> Option<String> {
    let candidates: Vec<String> = match std::env::var("SUBSIDY_AUDIT_CHROMIUM") {
        Ok(p) if !p.is_empty() => vec![p],
        _ => vec!["chromium".into(), "chromium-browser".into()],
    };
    for c in &candidates {
        let ok = Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(c.clone());
        }
    }
    assert_ne!(
        std::env::var("SUBSIDY_AUDIT_REQUIRE_BROWSER").as_deref(),
        Ok("1"),
        "SUBSIDY_AUDIT_REQUIRE_BROWSER=1 but no browser was found (tried {candidates:?}): install the Debian \
         package chromium (apt-get install -y chromium) or set SUBSIDY_AUDIT_CHROMIUM"
    );
    // once, straight to the process's stderr (the harness captures `eprintln!` of a passing test)
    NOTICE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n********************************************************************************\n\
             * NOTICE: report.html browser test SKIPPED: chromium not found ({candidates:?}).\n\
             * Install it (apt-get install -y chromium) to run it; CI sets\n\
             * SUBSIDY_AUDIT_REQUIRE_BROWSER=1, which makes its absence a failure.\n\
             ********************************************************************************\n"
        );
    });
    None
}

/// What one page load left: the DOM and the browser's log.
struct Load {
    dom: String,
    log: String,
}

impl Load {
    /// The log lines of the page's console and of uncaught exceptions.
    fn console(&self) -> Vec<&str> {
        self.log
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
            .collect()
    }

    fn assert_clean(&self, what: &str) {
        let c = self.console();
        assert!(c.is_empty(), "{what}: console messages: {c:#?}");
    }

    /// The number inside `<b id="ID">…</b>`.
    fn number(&self, id: &str) -> usize {
        let open = format!(r#"<b id="{id}">"#);
        let at = self.dom.find(&open).unwrap_or_else(|| panic!("no #{id}")) + open.len();
        let text: String = self.dom[at..]
            .chars()
            .take_while(|c| *c != '<')
            .filter(char::is_ascii_digit)
            .collect();
        text.parse()
            .unwrap_or_else(|_| panic!("#{id} is no number"))
    }

    /// Each case row rendered: (case id, its rules).
    fn rows(&self) -> Vec<(String, Vec<String>)> {
        self.dom
            .match_indices(r#"<tr class="case-row"#)
            .map(|(at, _)| {
                let tag = &self.dom[at..at + self.dom[at..].find('>').expect("tag end")];
                (
                    attr(tag, "data-case").to_string(),
                    attr(tag, "data-rules")
                        .split_whitespace()
                        .map(str::to_string)
                        .collect(),
                )
            })
            .collect()
    }
}

fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
    let open = format!(r#" {name}=""#);
    let at = tag
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + open.len();
    &tag[at..at + tag[at..].find('"').expect("quote")]
}

fn file_url(path: &Path, fragment: &str) -> String {
    let p = path.canonicalize().expect("path");
    let p = p.to_string_lossy().replace('%', "%25").replace(' ', "%20");
    if fragment.is_empty() {
        format!("file://{p}")
    } else {
        format!("file://{p}{fragment}")
    }
}

/// Runs the browser on `url` with `extra` arguments (besides the headless ones), in a profile of its own, for
/// at most two minutes; returns what it wrote to stdout and stderr.
fn run_browser(browser: &str, extra: &[String], url: &str) -> (String, String) {
    let _one = BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let profile = tempfile::tempdir().expect("profile");
    let out = profile.path().join("stdout");
    let err = profile.path().join("stderr");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p").display()
        ))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout"))
        .stderr(std::fs::File::create(&err).expect("stderr"))
        .spawn()
        .expect("start the browser");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser ran more than 2 minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (
        std::fs::read_to_string(&out).unwrap_or_default(),
        std::fs::read_to_string(&err).unwrap_or_default(),
    )
}

fn load(browser: &str, page: &Path, fragment: &str) -> Load {
    let (dom, log) = run_browser(browser, &["--dump-dom".into()], &file_url(page, fragment));
    assert!(
        dom.contains("</html>"),
        "no DOM for {fragment}: {}",
        &log[log.len().saturating_sub(2000)..]
    );
    Load { dom, log }
}

/// The demo scanned once (by the binary, as a user runs it): its output folder.
struct Demo {
    out: PathBuf,
    cases: usize,
    /// (case id, rules, findings) of each case, in rank order (cases.jsonl).
    list: Vec<(String, Vec<String>, usize)>,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("html-demo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        common::bin()
            .args(["scan", "fixtures/demo", "--out"])
            .arg(&out)
            .arg("-q")
            .assert()
            .code(predicates::ord::le(1));
        let summary = common::summary_json(&out);
        let list = std::fs::read_to_string(out.join("cases.jsonl"))
            .expect("cases.jsonl")
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("case");
                (
                    v["case_id"].as_str().expect("id").to_string(),
                    v["rules"]
                        .as_array()
                        .expect("rules")
                        .iter()
                        .map(|r| r.as_str().expect("rule").to_string())
                        .collect(),
                    v["findings"].as_u64().expect("findings") as usize,
                )
            })
            .collect();
        Demo {
            cases: summary["cases"].as_u64().expect("cases") as usize,
            out,
            list,
        }
    })
}

#[test]
fn the_case_file_loads_without_errors_and_shows_every_case_and_chart() {
    let Some(b) = browser() else { return };
    let d = demo();
    let page = d.out.join("report.html");
    assert!(d.cases > 100, "the demo has {} cases", d.cases);
    let l = load(&b, &page, "");
    l.assert_clean("the demo page");
    assert_eq!(l.number("case-count"), d.cases, "the summary's case count");
    assert_eq!(l.number("shown-count"), d.cases, "cases the list holds");
    let rows = l.rows();
    assert_eq!(rows.len(), 100, "one page of 100 rows");
    // rank order: the first page is the first 100 cases of cases.jsonl
    let first: Vec<&str> = d.list.iter().take(100).map(|c| c.0.as_str()).collect();
    let shown: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(shown, first);
    for id in CHART_IDS {
        assert!(l.dom.contains(&format!(r#"<svg id="{id}""#)), "chart {id}");
    }
    // the money charts have bars; a digit chart has panels or says that no unit was tested
    for id in [
        "chart-risk-rule",
        "chart-risk-county",
        "chart-risk-township",
    ] {
        let at = l.dom.find(&format!(r#"<svg id="{id}""#)).expect("chart");
        let svg = &l.dom[at..at + l.dom[at..].find("</svg>").expect("end")];
        assert!(svg.contains("<rect"), "{id} has no bar");
    }
    for id in [
        "chart-digits-first",
        "chart-digits-last",
        "chart-round-sums",
    ] {
        let at = l.dom.find(&format!(r#"<svg id="{id}""#)).expect("chart");
        let svg = &l.dom[at..at + l.dom[at..].find("</svg>").expect("end")];
        assert!(
            svg.contains("<circle") || svg.contains("<polyline") || svg.contains("No unit tested"),
            "{id} neither drawn nor noted"
        );
    }
}

#[test]
fn a_rule_in_the_address_shows_only_its_cases() {
    let Some(b) = browser() else { return };
    let d = demo();
    let page = d.out.join("report.html");
    for (rule, fragment) in [
        ("DUP001", "#rule=DUP001"),
        ("AMT001", "?rule=AMT001"),
        ("GHO002", "#rule=gho002"),
    ] {
        let l = load(&b, &page, fragment);
        l.assert_clean(fragment);
        let expected: Vec<&str> = d
            .list
            .iter()
            .filter(|c| c.1.iter().any(|r| r == rule))
            .map(|c| c.0.as_str())
            .collect();
        assert!(!expected.is_empty(), "the demo has {rule} cases");
        assert_eq!(l.number("shown-count"), expected.len(), "{fragment}");
        let rows = l.rows();
        assert_eq!(rows.len(), expected.len().min(100), "{fragment}");
        for (id, rules) in &rows {
            assert!(
                rules.iter().any(|r| r == rule),
                "{fragment}: {id} has {rules:?}"
            );
        }
        assert_eq!(l.number("case-count"), d.cases);
        // the rule's select shows it
        assert!(
            l.dom.contains(&format!(r#"<option value="{rule}""#)),
            "{fragment}: option"
        );
    }
    // filters combine: DUP001, referred, score at least 15
    let l = load(&b, &page, "#rule=DUP001&ref=1&score=15");
    l.assert_clean("combined");
    let rows = l.rows();
    assert!(!rows.is_empty());
    assert!(
        rows.len()
            < d.list
                .iter()
                .filter(|c| c.1.contains(&"DUP001".to_string()))
                .count()
    );
    assert!(rows.iter().all(|(_, r)| r.contains(&"DUP001".to_string())));
    // a text search: one case id finds that case
    let (id, _, _) = &d.list[d.list.len() / 2];
    let l = load(&b, &page, &format!("#q={}", id.to_lowercase()));
    l.assert_clean("search");
    assert_eq!(
        l.rows().iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        vec![id.clone()]
    );
}

#[test]
fn a_case_in_the_address_is_opened_with_its_findings_and_rule_texts() {
    let Some(b) = browser() else { return };
    let d = demo();
    let page = d.out.join("report.html");
    // a case on the second page, of two rules or more
    let (id, rules, findings) = d
        .list
        .iter()
        .skip(100)
        .find(|c| c.1.len() >= 2)
        .or_else(|| d.list.iter().find(|c| c.1.len() >= 2))
        .expect("a case of two rules");
    let l = load(&b, &page, &format!("#case={id}"));
    l.assert_clean("case");
    assert!(
        l.rows().iter().any(|r| &r.0 == id),
        "{id} on the page shown"
    );
    let open = format!(r#"<tr class="case-detail" data-case="{id}">"#);
    let at = l
        .dom
        .find(&open)
        .unwrap_or_else(|| panic!("{id} not opened"));
    // the detail row, up to the next case row
    let detail = l.dom[at..]
        .split(r#"<tr class="case-row"#)
        .next()
        .expect("detail");
    assert_eq!(
        detail.matches(r#"<div class="finding""#).count(),
        *findings,
        "findings of {id}"
    );
    assert!(detail.contains(r#"<table class="evidence">"#));
    for r in rules {
        assert!(
            detail.contains(&format!(r#"<details data-rule="{r}">"#)),
            "rule text of {r}"
        );
    }
    assert!(detail.contains("What it flags"), "the rule text itself");
    // the case sheet: that case alone
    let l = load(&b, &page, &format!("#case={id}&sheet=1"));
    l.assert_clean("sheet");
    assert_eq!(l.rows().len(), 1);
    assert!(l.dom.contains(r#"<body class="sheet">"#));
}

#[test]
fn the_console_check_sees_a_script_error() {
    let Some(b) = browser() else { return };
    let d = tempfile::tempdir().expect("tmp");
    let page = d.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>notDefined();</script></body></html>",
    )
    .expect("write");
    let l = load(&b, &page, "");
    assert!(
        l.console().iter().any(|c| c.contains("Uncaught")),
        "the log shows no uncaught error: {}",
        l.log
    );
}

/// A payee name, account and txn id made of markup: shown as text, nothing runs, nothing is fetched.
#[test]
fn hostile_names_stay_text() {
    let Some(b) = browser() else { return };
    let evil = r#"</script><script>document.title='pwned'</script><img src=x onerror="document.title='img'">"#;
    let mut rows = vec![
        row(
            "T1",
            "FARMLAND",
            "2024",
            "2024-04-12",
            "520102003004",
            "P01",
            evil,
            "A<b>1</b>",
            "1457.30",
        ),
        row(
            "T2",
            "FARMLAND",
            "2024",
            "2024-06-03",
            "520102003004",
            "P01",
            evil,
            "A<b>1</b>",
            "1457.30",
        ),
    ];
    rows[1].txn = "T2</script><!--".into();
    let (dir, ledger, cfg) = scan_folder(&Ledger::new(&rows), SCHEMES);
    let o = scan(
        &ScanOptions {
            inputs: vec![ledger],
            config: Some(cfg),
            select: vec!["DUP001".into()],
            ..ScanOptions::default()
        },
        &|_, _| {},
    )
    .expect("scan");
    assert_eq!(o.cases.len(), 1, "the duplicate is a case");
    let out = dir.path().join("out");
    report::write_all(&out, &o).expect("write");
    let page = out.join("report.html");
    let l = load(&b, &page, &format!("#case={}", o.cases[0].case_id));
    l.assert_clean("hostile");
    assert!(
        l.dom.contains("<title>Subsidy audit case file"),
        "the title changed"
    );
    assert!(!l.dom.contains("<img"), "an element from the data");
    assert!(!l.dom.contains("pwned</title>"));
    // the name is on the page, as text
    assert!(
        l.dom
            .contains("&lt;/script&gt;&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "the name as text"
    );
    assert!(l.dom.contains("T2&lt;/script&gt;&lt;!--"));
}

/// 20,000 cases and more: the list still shows a page of rows, filters and opens a case.
#[test]
fn twenty_thousand_cases_stay_responsive() {
    let Some(b) = browser() else { return };
    let o = scan(
        &ScanOptions {
            inputs: vec![PathBuf::from("fixtures/demo")],
            ..ScanOptions::default()
        },
        &|_, _| {},
    )
    .expect("scan");
    // the demo's cases and findings, copied until there are 20,000 cases or more
    let copies = 20_000usize.div_ceil(o.cases.len());
    let mut big = o.clone();
    big.cases.clear();
    big.findings.clear();
    for k in 0..copies {
        let base = big.findings.len();
        big.findings.extend(o.findings.iter().cloned());
        for c in &o.cases {
            let mut c = c.clone();
            c.case_id = format!("{}-{k:03}", c.case_id);
            c.rank = big.cases.len() + 1;
            c.finding_indices = c.finding_indices.iter().map(|i| i + base).collect();
            big.cases.push(c);
        }
    }
    big.summary.cases = big.cases.len();
    let d = tempfile::tempdir().expect("tmp");
    let page = d.path().join("report.html");
    let t = Instant::now();
    report::html::write(&page, &big).expect("write");
    let written = t.elapsed();
    let size = std::fs::metadata(&page).expect("page").len();
    let t = Instant::now();
    let l = load(&b, &page, "");
    let loaded = t.elapsed();
    eprintln!(
        "{} cases, {} findings: written in {written:.2?}, {:.1} MB, loaded in the browser in {loaded:.2?}",
        big.cases.len(),
        big.findings.len(),
        size as f64 / 1e6
    );
    l.assert_clean("20,000 cases");
    assert_eq!(l.number("shown-count"), big.cases.len());
    assert_eq!(l.rows().len(), 100);
    // a page of rows, however many cases: the DOM stays small
    assert!(
        l.dom.len() < size as usize + 400_000,
        "DOM {} bytes",
        l.dom.len()
    );
    let id = &big.cases[big.cases.len() - 1].case_id;
    let t = Instant::now();
    let l = load(&b, &page, &format!("#rule=DUP001&q=payee&case={id}"));
    eprintln!(
        "filtered, searched and opened the last case in {:.2?}",
        t.elapsed()
    );
    l.assert_clean("20,000 cases, filtered");
    assert!(l
        .dom
        .contains(&format!(r#"<tr class="case-detail" data-case="{id}">"#)));
    assert!(loaded < Duration::from_secs(60), "{loaded:?}");
}

/// Screenshots of the page and of a case sheet (in the target's tmp folder) for a person to look at.
#[test]
fn screenshots() {
    let Some(b) = browser() else { return };
    let d = demo();
    let page = d.out.join("report.html");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let id = &d.list[0].0;
    for (name, fragment) in [
        ("report.png", String::new()),
        ("report-case.png", format!("#case={id}&sheet=1")),
    ] {
        let png = dir.join(name);
        let _ = std::fs::remove_file(&png);
        let (_, log) = run_browser(
            &b,
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1400,2000".into(),
            ],
            &file_url(&page, &fragment),
        );
        let bytes = std::fs::read(&png).unwrap_or_else(|_| panic!("no screenshot: {log}"));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
            "{name}"
        );
        eprintln!("screenshot: {}", png.display());
    }
}

/// The page's controls, driven by a script appended to a copy of the demo page: the rule list, a sort header, a
/// click on a case, the pager, the reset button and the search box; the address follows.
#[test]
fn the_controls_filter_sort_open_and_page() {
    let Some(b) = browser() else { return };
    let d = demo();
    let html = std::fs::read_to_string(d.out.join("report.html")).expect("page");
    let drive = r#"<script>
(function () {
  var out = {};
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll('tr.case-row')); };
  var shown = function () { return parseInt(document.getElementById('shown-count').textContent, 10); };
  var rule = document.getElementById('f-rule');
  rule.value = 'DUP001';
  rule.dispatchEvent(new Event('change'));
  out.ruleShown = shown();
  out.ruleRows = rows().length;
  out.ruleOnly = rows().every(function (r) { return r.getAttribute('data-rules').split(' ').indexOf('DUP001') >= 0; });
  out.hashRule = location.hash;
  document.querySelector('button[data-sort="amount"]').click();
  var amounts = rows().map(function (r) { return parseFloat(r.children[6].textContent.replace(/,/g, '')); });
  out.sortedDesc = amounts.every(function (a, i) { return i === 0 || amounts[i - 1] >= a; });
  out.hashSort = location.hash;
  var first = rows()[0];
  first.click();
  var detail = first.nextElementSibling;
  out.opened = !!detail && detail.className === 'case-detail' && detail.getAttribute('data-case') === first.getAttribute('data-case');
  out.findings = detail ? detail.querySelectorAll('div.finding').length : 0;
  out.hashCase = location.hash;
  first.click();
  out.closed = !document.querySelector('tr.case-detail');
  document.getElementById('f-reset').click();
  out.resetShown = shown();
  out.hashReset = location.hash;
  document.getElementById('p-next').click();
  out.page2 = document.getElementById('p-where').textContent;
  out.page2First = rows()[0].children[0].textContent;
  var q = document.getElementById('f-q');
  q.value = 'no-such-text-anywhere';
  q.dispatchEvent(new Event('input'));
  setTimeout(function () {
    out.searchShown = shown();
    var pre = document.createElement('pre');
    pre.id = 'selftest';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 500);
}());
</script>
</body>"#;
    let driven = html.replacen("</body>", drive, 1);
    let dir = tempfile::tempdir().expect("tmp");
    let page = dir.path().join("report.html");
    std::fs::write(&page, driven).expect("write");
    let l = load(&b, &page, "");
    l.assert_clean("driven");
    let open = r#"<pre id="selftest">"#;
    let at = l.dom.find(open).expect("the driving script finished") + open.len();
    let text = &l.dom[at..at + l.dom[at..].find("</pre>").expect("end")];
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let v: serde_json::Value = serde_json::from_str(&text).expect("results");
    let dup = d
        .list
        .iter()
        .filter(|c| c.1.iter().any(|r| r == "DUP001"))
        .count();
    assert_eq!(v["ruleShown"], dup, "{v}");
    assert_eq!(v["ruleRows"], dup.min(100), "{v}");
    assert_eq!(v["ruleOnly"], true, "{v}");
    assert_eq!(v["hashRule"], "#rule=DUP001", "{v}");
    assert_eq!(v["sortedDesc"], true, "{v}");
    assert_eq!(v["hashSort"], "#rule=DUP001&sort=amount", "{v}");
    assert_eq!(v["opened"], true, "{v}");
    assert!(v["findings"].as_u64().unwrap_or(0) >= 1, "{v}");
    assert!(
        v["hashCase"]
            .as_str()
            .is_some_and(|h| h.starts_with("#rule=DUP001&sort=amount&case=C")),
        "{v}"
    );
    assert_eq!(v["closed"], true, "{v}");
    assert_eq!(v["resetShown"], d.cases, "{v}");
    assert_eq!(v["hashReset"], "", "{v}");
    assert_eq!(
        v["page2"],
        format!("Page 2 of {}", d.cases.div_ceil(100)),
        "{v}"
    );
    assert_eq!(v["page2First"], "101", "{v}");
    assert_eq!(v["searchShown"], 0, "{v}");
}

/// The same input gives the same page, whatever the thread count; `--report html` writes it alone (with
/// summary.json).
#[test]
fn the_page_is_byte_identical_across_runs_and_threads() {
    let pages: Vec<Vec<u8>> = [1usize, 2]
        .iter()
        .map(|&threads| {
            let o = scan(
                &ScanOptions {
                    inputs: vec![PathBuf::from("fixtures/demo")],
                    threads: Some(threads),
                    ..ScanOptions::default()
                },
                &|_, _| {},
            )
            .expect("scan");
            report::html::render(&o).expect("render").into_bytes()
        })
        .collect();
    assert!(
        pages[0] == pages[1],
        "the page differs between 1 and 2 threads"
    );
    let d = tempfile::tempdir().expect("tmp");
    common::bin()
        .args([
            "scan",
            "fixtures/demo",
            "--report",
            "html",
            "-q",
            "--threads",
            "2",
            "--out",
        ])
        .arg(d.path())
        .assert()
        .code(predicates::ord::le(1));
    let mut files: Vec<String> = std::fs::read_dir(d.path())
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files, ["report.html", "summary.json"]);
    assert!(std::fs::read(d.path().join("report.html")).expect("page") == pages[0]);
}
