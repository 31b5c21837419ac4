//! The text layer (RFC 8866 §5): limits, UTF-8, line ends, and `<type>=<value>` lines with
//! their byte offsets.

use crate::rules;
use crate::{Error, Limits};
use weir_media::Violation;

/// One `<type>=<value>` line of a session description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The type letter (`v`, `o`, `m`, `a`, ...).
    pub kind: char,
    /// Everything after the `=`, without the line end.
    pub value: &'a str,
    /// Byte offset of the line's first byte in the input.
    pub offset: u64,
}

/// Splits `input` into lines: checks the size and line limits and the encoding (errors),
/// reports bare-LF line ends once (a SHOULD of RFC 8866 §5) and blank lines, and rejects a
/// line that is not a letter followed by `=`.
pub fn split<'a>(
    input: &'a [u8],
    limits: &Limits,
    violations: &mut Vec<Violation>,
) -> Result<Vec<Line<'a>>, Error> {
    if input.len() > limits.max_bytes {
        return Err(Error::rule(
            &rules::TEXT_SIZE,
            limits.max_bytes as u64,
            format!(
                "{} bytes, more than the limit of {}",
                input.len(),
                limits.max_bytes
            ),
        ));
    }
    let text = std::str::from_utf8(input).map_err(|e| {
        Error::rule(
            &rules::TEXT_ENCODING,
            e.valid_up_to() as u64,
            "the text is not UTF-8",
        )
    })?;
    if let Some(at) = text.find('\0') {
        return Err(Error::rule(
            &rules::TEXT_ENCODING,
            at as u64,
            "a NUL byte in the text",
        ));
    }
    let mut lines = Vec::new();
    let mut bare_lf_reported = false;
    let mut offset = 0usize;
    let mut rest = text;
    while !rest.is_empty() {
        let (raw, next, terminated) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..], true),
            None => (rest, "", false),
        };
        let line = match raw.strip_suffix('\r') {
            Some(line) => line,
            None => {
                if !bare_lf_reported {
                    bare_lf_reported = true;
                    let what = if terminated {
                        "a line ends with a bare LF"
                    } else {
                        "the last line has no CRLF"
                    };
                    violations.push(Violation::new(&rules::LINE_CRLF, offset as u64, what));
                }
                raw
            }
        };
        if line.is_empty() {
            violations.push(Violation::new(
                &rules::LINE_SYNTAX,
                offset as u64,
                "a blank line (skipped)",
            ));
        } else {
            if lines.len() >= limits.max_lines {
                return Err(Error::rule(
                    &rules::TEXT_LINES,
                    offset as u64,
                    format!("more than {} lines", limits.max_lines),
                ));
            }
            let bytes = line.as_bytes();
            if bytes.len() < 2 || !bytes[0].is_ascii_alphabetic() || bytes[1] != b'=' {
                let shown: String = line.chars().take(24).collect();
                return Err(Error::rule(
                    &rules::LINE_SYNTAX,
                    offset as u64,
                    format!("{shown:?} is not <letter>=<value>"),
                ));
            }
            lines.push(Line {
                kind: bytes[0] as char,
                value: &line[2..],
                offset: offset as u64,
            });
        }
        offset += raw.len() + usize::from(terminated);
        rest = next;
    }
    Ok(lines)
}
