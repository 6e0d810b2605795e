//! Arrow arrays -> plain typed values. Each decoder reports, per row, whether the value was null or could not
//! be read; the batch turns those into data-quality counts. Nothing here panics on data.

use crate::money::{div_round_half_away, parse_amount_text};
use crate::period::Period;
use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Decimal128Array, Int32Array, LargeStringArray,
    StringArray, StringBuilder, StringViewArray,
};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{
    DataType, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use chrono::NaiveDate;
use std::sync::Arc;

/// What went wrong with one cell.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    Null,
    Unparsable,
}

/// The days from 1970-01-01 to `d`.
pub fn days_from_date(d: NaiveDate) -> i32 {
    const EPOCH_CE_DAYS: i32 = 719_163;
    chrono::Datelike::num_days_from_ce(&d) - EPOCH_CE_DAYS
}

/// The date `days` after 1970-01-01.
pub fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(719_163)?)
}

/// `2024-03-05` for days since the epoch.
pub fn fmt_date(days: i32) -> String {
    date_from_days(days).map_or_else(|| days.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// ISO date text (`2024-03-05`, `2024/03/05`, `20240305`) to days since the epoch.
pub fn parse_date(text: &str) -> Option<i32> {
    let t = text.trim();
    let t = t
        .get(..10)
        .filter(|_| t.len() > 10 && (t.as_bytes()[10] == b'T' || t.as_bytes()[10] == b' '))
        .unwrap_or(t);
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y/%m/%d"))
        .or_else(|_| {
            if t.len() == 8 {
                NaiveDate::parse_from_str(t, "%Y%m%d")
            } else {
                NaiveDate::parse_from_str("", "x")
            }
        })
        .ok()?;
    Some(days_from_date(d))
}

/// Whether `dt` is a binary type (or a dictionary of one): Parquet `BINARY` without the UTF8 annotation, as
/// Hive and Impala write strings.
pub fn is_binary(dt: &DataType) -> bool {
    match dt {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => true,
        DataType::Dictionary(_, v) => is_binary(v),
        _ => false,
    }
}

/// Reads a binary column as UTF-8 text (Spark's `binaryAsString`): `None` when `arr` is not binary, else the
/// Utf8 array and the rows whose bytes are not valid UTF-8 (ascending), which are null in the array so that
/// the caller counts them as unparsable rather than guessing at their text.
pub fn binary_as_utf8(arr: &ArrayRef) -> Option<(ArrayRef, Vec<usize>)> {
    fn convert<'a>(
        n: usize,
        bytes_len: usize,
        value: impl Fn(usize) -> Option<&'a [u8]>,
    ) -> (ArrayRef, Vec<usize>) {
        let mut b = StringBuilder::with_capacity(n, bytes_len);
        let mut invalid = Vec::new();
        for i in 0..n {
            match value(i).map(std::str::from_utf8) {
                None => b.append_null(),
                Some(Ok(s)) => b.append_value(s),
                Some(Err(_)) => {
                    invalid.push(i);
                    b.append_null();
                }
            }
        }
        (Arc::new(b.finish()), invalid)
    }
    match arr.data_type() {
        DataType::Binary => {
            let a = arr.as_binary::<i32>();
            Some(convert(a.len(), a.values().len(), |i| {
                a.is_valid(i).then(|| a.value(i))
            }))
        }
        DataType::LargeBinary => {
            let a = arr.as_binary::<i64>();
            Some(convert(a.len(), a.values().len(), |i| {
                a.is_valid(i).then(|| a.value(i))
            }))
        }
        DataType::BinaryView => {
            let a = arr.as_binary_view();
            Some(convert(a.len(), 0, |i| a.is_valid(i).then(|| a.value(i))))
        }
        DataType::Dictionary(k, v)
            if **k == DataType::Int32
                && matches!(**v, DataType::Binary | DataType::LargeBinary) =>
        {
            // each dictionary value read once; a row is bad when its value is
            let d = arr.as_dictionary::<Int32Type>();
            let (values, bad_values) = binary_as_utf8(d.values())?;
            let keys = d.keys().clone();
            let invalid: Vec<usize> = if bad_values.is_empty() {
                Vec::new()
            } else {
                (0..keys.len())
                    .filter(|&i| {
                        keys.is_valid(i)
                            && usize::try_from(keys.value(i))
                                .is_ok_and(|j| bad_values.binary_search(&j).is_ok())
                    })
                    .collect()
            };
            let dict = arrow::array::DictionaryArray::<Int32Type>::try_new(keys, values).ok()?;
            Some((Arc::new(dict), invalid))
        }
        dt if is_binary(dt) => {
            // another dictionary of binary values: unpacked, then read as above
            let c = cast_with_options(arr, &DataType::LargeBinary, &CastOptions::default()).ok();
            match c {
                Some(c) => binary_as_utf8(&c),
                None => {
                    let invalid: Vec<usize> = (0..arr.len()).filter(|&i| arr.is_valid(i)).collect();
                    Some((
                        arrow::array::new_null_array(&DataType::Utf8, arr.len()),
                        invalid,
                    ))
                }
            }
        }
        _ => None,
    }
}

/// A text column, whatever its Arrow representation.
#[derive(Debug, Clone)]
pub enum Text {
    Utf8(StringArray),
    Large(LargeStringArray),
    View(StringViewArray),
    /// A `Dictionary(Int32, Utf8)` array, kept as it is: the keys (a null key is a null row) and the values.
    Dict(Int32Array, StringArray),
    /// A hive partition value: one value for every row.
    Const(Arc<str>, usize),
}

impl Text {
    /// Wraps an array of a text kind; `Dictionary(Int32, Utf8)` is kept as a dictionary, other dictionaries
    /// and integers are cast to Utf8 first. Binary is read as UTF-8 text, a value that is not valid UTF-8 as a
    /// null (see [`binary_as_utf8`] to count those).
    pub fn from_array(arr: &ArrayRef) -> Result<Self, String> {
        if let Some((utf8, _)) = binary_as_utf8(arr) {
            return Ok(Self::Utf8(utf8.as_string::<i32>().clone()));
        }
        match arr.data_type() {
            DataType::Utf8 => Ok(Self::Utf8(arr.as_string::<i32>().clone())),
            DataType::LargeUtf8 => Ok(Self::Large(arr.as_string::<i64>().clone())),
            DataType::Utf8View => Ok(Self::View(arr.as_string_view().clone())),
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = arr.as_dictionary::<Int32Type>();
                Ok(Self::Dict(
                    d.keys().clone(),
                    d.values().as_string::<i32>().clone(),
                ))
            }
            _ => {
                let c = cast_with_options(arr, &DataType::Utf8, &CastOptions::default())
                    .map_err(|e| e.to_string())?;
                Ok(Self::Utf8(c.as_string::<i32>().clone()))
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Utf8(a) => a.len(),
            Self::Large(a) => a.len(),
            Self::View(a) => a.len(),
            Self::Dict(k, _) => k.len(),
            Self::Const(_, n) => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `i`, `None` when null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        match self {
            Self::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Self::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Self::View(a) => a.is_valid(i).then(|| a.value(i)),
            Self::Dict(k, v) => {
                if k.is_null(i) {
                    return None;
                }
                let j = usize::try_from(k.value(i)).ok()?;
                (j < v.len() && v.is_valid(j)).then(|| v.value(j))
            }
            Self::Const(v, _) => Some(v),
        }
    }

    /// For a dictionary: its key per row (`None` for a null key) and its values; `None` for other kinds.
    pub fn dictionary(&self) -> Option<(&Int32Array, &StringArray)> {
        match self {
            Self::Dict(k, v) => Some((k, v)),
            _ => None,
        }
    }
}

/// Decodes a number column into fixed-point integers with `scale` decimals (2 for fen).
/// Decimals are rescaled exactly (rounding half away from zero when the column has more decimals), floats are
/// rounded to the nearest unit, integers are whole currency units.
pub fn decode_fixed(
    arr: &ArrayRef,
    scale: u32,
    out: &mut Vec<i64>,
    bad: &mut impl FnMut(usize, Problem),
) {
    out.clear();
    out.reserve(arr.len());
    let factor = 10i64.pow(scale);
    macro_rules! ints {
        ($t:ty) => {{
            let a = arr.as_primitive::<$t>();
            for i in 0..a.len() {
                if a.is_null(i) {
                    bad(i, Problem::Null);
                    out.push(0);
                    continue;
                }
                match i64::try_from(a.value(i))
                    .ok()
                    .and_then(|v| v.checked_mul(factor))
                {
                    Some(v) => out.push(v),
                    None => {
                        bad(i, Problem::Unparsable);
                        out.push(0);
                    }
                }
            }
        }};
    }
    macro_rules! floats {
        ($t:ty) => {{
            let a = arr.as_primitive::<$t>();
            let f = factor as f64;
            for i in 0..a.len() {
                if a.is_null(i) {
                    bad(i, Problem::Null);
                    out.push(0);
                    continue;
                }
                let v = f64::from(a.value(i)) * f;
                if v.is_finite() && v.abs() < 9.0e18 {
                    out.push(v.round() as i64);
                } else {
                    bad(i, Problem::Unparsable);
                    out.push(0);
                }
            }
        }};
    }
    match arr.data_type() {
        DataType::Int8 => ints!(Int8Type),
        DataType::Int16 => ints!(Int16Type),
        DataType::Int32 => ints!(Int32Type),
        DataType::Int64 => ints!(Int64Type),
        DataType::UInt8 => ints!(UInt8Type),
        DataType::UInt16 => ints!(UInt16Type),
        DataType::UInt32 => ints!(UInt32Type),
        DataType::UInt64 => ints!(UInt64Type),
        DataType::Float16 => {
            let a = arr.as_primitive::<Float16Type>();
            let f = factor as f64;
            for i in 0..a.len() {
                let v = f64::from(a.value(i).to_f32()) * f;
                if a.is_null(i) {
                    bad(i, Problem::Null);
                    out.push(0);
                } else if v.is_finite() {
                    out.push(v.round() as i64);
                } else {
                    bad(i, Problem::Unparsable);
                    out.push(0);
                }
            }
        }
        DataType::Float32 => floats!(Float32Type),
        DataType::Float64 => floats!(Float64Type),
        DataType::Decimal128(_, s) => decimals(arr.as_primitive(), i32::from(*s), scale, out, bad),
        DataType::Decimal32(_, s) | DataType::Decimal64(_, s) | DataType::Decimal256(_, s) => {
            let s = *s;
            match cast_with_options(arr, &DataType::Decimal128(38, s), &CastOptions::default()) {
                Ok(c) => {
                    // a value too large for 128 bits becomes null in the cast: that is unparsable, not null
                    let c: &Decimal128Array = c.as_primitive();
                    for i in 0..c.len() {
                        if arr.is_valid(i) && c.is_null(i) {
                            bad(i, Problem::Unparsable);
                        }
                    }
                    let mut tmp = Vec::new();
                    decimals(c, i32::from(s), scale, &mut tmp, &mut |i, p| {
                        if arr.is_null(i) || p == Problem::Unparsable {
                            bad(i, p);
                        }
                    });
                    *out = tmp;
                }
                Err(_) => {
                    for i in 0..arr.len() {
                        bad(i, Problem::Unparsable);
                        out.push(0);
                    }
                }
            }
        }
        DataType::Null => {
            for i in 0..arr.len() {
                bad(i, Problem::Null);
                out.push(0);
            }
        }
        dt if is_text_type(dt) => match binary_as_utf8(arr) {
            Some((utf8, invalid)) => match Text::from_array(&utf8) {
                Ok(t) => decimal_texts(&t, scale, out, &mut |i, p| {
                    if invalid.binary_search(&i).is_ok() {
                        bad(i, Problem::Unparsable);
                    } else {
                        bad(i, p);
                    }
                }),
                Err(_) => {
                    for i in 0..arr.len() {
                        bad(i, Problem::Unparsable);
                        out.push(0);
                    }
                }
            },
            None => match Text::from_array(arr) {
                Ok(t) => decimal_texts(&t, scale, out, bad),
                Err(_) => {
                    for i in 0..arr.len() {
                        bad(i, Problem::Unparsable);
                        out.push(0);
                    }
                }
            },
        },
        _ => {
            for i in 0..arr.len() {
                bad(i, Problem::Unparsable);
                out.push(0);
            }
        }
    }
}

/// Whether `dt` holds text: Utf8, LargeUtf8, Utf8View, binary (read as UTF-8), or a dictionary of them.
pub fn is_text_type(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text_type(v),
        _ => is_binary(dt),
    }
}

/// Decimal texts (`"12.50"`, `" 1,234.50"`, see [`parse_amount_text`]) into fixed-point integers, exactly:
/// a null or blank text is a null, any other text that is not such a decimal is unparsable.
fn decimal_texts(t: &Text, scale: u32, out: &mut Vec<i64>, bad: &mut impl FnMut(usize, Problem)) {
    let mut last: Option<(&str, Option<i64>)> = None;
    for i in 0..t.len() {
        let Some(s) = t.get(i) else {
            bad(i, Problem::Null);
            out.push(0);
            continue;
        };
        let v = match last {
            Some((l, v)) if l == s => v,
            _ => {
                let v = parse_amount_text(s, scale);
                last = Some((s, v));
                v
            }
        };
        match v {
            Some(v) => out.push(v),
            None if s.trim().is_empty() => {
                bad(i, Problem::Null);
                out.push(0);
            }
            None => {
                bad(i, Problem::Unparsable);
                out.push(0);
            }
        }
    }
}

fn decimals(
    a: &Decimal128Array,
    s: i32,
    scale: u32,
    out: &mut Vec<i64>,
    bad: &mut impl FnMut(usize, Problem),
) {
    let target = scale as i32;
    for i in 0..a.len() {
        if a.is_null(i) {
            bad(i, Problem::Null);
            out.push(0);
            continue;
        }
        let v = a.value(i);
        let r = if s == target {
            Some(v)
        } else if s < target {
            10i128
                .checked_pow((target - s) as u32)
                .and_then(|f| v.checked_mul(f))
        } else {
            10i128
                .checked_pow((s - target) as u32)
                .map(|f| div_round_half_away(v, f))
        };
        match r.and_then(|x| i64::try_from(x).ok()) {
            Some(x) => out.push(x),
            None => {
                bad(i, Problem::Unparsable);
                out.push(0);
            }
        }
    }
}

/// Decodes a date column into days since 1970-01-01.
pub fn decode_date(arr: &ArrayRef, out: &mut Vec<i32>, bad: &mut impl FnMut(usize, Problem)) {
    out.clear();
    out.reserve(arr.len());
    let is_text =
        matches!(arr.data_type(), DataType::Dictionary(..)) || is_text_type(arr.data_type());
    if let Some(text) = is_text.then(|| Text::from_array(arr).ok()).flatten() {
        for i in 0..text.len() {
            match text.get(i) {
                None => {
                    bad(i, Problem::Null);
                    out.push(0);
                }
                Some(s) if s.trim().is_empty() => {
                    bad(i, Problem::Null);
                    out.push(0);
                }
                Some(s) => match parse_date(s) {
                    Some(d) => out.push(d),
                    None => {
                        bad(i, Problem::Unparsable);
                        out.push(0);
                    }
                },
            }
        }
        return;
    }
    let converted = if *arr.data_type() == DataType::Date32 {
        Ok(Arc::clone(arr))
    } else {
        cast_with_options(arr, &DataType::Date32, &CastOptions::default())
    };
    match converted {
        Ok(c) => {
            let d: &Date32Array = c.as_primitive();
            for i in 0..d.len() {
                if arr.is_null(i) {
                    bad(i, Problem::Null);
                    out.push(0);
                } else if d.is_null(i) {
                    bad(i, Problem::Unparsable);
                    out.push(0);
                } else {
                    out.push(d.value(i));
                }
            }
        }
        Err(_) => {
            for i in 0..arr.len() {
                bad(i, Problem::Unparsable);
                out.push(0);
            }
        }
    }
}

/// Decodes a period column into [`Period::code`]s.
pub fn decode_period(arr: &ArrayRef, out: &mut Vec<u32>, bad: &mut impl FnMut(usize, Problem)) {
    out.clear();
    out.reserve(arr.len());
    if arr.data_type().is_integer() {
        let mut ints = Vec::new();
        decode_fixed(arr, 0, &mut ints, &mut |i, p| bad(i, p));
        for (i, v) in ints.into_iter().enumerate() {
            let p = match v {
                1900..=2200 => Some(Period::Year(v as u16)),
                190_001..=220_012 => Period::parse(&v.to_string()),
                _ => None,
            };
            match p {
                Some(p) => out.push(p.code()),
                None => {
                    if arr.is_valid(i) {
                        bad(i, Problem::Unparsable);
                    }
                    out.push(0);
                }
            }
        }
        return;
    }
    match Text::from_array(arr) {
        Ok(t) => decode_period_text(&t, out, bad),
        Err(_) => {
            for i in 0..arr.len() {
                bad(i, Problem::Unparsable);
                out.push(0);
            }
        }
    }
}

/// Period texts into codes, caching the last text (periods repeat in long runs).
pub fn decode_period_text(t: &Text, out: &mut Vec<u32>, bad: &mut impl FnMut(usize, Problem)) {
    out.clear();
    let mut last: Option<(&str, u32)> = None;
    for i in 0..t.len() {
        match t.get(i) {
            None => {
                bad(i, Problem::Null);
                out.push(0);
            }
            Some(s) => {
                if let Some((ls, code)) = last {
                    if ls == s {
                        out.push(code);
                        continue;
                    }
                }
                match Period::parse(s) {
                    Some(p) => {
                        last = Some((s, p.code()));
                        out.push(p.code());
                    }
                    None => {
                        bad(i, Problem::Unparsable);
                        out.push(0);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date64Array, Float64Array, Int32Array, TimestampSecondArray};

    fn fixed(arr: ArrayRef, scale: u32) -> (Vec<i64>, Vec<(usize, Problem)>) {
        let mut out = Vec::new();
        let mut bads = Vec::new();
        decode_fixed(&arr, scale, &mut out, &mut |i, p| bads.push((i, p)));
        (out, bads)
    }

    #[test]
    fn amounts_become_exact_fen() {
        let d = Decimal128Array::from(vec![Some(145_730), None, Some(-5)])
            .with_precision_and_scale(14, 2)
            .expect("dec");
        assert_eq!(
            fixed(Arc::new(d), 2),
            (vec![145_730, 0, -5], vec![(1, Problem::Null)])
        );
        let d = Decimal128Array::from(vec![12_345, 12_344, -12_345])
            .with_precision_and_scale(14, 3)
            .expect("dec");
        assert_eq!(fixed(Arc::new(d), 2).0, vec![1235, 1234, -1235]);
        let d = Decimal128Array::from(vec![7])
            .with_precision_and_scale(10, 0)
            .expect("dec");
        assert_eq!(fixed(Arc::new(d), 2).0, vec![700]);
        let f = Float64Array::from(vec![Some(1457.3), Some(0.1 + 0.2), Some(f64::NAN), None]);
        assert_eq!(
            fixed(Arc::new(f), 2),
            (
                vec![145_730, 30, 0, 0],
                vec![(2, Problem::Unparsable), (3, Problem::Null)]
            )
        );
        assert_eq!(fixed(Arc::new(Int32Array::from(vec![12])), 2).0, vec![1200]);
    }

    #[test]
    fn decimal_text_becomes_exact_fen_and_quantities() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec![
            Some("12.50"),
            Some("-3.1"),
            Some(" 1,234.50"),
            None,
            Some("  "),
            Some("12,5"),
            Some("¥8.00"),
            Some("0.105"),
            Some("(40.00)"),
            Some("12.50"),
        ]));
        assert_eq!(
            fixed(Arc::clone(&texts), 2),
            (
                vec![1250, -310, 123_450, 0, 0, 0, 0, 11, -4000, 1250],
                vec![
                    (3, Problem::Null),
                    (4, Problem::Null),
                    (5, Problem::Unparsable),
                    (6, Problem::Unparsable)
                ]
            )
        );
        let q: ArrayRef = Arc::new(StringArray::from(vec!["2.5", "0.3333", "x"]));
        assert_eq!(
            fixed(q, 4),
            (vec![25_000, 3333, 0], vec![(2, Problem::Unparsable)])
        );
        // the same text stored as binary (Hive) and as a dictionary
        let b: ArrayRef = Arc::new(arrow::array::BinaryArray::from(vec![
            Some(b"7.25".as_ref()),
            None,
            Some(b"\xff\xfe".as_ref()),
        ]));
        assert_eq!(
            fixed(b, 2),
            (
                vec![725, 0, 0],
                vec![(1, Problem::Null), (2, Problem::Unparsable)]
            )
        );
    }

    #[test]
    fn binary_reads_as_text_and_counts_bad_bytes() {
        let b: ArrayRef = Arc::new(arrow::array::BinaryArray::from(vec![
            Some("张伟".as_bytes()),
            None,
            Some(b"\xd5\xc5".as_ref()), // 张 in GBK: not UTF-8
            Some(b"".as_ref()),
        ]));
        let (utf8, invalid) = binary_as_utf8(&b).expect("binary");
        assert_eq!(invalid, vec![2]);
        let t = Text::from_array(&utf8).expect("text");
        let got: Vec<Option<&str>> = (0..t.len()).map(|i| t.get(i)).collect();
        assert_eq!(got, vec![Some("张伟"), None, None, Some("")]);
        let large: ArrayRef = Arc::new(arrow::array::LargeBinaryArray::from(vec![Some(
            b"2024-03".as_ref(),
        )]));
        let mut out = Vec::new();
        decode_period(&large, &mut out, &mut |_, _| panic!("no problem"));
        assert_eq!(out, vec![202_403]);
        assert!(binary_as_utf8(&utf8).is_none(), "text is not binary");
    }

    #[test]
    fn dates_from_every_type() {
        let mut out = Vec::new();
        let mut bads = Vec::new();
        let base = days_from_date(NaiveDate::from_ymd_opt(2024, 3, 5).expect("date"));
        let texts: ArrayRef = Arc::new(StringArray::from(vec![
            Some("2024-03-05"),
            Some("2024/03/05"),
            Some("20240305"),
            Some("2024-02-30"),
            None,
            Some("2024-03-05T10:00:00"),
        ]));
        decode_date(&texts, &mut out, &mut |i, p| bads.push((i, p)));
        assert_eq!(out, vec![base, base, base, 0, 0, base]);
        assert_eq!(bads, vec![(3, Problem::Unparsable), (4, Problem::Null)]);
        // blank text is a missing date, as a null is
        let blank: ArrayRef = Arc::new(StringArray::from(vec![Some(""), Some("  "), Some("x")]));
        bads.clear();
        decode_date(&blank, &mut out, &mut |i, p| bads.push((i, p)));
        assert_eq!(
            bads,
            vec![
                (0, Problem::Null),
                (1, Problem::Null),
                (2, Problem::Unparsable)
            ]
        );
        let ms = i64::from(base) * 86_400_000 + 3_600_000;
        let d64: ArrayRef = Arc::new(Date64Array::from(vec![ms]));
        decode_date(&d64, &mut out, &mut |_, _| {});
        assert_eq!(out, vec![base]);
        let ts: ArrayRef = Arc::new(TimestampSecondArray::from(vec![
            i64::from(base) * 86_400 + 7200,
        ]));
        decode_date(&ts, &mut out, &mut |_, _| {});
        assert_eq!(out, vec![base]);
    }

    #[test]
    fn zoned_timestamps_become_the_local_date() {
        // 2024-04-12T20:00:00Z is 2024-04-13 04:00 in Shanghai
        let secs = i64::from(days_from_date(
            NaiveDate::from_ymd_opt(2024, 4, 12).expect("date"),
        )) * 86_400
            + 20 * 3600;
        let next = days_from_date(NaiveDate::from_ymd_opt(2024, 4, 13).expect("date"));
        for tz in ["Asia/Shanghai", "+08:00"] {
            let ts: ArrayRef = Arc::new(TimestampSecondArray::from(vec![secs]).with_timezone(tz));
            let mut out = Vec::new();
            let mut bads = Vec::new();
            decode_date(&ts, &mut out, &mut |i, p| bads.push((i, p)));
            assert_eq!((out, bads), (vec![next], vec![]), "{tz}");
        }
    }

    #[test]
    fn periods_from_text_and_integers() {
        let mut out = Vec::new();
        let mut bads = Vec::new();
        let t: ArrayRef = Arc::new(StringArray::from(vec![
            Some("2024"),
            Some("2024-03"),
            Some("2024-03"),
            Some("x"),
            None,
        ]));
        decode_period(&t, &mut out, &mut |i, p| bads.push((i, p)));
        assert_eq!(out, vec![202_400, 202_403, 202_403, 0, 0]);
        assert_eq!(bads, vec![(3, Problem::Unparsable), (4, Problem::Null)]);
        let n: ArrayRef = Arc::new(Int32Array::from(vec![2024, 202_411, 7]));
        bads.clear();
        decode_period(&n, &mut out, &mut |i, p| bads.push((i, p)));
        assert_eq!(out, vec![202_400, 202_411, 0]);
        assert_eq!(bads, vec![(2, Problem::Unparsable)]);
    }
}
