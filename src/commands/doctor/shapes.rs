//! The fields `linkus` reads from each answer (partner-api.md section 10), checked one by one
//! on the raw JSON, so that `doctor` can say which were found, under which name, and which
//! were missing or of another type. The readers are the client's own (`Id`, `time_of`,
//! `amount_from_json`), so a field that passes here is one the commands can read.

use crate::rawjson::{json, object_members};
use serde_json::value::RawValue;
use yeastar_partner::PlanId;

/// The type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A JSON integer or a string of digits, never a float.
    Id,
    /// A non-empty string (a number is accepted as its digits).
    Text,
    /// A non-empty list of whole numbers of years (numbers or digit strings).
    Cycles,
    /// A date string or epoch seconds or milliseconds.
    Time,
    /// A decimal amount, as a number or a string.
    Amount,
    /// A whole number, as a number or a string of digits.
    Count,
    /// A string or a number, or a list whose first element is one (`offeringId`).
    Offering,
}

impl Expect {
    fn wanted(self) -> &'static str {
        match self {
            Expect::Id => "a number or a string of digits",
            Expect::Text => "a non-empty string",
            Expect::Cycles => "a list of numbers of years",
            Expect::Time => "a date or epoch time",
            Expect::Amount => "a decimal amount",
            Expect::Count => "a whole number",
            Expect::Offering => "a string or a number",
        }
    }

    /// `Ok` when the value can be read; else what it is instead.
    fn read(self, raw: &RawValue) -> Result<(), String> {
        let text = raw.get().trim();
        let fits = match self {
            // Every ID type of the client reads the same forms.
            Expect::Id => serde_json::from_str::<PlanId>(text).is_ok(),
            Expect::Text => match text.as_bytes().first() {
                Some(b'"') => {
                    serde_json::from_str::<String>(text).is_ok_and(|value| !value.trim().is_empty())
                }
                Some(b'-' | b'0'..=b'9') => true,
                _ => false,
            },
            Expect::Cycles => serde_json::from_str::<Vec<Box<RawValue>>>(text).is_ok_and(|items| {
                !items.is_empty()
                    && items.iter().all(|item| {
                        scalar(item)
                            .and_then(|t| t.parse::<u8>().ok())
                            .is_some_and(|years| years > 0)
                    })
            }),
            Expect::Time => json(raw).as_time().is_some(),
            Expect::Amount => json(raw).as_amount().is_some(),
            Expect::Count => scalar(raw).is_some_and(|t| t.parse::<u64>().is_ok()),
            Expect::Offering => {
                let first = if text.starts_with('[') {
                    serde_json::from_str::<Vec<Box<RawValue>>>(text)
                        .ok()
                        .and_then(|items| items.into_iter().next())
                } else {
                    Some(raw.to_owned())
                };
                first
                    .as_deref()
                    .and_then(scalar)
                    .is_some_and(|t| !t.is_empty())
            }
        };
        if fits {
            Ok(())
        } else {
            Err(describe(text))
        }
    }
}

/// A string's text or a number's digits.
fn scalar(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(text)
            .ok()
            .map(|t| t.trim().to_owned()),
        b'-' | b'0'..=b'9' => Some(text.to_owned()),
        _ => None,
    }
}

/// What a value is, in a few words, without quoting more than a short value.
fn describe(text: &str) -> String {
    let short = |t: &str| {
        let mut shown: String = t.chars().take(24).collect();
        if t.chars().count() > 24 {
            shown.push('…');
        }
        shown
    };
    match text.as_bytes().first() {
        Some(b'"') => {
            let value: String = serde_json::from_str(text).unwrap_or_default();
            if value.trim().is_empty() {
                "an empty string".to_owned()
            } else {
                format!("the string {:?}", short(&value))
            }
        }
        Some(b'{') => "an object".to_owned(),
        Some(b'[') if text.trim_start_matches('[').trim_start().starts_with(']') => {
            "an empty list".to_owned()
        }
        Some(b'[') => "a list of another kind".to_owned(),
        Some(b't' | b'f') => format!("the boolean {text}"),
        _ => format!("the number {}", short(text)),
    }
}

