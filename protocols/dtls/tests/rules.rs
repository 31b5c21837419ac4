//! Every DTLS rule fires on an input made to break it, and the table names every rule of the
//! catalog; a well-formed handshake breaks none.

mod support;

use support::*;
use weir_dtls::extension::types;
use weir_dtls::handshake::types as msg;
use weir_dtls::{Event, HelloVerifyRequest, Negotiated, Side, rules};

use Side::{Client, Server};

#[test]
fn a_good_handshake_breaks_nothing_and_is_summarised() {
    let (events, violations) = run(&[
        (Client, client_hello_datagram(&client_hello(), 0)),
        (Server, server_hello_datagram(&server_hello(), 0)),
        (Client, record(20, 0, 1, &[1])),
        (Client, record(22, 1, 0, &[0; 40])),
        (Server, record(20, 0, 1, &[1])),
        (Server, record(23, 1, 0, &[0; 40])),
    ]);
    assert_eq!(violations, []);
    assert!(events.contains(&Event::Negotiated(Negotiated {
        version: weir_dtls::record::DTLS_1_2,
        cipher_suite: 0xc02f,
        srtp_profile: Some(0x0007),
        mki: Default::default(),
        extended_master_secret: true,
        renegotiation_info: false,
    })));
    assert_eq!(
        events.last(),
        Some(&Event::Finished {
            client_encrypted: 1,
            server_encrypted: 1
        })
    );
}

