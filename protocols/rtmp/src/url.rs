//! An `rtmp://host[:port]/app/stream` URL split the way FFmpeg splits it (the application is
//! the path up to the last `/`, the stream name the last segment, with any `?query`): where a
//! client connects and what it says in connect, play and publish (`weir load`, `weir probe`,
//! `weir replay`, and the server's forward).

/// Where to connect and what to say in connect, play and publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtmpUrl {
    /// `host:port`, as `TcpStream::connect` takes it (IPv6 hosts in brackets).
    pub addr: String,
    /// The application, e.g. `live` (may hold `/`, e.g. `live/inst`).
    pub app: String,
    /// The stream name, with its `?query` if any.
    pub stream: String,
    /// `rtmp://host:port/app`, the connect command's tcUrl.
    pub tc_url: String,
}

/// The port RTMP uses when the URL names none (RTMP 1.0 §1).
const DEFAULT_PORT: u16 = 1935;

impl RtmpUrl {
    /// Splits `url`; the error says what is wrong with it and what was expected.
    pub fn parse(url: &str) -> Result<RtmpUrl, String> {
        let bad = |why: &str| format!("{url}: {why} (expected rtmp://host[:port]/app/stream)");
        let rest = url
            .strip_prefix("rtmp://")
            .ok_or_else(|| bad("not an rtmp:// URL"))?;
        let (authority, path) = rest.split_once('/').ok_or_else(|| bad("no path"))?;
        let (host, port) = split_port(authority).ok_or_else(|| bad("bad host or port"))?;
        // The query belongs to the stream name, whatever slashes it holds; unless no slash
        // comes before it: then it is the application's (`app?vhost=v/stream`, the form SRS
        // documents for naming a vhost to a server reached by address), up to the next slash.
        let (path, query) = match path.split_once('?') {
            Some((before, after)) if !before.contains('/') => match after.split_once('/') {
                Some((app_query, rest)) => {
                    let app = &path[..before.len() + 1 + app_query.len()];
                    match rest.split_once('?') {
                        Some((name, query)) => ((app, name), Some(query)),
                        None => ((app, rest), None),
                    }
                }
                None => return Err(bad("no stream name after the application")),
            },
            Some((path, query)) => (
                path.rsplit_once('/')
                    .ok_or_else(|| bad("no stream name after the application"))?,
                Some(query),
            ),
            None => (
                path.rsplit_once('/')
                    .ok_or_else(|| bad("no stream name after the application"))?,
                None,
            ),
        };
        let (app, name) = path;
        if app.is_empty() || name.is_empty() {
            return Err(bad("empty application or stream name"));
        }
        let stream = match query {
            Some(query) => format!("{name}?{query}"),
            None => name.to_owned(),
        };
        Ok(RtmpUrl {
            addr: format!("{host}:{port}"),
            app: app.to_owned(),
            stream,
            tc_url: format!("rtmp://{host}:{port}/{app}"),
        })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` -> (host as written, port).
fn split_port(authority: &str) -> Option<(&str, u16)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, after) = authority.split_at(end + 1);
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) => port.parse().ok().filter(|&p| p != 0)?,
        None => DEFAULT_PORT,
    };
    (!host.is_empty()).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_before_any_slash_is_the_applications() {
        let t = RtmpUrl::parse("rtmp://10.0.0.1/live?vhost=v.example/cam").unwrap();
        assert_eq!(
            (t.app.as_str(), t.stream.as_str()),
            ("live?vhost=v.example", "cam")
        );
        assert_eq!(t.tc_url, "rtmp://10.0.0.1:1935/live?vhost=v.example");
        let t = RtmpUrl::parse("rtmp://h/live?vhost=v/cam?token=a/b").unwrap();
        assert_eq!(
            (t.app.as_str(), t.stream.as_str()),
            ("live?vhost=v", "cam?token=a/b")
        );
        let t = RtmpUrl::parse("rtmp://h/live/cam?token=a/b").unwrap();
        assert_eq!(
            (t.app.as_str(), t.stream.as_str()),
            ("live", "cam?token=a/b")
        );
        assert!(RtmpUrl::parse("rtmp://h/live?vhost=v").is_err());
        assert!(RtmpUrl::parse("rtmp://h/live?vhost=v/").is_err());
    }

    #[test]
    fn splits_host_port_app_and_stream() {
        let t = RtmpUrl::parse("rtmp://127.0.0.1:19350/live/test").unwrap();
        assert_eq!(t.addr, "127.0.0.1:19350");
        assert_eq!(t.app, "live");
        assert_eq!(t.stream, "test");
        assert_eq!(t.tc_url, "rtmp://127.0.0.1:19350/live");
    }

    #[test]
    fn defaults_the_port_and_keeps_nested_apps_and_queries() {
        let t = RtmpUrl::parse("rtmp://example.org/live/inst/cam?key=a/b").unwrap();
        assert_eq!(t.addr, "example.org:1935");
        assert_eq!(t.app, "live/inst");
        assert_eq!(t.stream, "cam?key=a/b");
        assert_eq!(t.tc_url, "rtmp://example.org:1935/live/inst");
        let v6 = RtmpUrl::parse("rtmp://[::1]:1936/a/b").unwrap();
        assert_eq!((v6.addr.as_str(), v6.app.as_str()), ("[::1]:1936", "a"));
        assert_eq!(
            RtmpUrl::parse("rtmp://[::1]/a/b").unwrap().addr,
            "[::1]:1935"
        );
    }

    #[test]
    fn refuses_what_names_no_stream() {
        for url in [
            "http://h/a/b",
            "rtmp://h",
            "rtmp://h/live",
            "rtmp://h/live/",
            "rtmp://h:0/a/b",
            "rtmp://h:x/a/b",
            "rtmp://:1935/a/b",
            "rtmp://[::1/a/b",
        ] {
            let err = RtmpUrl::parse(url).unwrap_err();
            assert!(
                err.starts_with(url) && err.contains("expected rtmp://"),
                "{err}"
            );
        }
    }
}
