//! What the table boxes share: reading a full box header and an entry count whose entries
//! must fill the rest of the body exactly (rule `mp4.table.entry-count`).

use crate::rules::TABLE_ENTRIES;
use weir_media::{Error, Reader};

/// Reads `version` and `flags` of a full box body (ISO/IEC 14496-12 §4.2).
pub(crate) fn full_header(r: &mut Reader<'_>) -> Result<(u8, u32), Error> {
    let version = r.u8("version")?;
    let flags = r.u24("flags")?;
    Ok((version, flags))
}

/// Checks that `count` entries of `entry_len` bytes fill what is left of `r`, and returns
/// the count as a `usize` to reserve for.
pub(crate) fn entries(r: &Reader<'_>, count: u32, entry_len: usize) -> Result<usize, Error> {
    let count = count as usize;
    let needed = count.checked_mul(entry_len);
    if needed != Some(r.remaining()) {
        return Err(Error::rule(
            &TABLE_ENTRIES,
            r.position() as u64,
            format!(
                "{count} entries of {entry_len} bytes announced, {} bytes left",
                r.remaining()
            ),
        ));
    }
    Ok(count)
}

/// A reader over a table box body whose short reads break `mp4.table.entry-count`.
pub(crate) fn reader(body: &[u8]) -> Reader<'_> {
    Reader::new(body, &TABLE_ENTRIES)
}

/// Writes a full box of `kind` whose body is an entry count and the entries `put` writes.
pub(crate) fn write_entries<T>(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    items: &[T],
    put: impl Fn(&mut Vec<u8>, &T),
) {
    crate::writer::write_full_box(out, kind, version, 0, |o| {
        crate::writer::Put::u32(o, items.len() as u32);
        for item in items {
            put(o, item);
        }
    });
}

/// Reads a full box body that is an entry count and entries of `entry_len` bytes each.
pub(crate) fn read_entries<T>(
    body: &[u8],
    entry_len: usize,
    mut read: impl FnMut(&mut Reader<'_>) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut r = reader(body);
    full_header(&mut r)?;
    let count = r.u32("entry_count")?;
    let n = entries(&r, count, entry_len)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(read(&mut r)?);
    }
    Ok(out)
}
