//! Fuzzing in the test suite (issue 11), with fixed seeds so every run is the same:
//! - property tests write random small ledgers (random column types, nulls, empty strings, unicode, extreme
//!   numbers and dates) with random configs (row filters and locales too) and reference tables, scan them
//!   in-process and write the outputs, and assert that nothing panics, the exit code is a documented one, and
//!   every row read is accounted for (scanned, with problems, or excluded);
//! - a few hundred seeded mutations of valid Parquet files (bit flips, overwritten sizes, truncations, spliced
//!   footers) each end in exit 0-3 within a time bound, never a panic.

mod common;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array,
    LargeStringArray, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use common::{Ledger, Parquet};
use parquet::basic::{Compression, ZstdLevel};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use subsidy_audit::ledger::column::{Col, Kind};
use subsidy_audit::ScanOptions;

/// Rows the random ledgers' filters excluded, all cases together (the generator must reach them).
static EXCLUDED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The exit codes the README documents for a scan that ends (0, 1, 2, 3).
const DOCUMENTED: [u8; 4] = [0, 1, 2, 3];

/// A scan as `main.rs` maps it to an exit code: errors are 2, else the outcome's code; the outputs are
/// written as a real run writes them. Checks that every row read is accounted for.
fn run(opts: &ScanOptions, out: &Path) -> u8 {
    match subsidy_audit::scan(opts, &|_, _| {}) {
        Err(_) => 2,
        Ok(o) => {
            let s = &o.summary;
            assert_eq!(
                s.rows_read,
                s.rows_scanned + s.rows_with_problems + s.rows_excluded,
                "rows unaccounted for: {s:?}"
            );
            EXCLUDED.fetch_add(s.rows_excluded, std::sync::atomic::Ordering::Relaxed);
            let per_file: u64 = s.inputs.iter().map(|i| i.rows_read).sum();
            assert_eq!(per_file, s.rows_read);
            for i in &s.inputs {
                assert_eq!(
                    i.rows_read,
                    i.rows_scanned + i.rows_with_problems + i.rows_excluded
                );
            }
            match subsidy_audit::report::write_all(out, &o) {
                Err(_) => 2,
                Ok(()) => o.exit_code(),
            }
        }
    }
}

// ---- random ledgers ----

fn text_pool() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "P1",
        "P2",
        "A1",
        "A2",
        "张三",
        "王伟",
        "🙂",
        "a\u{0}b",
        "110101196205035536",
        "110101620503553",
        "１１０１０１１９６２０５０３５５３６",
        "11010119620503553x",
        "2024",
        "2024-01",
        "202401",
        "2024-Q3",
        "2024-13",
        "2024-02-30",
        "1970-01-01",
        "2024-04-12",
        "9999-12-31",
        "-1",
        "1e308",
        "NaN",
        "12.50",
        "GB-****-*******",
        "FARMLAND",
        "ELDERLY",
        "PAID",
        "REVERSED",
        "110101001001",
        "Direct Se",
        "6228480000000001",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    v.push("x".repeat(5000));
    v.push("名".repeat(40));
    v
}

const INTS: [i64; 12] = [
    0,
    1,
    -1,
    100,
    10_000,
    2024,
    202_401,
    20_240_101,
    99_999_999_999,
    i64::MAX,
    i64::MIN,
    -5_000,
];
const FLOATS: [f64; 10] = [
    0.0,
    -0.0,
    1.5,
    123.456,
    0.005,
    1e308,
    -1e308,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];
const DAYS: [i32; 8] = [0, -1, 19_000, 19_800, 19_801, 2_932_896, i32::MAX, i32::MIN];

/// One generated column: its canonical column, a type choice and its cells (`None` = null; else an index into
/// the pools).
#[derive(Debug, Clone)]
struct ColSpec {
    col: usize,
    ty: u8,
    cells: Vec<Option<u32>>,
}

