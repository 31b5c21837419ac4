//! Shared helpers for the session tests: the corpus, a seeded RNG, and drivers that run
//! machines against each other through memory.
#![allow(dead_code)]

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::path::PathBuf;
use weir_media::Output;
use weir_rtmp::session::{ServerEvent, ServerSession};

pub fn corpus(path: &str) -> Vec<u8> {
    let root = std::env::var("WEIR_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus").into());
    let file = PathBuf::from(root).join(path);
    std::fs::read(&file)
        .unwrap_or_else(|e| panic!("corpus file {}: {e} (set WEIR_CORPUS)", file.display()))
}

pub fn rng(seed: u64) -> Box<StdRng> {
    Box::new(StdRng::seed_from_u64(seed))
}

/// Audio and video tag bodies of an FLV file, as (is_video, timestamp, body).
pub fn flv_media_tags(file: &[u8]) -> Vec<(bool, u32, Bytes)> {
    let mut tags = Vec::new();
    for tag in weir_flv::read_tags(file).expect("the FLV file reads") {
        match tag.header.tag_type {
            weir_flv::TagType::Audio => tags.push((false, tag.header.timestamp, tag.body)),
            weir_flv::TagType::Video => tags.push((true, tag.header.timestamp, tag.body)),
            _ => {}
        }
    }
    tags
}

/// Splits the outputs of a machine: the bytes it transmitted, its events, its violations.
pub struct Drained<E> {
    pub transmit: Vec<u8>,
    pub events: Vec<E>,
    pub violations: Vec<weir_media::Violation>,
}

impl<E> Default for Drained<E> {
    fn default() -> Self {
        Drained {
            transmit: Vec::new(),
            events: Vec::new(),
            violations: Vec::new(),
        }
    }
}

impl<E> Drained<E> {
    pub fn take(&mut self, out: Output<E>) {
        match out {
            Output::Transmit(b) => self.transmit.extend_from_slice(&b),
            Output::Event(e) => self.events.push(e),
            Output::Violation(v) => self.violations.push(v),
        }
    }
}

/// Answers every request the way the recorded (or a permissive) server did: accept.
pub fn accept_all(server: &mut ServerSession, event: &ServerEvent) {
    match event {
        ServerEvent::Connect(r) => server.accept_connect(r.id).unwrap(),
        ServerEvent::Publish(r) => server.accept_publish(r.id).unwrap(),
        ServerEvent::Play(r) => server.accept_play(r.id).unwrap(),
        _ => {}
    }
}
