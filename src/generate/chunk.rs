//! One chunk of the synthetic ledger: a county of villages with their officials, households, enrolled payees and
//! a year of payments, then clean noise (reversals, returns), then the planted anomalies. A chunk depends only on
//! `(seed, chunk index)` and its row range, so chunks are generated in parallel and the output does not depend on
//! the number of threads.

#![allow(clippy::many_single_char_names, clippy::match_same_arms)]

use super::names::{group, group_of, CARD_PREFIXES, GIVEN, PROVINCES, ROLES, SURNAMES};
use super::KINDS;
use crate::ident::{id_check_char, luhn_check_digit};
use crate::scheme::Scheme;
use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// The year every generated period falls in.
pub const YEAR: i32 = 2024;

/// Scheme indices (order of [`SCHEME_CODES`]).
pub const FARMLAND: u8 = 0;
pub const ECO_FOREST: u8 = 1;
pub const ELDERLY: u8 = 2;
pub const DIBAO: u8 = 3;
pub const TEKUN: u8 = 4;
pub const SCHEME_CODES: [&str; 5] = ["FARMLAND", "ECO_FOREST", "ELDERLY", "DIBAO", "TEKUN"];

pub const PAID: u8 = 0;
pub const RETURNED: u8 = 1;
pub const REVERSED: u8 = 2;
pub const STATUS: [&str; 3] = ["PAID", "RETURNED", "REVERSED"];

/// Kind indices in [`KINDS`].
const K_DUPLICATE: usize = 0;
const K_MANY_ACCOUNTS: usize = 1;
const K_CROSS_REGION: usize = 2;
const K_SHARED: usize = 3;
const K_FUZZY: usize = 4;
const K_INVALID: usize = 5;
const K_DECEASED: usize = 6;
const K_GHOST: usize = 7;
const K_AGE: usize = 8;
const K_OFFICIAL: usize = 9;
const K_ROUND: usize = 10;
const K_SKIM: usize = 11;
const K_INFLATION: usize = 12;
const K_SPLIT: usize = 13;

/// The periods of a scheme in [`YEAR`]: period code (0 year, 1-12 month, 21-24 quarter) and pay month.
pub fn periods(scheme: u8) -> &'static [(u8, u32)] {
    match scheme {
        FARMLAND => &[(0, 4)],
        ECO_FOREST => &[(0, 6)],
        TEKUN => &[(21, 2), (22, 5), (23, 8), (24, 11)],
        _ => &[
            (1, 1),
            (2, 2),
            (3, 3),
            (4, 4),
            (5, 5),
            (6, 6),
            (7, 7),
            (8, 8),
            (9, 9),
            (10, 10),
            (11, 11),
            (12, 12),
        ],
    }
}

/// The text of a period code.
pub fn period_text(code: u8) -> String {
    match code {
        0 => format!("{YEAR}"),
        21..=24 => format!("{YEAR}-Q{}", code - 20),
        m => format!("{YEAR}-{m:02}"),
    }
}

pub struct Village {
    pub code: String,
    /// The officer (person index) who pays each scheme in this village.
    pub officer: [u32; 5],
    seq: u32,
}

pub struct Person {
    pub id: String,
    pub name: String,
    pub household: String,
    pub village: u32,
    pub birth: NaiveDate,
    pub account: Option<u32>,
    pub death: Option<NaiveDate>,
    protected: bool,
    enrolled: u8,
}

pub struct Official {
    pub person: u32,
    pub role: Option<&'static str>,
    pub relative_of: Option<u32>,
    pub with_account: bool,
}

#[derive(Clone)]
pub struct Row {
    pub person: u32,
    pub village: u32,
    pub account: u32,
    pub officer: u32,
    pub amount: i64,
    /// Hundredths of a unit (Decimal(12,2)).
    pub quantity: Option<i64>,
    pub pay_date: NaiveDate,
    pub scheme: u8,
    pub period: u8,
    pub status: u8,
    pub deleted: bool,
    /// 0 = clean; else 1 + index into `tags`.
    pub tag: u32,
}

struct Enroll {
    person: u32,
    scheme: u8,
    rows: Vec<usize>,
    protected: bool,
}

pub struct Tag {
    pub kind: usize,
    pub subject: String,
    pub detail: String,
}

/// Everything one chunk produced, ready to be turned into record batches.
pub struct Chunk {
    pub persons: Vec<Person>,
    pub villages: Vec<Village>,
    pub accounts: Vec<String>,
    pub rows: Vec<Row>,
    /// (person, scheme)
    pub registry: Vec<(u32, u8)>,
    /// (id, death date)
    pub deaths: Vec<(String, NaiveDate)>,
    pub officials: Vec<Official>,
    pub tags: Vec<Tag>,
    /// Per kind: planted payments and subjects.
    pub planted: Vec<(u64, u64)>,
    enrolls: Vec<Enroll>,
    county: String,
    index: u64,
    rng: ChaCha8Rng,
    used_ids: HashSet<(NaiveDate, u16)>,
    used_names: HashSet<(NaiveDate, u64)>,
    cards: u64,
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
}

