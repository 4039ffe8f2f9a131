//! A fault-injecting HTTP/1.1 proxy between the AWS SDK and the test cloud, on
//! 127.0.0.1: it answers a configurable share of requests with throttling,
//! 5xx or a dropped connection (before or after the cloud saw the request),
//! fails matching requests permanently, and records every request it sees,
//! classified as mutating or not by service operation.
//!
//! ```no_run
//! use meridian_testkit::{TestCloud, proxy::FaultProxy};
//! let account = TestCloud::shared().account();
//! let proxy = FaultProxy::builder(account.endpoint()).fault_rate(0.2).seed(7).start();
//! // Point a child process at it: AWS_ENDPOINT_URL=proxy.endpoint().
//! assert!(!proxy.stats().saw_mutating());
//! ```

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest request or response head the proxy accepts.
const MAX_HEAD: usize = 64 * 1024;

/// One request as the proxy understood it.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub method: String,
    /// The request target: path and query.
    pub path: String,
    /// The signing name from the `Authorization` credential scope
    /// (`dynamodb`, `iam`, `route53`, ...), or empty.
    pub service: String,
    /// The region from the credential scope, or empty.
    pub region: String,
    /// The operation: `X-Amz-Target`'s operation (JSON protocols), `Action=`
    /// (query protocols), else `METHOD /path` (REST protocols).
    pub operation: String,
    /// True unless the operation only reads (Describe/Get/List/..., or a GET).
    pub mutating: bool,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RequestInfo {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `service:operation`, e.g. `iam:CreateRole` or
    /// `lambda:POST /2015-03-31/functions`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }

    fn protocol(&self) -> Protocol {
        if self.header("x-amz-target").is_some() {
            return Protocol::Json;
        }
        match self.service.as_str() {
            "iam" | "sts" | "sns" | "sqs" | "ec2" | "cloudformation" => Protocol::Query,
            "route53" | "s3" | "cloudfront" => Protocol::RestXml,
            _ => Protocol::RestJson,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Json,
    RestJson,
    Query,
    RestXml,
}

/// Relative weights of the transient faults injected at the fault rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultMix {
    /// A throttling error in the service's protocol shape.
    pub throttle: u32,
    /// HTTP 500 or 503.
    pub server_error: u32,
    /// The connection is closed before the request reaches the cloud.
    pub drop_before: u32,
    /// The request reaches the cloud, then the connection is closed without
    /// the response: the caller cannot know whether it took effect.
    pub drop_after: u32,
}

impl Default for FaultMix {
    fn default() -> Self {
        FaultMix {
            throttle: 4,
            server_error: 3,
            drop_before: 1,
            drop_after: 2,
        }
    }
}

type Predicate = Arc<dyn Fn(&RequestInfo) -> bool + Send + Sync>;

/// Requests whose first response is lost: the first time each distinct
/// request (operation, region and body) that `matches` accepts is seen, it
/// reaches the cloud and its response is dropped; repeats get through.
#[derive(Clone)]
struct LoseFirstResponses {
    matches: Predicate,
    seen: std::collections::HashSet<u64>,
}

/// Requests that fail for good, each time, with one error.
#[derive(Clone)]
struct PermanentFailure {
    matches: Predicate,
    status: u16,
    code: String,
    message: String,
}

/// What the proxy has seen so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyStats {
    /// Requests to the cloud's AWS API (test-cloud control calls excluded).
    pub requests: u64,
    pub reads: u64,
    /// Mutating requests seen, whether or not a fault stopped them.
    pub mutating: u64,
    /// Mutating requests the cloud received (forwarded).
    pub mutating_forwarded: u64,
    pub throttled: u64,
    pub server_errors: u64,
    pub dropped_before: u64,
    pub dropped_after: u64,
    pub permanent: u64,
    /// Forwarded mutating requests by `service:operation`.
    pub mutating_by_operation: BTreeMap<String, u64>,
    /// Every mutating request seen, in order, as `service:operation`.
    pub mutating_seen: Vec<String>,
}

impl ProxyStats {
    /// True if any mutating request was seen (even one a fault stopped).
    pub fn saw_mutating(&self) -> bool {
        self.mutating > 0
    }

    /// Transient faults injected.
    pub fn faults(&self) -> u64 {
        self.throttled + self.server_errors + self.dropped_before + self.dropped_after
    }
}

/// Settings of a [`FaultProxy`], started by [`ProxyBuilder::start`].
#[derive(Clone)]
pub struct ProxyBuilder {
    upstream: String,
    rate: f64,
    mix: FaultMix,
    seed: u64,
    permanent: Vec<PermanentFailure>,
    lose_first: Vec<LoseFirstResponses>,
}

