//! TLS for the listeners that take it (RTMPS, the HTTP server over HTTPS, the API over HTTPS)
//! and for `https://` callbacks: rustls with the aws-lc-rs provider (the one str0m already
//! builds, so no second crypto library comes in).
//!
//! A listener's [`Tls`] holds its certificate chain and key as a `rustls::ServerConfig` behind
//! a lock: every accepted connection takes the current one ([`Tls::acceptor`]), and
//! [`Tls::reload`] reads the files again and swaps it in, so that new connections get the new
//! certificate while live ones keep the session they negotiated. A reload that fails (a file
//! missing, a key that does not match) keeps the old certificate and says why.
//!
//! [`Certificates`] gathers the listeners' [`Tls`] for the server's context; the SIGHUP reload
//! calls [`Certificates::reload`].

use crate::config::Config;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::TlsAcceptor;

/// Why certificates could not be loaded: each names the config key and the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listener is enabled but its certificate or key is not configured.
    #[error(
        "{key} is not set, and the listener it is for is enabled: name a PEM file (the \
         certificate chain, leaf first, or the private key)"
    )]
    NotConfigured { key: String },
    /// A file could not be read, or holds no PEM item of the kind wanted.
    #[error("{key} = {}: cannot read {what}: {detail}", path.display())]
    File {
        key: String,
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    /// rustls refused the chain and key (a key that does not match the certificate, say).
    #[error("{prefix}cert = {} and {prefix}key = {} do not go together: {detail}", cert.display(), key.display())]
    Mismatch {
        prefix: &'static str,
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
}

/// The provider every TLS config here uses.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A listener's certificate, swappable for new connections (see the [module docs](self)).
pub struct Tls {
    /// The config keys' common start: `rtmps.`, `https.`, `api.https_`.
    prefix: &'static str,
    cert: PathBuf,
    key: PathBuf,
    /// ALPN protocols offered (`http/1.1` for the HTTP servers, none for RTMPS).
    alpn: Vec<Vec<u8>>,
    current: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Reads `cert` (a PEM chain, leaf first) and `key` (a PEM private key: PKCS#8, PKCS#1 or
    /// SEC1) for the listener whose config keys start with `prefix` (`rtmps.`, for errors).
    pub fn load(
        prefix: &'static str,
        cert: &Path,
        key: &Path,
        alpn: &[&[u8]],
    ) -> Result<Tls, Error> {
        for (path, name) in [(cert, "cert"), (key, "key")] {
            if path.as_os_str().is_empty() {
                let key = format!("{prefix}{name}");
                return Err(Error::NotConfigured { key });
            }
        }
        let alpn: Vec<Vec<u8>> = alpn.iter().map(|p| p.to_vec()).collect();
        let config = server_config(prefix, cert, key, &alpn)?;
        Ok(Tls {
            prefix,
            cert: cert.to_owned(),
            key: key.to_owned(),
            alpn,
            current: RwLock::new(config),
        })
    }

    /// Reads the files again and serves what they hold to new connections; on failure the
    /// current certificate stays and the error says why.
    pub fn reload(&self) -> Result<(), Error> {
        self.install(self.read()?);
        Ok(())
    }

    /// What the files hold now, not yet served.
    fn read(&self) -> Result<Arc<ServerConfig>, Error> {
        server_config(self.prefix, &self.cert, &self.key, &self.alpn)
    }

    /// Serves `config` to new connections.
    fn install(&self, config: Arc<ServerConfig>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// An acceptor with the current certificate, for one new connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config())
    }

    /// The current server config.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The server config that `cert` and `key` make now, offering `alpn`.
fn server_config(
    prefix: &'static str,
    cert: &Path,
    key: &Path,
    alpn: &[Vec<u8>],
) -> Result<Arc<ServerConfig>, Error> {
    let file_error = |name: &str, what, path: &Path, detail: String| Error::File {
        key: format!("{prefix}{name}"),
        what,
        path: path.to_owned(),
        detail,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| file_error("cert", "a certificate chain", cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(
            "cert",
            "a certificate chain",
            cert,
            "no CERTIFICATE in it".into(),
        ));
    }
    let private_key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| file_error("key", "a private key", key, e.to_string()))?;
    let mismatch = |detail: String| Error::Mismatch {
        prefix,
        cert: cert.to_owned(),
        key: key.to_owned(),
        detail,
    };
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| mismatch(e.to_string()))?;
    config.alpn_protocols = alpn.to_vec();
    Ok(Arc::new(config))
}

/// The client config of `https://` callbacks: the system's roots (when it has any), and the
/// certificates of `ca` (a PEM file) when it is set.
pub fn client_config(ca: &Path) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    // Certificates the system store holds that rustls cannot use are skipped, as browsers do.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if !ca.as_os_str().is_empty() {
        let file_error = |detail: String| Error::File {
            key: "hooks.ca".into(),
            what: "CA certificates",
            path: ca.to_owned(),
            detail,
        };
        let certs = CertificateDer::pem_file_iter(ca)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| file_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(file_error("no CERTIFICATE in it".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| file_error(e.to_string()))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::File {
            key: "hooks.ca".into(),
            what: "CA certificates",
            path: ca.to_owned(),
            detail: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The listeners' certificates, for the server's context (absent where TLS is off).
#[derive(Default)]
pub struct Certificates {
    /// `[rtmps]`.
    pub rtmps: Option<Arc<Tls>>,
    /// `[https]`: the HTTP server (HTTP-FLV, HTTP-TS, HLS) over TLS.
    pub https: Option<Arc<Tls>>,
    /// `[api]`'s `https_*` keys: the API over TLS.
    pub api: Option<Arc<Tls>>,
}

/// What the HTTP servers offer in ALPN: they speak HTTP/1.1 only.
const HTTP_ALPN: &[&[u8]] = &[b"http/1.1"];

impl Certificates {
    /// Loads the certificate of every TLS listener `config` enables: a clear error when one
    /// is enabled without its files, or they cannot be read.
    pub fn load(config: &Config) -> Result<Certificates, Error> {
        let load =
            |enabled: bool, prefix: &'static str, cert: &Path, key: &Path, alpn: &[&[u8]]| {
                enabled
                    .then(|| Tls::load(prefix, cert, key, alpn).map(Arc::new))
                    .transpose()
            };
        let (rtmps, https, api) = (&config.rtmps, &config.https, &config.api);
        Ok(Certificates {
            rtmps: load(rtmps.enabled, "rtmps.", &rtmps.cert, &rtmps.key, &[])?,
            https: load(https.enabled, "https.", &https.cert, &https.key, HTTP_ALPN)?,
            api: load(
                api.https_enabled,
                "api.https_",
                &api.https_cert,
                &api.https_key,
                HTTP_ALPN,
            )?,
        })
    }

    /// Reloads every listener's certificate from its files (the paths read at start), all or
    /// none: when one pair no longer loads, every listener keeps its certificate and the error
    /// says which pair.
    pub fn reload(&self) -> Result<(), Error> {
        let listeners: Vec<&Arc<Tls>> = [&self.rtmps, &self.https, &self.api]
            .into_iter()
            .flatten()
            .collect();
        let read = listeners
            .iter()
            .map(|tls| tls.read())
            .collect::<Result<Vec<_>, Error>>()?;
        for (tls, config) in listeners.into_iter().zip(read) {
            tls.install(config);
        }
        Ok(())
    }
}