/// A seed for chunk `index` of a run seeded `seed` (splitmix64 of both).
fn chunk_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Chunk {
    /// Generates chunk `index` holding exactly `rows` ledger rows; `targets` are the planted payments wanted per
    /// kind.
    pub fn generate(
        seed: u64,
        index: u64,
        rows: usize,
        targets: &[u64],
        schemes: &[Scheme; 5],
    ) -> Chunk {
        let c = index as usize;
        let county = format!(
            "{:02}{:02}{:02}",
            PROVINCES[c % PROVINCES.len()],
            1 + (c / PROVINCES.len()) % 20,
            1 + (c / (PROVINCES.len() * 20)) % 20
        );
        let mut ch = Chunk {
            persons: Vec::new(),
            villages: Vec::new(),
            accounts: Vec::new(),
            rows: Vec::with_capacity(rows + rows / 50 + 16),
            registry: Vec::new(),
            deaths: Vec::new(),
            officials: Vec::new(),
            tags: Vec::new(),
            planted: vec![(0, 0); KINDS.len()],
            enrolls: Vec::new(),
            county,
            index,
            rng: ChaCha8Rng::seed_from_u64(chunk_seed(seed, index)),
            used_ids: HashSet::new(),
            used_names: HashSet::new(),
            cards: 0,
        };
        let additive: u64 = [
            K_DUPLICATE,
            K_MANY_ACCOUNTS,
            K_CROSS_REGION,
            K_INVALID,
            K_GHOST,
            K_AGE,
            K_OFFICIAL,
            K_SPLIT,
        ]
        .iter()
        .map(|k| targets[*k])
        .sum::<u64>()
            + targets[K_FUZZY] / 2;
        let clean_target = rows.saturating_sub(additive as usize);
        while ch.rows.len() < clean_target || ch.villages.len() < 2 {
            ch.village(schemes, clean_target);
        }
        ch.noise(schemes);
        ch.plant(targets, schemes);
        ch.fit(rows, schemes);
        ch.rows.retain(|r| !r.deleted);
        ch.rows
            .sort_by_key(|r| (r.pay_date, r.village, r.scheme, r.person));
        ch
    }

    // ---------------------------------------------------------------- people, cards, names

    fn card(&mut self) -> u32 {
        self.cards += 1;
        let n = self.cards;
        let prefix = CARD_PREFIXES[self.rng.random_range(0..CARD_PREFIXES.len())];
        // a bijective scramble of the counter keeps cards unique while not looking sequential
        let body = if n < 100_000 && self.rng.random_bool(0.4) {
            format!(
                "{prefix}{:04}{:05}",
                self.index % 10_000,
                (n * 7919) % 100_000
            )
        } else {
            format!(
                "{prefix}{:05}{:07}",
                self.index % 100_000,
                (n * 7919) % 10_000_000
            )
        };
        let check = luhn_check_digit(body.as_bytes()).unwrap_or(b'0');
        let mut card = body;
        card.push(check as char);
        self.accounts.push(card);
        (self.accounts.len() - 1) as u32
    }

    fn id_for(&mut self, birth: NaiveDate, male: bool) -> String {
        loop {
            let seq = self.rng.random_range(0..500u16) * 2 + u16::from(male);
            if self.used_ids.insert((birth, seq)) {
                return id_with(&self.county, &birth.format("%Y%m%d").to_string(), seq, true);
            }
        }
    }

    fn name(&mut self, birth: NaiveDate, male: bool) -> String {
        loop {
            // common surnames more often: square a uniform draw
            let u: f64 = self.rng.random();
            let s = ((u * u) * SURNAMES.len() as f64) as usize;
            let sur = group(SURNAMES, s);
            let mut name = String::new();
            name.push(sur[usize::from(self.rng.random_bool(0.1)) % sur.len()]);
            let mut key = s as u64;
            let n = if self.rng.random_bool(0.7) { 2 } else { 1 };
            for i in 0..n {
                let base = if male { 0 } else { GIVEN.len() / 2 };
                let g = (base + self.rng.random_range(0..GIVEN.len() * 2 / 3)) % GIVEN.len();
                let chars = group(GIVEN, g);
                name.push(chars[self.rng.random_range(0..chars.len())]);
                key += (g as u64 + 1) << (8 * (i + 1));
            }
            if self.used_names.insert((birth, key)) {
                return name;
            }
        }
    }

    fn birth(&mut self, from: i32, to: i32) -> NaiveDate {
        let a = d(from, 1, 1);
        let days = (d(to, 12, 31) - a).num_days();
        a + Duration::days(self.rng.random_range(0..=days))
    }

    fn person(&mut self, village: u32, household: &str, birth: NaiveDate, male: bool) -> u32 {
        let id = self.id_for(birth, male);
        let name = self.name(birth, male);
        self.persons.push(Person {
            id,
            name,
            household: household.to_string(),
            village,
            birth,
            account: None,
            death: None,
            protected: false,
            enrolled: 0,
        });
        (self.persons.len() - 1) as u32
    }

    fn household_id(&mut self, village: u32) -> String {
        let v = &mut self.villages[village as usize];
        v.seq += 1;
        format!("{}{:04}", v.code, v.seq)
    }

    fn account_of(&mut self, p: u32) -> u32 {
        if let Some(a) = self.persons[p as usize].account {
            return a;
        }
        let a = self.card();
        self.persons[p as usize].account = Some(a);
        a
    }

    // ---------------------------------------------------------------- clean population and payments

    fn village(&mut self, schemes: &[Scheme; 5], budget: usize) {
        let v = self.villages.len() as u32;
        let code = format!("{}{:03}{:03}", self.county, 1 + v / 15, 1 + v % 15);
        self.villages.push(Village {
            code,
            officer: [0; 5],
            seq: 0,
        });
        let n_off = self.rng.random_range(2..=4);
        let mut officers = Vec::new();
        for i in 0..n_off {
            let hh = self.household_id(v);
            let male = self.rng.random_bool(0.75);
            let b = self.birth(1960, 1990);
            let p = self.person(v, &hh, b, male);
            self.account_of(p);
            self.officials.push(Official {
                person: p,
                role: Some(ROLES[i % ROLES.len()]),
                relative_of: None,
                with_account: true,
            });
            officers.push(p);
            for _ in 0..self.rng.random_range(0..=2) {
                let rh = if self.rng.random_bool(0.5) {
                    hh.clone()
                } else {
                    self.household_id(v)
                };
                let b = self.birth(1950, 2000);
                let male = self.rng.random_bool(0.5);
                let r = self.person(v, &rh, b, male);
                let with_account = self.rng.random_bool(0.5);
                if with_account {
                    self.account_of(r);
                }
                self.officials.push(Official {
                    person: r,
                    role: None,
                    relative_of: Some(p),
                    with_account,
                });
            }
        }
        for s in 0..5 {
            self.villages[v as usize].officer[s] =
                officers[self.rng.random_range(0..officers.len())];
        }
        // people in the civil death register who were never paid
        for _ in 0..self.rng.random_range(1..=3) {
            let b = self.birth(1925, 1960);
            let male = self.rng.random_bool(0.5);
            let id = self.id_for(b, male);
            let dd = self.birth(2021, 2024);
            self.deaths.push((id, dd));
        }
        let households = self.rng.random_range(20..60);
        for _ in 0..households {
            if self.rows.len() >= budget && self.villages.len() >= 2 {
                break;
            }
            self.household(v, schemes);
        }
    }

    fn household(&mut self, v: u32, schemes: &[Scheme; 5]) {
        let hh = self.household_id(v);
        let male = self.rng.random_bool(0.85);
        let hb = self.birth(1939, 1994);
        let head = self.person(v, &hh, hb, male);
        let mut members = 1i64;
        let mut spouse = None;
        if self.rng.random_bool(0.8) {
            let sy = (hb.year() + self.rng.random_range(-3..=5)).clamp(1936, 1996);
            let b = self.birth(sy, sy);
            spouse = Some(self.person(v, &hh, b, !male));
            members += 1;
        }
        let mut elders = Vec::new();
        let n_par = if hb.year() < 1960 {
            0
        } else {
            [0, 0, 1, 1, 2][self.rng.random_range(0..5)]
        };
        for _ in 0..n_par {
            let b = self.birth(1920, 1943);
            let m = self.rng.random_bool(0.4);
            elders.push(self.person(v, &hh, b, m));
            members += 1;
        }
        members += self.rng.random_range(0..=3);
        members = members.min(7);
        // the head's card may be shared with the spouse (same household)
        if let Some(sp) = spouse {
            if self.rng.random_bool(0.3)
                && self.persons[sp as usize].name.chars().next()
                    != self.persons[head as usize].name.chars().next()
            {
                let a = self.account_of(head);
                self.persons[sp as usize].account = Some(a);
            }
        }
        let elderly_cut = d(YEAR - 81, 12, 31);
        let mut old: Vec<u32> = elders.clone();
        for p in [Some(head), spouse].into_iter().flatten() {
            if self.persons[p as usize].birth <= elderly_cut {
                old.push(p);
            }
        }
        // a few elderly payees die during the year: their payments stop (clean)
        for &p in &old {
            if self.rng.random_bool(0.02) {
                let dd = self.birth(YEAR, YEAR);
                self.persons[p as usize].death = Some(dd);
                self.persons[p as usize].protected = true;
                let id = self.persons[p as usize].id.clone();
                self.deaths.push((id, dd));
            }
        }
        if self.rng.random_bool(0.6) {
            let q = loop {
                let q = if self.rng.random_bool(0.9) {
                    self.rng.random_range(100..=3000)
                } else {
                    self.rng.random_range(4500..=10000)
                };
                if schemes[0]
                    .due_fen(Some(q * 100), None)
                    .is_some_and(|x| x % 10_000 != 0)
                {
                    break q;
                }
            };
            self.enroll(head, FARMLAND, Some(q), schemes);
        }
        if self.rng.random_bool(0.12) {
            let q = loop {
                let q = self.rng.random_range(500..=20000);
                if schemes[1]
                    .due_fen(Some(q * 100), None)
                    .is_some_and(|x| x % 10_000 != 0)
                {
                    break q;
                }
            };
            self.enroll(head, ECO_FOREST, Some(q), schemes);
        }
        if self.rng.random_bool(0.07) {
            self.enroll(head, DIBAO, Some(members * 100), schemes);
        }
        if self.rng.random_bool(0.03) {
            self.enroll(head, TEKUN, None, schemes);
        }
        for p in old {
            if self.rng.random_bool(0.95) {
                self.enroll(p, ELDERLY, None, schemes);
            }
        }
    }

    /// Pay date of a scheme's period in a village: the village pays each scheme on a fixed day of the month.
    fn pay_date(&self, v: u32, scheme: u8, month: u32) -> NaiveDate {
        let h = (u64::from(v) * 31 + u64::from(scheme) * 7 + self.index) % 20;
        d(YEAR, month, 5 + h as u32)
    }

    fn due(
        &self,
        p: u32,
        scheme: u8,
        quantity: Option<i64>,
        on: NaiveDate,
        schemes: &[Scheme; 5],
    ) -> Option<i64> {
        let age = crate::ident::age_on(self.persons[p as usize].birth, on);
        schemes[scheme as usize].due_fen(quantity.map(|q| q * 100), Some(age))
    }

    /// Registers and pays a person for every period of a scheme (stopping at death).
    fn enroll(
        &mut self,
        p: u32,
        scheme: u8,
        quantity: Option<i64>,
        schemes: &[Scheme; 5],
    ) -> usize {
        let v = self.persons[p as usize].village;
        let account = self.account_of(p);
        self.registry.push((p, scheme));
        self.persons[p as usize].enrolled += 1;
        let mut rows = Vec::new();
        for &(period, month) in periods(scheme) {
            let date = self.pay_date(v, scheme, month);
            if self.persons[p as usize].death.is_some_and(|dd| date >= dd) {
                break;
            }
            let amount = self.due(p, scheme, quantity, date, schemes).unwrap_or(0);
            rows.push(self.rows.len());
            self.rows.push(Row {
                person: p,
                village: v,
                account,
                officer: self.villages[v as usize].officer[scheme as usize],
                amount,
                quantity,
                pay_date: date,
                scheme,
                period,
                status: PAID,
                deleted: false,
                tag: 0,
            });
        }
        self.enrolls.push(Enroll {
            person: p,
            scheme,
            rows,
            protected: false,
        });
        self.enrolls.len() - 1
    }

    /// Clean noise: reversed payments re-issued, returned payments (some re-issued).
    fn noise(&mut self, schemes: &[Scheme; 5]) {
        let n = self.rows.len();
        let reversals =
            n / 500 + usize::from(self.rng.random_bool(((n % 500) as f64 / 500.0).min(1.0)));
        let returns =
            n / 1000 + usize::from(self.rng.random_bool(((n % 1000) as f64 / 1000.0).min(1.0)));
        for i in 0..reversals + returns {
            let Some(e) = self.pick(|_, _| true) else {
                return;
            };
            self.enrolls[e].protected = true;
            let rows = self.enrolls[e].rows.clone();
            if rows.is_empty() {
                continue;
            }
            let r = rows[self.rng.random_range(0..rows.len())];
            let reversed = i < reversals;
            self.rows[r].status = if reversed { REVERSED } else { RETURNED };
            if reversed || self.rng.random_bool(0.6) {
                let mut again = self.rows[r].clone();
                again.status = PAID;
                again.pay_date += Duration::days(self.rng.random_range(3..=20));
                again.amount = self
                    .due(
                        again.person,
                        again.scheme,
                        again.quantity,
                        again.pay_date,
                        schemes,
                    )
                    .unwrap_or(again.amount);
                self.rows.push(again);
            }
        }
    }

    /// A random unprotected enrollment satisfying `ok`, whose person is unprotected too; marks nothing.
    fn pick(&mut self, ok: impl Fn(&Chunk, &Enroll) -> bool) -> Option<usize> {
        if self.enrolls.is_empty() {
            return None;
        }
        for _ in 0..200 {
            let e = self.rng.random_range(0..self.enrolls.len());
            let en = &self.enrolls[e];
            if !en.protected
                && !self.persons[en.person as usize].protected
                && !en.rows.is_empty()
                && ok(self, en)
            {
                return Some(e);
            }
        }
        None
    }

    fn protect(&mut self, e: usize) {
        self.enrolls[e].protected = true;
        let p = self.enrolls[e].person as usize;
        self.persons[p].protected = true;
    }

    // ---------------------------------------------------------------- planted anomalies

    #[allow(clippy::needless_range_loop)]
    fn plant(&mut self, targets: &[u64], schemes: &[Scheme; 5]) {
        for kind in 0..KINDS.len() {
            let mut fails = 0;
            while self.planted[kind].0 < targets[kind] && fails < 20 {
                let tags_before = self.tags.len();
                let n = self.plant_one(kind, schemes);
                if n == 0 {
                    self.tags.truncate(tags_before);
                    fails += 1;
                } else {
                    self.planted[kind].0 += n;
                    self.planted[kind].1 += 1;
                }
            }
        }
    }

    fn tag(&mut self, kind: usize, subject: String, detail: String) -> u32 {
        self.tags.push(Tag {
            kind,
            subject,
            detail,
        });
        self.tags.len() as u32
    }

    fn paid_rows(&self, e: usize) -> Vec<usize> {
        self.enrolls[e]
            .rows
            .iter()
            .copied()
            .filter(|&r| self.rows[r].status == PAID && !self.rows[r].deleted)
            .collect()
    }

    #[allow(clippy::unused_self)]
    fn split_band(&self, r: &Row, schemes: &[Scheme; 5]) -> bool {
        schemes[r.scheme as usize]
            .approval_threshold_fen
            .is_some_and(|t| r.amount * 5 >= t * 4)
    }

    /// Plants one subject of `kind`; returns its truth payments (0 when no candidate was found).
    fn plant_one(&mut self, kind: usize, schemes: &[Scheme; 5]) -> u64 {
        match kind {
            K_DUPLICATE | K_MANY_ACCOUNTS | K_CROSS_REGION => {
                let Some(e) = self.pick(|_, _| true) else {
                    return 0;
                };
                self.protect(e);
                let rows = self.paid_rows(e);
                let r = rows[self.rng.random_range(0..rows.len())];
                let mut again = self.rows[r].clone();
                let p = again.person as usize;
                let detail;
                match kind {
                    K_DUPLICATE => {
                        again.pay_date += Duration::days(self.rng.random_range(1..=25));
                        detail = format!(
                            "{} {} paid twice",
                            SCHEME_CODES[again.scheme as usize],
                            period_text(again.period)
                        );
                    }
                    K_MANY_ACCOUNTS => {
                        again.account = self.card();
                        again.pay_date += Duration::days(self.rng.random_range(0..=25));
                        detail =
                            format!("second account {}", self.accounts[again.account as usize]);
                    }
                    _ => {
                        let n = self.villages.len() as u32;
                        let mut ov = self.rng.random_range(0..n - 1);
                        if ov >= again.village {
                            ov += 1;
                        }
                        again.village = ov;
                        again.officer = self.villages[ov as usize].officer[again.scheme as usize];
                        again.pay_date += Duration::days(self.rng.random_range(1..=25));
                        detail = format!("also paid by {}", self.villages[ov as usize].code);
                    }
                }
                let t = self.tag(kind, self.persons[p].id.clone(), detail);
                self.rows[r].tag = t;
                again.tag = t;
                self.rows.push(again);
                2
            }
            K_SHARED => {
                let card = self.card();
                let k = self.rng.random_range(3..=4);
                let mut households = HashSet::new();
                let mut chosen = Vec::new();
                for _ in 0..k {
                    let Some(e) = self.pick(|c, en| {
                        !households.contains(&c.persons[en.person as usize].household)
                            && en.rows.iter().all(|&r| !c.split_band(&c.rows[r], schemes))
                    }) else {
                        break;
                    };
                    self.protect(e);
                    households.insert(
                        self.persons[self.enrolls[e].person as usize]
                            .household
                            .clone(),
                    );
                    chosen.push(e);
                }
                if chosen.len() < 3 {
                    return 0;
                }
                let t = self.tag(
                    kind,
                    self.accounts[card as usize].clone(),
                    format!("{} payees of {} households", chosen.len(), chosen.len()),
                );
                let mut n = 0;
                for e in chosen {
                    for r in self.enrolls[e].rows.clone() {
                        self.rows[r].account = card;
                        self.rows[r].tag = t;
                        n += 1;
                    }
                }
                n
            }
            K_FUZZY => self.plant_fuzzy(schemes),
            K_INVALID | K_GHOST | K_AGE => self.plant_new_payee(kind, schemes),
            K_DECEASED => {
                let Some(e) = self.pick(|c, en| {
                    (en.scheme == ELDERLY && en.rows.len() == 12)
                        || (en.scheme == FARMLAND && c.persons[en.person as usize].death.is_none())
                }) else {
                    return 0;
                };
                self.protect(e);
                let rows = self.enrolls[e].rows.clone();
                let p = self.enrolls[e].person as usize;
                let first = self.rows[rows[0]].pay_date;
                let death = if rows.len() == 1 {
                    self.birth(YEAR - 1, YEAR - 1)
                        .min(first - Duration::days(61))
                } else {
                    let m = self.rng.random_range(1..=8usize);
                    self.rows[rows[m]].pay_date - Duration::days(self.rng.random_range(1..=20))
                };
                self.persons[p].death = Some(death);
                self.deaths.push((self.persons[p].id.clone(), death));
                let t = self.tag(kind, self.persons[p].id.clone(), format!("died {death}"));
                let mut n = 0;
                for r in rows {
                    let pd = self.rows[r].pay_date;
                    if pd > death + Duration::days(60) {
                        self.rows[r].tag = t;
                        n += 1;
                    } else if pd > death {
                        self.rows[r].deleted = true;
                    }
                }
                // the person's other schemes go on paying too: those payments are posthumous as well
                let after = death + Duration::days(60);
                for row in &mut self.rows {
                    if row.person as usize == p
                        && row.tag == 0
                        && !row.deleted
                        && row.status == PAID
                        && row.pay_date > after
                    {
                        row.tag = t;
                        n += 1;
                    }
                }
                n
            }
            K_OFFICIAL => self.plant_official(schemes),
            K_ROUND => self.plant_round(schemes),
            K_SKIM | K_INFLATION => {
                let Some(e) =
                    self.pick(|c, en| en.scheme != ELDERLY || c.rows[en.rows[0]].amount > 0)
                else {
                    return 0;
                };
                self.protect(e);
                let rows = self.paid_rows(e);
                let from = self.rng.random_range(0..rows.len());
                let p = self.enrolls[e].person as usize;
                let t = self.tag(kind, self.persons[p].id.clone(), String::new());
                let mut n = 0;
                for &r in &rows[from..] {
                    let due = self.rows[r].amount;
                    let s = &schemes[self.rows[r].scheme as usize];
                    let mut amt = if kind == K_SKIM {
                        due - (due * self.rng.random_range(5..=40) / 100).max(1)
                    } else {
                        let up = due + (due * self.rng.random_range(10..=60) / 100).max(1);
                        if self.rng.random_bool(0.3) {
                            s.max_amount_fen
                                .map_or(up, |m| m + self.rng.random_range(1..=50_000))
                        } else {
                            up
                        }
                    };
                    if amt % 10_000 == 0 {
                        amt -= 37;
                    }
                    if let Some(th) = s.approval_threshold_fen {
                        if amt * 5 >= th * 4 && amt < th {
                            amt = if kind == K_SKIM {
                                th * 4 / 5 - 113
                            } else {
                                th + 113
                            };
                        }
                    }
                    if amt <= 0 || amt == due || (kind == K_SKIM && amt > due) {
                        continue;
                    }
                    self.rows[r].amount = amt;
                    self.rows[r].tag = t;
                    n += 1;
                }
                let s0 = self.rows[rows[from]].scheme as usize;
                self.tags[t as usize - 1].detail = format!(
                    "{} paid {} due",
                    SCHEME_CODES[s0],
                    if kind == K_SKIM { "below" } else { "above" }
                );
                n
            }
            K_SPLIT => {
                let Some(e) = self.pick(|_, en| en.scheme == FARMLAND) else {
                    return 0;
                };
                self.protect(e);
                let r = self.enrolls[e].rows[0];
                let th = schemes[0].approval_threshold_fen.unwrap_or(500_000);
                let mut parts = Vec::new();
                while parts.len() < 2 {
                    let q = self.rng.random_range(3400..=4230);
                    let a = schemes[0].due_fen(Some(q * 100), None).unwrap_or(0);
                    if a * 5 >= th * 4 && a < th && a % 10_000 != 0 {
                        parts.push((q, a));
                    }
                }
                if parts[0].1 + parts[1].1 < th {
                    return 0;
                }
                let p = self.rows[r].person as usize;
                let t = self.tag(
                    kind,
                    self.accounts[self.rows[r].account as usize].clone(),
                    format!("{} parts on {}", parts.len(), self.rows[r].pay_date),
                );
                let mut again = self.rows[r].clone();
                self.rows[r].quantity = Some(parts[0].0);
                self.rows[r].amount = parts[0].1;
                self.rows[r].tag = t;
                again.quantity = Some(parts[1].0);
                again.amount = parts[1].1;
                again.tag = t;
                self.rows.push(again);
                let _ = p;
                2
            }
            _ => 0,
        }
    }

    /// A new payee, paid for one scheme: an invalid id (registered), a ghost (not registered) or an ELDERLY
    /// payee younger than 80 (registered).
    fn plant_new_payee(&mut self, kind: usize, schemes: &[Scheme; 5]) -> u64 {
        let v = self.rng.random_range(0..self.villages.len()) as u32;
        let hh = self.household_id(v);
        let male = self.rng.random_bool(0.5);
        let (birth, scheme, quantity) = match kind {
            K_AGE => (self.birth(1946, 1954), ELDERLY, None),
            K_GHOST if self.rng.random_bool(0.5) => (self.birth(1925, 1940), ELDERLY, None),
            _ => {
                let q = self.rng.random_range(150..=2500);
                if self.rng.random_bool(0.5) {
                    (self.birth(1950, 1985), FARMLAND, Some(q))
                } else {
                    (self.birth(1950, 1985), TEKUN, None)
                }
            }
        };
        let p = self.person(v, &hh, birth, male);
        self.persons[p as usize].protected = true;
        if kind == K_INVALID {
            let id = self.persons[p as usize].id.clone();
            self.persons[p as usize].id = if self.rng.random_bool(0.5) {
                // wrong check character
                let c = id.as_bytes()[17];
                let wrong = b"0123456789X"
                    .iter()
                    .copied()
                    .filter(|x| *x != c)
                    .nth(self.rng.random_range(0..10))
                    .unwrap_or(b'0');
                format!("{}{}", &id[..17], wrong as char)
            } else {
                // impossible birth date, right check character
                let bad = ["0230", "0231", "0431", "0631", "1131", "1332", "0010"]
                    [self.rng.random_range(0..7)];
                id_with(
                    &self.county,
                    &format!("{}{bad}", birth.year()),
                    self.rng.random_range(0..500u16) * 2 + u16::from(male),
                    true,
                )
            };
        }
        let e = self.enroll(p, scheme, quantity, schemes);
        self.enrolls[e].protected = true;
        if kind == K_GHOST {
            self.registry.pop();
        }
        let months = self.rng.random_range(3..=12usize);
        let rows = self.enrolls[e].rows.clone();
        let keep = if rows.len() > months {
            rows.len() - months
        } else {
            0
        };
        for &r in &rows[..keep] {
            self.rows[r].deleted = true;
        }
        let detail = match kind {
            K_AGE => format!("born {birth}, ELDERLY min_age 80"),
            K_GHOST => "not in registry".into(),
            _ => "invalid resident id".into(),
        };
        let t = self.tag(kind, self.persons[p as usize].id.clone(), detail);
        let mut n = 0;
        for &r in &rows[keep..] {
            if kind == K_AGE {
                self.rows[r].amount = schemes[2].bands.first().map_or(10_000, |b| b.amount_fen);
            }
            self.rows[r].tag = t;
            n += 1;
        }
        n
    }

    fn plant_fuzzy(&mut self, schemes: &[Scheme; 5]) -> u64 {
        let Some(e) = self.pick(|c, en| {
            let name = &c.persons[en.person as usize].name;
            name.chars()
                .any(|ch| group_of(GIVEN, ch).is_some_and(|g| GIVEN[g].chars().count() > 1))
                && c.persons[en.person as usize].enrolled == 1
        }) else {
            return 0;
        };
        self.protect(e);
        let p = self.enrolls[e].person;
        let orig = &self.persons[p as usize];
        let (birth, name0, v0) = (orig.birth, orig.name.clone(), orig.village);
        // a homophone variant: change one or two characters within their pinyin groups
        let mut chars: Vec<char> = name0.chars().collect();
        let mut changed = false;
        for (i, ch) in chars.clone().iter().enumerate() {
            let table = if i == 0 { SURNAMES } else { GIVEN };
            if let Some(g) = group_of(table, *ch) {
                let alts: Vec<char> = table[g].chars().filter(|x| x != ch).collect();
                if !alts.is_empty()
                    && (!changed || self.rng.random_bool(0.3))
                    && (i > 0 || self.rng.random_bool(0.4))
                {
                    chars[i] = alts[self.rng.random_range(0..alts.len())];
                    changed = true;
                }
            }
        }
        if !changed {
            return 0;
        }
        let v = if self.rng.random_bool(0.7) && self.villages.len() > 1 {
            let o = self.rng.random_range(0..self.villages.len() as u32 - 1);
            if o >= v0 {
                o + 1
            } else {
                o
            }
        } else {
            v0
        };
        let hh = self.household_id(v);
        let male = self.persons[p as usize].id.as_bytes()[16] % 2 == 1;
        let id = self.id_for(birth, male);
        self.persons.push(Person {
            id,
            name: chars.into_iter().collect(),
            household: hh,
            village: v,
            birth,
            account: None,
            death: None,
            protected: true,
            enrolled: 0,
        });
        let q = (self.persons.len() - 1) as u32;
        let scheme = self.enrolls[e].scheme;
        let quantity = self.rows[self.enrolls[e].rows[0]].quantity;
        let e2 = self.enroll(q, scheme, quantity, schemes);
        self.enrolls[e2].protected = true;
        let mut ids = [
            self.persons[p as usize].id.clone(),
            self.persons[q as usize].id.clone(),
        ];
        ids.sort();
        let detail = format!(
            "{} / {}",
            self.persons[p as usize].name, self.persons[q as usize].name
        );
        let t = self.tag(K_FUZZY, ids.join("|"), detail);
        let mut n = 0;
        for r in self.enrolls[e]
            .rows
            .clone()
            .into_iter()
            .chain(self.enrolls[e2].rows.clone())
        {
            self.rows[r].tag = t;
            n += 1;
        }
        n
    }

    fn plant_official(&mut self, schemes: &[Scheme; 5]) -> u64 {
        let o = self.rng.random_range(0..self.officials.len());
        let official = self.officials[o].person;
        let variant = self.rng.random_range(0..3);
        if variant != 1 {
            if self.persons[official as usize].protected {
                return 0;
            }
            self.persons[official as usize].protected = true;
        }
        if variant == 2 {
            // an ordinary payee's money goes to the official's account
            let Some(e) = self.pick(|_, _| true) else {
                return 0;
            };
            self.protect(e);
            let acct = self.account_of(official);
            // the officials table must list the card the money went to, or nothing could tell
            self.officials[o].with_account = true;
            let p = self.enrolls[e].person as usize;
            let t = self.tag(
                K_OFFICIAL,
                self.persons[p].id.clone(),
                format!(
                    "paid into the account of official {}",
                    self.persons[official as usize].id
                ),
            );
            let mut n = 0;
            for r in self.enrolls[e].rows.clone() {
                self.rows[r].account = acct;
                self.rows[r].tag = t;
                n += 1;
            }
            return n;
        }
        // the official or a relative is paid
        let p =
            if variant == 1 {
                match self.officials.iter().position(|x| {
                    x.relative_of.is_some() && !self.persons[x.person as usize].protected
                }) {
                    Some(i) => self.officials[i].person,
                    None => official,
                }
            } else {
                official
            };
        if (variant == 1 && self.persons[p as usize].protected)
            || self.persons[p as usize].enrolled > 0
        {
            return 0;
        }
        self.persons[p as usize].protected = true;
        let scheme = if self.rng.random_bool(0.5) {
            DIBAO
        } else {
            TEKUN
        };
        let q = (scheme == DIBAO).then(|| self.rng.random_range(1..=3) * 100);
        let e = self.enroll(p, scheme, q, schemes);
        self.enrolls[e].protected = true;
        let who = if self
            .officials
            .iter()
            .any(|x| x.person == p && x.relative_of.is_some())
        {
            "relative of an official"
        } else {
            "official"
        };
        let t = self.tag(
            K_OFFICIAL,
            self.persons[p as usize].id.clone(),
            who.to_string(),
        );
        let rows = self.enrolls[e].rows.clone();
        for &r in &rows {
            self.rows[r].tag = t;
        }
        rows.len() as u64
    }

    fn plant_round(&mut self, schemes: &[Scheme; 5]) -> u64 {
        let v = self.rng.random_range(0..self.villages.len()) as u32;
        let officer = self.villages[v as usize].officer[FARMLAND as usize];
        let cands: Vec<usize> = (0..self.enrolls.len())
            .filter(|&e| {
                let en = &self.enrolls[e];
                en.scheme == FARMLAND
                    && !en.protected
                    && !self.persons[en.person as usize].protected
                    && en.rows.len() == 1
                    && self.rows[en.rows[0]].village == v
                    && self.rows[en.rows[0]].amount >= 10_000
                    && !self.split_band(&self.rows[en.rows[0]], schemes)
            })
            .collect();
        if cands.len() < 5 {
            return 0;
        }
        let t = self.tag(
            K_ROUND,
            self.persons[officer as usize].id.clone(),
            format!("round FARMLAND sums in {}", self.villages[v as usize].code),
        );
        let mut n = 0;
        for e in cands {
            if !self.rng.random_bool(0.8) {
                continue;
            }
            let r = self.enrolls[e].rows[0];
            let due = self.rows[r].amount;
            let round = (due + 5_000) / 10_000 * 10_000;
            let th = schemes[0].approval_threshold_fen.unwrap_or(i64::MAX);
            if round == due || round == 0 || (round * 5 >= th * 4 && round < th) {
                continue;
            }
            self.protect(e);
            self.rows[r].amount = round;
            self.rows[r].tag = t;
            n += 1;
        }
        n
    }

    /// Brings the chunk to exactly `rows` ledger rows: adds one-row FARMLAND payees, or trims the last monthly
    /// payments of untouched payees.
    fn fit(&mut self, rows: usize, schemes: &[Scheme; 5]) {
        let mut live = self.rows.iter().filter(|r| !r.deleted).count();
        while live < rows {
            let v = self.villages.len() as u32 - 1;
            let hh = self.household_id(v);
            let b = self.birth(1950, 1990);
            let p = self.person(v, &hh, b, true);
            let q = loop {
                let q = self.rng.random_range(100..=3000);
                if schemes[0]
                    .due_fen(Some(q * 100), None)
                    .is_some_and(|x| x % 10_000 != 0)
                {
                    break q;
                }
            };
            self.enroll(p, FARMLAND, Some(q), schemes);
            live += 1;
        }
        let mut e = self.enrolls.len();
        while live > rows && e > 0 {
            e -= 1;
            let en = &self.enrolls[e];
            if en.protected || self.persons[en.person as usize].protected {
                continue;
            }
            for &r in en.rows.iter().rev() {
                if live == rows {
                    break;
                }
                if !self.rows[r].deleted && self.rows[r].tag == 0 {
                    self.rows[r].deleted = true;
                    live -= 1;
                }
            }
        }
    }
}

/// An 18-character id of `county`, a birth text `YYYYMMDD` and a sequence number; with its check character when
/// `check` (the check character of the 17 digits), which makes even an impossible birth date pass the checksum.
fn id_with(county: &str, birth: &str, seq: u16, check: bool) -> String {
    let mut id = format!("{county}{birth}{seq:03}");
    let c = if check {
        id_check_char(id.as_bytes()).unwrap_or(b'0')
    } else {
        b'0'
    };
    id.push(c as char);
    id
}
