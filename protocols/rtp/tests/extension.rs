//! RFC 8285 header extension elements in both forms, the form `write` chooses, and the typed
//! values WebRTC sends, each read back as written.

use bytes::Bytes;
use proptest::prelude::*;
use std::time::Duration;
use weir_rtp::HeaderExtension;
use weir_rtp::extension::{
    AbsSendTime, AudioLevel, Element, Elements, Form, Kind, PlayoutDelay, Value, VideoOrientation,
    write, write_in,
};

/// The elements of an RFC 8285 extension and the (rule id, offset) of its violations.
fn read(profile: u16, data: &'static [u8]) -> (Elements, Vec<(&'static str, u64)>) {
    let ext = HeaderExtension {
        profile,
        data: Bytes::from_static(data),
    };
    let mut violations = Vec::new();
    let elements = Elements::parse(&ext, &mut violations).expect("RFC 8285");
    (
        elements,
        violations.iter().map(|v| (v.rule.id, v.offset)).collect(),
    )
}

/// The elements of an extension that breaks no rule.
fn parse(profile: u16, data: &'static [u8]) -> Elements {
    let (elements, violations) = read(profile, data);
    assert!(violations.is_empty(), "{violations:?}");
    elements
}

fn element(id: u8, data: &'static [u8]) -> Element {
    Element {
        id,
        data: Bytes::from_static(data),
    }
}

#[test]
fn one_byte_elements_skip_padding_anywhere() {
    // ID 1 with 1 byte, a padding byte, ID 2 with 3 bytes, one byte of trailing padding.
    let e = parse(0xbede, &[0x10, 0xaa, 0x00, 0x22, 1, 2, 3, 0x00]);
    assert_eq!(e.form, Form::OneByte);
    assert_eq!(e.elements, [element(1, &[0xaa]), element(2, &[1, 2, 3])]);
    assert_eq!(e.get(2).map(|d| &d[..]), Some(&[1, 2, 3][..]));
    assert_eq!(e.get(3), None);
}

#[test]
fn one_byte_id_15_stops_the_parse_keeping_what_came_before() {
    let (e, violations) = read(0xbede, &[0x10, 0xaa, 0xf3, 0x21, 1, 2, 3, 0]);
    assert_eq!(e.elements, [element(1, &[0xaa])]);
    assert_eq!(violations, [("rtp.extension.reserved-id", 2)]);
}

#[test]
fn a_padding_byte_with_length_bits_is_reported_and_skipped() {
    let (e, violations) = read(0xbede, &[0x10, 0xaa, 0x03, 0x21, 1, 2, 0, 0]);
    assert_eq!(e.elements, [element(1, &[0xaa]), element(2, &[1, 2])]);
    assert_eq!(violations, [("rtp.extension.padding", 2)]);
}

#[test]
fn two_byte_elements_may_be_empty_and_keep_the_app_bits() {
    let e = parse(0x100a, &[0x01, 0x00, 0x00, 0x05, 0x02, 7, 8, 0x00]);
    assert_eq!(e.form, Form::TwoByte { appbits: 0xa });
    assert_eq!(e.elements, [element(1, &[]), element(5, &[7, 8])]);
    assert_eq!(Form::TwoByte { appbits: 0xa }.profile(), 0x100a);
}

#[test]
fn another_profiles_extension_is_not_read() {
    let ext = HeaderExtension {
        profile: 0xabac,
        data: Bytes::from_static(&[1, 2, 3, 4]),
    };
    assert_eq!(Elements::parse(&ext, &mut Vec::new()), None);
}

#[test]
fn write_uses_the_one_byte_form_when_every_element_fits_it() {
    let ext = write(&[element(1, &[0xaa]), element(14, &[0; 16])]).unwrap();
    assert_eq!(ext.profile, 0xbede);
    assert_eq!(&ext.data[..2], &[0x10, 0xaa]);
    assert_eq!(ext.data[2], 0xef);
    assert_eq!(ext.data.len(), 20, "1 + 1 + 1 + 16 padded to 20");
    for too_big in [element(15, &[1]), element(1, &[]), element(1, &[0; 17])] {
        let ext = write(&[element(1, &[0xaa]), too_big.clone()]).unwrap();
        assert_eq!(ext.profile, 0x1000, "{too_big:?}");
    }
    assert!(
        write(&[element(0, &[1])]).is_err(),
        "ID 0 is padding in both forms"
    );
    assert!(write(&[element(1, &[0; 256])]).is_err());
    assert!(write_in(Form::OneByte, &[element(15, &[1])]).is_err());
    assert_eq!(write(&[]).unwrap().data.len(), 0);
}

