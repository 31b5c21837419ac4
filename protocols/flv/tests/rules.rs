//! Every rule of the FLV catalog fires on an input made to break it, and the table names every
//! rule, so no rule is one nothing can trigger.
//!
//! Files go through [`FlvReader`] and each tag body through the parser that reads it
//! (`read_audio_checked`, `read_video_checked`, [`ScriptData::parse`]), as the conformance
//! observer and the server do. Valid input breaks none of them: `tests/corpus.rs` reads every
//! FLV file of the corpus with no violation, and `a_valid_file_breaks_no_rule` below reads one
//! tag of each kind.

use bytes::Bytes;
use std::time::Instant;
use weir_amf0::Limits;
use weir_flv::media::{read_audio_checked, read_video_checked};
use weir_flv::{FlvReader, FlvWriter, ScriptData, TagType, rules};
use weir_media::{Error, Machine, Output, Timestamp, Violation};

/// The rule ids of `violations` and of `result`'s error, in that order.
fn ids(violations: &[Violation], result: Result<(), Error>) -> Vec<&'static str> {
    let mut ids: Vec<_> = violations.iter().map(|v| v.rule.id).collect();
    ids.extend(result.err().map(|e| e.rule_id()));
    ids
}

/// The rules an audio tag body breaks.
fn audio(body: &[u8]) -> Vec<&'static str> {
    let mut violations = Vec::new();
    let body = Bytes::copy_from_slice(body);
    let result = read_audio_checked(
        Timestamp::from_millis(0),
        body,
        &mut |_| {},
        &mut violations,
    );
    ids(&violations, result)
}

/// The rules a video tag body breaks.
fn video(body: &[u8]) -> Vec<&'static str> {
    let mut violations = Vec::new();
    let body = Bytes::copy_from_slice(body);
    let result = read_video_checked(
        Timestamp::from_millis(0),
        body,
        &mut |_| {},
        &mut violations,
    );
    ids(&violations, result)
}

/// The rules a whole file breaks, read by `reader`: its structure, then each tag's body.
fn file_with(mut reader: FlvReader, bytes: &[u8]) -> Vec<&'static str> {
    let now = Instant::now();
    let result = reader.handle_input(now, bytes);
    let result = result.and_then(|()| reader.handle_end(now));
    let mut fired = Vec::new();
    while let Some(out) = reader.poll_output() {
        match out {
            Output::Violation(v) => fired.push(v.rule.id),
            Output::Event(tag) => fired.extend(match tag.header.tag_type {
                TagType::Audio => audio(&tag.body),
                TagType::Video => video(&tag.body),
                TagType::Script => ScriptData::parse(&tag.body, &Limits::default())
                    .err()
                    .map(|e| e.rule_id())
                    .into_iter()
                    .collect(),
                TagType::Other(_) => vec![],
            }),
            Output::Transmit(_) => {}
        }
    }
    fired.extend(result.err().map(|e| e.rule_id()));
    fired
}

fn file(bytes: &[u8]) -> Vec<&'static str> {
    file_with(FlvReader::new(), bytes)
}

/// A file of one header and the given tags.
fn flv(tags: &[(TagType, &[u8])]) -> Vec<u8> {
    let mut writer = FlvWriter::new(true, true);
    let mut out = writer.header_bytes().to_vec();
    for (i, (kind, body)) in tags.iter().enumerate() {
        out.extend_from_slice(&FlvWriter::tag(*kind, i as u32 * 40, body).unwrap());
    }
    out
}

/// An onMetaData script tag body.
fn metadata() -> Vec<u8> {
    let value = weir_amf0::Value::EcmaArray(vec![("duration".into(), 1.0.into())]);
    ScriptData::on_meta_data(value).to_bytes().to_vec()
}

/// A legacy AAC sequence header, an AVC sequence header and an AVC keyframe.
const AAC_CONFIG: &[u8] = &[0xAF, 0x00, 0x12, 0x10];
const AVC_NALUS: &[u8] = &[0x17, 0x01, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88];

#[test]
fn a_valid_file_breaks_no_rule() {
    let script = metadata();
    let good = flv(&[
        (TagType::Script, &script),
        (TagType::Audio, AAC_CONFIG),
        (TagType::Video, AVC_NALUS),
        // AAC with SoundSize 0: the field is for uncompressed formats only.
        (TagType::Audio, &[0xAD, 0x01, 0x21]),
        // Enhanced: an Opus MultichannelConfig (unspecified order, 2 channels).
        (TagType::Audio, &[0x94, b'O', b'p', b'u', b's', 0, 2]),
        // Enhanced: an hvc1 CodedFramesX keyframe.
        (TagType::Video, &[0x93, b'h', b'v', b'c', b'1', 0, 0, 0, 1]),
    ]);
    assert_eq!(file(&good), Vec::<&str>::new());
}

