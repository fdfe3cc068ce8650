//! Twitch Charity gifts through EventSub's webhook transport, against a real
//! server: the subscription's challenge, signatures, repeats, revocations, and
//! a campaign's one URL giving each gift to the live streamed on its channel.
//! Signatures are computed here with the `hmac` crate, never by the code under test.

use crate::helpers::{ADMIN, ManualClock, TestApp, TestLive, spawn_app_clocked};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SECRET: &str = "twitch-eventsub-secret-0123";

/// One EventSub delivery: its kind, its message id, its timestamp and body,
/// signed with `secret`. Answers the status, the content type and the text.
async fn deliver(
    app: &TestApp,
    url: &str,
    secret: &str,
    kind: &str,
    message_id: &str,
    at: &str,
    body: &str,
) -> (StatusCode, String, String) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{message_id}{at}{body}").as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let res = app
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("twitch-eventsub-message-id", message_id)
        .header("twitch-eventsub-message-retry", "0")
        .header("twitch-eventsub-message-type", kind)
        .header("twitch-eventsub-message-signature", signature)
        .header("twitch-eventsub-message-timestamp", at)
        .header("twitch-eventsub-subscription-type", "channel.charity_campaign.donate")
        .header("twitch-eventsub-subscription-version", "1")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    let status = res.status();
    let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

fn subscription(kind: &str, status: &str) -> Value {
    json!({"id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", "status": status, "type": kind, "version": "1",
        "cost": 0, "condition": {"broadcaster_user_id": "1337"},
        "transport": {"method": "webhook", "callback": "https://example.com/hooks/x"},
        "created_at": "2025-01-15T18:00:00.123456789Z"})
}

/// A `channel.charity_campaign.donate` notification of `cents` euros cents on `channel`.
fn gift(id: &str, channel: &str, donor: &str, cents: i64) -> String {
    json!({"subscription": subscription("channel.charity_campaign.donate", "enabled"),
        "event": {"id": id, "campaign_id": "123-abc-456-def", "broadcaster_user_id": "1337",
            "broadcaster_user_name": channel, "broadcaster_user_login": channel.to_lowercase(),
            "user_id": "654321", "user_login": donor.to_lowercase(), "user_name": donor,
            "charity_name": "Les Restos du Cœur", "charity_description": "Aide alimentaire",
            "charity_logo": "https://abc.cloudfront.net/ppgf/1000/100.png",
            "charity_website": "https://www.restosducoeur.org",
            "amount": {"value": cents, "decimal_places": 2, "currency": "EUR"}}})
    .to_string()
}

fn expected_id(payment: &str) -> String {
    format!("twitch-{}", &hex::encode(Sha256::digest(payment.as_bytes()))[..24])
}

async fn raised(app: &TestApp, live: &TestLive) -> i64 {
    let (s, v) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(s, StatusCode::OK);
    v["totals"]["raised"].as_i64().unwrap()
}

