//! Configurations of codecs that have no sequence header (MP3, G.711): an ingest announces
//! one made from the first frame ([`TrackConfig::of_frame`]) before that frame, and a new one
//! when a frame implies another (a publisher that changes its rate or channels), so that
//! muxers and the hub learn of every track the way they learn of AAC or H.264 ones.

use crate::{Frame, MediaPacket, Track, TrackConfig};

/// Tracks tracked at most: more than FLV's multitrack or a TS program carries in practice;
/// a track beyond them is announced with every frame rather than remembered.
const MAX_TRACKS: usize = 16;

/// What each track was last configured with.
#[derive(Debug, Default, Clone)]
pub struct Announcer {
    last: Vec<(Track, TrackConfig)>,
}

impl Announcer {
    /// The configuration to announce before `frame`, if its codec has no sequence header and
    /// the track's last configuration is not already the one it implies.
    pub fn before(&mut self, frame: &Frame) -> Option<TrackConfig> {
        let config = TrackConfig::of_frame(frame)?;
        if self.last(frame.track) == Some(&config) {
            return None;
        }
        self.configured(&config);
        Some(config)
    }

    /// Notes a configuration the publisher sent itself.
    pub fn configured(&mut self, config: &TrackConfig) {
        self.last.retain(|(t, _)| *t != config.track);
        if self.last.len() < MAX_TRACKS {
            self.last.push((config.track, config.clone()));
        }
    }

    /// Passes `packet` on, the configuration its frame implies first where one is due.
    pub fn packet(&mut self, packet: MediaPacket, out: &mut impl FnMut(MediaPacket)) {
        match &packet {
            MediaPacket::Frame(frame) => {
                if let Some(config) = self.before(frame) {
                    out(MediaPacket::Config(config));
                }
            }
            MediaPacket::Config(config) => self.configured(config),
            MediaPacket::EndOfSequence { .. } => {}
        }
        out(packet);
    }

    fn last(&self, track: Track) -> Option<&TrackConfig> {
        self.last.iter().find(|(t, _)| *t == track).map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Codec, Timestamp};
    use bytes::Bytes;

    fn mp3(ms: i64, header: &'static [u8]) -> MediaPacket {
        MediaPacket::Frame(Frame {
            track: Track::AUDIO,
            codec: Codec::Mp3,
            pts: Timestamp::from_millis(ms),
            dts: Timestamp::from_millis(ms),
            keyframe: true,
            data: Bytes::from_static(header),
        })
    }

    fn run(packets: Vec<MediaPacket>) -> Vec<MediaPacket> {
        let mut announcer = Announcer::default();
        let mut out = Vec::new();
        for p in packets {
            announcer.packet(p, &mut |p| out.push(p));
        }
        out
    }

    fn configs(out: &[MediaPacket]) -> Vec<(usize, Bytes)> {
        out.iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                MediaPacket::Config(c) => Some((i, c.data.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn announces_before_the_first_frame_and_on_a_change_only() {
        // 44.1 kHz stereo at two bitrates (one configuration), then 48 kHz mono.
        let out = run(vec![
            mp3(0, &[0xff, 0xfb, 0x90, 0x64]),
            mp3(26, &[0xff, 0xfb, 0xa0, 0x64]),
            mp3(52, &[0xff, 0xfb, 0x94, 0xc0]),
            mp3(76, &[0xff, 0xfb, 0x94, 0xc0]),
        ]);
        assert_eq!(out.len(), 6);
        assert_eq!(
            configs(&out),
            vec![
                (0, Bytes::from_static(&[0xff, 0xfb, 0x00, 0x40])),
                (3, Bytes::from_static(&[0xff, 0xfb, 0x04, 0xc0]))
            ]
        );
    }

    #[test]
    fn leaves_codecs_with_records_and_bad_headers_alone() {
        let aac = MediaPacket::Frame(Frame {
            track: Track::AUDIO,
            codec: Codec::Aac,
            pts: Timestamp(0),
            dts: Timestamp(0),
            keyframe: true,
            data: Bytes::from_static(&[0x21, 0x00]),
        });
        let out = run(vec![aac.clone(), mp3(0, &[0x00, 0x01, 0x02, 0x03]), aac]);
        assert_eq!(out.len(), 3);
        assert!(configs(&out).is_empty());
    }

    #[test]
    fn g711_is_announced_once() {
        let pcma = MediaPacket::Frame(Frame {
            track: Track::AUDIO,
            codec: Codec::Pcma,
            pts: Timestamp(0),
            dts: Timestamp(0),
            keyframe: true,
            data: Bytes::from_static(&[0xd5; 160]),
        });
        let out = run(vec![pcma.clone(), pcma]);
        assert_eq!(configs(&out), vec![(0, Bytes::new())]);
    }
}