#[test]
fn every_rule_fires_on_an_input_that_breaks_it() {
    let script = metadata();
    let good = flv(&[(TagType::Script, &script), (TagType::Audio, AAC_CONFIG)]);
    let header_len = 9;
    let tweak = |at: usize, byte: u8| {
        let mut b = good.clone();
        b[at] = byte;
        b
    };
    // The first tag's header starts after the file header and PreviousTagSize0.
    let tag = header_len + 4;
    let after_first_tag = tag + 11 + script.len();
    // 300 empty tracks of one multitrack packet; 20 chained ModEx records.
    let mut many_tracks = vec![0x95, 0x11, b'O', b'p', b'u', b's'];
    for id in 0..300u16 {
        many_tracks.extend([id as u8, 0, 0, 0]);
    }
    let mut many_mod_ex = vec![0x97];
    for _ in 0..20 {
        many_mod_ex.extend([0x00, 0xAA, 0x17]);
    }

    let table: Vec<(&str, Vec<&str>)> = vec![
        ("flv.header.signature", file(&tweak(0, b'X'))),
        ("flv.header.version", file(&tweak(3, 2))),
        ("flv.header.reserved", file(&tweak(4, 0x05 | 0x08))),
        ("flv.header.data-offset", file(&tweak(8, 8))),
        (
            "flv.body.previous-tag-size-0",
            file(&tweak(header_len + 3, 1)),
        ),
        (
            "flv.tag.previous-tag-size",
            file(&tweak(after_first_tag + 3, 1)),
        ),
        ("flv.tag.reserved", file(&tweak(tag, 0x40 | 18))),
        ("flv.tag.type", file(&tweak(tag, 7))),
        ("flv.tag.stream-id", file(&tweak(tag + 10, 1))),
        (
            "flv.tag.size",
            file_with(FlvReader::with_max_tag_size(3), &good),
        ),
        ("flv.tag.truncated", file(&good[..good.len() - 5])),
        ("flv.tag.truncated", file(&good[..tag + 5])),
        ("flv.audio.header", audio(&[])),
        ("flv.audio.header", audio(&[0xAF])),
        ("flv.audio.sound-format", audio(&[0xC2, 0])),
        ("flv.audio.aac-packet-type", audio(&[0xAF, 2, 0x12, 0x10])),
        ("flv.audio.aac-flags", audio(&[0xAB, 0, 0x12, 0x10])),
        ("flv.audio.aac-flags", audio(&[0xAE, 0, 0x12, 0x10])),
        (
            "flv.audio.packet-type",
            audio(&[0x93, b'O', b'p', b'u', b's']),
        ),
        (
            "flv.audio.fourcc",
            audio(&[0x91, b'x', b'x', b'x', b'x', 1]),
        ),
        ("flv.audio.fourcc", audio(&[0x91, b'O', b'p'])),
        (
            "flv.audio.multichannel-config",
            audio(&[0x94, b'O', b'p', b'u', b's', 3, 2]),
        ),
        (
            "flv.audio.multichannel-config",
            audio(&[0x94, b'O', b'p', b'u', b's', 2, 3, 0]),
        ),
        ("flv.video.header", video(&[])),
        ("flv.video.header", video(&[0x17, 1, 0])),
        ("flv.video.frame-type", video(&[0x07, 1, 0, 0, 0])),
        ("flv.video.codec-id", video(&[0x11, 0])),
        ("flv.video.avc-packet-type", video(&[0x17, 3, 0, 0, 0])),
        ("flv.video.composition-time", video(&[0x17, 2, 0, 0, 1])),
        (
            "flv.video.packet-type",
            video(&[0x98, b'a', b'v', b'c', b'1']),
        ),
        (
            "flv.video.fourcc",
            video(&[0x93, b'x', b'x', b'x', b'x', 0, 0, 0, 1]),
        ),
        ("flv.video.command", video(&[0x57])),
        ("flv.video.command", video(&[0xD1])),
        (
            "flv.av.multitrack",
            video(&[0x96, 0x31, b'a', b'v', b'c', b'1', 0]),
        ),
        ("flv.av.multitrack", video(&[0x96, 0x06])),
        ("flv.av.mod-ex", audio(&[0x97])),
        (
            "flv.av.mod-ex",
            audio(&[0x97, 0x01, 0, 0, 0x01, b'O', b'p', b'u', b's', 1]),
        ),
        ("flv.av.track-count", audio(&many_tracks)),
        ("flv.av.mod-ex-count", audio(&many_mod_ex)),
        (
            "flv.av.track-size",
            audio(&[0x95, 0x11, b'O', b'p', b'u', b's', 0, 0, 0, 9, 1]),
        ),
        (
            "flv.script.name",
            file(&flv(&[(TagType::Script, &[0x00, 0, 0, 0, 0, 0, 0, 0, 0])])),
        ),
    ];
    // Each input breaks only the rule it was made for.
    weir_testkit::rule_table::check_exact(rules::CATALOG, &table);
}
