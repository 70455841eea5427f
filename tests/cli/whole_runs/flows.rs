//! The main flows as a person runs them, in the sandbox.

use super::*;

#[test]
fn purchase_with_yes_prints_the_summary_and_the_order() {
    let env = TestEnv::new();
    let run = linkus_snapshot!("run__purchase_yes", sandbox(&env).args(purchase_args()));
    assert_eq!(run.code, 0);
}

#[test]
fn purchase_with_yes_and_json_prints_the_order_as_json() {
    let env = TestEnv::new();
    let run = linkus_snapshot!(
        "run__purchase_yes_json",
        sandbox(&env).args(purchase_args()).arg("--json")
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["orderStatus"], "succeed", "{}", run.stdout);
}

#[test]
fn purchase_dry_run_shows_the_summary_and_the_body() {
    let env = TestEnv::new();
    let run = linkus_snapshot!(
        "run__purchase_dry_run",
        sandbox(&env).args([
            "purchase",
            "--sn",
            SN,
            "--plan",
            "Linkus Cloud Service Pro",
            "--billing-contact",
            "billing@example.com",
            "--years",
            "2",
            "--po-number",
            "PO-2026-0042",
            "--dry-run",
        ])
    );
    assert_eq!(run.code, 0);
}

#[test]
fn renew_and_switch_with_yes() {
    let env = TestEnv::new();
    let renew = linkus_snapshot!(
        "run__renew_yes",
        sandbox(&env).args([
            "renew",
            "--sn",
            "369471660409",
            "--billing-contact",
            CONTACT_ID,
            "--years",
            "2",
            "--yes",
        ])
    );
    assert_eq!(renew.code, 0);
    let switch = linkus_snapshot!(
        "run__switch_yes",
        sandbox(&env).args([
            "switch",
            "--sn",
            "369471660409",
            "--plan",
            "Linkus Cloud Service Pro",
            "--billing-contact",
            CONTACT_ID,
            "--yes",
        ])
    );
    assert_eq!(switch.code, 0);
}

#[test]
fn autorenew_enable_with_yes() {
    let env = TestEnv::new();
    let run = linkus_snapshot!(
        "run__autorenew_enable_yes",
        sandbox(&env).args(["autorenew", "enable", "--sn", "369471660409", "--yes"])
    );
    assert_eq!(run.code, 0);
}

const FLEET: &str = "sn,plan,years,po_number\n\
                     369471668888,Linkus Cloud Service,1,PO-7\n\
                     369471669999,Linkus Cloud Service Pro,2,\n";

/// A batch from `file`, one row at a time: with several at once the progress lines come in
/// the order the portal answers, which no snapshot could hold.
fn buy_from(file: &str) -> Vec<&str> {
    vec![
        "purchase",
        "--from",
        file,
        "--jobs",
        "1",
        "--billing-contact",
        "billing@example.com",
        "--yes",
    ]
}

#[test]
fn a_batch_from_a_file_shows_its_table_and_tally() {
    let env = TestEnv::new();
    file(&env, "pbxs.csv", FLEET);
    let run = linkus_snapshot!(
        "run__batch_purchase",
        sandbox(&env).args(buy_from("pbxs.csv"))
    );
    assert_eq!(run.code, 0);
    // Run again: each row is already bought, nothing is sent.
    let again = linkus_snapshot!(
        "run__batch_purchase_rerun",
        sandbox(&env).args(buy_from("pbxs.csv"))
    );
    assert_eq!(again.code, 0);
}

#[test]
fn a_batch_with_json_and_a_results_file() {
    let env = TestEnv::new();
    file(&env, "pbxs.csv", FLEET);
    let run = linkus_snapshot!(
        "run__batch_purchase_json",
        sandbox(&env)
            .args(buy_from("pbxs.csv"))
            .args(["--json", "--results", "results.csv"])
    );
    assert_eq!(run.code, 0);
    let results = std::fs::read_to_string(env.dir.path().join("results.csv")).unwrap();
    text_snapshot!("run__batch_purchase_results_csv", results);
}

