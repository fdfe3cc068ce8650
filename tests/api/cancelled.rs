//! A live called off by the organisers (`PATCH /lives/{id} {"cancelled": true}`):
//! out of the next live, the follow links, the chat's next live; marked in the
//! calendar and on the streams; its donations still count; on again with `false`.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn patch(app: &TestApp, live: &TestLive, token: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/lives/{}", live.id);
    app.request(reqwest::Method::PATCH, &path, Some(token), &[], Some(body.to_string())).await
}

#[tokio::test]
async fn a_live_called_off_leaves_the_schedule_and_keeps_its_donations() {
    let clock = ManualClock::at("2027-03-02T12:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app.eur_campaign().await;
    let at = |when: &str, title: &str| json!({"host": "Ana", "title": title, "scheduled_at": when});
    let mon = app.live(&c, at("2027-03-01T19:00:00Z", "Dessin")).await;
    let wed = app.live(&c, at("2027-03-03T19:00:00Z", "Concert")).await;
    let fri = app.live(&c, at("2027-03-05T19:00:00Z", "Quiz")).await;
    app.donate_ok(&wed, 1000).await;
    let doc = || async { app.get(&format!("/api/v1/campaigns/{c}")).await.1 };
    let chat = || async {
        let url = format!("{}/api/v1/campaigns/{c}/chat?say=next", app.base);
        app.client.get(url).send().await.unwrap().text().await.unwrap()
    };
    assert_eq!(doc().await["next_live"]["id"], wed.id.as_str());
    assert_eq!(chat().await, "Prochain live\u{a0}: Ana — Concert, mercredi 3 mars à 19:00 (UTC).");
    let mut ws = app.ws(&wed, None).await;
    ws.next().await;

    // Only the organisers call a live off; a wrong value changes nothing.
    assert_eq!(patch(&app, &wed, &wed.key, json!({"cancelled": true})).await.0, StatusCode::FORBIDDEN);
    let (s, e) = patch(&app, &wed, ADMIN, json!({"cancelled": "yes"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(doc().await["next_live"]["id"], wed.id.as_str());

    let (s, l) = patch(&app, &wed, ADMIN, json!({"cancelled": true})).await;
    assert_eq!((s, l["status"].as_str(), l["cancelled"].as_bool()), (StatusCode::OK, Some("cancelled"), Some(true)));
    let frame = ws.until("live_updated").await;
    assert_eq!(frame["live"]["cancelled"], true);
    let d = doc().await;
    let statuses: Vec<(&str, &str)> = d["lives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [(mon.id.as_str(), "past"), (wed.id.as_str(), "cancelled"), (fri.id.as_str(), "upcoming")]);
    assert_eq!(d["next_live"]["id"], fri.id.as_str());
    assert_eq!(chat().await, "Prochain live\u{a0}: Ana — Quiz, vendredi 5 mars à 19:00 (UTC).");
    // On Wednesday evening, Ana's follow link shows Friday's countdown, not a live that will not be.
    clock.set("2027-03-03T19:30:00Z");
    assert_eq!(doc().await["hosts"][0]["live_id"], fri.id.as_str());
    // Its calendar event stays, marked, so that subscribers see it go.
    let url = format!("{}/api/v1/lives/{}/calendar.ics", app.base, wed.id);
    let ics = app.client.get(url).send().await.unwrap().text().await.unwrap().replace("\r\n ", "");
    assert!(ics.contains("\r\nSUMMARY:Annulé — Ana — Concert\r\n"), "{ics}");
    assert!(ics.contains("\r\nSTATUS:CANCELLED\r\n"), "{ics}");
    // Its money still counts, and a late payment too.
    assert_eq!(app.donate_ok(&wed, 500).await["totals"]["raised"], 1500);

    // On again, and kept across a restart either way.
    let (s, l) = patch(&app, &wed, ADMIN, json!({"cancelled": false})).await;
    assert_eq!((s, l["status"].as_str(), l["cancelled"].as_bool()), (StatusCode::OK, Some("current"), Some(false)));
    assert_eq!(doc().await["hosts"][0]["live_id"], wed.id.as_str());
    patch(&app, &wed, ADMIN, json!({"cancelled": true})).await;
    let app = app.restart().await;
    let (_, l) = app.get(&format!("/api/v1/lives/{}", wed.id)).await;
    assert_eq!((l["status"].as_str(), l["totals"]["raised"].as_i64()), (Some("cancelled"), Some(1500)));
}
