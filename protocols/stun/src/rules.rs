//! The RTP rule catalog (DESIGN.md, "Rules and violations").

weir_media::rules! {}
