//! The MP4 rule catalog: what the box reader checks in a file or segment it is given.
//!
//! "14496-12" is ISO/IEC 14496-12 (ISO base media file format).

weir_media::rules! {
    BOX_SIZE = "mp4.box.size", Must, "ISO/IEC 14496-12 §4.2",
        "A box's size counts its own header (8 bytes, 16 with a 64-bit size) and ends within the box or file that holds it.";
    BOX_TRUNCATED = "mp4.box.truncated", Must, "ISO/IEC 14496-12 §4.2",
        "A box header is whole: a 32-bit size and a four-character type, then the 64-bit size when size is 1.";
    CHUNK_OFFSET = "mp4.table.chunk-offset", Must, "ISO/IEC 14496-12 §8.7.5, §8.1.1",
        "In a self-contained file each chunk offset is a file offset that lands in the body of a media data box.";
    TABLE_ENTRIES = "mp4.table.entry-count", Must, "ISO/IEC 14496-12 §8.6.1.2, §8.7.3, §8.8.8",
        "A sample table or track run holds exactly the entries its entry or sample count announces, of the size its version and flags give.";
}
