//! The charts of `report.html`, drawn here as inline SVG: no script draws them and nothing is fetched, so the
//! page shows them offline and prints them as they are. The same input gives the same bytes (coordinates are
//! written with one decimal, shares with fixed decimals, and the order is the callers').
//!
//! Every chart is one `<svg>` with a fixed id; a chart with nothing to draw is a short `<svg>` holding its note
//! ("No unit tested"), so the page always has every chart. Every text that comes from the data (a region, a
//! unit, an officer id) goes through [`esc`].

use crate::exhibit::{DigitCurve, RoundShare};
use std::fmt::Write;

/// Blue of the bars and the officers not flagged; red of what a rule flagged; grey of what is expected.
const BLUE: &str = "#2f6690";
const RED: &str = "#b3261e";
const GREY: &str = "#6b6b6b";
const INK: &str = "#1f1f1f";
const RULE_LINE: &str = "#d0d0d0";

/// Digit panels drawn at most: every flagged unit up to [`DIGIT_FLAGGED_MAX`], then the first
/// [`DIGIT_OTHERS_MAX`] units not flagged.
pub const DIGIT_FLAGGED_MAX: usize = 100;
pub const DIGIT_OTHERS_MAX: usize = 50;
/// Officers drawn at most in the round-sum chart (flagged first, by p-value, as the exhibits are sorted).
pub const ROUND_MAX: usize = 60;

/// One chart: its id, the SVG, and a line for the page under it (what was left out), if any.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Chart {
    pub id: &'static str,
    pub svg: String,
    pub note: Option<String>,
    /// Whether there was nothing to draw (the SVG then holds only its note).
    pub empty: bool,
}

/// Escapes a text for SVG (XML) text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // control characters are not allowed in XML 1.0
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate, one decimal (never `-0.0`).
fn c(x: f64) -> String {
    let x = (x * 10.0).round() / 10.0 + 0.0;
    format!("{x:.1}")
}

/// At most `n` characters of `s`, with `…` when cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Money in fen as yuan with thousands separators: `1,234,567.89`.
pub fn money(fen: i64) -> String {
    let a = fen.unsigned_abs();
    let whole = (a / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 4);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{:02}", if fen < 0 { "-" } else { "" }, a % 100)
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A p-value: `p=0.0123` (four decimals), `p<0.0001` below.
pub fn p_value(p: f64) -> String {
    if p < 0.0001 {
        "p<0.0001".to_string()
    } else {
        format!("p={p:.4}")
    }
}

/// A share as a percentage with one decimal.
fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0 + 0.0)
}

fn open(out: &mut String, id: &str, title: &str, w: f64, h: f64) {
    let _ = write!(
        out,
        r#"<svg id="{id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif" font-size="12" fill="{INK}"><title id="{id}-title">{}</title>"#,
        esc(title),
        w = c(w),
        h = c(h),
    );
}

/// A chart with nothing to draw: its note inside a short SVG.
pub fn empty(id: &'static str, title: &str, note: &str) -> Chart {
    let mut s = String::new();
    open(&mut s, id, title, 720.0, 36.0);
    let _ = write!(
        s,
        r##"<rect x="0.5" y="0.5" width="719" height="35" fill="#f6f6f6" stroke="{RULE_LINE}"/><text x="12" y="22" font-style="italic" fill="{GREY}">{}</text></svg>"##,
        esc(note)
    );
    Chart {
        id,
        svg: s,
        note: None,
        empty: true,
    }
}

/// One bar: a label, the money, and a few words after the money (`12 findings`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    /// The full name shown in the tooltip (the label may be cut).
    pub hint: String,
    pub fen: i64,
    pub detail: String,
}

