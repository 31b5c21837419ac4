//! `Config::load`: defaults, the TOML file, `WEIR_*` variables and flags, in that order, and
//! errors that say where the bad value came from.

use std::net::SocketAddr;
use std::time::Duration;

use weir_server::config::{Config, ConfigError, Origin};
use weir_server::security::Action;
use weir_testkit::TempPath;

/// A config file in the temp dir, removed when dropped.
fn config_file(name: &str, text: &str) -> TempPath {
    let file = TempPath::new(&format!("config-{name}.toml"));
    std::fs::write(&file, text).unwrap();
    file
}

fn env(vars: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>()
        .into_iter()
}

fn flags(flags: &[(&str, &str)]) -> Vec<(String, String)> {
    flags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load_text(name: &str, text: &str) -> Result<Config, ConfigError> {
    let file = config_file(name, text);
    Config::load(Some(file.path()), env(&[]), &[])
}

fn file_error(name: &str, text: &str) -> (Option<usize>, Option<String>, String) {
    let error = load_text(name, text).unwrap_err();
    let Origin::File { line, .. } = error.origin else {
        panic!("not a file error: {error}");
    };
    (line, error.key, error.message)
}

const EXAMPLE: &str = r#"
[rtmp]
listen = "127.0.0.1:19350"
chunk_size = 60000
handshake_timeout = 2.5
idle_timeout = 12
max_message_size = 1048576
max_connections = 500

[http]
enabled = false
listen = "[::]:18080"

[api]
listen = "127.0.0.1:11985"

[hub]
gop_cache = false
gop_cache_max_frames = 300
gop_cache_max_bytes = 8388608
queue_frames = 256
stall_timeout = 7.5

[hls]
enabled = false
fragment = 2.5
window = 30
path = "/var/www/hls"
dispose = 45
program_date_time = true

[mpegts]
enabled = false
listen = "127.0.0.1:18935"
stream = "cams/front"
timeout = 3

[hooks]
enabled = true
timeout = 0.5
on_connect = ["http://127.0.0.1:8085/api/v1/clients"]
on_publish = ["http://127.0.0.1:8085/api/v1/streams", "http://auth.local/publish"]
on_unpublish = ["http://127.0.0.1:8085/api/v1/streams"]
on_play = ["http://127.0.0.1:8085/api/v1/sessions"]
on_stop = ["http://127.0.0.1:8085/api/v1/sessions"]
on_close = ["http://127.0.0.1:8085/api/v1/clients"]
on_hls = ["http://127.0.0.1:8085/api/v1/hls"]

[security]
enabled = true
rules = [
    "allow publish 127.0.0.1",
    "allow publish 10.0.0.0/8",
    "deny play 192.168.0.0/16",
    "allow play all",
]

[log]
level = "weir_server=debug,info"

[vhosts."private.example".security]
enabled = true
rules = ["allow play 10.1.0.0/16", "allow publish 10.1.0.1"]

[vhosts."private.example".hooks]
enabled = true
on_play = ["http://10.1.0.1:9000/auth"]
"#;

#[test]
fn no_file_at_all_is_the_srs_defaults() {
    let config = Config::load(None, env(&[]), &[]).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(
        config.rtmp.listen,
        "0.0.0.0:1935".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        config.http.listen,
        "0.0.0.0:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        config.api.listen,
        "0.0.0.0:1985".parse::<SocketAddr>().unwrap()
    );
    assert!(config.http.enabled && config.api.enabled);
    assert_eq!(config.rtmp.chunk_size, 4096);
    assert_eq!(config.rtmp.handshake_timeout, Duration::from_secs(10));
    assert_eq!(config.rtmp.idle_timeout, Duration::from_secs(30));
    assert_eq!(config.rtmp.max_message_size, 16 * 1024 * 1024);
    assert_eq!(config.rtmp.max_connections, 10_000);
    assert!(config.hub.gop_cache);
    assert_eq!(config.hub.gop_cache_max_frames, 4096);
    assert_eq!(config.hub.gop_cache_max_bytes, 64 * 1024 * 1024);
    assert_eq!(config.hub.queue_frames, 1024);
    assert_eq!(config.hub.stall_timeout, Duration::from_secs(20));
    assert!(!config.hooks.enabled);
    assert_eq!(config.hooks.timeout, Duration::from_secs(5));
    assert!(config.hooks.on_publish.is_empty());
    assert!(!config.security.enabled);
    assert!(config.security.rules.is_empty());
    assert_eq!(config.log.level, "info");
    assert!(config.hls.enabled);
    assert_eq!(config.hls.fragment, Duration::from_secs(10));
    assert_eq!(config.hls.window, Duration::from_secs(60));
    assert!(
        config.hls.path.as_os_str().is_empty(),
        "in memory by default"
    );
    assert!(config.mpegts.enabled);
    assert_eq!(
        config.mpegts.listen,
        "0.0.0.0:8935".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.mpegts.stream, "live/livestream");
    assert!(config.vhosts.is_empty());
}

#[test]
fn an_empty_file_is_the_defaults() {
    assert_eq!(load_text("empty", "").unwrap(), Config::default());
}

#[test]
fn the_example_file_sets_every_key() {
    let config = load_text("example", EXAMPLE).unwrap();
    assert_eq!(
        config.rtmp.listen,
        "127.0.0.1:19350".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.rtmp.chunk_size, 60000);
    assert_eq!(config.rtmp.handshake_timeout, Duration::from_millis(2500));
    assert_eq!(config.rtmp.idle_timeout, Duration::from_secs(12));
    assert_eq!(config.rtmp.max_message_size, 1 << 20);
    assert_eq!(config.rtmp.max_connections, 500);
    assert!(!config.http.enabled);
    assert_eq!(
        config.http.listen,
        "[::]:18080".parse::<SocketAddr>().unwrap()
    );
    assert!(config.api.enabled, "[api] enabled keeps its default");
    assert_eq!(
        config.api.listen,
        "127.0.0.1:11985".parse::<SocketAddr>().unwrap()
    );
    assert!(!config.hub.gop_cache);
    assert_eq!(config.hub.gop_cache_max_frames, 300);
    assert_eq!(config.hub.gop_cache_max_bytes, 8 << 20);
    assert_eq!(config.hub.queue_frames, 256);
    assert_eq!(config.hub.stall_timeout, Duration::from_millis(7500));
    assert!(config.hooks.enabled);
    assert_eq!(config.hooks.timeout, Duration::from_millis(500));
    assert_eq!(
        config.hooks.on_publish,
        [
            "http://127.0.0.1:8085/api/v1/streams",
            "http://auth.local/publish"
        ]
    );
    assert_eq!(
        config.hooks.on_close,
        ["http://127.0.0.1:8085/api/v1/clients"]
    );
    assert!(!config.hls.enabled);
    assert_eq!(config.hls.fragment, Duration::from_millis(2500));
    assert_eq!(config.hls.window, Duration::from_secs(30));
    assert_eq!(config.hls.path, std::path::Path::new("/var/www/hls"));
    assert_eq!(config.hls.dispose, Duration::from_secs(45));
    assert!(config.hls.program_date_time);
    assert!(!config.mpegts.enabled);
    assert_eq!(
        config.mpegts.listen,
        "127.0.0.1:18935".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.mpegts.stream, "cams/front");
    assert_eq!(config.mpegts.timeout, Duration::from_secs(3));
    assert_eq!(config.hooks.on_hls, ["http://127.0.0.1:8085/api/v1/hls"]);
    assert_eq!(config.security.rules.len(), 4);
    assert_eq!(
        config.security.rules[2].to_string(),
        "deny play 192.168.0.0/16"
    );
    assert_eq!(config.log.level, "weir_server=debug,info");

    // The vhost's sections replace the global ones, for that vhost only.
    let private = config.vhost_security("private.example");
    assert!(
        private
            .check(Action::Play, "10.1.2.3".parse().unwrap())
            .is_ok()
    );
    assert!(
        private
            .check(Action::Play, "8.8.8.8".parse().unwrap())
            .is_err()
    );
    assert!(
        config
            .vhost_security("other")
            .check(Action::Play, "8.8.8.8".parse().unwrap())
            .is_ok()
    );
    assert!(
        config
            .vhost_security("other")
            .check(Action::Play, "192.168.1.1".parse().unwrap())
            .is_err()
    );
    let hooks = config.vhost_hooks("private.example");
    assert_eq!(hooks.on_play, ["http://10.1.0.1:9000/auth"]);
    assert!(hooks.on_publish.is_empty(), "replaced, not merged");
    assert_eq!(hooks.timeout, Duration::from_secs(5));
    assert_eq!(config.vhost_hooks("__defaultVhost__"), &config.hooks);
}

#[test]
fn the_defaults_written_as_toml_load_back_the_same() {
    let mut config = load_text("example-again", EXAMPLE).unwrap();
    let text = toml::to_string(&config).unwrap();
    assert_eq!(load_text("round-trip", &text).unwrap(), config);
    config = Config::default();
    let text = toml::to_string(&config).unwrap();
    assert_eq!(load_text("round-trip-defaults", &text).unwrap(), config);
}

#[test]
fn environment_overrides_file_and_flags_override_environment() {
    let file = config_file(
        "precedence",
        "[rtmp]\nlisten = \"127.0.0.1:1000\"\nchunk_size = 1000\n[hub]\nqueue_frames = 10\n",
    );
    let vars = [
        ("WEIR_RTMP_LISTEN", "127.0.0.1:2000"),
        ("WEIR_RTMP_CHUNK_SIZE", "2000"),
    ];
    let config = Config::load(
        Some(file.path()),
        env(&vars),
        &flags(&[("rtmp.listen", "127.0.0.1:3000")]),
    )
    .unwrap();
    assert_eq!(
        config.rtmp.listen,
        "127.0.0.1:3000".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.rtmp.chunk_size, 2000);
    assert_eq!(config.hub.queue_frames, 10, "the file's other keys stay");
}

#[test]
fn environment_values_take_the_type_of_their_key() {
    let vars = [
        ("WEIR_HUB_GOP_CACHE", "false"),
        ("WEIR_HOOKS_ENABLED", "true"),
        ("WEIR_HOOKS_TIMEOUT", "0.25"),
        (
            "WEIR_HOOKS_ON_PUBLISH",
            "http://a/publish, http://b/publish",
        ),
        ("WEIR_HOOKS_ON_CLOSE", ""),
        ("WEIR_SECURITY_ENABLED", "true"),
        ("WEIR_SECURITY_RULES", "deny play 10.0.0.0/8,allow play all"),
        ("WEIR_LOG_LEVEL", "debug"),
        ("WEIR_RTMP_IDLE_TIMEOUT", "45"),
        // Not a section of ours: the test suite's own variable, ignored.
        ("WEIR_CORPUS", "/nowhere"),
        ("PATH", "/usr/bin"),
    ];
    let config = Config::load(None, env(&vars), &[]).unwrap();
    assert!(!config.hub.gop_cache);
    assert!(config.hooks.enabled);
    assert_eq!(config.hooks.timeout, Duration::from_millis(250));
    assert_eq!(
        config.hooks.on_publish,
        ["http://a/publish", "http://b/publish"]
    );
    assert!(config.hooks.on_close.is_empty());
    assert!(config.security.enabled);
    assert_eq!(config.security.rules.len(), 2);
    assert!(
        config
            .security
            .check(Action::Play, "10.0.0.1".parse().unwrap())
            .is_err()
    );
    assert_eq!(config.log.level, "debug");
    assert_eq!(config.rtmp.idle_timeout, Duration::from_secs(45));
}

#[test]
fn flags_take_the_type_of_their_key() {
    let config = Config::load(
        None,
        env(&[]),
        &flags(&[
            ("api.enabled", "false"),
            ("hub.gop_cache_max_bytes", "1048576"),
            ("hooks.on_play", "http://x/play"),
        ]),
    )
    .unwrap();
    assert!(!config.api.enabled);
    assert_eq!(config.hub.gop_cache_max_bytes, 1 << 20);
    assert_eq!(config.hooks.on_play, ["http://x/play"]);
}

#[test]
fn a_bad_file_value_names_the_file_line_and_key() {
    let file = config_file("bad-chunk", "# comment\n[rtmp]\nchunk_size = \"abc\"\n");
    let error = Config::load(Some(file.path()), env(&[]), &[]).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "file {}, line 3, key rtmp.chunk_size: invalid type: string \"abc\", \
             expected an integer in 128..=65536",
            file.display()
        )
    );
}

