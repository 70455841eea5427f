//! Issue 9 item 16: folders and files, a busy port, a base URL that cannot be the portal,
//! and one that redirects.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[cfg(unix)]
fn make_dir_with_mode(dir: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every folder under `root`, `root` included.
#[cfg(unix)]
fn folders_under(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = vec![root.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                found.extend(folders_under(&entry.path()));
            }
        }
    }
    found
}

#[cfg(unix)]
#[tokio::test]
async fn a_data_folder_the_user_made_keeps_its_mode_after_a_purchase() {
    let server = portal().await;
    respond(&server, "POST", ORDER_PATH, order_created("succeed")).await;
    let env = TestEnv::new();
    make_dir_with_mode(&env.data_dir(), 0o755);
    let bought = run(env.portal_cmd(&server.uri()).args(purchase_args()));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_eq!(mode(&env.journal()), 0o600);
    assert_eq!(
        mode(&env.data_dir()),
        0o755,
        "the user's folder was changed"
    );

    let sandbox = TestEnv::new();
    make_dir_with_mode(&sandbox.data_dir(), 0o755);
    let bought = run(sandbox.sandbox_cmd().args(purchase_args()));
    assert_eq!(bought.code, 0, "{}", bought.stderr);
    assert_eq!(
        mode(&sandbox.data_dir()),
        0o755,
        "the user's folder was changed"
    );
    assert_eq!(mode(&sandbox.data_dir().join("sandbox")), 0o700);
}

#[cfg(unix)]
#[test]
fn the_folders_linkus_creates_are_private() {
    let reset = vec!["sandbox", "reset"];
    for args in [purchase_args(), reset] {
        let env = TestEnv::new();
        let run = run(env.sandbox_cmd().args(&args));
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(env.data_dir().exists(), "{args:?}");
        for root in [
            env.config_dir(),
            env.cache_dir(),
            env.data_dir(),
            env.lock_dir(),
        ] {
            for folder in folders_under(&root) {
                if folder.exists() {
                    assert_eq!(
                        mode(&folder),
                        0o700,
                        "{args:?}: {} is {:o}",
                        folder.display(),
                        mode(&folder)
                    );
                }
            }
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_config_lock_file_is_private_after_login() {
    let server = portal().await;
    let env = TestEnv::new();
    let login = run(env
        .cmd()
        .args([
            "--base-url",
            &server.uri(),
            "auth",
            "login",
            "--client-id",
            CLIENT_ID,
            "--secret-stdin",
        ])
        .write_stdin(format!("{CLIENT_SECRET}\n")));
    assert_eq!(login.code, 0, "{}", login.stderr);
    let lock = env.config_dir().join("config.toml.lock");
    assert!(lock.exists(), "{}", lock.display());
    assert_eq!(mode(&lock), 0o600);
    assert_eq!(mode(&env.config_dir().join("config.toml")), 0o600);
    for file in all_files_under(env.dir.path()) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(mode(&file), 0o600, "{name}");
    }
}

#[test]
fn sandbox_serve_on_a_busy_port_is_a_usage_error_naming_port() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let env = TestEnv::new();
    for flags in [vec![], vec!["--json"]] {
        let run = run(env
            .cmd()
            .args(&flags)
            .args(["sandbox", "serve", "--port", &port]));
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(&port), "{}", run.stderr);
        assert!(run.stderr.contains("--port"), "{}", run.stderr);
        assert!(!run.stderr.contains("looks like a bug"), "{}", run.stderr);
        if !flags.is_empty() {
            assert_eq!(run.json()["error"]["exitCode"], 2);
        }
    }
    drop(busy);
}

#[test]
fn a_base_url_that_is_not_http_is_a_usage_error() {
    let env = TestEnv::new();
    for url in [
        "ftp://openapi.partner.yeastar.com",
        "file:///etc/passwd",
        "openapi.partner.yeastar.com",
    ] {
        let by_env = run(env.portal_cmd(url).args(["billing-contacts"]));
        assert_eq!(by_env.code, 2, "{url}: {}", by_env.stderr);
        assert!(
            !by_env.stderr.contains("try again"),
            "{url}: {}",
            by_env.stderr
        );
        let flag = run(env.portal_cmd("https://openapi.partner.example.com").args([
            "--base-url",
            url,
            "billing-contacts",
        ]));
        assert_eq!(flag.code, 2, "{url}: {}", flag.stderr);
    }
}

fn moved_to(target: &str) -> ResponseTemplate {
    ResponseTemplate::new(301).insert_header("Location", target)
}

fn assert_names_the_redirect(run: &Run, target: &str) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("redirect"), "{}", run.stderr);
    assert!(run.stderr.contains(target), "{}", run.stderr);
    assert!(!run.stderr.contains("not JSON"), "{}", run.stderr);
    assert!(!run.stderr.contains("empty body"), "{}", run.stderr);
    assert!(!run.stderr.contains("try again"), "{}", run.stderr);
}

#[tokio::test]
async fn a_base_url_that_redirects_names_the_redirect_and_its_target() {
    // Everything redirects: the token request, the first of a run, meets it.
    let server = MockServer::start().await;
    let target = "https://openapi.partner.example.com/auth/openapi/v1/oauth/token";
    Mock::given(any())
        .respond_with(moved_to(target))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    for flags in [vec![], vec!["--json"]] {
        let run = run(env
            .portal_cmd(&server.uri())
            .args(&flags)
            .args(["billing-contacts"]));
        assert_names_the_redirect(&run, target);
        if !flags.is_empty() {
            assert_eq!(run.json()["error"]["exitCode"], 2);
        }
    }
    assert_eq!(
        count(&server, "POST", TOKEN_PATH).await,
        2,
        "a redirect is neither retried nor followed"
    );

    // With a token at hand, a read meets it.
    let reads = portal().await;
    let target = format!("https://openapi.partner.example.com{CONTACTS_PATH}");
    respond(&reads, "GET", CONTACTS_PATH, moved_to(&target)).await;
    let read = run(env.portal_cmd(&reads.uri()).args(["billing-contacts"]));
    assert_names_the_redirect(&read, &target);
    assert_eq!(count(&reads, "GET", CONTACTS_PATH).await, 1);
    let api = run(env
        .portal_cmd(&reads.uri())
        .args(["api", "GET", CONTACTS_PATH]));
    assert_names_the_redirect(&api, &target);
}
