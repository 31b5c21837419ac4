//! The HTTP side of WHIP and WHEP (RFC 9725 §4): one blocking client that sends a request
//! with a body and reads the answer's status, the headers the cases judge and a bounded body.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use reqwest::Certificate;
use reqwest::Method;
use reqwest::Url;
use reqwest::blocking::Client;
use reqwest::header::HeaderMap;

use crate::probe::hls::fetch;

/// The largest answer body read (an SDP answer is a few kilobytes).
const BODY_LIMIT: u64 = 256 * 1024;

/// The SDP media type of offers and answers (RFC 9725 §4.2).
pub const SDP: &str = "application/sdp";
/// The media type of trickle ICE fragments (RFC 8840 §9.1).
pub const SDPFRAG: &str = "application/trickle-ice-sdpfrag";

/// One answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// A header's value as text (the first, when repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type of Content-Type, without parameters, in lower case.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// One line for a verdict: the status and what came with it.
    pub fn summary(&self) -> String {
        let body: String = self.body.chars().take(80).collect();
        let body = body.replace(['\r', '\n'], " ");
        format!("HTTP {} ({body:?})", self.status)
    }
}

/// A request to send.
pub struct Request<'a> {
    pub method: Method,
    pub url: &'a Url,
    pub content_type: Option<&'a str>,
    pub body: String,
    /// `Authorization: Bearer` token (RFC 9725 §4.5).
    pub token: Option<&'a str>,
    pub headers: Vec<(&'static str, String)>,
}

impl<'a> Request<'a> {
    pub fn new(method: Method, url: &'a Url) -> Request<'a> {
        Request {
            method,
            url,
            content_type: None,
            body: String::new(),
            token: None,
            headers: Vec::new(),
        }
    }

    pub fn body(mut self, content_type: &'a str, body: impl Into<String>) -> Self {
        self.content_type = Some(content_type);
        self.body = body.into();
        self
    }

    pub fn token(mut self, token: Option<&'a str>) -> Self {
        self.token = token;
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

pub struct Http {
    client: Client,
}

impl Http {
    /// A client whose requests time out after `timeout`, trusting `roots` for `https://`.
    pub fn new(timeout: Duration, roots: &[Certificate]) -> Result<Http, String> {
        // A redirect is an answer the cases judge, not one to follow.
        let mut builder = Client::builder().redirect(reqwest::redirect::Policy::none());
        for root in roots {
            builder = builder.add_root_certificate(root.clone());
        }
        Ok(Http {
            client: fetch::client(timeout, builder)?,
        })
    }

    /// Sends `request`; `Err` when no HTTP answer came (connection, timeout).
    pub fn send(&self, request: Request) -> Result<Reply, String> {
        let what = format!("{} {}", request.method, request.url);
        let mut builder = self.client.request(request.method, request.url.clone());
        if let Some(content_type) = request.content_type {
            builder = builder
                .header("content-type", content_type)
                .body(request.body);
        }
        if let Some(token) = request.token {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        let response = builder
            .send()
            .map_err(|e| format!("{what}: {}", fetch::chain(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        response
            .take(BODY_LIMIT)
            .read_to_end(&mut body)
            .map_err(|e| format!("{what}: reading the body: {e}"))?;
        Ok(Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// The CA certificates an `https://` endpoint may chain to: the system's (as
/// rustls-native-certs finds them; none is no error) and those of `ca`, a PEM file (`--ca`),
/// which must hold at least one.
pub fn roots(ca: Option<&Path>) -> Result<Vec<Certificate>, String> {
    let system = rustls_native_certs::load_native_certs().certs;
    let mut roots: Vec<Certificate> = system
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
        .collect();
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).map_err(|e| format!("--ca {}: {e}", ca.display()))?;
        let given = Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("--ca {}: {}", ca.display(), fetch::chain(&e)))?;
        if given.is_empty() {
            return Err(format!("--ca {}: no PEM certificate in it", ca.display()));
        }
        roots.extend(given);
    }
    Ok(roots)
}
