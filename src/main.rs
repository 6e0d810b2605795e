//! The thin binary: parse flags, call the library, print, exit. The one place that prints errors.
//! Exit codes: 0 no referral, 1 referrals, 2 error (usage, config, unreadable input, unwritable output), 3 the
//! data-quality gate failed (no row scanned, or too many rows with problems; outputs written). 2 wins over 3,
//! 3 over 1. A run stopped by Ctrl-C or SIGTERM removes its temporary folder and exits 130 / 143.

mod cli;

use clap::Parser;
use cli::{Cli, Command, Format, ListFormat};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use subsidy_audit::error::{Error, Result};
use subsidy_audit::rules;
use subsidy_audit::ScanOptions;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn options(input: cli::InputArgs) -> ScanOptions {
    ScanOptions {
        inputs: input.ledger,
        registry: input.registry,
        deaths: input.deaths,
        officials: input.officials,
        config: input.config,
        ..ScanOptions::default()
    }
}

fn out(text: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    // a closed pipe (`| head`) is not an error worth exit code 2
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Error::Usage(e.to_string()))
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(a) => scan(a),
        Command::Import(a) => import(a),
        Command::Rules { format } => {
            let all = rules::registry();
            match format {
                ListFormat::Json => out(&json(&all.iter().map(|e| e.meta).collect::<Vec<_>>())?)?,
                ListFormat::Table => {
                    let mut s = String::new();
                    for e in &all {
                        let m = e.meta;
                        s += &format!(
                            "{}  {:<26} {:<8} {}\n",
                            m.code,
                            m.name,
                            m.severity.as_str(),
                            m.summary
                        );
                        s += &format!(
                            "        columns: {}",
                            m.columns
                                .iter()
                                .map(|c| c.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        if !m.optional_columns.is_empty() {
                            s += &format!(
                                " (optional: {})",
                                m.optional_columns
                                    .iter()
                                    .map(|c| c.name())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            );
                        }
                        s += "\n";
                        for p in m.params {
                            s += &format!(
                                "        [rules.{}] {} = {} ({})\n",
                                m.code,
                                p.name,
                                serde_json::to_string(&p.default).unwrap_or_default(),
                                p.doc
                            );
                        }
                    }
                    out(&s)?;
                }
            }
            Ok(0)
        }
        Command::Explain { code } => {
            let all = rules::registry();
            let e = all
                .iter()
                .find(|e| e.meta.code.eq_ignore_ascii_case(&code))
                .ok_or(Error::UnknownRule { code })?;
            let m = e.meta;
            out(&format!(
                "{} {}: {}\nseverity: {}\n\n{}\n",
                m.code,
                m.name,
                m.summary,
                m.severity.as_str(),
                m.doc
            ))?;
            Ok(0)
        }
        Command::Check(a) if a.profile => {
            let mut opts = options(a.input);
            opts.threads = a.threads;
            let r = subsidy_audit::profile::profile(&opts)?;
            match a.format {
                ListFormat::Json => out(&json(&r)?)?,
                ListFormat::Table => out(&subsidy_audit::profile::render_table(&r))?,
            }
            Ok(0)
        }
        Command::Check(a) => {
            let r = subsidy_audit::check(&options(a.input))?;
            match a.format {
                ListFormat::Json => out(&json(&r)?)?,
                ListFormat::Table => {
                    let mut s = format!(
                        "{} files, {} row groups, {} rows\n\ncolumns:\n",
                        r.files, r.row_groups, r.rows
                    );
                    for c in &r.columns {
                        let map = if c.mapped_to == c.canonical {
                            String::new()
                        } else {
                            format!(" <- {}", c.mapped_to)
                        };
                        let state = if c.present {
                            c.types.join(" | ")
                        } else {
                            "absent".into()
                        };
                        s += &format!("  {:<13}{map:<16} {state}\n", c.canonical);
                    }
                    s += &format!(
                        "\nlocale: currency {}, id scheme {}, region {}\n",
                        r.locale.currency, r.locale.id_scheme, r.locale.region
                    );
                    for f in &r.filters {
                        s += &format!("filter: {f}\n");
                    }
                    s += "\nrules:\n";
                    for k in &r.rules {
                        s += &format!(
                            "  {} {:<26} {}\n",
                            k.code,
                            k.name,
                            k.reason
                                .as_deref()
                                .map_or("runs".to_string(), |w| format!("skipped: {w}"))
                        );
                    }
                    out(&s)?;
                }
            }
            Ok(0)
        }
        Command::Generate(a) => generate(a),
        Command::Mask(a) => mask(a),
        Command::Evaluate(a) => evaluate(a),
        Command::Digits(a) => digits(a),
        Command::Skew { from, out, kind } => {
            subsidy_audit::generate::skew::write_variant(&from, &out, &kind)?;
            Ok(0)
        }
    }
}

