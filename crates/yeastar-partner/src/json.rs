//! [`Json`]: a part of an answer kept as the JSON text the portal sent, for callers that read
//! fields this crate does not type (a shape check, a pass-through) without losing a digit.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::money::Amount;

/// A JSON value exactly as the portal sent it: its text, so that no 19-digit number passes
/// through a float. Read it with [`Json::items`], [`Json::members`], [`Json::decode`] and the
/// lenient scalar readers this crate uses itself ([`Json::as_time`], [`Json::as_amount`]).
#[derive(Clone)]
pub struct Json(Box<RawValue>);

/// Text that is not JSON, or JSON of another shape than asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(String);

impl JsonError {
    fn of(error: serde_json::Error) -> Self {
        JsonError(error.to_string())
    }
}

impl Json {
    /// The JSON in `text` (surrounding whitespace kept out), or why it is not JSON.
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        serde_json::from_str::<Box<RawValue>>(text)
            .map(Json)
            .map_err(JsonError::of)
    }

    /// The JSON text, as sent.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Decodes the value into `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, JsonError> {
        serde_json::from_str(self.0.get()).map_err(JsonError::of)
    }

    /// The items of a list that may arrive bare (`[...]`), wrapped in an object
    /// (`{"results": [...]}`, `list`, `records`, `data`, `items`), as a single object, or as
    /// `null` (no items): the portal's lists as this crate reads them (partner-api.md 10.6).
    pub fn items(&self) -> Result<Vec<Json>, JsonError> {
        crate::envelope::list_items(&self.0)
            .map(|items| items.into_iter().map(Json).collect())
            .map_err(JsonError::of)
    }

    /// The members of a JSON object, in order; an error when the value is not an object.
    pub fn members(&self) -> Result<Vec<(String, Json)>, JsonError> {
        crate::envelope::object_members(self.0.get())
            .map(|members| members.into_iter().map(|(k, v)| (k, Json(v))).collect())
            .map_err(JsonError::of)
    }

    /// A time as this crate reads one (epoch milliseconds or seconds as a number or digits, a
    /// date `YYYY-MM-DD` with or without a time, RFC 3339); `None` when it cannot be read.
    pub fn as_time(&self) -> Option<std::time::SystemTime> {
        crate::model::lenient::time_of(&self.0).map(crate::clock::from_ms)
    }

    /// An amount from a number or a string, digit for digit; `None` for anything else.
    pub fn as_amount(&self) -> Option<Amount> {
        crate::money::amount_from_json(&self.0)
    }

    pub(crate) fn from_raw(raw: Box<RawValue>) -> Self {
        Json(raw)
    }

    pub(crate) fn raw(&self) -> &RawValue {
        &self.0
    }
}

/// `null`.
impl Default for Json {
    fn default() -> Self {
        Json(RawValue::NULL.to_owned())
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get())
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Json({})", self.0.get())
    }
}

impl PartialEq for Json {
    fn eq(&self, other: &Json) -> bool {
        self.0.get() == other.0.get()
    }
}

/// Written as the JSON it holds, unchanged.
impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Kept as the JSON text it was read from.
impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_every_digit_and_reads_lists_members_times_and_amounts() {
        let json =
            Json::parse(r#" {"results": [{"id": 3197218168379846218}], "t": "2027-11-29"} "#)
                .unwrap();
        let members = json.members().unwrap();
        assert_eq!(members[0].0, "results");
        let items = json.items().unwrap();
        assert_eq!(items[0].get(), r#"{"id": 3197218168379846218}"#);
        assert_eq!(
            members[1].1.as_time(),
            Some(crate::clock::from_ms(1_827_446_400_000))
        );
        assert_eq!(
            Json::parse(r#""120.10""#)
                .unwrap()
                .as_amount()
                .map(|a| a.to_string()),
            Some("120.10".to_owned())
        );
        assert!(Json::parse("{").is_err());
        assert!(Json::parse("[1]").unwrap().members().is_err());
        assert_eq!(
            Json::parse("null").unwrap().items().unwrap(),
            Vec::<Json>::new()
        );
        assert_eq!(
            serde_json::to_string(&Json::parse("12345678901234567890").unwrap()).unwrap(),
            "12345678901234567890"
        );
    }
}
