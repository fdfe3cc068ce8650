//! A live's rewards on the dashboard in real headless Chromium: the organisers
//! offer one from the live's card, see a donation claim it in the queue of what
//! is to do without a reload, tick it "Fait" for a host who cannot (which the
//! API then says), stop offering it in two clicks, and follow what the host
//! does from their space; a refusal in French; in English.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, fill, fr, input_value, on, sign_in, text, wait_text};
use crate::helpers::{ADMIN, TestApp, TestLive, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The live's rewards with their claims, as the API gives them to the organisers.
async fn rewards(app: &TestApp, live: &TestLive) -> Value {
    let path = format!("/api/v1/lives/{}/rewards", live.id);
    let (s, v) = app.request(Method::GET, &path, Some(ADMIN), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["rewards"].clone()
}

/// Each reward of a card's list: `[title, keyword, hint, least gift, counts,
/// its badge and buttons]`.
async fn card_rewards(b: &Browser, card: &str) -> Value {
    let script = r##"return Array.from(document.querySelectorAll(arguments[0] + " [data-rewards=list] li[data-id]")).map(function (li) {
            var t = function (s) { return li.querySelector(s).textContent; };
            var last = Array.from(li.querySelectorAll(".reward-line > .badge:not(.count), .reward-line > button")).map(function (n) { return n.textContent; }).join(" | ");
            return [t(".title"), t(".tag"), t(".hint"), t(".from"), t(".count"), last];
        });"##;
    b.client.execute(script, vec![json!(card)]).await.expect("the rewards")
}

async fn wait_rewards(b: &Browser, card: &str, expected: Value) {
    eventually(&format!("the card's rewards read {expected}"), WAIT, || async {
        (card_rewards(b, card).await == expected).then_some(())
    })
    .await;
}

/// A card's queue of claims: `[state, reward, donor, amount, message, has a
/// time, tick label and ticked, badge]` each.
async fn queue(b: &Browser, card: &str) -> Value {
    let script = r##"return Array.from(document.querySelectorAll(arguments[0] + " [data-rewards=claims] li[data-id]")).map(function (li) {
            var t = function (s) { var n = li.querySelector(s); return n ? n.textContent : null; };
            var box = li.querySelector("input[type=checkbox]");
            return [li.dataset.state, t(".reward"), t(".donor"), t(".amount"), t(".message"), t(".when") !== "",
                    box ? [t("label.done").trim(), box.checked] : null, t(".badge")];
        });"##;
    b.client.execute(script, vec![json!(card)]).await.expect("the queue")
}

async fn wait_queue(b: &Browser, card: &str, expected: Value) {
    eventually(&format!("the card's queue reads {expected}"), WAIT, || async {
        (queue(b, card).await == expected).then_some(())
    })
    .await;
}

/// Whether the claim of `donation_id` is marked given, as the API says.
fn delivered(rewards: &Value, donation_id: &str) -> Value {
    rewards[0]["claims"].as_array().unwrap().iter().find(|c| c["donation"]["id"] == donation_id).unwrap()["delivered"]
        .clone()
}