#[test]
fn file_errors() {
    let cases: &[(&str, &str, usize, Option<&str>, &str)] = &[
        (
            "range",
            "[rtmp]\nlisten = \"0.0.0.0:1\"\nchunk_size = 100\n",
            3,
            Some("rtmp.chunk_size"),
            "invalid value: integer `100`, expected an integer in 128..=65536",
        ),
        (
            "negative",
            "[hub]\nqueue_frames = -1\n",
            2,
            Some("hub.queue_frames"),
            "invalid value: integer `-1`, expected an integer in 1..=1000000",
        ),
        (
            "unknown-key",
            "[rtmp]\n\nlistn = \"0.0.0.0:1\"\n",
            3,
            Some("rtmp.listn"),
            "unknown field `listn`, expected one of",
        ),
        (
            "pbkeylen",
            "[srt]\npbkeylen = 20\n",
            2,
            Some("srt.pbkeylen"),
            "pbkeylen 20: 16, 24 or 32 bytes (AES-128/192/256), or 0 for any",
        ),
        (
            "unknown-section",
            "[rtmpp]\nlisten = 1\n",
            1,
            Some("rtmpp"),
            "unknown field `rtmpp`",
        ),
        (
            "listen",
            "[api]\nlisten = \"1985\"\n",
            2,
            Some("api.listen"),
            "invalid value: string \"1985\", expected an IP address and port",
        ),
        (
            "duration-zero",
            "[hooks]\ntimeout = 0\n",
            2,
            Some("hooks.timeout"),
            "invalid value: integer `0`, expected a number of seconds greater than 0",
        ),
        (
            "duration-type",
            "[hub]\nstall_timeout = \"20s\"\n",
            2,
            Some("hub.stall_timeout"),
            "invalid type: string \"20s\", expected a number of seconds",
        ),
        (
            "hook-scheme",
            "[hooks]\non_publish = [\n  \"https://ok/\",\n  \"ftp://no/\",\n]\n",
            4,
            Some("hooks.on_publish"),
            "invalid value: string \"ftp://no/\", expected an http:// or https:// URL",
        ),
        (
            "rule",
            "[vhosts.\"v\".security]\nenabled = true\nrules = [\n  \"allow play all\",\n  \"allow play al\",\n]\n",
            5,
            Some("vhosts.v.security.rules"),
            "security rule \"allow play al\": \"al\" is not `all`, an IP address or a CIDR network",
        ),
        (
            "vhost-unknown",
            "[vhosts.v]\nsecurity = {}\nhls = true\n",
            3,
            Some("vhosts.v.hls"),
            "unknown field `hls`",
        ),
        ("syntax", "[rtmp]\nlisten = \"0.0.0.0:1935\n", 2, None, ""),
        (
            "dotted",
            "rtmp.chunk_size = 1\n",
            1,
            Some("rtmp.chunk_size"),
            "expected an integer in 128..=65536",
        ),
    ];
    for &(name, text, line, key, message) in cases {
        let (got_line, got_key, got_message) = file_error(name, text);
        assert_eq!(got_line, Some(line), "{name}: {got_message}");
        if key.is_some() {
            assert_eq!(got_key.as_deref(), key, "{name}: {got_message}");
        }
        assert!(
            got_message.contains(message),
            "{name}: {got_message:?} lacks {message:?}"
        );
    }
}

