//! FLV from hostile bytes: the streaming reader over the data (whole and cut where the data
//! chooses, giving the same outputs), and the audio/video/script body parsers and the media bridge on every tag
//! body and on the raw data. Nothing panics, and whatever parses writes back to bytes that
//! parse to the same value.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_amf0::Limits;
use weir_flv::audio::AudioTag;
use weir_flv::video::VideoTag;
use weir_flv::{FlvReader, ScriptData, TagType, read_audio, read_video, write_packet};
use weir_media::MediaPacket;
use weir_testkit::split;
use weir_media::Timestamp;

fn bodies(timestamp: u32, body: Bytes) {
    if let Ok(tag) = AudioTag::parse(&body) {
        let again = AudioTag::parse(&tag.to_bytes().expect("a parsed audio tag writes"));
        assert_eq!(again.as_ref(), Ok(&tag));
    }
    if let Ok(tag) = VideoTag::parse(&body) {
        let again = VideoTag::parse(&tag.to_bytes().expect("a parsed video tag writes"));
        assert_eq!(again.as_ref(), Ok(&tag));
    }
    let mut rewrite = |p: MediaPacket| {
        let _ = write_packet(&p);
    };
    let _ = read_audio(Timestamp::from_millis(timestamp.into()), body.clone(), &mut rewrite);
    let _ = read_video(Timestamp::from_millis(timestamp.into()), body.clone(), &mut rewrite);
    let _ = ScriptData::parse(&body, &Limits::default());
}

fuzz_target!(|data: &[u8]| {
    bodies(0, Bytes::copy_from_slice(data));

    // Odd first byte: put a valid file header in front so the fuzzer reaches the tags.
    let mut file = Vec::new();
    if data.first().is_some_and(|b| b & 1 == 1) {
        file.extend_from_slice(b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00");
    }
    file.extend_from_slice(data);
    // The reader gives the same tags however the file is cut (cuts chosen by the data).
    let cuts = split::cuts(data.get(1..9).unwrap_or_default(), file.len());
    let out = split::check(|| FlvReader::with_max_tag_size(1 << 20), &file, &cuts);
    for tag in out.events {
        match tag.header.tag_type {
            TagType::Audio | TagType::Video | TagType::Script => {
                bodies(tag.header.timestamp, tag.body)
            }
            TagType::Other(_) => {}
        }
    }
});
