//! A donor's name and message erased at their request: gone from the state,
//! the leaderboards, the frames (live, resumed, read back from the log), the
//! exports and every file of the data directory; the money still counts.

use crate::helpers::{ADMIN, TestApp, TestLive, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;

const NAME: &str = "Inès Lambert";
const MESSAGE: &str = "Pour ma sœur Clémentine";

/// The files of the data directory that hold `text`, by name.
fn files_holding(dir: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(text.len()).any(|w| w == text.as_bytes()) {
                found.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found
}

async fn erase(app: &TestApp, donation_id: &str, token: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/donations/{donation_id}/erase"), Some(token), json!({})).await
}

async fn csv(app: &TestApp, live: &TestLive) -> String {
    let url = format!("{}/api/v1/campaigns/{}/donations.csv", app.base, live.campaign_id);
    let res = app.client.get(url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

/// No trace of the name or the message in `text`.
fn clean(what: &str, text: &str) {
    assert!(!text.contains("Inès") && !text.contains("Clémentine"), "{what} still names her: {text}");
}

#[tokio::test]
async fn an_erased_donor_leaves_no_trace_and_their_money_still_counts() {
    let app = spawn_app().await;
    let live = app.setup().await;
    // Where the live's stream stands before her gift: a resume from there is served from memory.
    let start = app.ws(&live, None).await.next().await["seq"].as_u64().unwrap();
    let (s, d) = app.donate(&live, json!({"amount": 2500, "currency": "EUR", "donor": NAME, "message": MESSAGE})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let ines = d["donation"]["id"].as_str().unwrap().to_owned();
    app.donate(&live, json!({"amount": 1000, "currency": "EUR", "donor": "Bob"})).await;
    // Every kind of frame that shows her gift: a partial refund, her message
    // hidden, her alert replayed, a prize she wins (alone above 20 €).
    assert_eq!(app.refund(&live, &ines, json!({"refunded_amount": 500})).await, StatusCode::OK);
    let (s, _) = app.post(&format!("/api/v1/donations/{ines}/replay"), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.post(&format!("/api/v1/donations/{ines}/hide"), Some(ADMIN), json!({"message": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, draw) = app
        .post(
            &format!("/api/v1/lives/{}/draws", live.id),
            Some(&live.key),
            json!({"prize": "Affiche", "min_amount": 1500}),
        )
        .await;
    assert_eq!((s, draw["winner"]["donor"].as_str()), (StatusCode::CREATED, Some(NAME)), "{draw}");
    assert!(!files_holding(app.data_dir(), NAME).is_empty(), "the log holds her name before");
    let (_, before) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let last = app.events(&live, 0).await.last().unwrap()["seq"].as_u64().unwrap();
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");

    // Organisers only; an unknown donation is a 404; nothing changes.
    let (s, e) = erase(&app, &ines, &live.key).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = erase(&app, "dn_nope", ADMIN).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("donation_not_found")), "{e}");
    assert_eq!(app.events(&live, last).await, Vec::<Value>::new());

    let (s, v) = erase(&app, &ines, ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let erased = &v["donation"];
    assert_eq!(
        (erased["donor"].clone(), erased["message"].clone(), erased["erased"].as_bool()),
        (Value::Null, Value::Null, Some(true))
    );
    assert_eq!((erased["amount"].as_i64(), erased["refunded_amount"].as_i64()), (Some(2500), Some(500)));
    let frame = ws.until("donation_updated").await;
    assert_eq!(frame["donation"], *erased);
    assert_eq!(frame["seq"].as_u64(), Some(last + 1));
    // Again: nothing more is written.
    let (s, again) = erase(&app, &ines, ADMIN).await;
    assert_eq!((s, &again["donation"]), (StatusCode::OK, erased));
    assert_eq!(app.events(&live, last + 1).await, Vec::<Value>::new());

    // The money counts as before; the leaderboard and the draw no longer name her.
    let (_, after) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(after["totals"], before["totals"]);
    assert_eq!(after["totals"]["raised"], 3000);
    assert_eq!(after["top_donors"], json!([{"donor": "Bob", "amount": 1000, "donations": 1}]));
    assert_eq!(after["draws"][0]["winner"]["id"], ines.as_str());
    clean("the live", &after.to_string());

    // Every copy: the frames read back from the log, a resume from memory, the
    // campaign's snapshot, the exports, the data directory's files.
    let events = app.events(&live, 0).await;
    assert_eq!(events.last().unwrap()["seq"].as_u64(), Some(last + 1));
    assert!(events.iter().any(|e| e["type"] == "prize_drawn"), "{events:?}");
    clean("the log's frames", &serde_json::to_string(&events).unwrap());
    let mut resumed = app.ws(&live, Some(start)).await;
    let frames = resumed.until_quiet(std::time::Duration::from_millis(500)).await;
    assert_eq!(frames.last().unwrap()["seq"].as_u64(), Some(last + 1), "{frames:?}");
    clean("the resumed frames", &serde_json::to_string(&frames).unwrap());
    clean("the campaign's snapshot", &app.campaign_ws(&live.campaign_id).await.next().await.to_string());
    let sheet = csv(&app, &live).await;
    clean("the CSV", &sheet);
    assert!(sheet.contains("Bob") && sheet.contains("25.00"), "{sheet}");
    let (_, list) = app
        .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", live.id), Some(ADMIN), &[], None)
        .await;
    let row = list["donations"].as_array().unwrap().iter().find(|d| d["id"] == ines.as_str()).unwrap().clone();
    assert_eq!((row["erased"].as_bool(), row["amount"].as_i64()), (Some(true), Some(2500)), "{row}");
    clean("the dashboard's list", &list.to_string());
    for text in [NAME, "Clémentine"] {
        assert_eq!(files_holding(app.data_dir(), text), Vec::<String>::new(), "{text}");
    }

    // After a restart: the same state, still without her words.
    drop((ws, resumed));
    let app = app.restart().await;
    let (_, restarted) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(restarted["totals"], before["totals"]);
    assert_eq!(restarted["top_donors"], after["top_donors"]);
    clean("the restarted live", &restarted.to_string());
    let (s, again) = erase(&app, &ines, ADMIN).await;
    assert_eq!((s, &again["donation"]), (StatusCode::OK, erased));
    for text in [NAME, "Clémentine"] {
        assert_eq!(files_holding(app.data_dir(), text), Vec::<String>::new(), "{text}");
    }
}

/// A text waiting for approval, erased: nothing is left to approve, in the
/// moderation queue nor in the organisers' list, before and after a restart.
#[tokio::test]
async fn an_erased_text_waiting_for_approval_leaves_the_queue() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (_, d) =
        app.donate(&live, json!({"amount": 800, "currency": "EUR", "donor": "Noé", "message": "coucou"})).await;
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(d["donation"]["moderation"], "pending");
    let list = format!("/api/v1/lives/{}/donations", live.id);
    let moderation = |v: &Value| v["donations"][0]["moderation"].as_str().map(str::to_owned);
    let (_, before) = app.request(reqwest::Method::GET, &list, Some(ADMIN), &[], None).await;
    assert_eq!(moderation(&before).as_deref(), Some("pending"));
    let (s, v) = erase(&app, &id, ADMIN).await;
    assert_eq!((s, v["donation"]["moderation"].as_str()), (StatusCode::OK, Some("shown")), "{v}");
    let (s, e) = app.post(&format!("/api/v1/donations/{id}/approve"), Some(ADMIN), json!({})).await;
    assert_eq!((s, e["donation"]["erased"].as_bool()), (StatusCode::OK, Some(true)), "nothing left to approve: {e}");
    let app = app.restart().await;
    let (_, after) = app.request(reqwest::Method::GET, &list, Some(ADMIN), &[], None).await;
    assert_eq!(moderation(&after).as_deref(), Some("shown"), "the log as rewritten holds nothing pending: {after}");
    assert_eq!(after["donations"][0]["erased"], true);
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"]["raised"], 800);
}

/// A campaign-wide draw won by the erased donor, announced on another live:
/// that live's resume, from memory and from the log, no longer names her.
#[tokio::test]
async fn an_erased_winner_leaves_the_other_live_that_announced_her() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let (_, d) = app.donate(&live, json!({"amount": 2000, "currency": "EUR", "donor": NAME, "message": MESSAGE})).await;
    let ines = d["donation"]["id"].as_str().unwrap().to_owned();
    // Where the other live's stream stood before the draw: a resume from there is served from memory.
    let before = app.ws(&other, None).await.next().await["seq"].as_u64().unwrap();
    let (s, draw) = app
        .post(&format!("/api/v1/lives/{}/draws", other.id), Some(ADMIN), json!({"prize": "Affiche", "campaign": true}))
        .await;
    assert_eq!((s, draw["winner"]["donor"].as_str()), (StatusCode::CREATED, Some(NAME)), "{draw}");
    let (s, _) = erase(&app, &ines, ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let mut resumed = app.ws(&other, Some(before)).await;
    let frames = resumed.until_quiet(std::time::Duration::from_millis(500)).await;
    assert!(
        frames.iter().any(|f| f["type"] == "prize_drawn" && f["draw"]["winner"]["id"] == ines.as_str()),
        "{frames:?}"
    );
    clean("the other live's resumed frames", &serde_json::to_string(&frames).unwrap());
    clean("the other live's log", &serde_json::to_string(&app.events(&other, 0).await).unwrap());
}

/// A donor who asks to be forgotten by the name they gave: every gift under
/// that name, whatever its case, in every campaign, erased at once; the others'
/// untouched, the money still counted, no trace left in the data directory.
#[tokio::test]
async fn every_gift_under_a_donor_s_name_is_erased_at_once() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let c2 = app.campaign(json!({"name": "Autre collecte", "currency": "EUR"})).await;
    let other = app.live(c2["id"].as_str().unwrap(), json!({"host": "Zoé"})).await;
    let mut ids = Vec::new();
    for (l, amount, donor, message) in [
        (&live, 2500, NAME, Some(MESSAGE)),
        (&live, 1000, "Bob", Some("Pour Inès Lambert !")),
        (&other, 700, "  inès LAMBERT ", None),
        (&live, 300, "Inès", None),
    ] {
        let (s, d) =
            app.donate(l, json!({"amount": amount, "currency": "EUR", "donor": donor, "message": message})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        ids.push(d["donation"]["id"].as_str().unwrap().to_owned());
    }
    let path = "/api/v1/donors/erase";
    // Organisers only; bad bodies and unknown names change nothing.
    assert_eq!(app.post(path, Some(&live.key), json!({"donor": NAME})).await.0, StatusCode::FORBIDDEN);
    for (body, status, code) in [
        (json!({"donor": "  "}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (json!({"name": NAME}), StatusCode::UNPROCESSABLE_ENTITY, "unknown_field"),
        (json!({"donor": "Personne"}), StatusCode::NOT_FOUND, "donor_not_found"),
    ] {
        let (s, v) = app.post(path, Some(ADMIN), body).await;
        assert_eq!((s, v["error"].as_str()), (status, Some(code)), "{v}");
    }
    assert!(!files_holding(app.data_dir(), "LAMBERT").is_empty());

    let (s, v) = app.post(path, Some(ADMIN), json!({"donor": "inès lambert"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let erased: Vec<(&str, &str, i64)> = v["erased"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["donation_id"].as_str().unwrap(), e["campaign_id"].as_str().unwrap(), e["amount"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(
        (&v["donor"], erased),
        (
            &json!("inès lambert"),
            vec![
                (ids[0].as_str(), live.campaign_id.as_str(), 2500),
                (ids[2].as_str(), c2["id"].as_str().unwrap(), 700)
            ]
        )
    );
    for dir_text in [MESSAGE, "LAMBERT", "Clémentine"] {
        assert_eq!(files_holding(app.data_dir(), dir_text), Vec::<String>::new(), "{dir_text}");
    }
    // Bob's message names her: it is his, and stays; "Inès" alone is another name.
    let (_, list) = app.admin_get(&format!("/api/v1/campaigns/{}/donations", live.campaign_id)).await;
    let rows: Vec<(Value, Value, Value)> = list["donations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["donor_name"].clone(), d["message_text"].clone(), d["amount"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!("Inès"), Value::Null, json!(300)),
            (json!("Bob"), json!("Pour Inès Lambert !"), json!(1000)),
            (Value::Null, Value::Null, json!(2500)),
        ]
    );
    let (_, totals) = app.get(&format!("/api/v1/lives/{}", other.id)).await;
    assert_eq!(totals["totals"]["total"], 700);
    // Nothing left under the name.
    let (s, v) = app.post(path, Some(ADMIN), json!({"donor": NAME})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("donor_not_found")));
}
