//! `linkus billing-contacts`: who the portal can bill.

use anyhow::{Context as _, Result};
use serde::Serialize;
use yeastar_partner::{BillingContact, BillingContactId};

use crate::context::Context;
use crate::error::ExitStatus;

/// A contact in our own output (CLI.md section 5).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactOut<'a> {
    pub billing_contact_id: BillingContactId,
    pub name: String,
    pub email: &'a str,
    pub company: Option<&'a str>,
    pub phone: Option<&'a str>,
}

impl<'a> From<&'a BillingContact> for ContactOut<'a> {
    fn from(contact: &'a BillingContact) -> Self {
        ContactOut {
            billing_contact_id: contact.billing_contact_id,
            name: contact.name(),
            email: contact.email(),
            company: contact.company.as_deref(),
            phone: contact.phone_number.as_deref(),
        }
    }
}

pub async fn run(ctx: &Context) -> Result<ExitStatus> {
    let client = ctx.client()?;
    let contacts = client
        .billing_contacts()
        .await
        .context("Could not list the billing contacts")?;
    if ctx.out.is_json() {
        let out: Vec<ContactOut> = contacts.iter().map(ContactOut::from).collect();
        ctx.out.json(&out)?;
    } else if ctx.out.is_quiet() {
        ctx.out
            .lines(contacts.iter().map(|c| c.billing_contact_id))?;
    } else if contacts.is_empty() {
        ctx.out
            .status("The account has no billing contacts; add one in the Partner Portal.");
    } else {
        let rows = contacts
            .iter()
            .map(|c| {
                vec![
                    c.billing_contact_id.to_string(),
                    c.name(),
                    c.email().to_owned(),
                    c.company.clone().unwrap_or_default(),
                    c.phone_number.clone().unwrap_or_default(),
                ]
            })
            .collect();
        ctx.out.print(&ctx.out.table_fit(
            &["Contact ID", "Name", "E-mail", "Company", "Phone"],
            rows,
            &["Phone", "Company"],
        ))?;
    }
    Ok(ExitStatus::Success)
}
