//! Issue 9 items 14 and 15: portal text with control characters is shown, not obeyed; a PO
//! number with one is refused; an argument that is not UTF-8 is a usage error.

use serde_json::json;
use wiremock::ResponseTemplate;

use super::assert_no_raw_controls;
use crate::common::*;

/// Clears the screen, retitles the window, rings the bell and returns to the line's start.
const NASTY: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\r";

#[tokio::test]
async fn escape_codes_in_an_order_number_are_shown_not_obeyed() {
    let server = portal().await;
    respond(
        &server,
        "POST",
        ORDER_PATH,
        ResponseTemplate::new(200).set_body_json(json!({
            "code": "success", "detailMessage": format!("ok{NASTY}"), "requestId": "req-order-1",
            "status": 200,
            "result": {"instanceId": "106396", "orderNo": format!("LR77{NASTY}9"),
                       "orderStatus": "pending", "productNo": SN, "transactionNo": "QO1"}
        })),
    )
    .await;
    let env = TestEnv::new();
    let run = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_no_raw_controls(&run, "orderNo");
    assert!(
        run.stdout
            .contains(r"LR77\u{1b}[2J\u{1b}]0;pwned\u{7}\u{d}9"),
        "made visible: {}",
        run.stdout
    );
}

#[tokio::test]
async fn escape_codes_in_a_portal_message_cannot_overwrite_nothing_was_bought() {
    let server = portal().await;
    respond(
        &server,
        "POST",
        ORDER_PATH,
        rejection(
            200,
            "invalid_param",
            &format!("refused{NASTY}Order placed and paid!"),
            "req-refused",
        ),
    )
    .await;
    let env = TestEnv::new();
    for flags in [vec![], vec!["--json"]] {
        let run = run(env
            .portal_cmd(&server.uri())
            .args(&flags)
            .args(purchase_args()));
        assert_eq!(run.code, 5, "{}", run.stderr);
        assert!(run.stderr.contains("nothing was bought"), "{}", run.stderr);
        assert!(run.stderr.contains(r"refused\u{1b}[2J"), "{}", run.stderr);
        assert_no_raw_controls(&run, "detailMessage");
    }
}

#[tokio::test]
async fn escape_codes_in_a_plan_name_are_shown_not_obeyed() {
    let server = portal().await;
    let nasty_plans = plans_body().replace(
        r#""planName":"Linkus Cloud Service Pro""#,
        r#""planName":"Linkus Pro\u001b[2J\u001b]0;pwned\u0007\r""#,
    );
    respond(&server, "GET", PLANS_PATH, json_response(nasty_plans)).await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();

    let products = run(env.portal_cmd(&server.uri()).args(["products", "--sn", SN]));
    assert_eq!(products.code, 0, "{}", products.stderr);
    assert!(
        products.stdout.contains(r"Linkus Pro\u{1b}[2J"),
        "{}",
        products.stdout
    );
    assert_no_raw_controls(&products, "products");

    let bought = run(env.portal_cmd(&server.uri()).args([
        "purchase",
        "--sn",
        SN,
        "--plan",
        PRO_PLAN_ID,
        "--billing-contact",
        CONTACT_ID,
        "--years",
        "1",
        "--yes",
    ]));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert!(
        bought.stderr.contains(r"Linkus Pro\u{1b}[2J"),
        "{}",
        bought.stderr
    );
    assert_no_raw_controls(&bought, "the summary and the result");
}

#[tokio::test]
async fn a_po_number_with_a_control_character_is_refused_before_anything_is_sent() {
    let server = portal().await;
    let env = TestEnv::new();
    for po in [
        "PO-1\nPO-2",
        "PO-1\r",
        "PO\u{1b}[2J",
        "PO\u{7}",
        "PO\tX",
        "PO\u{9b}1",
    ] {
        for flags in [vec![], vec!["--json"]] {
            let run = run(env
                .portal_cmd(&server.uri())
                .args(&flags)
                .args(purchase_args())
                .args(["--po-number", po]));
            assert_eq!(run.code, 2, "{po:?}: {}", run.stderr);
            assert!(run.stderr.contains("PO number"), "{po:?}: {}", run.stderr);
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            if !flags.is_empty() {
                assert_eq!(run.json()["error"]["kind"], "usage");
            }
        }
    }
    assert_eq!(total_requests(&server).await, 0, "not even a token request");
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let env = TestEnv::new();
    let bad = OsStr::from_bytes(b"\xff");
    let plain = run(env.cmd().args(["orders", "show"]).arg(bad));
    assert_eq!(plain.code, 2, "{}", plain.stderr);
    assert!(!plain.stderr.contains("panicked"), "{}", plain.stderr);
    assert!(!plain.stderr.contains("internal error"), "{}", plain.stderr);
    assert!(plain.stdout.is_empty(), "{}", plain.stdout);

    let json = run(env.cmd().args(["--json", "orders", "show"]).arg(bad));
    assert_eq!(json.code, 2, "{}", json.stderr);
    let error = &json.json()["error"];
    assert_eq!(error["kind"], "usage", "{}", json.stdout);
    assert_eq!(error["exitCode"], 2);

    // The same in a flag's value and as a global option's value.
    for args in [
        vec![OsStr::new("products"), OsStr::new("--sn"), bad],
        vec![OsStr::new("--profile"), bad, OsStr::new("billing-contacts")],
    ] {
        let run = run(env.cmd().args(&args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}
