//! The protocol table (DESIGN.md, "Conformance harness"): one [`Row`] per protocol the
//! harness knows — its name, the transports it runs over, what its first bytes look like, the
//! port it usually listens on, the rules a flow of it is judged by and the catalog they come
//! from, the observer that reads its flows and the prober that plays it against a live
//! server. Detection ([`detect`](crate::detect)), `weir check`'s choice of observer,
//! `weir rules` ([`catalog`](crate::catalog)) and `weir probe` ([`probe()`]) read it and nothing
//! else: adding a protocol is a row here, an observer and (optionally) a prober
//! (`docs/adding-a-protocol.md`).
//!
//! Rows are in detection order: content is asked of each row's sniffer in turn, so a row
//! whose sniffer is looser comes after those it could mistake (RTP's version bits after SRT's
//! handshake, TS carried in RTP and PS carried in RTP (GB28181); TS's sync byte, a `G`, after
//! HTTP's request line).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use weir_media::Rule;

use crate::capture::Transport;
use crate::observe::Observer;
use crate::observe::es::EsObserver;
use crate::observe::flv::FlvObserver;
use crate::observe::http::HttpObserver;
use crate::observe::http::reloads::SharedReloads;
use crate::observe::mp4::Mp4Observer;
use crate::observe::mpegps::PsObserver;
use crate::observe::mpegts::TsObserver;
use crate::observe::playlist::PlaylistObserver;
use crate::observe::rtmp::RtmpObserver;
use crate::observe::rtp::RtpObserver;
use crate::observe::sdp::{SdpObserver, SharedLearned};
use crate::observe::srt::SrtObserver;
use crate::observe::webrtc::WebRtcObserver;
use crate::probe::{self, CaseInfo, CaseResult, ProbeReport};
use crate::sniff::{self, DatagramSniffer, FileSniffer, StreamSniffer};

/// What a flow carries, as far as the harness can tell: each is one row of [`TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Rtmp,
    /// RTMPE: C0 version 6, encrypted after the handshake; recognised, not observed.
    Rtmpe,
    Http,
    MpegTs,
    /// An MPEG-2 program stream (ISO/IEC 13818-1 §2.5): GB28181's PS over RTP over UDP or TCP
    /// (RFC 4571), or a `.ps`/`.mpg`/`.vob` file.
    MpegPs,
    /// An HLS playlist (RFC 8216), read from a file.
    Hls,
    Rtp,
    /// A session description (RFC 8866): a file, or an offer and its answer.
    Sdp,
    /// STUN, DTLS and SRTP on one UDP port (RFC 7983), or STUN alone.
    WebRtc,
    Srt,
    /// An ISO base media file (MP4, ISO/IEC 14496-12): a recording, an init segment or a
    /// fragment.
    Mp4,
    /// A bare FLV file (FLV 10.1 §E): a recording, or an HTTP-FLV body saved to disk (FLV in
    /// an HTTP flow is the HTTP observer's).
    Flv,
    /// A raw elementary stream file: H.264 or H.265 Annex B, or ADTS AAC.
    Es,
    /// What no sniffer claimed.
    Unknown,
}

/// One protocol: everything the harness knows of it.
pub struct Row {
    pub protocol: Protocol,
    /// What users type (`--decode-as 8080=rtmp`) and reports show (`proto: rtmp`).
    pub name: &'static str,
    /// What it runs over; the port hint applies to flows of these.
    pub transports: &'static [Transport],
    pub sniff: Sniffers,
    /// The port a server of it usually listens on: the hint when content is too short to tell.
    pub usual_port: Option<u16>,
    /// The rule id prefixes a flow of it is judged by: its own and those of the formats it
    /// carries; the other rules are not applicable to it.
    pub rule_prefixes: &'static [&'static str],
    /// Its crate's rule catalog (the formats it carries have theirs in
    /// [`catalog::CARRIED`](crate::catalog::CARRIED)).
    pub catalog: Option<Catalog>,
    /// What reads its flows.
    pub observer: Observing,
    /// What plays it against a live server.
    pub prober: Option<Prober>,
}

/// A protocol's content sniffers (`crate::sniff`), one per carrier it can come in.
#[derive(Clone, Copy, Default)]
pub struct Sniffers {
    pub stream: Option<StreamSniffer>,
    pub datagram: Option<DatagramSniffer>,
    pub file: Option<FileSniffer>,
}

