//! [`Client`]: every endpoint this crate knows, authenticated, with the retry and resend rules
//! of a client that spends money.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use url::Url;

use crate::clock::{Clock, SystemClock};
use crate::envelope::{self, Reply};
use crate::error::{Error, Phase};
use crate::model::orders::PageResult;
use crate::model::plans::OfferResult;
use crate::model::prices::{PriceItem, PriceResult};
use crate::model::{
    BillingContact, Offer, Order, OrderDetails, OrderRequest, Page, Plan, PriceList, Subscription,
    SubscriptionCheck,
};
use crate::outcome::{OrderCall, OrderOutcome};
use crate::paths::*;
use crate::retry::RetryPolicy;
use crate::token::{Credentials, MemoryTokenStore, Token, TokenManager, TokenStore};
use crate::transport::{Connection, Observer, RawResponse, Request, Transport};

/// The portal's public API host.
pub const DEFAULT_BASE_URL: &str = "https://openapi.partner.yeastar.com";

/// Product list pages are read this many at a time.
const PAGES_AT_ONCE: usize = 6;

/// The most product-list pages read to find one PBX where Get Product Details is missing
/// (100,000 PBXs), so that a portal that misreports its page count cannot keep us paging.
const FALLBACK_PAGES: u64 = 1000;

/// How a [`Client`] is set up.
pub struct ClientBuilder {
    base_url: Url,
    credentials: Credentials,
    store: Arc<dyn TokenStore>,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    observer: Option<Arc<dyn Observer>>,
    clock: Arc<dyn Clock>,
}

