//! The schedule as a calendar (iCalendar, RFC 5545) that viewers, hosts and
//! organisers add to their own: a subscription follows the lives as they are
//! added or moved.
//!
//! - `GET /api/v1/campaigns/{id}/calendar.ics[?lang=en]`: every scheduled live;
//! - `GET /api/v1/lives/{id}/calendar.ics[?lang=en&follow=host]`: the live, or
//!   every scheduled live of its host in the campaign.
//!
//! Public like the public pages. Times are UTC (`…Z`): every calendar shows
//! them on its own clock. A live called off stays, marked `STATUS:CANCELLED`
//! (and "Annulé" in its title), so that subscribers see it go. Written here rather than with a crate: the format
//! needs a few properties, escaping and line folding, and the calendar crates
//! bring a second date library.

use super::Path;
use super::api::base_url;
use super::overlay::lang;
use crate::app::AppState;
use crate::domain::{Campaign, Live, Timestamp};
use crate::error::ApiError;
use crate::views::live_end;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/campaigns/{id}/calendar.ics", get(campaign_calendar))
        .route("/api/v1/lives/{id}/calendar.ics", get(live_calendar))
}

async fn campaign_calendar(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let c =
        app.views.campaign(&id).ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let lives: Vec<Live> = c.lives.iter().filter_map(|l| app.views.with_live(l, |l| l.live.clone())).collect();
    let name = c.campaign.name.clone();
    respond(&app, &headers, &q, &c.campaign, &name, &lives)
}

async fn live_calendar(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("live_not_found", "no live has this id");
    let live = app.views.with_live(&id, |l| l.live.clone()).ok_or_else(not_found)?;
    let c = app.views.campaign(&live.campaign_id).ok_or_else(not_found)?;
    let (name, lives) = if super::overlay::follow_host(&q)? {
        (format!("{} — {}", live.host, c.campaign.name), app.views.host_lives(&id).ok_or_else(not_found)?)
    } else {
        (format!("{} — {}", live.title.as_deref().unwrap_or(&live.host), c.campaign.name), vec![live])
    };
    respond(&app, &headers, &q, &c.campaign, &name, &lives)
}

fn respond(
    app: &AppState,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    campaign: &Campaign,
    name: &str,
    lives: &[Live],
) -> Result<Response, ApiError> {
    let ics = calendar(&base_url(app, headers), lang(q) == "fr", campaign, name, lives, app.now());
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"cagnotte.ics\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        ics,
    )
        .into_response())
}

/// The calendar of `lives` (those with a date), named `name`, as of `now`.
pub fn calendar(base: &str, french: bool, campaign: &Campaign, name: &str, lives: &[Live], now: Timestamp) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Cagnotte//Cagnotte//FR".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", escape(name)),
        // Subscriptions look again every hour: a live added or moved shows up.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H".to_owned(),
        "X-PUBLISHED-TTL:PT1H".to_owned(),
    ];
    let mut scheduled: Vec<&Live> = lives.iter().filter(|l| l.scheduled_at.is_some()).collect();
    scheduled.sort_by_key(|l| (l.scheduled_at, l.created_at));
    let host = base.split("://").nth(1).unwrap_or(base);
    let cause = campaign.charity.as_deref().filter(|c| !c.is_empty()).unwrap_or(&campaign.name);
    for l in scheduled {
        let (Some(start), Some(end)) = (l.scheduled_at, live_end(l)) else { continue };
        let page = format!("{base}/lives/{}{}", l.id, if french { "" } else { "?lang=en" });
        let mut summary = match l.title.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => format!("{} — {t}", l.host),
            None => l.host.clone(),
        };
        // Called off: said in its title too, as some calendars leave out `STATUS`.
        if l.cancelled {
            summary = format!("{} — {summary}", if french { "Annulé" } else { "Cancelled" });
        }
        let mut description = if french {
            format!(
                "Live caritatif au profit de {cause} ({}). Suivre la cagnotte et donner\u{a0}: {page}",
                campaign.name
            )
        } else {
            format!("Charity live for {cause} ({}). Follow the fundraiser and donate: {page}", campaign.name)
        };
        if let Some(url) = &l.stream_url {
            description +=
                &if french { format!(" Regarder le live\u{a0}: {url}") } else { format!(" Watch it: {url}") };
        }
        lines.push("BEGIN:VEVENT".to_owned());
        lines.push(format!("UID:{}@{host}", l.id));
        lines.push(format!("DTSTAMP:{}", utc(now)));
        lines.push(format!("DTSTART:{}", utc(start)));
        lines.push(format!("DTEND:{}", utc(end)));
        lines.push(format!("SUMMARY:{}", escape(&summary)));
        lines.push(format!("DESCRIPTION:{}", escape(&description)));
        lines.push(format!("URL:{page}"));
        if l.cancelled {
            lines.push("STATUS:CANCELLED".to_owned());
        }
        // Where it is watched: its link (calendars make it one), else its platform's name.
        if let Some(p) = l.stream_url.as_ref().or(l.platform.as_ref()) {
            lines.push(format!("LOCATION:{}", escape(p)));
        }
        lines.push("END:VEVENT".to_owned());
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        fold(&mut out, &line);
    }
    out
}

/// `20270301T190000Z`.
fn utc(t: Timestamp) -> String {
    let at = jiff::Timestamp::from_millisecond(t.millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value: backslashes, semicolons, commas and line breaks escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` in lines of at most 75 octets (the next ones start with a
/// space), never inside a character, each ended by CRLF.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_between_characters() {
        let mut out = String::new();
        let line = format!("DESCRIPTION:{}", "é".repeat(40));
        fold(&mut out, &line);
        let parts: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(parts.iter().all(|p| p.len() <= 75), "{parts:?}");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.concat().replacen(" ", "", 1), line, "unfolding gives the line back");
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
