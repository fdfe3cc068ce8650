//! Keyboard use of the organisers' and the hosts' pages in real headless
//! Chromium: focus stays where the user works while gifts come.

use crate::browser::{Browser, eventually, until_found, with_browser};
use crate::dashboard::{fill, fr, sign_in, wait_text};
use crate::helpers::{ADMIN, TestApp, TestLive, spawn_app};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Presses `keys` together (the first held while the next are pressed), as a
/// keyboard does, on whatever has the focus.
async fn press(b: &Browser, keys: &[Key]) {
    let mut actions = KeyActions::new("keyboard".into());
    for k in keys {
        actions = actions.then(KeyAction::Down { value: (*k).into() });
    }
    for k in keys.iter().rev() {
        actions = actions.then(KeyAction::Up { value: (*k).into() });
    }
    b.client.perform_actions(actions).await.expect("keys pressed");
    b.client.release_actions().await.expect("keys released");
}

/// Types `text` on whatever has the focus.
async fn type_text(b: &Browser, text: &str) {
    let mut actions = KeyActions::new("keyboard".into());
    for c in text.chars() {
        actions = actions.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
    }
    b.client.perform_actions(actions).await.expect("typed");
}

/// What has the focus: `"body"`, or `[tag, id, data-act, its row's data-id,
/// text, aria-label, armed, its section's id]`.
async fn focused(b: &Browser) -> Value {
    b.js(r##"var a = document.activeElement;
        if (!a || a === document.body) return "body";
        var row = a.closest("[data-id]"), section = a.closest("section");
        return [a.tagName.toLowerCase(), a.id || null, a.dataset.act || (a.dataset.claim ? "claim" : null),
                row ? row.dataset.id : null, a.textContent.trim(), a.getAttribute("aria-label"), a.dataset.armed || null,
                section ? section.id || null : null];"##)
        .await
}

/// Presses Enter twice on what has the focus, the first arming it: what the
/// focus is on once armed.
async fn confirm(b: &Browser) {
    press(b, &[Key::Enter]).await;
    wait_focus(b, "a button armed", |f| f[6] == "1").await;
    press(b, &[Key::Enter]).await;
}

/// Focuses the first match from a script, as a user who tabbed there.
async fn focus(b: &Browser, css: &str) {
    let done = b
        .client
        .execute(
            "var n = document.querySelector(arguments[0]); if (!n) return false; n.focus(); return document.activeElement === n;",
            vec![json!(css)],
        )
        .await
        .expect("focus");
    assert_eq!(done, true, "{css} focused");
}

/// Waits until the focus is as `want` says (see [`focused`]); a timeout says where it was.
async fn wait_focus(b: &Browser, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    until_found(what, WAIT, || async {
        let f = focused(b).await;
        if want(&f) { Ok(f) } else { Err(f.to_string()) }
    })
    .await
}

async fn host_ready(b: &Browser, app: &TestApp, live: &TestLive) {
    let host = live.body["host_token"].as_str().unwrap();
    b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
    eventually("the host's space is ready", WAIT, || async {
        (b.js("return document.body.dataset.state").await == "ready").then_some(())
    })
    .await;
}

/// The number of rows `css` matches, once it is `n`.
async fn wait_count(b: &Browser, css: &str, n: usize) {
    until_found(&format!("{n} of {css}"), WAIT, || async {
        let v = b.client.execute("return document.querySelectorAll(arguments[0]).length", vec![json!(css)]).await;
        let got = v.expect("count").as_u64().unwrap_or(0) as usize;
        if got == n { Ok(()) } else { Err(got.to_string()) }
    })
    .await;
}

/// A donation of `live` as the organisers read it.
async fn donation(app: &TestApp, live: &TestLive, id: &str) -> Value {
    let (s, v) = app.admin_get(&format!("/api/v1/lives/{}/donations?limit=500", live.id)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let list = v["donations"].as_array().expect("donations");
    list.iter().find(|d| d["id"] == id).cloned().unwrap_or_else(|| panic!("donation {id} in {v}"))
}

/// The organisers' table: a refund armed with Enter on the tenth row keeps the
/// focus while gifts come in above it, and the second Enter refunds that one.
#[tokio::test]
async fn a_refund_armed_on_the_dashboard_keeps_the_focus_while_gifts_come() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gift(&live, Some("Avant"), 500, false).await;
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_count(b, "#donations tbody tr[data-id]", 1).await;
        // Twelve gifts while the page is open, each drawn as it comes.
        let mut ids = vec![];
        for i in 0..12 {
            ids.push(app.gift(&live, Some(&format!("Donateur {i}")), 100 + i, false).await);
            wait_count(b, "#donations tbody tr[data-id]", 2 + i as usize).await;
        }
        // The tenth row: Donateur 2's 1,02 €.
        let tenth = &ids[2];
        let css = format!("#donations tbody tr[data-id='{tenth}'] button[data-act=refund]");
        assert_eq!(
            b.js("return document.querySelectorAll('#donations tbody tr[data-id]')[9].dataset.id").await,
            json!(tenth)
        );
        focus(b, &css).await;
        let name = fr("Rembourser — Donateur 2, 1,02_€");
        assert_eq!(focused(b).await[5], json!(name), "the button says which gift it refunds");
        press(b, &[Key::Enter]).await;
        let armed =
            json!(["button", null, "refund", tenth, "Confirmer\u{a0}?", format!("Confirmer\u{a0}? {name}"), "1"]);
        let armed_now = async || Value::from(focused(b).await.as_array().map(|f| f[..7].to_vec()).unwrap_or_default());
        wait_focus(b, "the refund armed", |f| f.as_array().is_some_and(|f| f[..7] == armed.as_array().unwrap()[..]))
            .await;
        // Gifts come, two or three a second: the focus stays on the armed button.
        for i in 0..8 {
            app.gift(&live, Some(&format!("Pendant {i}")), 300 + i, false).await;
            tokio::time::sleep(Duration::from_millis(350)).await;
            assert_eq!(armed_now().await, armed, "after gift {i}");
        }
        // The page heard them all (they wait while the focus is in the list).
        wait_text(b, ".held-new", "8 nouveaux dons arrivent quand vous quittez la liste.").await;
        assert_eq!(armed_now().await, armed);
        press(b, &[Key::Enter]).await;
        eventually("the tenth gift refunded", WAIT, || async {
            (donation(&app, &live, tenth).await["refunded"] == true).then_some(())
        })
        .await;
        assert_eq!(donation(&app, &live, &ids[3]).await["refunded"], false, "only that one");
        // Refunded: the focus stays on its row.
        wait_focus(b, "the focus on the refunded row", |f| {
            f[3] == json!(tenth) && f[0] == "button" && f[2] != "refund"
        })
        .await;
    })
    .await;
}

