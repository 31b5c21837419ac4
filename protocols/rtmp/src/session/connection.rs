//! What both roles share below the command layer: the handshake, the chunk stream in both
//! directions, acknowledgements (RTMP 1.0 §5.4.3-5.4.5) and ping answers (§7.1.7).
//!
//! Acknowledgements are sent at the exact byte where the window fills — parsing stops there
//! until the bytes up to it have arrived — so that the output is the same however the input
//! is split, even when a message changes the window.

use crate::chunk::{ChunkDecoder, ChunkEncoder, MessageKey, RawMessage, SharedBody};
use crate::handshake::{ClientHandshake, HandshakeInfo, ServerHandshake};
use crate::message::{self, BandwidthLimit, Command, Data, Message, UserControl, split_aggregate};
use crate::session::{SessionConfig, csid};
use crate::{Error, rules};
use bytes::{Bytes, BytesMut};
use rand_core::RngCore;
use std::collections::VecDeque;
use weir_amf0::Value;
use weir_media::{Output, Violation};

/// Something the connection layer hands up to the role, in stream order.
#[derive(Debug)]
pub(crate) enum Incoming {
    HandshakeDone(HandshakeInfo),
    Message { header: Header, message: Message },
    Violation(Violation),
}

/// The header fields of a received message, and where its first chunk starts in the peer's
/// stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub timestamp: u32,
    pub stream_id: u32,
    pub offset: u64,
}

enum Handshake {
    Server(ServerHandshake),
    Client(ClientHandshake),
    Done,
}

pub(crate) struct Connection {
    pub config: SessionConfig,
    handshake: Handshake,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    /// Bytes to transmit, flushed as one `Output::Transmit` when the application polls.
    tx: BytesMut,
    /// Bytes to transmit before `tx`: pieces shared with other connections ([`SharedBody`]
    /// tails) and what `tx` held when they were queued, in order.
    queued: VecDeque<Bytes>,
    /// Bytes received so far, handshake included (the acknowledgement sequence number).
    received: u64,
    /// The window the peer announced: we acknowledge every so many bytes.
    ack_window: Option<u32>,
    last_ack: u64,
    /// The last Window Acknowledgement Size we announced.
    announced_window: Option<u32>,
    /// Bytes sent and the peer's last acknowledgement of them.
    sent: u64,
    peer_acknowledged: u32,
    /// The output limit the peer set with Set Peer Bandwidth (§5.4.5): how many bytes may be
    /// sent and not yet acknowledged, and whether the limit in effect is a hard one.
    peer_limit: Option<(u32, BandwidthLimit)>,
    /// Acknowledgements are held back (a probe's choice, see `hold_acknowledgements`).
    hold_acks: bool,
    closed: Option<Error>,
    /// Observing a recorded stream: the handshake makes no packets of its own (they would
    /// never have reached the recorded peer) and checks the peer's replies against none (the
    /// harness checks the recorded pair with `handshake::check_c2`/`check_s2`).
    observer: bool,
}

impl Connection {
    pub fn server(config: SessionConfig, epoch_ms: u32, observer: bool) -> Self {
        let handshake = if observer {
            ServerHandshake::observer()
        } else {
            ServerHandshake::new(epoch_ms)
        };
        Self::new(config, Handshake::Server(handshake), observer)
    }

    pub fn client(config: SessionConfig, handshake: ClientHandshake, observer: bool) -> Self {
        let mut conn = Self::new(config, Handshake::Client(handshake), observer);
        conn.drain_handshake(&mut Vec::new());
        conn
    }

    pub fn is_observer(&self) -> bool {
        self.observer
    }

    fn new(config: SessionConfig, handshake: Handshake, observer: bool) -> Self {
        Connection {
            decoder: ChunkDecoder::new(config.chunk_limits, 0),
            config,
            handshake,
            encoder: ChunkEncoder::new(),
            tx: BytesMut::new(),
            queued: VecDeque::new(),
            received: 0,
            ack_window: None,
            last_ack: 0,
            announced_window: None,
            sent: 0,
            peer_acknowledged: 0,
            peer_limit: None,
            hold_acks: false,
            closed: None,
            observer,
        }
    }

    pub fn is_established(&self) -> bool {
        matches!(self.handshake, Handshake::Done)
    }

