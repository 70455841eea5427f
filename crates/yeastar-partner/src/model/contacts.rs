//! Query Billing Contact List (partner-api.md section 4, 10.3).

use serde::Deserialize;

use crate::ids::{lenient_opt_string, BillingContactId};

/// Who an order is billed to.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillingContact {
    #[serde(alias = "id", alias = "billingId")]
    /// The contact's ID (`billingContactId`; the `billingId` of an order).
    pub billing_contact_id: BillingContactId,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// First name.
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// Last name.
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    /// Company name.
    pub company: Option<String>,
    #[serde(alias = "email", default, deserialize_with = "lenient_opt_string")]
    /// E-mail address.
    pub email_address: Option<String>,
    #[serde(alias = "phone", default, deserialize_with = "lenient_opt_string")]
    /// Phone number.
    pub phone_number: Option<String>,
}

impl BillingContact {
    /// "Ana Silva".
    pub fn name(&self) -> String {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        parts.join(" ")
    }

    /// The e-mail address, or `""` when there is none.
    pub fn email(&self) -> &str {
        self.email_address.as_deref().unwrap_or("")
    }

    /// "Ana Silva <billing@example.com>, Example Telecom", leaving out what is missing.
    pub fn label(&self) -> String {
        let mut label = self.name();
        if !self.email().is_empty() {
            label = format!("{label} <{}>", self.email()).trim().to_owned();
        }
        match self.company.as_deref().map(str::trim) {
            Some(company) if !company.is_empty() => format!("{label}, {company}"),
            _ => label,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::parse;

    #[test]
    fn contact_lists_may_be_bare_wrapped_or_single() {
        let contact = r#"{"billingContactId": 3197218168379846218, "firstName": "Ana", "lastName": "Silva", "emailAddress": "a@x"}"#;
        for shape in [
            format!("[{contact}]"),
            format!(r#"{{"results": [{contact}], "total": 1}}"#),
            format!(r#"{{"list": [{contact}]}}"#),
            format!(r#"{{"records": [{contact}]}}"#),
            contact.to_owned(),
        ] {
            let body = format!(r#"{{"code":"success","result":{shape}}}"#);
            let reply = parse("GET /c", 200, body.as_bytes()).unwrap();
            let contacts: Vec<BillingContact> = reply.decode_list(&reply.result).unwrap();
            assert_eq!(contacts.len(), 1);
            assert_eq!(
                contacts[0].billing_contact_id,
                BillingContactId::new(3197218168379846218)
            );
            assert_eq!(contacts[0].name(), "Ana Silva");
            assert_eq!(contacts[0].label(), "Ana Silva <a@x>");
        }
    }
}
