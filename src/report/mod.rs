//! Reports: one file per output format. Every output is written into a temporary folder inside the output
//! folder and renamed into place at the end, all together or not at all, so a failed or killed run leaves the
//! earlier outputs untouched and never a partial file (see [`Staging`]).

pub mod csv;
pub mod html;
pub mod jsonl;
pub mod parquet;
pub mod summary;
pub mod svg;
pub mod table;
pub mod xlsx;

use crate::error::{Error, Result};
use crate::Outcome;
use rayon::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Every file a scan may write, in the order they are renamed into place (`summary.json` always; the others as
/// [`Reports`] choose). A run removes those it did not write, so the folder always holds one run's outputs.
pub const OUTPUTS: &[&str] = &[
    "findings.parquet",
    "findings.jsonl",
    "cases.csv",
    "cases.jsonl",
    "hotspots.csv",
    "report.xlsx",
    "report.html",
    "summary.json",
];

/// One kind of report (`--report`); `summary.json` is always written.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Report {
    /// `findings.parquet`
    Parquet,
    /// `findings.jsonl` and `cases.jsonl`
    Jsonl,
    /// `cases.csv`
    Csv,
    /// `hotspots.csv` (the region roll-up; it is in `summary.json` too)
    Hotspots,
    /// `report.xlsx` (the workbook: summary, cases, findings, evidence, hotspots, digit tests, data quality, rules)
    Xlsx,
    /// `report.html` (the case file: summary, charts, every case with its findings, evidence and rule texts)
    Html,
}

impl Report {
    /// Every kind, in the order `--report` lists them.
    pub const ALL: &'static [Report] = &[
        Self::Parquet,
        Self::Jsonl,
        Self::Csv,
        Self::Hotspots,
        Self::Xlsx,
        Self::Html,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
            Self::Hotspots => "hotspots",
            Self::Xlsx => "xlsx",
            Self::Html => "html",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }

    /// The files this kind writes.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            Self::Parquet => &["findings.parquet"],
            Self::Jsonl => &["findings.jsonl", "cases.jsonl"],
            Self::Csv => &["cases.csv"],
            Self::Hotspots => &["hotspots.csv"],
            Self::Xlsx => &["report.xlsx"],
            Self::Html => &["report.html"],
        }
    }
}

/// The reports a run writes (`--report`; default: every kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reports(pub std::collections::BTreeSet<Report>);

impl Default for Reports {
    fn default() -> Self {
        Self(Report::ALL.iter().copied().collect())
    }
}

impl Reports {
    /// `parquet,jsonl,...`; `all` is every kind. An unknown name is an error naming the known ones.
    pub fn parse(list: &str) -> std::result::Result<Self, String> {
        let mut set = std::collections::BTreeSet::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name.eq_ignore_ascii_case("all") {
                set.extend(Report::ALL.iter().copied());
                continue;
            }
            let r = Report::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Report::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown report `{name}` (known: {}, all)", known.join(", "))
            })?;
            set.insert(r);
        }
        Ok(Self(set))
    }

    pub fn has(&self, r: Report) -> bool {
        self.0.contains(&r)
    }

    /// The files these reports write, `summary.json` last, in [`OUTPUTS`] order.
    pub fn files(&self) -> Vec<&'static str> {
        let chosen: Vec<&str> = self
            .0
            .iter()
            .flat_map(|r| r.files().iter().copied())
            .collect();
        OUTPUTS
            .iter()
            .copied()
            .filter(|f| *f == "summary.json" || chosen.contains(f))
            .collect()
    }
}

/// Name prefix of a run's temporary folder inside the output folder.
pub const TMP_PREFIX: &str = ".subsidy-audit-tmp-";
/// The lock file inside a temporary folder, held (an OS file lock) for as long as its run lives.
const LOCK: &str = ".lock";

/// The temporary folders of this process's live runs, for [`abandon`]. Held while outputs are swapped in, so a
/// signal never interrupts the swap halfway.
static ACTIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Runs started in this process (so two runs in one process get two folders).
static RUNS: AtomicUsize = AtomicUsize::new(0);

fn active() -> MutexGuard<'static, Vec<PathBuf>> {
    ACTIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds a temporary folder of this run (a spill folder outside `--out`) to those removed on a signal.
pub fn register_temp(path: &Path) {
    active().push(path.to_path_buf());
}

/// Removes a folder given to [`register_temp`], and the folder itself.
pub fn release_temp(path: &Path) {
    let mut a = active();
    let _ = std::fs::remove_dir_all(path);
    a.retain(|p| p != path);
}

