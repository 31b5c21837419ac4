//! HTTP callbacks against a small local hook server that records what it receives and answers
//! as the path says: `/zero` 200 `0`, `/code0` 200 `{"code":0}`, `/code1` 200 `{"code":1}`,
//! `/forbidden` 403, `/empty` 200 with no body, `/redirect` 302, `/hang` never.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use weir_server::config::HooksConfig;
use weir_server::hooks::{HookContext, HookDenied, HookEvent, Hooks, Refusal};

#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: Option<String>,
    body: Value,
}

type Log = Arc<Mutex<Vec<Received>>>;

async fn answer(
    State(log): State<Log>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    log.lock().unwrap().push(Received {
        path: path.clone(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned()),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    match path.as_str() {
        "zero" => "0".into_response(),
        "code0" => r#"{"code":0,"data":null}"#.into_response(),
        "code1" => r#"{"code":1}"#.into_response(),
        "forward" => r#"{"code":0,"data":{"urls":["rtmp://a:1935/live/x","rtmp://b/live/y"]}}"#
            .into_response(),
        "forbidden" => (StatusCode::FORBIDDEN, "go away").into_response(),
        "empty" => StatusCode::OK.into_response(),
        "redirect" => (StatusCode::FOUND, [(header::LOCATION, "/zero")]).into_response(),
        "hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            "0".into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the hook server on a free port.
async fn hook_server() -> (SocketAddr, Log) {
    let log = Log::default();
    let app = Router::new()
        .route("/{path}", post(answer))
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, log)
}

fn config(addr: SocketAddr, event: HookEvent, paths: &[&str]) -> HooksConfig {
    let urls: Vec<String> = paths.iter().map(|p| format!("http://{addr}/{p}")).collect();
    let mut config = HooksConfig {
        enabled: true,
        timeout: Duration::from_millis(300),
        ..HooksConfig::default()
    };
    *match event {
        HookEvent::Connect => &mut config.on_connect,
        HookEvent::Publish => &mut config.on_publish,
        HookEvent::Unpublish => &mut config.on_unpublish,
        HookEvent::Play => &mut config.on_play,
        HookEvent::Stop => &mut config.on_stop,
        HookEvent::Close => &mut config.on_close,
        HookEvent::Hls => &mut config.on_hls,
        HookEvent::Dvr => &mut config.on_dvr,
        HookEvent::Forward => unreachable!("the forward backend is [forward] backend"),
    } = urls;
    config
}

fn context() -> HookContext {
    HookContext {
        client_id: "k3j5h2l1".into(),
        ip: "::ffff:192.168.1.10".parse().unwrap(),
        vhost: "__defaultVhost__".into(),
        app: "live".into(),
        tc_url: "rtmp://127.0.0.1:1935/live".into(),
        page_url: "http://www.example.com/player.html".into(),
        stream: "livestream".into(),
        param: "?token=abc&salt=xyz".into(),
        stream_id: "vid-0x9a7b2".into(),
        send_bytes: 4321,
        recv_bytes: 1234567,
        hls: Some(weir_server::hooks::HlsSegment {
            duration: 2.04,
            cwd: "/usr/local/weir".into(),
            file: "./objs/nginx/html/live/livestream-12.ts".into(),
            url: "live/livestream-12.ts".into(),
            m3u8: "./objs/nginx/html/live/livestream.m3u8".into(),
            m3u8_url: "live/livestream.m3u8".into(),
            seq_no: 12,
        }),
        dvr: Some(weir_server::hooks::DvrFile {
            cwd: "/usr/local/weir".into(),
            file: "./objs/nginx/html/live/livestream.1420254068776.flv".into(),
        }),
    }
}

fn hooks() -> Hooks {
    Hooks::new("vid-server1".into(), "svc12345".into())
}

async fn publish(paths: &[&str]) -> (Result<(), HookDenied>, Vec<Received>) {
    let (addr, log) = hook_server().await;
    let result = hooks()
        .authorize(
            &config(addr, HookEvent::Publish, paths),
            HookEvent::Publish,
            &context(),
        )
        .await;
    let received = log.lock().unwrap().clone();
    (result, received)
}

fn reason(result: Result<(), HookDenied>) -> Refusal {
    result.unwrap_err().reason
}

#[tokio::test]
async fn zero_and_code_zero_allow() {
    let (result, received) = publish(&["zero"]).await;
    assert_eq!(result, Ok(()));
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].content_type.as_deref(),
        Some("application/json")
    );
    assert_eq!(received[0].body["action"], "on_publish");
    assert_eq!(publish(&["code0"]).await.0, Ok(()));
}

#[tokio::test]
async fn anything_else_denies() {
    assert_eq!(reason(publish(&["code1"]).await.0), Refusal::Code(1));
    assert_eq!(
        reason(publish(&["forbidden"]).await.0),
        Refusal::Status {
            status: 403,
            body: "go away".into()
        }
    );
    assert_eq!(
        reason(publish(&["empty"]).await.0),
        Refusal::Answer(String::new())
    );
    assert_eq!(
        reason(publish(&["redirect"]).await.0),
        Refusal::Status {
            status: 302,
            body: String::new()
        },
        "redirects are not followed"
    );
    assert_eq!(
        reason(publish(&["nowhere"]).await.0),
        Refusal::Status {
            status: 404,
            body: String::new()
        }
    );
}

#[tokio::test]
async fn a_hang_denies_at_the_timeout() {
    let started = Instant::now();
    let (result, received) = publish(&["hang"]).await;
    let elapsed = started.elapsed();
    let denied = result.unwrap_err();
    assert_eq!(denied.reason, Refusal::Timeout(Duration::from_millis(300)));
    assert_eq!(
        denied.to_string(),
        "on_publish callback denied: no answer within 300ms"
    );
    assert_eq!(received.len(), 1, "the request did arrive");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
}

#[tokio::test]
async fn an_unreachable_hook_denies() {
    // A port that was free a moment ago: nothing listens there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let result = hooks()
        .authorize(
            &config(addr, HookEvent::Play, &["x"]),
            HookEvent::Play,
            &context(),
        )
        .await;
    let denied = result.unwrap_err();
    assert_eq!(denied.url, format!("http://{addr}/x"));
    assert!(matches!(denied.reason, Refusal::Failed(_)), "{denied}");
    let shown = denied.to_string();
    assert!(
        shown.starts_with("on_play callback denied: request failed: "),
        "{shown}"
    );
    assert!(shown.contains("Connection refused"), "{shown}");
    assert!(
        !shown.contains(&addr.to_string()),
        "the URL stays out: {shown}"
    );
}

#[tokio::test]
async fn every_url_must_allow_and_they_are_asked_in_order() {
    let (result, received) = publish(&["zero", "code0", "zero"]).await;
    assert_eq!(result, Ok(()));
    let paths: Vec<_> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["zero", "code0", "zero"]);

    let (result, received) = publish(&["zero", "code1", "zero"]).await;
    let denied = result.unwrap_err();
    assert!(denied.url.ends_with("/code1"), "{}", denied.url);
    assert_eq!(received.len(), 2, "the URL after the denial is not asked");
}

