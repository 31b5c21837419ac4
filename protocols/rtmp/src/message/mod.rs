//! RTMP messages (RTMP 1.0 §5.4, §6, §7): the payload of a [`RawMessage`] read by its type id.
//!
//! [`Message::decode`] and [`Message::encode`] are exact inverses for every well-formed
//! message. Payloads of media, shared object and aggregate messages stay `Bytes` slices of
//! the input.

mod aggregate;
mod command;
mod control;
mod user_control;

pub use aggregate::split_aggregate;
pub use command::{Command, Data};
pub use control::BandwidthLimit;
pub(crate) use control::{parse_abort, parse_set_chunk_size};
pub use user_control::UserControl;

use bytes::Bytes;
use weir_media::Violation;

use crate::Error;
use crate::chunk::{CONTROL_CSID, RawMessage};
use crate::rules::{CHUNK_CSID_RANGE, CHUNK_MESSAGE_STREAM_ID, CONTROL_UNKNOWN_TYPE};

// Message type ids (RTMP 1.0 §5.4, §6.2, §7.1).

/// Set Chunk Size (§5.4.1).
pub const SET_CHUNK_SIZE: u8 = 1;
/// Abort Message (§5.4.2).
pub const ABORT: u8 = 2;
/// Acknowledgement (§5.4.3).
pub const ACKNOWLEDGEMENT: u8 = 3;
/// User Control Message (§6.2, §7.1.7).
pub const USER_CONTROL: u8 = 4;
/// Window Acknowledgement Size (§5.4.4).
pub const WINDOW_ACK_SIZE: u8 = 5;
/// Set Peer Bandwidth (§5.4.5).
pub const SET_PEER_BANDWIDTH: u8 = 6;
/// Audio Message (§7.1.5).
pub const AUDIO: u8 = 8;
/// Video Message (§7.1.5).
pub const VIDEO: u8 = 9;
/// Data Message, AMF3 container (§7.1.2).
pub const DATA_AMF3: u8 = 15;
/// Shared Object Message, AMF3 container (§7.1.3).
pub const SHARED_OBJECT_AMF3: u8 = 16;
/// Command Message, AMF3 container (§7.1.1).
pub const COMMAND_AMF3: u8 = 17;
/// Data Message, AMF0 (§7.1.2).
pub const DATA_AMF0: u8 = 18;
/// Shared Object Message, AMF0 (§7.1.3).
pub const SHARED_OBJECT_AMF0: u8 = 19;
/// Command Message, AMF0 (§7.1.1).
pub const COMMAND_AMF0: u8 = 20;
/// Aggregate Message (§7.1.6).
pub const AGGREGATE: u8 = 22;

/// One message, its payload interpreted.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// §5.4.1: the sender's new maximum chunk size.
    SetChunkSize(u32),
    /// §5.4.2: discard the partial message on this chunk stream.
    Abort {
        /// The chunk stream whose partial message is dropped.
        csid: u32,
    },
    /// §5.4.3: the number of bytes received so far (modulo 2^32).
    Acknowledgement {
        /// Sequence number: bytes received so far, modulo 2^32.
        sequence: u32,
    },
    /// §6.2, §7.1.7.
    UserControl(UserControl),
    /// §5.4.4: how many bytes the sender may receive before it acknowledges.
    WindowAckSize(u32),
    /// §5.4.5: limit the peer's output bandwidth.
    SetPeerBandwidth {
        /// The window acknowledgement size the peer should use, in bytes.
        size: u32,
        /// How the peer applies it: hard, soft or dynamic.
        limit: BandwidthLimit,
    },
    /// §7.1.5: an FLV audio tag body.
    Audio(Bytes),
    /// §7.1.5: an FLV video tag body.
    Video(Bytes),
    /// §7.1.1: types 20 (AMF0) and 17 (AMF3).
    Command(Command),
    /// §7.1.2: types 18 (AMF0) and 15 (AMF3).
    Data(Data),
    /// §7.1.3: types 19 (AMF0) and 16 (AMF3), kept undecoded.
    SharedObject {
        /// Type 16 (AMF3) rather than 19 (AMF0).
        amf3: bool,
        /// The payload, undecoded.
        payload: Bytes,
    },
    /// §7.1.6: sub-messages, read with [`split_aggregate`].
    Aggregate(Bytes),
    /// A type id the spec does not define.
    Unknown {
        /// The message type id.
        type_id: u8,
        /// The payload, undecoded.
        payload: Bytes,
    },
}

impl Message {
    /// The message type id this message is sent with.
    pub fn type_id(&self) -> u8 {
        match self {
            Message::SetChunkSize(_) => SET_CHUNK_SIZE,
            Message::Abort { .. } => ABORT,
            Message::Acknowledgement { .. } => ACKNOWLEDGEMENT,
            Message::UserControl(_) => USER_CONTROL,
            Message::WindowAckSize(_) => WINDOW_ACK_SIZE,
            Message::SetPeerBandwidth { .. } => SET_PEER_BANDWIDTH,
            Message::Audio(_) => AUDIO,
            Message::Video(_) => VIDEO,
            Message::Command(c) => {
                if c.amf3 {
                    COMMAND_AMF3
                } else {
                    COMMAND_AMF0
                }
            }
            Message::Data(d) => {
                if d.amf3 {
                    DATA_AMF3
                } else {
                    DATA_AMF0
                }
            }
            Message::SharedObject { amf3, .. } => {
                if *amf3 {
                    SHARED_OBJECT_AMF3
                } else {
                    SHARED_OBJECT_AMF0
                }
            }
            Message::Aggregate(_) => AGGREGATE,
            Message::Unknown { type_id, .. } => *type_id,
        }
    }

