//! The credits roll: every donor viewers may see by name, the totals, the
//! sponsors and the next live, rolling up; a name that comes while it rolls.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::FR_DAYS;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;

const WAIT: Duration = Duration::from_secs(20);
const NBSP: char = '\u{a0}';

/// The roll's lines in order (a donor's name and amount as one line), once
/// `until` holds for them.
async fn lines(b: &Browser, until: impl Fn(&[String]) -> bool) -> Vec<String> {
    eventually("the credits' lines", WAIT, || async {
        let v = b
            .js("return Array.from(document.querySelectorAll('#credits-roll [data-key]:not(.credits-donors)'))
                   .map(n => n.textContent)")
            .await;
        let v: Vec<String> = serde_json::from_value(v).ok()?;
        until(&v).then_some(v)
    })
    .await
}

/// Where a line is on screen (its top, in CSS pixels), found by its key.
async fn top_of(b: &Browser, key: &str) -> f64 {
    let script = format!(
        "var n = Array.from(document.querySelectorAll('#credits-roll [data-key]')).filter(n => n.dataset.key === {key:?})[0];
         return n ? n.getBoundingClientRect().top : null"
    );
    b.js(&script).await.as_f64().unwrap_or_else(|| panic!("no line {key}"))
}

/// The last line's middle and the screen's: `[line, screen]`.
async fn end_line(b: &Browser) -> serde_json::Value {
    b.js("var r = document.getElementById('credits-roll').lastElementChild.getBoundingClientRect();
          return [r.top + r.height / 2, innerHeight / 2]")
        .await
}

#[tokio::test]
async fn the_credits_roll_thanks_every_donor_and_follows_the_live() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Noël solidaire", "currency": "EUR", "charity": "Les Restos du Cœur"})).await;
    let campaign = c["id"].as_str().unwrap().to_owned();
    let (s, m) = app
        .post(
            &format!("/api/v1/campaigns/{campaign}/matches"),
            Some(ADMIN),
            json!({"sponsor": "Boulangerie Martin", "ratio": [1, 1], "cap": 2000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let live = app.live(&campaign, json!({"host": "Ana", "title": "Dessin en direct"})).await;
    // The next live, in two days at 19:00 UTC.
    let soon = (OffsetDateTime::now_utc() + time::Duration::days(2)).replace_time(time::macros::time!(19:00));
    let at = soon.format(&time::format_description::well_known::Rfc3339).unwrap();
    let next = app
        .live(&campaign, json!({"host": "Zoé", "scheduled_at": at, "stream_url": "https://www.twitch.tv/zoe"}))
        .await;
    let give = |donor: Option<&str>, amount: i64, anonymous: bool| json!({"amount": amount, "currency": "EUR", "donor": donor, "anonymous": anonymous});
    for (donor, amount, anonymous) in [
        (Some("Chloé"), 1500, false),
        (Some("Bob"), 500, false),
        (Some("Secret"), 2000, true),
        (None, 700, false),
        (Some("Bob"), 800, false),
    ] {
        let (s, d) = app.donate(&live, give(donor, amount, anonymous)).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
    }
    let (s, d) = app.donate(&next, give(Some("Inès"), 4000, false)).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let day = FR_DAYS[soon.weekday().number_days_from_monday() as usize];
    let page =
        |query: &str| format!("{}/overlay/lives/{}/credits?token={}{query}", app.base, live.id, live.overlay_token);

    with_browser(async |b| {
        b.goto(&page("")).await;
        b.wait_live().await;
        let eur = |s: &str| s.replace(' ', &NBSP.to_string());
        let want: Vec<String> = [
            "Merci\u{a0}!",
            "Ana",
            "Dessin en direct",
            "Noël solidaire",
            "Au profit de Les Restos du Cœur",
            "Récolté",
            // The sponsor's 20 € (its whole budget) on top of 55 € given.
            &eur("75,00 €"),
            &format!("dont 55,00{NBSP}€ de vos dons et 20,00{NBSP}€ des partenaires"),
            "Merci à",
            "Chloé",
            "Bob",
            "et 2 dons anonymes",
            "Avec le soutien de",
            "Boulangerie Martin",
            "Prochain live",
            &format!("{day} 19:00 — Zoé"),
            // Where to follow her: the viewers' next stop.
            "twitch.tv/zoe",
            "À bientôt\u{a0}!",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(lines(b, |l| l.len() == want.len()).await, want);

        // It rolls up from the bottom of the source.
        let first = top_of(b, "thanks").await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let later = top_of(b, "thanks").await;
        assert!(later < first - 5.0, "the roll moves up: {first} then {later}");

        // A donation while it rolls: its donor joins at their rank, the total follows.
        let (s, d) = app.donate(&live, give(Some("Dan"), 900, false)).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let now = lines(b, |l| l.iter().any(|x| x == "Dan")).await;
        assert_eq!(
            &now[6..12],
            [
                eur("84,00 €"),
                format!("dont 64,00{NBSP}€ de vos dons et 20,00{NBSP}€ des partenaires"),
                "Merci à".into(),
                "Chloé".into(),
                "Bob".into(),
                "Dan".into()
            ]
        );

        // In English with each donor's amount, rolled once: the last line rests mid-screen.
        b.goto(&page("&lang=en&credits_amounts=1&loop=0&speed=400")).await;
        b.wait_live().await;
        let en = lines(b, |l| l.first().is_some_and(|x| x == "Thank you!") && l.len() == 19).await;
        assert_eq!(
            en[1..18],
            [
                "Ana",
                "Dessin en direct",
                "Noël solidaire",
                "For Les Restos du Cœur",
                "Raised",
                "€84.00",
                "€64.00 from your donations, €20.00 from sponsors",
                "Thanks to",
                "Chloé €15.00",
                "Bob €13.00",
                "Dan €9.00",
                "and 2 anonymous gifts",
                "With the support of",
                "Boulangerie Martin",
                "Next live",
                en[16].as_str(),
                "twitch.tv/zoe",
            ]
        );
        assert!(en[16].ends_with("7:00\u{202f}PM — Zoé") || en[16].ends_with("7:00 PM — Zoé"), "{}", en[16]);
        eventually("the roll stops", Duration::from_secs(60), || async {
            (b.js("return document.getElementById('w-credits').dataset.rolled").await == "1").then_some(())
        })
        .await;
        let rest = end_line(b).await;
        let (mid, centre) = (rest[0].as_f64().unwrap(), rest[1].as_f64().unwrap());
        assert!((mid - centre).abs() < 2.0, "the end rests mid-screen: {mid} against {centre}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(end_line(b).await, rest, "and stays");
        assert_eq!(
            b.js("return document.getElementById('credits-roll').lastElementChild.textContent").await,
            "See you soon!"
        );
    })
    .await;
}

#[tokio::test]
async fn a_name_that_comes_while_the_credits_roll_moves_no_line_on_screen() {
    let app = spawn_app().await;
    let live = app.setup().await;
    for (donor, amount) in [("Ana", 900), ("Bob", 800), ("Chloé", 700), ("Dan", 600), ("Eve", 500)] {
        let (s, d) = app.donate(&live, json!({"amount": amount, "currency": "EUR", "donor": donor})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
    }
    let url = format!("{}/overlay/lives/{}/credits?token={}&speed=200", app.base, live.id, live.overlay_token);
    with_browser(async |b| {
        b.goto(&url).await;
        b.wait_live().await;
        lines(b, |l| l.iter().any(|x| x == "Eve")).await;
        // From now on, the greatest drop of a line on screen from one frame to the next.
        b.js("window.__drop = 0; var last = {};
              (function watch() {
                var now = {};
                document.querySelectorAll('#credits-roll [data-key]').forEach(function (n) {
                  var r = n.getBoundingClientRect();
                  if (r.bottom > 0 && r.top < innerHeight) now[n.dataset.key] = r.top;
                });
                Object.keys(now).forEach(function (k) {
                  if (k in last && now[k] - last[k] > window.__drop) { window.__drop = now[k] - last[k]; window.__what = k + ' ' + last[k] + ' -> ' + now[k] + ' ' + JSON.stringify(now); }
                });
                last = now;
                requestAnimationFrame(watch);
              })();")
            .await;
        // Ana's line on screen, rolling up.
        eventually("Ana on screen", Duration::from_secs(60), || async { (top_of(b, "d:Ana").await < 700.0).then_some(()) })
            .await;
        // A bigger gift puts Zoé above Ana, whose line is on screen: the total
        // follows at once, the name once Ana's line has rolled past.
        let (s, d) = app.donate(&live, json!({"amount": 5000, "currency": "EUR", "donor": "Zoé"})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        eventually("the total", WAIT, || async {
            let total = b.js("return document.querySelector('[data-key=raised]').textContent").await;
            (total == format!("85,00{NBSP}€").as_str()).then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let seen = b
            .js("var ana = Array.from(document.querySelectorAll('[data-key]')).filter(n => n.dataset.key === 'd:Ana')[0];
                 return [ana.getBoundingClientRect().bottom, document.querySelector('#credits-roll').textContent.includes('Zoé')]")
            .await;
        if seen[0].as_f64().unwrap() > 0.0 {
            assert_eq!(seen[1], false, "Zoé's name waits while Ana's line is on screen");
        }
        let now = lines(b, |l| l.iter().any(|x| x == "Zoé")).await;
        assert_eq!(now.iter().position(|x| x == "Zoé"), now.iter().position(|x| x == "Ana").map(|i| i - 1));
        // A line is about 36 px high: drawn at once, Ana's would have dropped by one.
        let drop = b.js("return window.__drop").await.as_f64().unwrap();
        let what = b.js("return window.__what || ''").await;
        assert!(drop < 2.0, "no line on screen moved down: {drop} px {what}");
    })
    .await;
}

#[tokio::test]
async fn with_less_motion_the_credits_stand_still_and_fit_their_source() {
    let app = spawn_app().await;
    let live = app.setup().await;
    for i in 1..=30 {
        let (s, d) =
            app.donate(&live, json!({"amount": 100 * i, "currency": "EUR", "donor": format!("Donateur {i:02}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
    }
    let url = format!("{}/overlay/lives/{}/credits?token={}", app.base, live.id, live.overlay_token);
    with_browser(async |b| {
        b.reduce_motion().await;
        b.goto(&url).await;
        b.wait_live().await;
        let got = lines(b, |l| l.iter().any(|x| x == "Donateur 01")).await;
        assert_eq!(&got[got.len() - 3..], ["Donateur 02", "Donateur 01", "À bientôt\u{a0}!"]);
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Thirty names in three columns, all of it on screen and not moving.
        let v = b
            .js("var w = document.getElementById('w-credits'), r = document.getElementById('credits-roll').getBoundingClientRect();
                 return [w.dataset.still, document.querySelector('.credits-donors').className, r.top, r.bottom <= innerHeight + 1,
                         getComputedStyle(document.getElementById('credits-roll')).transform]")
            .await;
        assert_eq!(v, json!(["1", "credits-donors cols-3", 0, true, "none"]));
        b.screenshot_element("#w-credits", "credits").await;
    })
    .await;
}

#[tokio::test]
async fn a_campaigns_credits_thank_every_lives_donors() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    app.donate(&live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
    app.donate(&other, json!({"amount": 3000, "currency": "EUR", "donor": "Gus"})).await;
    app.donate(&other, json!({"amount": 500, "currency": "EUR", "donor": "émile"})).await;
    let (s, c) = app.post(&format!("/api/v1/campaigns/{}/rotate", live.campaign_id), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let token = c["overlay_token"].as_str().unwrap();
    // A page of its own: not in a list of widgets.
    let (s, e) =
        app.get(&format!("/overlay/lives/{}?token={}&widgets=alert,credits", live.id, live.overlay_token)).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_widgets")), "{e}");
    with_browser(async |b| {
        b.goto(&format!("{}/overlay/campaigns/{}/credits?token={token}&lang=en", app.base, live.campaign_id)).await;
        b.wait_live().await;
        let got = lines(b, |l| l.len() == 9).await;
        assert_eq!(
            got,
            ["Thank you!", "Restos", "Raised", "€45.00", "Thanks to", "Gus", "Ana", "émile", "See you soon!"]
        );
        // The roll ends with its farewell.
        let last = b.js("return document.getElementById('credits-roll').lastElementChild.textContent").await;
        assert_eq!(last, "See you soon!");
        // By name, as French sorts them (accents and case aside).
        b.goto(&format!(
            "{}/overlay/campaigns/{}/credits?token={token}&credits_order=name",
            app.base, live.campaign_id
        ))
        .await;
        b.wait_live().await;
        let got = lines(b, |l| l.len() == 9).await;
        assert_eq!(got[5..8], ["Ana", "émile", "Gus"]);
        // Nor in the scene of every widget.
        b.goto(&format!("{}/overlay/campaigns/{}?token={token}", app.base, live.campaign_id)).await;
        b.wait_live().await;
        assert_eq!(
            b.js("return [!!document.getElementById('w-alert'), !!document.getElementById('w-credits')]").await,
            json!([true, false])
        );
    })
    .await;
}

#[tokio::test]
async fn the_credits_recall_the_milestones_reached_and_the_prizes_won() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let milestones = format!("/api/v1/lives/{}/milestones", live.id);
    for (amount, label) in [(5000, "Cheveux roses"), (90000, "Nuit blanche")] {
        let (s, m) = app.post(&milestones, Some(&host), json!({"amount": amount, "label": label})).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
    }
    let (s, c) = app
        .post(
            &format!("/api/v1/lives/{}/challenges", live.id),
            Some(&host),
            json!({"label": "Je chante", "amount": 1000, "minutes": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    app.donate(&live, json!({"amount": 6000, "currency": "EUR", "donor": "Ana"})).await;
    let draws = format!("/api/v1/lives/{}/draws", live.id);
    let (s, d) = app.post(&draws, Some(&host), json!({"prize": "Dessin original"})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    // A poll decided by the donors (anonymously: the second draw below is among anonymous gifts).
    let poll = |question: &'static str, options: [&'static str; 2], vote: &'static str| {
        let (app, live, host) = (&app, &live, host.clone());
        async move {
            let path = format!("/api/v1/lives/{}/polls", live.id);
            let (s, p) = app.post(&path, Some(&host), json!({"question": question, "options": options})).await;
            assert_eq!(s, StatusCode::CREATED, "{p}");
            app.donate(
                live,
                json!({"amount": 800, "currency": "EUR", "donor": "Bob", "anonymous": true, "message": vote}),
            )
            .await;
            let close = format!("{path}/{}/close", p["id"].as_str().unwrap());
            let (s, p) = app.post(&close, Some(&host), json!({})).await;
            assert_eq!(s, StatusCode::OK, "{p}");
        }
    };
    poll("Quel jeu ensuite ?", ["Zelda", "Mario"], "#zelda").await;
    // Fast, so that a line added where the roll is on screen joins within seconds.
    let url = format!("{}/overlay/lives/{}/credits?token={}&speed=400", app.base, live.id, live.overlay_token);
    with_browser(async |b| {
        b.goto(&url).await;
        b.wait_live().await;
        let got = lines(b, |l| l.iter().any(|x| x == "Tirages au sort")).await;
        let from = got.iter().position(|x| x == "Paliers atteints").expect("the milestones reached");
        // By amount: the challenge (met at 10 €), then the pink hair; the night not reached.
        assert_eq!(
            got[from..],
            [
                "Paliers atteints",
                "Je chante",
                "Cheveux roses",
                "Tirages au sort",
                "Dessin original\u{a0}: Ana",
                "Vous avez choisi",
                "Quel jeu ensuite\u{a0}? — Zelda l'emporte\u{a0}!",
                "À bientôt\u{a0}!"
            ]
        );
        // A prize drawn while the credits are open, won anonymously.
        app.donate(&live, json!({"amount": 700, "currency": "EUR", "donor": "Zoé", "anonymous": true})).await;
        let (s, d) = app.post(&draws, Some(&host), json!({"prize": "Affiche"})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        let got = lines(b, |l| l.iter().any(|x| x.starts_with("Affiche"))).await;
        let from = got.iter().position(|x| x == "Tirages au sort").unwrap();
        assert_eq!(
            got[from..from + 3],
            ["Tirages au sort", "Dessin original\u{a0}: Ana", "Affiche\u{a0}: Un donateur anonyme"]
        );
        // A poll closed while the credits are open.
        poll("Et après ?", ["Dodo", "Encore"], "Allez #encore").await;
        let got = lines(b, |l| l.iter().any(|x| x.starts_with("Et après"))).await;
        let from = got.iter().position(|x| x == "Vous avez choisi").unwrap();
        assert_eq!(
            got[from..],
            [
                "Vous avez choisi",
                "Quel jeu ensuite\u{a0}? — Zelda l'emporte\u{a0}!",
                "Et après\u{a0}? — Encore l'emporte\u{a0}!",
                "À bientôt\u{a0}!"
            ]
        );
    })
    .await;
}