/// Horizontal bars of money, in the order given (the longest bar is the largest amount; negative amounts
/// draw no bar). `empty_note` is drawn instead when there is no bar.
pub fn bars(
    id: &'static str,
    title: &str,
    bars: &[Bar],
    currency: &str,
    empty_note: &str,
) -> Chart {
    if bars.is_empty() {
        return empty(id, title, empty_note);
    }
    let (w, label_w, value_w, row, top) = (820.0, 236.0, 250.0, 24.0, 8.0);
    let area = w - label_w - value_w - 16.0;
    let h = top + row * bars.len() as f64 + 8.0;
    let max = bars.iter().map(|b| b.fen).max().unwrap_or(0).max(1) as f64;
    let mut s = String::new();
    open(&mut s, id, title, w, h);
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let len = (b.fen.max(0) as f64 / max * area).max(if b.fen > 0 { 1.0 } else { 0.0 });
        let value = format!("{} {}", money(b.fen), currency);
        let _ = write!(
            s,
            r#"<g><title>{hint}: {value_e}{sep}{detail}</title><text x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect x="{bx}" y="{by}" width="{bw}" height="{bh}" fill="{BLUE}"/><text x="{vx}" y="{ty}"><tspan font-weight="600">{value_e}</tspan><tspan fill="{GREY}">{sep}{detail}</tspan></text></g>"#,
            hint = esc(&b.hint),
            value_e = esc(&value),
            sep = if b.detail.is_empty() { "" } else { " · " },
            detail = esc(&b.detail),
            label = esc(&clip(&b.label, 30)),
            lx = c(label_w - 8.0),
            ty = c(y + 16.0),
            bx = c(label_w),
            by = c(y + 4.0),
            bw = c(len),
            bh = c(row - 8.0),
            vx = c(label_w + len + 6.0),
        );
    }
    s.push_str("</svg>");
    Chart {
        id,
        svg: s,
        note: None,
        empty: false,
    }
}

/// The units a digit chart draws: every flagged one up to [`DIGIT_FLAGGED_MAX`], then the first
/// [`DIGIT_OTHERS_MAX`] others, in the exhibits' order (flagged first).
pub fn digit_units<'a>(curves: &[&'a DigitCurve]) -> Vec<&'a DigitCurve> {
    let flagged = curves.iter().filter(|d| d.flagged).take(DIGIT_FLAGGED_MAX);
    let others = curves.iter().filter(|d| !d.flagged).take(DIGIT_OTHERS_MAX);
    flagged.chain(others).copied().collect()
}

/// Small multiples of digit curves: per unit, the observed share of each digit value (bars) against the
/// expected share (a line: Benford's for the first two digits, uniform for the last two). Flagged units have a
/// red frame. `expected_name` names the expected curve in the legend.
pub fn digits(
    id: &'static str,
    title: &str,
    curves: &[&DigitCurve],
    expected_name: &str,
    empty_note: &str,
) -> Chart {
    if curves.is_empty() {
        return empty(id, title, empty_note);
    }
    let drawn = digit_units(curves);
    let flagged = curves.iter().filter(|d| d.flagged).count();
    let (cols, pw, ph, legend) = (4usize, 300.0, 176.0, 26.0);
    let rows = drawn.len().div_ceil(cols);
    let w = pw * cols as f64;
    let h = legend + ph * rows as f64;
    let mut s = String::new();
    open(&mut s, id, title, w, h);
    let _ = write!(
        s,
        r#"<g font-size="11"><rect x="8" y="8" width="10" height="10" fill="{BLUE}" opacity="0.75"/><text x="24" y="17">observed share</text><line x1="130" y1="13" x2="150" y2="13" stroke="{INK}" stroke-width="1.5"/><text x="156" y="17">{}</text><rect x="330" y="8" width="10" height="10" fill="none" stroke="{RED}" stroke-width="2"/><text x="346" y="17">flagged by the rule</text></g>"#,
        esc(expected_name)
    );
    for (k, d) in drawn.iter().enumerate() {
        let x0 = pw * (k % cols) as f64;
        let y0 = legend + ph * (k / cols) as f64;
        digit_panel(&mut s, d, x0, y0, pw, ph);
    }
    s.push_str("</svg>");
    let more = curves.len() - drawn.len();
    let tested = curves.iter().filter(|d| d.not_testable.is_none()).count();
    let note = if more == 0 {
        format!(
            "{} units, {tested} tested, {} flagged; all drawn, flagged first.",
            curves.len(),
            flagged
        )
    } else {
        format!(
            "{} units, {tested} tested, {} flagged; {} drawn (flagged first), {} more not drawn.",
            curves.len(),
            flagged,
            drawn.len(),
            more
        )
    };
    Chart {
        id,
        svg: s,
        note: Some(note),
        empty: false,
    }
}

