//! Buys one year of Linkus Cloud Service for a PBX in the sandbox portal: a token, the plans
//! the PBX may be ordered, the billing contacts, then one order, sent at most once.
//!
//! `cargo run -p yeastar-partner --example buy` starts the built-in sandbox on 127.0.0.1
//! (`linkus-sandbox`, a dev-dependency) and runs `buy` against it; nothing leaves the machine.
//! The part between the README markers is, character for character, the usage snippet of the
//! crate's README (`tests/readme.rs` checks it): what a new crate written from the README
//! alone does, run here against the sandbox in CI.
#![allow(clippy::print_stdout)]

// README begin
use yeastar_partner::LINKUS_PRODUCT_ID;
use yeastar_partner::{Client, Credentials, OrderOutcome, OrderRequest, Secret, Sn};

async fn buy(
    base_url: &str,
    client_id: &str,
    client_secret: &str,
    sn: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let sn: Sn = sn.parse()?;
    let client = Client::builder(
        base_url.parse()?,
        Credentials::new(client_id, Secret::new(client_secret)),
    )
    .user_agent("my-tool/1.0")
    .build()?;

    let token = client.token().await?;
    let valid_for = token
        .expires_at
        .duration_since(std::time::SystemTime::now());
    println!(
        "token valid for {} min",
        valid_for.unwrap_or_default().as_secs() / 60
    );

    let offer = client.offer(LINKUS_PRODUCT_ID, sn.as_str()).await?;
    let plan = offer
        .plans
        .first()
        .ok_or("no plan may be ordered for this PBX")?;
    let contacts = client.billing_contacts().await?;
    let contact = contacts
        .first()
        .ok_or("the account has no billing contact")?;
    println!("{} for {} ({})", plan.plan_name, sn, contact.email());

    // A plan and a contact have distinct ID types; years outside 1 to 5 are an error here.
    let order = OrderRequest::purchase(sn, plan.plan_id, contact.billing_contact_id, 1)?;
    match client.create_order(&order).await {
        OrderOutcome::Created(created) => {
            println!("order {} ({:?})", created.order_no, created.state())
        }
        OrderOutcome::Rejected(why) | OrderOutcome::NotSent(why) => {
            return Err(format!("nothing bought: {why}").into())
        }
        OrderOutcome::Unknown(why) => {
            return Err(format!("check the portal before trying again: {why}").into())
        }
    }
    Ok(())
}
// README end

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let state = tempfile::tempdir()?;
    let sandbox = linkus_sandbox::Embedded::start(state.path())?;
    buy(
        sandbox.url.as_str(),
        linkus_sandbox::CLIENT_ID,
        linkus_sandbox::CLIENT_SECRET,
        "369471667338",
    )
    .await
}
