//! RTMP messages (RTMP 1.0 §5.4, §6, §7).
