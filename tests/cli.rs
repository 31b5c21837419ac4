//! The command line: `rules` lists the catalogs; subcommands whose issue has not landed say so
//! and exit with status 2.

use std::process::Command;

fn weir(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(args)
        .output()
        .expect("weir runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8 output");
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

#[test]
fn rules_lists_every_catalog_and_filters_by_prefix() {
    let (code, all, _) = weir(&["rules"]);
    assert_eq!(code, 0);
    for prefix in ["amf0.", "amf3.", "rtmp.", "flv.", "media."] {
        assert!(
            all.lines().any(|l| l.starts_with(prefix)),
            "no {prefix} rules"
        );
    }
    let (code, chunk, _) = weir(&["rules", "rtmp.chunk"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = chunk.lines().filter(|l| !l.starts_with(' ')).collect();
    assert!(ids.iter().all(|l| l.starts_with("rtmp.chunk.")), "{chunk}");
    let line = ids
        .iter()
        .find(|l| l.starts_with("rtmp.chunk.fmt3-without-previous-header"))
        .expect("listed");
    // id, level, spec, where it is judged (a probe case sends such chunks too), test files.
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(
        fields[..4],
        [
            "rtmp.chunk.fmt3-without-previous-header",
            "MUST",
            "RTMP 1.0 §5.3.1.2.4",
            "capture+live"
        ]
    );
    let tests: usize = fields[4].trim_end_matches(" test files").parse().unwrap();
    assert!(tests >= 2, "{line}");
    // A live rule is judged only by a probe.
    let (_, live, _) = weir(&["rules", "rtmp.server.chunk-size"]);
    assert_eq!(
        live.lines().next().unwrap().split('\t').nth(3),
        Some("live")
    );
}

#[test]
fn serve_stops_on_a_bad_config_naming_the_key_and_where_it_came_from() {
    let (code, _, stderr) = weir(&["serve", "--set", "rtmp.chunk_size=abc"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bad configuration") && stderr.contains("rtmp.chunk_size"),
        "{stderr}"
    );
    let file = std::env::temp_dir().join(format!("weir-cli-{}.toml", std::process::id()));
    std::fs::write(
        &file,
        "[rtmp]\nlisten = \"127.0.0.1:1935\"\n\n[hub]\ngop_cache = 3\n",
    )
    .unwrap();
    let (code, _, stderr) = weir(&["serve", "--config", file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, 2);
    assert!(
        stderr.contains("line 5") && stderr.contains("hub.gop_cache"),
        "{stderr}"
    );
}