/// Ctrl-C, SIGTERM and SIGHUP: remove the run's temporary folder (waiting for an output swap in progress to
/// end, so the outputs are all old or all new), then exit 128 + the signal (130, 143, 129).
#[cfg(unix)]
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                subsidy_audit::report::abandon();
                eprintln!("interrupted: the earlier outputs are untouched");
                std::process::exit(128 + sig);
            }
        });
    }
}

#[cfg(not(unix))]
fn clean_up_on_signals() {}

fn scan(a: cli::ScanArgs) -> Result<u8> {
    clean_up_on_signals();
    let mut opts = options(a.input);
    opts.threads = a.threads;
    opts.select = a.select;
    opts.ignore = a.ignore;
    opts.batch_size = a.batch_size;
    opts.baseline = a.baseline;
    opts.max_problem_share = a.max_problem_share;
    opts.lang = a.lang;
    opts.mask = a.mask;
    let bar = (!a.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} rows {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    // the temporary folder is made (and stale ones of dead runs removed) before the scan: an unwritable
    // `--out` fails at once, and a signal during the scan finds the folder to remove
    let staging = subsidy_audit::report::Staging::begin(&a.out)?;
    opts.memory_limit = a.memory_limit;
    opts.temp_dir = Some(a.temp_dir.unwrap_or_else(|| staging.path().to_path_buf()));
    let progress = |done: u64, total: u64| {
        subsidy_audit::report::test_pause("scan");
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let outcome = subsidy_audit::scan(&opts, &progress)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    staging.commit_reports(&outcome, &a.report.unwrap_or_default())?;
    if a.verbose {
        for f in &outcome.summary.inputs {
            for p in &f.problems {
                eprintln!(
                    "{}: {} rows with {:?} in `{}` (first rows {:?})",
                    f.path, p.rows, p.problem, p.column, p.sample_rows
                );
            }
        }
    }
    if !a.quiet {
        match a.format {
            Format::Table => {
                out(&subsidy_audit::report::table::render(&outcome))?;
                out(&format!(
                    "{} {}\n",
                    outcome.lang.label("outputs in"),
                    a.out.display()
                ))?;
            }
            Format::Json => {
                #[derive(serde::Serialize)]
                struct Both<'a> {
                    summary: &'a subsidy_audit::report::summary::Summary,
                    cases: &'a [subsidy_audit::case::Case],
                }
                out(&json(&Both {
                    summary: &outcome.summary,
                    cases: &outcome.cases,
                })?)?;
            }
            Format::Csv => {
                let mut buf = Vec::new();
                subsidy_audit::report::csv::write_to(&mut buf, &outcome.cases)
                    .map_err(|e| Error::Usage(e.to_string()))?;
                out(&String::from_utf8_lossy(&buf))?;
            }
        }
    }
    if let Some(why) = &outcome.summary.quality_gate.reason {
        eprintln!("data-quality gate failed (exit code 3): {why}");
    }
    let code = outcome.exit_code();
    Ok(if a.exit_zero && code == 1 { 0 } else { code })
}

fn mask(a: cli::MaskArgs) -> Result<u8> {
    clean_up_on_signals();
    let config = subsidy_audit::config::Config::load(a.config.as_deref(), None)?;
    let key = subsidy_audit::mask::resolve_key(&config)?;
    let r = subsidy_audit::mask::mask_folder(&a.input, &a.out, &key)?;
    if !r.refused.is_empty() {
        eprintln!(
            "not masked: {} (a workbook or page cannot be masked from the file; `subsidy-audit scan --mask` writes masked ones)",
            r.refused.join(", ")
        );
    }
    if !a.quiet {
        out(&format!(
            "masked {} into {}\n",
            r.written.join(", "),
            a.out.display()
        ))?;
    }
    Ok(0)
}

fn generate(a: cli::GenerateArgs) -> Result<u8> {
    let mut rates = std::collections::BTreeMap::new();
    for r in &a.rates {
        let (k, v) = r
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--rate {r}: expected KIND=R")))?;
        let v: f64 = v
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && (0.0..=1.0).contains(x))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--rate {r}: the rate must be a number between 0 and 1"
                ))
            })?;
        rates.insert(k.to_string(), v);
    }
    if !(a.anomaly_rate.is_finite() && (0.0..=1.0).contains(&a.anomaly_rate)) {
        return Err(Error::Usage(
            "--anomaly-rate must be between 0 and 1".into(),
        ));
    }
    let opts = subsidy_audit::generate::GenerateOptions {
        rows: a.rows,
        out: a.out,
        seed: a.seed,
        anomaly_rate: a.anomaly_rate,
        rates,
        files: a.files,
        row_group_rows: a.row_group_rows,
    };
    let m = subsidy_audit::generate::generate(&opts)?;
    out(&json(&m)?)?;
    Ok(0)
}