#[derive(Debug, Clone)]
struct LedgerSpec {
    rows: usize,
    row_group: usize,
    cols: Vec<ColSpec>,
    config: Vec<u8>,
    threads: usize,
    select: u8,
    deaths: Option<Vec<(Option<u32>, Option<u32>)>>,
}

fn natural(kind: Kind, t: u8) -> DataType {
    let pick = |v: &[DataType]| v[usize::from(t) % v.len()].clone();
    match kind {
        Kind::Text => pick(&[DataType::Utf8, DataType::LargeUtf8]),
        Kind::TextOrInt => pick(&[DataType::Utf8, DataType::Int64]),
        Kind::Period => pick(&[DataType::Utf8, DataType::Int64, DataType::Int32]),
        Kind::Date => pick(&[
            DataType::Date32,
            DataType::Utf8,
            DataType::Timestamp(TimeUnit::Millisecond, None),
        ]),
        Kind::Number => pick(&[
            DataType::Decimal128(38, 2),
            DataType::Int64,
            DataType::Float64,
            DataType::Int32,
            DataType::Decimal128(10, 0),
        ]),
    }
}

fn any_type(t: u8) -> DataType {
    let all = [
        DataType::Utf8,
        DataType::LargeUtf8,
        DataType::Int64,
        DataType::Int32,
        DataType::Float64,
        DataType::Decimal128(38, 2),
        DataType::Date32,
        DataType::Timestamp(TimeUnit::Millisecond, None),
        DataType::Boolean,
    ];
    all[usize::from(t) % all.len()].clone()
}

fn array(dt: &DataType, cells: &[Option<u32>], pool: &[String]) -> ArrayRef {
    let text = |i: u32| pool[i as usize % pool.len()].as_str();
    let int = |i: u32| INTS[i as usize % INTS.len()];
    match dt {
        DataType::Utf8 => Arc::new(cells.iter().map(|c| c.map(text)).collect::<StringArray>()),
        DataType::LargeUtf8 => Arc::new(
            cells
                .iter()
                .map(|c| c.map(text))
                .collect::<LargeStringArray>(),
        ),
        DataType::Int64 => Arc::new(cells.iter().map(|c| c.map(int)).collect::<Int64Array>()),
        DataType::Int32 => Arc::new(
            cells
                .iter()
                .map(|c| c.map(|i| int(i) as i32))
                .collect::<Int32Array>(),
        ),
        DataType::Float64 => Arc::new(
            cells
                .iter()
                .map(|c| c.map(|i| FLOATS[i as usize % FLOATS.len()]))
                .collect::<Float64Array>(),
        ),
        DataType::Decimal128(p, s) => {
            let max = 10i128.pow(u32::from(*p)) - 1;
            Arc::new(
                cells
                    .iter()
                    .map(|c| c.map(|i| (i128::from(int(i)) * 37).clamp(-max, max)))
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(*p, *s)
                    .expect("decimal"),
            )
        }
        DataType::Date32 => Arc::new(
            cells
                .iter()
                .map(|c| c.map(|i| DAYS[i as usize % DAYS.len()]))
                .collect::<Date32Array>(),
        ),
        DataType::Timestamp(..) => Arc::new(
            cells
                .iter()
                .map(|c| c.map(|i| int(i).wrapping_mul(86_400_000)))
                .collect::<TimestampMillisecondArray>(),
        ),
        _ => Arc::new(
            cells
                .iter()
                .map(|c| c.map(|i| i % 2 == 0))
                .collect::<BooleanArray>(),
        ),
    }
}

