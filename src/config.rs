//! Flags plus the TOML config file -> one validated [`Config`].
//!
//! The config file has these tables, all optional; any other key is an error that names it:
//!
//! ```toml
//! [scan]
//! referral_threshold = 10.0   # a case is referred when its score reaches this
//! batch_size = 8192           # rows per decoded batch
//! max_problem_share = 0.5     # above this share of rows with problems (or no row scanned) the run exits 3
//! max_evidence_rows = 1000    # the most evidence rows one finding cites (totals stay in full)
//! memory_limit = "1.5GiB"     # spill partitioned rule states to disk above this (default: half the memory)
//! flood_findings = 10000      # a rule raising more findings than this and than flood_share of the rows floods
//! flood_share = 0.01
//! flood_keep = 1000           # the findings a flooding rule still writes (the ones citing the most payments)
//!
//! [columns]                   # canonical name = the ledger's own column name
//! payee_id = "身份证号"
//!
//! [registry] / [deaths] / [officials]   # reference tables: path = "...", [X.columns] mapping
//!
//! [rules.DUP003]              # thresholds of one rule (see `subsidy-audit rules`)
//! min_payees = 4
//!
//! [schemes.FARMLAND]          # scheme rules, see ledger-schema.md
//! frequency = "yearly"
//!
//! [mask]                      # masked copies (`scan --mask`, `mask`): the key of the pseudonyms
//! key = "..."                 # (or SUBSIDY_AUDIT_MASK_KEY); left out of the config hash
//! ```

use crate::error::{Error, Result};
use crate::ledger::column::Col;
use crate::scheme::{parse_schemes, Schemes};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Default score at which a case is referred.
pub const DEFAULT_REFERRAL_THRESHOLD: f64 = 10.0;
/// Default most share of rows with data-quality problems before a run fails its gate (exit code 3).
pub const DEFAULT_MAX_PROBLEM_SHARE: f64 = 0.5;
/// Default rows per decoded batch.
pub const DEFAULT_BATCH_SIZE: usize = 8192;
/// The most evidence rows one finding cites by default.
pub const DEFAULT_MAX_EVIDENCE_ROWS: usize = 1000;
/// A rule floods when it raises more findings than this and than [`DEFAULT_FLOOD_SHARE`] of the rows scanned.
pub const DEFAULT_FLOOD_FINDINGS: usize = 10_000;
pub const DEFAULT_FLOOD_SHARE: f64 = 0.01;
/// The findings a flooding rule still writes.
pub const DEFAULT_FLOOD_KEEP: usize = 1000;

/// A reference table's location and column mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RefTableConfig {
    pub path: Option<PathBuf>,
    pub columns: BTreeMap<String, String>,
}

/// The validated configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file, when one was read.
    pub path: Option<PathBuf>,
    /// Ledger column mapping: canonical column -> the ledger's name.
    pub columns: BTreeMap<Col, String>,
    /// `[import]`: how `import` reads CSV and workbooks.
    pub import: crate::import::ImportSettings,
    pub referral_threshold: f64,
    pub batch_size: usize,
    /// `[scan] max_problem_share`: above this share of rows with problems the run exits 3.
    pub max_problem_share: f64,
    /// The most evidence rows one finding cites (`[scan] max_evidence_rows`, default 1,000): the totals of a
    /// larger finding are still given in full.
    pub max_evidence_rows: usize,
    /// `[scan] memory_limit` in bytes: above it the scan spills its partitioned rule states to disk
    /// (`--memory-limit` overrides; `None`: the default share of the machine's memory).
    pub memory_limit: Option<u64>,
    /// When one rule floods and how many of its findings are still written (`[scan] flood_findings`,
    /// `flood_share`, `flood_keep`).
    pub rule_flood: RuleFlood,
    /// Raw `[rules.CODE]` tables; checked against each rule's thresholds when the rules are built.
    pub rules: BTreeMap<String, toml::Table>,
    pub schemes: Schemes,
    pub registry: RefTableConfig,
    pub deaths: RefTableConfig,
    pub officials: RefTableConfig,
    /// `[[exclude]]` row filters, in order.
    pub filters: crate::filter::Filters,
    /// `[locale]`: currency, id scheme, region hierarchy.
    pub locale: crate::locale::Locale,
    /// `[mask]`: the key of masked copies (never written anywhere).
    pub mask: crate::mask::MaskSettings,
    /// SHA-256 (hex, 16 chars) over the texts that configured the run.
    pub hash: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            path: None,
            columns: BTreeMap::new(),
            import: crate::import::ImportSettings::default(),
            referral_threshold: DEFAULT_REFERRAL_THRESHOLD,
            batch_size: DEFAULT_BATCH_SIZE,
            max_problem_share: DEFAULT_MAX_PROBLEM_SHARE,
            max_evidence_rows: DEFAULT_MAX_EVIDENCE_ROWS,
            memory_limit: None,
            rule_flood: RuleFlood::default(),
            rules: BTreeMap::new(),
            schemes: Schemes::new(),
            registry: RefTableConfig::default(),
            deaths: RefTableConfig::default(),
            officials: RefTableConfig::default(),
            filters: crate::filter::Filters::default(),
            locale: crate::locale::Locale::default(),
            mask: crate::mask::MaskSettings::default(),
            hash: hex16(&Sha256::digest(b"")),
        }
    }
}

