//! The terminal report: a summary and the top cases.

use crate::money::fmt_yuan;
use crate::Outcome;
use std::fmt::Write;

/// How many cases the terminal shows.
pub const TOP: usize = 10;

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn render(o: &Outcome) -> String {
    let s = &o.summary;
    let zh = o.lang == crate::lang::Lang::Zh;
    let mut out = String::new();
    if zh {
        let _ = writeln!(
            out,
            "扫描 {} 个文件共 {} 行（数据质量问题 {} 行），用时 {:.2} 秒（每秒 {:.0} 行，{} 线程）",
            s.inputs.len(),
            s.rows_scanned,
            s.rows_with_problems,
            s.timing.wall_seconds,
            s.timing.rows_per_second,
            s.timing.threads
        );
    } else {
        let _ = writeln!(
            out,
            "scanned {} rows of {} files ({} with data-quality problems) in {:.2} s ({:.0} rows/s, {} threads)",
            s.rows_scanned,
            s.inputs.len(),
            s.rows_with_problems,
            s.timing.wall_seconds,
            s.timing.rows_per_second,
            s.timing.threads
        );
    }
    if s.timing.spill_files > 0 {
        let _ = writeln!(
            out,
            "the rule states passed the memory limit ({}): {} spill files written to disk and read back",
            crate::engine::spill::fmt_size(s.timing.memory_limit_bytes),
            s.timing.spill_files
        );
    }
    if s.rows_excluded > 0 {
        let _ = writeln!(
            out,
            "excluded {} rows by the config's filters ([[exclude]]): {}",
            s.rows_excluded,
            s.filters
                .iter()
                .map(|f| format!("\"{}\" {}", f.name, f.rows_excluded))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if s.region_codes_outside_hierarchy > 0 {
        let _ = writeln!(
            out,
            "{} rows have region codes outside the region hierarchy: left out of county and township units (see [locale] region and `check --profile`)",
            s.region_codes_outside_hierarchy
        );
    }
    if let Some(why) = &s.quality_gate.reason {
        if zh {
            let _ = writeln!(out, "数据质量门槛未通过（退出码 3）：{why}");
        } else {
            let _ = writeln!(out, "data-quality gate failed (exit code 3): {why}");
        }
    }
    let kept: Vec<String> = [
        (s.rows_undated, "without a pay date (kept, date unknown)"),
        (s.rows_zero_amount, "with amount 0"),
        (s.rows_negative_amount, "with a negative amount"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if !kept.is_empty() {
        let _ = writeln!(
            out,
            "of the rows scanned: {} (amounts of 0 or below are no payment for any rule)",
            kept.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "{}: {}",
        if zh { "已运行规则" } else { "rules run" },
        if s.rules_run.is_empty() {
            if zh { "无" } else { "none" }.into()
        } else {
            s.rules_run.join(" ")
        }
    );
    for k in &s.rules_skipped {
        if zh {
            let _ = writeln!(out, "未运行规则：{}（{}）", k.code, k.reason);
        } else {
            let _ = writeln!(out, "rule skipped: {} ({})", k.code, k.reason);
        }
    }
    let per_rule: Vec<String> = s
        .findings_per_rule
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if zh {
        let _ = writeln!(
            out,
            "疑点 {} 个（{}），案件 {} 个，移送 {} 个（涉及金额 {} {}）{}",
            s.findings,
            if per_rule.is_empty() {
                "-".into()
            } else {
                per_rule.join("，")
            },
            s.cases,
            s.referrals,
            fmt_yuan(s.referred_amount_at_risk_fen),
            s.currency,
            if s.reviewed_in_baseline > 0 {
                format!("，其中 {} 个已核查（基线）", s.reviewed_in_baseline)
            } else {
                String::new()
            }
        );
    } else {
        let _ = writeln!(
            out,
            "{} findings ({}), {} cases, {} referred ({} {} at risk){}",
            s.findings,
            if per_rule.is_empty() {
                "-".into()
            } else {
                per_rule.join(", ")
            },
            s.cases,
            s.referrals,
            fmt_yuan(s.referred_amount_at_risk_fen),
            s.currency,
            if s.reviewed_in_baseline > 0 {
                format!(", {} already reviewed (baseline)", s.reviewed_in_baseline)
            } else {
                String::new()
            }
        );
    }
    for f in &s.floods {
        let _ = writeln!(out, "{}", crate::flood::terminal_line(f));
    }
    if o.cases.is_empty() {
        return out;
    }
    if zh {
        let _ = writeln!(
            out,
            "\n{:>4}  {:<17}  {:>6}  {:<3}  {:<20}  {:>12}  涉及对象",
            "排名", "案件编号", "评分", "移送", "规则", "涉及金额"
        );
    } else {
        let _ = writeln!(
            out,
            "\n{:>4}  {:<17}  {:>6}  {:<3}  {:<20}  {:>12}  subjects",
            "rank", "case", "score", "ref", "rules", "at risk"
        );
    }
    for c in o.cases.iter().take(TOP) {
        let _ = writeln!(
            out,
            "{:>4}  {:<17}  {:>6.2}  {:<3}  {:<20}  {:>12}  {}",
            c.rank,
            c.case_id,
            c.score,
            match (c.referral, c.reviewed, zh) {
                (true, _, false) => "yes",
                (true, _, true) => "是",
                (false, true, false) => "rev",
                (false, true, true) => "已查",
                (false, false, false) => "no",
                (false, false, true) => "否",
            },
            clip(&c.rules.join(","), 20),
            fmt_yuan(c.amount_at_risk_fen),
            clip(&c.subjects.join("; "), 70)
        );
    }
    if o.cases.len() > TOP {
        if zh {
            let _ = writeln!(out, "… 另有 {} 个案件见 cases.csv", o.cases.len() - TOP);
        } else {
            let _ = writeln!(out, "… {} more cases in cases.csv", o.cases.len() - TOP);
        }
    }
    hotspots(&mut out, &o.summary.hotspots, o.lang);
    out
}

/// How many regions the terminal shows.
pub const TOP_REGIONS: usize = 5;

/// The regions with the most money at risk, at the highest level the hierarchy gives (counties, else
/// townships, else villages), each with its payees, findings, referrals and top rules.
fn hotspots(out: &mut String, h: &crate::hotspot::Top, lang: crate::lang::Lang) {
    let (level, rows, n) = [
        ("county", &h.counties, h.regions[0]),
        ("township", &h.townships, h.regions[1]),
        ("village", &h.villages, h.regions[2]),
    ]
    .into_iter()
    .find(|(_, r, _)| !r.is_empty())
    .unwrap_or(("village", &h.villages, 0));
    let rows: Vec<_> = rows
        .iter()
        .filter(|r| r.findings > 0)
        .take(TOP_REGIONS)
        .collect();
    if rows.is_empty() {
        return;
    }
    if lang == crate::lang::Lang::Zh {
        let _ = writeln!(
            out,
            "\n{:<20}  {:>9}  {:>8}  {:>9}  {:>12}  {:>10}  主要规则",
            format!("{}（共 {n} 个）", lang.label(level)),
            "领取人数",
            "疑点",
            "移送",
            "涉及金额",
            "每万人"
        );
    } else {
        let _ = writeln!(
            out,
            "\n{:<20}  {:>9}  {:>8}  {:>9}  {:>12}  {:>10}  top rules",
            format!("{level} (of {n})"),
            "payees",
            "findings",
            "referrals",
            "at risk",
            "per 10k"
        );
    }
    for r in rows {
        let _ = writeln!(
            out,
            "{:<20}  {:>9}  {:>8}  {:>9}  {:>12}  {:>10.2}  {}",
            clip(&r.region, 20),
            r.payees,
            r.findings,
            r.referrals,
            fmt_yuan(r.amount_at_risk_fen),
            r.findings_per_10k_payees,
            r.top_rules
                .iter()
                .map(|t| format!("{} {}", t.rule, t.findings))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(out, "{}", lang.label("every region"));
}
