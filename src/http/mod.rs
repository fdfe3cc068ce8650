//! HTTP edge: one router per module, merged here. Handlers are thin: parse,
//! authenticate, submit to the ledger or read the views, answer.

pub mod admin;
pub mod api;
pub mod auth;
pub mod calendar;
pub mod chat;
pub mod embed;
pub mod human;
pub mod integrations;
pub mod limits;
pub mod media;
pub mod metrics;
pub mod overlay;
pub mod pages;
pub mod reconcile;
pub mod serve;
pub mod shared;
pub mod ws;

use crate::app::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;

/// Largest request body accepted anywhere.
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(chat::router())
        .merge(calendar::router())
        .merge(media::router())
        .merge(embed::router().route_layer(axum::middleware::from_fn(human::pages)))
        .merge(admin::router())
        .merge(ws::router())
        .merge(overlay::router().route_layer(axum::middleware::from_fn(human::pages)))
        .merge(integrations::router())
        .merge(pages::router().route_layer(axum::middleware::from_fn(human::pages)))
        .merge(metrics::router())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        // What a browser asks of any page without an icon of its own (the overlays, the counter).
        .route(
            "/favicon.ico",
            axum::routing::get(|headers: axum::http::HeaderMap| serve_static(Path("favicon.svg".to_owned()), headers)),
        )
        .fallback(|| async { ApiError::not_found("not_found", "no such endpoint") })
        // After every route: it applies to the routes present (axum keeps the `Allow` header).
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take this method; the Allow header lists those it takes",
            )
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), known_token))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(gzip_large))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::edge))
        .with_state(state)
}

/// A request to the API carrying a token that is none of ours is refused as
/// such (`401`), whatever else was wrong with it: an integrator with a wrong or
/// replaced key hears about the key, not about a field of the body. Looked at
/// only when the answer is a refusal (which wrote nothing), so that the
/// requests that go through pay nothing for it.
async fn known_token(
    axum::extract::State(app): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let api = req.uri().path().starts_with("/api/v1/");
    // A header value is shared bytes: kept without a copy.
    let auth = api.then(|| req.headers().get(header::AUTHORIZATION).cloned()).flatten();
    let res = next.run(req).await;
    let refused = res.status().is_client_error() && res.status() != axum::http::StatusCode::UNAUTHORIZED;
    let token = auth.as_ref().filter(|_| refused).and_then(auth::bearer_of);
    if token.is_some_and(|token| app.identify(token).is_none()) {
        return ApiError::unauthorized("this token is not valid").into_response();
    }
    res
}

/// Path parameters, with a malformed path (say, a percent-encoded byte that is
/// not UTF-8) answered in our error shape instead of axum's plain text.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Query parameters, with a malformed query answered `400 invalid_query` in our
/// error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> ApiError {
        ApiError::bad_request("invalid_query", e.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(e: axum::extract::rejection::PathRejection) -> ApiError {
        let text = e.body_text();
        let why = text.strip_prefix("Invalid URL: ").unwrap_or(&text);
        ApiError::new(e.status(), "invalid_path", format!("the URL's path is not valid: {why}"))
    }
}

/// A JSON body parsed into our error shape: a syntax error is `400 invalid_json`,
/// a body of the wrong shape (unknown field, wrong type) `422`. The Content-Type
/// is not required: every write also needs a bearer token, which a cross-site
/// form cannot send.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        parse_json(&bytes).map(JsonBody)
    }
}

pub fn body_rejection(e: axum::extract::rejection::BytesRejection) -> ApiError {
    body_rejection_over(e, BODY_LIMIT)
}

/// [`body_rejection`] on a route that takes bodies of up to `limit` bytes.
pub fn body_rejection_over(e: axum::extract::rejection::BytesRejection, limit: usize) -> ApiError {
    if std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |c| c.source())
        .any(|c| c.is::<serve::BodyTimeout>())
    {
        return ApiError::new(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the body did not arrive whole in time: send it at once after the request's head",
        );
    }
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(e.status(), "body_too_large", format!("the body is larger than {limit} bytes"));
    }
    ApiError::new(e.status(), "invalid_body", format!("could not read the body: {}", e.body_text()))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("invalid_json", "the body is empty; a JSON object is expected"));
    }
    // Every body is an object (or `null` where a body is optional): serde would
    // read a struct from an array too (`[true]` for `{"key": true}`), and its
    // word for another value would name our types.
    let object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !object && bytes.trim_ascii() != b"null" && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(ApiError::invalid("invalid_body", "the body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data if !object => ApiError::invalid("invalid_body", "the body must be a JSON object"),
            Category::Data => {
                let msg = e.to_string();
                let code = if msg.starts_with("unknown field") { "unknown_field" } else { "invalid_body" };
                ApiError::invalid(code, msg)
            }
            _ => ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}")),
        }
    })
}

/// Static files of the overlays, compiled into the binary: no file to deploy, nothing from outside.
pub fn static_file(name: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match name {
        "overlay.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/overlay.js")),
        "overlay.css" => ("text/css; charset=utf-8", include_bytes!("../../static/overlay.css")),
        _ => return overlay::asset(name).or_else(|| pages::asset(name)).or_else(|| embed::asset(name)),
    })
}