/// Writes every output of `outcome` into `out`: all of them change, or none.
pub fn write_all(out: &Path, outcome: &Outcome) -> Result<()> {
    Staging::begin(out)?.commit(outcome)
}

/// [`write_all`] of the chosen reports only (the other outputs an earlier run left are removed).
pub fn write_reports(out: &Path, outcome: &Outcome, reports: &Reports) -> Result<()> {
    Staging::begin(out)?.commit_reports(outcome, reports)
}

/// Removes the temporary folder of every live run of this process (a signal handler calls it before the
/// process exits). Waits for an output swap in progress to end, so the outputs are all old or all new.
pub fn abandon() {
    let mut a = active();
    for p in a.drain(..) {
        let _ = std::fs::remove_dir_all(&p);
    }
}

/// A run's private temporary folder in the output folder, `.subsidy-audit-tmp-<pid>/`, made before the scan
/// (so an unwritable `--out` fails at once) and holding a locked `.lock` file while the run lives. Dropping it
/// without [`Staging::commit`] removes the folder (and `--out` itself when this run created it and it is
/// empty). Making one first removes the folders that runs killed earlier left behind: a folder whose lock
/// nobody holds (or, for a folder without a lock file, whose process is gone) is dead; a live run's folder is
/// never touched.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    tmp: PathBuf,
    created_out: bool,
    done: bool,
    _lock: File,
}

impl Staging {
    pub fn begin(out: &Path) -> Result<Self> {
        let created_out = !out.exists();
        std::fs::create_dir_all(out).map_err(|e| Error::output(out, e))?;
        remove_stale(out, TMP_PREFIX);
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let name = if n == 0 {
            format!("{TMP_PREFIX}{pid}")
        } else {
            format!("{TMP_PREFIX}{pid}-{n}")
        };
        let tmp = out.join(name);
        let mut a = active();
        // a folder of this name is a dead run's with a reused pid (remove_stale left it only if its lock is
        // held, which no other process can do for our pid)
        let _ = std::fs::remove_dir_all(&tmp);
        // another run that created `out` removes it when it fails and leaves it empty: make it again then
        let mut made = std::fs::create_dir(&tmp);
        for _ in 0..8 {
            match &made {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir_all(out).map_err(|e| Error::output(out, e))?;
                    made = std::fs::create_dir(&tmp);
                }
                _ => break,
            }
        }
        made.map_err(|e| Error::output(&tmp, e))?;
        a.push(tmp.clone());
        drop(a);
        // lock under another name, then rename: a `.lock` that exists is always held while the run lives
        let lock = lock_folder(&tmp);
        let staging = |lock| Self {
            out: out.to_path_buf(),
            tmp: tmp.clone(),
            created_out,
            done: false,
            _lock: lock,
        };
        match lock {
            Ok(f) => Ok(staging(f)),
            Err(e) => {
                let mut a = active();
                let _ = std::fs::remove_dir_all(&tmp);
                a.retain(|p| p != &tmp);
                Err(Error::output(&tmp, e))
            }
        }
    }

    /// The temporary folder.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Writes every output into the temporary folder, then swaps them into the output folder together: every
    /// destination is checked first, the old files are kept aside, and any failure puts them all back.
    pub fn commit(self, outcome: &Outcome) -> Result<()> {
        self.commit_reports(outcome, &Reports::default())
    }

    /// [`Staging::commit`] of the chosen reports; the outputs of other kinds an earlier run left are removed
    /// once the new ones are in place (the folder then holds this run's outputs only).
    pub fn commit_reports(self, outcome: &Outcome, reports: &Reports) -> Result<()> {
        let names = reports.files();
        self.commit_files(&names, |dir| write_into(dir, outcome, reports))
    }

    /// Writes the outputs `names` (in [`OUTPUTS`] order) into the temporary folder with `write`, then swaps them
    /// into the output folder together as [`Staging::commit_reports`] does (the other outputs an earlier run left
    /// are removed once they are in place). A `write` that fails leaves the output folder untouched.
    pub fn commit_files(
        mut self,
        names: &[&str],
        write: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        write(&self.tmp)?;
        test_pause("write");
        let mut a = active();
        let result = swap_in(&self.out, &self.tmp, names, &mut |from, to| {
            std::fs::rename(from, to)
        });
        if result.is_ok() {
            for stale in OUTPUTS.iter().filter(|n| !names.contains(n)) {
                let p = self.out.join(stale);
                if p.is_file() {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.tmp);
        a.retain(|p| p != &self.tmp);
        self.done = true;
        result
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut a = active();
        let _ = std::fs::remove_dir_all(&self.tmp);
        a.retain(|p| p != &self.tmp);
        if self.created_out {
            // only when empty: a failed first run leaves no empty `--out` behind
            let _ = std::fs::remove_dir(&self.out);
        }
    }
}

/// Locks `dir` for as long as the returned file lives: the lock is taken under another name, then renamed, so
/// a `.lock` that exists is always held while its run lives (a sweep never sees a live run's lock free).
pub(crate) fn lock_folder(dir: &Path) -> std::io::Result<File> {
    let init = dir.join(".lock.init");
    File::create(&init)
        .and_then(|f| f.lock().map(|()| f))
        .and_then(|f| std::fs::rename(&init, dir.join(LOCK)).map(|()| f))
}

/// Removes the folders named `prefix<pid>…` in `out` that dead runs left (best effort: what cannot be removed
/// is left): the run folders in `--out`, the spill folders in `--temp-dir`.
pub(crate) fn remove_stale(out: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let path = e.path();
        // a real folder only (a symbolic link of that name is not ours to follow)
        if !e.file_type().is_ok_and(|t| t.is_dir()) || active().contains(&path) {
            continue;
        }
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        match File::options().read(true).write(true).open(path.join(LOCK)) {
            // nobody holds the lock: its run is dead (we hold it while removing)
            Ok(f) => {
                if f.try_lock().is_ok() {
                    let _ = std::fs::remove_dir_all(&path);
                }
            }
            // no lock file: an older version's folder, or a run between making its folder and its lock
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if pid.is_some_and(|p| !process_alive(p)) {
                    let _ = std::fs::remove_dir_all(&path);
                }
            }
            Err(_) => {}
        }
    }
}