/// The host's space: after a row's action, the focus stays on that row (its
/// other half, "Réafficher le nom", "Proposer à nouveau"), else goes to the
/// next row, else the one before, else the list's heading.
#[tokio::test]
async fn after_a_row_s_action_the_focus_stays_in_its_list() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let key = live.key.clone();
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let mut held = vec![];
    let path = format!("/api/v1/lives/{}/polls", live.id);
    let (s, poll) =
        app.post(&path, Some(&host), json!({"question": "Quel jeu ?", "options": ["Mario", "Zelda"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    let poll = poll["id"].as_str().unwrap().to_owned();
    let rewards = format!("/api/v1/lives/{}/rewards", live.id);
    let (s, reward) =
        app.post(&rewards, Some(&host), json!({"title": "Un dessin", "amount": 1000, "tag": "dessin"})).await;
    assert_eq!(s, StatusCode::CREATED, "{reward}");
    let reward = reward["id"].as_str().unwrap().to_owned();
    let (s, claim) =
        app.donate(&live, json!({"amount": 1500, "currency": "EUR", "donor": "Dan", "message": "#dessin"})).await;
    assert_eq!(s, StatusCode::CREATED, "{claim}");
    let claim = claim["donation"]["id"].as_str().unwrap().to_owned();
    app.moderate(&live, json!({"mode": "manual"})).await;
    for (donor, amount) in [("Ana", 500), ("Bob", 600), ("Chloé", 700)] {
        let body = json!({"amount": amount, "currency": "EUR", "donor": donor, "message": format!("Merci {donor}")});
        let (s, d) = app.donate(&live, body).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        held.push(d["donation"]["id"].as_str().unwrap().to_owned());
    }
    with_browser(async |b| {
        host_ready(b, &app, &live).await;
        wait_count(b, "#pending li[data-id]", 3).await;
        // Bob's text approved: the focus goes to Chloé's, the next one.
        focus(b, &format!("#pending li[data-id='{}'] button[data-act=approve]", held[1])).await;
        assert_eq!(focused(b).await[5], json!(fr("Valider — Bob, 6,00_€")));
        confirm(b).await;
        wait_focus(b, "Chloé's approval", |f| f[2] == "approve" && f[3] == json!(held[2])).await;
        // The last one approved: the one before it.
        confirm(b).await;
        wait_focus(b, "Ana's approval", |f| f[2] == "approve" && f[3] == json!(held[0])).await;
        // None left: the list's heading.
        confirm(b).await;
        wait_focus(b, "the held texts' heading", |f| f[0] == "h2" && f[7] == "pending-box").await;
        wait_count(b, "#pending li[data-id]", 0).await;

        // A name hidden: its "Réafficher le nom" takes the focus.
        focus(b, &format!("#donations tr[data-id='{}'] button[data-act=hide-donor]", held[1])).await;
        confirm(b).await;
        wait_focus(b, "Bob's name to show again", |f| f[2] == "show-donor" && f[3] == json!(held[1])).await;
        let (_, v) = app.admin_get(&format!("/api/v1/lives/{}/donations", live.id)).await;
        let bob = v["donations"].as_array().unwrap().iter().find(|d| d["id"] == json!(held[1])).cloned().unwrap();
        assert_eq!(bob["donor_hidden"], true, "{bob}");

        // The poll closed: it has no button left, the focus goes to the polls' heading.
        focus(b, &format!("#polls li[data-id='{poll}'] button[data-act=close-poll]")).await;
        confirm(b).await;
        wait_focus(b, "the polls' heading", |f| f[0] == "h2" && f[7] == "poll-box").await;

        // A reward no longer offered: its "Proposer à nouveau".
        focus(b, &format!("#rewards li[data-id='{reward}'] button[data-act=close-reward]")).await;
        assert_eq!(focused(b).await[5], "Ne plus proposer — Un dessin");
        confirm(b).await;
        wait_focus(b, "the reward to offer again", |f| f[2] == "reopen-reward" && f[3] == json!(reward)).await;

        // A claim ticked with the space bar: its box keeps the focus, ticked.
        focus(b, &format!("#claims input[data-claim='{claim}']")).await;
        press(b, &[Key::Space]).await;
        let (s, v) = app.admin_get(&rewards).await;
        assert_eq!(s, StatusCode::OK);
        eventually("the claim given", WAIT, || async {
            let (_, v) = app.request(reqwest::Method::GET, &rewards, Some(&key), &[], None).await;
            (v["rewards"][0]["claims"][0]["delivered"] == true).then_some(())
        })
        .await;
        drop(v);
        let f = wait_focus(b, "the claim's box", |f| f[2] == "claim" && f[3] == json!(claim)).await;
        assert!(f[5].as_str().unwrap().starts_with(&fr("Fait — Un dessin, Dan, 15,00_€")), "{f}");
        assert_eq!(b.js("return document.activeElement.checked").await, true);
    })
    .await;
}

/// The organisers' "En partie…": the amount typed and Enter, the focus is back
/// on the row's button; Escape closes the form the same way.
#[tokio::test]
async fn a_part_refund_typed_gives_the_focus_back_to_its_row() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let zoe = app.gift(&live, Some("Zoé"), 3750, false).await;
    app.gift(&live, Some("Yann"), 1000, false).await;
    let button = format!("#donations tbody tr[data-id='{zoe}'] button[data-act=part-refund]");
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_count(b, "#donations tbody tr[data-id]", 2).await;
        focus(b, &button).await;
        press(b, &[Key::Enter]).await;
        wait_focus(b, "the amount to give back", |f| f[0] == "input").await;
        type_text(b, "2,50").await;
        press(b, &[Key::Enter]).await;
        eventually("2,50 € given back", WAIT, || async {
            (donation(&app, &live, &zoe).await["refunded_amount"] == 250).then_some(())
        })
        .await;
        wait_focus(b, "Zoé's part refund again", |f| f[2] == "part-refund" && f[3] == json!(zoe)).await;
        assert_eq!(b.js("return document.getElementById('part-refund-box').hidden").await, true);
        // Opened again, closed with Escape: back on the button, nothing sent.
        press(b, &[Key::Enter]).await;
        wait_focus(b, "the amount to give back", |f| f[0] == "input").await;
        press(b, &[Key::Escape]).await;
        wait_focus(b, "Zoé's part refund again", |f| f[2] == "part-refund" && f[3] == json!(zoe)).await;
        assert_eq!(b.js("return document.getElementById('part-refund-box').hidden").await, true);
        assert_eq!(donation(&app, &live, &zoe).await["refunded_amount"], 250);
    })
    .await;
}

