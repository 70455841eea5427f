//! The API paths this client uses (partner-api.md sections 2–6).

pub const TOKEN_PATH: &str = "/auth/openapi/v1/oauth/token";
pub const PLANS_PATH: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
pub const PRICE_PATH: &str = "/pricing/openapi/purchase/v1/my_price_info";
pub const CONTACTS_PATH: &str = "/user/openapi/user/v1/client/billing_contact_list";
pub const ORDER_PATH: &str = "/order/openapi/order/v1/save";
pub const ORDERS_PATH: &str = "/order/openapi/order/v1/page";
pub const ORDER_DETAILS_PATH: &str = "/order/openapi/order/v1/get";
pub const PRODUCTS_PATH: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
pub const PRODUCT_DETAILS_PATH: &str = "/product/openapi/instance_product/v1/detail";
/// Enable Auto-renewal (partner-api.md 10.10). There is no path to switch it off.
pub const AUTO_RENEW_PATH: &str = "/product/openapi/instance_subscription/v1/active";
