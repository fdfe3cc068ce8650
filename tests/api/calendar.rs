//! The schedule as a calendar to subscribe to (`calendar.ics`): exact
//! iCalendar, folded and escaped, for a campaign, a live and a host's lives.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// The calendar's lines, unfolded, after checking it is CRLF-ended lines of at most 75 octets.
async fn ics(app: &TestApp, path: &str) -> Vec<String> {
    let res = app.client.get(format!("{}{path}", app.base)).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert_eq!(res.headers()["content-type"], "text/calendar; charset=utf-8");
    let body = res.text().await.unwrap();
    assert!(body.ends_with("\r\n"), "{body}");
    for line in body.trim_end_matches("\r\n").split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        assert!(!line.contains('\n'), "{line:?}");
    }
    body.replace("\r\n ", "").trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
}

#[tokio::test]
async fn the_schedule_is_a_calendar_to_subscribe_to() {
    let clock = ManualClock::at("2027-03-01T12:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "charity": "Les Restos du cœur, Paris"}))
        .await;
    let c = c["id"].as_str().unwrap().to_owned();
    let mon = app
        .live(
            &c,
            json!({"host": "Ana", "title": "Dessin, peinture", "platform": "twitch",
                   "scheduled_at": "2027-03-01T19:00:00Z", "duration_minutes": 90}),
        )
        .await;
    let tue = app.live(&c, json!({"host": "Zoé", "scheduled_at": "2027-03-02T18:00:00Z"})).await;
    let wed = app.live(&c, json!({"host": "ana", "scheduled_at": "2027-03-03T19:00:00Z"})).await;
    app.live(&c, json!({"host": "Ana", "title": "Sans date"})).await;
    let host = app.base.strip_prefix("http://").unwrap();
    let head = |name: &str| {
        vec![
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//Cagnotte//Cagnotte//FR".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            "METHOD:PUBLISH".to_owned(),
            format!("X-WR-CALNAME:{name}"),
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H".to_owned(),
            "X-PUBLISHED-TTL:PT1H".to_owned(),
        ]
    };
    let event = |l: &TestLive, start: &str, end: &str, summary: &str, en: bool, platform: bool| {
        let page = format!("{}/lives/{}{}", app.base, l.id, if en { "?lang=en" } else { "" });
        let description = if en {
            format!(
                "Charity live for Les Restos du cœur\\, Paris (Mars solidaire). Follow the fundraiser and donate: {page}"
            )
        } else {
            format!(
                "Live caritatif au profit de Les Restos du cœur\\, Paris (Mars solidaire). Suivre la cagnotte et donner\u{a0}: {page}"
            )
        };
        let mut v = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@{host}", l.id),
            "DTSTAMP:20270301T120000Z".to_owned(),
            format!("DTSTART:{start}"),
            format!("DTEND:{end}"),
            format!("SUMMARY:{summary}"),
            format!("DESCRIPTION:{description}"),
            format!("URL:{page}"),
        ];
        if platform {
            v.push("LOCATION:twitch".to_owned());
        }
        v.push("END:VEVENT".to_owned());
        v
    };
    let end = vec!["END:VCALENDAR".to_owned()];
    let monday = |en| event(&mon, "20270301T190000Z", "20270301T203000Z", "Ana — Dessin\\, peinture", en, true);
    let tuesday = event(&tue, "20270302T180000Z", "20270302T200000Z", "Zoé", false, false);
    let wednesday = |en| event(&wed, "20270303T190000Z", "20270303T210000Z", "ana", en, false);

    // The campaign's: every live with a date, in the schedule's order.
    assert_eq!(
        ics(&app, &format!("/api/v1/campaigns/{c}/calendar.ics")).await,
        [head("Mars solidaire"), monday(false), tuesday, wednesday(false), end.clone()].concat()
    );
    // A live's; a host's (without regard to case), in English.
    assert_eq!(
        ics(&app, &format!("/api/v1/lives/{}/calendar.ics", mon.id)).await,
        [head("Dessin\\, peinture — Mars solidaire"), monday(false), end.clone()].concat()
    );
    assert_eq!(
        ics(&app, &format!("/api/v1/lives/{}/calendar.ics?follow=host&lang=en", wed.id)).await,
        [head("ana — Mars solidaire"), monday(true), wednesday(true), end.clone()].concat()
    );
    // A live moved shows at the next read.
    let (s, l) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/lives/{}", tue.id),
            Some(ADMIN),
            &[],
            Some(json!({"scheduled_at": "2027-03-04T18:00:00Z"}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let lines = ics(&app, &format!("/api/v1/campaigns/{c}/calendar.ics")).await;
    assert_eq!(lines.iter().filter(|l| l.starts_with("DTSTART:")).count(), 3);
    assert_eq!(lines.iter().rev().find(|l| l.starts_with("DTSTART:")).unwrap(), "DTSTART:20270304T180000Z");
    // Given where to watch it: its place, and a line of its description.
    let (s, l) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/lives/{}", mon.id),
            Some(ADMIN),
            &[],
            Some(json!({"stream_url": "https://www.twitch.tv/ana"}).to_string()),
        )
        .await;
    assert_eq!((s, l["stream_url"].as_str()), (StatusCode::OK, Some("https://www.twitch.tv/ana")), "{l}");
    let lines = ics(&app, &format!("/api/v1/lives/{}/calendar.ics?lang=en", mon.id)).await;
    let page = format!("{}/lives/{}?lang=en", app.base, mon.id);
    let event = [
        format!(
            "DESCRIPTION:Charity live for Les Restos du cœur\\, Paris (Mars solidaire). Follow the fundraiser and donate: {page} Watch it: https://www.twitch.tv/ana"
        ),
        format!("URL:{page}"),
        "LOCATION:https://www.twitch.tv/ana".to_owned(),
    ];
    assert!(lines.windows(3).any(|w| w == event), "{lines:?}");

    for (path, status, code) in [
        (format!("/api/v1/lives/{}/calendar.ics?follow=all", mon.id), StatusCode::BAD_REQUEST, "invalid_query"),
        ("/api/v1/lives/nope/calendar.ics".to_owned(), StatusCode::NOT_FOUND, "live_not_found"),
        ("/api/v1/campaigns/nope/calendar.ics".to_owned(), StatusCode::NOT_FOUND, "campaign_not_found"),
    ] {
        let (s, e) = app.get(&path).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{path}: {e}");
    }
}
