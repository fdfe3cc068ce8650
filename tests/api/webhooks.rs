//! Webhooks in (Stripe, Tiltify, Ko-fi, generic) and out (the outbox), against a
//! real server. Known-answer signatures were computed with
//! `openssl dgst -sha256 -hmac` when these tests were written and are pasted as
//! literals; other signatures are computed here with the `hmac` crate, never by
//! the code under test.

use crate::helpers::{ADMIN, ManualClock, TestApp, TestLive, spawn_app, spawn_app_clocked, spawn_app_full};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const STRIPE_SECRET: &str = "whsec_cagnotte_test_0123456789abcdef";
/// A real-shaped `checkout.session.completed` of a Payment Link, as Stripe sends it.
const STRIPE_BODY: &str = r#"{"id":"evt_1OEdL2Kx9aQ0cGnQvT1x3abc","object":"event","api_version":"2023-10-16","created":1699999990,"data":{"object":{"id":"cs_test_a1b2c3d4e5f6","object":"checkout.session","amount_subtotal":2000,"amount_total":2000,"currency":"eur","customer_details":{"email":"card.holder@example.com","name":"Card Holder"},"custom_fields":[{"key":"donor","label":{"custom":"Pseudo","type":"custom"},"optional":true,"text":{"value":"Mélanie"},"type":"text"},{"key":"message","label":{"custom":"Message","type":"custom"},"optional":true,"text":{"value":"Pour les Restos !"},"type":"text"}],"livemode":false,"metadata":{},"mode":"payment","payment_intent":"pi_3OEdL1Kx9aQ0cGnQ1abcdEFG","payment_link":"plink_1OEdKzKx9aQ0cGnQ","payment_status":"paid","status":"complete"}},"livemode":false,"pending_webhooks":1,"type":"checkout.session.completed"}"#;
/// `openssl dgst -sha256 -hmac "$STRIPE_SECRET"` of "1700000000.$STRIPE_BODY".
const STRIPE_V1: &str = "78d840d728a9a718a184a15502da1762a45a9e9838b3707cece8626786d761ce";
/// The same with a rotated-out secret (`whsec_old_rotated_secret_0123456789`).
const STRIPE_V1_OLD: &str = "d0bc87e71defcc359485f137b8a56422a886901fee222162efe30288f51cbf75";

/// Tiltify's documented example (developers.tiltify.com, "Verifying Webhook Signature").
const TILTIFY_KEY: &str = "13c3b68914487acd1c68d85857ee1cfc308f15510f2d8e71273ee0f8a42d9d00";
const TILTIFY_SIG: &str = "4OSwlhTt0EcrlSQFlqgE18FOtT+EKX4qTJdJeC8oV/o=";
const TILTIFY_TS: &str = "2023-04-18T16:49:00.617031Z";
const TILTIFY_BODY: &str = r#"{"data":{"amount":{"currency":"USD","value":"82.95"},"campaign_id":"a4fd5207-bd9f-4712-920a-85f8d92cf4e6","completed_at":"2023-04-18T16:48:26.510702Z","created_at":"2023-04-18T03:36:36.510717Z","donor_comment":"Rerum quo necessitatibus voluptas provident ad molestiae ipsam.","donor_name":"Jirachi","fundraising_event_id":null,"id":"dfa25dcc-2026-4320-a5b7-5da076efeb05","legacy_id":0,"poll_id":null,"poll_option_id":null,"reward_id":null,"sustained":false,"target_id":null,"team_event_id":null},"meta":{"attempted_at":"2023-04-18T16:49:00.617031Z","event_type":"public:direct:donation_updated","generated_at":"2023-04-18T16:48:59.510758Z","id":"d8768e26-1092-4f4c-a829-a2698cd19664","subscription_source_id":"00000000-0000-0000-0000-000000000000","subscription_source_type":"test"}}"#;

const GENERIC_SECRET: &str = "generic-secret-0123456789";
const GENERIC_BODY: &str =
    r#"{"event_id":"order-1001","amount":2500,"currency":"EUR","donor":"Léa","message":"Merci !"}"#;
/// `openssl dgst -sha256 -hmac "$GENERIC_SECRET"` of "1700000000.$GENERIC_BODY".
const GENERIC_V1: &str = "bf3bd9778a89422cff9095d7d8c863f0353a86fd1542d0c83cf74fbdfeb5c95d";

fn hmac_hex(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Posts raw bytes to a webhook URL with exactly these headers.
async fn hook(app: &TestApp, url: &str, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> (StatusCode, Value) {
    let mut req = app.client.post(url).body(body.into());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn integration(app: &TestApp, live: &TestLive, provider: &str, secret: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/lives/{}/integrations", live.id),
            Some(&live.key),
            json!({"provider": provider, "secret": secret}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["provider"], provider);
    let url = v["url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/hooks/{}", app.base, v["id"].as_str().unwrap()));
    url
}

async fn live_totals(app: &TestApp, live: &TestLive) -> Value {
    let (s, v) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(s, StatusCode::OK);
    v["totals"].clone()
}

async fn setup_in(app: &TestApp, currency: &str) -> TestLive {
    let c = app.campaign(json!({"name": "Restos", "currency": currency})).await;
    app.live(c["id"].as_str().unwrap(), json!({"host": "Corentin"})).await
}

fn expected_id(prefix: &str, payment: &str) -> String {
    format!("{prefix}-{}", &hex::encode(Sha256::digest(payment.as_bytes()))[..24])
}

/// Polls `f` every 20 ms until it gives a value, for at most `secs`.
async fn until<T>(secs: u64, what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn stripe_known_answer_with_rotated_secrets_reaches_the_overlay() {
    let clock = ManualClock::at("2023-11-14T22:13:20Z"); // unix 1700000000
    let app = spawn_app_clocked(&clock).await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "stripe", STRIPE_SECRET).await;
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");

    // A flipped bit anywhere in the body: 401, nothing counted.
    let mut flipped = STRIPE_BODY.as_bytes().to_vec();
    let at = STRIPE_BODY.find("\"amount_total\":2000").unwrap() + "\"amount_total\":".len();
    flipped[at] ^= 0x01; // '2' → '3': 3000 instead of 2000
    let good = format!("t=1700000000,v1={STRIPE_V1}");
    let (s, v) = hook(&app, &url, &[("stripe-signature", &good)], flipped).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_signature")), "{v}");
    // Only the rotated-out secret's signature: 401.
    let old = format!("t=1700000000,v1={STRIPE_V1_OLD}");
    let (s, _) = hook(&app, &url, &[("stripe-signature", &old)], STRIPE_BODY).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = hook(&app, &url, &[], STRIPE_BODY).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(live_totals(&app, &live).await["donations"], 0);

    // Several v1 (old and new secret during a rotation), a v0 to ignore: counted.
    let header = format!("t=1700000000,v1={STRIPE_V1_OLD},v1={STRIPE_V1},v0=deadbeef");
    let (s, v) = hook(&app, &url, &[("stripe-signature", &header)], STRIPE_BODY).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let id = expected_id("stripe", "pi_3OEdL1Kx9aQ0cGnQ1abcdEFG");
    assert_eq!(v["donation_id"], id.as_str());
    let f = ws.next().await;
    assert_eq!(f["type"], "donation");
    let d = &f["donation"];
    assert_eq!(
        (d["id"].as_str(), d["amount"].as_i64(), d["currency"].as_str()),
        (Some(id.as_str()), Some(2000), Some("EUR"))
    );
    assert_eq!((d["donor"].as_str(), d["message"].as_str()), (Some("Mélanie"), Some("Pour les Restos !")));
    assert_eq!(d["platform"], "stripe");

    // The same delivery again: 200, counted once.
    let (s, v) = hook(&app, &url, &[("stripe-signature", &header)], STRIPE_BODY).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("already_counted")));
    // Five minutes and one second later the same signature is stale.
    clock.set("2023-11-14T22:18:21Z");
    let (s, v) = hook(&app, &url, &[("stripe-signature", &header)], STRIPE_BODY).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert!(v["message"].as_str().unwrap().contains("301 s"), "{v}");
    let totals = live_totals(&app, &live).await;
    assert_eq!((totals["donations"].as_i64(), totals["raised"].as_i64()), (Some(1), Some(2000)));

    let (s, v) = hook(&app, &format!("{}/hooks/nope", app.base), &[("stripe-signature", &header)], STRIPE_BODY).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("integration_not_found")));
}

#[tokio::test]
async fn tiltify_documented_example_reaches_the_overlay() {
    let clock = ManualClock::at("2023-04-18T16:49:20Z");
    let app = spawn_app_clocked(&clock).await;
    let live = setup_in(&app, "USD").await;
    let url = integration(&app, &live, "tiltify", TILTIFY_KEY).await;
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");

    let mut flipped = TILTIFY_BODY.as_bytes().to_vec();
    let at = TILTIFY_BODY.find("Jirachi").unwrap();
    flipped[at] ^= 0x20; // 'J' → 'j'
    let headers = [("x-tiltify-signature", TILTIFY_SIG), ("x-tiltify-timestamp", TILTIFY_TS)];
    let (s, _) = hook(&app, &url, &headers, flipped).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(live_totals(&app, &live).await["donations"], 0);

    let (s, v) = hook(&app, &url, &headers, TILTIFY_BODY).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let d = ws.next().await["donation"].clone();
    assert_eq!((d["amount"].as_i64(), d["currency"].as_str()), (Some(8295), Some("USD")));
    assert_eq!(d["donor"], "Jirachi");
    assert_eq!(d["message"], "Rerum quo necessitatibus voluptas provident ad molestiae ipsam.");
    assert_eq!(d["id"], expected_id("tiltify", "dfa25dcc-2026-4320-a5b7-5da076efeb05").as_str());

    // More than a minute after the attempt: stale.
    clock.set("2023-04-18T16:50:01Z");
    let (s, _) = hook(&app, &url, &headers, TILTIFY_BODY).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(live_totals(&app, &live).await["raised"], 8295);
}

fn kofi_form(token: &str, kind: &str, public: bool, txid: &str, amount: &str) -> String {
    let data = json!({
        "verification_token": token, "message_id": format!("msg-{txid}"), "timestamp": "2025-03-01T20:15:00Z",
        "type": kind, "is_public": public, "from_name": "Jo Example", "message": "Bon courage pour le live !",
        "amount": amount, "url": "https://ko-fi.com/Home/CoffeeShop?txid=00000000-1111-2222-3333-444444444444",
        "email": "jo@example.com", "currency": "EUR", "is_subscription_payment": false,
        "is_first_subscription_payment": false, "kofi_transaction_id": txid, "shop_items": null,
        "tiers_name": null, "shipping": null
    });
    serde_urlencoded::to_string([("data", data.to_string())]).unwrap()
}

#[tokio::test]
async fn kofi_donations_tips_and_privacy() {
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let token = "3f2a8c1e-5b7d-4e9f-a0c2-7d6b5e4f3a21";
    let url = integration(&app, &live, "kofi", token).await;
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");
    let form = [("content-type", "application/x-www-form-urlencoded")];

    let (s, v) = hook(&app, &url, &form, kofi_form("wrong-token-0000", "Donation", true, "tx-1", "3.00")).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_signature")));
    let (s, _) = hook(&app, &url, &form, "data=not-json").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, v) = hook(&app, &url, &form, kofi_form(token, "Donation", true, "tx-1", "3.50")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let d = ws.next().await["donation"].clone();
    assert_eq!((d["amount"].as_i64(), d["donor"].as_str()), (Some(350), Some("Jo Example")));
    assert_eq!(d["message"], "Bon courage pour le live !");

    // is_public false: neither the name nor the message is shown.
    let (s, _) = hook(&app, &url, &form, kofi_form(token, "Tip", false, "tx-2", "10")).await;
    assert_eq!(s, StatusCode::OK);
    let d = ws.next().await["donation"].clone();
    assert_eq!((d["amount"].as_i64(), &d["donor"], &d["message"]), (Some(1000), &Value::Null, &Value::Null));

    // Not a donation: acknowledged, nothing counted. A float-looking amount is exact.
    let (s, v) = hook(&app, &url, &form, kofi_form(token, "Shop Order", true, "tx-3", "25.00")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ignored")));
    let (s, v) = hook(&app, &url, &form, kofi_form(token, "Donation", true, "tx-4", "0.1e2")).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_payload")));
    let (s, v) = hook(&app, &url, &form, kofi_form(token, "Donation", true, "tx-1", "3.50")).await;
    assert_eq!(v["status"], "already_counted", "{s} {v}");
    let totals = live_totals(&app, &live).await;
    assert_eq!((totals["donations"].as_i64(), totals["raised"].as_i64()), (Some(2), Some(1350)));
}

/// A HelloAsso `Payment` notification, as its documentation's example of a donation form's payment.
fn helloasso_payment(id: i64, state: &str, anonymous: bool, form: (&str, &str), refunds: Value) -> String {
    json!({
        "data": {
            "order": {"id": id + 6709, "date": "2024-06-07T14:11:15.7442115+02:00", "formSlug": form.0,
                      "formType": form.1, "organizationName": "Restos", "organizationSlug": "restos",
                      "organizationType": "Association1901", "organizationIsUnderColucheLaw": true,
                      "formName": "Live caritatif", "isAnonymous": anonymous, "isAmountHidden": false},
            "payer": {"email": "hugo@example.org", "country": "FRA", "firstName": "Hugo", "lastName": "Dubois"},
            "items": [{"shareAmount": 2000, "shareItemAmount": 2000, "id": id + 6709, "amount": 2000,
                       "type": "Donation", "state": "Processed"}],
            "cashOutState": "Transfered", "id": id, "amount": 2300, "amountTip": 300,
            "date": "2024-06-07T14:11:15.0825381+02:00", "paymentMeans": "Card", "installmentNumber": 1,
            "state": state, "refundOperations": refunds
        },
        "eventType": "Payment"
    })
    .to_string()
}

#[tokio::test]
async fn helloasso_payments_reach_the_overlay_with_the_url_s_token_or_a_partner_s_signature() {
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let secret = "ha-notif-7f3c9a1e5b2d";
    let url = integration(&app, &live, "helloasso", secret).await;
    let mut ws = app.ws(&live, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");
    let json_ct = [("content-type", "application/json")];
    let donation_form = ("live-caritatif", "Donation");
    let paid = helloasso_payment(13790, "Authorized", false, donation_form, json!([]));

    // No token, a wrong one, a wrong signature: refused, nothing counted.
    for target in [url.clone(), format!("{url}?token=ha-notif-7f3c9a1e5b2e")] {
        let (s, v) = hook(&app, &target, &json_ct, paid.clone()).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_signature")), "{v}");
    }
    let (s, _) = hook(&app, &url, &[("x-ha-signature", "00ff")], paid.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(live_totals(&app, &live).await["donations"], 0);

    // The payment less the tip to HelloAsso, "Hugo D.", once however often it is told.
    let with_token = format!("{url}?token={secret}&form=live-caritatif");
    let (s, v) = hook(&app, &with_token, &json_ct, paid.clone()).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let d = ws.next().await["donation"].clone();
    assert_eq!(
        (d["amount"].as_i64(), d["currency"].as_str(), d["donor"].as_str()),
        (Some(2000), Some("EUR"), Some("Hugo D."))
    );
    assert_eq!(
        (d["platform"].as_str(), d["id"].as_str()),
        (Some("helloasso"), Some(expected_id("helloasso", "13790").as_str()))
    );
    let (_, v) = hook(&app, &with_token, &json_ct, paid.clone()).await;
    assert_eq!(v["status"], "already_counted");
    // A partner's notification, signed with the URL's signature key, needs no token.
    let anonymous = helloasso_payment(13791, "Authorized", true, donation_form, json!([]));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(anonymous.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let (s, v) = hook(&app, &url, &[("x-ha-signature", sig.as_str())], anonymous).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let d = ws.next().await["donation"].clone();
    assert_eq!((d["amount"].as_i64(), &d["donor"]), (Some(2000), &Value::Null));
    // The organisers see the name given, marked anonymous.
    let (_, list) = app
        .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", live.id), Some(&live.key), &[], None)
        .await;
    let first = &list["donations"][0];
    assert_eq!((first["donor_name"].as_str(), first["anonymous"].as_bool()), (Some("Hugo D."), Some(true)), "{list}");

    // Another form of the association, an order, a payment not through: acknowledged, not counted.
    for body in [
        helloasso_payment(13792, "Authorized", false, ("adhesion-2027", "Membership"), json!([])),
        helloasso_payment(13793, "Authorized", false, ("autre-collecte", "Donation"), json!([])),
        helloasso_payment(13794, "Refused", false, donation_form, json!([])),
        json!({"eventType": "Order", "data": {"id": 20499}}).to_string(),
    ] {
        let (s, v) = hook(&app, &with_token, &json_ct, body).await;
        assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ignored")), "{v}");
    }
    let (s, v) = hook(&app, &with_token, &json_ct, "{not json").await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_payload")));
    assert_eq!(live_totals(&app, &live).await["raised"], 4000);

    // Refunds: 5 € processed (another still processing), then the whole payment.
    let part = json!([{"id": 1, "amount": 500, "amountTip": 0, "status": "Processed"},
                      {"id": 2, "amount": 700, "amountTip": 0, "status": "Processing"}]);
    let (s, v) =
        hook(&app, &with_token, &json_ct, helloasso_payment(13790, "Authorized", false, donation_form, part)).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("refunded")), "{v}");
    assert_eq!(live_totals(&app, &live).await["raised"], 3500);
    let (s, v) =
        hook(&app, &with_token, &json_ct, helloasso_payment(13790, "Refunded", false, donation_form, json!([]))).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("refunded")), "{v}");
    let totals = live_totals(&app, &live).await;
    assert_eq!((totals["raised"].as_i64(), totals["donations"].as_i64()), (Some(2000), Some(1)));
}