fn evaluate(a: cli::EvaluateArgs) -> Result<u8> {
    let e = subsidy_audit::evaluate::evaluate(&a.truth, &a.findings)?;
    match a.format {
        ListFormat::Json => out(&json(&e)?)?,
        ListFormat::Table => out(&e.to_table())?,
    }
    Ok(0)
}

fn digits(a: cli::DigitsArgs) -> Result<u8> {
    use subsidy_audit::rules::dig::Level;
    let level = match a.by {
        cli::DigitsBy::County => Level::County,
        cli::DigitsBy::Township => Level::Township,
        cli::DigitsBy::Officer => Level::Officer,
        cli::DigitsBy::None => Level::All,
    };
    let opts = ScanOptions {
        inputs: a.ledger,
        config: a.config,
        threads: a.threads,
        ..ScanOptions::default()
    };
    let rows = subsidy_audit::digits::digit_table(&opts, level)?;
    match a.format {
        ListFormat::Json => out(&json(&rows)?)?,
        ListFormat::Table => out(&subsidy_audit::digits::render_table(&rows))?,
    }
    Ok(0)
}

fn import(a: cli::ImportArgs) -> Result<u8> {
    let opts = subsidy_audit::import::ImportOptions {
        inputs: a.input,
        out: a.out,
        config: a.config,
        encoding: match a.encoding.as_deref() {
            Some(e) => subsidy_audit::import::Encoding::parse(e).map_err(Error::Usage)?,
            None => None,
        },
        delimiter: a.delimiter,
        sheet: a.sheet,
        row_group_rows: a.row_group_rows,
    };
    let s = subsidy_audit::import::import(&opts)?;
    if !a.quiet {
        out(&subsidy_audit::import::render(&s))?;
    }
    // as a scan that scans no row: nothing usable came out (every row rejected, or none there)
    if s.rows_written == 0 {
        eprintln!(
            "no row written ({} read, {} rejected): exit code 3; see {}",
            s.rows_read,
            s.rows_rejected,
            std::path::Path::new(&s.out)
                .join(subsidy_audit::import::SUMMARY_FILE)
                .display()
        );
        return Ok(3);
    }
    Ok(0)
}