fn digit_panel(s: &mut String, d: &DigitCurve, x0: f64, y0: f64, pw: f64, ph: f64) {
    let total: u64 = d.observed.iter().sum();
    let obs: Vec<f64> = d
        .observed
        .iter()
        .map(|&o| {
            if total == 0 {
                0.0
            } else {
                o as f64 / total as f64
            }
        })
        .collect();
    let len = obs.len().max(d.expected.len()).max(1);
    let top = obs
        .iter()
        .chain(&d.expected)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    // the y scale: a round share above the highest value
    let step = if top > 0.1 { 0.05 } else { 0.01 };
    let ymax = ((top * 1.1 / step - 1e-9).ceil() * step).max(step);
    let (px, py) = (x0 + 40.0, y0 + 46.0);
    let (pw_in, ph_in) = (pw - 52.0, ph - 68.0);
    let y_of = |v: f64| py + ph_in - (v.clamp(0.0, ymax) / ymax) * ph_in;
    let frame = if d.flagged { RED } else { RULE_LINE };
    let _ = write!(
        s,
        r##"<g><title>{rule} {test}, {level} {unit}: n={n}, MAD {mad:.4} (conforming about {emad:.4}), chi2 {chi2:.1}, {p}{flag}</title><rect x="{fx}" y="{fy}" width="{fw}" height="{fh}" fill="#ffffff" stroke="{frame}" stroke-width="{sw}"/><text x="{tx}" y="{ty}" font-weight="600">{head}</text><text x="{tx}" y="{sy}" font-size="10.5" fill="{GREY}">n={nc} · MAD {mad:.4} (≈{emad:.4}) · {p}</text>"##,
        rule = esc(&d.rule),
        test = esc(&d.test),
        level = esc(&d.level),
        unit = esc(&d.unit),
        n = d.n,
        nc = count(d.n),
        mad = d.mad + 0.0,
        emad = d.expected_mad + 0.0,
        chi2 = d.chi2 + 0.0,
        p = esc(&d
            .not_testable
            .as_ref()
            .map_or_else(|| p_value(d.p_value), |why| format!("not tested: {why}"))),
        flag = if d.flagged { ", flagged" } else { "" },
        fx = c(x0 + 4.0),
        fy = c(y0 + 4.0),
        fw = c(pw - 8.0),
        fh = c(ph - 8.0),
        sw = if d.flagged { "2" } else { "1" },
        tx = c(x0 + 12.0),
        ty = c(y0 + 20.0),
        sy = c(y0 + 34.0),
        head = esc(&clip(
            &format!(
                "{} {}{}",
                d.level,
                d.unit,
                if d.flagged { " — flagged" } else { "" }
            ),
            40
        )),
    );
    // axes: the baseline, the top share
    let _ = write!(
        s,
        r#"<line x1="{px}" y1="{yb}" x2="{pr}" y2="{yb}" stroke="{GREY}"/><line x1="{px}" y1="{yt}" x2="{pr}" y2="{yt}" stroke="{RULE_LINE}" stroke-dasharray="2 2"/><text x="{lx}" y="{lyb}" text-anchor="end" font-size="10" fill="{GREY}">0</text><text x="{lx}" y="{lyt}" text-anchor="end" font-size="10" fill="{GREY}">{top}</text>"#,
        px = c(px),
        pr = c(px + pw_in),
        yb = c(py + ph_in),
        yt = c(py),
        lx = c(px - 4.0),
        lyb = c(py + ph_in + 3.0),
        lyt = c(py + 3.0),
        top = pct(ymax),
    );
    // observed: one path of bars
    let bw = pw_in / len as f64;
    let mut path = String::new();
    for (k, &v) in obs.iter().enumerate() {
        if v <= 0.0 {
            continue;
        }
        let x = px + bw * k as f64 + bw * 0.1;
        let y = y_of(v);
        let _ = write!(
            path,
            "M{} {}h{}V{}H{}Z",
            c(x),
            c(py + ph_in),
            c(bw * 0.8),
            c(y),
            c(x)
        );
    }
    if !path.is_empty() {
        let _ = write!(s, r#"<path d="{path}" fill="{BLUE}" opacity="0.75"/>"#);
    }
    // expected: a line through the bars' centres
    let points: Vec<String> = d
        .expected
        .iter()
        .enumerate()
        .map(|(k, &e)| format!("{},{}", c(px + bw * (k as f64 + 0.5)), c(y_of(e))))
        .collect();
    if !points.is_empty() {
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{INK}" stroke-width="1.5"/>"#,
            points.join(" ")
        );
    }
    // x labels: the first digit value, then every tenth
    for k in 0..len {
        let v = d.first_digit as usize + k;
        if k == 0 || v.is_multiple_of(10) {
            let label = if d.first_digit == 0 {
                format!("{v:02}")
            } else {
                v.to_string()
            };
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{GREY}">{label}</text>"#,
                c(px + bw * (k as f64 + 0.5)),
                c(py + ph_in + 13.0),
            );
        }
    }
    s.push_str("</g>");
}

