//! An English-speaking evening in pounds with several streams on air at once:
//! the held texts of gifts refunded whole, the chat's lines naming every live
//! on air and grouping their counts, the spreadsheets' words for states, and
//! the help texts' examples in the campaign's currency.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A pound campaign for a charity.
async fn gbp_campaign(app: &TestApp, body: Value) -> String {
    let mut b = json!({"name": "Spring Stream", "currency": "GBP", "charity": "Shelter"});
    b.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    app.campaign(b).await["id"].as_str().unwrap().to_owned()
}

async fn give(app: &TestApp, live: &TestLive, body: Value) -> Value {
    let (s, d) = app.donate(live, body).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    d["donation"].clone()
}

/// The ids of the texts a live's moderation lists as held, as the host's
/// space and the dashboard read them.
async fn held(app: &TestApp, live: &TestLive) -> Vec<String> {
    let path = format!("/api/v1/lives/{}/moderation", live.id);
    let (s, m) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    m["pending"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

/// A gift refunded whole has nothing left to show: its held text leaves the
/// moderation queue and its count (the refund's frame says so to the pages),
/// a gift refunded in part stays there; the same after a restart.
#[tokio::test]
async fn held_texts_of_gifts_refunded_whole_leave_the_moderation_queue() {
    let app = spawn_app().await;
    let c = gbp_campaign(&app, json!({})).await;
    let live = app.live(&c, json!({"host": "Alice"})).await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let mut ids = Vec::new();
    for (donor, message) in [("Ann", "Go Alice!"), ("Ben", "For Shelter"), ("Cat", "Sing!"), ("Dan", "Cheers")] {
        let d = give(&app, &live, json!({"amount": 2000, "currency": "GBP", "donor": donor, "message": message})).await;
        assert_eq!(d["moderation"], "pending", "{d}");
        ids.push(d["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(held(&app, &live).await, ids);
    let seq = app.events(&live, 0).await.last().unwrap()["seq"].as_u64().unwrap();

    assert_eq!(app.refund(&live, &ids[1], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&live, &ids[2], json!({"refunded_amount": 500})).await, StatusCode::OK);
    let waiting = vec![ids[0].clone(), ids[2].clone(), ids[3].clone()];
    assert_eq!(held(&app, &live).await, waiting);
    // The frame that tells the pages to read the list again, and why it left.
    let frames = app.events(&live, seq).await;
    let refund = frames.iter().find(|f| f["type"] == "refund").expect("a refund frame");
    assert_eq!(
        (refund["donation"]["id"].as_str(), &refund["donation"]["refunded"]),
        (Some(ids[1].as_str()), &json!(true))
    );
    // Setting the moderation answers the same list.
    let m = app.moderate(&live, json!({"mode": "manual"})).await;
    assert_eq!(m["pending"].as_array().unwrap().len(), 3, "{m}");

    // A text approved, then the rest after a restart: the same list.
    let (s, _) = app.post(&format!("/api/v1/donations/{}/approve", ids[3]), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let app = app.restart().await;
    assert_eq!(held(&app, &live).await, [ids[0].clone(), ids[2].clone()]);
    assert_eq!(app.refund(&live, &ids[0], json!({})).await, StatusCode::OK);
    assert_eq!(held(&app, &live).await, [ids[2].clone()]);
    let app = app.restart().await;
    assert_eq!(held(&app, &live).await, [ids[2].clone()]);
}

/// The lives' and the sponsors' spreadsheets in English say their states in
/// words, as the French ones do; the exports for programs keep the codes.
#[tokio::test]
async fn english_spreadsheets_say_states_in_words() {
    let clock = ManualClock::at("2027-04-10T19:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = gbp_campaign(&app, json!({})).await;
    for body in [
        json!({"id": "acme", "sponsor": "Acme", "ratio": [1, 1], "cap": 1000}),
        json!({"id": "bakery", "sponsor": "Bakery", "ratio": [1, 1], "cap": 100000}),
        json!({"id": "later", "sponsor": "Later Ltd", "ratio": [1, 1], "cap": 5000, "starts_at": "2027-05-01T00:00:00Z"}),
        json!({"id": "over", "sponsor": "Over Ltd", "ratio": [1, 1], "cap": 5000,
               "starts_at": "2027-04-01T00:00:00Z", "ends_at": "2027-04-02T00:00:00Z"}),
    ] {
        app.add_match(&c, body).await;
    }
    let now = app.live(&c, json!({"id": "now", "host": "Alice", "scheduled_at": "2027-04-10T19:00:00Z"})).await;
    app.live(&c, json!({"id": "soon", "host": "Bob", "scheduled_at": "2027-04-11T19:00:00Z"})).await;
    app.live(&c, json!({"id": "done", "host": "Chloë", "scheduled_at": "2027-04-09T19:00:00Z"})).await;
    app.live(&c, json!({"id": "someday", "host": "Dan"})).await;
    app.live(&c, json!({"id": "off", "host": "Eve", "scheduled_at": "2027-04-12T19:00:00Z"})).await;
    let (s, v) = app.patch_live("off", json!({"cancelled": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    give(&app, &now, json!({"amount": 2000, "currency": "GBP", "donor": "Ann"})).await;

    let csv = async |path: String| -> String {
        let res = app.client.get(format!("{}{path}", app.base)).bearer_auth(ADMIN).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap().trim_start_matches('\u{feff}').to_owned()
    };
    // The state of each row: the fifth column of the lives, the ninth of the matches.
    let column = |text: &str, sep: char, at: usize| -> Vec<String> {
        text.lines().skip(1).map(|l| l.split(sep).nth(at).unwrap_or_default().to_owned()).collect()
    };
    let lives = format!("/api/v1/campaigns/{c}/lives.csv");
    let matches = format!("/api/v1/campaigns/{c}/matches.csv");
    let english = csv(format!("{lives}?excel=1&lang=en")).await;
    // In schedule order: Chloë's, Alice's, Bob's, Eve's, Dan's.
    assert_eq!(column(&english, ',', 4), ["Ended", "Live now", "Upcoming", "Cancelled", "Not scheduled", ""]);
    assert_eq!(
        english.lines().next(),
        Some("live id,host,title,date (UTC),status,donations,raised,matched,total,currency")
    );
    let french = csv(format!("{lives}?excel=1&lang=fr")).await;
    assert_eq!(column(&french, ';', 4), ["terminé", "en cours", "à venir", "annulé", "non programmé", ""]);
    let plain = csv(lives).await;
    assert_eq!(column(&plain, ',', 4), ["past", "current", "upcoming", "cancelled", "unscheduled"]);

    let english = csv(format!("{matches}?excel=1&lang=en")).await;
    assert_eq!(column(&english, ',', 8), ["Used up", "Active", "Not started", "Ended", ""]);
    let french = csv(format!("{matches}?excel=1&lang=fr")).await;
    assert_eq!(column(&french, ';', 8), ["épuisé", "en cours", "à venir", "terminé", ""]);
    let plain = csv(matches).await;
    assert_eq!(column(&plain, ',', 8), ["used_up", "active", "pending", "ended"]);
}