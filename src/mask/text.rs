//! Free text masked by pattern, in one pass from left to right. At each place, the first that applies:
//!
//! 1. a name the `NAME (ID…` or `ID (NAME)` shape places here (the shapes the explanations use: `梁骅兰
//!    (110101192101134320)`, `110101196205035536 (程磊)`, `黄超骅 (11010119700624927X, 会计)`): a run of Han
//!    characters (and `·`), or of capitalised Latin words, next to an id or card;
//! 2. an id, card or name of the dictionary (what the outputs name elsewhere), at word boundaries for those
//!    that start or end with a letter or digit;
//! 3. a word (a run of ASCII letters and digits, full-width digits and `Ｘ`) of digits alone, or digit groups
//!    joined by single spaces (`110101 19620503 5536`), of an id's length (18 with the `X` check character, or 15
//!    digits with a province code and a birth date), a card's (13 to 19 digits) or a mobile phone's (11 digits
//!    from `1`); a transaction id of the findings is left as written. Region codes (12 digits), counts, amounts
//!    and dates are none of these.
//! 4. `born YYYY-MM-DD`: the year kept.

use super::{mask_name, mask_phone, normalise_digits, Kind, Masker};

/// What a digit run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Num {
    Id,
    Card,
    Phone,
}

/// What a normalised digit run (ASCII digits, maybe a final `X`) is, by its length and shape.
pub(super) fn classify(n: &str) -> Option<Num> {
    let b = n.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if b.is_empty() {
        return None;
    }
    let last_x = b[b.len() - 1] == b'X';
    if last_x {
        return (b.len() == 18 && digits(&b[..17])).then_some(Num::Id);
    }
    if !digits(b) {
        return None;
    }
    match b.len() {
        18 if looks_like_id(n) => Some(Num::Id),
        15 if looks_like_id(&format!("{}19{}", &n[..6], &n[6..])) => Some(Num::Id),
        11 if b[0] == b'1' => Some(Num::Phone),
        13..=19 => Some(Num::Card),
        _ => None,
    }
}

/// An 18-digit run with a province code and a real birth date (whatever its check character: an invalid id is
/// still someone's).
fn looks_like_id(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() >= 14
        && crate::ident::has_province_prefix(b)
        && crate::ident::id_birth_date(&format!("{}0000", &n[..14])).is_some()
}

/// A character of a word: ASCII letters and digits, full-width digits and `Ｘ`/`ｘ`.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '０'..='９' | 'Ｘ' | 'ｘ')
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '０'..='９')
}

/// A character of a Chinese name: Han characters and the middle dots of transcribed names.
fn is_name_char(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ebef}'
        | '·' | '・' | '•')
}

/// The longest name this harvests: longer runs of Han text are prose, not a name.
const MAX_NAME_CHARS: usize = 16;
/// The most Latin words of a name.
const MAX_NAME_WORDS: usize = 4;

/// The end (byte) of the word starting at `i`.
fn word_end(s: &str, i: usize) -> usize {
    s[i..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(s.len(), |(k, _)| i + k)
}

/// Whether a word is digits alone, maybe with a final `X`/`x`.
fn is_digit_word(w: &str) -> bool {
    let mut chars = w.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        let final_x = matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ') && chars.peek().is_none() && any;
        if !is_digit(c) && !final_x {
            return false;
        }
        any = true;
    }
    any
}

/// The digit groups starting at `i` (a digit word, then more joined by single spaces): their ends (bytes) and
/// normalised texts, one per prefix of the chain, longest last. Empty when the word at `i` is no digit word.
fn chain(s: &str, i: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut at = i;
    let mut joined = String::new();
    loop {
        let end = word_end(s, at);
        let w = &s[at..end];
        if !is_digit_word(w) {
            break;
        }
        joined.push_str(&normalise_digits(w));
        if joined.len() > 19 {
            break;
        }
        out.push((end, joined.clone()));
        if joined.ends_with('X') {
            break;
        }
        // a single space, then another digit word
        let mut rest = s[end..].chars();
        match (rest.next(), rest.next()) {
            (Some(' ' | '\u{3000}'), Some(c)) if is_digit(c) => {
                at = end + s[end..].chars().next().map_or(1, char::len_utf8);
            }
            _ => break,
        }
    }
    out
}

