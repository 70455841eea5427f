//! What lives in the schema, so that every linkus version sharing a database agrees: the
//! claim (idempotent by entry ID), what blocks, outcome writes that never overwrite a settled
//! one, rows that are never deleted. Called directly, as another linkus version would.

use super::*;

fn one(database: &str, statement: &str) -> String {
    pg::rows(database, statement)[0][0]
        .clone()
        .unwrap_or_default()
}

fn claim(database: &str, id: &str, sn: &str, operation: &str, again: &str) -> serde_json::Value {
    let text = one(
        database,
        &format!(
            "SELECT linkus_claim('{id}', 'HTTP://127.0.0.1:9/', '{sn}', '{operation}', ARRAY[{again}]::text[], \
             '1', 'Linkus Cloud Service', 1, '2', NULL, 'default', 'host-a', 'ana', 42, 'linkus purchase', '0.2.0', 'now')"
        ),
    );
    serde_json::from_str(&text).unwrap()
}

fn settle(database: &str, id: &str, outcome: &str, order_no: &str) -> serde_json::Value {
    let order_no = if order_no.is_empty() {
        "NULL".to_owned()
    } else {
        format!("'{order_no}'")
    };
    let text = one(
        database,
        &format!("SELECT linkus_settle('{id}', '{outcome}', {order_no}, NULL, NULL, 'test')"),
    );
    serde_json::from_str(&text).unwrap()
}

/// A fresh database with the schema, made by `team init`.
async fn initialised() -> Option<pg::TestDb> {
    let db = pg::database()?;
    let portal = team_portal(Duration::ZERO).await;
    let init = Machine::new("host-a")
        .run(&portal, &db.url, &["team", "init"])
        .await;
    assert_eq!(init.code, 0);
    Some(db)
}

#[tokio::test]
async fn the_claim_is_one_statement_idempotent_by_entry_and_blocks_by_the_schemas_rules() {
    let Some(db) = initialised().await else {
        return;
    };
    let url = &db.url;
    let first = claim(url, "e1", "ab12", "purchase", "");
    assert_eq!(first["claimed"], true, "{first}");
    // The same entry again (a retry whose first answer was lost): the same row, claimed.
    assert_eq!(claim(url, "e1", "AB12", "purchase", "")["claimed"], true);
    assert_eq!(one(url, "SELECT count(*) FROM linkus_entries"), "1");
    // Another entry for the same portal (spelled differently) and SN: blocked by the one in
    // flight, whatever the operation.
    let blocked = claim(url, "e2", " ab12 ", "renew", "");
    assert_eq!(blocked["claimed"], false, "{blocked}");
    assert_eq!(blocked["entry"]["id"], "e1");
    assert_eq!(blocked["entry"]["state"], "in_flight");
    assert_eq!(blocked["entry"]["host"], "host-a");
    // Succeeded: blocks the same operation for 24 hours unless --again names it.
    settle(url, "e1", "succeed", "LR1");
    assert_eq!(claim(url, "e3", "AB12", "purchase", "")["claimed"], false);
    assert_eq!(claim(url, "e4", "AB12", "renew", "")["claimed"], true);
    settle(url, "e4", "failed", "LR2");
    assert_eq!(
        claim(url, "e5", "AB12", "purchase", "'lr1'")["claimed"],
        true
    );
    settle(url, "e5", "rejected", "");
    // Older than 24 hours by the database's clock: no longer blocks.
    pg::sql(
        url,
        "ALTER TABLE linkus_entries DISABLE TRIGGER linkus_entries_guard; \
        UPDATE linkus_entries SET created_at = now() - interval '25 hours' WHERE id = 'e1'; \
        ALTER TABLE linkus_entries ENABLE TRIGGER linkus_entries_guard",
    )
    .unwrap();
    assert_eq!(claim(url, "e6", "AB12", "purchase", "")["claimed"], true);
}

/// The operation `any` (an order sent with an `operationType` linkus does not know) is every
/// operation in the schema's rule, on either side of the claim.
#[tokio::test]
async fn a_success_of_the_operation_any_blocks_every_operation_and_any_is_blocked_by_every_one() {
    let Some(db) = initialised().await else {
        return;
    };
    let url = &db.url;
    assert_eq!(claim(url, "e1", "AB12", "any", "")["claimed"], true);
    settle(url, "e1", "succeed", "LR1");
    for (id, operation) in [("e2", "purchase"), ("e3", "renew"), ("e4", "switch")] {
        let blocked = claim(url, id, "AB12", operation, "");
        assert_eq!(blocked["claimed"], false, "{operation}: {blocked}");
        assert_eq!(blocked["entry"]["id"], "e1");
    }
    assert_eq!(claim(url, "e5", "CD34", "renew", "")["claimed"], true);
    settle(url, "e5", "succeed", "LR5");
    let blocked = claim(url, "e6", "CD34", "any", "");
    assert_eq!(blocked["claimed"], false, "{blocked}");
    assert_eq!(blocked["entry"]["id"], "e5");
}

#[tokio::test]
async fn outcomes_are_idempotent_and_a_settled_one_is_never_overwritten() {
    let Some(db) = initialised().await else {
        return;
    };
    let url = &db.url;
    claim(url, "e1", "AB12", "purchase", "");
    assert_eq!(settle(url, "e1", "pending", "LR1")["changed"], true);
    assert_eq!(settle(url, "e1", "pending", "LR1")["changed"], false);
    // An open order may not go back to unknown or "not placed"; it may succeed.
    assert_eq!(settle(url, "e1", "unknown", "")["changed"], false);
    assert_eq!(settle(url, "e1", "not_placed", "")["changed"], false);
    assert_eq!(settle(url, "e1", "succeed", "LR1")["changed"], true);
    // Settled: nothing changes it, not even a direct UPDATE.
    assert_eq!(settle(url, "e1", "failed", "LR1")["changed"], false);
    pg::sql(
        url,
        "UPDATE linkus_entries SET outcome = 'unknown' WHERE id = 'e1'",
    )
    .unwrap();
    assert_eq!(
        one(url, "SELECT outcome FROM linkus_entries WHERE id = 'e1'"),
        "succeed"
    );
    // An entry that is not there is said so.
    assert_eq!(settle(url, "nope", "succeed", "LR9")["found"], false);
}

#[tokio::test]
async fn rows_are_never_deleted() {
    let Some(db) = initialised().await else {
        return;
    };
    claim(&db.url, "e1", "AB12", "purchase", "");
    let refused = pg::sql(&db.url, "DELETE FROM linkus_entries").unwrap_err();
    assert!(refused.contains("never deleted"), "{refused}");
    assert_eq!(one(&db.url, "SELECT count(*) FROM linkus_entries"), "1");
}