#[test]
fn a_batch_with_a_refused_and_a_pending_row() {
    let env = TestEnv::new();
    file(
        &env,
        "pbxs.csv",
        "sn;plan;years\n\
         369471668888;Linkus Cloud Service;1\n\
         369471660402;Linkus Cloud Service;1\n\
         369471660202;Linkus Cloud Service Pro;3\n",
    );
    let run = linkus_snapshot!(
        "run__batch_purchase_failed_rows",
        sandbox(&env).args(buy_from("pbxs.csv"))
    );
    assert_ne!(run.code, 0);
}

#[test]
fn renew_expiring_within_renews_then_finds_nothing_to_renew() {
    let env = TestEnv::new();
    let args = [
        "renew",
        "--expiring-within",
        "30",
        "--billing-contact",
        "billing@example.com",
        "--max-total",
        "5000USD",
        "--yes",
    ];
    let dry = linkus_snapshot!(
        "run__renew_expiring_within_dry_run",
        sandbox(&env).args(&args[..args.len() - 1]).arg("--dry-run")
    );
    assert_eq!(dry.code, 0);
    let run = linkus_snapshot!("run__renew_expiring_within", sandbox(&env).args(args));
    assert_eq!(run.code, 0);
    let again = linkus_snapshot!(
        "run__renew_expiring_within_nothing",
        sandbox(&env).args(args).arg("--json")
    );
    assert_eq!(again.code, 0);
    assert_eq!(again.stdout.trim(), "[]");
}

#[test]
fn listings_after_some_orders() {
    let env = TestEnv::new();
    bought(&env, SN);
    let pending = run(sandbox(&env).args(purchase_args_for("369471660202")));
    assert_eq!(pending.code, 8, "{}", pending.stderr);
    for (name, args) in [
        ("run__products", &["products", "--sn", SN][..]),
        ("run__products_json", &["products", "--sn", SN, "--json"]),
        ("run__billing_contacts", &["billing-contacts"]),
        ("run__subscriptions", &["subscriptions"]),
        (
            "run__subscriptions_sn_without_linkus",
            &["subscriptions", "--sn", "369471669999"],
        ),
        (
            "run__subscriptions_expiring_json",
            &["subscriptions", "--expiring-within", "30", "--json"],
        ),
        ("run__orders_list", &["orders", "list"]),
        (
            "run__orders_list_open_json",
            &["orders", "list", "--status", "open", "--json"],
        ),
        ("run__orders_reconcile", &["orders", "reconcile"]),
    ] {
        let run = linkus_snapshot!(name, sandbox(&env).args(args));
        assert_eq!(
            run.code,
            if name == "run__orders_reconcile" {
                8
            } else {
                0
            },
            "{name}"
        );
    }
}

#[test]
fn a_pending_order_paid_in_the_sandbox_then_shown() {
    let env = TestEnv::new();
    let pending = run(env
        .sandbox_cmd()
        .args(purchase_args_for("369471660202"))
        .arg("-q"));
    assert_eq!(pending.code, 8, "{}", pending.stderr);
    let order = pending.stdout.trim().to_owned();
    let pay = linkus_snapshot!(
        "run__sandbox_pay",
        sandbox(&env).args(["sandbox", "pay", &order])
    );
    assert_eq!(pay.code, 0);
    let show = linkus_snapshot!(
        "run__orders_show_wait",
        sandbox(&env).args(["orders", "show", &order, "--wait"])
    );
    assert_eq!(show.code, 0);
}

#[test]
fn doctor_passes_in_the_sandbox() {
    let env = TestEnv::new();
    let run = linkus_snapshot!("run__doctor", sandbox(&env).arg("doctor"));
    assert_eq!(run.code, 0);
    let run = linkus_snapshot!("run__doctor_sn", sandbox(&env).args(["doctor", "--sn", SN]));
    assert_eq!(run.code, 0);
}