/// A crate's rule catalog and the id prefixes its rules use.
#[derive(Clone, Copy)]
pub struct Catalog {
    pub rules: &'static [&'static Rule],
    pub prefixes: &'static [&'static str],
}

/// What an observer is made for: one flow of one input.
pub struct Flow<'a> {
    pub transport: Transport,
    pub server: SocketAddr,
    /// The capture started inside the flow (no SYN).
    pub midstream: bool,
    /// The playlist loads of the whole input, which HTTP flows compare.
    pub reloads: &'a SharedReloads,
    /// What the input's descriptions and the options say: payload types, ICE credentials.
    pub learned: &'a SharedLearned,
}

/// What reads a protocol's flows.
#[derive(Clone, Copy)]
pub enum Observing {
    /// Makes the observer of one flow, or says why none can read this one.
    By(fn(&Flow) -> Result<Box<dyn Observer>, String>),
    /// Recognised, never read: why.
    Never(&'static str),
    /// No observer yet.
    NotYet,
}

/// A prober: the client played against a live server, case by case (`weir probe`).
#[derive(Clone, Copy)]
pub struct Prober {
    /// What `weir probe --as NAME` calls it.
    pub name: &'static str,
    /// The URL schemes it takes.
    pub schemes: &'static [&'static str],
    /// Of the URLs of those schemes, the ones it claims by their path (`/whip`), before a
    /// prober that claims none; `None`: every URL its schemes leave to it.
    pub claims: Option<fn(&str) -> bool>,
    /// The URLs it takes, as `weir probe --list` heads its cases.
    pub url: &'static str,
    /// The rules only a live server can be judged on (`weir rules` lists them; `weir check`
    /// leaves them out).
    pub live_rules: &'static [&'static Rule],
    /// Its cases, in order.
    pub cases: fn() -> Vec<CaseInfo>,
    /// Runs the cases the options select against the server the URL names; `progress`
    /// hears of each result as it comes.
    pub run: probe::Run,
}

const NO_SNIFFERS: Sniffers = Sniffers {
    stream: None,
    datagram: None,
    file: None,
};