#[test]
fn a_missing_file_says_so() {
    let path = std::env::temp_dir().join("weir-config-does-not-exist.toml");
    let error = Config::load(Some(&path), env(&[]), &[]).unwrap_err();
    assert_eq!(
        error.origin,
        Origin::File {
            path: path.clone(),
            line: None
        }
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("file {}: cannot read it: ", path.display()))
    );
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let error = Config::load(None, env(&[("WEIR_RTMP_CHUNK_SIZE", "abc")]), &[]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "environment WEIR_RTMP_CHUNK_SIZE, key rtmp.chunk_size: invalid type: string \"abc\", \
         expected an integer in 128..=65536"
    );
    let error = Config::load(None, env(&[("WEIR_SECURITY_RULES", "allow all")]), &[]).unwrap_err();
    assert_eq!(
        error.origin,
        Origin::Environment("WEIR_SECURITY_RULES".into())
    );
    assert!(
        error.message.contains("security rule \"allow all\""),
        "{error}"
    );
}

#[test]
fn the_variable_with_the_error_is_blamed_not_a_good_one_before_it() {
    let vars = [
        ("WEIR_HUB_QUEUE_FRAMES", "64"),
        ("WEIR_RTMP_LISTEN", "127.0.0.1:1935"),
        ("WEIR_API_LISTEN", "localhost"),
    ];
    let error = Config::load(None, env(&vars), &[]).unwrap_err();
    assert_eq!(error.origin, Origin::Environment("WEIR_API_LISTEN".into()));
    assert_eq!(error.key.as_deref(), Some("api.listen"));
}

