//! Audio transcoding from hostile bytes. AAC -> Opus: the data as ADTS (its first header gives
//! the AudioSpecificConfig, each frame's payload is an access unit), or, when it is not ADTS,
//! cut into access units under a valid config. Opus -> AAC: the data cut into packets (a
//! length byte each) under a valid `OpusHead`, then under the data's own bytes as a header.
//! Nothing panics and the output stays bounded.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_media::adts::{AdtsHeader, adts_frames};
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};
use weir_transcode::{AudioTranscoder, Want};

fn config(codec: Codec, data: &[u8]) -> MediaPacket {
    MediaPacket::Config(TrackConfig { track: Track::AUDIO, codec, data: Bytes::copy_from_slice(data) })
}

fn frame(codec: Codec, i: usize, data: &[u8]) -> MediaPacket {
    let t = Timestamp(i as i64 * 1920);
    MediaPacket::Frame(Frame { track: Track::AUDIO, codec, pts: t, dts: t, keyframe: true, data: Bytes::copy_from_slice(data) })
}

/// `data` cut into pieces, each led by its length byte.
fn pieces(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let len = usize::from(len).min(rest.len());
        out.push(&rest[..len]);
        data = &rest[len..];
    }
    out
}

fn run(want: Want, packets: &[MediaPacket]) {
    let mut transcoder = AudioTranscoder::new(want);
    let mut out = Vec::new();
    for packet in packets {
        let before = out.len();
        let _ = transcoder.push(packet, &mut out);
        assert!(out.len() - before <= 8, "one packet made {} out", out.len() - before);
    }
}

// A stereo AAC LC 44.1 kHz AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1: 2, 4, 2).
const AAC_LC: [u8; 2] = [0x12, 0x10];
// A stereo OpusHead, family 0 (RFC 7845 §5.1).
const OPUS_HEAD: &[u8] = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00";

fuzz_target!(|data: &[u8]| {
    let mut aac = Vec::new();
    if let Ok(header) = AdtsHeader::parse(data) {
        if let Ok(asc) = header.audio_specific_config().to_bytes() {
            aac.push(config(Codec::Aac, &asc));
        }
        for (i, f) in adts_frames(data).take(64).enumerate() {
            match f {
                Ok(f) => aac.push(frame(Codec::Aac, i, f.payload)),
                Err(_) => break,
            }
        }
    } else {
        aac.push(config(Codec::Aac, &AAC_LC));
        aac.extend(pieces(data).iter().take(64).enumerate().map(|(i, p)| frame(Codec::Aac, i, p)));
    }
    run(Want::Opus, &aac);

    let cut = pieces(data);
    let mut opus = vec![config(Codec::Opus, OPUS_HEAD)];
    opus.extend(cut.iter().take(64).enumerate().map(|(i, p)| frame(Codec::Opus, i, p)));
    run(Want::Aac, &opus);
    if let Some((head, rest)) = cut.split_first() {
        let mut own = vec![config(Codec::Opus, head)];
        own.extend(rest.iter().take(64).enumerate().map(|(i, p)| frame(Codec::Opus, i, p)));
        run(Want::Aac, &own);
    }
});
