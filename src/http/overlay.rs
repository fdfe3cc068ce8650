//! `GET /overlay/lives/{id}?token=…`: the HTML page an OBS browser source opens.
//! The page itself holds no data: `static/overlay.js` reads everything from the
//! WebSocket, so a reload or a scene switch resumes where it left off.

use crate::app::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

/// Only our own script, style and socket; nothing leaves for another host.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

pub fn router() -> Router<AppState> {
    Router::new().route("/overlay/lives/{id}", get(overlay))
}

#[derive(Template)]
#[template(path = "overlay.html")]
struct OverlayPage<'a> {
    live_id: &'a str,
    host: &'a str,
    currency: &'a str,
    lang: &'a str,
}

/// `fr` or `en`, from `?lang=`; French by default (the campaigns this serves are French first).
pub fn lang(q: &HashMap<String, String>) -> &'static str {
    match q.get("lang").map(String::as_str) {
        Some("en") => "en",
        _ => "fr",
    }
}

async fn overlay(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let live = app
        .views
        .live(&live_id)
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    app.require_overlay(q.get("token").map(String::as_str), &live_id)?;
    let page = OverlayPage {
        live_id: &live_id,
        host: &live.live.host,
        currency: live.currency.code(),
        lang: lang(&q),
    };
    let html = page
        .render()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response())
}
