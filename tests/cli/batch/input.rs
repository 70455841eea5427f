//! Bad input gets a clear error with its line numbers and costs nothing: exit 2, no request
//! of any kind (not even a token), unless `--skip-invalid` leaves those rows out.

use super::*;

/// A portal that would take orders, so that "nothing was sent" is a real claim.
async fn portal_taking_orders() -> wiremock::MockServer {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

/// Runs the batch on `text` and checks the common promises: exit 2, the words of the
/// contract, every `expected` piece, and not one request at the portal.
async fn refused_before_anything_is_sent(name: &str, text: &str, expected: &[&str]) -> Run {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, name, text);
    let run = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(batch_args(&from));
        cmd
    })
    .await;
    assert_eq!(run.code, 2, "{name}: {}", run.stderr);
    assert_eq!(run.stdout, "", "{name}");
    assert!(
        run.stderr.contains("nothing was sent"),
        "{name}: {}",
        run.stderr
    );
    for piece in expected {
        assert!(
            run.stderr.contains(piece),
            "{name}: no {piece:?} in {}",
            run.stderr
        );
    }
    assert_eq!(
        total_requests(&server).await,
        0,
        "{name}: the portal was asked"
    );
    assert!(env.journal_lines().is_empty(), "{name}: journaled");
    run
}

#[tokio::test]
async fn a_file_that_is_not_csv_or_json_is_refused_with_its_line_and_costs_nothing() {
    refused_before_anything_is_sent(
        "broken.json",
        "[\n  {\"sn\": \"511111111177\"},\n  {sn: 511111111277}\n]\n",
        &["broken.json cannot be used", "line 3", "not valid JSON"],
    )
    .await;
    refused_before_anything_is_sent(
        "broken.jsonl",
        "{\"sn\": \"511111111177\"}\n{\"sn\": \"5111\n",
        &["line 2", "not valid JSON"],
    )
    .await;
    refused_before_anything_is_sent(
        "ragged.csv",
        "sn,plan\n511111111177,Linkus Cloud Service\n511111111277\n",
        &["ragged.csv cannot be used", "line 3", "not valid CSV"],
    )
    .await;
    // A binary file that happens to be valid UTF-8 is not a CSV with one odd column.
    refused_before_anything_is_sent(
        "image.csv",
        "sn\n\u{0}\u{1}\u{2}PNG\u{0}\u{0}\n",
        &["image.csv cannot be used", "line 2", "not CSV or JSON"],
    )
    .await;
}

#[tokio::test]
async fn a_file_that_is_not_utf8_is_refused_and_costs_nothing() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = env.dir.path().join("latin1.csv");
    std::fs::write(&from, b"sn,note\n511111111177,caf\xe9\n").unwrap();
    let run = run(env.portal_cmd(&server.uri()).args(batch_args(&from)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is not UTF-8 text"), "{}", run.stderr);
    assert_eq!(total_requests(&server).await, 0);
}

#[tokio::test]
async fn a_file_without_an_sn_column_is_refused_before_anything_is_sent() {
    refused_before_anything_is_sent(
        "serials.csv",
        "serial,plan\n511111111177,Linkus Cloud Service\n",
        &["no `sn` column (or `productNo`)"],
    )
    .await;
    refused_before_anything_is_sent(
        "serials.json",
        "[{\"serial\": \"511111111177\"}]",
        &["no `sn` column"],
    )
    .await;
}

#[tokio::test]
async fn the_same_sn_twice_in_one_file_is_refused_naming_both_lines() {
    refused_before_anything_is_sent(
        "twice.csv",
        "sn\n511111111177\n511111111277\n511111111177\n",
        &[
            "1 row that cannot be used",
            "line 4: SN 511111111177 is also on line 2",
            "--skip-invalid",
        ],
    )
    .await;
    // Case does not make another PBX.
    refused_before_anything_is_sent(
        "twice.jsonl",
        "{\"sn\": \"A511111111177\"}\n{\"productNo\": \"a511111111177\"}\n",
        &["line 2: SN a511111111177 is also on line 1"],
    )
    .await;
}

#[tokio::test]
async fn an_empty_file_is_refused() {
    for (name, text) in [("empty.csv", ""), ("blank.csv", "  \n\n")] {
        refused_before_anything_is_sent(name, text, &["cannot be used: the file is empty"]).await;
    }
    for (name, text) in [("header.csv", "sn,plan\n"), ("empty.json", "[]")] {
        refused_before_anything_is_sent(name, text, &["cannot be used: it has no rows"]).await;
    }
}

#[tokio::test]
async fn rows_with_bad_values_are_refused_with_their_line_numbers() {
    let text = "sn,years,po_number\n\
                511111111177,9,\n\
                5111-11112-77,1,\n\
                511111111377,1,\"PO 1\nsecond line\"\n\
                511111111477,1,PO 4\n";
    refused_before_anything_is_sent(
        "values.csv",
        text,
        &[
            "values.csv has 3 rows that cannot be used; nothing was sent.",
            "line 2: years is \"9\", not 1 to 5",
            "line 3: a serial number has only letters and digits, not '-'",
            "line 4: a PO number cannot hold control characters",
        ],
    )
    .await;
}

#[tokio::test]
async fn bad_input_with_json_prints_the_error_object() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "values.csv", "sn,years\n511111111177,9\n");
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .arg("--json"));
    assert_eq!(run.code, 2);
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "usage");
    assert_eq!(error["exitCode"], 2);
    assert!(error["message"].as_str().unwrap().contains("line 2: years"));
    assert_eq!(total_requests(&server).await, 0);
}

