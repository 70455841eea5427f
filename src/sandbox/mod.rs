//! The built-in sandbox portal (CLI.md section 7): real HTTP on 127.0.0.1, answered by
//! [`portal::SandboxPortal`], reached through the same client code as the real portal.

pub mod portal;
pub mod state;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use url::Url;

pub use portal::SandboxPortal;

/// The sandbox accepts any credentials; these are the ones `--sandbox` uses.
pub const CLIENT_ID: &str = "sandbox";
pub const CLIENT_SECRET: &str = "sandbox-client-secret";

/// Request bodies larger than this are refused.
const MAX_REQUEST: usize = 1024 * 1024;

/// How the server behaves around the portal's answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Wait before each answer, to imitate a distant portal.
    pub latency: Duration,
    /// One line per request on stderr.
    pub log: bool,
}

/// The sandbox serving on a free port for the life of the command, on a thread of its own so
/// that prompts on the main thread never stall it.
pub struct Embedded {
    pub url: Url,
}

impl Embedded {
    pub fn start(dir: &Path) -> Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .context("could not open a port on 127.0.0.1 for the sandbox")?;
        listener.set_nonblocking(true)?;
        let url = Url::parse(&format!("http://{}", listener.local_addr()?))?;
        let portal = Arc::new(SandboxPortal::new(dir));
        std::thread::Builder::new()
            .name("sandbox".to_owned())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        serve(listener, portal, Options::default()).await;
                    }
                });
            })
            .context("could not start the sandbox")?;
        Ok(Embedded { url })
    }
}

/// Accepts connections until the future is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    portal: Arc<SandboxPortal>,
    options: Options,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, say: back off instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let portal = portal.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let portal = portal.clone();
                async move { Ok::<_, Infallible>(respond(&portal, request, options, peer).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn respond(
    portal: &SandboxPortal,
    request: hyper::Request<Incoming>,
    options: Options,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let authorization = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match Limited::new(request.into_body(), MAX_REQUEST)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let call = portal::Call {
        method: &method,
        path: &path,
        query,
        authorization: authorization.as_deref(),
        body: &body,
    };
    let answer = portal.handle(&call);
    let wait = options.latency + answer.delay;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    if options.log {
        crate::output::log_line(&format!(
            "{} {peer} {method} {path} -> {} ({} ms)",
            crate::journal::now_rfc3339(),
            answer.status,
            started.elapsed().as_millis()
        ));
    }
    let mut response = hyper::Response::new(Full::new(Bytes::from(answer.body.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}