fn hex16(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl Config {
    /// Reads a config file. `schemes_file` (a generated folder's `schemes.toml`) supplies the scheme rules
    /// when the config file has none.
    pub fn load(path: Option<&Path>, schemes_file: Option<&Path>) -> Result<Self> {
        let mut hasher = Sha256::new();
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                let cfg = Self::parse(p, &text)?;
                // the mask key changes no finding, and no hash of it is written anywhere
                match &cfg.mask.key {
                    Some(k) => hasher.update(text.replace(k.as_str(), "").as_bytes()),
                    None => hasher.update(text.as_bytes()),
                }
                cfg
            }
            None => Self::default(),
        };
        if cfg.schemes.is_empty() {
            if let Some(sp) = schemes_file {
                let text = std::fs::read_to_string(sp).map_err(|e| Error::io(sp, e))?;
                hasher.update(b"\0schemes\0");
                hasher.update(text.as_bytes());
                let only = Self::parse(sp, &text)?;
                cfg.schemes = only.schemes;
            }
        }
        cfg.path = path.map(Path::to_path_buf);
        cfg.hash = hex16(&hasher.finalize());
        Ok(cfg)
    }

    /// Parses config text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            let at = e
                .span()
                .map(|s| line_of(text, s.start))
                .map_or(String::new(), |l| format!("line {l}"));
            Error::config(path, at, msg)
        })?;
        let mut cfg = Self::default();
        for (key, value) in &doc {
            match key.as_str() {
                "scan" => parse_scan(path, value, &mut cfg)?,
                "import" => cfg.import = crate::import::parse_settings(path, value)?,
                "columns" => {
                    for (canon, name) in table(path, "columns", value)? {
                        let col = Col::from_name(canon).ok_or_else(|| {
                            Error::config(path, format!("columns.{canon}"), format!("unknown canonical column (expected one of: {})", Col::names().join(", ")))
                        })?;
                        let name = name
                            .as_str()
                            .ok_or_else(|| Error::config(path, format!("columns.{canon}"), "must be a column name (text)"))?;
                        cfg.columns.insert(col, name.to_string());
                    }
                }
                "registry" => cfg.registry = parse_ref(path, key, value)?,
                "deaths" => cfg.deaths = parse_ref(path, key, value)?,
                "officials" => cfg.officials = parse_ref(path, key, value)?,
                "rules" => {
                    for (code, t) in table(path, "rules", value)? {
                        let t = t
                            .as_table()
                            .ok_or_else(|| Error::config(path, format!("rules.{code}"), "must be a table of thresholds"))?;
                        cfg.rules.insert(code.clone(), t.clone());
                    }
                }
                "schemes" => cfg.schemes = parse_schemes(path, table(path, "schemes", value)?)?,
                "exclude" => cfg.filters = crate::filter::parse(path, value)?,
                "locale" => cfg.locale = crate::locale::Locale::parse(path, value)?,
                "mask" => cfg.mask = crate::mask::parse_settings(path, value)?,
                other => {
                    return Err(Error::config(
                        path,
                        other,
                        "unknown key (expected scan, columns, registry, deaths, officials, rules, schemes, exclude, locale, import, mask)",
                    ))
                }
            }
        }
        // `[locale.region] county_column`/`township_column` map the canonical county and township columns
        if let crate::locale::RegionScheme::Columns { county, township } = &cfg.locale.region {
            for (col, name) in [
                (Col::County, Some(county)),
                (Col::Township, township.as_ref()),
            ] {
                let Some(name) = name else { continue };
                match cfg.columns.get(&col) {
                    Some(other) if other != name => {
                        return Err(Error::config(
                            path,
                            format!("locale.region.{col}_column"),
                            format!("names `{name}` where [columns] {col} names `{other}`"),
                        ))
                    }
                    _ => {
                        cfg.columns.insert(col, name.clone());
                    }
                }
            }
        }
        Ok(cfg)
    }

    /// The ledger's name for a canonical column.
    pub fn column_name(&self, col: Col) -> &str {
        self.columns.get(&col).map_or(col.name(), String::as_str)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

fn table<'a>(path: &Path, key: &str, value: &'a toml::Value) -> Result<&'a toml::Table> {
    value
        .as_table()
        .ok_or_else(|| Error::config(path, key, "must be a table"))
}

