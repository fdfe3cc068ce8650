//! What the dashboard needs beyond the contract: sign-in sessions with CSRF
//! tokens, editing campaigns and lives, moderation (mode, word list, approve,
//! hide), test alerts, and the campaign's donations as JSON or CSV.

use super::JsonBody;
use super::api::outcome_response;
use super::auth::SESSION_COOKIE;
use super::{Path, Query};
use crate::app::AppState;
use crate::domain::moderation::{Mode, Moderation, normalize};
use crate::domain::state::{Command, Event, Fact};
use crate::domain::{Actor, ActorRole, Donation, SmolStr, Timestamp, text};
use crate::error::ApiError;
use crate::money::Amount;
use crate::secret;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use subtle::ConstantTimeEq;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(sign_in).get(session).delete(sign_out))
        .route("/api/v1/backups", get(crate::backups::status))
        .route("/api/v1/campaigns/{id}/donations", get(campaign_donations))
        .route("/api/v1/lives/{id}/donations", get(live_donations))
        .route("/api/v1/lives/{id}/connections", get(live_connections))
        .route("/api/v1/campaigns/{id}/connections", get(connections))
        .route("/api/v1/campaigns/{id}/donations.csv", get(campaign_csv))
        .route("/api/v1/campaigns/{id}/lives.csv", get(lives_csv))
        .route("/api/v1/campaigns/{id}/matches.csv", get(matches_csv))
        .route("/api/v1/campaigns/{id}/draws.csv", get(draws_csv))
        .route("/api/v1/campaigns/{id}/rewards.csv", get(rewards_csv))
        .route("/api/v1/campaigns/{id}/donors.csv", get(donors_csv))
        .route("/api/v1/campaigns/{id}/report", get(report))
        .route("/api/v1/campaigns/{id}/days", get(public_days))
        .route("/api/v1/lives/{id}/payments", post(super::reconcile::count_payment))
        .route(
            "/api/v1/campaigns/{id}/reconcile",
            post(super::reconcile::reconcile).layer(axum::extract::DefaultBodyLimit::max(super::reconcile::MAX_BYTES)),
        )
        .route("/api/v1/lives/{id}/moderation", get(get_moderation).put(put_moderation))
        .route("/api/v1/lives/{id}/test-alert", post(test_alert))
        .route("/api/v1/donations/{id}/approve", post(approve))
        .route("/api/v1/donations/{id}/hide", post(hide))
        .route("/api/v1/donations/{id}/show", post(show))
        .route("/api/v1/donations/{id}/replay", post(replay))
        .route("/api/v1/donations/{id}/erase", post(erase))
        .route("/api/v1/donors/erase", post(erase_donor))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

fn cookie(app: &AppState, headers: &HeaderMap, value: &str, max_age: u64) -> HeaderValue {
    let secure = super::api::https(app, headers);
    let c = format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&c).unwrap_or(HeaderValue::from_static("cagnotte_session=; Max-Age=0"))
}

/// `POST /api/v1/session {token}`: the admin token opens a session cookie; the
/// answer's `csrf_token` must come back in `X-CSRF-Token` on every write.
async fn sign_in(
    State(app): State<AppState>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    if !secret::matches(&b.token, &app.admin_hash) {
        return Err(ApiError::unauthorized("this is not the admin token"));
    }
    let id = secret::new_token("cs_");
    let csrf = secret::new_token("");
    let ttl = Duration::from_secs(app.config.session_ttl_secs.max(1));
    app.logins.insert(secret::hash(&id), csrf.clone(), ttl).await.map_err(|e| {
        tracing::error!(error = %e, "a session could not be stored");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "the session could not be stored; try again",
        )
    })?;
    let mut res = axum::Json(json!({ "csrf_token": csrf })).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie(&app, &headers, &id, ttl.as_secs()));
    Ok(res)
}

async fn session(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let (_, csrf) = app.session(&headers).ok_or_else(|| ApiError::unauthorized("not signed in"))?;
    Ok(axum::Json(json!({ "csrf_token": csrf })).into_response())
}

async fn sign_out(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some((hash, _)) = app.session(&headers)
        && let Err(e) = app.logins.remove(&hash).await
    {
        // Closed in memory already; on disk it still expires on time.
        tracing::error!(error = %e, "a closed session could not be removed from disk");
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie(&app, &headers, "", 0));
    res
}

/// A write that relies on the session cookie must carry the session's CSRF token:
/// another site can make a browser send the cookie, never read the token.
pub fn check_csrf(app: &AppState, req: &Request) -> Result<(), ApiError> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe
        && super::auth::bearer(req.headers()).is_none()
        && let Some((_, csrf)) = app.session(req.headers())
    {
        let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        if !bool::from(sent.as_bytes().ct_eq(csrf.as_bytes())) {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong X-CSRF-Token for this session"));
        }
    }
    Ok(())
}

/// A donation as the organisers see it: the public view plus the real text.
fn admin_donation(d: &Donation, host: &str, refunded_at: Option<Timestamp>, reference: Option<&str>) -> Value {
    serde_json::to_value(AdminDonation::of(d, host, refunded_at, reference)).unwrap_or(Value::Null)
}

/// [`admin_donation`] as written: a list of a campaign's every donation is
/// serialized straight from them, without a JSON tree of each.
#[derive(serde::Serialize)]
struct AdminDonation<'a> {
    #[serde(flatten)]
    view: crate::domain::DonationView<'a>,
    host: &'a str,
    donor_name: Option<&'a str>,
    anonymous: bool,
    message_text: Option<&'a str>,
    donor_hidden: bool,
    message_hidden: bool,
    refunded_at: Option<Timestamp>,
    reference: Option<&'a str>,
    /// Who last approved, hid or showed its text.
    #[serde(skip_serializing_if = "Option::is_none")]
    moderated_by: Option<&'a Actor>,
}

impl<'a> AdminDonation<'a> {
    fn of(d: &'a Donation, host: &'a str, refunded_at: Option<Timestamp>, reference: Option<&'a str>) -> Self {
        AdminDonation {
            moderated_by: None,
            view: d.view(),
            host,
            donor_name: d.donor.as_deref(),
            anonymous: d.anonymous,
            message_text: d.message.as_deref(),
            donor_hidden: d.donor_hidden,
            message_hidden: d.message_hidden,
            refunded_at,
            reference,
        }
    }
}

/// A campaign's `newest` newest donations (with a `live_id`, that live's; all of
/// them with `u64::MAX`) as they stand now, newest first, read from the part of
/// the log that holds them.
pub(crate) async fn donations_of(
    app: &AppState,
    campaign_id: &str,
    live_id: Option<&str>,
    newest: u64,
) -> Result<Vec<Logged>, ApiError> {
    with_donations(app, campaign_id, live_id, newest, Ok).await
}

/// [`donations_of`] handed to `then` on the same blocking thread: a campaign's
/// every donation is read, folded and made into its answer (a list, a CSV, a
/// report) away from the threads that serve the overlays, which an export of
/// a hundred thousand donations would otherwise hold for a second or more.
pub(crate) async fn with_donations<R: Send + 'static>(
    app: &AppState,
    campaign_id: &str,
    live_id: Option<&str>,
    newest: u64,
    then: impl FnOnce(Vec<Logged>) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    let app = app.clone();
    let cid = campaign_id.to_owned();
    let lid = live_id.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let events = app
            .readers
            .newest_donation_events(&cid, lid.as_deref(), newest)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        then(fold_donations(&events))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

/// A donation as the log has it now: when it was last refunded, and the
/// payment's reference its sender gave (a provider's payment id, or the
/// `Idempotency-Key` of a request to the API), for the charity's accounts.
pub struct Logged {
    pub donation: Donation,
    pub refunded_at: Option<Timestamp>,
    pub reference: Option<String>,
    /// Who last approved, hid or showed its text (not a delay that passed).
    pub moderated_by: Option<Actor>,
}

