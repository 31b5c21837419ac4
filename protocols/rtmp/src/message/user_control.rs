//! User control messages (RTMP 1.0 §6.2, §7.1.7): message type 4, a 16-bit event type and
//! event data.

use bytes::{BufMut, Bytes, BytesMut};
use weir_media::Violation;

use super::control::{check_trailing, fixed};
use crate::Error;
use crate::rules::USER_CONTROL_EVENT;

/// One user control event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserControl {
    /// 0: the stream with this id became functional.
    StreamBegin(u32),
    /// 1: playback of the stream ended.
    StreamEof(u32),
    /// 2: no more data on the stream for now.
    StreamDry(u32),
    /// 3: the client's buffer length for the stream, in milliseconds.
    SetBufferLength {
        /// The message stream id the buffer is for.
        stream_id: u32,
        /// Buffer length in milliseconds.
        millis: u32,
    },
    /// 4: the stream is a recorded stream.
    StreamIsRecorded(u32),
    /// 6: the server's local timestamp; answered by PingResponse.
    PingRequest(u32),
    /// 7: the timestamp of the PingRequest it answers.
    PingResponse(u32),
    /// Any other event type, its data as received.
    Other {
        /// The 16-bit event type.
        event: u16,
        /// The event data after the type.
        data: Bytes,
    },
}

const STREAM_BEGIN: u16 = 0;
const STREAM_EOF: u16 = 1;
const STREAM_DRY: u16 = 2;
const SET_BUFFER_LENGTH: u16 = 3;
const STREAM_IS_RECORDED: u16 = 4;
const PING_REQUEST: u16 = 6;
const PING_RESPONSE: u16 = 7;
/// FMS extensions peers send in practice: SWF verification request and response (26, 27, as
/// rtmpdump's librtmp and Red5 document them) and BufferEmpty and BufferReady (31, 32).
const KNOWN_EXTENSIONS: [u16; 4] = [26, 27, 31, 32];

impl UserControl {
    /// The event type this event is sent with.
    pub fn event_type(&self) -> u16 {
        match self {
            UserControl::StreamBegin(_) => STREAM_BEGIN,
            UserControl::StreamEof(_) => STREAM_EOF,
            UserControl::StreamDry(_) => STREAM_DRY,
            UserControl::SetBufferLength { .. } => SET_BUFFER_LENGTH,
            UserControl::StreamIsRecorded(_) => STREAM_IS_RECORDED,
            UserControl::PingRequest(_) => PING_REQUEST,
            UserControl::PingResponse(_) => PING_RESPONSE,
            UserControl::Other { event, .. } => *event,
        }
    }

    pub(super) fn decode(
        payload: &Bytes,
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> Result<UserControl, Error> {
        let event = u16::from_be_bytes(fixed::<2>(payload, offset, "User Control")?);
        let data = payload.slice(2..);
        let name = || format!("User Control event {event}");
        let u32_field = |violations: &mut Vec<Violation>| -> Result<u32, Error> {
            check_trailing(&data, 4, offset + 2, &name(), violations);
            Ok(u32::from_be_bytes(fixed::<4>(&data, offset + 2, &name())?))
        };
        Ok(match event {
            STREAM_BEGIN => UserControl::StreamBegin(u32_field(violations)?),
            STREAM_EOF => UserControl::StreamEof(u32_field(violations)?),
            STREAM_DRY => UserControl::StreamDry(u32_field(violations)?),
            SET_BUFFER_LENGTH => {
                check_trailing(&data, 8, offset + 2, &name(), violations);
                let [a, b, c, d, e, f, g, h] = fixed::<8>(&data, offset + 2, &name())?;
                UserControl::SetBufferLength {
                    stream_id: u32::from_be_bytes([a, b, c, d]),
                    millis: u32::from_be_bytes([e, f, g, h]),
                }
            }
            STREAM_IS_RECORDED => UserControl::StreamIsRecorded(u32_field(violations)?),
            PING_REQUEST => UserControl::PingRequest(u32_field(violations)?),
            PING_RESPONSE => UserControl::PingResponse(u32_field(violations)?),
            _ => {
                if !KNOWN_EXTENSIONS.contains(&event) {
                    violations.push(Violation::new(
                        &USER_CONTROL_EVENT,
                        offset,
                        format!(
                            "User Control event type {event} is not defined ({} data bytes)",
                            data.len()
                        ),
                    ));
                }
                UserControl::Other { event, data }
            }
        })
    }

    pub(super) fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(10);
        out.put_u16(self.event_type());
        match self {
            UserControl::StreamBegin(id)
            | UserControl::StreamEof(id)
            | UserControl::StreamDry(id)
            | UserControl::StreamIsRecorded(id)
            | UserControl::PingRequest(id)
            | UserControl::PingResponse(id) => out.put_u32(*id),
            UserControl::SetBufferLength { stream_id, millis } => {
                out.put_u32(*stream_id);
                out.put_u32(*millis);
            }
            UserControl::Other { data, .. } => out.put_slice(data),
        }
        out.freeze()
    }
}
