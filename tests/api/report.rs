//! The campaign's report: donations and donors counted, the average, median and
//! largest gift, the refunds, and each day's donations on the organiser's clock.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_report_sums_the_campaign_by_day_on_the_organisers_clock() {
    let clock = ManualClock::at("2026-12-31T10:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    app.add_match(&live.campaign_id, json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 1000})).await;
    let mut ids = std::collections::HashMap::new();
    for (at, key, donor, amount, anonymous) in [
        ("2026-12-31T10:00:00Z", "ana", Some("Ana"), 1000, false),
        ("2026-12-31T22:30:00Z", "bob", Some("Bob"), 500, false),
        ("2026-12-31T22:40:00Z", "dan", Some("Dan"), 2500, false),
        ("2026-12-31T22:50:00Z", "eve", Some("Eve"), 1200, false),
        // Past midnight in Paris, not yet in UTC.
        ("2026-12-31T23:30:00Z", "chloe", Some("Chloé"), 3000, true),
        ("2026-12-31T23:40:00Z", "nameless", None, 700, false),
        ("2027-01-01T09:00:00Z", "ana2", Some(" ana "), 200, false),
    ] {
        clock.set(at);
        ids.insert(key, app.gift(&live, donor, amount, anonymous).await);
    }
    assert_eq!(app.refund(&live, &ids["dan"], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&live, &ids["eve"], json!({"refunded_amount": 400})).await, StatusCode::OK);

    let path = format!("/api/v1/campaigns/{}/report", live.campaign_id);
    let app = &app;
    let get = |query: &str| {
        let url = format!("{path}{query}");
        async move { app.request(reqwest::Method::GET, &url, Some(ADMIN), &[], None).await }
    };
    let (s, paris) = get("?tz=Europe/Paris").await;
    assert_eq!(s, StatusCode::OK, "{paris}");
    let largest = json!({
        "id": ids["chloe"], "amount": 3000, "at": "2026-12-31T23:30:00.000Z", "live_id": live.id,
        "host": "Corentin", "donor": "Chloé", "anonymous": true,
    });
    assert_eq!(
        paris,
        json!({
            "campaign_id": live.campaign_id, "currency": "EUR", "time_zone": "Europe/Paris",
            "totals": {"raised": 6200, "matched": 1000, "total": 7200, "donations": 6},
            // Ana twice under one name; Dan's gift given back whole does not count.
            "donors": 4, "unnamed_donations": 1,
            // 200, 500, 700, 800, 1 000 and 3 000: 6 200 / 6, and between 700 and 800.
            "average": 1033, "median": 750,
            "largest": largest,
            "refunds": {"whole": 1, "partial": 1, "amount": 2900},
            "by_day": [
                {"date": "2026-12-31", "donations": 3, "raised": 2300, "matched": 1000, "total": 3300},
                {"date": "2027-01-01", "donations": 3, "raised": 3900, "matched": 0, "total": 3900},
            ],
        })
    );
    // On UTC's clock, two of them are still on New Year's Eve.
    let (s, utc) = get("").await;
    assert_eq!(s, StatusCode::OK, "{utc}");
    assert_eq!(utc["time_zone"], "UTC");
    assert_eq!(
        utc["by_day"],
        json!([
            {"date": "2026-12-31", "donations": 5, "raised": 6000, "matched": 1000, "total": 7000},
            {"date": "2027-01-01", "donations": 1, "raised": 200, "matched": 0, "total": 200},
        ])
    );

    // The organisers' only; a clock that does not exist is refused.
    let (s, e) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = get("?tz=Mars/Olympus").await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{e}");
    let (s, e) = app.request(reqwest::Method::GET, "/api/v1/campaigns/nope/report", Some(ADMIN), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")), "{e}");

    // A campaign without a donation.
    let empty = app.eur_campaign().await;
    let (s, none) =
        app.request(reqwest::Method::GET, &format!("/api/v1/campaigns/{empty}/report"), Some(ADMIN), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{none}");
    assert_eq!(
        (
            none["donors"].clone(),
            none["average"].clone(),
            none["median"].clone(),
            none["largest"].clone(),
            none["by_day"].clone()
        ),
        (json!(0), json!(0), json!(0), json!(null), json!([]))
    );
}
