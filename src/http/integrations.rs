//! Webhooks at the edge: integrations of a live (`POST/GET
//! /api/v1/lives/{id}/integrations`), the receiver the providers post to
//! (`POST /hooks/{integration_id}`), and outgoing subscribers (`POST/GET
//! /api/v1/webhooks`). Verifying and reading providers' payloads is
//! [`crate::webhooks`]; this module answers, and only after the ledger commit.

use super::JsonBody;
use super::api::{base_url, id_or_new};
use super::{Path, Query};
use crate::app::AppState;
use crate::domain::state::{Command, Principal, Refusal};
use crate::domain::{HookFormat, Integration, Provider, Subscriber, Timestamp};
use crate::error::ApiError;
use crate::ledger::{LedgerError, Outcome};
use crate::webhooks::{self, Parsed, WebhookError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lives/{id}/integrations", post(create_integration).get(list_integrations))
        .route("/api/v1/campaigns/{id}/integrations", post(create_campaign_integration).get(list_campaign_integrations))
        .route("/hooks/{id}", post(receive))
        .route("/api/v1/webhooks", post(create_subscriber).get(list_subscribers))
        .route("/api/v1/integrations/{id}", patch(replace_integration_secret).delete(remove_integration))
        .route("/api/v1/webhooks/{id}", patch(edit_subscriber).delete(remove_subscriber))
        .route("/api/v1/webhooks/{id}/test", post(test_subscriber))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSecret {
    secret: String,
}

/// `PATCH /api/v1/integrations/{id}` `{secret}` (admin or the live's key): the
/// provider's new signing secret. The old one stops working at once (Stripe signs
/// with both while it rotates a secret, so deliveries keep verifying).
async fn replace_integration_secret(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewSecret>,
) -> Result<Response, ApiError> {
    let by = app.require_writer(&headers, None)?;
    let secret = shared_secret(&b.secret)?;
    app.ledger.submit(Command::ReplaceIntegrationSecret { by, integration_id: id.clone(), secret }).await?;
    let i = after_commit(&app.views.integrations, &id)?;
    Ok(axum::Json(integration_json(&app, &i, &base_url(&app, &headers))).into_response())
}

/// `DELETE /api/v1/integrations/{id}` (admin or the live's key): its URL answers 404 from now on.
async fn remove_integration(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let by = app.require_writer(&headers, None)?;
    app.ledger.submit(Command::RemoveIntegration { by, integration_id: id }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditSubscriber {
    url: Option<String>,
    secret: Option<String>,
    lang: Option<String>,
}

/// `PATCH /api/v1/webhooks/{id}` `{url?, secret?, lang?}` (admin): the next deliveries use them.
async fn edit_subscriber(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EditSubscriber>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let mut sub = subscriber(&app, &id)?;
    if let Some(url) = b.url {
        sub.url = subscriber_url(&url)?;
    }
    if let Some(secret) = b.secret {
        sub.secret = shared_secret(&secret)?;
    }
    if let Some(lang) = b.lang {
        sub.english = chat_english(&lang)?;
    }
    app.ledger.submit(Command::UpdateSubscriber(sub)).await?;
    let statuses = webhooks::outbox::statuses(&app.config.data_dir).await.map_err(ApiError::internal)?;
    let s = after_commit(&app.views.subscribers, &id)?;
    Ok(axum::Json(subscriber_json(&s, statuses.iter().find(|st| st.subscriber_id == id))).into_response())
}

/// The webhook subscriber `id`, as it is now.
fn subscriber(app: &AppState, id: &str) -> Result<Subscriber, ApiError> {
    app.views
        .subscribers
        .get(id)
        .map(|e| e.value().clone())
        .ok_or_else(|| ApiError::not_found("subscriber_not_found", "no webhook subscriber has this id"))
}

/// `POST /api/v1/webhooks/{id}/test` (admin): one delivery now, outside the
/// log (a signed `ping` event, or for a chat "🧪 Ce salon est relié à
/// Cagnotte…"), so that organisers see a receiver works before the live:
/// `{delivered, status, error}`, with the receiver's HTTP status or why there
/// was none. The outbox's own state is left as it was.
async fn test_subscriber(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let sub = subscriber(&app, &id)?;
    let campaign = sub.campaign_id.as_deref().and_then(|c| app.views.with_campaign(c, |c| c.campaign.name.clone()));
    let answer = match webhooks::outbox::ping(&app.webhook_client, &sub, campaign.as_deref(), app.now()).await {
        Ok(code) => json!({"delivered": (200..300).contains(&code), "status": code, "error": null}),
        Err(err) => json!({"delivered": false, "status": null, "error": err}),
    };
    Ok(axum::Json(answer).into_response())
}

/// `DELETE /api/v1/webhooks/{id}` (admin): nothing more is sent to it, pending deliveries included.
async fn remove_subscriber(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    app.ledger.submit(Command::RemoveSubscriber { subscriber_id: id }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What the read model holds for `id` once the ledger has committed it.
fn after_commit<T: Clone>(map: &dashmap::DashMap<String, T>, id: &str) -> Result<T, ApiError> {
    map.get(id).map(|e| e.value().clone()).ok_or_else(|| ApiError::internal(format!("{id} missing after commit")))
}

/// A shared secret: 16 to 512 visible ASCII characters.
fn shared_secret(v: &str) -> Result<String, ApiError> {
    if !(16..=512).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            "invalid_secret",
            "secret must be 16 to 512 visible ASCII characters (the provider's signing secret or token)",
        ));
    }
    Ok(v.to_owned())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIntegration {
    id: Option<String>,
    provider: String,
    secret: String,
}

/// What each integration's URL received since the server started, so that
/// the organisers see whether their provider reaches it and what came of it
/// (a secret pasted wrong shows as refused signatures).
#[derive(Default)]
pub struct Receipts(dashmap::DashMap<String, Receipt>);

#[derive(Clone, Default)]
pub struct Receipt {
    accepted: u64,
    refused: u64,
    last: Option<(Timestamp, &'static str, Option<String>)>,
}

/// The `status` of an answer to a provider, carried by the response for [`Receipts`].
#[derive(Clone, Copy)]
struct Answered(&'static str);

impl Receipts {
    fn record(&self, id: &str, at: Timestamp, result: &Result<Response, ApiError>) {
        let mut r = self.0.entry(id.to_owned()).or_default();
        match result {
            Ok(res) => {
                r.accepted += 1;
                let status = res.extensions().get::<Answered>().map_or("accepted", |a| a.0);
                r.last = Some((at, status, None));
            }
            Err(e) => {
                r.refused += 1;
                r.last = Some((at, e.code, Some(e.message.clone())));
            }
        }
    }

    /// Deliveries accepted and refused by integration id, for `/metrics`.
    pub fn counts(&self) -> Vec<(String, u64, u64)> {
        self.0.iter().map(|e| (e.key().clone(), e.accepted, e.refused)).collect()
    }

    fn json(&self, id: &str) -> Value {
        let r = self.0.get(id).map(|e| e.value().clone()).unwrap_or_default();
        let (at, status, error) = r.last.map_or((None, None, None), |(at, s, e)| (Some(at), Some(s), e));
        json!({"accepted": r.accepted, "refused": r.refused, "last_at": at, "last_status": status, "last_error": error})
    }
}

fn integration_json(app: &AppState, i: &Integration, base: &str) -> Value {
    json!({
        "id": i.id,
        "live_id": i.live_id,
        "campaign_id": i.campaign_id,
        "provider": i.provider.as_str(),
        "url": format!("{base}/hooks/{}", i.id),
        "created_at": i.created_at,
        "deliveries": app.receipts.json(&i.id),
    })
}

async fn create_integration(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewIntegration>,
) -> Result<Response, ApiError> {
    let by = app.require_live_writer(&headers, &live_id)?;
    add_integration(&app, &headers, by, b, Some(live_id), None).await
}

/// `POST /api/v1/campaigns/{id}/integrations` (admin): one URL for the whole
/// campaign; each donation goes to the campaign's live on air (see [`live_for`]).
async fn create_campaign_integration(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewIntegration>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    if !app.views.has_campaign(&campaign_id) {
        return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
    }
    add_integration(&app, &headers, Principal::Admin, b, None, Some(campaign_id)).await
}

async fn list_campaign_integrations(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    if !app.views.has_campaign(&campaign_id) {
        return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
    }
    Ok(integration_list(&app, &headers, |i| i.campaign_id.as_deref() == Some(&campaign_id)))
}

async fn add_integration(
    app: &AppState,
    headers: &HeaderMap,
    by: Principal,
    b: NewIntegration,
    live_id: Option<String>,
    campaign_id: Option<String>,
) -> Result<Response, ApiError> {
    let provider = Provider::parse(&b.provider)
        .ok_or_else(|| ApiError::invalid("invalid_provider", format!("provider must be one of {}", Provider::NAMES)))?;
    let secret = shared_secret(&b.secret)?;
    if provider == Provider::Twitch && secret.len() > webhooks::twitch::SECRET_MAX {
        return Err(ApiError::invalid(
            "invalid_secret",
            "a Twitch EventSub secret is 16 to 100 visible ASCII characters (Twitch refuses longer ones)",
        ));
    }
    let integration = Integration {
        id: id_or_new(b.id.as_deref())?,
        live_id,
        campaign_id,
        provider,
        secret,
        created_at: Timestamp::default(),
    };
    let id = integration.id.clone();
    app.ledger.submit(Command::CreateIntegration { by, integration }).await?;
    let i = after_commit(&app.views.integrations, &id)?;
    Ok((StatusCode::CREATED, axum::Json(integration_json(app, &i, &base_url(app, headers)))).into_response())
}

async fn list_integrations(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_live_writer(&headers, &live_id)?;
    Ok(integration_list(&app, &headers, |i| i.live_id.as_deref() == Some(&live_id)))
}

fn integration_list(app: &AppState, headers: &HeaderMap, keep: impl Fn(&Integration) -> bool) -> Response {
    let mut list: Vec<Integration> =
        app.views.integrations.iter().filter(|e| keep(e.value())).map(|e| e.value().clone()).collect();
    list.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let base = base_url(app, headers);
    let items: Vec<Value> = list.iter().map(|i| integration_json(app, i, &base)).collect();
    axum::Json(json!({ "integrations": items })).into_response()
}

/// The live a campaign-wide integration's donation goes to, at `now`, among
/// the campaign's lives `keep` takes: the live on
/// air per the schedule (the latest started if several), else the one that
/// started last, else the next one scheduled, else the newest unscheduled one;
/// a live called off only when there is no other.
pub(super) fn live_for(
    app: &AppState,
    campaign_id: &str,
    now: Timestamp,
    keep: impl Fn(&crate::domain::Live) -> bool,
) -> Option<String> {
    let ids = app.views.with_campaign(campaign_id, |c| c.lives.clone())?;
    let all: Vec<_> =
        ids.iter().filter_map(|id| app.views.with_live(id, |l| l.live.clone())).filter(|l| keep(l)).collect();
    let on: Vec<_> = all.iter().filter(|l| !l.cancelled).cloned().collect();
    let lives = if on.is_empty() { all } else { on };
    let started = |status: &str| {
        lives
            .iter()
            .filter(|l| crate::views::live_status(l, now) == status)
            .max_by_key(|l| l.scheduled_at)
            .map(|l| l.id.clone())
    };
    started("current")
        .or_else(|| started("past"))
        .or_else(|| {
            lives
                .iter()
                .filter(|l| l.scheduled_at.is_some_and(|s| s > now))
                .min_by_key(|l| l.scheduled_at)
                .map(|l| l.id.clone())
        })
        // `lives` is in creation order.
        .or_else(|| lives.iter().rev().find(|l| l.scheduled_at.is_none()).map(|l| l.id.clone()))
}

fn answer(status: &'static str, event_id: &str, donation_id: Option<&str>, reason: Option<&str>) -> Response {
    let mut body = json!({ "status": status, "event_id": event_id });
    if let Some(d) = donation_id {
        body["donation_id"] = json!(d);
    }
    if let Some(r) = reason {
        body["reason"] = json!(r);
    }
    (StatusCode::OK, axum::Extension(Answered(status)), axum::Json(body)).into_response()
}

/// `POST /hooks/{integration_id}`: verify, read, submit, and answer `2xx` only
/// once the ledger has committed (or already had) what the event asks for;
/// what came of it is kept for the dashboard ([`Receipts`]).
async fn receive(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let integration = app
        .views
        .integrations
        .get(&id)
        .map(|e| e.value().clone())
        .ok_or_else(|| ApiError::not_found("integration_not_found", "no integration has this id"))?;
    let result = handle(&app, integration, headers, q, body).await;
    app.receipts.record(&id, app.now(), &result);
    result
}

async fn handle(
    app: &AppState,
    integration: Integration,
    headers: HeaderMap,
    q: HashMap<String, String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = &integration.id;
    // The body limit applies here, before any HMAC is computed.
    let body = body.map_err(super::body_rejection)?;
    let parsed = webhooks::verify_and_parse(&integration, &headers, &q, &body, app.now(), app.config.max_amount)
        .map_err(|e| match e {
            WebhookError::Signature(m) => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", m),
            WebhookError::Payload(m) => ApiError::invalid("invalid_payload", m),
            WebhookError::AmountTooLarge(m) => ApiError::invalid("amount_too_large", m),
        })?;
    let provider = integration.provider;
    // The integration acts for its own live (or campaign) only: the ledger refuses anything else.
    let by = match (&integration.live_id, &integration.campaign_id) {
        (Some(l), _) => Principal::LiveKey(l.clone()),
        (None, Some(c)) => Principal::Campaign(c.clone()),
        (None, None) => return Err(ApiError::internal("an integration without a live or a campaign")),
    };
    match parsed {
        Parsed::Challenge(text) => {
            tracing::info!(integration = %id, "answered the challenge of a new subscription");
            let plain = [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")];
            Ok((StatusCode::OK, axum::Extension(Answered("challenge")), plain, text).into_response())
        }
        Parsed::Ignored { event_id, reason } => Ok(answer("ignored", &event_id, None, Some(&reason))),
        Parsed::Revoked { event_id, reason } => {
            tracing::warn!(integration = %id, "{reason}");
            Ok(answer("revoked", &event_id, None, Some(&reason)))
        }
        Parsed::Donation(d) => {
            let live_id = match (&integration.live_id, &integration.campaign_id) {
                (Some(l), _) => l.clone(),
                // A live named by the payment, if it is one of this campaign's; else the
                // schedule's among those streamed on the payment's channel; else the schedule's.
                (None, Some(c)) => d
                    .live_id
                    .clone()
                    .filter(|l| app.views.with_live(l, |l| &l.live.campaign_id == c).unwrap_or(false))
                    .or_else(|| {
                        let channel = d.channel.as_deref()?;
                        live_for(app, c, app.now(), |l| {
                            l.stream_url.as_deref().is_some_and(|u| webhooks::twitch::is_channel(u, channel))
                        })
                    })
                    .or_else(|| live_for(app, c, app.now(), |_| true))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "no_live",
                            "this campaign has no live yet to receive the donation; create one",
                        )
                    })?,
                (None, None) => return Err(ApiError::internal("an integration without a live or a campaign")),
            };
            // A vote the poll cannot take is left out: the payment counts all the same.
            let vote = super::api::asked_vote(app, &live_id, d.vote.as_deref()).unwrap_or(None);
            let reward = super::api::asked_reward(app, &live_id, d.reward.as_deref()).unwrap_or(None);
            let (mut donation, idempotency) = d.donation(provider, live_id);
            let donation_id = donation.id.to_string();
            donation.vote = vote;
            let cmd = Command::Donate { by, donation, idempotency: Some(idempotency), reward };
            match app.ledger.submit(cmd).await {
                Ok(Outcome::Appended { .. }) => Ok(answer("counted", &d.event_id, Some(&donation_id), None)),
                Ok(Outcome::Unchanged { .. }) => Ok(answer("already_counted", &d.event_id, Some(&donation_id), None)),
                // Another event of the same payment (Checkout's session and intent), or the
                // same payment already counted through another integration: counted once.
                Err(LedgerError::Refused(Refusal::IdempotencyConflict | Refusal::IdTaken("donation"))) => {
                    Ok(answer("already_counted", &d.event_id, Some(&donation_id), None))
                }
                Err(e) => Err(e.into()),
            }
        }
        Parsed::Refund { payment_id, event_id, so_far } => {
            let donation_id = webhooks::donation_id(provider, &payment_id);
            match app.ledger.submit(Command::Refund { by, donation_id: donation_id.clone(), so_far }).await {
                Ok(Outcome::Appended { .. }) => Ok(answer("refunded", &event_id, Some(&donation_id), None)),
                Ok(Outcome::Unchanged { .. }) => Ok(answer("already_refunded", &event_id, Some(&donation_id), None)),
                Err(LedgerError::Refused(Refusal::DonationNotFound)) => Err(ApiError::not_found(
                    "donation_not_found",
                    "no donation of this payment is counted yet; the provider's retry will refund it once it is",
                )),
                Err(LedgerError::Refused(Refusal::Forbidden)) => Ok(answer(
                    "ignored",
                    &event_id,
                    None,
                    Some("this payment was counted on another live; its integration refunds it"),
                )),
                Err(e) => Err(e.into()),
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSubscriber {
    id: Option<String>,
    url: String,
    /// Required for signed events; a chat's webhook needs none.
    secret: Option<String>,
    campaign_id: Option<String>,
    /// `cagnotte` (signed JSON, the default), `discord` or `slack`.
    format: Option<String>,
    /// A chat's lines: `fr` (the default) or `en`.
    lang: Option<String>,
}

/// `fr` or `en`: whether a chat's lines are in English.
fn chat_english(lang: &str) -> Result<bool, ApiError> {
    match lang {
        "fr" => Ok(false),
        "en" => Ok(true),
        _ => Err(ApiError::invalid("invalid_lang", "lang must be fr or en").with("field", "lang")),
    }
}

/// An `http://host[:port]/path` URL the outbox can post to.
fn subscriber_url(v: &str) -> Result<String, ApiError> {
    let bad = |m: &str| ApiError::invalid("invalid_url", m.to_owned());
    if v.len() > 2000 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("url must be at most 2000 characters, without spaces"));
    }
    let uri: axum::http::Uri = v.parse().map_err(|_| bad("url must be an absolute http:// or https:// URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none_or(str::is_empty) {
        return Err(bad("url must be an absolute http:// or https:// URL"));
    }
    Ok(v.to_owned())
}

fn subscriber_json(s: &Subscriber, status: Option<&webhooks::outbox::Status>) -> Value {
    let status = status.map_or_else(|| webhooks::outbox::Status::default().to_json(), |s| s.to_json());
    json!({
        "id": s.id,
        "url": s.url,
        "campaign_id": s.campaign_id,
        "created_at": s.created_at,
        "format": s.format.as_str(),
        "lang": if s.english { "en" } else { "fr" },
        "events": if s.format.is_signed() {
            crate::webhooks::outbox::KINDS.map(|(_, name)| name).to_vec()
        } else {
            crate::webhooks::chat::KINDS.to_vec()
        },
        "status": status,
    })
}

async fn create_subscriber(
    State(app): State<AppState>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<NewSubscriber>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let format = match b.format.as_deref() {
        None => HookFormat::Cagnotte,
        Some(f) => HookFormat::parse(f).ok_or_else(|| {
            ApiError::invalid("invalid_format", "format must be cagnotte (signed JSON events), discord or slack")
                .with("field", "format")
        })?,
    };
    let secret = match (&b.secret, format) {
        (Some(s), _) => shared_secret(s)?,
        // A chat's incoming webhook checks no signature: its own URL is its secret.
        (None, HookFormat::Discord | HookFormat::Slack) => crate::secret::new_token("whsec_"),
        (None, HookFormat::Cagnotte) => {
            return Err(ApiError::invalid(
                "invalid_secret",
                "secret is required: 16 to 512 visible ASCII characters, to sign each event (a chat's format needs none)",
            ));
        }
    };
    let sub = Subscriber {
        id: id_or_new(b.id.as_deref())?,
        campaign_id: b.campaign_id,
        url: subscriber_url(&b.url)?,
        secret,
        created_at: Timestamp::default(),
        format,
        english: b.lang.as_deref().map(chat_english).transpose()?.unwrap_or(false),
    };
    let id = sub.id.clone();
    app.ledger.submit(Command::CreateSubscriber(sub)).await?;
    let s = after_commit(&app.views.subscribers, &id)?;
    Ok((StatusCode::CREATED, axum::Json(subscriber_json(&s, None))).into_response())
}

async fn list_subscribers(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let statuses = webhooks::outbox::statuses(&app.config.data_dir).await.map_err(ApiError::internal)?;
    let mut subs: Vec<Subscriber> = app.views.subscribers.iter().map(|e| e.value().clone()).collect();
    subs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let items: Vec<Value> =
        subs.iter().map(|s| subscriber_json(s, statuses.iter().find(|st| st.subscriber_id == s.id))).collect();
    Ok(axum::Json(json!({ "webhooks": items })).into_response())
}
