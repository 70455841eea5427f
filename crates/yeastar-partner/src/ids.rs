//! 64-bit IDs and other leniently parsed values (partner-api.md 10.6).
//!
//! Plan, billing-contact and order IDs are above 2^53, so they never pass through `f64`:
//! they are read from a JSON number or a string of digits straight into a `u64`, written to
//! the portal as JSON numbers digit for digit ([`as_number`]), and serialized everywhere else
//! as JSON strings, so that readers that hold numbers as doubles cannot corrupt them.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A portal ID: a 64-bit unsigned integer that is never a float.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a text is not an ID.
pub enum IdError {
    #[error("an ID cannot be empty")]
    /// The text was empty.
    Empty,
    #[error("an ID has only digits, not {0:?}")]
    /// The text has something other than digits.
    NotDigits(String),
    #[error("the ID {0} does not fit in 64 bits")]
    /// The number is larger than `u64::MAX`.
    TooLarge(String),
}

impl FromStr for Id {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.trim();
        if digits.is_empty() {
            return Err(IdError::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::NotDigits(digits.to_owned()));
        }
        digits
            .parse::<u64>()
            .map(Id)
            .map_err(|_| IdError::TooLarge(digits.to_owned()))
    }
}

/// In our own output, IDs are JSON strings (CLI.md section 5).
impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ID as a JSON integer or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Id, E> {
        Ok(Id(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Id, E> {
        u64::try_from(value)
            .map(Id)
            .map_err(|_| E::custom(format!("an ID cannot be negative ({value})")))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Id, E> {
        Err(E::custom(format!(
            "an ID must be an integer, not the floating-point number {value} (its digits may be lost)"
        )))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Id, E> {
        value.parse().map_err(E::custom)
    }
}

/// Writes an ID as a JSON number, digit for digit (the order body, partner-api.md 10.4).
pub fn as_number<S: Serializer>(id: &Id, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(id.0)
}

/// A text field that the portal may send as a string or as a number.
pub fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(lenient_opt_string(deserializer)?.unwrap_or_default())
}

/// Like [`lenient_string`], with `null` (or an absent field, via `#[serde(default)]`) as `None`.
pub fn lenient_opt_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    struct TextVisitor;
    impl Visitor<'_> for TextVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(TextVisitor)
}

/// A count or a duration that may come as a number or a string of digits (`expiresIn`).
pub fn lenient_opt_u64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    struct CountVisitor;
    impl Visitor<'_> for CountVisitor {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative whole number or a string of digits")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("expected a non-negative number, got {v}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.is_finite() && v >= 0.0 && v <= u32::MAX as f64 {
                Ok(Some(v as u64))
            } else {
                Err(E::custom(format!("expected a whole number, got {v}")))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| E::custom(format!("expected a number, got {v:?}")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(CountVisitor)
}

/// A flag that may come as `true`/`false`, `0`/`1`, or a string of either (`autoRenewStatus`).
pub fn lenient_opt_bool<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    struct FlagVisitor;
    impl Visitor<'_> for FlagVisitor {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true, false, 0 or 1")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Some(true),
                "0" | "false" | "no" | "off" => Some(false),
                _ => None,
            })
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(FlagVisitor)
}

/// An optional ID: absent, `null` or `""` are `None`.
pub fn lenient_opt_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Id>, D::Error> {
    struct OptIdVisitor;
    impl Visitor<'_> for OptIdVisitor {
        type Value = Option<Id>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            IdVisitor.expecting(f)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            IdVisitor.visit_u64(v).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            IdVisitor.visit_i64(v).map(Some)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            IdVisitor.visit_f64(v).map(Some)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                IdVisitor.visit_str(v).map(Some)
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(OptIdVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Deserialize)]
    struct Holder {
        id: Id,
    }

    fn parse(json: &str) -> Result<Id, String> {
        serde_json::from_str::<Holder>(json)
            .map(|h| h.id)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn ids_come_from_numbers_or_digit_strings() {
        assert_eq!(
            parse(r#"{"id": 3197218168379846218}"#),
            Ok(Id(3197218168379846218))
        );
        assert_eq!(
            parse(r#"{"id": "3197218168379846218"}"#),
            Ok(Id(3197218168379846218))
        );
        assert_eq!(parse(r#"{"id": " 42 "}"#), Ok(Id(42)));
        assert_eq!(parse(r#"{"id": 18446744073709551615}"#), Ok(Id(u64::MAX)));
    }

    #[test]
    fn ids_never_go_through_floats() {
        assert!(parse(r#"{"id": 3.048918321840570368e18}"#)
            .unwrap_err()
            .contains("floating-point"));
        // One more than u64::MAX: serde_json would hand us a float; we refuse it.
        assert!(parse(r#"{"id": 18446744073709551616}"#).is_err());
        assert!(parse(r#"{"id": "18446744073709551616"}"#)
            .unwrap_err()
            .contains("64 bits"));
        assert!(parse(r#"{"id": -1}"#).is_err());
        assert!(parse(r#"{"id": "12a"}"#).is_err());
        assert!(parse(r#"{"id": ""}"#).is_err());
        assert!(parse(r#"{"id": null}"#).is_err());
    }

    #[test]
    fn ids_print_as_strings_and_as_numbers_in_order_bodies() {
        #[derive(Serialize)]
        struct Body {
            #[serde(serialize_with = "as_number")]
            billing_id: Id,
            shown: Id,
        }
        let body = Body {
            billing_id: Id(3197218168379846218),
            shown: Id(3048918321840570368),
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"billing_id":3197218168379846218,"shown":"3048918321840570368"}"#
        );
    }

    proptest! {
        #[test]
        fn every_u64_round_trips_through_a_number(value: u64) {
            let json = format!(r#"{{"id": {value}}}"#);
            prop_assert_eq!(parse(&json), Ok(Id(value)));
        }

        #[test]
        fn every_u64_round_trips_through_a_string(value: u64) {
            let json = serde_json::to_string(&serde_json::json!({"id": Id(value)})).unwrap();
            prop_assert_eq!(parse(&json), Ok(Id(value)));
        }

        #[test]
        fn every_u64_round_trips_through_the_order_body_form(value: u64) {
            let mut out = Vec::new();
            as_number(&Id(value), &mut serde_json::Serializer::new(&mut out)).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), value.to_string());
        }

        #[test]
        fn id_parsing_never_panics(text in ".*") {
            let _ = text.parse::<Id>();
            let _ = parse(&format!(r#"{{"id": {text}}}"#));
        }
    }
}
