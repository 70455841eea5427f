//! Issue 18, item 1: what a nightly job's file can look like (no rows, a typo, semicolons,
//! tabs, no header, an unterminated quote) and what the run says at the end (outcomes named
//! for the operation, one tally line, a results file a spreadsheet opens safely).

use super::*;

async fn portal_taking_orders() -> wiremock::MockServer {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    server
}

#[tokio::test]
async fn an_empty_file_an_empty_array_and_an_empty_pipe_are_nothing_to_do() {
    for (name, text) in [
        ("empty.csv", ""),
        ("blank.csv", "  \n\n"),
        ("header.csv", "sn,plan\n"),
        ("empty.json", "[]"),
        ("-", ""),
    ] {
        for json in [false, true] {
            let server = portal_taking_orders().await;
            let env = TestEnv::new();
            let from = if name == "-" {
                std::path::PathBuf::from("-")
            } else {
                file(&env, name, text)
            };
            let mut cmd = env.portal_cmd(&server.uri());
            cmd.args(batch_args(&from)).write_stdin(text);
            if json {
                cmd.arg("--json");
            }
            let run = run(&mut cmd);
            assert_eq!(run.code, 0, "{name}: {}", run.stderr);
            assert!(
                run.stderr.contains("nothing to do"),
                "{name}: {}",
                run.stderr
            );
            assert_eq!(run.stdout.trim(), if json { "[]" } else { "" }, "{name}");
            assert_eq!(
                total_requests(&server).await,
                0,
                "{name}: the portal was asked"
            );
        }
    }
}

/// Three rows: one good, one with a plan-name typo, one with an unknown contact.
fn typo_file(env: &TestEnv) -> std::path::PathBuf {
    file(
        env,
        "typo.csv",
        "sn,plan,billing_contact\n\
         511111111177,Linkus Cloud Service,\n\
         511111111277,Linkus Cloud Servce,\n\
         511111111377,,nobody@example.com\n",
    )
}

#[tokio::test]
async fn a_plan_name_typo_is_a_usage_error_for_the_whole_file_in_the_dry_run_and_the_real_run() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = typo_file(&env);
    for dry_run in [true, false] {
        let mut cmd = env.portal_cmd(&server.uri());
        cmd.args(batch_args(&from));
        if dry_run {
            cmd.arg("--dry-run");
        }
        let run = run(&mut cmd);
        assert_eq!(run.code, 2, "dry run {dry_run}: {}", run.stderr);
        for piece in [
            "typo.csv has 2 rows that match nothing; nothing was sent.",
            "line 3: ",
            "Linkus Cloud Servce",
            "line 4: ",
            "nobody@example.com",
            "--skip-invalid",
        ] {
            assert!(run.stderr.contains(piece), "no {piece:?} in {}", run.stderr);
        }
        assert_eq!(run.stdout, "", "dry run {dry_run}");
    }
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0, "nothing sent");
    assert!(env.journal_lines().is_empty());
}

#[tokio::test]
async fn skip_invalid_buys_the_good_rows_reports_the_typos_as_skipped_and_exits_0() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = typo_file(&env);
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .args(["--skip-invalid", "--json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        outcomes(&run),
        [
            ("511111111177".to_owned(), "bought".to_owned()),
            ("511111111277".to_owned(), "skipped".to_owned()),
            ("511111111377".to_owned(), "skipped".to_owned()),
        ]
    );
    let rows = run.json();
    assert!(
        rows[1]["message"]
            .as_str()
            .unwrap()
            .contains("Linkus Cloud Servce"),
        "{rows}"
    );
    let orders = received(&server, "POST", ORDER_PATH).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(ordered_sn(&orders[0].body), "511111111177");
}