const CONFIG_PIECES: [&str; 19] = [
    "[[exclude]]\ncolumn = \"payee_id\"\nvalue = \"P1\"\n",
    "[[exclude]]\ncolumn = \"amount\"\nzero = true\n",
    "[[exclude]]\nname = \"masked\"\ncolumn = \"payee_id\"\npattern = \"*1*\"\n",
    "[[exclude]]\ncolumn = \"pay_date\"\nbefore = \"2024-01-01\"\n",
    "[[exclude]]\ncolumn = \"amount\"\nabove = 1000.00\n",
    "[locale]\ncurrency = \"GBP\"\nid_scheme = \"none\"\n",
    "[locale]\nregion = \"none\"\n",
    "[scan]\nbatch_size = 1\n",
    "[scan]\nbatch_size = 3\nmax_problem_share = 0.0\n",
    "[scan]\nreferral_threshold = 0\nmax_problem_share = 1.0\n",
    "[scan]\nreferral_threshold = 1e9\n",
    "[schemes.FARMLAND]\nfrequency = \"yearly\"\nrate = 118.00\napproval_threshold = 5000.00\n",
    "[schemes.ELDERLY]\nfrequency = \"monthly\"\nmin_age = 80\nbands = [{ min_age = 80, max_age = 89, amount = 100.00 }, { min_age = 90, amount = 200.00 }]\n",
    "[schemes.\"王伟\"]\nfrequency = \"quarterly\"\namount = 1800.00\n",
    "[rules.DUP003]\nmin_payees = 2\n",
    "[rules.DUP003]\nmin_payees = -4\n",
    "[scan]\nbatch_size = 0\n",
    "[columns]\npayee_id = \"身份证号\"\n",
    "[scan]\nmax_problem_share = 0.3\n",
];

fn ledger_spec() -> impl Strategy<Value = LedgerSpec> {
    (0usize..40, 1usize..12)
        .prop_flat_map(|(rows, row_group)| {
            let cells = move || {
                proptest::collection::vec(proptest::option::weighted(0.8, any::<u32>()), rows)
            };
            let col = move || {
                (0usize..Col::ALL.len(), any::<u8>(), cells())
                    .prop_map(|(col, ty, cells)| ColSpec { col, ty, cells })
            };
            (
                Just(rows),
                Just(row_group),
                // amount nearly always (a ledger without it is an error, which is tested too)
                (any::<u8>(), cells()).prop_map(|(ty, cells)| ColSpec {
                    col: Col::ALL
                        .iter()
                        .position(|c| *c == Col::Amount)
                        .expect("amount"),
                    ty,
                    cells,
                }),
                proptest::collection::vec(col(), 0..9),
                proptest::collection::vec(any::<u8>(), 0..5),
                1usize..4,
                any::<u8>(),
                proptest::option::weighted(
                    0.3,
                    proptest::collection::vec(
                        (
                            proptest::option::weighted(0.9, any::<u32>()),
                            proptest::option::weighted(0.9, any::<u32>()),
                        ),
                        0..10,
                    ),
                ),
                any::<bool>(),
            )
        })
        .prop_map(
            |(rows, row_group, amount, others, config, threads, select, deaths, drop_amount)| {
                let mut cols = if drop_amount && select % 16 == 0 {
                    Vec::new()
                } else {
                    vec![amount]
                };
                for c in others {
                    if !cols.iter().any(|x| x.col == c.col) {
                        cols.push(c);
                    }
                }
                LedgerSpec {
                    rows,
                    row_group,
                    cols,
                    config,
                    threads,
                    select,
                    deaths,
                }
            },
        )
}

