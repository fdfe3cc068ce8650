//! Alert variations by amount: up to three tiers of big alerts (`big`, `big2`,
//! `big3`), each with its class, image and sound from the media library, a
//! tier without its own taking the one below's; each tier's own sentence;
//! tiers given out of order; the builder's fields for them.

use crate::browser::{Browser, eventually, with_browser};
use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// fr-FR money: `~` stands for the narrow no-break space, `_` for the no-break space.
fn eur_fr(s: &str) -> String {
    s.replace('~', "\u{202f}").replace('_', "\u{a0}")
}

/// Sends a file to the live's campaign's library; its id.
async fn upload(app: &TestApp, live: &TestLive, name: &str, bytes: Vec<u8>) -> String {
    let (s, v) = app.upload_media(&live.campaign_id, Some(ADMIN), &format!("name={name}"), bytes).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    v["media"]["id"].as_str().unwrap().to_owned()
}

fn alert_url(app: &TestApp, live: &TestLive, query: &str) -> String {
    format!("{}/overlay/lives/{}/alert?token={}{query}", app.base, live.id, live.overlay_token)
}

/// From now on, records each alert as it comes on screen: `[donor, amount, its
/// big classes, its image's src (null when hidden), its title's font size, its
/// image's height, its animations, how long it stays]`, and each sound played
/// (the last part of its path; the page's own files, played for real otherwise).
async fn record(b: &Browser) {
    b.js(r#"
        window.__alerts = [];
        window.__played = [];
        HTMLMediaElement.prototype.play = function () {
            window.__played.push(this.src.split("/").pop());
            return Promise.resolve();
        };
        var box = document.getElementById("alert"), img = document.getElementById("alert-image"), last = null;
        new MutationObserver(function () {
            if (box.hidden || !box.dataset.id || box.dataset.id === last) return;
            last = box.dataset.id;
            // This alert's record (another source's may be kept beside it).
            var c = Object.keys(localStorage).filter(function (k) { return /:current$/.test(k); })
                .map(function (k) { return JSON.parse(localStorage.getItem(k)); })
                .filter(function (c) { return c && c.id === last; })[0];
            window.__alerts.push([
                document.getElementById("alert-donor").textContent, document.getElementById("alert-amount").textContent,
                Array.from(box.classList).filter(function (n) { return /^big/.test(n); }).join(" "),
                img.hidden ? null : img.getAttribute("src"),
                getComputedStyle(box.querySelector(".alert-head")).fontSize,
                img.hidden ? null : getComputedStyle(img).height,
                getComputedStyle(box).animationName, c.until - c.since]);
        }).observe(box, {attributes: true, childList: true, subtree: true});
    "#)
        .await;
}

/// The `n` alerts recorded and the sounds they played, once `n` have come.
async fn recorded(b: &Browser, n: usize) -> (Value, Value) {
    eventually(&format!("{n} alerts"), WAIT * 2, || async {
        let v = b.js("return [window.__alerts, window.__played]").await;
        (v[0].as_array()?.len() >= n && v[1].as_array()?.len() >= n).then(|| (v[0].clone(), v[1].clone()))
    })
    .await
}

#[tokio::test]
async fn each_tier_of_big_alerts_shows_its_class_image_and_sound() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let usual = upload(&app, &live, "merci.gif", GIF.to_vec()).await;
    let (gif1, gif3) = (
        upload(&app, &live, "vingt.gif", GIF.to_vec()).await,
        upload(&app, &live, "cinq-cents.gif", GIF.to_vec()).await,
    );
    let (wav1, wav2) = (upload(&app, &live, "vingt.wav", wav()).await, upload(&app, &live, "cent.wav", wav()).await);
    // From 20 €: its GIF and sound; from 100 €: its sound, the 20 € GIF; from
    // 500 €: its GIF, the 100 € sound. Every alert its whole duration.
    let query = format!(
        "&duration=1&catch_up=0&goal_alert=0&sound=1&alert_image={usual}&big=20&big_image={gif1}&big_sound={wav1}\
         &big2=100&big2_sound={wav2}&big3=500&big3_image={gif3}"
    );
    with_browser(async |b| {
        b.goto(&alert_url(&app, &live, &query)).await;
        b.wait_live().await;
        record(b).await;
        for (donor, amount) in [
            ("Ana", 1999),
            ("Bea", 2000),
            ("Chloé", 9999),
            ("Dan", 10000),
            ("Eve", 49999),
            ("Fay", 50000),
            ("Gus", 100000),
        ] {
            app.gift(&live, Some(donor), amount, false).await;
        }
        // 150 € of which 60 € given back before its turn: a 90 € alert.
        let hana = app.gift(&live, Some("Hana"), 15000, false).await;
        assert_eq!(app.refund(&live, &hana, json!({"refunded_amount": 6000})).await, reqwest::StatusCode::OK);
        // A test alert is never big, whatever its amount.
        let (s, v) = app
            .post(
                &format!("/api/v1/lives/{}/test-alert", live.id),
                Some(&live.key),
                json!({"donor": "Essai", "amount": 100000}),
            )
            .await;
        assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");

        let (alerts, played) = recorded(b, 9).await;
        let media = |id: &str| json!(format!("/media/{id}"));
        let usual_look = |donor: &str, amount: &str| {
            json!([donor, eur_fr(amount), "", media(&usual), "28px", "80px", "alert-in", 1000])
        };
        let tier1 = |donor: &str, amount: &str| {
            json!([donor, eur_fr(amount), "big", media(&gif1), "35.2px", "104px", "alert-in, big-glow", 1500])
        };
        let tier2 = |donor: &str, amount: &str| {
            json!([donor, eur_fr(amount), "big big2", media(&gif1), "41.6px", "128px", "alert-in, big-glow2", 1500])
        };
        let tier3 = |donor: &str, amount: &str| {
            json!([donor, eur_fr(amount), "big big3", media(&gif3), "48px", "160px", "alert-in, big-glow3", 1500])
        };
        assert_eq!(
            alerts,
            json!([
                usual_look("Ana", "19,99_€"),
                tier1("Bea", "20,00_€"),
                tier1("Chloé", "99,99_€"),
                tier2("Dan", "100,00_€"),
                tier2("Eve", "499,99_€"),
                tier3("Fay", "500,00_€"),
                tier3("Gus", "1~000,00_€"),
                tier1("Hana", "90,00_€"),
                usual_look("Essai", "1~000,00_€"),
            ])
        );
        assert_eq!(
            played,
            json!(["alert.wav", wav1, wav1, wav2, wav2, wav2, wav2, wav1, "alert.wav"]),
            "each tier's sound, the 500 € tier the 100 € one's"
        );
    })
    .await;
}

