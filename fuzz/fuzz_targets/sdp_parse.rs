//! weir_sdp::parse on arbitrary bytes; whatever parses must come back the same through
//! write → parse, and writing that again must give the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((sd, _)) = weir_sdp::parse(data) {
        let text = sd.write();
        let (again, _) = weir_sdp::parse(&text).expect("written text parses");
        assert_eq!(again, sd, "write → parse changed the value:\n{text}");
        assert_eq!(again.write(), text);
    }
});
