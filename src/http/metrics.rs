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
    if app.config.backup_dir.is_some() {
        use std::sync::atomic::Ordering::Relaxed;
        let b = &app.backups;
        out.gauge(
            "cagnotte_backup_last_success_timestamp_seconds",
            "Unix time of the newest backup the server took by itself (0: none yet).",
            b.last_success.load(Relaxed),
        );
        out.gauge("cagnotte_backup_last_seq", "Seq of the newest event that backup holds.", b.last_seq.load(Relaxed));
        out.head("cagnotte_backup_failures_total", "counter", "Backups the server could not take.");
        out.sample("cagnotte_backup_failures_total", &[], b.failures.load(Relaxed));
    }

    out.head(
        "cagnotte_public_answers_made_total",
        "counter",
        "Public answers made (a campaign's day by day, a live's or a campaign's donors, their thank-you's names), each shared by whoever asked meanwhile.",
    );
    let p = &app.public;
    for (what, made) in [("days", &p.days.makes), ("donors", &p.donors.makes), ("thanked", &p.thanked.makes)] {
        out.sample(
            "cagnotte_public_answers_made_total",
            &[("what", what)],
            made.load(std::sync::atomic::Ordering::Relaxed),
        );
    }
    out.gauge("cagnotte_lives", "Lives, all campaigns together.", app.views.lives.len());
    let mut campaigns: Vec<(String, &'static str, Totals)> =
        app.views.campaigns.iter().map(|c| (c.key().clone(), c.campaign.currency.code(), c.totals)).collect();
    campaigns.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.gauge("cagnotte_campaigns", "Campaigns.", campaigns.len());
    let gauge = "gauge";
    families(
        &mut out,
        [
            ("cagnotte_campaign_raised_minor_units", gauge, "Donations not refunded, in minor units of the currency."),
            ("cagnotte_campaign_matched_minor_units", gauge, "Sponsor money those donations earned, in minor units."),
            ("cagnotte_campaign_donations", gauge, "Donations not refunded."),
        ],
        campaigns.iter().map(|(id, currency, t)| {
            (vec![("campaign", id.as_str()), ("currency", *currency)], [t.raised, t.matched, t.donations as i64])
        }),
    );
    families(
        &mut out,
        [
            (
                "cagnotte_campaign_overlays",
                gauge,
                "Overlay sessions (with a token) following the campaign's own stream.",
            ),
            ("cagnotte_campaign_viewers", gauge, "Public page sessions following the campaign's public stream."),
            (
                "cagnotte_campaign_totals_followers",
                gauge,
                "Sessions following the campaign's totals stream (the lives' overlays and pages that show the whole campaign).",
            ),
        ],
        campaigns.iter().map(|(id, _, _)| {
            let (overlays, viewers) = app.hub.campaign_watchers(id);
            let (_, followers) = app.hub.watchers(&crate::hub::Hub::totals_key(id));
            (vec![("campaign", id.as_str())], [overlays as i64, viewers as i64, followers as i64])
        }),
    );

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
    families(
        &mut out,
        [
            (
                "cagnotte_live_raised_minor_units",
                gauge,
                "The live's donations not refunded, in minor units of the currency.",
            ),
            ("cagnotte_live_matched_minor_units", gauge, "Sponsor money the live's donations earned, in minor units."),
            ("cagnotte_live_donations", gauge, "The live's donations not refunded."),
        ],
        lives.iter().map(|l| {
            let labels = vec![("campaign", l.campaign.as_str()), ("live", l.id.as_str()), ("currency", l.currency)];
            (labels, [l.totals.raised, l.totals.matched, l.totals.donations as i64])
        }),
    );
    families(
        &mut out,
        [
            (
                "cagnotte_live_on_air",
                gauge,
                "1 while the live's schedule says it is on air (scheduled_at, for its duration).",
            ),
            ("cagnotte_live_overlays", gauge, "Overlay sessions (with a token) following the live."),
            ("cagnotte_live_viewers", gauge, "Public page sessions following the live."),
        ],
        lives.iter().map(|l| {
            let (overlays, viewers) = app.hub.live_watchers(&l.id);
            (
                vec![("campaign", l.campaign.as_str()), ("live", l.id.as_str())],
                [i64::from(l.on_air), overlays as i64, viewers as i64],
            )
        }),
    );

    families(
        &mut out,
        [
            ("cagnotte_webhook_delivered_total", "counter", "Events delivered to the receiver."),
            ("cagnotte_webhook_dropped_total", "counter", "Events given up after a day of retries."),
            (
                "cagnotte_webhook_backlog_events",
                gauge,
                "Events of the log after the receiver's position (not all of them may be for it).",
            ),
            ("cagnotte_webhook_failed_attempts", gauge, "Failed attempts in a row (0 once delivered)."),
        ],
        webhooks.iter().map(|s| {
            let values = [s.delivered, s.dropped, committed.saturating_sub(s.cursor), u64::from(s.attempts)];
            (vec![("webhook", s.subscriber_id.as_str())], values.map(|v| v as i64))
        }),
    );
    let mut receipts: Vec<_> = app
        .receipts
        .counts()
        .into_iter()
        .filter_map(|(id, accepted, refused)| {
            let provider = app.views.integrations.get(&id)?.provider.as_str();
            Some((id, provider, accepted, refused))
        })
        .collect();
    receipts.sort_unstable();
    families(
        &mut out,
        [
            (
                "cagnotte_integration_accepted_total",
                "counter",
                "Deliveries of a payment provider to the integration's URL answered 2xx, since the start.",
            ),
            (
                "cagnotte_integration_refused_total",
                "counter",
                "Deliveries refused (a bad signature, an unreadable body, no live...), since the start.",
            ),
        ],
        receipts.iter().map(|(id, provider, accepted, refused)| {
            (vec![("integration", id.as_str()), ("provider", *provider)], [*accepted as i64, *refused as i64])
        }),
    );
    write_process(&mut out);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out.finish()).into_response())
}

/// Families of samples over the same rows: each family's head (name, type, help),
/// then one sample a row, the row's `i`-th value for the `i`-th family.
fn families<'a, const N: usize>(
    out: &mut Text,
    heads: [(&str, &str, &str); N],
    rows: impl Iterator<Item = (Vec<(&'a str, &'a str)>, [i64; N])>,
) {
    let rows: Vec<_> = rows.collect();
    for (i, (name, kind, help)) in heads.into_iter().enumerate() {
        out.head(name, kind, help);
        for (labels, values) in &rows {
            out.sample(name, labels, values[i]);
        }
    }
}