/// Every protocol, in detection order (see the [module docs](self)).
pub static TABLE: [Row; 14] = [
    Row {
        protocol: Protocol::Rtmp,
        name: "rtmp",
        transports: &[Transport::Tcp],
        sniff: Sniffers {
            stream: Some(sniff::rtmp_stream),
            ..NO_SNIFFERS
        },
        usual_port: Some(1935),
        rule_prefixes: &["rtmp.", "amf0.", "amf3.", "flv.", "media."],
        catalog: Some(Catalog {
            rules: weir_rtmp::rules::CATALOG,
            prefixes: &["rtmp."],
        }),
        observer: Observing::By(rtmp),
        prober: Some(Prober {
            name: "rtmp",
            schemes: &["rtmp"],
            claims: None,
            url: "rtmp://host[:port]/app/stream",
            live_rules: probe::rtmp::rules::CATALOG,
            cases: || probe::rtmp::cases::all().map(probe::Case::info).collect(),
            run: probe::rtmp::run,
        }),
    },
    Row {
        protocol: Protocol::Rtmpe,
        name: "rtmpe",
        transports: &[Transport::Tcp],
        sniff: Sniffers {
            stream: Some(sniff::rtmpe_stream),
            ..NO_SNIFFERS
        },
        usual_port: None,
        rule_prefixes: &[],
        catalog: None,
        observer: Observing::Never("RTMPE is encrypted after the handshake"),
        prober: None,
    },
    Row {
        protocol: Protocol::Http,
        name: "http",
        transports: &[Transport::Tcp],
        sniff: Sniffers {
            stream: Some(sniff::http_stream),
            ..NO_SNIFFERS
        },
        usual_port: Some(80),
        // HTTP carries playlists, TS and FLV; the loads of one URL are compared too.
        rule_prefixes: &["http.", "hls.", "mpegts.", "flv.", "media."],
        catalog: Some(Catalog {
            rules: weir_http::rules::CATALOG,
            prefixes: &["http."],
        }),
        observer: Observing::By(http),
        prober: Some(Prober {
            name: "http",
            schemes: &["http", "https"],
            claims: Some(probe::http_live::takes),
            url: "http://host[:port]/app/stream.flv or .ts (HTTP-FLV, HTTP-TS; --duration)",
            live_rules: probe::http_live::rules::CATALOG,
            cases: || probe::http_live::cases::CASES.to_vec(),
            run: probe::http_live::run,
        }),
    },
    Row {
        protocol: Protocol::Hls,
        name: "hls",
        transports: &[Transport::File],
        sniff: Sniffers {
            file: Some(sniff::playlist_file),
            ..NO_SNIFFERS
        },
        usual_port: None,
        // One playlist is judged by every HLS rule but those that compare two loads of it
        // (`hls.reload.*`).
        rule_prefixes: &[
            "hls.playlist.",
            "hls.tag.",
            "hls.attribute.",
            "hls.media.",
            "hls.segment.",
            "hls.master.",
        ],
        catalog: Some(Catalog {
            rules: weir_hls::rules::CATALOG,
            prefixes: &["hls."],
        }),
        observer: Observing::By(hls),
        prober: Some(Prober {
            name: "hls",
            schemes: &["http", "https"],
            claims: Some(probe::hls::takes),
            url: "http://host[:port]/path.m3u8 (HLS; --as hls for a playlist named otherwise)",
            live_rules: probe::hls::rules::CATALOG,
            cases: || probe::hls::cases::CASES.to_vec(),
            run: probe::hls::run,
        }),
    },
    Row {
        protocol: Protocol::Sdp,
        name: "sdp",
        // A file, or a pair of files (`--pair offer.sdp answer.sdp`) read as two streams.
        transports: &[Transport::File, Transport::Tcp],
        sniff: Sniffers {
            stream: Some(sniff::sdp_stream),
            file: Some(sniff::sdp_file),
            ..NO_SNIFFERS
        },
        usual_port: None,
        rule_prefixes: &["sdp."],
        catalog: Some(Catalog {
            rules: weir_sdp::rules::CATALOG,
            prefixes: &["sdp."],
        }),
        observer: Observing::By(|flow| Ok(Box::new(SdpObserver::new(flow.learned.clone())))),
        prober: None,
    },
    Row {
        protocol: Protocol::WebRtc,
        name: "webrtc",
        transports: &[Transport::Udp, Transport::Tcp],
        sniff: Sniffers {
            stream: Some(sniff::webrtc_stream),
            datagram: Some(sniff::webrtc_datagram),
            ..NO_SNIFFERS
        },
        usual_port: Some(3478),
        // DTLS and SRTP ride the same port: their rules apply too.
        rule_prefixes: &["stun.", "dtls.", "rtp."],
        catalog: Some(Catalog {
            rules: weir_stun::rules::CATALOG,
            prefixes: &["stun."],
        }),
        observer: Observing::By(|flow| match flow.transport {
            Transport::Udp => Ok(Box::new(WebRtcObserver::new(flow.learned.clone()))),
            Transport::Tcp if !flow.midstream => {
                Ok(Box::new(WebRtcObserver::tcp(flow.learned.clone())))
            }
            Transport::Tcp => {
                Err("STUN over TCP cannot be read from the middle of the stream".to_owned())
            }
            Transport::File => Err("WebRTC is read from captures".to_owned()),
        }),
        prober: Some(Prober {
            name: "whip",
            schemes: &["http", "https"],
            claims: Some(probe::whip::takes),
            url: "http://host[:port]/…/whip/… or …/whep/… (WHIP/WHEP; --whep, --token)",
            live_rules: probe::whip::rules::CATALOG,
            cases: probe::whip::infos,
            run: probe::whip::run,
        }),
    },
    Row {
        protocol: Protocol::Srt,
        name: "srt",
        transports: &[Transport::Udp],
        sniff: Sniffers {
            datagram: Some(sniff::srt_datagram),
            ..NO_SNIFFERS
        },
        usual_port: Some(10080),
        // SRT carries MPEG-TS, which carries codec configurations.
        rule_prefixes: &["srt.", "mpegts.", "media."],
        catalog: Some(Catalog {
            rules: weir_srt::rules::CATALOG,
            prefixes: &["srt."],
        }),
        observer: Observing::By(|flow| match flow.transport {
            Transport::Udp => Ok(Box::new(SrtObserver::new(flow.learned.clone()))),
            _ => Err("SRT runs over UDP".to_owned()),
        }),
        prober: Some(Prober {
            name: "srt",
            schemes: &["srt"],
            claims: None,
            url: "srt://host:port[?streamid=…&passphrase=…&pbkeylen=16|24|32&play=host:port]",
            live_rules: probe::srt::rules::CATALOG,
            cases: || probe::CaseWith::infos(probe::srt::cases::CASES),
            run: probe::srt::run,
        }),
    },
    Row {
        protocol: Protocol::MpegPs,
        name: "mpegps",
        transports: &[Transport::Udp, Transport::Tcp, Transport::File],
        sniff: Sniffers {
            stream: Some(sniff::ps_stream),
            datagram: Some(sniff::ps_datagram),
            file: Some(sniff::ps_file),
        },
        // GB28181's media port (SRS listens on 9000) is a setting, not a standard: content only.
        usual_port: None,
        // PS rides RTP, whose headers are judged as the RTP observer judges them; it carries
        // PES packets and elementary streams read by weir-mpegts's readers, and codec
        // configurations.
        rule_prefixes: &[
            "mpegps.",
            "rtp.header.",
            "mpegts.pes.",
            "mpegts.es.",
            "media.",
        ],
        catalog: Some(Catalog {
            rules: weir_mpegps::rules::CATALOG,
            prefixes: &["mpegps."],
        }),
        observer: Observing::By(mpegps),
        prober: None,
    },
    Row {
        protocol: Protocol::MpegTs,
        name: "mpegts",
        transports: &[Transport::Tcp, Transport::Udp, Transport::File],
        sniff: Sniffers {
            stream: Some(sniff::ts_stream),
            datagram: Some(sniff::ts_datagram),
            file: Some(sniff::ts_file),
        },
        usual_port: None,
        // TS carries codec configurations.
        rule_prefixes: &["mpegts.", "media."],
        catalog: Some(Catalog {
            rules: weir_mpegts::rules::CATALOG,
            prefixes: &["mpegts."],
        }),
        // A transport stream resynchronises on its sync bytes: mid-stream is fine.
        observer: Observing::By(|_| Ok(Box::new(TsObserver::default()))),
        prober: None,
    },
    Row {
        protocol: Protocol::Rtp,
        name: "rtp",
        transports: &[Transport::Udp, Transport::Tcp],
        sniff: Sniffers {
            stream: Some(sniff::rtp_stream),
            datagram: Some(sniff::rtp_datagram),
            ..NO_SNIFFERS
        },
        usual_port: None,
        // RTP carries codec configurations.
        rule_prefixes: &["rtp.", "media."],
        catalog: Some(Catalog {
            rules: weir_rtp::rules::CATALOG,
            prefixes: &["rtp."],
        }),
        observer: Observing::By(rtp),
        prober: None,
    },
    Row {
        protocol: Protocol::Mp4,
        name: "mp4",
        transports: &[Transport::File],
        sniff: Sniffers {
            file: Some(sniff::mp4_file),
            ..NO_SNIFFERS
        },
        usual_port: None,
        rule_prefixes: &["mp4."],
        catalog: Some(Catalog {
            rules: weir_mp4::rules::CATALOG,
            prefixes: &["mp4."],
        }),
        observer: Observing::By(|_| Ok(Box::new(Mp4Observer::default()))),
        prober: None,
    },
    Row {
        protocol: Protocol::Flv,
        name: "flv",
        transports: &[Transport::File],
        sniff: Sniffers {
            file: Some(sniff::flv_file),
            ..NO_SNIFFERS
        },
        usual_port: None,
        // FLV's catalog is a carried one (RTMP and HTTP carry its tags).
        rule_prefixes: &["flv.", "media."],
        catalog: None,
        observer: Observing::By(|_| Ok(Box::new(FlvObserver::default()))),
        prober: None,
    },
    // After every file row: an Annex-B start code is the loosest signature of all.
    Row {
        protocol: Protocol::Es,
        name: "es",
        transports: &[Transport::File],
        sniff: Sniffers {
            file: Some(sniff::es_file),
            ..NO_SNIFFERS
        },
        usual_port: None,
        // What the TS and PS readers judge of a track's bytes, and the codec configurations.
        rule_prefixes: &["media.", "mpegts.es.", "mpegts.demux."],
        catalog: None,
        observer: Observing::By(|_| Ok(Box::new(EsObserver::default()))),
        prober: None,
    },
    Row {
        protocol: Protocol::Unknown,
        name: "unknown",
        transports: &[],
        sniff: NO_SNIFFERS,
        usual_port: None,
        rule_prefixes: &[],
        catalog: None,
        observer: Observing::Never("no protocol recognised"),
        prober: None,
    },
];

