//! The SDP rule catalog (DESIGN.md, "Rules and violations"): what parsing a session
//! description and checking an answer against its offer verify.

weir_media::rules! {}
