//! `auth login | status | logout`, stored profiles and the files they leave.

use crate::common::*;

fn login(env: &TestEnv, base_url: &str, profile: &str) -> Run {
    run(env
        .cmd()
        .args([
            "--base-url",
            base_url,
            "--profile",
            profile,
            "auth",
            "login",
            "--client-id",
            CLIENT_ID,
            "--secret-stdin",
        ])
        .write_stdin(format!("{CLIENT_SECRET}\n")))
}

#[tokio::test]
async fn login_verifies_then_saves_private_files_and_the_token_is_reused() {
    let server = portal().await;
    let env = TestEnv::new();

    let login = login(&env, &server.uri(), "default");
    assert_eq!(login.code, 0, "{}", login.stderr);
    assert!(login.stderr.contains("Logged in"), "{}", login.stderr);

    let tokens = received(&server, "POST", TOKEN_PATH).await;
    assert_eq!(tokens.len(), 1);
    assert!(body_text(&tokens[0]).contains(&format!("client_secret={CLIENT_SECRET}")));

    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert!(config.contains("[default]"), "{config}");
    assert!(config.contains(CLIENT_ID));
    #[cfg(unix)]
    {
        assert_eq!(mode(&env.config_dir().join("config.toml")), 0o600);
        assert_eq!(mode(&env.config_dir()), 0o700);
        let caches = all_files_under(&env.cache_dir());
        assert_eq!(caches.len(), 1, "{caches:?}");
        assert_eq!(mode(&caches[0]), 0o600);
        assert_eq!(mode(caches[0].parent().unwrap()), 0o700);
    }

    // The stored profile and the cached token serve the next command: no second token request.
    let products = run(env
        .cmd()
        .args(["--base-url", &server.uri(), "products", "--sn", SN, "-q"]));
    assert_eq!(products.code, 0, "{}", products.stderr);
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 1);

    // The secret never reaches any file but the 0600 ones, nor any output.
    for file in all_files_under(env.dir.path()) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let allowed = file.ends_with("config.toml");
        assert!(
            allowed || !text.contains(CLIENT_SECRET),
            "secret in {}",
            file.display()
        );
    }
    assert!(!login.all_output().contains(CLIENT_SECRET));
}

#[tokio::test]
async fn login_with_refused_credentials_saves_nothing() {
    let server = wiremock::MockServer::start().await;
    respond(
        &server,
        "POST",
        TOKEN_PATH,
        rejection(401, "invalid_client", "Invalid credentials", "req-login"),
    )
    .await;
    let env = TestEnv::new();
    let login = login(&env, &server.uri(), "default");
    assert_eq!(login.code, 4, "{}", login.stderr);
    assert!(
        login.stderr.contains("nothing was saved"),
        "{}",
        login.stderr
    );
    assert!(!env.config_dir().join("config.toml").exists());
}