    /// Bytes received and sent so far, and the peer's last acknowledgement.
    pub fn counters(&self) -> (u64, u64, u32) {
        (self.received, self.sent, self.peer_acknowledged)
    }

    /// Takes peer bytes; what they mean is appended to `incoming` in stream order. Returns how
    /// many it took: all, except that it stops right after the handshake completes, so that
    /// the session answers the handshake (a client's connect) before anything sent after it
    /// is read, however the input is split. Call it again with the rest.
    pub fn receive(
        &mut self,
        data: &[u8],
        rng: &mut dyn RngCore,
        incoming: &mut Vec<Incoming>,
    ) -> Result<usize, Error> {
        if let Some(err) = &self.closed {
            return Err(err.clone());
        }
        let result = self.receive_open(data, rng, incoming);
        if let Err(err) = &result {
            self.closed = Some(err.clone());
        }
        result
    }

    fn receive_open(
        &mut self,
        mut data: &[u8],
        rng: &mut dyn RngCore,
        incoming: &mut Vec<Incoming>,
    ) -> Result<usize, Error> {
        let all = data.len();
        if !self.is_established() {
            let used = match &mut self.handshake {
                Handshake::Server(hs) => hs.handle_input(data, rng)?,
                Handshake::Client(hs) => hs.handle_input(data, rng)?,
                Handshake::Done => 0,
            };
            self.received += used as u64;
            self.drain_handshake(incoming);
            if !self.is_established() || used < data.len() {
                return Ok(used);
            }
            data = &data[used..];
        }
        // Everything is pushed, but parsing stops where the acknowledgement window fills:
        // the acknowledgement goes out there, after the messages that end before it and
        // before those that end after it, however the input was split.
        self.decoder.push(data);
        self.received += data.len() as u64;
        loop {
            let boundary = self.ack_boundary();
            self.decoder.set_limit(boundary);
            let window = self.ack_window;
            self.drain_messages(incoming)?;
            match boundary {
                // A message changed the window: place the next acknowledgement anew.
                _ if self.ack_window != window => {}
                Some(at) if self.received >= at => self.acknowledge_at(at),
                _ => return Ok(all),
            }
        }
    }

    /// The stream offset of the next acknowledgement, while the peer asks for them: a window
    /// after the last one, or right here when a smaller window has already been passed.
    fn ack_boundary(&self) -> Option<u64> {
        let window = self.ack_window.filter(|_| !self.hold_acks)?;
        Some((self.last_ack + u64::from(window)).max(self.decoder.offset()))
    }

    fn drain_handshake(&mut self, incoming: &mut Vec<Incoming>) {
        loop {
            let out = match &mut self.handshake {
                Handshake::Server(hs) => hs.poll_output(),
                Handshake::Client(hs) => hs.poll_output(),
                Handshake::Done => return,
            };
            match out {
                Some(Output::Transmit(bytes)) => {
                    self.sent += bytes.len() as u64;
                    self.tx.extend_from_slice(&bytes);
                }
                Some(Output::Violation(v)) => incoming.push(Incoming::Violation(v)),
                Some(Output::Event(info)) => incoming.push(Incoming::HandshakeDone(info)),
                None => break,
            }
        }
        let finished = match &self.handshake {
            Handshake::Server(hs) => hs.is_done(),
            Handshake::Client(hs) => hs.is_done(),
            Handshake::Done => true,
        };
        if finished {
            self.handshake = Handshake::Done;
            self.decoder = ChunkDecoder::new(self.config.chunk_limits, self.received);
        }
    }

    fn drain_messages(&mut self, incoming: &mut Vec<Incoming>) -> Result<(), Error> {
        let mut violations = Vec::new();
        loop {
            let next = self.decoder.next_message(&mut violations);
            incoming.extend(violations.drain(..).map(Incoming::Violation));
            let Some(raw) = next? else { return Ok(()) };
            let window = self.ack_window;
            if raw.type_id == message::AGGREGATE {
                for sub in split_aggregate(&raw) {
                    match sub {
                        Ok(sub) => self.decode_message(&sub, true, incoming),
                        Err(err) => {
                            let v = self.violation_from(err, false);
                            incoming.push(Incoming::Violation(v));
                            break;
                        }
                    }
                }
            } else {
                self.decode_message(&raw, false, incoming);
            }
            if self.ack_window != window {
                // The next acknowledgement moved: parse no further before it is placed.
                return Ok(());
            }
        }
    }