#[test]
fn each_kind_reads_its_wire_value() {
    let cases: &[(Kind, &[u8], Value)] = &[
        // 1.5 s in 6.18 fixed point is 0x06_0000.
        (
            Kind::AbsSendTime,
            &[0x06, 0x00, 0x00],
            Value::AbsSendTime(AbsSendTime(0x06_0000)),
        ),
        (
            Kind::TransportSequence,
            &[0x12, 0x34],
            Value::TransportSequence(0x1234),
        ),
        // RFC 6464 §3: V set, level 42 -dBov.
        (
            Kind::AudioLevel,
            &[0xaa],
            Value::AudioLevel(AudioLevel {
                voice: true,
                level: 42,
            }),
        ),
        (
            Kind::TimestampOffset,
            &[0xff, 0xff, 0xfe],
            Value::TimestampOffset(-2),
        ),
        (
            Kind::TimestampOffset,
            &[0x7f, 0xff, 0xff],
            Value::TimestampOffset(0x7f_ffff),
        ),
        (Kind::Mid, b"audio0", Value::Mid("audio0".into())),
        (
            Kind::RtpStreamId,
            b"hi_res-1",
            Value::RtpStreamId("hi_res-1".into()),
        ),
        (
            Kind::RepairedRtpStreamId,
            b"q",
            Value::RepairedRtpStreamId("q".into()),
        ),
        // C set, F clear, rotation 3 quarter turns.
        (
            Kind::VideoOrientation,
            &[0x0b],
            Value::VideoOrientation(VideoOrientation {
                back_camera: true,
                flip: false,
                rotation: 3,
            }),
        ),
        // MIN 0x010 (160 ms), MAX 0x064 (1 s).
        (
            Kind::PlayoutDelay,
            &[0x01, 0x00, 0x64],
            Value::PlayoutDelay(PlayoutDelay { min: 16, max: 100 }),
        ),
    ];
    for (kind, data, value) in cases {
        assert_eq!(kind.read(data).as_ref(), Ok(value), "{kind:?}");
        assert_eq!(value.kind(), *kind);
        assert_eq!(&value.to_bytes().unwrap()[..], *data, "{kind:?}");
    }
}

#[test]
fn every_kind_is_found_by_its_uri() {
    for kind in Kind::ALL {
        assert_eq!(Kind::from_uri(kind.uri()), Some(kind));
    }
    assert_eq!(Kind::from_uri("urn:ietf:params:rtp-hdrext:unknown"), None);
}

#[test]
fn abs_send_time_wraps_every_64_seconds() {
    let t = AbsSendTime::from_duration(Duration::from_millis(65_500));
    assert_eq!(t, AbsSendTime(0x06_0000));
    assert_eq!(t.to_duration(), Duration::from_millis(1_500));
}

#[test]
fn values_their_field_cannot_hold_are_not_written() {
    for value in [
        Value::AbsSendTime(AbsSendTime(1 << 24)),
        Value::AudioLevel(AudioLevel {
            voice: false,
            level: 128,
        }),
        Value::TimestampOffset(0x80_0000),
        Value::VideoOrientation(VideoOrientation {
            back_camera: false,
            flip: false,
            rotation: 4,
        }),
        Value::PlayoutDelay(PlayoutDelay {
            min: 0x1000,
            max: 0,
        }),
        Value::Mid("has space".into()),
        Value::RtpStreamId("".into()),
    ] {
        assert!(value.to_bytes().is_err(), "{value:?}");
    }
}

fn elements() -> impl Strategy<Value = Vec<Element>> {
    let one =
        (1u8..=255, proptest::collection::vec(any::<u8>(), 0..=255)).prop_map(|(id, data)| {
            Element {
                id,
                data: data.into(),
            }
        });
    let small =
        (1u8..=14, proptest::collection::vec(any::<u8>(), 1..=16)).prop_map(|(id, data)| Element {
            id,
            data: data.into(),
        });
    prop_oneof![
        proptest::collection::vec(small, 0..12),
        proptest::collection::vec(one, 0..12),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let rid = "[A-Za-z0-9_-]{1,32}";
    prop_oneof![
        (0u32..1 << 24).prop_map(|t| Value::AbsSendTime(AbsSendTime(t))),
        any::<u16>().prop_map(Value::TransportSequence),
        (any::<bool>(), 0u8..128)
            .prop_map(|(voice, level)| Value::AudioLevel(AudioLevel { voice, level })),
        (-0x80_0000i32..0x80_0000).prop_map(Value::TimestampOffset),
        "[A-Za-z0-9.~+-]{1,16}".prop_map(Value::Mid),
        rid.prop_map(Value::RtpStreamId),
        rid.prop_map(Value::RepairedRtpStreamId),
        (any::<bool>(), any::<bool>(), 0u8..4).prop_map(|(back_camera, flip, rotation)| {
            Value::VideoOrientation(VideoOrientation {
                back_camera,
                flip,
                rotation,
            })
        }),
        (0u16..4096, 0u16..4096)
            .prop_map(|(min, max)| Value::PlayoutDelay(PlayoutDelay { min, max })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn written_elements_read_back(elements in elements()) {
        let ext = write(&elements).unwrap();
        prop_assert_eq!(ext.data.len() % 4, 0);
        let fits_one_byte = elements
            .iter()
            .all(|e| e.id <= 14 && (1..=16).contains(&e.data.len()));
        prop_assert_eq!(ext.profile == 0xbede, fits_one_byte);
        let mut violations = Vec::new();
        let read = Elements::parse(&ext, &mut violations).unwrap();
        prop_assert!(violations.is_empty());
        prop_assert_eq!(&read.elements, &elements);
        // Written without padding between elements, the bytes are canonical.
        prop_assert_eq!(write_in(read.form, &read.elements).unwrap(), ext);
    }

    #[test]
    fn any_extension_parses_without_panic(profile in prop_oneof![Just(0xbedeu16), 0x1000u16..0x1010], data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let ext = HeaderExtension { profile, data: data.into() };
        let mut violations = Vec::new();
        let read = Elements::parse(&ext, &mut violations).unwrap();
        // Only a bad padding byte lets the parse go on past a violation.
        let ending = violations.iter().filter(|v| v.rule.id != "rtp.extension.padding").count();
        prop_assert!(ending <= 1);
        prop_assert!(read.elements.iter().all(|e| e.id != 0));
    }

    #[test]
    fn typed_values_read_back(value in value()) {
        let data = value.to_bytes().unwrap();
        prop_assert_eq!(value.kind().read(&data), Ok(value));
    }
}
