//! The time a frame left the publisher, carried inside the frame, so that players can measure
//! the delay a server adds (publisher in, player out) on the same machine's clock.
//!
//! The publisher puts an H.264 SEI NAL unit, user data unregistered (H.264 §7.3.2.3.1, §D.1.7:
//! a UUID and free bytes, which decoders ignore), in front of each H.264 frame's NAL units:
//! the UUID below, then the wall-clock time in microseconds as ten 7-bit groups with their top
//! bit set. No payload byte is zero, so no emulation prevention byte is ever needed, and a
//! player finds the stamp at a fixed place with no search.

use bytes::{BufMut, Bytes, BytesMut};
use std::time::{SystemTime, UNIX_EPOCH};

/// The SEI's UUID (16 bytes, none zero).
const UUID: &[u8; 16] = b"weir-load-stamp!";
/// NAL header (type 6, SEI), payloadType 5 (user data unregistered), payloadSize.
const HEAD: [u8; 3] = [0x06, 5, (UUID.len() + TIME_LEN) as u8];
/// Groups of 7 bits of the time.
const TIME_LEN: usize = 10;
/// The SEI NAL unit's length: head, UUID, time, rbsp_trailing_bits.
const NAL_LEN: usize = HEAD.len() + UUID.len() + TIME_LEN + 1;

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// An FLV video tag body of an H.264 frame (AVCPacketType 1) with the stamp NAL unit in front
/// of its NAL units; any other body as it is. NAL units are taken to have 4-byte lengths (as
/// every encoder writes them).
pub fn stamp(body: &Bytes, at_us: u64) -> Bytes {
    let is_avc_frame = body.len() > 5 && body[0] & 0x0f == 7 && body[1] == 1;
    if !is_avc_frame {
        return body.clone();
    }
    let mut out = BytesMut::with_capacity(body.len() + 4 + NAL_LEN);
    out.put_slice(&body[..5]);
    out.put_u32(NAL_LEN as u32);
    out.put_slice(&HEAD);
    out.put_slice(UUID);
    for group in (0..TIME_LEN).rev() {
        out.put_u8(0x80 | (at_us >> (7 * group)) as u8 & 0x7f);
    }
    out.put_u8(0x80);
    out.put_slice(&body[5..]);
    out.freeze()
}

/// The time stamped in an H.264 frame's data (length-prefixed NAL units, as the media model
/// carries them), if it carries a stamp.
pub fn read(frame: &[u8]) -> Option<u64> {
    let nal = frame.get(4..4 + NAL_LEN)?;
    let (head, rest) = nal.split_at(HEAD.len());
    let (uuid, time) = rest.split_at(UUID.len());
    if head != HEAD || uuid != UUID || frame[..4] != (NAL_LEN as u32).to_be_bytes() {
        return None;
    }
    Some(time_of(time))
}

/// How far into an Annex B access unit [`read_annex_b`] looks for the stamp: past the SPS and
/// PPS a keyframe may carry in front of it.
const ANNEX_B_SEARCH: usize = 512;

/// The time stamped in an H.264 access unit in Annex B form (start codes, as WebRTC players
/// get it, H.264 §B.1), if one of its NAL units in its first bytes is the stamp.
pub fn read_annex_b(unit: &[u8]) -> Option<u64> {
    let window = &unit[..unit.len().min(ANNEX_B_SEARCH)];
    let at = window
        .windows(3 + HEAD.len() + UUID.len())
        .position(|w| w[..3] == [0, 0, 1] && w[3..6] == HEAD && w[6..] == UUID[..])?;
    let time = unit
        .get(at + 3 + HEAD.len() + UUID.len()..)?
        .get(..TIME_LEN)?;
    Some(time_of(time))
}

/// The time from its 7-bit groups.
fn time_of(groups: &[u8]) -> u64 {
    groups
        .iter()
        .take(TIME_LEN)
        .fold(0, |t, &b| (t << 7) | u64::from(b & 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_media::{MediaPacket, Timestamp};

    #[test]
    fn a_stamped_frame_reads_back_through_the_flv_bridge_and_keeps_its_nal_units() {
        // Keyframe, AVC NALU, CTS 0, one IDR NAL unit of 3 bytes.
        let body = Bytes::from_static(&[0x17, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 0x88, 0x84]);
        let at = 1_765_000_000_123_456;
        let stamped = stamp(&body, at);
        let mut packets = Vec::new();
        weir_flv::read_video(Timestamp(0), stamped, &mut |p| packets.push(p)).unwrap();
        let MediaPacket::Frame(frame) = &packets[0] else {
            panic!("{packets:?}")
        };
        assert_eq!(read(&frame.data), Some(at));
        assert_eq!(&frame.data[4 + NAL_LEN..], &body[5..]);
        assert!(
            !frame.data[4..4 + NAL_LEN].contains(&0),
            "no emulation prevention needed"
        );
    }

    #[test]
    fn other_bodies_pass_unstamped_and_read_nothing() {
        let audio = Bytes::from_static(&[0xaf, 1, 0x21, 0x10]);
        assert_eq!(stamp(&audio, 5), audio);
        let config = Bytes::from_static(&[0x17, 0, 0, 0, 0, 1, 0x64]);
        assert_eq!(stamp(&config, 5), config);
        assert_eq!(read(&[0, 0, 0, 3, 0x65, 0x88, 0x84]), None);
        assert_eq!(read(&[]), None);
        assert_eq!(read_annex_b(&[0, 0, 0, 1, 0x65, 0x88, 0x84]), None);
        assert_eq!(read_annex_b(&[]), None);
    }

    #[test]
    fn a_stamp_is_found_in_annex_b_after_a_keyframes_parameter_sets() {
        let body = Bytes::from_static(&[0x17, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 0x88, 0x84]);
        let at = 1_765_000_000_654_321;
        let stamped = stamp(&body, at);
        // What a WebRTC player gets: start codes in place of lengths, an SPS and a PPS first.
        let sei = &stamped[9..9 + NAL_LEN];
        let mut unit = vec![0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 0, 1, 0x68, 0xce];
        unit.extend_from_slice(&[0, 0, 0, 1]);
        unit.extend_from_slice(sei);
        unit.extend_from_slice(&[0, 0, 1, 0x65, 0x88, 0x84]);
        assert_eq!(read_annex_b(&unit), Some(at));
        // Cut in the middle of the time: the SPS (6), PPS (6) and the SEI's start code, head
        // and UUID come first.
        let time_at = 18 + HEAD.len() + UUID.len();
        assert_eq!(read_annex_b(&unit[..time_at + 5]), None, "cut short");
    }
}
