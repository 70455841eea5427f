//! A client for the [Yeastar Partner Portal](https://help.yeastar.com) OpenAPI, the API that
//! resellers and MSPs use to buy subscriptions for their customers' PBXs.
//!
//! It knows the endpoints needed to buy, renew or switch **Linkus Cloud Service** (product 9):
//! tokens, plans, list prices, billing contacts, a PBX's current subscription, orders. It
//! knows nothing of terminals or command lines; [`linkus`](https://crates.io/crates/linkus) is
//! the command-line tool built on it.
//!
//! What it takes care of:
//!
//! - **Tokens.** An access token is requested with the client credentials, kept in a
//!   [`TokenStore`] of yours between runs, renewed with the refresh grant before it expires,
//!   and renewed once more when a request is answered 401.
//! - **The envelope.** A call succeeded only when the HTTP status is 2xx *and* the body's
//!   `code` is `success`; every [`Error`] carries the status, the portal's `code` and message,
//!   and its `requestId`.
//! - **Lenient parsing.** The docs leave many types open, so IDs are read from numbers or
//!   digit strings ([`PlanId`], [`BillingContactId`], [`OrderId`], never through a float), lists bare or wrapped, names through their
//!   aliases, and unknown fields are ignored. Prices are exact decimals ([`Money`]).
//! - **Orders sent at most once.** Reads are retried on transient failures; an order is sent
//!   again only when it provably never reached a live connection, and
//!   [`Client::create_order`] returns one [`OrderOutcome`]: created (with its number and
//!   status), rejected, not sent, or unknown.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use yeastar_partner::{Client, Credentials, OrderOutcome, OrderRequest, Secret, Sn};
//! use yeastar_partner::LINKUS_PRODUCT_ID;
//!
//! let client = Client::builder(
//!     yeastar_partner::DEFAULT_BASE_URL.parse()?,
//!     Credentials::new("client-id", Secret::new(std::env::var("CLIENT_SECRET")?)),
//! )
//! .user_agent("my-tool/1.0")
//! .build()?;
//!
//! let sn: Sn = "369471667338".parse()?;
//! let offer = client.offer(LINKUS_PRODUCT_ID, sn.as_str()).await?;
//! let contacts = client.billing_contacts().await?;
//! let order = OrderRequest::purchase(
//!     sn,
//!     offer.plans[0].plan_id,
//!     contacts[0].billing_contact_id,
//!     1,
//! )?;
//! match client.create_order(&order).await {
//!     OrderOutcome::Created(created) => println!("order {}", created.order_no),
//!     OrderOutcome::Rejected(why) | OrderOutcome::NotSent(why) => println!("nothing bought: {why}"),
//!     OrderOutcome::Unknown(why) => println!("check the portal before trying again: {why}"),
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

/// The README's usage snippet, compiled as a doctest (it is also `examples/buy.rs`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod client;
mod clock;
mod envelope;
mod error;
pub mod history;
mod ids;
mod json;
pub mod model;
mod money;
mod outcome;
mod paths;
mod retry;
mod secret;
mod token;
mod transport;

pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL};
pub use clock::{Clock, ManualClock, SystemClock};
pub use envelope::Reply;
pub use error::{Error, Phase};
pub use history::{CreatedAt, OrderHistory, Skew, HISTORY_CAP, HISTORY_PAGE_SIZE};
pub use ids::{BillingContactId, IdError, OrderId, OrderNo, PlanId, Sn, SnError};
pub use json::{Json, JsonError};

pub use model::{
    product_is_linkus, BillingContact, Offer, Operation, Order, OrderDetails, OrderRequest,
    OrderRequestError, OrderState, OrderStatus, Page, Plan, PlanPrice, PriceList, Subscription,
    SubscriptionCheck, LINKUS_PRODUCT_ID, YEARS,
};
pub use money::{Amount, AmountError, Money};
pub use outcome::{CreatedOrder, OrderCall, OrderOutcome};
pub use retry::RetryPolicy;
pub use secret::{Secret, REDACTED};
pub use token::{Credentials, MemoryTokenStore, Token, TokenStore};
pub use transport::{
    url_for, Body, Exchange, Headers, Method, Observer, RawResponse, Request, Resend, SentRequest,
    MAX_BODY, POOL_IDLE,
};
