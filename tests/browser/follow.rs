//! A host's overlay link that follows their lives (`follow=host`): one OBS
//! source for the month, moving on to the next live by itself; offered by the
//! builder, the dashboard and the host's space.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, create_campaign, fill, input_value, sign_in, text, wait_text};
use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The live the page shows, and whether its stream is open.
async fn shown(b: &Browser) -> (String, String) {
    let v = b.js("return [document.body.dataset.id, document.body.dataset.state]").await;
    (v[0].as_str().unwrap_or_default().to_owned(), v[1].as_str().unwrap_or_default().to_owned())
}

/// The donor of the alert on screen, if one is.
async fn alert_donor(b: &Browser) -> Option<String> {
    let v: Value = b
        .js("var a = document.getElementById('alert'); return a.hidden ? null : document.getElementById('alert-donor').textContent")
        .await;
    v.as_str().map(str::to_owned)
}

#[tokio::test]
async fn a_host_s_follow_link_moves_on_to_their_next_live() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    with_browser(async |b| {
        // Made once the browser is ours: Monday's live ended 59 minutes and 40
        // seconds ago (its hour after the end runs out in 20 s); Wednesday's is tomorrow.
        let monday = app
            .live(
                &c,
                json!({"host": "Ana", "title": "Lundi", "scheduled_at": from_now(-3600 - 60 + 20), "duration_minutes": 1, "goal": 10000}),
            )
            .await;
        let wednesday = app
            .live(&c, json!({"host": "Ana", "title": "Mercredi", "scheduled_at": from_now(86_400), "goal": 20000}))
            .await;
        let link = format!(
            "{}/overlay/lives/{}?token={}&follow=host&widgets=alert,goal&refresh=2",
            app.base, monday.id, monday.overlay_token
        );
        b.goto(&link).await;
        b.wait_live().await;
        assert_eq!(shown(b).await.0, monday.id);
        // Monday's credits time: its donations still show.
        app.donate(&monday, json!({"amount": 1500, "currency": "EUR", "donor": "Bob"})).await;
        eventually("Bob's alert", WAIT, || async { (alert_donor(b).await.as_deref() == Some("Bob")).then_some(()) })
            .await;
        wait_text(b, "#goal-label", &crate::dashboard::fr("15,00_€ / 100,00_€")).await;
        // Its hour over, the same page opens Wednesday's live by itself.
        let next = eventually("Wednesday's live", Duration::from_secs(40), || async {
            let s = shown(b).await;
            (s == (wednesday.id.clone(), "live".to_owned())).then_some(s)
        })
        .await;
        assert_eq!(next.0, wednesday.id);
        wait_text(b, "#goal-label", &crate::dashboard::fr("0,00_€ / 200,00_€")).await;
        // Wednesday's donations are the alerts now; Monday's no longer.
        b.js("window.__seen = []; var n = document.getElementById('alert-donor');
              new MutationObserver(function () { window.__seen.push(n.textContent); })
                .observe(n, {childList: true, characterData: true, subtree: true});")
            .await;
        app.donate(&monday, json!({"amount": 500, "currency": "EUR", "donor": "Late"})).await;
        app.donate(&wednesday, json!({"amount": 700, "currency": "EUR", "donor": "Chloé"})).await;
        eventually("Chloé's alert", WAIT, || async { (alert_donor(b).await.as_deref() == Some("Chloé")).then_some(()) })
            .await;
        wait_text(b, "#goal-label", &crate::dashboard::fr("7,00_€ / 200,00_€")).await;
        assert_eq!(b.js("return window.__seen").await, json!(["Chloé"]));
        // It stays there: the schedule still gives Wednesday's.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(shown(b).await, (wednesday.id.clone(), "live".to_owned()));
    })
    .await;
}