/// Folds a campaign's donation events into each donation's current state.
fn fold_donations(events: &[Event]) -> Vec<Logged> {
    let mut order = Vec::new();
    let mut by_id: HashMap<SmolStr, Logged> = HashMap::new();
    for e in events {
        match &e.fact {
            Fact::DonationReceived { donation, idempotency, .. } => {
                order.push(donation.id.clone());
                // An offline gift's key is the dashboard's import's, not a payment's.
                let reference = idempotency
                    .as_ref()
                    .filter(|_| donation.platform != "offline")
                    .map(|k| crate::webhooks::payment_reference(&donation.platform, &k.key));
                let logged = Logged { donation: donation.clone(), refunded_at: None, reference, moderated_by: None };
                by_id.insert(donation.id.clone(), logged);
            }
            Fact::DonationRefunded { donation_id, refunded_amount } => {
                if let Some(l) = by_id.get_mut(donation_id.as_str()) {
                    match refunded_amount {
                        Some(r) => l.donation.refund_part(*r),
                        None => l.donation.refund_whole(),
                    }
                    l.refunded_at = Some(e.at);
                }
            }
            Fact::TextReleased { donation_id, by }
            | Fact::TextHidden { donation_id, by, .. }
            | Fact::TextShown { donation_id, by, .. } => {
                if let Some(l) = by_id.get_mut(donation_id.as_str()) {
                    match &e.fact {
                        Fact::TextHidden { donor, message, .. } => l.donation.set_hidden(*donor, *message, true),
                        Fact::TextShown { donor, message, .. } => l.donation.set_hidden(*donor, *message, false),
                        _ => {}
                    }
                    // Releasing or hiding both settle a pending text.
                    if !matches!(e.fact, Fact::TextShown { .. }) {
                        l.donation.pending = false;
                    }
                    if by.is_some() {
                        l.moderated_by.clone_from(by);
                    }
                }
            }
            _ => {}
        }
    }
    order.iter().rev().filter_map(|id| by_id.remove(id)).collect()
}

fn hosts(app: &AppState, campaign_id: &str) -> HashMap<String, String> {
    let lives = app.views.with_campaign(campaign_id, |c| c.lives.clone()).unwrap_or_default();
    lives.into_iter().filter_map(|id| app.views.with_live(&id, |l| l.live.host.clone()).map(|h| (id, h))).collect()
}

/// `GET /api/v1/campaigns/{id}/connections` (admin): the sessions open now on
/// the campaign's stream and on each of its lives' (`overlays`: with a token, as
/// OBS browser sources; `viewers`: public pages), so a streamer sees that the
/// overlay in OBS is connected before going on air.
async fn connections(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let lives = app
        .views
        .with_campaign(&campaign_id, |c| c.lives.clone())
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let counts = |(overlays, viewers): (usize, usize)| json!({ "overlays": overlays, "viewers": viewers });
    let per_live: serde_json::Map<String, Value> =
        lives.iter().map(|id| (id.clone(), counts(app.hub.live_watchers(id)))).collect();
    Ok(axum::Json(json!({
        "campaign": counts(app.hub.campaign_watchers(&campaign_id)),
        "lives": per_live,
    }))
    .into_response())
}

/// `GET /api/v1/campaigns/{id}/donations[?limit=N][&q=text]`: newest first, all
/// of them or the newest `N`, with `count`, how many there are in all (the
/// dashboard shows a page of them: a campaign of thousands of donations would not
/// redraw quickly). With `q`, only the donations it finds (see [`Search`]), and
/// `count` is how many it found: an organiser looks up the donation a donor
/// writes about, however old it is.
async fn campaign_donations(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let currency = report_currency(&app, &headers, &campaign_id)?;
    let hosts = hosts(&app, &campaign_id);
    listed(&app, &campaign_id, None, currency, &q, hosts).await
}

/// Each day's donations that still count, on `style`'s clock, oldest first:
/// `[{date, donations, raised, matched, total}]`, whose sums are the
/// campaign's totals.
fn by_day(donations: &[Logged], style: &CsvStyle) -> Vec<Value> {
    days_of(&quarters(donations), style)
}

/// A quarter of an hour of donations: its start (UTC milliseconds), how many
/// still count, what they keep and what their sponsors gave.
pub type Quarter = (i64, u64, i64, i64);

/// The donations that still count, summed by quarter of an hour (UTC), oldest
/// first: every time zone's offset is a multiple of a quarter of an hour, so a
/// quarter falls whole on one day of any clock.
fn quarters(donations: &[Logged]) -> Vec<Quarter> {
    const QUARTER_MS: i64 = 15 * 60 * 1000;
    let mut sums: std::collections::BTreeMap<i64, (u64, i64, i64)> = Default::default();
    for d in donations.iter().map(|l| &l.donation).filter(|d| !d.refunded) {
        let q = sums.entry(d.at.millis().div_euclid(QUARTER_MS) * QUARTER_MS).or_default();
        *q = (q.0 + 1, q.1 + d.kept(), q.2 + d.matched);
    }
    sums.into_iter().map(|(at, (n, raised, matched))| (at, n, raised, matched)).collect()
}

/// The quarters summed by day on `style`'s clock.
fn days_of(quarters: &[Quarter], style: &CsvStyle) -> Vec<Value> {
    let mut days: std::collections::BTreeMap<String, (u64, i64, i64)> = Default::default();
    for &(at, n, raised, matched) in quarters {
        let day = days.entry(style.day(Timestamp::from_millis(at))).or_default();
        *day = (day.0 + n, day.1 + raised, day.2 + matched);
    }
    days.into_iter()
        .map(|(date, (count, raised, matched))| {
            json!({"date": date, "donations": count, "raised": raised, "matched": matched, "total": raised + matched})
        })
        .collect()
}

/// `GET /api/v1/campaigns/{id}/days[?tz=Europe/Paris]` (anyone): each day's
/// donations and totals of the campaign, as its public page draws them (the
/// report's `by_day`, which carries no name).
async fn public_days(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (seq, totals, currency) = app
        .views
        .with_campaign(&campaign_id, |c| (c.last_seq, c.totals, c.campaign.currency))
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let style = CsvStyle { excel: false, french: false, zone: time_zone(&q)? };
    let zone = style.zone.as_ref().map_or("UTC", |(_, name)| name.as_str()).to_owned();
    // The campaign's donations by quarter of an hour, shared by every viewer
    // whatever their clock (each one's days are summed from them).
    let quarters = app
        .public
        .days
        .get(&campaign_id, seq, async || {
            with_donations(&app, &campaign_id, None, u64::MAX, |donations| Ok(quarters(&donations))).await
        })
        .await?;
    Ok(axum::Json(json!({
        "campaign_id": campaign_id, "currency": currency, "time_zone": zone, "totals": totals,
        "by_day": days_of(&quarters, &style),
    }))
    .into_response())
}

/// The currency of a campaign whose figures the request may read (the admin or
/// its charity's key).
pub(crate) fn report_currency(
    app: &AppState,
    headers: &HeaderMap,
    campaign_id: &str,
) -> Result<crate::money::Currency, ApiError> {
    app.require_report_reader(headers, campaign_id)?;
    app.views
        .with_campaign(campaign_id, |c| c.campaign.currency)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))
}