impl ProxyBuilder {
    /// The share of requests (0.0..=1.0) answered with a transient fault.
    pub fn fault_rate(mut self, rate: f64) -> Self {
        self.rate = rate.clamp(0.0, 1.0);
        self
    }

    pub fn mix(mut self, mix: FaultMix) -> Self {
        self.mix = mix;
        self
    }

    /// Seeds the fault generator (the same seed gives the same sequence of
    /// decisions; concurrent requests may still arrive in another order).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Answers every request `matches` accepts with HTTP 400 `code` (a code
    /// no SDK retries, e.g. `AccessDeniedException`), never forwarding it.
    pub fn fail_permanently(
        mut self,
        code: &str,
        message: &str,
        matches: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.permanent.push(PermanentFailure {
            matches: Arc::new(matches),
            status: 400,
            code: code.to_string(),
            message: message.to_string(),
        });
        self
    }

    /// Loses the first response of every distinct request `matches`
    /// accepts (operation, region and body): the cloud acts on it, the
    /// caller sees a dropped connection; a repeat of the same request gets
    /// its response. The worst case for a create that is not idempotent.
    pub fn lose_first_responses(
        mut self,
        matches: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.lose_first.push(LoseFirstResponses {
            matches: Arc::new(matches),
            seen: Default::default(),
        });
        self
    }

    /// Starts the proxy on 127.0.0.1 (a free port), on its own thread and
    /// runtime so it serves sync and async tests alike. Panics if it cannot
    /// listen.
    pub fn start(self) -> FaultProxy {
        let upstream = crate::authority(&self.upstream)
            .unwrap_or_else(|e| panic!("fault proxy: {e}"))
            .to_string();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("fault proxy: cannot listen on 127.0.0.1: {e}"));
        std_listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("fault proxy: {e}"));
        let addr = std_listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fault proxy: {e}"));
        let shared = Arc::new(Shared {
            upstream,
            config: Mutex::new(Config {
                rate: self.rate,
                mix: self.mix,
                permanent: self.permanent,
                lose_first: self.lose_first,
            }),
            rng: Mutex::new(StdRng::seed_from_u64(self.seed)),
            stats: Mutex::new(ProxyStats::default()),
        });
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => panic!("fault proxy: cannot start a runtime: {e}"),
                };
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => panic!("fault proxy: {e}"),
                    };
                    tokio::select! {
                        _ = stop_rx => {}
                        _ = accept_loop(listener, serving) => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .unwrap_or_else(|e| panic!("fault proxy: cannot spawn its thread: {e}"));
        FaultProxy {
            endpoint: format!("http://{addr}"),
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

struct Config {
    rate: f64,
    mix: FaultMix,
    permanent: Vec<PermanentFailure>,
    lose_first: Vec<LoseFirstResponses>,
}

struct Shared {
    /// `host:port` of the test cloud.
    upstream: String,
    config: Mutex<Config>,
    rng: Mutex<StdRng>,
    stats: Mutex<ProxyStats>,
}

/// A running fault proxy; stops when dropped.
pub struct FaultProxy {
    endpoint: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://host:port`) that injects nothing until
    /// configured.
    pub fn builder(upstream: &str) -> ProxyBuilder {
        ProxyBuilder {
            upstream: upstream.to_string(),
            rate: 0.0,
            mix: FaultMix::default(),
            seed: 0,
            permanent: Vec::new(),
            lose_first: Vec::new(),
        }
    }

    /// `http://127.0.0.1:PORT`: use as `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Changes the transient fault rate from now on.
    pub fn set_fault_rate(&self, rate: f64) {
        lock(&self.shared.config).rate = rate.clamp(0.0, 1.0);
    }

    /// Removes every permanent failure.
    pub fn clear_permanent_failures(&self) {
        lock(&self.shared.config).permanent.clear();
    }

    /// Stops losing first responses.
    pub fn clear_lost_responses(&self) {
        lock(&self.shared.config).lose_first.clear();
    }

    pub fn stats(&self) -> ProxyStats {
        lock(&self.shared.stats).clone()
    }

    /// Forgets what was seen so far.
    pub fn reset_stats(&self) {
        *lock(&self.shared.stats) = ProxyStats::default();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = serve_connection(stream, shared).await;
        });
    }
}

/// What to do with one request.
enum Action {
    Forward,
    Respond(Vec<u8>),
    DropBefore,
    DropAfter,
}

