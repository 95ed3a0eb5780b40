//! gRPC-Web over HTTP/1.1, as a browser dashboard sends it: a CORS
//! preflight, then the call.

use prost::Message;
use stepwise::pb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const DASHBOARD: &str = "https://dashboard.example.org";

pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl HttpResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP/1.1 request on a new connection and reads the response.
pub(crate) async fn http1(app: &TestApp, head: &str, body: &[u8]) -> HttpResponse {
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let request = format!(
        "{head}Host: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send head");
    stream.write_all(body).await.expect("send body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = usize::from_str_radix(
            std::str::from_utf8(&raw[..line_end]).expect("hex").trim(),
            16,
        )
        .expect("chunk size");
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw = &raw[line_end + 2 + size + 2..];
    }
}

/// gRPC-Web frames of a body: (flags, payload).
pub(crate) fn frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while body.len() >= 5 {
        let len = u32::from_be_bytes(body[1..5].try_into().expect("length")) as usize;
        frames.push((body[0], body[5..5 + len].to_vec()));
        body = &body[5 + len..];
    }
    frames
}

pub(crate) fn framed(message: &impl Message) -> Vec<u8> {
    let payload = message.encode_to_vec();
    let mut frame = vec![0];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    frame
}

async fn dashboard_app() -> TestApp {
    TestApp::spawn_with(|config| {
        config.cors_origins = vec![http::HeaderValue::from_static(DASHBOARD)]
    })
    .await
}

#[tokio::test]
async fn a_browser_preflight_from_an_allowed_origin_is_answered() {
    let app = dashboard_app().await;
    let preflight = |origin: &str| {
        format!(
            "OPTIONS /stepwise.v1.AccountService/GetCurrentAccount HTTP/1.1\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: authorization,content-type,x-grpc-web\r\n"
        )
    };
    let allowed = http1(&app, &preflight(DASHBOARD), b"").await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(DASHBOARD)
    );
    let allowed_headers = allowed
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("x-grpc-web"));

    let other = http1(&app, &preflight("https://elsewhere.example"), b"").await;
    assert_eq!(
        other.header("access-control-allow-origin"),
        None,
        "other origins get no permission"
    );
}

#[tokio::test]
async fn a_grpc_web_call_over_http1_returns_the_message_and_trailers() {
    let app = dashboard_app().await;
    let (account, token) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let head = format!(
        "POST /stepwise.v1.AccountService/GetCurrentAccount HTTP/1.1\r\nOrigin: {DASHBOARD}\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nAuthorization: Bearer {token}\r\n"
    );
    let response = http1(&app, &head, &framed(&pb::GetCurrentAccountRequest {})).await;

    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some(DASHBOARD)
    );
    assert!(
        response
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/grpc-web")
    );
    let frames = frames(&response.body);
    let message = frames
        .iter()
        .find(|(flags, _)| *flags == 0)
        .expect("a message frame");
    assert_eq!(
        pb::Account::decode(message.1.as_slice())
            .expect("account")
            .id,
        account.id
    );
    let trailers = frames
        .iter()
        .find(|(flags, _)| flags & 0x80 != 0)
        .expect("a trailer frame");
    assert!(String::from_utf8_lossy(&trailers.1).contains("grpc-status:0"));
}

#[tokio::test]
async fn a_grpc_web_call_without_a_token_is_unauthenticated() {
    let app = dashboard_app().await;
    let head = format!(
        "POST /stepwise.v1.GoalService/ListGoals HTTP/1.1\r\nOrigin: {DASHBOARD}\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n"
    );
    let response = http1(&app, &head, &framed(&pb::ListGoalsRequest::default())).await;
    let status = response
        .header("grpc-status")
        .map(str::to_owned)
        .or_else(|| {
            frames(&response.body)
                .into_iter()
                .find(|(flags, _)| flags & 0x80 != 0)
                .map(|(_, t)| String::from_utf8_lossy(&t).into_owned())
        });
    assert!(status.expect("a status").contains("16"), "UNAUTHENTICATED");
}