/// Whether the word at `i..` (no spaces joined) is an id or card: by shape, or as the dictionary knows it.
fn id_like_at(m: &Masker, s: &str, i: usize) -> bool {
    let end = word_end(s, i);
    id_like(m, &s[i..end])
}

fn id_like(m: &Masker, w: &str) -> bool {
    if w.is_empty() {
        return false;
    }
    if matches!(m.dict.map.get(w), Some((Kind::Id | Kind::Account, _))) {
        return true;
    }
    is_digit_word(w) && matches!(classify(&normalise_digits(w)), Some(Num::Id | Num::Card))
}

/// The start of the name ending at `end` (just before ` (`): a run of name characters, else of capitalised Latin
/// words joined by single spaces.
fn name_before(s: &str, end: usize) -> Option<usize> {
    let head = &s[..end];
    let mut start = end;
    let mut n = 0;
    for (k, c) in head.char_indices().rev() {
        if is_name_char(c) {
            start = k;
            n += 1;
        } else {
            break;
        }
    }
    if n > 0 {
        return (n <= MAX_NAME_CHARS).then_some(start);
    }
    // Latin words, each capitalised, back to the first that is not
    let mut at = end;
    let mut first = None;
    for _ in 0..MAX_NAME_WORDS {
        let Some(w_start) = head[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphabetic() || matches!(c, '.' | '\'' | '-'))
            .last()
            .map(|(k, _)| k)
        else {
            break;
        };
        let w = &head[w_start..at];
        if !w.starts_with(|c: char| c.is_ascii_uppercase()) {
            break;
        }
        // the word must start there, not inside a word of digits (`GHO002`)
        if head[..w_start].chars().next_back().is_some_and(is_word) {
            break;
        }
        first = Some(w_start);
        if w_start >= 1 && head[..w_start].ends_with(' ') {
            at = w_start - 1;
        } else {
            break;
        }
    }
    first
}

/// The end of the name starting at `i` (just after `(`) when a `)` or `,` closes it.
fn name_after(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    let han = rest
        .char_indices()
        .take_while(|(_, c)| is_name_char(*c))
        .last()
        .map(|(k, c)| k + c.len_utf8());
    let end = match han {
        Some(e) => (rest[..e].chars().count() <= MAX_NAME_CHARS).then_some(e)?,
        None => {
            // capitalised Latin words joined by single spaces
            let mut at = 0;
            let mut words = 0;
            loop {
                let w_end = rest[at..]
                    .char_indices()
                    .find(|(_, c)| !(c.is_ascii_alphabetic() || matches!(c, '.' | '\'' | '-')))
                    .map_or(rest.len(), |(k, _)| at + k);
                let w = &rest[at..w_end];
                if w.is_empty() || !w.starts_with(|c: char| c.is_ascii_uppercase()) {
                    return None;
                }
                words += 1;
                if words < MAX_NAME_WORDS && rest[w_end..].starts_with(' ') {
                    let next = &rest[w_end + 1..];
                    if next.starts_with(|c: char| c.is_ascii_uppercase()) {
                        at = w_end + 1;
                        continue;
                    }
                }
                break w_end;
            }
        }
    };
    rest[end..].starts_with([')', ',']).then_some(i + end)
}

/// The byte ranges of the names the two shapes place in `s`, in order, not overlapping.
fn name_spans(m: &Masker, s: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(k) = s[from..].find(" (") {
        let p = from + k;
        let after = p + 2;
        // NAME (ID…
        if after < s.len() && id_like_at(m, s, after) {
            if let Some(start) = name_before(s, p) {
                spans.push((start, p));
            }
        }
        // ID (NAME) — the word ending at p
        let w_start = s[..p]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map(|(k, _)| k);
        if let Some(ws) = w_start {
            if id_like(m, &s[ws..p]) {
                if let Some(end) = name_after(s, after) {
                    spans.push((after, end));
                }
            }
        }
        from = after;
    }
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for sp in spans {
        if out.last().is_none_or(|l| sp.0 >= l.1) {
            out.push(sp);
        }
    }
    out
}

/// The names the shapes place in `s`.
pub(super) fn harvest(m: &Masker, s: &str, out: &mut Vec<String>) {
    if !s.contains(" (") {
        return;
    }
    for (a, b) in name_spans(m, s) {
        out.push(s[a..b].to_string());
    }
}

