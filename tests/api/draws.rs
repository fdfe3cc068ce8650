//! Prize draws among a live's donations: who enters, the winner kept in the
//! log, each winner left out of the next draws, and the refusals.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// (prize, winner's donation id, entries, tickets) of a draw.
fn summary(d: &Value) -> (String, String, u64, u64) {
    (
        d["prize"].as_str().unwrap().to_owned(),
        d["winner"]["id"].as_str().unwrap().to_owned(),
        d["entries"].as_u64().unwrap(),
        d["tickets"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn a_prize_is_drawn_among_the_donations_that_enter_and_each_winner_leaves_the_next_draws() {
    let clock = ManualClock::at("2026-12-05T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;

    let give = |donor: &str, amount: i64, anonymous: bool| json!({"amount": amount, "currency": "EUR", "donor": donor, "anonymous": anonymous});
    let mut ids = std::collections::HashMap::new();
    for (donor, amount, anonymous) in
        [("Ana", 500, false), ("Bob", 1000, false), ("Chloé", 2000, true), ("Dan", 3000, false), ("Eve", 1500, false)]
    {
        let (s, d) = app.donate(&live, give(donor, amount, anonymous)).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        ids.insert(donor, d["donation"]["id"].as_str().unwrap().to_owned());
    }
    // Dan's gift given back whole and Eve's down to 8 €: under 10 €, neither enters.
    let (s, _) = app.post(&format!("/api/v1/donations/{}/refund", ids["Dan"]), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(&format!("/api/v1/donations/{}/refund", ids["Eve"]), Some(&live.key), json!({"refunded_amount": 700}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Neither does a test alert, nor another live's donation.
    let (s, _) = app
        .post(&format!("/api/v1/lives/{}/test-alert", live.id), Some(&host), json!({"donor": "Essai", "amount": 5000}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.donate(&other, give("Fay", 9000, false)).await;

    // Among the gifts of 10 € and more: Bob's and Chloé's.
    clock.set("2026-12-05T20:30:00Z");
    let path = format!("/api/v1/lives/{}/draws", live.id);
    let (s, first) = app.post(&path, Some(&host), json!({"prize": "Dessin original", "min_amount": 1000})).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (prize, winner, entries, tickets) = summary(&first);
    assert_eq!((prize.as_str(), entries, tickets), ("Dessin original", 2, 2), "{first}");
    assert!(winner == ids["Bob"] || winner == ids["Chloé"], "{first}");
    assert_eq!(
        (first["live_id"].as_str(), first["min_amount"].as_i64(), first["weighted"].as_bool(), first["at"].as_str()),
        (Some(live.id.as_str()), Some(1000), Some(false), Some("2026-12-05T20:30:00.000Z"))
    );
    assert!(first["since"].is_null(), "{first}");
    // The winner as viewers see them: an anonymous donor's name stays out.
    let (name, amount) = if winner == ids["Bob"] { (json!("Bob"), 1000) } else { (Value::Null, 2000) };
    assert_eq!((first["winner"]["donor"].clone(), first["winner"]["amount"].as_i64()), (name, Some(amount)));
    let frame = ws.until("prize_drawn").await;
    assert_eq!(frame["draw"], first);

    // The second draw leaves the first winner out: the other one wins.
    let (s, second) = app.post(&path, Some(&live.key), json!({"prize": "Affiche", "min_amount": 1000})).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let other_winner = if winner == ids["Bob"] { ids["Chloé"].clone() } else { ids["Bob"].clone() };
    assert_eq!(summary(&second), ("Affiche".into(), other_winner.clone(), 1, 1));
    // And a third finds no one.
    let (s, e) = app.post(&path, Some(&host), json!({"prize": "Mug", "min_amount": 1000})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("no_entries")), "{e}");

    // One ticket per 5 €: Ana 1, Eve 1 (8 € kept), Gus 4 (20 €, a minute ago).
    clock.set("2026-12-05T20:44:00Z");
    let (_, gus) = app.donate(&live, give("Gus", 2000, false)).await;
    ids.insert("Gus", gus["donation"]["id"].as_str().unwrap().to_owned());
    clock.set("2026-12-05T20:45:00Z");
    let (s, weighted) =
        app.post(&path, Some(ADMIN), json!({"prize": "Tote bag", "min_amount": 500, "weighted": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{weighted}");
    let (_, w, entries, tickets) = summary(&weighted);
    assert_eq!((entries, tickets), (3, 6), "{weighted}");
    assert!([&ids["Ana"], &ids["Eve"], &ids["Gus"]].contains(&&w), "{weighted}");

    // The last 10 minutes' donations only: Gus's, unless he just won.
    let (s, recent) = app.post(&path, Some(&host), json!({"prize": "Stickers", "minutes": 10})).await;
    if w == ids["Gus"] {
        assert_eq!((s, recent["error"].as_str()), (StatusCode::CONFLICT, Some("no_entries")), "{recent}");
    } else {
        assert_eq!(s, StatusCode::CREATED, "{recent}");
        assert_eq!(summary(&recent), ("Stickers".into(), ids["Gus"].clone(), 1, 1));
        assert_eq!(recent["since"].as_str(), Some("2026-12-05T20:35:00.000Z"));
    }

    // A winner's name hidden since: the live's draws show it hidden.
    let (s, _) = app.post(&format!("/api/v1/donations/{}/hide", ids["Bob"]), Some(&host), json!({"donor": true})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, now) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let draws: Vec<Value> = now["draws"].as_array().unwrap().clone();
    let bob = draws.iter().find(|d| d["winner"]["id"].as_str() == Some(ids["Bob"].as_str())).unwrap();
    assert_eq!((bob["winner"]["donor"].clone(), bob["winner"]["moderation"].as_str()), (Value::Null, Some("hidden")));

    // Refused: a weighted draw without a minimum, an empty prize, minutes or
    // a minimum out of range, an unknown field; tokens that may not; no live.
    for (body, code, field) in [
        (json!({"prize": "P", "weighted": true}), "invalid_field", Some("min_amount")),
        (json!({"prize": " "}), "invalid_field", Some("prize")),
        (json!({"prize": "P", "minutes": 0}), "invalid_field", Some("minutes")),
        (json!({"prize": "P", "min_amount": 0}), "invalid_amount", None),
        (json!({"prize": "P", "min_amount": 10.5}), "invalid_amount", None),
        (json!({"prize": "P", "min_amount": "10"}), "invalid_amount", None),
    ] {
        let (s, e) = app.post(&path, Some(&host), body.clone()).await;
        assert_eq!(
            (s, e["error"].as_str(), e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code), field),
            "{body}: {e}"
        );
    }
    let (s, e) = app.post(&path, Some(&host), json!({"prize": "P", "winner": "me"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let other_host = other.body["host_token"].as_str().unwrap();
    for token in [other_host, other.key.as_str(), live.overlay_token.as_str()] {
        let (s, e) = app.post(&path, Some(token), json!({"prize": "P"})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    let (s, e) = app.post("/api/v1/lives/nope/draws", Some(ADMIN), json!({"prize": "P"})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("live_not_found")), "{e}");
    let (_, before) = app.get(&format!("/api/v1/lives/{}", live.id)).await;

    // The same winners after a restart.
    let app = app.restart().await;
    let (_, after) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(after["draws"], before["draws"]);
    assert_eq!(after["draws"][1]["winner"]["id"].as_str(), Some(other_winner.as_str()));
}

/// The record of a campaign's draws for the charity: one row per draw, oldest
/// first, its terms, entries and the winner's name as given (an anonymous
/// donor's too) with their donation; in a French spreadsheet on Paris's clock.
#[tokio::test]
async fn the_draws_export_gives_each_draw_with_its_winner_as_given() {
    use super::moderation::{cells, download, python_csv};
    let clock = ManualClock::at("2026-12-31T23:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let cid = live.campaign_id.clone();
    let (_, chloe) =
        app.donate(&live, json!({"amount": 2000, "currency": "EUR", "donor": "Chloé", "anonymous": true})).await;
    clock.set("2026-12-31T23:31:00Z");
    let (_, bob) = app.donate(&live, json!({"amount": 1500, "currency": "EUR", "donor": "-Bob"})).await;
    let id = |d: &Value| d["donation"]["id"].as_str().unwrap().to_owned();
    let (chloe, bob) = (id(&chloe), id(&bob));
    let path = format!("/api/v1/lives/{}/draws", live.id);
    clock.set("2026-12-31T23:40:00Z");
    let (s, first) = app.post(&path, Some(ADMIN), json!({"prize": "=Dessin", "min_amount": 1000})).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    clock.set("2026-12-31T23:45:00Z");
    let (s, second) = app
        .post(&path, Some(ADMIN), json!({"prize": "Affiche", "min_amount": 500, "weighted": true, "minutes": 20}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    // The second winner's donation given back since.
    let second_winner = second["winner"]["id"].as_str().unwrap().to_owned();
    let (s, _) = app.post(&format!("/api/v1/donations/{second_winner}/refund"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    // (id, name as given and as written, anonymous, amount, received at) of each winner.
    let winner = |d: &Value| {
        if d["winner"]["id"].as_str() == Some(chloe.as_str()) {
            (chloe.clone(), "Chloé", "yes", "20.00", "2026-12-31T23:30:00.000Z", "4")
        } else {
            (bob.clone(), "'-Bob", "no", "15.00", "2026-12-31T23:31:00.000Z", "3")
        }
    };
    let (w1, w2) = (winner(&first), winner(&second));
    let draw_id = |d: &Value| d["id"].as_str().unwrap().to_owned();

    let (s, disposition, plain) = download(&app, &format!("/api/v1/campaigns/{cid}/draws.csv")).await;
    assert_eq!((s, disposition), (StatusCode::OK, format!("attachment; filename=\"{cid}-draws.csv\"")));
    let names = [
        "draw_id",
        "drawn_at",
        "live_id",
        "host",
        "prize",
        "min_amount",
        "weighted",
        "since",
        "entries",
        "tickets",
        "winner_donation_id",
        "winner",
        "anonymous",
        "winner_amount",
        "winner_received_at",
        "winner_refunded",
        "currency",
    ];
    assert_eq!(
        python_csv(&plain, ",").iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            vec![
                draw_id(&first),
                "2026-12-31T23:40:00.000Z".into(),
                live.id.clone(),
                "Corentin".into(),
                "'=Dessin".into(),
                "10.00".into(),
                "no".into(),
                "".into(),
                "2".into(),
                "2".into(),
                w1.0.clone(),
                w1.1.into(),
                w1.2.into(),
                w1.3.into(),
                w1.4.into(),
                "no".into(),
                "EUR".into(),
            ],
            vec![
                draw_id(&second),
                "2026-12-31T23:45:00.000Z".into(),
                live.id.clone(),
                "Corentin".into(),
                "Affiche".into(),
                "5.00".into(),
                "yes".into(),
                "2026-12-31T23:25:00.000Z".into(),
                "1".into(),
                w2.5.into(),
                w2.0.clone(),
                w2.1.into(),
                w2.2.into(),
                w2.3.into(),
                w2.4.into(),
                "yes".into(),
                "EUR".into(),
            ],
        ]
    );

    // In a French spreadsheet, on Paris's clock: the new year.
    let (_, _, sheet) =
        download(&app, &format!("/api/v1/campaigns/{cid}/draws.csv?excel=1&lang=fr&tz=Europe/Paris")).await;
    let rows = python_csv(&sheet, ";");
    let names = [
        "tiré le (Europe/Paris)",
        "dons depuis (Europe/Paris)",
        "un ticket par tranche",
        "don minimum",
        "don remboursé",
    ];
    assert_eq!(
        rows.iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            ["2027-01-01 00:40:00", "", "non", "10,00", "non"],
            ["2027-01-01 00:45:00", "2027-01-01 00:25:00", "oui", "5,00", "oui"],
        ]
    );
    assert_eq!(rows[0]["gagnant"].as_str(), Some(w1.1));

    let path = format!("/api/v1/campaigns/{cid}/draws.csv");
    let (s, _) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "organisers only");
    let (s, e) = app.request(reqwest::Method::GET, "/api/v1/campaigns/nope/draws.csv", Some(ADMIN), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")));
    let (s, e) = app.request(reqwest::Method::GET, &format!("{path}?excel=1&tz=Nowhere"), Some(ADMIN), &[], None).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("tz")));
}

/// The organisers draw a prize among every live's donations of the campaign,
/// announced on the live they choose; a donation wins one of the campaign's
/// draws at most; hosts and write keys draw among their own live's only.
#[tokio::test]
async fn the_organisers_draw_a_prize_among_the_whole_campaign() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let elsewhere = app.setup().await;
    let give = |donor: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": donor});
    let id = |d: &Value| d["donation"]["id"].as_str().unwrap().to_owned();
    let ana = id(&app.donate(&live, give("Ana", 1000)).await.1);
    let bob = id(&app.donate(&other, give("Bob", 1000)).await.1);
    let chloe = id(&app.donate(&other, give("Chloé", 200)).await.1);
    app.donate(&elsewhere, give("Dan", 5000)).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;

    // The live's own draw: Ana, its only gift.
    let path = format!("/api/v1/lives/{}/draws", live.id);
    let (s, own) = app.post(&path, Some(&host), json!({"prize": "Mug", "min_amount": 500})).await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    assert_eq!(summary(&own), ("Mug".into(), ana.clone(), 1, 1));
    assert!(own.get("campaign_wide").is_some_and(|c| c == false), "{own}");
    // The whole campaign's, from 5 €: Bob (Ana won, Chloé gave 2 €, Dan gave to another campaign).
    for token in [host.as_str(), live.key.as_str()] {
        let (s, e) = app.post(&path, Some(token), json!({"prize": "P", "campaign": true})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    let body = json!({"prize": "Affiche", "min_amount": 500, "campaign": true});
    let (s, wide) = app.post(&path, Some(ADMIN), body).await;
    assert_eq!(s, StatusCode::CREATED, "{wide}");
    assert_eq!(summary(&wide), ("Affiche".into(), bob.clone(), 1, 1));
    assert_eq!(
        (wide["campaign_wide"].as_bool(), wide["winner"]["live_id"].as_str()),
        (Some(true), Some(other.id.as_str()))
    );
    // Announced on the live it was drawn on.
    ws.until("prize_drawn").await;
    assert_eq!(ws.until("prize_drawn").await["draw"], wide);
    let (s, last) = app.post(&path, Some(ADMIN), json!({"prize": "Carte", "campaign": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{last}");
    assert_eq!(summary(&last), ("Carte".into(), chloe.clone(), 1, 1));
    // Nothing left on the other live: both its gifts won.
    let other_host = other.body["host_token"].as_str().unwrap();
    let (s, e) = app.post(&format!("/api/v1/lives/{}/draws", other.id), Some(other_host), json!({"prize": "P"})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("no_entries")), "{e}");
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["draws"].as_array().map(Vec::len), Some(3));
    let (_, o) = app.get(&format!("/api/v1/lives/{}", other.id)).await;
    assert_eq!(o["draws"], json!([]));
    // Bob's name hidden from his own live's host's space: the draw made on this
    // live shows it hidden too, and after a restart.
    let (s, _) = app.post(&format!("/api/v1/donations/{bob}/hide"), Some(other_host), json!({"donor": true})).await;
    assert_eq!(s, StatusCode::OK);
    let bob_now = |l: &Value| (l["draws"][1]["winner"]["id"].clone(), l["draws"][1]["winner"]["donor"].clone());
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(bob_now(&l), (json!(bob), Value::Null), "{l}");
    let app = app.restart().await;
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(bob_now(&l), (json!(bob), Value::Null), "{l}");
}

/// `winners`: several winners of the same prize in one request, each a draw of
/// its own and each left out of the next; fewer when fewer donations enter;
/// every one on the live's streams and kept across a restart.
#[tokio::test]
async fn several_winners_are_drawn_at_once_each_a_draw_of_its_own() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for (donor, amount) in [("Ana", 1000), ("Bob", 1500), ("Chloé", 2000), ("Dan", 500)] {
        let (_, d) = app.donate(&live, json!({"amount": amount, "currency": "EUR", "donor": donor})).await;
        ids.push(d["donation"]["id"].as_str().unwrap().to_owned());
    }
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let path = format!("/api/v1/lives/{}/draws", live.id);

    // Two posters among the three gifts of 10 € and more.
    let (s, v) = app.post(&path, Some(&host), json!({"prize": "Affiche", "min_amount": 1000, "winners": 2})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let draws = v["draws"].as_array().unwrap();
    let won: Vec<(String, String, u64)> = draws
        .iter()
        .map(|d| {
            let (prize, winner, entries, _) = summary(d);
            (prize, winner, entries)
        })
        .collect();
    assert_eq!(won.len(), 2, "{v}");
    assert_eq!(
        (won[0].0.as_str(), won[0].2, won[1].2),
        ("Affiche", 3, 2),
        "the second draw without the first winner: {v}"
    );
    assert_ne!(won[0].1, won[1].1);
    assert!(won.iter().all(|w| ids[..3].contains(&w.1)), "{v}");
    for d in draws {
        let frame = ws.until("prize_drawn").await;
        assert_eq!(frame["draw"]["id"], d["id"]);
    }

    // Five asked, one gift of 10 € left: one drawn; then none: 409.
    let (s, v) = app.post(&path, Some(&host), json!({"prize": "Mug", "min_amount": 1000, "winners": 5})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let last = v["draws"].as_array().unwrap();
    assert_eq!(last.len(), 1, "{v}");
    let third = summary(&last[0]).1;
    assert!(!won.iter().any(|w| w.1 == third) && ids[..3].contains(&third), "{v}");
    let (s, e) = app.post(&path, Some(&host), json!({"prize": "Stylo", "min_amount": 1000, "winners": 2})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("no_entries")), "{e}");
    // Without `winners`, the one draw as before.
    let (s, one) = app.post(&path, Some(&host), json!({"prize": "Badge"})).await;
    assert_eq!((s, summary(&one).1), (StatusCode::CREATED, ids[3].clone()), "Dan's alone is left: {one}");

    for winners in [0, 11] {
        let (s, e) = app.post(&path, Some(&host), json!({"prize": "x", "winners": winners})).await;
        assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("winners")), "{e}");
    }
    let app = app.restart().await;
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let prizes: Vec<&str> = l["draws"].as_array().unwrap().iter().map(|d| d["prize"].as_str().unwrap()).collect();
    assert_eq!(prizes, ["Affiche", "Affiche", "Mug", "Badge"], "{l}");
}