#[test]
fn unknown_environment_keys_are_errors() {
    let error = Config::load(None, env(&[("WEIR_RTMP_LISTN", "x")]), &[]).unwrap_err();
    assert_eq!(error.origin, Origin::Environment("WEIR_RTMP_LISTN".into()));
    assert_eq!(error.key.as_deref(), Some("rtmp.listn"));
    assert!(
        error
            .message
            .starts_with("unknown key; [rtmp] has: chunk_size, handshake_timeout, "),
        "{error}"
    );
    let no_key = Config::load(None, env(&[("WEIR_HOOKS", "x")]), &[]);
    assert!(
        no_key.is_ok(),
        "no key part: not of the WEIR_<SECTION>_<KEY> form, skipped"
    );
    let error = Config::load(None, env(&[("WEIR_VHOSTS_A", "x")]), &[]).unwrap_err();
    assert!(error.message.starts_with("unknown section"), "{error}");
}

#[test]
fn a_bad_flag_names_the_flag() {
    let error = Config::load(None, env(&[]), &flags(&[("rtmp.listen", "nope")])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "flag --rtmp-listen, key rtmp.listen: invalid value: string \"nope\", expected an IP \
         address and port such as \"0.0.0.0:1935\" or \"[::]:1935\""
    );
    let error = Config::load(None, env(&[]), &flags(&[("rtmpp.listen", "x")])).unwrap_err();
    assert_eq!(error.origin, Origin::Flag("--rtmpp-listen".into()));
    assert!(error.message.starts_with("unknown section"), "{error}");
    let error = Config::load(None, env(&[]), &flags(&[("hub.gop_cache", "yes")])).unwrap_err();
    assert_eq!(error.origin, Origin::Flag("--hub-gop-cache".into()));
    assert!(error.message.contains("expected a boolean"), "{error}");
}

