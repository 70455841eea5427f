//! The Partner Portal client: every request the CLI makes goes through [`Portal`].

pub mod envelope;
pub mod error;
pub mod http;
pub mod ids;
pub mod token;
pub mod types;

pub use envelope::Reply;
pub use error::{Phase, PortalError};
pub use ids::Id;

use http::{Body, Http, RawResponse, Request, Resend};
use token::{Token, TokenManager};
use types::{
    decode, decode_list, BillingContact, Order, Page, Plan, ProductInstance, ProductOffer,
    LINKUS_PRODUCT_ID,
};

pub const PLANS_PATH: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
pub const CONTACTS_PATH: &str = "/user/openapi/user/v1/client/billing_contact_list";
pub const ORDER_PATH: &str = "/order/openapi/order/v1/save";
pub const ORDERS_PATH: &str = "/order/openapi/order/v1/page";
pub const ORDER_DETAILS_PATH: &str = "/order/openapi/order/v1/get";
pub const INSTANCES_PATH: &str =
    "/product/openapi/instance_product/v1/client/instance_product_list";

/// The plans and services the portal offers for one PBX.
#[derive(Debug, Clone)]
pub struct Offer {
    pub product_id: u64,
    pub product_no: String,
    pub plans: Vec<Plan>,
    pub services: Vec<serde_json::Value>,
}

pub struct Portal {
    http: Http,
    tokens: TokenManager,
}

