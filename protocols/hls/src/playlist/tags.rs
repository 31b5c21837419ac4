//! Typed tag values (RFC 8216 §4.3): what the parser makes of one tag's value.
//!
//! Each reader returns what it could read and pushes what was wrong, with the rule it breaks,
//! into `problems`; the parser adds the line.

use super::attributes::{AttributeList, AttributeType, decimal_integer, signed_decimal};
use super::{ByteRange, Key, KeyMethod, Map, MediaType, Start};
use crate::rules::*;
use weir_media::Rule;

/// What was wrong with a tag: the rule and a description.
pub(crate) type Problems = Vec<(&'static Rule, String)>;

use AttributeType::*;

/// The types RFC 8216 gives the attributes of each tag it defines (§4.3.2.4, §4.3.2.5,
/// §4.3.4.1-3, §4.3.5.2). Attributes not listed are not checked (§6.3.1: ignored).
const TYPES: &[(&str, &[(&str, AttributeType)])] = &[
    (
        "EXT-X-KEY",
        &[
            ("METHOD", Enumerated),
            ("URI", Quoted),
            ("IV", Hex),
            ("KEYFORMAT", Quoted),
            ("KEYFORMATVERSIONS", Quoted),
        ],
    ),
    ("EXT-X-MAP", &[("URI", Quoted), ("BYTERANGE", Quoted)]),
    (
        "EXT-X-MEDIA",
        &[
            ("TYPE", Enumerated),
            ("URI", Quoted),
            ("GROUP-ID", Quoted),
            ("LANGUAGE", Quoted),
            ("ASSOC-LANGUAGE", Quoted),
            ("NAME", Quoted),
            ("DEFAULT", Enumerated),
            ("AUTOSELECT", Enumerated),
            ("FORCED", Enumerated),
            ("INSTREAM-ID", Quoted),
            ("CHARACTERISTICS", Quoted),
            ("CHANNELS", Quoted),
        ],
    ),
    (
        "EXT-X-STREAM-INF",
        &[
            ("BANDWIDTH", Integer),
            ("AVERAGE-BANDWIDTH", Integer),
            ("PROGRAM-ID", Integer),
            ("CODECS", Quoted),
            ("RESOLUTION", Resolution),
            ("FRAME-RATE", Float),
            ("HDCP-LEVEL", Enumerated),
            ("AUDIO", Quoted),
            ("VIDEO", Quoted),
            ("SUBTITLES", Quoted),
        ],
    ),
    (
        "EXT-X-I-FRAME-STREAM-INF",
        &[
            ("BANDWIDTH", Integer),
            ("AVERAGE-BANDWIDTH", Integer),
            ("PROGRAM-ID", Integer),
            ("CODECS", Quoted),
            ("RESOLUTION", Resolution),
            ("HDCP-LEVEL", Enumerated),
            ("VIDEO", Quoted),
            ("URI", Quoted),
        ],
    ),
    (
        "EXT-X-START",
        &[("TIME-OFFSET", SignedFloat), ("PRECISE", Enumerated)],
    ),
];

/// Attributes whose enumerated-string is YES or NO.
const YES_NO: &[&str] = &["DEFAULT", "AUTOSELECT", "FORCED", "PRECISE"];

/// Reads a tag's attribute list leniently and checks the types of the attributes `tag`
/// defines.
pub(crate) fn attributes(tag: &str, value: &str, problems: &mut Problems) -> AttributeList {
    let (list, syntax) = AttributeList::parse_lenient(value);
    for e in syntax {
        let rule = match e.duplicate {
            true => &ATTRIBUTE_DUPLICATE,
            false => &ATTRIBUTE_SYNTAX,
        };
        problems.push((rule, format!("{tag}, column {}: {}", e.column, e.detail)));
    }
    let types = TYPES
        .iter()
        .find(|(t, _)| *t == tag)
        .map_or(&[][..], |t| t.1);
    for &(name, ty) in types {
        if !list.has_type(name, ty) {
            problems.push((&ATTRIBUTE_TYPE, format!("{tag} {name} is not {ty}")));
        }
    }
    for name in YES_NO {
        if types.iter().any(|(n, _)| n == name)
            && list.get(name).is_some()
            && list.yes_no(name).is_none()
        {
            problems.push((
                &ATTRIBUTE_TYPE,
                format!("{tag} {name} is neither YES nor NO"),
            ));
        }
    }
    if tag == "EXT-X-STREAM-INF"
        && list.get("CLOSED-CAPTIONS").is_some()
        && list.quoted("CLOSED-CAPTIONS").is_none()
        && list.enumerated("CLOSED-CAPTIONS") != Some("NONE")
    {
        problems.push((
            &ATTRIBUTE_TYPE,
            "EXT-X-STREAM-INF CLOSED-CAPTIONS is neither a quoted-string nor NONE".into(),
        ));
    }
    list
}

/// `<n>[@<o>]` (RFC 8216 §4.3.2.2, §4.3.2.5).
pub(crate) fn byte_range(value: &str) -> Option<(u64, Option<u64>)> {
    match value.split_once('@') {
        Some((n, o)) => Some((decimal_integer(n)?, Some(decimal_integer(o)?))),
        None => Some((decimal_integer(value)?, None)),
    }
}

/// EXT-X-KEY (RFC 8216 §4.3.2.4): `Ok(None)` for METHOD=NONE, which ends encryption;
/// `Err(())` for a key that cannot be used (reported).
pub(crate) fn key(list: &AttributeList, problems: &mut Problems) -> Result<Option<Key>, ()> {
    let method = match list.enumerated("METHOD") {
        Some("NONE") => {
            if list.get("URI").is_some() || list.get("IV").is_some() {
                problems.push((&KEY, "METHOD=NONE with a URI or an IV".into()));
            }
            return Ok(None);
        }
        Some("AES-128") => KeyMethod::Aes128,
        Some("SAMPLE-AES") => KeyMethod::SampleAes,
        other => {
            problems.push((&KEY, format!("EXT-X-KEY METHOD {other:?}")));
            return Err(());
        }
    };
    let Some(uri) = list.quoted("URI") else {
        problems.push((&KEY, "EXT-X-KEY without a quoted URI".into()));
        return Err(());
    };
    let iv = match list.hex("IV") {
        None => None,
        Some(bytes) => match <[u8; 16]>::try_from(bytes.as_slice()) {
            Ok(iv) => Some(iv),
            Err(_) => {
                problems.push((&KEY, format!("IV of {} bytes, not 16", bytes.len())));
                None
            }
        },
    };
    Ok(Some(Key {
        method,
        uri: uri.to_owned(),
        iv,
        key_format: list.quoted("KEYFORMAT").map(str::to_owned),
        key_format_versions: list.quoted("KEYFORMATVERSIONS").map(str::to_owned),
    }))
}

/// EXT-X-MAP (RFC 8216 §4.3.2.5); `None` if it has no URI (reported).
pub(crate) fn map(list: &AttributeList, problems: &mut Problems) -> Option<Map> {
    let Some(uri) = list.quoted("URI") else {
        problems.push((&MAP, "EXT-X-MAP without a quoted URI".into()));
        return None;
    };
    let byte_range = match list.quoted("BYTERANGE").map(|r| (r, byte_range(r))) {
        None => None,
        Some((_, Some((length, offset)))) => Some(ByteRange {
            length,
            offset: offset.unwrap_or(0),
        }),
        Some((range, None)) => {
            problems.push((&MAP, format!("EXT-X-MAP BYTERANGE {range:?}")));
            None
        }
    };
    Some(Map {
        uri: uri.to_owned(),
        byte_range,
    })
}

/// EXT-X-START (RFC 8216 §4.3.5.2); `None` without a TIME-OFFSET (reported).
pub(crate) fn start(list: &AttributeList, problems: &mut Problems) -> Option<Start> {
    let Some(time_offset) = list.enumerated("TIME-OFFSET").and_then(signed_decimal) else {
        problems.push((&START, "EXT-X-START without a TIME-OFFSET".into()));
        return None;
    };
    Some(Start {
        time_offset,
        precise: list.yes_no("PRECISE") == Some(true),
    })
}

/// EXT-X-MEDIA (RFC 8216 §4.3.4.1): whether the rendition can be kept (TYPE, GROUP-ID and
/// NAME readable); every broken requirement is reported.
pub(crate) fn rendition(list: &AttributeList, problems: &mut Problems) -> bool {
    let kind = list.enumerated("TYPE").and_then(MediaType::parse);
    let mut usable = true;
    if kind.is_none() {
        problems.push((
            &MEDIA_TAG,
            format!("EXT-X-MEDIA TYPE {:?}", list.enumerated("TYPE")),
        ));
        usable = false;
    }
    for required in ["GROUP-ID", "NAME"] {
        if list.quoted(required).is_none() {
            problems.push((
                &MEDIA_TAG,
                format!("EXT-X-MEDIA without a quoted {required}"),
            ));
            usable = false;
        }
    }
    let captions = kind == Some(MediaType::ClosedCaptions);
    if captions && list.get("URI").is_some() {
        problems.push((&MEDIA_TAG, "a CLOSED-CAPTIONS rendition with a URI".into()));
    }
    if captions != list.get("INSTREAM-ID").is_some() {
        problems.push((
            &MEDIA_TAG,
            "INSTREAM-ID is required for CLOSED-CAPTIONS renditions and only for them".into(),
        ));
    }
    if list.get("FORCED").is_some() && kind != Some(MediaType::Subtitles) {
        problems.push((
            &MEDIA_TAG,
            "FORCED on a rendition other than SUBTITLES".into(),
        ));
    }
    if list.yes_no("DEFAULT") == Some(true) && list.yes_no("AUTOSELECT") == Some(false) {
        problems.push((&MEDIA_TAG, "DEFAULT=YES with AUTOSELECT=NO".into()));
    }
    usable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(tag: &str, value: &str) -> (AttributeList, Vec<&'static str>) {
        let mut problems = Problems::new();
        let list = attributes(tag, value, &mut problems);
        (list, problems.iter().map(|(r, _)| r.id).collect())
    }

    #[test]
    fn types_are_checked_per_tag() {
        let (_, ids) = read(
            "EXT-X-I-FRAME-STREAM-INF",
            r#"BANDWIDTH="INVALIDBW",URI="hi/iframe.m3u8",RESOLUTION="2x2""#,
        );
        assert_eq!(ids, ["hls.attribute.type", "hls.attribute.type"]);
        let (_, ids) = read("EXT-X-MEDIA", "TYPE=AUDIO,DEFAULT=yes");
        assert_eq!(ids, ["hls.attribute.type"]);
        let (_, ids) = read("EXT-X-STREAM-INF", "BANDWIDTH=1,CLOSED-CAPTIONS=NONE");
        assert!(ids.is_empty());
        let (_, ids) = read("EXT-X-UNKNOWN", "X=\"1\"");
        assert!(ids.is_empty());
    }

    #[test]
    fn keys() {
        let mut problems = Problems::new();
        let list = AttributeList::parse(
            r#"METHOD=AES-128,URI="k.bin",IV=0x000102030405060708090A0B0C0D0E0F"#,
        )
        .unwrap();
        let key = key(&list, &mut problems).unwrap().unwrap();
        assert_eq!(key.iv.unwrap()[15], 15);
        let none = AttributeList::parse("METHOD=NONE").unwrap();
        assert_eq!(super::key(&none, &mut problems), Ok(None));
        let bad = AttributeList::parse("METHOD=ROT13,URI=\"k\"").unwrap();
        assert_eq!(super::key(&bad, &mut problems), Err(()));
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn renditions() {
        let mut problems = Problems::new();
        let ok = AttributeList::parse(
            r#"TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="en",INSTREAM-ID="CC1",DEFAULT=YES"#,
        )
        .unwrap();
        assert!(rendition(&ok, &mut problems) && problems.is_empty());
        let bad =
            AttributeList::parse(r#"TYPE=AUDIO,GROUP-ID="a",INSTREAM-ID="CC1",FORCED=NO"#).unwrap();
        assert!(!rendition(&bad, &mut problems));
        assert_eq!(problems.len(), 3);
    }
}