/// The donations of a campaign, or of one of its lives, newest first with their
/// real text: the newest `limit` (all by default) and how many there are; with
/// `q`, those it finds (see [`Search`]) and how many it found.
async fn listed(
    app: &AppState,
    campaign_id: &str,
    live_id: Option<&str>,
    currency: crate::money::Currency,
    q: &HashMap<String, String>,
    hosts: HashMap<String, String>,
) -> Result<Response, ApiError> {
    let newest = super::api::parse_u64(q, "limit")?.unwrap_or(u64::MAX);
    let search = q.get("q").map(|text| Search::new(text, currency)).transpose()?.flatten();
    // Each live's host and title, as one text to look in.
    let lives: HashMap<String, String> = match search {
        None => HashMap::new(),
        Some(_) => hosts
            .iter()
            .map(|(id, host)| {
                let title = app.views.with_live(id, |l| l.live.title.clone()).flatten().unwrap_or_default();
                (id.clone(), format!("{host} {title}"))
            })
            .collect(),
    };
    let read = if search.is_some() { u64::MAX } else { newest };
    let (app2, live, campaign) = (app.clone(), live_id.map(str::to_owned), campaign_id.to_owned());
    let body = with_donations(app, campaign_id, live_id, read, move |donations| {
        // Every donation received, refunded and erased ones included, as the
        // read model has it once the log was read (a gift come meanwhile counts).
        let received = match &live {
            Some(live) => app2.views.with_live(live, |l| l.board.received),
            None => app2.views.with_campaign(&campaign, |c| c.board.received),
        };
        let (count, donations) = match &search {
            None => (received.unwrap_or(donations.len() as u64).max(donations.len() as u64), donations),
            Some(search) => {
                let live = |d: &Donation| lives.get(d.live_id.as_str()).map_or("", String::as_str);
                let found: Vec<_> = donations.into_iter().filter(|l| search.finds(l, live(&l.donation))).collect();
                let count = found.len() as u64;
                (count, found.into_iter().take(usize::try_from(newest).unwrap_or(usize::MAX)).collect())
            }
        };
        let host = |d: &Donation| hosts.get(d.live_id.as_str()).map_or("", String::as_str);
        let list: Vec<AdminDonation> = donations
            .iter()
            .map(|l| AdminDonation {
                moderated_by: l.moderated_by.as_ref(),
                ..AdminDonation::of(&l.donation, host(&l.donation), l.refunded_at, l.reference.as_deref())
            })
            .collect();
        #[derive(serde::Serialize)]
        struct Listed<'a> {
            count: u64,
            donations: Vec<AdminDonation<'a>>,
        }
        serde_json::to_vec(&Listed { count, donations: list }).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /api/v1/lives/{id}/connections` (admin or the live's key): the sessions
/// open now on the live's stream, `overlays` (with its overlay token, as OBS
/// browser sources) and `viewers` (public pages), so that the host sees the
/// overlay in OBS connected before going on air.
async fn live_connections(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_host(&headers, Some(&live_id))?;
    let (overlays, viewers) = app.hub.live_watchers(&live_id);
    Ok(axum::Json(json!({ "overlays": overlays, "viewers": viewers })).into_response())
}

/// `GET /api/v1/lives/{id}/donations[?limit=N][&q=…]` (admin, the live's key or
/// its host token): the live's donations with their real text, newest first, all
/// of them or the newest `N`, and `count`, how many it received; with `q`, those
/// found as on the campaign's list. The host of a live follows and moderates
/// their own live's donations with the link they were given, without the
/// organiser's admin token.
async fn live_donations(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (campaign_id, host, currency) = app
        .views
        .with_live(&live_id, |l| (l.live.campaign_id.clone(), l.live.host.clone(), l.currency))
        .ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    app.require_moderator(&headers, Some(&live_id))?;
    let hosts = HashMap::from([(live_id.clone(), host)]);
    listed(&app, &campaign_id, Some(&live_id), currency, &q, hosts).await
}

/// What an organiser types to find a donation: a part of the donor's name (the
/// real one, anonymous or not), of the message, of the host's name, of the
/// live's title or of the platform, without regard to case or accents ("chloe"
/// finds "Chloé"); a donation's whole id (from the export or a receipt); or an
/// amount in the campaign's currency ("50", "12,50 €", "12.50"), which finds the
/// donations of exactly that amount.
struct Search {
    text: String,
    folded: String,
    amount: Option<i64>,
}

impl Search {
    const MAX_CHARS: usize = 200;

    /// `None` for blank text: a search for nothing is no search.
    fn new(text: &str, currency: crate::money::Currency) -> Result<Option<Search>, ApiError> {
        let text = text.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("q must be at most {} characters", Self::MAX_CHARS),
            )
            .with("max", Self::MAX_CHARS));
        }
        if text.is_empty() {
            return Ok(None);
        }
        // "1 234,50 €" as the French dashboard writes it, "€1,234.50" as the
        // English one does, or "1234.50".
        let english = text.contains('.');
        let digits: String = text
            .chars()
            .filter(|c| !(c.is_whitespace() || "€£$".contains(*c) || english && *c == ','))
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        let amount = crate::webhooks::decimal::parse_minor(&digits, currency.exponent()).ok();
        Ok(Some(Search { text: text.to_owned(), folded: normalize(text), amount }))
    }

    /// `live`: the host's name and the live's title.
    fn finds(&self, logged: &Logged, live: &str) -> bool {
        let d = &logged.donation;
        self.amount == Some(d.amount)
            || d.id == self.text
            || logged.reference.as_deref() == Some(self.text.as_str())
            || [d.donor.as_deref(), d.message.as_deref(), Some(live), Some(d.platform.as_str())]
                .into_iter()
                .flatten()
                .any(|field| normalize(field).contains(&self.folded))
    }
}

/// A row that could not be written (into memory: it does not happen).
fn csv_err(e: csv::Error) -> ApiError {
    ApiError::internal(e.to_string())
}

/// The clock of `?tz=` (a name of the IANA database), if one is asked for.
pub(crate) fn time_zone(q: &HashMap<String, String>) -> Result<Option<(jiff::tz::TimeZone, String)>, ApiError> {
    zone_named(q.get("tz").map(String::as_str))
}

/// The time zone of this IANA name, if one is given; refused unless it is one.
pub(crate) fn zone_named(name: Option<&str>) -> Result<Option<(jiff::tz::TimeZone, String)>, ApiError> {
    match name.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok(None),
        // A name of the IANA database only: never a path, never a POSIX rule.
        Some(name) if name.len() > 64 || name.starts_with(['/', '.']) || name.contains("..") => Err(unknown_zone(name)),
        Some(name) => {
            let zone = jiff::tz::TimeZone::get(name).map_err(|_| unknown_zone(name))?;
            Ok(Some((zone, name.to_owned())))
        }
    }
}

fn unknown_zone(name: &str) -> ApiError {
    ApiError::bad_request("invalid_query", format!("tz must be a time zone such as Europe/Paris, not {name:?}"))
        .with("field", "tz")
}

/// A text cell of the export. Donors choose their name and message, and a
/// spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` (or a tab or
/// carriage return) as a formula, which can fetch a URL or run a command: such a
/// cell gets a `'` in front, so that it is read as text (OWASP's advice on CSV
/// injection). Names and messages that start otherwise are exported as they are.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

/// How the export is written. By default for programs (`,`, decimal points, the
/// column names below, RFC 3339 times). With `?excel=1`, for a spreadsheet opened
/// with a double click: a UTF-8 byte order mark first (without it Excel reads
/// "Inès" as "InÃ¨s"), times as "2026-12-04 17:38:40" (UTC), which it reads as
/// dates, and column names for people; with `lang=fr` (the French dashboard's),
/// `;` between cells and decimal commas, as French Excel splits and reads numbers
/// (with `,` it shows each row in one cell, and "20.00" as text), French column
/// names and oui/non. With `tz=` (an IANA time zone, `Europe/Paris`, which the
/// dashboard sends as its browser's), the spreadsheet's times are that zone's
/// wall clock, its columns named after it: a donation given at 00:30 in Paris on
/// January 1st belongs to the new year on its receipt, not to December 31st
/// (UTC). The export for programs keeps RFC 3339 UTC times; an unknown zone is
/// refused in either.
struct CsvStyle {
    excel: bool,
    french: bool,
    /// The spreadsheet's time zone, with its name; none for UTC.
    zone: Option<(jiff::tz::TimeZone, String)>,
}

impl CsvStyle {
    const COLUMNS: [[&'static str; 3]; 19] = [
        ["donation_id", "identifiant", "donation id"],
        ["received_at", "reçu le (UTC)", "received (UTC)"],
        ["live_id", "live", "live id"],
        ["host", "hôte", "host"],
        ["donor", "donateur", "donor"],
        ["anonymous", "anonyme", "anonymous"],
        ["message", "message", "message"],
        ["amount", "montant", "amount"],
        ["kept", "conservé", "kept"],
        ["matched", "abondé", "matched"],
        ["total", "total", "total"],
        ["currency", "devise", "currency"],
        ["platform", "plateforme", "platform"],
        ["refunded", "remboursé", "refunded"],
        ["refunded_at", "remboursé le (UTC)", "refunded (UTC)"],
        ["refunded_amount", "montant remboursé", "refunded amount"],
        ["reference", "référence du paiement", "payment reference"],
        ["hidden", "masqué", "hidden"],
        ["moderated_by", "modéré par", "moderated by"],
    ];

    fn of(q: &HashMap<String, String>) -> Result<CsvStyle, ApiError> {
        let excel = q.get("excel").is_some_and(|v| v == "1" || v == "true");
        let zone = time_zone(q)?.filter(|_| excel);
        Ok(CsvStyle { excel, french: excel && q.get("lang").is_some_and(|l| l == "fr"), zone })
    }

    /// Each live's totals, in the lives export.
    const LIVE_COLUMNS: [[&'static str; 3]; 10] = [
        ["live_id", "live", "live id"],
        ["host", "hôte", "host"],
        ["title", "titre", "title"],
        ["scheduled_at", "date (UTC)", "date (UTC)"],
        ["status", "état", "status"],
        ["donations", "dons", "donations"],
        ["raised", "collecté", "raised"],
        ["matched", "abondé", "matched"],
        ["total", "total", "total"],
        ["currency", "devise", "currency"],
    ];

    /// Each match, in the sponsors' export.
    const MATCH_COLUMNS: [[&'static str; 3]; 10] = [
        ["match_id", "abondement", "match id"],
        ["sponsor", "mécène", "sponsor"],
        ["ratio", "ratio", "ratio"],
        ["cap", "plafond", "cap"],
        ["used", "abondé", "matched"],
        ["left", "reste", "left"],
        ["starts_at", "début (UTC)", "starts (UTC)"],
        ["ends_at", "fin (UTC)", "ends (UTC)"],
        ["status", "état", "status"],
        ["currency", "devise", "currency"],
    ];

    /// Each prize draw, in the draws' export.
    const DRAW_COLUMNS: [[&'static str; 3]; 18] = [
        ["draw_id", "tirage", "draw id"],
        ["drawn_at", "tiré le (UTC)", "drawn (UTC)"],
        ["live_id", "live", "live id"],
        ["host", "hôte", "host"],
        ["prize", "lot", "prize"],
        ["min_amount", "don minimum", "least donation"],
        ["weighted", "un ticket par tranche", "one ticket per step"],
        ["since", "dons depuis (UTC)", "donations since (UTC)"],
        ["campaign_wide", "toute la campagne", "whole campaign"],
        ["entries", "participations", "entries"],
        ["tickets", "tickets", "tickets"],
        ["winner_donation_id", "don gagnant", "winning donation"],
        ["winner", "gagnant", "winner"],
        ["anonymous", "anonyme", "anonymous"],
        ["winner_amount", "montant du don", "donation amount"],
        ["winner_received_at", "don reçu le (UTC)", "donation received (UTC)"],
        ["winner_refunded", "don remboursé", "donation refunded"],
        ["currency", "devise", "currency"],
    ];

    /// Each claim of a reward, in the rewards' export.
    const REWARD_COLUMNS: [[&'static str; 3]; 15] = [
        ["reward_id", "contrepartie", "reward id"],
        ["reward", "intitulé", "reward"],
        ["min_amount", "don minimum", "least donation"],
        ["live_id", "live", "live id"],
        ["host", "hôte", "host"],
        ["donation_id", "don", "donation id"],
        ["received_at", "reçu le (UTC)", "received (UTC)"],
        ["donor", "donateur", "donor"],
        ["anonymous", "anonyme", "anonymous"],
        ["message", "message", "message"],
        ["amount", "montant", "amount"],
        ["refunded", "remboursé", "refunded"],
        ["delivered", "donnée", "given"],
        ["erased", "données effacées", "data erased"],
        ["currency", "devise", "currency"],
    ];

    /// Each donor by the name given, in the donors' export.
    const DONOR_COLUMNS: [[&'static str; 3]; 10] = [
        ["donor", "donateur", "donor"],
        ["anonymous", "anonyme", "anonymous"],
        ["donations", "dons", "donations"],
        ["kept", "conservé", "kept"],
        ["matched", "abondé", "matched"],
        ["total", "total", "total"],
        ["currency", "devise", "currency"],
        ["first_at", "premier don (UTC)", "first gift (UTC)"],
        ["last_at", "dernier don (UTC)", "last gift (UTC)"],
        ["hosts", "lives de", "lives of"],
    ];

    /// `columns`' names for this style; a time's names the spreadsheet's zone.
    fn header<const N: usize>(&self, columns: &'static [[&'static str; 3]; N]) -> impl Iterator<Item = String> {
        let col = match (self.excel, self.french) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        };
        let zone = self.zone.as_ref().map(|(_, name)| format!("({name})"));
        columns.iter().map(move |c| match &zone {
            Some(zone) => c[col].replace("(UTC)", zone),
            None => c[col].to_owned(),
        })
    }

    /// A writer for this style (the byte order mark and the separator), its
    /// header row of `columns` written.
    fn writer<const N: usize>(
        &self,
        columns: &'static [[&'static str; 3]; N],
    ) -> Result<csv::Writer<Vec<u8>>, ApiError> {
        let out = if self.excel { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        let mut w = csv::WriterBuilder::new().delimiter(if self.french { b';' } else { b',' }).from_writer(out);
        w.write_record(self.header(columns)).map_err(csv_err)?;
        Ok(w)
    }

    /// The download: `{campaign}-{name}.csv`, `name` in French for the French spreadsheet.
    fn attachment(
        &self,
        w: csv::Writer<Vec<u8>>,
        campaign_id: &str,
        [fr, en]: [&str; 2],
    ) -> Result<Response, ApiError> {
        let body = w.into_inner().map_err(|e| ApiError::internal(e.to_string()))?;
        let name = if self.french { fr } else { en };
        let disposition = format!("attachment; filename=\"{campaign_id}-{name}.csv\"");
        Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
            body,
        )
            .into_response())
    }

    fn money(&self, currency: crate::money::Currency, minor: i64) -> String {
        let plain = currency.format_plain(minor);
        if self.french { plain.replace('.', ",") } else { plain }
    }

    /// The day of `t` on the style's clock (UTC without one): `2026-12-31`.
    fn day(&self, t: Timestamp) -> String {
        let mut time = self.time(t);
        time.truncate(10);
        time
    }

    fn time(&self, t: Timestamp) -> String {
        let zoned = self.zone.as_ref().and_then(|(zone, _)| {
            let at = jiff::Timestamp::from_millisecond(t.millis()).ok()?;
            Some(zone.to_datetime(at).strftime("%Y-%m-%d %H:%M:%S").to_string())
        });
        if let Some(local) = zoned {
            return local;
        }
        let iso = t.to_string();
        match iso.get(..19) {
            Some(second) if self.excel => second.replacen('T', " ", 1),
            _ => iso,
        }
    }

    /// What of a donation was taken off the air: for a charity thanking its
    /// donors by name, whose name not to publish.
    fn hidden(&self, d: &Donation) -> &'static str {
        match (d.donor_hidden, d.message_hidden, self.excel, self.french) {
            (false, false, ..) => "",
            (true, false, false, _) => "donor",
            (false, true, false, _) => "message",
            (true, true, false, _) => "both",
            (true, false, true, true) => "le nom",
            (false, true, true, true) => "le message",
            (true, true, true, true) => "le nom et le message",
            (true, false, true, false) => "name",
            (false, true, true, false) => "message",
            (true, true, true, false) => "name and message",
        }
    }

    /// Who last approved, hid or showed again a donation's text: `role` (and
    /// `moderator:<name>` for a moderator by name) for a script, a sentence
    /// for a spreadsheet.
    fn moderated_by(&self, by: Option<&Actor>) -> String {
        let Some(by) = by else { return String::new() };
        let named = by.name.as_deref().filter(|n| !n.is_empty());
        match (by.role, named, self.excel, self.french) {
            (ActorRole::Moderator, Some(name), false, _) => cell(&format!("moderator:{name}")),
            (ActorRole::Moderator, Some(name), true, true) => cell(&format!("{name} (modération)")),
            (ActorRole::Moderator, Some(name), true, false) => cell(&format!("{name} (moderator)")),
            (role, _, false, _) => match role {
                ActorRole::Admin => "admin",
                ActorRole::Key => "key",
                ActorRole::Host => "host",
                ActorRole::Moderator => "moderator",
            }
            .to_owned(),
            (role, _, true, french) => match (role, french) {
                (ActorRole::Admin, true) => "l'organisation",
                (ActorRole::Key, true) => "la clé du live",
                (ActorRole::Host, true) => "l'hôte",
                (ActorRole::Moderator, true) => "le lien des modérateurs",
                (ActorRole::Admin, false) => "the organisers",
                (ActorRole::Key, false) => "the live's key",
                (ActorRole::Host, false) => "the host",
                (ActorRole::Moderator, false) => "the moderators' link",
            }
            .to_owned(),
        }
    }

    fn yes_no(&self, yes: bool) -> &'static str {
        match (yes, self.french) {
            (true, true) => "oui",
            (false, true) => "non",
            (true, false) => "yes",
            (false, false) => "no",
        }
    }
}

/// `GET /api/v1/campaigns/{id}/donations.csv[?excel=1[&lang=fr]]`: for the
/// charity's receipts (see [`CsvStyle`] for the spreadsheet variant). Amounts
/// are decimal strings in the campaign currency; the real donor name is given
/// with the anonymous flag (receipts need it; viewers never see it). `kept`,
/// `matched` and `total` are what each donation counts for now, refunds taken
/// off, so that each column sums to the campaign's `raised`, `matched` and
/// `total`; `amount` is what was given.
async fn campaign_csv(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    app.require_report_reader(&headers, &campaign_id)?;
    let campaign = app
        .views
        .campaign(&campaign_id)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let currency = campaign.campaign.currency;
    let style = CsvStyle::of(&q)?;
    let hosts = hosts(&app, &campaign_id);
    with_donations(&app, &campaign_id.clone(), None, u64::MAX, move |mut donations| {
        donations.reverse(); // oldest first, as a ledger reads
        let mut w = style.writer(&CsvStyle::COLUMNS)?;
        let money = |minor: i64| style.money(currency, minor);
        for Logged { donation: d, refunded_at, reference, moderated_by } in &donations {
            // A donation given back whole still shows what its matches paid; the
            // sponsors got it back, so it counts for nothing here.
            let matched = if d.refunded { 0 } else { d.matched };
            let row = [
                d.id.to_string(),
                style.time(d.at),
                d.live_id.to_string(),
                cell(hosts.get(d.live_id.as_str()).map_or("", String::as_str)),
                cell(d.donor.as_deref().unwrap_or_default()),
                style.yes_no(d.anonymous).to_owned(),
                cell(d.message.as_deref().unwrap_or_default()),
                money(d.amount),
                money(d.kept()),
                money(matched),
                money(d.kept().saturating_add(matched)),
                currency.code().to_owned(),
                cell(&d.platform),
                style.yes_no(d.refunded).to_owned(),
                refunded_at.map(|t| style.time(t)).unwrap_or_default(),
                money(d.refunded_amount),
                cell(reference.as_deref().unwrap_or_default()),
                style.hidden(d).to_owned(),
                style.moderated_by(moderated_by.as_ref()),
            ];
            w.write_record(&row).map_err(csv_err)?;
        }
        style.attachment(w, &campaign_id, ["dons", "donations"])
    })
    .await
}

/// `GET /api/v1/campaigns/{id}/report[?tz=…]` (admin): the figures of the
/// charity's report, from every donation of the campaign as it is now (refunds
/// taken off, the log read whole like the CSV): how many donations count and
/// from how many donors (names as given, without regard to case; anonymous
/// donors by the name they gave), the average, median and largest gift, the
/// refunds, and each day's donations on the organiser's clock (`tz`, as the
/// exports; UTC without it), whose sums are the campaign's `raised` and
/// `matched`.
async fn report(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    app.require_report_reader(&headers, &campaign_id)?;
    let (totals, currency) = totals_of(&app, &campaign_id)?;
    // Days on the asked clock, whatever the spreadsheet options.
    let style = CsvStyle { excel: false, french: false, zone: time_zone(&q)? };
    let hosts = hosts(&app, &campaign_id);
    with_donations(&app, &campaign_id.clone(), None, u64::MAX, move |donations| {
    let mut kept = Vec::with_capacity(donations.len());
    let mut names = std::collections::HashSet::new();
    let (mut unnamed, mut whole, mut partial, mut given_back) = (0u64, 0u64, 0u64, 0i64);
    let mut largest: Option<&Donation> = None;
    // Oldest first: of two largest gifts alike, the first one.
    for d in donations.iter().rev().map(|l| &l.donation) {
        given_back += d.refunded_amount;
        if d.refunded {
            whole += 1;
            continue;
        }
        if d.refunded_amount > 0 {
            partial += 1;
        }
        kept.push(d.kept());
        match d.donor.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => {
                names.insert(name.to_lowercase());
            }
            None => unnamed += 1,
        }
        if largest.is_none_or(|l| d.kept() > l.kept()) {
            largest = Some(d);
        }
    }
    kept.sort_unstable();
    let n = kept.len();
    let sum: i64 = kept.iter().sum();
    // In minor units, halves rounded up.
    let average = if n == 0 { 0 } else { (sum + n as i64 / 2) / n as i64 };
    let median = match n {
        0 => 0,
        n if n % 2 == 1 => kept[n / 2],
        n => (kept[n / 2 - 1] + kept[n / 2] + 1) / 2,
    };
    let largest = largest.map(|d| {
        json!({
            "id": d.id, "amount": d.kept(), "at": d.at, "live_id": d.live_id,
            "host": hosts.get(d.live_id.as_str()), "donor": d.donor, "anonymous": d.anonymous,
        })
    });
    let by_day = by_day(&donations, &style);
    // Each payment platform's share, biggest first: what each provider's
    // payouts should add up to (offline gifts being the cash and cheques).
    let mut platforms: HashMap<&str, (u64, i64, i64)> = HashMap::new();
    for d in donations.iter().map(|l| &l.donation).filter(|d| !d.refunded) {
        let p = platforms.entry(d.platform.as_str()).or_default();
        *p = (p.0 + 1, p.1 + d.kept(), p.2 + d.matched);
    }
    let mut by_platform: Vec<(&str, (u64, i64, i64))> = platforms.into_iter().collect();
    by_platform.sort_by(|a, b| (b.1.1 + b.1.2).cmp(&(a.1.1 + a.1.2)).then_with(|| a.0.cmp(b.0)));
    let by_platform: Vec<Value> = by_platform
        .into_iter()
        .map(|(platform, (count, raised, matched))| {
            json!({"platform": platform, "donations": count, "raised": raised, "matched": matched, "total": raised + matched})
        })
        .collect();
    Ok(axum::Json(json!({
        "campaign_id": campaign_id, "currency": currency, "time_zone": style.zone.as_ref().map_or("UTC", |(_, name)| name.as_str()),
        "totals": totals, "donors": names.len(), "unnamed_donations": unnamed,
        "average": average, "median": median, "largest": largest,
        "refunds": {"whole": whole, "partial": partial, "amount": given_back},
        "by_day": by_day, "by_platform": by_platform,
    }))
    .into_response())
    })
    .await
}

