//! Attribute lists (RFC 8216 §4.2): `NAME=value,NAME="quoted",...`.
//!
//! Values are kept as written, quoted or not: RFC 8216 §4.2 gives each attribute its type in
//! the definition of its tag, not in its syntax (`1920x1080` is a resolution only where a
//! resolution is expected). The typed accessors check the type on the way out.

use std::fmt;

/// One attribute value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// quoted-string, without its quotes (no `"`, CR or LF inside).
    Quoted(String),
    /// Any unquoted value: decimal-integer, hexadecimal-sequence, (signed-)decimal-floating-point,
    /// enumerated-string or decimal-resolution (no whitespace, `"` or `,` inside).
    Unquoted(String),
}

/// A decimal-resolution (RFC 8216 §4.2): `<width>x<height>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    /// Pixels across.
    pub width: u64,
    /// Pixels down.
    pub height: u64,
}

/// The attributes of one tag, in their order; a name appears at most once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeList(pub Vec<(String, AttributeValue)>);

/// Something wrong in an attribute list: the 0-based character column and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeError {
    /// 0-based character column in the attribute list where the problem is.
    pub column: usize,
    /// What was wrong, in words.
    pub detail: String,
    /// True when an attribute name was repeated (`hls.attribute.duplicate`); the first stays.
    pub duplicate: bool,
}

/// The type an attribute's definition gives it (RFC 8216 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    /// decimal-integer: 0 to 2^64-1, decimal digits.
    Integer,
    /// hexadecimal-sequence: `0x` or `0X`, then hexadecimal digits.
    Hex,
    /// decimal-floating-point: non-negative, decimal digits and `.`.
    Float,
    /// signed-decimal-floating-point: may start with `-`.
    SignedFloat,
    /// quoted-string: between double quotes.
    Quoted,
    /// enumerated-string: one of the values its attribute defines, unquoted.
    Enumerated,
    /// decimal-resolution: `<width>x<height>`.
    Resolution,
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttributeType::Integer => "a decimal-integer",
            AttributeType::Hex => "a hexadecimal-sequence",
            AttributeType::Float => "a decimal-floating-point",
            AttributeType::SignedFloat => "a signed-decimal-floating-point",
            AttributeType::Quoted => "a quoted-string",
            AttributeType::Enumerated => "an enumerated-string",
            AttributeType::Resolution => "a decimal-resolution",
        })
    }
}

impl AttributeList {
    /// Parses an attribute list strictly: any problem is an error. `text` follows the colon.
    pub fn parse(text: &str) -> Result<Self, AttributeError> {
        let (list, mut problems) = Self::parse_lenient(text);
        match problems.is_empty() {
            true => Ok(list),
            false => Err(problems.swap_remove(0)),
        }
    }