    /// Decodes a message the decoder returned, or (`sub`) a sub-message of an aggregate.
    fn decode_message(&mut self, raw: &RawMessage, sub: bool, incoming: &mut Vec<Incoming>) {
        let mut violations = Vec::new();
        // Offsets come back as payload positions, then are placed in the stream.
        let decoded = Message::decode(raw, &self.config.amf_limits, &mut violations);
        for v in violations {
            let offset = self.place(v.offset, sub);
            incoming.push(Incoming::Violation(Violation { offset, ..v }));
        }
        let message = match decoded {
            Ok(message) => message,
            Err(err) => {
                // Be liberal: an unreadable message is reported and skipped, the session goes on.
                let v = self.violation_from(err, sub);
                incoming.push(Incoming::Violation(v));
                return;
            }
        };
        match &message {
            Message::WindowAckSize(size) => self.ack_window = (*size > 0).then_some(*size),
            Message::Acknowledgement { sequence } => self.peer_acknowledged = *sequence,
            Message::UserControl(UserControl::PingRequest(time)) => {
                let pong = Message::UserControl(UserControl::PingResponse(*time));
                self.send_control(&pong);
            }
            Message::SetPeerBandwidth { size, limit } => {
                self.limit_output(*size, *limit);
                if self.announced_window != Some(*size) {
                    // §5.4.5: answer with our window when the peer's limit differs from it.
                    self.announce_window(*size);
                }
            }
            _ => {}
        }
        let offset = self.decoder.message_offset();
        let header = Header {
            timestamp: raw.timestamp,
            stream_id: raw.stream_id,
            offset,
        };
        incoming.push(Incoming::Message { header, message });
    }

    /// The stream offset of payload position `pos` of the message the decoder returned last.
    /// Positions inside an aggregate's sub-message (`sub`) are not mapped: they are placed at
    /// the aggregate's start.
    fn place(&self, pos: u64, sub: bool) -> u64 {
        if sub {
            return self.decoder.message_offset();
        }
        self.decoder
            .payload_offset(usize::try_from(pos).unwrap_or(usize::MAX))
    }

    /// A message-level error, reported as a violation (the session goes on).
    fn violation_from(&self, err: Error, sub: bool) -> Violation {
        let rule = err.rule.unwrap_or(&rules::COMMAND_AMF);
        Violation::new(rule, self.place(err.offset, sub), err.detail)
    }

    /// The peer closed its side. Closing before the handshake completes is an error.
    pub fn close(&mut self) -> Result<(), Error> {
        if let Some(err) = &self.closed {
            return Err(err.clone());
        }
        if self.is_established() {
            return Ok(());
        }
        let detail = format!(
            "the peer closed after {} of 3073 handshake bytes",
            self.received
        );
        let err = Error::rule(&rules::HANDSHAKE_INCOMPLETE, self.received, detail);
        self.closed = Some(err.clone());
        Err(err)
    }

    /// Sends an Acknowledgement of the stream up to offset `at` (§5.4.3).
    fn acknowledge_at(&mut self, at: u64) {
        self.last_ack = at;
        let sequence = at as u32; // wraps, as the field does
        self.send_control(&Message::Acknowledgement { sequence });
    }

    /// Holds acknowledgements back, or resumes them with one for everything received meanwhile.
    pub fn hold_acknowledgements(&mut self, hold: bool) {
        let resumed = self.hold_acks && !hold;
        self.hold_acks = hold;
        if resumed && self.ack_window.is_some() && self.received > self.last_ack {
            self.acknowledge_at(self.received);
        }
    }

    /// Applies a Set Peer Bandwidth (§5.4.5): a hard limit replaces the one in effect, a soft
    /// one lowers it, a dynamic one counts as hard only after a hard one.
    fn limit_output(&mut self, size: u32, limit: BandwidthLimit) {
        self.peer_limit = match (limit, self.peer_limit) {
            (BandwidthLimit::Hard, _) => Some((size, BandwidthLimit::Hard)),
            (BandwidthLimit::Soft, Some((current, kind))) if current <= size => {
                Some((current, kind))
            }
            (BandwidthLimit::Soft, _) => Some((size, BandwidthLimit::Soft)),
            (BandwidthLimit::Dynamic, Some((_, BandwidthLimit::Hard))) => {
                Some((size, BandwidthLimit::Hard))
            }
            (BandwidthLimit::Dynamic, current) => current,
        };
    }