/// Whether process `pid` lives; `true` when it cannot be told (a folder is then kept).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if cfg!(target_os = "linux") && proc.join("self").exists() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Moves the outputs `names` from `tmp` into `out`, all or none. Every destination must be a file or absent
/// (checked before anything moves); each existing one is first kept aside in `tmp/old/` (a hard link, else a
/// copy); when a move fails, the moved ones are taken back and the old ones restored.
fn swap_in(
    out: &Path,
    tmp: &Path,
    names: &[&str],
    rename: &mut dyn FnMut(&Path, &Path) -> std::io::Result<()>,
) -> Result<()> {
    for name in names {
        let to = out.join(name);
        match std::fs::symlink_metadata(&to) {
            Ok(m) if m.is_file() || m.is_symlink() => {}
            Ok(_) => {
                return Err(Error::output(
                    &to,
                    "it is a folder or a special file, not a file; no output was replaced",
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::output(&to, format!("{e}; no output was replaced"))),
        }
    }
    let old = tmp.join("old");
    std::fs::create_dir(&old).map_err(|e| Error::output(&old, e))?;
    let mut kept = Vec::with_capacity(names.len());
    for name in names {
        let (to, aside) = (out.join(name), old.join(name));
        let had = if to.exists() {
            std::fs::hard_link(&to, &aside)
                .or_else(|_| std::fs::copy(&to, &aside).map(|_| ()))
                .map_err(|e| {
                    Error::output(
                        &to,
                        format!("cannot keep the old file aside: {e}; no output was replaced"),
                    )
                })?;
            true
        } else {
            false
        };
        kept.push(had);
    }
    for (i, name) in names.iter().enumerate() {
        let (from, to) = (tmp.join(name), out.join(name));
        if let Err(e) = rename(&from, &to) {
            let mut lost = Vec::new();
            for (j, back) in names.iter().enumerate().take(i) {
                let (dest, aside) = (out.join(back), old.join(back));
                let undone = if kept[j] {
                    std::fs::rename(&aside, &dest)
                } else {
                    std::fs::remove_file(&dest)
                };
                if undone.is_err() {
                    lost.push(*back);
                }
            }
            let state = if lost.is_empty() {
                "every output is the earlier run's again".to_string()
            } else {
                format!("could not restore {}", lost.join(", "))
            };
            return Err(Error::output(&to, format!("{e}; {state}")));
        }
    }
    Ok(())
}

/// A test hook: with `SUBSIDY_AUDIT_TEST_PAUSE=<point>:<file>` in the environment, the run creates `<file>`
/// when it reaches `<point>` (`scan`: the first row group scanned; `write`: the outputs written but not yet
/// swapped in) and then waits until it is killed. Lets tests signal a run at a known moment without timing.
#[doc(hidden)]
pub fn test_pause(point: &str) {
    let Ok(v) = std::env::var("SUBSIDY_AUDIT_TEST_PAUSE") else {
        return;
    };
    let Some((at, file)) = v.split_once(':') else {
        return;
    };
    if at != point {
        return;
    }
    let _ = std::fs::write(file, b"paused\n");
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// One report's writer, run beside the others.
type Job<'a> = Box<dyn Fn() -> Result<()> + Send + Sync + 'a>;

fn write_into(dir: &Path, o: &Outcome, reports: &Reports) -> Result<()> {
    let p = |n: &str| -> PathBuf { dir.join(n) };
    // every report at once: the workbook (its compression the slowest part) overlaps the others; the first error
    // in the order below is the one reported
    let mut jobs: Vec<Job<'_>> = Vec::new();
    if reports.has(Report::Xlsx) {
        jobs.push(Box::new(|| xlsx::write(&p("report.xlsx"), o)));
    }
    if reports.has(Report::Parquet) {
        jobs.push(Box::new(|| {
            parquet::write_findings(&p("findings.parquet"), &o.findings)
        }));
    }
    if reports.has(Report::Jsonl) {
        jobs.push(Box::new(|| {
            jsonl::write_findings(&p("findings.jsonl"), &o.findings, &o.summary.currency)?;
            jsonl::write_cases(&p("cases.jsonl"), &o.cases, &o.summary.currency)
        }));
    }
    if reports.has(Report::Csv) {
        jobs.push(Box::new(|| csv::write_cases(&p("cases.csv"), &o.cases)));
    }
    if reports.has(Report::Hotspots) {
        jobs.push(Box::new(|| {
            csv::write_hotspots(&p("hotspots.csv"), &o.hotspots)
        }));
    }
    if reports.has(Report::Html) {
        jobs.push(Box::new(|| html::write(&p("report.html"), o)));
    }
    jobs.push(Box::new(|| summary::write(&p("summary.json"), &o.summary)));
    let results: Vec<Result<()>> = jobs.par_iter().with_max_len(1).map(|j| j()).collect();
    results.into_iter().collect()
}

/// Creates a file for writing, buffered.
pub(crate) fn create(path: &Path) -> Result<std::io::BufWriter<std::fs::File>> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|e| Error::output(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().to_string(),
                    std::fs::read_to_string(e.path()).expect("read"),
                )
            })
            .collect();
        v.sort();
        v
    }

    /// Two runs into one new `--out`: the first to fail removes the (empty) folder it made while the other is
    /// making its own temporary folder; the other must make `--out` again, not fail (a CI failure, once).
    #[test]
    fn a_run_survives_another_removing_the_out_folder_it_made() {
        let dir = std::env::temp_dir().join(format!("sa-race-{}", std::process::id()));
        for i in 0..200 {
            let out = dir.join(format!("out-{i}"));
            let runs: Vec<_> = (0..2)
                .map(|_| {
                    let out = out.clone();
                    std::thread::spawn(move || Staging::begin(&out).map(drop))
                })
                .collect();
            for r in runs {
                let r = r.join().expect("thread");
                assert!(r.is_ok(), "round {i}: {r:?}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_move_that_fails_halfway_puts_every_old_output_back() {
        let dir = std::env::temp_dir().join(format!("sa-swap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (out, tmp) = (dir.join("out"), dir.join("out/.tmp"));
        std::fs::create_dir_all(&tmp).expect("dirs");
        let names = ["a", "b", "c", "d"];
        // `c` has no earlier version; the others do
        for n in ["a", "b", "d"] {
            std::fs::write(out.join(n), format!("old {n}")).expect("old");
        }
        for n in names {
            std::fs::write(tmp.join(n), format!("new {n}")).expect("new");
        }
        let before = files(&out);
        let mut moved = 0;
        let e = swap_in(&out, &tmp, &names, &mut |from, to| {
            if to.ends_with("d") {
                return Err(std::io::Error::other("disk full"));
            }
            moved += 1;
            std::fs::rename(from, to)
        })
        .expect_err("fails at d");
        assert_eq!(moved, 3);
        let msg = e.to_string();
        assert!(msg.contains("disk full"), "{msg}");
        assert!(
            msg.contains("every output is the earlier run's again"),
            "{msg}"
        );
        assert_eq!(files(&out), before);
        assert!(!out.join("c").exists());

        // and when nothing fails, every output is the new one
        std::fs::remove_dir_all(tmp.join("old")).expect("clean");
        for n in names {
            std::fs::write(tmp.join(n), format!("new {n}")).expect("new");
        }
        swap_in(&out, &tmp, &names, &mut |from, to| {
            std::fs::rename(from, to)
        })
        .expect("swap");
        let now: Vec<String> = files(&out).into_iter().map(|(_, t)| t).collect();
        assert_eq!(now, vec!["new a", "new b", "new c", "new d"]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