#[test]
fn every_rule_fires_on_an_input_that_breaks_it() {
    let ch = client_hello();
    let sh = server_hello();
    let hello = |f: &dyn Fn(&mut weir_dtls::ClientHello)| {
        let mut h = ch.clone();
        f(&mut h);
        vec![(Client, client_hello_datagram(&h, 0))]
    };
    let answer = |f: &dyn Fn(&mut weir_dtls::ServerHello)| {
        let mut h = sh.clone();
        f(&mut h);
        vec![
            (Client, client_hello_datagram(&ch, 0)),
            (Server, server_hello_datagram(&h, 0)),
        ]
    };
    let mut bad_version = client_hello_datagram(&ch, 0);
    bad_version[1..3].copy_from_slice(&[3, 3]);
    let mut long = client_hello_datagram(&ch, 0);
    long.truncate(long.len() - 1);
    let mut hvr = Vec::new();
    HelloVerifyRequest {
        version: weir_dtls::record::DTLS_1_0,
        cookie: bytes::Bytes::from_static(&[1, 2, 3]),
    }
    .write(&mut hvr);

    let table: Vec<(&str, Vec<&str>)> = vec![
        ("dtls.record.version", broken(&[(Client, bad_version)])),
        ("dtls.record.length", broken(&[(Client, long)])),
        (
            "dtls.record.length-limit",
            broken(&[(Client, record(23, 0, 0, &vec![0; (1 << 14) + 1]))]),
        ),
        (
            "dtls.record.content-type",
            broken(&[(Client, record(30, 0, 0, &[]))]),
        ),
        (
            "dtls.record.epoch",
            broken(&[
                (Client, client_hello_datagram(&ch, 0)),
                (Client, record(23, 1, 0, &[0; 8])),
            ]),
        ),
        (
            "dtls.record.change-cipher-spec",
            broken(&[(Client, record(20, 0, 0, &[2]))]),
        ),
        (
            "dtls.alert.syntax",
            broken(&[(Client, record(21, 0, 0, &[3, 0]))]),
        ),
        (
            "dtls.alert.syntax",
            broken(&[(Client, record(21, 0, 0, &[2]))]),
        ),
        (
            "dtls.handshake.fragment",
            broken(&[(Client, handshake(0, &fragment(1, 4, 0, 2, &[0; 3])))]),
        ),
        (
            "dtls.handshake.fragments-agree",
            broken(&[
                (Client, handshake(0, &fragment(1, 10, 0, 0, &[0; 4]))),
                (Client, handshake(1, &fragment(1, 12, 0, 4, &[0; 4]))),
            ]),
        ),
        (
            "dtls.handshake.fragments-agree",
            broken(&[
                (Client, handshake(0, &fragment(1, 10, 0, 0, &[0; 4]))),
                (Client, handshake(1, &fragment(1, 10, 0, 2, &[1; 4]))),
            ]),
        ),
        (
            "dtls.handshake.message-seq",
            broken(&[(Client, client_hello_datagram(&ch, 2))]),
        ),
        (
            "dtls.hello.syntax",
            broken(&[(
                Client,
                handshake(0, &message(msg::CLIENT_HELLO, 0, &[0xfe])),
            )]),
        ),
        (
            "dtls.hello.syntax",
            broken(&[(
                Server,
                handshake(0, &message(msg::HELLO_VERIFY_REQUEST, 0, &[0xfe, 0xff, 1])),
            )]),
        ),
        (
            "dtls.hello.version",
            broken(&hello(&|h| h.version = 0x0303)),
        ),
        (
            "dtls.hello.compression",
            broken(&hello(&|h| {
                h.compression_methods = bytes::Bytes::from_static(&[1])
            })),
        ),
        (
            "dtls.hello.compression",
            broken(&answer(&|h| h.compression_method = 1)),
        ),
        (
            "dtls.hello.cipher-suite",
            broken(&answer(&|h| h.cipher_suite = 0x0035)),
        ),
        (
            "dtls.hello.cookie-echo",
            broken(&[
                (Client, client_hello_datagram(&ch, 0)),
                (
                    Server,
                    handshake(0, &message(msg::HELLO_VERIFY_REQUEST, 0, &hvr)),
                ),
                (Client, client_hello_datagram(&ch, 1)),
            ]),
        ),
        (
            "dtls.extension.duplicate",
            broken(&hello(&|h| {
                h.extensions
                    .as_mut()
                    .unwrap()
                    .push(ext(types::EXTENDED_MASTER_SECRET, &[]))
            })),
        ),
        (
            "dtls.extension.unsolicited",
            broken(&answer(&|h| {
                h.extensions.as_mut().unwrap().push(ext(16, &[0, 0]))
            })),
        ),
        (
            "dtls.use-srtp.syntax",
            broken(&hello(&|h| {
                h.extensions.as_mut().unwrap()[1] = ext(types::USE_SRTP, &[0, 1, 0, 0])
            })),
        ),
        (
            "dtls.use-srtp.profile",
            broken(&answer(&|h| {
                h.extensions.as_mut().unwrap()[1] = use_srtp(&[0x0002])
            })),
        ),
        (
            "dtls.use-srtp.profile",
            broken(&answer(&|h| {
                h.extensions.as_mut().unwrap()[1] = use_srtp(&[0x0001, 0x0007])
            })),
        ),
    ];
    weir_testkit::rule_table::check(rules::CATALOG, &table);
}

#[test]
fn a_server_may_number_its_server_hello_from_0_or_1_after_a_hello_verify_request() {
    let mut ch = client_hello();
    let mut hvr = Vec::new();
    HelloVerifyRequest {
        version: weir_dtls::record::DTLS_1_0,
        cookie: bytes::Bytes::from_static(&[1, 2, 3]),
    }
    .write(&mut hvr);
    let first = client_hello_datagram(&ch, 0);
    ch.cookie = bytes::Bytes::from_static(&[1, 2, 3]);
    for seq in [0, 1] {
        let (events, violations) = run(&[
            (Client, first.clone()),
            (
                Server,
                handshake(0, &message(msg::HELLO_VERIFY_REQUEST, 0, &hvr)),
            ),
            (Client, client_hello_datagram(&ch, 1)),
            (Server, server_hello_datagram(&server_hello(), seq)),
        ]);
        assert_eq!(violations, [], "ServerHello {seq}");
        assert!(
            events.iter().any(|e| matches!(e, Event::Negotiated(_))),
            "ServerHello {seq}"
        );
    }
}