/// A button busy with its request keeps the focus: the host's "Rejouer
/// l'alerte" and "+15 min", the moderation's "Enregistrer", the dashboard's
/// "Alerte de test".
#[tokio::test]
async fn a_button_busy_with_its_request_keeps_the_focus() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let ana = app.gift(&live, Some("Ana"), 500, false).await;
    let (s, v) = app.post(&format!("/api/v1/lives/{}/start", live.id), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ends = |v: &Value| {
        time::OffsetDateTime::parse(v["ends_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let (_, before) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    with_browser(async |b| {
        host_ready(b, &app, &live).await;
        let replay = format!("#donations tr[data-id='{ana}'] button[data-act=replay]");
        focus(b, &replay).await;
        press(b, &[Key::Enter]).await;
        wait_text(b, "#notice", "Alerte rejouée sur vos overlays.").await;
        let f = focused(b).await;
        assert_eq!((f[2].clone(), f[3].clone()), (json!("replay"), json!(ana)), "{f}");

        focus(b, "#extend-live button[data-minutes='15']").await;
        press(b, &[Key::Enter]).await;
        eventually("the live 15 min longer", WAIT, || async {
            let (_, after) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
            (ends(&after) - ends(&before) == time::Duration::minutes(15)).then_some(())
        })
        .await;
        until_found("the notice of the new end", WAIT, || async {
            let t = b.js("return document.getElementById('notice').textContent").await;
            if t.as_str().unwrap_or("").starts_with("Le live continue jusqu'à") { Ok(()) } else { Err(t.to_string()) }
        })
        .await;
        assert_eq!(focused(b).await[4], "+15 min");

        // The moderation saved with Enter on its button: the focus stays there.
        let save = "#moderation-form button[type=submit]";
        focus(b, save).await;
        press(b, &[Key::Enter]).await;
        wait_text(b, "#notice", "Enregistré.").await;
        assert_eq!(b.js(&format!("return document.activeElement === document.querySelector('{save}')")).await, true);

        // The dashboard's test alert.
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        let test = "#lives article [data-act=test-alert]";
        eventually("the live's card", WAIT, || async {
            (b.js(&format!("return !!document.querySelector('{test}')")).await == true).then_some(())
        })
        .await;
        focus(b, test).await;
        press(b, &[Key::Enter]).await;
        wait_text(b, "#notice", "Alerte de test envoyée.").await;
        assert_eq!(focused(b).await[2], "test-alert");
    })
    .await;
}

/// An armed "Confirmer ?" taken back with Escape, or by going to another
/// control: nothing is done, and the button says its action again.
#[tokio::test]
async fn escape_or_leaving_takes_back_a_first_press() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let zoe = app.gift(&live, Some("Zoé"), 3750, false).await;
    with_browser(async |b| {
        host_ready(b, &app, &live).await;
        let hide = format!("#donations tr[data-id='{zoe}'] button[data-act=hide-donor]");
        focus(b, &hide).await;
        let name = fr("Masquer le nom — Zoé, 37,50_€");
        press(b, &[Key::Enter]).await;
        let f = wait_focus(b, "armed", |f| f[6] == "1").await;
        assert_eq!(f[5], json!(format!("Confirmer\u{a0}? {name}")));
        press(b, &[Key::Escape]).await;
        let f = wait_focus(b, "disarmed", |f| f[6].is_null()).await;
        assert_eq!((f[4].clone(), f[5].clone()), (json!("Masquer le nom"), json!(name)));
        // Armed again, then Tab to the next button: disarmed too.
        press(b, &[Key::Enter]).await;
        wait_focus(b, "armed", |f| f[6] == "1").await;
        press(b, &[Key::Tab]).await;
        wait_focus(b, "the next button", |f| f[2] != "hide-donor").await;
        let left = b
            .js(&format!("var n = document.querySelector(\"{hide}\"); return [n.textContent, n.dataset.armed || null]"))
            .await;
        assert_eq!(left, json!(["Masquer le nom", null]));
        // The next Enter on it arms it, it does not hide.
        focus(b, &hide).await;
        press(b, &[Key::Enter]).await;
        wait_focus(b, "armed", |f| f[6] == "1").await;
        assert_eq!(donation(&app, &live, &zoe).await["donor_hidden"], false);
    })
    .await;
}