#[test]
fn srt_secrets_per_app_carry_their_own_key_length() {
    let config = load_text(
        "srt-secrets",
        "[srt]\npassphrase = \"server-wide-secret\"\npbkeylen = 16\n\
         [srt.passphrases]\nvault = \"vault-only-secret\"\n\
         \"news.example/strong\" = { passphrase = \"aes-256-only-secret\", pbkeylen = 32 }\n",
    )
    .unwrap();
    let secret = |vhost, app| {
        config
            .srt
            .secret_for(vhost, app)
            .map(|s| (s.passphrase, s.pbkeylen))
    };
    assert_eq!(secret("any", "live"), Some(("server-wide-secret", 16)));
    assert_eq!(secret("any", "vault"), Some(("vault-only-secret", 16)));
    assert_eq!(
        secret("news.example", "strong"),
        Some(("aes-256-only-secret", 32))
    );
    assert_eq!(secret("other", "strong"), Some(("server-wide-secret", 16)));
    let open = load_text("srt-open", "[srt]\n").unwrap();
    assert_eq!(open.srt.secret_for("any", "live"), None);
}

#[test]
fn tls_listeners_are_off_by_default_and_take_their_keys_from_every_layer() {
    let config = Config::default();
    assert!(!config.rtmps.enabled && !config.https.enabled && !config.api.https_enabled);
    let port = |addr: SocketAddr| addr.port();
    assert_eq!(
        (
            port(config.rtmps.listen),
            port(config.https.listen),
            port(config.api.https_listen)
        ),
        (1443, 8088, 1990)
    );
    assert!(config.hooks.ca.as_os_str().is_empty(), "system roots only");
    let file =
        "[rtmps]\nenabled = true\ncert = \"a.pem\"\nkey = \"a.key\"\n\n[hooks]\nca = \"ca.pem\"\n";
    let file = config_file("tls", file);
    let config = Config::load(
        Some(file.path()),
        env(&[("WEIR_API_HTTPS_CERT", "b.pem")]),
        &flags(&[("https.listen", "127.0.0.1:8443")]),
    )
    .unwrap();
    assert!(config.rtmps.enabled);
    assert_eq!(config.rtmps.cert.to_str(), Some("a.pem"));
    assert_eq!(config.rtmps.key.to_str(), Some("a.key"));
    assert_eq!(config.hooks.ca.to_str(), Some("ca.pem"));
    assert_eq!(config.api.https_cert.to_str(), Some("b.pem"));
    assert_eq!(port(config.https.listen), 8443);
}

