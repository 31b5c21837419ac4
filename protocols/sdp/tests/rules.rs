//! Every rule of the catalog fires on an input made to break it (and only those inputs'
//! rules are claimed): one table, one row per rule id.

use weir_sdp::{check_answer, check_offer, parse, rules};

/// A small, clean description to break.
const BASE: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=rtpmap:96 VP8/90000\r\n";

const FP: &str = "a=fingerprint:sha-256 \
00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\n";

/// A browser-style offer: BUNDLE, ICE, DTLS, audio sendrecv and video sendonly.
fn offer() -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n{FP}a=setup:actpass\r\na=sendrecv\r\n\
a=rtpmap:111 opus/48000/2\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n{FP}a=setup:actpass\r\na=sendonly\r\n\
a=rtpmap:96 VP8/90000\r\n"
    )
}

/// The answer that fits [`offer`].
fn answer() -> String {
    offer()
        .replace("actpass", "active")
        .replace("sendonly", "recvonly")
        .replace("ice-ufrag:abcd", "ice-ufrag:wxyz")
}

enum Input {
    /// A description to parse.
    Text(String),
    /// Raw bytes to parse.
    Bytes(Vec<u8>),
    /// An answer to check against [`offer`].
    Answer(String),
    /// An initial offer to check on its own.
    Offer(String),
    /// A trickle ICE fragment (RFC 8840 §9).
    Fragment(String),
}
use Input::{Answer, Bytes, Fragment, Offer, Text};

/// `BASE` with `line` added at the end (inside the video section).
fn media(line: &str) -> Input {
    Text(format!("{BASE}{line}\r\n"))
}

/// `BASE` with `old` replaced by `new`.
fn edit(old: &str, new: &str) -> Input {
    assert!(BASE.contains(old), "{old:?}");
    Text(BASE.replacen(old, new, 1))
}

fn answer_edit(old: &str, new: &str) -> Input {
    let a = answer();
    assert!(a.contains(old), "{old:?}");
    Answer(a.replacen(old, new, 1))
}

/// What an input makes fire: the parse error's rule, or the violations' rules (and, for an
/// answer, those of the offer/answer check).
fn fired(input: &Input) -> Vec<&'static str> {
    let bytes = match input {
        Text(t) | Answer(t) | Offer(t) => t.as_bytes().to_vec(),
        Bytes(b) => b.clone(),
        Fragment(f) => {
            return match weir_sdp::parse_fragment(f.as_bytes(), &weir_sdp::Limits::default()) {
                Err(e) => vec![e.rule_id()],
                Ok((_, violations)) => violations.iter().map(|v| v.rule.id).collect(),
            };
        }
    };
    match parse(&bytes) {
        Err(e) => vec![e.rule_id()],
        Ok((sd, violations)) => {
            let mut ids: Vec<_> = violations.iter().map(|v| v.rule.id).collect();
            if let Answer(_) = input {
                let (offer, _) = parse(offer()).expect("the offer parses");
                ids.extend(check_answer(&offer, &sd).iter().map(|v| v.rule.id));
            }
            if let Offer(_) = input {
                ids.extend(check_offer(&sd).iter().map(|v| v.rule.id));
            }
            ids
        }
    }
}