/// The host's space: a focused button stays in sight while gifts come (they
/// wait above it until the focus leaves the list).
#[tokio::test]
async fn gifts_wait_while_the_focus_is_in_the_host_s_donations() {
    let app = spawn_app().await;
    let live = app.setup().await;
    for donor in ["Ana", "Bob", "Chloé"] {
        app.gift(&live, Some(donor), 500, false).await;
    }
    with_browser(async |b| {
        host_ready(b, &app, &live).await;
        wait_count(b, "#donations tr[data-id]", 3).await;
        focus(b, "#donations tr:nth-child(2) button[data-act=hide-donor]").await;
        let top = "return document.activeElement.getBoundingClientRect().top";
        // The first one waits, said in a line above the list (which moves it down once).
        app.gift(&live, Some("Pendant 0"), 100, false).await;
        wait_text(b, ".held-new", "Un nouveau don arrive quand vous quittez la liste.").await;
        let at = b.js(top).await;
        for i in 1..4 {
            app.gift(&live, Some(&format!("Pendant {i}")), 100, false).await;
        }
        wait_text(b, ".held-new", "4 nouveaux dons arrivent quand vous quittez la liste.").await;
        assert_eq!(b.js(top).await, at, "the focused button has not moved");
        assert_eq!(b.js("return document.querySelectorAll('#donations tr[data-id]').length").await, 3);
        assert_eq!(focused(b).await[2], "hide-donor");
        // The focus gone (Shift+Tab to before the list): the gifts come.
        focus(b, "#donations tr:first-child button").await;
        press(b, &[Key::Shift, Key::Tab]).await;
        wait_count(b, "#donations tr[data-id]", 7).await;
        assert_eq!(b.js("var n = document.querySelector('.held-new'); return n.hidden").await, true);
    })
    .await;
}

