//! Forward (`[forward]`, SRS's `forward`): a stream FFmpeg publishes to one `weir serve` is also
//! published to other RTMP servers — a second `weir serve`, nginx-rtmp, and what SRS's dynamic
//! `backend` answers — and plays there; a destination that drops the forward gets it back.

mod support;

use std::io::{Read, Write};
use std::time::Duration;
use support::{Nginx, Weir, codecs, eventually, ffmpeg_publish, ffprobe_streams, finish};

#[test]
fn a_stream_is_forwarded_to_a_second_weir_and_to_nginx_rtmp() {
    let second = Weir::start(&[]);
    let nginx = Nginx::start();
    let destinations = format!(
        "forward.destinations=127.0.0.1:{},rtmp://127.0.0.1:{}/live/[stream]-copy",
        second.rtmp, nginx.port
    );
    let first = Weir::start(&["forward.enabled=true", &destinations]);
    let publisher = ffmpeg_publish(&first.rtmp_url("fw"), 12);
    second.wait_for_stream("fw", Duration::from_secs(15));
    assert_eq!(
        codecs(&ffprobe_streams(&second.flv_url("fw"))),
        ["aac", "h264"]
    );
    assert_eq!(
        codecs(&ffprobe_streams(&nginx.url("fw-copy"))),
        ["aac", "h264"],
        "{}",
        first.log()
    );
    // The second server sees the forward as an RTMP publisher; the first lists no client for it.
    let forwarder = second
        .client_of_type("fmle-publish")
        .expect("the forward is a publisher there");
    assert_eq!(forwarder["url"], "/live/fw", "{forwarder:#}");
    assert_eq!(
        first
            .client_of_type("fmle-publish")
            .map(|c| c["url"].clone()),
        Some("/live/fw".into())
    );
    // A destination that drops the forward gets it back (a second later, from a keyframe).
    let id = forwarder["id"].as_str().unwrap().to_owned();
    assert!(second.kick(&id));
    eventually(
        "the forward back on the second server",
        Duration::from_secs(10),
        || {
            second
                .client_of_type("fmle-publish")
                .is_some_and(|c| c["id"] != id.as_str())
        },
    );
    assert_eq!(
        codecs(&ffprobe_streams(&second.flv_url("fw"))),
        ["aac", "h264"]
    );
    let (ok, _, stderr) = finish(publisher, Duration::from_secs(30));
    assert!(ok, "{stderr}");
    // The publisher gone, the forward ends with it.
    eventually("the forward unpublished", Duration::from_secs(10), || {
        second.client_of_type("fmle-publish").is_none()
    });
    assert!(first.log().contains("forward lost"), "{}", first.log());
}

/// A one-request HTTP server on a free port answering SRS's forward backend body with
/// `urls`; the request's body comes back through the channel.
fn backend(urls: &[String]) -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = serde_json::json!({"code": 0, "data": {"urls": urls}}).to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buffer = [0; 4096];
        // Headers, then as many body bytes as Content-Length says.
        loop {
            let n = socket.read(&mut buffer).unwrap();
            request.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= length || n == 0 {
                    let _ = tx.send(body.to_owned());
                    break;
                }
            }
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        );
        socket.write_all(response.as_bytes()).unwrap();
    });
    (port, rx)
}

#[test]
fn the_backend_names_where_a_stream_goes() {
    let second = Weir::start(&[]);
    let (port, body) = backend(&[format!("rtmp://127.0.0.1:{}/live/chosen", second.rtmp)]);
    let backend = format!("forward.backend=http://127.0.0.1:{port}/api/v1/forward");
    let first = Weir::start(&["forward.enabled=true", &backend]);
    let publisher = ffmpeg_publish(&format!("{}?token=abc", first.rtmp_url("dyn")), 8);
    let body: serde_json::Value =
        serde_json::from_str(&body.recv_timeout(Duration::from_secs(15)).unwrap()).unwrap();
    assert_eq!(body["action"], "on_forward", "{body:#}");
    assert_eq!(body["stream"], "dyn", "{body:#}");
    assert_eq!(body["app"], "live", "{body:#}");
    assert_eq!(body["param"], "?token=abc", "{body:#}");
    second.wait_for_stream("chosen", Duration::from_secs(15));
    assert_eq!(
        codecs(&ffprobe_streams(&second.flv_url("chosen"))),
        ["aac", "h264"]
    );
    let _ = finish(publisher, Duration::from_secs(30));
}

#[test]
fn a_destination_that_is_not_an_rtmp_address_is_a_config_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["serve", "--set", "forward.destinations=http://example/live"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("forward.destinations") && stderr.contains("host:port"),
        "{stderr}"
    );
}
