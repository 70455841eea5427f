//! At-most-once sending does not depend on the caller's runtime flavour: the order-outcome
//! cases (created, rejected, not sent, unknown) on tokio's current-thread and multi-thread
//! runtimes, each order received exactly once; and on a multi-thread runtime, where nothing
//! tells when the connection pool has learnt of a server's close, an order goes out on a
//! connection of its own, so a server that closes idle connections after 1 ms never loses it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yeastar_partner::{
    BillingContactId, Client, Credentials, Exchange, Observer, OrderOutcome, OrderRequest,
    OrderState, PlanId, Secret,
};

const CONTACT: BillingContactId = BillingContactId::new(3197218168379846218);
const BASIC: PlanId = PlanId::new(3048918321840570368);

/// The method and path of every request sent.
#[derive(Default)]
struct Sent(Mutex<Vec<String>>);

impl Observer for Sent {
    fn exchange(&self, exchange: &Exchange<'_>) {
        if let Ok(mut sent) = self.0.lock() {
            sent.push(format!(
                "{} {}",
                exchange.request.method,
                exchange.request.url.path()
            ));
        }
    }
}

impl Sent {
    fn orders(&self) -> usize {
        let sent = self.0.lock().unwrap();
        sent.iter()
            .filter(|r| r.ends_with("/order/v1/save"))
            .count()
    }
}

fn order(sn: &str) -> OrderRequest {
    OrderRequest::purchase(sn.parse().unwrap(), BASIC, CONTACT, 1).unwrap()
}

async fn order_outcome_cases() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = linkus_sandbox::Embedded::start(dir.path()).unwrap();
    let sent = Arc::new(Sent::default());
    let client = Client::builder(sandbox.url.clone(), Credentials::new("c", Secret::new("s")))
        .timeout(Duration::from_millis(500))
        .observer(sent.clone())
        .build()
        .unwrap();
    client.billing_contacts().await.unwrap();

    let OrderOutcome::Created(created) = client.create_order(&order("1000001")).await else {
        panic!("created")
    };
    assert_eq!(created.state(), OrderState::Succeeded);
    assert_eq!(sent.orders(), 1);

    let OrderOutcome::Rejected(rejected) = client.create_order(&order("1000402")).await else {
        panic!("rejected")
    };
    assert_eq!(rejected.code(), Some("product_not_eligible"));
    assert_eq!(sent.orders(), 2);

    // The sandbox never answers this PBX's order: it was received, so it is unknown.
    let outcome = client.create_order(&order("1000504")).await;
    assert!(matches!(outcome, OrderOutcome::Unknown(_)), "{outcome:?}");
    assert_eq!(
        sent.orders(),
        3,
        "an order whose answer never came is not sent again"
    );
    let listed = client.orders_page(1, 100).await.unwrap();
    for sn in ["1000001", "1000504"] {
        let placed = listed.items.iter().filter(|o| o.is_for(sn)).count();
        assert_eq!(placed, 1, "the portal has one order for {sn}");
    }
    assert_eq!(listed.items.len(), 2, "the refused order was not placed");

    client.hold_orders();
    let outcome = client.create_order(&order("1000002")).await;
    assert!(
        matches!(&outcome, OrderOutcome::NotSent(error) if error.is_held_order()),
        "{outcome:?}"
    );
    assert_eq!(sent.orders(), 3, "a held order is never written");

    // Nobody listens on the port: the order provably never left.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let nobody = Client::builder(
        url.parse().unwrap(),
        Credentials::new("c", Secret::new("s")),
    )
    .retry({
        let mut once = yeastar_partner::RetryPolicy::default();
        once.attempts = 1;
        once
    })
    .build()
    .unwrap();
    let outcome = nobody.create_order(&order("1000003")).await;
    assert!(matches!(outcome, OrderOutcome::NotSent(_)), "{outcome:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn order_outcomes_on_a_current_thread_runtime() {
    order_outcome_cases().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_outcomes_on_a_multi_thread_runtime() {
    order_outcome_cases().await;
}

/// A portal that answers keep-alive and closes each connection `idle_close` after its last
/// answer; it counts connections and orders.
struct ClosingPortal {
    url: url::Url,
    connections: Arc<AtomicUsize>,
    orders: Arc<AtomicUsize>,
}

async fn closing_portal(idle_close: Duration) -> ClosingPortal {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let orders = Arc::new(AtomicUsize::new(0));
    let (counted, ordered) = (connections.clone(), orders.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let ordered = ordered.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                // The first request of a connection is awaited; after an answer, the
                // connection is idle and closed after `idle_close`.
                let mut wait = Duration::from_secs(5);
                loop {
                    let read = tokio::time::timeout(wait, read_request(&mut stream, &mut buffer));
                    wait = idle_close;
                    let Ok(Some(head)) = read.await else { return };
                    let body = if head.contains("/oauth/token") {
                        r#"{"code":"success","result":{"token":"t","expiresIn":7200,"refreshToken":"r"}}"#
                    } else if head.contains("billing_contact_list") {
                        r#"{"code":"success","result":[{"billingContactId":3197218168379846218}]}"#
                    } else if head.contains("/order/v1/save") {
                        ordered.fetch_add(1, Ordering::SeqCst);
                        r#"{"code":"success","requestId":"r1","result":{"orderNo":"LR1","orderStatus":"succeed"}}"#
                    } else {
                        r#"{"code":"not_found","detailMessage":"no"}"#
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    ClosingPortal {
        url,
        connections,
        orders,
    }
}

/// One request's head (its body read and dropped), or `None` at the end of the stream.
async fn read_request(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_string();
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let mut chunk = [0u8; 4096];
                let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
                buffer.extend_from_slice(&chunk[..n]);
            }
            buffer.drain(..end + 4 + length);
            return Some(head);
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn token_read_then_order(portal: &ClosingPortal) -> OrderOutcome {
    let client = Client::builder(portal.url.clone(), Credentials::new("c", Secret::new("s")))
        .build()
        .unwrap();
    client.billing_contacts().await.unwrap();
    client.create_order(&order("1000001")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_thread_runtime_an_order_takes_a_connection_of_its_own() {
    let portal = closing_portal(Duration::from_secs(5)).await;
    let outcome = token_read_then_order(&portal).await;
    assert!(matches!(outcome, OrderOutcome::Created(_)), "{outcome:?}");
    assert_eq!(portal.orders.load(Ordering::SeqCst), 1);
    // The token and the read share one; the order opens its own.
    assert_eq!(portal.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn on_a_current_thread_runtime_an_order_reuses_a_settled_pooled_connection() {
    let portal = closing_portal(Duration::from_secs(5)).await;
    let outcome = token_read_then_order(&portal).await;
    assert!(matches!(outcome, OrderOutcome::Created(_)), "{outcome:?}");
    assert_eq!(portal.orders.load(Ordering::SeqCst), 1);
    assert_eq!(portal.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_closing_idle_connections_after_1_ms_never_loses_an_order_on_a_multi_thread_runtime(
) {
    for _ in 0..5 {
        let portal = closing_portal(Duration::from_millis(1)).await;
        let outcome = token_read_then_order(&portal).await;
        assert!(matches!(outcome, OrderOutcome::Created(_)), "{outcome:?}");
        assert_eq!(portal.orders.load(Ordering::SeqCst), 1);
    }
}
