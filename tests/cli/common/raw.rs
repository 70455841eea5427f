//! A scripted HTTP server for faults wiremock cannot make: resets, truncated and trickling
//! bodies, raw bytes, a listener that goes away. Each connection carries one request and is
//! closed after the reply, so every request opens a new connection; or, started with
//! [`RawServer::keep_alive`], connections stay open and each is closed once it has been idle
//! for a set time after its last answer, as a load balancer does.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// Requests that arrived on a connection that had already carried one.
    reused: Arc<AtomicUsize>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// How a connection is treated after its answer.
#[derive(Clone, Copy)]
enum Connections {
    /// One request, then closed.
    Close,
    /// Kept open; closed when no new request starts within this time of the last answer.
    KeepAlive(Duration),
}

impl RawServer {
    pub fn start(handler: impl Fn(&RawRequest) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(Connections::Close, handler)
    }

    /// Keeps connections open after a [`Reply::Body`] answer, and closes each one `idle_close`
    /// after its last answer unless another request has started on it by then. Other replies
    /// close the connection as [`RawServer::start`] does.
    pub fn keep_alive(
        idle_close: Duration,
        handler: impl Fn(&RawRequest) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(Connections::KeepAlive(idle_close), handler)
    }

    /// Requests that reused a connection which had already carried one.
    pub fn reused(&self) -> usize {
        self.reused.load(Ordering::SeqCst)
    }

    fn start_with(
        connections: Connections,
        handler: impl Fn(&RawRequest) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reused = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let listener: Listener = Arc::new(Mutex::new(Some(listener)));
        {
            let requests = requests.clone();
            let stop = stop.clone();
            let reused = reused.clone();
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
                            let reused = reused.clone();
                            std::thread::spawn(move || {
                                serve(
                                    stream,
                                    connections,
                                    &*handler,
                                    &requests,
                                    &listener,
                                    &reused,
                                )
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
            reused,
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

/// Reads one request; `None` when the connection closes, or when no byte of a request
/// arrives within `first_byte`.
fn read_request(stream: &mut TcpStream, first_byte: Duration) -> Option<RawRequest> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(first_byte)).ok()?;
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
        if buffer.is_empty() {
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .ok()?;
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
    head_with(status, content_type, length, "close")
}

fn head_with(status: u16, content_type: &str, length: usize, connection: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: {connection}\r\n\r\n",
        reason(status)
    )
    .into_bytes()
}

fn serve(
    mut stream: TcpStream,
    connections: Connections,
    handler: &Handler,
    log: &Mutex<Vec<RawRequest>>,
    listener: &Listener,
    reused: &AtomicUsize,
) {
    let mut first_byte = Duration::from_secs(10);
    let mut served = 0;
    loop {
        let Some(request) = read_request(&mut stream, first_byte) else {
            // Idle for too long, or closed by the client: dropping the stream closes it.
            return;
        };
        if served > 0 {
            reused.fetch_add(1, Ordering::SeqCst);
        }
        served += 1;
        log.lock().unwrap().push(request.clone());
        let reply = handler(&request);
        match (connections, reply) {
            (Connections::KeepAlive(idle), Reply::Body(status, content_type, body)) => {
                let mut bytes = head_with(status, content_type, body.len(), "keep-alive");
                bytes.extend_from_slice(&body);
                if stream
                    .write_all(&bytes)
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                first_byte = idle;
            }
            (_, reply) => return act(stream, reply, listener),
        }
    }
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