#[tokio::test]
async fn disabled_or_unconfigured_allows_without_asking() {
    let (addr, log) = hook_server().await;
    let mut disabled = config(addr, HookEvent::Play, &["code1"]);
    disabled.enabled = false;
    let hooks = hooks();
    assert_eq!(
        hooks
            .authorize(&disabled, HookEvent::Play, &context())
            .await,
        Ok(())
    );
    let other_event = config(addr, HookEvent::Publish, &["code1"]);
    assert_eq!(
        hooks
            .authorize(&other_event, HookEvent::Play, &context())
            .await,
        Ok(())
    );
    assert!(log.lock().unwrap().is_empty());
    assert_eq!(hooks.stats().event(HookEvent::Play).count, 0);
}

#[tokio::test]
async fn notify_does_not_wait_for_the_answer() {
    let (addr, log) = hook_server().await;
    let hooks = hooks();
    let config = config(addr, HookEvent::Stop, &["hang", "zero"]);
    let started = Instant::now();
    hooks.notify(&config, HookEvent::Stop, context());
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "notify returned at once"
    );
    tokio::time::timeout(Duration::from_secs(5), hooks.idle())
        .await
        .expect("the notification settles after its timeout");
    let paths: Vec<_> = log.lock().unwrap().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["hang", "zero"],
        "a failing URL does not stop the next"
    );
    let stats = hooks.stats().event(HookEvent::Stop);
    assert_eq!((stats.count, stats.failures), (2, 1));
    assert!(stats.sum_seconds >= 0.3, "{stats:?}");
}

#[tokio::test]
async fn stats_count_requests_and_failures_per_event() {
    let (addr, _log) = hook_server().await;
    let hooks = hooks();
    let ctx = context();
    let connect = config(addr, HookEvent::Connect, &["zero", "code0"]);
    let play = config(addr, HookEvent::Play, &["forbidden"]);
    hooks
        .authorize(&connect, HookEvent::Connect, &ctx)
        .await
        .unwrap();
    hooks
        .authorize(&connect, HookEvent::Connect, &ctx)
        .await
        .unwrap();
    hooks
        .authorize(&play, HookEvent::Play, &ctx)
        .await
        .unwrap_err();
    let stats = hooks.stats();
    assert_eq!(stats.event(HookEvent::Connect).count, 4);
    assert_eq!(stats.event(HookEvent::Connect).failures, 0);
    assert!(stats.event(HookEvent::Connect).sum_seconds > 0.0);
    assert_eq!(stats.event(HookEvent::Play).count, 1);
    assert_eq!(stats.event(HookEvent::Play).failures, 1);
    assert_eq!(stats.event(HookEvent::Publish).count, 0);
    let mut metrics = String::new();
    hooks.render_metrics(&mut metrics);
    assert!(metrics.contains("weir_hook_duration_seconds_count{action=\"on_connect\"} 4\n"));
    assert!(metrics.contains("weir_hook_failures_total{action=\"on_play\"} 1\n"));
}