#[tokio::test]
async fn generic_known_answer_and_every_refusal_changes_nothing() {
    let clock = ManualClock::at("2023-11-14T22:13:20Z");
    let app = spawn_app_clocked(&clock).await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "generic", GENERIC_SECRET).await;

    let kat = format!("t=1700000000,v1={GENERIC_V1}");
    let (s, v) = hook(&app, &url, &[("cagnotte-signature", &kat)], GENERIC_BODY).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    assert_eq!(v["donation_id"], expected_id("generic", "order-1001").as_str());
    let before = live_totals(&app, &live).await;
    assert_eq!((before["donations"].as_i64(), before["raised"].as_i64()), (Some(1), Some(2500)));

    let signed = |body: &str| format!("t=1700000000,v1={}", hmac_hex(GENERIC_SECRET, 1_700_000_000, body.as_bytes()));
    let cases: Vec<(String, String, StatusCode, &str)> = vec![
        (
            r#"{"event_id":"e-2","amount":10.5,"currency":"EUR"}"#.into(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        (
            r#"{"event_id":"e-3","amount":"1050","currency":"EUR"}"#.into(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        (
            r#"{"event_id":"e-4","amount":1050,"currency":"EUR","extra":true}"#.into(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        (
            r#"{"event_id":"e-5","amount":1050,"currency":"USD"}"#.into(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "currency_mismatch",
        ),
        (
            r#"{"event_id":"e-6","amount":100000001,"currency":"EUR"}"#.into(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_too_large",
        ),
        (
            // Too large to hold: refused like any amount above the maximum.
            r#"{"event_id":"e-6b","amount":100000000000000000000000,"currency":"EUR"}"#.into(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_too_large",
        ),
        (
            r#"{"event_id":"e-7","amount":1050,"currency":"EUR"}"#.into(),
            "t=1700000000,v1=00".into(),
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        (
            r#"{"event_id":"e-8","amount":1050,"currency":"EUR"}"#.into(),
            "garbage".into(),
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
    ];
    for (body, header, status, code) in cases {
        let header = if header.is_empty() { signed(&body) } else { header };
        let (s, v) = hook(&app, &url, &[("cagnotte-signature", &header)], body.clone()).await;
        assert_eq!((s, v["error"].as_str()), (status, Some(code)), "{body}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
        if code == "amount_too_large" {
            assert_eq!(v["message"], "amount is above the maximum of 100000000 minor units", "{body}");
        }
    }
    // A signature made 301 s before the server's clock: stale.
    let body = r#"{"event_id":"e-9","amount":1050,"currency":"EUR"}"#;
    let old = format!("t=1699999699,v1={}", hmac_hex(GENERIC_SECRET, 1_699_999_699, body.as_bytes()));
    let (s, _) = hook(&app, &url, &[("cagnotte-signature", &old)], body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A body over the limit is refused before any HMAC.
    let huge = format!(r#"{{"event_id":"e-10","amount":1050,"currency":"EUR","message":"{}"}}"#, "x".repeat(70_000));
    let (s, v) = hook(&app, &url, &[("cagnotte-signature", &signed(&huge))], huge.clone()).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")));
    assert_eq!(live_totals(&app, &live).await, before);
}

#[tokio::test]
async fn a_generic_refund_takes_the_whole_donation_back_once() {
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "generic", GENERIC_SECRET).await;
    let post = async |body: Value| {
        let body = body.to_string();
        let t = unix_now();
        let sig = format!("t={t},v1={}", hmac_hex(GENERIC_SECRET, t, body.as_bytes()));
        hook(&app, &url, &[("cagnotte-signature", &sig)], body).await
    };
    assert_eq!(generic_hook(&app, &url, GENERIC_SECRET, "order-1", 1500).await.0, StatusCode::OK);
    assert_eq!(generic_hook(&app, &url, GENERIC_SECRET, "order-2", 700).await.0, StatusCode::OK);
    let mut ws = app.ws(&live, None).await;
    let seq = ws.next().await["seq"].as_u64().unwrap();

    // Not counted yet (or never): 404, so that the sender's retry refunds it once it is.
    let (s, e) = post(json!({"event_id": "refund-0", "refund_of": "order-9"})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("donation_not_found")), "{e}");
    // A refund carries nothing else.
    let (s, e) = post(json!({"event_id": "refund-1", "refund_of": "order-1", "amount": 1500})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_payload")), "{e}");
    let totals = live_totals(&app, &live).await;
    assert_eq!((totals["raised"].as_i64(), totals["donations"].as_i64()), (Some(2200), Some(2)));

    let (s, v) = post(json!({"event_id": "refund-1", "refund_of": "order-1"})).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("refunded")), "{v}");
    assert_eq!(v["donation_id"], expected_id("generic", "order-1").as_str());
    let frame = ws.next().await;
    assert_eq!((frame["type"].as_str(), frame["seq"].as_u64()), (Some("refund"), Some(seq + 1)));
    assert_eq!(frame["donation"]["id"], expected_id("generic", "order-1").as_str());
    assert_eq!(frame["donation"]["refunded"], true);
    assert_eq!((frame["totals"]["raised"].as_i64(), frame["totals"]["donations"].as_i64()), (Some(700), Some(1)));

    // The same refund again (a retry, or another event id for it): nothing changes.
    let (s, v) = post(json!({"event_id": "refund-1", "refund_of": "order-1"})).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("already_refunded")), "{v}");
    let (s, v) = post(json!({"event_id": "refund-1b", "refund_of": "order-1"})).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("already_refunded")), "{v}");
    assert!(ws.try_next(Duration::from_millis(300)).await.is_none());
    let totals = live_totals(&app, &live).await;
    assert_eq!((totals["raised"].as_i64(), totals["donations"].as_i64()), (Some(700), Some(1)));
}

/// A Stripe payment of `amount` cents by `donor`, delivered signed to `url` and counted.
async fn stripe_paid(app: &TestApp, url: &str, payment_intent: &str, amount: i64, donor: &str) {
    let paid = stripe_event(
        &format!("evt_{payment_intent}"),
        "payment_intent.succeeded",
        json!({"id": payment_intent, "object": "payment_intent", "amount": amount, "amount_received": amount,
            "currency": "eur", "metadata": {"donor": donor}, "status": "succeeded"}),
    );
    let t = unix_now();
    let sig = format!("t={t},v1={}", hmac_hex(STRIPE_SECRET, t, paid.as_bytes()));
    let (s, v) = hook(app, url, &[("stripe-signature", &sig)], paid).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

fn stripe_event(id: &str, kind: &str, object: Value) -> String {
    json!({"id": id, "object": "event", "api_version": "2023-10-16", "created": unix_now(), "livemode": false,
        "pending_webhooks": 1, "type": kind, "data": {"object": object}})
    .to_string()
}

#[tokio::test]
async fn duplicated_shuffled_and_out_of_order_events_count_once() {
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "stripe", STRIPE_SECRET).await;
    let session = stripe_event(
        "evt_session_a",
        "checkout.session.completed",
        json!({"id": "cs_a", "object": "checkout.session", "amount_total": 1500, "currency": "eur",
            "payment_intent": "pi_a", "payment_status": "paid", "metadata": {"donor": "Ana", "message": "Go"}}),
    );
    let intent_a = stripe_event(
        "evt_intent_a",
        "payment_intent.succeeded",
        json!({"id": "pi_a", "object": "payment_intent", "amount": 1500, "amount_received": 1500,
            "currency": "eur", "metadata": {}, "status": "succeeded"}),
    );
    let intent_b = stripe_event(
        "evt_intent_b",
        "payment_intent.succeeded",
        json!({"id": "pi_b", "object": "payment_intent", "amount": 700, "amount_received": 700,
            "currency": "eur", "metadata": {"donor": "Bo"}, "status": "succeeded"}),
    );
    let refund_a = stripe_event(
        "evt_refund_a",
        "charge.refunded",
        json!({"id": "ch_a", "object": "charge", "payment_intent": "pi_a", "amount": 1500,
            "amount_refunded": 1500, "refunded": true}),
    );
    let mut deliveries: Vec<String> = Vec::new();
    for _ in 0..5 {
        for e in [&session, &intent_a, &intent_b, &refund_a] {
            deliveries.push(e.clone());
        }
    }
    // A fixed shuffle (a small LCG).
    let mut seed: u64 = 0x5eed;
    for i in (1..deliveries.len()).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        deliveries.swap(i, (seed >> 33) as usize % (i + 1));
    }

    // The refund before its donation: not counted yet, answered non-2xx so the provider retries.
    let t = unix_now();
    let sig = format!("t={t},v1={}", hmac_hex(STRIPE_SECRET, t, refund_a.as_bytes()));
    let (s, v) = hook(&app, &url, &[("stripe-signature", &sig)], refund_a.clone()).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("donation_not_found")), "{v}");

    // All at once, and like a provider: what did not get a 2xx is delivered again.
    let mut pending = deliveries;
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds < 50, "deliveries never all succeeded");
        let mut set = tokio::task::JoinSet::new();
        for body in pending.drain(..) {
            let client = app.client.clone();
            let url = url.clone();
            set.spawn(async move {
                let t = unix_now();
                let sig = format!("t={t},v1={}", hmac_hex(STRIPE_SECRET, t, body.as_bytes()));
                let res = client.post(&url).header("stripe-signature", sig).body(body.clone()).send().await.unwrap();
                (res.status(), body)
            });
        }
        while let Some(r) = set.join_next().await {
            let (status, body) = r.unwrap();
            // 404: a refund that overtook its donation, retried in the next round.
            assert!(status == StatusCode::OK || status == StatusCode::NOT_FOUND, "{status} {body}");
            if !status.is_success() {
                pending.push(body);
            }
        }
    }
    let totals = live_totals(&app, &live).await;
    assert_eq!((totals["donations"].as_i64(), totals["raised"].as_i64()), (Some(1), Some(700)), "{totals}");
    let events = app.events(&live, 0).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "donation").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "refund").count(), 1, "{kinds:?}");
    let refunded = events.iter().find(|e| e["type"] == "refund").unwrap();
    assert_eq!(refunded["donation"]["id"], expected_id("stripe", "pi_a").as_str());
}