    /// Whether the peer's Set Peer Bandwidth window leaves room to send: the bytes sent and not
    /// yet acknowledged are fewer than the window (always, when the peer set none).
    pub fn output_window_open(&self) -> bool {
        match self.peer_limit {
            None => true,
            Some((window, _)) => (self.sent as u32).wrapping_sub(self.peer_acknowledged) < window,
        }
    }

    /// The chunk size this side writes with.
    pub fn chunk_size(&self) -> u32 {
        self.encoder.chunk_size()
    }

    /// Whether the peer set a Set Peer Bandwidth window (§5.4.5) that may hold output back.
    pub fn output_limited(&self) -> bool {
        self.peer_limit.is_some()
    }

    /// Announces the Window Acknowledgement Size the peer must acknowledge by.
    pub fn announce_window(&mut self, size: u32) {
        self.announced_window = Some(size);
        self.send_control(&Message::WindowAckSize(size));
    }

    /// Announces and switches to a new outgoing chunk size.
    pub fn set_chunk_size(&mut self, size: u32) {
        self.send_control(&Message::SetChunkSize(size));
    }

    /// Sends a protocol control or user control message on chunk stream 2 (RTMP 1.0 §5.4,
    /// §6.2): a payload of at most 10 bytes, which always encodes.
    pub fn send_control(&mut self, message: &Message) {
        let sent = self.send(csid::CONTROL, 0, 0, message);
        debug_assert!(sent.is_ok(), "a control message always encodes: {sent:?}");
    }

    /// Sends a message; fails as [`Self::send_raw`].
    pub fn send(
        &mut self,
        csid: u32,
        timestamp: u32,
        stream_id: u32,
        message: &Message,
    ) -> Result<(), Error> {
        self.send_raw(&message.to_raw(csid, timestamp, stream_id))
    }

    /// Sends an AMF0 command: on the connection's chunk stream for message stream 0, on the
    /// stream chunk stream otherwise.
    pub fn send_command(
        &mut self,
        stream_id: u32,
        name: &str,
        transaction_id: f64,
        object: Value,
        args: Vec<Value>,
    ) -> Result<(), Error> {
        let command = Command {
            name: name.into(),
            transaction_id,
            object,
            args,
            amf3: false,
        };
        let csid = if stream_id == 0 {
            csid::CONNECTION
        } else {
            csid::STREAM
        };
        self.send(csid, 0, stream_id, &Message::Command(command))
    }

    /// Sends an AMF0 data message (`values[0]` is the handler name).
    pub fn send_data(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        values: Vec<Value>,
    ) -> Result<(), Error> {
        let message = Message::Data(Data {
            values,
            amf3: false,
        });
        self.send(csid::STREAM, timestamp, stream_id, &message)
    }

    /// Sends an audio or video message body (an FLV tag body).
    pub fn send_media(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        video: bool,
        payload: Bytes,
    ) -> Result<(), Error> {
        let (csid, type_id) = media_csid(video);
        self.send_raw(&RawMessage {
            csid,
            timestamp,
            type_id,
            stream_id,
            payload,
        })
    }

    /// The whole audio or video message other connections send too, as
    /// [`SharedBody::message`] makes it for this connection's chunk size.
    pub fn shared_message(
        &self,
        stream_id: u32,
        timestamp: u32,
        video: bool,
        body: &SharedBody,
    ) -> Result<(MessageKey, Bytes), Error> {
        let (csid, type_id) = media_csid(video);
        let key = MessageKey {
            chunk_size: self.encoder.chunk_size(),
            csid,
            type_id,
            stream_id,
            timestamp,
        };
        Ok((key, body.message(key)?))
    }

    /// Sends an audio or video message whose body other connections send too, with a type 0
    /// header: the same bytes for every connection, queued as they are (no copy).
    pub fn send_shared(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        video: bool,
        body: &SharedBody,
    ) -> Result<(), Error> {
        let (key, message) = self.shared_message(stream_id, timestamp, video, body)?;
        if !self.tx.is_empty() {
            // Keep the order: what was encoded before goes first.
            let before = std::mem::take(&mut self.tx).freeze();
            self.queued.push_back(before);
        }
        self.encoder.assume_full_header(key, body.payload().len());
        self.sent += message.len() as u64;
        self.queued.push_back(message);
        Ok(())
    }

