//! The JSON API of API.md: campaigns, matches, lives, donations, refunds, events.

use super::JsonBody;
use super::{Path, Query};
use crate::app::AppState;
use crate::domain::state::{BodyDigest, Command, IdempotencyKey, Principal, RefundTotal};
use crate::domain::{Campaign, Donation, Live, Match, SmolStr, Timestamp, Vote, text};
use crate::error::ApiError;
use crate::ledger::Outcome;
use crate::money::{Amount, Currency};
use crate::secret;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/campaigns", post(create_campaign))
        .route("/api/v1/campaigns/{id}", get(get_campaign).patch(edit_campaign))
        .route("/api/v1/campaigns/{id}/donors", get(campaign_donors))
        .route("/api/v1/campaigns/{id}/matches", post(create_match))
        .route("/api/v1/campaigns/{id}/matches/{match_id}", axum::routing::patch(edit_match))
        .route("/api/v1/campaigns/{id}/rotate", post(rotate_campaign))
        .route("/api/v1/campaigns/{id}/lives", post(create_live))
        .route("/api/v1/campaigns/{id}/milestones", post(create_milestone))
        .route("/api/v1/campaigns/{id}/milestones/{milestone_id}", delete(remove_milestone))
        .route("/api/v1/lives/{id}", get(get_live).patch(edit_live))
        .route("/api/v1/campaigns/{id}/hosts/rename", post(rename_host))
        .route("/api/v1/lives/{id}/donors", get(live_donors))
        .route("/api/v1/lives/{id}/donations", post(donate))
        .route("/api/v1/lives/{id}/events", get(events))
        .route("/api/v1/lives/{id}/rotate", post(rotate))
        .route("/api/v1/lives/{id}/moderators", get(list_moderators).post(add_moderator))
        .route("/api/v1/lives/{id}/moderators/{moderator_id}", delete(remove_moderator))
        .route("/api/v1/lives/{id}/goal", axum::routing::put(set_goal))
        .route("/api/v1/lives/{id}/stream", axum::routing::put(set_stream))
        .route("/api/v1/lives/{id}/start", post(start_live))
        .route("/api/v1/lives/{id}/end", post(end_live))
        .route("/api/v1/lives/{id}/extend", post(extend_live))
        .route("/api/v1/lives/{id}/alerts", axum::routing::put(pause_alerts))
        .route("/api/v1/lives/{id}/alerts/skip", axum::routing::post(skip_alert))
        .route("/api/v1/lives/{id}/milestones", post(create_live_milestone))
        .route("/api/v1/lives/{id}/milestones/{milestone_id}", delete(remove_live_milestone))
        .route("/api/v1/lives/{id}/challenges", post(create_challenge))
        .route("/api/v1/lives/{id}/challenges/{challenge_id}", delete(cancel_challenge).patch(edit_challenge))
        .route("/api/v1/lives/{id}/polls", post(start_poll))
        .route("/api/v1/lives/{id}/polls/{poll_id}", axum::routing::patch(edit_poll))
        .route("/api/v1/lives/{id}/polls/{poll_id}/close", post(close_poll))
        .route("/api/v1/lives/{id}/draws", post(draw_prize))
        .route("/api/v1/lives/{id}/rewards", get(live_rewards).post(offer_reward))
        .route("/api/v1/lives/{id}/rewards/{reward_id}", axum::routing::patch(edit_reward))
        .route("/api/v1/lives/{id}/rewards/{reward_id}/close", post(close_reward))
        .route("/api/v1/lives/{id}/rewards/{reward_id}/reopen", post(reopen_reward))
        .route("/api/v1/lives/{id}/rewards/claims/{donation_id}", axum::routing::put(deliver_reward))
        .route("/api/v1/donations/{id}/refund", post(refund))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The answer to a write: `created` (201 or 200) when it appended an event, 200
/// with the unchanged state when it wrote nothing (a repeat).
pub(crate) fn outcome_response(outcome: Outcome, created: StatusCode) -> Response {
    match outcome {
        Outcome::Appended { body, .. } => json_response(created, body.unwrap_or_default()),
        Outcome::Unchanged { body } => json_response(StatusCode::OK, body),
    }
}

pub(crate) fn id_or_new(proposed: Option<&str>) -> Result<String, ApiError> {
    Ok(match proposed {
        Some(p) => text::id(p)?,
        None => secret::new_id(),
    })
}

fn time(field: &'static str, v: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    v.map(|s| {
        Timestamp::parse(s)
            .ok_or_else(|| ApiError::invalid("invalid_time", format!("{field} must be an RFC 3339 date-time")))
    })
    .transpose()
}

fn window(starts: Option<Timestamp>, ends: Option<Timestamp>) -> Result<(), ApiError> {
    match (starts, ends) {
        (Some(s), Some(e)) if e <= s => Err(ApiError::invalid("invalid_time", "ends_at must be after starts_at")),
        _ => Ok(()),
    }
}

/// A positive integer amount of minor units in an optional field.
fn minor(field: &'static str, v: Option<&Value>) -> Result<Option<i64>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Amount::from_json(v)
            .map(|a| Some(a.minor()))
            .map_err(|e| ApiError::invalid("invalid_amount", format!("{field}: {e}"))),
    }
}

