//! Typed attributes and lines, one behaviour each: what a value parses to, what it writes
//! back as, and the helpers built on them.

use weir_sdp::*;

/// A description with `lines` in one video section.
fn video(lines: &str) -> (SessionDescription, Vec<Violation>) {
    let text = format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 97 0\r\n{lines}"
    );
    parse(text).expect("parses")
}

fn attribute(line: &str) -> Attribute {
    let (sd, violations) = video(&format!("a={line}\r\n"));
    assert_eq!(violations, vec![], "{line}");
    let a = sd.media[0].attributes[0].clone();
    assert_eq!(format!("{a}"), line, "written back as read");
    a
}

#[test]
fn a_candidate_with_every_part_of_the_grammar_is_typed() {
    // RFC 8839 §5.1 grammar; a Chrome-style TCP candidate with extensions.
    let line = "candidate:1467250027 1 tcp 1518280447 192.0.2.5 9 typ srflx raddr 10.0.0.1 rport 5000 tcptype active generation 0 network-id 1";
    let Attribute::Candidate(c) = attribute(line) else {
        panic!("not a candidate")
    };
    assert_eq!(c.foundation, "1467250027");
    assert_eq!(
        (c.component, c.transport.as_str(), c.priority),
        (1, "tcp", 1518280447)
    );
    assert_eq!((c.address.as_str(), c.port), ("192.0.2.5", 9));
    assert_eq!(c.kind, CandidateType::ServerReflexive);
    assert_eq!(c.related_address.as_deref(), Some("10.0.0.1"));
    assert_eq!(c.related_port, Some(5000));
    assert_eq!(c.tcp_type, Some(TcpType::Active));
    assert_eq!(
        c.extensions,
        vec![
            ("generation".into(), "0".into()),
            ("network-id".into(), "1".into())
        ]
    );
}

#[test]
fn an_mdns_host_candidate_and_an_unknown_type_are_kept() {
    let Attribute::Candidate(c) =
        attribute("candidate:0 1 UDP 2122252543 4a2b9f1e-7c3d.local 50000 typ host")
    else {
        panic!()
    };
    assert_eq!(c.address, "4a2b9f1e-7c3d.local");
    let Attribute::Candidate(c) = attribute("candidate:0 1 UDP 1 192.0.2.1 1 typ future") else {
        panic!()
    };
    assert_eq!(c.kind, CandidateType::Other("future".into()));
}

#[test]
fn a_fingerprint_keeps_its_digest_and_writes_uppercase_hex() {
    let (sd, v) = video(
        "a=fingerprint:sha-1 0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9:00:11:22:33\r\n",
    );
    assert_eq!(v.len(), 1, "lowercase hex is reported");
    let Attribute::Fingerprint(f) = &sd.media[0].attributes[0] else {
        panic!()
    };
    assert_eq!(f.digest.len(), 20);
    assert!(f.to_string().starts_with("sha-1 0A:1B:2C"));
    assert_eq!(dtls::hash_length("SHA-256"), Some(32));
}

#[test]
fn setup_values_and_ice_flags_are_typed() {
    assert_eq!(attribute("setup:actpass"), Attribute::Setup(Setup::ActPass));
    assert_eq!(
        attribute("setup:holdconn"),
        Attribute::Setup(Setup::HoldConn)
    );
    assert_eq!(attribute("end-of-candidates"), Attribute::EndOfCandidates);
    assert_eq!(
        attribute("ice-options:trickle ice2"),
        Attribute::IceOptions(vec!["trickle".into(), "ice2".into()])
    );
    assert_eq!(attribute("rtcp-mux"), Attribute::RtcpMux);
    assert_eq!(attribute("rtcp-rsize"), Attribute::RtcpRsize);
    assert_eq!(attribute("bundle-only"), Attribute::BundleOnly);
    assert_eq!(attribute("extmap-allow-mixed"), Attribute::ExtmapAllowMixed);
}

#[test]
fn packet_times_sctp_and_remote_candidates_are_typed() {
    assert_eq!(attribute("ptime:22.5"), Attribute::Ptime("22.5".into()));
    assert_eq!(attribute("maxptime:120"), Attribute::MaxPtime("120".into()));
    assert_eq!(attribute("sctp-port:5000"), Attribute::SctpPort(5000));
    assert_eq!(
        attribute("max-message-size:262144"),
        Attribute::MaxMessageSize(262144)
    );
    let Attribute::RemoteCandidates(list) =
        attribute("remote-candidates:1 192.0.2.3 45664 2 192.0.2.3 45665")
    else {
        panic!()
    };
    assert_eq!(list.len(), 2);
    assert_eq!((list[1].component, list[1].port), (2, 45665));
}

