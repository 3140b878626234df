//! Request bodies are bounded on every browser route (issue 11, item 1), against the real
//! binary: a form post past the form limit is refused with 413 before it is buffered, the
//! upload form's CSRF field cannot carry a large body, and large anonymous posts do not grow
//! the server's memory.

mod server_harness;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use server_harness::{Server, create_user};

/// The server's peak resident memory (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("VmHWM value")
}

fn cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn browser_routes_refuse_large_bodies_without_buffering_them() {
    let root = tempfile::tempdir().unwrap();
    let (cwd, tmp, data) = (root.path().join("cwd"), root.path().join("tmp"), root.path().join("data"));
    for d in [&cwd, &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    let server = Server::start(&cwd, &tmp, &data, &root.path().join("server.log"), "info");
    // Redirects are answers here, not something to follow; and a connection the server closed
    // after refusing a body is not reused.
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let form = |path: &str, body: Vec<u8>| {
        http.post(server.url(path)).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(body)
    };

    // A form post a little past the limit: 413, for anyone. (Routes that need a session
    // answer an anonymous post with a redirect before reading its body.)
    let big = vec![b'a'; 1024 * 1024];
    let res = form("/signin", big.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Large anonymous posts do not grow the server: each is refused after the first 64 KiB.
    let before = peak_rss_kib(server.child.id());
    let huge = vec![b'a'; 96 * 1024 * 1024];
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..3 {
        sends.spawn(form("/signin", huge.clone()).send());
    }
    while let Some(res) = sends.join_next().await {
        // The server may answer and close before the client has sent everything.
        if let Ok(res) = res.unwrap() {
            assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        }
    }
    let grown = peak_rss_kib(server.child.id()).saturating_sub(before);
    assert!(grown < 48 * 1024, "peak RSS grew by {grown} KiB for three refused 96 MiB posts");

    // A signed-in candidate's upload form: the CSRF field is a token, not a body.
    let token = create_user(&cwd, &tmp, &data, "上限 試験", "candidate");
    let page = http.get(server.url("/signin")).send().await.unwrap();
    let pre = cookie(&page, "hairyo_signin");
    assert_eq!(hidden_csrf(&page.text().await.unwrap()), pre);
    let res = form("/signin", format!("csrf={pre}&token={token}").into_bytes())
        .header(COOKIE, format!("hairyo_signin={pre}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = cookie(&res, "hairyo_session");
    let upload = |csrf: String| {
        let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
            "file",
            reqwest::multipart::Part::bytes("自己PR\n営業職として新規開拓を担当しました。".as_bytes().to_vec())
                .file_name("pr.txt"),
        );
        http.post(server.url("/documents")).header(COOKIE, format!("hairyo_session={session}")).multipart(form)
    };
    let res = upload("x".repeat(1024 * 1024)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The same form with the page's token goes through: the upload route still takes files
    // larger than the form limit.
    let docs =
        http.get(server.url("/upload")).header(COOKIE, format!("hairyo_session={session}")).send().await.unwrap();
    let csrf = hidden_csrf(&docs.text().await.unwrap());
    let res = upload(csrf.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
    let padded = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(
            format!("自己PR\n{}", "営業職として新規開拓を担当しました。\n".repeat(4096)).into_bytes(),
        )
        .file_name("long.txt"),
    );
    let res = http
        .post(server.url("/documents"))
        .header(COOKIE, format!("hairyo_session={session}"))
        .multipart(padded)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Signed in, every form route reads its body under the form limit.
    for path in ["/signout", "/account/suspend", "/documents/00000000-0000-0000-0000-000000000000/consent"] {
        let res = form(path, big.clone()).header(COOKIE, format!("hairyo_session={session}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }

    assert_eq!(http.get(server.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    assert!(server.stop().success());
}
