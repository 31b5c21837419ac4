//! The once-per-stream expansion: every player of every delivery that wants AAC gets the same
//! entries for an Opus entry, made by the first; entries that need nothing are left alone; an
//! entry that comes out of order yields nothing.

use bytes::Bytes;
use std::sync::Arc;
use weir_hub::{Entry, Hub, HubLimits, StreamKey};
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};
use weir_transcode::{OpusEncoder, Want, audio_as, each_as, needs};

fn entry(ticks: i64, packet: MediaPacket) -> Arc<Entry<MediaPacket>> {
    Arc::new(Entry::new(Timestamp(ticks), packet))
}

fn opus_entries(packets: usize) -> Vec<Arc<Entry<MediaPacket>>> {
    let head = weir_transcode::opus::head(2, 48_000);
    let mut out = vec![entry(
        0,
        MediaPacket::Config(TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Opus,
            data: head,
        }),
    )];
    let mut encoder = OpusEncoder::new(2).unwrap();
    for i in 0..packets {
        let pcm: Vec<i16> = (0..1920)
            .map(|n| (((n + i * 1920) as f64 * 0.13).sin() * 4000.0) as i16)
            .collect();
        let t = i as i64 * 1800;
        out.push(entry(
            t,
            MediaPacket::Frame(Frame {
                track: Track::AUDIO,
                codec: Codec::Opus,
                pts: Timestamp(t),
                dts: Timestamp(t),
                keyframe: true,
                data: encoder.encode(&pcm).unwrap(),
            }),
        ));
    }
    out
}

fn stream() -> (Arc<Hub>, weir_hub::Publisher) {
    let hub = Arc::new(Hub::new(HubLimits::default()));
    let publisher = hub
        .publish(&StreamKey::new("v", "live", "s"), "c1")
        .unwrap();
    (hub, publisher)
}

#[test]
fn every_player_shares_the_entries_the_first_one_made() {
    let (_hub, publisher) = stream();
    let stream = publisher.stream();
    let entries = opus_entries(20);
    let first: Vec<Vec<Arc<Entry<MediaPacket>>>> = entries
        .iter()
        .map(|e| audio_as(stream, e, Want::Aac).to_vec())
        .collect();
    let MediaPacket::Config(config) = &first[0][0].value else {
        panic!("the Opus config does not become an AAC config");
    };
    assert_eq!(config.codec, Codec::Aac);
    assert!(first.iter().flatten().count() > 15);
    for (e, made) in entries.iter().zip(&first) {
        let again = audio_as(stream, e, Want::Aac);
        assert_eq!(again.len(), made.len());
        assert!(
            again.iter().zip(made).all(|(a, b)| Arc::ptr_eq(a, b)),
            "not shared"
        );
    }
}

#[test]
fn a_late_joiner_gets_the_aac_config_of_the_streams_opus_config() {
    let (_hub, publisher) = stream();
    let stream = publisher.stream();
    let entries = opus_entries(5);
    for e in &entries {
        audio_as(stream, e, Want::Aac);
    }
    // The join snapshot hands out the same config entry: its expansion is cached.
    let config = audio_as(stream, &entries[0], Want::Aac);
    assert!(matches!(&config[0].value, MediaPacket::Config(c) if c.codec == Codec::Aac));
}

#[test]
fn entries_that_need_nothing_are_written_as_they_are() {
    let (_hub, publisher) = stream();
    let video = entry(
        0,
        MediaPacket::Frame(Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: Timestamp(0),
            dts: Timestamp(0),
            keyframe: true,
            data: Bytes::from_static(&[0, 0, 0, 1, 0x65]),
        }),
    );
    assert!(!needs(&video, Want::Aac));
    let opus = &opus_entries(1)[1];
    assert!(needs(opus, Want::Aac) && !needs(opus, Want::Opus));
    let mut written = Vec::new();
    each_as(publisher.stream(), &video, Want::Aac, |e| {
        written.push(e.clone())
    });
    assert!(Arc::ptr_eq(&written[0], &video));
}

#[test]
fn an_entry_out_of_order_yields_nothing() {
    let (_hub, publisher) = stream();
    let stream = publisher.stream();
    let entries = opus_entries(10);
    audio_as(stream, &entries[0], Want::Aac);
    for e in &entries[5..] {
        audio_as(stream, e, Want::Aac);
    }
    assert!(audio_as(stream, &entries[2], Want::Aac).is_empty());
}
