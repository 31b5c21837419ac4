//! The chunk stream (RTMP 1.0 §5.3).