/// The bodies, event by event, with SRS's field names and field sets.
#[tokio::test]
async fn bodies_match_srs() {
    let (addr, log) = hook_server().await;
    let hooks = hooks();
    for event in HookEvent::ALL {
        if event == HookEvent::Forward {
            let urls = hooks
                .forward_targets(
                    &format!("http://{addr}/forward"),
                    &context(),
                    Duration::from_secs(1),
                )
                .await
                .unwrap();
            assert_eq!(urls, ["rtmp://a:1935/live/x", "rtmp://b/live/y"]);
            continue;
        }
        hooks
            .authorize(&config(addr, event, &["zero"]), event, &context())
            .await
            .unwrap();
    }
    let (forward, bodies): (Vec<Value>, Vec<Value>) = log
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.body.clone())
        .partition(|b| b["action"] == "on_forward");
    // SRS's on_forward body: the publisher's connection and stream.
    let forward = &forward[0];
    for (field, value) in [
        ("vhost", "__defaultVhost__"),
        ("app", "live"),
        ("stream", "livestream"),
        ("tcUrl", "rtmp://127.0.0.1:1935/live"),
        ("param", "?token=abc&salt=xyz"),
        ("ip", "192.168.1.10"),
    ] {
        assert_eq!(forward[field], value, "{field}: {forward:#}");
    }
    // The IPv4-mapped peer is reported as IPv4, as SRS would see it.
    assert!(bodies.iter().all(|b| b["ip"] == "192.168.1.10"));
    assert!(bodies.iter().all(|b| b["server_id"] == "vid-server1"));
    insta::assert_json_snapshot!(bodies, {
        "[].client_id" => "[client_id]",
        "[].ip" => "[ip]",
        "[].server_id" => "[server_id]",
    }, @r#"
    [
      {
        "action": "on_connect",
        "app": "live",
        "client_id": "[client_id]",
        "ip": "[ip]",
        "pageUrl": "http://www.example.com/player.html",
        "param": "?token=abc&salt=xyz",
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "stream": "livestream",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "vhost": "__defaultVhost__"
      },
      {
        "action": "on_publish",
        "app": "live",
        "client_id": "[client_id]",
        "ip": "[ip]",
        "param": "?token=abc&salt=xyz",
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "stream": "livestream",
        "stream_id": "vid-0x9a7b2",
        "stream_url": "/live/livestream",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "vhost": "__defaultVhost__"
      },
      {
        "action": "on_unpublish",
        "app": "live",
        "client_id": "[client_id]",
        "ip": "[ip]",
        "param": "?token=abc&salt=xyz",
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "stream": "livestream",
        "stream_id": "vid-0x9a7b2",
        "stream_url": "/live/livestream",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "vhost": "__defaultVhost__"
      },
      {
        "action": "on_play",
        "app": "live",
        "client_id": "[client_id]",
        "ip": "[ip]",
        "pageUrl": "http://www.example.com/player.html",
        "param": "?token=abc&salt=xyz",
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "stream": "livestream",
        "stream_id": "vid-0x9a7b2",
        "stream_url": "/live/livestream",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "vhost": "__defaultVhost__"
      },
      {
        "action": "on_stop",
        "app": "live",
        "client_id": "[client_id]",
        "ip": "[ip]",
        "param": "?token=abc&salt=xyz",
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "stream": "livestream",
        "stream_id": "vid-0x9a7b2",
        "stream_url": "/live/livestream",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "vhost": "__defaultVhost__"
      },
      {
        "action": "on_close",
        "app": "live",
        "client_id": "[client_id]",
        "ip": "[ip]",
        "recv_bytes": 1234567,
        "send_bytes": 4321,
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "vhost": "__defaultVhost__"
      },
      {
        "action": "on_hls",
        "app": "live",
        "client_id": "[client_id]",
        "cwd": "/usr/local/weir",
        "duration": 2.04,
        "file": "./objs/nginx/html/live/livestream-12.ts",
        "ip": "[ip]",
        "m3u8": "./objs/nginx/html/live/livestream.m3u8",
        "m3u8_url": "live/livestream.m3u8",
        "param": "?token=abc&salt=xyz",
        "seq_no": 12,
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "stream": "livestream",
        "stream_id": "vid-0x9a7b2",
        "stream_url": "/live/livestream",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "url": "live/livestream-12.ts",
        "vhost": "__defaultVhost__"
      },
      {
        "action": "on_dvr",
        "app": "live",
        "client_id": "[client_id]",
        "cwd": "/usr/local/weir",
        "file": "./objs/nginx/html/live/livestream.1420254068776.flv",
        "ip": "[ip]",
        "param": "?token=abc&salt=xyz",
        "server_id": "[server_id]",
        "service_id": "svc12345",
        "stream": "livestream",
        "stream_id": "vid-0x9a7b2",
        "stream_url": "/live/livestream",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "vhost": "__defaultVhost__"
      }
    ]
    "#);
}
