//! CSV and TSV input: the encoding (BOM, flag or config, else detected on the first MiB), the delimiter
//! (flag or config, `.tsv` tab, else sniffed on the first line), then csv `ByteRecord`s with each field
//! decoded once.
//!
//! Every encoding read is ASCII-compatible and parsed as bytes: the multi-byte characters of GB18030 (GBK,
//! GB2312), Big5 or Shift_JIS never contain the bytes of `,`, tab, `;`, `"` or a line break (their second
//! bytes are 0x40 or above; GB18030's four-byte forms carry digits), so the CSV structure is found before
//! decoding. A delimiter of 0x40 or above cannot be told from a second byte and is refused with them.

use super::convert::Cell;
pub use super::Encoding;
use super::{fail, summary_for, ImportOptions, InputSummary, Rows};
use crate::config::Config;
use crate::error::{Error, Result};
use csv::ByteRecord;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel};

/// Records per chunk handed from the parsing thread.
const CHUNK: usize = 4096;
/// Bytes looked at to detect the encoding.
const SAMPLE: usize = 1 << 20;
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const GB18030_BOM: &[u8] = &[0x84, 0x31, 0x95, 0x33];

/// The byte-order mark at the start of `sample`: its length and encoding (UTF-8 or GB18030).
pub fn bom(sample: &[u8]) -> (usize, Option<Encoding>) {
    if sample.starts_with(UTF8_BOM) {
        (UTF8_BOM.len(), Some(Encoding::UTF8))
    } else if sample.starts_with(GB18030_BOM) {
        (GB18030_BOM.len(), Some(Encoding::GB18030))
    } else {
        (0, None)
    }
}

/// Opens a delimited text file for reading as bytes: the BOM skipped, and the encoding (the BOM's, else
/// detected on the first MiB) with where it came from (`bom` or `detected`).
pub fn open(path: &Path) -> std::io::Result<(BufReader<File>, Encoding, &'static str)> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(SAMPLE, file);
    let sample = reader.fill_buf()?;
    let (skip, found) = bom(sample);
    let (enc, from) = match found {
        Some(e) => (e, "bom"),
        None => (detect(sample, sample.len() as u64 >= len), "detected"),
    };
    reader.consume(skip);
    Ok((reader, enc, from))
}

/// The encoding of `sample` (the start of a file, without BOM): UTF-8 when every byte is valid UTF-8 (a
/// character cut at the sample's end included); else GB18030 when the text has Chinese characters' byte pairs
/// (two bytes of 0x81 and above in a row) and decodes as GB18030 with at most 1% of its characters in
/// error (a corrupt field does not turn a Chinese file into Latin); else Windows-1252 (Western exports,
/// `£` and accented names).
pub fn detect(sample: &[u8], whole_file: bool) -> Encoding {
    match std::str::from_utf8(sample) {
        Ok(_) => return Encoding::UTF8,
        Err(e) if e.error_len().is_none() && !whole_file => return Encoding::UTF8,
        Err(_) => {}
    }
    // whole lines only: a character cut at the sample's end is no error
    let cut = if whole_file {
        sample
    } else {
        sample
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(sample, |i| &sample[..=i])
    };
    let pairs = cut.windows(2).any(|w| w[0] >= 0x81 && w[1] >= 0x81);
    if pairs {
        let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(cut);
        let (mut wide, mut bad) = (0usize, 0usize);
        for c in text.chars().filter(|c| !c.is_ascii()) {
            wide += 1;
            bad += usize::from(c == '\u{FFFD}');
        }
        if bad * 100 <= wide {
            return Encoding::GB18030;
        }
    }
    Encoding::WINDOWS_1252
}