/// One donor of a campaign: their gifts that still count, under the name they first gave.
#[derive(Default)]
struct DonorRow {
    name: String,
    anonymous: bool,
    donations: u64,
    kept: i64,
    matched: i64,
    first: Timestamp,
    last: Timestamp,
    hosts: Vec<String>,
}

/// `GET /api/v1/campaigns/{id}/donors.csv[?excel=1[&lang=fr][&tz=…]]`: one row
/// per donor, by the name given (case and spaces around aside, as the report
/// counts them), with their gifts that still count (a whole refund leaves out;
/// a part refunded is taken off), biggest total first: to thank them, and to
/// match the payment providers' records for receipts. `anonymous` says that at
/// least one of their gifts asked not to be shown. Gifts without a name (or
/// erased) are not listed; the spreadsheet variant ends with their row and the
/// campaign's total, so its columns sum to the campaign's totals.
async fn donors_csv(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    app.require_report_reader(&headers, &campaign_id)?;
    let (totals, currency) = totals_of(&app, &campaign_id)?;
    let style = CsvStyle::of(&q)?;
    let hosts = hosts(&app, &campaign_id);
    with_donations(&app, &campaign_id.clone(), None, u64::MAX, move |donations| {
        let mut donors: HashMap<String, DonorRow> = HashMap::new();
        let mut unnamed = DonorRow::default();
        // Oldest first: a donor's row keeps the name they first gave.
        for d in donations.iter().rev().map(|l| &l.donation).filter(|d| !d.refunded) {
            let row = match d.donor.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) => donors.entry(name.to_lowercase()).or_insert_with(|| DonorRow {
                    name: name.to_owned(),
                    first: d.at,
                    ..DonorRow::default()
                }),
                None => &mut unnamed,
            };
            row.anonymous |= d.anonymous;
            row.donations += 1;
            row.kept += d.kept();
            row.matched += d.matched;
            row.last = d.at;
            if let Some(host) = hosts.get(d.live_id.as_str())
                && !row.hosts.contains(host)
            {
                row.hosts.push(host.clone());
            }
        }
        let mut rows: Vec<DonorRow> = donors.into_values().collect();
        rows.sort_by(|a, b| (b.kept + b.matched).cmp(&(a.kept + a.matched)).then_with(|| a.name.cmp(&b.name)));
        let mut w = style.writer(&CsvStyle::DONOR_COLUMNS)?;
        let money = |minor: i64| style.money(currency, minor);
        let line = |label: String, anonymous: String, r: &DonorRow, times: bool| {
            let time = |t: Timestamp| if times { style.time(t) } else { String::new() };
            [
                label,
                anonymous,
                r.donations.to_string(),
                money(r.kept),
                money(r.matched),
                money(r.kept + r.matched),
                currency.code().to_owned(),
                time(r.first),
                time(r.last),
                cell(&r.hosts.join(", ")),
            ]
        };
        for r in &rows {
            w.write_record(line(cell(&r.name), style.yes_no(r.anonymous).to_owned(), r, true)).map_err(csv_err)?;
        }
        if style.excel {
            if unnamed.donations > 0 {
                let label = if style.french { "Dons sans nom" } else { "Gifts without a name" };
                w.write_record(line(label.to_owned(), String::new(), &unnamed, false)).map_err(csv_err)?;
            }
            let label = if style.french { "Total de la campagne" } else { "Campaign total" };
            let all = DonorRow {
                donations: totals.donations,
                kept: totals.raised,
                matched: totals.matched,
                ..DonorRow::default()
            };
            w.write_record(line(label.to_owned(), String::new(), &all, false)).map_err(csv_err)?;
        }
        style.attachment(w, &campaign_id, ["donateurs", "donors"])
    })
    .await
}