/// The host's line on its connected overlays is written only when it changes
/// (a screen reader reads it out at each write).
#[tokio::test]
async fn the_overlays_line_is_said_once() {
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        host_ready(b, &app, &live).await;
        wait_text(b, "#overlays", "Aucun overlay connecté\u{a0}: ajoutez le lien d'overlay comme source navigateur dans OBS.")
            .await;
        b.js("window.writes = 0; new MutationObserver(function (m) { window.writes += m.length; }).observe(document.getElementById('overlays'), {childList: true, characterData: true, subtree: true}); return 0").await;
        // Two looks, five seconds apart.
        tokio::time::sleep(Duration::from_millis(11_000)).await;
        assert_eq!(b.js("return window.writes").await, 0);
    })
    .await;
}

/// What opens takes the focus: the campaign's name once signed in, the
/// one-time links of a new live, the builder's form after "Personnaliser ce lien".
#[tokio::test]
async fn what_opens_takes_the_focus() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let empty = app.eur_campaign().await;
    with_browser(async |b| {
        b.goto(&format!("{}/dashboard#c={empty}", app.base)).await;
        fill(b, "#signin-token", ADMIN).await;
        press(b, &[Key::Enter]).await;
        wait_focus(b, "the campaign's name", |f| f[1] == "c-name").await;
        crate::dashboard::create_live(b, "Inès").await;
        let f = wait_focus(b, "the new live's links", |f| f[7] == "secrets").await;
        assert_eq!(f[0], "h3");

        b.goto(&format!("{}/overlay/lives/{}/builder?lang=fr", app.base, live.id)).await;
        let link = format!("{}/overlay/lives/{}/goal?token={}&lang=fr", app.base, live.id, live.overlay_token);
        fill(b, "#link", &link).await;
        press(b, &[Key::Enter]).await;
        wait_focus(b, "the builder's first field", |f| f[1] == "widget").await;
    })
    .await;
}

/// Buttons and fields say what they act on: the chat commands' lines and
/// their copy buttons, the host's copy buttons.
#[tokio::test]
async fn copy_buttons_and_command_lines_say_what_they_are() {
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        host_ready(b, &app, &live).await;
        b.js("document.getElementById('chat-details').open = true; return 0").await;
        wait_count(b, "#chat-commands tbody tr", 9).await;
        let names = b
            .js(r##"var l = function (s) { return document.querySelector(s).getAttribute("aria-label"); };
                return [l("#chat-command-0"), l("#chat-command-0 + button"), l("#chat-own input[name=command]"),
                        l("#chat-own input[name=text]"), l("#chat-command-own")];"##)
            .await;
        assert_eq!(
            names,
            json!([
                "Ligne Nightbot pour !cagnotte",
                "Copier\u{a0}: Ligne Nightbot pour !cagnotte",
                "Nom de votre commande",
                "Votre phrase",
                "Ligne Nightbot de votre commande",
            ])
        );
        let all = b
            .js("return Array.from(document.querySelectorAll('.copy-row button')).map(function (b) { return b.getAttribute('aria-label'); })")
            .await;
        let all: Vec<Option<String>> = serde_json::from_value(all).unwrap();
        let named: Vec<&String> = all.iter().flatten().collect();
        assert!(named.len() >= 8, "{all:?}");
        assert!(named.iter().all(|n| n.starts_with("Copier\u{a0}: ") && n.chars().count() > 12), "{all:?}");
        assert_eq!(named.iter().collect::<std::collections::HashSet<_>>().len(), named.len(), "each its own: {all:?}");
    })
    .await;
}