impl ClientBuilder {
    /// Where tokens are kept between runs (default: in memory only).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = store;
        self
    }

    /// The time limit of one HTTP request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy of reads and of orders that provably never left (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The `User-Agent` header, which the portal requires on every request.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Something that sees every HTTP exchange (logs, captures).
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The clock that decides when a token expires (default: the system clock; tests pass a [`crate::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The client, or [`Error::Setup`] when the HTTP client cannot be built (an unusable base URL, say).
    pub fn build(self) -> Result<Client, Error> {
        let http = Transport::new(
            self.base_url,
            self.timeout,
            self.retry,
            &self.user_agent,
            self.observer,
            self.clock.clone(),
        )?;
        Ok(Client {
            http,
            tokens: TokenManager::new(self.credentials, self.store, self.clock.clone()),
            clock: self.clock,
            orders_held: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// A Partner Portal API client.
///
/// ```no_run
/// # async fn example() -> Result<(), yeastar_partner::Error> {
/// use yeastar_partner::{Client, Credentials, Secret, LINKUS_PRODUCT_ID};
///
/// let client = Client::builder(
///     "https://openapi.partner.yeastar.com".parse().unwrap(),
///     Credentials::new("client-id", Secret::new("client-secret")),
/// )
/// .build()?;
/// let offer = client.offer(LINKUS_PRODUCT_ID, "369471667338").await?;
/// for plan in &offer.plans {
///     println!("{} {}", plan.plan_id, plan.plan_name);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Client {
    http: Transport,
    tokens: TokenManager,
    clock: Arc<dyn Clock>,
    /// Set by [`Client::hold_orders`]: no order is sent any more.
    orders_held: Arc<AtomicBool>,
}

impl Client {
    /// A builder for a client of the portal at `base_url` (usually [`DEFAULT_BASE_URL`]) with these credentials.
    pub fn builder(base_url: Url, credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            base_url,
            credentials,
            store: Arc::new(MemoryTokenStore::default()),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: concat!("yeastar-partner/", env!("CARGO_PKG_VERSION")).to_owned(),
            observer: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        self.http.base()
    }

    /// From now on no order is sent (a batch after an order whose outcome is unknown, or a
    /// failing portal): each is answered "not sent" at the last moment before it would be
    /// written, so an order already waiting on its way out stays unsent too.
    pub fn hold_orders(&self) {
        self.orders_held.store(true, Ordering::SeqCst);
    }

    /// Whether [`Client::hold_orders`] was called.
    pub fn orders_held(&self) -> bool {
        self.orders_held.load(Ordering::SeqCst)
    }

    /// The clock this client reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A valid access token: the stored one while fresh, else a refreshed or new one.
    pub async fn token(&self) -> Result<Token, Error> {
        self.tokens.token(&self.http).await
    }

    /// Asks for a new token with the credentials, ignoring any stored one: proof that the
    /// credentials work. The new token is stored.
    pub async fn verify_credentials(&self) -> Result<Token, Error> {
        self.tokens.verify(&self.http).await
    }

    /// Whether a client for `base_url` ignores `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY`: a
    /// proxy cannot reach this machine's loopback (`localhost`, `127.0.0.1`, `::1`), so such a
    /// URL (the built-in sandbox, a local test portal) is always reached directly, as Go's and
    /// curl's clients do. Every other URL goes through the proxy the environment names.
    pub fn ignores_proxies_for(base_url: &Url) -> bool {
        crate::transport::is_loopback(base_url)
    }

    /// The URL a request for `path` is sent to (see [`crate::url_for`]).
    pub fn url_for(&self, path: &str) -> Result<Url, url::ParseError> {
        crate::transport::url_for(self.http.base(), path)
    }

    /// Sends an authenticated request and returns the answer whatever its status. A 401
    /// renews the token once and sends once more; other resends follow the request's
    /// [`crate::Resend`] rule.
    pub async fn send(&self, request: &Request) -> Result<RawResponse, Error> {
        let token = self.tokens.token(&self.http).await?;
        let response = self.http.send(request, Some(&token.authorization)).await?;
        if response.status != 401 {
            return Ok(response);
        }
        let renewed = self
            .tokens
            .renew(&self.http, &token)
            .await
            .map_err(|cause| Error::Renewal {
                endpoint: request.endpoint(),
                cause: Box::new(cause),
            })?;
        self.http.send(request, Some(&renewed.authorization)).await
    }

    /// An authenticated request whose envelope must say `success`.
    pub async fn read(&self, request: Request) -> Result<Reply, Error> {
        let response = self.send(&request).await?;
        response.reply_located(&request.endpoint())
    }

    /// Query Available Subscription Plans for a PBX (partner-api.md 3.2, 10.2).
    pub async fn offer(&self, product_id: u64, sn: &str) -> Result<Offer, Error> {
        let request = Request::get(PLANS_PATH)
            .query("productId", product_id)
            .query("productNo", sn);
        let reply = self.read(request).await?;
        let offer: OfferResult = reply.decode()?;
        let plans: Vec<Plan> = match &offer.plan_list {
            Some(list) => reply.decode_list(list)?,
            None => Vec::new(),
        };
        let services = match &offer.service_list {
            Some(list) => list.items().map_err(|e| reply.shape(e.to_string()))?,
            None => Vec::new(),
        };
        Ok(Offer {
            product_id: offer.product_id.unwrap_or(product_id),
            product_no: sn.to_owned(),
            offering_id: offer.offering_id,
            plans,
            services,
        })
    }

    /// Query Billing Contact List (partner-api.md 4, 10.3).
    pub async fn billing_contacts(&self) -> Result<Vec<BillingContact>, Error> {
        let reply = self.read(Request::get(CONTACTS_PATH)).await?;
        reply.decode_list(&reply.result)
    }

    /// Query Subscription Price: the list price of each plan of an offering, per billing
    /// cycle (partner-api.md 3.4, 10.8).
    pub async fn prices(
        &self,
        product_id: u64,
        offering_id: &str,
        billing_cycle: &str,
    ) -> Result<PriceList, Error> {
        let request = Request::get(PRICE_PATH)
            .query("productId", product_id)
            .query("billingCycle", billing_cycle)
            .query("offeringId", offering_id);
        let reply = self.read(request).await?;
        let result: PriceResult = reply.decode()?;
        let items: Vec<PriceItem> = match &result.plan_list {
            Some(list) => reply.decode_list(list)?,
            None => Vec::new(),
        };
        Ok(PriceList {
            plans: items.into_iter().map(Into::into).collect(),
        })
    }

    /// The PBX's current subscription, with one request (Get Product Details,
    /// partner-api.md 10.7), whatever the size of the account. Where that endpoint does not
    /// exist (404 without the portal's envelope), the product list is paged instead.
    pub async fn subscription(
        &self,
        product_id: u64,
        sn: &str,
    ) -> Result<SubscriptionCheck, Error> {
        let request = Request::get(PRODUCT_DETAILS_PATH)
            .query("productNo", sn)
            .query("productId", product_id);
        match self.read(request).await {
            Ok(reply) => {
                if reply.result.get().trim() == "null" {
                    return Ok(SubscriptionCheck::NotSubscribed);
                }
                let subscription: Subscription = reply.decode()?;
                Ok(if subscription.has_plan() {
                    SubscriptionCheck::Subscribed(Subscription {
                        product_no: subscription
                            .product_no
                            .clone()
                            .or_else(|| Some(sn.to_owned())),
                        ..subscription
                    })
                } else {
                    SubscriptionCheck::NotSubscribed
                })
            }
            Err(Error::Rejected {
                status: 404,
                ref code,
                ..
            }) if code == "product_not_found" => Ok(SubscriptionCheck::NotSubscribed),
            Err(error) if error.is_missing_endpoint() => {
                let all = self.subscriptions(product_id, FALLBACK_PAGES).await?;
                let complete = all.page_no >= all.total_pages;
                match all.items.into_iter().find(|s| s.is_for(sn)) {
                    Some(found) => Ok(SubscriptionCheck::Subscribed(found)),
                    None if complete => Ok(SubscriptionCheck::NotSubscribed),
                    // Not found in the pages read is not "not subscribed".
                    None => Err(Error::shape(
                        &format!("GET {PRODUCTS_PATH}"),
                        200,
                        None,
                        format!(
                            "the product list has {} pages and only {} were read",
                            all.total_pages, all.page_no
                        ),
                    )),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// One page of Query Product List (partner-api.md 6.1).
    pub async fn subscriptions_page(
        &self,
        product_id: u64,
        page_no: u64,
        page_size: u64,
    ) -> Result<Page<Subscription>, Error> {
        let request = Request::get(PRODUCTS_PATH)
            .query("productId", product_id)
            .query("pageNo", page_no)
            .query("pageSize", page_size);
        self.page(request, page_no).await
    }

    /// Every PBX of the account with the product, up to `max_pages` pages of 100: the first
    /// page says how many there are, the rest are read a few at a time. The result says how
    /// many pages there were, so a caller can tell when it did not read them all.
    pub async fn subscriptions(
        &self,
        product_id: u64,
        max_pages: u64,
    ) -> Result<Page<Subscription>, Error> {
        self.subscriptions_with_progress(product_id, max_pages, |_, _| {})
            .await
    }

    /// Like [`Client::subscriptions`], calling `progress(pages read, pages to read)` as pages
    /// come in.
    pub async fn subscriptions_with_progress(
        &self,
        product_id: u64,
        max_pages: u64,
        progress: impl Fn(u64, u64),
    ) -> Result<Page<Subscription>, Error> {
        const PAGE_SIZE: u64 = 100;
        let first = self.subscriptions_page(product_id, 1, PAGE_SIZE).await?;
        let to_read = first.total_pages.min(max_pages.max(1));
        progress(1, to_read);
        let mut items = first.items;
        if to_read > 1 && !items.is_empty() {
            let mut done = 1;
            let mut pages = futures_util::stream::iter(2..=to_read)
                .map(|page_no| self.subscriptions_page(product_id, page_no, PAGE_SIZE))
                .buffered(PAGES_AT_ONCE);
            while let Some(page) = pages.try_next().await? {
                items.extend(page.items);
                done += 1;
                progress(done, to_read);
            }
        }
        Ok(Page {
            items,
            page_no: to_read,
            total_pages: first.total_pages,
            total: first.total,
            page_size: first.page_size,
        })
    }

    /// One page of Query Order List (partner-api.md 6.2).
    pub async fn orders_page(&self, page_no: u64, page_size: u64) -> Result<Page<Order>, Error> {
        let request = Request::get(ORDERS_PATH)
            .query("pageNo", page_no)
            .query("pageSize", page_size);
        self.page(request, page_no).await
    }

    /// The body of Enable Auto-renewal (partner-api.md 10.10): `productId` a string, as the
    /// developer guide types it, and the plan ID a number, digit for digit.
    pub fn auto_renew_body(product_id: u64, sn: &str, plan_id: crate::PlanId) -> Vec<u8> {
        let sn = serde_json::Value::String(sn.to_owned());
        format!(
            r#"{{"productNo":{sn},"productId":"{product_id}","planOrServiceId":{}}}"#,
            plan_id.get()
        )
        .into_bytes()
    }

    /// Enable Auto-renewal (partner-api.md 10.10) with a body from [`Client::auto_renew_body`]:
    /// whether the portal says it is now on (`true`, `"true"` or `1`). Sent again only when it
    /// provably never left.
    pub async fn enable_auto_renew(&self, body: Vec<u8>) -> Result<bool, Error> {
        let reply = self
            .read(Request::json(
                crate::transport::Method::Post,
                AUTO_RENEW_PATH,
                body,
            ))
            .await?;
        let result: serde_json::Value =
            serde_json::from_str(reply.result.get()).unwrap_or(serde_json::Value::Null);
        Ok(match result {
            serde_json::Value::Bool(on) => on,
            serde_json::Value::String(text) => text.trim().eq_ignore_ascii_case("true"),
            serde_json::Value::Number(number) => number.as_u64() == Some(1),
            _ => false,
        })
    }

    /// Get Order Details by order number or order ID (partner-api.md 6.2).
    pub async fn order_details(&self, order: &str) -> Result<OrderDetails, Error> {
        let path = format!("{ORDER_DETAILS_PATH}/{}", path_segment(order));
        let reply = self.read(Request::get(path)).await?;
        Ok(OrderDetails::from_raw(reply.result))
    }

    /// Create an Order. It is sent again only when it provably never reached a live
    /// connection, or once after a 401 (which means it was not processed).
    pub async fn create_order(&self, order: &OrderRequest) -> OrderOutcome {
        self.create_order_body(order.body()).await
    }

    /// Create an Order with a body given as bytes, under the same rules as
    /// [`Client::create_order`].
    pub async fn create_order_body(&self, body: Vec<u8>) -> OrderOutcome {
        self.create_order_exchange(body).await.0
    }

    /// Like [`Client::create_order_body`], also returning the answer as it came (for a caller
    /// that shows the portal's own body).
    pub async fn create_order_exchange(
        &self,
        body: Vec<u8>,
    ) -> (OrderOutcome, Option<RawResponse>) {
        self.create_order_call(body.into()).await
    }

    /// Like [`Client::create_order_exchange`], to the method and path of `call`.
    pub async fn create_order_call(&self, call: OrderCall) -> (OrderOutcome, Option<RawResponse>) {
        let request = Request::json(call.method, call.path, call.body);
        let endpoint = request.endpoint();
        let token = match self.tokens.token(&self.http).await {
            Ok(token) => token,
            Err(error) => return (OrderOutcome::NotSent(error), None),
        };
        let connection = settle_connections().await;
        // Looked at after every pause, immediately before the order is written.
        if self.orders_held() {
            return (OrderOutcome::NotSent(held(&endpoint)), None);
        }
        let mut sent = self
            .http
            .send_on(&request, Some(&token.authorization), connection)
            .await;
        if matches!(&sent, Ok(response) if response.status == 401) {
            // The portal refused the token, so it did not take the order: renew and send once
            // more. A renewal that fails leaves the order not processed.
            match self.tokens.renew(&self.http, &token).await {
                Ok(renewed) => {
                    sent = self
                        .http
                        .send_on(&request, Some(&renewed.authorization), connection)
                        .await
                }
                Err(cause) => {
                    let error = Error::Renewal {
                        endpoint,
                        cause: Box::new(cause),
                    };
                    return (OrderOutcome::NotSent(error), None);
                }
            }
        }
        let answer = sent.as_ref().ok().cloned();
        let outcome = match sent {
            // Refused twice: the token, not the order; nothing was placed.
            Ok(response) if response.status == 401 => {
                match envelope::parse(&endpoint, response.status, &response.body) {
                    Err(error) => OrderOutcome::Rejected(error),
                    Ok(_) => OrderOutcome::decide(&endpoint, Ok(response)),
                }
            }
            other => OrderOutcome::decide(&endpoint, other),
        };
        (self.with_looked_up_status(outcome).await, answer)
    }

    /// A 3xx that pointed at Get Order Details named the order but not its status: it is
    /// looked up (a read; the order is never sent again). If the look-up fails, or names
    /// another order, the status stays unknown (the order is open).
    async fn with_looked_up_status(&self, outcome: OrderOutcome) -> OrderOutcome {
        let OrderOutcome::Created(mut order) = outcome else {
            return outcome;
        };
        if order.status.is_some() || !(300..400).contains(&order.http_status) {
            return OrderOutcome::Created(order);
        }
        if let Ok(details) = self.order_details(order.order_no.as_str()).await {
            let same = details.order_no.as_ref().is_none_or(|no| {
                no.as_str()
                    .trim()
                    .eq_ignore_ascii_case(order.order_no.as_str())
            });
            if same {
                order.status = details.status;
                order.product_no = order.product_no.or(details.product_no);
            }
        }
        OrderOutcome::Created(order)
    }

    async fn page<T: DeserializeOwned>(
        &self,
        request: Request,
        page_no: u64,
    ) -> Result<Page<T>, Error> {
        let reply = self.read(request).await?;
        page_of(&reply, page_no)
    }

    /// Like [`Client::read`], with the time of the portal's `Date` header, when it sent one.
    pub(crate) async fn read_dated(
        &self,
        request: Request,
    ) -> Result<(Reply, Option<std::time::SystemTime>), Error> {
        let response = self.send(&request).await?;
        let reply = response.reply_located(&request.endpoint())?;
        let date = response
            .headers
            .get(reqwest::header::DATE.as_str())
            .and_then(|value| httpdate::parse_http_date(value).ok());
        Ok((reply, date))
    }

    /// One page of Query Order List with the portal's time when it answered.
    pub(crate) async fn orders_page_dated(
        &self,
        page_no: u64,
        page_size: u64,
    ) -> Result<(Page<Order>, Option<std::time::SystemTime>), Error> {
        let request = Request::get(ORDERS_PATH)
            .query("pageNo", page_no)
            .query("pageSize", page_size);
        let (reply, date) = self.read_dated(request).await?;
        Ok((page_of(&reply, page_no)?, date))
    }
}

fn page_of<T: DeserializeOwned>(reply: &Reply, page_no: u64) -> Result<Page<T>, Error> {
    let page: PageResult = reply.decode()?;
    let items = match &page.results {
        Some(results) => reply.decode_list(results)?,
        None => Vec::new(),
    };
    Ok(Page {
        items,
        page_no: page.page_no.unwrap_or(page_no),
        total_pages: page.total_page.unwrap_or(1).max(1),
        total: page.total,
        page_size: page.page_size,
    })
}

const HELD: &str =
    "not sent: orders were stopped (an earlier order's outcome is unknown, or the portal failed)";

/// The error of an order held by [`Client::hold_orders`].
fn held(endpoint: &str) -> Error {
    Error::Transport {
        endpoint: endpoint.to_owned(),
        phase: Phase::Connect,
        message: HELD.to_owned(),
    }
}

impl Error {
    /// An order that [`Client::hold_orders`] kept from being sent.
    pub fn is_held_order(&self) -> bool {
        matches!(self, Error::Transport { phase: Phase::Connect, message, .. } if message == HELD)
    }
}

/// How long an order waits before it takes a connection, so that a server that closes idle
/// connections after a few milliseconds has closed them first (see [`settle_connections`]).
const ORDER_SETTLE: Duration = Duration::from_millis(10);

/// Decides the connection an order goes out on, so that it is never written on a connection
/// the server has already closed (it would be lost, and look like an order whose outcome is
/// unknown).
///
/// On tokio's current-thread runtime (the `linkus` binary's) the pool is brought up to date
/// and an idle pooled connection is used: the pause covers a server whose idle timeout is a
/// few milliseconds (one closing after a second or more is covered by [`crate::POOL_IDLE`]);
/// the yields then let the runtime read those closes and run the connection tasks that retire
/// them (the first yield polls the I/O driver, the next ones run the tasks it woke, and
/// nothing else runs meanwhile). On any other runtime (multi-thread) those tasks run on other
/// workers whenever they are scheduled, so nothing can tell when the pool has caught up: the
/// order opens a new connection of its own instead (one more handshake). Either way only a
/// close that crosses the order on the wire is left, which nothing can tell from a lost
/// answer.
async fn settle_connections() -> Connection {
    let current_thread = tokio::runtime::Handle::try_current().is_ok_and(|handle| {
        handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread
    });
    if !current_thread {
        return Connection::Fresh;
    }
    tokio::time::sleep(ORDER_SETTLE).await;
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    Connection::Pooled
}

/// Percent-encodes one path segment.
fn path_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
