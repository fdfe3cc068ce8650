//! The counter a charity puts on its own website, in an `<iframe>`: the total
//! raised, the goal and its bar, a donate button, kept current from the public
//! stream. Public data only and no action, so any site may frame it.
//!
//! - `GET /campaigns/{id}/embed[?lang=en&theme=dark]`: the campaign's;
//! - `GET /lives/{id}/embed[?lang=en&theme=dark&follow=host]`: a live's (its
//!   own goal); with `follow=host`, `302` to the host's live of the moment.

use super::Path;
use super::overlay::lang;
use super::pages::{beneficiary, safe_url};
use crate::app::AppState;
use crate::error::ApiError;
use crate::money::Currency;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

/// Framed by any site: it shows what the public pages show and does nothing.
pub const EMBED_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors *";

pub fn router() -> Router<AppState> {
    Router::new().route("/campaigns/{id}/embed", get(campaign_embed)).route("/lives/{id}/embed", get(live_embed))
}

/// Its files, compiled into the binary (served under `/static/`).
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match name {
        "embed.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/embed.js")),
        "embed.css" => ("text/css; charset=utf-8", include_bytes!("../../static/embed.css")),
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage<'a> {
    lang: &'static str,
    theme: &'static str,
    kind: &'static str,
    id: &'a str,
    name: &'a str,
    /// The page viewers follow it on.
    page: String,
    currency: &'static str,
    /// Minor units, for the script.
    total: i64,
    total_text: String,
    raised_for: String,
    /// Minor units, empty without a goal.
    goal: String,
    goal_text: String,
    donate_url: &'a str,
    donate: &'static str,
    /// The campaign's opening and end: the counter shows its donate button
    /// only while it is open, else when it opens or its thanks.
    window: super::pages::Window,
    over_text: &'static str,
    soon_text: &'static str,
}

/// What one counter shows.
struct Counter<'a> {
    kind: &'static str,
    id: &'a str,
    name: &'a str,
    beneficiary: &'a str,
    currency: Currency,
    total: i64,
    goal: Option<i64>,
    donate_url: Option<&'a String>,
    /// The campaign's opening and end ([`super::pages::campaign_window`]).
    window: super::pages::Window,
}

/// `light` (the default) or `dark`.
fn theme(q: &HashMap<String, String>) -> Result<&'static str, ApiError> {
    match q.get("theme").map(String::as_str) {
        None | Some("light") => Ok("light"),
        Some("dark") => Ok("dark"),
        Some(other) => Err(ApiError::bad_request("invalid_query", format!("theme is light or dark, not {other:?}"))
            .with("field", "theme")),
    }
}

fn render(q: &HashMap<String, String>, c: Counter<'_>) -> Result<Response, ApiError> {
    let lang = lang(q);
    let french = lang == "fr";
    let theme = theme(q)?;
    let money = |m| c.currency.format_for(m, french);
    let goal = c.goal.filter(|g| *g > 0);
    let goal_text = goal.map_or(String::new(), |g| {
        let pct = c.total.saturating_mul(100) / g;
        if french {
            format!("{pct}\u{a0}% de l'objectif de {}", money(g))
        } else {
            format!("{pct}% of the {} goal", money(g))
        }
    });
    let page = EmbedPage {
        lang,
        theme,
        kind: c.kind,
        id: c.id,
        name: c.name,
        page: format!("/{}s/{}?lang={lang}", c.kind, c.id),
        currency: c.currency.code(),
        total: c.total,
        total_text: money(c.total),
        raised_for: if french {
            format!("récoltés pour {}", c.beneficiary)
        } else {
            format!("raised for {}", c.beneficiary)
        },
        goal: goal.map_or(String::new(), |g| g.to_string()),
        goal_text,
        donate_url: safe_url(c.donate_url),
        donate: if french { "Faire un don" } else { "Donate" },
        window: c.window,
        over_text: if french { "Collecte terminée\u{a0}: merci\u{a0}!" } else { "The fundraiser is over: thank you!" },
        soon_text: if french { "La collecte n'est pas encore ouverte." } else { "The fundraiser is not open yet." },
    };
    let html = page.render().map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::CONTENT_SECURITY_POLICY, EMBED_CSP), (header::CACHE_CONTROL, "no-store")], Html(html))
        .into_response())
}

async fn campaign_embed(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let c =
        app.views.campaign(&id).ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let cp = &c.campaign;
    render(
        &q,
        Counter {
            kind: "campaign",
            id: &cp.id,
            name: &cp.name,
            beneficiary: beneficiary(cp),
            currency: cp.currency,
            total: c.totals.total,
            goal: cp.goal,
            donate_url: cp.donate_url.as_ref(),
            window: super::pages::campaign_window(cp, app.now()),
        },
    )
}

async fn live_embed(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("live_not_found", "no live has this id");
    if !app.views.has_live(&id) {
        return Err(not_found());
    }
    // A host's counter for their month of lives: the one of the moment.
    if super::overlay::follow_host(&q)? {
        let shown = super::overlay::followed_live(&app, &id)?;
        let query = format!("lang={}&theme={}", lang(&q), theme(&q)?);
        return Ok(super::pages::found(&format!("/lives/{shown}/embed?{query}")));
    }
    let l = app.views.live(&id).ok_or_else(not_found)?;
    let c = app.views.campaign(&l.live.campaign_id).ok_or_else(not_found)?;
    let cp = &c.campaign;
    let name = match l.live.title.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => format!("{} — {t}", l.live.host),
        None => l.live.host.clone(),
    };
    render(
        &q,
        Counter {
            kind: "live",
            id: &l.live.id,
            name: &name,
            beneficiary: beneficiary(cp),
            currency: l.currency,
            total: l.totals.total,
            goal: l.live.goal,
            donate_url: l.live.donate_url.as_ref().or(cp.donate_url.as_ref()),
            window: super::pages::campaign_window(cp, app.now()),
        },
    )
}
