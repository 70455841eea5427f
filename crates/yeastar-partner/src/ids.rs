//! Typed IDs ([`PlanId`], [`BillingContactId`], [`OrderId`], [`Sn`], [`OrderNo`]) and other
//! leniently parsed values (partner-api.md 10.6).
//!
//! Plan, billing-contact and order IDs are above 2^53, so they never pass through `f64`:
//! they are read from a JSON number or a string of digits straight into a `u64`, written to
//! the portal as JSON numbers digit for digit, and serialized everywhere else
//! as JSON strings, so that readers that hold numbers as doubles cannot corrupt them.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The lenient reading of every numeric ID: a JSON integer or a string of digits, into a
/// `u64`, never through a float.
pub(crate) trait NumericId: Sized {
    fn from_u64(id: u64) -> Self;
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Read from a JSON integer or a string of digits (never through a float), shown and
        /// serialized as a string of digits, written to the portal's order body as a JSON
        /// number digit for digit.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            /// The ID with this number.
            pub const fn new(id: u64) -> Self {
                $name(id)
            }

            /// The ID's number.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl NumericId for $name {
            fn from_u64(id: u64) -> Self {
                $name(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            /// Digits only (surrounding spaces ignored), at most `u64::MAX`.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_digits(text).map($name)
            }
        }

        /// In our own output, IDs are JSON strings (CLI.md section 5).
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(IdVisitor).map($name)
            }
        }
    };
}

numeric_id!(
    /// A plan's ID (`planId`, the order's `serviceList[].serviceId`).
    PlanId
);
numeric_id!(
    /// A billing contact's ID (`billingContactId`, the order's `billingId`).
    BillingContactId
);
numeric_id!(
    /// An order's ID (`id` in Query Order List; Get Order Details takes it as well as the
    /// order number).
    OrderId
);

/// Why a text is not an ID (or an order number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text was empty.
    #[error("an ID cannot be empty")]
    Empty,
    /// The text has something other than digits.
    #[error("an ID has only digits, not {0:?}")]
    NotDigits(String),
    /// The number is larger than `u64::MAX`.
    #[error("the ID {0} does not fit in 64 bits")]
    TooLarge(String),
    /// An order number with something other than letters and digits, or longer than 64.
    #[error("an order number has only letters and digits (at most 64), not {0:?}")]
    NotOrderNo(String),
}

fn parse_digits(text: &str) -> Result<u64, IdError> {
    let digits = text.trim();
    if digits.is_empty() {
        return Err(IdError::Empty);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDigits(digits.to_owned()));
    }
    digits
        .parse::<u64>()
        .map_err(|_| IdError::TooLarge(digits.to_owned()))
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ID as a JSON integer or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
        u64::try_from(value).map_err(|_| E::custom(format!("an ID cannot be negative ({value})")))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<u64, E> {
        Err(E::custom(format!(
            "an ID must be an integer, not the floating-point number {value} (its digits may be lost)"
        )))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<u64, E> {
        parse_digits(value).map_err(E::custom)
    }
}

/// A PBX's serial number (`productNo`): letters and digits only, at most 64, surrounding
/// spaces removed. The same rule as `linkus --sn`.
///
/// ```
/// use yeastar_partner::Sn;
/// let sn: Sn = " 369471667338 ".parse().unwrap();
/// assert_eq!(sn.as_str(), "369471667338");
/// assert!("3694-7166".parse::<Sn>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sn(String);

/// Why a text is not a serial number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnError {
    /// Nothing but spaces.
    #[error("the serial number is empty")]
    Empty,
    /// A character other than a letter or a digit.
    #[error("a serial number has only letters and digits, not {0:?} (see the PBX's Resource Monitor > Information)")]
    NotAlphanumeric(char),
    /// Longer than 64 characters.
    #[error("the serial number is longer than 64 characters")]
    TooLong,
}

impl Sn {
    /// The serial number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Sn {
    type Err = SnError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let sn = text.trim();
        if sn.is_empty() {
            return Err(SnError::Empty);
        }
        if let Some(bad) = sn.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(SnError::NotAlphanumeric(bad));
        }
        if sn.len() > 64 {
            return Err(SnError::TooLong);
        }
        Ok(Sn(sn.to_owned()))
    }
}

impl fmt::Display for Sn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sn({:?})", self.0)
    }
}

impl AsRef<str> for Sn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Sn> for String {
    fn from(sn: Sn) -> String {
        sn.0
    }
}

impl Serialize for Sn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// From a string or a number (an SN of digits), then checked like [`Sn::from_str`].
impl<'de> Deserialize<'de> for Sn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = lenient_string(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

/// An order number (`orderNo`, such as `LR3206190457467703296`), as the portal wrote it.
///
/// Parsed from text ([`FromStr`]) it has letters and digits only, at most 64; read from the
/// portal (a string or a number) it is kept as sent.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderNo(String);

impl OrderNo {
    /// The order number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An order number as the portal wrote it, unchecked.
    pub(crate) fn from_portal(text: String) -> Self {
        OrderNo(text)
    }
}

impl FromStr for OrderNo {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let no = text.trim();
        if no.is_empty() {
            return Err(IdError::Empty);
        }
        if no.len() > 64 || !no.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(IdError::NotOrderNo(no.to_owned()));
        }
        Ok(OrderNo(no.to_owned()))
    }
}

impl fmt::Display for OrderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderNo({:?})", self.0)
    }
}

