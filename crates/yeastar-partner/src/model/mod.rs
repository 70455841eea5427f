//! Typed requests and answers, parsed leniently (partner-api.md section 10): IDs from numbers
//! or digit strings, lists bare or wrapped, aliases for names the docs leave open, unknown
//! fields ignored, and a missing optional field `None` rather than an error.

pub(crate) mod contacts;
pub(crate) mod lenient;
pub(crate) mod orders;
pub(crate) mod plans;
pub(crate) mod prices;
pub(crate) mod products;
pub(crate) mod request;

pub use contacts::BillingContact;
pub use orders::{product_is_linkus, Order, OrderDetails, OrderState, OrderStatus, Page};
pub use plans::{Offer, Plan};
pub use prices::{PlanPrice, PriceList};
pub use products::{Subscription, SubscriptionCheck};
pub use request::{Operation, OrderRequest, OrderRequestError, YEARS};

/// Linkus Cloud Service.
pub const LINKUS_PRODUCT_ID: u64 = 9;
