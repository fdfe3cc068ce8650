//! A live's rewards in real headless Chromium: the host offers one from their
//! space, sees the gifts that claim it by keyword in the queue of what is to
//! do, ticks each one off ("Fait", which the API then says), sees a refunded
//! one given back and withdraws the reward in two clicks; viewers see the
//! rewards on the live's public page, how to claim them and how many are left,
//! following the stream without a reload.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, fill, fr, text, wait_text};
use crate::helpers::{TestApp, TestLive, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn wait_ready(b: &Browser) {
    eventually("the host's space is ready", WAIT, || async {
        (b.js("return document.body.dataset.state").await == "ready").then_some(())
    })
    .await;
}

/// A donation to `live`, counted; its id.
async fn give(app: &TestApp, live: &TestLive, body: Value) -> String {
    let (s, v) = app.donate(live, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["donation"]["id"].as_str().unwrap().to_owned()
}

/// The live's rewards with their claims, as the API gives them to its host.
async fn rewards(app: &TestApp, live: &TestLive, host: &str) -> Value {
    let (s, v) = app.request(Method::GET, &format!("/api/v1/lives/{}/rewards", live.id), Some(host), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["rewards"].clone()
}

/// Each reward of the host's list: `[title, keyword, hint, least gift, counts,
/// its badge and buttons]`.
async fn host_rewards(b: &Browser) -> Value {
    b.js(r##"return Array.from(document.querySelectorAll("#rewards li[data-id]")).map(function (li) {
            var t = function (s) { return li.querySelector(s).textContent; };
            var last = Array.from(li.querySelectorAll(".reward-line > .badge:not(.count), .reward-line > button")).map(function (n) { return n.textContent; }).join(" | ");
            return [t(".title"), t(".tag"), t(".hint"), t(".from"), t(".count"), last];
        });"##)
        .await
}

/// The queue of claims: `[state, reward, donor, amount, message, time as the
/// page's language writes the donation's, tick label and ticked, badge]` each.
async fn queue(b: &Browser, locale: &str) -> Value {
    let script = r##"var when = new Intl.DateTimeFormat(arguments[0], { day: "numeric", month: "short", hour: arguments[0] === "fr-FR" ? "2-digit" : "numeric", minute: "2-digit" });
        return Array.from(document.querySelectorAll("#claims li[data-id]")).map(function (li) {
            var t = function (s) { var n = li.querySelector(s); return n ? n.textContent : null; };
            var box = li.querySelector("input[type=checkbox]");
            return [li.dataset.state, t(".reward"), t(".donor"), t(".amount"), t(".message"), t(".when") === when.format(new Date(li.dataset.at)),
                    box ? [t("label.done").trim(), box.checked] : null, t(".badge")];
        });"##;
    b.client.execute(script, vec![json!(locale)]).await.expect("the queue")
}

async fn wait_queue(b: &Browser, locale: &str, expected: Value) {
    eventually(&format!("the queue reads {expected}"), WAIT, || async {
        (queue(b, locale).await == expected).then_some(())
    })
    .await;
}

/// Ticks or unticks a claim's "Fait".
async fn tick(b: &Browser, donation_id: &str) {
    click(b, &format!("#claims li[data-id='{donation_id}'] input[type=checkbox]")).await;
}

/// The host offers a reward from their space, sees the claims come in the
/// queue, ticks one off and unticks it, sees a refunded one given back,
/// withdraws the reward in two clicks; the refusals in French; in English; in
/// an OBS dock.
#[tokio::test]
async fn a_host_offers_a_reward_and_ticks_off_what_donors_claimed() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
        wait_ready(b).await;
        assert_eq!(text(b, "#rewards").await, "Aucune contrepartie pour l'instant.");
        assert_eq!(
            text(b, "#claims").await,
            "Rien à faire pour l'instant\u{a0}: les dons qui prennent une contrepartie s'ajoutent ici."
        );
        assert_eq!(text(b, "#claims-todo").await, "");
        fill(b, "#reward-form [name=title]", "Un portrait").await;
        fill(b, "#reward-form [name=amount]", "trente").await;
        click(b, "#reward-form button[type=submit]").await;
        wait_text(b, "#notice", "Montant invalide\u{a0}: trente").await;
        fill(b, "#reward-form [name=amount]", "30").await;
        fill(b, "#reward-form [name=quantity]", "3").await;
        click(b, "#reward-form button[type=submit]").await;
        wait_text(b, "#notice", "Contrepartie proposée\u{a0}: un don assez grand avec #unportrait dans son message la prend.")
            .await;
        let hint = "à écrire dans le message du don";
        eventually("the reward listed", WAIT, || async {
            (host_rewards(b).await
                == json!([[
                    "Un portrait",
                    "#unportrait",
                    hint,
                    fr("dès 30,00_€"),
                    "0 prise · 3 restantes",
                    "Modifier | Ne plus proposer"
                ]]))
            .then_some(())
        })
        .await;
        // The form is emptied for the next one.
        assert_eq!(b.js("return document.querySelector('#reward-form [name=quantity]').value").await, "");
        let r = &rewards(&app, &live, &host).await[0];
        assert_eq!(
            (r["title"].clone(), r["amount"].clone(), r["quantity"].clone(), r["tag"].clone(), r["closed_at"].clone()),
            (json!("Un portrait"), json!(3000), json!(3), json!("unportrait"), Value::Null)
        );

        // Donors claim it by keyword (case and accents aside) or by the
        // donation's reward field; 10 € is not enough.
        let ana = give(
            &app,
            &live,
            json!({"amount": 3000, "currency": "EUR", "donor": "Ana", "message": "Un #unportrait s'il te plaît !"}),
        )
        .await;
        let zoe = give(
            &app,
            &live,
            json!({"amount": 5000, "currency": "EUR", "donor": "Zoé", "anonymous": true, "message": "#UnPortrait de mon chat"}),
        )
        .await;
        give(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Léo", "message": "#unportrait"})).await;
        let bob = give(
            &app,
            &live,
            json!({"amount": 3500, "currency": "EUR", "donor": "Bob", "message": "Pour Léa", "reward": "unportrait"}),
        )
        .await;
        let title = "Un portrait";
        let todo = |donor: &str, amount: &str, message: &str| {
            json!(["todo", title, donor, fr(amount), message, true, ["Fait", false], null])
        };
        wait_queue(
            b,
            "fr-FR",
            json!([
                todo("Ana", "30,00_€", "Un #unportrait s'il te plaît !"),
                todo("Anonyme", "50,00_€", "#UnPortrait de mon chat"),
                todo("Bob", "35,00_€", "Pour Léa"),
            ]),
        )
        .await;
        wait_text(b, "#claims-todo", "3 à faire").await;
        assert_eq!(host_rewards(b).await[0][4], "3 prises · épuisée · 0 faite");

        // Ana's portrait drawn: ticked, the API says so, and it goes after those to do.
        tick(b, &ana).await;
        wait_text(b, "#notice", "Marqué fait.").await;
        let done = |donor: &str, amount: &str, message: &str| {
            json!(["done", title, donor, fr(amount), message, true, ["Fait", true], null])
        };
        wait_queue(
            b,
            "fr-FR",
            json!([
                todo("Anonyme", "50,00_€", "#UnPortrait de mon chat"),
                todo("Bob", "35,00_€", "Pour Léa"),
                done("Ana", "30,00_€", "Un #unportrait s'il te plaît !"),
            ]),
        )
        .await;
        wait_text(b, "#claims-todo", "2 à faire").await;
        let delivered = |v: &Value, id: &str| {
            v[0]["claims"].as_array().unwrap().iter().find(|c| c["donation"]["id"] == id).unwrap()["delivered"].clone()
        };
        assert_eq!(delivered(&rewards(&app, &live, &host).await, &ana), true);
        assert_eq!(host_rewards(b).await[0][4], "3 prises · épuisée · 1 faite");
        // Ticked by mistake: back to do, then done again.
        tick(b, &ana).await;
        wait_text(b, "#notice", "Remis à faire.").await;
        wait_text(b, "#claims-todo", "3 à faire").await;
        assert_eq!(delivered(&rewards(&app, &live, &host).await, &ana), false);
        tick(b, &ana).await;
        wait_text(b, "#claims-todo", "2 à faire").await;
        assert_eq!(delivered(&rewards(&app, &live, &host).await, &ana), true);

        // Zoé's gift refunded whole: her claim is given back, shown as such, nothing to do.
        assert_eq!(app.refund(&live, &zoe, json!({})).await, StatusCode::OK);
        wait_queue(
            b,
            "fr-FR",
            json!([
                todo("Bob", "35,00_€", "Pour Léa"),
                done("Ana", "30,00_€", "Un #unportrait s'il te plaît !"),
                ["refunded", title, "Anonyme", fr("50,00_€"), "#UnPortrait de mon chat", true, null, "remboursé"],
            ]),
        )
        .await;
        b.screenshot_element("#reward-box", "host-rewards").await;
        wait_text(b, "#claims-todo", "1 à faire").await;
        assert_eq!(host_rewards(b).await[0][4], "2 prises · 1 restante · 1 faite");

        // Withdrawn in two clicks: its claims stay to do.
        let close = "#rewards button[data-act=close-reward]";
        click(b, close).await;
        wait_text(b, close, "Confirmer\u{a0}?").await;
        click(b, close).await;
        wait_text(b, "#notice", "Contrepartie plus proposée\u{a0}: celles déjà prises restent à faire.").await;
        eventually("the reward withdrawn", WAIT, || async {
            (host_rewards(b).await
                == json!([[title, "#unportrait", hint, fr("dès 30,00_€"), "2 prises · 1 restante · 1 faite", "plus proposée | Modifier | Proposer à nouveau"]]))
            .then_some(())
        })
        .await;
        assert!(rewards(&app, &live, &host).await[0]["closed_at"].is_string());
        assert_eq!(text(b, "#claims-todo").await, "1 à faire");

        // A keyword of the host's own, short where the title would make a
        // long one; taken already, or digits alone, refused in French.
        fill(b, "#reward-form [name=title]", "Une dédicace dessinée en direct").await;
        fill(b, "#reward-form [name=amount]", "12,50").await;
        fill(b, "#reward-form [name=tag]", "#Dédicace").await;
        click(b, "#reward-form button[type=submit]").await;
        wait_text(b, "#notice", "Contrepartie proposée\u{a0}: un don assez grand avec #dedicace dans son message la prend.")
            .await;
        eventually("the second reward listed", WAIT, || async {
            (host_rewards(b).await[1]
                == json!(["Une dédicace dessinée en direct", "#dedicace", hint, fr("dès 12,50_€"), "0 prise · sans limite", "Modifier | Ne plus proposer"]))
            .then_some(())
        })
        .await;
        assert_eq!(b.js("return document.querySelector('#reward-form [name=tag]').value").await, "");
        fill(b, "#reward-form [name=title]", "Une autre dédicace").await;
        fill(b, "#reward-form [name=amount]", "20").await;
        fill(b, "#reward-form [name=tag]", "dedicace").await;
        click(b, "#reward-form button[type=submit]").await;
        wait_text(b, "#notice", "Erreur\u{a0}: une autre contrepartie proposée a déjà ce mot-clé\u{a0}: choisissez-en un autre.").await;
        fill(b, "#reward-form [name=tag]", "#2").await;
        click(b, "#reward-form button[type=submit]").await;
        wait_text(
            b,
            "#notice",
            "Erreur\u{a0}: le mot-clé doit avoir des lettres (des chiffres seuls se liraient comme le numéro d'une option de sondage).",
        )
        .await;

        // Twenty offered at once: the twenty-first is refused, said in French.
        for n in 1..=19 {
            let (s, v) = app
                .post(
                    &format!("/api/v1/lives/{}/rewards", live.id),
                    Some(&host),
                    json!({"title": format!("Affiche {n}"), "amount": 1000}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        fill(b, "#reward-form [name=title]", "Un dessin").await;
        fill(b, "#reward-form [name=tag]", "").await;
        fill(b, "#reward-form [name=amount]", "12,50").await;
        click(b, "#reward-form button[type=submit]").await;
        wait_text(
            b,
            "#notice",
            "Erreur\u{a0}: ce live propose déjà 20 contreparties\u{a0}: cliquez «\u{a0}Ne plus proposer\u{a0}» sur l'une d'elles d'abord.",
        )
        .await;
        assert_eq!(rewards(&app, &live, &host).await.as_array().unwrap().len(), 21);
        // The form keeps what was typed, to try again.
        assert_eq!(b.js("return document.querySelector('#reward-form [name=title]').value").await, "Un dessin");

        // In English.
        b.goto(&format!("{}/lives/{}/host?lang=en#key={host}", app.base, live.id)).await;
        wait_ready(b).await;
        let v = host_rewards(b).await;
        assert_eq!(
            (v[0].clone(), v[1].clone(), v.as_array().unwrap().len()),
            (
                json!([title, "#unportrait", "to write in the donation's message", "from €30.00", "2 claimed · 1 left · 1 done", "no longer offered | Edit | Offer again"]),
                json!(["Une dédicace dessinée en direct", "#dedicace", "to write in the donation's message", "from €12.50", "0 claimed · no limit", "Edit | Stop offering"]),
                21
            )
        );
        assert_eq!(
            queue(b, "en-US").await,
            json!([
                ["todo", title, "Bob", "€35.00", "Pour Léa", true, ["Done", false], null],
                ["done", title, "Ana", "€30.00", "Un #unportrait s'il te plaît !", true, ["Done", true], null],
                ["refunded", title, "Anonymous", "€50.00", "#UnPortrait de mon chat", true, null, "refunded"],
            ])
        );
        assert_eq!(text(b, "#claims-todo").await, "1 to do");
        tick(b, &bob).await;
        wait_text(b, "#notice", "Marked done.").await;
        wait_text(b, "#claims-todo", "").await;
        assert_eq!(delivered(&rewards(&app, &live, &host).await, &bob), true);
        let close = "#rewards li[data-state=open] button[data-act=close-reward]";
        click(b, close).await;
        wait_text(b, close, "Confirm?").await;
        click(b, close).await;
        wait_text(b, "#notice", "Reward no longer offered: those claimed already are still to do.").await;

        // In an OBS dock: the rewards and their queue are there, nothing wider than the dock.
        b.set_viewport(380, 900).await;
        b.goto(&format!("{}/lives/{}/host?lang=fr&dock=1#key={host}", app.base, live.id)).await;
        wait_ready(b).await;
        let v = b
            .js("var shown = function (id) { var n = document.getElementById(id); return !!n && getComputedStyle(n).display !== 'none'; };
                 return [['reward-box', 'reward-form', 'rewards', 'claims'].map(shown), document.documentElement.scrollWidth <= 380,
                         document.querySelectorAll('#claims li[data-id]').length]")
            .await;
        assert_eq!(v, json!([[true, true, true, true], true, 3]));
    })
    .await;
}

/// The fields of a reward's own form of new terms: `[title, amount, quantity, keyword]`.
async fn edit_fields(b: &Browser) -> Value {
    b.js(r##"var f = document.querySelector("#rewards form.reward-edit");
        return f ? ["title", "amount", "quantity", "tag"].map(function (n) { return f.elements[n].value; }) : null;"##)
        .await
}

#[tokio::test]
async fn a_host_changes_a_reward_s_terms_and_offers_it_again() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/rewards", live.id);
    let (_, portrait) =
        app.post(&path, Some(&host), json!({"title": "Un portrait", "amount": 3000, "quantity": 1})).await;
    app.post(&path, Some(&host), json!({"title": "Un merci", "amount": 500})).await;
    let gift =
        |message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": "Ana", "message": message});
    give(&app, &live, gift("#unportrait", 3000)).await;
    give(&app, &live, gift("Un #unportrait aussi ?", 2500)).await;
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
        wait_ready(b).await;
        let hint = "à écrire dans le message du don";
        let first = "#rewards li[data-id]:first-child";
        // The gift that came too late for it, and why.
        let missed = r##"var box = document.querySelector("#reward-box [data-rewards=missed-box]");
            return [box.hidden, box.querySelector("h3").textContent, Array.from(box.querySelectorAll("li")).map(function (li) {
                var t = function (s) { return li.querySelector(s).textContent; };
                return [t(".reward"), t(".donor"), t(".amount"), t(".why"), t(".message")];
            })];"##;
        assert_eq!(
            b.js(missed).await,
            json!([false, "Demandées sans l'obtenir", [["Un portrait", "Ana", fr("25,00_€"), "il n'en restait plus", "Un #unportrait aussi ?"]]])
        );
        assert_eq!(
            host_rewards(b).await[0],
            json!([
                "Un portrait",
                "#unportrait",
                hint,
                fr("dès 30,00_€"),
                "1 prise · épuisée · 0 faite",
                "Modifier | Ne plus proposer"
            ])
        );

        // Its form holds its terms; what is typed stays while a gift redraws the list.
        click(b, &format!("{first} button[data-act=edit-reward]")).await;
        assert_eq!(edit_fields(b).await, json!(["Un portrait", "30,00", "1", "#unportrait"]));
        fill(b, "#rewards form.reward-edit [name=title]", "Un portrait au fusain").await;
        fill(b, "#rewards form.reward-edit [name=tag]", "#unmerci").await;
        give(&app, &live, gift("Bravo", 1000)).await;
        eventually("the list drawn again with the gift", WAIT, || async {
            (text(b, "#donations").await.as_str().unwrap_or_default().contains("Bravo")).then_some(())
        })
        .await;
        assert_eq!(edit_fields(b).await, json!(["Un portrait au fusain", "30,00", "1", "#unmerci"]));
        let focused =
            "var n = document.activeElement; return [n.name, !!n.closest('form.reward-edit'), n.selectionStart];";
        assert_eq!(b.js(focused).await, json!(["tag", true, 8]), "the field typed in keeps the focus");
        b.screenshot_element("#reward-box", "host-reward-edit").await;
        // Another offered reward's keyword: refused in French, the form as typed.
        click(b, "#rewards form.reward-edit button[type=submit]").await;
        wait_text(b, "#notice", "Erreur\u{a0}: une autre contrepartie proposée a déjà ce mot-clé\u{a0}: choisissez-en un autre.")
            .await;
        assert_eq!(edit_fields(b).await, json!(["Un portrait au fusain", "30,00", "1", "#unmerci"]));
        fill(b, "#rewards form.reward-edit [name=tag]", "#Portrait").await;
        fill(b, "#rewards form.reward-edit [name=amount]", "20").await;
        fill(b, "#rewards form.reward-edit [name=quantity]", "3").await;
        click(b, "#rewards form.reward-edit button[type=submit]").await;
        wait_text(
            b,
            "#notice",
            "Contrepartie modifiée\u{a0}: les dons à venir suivent ses nouvelles conditions, celles déjà prises restent.",
        )
        .await;
        eventually("the new terms listed", WAIT, || async {
            let v = host_rewards(b).await;
            (v[0]
                == json!([
                    "Un portrait au fusain",
                    "#portrait",
                    hint,
                    fr("dès 20,00_€"),
                    "1 prise · 2 restantes · 0 faite",
                    "Modifier | Ne plus proposer"
                ]))
            .then_some(())
        })
        .await;
        assert_eq!(edit_fields(b).await, Value::Null);
        let now = &rewards(&app, &live, &host).await[0];
        assert_eq!(
            (
                now["id"].clone(),
                now["title"].clone(),
                now["amount"].clone(),
                now["quantity"].clone(),
                now["tag"].clone()
            ),
            (portrait["id"].clone(), json!("Un portrait au fusain"), json!(2000), json!(3), json!("portrait"))
        );

        // "Annuler" closes the form untouched; an empty quantity is no limit.
        click(b, &format!("{first} button[data-act=edit-reward]")).await;
        click(b, "#rewards form.reward-edit button[data-act=cancel-edit]").await;
        assert_eq!(edit_fields(b).await, Value::Null);
        click(b, &format!("{first} button[data-act=edit-reward]")).await;
        fill(b, "#rewards form.reward-edit [name=quantity]", "").await;
        click(b, "#rewards form.reward-edit button[type=submit]").await;
        eventually("no limit", WAIT, || async {
            (host_rewards(b).await[0][4] == "1 prise · sans limite · 0 faite").then_some(())
        })
        .await;

        // Closed in two clicks, then offered again in one.
        let close = format!("{first} button[data-act=close-reward]");
        click(b, &close).await;
        wait_text(b, &close, "Confirmer\u{a0}?").await;
        click(b, &close).await;
        eventually("closed", WAIT, || async {
            (host_rewards(b).await[0][5] == "plus proposée | Modifier | Proposer à nouveau").then_some(())
        })
        .await;
        click(b, &format!("{first} button[data-act=reopen-reward]")).await;
        wait_text(b, "#notice", "Contrepartie de nouveau proposée\u{a0}: #portrait dans le message d'un don la prend.")
            .await;
        eventually("offered again", WAIT, || async {
            (host_rewards(b).await[0][5] == "Modifier | Ne plus proposer").then_some(())
        })
        .await;
        assert_eq!(rewards(&app, &live, &host).await[0]["closed_at"], Value::Null);
    })
    .await;
}

/// The public list: `[title, least gift, how to claim, left]` for each reward
/// shown, or null while the box is hidden.
async fn public_rewards(b: &Browser) -> Value {
    b.js(r##"var box = document.getElementById("rewards-box");
        return box.hidden ? null : Array.from(document.querySelectorAll("#rewards li")).map(function (li) {
            var t = function (s) { var n = li.querySelector(s); return n ? n.textContent : ""; };
            return [t(".title"), t(".amount"), t(".how"), t(".left")];
        });"##)
        .await
}

async fn wait_public(b: &Browser, expected: Value) {
    eventually(&format!("the rewards read {expected}"), WAIT, || async {
        (public_rewards(b).await == expected).then_some(())
    })
    .await;
}

async fn wait_page_live(b: &Browser) {
    eventually("the page receives its snapshot", WAIT, || async {
        (b.js("return document.body.dataset.state").await == "live").then_some(())
    })
    .await;
}

/// Viewers see the rewards still offered, how to claim each and how many are
/// left, following claims, a refund and withdrawals without a reload; none
/// shown when there is none; in English.
#[tokio::test]
async fn the_live_page_shows_the_rewards_and_how_many_are_left() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let offer = async |body: Value| {
        let (s, v) = app.post(&format!("/api/v1/lives/{}/rewards", live.id), Some(&host), body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_owned()
    };
    let claim =
        |message: &str, amount: i64| json!({"amount": amount, "currency": "EUR", "donor": "Ana", "message": message});
    with_browser(async |b| {
        b.client.set_window_size(390, 844).await.expect("phone size");
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page_live(b).await;
        assert_eq!(public_rewards(b).await, Value::Null);
        // Nothing reloads the page from here: this mark stays.
        b.js("window.sameDocument = true").await;

        let portrait = offer(json!({"title": "Un portrait", "amount": 3000, "quantity": 3})).await;
        let merci = offer(json!({"title": "Un merci", "amount": 500})).await;
        let how = |tag: &str| format!("Écrivez #{tag} dans le message de votre don");
        wait_public(
            b,
            json!([
                ["Un portrait", fr("dès 30,00_€"), how("unportrait"), "3 restantes"],
                ["Un merci", fr("dès 5,00_€"), how("unmerci"), ""],
            ]),
        )
        .await;
        let left = |n: &str| {
            json!([
                ["Un portrait", fr("dès 30,00_€"), how("unportrait"), n],
                ["Un merci", fr("dès 5,00_€"), how("unmerci"), ""],
            ])
        };
        let first = give(&app, &live, claim("#UnPortrait !", 3000)).await;
        wait_public(b, left("2 restantes")).await;
        // Too little: nothing taken.
        give(&app, &live, claim("#unportrait", 2000)).await;
        give(&app, &live, claim("#unportrait", 4000)).await;
        wait_public(b, left("1 restante")).await;
        give(&app, &live, claim("#unportrait et #unmerci", 3000)).await;
        wait_public(b, left("épuisée")).await;
        assert_eq!(b.js("return document.querySelector('#rewards li').dataset.state").await, "sold-out");
        // A whole refund gives one back.
        assert_eq!(app.refund(&live, &first, json!({})).await, StatusCode::OK);
        wait_public(b, left("1 restante")).await;
        let v = b.js("return [document.documentElement.scrollWidth <= window.innerWidth, window.sameDocument]").await;
        assert_eq!(v, json!([true, true]));

        // Withdrawn by the host: gone from the page; the last one, the box with it.
        let close = async |id: String| {
            let path = format!("/api/v1/lives/{}/rewards/{id}/close", live.id);
            let (s, v) = app.post(&path, Some(&host), json!({})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        };
        close(merci).await;
        wait_public(b, json!([["Un portrait", fr("dès 30,00_€"), how("unportrait"), "1 restante"]])).await;
        close(portrait.clone()).await;
        wait_public(b, Value::Null).await;
        // Offered again with new terms: back on the page as they are now.
        let path = format!("/api/v1/lives/{}/rewards/{portrait}", live.id);
        let (s, v) = app.post(&format!("{path}/reopen"), Some(&host), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_public(b, json!([["Un portrait", fr("dès 30,00_€"), how("unportrait"), "1 restante"]])).await;
        let body = json!({"title": "Un portrait au fusain", "amount": 2500, "quantity": 5}).to_string();
        let (s, v) = app.request(Method::PATCH, &path, Some(&host), &[], Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_public(b, json!([["Un portrait au fusain", fr("dès 25,00_€"), how("unportrait"), "3 restantes"]])).await;
        close(portrait).await;
        wait_public(b, Value::Null).await;
        assert_eq!(b.js("return window.sameDocument").await, true);

        // In English.
        offer(json!({"title": "A poster", "amount": 2000, "quantity": 2})).await;
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        assert_eq!(
            public_rewards(b).await,
            json!([["A poster", "from €20.00", "Write #aposter in your donation's message", "2 left"]])
        );
        assert_eq!(text(b, "#rewards-box h2").await, "Rewards");
        give(&app, &live, claim("#aposter", 2000)).await;
        wait_public(b, json!([["A poster", "from €20.00", "Write #aposter in your donation's message", "1 left"]]))
            .await;
        give(&app, &live, claim("#APoster", 2500)).await;
        wait_public(b, json!([["A poster", "from €20.00", "Write #aposter in your donation's message", "none left"]]))
            .await;
    })
    .await;
}