fn build(spec: &LedgerSpec, dir: &Path) -> ScanOptions {
    let pool = text_pool();
    let mut config = String::new();
    for &p in &spec.config {
        let piece = CONFIG_PIECES[usize::from(p) % CONFIG_PIECES.len()];
        // a table given twice is a TOML error: keep the first of each header
        let header = piece.lines().next().unwrap_or_default();
        if header == "[[exclude]]" || !config.contains(header) {
            config.push_str(piece);
        }
    }
    let mapped = config.contains("身份证号");
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for c in &spec.cols {
        let col = Col::ALL[c.col];
        let dt = if c.ty % 8 == 7 {
            any_type(c.ty / 8)
        } else {
            natural(col.kind(), c.ty / 8)
        };
        let name = if col == Col::PayeeId && mapped {
            "身份证号"
        } else {
            col.name()
        };
        fields.push(Field::new(name, dt.clone(), true));
        arrays.push(array(&dt, &c.cells, &pool));
    }
    let ledger = dir.join("ledger.parquet");
    let rb = if fields.is_empty() {
        // a file needs a column: one the scan does not know
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new(
                "other",
                DataType::Int64,
                true,
            )])),
            vec![Arc::new(Int64Array::from(vec![1i64; spec.rows]))],
        )
    } else {
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
    }
    .expect("batch");
    let compression = match spec.select % 3 {
        0 => Compression::UNCOMPRESSED,
        1 => Compression::SNAPPY,
        _ => Compression::ZSTD(ZstdLevel::default()),
    };
    Parquet::row_groups(spec.row_group)
        .compression(compression)
        .write(&ledger, &rb);
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, &config).expect("config");
    let families = ["DUP", "GHO", "AMT", "DIG", "INS"];
    let select: Vec<String> = families
        .iter()
        .enumerate()
        .filter(|(i, _)| spec.select & (1 << i) != 0)
        .map(|(_, f)| (*f).to_string())
        .collect();
    let deaths = spec.deaths.as_ref().map(|rows| {
        let p = dir.join("deaths.parquet");
        let ids: Vec<Option<u32>> = rows.iter().map(|r| r.0).collect();
        let dates: Vec<Option<u32>> = rows.iter().map(|r| r.1).collect();
        let rb = RecordBatch::try_from_iter(vec![
            ("payee_id", array(&DataType::Utf8, &ids, &pool)),
            ("death_date", array(&DataType::Date32, &dates, &pool)),
        ])
        .expect("deaths");
        Parquet::row_groups(4).write(&p, &rb);
        p
    });
    ScanOptions {
        inputs: vec![ledger],
        config: Some(cfg),
        threads: Some(spec.threads),
        select: if select.len() == families.len() {
            Vec::new()
        } else {
            select
        },
        deaths,
        ..ScanOptions::default()
    }
}

#[test]
fn random_ledgers_and_configs_never_panic_and_account_for_every_row() {
    let config = Config {
        cases: 128,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x5eed_0011),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let codes = std::cell::RefCell::new([0usize; 4]);
    runner
        .run(&ledger_spec(), |spec| {
            let d = tempfile::tempdir().expect("tmp");
            let opts = build(&spec, d.path());
            let code = run(&opts, &d.path().join("out"));
            prop_assert!(DOCUMENTED.contains(&code), "exit code {code}");
            codes.borrow_mut()[usize::from(code)] += 1;
            Ok(())
        })
        .expect("every random ledger scans without panic");
    let codes = codes.into_inner();
    eprintln!("random ledgers, exit codes 0-3: {codes:?}");
    // the generator reaches every outcome, or the test proves little
    assert!(codes[0] + codes[1] > 0, "{codes:?}");
    assert!(codes[2] > 0, "{codes:?}");
    assert!(codes[3] > 0, "{codes:?}");
    assert!(EXCLUDED.load(std::sync::atomic::Ordering::Relaxed) > 0);
}

// ---- mutations of valid Parquet files ----

/// The duplicate fixture ledger written with `compression` and dictionaries, as bytes.
fn valid_file(compression: Compression, row_group: usize) -> Vec<u8> {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("v.parquet");
    Ledger::new(&common::dup_rows())
        .row_group_size(row_group)
        .compression(compression)
        .write(&p);
    std::fs::read(&p).expect("read")
}