    /// Parses what can be read and lists every problem: whitespace around names and values is
    /// skipped, a malformed pair is dropped up to the next comma, a repeated name keeps its
    /// first value.
    pub fn parse_lenient(text: &str) -> (Self, Vec<AttributeError>) {
        let mut list = AttributeList::default();
        let mut problems = Vec::new();
        let issue = |column: usize, detail: String| AttributeError {
            column,
            detail,
            duplicate: false,
        };
        let bytes = text.as_bytes();
        // Where whitespace first appeared: reported once, it says all there is to say.
        let mut whitespace: Option<usize> = None;
        let skip_space = |at: &mut usize, whitespace: &mut Option<usize>| {
            if bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
                whitespace.get_or_insert(*at);
            }
            while bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
                *at += 1;
            }
        };
        let mut at = 0;
        while at < bytes.len() {
            skip_space(&mut at, &mut whitespace);
            let name_start = at;
            while at < bytes.len() && !matches!(bytes[at], b'=' | b',') {
                at += 1;
            }
            let name = text[name_start..at].trim_end_matches(|c: char| c.is_ascii_whitespace());
            if name.len() < at - name_start {
                whitespace.get_or_insert(name_start + name.len());
            }
            if bytes.get(at) != Some(&b'=') {
                problems.push(issue(
                    name_start,
                    format!("attribute {name:?} without '=' and a value"),
                ));
                at += 1; // past the comma (or the end)
                continue;
            }
            at += 1;
            skip_space(&mut at, &mut whitespace);
            let value_start = at;
            let value = if bytes.get(at) == Some(&b'"') {
                let Some(len) = text[at + 1..].find('"') else {
                    problems.push(issue(
                        value_start,
                        format!("unterminated quoted string for {name}"),
                    ));
                    break;
                };
                let inner = &text[at + 1..at + 1 + len];
                at += len + 2;
                Some(AttributeValue::Quoted(inner.to_owned()))
            } else {
                while at < bytes.len() && bytes[at] != b',' {
                    at += 1;
                }
                let raw = text[value_start..at].trim_end_matches(|c: char| c.is_ascii_whitespace());
                if raw.len() < at - value_start {
                    whitespace.get_or_insert(value_start + raw.len());
                }
                if raw.is_empty() || raw.contains(|c: char| c.is_whitespace() || c == '"') {
                    problems.push(issue(value_start, format!("bad value {raw:?} for {name}")));
                    None
                } else {
                    Some(AttributeValue::Unquoted(raw.to_owned()))
                }
            };
            skip_space(&mut at, &mut whitespace);
            match bytes.get(at) {
                None => {}
                Some(b',') => {
                    at += 1;
                    if at == bytes.len() {
                        problems.push(issue(at - 1, "a comma ends the attribute list".into()));
                    }
                }
                Some(_) => {
                    problems.push(issue(
                        at,
                        format!("expected ',' after {name}, found {:?}", &text[at..]),
                    ));
                    while at < bytes.len() && bytes[at] != b',' {
                        at += 1;
                    }
                    at += 1;
                    continue;
                }
            }
            let Some(value) = value else { continue };
            if !is_attribute_name(name) {
                problems.push(issue(name_start, format!("bad attribute name {name:?}")));
            } else if list.get(name).is_some() {
                problems.push(AttributeError {
                    column: name_start,
                    detail: format!("attribute {name} appears twice"),
                    duplicate: true,
                });
            } else {
                list.0.push((name.to_owned(), value));
            }
        }
        if let Some(column) = whitespace {
            problems.push(AttributeError {
                column,
                detail: "whitespace in an attribute list".into(),
                duplicate: false,
            });
        }
        problems.sort_by_key(|p| p.column);
        (list, problems)
    }

    /// The value of attribute `name`, as written.
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Appends an attribute (for writers); a name already present is replaced.
    pub fn set(&mut self, name: &str, value: AttributeValue) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// Whether the attribute `name`, if present, has type `ty`.
    pub fn has_type(&self, name: &str, ty: AttributeType) -> bool {
        let Some(value) = self.get(name) else {
            return true;
        };
        match ty {
            AttributeType::Quoted => matches!(value, AttributeValue::Quoted(_)),
            AttributeType::Enumerated => matches!(value, AttributeValue::Unquoted(_)),
            AttributeType::Integer => self.integer(name).is_some(),
            AttributeType::Hex => self.hex(name).is_some(),
            AttributeType::Float => self.float(name).is_some_and(|f| f >= 0.0),
            AttributeType::SignedFloat => self.float(name).is_some(),
            AttributeType::Resolution => self.resolution(name).is_some(),
        }
    }

    /// A quoted-string attribute.
    pub fn quoted(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            AttributeValue::Quoted(s) => Some(s),
            AttributeValue::Unquoted(_) => None,
        }
    }

    /// An unquoted attribute as written (an enumerated-string, or any other unquoted type).
    pub fn enumerated(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            AttributeValue::Unquoted(s) => Some(s),
            AttributeValue::Quoted(_) => None,
        }
    }

    /// A decimal-integer attribute: digits only, below 2^64.
    pub fn integer(&self, name: &str) -> Option<u64> {
        decimal_integer(self.enumerated(name)?)
    }

    /// A decimal-floating-point or signed-decimal-floating-point attribute.
    pub fn float(&self, name: &str) -> Option<f64> {
        signed_decimal(self.enumerated(name)?)
    }

    /// A hexadecimal-sequence attribute, as bytes (an odd digit count has an implied leading 0).
    pub fn hex(&self, name: &str) -> Option<Vec<u8>> {
        let raw = self.enumerated(name)?;
        let digits = raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X"))?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let nibble = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
        let mut out = Vec::with_capacity(digits.len().div_ceil(2));
        let odd = digits.len() % 2;
        if odd == 1 {
            out.push(nibble(digits.as_bytes()[0]));
        }
        for pair in digits.as_bytes()[odd..].chunks(2) {
            out.push(nibble(pair[0]) << 4 | nibble(pair[1]));
        }
        Some(out)
    }

    /// A decimal-resolution attribute.
    pub fn resolution(&self, name: &str) -> Option<Resolution> {
        let (w, h) = self.enumerated(name)?.split_once('x')?;
        Some(Resolution {
            width: decimal_integer(w)?,
            height: decimal_integer(h)?,
        })
    }

    /// A `YES`/`NO` enumerated-string; anything else is `None`.
    pub fn yes_no(&self, name: &str) -> Option<bool> {
        match self.enumerated(name)? {
            "YES" => Some(true),
            "NO" => Some(false),
            _ => None,
        }
    }
}