/// RTMP is read from its handshake on: a chunk header means nothing without the ones before.
fn rtmp(flow: &Flow) -> Result<Box<dyn Observer>, String> {
    if flow.midstream {
        return Err(
            "the capture starts mid-stream: RTMP cannot be read without the handshake \
                    and the chunk headers before it"
                .to_owned(),
        );
    }
    match flow.transport {
        Transport::Tcp => Ok(Box::new(RtmpObserver::default())),
        _ => Err("RTMP runs over TCP".to_owned()),
    }
}

fn http(flow: &Flow) -> Result<Box<dyn Observer>, String> {
    match flow.transport {
        Transport::Tcp => Ok(Box::new(HttpObserver::new(
            flow.server,
            flow.midstream,
            flow.reloads.clone(),
            flow.learned.clone(),
        ))),
        _ => Err(Protocol::Http.not_yet()),
    }
}

/// RTP over UDP, or over TCP framed as RFC 4571 says.
fn rtp(flow: &Flow) -> Result<Box<dyn Observer>, String> {
    match flow.transport {
        Transport::Udp | Transport::Tcp => Ok(Box::new(RtpObserver::new(
            flow.learned.clone(),
            flow.transport == Transport::Tcp,
        ))),
        Transport::File => Err("RTP is read from captures".to_owned()),
    }
}

