//! Rewards a live's host offers for a gift of at least an amount ("a portrait
//! drawn on stream, from 30 €"): a donation claims one by naming its keyword in
//! its message or its `reward` field, while it is offered and some are left.

use super::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A reward's counts: (claimed, delivered, left).
fn counts(r: &Value) -> (i64, i64, Value) {
    (r["claimed"].as_i64().unwrap(), r["delivered"].as_i64().unwrap(), r["left"].clone())
}

/// Each claim of a reward listed by `GET …/rewards`: (donation id, donor, message, refunded, delivered).
fn claims(r: &Value) -> Vec<(String, Value, Value, bool, bool)> {
    r["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let d = &c["donation"];
            (
                d["id"].as_str().unwrap().to_owned(),
                d["donor"].clone(),
                d["message"].clone(),
                d["refunded"].as_bool().unwrap(),
                c["delivered"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_donation_claims_a_reward_with_its_keyword_while_some_are_left() {
    let clock = ManualClock::at("2026-12-05T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;

    let path = format!("/api/v1/lives/{}/rewards", live.id);
    let (s, portrait) =
        app.post(&path, Some(&host), json!({"title": "Un portrait dessiné", "amount": 3000, "quantity": 2})).await;
    assert_eq!(s, StatusCode::CREATED, "{portrait}");
    let pid = portrait["id"].as_str().unwrap().to_owned();
    assert_eq!(
        portrait,
        json!({
            "id": pid, "live_id": live.id, "title": "Un portrait dessiné", "amount": 3000, "quantity": 2,
            "tag": "unportraitdessine", "claimed": 0, "delivered": 0, "left": 2,
            "created_at": "2026-12-05T20:00:00.000Z", "closed_at": null,
        })
    );
    let offered = ws.until("reward_offered").await;
    assert_eq!(offered["reward"], portrait);
    let (s, merci) = app.post(&path, Some(&live.key), json!({"title": "Merci en direct !", "amount": 500})).await;
    assert_eq!(s, StatusCode::CREATED, "{merci}");
    assert_eq!(
        (merci["tag"].as_str(), merci["quantity"].clone(), merci["left"].clone()),
        (Some("merciendirect"), Value::Null, Value::Null)
    );
    let mid = merci["id"].as_str().unwrap().to_owned();

    let gift =
        |message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": "Ana", "message": message});
    // The keyword whatever its case and accents: claimed, one left.
    let (s, first) = app.donate(&live, gift("Un #UnPortraitDessiné de mon chat", 3000)).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!((first["reward"]["id"].as_str(), counts(&first["reward"])), (Some(pid.as_str()), (1, 0, json!(1))));
    let frame = ws.until("donation").await;
    assert_eq!(frame["reward"], first["reward"]);
    // Too little for it: the gift counts, no reward.
    let (_, short) = app.donate(&live, gift("#unportraitdessine", 2999)).await;
    assert!(short.get("reward").is_none(), "{short}");
    assert_eq!(short["totals"]["raised"], json!(5999));
    // Named in its own field (a form's choice): the last one.
    let (s, field) = app
        .donate(
            &live,
            json!({"amount": 5000, "currency": "EUR", "donor": "Bo", "message": "mon chien", "reward": "#UnPortraitDessine"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{field}");
    assert_eq!(counts(&field["reward"]), (1 + 1, 0, json!(0)));
    // None left: the next keyword the message names that takes it.
    let (_, gone) = app.donate(&live, gift("#unportraitdessine ou sinon #merciendirect", 4000)).await;
    assert_eq!((gone["reward"]["id"].as_str(), counts(&gone["reward"])), (Some(mid.as_str()), (1, 0, Value::Null)));
    let (_, none) = app.donate(&live, gift("#unportraitdessine", 9000)).await;
    assert!(none.get("reward").is_none(), "{none}");
    // A reward the live does not have: refused, nothing counted.
    let (s, e) = app.donate(&live, json!({"amount": 3000, "currency": "EUR", "reward": "sticker"})).await;
    assert_eq!(
        (s, e["error"].as_str(), e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_reward"), Some("reward")),
        "{e}"
    );
    assert_eq!(
        e["message"].as_str(),
        Some("the live offers no reward \"sticker\": #unportraitdessine, #merciendirect")
    );
    let (_, now) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(now["totals"]["raised"], json!(3000 + 2999 + 5000 + 4000 + 9000));
    assert_eq!(now["rewards"].as_array().map(Vec::len), Some(2));
    assert_eq!(counts(&now["rewards"][0]), (2, 0, json!(0)));

    // A retried request answers as the first time and claims nothing more.
    let keyed = [("idempotency-key", "retry-1")];
    let body = gift("#merciendirect", 700).to_string();
    let donations = format!("/api/v1/lives/{}/donations", live.id);
    let (_, once) = app.request(Method::POST, &donations, Some(&live.key), &keyed, Some(body.clone())).await;
    let (s, again) = app.request(Method::POST, &donations, Some(&live.key), &keyed, Some(body)).await;
    assert_eq!((s, &again), (StatusCode::OK, &once));
    assert_eq!(counts(&again["reward"]), (2, 0, Value::Null));

    // Refunded whole, its claim goes back: one left again; in part, it keeps it.
    let first_id = first["donation"]["id"].as_str().unwrap().to_owned();
    let field_id = field["donation"]["id"].as_str().unwrap().to_owned();
    let (_, part) = app
        .post(&format!("/api/v1/donations/{field_id}/refund"), Some(&live.key), json!({"refunded_amount": 1000}))
        .await;
    assert_eq!(counts(&part["reward"]), (2, 0, json!(0)));
    let (_, whole) = app.post(&format!("/api/v1/donations/{first_id}/refund"), Some(&live.key), json!({})).await;
    assert_eq!(counts(&whole["reward"]), (1, 0, json!(1)));
    let frame = ws.until("refund").await;
    assert_eq!(frame["reward"], whole["reward"]);
    // Its alert shown again names it too (an overlay opened since learns it there).
    let (s, _) = app.post(&format!("/api/v1/donations/{field_id}/replay"), Some(&host), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let replay = ws.until("alert_replay").await;
    assert_eq!(
        (replay["donation"]["id"].as_str(), replay["reward"]["id"].as_str()),
        (Some(field_id.as_str()), Some(pid.as_str()))
    );
    let (_, third) = app.donate(&live, gift("encore un #unportraitdessine", 3500)).await;
    assert_eq!(counts(&third["reward"]), (2, 0, json!(0)));
    let third_id = third["donation"]["id"].as_str().unwrap().to_owned();

    // The host's list: each claim in the order it came, the refunded one too.
    let (s, list) = app.request(Method::GET, &path, Some(&host), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let gone_id = gone["donation"]["id"].as_str().unwrap().to_owned();
    let once_id = once["donation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        claims(&list["rewards"][0]),
        [
            (first_id.clone(), json!("Ana"), json!("Un #UnPortraitDessiné de mon chat"), true, false),
            (field_id.clone(), json!("Bo"), json!("mon chien"), false, false),
            (third_id.clone(), json!("Ana"), json!("encore un #unportraitdessine"), false, false),
        ]
    );
    assert_eq!(
        claims(&list["rewards"][1]),
        [
            (gone_id, json!("Ana"), json!("#unportraitdessine ou sinon #merciendirect"), false, false),
            (once_id, json!("Ana"), json!("#merciendirect"), false, false),
        ]
    );
    let (s, e) = app.request(Method::GET, &path, Some(&live.overlay_token), &[], None).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "an overlay's token does not read the claims: {e}"
    );

    // Given: marked by its host, said on the stream; the same again writes nothing.
    let claim = |id: &str| format!("{path}/claims/{id}");
    let put = |url: String, token: String, delivered: bool| {
        let body = json!({ "delivered": delivered }).to_string();
        let app = &app;
        async move { app.request(Method::PUT, &url, Some(&token), &[], Some(body)).await }
    };
    let (s, done) = put(claim(&field_id), host.clone(), true).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((done["id"].as_str(), counts(&done)), (Some(pid.as_str()), (2, 1, json!(0))));
    assert_eq!(claims(&done)[1], (field_id.clone(), json!("Bo"), json!("mon chien"), false, true));
    let frame = ws.until("reward_delivered").await;
    assert_eq!(
        (frame["donation_id"].as_str(), frame["delivered"].as_bool(), counts(&frame["reward"])),
        (Some(field_id.as_str()), Some(true), (2, 1, json!(0)))
    );
    let seq = frame["seq"].as_u64().unwrap();
    let (s, same) = put(claim(&field_id), host.clone(), true).await;
    assert_eq!((s, counts(&same)), (StatusCode::OK, (2, 1, json!(0))));
    assert!(app.events(&live, seq).await.is_empty(), "a second mark writes nothing");
    let (_, undone) = put(claim(&field_id), ADMIN.to_owned(), false).await;
    assert_eq!(counts(&undone), (2, 0, json!(0)));
    put(claim(&third_id), host.clone(), true).await;
    let short_id = short["donation"]["id"].as_str().unwrap();
    let other_host = other.body["host_token"].as_str().unwrap().to_owned();
    for (url, token, status, code) in [
        (claim(short_id), host.clone(), StatusCode::NOT_FOUND, "claim_not_found"),
        (claim("nope"), host.clone(), StatusCode::NOT_FOUND, "claim_not_found"),
        (claim(&third_id), other_host.clone(), StatusCode::FORBIDDEN, "forbidden"),
    ] {
        let (s, e) = put(url.clone(), token, true).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{url}: {e}");
    }

    // No longer offered: its claims stay, no donation claims it after.
    clock.set("2026-12-05T20:30:00Z");
    let close = format!("{path}/{mid}/close");
    let (s, e) = app.post(&close, Some(&other_host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, closed) = app.post(&close, Some(&host), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{closed}");
    assert_eq!(
        (closed["closed_at"].as_str(), counts(&closed)),
        (Some("2026-12-05T20:30:00.000Z"), (2, 0, Value::Null))
    );
    assert_eq!(ws.until("reward_closed").await["reward"], closed);
    let (_, late) = app.donate(&live, gift("#merciendirect", 900)).await;
    assert!(late.get("reward").is_none(), "{late}");
    for (url, status, code) in [
        (close.clone(), StatusCode::CONFLICT, "reward_closed"),
        (format!("{path}/nope/close"), StatusCode::NOT_FOUND, "reward_not_found"),
        (format!("/api/v1/lives/{}/rewards/{mid}/close", other.id), StatusCode::NOT_FOUND, "reward_not_found"),
    ] {
        let (s, e) = app.post(&url, Some(ADMIN), json!({})).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{url}: {e}");
    }

    // All of it is in the log: the same after a restart.
    let (_, before) = app.request(Method::GET, &path, Some(ADMIN), &[], None).await;
    let app = app.restart().await;
    let (_, after) = app.request(Method::GET, &path, Some(ADMIN), &[], None).await;
    assert_eq!(after, before);
    assert_eq!(counts(&after["rewards"][0]), (2, 1, json!(0)));
}

#[tokio::test]
async fn a_reward_is_refused_with_what_is_wrong_and_its_keyword_is_its_own() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let path = format!("/api/v1/lives/{}/rewards", live.id);
    for (body, status, code, field) in [
        (json!({"title": " ", "amount": 3000}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("title")),
        (json!({"title": "Portrait", "amount": 0}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_amount", None),
        (json!({"title": "Portrait", "amount": "30"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_amount", None),
        (
            json!({"title": "Portrait", "amount": 3000, "quantity": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("quantity"),
        ),
        (
            json!({"title": "Portrait", "amount": 3000, "quantity": 10001}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("quantity"),
        ),
        (
            json!({"title": "Portrait", "amount": 3000, "price": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            None,
        ),
    ] {
        let (s, e) = app.post(&path, Some(&live.key), body.clone()).await;
        assert_eq!((s, e["error"].as_str(), e["field"].as_str()), (status, Some(code), field), "{body}: {e}");
    }
    let (s, e) = app.post(&path, Some(&live.overlay_token), json!({"title": "Portrait", "amount": 3000})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) =
        app.post("/api/v1/lives/nope/rewards", Some(ADMIN), json!({"title": "Portrait", "amount": 3000})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("live_not_found")), "{e}");
    let (_, doc) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(doc["rewards"], json!([]), "nothing refused was offered");

    // Keywords: from the title, one of its own among those offered.
    let mut tags = vec![];
    for title in ["Portrait", "Portrait !", "100", "🎨"] {
        let (s, r) = app.post(&path, Some(&live.key), json!({"title": title, "amount": 1000})).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        tags.push(r["tag"].as_str().unwrap().to_owned());
    }
    assert_eq!(tags, ["portrait", "portrait2", "reward", "reward2"]);
    let first = app.get(&format!("/api/v1/lives/{}", live.id)).await.1["rewards"][0]["id"].as_str().unwrap().to_owned();
    app.post(&format!("{path}/{first}/close"), Some(ADMIN), json!({})).await;
    let (_, again) = app.post(&path, Some(&live.key), json!({"title": "Portrait", "amount": 1000})).await;
    assert_eq!(again["tag"].as_str(), Some("portrait"), "a closed reward's keyword is free again");
    // A keyword of the host's choosing, folded; one taken or without letters refused.
    let (s, chosen) = app
        .post(
            &path,
            Some(&live.key),
            json!({"title": "Un portrait dessiné en direct", "amount": 1000, "tag": "#Dessin-Live"}),
        )
        .await;
    assert_eq!((s, chosen["tag"].as_str()), (StatusCode::CREATED, Some("dessinlive")), "{chosen}");
    for (tag, status, code) in [
        ("portrait", StatusCode::CONFLICT, "tag_taken"),
        ("#42", StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        ("🎨", StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
    ] {
        let (s, e) = app.post(&path, Some(&live.key), json!({"title": "Autre", "amount": 1000, "tag": tag})).await;
        assert_eq!((s, e["error"].as_str(), e["field"].as_str()), (status, Some(code), Some("tag")), "{tag}: {e}");
    }

    // Twenty offered at once at most.
    for i in 0..15 {
        let (s, r) = app.post(&path, Some(&live.key), json!({"title": format!("Dessin {i}"), "amount": 1000})).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let (s, e) = app.post(&path, Some(&live.key), json!({"title": "Un de trop", "amount": 1000})).await;
    assert_eq!(
        (s, e["error"].as_str(), e["max"].as_u64()),
        (StatusCode::CONFLICT, Some("too_many_rewards"), Some(20)),
        "{e}"
    );
}

#[tokio::test]
async fn the_organisers_download_every_claim_to_give_each_reward() {
    use super::moderation::{cells, download, python_csv};
    let clock = ManualClock::at("2026-12-31T23:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let cid = live.campaign_id.clone();
    let offer = async |l: &TestLive, title: &str, amount: i64| {
        let (s, r) = app
            .post(&format!("/api/v1/lives/{}/rewards", l.id), Some(&l.key), json!({"title": title, "amount": amount}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        r["id"].as_str().unwrap().to_owned()
    };
    let portrait = offer(&live, "=Portrait", 3000).await;
    let poster = offer(&other, "Affiche", 1500).await;
    let give = async |l: &TestLive, body: Value| {
        let (s, d) = app.donate(l, body).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        d["donation"]["id"].as_str().unwrap().to_owned()
    };
    let chloe = give(&live, json!({"amount": 3000, "currency": "EUR", "donor": "Chloé", "anonymous": true, "message": "Mon chat Félix #portrait"})).await;
    clock.set("2026-12-31T23:31:00Z");
    give(&live, json!({"amount": 2000, "currency": "EUR", "donor": "Trop peu", "message": "#portrait"})).await;
    let bob = give(&other, json!({"amount": 1500, "currency": "EUR", "donor": "-Bob", "reward": "affiche"})).await;
    let put = format!("/api/v1/lives/{}/rewards/claims/{bob}", other.id);
    let (s, _) =
        app.request(Method::PUT, &put, Some(&other.key), &[], Some(json!({"delivered": true}).to_string())).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post(&format!("/api/v1/donations/{chloe}/refund"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);

    let (s, disposition, plain) = download(&app, &format!("/api/v1/campaigns/{cid}/rewards.csv")).await;
    assert_eq!((s, disposition), (StatusCode::OK, format!("attachment; filename=\"{cid}-rewards.csv\"")));
    let names = [
        "reward_id",
        "reward",
        "min_amount",
        "live_id",
        "host",
        "donation_id",
        "received_at",
        "donor",
        "anonymous",
        "message",
        "amount",
        "refunded",
        "delivered",
        "erased",
        "currency",
    ];
    assert_eq!(
        python_csv(&plain, ",").iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            [
                portrait.as_str(),
                "'=Portrait",
                "30.00",
                live.id.as_str(),
                "Corentin",
                chloe.as_str(),
                "2026-12-31T23:30:00.000Z",
                "Chloé",
                "yes",
                "Mon chat Félix #portrait",
                "30.00",
                "yes",
                "no",
                "no",
                "EUR",
            ],
            [
                poster.as_str(),
                "Affiche",
                "15.00",
                other.id.as_str(),
                "Inès",
                bob.as_str(),
                "2026-12-31T23:31:00.000Z",
                "'-Bob",
                "no",
                "",
                "15.00",
                "no",
                "yes",
                "no",
                "EUR",
            ],
        ]
    );
    // In a French spreadsheet, on Paris's clock.
    let (_, _, sheet) =
        download(&app, &format!("/api/v1/campaigns/{cid}/rewards.csv?excel=1&lang=fr&tz=Europe/Paris")).await;
    let rows = python_csv(&sheet, ";");
    let names = ["intitulé", "reçu le (Europe/Paris)", "donateur", "don minimum", "remboursé", "donnée"];
    assert_eq!(
        rows.iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            ["'=Portrait", "2027-01-01 00:30:00", "Chloé", "30,00", "oui", "non"],
            ["Affiche", "2027-01-01 00:31:00", "'-Bob", "15,00", "non", "oui"],
        ]
    );
    // Erased at the donor's request: the claim stays, without the words.
    let (s, _) = app.post(&format!("/api/v1/donations/{bob}/erase"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, plain) = download(&app, &format!("/api/v1/campaigns/{cid}/rewards.csv")).await;
    let rows = python_csv(&plain, ",");
    assert_eq!(cells(&rows[1], &["donor", "message", "delivered", "erased"]), ["", "", "yes", "yes"]);
    let path = format!("/api/v1/campaigns/{cid}/rewards.csv");
    let (s, _) = app.request(Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "organisers only");
    let (s, e) = app.request(Method::GET, "/api/v1/campaigns/nope/rewards.csv", Some(ADMIN), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")));
}

#[tokio::test]
async fn a_reward_s_terms_change_for_the_gifts_to_come_and_it_is_offered_again() {
    let clock = ManualClock::at("2026-12-05T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let other_host = other.body["host_token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let path = format!("/api/v1/lives/{}/rewards", live.id);
    let (_, portrait) =
        app.post(&path, Some(&host), json!({"title": "Un portrait", "amount": 3000, "quantity": 1})).await;
    let pid = portrait["id"].as_str().unwrap().to_owned();
    let edit = format!("{path}/{pid}");
    let patch = async |token: &str, body: Value| {
        app.request(Method::PATCH, &edit, Some(token), &[], Some(body.to_string())).await
    };
    let gift =
        |message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": "Ana", "message": message});
    let (_, first) = app.donate(&live, gift("#unportrait", 3000)).await;
    assert_eq!(counts(&first["reward"]), (1, 0, json!(0)));
    let (_, sold_out) = app.donate(&live, gift("#unportrait", 3000)).await;
    assert!(sold_out.get("reward").is_none(), "{sold_out}");

    // Two more, for 20 € from now on, under a better title: the first claim keeps it.
    clock.set("2026-12-05T20:01:00Z");
    let (s, more) = patch(&host, json!({"title": "Un portrait dessiné", "amount": 2000, "quantity": 3})).await;
    assert_eq!(s, StatusCode::OK, "{more}");
    assert_eq!(
        more,
        json!({
            "id": pid, "live_id": live.id, "title": "Un portrait dessiné", "amount": 2000, "quantity": 3,
            "tag": "unportrait", "claimed": 1, "delivered": 0, "left": 2,
            "created_at": "2026-12-05T20:00:00.000Z", "closed_at": null,
        })
    );
    assert_eq!(ws.until("reward_updated").await["reward"], more);
    let (_, second) = app.donate(&live, gift("Pour moi #UnPortrait", 2000)).await;
    assert_eq!(
        (second["reward"]["title"].as_str(), counts(&second["reward"])),
        (Some("Un portrait dessiné"), (2, 0, json!(1)))
    );
    let (_, list) = app.request(Method::GET, &path, Some(&host), &[], None).await;
    let ids: Vec<String> = claims(&list["rewards"][0]).into_iter().map(|c| c.0).collect();
    assert_eq!(ids, [first["donation"]["id"].as_str().unwrap(), second["donation"]["id"].as_str().unwrap()]);

    // Never fewer than the claims that count; no limit with null; the same terms write nothing.
    let (s, e) = patch(&live.key, json!({"quantity": 1})).await;
    assert_eq!(
        (s, e["error"].as_str(), e["claimed"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quantity_below_claimed"), Some(2)),
        "{e}"
    );
    let (s, unlimited) = patch(ADMIN, json!({"quantity": null})).await;
    assert_eq!(
        (s, unlimited["quantity"].clone(), unlimited["left"].clone()),
        (StatusCode::OK, Value::Null, Value::Null)
    );
    ws.until("reward_updated").await;
    let before = app.events(&live, 0).await.len();
    let (s, same) = patch(&host, json!({"quantity": null, "title": "Un portrait dessiné"})).await;
    assert_eq!((s, &same), (StatusCode::OK, &unlimited));
    assert_eq!(app.events(&live, 0).await.len(), before, "the same terms wrote nothing");

    // A keyword of its own: another offered reward's is refused.
    let (_, poster) = app.post(&path, Some(&host), json!({"title": "Affiche", "amount": 1000})).await;
    let (s, e) = patch(&host, json!({"tag": "#Affiche"})).await;
    assert_eq!(
        (s, e["error"].as_str(), e["field"].as_str()),
        (StatusCode::CONFLICT, Some("tag_taken"), Some("tag")),
        "{e}"
    );
    let (s, retagged) = patch(&host, json!({"tag": "#Dessin"})).await;
    assert_eq!((s, retagged["tag"].as_str()), (StatusCode::OK, Some("dessin")), "{retagged}");
    assert_eq!(ws.until("reward_updated").await["reward"], retagged);
    let (_, third) = app.donate(&live, gift("#dessin", 2000)).await;
    assert_eq!(third["reward"]["id"].as_str(), Some(pid.as_str()), "{third}");
    let (_, old_word) = app.donate(&live, gift("#unportrait", 2000)).await;
    assert!(old_word.get("reward").is_none(), "{old_word}");

    // Closed, edited while closed, offered again with its keyword; once.
    app.post(&format!("{edit}/close"), Some(&host), json!({})).await;
    let (s, closed) = patch(&host, json!({"title": "Un portrait au fusain"})).await;
    assert_eq!((s, closed["closed_at"].as_str()), (StatusCode::OK, Some("2026-12-05T20:01:00.000Z")), "{closed}");
    let reopen = format!("{edit}/reopen");
    let (s, e) = app.post(&reopen, Some(&other_host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    clock.set("2026-12-05T20:02:00Z");
    let (s, reopened) = app.post(&reopen, Some(&host), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{reopened}");
    assert_eq!(
        (reopened["title"].as_str(), reopened["tag"].as_str(), reopened["closed_at"].clone(), counts(&reopened)),
        (Some("Un portrait au fusain"), Some("dessin"), Value::Null, (3, 0, Value::Null))
    );
    let frame = ws.until("reward_updated").await;
    assert_eq!(frame["reward"]["title"], "Un portrait au fusain");
    let frame = ws.until("reward_updated").await;
    assert_eq!(frame["reward"], reopened);
    let (s, e) = app.post(&reopen, Some(&host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("reward_open")), "{e}");
    // Its keyword taken while it was closed: not offered again until it has another.
    let poster_id = poster["id"].as_str().unwrap();
    app.post(&format!("{path}/{poster_id}/close"), Some(&host), json!({})).await;
    let (_, new_poster) = app.post(&path, Some(&host), json!({"title": "Affiche", "amount": 1500})).await;
    assert_eq!(new_poster["tag"].as_str(), Some("affiche"));
    let (s, e) = app.post(&format!("{path}/{poster_id}/reopen"), Some(&host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("tag_taken")), "{e}");

    // Refusals in the contract's shape, changing nothing.
    let before = app.events(&live, 0).await.len();
    for (token, target, body, status, code) in [
        (host.as_str(), format!("{path}/nope"), json!({"title": "X"}), StatusCode::NOT_FOUND, "reward_not_found"),
        (
            ADMIN,
            format!("/api/v1/lives/{}/rewards/{pid}", other.id),
            json!({"title": "X"}),
            StatusCode::NOT_FOUND,
            "reward_not_found",
        ),
        (
            ADMIN,
            format!("/api/v1/lives/nope/rewards/{pid}"),
            json!({"title": "X"}),
            StatusCode::NOT_FOUND,
            "live_not_found",
        ),
        (live.overlay_token.as_str(), edit.clone(), json!({"title": "X"}), StatusCode::FORBIDDEN, "forbidden"),
        (other_host.as_str(), edit.clone(), json!({"title": "X"}), StatusCode::FORBIDDEN, "forbidden"),
        (host.as_str(), edit.clone(), json!({"title": " "}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (host.as_str(), edit.clone(), json!({"quantity": 0}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (host.as_str(), edit.clone(), json!({"amount": -5}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_amount"),
        (host.as_str(), edit.clone(), json!({"tag": "#42"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (host.as_str(), edit.clone(), json!({"claimed": 0}), StatusCode::UNPROCESSABLE_ENTITY, "unknown_field"),
    ] {
        let (s, e) = app.request(Method::PATCH, &target, Some(token), &[], Some(body.to_string())).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{target} {body}: {e}");
    }
    assert_eq!(app.events(&live, 0).await.len(), before, "nothing refused was written");

    // Kept by a restart.
    let app = app.restart_clocked(&clock).await;
    let (_, doc) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(doc["rewards"][0], reopened);
}

#[tokio::test]
async fn the_host_sees_the_gifts_that_named_a_reward_without_getting_it_and_why() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/rewards", live.id);
    let (_, portrait) =
        app.post(&path, Some(&host), json!({"title": "Un portrait", "amount": 3000, "quantity": 1})).await;
    let pid = portrait["id"].as_str().unwrap().to_owned();
    app.post(&path, Some(&host), json!({"title": "Un merci", "amount": 500})).await;
    let gift = |donor: &str, message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": donor, "message": message});
    let id = |v: &Value| v["donation"]["id"].as_str().unwrap().to_owned();
    let (_, short) = app.donate(&live, gift("Ana", "Un #UnPortrait ?", 2000)).await;
    let (_, got) = app.donate(&live, gift("Bob", "#unportrait", 3000)).await;
    assert_eq!(got["reward"]["id"].as_str(), Some(pid.as_str()));
    let (_, late) = app.donate(&live, gift("Chloé", "#unportrait svp", 3500)).await;
    // Another reward it named took it; a keyword no reward has; none named: not listed.
    let (_, other) = app.donate(&live, gift("Dan", "#unportrait #unmerci", 1000)).await;
    assert_eq!(other["reward"]["title"].as_str(), Some("Un merci"));
    app.donate(&live, gift("Eve", "#dessin", 9000)).await;
    app.donate(&live, gift("Fred", "Bravo", 9000)).await;
    app.post(&format!("{path}/{pid}/close"), Some(&host), json!({})).await;
    let (_, closed) = app.donate(&live, gift("Gus", "#UNPORTRAIT", 5000)).await;
    assert!(short.get("reward").is_none() && late.get("reward").is_none() && closed.get("reward").is_none());

    let missed = async |app: &TestApp| {
        let (s, v) = app.request(Method::GET, &path, Some(&host), &[], None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let r = v["rewards"].as_array().unwrap().iter().find(|r| r["id"] == pid.as_str()).unwrap().clone();
        r["missed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let d = &m["donation"];
                json!([d["id"], d["donor"], d["amount"], d["message"], m["why"]])
            })
            .collect::<Vec<_>>()
    };
    let expected = vec![
        json!([id(&short), "Ana", 2000, "Un #UnPortrait ?", "too_little"]),
        json!([id(&late), "Chloé", 3500, "#unportrait svp", "none_left"]),
        json!([id(&closed), "Gus", 5000, "#UNPORTRAIT", "closed"]),
    ];
    assert_eq!(missed(&app).await, expected);
    // The merci's list names none.
    let (_, v) = app.request(Method::GET, &path, Some(&host), &[], None).await;
    assert_eq!(v["rewards"][1]["missed"], json!([]));

    // A whole refund shows; erased, its message names nothing any more.
    assert_eq!(app.refund(&live, &id(&short), json!({})).await, StatusCode::OK);
    let (s, e) = app.post(&format!("/api/v1/donations/{}/erase", id(&late)), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (_, v) = app.request(Method::GET, &path, Some(&host), &[], None).await;
    assert_eq!(v["rewards"][0]["missed"][0]["donation"]["refunded"], json!(true));
    let now = missed(&app).await;
    assert_eq!(now, [expected[0].clone(), expected[2].clone()]);

    // The same after a restart: worked out again from the log.
    let app = app.restart().await;
    assert_eq!(missed(&app).await, now);
}
