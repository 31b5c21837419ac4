//! The receiver's bounds on hostile input, shared by the AMF0 and AMF3 decoders.

/// Bounds a decoder applies before it allocates or recurses.
///
/// Decoding recurses once per nesting level, so `max_depth` also bounds stack use: keep it in
/// the hundreds at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How many objects/arrays may be open at once (AMF0 and AMF3 together). Default 64.
    pub max_depth: usize,
    /// How many entries one object or array may hold or announce. Default 65536.
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_items: 1 << 16,
        }
    }
}

impl Limits {
    /// Enters a container whose marker is at `offset`, with `depth` containers already open:
    /// the depth inside it, or the error that stops a nesting bomb before it recurses.
    pub(crate) fn enter(&self, depth: usize, offset: usize) -> Result<usize, crate::Error> {
        if depth >= self.max_depth {
            return Err(crate::Error::rule(
                &crate::rules::NESTING_DEPTH,
                offset as u64,
                format!("more than {} nested objects/arrays", self.max_depth),
            ));
        }
        Ok(depth + 1)
    }
}
