//! The server path: real HTTP/1.1 over a real socket on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use linkus_sandbox::*;
use serde_json::Value;

/// Sends one raw request and gives the status code, the headers and the body.
fn exchange(address: SocketAddr, request: &str) -> (u16, String, Value) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 answer: {head}"));
    (status, head.to_owned(), serde_json::from_str(body).unwrap())
}

fn get(address: SocketAddr, target: &str, token: Option<&str>) -> (u16, String, Value) {
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    exchange(
        address,
        &format!(
            "GET {target} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: test\r\n{authorization}Connection: close\r\n\r\n"
        ),
    )
}

#[test]
fn serve_answers_real_http_requests() {
    let dir = tempfile::tempdir().unwrap();
    let portal = Arc::new(SandboxPortal::new(dir.path()).with_fleet(250));
    let (sender, receiver) = std::sync::mpsc::channel();
    // The server runs on its own thread, for the life of the test process.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            let options = Options {
                latency: Duration::from_millis(5),
                log: true,
            };
            serve(listener, portal, options).await;
        });
    });
    let address = receiver.recv_timeout(Duration::from_secs(20)).unwrap();

    let form =
        format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=pp_credentials");
    let (status, head, body) = exchange(
        address,
        &format!(
            "POST {TOKEN_PATH} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let token = body["result"]["token"].as_str().unwrap().to_owned();

    let (status, _, body) = get(address, CONTACTS_PATH, None);
    assert_eq!(status, 401);
    assert_eq!(body["code"], "invalid_token");

    // The query string is decoded: page 3 of 100 holds the fleet's last 50.
    let target = format!("{INSTANCES_PATH}?productId=9&pageNo=3&pageSize=100");
    let (status, _, body) = get(address, &target, Some(&token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["total"], 251);
    assert_eq!(body["result"]["count"], 51);
    assert_eq!(body["result"]["results"][49]["productNo"], "F00000000250");

    let target = format!("{PRODUCT_DETAILS_PATH}?productNo=F00000000007&productId=9");
    let (status, _, body) = get(address, &target, Some(&token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["productNo"], "F00000000007");
}

#[test]
fn the_embedded_sandbox_serves_on_a_free_port() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = Embedded::start(dir.path()).unwrap();
    assert_eq!(embedded.url.scheme(), "http");
    assert_eq!(embedded.url.host_str(), Some("127.0.0.1"));
    let address: SocketAddr = format!(
        "127.0.0.1:{}",
        embedded.url.port_or_known_default().unwrap()
    )
    .parse()
    .unwrap();
    let (status, _, body) = get(address, "/nowhere", None);
    assert_eq!(status, 401);
    assert_eq!(body["status"], 401);
}
