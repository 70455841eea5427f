//! A certificate the system does not trust (a company proxy that inspects TLS): said so at
//! once, with how to trust the proxy's CA, and never retried.

use crate::common::*;

fn untrusted_cmd(env: &TestEnv, url: &str) -> assert_cmd::Command {
    let mut cmd = env.portal_cmd(url);
    cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
    cmd
}

#[test]
fn an_untrusted_certificate_is_named_once_with_how_to_trust_it() {
    let env = TestEnv::new();
    let server = tls::start();
    let out = run(untrusted_cmd(&env, &server.url).arg("billing-contacts"));
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert_eq!(server.connections(), 1, "tried once: {}", out.stderr);
    assert!(out.stderr.contains("not trusted"), "{}", out.stderr);
    assert!(out.stderr.contains("system"), "{}", out.stderr);
    assert!(out.stderr.contains("SSL_CERT_FILE"), "{}", out.stderr);
    assert!(!out.stderr.contains("check the network"), "{}", out.stderr);
    assert!(
        !out.stderr.to_lowercase().contains("try again"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn an_untrusted_certificate_in_json_is_a_network_error_object() {
    let env = TestEnv::new();
    let server = tls::start();
    let out = run(untrusted_cmd(&env, &server.url).args(["--json", "billing-contacts"]));
    assert_eq!(out.code, 6, "{}", out.stderr);
    let error = &out.json()["error"];
    assert_eq!(error["exitCode"], 6);
    assert!(
        error["message"].as_str().unwrap().contains("not trusted"),
        "{error}"
    );
    assert!(
        error["hint"].as_str().unwrap().contains("SSL_CERT_FILE"),
        "{error}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn ssl_cert_file_naming_the_proxy_ca_makes_it_trusted() {
    let env = TestEnv::new();
    let server = tls::start();
    let out = run(untrusted_cmd(&env, &server.url)
        .env("SSL_CERT_FILE", tls::ca_file())
        .arg("billing-contacts"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("billing@example.com"), "{}", out.stdout);
}

fn tls_line(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|line| line.split_whitespace().nth(1) == Some("TLS"))
        .unwrap_or_else(|| panic!("no TLS line in:\n{stdout}"))
}

#[test]
fn doctor_says_the_certificate_is_not_trusted_and_how_to_trust_it() {
    let env = TestEnv::new();
    let server = tls::start();
    let out = run(untrusted_cmd(&env, &server.url).arg("doctor"));
    assert_eq!(out.code, 6, "{}", out.stdout);
    assert_eq!(server.connections(), 1, "tried once: {}", out.stdout);
    let tls = tls_line(&out.stdout);
    assert!(tls.starts_with("FAIL"), "{tls}");
    assert!(tls.contains("not trusted"), "{tls}");
    assert!(tls.contains("the system's trust store"), "{tls}");
    assert!(out.stdout.contains("SSL_CERT_FILE"), "{}", out.stdout);
}

#[cfg(target_os = "linux")]
#[test]
fn doctor_names_ssl_cert_file_when_it_makes_the_certificate_trusted() {
    let env = TestEnv::new();
    let server = tls::start();
    let out = run(untrusted_cmd(&env, &server.url)
        .env("SSL_CERT_FILE", tls::ca_file())
        .arg("doctor"));
    let tls = tls_line(&out.stdout);
    assert!(tls.starts_with("ok"), "{tls}");
    assert!(tls.contains("SSL_CERT_FILE"), "{tls}");
    let contacts = out
        .stdout
        .lines()
        .find(|line| line.contains("billing contacts"))
        .unwrap();
    assert!(contacts.starts_with("ok"), "{}", out.stdout);
}