/// One field's text: `Empty`, `Text`, or `InvalidEncoding` when the bytes are not valid in `enc`.
#[inline]
pub fn decode(bytes: &[u8], enc: Encoding) -> Cell<'_> {
    if bytes.is_empty() {
        return Cell::Empty;
    }
    // ASCII reads the same in every ASCII-compatible encoding
    if enc == Encoding::UTF8 || bytes.is_ascii() {
        return std::str::from_utf8(bytes).map_or(Cell::NotText, |s| Cell::Text(Cow::Borrowed(s)));
    }
    enc.encoding()
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map_or(Cell::NotText, Cell::Text)
}

/// The delimiter most frequent on the first line among `,`, tab and `;` (`,` when none).
fn sniff(sample: &[u8]) -> u8 {
    let line = sample.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.split(|b| *b == d).count() - 1;
    let mut best = (count(b','), b',');
    for d in [b'\t', b';'] {
        let n = count(d);
        if n > best.0 {
            best = (n, d);
        }
    }
    best.1
}

fn show_delimiter(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        _ => (d as char).to_string(),
    }
}

/// One record to the header search or the rows.
fn feed(rows: &mut Rows<'_>, rec: &ByteRecord, encoding: Encoding) -> Result<()> {
    let line = rec.position().map_or(0, csv::Position::line);
    let last = rec.len().saturating_sub(1);
    let field = |i: usize| -> &[u8] {
        let f = &rec[i];
        if i == last {
            f.strip_suffix(b"\r").unwrap_or(f)
        } else {
            f
        }
    };
    if rec.len() == 1 && field(0).is_empty() {
        // a line holding only CR: an empty line, as csv skips LF-only ones
        return Ok(());
    }
    if rows.has_header() {
        rows.row(line, rec.len(), true, |i| decode(field(i), encoding))
    } else {
        let texts = (0..rec.len())
            .map(|i| match decode(field(i), encoding) {
                Cell::Text(t) => t.into_owned(),
                _ => String::new(),
            })
            .collect();
        rows.header(line, texts)
    }
}

