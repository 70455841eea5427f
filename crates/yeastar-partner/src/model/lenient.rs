//! Readers for fields whose type the docs leave open: times, offering IDs and amounts that may
//! be numbers or strings, read from the JSON text itself.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::clock::portal_time_ms;
use crate::money::{amount_from_json, Amount};

/// A JSON string's text, or the digits of a number; `None` for null, objects and arrays.
pub(crate) fn scalar_text(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(text).ok(),
        b'-' | b'0'..=b'9' | b't' | b'f' => Some(text.to_owned()),
        _ => None,
    }
}

/// A time given as epoch milliseconds or seconds (a number or a digit string), or as a date
/// (`YYYY-MM-DD`, with or without a time, read as UTC; or RFC 3339). `None` when it cannot be
/// read: shown as unknown, never guessed.
pub(crate) fn time_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u64>().ok().map(portal_time_ms);
    }
    let with_time = if text.len() == 10 {
        format!("{text} 00:00:00")
    } else {
        text.to_owned()
    };
    let time = humantime::parse_rfc3339_weak(&with_time)
        .or_else(|_| humantime::parse_rfc3339(text))
        .ok()?;
    Some(crate::clock::epoch_ms(time))
}

/// A time as this client reads it from a field's JSON text (epoch milliseconds or seconds, a
/// date, or RFC 3339), as epoch milliseconds: for [`opt_time`] and [`crate::Json::as_time`].
pub(crate) fn time_of(raw: &RawValue) -> Option<u64> {
    scalar_text(raw).and_then(|text| time_ms(&text))
}

/// A time read by [`time_of`]; anything it cannot read is `None`.
pub(crate) fn opt_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<std::time::SystemTime>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    Ok(raw.as_deref().and_then(time_of).map(crate::clock::from_ms))
}

/// An amount from a number or a string, digit for digit; anything else is `None`.
pub(crate) fn opt_amount<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Amount>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    Ok(raw.as_deref().and_then(amount_from_json))
}

/// An offering ID: a string, a number, or (Query Available Subscription Products, 3.1) an array
/// whose first element is taken.
pub(crate) fn opt_offering<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get().trim();
    if text.starts_with('[') {
        let items: Vec<Box<RawValue>> = serde_json::from_str(text).unwrap_or_default();
        return Ok(items
            .first()
            .and_then(|item| scalar_text(item))
            .filter(|t| !t.is_empty()));
    }
    Ok(scalar_text(&raw).filter(|t| !t.is_empty()))
}

/// A whole number of cycles (1–255); anything else is `None`.
pub(crate) fn opt_cycles<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u8>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    Ok(raw
        .as_deref()
        .and_then(scalar_text)
        .and_then(|text| text.trim().parse::<u8>().ok())
        .filter(|cycles| *cycles > 0))
}

/// A list of cycles (`multiCycleList`): numbers or digit strings; others are skipped.
pub(crate) fn opt_cycle_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<u8>>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    let Some(raw) = raw else { return Ok(None) };
    let items: Vec<Box<RawValue>> = match serde_json::from_str(raw.get()) {
        Ok(items) => items,
        Err(_) => return Ok(None),
    };
    let cycles: Vec<u8> = items
        .iter()
        .filter_map(|item| scalar_text(item)?.trim().parse::<u8>().ok())
        .filter(|cycles| *cycles > 0)
        .collect();
    Ok(Some(cycles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_come_as_dates_or_epoch_numbers() {
        assert_eq!(time_ms("2027-11-29 00:00:00"), Some(1_827_446_400_000));
        assert_eq!(time_ms("2027-11-29"), Some(1_827_446_400_000));
        assert_eq!(time_ms("2027-11-29T00:00:00Z"), Some(1_827_446_400_000));
        assert_eq!(time_ms("1827446400"), Some(1_827_446_400_000));
        assert_eq!(time_ms("1827446400000"), Some(1_827_446_400_000));
        assert_eq!(time_ms("next year"), None);
        assert_eq!(time_ms(""), None);
    }
}
