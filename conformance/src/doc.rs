//! A small ordered document tree, written as YAML (transcripts) or JSON (reports). Keys keep
//! the order they were inserted in, so that output is stable and reads top-down; no YAML
//! crate is needed for a format this small (and the maintained ones do not promise key order).

use std::fmt::Write;

/// A value in a transcript or report.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    /// A number already formatted (times with a fixed number of decimals).
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(&'static str, Node)>),
}

impl Node {
    /// An empty map, filled with [`Node::with`].
    pub fn map() -> Node {
        Node::Map(Vec::new())
    }

    /// Adds `key: value` to a map (ignored on other nodes).
    pub fn with(mut self, key: &'static str, value: impl Into<Node>) -> Node {
        if let Node::Map(entries) = &mut self {
            entries.push((key, value.into()));
        }
        self
    }

    /// Adds `key: value` when there is a value.
    pub fn with_some(self, key: &'static str, value: Option<impl Into<Node>>) -> Node {
        match value {
            Some(value) => self.with(key, value),
            None => self,
        }
    }

    /// The value under `key` in a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Block-style YAML, two spaces per level, ending with a newline.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match self {
            Node::Map(entries) if !entries.is_empty() => yaml_map(entries, 0, &mut out),
            Node::Seq(items) if !items.is_empty() => yaml_seq(items, 0, &mut out),
            scalar => {
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
        out
    }

    /// Pretty JSON (two-space indent), keys in insertion order.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        json(self, 0, &mut out);
        out.push('\n');
        out
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_owned())
    }
}

impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}

impl From<bool> for Node {
    fn from(b: bool) -> Node {
        Node::Bool(b)
    }
}

impl From<u64> for Node {
    fn from(n: u64) -> Node {
        i64::try_from(n).map_or_else(|_| Node::Number(n.to_string()), Node::Int)
    }
}

impl From<u32> for Node {
    fn from(n: u32) -> Node {
        Node::Int(n.into())
    }
}

impl From<i64> for Node {
    fn from(n: i64) -> Node {
        Node::Int(n)
    }
}

impl From<usize> for Node {
    fn from(n: usize) -> Node {
        (n as u64).into()
    }
}

impl From<Vec<Node>> for Node {
    fn from(items: Vec<Node>) -> Node {
        Node::Seq(items)
    }
}

fn is_block(node: &Node) -> bool {
    match node {
        Node::Map(e) => !e.is_empty(),
        Node::Seq(s) => !s.is_empty(),
        _ => false,
    }
}

