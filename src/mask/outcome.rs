//! `scan --mask`: the outcome masked in memory, before any writer sees it. Every string a writer may show goes
//! through the field rules of [`Masker::field`] (the same the `mask` command applies to the files), so the
//! reports written from a masked outcome and a masked folder agree.

use super::{mask_name, MaskKey, Masker};
use crate::finding::Str;
use crate::Outcome;
use rayon::prelude::*;

/// Masks every identity number, name, card number, phone and address in `o` under `key`. `names` are more
/// names to look for in text (the officials table's). Case ids, transaction ids, amounts and counts are kept;
/// `summary.masked` says the outcome is masked and names the key.
pub fn mask_outcome(o: &mut Outcome, key: &MaskKey, names: &[&str]) {
    let m = learn(o, key, names);
    mask_with(o, &m);
}

/// The masker of `o`: what its evidence rows and subjects name, its transaction ids, and the names its texts
/// place next to ids.
fn learn(o: &Outcome, key: &MaskKey, names: &[&str]) -> Masker {
    let mut m = Masker::new(key);
    for e in &o.evidence {
        m.add_id(&e.payee_id);
        m.add_id(&e.payee_raw);
        m.add_account(&e.account);
        m.add_name(&e.payee_name);
        m.keep_txn_id(&e.txn_id);
    }
    for n in names {
        m.add_name(n);
    }
    for f in &o.findings {
        m.add_subject(f.subject_kind.as_str(), &f.subject);
        for t in &f.txn_ids {
            m.keep_txn_id(t);
        }
    }
    for c in &o.cases {
        for s in &c.subjects {
            m.add_subjects(s);
        }
    }
    let s = &o.summary;
    for f in &s.floods {
        if let (Some("payee_name"), Some(v)) = (f.column.as_deref(), &f.value) {
            m.add_name(v);
        }
    }
    // names by pattern, in every text (after every id and card is known)
    let mut texts: Vec<&str> = Vec::new();
    texts.extend(o.findings.iter().map(|f| f.explanation.as_str()));
    texts.extend(o.cases.iter().map(|c| c.explanation.as_str()));
    texts.extend(o.findings.iter().map(|f| f.explanation_zh.as_str()));
    texts.extend(o.cases.iter().map(|c| c.explanation_zh.as_str()));
    for f in &s.floods {
        texts.push(&f.message);
        texts.extend(f.exclude.as_deref());
    }
    texts.extend(s.inputs.iter().map(|i| i.path.as_str()));
    texts.extend(s.reference_tables.values().map(|t| t.path.as_str()));
    texts.extend(s.filters.iter().map(|f| f.name.as_str()));
    texts.extend(s.rules_skipped.iter().map(|r| r.reason.as_str()));
    texts.extend(s.quality_gate.reason.as_deref());
    let mut found = Vec::new();
    for t in texts {
        super::text::harvest(&m, t, &mut found);
    }
    for n in found {
        m.add_name(&n);
    }
    m
}

fn mask_with(o: &mut Outcome, m: &Masker) {
    o.findings.par_iter_mut().for_each(|f| {
        f.subject = m.subject(f.subject_kind.as_str(), &f.subject);
        f.case_id = m.case_id(&f.case_id);
        f.explanation = m.text(&f.explanation);
        f.explanation_zh = m.text(&f.explanation_zh);
        for l in &mut f.links {
            *l = m.subjects(l);
        }
    });
    o.cases.par_iter_mut().for_each(|c| {
        for s in &mut c.subjects {
            *s = m.subjects(s);
        }
        c.case_id = m.case_id(&c.case_id);
        c.explanation = m.text(&c.explanation);
        c.explanation_zh = m.text(&c.explanation_zh);
    });
    o.evidence.par_iter_mut().for_each(|e| {
        let region = |s: &Str| Str::from(m.region(s));
        e.payee_id = m.id(&e.payee_id).into();
        e.payee_raw = m.id(&e.payee_raw).into();
        e.payee_name = mask_name(&e.payee_name).into();
        e.account = m.account(&e.account).into();
        e.officer_id = e.officer_id.as_ref().map(|s| Str::from(m.text(s)));
        e.household_id = e.household_id.as_ref().map(|s| Str::from(m.text(s)));
        e.region = region(&e.region);
        e.county = e.county.as_ref().map(region);
        e.township = e.township.as_ref().map(region);
    });
    for h in &mut o.hotspots {
        mask_hotspot(m, h);
    }
    for d in &mut o.exhibits.digits {
        d.unit = m.text(&d.unit);
    }
    for r in &mut o.exhibits.round_sums {
        r.officer = m.text(&r.officer);
    }
    let s = &mut o.summary;
    for i in &mut s.inputs {
        i.path = m.text(&i.path);
    }
    for t in s.reference_tables.values_mut() {
        t.path = m.text(&t.path);
    }
    for f in &mut s.filters {
        f.name = m.text(&f.name);
    }
    for r in &mut s.rules_skipped {
        r.code = m.text(&r.code);
        r.reason = m.text(&r.reason);
    }
    if let Some(r) = &mut s.quality_gate.reason {
        *r = m.text(r);
    }
    for f in &mut s.floods {
        let column = f.column.clone();
        let value = f.value.clone();
        f.message = m.flood_message(column.as_deref(), value.as_deref(), &f.message);
        if let Some(x) = &mut f.exclude {
            *x = m.flood_exclude(column.as_deref(), value.as_deref(), x);
        }
        if let Some(v) = &mut f.value {
            *v = m.flood_value(column.as_deref(), v);
        }
        if let Some(r) = &mut f.rule {
            *r = m.text(r);
        }
    }
    let top = &mut s.hotspots;
    for h in top
        .total
        .iter_mut()
        .chain(&mut top.counties)
        .chain(&mut top.townships)
        .chain(&mut top.villages)
    {
        mask_hotspot(m, h);
    }
    for (phase, _) in &mut s.timing.phases {
        *phase = m.text(phase);
    }
    s.masked = Some(m.info());
}

fn mask_hotspot(m: &Masker, h: &mut crate::hotspot::Hotspot) {
    h.region = m.region(&h.region);
    if let Some(t) = &mut h.township {
        *t = m.region(t);
    }
    if let Some(c) = &mut h.county {
        *c = m.region(c);
    }
}
