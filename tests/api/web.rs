//! The dashboard on the API's own port, over plain HTTP/1.1 as a browser
//! fetches it: the page and its assets with their types, caching and
//! security headers, and gRPC and gRPC-Web still answering beside them.

use prost::Message;
use stepwise::pb;

use crate::grpc_web::{HttpResponse, framed, frames, http1};
use crate::helpers::*;

async fn get(app: &TestApp, path: &str, extra_headers: &str) -> HttpResponse {
    http1(app, &format!("GET {path} HTTP/1.1\r\n{extra_headers}"), b"").await
}

/// The paths of the assets that index.html loads (`src="..."`, `href="..."`
/// under assets/).
fn assets_of(html: &str) -> Vec<String> {
    html.split(['"', '\''])
        .filter(|part| part.starts_with("assets/"))
        .map(|part| format!("/{part}"))
        .collect()
}

#[track_caller]
fn assert_locked_down(response: &HttpResponse) {
    let csp = response
        .header("content-security-policy")
        .expect("a content security policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'none'",
        "base-uri 'none'",
        "require-trusted-types-for 'script'",
    ] {
        assert!(csp.contains(directive), "CSP {csp:?} lacks {directive:?}");
    }
    for loosening in ["unsafe-inline", "unsafe-eval", "*"] {
        assert!(!csp.contains(loosening), "CSP {csp:?} allows {loosening}");
    }
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn the_dashboard_page_is_served_at_the_root_and_always_revalidated() {
    let app = TestApp::spawn().await;
    let page = get(&app, "/", "").await;

    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    assert_locked_down(&page);
    let html = String::from_utf8(page.body.clone()).expect("utf-8");
    assert!(html.contains("<div id=\"app\">"), "the page's mount point");
    assert!(
        !html.contains("<script>") && !html.contains("<style"),
        "no inline script or style"
    );

    let etag = page.header("etag").expect("an ETag");
    let again = get(&app, "/", &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!(again.status, 304, "an unchanged page is not sent again");
    assert!(again.body.is_empty());

    let head = http1(&app, "HEAD / HTTP/1.1\r\n", b"").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
}

#[tokio::test]
async fn assets_have_their_types_and_are_cached_for_a_year() {
    let app = TestApp::spawn().await;
    let html = String::from_utf8(get(&app, "/", "").await.body).expect("utf-8");
    let assets = assets_of(&html);
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "index.html loads a script and a stylesheet: {assets:?}"
    );
    for asset in &assets {
        let response = get(&app, asset, "").await;
        assert_eq!(response.status, 200, "{asset}");
        let expected = if asset.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(response.header("content-type"), Some(expected), "{asset}");
        assert_eq!(
            response.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{asset} has a content hash in its name"
        );
        assert_locked_down(&response);
        assert!(!response.body.is_empty());
    }
}

#[tokio::test]
async fn unknown_paths_are_not_found_and_need_no_token() {
    let app = TestApp::spawn().await;
    for path in [
        "/no/such/page",
        "/assets/app-0000.js",
        "/stepwise.v1.AccountService/GetCurrentAccount",
        "/../Cargo.toml",
    ] {
        let response = get(&app, path, "").await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_locked_down(&response);
        assert_eq!(response.header("grpc-status"), None, "not a gRPC answer");
    }
}

#[tokio::test]
async fn grpc_and_grpc_web_still_work_on_the_same_port() {
    let app = TestApp::spawn().await;
    let (account, token) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    // Native gRPC over HTTP/2.
    let current = current_account(&app, &token).await.expect("gRPC answers");
    assert_eq!(current.id, account.id);

    // gRPC-Web over HTTP/1.1, from the dashboard's own origin.
    let head = format!(
        "POST /stepwise.v1.AccountService/GetCurrentAccount HTTP/1.1\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nAuthorization: Bearer {token}\r\n"
    );
    let response = http1(&app, &head, &framed(&pb::GetCurrentAccountRequest {})).await;
    assert_eq!(response.status, 200);
    let frames = frames(&response.body);
    let (_, message) = frames
        .iter()
        .find(|(flags, _)| *flags == 0)
        .expect("a message frame");
    assert_eq!(
        pb::Account::decode(message.as_slice()).expect("account").id,
        account.id
    );
    assert_eq!(
        response.header("content-security-policy"),
        None,
        "calls are not files"
    );

    // A call without a token is still refused.
    let unauthenticated = current_account(&app, "")
        .await
        .expect_err("a token is needed");
    assert_eq!(unauthenticated.code(), tonic::Code::Unauthenticated);
}
