//! The user endpoints the sandbox answers: Create a Subordinate User (partner-api.md 6.3).

use serde_json::Value;

use crate::envelope::{invalid, ok, Answer};

/// Create a Subordinate User (6.3): the body is checked, nothing is kept.
pub(crate) fn save_user(body: &[u8]) -> Answer {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return invalid("body", "The body is not a JSON object.");
    };
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if text("userType") != Some("Customer") {
        return invalid("userType", "userType is required and must be Customer.");
    }
    let email = text("yeastarId").unwrap_or("");
    let looks_like_email = email
        .split_once('@')
        .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'));
    if !looks_like_email {
        return invalid(
            "yeastarId",
            "yeastarId is required and must be an e-mail address.",
        );
    }
    for field in ["company", "country"] {
        if text(field).is_none() {
            return invalid(field, &format!("{field} is required."));
        }
    }
    if text("firstName").is_none() && text("lastName").is_none() {
        return invalid("firstName", "firstName or lastName is required.");
    }
    for field in [
        "firstName",
        "lastName",
        "phoneNumber",
        "stateProvince",
        "city",
        "street",
        "zipCode",
        "remark",
        "taxNum",
    ] {
        if !matches!(body.get(field), None | Some(Value::Null | Value::String(_))) {
            return invalid(field, &format!("{field} must be a string."));
        }
    }
    const TAX_TYPES: [&str; 5] = ["VAT_number", "Tax_ID", "TIN_number", "RUC", "CUIT"];
    match body.get("taxType") {
        None | Some(Value::Null) => {}
        Some(Value::String(kind)) if TAX_TYPES.contains(&kind.as_str()) => {}
        Some(_) => {
            return invalid(
                "taxType",
                "taxType must be VAT_number, Tax_ID, TIN_number, RUC or CUIT.",
            )
        }
    }
    if !matches!(
        body.get("sendUserActivationEmail"),
        None | Some(Value::Null | Value::Bool(_))
    ) {
        return invalid(
            "sendUserActivationEmail",
            "sendUserActivationEmail must be a boolean.",
        );
    }
    ok(Value::Bool(true))
}