#[tokio::test]
async fn tiers_out_of_order_are_sorted_and_the_same_amount_twice_is_one_tier() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let (gif_a, gif_b) =
        (upload(&app, &live, "a.gif", GIF.to_vec()).await, upload(&app, &live, "b.gif", GIF.to_vec()).await);
    let wav_a = upload(&app, &live, "a.wav", wav()).await;
    with_browser(async |b| {
        b.reduce_motion().await;
        // `big2` below `big`: the 20 € tier is the first, with its own image
        // (and the fanfare), the 100 € one the second, with its image and sound.
        let query = format!(
            "&duration=1&catch_up=0&goal_alert=0&sound=1&big=100&big_image={gif_a}&big_sound={wav_a}&big2=20&big2_image={gif_b}"
        );
        b.goto(&alert_url(&app, &live, &query)).await;
        b.wait_live().await;
        record(b).await;
        for (donor, amount) in [("Ana", 1999), ("Bea", 2000), ("Chloé", 10000)] {
            app.gift(&live, Some(donor), amount, false).await;
        }
        let (alerts, played) = recorded(b, 3).await;
        let media = |id: &str| json!(format!("/media/{id}"));
        // No glow, no movement under reduced motion.
        assert_eq!(
            alerts,
            json!([
                ["Ana", eur_fr("19,99_€"), "", null, "28px", null, "none", 1000],
                ["Bea", eur_fr("20,00_€"), "big", media(&gif_b), "35.2px", "104px", "none", 1500],
                ["Chloé", eur_fr("100,00_€"), "big big2", media(&gif_a), "41.6px", "128px", "none", 1500],
            ])
        );
        assert_eq!(played, json!(["alert.wav", "fanfare.wav", wav_a]));

        // `big` and `big3` at the same amount: one tier, `big3`'s sound and
        // `big`'s image; `big2` not an amount is left out. A tier's own sound
        // turns the sound on without `sound=1`. A source of its own (`instance`),
        // so that the alert left on screen above is not finished here.
        let query = format!("&instance=second&duration=1&catch_up=0&goal_alert=0&big=50&big_image={gif_a}&big3=50&big3_sound={wav_a}&big2=beaucoup");
        b.goto(&alert_url(&app, &live, &query)).await;
        b.wait_live().await;
        record(b).await;
        app.gift(&live, Some("Dan"), 1000, false).await;
        app.gift(&live, Some("Eve"), 100000, false).await;
        let (alerts, played) = recorded(b, 2).await;
        assert_eq!(
            alerts,
            json!([
                ["Dan", eur_fr("10,00_€"), "", null, "28px", null, "none", 1000],
                ["Eve", eur_fr("1~000,00_€"), "big", media(&gif_a), "35.2px", "104px", "none", 1500],
            ])
        );
        assert_eq!(played, json!(["alert.wav", wav_a]));
    })
    .await;
}

