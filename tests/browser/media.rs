//! The alerts' own images and sounds in real headless Chromium: a host sends
//! them from their space, the builder offers them, the overlay shows and plays
//! them (and does without a file removed); the organisers remove them from the
//! dashboard.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, sign_in, text, wait_text};
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Chooses `path` in the page's file input and sends the form.
async fn send_file(b: &Browser, path: &std::path::Path) {
    let input = b.client.find(Locator::Css("#media-file")).await.expect("file input");
    input.send_keys(&path.display().to_string()).await.expect("choose file");
    click(b, "#media-form button[type=submit]").await;
}

async fn listed(b: &Browser) -> Value {
    b.js(r##"return Array.from(document.querySelectorAll("#media-list li[data-id]")).map(function (li) {
        var p = li.querySelector(".media-preview");
        return [li.querySelector(".media-name").textContent, li.querySelector(".help").textContent,
                p.tagName, p.tagName === "IMG" ? p.naturalWidth : 0, !!li.querySelector("button")];
    });"##)
        .await
}

async fn wait_listed(b: &Browser, expected: Value) {
    eventually(&format!("the library lists {expected}"), WAIT, || async {
        (listed(b).await == expected).then_some(())
    })
    .await;
}

/// Waits for the dashboard's list `select` to offer `offered` (its first
/// option, then the images by name), then chooses the image `id`.
async fn pick_image(b: &Browser, select: &str, offered: [&str; 2], id: &str) {
    eventually("the images offered", WAIT, || async {
        let v = b
            .client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0] + ' option')).map(function (o) { return o.textContent; })",
                vec![json!(select)],
            )
            .await
            .unwrap();
        (v == json!(offered)).then_some(())
    })
    .await;
    b.client
        .execute("document.querySelector(arguments[0]).value = arguments[1];", vec![json!(select), json!(id)])
        .await
        .unwrap();
}