fn yaml_map(entries: &[(&'static str, Node)], indent: usize, out: &mut String) {
    for (i, (key, value)) in entries.iter().enumerate() {
        // The first key of a map inside a sequence sits after "- ".
        if i > 0 || !out.ends_with("- ") {
            push_indent(indent, out);
        }
        out.push_str(key);
        out.push(':');
        yaml_value(value, indent, out);
    }
}

fn yaml_seq(items: &[Node], indent: usize, out: &mut String) {
    for item in items {
        push_indent(indent, out);
        out.push_str("- ");
        match item {
            Node::Map(entries) if !entries.is_empty() => yaml_map(entries, indent + 2, out),
            Node::Seq(inner) if !inner.is_empty() => {
                out.pop();
                out.push('\n');
                yaml_seq(inner, indent + 2, out);
            }
            scalar => {
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
    }
}

/// A list of numbers and plain words, written inline (`[0, 72, 2883]`) to keep transcripts short.
fn inline_seq(value: &Node) -> Option<String> {
    let Node::Seq(items) = value else {
        return None;
    };
    let words: Option<Vec<String>> = items
        .iter()
        .map(|item| match item {
            Node::Int(n) => Some(n.to_string()),
            Node::Number(n) => Some(n.clone()),
            Node::Str(s) if !s.contains([',', '[', ']', '{', '}']) && yaml_string(s) == *s => {
                Some(s.clone())
            }
            _ => None,
        })
        .collect();
    words.map(|w| format!("[{}]", w.join(", ")))
}

/// After `key:`: a scalar (or a list of them) on the same line, a block on the next lines.
fn yaml_value(value: &Node, indent: usize, out: &mut String) {
    if let Some(inline) = inline_seq(value) {
        out.push(' ');
        out.push_str(&inline);
        out.push('\n');
    } else if is_block(value) {
        out.push('\n');
        match value {
            Node::Map(entries) => yaml_map(entries, indent + 2, out),
            Node::Seq(items) => yaml_seq(items, indent, out),
            _ => {}
        }
    } else {
        out.push(' ');
        out.push_str(&yaml_scalar(value));
        out.push('\n');
    }
}

fn push_indent(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn yaml_scalar(node: &Node) -> String {
    match node {
        Node::Null => "~".into(),
        Node::Bool(b) => b.to_string(),
        Node::Int(n) => n.to_string(),
        Node::Number(n) => n.clone(),
        Node::Str(s) => yaml_string(s),
        Node::Seq(_) => "[]".into(),
        Node::Map(_) => "{}".into(),
    }
}

/// A string plain when YAML would read it back as the same string, double-quoted otherwise.
fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with(|c: char| {
            c.is_whitespace() || "-?:,[]{}#&*!|>'\"%@`~".contains(c) || c.is_ascii_digit()
        })
        && !s.ends_with(char::is_whitespace)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && s.chars().all(|c| !c.is_control() && c != '\u{feff}')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | ".inf" | ".nan"
        );
    if plain {
        return s.to_owned();
    }
    // Single quotes need no escapes but doubled quotes: the most readable for event lines.
    if s.chars().all(|c| !c.is_control() && c != '\u{feff}') {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut quoted = String::with_capacity(s.len() + 2);
    quoted.push('"');
    for c in s.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(quoted, "\\u{:04x}", c as u32);
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn json(node: &Node, indent: usize, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(n) => out.push_str(&n.to_string()),
        Node::Number(n) => out.push_str(n),
        Node::Str(s) => out.push_str(&serde_json::Value::from(s.as_str()).to_string()),
        Node::Seq(items) if items.is_empty() => out.push_str("[]"),
        Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Node::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                push_indent(indent + 2, out);
                json(item, indent + 2, out);
            }
            out.push('\n');
            push_indent(indent, out);
            out.push(']');
        }
        Node::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                push_indent(indent + 2, out);
                out.push_str(&serde_json::Value::from(*key).to_string());
                out.push_str(": ");
                json(value, indent + 2, out);
            }
            out.push('\n');
            push_indent(indent, out);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        Node::map()
            .with("name", "rtmp: sample")
            .with("count", 3u32)
            .with(
                "items",
                vec![
                    Node::map()
                        .with("t", Node::Number("0.5".into()))
                        .with("x", "a"),
                    Node::from("plain"),
                    Node::from(vec![Node::from("nested")]),
                ],
            )
            .with("empty", Vec::<Node>::new())
            .with("inner", Node::map().with("k", "true"))
    }

    #[test]
    fn yaml_is_block_style_in_insertion_order() {
        assert_eq!(
            sample().to_yaml(),
            "name: 'rtmp: sample'\ncount: 3\nitems:\n- t: 0.5\n  x: a\n- plain\n-\n  - nested\n\
             empty: []\ninner:\n  k: 'true'\n"
        );
    }

    #[test]
    fn json_parses_back() {
        let text = sample().to_json();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["items"][0]["t"], 0.5);
        assert_eq!(value["inner"]["k"], "true");
        assert_eq!(value["name"], "rtmp: sample");
    }

    #[test]
    fn strings_that_yaml_would_misread_are_quoted() {
        for s in [
            "", "- x", "1.5", "yes", "a: b", "x\ny", " lead", "#c", "ok:",
        ] {
            assert!(yaml_string(s).starts_with(['"', '\'']), "{s:?}");
        }
        for s in ["connect app=live", "rtmp.chunk.x", "a-b"] {
            assert_eq!(yaml_string(s), s);
        }
    }
}
