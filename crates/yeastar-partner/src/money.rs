//! Money as an exact decimal: an integer count of minor units and a scale, never a float.
//!
//! Prices arrive as strings (`"120.00"`) or JSON numbers (`120.5`); both are read from the
//! JSON text itself, digit for digit, and printed back exactly (partner-api.md 10.8).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// At most this many digits after the decimal point are accepted.
const MAX_SCALE: u32 = 6;

/// An exact decimal amount: `minor / 10^scale`.
#[derive(Clone, Copy, Debug)]
pub struct Amount {
    minor: i128,
    scale: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a text is not an amount.
#[non_exhaustive]
pub enum AmountError {
    #[error("an amount cannot be empty")]
    /// The text was empty.
    Empty,
    #[error("{0:?} is not a decimal amount such as 120.00")]
    /// The text is not a decimal number.
    Invalid(String),
    #[error("{0:?} has more than {MAX_SCALE} digits after the decimal point")]
    /// More decimal places than an amount keeps.
    TooPrecise(String),
    #[error("{0:?} is too large")]
    /// The amount does not fit.
    TooLarge(String),
}

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount { minor: 0, scale: 0 };

    /// `minor` units at `scale` digits after the point: `Amount::new(12000, 2)` is 120.00.
    pub fn new(minor: i128, scale: u32) -> Self {
        Amount {
            minor,
            scale: scale.min(MAX_SCALE),
        }
    }

    /// The count of the smallest unit at this amount's scale (12000 for 120.00).
    pub fn minor_units(&self) -> i128 {
        self.minor
    }

    /// The number of decimal places.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    /// The same value with `scale` digits after the point (more digits only).
    fn at_scale(&self, scale: u32) -> Option<i128> {
        let extra = scale.checked_sub(self.scale)?;
        self.minor.checked_mul(10i128.checked_pow(extra)?)
    }

    /// The sum, or `None` when it does not fit.
    pub fn checked_add(&self, other: &Amount) -> Option<Amount> {
        let scale = self.scale.max(other.scale);
        let minor = self.at_scale(scale)?.checked_add(other.at_scale(scale)?)?;
        Some(Amount { minor, scale })
    }

    /// The amount times `factor`, or `None` when it does not fit.
    pub fn checked_mul(&self, factor: u32) -> Option<Amount> {
        Some(Amount {
            minor: self.minor.checked_mul(i128::from(factor))?,
            scale: self.scale,
        })
    }
}

impl PartialEq for Amount {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Amount {}

impl PartialOrd for Amount {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Amount {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        match (self.at_scale(scale), other.at_scale(scale)) {
            (Some(a), Some(b)) => a.cmp(&b),
            // Only an amount near i128's limits overflows; compare the integer parts then.
            _ => {
                (self.minor / 10i128.pow(self.scale)).cmp(&(other.minor / 10i128.pow(other.scale)))
            }
        }
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// `120`, `120.5`, `120.00`, `-3.10`; no exponent, no thousands separators.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(AmountError::Empty);
        }
        let invalid = || AmountError::Invalid(trimmed.to_owned());
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(invalid());
        }
        let scale = u32::try_from(fraction.len()).map_err(|_| invalid())?;
        if scale > MAX_SCALE {
            return Err(AmountError::TooPrecise(trimmed.to_owned()));
        }
        let too_large = || AmountError::TooLarge(trimmed.to_owned());
        let mut minor: i128 = 0;
        for byte in whole.bytes().chain(fraction.bytes()) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(byte - b'0')))
                .ok_or_else(too_large)?;
        }
        // Sensible money fits easily; the bound keeps sums and products far from overflow.
        if minor > 10i128.pow(30) {
            return Err(too_large());
        }
        Ok(Amount {
            minor: if negative { -minor } else { minor },
            scale,
        })
    }
}