fn mutate(rng: &mut rand_chacha::ChaCha8Rng, base: &[u8], donor: &[u8]) -> (String, Vec<u8>) {
    let mut v = base.to_vec();
    let n = v.len();
    let meta_len = u32::from_le_bytes(v[n - 8..n - 4].try_into().expect("4")) as usize;
    let footer_start = n - 8 - meta_len;
    match rng.random_range(0..6) {
        0 => {
            let flips = rng.random_range(1..8);
            for _ in 0..flips {
                let at = rng.random_range(0..n);
                v[at] ^= 1 << rng.random_range(0..8);
            }
            (format!("{flips} bit flips anywhere"), v)
        }
        1 => {
            // the footer holds every size: flip there
            let flips = rng.random_range(1..4);
            for _ in 0..flips {
                let at = rng.random_range(footer_start..n - 4);
                v[at] ^= 1 << rng.random_range(0..8);
            }
            (format!("{flips} bit flips in the footer"), v)
        }
        2 => {
            // a varint or length overwritten with an extreme value
            let at = rng.random_range(4..n - 4);
            let word: [u8; 4] = [
                [0xff; 4],
                [0x7f, 0xff, 0xff, 0xff],
                [0x80, 0x80, 0x80, 0x08],
                [0; 4],
            ][rng.random_range(0..4)];
            v[at..at + 4].copy_from_slice(&word);
            (format!("4 bytes at {at} set to {word:02x?}"), v)
        }
        3 => {
            let cut = rng.random_range(0..n);
            v.truncate(cut);
            (format!("truncated to {cut} bytes"), v)
        }
        4 => {
            // this file's data with the other file's footer
            let dn = donor.len();
            let dmeta = u32::from_le_bytes(donor[dn - 8..dn - 4].try_into().expect("4")) as usize;
            v.truncate(footer_start);
            v.extend_from_slice(&donor[dn - 8 - dmeta..]);
            ("spliced footer".to_string(), v)
        }
        _ => {
            // a run of random bytes inside the data
            let at = rng.random_range(4..footer_start.max(5));
            let len = rng.random_range(1..64).min(n - at);
            for b in &mut v[at..at + len] {
                *b = rng.random();
            }
            (format!("{len} random bytes at {at}"), v)
        }
    }
}

#[test]
fn mutated_parquet_files_end_in_a_documented_exit_code_and_never_panic() {
    let bases = [
        valid_file(Compression::SNAPPY, 7),
        valid_file(Compression::ZSTD(ZstdLevel::default()), 100),
        valid_file(Compression::UNCOMPRESSED, 3),
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x0011_f022);
    let d = tempfile::tempdir().expect("tmp");
    let mut codes = [0usize; 4];
    for i in 0..400 {
        let base = &bases[i % bases.len()];
        let donor = &bases[(i + 1) % bases.len()];
        let (what, bytes) = mutate(&mut rng, base, donor);
        let dir = d.path().join(format!("m{i}"));
        std::fs::create_dir_all(&dir).expect("dir");
        let path: PathBuf = dir.join("ledger.parquet");
        std::fs::write(&path, &bytes).expect("write");
        let opts = ScanOptions {
            inputs: vec![path],
            threads: Some(2),
            ..ScanOptions::default()
        };
        let out = dir.join("out");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(|| run(&opts, &out));
            let _ = tx.send(r);
        });
        let code = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(code)) => code,
            Ok(Err(_)) => panic!("mutation {i} ({what}) panicked"),
            Err(e) => panic!("mutation {i} ({what}) did not end within 60 s: {e}"),
        };
        assert!(
            DOCUMENTED.contains(&code),
            "mutation {i} ({what}): exit {code}"
        );
        codes[usize::from(code)] += 1;
        std::fs::remove_dir_all(&dir).ok();
    }
    eprintln!("mutations, exit codes 0-3: {codes:?}");
    // most mutations are refused, some still read (a flip in a value)
    assert!(codes[2] > 100, "{codes:?}");
    assert!(codes[0] + codes[1] + codes[3] > 0, "{codes:?}");
}