#[tokio::test]
async fn skip_invalid_leaves_the_bad_rows_out_and_orders_the_rest() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "mixed.csv",
        "sn,years,note\n511111111177,9,bad years\n511111111277,2,good\n5111-3,1,bad sn\n511111111477,,good too\n511111111277,1,twice\n",
    );
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .args(["--skip-invalid", "--json"]));

    // Rows that cannot be used are rows that did not end bought: the batch exits 2.
    assert_eq!(run.code, 2, "{}", run.stderr);
    let rows = run.json();
    let summary: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["sn"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["note"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("511111111177", "invalid", "bad years"),
        ("511111111277", "bought", "good"),
        ("5111-3", "invalid", "bad sn"),
        ("511111111477", "bought", "good too"),
        ("511111111277", "invalid", "twice"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(summary, expected);
    assert!(rows[0]["message"].as_str().unwrap().contains("not 1 to 5"));
    // The summary lists them with their lines and SNs, among the refused.
    assert!(run.stderr.contains("Refused          3"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 2     SN 511111111177     invalid: years is \"9\", not 1 to 5"),
        "{}",
        run.stderr
    );
    assert!(rows[4]["message"]
        .as_str()
        .unwrap()
        .contains("also on line 3"));

    let orders = received(&server, "POST", ORDER_PATH).await;
    let mut sns: Vec<String> = orders.iter().map(|o| ordered_sn(&o.body)).collect();
    sns.sort();
    assert_eq!(sns, ["511111111277", "511111111477"]);
    // The years of the row, and the flag's for the row that leaves it empty.
    let years = |sn: &str| {
        orders
            .iter()
            .map(|o| serde_json::from_slice::<Value>(&o.body).unwrap())
            .find(|body| body["productNo"] == sn)
            .map(|body| body["serviceList"][0]["multiCycle"].clone())
    };
    assert_eq!(years("511111111277"), Some(serde_json::json!(2)));
    assert_eq!(years("511111111477"), Some(serde_json::json!(1)));
}

#[tokio::test]
async fn yes_alone_does_not_skip_invalid_rows() {
    let run = refused_before_anything_is_sent(
        "mixed.csv",
        "sn,years\n511111111177,1\n511111111277,0\n",
        &["line 3: years is \"0\""],
    )
    .await;
    assert!(run.stderr.contains("add --skip-invalid"), "{}", run.stderr);
}

/// `--again` with `--from` (CLI.md section 3): each names one earlier order that the row for
/// its SN may order again after; without it, that row is "already bought".
#[tokio::test]
async fn again_with_from_lets_the_row_it_names_order_again() {
    let server = portal_taking_orders().await;
    let earlier = "LR3206190457467700001";
    let seed = |env: &TestEnv| {
        let time = humantime::format_rfc3339_millis(
            std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
        );
        let lines = [
            serde_json::json!({"event": "intent", "id": "0a9a000000000001", "time": time.to_string(),
                "profile": "default", "baseUrl": format!("{}/", server.uri()), "sn": fleet_sn(1),
                "operation": "purchase", "planId": PLAN_ID, "planName": "Linkus Cloud Service",
                "billingContactId": CONTACT_ID, "years": 1, "poNumber": null}),
            serde_json::json!({"event": "outcome", "id": "0a9a000000000001", "time": time.to_string(),
                "outcome": "succeed", "orderNo": earlier, "orderStatus": "succeed", "requestId": null}),
        ];
        std::fs::create_dir_all(env.data_dir()).unwrap();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(env.journal(), text).unwrap();
    };
    let env = TestEnv::new();
    seed(&env);
    let from = file(&env, "rows.csv", &csv_of(&fleet(2)));
    let resumed = run(env.portal_cmd(&server.uri()).args(batch_args(&from)));
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 1);

    let env = TestEnv::new();
    seed(&env);
    let from = file(&env, "rows.csv", &csv_of(&fleet(2)));
    let again = run(env.portal_cmd(&server.uri()).args(batch_args(&from)).args([
        "--again",
        "LR3206190457467709999",
        "--again",
        earlier,
    ]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 3);
}

#[tokio::test]
async fn without_a_terminal_a_batch_needs_yes_or_dry_run() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "rows.csv", &csv_of(&fleet(3)));
    let mut args = batch_args(&from);
    args.retain(|a| a != "--yes");
    let run = run(env.portal_cmd(&server.uri()).args(&args));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "Prompts are off (CI is set), so a batch needs --yes to order (or --dry-run to look)."
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        total_requests(&server).await,
        0,
        "checked before anything is sent"
    );
}

#[tokio::test]
async fn a_value_no_row_and_no_flag_gives_is_named_once_and_costs_nothing() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "pbxs.csv", &csv_of(&fleet(3)));
    // No plan, no contact, no years: neither in the file nor on the command line.
    let run = run_async({
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(["purchase", "--from"]).arg(&from).arg("--yes");
        cmd
    })
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    for flag in ["--plan", "--billing-contact", "--years", "nothing was sent"] {
        assert!(run.stderr.contains(flag), "no {flag:?} in {}", run.stderr);
    }
    assert_eq!(total_requests(&server).await, 0, "the portal was asked");
}
