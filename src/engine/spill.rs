//! Bounded memory: the per-row entries of the rule states are partitioned by key hash ([`PARTS`] partitions,
//! [`crate::rules::keyed`]); when a worker's entries pass its share of `--memory-limit`, it writes them out,
//! one section per partition, to a spill file under the temporary folder, and goes on with empty ones. The
//! finish then takes one partition at a time: the entries left in memory and that partition's section of
//! every spill file, merged, finished and dropped before the next. Each partition's finish is the code that
//! finishes a whole state, and the results come in partition order, so the findings are those of the
//! in-memory scan, byte for byte.
//!
//! A spill file: for each partition, an lz4 block (size-prefixed) of the partition's postcard section; its
//! offsets are kept in memory (a spill file lives and dies with its run). Spill files are removed when the run
//! ends, by success, error or signal (they live in the run's temporary folder).

use crate::error::{Error, Result};
use crate::rules::keyed::PARTS;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A state that can give up its per-row entries partition by partition.
pub trait Parts: Default {
    /// Whether the state's entries split by key partition (its finish takes the partitions one by one).
    const SPLITS: bool = false;
    /// Bytes held by the entries that [`Parts::take_part`] can take out (an estimate, entries only).
    fn part_bytes(&self) -> usize {
        0
    }
    /// Takes partition `p`'s entries out of the state (the rest stays).
    fn take_part(&mut self, p: usize) -> Self {
        let _ = p;
        Self::default()
    }
}

/// `f` over every partition that `pull` gives, results in partition order: the partitions are pulled and
/// finished in parallel, so about one partition per thread is in memory at a time. The one loop every
/// [`crate::rules::Rule::finish_spilled`] runs.
pub fn each_part<S, R: Send>(
    pull: &(dyn Fn(usize) -> Result<S> + Sync),
    f: impl Fn(S) -> R + Sync,
) -> Result<Vec<R>> {
    use rayon::prelude::*;
    (0..PARTS)
        .into_par_iter()
        .map(|p| pull(p).map(&f))
        .collect()
}

impl Parts for () {}
impl<T> Parts for Vec<T> {}

/// The smallest and largest sizes [`parse_size`] takes.
pub const SIZE_RANGE: (u64, u64) = (1 << 10, 1 << 60);

const UNITS: &str =
    "B; K or KiB, M or MiB, G or GiB, T or TiB (powers of 1024); KB, MB, GB, TB (powers of 1000)";

/// `1.5GiB`, `512MiB`, `800MB`, `2G`, `65536` (bytes): K/M/G/T and KiB/MiB/GiB/TiB are powers of 1024,
/// KB/MB/GB/TB powers of 1000; between 1 KiB and 1 EiB.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is no size (e.g. 1.5GiB, 512MiB, 800MB; units: {UNITS})"))?;
    let unit = unit.trim().to_ascii_lowercase();
    if num.contains('.') && matches!(unit.as_str(), "" | "b") {
        return Err(format!("`{text}`: a number of bytes is whole"));
    }
    let mult: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        u => return Err(format!("`{text}`: unknown unit `{u}` (units: {UNITS})")),
    };
    let bytes = n * mult;
    let (lo, hi) = SIZE_RANGE;
    if !(lo as f64..=hi as f64).contains(&bytes) {
        return Err(format!(
            "`{text}` is out of range: a size between 1KiB and 1EiB ({lo} to {hi} bytes)"
        ));
    }
    Ok(bytes as u64)
}

/// The default memory limit: half the machine's memory (`MemTotal` of `/proc/meminfo`), 4 GiB where that
/// cannot be read.
pub fn default_limit() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(4 << 30, |kib| kib * 1024 / 2)
}

/// `1.50 GiB`
pub fn fmt_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

/// One spill file: where each block lies.
#[derive(Debug, Clone)]
pub struct SpillFile {
    pub path: PathBuf,
    /// (offset, stored length) per (slot, partition), slot-major.
    blocks: Vec<(u64, u64)>,
}

/// Writes one spill file of `slots` x [`PARTS`] blocks; `block(slot, p)` gives the bytes of one state's
/// partition.
pub fn write_spill(
    path: &Path,
    slots: usize,
    mut block: impl FnMut(usize, usize) -> Result<Vec<u8>>,
) -> Result<SpillFile> {
    let out_err = |e: std::io::Error| Error::output(path, e);
    let file = std::fs::File::create(path).map_err(out_err)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut blocks = Vec::with_capacity(slots * PARTS);
    let mut at = 0u64;
    for slot in 0..slots {
        for p in 0..PARTS {
            let raw = block(slot, p)?;
            let packed = lz4_flex::block::compress_prepend_size(&raw);
            w.write_all(&packed).map_err(out_err)?;
            blocks.push((at, packed.len() as u64));
            at += packed.len() as u64;
        }
    }
    let file = w.into_inner().map_err(|e| out_err(e.into_error()))?;
    file.sync_data().map_err(out_err)?;
    Ok(SpillFile {
        path: path.to_path_buf(),
        blocks,
    })
}

impl SpillFile {
    /// The block of `slot` and partition `p`.
    pub fn read(&self, slot: usize, p: usize) -> Result<Vec<u8>> {
        let (at, len) =
            self.blocks
                .get(slot * PARTS + p)
                .copied()
                .ok_or_else(|| Error::Partial {
                    source_name: Some(self.path.display().to_string()),
                    message: format!("no block for state {slot}, partition {p}"),
                })?;
        let in_err = |e: std::io::Error| Error::io(&self.path, e);
        let mut f = std::fs::File::open(&self.path).map_err(in_err)?;
        f.seek(SeekFrom::Start(at)).map_err(in_err)?;
        let mut packed = vec![0u8; usize::try_from(len).unwrap_or(0)];
        f.read_exact(&mut packed).map_err(in_err)?;
        lz4_flex::block::decompress_size_prepended(&packed).map_err(|e| Error::Partial {
            source_name: Some(self.path.display().to_string()),
            message: format!("spilled block {slot}/{p} is damaged: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("512 mib"), Ok(512 << 20));
        assert_eq!(parse_size("800MB"), Ok(800_000_000));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("1KiB"), Ok(1024));
        assert_eq!(parse_size("1048576TiB").ok(), Some(1 << 60));
        for bad in [
            "",
            "GiB",
            "1.5 parsecs",
            "-1GiB",
            "0",
            "1e30",
            "1.5",
            "1.5B",
            "1023",
            "2EiB",
            "NaN",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("1048577TiB")
            .err()
            .is_some_and(|e| e.contains("between 1KiB and 1EiB")));
        assert!(parse_size("3 parsecs")
            .err()
            .is_some_and(|e| e.contains("powers of 1024")));
        assert!(default_limit() >= 1 << 20);
    }

    #[test]
    fn a_spill_file_gives_back_each_section() {
        let d = tempfile::tempdir().expect("tmp");
        let f = write_spill(&d.path().join("s"), 3, |slot, p| {
            Ok(vec![(slot * 100 + p) as u8; p * 10 + slot])
        })
        .expect("write");
        for slot in 0..3 {
            for p in [0, 1, 17, PARTS - 1] {
                assert_eq!(
                    f.read(slot, p).expect("read"),
                    vec![(slot * 100 + p) as u8; p * 10 + slot]
                );
            }
        }
        assert!(f.read(3, 0).is_err());
    }
}
