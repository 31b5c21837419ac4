//! The SRT rule catalog: everything the packet parsers, the handshake, the connection machine
//! and the encryption report. "The draft" is draft-sharabayko-srt-01.

weir_media::rules! {}