/// Per officer, the share of payees paid a round sum (a dot; red when flagged) against the share expected of
/// the officer (a dark tick), joined by a line; the first [`ROUND_MAX`] officers in the exhibits' order.
pub fn round_sums(id: &'static str, title: &str, shares: &[RoundShare], empty_note: &str) -> Chart {
    if shares.is_empty() {
        return empty(id, title, empty_note);
    }
    let drawn = &shares[..shares.len().min(ROUND_MAX)];
    let flagged = shares.iter().filter(|r| r.flagged).count();
    let (w, label_w, plot_w, row, top) = (980.0, 180.0, 420.0, 22.0, 46.0);
    let h = top + row * drawn.len() as f64 + 10.0;
    let high = drawn
        .iter()
        .flat_map(|r| [r.share, r.expected])
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let xmax = ((high * 1.05 / 0.1 - 1e-9).ceil() * 0.1).clamp(0.1, 1.0);
    let x_of = |v: f64| label_w + v.clamp(0.0, xmax) / xmax * plot_w;
    let mut s = String::new();
    open(&mut s, id, title, w, h);
    let _ = write!(
        s,
        r#"<g font-size="11"><circle cx="14" cy="12" r="4.5" fill="{BLUE}"/><text x="24" y="16">officer's share of payees paid a round sum</text><circle cx="284" cy="12" r="4.5" fill="{RED}"/><text x="294" y="16">flagged</text><line x1="350" y1="6" x2="350" y2="18" stroke="{INK}" stroke-width="2.5"/><text x="358" y="16">share expected (the county's peers)</text></g>"#
    );
    // the scale: five ticks
    for t in 0..=4 {
        let v = xmax * f64::from(t) / 4.0;
        let x = x_of(v);
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{RULE_LINE}"/><text x="{x}" y="{ty}" text-anchor="middle" font-size="10" fill="{GREY}">{label}</text>"#,
            x = c(x),
            y1 = c(top - 4.0),
            y2 = c(top + row * drawn.len() as f64),
            ty = c(top - 8.0),
            label = pct(v),
        );
    }
    for (i, r) in drawn.iter().enumerate() {
        let y = top + row * i as f64 + row / 2.0;
        let (xo, xe) = (x_of(r.share), x_of(r.expected));
        let colour = if r.flagged { RED } else { BLUE };
        let _ = write!(
            s,
            r#"<g><title>officer {officer}: {round} of {payees} payees paid a round sum ({share}), {expected} expected, {p}{flag}</title><text x="{lx}" y="{ty}" text-anchor="end"{bold}>{label}</text><line x1="{xe}" y1="{y}" x2="{xo}" y2="{y}" stroke="{GREY}" stroke-width="1.5"/><line x1="{xe}" y1="{ey1}" x2="{xe}" y2="{ey2}" stroke="{INK}" stroke-width="2.5"/><circle cx="{xo}" cy="{y}" r="4.5" fill="{colour}"/><text x="{vx}" y="{ty}" font-size="11">{round}/{payees} = {share} vs {expected} · {p}</text></g>"#,
            officer = esc(&r.officer),
            round = r.round,
            payees = r.payees,
            share = pct(r.share),
            expected = pct(r.expected),
            p = esc(&p_value(r.p_value)),
            flag = if r.flagged { ", flagged" } else { "" },
            lx = c(label_w - 10.0),
            ty = c(y + 4.0),
            bold = if r.flagged {
                r##" font-weight="600" fill="#b3261e""##
            } else {
                ""
            },
            label = esc(&clip(&r.officer, 24)),
            xe = c(xe),
            xo = c(xo),
            y = c(y),
            ey1 = c(y - 6.0),
            ey2 = c(y + 6.0),
            vx = c(label_w + plot_w + 16.0),
        );
    }
    s.push_str("</svg>");
    let more = shares.len() - drawn.len();
    let note = if more == 0 {
        format!(
            "{} officers tested, {} flagged; all drawn, flagged first.",
            shares.len(),
            flagged
        )
    } else {
        format!(
            "{} officers tested, {} flagged; the first {} drawn (flagged first, by p-value), {} more not drawn.",
            shares.len(),
            flagged,
            drawn.len(),
            more
        )
    };
    Chart {
        id,
        svg: s,
        note: Some(note),
        empty: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(unit: &str, flagged: bool, first: u32, len: usize) -> DigitCurve {
        let expected = if first == 10 {
            (10..100)
                .map(|d| (1.0 + 1.0 / f64::from(d)).log10())
                .collect()
        } else {
            vec![0.01; len]
        };
        DigitCurve {
            rule: if first == 10 { "DIG001" } else { "DIG002" }.into(),
            test: if first == 10 {
                "first two digits"
            } else {
                "last two digits"
            }
            .into(),
            level: "county".into(),
            unit: unit.into(),
            n: 1000,
            first_digit: first,
            observed: (0..len as u64).map(|k| 5 + k % 7).collect(),
            expected,
            mad: 0.0021,
            expected_mad: 0.0012,
            chi2: 130.5,
            p_value: 0.00001,
            flagged,
            not_testable: None,
        }
    }

    fn share(officer: &str, flagged: bool) -> RoundShare {
        RoundShare {
            officer: officer.into(),
            payees: 40,
            round: 12,
            share: 0.3,
            expected: 0.08,
            p_value: 0.0004,
            q_value: 0.002,
            flagged,
            sample: None,
        }
    }

    /// Every tag opened is closed, in order (a well-formed fragment; attributes are not parsed).
    fn balanced(svg: &str) -> bool {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let end = rest.find('>').expect("tag end");
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop().as_deref() != Some(name) {
                    return false;
                }
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("name");
                stack.push(name.to_string());
            }
        }
        stack.is_empty()
    }

    #[test]
    fn escapes_markup_in_svg_text() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("a\u{1}b"), "a\u{fffd}b");
        let evil = "</svg></script><script>alert(1)</script>";
        let b = bars(
            "chart-x",
            "t",
            &[Bar {
                label: evil.into(),
                hint: evil.into(),
                fen: 100,
                detail: evil.into(),
            }],
            "yuan",
            "none",
        );
        assert!(!b.svg.contains("<script"), "{}", b.svg);
        assert!(balanced(&b.svg), "{}", b.svg);
        let r = round_sums("chart-r", "t", &[share(evil, true)], "none");
        assert!(!r.svg.contains("<script") && balanced(&r.svg));
        let d = curve(evil, true, 10, 90);
        let dg = digits("chart-d", "t", &[&d], "Benford", "none");
        assert!(!dg.svg.contains("<script") && balanced(&dg.svg));
    }

    #[test]
    fn money_and_counts_are_grouped() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(123_456_789), "1,234,567.89");
        assert_eq!(money(-100_000), "-1,000.00");
        assert_eq!(money(99_999), "999.99");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(999), "999");
        assert_eq!(count(12_345_678), "12,345,678");
        assert_eq!(p_value(0.00001), "p<0.0001");
        assert_eq!(p_value(0.5), "p=0.5000");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(c(-0.01), "0.0");
    }

    #[test]
    fn bars_scale_to_the_largest_amount() {
        let mk = |l: &str, fen| Bar {
            label: l.into(),
            hint: l.into(),
            fen,
            detail: "2 findings".into(),
        };
        let ch = bars(
            "chart-risk-rule",
            "Money at risk by rule",
            &[
                mk("DUP001", 200_000),
                mk("AMT001", 100_000),
                mk("GHO001", 0),
            ],
            "yuan",
            "no findings",
        );
        assert!(!ch.empty);
        assert!(ch.svg.starts_with(r#"<svg id="chart-risk-rule""#));
        assert!(ch.svg.ends_with("</svg>"));
        assert!(balanced(&ch.svg));
        // 820 - 236 - 250 - 16 = 318 wide for the largest; half for the second; none for 0
        assert!(ch.svg.contains(r#"width="318.0""#), "{}", ch.svg);
        assert!(ch.svg.contains(r#"width="159.0""#), "{}", ch.svg);
        assert!(ch.svg.contains(r#"width="0.0""#), "{}", ch.svg);
        assert!(ch.svg.contains("2,000.00 yuan"));
        assert_eq!(ch.svg.matches("<rect").count(), 3);
    }

    #[test]
    fn empty_charts_keep_their_id_and_say_why() {
        for ch in [
            bars("chart-a", "A", &[], "yuan", "No finding put money at risk."),
            digits("chart-b", "B", &[], "Benford", "No unit tested."),
            round_sums("chart-c", "C", &[], "No unit tested."),
        ] {
            assert!(ch.empty);
            assert!(ch.svg.starts_with(&format!(r#"<svg id="{}""#, ch.id)));
            assert!(ch.svg.contains("No "), "{}", ch.svg);
            assert!(balanced(&ch.svg));
        }
    }

    #[test]
    fn digit_charts_draw_flagged_units_first_and_cap_the_rest() {
        let mut curves: Vec<DigitCurve> = (0..3)
            .map(|i| curve(&format!("F{i}"), true, 10, 90))
            .collect();
        curves.extend((0..70).map(|i| curve(&format!("U{i:02}"), false, 10, 90)));
        let refs: Vec<&DigitCurve> = curves.iter().collect();
        let ch = digits(
            "chart-digits-first",
            "First two digits",
            &refs,
            "Benford",
            "No unit tested.",
        );
        assert!(balanced(&ch.svg));
        // 3 flagged + 50 others: 53 panels of one bar path and one expected line each
        assert_eq!(ch.svg.matches("<polyline").count(), 53);
        assert_eq!(ch.svg.matches(" — flagged").count(), 3);
        assert!(ch.svg.contains("county U49") && !ch.svg.contains("county U50"));
        assert_eq!(
            ch.note.as_deref(),
            Some("73 units, 73 tested, 3 flagged; 53 drawn (flagged first), 20 more not drawn.")
        );
        // the flagged come first: F0 before U00
        assert!(ch.svg.find("county F2").expect("F2") < ch.svg.find("county U00").expect("U00"));
        // 14 rows of 4 panels: 26 + 14 * 176
        assert!(
            ch.svg.contains(r#"viewBox="0 0 1200.0 2490.0""#),
            "{}",
            &ch.svg[..300]
        );
        // last two digits are labelled 00 .. 90
        let last = curve("L", false, 0, 100);
        let ch = digits("chart-digits-last", "Last two", &[&last], "uniform", "none");
        assert!(ch.svg.contains(">00</text>") && ch.svg.contains(">90</text>"));
        assert_eq!(
            ch.note.as_deref(),
            Some("1 units, 1 tested, 0 flagged; all drawn, flagged first.")
        );
    }

    #[test]
    fn digit_bars_are_observed_shares_and_the_line_is_expected() {
        // all amounts on one value: that bar reaches the top of the scale
        let mut d = curve("X", false, 0, 100);
        d.observed = vec![0; 100];
        d.observed[0] = 10;
        let ch = digits("chart-digits-last", "Last two", &[&d], "uniform", "none");
        // one bar only, in the first panel (plot from x 40, y 26 + 46 = 72, 248 by 108): from the baseline
        // (y 180) up to the share 1.0 on a scale to 1.1 (180 - 108 / 1.1 = 81.8), 80% of its 2.48 slot wide,
        // starting 10% into the first slot (x 40.248)
        assert_eq!(ch.svg.matches('Z').count(), 1, "{}", ch.svg);
        assert!(
            ch.svg.contains(r#"<path d="M40.2 180.0h2.0V81.8H40.2Z""#),
            "{}",
            ch.svg
        );
        // the scale tops at 100% (observed 1.0 * 1.1 rounded up to 0.05 steps is 1.1)
        assert!(ch.svg.contains(">110.0%</text>"), "{}", ch.svg);
    }

    #[test]
    fn round_sum_dots_and_expected_ticks() {
        let shares: Vec<RoundShare> = (0..65).map(|i| share(&format!("O{i:02}"), i < 2)).collect();
        let ch = round_sums("chart-round-sums", "Round sums", &shares, "none");
        assert!(balanced(&ch.svg));
        // 60 drawn + 2 in the legend
        assert_eq!(ch.svg.matches("<circle").count(), 62);
        assert_eq!(ch.svg.matches(&format!(r#"fill="{RED}"/>"#)).count(), 3);
        assert!(ch.svg.contains("12/40 = 30.0% vs 8.0%"));
        assert!(ch
            .note
            .as_deref()
            .is_some_and(|n| n.contains("65 officers tested, 2 flagged") && n.contains("5 more")));
        // share 0.3 on a scale to 0.4 (0.3 * 1.05 rounded up to tenths): 180 + 0.75 * 420
        assert!(ch.svg.contains(r#"cx="495.0""#), "{}", ch.svg);
    }

    #[test]
    fn the_same_input_draws_the_same_bytes() {
        let curves: Vec<DigitCurve> = (0..5)
            .map(|i| curve(&i.to_string(), i == 2, 10, 90))
            .collect();
        let refs: Vec<&DigitCurve> = curves.iter().collect();
        let a = digits("d", "t", &refs, "Benford", "none");
        let b = digits("d", "t", &refs, "Benford", "none");
        assert_eq!(a, b);
    }
}
