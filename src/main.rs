//! `weir`: the command line. Each subcommand hands off to a library crate; no logic lives here.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "weir",
    version,
    about = "Conformance suite and reference server for live-streaming protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the reference server (RTMP, HTTP-FLV, HTTP API).
    Serve(ServeArgs),
    /// Check captures against the rule catalogs and report verdicts.
    Check(CheckArgs),
    /// Probe a live server with scripted conformance cases (RTMP, WHIP/WHEP), or check a live
    /// HLS stream.
    Probe(ProbeArgs),
    /// Re-send the client side of a captured session to a live server and compare its answers.
    Replay(ReplayArgs),
    /// Generate publish/play load against a server.
    Load(LoadArgs),
    /// List the rules Weir checks: id, level, spec reference and text.
    Rules {
        /// Only rules whose id starts with this prefix (e.g. `rtmp.chunk`).
        prefix: Option<String>,
    },
}

/// `weir serve`: every flag overrides the config file and the `WEIR_<SECTION>_<KEY>`
/// environment variables.
#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML config file (every key is optional; no file runs on the defaults).
    #[arg(short, long)]
    config: Option<std::path::PathBuf>,
    /// Where RTMP listens (default 0.0.0.0:1935).
    #[arg(long, value_name = "ADDR")]
    rtmp_listen: Option<String>,
    /// Where the HTTP server (HTTP-FLV) listens (default 0.0.0.0:8080).
    #[arg(long, value_name = "ADDR")]
    http_listen: Option<String>,
    /// Where the HTTP API listens (default 0.0.0.0:1985).
    #[arg(long, value_name = "ADDR")]
    api_listen: Option<String>,
    /// Any other key, as `section.key=value` (e.g. `--set hub.gop_cache=false`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Check this config file (with the environment and the flags over it) and exit: 0 when
    /// it is good, 2 with what is wrong and where (SRS's `-t`).
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    test_config: Option<std::path::PathBuf>,
}

