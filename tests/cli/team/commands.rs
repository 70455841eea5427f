//! `team init`, `team status`, `team sync`, and secrets.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_machines_running_team_init_at_once_create_the_schema_once() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::ZERO).await;
    let machines: Vec<Machine> = (0..4).map(|i| Machine::new(&format!("host-{i}"))).collect();
    let children: Vec<_> = machines
        .iter()
        .map(|machine| {
            let mut cmd = machine.cmd(&portal, &db.url);
            cmd.args(["team", "init", "--json"]);
            spawn(&cmd)
        })
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    for run in &runs {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.json()["schemaVersion"], 1, "{}", run.stdout);
    }
    let created = runs
        .iter()
        .filter(|run| run.json()["previousSchemaVersion"] == 0)
        .count();
    assert_eq!(
        created,
        1,
        "{runs:?}",
        runs = runs.iter().map(|r| &r.stdout).collect::<Vec<_>>()
    );
    let versions = pg::rows(&db.url, "SELECT version FROM linkus_schema");
    assert_eq!(versions, vec![vec![Some("1".to_owned())]]);
}

const DB_PASSWORD: &str = "Tj-secret-pw-31337";

/// The URL with a password in it (the test server trusts 127.0.0.1, so it is not checked;
/// linkus still sends it and must never show it).
fn with_password(url: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_password(Some(DB_PASSWORD)).unwrap();
    parsed.to_string()
}

fn assert_no_secret(what: &str, run: &Run) {
    assert!(
        !run.all_output().contains(DB_PASSWORD),
        "{what} shows the database password:\n{}",
        run.all_output()
    );
}

#[tokio::test]
async fn a_password_on_the_command_line_is_refused_with_exit_2_and_never_shown() {
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let url = format!("postgresql://linkus:{DB_PASSWORD}@127.0.0.1:1/team");
    for json in [false, true] {
        let mut cmd = machine.cmd(&portal, "off");
        cmd.args(["--team-journal", &url]).args(purchase_args());
        if json {
            cmd.arg("--json");
        }
        let run = run_async(cmd).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("password"), "{}", run.stderr);
        assert_no_secret("the refusal", &run);
    }
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_password_never_shows_in_output_logs_captures_errors_or_the_journal() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let url = with_password(&db.url);
    let capture = machine.env.dir.path().join("capture");

    let mut cmd = machine.cmd(&portal, &url);
    cmd.args(purchase_args())
        .args(["-vv", "--capture"])
        .arg(&capture);
    let bought = run_async(cmd).await;
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_no_secret("a purchase with -vv", &bought);
    for path in all_files_under(&capture).into_iter().chain(all_files_under(
        machine.env.dir.path().join("data").as_path(),
    )) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !text.contains(DB_PASSWORD),
            "{} holds the password",
            path.display()
        );
    }
    let stored = pg::rows(&db.url, "SELECT command FROM linkus_entries");
    assert!(!format!("{stored:?}").contains(DB_PASSWORD), "{stored:?}");

    for args in [
        vec!["team", "status"],
        vec!["team", "status", "--json"],
        vec!["team", "sync"],
    ] {
        let run = machine.run(&portal, &url, &args).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_no_secret(&args.join(" "), &run);
    }

    // Errors: a database that does not answer, with the password in the URL, then in
    // PGPASSWORD.
    let dead = format!("postgresql://linkus:{DB_PASSWORD}@127.0.0.1:1/team?sslmode=disable");
    let mut cmd = machine.cmd(&portal, &dead);
    cmd.args(purchase_args_for("369471667339")).arg("--json");
    let failed = run_async(cmd).await;
    assert_eq!(failed.code, 6, "{}", failed.stderr);
    assert_no_secret("a failure to connect", &failed);
    let mut cmd = machine.cmd(
        &portal,
        "postgresql://linkus@127.0.0.1:1/team?sslmode=disable",
    );
    cmd.env("PGPASSWORD", DB_PASSWORD)
        .args(["team", "status", "-v"]);
    let failed = run_async(cmd).await;
    assert_eq!(failed.code, 6, "{}", failed.stderr);
    assert_no_secret("team status with PGPASSWORD", &failed);
}

