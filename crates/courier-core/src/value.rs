//! Typed scalars: how a `--var k=v` value or a CSV cell becomes a JSON value
//! (docs/collections-language.md#typed-values). `true`/`false`, `null` and integers without a
//! leading zero that fit in i64 are typed; everything else — decimals included, since
//! Intacct's decimal fields want `"125.50"` — stays a string, and a double-quoted value is
//! the string inside the quotes.

use serde_json::Value;

/// A `--var` value (or an unquoted CSV cell) as a typed JSON value.
pub fn typed_scalar(text: &str) -> Value {
    if let Some(inner) = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        return Value::String(inner.to_owned());
    }
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    if is_plain_integer(text)
        && let Ok(n) = text.parse::<i64>()
    {
        return Value::from(n);
    }
    Value::String(text.to_owned())
}

/// A CSV cell: a cell written in CSV quotes (`"42"`) is always the string inside them, an
/// empty cell is `""`, any other cell follows [`typed_scalar`].
pub fn typed_cell(text: &str, quoted: bool) -> Value {
    if quoted {
        Value::String(text.to_owned())
    } else {
        typed_scalar(text)
    }
}

/// `0`, `-12`, `42`: an optional minus, then digits with no leading zero (`007` is a code,
/// not a number) and no sign, exponent or point.
fn is_plain_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0"
}

/// How one raw CSV record (as written in the file, from its first byte) is quoted, read as the
/// csv reader reads quotes: a `"` that starts a field opens a quoted field, `""` inside it is a
/// quote, the next lone `"` closes it; a `"` anywhere else is text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoting {
    /// Which fields are enclosed in double quotes.
    pub fields: Vec<bool>,
    /// Where the next record starts (a byte offset into `raw`): past the line break that ends
    /// this one, or the end of `raw`.
    pub end: usize,
    /// Where a quoted field opens that never closes (a byte offset into `raw`): the csv
    /// reader runs such a field to the end of the file.
    pub unclosed: Option<usize>,
}

/// The [`Quoting`] of the record at the start of `raw`; stops at the end of the record.
pub fn quoting(raw: &str) -> Quoting {
    let bytes = raw.as_bytes();
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let quoted = bytes.get(i) == Some(&b'"');
        fields.push(quoted);
        if quoted {
            let open = i;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => {
                        return Quoting {
                            fields,
                            end: raw.len(),
                            unclosed: Some(open),
                        };
                    }
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
        }
        // The rest of the field, up to a separator or the end of the record.
        loop {
            match bytes.get(i) {
                Some(b',') => {
                    i += 1;
                    break;
                }
                Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => {
                    return Quoting {
                        fields,
                        end: i + 2,
                        unclosed: None,
                    };
                }
                Some(b'\n' | b'\r') => {
                    return Quoting {
                        fields,
                        end: i + 1,
                        unclosed: None,
                    };
                }
                None => {
                    return Quoting {
                        fields,
                        end: i,
                        unclosed: None,
                    };
                }
                Some(_) => i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_typing_rule() {
        for (text, want) in [
            ("true", json!(true)),
            ("false", json!(false)),
            ("null", json!(null)),
            ("0", json!(0)),
            ("-12", json!(-12)),
            ("5", json!(5)),
            ("9223372036854775807", json!(9_223_372_036_854_775_807_i64)),
            ("9223372036854775808", json!("9223372036854775808")),
            ("125.50", json!("125.50")),
            ("007", json!("007")),
            ("1e5", json!("1e5")),
            ("-0", json!("-0")),
            ("+5", json!("+5")),
            ("V-1", json!("V-1")),
            ("True", json!("True")),
            ("\"42\"", json!("42")),
            ("\"\"", json!("")),
            ("\"", json!("\"")),
            ("", json!("")),
        ] {
            assert_eq!(typed_scalar(text), want, "{text}");
        }
    }

    #[test]
    fn quoted_cells_stay_strings() {
        assert_eq!(typed_cell("42", true), json!("42"));
        assert_eq!(typed_cell("42", false), json!(42));
        assert_eq!(typed_cell("", false), json!(""));
    }

    #[test]
    fn finds_quoted_fields() {
        assert_eq!(quoting("1,\"2\",x\n3,4\n").fields, [false, true, false]);
        assert_eq!(quoting("\"a,\"\"b\"\"\nc\",\n").fields, [true, false]);
        assert_eq!(quoting("a").fields, [false]);
        assert_eq!(quoting(",\r\n").fields, [false, false]);
    }

    #[test]
    fn finds_where_a_record_ends_and_an_unclosed_quote() {
        assert_eq!(quoting("1,\"2\",x\n3,4\n").end, 8);
        assert_eq!(quoting("a,b\r\nc").end, 5);
        assert_eq!(quoting("a").end, 1);
        assert_eq!(quoting("a,\"b\nc").unclosed, Some(2));
        assert_eq!(quoting("a,b\"c\n").unclosed, None);
    }
}