/// The organisers offer a reward from a live's card, see a gift claim it,
/// tick it "Fait" for the host, see a French refusal, stop offering it in two
/// clicks, follow what the host does from their space; in English.
#[tokio::test]
async fn an_organiser_offers_a_reward_and_ticks_off_a_claim_from_a_live_card() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let card = format!("#lives article[data-live='{}']", live.id);
    let other_card = format!("#lives article[data-live='{}']", other.id);
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_text(b, &format!("{card} [data-f=host]"), "Corentin").await;
        // Folded like the card's other forms, until opened.
        let details = format!("{card} details[data-box=rewards]");
        assert_eq!(on(b, &details, "return document.querySelector(arguments[0]).open").await, false);
        assert_eq!(text(b, &format!("{details} > summary")).await, "Contreparties ");
        click(b, &format!("{details} > summary")).await;
        wait_text(b, &format!("{card} [data-rewards=list]"), "Aucune contrepartie pour l'instant.").await;
        assert_eq!(
            text(b, &format!("{card} [data-rewards=claims]")).await,
            "Rien à faire pour l'instant\u{a0}: les dons qui prennent une contrepartie s'ajoutent ici."
        );

        // Offered from the card.
        let form = format!("{card} [data-rewards=form]");
        fill(b, &format!("{form} [name=title]"), "Un portrait").await;
        fill(b, &format!("{form} [name=amount]"), "trente").await;
        click(b, &format!("{form} button[type=submit]")).await;
        wait_text(b, "#notice", "Montant invalide\u{a0}: trente").await;
        fill(b, &format!("{form} [name=amount]"), "30").await;
        fill(b, &format!("{form} [name=quantity]"), "3").await;
        click(b, &format!("{form} button[type=submit]")).await;
        wait_text(b, "#notice", "Contrepartie proposée\u{a0}: un don assez grand avec #unportrait dans son message la prend.")
            .await;
        let hint = "à écrire dans le message du don";
        wait_rewards(
            b,
            &card,
            json!([["Un portrait", "#unportrait", hint, fr("dès 30,00_€"), "0 prise · 3 restantes", "Modifier | Ne plus proposer"]]),
        )
        .await;
        assert_eq!(input_value(b, &format!("{form} [name=title]")).await, "");
        let script = "return document.querySelector(arguments[0] + ' [data-rewards=missed-box]').hidden";
        let hidden = b.client.execute(script, vec![json!(card)]).await.expect("the missed box");
        assert_eq!(hidden, true, "no gift named it without getting it");
        let r = &rewards(&app, &live).await[0];
        assert_eq!(
            (r["title"].clone(), r["amount"].clone(), r["quantity"].clone(), r["tag"].clone(), r["closed_at"].clone()),
            (json!("Un portrait"), json!(3000), json!(3), json!("unportrait"), Value::Null)
        );
        // Its terms changed from the card: five, for 25 €.
        let list = format!("{card} [data-rewards=list]");
        click(b, &format!("{list} button[data-act=edit-reward]")).await;
        fill(b, &format!("{list} form.reward-edit [name=amount]"), "25").await;
        fill(b, &format!("{list} form.reward-edit [name=quantity]"), "5").await;
        click(b, &format!("{list} form.reward-edit button[type=submit]")).await;
        wait_rewards(
            b,
            &card,
            json!([["Un portrait", "#unportrait", hint, fr("dès 25,00_€"), "0 prise · 5 restantes", "Modifier | Ne plus proposer"]]),
        )
        .await;
        let r = &rewards(&app, &live).await[0];
        assert_eq!((r["amount"].clone(), r["quantity"].clone()), (json!(2500), json!(5)));
        // The other live's card has none of it.
        click(b, &format!("{other_card} details[data-box=rewards] > summary")).await;
        wait_text(b, &format!("{other_card} [data-rewards=list]"), "Aucune contrepartie pour l'instant.").await;

        // A donation through the API claims it: the queue shows it without a reload,
        // and the reward's buttons stay the same elements (a click across a gift is not lost).
        let mark = "var b = document.querySelector(arguments[0] + ' [data-rewards=list] button[data-act=close-reward]'); b.__kept = 1; return b.textContent";
        assert_eq!(on(b, &card, mark).await, "Ne plus proposer");
        let (s, v) = app
            .donate(
                &live,
                json!({"amount": 3500, "currency": "EUR", "donor": "Ana", "message": "Un #UnPortrait de mon chat, merci !"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let ana = v["donation"]["id"].as_str().unwrap().to_owned();
        let claim = |state: &str, ticked: bool| {
            json!([state, "Un portrait", "Ana", fr("35,00_€"), "Un #UnPortrait de mon chat, merci !", true, ["Fait", ticked], null])
        };
        wait_queue(b, &card, json!([claim("todo", false)])).await;
        wait_text(b, &format!("{details} > summary [data-rewards=todo]"), "1 à faire").await;
        assert_eq!(card_rewards(b, &card).await[0][4], "1 prise · 4 restantes · 0 faite");
        let kept = "return document.querySelector(arguments[0] + ' [data-rewards=list] button[data-act=close-reward]').__kept === 1";
        assert_eq!(on(b, &card, kept).await, true, "the reward's button was drawn anew");
        assert_eq!(text(b, &format!("{other_card} [data-rewards=claims] li[data-id]")).await, Value::Null);

        // Ticked "Fait" for the host: the API says it is given.
        click(b, &format!("{card} [data-rewards=claims] li[data-id='{ana}'] input[type=checkbox]")).await;
        wait_text(b, "#notice", "Marqué fait.").await;
        wait_queue(b, &card, json!([claim("done", true)])).await;
        wait_text(b, &format!("{details} > summary [data-rewards=todo]"), "").await;
        assert_eq!(delivered(&rewards(&app, &live).await, &ana), true);
        assert_eq!(card_rewards(b, &card).await[0][4], "1 prise · 4 restantes · 1 faite");
        // Unticked by the host from their space: the card follows.
        let (s, v) = app
            .request(
                Method::PUT,
                &format!("/api/v1/lives/{}/rewards/claims/{ana}", live.id),
                Some(&host),
                &[],
                Some(json!({"delivered": false}).to_string()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_queue(b, &card, json!([claim("todo", false)])).await;
        wait_text(b, &format!("{details} > summary [data-rewards=todo]"), "1 à faire").await;

        // A keyword another reward has: refused, said in French; the form keeps what was typed.
        fill(b, &format!("{form} [name=title]"), "Un autre portrait").await;
        fill(b, &format!("{form} [name=amount]"), "20").await;
        fill(b, &format!("{form} [name=tag]"), "#UnPortrait").await;
        click(b, &format!("{form} button[type=submit]")).await;
        wait_text(b, "#notice", "Erreur\u{a0}: une autre contrepartie proposée a déjà ce mot-clé\u{a0}: choisissez-en un autre.").await;
        assert_eq!(input_value(b, &format!("{form} [name=title]")).await, "Un autre portrait");
        assert_eq!(rewards(&app, &live).await.as_array().unwrap().len(), 1);

        // No longer offered, in two clicks: its claim stays to do.
        let close = format!("{card} [data-rewards=list] button[data-act=close-reward]");
        click(b, &close).await;
        wait_text(b, &close, "Confirmer\u{a0}?").await;
        assert!(rewards(&app, &live).await[0]["closed_at"].is_null());
        click(b, &close).await;
        wait_text(b, "#notice", "Contrepartie plus proposée\u{a0}: celles déjà prises restent à faire.").await;
        wait_rewards(
            b,
            &card,
            json!([["Un portrait", "#unportrait", hint, fr("dès 25,00_€"), "1 prise · 4 restantes · 0 faite", "plus proposée | Modifier | Proposer à nouveau"]]),
        )
        .await;
        assert!(rewards(&app, &live).await[0]["closed_at"].is_string());
        assert_eq!(queue(b, &card).await, json!([claim("todo", false)]));

        // One offered by the host from their space shows on the card.
        let (s, v) = app
            .post(&format!("/api/v1/lives/{}/rewards", live.id), Some(&host), json!({"title": "Un merci", "amount": 500}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        wait_rewards(
            b,
            &card,
            json!([
                ["Un portrait", "#unportrait", hint, fr("dès 25,00_€"), "1 prise · 4 restantes · 0 faite", "plus proposée | Modifier | Proposer à nouveau"],
                ["Un merci", "#unmerci", hint, fr("dès 5,00_€"), "0 prise · sans limite", "Modifier | Ne plus proposer"],
            ]),
        )
        .await;

        // In English.
        b.goto(&format!("{}/dashboard?lang=en#c={}", app.base, live.campaign_id)).await;
        wait_text(b, &format!("{card} [data-f=host]"), "Corentin").await;
        wait_text(b, &format!("{details} > summary"), "Rewards 1 to do").await;
        click(b, &format!("{details} > summary")).await;
        let hint = "to write in the donation's message";
        wait_rewards(
            b,
            &card,
            json!([
                ["Un portrait", "#unportrait", hint, "from €25.00", "1 claimed · 4 left · 0 done", "no longer offered | Edit | Offer again"],
                ["Un merci", "#unmerci", hint, "from €5.00", "0 claimed · no limit", "Edit | Stop offering"],
            ]),
        )
        .await;
        assert_eq!(
            queue(b, &card).await,
            json!([["todo", "Un portrait", "Ana", "€35.00", "Un #UnPortrait de mon chat, merci !", true, ["Done", false], null]])
        );
        click(b, &format!("{card} [data-rewards=claims] li[data-id='{ana}'] input[type=checkbox]")).await;
        wait_text(b, "#notice", "Marked done.").await;
        wait_text(b, &format!("{details} > summary [data-rewards=todo]"), "").await;
        assert_eq!(delivered(&rewards(&app, &live).await, &ana), true);
        let close = format!("{card} [data-rewards=list] li[data-state=open] button[data-act=close-reward]");
        click(b, &close).await;
        wait_text(b, &close, "Confirm?").await;
        click(b, &close).await;
        wait_text(b, "#notice", "Reward no longer offered: those claimed already are still to do.").await;
        eventually("every reward closed", WAIT, || async {
            rewards(&app, &live).await.as_array().unwrap().iter().all(|r| r["closed_at"].is_string()).then_some(())
        })
        .await;
    })
    .await;
}