/// `GET /api/v1/campaigns/{id}/lives.csv[?excel=1[&lang=fr]]`: one row per
/// live, in schedule order, with what it raised: for the charity's report and
/// to thank each host. `donations`, `raised`, `matched` and `total` are the
/// live's totals (refunds taken off), so each column sums to the campaign's;
/// the spreadsheet variant ends with that sum, as the campaign's own row.
async fn lives_csv(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    app.require_report_reader(&headers, &campaign_id)?;
    let (campaign, currency) = app
        .views
        .campaign_json(&campaign_id, app.now())
        .zip(app.views.with_campaign(&campaign_id, |c| c.campaign.currency))
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let style = CsvStyle::of(&q)?;
    let mut w = style.writer(&CsvStyle::LIVE_COLUMNS)?;
    let text = |v: &Value| cell(v.as_str().unwrap_or_default());
    let money = |v: &Value| style.money(currency, v.as_i64().unwrap_or_default());
    // A program reads the code; a spreadsheet's reader, words in their language.
    let status = |s: &str| -> String {
        let (fr, en) = match s {
            "upcoming" => ("à venir", "Upcoming"),
            "current" => ("en cours", "Live now"),
            "past" => ("terminé", "Ended"),
            "cancelled" => ("annulé", "Cancelled"),
            _ => ("non programmé", "Not scheduled"),
        };
        match (style.excel, style.french) {
            (false, _) => s.to_owned(),
            (true, true) => fr.to_owned(),
            (true, false) => en.to_owned(),
        }
    };
    let totals_cells =
        |t: &Value| [t["donations"].to_string(), money(&t["raised"]), money(&t["matched"]), money(&t["total"])];
    for l in campaign["lives"].as_array().into_iter().flatten() {
        let when = serde_json::from_value::<Timestamp>(l["scheduled_at"].clone()).ok().map(|t| style.time(t));
        let [donations, raised, matched, total] = totals_cells(&l["totals"]);
        let row = [
            text(&l["id"]),
            text(&l["host"]),
            text(&l["title"]),
            when.unwrap_or_default(),
            status(l["status"].as_str().unwrap_or_default()),
            donations,
            raised,
            matched,
            total,
            currency.code().to_owned(),
        ];
        w.write_record(&row).map_err(csv_err)?;
    }
    if style.excel {
        let [donations, raised, matched, total] = totals_cells(&campaign["totals"]);
        let label = if style.french { "Total de la campagne" } else { "Campaign total" };
        let name = cell(campaign["name"].as_str().unwrap_or_default());
        let row = [
            label.to_owned(),
            name,
            String::new(),
            String::new(),
            String::new(),
            donations,
            raised,
            matched,
            total,
            currency.code().to_owned(),
        ];
        w.write_record(&row).map_err(csv_err)?;
    }
    style.attachment(w, &campaign_id, ["lives", "lives"])
}