/// An object's members, in order, each value as its raw text.
type Members = Vec<(String, Box<RawValue>)>;

/// A field `linkus` reads, under any of its names (the first present one counts).
pub struct Field {
    pub label: &'static str,
    pub names: &'static [(&'static str, Expect)],
    /// Without it `linkus` cannot do its job: a failure. Otherwise a warning.
    pub must: bool,
    /// What `linkus` does without it, for the warning.
    pub without: &'static str,
}

/// What the fields of one list (or one object) looked like.
#[derive(Debug, Default)]
pub struct Findings {
    /// Labels found in every item, with the name they came under when it is an alias.
    pub found: Vec<String>,
    /// Problems with fields that `linkus` needs.
    pub failures: Vec<String>,
    /// Problems with fields it can do without, with what it does then.
    pub warnings: Vec<String>,
}

impl Findings {
    pub fn merge(&mut self, other: Findings) {
        self.found.extend(other.found);
        self.failures.extend(other.failures);
        self.warnings.extend(other.warnings);
    }

    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.found.is_empty() {
            parts.push(format!("found {}", self.found.join(", ")));
        }
        parts.extend(self.failures.iter().cloned());
        parts.extend(self.warnings.iter().cloned());
        parts.join("; ")
    }
}

/// Checks `fields` in every item.
pub fn check_items(items: &[Box<RawValue>], fields: &[Field]) -> Findings {
    let mut findings = Findings::default();
    let members: Vec<Option<Members>> = items
        .iter()
        .map(|item| object_members(item.get()).ok())
        .collect();
    for field in fields {
        let mut missing = Vec::new();
        let mut wrong = Vec::new();
        let mut aliases: Vec<&str> = Vec::new();
        for (index, item) in members.iter().enumerate() {
            let Some(item) = item else {
                missing.push(index + 1);
                continue;
            };
            // Any name that reads counts; else the first one present is reported.
            let present: Vec<(&str, Expect, Result<(), String>)> = field
                .names
                .iter()
                .filter_map(|(name, expect)| {
                    item.iter()
                        .find(|(key, value)| key == name && value.get().trim() != "null")
                        .map(|(_, value)| (*name, *expect, expect.read(value)))
                })
                .collect();
            if let Some((name, _, _)) = present.iter().find(|(_, _, read)| read.is_ok()) {
                if *name != field.names[0].0 && !aliases.contains(name) {
                    aliases.push(name);
                }
            } else if let Some((name, expect, Err(what))) = present.into_iter().next() {
                wrong.push((index + 1, name, what, expect));
            } else {
                missing.push(index + 1);
            }
        }
        if missing.is_empty() && wrong.is_empty() {
            let label = if aliases.is_empty() {
                field.label.to_owned()
            } else {
                format!("{} (as {})", field.label, aliases.join(", "))
            };
            findings.found.push(label);
            continue;
        }
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!(
                "{} missing{}",
                field.label,
                in_items(&missing, items.len())
            ));
        }
        if let Some((index, name, what, expect)) = wrong.first() {
            let others = if wrong.len() > 1 {
                format!(" and {} more", wrong.len() - 1)
            } else {
                String::new()
            };
            problems.push(format!(
                "{name} is {what} in {}{others}, where {} is expected",
                if items.len() > 1 {
                    format!("item {index}")
                } else {
                    "the answer".to_owned()
                },
                expect.wanted()
            ));
        }
        for problem in problems {
            if field.must {
                findings.failures.push(problem);
            } else {
                findings
                    .warnings
                    .push(format!("{problem} ({})", field.without));
            }
        }
    }
    findings
}

/// ` in items 1, 2` (or nothing when the answer is a single object).
fn in_items(numbers: &[usize], of: usize) -> String {
    if of <= 1 {
        return String::new();
    }
    if numbers.len() == of {
        return if of == 2 {
            " in both items".to_owned()
        } else {
            format!(" in all {of} items")
        };
    }
    let shown: Vec<String> = numbers.iter().take(5).map(usize::to_string).collect();
    let more = if numbers.len() > 5 { ", …" } else { "" };
    let noun = if numbers.len() == 1 { "item" } else { "items" };
    format!(" in {noun} {}{more}", shown.join(", "))
}

