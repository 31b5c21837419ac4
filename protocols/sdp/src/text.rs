//! Character classes and field splitting shared by the line and attribute parsers (RFC 8866
//! §9 grammar: `token`, RFC 8839 §5.1: `ice-char`).

use weir_media::Rule;

/// A problem found in one line's value: the rule it breaks and what was wrong. The parser
/// adds the line's offset and turns it into a violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub rule: &'static Rule,
    pub detail: String,
}

/// A [`Problem`] for `rule`.
pub(crate) fn problem(rule: &'static Rule, detail: impl Into<String>) -> Problem {
    Problem {
        rule,
        detail: detail.into(),
    }
}

/// RFC 8866 §9 `token-char`: visible ASCII except separators.
pub(crate) fn is_token_char(c: char) -> bool {
    matches!(c, '!' | '#'..='\'' | '*' | '+' | '-' | '.' | '0'..='9' | 'A'..='Z' | '^'..='~')
}

/// A non-empty RFC 8866 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// RFC 8839 §5.1 `ice-char`: ALPHA / DIGIT / "+" / "/".
pub(crate) fn is_ice_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
}

/// The fields of `s` separated by single spaces; `None` if any field is empty (a leading,
/// trailing or doubled space), so that what parses is exactly what the writer produces.
pub(crate) fn fields(s: &str) -> Option<Vec<&str>> {
    let fields: Vec<&str> = s.split(' ').collect();
    fields.iter().all(|f| !f.is_empty()).then_some(fields)
}

/// A decimal number with digits only (no sign, no spaces).
pub(crate) fn decimal<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