#[tokio::test]
async fn semicolon_and_tab_separated_files_are_read_by_their_header_line() {
    for (name, text) in [
        (
            "excel.csv",
            "sn;plan;note\n511111111177;Linkus Cloud Service Pro;a, b\n511111111277;;c\n",
        ),
        (
            "rows.tsv",
            "sn\tplan\tnote\n511111111177\tLinkus Cloud Service Pro\ta, b\n511111111277\t\tc\n",
        ),
    ] {
        let server = portal_taking_orders().await;
        let env = TestEnv::new();
        let from = file(&env, name, text);
        let run = run(env
            .portal_cmd(&server.uri())
            .args(batch_args(&from))
            .arg("--json"));
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let rows = run.json();
        assert_eq!(rows[0]["note"], "a, b", "{name}: {rows}");
        assert_eq!(count_outcome(&run, "bought"), 2, "{name}");
        let plans: Vec<String> = received(&server, "POST", ORDER_PATH)
            .await
            .iter()
            .map(|o| {
                let body: Value = serde_json::from_slice(&o.body).unwrap();
                format!(
                    "{} {}",
                    body["productNo"].as_str().unwrap(),
                    body["serviceList"][0]["serviceId"]
                )
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(
            plans,
            [
                format!("511111111177 {PRO_PLAN_ID}"),
                format!("511111111277 {PLAN_ID}")
            ],
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_bare_list_of_sns_gets_a_hint_to_add_the_header_line_sn() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(&env, "sns.txt", "511111111177\n511111111277\n");
    let run = run(env.portal_cmd(&server.uri()).args(batch_args(&from)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert!(
        run.stderr.contains("looks like a row, not a header"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("add the header line `sn`"),
        "{}",
        run.stderr
    );
    assert_eq!(total_requests(&server).await, 0);
}

#[tokio::test]
async fn an_unterminated_quote_is_a_usage_error_naming_its_line() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "quote.csv",
        "sn,note\n511111111177,fine\n511111111277,\"never closed\n511111111377,x\n",
    );
    let run = run(env.portal_cmd(&server.uri()).args(batch_args(&from)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 3: a quote is opened and never closed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(total_requests(&server).await, 0);
}

#[tokio::test]
async fn values_a_spreadsheet_would_run_as_formulas_are_quoted_in_the_results_file() {
    let server = portal_taking_orders().await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "rows.csv",
        "sn,customer,note\n511111111177,=HYPERLINK(\"http://x\"),+1\n511111111277,@SUM(A1),-2 days\n",
    );
    let results = env.dir.path().join("results.csv");
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .args(["--results", &results.display().to_string()]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines[0],
        "sn,customer,note,outcome,orderNo,orderStatus,message"
    );
    assert!(
        lines[1].starts_with("511111111177,\"'=HYPERLINK(\"\"http://x\"\")\",'+1,bought,"),
        "{written}"
    );
    assert!(
        lines[2].starts_with("511111111277,'@SUM(A1),'-2 days,bought,"),
        "{written}"
    );
}

#[tokio::test]
async fn the_batch_ends_with_one_tally_line_of_counts_and_the_total_spent() {
    let server = portal_taking_orders().await;
    let subscribed = "511111111377";
    respond_for_sn(&server, subscribed).await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "rows.csv",
        &format!("sn,years\n511111111177,2\n511111111277,\n{subscribed},\n511111111477,9\n"),
    );
    let run = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .args(["--skip-invalid"]));
    assert_eq!(run.code, 5, "{}", run.stderr);
    let last = run.stderr.trim_end().lines().last().unwrap_or("");
    assert_eq!(
        last, "2 bought, 1 failed (1 refused), 1 skipped: 360.00 USD",
        "{}",
        run.stderr
    );
}

/// Get Product Details says `sn` already has Linkus: a purchase row for it is refused.
async fn respond_for_sn(server: &wiremock::MockServer, sn: &str) {
    use wiremock::matchers::{method, path, query_param};
    wiremock::Mock::given(method("GET"))
        .and(path(DETAILS_PATH))
        .and(query_param("productNo", sn))
        .respond_with(subscribed("2099-01-01 00:00:00"))
        .with_priority(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_dry_run_exits_with_the_code_the_real_run_would_end_with() {
    let server = portal_taking_orders().await;
    let subscribed = "511111111377";
    respond_for_sn(&server, subscribed).await;
    let env = TestEnv::new();
    let from = file(
        &env,
        "rows.csv",
        &format!("sn\n511111111177\n{subscribed}\n"),
    );
    let dry = run(env
        .portal_cmd(&server.uri())
        .args(batch_args(&from))
        .arg("--dry-run"));
    assert_eq!(dry.code, 5, "{}", dry.stderr);
    assert_eq!(count(&server, "POST", ORDER_PATH).await, 0);
    let real = run(env.portal_cmd(&server.uri()).args(batch_args(&from)));
    assert_eq!(real.code, dry.code, "{}", real.stderr);
}
