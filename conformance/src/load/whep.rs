//! A WebRTC player: a WHEP session (draft-ietf-wish-whep §3: the offer POSTed as
//! `application/sdp`, the answer in a `201 Created` whose `Location` is the session's resource,
//! `DELETE` on it at the end) driven by str0m on a UDP socket of its own, counting what it
//! receives in the same counters as the RTMP players ([`Shared`]).
//!
//! str0m is the full-ICE, controlling side here (RFC 8445 §6.1.1: the offerer facing an
//! ICE-lite server), so it sends the connectivity checks and then, with the answer's
//! `a=setup:passive`, the DTLS ClientHello. A player whose offer is refused, or whose ICE and
//! DTLS do not complete within [`CONNECT_TIMEOUT`], is a counted error; so is a session the
//! server stops answering once connected.

use super::stamp;
use super::stats::{PlayerSlot, PlayerState, Shared};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use str0m::change::SdpAnswer;
use str0m::media::{Direction, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::watch;

/// How long the offer, then ICE and DTLS, may take before the player counts as an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the `DELETE` of a session may take at the end of the run.
const DELETE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest answer read: an SDP answer is a few kilobytes; a server sending more is not
/// read further.
const MAX_ANSWER: usize = 64 * 1024;

/// The largest datagram read: the server's packets fit a 1500-byte MTU; a longer one is cut
/// and then fails its SRTP authentication, as it would in a browser.
const DATAGRAM: usize = 2048;

/// The most datagrams one wake reads: a flood on one socket must not keep the other players
/// (on the same thread) waiting.
const READS_PER_WAKE: usize = 64;

/// Where WHEP players play: the endpoint, the address our sockets bind, and one HTTP client
/// (its connections are reused) for every offer and `DELETE`.
#[derive(Debug)]
pub struct WhepTarget {
    pub url: Url,
    /// The address the kernel routes from towards the endpoint's host: each player's socket
    /// binds it (a host candidate needs a concrete address, not 0.0.0.0).
    pub local_ip: IpAddr,
    client: reqwest::Client,
}

impl WhepTarget {
    /// Whether `url` names a WHEP endpoint: `http://` with `/whep` in its path.
    pub fn is_whep(url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| u.scheme() == "http" && u.path().contains("/whep"))
    }

    /// Parses the endpoint and finds the local address towards it (a DNS look-up: call it
    /// before the players start).
    pub fn parse(url: &str) -> Result<WhepTarget, String> {
        let bad = |why: String| format!("{url}: {why}");
        let url = Url::parse(url).map_err(|e| bad(e.to_string()))?;
        if url.scheme() != "http" {
            return Err(bad("only http:// WHEP endpoints are supported".into()));
        }
        let host = url.host_str().ok_or_else(|| bad("no host".into()))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let server = (host, port)
            .to_socket_addrs()
            .map_err(|e| bad(format!("cannot resolve {host}: {e}")))?
            .next()
            .ok_or_else(|| bad(format!("{host} resolves to no address")))?;
        let local_ip = route_from(server).map_err(|e| bad(format!("no route to {server}: {e}")))?;
        let client = reqwest::Client::builder()
            .timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| bad(format!("no HTTP client: {e}")))?;
        Ok(WhepTarget {
            url,
            local_ip,
            client,
        })
    }

    /// The RTMP URL of the same stream on the same host, when the endpoint names it as SRS's
    /// paths do (`?app=APP&stream=NAME`): `rtmp://host/APP/NAME`, on RTMP's default port.
    pub fn rtmp_url(&self) -> Option<String> {
        let query = |key: &str| {
            self.url
                .query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
                .filter(|v| !v.is_empty())
        };
        // An IPv6 host comes in brackets, as an RTMP URL wants it.
        let host = self.url.host_str()?;
        Some(format!(
            "rtmp://{host}/{}/{}",
            query("app")?,
            query("stream")?
        ))
    }
}

/// The local address the kernel would send from to `server` (a connected UDP socket sends
/// nothing).
fn route_from(server: SocketAddr) -> std::io::Result<IpAddr> {
    let any: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = std::net::UdpSocket::bind(any)?;
    socket.connect(server)?;
    Ok(socket.local_addr()?.ip())
}