#[tokio::test]
async fn each_tier_says_its_own_sentence_or_the_one_below_s() {
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        let query = "&duration=1&catch_up=0&goal_alert=0&alert_text=Merci%20{donor}%20!&big=20\
                     &big_text=%F0%9F%8E%89%20{donor}%20offre%20{amount}%20!!&big2=50&big3=100&big3_text=WOW%20{amount}%20de%20{donor}";
        b.goto(&alert_url(&app, &live, query)).await;
        b.wait_live().await;
        // Each alert's headline as seen (a hidden amount left out) and its big classes.
        b.js(r#"window.__heads = [];
            var box = document.getElementById("alert"), last = null;
            new MutationObserver(function () {
                if (box.hidden || !box.dataset.id || box.dataset.id === last) return;
                last = box.dataset.id;
                window.__heads.push([box.querySelector(".alert-head").innerText,
                    Array.from(box.classList).filter(function (n) { return /^big/.test(n); }).join(" ")]);
            }).observe(box, {attributes: true, childList: true, subtree: true});"#)
            .await;
        for (donor, amount) in [("Ana", 1000), ("Bea", 2000), ("Chloé", 5000), ("Dan", 10000)] {
            app.gift(&live, Some(donor), amount, false).await;
        }
        let heads = eventually("four alerts", WAIT * 2, || async {
            let v = b.js("return window.__heads").await;
            (v.as_array()?.len() >= 4).then_some(v)
        })
        .await;
        assert_eq!(
            heads,
            json!([
                ["Merci Ana !", ""],
                [eur_fr("🎉 Bea offre 20,00_€ !!"), "big"],
                [eur_fr("🎉 Chloé offre 50,00_€ !!"), "big big2"],
                [eur_fr("WOW 100,00_€ de Dan"), "big big3"],
            ])
        );
    })
    .await;
}

/// Sets the builder's fields (`name` → value) and lets it build its URL.
async fn set_fields(b: &Browser, fields: Value) {
    b.client
        .execute(
            r#"var f = document.getElementById("form");
               var values = arguments[0];
               Object.keys(values).forEach(function (n) { f.elements[n].value = values[n]; });
               f.dispatchEvent(new Event("change"));"#,
            vec![fields],
        )
        .await
        .expect("set the builder's fields");
}