    /// `bytes` of audio and video messages with type 0 headers went to the peer without this
    /// machine (the application wrote shared messages itself): they count as sent, and the
    /// next audio or video header starts afresh, since the peer's last ones are unknown here.
    pub fn note_written(&mut self, bytes: u64) {
        self.sent += bytes;
        for video in [false, true] {
            self.encoder.forget(media_csid(video).0);
        }
    }

    /// Encodes and queues one message; fails, queueing nothing, for a message RTMP cannot
    /// carry (16 MiB or more).
    pub fn send_raw(&mut self, raw: &RawMessage) -> Result<(), Error> {
        let before = self.tx.len();
        self.encoder.encode(raw, &mut self.tx)?;
        self.sent += (self.tx.len() - before) as u64;
        Ok(())
    }

    /// The bytes to transmit since the last call, if any.
    /// What to transmit, taken whole: the buffer's allocation leaves with it, so that an idle
    /// connection keeps no capacity from its last burst (thousands of players each holding a
    /// GOP-sized buffer would be most of a server's memory).
    pub fn take_transmit(&mut self) -> Option<Bytes> {
        if let Some(bytes) = self.queued.pop_front() {
            if self.queued.is_empty() {
                self.queued = VecDeque::new(); // an idle connection keeps no capacity
            }
            return Some(bytes);
        }
        (!self.tx.is_empty()).then(|| std::mem::take(&mut self.tx).freeze())
    }
}

/// The chunk stream and message type audio and video travel on.
pub(crate) fn media_csid(video: bool) -> (u32, u8) {
    if video {
        (csid::VIDEO, message::VIDEO)
    } else {
        (csid::AUDIO, message::AUDIO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(conn: &mut Connection) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(bytes) = conn.take_transmit() {
            out.extend_from_slice(&bytes);
        }
        out
    }

    /// Every message a receiver reads from `bytes`.
    fn decode(bytes: &[u8]) -> Vec<RawMessage> {
        let mut decoder = crate::chunk::ChunkDecoder::new(Default::default(), 0);
        decoder.push(bytes);
        let mut out = Vec::new();
        while let Some(msg) = decoder.next_message(&mut Vec::new()).unwrap() {
            out.push(msg);
        }
        out
    }

    proptest! {
        /// A message shared between connections (type 0 header, chunked once) reads, for the
        /// receiver, exactly as the same message sent alone with compressed headers: the same
        /// messages, in order, extended timestamps and chunk sizes included; and the bytes it
        /// puts on the wire count as sent, for acknowledgements. Mixing both kinds on one
        /// connection keeps the compression right.
        #[test]
        fn shared_messages_read_as_own_messages(
            chunk_size in prop_oneof![Just(128u32), Just(4096), 1u32..600],
            messages in prop::collection::vec(
                (any::<bool>(), 0usize..3000, prop_oneof![0u32..100_000, 0xFF_FFF0u32..0x100_0100], 1u32..3, any::<bool>()),
                1..24,
            ),
        ) {
            let mut own = Connection::server(SessionConfig::default(), 0, false);
            let mut shared = Connection::server(SessionConfig::default(), 0, false);
            for conn in [&mut own, &mut shared] {
                conn.set_chunk_size(chunk_size);
            }
            let mut expected = drain(&mut own);
            let mut actual = drain(&mut shared);
            for (video, len, timestamp, stream_id, share) in messages {
                let payload = Bytes::from((0..len).map(|i| i as u8).collect::<Vec<u8>>());
                own.send_media(stream_id, timestamp, video, payload.clone()).unwrap();
                let body = SharedBody::new(payload.clone());
                match share {
                    true => shared.send_shared(stream_id, timestamp, video, &body).unwrap(),
                    false => shared.send_media(stream_id, timestamp, video, payload).unwrap(),
                }
                // A second connection's use of the cached parts changes nothing.
                let _ = body.tail(chunk_size, 6);
                expected.extend(drain(&mut own));
                actual.extend(drain(&mut shared));
            }
            prop_assert_eq!(decode(&actual), decode(&expected));
            prop_assert_eq!(shared.sent, actual.len() as u64);
        }
    }
}
