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

/// A PBX serial number: trimmed; letters and digits only, at most 64 (the client's
/// [`yeastar_partner::Sn`] rule and messages).
pub fn parse_sn(text: &str) -> Result<String, String> {
    text.parse::<yeastar_partner::Sn>()
        .map(String::from)
        .map_err(|error| error.to_string())
}

/// `--since`: an age (`7d`, `12h`) or a date (`YYYY-MM-DD`, from its start, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Ago(Duration),
    /// Epoch milliseconds.
    At(u64),
}

impl Since {
    /// The earliest creation time kept, in epoch milliseconds.
    pub fn cutoff_ms(self, now_ms: u64) -> u64 {
        match self {
            Since::Ago(age) => {
                now_ms.saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX))
            }
            Since::At(ms) => ms,
        }
    }
}

pub fn parse_since(text: &str) -> Result<Since, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is not an age such as 7d or 12h, or a date such as 2026-11-30");
    if text.len() == 10 && text.as_bytes()[4] == b'-' {
        let at = humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).map_err(|_| bad())?;
        let ms = at
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| bad())?
            .as_millis();
        return Ok(Since::At(u64::try_from(ms).map_err(|_| bad())?));
    }
    if !text.ends_with(['d', 'h', 'w', 'm']) || !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad());
    }
    humantime::parse_duration(text)
        .map(Since::Ago)
        .map_err(|_| bad())
}

/// `--limit`: a number of orders, or `all` (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<u64>);

pub fn parse_limit(text: &str) -> Result<Limit, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("all") {
        return Ok(Limit(None));
    }
    match text.parse::<u64>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(Limit(Some(n))),
        _ => Err(format!("'{text}' is not a number from 1 to 100000, or all")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_ages_and_dates() {
        assert_eq!(
            parse_since("7d"),
            Ok(Since::Ago(Duration::from_secs(7 * 86_400)))
        );
        assert_eq!(
            parse_since("12h"),
            Ok(Since::Ago(Duration::from_secs(12 * 3600)))
        );
        assert_eq!(parse_since("2026-11-30"), Ok(Since::At(1_795_996_800_000)));
        for bad in ["", "7", "d", "yesterday", "2026-13-01", "-7d"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Since::Ago(Duration::from_secs(3600)).cutoff_ms(7_200_000),
            3_600_000
        );
        assert_eq!(parse_limit("all"), Ok(Limit(None)));
        assert_eq!(parse_limit("20"), Ok(Limit(Some(20))));
        assert!(parse_limit("0").is_err());
    }
}
