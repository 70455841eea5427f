//! `linkus api METHOD PATH`: one authenticated request to any portal path, like `gh api`.

use std::io::Read;

use anyhow::{Context as _, Result};

use crate::cli::{ApiArgs, HttpMethod};
use crate::context::Context;
use crate::error::{Failure, Kind};
use crate::portal::http::{Body, Request, Resend};
use crate::portal::{envelope, Phase, PortalError};

/// A `-F` value as JSON text: numbers exactly as typed, `true`, `false`, `null`; anything else
/// a string.
pub fn typed_literal(value: &str) -> String {
    let trimmed = value.trim();
    let is_number = serde_json::from_str::<serde_json::Number>(trimmed).is_ok();
    if is_number || matches!(trimmed, "true" | "false" | "null") {
        trimmed.to_owned()
    } else {
        serde_json::Value::String(value.to_owned()).to_string()
    }
}

fn split_field(field: &str) -> Result<(&str, &str)> {
    match field.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value)),
        _ => Err(Failure::usage(format!("{field:?} is not KEY=VALUE.")).into()),
    }
}

/// The JSON object of the fields, written by hand so that numbers keep every digit.
fn json_body(fields: &[(String, String)]) -> Vec<u8> {
    let members: Vec<String> = fields
        .iter()
        .map(|(key, literal)| format!("{}:{literal}", serde_json::Value::String(key.clone())))
        .collect();
    format!("{{{}}}", members.join(",")).into_bytes()
}

pub async fn run(ctx: &Context, args: ApiArgs) -> Result<()> {
    let path = args.path.trim();
    if !path.starts_with('/') || path.contains("://") {
        return Err(Failure::usage(format!(
            "{path:?} is not an API path; it starts with '/', as in /order/openapi/order/v1/page."
        ))
        .into());
    }
    let method = match args.method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    };
    let mut fields: Vec<(String, String, bool)> = Vec::new();
    for field in &args.fields {
        let (key, value) = split_field(field)?;
        fields.push((key.to_owned(), value.to_owned(), false));
    }
    for field in &args.typed_fields {
        let (key, value) = split_field(field)?;
        fields.push((key.to_owned(), value.to_owned(), true));
    }

    let (query, body) = if method == reqwest::Method::GET {
        if args.input.is_some() {
            return Err(Failure::usage("--input sends a body, which GET does not have.").into());
        }
        let query = fields
            .into_iter()
            .map(|(k, v, _)| (k, v.trim().to_owned()))
            .collect();
        (query, Body::Empty)
    } else if let Some(input) = &args.input {
        let mut bytes = Vec::new();
        if input.as_os_str() == "-" {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("could not read the body from stdin")?;
        } else {
            bytes = std::fs::read(input).map_err(|e| {
                Failure::usage(format!("Could not read --input {}: {e}", input.display()))
            })?;
        }
        (Vec::new(), Body::Json(bytes))
    } else if fields.is_empty() {
        (Vec::new(), Body::Empty)
    } else {
        let literals: Vec<(String, String)> = fields
            .into_iter()
            .map(|(key, value, typed)| {
                let literal = if typed {
                    typed_literal(&value)
                } else {
                    serde_json::Value::String(value).to_string()
                };
                (key, literal)
            })
            .collect();
        (Vec::new(), Body::Json(json_body(&literals)))
    };

    let resend = if method == reqwest::Method::GET {
        Resend::Idempotent
    } else {
        Resend::OnlyIfNotSent
    };
    let request = Request {
        method,
        path: path.to_owned(),
        query,
        body,
        resend,
    };
    let endpoint = request.endpoint();
    let portal = ctx.portal()?;
    let response = match portal.send(&request).await {
        Ok(response) => response,
        Err(error)
            if resend == Resend::OnlyIfNotSent
                && error.phase() != Some(Phase::Connect)
                && !matches!(
                    error,
                    PortalError::Rejected {
                        credentials: true,
                        ..
                    }
                ) =>
        {
            let failure = Failure::new(
                Kind::OrderUnknown,
                format!("{endpoint} was sent, but no definitive answer came back; its effect is unknown."),
            )
            .hint("Check the portal before sending it again.");
            return Err(anyhow::Error::from(error).context(failure));
        }
        Err(error) => return Err(error.into()),
    };

    ctx.out.print(&pretty(&response.body))?;
    match envelope::parse(&endpoint, response.status, &response.body) {
        Ok(_) => Ok(()),
        Err(error) => {
            // A request that may change something and got a 5xx may or may not have taken effect.
            let kind = if resend == Resend::OnlyIfNotSent && response.status >= 500 {
                Kind::OrderUnknown
            } else {
                error.kind()
            };
            let mut failure = Failure::new(kind, error.to_string());
            failure.stdout_written = true;
            failure.request_id = error.request_id().map(str::to_owned);
            Err(anyhow::Error::from(error).context(failure))
        }
    }
}

/// Indents a JSON body without parsing its numbers, so that they come out digit for digit.
/// Anything that is not JSON is printed as it came.
pub fn pretty(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
        return text.into_owned();
    }
    jsonxf::pretty_print(&text).unwrap_or_else(|_| text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_keep_their_type_and_digits() {
        assert_eq!(typed_literal("3197218168379846218"), "3197218168379846218");
        assert_eq!(
            typed_literal("0.10000000000000000001"),
            "0.10000000000000000001"
        );
        assert_eq!(typed_literal("true"), "true");
        assert_eq!(typed_literal("null"), "null");
        assert_eq!(typed_literal("abc"), "\"abc\"");
        assert_eq!(
            String::from_utf8(json_body(&[(
                "billingId".into(),
                typed_literal("3197218168379846218")
            )]))
            .unwrap(),
            r#"{"billingId":3197218168379846218}"#
        );
    }

    #[test]
    fn pretty_printing_keeps_numbers_digit_for_digit() {
        let body = br#"{"id":3206190457467703296,"big":123456789012345678901234567890,"f":1.10}"#;
        let text = pretty(body);
        assert!(text.contains("3206190457467703296"));
        assert!(text.contains("123456789012345678901234567890"));
        assert!(text.contains("1.10"));
        assert_eq!(pretty(b"<html>"), "<html>");
    }
}