/// Writes the list as it is read: `NAME=value` pairs joined by commas.
impl fmt::Display for AttributeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match value {
                AttributeValue::Quoted(s) => write!(f, "{name}=\"{s}\"")?,
                AttributeValue::Unquoted(s) => write!(f, "{name}={s}")?,
            }
        }
        Ok(())
    }
}

/// AttributeNames use `[A-Z]`, `[0-9]` and `-` (RFC 8216 §4.2).
fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// decimal-integer (RFC 8216 §4.2): digits only, in the range 0 to 2^64-1.
pub(crate) fn decimal_integer(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// decimal-floating-point (RFC 8216 §4.2): digits, optionally a '.' and more digits.
pub(crate) fn decimal(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (digits(int) && digits(frac))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|f: &f64| f.is_finite())
}

/// signed-decimal-floating-point (RFC 8216 §4.2): a decimal-floating-point, maybe after '-'.
pub(crate) fn signed_decimal(s: &str) -> Option<f64> {
    match s.strip_prefix('-') {
        Some(rest) => decimal(rest).map(|f| -f),
        None => decimal(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_on_access() {
        let text = r#"BANDWIDTH=1280000,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.97,IV=0x0a0B,TYPE=AUDIO,TIME-OFFSET=-2.5"#;
        let list = AttributeList::parse(text).unwrap();
        assert_eq!(list.integer("BANDWIDTH"), Some(1_280_000));
        assert_eq!(list.quoted("CODECS"), Some("avc1.4d401f,mp4a.40.2"));
        assert_eq!(
            list.resolution("RESOLUTION"),
            Some(Resolution {
                width: 1280,
                height: 720
            })
        );
        assert_eq!(list.float("FRAME-RATE"), Some(29.97));
        assert_eq!(list.hex("IV"), Some(vec![0x0a, 0x0b]));
        assert_eq!(list.enumerated("TYPE"), Some("AUDIO"));
        assert_eq!(list.float("TIME-OFFSET"), Some(-2.5));
        assert!(!list.has_type("TIME-OFFSET", AttributeType::Float));
        assert!(list.has_type("TIME-OFFSET", AttributeType::SignedFloat));
        assert!(!list.has_type("CODECS", AttributeType::Enumerated));
        assert!(list.has_type("ABSENT", AttributeType::Integer));
        assert_eq!(list.hex("BANDWIDTH"), None);
        assert_eq!(list.to_string(), text);
    }

    #[test]
    fn odd_hex_has_a_leading_zero() {
        let list = AttributeList::parse("IV=0xabc").unwrap();
        assert_eq!(list.hex("IV"), Some(vec![0x0a, 0xbc]));
    }

    #[test]
    fn errors_say_where() {
        let e = AttributeList::parse(r#"URI="a.ts"#).unwrap_err();
        assert_eq!(e.column, 4);
        assert!(e.detail.contains("unterminated"));
        let e = AttributeList::parse("A=1,A=2").unwrap_err();
        assert!(e.duplicate);
        assert_eq!(e.column, 4);
        assert!(AttributeList::parse("lower=1").is_err());
        assert!(AttributeList::parse("A=1,").is_err());
        assert!(AttributeList::parse("A=").is_err());
        assert!(AttributeList::parse("A=\"x\"y").is_err());
        assert_eq!(AttributeList::parse("").unwrap(), AttributeList::default());
    }

    #[test]
    fn lenient_reading_keeps_what_it_can() {
        let (list, problems) =
            AttributeList::parse_lenient(r#"PROGRAM-ID=1, BANDWIDTH=40000 ,bad=1,X,Y="a",Y=2"#);
        assert_eq!(list.integer("PROGRAM-ID"), Some(1));
        assert_eq!(list.integer("BANDWIDTH"), Some(40000));
        assert_eq!(list.quoted("Y"), Some("a"));
        assert_eq!(list.0.len(), 3);
        let details: Vec<_> = problems.iter().map(|p| p.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "whitespace in an attribute list",
                "bad attribute name \"bad\"",
                "attribute \"X\" without '=' and a value",
                "attribute Y appears twice",
            ]
        );
    }
}
