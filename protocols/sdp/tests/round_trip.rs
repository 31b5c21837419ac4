//! Property tests: generated descriptions with WebRTC, RTSP and GB28181 content come back
//! the same through write → parse; any line soup that parses comes back the same through
//! write → parse; CRLF and bare-LF input give the same value; arbitrary bytes never panic.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use weir_sdp::*;

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9._+-]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    "[!-~][ -~]{0,12}"
}

fn ice_chars(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9+/]{{{min},{max}}}")).expect("regex")
}

fn connection() -> impl Strategy<Value = Connection> {
    (
        prop_oneof![Just("IP4"), Just("IP6")],
        "[0-9a-f.:]{1,15}(/[0-9]{1,3})?",
    )
        .prop_map(|(addr_type, address)| Connection {
            net_type: "IN".into(),
            addr_type: addr_type.into(),
            address,
        })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    (
        prop_oneof![Just("AS"), Just("CT"), Just("TIAS")],
        any::<u32>(),
    )
        .prop_map(|(k, v)| Bandwidth {
            kind: k.into(),
            value: v.into(),
        })
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
}

fn candidate() -> impl Strategy<Value = Candidate> {
    (
        ice_chars(1, 32),
        1u16..=256,
        prop_oneof![Just("UDP"), Just("tcp")],
        1u32..0x7fff_ffff,
        "[0-9a-f.:]{1,20}|[a-f0-9-]{8,36}\\.local",
        any::<u16>(),
        prop_oneof![
            Just(CandidateType::Host),
            Just(CandidateType::ServerReflexive),
            Just(CandidateType::PeerReflexive),
            Just(CandidateType::Relay),
        ],
        (
            option::of("[0-9.]{1,15}"),
            option::of(any::<u16>()),
            option::of(prop_oneof![
                Just(TcpType::Active),
                Just(TcpType::Passive),
                Just(TcpType::SimultaneousOpen)
            ]),
            vec(
                (
                    prop_oneof![Just("generation"), Just("ufrag"), Just("network-id")],
                    "[a-zA-Z0-9]{1,6}",
                ),
                0..3,
            ),
        ),
    )
        .prop_map(
            |(foundation, component, transport, priority, address, port, kind, rest)| {
                let (related_address, related_port, tcp_type, extensions) = rest;
                Candidate {
                    foundation,
                    component,
                    transport: transport.into(),
                    priority,
                    address,
                    port,
                    kind,
                    related_address,
                    related_port,
                    tcp_type,
                    extensions: extensions
                        .into_iter()
                        .map(|(n, v)| (n.to_string(), v))
                        .collect(),
                }
            },
        )
}

fn simulcast() -> impl Strategy<Value = Simulcast> {
    let id =
        ("[a-z0-9_-]{1,4}", any::<bool>()).prop_map(|(rid, paused)| SimulcastId { rid, paused });
    let streams = vec(vec(id, 1..3), 1..3);
    (streams.clone(), option::of(streams), any::<bool>()).prop_map(|(first, second, recv)| {
        let (a, b) = if recv {
            (RidDirection::Recv, RidDirection::Send)
        } else {
            (RidDirection::Send, RidDirection::Recv)
        };
        let mut directions = vec![(a, first)];
        directions.extend(second.map(|s| (b, s)));
        Simulcast { directions }
    })
}

fn other_attribute() -> impl Strategy<Value = Attribute> {
    ("x-[a-z]{1,6}", option::of("[ -~]{0,12}"))
        .prop_map(|(name, value)| Attribute::Other { name, value })
}

fn session_attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        ice_chars(4, 12).prop_map(Attribute::IceUfrag),
        ice_chars(22, 32).prop_map(Attribute::IcePwd),
        Just(Attribute::IceLite),
        vec(token(), 1..3).prop_map(Attribute::IceOptions),
        (
            prop_oneof![Just("sha-1"), Just("sha-256"), Just("sha-512")],
            vec(any::<u8>(), 1..64)
        )
            .prop_map(|(hash, digest)| Attribute::Fingerprint(Fingerprint {
                hash: hash.into(),
                digest
            })),
        prop_oneof![
            Just(Setup::Active),
            Just(Setup::Passive),
            Just(Setup::ActPass),
            Just(Setup::HoldConn)
        ]
        .prop_map(Attribute::Setup),
        (token(), vec(token(), 0..3))
            .prop_map(|(semantics, mids)| Attribute::Group(Group { semantics, mids })),
        direction().prop_map(Attribute::Direction),
        (
            1u16..=255,
            option::of(direction()),
            "urn:[a-z:-]{1,20}",
            option::of("[ -~]{0,8}")
        )
            .prop_map(
                |(id, direction, uri, attributes)| Attribute::Extmap(Extmap {
                    id,
                    direction,
                    uri,
                    attributes
                })
            ),
        "[!-~]{0,20}".prop_map(Attribute::Control),
        (
            prop_oneof![Just("npt"), Just("clock"), Just("smpte")],
            "[ -~]{0,10}"
        )
            .prop_map(|(unit, range)| Attribute::Range(Range {
                unit: unit.into(),
                range
            })),
        other_attribute(),
    ]
}

