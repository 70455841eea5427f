//! A TLS server whose certificate the system does not trust, as a company proxy that inspects
//! TLS presents: a private CA (`tests/cli/fixtures/tls`) signed its certificate for 127.0.0.1.
//! It counts TCP connections, so that a test can tell how often the client tried, and answers
//! the token and billing-contact requests like the portal.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{contacts_body, envelope, token_result, ACCESS_1, REFRESH_1};

pub struct UntrustedTls {
    pub url: String,
    connections: Arc<AtomicUsize>,
}

impl UntrustedTls {
    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// The PEM file of the CA that signed the server's certificate.
pub fn ca_file() -> PathBuf {
    fixtures().join("ca.pem")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/tls")
}

pub fn start() -> UntrustedTls {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixtures().join("server.pem"))
            .expect("server.pem")
            .collect::<Result<_, _>>()
            .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(fixtures().join("server.key")).expect("server.key");
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                // A client that does not trust the certificate aborts the handshake here.
                let _ = serve(rustls::StreamOwned::new(connection, stream));
            });
        }
    });
    UntrustedTls { url, connections }
}

/// One request, one answer, then the connection is closed.
fn serve(
    stream: rustls::StreamOwned<rustls::ServerConnection, std::net::TcpStream>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    let answer = if path.starts_with(super::TOKEN_PATH) {
        envelope(token_result(ACCESS_1, REFRESH_1, "1800")).to_string()
    } else if path.starts_with(super::CONTACTS_PATH) {
        contacts_body()
    } else {
        r#"{"code":"not_found","detailMessage":"no such path","result":null}"#.to_owned()
    };
    let status = if answer.contains("not_found") {
        "404 Not Found"
    } else {
        "200 OK"
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )?;
    stream.conn.send_close_notify();
    stream.flush()
}