fn parse_scan(path: &Path, value: &toml::Value, cfg: &mut Config) -> Result<()> {
    for (k, v) in table(path, "scan", value)? {
        let at = format!("scan.{k}");
        match k.as_str() {
            "referral_threshold" => {
                cfg.referral_threshold = v
                    .as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| Error::config(path, &at, "must be a non-negative number"))?;
            }
            "batch_size" => {
                cfg.batch_size = v
                    .as_integer()
                    .and_then(|i| usize::try_from(i).ok())
                    .filter(|n| (1..=crate::MAX_BATCH_SIZE).contains(n))
                    .ok_or_else(|| {
                        Error::config(
                            path,
                            &at,
                            format!("must be an integer between 1 and {}", crate::MAX_BATCH_SIZE),
                        )
                    })?;
            }
            "max_problem_share" => {
                cfg.max_problem_share = v
                    .as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .filter(|f| f.is_finite() && (0.0..=1.0).contains(f))
                    .ok_or_else(|| Error::config(path, &at, "must be a number between 0 and 1"))?;
            }
            "max_evidence_rows" => {
                cfg.max_evidence_rows = v
                    .as_integer()
                    .and_then(|i| usize::try_from(i).ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| Error::config(path, &at, "must be a positive integer"))?;
            }
            "flood_findings" | "flood_keep" => {
                let n = v
                    .as_integer()
                    .and_then(|i| usize::try_from(i).ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| Error::config(path, &at, "must be a positive integer"))?;
                if k == "flood_keep" {
                    cfg.rule_flood.keep = n;
                } else {
                    cfg.rule_flood.findings = n;
                }
            }
            "memory_limit" => {
                let text = v
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_integer().map(|i| i.to_string()))
                    .ok_or_else(|| {
                        Error::config(path, &at, "must be a size such as \"1.5GiB\" or \"512MiB\"")
                    })?;
                cfg.memory_limit = Some(
                    crate::engine::spill::parse_size(&text)
                        .map_err(|m| Error::config(path, &at, m))?,
                );
            }
            "flood_share" => {
                cfg.rule_flood.share = v
                    .as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .filter(|f| f.is_finite() && (0.0..=1.0).contains(f))
                    .ok_or_else(|| Error::config(path, &at, "must be a number between 0 and 1"))?;
            }
            _ => {
                return Err(Error::config(
                    path,
                    at,
                    "unknown key (expected referral_threshold, batch_size, max_evidence_rows, max_problem_share, flood_findings, flood_share, flood_keep, memory_limit)",
                ))
            }
        }
    }
    Ok(())
}

