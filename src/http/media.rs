//! A campaign's media library: the images and sounds its alerts may show and play.
//!
//! - `POST /api/v1/campaigns/{id}/media[?name=…]` (the admin, or a live's key or
//!   host link of the campaign): the file's bytes as the body; `201 {"media": …}`;
//! - `GET /api/v1/campaigns/{id}/media` (any token of the campaign): `{"media": […]}`;
//! - `DELETE /api/v1/campaigns/{id}/media/{media_id}` (the admin, or the host who
//!   sent it): `204`;
//! - `GET /media/{media_id}` (anyone, like the overlays' other files): the file.

use super::Path;
use super::auth::Access;
use crate::app::AppState;
use crate::domain::host_key;
use crate::error::ApiError;
use crate::media::{self, MediaError, MediaInfo};
use crate::secret;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/campaigns/{id}/media", get(list).post(upload).layer(DefaultBodyLimit::max(media::MAX_BYTES)))
        .route("/api/v1/campaigns/{id}/media/{media_id}", axum::routing::delete(remove))
        .route("/media/{media_id}", get(serve))
}

/// A file as the API gives it: its fields and where it is served.
fn media_json(m: &MediaInfo) -> serde_json::Value {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    v["url"] = format!("/media/{}", m.id).into();
    v
}

/// Runs a blocking call on the media library off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    app: &AppState,
    f: impl FnOnce(&media::MediaStore) -> Result<T, MediaError> + Send + 'static,
) -> Result<T, ApiError> {
    let app = app.clone();
    match tokio::task::spawn_blocking(move || f(&app.media)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(MediaError::Full { files, bytes })) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "media_library_full",
            format!(
                "the campaign's media library is full ({files} files, {} MiB; at most {} files and {} MiB): remove a file first",
                bytes >> 20,
                media::QUOTA.files,
                media::QUOTA.bytes >> 20
            ),
        )
        .with("files", files)),
        Ok(Err(MediaError::Sql(err))) => Err(ApiError::internal(format!("media library: {err}"))),
        Err(err) => Err(ApiError::internal(format!("media library task: {err}"))),
    }
}

async fn list(State(app): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    app.require_campaign_token(&headers, &id)?;
    let files = blocking(&app, move |m| Ok(m.list(&id)?)).await?;
    let files: Vec<_> = files.iter().map(media_json).collect();
    Ok(axum::Json(serde_json::json!({ "media": files })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Upload {
    name: Option<String>,
}

/// The host a key of this campaign sends files as (`None`: the organisers).
fn sender(app: &AppState, access: &Access) -> Result<Option<String>, ApiError> {
    match access {
        Access::Admin => Ok(None),
        Access::LiveKey(l) | Access::Host(l) => {
            app.views.with_live(l, |l| Some(l.live.host.clone())).ok_or_else(|| ApiError::forbidden("no such live"))
        }
        Access::Overlay(_) | Access::CampaignOverlay(_) | Access::CampaignReport(_) | Access::Moderator(..) => {
            Err(ApiError::forbidden("this token can only read"))
        }
    }
}

async fn upload(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Upload>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let access = app.require_campaign_token(&headers, &id)?;
    let host = sender(&app, &access)?;
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "media_too_large",
                format!("a file may be at most {} MiB", media::MAX_BYTES >> 20),
            )
            .with("max", media::MAX_BYTES)
        } else {
            super::body_rejection(e)
        }
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("invalid_body", "the body is empty; send the file's bytes"));
    }
    let (kind, content_type) = media::sniff(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media",
            "this file is not a PNG, GIF, JPEG or WebP image, nor an MP3, Ogg, WAV, FLAC or M4A sound",
        )
    })?;
    let name = match q.name.as_deref().map(str::trim) {
        None | Some("") => format!("{}.{}", kind.as_str(), content_type.rsplit('/').next().unwrap_or("")),
        Some(n) if n.chars().count() > media::MAX_NAME => {
            return Err(ApiError::invalid(
                "name_too_long",
                format!("a name has at most {} characters", media::MAX_NAME),
            )
            .with("max", media::MAX_NAME));
        }
        Some(n) if n.chars().any(char::is_control) => {
            return Err(ApiError::invalid("invalid_name", "a name may not hold control characters"));
        }
        Some(n) => n.to_owned(),
    };
    let info = MediaInfo {
        id: secret::new_id(),
        campaign_id: id,
        name,
        kind,
        content_type: content_type.to_owned(),
        size: bytes.len() as u64,
        host,
        created_at: app.now(),
    };
    let stored = info.clone();
    blocking(&app, move |m| m.insert(&stored, &bytes)).await?;
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({ "media": media_json(&info) }))).into_response())
}

async fn remove(
    State(app): State<AppState>,
    Path((id, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let access = app.require_campaign_token(&headers, &id)?;
    let by = sender(&app, &access)?;
    let lookup = media_id.clone();
    let file = blocking(&app, move |m| Ok(m.info(&lookup)?))
        .await?
        .filter(|f| f.campaign_id == id)
        .ok_or_else(|| ApiError::not_found("media_not_found", "this campaign has no file with this id"))?;
    // The organisers remove any file; a host, those sent from their own space.
    let mine = match (&by, &file.host) {
        (None, _) => true,
        (Some(me), Some(sent_by)) => host_key(me) == host_key(sent_by),
        (Some(_), None) => false,
    };
    if !mine {
        return Err(ApiError::forbidden("a host removes only the files sent from their own space"));
    }
    blocking(&app, move |m| Ok(m.remove(&media_id)?)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A file, checked again at each opening (`no-cache` with its id as `ETag`: a
/// `304` while it is kept), so that an overlay opened after its removal does
/// without it instead of showing a cached copy.
async fn serve(
    State(app): State<AppState>,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("media_not_found", "no file has this id");
    let etag = format!("\"{media_id}\"");
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let etag = HeaderValue::from_str(&etag).map_err(|_| not_found())?;
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
    ];
    if cached {
        // An id is never given to other bytes: being there is being the same.
        let id = media_id.clone();
        blocking(&app, move |m| Ok(m.info(&id)?)).await?.ok_or_else(not_found)?;
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let (content_type, bytes) = blocking(&app, move |m| Ok(m.get(&media_id)?)).await?.ok_or_else(not_found)?;
    let content_type =
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok(([(header::CONTENT_TYPE, content_type)], common, bytes).into_response())
}