/// The dictionary entry at `i`, if one matches there: its length and masked form.
fn dict_at<'a>(
    m: &'a Masker,
    s: &str,
    i: usize,
    c: char,
    prev: Option<char>,
    names: bool,
) -> Option<(usize, &'a str)> {
    let lens = m.dict.lens.get(&c)?;
    if is_word(c) && prev.is_some_and(is_word) {
        return None;
    }
    for &l in lens {
        let end = i + l;
        if end > s.len() || !s.is_char_boundary(end) {
            continue;
        }
        let Some((kind, masked)) = m.dict.map.get(&s[i..end]) else {
            continue;
        };
        if *kind == Kind::Name && !names {
            continue;
        }
        let last = s[i..end].chars().next_back();
        if last.is_some_and(is_word) && s[end..].chars().next().is_some_and(is_word) {
            continue;
        }
        return Some((l, masked));
    }
    None
}

/// `born YYYY-MM-DD` at `i`: the length of `-MM-DD` after the year's end.
fn born_at(s: &str, i: usize) -> Option<usize> {
    let d = s[i..].strip_prefix("born ")?.as_bytes();
    let shape = d.len() >= 10
        && d[..4].iter().all(u8::is_ascii_digit)
        && d[4] == b'-'
        && d[5..7].iter().all(u8::is_ascii_digit)
        && d[7] == b'-'
        && d[8..10].iter().all(u8::is_ascii_digit)
        && d.get(10).is_none_or(|c| !c.is_ascii_alphanumeric());
    shape.then_some(i + 5 + 4)
}

