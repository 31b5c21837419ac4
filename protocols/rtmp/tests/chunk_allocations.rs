//! The chunk decoder allocates per message at most, never per chunk: a message that fits in one
//! chunk is a slice of the input, a longer one is assembled in one buffer allocated once. A
//! counting global allocator (this test binary only) checks it on a real publish stream.

use bytes::BytesMut;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use weir_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, RawMessage};
use weir_rtmp::message::Message;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so this
// allocator keeps `GlobalAlloc`'s contract exactly as `System` does; counting only touches an
// atomic and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller meets `GlobalAlloc::alloc`'s contract (a non-zero-sized layout),
        // which is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller passes a block this allocator returned with this layout, and every
        // block it returns comes from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `dealloc`, `ptr` is a `System` block of `layout`; the caller meets
        // `realloc`'s contract for `new_size` (non-zero, no overflow when rounded to the align).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn decoding_allocates_per_message_not_per_chunk() {
    let tags = weir_testkit::corpus::flv_media("flv/avatar.flv");
    for chunk_size in [128u32, 4096] {
        let mut stream = BytesMut::new();
        let mut encoder = ChunkEncoder::new();
        encoder
            .encode(
                &Message::SetChunkSize(chunk_size).to_raw(2, 0, 0),
                &mut stream,
            )
            .unwrap();
        let mut chunks = 0;
        for (video, timestamp, body) in &tags {
            chunks += body.len().div_ceil(chunk_size as usize).max(1);
            let (csid, type_id) = if *video { (6, 9) } else { (4, 8) };
            let raw = RawMessage {
                csid,
                timestamp: *timestamp,
                type_id,
                stream_id: 1,
                payload: body.clone(),
            };
            encoder.encode(&raw, &mut stream).unwrap();
        }
        let mut decoder = ChunkDecoder::new(ChunkLimits::default(), 0);
        let mut violations = Vec::with_capacity(4);
        let mut messages = Vec::with_capacity(tags.len() + 1);
        decoder.push(&stream);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        while let Some(message) = decoder.next_message(&mut violations).unwrap() {
            messages.push(message);
        }
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        assert_eq!(messages.len(), tags.len() + 1);
        assert!(violations.is_empty());
        // One buffer per multi-chunk message, and a few for the decoder's own tables as they grow
        // (chunk streams, payload-piece maps).
        let multi_chunk = tags
            .iter()
            .filter(|t| t.2.len() > chunk_size as usize)
            .count();
        assert!(
            allocations <= multi_chunk + 16,
            "chunk size {chunk_size}: {allocations} allocations for {} messages, {multi_chunk} of them multi-chunk, in {chunks} chunks",
            messages.len()
        );
    }
}
