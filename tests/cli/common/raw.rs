//! A scripted HTTP server for faults wiremock cannot make: resets, truncated and trickling
//! bodies, raw bytes, a listener that goes away. Each connection carries one request and is
//! closed after the reply, so every request opens a new connection.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    /// The path with its query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub enum Reply {
    /// A complete response with this status and body.
    Body(u16, &'static str, Vec<u8>),
    /// These bytes as they are, then close.
    Raw(Vec<u8>),
    /// Say nothing for this long, then close.
    Hang(Duration),
    /// Close the connection with a TCP reset.
    Reset,
    /// The head, then the body one byte every `every`.
    Trickle {
        status: u16,
        body: Vec<u8>,
        every: Duration,
    },
    /// Answer, then stop listening: later connections are refused.
    ThenStopListening(Box<Reply>),
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Body(status, "application/json", body.into().into_bytes())
    }
}

type Handler = dyn Fn(&RawRequest) -> Reply + Send + Sync;

type Listener = Arc<Mutex<Option<TcpListener>>>;

pub struct RawServer {
    pub url: String,
    requests: Arc<Mutex<Vec<RawRequest>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl RawServer {
    pub fn start(handler: impl Fn(&RawRequest) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let listener: Listener = Arc::new(Mutex::new(Some(listener)));
        {
            let requests = requests.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                // Bounded: a test server never outlives its test by much.
                let deadline = std::time::Instant::now() + Duration::from_secs(120);
                while !stop.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                    let accepted = match listener.lock().unwrap().as_ref() {
                        Some(open) => open.accept(),
                        None => return,
                    };
                    match accepted {
                        Ok((stream, _)) => {
                            let requests = requests.clone();
                            let handler = handler.clone();
                            let listener = listener.clone();
                            std::thread::spawn(move || {
                                serve(stream, &*handler, &requests, &listener)
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
        }
        RawServer {
            url,
            requests,
            stop,
        }
    }

    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path() == path)
            .count()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(RawRequest {
        method,
        target,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn head(status: u16, content_type: &str, length: usize) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        reason(status)
    )
    .into_bytes()
}

fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    log: &Mutex<Vec<RawRequest>>,
    listener: &Listener,
) {
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    log.lock().unwrap().push(request.clone());
    act(stream, handler(&request), listener);
}

fn act(mut stream: TcpStream, reply: Reply, listener: &Listener) {
    match reply {
        Reply::Body(status, content_type, body) => {
            let _ = stream.write_all(&head(status, content_type, body.len()));
            let _ = stream.write_all(&body);
        }
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Reply::Hang(duration) => std::thread::sleep(duration),
        Reply::Reset => {
            let socket = socket2::Socket::from(stream);
            let _ = socket.set_linger(Some(Duration::ZERO));
            drop(socket);
            return;
        }
        Reply::Trickle {
            status,
            body,
            every,
        } => {
            let _ = stream.write_all(&head(status, "application/json", body.len()));
            for byte in body {
                if stream.write_all(&[byte]).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        }
        Reply::ThenStopListening(reply) => {
            // Closed before the answer goes out, so the client's next connection is refused.
            listener.lock().unwrap().take();
            act(stream, *reply, listener);
            return;
        }
    }
    let _ = stream.flush();
}
