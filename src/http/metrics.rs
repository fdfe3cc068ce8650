//! `GET /metrics` (admin token): the server's figures in Prometheus' text format,
//! for a scraper that sends the admin token as its bearer token.

use crate::app::AppState;
use crate::domain::Totals;
use crate::error::ApiError;
use crate::metrics::{Text, write_process};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// What `/metrics` says of one live.
struct Live {
    campaign: String,
    id: String,
    currency: &'static str,
    totals: Totals,
    on_air: bool,
}

async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    app.require_admin(&headers)?;
    let webhooks = crate::webhooks::outbox::statuses(&app.config.data_dir).await.map_err(ApiError::internal)?;
    let committed = *app.committed.borrow();
    let mut out = Text::default();
    out.head("cagnotte_build_info", "gauge", "The running version.");
    out.sample("cagnotte_build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
    out.gauge("cagnotte_ledger_seq", "Seq of the newest committed event of the log.", committed);
    out.gauge(
        "cagnotte_ledger_replay_seconds",
        "Time the start-up replay of the log took.",
        app.replayed_in.as_secs_f64(),
    );
    app.ledger.stats().write(&mut out);
    app.metrics.write(&mut out);

    out.gauge("cagnotte_lives", "Lives, all campaigns together.", app.views.lives.len());
    let mut campaigns: Vec<(String, &'static str, Totals)> =
        app.views.campaigns.iter().map(|c| (c.key().clone(), c.campaign.currency.code(), c.totals)).collect();
    campaigns.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.gauge("cagnotte_campaigns", "Campaigns.", campaigns.len());
    let per_campaign = [
        ("cagnotte_campaign_raised_minor_units", "Donations not refunded, in minor units of the currency."),
        ("cagnotte_campaign_matched_minor_units", "Sponsor money those donations earned, in minor units."),
        ("cagnotte_campaign_donations", "Donations not refunded."),
    ];
    for (i, (name, help)) in per_campaign.into_iter().enumerate() {
        out.head(name, "gauge", help);
        for (id, currency, t) in &campaigns {
            let value = [t.raised, t.matched, t.donations as i64][i];
            out.sample(name, &[("campaign", id), ("currency", currency)], value);
        }
    }
    let campaign_watchers: Vec<(usize, usize)> =
        campaigns.iter().map(|(id, _, _)| app.hub.watchers(&crate::hub::Hub::campaign_key(id))).collect();
    let per_campaign_watchers = [
        ("cagnotte_campaign_overlays", "Overlay sessions (with a token) following the campaign's own stream."),
        ("cagnotte_campaign_viewers", "Public page sessions following the campaign's own stream."),
    ];
    for (i, (name, help)) in per_campaign_watchers.into_iter().enumerate() {
        out.head(name, "gauge", help);
        for ((id, _, _), w) in campaigns.iter().zip(&campaign_watchers) {
            out.sample(name, &[("campaign", id)], [w.0, w.1][i]);
        }
    }

    // A series per live (a campaign of three lives a week for a month has a
    // dozen): an operator can be told when a live is on air and no overlay follows it.
    let now = app.now();
    let mut lives: Vec<Live> = app
        .views
        .lives
        .iter()
        .map(|l| Live {
            campaign: l.live.campaign_id.clone(),
            id: l.key().clone(),
            currency: l.currency.code(),
            totals: l.totals,
            on_air: crate::views::live_status(&l.live, now) == "current",
        })
        .collect();
    lives.sort_unstable_by(|a, b| (&a.campaign, &a.id).cmp(&(&b.campaign, &b.id)));
    let watchers: Vec<(usize, usize)> = lives.iter().map(|l| app.hub.watchers(&l.id)).collect();
    let per_live_totals = [
        ("cagnotte_live_raised_minor_units", "The live's donations not refunded, in minor units of the currency."),
        ("cagnotte_live_matched_minor_units", "Sponsor money the live's donations earned, in minor units."),
        ("cagnotte_live_donations", "The live's donations not refunded."),
    ];
    for (i, (name, help)) in per_live_totals.into_iter().enumerate() {
        out.head(name, "gauge", help);
        for l in &lives {
            let value = [l.totals.raised, l.totals.matched, l.totals.donations as i64][i];
            out.sample(name, &[("campaign", &l.campaign), ("live", &l.id), ("currency", l.currency)], value);
        }
    }
    let per_live = [
        ("cagnotte_live_on_air", "1 while the live's schedule says it is on air (scheduled_at, for its duration)."),
        ("cagnotte_live_overlays", "Overlay sessions (with a token) following the live."),
        ("cagnotte_live_viewers", "Public page sessions following the live."),
    ];
    for (i, (name, help)) in per_live.into_iter().enumerate() {
        out.head(name, "gauge", help);
        for (l, w) in lives.iter().zip(&watchers) {
            out.sample(name, &[("campaign", &l.campaign), ("live", &l.id)], [usize::from(l.on_air), w.0, w.1][i]);
        }
    }

    let per_webhook = [
        ("cagnotte_webhook_delivered_total", "counter", "Events delivered to the receiver."),
        ("cagnotte_webhook_dropped_total", "counter", "Events given up after a day of retries."),
        (
            "cagnotte_webhook_backlog_events",
            "gauge",
            "Events of the log after the receiver's position (not all of them may be for it).",
        ),
        ("cagnotte_webhook_failed_attempts", "gauge", "Failed attempts in a row (0 once delivered)."),
    ];
    for (i, (name, kind, help)) in per_webhook.into_iter().enumerate() {
        out.head(name, kind, help);
        for s in &webhooks {
            let value = [s.delivered, s.dropped, committed.saturating_sub(s.cursor), u64::from(s.attempts)][i];
            out.sample(name, &[("webhook", &s.subscriber_id)], value);
        }
    }
    write_process(&mut out);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out.finish()).into_response())
}