/// Plays until the run stops (`stop` changes) or an error, which is counted (with the first
/// one's text); then deletes the session's resource if one was made. `stop` is dropped last,
/// so that the run can wait for the `DELETE`s.
pub(super) async fn play(
    target: Arc<WhepTarget>,
    index: usize,
    shared: Arc<Shared>,
    measures: bool,
    mut stop: watch::Receiver<bool>,
) {
    let mut resource = None;
    if let Err(e) = run(&target, index, &shared, measures, &mut stop, &mut resource).await {
        if let Some(slot) = shared.players.get(index) {
            slot.set_state(PlayerState::Failed);
        }
        shared.errors.note(|| format!("player {index}: {e}"));
    }
    if let Some(resource) = resource {
        let delete = target.client.delete(resource).timeout(DELETE_TIMEOUT);
        let _ = delete.send().await;
    }
    drop(stop);
}

async fn run(
    target: &WhepTarget,
    index: usize,
    shared: &Shared,
    measures: bool,
    stop: &mut watch::Receiver<bool>,
    resource: &mut Option<Url>,
) -> Result<(), String> {
    let slot = shared
        .players
        .get(index)
        .ok_or_else(|| format!("no slot for player {index}"))?;
    let socket = UdpSocket::bind((target.local_ip, 0))
        .await
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    let local = socket
        .local_addr()
        .map_err(|e| format!("UDP socket: {e}"))?;
    let mut rtc = RtcConfig::new()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .clear_codecs()
        .enable_h264(true)
        .enable_vp8(true)
        .enable_opus(true, false)
        .build(Instant::now());
    let candidate =
        Candidate::host(local, "udp").map_err(|e| format!("no host candidate {local}: {e}"))?;
    rtc.add_local_candidate(candidate);
    let mut api = rtc.sdp_api();
    api.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
    api.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None);
    let (offer, pending) = api.apply().ok_or("str0m made no offer")?;
    let connect_by = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    let answer = tokio::select! {
        answer = post(target, offer.to_sdp_string(), resource) => answer?,
        _ = stop.changed() => return Ok(()),
    };
    let answer = SdpAnswer::from_sdp_string(&answer)
        .map_err(|e| format!("an answer str0m cannot read: {e}"))?;
    rtc.sdp_api()
        .accept_answer(pending, answer)
        .map_err(|e| format!("an answer str0m refuses: {e}"))?;

    let mut session = Session {
        rtc,
        socket,
        local,
        slot,
        shared,
        measures,
        connected: false,
    };
    let mut wake = session.drain()?;
    let mut buffer = vec![0; DATAGRAM].into_boxed_slice();
    loop {
        let timer = tokio::time::Instant::from_std(wake);
        tokio::select! {
            ready = session.socket.readable() => {
                ready.map_err(|e| format!("UDP: {e}"))?;
                if let Some(at) = session.receive(&mut buffer)? {
                    wake = at;
                }
            }
            _ = tokio::time::sleep_until(timer) => {}
            _ = tokio::time::sleep_until(connect_by), if !session.connected => {
                return Err(format!(
                    "ICE and DTLS did not complete within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ));
            }
            _ = stop.changed() => return Ok(()),
        }
        let now = Instant::now();
        if now >= wake {
            session
                .rtc
                .handle_input(Input::Timeout(now))
                .map_err(|e| format!("str0m: {e}"))?;
            wake = session.drain()?;
        }
        if !session.rtc.is_alive() {
            return Err("the session ended (str0m closed it)".into());
        }
    }
}

/// POSTs the offer; the answer. Anything but `201 Created` with an answer is an error; the
/// `Location` of a created session goes to `resource` (to be deleted at the end).
async fn post(
    target: &WhepTarget,
    offer: String,
    resource: &mut Option<Url>,
) -> Result<String, String> {
    let mut response = target
        .client
        .post(target.url.clone())
        .header(CONTENT_TYPE, "application/sdp")
        .body(offer)
        .send()
        .await
        .map_err(|e| format!("POST the offer: {e}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::CREATED {
        *resource = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| target.url.join(l).ok());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("read the answer: {e}"))?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!(
                "an answer longer than {MAX_ANSWER} bytes ({status})"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    if status != reqwest::StatusCode::CREATED {
        let text: String = body.trim().chars().take(200).collect();
        return Err(format!("the offer was refused: {status}: {text}"));
    }
    Ok(body)
}

/// A connected-or-connecting session: str0m, its socket, and where it counts.
struct Session<'a> {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    slot: &'a PlayerSlot,
    shared: &'a Shared,
    measures: bool,
    connected: bool,
}

impl Session<'_> {
    /// Sends what str0m has to send, counts its media: the time of its next timer.
    fn drain(&mut self) -> Result<Instant, String> {
        let (mut media, mut bytes) = (0, 0);
        let at = loop {
            match self.rtc.poll_output().map_err(|e| format!("str0m: {e}"))? {
                Output::Timeout(at) => break at,
                // UDP: a datagram the kernel cannot take now is lost, as on any network.
                Output::Transmit(t) => drop(self.socket.try_send_to(&t.contents, t.destination)),
                Output::Event(Event::Connected) => {
                    self.connected = true;
                    self.slot.set_state(PlayerState::Playing);
                }
                Output::Event(Event::MediaData(data)) => {
                    media += 1;
                    bytes += data.data.len() as u64;
                    if self.measures
                        && data.params.spec().codec.is_video()
                        && let Some(sent) = stamp::read_annex_b(&data.data)
                    {
                        let delay = stamp::now_us() as i64 - sent as i64;
                        self.shared.delays.record(delay);
                    }
                }
                Output::Event(Event::IceConnectionStateChange(
                    IceConnectionState::Disconnected,
                )) => {
                    return Err("ICE disconnected: the server stopped answering".into());
                }
                Output::Event(_) => {}
            }
        };
        if media > 0 {
            self.slot.media.fetch_add(media, Relaxed);
            self.slot.bytes.fetch_add(bytes, Relaxed);
        }
        Ok(at)
    }

    /// Reads the datagrams waiting (at most [`READS_PER_WAKE`]) and hands them to str0m: the
    /// time of its next timer, if anything was read.
    fn receive(&mut self, buffer: &mut [u8]) -> Result<Option<Instant>, String> {
        let mut wake = None;
        for _ in 0..READS_PER_WAKE {
            let (n, source) = match self.socket.try_recv_from(buffer) {
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(wake),
                // An ICMP error for an earlier datagram of ours: not this socket's end.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(format!("UDP: {e}")),
            };
            let Some(Ok(contents)) = buffer.get(..n).map(TryInto::try_into) else {
                continue;
            };
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: self.local,
                    contents,
                },
            );
            if self.rtc.accepts(&input) {
                self.rtc
                    .handle_input(input)
                    .map_err(|e| format!("str0m: {e}"))?;
                wake = Some(self.drain()?);
            }
        }
        Ok(wake)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_whep_in_their_path_are_whep() {
        assert!(WhepTarget::is_whep(
            "http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=a"
        ));
        assert!(WhepTarget::is_whep("http://h/whep/live"));
        assert!(!WhepTarget::is_whep("rtmp://h/whep/a"));
        assert!(!WhepTarget::is_whep(
            "http://h/rtc/v1/whip/?app=live&stream=a"
        ));
        assert!(!WhepTarget::is_whep("not a url"));
    }

    #[test]
    fn the_rtmp_url_comes_from_app_and_stream() {
        let target =
            WhepTarget::parse("http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=cam%201")
                .unwrap();
        assert_eq!(target.local_ip, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(
            target.rtmp_url().as_deref(),
            Some("rtmp://127.0.0.1/live/cam 1")
        );
        let bare = WhepTarget::parse("http://127.0.0.1/whep/s").unwrap();
        assert_eq!(bare.rtmp_url(), None);
    }

    #[test]
    fn other_schemes_and_hosts_are_refused() {
        let https = WhepTarget::parse("https://127.0.0.1/rtc/v1/whep/").unwrap_err();
        assert!(https.contains("only http://"), "{https}");
        assert!(WhepTarget::parse("http:///whep").is_err());
    }
}
