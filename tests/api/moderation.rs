//! Dashboard sessions and CSRF, moderation (delay, manual approval, word list,
//! hiding after the fact), test alerts, edits, the donations export, public streams.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn sign_in(app: &TestApp) -> (String, String) {
    let r =
        app.client.post(format!("{}/api/v1/session", app.base)).json(&json!({"token": ADMIN})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    (cookie, csrf)
}

async fn session_of(app: &TestApp, cookie: &str) -> (StatusCode, Value) {
    app.request(reqwest::Method::GET, "/api/v1/session", None, &[("cookie", cookie)], None).await
}

/// A restart keeps the dashboard signed in; a sign-out, or a new admin token, does not survive it.
#[tokio::test]
async fn sessions_survive_a_restart_but_not_a_sign_out_or_a_new_admin_token() {
    let app = spawn_app().await;
    let (kept, kept_csrf) = sign_in(&app).await;
    let (closed, closed_csrf) = sign_in(&app).await;
    let headers = [("cookie", closed.as_str()), ("x-csrf-token", closed_csrf.as_str())];
    let (s, _) = app.request(reqwest::Method::DELETE, "/api/v1/session", None, &headers, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(session_of(&app, &closed).await.0, StatusCode::UNAUTHORIZED);

    let app = app.restart().await;
    let (s, v) = session_of(&app, &kept).await;
    assert_eq!((s, v["csrf_token"].as_str()), (StatusCode::OK, Some(kept_csrf.as_str())));
    assert_eq!(session_of(&app, &closed).await.0, StatusCode::UNAUTHORIZED);
    // The same CSRF token still guards writes.
    let cid = app.eur_campaign().await;
    let (s, v) = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/campaigns/{cid}/lives"),
            None,
            &[("cookie", &kept), ("x-csrf-token", &kept_csrf)],
            Some(json!({"host": "Après redémarrage"}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The file keeps digests only: no cookie in it.
    let stored = std::fs::read(app.data_dir().join("sessions.sqlite")).unwrap();
    let cookie_value = kept.split_once('=').unwrap().1;
    assert!(!stored.windows(cookie_value.len()).any(|w| w == cookie_value.as_bytes()));

    let addr = app.addr.to_string();
    let dir = app.stop().await;
    let app = spawn_app_at(dir, &addr, |c| c.admin_token = Some("another-admin-token-0123456789".into())).await;
    assert_eq!(session_of(&app, &kept).await.0, StatusCode::UNAUTHORIZED, "signed in with the old admin token");
}

#[tokio::test]
async fn sessions_need_the_admin_token_and_writes_need_the_csrf_token() {
    let app = spawn_app_with(Arc::new(tempfile::tempdir().unwrap()), |c| c.session_ttl_secs = 2).await;
    let cid = app.eur_campaign().await;
    let client = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.base);
    let r =
        client.post(url("/api/v1/session")).json(&json!({"token": "wrong-token-wrong-token"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("set-cookie").is_none());

    let r = client.post(url("/api/v1/session")).json(&json!({"token": ADMIN})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("cagnotte_session=cs_"), "{set_cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attr), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP here");
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let (s, v) = app.request(reqwest::Method::GET, "/api/v1/session", None, &[("cookie", &cookie)], None).await;
    assert_eq!((s, v["csrf_token"].as_str()), (StatusCode::OK, Some(csrf.as_str())));
    let body = json!({"host": "Par le tableau de bord"}).to_string();
    let path = format!("/api/v1/campaigns/{cid}/lives");
    let (s, v) = app.request(reqwest::Method::POST, &path, None, &[("cookie", &cookie)], Some(body.clone())).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")), "no CSRF token");
    let (s, _) = app
        .request(
            reqwest::Method::POST,
            &path,
            None,
            &[("cookie", &cookie), ("x-csrf-token", "nope")],
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "wrong CSRF token");
    let (s, v) = app
        .request(
            reqwest::Method::POST,
            &path,
            None,
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A forged cookie is nobody.
    let (s, _) = app
        .request(
            reqwest::Method::POST,
            &path,
            None,
            &[("cookie", "cagnotte_session=cs_forged"), ("x-csrf-token", &csrf)],
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Sessions expire.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (s, _) = app.request(reqwest::Method::GET, "/api/v1/session", None, &[("cookie", &cookie)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "expired");
    let (s, _) = app
        .request(reqwest::Method::POST, &path, None, &[("cookie", &cookie), ("x-csrf-token", &csrf)], Some(body))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Signing out ends the session at once.
    let r = client.post(url("/api/v1/session")).json(&json!({"token": ADMIN})).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let (s, _) = app.request(reqwest::Method::DELETE, "/api/v1/session", None, &[("cookie", &cookie)], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "signing out is a write: it needs the CSRF token too");
    let csrf =
        app.request(reqwest::Method::GET, "/api/v1/session", None, &[("cookie", &cookie)], None).await.1["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned();
    let (s, _) = app
        .request(
            reqwest::Method::DELETE,
            "/api/v1/session",
            None,
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.request(reqwest::Method::GET, "/api/v1/session", None, &[("cookie", &cookie)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn delayed_text_reaches_overlays_after_the_delay_while_totals_do_not_wait() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let m = app.moderate(&live, json!({"mode": "delay", "delay_seconds": 1})).await;
    assert_eq!((m["mode"].as_str(), m["delay_seconds"].as_u64()), (Some("delay"), Some(1)));
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let posted = Instant::now();
    let (_, d) =
        app.donate(&live, json!({"amount": 500, "currency": "EUR", "donor": "Léa", "message": "Courage !"})).await;
    assert_eq!(d["donation"]["moderation"], "pending");
    let ev = ws.until("donation").await;
    assert_eq!(ev["donation"]["donor"], Value::Null);
    assert_eq!(ev["donation"]["message"], Value::Null);
    assert_eq!(ev["donation"]["moderation"], "pending");
    assert_eq!(ev["totals"]["total"], 500, "totals never wait");
    let upd = ws.until("donation_updated").await;
    let waited = posted.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(4), "{waited:?}");
    assert_eq!(upd["donation"]["donor"], "Léa");
    assert_eq!(upd["donation"]["message"], "Courage !");
    assert_eq!(upd["donation"]["moderation"], "shown");

    // Hidden before the delay ends: it never goes on air.
    let (_, d) = app.donate(&live, json!({"amount": 100, "currency": "EUR", "message": "spam spam"})).await;
    let id = d["donation"]["id"].as_str().unwrap();
    let (s, h) = app.post(&format!("/api/v1/donations/{id}/hide"), Some(&live.key), json!({"message": true})).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    ws.until("donation").await;
    let upd = ws.until("donation_updated").await;
    assert_eq!((upd["donation"]["moderation"].as_str(), upd["donation"]["message"].as_str()), (Some("hidden"), None));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "no release after a hide");
}

#[tokio::test]
async fn manual_approval_and_hiding_after_the_fact() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let (_, d) = app
        .donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Zoé", "message": "Pour les Restos"}))
        .await;
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(ws.until("donation").await["donation"]["moderation"], "pending");
    let (_, m) = app
        .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/moderation", live.id), Some(ADMIN), &[], None)
        .await;
    assert_eq!(m["pending"].as_array().unwrap().len(), 1);
    assert_eq!(m["pending"][0]["message_text"], "Pour les Restos", "organisers see the text they judge");
    assert!(ws.try_next(Duration::from_millis(600)).await.is_none(), "nothing goes on air without approval");

    let (s, a) = app.post(&format!("/api/v1/donations/{id}/approve"), Some(&live.overlay_token), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{a}");
    let (s, a) = app.post(&format!("/api/v1/donations/{id}/approve"), Some(&live.key), json!({})).await;
    assert_eq!((s, a["donation"]["message"].as_str()), (StatusCode::OK, Some("Pour les Restos")));
    let upd = ws.until("donation_updated").await;
    assert_eq!(upd["donation"]["donor"], "Zoé");
    let (_, m) = app
        .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/moderation", live.id), Some(ADMIN), &[], None)
        .await;
    assert_eq!(m["pending"], json!([]));

    // Hidden after the fact: open overlays update, new ones never see it.
    let (_, h) = app.post(&format!("/api/v1/donations/{id}/hide"), Some(ADMIN), json!({"donor": true})).await;
    assert_eq!((h["donation"]["donor"].as_str(), h["donation"]["message"].as_str()), (None, Some("Pour les Restos")));
    let upd = ws.until("donation_updated").await;
    assert_eq!(upd["donation"]["donor"], Value::Null);
    assert_eq!(upd["donation"]["moderation"], "hidden");
    let mut fresh = app.ws(&live, None).await;
    let snap = fresh.next().await;
    assert_eq!(snap["recent"][0]["donor"], Value::Null);
    assert_eq!(snap["top_donors"], json!([]), "a hidden name leaves the leaderboard");
    let (_, again) = app.post(&format!("/api/v1/donations/{id}/hide"), Some(ADMIN), json!({"donor": true})).await;
    assert_eq!(again["donation"]["moderation"], "hidden");
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "hiding twice writes nothing");
    // Moderation never changed the money.
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"], json!({"raised": 700, "matched": 0, "total": 700, "donations": 1}));
}

/// A burst of texts held for moderation does not push out the gifts on air:
/// a snapshot and the live's document give the twenty newest on air (the
/// ticker's and the latest gift's) and the held ones newer than them; one
/// refunded whole leaves its place to the one before, one approved takes its
/// place in time, and a restart gives the same list.
#[tokio::test]
async fn held_texts_do_not_push_the_gifts_on_air_out_of_the_newest() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let mut ids = vec![];
    for i in 0..22 {
        let body = json!({"amount": 100 + i, "currency": "EUR", "donor": format!("Vu {i}")});
        let (_, d) = app.donate(&live, body).await;
        ids.push(d["donation"]["id"].as_str().unwrap().to_owned());
    }
    app.moderate(&live, json!({"mode": "manual"})).await;
    let mut held = vec![];
    for i in 0..30 {
        let body = json!({"amount": 500 + i, "currency": "EUR", "donor": format!("Attente {i}")});
        let (_, d) = app.donate(&live, body).await;
        held.push(d["donation"]["id"].as_str().unwrap().to_owned());
    }
    // [on air, held], each newest first, by amount.
    let recent = |doc: &Value| -> (Vec<i64>, Vec<i64>) {
        let all = doc["recent"].as_array().unwrap();
        let of = |pending: bool| {
            all.iter()
                .filter(|d| (d["moderation"] == "pending") == pending)
                .map(|d| d["amount"].as_i64().unwrap())
                .collect::<Vec<_>>()
        };
        (of(false), of(true))
    };
    let on_air = |from: i64, to: i64| (from..to).rev().collect::<Vec<i64>>();
    let snap = app.ws(&live, None).await.next().await;
    assert_eq!(recent(&snap), (on_air(102, 122), on_air(500, 530)));
    let (_, doc) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(recent(&doc), (on_air(102, 122), on_air(500, 530)));
    // The newest on air refunded whole: the twenty-first newest comes back.
    assert_eq!(app.refund(&live, &ids[21], json!({})).await, StatusCode::OK);
    let snap = app.ws(&live, None).await.next().await;
    assert_eq!(recent(&snap), (on_air(101, 121), on_air(500, 530)));
    // A held text approved: on air at its place in time, the oldest on air out.
    let (s, a) = app.post(&format!("/api/v1/donations/{}/approve", held[3]), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let mut air = vec![503];
    air.extend(on_air(102, 121));
    let mut waiting = on_air(504, 530);
    waiting.extend(on_air(500, 503));
    let snap = app.ws(&live, None).await.next().await;
    assert_eq!(recent(&snap), (air.clone(), waiting.clone()));
    let app = app.restart().await;
    let snap = app.ws(&live, None).await.next().await;
    assert_eq!(recent(&snap), (air, waiting), "the same after a restart");
}

/// A name or words hidden by mistake go back on air: the open overlays get
/// the donation as it is again, a fresh one sees the name in its list and its
/// leaderboard, the live's donations list says it is shown, the CSV export
/// has the name again, and a restart keeps it so; showing what is not hidden
/// writes nothing, nothing chosen is refused, and an overlay's token cannot.
#[tokio::test]
async fn a_hidden_name_and_message_go_back_on_air() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (_, d) = app
        .donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Zoé", "message": "Pour les Restos"}))
        .await;
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let (s, _) =
        app.post(&format!("/api/v1/donations/{id}/hide"), Some(ADMIN), json!({"donor": true, "message": true})).await;
    assert_eq!(s, StatusCode::OK);
    let mut ws = app.ws(&live, None).await;
    let snap = ws.next().await;
    assert_eq!((snap["recent"][0]["donor"].clone(), snap["top_donors"].clone()), (Value::Null, json!([])));

    let path = format!("/api/v1/donations/{id}/show");
    let show = async |body: Value, token: String| app.post(&path, Some(&token), body).await;
    let (s, e) = show(json!({"donor": true}), live.overlay_token.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = show(json!({}), live.key.clone()).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("nothing_to_show")), "{e}");
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "a refused call writes nothing");

    let (s, v) = show(json!({"donor": true}), live.key.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["donation"]["donor"].as_str(), v["donation"]["message"].as_str(), v["donation"]["moderation"].as_str()),
        (Some("Zoé"), None, Some("hidden"))
    );
    let upd = ws.until("donation_updated").await;
    assert_eq!((upd["donation"]["donor"].as_str(), upd["donation"]["message"].as_str()), (Some("Zoé"), None));
    let (_, v) = show(json!({"message": true}), ADMIN.to_owned()).await;
    assert_eq!(v["donation"]["moderation"], "shown");
    let upd = ws.until("donation_updated").await;
    assert_eq!(upd["donation"]["message"], "Pour les Restos");
    let (_, again) = show(json!({"donor": true, "message": true}), ADMIN.to_owned()).await;
    assert_eq!(again["donation"]["moderation"], "shown");
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "showing what is shown writes nothing");

    let check = async |app: &TestApp| {
        let mut fresh = app.ws(&live, None).await;
        let snap = fresh.next().await;
        assert_eq!(
            (snap["recent"][0]["donor"].as_str(), snap["recent"][0]["message"].as_str()),
            (Some("Zoé"), Some("Pour les Restos"))
        );
        assert_eq!(snap["top_donors"][0]["donor"], "Zoé", "{}", snap["top_donors"]);
        let path = format!("/api/v1/lives/{}/donations", live.id);
        let (_, list) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
        let d = &list["donations"][0];
        assert_eq!(
            (d["donor_hidden"].clone(), d["message_hidden"].clone(), d["moderation"].clone()),
            (json!(false), json!(false), json!("shown"))
        );
        let (_, _, csv) = download(app, &format!("/api/v1/campaigns/{}/donations.csv", live.campaign_id)).await;
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains("Zoé") && csv.contains("Pour les Restos"), "{csv}");
    };
    check(&app).await;
    let app = app.restart().await;
    check(&app).await;
}

#[tokio::test]
async fn the_word_list_masks_whole_words_case_and_accent_insensitively() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (_, d) = app
        .donate(&live, json!({"amount": 100, "currency": "EUR", "donor": "Le Bâtard", "message": "gros CONNARD va"}))
        .await;
    assert_eq!(d["donation"]["donor"], "Le ******");
    assert_eq!(d["donation"]["message"], "gros ******* va");
    let m = app.moderate(&live, json!({"mode": "off", "words": ["Brocoli", "épinards"]})).await;
    assert_eq!(m["words"], json!(["Brocoli", "épinards"]));
    assert_eq!(m["default_words"], false);
    let (_, d) = app
        .donate(&live, json!({"amount": 100, "currency": "EUR", "message": "Des EPINARDS et du brocoli, connard"}))
        .await;
    assert_eq!(d["donation"]["message"], "Des ******** et du *******, connard");
    let (s, e) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/lives/{}/moderation", live.id),
            Some(&live.key),
            &[],
            Some(json!({"mode": "sometimes"}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/lives/{}/moderation", live.id),
            Some(&live.key),
            &[],
            Some(json!({"mode": "delay", "delay_seconds": 0}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Links and e-mail addresses stay off the air unless the live allows them;
/// the organisers still read the message as given.
#[tokio::test]
async fn links_and_addresses_are_masked_unless_the_live_allows_them() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let message = "Go sur twitch.tv/moi ou écris à jo@mail.fr !";
    let (_, d) = app.donate(&live, json!({"amount": 100, "currency": "EUR", "donor": "Jo", "message": message})).await;
    assert_eq!(d["donation"]["message"], "Go sur ************* ou écris à ********** !");
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let (s, v) = app.admin_get(&format!("/api/v1/campaigns/{}/donations", live.campaign_id)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let row = v["donations"].as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).cloned().unwrap();
    assert_eq!(row["message_text"], message, "the organisers read what was given");
    let m = app.moderate(&live, json!({"mode": "off"})).await;
    assert_eq!(m["links"], true, "on unless allowed");
    let m = app.moderate(&live, json!({"mode": "off", "links": false})).await;
    assert_eq!(m["links"], false);
    let app = app.restart().await;
    let (_, m) = app
        .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/moderation", live.id), Some(&live.key), &[], None)
        .await;
    assert_eq!(m["links"], false, "kept across a restart");
    let (_, d) = app.donate(&live, json!({"amount": 100, "currency": "EUR", "message": message})).await;
    assert_eq!(d["donation"]["message"], message);
    // The first gift keeps the mask it went on air with.
    let snap = app.ws(&live, None).await.next().await;
    let first = snap["recent"].as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).cloned().unwrap();
    assert_eq!(first["message"], "Go sur ************* ou écris à ********** !");
}

#[tokio::test]
async fn test_alerts_reach_overlays_and_count_nowhere() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.donate_ok(&live, 300).await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    let (s, t) = app
        .post(
            &format!("/api/v1/lives/{}/test-alert", live.id),
            Some(&live.key),
            json!({"donor": "Test", "message": "Ceci est un test"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let ev = ws.until("test_alert").await;
    assert_eq!(ev["donation"]["test"], true);
    assert_eq!(ev["donation"]["donor"], "Test");
    assert_eq!(ev["donation"]["amount"], 500);
    assert!(ev.get("totals").is_none());
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"], json!({"raised": 300, "matched": 0, "total": 300, "donations": 1}));
    let snap = app.ws(&live, None).await.next().await;
    assert_eq!(snap["recent"].as_array().unwrap().len(), 1);
    let (_, list) = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/campaigns/{}/donations", live.campaign_id),
            Some(ADMIN),
            &[],
            None,
        )
        .await;
    assert_eq!(list["donations"].as_array().unwrap().len(), 1);
}

/// A donation's alert asked for again reaches the live's overlays as it is now
/// (a hidden name stays hidden) and changes nothing else; the host's link may
/// ask, a refunded donation or a text waiting for approval may not.
#[tokio::test]
async fn an_alert_replayed_reaches_overlays_and_changes_nothing() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let (_, d) =
        app.donate(&live, json!({"amount": 1200, "currency": "EUR", "donor": "Zoé", "message": "Bravo"})).await;
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let (s, v) = app.post(&format!("/api/v1/donations/{id}/hide"), Some(&live.key), json!({"donor": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let before = app.get(&format!("/api/v1/lives/{}", live.id)).await.1;
    let mut ws = app.ws(&live, None).await;
    let snap = ws.next().await;
    let host = live.body["host_token"].as_str().unwrap();
    let replay = format!("/api/v1/donations/{id}/replay");
    let (s, v) = app.post(&replay, Some(host), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["donation"]["id"].as_str(), v["donation"]["donor"].clone()), (Some(id.as_str()), Value::Null));
    let ev = ws.until("alert_replay").await;
    assert_eq!(ev["seq"], snap["seq"].as_u64().unwrap() + 1);
    assert_eq!(
        (ev["donation"]["id"].as_str(), ev["donation"]["amount"].clone(), ev["donation"]["donor"].clone()),
        (Some(id.as_str()), json!(1200), Value::Null),
        "the name hidden stays hidden: {ev}"
    );
    assert_eq!(ev["donation"]["message"], "Bravo");
    assert!(ev.get("totals").is_none(), "{ev}");
    for token in [ADMIN, live.key.as_str()] {
        let (s, v) = app.post(&replay, Some(token), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let mut after = app.get(&format!("/api/v1/lives/{}", live.id)).await.1;
    assert_eq!(after["seq"], before["seq"].as_u64().unwrap() + 3, "the stream's three frames");
    after["seq"] = before["seq"].clone();
    assert_eq!(after, before, "nothing else changed");
    let events = app.events(&live, snap["seq"].as_u64().unwrap()).await;
    assert_eq!(events.iter().map(|e| e["type"].as_str().unwrap()).collect::<Vec<_>>(), ["alert_replay"; 3]);

    // Refused: another live's key or host link, an overlay token, a refunded
    // donation, a text waiting for approval, a donation that does not exist.
    let other_host = other.body["host_token"].as_str().unwrap();
    for token in [other.key.as_str(), other_host, live.overlay_token.as_str()] {
        let (s, e) = app.post(&replay, Some(token), json!({})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    let (s, v) = app.post(&format!("/api/v1/donations/{id}/refund"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, e) = app.post(&replay, Some(host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("donation_refunded")), "{e}");
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (_, p) = app.donate(&live, json!({"amount": 500, "currency": "EUR", "donor": "Hugo", "message": "?"})).await;
    let pending = p["donation"]["id"].as_str().unwrap();
    let (s, e) = app.post(&format!("/api/v1/donations/{pending}/replay"), Some(host), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("text_pending")), "{e}");
    let (s, e) = app.post("/api/v1/donations/nope/replay", Some(ADMIN), json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("donation_not_found")), "{e}");

    // The log replays with it.
    let totals = app.get(&format!("/api/v1/lives/{}", live.id)).await.1["totals"].clone();
    let app = app.restart().await;
    assert_eq!(app.get(&format!("/api/v1/lives/{}", live.id)).await.1["totals"], totals);
}

#[tokio::test]
async fn campaigns_and_lives_can_be_edited() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let path = format!("/api/v1/campaigns/{}", live.campaign_id);
    let (s, c) = app
        .request(
            reqwest::Method::PATCH,
            &path,
            Some(ADMIN),
            &[],
            Some(json!({"name": "Restos 2026", "goal": null, "charity": "Restos du cœur"}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(
        (c["name"].as_str(), c["goal"].as_i64(), c["charity"].as_str(), c["currency"].as_str()),
        (Some("Restos 2026"), None, Some("Restos du cœur"), Some("EUR"))
    );
    let (s, _) =
        app.request(reqwest::Method::PATCH, &path, Some(&live.key), &[], Some(json!({"name": "x"}).to_string())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app
        .request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(json!({"currency": "USD"}).to_string()))
        .await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field")));
    let lpath = format!("/api/v1/lives/{}", live.id);
    let (s, l) = app
        .request(
            reqwest::Method::PATCH,
            &lpath,
            Some(ADMIN),
            &[],
            Some(
                json!({"title": "Concert du mercredi", "scheduled_at": "2026-11-25T19:00:00Z", "duration_minutes": 90})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(l["title"], "Concert du mercredi");
    assert_eq!(l["scheduled_at"], "2026-11-25T19:00:00.000Z");
    assert_eq!(l["ends_at"], "2026-11-25T20:30:00.000Z");
    assert_eq!(l["host"], "Corentin");
    let (s, _) = app
        .request(reqwest::Method::PATCH, &lpath, Some(ADMIN), &[], Some(json!({"duration_minutes": 0}).to_string()))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let app = app.restart().await;
    assert_eq!(app.get(&lpath).await.1["title"], "Concert du mercredi");
    assert_eq!(app.get(&path).await.1["name"], "Restos 2026");
}

#[tokio::test]
async fn the_csv_export_parses_back_to_the_same_rows() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.post(
        &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
        Some(ADMIN),
        json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 2000}),
    )
    .await;
    let tricky = "Dupont, \"Jojo\" & fils";
    let (_, a) = app
        .donate(&live, json!({"amount": 1050, "currency": "EUR", "donor": tricky, "message": "ligne 1; \"citée\""}))
        .await;
    let (_, b) = app.donate(&live, json!({"amount": 200, "currency": "EUR", "donor": "Anne", "anonymous": true})).await;
    app.post(&format!("/api/v1/donations/{}/refund", b["donation"]["id"].as_str().unwrap()), Some(ADMIN), json!({}))
        .await;
    let (_, c) = app.donate(&live, json!({"amount": 1000, "currency": "EUR", "donor": "Cléo"})).await;
    // Texts a spreadsheet would run as a formula.
    let formulas = [
        ("=HYPERLINK(\"https://example.com\",\"Reçu\")", "+33 6 12 34 56 78"),
        ("-Anne-", "@SUM(A1:A9)"),
        ("Léa", "=1+1"),
    ];
    for (donor, message) in formulas {
        let (s, v) =
            app.donate(&live, json!({"amount": 100, "currency": "EUR", "donor": donor, "message": message})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, _) = app
        .post(
            &format!("/api/v1/donations/{}/refund", c["donation"]["id"].as_str().unwrap()),
            Some(ADMIN),
            json!({"refunded_amount": 250}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let export = |query: &'static str| {
        let url = format!("{}/api/v1/campaigns/{}/donations.csv{query}", app.base, live.campaign_id);
        let request = app.client.get(url).bearer_auth(ADMIN);
        async move { request.send().await.unwrap() }
    };
    let res = export("").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let rows = python_csv(csv.as_bytes(), ",");
    assert_eq!(rows.len(), 6);
    let texts: Vec<_> = rows[3..].iter().map(|r| (r["donor"].clone(), r["message"].clone())).collect();
    assert_eq!(
        texts,
        [
            ("'=HYPERLINK(\"https://example.com\",\"Reçu\")", "'+33 6 12 34 56 78"),
            ("'-Anne-", "'@SUM(A1:A9)"),
            ("Léa", "'=1+1"),
        ]
        .map(|(d, m)| (json!(d), json!(m)))
    );
    assert_eq!(rows[0]["donation_id"], a["donation"]["id"]);
    assert_eq!(rows[0]["donor"], tricky);
    assert_eq!(rows[0]["message"], "ligne 1; \"citée\"");
    // What each donation counts for now, refunds taken off: given back whole
    // (the sponsor's share back too), in part (the share scaled down).
    let money: Vec<_> = rows[..3]
        .iter()
        .map(|r| ["amount", "kept", "matched", "total"].map(|k| r[k].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        money,
        [["10.50", "10.50", "10.50", "21.00"], ["2.00", "0.00", "0.00", "0.00"], ["10.00", "7.50", "7.12", "14.62"]]
    );
    // Each column sums to the campaign's totals, to the cent.
    let cents = |s: &str| -> i64 { s.replace('.', "").parse().unwrap() };
    let sum = |k: &str| rows.iter().map(|r| cents(r[k].as_str().unwrap())).sum::<i64>();
    let campaign = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await.1;
    assert_eq!(
        json!({"raised": sum("kept"), "matched": sum("matched"), "total": sum("total")}),
        json!({"raised": 2100, "matched": 1762, "total": 3862})
    );
    assert_eq!(
        [&campaign["totals"]["raised"], &campaign["totals"]["matched"], &campaign["totals"]["total"]],
        [2100, 1762, 3862]
    );
    assert_eq!(
        (rows[0]["currency"].as_str(), rows[0]["refunded"].as_str(), rows[0]["host"].as_str()),
        (Some("EUR"), Some("no"), Some("Corentin"))
    );
    assert_eq!(rows[1]["donor"], "Anne");
    assert_eq!(rows[1]["anonymous"], "yes");
    assert_eq!(rows[1]["refunded"], "yes");
    assert!(rows[1]["refunded_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        (rows[0]["refunded_amount"].as_str(), rows[1]["refunded_amount"].as_str()),
        (Some("0.00"), Some("2.00"))
    );

    // For a spreadsheet opened with a double click: a byte order mark, and in
    // French `;` between cells, decimal commas, French names, oui/non, and times
    // a spreadsheet reads as dates; the same rows.
    for (query, sep, names) in [
        (
            "?excel=1&lang=fr",
            ";",
            ["identifiant", "donateur", "message", "montant", "abondé", "anonyme", "reçu le (UTC)"],
        ),
        (
            "?excel=1&lang=en",
            ",",
            ["donation id", "donor", "message", "amount", "matched", "anonymous", "received (UTC)"],
        ),
    ] {
        let res = export(query).await;
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "{query}: a UTF-8 byte order mark");
        let sheet = python_csv(&bytes, sep);
        assert_eq!(sheet.len(), rows.len(), "{query}");
        let [id, donor, message, amount, matched, anonymous, received] = names;
        let french = sep == ";";
        for (r, plain) in sheet.iter().zip(&rows) {
            assert_eq!((&r[id], &r[donor], &r[message]), (&plain["donation_id"], &plain["donor"], &plain["message"]));
            let decimal =
                |v: &Value| if french { v.as_str().unwrap().replace('.', ",") } else { v.as_str().unwrap().to_owned() };
            assert_eq!(
                (r[amount].as_str().unwrap(), r[matched].as_str().unwrap()),
                (decimal(&plain["amount"]).as_str(), decimal(&plain["matched"]).as_str())
            );
            let yes = if french { ["oui", "non"] } else { ["yes", "no"] };
            assert_eq!(r[anonymous], if plain["anonymous"] == "yes" { yes[0] } else { yes[1] });
            // "2026-12-04 17:38:40": the RFC 3339 time to the second, without its T and zone.
            let iso = plain["received_at"].as_str().unwrap();
            assert_eq!(r[received].as_str().unwrap(), iso[..19].replace('T', " "));
        }
        assert_eq!(sheet[0][message], "ligne 1; \"citée\"", "a `;` inside a cell stays in it");
        assert_eq!(sheet[2][amount], if french { "10,00" } else { "10.00" });
    }
    let (s, _) = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/campaigns/{}/donations.csv", live.campaign_id),
            Some(&live.key),
            &[],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "organisers only");
}

#[tokio::test]
async fn public_streams_need_no_token_and_show_only_moderated_text() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (stream, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws/public/lives/{}", app.addr, live.id)).await.unwrap();
    let mut ws = Ws { stream };
    ws.next().await;
    app.donate(&live, json!({"amount": 100, "currency": "EUR", "donor": "Secret", "message": "pas encore"})).await;
    let ev = ws.until("donation").await;
    assert_eq!(ev["totals"]["total"], 100);
    assert!(!ev.to_string().contains("pas encore") && !ev.to_string().contains("Secret"));
    let snap = app.campaign_ws(&live.campaign_id).await.next().await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["totals"]["total"], 100);
    assert!(!snap.to_string().contains("overlay_token"));
}

#[tokio::test]
async fn a_shared_link_to_a_public_page_says_what_was_raised_for_whom() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Doubletesdons", "currency": "EUR", "goal": 500000, "charity": "Les Restos du cœur"}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Corentin"})).await;
    app.donate_ok(&live, 123_450).await;
    let other = app.live(&cid, json!({"host": "Ana"})).await;
    app.donate_ok(&other, 50).await;
    // What a chat app or a social network reads of the page, without running it.
    let meta = |path: String| {
        let app = &app;
        async move {
            let html = app.client.get(format!("{}{path}", app.base)).send().await.unwrap().text().await.unwrap();
            let read = |attr: &str| {
                let start = html.find(attr).unwrap_or_else(|| panic!("{attr} in {path}")) + attr.len();
                html[start..][..html[start..].find('"').unwrap()].to_owned()
            };
            (read("<meta name=\"description\" content=\""), read("<meta property=\"og:description\" content=\""))
        }
    };
    let (description, og) = meta(format!("/lives/{}", live.id)).await;
    assert_eq!(
        description,
        "1\u{202f}234,50\u{a0}€ collectés pour Les Restos du cœur (1 don). Suivez le direct et faites un don\u{a0}!"
    );
    assert_eq!(og, description);
    let (description, _) = meta(format!("/lives/{}?lang=en", live.id)).await;
    assert_eq!(description, "€1,234.50 raised for Les Restos du cœur (1 donation). Follow along and donate!");
    let (description, _) = meta(format!("/campaigns/{cid}?lang=en")).await;
    assert_eq!(description, "€1,235.00 raised for Les Restos du cœur (2 donations). Follow along and donate!");
}

#[tokio::test]
async fn the_donations_list_gives_the_newest_first_and_how_many_in_all() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for amount in [100, 200, 300] {
            ids.push(app.donate_ok(&live, amount).await["donation"]["id"].as_str().unwrap().to_owned());
        }
        ids
    };
    // After the newest: the oldest given back whole, the middle one in part.
    let refund = |id: &str, body: Value| {
        let (app, path) = (&app, format!("/api/v1/donations/{id}/refund"));
        async move {
            let (s, v) = app.post(&path, Some(ADMIN), body).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    };
    refund(&ids[0], json!({})).await;
    refund(&ids[1], json!({"refunded_amount": 50})).await;
    let list = |query: &'static str| {
        let app = &app;
        let path = format!("/api/v1/campaigns/{}/donations{query}", live.campaign_id);
        async move { app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await }
    };
    let amounts =
        |v: &Value| v["donations"].as_array().unwrap().iter().map(|d| d["amount"].clone()).collect::<Vec<_>>();
    let (s, all) = list("").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((amounts(&all), all["count"].clone()), (vec![json!(300), json!(200), json!(100)], json!(3)));
    let (s, two) = list("?limit=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((amounts(&two), two["count"].clone()), (vec![json!(300), json!(200)], json!(3)));
    // Read from the newer part of the log only, they stand as in the whole list.
    assert_eq!(two["donations"][1]["refunded_amount"], 50);
    assert_eq!(two["donations"].as_array().unwrap()[..], all["donations"].as_array().unwrap()[..2]);
    let (_, three) = list("?limit=3").await;
    assert_eq!(three["donations"], all["donations"]);
    assert_eq!(three["donations"][2]["refunded"], true);
    let (_, none) = list("?limit=0").await;
    assert_eq!((none["donations"].clone(), none["count"].clone()), (json!([]), json!(3)));
    let (s, e) = list("?limit=-1").await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{e}");
}

#[tokio::test]
async fn the_donations_list_finds_a_donation_by_name_message_host_id_or_amount() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Léa Dumont", "title": "Concert du soir"})).await;
    let mut ids = Vec::new();
    for (to, body) in [
        (&live, json!({"amount": 5000, "currency": "EUR", "donor": "Chloé Martin", "anonymous": true})),
        (&live, json!({"amount": 1250, "currency": "EUR", "donor": "Bob", "message": "Pour les RESTOS !"})),
        (&other, json!({"amount": 123450, "currency": "EUR", "donor": "Zoé", "message": "merci Chloé"})),
        (&other, json!({"amount": 700, "currency": "EUR"})),
    ] {
        let (s, v) = app.donate(to, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["donation"]["id"].as_str().unwrap().to_owned());
    }
    let (s, _) = app.post(&format!("/api/v1/donations/{}/refund", ids[0]), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let find = |q: &str| {
        let app = &app;
        let path = format!("/api/v1/campaigns/{}/donations?q={}", live.campaign_id, urlencoding(q));
        async move {
            let (s, v) = app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let found: Vec<String> =
                v["donations"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
            (found, v["count"].as_u64().unwrap(), v)
        }
    };
    // Newest first; the real name of an anonymous donor; without case or accents.
    let (found, count, v) = find("chloe").await;
    assert_eq!((found, count), (vec![ids[2].clone(), ids[0].clone()], 2));
    assert_eq!(v["donations"][1]["donor_name"], "Chloé Martin");
    assert_eq!(v["donations"][1]["refunded"], true);
    assert_eq!(find("restos").await.0, vec![ids[1].clone()]);
    assert_eq!(find(" lea ").await.0, vec![ids[3].clone(), ids[2].clone()]);
    assert_eq!(find("CONCERT").await.0, vec![ids[3].clone(), ids[2].clone()], "the live's title");
    assert_eq!(find(&ids[3]).await.0, vec![ids[3].clone()]);
    // Amounts as the dashboard writes them, in either language.
    assert_eq!(find("12,50").await.0, vec![ids[1].clone()]);
    assert_eq!(find("12.5").await.0, vec![ids[1].clone()]);
    assert_eq!(find("1 234,50 €").await.0, vec![ids[2].clone()]);
    assert_eq!(find("€1,234.50").await.0, vec![ids[2].clone()]);
    assert_eq!(find("50").await.0, vec![ids[0].clone()]);
    assert_eq!(find("7").await.0, vec![ids[3].clone()]);
    // A limit keeps the count of all it found.
    let path = format!("/api/v1/campaigns/{}/donations?q=chloe&limit=1", live.campaign_id);
    let (_, v) = app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
    assert_eq!((v["donations"].as_array().unwrap().len(), v["count"].clone()), (1, json!(2)));
    // Nothing found; a blank search is no search.
    assert_eq!(find("nobody").await.1, 0);
    assert_eq!(find("  ").await.1, 4);
    let path = format!("/api/v1/campaigns/{}/donations?q={}", live.campaign_id, "x".repeat(201));
    let (s, e) = app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
    assert_eq!(
        (s, e["error"].as_str(), e["max"].as_u64()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"), Some(200))
    );
}

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// A live's key lists that live's donations only, with their real text and
/// what befell them, newest first; another live's key, an overlay token or no
/// token are refused.
#[tokio::test]
async fn a_live_key_lists_its_own_live_s_donations_with_their_real_text() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (_, first) = app
        .donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Zoé", "message": "Pour les Restos"}))
        .await;
    app.donate_ok(&other, 900).await;
    let (_, second) =
        app.donate(&live, json!({"amount": 1250, "currency": "EUR", "donor": "Chloé", "anonymous": true})).await;
    app.donate_ok(&other, 300).await;
    let (_, third) = app.donate(&live, json!({"amount": 500, "currency": "EUR", "donor": "Hugo"})).await;
    let id = |v: &Value| v["donation"]["id"].as_str().unwrap().to_owned();
    let (first, second, third) = (id(&first), id(&second), id(&third));
    let (s, v) = app.post(&format!("/api/v1/donations/{second}/refund"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(&format!("/api/v1/donations/{third}/hide"), Some(&live.key), json!({"donor": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let list = |query: &str, token: Option<&str>| {
        let (app, path) = (&app, format!("/api/v1/lives/{}/donations{query}", live.id));
        let token = token.map(str::to_owned);
        async move { app.request(reqwest::Method::GET, &path, token.as_deref(), &[], None).await }
    };
    let (s, all) = list("", Some(&live.key)).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(all["count"], 3, "the other live's donations are not counted");
    let ds = all["donations"].as_array().unwrap();
    let ids: Vec<&str> = ds.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [third.as_str(), second.as_str(), first.as_str()]);
    // Hugo's name hidden: the host still sees it, marked.
    assert_eq!((ds[0]["donor_name"].as_str(), ds[0]["donor"].as_str()), (Some("Hugo"), None));
    assert_eq!((ds[0]["donor_hidden"].clone(), ds[0]["moderation"].clone()), (json!(true), json!("hidden")));
    // Chloé's, anonymous and refunded.
    assert_eq!((ds[1]["donor_name"].as_str(), ds[1]["anonymous"].clone()), (Some("Chloé"), json!(true)));
    assert_eq!((ds[1]["amount"].clone(), ds[1]["refunded"].clone()), (json!(1250), json!(true)));
    // Zoé's text waits for approval: the host reads it to judge it.
    assert_eq!((ds[2]["message_text"].as_str(), ds[2]["message"].as_str()), (Some("Pour les Restos"), None));
    assert_eq!(ds[2]["moderation"], "pending");
    assert_eq!(ds.iter().map(|d| d["host"].as_str().unwrap()).collect::<Vec<_>>(), ["Corentin"; 3]);

    let (s, two) = list("?limit=2", Some(&live.key)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((two["donations"].as_array().unwrap().to_vec(), two["count"].clone()), (ds[..2].to_vec(), json!(3)));
    let (s, admin) = list("?limit=1", Some(ADMIN)).await;
    assert_eq!((s, admin["donations"][0]["id"].as_str()), (StatusCode::OK, Some(third.as_str())));
    // Found as on the campaign's list: a name without its accent (anonymous
    // and refunded included), an amount, never another live's.
    let (s, found) = list("?q=chloe", Some(&live.key)).await;
    assert_eq!((s, found["count"].clone()), (StatusCode::OK, json!(1)), "{found}");
    assert_eq!(found["donations"][0]["id"], second.as_str());
    let (_, found) = list("?q=5,00", Some(&live.key)).await;
    assert_eq!((found["count"].clone(), found["donations"][0]["id"].as_str()), (json!(1), Some(third.as_str())));
    let (_, found) = list("?q=9,00", Some(&live.key)).await;
    assert_eq!(found, json!({"donations": [], "count": 0}), "the other live's 9,00 €");
    let (s, e) = list(&format!("?q={}", "x".repeat(201)), Some(&live.key)).await;
    assert_eq!(
        (s, e["error"].as_str(), e["max"].clone()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"), json!(200))
    );

    let (s, e) = list("", Some(&other.key)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    // An overlay token is on stream: it never reads texts held back or hidden.
    let (s, e) = list("", Some(&live.overlay_token)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = list("", None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{e}");
    let (s, e) = list("?limit=x", Some(&live.key)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{e}");
    let (s, e) = app.request(reqwest::Method::GET, "/api/v1/lives/nope/donations", Some(ADMIN), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("live_not_found")), "{e}");
    // Donating still works on the same path.
    let (s, _) = app.donate(&live, json!({"amount": 100, "currency": "EUR"})).await;
    assert_eq!(s, StatusCode::CREATED);
}

/// An export as Python's `csv` module reads it (a byte order mark skipped), one
/// object per row keyed by the header's names.
pub(super) fn python_csv(bytes: &[u8], sep: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.csv");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8-sig'), delimiter=sys.argv[2]))))")
        .arg(&file)
        .arg(sep)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An export downloaded by the admin: its status, file name and bytes.
pub(super) async fn download(app: &TestApp, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = app.client.get(format!("{}{path}", app.base)).bearer_auth(ADMIN).send().await.unwrap();
    let disposition =
        res.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (res.status(), disposition, res.bytes().await.unwrap().to_vec())
}

/// The named cells of an export's row, as Python's `csv` read them.
pub(super) fn cells(row: &Value, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| row[*n].as_str().unwrap().to_owned()).collect()
}

/// The totals by live: one row per live in schedule order, summing to the
/// campaign's totals to the cent, refunds taken off; in a spreadsheet, with the
/// campaign's own row under them.
#[tokio::test]
async fn the_lives_export_gives_each_live_s_totals_summing_to_the_campaign_s() {
    let app = spawn_app().await;
    let campaign = app.campaign(json!({"name": "Restos 2026", "currency": "EUR"})).await;
    let cid = campaign["id"].as_str().unwrap().to_owned();
    let (s, m) = app
        .post(
            &format!("/api/v1/campaigns/{cid}/matches"),
            Some(ADMIN),
            json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 100000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let unscheduled = app.live(&cid, json!({"host": "=Inès"})).await;
    let played = app
        .live(&cid, json!({"host": "Corentin", "title": "Soirée jeux", "scheduled_at": "2026-11-25T19:00:00Z"}))
        .await;
    app.donate_ok(&played, 2000).await;
    let back = app.donate_ok(&played, 500).await;
    let (s, v) = app
        .post(&format!("/api/v1/donations/{}/refund", back["donation"]["id"].as_str().unwrap()), Some(ADMIN), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.donate_ok(&unscheduled, 1250).await;
    let (_, c) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    assert_eq!(c["totals"], json!({"raised": 3250, "matched": 3250, "total": 6500, "donations": 2}));

    let export = async |query: &str| {
        let (s, disposition, bytes) = download(&app, &format!("/api/v1/campaigns/{cid}/lives.csv{query}")).await;
        assert_eq!(s, StatusCode::OK);
        (disposition, bytes)
    };
    let (disposition, plain) = export("").await;
    assert_eq!(disposition, format!("attachment; filename=\"{cid}-lives.csv\""));
    let rows = python_csv(&plain, ",");
    let names =
        ["live_id", "host", "title", "scheduled_at", "status", "donations", "raised", "matched", "total", "currency"];
    assert_eq!(
        rows.iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            [
                played.id.as_str(),
                "Corentin",
                "Soirée jeux",
                "2026-11-25T19:00:00.000Z",
                "past",
                "1",
                "20.00",
                "20.00",
                "40.00",
                "EUR"
            ],
            [unscheduled.id.as_str(), "'=Inès", "", "", "unscheduled", "1", "12.50", "12.50", "25.00", "EUR"],
        ]
    );

    let (disposition, sheet) = export("?excel=1&lang=fr").await;
    assert_eq!(disposition, format!("attachment; filename=\"{cid}-lives.csv\""));
    assert_eq!(&sheet[..3], b"\xEF\xBB\xBF");
    let rows = python_csv(&sheet, ";");
    let names = ["live", "hôte", "titre", "date (UTC)", "état", "dons", "collecté", "abondé", "total", "devise"];
    assert_eq!(
        rows.iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            [
                played.id.as_str(),
                "Corentin",
                "Soirée jeux",
                "2026-11-25 19:00:00",
                "terminé",
                "1",
                "20,00",
                "20,00",
                "40,00",
                "EUR"
            ],
            [unscheduled.id.as_str(), "'=Inès", "", "", "non programmé", "1", "12,50", "12,50", "25,00", "EUR"],
            ["Total de la campagne", "Restos 2026", "", "", "", "2", "32,50", "32,50", "65,00", "EUR"],
        ]
    );
    let (_, english) = export("?excel=1&lang=en").await;
    let rows = python_csv(&english, ",");
    assert_eq!(rows[2]["live id"], "Campaign total");
    assert_eq!((rows[2]["raised"].as_str(), rows[1]["status"].as_str()), (Some("32.50"), Some("Not scheduled")));

    let path = format!("/api/v1/campaigns/{cid}/lives.csv");
    let (s, _) = app.request(reqwest::Method::GET, &path, Some(&played.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "organisers only");
    let (s, e) = app.request(reqwest::Method::GET, "/api/v1/campaigns/nope/lives.csv", Some(ADMIN), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")));
}

/// The spreadsheets' times on the organiser's clock (`tz=`, the dashboard's
/// browser zone): a live at 23:30 UTC on December 31st is on January 1st in
/// Paris, and summer time counts; the export for programs stays in UTC.
#[tokio::test]
async fn the_spreadsheets_give_times_in_the_organiser_s_time_zone() {
    let app = spawn_app().await;
    let campaign = app.campaign(json!({"name": "Restos 2026", "currency": "EUR"})).await;
    let cid = campaign["id"].as_str().unwrap().to_owned();
    let summer = app.live(&cid, json!({"host": "Été", "scheduled_at": "2026-07-14T19:00:00Z"})).await;
    app.live(&cid, json!({"host": "Réveillon", "scheduled_at": "2026-12-31T23:30:00Z"})).await;
    app.donate_ok(&summer, 2000).await;
    let get = async |path: String| {
        let (s, _, bytes) = download(&app, &path).await;
        (s, bytes)
    };
    let lives = format!("/api/v1/campaigns/{cid}/lives.csv");
    let dates = |bytes: &[u8], sep: &str, column: &str| -> Vec<String> {
        let rows = python_csv(bytes, sep);
        rows[..2].iter().map(|r| r[column].as_str().unwrap().to_owned()).collect()
    };
    let (s, sheet) = get(format!("{lives}?excel=1&lang=fr&tz=Europe/Paris")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(dates(&sheet, ";", "date (Europe/Paris)"), ["2026-07-14 21:00:00", "2027-01-01 00:30:00"]);
    let (_, sheet) = get(format!("{lives}?excel=1&lang=en&tz=America%2FNew_York")).await;
    assert_eq!(dates(&sheet, ",", "date (America/New_York)"), ["2026-07-14 15:00:00", "2026-12-31 18:30:00"]);
    let (_, sheet) = get(format!("{lives}?excel=1&lang=en")).await;
    assert_eq!(dates(&sheet, ",", "date (UTC)"), ["2026-07-14 19:00:00", "2026-12-31 23:30:00"]);
    let (_, plain) = get(format!("{lives}?tz=Europe/Paris")).await;
    assert_eq!(dates(&plain, ",", "scheduled_at"), ["2026-07-14T19:00:00.000Z", "2026-12-31T23:30:00.000Z"]);

    // A donation's time, against Python's own conversion of its UTC time.
    let donations = format!("/api/v1/campaigns/{cid}/donations.csv");
    let (_, plain) = get(donations.clone()).await;
    let utc = python_csv(&plain, ",")[0]["received_at"].as_str().unwrap().to_owned();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, datetime, zoneinfo; t = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00')); \
             print(t.astimezone(zoneinfo.ZoneInfo('Europe/Paris')).strftime('%Y-%m-%d %H:%M:%S'))",
        )
        .arg(&utc)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let paris = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (_, sheet) = get(format!("{donations}?excel=1&lang=fr&tz=Europe/Paris")).await;
    let rows = python_csv(&sheet, ";");
    assert_eq!(rows[0]["reçu le (Europe/Paris)"], paris.as_str(), "{utc}");
    assert_eq!(rows[0]["remboursé le (Europe/Paris)"], "");
    let (_, same) = get(format!("{donations}?tz=Europe/Paris")).await;
    assert_eq!(same, plain, "the export for programs keeps UTC");

    // Anything but a zone's name is refused, and names the parameter.
    for tz in ["Mars/Olympus", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Flocaltime", "UTC%2B1"] {
        for path in [&lives, &donations] {
            let (s, e) =
                app.request(reqwest::Method::GET, &format!("{path}?excel=1&tz={tz}"), Some(ADMIN), &[], None).await;
            assert_eq!(
                (s, e["error"].as_str(), e["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some("invalid_query"), Some("tz")),
                "{tz}: {e}"
            );
        }
    }
}

/// A live's host token opens its host's space and no more: it follows and
/// moderates the live's donations, sends a test alert and replaces the overlay
/// link and its own, but never donates, refunds, edits or replaces the key; a
/// new one stops the old at once, and both outlive a restart.
#[tokio::test]
async fn a_host_token_moderates_its_live_and_never_writes_money() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    assert!(host.starts_with("ht_"), "{host}");
    assert_eq!(live.body["host_url"], format!("{}/lives/{}/host#key={host}", app.base, live.id));
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (_, d) =
        app.donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Zoé", "message": "Coucou"})).await;
    let donation = d["donation"]["id"].as_str().unwrap().to_owned();
    let (_, elsewhere) = app.donate(&other, json!({"amount": 300, "currency": "EUR", "donor": "Léo"})).await;
    let elsewhere = elsewhere["donation"]["id"].as_str().unwrap().to_owned();
    let call = |method: reqwest::Method, path: String, token: String, body: Option<Value>| {
        let app = &app;
        async move { app.request(method, &path, Some(&token), &[], body.map(|b| b.to_string())).await }
    };
    let get = |path: String, token: &str| call(reqwest::Method::GET, path, token.to_owned(), None);
    let post = |path: String, token: &str, body: Value| call(reqwest::Method::POST, path, token.to_owned(), Some(body));
    let lives = format!("/api/v1/lives/{}", live.id);

    // What the host's space does.
    let (s, list) = get(format!("{lives}/donations"), &host).await;
    assert_eq!((s, list["count"].clone()), (StatusCode::OK, json!(1)), "{list}");
    assert_eq!(list["donations"][0]["message_text"], "Coucou");
    let (s, m) = get(format!("{lives}/moderation"), &host).await;
    assert_eq!((s, m["pending"][0]["id"].as_str()), (StatusCode::OK, Some(donation.as_str())), "{m}");
    let (s, v) = post(format!("/api/v1/donations/{donation}/approve"), &host, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = post(format!("/api/v1/donations/{donation}/hide"), &host, json!({"donor": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = post(format!("{lives}/test-alert"), &host, json!({"donor": "Essai"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = get(format!("{lives}/connections"), &host).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"overlays": 0, "viewers": 0})));
    let (s, v) =
        call(reqwest::Method::PUT, format!("{lives}/moderation"), host.clone(), Some(json!({"mode": "off"}))).await;
    assert_eq!((s, v["mode"].as_str()), (StatusCode::OK, Some("off")), "{v}");

    // What it never does: money, the key, the organisers' tools, another live.
    let (s, e) = post(format!("{lives}/donations"), &host, json!({"amount": 100, "currency": "EUR"})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = post(format!("/api/v1/donations/{donation}/refund"), &host, json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = post(format!("{lives}/rotate"), &host, json!({"key": true, "overlay_token": true})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = call(reqwest::Method::PATCH, lives.clone(), host.clone(), Some(json!({"title": "Piraté"}))).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = get(format!("/api/v1/campaigns/{}/donations", live.campaign_id), &host).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = get(format!("/api/v1/lives/{}/donations", other.id), &host).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = post(format!("/api/v1/donations/{elsewhere}/hide"), &host, json!({"donor": true})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = get(format!("{lives}/donations"), other.body["host_token"].as_str().unwrap()).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, _) = app.get(&format!("/overlay/lives/{}?token={host}", live.id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not an overlay link");
    let (_, totals) = app.get(&lives).await;
    assert_eq!(totals["totals"]["raised"], 700, "{totals}");

    // A new overlay link and a new host link, from the host's own link.
    let (s, r) = post(format!("{lives}/rotate"), &host, json!({"overlay_token": true, "host_token": true})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let new_host = r["host_token"].as_str().unwrap().to_owned();
    assert_eq!(r["host_url"], format!("{}/lives/{}/host#key={new_host}", app.base, live.id));
    assert!(r["overlay_token"].as_str().unwrap().starts_with("ot_") && r.get("key").is_none(), "{r}");
    let (s, _) = get(format!("{lives}/donations"), &host).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the old host link stops at once");
    // The organiser gives a host link at any time, the key untouched.
    let (s, r) = post(format!("{lives}/rotate"), ADMIN, json!({"host_token": true})).await;
    assert_eq!((s, r.get("key"), r.get("overlay_token")), (StatusCode::OK, None, None), "{r}");
    let given = r["host_token"].as_str().unwrap().to_owned();
    let (s, _) = get(format!("{lives}/donations"), &new_host).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.donate(&live, json!({"amount": 100, "currency": "EUR"})).await;
    assert_eq!(s, StatusCode::CREATED, "the write key still donates");
    let (s, e) = post(format!("{lives}/rotate"), &given, json!({})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("nothing_to_rotate")), "{e}");

    let app = app.restart().await;
    let (s, list) = app.request(reqwest::Method::GET, &format!("{lives}/donations"), Some(&given), &[], None).await;
    assert_eq!((s, list["count"].clone()), (StatusCode::OK, json!(2)), "after a restart: {list}");
    let (s, _) = app.request(reqwest::Method::GET, &format!("{lives}/donations"), Some(&host), &[], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// What each sponsor gave, for the charity's invoice: one row per match in the
/// order they were made, `used` summing to the campaign's `matched` (refunds
/// taken off), and the spreadsheet's total row.
#[tokio::test]
async fn the_matches_export_says_what_each_sponsor_gave() {
    let app = spawn_app().await;
    let campaign = app.campaign(json!({"name": "Restos 2026", "currency": "EUR"})).await;
    let cid = campaign["id"].as_str().unwrap().to_owned();
    for body in [
        json!({"id": "fondation", "sponsor": "Fondation Exemple", "ratio": [1, 1], "cap": 3000}),
        json!({"id": "mairie", "sponsor": "=Mairie", "ratio": [1, 2], "cap": 10000}),
        json!({"id": "noel", "sponsor": "Père Noël", "ratio": [1, 1], "cap": 5000,
               "starts_at": "2040-12-24T23:00:00Z", "ends_at": "2040-12-25T23:00:00Z"}),
    ] {
        let (s, m) = app.post(&format!("/api/v1/campaigns/{cid}/matches"), Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
    }
    let live = app.live(&cid, json!({"host": "Corentin"})).await;
    app.donate_ok(&live, 2000).await;
    let second = app.donate_ok(&live, 2000).await;
    let export = async |query: &str| {
        let (s, disposition, bytes) = download(&app, &format!("/api/v1/campaigns/{cid}/matches.csv{query}")).await;
        assert_eq!(s, StatusCode::OK);
        (disposition, bytes)
    };
    let names = ["match_id", "sponsor", "ratio", "cap", "used", "left", "starts_at", "ends_at", "status", "currency"];
    // 20 € and 20 €: the foundation doubles 30 € of them and is used up, the
    // town hall gives half of each.
    let (disposition, plain) = export("").await;
    assert_eq!(disposition, format!("attachment; filename=\"{cid}-matches.csv\""));
    assert_eq!(
        python_csv(&plain, ",").iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            ["fondation", "Fondation Exemple", "1:1", "30.00", "30.00", "0.00", "", "", "used_up", "EUR"],
            ["mairie", "'=Mairie", "1:2", "100.00", "20.00", "80.00", "", "", "active", "EUR"],
            [
                "noel",
                "Père Noël",
                "1:1",
                "50.00",
                "0.00",
                "50.00",
                "2040-12-24T23:00:00.000Z",
                "2040-12-25T23:00:00.000Z",
                "pending",
                "EUR"
            ],
        ]
    );
    // The second donation given back: each sponsor gets its share back.
    let id = second["donation"]["id"].as_str().unwrap();
    let (s, v) = app.post(&format!("/api/v1/donations/{id}/refund"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, c) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    assert_eq!(c["totals"]["matched"], 3000, "{c}");
    let (_, sheet) = export("?excel=1&lang=fr&tz=Europe/Paris").await;
    let rows = python_csv(&sheet, ";");
    let names = [
        "abondement",
        "mécène",
        "ratio",
        "plafond",
        "abondé",
        "reste",
        "début (Europe/Paris)",
        "fin (Europe/Paris)",
        "état",
        "devise",
    ];
    assert_eq!(
        rows.iter().map(|r| cells(r, &names)).collect::<Vec<_>>(),
        [
            ["fondation", "Fondation Exemple", "1:1", "30,00", "20,00", "10,00", "", "", "en cours", "EUR"],
            ["mairie", "'=Mairie", "1:2", "100,00", "10,00", "90,00", "", "", "en cours", "EUR"],
            [
                "noel",
                "Père Noël",
                "1:1",
                "50,00",
                "0,00",
                "50,00",
                "2040-12-25 00:00:00",
                "2040-12-26 00:00:00",
                "à venir",
                "EUR"
            ],
            ["Total des abondements", "", "", "", "30,00", "", "", "", "", "EUR"],
        ]
    );
    let (_, english) = export("?excel=1&lang=en").await;
    let rows = python_csv(&english, ",");
    assert_eq!((rows[3]["match id"].as_str(), rows[3]["matched"].as_str()), (Some("Total matched"), Some("30.00")));

    let path = format!("/api/v1/campaigns/{cid}/matches.csv");
    let (s, _) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "organisers only");
    let (s, e) = app.request(reqwest::Method::GET, "/api/v1/campaigns/nope/matches.csv", Some(ADMIN), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")));
    let (s, e) = app.request(reqwest::Method::GET, &format!("{path}?excel=1&tz=Nowhere"), Some(ADMIN), &[], None).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("tz")));
}

/// A live with 10 € given, another of its campaign, its host's key, its
/// challenges' path and a challenge its host set at the clock's time: "Je
/// chante", 50 € more in 15 minutes.
async fn challenge_on_air(clock: &ManualClock) -> (TestApp, TestLive, TestLive, String, String, Value) {
    let app = spawn_app_clocked(clock).await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    app.donate_ok(&live, 1000).await;
    let path = format!("/api/v1/lives/{}/challenges", live.id);
    let (s, c) = app.post(&path, Some(&host), json!({"label": "Je chante", "amount": 5000, "minutes": 15})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (app, live, other, host, path, c)
}

/// A challenge set on air by the host: "50 € more in 15 minutes". Reached in
/// time, it fires `milestone_reached` once; its time up, more money changes
/// nothing.
#[tokio::test]
async fn a_challenge_counts_from_its_start_and_only_until_its_deadline() {
    let clock = ManualClock::at("2026-12-04T20:00:00Z");
    let (app, live, other, host, path, c) = challenge_on_air(&clock).await;
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (c["amount"].clone(), c["from"].clone(), c["ends_at"].clone(), c["reached"].clone(), c["live_id"].clone()),
        (json!(6000), json!(1000), json!("2026-12-04T20:15:00.000Z"), json!(false), json!(live.id)),
        "{c}"
    );
    let mut ws = app.ws(&live, None).await;
    ws.next().await;
    clock.set("2026-12-04T20:10:00Z");
    app.donate_ok(&live, 3000).await;
    app.donate_ok(&other, 9000).await; // another live's money is not this challenge's
    clock.set("2026-12-04T20:14:59Z");
    app.donate_ok(&live, 2000).await;
    let ev = ws.until("milestone_reached").await;
    assert_eq!(
        (ev["milestone"]["id"].as_str(), ev["milestone"]["label"].as_str(), ev["milestone"]["reached_at"].as_str()),
        (Some(id.as_str()), Some("Je chante"), Some("2026-12-04T20:14:59.000Z"))
    );

    // Another, missed: its time runs out before the money comes, which the
    // writer says once, with the totals it fell short at.
    let (s, late) = app.post(&path, Some(&live.key), json!({"label": "Je danse", "amount": 1000, "minutes": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{late}");
    assert_eq!((late["amount"].clone(), late["from"].clone()), (json!(7000), json!(6000)));
    let late_id = late["id"].as_str().unwrap().to_owned();
    let started = ws.until("challenge_started").await;
    assert_eq!(
        (started["milestone"]["label"].as_str(), started["milestone"]["from"].clone()),
        (Some("Je danse"), json!(6000))
    );
    clock.set("2026-12-04T20:15:59Z");
    assert!(ws.try_next(Duration::from_millis(600)).await.is_none(), "not over at its last instant");
    // A gift a moment after its end, before the writer's next look at the
    // time: the end is said first, with the totals of before the gift.
    clock.set("2026-12-04T20:16:00Z");
    app.donate_ok(&live, 5000).await;
    let missed = ws.next().await;
    assert_eq!(
        (
            missed["type"].as_str(),
            missed["milestone"]["id"].as_str(),
            missed["milestone"]["missed"].clone(),
            missed["milestone"]["reached"].clone(),
            missed["totals"]["total"].clone(),
        ),
        (Some("challenge_missed"), Some(late_id.as_str()), json!(true), json!(false), json!(6000)),
        "{missed}"
    );
    assert_eq!(ws.next().await["totals"]["total"], 11000);
    // Met when, or stopped where: a page opened in the minute after shows it so.
    let ends = |campaign: &Value| -> Vec<(Value, Value, Value, Value, Value)> {
        let ms = campaign["milestones"].as_array().unwrap().iter().take(2);
        ms.map(|m| {
            (
                m["label"].clone(),
                m["reached"].clone(),
                m["reached_at"].clone(),
                m["missed"].clone(),
                m["missed_total"].clone(),
            )
        })
        .collect()
    };
    let (_, campaign) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    let expected = [
        (json!("Je chante"), json!(true), json!("2026-12-04T20:14:59.000Z"), json!(false), Value::Null),
        (json!("Je danse"), json!(false), Value::Null, json!(true), json!(6000)),
    ];
    assert_eq!(ends(&campaign), expected);
    assert_eq!(missed["milestone"]["missed_total"], 6000, "{missed}");
    assert!(ws.try_next(Duration::from_millis(600)).await.is_none(), "no milestone for the missed challenge");

    // A third, called off by the host: over at once, never reached after.
    clock.set("2026-12-04T20:20:00Z");
    let (_, third) = app.post(&path, Some(&host), json!({"label": "Je jongle", "amount": 1000, "minutes": 30})).await;
    let third = third["id"].as_str().unwrap().to_owned();
    ws.until("challenge_started").await;
    let one = format!("{path}/{third}");
    let (s, e) =
        app.request(reqwest::Method::DELETE, &one, Some(other.body["host_token"].as_str().unwrap()), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "another live's host: {e}");
    clock.set("2026-12-04T20:21:00Z");
    let (s, v) = app.request(reqwest::Method::DELETE, &one, Some(&host), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["cancelled"].clone(), v["ends_at"].clone()), (json!(true), json!("2026-12-04T20:21:00.000Z")));
    let ended = ws.until("challenge_ended").await;
    assert_eq!(
        (ended["milestone"]["id"].as_str(), ended["milestone"]["cancelled"].clone()),
        (Some(third.as_str()), json!(true))
    );
    app.donate_ok(&live, 2000).await;
    ws.until("donation").await;
    clock.set("2026-12-04T20:51:00Z");
    assert!(
        ws.try_next(Duration::from_millis(600)).await.is_none(),
        "no milestone for the called-off challenge, and no time run out for it past its 30 minutes"
    );
    for (url, code, status) in [
        (one.clone(), "challenge_over", StatusCode::CONFLICT),
        (format!("{path}/{id}"), "challenge_over", StatusCode::CONFLICT),
        (format!("{path}/nope"), "challenge_not_found", StatusCode::NOT_FOUND),
        (format!("/api/v1/lives/{}/challenges/{third}", other.id), "challenge_not_found", StatusCode::NOT_FOUND),
    ] {
        let (s, e) = app.request(reqwest::Method::DELETE, &url, Some(ADMIN), &[], None).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{url}: {e}");
    }
    let (_, campaign) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(
        (campaign["milestones"][2]["reached"].clone(), campaign["milestones"][2]["cancelled"].clone()),
        (json!(false), json!(true))
    );

    // Refused: out-of-range minutes, no amount, another live's host link, an overlay token.
    for (body, code) in [
        (json!({"label": "x", "amount": 100, "minutes": 0}), "invalid_field"),
        (json!({"label": "x", "amount": 0, "minutes": 5}), "invalid_amount"),
        (json!({"label": " ", "amount": 100, "minutes": 5}), "invalid_field"),
    ] {
        let (s, e) = app.post(&path, Some(&host), body).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{e}");
    }
    let other_host = other.body["host_token"].as_str().unwrap();
    for token in [other_host, live.overlay_token.as_str()] {
        let (s, e) = app.post(&path, Some(token), json!({"label": "x", "amount": 100, "minutes": 5})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }

    // After a restart, the missed challenge stays so, and is not said again.
    drop(ws);
    let app = app.restart_clocked(&clock).await;
    let mut ws = app.ws(&live, None).await;
    let first = ws.next().await;
    assert_eq!(ends(&first), expected, "the overlay's first message");
    assert!(ws.try_next(Duration::from_millis(600)).await.is_none(), "nothing said again");
    let (_, campaign) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(campaign["milestones"][1]["id"].as_str(), Some(late_id.as_str()));
    assert_eq!(ends(&campaign), expected);
}

/// A challenge's terms changed on air: five more minutes, a new label, less
/// asked for (met at once when the live has gathered it since); the streams
/// follow, a length it has run already or a challenge over is refused and
/// changes nothing, and the terms survive a restart.
#[tokio::test]
async fn a_challenge_changed_on_air_follows_on_its_streams() {
    let clock = ManualClock::at("2026-12-04T20:00:00Z");
    let (app, live, other, host, path, c) = challenge_on_air(&clock).await;
    let one = format!("{path}/{}", c["id"].as_str().unwrap());
    let patch = async |token: String, body: Value| app.patch(&one, &token, body).await;
    let mut ws = app.ws(&live, None).await;
    ws.next().await;

    // Five more minutes, from the host's space.
    clock.set("2026-12-04T20:10:00Z");
    let (s, v) = patch(host.clone(), json!({"minutes": 20})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["label"].clone(), v["amount"].clone(), v["from"].clone(), v["ends_at"].clone(), v["reached"].clone()),
        (json!("Je chante"), json!(6000), json!(1000), json!("2026-12-04T20:20:00.000Z"), json!(false)),
        "{v}"
    );
    let ev = ws.until("challenge_updated").await;
    assert_eq!((&ev["milestone"]["id"], &ev["milestone"]["ends_at"]), (&c["id"], &json!("2026-12-04T20:20:00.000Z")));
    // A new label and more asked for, with the live's key: counted from its start still.
    let (s, v) = patch(live.key.clone(), json!({"label": "Je chante deux chansons", "amount": 8000})).await;
    assert_eq!(
        (s, v["amount"].clone(), v["label"].clone()),
        (StatusCode::OK, json!(9000), json!("Je chante deux chansons"))
    );
    let ev = ws.until("challenge_updated").await;
    assert_eq!(
        (&ev["milestone"]["amount"], &ev["milestone"]["label"]),
        (&json!(9000), &json!("Je chante deux chansons"))
    );
    // The same terms write nothing.
    let (s, _) = patch(host.clone(), json!({"minutes": 20, "amount": 8000})).await;
    assert_eq!(s, StatusCode::OK);
    clock.set("2026-12-04T20:18:00Z");
    app.donate_ok(&live, 7000).await;
    let next = ws.next().await;
    assert_eq!(next["type"], "donation", "no frame for the same terms, no milestone at 80 € of 90 €: {next}");

    // Refused, nothing changed: a length already run, bad fields, the tokens that may not.
    let (_, r) =
        app.post(&format!("/api/v1/lives/{}/rotate", live.id), Some(&host), json!({"moderator_token": true})).await;
    let md = r["moderator_token"].as_str().unwrap().to_owned();
    let (s, e) = patch(host.clone(), json!({"minutes": 17})).await;
    assert_eq!(
        (s, e["error"].as_str(), e["field"].as_str(), e["elapsed_minutes"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("challenge_too_short"), Some("minutes"), Some(18)),
        "{e}"
    );
    for (body, code) in [
        (json!({"minutes": 0}), "invalid_field"),
        (json!({"amount": 0}), "invalid_amount"),
        (json!({"label": " "}), "invalid_field"),
        (json!({"from": 0}), "unknown_field"),
    ] {
        let (s, e) = patch(host.clone(), body.clone()).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{body}: {e}");
    }
    let other_host = other.body["host_token"].as_str().unwrap().to_owned();
    for token in [other_host, live.overlay_token.clone(), md] {
        let (s, e) = patch(token, json!({"minutes": 30})).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    let (s, e) = app.patch(&format!("{path}/nope"), &host, json!({"minutes": 30})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("challenge_not_found")), "{e}");
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none(), "nothing refused reached the streams");

    // Less asked for than the live gathered since its start: met at once.
    clock.set("2026-12-04T20:19:00Z");
    let (s, v) = patch(host.clone(), json!({"amount": 6000})).await;
    assert_eq!((s, v["amount"].clone(), v["reached"].clone()), (StatusCode::OK, json!(7000), json!(true)), "{v}");
    assert_eq!(ws.next().await["type"], "challenge_updated");
    let met = ws.next().await;
    assert_eq!((met["type"].as_str(), &met["milestone"]["id"]), (Some("milestone_reached"), &c["id"]), "{met}");
    let (s, e) = patch(host.clone(), json!({"minutes": 40})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("challenge_over")), "{e}");

    let app = app.restart_clocked(&clock).await;
    let (_, campaign) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    let m = &campaign["milestones"][0];
    assert_eq!(
        (m["label"].clone(), m["amount"].clone(), m["ends_at"].clone(), m["reached"].clone()),
        (json!("Je chante deux chansons"), json!(7000), json!("2026-12-04T20:20:00.000Z"), json!(true)),
        "{campaign}"
    );
}

/// The host's moderators get a link of their own: it approves the held texts,
/// hides names and messages and reads the live's donations, nothing else; a
/// new one replaces the last; it survives a restart.
#[tokio::test]
async fn a_moderator_link_approves_and_hides_and_nothing_else() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let rotate = format!("/api/v1/lives/{}/rotate", live.id);
    let (s, v) = app.post(&rotate, Some(&host), json!({"moderator_token": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let first = v["moderator_token"].as_str().unwrap().to_owned();
    assert!(first.starts_with("md_"), "{first}");
    assert_eq!(v["moderator_url"], json!(format!("{}/lives/{}/host#key={first}", app.base, live.id)));
    let (s, v) = app.post(&rotate, Some(ADMIN), json!({"moderator_token": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let md = v["moderator_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/moderation", live.id);
    assert_eq!(app.request(reqwest::Method::GET, &path, Some(&first), &[], None).await.0, StatusCode::UNAUTHORIZED);

    app.moderate(&live, json!({"mode": "manual"})).await;
    let (_, d) = app
        .donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Zoé", "message": "Pour les Restos"}))
        .await;
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let app = app.restart().await;
    let (s, m) = app.request(reqwest::Method::GET, &path, Some(&md), &[], None).await;
    assert_eq!((s, &m["pending"][0]["message_text"]), (StatusCode::OK, &json!("Pour les Restos")), "{m}");
    let (s, list) =
        app.request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", live.id), Some(&md), &[], None).await;
    assert_eq!((s, &list["donations"][0]["donor_name"]), (StatusCode::OK, &json!("Zoé")), "{list}");
    let (s, a) = app.post(&format!("/api/v1/donations/{id}/approve"), Some(&md), json!({})).await;
    assert_eq!((s, &a["donation"]["message"]), (StatusCode::OK, &json!("Pour les Restos")), "{a}");
    let (s, h) = app.post(&format!("/api/v1/donations/{id}/hide"), Some(&md), json!({"message": true})).await;
    assert_eq!((s, &h["donation"]["message"]), (StatusCode::OK, &Value::Null), "{h}");

    // Nothing else: the live's schedule, settings, money, prizes, links.
    let l = format!("/api/v1/lives/{}", live.id);
    let d = format!("/api/v1/donations/{id}");
    for (method, path, body) in [
        ("POST", format!("{l}/start"), json!({})),
        ("POST", format!("{l}/end"), json!({})),
        ("POST", format!("{l}/extend"), json!({"minutes": 30})),
        ("PUT", format!("{l}/moderation"), json!({"mode": "off"})),
        ("POST", format!("{l}/rotate"), json!({"moderator_token": true})),
        ("POST", format!("{l}/rotate"), json!({"overlay_token": true})),
        ("POST", format!("{l}/test-alert"), json!({})),
        ("POST", format!("{l}/draws"), json!({"prize": "Affiche"})),
        ("POST", format!("{l}/donations"), json!({"amount": 100, "currency": "EUR"})),
        ("POST", format!("{d}/replay"), json!({})),
        ("POST", format!("{d}/refund"), json!({})),
        ("POST", format!("{d}/erase"), json!({})),
        ("GET", format!("{l}/rewards"), Value::Null),
        ("GET", format!("{l}/connections"), Value::Null),
        ("PUT", format!("{l}/alerts"), json!({"paused": true})),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = (!body.is_null()).then(|| body.to_string());
        let (s, v) = app.request(method.clone(), &path, Some(&md), &[], body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }
    // Another live's moderation is not theirs.
    let other = app.live(&app.eur_campaign().await, json!({"host": "Autre"})).await;
    let (s, _) = app
        .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/moderation", other.id), Some(&md), &[], None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, lv) = app.get(&l).await;
    assert_eq!(lv["totals"]["donations"], 1);
    assert!(!lv.to_string().contains("md_"), "{lv}");
}

/// Each of a host's moderators gets a link of their own by name: what they
/// approve, hide or show is written under their name (the host's list says
/// who), their link is taken back alone, and both survive a restart; the
/// public never sees who moderated.
#[tokio::test]
async fn moderators_by_name_each_have_their_own_link_and_sign_what_they_do() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mods = format!("/api/v1/lives/{}/moderators", live.id);
    let (s, lea) = app.post(&mods, Some(&host), json!({"name": " Léa "})).await;
    assert_eq!(s, StatusCode::CREATED, "{lea}");
    assert_eq!(lea["name"], "Léa");
    let lea_key = lea["moderator_token"].as_str().unwrap().to_owned();
    assert!(lea_key.starts_with("md_"), "{lea}");
    assert_eq!(lea["moderator_url"], json!(format!("{}/lives/{}/host#key={lea_key}", app.base, live.id)));
    let (s, max) = app.post(&mods, Some(ADMIN), json!({"name": "Max"})).await;
    assert_eq!(s, StatusCode::CREATED, "{max}");
    let max_key = max["moderator_token"].as_str().unwrap().to_owned();
    let max_id = max["id"].as_str().unwrap().to_owned();

    // Refused, and nothing written: a name taken, none, too long, a moderator
    // or an overlay making one, an unknown field.
    for (token, body, status, code) in [
        (host.as_str(), json!({"name": "LÉA"}), StatusCode::CONFLICT, "moderator_name_taken"),
        (host.as_str(), json!({"name": "  "}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (host.as_str(), json!({"name": "x".repeat(41)}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (host.as_str(), json!({"name": "Zed", "token": "x"}), StatusCode::UNPROCESSABLE_ENTITY, "unknown_field"),
        (lea_key.as_str(), json!({"name": "Zed"}), StatusCode::FORBIDDEN, "forbidden"),
        (live.overlay_token.as_str(), json!({"name": "Zed"}), StatusCode::FORBIDDEN, "forbidden"),
    ] {
        let (s, v) = app.post(&mods, Some(token), body.clone()).await;
        assert_eq!((s, v["error"].as_str()), (status, Some(code)), "{body}: {v}");
    }
    let (s, list) = app.request(reqwest::Method::GET, &mods, Some(&host), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["moderators"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Léa", "Max"]);
    assert!(!list.to_string().contains("md_") && !list.to_string().contains("hash"), "{list}");
    assert_eq!(
        app.request(reqwest::Method::GET, &mods, Some(&lea_key), &[], None).await.0,
        StatusCode::FORBIDDEN,
        "a moderator does not list the others"
    );

    // Who the host's space is opened as.
    let moderation = format!("/api/v1/lives/{}/moderation", live.id);
    let you = |v: &Value| v["you"].clone();
    let (_, m) = app.request(reqwest::Method::GET, &moderation, Some(&lea_key), &[], None).await;
    assert_eq!(you(&m), json!({"role": "moderator", "name": "Léa", "moderator_id": lea["id"]}), "{m}");
    let (_, m) = app.request(reqwest::Method::GET, &moderation, Some(&host), &[], None).await;
    assert_eq!(you(&m), json!({"role": "host"}));

    app.moderate(&live, json!({"mode": "manual"})).await;
    let (_, d) = app
        .donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Zoé", "message": "Pour les Restos"}))
        .await;
    let zoe = d["donation"]["id"].as_str().unwrap().to_owned();
    let (_, d) = app.donate(&live, json!({"amount": 300, "currency": "EUR", "donor": "Bob", "message": "Hop"})).await;
    let bob = d["donation"]["id"].as_str().unwrap().to_owned();
    let (s, v) = app.post(&format!("/api/v1/donations/{zoe}/approve"), Some(&lea_key), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(&format!("/api/v1/donations/{zoe}/hide"), Some(&max_key), json!({"donor": true})).await;
    assert_eq!((s, &v["donation"]["donor"]), (StatusCode::OK, &Value::Null), "{v}");
    let (s, _) = app.post(&format!("/api/v1/donations/{bob}/approve"), Some(&host), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let listed = format!("/api/v1/lives/{}/donations", live.id);
    let by = |list: &Value, id: &str| {
        let d = list["donations"].as_array().unwrap().iter().find(|d| d["id"] == id).unwrap().clone();
        d["moderated_by"].clone()
    };
    let (_, list) = app.request(reqwest::Method::GET, &listed, Some(&host), &[], None).await;
    assert_eq!(by(&list, &zoe), json!({"role": "moderator", "name": "Max", "moderator_id": max_id}), "{list}");
    assert_eq!(by(&list, &bob), json!({"role": "host"}), "{list}");
    // The charity's export says what is off the air and who did it, for a
    // script and for a spreadsheet.
    let exported = async |query: &str| {
        let (_, _, csv) = download(&app, &format!("/api/v1/campaigns/{}/donations.csv{query}", live.campaign_id)).await;
        let sep = if query.is_empty() { "," } else { ";" };
        let rows = python_csv(&csv, sep);
        let col = |k: &str| rows.iter().map(|r| r[k].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        if query.is_empty() { (col("hidden"), col("moderated_by")) } else { (col("masqué"), col("modéré par")) }
    };
    let words = |v: [&str; 2]| v.map(str::to_owned).to_vec();
    assert_eq!(exported("").await, (words(["donor", ""]), words(["moderator:Max", "host"])));
    assert_eq!(exported("?excel=1&lang=fr").await, (words(["le nom", ""]), words(["Max (modération)", "l'hôte"])));

    // The host's next live: their moderators' links open it, its space lists
    // them, each name once among the host's lives.
    let next = app.live(&live.campaign_id, json!({"host": "corentin "})).await;
    let next_mods = format!("/api/v1/lives/{}/moderators", next.id);
    let (_, list) = app.request(reqwest::Method::GET, &next_mods, Some(&host), &[], None).await;
    let named: Vec<(&str, &str)> = list["moderators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["live_id"].as_str().unwrap()))
        .collect();
    assert_eq!(named, [("Léa", live.id.as_str()), ("Max", live.id.as_str())], "{list}");
    let (s, v) = app.post(&next_mods, Some(&host), json!({"name": "max"})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("moderator_name_taken")), "{v}");
    let next_moderation = format!("/api/v1/lives/{}/moderation", next.id);
    let (s, m) = app.request(reqwest::Method::GET, &next_moderation, Some(&lea_key), &[], None).await;
    assert_eq!((s, &m["you"]["name"]), (StatusCode::OK, &json!("Léa")), "{m}");

    // Max's link taken back (from the host's next live): it stops at once,
    // Léa's goes on; what Max did stays his.
    let (s, v) = app.request(reqwest::Method::DELETE, &format!("{mods}/{max_id}"), Some(&lea_key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = app.request(reqwest::Method::DELETE, &format!("{next_mods}/{max_id}"), Some(&host), &[], None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.request(reqwest::Method::DELETE, &format!("{mods}/{max_id}"), Some(&host), &[], None).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("moderator_not_found")), "{v}");
    let (s, _) = app.post(&format!("/api/v1/donations/{zoe}/show"), Some(&max_key), json!({"donor": true})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let app = app.restart().await;
    let (s, _) = app.request(reqwest::Method::GET, &moderation, Some(&max_key), &[], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "taken back for good");
    let (_, list) = app.request(reqwest::Method::GET, &listed, Some(&lea_key), &[], None).await;
    assert_eq!(by(&list, &zoe)["name"], "Max", "{list}");
    let (s, v) = app.post(&format!("/api/v1/donations/{zoe}/show"), Some(&lea_key), json!({"donor": true})).await;
    assert_eq!((s, &v["donation"]["donor"]), (StatusCode::OK, &json!("Zoé")), "{v}");
    let (_, list) = app.request(reqwest::Method::GET, &listed, Some(ADMIN), &[], None).await;
    assert_eq!(by(&list, &zoe), json!({"role": "moderator", "name": "Léa", "moderator_id": lea["id"]}), "{list}");
    let (_, list) = app.request(reqwest::Method::GET, &mods, Some(&host), &[], None).await;
    assert_eq!(list["moderators"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["moderators"][0]["name"], "Léa");

    // The public sees the donations, not who moderated them.
    let (_, public) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let (_, page) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    for doc in [public, page] {
        let text = doc.to_string();
        assert!(!text.contains("Léa") && !text.contains("moderated_by"), "{text}");
    }

    // At most fifty by name at once.
    for i in 1..50 {
        let (s, v) = app.post(&mods, Some(&host), json!({"name": format!("Modo {i}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = app.post(&mods, Some(&host), json!({"name": "Modo 50"})).await;
    assert_eq!(
        (s, v["error"].as_str(), &v["max"]),
        (StatusCode::CONFLICT, Some("too_many_moderators"), &json!(50)),
        "{v}"
    );
}
