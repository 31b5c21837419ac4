//! FLV files as media to publish: an RTMP publisher sends each audio and video tag of a file
//! as one message (the RTMP tests, the server's integration tests, the chunk benchmark).

use bytes::Bytes;
use weir_flv::TagType;

/// One audio or video tag of an FLV file: `(is_video, timestamp, body)`.
pub type MediaTag = (bool, u32, Bytes);

/// The audio and video tags of an FLV file, in order (script tags left out). Panics when the
/// file does not read.
pub fn media_tags(file: &[u8]) -> Vec<MediaTag> {
    weir_flv::read_tags(file)
        .unwrap_or_else(|e| panic!("not an FLV file: {e}"))
        .into_iter()
        .filter_map(|tag| match tag.header.tag_type {
            TagType::Audio => Some((false, tag.header.timestamp, tag.body)),
            TagType::Video => Some((true, tag.header.timestamp, tag.body)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_tags_are_the_audio_and_video_tags_in_order() {
        let mut file = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        for (kind, ts, body) in [(18u8, 0u8, b"meta"), (9, 0, b"vvvv"), (8, 40, b"aaaa")] {
            file.extend_from_slice(&[kind, 0, 0, 4, 0, 0, ts, 0, 0, 0, 0]);
            file.extend_from_slice(body);
            file.extend_from_slice(&15u32.to_be_bytes());
        }
        let tags = media_tags(&file);
        assert_eq!(
            tags,
            [
                (true, 0, Bytes::from_static(b"vvvv")),
                (false, 40, Bytes::from_static(b"aaaa"))
            ]
        );
    }
}
