//! The offers the signalling cases send, shaped like what real WHIP/WHEP clients send:
//! Chromium's (per-m-line transport attributes, H.264 and VP8 with RTX, trickle), Firefox's
//! (session-level fingerprint, its own payload types), and narrower ones. ICE credentials
//! and the fingerprint are fresh per offer; no candidate is listed (trickle ICE, RFC 8838),
//! so a server that only signals never reaches us.

use std::fmt::Write;

use rand::Rng;

/// Which way the media goes: a WHIP client sends, a WHEP client receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Whip,
    Whep,
}

impl Side {
    /// "WHIP" or "WHEP", as reports name them.
    pub fn name(self) -> &'static str {
        match self {
            Side::Whip => "WHIP",
            Side::Whep => "WHEP",
        }
    }

    fn direction(self) -> &'static str {
        match self {
            Side::Whip => "sendonly",
            Side::Whep => "recvonly",
        }
    }
}

/// Whose offer to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Chromium,
    Firefox,
}

/// The video formats an offer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Video {
    /// None: audio only.
    None,
    /// H.264 (packetization-mode 1 and 0) and VP8, each with RTX.
    Usual,
    /// H.264 packetization-mode 0 only.
    H264Mode0,
    /// A made-up codec no server knows.
    Unknown,
}

/// What to offer.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub side: Side,
    pub flavour: Flavour,
    pub audio: bool,
    pub video: Video,
}

impl Shape {
    pub fn new(side: Side, flavour: Flavour) -> Shape {
        Shape {
            side,
            flavour,
            audio: true,
            video: Video::Usual,
        }
    }
}