#[tokio::test]
async fn twitch_charity_gifts_count_once_after_the_subscription_s_challenge() {
    let clock = ManualClock::at("2025-01-15T18:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let cid = app.eur_campaign().await;
    let live = app.live(&cid, json!({"host": "Ana"})).await;
    let path = format!("/api/v1/lives/{}/integrations", live.id);
    // Twitch takes secrets of at most 100 characters: a longer one could never be given to it.
    let (s, v) = app.post(&path, Some(&live.key), json!({"provider": "twitch", "secret": "x".repeat(101)})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_secret")), "{v}");
    let (s, v) = app.post(&path, Some(&live.key), json!({"provider": "twitch", "secret": SECRET})).await;
    assert_eq!((s, v["provider"].as_str()), (StatusCode::CREATED, Some("twitch")), "{v}");
    let url = v["url"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");
    let at = "2025-01-15T18:29:59.123456789Z";

    // The new subscription's challenge: its text alone, in plain text.
    let challenge = json!({"challenge": "pogchamp-kappa-360noscope-vohiyo",
        "subscription": subscription("channel.charity_campaign.donate", "webhook_callback_verification_pending")})
    .to_string();
    let (s, kind, text) = deliver(&app, &url, SECRET, "webhook_callback_verification", "m-0", at, &challenge).await;
    assert_eq!((s, text.as_str()), (StatusCode::OK, "pogchamp-kappa-360noscope-vohiyo"));
    assert!(kind.starts_with("text/plain"), "{kind}");
    // Signed with another secret: refused, challenge or gift.
    let (s, _, _) =
        deliver(&app, &url, "another-secret-0123456", "webhook_callback_verification", "m-0", at, &challenge).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let body = gift("a1b2c3-aabb-4455-d1e2f3", "Ana_Dessine", "GenerousUser1", 1050);
    let (s, _, text) = deliver(&app, &url, "another-secret-0123456", "notification", "m-1", at, &body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{text}");
    assert_eq!(raised(&app, &live).await, 0);

    let (s, _, text) = deliver(&app, &url, SECRET, "notification", "m-1", at, &body).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let d = ws.until("donation").await["donation"].clone();
    assert_eq!((d["amount"].as_i64(), d["currency"].as_str()), (Some(1050), Some("EUR")));
    assert_eq!((d["donor"].as_str(), &d["message"]), (Some("GenerousUser1"), &Value::Null));
    assert_eq!(d["id"], expected_id("a1b2c3-aabb-4455-d1e2f3").as_str());
    // Twitch sends again when unsure (a new message id, the same gift): counted once.
    let (s, _, text) = deliver(&app, &url, SECRET, "notification", "m-2", "2025-01-15T18:31:00.5Z", &body).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["status"], "already_counted");
    // Another kind of notification, and a revocation: acknowledged, nothing counted.
    let follow = body.replace("channel.charity_campaign.donate", "channel.follow");
    let (s, _, text) = deliver(&app, &url, SECRET, "notification", "m-3", at, &follow).await;
    assert_eq!(
        (s, serde_json::from_str::<Value>(&text).unwrap()["status"].as_str()),
        (StatusCode::OK, Some("ignored"))
    );
    let revoked =
        json!({"subscription": subscription("channel.charity_campaign.donate", "authorization_revoked")}).to_string();
    let (s, _, text) = deliver(&app, &url, SECRET, "revocation", "m-4", at, &revoked).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("revoked")), "{v}");
    assert!(v["reason"].as_str().unwrap().contains("authorization_revoked"), "{v}");
    // More than ten minutes old: a replay, refused.
    clock.set("2025-01-15T18:40:01Z");
    let late = gift("second-gift", "Ana_Dessine", "Bob", 500);
    let (s, _, text) = deliver(&app, &url, SECRET, "notification", "m-5", at, &late).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{text}");
    // A gift in yen cannot go to a campaign in euros: refused, the money is not miscounted.
    let yen = late.replace("\"EUR\"", "\"JPY\"").replace("\"decimal_places\":2", "\"decimal_places\":0");
    let (s, _, text) = deliver(&app, &url, SECRET, "notification", "m-6", "2025-01-15T18:40:00Z", &yen).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(raised(&app, &live).await, 1050);
    let (s, v) = app.admin_get(&format!("/api/v1/campaigns/{cid}/donations")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let row = &v["donations"][0];
    assert_eq!(
        (row["platform"].as_str(), row["reference"].as_str()),
        (Some("twitch"), Some("a1b2c3-aabb-4455-d1e2f3"))
    );
    // What the URL received since the start, for the dashboard and `/metrics`.
    let (s, v) = app.admin_get(&path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["integrations"][0]["deliveries"];
    assert_eq!((d["accepted"].as_i64(), d["refused"].as_i64()), (Some(5), Some(4)), "{d}");
    let last = (d["last_at"].as_str(), d["last_status"].as_str());
    assert_eq!(last, (Some("2025-01-15T18:40:01.000Z"), Some("currency_mismatch")), "{d}");
    assert!(d["last_error"].as_str().unwrap().contains("EUR"), "{d}");
    let id = v["integrations"][0]["id"].as_str().unwrap();
    let (_, metrics) = crate::metrics::scrape(&app).await;
    let sample = |name: &str| metrics.get(&format!("{name}{{integration=\"{id}\",provider=\"twitch\"}}")).copied();
    assert_eq!(sample("cagnotte_integration_accepted_total"), Some(5.0));
    assert_eq!(sample("cagnotte_integration_refused_total"), Some(4.0));
}

#[tokio::test]
async fn a_campaign_s_twitch_url_gives_each_gift_to_the_live_streamed_on_its_channel() {
    let clock = ManualClock::at("2026-11-25T20:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let cid = app.eur_campaign().await;
    let path = format!("/api/v1/campaigns/{cid}/integrations");
    let (s, v) = app.post(&path, Some(ADMIN), json!({"provider": "twitch", "secret": SECRET})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let url = v["url"].as_str().unwrap().to_owned();
    // Two hosts on air the same evening, each on their own channel; Bob started last.
    let ana = app
        .live(
            &cid,
            json!({"host": "Ana", "scheduled_at": "2026-11-25T20:00:00Z", "duration_minutes": 120,
            "stream_url": "https://www.twitch.tv/Ana_Dessine"}),
        )
        .await;
    let bob = app
        .live(
            &cid,
            json!({"host": "Bob", "scheduled_at": "2026-11-25T20:15:00Z", "duration_minutes": 120,
            "stream_url": "https://twitch.tv/bob_joue"}),
        )
        .await;
    let send = async |id: &str, channel: &str, cents: i64, at: &str| {
        let (s, _, text) =
            deliver(&app, &url, SECRET, "notification", &format!("m-{id}"), at, &gift(id, channel, "Zoé", cents)).await;
        assert_eq!(s, StatusCode::OK, "{text}");
    };
    send("g-1", "Ana_Dessine", 1000, "2026-11-25T20:30:00Z").await;
    send("g-2", "bob_joue", 200, "2026-11-25T20:30:00Z").await;
    // A channel no live streams on: the schedule's live, as for any payment.
    send("g-3", "someone_else", 30, "2026-11-25T20:30:00Z").await;
    assert_eq!((raised(&app, &ana).await, raised(&app, &bob).await), (1000, 230));
    // After both ends, a late gift on Ana's channel is still Ana's.
    clock.set("2026-11-26T09:00:00Z");
    send("g-4", "ana_dessine", 4, "2026-11-26T09:00:00Z").await;
    assert_eq!((raised(&app, &ana).await, raised(&app, &bob).await), (1004, 230));
}
