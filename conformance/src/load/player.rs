//! A player: connects, plays the stream live, and counts what arrives until the run ends or
//! the connection fails. It keeps no timer: the report finds it stalled from its counters.

use super::Target;
use super::link::Link;
use super::stats::{PlayerState, Shared};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use weir_rtmp::session::{ClientEvent, StreamData};

/// play's start argument: live if the stream is live, else recorded (FFmpeg's default).
const LIVE_OR_RECORDED: f64 = -2.0;

/// Plays until an error, which is counted (with the first one's text) before returning.
pub(super) async fn play(target: Arc<Target>, index: usize, shared: Arc<Shared>) {
    if let Err(e) = run(&target, index, &shared).await {
        if let Some(slot) = shared.players.get(index) {
            slot.set_state(PlayerState::Failed);
        }
        shared.errors.note(|| format!("player {index}: {e}"));
    }
}

async fn run(target: &Target, index: usize, shared: &Arc<Shared>) -> Result<(), String> {
    let slot = shared
        .players
        .get(index)
        .ok_or_else(|| format!("no slot for player {index}"))?;
    let mut link = Link::open(target, index as u64, shared.clone()).await?;
    link.session
        .play(&target.stream, LIVE_OR_RECORDED)
        .map_err(|e| e.to_string())?;
    loop {
        let mut media = 0;
        link.flush(|event| {
            match event {
                ClientEvent::Data {
                    data: StreamData::Media(_) | StreamData::Unreadable { .. },
                    ..
                } => media += 1,
                ClientEvent::Playing { .. } => slot.set_state(PlayerState::Playing),
                ClientEvent::Status { status, .. } if status.is_error() => {
                    return Err(format!("{}: {}", status.code, status.description));
                }
                ClientEvent::ConnectRejected(status) => {
                    return Err(format!(
                        "connect rejected: {}: {}",
                        status.code, status.description
                    ));
                }
                _ => {}
            }
            Ok(())
        })
        .await?;
        if media > 0 {
            slot.media.fetch_add(media, Relaxed);
        }
        let n = link.receive().await?;
        slot.bytes.fetch_add(n as u64, Relaxed);
    }
}
