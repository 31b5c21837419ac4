//! The rule catalog of this crate (DESIGN.md, "Rules and violations").

use weir_media::Rule;

/// Every rule this crate checks, in a stable order.
pub static CATALOG: &[&Rule] = &[];
