//! FLV files and tags, legacy and Enhanced RTMP codecs.
pub mod rules;