#[test]
fn login_without_a_terminal_needs_secret_stdin() {
    let env = TestEnv::new();
    let run = run(env.cmd().args(["auth", "login", "--client-id", CLIENT_ID]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--secret-stdin"), "{}", run.stderr);
    let run = crate::common::run(env.cmd().args(["auth", "login"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--client-id"), "{}", run.stderr);
}

#[tokio::test]
async fn status_names_the_source_and_warns_when_the_environment_overrides() {
    let server = portal().await;
    let env = TestEnv::new();
    assert_eq!(login(&env, &server.uri(), "default").code, 0);

    let stored = run(env
        .cmd()
        .args(["--base-url", &server.uri(), "auth", "status", "--json"]));
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    let status = stored.json();
    assert!(status["source"]
        .as_str()
        .unwrap()
        .starts_with("profile 'default'"));
    assert_eq!(status["clientId"], CLIENT_ID);
    assert_eq!(status["environmentOverridesProfile"], false);
    assert_eq!(status["tokenFresh"], true);
    assert!(status["tokenExpiresAt"].as_str().unwrap().ends_with('Z'));

    let overridden = run(env
        .cmd()
        .env("LINKUS_CLIENT_ID", "other-id")
        .env("LINKUS_CLIENT_SECRET", "other-secret-123")
        .args(["--base-url", &server.uri(), "auth", "status"]));
    assert_eq!(overridden.code, 0);
    assert!(
        overridden.stdout.contains("environment (LINKUS_CLIENT_ID"),
        "{}",
        overridden.stdout
    );
    assert!(overridden.stdout.contains("other-id"));
    assert!(
        overridden.stderr.contains("override the stored profile"),
        "{}",
        overridden.stderr
    );
    assert!(!overridden.all_output().contains("other-secret-123"));
    assert_eq!(
        count(&server, "POST", TOKEN_PATH).await,
        1,
        "status makes no request"
    );
}

#[test]
fn status_without_credentials_exits_4() {
    let run = run(TestEnv::new().cmd().args(["auth", "status"]));
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("linkus auth login"));
}

#[tokio::test]
async fn profiles_are_separate_and_logout_removes_one_with_its_tokens() {
    let server = portal().await;
    let env = TestEnv::new();
    assert_eq!(login(&env, &server.uri(), "default").code, 0);
    assert_eq!(login(&env, &server.uri(), "acme").code, 0);
    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert!(
        config.contains("[acme]") && config.contains("[default]"),
        "{config}"
    );

    let logout = run(env.cmd().args(["--profile", "acme", "auth", "logout"]));
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert!(
        !config.contains("[acme]") && config.contains("[default]"),
        "{config}"
    );
    let caches = all_files_under(&env.cache_dir().join("tokens"));
    assert_eq!(caches.len(), 1, "{caches:?}");
    assert!(caches[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("default-"));

    let status = run(env.cmd().args(["--profile", "acme", "auth", "status"]));
    assert_eq!(status.code, 4);
}

#[test]
fn a_corrupt_config_file_is_named() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.toml"),
        "[default\nclient_id = ",
    )
    .unwrap();
    let run = run(env.cmd().args(["billing-contacts"]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("config.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("line 1"), "{}", run.stderr);
}

#[tokio::test]
async fn a_corrupt_token_cache_is_ignored_and_rebuilt() {
    let server = portal().await;
    let env = TestEnv::new();
    assert_eq!(
        run(env
            .portal_cmd(&server.uri())
            .args(["billing-contacts", "-q"]))
        .code,
        0
    );
    let cache = all_files_under(&env.cache_dir())[0].clone();
    std::fs::write(&cache, b"\x00\xffnot json").unwrap();

    let again = run(env
        .portal_cmd(&server.uri())
        .args(["billing-contacts", "-q"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 2);
    let rebuilt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    assert_eq!(rebuilt["clientId"], CLIENT_ID);
}

#[tokio::test]
async fn tokens_of_other_credentials_are_not_reused() {
    let server = portal().await;
    let env = TestEnv::new();
    assert_eq!(
        run(env
            .portal_cmd(&server.uri())
            .args(["billing-contacts", "-q"]))
        .code,
        0
    );
    let other = run(env
        .portal_cmd(&server.uri())
        .env("LINKUS_CLIENT_ID", "another-client")
        .args(["billing-contacts", "-q"]));
    assert_eq!(other.code, 0);
    assert_eq!(count(&server, "POST", TOKEN_PATH).await, 2);
}

#[tokio::test]
async fn an_unwritable_cache_folder_only_warns() {
    let server = portal().await;
    let env = TestEnv::new();
    // A file where the cache folder should be: nothing can be written under it, even as root.
    std::fs::write(env.dir.path().join("not-a-folder"), b"").unwrap();
    let run = run(env
        .portal_cmd(&server.uri())
        .env("LINKUS_CACHE_DIR", env.dir.path().join("not-a-folder"))
        .args(["billing-contacts", "-q"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("could not cache the access token"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout.lines().count(), 2);
}
