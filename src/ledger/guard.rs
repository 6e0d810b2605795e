//! Hostile files: a Parquet file's footer and page headers are checked against the file's length and sane
//! bounds before the parquet crate is trusted with them, so a file whose metadata claims absurd sizes is refused
//! with a clear error naming it instead of being trusted into a huge allocation or a panic.
//!
//! What the parquet crate (v60, the synchronous reader without page index) allocates from the file:
//! - a column chunk's bytes are read page by page, each `compressed_page_size` bytes (bounded by the chunk's
//!   length from the footer, which it does not check against the file);
//! - a page is decompressed into `Vec::with_capacity(uncompressed_page_size)` (an `i32` from the page header);
//! - a dictionary page of fixed-width values is decoded into a buffer resized (written) to the header's
//!   `num_values` (an `i32`: up to 16 GiB of `i64`);
//! - a binary field of a page header (statistics min/max) is read into `Vec::with_capacity(len)` with `len` a
//!   varint from the file, unbounded;
//! - `ColumnChunkMetaData::byte_range` panics on a negative offset or length.
//!
//! [`check_footer`] runs at open (ledger and reference tables): every column chunk must lie inside the data
//! part of the file, sizes and counts must be non-negative and the rows plausible. [`check_pages`] runs before a
//! row group is decoded: it walks the page headers of the columns to be read (a bounded thrift reader of its
//! own) and refuses a page whose sizes overrun its chunk, whose uncompressed size exceeds the chunk's or
//! [`MAX_PAGE_BYTES`], whose header holds a field longer than the chunk, or that claims more values than it
//! can hold (a dictionary page: 8 per byte; a data page: the chunk's count).

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use parquet::file::metadata::ParquetMetaData;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// The most rows one file may claim (all row groups together).
pub const MAX_FILE_ROWS: u64 = 1 << 40;
/// The most bytes a page may claim once decompressed (the format allows `i32::MAX`).
pub const MAX_PAGE_BYTES: i64 = 1 << 30;
/// The deepest nesting of structs and lists accepted in a page header.
const MAX_DEPTH: u32 = 16;

/// The next batch of a Parquet reader, with the last line of defence: a panic inside the parquet crate on
/// corrupt data becomes an error (which the caller names with the file and row group), never a crash.
pub fn next_batch<I>(reader: &mut I) -> Option<Result<RecordBatch, ArrowError>>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>>,
{
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.next())).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Some(Err(ArrowError::ExternalError(
            format!("the Parquet decoder failed on corrupt data: {what}").into(),
        )))
    })
}

/// The last 8 bytes of a file of `size` bytes (the footer's length and the closing magic).
pub fn tail<R: Read + Seek>(mut f: R, size: u64) -> std::io::Result<[u8; 8]> {
    let mut t = [0u8; 8];
    f.seek(SeekFrom::Start(size.saturating_sub(8)))?;
    f.read_exact(&mut t)?;
    Ok(t)
}

/// The leaf columns (page readers) under the root columns `roots`.
pub fn leaves_of(md: &ParquetMetaData, roots: &[usize]) -> Vec<usize> {
    let descr = md.file_metadata().schema_descr();
    (0..descr.num_columns())
        .filter(|&l| roots.contains(&descr.get_column_root_idx(l)))
        .collect()
}

