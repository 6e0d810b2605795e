//! Every string value of a JSON text (or of JSON lines) rewritten in place: keys, numbers, layout and key order
//! stay byte for byte, and a changed string is written as serde_json writes it (the writers' own encoder), so a
//! masked file is the file the writers would write of masked data.

/// One open object or array.
struct Frame {
    is_object: bool,
    /// The key this object or array is the value of (an array's strings take it).
    key: Option<String>,
    /// The last key read in this object.
    last_key: Option<String>,
    expect_key: bool,
    /// The string fields read so far in this object (raw values).
    fields: Vec<(String, String)>,
}

/// The index of the closing quote of the string literal opening at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j),
            _ => j += 1,
        }
    }
    None
}

/// Calls `f(key, fields before, value)` for every string value of `text` (`key`: its object key, or the key of
/// the array holding it; `fields before`: the string fields before it in its object) and writes what it returns.
pub(super) fn rewrite(
    text: &str,
    f: &mut dyn FnMut(Option<&str>, &[(String, String)], &str) -> String,
) -> Result<String, String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut stack: Vec<Frame> = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    let value_key = |stack: &[Frame]| -> Option<String> {
        stack.last().and_then(|t| {
            if t.is_object {
                t.last_key.clone()
            } else {
                t.key.clone()
            }
        })
    };
    while i < b.len() {
        match b[i] {
            open @ (b'{' | b'[') => {
                let key = value_key(&stack);
                stack.push(Frame {
                    is_object: open == b'{',
                    key,
                    last_key: None,
                    expect_key: open == b'{',
                    fields: Vec::new(),
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(t) = stack.last_mut() {
                    t.expect_key = t.is_object;
                }
            }
            b'"' => {
                let end = string_end(b, i).ok_or("a string is not closed")?;
                let lit = &text[i..=end];
                let s: String = serde_json::from_str(lit).map_err(|e| e.to_string())?;
                match stack.last_mut() {
                    Some(t) if t.is_object && t.expect_key => {
                        t.last_key = Some(s);
                        t.expect_key = false;
                    }
                    _ => {
                        let key = value_key(&stack);
                        let fields = stack
                            .last()
                            .filter(|t| t.is_object)
                            .map_or(&[][..], |t| t.fields.as_slice());
                        let new = f(key.as_deref(), fields, &s);
                        if new != s {
                            out.push_str(&text[copied..i]);
                            out.push_str(&serde_json::to_string(&new).map_err(|e| e.to_string())?);
                            copied = end + 1;
                        }
                        if let (Some(t), Some(k)) = (stack.last_mut(), key) {
                            if t.is_object {
                                t.fields.push((k, s));
                            }
                        }
                    }
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    if !stack.is_empty() {
        return Err("the JSON ends inside an object or array".into());
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_rewritten_and_nothing_else() {
        let text = "{\"a\": \"x\", \"n\": 1.50, \"list\": [\"x\", \"y\"], \"o\": {\"k\": \"x\\\"q\", \"v\": \"x\"}}\n{\"a\":\"z\"}\n";
        let mut seen = Vec::new();
        let out = rewrite(text, &mut |k, before, v| {
            seen.push((
                k.map(str::to_string),
                before.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>(),
                v.to_string(),
            ));
            v.replace('x', "é\"")
        })
        .expect("json");
        assert_eq!(
            out,
            "{\"a\": \"é\\\"\", \"n\": 1.50, \"list\": [\"é\\\"\", \"y\"], \"o\": {\"k\": \"é\\\"\\\"q\", \"v\": \"é\\\"\"}}\n{\"a\":\"z\"}\n"
        );
        let keys: Vec<Option<&str>> = seen.iter().map(|s| s.0.as_deref()).collect();
        assert_eq!(
            keys,
            vec![
                Some("a"),
                Some("list"),
                Some("list"),
                Some("k"),
                Some("v"),
                Some("a")
            ]
        );
        // the object's string fields before each value
        assert_eq!(seen[4].1, vec!["k".to_string()]);
        // unchanged strings keep their bytes (an escape serde_json would write otherwise included)
        let same = "{\"a\": \"\\u00e9\"}";
        assert_eq!(
            rewrite(same, &mut |_, _, v| v.to_string()).expect("json"),
            same
        );
        assert!(rewrite("{\"a\": \"x", &mut |_, _, v| v.to_string()).is_err());
    }
}
