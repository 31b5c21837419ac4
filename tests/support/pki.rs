//! A test PKI: a CA and a server certificate it signed, made with rcgen, for the tests of
//! `weir serve` over TLS (tests/serve_tls.rs) and of the probe over https (tests/probe_whip.rs).

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use std::path::PathBuf;

/// A CA and a server certificate it signed for 127.0.0.1 and localhost, as PEM files in a
/// directory of the test's own.
pub struct Pki {
    dir: PathBuf,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("weir-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Pki { dir }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    pub fn arg(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }

    /// Makes a new CA (`{prefix}ca.pem`) and a server certificate and key it signed; writes
    /// the server's as `cert.pem` and `key.pem` (replacing what was there); returns the
    /// server certificate's DER.
    pub fn issue(&self, prefix: &str) -> Vec<u8> {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("Weir test CA {prefix}"));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let server = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = server.signed_by(&key, &ca).unwrap();
        std::fs::write(self.path(&format!("{prefix}ca.pem")), ca.pem()).unwrap();
        std::fs::write(self.path("cert.pem"), cert.pem()).unwrap();
        std::fs::write(self.path("key.pem"), key.serialize_pem()).unwrap();
        cert.der().to_vec()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
