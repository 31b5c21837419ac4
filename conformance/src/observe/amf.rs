//! AMF values on one short line for the transcript: peer-controlled text is cut, containers
//! are cut after a few properties, so that one hostile command cannot flood a transcript.

use std::fmt::Write;

use weir_amf0::Value;

/// Characters of one string shown before "…".
const MAX_STRING: usize = 64;
/// Properties or items of one container shown before "…".
const MAX_ITEMS: usize = 12;
/// Nesting shown before "{…}".
const MAX_DEPTH: usize = 3;

/// `value` in a compact JSON-like form.
pub fn short(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, 0, &mut out);
    out
}

fn write_value(value: &Value, depth: usize, out: &mut String) {
    match value {
        Value::Number(n) => write_number(*n, out),
        Value::Boolean(b) => {
            let _ = write!(out, "{b}");
        }
        Value::String(s) | Value::LongString(s) | Value::XmlDocument(s) => write_string(s, out),
        Value::Null => out.push_str("null"),
        Value::Undefined => out.push_str("undefined"),
        Value::Unsupported => out.push_str("unsupported"),
        Value::Reference(i) => {
            let _ = write!(out, "ref#{i}");
        }
        Value::Date { millis, .. } => {
            out.push_str("date(");
            write_number(*millis, out);
            out.push(')');
        }
        Value::Object(props)
        | Value::EcmaArray(props)
        | Value::TypedObject {
            properties: props, ..
        } => {
            if depth >= MAX_DEPTH {
                out.push_str("{…}");
                return;
            }
            out.push('{');
            for (i, (key, v)) in props.iter().enumerate() {
                if i == MAX_ITEMS {
                    out.push_str(", …");
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                push_cut(key, out);
                out.push_str(": ");
                write_value(v, depth + 1, out);
            }
            out.push('}');
        }
        Value::StrictArray(items) => {
            if depth >= MAX_DEPTH {
                out.push_str("[…]");
                return;
            }
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i == MAX_ITEMS {
                    out.push_str(", …");
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(v, depth + 1, out);
            }
            out.push(']');
        }
        Value::Amf3(v) => match (v.as_str(), v.as_f64()) {
            (Some(s), _) => write_string(s, out),
            (_, Some(n)) => write_number(n, out),
            _ => out.push_str("amf3(…)"),
        },
    }
}

fn write_number(n: f64, out: &mut String) {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        let _ = write!(out, "{}", n as i64);
    } else {
        let _ = write!(out, "{n}");
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    push_cut(s, out);
    out.push('"');
}

/// `s` up to [`MAX_STRING`] characters, control characters escaped.
fn push_cut(s: &str, out: &mut String) {
    for (i, c) in s.chars().enumerate() {
        if i == MAX_STRING {
            out.push('…');
            break;
        }
        if c.is_control() || c == '"' || c == '\\' {
            let _ = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_compactly_and_cuts() {
        let v = Value::object([
            ("app", Value::string("live")),
            ("audioCodecs", Value::Number(3575.0)),
            ("x", Value::Number(0.5)),
            ("long", Value::string("a".repeat(100))),
        ]);
        let text = short(&v);
        assert!(text.starts_with(r#"{app: "live", audioCodecs: 3575, x: 0.5, long: "aaaa"#));
        assert!(text.ends_with("…\"}"), "{text}");
        let many = Value::StrictArray(vec![Value::Null; 50]);
        assert!(short(&many).ends_with("null, …]"));
    }
}