#[tokio::test]
async fn the_builder_the_dashboard_and_the_host_s_space_give_the_follow_link() {
    let app = spawn_app().await;
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        create_campaign(b, "Mars solidaire", "5000", "https://dons.example.org/mars").await;
        // Ana's first live: a link of its own. Her second: the link that follows both.
        for (i, title) in ["Lundi", "Mercredi"].into_iter().enumerate() {
            b.js("document.querySelector('details:has(#new-live)').open = true").await;
            fill(b, "#new-live [name=host]", "Ana").await;
            fill(b, "#new-live [name=title]", title).await;
            click(b, "#new-live button[type=submit]").await;
            eventually("the new live's card", WAIT, || async {
                let n = b.js("return document.querySelectorAll('#lives article').length").await;
                (n == i + 1).then_some(())
            })
            .await;
            wait_text(b, "#secret-host", "Ana").await;
            // The second live's links may come after its card (a frame redraws the cards).
            eventually(&format!("the follow link shown with the live number {} only", i + 1), WAIT, || async {
                (b.js("return document.getElementById('secret-follow-box').hidden").await == (i == 0)).then_some(())
            })
            .await;
        }
        let overlay = input_value(b, "#overlay-url").await;
        assert_eq!(input_value(b, "#follow-url").await, format!("{overlay}&follow=host"));
        let host_follow = input_value(b, "#host-follow-url").await;
        let host_link = input_value(b, "#host-link").await;
        assert_eq!(host_follow, host_link.replace('#', "&follow=host#"));
        assert!(host_follow.contains("/host?lang=fr&follow=host#key=ht_"), "{host_follow}");
        assert_eq!(
            b.js("return document.querySelector('label[for=follow-url]').textContent.trim()").await,
            "Un seul lien OBS pour tous les lives de cet hôte"
        );

        // The builder of a live whose host has another offers the follow link, ticked.
        let (page, query) = overlay.split_once('?').unwrap();
        b.goto(&format!("{page}/builder?{query}")).await;
        let url_now = eventually("the builder's URL", WAIT, || async {
            let v = b.js("return document.getElementById('url').value").await;
            v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
        })
        .await;
        assert_eq!(url_now, format!("{overlay}&follow=host"));
        assert_eq!(
            b.js("return document.querySelector('label:has([name=follow])').textContent.trim()").await,
            "Suivre tous les lives de l'hôte dans la campagne\u{a0}: ce lien passe seul au live suivant"
        );
        b.js(r##"var f = document.getElementById("form"); f.elements.follow.checked = false; f.dispatchEvent(new Event("change"));"##)
            .await;
        assert_eq!(b.js("return document.getElementById('url').value").await, overlay);
        // The lives leaderboard by host.
        b.js(r##"var f = document.getElementById("form"); f.elements.widget.value = "lives"; f.elements.lives_by.value = "host"; f.dispatchEvent(new Event("change"));"##)
            .await;
        let (page_path, query) = overlay.split_once('?').unwrap();
        assert_eq!(
            b.js("return document.getElementById('url').value").await,
            format!("{page_path}/lives?{query}&lives_by=host")
        );
        assert_eq!(
            b.js("return document.querySelector('label:has([name=lives_by])').firstElementChild.textContent").await,
            "Classement des lives"
        );
        // A campaign's builder has no such box.
        let (_, r) =
            app.post(&format!("/api/v1/campaigns/{}/rotate", live_campaign(&app, page).await), Some(ADMIN), json!({})).await;
        b.goto(&format!("{}/builder?token={}", r["overlay_url"].as_str().unwrap().split('?').next().unwrap(), r["overlay_token"].as_str().unwrap()))
            .await;
        eventually("the campaign's builder", WAIT, || async {
            let v = b.js("return document.getElementById('url').value").await;
            v.as_str().is_some_and(|s| !s.is_empty()).then_some(())
        })
        .await;
        assert_eq!(b.js("return document.querySelector('[name=follow]') === null").await, true);
    })
    .await;
}

/// The campaign of the live whose overlay page is at `path`.
async fn live_campaign(app: &TestApp, path: &str) -> String {
    let id = path.rsplit('/').next().unwrap();
    let (_, l) = app.get(&format!("/api/v1/lives/{id}")).await;
    l["campaign_id"].as_str().unwrap().to_owned()
}