/// `GET /api/v1/campaigns/{id}/matches.csv[?excel=1[&lang=fr][&tz=…]]`: one row
/// per sponsor's match, in the order they were made, with what each gave
/// (`used`: the matching its donations earned, refunds taken off), which is what
/// the charity asks each sponsor for; the `used` column sums to the campaign's
/// `matched`, which the spreadsheet variant's last row gives.
async fn matches_csv(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    app.require_report_reader(&headers, &campaign_id)?;
    let (matches, currency, matched) = app
        .views
        .with_campaign(&campaign_id, |c| (c.matches.clone(), c.campaign.currency, c.totals.matched))
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let style = CsvStyle::of(&q)?;
    let mut w = style.writer(&CsvStyle::MATCH_COLUMNS)?;
    // A program reads the code; a spreadsheet's reader, words in their language.
    let status = |m: &crate::domain::state::MatchState| -> &'static str {
        let (code, fr, en) = if m.ended {
            ("ended", "terminé", "Ended")
        } else if m.used_up {
            ("used_up", "épuisé", "Used up")
        } else if m.started {
            ("active", "en cours", "Active")
        } else {
            ("pending", "à venir", "Not started")
        };
        match (style.excel, style.french) {
            (false, _) => code,
            (true, true) => fr,
            (true, false) => en,
        }
    };
    for m in &matches {
        let r = &m.r#match;
        let row = [
            r.id.clone(),
            cell(&r.sponsor),
            format!("{}:{}", r.ratio[0], r.ratio[1]),
            style.money(currency, r.cap),
            style.money(currency, m.used),
            style.money(currency, m.left()),
            r.starts_at.map(|t| style.time(t)).unwrap_or_default(),
            r.ends_at.map(|t| style.time(t)).unwrap_or_default(),
            status(m).to_owned(),
            currency.code().to_owned(),
        ];
        w.write_record(&row).map_err(csv_err)?;
    }
    if style.excel {
        let label = if style.french { "Total des abondements" } else { "Total matched" };
        let mut row = vec![String::new(); CsvStyle::MATCH_COLUMNS.len()];
        row[0] = label.to_owned();
        row[4] = style.money(currency, matched);
        row[9] = currency.code().to_owned();
        w.write_record(&row).map_err(csv_err)?;
    }
    style.attachment(w, &campaign_id, ["abondements", "matches"])
}