#[test]
fn rtcp_with_an_address_and_rtcp_fb_with_parameters_are_typed() {
    let Attribute::Rtcp(r) = attribute("rtcp:53020 IN IP4 126.16.64.4") else {
        panic!()
    };
    assert_eq!(r.port, 53020);
    assert_eq!(r.connection.expect("address").address, "126.16.64.4");
    let Attribute::RtcpFb(fb) = attribute("rtcp-fb:96 ccm fir") else {
        panic!()
    };
    assert_eq!((fb.format.as_str(), fb.kind.as_str()), ("96", "ccm"));
    assert_eq!(fb.parameter.as_deref(), Some("fir"));
    assert!(matches!(
        attribute("rtcp-fb:* trr-int 100"),
        Attribute::RtcpFb(_)
    ));
}

#[test]
fn extmap_keeps_direction_and_extension_attributes() {
    let Attribute::Extmap(e) = attribute("extmap:2/sendonly urn:example:ext some params") else {
        panic!()
    };
    assert_eq!(e.id, 2);
    assert_eq!(e.direction, Some(Direction::SendOnly));
    assert_eq!(e.uri, "urn:example:ext");
    assert_eq!(e.attributes.as_deref(), Some("some params"));
}

#[test]
fn ssrc_ssrc_group_and_msid_are_typed() {
    let Attribute::Ssrc(s) = attribute("ssrc:3735928559 msid:stream track") else {
        panic!()
    };
    assert_eq!((s.id, s.attribute.as_str()), (3_735_928_559, "msid"));
    assert_eq!(s.value.as_deref(), Some("stream track"));
    let Attribute::SsrcGroup(g) = attribute("ssrc-group:FID 1 2") else {
        panic!()
    };
    assert_eq!(g.ssrcs, vec![1, 2]);
    let Attribute::Msid(m) = attribute("msid:- {aea1c6e2-84b9-4fa0}") else {
        panic!()
    };
    assert_eq!(m.stream, "-");
}

#[test]
fn simulcast_with_alternatives_and_paused_streams_names_its_rids() {
    let (sd, v) = video(
        "a=rid:h send pt=96;max-width=1280\r\na=rid:m send\r\na=rid:l send\r\na=simulcast:send h;~m,l\r\n",
    );
    assert_eq!(v, vec![]);
    let Attribute::Simulcast(s) = &sd.media[0].attributes[3] else {
        panic!()
    };
    let (dir, streams) = &s.directions[0];
    assert_eq!(*dir, RidDirection::Send);
    assert_eq!(streams.len(), 2);
    assert!(streams[1][0].paused && !streams[1][1].paused);
    assert_eq!(s.to_string(), "send h;~m,l");
}

#[test]
fn the_codec_list_joins_rtpmap_fmtp_and_static_payload_types() {
    let (sd, _) = video(
        "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1; profile-level-id=42e01f\r\na=rtpmap:97 opus/48000/2\r\n",
    );
    let codecs = sd.media[0].codecs();
    assert_eq!(codecs.len(), 3);
    assert_eq!(
        (codecs[0].name.as_str(), codecs[0].clock_rate),
        ("H264", 90000)
    );
    let fmtp = codecs[0].fmtp.as_ref().expect("fmtp");
    assert_eq!(fmtp.get("profile-level-id"), Some("42e01f"));
    assert_eq!(fmtp.get("PACKETIZATION-MODE"), Some("1"));
    assert_eq!(codecs[1].channels, Some(2));
    assert_eq!(
        (codecs[2].name.as_str(), codecs[2].clock_rate),
        ("PCMU", 8000)
    );
}

#[test]
fn the_direction_in_force_is_media_then_session_then_sendrecv() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=recvonly\r\n\
m=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\na=inactive\r\n";
    let (sd, _) = parse(text).expect("parses");
    assert_eq!(sd.media[0].direction(&sd), Direction::RecvOnly);
    assert_eq!(sd.media[1].direction(&sd), Direction::Inactive);
    let (plain, _) = video("");
    assert_eq!(plain.media[0].direction(&plain), Direction::SendRecv);
}

#[test]
fn ice_and_dtls_parameters_fall_back_to_session_level() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:sess\r\n\
a=ice-pwd:sessionpasswordsession\r\na=setup:passive\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:medi\r\n";
    let (sd, v) = parse(text).expect("parses");
    assert_eq!(v, vec![]);
    let m = &sd.media[0];
    assert_eq!(m.ice_ufrag(&sd), Some("medi"));
    assert_eq!(m.ice_pwd(&sd), Some("sessionpasswordsession"));
    assert_eq!(m.setup(&sd), Some(Setup::Passive));
}