fn media_attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        session_attribute(),
        token().prop_map(Attribute::Mid),
        candidate().prop_map(Attribute::Candidate),
        Just(Attribute::EndOfCandidates),
        Just(Attribute::RtcpMux),
        Just(Attribute::RtcpRsize),
        (any::<u16>(), option::of(connection()))
            .prop_map(|(port, connection)| Attribute::Rtcp(Rtcp { port, connection })),
        (
            prop_oneof![
                Just("*".to_string()),
                (0u8..128).prop_map(|p| p.to_string())
            ],
            prop_oneof![
                Just("nack"),
                Just("ccm"),
                Just("goog-remb"),
                Just("transport-cc")
            ],
            option::of(prop_oneof![Just("pli"), Just("fir"), Just("sli")]),
        )
            .prop_map(|(format, kind, parameter)| Attribute::RtcpFb(RtcpFb {
                format,
                kind: kind.into(),
                parameter: parameter.map(Into::into)
            })),
        (0u8..128, token(), 1u32..200_000, option::of("[12]")).prop_map(
            |(payload_type, encoding, clock_rate, parameters)| {
                Attribute::Rtpmap(Rtpmap {
                    payload_type,
                    encoding,
                    clock_rate,
                    parameters,
                })
            }
        ),
        (
            0u8..128,
            "[a-z-]{1,8}=[0-9a-zA-Z]{1,6}(;[a-z-]{1,8}=[0-9a-z]{1,4}){0,2}"
        )
            .prop_map(|(pt, parameters)| Attribute::Fmtp(Fmtp {
                format: pt.to_string(),
                parameters
            })),
        (any::<u32>(), token(), option::of("[!-~]{0,10}")).prop_map(|(id, attribute, value)| {
            Attribute::Ssrc(Ssrc {
                id,
                attribute,
                value,
            })
        }),
        (token(), vec(any::<u32>(), 0..3)).prop_map(|(semantics, ssrcs)| {
            Attribute::SsrcGroup(SsrcGroup { semantics, ssrcs })
        }),
        (token(), option::of(token()))
            .prop_map(|(stream, appdata)| Attribute::Msid(Msid { stream, appdata })),
        (
            "[a-z0-9_-]{1,4}",
            prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
            option::of("pt=[0-9]{1,3}(;max-width=[0-9]{1,4})?")
        )
            .prop_map(|(id, direction, restrictions)| Attribute::Rid(Rid {
                id,
                direction,
                restrictions
            })),
        simulcast().prop_map(Attribute::Simulcast),
        prop_oneof![
            Just(Attribute::IceMismatch),
            Just(Attribute::BundleOnly),
            Just(Attribute::ExtmapAllowMixed),
            "[1-9][0-9]{0,2}(\\.[0-9]{1,2})?".prop_map(Attribute::Ptime),
            "[1-9][0-9]{0,2}".prop_map(Attribute::MaxPtime),
            any::<u16>().prop_map(Attribute::SctpPort),
            any::<u64>().prop_map(Attribute::MaxMessageSize),
            vec(
                (1u16..3, "[0-9.]{1,15}", any::<u16>()).prop_map(|(component, address, port)| {
                    RemoteCandidate {
                        component,
                        address,
                        port,
                    }
                }),
                1..3
            )
            .prop_map(Attribute::RemoteCandidates),
        ],
    ]
}

fn media_description() -> impl Strategy<Value = MediaDescription> {
    (
        prop_oneof![Just("audio"), Just("video"), Just("application")],
        any::<u16>(),
        option::of(1u16..8),
        prop_oneof![
            Just("UDP/TLS/RTP/SAVPF"),
            Just("RTP/AVP"),
            Just("TCP/RTP/AVP")
        ],
        vec((0u8..128).prop_map(|p| p.to_string()), 1..5),
        (
            option::of(text()),
            vec(connection(), 0..2),
            vec(bandwidth(), 0..2),
        ),
        vec(media_attribute(), 0..10),
        (
            option::of("[01][0-9]{9}"),
            option::of((
                proptest::array::uniform5(option::of(0u32..10_000)),
                proptest::array::uniform3(option::of(0u32..100)),
            )),
            vec(("[gqwx]", "[ -~]{0,10}"), 0..2),
        ),
    )
        .prop_map(
            |(media, port, port_count, protocol, formats, lines, attributes, gb)| {
                let formats: Vec<&str> = formats.iter().map(String::as_str).collect();
                let mut m = MediaDescription::new(media, port, protocol, &formats);
                m.port_count = port_count;
                (m.title, m.connections, m.bandwidths) = lines;
                m.attributes = attributes;
                let (y, f, others) = gb;
                let y = y.map(|y| format!("y={y}\r\n"));
                m.stream_ssrc = y.and_then(|y| {
                    let text = format!("v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\n{y}");
                    parse(text).ok().and_then(|(sd, _)| sd.stream_ssrc)
                });
                m.media_format = f.map(|(video, audio)| MediaFormat { video, audio });
                m.other_lines = others
                    .into_iter()
                    .map(|(kind, value)| OtherLine {
                        kind: kind.chars().next().unwrap_or('x'),
                        value,
                        after: 'm',
                    })
                    .collect();
                m
            },
        )
}