#[test]
fn api_authentication_and_metrics_keys() {
    let defaults = Config::default().api;
    assert!(
        !defaults.auth_enabled(),
        "the API is open unless configured"
    );
    assert!(defaults.metrics_auth);
    assert_eq!(defaults.metrics_streams, 100);

    let config = load_text(
        "api-auth",
        "[api]\nusername = \"admin\"\npassword = \"s3cret\"\nmetrics_auth = false\n",
    )
    .unwrap();
    assert!(config.api.auth_enabled());
    assert_eq!(
        (config.api.username.as_str(), config.api.password.as_str()),
        ("admin", "s3cret")
    );
    assert!(!config.api.metrics_auth);
    // A password alone is enough to close the API (the user name is then empty).
    let config = Config::load(None, env(&[("WEIR_API_PASSWORD", "pw")]), &[]).unwrap();
    assert!(config.api.auth_enabled());
    let config = Config::load(None, env(&[]), &flags(&[("api.metrics_streams", "5")])).unwrap();
    assert_eq!(config.api.metrics_streams, 5);

    let (line, key, message) = file_error("api-streams", "[api]\nmetrics_streams = 1000001\n");
    assert_eq!(line, Some(2));
    assert_eq!(key.as_deref(), Some("api.metrics_streams"));
    assert!(message.contains("0..=100000"), "{message}");
}

#[test]
fn a_log_level_that_names_no_level_is_an_error() {
    for text in ["infos", "weir_server", "info,weir=loud"] {
        let (line, key, message) = file_error("log", &format!("[log]\nlevel = {text:?}\n"));
        assert_eq!(line, Some(2), "{text}: {message}");
        assert_eq!(key.as_deref(), Some("log.level"), "{text}: {message}");
        assert!(message.contains("names no level"), "{text}: {message}");
    }
    for text in ["info", "WARN", "weir_server=debug,info", "off"] {
        let config = load_text("log-ok", &format!("[log]\nlevel = {text:?}\n")).unwrap();
        assert_eq!(config.log.level, text);
    }
}

#[test]
fn an_srs_configuration_is_told_weir_reads_toml() {
    let srs = "listen 1935;\nmax_connections 1000;\nhttp_api {\n    enabled on;\n    listen 1985;\n}\nvhost __defaultVhost__ {\n    hls {\n        enabled on;\n    }\n}\n";
    let error = load_text("srs", srs).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("Weir reads TOML"), "{text}");
    assert!(text.contains("docs/migrating-from-srs.md"), "{text}");
    // A TOML file with one mistake is not taken for SRS's.
    let (line, _, message) = file_error("typo", "[rtmp]\nchunk_size = 4096\nlisten 1935\n");
    assert_eq!(line, Some(3), "{message}");
    assert!(!message.contains("SRS"), "{message}");
}

#[test]
fn dvr_keys_take_srs_forms_and_vhosts_have_their_own() {
    let config = load_text(
        "dvr",
        r#"
[dvr]
enabled = true
apply = "live/a  live/b"
plan = "segment"
path = "/rec/[app]/[stream]-[2006][01][02].mp4"
duration = 60
wait_keyframe = false

[vhosts."archive.example".dvr]
enabled = true
apply = ["all"]
"#,
    )
    .unwrap();
    assert_eq!(config.dvr.apply, ["live/a", "live/b"]);
    assert_eq!(config.dvr.plan, weir_server::config::DvrPlan::Segment);
    assert_eq!(config.dvr.duration, Duration::from_secs(60));
    assert!(!config.dvr.wait_keyframe);
    assert!(config.dvr.applies_to("live", "a"));
    assert!(!config.dvr.applies_to("live", "c"));
    let archive = config.vhost_dvr("archive.example");
    assert!(archive.apply.is_empty(), "\"all\" is every stream");
    assert!(archive.applies_to("any", "thing"));
    assert_eq!(archive.plan, weir_server::config::DvrPlan::Session);
    assert!(
        !weir_server::config::Config::default()
            .dvr
            .applies_to("live", "a")
    );

    for (text, message) in [
        (
            "[dvr]\napply = \"livestream\"\n",
            "\"livestream\" is not app/stream",
        ),
        ("[dvr]\nplan = \"append\"\n", "unknown variant `append`"),
    ] {
        let (line, key, error) = file_error("dvr-bad", text);
        assert_eq!(line, Some(2), "{text}");
        assert_eq!(
            key.as_deref(),
            Some(&*format!("dvr.{}", text[6..].split(' ').next().unwrap()))
        );
        assert!(error.contains(message), "{error}");
    }
}
