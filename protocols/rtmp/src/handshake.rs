//! The handshake (RTMP 1.0 §5.2), simple and complex, both roles.
