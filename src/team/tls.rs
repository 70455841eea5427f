//! TLS to the team journal with rustls (no OpenSSL, no system libraries), by libpq's
//! `sslmode`:
//!
//! - `disable`: never; `prefer` (the default): TLS when the server offers it, the
//!   certificate not checked (as libpq); `require`: TLS or nothing, the certificate checked
//!   against `sslrootcert` when one is given (as libpq does when the root file exists);
//! - `verify-ca`: the chain checked against `sslrootcert` (or `~/.postgresql/root.crt`, else
//!   the system's roots); `verify-full`: that and the host name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;

use super::settings::{Settings, SslMode};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The root certificates to check the server against: `sslrootcert`, else libpq's
/// `~/.postgresql/root.crt`, else the system's.
fn roots(settings: &Settings) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    let file: Option<PathBuf> = settings.sslrootcert.clone().or_else(|| {
        directories::BaseDirs::new()
            .map(|dirs| dirs.home_dir().join(".postgresql/root.crt"))
            .filter(|path| path.exists())
    });
    match file {
        Some(path) if path.as_os_str() == "system" => add_system(&mut store),
        Some(path) => add_file(&mut store, &path)?,
        None => add_system(&mut store),
    }
    if store.is_empty() {
        anyhow::bail!("no root certificate to check the database server's certificate against");
    }
    Ok(store)
}

fn add_file(store: &mut RootCertStore, path: &Path) -> Result<()> {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("could not read sslrootcert {}", path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("sslrootcert {} is not PEM certificates", path.display()))?;
    for certificate in certificates {
        store.add(certificate).with_context(|| {
            format!(
                "sslrootcert {} holds an unusable certificate",
                path.display()
            )
        })?;
    }
    Ok(())
}

fn add_system(store: &mut RootCertStore) {
    let found = rustls_native_certs::load_native_certs();
    for certificate in found.certs {
        let _ = store.add(certificate);
    }
}

/// The rustls configuration for the settings' `sslmode`; `None` for `disable`.
pub fn client_config(settings: &Settings) -> Result<Option<ClientConfig>> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?;
    let verify_roots = match settings.sslmode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer => None,
        SslMode::Require if settings.sslrootcert.is_none() => None,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Some(roots(settings)?),
    };
    let chain = verify_roots
        .map(|roots| {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .context("TLS set-up")
        })
        .transpose()?;
    let config = match chain {
        Some(webpki) if settings.sslmode == SslMode::VerifyFull => {
            builder.with_webpki_verifier(webpki).with_no_client_auth()
        }
        chain => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Relaxed {
                provider: provider(),
                chain,
            }))
            .with_no_client_auth(),
    };
    Ok(Some(config))
}

/// Every mode but `verify-full`. Without a chain (`prefer`, and `require` without a root
/// file): encrypted, the certificate not checked. With one (`verify-ca`, and `require` with
/// a root file): the chain must lead to a trusted root; the name is not checked. The
/// handshake's signatures are checked either way, with the provider's algorithms (as
/// [`WebPkiServerVerifier`] checks them).
#[derive(Debug)]
struct Relaxed {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