impl fmt::Display for Amount {
    /// Exactly as many digits after the point as the amount's scale: `120.00` stays `120.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let magnitude = self.minor.unsigned_abs();
        if self.scale == 0 {
            return write!(f, "{sign}{magnitude}");
        }
        let unit = 10u128.pow(self.scale);
        write!(
            f,
            "{sign}{}.{:0width$}",
            magnitude / unit,
            magnitude % unit,
            width = self.scale as usize
        )
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An amount in a currency (`USD`, `RMB`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Money {
    /// The amount, exact.
    pub amount: Amount,
    /// The currency code (`USD`).
    pub currency: String,
}

impl Money {
    /// An amount in a currency.
    pub fn new(amount: Amount, currency: impl Into<String>) -> Self {
        Money {
            amount,
            currency: currency.into().trim().to_ascii_uppercase(),
        }
    }

    /// This price times a number of cycles (years), in the same currency.
    pub fn times(&self, cycles: u32) -> Option<Money> {
        Some(Money {
            amount: self.amount.checked_mul(cycles)?,
            currency: self.currency.clone(),
        })
    }

    /// The sum of two amounts in the same currency; `None` across currencies.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money {
            amount: self.amount.checked_add(&other.amount)?,
            currency: self.currency.clone(),
        })
    }
}

impl fmt::Display for Money {
    /// `120.00 USD`, shown with at least two digits after the point.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let amount = if self.amount.scale < 2 {
            self.amount
                .at_scale(2)
                .map(|minor| Amount { minor, scale: 2 })
                .unwrap_or(self.amount)
        } else {
            self.amount
        };
        if self.currency.is_empty() {
            write!(f, "{amount}")
        } else {
            write!(f, "{amount} {}", self.currency)
        }
    }
}

/// Reads an amount from the text of a JSON value: a string (`"120.00"`) or a number (`120.5`),
/// never through a float.
pub(crate) fn amount_from_json(raw: &serde_json::value::RawValue) -> Option<Amount> {
    let text = raw.get().trim();
    let text = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner,
        None => text,
    };
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn amount(text: &str) -> Amount {
        text.parse().unwrap()
    }

    #[test]
    fn amounts_print_back_exactly() {
        for text in ["120.00", "120", "0.5", "-3.10", "0.000001", "1000000.99"] {
            assert_eq!(amount(text).to_string(), text);
        }
        assert_eq!(amount("+7.0").to_string(), "7.0");
    }

    #[test]
    fn nonsense_is_refused() {
        for text in [
            "",
            "abc",
            "1e3",
            "1,200.00",
            "1.",
            ".",
            "--1",
            "1.2.3",
            "1.0000001",
            "NaN",
        ] {
            assert!(text.parse::<Amount>().is_err(), "{text:?}");
        }
        assert_eq!(amount(".5"), amount("0.5"));
    }

    #[test]
    fn totals_are_exact() {
        let price = Money::new(amount("120.00"), "usd");
        assert_eq!(price.times(2).unwrap().to_string(), "240.00 USD");
        let sum = price
            .checked_add(&Money::new(amount("0.10"), "USD"))
            .unwrap();
        assert_eq!(sum.to_string(), "120.10 USD");
        assert!(price.checked_add(&Money::new(amount("1"), "RMB")).is_none());
        assert_eq!(Money::new(amount("180"), "USD").to_string(), "180.00 USD");
        // 0.1 + 0.2 is 0.3 here.
        assert_eq!(
            amount("0.1").checked_add(&amount("0.2")).unwrap(),
            amount("0.3")
        );
    }

    #[test]
    fn amounts_compare_across_scales() {
        assert!(amount("500") > amount("499.99"));
        assert_eq!(amount("500"), amount("500.000"));
        assert!(amount("-1") < amount("0"));
    }

    #[test]
    fn json_numbers_and_strings_keep_their_digits() {
        let raw = |json: &str| serde_json::value::RawValue::from_string(json.to_owned()).unwrap();
        assert_eq!(
            amount_from_json(&raw("120.10")).unwrap().to_string(),
            "120.10"
        );
        assert_eq!(
            amount_from_json(&raw("\"180.00\"")).unwrap().to_string(),
            "180.00"
        );
        assert!(amount_from_json(&raw("null")).is_none());
        assert!(amount_from_json(&raw("1.2e2")).is_none());
    }

    proptest! {
        #[test]
        fn every_two_decimal_amount_round_trips(units in 0u64..10_000_000_000_000, negative: bool) {
            let text = format!("{}{}.{:02}", if negative && units > 0 { "-" } else { "" }, units / 100, units % 100);
            prop_assert_eq!(amount(&text).to_string(), text);
        }

        #[test]
        fn parsing_never_panics(text in ".*") {
            let _ = text.parse::<Amount>();
        }
    }
}
