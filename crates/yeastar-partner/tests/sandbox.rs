//! The client against the built-in sandbox portal, over real HTTP on 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use yeastar_partner::{
    BillingContactId, Client, Credentials, Exchange, ManualClock, MemoryTokenStore, Observer,
    OrderOutcome, OrderRequest, OrderState, PlanId, Secret, Sn, SubscriptionCheck, TokenStore,
    LINKUS_PRODUCT_ID,
};

const CONTACT: BillingContactId = BillingContactId::new(3197218168379846218);
const BASIC: PlanId = PlanId::new(3048918321840570368);
const PRO: PlanId = PlanId::new(3048918719332507648);

fn sn(text: &str) -> Sn {
    text.parse().unwrap()
}

/// Counts the requests to each path.
#[derive(Default)]
struct Counter(std::sync::Mutex<Vec<String>>);

impl Observer for Counter {
    fn exchange(&self, exchange: &Exchange<'_>) {
        self.0.lock().unwrap().push(format!(
            "{} {}",
            exchange.request.method,
            exchange.request.url.path()
        ));
    }
}

impl Counter {
    fn count(&self, what: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.contains(what))
            .count()
    }
}

struct Sandbox {
    _dir: tempfile::TempDir,
    url: url::Url,
}

fn sandbox() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let embedded = linkus_sandbox::Embedded::start(dir.path()).unwrap();
    Sandbox {
        url: embedded.url,
        _dir: dir,
    }
}

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(
        sandbox.url.clone(),
        Credentials::new("any-client", Secret::new("any-secret")),
    )
    .user_agent("yeastar-partner-tests")
    .build()
    .unwrap()
}

/// A client whose requests the returned [`Counter`] counts.
fn counted(sandbox: &Sandbox) -> (Client, Arc<Counter>) {
    let counter = Arc::new(Counter::default());
    let client = Client::builder(sandbox.url.clone(), Credentials::new("c", Secret::new("s")))
        .observer(counter.clone())
        .build()
        .unwrap();
    (client, counter)
}

#[tokio::test]
async fn plans_contacts_and_prices_keep_every_digit() {
    let sandbox = sandbox();
    let client = client(&sandbox);
    let offer = client
        .offer(LINKUS_PRODUCT_ID, "369471667338")
        .await
        .unwrap();
    let ids: Vec<PlanId> = offer.plans.iter().map(|p| p.plan_id).collect();
    assert_eq!(ids, [BASIC, PRO]);
    let offering = offer.offering_id.expect("the plans name the offering");
    let contacts = client.billing_contacts().await.unwrap();
    assert!(contacts.iter().any(|c| c.billing_contact_id == CONTACT));
    let prices = client
        .prices(LINKUS_PRODUCT_ID, &offering, "annually")
        .await
        .unwrap();
    assert_eq!(
        prices.for_plan(BASIC, "").unwrap().to_string(),
        "120.00 USD"
    );
    assert_eq!(prices.for_plan(PRO, "").unwrap().to_string(), "180.00 USD");
}