fn table() -> Vec<(&'static str, Input)> {
    let long_foundation = "f".repeat(33);
    vec![
        (
            "sdp.limits.size",
            media(&format!("a=x:{}", "y".repeat(70_000))),
        ),
        (
            "sdp.limits.lines",
            Text(format!("{BASE}{}", "a=x\r\n".repeat(5000))),
        ),
        (
            "sdp.text.encoding",
            Bytes([BASE.as_bytes(), b"a=x:\xff\r\n"].concat()),
        ),
        ("sdp.line.crlf", Text(BASE.replace("\r\n", "\n"))),
        ("sdp.line.syntax", media("junk")),
        ("sdp.line.whitespace", media("i= title")),
        ("sdp.line.first-version", edit("v=0\r\n", "")),
        ("sdp.line.order", edit("t=0 0\r\n", "t=0 0\r\ni=late\r\n")),
        ("sdp.line.unknown-type", media("x=1")),
        ("sdp.line.duplicate", edit("s=-\r\n", "s=-\r\ns=again\r\n")),
        ("sdp.version.value", edit("v=0", "v=1")),
        ("sdp.origin.syntax", edit("o=- 1 1 IN", "o=- 1 IN")),
        (
            "sdp.origin.missing",
            edit("o=- 1 1 IN IP4 127.0.0.1\r\n", ""),
        ),
        ("sdp.session-name.missing", edit("s=-\r\n", "")),
        (
            "sdp.connection.syntax",
            edit("c=IN IP4 0.0.0.0", "c=IN IP4"),
        ),
        ("sdp.connection.missing", edit("c=IN IP4 0.0.0.0\r\n", "")),
        (
            "sdp.bandwidth.syntax",
            edit("t=0 0\r\n", "b=AS:lots\r\nt=0 0\r\n"),
        ),
        ("sdp.timing.syntax", edit("t=0 0", "t=0")),
        ("sdp.timing.missing", edit("t=0 0\r\n", "")),
        (
            "sdp.media.syntax",
            edit("m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9"),
        ),
        ("sdp.media.port", edit("m=video 9", "m=video 70000")),
        ("sdp.media.format", edit("SAVPF 96", "SAVPF 96 200")),
        ("sdp.attribute.syntax", media("a=bad name:1")),
        (
            "sdp.attribute.level",
            edit("t=0 0\r\n", "t=0 0\r\na=rtcp-mux\r\n"),
        ),
        ("sdp.direction.duplicate", media("a=sendonly\r\na=recvonly")),
        ("sdp.rtpmap.syntax", media("a=rtpmap:96 VP8")),
        ("sdp.rtpmap.payload-type", media("a=rtpmap:97 VP9/90000")),
        ("sdp.fmtp.syntax", media("a=fmtp:96")),
        ("sdp.fmtp.format", media("a=fmtp:97 apt=96")),
        ("sdp.rtcp-fb.syntax", media("a=rtcp-fb:96 trr-int soon")),
        ("sdp.rtcp-fb.payload-type", media("a=rtcp-fb:97 nack")),
        ("sdp.rtcp.syntax", media("a=rtcp:port")),
        ("sdp.ice.ufrag-length", media("a=ice-ufrag:ab")),
        ("sdp.ice.pwd-length", media("a=ice-pwd:tooshort")),
        (
            "sdp.ice.credentials-missing",
            answer_edit("a=ice-ufrag:wxyz\r\n", ""),
        ),
        (
            "sdp.ice.candidate-syntax",
            media("a=candidate:1 1 UDP 1 192.0.2.1 9 host"),
        ),
        (
            "sdp.ice.candidate-foundation",
            media(&format!(
                "a=candidate:{long_foundation} 1 UDP 1 192.0.2.1 9 typ host"
            )),
        ),
        (
            "sdp.ice.candidate-component",
            media("a=candidate:1 0 UDP 1 192.0.2.1 9 typ host"),
        ),
        (
            "sdp.ice.candidate-priority",
            media("a=candidate:1 1 UDP 0 192.0.2.1 9 typ host"),
        ),
        (
            "sdp.ice.remote-candidates-syntax",
            media("a=remote-candidates:1 192.0.2.1"),
        ),
        ("sdp.ptime.syntax", media("a=ptime:0")),
        ("sdp.sctp.syntax", media("a=sctp-port:none")),
        (
            "sdp.dtls.fingerprint-missing",
            Answer(answer().replace(FP, "")),
        ),
        (
            "sdp.offer-answer.rtcp-mux",
            answer_edit("a=mid:0\r\n", "a=mid:0\r\na=rtcp-mux\r\n"),
        ),
        (
            "sdp.ice.options-syntax",
            media("a=ice-options:trickle  renomination"),
        ),
        (
            "sdp.dtls.fingerprint-syntax",
            media("a=fingerprint:sha-256 XY:Z"),
        ),
        (
            "sdp.dtls.fingerprint-hash",
            media("a=fingerprint:sha-999 AB:CD"),
        ),
        (
            "sdp.dtls.fingerprint-length",
            media("a=fingerprint:sha-256 AB:CD"),
        ),
        ("sdp.dtls.setup-value", media("a=setup:both")),
        (
            "sdp.dtls.setup-offer",
            Offer(offer().replacen("a=setup:actpass", "a=setup:passive", 1)),
        ),
        (
            "sdp.dtls.setup-answer",
            answer_edit("a=setup:active", "a=setup:actpass"),
        ),
        (
            "sdp.group.syntax",
            edit("t=0 0\r\n", "t=0 0\r\na=group:BUNDLE  0\r\n"),
        ),
        (
            "sdp.mid.duplicate",
            Text(format!("{BASE}m=audio 9 RTP/AVP 0\r\na=mid:0\r\n")),
        ),
        (
            "sdp.bundle.mid-unknown",
            edit("t=0 0\r\n", "t=0 0\r\na=group:BUNDLE 0 1\r\n"),
        ),
        (
            "sdp.extmap.syntax",
            media("a=extmap:0 urn:ietf:params:rtp-hdrext:sdes:mid"),
        ),
        (
            "sdp.extmap.duplicate-id",
            media("a=extmap:1 urn:a\r\na=extmap:1 urn:b"),
        ),
        ("sdp.ssrc.syntax", media("a=ssrc:abc cname:x")),
        ("sdp.ssrc-group.syntax", media("a=ssrc-group:FID 1 two")),
        ("sdp.msid.syntax", media("a=msid:a b c")),
        ("sdp.rid.syntax", media("a=rid:h both")),
        ("sdp.simulcast.syntax", media("a=simulcast:send")),
        (
            "sdp.simulcast.rid-unknown",
            media("a=rid:h send\r\na=simulcast:send h;l"),
        ),
        ("sdp.rtsp.range-syntax", media("a=range:0-10")),
        ("sdp.gb28181.y-syntax", media("y=12345")),
        ("sdp.gb28181.f-syntax", media("f=v/2/4/25a/1/1")),
        ("sdp.offer-answer.m-line-count", {
            let a = answer();
            let cut = a.find("m=video").expect("video");
            Answer(a[..cut].replace("BUNDLE 0 1", "BUNDLE 0"))
        }),
        (
            "sdp.offer-answer.media-type",
            answer_edit("m=video", "m=text"),
        ),
        (
            "sdp.offer-answer.payload-type",
            answer_edit("SAVPF 111 0", "SAVPF 111 8"),
        ),
        ("sdp.offer-answer.mid", answer_edit("a=mid:1", "a=mid:one")),
        (
            "sdp.offer-answer.bundle-subset",
            answer_edit("BUNDLE 0 1", "BUNDLE 0 1 2"),
        ),
        (
            "sdp.offer-answer.bundle-tag",
            answer_edit("m=audio 9", "m=audio 0"),
        ),
        (
            "sdp.offer-answer.direction",
            answer_edit("a=recvonly", "a=sendonly"),
        ),
        (
            "sdp.fragment.line",
            Fragment("v=0\r\na=ice-options:trickle\r\n".into()),
        ),
        (
            "sdp.fragment.credentials",
            Fragment("a=ice-ufrag:abcd\r\n".into()),
        ),
    ]
}

#[test]
fn every_rule_fires_on_its_input() {
    let table: Vec<_> = table()
        .iter()
        .map(|(id, input)| (*id, fired(input)))
        .collect();
    weir_testkit::rule_table::check(rules::CATALOG, &table);
}

#[test]
fn the_clean_inputs_fire_nothing() {
    assert_eq!(fired(&Text(BASE.to_string())), Vec::<&str>::new());
    assert_eq!(fired(&Answer(answer())), Vec::<&str>::new());
    assert_eq!(fired(&Offer(offer())), Vec::<&str>::new());
    let trickle = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\nm=audio 9 RTP/AVP 0\r\n\
a=mid:0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 9 typ host\r\na=end-of-candidates\r\n";
    assert_eq!(fired(&Fragment(trickle.into())), Vec::<&str>::new());
}

#[test]
fn rule_ids_are_unique_and_well_formed() {
    let mut ids: Vec<&str> = rules::CATALOG.iter().map(|r| r.id).collect();
    assert!(
        ids.iter()
            .all(|id| id.starts_with("sdp.") && id.split('.').count() == 3)
    );
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(n >= 45, "{n} rules");
}
