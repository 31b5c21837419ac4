//! Protocol control messages (RTMP 1.0 §5.4): types 1, 2, 3, 5 and 6, fixed-size big-endian
//! fields. A payload shorter than its type defines is an error; trailing bytes are a violation
//! and are ignored.

use bytes::Bytes;
use weir_media::{Reader, Violation};

use crate::Error;
use crate::chunk::MAX_CHUNK_SIZE;
use crate::rules::{
    CONTROL_PAYLOAD_LENGTH, CONTROL_PEER_BANDWIDTH, CONTROL_SET_CHUNK_SIZE, CONTROL_WINDOW_SIZE,
};

/// The limit type of Set Peer Bandwidth (§5.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandwidthLimit {
    /// 0: limit output to the window size.
    Hard,
    /// 1: limit output to the window size or the current limit, whichever is smaller.
    Soft,
    /// 2: Hard if the previous limit was Hard, otherwise ignore the message.
    Dynamic,
}

/// The first `N` bytes of a control payload that must be `N` bytes long.
pub(super) fn fixed<const N: usize>(
    payload: &[u8],
    offset: u64,
    what: &str,
) -> Result<[u8; N], Error> {
    Reader::new(payload, &CONTROL_PAYLOAD_LENGTH)
        .array(what)
        .map_err(|e| e.shifted(offset))
}

/// Reports bytes after the fields a control message defines.
pub(super) fn check_trailing(
    payload: &[u8],
    expected: usize,
    offset: u64,
    what: &str,
    violations: &mut Vec<Violation>,
) {
    if payload.len() > expected {
        violations.push(Violation::new(
            &CONTROL_PAYLOAD_LENGTH,
            offset,
            format!(
                "{what} has {} payload bytes, {expected} expected; the rest is ignored",
                payload.len()
            ),
        ));
    }
}

fn decode_u32(
    payload: &[u8],
    offset: u64,
    what: &str,
    violations: &mut Vec<Violation>,
) -> Result<u32, Error> {
    check_trailing(payload, 4, offset, what, violations);
    Ok(u32::from_be_bytes(fixed::<4>(payload, offset, what)?))
}

/// The chunk size a Set Chunk Size payload announces; the decoder applies it (§5.4.1).
pub(crate) fn parse_set_chunk_size(payload: &[u8], offset: u64) -> Result<u32, Error> {
    let size = u32::from_be_bytes(fixed::<4>(payload, offset, "Set Chunk Size")?);
    if size == 0 || size > MAX_CHUNK_SIZE {
        return Err(Error::rule(
            &CONTROL_SET_CHUNK_SIZE,
            offset,
            format!("Set Chunk Size announces {size:#x}, outside 1..=0x7FFFFFFF"),
        ));
    }
    Ok(size)
}

/// The chunk stream an Abort names; the decoder applies it (§5.4.2).
pub(crate) fn parse_abort(payload: &[u8], offset: u64) -> Result<u32, Error> {
    Ok(u32::from_be_bytes(fixed::<4>(payload, offset, "Abort")?))
}

pub(super) fn decode_set_chunk_size(
    payload: &[u8],
    offset: u64,
    violations: &mut Vec<Violation>,
) -> Result<u32, Error> {
    check_trailing(payload, 4, offset, "Set Chunk Size", violations);
    parse_set_chunk_size(payload, offset)
}

pub(super) fn decode_abort(
    payload: &[u8],
    offset: u64,
    violations: &mut Vec<Violation>,
) -> Result<u32, Error> {
    check_trailing(payload, 4, offset, "Abort", violations);
    parse_abort(payload, offset)
}

pub(super) fn decode_acknowledgement(
    payload: &[u8],
    offset: u64,
    violations: &mut Vec<Violation>,
) -> Result<u32, Error> {
    decode_u32(payload, offset, "Acknowledgement", violations)
}

pub(super) fn decode_window_ack_size(
    payload: &[u8],
    offset: u64,
    violations: &mut Vec<Violation>,
) -> Result<u32, Error> {
    let size = decode_u32(payload, offset, "Window Acknowledgement Size", violations)?;
    if size == 0 {
        violations.push(Violation::new(
            &CONTROL_WINDOW_SIZE,
            offset,
            "Window Acknowledgement Size is 0",
        ));
    }
    Ok(size)
}

/// Size and limit type; an undefined limit type is reported and read as Dynamic, the one type
/// a receiver may ignore (§5.4.5).
pub(super) fn decode_set_peer_bandwidth(
    payload: &[u8],
    offset: u64,
    violations: &mut Vec<Violation>,
) -> Result<(u32, BandwidthLimit), Error> {
    check_trailing(payload, 5, offset, "Set Peer Bandwidth", violations);
    let [a, b, c, d, limit] = fixed::<5>(payload, offset, "Set Peer Bandwidth")?;
    let limit = match limit {
        0 => BandwidthLimit::Hard,
        1 => BandwidthLimit::Soft,
        2 => BandwidthLimit::Dynamic,
        other => {
            violations.push(Violation::new(
                &CONTROL_PEER_BANDWIDTH,
                offset + 4,
                format!("Set Peer Bandwidth limit type {other} is not 0, 1 or 2; read as dynamic"),
            ));
            BandwidthLimit::Dynamic
        }
    };
    Ok((u32::from_be_bytes([a, b, c, d]), limit))
}

pub(super) fn encode_u32(value: u32) -> Bytes {
    Bytes::copy_from_slice(&value.to_be_bytes())
}

pub(super) fn encode_set_peer_bandwidth(size: u32, limit: BandwidthLimit) -> Bytes {
    let mut payload = [0u8; 5];
    payload[..4].copy_from_slice(&size.to_be_bytes());
    payload[4] = limit as u8;
    Bytes::copy_from_slice(&payload)
}