#[tokio::test]
async fn the_builder_sets_the_second_and_third_tiers() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let gif = upload(&app, &live, "cent.gif", GIF.to_vec()).await;
    let sound = upload(&app, &live, "cinq-cents.wav", wav()).await;
    let builder = format!("{}/overlay/lives/{}/builder?token={}", app.base, live.id, live.overlay_token);
    let fields = r##"return ["big", "big2", "big3", "big_image", "big_sound", "big2_image", "big2_sound", "big3_image", "big3_sound"].map(function (n) {
            var input = document.querySelector("#form [name=" + n + "]");
            return [input.closest("label").querySelector("span").textContent,
                    input.tagName === "SELECT" ? Array.from(input.options).map(function (o) { return o.textContent; }) : input.type];
        });"##;
    with_browser(async |b| {
        let library_read = || {
            eventually("the builder reads the library", WAIT, || async {
                (b.js("return document.getElementById('media').dataset.loaded").await == "2").then_some(())
            })
        };
        b.goto(&format!("{builder}&lang=en")).await;
        library_read().await;
        assert_eq!(
            b.js(fields).await,
            json!([
                ["Big alert from (larger, longer)", "number"],
                ["Big alert, level 2, from (larger still)", "number"],
                ["Big alert, level 3, from (the largest)", "number"],
                ["Big alert image", ["the same", "cent.gif"]],
                ["Big alert sound", ["Cagnotte's fanfare", "cinq-cents.wav"]],
                ["Big alert image, level 2", ["same as big alerts", "cent.gif"]],
                ["Big alert sound, level 2", ["same as big alerts", "cinq-cents.wav"]],
                ["Big alert image, level 3", ["same as level 2", "cent.gif"]],
                ["Big alert sound, level 3", ["same as level 2", "cinq-cents.wav"]],
            ])
        );

        b.goto(&builder).await;
        library_read().await;
        assert_eq!(
            b.js(fields).await,
            json!([
                ["Grande alerte à partir de (plus grande, plus longue)", "number"],
                ["Grande alerte, niveau 2, à partir de (encore plus grande)", "number"],
                ["Grande alerte, niveau 3, à partir de (la plus grande)", "number"],
                ["Image des grandes alertes", ["la même", "cent.gif"]],
                ["Son des grandes alertes", ["la fanfare de Cagnotte", "cinq-cents.wav"]],
                ["Image des grandes alertes, niveau 2", ["comme les grandes alertes", "cent.gif"]],
                ["Son des grandes alertes, niveau 2", ["comme les grandes alertes", "cinq-cents.wav"]],
                ["Image des grandes alertes, niveau 3", ["comme le niveau 2", "cent.gif"]],
                ["Son des grandes alertes, niveau 3", ["comme le niveau 2", "cinq-cents.wav"]],
            ])
        );
        set_fields(
            b,
            json!({"widget": "alert", "big": "20", "big2": "100", "big3": "500", "big2_image": gif, "big3_sound": sound}),
        )
        .await;
        let url = b.js("return document.getElementById('url').value").await;
        assert_eq!(
            url,
            format!(
                "{}/overlay/lives/{}/alert?token={}&big=20&big2=100&big3=500&big2_image={gif}&big3_sound={sound}",
                app.base, live.id, live.overlay_token
            )
        );
        assert_eq!(b.js("return document.getElementById('preview').src").await, url);
        // Each tier's sentence.
        set_fields(b, json!({"big_text": "Bravo {donor} !", "big3_text": "WOW {amount}"})).await;
        assert_eq!(
            b.js("return document.getElementById('url').value").await,
            format!(
                "{}/overlay/lives/{}/alert?token={}&big=20&big2=100&big3=500&big_text=Bravo+%7Bdonor%7D+%21&big3_text=WOW+%7Bamount%7D&big2_image={gif}&big3_sound={sound}",
                app.base, live.id, live.overlay_token
            )
        );
        let labels = r##"return ["big_text", "big2_text", "big3_text"].map(function (n) {
            return document.querySelector("#form [name=" + n + "]").closest("label").querySelector("span").textContent;
        });"##;
        assert_eq!(
            b.js(labels).await,
            json!([
                "Texte des grandes alertes (vide\u{a0}: celui des alertes)",
                "Texte des grandes alertes, niveau 2 (vide\u{a0}: celui du niveau 1)",
                "Texte des grandes alertes, niveau 3 (vide\u{a0}: celui du niveau 2)"
            ])
        );
        set_fields(b, json!({"big_text": "", "big3_text": ""})).await;
        // A tier taken off leaves the URL.
        set_fields(b, json!({"big3": "", "big3_sound": ""})).await;
        assert_eq!(
            b.js("return document.getElementById('url').value").await,
            format!(
                "{}/overlay/lives/{}/alert?token={}&big=20&big2=100&big2_image={gif}",
                app.base, live.id, live.overlay_token
            )
        );

        // The overlay of that URL: 500 € is the third tier, with the second's
        // image and its own sound.
        b.goto(url.as_str().unwrap()).await;
        b.wait_live().await;
        record(b).await;
        app.gift(&live, Some("Ana"), 50000, false).await;
        let (alerts, played) = recorded(b, 1).await;
        assert_eq!(
            alerts,
            json!([["Ana", eur_fr("500,00_€"), "big big3", format!("/media/{gif}"), "48px", "160px", "alert-in, big-glow3", 9000]])
        );
        assert_eq!(played, json!([sound]));
    })
    .await;
}