/// ICE credentials (RFC 8839 §5.4: ufrag of 4+ and pwd of 22+ ice-chars).
fn ice_chars(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// A SHA-256 fingerprint of no certificate: enough for signalling (RFC 8122 §5 syntax).
fn fingerprint() -> String {
    let mut rng = rand::rng();
    let bytes: Vec<String> = (0..32)
        .map(|_| format!("{:02X}", rng.random::<u8>()))
        .collect();
    format!("sha-256 {}", bytes.join(":"))
}

/// The offer's text.
pub fn offer(shape: Shape) -> String {
    let ufrag = ice_chars(8);
    let pwd = ice_chars(24);
    let fp = fingerprint();
    let chromium = shape.flavour == Flavour::Chromium;
    let mut mids = Vec::new();
    if shape.audio {
        mids.push("0");
    }
    if shape.video != Video::None {
        mids.push(if shape.audio { "1" } else { "0" });
    }
    let mut sdp = String::new();
    let origin = if chromium {
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1"
    } else {
        "o=mozilla...THIS_IS_SDPARTA-99.0 4350498331339530539 0 IN IP4 0.0.0.0"
    };
    let _ = write!(sdp, "v=0\r\n{origin}\r\ns=-\r\nt=0 0\r\n",);
    if !chromium {
        let _ = write!(sdp, "a=fingerprint:{fp}\r\na=ice-options:trickle\r\n");
    }
    let _ = write!(sdp, "a=group:BUNDLE {}\r\n", mids.join(" "));
    sdp.push_str(if chromium {
        "a=extmap-allow-mixed\r\na=msid-semantic: WMS weir\r\n"
    } else {
        "a=msid-semantic:WMS *\r\n"
    });
    let mut i = 0;
    let mut section = |sdp: &mut String, kind: &str, formats: &[u8], lines: &str| {
        let mid = mids[i];
        i += 1;
        let pts: Vec<String> = formats.iter().map(u8::to_string).collect();
        let _ = write!(
            sdp,
            "m={kind} 9 UDP/TLS/RTP/SAVPF {}\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n",
            pts.join(" ")
        );
        let _ = write!(sdp, "a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n");
        if chromium {
            let _ = write!(sdp, "a=ice-options:trickle\r\na=fingerprint:{fp}\r\n");
        }
        let _ = write!(
            sdp,
            "a=setup:actpass\r\na=mid:{mid}\r\na={}\r\n",
            shape.side.direction()
        );
        if shape.side == Side::Whip {
            let _ = write!(sdp, "a=msid:weir weir-{kind}\r\n");
        }
        let _ = write!(sdp, "a=rtcp-mux\r\n{lines}");
    };
    if shape.audio {
        let (pt, lines) = if chromium {
            (
                111,
                "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n",
            )
        } else {
            (
                109,
                "a=rtpmap:109 opus/48000/2\r\na=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n",
            )
        };
        section(&mut sdp, "audio", &[pt], lines);
    }
    match shape.video {
        Video::None => {}
        Video::Usual if chromium => section(
            &mut sdp,
            "video",
            &[96, 97, 102, 103, 127, 125],
            "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n\
             a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n\
             a=rtpmap:102 H264/90000\r\na=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\n\
             a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n\
             a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n\
             a=rtpmap:127 H264/90000\r\na=rtcp-fb:127 nack\r\na=rtcp-fb:127 nack pli\r\n\
             a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n\
             a=rtpmap:125 rtx/90000\r\na=fmtp:125 apt=127\r\n",
        ),
        Video::Usual => section(
            &mut sdp,
            "video",
            &[120, 124, 126, 127, 97, 98],
            "a=rtpmap:120 VP8/90000\r\na=fmtp:120 max-fs=12288;max-fr=60\r\n\
             a=rtcp-fb:120 nack\r\na=rtcp-fb:120 nack pli\r\na=rtcp-fb:120 ccm fir\r\n\
             a=rtpmap:124 rtx/90000\r\na=fmtp:124 apt=120\r\n\
             a=rtpmap:126 H264/90000\r\n\
             a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1\r\n\
             a=rtcp-fb:126 nack\r\na=rtcp-fb:126 nack pli\r\na=rtcp-fb:126 ccm fir\r\n\
             a=rtpmap:127 rtx/90000\r\na=fmtp:127 apt=126\r\n\
             a=rtpmap:97 H264/90000\r\n\
             a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1\r\n\
             a=rtcp-fb:97 nack\r\na=rtcp-fb:97 nack pli\r\na=rtcp-fb:97 ccm fir\r\n\
             a=rtpmap:98 rtx/90000\r\na=fmtp:98 apt=97\r\n",
        ),
        Video::H264Mode0 => section(
            &mut sdp,
            "video",
            &[127],
            "a=rtpmap:127 H264/90000\r\na=rtcp-fb:127 nack\r\na=rtcp-fb:127 nack pli\r\n\
             a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n",
        ),
        Video::Unknown => section(
            &mut sdp,
            "video",
            &[100],
            "a=rtpmap:100 X-WEIR-NONE/90000\r\n",
        ),
    }
    sdp
}

/// A trickle ICE fragment (RFC 8840 §4.4) for the first m= line of `offer`: its ICE
/// credentials, its mid, one host candidate and end-of-candidates.
pub fn sdpfrag(offer: &str) -> String {
    let find = |prefix: &str| {
        offer
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    format!(
        "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:{}\r\n\
         a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n",
        find("a=ice-ufrag:"),
        find("a=ice-pwd:"),
        find("a=mid:")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offer_shape_is_an_initial_offer_weir_sdp_accepts() {
        for side in [Side::Whip, Side::Whep] {
            for flavour in [Flavour::Chromium, Flavour::Firefox] {
                for (audio, video) in [
                    (true, Video::Usual),
                    (true, Video::None),
                    (false, Video::Usual),
                    (false, Video::H264Mode0),
                    (false, Video::Unknown),
                ] {
                    let text = offer(Shape {
                        side,
                        flavour,
                        audio,
                        video,
                    });
                    let (sd, violations) = weir_sdp::parse(&text).unwrap();
                    assert!(violations.is_empty(), "{violations:?}\n{text}");
                    assert!(weir_sdp::check_offer(&sd).is_empty(), "{text}");
                    assert_eq!(
                        sd.media.len(),
                        usize::from(audio) + usize::from(video != Video::None)
                    );
                }
            }
        }
    }

    #[test]
    fn the_fragment_names_the_offer_credentials_and_mid() {
        let text = offer(Shape::new(Side::Whip, Flavour::Chromium));
        let frag = sdpfrag(&text);
        let ufrag = text
            .lines()
            .find(|l| l.starts_with("a=ice-ufrag:"))
            .unwrap();
        assert!(
            frag.contains(ufrag) && frag.contains("a=mid:0\r\n"),
            "{frag}"
        );
        assert!(frag.ends_with("a=end-of-candidates\r\n"));
    }
}