#[test]
fn rtsp_control_and_range_are_typed() {
    assert_eq!(
        attribute("control:rtsp://192.0.2.1/stream/trackID=1"),
        Attribute::Control("rtsp://192.0.2.1/stream/trackID=1".into())
    );
    let Attribute::Range(r) = attribute("range:npt=0- 596.48") else {
        panic!()
    };
    assert_eq!((r.unit.as_str(), r.range.as_str()), ("npt", "0- 596.48"));
    assert!(matches!(
        attribute("range:clock=20210508T043551Z-"),
        Attribute::Range(_)
    ));
}

#[test]
fn a_gb28181_invite_has_its_y_and_f_lines_typed() {
    // The shape of a GB/T 28181-2016 Annex F playback INVITE.
    let text = "v=0\r\no=34020000002000000001 0 0 IN IP4 192.0.2.10\r\ns=Playback\r\n\
u=34020000001310000001:3\r\nc=IN IP4 192.0.2.10\r\nt=1498173736 1498174066\r\n\
m=video 10122 TCP/RTP/AVP 96 98 97\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\n\
a=rtpmap:98 H264/90000\r\na=rtpmap:97 MPEG4/90000\r\na=setup:passive\r\na=connection:new\r\n\
y=1000000025\r\nf=v/2/4/25/1/4096a/1/64/1\r\n";
    let (sd, v) = parse(text).expect("parses");
    assert_eq!(v, vec![]);
    let m = &sd.media[0];
    let y = m.stream_ssrc.as_ref().expect("y=");
    assert!(y.is_history());
    assert_eq!(y.ssrc(), Some(1_000_000_025));
    let f = m.media_format.as_ref().expect("f=");
    assert_eq!(f.video, [Some(2), Some(4), Some(25), Some(1), Some(4096)]);
    assert_eq!(f.audio, [Some(1), Some(64), Some(1)]);
    assert_eq!(sd.write(), text, "written back byte for byte");
    assert_eq!(m.attribute("connection"), Some(Some("new".into())));
    assert_eq!(m.attribute("recvonly"), Some(None));
    assert_eq!(m.attribute("setup"), Some(Some("passive".into())));
    assert_eq!(sd.attribute("tool"), None);
    let (empty, v) = parse(text.replace("f=v/2/4/25/1/4096a/1/64/1", "f=v/////a///")).expect("ok");
    assert_eq!(v, vec![]);
    assert_eq!(empty.media[0].media_format, Some(MediaFormat::default()));
}

#[test]
fn unknown_attributes_and_lines_are_written_back_in_place() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nx=before time\r\nt=0 0\r\na=x-session:1\r\n\
m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=x-flag\r\na=rtpmap:0 PCMU/8000\r\na=x-value:a:b c\r\nq=last\r\n";
    let (sd, v) = parse(text).expect("parses");
    let ids: Vec<_> = v.iter().map(|v| v.rule.id).collect();
    assert_eq!(ids, ["sdp.line.unknown-type", "sdp.line.unknown-type"]);
    assert_eq!(sd.write(), text);
    assert_eq!(
        sd.media[0].attributes[2],
        Attribute::Other {
            name: "x-value".into(),
            value: Some("a:b c".into())
        }
    );
}

#[test]
fn a_malformed_known_attribute_is_kept_as_written_with_its_violation() {
    let (sd, v) = video("a=rtpmap:96 H264/90000 \r\n");
    assert_eq!(v[0].rule.id, "sdp.rtpmap.syntax");
    assert_eq!(
        sd.media[0].attributes[0],
        Attribute::Other {
            name: "rtpmap".into(),
            value: Some("96 H264/90000 ".into())
        }
    );
    assert!(sd.write().contains("a=rtpmap:96 H264/90000 \r\n"));
}

#[test]
fn violations_point_at_the_offending_line() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=setup:sideways\r\n";
    let (_, v) = parse(text).expect("parses");
    assert_eq!(v[0].rule.id, "sdp.dtls.setup-value");
    assert_eq!(v[0].offset as usize, text.find("a=setup").expect("there"));
}

#[test]
fn a_hand_built_description_writes_canonical_text() {
    let mut sd = SessionDescription::default();
    let mut m = MediaDescription::new("audio", 9, "UDP/TLS/RTP/SAVPF", &["111"]);
    m.connections.push(Connection {
        net_type: "IN".into(),
        addr_type: "IP4".into(),
        address: "0.0.0.0".into(),
    });
    m.attributes.push(Attribute::Mid("0".into()));
    m.attributes.push(Attribute::Rtpmap(Rtpmap {
        payload_type: 111,
        encoding: "opus".into(),
        clock_rate: 48000,
        parameters: Some("2".into()),
    }));
    sd.media.push(m);
    assert_eq!(
        write(&sd),
        "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
c=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n"
    );
    let (back, v) = parse(write(&sd)).expect("parses");
    assert_eq!((back, v), (sd, vec![]));
}