/// The member `names` (the first present) of a JSON object's text.
pub fn member(object: &str, names: &[&str]) -> Option<(String, Box<RawValue>)> {
    let members = object_members(object).ok()?;
    names.iter().find_map(|name| {
        members
            .iter()
            .find(|(key, value)| key == name && value.get().trim() != "null")
            .map(|(key, value)| (key.clone(), value.clone()))
    })
}

/// The items of a list member of `result` (bare or wrapped as the client accepts), or why
/// there is none.
pub fn list_in(result: &RawValue, names: &[&str]) -> Result<Vec<Box<RawValue>>, String> {
    let text = result.get().trim();
    if !text.starts_with('{') {
        return Err(format!("`result` is {}, not an object", describe(text)));
    }
    let Some((_, list)) = member(text, names) else {
        return Err(format!("`{}` missing", names.join("` or `")));
    };
    if !matches!(list.get().trim().as_bytes().first(), Some(b'[' | b'{')) {
        return Err(format!(
            "`{}` is {}, not a list",
            names[0],
            describe(list.get().trim())
        ));
    }
    json(&list)
        .items()
        .map(|items| items.iter().map(crate::rawjson::raw).collect())
        .map_err(|error| error.to_string())
}

/// Every field of a plan (partner-api.md 10.2).
pub const PLAN: &[Field] = &[
    Field {
        label: "planId",
        names: &[
            ("planId", Expect::Id),
            ("pricingPlanId", Expect::Id),
            ("serviceId", Expect::Id),
            ("id", Expect::Id),
        ],
        must: true,
        without: "",
    },
    Field {
        label: "planName",
        names: &[("planName", Expect::Text), ("name", Expect::Text)],
        must: false,
        without: "plans show without names and --plan takes only IDs",
    },
    Field {
        label: "multiCycleList",
        names: &[
            ("multiCycleList", Expect::Cycles),
            ("multiCycles", Expect::Cycles),
            ("years", Expect::Cycles),
        ],
        must: false,
        without: "linkus offers 1 to 5 years",
    },
];

/// The plans answer's own fields.
pub const OFFER: &[Field] = &[Field {
    label: "offeringId",
    names: &[("offeringId", Expect::Offering)],
    must: false,
    without: "prices cannot be asked for: they show as unknown and --max-total refuses",
}];

pub const CONTACT: &[Field] = &[
    Field {
        label: "billingContactId",
        names: &[
            ("billingContactId", Expect::Id),
            ("id", Expect::Id),
            ("billingId", Expect::Id),
        ],
        must: true,
        without: "",
    },
    Field {
        label: "name",
        names: &[("firstName", Expect::Text), ("lastName", Expect::Text)],
        must: false,
        without: "the contact shows without a name",
    },
    Field {
        label: "emailAddress",
        names: &[("emailAddress", Expect::Text), ("email", Expect::Text)],
        must: false,
        without: "--billing-contact takes only IDs",
    },
];

/// Get Product Details for an SN with Linkus (partner-api.md 10.7).
pub const SUBSCRIPTION: &[Field] = &[Field {
    label: "expiry",
    names: &[
        ("currentPlanExpireDate", Expect::Time),
        ("expireTime", Expect::Time),
        ("expiredTime", Expect::Time),
        ("expireDate", Expect::Time),
    ],
    must: false,
    without: "the expiry date shows as unknown",
}];

/// The names under which Get Product Details gives the plan.
pub const SUBSCRIPTION_PLAN: &[Field] = &[Field {
    label: "plan",
    names: &[
        ("planId", Expect::Id),
        ("planName", Expect::Text),
        ("goodsName", Expect::Text),
        ("goodsShortName", Expect::Text),
    ],
    must: false,
    without: "",
}];

pub const PRICE: &[Field] = &[
    Field {
        label: "planId",
        names: &[
            ("planId", Expect::Id),
            ("pricingPlanId", Expect::Id),
            ("serviceId", Expect::Id),
            ("id", Expect::Id),
            ("planName", Expect::Text),
            ("name", Expect::Text),
        ],
        must: true,
        without: "",
    },
    Field {
        label: "price",
        names: &[
            ("price", Expect::Amount),
            ("amount", Expect::Amount),
            ("unitPrice", Expect::Amount),
            ("originalPrice", Expect::Amount),
            ("listPrice", Expect::Amount),
        ],
        must: true,
        without: "",
    },
    Field {
        label: "currency",
        names: &[("currency", Expect::Text), ("currencyCode", Expect::Text)],
        must: true,
        without: "",
    },
];

