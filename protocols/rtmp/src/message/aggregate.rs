//! Aggregate messages (RTMP 1.0 §7.1.6): a run of sub-messages, each an FLV-tag-like 11-byte
//! header (type, 24-bit body size, 24-bit timestamp plus an 8-bit extension holding its high
//! bits, 24-bit stream id), the body, and a 4-byte back pointer holding 11 + body size.
//!
//! The back pointer must be present but its value is not checked: FMS 3.0.3 leaves the last
//! back pointer of every aggregate uninitialised (corpus `rtmp/server_stream`), and readers
//! (FFmpeg among them) skip the field.

use crate::Error;
use crate::chunk::RawMessage;
use crate::rules::AGGREGATE_FORMAT;
use weir_media::Reader;

const SUB_HEADER_LEN: usize = 11;
const BACK_POINTER_LEN: usize = 4;

/// Sub-messages of an aggregate (§7.1.6), timestamps rebased onto the aggregate's: the first
/// sub-message gets the aggregate's timestamp and the others keep their distance to it. They
/// inherit the aggregate's chunk and message stream ids (the header's stream id field is not
/// used by senders), and their payloads are slices of the aggregate's.
///
/// A malformed sub-message yields one error and ends the iteration. Error offsets count from
/// the start of the aggregate's payload; add the message's stream offset to place them.
pub fn split_aggregate(raw: &RawMessage) -> impl Iterator<Item = Result<RawMessage, Error>> + '_ {
    let mut pos = 0;
    let mut first_timestamp = None;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= raw.payload.len() {
            return None;
        }
        let item = read_sub_message(raw, pos, &mut first_timestamp);
        match &item {
            Ok((_, next)) => pos = *next,
            Err(_) => failed = true,
        }
        Some(item.map(|(msg, _)| msg))
    })
}

/// The sub-message at `pos` and the position after its back pointer.
fn read_sub_message(
    raw: &RawMessage,
    pos: usize,
    first_timestamp: &mut Option<u32>,
) -> Result<(RawMessage, usize), Error> {
    let payload = &raw.payload;
    let error = |at: usize, detail: String| Error::rule(&AGGREGATE_FORMAT, at as u64, detail);
    let mut header = Reader::new(payload.get(pos..).unwrap_or_default(), &AGGREGATE_FORMAT);
    let read = |header: &mut Reader| -> Result<_, Error> {
        let type_id = header.u8("sub-message type")?;
        let size = header.u24("sub-message size")? as usize;
        let [b4, b5, b6, b7] = header.array("sub-message timestamp")?;
        header.skip(3, "sub-message stream id")?;
        Ok((type_id, size, u32::from_be_bytes([b7, b4, b5, b6])))
    };
    let (type_id, size, timestamp) = read(&mut header).map_err(|e| e.shifted(pos as u64))?;
    let body_start = pos + SUB_HEADER_LEN;
    let body_end = body_start + size;
    if payload.len() < body_end + BACK_POINTER_LEN {
        return Err(error(
            pos,
            format!(
                "sub-message of type {type_id} announces {size} body bytes plus a back pointer, {} left",
                payload.len() - body_start
            ),
        ));
    }
    let first = *first_timestamp.get_or_insert(timestamp);
    let msg = RawMessage {
        csid: raw.csid,
        timestamp: raw.timestamp.wrapping_add(timestamp.wrapping_sub(first)),
        type_id,
        stream_id: raw.stream_id,
        payload: payload.slice(body_start..body_end),
    };
    Ok((msg, body_end + BACK_POINTER_LEN))
}
