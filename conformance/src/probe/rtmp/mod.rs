//! The RTMP prober: a blocking connection driving our client machine ([`conn`]), the media it
//! publishes and compares ([`media`]), the live-only rules ([`rules`]) and the cases, one file
//! per area ([`cases`]); [`run`] plays the selected cases one after another.

pub mod cases;
pub mod conn;
pub mod media;
pub mod rules;

use std::time::{Duration, Instant};

use weir_media::Level;

use super::{Case, CaseResult, Options, Outcome, Probe, ProbeReport, selected};
use crate::target::Target;

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

/// Runs a case on its own thread, so that a case stuck past its deadline (a blocking call
/// the deadline did not reach) cannot stop the run: it is abandoned and fails.
fn run_case(case: &'static Case, probe: Probe, timeout: Duration) -> Outcome {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("probe {}", case.id))
        .spawn(move || {
            let outcome = (case.run)(&probe).unwrap_or_else(|outcome| outcome);
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Outcome::error(format!("cannot start the case: {e}"));
    }
    match rx.recv_timeout(timeout + Duration::from_secs(5)) {
        Ok(outcome) => outcome,
        Err(_) => Outcome::fail(
            format!("an end within {timeout:?}"),
            "the case was still waiting; abandoned",
        ),
    }
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