/// PS over RTP over UDP, over RTP framed on TCP (RFC 4571), or a file.
fn mpegps(flow: &Flow) -> Result<Box<dyn Observer>, String> {
    Ok(Box::new(match flow.transport {
        Transport::Udp => PsObserver::datagrams(),
        Transport::Tcp => PsObserver::framed(),
        Transport::File => PsObserver::file(),
    }))
}

/// A playlist is read from a file; over HTTP it is the HTTP observer's.
fn hls(flow: &Flow) -> Result<Box<dyn Observer>, String> {
    match flow.transport {
        Transport::File => Ok(Box::new(PlaylistObserver::default())),
        _ => Err(Protocol::Hls.not_yet()),
    }
}

impl Protocol {
    /// Its row.
    pub fn row(self) -> &'static Row {
        TABLE
            .iter()
            .find(|row| row.protocol == self)
            .unwrap_or(&TABLE[TABLE.len() - 1])
    }

    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// See [`Row::rule_prefixes`].
    pub fn rule_prefixes(self) -> &'static [&'static str] {
        self.row().rule_prefixes
    }

    /// The observer of one flow of this protocol, or why none reads it.
    pub fn observer(self, flow: &Flow) -> Result<Box<dyn Observer>, String> {
        match self.row().observer {
            Observing::By(make) => make(flow),
            Observing::Never(why) => Err(why.to_owned()),
            Observing::NotYet => Err(self.not_yet()),
        }
    }

    fn not_yet(self) -> String {
        format!("no observer yet for {self}")
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = String;

    /// A row's name, in any case; never `unknown`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut known: Vec<&Row> = TABLE
            .iter()
            .filter(|row| row.protocol != Protocol::Unknown)
            .collect();
        known.sort_by_key(|row| row.protocol);
        known
            .iter()
            .find(|row| row.name.eq_ignore_ascii_case(s))
            .map(|row| row.protocol)
            .ok_or_else(|| {
                let names: Vec<_> = known.iter().map(|row| row.name).collect();
                format!("unknown protocol {s:?} (one of {})", names.join(", "))
            })
    }
}

