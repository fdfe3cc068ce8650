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