    /// Parses the payload of `raw` by its type id. AMF values are bounded by `amf`.
    ///
    /// Errors and violations carry the payload position of the problem as their offset (0 for
    /// problems with the message as a whole: its type, its chunk or message stream, a command
    /// name that is not a string). A multi-chunk payload is interleaved with chunk headers on
    /// the wire, which this function does not see: map positions to stream offsets with
    /// `ChunkDecoder::payload_offset`, as the sessions do.
    pub fn decode(
        raw: &RawMessage,
        amf: &weir_amf0::Limits,
        violations: &mut Vec<Violation>,
    ) -> Result<Message, Error> {
        let offset = 0;
        let payload = &raw.payload;
        if matches!(
            raw.type_id,
            SET_CHUNK_SIZE..=ACKNOWLEDGEMENT | WINDOW_ACK_SIZE | SET_PEER_BANDWIDTH
        ) && (raw.csid != CONTROL_CSID || raw.stream_id != 0)
        {
            violations.push(Violation::new(
                &CHUNK_MESSAGE_STREAM_ID,
                offset,
                format!(
                    "protocol control message type {} on chunk stream {} and message stream {}",
                    raw.type_id, raw.csid, raw.stream_id
                ),
            ));
        }
        if raw.csid == CONTROL_CSID
            && !matches!(
                raw.type_id,
                SET_CHUNK_SIZE..=SET_PEER_BANDWIDTH | COMMAND_AMF3 | COMMAND_AMF0
            )
        {
            violations.push(Violation::new(
                &CHUNK_CSID_RANGE,
                offset,
                format!("message type {} on chunk stream 2", raw.type_id),
            ));
        }
        Ok(match raw.type_id {
            SET_CHUNK_SIZE => {
                Message::SetChunkSize(control::decode_set_chunk_size(payload, offset, violations)?)
            }
            ABORT => Message::Abort {
                csid: control::decode_abort(payload, offset, violations)?,
            },
            ACKNOWLEDGEMENT => Message::Acknowledgement {
                sequence: control::decode_acknowledgement(payload, offset, violations)?,
            },
            USER_CONTROL => Message::UserControl(UserControl::decode(payload, offset, violations)?),
            WINDOW_ACK_SIZE => Message::WindowAckSize(control::decode_window_ack_size(
                payload, offset, violations,
            )?),
            SET_PEER_BANDWIDTH => {
                let (size, limit) =
                    control::decode_set_peer_bandwidth(payload, offset, violations)?;
                Message::SetPeerBandwidth { size, limit }
            }
            AUDIO => Message::Audio(payload.clone()),
            VIDEO => Message::Video(payload.clone()),
            COMMAND_AMF0 | COMMAND_AMF3 => Message::Command(Command::decode(
                payload,
                raw.type_id == COMMAND_AMF3,
                amf,
                offset,
                violations,
            )?),
            DATA_AMF0 | DATA_AMF3 => Message::Data(Data::decode(
                payload,
                raw.type_id == DATA_AMF3,
                amf,
                offset,
                violations,
            )?),
            SHARED_OBJECT_AMF0 | SHARED_OBJECT_AMF3 => Message::SharedObject {
                amf3: raw.type_id == SHARED_OBJECT_AMF3,
                payload: payload.clone(),
            },
            AGGREGATE => Message::Aggregate(payload.clone()),
            type_id => {
                violations.push(Violation::new(
                    &CONTROL_UNKNOWN_TYPE,
                    offset,
                    format!(
                        "message type {type_id} is not defined ({} bytes kept as they are)",
                        payload.len()
                    ),
                ));
                Message::Unknown {
                    type_id,
                    payload: payload.clone(),
                }
            }
        })
    }

    /// The payload bytes; the type id is [`Self::type_id`].
    pub fn encode(&self) -> Bytes {
        match self {
            Message::SetChunkSize(size) => control::encode_u32(*size),
            Message::Abort { csid } => control::encode_u32(*csid),
            Message::Acknowledgement { sequence } => control::encode_u32(*sequence),
            Message::UserControl(event) => event.encode(),
            Message::WindowAckSize(size) => control::encode_u32(*size),
            Message::SetPeerBandwidth { size, limit } => {
                control::encode_set_peer_bandwidth(*size, *limit)
            }
            Message::Command(command) => command.encode(),
            Message::Data(data) => data.encode(),
            Message::Audio(payload)
            | Message::Video(payload)
            | Message::SharedObject { payload, .. }
            | Message::Aggregate(payload)
            | Message::Unknown { payload, .. } => payload.clone(),
        }
    }

    /// The message with its header, ready for `ChunkEncoder::encode`.
    pub fn to_raw(&self, csid: u32, timestamp: u32, stream_id: u32) -> RawMessage {
        RawMessage {
            csid,
            timestamp,
            type_id: self.type_id(),
            stream_id,
            payload: self.encode(),
        }
    }
}