/// Each donation keeps its payment's reference for the charity's accounts: a
/// provider's payment id, or the `Idempotency-Key` a client of the API gave;
/// listed, found and exported, and kept by an erasure of the donor's name.
#[tokio::test]
async fn each_payment_keeps_its_reference_for_the_charity_s_accounts() {
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "stripe", STRIPE_SECRET).await;
    stripe_paid(&app, &url, "pi_3Nref", 1500, "Ana").await;
    let path = format!("/api/v1/lives/{}/donations", live.id);
    let body = json!({"amount": 700, "currency": "EUR", "donor": "Bo"}).to_string();
    let (s, v) = app
        .request(reqwest::Method::POST, &path, Some(&live.key), &[("idempotency-key", "commande-42")], Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.gift(&live, Some("Chloé"), 300, false).await;

    let list = async |q: &str| {
        let (s, v) = app.admin_get(&format!("/api/v1/campaigns/{}/donations{q}", live.campaign_id)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let refs: Vec<Value> = v["donations"].as_array().unwrap().iter().map(|d| d["reference"].clone()).collect();
        (v["count"].as_u64().unwrap(), refs)
    };
    assert_eq!(list("").await, (3, vec![Value::Null, json!("commande-42"), json!("pi_3Nref")]));
    assert_eq!(list("?q=pi_3Nref").await, (1, vec![json!("pi_3Nref")]));
    assert_eq!(list("?q=commande-42").await, (1, vec![json!("commande-42")]));

    // The export's last column, in the donations' order.
    let csv = app
        .client
        .get(format!("{}/api/v1/campaigns/{}/donations.csv", app.base, live.campaign_id))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The reference, before what was hidden and who moderated.
    let last: Vec<&str> = csv.lines().map(|l| l.rsplit(',').nth(2).unwrap()).collect();
    assert_eq!(last, ["reference", "pi_3Nref", "commande-42", ""]);

    // The donor's name erased: the accounts keep the payment's reference.
    let id = expected_id("stripe", "pi_3Nref");
    assert_eq!(app.post(&format!("/api/v1/donations/{id}/erase"), Some(ADMIN), json!({})).await.0, StatusCode::OK);
    assert_eq!(list("?q=pi_3Nref").await, (1, vec![json!("pi_3Nref")]));
}

/// A provider's export checked against the donations by reference and
/// amount: what is missing on either side, what differs, what the export
/// repeats; for the admin and the charity's key, changing nothing.
#[tokio::test]
async fn the_provider_s_export_is_checked_against_the_donations() {
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "stripe", STRIPE_SECRET).await;
    for (pi, amount, donor) in [("pi_1", 1500, "Ana"), ("pi_2", 700, "Bo"), ("pi_3", 2000, "Chloé")] {
        stripe_paid(&app, &url, pi, amount, donor).await;
    }
    let body = json!({"amount": 500, "currency": "EUR"}).to_string();
    let path = format!("/api/v1/lives/{}/donations", live.id);
    let (s, _) = app
        .request(reqwest::Method::POST, &path, Some(&live.key), &[("idempotency-key", "commande-42")], Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let before = app.events(&live, 0).await.len();

    let export = "id,Created date (UTC),Amount,Amount Refunded,Currency,PaymentIntent ID\n\
                  ch_1,2026-12-01 20:00,15.00,0.00,eur,pi_1\n\
                  ch_2,2026-12-01 20:05,8.00,0.00,eur,pi_2\n\
                  ch_4,2026-12-01 20:10,12.00,0.00,eur,pi_4\n\
                  ch_1,2026-12-01 20:00,15.00,0.00,eur,pi_1\n";
    let check = async |token: &str, query: &str, body: &[u8]| {
        let res = app
            .client
            .post(format!("{}/api/v1/campaigns/{}/reconcile{query}", app.base, live.campaign_id))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json::<Value>().await.unwrap())
    };
    let (s, v) = check(ADMIN, "?platform=stripe", export.as_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ids: Vec<Value> = v["unknown"].as_array().unwrap().iter().map(|d| d["reference"].clone()).collect();
    assert_eq!(
        (&v["columns"], &v["rows"], &v["skipped"], &v["matched"], &v["missing"], &v["repeated"], ids),
        (
            &json!({"reference": "PaymentIntent ID", "amount": "Amount", "donor": null, "message": null,
                "date": "Created date (UTC)"}),
            &json!(4),
            &json!(0),
            &json!(1),
            &json!([{"reference": "pi_4", "amount": 1200, "paid_at": "2026-12-01T20:10:00.000Z", "donor": null,
                "message": null, "live_id": live.id}]),
            &json!(["pi_1"]),
            vec![json!("pi_3")]
        )
    );
    assert_eq!(
        (
            &v["differing"][0]["reference"],
            &v["differing"][0]["amount_in_export"],
            &v["differing"][0]["amount"],
            &v["differing"][0]["donation"]["donor"]
        ),
        (&json!("pi_2"), &json!(800), &json!(700), &json!("Bo"))
    );
    // Every donation with a reference, the API's too; a French spreadsheet's export.
    let (_, all) = check(ADMIN, "", export.as_bytes()).await;
    let refs: Vec<&str> = all["unknown"].as_array().unwrap().iter().map(|d| d["reference"].as_str().unwrap()).collect();
    assert_eq!(refs, ["pi_3", "commande-42"]);
    let french = "\u{feff}Date;Référence;Montant (€)\n01/12/2026;pi_1;15,00\n01/12/2026;pi_2;7,00\n01/12/2026;pi_3;20,00\n01/12/2026;commande-42;5,00\n";
    let (s, v) = check(ADMIN, "", french.as_bytes()).await;
    assert_eq!(
        (s, &v["matched"], &v["missing"], &v["unknown"], &v["differing"]),
        (StatusCode::OK, &json!(4), &json!([]), &json!([]), &json!([])),
        "{v}"
    );

    // The charity's key reads the same; a live's key may not.
    let (_, rotated) = app
        .post(&format!("/api/v1/campaigns/{}/rotate", live.campaign_id), Some(ADMIN), json!({"report_token": true}))
        .await;
    let charity = rotated["report_token"].as_str().unwrap().to_owned();
    assert_eq!(check(&charity, "?platform=stripe", export.as_bytes()).await.1["matched"], 1);
    assert_eq!(check(&live.key, "", export.as_bytes()).await.0, StatusCode::FORBIDDEN);

    // Bad exports: said, and nothing changes.
    for (body, code) in [
        (b"date,total\n1,2\n".to_vec(), "export_columns"),
        (b"id,amount\npi_1,quinze\n".to_vec(), "invalid_export"),
        (b"".to_vec(), "invalid_export"),
        (vec![0xff, 0xfe, 0x00], "invalid_export"),
    ] {
        let (s, v) = check(ADMIN, "", &body).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{v}");
    }
    let (_, v) = check(ADMIN, "", b"date,total\n1,2\n").await;
    assert_eq!(v["columns"], json!(["date", "total"]));
    let (_, v) = check(ADMIN, "?reference=Nope", export.as_bytes()).await;
    assert_eq!(v["error"], "export_columns");
    let (s, v) = check(ADMIN, "", &vec![b'a'; 8 * 1024 * 1024 + 1]).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")));
    assert_eq!(app.events(&live, 0).await.len(), before);
}

/// A payment missing from the donations is counted by the organisers as its
/// webhook would have: the webhook, should it come after all, counts it no
/// second time; one that came first makes the organisers' `409`.
#[tokio::test]
async fn a_missing_payment_is_counted_once_whatever_comes_after() {
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "stripe", STRIPE_SECRET).await;
    let path = format!("/api/v1/lives/{}/payments", live.id);
    let body = json!({"provider": "stripe", "payment_id": "pi_4", "amount": 1200, "currency": "EUR"});
    let (s, v) = app.post(&path, Some(ADMIN), body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["donation"]["id"].as_str(), v["donation"]["platform"].as_str(), v["totals"]["total"].as_i64()),
        (Some(expected_id("stripe", "pi_4").as_str()), Some("stripe"), Some(1200))
    );
    // The same again: the same donation; then the webhook, late: counted once.
    let (s, again) = app.post(&path, Some(ADMIN), body.clone()).await;
    assert_eq!((s, &again["donation"]["id"]), (StatusCode::OK, &v["donation"]["id"]));
    stripe_paid(&app, &url, "pi_4", 1200, "Ana").await;
    assert_eq!(live_totals(&app, &live).await["donations"], 1);
    let (_, list) = app.admin_get(&format!("/api/v1/campaigns/{}/donations", live.campaign_id)).await;
    assert_eq!(list["donations"][0]["reference"], "pi_4");

    // The webhook first: the organisers' count is refused, nothing added.
    stripe_paid(&app, &url, "pi_5", 800, "Bo").await;
    let (s, v) = app
        .post(&path, Some(ADMIN), json!({"provider": "stripe", "payment_id": "pi_5", "amount": 800, "currency": "EUR"}))
        .await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("payment_counted")), "{v}");
    assert_eq!(live_totals(&app, &live).await["donations"], 2);

    // The admin's only; bad bodies said, nothing written.
    let (_, rotated) = app
        .post(&format!("/api/v1/campaigns/{}/rotate", live.campaign_id), Some(ADMIN), json!({"report_token": true}))
        .await;
    for token in [live.key.as_str(), rotated["report_token"].as_str().unwrap()] {
        assert_eq!(app.post(&path, Some(token), body.clone()).await.0, StatusCode::FORBIDDEN);
    }
    for (bad, code) in [
        (json!({"provider": "paypal", "payment_id": "x", "amount": 100, "currency": "EUR"}), "invalid_field"),
        (json!({"provider": "stripe", "payment_id": "a b", "amount": 100, "currency": "EUR"}), "invalid_field"),
        (json!({"provider": "stripe", "payment_id": "x", "amount": 0, "currency": "EUR"}), "invalid_amount"),
        (json!({"provider": "stripe", "payment_id": "x", "amount": 100, "currency": "USD"}), "currency_mismatch"),
    ] {
        let (s, v) = app.post(&path, Some(ADMIN), bad).await;
        assert_eq!(v["error"].as_str(), Some(code), "{s} {v}");
    }
    assert_eq!(live_totals(&app, &live).await["donations"], 2);
    assert_eq!(app.post("/api/v1/lives/nope/payments", Some(ADMIN), body).await.0, StatusCode::NOT_FOUND);
}