/// An order number reads as the text the portal wrote.
impl std::ops::Deref for OrderNo {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for OrderNo {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<OrderNo> for String {
    fn from(no: OrderNo) -> String {
        no.0
    }
}

impl PartialEq<str> for OrderNo {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for OrderNo {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for OrderNo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// From a string or a number, kept as sent.
impl<'de> Deserialize<'de> for OrderNo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient_string(deserializer).map(OrderNo)
    }
}

/// Like [`lenient_opt_string`], as an order number.
pub(crate) fn lenient_opt_order_no<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<OrderNo>, D::Error> {
    Ok(lenient_opt_string(deserializer)?.map(OrderNo))
}

/// A text field that the portal may send as a string or as a number.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    Ok(lenient_opt_string(deserializer)?.unwrap_or_default())
}

/// Like [`lenient_string`], with `null` (or an absent field, via `#[serde(default)]`) as `None`.
pub(crate) fn lenient_opt_string<'de, D: Deserializer<'de>>(
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
pub(crate) fn lenient_opt_u64<'de, D: Deserializer<'de>>(
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
pub(crate) fn lenient_opt_bool<'de, D: Deserializer<'de>>(
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
pub(crate) fn lenient_opt_id<'de, D: Deserializer<'de>, T: NumericId>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    struct OptIdVisitor;
    impl Visitor<'_> for OptIdVisitor {
        type Value = Option<u64>;
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
    Ok(deserializer.deserialize_any(OptIdVisitor)?.map(T::from_u64))
}

#[cfg(test)]
mod tests {
    use super::PlanId as Id;
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
            Ok(Id::new(3197218168379846218))
        );
        assert_eq!(
            parse(r#"{"id": "3197218168379846218"}"#),
            Ok(Id::new(3197218168379846218))
        );
        assert_eq!(parse(r#"{"id": " 42 "}"#), Ok(Id::new(42)));
        assert_eq!(
            parse(r#"{"id": 18446744073709551615}"#),
            Ok(Id::new(u64::MAX))
        );
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
        let order = crate::OrderRequest::purchase(
            "A1".parse().unwrap(),
            Id::new(3048918321840570368),
            BillingContactId::new(3197218168379846218),
            1,
        )
        .unwrap();
        let body = String::from_utf8(order.body()).unwrap();
        assert!(
            body.contains(r#""billingId":3197218168379846218"#),
            "{body}"
        );
        assert!(
            body.contains(r#""serviceId":3048918321840570368"#),
            "{body}"
        );
        assert_eq!(
            serde_json::to_string(&Id::new(3048918321840570368)).unwrap(),
            r#""3048918321840570368""#
        );
    }

    #[test]
    fn serial_numbers_keep_the_rule_of_linkus_sn() {
        assert_eq!("  A1b2 ".parse::<Sn>().unwrap().as_str(), "A1b2");
        assert_eq!("   ".parse::<Sn>(), Err(SnError::Empty));
        assert_eq!(
            "3694-71".parse::<Sn>().unwrap_err().to_string(),
            "a serial number has only letters and digits, not '-' (see the PBX's Resource Monitor > Information)"
        );
        assert_eq!("1".repeat(65).parse::<Sn>(), Err(SnError::TooLong));
        assert!("1".repeat(64).parse::<Sn>().is_ok());
        let sn: Sn = serde_json::from_str("369471667338").unwrap();
        assert_eq!(serde_json::to_string(&sn).unwrap(), r#""369471667338""#);
        assert!(serde_json::from_str::<Sn>(r#""a b""#).is_err());
    }

    #[test]
    fn order_numbers_come_from_strings_or_numbers_and_print_as_strings() {
        let no: OrderNo = serde_json::from_str("3206190457467703296").unwrap();
        assert_eq!(no.as_str(), "3206190457467703296");
        let no: OrderNo = serde_json::from_str(r#""LR1""#).unwrap();
        assert_eq!(serde_json::to_string(&no).unwrap(), r#""LR1""#);
        assert_eq!(no, "LR1");
        assert_eq!(" LR2 ".parse::<OrderNo>().unwrap(), "LR2");
        assert_eq!("".parse::<OrderNo>(), Err(IdError::Empty));
        assert!("LR/2".parse::<OrderNo>().is_err());
    }

    #[test]
    fn every_id_type_reads_and_prints_alike() {
        let plan: PlanId = serde_json::from_str(r#""3048918321840570368""#).unwrap();
        let contact: BillingContactId = serde_json::from_str("3197218168379846218").unwrap();
        let order: OrderId = "3206190457467703296".parse().unwrap();
        assert_eq!(plan.get(), 3048918321840570368);
        assert_eq!(contact.to_string(), "3197218168379846218");
        assert_eq!(format!("{order:?}"), "OrderId(3206190457467703296)");
        assert_eq!(
            serde_json::to_string(&contact).unwrap(),
            r#""3197218168379846218""#
        );
        assert!(serde_json::from_str::<OrderId>("3.2e18").is_err());
    }

    proptest! {
        #[test]
        fn every_u64_round_trips_through_a_number(value: u64) {
            let json = format!(r#"{{"id": {value}}}"#);
            prop_assert_eq!(parse(&json), Ok(Id::new(value)));
        }

        #[test]
        fn every_u64_round_trips_through_a_string(value: u64) {
            let json = serde_json::to_string(&serde_json::json!({"id": Id::new(value)})).unwrap();
            prop_assert_eq!(parse(&json), Ok(Id::new(value)));
        }

        #[test]
        fn every_u64_round_trips_through_the_order_body_form(value: u64) {
            let order = crate::OrderRequest::renew(
                "A1".parse().unwrap(),
                Id::new(value),
                BillingContactId::new(value),
                1,
            )
            .unwrap();
            let body = String::from_utf8(order.body()).unwrap();
            let billing = format!(r#""billingId":{value},"#);
            prop_assert!(body.contains(&billing));
        }

        #[test]
        fn id_parsing_never_panics(text in ".*") {
            let _ = text.parse::<Id>();
            let _ = parse(&format!(r#"{{"id": {text}}}"#));
        }
    }
}