/// `s` with its ids, cards, phones and (when `names`) names masked.
pub(super) fn mask(m: &Masker, s: &str, names: bool) -> String {
    let spans = if names && s.contains(" (") {
        name_spans(m, s)
    } else {
        Vec::new()
    };
    let mut out = String::with_capacity(s.len() + 32);
    let mut k = 0;
    let mut i = 0;
    let mut prev: Option<char> = None;
    while i < s.len() {
        while k < spans.len() && spans[k].0 < i {
            k += 1;
        }
        if k < spans.len() && spans[k].0 == i {
            let (a, b) = spans[k];
            out.push_str(&mask_name(&s[a..b]));
            prev = s[a..b].chars().next_back();
            i = b;
            k += 1;
            continue;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        if let Some((l, masked)) = dict_at(m, s, i, c, prev, names) {
            out.push_str(masked);
            prev = s[i..i + l].chars().next_back();
            i += l;
            continue;
        }
        if names && c == 'b' && !prev.is_some_and(is_word) {
            if let Some(year_end) = born_at(s, i) {
                out.push_str(&s[i..year_end]);
                out.push_str("-**-**");
                i = year_end + 6;
                prev = Some('*');
                continue;
            }
        }
        if is_word(c) && !prev.is_some_and(is_word) {
            let groups = chain(s, i);
            let hit = groups.iter().rev().find_map(|(end, n)| {
                if m.keep.contains(n) {
                    return Some((*end, None));
                }
                classify(n).map(|kind| (*end, Some((kind, n))))
            });
            let (end, masked) = match hit {
                Some((end, Some((kind, n)))) => (
                    end,
                    Some(match kind {
                        Num::Id => m.id(n),
                        Num::Card => m.account(n),
                        Num::Phone => mask_phone(n),
                    }),
                ),
                Some((end, None)) => (end, None),
                None => (word_end(s, i), None),
            };
            match masked {
                Some(t) => out.push_str(&t),
                None => out.push_str(&s[i..end]),
            }
            prev = s[i..end].chars().next_back();
            i = end;
            continue;
        }
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{MaskKey, Masker};
    use super::*;

    fn masker() -> Masker {
        Masker::new(&MaskKey::new("0123456789abcdef-test-key").expect("key"))
    }

    #[test]
    fn digit_runs_by_length_and_shape() {
        assert_eq!(classify("110101196205035536"), Some(Num::Id));
        assert_eq!(classify("11010519491231002X"), Some(Num::Id));
        // a wrong check character is still an id; a run without a birth date is a card
        assert_eq!(classify("110101197207073825"), Some(Num::Id));
        assert_eq!(classify("621799000051853046"), Some(Num::Card));
        assert_eq!(classify("110101620503553"), Some(Num::Id));
        assert_eq!(classify("6217990000518530460"), Some(Num::Card));
        assert_eq!(classify("6222020000751575"), Some(Num::Card));
        assert_eq!(classify("13812345678"), Some(Num::Phone));
        // region codes, counts, short runs
        assert_eq!(classify("110101001009"), None);
        assert_eq!(classify("2024"), None);
        assert_eq!(classify("1234X"), None);
    }

    #[test]
    fn explanations_lose_their_ids_cards_and_names() {
        let m = masker();
        let p = |id: &str| m.pseudonym(id);
        let t = m.text("payee 梁骅兰 (110101192101134320) received 1000.00 yuan in 2 payments of ELDERLY for 2024-04 (T000000001055 (2024-04-07, 500.00))");
        assert_eq!(
            t,
            format!("payee 梁* (110101********4320~{}) received 1000.00 yuan in 2 payments of ELDERLY for 2024-04 (T000000001055 (2024-04-07, 500.00))", p("110101192101134320"))
        );
        // ID (NAME), and NAME (ID, role)
        let t = m.text(
            "110101196205035536 (程磊) is enrolled in the registry, but not by region 110101001001",
        );
        assert!(
            t.starts_with("110101********5536~P") && t.contains(" (程*) is enrolled"),
            "{t}"
        );
        assert!(t.ends_with("region 110101001001"), "{t}");
        let t = m.text("is a relative of official 黄超骅 (11010119700624927X, 会计)");
        assert!(
            t.contains("official 黄* (110101********927X~P") && t.ends_with(", 会计)"),
            "{t}"
        );
        // cards in a list, with their counts
        let t = m.text("into 2 accounts: 6221880000037694446 (1 payment, 500.00), 6222020000751575 (1 payment, 500.00)");
        assert!(
            t.contains("***************4446~A") && t.contains("************1575~A"),
            "{t}"
        );
        assert!(
            !t.contains("6221880000037694446") && t.contains("(1 payment, 500.00)"),
            "{t}"
        );
        // Latin names before and after ids
        let t = m.text("payee John Smith (110101192101134320) and 110101196205035536 (Li Na)");
        assert!(t.contains("payee J* (") && t.contains(" (L*)"), "{t}");
        // ids as written: the 15-digit form, full-width digits, digit groups, a lower-case x
        let t = m.text("; ids as written: 110101196205035536 as 110101620503553, 110101196205035536 as １１０１０１１９６２０５０３５５３６, 110101196205035536 as 110101 19620503 5536, 11010519491231002X as 11010519491231002x");
        assert!(
            !t.contains("620503") && !t.contains("６２０５") && !t.contains("491231"),
            "{t}"
        );
        assert_eq!(t.matches(&p("110101196205035536")).count(), 6, "{t}");
        assert!(t.contains("110101*****3553~"), "{t}");
        // a birth date keeps its year
        let t = m.text("孙林健 (110101195305283145) (born 1953-05-28) was 70 on 2024-02-12");
        assert!(t.contains("(born 1953-**-**) was 70 on 2024-02-12"), "{t}");
        // phones
        assert_eq!(m.text("call 13812345678."), "call 138****5678.");
    }

    #[test]
    fn known_values_are_masked_wherever_they_appear() {
        let mut m = masker();
        m.add_id("P01");
        m.add_account("A0001");
        m.add_name("王五");
        let t =
            m.text("王五 (P01) was paid into A0001; P012 and A00011 are others; 王五's account");
        assert!(t.starts_with("王* (**1~P"), "{t}");
        assert!(t.contains(" into ***01~A"), "{t}");
        assert!(
            t.contains("; P012 and A00011 are others; 王*'s account"),
            "{t}"
        );
        // a region keeps village names
        assert_eq!(m.region("王五村"), "王五村");
        // a transaction id of a card's length is kept once known
        m.keep_txn_id("2024041200000001");
        assert_eq!(
            m.text("2024041200000001 (2024-04-12, 5.00)"),
            "2024041200000001 (2024-04-12, 5.00)"
        );
    }

    #[test]
    fn harvest_finds_names_in_both_shapes() {
        let mut m = masker();
        let mut names = Vec::new();
        harvest(&m, "2 payee ids look like one person: 杨春钰 (110101193402231823) ~ 杨椿钰 (110101193402232068); 110101196205035536 (程磊) and DUP001: 邓丽 (130101198405258593, 村主任)", &mut names);
        assert_eq!(names, vec!["杨春钰", "杨椿钰", "程磊", "邓丽"]);
        m.harvest("梁骅兰 (110101192101134320) was paid");
        assert_eq!(m.text("see 梁骅兰 again"), "see 梁* again");
    }
}
