//! The RTMP prober: a blocking connection driving our client machine ([`conn`]), the media it
//! publishes and compares ([`media`]), the live-only rules ([`rules`]) and the cases, one file
//! per area ([`cases`]); [`run`] plays the selected cases one after another.

pub mod cases;
pub mod conn;
pub mod media;
pub mod rules;

use std::time::{Duration, Instant};

use weir_media::Level;

use super::{Case, CaseResult, Options, Outcome, Probe, ProbeReport, on_thread, selected};
use weir_rtmp::url::RtmpUrl as Target;

/// Runs the RTMP cases `options` select against the server, one at a time, each on its own
/// connections and stream names; `progress` hears of each result as it comes.
pub fn run(
    options: &Options,
    progress: &mut dyn FnMut(&CaseResult),
) -> Result<ProbeReport, String> {
    let target = Target::parse(&options.url)?;
    let mut report = ProbeReport::new(options);
    if let Err(e) = reachable(&target, options.timeout) {
        report.unreachable = Some(e);
        return Ok(report);
    }
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
        ^ u64::from(std::process::id()) << 32;
    let cases = cases::all().filter(|c| selected(&options.prefixes, c.id));
    for (i, case) in cases.enumerate() {
        let started = Instant::now();
        let probe = Probe::new(
            target.clone(),
            case,
            options.timeout,
            nonce.wrapping_add(i as u64),
        );
        let outcome = run_case(case, probe, options.timeout);
        let result = CaseResult {
            case: case.info(),
            outcome,
            elapsed: started.elapsed(),
            counts: case.info().level() == Level::Must || options.strict,
        };
        progress(&result);
        report.results.push(result);
    }
    Ok(report)
}

/// Runs a case on its own thread ([`on_thread`]).
fn run_case(case: &'static Case, probe: Probe, timeout: Duration) -> Outcome {
    on_thread(case.id, timeout, move || {
        (case.run)(&probe).unwrap_or_else(|outcome| outcome)
    })
}

fn reachable(target: &Target, timeout: Duration) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let addr = target
        .addr
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", target.addr))?
        .next()
        .ok_or_else(|| format!("{} resolves to no address", target.addr))?;
    std::net::TcpStream::connect_timeout(&addr, timeout)
        .map(drop)
        .map_err(|e| format!("cannot connect to {}: {e}", target.addr))
}
