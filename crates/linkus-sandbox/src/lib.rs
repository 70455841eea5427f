//! The sandbox portal: a fake Yeastar Partner Portal for rehearsing Linkus Cloud Service
//! orders without credentials or money. It imitates a remote portal, so it shares no code with
//! any client.

mod auth;
mod catalog;
mod envelope;
mod files;
mod fleet;
mod state;
mod time;

pub use auth::ACCOUNT;
pub use catalog::{CURRENCY, OFFERING_ID, PLANS, PRICES};
pub use envelope::{Answer, Call};
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
/// Create a Subordinate User (POST, JSON).
pub const SAVE_USER_PATH: &str = "/user/openapi/user/v1/client/save_user";