#[tokio::test]
async fn one_request_tells_a_pbxs_subscription() {
    let sandbox = sandbox();
    let (client, counter) = counted(&sandbox);
    match client
        .subscription(LINKUS_PRODUCT_ID, "369471660409")
        .await
        .unwrap()
    {
        SubscriptionCheck::Subscribed(s) => {
            assert_eq!(s.plan_id, Some(BASIC));
            assert!(s.expires.is_some());
            assert_eq!(s.auto_renew, Some(false));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client
            .subscription(LINKUS_PRODUCT_ID, "369471667338")
            .await
            .unwrap(),
        SubscriptionCheck::NotSubscribed
    );
    assert_eq!(counter.count("/detail"), 2);
    assert_eq!(counter.count("instance_product_list"), 0, "no paging");
}

#[tokio::test]
async fn order_outcomes_are_decided_in_the_client() {
    let sandbox = sandbox();
    let client = client(&sandbox);
    let order = |sn: &str| OrderRequest::purchase(sn.parse().unwrap(), BASIC, CONTACT, 1).unwrap();

    let OrderOutcome::Created(bought) = client.create_order(&order("1000001")).await else {
        panic!("created")
    };
    assert_eq!(bought.state(), OrderState::Succeeded);
    assert!(bought.order_no.as_str().starts_with("LR"));

    let OrderOutcome::Created(pending) = client.create_order(&order("1000202")).await else {
        panic!("created")
    };
    assert_eq!(pending.state(), OrderState::Open);

    let OrderOutcome::Rejected(not_eligible) = client.create_order(&order("1000402")).await else {
        panic!("rejected")
    };
    assert_eq!(not_eligible.code(), Some("product_not_eligible"));

    // Bought once: the portal refuses a second subscription for the PBX.
    assert!(matches!(
        client.create_order(&order("1000001")).await,
        OrderOutcome::Rejected(_)
    ));

    let renew = OrderRequest::renew(sn("1000001"), BASIC, CONTACT, 2).unwrap();
    assert!(matches!(
        client.create_order(&renew).await,
        OrderOutcome::Created(_)
    ));
    let switch = OrderRequest::switch(sn("1000001"), PRO, CONTACT, 2).unwrap();
    assert!(matches!(
        client.create_order(&switch).await,
        OrderOutcome::Created(_)
    ));

    let listed = client.orders_page(1, 100).await.unwrap();
    assert_eq!(listed.items.len(), 4);
    let details = client
        .order_details(bought.order_no.as_str())
        .await
        .unwrap();
    assert_eq!(details.order_no.as_ref(), Some(&bought.order_no));
    assert_eq!(details.product_no.as_deref(), Some("1000001"));
}

#[tokio::test]
async fn an_order_whose_answer_never_comes_is_unknown() {
    let sandbox = sandbox();
    let client = Client::builder(sandbox.url.clone(), Credentials::new("c", Secret::new("s")))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let order = OrderRequest::purchase(sn("1000504"), BASIC, CONTACT, 1).unwrap();
    assert!(matches!(
        client.create_order(&order).await,
        OrderOutcome::Unknown(_)
    ));
    // It was placed all the same: the order list shows it.
    let listed = client.orders_page(1, 100).await.unwrap();
    assert!(listed.items.iter().any(|o| o.is_for("1000504")));
}

#[tokio::test]
async fn a_stored_token_is_reused_until_near_its_end_then_refreshed() {
    let sandbox = sandbox();
    let store = Arc::new(MemoryTokenStore::default());
    let counter = Arc::new(Counter::default());
    // The sandbox checks expiry against the real time; the client decides by its own clock.
    let now = std::time::UNIX_EPOCH
        + Duration::from_secs(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        );
    let clock = Arc::new(ManualClock::at(now));
    let build = || {
        Client::builder(sandbox.url.clone(), Credentials::new("c", Secret::new("s")))
            .token_store(store.clone())
            .observer(counter.clone())
            .clock(clock.clone())
            .build()
            .unwrap()
    };
    build().billing_contacts().await.unwrap();
    // A new client (a new run) with the same store: no token request.
    build().billing_contacts().await.unwrap();
    assert_eq!(counter.count("/oauth/token"), 1);
    // Twenty-six minutes later the token is due: the refresh grant renews it.
    clock.advance(Duration::from_secs(26 * 60));
    build().billing_contacts().await.unwrap();
    assert_eq!(counter.count("/oauth/token"), 2);
    let token = store.load().unwrap();
    assert_eq!(token.obtained_at, now + Duration::from_secs(26 * 60));
}

#[tokio::test]
async fn concurrent_reads_share_one_token_request() {
    let sandbox = sandbox();
    let (client, counter) = counted(&sandbox);
    let (a, b, c) = tokio::join!(
        client.billing_contacts(),
        client.offer(LINKUS_PRODUCT_ID, "369471667338"),
        client.subscription(LINKUS_PRODUCT_ID, "369471667338"),
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(counter.count("/oauth/token"), 1);
}

#[tokio::test]
async fn reads_retry_a_busy_portal() {
    let sandbox = sandbox();
    let retries = Arc::new(AtomicUsize::new(0));
    struct Retries(Arc<AtomicUsize>);
    impl Observer for Retries {
        fn retry(&self, _: &str, _: u32, _: u32, _: Duration) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let client = Client::builder(sandbox.url.clone(), Credentials::new("c", Secret::new("s")))
        .retry({
            let mut fast = yeastar_partner::RetryPolicy::default();
            fast.attempts = 3;
            fast.base_delay = Duration::from_millis(1);
            fast.max_delay = Duration::from_millis(50);
            fast.budget = Duration::from_secs(5);
            fast
        })
        .observer(Arc::new(Retries(retries.clone())))
        .build()
        .unwrap();
    // SNs ending 0503 answer reads with 503 twice, then normally.
    let offer = client.offer(LINKUS_PRODUCT_ID, "1230503").await.unwrap();
    assert!(!offer.plans.is_empty());
    assert_eq!(retries.load(Ordering::SeqCst), 2);
}

/// Seeds `count` orders for other PBXs, `spacing` apart, the newest `newest` ago.
fn seed(sandbox: &Sandbox, count: u64, newest: Duration, spacing: Duration) {
    linkus_sandbox::Store::new(sandbox._dir.path())
        .update(|state| {
            for i in 0..count {
                state.orders.push(linkus_sandbox::SandboxOrder::elsewhere(
                    &format!("H{i:011}"),
                    linkus_sandbox::Operation::Purchase,
                    "succeed",
                    newest + spacing * u32::try_from(i).unwrap(),
                ));
            }
        })
        .unwrap();
}

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

#[tokio::test]
async fn the_order_history_is_one_request_while_one_page_covers_the_window() {
    let sandbox = sandbox();
    let (client, counter) = counted(&sandbox);
    let empty = client.order_history(|now| now - WEEK).await.unwrap();
    assert!(empty.orders.is_empty());
    assert!(empty.is_complete());
    // The sandbox's Date header gives the portal's clock.
    let portal = empty.portal_time.expect("a Date header");
    let local = std::time::SystemTime::now();
    let apart = local
        .duration_since(portal)
        .unwrap_or_else(|behind| behind.duration());
    assert!(apart < Duration::from_secs(5), "{portal:?} {local:?}");

    seed(
        &sandbox,
        99,
        Duration::from_secs(60),
        Duration::from_secs(600),
    );
    let history = client.order_history(|now| now - WEEK).await.unwrap();
    assert_eq!(history.orders.len(), 99);
    assert_eq!((history.pages, history.page_size), (1, 100));
    // 99 orders over 16 hours, then more than a week back: still one page.
    seed(
        &sandbox,
        200,
        Duration::from_secs(8 * 24 * 3600),
        Duration::from_secs(1),
    );
    let history = client.order_history(|now| now - WEEK).await.unwrap();
    assert_eq!(history.pages, 1, "the first page reached past the window");
    assert!(history.is_complete());
    assert_eq!(counter.count("/order/v1/page"), 3);
    let asked: Vec<String> = counter.0.lock().unwrap().clone();
    let other: Vec<&String> = asked
        .iter()
        .filter(|r| !r.ends_with("/order/openapi/order/v1/page") && !r.contains("/oauth/token"))
        .collect();
    assert!(other.is_empty(), "{other:?}");
}

#[tokio::test]
async fn further_pages_are_read_together_back_to_the_window_start() {
    let sandbox = sandbox();
    // 1,000 orders over the last 24 hours: ten pages, all inside a week.
    seed(
        &sandbox,
        1000,
        Duration::from_secs(10),
        Duration::from_secs(86),
    );
    let (client, counter) = counted(&sandbox);
    let history = client.order_history(|now| now - WEEK).await.unwrap();
    assert_eq!(history.orders.len(), 1000);
    assert_eq!(history.pages, 10);
    assert!(history.is_complete());
    assert_eq!(counter.count("/order/v1/page"), 10);
    let times: Vec<std::time::SystemTime> =
        history.orders.iter().filter_map(|o| o.created()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // A shorter window stops early: a day of 1,000 orders, a window of 2 hours.
    let (client, counter) = counted(&sandbox);
    let history = client
        .order_history(|now| now - Duration::from_secs(2 * 3600))
        .await
        .unwrap();
    assert!(history.is_complete());
    assert!(history.pages <= 2, "{} pages", history.pages);
    assert!(history.orders.len() >= 83);
    assert_eq!(counter.count("/order/v1/page") as u64, history.pages);
}

#[tokio::test]
async fn past_the_cap_the_history_says_it_is_partial() {
    let sandbox = sandbox();
    seed(
        &sandbox,
        2050,
        Duration::from_secs(10),
        Duration::from_secs(20),
    );
    let (client, counter) = counted(&sandbox);
    let history = client.order_history(|now| now - WEEK).await.unwrap();
    assert!(!history.is_complete());
    assert!(history.capped);
    assert_eq!(history.orders.len(), 2000);
    assert_eq!(history.pages, 20);
    assert_eq!(counter.count("/order/v1/page"), 20);
}

#[tokio::test]
async fn an_order_held_while_it_waits_to_be_sent_is_not_sent() {
    let sandbox = sandbox();
    let (client, counter) = counted(&sandbox);
    // A token first: the order's first pause is then the settle just before it is sent.
    client.billing_contacts().await.unwrap();
    let body = OrderRequest::purchase(sn("1000001"), BASIC, CONTACT, 1)
        .unwrap()
        .body();
    assert!(!client.orders_held());
    // Another row's order ends in doubt while this one is on its way out.
    let (outcome, held) = tokio::join!(client.create_order_exchange(body.clone()), async {
        client.hold_orders();
    });
    let () = held;
    assert!(
        matches!(outcome.0, OrderOutcome::NotSent(_)),
        "an order held before it was written must not be sent"
    );
    assert_eq!(
        counter.count("POST /order"),
        0,
        "nothing reached the portal"
    );
    // Held for the rest of the client's life.
    assert!(matches!(
        client.create_order_exchange(body).await.0,
        OrderOutcome::NotSent(_)
    ));
    assert_eq!(counter.count("POST /order"), 0);
}