/// `GET /static/{file}`: revalidated at each use (`no-cache`) against its
/// `ETag`, so that a page gets `304` and no body while the file is the same,
/// and gzipped for whoever takes it (compressed once per file).
pub async fn serve_static(Path(name): Path<String>, headers: axum::http::HeaderMap) -> axum::response::Response {
    let Some((ct, body)) = static_file(&name) else {
        return ApiError::not_found("not_found", "no such file").into_response();
    };
    let (etag, gzipped) = &*served(&name, ct, body);
    let keep = [(header::CACHE_CONTROL, "no-cache"), (header::VARY, "accept-encoding")];
    let tag = [(header::ETAG, etag.clone())];
    let asked = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if asked.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return (axum::http::StatusCode::NOT_MODIFIED, keep, tag).into_response();
    }
    match gzipped {
        Some(gz) if accepts_gzip(&headers) => {
            (keep, tag, [(header::CONTENT_TYPE, ct), (header::CONTENT_ENCODING, "gzip")], gz.clone()).into_response()
        }
        _ => (keep, tag, [(header::CONTENT_TYPE, ct)], body).into_response(),
    }
}

/// A static file as sent: its `ETag`, and its gzip for text.
type Served = std::sync::Arc<(String, Option<Bytes>)>;

/// A static file's `ETag` (weak: its gzip is the same file) and, for text,
/// its gzip when that is smaller, worked out at its first request.
fn served(name: &str, ct: &str, body: &'static [u8]) -> Served {
    use sha2::Digest;
    static SERVED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Served>>> =
        std::sync::LazyLock::new(Default::default);
    let mut served = SERVED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = served.get(name) {
        return std::sync::Arc::clone(s);
    }
    let s = served.entry(name.to_owned()).or_insert_with(|| {
        let digest = sha2::Sha256::digest(body);
        let etag = format!("W/\"{}\"", hex::encode(&digest[..12]));
        let text = ct.starts_with("text/") || ct.contains("json") || ct.contains("svg");
        std::sync::Arc::new((etag, text.then(|| gzip(body, flate2::Compression::best())).flatten()))
    });
    std::sync::Arc::clone(s)
}

/// `bytes` gzipped, when that makes them smaller.
pub fn gzip(bytes: &[u8], level: flate2::Compression) -> Option<Bytes> {
    use std::io::Write;
    let mut z = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), level);
    z.write_all(bytes).ok()?;
    let out = z.finish().ok()?;
    (out.len() < bytes.len()).then(|| Bytes::from(out))
}

/// Whether a request's `Accept-Encoding` takes gzip: named without `q=0`, or
/// not named and `*` taken.
pub fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    let Some(v) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return false };
    let mut star = false;
    for item in v.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let taken = !parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0)));
        if name.eq_ignore_ascii_case("gzip") {
            return taken;
        }
        star |= name == "*" && taken;
    }
    star
}

/// Answers at least this large are gzipped for whoever takes it.
const GZIP_FROM: usize = 8 * 1024;
/// Answers at least this large are gzipped on a blocking thread.
const GZIP_AWAY_FROM: usize = 256 * 1024;

/// Gzips a large answer of text (the exports, a campaign's every donation,
/// the calendar) for a client that takes gzip: a charity's export of 137 000
/// donations is 17 MB of CSV, 3.8 MB gzipped. Left as they are: small answers
/// (not worth a core's time: a crowd's answers are small), answers already
/// encoded (the pages' files, every donor's list, gzipped once for everyone),
/// answers with their own `ETag` (a media file: its tag names its bytes) or
/// that chose their encoding themselves (`Vary: Accept-Encoding`: every
/// donor's list, sent whole to whoever does not take gzip), anything but
/// `200`, and what is not text.
pub async fn gzip_large(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let takes = accepts_gzip(req.headers());
    let res = next.run(req).await;
    let (mut parts, body) = res.into_parts();
    let text = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.starts_with("text/") || ct.starts_with("application/json") || ct.contains("svg") || ct.contains("javascript")
    });
    let size = axum::body::HttpBody::size_hint(&body).exact();
    let large = size.is_some_and(|n| n >= GZIP_FROM as u64);
    if !large
        || !text
        || parts.status != axum::http::StatusCode::OK
        || parts.headers.contains_key(header::CONTENT_ENCODING)
        || parts.headers.contains_key(header::ETAG)
        || parts.headers.get_all(header::VARY).iter().any(|v| v.as_bytes().eq_ignore_ascii_case(b"accept-encoding"))
    {
        return axum::response::Response::from_parts(parts, body);
    }
    parts.headers.append(header::VARY, header::HeaderValue::from_static("accept-encoding"));
    if !takes {
        return axum::response::Response::from_parts(parts, body);
    }
    // A body of an exact size is whole already: nothing waits on a client.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::internal("the answer could not be read whole").into_response();
    };
    let zipped = if bytes.len() >= GZIP_AWAY_FROM {
        let whole = bytes.clone();
        tokio::task::spawn_blocking(move || gzip(&whole, flate2::Compression::fast())).await.ok().flatten()
    } else {
        gzip(&bytes, flate2::Compression::fast())
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    match zipped {
        Some(z) => {
            parts.headers.insert(header::CONTENT_ENCODING, header::HeaderValue::from_static("gzip"));
            axum::response::Response::from_parts(parts, axum::body::Body::from(z))
        }
        None => axum::response::Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}