#[tokio::test]
async fn the_sandbox_never_uses_the_team_journal() {
    let machine = Machine::new("laptop-ana");
    let mut cmd = machine.env.sandbox_cmd();
    cmd.env(
        "LINKUS_TEAM_JOURNAL",
        "postgresql://linkus@127.0.0.1:1/team?sslmode=disable",
    )
    .args(purchase_args());
    let run = run_async(cmd).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("team journal"), "{}", run.stderr);
}

#[tokio::test]
async fn team_journal_off_runs_without_it_and_says_so_once() {
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let mut cmd = machine.cmd(
        &portal,
        "postgresql://linkus@127.0.0.1:1/team?sslmode=disable",
    );
    cmd.args(["--team-journal", "off"]).args(purchase_args());
    let run = run_async(cmd).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("team journal is off").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("cannot check"), "{}", run.stderr);
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 1);
}

#[tokio::test]
async fn linkus_team_journal_off_in_the_environment_turns_it_off_too() {
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let run = machine.purchase(&portal, "off", &["--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("team journal is off").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("LINKUS_TEAM_JOURNAL"), "{}", run.stderr);
    assert_eq!(run.json()["orderNo"], ORDER_NO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_team_journal_connection_tls_schema_and_clock_without_changing_it() {
    let Some(db) = pg::database() else { return };
    let portal = portal().await;
    let machine = Machine::new("laptop-ana");
    let doctor = |extra: &[&str]| {
        let mut cmd = machine.cmd(&portal, &db.url);
        cmd.arg("doctor").args(extra);
        run_async(cmd)
    };
    // No schema yet: doctor says so and creates nothing.
    let before = doctor(&["--json"]).await;
    let checks = before.json()["checks"].clone();
    let check = |name: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {checks}"))
            .clone()
    };
    assert_eq!(check("team journal")["ok"], true, "{checks}");
    assert_eq!(check("team schema")["ok"], false, "{checks}");
    assert!(check("team schema")["hint"]
        .as_str()
        .unwrap()
        .contains("team init"));
    // TLS off on a loopback address: a warning, not a failure.
    assert_eq!(check("team TLS")["ok"], true, "{checks}");
    assert!(check("team TLS")["detail"]
        .as_str()
        .unwrap()
        .contains("not in use"));
    assert_eq!(check("team clock")["ok"], true, "{checks}");
    assert!(
        pg::rows(&db.url, "SELECT to_regclass('linkus_schema') IS NULL")[0][0]
            == Some("t".to_owned())
    );

    // team status says there is no schema, and creates none.
    let status = machine.run(&portal, &db.url, &["team", "status"]).await;
    assert_eq!(status.code, 6, "{}", status.stderr);
    assert!(status.stderr.contains("team init"), "{}", status.stderr);
    assert_eq!(
        machine.run(&portal, &db.url, &["team", "init"]).await.code,
        0
    );
    let after = doctor(&[]).await;
    assert!(after.stdout.contains("team schema"), "{}", after.stdout);
    assert!(after.stdout.contains("version 1"), "{}", after.stdout);
    assert!(after.stdout.contains("warn team TLS"), "{}", after.stdout);
}

#[tokio::test]
async fn doctor_fails_when_the_team_journal_cannot_be_reached() {
    let portal = portal().await;
    let machine = Machine::new("laptop-ana");
    let mut cmd = machine.cmd(
        &portal,
        "postgresql://linkus:Tj-secret-pw-31337@127.0.0.1:1/team?sslmode=disable",
    );
    cmd.arg("doctor");
    let run = run_async(cmd).await;
    assert_eq!(run.code, 6, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL team journal"), "{}", run.stdout);
    assert!(run.stdout.contains("skip team schema"), "{}", run.stdout);
    assert_no_secret("doctor", &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_list_shows_who_placed_each_order_and_only_warns_when_the_database_is_down() {
    let Some((server, url)) = pg::private() else {
        return;
    };
    let portal = team_portal(Duration::ZERO).await;
    let (ana, ci) = (Machine::new("laptop-ana"), Machine::new("ci-runner-7"));
    let mut buy = ana.cmd(&portal, &url);
    buy.args(purchase_args());
    assert_eq!(run_async(buy).await.code, 0);
    let _listed = crate::never_twice::list_orders(
        &portal,
        vec![crate::never_twice::listed(ORDER_NO, SN, "succeed", 1000)],
    )
    .await;

    let listed = ci.run(&portal, &url, &["orders", "list", "--json"]).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let by = listed.json()[0]["orderedBy"].as_str().unwrap().to_owned();
    assert!(by.ends_with("@laptop-ana"), "{by}");
    let text = ci.run(&portal, &url, &["orders", "list"]).await;
    assert!(text.stdout.contains("laptop-ana"), "{}", text.stdout);

    server.stop();
    let down = ci.run(&portal, &url, &["orders", "list", "--json"]).await;
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert!(
        down.stderr.contains("could not read the team journal"),
        "{}",
        down.stderr
    );
    assert_eq!(down.json()[0]["orderNo"], ORDER_NO);
}

/// The private CA of the test certificates.
fn ca_pem() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/fixtures/tls/ca.pem")
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_works_as_in_libpq_over_rustls() {
    let Some((_server, url)) = pg::private_tls() else {
        return;
    };
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let with_mode = |mode: &str, root: Option<&str>| {
        let mut parsed = url::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = std::iter::once(("sslmode".to_owned(), mode.to_owned()))
            .chain(root.map(|r| ("sslrootcert".to_owned(), r.to_owned())))
            .collect();
        parsed.set_query(None);
        parsed.query_pairs_mut().extend_pairs(pairs);
        parsed.to_string()
    };
    let status = |database: String| {
        let mut cmd = machine.cmd(&portal, &database);
        cmd.args(["team", "status", "--json"]);
        run_async(cmd)
    };
    let mut init = machine.cmd(&portal, &with_mode("verify-full", Some(&ca_pem())));
    init.args(["team", "init", "--json"]);
    let init = run_async(init).await;
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert_eq!(init.json()["tls"], true, "{}", init.stdout);
    // verify-full against the private CA: TLS in use, the certificate and name checked.
    let full = status(with_mode("verify-full", Some(&ca_pem()))).await;
    assert_eq!(full.code, 0, "{}", full.stderr);
    assert_eq!(full.json()["tls"], true, "{}", full.stdout);
    // prefer (the default) and require: TLS when offered, the certificate not checked.
    for mode in ["prefer", "require"] {
        let run = status(with_mode(mode, None)).await;
        assert_eq!(run.code, 0, "{mode}: {}", run.stderr);
        assert_eq!(run.json()["tls"], true, "{mode}: {}", run.stdout);
    }
    let plain = status(with_mode("disable", None)).await;
    assert_eq!(plain.json()["tls"], false, "{}", plain.stdout);
    // verify-full without that CA (the system's roots): refused, and an order sends nothing.
    let mut cmd = machine.cmd(&portal, &with_mode("verify-full", None));
    cmd.args(purchase_args());
    let refused = run_async(cmd).await;
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("team journal"),
        "{}",
        refused.stderr
    );
    assert_eq!(count(&portal, "POST", ORDER_PATH).await, 0);
    // And with it, the order goes through the team journal over TLS.
    let mut cmd = machine.cmd(&portal, &with_mode("verify-full", Some(&ca_pem())));
    cmd.args(purchase_args());
    let bought = run_async(cmd).await;
    assert_eq!(bought.code, 0, "{}", bought.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_status_shows_the_server_schema_tls_and_entries_in_flight_with_host_user_and_age() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::from_secs(30)).await;
    let (ana, ci) = (Machine::new("laptop-ana"), Machine::new("ci-runner-7"));
    let mut cmd = ana.cmd(&portal, &db.url);
    cmd.args(purchase_args());
    let mut child = spawn(&cmd);
    crate::team::failures::wait_for_intent(&db.url, SN);
    child.kill().unwrap();
    let _ = child.wait();

    let json = ci
        .run(&portal, &db.url, &["team", "status", "--json"])
        .await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let out = json.json();
    assert_eq!(out["schemaVersion"], 1);
    assert_eq!(out["tls"], false);
    assert!(
        out["serverVersion"]
            .as_str()
            .unwrap()
            .starts_with(char::is_numeric),
        "{out}"
    );
    let entry = &out["entries"][0];
    assert_eq!(entry["sn"], SN, "{out}");
    assert_eq!(entry["state"], "in_flight", "{out}");
    assert_eq!(entry["host"], "laptop-ana", "{out}");
    assert!(entry["user"].is_string(), "{out}");
    assert!(entry["age"].as_str().unwrap().ends_with(" s"), "{out}");

    let text = ci.run(&portal, &db.url, &["team", "status"]).await;
    assert!(
        text.stdout.contains("Schema        version 1"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("TLS           not in use"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("1 entry in flight, unknown or open"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("laptop-ana"), "{}", text.stdout);
    assert!(text.stdout.contains("in flight"), "{}", text.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_comes_from_pgpassword_the_profile_or_a_private_pgpass_and_is_never_shown() {
    let Some((mut server, url)) = pg::private() else {
        return;
    };
    pg::sql(&url, &format!("CREATE ROLE secure LOGIN PASSWORD '{DB_PASSWORD}'; GRANT ALL ON SCHEMA public TO secure")).unwrap();
    server.require_password_for("secure");
    server.restart();
    let portal = team_portal(Duration::ZERO).await;
    let machine = Machine::new("laptop-ana");
    let bare = url.replacen("postgres@", "secure@", 1);
    let init = |cmd: &mut Command| {
        cmd.args(["team", "init"]);
    };

    // No password anywhere: the server refuses, exit 6, nothing else said.
    let mut cmd = machine.cmd(&portal, &bare);
    init(&mut cmd);
    let refused = run_async(cmd).await;
    assert_eq!(refused.code, 6, "{}", refused.stderr);

    // PGPASSWORD.
    let mut cmd = machine.cmd(&portal, &bare);
    cmd.env("PGPASSWORD", DB_PASSWORD);
    init(&mut cmd);
    let run = run_async(cmd).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_secret("PGPASSWORD", &run);

    // ~/.pgpass: used when only the user can read it, ignored otherwise (as libpq does).
    let pgpass = machine.env.dir.path().join("pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:*:*:secure:{DB_PASSWORD}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = machine.cmd(&portal, &bare);
    cmd.env("PGPASSFILE", &pgpass);
    init(&mut cmd);
    assert_eq!(run_async(cmd).await.code, 6);
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = machine.cmd(&portal, &bare);
    cmd.env("PGPASSFILE", &pgpass);
    init(&mut cmd);
    let run = run_async(cmd).await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The profile's team_journal in the config file (0600), password included; a purchase
    // uses it with nothing in the environment.
    std::fs::create_dir_all(machine.env.config_dir()).unwrap();
    let with_password = with_password(&bare);
    let config = machine.env.config_dir().join("config.toml");
    std::fs::write(
        &config,
        format!("[default]\nteam_journal = \"{with_password}\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = machine.cmd(&portal, &bare);
    cmd.env_remove("LINKUS_TEAM_JOURNAL")
        .args(purchase_args())
        .arg("-v");
    let bought = run_async(cmd).await;
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_no_secret("a purchase with the profile's team journal", &bought);
    assert_eq!(team_rows(&url, SN).len(), 1);
}
