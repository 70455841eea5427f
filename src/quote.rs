//! What an order costs at list price, and the `--max-total` cap (CLI.md section 1, "Prices").
//!
//! The price comes from Query Subscription Price, which needs the product's offering ID. It
//! belongs to the product, not the PBX, so it is remembered in the cache folder: from the
//! second run on, the price is asked for in the same round trip as the other lookups.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use yeastar_partner::{Amount, Money};

use crate::error::{Failure, Kind};

/// A plan's list price for some years.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub per_year: Option<Money>,
    pub years: u8,
}

/// `total` in JSON output: decimal strings, or `null` when the price is unknown.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TotalOut {
    pub amount: String,
    pub currency: String,
    pub per_year: String,
    pub years: u8,
}

impl Quote {
    pub fn total(&self) -> Option<Money> {
        self.per_year.as_ref()?.times(u32::from(self.years))
    }

    pub fn total_out(&self) -> Option<TotalOut> {
        let per_year = self.per_year.as_ref()?;
        let total = self.total()?;
        Some(TotalOut {
            amount: amount_text(&total),
            currency: total.currency.clone(),
            per_year: amount_text(per_year),
            years: self.years,
        })
    }

    /// `120.00 USD a year × 2 = 240.00 USD, list price`, or `unknown`.
    pub fn text(&self) -> String {
        match (&self.per_year, self.total()) {
            (Some(per_year), Some(total)) => {
                format!("{per_year} a year × {} = {total}, list price", self.years)
            }
            _ => "unknown (the portal gave no list price)".to_owned(),
        }
    }
}

/// The price list to use, saying so on stderr when the portal's answer could not be read: a
/// price that will not show is worth one line that names the endpoint and the field.
pub fn usable_prices(
    out: &crate::output::Output,
    sn: &str,
    prices: Option<Result<yeastar_partner::PriceList, yeastar_partner::Error>>,
) -> Option<yeastar_partner::PriceList> {
    let check = format!(
        "`linkus doctor --sn {sn}` checks each answer, and --capture DIR records them for a report."
    );
    match prices? {
        Err(error) => {
            out.warn(&format!(
                "the list price could not be read, so it shows as unknown: {}. {check}",
                crate::redact::scrub(&error.to_string())
            ));
            None
        }
        Ok(list) => {
            if !list.plans.is_empty() && list.plans.iter().all(|plan| plan.price.is_none()) {
                out.warn(&format!(
                    "GET {} answered, but no plan in it has a `price` (or `amount`, `unitPrice`, `originalPrice`, `listPrice`) with a `currency` that linkus can read, so prices show as unknown. {check}",
                    crate::paths::PRICE_PATH
                ));
            }
            Some(list)
        }
    }
}

/// An amount with at least two digits after the point, without the currency.
pub fn amount_text(money: &Money) -> String {
    let shown = money.to_string();
    shown
        .strip_suffix(&format!(" {}", money.currency))
        .unwrap_or(&shown)
        .to_owned()
}

/// `--max-total`: an amount, with or without a currency (`500`, `500USD`, `500 USD`).
#[derive(Debug, Clone, PartialEq)]
pub struct MaxTotal {
    pub amount: Amount,
    pub currency: Option<String>,
}

impl std::fmt::Display for MaxTotal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.currency {
            Some(currency) => write!(f, "{}", Money::new(self.amount, currency.clone())),
            None => write!(f, "{}", self.amount),
        }
    }
}

pub fn parse_max_total(text: &str) -> Result<MaxTotal, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, currency) = text.split_at(split);
    let currency = currency.trim();
    let is_code = currency.len() == 3 && currency.chars().all(|c| c.is_ascii_alphabetic());
    if !(currency.is_empty() || is_code) {
        return Err(format!("{text:?} is not an amount such as 500 or 500USD"));
    }
    let amount: Amount = number
        .trim()
        .parse()
        .map_err(|e| format!("{text:?} is not an amount such as 500 or 500USD ({e})"))?;
    if amount.is_negative() {
        return Err("the cap cannot be negative".to_owned());
    }
    Ok(MaxTotal {
        amount,
        currency: (!currency.is_empty()).then(|| currency.to_ascii_uppercase()),
    })
}

