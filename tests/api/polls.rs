//! Polls put to a live's donors: a donation votes by naming an option's tag
//! (or number) in its message, for its amount, while the poll is open.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Each option's (amount, donations), in order.
fn tallies(poll: &Value) -> Vec<(i64, u64)> {
    poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["amount"].as_i64().unwrap(), o["donations"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn donations_vote_with_a_tag_in_their_message_while_the_poll_is_open() {
    let clock = ManualClock::at("2026-12-04T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    app.add_match(&live.campaign_id, json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 100000})).await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;

    let path = format!("/api/v1/lives/{}/polls", live.id);
    let options = json!(["Mario Kart", "Zélda", "2048"]);
    let (s, poll) = app
        .post(&path, Some(&host), json!({"question": "Quel jeu ensuite ?", "options": options, "minutes": 30}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    let id = poll["id"].as_str().unwrap().to_owned();
    assert_eq!(
        poll["options"],
        json!([
            {"label": "Mario Kart", "tag": "mariokart", "amount": 0, "donations": 0},
            {"label": "Zélda", "tag": "zelda", "amount": 0, "donations": 0},
            {"label": "2048", "tag": "3", "amount": 0, "donations": 0},
        ])
    );
    assert_eq!(
        (poll["question"].as_str(), poll["live_id"].as_str(), poll["created_at"].as_str(), poll["ends_at"].as_str()),
        (
            Some("Quel jeu ensuite ?"),
            Some(live.id.as_str()),
            Some("2026-12-04T20:00:00.000Z"),
            Some("2026-12-04T20:30:00.000Z")
        )
    );
    assert!(poll["closed_at"].is_null(), "{poll}");
    let started = ws.until("poll_started").await;
    assert_eq!(started["poll"]["id"].as_str(), Some(id.as_str()));

    // Votes: the tag whatever its case and accents, the number, the first
    // word that names an option; none without one; another live's not counted.
    let vote =
        |message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": "Ana", "message": message});
    let (s, first) = app.donate(&live, vote("Allez #MarioKart !", 1000)).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["donation"]["vote"], json!({"poll_id": id, "option": 0}));
    assert_eq!(first["donation"]["matched"], json!(1000), "matched, yet the vote counts what the donor gave");
    assert_eq!(tallies(&first["poll"]), [(1000, 1), (0, 0), (0, 0)]);
    let frame = ws.until("donation").await;
    assert_eq!(
        (frame["donation"]["vote"]["option"].clone(), tallies(&frame["poll"])),
        (json!(0), vec![(1000, 1), (0, 0), (0, 0)])
    );
    let (_, zelda) = app.donate(&live, vote("pour #ZÉLDA", 500)).await;
    app.donate(&live, vote("#3 pour le 2048", 700)).await;
    app.donate(&live, vote("#9 puis #zelda, #mariokart", 300)).await;
    let (_, none) = app.donate(&live, vote("pas de vote, juste #merci", 200)).await;
    assert!(none["donation"].get("vote").is_none() && none.get("poll").is_none(), "{none}");
    let (_, elsewhere) = app.donate(&other, vote("#zelda", 900)).await;
    assert!(elsewhere["donation"].get("vote").is_none(), "{elsewhere}");
    let (_, now) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(tallies(&now["polls"][0]), [(1000, 1), (800, 2), (700, 1)]);

    // Refunds take their part off what the option gathered.
    let first_id = first["donation"]["id"].as_str().unwrap();
    let (s, part) = app
        .post(&format!("/api/v1/donations/{first_id}/refund"), Some(&live.key), json!({"refunded_amount": 600}))
        .await;
    assert_eq!(s, StatusCode::OK, "{part}");
    assert_eq!(tallies(&part["poll"]), [(400, 1), (800, 2), (700, 1)]);
    let zelda_id = zelda["donation"]["id"].as_str().unwrap();
    let (_, whole) = app.post(&format!("/api/v1/donations/{zelda_id}/refund"), Some(&live.key), json!({})).await;
    assert_eq!(tallies(&whole["poll"]), [(400, 1), (300, 1), (700, 1)]);

    // One open poll at a time.
    let (s, e) = app.post(&path, Some(&host), json!({"question": "Et après ?", "options": ["A", "B"]})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("poll_open")), "{e}");

    // Closed by its host: results kept, no vote after.
    let close = format!("{path}/{id}/close");
    let other_host = other.body["host_token"].as_str().unwrap();
    let (s, e) = app.post(&close, Some(other_host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    clock.set("2026-12-04T20:10:00Z");
    let (s, closed) = app.post(&close, Some(&host), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{closed}");
    assert_eq!(closed["closed_at"].as_str(), Some("2026-12-04T20:10:00.000Z"));
    let frame = ws.until("poll_closed").await;
    assert_eq!(
        (frame["poll"]["closed_at"].as_str(), tallies(&frame["poll"])),
        (Some("2026-12-04T20:10:00.000Z"), vec![(400, 1), (300, 1), (700, 1)])
    );
    let (_, late) = app.donate(&live, vote("#zelda", 5000)).await;
    assert!(late["donation"].get("vote").is_none(), "{late}");
    for (url, status, code) in [
        (close.clone(), StatusCode::CONFLICT, "poll_over"),
        (format!("{path}/nope/close"), StatusCode::NOT_FOUND, "poll_not_found"),
        (format!("/api/v1/lives/{}/polls/{id}/close", other.id), StatusCode::NOT_FOUND, "poll_not_found"),
    ] {
        let (s, e) = app.post(&url, Some(ADMIN), json!({})).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{url}: {e}");
    }

    // A second poll, with a minute: a vote after its time counts nowhere.
    clock.set("2026-12-04T20:11:00Z");
    let (s, second) = app
        .post(&path, Some(&live.key), json!({"question": "Pile ou face ?", "options": ["Pile", "Face"], "minutes": 1}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let second_id = second["id"].as_str().unwrap().to_owned();
    app.donate(&live, vote("#face", 100)).await;
    clock.set("2026-12-04T20:12:00Z");
    let (_, after) = app.donate(&live, vote("#face", 100)).await;
    assert!(after["donation"].get("vote").is_none(), "{after}");
    // The writer closes it at its deadline, for the overlays to say the result.
    let frame = ws.until("poll_closed").await;
    assert_eq!(
        (frame["poll"]["id"].as_str(), frame["poll"]["closed_at"].as_str(), tallies(&frame["poll"])),
        (Some(second_id.as_str()), Some("2026-12-04T20:12:00.000Z"), vec![(0, 0), (100, 1)])
    );
    let (s, e) = app.post(&format!("{path}/{second_id}/close"), Some(&host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("poll_over")), "{e}");

    // Refused: the wrong number of options, twins, an empty label or
    // question, minutes out of range, an unknown field, tokens that may not.
    for (body, code, field) in [
        (json!({"question": "Q", "options": ["A"]}), "invalid_options", "options"),
        (json!({"question": "Q", "options": ["A", "B", "C", "D", "E", "F", "G"]}), "invalid_options", "options"),
        (json!({"question": "Q", "options": ["Zelda", "zélda"]}), "invalid_options", "options"),
        (json!({"question": "Q", "options": ["A", " "]}), "invalid_field", "options"),
        (json!({"question": " ", "options": ["A", "B"]}), "invalid_field", "question"),
        (json!({"question": "Q", "options": ["A", "B"], "minutes": 0}), "invalid_field", "minutes"),
    ] {
        let (s, e) = app.post(&path, Some(&host), body.clone()).await;
        assert_eq!(
            (s, e["error"].as_str(), e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code), Some(field)),
            "{body}: {e}"
        );
    }
    let (s, e) = app.post(&path, Some(&host), json!({"question": "Q", "options": ["A", "B"], "color": "red"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    for token in [other_host, live.overlay_token.as_str()] {
        let (s, e) = app.post(&path, Some(token), json!({"question": "Q", "options": ["A", "B"]})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }

    // All of it after a restart.
    let app = app.restart().await;
    let (_, now) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let polls = now["polls"].as_array().unwrap();
    assert_eq!(polls.len(), 2, "{now}");
    assert_eq!((tallies(&polls[0]), tallies(&polls[1])), (vec![(400, 1), (300, 1), (700, 1)], vec![(0, 0), (100, 1)]));
    assert_eq!(
        (polls[0]["closed_at"].as_str(), polls[1]["closed_at"].as_str()),
        (Some("2026-12-04T20:10:00.000Z"), Some("2026-12-04T20:12:00.000Z"))
    );
    let (s, e) = app.post(&format!("{path}/{second_id}/close"), Some(&host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("poll_over")), "{e}");
}

/// A form that asks for the vote beside the message sends it as `vote`.
#[tokio::test]
async fn a_donation_names_its_vote_in_a_field_of_its_own() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let gift = |vote: &str, message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": "Ana", "message": message, "vote": vote});
    // No poll open: the gift counts, without a vote.
    let (s, d) = app.donate(&live, gift("zelda", "Bravo", 500)).await;
    assert_eq!((s, d.get("poll")), (StatusCode::CREATED, None), "{d}");

    let path = format!("/api/v1/lives/{}/polls", live.id);
    let (s, poll) = app
        .post(&path, Some(&host), json!({"question": "Quel jeu ?", "options": ["Mario Kart", "Zélda", "2048"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    // Its keyword with or without `#`, in any case, or its number; it wins over the message's.
    for (vote, message, amount) in [("zelda", "", 1000), ("#MarioKart", "#zelda", 700), ("3", "merci", 300)] {
        let (s, d) = app.donate(&live, gift(vote, message, amount)).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
    }
    // An option the poll does not have: refused, nothing counted.
    let (s, e) = app.donate(&live, gift("tetris", "", 900)).await;
    assert_eq!(
        (s, e["error"].as_str(), e["field"].as_str(), e["message"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid_vote"),
            Some("vote"),
            Some("the live's poll has no option \"tetris\": #mariokart, #zelda, #3")
        )
    );
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(tallies(&l["polls"][0]), [(700, 1), (1000, 1), (300, 1)]);
    assert_eq!(l["totals"]["raised"], 2500);
    // A retry with its key counts once; the same key with another vote is another request (`409`).
    let keyed = async |vote: &str| {
        let body = gift(vote, "", 200).to_string();
        let path = format!("/api/v1/lives/{}/donations", live.id);
        app.request(reqwest::Method::POST, &path, Some(&live.key), &[("idempotency-key", "k-1")], Some(body)).await
    };
    assert_eq!(keyed("zelda").await.0, StatusCode::CREATED);
    assert_eq!(keyed("#Zelda").await.0, StatusCode::OK);
    let (s, e) = keyed("mariokart").await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("idempotency_conflict")));
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(tallies(&l["polls"][0]), [(700, 1), (1200, 2), (300, 1)]);
}

/// An open poll changed on air: a deadline given to one without, five more
/// minutes, its question reworded, its votes kept; its streams follow; the new
/// deadline closes it, not the old one; a length run already or a poll closed
/// is refused and changes nothing; the terms survive a restart.
#[tokio::test]
async fn a_poll_gets_more_time_and_a_new_question_on_air() {
    let clock = ManualClock::at("2026-12-04T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/polls", live.id);
    let (s, poll) =
        app.post(&path, Some(&host), json!({"question": "Quel jeu ?", "options": ["Mario Kart", "Zelda"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    let one = format!("{path}/{}", poll["id"].as_str().unwrap());
    let patch = async |token: &str, body: Value| app.patch(&one, token, body).await;
    let vote = json!({"amount": 500, "currency": "EUR", "donor": "Ana", "message": "#zelda"});
    app.donate(&live, vote.clone()).await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;

    // A poll open until closed gets a deadline: ten minutes from its start.
    clock.set("2026-12-04T20:05:00Z");
    let (s, v) = patch(&host, json!({"minutes": 10})).await;
    assert_eq!(
        (s, v["ends_at"].as_str(), v["question"].as_str(), tallies(&v)),
        (StatusCode::OK, Some("2026-12-04T20:10:00.000Z"), Some("Quel jeu ?"), vec![(0, 0), (500, 1)]),
        "{v}"
    );
    let ev = ws.until("poll_updated").await;
    assert_eq!(ev["poll"]["ends_at"], "2026-12-04T20:10:00.000Z");
    // Five more minutes and its question reworded, with the live's key.
    clock.set("2026-12-04T20:09:00Z");
    let (s, v) = patch(&live.key, json!({"minutes": 15, "question": "Quel jeu ce soir ?"})).await;
    assert_eq!(
        (s, v["ends_at"].as_str(), v["question"].as_str()),
        (StatusCode::OK, Some("2026-12-04T20:15:00.000Z"), Some("Quel jeu ce soir ?"))
    );
    assert_eq!(ws.until("poll_updated").await["poll"]["question"], "Quel jeu ce soir ?");
    // The same terms: nothing written.
    let (s, _) = patch(&host, json!({"minutes": 15})).await;
    assert_eq!(s, StatusCode::OK);
    // Past the old deadline, still open: a vote counts.
    clock.set("2026-12-04T20:12:00Z");
    app.donate(&live, vote.clone()).await;
    let next = ws.next().await;
    assert_eq!(next["type"], "donation", "no frame for the same terms, not closed at 20:10: {next}");

    // Refused, nothing changed.
    let (s, e) = patch(&host, json!({"minutes": 11})).await;
    assert_eq!(
        (s, e["error"].as_str(), e["field"].as_str(), e["elapsed_minutes"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("poll_too_short"), Some("minutes"), Some(12)),
        "{e}"
    );
    for (body, code) in [
        (json!({"minutes": 0}), "invalid_field"),
        (json!({"question": " "}), "invalid_field"),
        (json!({"options": ["A", "B"]}), "unknown_field"),
    ] {
        let (s, e) = patch(&host, body.clone()).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{body}: {e}");
    }
    for token in [other.body["host_token"].as_str().unwrap(), live.overlay_token.as_str()] {
        let (s, e) = patch(token, json!({"minutes": 30})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    let (s, e) = app.patch(&format!("{path}/nope"), &host, json!({"minutes": 30})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("poll_not_found")), "{e}");
    assert!(ws.try_next(std::time::Duration::from_millis(300)).await.is_none(), "nothing refused reached the streams");

    // Closed at its new deadline; then over.
    clock.set("2026-12-04T20:15:30Z");
    app.donate(&live, vote.clone()).await;
    let closed = ws.until("poll_closed").await;
    assert_eq!(
        (closed["poll"]["closed_at"].as_str(), tallies(&closed["poll"])),
        (Some("2026-12-04T20:15:00.000Z"), vec![(0, 0), (1000, 2)])
    );
    let (s, e) = patch(&host, json!({"minutes": 60})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("poll_over")), "{e}");

    let app = app.restart_clocked(&clock).await;
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let p = &l["polls"][0];
    assert_eq!(
        (p["question"].as_str(), p["ends_at"].as_str(), p["closed_at"].as_str()),
        (Some("Quel jeu ce soir ?"), Some("2026-12-04T20:15:00.000Z"), Some("2026-12-04T20:15:00.000Z")),
        "{l}"
    );
}