async fn library(app: &TestApp, campaign: &str) -> Vec<Value> {
    let path = format!("/api/v1/campaigns/{campaign}/media");
    let (_, v) = app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
    v["media"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_hosts_own_alert_image_and_sound_reach_the_overlay() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (gif_file, wav_file) = (dir.path().join("cœur.gif"), dir.path().join("merci.wav"));
    std::fs::write(&gif_file, GIF).unwrap();
    std::fs::write(&wav_file, wav()).unwrap();
    let text_file = dir.path().join("notes.txt");
    std::fs::write(&text_file, "pas une image").unwrap();
    with_browser(async |b| {
        // The host's space: the library, empty, then a GIF and a sound.
        b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
        eventually("the host's space is ready", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "ready").then_some(())
        })
        .await;
        click(b, "#media-details > summary").await;
        wait_text(b, "#media-list li", "Aucun fichier pour l'instant.").await;
        send_file(b, &text_file).await;
        wait_text(
            b,
            "#notice",
            "Erreur\u{a0}: ce fichier n'est ni une image PNG, GIF, JPEG ou WebP, ni un son MP3, Ogg, WAV, FLAC ou M4A.",
        )
        .await;
        send_file(b, &gif_file).await;
        wait_text(b, "#notice", "Ajouté\u{a0}: cœur.gif").await;
        send_file(b, &wav_file).await;
        wait_text(b, "#notice", "Ajouté\u{a0}: merci.wav").await;
        wait_listed(
            b,
            json!([["cœur.gif", "1 ko · Corentin", "IMG", 1, true], ["merci.wav", "1 ko · Corentin", "AUDIO", 0, true]]),
        )
        .await;
        b.js("document.getElementById('media-box').scrollIntoView()").await;
        b.screenshot_element("#media-box", "host-media").await;
        let files = library(&app, &live.campaign_id).await;
        let (gif_id, wav_id) = (files[0]["id"].as_str().unwrap(), files[1]["id"].as_str().unwrap());

        // The builder offers them by name and puts the chosen ones in the URL.
        b.goto(&format!("{}/overlay/lives/{}/builder?token={}", app.base, live.id, live.overlay_token)).await;
        eventually("the builder reads the library", WAIT, || async {
            (b.js("return document.getElementById('media').dataset.loaded").await == "2").then_some(())
        })
        .await;
        let offered = b
            .js(r#"return ["alert_image", "alert_sound", "big_image", "big_sound", "milestone_image", "milestone_sound"].map(function (n) {
                return Array.from(document.querySelector("select[name=" + n + "]").options).map(function (o) { return o.textContent; });
            });"#)
            .await;
        assert_eq!(
            offered,
            json!([
                ["aucune", "cœur.gif"],
                ["celui de Cagnotte", "merci.wav"],
                ["la même", "cœur.gif"],
                ["la fanfare de Cagnotte", "merci.wav"],
                ["aucune", "cœur.gif"],
                ["la fanfare de Cagnotte", "merci.wav"]
            ])
        );
        b.client
            .execute(
                r#"var f = document.getElementById("form");
                   f.elements.alert_image.value = arguments[0];
                   f.elements.alert_sound.value = arguments[1];
                   f.dispatchEvent(new Event("change"));"#,
                vec![json!(gif_id), json!(wav_id)],
            )
            .await
            .unwrap();
        let url = b.js("return document.getElementById('url').value").await;
        let url = url.as_str().unwrap().to_owned();
        assert!(url.contains(&format!("&alert_image={gif_id}&alert_sound={wav_id}")), "{url}");

        // The overlay of that URL: a donation's alert shows the GIF and plays the sound.
        b.goto(&url).await;
        b.wait_live().await;
        app.gift(&live, Some("Hugo"), 1500, false).await;
        eventually("the alert with its image", WAIT, || async {
            let v = b
                .js(r#"var img = document.getElementById("alert-image"), box = document.getElementById("alert");
                   return [box.hidden, document.getElementById("alert-donor").textContent, img.hidden,
                           img.getAttribute("src"), img.complete && img.naturalWidth];"#)
                .await;
            (v == json!([false, "Hugo", false, format!("/media/{gif_id}"), 1])).then_some(())
        })
        .await;
        b.screenshot_element("#alert", "alert-image").await;
        let fetched = b
            .js(r#"return performance.getEntriesByType("resource").map(function (e) { return new URL(e.name).pathname; })
                   .filter(function (p) { return p.indexOf("/media/") === 0 || p.indexOf(".wav") > 0; });"#)
            .await;
        let fetched: Vec<String> = serde_json::from_value(fetched).unwrap();
        assert!(fetched.contains(&format!("/media/{wav_id}")), "{fetched:?}");
        assert!(!fetched.iter().any(|p| p == "/static/alert.wav"), "Cagnotte's sound is not loaded: {fetched:?}");

        // What the stream celebrates gets its own image: a milestone reached
        // shows it, the donation that reached it none.
        b.goto(&format!(
            "{}/overlay/lives/{}/alert?token={}&milestone_image={gif_id}&duration=2",
            app.base, live.id, live.overlay_token
        ))
        .await;
        b.wait_live().await;
        let (s, m) = app
            .post(&format!("/api/v1/lives/{}/milestones", live.id), Some(&host), json!({"amount": 2500, "label": "Karaoké"}))
            .await;
        assert_eq!(s, reqwest::StatusCode::CREATED, "{m}");
        b.js("window.__seen = []; var n = document.getElementById('alert');
              new MutationObserver(function () { if (!n.hidden) window.__seen.push([
                document.getElementById('alert-donor').textContent, document.getElementById('alert-image').hidden]); })
                .observe(n, {attributes: true, childList: true, subtree: true});")
            .await;
        app.gift(&live, Some("Zoé"), 1000, false).await;
        eventually("the milestone's alert with its image", WAIT, || async {
            let seen = b.js("return window.__seen").await;
            let seen = seen.as_array()?;
            (seen.contains(&json!(["Zoé", true])) && seen.contains(&json!(["Palier atteint\u{a0}!", false]))).then_some(())
        })
        .await;
        assert_eq!(b.js("return document.getElementById('alert-image').getAttribute('src')").await, format!("/media/{gif_id}"));

        // A file removed from the library: the alert goes on without the image.
        let path = format!("/api/v1/campaigns/{}/media/{gif_id}", live.campaign_id);
        let (s, _) = app.request(reqwest::Method::DELETE, &path, Some(&host), &[], None).await;
        assert_eq!(s, reqwest::StatusCode::NO_CONTENT);
        b.goto(&format!(
            "{}/overlay/lives/{}/alert?token={}&alert_image={gif_id}&duration=30",
            app.base, live.id, live.overlay_token
        ))
        .await;
        b.wait_live().await;
        app.gift(&live, Some("Inès"), 2000, false).await;
        eventually("the alert without its image", WAIT, || async {
            let v = b
                .js(r#"return [document.getElementById("alert").hidden, document.getElementById("alert-donor").textContent,
                               document.getElementById("alert-image").hidden];"#)
                .await;
            (v == json!([false, "Inès", true])).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_organisers_see_every_file_and_remove_one() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let (s, v) = app.upload_media(&live.campaign_id, Some(&host), "name=applause.wav", wav()).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        wait_text(b, "#c-name", "Restos").await;
        click(b, "#media-details > summary").await;
        wait_listed(b, json!([["applause.wav", "1 ko · Corentin", "AUDIO", 0, true]])).await;
        // Two clicks: the first says what removing it does.
        click(b, "#media-list li[data-id] button").await;
        wait_text(b, "#media-list li[data-id] button", "Confirmer\u{a0}?").await;
        assert_eq!(
            text(b, "#notice").await,
            "Les overlays qui utilisent ce fichier reprennent l'image et le son de Cagnotte\u{a0}: cliquez de nouveau pour le retirer."
        );
        assert_eq!(library(&app, &live.campaign_id).await.len(), 1);
        click(b, "#media-list li[data-id] button").await;
        wait_text(b, "#notice", "Retiré.").await;
        wait_text(b, "#media-list li", "Aucun fichier pour l'instant.").await;
        assert!(library(&app, &live.campaign_id).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_sponsor_s_logo_shows_on_the_matching_badge_and_in_the_credits() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (s, v) = app.upload_media(&live.campaign_id, Some(ADMIN), "name=boulangerie.gif", GIF.to_vec()).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let logo = v["media"]["id"].as_str().unwrap().to_owned();
    with_browser(async |b| {
        // The organisers pick it among the campaign's images for a new match.
        sign_in(b, &app, "").await;
        wait_text(b, "#c-name", "Restos").await;
        click(b, "details:has(#new-match) > summary").await;
        crate::dashboard::fill(b, "#new-match [name=sponsor]", "Boulangerie Dupont").await;
        crate::dashboard::fill(b, "#new-match [name=cap]", "500").await;
        pick_image(b, "#new-match [name=logo]", ["aucun", "boulangerie.gif"], &logo).await;
        click(b, "#new-match button[type=submit]").await;
        wait_text(b, "#notice", "Créé.").await;
        let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
        assert_eq!(c["matches"][0]["logo"], logo.as_str());

        // The matching badge shows it beside the sponsor.
        b.goto(&format!("{}/overlay/lives/{}/match?token={}", app.base, live.id, live.overlay_token)).await;
        b.wait_live().await;
        eventually("the badge's logo", WAIT, || async {
            let v = b.js("var i = document.getElementById('match-logo'); return [i.hidden, i.getAttribute('src'), i.complete && i.naturalWidth]").await;
            (v == json!([false, format!("/media/{logo}"), 1])).then_some(())
        })
        .await;
        // And the credits, once it gave.
        app.gift(&live, Some("Hugo"), 1000, false).await;
        b.goto(&format!("{}/overlay/lives/{}/credits?token={}", app.base, live.id, live.overlay_token)).await;
        b.wait_live().await;
        eventually("the sponsor's logo in the credits", WAIT, || async {
            let v = b.js("var l = document.querySelector('.credits-logo'); return l ? [l.parentNode.textContent, l.getAttribute('src')] : null").await;
            (v == json!(["Boulangerie Dupont", format!("/media/{logo}")])).then_some(())
        })
        .await;
        // The viewers' page too.
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        eventually("the public page's logo", WAIT, || async {
            let v = b.js("var i = document.getElementById('match-logo'); return [i.hidden, i.getAttribute('src')]").await;
            (v == json!([false, format!("/media/{logo}")])).then_some(())
        })
        .await;
    })
    .await;
}

/// The campaign's picture, picked on the dashboard among its images, across
/// the top of its public pages.
#[tokio::test]
async fn the_organisers_give_the_campaign_a_picture_for_its_public_pages() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (s, v) = app.upload_media(&live.campaign_id, Some(ADMIN), "name=affiche.gif", GIF.to_vec()).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let picture = v["media"]["id"].as_str().unwrap().to_owned();
    with_browser(async |b| {
        sign_in(b, &app, "").await;
        wait_text(b, "#c-name", "Restos").await;
        click(b, "details:has(#edit-campaign) > summary").await;
        pick_image(b, "#edit-campaign [name=cover]", ["aucune", "affiche.gif"], &picture).await;
        click(b, "#edit-campaign button[type=submit]").await;
        wait_text(b, "#notice", "Enregistré.").await;
        let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
        assert_eq!((c["cover"].as_str(), c["name"].as_str()), (Some(picture.as_str()), Some("Restos")));
        // Still chosen in the form once it reloads the campaign.
        assert_eq!(b.js("return document.querySelector('#edit-campaign [name=cover]').value").await, picture.as_str());
        for page in [format!("/campaigns/{}", live.campaign_id), format!("/lives/{}", live.id)] {
            b.goto(&format!("{}{page}", app.base)).await;
            let shown = eventually("the picture", WAIT, || async {
                let v = b.js("var i = document.getElementById('cover'); return i && i.complete ? [i.getAttribute('src'), i.naturalWidth, i.getBoundingClientRect().width > 300] : null").await;
                (!v.is_null()).then_some(v)
            })
            .await;
            assert_eq!(shown, json!([format!("/media/{picture}"), 1, true]), "{page}");
        }
        // Taken off then given again on the dashboard: the open page follows, without a reload.
        b.js("window.__same = true; return null").await;
        let cover = || async { b.js("var i = document.getElementById('cover'); return i ? i.getAttribute('src') : null").await };
        let path = format!("/api/v1/campaigns/{}", live.campaign_id);
        for (body, want) in [(json!({"cover": null}), Value::Null), (json!({"cover": picture}), json!(format!("/media/{picture}")))] {
            let (s, _) = app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body.to_string())).await;
            assert_eq!(s, reqwest::StatusCode::OK);
            eventually("the picture follows", WAIT, || async { (cover().await == want).then_some(()) }).await;
        }
        assert_eq!(b.js("return window.__same === true").await, true, "no reload");
    })
    .await;
}