/// The chat commands' table: `[command, line to send, answer]` each, once every answer came.
async fn chat_rows(b: &Browser) -> Vec<[String; 3]> {
    eventually("the chat commands and their answers", WAIT, || async {
        let v = b
            .js("return Array.from(document.querySelectorAll('#chat-commands tbody tr:not(#chat-own)')).map(tr =>
                   [tr.cells[0].textContent, tr.cells[1].querySelector('input').value, tr.cells[2].textContent])")
            .await;
        let rows: Vec<[String; 3]> = v
            .as_array()?
            .iter()
            .map(|r| std::array::from_fn(|i| r[i].as_str().unwrap_or_default().to_owned()))
            .collect();
        (rows.len() == 8 && rows.iter().all(|r| !r[2].is_empty())).then_some(rows)
    })
    .await
}

#[tokio::test]
async fn the_host_s_space_and_the_dashboard_give_the_chat_commands() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "goal": 500000, "charity": "Les Restos du cœur"}))
        .await;
    let c = c["id"].as_str().unwrap().to_owned();
    let first = app.live(&c, json!({"host": "Ana", "scheduled_at": from_now(-600)})).await;
    let later = app.live(&c, json!({"host": "Ana", "title": "Concert", "scheduled_at": from_now(7 * 86_400)})).await;
    app.donate(&first, json!({"amount": 1500, "currency": "EUR", "donor": "Bob"})).await;
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        // The host's space of the later live: its commands follow Ana to the live on air.
        b.goto(later.body["host_url"].as_str().unwrap()).await;
        eventually("the host's space", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "ready").then_some(())
        })
        .await;
        click(b, "#chat-details > summary").await;
        let rows = chat_rows(b).await;
        let api = format!("{}/api/v1/lives/{}/chat?follow=host", app.base, later.id);
        let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, ["!cagnotte", "!top", "!dernier", "!palier", "!prochain", "!contreparties", "!merci", "!doublement"]);
        assert_eq!(rows[0][1], format!("!addcom !cagnotte $(urlfetch {api}&say=total&lang=fr)"));
        assert_eq!(rows[4][1], format!("!addcom !prochain $(urlfetch {api}&say=next&lang=fr&tz=Europe%2FParis)"));
        assert_eq!(
            rows[0][2],
            crate::dashboard::fr("15,00_€ récoltés pour Les Restos du cœur. 1 don, merci_!"),
            "the live on air's total"
        );
        assert_eq!(rows[1][2], crate::dashboard::fr("Top donateurs_: 1. Bob (15,00_€)"));
        assert_eq!(rows[2][2], crate::dashboard::fr("Dernier don_: Bob, 15,00_€. Merci_!"));
        assert_eq!(rows[3][2], "Pas de palier pour l'instant.");
        assert!(rows[4][2].starts_with("En direct\u{a0}: Ana. Prochain live\u{a0}: Ana — Concert, "), "{}", rows[4][2]);
        assert!(rows[4][2].ends_with("(Europe/Paris)."), "{}", rows[4][2]);
        assert_eq!(rows[5][1], format!("!addcom !contreparties $(urlfetch {api}&say=rewards&lang=fr)"));
        assert_eq!(rows[5][2], "Pas de contrepartie pour l'instant.");
        // The thank-you, for the chat or a post after the live.
        assert_eq!(rows[6][1], format!("!addcom !merci $(urlfetch {api}&say=thanks&lang=fr)"));
        assert_eq!(rows[6][2], crate::dashboard::fr("Merci à Bob_: 15,00_€ récoltés pour Les Restos du cœur_!"));
        // The sponsor's doubling, on this computer's clock.
        assert_eq!(rows[7][1], format!("!addcom !doublement $(urlfetch {api}&say=match&lang=fr&tz=Europe%2FParis)"));
        assert_eq!(rows[7][2], "Pas de doublement des dons en cours ni prévu.");
        // Each line in one click.
        click(b, "#chat-commands tbody tr:first-child button").await;
        wait_text(b, "#chat-commands tbody tr:first-child button", "Copié\u{a0}!").await;

        // The host's other lives, each one's space a click away with this key.
        let lives = b
            .js("return Array.from(document.querySelectorAll('#host-lives li')).map(li => [li.dataset.id, li.lastChild.textContent])")
            .await;
        assert_eq!(lives, json!([[first.id, "Ouvrir son espace"], [later.id, "cette page"]]));
        assert_eq!(b.js("return document.getElementById('host-lives-box').hidden").await, false);
        click(b, "#host-lives li:first-child a").await;
        eventually("the first live's space, open with the same key", WAIT, || async {
            let v = b.js("return [location.pathname, document.body.dataset.state]").await;
            (v == json!([format!("/lives/{}/host", first.id), "ready"])).then_some(())
        })
        .await;
        wait_text(b, "#host-lives li:last-child a", "Ouvrir son espace").await;
        // The host's space link for the month: the later live's link with `follow=host`
        // opens the space of the live on air, its key kept across the redirect.
        let month = later.body["host_url"].as_str().unwrap().replace('#', "?follow=host#");
        b.goto(&month).await;
        eventually("the space of the live on air", WAIT, || async {
            let v = b.js("return [location.pathname, document.body.dataset.state]").await;
            (v == json!([format!("/lives/{}/host", first.id), "ready"])).then_some(())
        })
        .await;
        b.goto(later.body["host_url"].as_str().unwrap()).await;
        eventually("the later live's space again", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "ready").then_some(())
        })
        .await;

        // The public page's link for the month: it opens the live on air.
        let public = input_value(b, "#public-follow").await;
        assert_eq!(public, format!("{}/lives/{}?follow=host", app.base, later.id));
        b.goto(&public).await;
        let at = eventually("the live on air's page", WAIT, || async {
            let v = b.js("return location.pathname + location.search").await;
            v.as_str().filter(|p| !p.contains("follow")).map(str::to_owned)
        })
        .await;
        assert_eq!(at, format!("/lives/{}?lang=fr", first.id));
        wait_text(b, "#total", &crate::dashboard::fr("15,00_€")).await;

        // The dashboard's, in English: the campaign's.
        sign_in(b, &app, "?lang=en").await;
        b.goto(&format!("{}/dashboard?lang=en#c={c}", app.base)).await;
        wait_text(b, "#c-name", "Mars solidaire").await;
        click(b, "#chat-details > summary").await;
        let rows = chat_rows(b).await;
        let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, ["!total", "!top", "!last", "!milestone", "!next", "!rewards", "!thanks", "!match"]);
        assert_eq!(rows[6][2], "Thank you Bob: €15.00 raised for Les Restos du cœur!");
        assert_eq!(
            rows[0][1],
            format!("!addcom !total $(urlfetch {}/api/v1/campaigns/{c}/chat?say=total&lang=en)", app.base)
        );
        assert_eq!(
            rows[0][2],
            "€15.00 raised for Les Restos du cœur, 0% of the €5,000.00 goal. 1 donation, thank you!"
        );

        // The organisers' own sentence: its command follows the typing, and what it answers.
        let own = "#chat-own td.chat-answer";
        wait_text(b, own, "€15.00 raised for Les Restos du cœur, 0% of the goal! Donate:").await;
        fill(b, "#chat-own input[name=text]", "{top} leads with {top_amount}!").await;
        fill(b, "#chat-own input[name=command]", "!leader").await;
        wait_text(b, own, "Bob leads with €15.00!").await;
        b.screenshot_element("#chat-box", "chat-own-sentence").await;
        let chat = format!("{}/api/v1/campaigns/{c}/chat", app.base);
        assert_eq!(
            input_value(b, "#chat-command-own").await,
            format!("!addcom !leader $(urlfetch {chat}?text=%7Btop%7D%20leads%20with%20%7Btop_amount%7D!&lang=en)")
        );
        // A field that does not exist: said at once, before the bot does.
        fill(b, "#chat-own input[name=text]", "{Top} leads").await;
        let said = eventually("the refusal", WAIT, || async {
            let t = text(b, own).await;
            t.as_str().filter(|t| t.starts_with('⚠')).map(str::to_owned)
        })
        .await;
        assert!(said.starts_with("⚠ text names {Top}, which is none of {total}, {raised}"), "{said}");
        // Kept while the box is closed and opened again.
        click(b, "#chat-details > summary").await;
        click(b, "#chat-details > summary").await;
        assert_eq!(input_value(b, "#chat-own input[name=command]").await, "!leader");
        assert_eq!(input_value(b, "#chat-own input[name=text]").await, "{Top} leads");
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_gives_a_host_their_links_for_the_month() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Mars solidaire", "currency": "EUR", "goal": 500000})).await;
    let c = c["id"].as_str().unwrap().to_owned();
    let first = app.live(&c, json!({"host": "Ana", "scheduled_at": from_now(-600)})).await;
    app.live(&c, json!({"host": "ana", "scheduled_at": from_now(7 * 86_400)})).await;
    app.live(&c, json!({"host": "Zoé"})).await;
    app.donate_ok(&first, 1500).await;
    // A third of Ana's lives, called off: not counted among her lives.
    let gone = app.live(&c, json!({"host": "Ana", "scheduled_at": from_now(14 * 86_400)})).await;
    let (s, _) = app.patch_live(&gone.id, json!({"cancelled": true})).await;
    assert_eq!(s, reqwest::StatusCode::OK);
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        b.goto(&format!("{}/dashboard#c={c}", app.base)).await;
        wait_text(b, "#c-name", "Mars solidaire").await;
        // The hosts of several lives (Zoé has one).
        let rows = eventually("the hosts' table", WAIT, || async {
            let v = b
                .js("return Array.from(document.querySelectorAll('#hosts tbody tr')).map(tr => Array.from(tr.cells).map(c => c.textContent))")
                .await;
            (v.as_array().is_some_and(|a| !a.is_empty())).then_some(v)
        })
        .await;
        assert_eq!(rows, json!([["Ana", "2", crate::dashboard::fr("15,00_€"), "Liens du moisRenommer"]]));
        // Two clicks: the live of the moment's links are replaced, and given with `follow=host`.
        click(b, "#hosts button[data-act=rotate-month]").await;
        wait_text(b, "#notice", "L'ancien lien cessera de fonctionner tout de suite, y compris dans OBS\u{a0}: cliquez encore pour confirmer.")
            .await;
        click(b, "#hosts button[data-act=rotate-month]").await;
        wait_text(b, "#secret-host", "Ana").await;
        let overlay = eventually("the follow link", WAIT, || async {
            let v = input_value(b, "#follow-url").await;
            (!v.is_empty()).then_some(v)
        })
        .await;
        let prefix = format!("{}/overlay/lives/{}?token=ot_", app.base, first.id);
        assert!(overlay.starts_with(&prefix) && overlay.ends_with("&follow=host"), "{overlay}");
        let host = input_value(b, "#host-follow-url").await;
        assert!(host.contains(&format!("/lives/{}/host?lang=fr&follow=host#key=ht_", first.id)), "{host}");
        // The live's old overlay link is refused; the new one opens the live of the moment.
        let (s, _) = app.get(&format!("/overlay/lives/{}?token={}", first.id, first.overlay_token)).await;
        assert_eq!(s, reqwest::StatusCode::UNAUTHORIZED);
        b.goto(&overlay).await;
        b.wait_live().await;
        assert_eq!(shown(b).await.0, first.id);
    })
    .await;
}

