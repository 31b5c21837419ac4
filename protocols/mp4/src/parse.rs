//! A bounded reader of the box tree (ISO/IEC 14496-12 §4.2), for tests, probes and fuzzing:
//! every size is checked against the bytes of its parent before use, bodies are views of the
//! input (no copy), nesting stops at [`MAX_DEPTH`], so hostile input can neither panic nor
//! make it allocate more than a small multiple of its own length.

use crate::rules::{BOX_SIZE, BOX_TRUNCATED};
use bytes::Bytes;
use weir_media::{Error, Reader};

/// How deep boxes nest before the reader stops descending (deeper boxes stay leaves).
pub const MAX_DEPTH: usize = 16;

/// One box: its type, where it starts, its body and, for the container boxes Weir knows,
/// its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4Box {
    /// The four-character type.
    pub kind: [u8; 4],
    /// Its byte offset in the input.
    pub offset: u64,
    /// Its size, header included.
    pub size: u64,
    /// The body (after the 8- or 16-byte header).
    pub body: Bytes,
    /// The boxes in the body, for container boxes and sample entries.
    pub children: Vec<Mp4Box>,
}

impl Mp4Box {
    /// The type as text (`"moov"`).
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.kind).into_owned()
    }

    /// The boxes at `path` below this one (`"mdia/minf/stbl/stts"`).
    pub fn find<'a>(&'a self, path: &str) -> Vec<&'a Mp4Box> {
        find(&self.children, path)
    }
}

/// The boxes at `path` among `boxes` and their descendants (`"moov/trak/tkhd"`).
pub fn find<'a>(boxes: &'a [Mp4Box], path: &str) -> Vec<&'a Mp4Box> {
    let mut level: Vec<&Mp4Box> = boxes.iter().collect();
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        let matched: Vec<&Mp4Box> = level
            .into_iter()
            .filter(|b| b.kind.as_slice() == part.as_bytes())
            .collect();
        if parts.peek().is_none() {
            return matched;
        }
        level = matched.iter().flat_map(|b| b.children.iter()).collect();
    }
    Vec::new()
}

/// Reads every top-level box of `input` (a file or a segment), with the children of the
/// container boxes. Errors name `mp4.box.truncated` or `mp4.box.size` and the offset.
pub fn parse(input: &Bytes) -> Result<Vec<Mp4Box>, Error> {
    parse_level(input, 0, 0)
}

/// Bytes to skip in a body before its child boxes: `None` for a leaf.
fn children_start(kind: &[u8; 4]) -> Option<usize> {
    match kind {
        b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" | b"dinf" | b"edts" | b"mvex" | b"moof"
        | b"traf" | b"udta" | b"mfra" => Some(0),
        // Full box header and entry count.
        b"stsd" | b"dref" => Some(8),
        // VisualSampleEntry (§12.1.3) and AudioSampleEntry version 0 (§12.2.3).
        b"avc1" | b"avc3" | b"hvc1" | b"hev1" => Some(78),
        b"mp4a" | b"Opus" => Some(28),
        _ => None,
    }
}

fn parse_level(input: &Bytes, base: u64, depth: usize) -> Result<Vec<Mp4Box>, Error> {
    let mut boxes = Vec::new();
    let mut r = Reader::new(input, &BOX_TRUNCATED);
    while !r.is_empty() {
        let start = r.position();
        let at = |offset: usize| base + offset as u64;
        let short = |e: Error| Error {
            offset: at(e.offset as usize),
            ..e
        };
        let size32 = r.u32("size").map_err(short)?;
        let kind: [u8; 4] = r.array("type").map_err(short)?;
        let size = match size32 {
            1 => r.u64("largesize").map_err(short)?,
            // 0: the box runs to the end of its container (§4.2).
            0 => (input.len() - start) as u64,
            n => u64::from(n),
        };
        let header = r.position() - start;
        let left = (input.len() - start) as u64;
        if size < header as u64 || size > left {
            return Err(Error::rule(
                &BOX_SIZE,
                at(start),
                format!(
                    "box '{}' of size {size}: its header takes {header} bytes, {left} are left",
                    String::from_utf8_lossy(&kind)
                ),
            ));
        }
        let end = start + size as usize;
        let body = input.slice(start + header..end);
        r.skip(end - r.position(), "body")?;
        let children = match children_start(&kind) {
            Some(skip) if depth < MAX_DEPTH && body.len() >= skip => {
                parse_level(&body.slice(skip..), at(start + header + skip), depth + 1)?
            }
            _ => Vec::new(),
        };
        boxes.push(Mp4Box {
            kind,
            offset: at(start),
            size,
            body,
            children,
        });
    }
    Ok(boxes)
}

/// The chunk offsets (`stco`/`co64`, at `table`) that land in none of `media`, the body
/// ranges of the file's media data boxes: a violation of `mp4.table.chunk-offset` naming the
/// first and counting the rest, `None` when all do.
pub fn check_chunk_offsets(
    offsets: &[(u64, u64)],
    media: &[std::ops::Range<u64>],
) -> Option<weir_media::Violation> {
    let mut outside = offsets
        .iter()
        .filter(|(offset, _)| !media.iter().any(|m| m.contains(offset)));
    let &(offset, table) = outside.next()?;
    let more = match outside.count() {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    Some(weir_media::Violation::new(
        &crate::rules::CHUNK_OFFSET,
        table,
        format!("chunk offset {offset} is in no media data box{more}"),
    ))
}
