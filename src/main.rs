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
    Serve,
    /// Check captures against the rule catalogs and report verdicts.
    Check {
        /// pcap/pcapng captures or raw byte streams.
        files: Vec<std::path::PathBuf>,
    },
    /// Probe a live server with scripted conformance cases.
    Probe {
        /// The server to probe, e.g. rtmp://127.0.0.1:1935/live/test.
        url: String,
    },
    /// Re-send the client side of a captured session to a live server.
    Replay {
        capture: std::path::PathBuf,
        #[arg(long)]
        to: String,
    },
    /// Generate publish/play load against a server.
    Load { url: String },
    /// List the rules Weir checks: id, level, spec reference and text.
    Rules {
        /// Only rules whose id starts with this prefix (e.g. `rtmp.chunk`).
        prefix: Option<String>,
    },
}

fn not_landed(what: &str, issue: &str) -> ExitCode {
    eprintln!("weir {what}: not available yet; it arrives with the issue \"{issue}\"");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve => not_landed("serve", "Reference server: live RTMP and HTTP-FLV delivery"),
        Command::Check { .. } => not_landed("check", "Conformance harness"),
        Command::Probe { .. } => not_landed("probe", "Live conformance: weir probe"),
        Command::Replay { .. } => not_landed("replay", "Live conformance: weir replay"),
        Command::Load { .. } => not_landed("load", "Reference server: load generator"),
        Command::Rules { prefix } => {
            let prefix = prefix.unwrap_or_default();
            print!("{}", weir_conformance::catalog::render(&prefix));
            ExitCode::SUCCESS
        }
    }
}
