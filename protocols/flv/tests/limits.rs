//! Enhanced RTMP bodies cannot make a receiver spend far more memory than their size: the
//! number of tracks and of ModEx records one packet may carry is bounded.

use bytes::Bytes;
use weir_flv::audio::AudioTag;

#[test]
fn a_multitrack_body_of_300_empty_tracks_is_refused_at_the_257th() {
    // ExHeader audio, Multitrack; ManyTracks of CodedFrames; one FourCC for all tracks.
    let mut body = vec![0x95, 0x11, b'O', b'p', b'u', b's'];
    for id in 0..300u16 {
        body.extend_from_slice(&[id as u8, 0, 0, 0]); // track id, 24-bit size 0
    }
    let err = AudioTag::parse(&Bytes::from(body.clone())).unwrap_err();
    assert_eq!(
        (err.rule.map(|r| r.id), err.offset),
        (Some("flv.av.track-count"), 6 + 256 * 4)
    );

    // 256 tracks are fine.
    body.truncate(6 + 256 * 4);
    assert!(AudioTag::parse(&Bytes::from(body.clone())).is_ok());
}

#[test]
fn a_chain_of_20_mod_ex_records_is_refused_at_the_17th() {
    // ExHeader audio, packet type ModEx; each record: size-1 = 0, one data byte, then ModEx
    // type 1 with the next packet type ModEx again.
    let mut body = vec![0x97];
    for _ in 0..20 {
        body.extend_from_slice(&[0x00, 0xAA, 0x17]);
    }
    let err = AudioTag::parse(&Bytes::from(body.clone())).unwrap_err();
    assert_eq!(
        (err.rule.map(|r| r.id), err.offset),
        (Some("flv.av.mod-ex-count"), 1 + 16 * 3)
    );
}
