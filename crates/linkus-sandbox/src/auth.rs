//! The token endpoint (partner-api.md 2.3, 2.4, 10.1) and the check of access tokens: any
//! client ID and secret are granted JWT-shaped tokens that expire like the real ones.

use std::collections::HashMap;

use base64::Engine;
use serde_json::{json, Value};

use crate::envelope::{answer, invalid, ok, Answer, Call};
use crate::time::now_ms;

/// The partner account every sandbox token belongs to.
pub const ACCOUNT: &str = "sandbox-partner@example.com";

const ACCESS_LIFETIME: u64 = 1800;
const REFRESH_LIFETIME: u64 = 15 * 24 * 3600;

/// `grant_type=pp_credentials` with any non-empty client ID and secret, or
/// `grant_type=refresh_token` with a refresh token the sandbox issued and that has not expired.
pub(crate) fn token(call: &Call) -> Answer {
    let form: HashMap<String, String> = url::form_urlencoded::parse(call.body)
        .into_owned()
        .collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    match field("grant_type") {
        "pp_credentials"
            if !field("client_id").is_empty() && !field("client_secret").is_empty() =>
        {
            issue(field("client_id"))
        }
        "pp_credentials" => answer(
            401,
            "invalid_client",
            "client_id and client_secret are required.",
            Value::Null,
        ),
        "refresh_token" => match claims(field("refresh_token")) {
            Some(claims)
                if claims["token_type"] == "refresh"
                    && claims["exp"].as_u64() > Some(now_ms() / 1000) =>
            {
                issue(claims["client_id"].as_str().unwrap_or("sandbox"))
            }
            _ => answer(
                401,
                "invalid_grant",
                "The refresh token is invalid or has expired.",
                Value::Null,
            ),
        },
        _ => invalid(
            "grant_type",
            "grant_type must be pp_credentials or refresh_token.",
        ),
    }
}

fn issue(client_id: &str) -> Answer {
    let now = now_ms() / 1000;
    ok(json!({
        "token": jwt(client_id, "openapi", now + ACCESS_LIFETIME),
        "tokenHead": "Bearer ",
        "expiresIn": ACCESS_LIFETIME.to_string(),
        "refreshToken": jwt(client_id, "refresh", now + REFRESH_LIFETIME),
    }))
}

/// A JWT-shaped token with the claims of the guide's sample, unsigned: it only has to look
/// and expire like the real thing.
fn jwt(client_id: &str, kind: &str, exp: u64) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = engine.encode(
        json!({
            "aud": ["openapi"],
            "X-MS-USER": {"type": "partner", "userCode": "Distributor", "username": ACCOUNT},
            "user_name": ACCOUNT,
            "scope": ["all"],
            "exp": exp,
            "token_type": kind,
            "jti": format!("{:016x}", fastrand::u64(..)),
            "client_id": client_id,
        })
        .to_string(),
    );
    format!("{header}.{payload}.sandbox")
}

fn claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if signature != "sandbox" {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether the `Authorization` header carries an access token the sandbox issued that has not
/// expired (a refresh token is not an access token).
pub(crate) fn authorized(header: Option<&str>) -> bool {
    let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    claims(token.trim()).is_some_and(|c| {
        c["token_type"] == "openapi" && c["exp"].as_u64().is_some_and(|exp| exp > now_ms() / 1000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_the_claims_of_the_guide_s_sample() {
        let granted = token(&Call {
            method: "POST",
            path: crate::TOKEN_PATH,
            query: Vec::new(),
            authorization: None,
            body: b"client_id=a&client_secret=b&grant_type=pp_credentials",
        });
        let access = granted.body["result"]["token"].as_str().unwrap();
        let claims = claims(access).unwrap();
        assert_eq!(claims["user_name"], ACCOUNT);
        assert_eq!(claims["X-MS-USER"]["userCode"], "Distributor");
        assert_eq!(claims["X-MS-USER"]["username"], ACCOUNT);
        assert_eq!(claims["client_id"], "a");
        assert!(claims["exp"].as_u64().unwrap() > now_ms() / 1000 + 1700);
        assert!(authorized(Some(&format!("Bearer {access}"))));
        assert!(!authorized(Some(access)));
        assert!(!authorized(Some("Bearer a.b.c")));
    }
}
