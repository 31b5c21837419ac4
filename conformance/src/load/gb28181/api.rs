//! The registration a device makes before it streams: SRS's `POST /gb/v1/publish/` with
//! `{"id", "ssrc"}`, which an external SIP server calls once a camera has agreed to send and
//! which answers where to send (`{"code": 0, "port", "is_tcp"}`) or why not
//! (`{"code": N, "desc"}`).

use reqwest::Url;

/// Where the server wants a device's RTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The media port (TCP, and UDP on the same number).
    pub port: u16,
    /// Whether the server asked for TCP (RFC 4571 framing).
    pub is_tcp: bool,
}

/// The API's publish endpoint under `api` (`http://host:port`).
pub fn endpoint(api: &str) -> Result<Url, String> {
    let base = Url::parse(api).map_err(|e| format!("--api {api}: {e}"))?;
    if base.host_str().is_none() {
        return Err(format!("--api {api}: no host"));
    }
    base.join("/gb/v1/publish/")
        .map_err(|e| format!("--api {api}: {e}"))
}

/// `api` as reports show it: a password in it (`http://user:password@host:port`, the API's
/// basic authentication, which reqwest sends from the URL) replaced by `***`.
pub fn shown(api: &str) -> String {
    match Url::parse(api) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.as_str().trim_end_matches('/').to_owned()
        }
        _ => api.to_owned(),
    }
}

/// Registers device `id` with `ssrc` (sent as a decimal string, as SRS takes it).
pub async fn register(
    client: &reqwest::Client,
    endpoint: &Url,
    id: &str,
    ssrc: u32,
) -> Result<Registered, String> {
    let body = serde_json::json!({ "id": id, "ssrc": ssrc.to_string() });
    let response = client
        .post(endpoint.clone())
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("register {id}: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("register {id}: {e}"))?;
    answer(&text).map_err(|e| format!("register {id}: HTTP {status}: {e}"))
}

/// Reads the API's answer.
pub fn answer(text: &str) -> Result<Registered, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e}): {text:.200}"))?;
    match json["code"].as_i64() {
        Some(0) => {}
        Some(code) => {
            let desc = json["desc"].as_str().unwrap_or("no desc");
            return Err(format!("code {code}: {desc}"));
        }
        None => return Err(format!("no code: {text:.200}")),
    }
    let port = json["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("no port: {text:.200}"))?;
    Ok(Registered {
        port,
        is_tcp: json["is_tcp"].as_bool().unwrap_or(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_hide_the_password() {
        assert_eq!(
            shown("http://u:secret@127.0.0.1:1985"),
            "http://u:***@127.0.0.1:1985"
        );
        assert_eq!(shown("http://127.0.0.1:1985"), "http://127.0.0.1:1985");
        assert!(
            endpoint("http://u:p@h:1")
                .unwrap()
                .as_str()
                .starts_with("http://u:p@h:1/gb/")
        );
    }

    #[test]
    fn reads_srs_answers_and_errors() {
        assert_eq!(
            answer(r#"{"code":0,"port":9000,"is_tcp":true}"#),
            Ok(Registered {
                port: 9000,
                is_tcp: true
            })
        );
        assert_eq!(
            answer(r#"{"code":0,"port":9000,"is_tcp":false}"#).map(|r| r.is_tcp),
            Ok(false)
        );
        assert_eq!(
            answer(r#"{"code":1028,"desc":"stream busy"}"#),
            Err("code 1028: stream busy".into())
        );
        assert!(answer(r#"{"code":0}"#).unwrap_err().starts_with("no port"));
        assert!(answer("<html>").unwrap_err().starts_with("not JSON"));
        assert_eq!(
            endpoint("http://127.0.0.1:1985").unwrap().as_str(),
            "http://127.0.0.1:1985/gb/v1/publish/"
        );
    }
}