/// A campaign's lives (their ids) and its currency, for the exports that go through its lives.
fn lives_of(app: &AppState, campaign_id: &str) -> Result<(Vec<String>, crate::money::Currency), ApiError> {
    app.views
        .with_campaign(campaign_id, |c| (c.lives.clone(), c.campaign.currency))
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))
}

/// A campaign's totals and currency, for the report and the donors' export.
fn totals_of(app: &AppState, campaign_id: &str) -> Result<(crate::domain::Totals, crate::money::Currency), ApiError> {
    app.views
        .with_campaign(campaign_id, |c| (c.totals, c.campaign.currency))
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))
}

/// `GET /api/v1/campaigns/{id}/draws.csv[?excel=1[&lang=fr][&tz=…]]`: every
/// prize drawn in the campaign's lives, oldest first: the draw's terms, how many
/// donations and tickets entered, and the winner as the organisers need them to
/// deliver the prize (the name given, even by a donor who gave anonymously, and
/// the donation's id to find them at the payment provider). The record of each
/// draw the charity keeps.
async fn draws_csv(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    app.require_report_reader(&headers, &campaign_id)?;
    let (lives, currency) = lives_of(&app, &campaign_id)?;
    let style = CsvStyle::of(&q)?;
    let mut w = style.writer(&CsvStyle::DRAW_COLUMNS)?;
    let mut draws: Vec<(crate::domain::Draw, crate::domain::Donation, String)> = Vec::new();
    for id in &lives {
        app.views.with_live(id, |l| {
            draws.extend(l.draws.iter().map(|(d, winner)| (d.clone(), winner.clone(), l.live.host.clone())));
        });
    }
    draws.sort_by_key(|(d, ..)| d.at);
    for (d, win, host) in &draws {
        let row = [
            d.id.clone(),
            style.time(d.at),
            d.live_id.clone(),
            cell(host),
            cell(&d.prize),
            style.money(currency, d.min_amount),
            style.yes_no(d.weighted).to_owned(),
            d.since.map(|t| style.time(t)).unwrap_or_default(),
            style.yes_no(d.campaign_wide).to_owned(),
            d.entries.to_string(),
            d.tickets.to_string(),
            win.id.to_string(),
            cell(win.donor.as_deref().unwrap_or_default()),
            style.yes_no(win.anonymous).to_owned(),
            style.money(currency, win.amount),
            style.time(win.at),
            style.yes_no(win.refunded).to_owned(),
            currency.code().to_owned(),
        ];
        w.write_record(&row).map_err(csv_err)?;
    }
    style.attachment(w, &campaign_id, ["tirages", "draws"])
}

/// `GET /api/v1/campaigns/{id}/rewards.csv[?excel=1[&lang=fr][&tz=…]]`: every
/// reward claimed in the campaign's lives, in the order the donations came: the
/// reward, its live and host, and the donation as the organisers need it to
/// give the reward (the name and message given, even by a donor who gave
/// anonymously: the message often says what to draw), whether it was refunded
/// since and whether it was given.
async fn rewards_csv(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    app.require_report_reader(&headers, &campaign_id)?;
    let (lives, currency) = lives_of(&app, &campaign_id)?;
    let style = CsvStyle::of(&q)?;
    let mut w = style.writer(&CsvStyle::REWARD_COLUMNS)?;
    let mut claims: Vec<(crate::domain::Reward, crate::domain::Donation, bool, String)> = Vec::new();
    for id in &lives {
        app.views.with_live(id, |l| {
            for r in &l.rewards {
                for c in &r.claims {
                    if let Some(d) = l.claimants.get(&c.donation_id) {
                        claims.push((r.reward.clone(), d.clone(), c.delivered, l.live.host.clone()));
                    }
                }
            }
        });
    }
    claims.sort_by_key(|(_, d, ..)| d.at);
    for (r, d, delivered, host) in &claims {
        let row = [
            r.id.clone(),
            cell(&r.title),
            style.money(currency, r.amount),
            r.live_id.clone(),
            cell(host),
            d.id.to_string(),
            style.time(d.at),
            cell(d.donor.as_deref().unwrap_or_default()),
            style.yes_no(d.anonymous).to_owned(),
            cell(d.message.as_deref().unwrap_or_default()),
            style.money(currency, d.amount),
            style.yes_no(d.refunded).to_owned(),
            style.yes_no(*delivered).to_owned(),
            style.yes_no(d.erased).to_owned(),
            currency.code().to_owned(),
        ];
        w.write_record(&row).map_err(csv_err)?;
    }
    style.attachment(w, &campaign_id, ["contreparties", "rewards"])
}

fn moderation_json(app: &AppState, live_id: &str) -> Option<Value> {
    let l = app.views.live(live_id)?;
    let m = &l.moderation;
    let words: Vec<String> = match &m.words {
        Some(w) => w.clone(),
        None => crate::domain::moderation::DEFAULT_WORDS.iter().map(|w| (*w).to_owned()).collect(),
    };
    let pending: Vec<Value> = l.pending.iter().map(|d| admin_donation(d, &l.live.host, None, None)).collect();
    Some(json!({
        "live_id": live_id, "mode": m.mode, "delay_seconds": m.delay_seconds,
        "words": words, "default_words": m.words.is_none(), "links": m.links, "pending": pending,
    }))
}

async fn get_moderation(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, you) = app.require_moderator(&headers, Some(&live_id))?;
    let mut body = moderation_json(&app, &live_id);
    // Who the page is opened as: a moderator sees their name.
    if let Some(b) = body.as_mut() {
        b["you"] = json!(you);
    }
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModerationBody {
    mode: Mode,
    delay_seconds: Option<u32>,
    /// `null` or absent: the default list.
    words: Option<Vec<String>>,
    /// Whether links and e-mail addresses are masked (absent: they are).
    links: Option<bool>,
}

async fn put_moderation(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<ModerationBody>,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let delay_seconds = b.delay_seconds.unwrap_or(30);
    if !(1..=600).contains(&delay_seconds) {
        return Err(ApiError::invalid("invalid_field", "delay_seconds must be between 1 and 600")
            .with("field", "delay_seconds"));
    }
    let words = match b.words {
        None => None,
        Some(list) => {
            if list.len() > 1000 {
                return Err(ApiError::invalid("invalid_field", "words: at most 1000 entries").with("field", "words"));
            }
            let mut out = Vec::with_capacity(list.len());
            for w in &list {
                if let Some(w) = text::optional("words", Some(w), 64)? {
                    out.push(w);
                }
            }
            Some(out)
        }
    };
    let moderation = Moderation { mode: b.mode, delay_seconds, words, links: b.links.unwrap_or(true) };
    app.ledger.submit(Command::SetModeration { by, live_id: live_id.clone(), moderation }).await?;
    Ok(axum::Json(moderation_json(&app, &live_id)).into_response())
}