fn parse_ref(path: &Path, name: &str, value: &toml::Value) -> Result<RefTableConfig> {
    let mut r = RefTableConfig::default();
    for (k, v) in table(path, name, value)? {
        let at = format!("{name}.{k}");
        match k.as_str() {
            "path" => {
                let p = v
                    .as_str()
                    .ok_or_else(|| Error::config(path, &at, "must be a path (text)"))?;
                // relative paths are relative to the config file
                let base = path.parent().unwrap_or_else(|| Path::new("."));
                r.path = Some(base.join(p));
            }
            "columns" => {
                for (c, n) in table(path, &at, v)? {
                    let n = n.as_str().ok_or_else(|| {
                        Error::config(path, format!("{at}.{c}"), "must be a column name (text)")
                    })?;
                    r.columns.insert(c.clone(), n.to_string());
                }
            }
            _ => {
                return Err(Error::config(
                    path,
                    at,
                    "unknown key (expected path, columns)",
                ))
            }
        }
    }
    Ok(r)
}

/// When a rule floods: it raises more than `findings` findings and more than `share` of the rows scanned; it
/// then writes only `keep` of them (those citing the most payments) and the run says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleFlood {
    pub findings: usize,
    pub share: f64,
    pub keep: usize,
}

impl Default for RuleFlood {
    fn default() -> Self {
        Self {
            findings: DEFAULT_FLOOD_FINDINGS,
            share: DEFAULT_FLOOD_SHARE,
            keep: DEFAULT_FLOOD_KEEP,
        }
    }
}

impl RuleFlood {
    /// The most findings a rule may raise over `rows_scanned` rows before it floods.
    pub fn limit(&self, rows_scanned: u64) -> usize {
        let by_share = (self.share * rows_scanned as f64).ceil() as usize;
        self.findings.max(by_share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rule_flood_bounds() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[scan]\nflood_findings = 50\nflood_share = 0.2\nflood_keep = 5\n",
        )
        .expect("valid");
        assert_eq!(
            c.rule_flood,
            RuleFlood {
                findings: 50,
                share: 0.2,
                keep: 5
            }
        );
        assert_eq!(c.rule_flood.limit(1000), 200);
        assert_eq!(RuleFlood::default().limit(2_000_000), 20_000);
        for bad in ["flood_keep = 0", "flood_share = 1.5", "flood_findings = -1"] {
            let e = Config::parse(Path::new("c.toml"), &format!("[scan]\n{bad}\n"))
                .expect_err(bad)
                .to_string();
            assert!(e.starts_with("config c.toml: scan.flood_"), "{e}");
        }
    }

    #[test]
    fn reads_every_table() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[scan]\nreferral_threshold = 7\nbatch_size = 100\n[columns]\npayee_id = \"身份证号\"\n[rules.DUP003]\nmin_payees = 4\n[schemes.T]\namount = 1.5\n",
        )
        .expect("valid");
        assert!((c.referral_threshold - 7.0).abs() < f64::EPSILON);
        assert_eq!(c.batch_size, 100);
        assert_eq!(c.column_name(Col::PayeeId), "身份证号");
        assert_eq!(c.column_name(Col::Account), "account");
        assert_eq!(c.rules["DUP003"]["min_payees"].as_integer(), Some(4));
        assert_eq!(c.schemes["T"].amount_fen, Some(150));
    }

    #[test]
    fn unknown_keys_are_named() {
        for (text, key) in [
            ("[scan]\nthreads = 3\n", "scan.threads"),
            ("[colums]\n", "colums"),
            ("[columns]\npayee = \"x\"\n", "columns.payee"),
            ("[registry]\nfile = \"x\"\n", "registry.file"),
        ] {
            let e = Config::parse(Path::new("c.toml"), text).expect_err(text);
            assert!(e.to_string().contains(key), "{e} lacks {key}");
            assert!(e.to_string().contains("c.toml"), "{e}");
        }
    }

    #[test]
    fn syntax_errors_give_the_line() {
        let e =
            Config::parse(Path::new("c.toml"), "[scan]\nbatch_size = = 3\n").expect_err("syntax");
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