/// Serves requests on one client connection (keep-alive) until it closes
/// or a fault drops it.
async fn serve_connection(mut client: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let Some(head_len) = read_head(&mut client, &mut buf).await? else {
            return Ok(());
        };
        let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
        buf.drain(..head_len);
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_string();
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let headers = parse_headers(lines);
        if header(&headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
            client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        let body = read_body(&mut client, &mut buf, &headers).await?;
        let client_closes =
            header(&headers, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));

        let info = classify(method, path, headers, body);
        let control =
            info.path.starts_with("/moto-api") || info.path.starts_with("/meridian-testcloud");
        let action = if control {
            Action::Forward
        } else {
            decide(&shared, &info)
        };
        match action {
            Action::Respond(bytes) => client.write_all(&bytes).await?,
            Action::DropBefore => return Ok(()),
            Action::Forward | Action::DropAfter => {
                if !control && info.mutating {
                    let mut stats = lock(&shared.stats);
                    stats.mutating_forwarded += 1;
                    *stats.mutating_by_operation.entry(info.label()).or_default() += 1;
                }
                let response = match forward(&shared.upstream, &info).await {
                    Ok(r) => r,
                    // The cloud did not answer: the caller sees a dropped
                    // connection, as it would without the proxy.
                    Err(_) => return Ok(()),
                };
                if matches!(action, Action::DropAfter) {
                    return Ok(());
                }
                client.write_all(&response).await?;
            }
        }
        client.flush().await?;
        if client_closes {
            return Ok(());
        }
    }
}

/// Counts the request and picks its fate.
fn decide(shared: &Shared, info: &RequestInfo) -> Action {
    let mut config = lock(&shared.config);
    let mut stats = lock(&shared.stats);
    stats.requests += 1;
    if info.mutating {
        stats.mutating += 1;
        stats.mutating_seen.push(info.label());
    } else {
        stats.reads += 1;
    }
    if let Some(p) = config.permanent.iter().find(|p| (p.matches)(info)) {
        stats.permanent += 1;
        return Action::Respond(error_response(info, p.status, &p.code, &p.message));
    }
    let fingerprint = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (info.label(), &info.region, &info.body).hash(&mut h);
        h.finish()
    };
    for rule in config.lose_first.iter_mut() {
        if (rule.matches)(info) && rule.seen.insert(fingerprint) {
            stats.dropped_after += 1;
            return Action::DropAfter;
        }
    }
    let mut rng = lock(&shared.rng);
    if config.rate <= 0.0 || rng.random::<f64>() >= config.rate {
        return Action::Forward;
    }
    let m = config.mix;
    let total = m.throttle + m.server_error + m.drop_before + m.drop_after;
    if total == 0 {
        return Action::Forward;
    }
    let mut pick = rng.random_range(0..total);
    if pick < m.throttle {
        stats.throttled += 1;
        let code = match info.protocol() {
            Protocol::Json => "ThrottlingException",
            Protocol::RestJson => "TooManyRequestsException",
            Protocol::Query | Protocol::RestXml => "Throttling",
        };
        let status = if info.protocol() == Protocol::RestJson {
            429
        } else {
            400
        };
        return Action::Respond(error_response(info, status, code, "Rate exceeded"));
    }
    pick -= m.throttle;
    if pick < m.server_error {
        stats.server_errors += 1;
        return Action::Respond(if rng.random::<bool>() {
            error_response(info, 500, "InternalFailure", "injected internal failure")
        } else {
            error_response(
                info,
                503,
                "ServiceUnavailable",
                "injected: service unavailable",
            )
        });
    }
    pick -= m.server_error;
    if pick < m.drop_before {
        stats.dropped_before += 1;
        return Action::DropBefore;
    }
    stats.dropped_after += 1;
    Action::DropAfter
}