/// Checks the footer of a file of `size` bytes against its length and sane bounds. Returns what is wrong.
pub fn check_footer(size: u64, tail: [u8; 8], md: &ParquetMetaData) -> Result<(), String> {
    if &tail[4..] != b"PAR1" {
        return Err("no PAR1 magic at the end (the file may be truncated)".into());
    }
    let meta_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let data_end = size
        .checked_sub(8 + meta_len)
        .filter(|e| *e >= 4)
        .ok_or_else(|| {
            format!("the footer claims {meta_len} bytes, more than the file's {size}")
        })?;
    let mut rows = 0u64;
    for (g, rg) in md.row_groups().iter().enumerate() {
        let n = u64::try_from(rg.num_rows())
            .map_err(|_| format!("row group {g} claims {} rows", rg.num_rows()))?;
        rows = rows
            .checked_add(n)
            .filter(|r| *r <= MAX_FILE_ROWS)
            .ok_or_else(|| {
                format!(
                    "row group {g} claims {n} rows: more than {MAX_FILE_ROWS} in one file is not \
                     a real ledger"
                )
            })?;
        for col in rg.columns() {
            let at = || format!("row group {g}, column `{}`", col.column_path().string());
            let len = col.compressed_size();
            let start = col
                .dictionary_page_offset()
                .unwrap_or_else(|| col.data_page_offset());
            if len < 0 || col.uncompressed_size() < 0 || col.num_values() < 0 {
                return Err(format!(
                    "{}: negative sizes or counts (compressed {len}, uncompressed {}, values {})",
                    at(),
                    col.uncompressed_size(),
                    col.num_values()
                ));
            }
            let inside = |o: i64| u64::try_from(o).is_ok_and(|o| (4..data_end).contains(&o));
            let end = u64::try_from(start)
                .ok()
                .and_then(|s| s.checked_add(len as u64));
            if !inside(start)
                || !inside(col.data_page_offset())
                || end.is_none_or(|e| e > data_end)
                || col
                    .dictionary_page_offset()
                    .is_some_and(|d| d > col.data_page_offset())
            {
                return Err(format!(
                    "{}: the column chunk ({len} bytes at offset {start}) lies outside the file's {data_end} \
                     bytes of data",
                    at()
                ));
            }
        }
    }
    Ok(())
}

/// Walks the page headers of column chunk `leaf` of row group `g` (the reader must not be shared).
pub fn check_pages<R: Read + Seek>(
    file: R,
    md: &ParquetMetaData,
    g: usize,
    leaves: &[usize],
) -> Result<(), String> {
    let mut r = BufReader::with_capacity(512, file);
    let rg = md.row_group(g);
    for &leaf in leaves {
        let col = rg.column(leaf);
        let at = || format!("column `{}`", col.column_path().string());
        let start = col
            .dictionary_page_offset()
            .unwrap_or_else(|| col.data_page_offset());
        let (Ok(mut pos), Ok(mut remaining)) =
            (u64::try_from(start), u64::try_from(col.compressed_size()))
        else {
            return Err(format!("{}: negative offset or size", at()));
        };
        let chunk_uncompressed = col.uncompressed_size();
        r.seek(SeekFrom::Start(pos))
            .map_err(|e| format!("{}: {e}", at()))?;
        while remaining > 0 {
            let mut h = Header {
                r: (&mut r).take(remaining),
                used: 0,
                sizes: [None; 2],
                values: None,
                dictionary: false,
            };
            h.skip_struct(0, true, false)
                .map_err(|e| format!("{}, page header at byte {pos}: {e}", at()))?;
            let (used, values, dictionary) = (h.used, h.values.unwrap_or(0), h.dictionary);
            let (Some(uncompressed), Some(compressed)) = (h.sizes[0], h.sizes[1]) else {
                return Err(format!(
                    "{}, page header at byte {pos}: no page sizes",
                    at()
                ));
            };
            remaining -= used;
            pos += used;
            let fits = u64::try_from(compressed).is_ok_and(|c| c <= remaining);
            if !fits {
                return Err(format!(
                    "{}, page at byte {pos}: claims {compressed} bytes where the chunk has {remaining} left",
                    at()
                ));
            }
            if uncompressed < 0
                || i64::from(uncompressed) > MAX_PAGE_BYTES
                || i64::from(uncompressed) > chunk_uncompressed
            {
                return Err(format!(
                    "{}, page at byte {pos}: claims {uncompressed} bytes uncompressed (the chunk: \
                     {chunk_uncompressed}; at most {MAX_PAGE_BYTES})",
                    at()
                ));
            }
            // a dictionary is decoded into a buffer of `num_values` entries up front (every plain value takes
            // at least a bit); a data page's values are the chunk's at most
            let most = if dictionary {
                i64::from(uncompressed).saturating_mul(8)
            } else {
                col.num_values()
            };
            if values < 0 || i64::from(values) > most {
                return Err(format!(
                    "{}, {} page at byte {pos}: claims {values} values (at most {most})",
                    at(),
                    if dictionary { "dictionary" } else { "data" }
                ));
            }
            let c = compressed as u64;
            remaining -= c;
            pos += c;
            r.seek_relative(c as i64)
                .map_err(|e| format!("{}: {e}", at()))?;
        }
    }
    Ok(())
}