/// Refuses (exit 3, nothing sent) totals above the cap, unknown, or in another currency. For
/// a batch, `totals` holds one sum per currency.
pub fn check_cap(cap: &MaxTotal, totals: &[Money], unknown: bool) -> Result<(), Failure> {
    let shown: Vec<String> = totals.iter().map(Money::to_string).collect();
    let refuse = |why: String| {
        Err(
            Failure::new(Kind::OverCap, format!("{why}; nothing was sent."))
                .hint("--max-total caps the list price; raise it, or leave it out, to order."),
        )
    };
    if unknown {
        return refuse(format!(
            "The total is unknown (the portal gave no list price), so it cannot be held to --max-total {cap}"
        ));
    }
    match (&cap.currency, totals) {
        (_, []) => Ok(()),
        (None, [_, _, ..]) => refuse(format!(
            "The total is in several currencies ({}), and --max-total {cap} names none",
            shown.join(", ")
        )),
        (Some(currency), _) if totals.iter().any(|t| &t.currency != currency) => refuse(format!(
            "The total is {}, not in {currency} as --max-total {cap} is",
            shown.join(" + ")
        )),
        (_, totals) => match totals.iter().find(|total| total.amount > cap.amount) {
            Some(total) => refuse(format!(
                "The total, {total} (list price), is above --max-total {cap}"
            )),
            None => Ok(()),
        },
    }
}

/// Remembered offering IDs, per portal and product: `offerings.json` in the cache folder.
pub struct Offerings {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct OfferingsFile {
    #[serde(default)]
    offerings: BTreeMap<String, String>,
}

impl Offerings {
    pub fn new(cache_dir: &Path) -> Self {
        Offerings {
            path: cache_dir.join("offerings.json"),
        }
    }

    fn key(portal: &str, product_id: u64) -> String {
        format!("{portal} {product_id}")
    }

    fn load(&self) -> OfferingsFile {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn get(&self, portal: &str, product_id: u64) -> Option<String> {
        self.load().offerings.remove(&Self::key(portal, product_id))
    }

    /// Remembers an offering ID; a cache that cannot be written only costs a round trip.
    pub fn remember(&self, portal: &str, product_id: u64, offering: &str) {
        let key = Self::key(portal, product_id);
        let mut file = self.load();
        if file.offerings.get(&key).map(String::as_str) == Some(offering) {
            return;
        }
        file.offerings.insert(key, offering.to_owned());
        if let Ok(bytes) = serde_json::to_vec_pretty(&file) {
            let _ = crate::files::write_private(&self.path, &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        let (amount, currency) = text.split_once(' ').unwrap();
        Money::new(amount.parse().unwrap(), currency)
    }

    #[test]
    fn quotes_multiply_exactly() {
        let quote = Quote {
            per_year: Some(money("120.00 USD")),
            years: 2,
        };
        assert_eq!(
            quote.text(),
            "120.00 USD a year × 2 = 240.00 USD, list price"
        );
        let out = quote.total_out().unwrap();
        assert_eq!(
            (
                out.amount.as_str(),
                out.per_year.as_str(),
                out.currency.as_str()
            ),
            ("240.00", "120.00", "USD")
        );
        let unknown = Quote {
            per_year: None,
            years: 2,
        };
        assert!(unknown.text().starts_with("unknown"));
        assert_eq!(unknown.total_out(), None);
    }

    #[test]
    fn caps_parse_with_or_without_a_currency() {
        assert_eq!(parse_max_total("500").unwrap().currency, None);
        assert_eq!(
            parse_max_total("500USD").unwrap().currency.as_deref(),
            Some("USD")
        );
        assert_eq!(
            parse_max_total("499.99 usd").unwrap().to_string(),
            "499.99 USD"
        );
        for bad in ["", "USD", "five", "500 dollars", "-1", "1e3"] {
            assert!(parse_max_total(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_cap_refuses_above_unknown_and_other_currencies() {
        let cap = parse_max_total("500").unwrap();
        assert!(check_cap(&cap, &[money("240.00 USD")], false).is_ok());
        assert!(check_cap(&cap, &[money("500.00 USD")], false).is_ok());
        let above = check_cap(&cap, &[money("500.01 USD")], false).unwrap_err();
        assert_eq!(above.kind, Kind::OverCap);
        assert!(
            above.message.contains("500.01 USD") && above.message.contains("500"),
            "{}",
            above.message
        );
        assert!(check_cap(&cap, &[], true).is_err());
        assert!(check_cap(&cap, &[money("1 USD"), money("1 RMB")], false).is_err());
        let usd = parse_max_total("500USD").unwrap();
        assert!(check_cap(&usd, &[money("100 RMB")], false).is_err());
        assert!(check_cap(&usd, &[money("100 USD")], false).is_ok());
    }

    #[test]
    fn offerings_are_remembered_per_portal() {
        let temp = tempfile::tempdir().unwrap();
        let offerings = Offerings::new(temp.path());
        assert_eq!(offerings.get("https://p", 9), None);
        offerings.remember("https://p", 9, "31");
        assert_eq!(offerings.get("https://p", 9).as_deref(), Some("31"));
        assert_eq!(offerings.get("sandbox", 9), None);
    }
}