/// A page's own fields (Query Order List, Query Product List).
pub const PAGE: &[Field] = &[Field {
    label: "totalPage",
    names: &[("totalPage", Expect::Count)],
    must: false,
    without: "linkus reads only the first page of the account's PBXs and orders",
}];

/// The list inside a page.
pub const PAGE_LIST: &[&str] = &["results", "list", "records"];

pub const ORDER: &[Field] = &[
    Field {
        label: "orderNo",
        names: &[("orderNo", Expect::Text)],
        must: true,
        without: "",
    },
    Field {
        label: "orderStatus",
        names: &[("orderStatus", Expect::Text)],
        must: true,
        without: "",
    },
    Field {
        label: "createTime",
        names: &[("createTime", Expect::Time)],
        must: true,
        without: "",
    },
    Field {
        label: "productNo",
        names: &[("productNo", Expect::Text), ("sn", Expect::Text)],
        must: true,
        without: "",
    },
];

pub const PRODUCT: &[Field] = &[
    Field {
        label: "productNo",
        names: &[("productNo", Expect::Text), ("sn", Expect::Text)],
        must: true,
        without: "",
    },
    Field {
        label: "expiry",
        names: &[
            ("expireTime", Expect::Time),
            ("currentPlanExpireDate", Expect::Time),
            ("expiredTime", Expect::Time),
            ("expireDate", Expect::Time),
        ],
        must: false,
        without: "`subscriptions` shows the expiry as unknown",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn items(json: &str) -> Vec<Box<RawValue>> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn ids_as_numbers_or_strings_and_aliases_are_found() {
        let findings = check_items(
            &items(
                r#"[{"planId":3048918321840570368,"planName":"A","multiCycleList":[1,"2"]},
                    {"id":"3048918719332507648","name":"B","years":["1"],"extra":{}}]"#,
            ),
            PLAN,
        );
        assert!(findings.failures.is_empty(), "{findings:?}");
        assert!(findings.warnings.is_empty(), "{findings:?}");
        assert_eq!(
            findings.found,
            vec![
                "planId (as id)",
                "planName (as name)",
                "multiCycleList (as years)"
            ]
        );
    }

    #[test]
    fn a_missing_or_mistyped_field_is_named_with_its_items() {
        let findings = check_items(
            &items(r#"[{"planName":"A"},{"planName":"B","planId":1.5}]"#),
            PLAN,
        );
        assert_eq!(findings.failures.len(), 2, "{findings:?}");
        assert_eq!(findings.failures[0], "planId missing in item 1");
        assert!(
            findings.failures[1].starts_with("planId is the number 1.5 in item 2"),
            "{findings:?}"
        );
        assert!(findings.warnings[0].starts_with("multiCycleList missing in both items"));
    }

    #[test]
    fn prices_need_an_amount_and_a_currency() {
        let findings = check_items(
            &items(
                r#"[{"planId":1,"price":"abc","currency":"USD"},{"planName":"x","amount":12.5,"currencyCode":"EUR"}]"#,
            ),
            PRICE,
        );
        assert_eq!(findings.failures.len(), 1, "{findings:?}");
        assert!(findings.failures[0].contains("the string \"abc\" in item 1"));
    }

    #[test]
    fn lists_may_be_missing_or_of_another_type() {
        let raw = |t: &str| RawValue::from_string(t.to_owned()).unwrap();
        assert_eq!(
            list_in(&raw(r#"{"plans":[{"a":1}]}"#), &["planList", "plans"])
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            list_in(&raw(r#"{"x":1}"#), &["planList", "plans"]).unwrap_err(),
            "`planList` or `plans` missing"
        );
        assert!(list_in(&raw("[1]"), &["planList"]).is_err());
        assert!(list_in(&raw(r#"{"planList":"none"}"#), &["planList"]).is_err());
    }
}