/// `weir probe`: the prober for the URL's scheme plays its cases against the server.
pub fn probe(
    options: &probe::Options,
    progress: &mut dyn FnMut(&CaseResult),
) -> Result<ProbeReport, String> {
    (prober_for(&options.url, options.prober.as_deref())?.run)(options, progress)
}

/// `weir probe --list`: each prober's cases that `prefixes` select, headed by the URLs it
/// takes.
pub fn probe_catalogs(prefixes: &[String]) -> Vec<(&'static str, Vec<CaseInfo>)> {
    probers()
        .map(|prober| {
            let mut cases = (prober.cases)();
            cases.retain(|case| probe::selected(prefixes, case.id));
            (prober.url, cases)
        })
        .collect()
}

/// The prober for `url`: by its scheme, and among those of one scheme by its path.
pub fn prober(url: &str) -> Result<&'static Prober, String> {
    prober_for(url, None)
}

/// The prober named `name` (`weir probe --as`), or else the one for `url` ([`prober`]).
pub fn prober_for(url: &str, name: Option<&str>) -> Result<&'static Prober, String> {
    if let Some(name) = name {
        return probers().find(|p| p.name == name).ok_or_else(|| {
            let names: Vec<_> = probers().map(|p| p.name).collect();
            format!("no prober {name:?} (one of {})", names.join(", "))
        });
    }
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    let of_scheme = || probers().filter(|p| scheme.is_some_and(|s| p.schemes.contains(&s)));
    of_scheme()
        .find(|p| p.claims.is_some_and(|claims| claims(url)))
        .or_else(|| of_scheme().find(|p| p.claims.is_none()))
        .ok_or_else(|| {
            let urls: Vec<_> = probers().map(|p| p.url).collect();
            format!("{url}: weir probe takes {}", urls.join(" or "))
        })
}

/// Every prober, in table order.
pub fn probers() -> impl Iterator<Item = &'static Prober> {
    TABLE.iter().filter_map(|row| row.prober.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_has_one_row_and_names_parse_back() {
        for row in &TABLE {
            assert_eq!(row.protocol.row().name, row.name);
            assert_eq!(
                TABLE.iter().filter(|r| r.protocol == row.protocol).count(),
                1
            );
            if row.protocol != Protocol::Unknown {
                assert_eq!(row.name.to_uppercase().parse(), Ok(row.protocol));
            }
        }
        let err = "nope".parse::<Protocol>().unwrap_err();
        assert!(
            err.ends_with(
                "(one of rtmp, rtmpe, http, mpegts, mpegps, hls, rtp, sdp, webrtc, srt, mp4, flv, es)"
            ),
            "{err}"
        );
    }

    #[test]
    fn probers_are_found_by_scheme() {
        assert_eq!(prober("rtmp://h/a/s").unwrap().schemes, ["rtmp"]);
        assert_eq!(
            prober("https://h/x.m3u8").unwrap().schemes,
            ["http", "https"]
        );
        let whip = "http://h:1985/rtc/v1/whip/?app=live&stream=x";
        assert_eq!(prober(whip).unwrap().name, "whip");
        assert_eq!(
            prober("http://h/rtc/v1/whep/?stream=x").unwrap().name,
            "whip"
        );
        assert_eq!(prober("http://h/live/x.m3u8").unwrap().name, "hls");
        assert_eq!(prober_for("http://h/x", Some("whip")).unwrap().name, "whip");
        assert!(prober_for("http://h/x", Some("nope")).is_err());
        assert_eq!(prober("srt://h:1?streamid=x").unwrap().name, "srt");
        let refused = prober("rtsp://h:1").map(|p| p.url);
        assert!(refused.unwrap_err().contains("rtmp://host"));
        // An endless HTTP body is not a playlist to poll: the HTTP live prober takes it.
        assert_eq!(prober("http://h/live/x.flv").unwrap().name, "http");
        assert_eq!(prober("http://h/live/x.TS?token=1").unwrap().name, "http");
        // A URL no prober claims is refused at once, with what is taken.
        for url in ["http://h/live/x.mp4", "http://h/"] {
            let refused = prober(url).map(|p| p.name).unwrap_err();
            assert!(
                refused.contains(".m3u8") && refused.contains("whip"),
                "{refused}"
            );
        }
        assert_eq!(
            prober_for("http://h/index", Some("hls")).unwrap().name,
            "hls"
        );
    }
}