impl ServeArgs {
    fn overrides(&self) -> Result<Vec<(String, String)>, String> {
        let mut overrides = Vec::new();
        for (key, value) in [
            ("rtmp.listen", &self.rtmp_listen),
            ("http.listen", &self.http_listen),
            ("api.listen", &self.api_listen),
        ] {
            if let Some(value) = value {
                overrides.push((key.to_owned(), value.clone()));
            }
        }
        for set in &self.set {
            let (key, value) = set
                .split_once('=')
                .ok_or_else(|| format!("--set {set}: expected section.key=value"))?;
            overrides.push((key.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(overrides)
    }
}

/// `weir check`: exit status 0 when no counted rule failed, 1 when one did, 2 when an input
/// could not be read.
#[derive(clap::Args)]
struct CheckArgs {
    /// pcap/pcapng captures (a raw `*client*` stream whose `*server*` sibling exists is read
    /// as a stream pair); `-` reads standard input (`tcpdump -w - | weir check -`).
    files: Vec<std::path::PathBuf>,
    /// A raw stream pair: the client->server bytes, then the server->client bytes.
    #[arg(long, num_args = 2, value_names = ["CLIENT_FILE", "SERVER_FILE"], action = clap::ArgAction::Append)]
    pair: Vec<std::path::PathBuf>,
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Also write a JUnit XML report (one test case per rule per flow).
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,
    /// Also write a static HTML report (index.html) into this directory.
    #[arg(long, value_name = "DIR")]
    html: Option<std::path::PathBuf>,
    /// Print the transcript (YAML) instead of the report.
    #[arg(long)]
    transcript: bool,
    /// SHOULD failures count too.
    #[arg(long)]
    strict: bool,
    /// A flow not judged in full (observed in part: a gap, bytes skipped to resynchronise,
    /// encrypted payloads; or not observed at all) fails the check (exit 1), for CI gates
    /// that must not pass on bytes nothing judged. Without it the conclusion says
    /// INCONCLUSIVE and the exit status is 0.
    #[arg(long)]
    require_full_coverage: bool,
    /// Only rules whose id starts with PREFIX (repeatable).
    #[arg(long = "rules", value_name = "PREFIX")]
    rules: Vec<String>,
    /// Read flows on PORT as PROTO (rtmp, http, mpegts, rtp, sdp, webrtc, srt), as tshark's
    /// -d; or RTP payload type PT as a format: rtp.pt==PT,NAME[/RATE[/CH]][,FMTP] (e.g.
    /// rtp.pt==96,H264/90000,packetization-mode=1).
    #[arg(long = "decode-as", value_name = "PORT=PROTO|rtp.pt==PT,FORMAT")]
    decode_as: Vec<String>,
    /// A session description whose payload types (and ICE passwords) the RTP and WebRTC flows
    /// of every input are read with (repeatable).
    #[arg(long = "sdp", value_name = "FILE")]
    sdp: Vec<std::path::PathBuf>,
    /// The passphrase encrypted SRT flows are decrypted with, so that their MPEG-TS is
    /// judged too (without it their payloads are noted as encrypted and not read).
    #[arg(long = "srt-passphrase", value_name = "PASSPHRASE")]
    srt_passphrase: Option<String>,
    /// An SRTP key log (`weir serve`'s `rtc.keylog`): WebRTC flows whose keys it holds are
    /// decrypted, their media depacketized and judged as plain RTP's.
    #[arg(long = "keylog", value_name = "FILE")]
    keylog: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

fn check(args: CheckArgs) -> ExitCode {
    use weir_conformance::check::{self, Input};
    use weir_conformance::report;
    let mut options = check::Options {
        progress: true,
        ..Default::default()
    };
    options.selection.strict = args.strict;
    options.selection.prefixes = args.rules;
    options.require_full_coverage = args.require_full_coverage;
    // Only the transcript and the HTML report (its ladder and timelines) read the entries.
    options.no_transcript = !args.transcript && args.html.is_none();
    for spec in &args.decode_as {
        if let Err(e) = options.decode_as.add(spec) {
            eprintln!("weir check: {e}");
            return ExitCode::from(2);
        }
    }
    for path in &args.sdp {
        if let Err(e) = options.decode_as.add_sdp(path) {
            eprintln!("weir check: --sdp {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    options.decode_as.given.srt_passphrase = args.srt_passphrase;
    if let Some(path) = &args.keylog
        && let Err(e) = options.decode_as.add_keylog(path)
    {
        eprintln!("weir check: --keylog {}: {e}", path.display());
        return ExitCode::from(2);
    }
    let mut inputs: Vec<Input> = args.files.into_iter().map(Input::Capture).collect();
    for pair in args.pair.chunks(2) {
        if let [client, server] = pair {
            inputs.push(Input::Pair {
                client: client.clone(),
                server: server.clone(),
            });
        }
    }
    if inputs.is_empty() {
        eprintln!("weir check: no input (give capture files or --pair CLIENT SERVER)");
        return ExitCode::from(2);
    }
    let report = check::run(&inputs, &options);
    if args.transcript {
        print!("{}", report.transcript_yaml());
    } else {
        match args.format {
            CheckFormat::Text => print!("{}", report::text::render(&report)),
            CheckFormat::Json => print!("{}", report::json::render(&report)),
        }
    }
    if let Err(e) = write_files(&report, args.junit.as_deref(), args.html.as_deref()) {
        eprintln!("weir check: {e}");
        return ExitCode::from(2);
    }
    for input in report.inputs.iter().filter(|i| i.error.is_some()) {
        eprintln!(
            "weir check: {}: {}",
            input.name,
            input.error.as_deref().unwrap_or_default()
        );
    }
    ExitCode::from(report.exit_code() as u8)
}

/// `weir probe`: exit status 0 when no counted case failed, 1 when one did, 2 when the server
/// could not be reached.
#[derive(clap::Args)]
struct ProbeArgs {
    /// An RTMP server and a stream name to derive the cases' names from, e.g.
    /// rtmp://127.0.0.1:1935/live/probe; a live HLS playlist to check, e.g.
    /// http://127.0.0.1:8080/live/stream.m3u8; or a WHIP or WHEP endpoint (by its path), e.g.
    /// http://127.0.0.1:1985/rtc/v1/whip/?app=live&stream=probe; or an SRT listener, e.g.
    /// srt://127.0.0.1:10080?streamid=#!::r=live/probe (passphrase=, pbkeylen=, play=host:port).
    #[arg(required_unless_present = "list")]
    url: Option<String>,
    /// Only cases whose id starts with PREFIX (repeatable), e.g. `chunk.` or `segment.`.
    #[arg(long = "case", value_name = "PREFIX")]
    cases: Vec<String>,
    /// List the cases of every prober (id, level, spec, description, rules) without running
    /// them.
    #[arg(long)]
    list: bool,
    /// Seconds one case (RTMP, WHIP/WHEP, SRT) or one HTTP request (HLS) may take.
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    timeout: u64,
    /// Seconds the HLS checker polls the playlist.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    duration: u64,
    /// SHOULD failures count too.
    #[arg(long)]
    strict: bool,
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Also write a JUnit XML report (one test case per probe case).
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,
    /// Also write a static HTML report (index.html) into this directory.
    #[arg(long, value_name = "DIR")]
    html: Option<std::path::PathBuf>,
    /// WHIP/WHEP: the WHEP endpoint, when it is not the WHIP URL with /whep/ for /whip/.
    #[arg(long, value_name = "URL")]
    whep: Option<String>,
    /// WHIP/WHEP: the bearer token to send (RFC 9725 §4.5); the auth cases then check that
    /// a missing or wrong one is refused.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Which prober to use (rtmp, hls, http, whip, srt), when the URL's scheme and path do not say.
    #[arg(long = "as", value_name = "PROBER")]
    prober: Option<String>,
    /// WHIP/WHEP over https://: also trust the CA certificates of this PEM file (a test or
    /// private CA), beside the system's.
    #[arg(long, value_name = "FILE")]
    ca: Option<std::path::PathBuf>,
}

fn probe(args: ProbeArgs) -> ExitCode {
    use weir_conformance::probe;
    use weir_conformance::protocols;
    use weir_conformance::report::text;
    if args.list {
        print!(
            "{}",
            text::probe_list(&protocols::probe_catalogs(&args.cases))
        );
        return ExitCode::SUCCESS;
    }
    let options = probe::Options {
        url: args.url.unwrap_or_default(),
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        prefixes: args.cases,
        strict: args.strict,
        duration: std::time::Duration::from_secs(args.duration),
        whep: args.whep,
        token: args.token,
        prober: args.prober,
        ca: args.ca,
    };
    // The text report is printed as the cases finish.
    let as_text = matches!(args.format, CheckFormat::Text);
    if as_text {
        print!("{}", text::probe_head(&options.url));
    }
    let report = protocols::probe(&options, &mut |result| {
        if as_text {
            print!("{}", text::probe_case(result));
        }
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("weir probe: {e}");
            return ExitCode::from(2);
        }
    };
    match args.format {
        CheckFormat::Text => print!(
            "{}{}",
            text::probe_notes(&report),
            text::probe_summary(&report)
        ),
        CheckFormat::Json => print!("{}", weir_conformance::report::json::render(&report)),
    }
    if let Err(e) = write_files(&report, args.junit.as_deref(), args.html.as_deref()) {
        eprintln!("weir probe: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(report.exit_code() as u8)
}

/// `weir replay`: exit status 0 when the live server answered as the captured one, 1 when it
/// answered otherwise, 2 when the input could not be read or the replay did not complete.
#[derive(clap::Args)]
struct ReplayArgs {
    /// A pcap/pcapng capture, or the client half of a raw stream pair (with --server-stream).
    capture: std::path::PathBuf,
    /// The server to replay to. rtmp://host:port/app/stream replays the capture's RTMP flows
    /// (the captured application and stream names are replaced by these);
    /// http://host:port[/app/stream.flv] replays its HTTP flows: the GETs of HTTP-FLV,
    /// HTTP-TS and HLS playlists and segments, with status, Content-Type, framing, CORS,
    /// Location and media compared (a captured `/app/name.flv`, `.m3u8` or `.ts` becomes the
    /// URL's app and stream; HLS segments are mapped through the live playlist);
    /// udp://host:port re-sends its UDP flows of MPEG-TS and of GB28181 PS over RTP (the
    /// SSRC as captured), at their pacing (see --play); tcp://host:port its TCP flows of
    /// GB28181 PS over RTP in RFC 4571 frames; srt://host:port[?streamid=ID] its unencrypted
    /// SRT flows: a fresh handshake (the captured stream id unless the URL gives one;
    /// &passphrase=P[&pbkeylen=N] encrypts the replayed connection), then
    /// the captured payloads at their pacing, the listener's handshake answer, ACKs, NAKs, data
    /// (to a player) and shutdown compared (an encrypted flow is reported as not replayable);
    /// http://host:port/.../whip/... (a path with /whip or /whep) its WHIP sessions: a fresh
    /// WHIP session by our str0m client, then the publisher's RTP decrypted with --keylog and
    /// re-sent at its pacing; the POST's answer, ICE and DTLS, the kinds of RTCP the server
    /// sent and the DELETE compared (WHEP sessions: signalling, connection and whether media
    /// came; a session without its keys is reported as not replayable).
    #[arg(long, value_name = "URL")]
    to: String,
    /// With --to a WHIP endpoint: the SRTP key log of the captured sessions (`weir serve`'s
    /// rtc.keylog), whose keys decrypt the RTP that is re-sent.
    #[arg(long, value_name = "FILE")]
    keylog: Option<std::path::PathBuf>,
    /// With --to udp:// or tcp:// (which replay the capture's flows of TS or PS): an
    /// HTTP-FLV URL of the stream the server makes of them, read back while they are sent and
    /// its media compared with the capture's (without it, only the sending is reported).
    #[arg(long, value_name = "URL")]
    play: Option<String>,
    /// The server half of a raw stream pair whose client half is CAPTURE.
    #[arg(long, value_name = "FILE")]
    server_stream: Option<std::path::PathBuf>,
    /// Replay N times faster than captured (0.5: half as fast).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1.0,
        conflicts_with = "as_fast_as_possible"
    )]
    speed: f64,
    /// Send each message (RTMP) or request (HTTP) as soon as the answer to the previous
    /// command has come.
    #[arg(long)]
    as_fast_as_possible: bool,
    /// Seconds a command's answer (an HTTP response) may take before the replay goes on
    /// without it.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    answer_timeout: u64,
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Also write a JUnit XML report (one test case per replayed flow).
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,
    /// Also write a static HTML report (index.html) into this directory.
    #[arg(long, value_name = "DIR")]
    html: Option<std::path::PathBuf>,
}

fn replay(args: ReplayArgs) -> ExitCode {
    use weir_conformance::replay::{self, Pacing};
    use weir_conformance::report;
    if !(args.speed.is_finite() && args.speed > 0.0) {
        eprintln!("weir replay: --speed must be a positive number");
        return ExitCode::from(2);
    }
    if args.keylog.is_some() && !weir_conformance::probe::whip::takes(&args.to) {
        eprintln!("weir replay: --keylog decrypts WebRTC sessions: --to must be a WHIP endpoint");
        return ExitCode::from(2);
    }
    let options = replay::Options {
        capture: args.capture,
        server_file: args.server_stream,
        url: args.to,
        pacing: if args.as_fast_as_possible {
            Pacing::AsFastAsPossible
        } else {
            Pacing::Speed(args.speed)
        },
        answer_timeout: std::time::Duration::from_secs(args.answer_timeout.max(1)),
        play: args.play,
        keylog: args.keylog,
    };
    let report = replay::run(&options);
    match args.format {
        CheckFormat::Text => print!("{}", report::text::render(&report)),
        CheckFormat::Json => print!("{}", report::json::render(&report)),
    }
    if let Err(e) = write_files(&report, args.junit.as_deref(), args.html.as_deref()) {
        eprintln!("weir replay: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(report.exit_code() as u8)
}

/// Writes the JUnit XML file and the HTML page asked for, the same way for every report; the
/// error names the flag.
fn write_files(
    report: &impl weir_conformance::report::Rendered,
    junit: Option<&std::path::Path>,
    html: Option<&std::path::Path>,
) -> Result<(), String> {
    use weir_conformance::report;
    if let Some(path) = junit {
        report::junit::render(report)
            .and_then(|xml| std::fs::write(path, xml).map_err(|e| e.to_string()))
            .map_err(|e| format!("--junit {}: {e}", path.display()))?;
    }
    if let Some(dir) = html {
        report::html::write(report, dir).map_err(|e| format!("--html {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// `weir load`: N players of one stream (and optionally its publisher) from one process.
#[derive(clap::Args)]
struct LoadArgs {
    /// The stream, e.g. rtmp://127.0.0.1:1935/live/test; or a WHEP endpoint (http://, its path
    /// holding /whep), e.g. http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=test, for
    /// WebRTC players (H.264 or VP8 video, Opus audio). Not given with --gb28181.
    url: Option<String>,
    /// How many players play the stream.
    #[arg(long, default_value_t = 1)]
    players: u32,
    /// Publish this FLV file to the stream, in a loop, before the players start; with
    /// --gb28181, the FLV or TS file each device streams.
    #[arg(long, value_name = "FILE.flv")]
    publish: Option<std::path::PathBuf>,
    /// Where --publish publishes (rtmp://...), when not the stream's URL; for a WHEP URL the
    /// default is rtmp://HOST/APP/STREAM from its host and its app= and stream=.
    #[arg(long, value_name = "RTMP_URL")]
    publish_to: Option<String>,
    /// Stop after this many seconds (default: run until SIGINT or SIGTERM).
    #[arg(long, value_name = "SECS")]
    duration: Option<u64>,
    /// Players started per second (0: all at once).
    #[arg(long, value_name = "PER_SEC", default_value_t = 500)]
    ramp: u32,
    /// Seconds at the start that the summary's rate leaves out.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    warmup: u64,
    /// Once a player plays steadily, it reads when about this many ms of the stream wait in
    /// its socket (SO_RCVLOWAT) rather than for every TCP segment; 0: every segment.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    read_every: u64,
    /// How many players (the first ones) read every segment and measure the delay the server
    /// adds to each video frame: the publisher (`--publish`) stamps H.264 frames with the time
    /// they leave (an SEI the decoders ignore); the summary gives the median and the 99th
    /// percentile after the warm-up.
    #[arg(long, value_name = "N", default_value_t = 10)]
    delay_players: u32,
    /// Print the summary as JSON on stdout (the per-second lines go to stderr).
    #[arg(long)]
    json: bool,
    /// Simulated GB28181 devices instead of players: each registers through the server's API
    /// (POST /gb/v1/publish/ with its 20-digit id and an SSRC), then streams --publish in a
    /// loop, in real time, as PS over RTP to the port the API answers.
    #[arg(long)]
    gb28181: bool,
    /// With --gb28181: the server's HTTP API; the media goes to the same host. With basic
    /// authentication (SRS's `http_api.auth`): http://user:password@host:port.
    #[arg(long, value_name = "URL")]
    api: Option<String>,
    /// With --gb28181: how many devices stream at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    devices: u32,
    /// With --gb28181: RTP over tcp (RFC 4571 framing) or udp; default what the API answers.
    #[arg(long, value_name = "tcp|udp")]
    transport: Option<String>,
    /// With --gb28181: write what one device sends (over --transport, default tcp) to this
    /// pcap file: one loop of the file, or --duration seconds of it. Streams too only when
    /// --api is given.
    #[arg(long, value_name = "OUT.pcap")]
    pcap: Option<std::path::PathBuf>,
    /// With --gb28181: break the stream on purpose, as some cameras do: split-start-codes,
    /// zero-stuffing, split-pes, broken-psm-length, no-psm, cleared-markers, junk, lost-packs,
    /// header-extension, rtp-loss or wrong-ssrc.
    #[arg(long, value_name = "NAME")]
    mangle: Option<String>,
    /// With --gb28181: a device whose connection is lost (the server closed or kicked it, or
    /// went away) waits this long, registers again and reconnects, as cameras do, going on
    /// from its next keyframe; the summary counts reconnects. Without it, a lost connection
    /// ends the device, counted as an error.
    #[arg(long, value_name = "SECS")]
    reconnect: Option<f64>,
}

/// Exit status 0 when every player connected and none stalled at the end, 1 otherwise, 2 when
/// the load could not start.
fn load(args: LoadArgs) -> ExitCode {
    use std::time::Duration;
    if args.gb28181 {
        return load_gb28181(args);
    }
    let Some(url) = args.url else {
        eprintln!("weir load: give the stream's URL (or --gb28181)");
        return ExitCode::from(2);
    };
    let options = weir_conformance::load::LoadOptions {
        url,
        players: args.players,
        publish: args.publish,
        publish_to: args.publish_to,
        duration: args.duration.map(Duration::from_secs),
        ramp: args.ramp,
        warmup: Duration::from_secs(args.warmup),
        read_every: Duration::from_millis(args.read_every),
        delay_players: args.delay_players,
    };
    let summary = if args.json {
        weir_conformance::load::run(&options, &mut std::io::stderr())
    } else {
        weir_conformance::load::run(&options, &mut std::io::stdout())
    };
    match summary {
        Ok(summary) => {
            if args.json {
                println!("{:#}", summary.to_json());
            } else {
                print!("{summary}");
            }
            if summary.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("weir load: {e}");
            ExitCode::from(2)
        }
    }
}

/// `weir load --gb28181`: a capture (`--pcap`) and/or a run of simulated devices; exit status
/// as for players.
fn load_gb28181(args: LoadArgs) -> ExitCode {
    use weir_conformance::load::gb28181::{self as gb, Mangle, Transport};
    let fail = |e: String| {
        eprintln!("weir load: {e}");
        ExitCode::from(2)
    };
    let transport = match args.transport.as_deref().map(Transport::parse).transpose() {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let mangle = match args.mangle.as_deref().map(Mangle::parse).transpose() {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let Some(file) = args.publish else {
        return fail("--gb28181 streams a file: give --publish FILE.flv or FILE.ts".into());
    };
    let duration = args.duration.map(std::time::Duration::from_secs);
    if let Some(out) = &args.pcap {
        let written = gb::Media::read(&file).and_then(|media| {
            let options = gb::PcapOptions {
                transport: transport.unwrap_or(Transport::Tcp),
                mangle,
                ssrc: gb::device_ssrc(0),
                duration,
            };
            gb::write_pcap(&media, &options)
        });
        let written = written.and_then(|pcap| {
            std::fs::write(out, &pcap).map_err(|e| format!("--pcap {}: {e}", out.display()))
        });
        if let Err(e) = written {
            return fail(e);
        }
        eprintln!("wrote {}", out.display());
        if args.api.is_none() {
            return ExitCode::SUCCESS;
        }
    }
    let options = gb::GbOptions {
        api: args.api.unwrap_or_else(|| "http://127.0.0.1:1985".into()),
        devices: args.devices,
        publish: file,
        transport,
        mangle,
        duration,
        reconnect: match args.reconnect.map(std::time::Duration::try_from_secs_f64) {
            Some(Err(e)) => return fail(format!("--reconnect: {e}")),
            other => other.and_then(Result::ok),
        },
    };
    let summary = if args.json {
        gb::run(&options, &mut std::io::stderr())
    } else {
        gb::run(&options, &mut std::io::stdout())
    };
    match summary {
        Ok(summary) if args.json => {
            println!("{:#}", summary.to_json());
            exit_for(summary.passed())
        }
        Ok(summary) => {
            print!("{summary}");
            exit_for(summary.passed())
        }
        Err(e) => fail(e),
    }
}

fn exit_for(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let file = args.test_config.as_deref().or(args.config.as_deref());
    let load = {
        let file = file.map(std::path::Path::to_owned);
        let overrides = args.overrides();
        move || {
            weir_server::config::Config::load(
                file.as_deref(),
                std::env::vars(),
                &overrides.clone()?,
            )
            .map_err(|e| e.to_string())
        }
    };
    let config = match load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("weir serve: bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(file) = &args.test_config {
        // The TLS files too: a certificate or CA file that does not load stops start-up as well.
        let tls = weir_server::tls::Certificates::load(&config)
            .and_then(|_| weir_server::tls::client_config(&config.hooks.ca));
        // And the cluster's registry settings (its URL, heartbeat against expiry), unconnected.
        let registry = weir_server::cluster::registry::Registry::new(&config.cluster);
        let checked = (tls.map(|_| ()).map_err(|e| e.to_string()))
            .and(registry.map(|_| ()).map_err(|e| e.to_string()));
        if let Err(e) = checked {
            eprintln!("weir serve: bad configuration: {e}");
            return ExitCode::from(2);
        }
        println!(
            "weir serve: the configuration in {} is good",
            file.display()
        );
        return ExitCode::SUCCESS;
    }
    // RUST_LOG, when set, wins over `[log] level`, at start and at every reload.
    let from_env = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG").ok();
    let pinned = from_env.is_some();
    let filter = from_env
        .or_else(|| tracing_subscriber::EnvFilter::try_new(&config.log.level).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    let (filter, log_filter) = tracing_subscriber::reload::Layer::new(filter);
    // Colours only on a terminal: logs piped to a file or a journal stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    {
        use tracing_subscriber::prelude::*;
        tracing_subscriber::registry()
            .with(filter)
            .with(tracing_subscriber::fmt::layer().with_ansi(ansi))
            .init();
    }
    let source = weir_server::reload::Source {
        load: Box::new(load),
        log_level: Box::new(move |level| {
            if pinned {
                return Ok(());
            }
            let filter =
                tracing_subscriber::EnvFilter::try_new(level).map_err(|e| e.to_string())?;
            log_filter.reload(filter).map_err(|e| e.to_string())
        }),
    };
    // One core (the machine's, or the affinity a supervisor set): one thread, as nginx-rtmp's
    // and SRS's workers, with no cross-thread wake-ups and the kernel's single-threaded fast
    // paths (benches/RESULTS.md); more cores: tokio's work-stealing pool.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = match cores {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("weir serve: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let server = match weir_server::Server::start(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("weir serve: {e}");
                return ExitCode::FAILURE;
            }
        };
        server.context.set_config_source(source);
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            "weir serve ready; {}",
            server.urls().join("; ")
        );
        let signal = signals(&server.context).await;
        tracing::info!(signal, "shutting down");
        server.shutdown(std::time::Duration::from_secs(5)).await;
        ExitCode::SUCCESS
    })
}

/// Reloads the configuration on each SIGHUP (a failed reload is logged and changes nothing);
/// returns on SIGINT or SIGTERM, with its name.
async fn signals(ctx: &weir_server::Context) -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        std::future::pending::<()>().await;
        unreachable!()
    };
    loop {
        tokio::select! {
            _ = int.recv() => return "SIGINT",
            _ = term.recv() => return "SIGTERM",
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading the configuration");
                // The outcome is logged by the reload itself.
                let _ = ctx.reload();
            }
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve(args) => serve(args),
        Command::Check(args) => check(args),
        Command::Probe(args) => probe(args),
        Command::Replay(args) => replay(args),
        Command::Load(args) => load(args),
        Command::Rules { prefix } => {
            let prefix = prefix.unwrap_or_default();
            print!("{}", weir_conformance::catalog::render(&prefix));
            ExitCode::SUCCESS
        }
    }
}