/// Where this server is reached from outside: `--public-url`, else the host the
/// client asked for (a trusted proxy's `X-Forwarded-Host` or `Forwarded`, else
/// `Host`), over HTTPS when the server speaks it or a trusted proxy says its
/// client did (`X-Forwarded-Proto` or `Forwarded`). The edge drops the proxy
/// headers from anyone else.
pub(crate) fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &app.config.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = super::limits::request_host(headers).unwrap_or(&app.config.listen);
    let scheme = if https(app, headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// Whether clients reach this server over HTTPS: the server speaks it, else
/// `--public-url` says so, else a trusted proxy says so
/// ([`super::limits::forwarded_https`]).
pub(crate) fn https(app: &AppState, headers: &HeaderMap) -> bool {
    if app.config.tls() {
        return true;
    }
    if let Some(u) = &app.config.public_url {
        return u.starts_with("https://");
    }
    super::limits::forwarded_https(headers)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCampaign {
    id: Option<String>,
    name: String,
    currency: String,
    goal: Option<Value>,
    charity: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    donate_url: Option<String>,
}

async fn create_campaign(
    State(app): State<AppState>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewCampaign>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let starts_at = time("starts_at", b.starts_at.as_deref())?;
    let ends_at = time("ends_at", b.ends_at.as_deref())?;
    window(starts_at, ends_at)?;
    let overlay_token = secret::new_token("ot_");
    let c = Campaign {
        id: id_or_new(b.id.as_deref())?,
        name: text::required("name", &b.name, text::NAME_MAX)?,
        currency: Currency::parse(&b.currency)?,
        goal: minor("goal", b.goal.as_ref())?,
        charity: text::optional("charity", b.charity.as_deref(), text::NAME_MAX)?,
        starts_at,
        ends_at,
        donate_url: text::url("donate_url", b.donate_url.as_deref())?,
        created_at: Timestamp::default(),
        overlay_hash: Some(secret::hash(&overlay_token)),
        // The organisers give the charity its key when they choose to.
        report_hash: None,
        // Its media library is empty until the campaign exists.
        cover: None,
    };
    let id = c.id.clone();
    app.ledger.submit(Command::CreateCampaign(c)).await?;
    let mut body =
        app.views.campaign_json(&id, app.now()).ok_or_else(|| ApiError::internal("campaign missing after commit"))?;
    let base = base_url(&app, &headers);
    campaign_links(&mut body, &base, &id, &overlay_token);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// The campaign's overlay token and the two URLs that carry it: its overlay page and its stream.
fn campaign_links(body: &mut Value, base: &str, id: &str, overlay_token: &str) {
    body["ws_url"] = json!(format!("{}/ws/campaigns/{id}?token={overlay_token}", base.replacen("http", "ws", 1)));
    body["overlay_url"] = json!(format!("{base}/overlay/campaigns/{id}?token={overlay_token}"));
    body["overlay_token"] = json!(overlay_token);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateCampaign {
    overlay_token: Option<bool>,
    report_token: Option<bool>,
}

/// `POST /api/v1/campaigns/{id}/rotate` (admin): a new campaign overlay token
/// (without a body, `{}` or `{"overlay_token": true}`; the old one stops working at
/// once, and the streams opened with it are closed, 1008) and/or a new key for
/// the charity's space (`{"report_token": true}`: its link, `report_url`; the
/// old key is refused at once).
async fn rotate_campaign(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let body = body.map_err(super::body_rejection)?;
    let b: RotateCampaign = if body.iter().all(u8::is_ascii_whitespace) {
        RotateCampaign { overlay_token: None, report_token: None }
    } else {
        super::parse_json(&body)?
    };
    // Neither named (no body, `{}`): the overlay token, as before the charity's key.
    let (overlay, report) = match (b.overlay_token, b.report_token) {
        (None, None) => (true, false),
        (o, r) => (o.unwrap_or(false), r.unwrap_or(false)),
    };
    if !overlay && !report {
        return Err(ApiError::invalid("nothing_to_rotate", "set overlay_token and/or report_token to true"));
    }
    if !app.views.has_campaign(&id) {
        return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
    }
    let base = base_url(&app, &headers);
    let mut answer = json!({ "id": id });
    if overlay {
        let overlay_token = secret::new_token("ot_");
        app.ledger
            .submit(Command::RotateCampaignOverlay {
                campaign_id: id.clone(),
                overlay_hash: secret::hash(&overlay_token),
            })
            .await?;
        campaign_links(&mut answer, &base, &id, &overlay_token);
    }
    if report {
        let report_token = secret::new_token("rk_");
        app.ledger
            .submit(Command::RotateCampaignReport { campaign_id: id.clone(), report_hash: secret::hash(&report_token) })
            .await?;
        // After `#key=`, like the host's space: a fragment never reaches a server.
        answer["report_url"] = json!(format!("{base}/campaigns/{id}/charity#key={report_token}"));
        answer["report_token"] = json!(report_token);
    }
    Ok(axum::Json(answer).into_response())
}

async fn get_campaign(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let body = app
        .views
        .campaign_doc(&id, app.now())
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMatch {
    id: Option<String>,
    sponsor: String,
    ratio: Value,
    cap: Value,
    starts_at: Option<String>,
    ends_at: Option<String>,
    min_amount: Option<Value>,
    max_per_donation: Option<Value>,
    /// An image of the campaign's media library.
    logo: Option<String>,
}

/// A sponsor's logo: the id of an image of the campaign's media library.
async fn logo(app: &AppState, campaign_id: &str, id: Option<String>) -> Result<Option<String>, ApiError> {
    library_image(app, campaign_id, id, ("logo", "invalid_logo")).await
}

/// The id of an image of the campaign's media library, for `field` (refused with `code`).
async fn library_image(
    app: &AppState,
    campaign_id: &str,
    id: Option<String>,
    (field, code): (&'static str, &'static str),
) -> Result<Option<String>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let bad = || {
        ApiError::invalid(code, format!("{field} must be the id of an image of this campaign's media library"))
            .with("field", field)
    };
    let lookup = id.clone();
    match super::media::blocking(app, move |m| Ok(m.info(&lookup)?)).await? {
        Some(f) if f.campaign_id == campaign_id && f.kind == crate::media::Kind::Image => Ok(Some(id)),
        _ => Err(bad()),
    }
}

fn ratio(v: &Value) -> Result<[i64; 2], ApiError> {
    let bad =
        || ApiError::invalid("invalid_ratio", "ratio must be [num, den]: two positive integers, e.g. [1, 1] to double");
    let arr = v.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
    let n = arr[0].as_i64().filter(|n| *n > 0 && arr[0].is_i64()).ok_or_else(bad)?;
    let d = arr[1].as_i64().filter(|d| *d > 0 && arr[1].is_i64()).ok_or_else(bad)?;
    if n > 1000 || d > 1000 {
        return Err(ApiError::invalid("invalid_ratio", "ratio terms must be at most 1000"));
    }
    Ok([n, d])
}

async fn create_match(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewMatch>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    if !app.views.has_campaign(&campaign_id) {
        return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
    }
    let starts_at = time("starts_at", b.starts_at.as_deref())?;
    let ends_at = time("ends_at", b.ends_at.as_deref())?;
    window(starts_at, ends_at)?;
    let logo = logo(&app, &campaign_id, b.logo).await?;
    let m = Match {
        id: id_or_new(b.id.as_deref())?,
        campaign_id,
        sponsor: text::required("sponsor", &b.sponsor, text::NAME_MAX)?,
        ratio: ratio(&b.ratio)?,
        cap: minor("cap", Some(&b.cap))?.unwrap_or_default(),
        starts_at,
        ends_at,
        min_amount: minor("min_amount", b.min_amount.as_ref())?,
        max_per_donation: minor("max_per_donation", b.max_per_donation.as_ref())?,
        created_at: Timestamp::default(),
        logo,
    };
    let (id, cid) = (m.id.clone(), m.campaign_id.clone());
    app.ledger.submit(Command::CreateMatch(m)).await?;
    let body = app
        .views
        .campaign(&cid)
        .and_then(|c| c.matches.iter().find(|m| m.r#match.id == id).map(crate::views::match_json))
        .ok_or_else(|| ApiError::internal("match missing after commit"))?;
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditMatch {
    sponsor: Option<String>,
    ratio: Option<Value>,
    cap: Option<Value>,
    #[serde(default)]
    starts_at: Patch<String>,
    #[serde(default)]
    ends_at: Patch<String>,
    #[serde(default)]
    min_amount: Patch<Value>,
    #[serde(default)]
    max_per_donation: Patch<Value>,
    #[serde(default)]
    logo: Patch<String>,
}

/// `PATCH /api/v1/campaigns/{id}/matches/{match_id}` (admin): new terms for the
/// donations to come. What the match already gave stays as recorded; the cap
/// cannot go below it (`422 cap_below_used`, decided by the writer).
async fn edit_match(
    State(app): State<AppState>,
    Path((campaign_id, match_id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EditMatch>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let c = app
        .views
        .campaign(&campaign_id)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let mut m = c
        .matches
        .iter()
        .find(|m| m.r#match.id == match_id)
        .ok_or_else(|| ApiError::not_found("match_not_found", "this campaign has no match with this id"))?
        .r#match
        .clone();
    if let Some(sponsor) = b.sponsor {
        m.sponsor = text::required("sponsor", &sponsor, text::NAME_MAX)?;
    }
    if let Some(r) = b.ratio {
        m.ratio = ratio(&r)?;
    }
    if let Some(cap) = b.cap {
        m.cap = minor("cap", Some(&cap))?.unwrap_or_default();
    }
    m.starts_at = b.starts_at.apply(m.starts_at, |v| time("starts_at", Some(&v)))?;
    m.ends_at = b.ends_at.apply(m.ends_at, |v| time("ends_at", Some(&v)))?;
    window(m.starts_at, m.ends_at)?;
    m.min_amount = b.min_amount.apply(m.min_amount, |v| minor("min_amount", Some(&v)))?;
    m.max_per_donation = b.max_per_donation.apply(m.max_per_donation, |v| minor("max_per_donation", Some(&v)))?;
    m.logo = match b.logo {
        Patch::Keep => m.logo,
        Patch::Clear => None,
        Patch::Set(id) => logo(&app, &campaign_id, Some(id)).await?,
    };
    app.ledger.submit(Command::UpdateMatch(m)).await?;
    let body = app
        .views
        .campaign(&campaign_id)
        .and_then(|c| c.matches.iter().find(|m| m.r#match.id == match_id).map(crate::views::match_json))
        .ok_or_else(|| ApiError::internal("match missing after commit"))?;
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLive {
    id: Option<String>,
    host: String,
    title: Option<String>,
    platform: Option<String>,
    scheduled_at: Option<String>,
    duration_minutes: Option<u32>,
    goal: Option<Value>,
    donate_url: Option<String>,
    /// Where viewers watch it (`https://twitch.tv/…`).
    stream_url: Option<String>,
}

async fn create_live(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewLive>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    if !app.views.has_campaign(&campaign_id) {
        return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
    }
    let key = secret::new_token("ck_");
    let overlay_token = secret::new_token("ot_");
    let host_token = secret::new_token("ht_");
    let live = Live {
        id: id_or_new(b.id.as_deref())?,
        campaign_id,
        host: text::required("host", &b.host, text::NAME_MAX)?,
        title: text::optional("title", b.title.as_deref(), text::NAME_MAX)?,
        platform: text::platform(b.platform.as_deref())?,
        scheduled_at: time("scheduled_at", b.scheduled_at.as_deref())?,
        goal: minor("goal", b.goal.as_ref())?,
        donate_url: text::url("donate_url", b.donate_url.as_deref())?,
        stream_url: text::url("stream_url", b.stream_url.as_deref())?,
        duration_minutes: match b.duration_minutes {
            Some(m) => Some(minutes("duration_minutes", m)?),
            None => None,
        },
        created_at: Timestamp::default(),
        key_hash: secret::hash(&key),
        overlay_hash: secret::hash(&overlay_token),
        host_hash: Some(secret::hash(&host_token)),
        moderator_hash: None,
        cancelled: false,
        alerts_paused: false,
        ended_at: None,
    };
    let id = live.id.clone();
    app.ledger.submit(Command::CreateLive(live)).await?;
    let mut body =
        app.views.live_json(&id, app.now()).ok_or_else(|| ApiError::internal("live missing after commit"))?;
    let base = base_url(&app, &headers);
    if let Some(o) = body.as_object_mut() {
        o.insert("overlay_url".into(), json!(format!("{base}/overlay/lives/{id}?token={overlay_token}")));
        o.insert(
            "ws_url".into(),
            json!(format!("{}/ws/lives/{id}?token={overlay_token}", base.replacen("http", "ws", 1))),
        );
        o.insert("key".into(), json!(key));
        o.insert("overlay_token".into(), json!(overlay_token));
        o.insert("host_url".into(), json!(host_url(&base, &id, &host_token)));
        o.insert("host_token".into(), json!(host_token));
    }
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn get_live(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let body = app
        .views
        .live_doc(&id, app.now())
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    Ok(axum::Json(body).into_response())
}

async fn live_donors(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("live_not_found", "no live has this id");
    let seq = app.views.with_live(&id, |l| l.last_seq).ok_or_else(missing)?;
    let views = Arc::clone(&app.views);
    donors(&app, &headers, format!("l/{id}"), seq, move || views.live_donors_json(&id), missing).await
}

async fn campaign_donors(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("campaign_not_found", "no campaign has this id");
    let seq = app.views.with_campaign(&id, |c| c.last_seq).ok_or_else(missing)?;
    let views = Arc::clone(&app.views);
    donors(&app, &headers, format!("c/{id}"), seq, move || views.campaign_donors_json(&id), missing).await
}

/// Every donor of a live or a campaign (thousands on a campaign of a month),
/// serialized and gzipped on a blocking thread once for everyone who asks
/// meanwhile, and sent gzipped to whoever takes it.
async fn donors(
    app: &AppState,
    headers: &HeaderMap,
    key: String,
    seq: u64,
    make: impl FnOnce() -> Option<Value> + Send + 'static,
    missing: impl FnOnce() -> ApiError,
) -> Result<Response, ApiError> {
    let body = app
        .public
        .donors
        .get(&key, seq, async || {
            let made = tokio::task::spawn_blocking(move || {
                make().map(|v| {
                    let json = serde_json::to_vec(&v)?;
                    let gzipped = super::gzip(&json, flate2::Compression::fast());
                    Ok::<_, serde_json::Error>((axum::body::Bytes::from(json), gzipped))
                })
            })
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
            match made {
                Some(Ok(bodies)) => Ok(bodies),
                Some(Err(e)) => Err(ApiError::internal(e.to_string())),
                None => Err(missing()),
            }
        })
        .await?;
    let vary = (header::VARY, "accept-encoding");
    Ok(match &body.1 {
        Some(gz) if super::accepts_gzip(headers) => {
            ([(header::CONTENT_TYPE, "application/json"), (header::CONTENT_ENCODING, "gzip"), vary], gz.clone())
                .into_response()
        }
        _ => ([(header::CONTENT_TYPE, "application/json"), vary], body.0.clone()).into_response(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDonation {
    id: Option<String>,
    amount: Value,
    currency: String,
    donor: Option<String>,
    message: Option<String>,
    anonymous: Option<bool>,
    platform: Option<String>,
    /// An option of the live's open poll (its keyword, with or without `#`, or
    /// its number), for a form that asks for it beside the message.
    vote: Option<String>,
    /// One of the live's rewards (its keyword, with or without `#`, or its id),
    /// for a form that offers them beside the message.
    reward: Option<String>,
}

/// The reward of the live a donation names (its keyword or id): `422
/// invalid_reward` when the live has no such reward. Whether the donation gets
/// it (offered still, enough given, some left) is the writer's call; without
/// it the gift counts all the same.
pub(crate) fn asked_reward(app: &AppState, live_id: &str, asked: Option<&str>) -> Result<Option<SmolStr>, ApiError> {
    let Some(asked) = asked else { return Ok(None) };
    let word = crate::domain::folded_tag(asked);
    let found = app.views.with_live(live_id, |l| {
        let offered = l.rewards.iter().filter(|r| r.reward.closed_at.is_none());
        let tags: Vec<String> = offered.map(|r| format!("#{}", r.reward.tag)).collect();
        let found = l.rewards.iter().find(|r| r.reward.tag == word || r.reward.id == asked.trim());
        (found.map(|r| SmolStr::from(r.reward.id.as_str())), tags)
    });
    match found {
        Some((Some(id), _)) => Ok(Some(id)),
        Some((None, tags)) => Err(ApiError::invalid(
            "invalid_reward",
            format!(
                "the live offers no reward {asked:?}: {}",
                if tags.is_empty() { "none".to_owned() } else { tags.join(", ") }
            ),
        )
        .with("field", "reward")),
        None => Ok(None),
    }
}

/// The option of the live's open poll a donation names, if a poll is open:
/// `422 invalid_vote` for an option it does not have; no vote without a poll
/// (the gift counts all the same: a poll may close while it is on its way).
pub(crate) fn asked_vote(app: &AppState, live_id: &str, asked: Option<&str>) -> Result<Option<Box<Vote>>, ApiError> {
    let Some(asked) = asked else { return Ok(None) };
    let now = app.now();
    let open = app.views.with_live(live_id, |l| l.polls.last().filter(|p| p.poll.is_open(now)).map(|p| p.poll.clone()));
    let Some(poll) = open.flatten() else { return Ok(None) };
    let word = asked.trim().trim_start_matches('#');
    let option = poll.vote_in(&format!("#{word}")).ok_or_else(|| {
        let tags: Vec<String> = poll.options.iter().map(|o| format!("#{}", o.tag)).collect();
        ApiError::invalid("invalid_vote", format!("the live's poll has no option {asked:?}: {}", tags.join(", ")))
            .with("field", "vote")
    })?;
    Ok(Some(Box::new(Vote { poll_id: poll.id.as_str().into(), option })))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let k = v.to_str().ok().filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    k.map(|k| Some(k.to_owned())).ok_or_else(|| {
        ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters")
    })
}

async fn donate(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let by = app.require_live_writer(&headers, &live_id)?;
    let key = idempotency_key(&headers)?;
    let b: NewDonation = super::parse_json(&body.map_err(super::body_rejection)?)?;
    let currency = Currency::parse(&b.currency);
    let amount = match &currency {
        Ok(c) => Amount::from_json_in(&b.amount, *c, app.config.max_amount),
        Err(_) => Amount::from_json(&b.amount),
    }?;
    let currency = currency?;
    let donor = text::optional("donor", b.donor.as_deref(), text::DONOR_MAX)?;
    let message = text::optional("message", b.message.as_deref(), text::MESSAGE_MAX)?;
    let platform = text::platform(b.platform.as_deref())?.unwrap_or_else(|| "direct".to_owned());
    let anonymous = b.anonymous.unwrap_or(false);
    let vote = asked_vote(&app, &live_id, b.vote.as_deref())?;
    let reward = asked_reward(&app, &live_id, b.reward.as_deref())?;
    let idempotency = key.map(|key| {
        // Digest of the validated request, so a retry that differs only in spacing is the same request.
        let mut canonical = json!({
            "id": b.id, "amount": amount.minor(), "currency": currency, "donor": donor,
            "message": message, "anonymous": anonymous, "platform": platform,
        });
        // Only when asked: the digests of requests without a vote stay as they were.
        if let Some(v) = &b.vote {
            canonical["vote"] = json!(v.trim().trim_start_matches('#').to_lowercase());
        }
        if let Some(r) = &b.reward {
            canonical["reward"] = json!(r.trim().trim_start_matches('#').to_lowercase());
        }
        IdempotencyKey { key, body_hash: BodyDigest::of(canonical.to_string().as_bytes()) }
    });
    let mut donation = Donation::new(
        id_or_new(b.id.as_deref())?,
        live_id.clone(),
        amount.minor(),
        currency,
        donor,
        anonymous,
        message,
        platform,
    );
    donation.vote = vote;

    let cmd = Command::Donate { by, donation, idempotency, reward };
    Ok(outcome_response(app.ledger.submit(cmd).await?, StatusCode::CREATED))
}

/// Optional body of a refund: without it (or with `{}`) the whole donation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    /// The total given back so far, in minor units; the whole amount refunds it whole.
    refunded_amount: Option<Value>,
}

async fn refund(
    State(app): State<AppState>,
    Path(donation_id): Path<String>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let by = app.require_writer(&headers, None)?;
    let body = body.map_err(super::body_rejection)?;
    let so_far = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        // `null` is no body; any other field is refused rather than taken for a
        // whole refund (`{"amount": 500}` must not give back everything).
        let b: Option<RefundBody> = super::parse_json(&body)?;
        match b.and_then(|b| b.refunded_amount) {
            None => None,
            Some(v) => Some(RefundTotal::from_json(&v).map_err(|_| {
                ApiError::invalid(
                    "invalid_refunded_amount",
                    "refunded_amount must be an integer number of minor units, from 1 to the donation's amount",
                )
            })?),
        }
    };
    let cmd = Command::Refund { by, donation_id, so_far };
    Ok(outcome_response(app.ledger.submit(cmd).await?, StatusCode::OK))
}

/// Events per page of `GET /events`.
pub const EVENTS_MAX: usize = 10_000;

async fn events(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let token = q.get("token").map(String::as_str).or_else(|| super::auth::bearer(&headers));
    let (campaign_id, last_seq) = app
        .views
        .with_live(&live_id, |l| (l.live.campaign_id.clone(), l.last_seq))
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    app.require_reader(token, &live_id)?;
    let after = parse_u64(&q, "after")?.unwrap_or(0);
    let limit = parse_u64(&q, "limit")?.map_or(EVENTS_MAX, |l| (l as usize).clamp(1, EVENTS_MAX));
    let source = super::ws::Source::Live { live_id: live_id.clone(), campaign_id };
    let frames = app.frames_between(&source, after, last_seq, limit + 1).await?;
    let has_more = frames.len() > limit;
    let mut body = String::with_capacity(64 + frames.iter().map(|f| f.text.len() + 1).sum::<usize>());
    body.push_str("{\"events\":[");
    for (i, f) in frames.iter().take(limit).enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(f.text.as_str());
    }
    body.push_str(&format!("],\"has_more\":{has_more},\"last_seq\":{last_seq}}}"));
    Ok(json_response(StatusCode::OK, body))
}

pub fn parse_u64(q: &HashMap<String, String>, name: &'static str) -> Result<Option<u64>, ApiError> {
    q.get(name)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| ApiError::bad_request("invalid_query", format!("{name} must be a non-negative integer")))
        })
        .transpose()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    #[serde(default)]
    key: bool,
    #[serde(default)]
    overlay_token: bool,
    #[serde(default)]
    host_token: bool,
    #[serde(default)]
    moderator_token: bool,
}

/// Replaces a live's write key, overlay token, host token and/or moderator
/// token (making the first one); the old ones stop working at once. The
/// host's link replaces the overlay token, the moderators' and its own, never
/// the key.
async fn rotate(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<Rotate>,
) -> Result<Response, ApiError> {
    let (by, host) = app.require_host(&headers, Some(&live_id))?;
    if !b.key && !b.overlay_token && !b.host_token && !b.moderator_token {
        return Err(ApiError::invalid(
            "nothing_to_rotate",
            "set key, overlay_token, host_token and/or moderator_token to true",
        ));
    }
    if host && b.key {
        return Err(ApiError::forbidden("a host link cannot replace the live's key"));
    }
    let key = b.key.then(|| secret::new_token("ck_"));
    let overlay = b.overlay_token.then(|| secret::new_token("ot_"));
    let host_token = b.host_token.then(|| secret::new_token("ht_"));
    let moderator = b.moderator_token.then(|| secret::new_token("md_"));
    app.ledger
        .submit(Command::RotateLiveSecrets {
            by,
            live_id: live_id.clone(),
            key_hash: key.as_deref().map(secret::hash),
            overlay_hash: overlay.as_deref().map(secret::hash),
            host_hash: host_token.as_deref().map(secret::hash),
            moderator_hash: moderator.as_deref().map(secret::hash),
        })
        .await?;
    let mut body = json!({ "id": live_id });
    if let Some(k) = key {
        body["key"] = json!(k);
    }
    if let Some(o) = overlay {
        body["overlay_url"] = json!(format!("{}/overlay/lives/{live_id}?token={o}", base_url(&app, &headers)));
        body["overlay_token"] = json!(o);
    }
    if let Some(h) = host_token {
        body["host_url"] = json!(host_url(&base_url(&app, &headers), &live_id, &h));
        body["host_token"] = json!(h);
    }
    // The moderators open the host's space with their own key: it shows them
    // what they may do.
    if let Some(m) = moderator {
        body["moderator_url"] = json!(host_url(&base_url(&app, &headers), &live_id, &m));
        body["moderator_token"] = json!(m);
    }
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewModerator {
    name: String,
}

/// A live's moderator by name as the host sees it (never their key).
fn moderator_json(m: &crate::domain::Moderator) -> Value {
    json!({ "id": m.id, "name": m.name, "created_at": m.created_at })
}

/// `POST /api/v1/lives/{id}/moderators {name}` (the admin, the live's key or
/// its host key): a moderator by name, with a link of their own (`md_…`,
/// what the moderators' shared link does), which is taken back alone; what
/// they approve, hide or show is written in the log under their name. The key
/// is in this answer only.
async fn add_moderator(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewModerator>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let name = text::required("name", &b.name, MODERATOR_NAME_MAX)?;
    let token = secret::new_token("md_");
    let moderator = crate::domain::Moderator {
        id: secret::new_id().into(),
        name: name.into(),
        token_hash: secret::hash(&token),
        created_at: Timestamp::default(),
    };
    let id = moderator.id.clone();
    app.ledger.submit(Command::AddModerator { by, live_id: live_id.clone(), moderator }).await?;
    let mut body = app
        .views
        .with_live(&live_id, |l| l.moderators.iter().find(|m| m.id == id).map(moderator_json))
        .flatten()
        .ok_or_else(|| ApiError::internal("the moderator just added is not in the read model"))?;
    body["moderator_url"] = json!(host_url(&base_url(&app, &headers), &live_id, &token));
    body["moderator_token"] = json!(token);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// A moderator's name, as a chat shows it.
const MODERATOR_NAME_MAX: usize = 40;

/// `GET /api/v1/lives/{id}/moderators` (the admin, the live's key or its host
/// key): the moderators by name of its host in its campaign, whose links open
/// all of the host's lives there, oldest first, each with the live it was
/// made on (`live_id`).
async fn list_moderators(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_host(&headers, Some(&live_id))?;
    let lives =
        app.views.host_lives(&live_id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    let mut list: Vec<(Timestamp, Value)> = Vec::new();
    for l in &lives {
        app.views.with_live(&l.id, |v| {
            list.extend(v.moderators.iter().map(|m| {
                let mut json = moderator_json(m);
                json["live_id"] = json!(l.id);
                (m.created_at, json)
            }));
        });
    }
    list.sort_by_key(|(at, _)| *at);
    let list: Vec<Value> = list.into_iter().map(|(_, m)| m).collect();
    Ok(axum::Json(json!({ "moderators": list })).into_response())
}

/// `DELETE /api/v1/lives/{id}/moderators/{moderator_id}` (the admin, the
/// live's key or its host key): that moderator's link (made on this live or on
/// another of its host's in the campaign) stops working at once; what they did
/// stays written under their name.
async fn remove_moderator(
    State(app): State<AppState>,
    Path((live_id, moderator_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    app.ledger.submit(Command::RemoveModerator { by, live_id, moderator_id }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The host's space with its token after `#key=`: a fragment never reaches a
/// server or a proxy's log, and the page takes it out of the address bar.
fn host_url(base: &str, live_id: &str, token: &str) -> String {
    format!("{base}/lives/{live_id}/host#key={token}")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMilestone {
    id: Option<String>,
    amount: Value,
    label: String,
    live_id: Option<String>,
}

/// `POST /api/v1/campaigns/{id}/milestones`: an amount of the campaign total (or of
/// one live's total with `live_id`) that fires `milestone_reached` once.
async fn create_milestone(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewMilestone>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    if !app.views.has_campaign(&campaign_id) {
        return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
    }
    let m = milestone_asked(id_or_new(b.id.as_deref())?, &campaign_id, b.live_id, &b.amount, &b.label)?;
    let id = m.id.clone();
    app.ledger.submit(Command::CreateMilestone { by: Principal::Admin, milestone: m }).await?;
    created_milestone(&app, &campaign_id, &id)
}

/// A milestone as asked: its amount and label checked; the writer stamps it.
fn milestone_asked(
    id: String,
    campaign_id: &str,
    live_id: Option<String>,
    amount: &Value,
    label: &str,
) -> Result<crate::domain::Milestone, ApiError> {
    Ok(crate::domain::Milestone {
        id,
        campaign_id: campaign_id.to_owned(),
        live_id,
        amount: minor("amount", Some(amount))?.unwrap_or_default(),
        label: text::required("label", label, text::MESSAGE_MAX)?,
        created_at: Timestamp::default(),
        ends_at: None,
        from: None,
        cancelled: false,
    })
}

/// The campaign of a live, or `404 live_not_found`.
fn campaign_of(app: &AppState, live_id: &str) -> Result<String, ApiError> {
    app.views
        .with_live(live_id, |l| l.live.campaign_id.clone())
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLiveMilestone {
    id: Option<String>,
    amount: Value,
    label: String,
}

/// `POST /api/v1/lives/{id}/milestones` (admin, the live's key or its host
/// key): a milestone of this live, at the live's total `amount` ("à 200 € je
/// chante"), as the campaign's route makes one with `live_id`.
async fn create_live_milestone(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewLiveMilestone>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let campaign_id = campaign_of(&app, &live_id)?;
    let m = milestone_asked(id_or_new(b.id.as_deref())?, &campaign_id, Some(live_id), &b.amount, &b.label)?;
    let id = m.id.clone();
    app.ledger.submit(Command::CreateMilestone { by, milestone: m }).await?;
    created_milestone(&app, &campaign_id, &id)
}

/// `DELETE /api/v1/lives/{id}/milestones/{milestone_id}` (admin, the live's key
/// or its host key): takes one of the live's milestones off before it is
/// reached; its streams get `milestone_removed` (`{milestone}`, `cancelled`
/// true) and the overlays drop its mark. `409 milestone_reached` once reached;
/// `404 milestone_not_found` for another live's, a challenge, or one removed.
async fn remove_live_milestone(
    State(app): State<AppState>,
    Path((live_id, milestone_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let campaign_id = campaign_of(&app, &live_id)?;
    let remove = Command::RemoveMilestone { by, campaign_id, live_id: Some(live_id), milestone_id };
    Ok(outcome_response(app.ledger.submit(remove).await?, StatusCode::OK))
}

/// `DELETE /api/v1/campaigns/{id}/milestones/{milestone_id}` (admin): the same
/// for any milestone of the campaign.
async fn remove_milestone(
    State(app): State<AppState>,
    Path((campaign_id, milestone_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    if !app.views.has_campaign(&campaign_id) {
        return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
    }
    let remove = Command::RemoveMilestone { by: Principal::Admin, campaign_id, live_id: None, milestone_id };
    Ok(outcome_response(app.ledger.submit(remove).await?, StatusCode::OK))
}

/// The answer to a new milestone or challenge: it, as the campaign now has it.
fn created_milestone(app: &AppState, campaign_id: &str, id: &str) -> Result<Response, ApiError> {
    milestone_answer(app, campaign_id, id, StatusCode::CREATED)
}

/// A milestone (or challenge) as the answers give it, after its commit.
fn milestone_answer(app: &AppState, campaign_id: &str, id: &str, status: StatusCode) -> Result<Response, ApiError> {
    let body = app
        .views
        .campaign(campaign_id)
        .and_then(|c| c.milestones.iter().find(|m| m.milestone.id == id).map(crate::views::milestone_json))
        .ok_or_else(|| ApiError::internal("milestone missing after commit"))?;
    Ok((status, axum::Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChallenge {
    label: String,
    amount: Value,
    minutes: u32,
}

/// `POST /api/v1/lives/{id}/challenges {label, amount, minutes}` (admin, the
/// live's key or its host key): a challenge set on air, "50 € more in 15
/// minutes and I sing": a milestone of the live at its total now plus `amount`,
/// which fires `milestone_reached` if reached before `ends_at` and never after.
async fn create_challenge(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewChallenge>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let campaign_id = campaign_of(&app, &live_id)?;
    minutes("minutes", b.minutes)?;
    // The writer sets its campaign, its total to reach and its deadline.
    let milestone = milestone_asked(secret::new_id(), "", Some(live_id), &b.amount, &b.label)?;
    let id = milestone.id.clone();
    app.ledger.submit(Command::CreateChallenge { by, milestone, minutes: b.minutes }).await?;
    created_milestone(&app, &campaign_id, &id)
}

/// `DELETE /api/v1/lives/{id}/challenges/{challenge_id}` (admin, the live's key
/// or its host key): calls a challenge off before its time (set by mistake, or
/// the host changed plans); the overlays take it off at once (a
/// `challenge_ended` frame) and it is never reached. One met, called off or
/// whose time is up answers `409 challenge_over`.
async fn cancel_challenge(
    State(app): State<AppState>,
    Path((live_id, challenge_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let cancel = Command::CancelChallenge { by, live_id, milestone_id: challenge_id, at: Timestamp::default() };
    Ok(outcome_response(app.ledger.submit(cancel).await?, StatusCode::OK))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditChallenge {
    label: Option<String>,
    amount: Option<Value>,
    minutes: Option<u32>,
}

/// `PATCH /api/v1/lives/{id}/challenges/{challenge_id} {label?, amount?,
/// minutes?}` (admin, the live's key or its host key): a challenge's terms
/// changed on air ("five more minutes!", "only 30 € now"): `amount` is what it
/// asks for on top of the live's total when it was set and `minutes` its length
/// from then, as when it was set (a length it has already run is `422
/// challenge_too_short`). Its live's streams get `challenge_updated`
/// (`{milestone}`); asking for what the live has gathered since meets it at
/// once. Answers the challenge as it is now; one over is `409 challenge_over`.
async fn edit_challenge(
    State(app): State<AppState>,
    Path((live_id, challenge_id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EditChallenge>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let campaign_id = campaign_of(&app, &live_id)?;
    let label = b.label.map(|l| text::required("label", &l, text::MESSAGE_MAX)).transpose()?;
    let amount = b.amount.map(|a| minor("amount", Some(&a)).map(Option::unwrap_or_default)).transpose()?;
    let minutes = b.minutes.map(|m| minutes("minutes", m)).transpose()?;
    let id = challenge_id.clone();
    let at = Timestamp::default();
    app.ledger.submit(Command::UpdateChallenge { by, live_id, milestone_id: id, label, amount, minutes, at }).await?;
    milestone_answer(&app, &campaign_id, &challenge_id, StatusCode::OK)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPoll {
    question: String,
    options: Vec<String>,
    minutes: Option<u32>,
}

/// The fewest and the most options a poll has.
const POLL_OPTIONS: std::ops::RangeInclusive<usize> = 2..=6;
/// The longest option label, in characters.
const POLL_OPTION_MAX: usize = 60;
/// The longest question, in characters.
const POLL_QUESTION_MAX: usize = 200;

/// `POST /api/v1/lives/{id}/polls {question, options, minutes?}` (admin, the
/// live's key or its host key): a poll put to the live's donors, "Which game
/// next?". Each option gets a tag (`Mario Kart` → `mariokart`); while the poll
/// is open, a donation whose message says `#mariokart` (or `#1`) counts for it,
/// by its amount. Open until closed, or for `minutes` when given; one open poll
/// per live (`409 poll_open`).
async fn start_poll(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewPoll>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    if !app.views.has_live(&live_id) {
        return Err(ApiError::not_found("live_not_found", "no live has this id"));
    }
    let question = text::required("question", &b.question, POLL_QUESTION_MAX)?;
    let invalid = |msg: &str| ApiError::invalid("invalid_options", msg).with("field", "options");
    if !POLL_OPTIONS.contains(&b.options.len()) {
        return Err(invalid("a poll has 2 to 6 options"));
    }
    let labels =
        b.options.iter().map(|o| text::required("options", o, POLL_OPTION_MAX)).collect::<Result<Vec<String>, _>>()?;
    let folded: Vec<String> = labels.iter().map(|l| crate::domain::moderation::normalize(l)).collect();
    if folded.iter().enumerate().any(|(i, f)| folded[..i].contains(f)) {
        return Err(invalid("two options have the same label"));
    }
    if let Some(m) = b.minutes {
        minutes("minutes", m)?;
    }
    let tags = crate::domain::Poll::tags(&labels);
    let options = labels.into_iter().zip(tags).map(|(label, tag)| crate::domain::PollOption { label, tag }).collect();
    let poll = crate::domain::Poll {
        id: secret::new_id(),
        live_id,
        question,
        options,
        created_at: Timestamp::default(),
        ends_at: None,
        closed_at: None,
    };
    let start = Command::StartPoll { by, poll, minutes: b.minutes };
    Ok(outcome_response(app.ledger.submit(start).await?, StatusCode::CREATED))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditPoll {
    question: Option<String>,
    minutes: Option<u32>,
}

/// `PATCH /api/v1/lives/{id}/polls/{poll_id} {question?, minutes?}` (admin, the
/// live's key or its host key): an open poll's question reworded, or its length
/// (`minutes` from its start, as when it was put; a deadline for one without)
/// changed on air, "five more minutes to vote!"; its options stay, and the
/// votes with them. Its live's streams get `poll_updated` (`{poll}`); a length
/// it has run already is `422 poll_too_short`, a poll closed `409 poll_over`;
/// the same terms write nothing. Answers the poll as it is now.
async fn edit_poll(
    State(app): State<AppState>,
    Path((live_id, poll_id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EditPoll>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let question = b.question.map(|q| text::required("question", &q, POLL_QUESTION_MAX)).transpose()?;
    let minutes = b.minutes.map(|m| minutes("minutes", m)).transpose()?;
    let (live, poll) = (live_id.clone(), poll_id.clone());
    app.ledger
        .submit(Command::UpdatePoll { by, live_id, poll_id, question, minutes, at: Timestamp::default() })
        .await?;
    let view = app.views.with_live(&live, |l| l.polls.iter().find(|p| p.poll.id == poll).map(crate::views::poll_json));
    let view = view.flatten();
    Ok(axum::Json(view.ok_or_else(|| ApiError::internal("poll missing after commit"))?).into_response())
}

/// `POST /api/v1/lives/{id}/polls/{poll_id}/close` (admin, the live's key or
/// its host key): closes a poll now; its results stay, and no vote counts after.
/// One already closed or past its time answers `409 poll_over`.
async fn close_poll(
    State(app): State<AppState>,
    Path((live_id, poll_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let close = Command::ClosePoll { by, live_id, poll_id, at: Timestamp::default() };
    Ok(outcome_response(app.ledger.submit(close).await?, StatusCode::OK))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReward {
    title: String,
    amount: Value,
    quantity: Option<u32>,
    /// The keyword that claims it (`portrait`, with or without `#`); from its
    /// title without it.
    tag: Option<String>,
}

/// The longest reward title, in characters.
const REWARD_TITLE_MAX: usize = 100;
/// The most of one reward a live gives.
const REWARD_QUANTITY_MAX: u32 = 10_000;

/// `POST /api/v1/lives/{id}/rewards {title, amount, quantity?, tag?}` (admin,
/// the live's key or its host key): something the host gives for a gift of at
/// least `amount` ("a portrait drawn on stream, from 30 €"), `quantity` times at
/// most when given. Its keyword is `tag` folded (letters and digits, `409
/// tag_taken` when another offered reward has it), else its title's; a donation
/// that names it in its message or its `reward` field, gives enough and finds
/// one left claims it. At most 20 offered at once per live (`409 too_many_rewards`).
async fn offer_reward(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewReward>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    if !app.views.has_live(&live_id) {
        return Err(ApiError::not_found("live_not_found", "no live has this id"));
    }
    let title = text::required("title", &b.title, REWARD_TITLE_MAX)?;
    let amount = minor("amount", Some(&b.amount))?.unwrap_or_default();
    let quantity = b.quantity.map(reward_quantity).transpose()?;
    let tag = match b.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => String::new(),
        Some(t) => reward_tag(t)?,
    };
    let reward = crate::domain::Reward {
        id: secret::new_id(),
        live_id,
        title,
        amount,
        quantity,
        tag,
        created_at: Timestamp::default(),
        closed_at: None,
    };
    Ok(outcome_response(app.ledger.submit(Command::OfferReward { by, reward }).await?, StatusCode::CREATED))
}

/// A reward's quantity as asked, checked: 1 to 10 000.
fn reward_quantity(q: u32) -> Result<u32, ApiError> {
    if !(1..=REWARD_QUANTITY_MAX).contains(&q) {
        return Err(ApiError::invalid(
            "invalid_field",
            format!("quantity must be between 1 and {REWARD_QUANTITY_MAX} (got {q}), or left out for no limit"),
        )
        .with("field", "quantity"));
    }
    Ok(q)
}

/// A reward's keyword as its host typed it (`#Dessin-Live`), folded (`dessinlive`).
fn reward_tag(asked: &str) -> Result<String, ApiError> {
    let tag = crate::domain::folded_tag(asked);
    if tag.is_empty() || tag.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "invalid_field",
            "tag must have letters (digits alone would read as a poll option's number)",
        )
        .with("field", "tag"));
    }
    Ok(tag)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditReward {
    title: Option<String>,
    amount: Option<Value>,
    /// `null` for no limit.
    #[serde(default)]
    quantity: Patch<u32>,
    tag: Option<String>,
}

/// `PATCH /api/v1/lives/{id}/rewards/{reward_id} {title?, amount?, quantity?,
/// tag?}` (admin, the live's key or its host key): new terms for the donations
/// to come ("five more portraits", a title mistyped); those that claimed it keep
/// it. `quantity` `null` for no limit, never below the claims that still count
/// (`422 quantity_below_claimed`); a `tag` another offered reward has is `409
/// tag_taken`. Answers the reward as it is now; the same terms write nothing.
async fn edit_reward(
    State(app): State<AppState>,
    Path((live_id, reward_id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EditReward>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let mut reward = app
        .views
        .with_live(&live_id, |l| l.reward(&reward_id).map(|r| r.reward.clone()))
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?
        .ok_or_else(|| ApiError::not_found("reward_not_found", "no reward of this live has this id"))?;
    if let Some(title) = b.title {
        reward.title = text::required("title", &title, REWARD_TITLE_MAX)?;
    }
    if let Some(amount) = b.amount {
        reward.amount = minor("amount", Some(&amount))?.unwrap_or_default();
    }
    reward.quantity = b.quantity.apply(reward.quantity, |q| reward_quantity(q).map(Some))?;
    if let Some(tag) = b.tag {
        reward.tag = reward_tag(&tag)?;
    }
    app.ledger.submit(Command::UpdateReward { by, reward }).await?;
    reward_answer(&app, &live_id, &reward_id)
}

/// `POST /api/v1/lives/{id}/rewards/{reward_id}/reopen` (admin, the live's key
/// or its host key): a reward no longer offered, offered again with its keyword
/// (`409 tag_taken` when another offered reward took it since, `409
/// too_many_rewards`, `409 reward_open` when it is offered).
async fn reopen_reward(
    State(app): State<AppState>,
    Path((live_id, reward_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let reopen = Command::ReopenReward { by, live_id: live_id.clone(), reward_id: reward_id.clone() };
    app.ledger.submit(reopen).await?;
    reward_answer(&app, &live_id, &reward_id)
}

/// A reward of a live as its answers give it.
fn reward_answer(app: &AppState, live_id: &str, reward_id: &str) -> Result<Response, ApiError> {
    let reward = app.views.with_live(live_id, |l| l.reward(reward_id).map(crate::views::reward_json));
    Ok(axum::Json(reward.flatten().ok_or_else(|| ApiError::internal("reward missing"))?).into_response())
}

/// `POST /api/v1/lives/{id}/rewards/{reward_id}/close` (admin, the live's key
/// or its host key): the reward is no longer offered; its claims stay. One
/// closed already answers `409 reward_closed`.
async fn close_reward(
    State(app): State<AppState>,
    Path((live_id, reward_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    Ok(outcome_response(app.ledger.submit(Command::CloseReward { by, live_id, reward_id }).await?, StatusCode::OK))
}

/// `GET /api/v1/lives/{id}/rewards` (admin, the live's key or its host key):
/// the live's rewards, each with its claims in the order they came (the
/// donation as viewers see it, and whether it was given): the host's list of
/// what to draw, write or send.
async fn live_rewards(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_host(&headers, Some(&live_id))?;
    let rewards = app
        .views
        .with_live(&live_id, crate::views::reward_claims_json)
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    Ok(axum::Json(json!({ "rewards": rewards })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Delivered {
    delivered: bool,
}

/// `PUT /api/v1/lives/{id}/rewards/claims/{donation_id} {delivered}` (admin,
/// the live's key or its host key): the donation's reward given (the portrait
/// drawn), or not yet after all. Answers the reward with its claims; the same
/// again writes nothing. `404 claim_not_found` for a donation of the live that
/// claimed nothing.
async fn deliver_reward(
    State(app): State<AppState>,
    Path((live_id, donation_id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<Delivered>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let deliver = Command::DeliverReward {
        by,
        live_id: live_id.clone(),
        donation_id: donation_id.clone(),
        delivered: b.delivered,
    };
    app.ledger.submit(deliver).await?;
    let reward = app.views.with_live(&live_id, |l| {
        crate::views::reward_claims_json(l).into_iter().find(|r| {
            r["claims"].as_array().is_some_and(|c| c.iter().any(|c| c["donation"]["id"] == donation_id.as_str()))
        })
    });
    Ok(axum::Json(reward.flatten().ok_or_else(|| ApiError::internal("claim missing"))?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDraw {
    prize: String,
    min_amount: Option<Value>,
    #[serde(default)]
    weighted: bool,
    minutes: Option<u32>,
    /// Among every live's donations of the campaign (the admin only).
    #[serde(default)]
    campaign: bool,
    /// How many winners, each a draw of its own (the answer is then `{draws}`).
    winners: Option<u32>,
}

/// The most winners one request draws.
const WINNERS_MAX: u32 = 10;

/// The longest prize, in characters.
const PRIZE_MAX: usize = 200;

/// `POST /api/v1/lives/{id}/draws {prize, min_amount?, weighted?, minutes?,
/// campaign?}` (admin, the live's key or its host key): a prize drawn now among
/// the live's donations, "an original drawing among the gifts of 10 € and
/// more"; with `campaign` (the admin only), among every live's donations of its
/// campaign, announced on this live. A donation enters when it still counts for
/// `min_amount` or more (any amount without it), was given in the last
/// `minutes` when set, and won none of the campaign's earlier draws; each has
/// one ticket, or with `weighted` one ticket per `min_amount` it counts for. The
/// operating system's generator picks the ticket; the log keeps the winner.
/// `409 no_entries` when none enters. With `winners` (1 to 10), as many draws of
/// the same prize one after the other, each winner left out of the next, and
/// the answer `{draws: [...]}` (fewer when fewer donations enter).
async fn draw_prize(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewDraw>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    if !app.views.has_live(&live_id) {
        return Err(ApiError::not_found("live_not_found", "no live has this id"));
    }
    let prize = text::required("prize", &b.prize, PRIZE_MAX)?;
    let min_amount = minor("min_amount", b.min_amount.as_ref())?;
    if b.weighted && min_amount.is_none() {
        return Err(ApiError::invalid(
            "invalid_field",
            "a weighted draw gives one ticket per min_amount: set min_amount",
        )
        .with("field", "min_amount"));
    }
    if let Some(m) = b.minutes {
        minutes("minutes", m)?;
    }
    if b.winners.is_some_and(|n| !(1..=WINNERS_MAX).contains(&n)) {
        return Err(ApiError::invalid("invalid_field", format!("winners must be between 1 and {WINNERS_MAX}"))
            .with("field", "winners"));
    }
    let draw =
        crate::domain::Draw::asked(secret::new_id(), live_id, prize, min_amount.unwrap_or(1), b.weighted, b.campaign);
    // The further winners' draws, decided in the same command: one commit,
    // no other draw between them.
    let more = (1..b.winners.unwrap_or(1)).map(|_| (secret::new_id(), secret::random_u64())).collect();
    let drawn = app
        .ledger
        .submit(Command::DrawPrize { by, draw, minutes: b.minutes, seed: secret::random_u64(), more })
        .await?;
    if b.winners.is_none() {
        return Ok(outcome_response(drawn, StatusCode::CREATED));
    }
    let draws = match drawn {
        crate::ledger::Outcome::Appended { body, .. } => body.unwrap_or_default(),
        crate::ledger::Outcome::Unchanged { body } => body,
    };
    Ok(json_response(StatusCode::CREATED, format!("{{\"draws\":[{draws}]}}")))
}

/// A number of minutes from 1 to a day (a live's length, a challenge's or a poll's time).
fn minutes(field: &'static str, m: u32) -> Result<u32, ApiError> {
    if (1..=crate::domain::state::LIVE_MINUTES_MAX).contains(&m) {
        return Ok(m);
    }
    Err(ApiError::invalid("invalid_field", format!("{field} must be between 1 and 1440")).with("field", field))
}

/// A field of a PATCH body: absent keeps the value, `null` clears it.
#[derive(Debug, Default)]
enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Patch::Set(v),
            None => Patch::Clear,
        })
    }
}

impl<T> Patch<T> {
    /// The new value of an optional field, parsed with `parse`.
    fn apply<U>(
        self,
        old: Option<U>,
        parse: impl FnOnce(T) -> Result<Option<U>, ApiError>,
    ) -> Result<Option<U>, ApiError> {
        match self {
            Patch::Keep => Ok(old),
            Patch::Clear => Ok(None),
            Patch::Set(v) => parse(v),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditCampaign {
    name: Option<String>,
    #[serde(default)]
    goal: Patch<Value>,
    #[serde(default)]
    charity: Patch<String>,
    #[serde(default)]
    starts_at: Patch<String>,
    #[serde(default)]
    ends_at: Patch<String>,
    #[serde(default)]
    donate_url: Patch<String>,
    /// An image of the campaign's media library, for its pages and their previews.
    #[serde(default)]
    cover: Patch<String>,
}

/// `PATCH /api/v1/campaigns/{id}`: edits what organisers may change after the
/// start (not the currency, which every amount depends on).
async fn edit_campaign(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EditCampaign>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let mut c = app
        .views
        .campaign(&id)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?
        .campaign;
    if let Some(name) = b.name {
        c.name = text::required("name", &name, text::NAME_MAX)?;
    }
    c.goal = b.goal.apply(c.goal, |v| minor("goal", Some(&v)))?;
    c.charity = b.charity.apply(c.charity, |v| Ok(text::optional("charity", Some(&v), text::NAME_MAX)?))?;
    c.starts_at = b.starts_at.apply(c.starts_at, |v| time("starts_at", Some(&v)))?;
    c.ends_at = b.ends_at.apply(c.ends_at, |v| time("ends_at", Some(&v)))?;
    window(c.starts_at, c.ends_at)?;
    c.donate_url = b.donate_url.apply(c.donate_url, |v| Ok(text::url("donate_url", Some(&v))?))?;
    c.cover = match b.cover {
        Patch::Keep => c.cover,
        Patch::Clear => None,
        Patch::Set(image) => library_image(&app, &id, Some(image), ("cover", "invalid_cover")).await?,
    };
    app.ledger.submit(Command::UpdateCampaign(c)).await?;
    let body = app.views.campaign_json(&id, app.now()).ok_or_else(|| ApiError::internal("campaign missing"))?;
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameHost {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditLive {
    host: Option<String>,
    #[serde(default)]
    title: Patch<String>,
    #[serde(default)]
    platform: Patch<String>,
    #[serde(default)]
    scheduled_at: Patch<String>,
    #[serde(default)]
    duration_minutes: Patch<u32>,
    #[serde(default)]
    goal: Patch<Value>,
    #[serde(default)]
    donate_url: Patch<String>,
    #[serde(default)]
    stream_url: Patch<String>,
    /// Called off (`true`), or on again (`false`).
    cancelled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGoal {
    /// Minor units, or `null` for none (the campaign's goal then).
    goal: Value,
}

/// `PUT /api/v1/lives/{id}/goal {goal}` (the admin, the live's key or its host
/// key): a new goal on air, "on passe à 1 000 € !". The live's stream gets
/// `live_updated`, so the overlays' goal bars and the public page follow at once.
async fn set_goal(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewGoal>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&id))?;
    let goal = minor("goal", Some(&b.goal))?;
    app.ledger.submit(Command::SetLiveGoal { by, live_id: id.clone(), goal }).await?;
    live_now(&app, &id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStream {
    /// An http(s) URL, or `null` to take it off.
    stream_url: Option<String>,
}

/// `PUT /api/v1/lives/{id}/stream {stream_url}` (the admin, the live's key or
/// its host key): where the live is watched, its host's channel, which the
/// public pages, the calendars, the chat bot and the chat channels give; the
/// live as it is then. The same link again writes nothing.
async fn set_stream(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewStream>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&id))?;
    let stream_url = text::url("stream_url", b.stream_url.as_deref())?;
    app.ledger.submit(Command::SetStreamUrl { by, live_id: id.clone(), stream_url }).await?;
    live_now(&app, &id)
}

/// A live's document as it is now: the answer of what changes a live.
fn live_now(app: &AppState, id: &str) -> Result<Response, ApiError> {
    let body = app.views.live_json(id, app.now()).ok_or_else(|| ApiError::internal("live missing"))?;
    Ok(axum::Json(body).into_response())
}

/// `POST /api/v1/lives/{id}/start` (the admin, the live's key or its host
/// key): the live starts now, whatever its schedule said (a host on air early
/// or late), for its planned length; its start is announced as a scheduled one
/// is (`live_started`). `409 live_on_air` while it is on, `409 live_cancelled`
/// once called off. The live as it is then.
async fn start_live(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&id))?;
    app.ledger.submit(Command::StartLive { by, live_id: id.clone(), at: Timestamp::default() }).await?;
    live_now(&app, &id)
}

/// `POST /api/v1/lives/{id}/end` (the admin, the live's key or its host key):
/// the live on air ends now, sooner or later than planned (`409 live_not_on_air`
/// otherwise). The live as it is then.
async fn end_live(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&id))?;
    app.ledger.submit(Command::EndLive { by, live_id: id.clone(), at: Timestamp::default() }).await?;
    live_now(&app, &id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Extend {
    minutes: u32,
}

/// `POST /api/v1/lives/{id}/extend {minutes}` (the admin, the live's key or its
/// host key): the live on air goes on `minutes` (1 to 1440) longer than its
/// end said, a day at most in all (`422 live_too_long`; `409 live_not_on_air`
/// otherwise). The live as it is then.
async fn extend_live(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<Extend>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&id))?;
    let minutes = minutes("minutes", b.minutes)?;
    app.ledger.submit(Command::ExtendLive { by, live_id: id.clone(), minutes, at: Timestamp::default() }).await?;
    live_now(&app, &id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsPaused {
    paused: bool,
}

/// `PUT /api/v1/lives/{id}/alerts {paused}` (the admin, the live's key or its
/// host key): its overlays start no new alert until `paused` is `false` again;
/// the live as it is then (`alerts_paused`).
async fn pause_alerts(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<AlertsPaused>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&id))?;
    app.ledger.submit(Command::PauseAlerts { by, live_id: id.clone(), paused: b.paused }).await?;
    live_now(&app, &id)
}

/// `POST /api/v1/lives/{id}/alerts/skip` (the admin, the live's key or its host
/// key): the alert on its overlays leaves the screen now (`alert_skipped`).
async fn skip_alert(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&id))?;
    let seq = match app.ledger.submit(Command::SkipAlert { by, live_id: id }).await? {
        crate::ledger::Outcome::Appended { seq, .. } => seq,
        crate::ledger::Outcome::Unchanged { .. } => return Err(ApiError::internal("a skip wrote nothing")),
    };
    Ok(axum::Json(json!({ "seq": seq })).into_response())
}

/// `POST /api/v1/campaigns/{id}/hosts/rename {from, to}` (admin): every live of
/// the host `from` in the campaign, whatever case or spaces it was typed with,
/// gets `to` as its host, in one commit (each live's streams get its
/// `live_updated`). A name another host of the campaign has joins them. Answers
/// the new name and the lives renamed (none when each already has it).
async fn rename_host(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<RenameHost>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let from = text::required("from", &b.from, text::NAME_MAX)?;
    let to = text::required("to", &b.to, text::NAME_MAX)?;
    let key = crate::domain::host_key(&from);
    // In creation order, as the writer renames them.
    let lives = app.views.with_campaign(&campaign_id, |c| c.lives.clone()).unwrap_or_default();
    let renamed: Vec<String> = lives
        .into_iter()
        .filter(|id| {
            app.views.with_live(id, |l| crate::domain::host_key(&l.live.host) == key && l.live.host != to) == Some(true)
        })
        .collect();
    app.ledger.submit(Command::RenameHost { campaign_id, from, to: to.clone() }).await?;
    Ok(axum::Json(json!({ "host": to, "renamed": renamed })).into_response())
}

/// `PATCH /api/v1/lives/{id}`: the host, title and schedule of a live (admin).
async fn edit_live(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EditLive>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let mut l = app
        .views
        .with_live(&id, |l| l.live.clone())
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    if let Some(host) = b.host {
        l.host = text::required("host", &host, text::NAME_MAX)?;
    }
    l.title = b.title.apply(l.title, |v| Ok(text::optional("title", Some(&v), text::NAME_MAX)?))?;
    l.platform = b.platform.apply(l.platform, |v| Ok(text::platform(Some(&v))?))?;
    let schedule = (l.scheduled_at, l.duration_minutes);
    l.scheduled_at = b.scheduled_at.apply(l.scheduled_at, |v| time("scheduled_at", Some(&v)))?;
    l.duration_minutes = b.duration_minutes.apply(l.duration_minutes, |m| Ok(Some(minutes("duration_minutes", m)?)))?;
    if (l.scheduled_at, l.duration_minutes) != schedule {
        // A new schedule rules from now on, not the end its host gave.
        l.ended_at = None;
    }
    l.goal = b.goal.apply(l.goal, |v| minor("goal", Some(&v)))?;
    l.donate_url = b.donate_url.apply(l.donate_url, |v| Ok(text::url("donate_url", Some(&v))?))?;
    l.stream_url = b.stream_url.apply(l.stream_url, |v| Ok(text::url("stream_url", Some(&v))?))?;
    l.cancelled = b.cancelled.unwrap_or(l.cancelled);
    app.ledger.submit(Command::UpdateLive(l)).await?;
    live_now(&app, &id)
}