impl Portal {
    pub fn new(http: Http, tokens: TokenManager) -> Self {
        Portal { http, tokens }
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    pub fn tokens(&self) -> &TokenManager {
        &self.tokens
    }

    /// The current token (for the account shown in summaries).
    pub async fn token(&self) -> Result<Token, PortalError> {
        self.tokens.token(&self.http).await
    }

    /// Sends an authenticated request. A 401 renews the token once and sends once more;
    /// other resends are the request's [`Resend`] policy's.
    pub async fn send(&self, request: &Request) -> Result<RawResponse, PortalError> {
        let token = self.tokens.token(&self.http).await?;
        let response = self.http.send(request, Some(&token.authorization)).await?;
        if response.status != 401 {
            return Ok(response);
        }
        let renewed = self.tokens.renew(&self.http, &token).await?;
        self.http.send(request, Some(&renewed.authorization)).await
    }

    /// An authenticated read whose envelope must say `success`.
    pub async fn read(&self, request: Request) -> Result<Reply, PortalError> {
        let response = self.send(&request).await?;
        envelope::parse(&request.endpoint(), response.status, &response.body)
    }

    /// Query Available Subscription Plans for a PBX (partner-api.md 3.2, 10.2).
    pub async fn offer(&self, sn: &str, product_id: u64) -> Result<Offer, PortalError> {
        let request = Request::get(PLANS_PATH)
            .query("productId", product_id)
            .query("productNo", sn);
        let endpoint = request.endpoint();
        let reply = self.read(request).await?;
        let offer: ProductOffer = decode(&endpoint, &reply, reply.result.clone())?;
        let plans = match offer.plan_list {
            Some(list) => decode_list(&endpoint, &reply, list)?,
            None => Vec::new(),
        };
        Ok(Offer {
            product_id: offer.product_id.unwrap_or(product_id),
            product_no: sn.to_owned(),
            plans,
            services: offer
                .service_list
                .map(types::list_items)
                .unwrap_or_default(),
        })
    }

    /// Query Billing Contact List (partner-api.md 4, 10.3).
    pub async fn billing_contacts(&self) -> Result<Vec<BillingContact>, PortalError> {
        let request = Request::get(CONTACTS_PATH);
        let endpoint = request.endpoint();
        let reply = self.read(request).await?;
        decode_list(&endpoint, &reply, reply.result.clone())
    }

    /// One page of a paginated list.
    async fn page<T: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<(Vec<T>, u64), PortalError> {
        let endpoint = request.endpoint();
        let reply = self.read(request).await?;
        let page: Page = decode(&endpoint, &reply, reply.result.clone())?;
        let items = decode_list(
            &endpoint,
            &reply,
            page.results.unwrap_or(serde_json::Value::Null),
        )?;
        Ok((items, page.total_page.unwrap_or(1)))
    }

    /// Query Product List for Linkus, every page (partner-api.md 6.1, 10.5). The first page
    /// says how many there are; the rest are fetched a few at a time, so that a partner with
    /// thousands of PBXs waits one more round trip, not one per page.
    pub async fn linkus_instances(&self) -> Result<Vec<ProductInstance>, PortalError> {
        use futures_util::{StreamExt, TryStreamExt};
        // A bound on pages, so that a portal that misreports `totalPage` cannot run us away.
        const MAX_PAGES: u64 = 100;
        const AT_ONCE: usize = 6;
        let request = |page_no: u64| {
            Request::get(INSTANCES_PATH)
                .query("productId", LINKUS_PRODUCT_ID)
                .query("pageNo", page_no)
                .query("pageSize", 100)
        };
        let (mut all, total_pages) = self.page::<ProductInstance>(request(1)).await?;
        if all.is_empty() || total_pages <= 1 {
            return Ok(all);
        }
        let rest: Vec<Vec<ProductInstance>> = futures_util::stream::iter(
            2..=total_pages.min(MAX_PAGES),
        )
        .map(|page_no| async move { self.page(request(page_no)).await.map(|(items, _)| items) })
        .buffered(AT_ONCE)
        .try_collect()
        .await?;
        all.extend(rest.into_iter().flatten());
        Ok(all)
    }

    /// One page of Query Order List (partner-api.md 6.2).
    pub async fn orders_page(
        &self,
        page_no: u64,
        page_size: u64,
    ) -> Result<(Vec<Order>, u64), PortalError> {
        let request = Request::get(ORDERS_PATH)
            .query("pageNo", page_no)
            .query("pageSize", page_size);
        self.page(request).await
    }

    /// Get Order Details by order number or ID (partner-api.md 6.2).
    pub async fn order_details(&self, order: &str) -> Result<Reply, PortalError> {
        let path = format!("{ORDER_DETAILS_PATH}/{}", url_segment(order));
        self.read(Request::get(path)).await
    }

    /// Sends Create an Order. It is sent again only when the connection could not be opened,
    /// or once after a 401. The answer says whether the order may have reached the portal.
    pub async fn create_order(&self, body: Vec<u8>) -> OrderSend {
        let request = Request {
            method: reqwest::Method::POST,
            path: ORDER_PATH.to_owned(),
            query: Vec::new(),
            body: Body::Json(body),
            resend: Resend::OnlyIfNotSent,
        };
        let token = match self.tokens.token(&self.http).await {
            Ok(token) => token,
            Err(error) => return OrderSend::NotSent(error),
        };
        let response = match self.send_order_once(&request, &token).await {
            Ok(response) if response.status == 401 => response,
            other => return other.into(),
        };
        // The portal refused the token, so it did not take the order: renew and send once more.
        drop(response);
        let renewed = match self.tokens.renew(&self.http, &token).await {
            Ok(token) => token,
            Err(error) => return OrderSend::Refused(error),
        };
        self.send_order_once(&request, &renewed).await.into()
    }

    async fn send_order_once(
        &self,
        request: &Request,
        token: &Token,
    ) -> Result<RawResponse, PortalError> {
        self.http.send(request, Some(&token.authorization)).await
    }
}

/// What became of an order request on the wire.
#[derive(Debug)]
pub enum OrderSend {
    /// The portal answered (with any status).
    Answered(RawResponse),
    /// The request provably never left the machine.
    NotSent(PortalError),
    /// The portal refused the token (401) and no new one could be had: the order was sent but
    /// not taken.
    Refused(PortalError),
    /// The request was sent and the answer was lost: timeout, reset, unreadable body.
    Unknown(PortalError),
}

impl From<Result<RawResponse, PortalError>> for OrderSend {
    fn from(result: Result<RawResponse, PortalError>) -> Self {
        match result {
            Ok(response) => OrderSend::Answered(response),
            Err(error) if error.phase() == Some(Phase::Connect) => OrderSend::NotSent(error),
            Err(error) => OrderSend::Unknown(error),
        }
    }
}

/// Percent-encodes one path segment.
pub fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
