//! A server's answers as comparable lines: what a captured server said and what the live
//! server says to the same client, in one shape, so that their difference is a line diff.
//!
//! Lines leave out what legitimately differs between two runs (stream ids, acknowledgement
//! sequence numbers, timestamps, how many frames arrived, how many metadata updates a
//! publisher's repeated `@setDataFrame` brought before the client left); those counts are kept
//! beside the lines.

use std::collections::{BTreeMap, HashMap};
use weir_media::MediaKind;
use weir_media::MediaPacket;
use weir_rtmp::message::{Message, UserControl};
use weir_rtmp::session::{ClientEvent, StreamData};

/// A server's answers to one client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    pub lines: Vec<String>,
    /// Frames per track ("video h264", "audio aac").
    pub frames: BTreeMap<String, u64>,
    /// Metadata that came after the first frame.
    pub metadata_updates: u64,
}

impl Answers {
    /// Reads the events of a client machine; `asked` names the command each transaction id
    /// was sent with, so that `_result` and `_error` say what they answer.
    pub fn from_events<'e>(
        events: impl IntoIterator<Item = &'e ClientEvent>,
        asked: &HashMap<u64, String>,
    ) -> Answers {
        let mut answers = Answers::default();
        let mut acknowledged = false;
        for event in events {
            let line = match event {
                ClientEvent::Control(Message::Acknowledgement { .. }) if acknowledged => None,
                ClientEvent::Control(Message::Acknowledgement { .. }) => {
                    acknowledged = true;
                    Some("Acknowledgement (the first; later ones are not listed)".to_owned())
                }
                ClientEvent::Control(message) => Some(control(message)),
                ClientEvent::Connected { status, .. } => {
                    Some(format!("_result connect: {}", status.code))
                }
                ClientEvent::ConnectRejected(status) => {
                    Some(format!("_error connect: {}", status.code))
                }
                ClientEvent::StreamCreated { .. } => Some("_result createStream".to_owned()),
                ClientEvent::Status { status, .. } => {
                    Some(format!("onStatus {} {}", status.level, status.code))
                }
                ClientEvent::Command { command, .. } => {
                    let answered = (command.name == "_result" || command.name == "_error")
                        .then(|| asked.get(&(command.transaction_id as u64)))
                        .flatten();
                    Some(match answered {
                        Some(name) => format!("{} {name}", command.name),
                        None => match command.args.first().and_then(|a| a.get("code")) {
                            Some(code) => {
                                format!("{} {}", command.name, code.as_str().unwrap_or_default())
                            }
                            None => command.name.clone(),
                        },
                    })
                }
                ClientEvent::UserControl(event) => Some(user_control(event)),
                ClientEvent::Data { data, .. } => match data {
                    StreamData::Metadata(_) => answers.metadata(),
                    StreamData::Media(packet) => answers.media(packet),
                    StreamData::Data { handler, values } => {
                        match values
                            .first()
                            .and_then(|v| v.get("code"))
                            .and_then(|c| c.as_str())
                        {
                            Some(code) => Some(format!("data {handler} {code}")),
                            None => Some(format!("data {handler}")),
                        }
                    }
                    StreamData::Unreadable { type_id, .. } => {
                        Some(format!("unreadable media message (type {type_id})"))
                    }
                },
                ClientEvent::Handshake(_)
                | ClientEvent::Publishing { .. }
                | ClientEvent::Playing { .. } => None,
            };
            answers.lines.extend(line);
        }
        answers
    }

    /// Metadata: each before the first frame is a line; after it, a publisher's updates
    /// are counted, the first of them a line (how many reach a player depends on when it
    /// leaves, as frames do).
    fn metadata(&mut self) -> Option<String> {
        if self.frames.is_empty() {
            return Some("onMetaData".to_owned());
        }
        self.metadata_updates += 1;
        (self.metadata_updates == 1).then(|| "onMetaData updates".to_owned())
    }

    /// Counts a frame; the first frame or configuration of a track is a line.
    fn media(&mut self, packet: &MediaPacket) -> Option<String> {
        let track = match packet.track().kind {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            _ => "data",
        };
        let (what, codec) = match packet {
            MediaPacket::Config(config) => ("configuration", config.codec),
            MediaPacket::Frame(frame) => ("frames", frame.codec),
            MediaPacket::EndOfSequence { codec, .. } => ("end of sequence", *codec),
        };
        let key = format!("{track} {codec}");
        if what == "frames" {
            let count = self.frames.entry(key.clone()).or_default();
            *count += 1;
            return (*count == 1).then(|| format!("media {key} frames"));
        }
        Some(format!("media {key} {what}"))
    }
}

fn control(message: &Message) -> String {
    match message {
        Message::SetChunkSize(size) => format!("Set Chunk Size {size}"),
        Message::Abort { csid } => format!("Abort chunk stream {csid}"),
        Message::WindowAckSize(size) => format!("Window Acknowledgement Size {size}"),
        Message::SetPeerBandwidth { size, limit } => {
            format!("Set Peer Bandwidth {size} {limit:?}")
        }
        other => format!("control message type {}", other.type_id()),
    }
}

fn user_control(event: &UserControl) -> String {
    let name = format!("{event:?}");
    // The variant's name, without the stream id or time it carries.
    let name = name.split(['(', ' ', '{']).next().unwrap_or_default();
    format!("User Control {name}")
}