fn session_description() -> impl Strategy<Value = SessionDescription> {
    (
        (token(), "[1-9][0-9]{0,12}", "[0-9]{1,5}", connection()),
        "[!-~][ -~]{0,12}",
        (
            option::of(text()),
            option::of(text()),
            vec(text(), 0..2),
            vec(text(), 0..2),
        ),
        (option::of(connection()), vec(bandwidth(), 0..2)),
        vec((any::<u32>(), any::<u32>(), vec(text(), 0..2)), 1..3),
        (option::of(text()), option::of(text())),
        vec(session_attribute(), 0..8),
        vec(("[gqwx]", "[ -~]{0,10}"), 0..2),
        vec(media_description(), 0..4),
    )
        .prop_map(
            |(origin, name, info, conn, times, zk, attributes, others, media)| {
                let (username, session_id, session_version, address) = origin;
                let mut sd = SessionDescription {
                    origin: Origin {
                        username,
                        session_id,
                        session_version,
                        address,
                    },
                    session_name: name,
                    ..SessionDescription::default()
                };
                (sd.information, sd.uri, sd.emails, sd.phones) = info;
                (sd.connection, sd.bandwidths) = conn;
                sd.times = times
                    .into_iter()
                    .map(|(start, stop, repeats)| Timing {
                        start: start.into(),
                        stop: stop.into(),
                        repeats,
                    })
                    .collect();
                (sd.time_zones, sd.key) = zk;
                sd.attributes = attributes;
                sd.other_lines = others
                    .into_iter()
                    .map(|(kind, value)| OtherLine {
                        kind: kind.chars().next().unwrap_or('x'),
                        value,
                        after: 't',
                    })
                    .collect();
                sd.media = media;
                sd
            },
        )
}

/// Lines of any type in any order, some well-formed, some not.
fn line_soup() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("IN IP4 192.0.2.1".to_string()),
        Just("0 0".to_string()),
        Just("AS:64".to_string()),
        Just("audio 9 RTP/AVP 0 96".to_string()),
        Just("video 0 RTP/AVP 96".to_string()),
        Just("rtpmap:96 H264/90000".to_string()),
        Just("fmtp:96 packetization-mode=1".to_string()),
        Just("mid:0".to_string()),
        Just("group:BUNDLE 0 1".to_string()),
        Just("sendonly".to_string()),
        Just("candidate:1 1 UDP 2130706431 192.0.2.1 9 typ host".to_string()),
        Just("0100000001".to_string()),
        Just("v/2/4/25/1/4096a/1/64/1".to_string()),
        "[ -~]{0,12}",
    ];
    vec(("[vosiuepcbtrzkamyfxq]", value), 0..24).prop_map(|lines| {
        let mut text = String::from("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
        for (kind, value) in lines {
            text.push_str(&format!("{kind}={value}\r\n"));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_generated_description_comes_back_the_same_through_write_and_parse(
        sd in session_description()
    ) {
        let text = sd.write();
        let (parsed, violations) = parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &sd, "{}\n{:#?}", text, violations);
        prop_assert_eq!(parsed.write(), text);
    }

    #[test]
    fn any_line_soup_that_parses_comes_back_the_same(text in line_soup()) {
        if let Ok((sd, _)) = parse(&text) {
            let written = sd.write();
            let (again, _) = parse(&written)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{written}")))?;
            prop_assert_eq!(&again, &sd, "{}\n---\n{}", text, written);
            prop_assert_eq!(again.write(), written);
        }
    }

    #[test]
    fn crlf_and_bare_lf_give_the_same_value(sd in session_description()) {
        let crlf = sd.write();
        let lf = crlf.replace("\r\n", "\n");
        let (a, va) = parse(&crlf).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (b, vb) = parse(&lf).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(a, b);
        prop_assert!(va.iter().all(|v| v.rule.id != "sdp.line.crlf"));
        prop_assert_eq!(vb.iter().filter(|v| v.rule.id == "sdp.line.crlf").count(), 1);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_a_damaged_description(
        sd in session_description(),
        cuts in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = sd.write().into_bytes();
        for (at, byte) in cuts {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
        }
        if let Ok((sd, _)) = parse(&bytes) {
            let written = sd.write();
            let (again, _) = parse(&written).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again, sd);
        }
    }
}
