//! The rewards a live offers on its overlay (`/overlay/lives/{id}/rewards`):
//! what each takes, its keyword and how many are left, following the claims,
//! a whole refund and the closing of a reward as they come; and the alert of a
//! donation that claimed one, which names it.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::fr;
use crate::helpers::{ADMIN, TestApp, TestLive, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A page of the live's overlay: one widget, or those listed in `query` (`widget` empty).
fn page(app: &TestApp, live: &TestLive, widget: &str, query: &str) -> String {
    let path = if widget.is_empty() { String::new() } else { format!("/{widget}") };
    format!("{}/overlay/lives/{}{path}?token={}{query}", app.base, live.id, live.overlay_token)
}

/// The rewards widget: `{title, rows: [[title, amount, tag, left]], gone: [titles
/// sold out], hint}` (the hint null while hidden), or null while it is hidden.
async fn rewards(b: &Browser) -> Value {
    b.js(r##"
        var w = document.getElementById("w-rewards");
        if (w.hidden) return w.getBoundingClientRect().height === 0 ? null : "hidden but drawn";
        var rows = Array.from(document.querySelectorAll("#reward-list li")).map(function (li) {
            return [".reward-title", ".reward-amount", ".reward-tag", ".reward-left"].map(function (c) {
                return li.querySelector(c).textContent; });
        });
        var gone = Array.from(document.querySelectorAll("#reward-list li.gone .reward-title")).map(function (n) {
            return n.textContent; });
        var hint = document.getElementById("rewards-hint");
        return {title: document.getElementById("rewards-title").textContent, rows: rows, gone: gone,
                hint: hint.hidden ? null : hint.textContent};
    "##)
        .await
}

/// Waits until the widget reads `want` (null: hidden).
async fn wait_rewards(b: &Browser, want: Value) {
    eventually(&format!("the rewards {want}"), WAIT, || async { (rewards(b).await == want).then_some(()) }).await;
}

/// Starts recording every alert that appears: `[donor, amount, reward line]`
/// (the reward line null while hidden).
async fn record_alerts(b: &Browser) {
    b.js(r#"
        var a = document.getElementById("alert");
        window.__alerts = [];
        var last = null;
        function seen() {
            var id = a.hidden ? null : (a.dataset.id || null);
            if (id && id !== last) {
                var r = document.getElementById("alert-reward");
                window.__alerts.push([document.getElementById("alert-donor").textContent,
                    document.getElementById("alert-amount").textContent, r.hidden ? null : r.textContent,
                    r.hidden && r.textContent === "" ? "no line" : "a line"]);
            }
            last = id;
        }
        new MutationObserver(seen).observe(a, {attributes: true, subtree: true, childList: true, characterData: true});
        seen();
    "#)
        .await;
}

/// Waits until the alerts recorded are `want`, failing as soon as one differs.
async fn wait_alerts(b: &Browser, want: Value) {
    eventually(&format!("alerts {want}"), WAIT, || async {
        let got = b.js("return window.__alerts").await;
        let (g, w) = (got.as_array().unwrap(), want.as_array().unwrap());
        assert!(g.len() <= w.len() && g.iter().zip(w).all(|(x, y)| x == y), "alerts shown {got}, expected {want}");
        (got == want).then_some(())
    })
    .await;
}

async fn donate(app: &TestApp, live: &TestLive, body: Value) -> Value {
    let (s, v) = app.donate(live, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// A widget's row: title, "dès …", keyword, what is left.
fn row(title: &str, from: &str, tag: &str, left: &str) -> Value {
    json!([title, fr(from), tag, left])
}

#[tokio::test]
async fn the_rewards_widget_follows_claims_refunds_and_closings_and_alerts_name_the_reward() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    let live = app.live(&c, json!({"host": "Corentin", "goal": 100000})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let rewards_path = format!("/api/v1/lives/{}/rewards", live.id);
    let offer = async |token: &str, body: Value| {
        let (s, r) = app.post(&rewards_path, Some(token), body).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        r["id"].as_str().unwrap().to_owned()
    };
    let close = async |id: &str| {
        let (s, r) = app.post(&format!("{rewards_path}/{id}/close"), Some(&host), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    };
    let hint = "Pour en obtenir une\u{a0}: son # dans votre message";
    with_browser(async |b| {
        // The alert box and the rewards, stacked: nothing while the live offers none.
        b.goto(&page(&app, &live, "", "&widgets=alert,rewards&duration=2")).await;
        b.wait_live().await;
        record_alerts(b).await;
        assert_eq!(rewards(b).await, Value::Null, "no reward, no widget");
        assert_eq!(b.js("return document.getElementById('rewards-title').textContent").await, "", "no heading");

        // Offered by the host, then with the live's key: each shows at once, in the order offered.
        let portrait =
            offer(&host, json!({"title": "Portrait en direct", "amount": 3000, "quantity": 2})).await;
        let two_left = row("Portrait en direct", "dès 30,00_€", "#portraitendirect", "2 restantes");
        wait_rewards(b, json!({"title": "Contreparties", "rows": [two_left], "gone": [], "hint": hint})).await;
        let card = offer(&live.key, json!({"title": "Carte postale", "amount": 500})).await;
        let postcard = row("Carte postale", "dès 5,00_€", "#cartepostale", "");
        let want = |portrait: Value, gone: Value| {
            json!({"title": "Contreparties", "rows": [portrait, postcard], "gone": gone, "hint": hint})
        };
        wait_rewards(b, want(two_left.clone(), json!([]))).await;

        // A gift of 30 € naming it in its message claims one: one left, and its alert names it.
        let gift = |donor: &str, amount: i64, message: &str| {
            json!({"amount": amount, "currency": "EUR", "donor": donor, "message": message})
        };
        let ana = donate(&app, &live, gift("Ana", 3000, "Un #PortraitEnDirect svp !")).await;
        assert_eq!((&ana["reward"]["title"], &ana["reward"]["left"]), (&json!("Portrait en direct"), &json!(1)));
        let one_left = row("Portrait en direct", "dès 30,00_€", "#portraitendirect", "1 restante");
        wait_rewards(b, want(one_left.clone(), json!([]))).await;
        // Too little for it: no claim, an alert as ever, with no reward line.
        let bob = donate(&app, &live, gift("Bob", 2000, "#portraitendirect")).await;
        assert_eq!(bob.get("reward"), None, "{bob}");
        // Named in the gift's `reward` field: the last one, sold out.
        let by_field = json!({"amount": 5000, "currency": "EUR", "donor": "Chloé", "reward": "portraitendirect"});
        let chloe = donate(&app, &live, by_field).await;
        assert_eq!(chloe["reward"]["left"], 0, "{chloe}");
        let sold_out = row("Portrait en direct", "dès 30,00_€", "#portraitendirect", "épuisée");
        wait_rewards(b, want(sold_out, json!(["Portrait en direct"]))).await;
        wait_alerts(
            b,
            json!([
                ["Ana", fr("30,00_€"), "🎁 Portrait en direct", "a line"],
                ["Bob", fr("20,00_€"), null, "no line"],
                ["Chloé", fr("50,00_€"), "🎁 Portrait en direct", "a line"]
            ]),
        )
        .await;

        // Ana's gift refunded whole: her portrait goes back to the others.
        let ana_id = ana["donation"]["id"].as_str().unwrap();
        assert_eq!(app.refund(&live, ana_id, json!({})).await, StatusCode::OK);
        wait_rewards(b, want(one_left.clone(), json!([]))).await;
        // Chloé's alert asked for again: it still names her reward.
        let chloe_id = chloe["donation"]["id"].as_str().unwrap();
        let (s, r) = app.post(&format!("/api/v1/donations/{chloe_id}/replay"), Some(&host), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        wait_alerts(
            b,
            json!([
                ["Ana", fr("30,00_€"), "🎁 Portrait en direct", "a line"],
                ["Bob", fr("20,00_€"), null, "no line"],
                ["Chloé", fr("50,00_€"), "🎁 Portrait en direct", "a line"],
                ["Chloé", fr("50,00_€"), "🎁 Portrait en direct", "a line"]
            ]),
        )
        .await;

        // A third, for one gift only, taken at once.
        let signed = offer(ADMIN, json!({"title": "Dédicace", "amount": 1500, "quantity": 1})).await;
        donate(&app, &live, gift("Dan", 1500, "#dedicace")).await;
        let dedicace = row("Dédicace", "dès 15,00_€", "#dedicace", "épuisée");
        let rows = json!([one_left, postcard, dedicace]);
        let three = json!({"title": "Contreparties", "rows": rows, "gone": ["Dédicace"], "hint": hint});
        wait_rewards(b, three.clone()).await;

        // The widget alone, as an OBS source opens it: the same, from its
        // snapshot (the picture of docs/overlays.md).
        b.goto(&page(&app, &live, "rewards", "")).await;
        b.wait_live().await;
        wait_rewards(b, three).await;
        b.screenshot_element("#w-rewards", "rewards").await;

        // In English; a reward closed leaves it; none left to claim, no hint; none offered, nothing.
        b.goto(&page(&app, &live, "rewards", "&lang=en")).await;
        b.wait_live().await;
        let en = |rows: Value, gone: Value, hint: Value| {
            json!({"title": "Rewards", "rows": rows, "gone": gone, "hint": hint})
        };
        let portrait_en = json!(["Portrait en direct", "from €30.00", "#portraitendirect", "1 left"]);
        let postcard_en = json!(["Carte postale", "from €5.00", "#cartepostale", ""]);
        let dedicace_en = json!(["Dédicace", "from €15.00", "#dedicace", "sold out"]);
        let claim_hint = json!("To claim one: its # in your message");
        let all_three = json!([portrait_en, postcard_en, dedicace_en]);
        wait_rewards(b, en(all_three, json!(["Dédicace"]), claim_hint.clone())).await;
        close(&card).await;
        wait_rewards(b, en(json!([portrait_en, dedicace_en]), json!(["Dédicace"]), claim_hint)).await;
        close(&portrait).await;
        wait_rewards(b, en(json!([dedicace_en]), json!(["Dédicace"]), Value::Null)).await;
        close(&signed).await;
        wait_rewards(b, Value::Null).await;
    })
    .await;

    // A campaign's overlay has no rewards: each live offers its own.
    let (s, r) = app.post(&format!("/api/v1/campaigns/{c}/rotate"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let token = r["overlay_token"].as_str().unwrap();
    let (s, e) = app.get(&format!("/overlay/campaigns/{c}/rewards?token={token}")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("widget_not_found")), "{e}");
    let (s, e) = app.get(&format!("/overlay/campaigns/{c}?token={token}&widgets=alert,rewards")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_widgets")), "{e}");
    // Nor is it in the page of every widget of a live.
    let (s, all) = app.get(&format!("/overlay/lives/{}?token={}", live.id, live.overlay_token)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!all.as_str().unwrap().contains("w-rewards"), "not in the scene of every widget");
}

/// The builder offers the rewards widget on a live's overlay, with its source's
/// size; a campaign's builder does not.
#[tokio::test]
async fn the_builder_offers_the_rewards_widget_for_a_live_only() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    let live = app.live(&c, json!({"host": "Corentin"})).await;
    let (s, r) = app.post(&format!("/api/v1/campaigns/{c}/rotate"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let campaign_token = r["overlay_token"].as_str().unwrap().to_owned();
    let choose = "var f = document.getElementById('form'); f.elements.widget.value = 'rewards';
                  f.dispatchEvent(new Event('change'));
                  var o = f.elements.widget.selectedOptions[0];
                  return [o ? o.textContent : null, document.getElementById('url').value,
                          document.getElementById('size-hint').textContent]";
    with_browser(async |b| {
        b.goto(&page(&app, &live, "builder", "")).await;
        let url = page(&app, &live, "rewards", "");
        assert_eq!(
            b.js(choose).await,
            json!(["Contreparties offertes aux donateurs", url, "Taille conseillée de la source\u{a0}: 640 × 360"])
        );
        b.goto(&page(&app, &live, "builder", "&lang=en")).await;
        b.js("var f = document.getElementById('form'); f.elements.size.value = '150';").await;
        assert_eq!(
            b.js(choose).await,
            json!(["Rewards offered to donors", format!("{url}&lang=en&size=150"), "Suggested source size: 960 × 540"])
        );

        b.goto(&format!("{}/overlay/campaigns/{c}/builder?token={campaign_token}", app.base)).await;
        let offered = b
            .js("return Array.from(document.getElementById('widget').options).map(function (o) { return o.value; })")
            .await;
        assert!(offered.as_array().unwrap().len() > 10 && !offered.as_array().unwrap().contains(&json!("rewards")));
    })
    .await;
}