/// A thrift compact-protocol reader that only skips, never allocating more than a byte at a time, and notes
/// the page header's sizes (fields 2 and 3 of the top-level struct).
struct Header<R: Read> {
    r: std::io::Take<R>,
    used: u64,
    sizes: [Option<i32>; 2],
    /// `num_values` of the data, dictionary or v2 page header.
    values: Option<i32>,
    dictionary: bool,
}

impl<R: Read> Header<R> {
    fn byte(&mut self) -> Result<u8, String> {
        let mut b = [0u8];
        self.r
            .read_exact(&mut b)
            .map_err(|_| "the header runs past its column chunk".to_string())?;
        self.used += 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err("a number in the header is too long".into());
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number in the header is too long".into())
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > self.r.limit() {
            return Err(format!(
                "a field claims {n} bytes where the chunk has {} left",
                self.r.limit()
            ));
        }
        let copied = std::io::copy(&mut (&mut self.r).take(n), &mut std::io::sink())
            .map_err(|e| e.to_string())?;
        if copied != n {
            return Err("the header runs past its column chunk".into());
        }
        self.used += n;
        Ok(())
    }

    fn skip_value(&mut self, ty: u8, depth: u32) -> Result<(), String> {
        match ty {
            1 | 2 => Ok(()),
            3 => self.byte().map(|_| ()),
            4..=6 => self.varint().map(|_| ()),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let h = self.byte()?;
                let n = match h >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                if n > self.r.limit() {
                    return Err(format!("a list claims {n} elements"));
                }
                let et = h & 0x0f;
                for _ in 0..n {
                    if et == 1 || et == 2 {
                        self.byte()?;
                    } else {
                        self.skip_value(et, depth + 1)?;
                    }
                }
                Ok(())
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                if n > self.r.limit() {
                    return Err(format!("a map claims {n} entries"));
                }
                let kv = self.byte()?;
                for _ in 0..n {
                    self.skip_value(kv >> 4, depth + 1)?;
                    self.skip_value(kv & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            12 => self.skip_struct(depth + 1, false, false),
            13 => self.skip(16),
            _ => Err(format!("unknown thrift type {ty}")),
        }
    }

    /// Skips a struct; `top`: the page header itself (its sizes and its sub-header are noted); `sub`: a
    /// data, dictionary or v2 page header (its `num_values`, field 1, is noted).
    fn skip_struct(&mut self, depth: u32, top: bool, sub: bool) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("the header nests too deep".into());
        }
        let mut id: i64 = 0;
        loop {
            let h = self.byte()?;
            if h == 0 {
                return Ok(());
            }
            let ty = h & 0x0f;
            id = match h >> 4 {
                0 => {
                    let z = self.varint()?;
                    ((z >> 1) as i64) ^ -((z & 1) as i64)
                }
                d => id + i64::from(d),
            };
            let noted = (top && ty == 5 && (id == 2 || id == 3)) || (sub && ty == 5 && id == 1);
            if noted {
                let z = self.varint()?;
                let v = ((z >> 1) as i64) ^ -((z & 1) as i64);
                let v = i32::try_from(v).map_err(|_| format!("a page size or count of {v}"))?;
                if sub {
                    self.values = Some(v);
                } else {
                    self.sizes[(id - 2) as usize] = Some(v);
                }
            } else if top && ty == 12 && matches!(id, 5 | 7 | 8) {
                self.dictionary |= id == 7;
                self.skip_struct(depth + 1, false, true)?;
            } else {
                self.skip_value(ty, depth)?;
            }
        }
    }
}
