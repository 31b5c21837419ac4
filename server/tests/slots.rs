//! Every delivery format's cache slot fits in the hub's [`weir_hub::SLOTS`]: one more
//! `static …: Slot<…>` than there is room for would panic the first time the last format is
//! used in a process (an HTTP `.aac` player of a transcoded stream once made the ninth of
//! eight).

use std::path::Path;

fn count_slots(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += count_slots(&path);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            n += text
                .lines()
                .filter(|l| l.trim_start().starts_with("static ") && l.contains(": Slot<"))
                .count();
        }
    }
    n
}

#[test]
fn every_delivery_format_has_a_slot() {
    let server = Path::new(env!("CARGO_MANIFEST_DIR"));
    let used = count_slots(&server.join("src")) + count_slots(&server.join("transcode/src"));
    assert!(used >= 9, "the scan finds the slots: {used}");
    assert!(
        used <= weir_hub::SLOTS,
        "{used} slots declared, room for {}: raise weir_hub::SLOTS",
        weir_hub::SLOTS
    );
}
