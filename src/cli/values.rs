//! Parsers for flag values: each refuses a bad value with a message that says what a good one
//! looks like, before anything is sent.

use std::time::Duration;

pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
        return Err("the timeout is more than 0 and at most 3600 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// An `http://` or `https://` URL: anything else cannot be the portal.
pub fn parse_base_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" | "http" if url.has_host() => Ok(url),
        "https" | "http" => Err("the URL has no host".to_owned()),
        other => Err(format!(
            "the portal is reached over https:// (or http://), not {other}://"
        )),
    }
}

/// A PO number is printed on invoices: no control characters, at most 100 characters.
pub fn parse_po_number(text: &str) -> Result<String, String> {
    if let Some(bad) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a PO number cannot hold control characters such as {bad:?}"
        ));
    }
    if text.trim().chars().count() > 100 {
        return Err("a PO number has at most 100 characters".to_owned());
    }
    Ok(text.trim().to_owned())
}

/// An order number or ID: letters and digits.
pub fn parse_order(text: &str) -> Result<String, String> {
    let order = text.trim();
    if order.is_empty() || !order.chars().all(|c| c.is_ascii_alphanumeric()) || order.len() > 64 {
        return Err(format!(
            "{order:?} is not an order number or order ID (letters and digits only)"
        ));
    }
    Ok(order.to_owned())
}

pub fn parse_max_total(text: &str) -> Result<crate::quote::MaxTotal, String> {
    crate::quote::parse_max_total(text)
}

/// A PBX serial number: trimmed; letters and digits only.
pub fn parse_sn(text: &str) -> Result<String, String> {
    let sn = text.trim();
    if sn.is_empty() {
        return Err("the serial number is empty".to_owned());
    }
    if let Some(bad) = sn.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(format!(
            "a serial number has only letters and digits, not {bad:?} (see the PBX's Resource Monitor > Information)"
        ));
    }
    if sn.len() > 64 {
        return Err("the serial number is longer than 64 characters".to_owned());
    }
    Ok(sn.to_owned())
}