pub(crate) fn read(
    path: &Path,
    ext: &str,
    opts: &ImportOptions,
    config: &Config,
    rows: &mut Rows<'_>,
) -> Result<InputSummary> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::with_capacity(SAMPLE, file);
    let sample = reader.fill_buf().map_err(|e| Error::io(path, e))?;
    if sample.starts_with(&[0xFF, 0xFE]) || sample.starts_with(&[0xFE, 0xFF]) {
        return Err(fail(
            path,
            None,
            "is UTF-16 text (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" or as a workbook (.xlsx) and import that",
        ));
    }
    if sample.starts_with(b"PAR1") {
        return Err(fail(
            path,
            None,
            "is a Parquet file already: scan it directly",
        ));
    }
    if sample.starts_with(b"PK\x03\x04") {
        return Err(fail(
            path,
            None,
            "is a zip archive (a workbook?): name it .xlsx to import it as a workbook",
        ));
    }
    let (bom, bom_enc) = bom(sample);
    let (encoding, from) = if let Some(e) = opts.encoding {
        (e, "flag")
    } else if let Some(e) = config.import.encoding {
        (e, "config")
    } else if let Some(e) = bom_enc {
        (e, "bom")
    } else {
        (
            detect(&sample[bom..], sample.len() as u64 >= len),
            "detected",
        )
    };
    let delimiter = opts
        .delimiter
        .or(config.import.delimiter)
        .unwrap_or_else(|| match ext {
            "tsv" | "tab" => b'\t',
            _ => sniff(&sample[bom..]),
        });
    if encoding.is_multi_byte_legacy() && delimiter >= 0x40 {
        return Err(fail(
            path,
            None,
            format!(
                "delimiter `{}` can be part of a {} character; use `,`, `;` or tab, or convert the file to UTF-8",
                show_delimiter(delimiter),
                encoding.as_str().to_uppercase()
            ),
        ));
    }
    reader.consume(bom);
    let mut summary = summary_for(path, if delimiter == b'\t' { "tsv" } else { "csv" });
    summary.encoding = Some(encoding);
    summary.encoding_from = Some(from);
    summary.delimiter = Some(show_delimiter(delimiter));
    // records end at LF (a CR before it is dropped from the last field): with csv's default CRLF
    // terminator the line numbers of a CRLF file come out one short
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .has_headers(false)
        .from_reader(reader);
    // csv parses on its own thread, chunks of records handed over through a bounded channel (and handed
    // back to be reused), while this one converts
    let (tx, rx) = sync_channel::<Result<(Vec<ByteRecord>, usize)>>(2);
    let (back_tx, back_rx) = channel::<Vec<ByteRecord>>();
    std::thread::scope(|s| {
        s.spawn(move || loop {
            let mut chunk = back_rx
                .try_recv()
                .unwrap_or_else(|_| (0..CHUNK).map(|_| ByteRecord::new()).collect());
            let mut n = 0;
            while n < CHUNK {
                match csv.read_byte_record(&mut chunk[n]) {
                    Ok(true) => n += 1,
                    Ok(false) => break,
                    Err(e) => {
                        let line = e.position().map(csv::Position::line);
                        let _ = tx.send(Err(fail(path, line, format!("cannot read the CSV: {e}"))));
                        return;
                    }
                }
            }
            let done = n < CHUNK;
            if (n > 0 && tx.send(Ok((chunk, n))).is_err()) || done {
                return;
            }
        });
        for got in rx {
            let (chunk, n) = got?;
            for rec in &chunk[..n] {
                feed(rows, rec, encoding)?;
            }
            let _ = back_tx.send(chunk);
        }
        Ok::<(), Error>(())
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_utf8_gb18030_and_windows_1252() {
        let chinese = "身份证号,姓名,发放金额\n110101196205035536,张伟,1200.00\n".repeat(50);
        assert_eq!(detect(chinese.as_bytes(), true), Encoding::UTF8);
        // cut inside a character at the sample's end: still UTF-8
        let bytes = chinese.as_bytes();
        let cut = &bytes[..bytes.len() - 2];
        assert_eq!(detect(cut, false), Encoding::UTF8);
        let (gbk, _, _) = encoding_rs::GBK.encode(&chinese);
        assert_eq!(detect(&gbk, true), Encoding::GB18030);
        assert_eq!(detect(&gbk[..gbk.len() - 7], false), Encoding::GB18030);
        // one corrupt byte does not make Chinese text Latin
        let mut corrupt = gbk.to_vec();
        corrupt[30] = b',';
        assert_eq!(detect(&corrupt, true), Encoding::GB18030);
        // Czech or French names: accented letters side by side are no Chinese
        let (czech, _, _) = encoding_rs::WINDOWS_1250.encode("jméno,příjmení\nJiří,Dvořák\n");
        assert_eq!(detect(&czech, true), Encoding::WINDOWS_1252);
        let (pounds, _, _) = encoding_rs::WINDOWS_1252.encode("payee,amount\nRenée,£12\n");
        assert_eq!(detect(&pounds, true), Encoding::WINDOWS_1252);
    }

    #[test]
    fn encodings_by_label() {
        let p = |s: &str| Encoding::parse(s).map(|e| e.map(Encoding::as_str));
        assert_eq!(p("auto"), Ok(None));
        assert_eq!(p("UTF8"), Ok(Some("utf-8".into())));
        assert_eq!(p("gbk"), Ok(Some("gb18030".into())));
        assert_eq!(p("gb2312"), Ok(Some("gb18030".into())));
        assert_eq!(p("latin1"), Ok(Some("windows-1252".into())));
        assert_eq!(p("cp1250"), Ok(Some("windows-1250".into())));
        assert!(p("utf-16le").is_err_and(|e| e.contains("not ASCII-compatible")));
        assert!(p("iso-2022-jp").is_err());
        assert!(p("klingon").is_err_and(|e| e.contains("unknown encoding `klingon`")));
    }
}
