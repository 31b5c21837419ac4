//! Trickle ICE and ICE restart fragments: `application/trickle-ice-sdpfrag` (RFC 8840 §9), the
//! body of a WHIP or WHEP `PATCH` (RFC 9725 §4.4). A fragment is SDP's attribute lines —
//! `a=ice-ufrag`, `a=ice-pwd`, `a=ice-options` — and, per media section (an `m=` line and its
//! `a=mid`), `a=candidate` and `a=end-of-candidates`; no `v=`, `o=`, `s=` or `t=`.

use crate::attribute::Attribute;
use crate::ice::Candidate;
use crate::{Error, Limits, line, rules};
use weir_media::Violation;

/// A parsed fragment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    /// `a=ice-ufrag`: new credentials mean an ICE restart (RFC 8840 §4.4, RFC 9725 §4.4.2).
    pub ufrag: Option<String>,
    /// `a=ice-pwd`.
    pub pwd: Option<String>,
    /// The media sections, in order (candidates before any `m=` line go in a first section
    /// without a mid).
    pub sections: Vec<FragmentSection>,
}

/// One media section of a fragment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FragmentSection {
    /// `a=mid`, when given.
    pub mid: Option<String>,
    /// The candidates trickled for it.
    pub candidates: Vec<Candidate>,
    /// `a=end-of-candidates`: the peer has no more (RFC 8838 §13).
    pub end_of_candidates: bool,
}

impl Fragment {
    /// Whether the fragment restarts ICE: it carries new credentials.
    pub fn is_restart(&self) -> bool {
        self.ufrag.is_some() && self.pwd.is_some()
    }

    /// Every candidate, with its section's mid.
    pub fn candidates(&self) -> impl Iterator<Item = (Option<&str>, &Candidate)> {
        self.sections
            .iter()
            .flat_map(|s| s.candidates.iter().map(move |c| (s.mid.as_deref(), c)))
    }
}

/// Parses a fragment within `limits`: the value and the violations found, or the error that
/// left nothing to read (the text layer's: size, lines, encoding).
pub fn parse_fragment(input: &[u8], limits: &Limits) -> Result<(Fragment, Vec<Violation>), Error> {
    let mut violations = Vec::new();
    let lines = line::split(input, limits, &mut violations)?;
    let mut fragment = Fragment::default();
    for l in lines {
        let section = |f: &mut Fragment| -> usize {
            if f.sections.is_empty() {
                f.sections.push(FragmentSection::default());
            }
            f.sections.len() - 1
        };
        match l.kind {
            'm' => fragment.sections.push(FragmentSection::default()),
            'a' => {
                let mut notes = Vec::new();
                let attribute = Attribute::parse(l.value, &mut notes);
                violations.extend(
                    notes
                        .into_iter()
                        .map(|p| Violation::new(p.rule, l.offset, p.detail)),
                );
                match attribute {
                    Attribute::IceUfrag(u) => fragment.ufrag = Some(u),
                    Attribute::IcePwd(p) => fragment.pwd = Some(p),
                    Attribute::Mid(mid) => {
                        let at = section(&mut fragment);
                        fragment.sections[at].mid = Some(mid);
                    }
                    Attribute::Candidate(c) => {
                        let at = section(&mut fragment);
                        fragment.sections[at].candidates.push(c);
                    }
                    Attribute::EndOfCandidates => {
                        let at = section(&mut fragment);
                        fragment.sections[at].end_of_candidates = true;
                    }
                    _ => {}
                }
            }
            other => violations.push(Violation::new(
                &rules::FRAGMENT_LINE,
                l.offset,
                format!("a {other}= line in a trickle ICE fragment"),
            )),
        }
    }
    if fragment.ufrag.is_some() != fragment.pwd.is_some() {
        violations.push(Violation::new(
            &rules::FRAGMENT_CREDENTIALS,
            0,
            "an ICE restart fragment with only one of a=ice-ufrag and a=ice-pwd",
        ));
    }
    Ok((fragment, violations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trickle_fragment_gives_its_candidates_by_section() {
        let text = "a=ice-options:trickle\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n\
a=candidate:1 1 udp 2130706431 192.0.2.1 9999 typ host\r\na=end-of-candidates\r\n";
        let (f, violations) = parse_fragment(text.as_bytes(), &Limits::default()).unwrap();
        assert!(violations.is_empty(), "{violations:?}");
        assert!(!f.is_restart());
        let all: Vec<_> = f.candidates().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0, Some("0"));
        assert_eq!(all[0].1.port, 9999);
        assert!(f.sections[0].end_of_candidates);
    }

    #[test]
    fn new_credentials_make_a_restart() {
        let text = "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n";
        let (f, violations) = parse_fragment(text.as_bytes(), &Limits::default()).unwrap();
        assert!(violations.is_empty(), "{violations:?}");
        assert!(f.is_restart());
        assert_eq!(f.ufrag.as_deref(), Some("EsAw"));
    }
}