/// A missing payment comes with what the export says of it: the donor's
/// name, the message, the time (on the asked clock unless its column says
/// UTC), and the live a campaign's integration would have counted it on then.
#[tokio::test]
async fn a_missing_payment_comes_with_its_donor_its_time_and_its_live() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Restos", "currency": "EUR"})).await;
    let c = c["id"].as_str().unwrap().to_owned();
    let first =
        app.live(&c, json!({"host": "Ana", "scheduled_at": "2026-12-01T19:00:00Z", "duration_minutes": 120})).await;
    let second =
        app.live(&c, json!({"host": "Bo", "scheduled_at": "2026-12-03T19:00:00Z", "duration_minutes": 120})).await;
    let export = "Référence commande;Date;Montant;Prénom payeur;Nom payeur;Commentaire\n\
                  901;01/12/2026 21:10;20,00;Inès;dupont;Bravo à vous\n\
                  902;03/12/2026 20:30;5,00;Zoé;;\n\
                  903;02/12/2026;5,00;;;\n";
    let compare = async |query: &str, body: &'static str| {
        let res = app
            .client
            .post(format!("{}/api/v1/campaigns/{c}/reconcile{query}", app.base))
            .bearer_auth(ADMIN)
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status(), res.json::<Value>().await.unwrap())
    };
    let check = async |query: &str| compare(query, export).await;
    let (s, v) = check("?reference=R%C3%A9f%C3%A9rence%20commande&tz=Europe/Paris").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["columns"], &v["missing"]),
        (
            &json!({"reference": "Référence commande", "amount": "Montant", "donor": "Prénom payeur + Nom payeur",
                "message": "Commentaire", "date": "Date"}),
            &json!([
                {"reference": "901", "amount": 2000, "paid_at": "2026-12-01T20:10:00.000Z", "donor": "Inès D.",
                    "message": "Bravo à vous", "live_id": first.id},
                {"reference": "902", "amount": 500, "paid_at": "2026-12-03T19:30:00.000Z", "donor": "Zoé",
                    "message": null, "live_id": second.id},
                {"reference": "903", "amount": 500, "paid_at": null, "donor": null, "message": null, "live_id": null}
            ])
        )
    );
    // Without a clock, the export's times are UTC's: 21:10 is past the first live's end.
    let (_, v) = check("?reference=R%C3%A9f%C3%A9rence%20commande").await;
    assert_eq!(
        (&v["missing"][0]["paid_at"], &v["missing"][0]["live_id"]),
        (&json!("2026-12-01T21:10:00.000Z"), &json!(first.id))
    );
    let (_, v) = check("?reference=R%C3%A9f%C3%A9rence%20commande&tz=Europe/Paris").await;
    assert_eq!(v["missing"][1]["live_id"], json!(second.id));
    // Columns of other names, named: the donor's, the message's, the time's.
    let own = "Ref;Somme;Qui;Mot;Quand\n905;7,00;Lou;Courage;03/12/2026 20:45\n";
    let (_, v) = compare("?reference=Ref&amount=Somme&donor=Qui&message=Mot&date=Quand&tz=Europe/Paris", own).await;
    assert_eq!(
        (&v["columns"], &v["missing"]),
        (
            &json!({"reference": "Ref", "amount": "Somme", "donor": "Qui", "message": "Mot", "date": "Quand"}),
            &json!([{"reference": "905", "amount": 700, "paid_at": "2026-12-03T19:45:00.000Z", "donor": "Lou",
                "message": "Courage", "live_id": second.id}])
        )
    );
    let (s, v) = compare("?reference=Ref&amount=Somme&donor=Nom", own).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (&v["error"], &v["field"], &v["columns"]),
        (&json!("export_columns"), &json!("donor"), &json!(["Ref", "Somme", "Qui", "Mot", "Quand"]))
    );
    // A clock that is none is refused.
    let (s, v) = check("?tz=Mars/Olympus").await;
    assert_eq!((s, &v["error"], &v["field"]), (StatusCode::BAD_REQUEST, &json!("invalid_query"), &json!("tz")));

    // Counted as the dashboard does, the name kept for the organisers only.
    let (s, v) = app
        .post(
            &format!("/api/v1/lives/{}/payments", first.id),
            Some(ADMIN),
            json!({"provider": "helloasso", "payment_id": "901", "amount": 2000, "currency": "EUR",
                "donor": "Inès D.", "anonymous": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, list) = app.admin_get(&format!("/api/v1/campaigns/{c}/donations?q=901")).await;
    assert_eq!(
        (&list["donations"][0]["donor_name"], &list["donations"][0]["donor"], &list["donations"][0]["live_id"]),
        (&json!("Inès D."), &Value::Null, &json!(first.id))
    );
    let (_, public) = app.get(&format!("/api/v1/lives/{}", first.id)).await;
    assert!(!public.to_string().contains("Inès"), "{public}");
}

#[tokio::test]
async fn integrations_endpoint_rules() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Autre"})).await;
    let path = format!("/api/v1/lives/{}/integrations", live.id);
    let body = json!({"provider": "stripe", "secret": STRIPE_SECRET});
    let (s, v) = app.post(&path, Some(ADMIN), body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["url"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    assert!(v.get("secret").is_none());
    for (token, body, status, code) in [
        (None, body.clone(), StatusCode::UNAUTHORIZED, "unauthorized"),
        (Some(live.overlay_token.as_str()), body.clone(), StatusCode::FORBIDDEN, "forbidden"),
        (Some(other.key.as_str()), body.clone(), StatusCode::FORBIDDEN, "forbidden"),
        (
            Some(live.key.as_str()),
            json!({"provider": "paypal", "secret": STRIPE_SECRET}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_provider",
        ),
        (
            Some(live.key.as_str()),
            json!({"provider": "kofi", "secret": "short"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_secret",
        ),
        (
            Some(live.key.as_str()),
            json!({"provider": "kofi", "secret": "has spaces in it, 1234"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_secret",
        ),
        (
            Some(live.key.as_str()),
            json!({"provider": "kofi", "secret": STRIPE_SECRET, "x": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
        ),
    ] {
        let (s, v) = app.post(&path, token, body).await;
        assert_eq!((s, v["error"].as_str()), (status, Some(code)), "{v}");
    }
    let (s, v) = app
        .post("/api/v1/lives/nope/integrations", Some(ADMIN), json!({"provider": "kofi", "secret": STRIPE_SECRET}))
        .await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("live_not_found")));
    let (s, v) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::OK);
    let list = v["integrations"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["provider"], "stripe");
    assert!(list[0].get("secret").is_none());
}

/// One request the receiver got: path, `Cagnotte-Signature`, body, the status it answered.
type Seen = (String, String, String, u16);

/// A local receiver for the outbox: records every request and answers 503 while
/// `failures` is above zero.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    failures: Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    async fn start(&self) -> String {
        let me = self.clone();
        let handler = move |axum::extract::Path(path): axum::extract::Path<String>,
                            headers: axum::http::HeaderMap,
                            body: String| {
            let me = me.clone();
            async move {
                use std::sync::atomic::Ordering;
                let fail = me.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                let status = if fail { 503 } else { 200 };
                let sig = headers.get("cagnotte-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                me.seen.lock().unwrap().push((path, sig, body, status));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        };
        let router = axum::Router::new().route("/{path}", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{addr}")
    }

    /// Accepted deliveries to `path`, as (parsed body, signature checked).
    fn accepted(&self, path: &str, secret: &str) -> Vec<Value> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|(p, _, _, status)| p == path && *status == 200)
            .map(|(_, sig, body, _)| {
                let (t, v1) = sig.split_once(",v1=").expect("t=…,v1=…");
                let t: i64 = t.strip_prefix("t=").unwrap().parse().unwrap();
                assert_eq!(v1, hmac_hex(secret, t, body.as_bytes()), "signature of {body}");
                assert!((unix_now() - t).abs() < 300);
                serde_json::from_str(body).unwrap()
            })
            .collect()
    }

    fn attempts(&self, path: &str) -> usize {
        self.seen.lock().unwrap().iter().filter(|(p, ..)| p == path).count()
    }

    /// The bodies posted to `path` once there are at least `n`, parsed, in order.
    async fn posted(&self, path: &str, n: usize) -> Vec<Value> {
        until(15, path, async || {
            let seen = self.seen.lock().unwrap();
            let got: Vec<Value> = seen
                .iter()
                .filter(|(p, ..)| p == path)
                .map(|(_, _, body, _)| serde_json::from_str(body).unwrap())
                .collect();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

const SUBSCRIBER_SECRET: &str = "subscriber-secret-0123456789";

/// Adds a Discord channel (French) told of one campaign's events, as created.
async fn discord(app: &TestApp, url: &str, campaign_id: &str) -> Value {
    let body = json!({"url": url, "format": "discord", "campaign_id": campaign_id});
    let (s, v) = app.post("/api/v1/webhooks", Some(ADMIN), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// Adds a subscriber of one campaign's events, signed with [`SUBSCRIBER_SECRET`].
async fn subscribe(app: &TestApp, url: &str, campaign_id: &str) -> Value {
    let body = json!({"url": url, "secret": SUBSCRIBER_SECRET, "campaign_id": campaign_id});
    let (s, v) = app.post("/api/v1/webhooks", Some(ADMIN), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

#[tokio::test]
async fn outbox_delivers_signed_events_across_a_restart_and_retries() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    let other_campaign = app.eur_campaign().await;
    let (s, _) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(ADMIN),
            json!({"sponsor": "Acme", "ratio": [1, 1], "cap": 500}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let path = format!("/api/v1/campaigns/{}/milestones", live.campaign_id);
    let (s, _) = app.post(&path, Some(ADMIN), json!({"amount": 1200, "label": "Une chanson de plus"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let secret = SUBSCRIBER_SECRET;
    let v = subscribe(&app, &format!("{base}/bot"), &live.campaign_id).await;
    assert!(v.get("secret").is_none());
    let (s, _) = app
        .post(
            "/api/v1/webhooks",
            Some(ADMIN),
            json!({"url": format!("{base}/elsewhere"), "secret": secret, "campaign_id": other_campaign}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // The receiver fails the first two attempts; the server stops after the first.
    receiver.failures.store(2, std::sync::atomic::Ordering::SeqCst);
    let d = app.donate_ok(&live, 1000).await;
    let donation_id = d["donation"]["id"].as_str().unwrap().to_owned();
    until(10, "a first attempt", async || (receiver.attempts("bot") >= 1).then_some(())).await;
    let app = app.restart().await;
    until(15, "delivery after the restart", async || (receiver.accepted("bot", secret).len() >= 3).then_some(())).await;
    // A poll's result, for a bot to announce it.
    let polls = format!("/api/v1/lives/{}/polls", live.id);
    let (s, poll) =
        app.post(&polls, Some(&live.key), json!({"question": "Pile ou face ?", "options": ["Pile", "Face"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    let (s, _) = app.post(&format!("{polls}/{}/close", poll["id"].as_str().unwrap()), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    // A prize drawn, for a bot to name the winner.
    let draws = format!("/api/v1/lives/{}/draws", live.id);
    let (s, draw) = app.post(&draws, Some(&live.key), json!({"prize": "Un dessin"})).await;
    assert_eq!(s, StatusCode::CREATED, "{draw}");
    let (s, _) = app.post(&format!("/api/v1/donations/{donation_id}/refund"), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let got = until(15, "the refund", async || {
        let got = receiver.accepted("bot", secret);
        (got.len() >= 7).then_some(got)
    })
    .await;

    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "donation.created",
            "match.used_up",
            "milestone.reached",
            "poll.started",
            "poll.closed",
            "prize.drawn",
            "donation.refunded"
        ]
    );
    let seqs: Vec<u64> = got.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in log order, each once: {seqs:?}");
    assert_eq!(got[0]["id"], format!("evt_{}", seqs[0]));
    assert_eq!(got[0]["data"]["donation"]["id"], donation_id.as_str());
    assert_eq!(
        (got[0]["data"]["donation"]["amount"].as_i64(), got[0]["data"]["donation"]["matched"].as_i64()),
        (Some(1000), Some(500))
    );
    assert_eq!(got[0]["data"]["campaign_totals"]["total"], 1500);
    assert_eq!(got[1]["data"]["match"]["sponsor"], "Acme");
    assert_eq!(got[2]["data"]["milestone"]["label"], "Une chanson de plus");
    assert_eq!(
        (got[3]["data"]["poll"]["options"][1]["tag"].as_str(), got[3]["data"]["poll"]["closed_at"].is_string()),
        (Some("face"), false)
    );
    assert_eq!(
        (got[4]["data"]["poll"]["question"].as_str(), got[4]["data"]["poll"]["closed_at"].is_string()),
        (Some("Pile ou face ?"), true)
    );
    assert_eq!(
        (got[5]["data"]["draw"]["prize"].as_str(), got[5]["data"]["draw"]["winner"]["id"].as_str()),
        (Some("Un dessin"), Some(donation_id.as_str()))
    );
    assert_eq!(got[6]["data"]["donation"]["refunded"], true);
    assert!(receiver.attempts("bot") >= 7, "two failed attempts were retried");
    assert_eq!(receiver.attempts("elsewhere"), 0, "another campaign's subscriber gets nothing");

    // The delivery state is saved just after the receiver's answer: read it once saved.
    let bot = until(10, "the seventh delivery saved", async || {
        let (s, v) = app.admin_get("/api/v1/webhooks").await;
        assert_eq!(s, StatusCode::OK);
        let bot = v["webhooks"].as_array().unwrap().iter().find(|w| w["url"] == format!("{base}/bot")).unwrap().clone();
        (bot["status"]["delivered"].as_u64() >= Some(7)).then_some(bot)
    })
    .await;
    let st = &bot["status"];
    assert_eq!(
        (st["state"].as_str(), st["last_status"].as_u64(), st["delivered"].as_u64()),
        (Some("ok"), Some(200), Some(7)),
        "{bot}"
    );
    assert!(bot.get("secret").is_none());
    assert_eq!(
        bot["events"],
        json!([
            "donation.created",
            "donation.refunded",
            "donation.partially_refunded",
            "milestone.reached",
            "challenge.started",
            "challenge.updated",
            "challenge.missed",
            "match.used_up",
            "poll.started",
            "poll.updated",
            "poll.closed",
            "prize.drawn",
            "donation.erased",
            "donation.text_released",
            "donation.text_hidden",
            "donation.text_shown",
            "live.started",
            "live.ended",
            "campaign.opened",
            "campaign.ended"
        ])
    );
    let (s, _) = app.request(reqwest::Method::GET, "/api/v1/webhooks", Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// A donor erased while a delivery waits for its retry: the subscriber gets the
/// donation without the name it had, then `donation.erased` to erase its copy.
#[tokio::test]
async fn subscribers_hear_of_an_erasure_and_get_no_erased_name() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    subscribe(&app, &format!("{base}/crm"), &live.campaign_id).await;
    receiver.failures.store(1, std::sync::atomic::Ordering::SeqCst);
    let (s, d) = app
        .donate(
            &live,
            json!({"amount": 1500, "currency": "EUR", "donor": "Yasmine Haddad", "message": "De la part de Yasmine"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    until(10, "a first attempt", async || (receiver.attempts("crm") >= 1).then_some(())).await;
    let (s, v) = app.post(&format!("/api/v1/donations/{id}/erase"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = until(15, "both deliveries", async || {
        let got = receiver.accepted("crm", SUBSCRIBER_SECRET);
        (got.len() >= 2).then_some(got)
    })
    .await;
    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["donation.created", "donation.erased"]);
    for e in &got {
        let donation = &e["data"]["donation"];
        assert_eq!((donation["id"].as_str(), donation["amount"].as_i64()), (Some(id.as_str()), Some(1500)));
        assert_eq!((donation["donor"].clone(), donation["message"].clone()), (Value::Null, Value::Null));
        assert_eq!(donation["erased"], true);
    }
    assert_eq!(got[0]["data"]["totals"]["raised"], 1500);
    let seen = receiver.seen.lock().unwrap();
    let failed = seen.iter().find(|(p, .., status)| p == "crm" && *status == 503).unwrap();
    assert!(failed.2.contains("Yasmine Haddad"), "the attempt before the erasure had the name");
    assert!(seen.iter().filter(|(.., status)| *status == 200).all(|(_, _, body, _)| !body.contains("Yasmine")));
}

/// A Discord channel's and a Slack channel's incoming webhooks: a line of text
/// for what viewers celebrate, in their language, the donors' words inert;
/// a refund passed over.
#[tokio::test]
async fn chat_channels_get_a_line_for_each_donation_and_milestone() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = &live.campaign_id;
    let (s, _) = app
        .post(
            &format!("/api/v1/campaigns/{c}/milestones"),
            Some(ADMIN),
            json!({"amount": 2000, "label": "Une chanson"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Refused: an unknown format, a language, a signed subscriber without a secret; nothing is added.
    for (body, code) in [
        (json!({"url": format!("{base}/x"), "format": "teams"}), "invalid_format"),
        (json!({"url": format!("{base}/x"), "format": "discord", "lang": "de"}), "invalid_lang"),
        (json!({"url": format!("{base}/x")}), "invalid_secret"),
    ] {
        let (s, e) = app.post("/api/v1/webhooks", Some(ADMIN), body).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{e}");
    }
    let discord = discord(&app, &format!("{base}/discord"), c).await;
    assert_eq!((discord["format"].as_str(), discord["lang"].as_str()), (Some("discord"), Some("fr")));
    assert_eq!(
        discord["events"],
        json!([
            "donation.created",
            "milestone.reached",
            "challenge.started",
            "challenge.updated",
            "challenge.missed",
            "match.used_up",
            "poll.started",
            "poll.updated",
            "poll.closed",
            "prize.drawn",
            "donation.text_released",
            "live.started",
            "live.ended"
        ])
    );
    let (s, _) = app
        .post(
            "/api/v1/webhooks",
            Some(ADMIN),
            json!({"url": format!("{base}/slack"), "format": "slack", "lang": "en", "campaign_id": c}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let (_, d) = app
        .donate(
            &live,
            json!({"amount": 1500, "currency": "EUR", "donor": "Ana", "message": "@everyone <!channel> bravo"}),
        )
        .await;
    let ana = d["donation"]["id"].as_str().unwrap().to_owned();
    app.donate(&live, json!({"amount": 800, "currency": "EUR", "anonymous": true, "donor": "Bob"})).await;
    assert_eq!(app.refund(&live, &ana, json!({})).await, StatusCode::OK);
    app.donate(&live, json!({"amount": 3000, "currency": "EUR", "donor": "Chloé"})).await;
    // A challenge set on air, said; met by the next gift.
    let challenge = json!({"label": "Je chante", "amount": 2000, "minutes": 15});
    let (s, c) = app.post(&format!("/api/v1/lives/{}/challenges", live.id), Some(&live.key), challenge).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    // Five more minutes for it, said too.
    let path = format!("/api/v1/lives/{}/challenges/{}", live.id, c["id"].as_str().unwrap());
    let (s, c) = app.patch(&path, &live.key, json!({"minutes": 20})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    // A poll put on air says how to vote; its five more minutes too.
    let poll = json!({"question": "Quel jeu ?", "options": ["Mario Kart", "Zelda"], "minutes": 15});
    let (s, p) = app.post(&format!("/api/v1/lives/{}/polls", live.id), Some(&live.key), poll).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let path = format!("/api/v1/lives/{}/polls/{}", live.id, p["id"].as_str().unwrap());
    let (s, p) = app.patch(&path, &live.key, json!({"minutes": 20})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    // The gift that takes the live to its 1 000 € goal says so.
    app.donate(&live, json!({"amount": 96200, "currency": "EUR", "donor": "Dan"})).await;
    let lines = |path: &'static str, key: &'static str, n: usize| {
        let receiver = receiver.clone();
        async move {
            receiver
                .posted(path, n)
                .await
                .iter()
                .map(|v| {
                    if key == "content" {
                        assert_eq!((&v["allowed_mentions"], &v["flags"]), (&json!({"parse": []}), &json!(4)), "{v}");
                    }
                    v[key].as_str().unwrap().to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        lines("discord", "content", 10).await,
        [
            "💛 Ana a donné 15,00\u{a0}€ — «\u{a0}\\@everyone \\<!channel\\> bravo\u{a0}». Total du live\u{a0}: 15,00\u{a0}€.",
            "💛 Nouveau don de 8,00\u{a0}€. Total du live\u{a0}: 23,00\u{a0}€.",
            "🎉 Palier atteint\u{a0}: 20,00\u{a0}€ — «\u{a0}Une chanson\u{a0}»\u{a0}!",
            "💛 Chloé a donné 30,00\u{a0}€. Total du live\u{a0}: 38,00\u{a0}€.",
            "⏱ Nouveau défi\u{a0}: 20,00\u{a0}€ de plus en 15\u{a0}minutes et «\u{a0}Je chante\u{a0}»\u{a0}!",
            "⏱ Défi modifié\u{a0}: désormais 20,00\u{a0}€ de plus en 20\u{a0}minutes et «\u{a0}Je chante\u{a0}» — encore 20\u{a0}minutes\u{a0}!",
            "📊 Nouveau sondage\u{a0}: Quel jeu ? Votez en donnant, avec #mariokart pour Mario Kart ou #zelda pour Zelda \
             dans votre message, 15\u{a0}minutes pour voter\u{a0}!",
            "📊 Sondage modifié\u{a0}: Quel jeu ? Votez en donnant, avec #mariokart pour Mario Kart ou #zelda pour Zelda \
             dans votre message — encore 20\u{a0}minutes\u{a0}!",
            "💛 Dan a donné 962,00\u{a0}€. Total du live\u{a0}: 1\u{202f}000,00\u{a0}€. 🎯 Objectif du live atteint\u{a0}: 1\u{202f}000,00\u{a0}€\u{a0}!",
            "🎉 Défi réussi\u{a0}: «\u{a0}Je chante\u{a0}»\u{a0}!",
        ]
    );
    assert_eq!(
        lines("slack", "text", 10).await,
        [
            "💛 Ana gave €15.00 — \u{201c}@everyone &lt;!channel&gt; bravo\u{201d}. Live total: €15.00.",
            "💛 New donation of €8.00. Live total: €23.00.",
            "🎉 Milestone reached: €20.00 — \u{201c}Une chanson\u{201d}!",
            "💛 Chloé gave €30.00. Live total: €38.00.",
            "⏱ New challenge: €20.00 more in 15 minutes and \u{201c}Je chante\u{201d}!",
            "⏱ Challenge changed: now €20.00 more in 20 minutes and \u{201c}Je chante\u{201d} — 20 minutes left!",
            "📊 New poll: Quel jeu ? Vote with a donation, with #mariokart for Mario Kart or #zelda for Zelda \
             in your message, 15 minutes to vote!",
            "📊 Poll changed: Quel jeu ? Vote with a donation, with #mariokart for Mario Kart or #zelda for Zelda \
             in your message — 20 minutes left!",
            "💛 Dan gave €962.00. Live total: €1,000.00. 🎯 Live goal reached: €1,000.00!",
            "🎉 Challenge met: \u{201c}Je chante\u{201d}!",
        ]
    );
    // The refund was passed over, not retried: each channel got ten posts.
    assert_eq!((receiver.attempts("discord"), receiver.attempts("slack")), (10, 10));
}

/// A receiver tested from the dashboard before the live: one delivery now
/// (a signed `ping`, or a chat's line), its answer said, the outbox's state untouched.
#[tokio::test]
async fn a_receiver_is_tested_before_the_live() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = &live.campaign_id;
    let signed = subscribe(&app, &format!("{base}/bot"), c).await["id"].as_str().unwrap().to_owned();
    let discord = discord(&app, &format!("{base}/discord"), c).await;
    let discord = discord["id"].as_str().unwrap().to_owned();
    let app = &app;
    let test =
        |id: String| async move { app.post(&format!("/api/v1/webhooks/{id}/test"), Some(ADMIN), json!({})).await };

    let (s, v) = test(signed.clone()).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"delivered": true, "status": 200, "error": null})));
    let ping = &receiver.accepted("bot", SUBSCRIBER_SECRET)[0];
    assert_eq!((ping["type"].as_str(), ping["campaign_id"].as_str()), (Some("ping"), Some(c.as_str())), "{ping}");
    assert!(ping["id"].as_str().unwrap().starts_with("evt_test_"), "{ping}");
    let (s, v) = test(discord.clone()).await;
    assert_eq!((s, v["delivered"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let line: Value = serde_json::from_str(&receiver.seen.lock().unwrap().last().unwrap().2).unwrap();
    assert_eq!(
        line["content"],
        "🧪 Ce salon est relié à Cagnotte\u{a0}: les dons de «\u{a0}Restos\u{a0}» y seront annoncés."
    );
    // A receiver that refuses it, and one that is not there.
    receiver.failures.store(1, std::sync::atomic::Ordering::SeqCst);
    let (_, v) = test(signed.clone()).await;
    assert_eq!(v, json!({"delivered": false, "status": 503, "error": null}));
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (_, nowhere) = app
        .post(
            "/api/v1/webhooks",
            Some(ADMIN),
            json!({"url": format!("http://{gone}/x"), "format": "slack", "campaign_id": c}),
        )
        .await;
    let (_, v) = test(nowhere["id"].as_str().unwrap().to_owned()).await;
    assert_eq!((v["delivered"].as_bool(), v["status"].clone()), (Some(false), Value::Null), "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("could not deliver"), "{v}");
    // Organisers only; an unknown receiver is a 404.
    let (s, _) = app.post(&format!("/api/v1/webhooks/{signed}/test"), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = test("nope".into()).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("subscriber_not_found")));
    // No event of the log was delivered or skipped by the tests.
    let (_, list) = app.admin_get("/api/v1/webhooks").await;
    for w in list["webhooks"].as_array().unwrap() {
        assert_eq!((w["status"]["delivered"].as_u64(), w["status"]["attempts"].as_u64()), (Some(0), Some(0)), "{w}");
    }
}

#[tokio::test]
async fn subscriber_validation() {
    let app = spawn_app().await;
    let ok = json!({"url": "http://127.0.0.1:9/x", "secret": "subscriber-secret-0123456789"});
    let live = app.setup().await;
    let (s, _) = app.post("/api/v1/webhooks", Some(&live.key), ok.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (body, code) in [
        (json!({"url": "https:///x", "secret": "subscriber-secret-0123456789"}), "invalid_url"),
        (json!({"url": "ftp://example.com/x", "secret": "subscriber-secret-0123456789"}), "invalid_url"),
        (json!({"url": "not a url", "secret": "subscriber-secret-0123456789"}), "invalid_url"),
        (json!({"url": "http://127.0.0.1:9/x", "secret": "short"}), "invalid_secret"),
        (
            json!({"url": "http://127.0.0.1:9/x", "secret": "subscriber-secret-0123456789", "events": []}),
            "unknown_field",
        ),
    ] {
        let (s, v) = app.post("/api/v1/webhooks", Some(ADMIN), body).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{v}");
    }
    let mut unknown = ok.clone();
    unknown["campaign_id"] = json!("nope");
    let (s, v) = app.post("/api/v1/webhooks", Some(ADMIN), unknown).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")));
    let (s, v) = app.admin_get("/api/v1/webhooks").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["webhooks"].as_array().unwrap().len(), 0, "nothing was created");
}

const PATCH: reqwest::Method = reqwest::Method::PATCH;
const DELETE: reqwest::Method = reqwest::Method::DELETE;

/// `method path` with a bearer token and a JSON body (none for `null`).
async fn send(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let body = (!body.is_null()).then(|| body.to_string());
    app.request(method, path, Some(token), &[], body).await
}

/// Posts a generic event for `amount` signed with `secret` now.
async fn generic_hook(app: &TestApp, url: &str, secret: &str, event_id: &str, amount: i64) -> (StatusCode, Value) {
    let body = json!({"event_id": event_id, "amount": amount, "currency": "EUR"}).to_string();
    let t = unix_now();
    let sig = format!("t={t},v1={}", hmac_hex(secret, t, body.as_bytes()));
    hook(app, url, &[("cagnotte-signature", &sig)], body).await
}

#[tokio::test]
async fn an_integration_secret_is_replaced_and_an_integration_deleted() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    let old = "generic-secret-old-0123456789";
    let new = "generic-secret-new-0123456789";
    let url = integration(&app, &live, "generic", old).await;
    let id = url.rsplit('/').next().unwrap().to_owned();
    let path = format!("/api/v1/integrations/{id}");
    assert_eq!(
        send(&app, PATCH, &path, &other.key, json!({"secret": new})).await.0,
        StatusCode::FORBIDDEN,
        "another live's key"
    );
    assert_eq!(send(&app, PATCH, &path, &live.overlay_token, json!({"secret": new})).await.0, StatusCode::FORBIDDEN);
    let (s, e) = send(&app, PATCH, &path, &live.key, json!({"secret": "short"})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_secret")));
    let (s, e) = send(&app, PATCH, &path, &live.key, json!({"secret": new, "provider": "stripe"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(generic_hook(&app, &url, old, "e-1", 1000).await.0, StatusCode::OK, "unchanged so far");

    let (s, v) = send(&app, PATCH, &path, &live.key, json!({"secret": new})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["id"].as_str(), v["url"].as_str()), (Some(id.as_str()), Some(url.as_str())));
    assert!(v.get("secret").is_none());
    let (s, e) = generic_hook(&app, &url, old, "e-2", 2000).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_signature")), "the old secret");
    assert_eq!(generic_hook(&app, &url, new, "e-3", 3000).await.0, StatusCode::OK);
    assert_eq!(live_totals(&app, &live).await["raised"], 4000);

    // Deleted: its URL takes nothing more, also after a restart, and its id is never given again.
    assert_eq!(send(&app, DELETE, &path, &other.key, Value::Null).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, DELETE, &path, &live.key, Value::Null).await.0, StatusCode::NO_CONTENT);
    let (s, e) = send(&app, DELETE, &path, &live.key, Value::Null).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("integration_not_found")));
    let (s, e) = generic_hook(&app, &url, new, "e-4", 4000).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("integration_not_found")));
    let app = app.restart().await;
    assert_eq!(generic_hook(&app, &url, new, "e-5", 5000).await.0, StatusCode::NOT_FOUND);
    assert_eq!(live_totals(&app, &live).await["raised"], 4000);
    let (s, v) = app
        .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/integrations", live.id), Some(&live.key), &[], None)
        .await;
    assert_eq!((s, v["integrations"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (s, e) = app
        .post(
            &format!("/api/v1/lives/{}/integrations", live.id),
            Some(&live.key),
            json!({"id": id, "provider": "generic", "secret": new}),
        )
        .await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::CONFLICT, Some("id_taken")));
    let (s, _) = app
        .request(
            reqwest::Method::PATCH,
            "/api/v1/integrations/nope",
            Some(ADMIN),
            &[],
            Some(json!({"secret": new}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_subscriber_is_edited_then_deleted_and_receives_nothing_more() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    let (old, new) = ("subscriber-secret-old-0123", "subscriber-secret-new-0123");
    let (s, v) = app.post("/api/v1/webhooks", Some(ADMIN), json!({"url": format!("{base}/bot"), "secret": old})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let path = format!("/api/v1/webhooks/{}", v["id"].as_str().unwrap());
    app.donate_ok(&live, 100).await;
    until(10, "the first delivery", async || (receiver.accepted("bot", old).len() == 1).then_some(())).await;

    // A new URL and secret: the next event goes there, signed with the new secret.
    assert_eq!(send(&app, PATCH, &path, &live.key, json!({"secret": new})).await.0, StatusCode::FORBIDDEN);
    let (s, e) = send(&app, PATCH, &path, ADMIN, json!({"url": "ftp://example.org/x"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, v) = send(&app, PATCH, &path, ADMIN, json!({"url": format!("{base}/bot2"), "secret": new})).await;
    assert_eq!((s, v["url"].as_str()), (StatusCode::OK, Some(format!("{base}/bot2").as_str())), "{v}");
    assert!(v.get("secret").is_none());
    app.donate_ok(&live, 200).await;
    let got = until(10, "delivery to the new URL", async || {
        let got = receiver.accepted("bot2", new);
        (got.len() == 1).then_some(got)
    })
    .await;
    assert_eq!(got[0]["data"]["donation"]["amount"], 200);
    assert_eq!(receiver.attempts("bot"), 1, "nothing more to the old URL");

    // Failing, then deleted: the pending event is dropped and nothing more is sent.
    receiver.failures.store(1000, std::sync::atomic::Ordering::SeqCst);
    app.donate_ok(&live, 300).await;
    until(10, "a failed attempt", async || (receiver.attempts("bot2") >= 2).then_some(())).await;
    assert_eq!(app.request(reqwest::Method::DELETE, &path, Some(&live.key), &[], None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.request(reqwest::Method::DELETE, &path, Some(ADMIN), &[], None).await.0, StatusCode::NO_CONTENT);
    let (_, v) = app.admin_get("/api/v1/webhooks").await;
    assert_eq!(v["webhooks"], json!([]));
    receiver.failures.store(0, std::sync::atomic::Ordering::SeqCst);
    let attempts = receiver.attempts("bot2");
    app.donate_ok(&live, 400).await;
    let app = app.restart().await;
    app.donate_ok(&live, 500).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.attempts("bot2"), attempts, "a deleted subscriber receives nothing more");
    assert_eq!(receiver.accepted("bot2", new).len(), 1);
    let (s, e) = app.request(reqwest::Method::DELETE, &path, Some(ADMIN), &[], None).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("subscriber_not_found")));
}

fn secs(rfc3339: &str) -> i64 {
    cagnotte::domain::Timestamp::parse(rfc3339).unwrap().millis() / 1000
}

#[tokio::test]
async fn a_campaign_integration_sends_each_donation_to_the_live_on_air() {
    let clock = ManualClock::at("2026-11-25T20:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let cid = app.eur_campaign().await;
    let path = format!("/api/v1/campaigns/{cid}/integrations");
    let secret = "generic-campaign-secret-0123";
    let (s, e) = app.post(&path, Some(ADMIN), json!({"provider": "generic", "secret": secret})).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let url = e["url"].as_str().unwrap().to_owned();
    assert_eq!((e["campaign_id"].as_str(), &e["live_id"]), (Some(cid.as_str()), &Value::Null));
    let signed = async |event: &str, amount: i64, at: i64| {
        let body = json!({"event_id": event, "amount": amount, "currency": "EUR"}).to_string();
        let sig = format!("t={at},v1={}", hmac_hex(secret, at, body.as_bytes()));
        hook(&app, &url, &[("cagnotte-signature", &sig)], body).await
    };
    // No live yet: refused clearly (the provider retries later).
    let (s, e) = signed("p-0", 100, secs("2026-11-25T20:30:00Z")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_live")), "{e}");

    let lundi = app.live(&cid, json!({"host": "Lundi", "scheduled_at": "2026-11-23T19:00:00Z"})).await;
    let mercredi = app
        .live(&cid, json!({"host": "Mercredi", "scheduled_at": "2026-11-25T20:00:00Z", "duration_minutes": 90}))
        .await;
    let vendredi = app.live(&cid, json!({"host": "Vendredi", "scheduled_at": "2026-11-27T19:00:00Z"})).await;
    let mut ws = app.ws(&mercredi, None).await;
    assert_eq!(ws.next().await["type"], "snapshot");
    // 2026-11-25T20:30:00Z: Mercredi is on air.
    let (s, v) = signed("p-1", 1250, secs("2026-11-25T20:30:00Z")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let frame = ws.next().await;
    assert_eq!((frame["type"].as_str(), frame["donation"]["amount"].as_i64()), (Some("donation"), Some(1250)));
    assert_eq!(frame["donation"]["live_id"], mercredi.id.as_str());
    // The next morning nothing is on air: the live that started last.
    clock.set("2026-11-26T09:00:00Z");
    assert_eq!(signed("p-2", 300, secs("2026-11-26T09:00:00Z")).await.0, StatusCode::OK);
    // Friday evening: Vendredi.
    clock.set("2026-11-27T19:30:00Z");
    assert_eq!(signed("p-3", 700, secs("2026-11-27T19:30:00Z")).await.0, StatusCode::OK);
    // A payment that names its live goes there (a live of another campaign is ignored).
    let named = async |event: &str, live: &str, amount: i64| {
        let body = json!({"event_id": event, "amount": amount, "currency": "EUR", "live_id": live}).to_string();
        let at = secs("2026-11-27T19:30:00Z");
        let sig = format!("t={at},v1={}", hmac_hex(secret, at, body.as_bytes()));
        hook(&app, &url, &[("cagnotte-signature", &sig)], body).await
    };
    assert_eq!(named("p-4", &lundi.id, 40).await.0, StatusCode::OK);
    let stranger = app.setup().await;
    assert_eq!(named("p-5", &stranger.id, 60).await.0, StatusCode::OK);
    assert_eq!(live_totals(&app, &stranger).await["raised"], 0);
    // The same payment again, after the schedule moved on: counted once.
    let (s, v) = signed("p-1", 1250, secs("2026-11-27T19:30:00Z")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("already_counted")), "{v}");
    let raised = async |l: &TestLive| live_totals(&app, l).await["raised"].as_i64().unwrap();
    assert_eq!((raised(&lundi).await, raised(&mercredi).await, raised(&vendredi).await), (40, 1550, 760));
    // Friday's live called off while its time runs: its payments go to the live that started last.
    let (s, v) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/lives/{}", vendredi.id),
        ADMIN,
        json!({"cancelled": true}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(signed("p-6", 900, secs("2026-11-27T19:30:00Z")).await.0, StatusCode::OK);
    assert_eq!((raised(&mercredi).await, raised(&vendredi).await), (2450, 760));

    // Admin only, listed with the campaign, never with its secret.
    let (s, _) = app.post(&path, Some(&vendredi.key), json!({"provider": "generic", "secret": secret})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app.admin_get(&path).await;
    assert_eq!((s, v["integrations"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert!(v["integrations"][0].get("secret").is_none());
    let id = v["integrations"][0]["id"].as_str().unwrap();
    let (s, _) = send(&app, DELETE, &format!("/api/v1/integrations/{id}"), &vendredi.key, Value::Null).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a live's key does not manage the campaign's integration");
    let app = app.restart().await;
    assert_eq!(live_totals(&app, &mercredi).await["raised"], 2450);
    let (s, _) = send(&app, DELETE, &format!("/api/v1/integrations/{id}"), ADMIN, Value::Null).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

/// A one-request-per-connection HTTPS receiver with a self-signed certificate for
/// 127.0.0.1: records (signature header, body) of each request and answers 200.
async fn tls_receiver() -> (String, String, Arc<Mutex<Vec<(String, String)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    let der = rustls::pki_types::CertificateDer::from(cert.der().to_vec());
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key_der)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/bot", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, record) = (acceptor.clone(), Arc::clone(&record));
            tokio::spawn(async move {
                // A failed handshake (an untrusted certificate) just ends the connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, length) = loop {
                    let n = tls.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + length {
                    let n = tls.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let sig = head
                    .lines()
                    .find_map(|l| {
                        l.to_lowercase().starts_with("cagnotte-signature:").then(|| l[19..].trim().to_owned())
                    })
                    .unwrap_or_default();
                let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
                record.lock().unwrap().push((sig, body));
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, pem, seen)
}

#[tokio::test]
async fn https_deliveries_trust_the_configured_authority_only() {
    let (url, pem, seen) = tls_receiver().await;
    let secret = "subscriber-secret-0123456789";
    // Without the authority: the certificate is refused, the delivery retried, the error shown.
    let app = spawn_app().await;
    let live = app.setup().await;
    let (s, v) = app.post("/api/v1/webhooks", Some(ADMIN), json!({"url": url, "secret": secret})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.donate_ok(&live, 700).await;
    let status = until(15, "a failed https attempt", async || {
        let (_, v) = app.admin_get("/api/v1/webhooks").await;
        let st = v["webhooks"][0]["status"].clone();
        (st["state"] == "retrying").then_some(st)
    })
    .await;
    let error = status["last_error"].as_str().unwrap().to_lowercase();
    assert!(error.contains("certificate"), "{status}");
    assert!(seen.lock().unwrap().is_empty());
    let dir = app.stop().await;

    // With it: the pending event is delivered, signed.
    let ca = dir.path().join("receiver-ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let app = crate::helpers::spawn_app_with(dir, |c| c.webhook_ca_file = Some(ca.clone())).await;
    let got = until(20, "the https delivery", async || {
        let got = seen.lock().unwrap().clone();
        (!got.is_empty()).then_some(got)
    })
    .await;
    let (sig, body) = &got[0];
    let (t, v1) = sig.split_once(",v1=").expect("t=…,v1=…");
    let t: i64 = t.strip_prefix("t=").unwrap().parse().unwrap();
    assert_eq!(v1, hmac_hex(secret, t, body.as_bytes()));
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["data"]["donation"]["amount"].as_i64()),
        (Some("donation.created"), Some(700))
    );
    drop(app);
}

#[tokio::test]
async fn stripe_partial_refunds_take_back_what_stripe_reports_once_and_go_out() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = setup_in(&app, "EUR").await;
    let url = integration(&app, &live, "stripe", STRIPE_SECRET).await;
    let secret = SUBSCRIBER_SECRET;
    subscribe(&app, &format!("{base}/bot"), &live.campaign_id).await;
    let send = async |body: &str| {
        let t = unix_now();
        let sig = format!("t={t},v1={}", hmac_hex(STRIPE_SECRET, t, body.as_bytes()));
        hook(&app, &url, &[("stripe-signature", &sig)], body.to_owned()).await
    };
    let refund = |id: &str, refunded: bool, so_far: i64, currency: &str| {
        stripe_event(
            id,
            "charge.refunded",
            json!({"id": "ch_p", "object": "charge", "payment_intent": "pi_p", "amount": 5000,
                "amount_refunded": so_far, "refunded": refunded, "currency": currency}),
        )
    };
    let intent = stripe_event(
        "evt_intent_p",
        "payment_intent.succeeded",
        json!({"id": "pi_p", "object": "payment_intent", "amount": 5000, "amount_received": 5000,
            "currency": "eur", "metadata": {"donor": "Ana"}, "status": "succeeded"}),
    );
    assert_eq!(send(&intent).await.1["status"], "counted");
    let raised = async || {
        let t = live_totals(&app, &live).await;
        (t["raised"].as_i64().unwrap(), t["donations"].as_i64().unwrap())
    };

    let (s, v) = send(&refund("evt_r1", false, 1250, "eur")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("refunded")), "{v}");
    assert_eq!(v["donation_id"], expected_id("stripe", "pi_p").as_str());
    assert_eq!(raised().await, (3750, 1));
    let (s, v) = send(&refund("evt_r2", false, 3000, "eur")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("refunded")), "{v}");
    assert_eq!(raised().await, (2000, 1));
    // A retry of the first, late: its total is already given back.
    let (s, v) = send(&refund("evt_r1", false, 1250, "eur")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("already_refunded")), "{v}");
    // Another currency than the donation's: refused, nothing changes.
    let (s, v) = send(&refund("evt_r3", false, 3500, "usd")).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("currency_mismatch")), "{v}");
    assert_eq!(raised().await, (2000, 1));
    let (s, v) = send(&refund("evt_r4", true, 5000, "eur")).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("refunded")), "{v}");
    assert_eq!(raised().await, (0, 0));

    let events = app.events(&live, 0).await;
    let seen: Vec<(&str, i64)> =
        events.iter().map(|e| (e["type"].as_str().unwrap(), e["amount_refunded"].as_i64().unwrap_or(0))).collect();
    assert_eq!(seen, [("donation", 0), ("partial_refund", 1250), ("partial_refund", 1750), ("refund", 2000)]);

    let got = until(15, "four deliveries", async || {
        let got = receiver.accepted("bot", secret);
        (got.len() >= 4).then_some(got)
    })
    .await;
    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["donation.created", "donation.partially_refunded", "donation.partially_refunded", "donation.refunded"]
    );
    let d = &got[2]["data"];
    assert_eq!(
        (d["amount_refunded"].as_i64(), d["donation"]["refunded_amount"].as_i64(), d["donation"]["refunded"].as_bool()),
        (Some(1750), Some(3000), Some(false))
    );
    assert_eq!(d["totals"]["raised"], 2000);
    assert_eq!(got[3]["data"]["donation"]["refunded_amount"], 5000);
}

#[tokio::test]
async fn a_generic_payment_names_its_vote_and_a_wrong_one_never_costs_the_money() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let url = integration(&app, &live, "generic", GENERIC_SECRET).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let (s, p) = app
        .post(
            &format!("/api/v1/lives/{}/polls", live.id),
            Some(&host),
            json!({"question": "Quel jeu ?", "options": ["Mario Kart", "Zelda"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pay = async |event: &str, amount: i64, vote: &str| {
        let body = json!({"event_id": event, "amount": amount, "currency": "EUR", "vote": vote}).to_string();
        let t = unix_now();
        let sig = format!("t={t},v1={}", hmac_hex(GENERIC_SECRET, t, body.as_bytes()));
        hook(&app, &url, &[("cagnotte-signature", &sig)], body).await
    };
    assert_eq!(pay("p-1", 1500, "#zelda").await.0, StatusCode::OK);
    assert_eq!(pay("p-2", 500, "2").await.0, StatusCode::OK);
    // An option the poll does not have: the payment counts, without a vote.
    let (s, v) = pay("p-3", 900, "tetris").await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    let tallies: Vec<(i64, u64)> = l["polls"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["amount"].as_i64().unwrap(), o["donations"].as_u64().unwrap()))
        .collect();
    assert_eq!(tallies, [(0, 0), (2000, 2)]);
    assert_eq!(l["totals"]["raised"], 2900);
}

#[tokio::test]
async fn a_generic_payment_claims_the_reward_it_names_and_a_wrong_one_never_costs_the_money() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let url = integration(&app, &live, "generic", GENERIC_SECRET).await;
    let path = format!("/api/v1/lives/{}/rewards", live.id);
    let (s, r) = app.post(&path, Some(&live.key), json!({"title": "Portrait", "amount": 2000, "quantity": 3})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let pay = async |event: &str, amount: i64, reward: Option<&str>, message: &str| {
        let body =
            json!({"event_id": event, "amount": amount, "currency": "EUR", "reward": reward, "message": message})
                .to_string();
        let t = unix_now();
        let sig = format!("t={t},v1={}", hmac_hex(GENERIC_SECRET, t, body.as_bytes()));
        hook(&app, &url, &[("cagnotte-signature", &sig)], body).await
    };
    // Its field, its message's keyword; one it does not have, or too little: counted without.
    assert_eq!(pay("p-1", 2000, Some("portrait"), "").await.0, StatusCode::OK);
    assert_eq!(pay("p-2", 2500, None, "un #Portrait svp").await.0, StatusCode::OK);
    let (s, v) = pay("p-3", 9000, Some("sticker"), "").await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("counted")), "{v}");
    assert_eq!(pay("p-4", 1000, Some("portrait"), "").await.0, StatusCode::OK);
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!((l["rewards"][0]["claimed"].as_i64(), l["rewards"][0]["left"].as_i64()), (Some(2), Some(1)));
    assert_eq!(l["totals"]["raised"], 14500);
    let (_, list) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    let claimed: Vec<i64> = list["rewards"][0]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["donation"]["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(claimed, [2000, 2500]);
}

/// A gift held for moderation is announced without its words; once approved,
/// the channel hears them in a line of their own, and signed subscribers get
/// `donation.text_released`.
#[tokio::test]
async fn a_held_gift_s_words_are_said_once_approved() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = &live.campaign_id;
    app.moderate(&live, json!({"mode": "manual"})).await;
    discord(&app, &format!("{base}/discord"), c).await;
    subscribe(&app, &format!("{base}/bot"), c).await;
    let (_, d) =
        app.donate(&live, json!({"amount": 1500, "currency": "EUR", "donor": "Ana", "message": "Courage !"})).await;
    let ana = d["donation"]["id"].as_str().unwrap().to_owned();
    let (s, _) = app.post(&format!("/api/v1/donations/{ana}/approve"), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<Value> = receiver.posted("discord", 2).await.iter().map(|v| v["content"].clone()).collect();
    assert_eq!(
        lines,
        [
            "💛 Nouveau don de 15,00\u{a0}€. Total du live\u{a0}: 15,00\u{a0}€.",
            "💬 Ana (15,00\u{a0}€)\u{a0}: «\u{a0}Courage !\u{a0}»",
        ]
    );
    let events = receiver.posted("bot", 2).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["donation.created", "donation.text_released"]);
    assert_eq!(
        (events[0]["data"]["donation"]["message"].clone(), events[1]["data"]["donation"]["message"].clone()),
        (Value::Null, json!("Courage !"))
    );
    assert_eq!(events[1]["data"]["by"], json!({"role": "key"}), "approved with the live's key");
}

/// A campaign at 19:59 on a manual clock whose lives are announced to a Discord
/// channel (`discord`) and a signed subscriber (`bot`), and Ana's live "Dessin",
/// from 20:00 to 21:00.
async fn announcing() -> (Receiver, ManualClock, TestApp, String, TestLive) {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let clock = ManualClock::at("2027-03-01T19:59:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app.eur_campaign().await;
    discord(&app, &format!("{base}/discord"), &c).await;
    subscribe(&app, &format!("{base}/bot"), &c).await;
    let ana = app
        .live(
            &c,
            json!({"host": "Ana", "title": "Dessin", "scheduled_at": "2027-03-01T20:00:00Z", "duration_minutes": 60}),
        )
        .await;
    (receiver, clock, app, c, ana)
}

/// A live's scheduled start is announced once, by the writer's clock: on its
/// stream, to signed subscribers (`live.started`) and as a chat channel's line;
/// never for a live called off or already over, again at a new time.
#[tokio::test]
async fn a_live_s_start_is_announced_once_at_its_time() {
    let (receiver, clock, app, c, ana) = announcing().await;
    // Over before it is created, called off, later: none of them now.
    app.live(&c, json!({"host": "Bob", "scheduled_at": "2027-03-01T10:00:00Z", "duration_minutes": 60})).await;
    let off = app.live(&c, json!({"host": "Chloé", "scheduled_at": "2027-03-01T20:00:00Z"})).await;
    assert_eq!(app.patch_live(&off.id, json!({"cancelled": true})).await.0, StatusCode::OK);
    let zoe = app.live(&c, json!({"host": "Zoé", "scheduled_at": "2027-03-01T21:00:00Z"})).await;
    let mut ws = app.ws(&ana, None).await;
    ws.next().await;
    clock.set("2027-03-01T20:00:05Z");
    let frame = ws.until("live_started").await;
    assert_eq!((frame["live"]["id"].as_str(), frame["live"]["host"].as_str()), (Some(ana.id.as_str()), Some("Ana")));
    let lines = receiver.posted("discord", 1).await;
    assert_eq!(lines[0]["content"], "🔴 Ana est en direct\u{a0}: «\u{a0}Dessin\u{a0}»\u{a0}!");
    let events = receiver.posted("bot", 1).await;
    assert_eq!(
        (events[0]["type"].as_str(), events[0]["data"]["live"]["id"].as_str()),
        (Some("live.started"), Some(ana.id.as_str()))
    );

    // Zoé's live moved to 22:00 before it starts: announced then, not at 21:00.
    assert_eq!(app.patch_live(&zoe.id, json!({"scheduled_at": "2027-03-01T22:00:00Z"})).await.0, StatusCode::OK);
    clock.set("2027-03-01T21:30:00Z");
    let app = app.restart_clocked(&clock).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    clock.set("2027-03-01T22:00:01Z");
    // Ana's end came while the server was off, half an hour before: said at once.
    let lines = receiver.posted("discord", 3).await;
    assert_eq!(lines[1]["content"], "🏁 Fin du live — Ana, «\u{a0}Dessin\u{a0}». Merci à tous\u{a0}!");
    assert_eq!(lines[2]["content"], "🔴 Zoé est en direct\u{a0}!");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let starts: Vec<String> = receiver
        .posted("bot", 2)
        .await
        .iter()
        .filter(|e| e["type"] == "live.started")
        .map(|e| e["data"]["live"]["host"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(starts, ["Ana", "Zoé"], "each once, across a restart; Bob's and Chloé's never");
    assert_eq!(app.events(&zoe, 0).await.iter().filter(|e| e["type"] == "live_started").count(), 1);
}

/// A host on air early or late says so: the live starts now (announced as a
/// scheduled start is, once, and not again at the old time) and ends now;
/// refusals write nothing; a new schedule from the organisers takes the end off.
#[tokio::test]
async fn a_host_starts_their_live_when_they_go_on_air_and_ends_it_when_they_stop() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let clock = ManualClock::at("2027-03-01T19:40:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app.eur_campaign().await;
    discord(&app, &format!("{base}/discord"), &c).await;
    let ana = app
        .live(
            &c,
            json!({"host": "Ana", "title": "Dessin", "scheduled_at": "2027-03-01T20:00:00Z", "duration_minutes": 60}),
        )
        .await;
    let zoe = app.live(&c, json!({"host": "Zoé"})).await;
    let host = ana.body["host_token"].as_str().unwrap().to_owned();
    let start = format!("/api/v1/lives/{}/start", ana.id);
    let end = format!("/api/v1/lives/{}/end", ana.id);
    let mut ws = app.ws(&ana, None).await;
    ws.next().await;

    // Not on air yet: nothing to end; other lives' keys and overlay tokens cannot.
    let (s, v) = app.post(&end, Some(&host), json!({})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("live_not_on_air")), "{v}");
    for token in [ana.overlay_token.as_str(), zoe.body["host_token"].as_str().unwrap(), zoe.key.as_str()] {
        assert_eq!(app.post(&start, Some(token), json!({})).await.0, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.events(&ana, 0).await.len(), 0);

    // Twenty minutes early.
    let (s, v) = app.post(&start, Some(&host), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["scheduled_at"].as_str(), v["ends_at"].as_str()),
        (Some("current"), Some("2027-03-01T19:40:00.000Z"), Some("2027-03-01T20:40:00.000Z"))
    );
    let updated = ws.next().await;
    assert_eq!(
        (updated["type"].as_str(), updated["live"]["scheduled_at"].as_str(), updated["live"]["ends_at"].as_str()),
        (Some("live_updated"), Some("2027-03-01T19:40:00.000Z"), Some("2027-03-01T20:40:00.000Z"))
    );
    let started = ws.next().await;
    assert_eq!(started["type"], "live_started", "{started}");
    assert_eq!(started["seq"], updated["seq"].as_u64().unwrap() + 1);
    let lines = receiver.posted("discord", 1).await;
    assert_eq!(lines[0]["content"], "🔴 Ana est en direct\u{a0}: «\u{a0}Dessin\u{a0}»\u{a0}!");
    let (s, v) = app.post(&start, Some(&host), json!({})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("live_on_air")), "{v}");
    // The old time comes and goes: no second announcement.
    clock.set("2027-03-01T20:00:05Z");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.posted("discord", 1).await.len(), 1);

    // Going well: half an hour more, within a day in all.
    let extend = format!("/api/v1/lives/{}/extend", ana.id);
    let (s, v) = app.post(&extend, Some(&host), json!({"minutes": 30})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["ends_at"].as_str()), (Some("current"), Some("2027-03-01T21:10:00.000Z")));
    for (body, code) in [(json!({"minutes": 0}), "invalid_field"), (json!({"minutes": 1400}), "live_too_long")] {
        let (s, v) = app.post(&extend, Some(&host), body).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{v}");
    }

    // Ten minutes before the planned end, with the live's key this time.
    clock.set("2027-03-01T20:30:00Z");
    let (s, v) = app.post(&end, Some(&ana.key), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status"].as_str(), v["ends_at"].as_str()), (Some("past"), Some("2027-03-01T20:30:00.000Z")));
    for path in [&end, &extend] {
        let (s, v) = app.post(path, Some(&host), json!({"minutes": 30})).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("live_not_on_air")), "{path}: {v}");
    }
    let types: Vec<String> = app.events(&ana, 0).await.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(types, ["live_updated", "live_started", "live_updated", "live_updated", "live_ended"]);
    let lines = receiver.posted("discord", 2).await;
    assert_eq!(lines[1]["content"], "🏁 Fin du live — Ana, «\u{a0}Dessin\u{a0}». Merci à tous\u{a0}!");

    // Kept by a restart; the organisers' new schedule takes the early end off.
    let app = app.restart_clocked(&clock).await;
    let (_, v) = app.get(&format!("/api/v1/lives/{}", ana.id)).await;
    assert_eq!((v["status"].as_str(), v["ends_at"].as_str()), (Some("past"), Some("2027-03-01T20:30:00.000Z")));
    let (s, v) = app.patch_live(&ana.id, json!({"scheduled_at": "2027-03-08T20:00:00Z"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Its length stays the one its host made it: ninety minutes.
    assert_eq!((v["status"].as_str(), v["ends_at"].as_str()), (Some("upcoming"), Some("2027-03-08T21:30:00.000Z")));

    // A live called off neither starts nor ends.
    assert_eq!(app.patch_live(&zoe.id, json!({"cancelled": true})).await.0, StatusCode::OK);
    for path in ["start", "end"] {
        let (s, v) = app.post(&format!("/api/v1/lives/{}/{path}", zoe.id), Some(ADMIN), json!({})).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("live_cancelled")), "{path}: {v}");
    }
}

/// A live's end is announced once, with what it raised, when its start was:
/// on its stream, to signed subscribers (`live.ended`) and as a chat channel's
/// line; never for a live called off, nor an hour or more late.
#[tokio::test]
async fn a_live_s_end_is_announced_once_with_what_it_raised() {
    let (receiver, clock, app, c, ana) = announcing().await;
    let mut ws = app.ws(&ana, None).await;
    ws.next().await;
    clock.set("2027-03-01T20:00:05Z");
    ws.until("live_started").await;
    app.gift(&ana, Some("Bob"), 1500, false).await;
    app.gift(&ana, None, 700, false).await;
    // Bob's live starts later and is called off on air: its end is never announced.
    let bob =
        app.live(&c, json!({"host": "Bob", "scheduled_at": "2027-03-01T20:30:00Z", "duration_minutes": 20})).await;
    clock.set("2027-03-01T20:30:05Z");
    assert_eq!(receiver.posted("discord", 4).await[3]["content"], "🔴 Bob est en direct\u{a0}!");
    assert_eq!(app.patch_live(&bob.id, json!({"cancelled": true})).await.0, StatusCode::OK);

    // Ana goes on ten minutes longer: her end is said then, not at 21:00.
    clock.set("2027-03-01T20:55:00Z");
    let (s, v) = app.post(&format!("/api/v1/lives/{}/extend", ana.id), Some(&ana.key), json!({"minutes": 10})).await;
    assert_eq!((s, v["ends_at"].as_str()), (StatusCode::OK, Some("2027-03-01T21:10:00.000Z")), "{v}");
    clock.set("2027-03-01T21:00:05Z");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.posted("discord", 4).await.len(), 4);
    clock.set("2027-03-01T21:10:05Z");
    let frame = ws.until("live_ended").await;
    assert_eq!(frame["live"]["id"], json!(ana.id));
    assert_eq!(frame["totals"], json!({"raised": 2200, "matched": 0, "total": 2200, "donations": 2}));
    let lines = receiver.posted("discord", 5).await;
    assert_eq!(
        lines[4]["content"],
        "🏁 Fin du live — Ana, «\u{a0}Dessin\u{a0}»\u{a0}: 22,00\u{a0}€ récoltés en 2 dons. Merci à tous\u{a0}!"
    );

    // Zoé's live starts, the server is off past her end by more than an hour: no late word of it.
    let zoe =
        app.live(&c, json!({"host": "Zoé", "scheduled_at": "2027-03-01T21:15:00Z", "duration_minutes": 30})).await;
    clock.set("2027-03-01T21:15:05Z");
    assert_eq!(receiver.posted("discord", 6).await[5]["content"], "🔴 Zoé est en direct\u{a0}!");
    let app = app.stop().await;
    clock.set("2027-03-01T22:50:00Z");
    let app = spawn_app_full(app, "127.0.0.1:0", clock.clock(), |_| {}).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ends: Vec<String> = receiver
        .posted("bot", 1)
        .await
        .iter()
        .filter(|e| e["type"] == "live.ended")
        .map(|e| e["data"]["live"]["host"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ends, ["Ana"], "once; never Bob's nor Zoé's");
    assert_eq!(receiver.posted("discord", 6).await.len(), 6);
    let types: Vec<String> = app.events(&zoe, 0).await.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    assert!(!types.contains(&"live_ended".to_owned()), "{types:?}");
    assert_eq!(app.events(&ana, 0).await.iter().filter(|e| e["type"] == "live_ended").count(), 1);
}

/// The campaign's end (`ends_at`) is announced once, with what it raised and
/// for whom: on its streams (`campaign_ended`), to signed subscribers
/// (`campaign.ended`) and as a chat channel's line; again at a later end the
/// organisers give it; never an hour or more late, nor for a campaign created
/// after its end. Gifts that come after it still count.
#[tokio::test]
async fn a_campaign_s_end_is_announced_once_with_what_it_raised() {
    let (receiver, clock, app, c, ana) = announcing().await;
    let patch = async |app: &TestApp, id: &str, body: Value| {
        let path = format!("/api/v1/campaigns/{id}");
        app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body.to_string())).await
    };
    let status = async |app: &TestApp, id: &str| app.get(&format!("/api/v1/campaigns/{id}")).await.1["status"].clone();
    let (s, v) = patch(&app, &c, json!({"ends_at": "2027-03-01T22:00:00Z", "charity": "Les Restos du Cœur"})).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("open")), "{v}");
    app.gift(&ana, Some("Bob"), 1500, false).await;
    let mut ws = app.campaign_ws(&c).await;
    ws.next().await;

    clock.set("2027-03-01T22:00:05Z");
    let frame = ws.until("campaign_ended").await;
    assert_eq!(
        (frame["campaign"]["id"].as_str(), frame["campaign"]["ends_at"].as_str()),
        (Some(c.as_str()), Some("2027-03-01T22:00:00.000Z"))
    );
    assert_eq!(frame["campaign_totals"], json!({"raised": 1500, "matched": 0, "total": 1500, "donations": 1}));
    assert_eq!(status(&app, &c).await, "ended");
    let ends = async |n: usize| -> Vec<Value> {
        until(15, "bot", async || {
            let got: Vec<Value> =
                receiver.posted("bot", 1).await.into_iter().filter(|e| e["type"] == "campaign.ended").collect();
            (got.len() >= n).then_some(got)
        })
        .await
    };
    let said = ends(1).await;
    assert_eq!(
        (said[0]["data"]["campaign_totals"]["total"].as_i64(), said[0]["data"]["campaign"]["name"].as_str()),
        (Some(1500), Some("Restos"))
    );
    let line = "🏁 La collecte «\u{a0}Restos\u{a0}» est terminée\u{a0}: 15,00\u{a0}€ récoltés pour Les Restos du Cœur en 1 don. Merci à tous\u{a0}!";
    let lines = async |n: usize| -> Vec<String> {
        until(15, "discord", async || {
            let got: Vec<String> = receiver
                .posted("discord", 1)
                .await
                .iter()
                .filter_map(|l| l["content"].as_str().filter(|s| s.starts_with("🏁 La collecte")).map(str::to_owned))
                .collect();
            (got.len() >= n).then_some(got)
        })
        .await
    };
    assert_eq!(lines(1).await, [line]);

    // A gift the provider reports late still counts; the end is not said again, nor after a restart.
    app.gift(&ana, Some("Chloé"), 1000, false).await;
    let app = app.restart_clocked(&clock).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(ends(1).await.len(), 1);
    let (_, v) = app.get(&format!("/api/v1/campaigns/{c}")).await;
    assert_eq!((v["status"].as_str(), v["totals"]["total"].as_i64()), (Some("ended"), Some(2500)));

    // The organisers give it one more hour: open again, its new end said with the new total.
    let (s, v) = patch(&app, &c, json!({"ends_at": "2027-03-01T23:00:00Z"})).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("open")), "{v}");
    clock.set("2027-03-01T23:00:05Z");
    let said = ends(2).await;
    assert_eq!(said[1]["data"]["campaign_totals"]["total"].as_i64(), Some(2500));
    assert_eq!(
        lines(2).await[1],
        "🏁 La collecte «\u{a0}Restos\u{a0}» est terminée\u{a0}: 25,00\u{a0}€ récoltés pour Les Restos du Cœur en 2 dons. Merci à tous\u{a0}!"
    );

    // An end put more than an hour back, and a campaign created after its end: not said.
    assert_eq!(patch(&app, &c, json!({"ends_at": "2027-03-01T21:30:00Z"})).await.0, StatusCode::OK);
    let late = app
        .campaign(json!({"name": "Avril", "currency": "EUR", "starts_at": "2027-03-01T10:00:00Z", "ends_at": "2027-03-01T22:30:00Z"}))
        .await;
    assert_eq!(late["status"], "ended");
    let avril = app.live(late["id"].as_str().unwrap(), json!({"host": "Eve"})).await;
    app.gift(&avril, Some("Dan"), 500, false).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(ends(2).await.len(), 2);
    assert_eq!(lines(2).await.len(), 2);
    let count =
        async |live: &TestLive| app.events(live, 0).await.iter().filter(|e| e["type"] == "campaign_ended").count();
    assert_eq!((count(&ana).await, count(&avril).await), (2, 0));
}

/// The campaign's opening (`starts_at`) is announced once, for whom and where
/// to give: on its streams (`campaign_opened`), to signed subscribers
/// (`campaign.opened`) and as a chat channel's line; again at a later start;
/// never an hour or more late, once over, nor for a campaign created after it.
#[tokio::test]
async fn a_campaign_s_opening_is_announced_once_with_where_to_give() {
    let (receiver, clock, app, c, _) = announcing().await;
    let patch = async |app: &TestApp, id: &str, body: Value| {
        let path = format!("/api/v1/campaigns/{id}");
        let (s, v) = app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body.to_string())).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    };
    let v = patch(
        &app,
        &c,
        json!({"starts_at": "2027-03-01T20:30:00Z", "charity": "Les Restos du Cœur", "donate_url": "https://dons.example.org/mars"}),
    )
    .await;
    assert_eq!(v["status"], "upcoming");
    let mut ws = app.campaign_ws(&c).await;
    ws.next().await;
    clock.set("2027-03-01T20:30:05Z");
    let frame = ws.until("campaign_opened").await;
    assert_eq!(
        (
            frame["campaign"]["id"].as_str(),
            frame["campaign"]["starts_at"].as_str(),
            frame["campaign_totals"]["total"].as_i64()
        ),
        (Some(c.as_str()), Some("2027-03-01T20:30:00.000Z"), Some(0))
    );
    let opened = async |n: usize| -> Vec<Value> {
        until(15, "bot", async || {
            let got: Vec<Value> =
                receiver.posted("bot", 1).await.into_iter().filter(|e| e["type"] == "campaign.opened").collect();
            (got.len() >= n).then_some(got)
        })
        .await
    };
    assert_eq!(opened(1).await[0]["data"]["campaign"]["donate_url"], "https://dons.example.org/mars");
    let line = "🚀 La collecte «\u{a0}Restos\u{a0}» est ouverte pour Les Restos du Cœur\u{a0}! Pour donner\u{a0}: https://dons.example.org/mars";
    let said = until(15, "discord", async || {
        let lines = receiver.posted("discord", 1).await;
        lines.iter().any(|l| l["content"] == line).then_some(lines)
    })
    .await;
    assert_eq!(said.iter().filter(|l| l["content"].as_str().unwrap().starts_with("🚀")).count(), 1);

    // Not again after a restart; again at a later start the organisers give it.
    let app = app.restart_clocked(&clock).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(opened(1).await.len(), 1);
    assert_eq!(patch(&app, &c, json!({"starts_at": "2027-03-01T21:00:00Z"})).await["status"], "upcoming");
    clock.set("2027-03-01T21:00:05Z");
    assert_eq!(opened(2).await[1]["data"]["campaign"]["starts_at"], "2027-03-01T21:00:00.000Z");

    // A start put more than an hour back, one of a campaign over, one before a campaign's creation: not said.
    patch(&app, &c, json!({"starts_at": "2027-03-01T19:30:00Z"})).await;
    let over = app
        .campaign(json!({"name": "Finie", "currency": "EUR", "starts_at": "2027-03-01T21:30:00Z", "ends_at": "2027-03-01T21:40:00Z"}))
        .await;
    let late = app.campaign(json!({"name": "Tard", "currency": "EUR", "starts_at": "2027-03-01T20:50:00Z"})).await;
    assert_eq!(late["status"], "open");
    let (over, late) = (over["id"].as_str().unwrap().to_owned(), late["id"].as_str().unwrap().to_owned());
    let over_live = app.live(&over, json!({"host": "Eve"})).await;
    let late_live = app.live(&late, json!({"host": "Max"})).await;
    clock.set("2027-03-01T21:45:00Z");
    app.gift(&over_live, Some("Dan"), 500, false).await;
    app.gift(&late_live, Some("Dan"), 500, false).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(opened(2).await.len(), 2);
    let count =
        async |live: &TestLive| app.events(live, 0).await.iter().filter(|e| e["type"] == "campaign_opened").count();
    assert_eq!((count(&over_live).await, count(&late_live).await), (0, 0));
}

/// A challenge whose time runs out unmet is said once in the community's
/// channel: what the live gave since it was set, of what it asked.
#[tokio::test]
async fn a_challenge_whose_time_runs_out_is_said_in_the_channel() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let clock = ManualClock::at("2026-12-04T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    discord(&app, &format!("{base}/discord"), &live.campaign_id).await;
    let challenge = json!({"label": "Je chante", "amount": 5000, "minutes": 10});
    let (s, c) = app.post(&format!("/api/v1/lives/{}/challenges", live.id), Some(&live.key), challenge).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    clock.set("2026-12-04T20:05:00Z");
    app.gift(&live, Some("Ana"), 1550, false).await;
    clock.set("2026-12-04T20:10:01Z");
    let lines: Vec<String> =
        receiver.posted("discord", 3).await.iter().map(|v| v["content"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        lines,
        [
            "⏱ Nouveau défi\u{a0}: 50,00\u{a0}€ de plus en 10\u{a0}minutes et «\u{a0}Je chante\u{a0}»\u{a0}!",
            "💛 Ana a donné 15,50\u{a0}€. Total du live\u{a0}: 15,50\u{a0}€.",
            "⌛ Temps écoulé pour le défi «\u{a0}Je chante\u{a0}»\u{a0}: 15,50\u{a0}€ sur 50,00\u{a0}€, il manquait 34,50\u{a0}€.",
        ]
    );
    // Said once: a gift later is the next line.
    tokio::time::sleep(Duration::from_millis(600)).await;
    app.gift(&live, Some("Bob"), 100, false).await;
    let lines = receiver.posted("discord", 4).await;
    assert_eq!(lines[3]["content"], "💛 Bob a donné 1,00\u{a0}€. Total du live\u{a0}: 16,50\u{a0}€.");
}

/// A challenge of one minute is said "1 minute", set and changed, in French
/// and in English.
#[tokio::test]
async fn a_one_minute_challenge_is_said_in_the_singular() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let clock = ManualClock::at("2026-12-04T20:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let c = &live.campaign_id;
    discord(&app, &format!("{base}/discord"), c).await;
    let slack = json!({"url": format!("{base}/slack"), "format": "slack", "lang": "en", "campaign_id": c});
    assert_eq!(app.post("/api/v1/webhooks", Some(ADMIN), slack).await.0, StatusCode::CREATED);
    let challenge = json!({"label": "Je fais le poirier", "amount": 5000, "minutes": 1});
    let (s, c) = app.post(&format!("/api/v1/lives/{}/challenges", live.id), Some(&live.key), challenge).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let path = format!("/api/v1/lives/{}/challenges/{}", live.id, c["id"].as_str().unwrap());
    let (s, c) = app.patch(&path, &live.key, json!({"amount": 6000})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let lines = |path: &'static str, key: &'static str| {
        let receiver = receiver.clone();
        async move {
            let posted = receiver.posted(path, 2).await;
            posted.iter().map(|v| v[key].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        lines("discord", "content").await,
        [
            "⏱ Nouveau défi\u{a0}: 50,00\u{a0}€ de plus en 1\u{a0}minute et «\u{a0}Je fais le poirier\u{a0}»\u{a0}!",
            "⏱ Défi modifié\u{a0}: désormais 60,00\u{a0}€ de plus en 1\u{a0}minute et «\u{a0}Je fais le poirier\u{a0}» \
             — encore 1\u{a0}minute\u{a0}!",
        ]
    );
    assert_eq!(
        lines("slack", "text").await,
        [
            "⏱ New challenge: €50.00 more in 1 minute and \u{201c}Je fais le poirier\u{201d}!",
            "⏱ Challenge changed: now €60.00 more in 1 minute and \u{201c}Je fais le poirier\u{201d} — 1 minute left!",
        ]
    );
}

/// A sponsor's budget used up is thanked once, in a Discord and a Slack
/// channel: a refund that gives part of it back, then a gift that uses it up
/// again, after a restart, gets no second thanks, nor the live's goal, left
/// below by the refund and reached again, a second "goal reached"; a budget
/// raised since and used up is thanked for what it is now.
#[tokio::test]
async fn a_sponsor_s_thanks_and_a_goal_reached_are_said_once_though_a_refund_reopens_them() {
    let receiver = Receiver::default();
    let base = receiver.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = live.campaign_id.clone();
    discord(&app, &format!("{base}/discord"), &c).await;
    let slack = json!({"url": format!("{base}/slack"), "format": "slack", "lang": "en", "campaign_id": c});
    assert_eq!(app.post("/api/v1/webhooks", Some(ADMIN), slack).await.0, StatusCode::CREATED);
    let goal = json!({"goal": 40000}).to_string();
    let path = format!("/api/v1/lives/{}/goal", live.id);
    assert_eq!(app.request(reqwest::Method::PUT, &path, Some(&live.key), &[], Some(goal)).await.0, StatusCode::OK);
    let m = app.add_match(&c, json!({"sponsor": "Boulangerie Dupont", "ratio": [1, 1], "cap": 20000})).await;
    let ana = app.gift(&live, Some("Ana"), 20000, false).await;
    receiver.posted("slack", 2).await;
    receiver.posted("discord", 2).await;
    // 50 € of Ana's gift given back: the sponsor's 50 € too, the live under its goal.
    assert_eq!(app.refund(&live, &ana, json!({"refunded_amount": 5000})).await, StatusCode::OK);
    let app = app.restart().await;
    app.gift(&live, Some("Bob"), 10000, false).await;
    // More budget, used up by the next gift: a new thanks.
    let (s, v) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/{c}/matches/{}", m["id"].as_str().unwrap()),
            Some(ADMIN),
            &[],
            Some(json!({"cap": 30000}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.gift(&live, Some("Cléo"), 10000, false).await;
    app.gift(&live, Some("Dan"), 100, false).await;
    let lines = |path: &'static str, key: &'static str| {
        let receiver = receiver.clone();
        async move {
            let posted = receiver.posted(path, 6).await;
            posted.iter().map(|v| v[key].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        lines("discord", "content").await,
        [
            "💛 Ana a donné 200,00\u{a0}€ (doublé\u{a0}: +200,00\u{a0}€). Total du live\u{a0}: 400,00\u{a0}€. \
             🎯 Objectif du live atteint\u{a0}: 400,00\u{a0}€\u{a0}!",
            "🤝 Boulangerie Dupont a abondé 200,00\u{a0}€ de dons, tout son budget\u{a0}: merci\u{a0}!",
            "💛 Bob a donné 100,00\u{a0}€ (abondé\u{a0}: +50,00\u{a0}€). Total du live\u{a0}: 450,00\u{a0}€.",
            "💛 Cléo a donné 100,00\u{a0}€ (doublé\u{a0}: +100,00\u{a0}€). Total du live\u{a0}: 650,00\u{a0}€.",
            "🤝 Boulangerie Dupont a abondé 300,00\u{a0}€ de dons, tout son budget\u{a0}: merci\u{a0}!",
            "💛 Dan a donné 1,00\u{a0}€. Total du live\u{a0}: 651,00\u{a0}€.",
        ]
    );
    assert_eq!(
        lines("slack", "text").await,
        [
            "💛 Ana gave €200.00 (doubled: +€200.00). Live total: €400.00. 🎯 Live goal reached: €400.00!",
            "🤝 Boulangerie Dupont matched €200.00 of donations, its whole budget: thank you!",
            "💛 Bob gave €100.00 (matched: +€50.00). Live total: €450.00.",
            "💛 Cléo gave €100.00 (doubled: +€100.00). Live total: €650.00.",
            "🤝 Boulangerie Dupont matched €300.00 of donations, its whole budget: thank you!",
            "💛 Dan gave €1.00. Live total: €651.00.",
        ]
    );
    assert_eq!((receiver.attempts("discord"), receiver.attempts("slack")), (6, 6));
}

/// A Discord webhook as Discord answers it: `POST /hook?wait=true` makes a
/// message and answers its `id` ("1", "2"…; `204` without `wait`), `PATCH` and
/// `DELETE /hook/messages/{id}` edit and delete it (`404` for one it does not
/// have, `503` while `failures` is above zero).
#[derive(Clone, Default)]
struct FakeDiscord {
    /// Every request: method, path and query, body.
    seen: Arc<Mutex<Vec<(String, String, String)>>>,
    /// Each message's content, by id - 1; `None` once deleted.
    messages: Arc<Mutex<Vec<Option<String>>>>,
    failures: Arc<std::sync::atomic::AtomicUsize>,
}

impl FakeDiscord {
    async fn start(&self) -> String {
        let me = self.clone();
        let handler = move |method: axum::http::Method, uri: axum::http::Uri, body: String| {
            let me = me.clone();
            async move {
                use axum::http::StatusCode as S;
                use std::sync::atomic::Ordering;
                me.seen.lock().unwrap().push((method.to_string(), uri.to_string(), body.clone()));
                let content = serde_json::from_str::<Value>(&body).ok().map(|v| v["content"].clone());
                let mut messages = me.messages.lock().unwrap();
                if method == axum::http::Method::POST && uri.path() == "/hook" {
                    messages.push(content.and_then(|c| c.as_str().map(str::to_owned)));
                    let id = messages.len().to_string();
                    return if uri.query() == Some("wait=true") {
                        (S::OK, json!({"id": id, "content": messages.last()}).to_string())
                    } else {
                        (S::NO_CONTENT, String::new())
                    };
                }
                if me.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                    return (S::SERVICE_UNAVAILABLE, String::new());
                }
                let Some(slot) = uri
                    .path()
                    .strip_prefix("/hook/messages/")
                    .and_then(|id| id.parse::<usize>().ok())
                    .and_then(|n| messages.get_mut(n.checked_sub(1)?))
                    .filter(|m| m.is_some())
                else {
                    return (S::NOT_FOUND, String::new());
                };
                if method == axum::http::Method::DELETE {
                    *slot = None;
                    (S::NO_CONTENT, String::new())
                } else {
                    *slot = content.and_then(|c| c.as_str().map(str::to_owned));
                    (S::OK, json!({"content": slot}).to_string())
                }
            }
        };
        let router = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{addr}/hook")
    }

    fn messages(&self) -> Vec<Option<String>> {
        self.messages.lock().unwrap().clone()
    }

    /// The requests about message `id` (method, body).
    fn about(&self, id: usize) -> Vec<(String, String)> {
        let path = format!("/hook/messages/{id}");
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|(_, uri, _)| *uri == path).map(|(m, _, b)| (m.clone(), b.clone())).collect()
    }
}

/// A donor erased after their gift was said in a Discord channel: the line
/// that announced the gift is left alone (it would read the same: a held
/// gift's line names no one), the line that quoted their name and words is
/// deleted, the prize they won is won by an anonymous donor,
/// each once it goes through (a failed attempt retried), also after a
/// restart; the other donors' lines are left alone; a line already deleted in
/// the channel is passed over.
#[tokio::test]
async fn an_erased_donor_s_lines_leave_the_discord_channel() {
    let channel = FakeDiscord::default();
    let hook = channel.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    discord(&app, &hook, &live.campaign_id).await;
    async fn give(app: &TestApp, live: &TestLive, donor: &str, message: &str) -> String {
        let gift = json!({"amount": 1500, "currency": "EUR", "donor": donor, "message": message});
        let (s, d) = app.donate(live, gift).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        d["donation"]["id"].as_str().unwrap().to_owned()
    }
    let yasmine = give(&app, &live, "Yasmine Haddad", "De la part de Yasmine").await;
    let (s, _) = app.post(&format!("/api/v1/donations/{yasmine}/approve"), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, d) = app.post(&format!("/api/v1/lives/{}/draws", live.id), Some(ADMIN), json!({"prize": "Poster"})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let bob = give(&app, &live, "Bob", "Courage").await;
    let said = |total: &str| Some(format!("💛 Nouveau don de 15,00\u{a0}€. Total du live\u{a0}: {total}\u{a0}€."));
    let drawn = |who: &str| Some(format!("🎁 Tirage au sort «\u{a0}Poster\u{a0}»\u{a0}: {who} gagne\u{a0}!"));
    let lines = vec![
        said("15,00"),
        Some("💬 Yasmine Haddad (15,00\u{a0}€)\u{a0}: «\u{a0}De la part de Yasmine\u{a0}»".to_owned()),
        drawn("Yasmine Haddad"),
        said("30,00"),
    ];
    until(15, "four lines", async || (channel.messages() == lines).then_some(())).await;
    assert!(channel.seen.lock().unwrap().iter().all(|(m, uri, _)| m == "POST" && uri == "/hook?wait=true"));
    // Their deliveries saved (just after Discord's answers), so that the restart sends none again.
    until(10, "the four deliveries saved", async || {
        let v = app.admin_get("/api/v1/webhooks").await.1;
        (v["webhooks"][0]["status"]["delivered"].as_u64() == Some(4)).then_some(())
    })
    .await;
    // After a restart, the first attempt refused.
    let app = app.restart().await;
    channel.failures.store(1, std::sync::atomic::Ordering::SeqCst);
    let (s, v) = app.post(&format!("/api/v1/donations/{yasmine}/erase"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mended = vec![said("15,00"), None, drawn("un donateur anonyme"), said("30,00")];
    until(15, "Yasmine's lines mended", async || (channel.messages() == mended).then_some(())).await;
    assert!(channel.about(1).is_empty(), "no edit that changes nothing");
    let delete = ("DELETE".to_owned(), String::new());
    assert_eq!(channel.about(2), [delete.clone(), delete], "the refused attempt, then the deletion");
    assert_eq!(channel.about(3).iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(), ["PATCH"]);
    assert!(channel.about(4).is_empty(), "Bob's line is left alone");
    // Bob's words approved, then their line deleted by a moderator in the
    // channel: his erasure finds it gone and the channel goes on.
    let (s, _) = app.post(&format!("/api/v1/donations/{bob}/approve"), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let words = Some("💬 Bob (15,00\u{a0}€)\u{a0}: «\u{a0}Courage\u{a0}»".to_owned());
    let approved = [mended, vec![words]].concat();
    until(15, "Bob's words", async || (channel.messages() == approved).then_some(())).await;
    channel.messages.lock().unwrap()[4] = None;
    let (s, _) = app.post(&format!("/api/v1/donations/{bob}/erase"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    give(&app, &live, "Cléo", "Bravo").await;
    until(15, "Cléo's line", async || (channel.messages().len() == 6).then_some(())).await;
    assert_eq!(channel.about(5).len(), 1, "one attempt at Bob's words, answered 404");
    assert!(channel.about(4).is_empty(), "Bob's gift's line reads the same without him");
    let seen = channel.seen.lock().unwrap();
    assert!(seen.iter().filter(|(m, ..)| m != "POST").all(|(.., body)| !body.contains("Yasmine")), "{seen:?}");
}

/// A name or words taken off the air by the host or a moderator after a
/// Discord channel was told of them: the gift's line is written again as
/// viewers now see it, and as it was said once both are shown again; signed
/// subscribers get `donation.text_hidden`, then `donation.text_shown`.
#[tokio::test]
async fn hidden_words_and_names_leave_the_discord_channel() {
    let (channel, receiver) = (FakeDiscord::default(), Receiver::default());
    let (hook, base) = (channel.start().await, receiver.start().await);
    let app = spawn_app().await;
    let live = app.setup().await;
    discord(&app, &hook, &live.campaign_id).await;
    subscribe(&app, &format!("{base}/bot"), &live.campaign_id).await;
    let gift = json!({"amount": 1500, "currency": "EUR", "donor": "Ana", "message": "Un mot de trop"});
    let (s, d) = app.donate(&live, gift).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let line =
        |who: &str, words: &str| Some(format!("💛 {who} 15,00\u{a0}€{words}. Total du live\u{a0}: 15,00\u{a0}€."));
    let said = vec![line("Ana a donné", " — «\u{a0}Un mot de trop\u{a0}»")];
    until(15, "Ana's line", async || (channel.messages() == said).then_some(())).await;
    for (hide, now) in [("message", line("Ana a donné", "")), ("donor", line("Nouveau don de", ""))] {
        let path = format!("/api/v1/donations/{id}/hide");
        assert_eq!(app.post(&path, Some(&live.key), json!({hide: true})).await.0, StatusCode::OK);
        until(15, hide, async || (channel.messages() == [now.clone()]).then_some(())).await;
    }
    // Hidden by mistake: both back on air, and the line as it was said.
    let path = format!("/api/v1/donations/{id}/show");
    let (s, v) = app.post(&path, Some(&live.key), json!({"donor": true, "message": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    until(15, "shown again", async || (channel.messages() == said).then_some(())).await;
    assert_eq!(channel.about(1).iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(), ["PATCH", "PATCH", "PATCH"]);
    let events = receiver.posted("bot", 4).await;
    let shown: Vec<_> = events
        .iter()
        .map(|e| (e["type"].clone(), e["data"]["donation"]["donor"].clone(), e["data"]["donation"]["message"].clone()))
        .collect();
    assert_eq!(
        shown,
        [
            (json!("donation.created"), json!("Ana"), json!("Un mot de trop")),
            (json!("donation.text_hidden"), json!("Ana"), Value::Null),
            (json!("donation.text_hidden"), Value::Null, Value::Null),
            (json!("donation.text_shown"), json!("Ana"), json!("Un mot de trop")),
        ]
    );
    // Who did it, for the organisers' bot (the live's key here); a new gift says no one.
    let by: Vec<Value> = events.iter().map(|e| e["data"]["by"].clone()).collect();
    assert_eq!(by, [Value::Null, json!({"role": "key"}), json!({"role": "key"}), json!({"role": "key"})]);
}

/// A gift refunded after its line was said: the Discord line says what was
/// given back, as viewers now see the gift (its hidden words stay hidden),
/// and is struck through once the gift is refunded whole; the goal it reached
/// stays said though the host raised it since; another's line is left alone.
#[tokio::test]
async fn a_refunded_gift_s_discord_line_says_so() {
    let channel = FakeDiscord::default();
    let hook = channel.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    discord(&app, &hook, &live.campaign_id).await;
    let path = format!("/api/v1/lives/{}/goal", live.id);
    let goal = |cents: i64| {
        app.request(reqwest::Method::PUT, &path, Some(&live.key), &[], Some(json!({"goal": cents}).to_string()))
    };
    assert_eq!(goal(1500).await.0, StatusCode::OK);
    let gift = json!({"amount": 1500, "currency": "EUR", "donor": "Ana", "message": "Un mot de trop"});
    let (s, d) = app.donate(&live, gift).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["donation"]["id"].as_str().unwrap().to_owned();
    let (s, d) = app.donate(&live, json!({"amount": 500, "currency": "EUR", "donor": "Bob"})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let reached = " 🎯 Objectif du live atteint\u{a0}: 15,00\u{a0}€\u{a0}!";
    let ana = format!("💛 Ana a donné 15,00\u{a0}€. Total du live\u{a0}: 15,00\u{a0}€.{reached}");
    let bob = Some("💛 Bob a donné 5,00\u{a0}€. Total du live\u{a0}: 20,00\u{a0}€.".to_owned());
    let said = |first: String| vec![Some(first), bob.clone()];
    let first = ana.replacen("€.", "€ — «\u{a0}Un mot de trop\u{a0}».", 1);
    until(15, "both lines", async || (channel.messages() == said(first.clone())).then_some(())).await;
    // On air: "on passe à 50 € !".
    assert_eq!(goal(5000).await.0, StatusCode::OK);
    let path = format!("/api/v1/donations/{id}/hide");
    assert_eq!(app.post(&path, Some(&live.key), json!({"message": true})).await.0, StatusCode::OK);
    until(15, "the words hidden", async || (channel.messages() == said(ana.clone())).then_some(())).await;
    assert_eq!(app.refund(&live, &id, json!({"refunded_amount": 500})).await, StatusCode::OK);
    let part = format!("{ana} ↩️ 5,00\u{a0}€ remboursés.");
    until(15, "a part refunded", async || (channel.messages() == said(part.clone())).then_some(())).await;
    assert_eq!(app.refund(&live, &id, json!({})).await, StatusCode::OK);
    let whole = format!("~~{ana}~~ ↩️ Don remboursé.");
    until(15, "refunded whole", async || (channel.messages() == said(whole.clone())).then_some(())).await;
    let edits: Vec<_> = channel.about(1).into_iter().map(|(m, _)| m).collect();
    assert_eq!(edits, ["PATCH", "PATCH", "PATCH"]);
    assert!(channel.about(2).is_empty(), "Bob's line was touched");
}

/// A name or words hidden, or a donor erased, on gifts whose Discord lines
/// never showed them (a held gift's, an anonymous one's): no request, the
/// lines already read as viewers now see the gifts.
#[tokio::test]
async fn hiding_what_a_discord_line_never_showed_sends_nothing() {
    let channel = FakeDiscord::default();
    let hook = channel.start().await;
    let app = spawn_app().await;
    let live = app.setup().await;
    discord(&app, &hook, &live.campaign_id).await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (s, d) =
        app.donate(&live, json!({"amount": 1500, "currency": "EUR", "donor": "Ana", "message": "Courage !"})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let ana = d["donation"]["id"].as_str().unwrap().to_owned();
    app.moderate(&live, json!({"mode": "off"})).await;
    let mut bob = Vec::new();
    for amount in [500, 600, 700] {
        bob.push(app.gift(&live, Some("Bob"), amount, true).await);
    }
    let said = |amount: &str, total: &str| {
        Some(format!("💛 Nouveau don de {amount}\u{a0}€. Total du live\u{a0}: {total}\u{a0}€."))
    };
    let lines = vec![said("15,00", "15,00"), said("5,00", "20,00"), said("6,00", "26,00"), said("7,00", "33,00")];
    until(15, "four lines", async || (channel.messages() == lines).then_some(())).await;
    let path = format!("/api/v1/donations/{ana}/hide");
    let (s, v) = app.post(&path, Some(&live.key), json!({"donor": true, "message": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let path = format!("/api/v1/donations/{}/hide", bob[0]);
    let (s, v) = app.post(&path, Some(&live.key), json!({"donor": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post("/api/v1/donors/erase", Some(ADMIN), json!({"donor": "Bob"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["erased"].as_array().map(Vec::len), Some(3), "{v}");
    // The next gift's line comes after what the channel was told of them.
    app.gift(&live, Some("Cléo"), 100, false).await;
    let cleo = Some("💛 Cléo a donné 1,00\u{a0}€. Total du live\u{a0}: 34,00\u{a0}€.".to_owned());
    let now = [lines, vec![cleo]].concat();
    until(15, "Cléo's line", async || (channel.messages() == now).then_some(())).await;
    let seen: Vec<String> = channel.seen.lock().unwrap().iter().map(|(m, uri, _)| format!("{m} {uri}")).collect();
    assert_eq!(seen, vec!["POST /hook?wait=true"; 5]);
}