/// An error response in the shape the service's protocol uses, so the SDK
/// parses its code as it would AWS's.
fn error_response(info: &RequestInfo, status: u16, code: &str, message: &str) -> Vec<u8> {
    let request_id = "00000000-0000-0000-0000-fa017fa017fa";
    let (content_type, body, extra) = match info.protocol() {
        Protocol::Json => (
            info.header("content-type")
                .unwrap_or("application/x-amz-json-1.0")
                .to_string(),
            serde_json::json!({"__type": code, "message": message}).to_string(),
            String::new(),
        ),
        Protocol::RestJson => (
            "application/json".to_string(),
            serde_json::json!({"__type": code, "message": message}).to_string(),
            format!("x-amzn-ErrorType: {code}\r\n"),
        ),
        Protocol::Query | Protocol::RestXml => {
            let ns = if info.protocol() == Protocol::RestXml {
                " xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""
            } else {
                ""
            };
            let kind = if status >= 500 { "Receiver" } else { "Sender" };
            (
                "text/xml".to_string(),
                format!(
                    "<ErrorResponse{ns}><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
                ),
                String::new(),
            )
        }
    };
    let reason = match status {
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: {request_id}\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Parses what the classification needs from a request.
fn classify(
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> RequestInfo {
    let (service, region) = header(&headers, "authorization")
        .and_then(|auth| {
            // `... Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, ...`
            let scope = auth.split("Credential=").nth(1)?;
            let scope = scope.split([',', ' ']).next()?;
            let parts: Vec<&str> = scope.split('/').collect();
            (parts.len() >= 5).then(|| (parts[3].to_string(), parts[2].to_string()))
        })
        .unwrap_or_default();
    let target_op =
        header(&headers, "x-amz-target").map(|t| t.rsplit('.').next().unwrap_or(t).to_string());
    let action = || {
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
        let form = String::from_utf8_lossy(&body);
        query
            .split('&')
            .chain(form.split('&'))
            .find_map(|kv| kv.strip_prefix("Action=").map(str::to_string))
    };
    let (operation, mutating) = match target_op.or_else(action) {
        Some(op) => {
            let reads = [
                "Describe", "Get", "List", "Query", "Scan", "BatchGet", "Head",
            ];
            let mutating = !reads.iter().any(|r| op.starts_with(r));
            (op, mutating)
        }
        None => {
            let bare = path.split('?').next().unwrap_or(&path);
            let mutating = !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS");
            (format!("{method} {bare}"), mutating)
        }
    };
    RequestInfo {
        method,
        path,
        service,
        region,
        operation,
        mutating,
        headers,
        body,
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn parse_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Reads until the end of a head (`\r\n\r\n`) into `buf`; returns its length
/// including the blank line, or `None` if the peer closed first.
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<usize>> {
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(i + 4));
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::Error::other("HTTP head too large"));
        }
        if read_more(stream, buf).await? == 0 {
            return Ok(None);
        }
    }
}

/// Appends what the stream has next to `buf`; returns how much (0: closed).
async fn read_more<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut chunk = [0u8; 16384];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// The error for a peer that closed in the middle of `what`.
fn cut_short(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("{what} cut short"),
    )
}

/// Reads exactly `n` more bytes after what `buf` holds; returns them and
/// leaves any excess in `buf`.
async fn read_exact_from<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    n: usize,
) -> std::io::Result<Vec<u8>> {
    while buf.len() < n {
        if read_more(stream, buf).await? == 0 {
            return Err(cut_short("body"));
        }
    }
    Ok(buf.drain(..n).collect())
}

async fn read_line_from<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<String> {
    loop {
        if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = buf.drain(..i + 2).collect();
            return Ok(String::from_utf8_lossy(&line[..i]).into_owned());
        }
        if read_more(stream, buf).await? == 0 {
            return Err(cut_short("chunk"));
        }
    }
}

/// Reads a body framed by Content-Length or chunked encoding (decoded).
async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    headers: &[(String, String)],
) -> std::io::Result<Vec<u8>> {
    if header(headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        let mut body = Vec::new();
        loop {
            let line = read_line_from(stream, buf).await?;
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                // Trailers, then the blank line.
                while !read_line_from(stream, buf).await?.is_empty() {}
                return Ok(body);
            }
            body.extend(read_exact_from(stream, buf, size).await?);
            read_exact_from(stream, buf, 2).await?;
        }
    }
    let len = header(headers, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    read_exact_from(stream, buf, len).await
}

/// Sends the request to the cloud on a fresh connection and returns the
/// response re-framed with Content-Length (for a keep-alive client).
async fn forward(upstream: &str, info: &RequestInfo) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    let mut head = format!("{} {} HTTP/1.1\r\n", info.method, info.path);
    for (k, v) in &info.headers {
        let k_lower = k.to_ascii_lowercase();
        if matches!(
            k_lower.as_str(),
            "connection" | "keep-alive" | "transfer-encoding" | "content-length" | "expect"
        ) {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        info.body.len()
    ));
    up.write_all(head.as_bytes()).await?;
    up.write_all(&info.body).await?;
    up.flush().await?;

    let mut buf = Vec::new();
    let head_len = read_head(&mut up, &mut buf)
        .await?
        .ok_or_else(|| std::io::Error::other("the cloud closed without answering"))?;
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    buf.drain(..head_len);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_string();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(502);
    let headers = parse_headers(lines);
    let bodyless = info.method == "HEAD" || status == 204 || status == 304 || status < 200;
    let body = if bodyless {
        Vec::new()
    } else if header(&headers, "transfer-encoding").is_some()
        || header(&headers, "content-length").is_some()
    {
        read_body(&mut up, &mut buf, &headers).await?
    } else {
        up.read_to_end(&mut buf).await?;
        std::mem::take(&mut buf)
    };
    let mut out = format!("{status_line}\r\n");
    for (k, v) in &headers {
        let k_lower = k.to_ascii_lowercase();
        if matches!(
            k_lower.as_str(),
            "connection" | "keep-alive" | "transfer-encoding" | "content-length"
        ) {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if bodyless && info.method == "HEAD" {
        if let Some(len) = header(&headers, "content-length") {
            out.push_str(&format!("Content-Length: {len}\r\n"));
        }
    } else if !bodyless {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

#[cfg(test)]
mod tests;
