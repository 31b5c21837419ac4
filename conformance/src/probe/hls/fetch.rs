//! HTTP GETs for the HLS checker: one blocking client, a timeout per request, and bodies read
//! up to a limit (a hostile server cannot make the checker hold more).

use std::io::Read;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::{Client, ClientBuilder};

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
    /// The body was longer than the limit and was cut there.
    pub cut: bool,
}

pub struct Http {
    client: Client,
}

impl Http {
    pub fn new(timeout: Duration) -> Result<Http, String> {
        Ok(Http {
            client: client(timeout, Client::builder())?,
        })
    }

    /// GETs `url`; `Err` when no HTTP answer came (connection, timeout).
    pub fn get(&self, url: &Url, limit: usize) -> Result<Fetched, String> {
        let response = self
            .client
            .get(url.clone())
            .send()
            .map_err(|e| format!("GET {url}: {}", chain(&e)))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        response
            .take(limit as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("GET {url}: reading the body: {e}"))?;
        let cut = body.len() > limit;
        body.truncate(limit);
        Ok(Fetched { status, body, cut })
    }
}

/// A probe's `http://` URL: `https://` is refused, since this HTTP client has no TLS.
pub(crate) fn plain_http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text}: {e}"))?;
    if url.scheme() == "https" {
        return Err(format!(
            "{text}: https is not supported (this build's HTTP client has no TLS)"
        ));
    }
    Ok(url)
}

/// The probes' HTTP client: `builder` with a timeout per request and weir's user agent.
pub(crate) fn client(timeout: Duration, builder: ClientBuilder) -> Result<Client, String> {
    builder
        .timeout(timeout)
        .user_agent(concat!("weir-probe/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))
}

/// An error with its causes, as one line.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
