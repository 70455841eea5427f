//! The sandbox portal: a fake Yeastar Partner Portal served over real HTTP on 127.0.0.1, for
//! rehearsing Linkus Cloud Service orders without credentials or money (the `linkus` CLI's
//! `--sandbox` and `linkus sandbox serve`, CLI.md section 7).
//!
//! It imitates a remote portal, so it shares no code with any client: it speaks the shapes of
//! partner-api.md section 10, keeps its orders and subscriptions in `state.json` in a folder
//! of its own, and rehearses failures with special serial numbers:
//!
//! | SN ends in | The sandbox |
//! |---|---|
//! | `0402` | refuses the SN as not eligible (`product_not_eligible`) |
//! | `0202` | creates orders with status `pending`; the subscription does not change |
//! | `0504` | creates and applies the order, then holds the answer for 600 s |
//! | `0503` | answers each GET path for it with 503 twice, then normally |
//! | `0409` | already has Linkus (basic plan, one year) expiring 20 days from now: a purchase is refused, renew and switch work |
//! | `0404` | is not a PBX of this partner account (`product_not_in_account`) |
//!
//! A `0202` order stays `pending` until [`SandboxPortal::settle`] pays or cancels it, as a
//! person would in the portal's Orders page (`linkus sandbox pay | cancel`).
//!
//! The account's product list holds the stored subscriptions (newest first), then the fleet
//! of [`SandboxPortal::with_fleet`] (`F00000000001` and on, generated, never stored), then
//! [`EXPIRING_SN`], one `0409` PBX. The special endings do not apply to fleet SNs.
//!
//! [`SandboxPortal::handle`] answers one request without any network, for tests; [`serve`]
//! puts a portal behind a listener; [`Embedded`] runs one on a thread of its own.

mod auth;
mod catalog;
mod envelope;
mod files;
mod fleet;
mod orders;
mod portal;
mod settle;
mod state;
mod time;
mod users;

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

pub use auth::ACCOUNT;
pub use catalog::{CURRENCY, OFFERING_ID, PLANS, PRICES};
pub use envelope::{Answer, Call};
pub use portal::{SandboxPortal, EXPIRING_SN};
pub use settle::Settled;
pub use state::{Operation, SandboxOrder, State, Store, Subscription};

/// The sandbox accepts any credentials; these are the ones `--sandbox` uses.
pub const CLIENT_ID: &str = "sandbox";
pub const CLIENT_SECRET: &str = "sandbox-client-secret";

/// Request Access Token and Refresh Access Token (POST, form-encoded).
pub const TOKEN_PATH: &str = "/auth/openapi/v1/oauth/token";
/// Query Available Subscription Plans for a product and SN.
pub const PLANS_PATH: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
/// Query Billing Contact List.
pub const CONTACTS_PATH: &str = "/user/openapi/user/v1/client/billing_contact_list";
/// Create an Order (POST, JSON): purchase, renew or switch.
pub const ORDER_PATH: &str = "/order/openapi/order/v1/save";
/// Query Order List.
pub const ORDERS_PATH: &str = "/order/openapi/order/v1/page";
/// Get Order Details: this path, `/`, and the order number or ID.
pub const ORDER_DETAILS_PATH: &str = "/order/openapi/order/v1/get";
/// Query Product List: the account's PBXs with Linkus.
pub const INSTANCES_PATH: &str =
    "/product/openapi/instance_product/v1/client/instance_product_list";
/// Get Product Details: one PBX.
pub const PRODUCT_DETAILS_PATH: &str = "/product/openapi/instance_product/v1/detail";
/// Query Subscription Price.
pub const PRICE_PATH: &str = "/pricing/openapi/purchase/v1/my_price_info";
/// Query Available Subscription Products.
pub const PRODUCT_LIST_PATH: &str = "/pricing/openapi/purchase/v1/product_list";
/// Enable Auto-renewal (POST, JSON; partner-api.md 10.10).
pub const AUTO_RENEW_PATH: &str = "/product/openapi/instance_subscription/v1/active";
/// Create a Subordinate User (POST, JSON).
pub const SAVE_USER_PATH: &str = "/user/openapi/user/v1/client/save_user";

/// Request bodies larger than this are cut off (and then fail validation).
const MAX_REQUEST: usize = 1024 * 1024;

/// How the server behaves around the portal's answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Wait before each answer, to imitate a distant portal.
    pub latency: Duration,
    /// One line per request on stderr:
    /// `<RFC 3339 time> <peer> <METHOD> <path> -> <status> (<ms> ms)`.
    pub log: bool,
}

/// The sandbox serving on a free port of 127.0.0.1 for the life of the process, on a thread of
/// its own so that a blocked main thread (a prompt, say) never stalls it.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub url: Url,
}

impl Embedded {
    pub fn start(state_dir: &Path) -> Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .context("could not open a port on 127.0.0.1 for the sandbox")?;
        listener.set_nonblocking(true)?;
        let url = Url::parse(&format!("http://{}", listener.local_addr()?))?;
        let portal = Arc::new(SandboxPortal::new(state_dir));
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

/// Accepts connections until the future is dropped. Must run inside a tokio runtime.
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
    let call = Call {
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
        log_line(&format!(
            "{} {peer} {method} {path} -> {} ({} ms)",
            time::now_rfc3339(),
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

/// The request log of `sandbox serve`: stderr, one line per request.
#[allow(clippy::print_stderr)]
fn log_line(line: &str) {
    eprintln!("{line}");
}