async fn approve(
    State(app): State<AppState>,
    Path(donation_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, actor) = app.require_moderator(&headers, None)?;
    Ok(outcome_response(app.ledger.submit(Command::Approve { by, actor, donation_id }).await?, StatusCode::OK))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HideBody {
    #[serde(default)]
    donor: bool,
    #[serde(default)]
    message: bool,
}

async fn hide(
    State(app): State<AppState>,
    Path(donation_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<HideBody>,
) -> Result<Response, ApiError> {
    on_air(&app, donation_id, &headers, b, false).await
}

/// `POST /api/v1/donations/{id}/show {donor, message}` (as `/hide`): the name
/// and/or the message hidden before go back on the air, on every page, overlay
/// and list that shows the donation (a hiding undone); one not hidden is left
/// as it is.
async fn show(
    State(app): State<AppState>,
    Path(donation_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<HideBody>,
) -> Result<Response, ApiError> {
    on_air(&app, donation_id, &headers, b, true).await
}

/// A donation's name and/or message taken off the air, or put back (`shown`).
async fn on_air(
    app: &AppState,
    donation_id: String,
    headers: &HeaderMap,
    b: HideBody,
    shown: bool,
) -> Result<Response, ApiError> {
    let (by, actor) = app.require_moderator(headers, None)?;
    if !b.donor && !b.message {
        let code = if shown { "nothing_to_show" } else { "nothing_to_hide" };
        return Err(ApiError::invalid(code, "set donor and/or message to true"));
    }
    let (donor, message) = (b.donor, b.message);
    let cmd = if shown {
        Command::Show { by, actor, donation_id, donor, message }
    } else {
        Command::Hide { by, actor, donation_id, donor, message }
    };
    Ok(outcome_response(app.ledger.submit(cmd).await?, StatusCode::OK))
}

/// `POST /api/v1/donations/{id}/replay` (admin, the live's key or its host key):
/// the donation's alert once more on the live's overlays (an `alert_replay`
/// frame, the donation as it is now), for a streamer who missed reading it or
/// whose overlay was not yet in OBS; no total, list or export changes. A
/// refunded donation or a text waiting for approval is refused (`409`).
async fn replay(
    State(app): State<AppState>,
    Path(donation_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (by, _) = app.require_host(&headers, None)?;
    Ok(outcome_response(app.ledger.submit(Command::ReplayAlert { by, donation_id }).await?, StatusCode::OK))
}

/// `POST /api/v1/donations/{id}/erase` (admin): the donor's name and message
/// erased for good, as a donor may ask under data-protection law. The amount
/// still counts everywhere (the charity's accounts keep the gift); the name and
/// message leave the state, the leaderboards, the log's rows and frames (its
/// event, refunds, texts released or hidden, replayed alerts, prize draws), the
/// resume rings and the exports; then the WAL is emptied so no older copy of a
/// rewritten page stays in it. Open pages get a `donation_updated` frame,
/// webhook subscribers a `donation.erased` event. Erasing again changes nothing.
async fn erase(
    State(app): State<AppState>,
    Path(donation_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let outcome = app.ledger.submit(Command::EraseDonation { donation_id }).await?;
    if matches!(outcome, crate::ledger::Outcome::Appended { .. }) {
        after_erasure(&app).await;
    }
    Ok(outcome_response(outcome, StatusCode::OK))
}

/// What follows an erasure outside the log: the shared public answers that
/// name donors are forgotten (the next one asked is made without the erased
/// name, however long it stands), and the WAL is emptied, so that no older
/// copy of a rewritten page stays in it; said in the log when it cannot.
async fn after_erasure(app: &AppState) {
    app.public.forget_names();
    let dir = app.config.data_dir.clone();
    let wiped =
        tokio::task::spawn_blocking(move || crate::ledger::sqlite::Store::wipe_wal(&dir, Duration::from_secs(5)))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
    match wiped {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("the WAL was busy: an erased row's older copy stays in it until its next checkpoint")
        }
        Err(err) => tracing::warn!(%err, "could not empty the WAL after an erasure"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseDonorBody {
    donor: String,
}

/// `POST /api/v1/donors/erase` (admin) `{donor}`: every donation given under
/// this name (without regard to case nor to the spaces around it), in every
/// campaign, erased as `/donations/{id}/erase` erases one, for a donor who
/// asks to be forgotten and knows only the name they gave. Answers `{donor,
/// erased: [{donation_id, campaign_id, amount, currency, at}]}`, oldest
/// first; `404 donor_not_found` when no donation still bears the name.
async fn erase_donor(
    State(app): State<AppState>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<EraseDonorBody>,
) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let name = crate::domain::text::required("donor", &b.donor, crate::domain::text::DONOR_MAX)?;
    let folded = name.to_lowercase();
    let campaigns: Vec<String> = app.views.campaigns.iter().map(|e| e.key().clone()).collect();
    let mut found = Vec::new();
    for campaign_id in campaigns {
        let donations = donations_of(&app, &campaign_id, None, u64::MAX).await?;
        found.extend(
            donations
                .into_iter()
                .map(|l| l.donation)
                .filter(|d| !d.erased && d.donor.as_deref().is_some_and(|n| n.trim().to_lowercase() == folded)),
        );
    }
    if found.is_empty() {
        return Err(ApiError::not_found("donor_not_found", "no donation bears this donor name"));
    }
    found.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut erased = Vec::with_capacity(found.len());
    for d in found {
        app.ledger.submit(Command::EraseDonation { donation_id: d.id.to_string() }).await?;
        erased.push(json!({
            "donation_id": d.id, "campaign_id": d.campaign_id, "amount": d.amount, "currency": d.currency, "at": d.at,
        }));
    }
    after_erasure(&app).await;
    Ok(axum::Json(json!({ "donor": name, "erased": erased })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestAlertBody {
    donor: Option<String>,
    message: Option<String>,
    amount: Option<Value>,
}

/// `POST /api/v1/lives/{id}/test-alert`: a `test_alert` frame that overlays show
/// and that no total, list or export ever counts.
async fn test_alert(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<TestAlertBody>,
) -> Result<Response, ApiError> {
    let live = app.views.live(&live_id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    let (by, _) = app.require_host(&headers, Some(&live_id))?;
    let amount = match &b.amount {
        Some(v) => Amount::from_json(v)?.minor(),
        None => live.currency.minor_units(5),
    };
    let donation = Donation::new(
        format!("test-{}", secret::new_id()),
        live_id,
        amount,
        live.currency,
        text::optional("donor", b.donor.as_deref(), text::DONOR_MAX)?.or_else(|| Some("Cagnotte".to_owned())),
        false,
        text::optional("message", b.message.as_deref(), text::MESSAGE_MAX)?,
        "test".to_owned(),
    );
    Ok(outcome_response(app.ledger.submit(Command::TestAlert { by, donation }).await?, StatusCode::CREATED))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Days summed from quarters of an hour are the days of each donation, on
    /// clocks a quarter or three quarters off the hour too.
    #[test]
    fn days_from_quarters_are_each_donation_s_day() {
        let eur = crate::money::Currency::parse("EUR").unwrap();
        let at = |s: &str| Timestamp::from_millis(s.parse::<jiff::Timestamp>().unwrap().as_millisecond());
        let logged: Vec<Logged> = [
            ("2026-12-31T18:14:59Z", 100),
            ("2026-12-31T18:15:00Z", 200),
            ("2026-12-31T22:59:00Z", 400),
            ("2026-12-31T23:00:00Z", 800),
            ("2027-01-01T10:29:00Z", 1600),
        ]
        .iter()
        .enumerate()
        .map(|(i, (t, amount))| {
            let mut d = Donation::new(format!("d{i}"), "l".into(), *amount, eur, None, false, None, "x".into());
            d.at = at(t);
            Logged { donation: d, refunded_at: None, reference: None, moderated_by: None }
        })
        .collect();
        let q = quarters(&logged);
        for zone in ["UTC", "Europe/Paris", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns"] {
            let style = CsvStyle {
                excel: false,
                french: false,
                zone: Some((jiff::tz::TimeZone::get(zone).unwrap(), zone.into())),
            };
            let mut direct: std::collections::BTreeMap<String, (u64, i64)> = Default::default();
            for l in &logged {
                let e = direct.entry(style.day(l.donation.at)).or_default();
                *e = (e.0 + 1, e.1 + l.donation.amount);
            }
            let direct: Vec<Value> = direct
                .into_iter()
                .map(|(date, (n, raised))| json!({"date": date, "donations": n, "raised": raised, "matched": 0, "total": raised}))
                .collect();
            assert_eq!(days_of(&q, &style), direct, "{zone}");
        }
    }
}
