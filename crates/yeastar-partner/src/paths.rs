//! The API paths this client uses (partner-api.md sections 2–6).

/// Get an access token (partner-api.md 2).
pub const TOKEN_PATH: &str = "/auth/openapi/v1/oauth/token";
/// Query Available Subscription Plans (3.2).
pub const PLANS_PATH: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
/// Query Subscription Price (3.4).
pub const PRICE_PATH: &str = "/pricing/openapi/purchase/v1/my_price_info";
/// Query Billing Contact List (4).
pub const CONTACTS_PATH: &str = "/user/openapi/user/v1/client/billing_contact_list";
/// Create an Order (5.3).
pub const ORDER_PATH: &str = "/order/openapi/order/v1/save";
/// Query Order List (6.2).
pub const ORDERS_PATH: &str = "/order/openapi/order/v1/page";
/// Get Order Details (6.2).
pub const ORDER_DETAILS_PATH: &str = "/order/openapi/order/v1/get";
/// Query Product List (6.1).
pub const PRODUCTS_PATH: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
/// Get Product Details (10.7).
pub const PRODUCT_DETAILS_PATH: &str = "/product/openapi/instance_product/v1/detail";
/// Enable Auto-renewal (partner-api.md 10.10). There is no path to switch it off.
pub const AUTO_RENEW_PATH: &str = "/product/openapi/instance_subscription/v1/active";