/// A host's name typed one way on their lives is changed on all of them at
/// once from the dashboard's hosts; their host link still opens all their
/// lives. A name another host has joins the two, once confirmed.
#[tokio::test]
async fn the_dashboard_renames_a_host_on_all_their_lives() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Mars solidaire", "currency": "EUR"})).await;
    let c = c["id"].as_str().unwrap().to_owned();
    let coco = app.live(&c, json!({"host": "Coco", "scheduled_at": from_now(-600)})).await;
    let later = app.live(&c, json!({"host": "coco ", "scheduled_at": from_now(7 * 86_400)})).await;
    let zoe = app.live(&c, json!({"host": "Zoé", "scheduled_at": from_now(86_400)})).await;
    app.live(&c, json!({"host": "Zoé", "scheduled_at": from_now(8 * 86_400)})).await;
    let hosts = async || {
        let (_, v) = app.get(&format!("/api/v1/campaigns/{c}")).await;
        let mut hosts: Vec<String> =
            v["lives"].as_array().unwrap().iter().map(|l| l["host"].as_str().unwrap().to_owned()).collect();
        hosts.sort();
        hosts
    };
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        b.goto(&format!("{}/dashboard#c={c}", app.base)).await;
        wait_text(b, "#c-name", "Mars solidaire").await;
        let rows = "return Array.from(document.querySelectorAll('#hosts tbody tr')).map(tr => tr.cells[0].textContent + ' ' + tr.cells[1].textContent)";
        eventually("the hosts' table", WAIT, || async {
            (b.js(rows).await == json!(["Coco 2", "Zoé 2"])).then_some(())
        })
        .await;
        // Zoé's own name: nothing to do.
        click(b, "#hosts tbody tr:nth-child(2) button[data-act=rename-host]").await;
        assert_eq!(input_value(b, "#rename-host [name=host]").await, "zoé");
        fill(b, "#rename-host [name=to]", "Zoé").await;
        click(b, "#rename-host button[type=submit]").await;
        wait_text(b, "#notice", "C'est déjà son nom.").await;
        // Coco's two lives, typed two ways, renamed at once.
        click(b, "#hosts tbody tr:nth-child(1) button[data-act=rename-host]").await;
        assert_eq!(input_value(b, "#rename-host [name=host]").await, "coco");
        fill(b, "#rename-host [name=to]", "Corentin").await;
        click(b, "#rename-host button[type=submit]").await;
        wait_text(b, "#notice", "«\u{a0}Coco\u{a0}» s'appelle désormais «\u{a0}Corentin\u{a0}» sur ses 2 lives.").await;
        assert_eq!(hosts().await, ["Corentin", "Corentin", "Zoé", "Zoé"]);
        eventually("the table renamed", WAIT, || async {
            (b.js(rows).await == json!(["Corentin 2", "Zoé 2"])).then_some(())
        })
        .await;
        assert_eq!(input_value(b, "#rename-host [name=to]").await, "");
        // Coco's host link still opens the later live.
        let host_key = coco.body["host_token"].as_str().unwrap();
        let path = format!("/api/v1/lives/{}/donations", later.id);
        let (s, _) = app.request(reqwest::Method::GET, &path, Some(host_key), &[], None).await;
        assert_eq!(s, reqwest::StatusCode::OK);
        let (s, _) = app
            .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", zoe.id), Some(host_key), &[], None)
            .await;
        assert_eq!(s, reqwest::StatusCode::FORBIDDEN, "not Zoé's");
        // Zoé given Corentin's name: told first that it joins them, then done.
        click(b, "#hosts tbody tr:nth-child(2) button[data-act=rename-host]").await;
        fill(b, "#rename-host [name=to]", "corentin").await;
        click(b, "#rename-host button[type=submit]").await;
        wait_text(
            b,
            "#notice",
            "«\u{a0}corentin\u{a0}» anime déjà des lives\u{a0}: les liens hôte des deux ouvriront les lives des deux. \
             Cliquez de nouveau pour confirmer.",
        )
        .await;
        assert_eq!(hosts().await, ["Corentin", "Corentin", "Zoé", "Zoé"], "nothing yet");
        click(b, "#rename-host button[type=submit]").await;
        wait_text(b, "#notice", "«\u{a0}Zoé\u{a0}» s'appelle désormais «\u{a0}corentin\u{a0}» sur ses 2 lives.").await;
        assert_eq!(hosts().await, ["Corentin", "Corentin", "corentin", "corentin"]);
        eventually("one host of four lives", WAIT, || async {
            let r = b.js(rows).await;
            (r.as_array().is_some_and(|r| r.len() == 1 && r[0].as_str().is_some_and(|t| t.ends_with(" 4")))).then_some(())
        })
        .await;
        let (s, _) = app
            .request(reqwest::Method::GET, &format!("/api/v1/lives/{}/donations", zoe.id), Some(host_key), &[], None)
            .await;
        assert_eq!(s, reqwest::StatusCode::OK, "one host now");
    })
    .await;
}
