//! The campaign widgets any live overlay can show: the leaderboard of the
//! campaign's lives and its next live.

use crate::browser::{Browser, eventually, noon_zone, with_browser};
use crate::dashboard::{FR_DAYS, FR_MONTHS};
use crate::helpers::*;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;

/// The rows of the ranked list `#{list}` once it has `len` of them, as `name amount`.
async fn ranking(b: &Browser, list: &str, len: usize) -> Vec<String> {
    let script = format!("return Array.from(document.querySelectorAll('#{list} li')).map(li => li.innerText)");
    let rows = eventually(&format!("{list} has {len} rows"), Duration::from_secs(10), || async {
        b.js(&script).await.as_array().filter(|a| a.len() == len).cloned()
    })
    .await;
    rows.iter().map(|r| r.as_str().unwrap().replace(['\n', '\t'], " ")).collect()
}

#[tokio::test]
async fn the_lives_leaderboard_and_the_next_live_follow_the_campaign() {
    let app = spawn_app().await;
    let live = app.setup().await;
    // The pages' clock where it is about noon: next Wednesday at 19:00 there,
    // whatever today is, so the live is always upcoming.
    let (zone, offset) = noon_zone();
    let today = OffsetDateTime::now_utc().to_offset(offset);
    let ahead = (7 + 2 - i64::from(today.weekday().number_days_from_monday())) % 7 + 7;
    let wednesday = (today + time::Duration::days(ahead)).replace_time(time::macros::time!(19:00));
    let at = wednesday.format(&time::format_description::well_known::Rfc3339).unwrap();
    let next = app.live(&live.campaign_id, json!({"host": "Zoé", "title": "Concert", "scheduled_at": at})).await;
    app.donate_ok(&live, 3000).await;
    app.donate_ok(&next, 1200).await;
    let url = |widget: &str, lang: &str| {
        format!("{}/overlay/lives/{}/{widget}?token={}&lang={lang}&refresh=300", app.base, live.id, live.overlay_token)
    };
    // The campaign's document read every 300 s: another live edited or created
    // shows within seconds all the same (the campaign's totals stream says so).
    with_browser(async |b| {
        b.time_zone(&zone).await;
        b.goto(&url("schedule", "fr")).await;
        b.wait_live().await;
        let text = eventually("the next live shows", Duration::from_secs(10), || async {
            let t =
                b.js("var e = document.getElementById('w-schedule'); return e && !e.hidden ? e.innerText : null").await;
            t.as_str().map(str::to_owned)
        })
        .await;
        // A week or more ahead: the date too, or "mercredi" would name the wrong week.
        let date = format!("{} {}", wednesday.day(), FR_MONTHS[wednesday.month() as usize - 1]);
        assert_eq!(text.replace('\n', " | "), format!("Prochain live | mercredi {date} à 19:00 — Zoé"));
        // Given where it is watched: its channel under it, for viewers to follow.
        let (s, v) = app.patch_live(&next.id, json!({"stream_url": "https://www.twitch.tv/zoe/"})).await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        eventually("the next live's channel", Duration::from_secs(10), || async {
            let t = b.js("return document.getElementById('w-schedule').innerText").await;
            (t.as_str()?.replace('\n', " | ") == format!("Prochain live | mercredi {date} à 19:00 — Zoé | twitch.tv/zoe"))
                .then_some(())
        })
        .await;
        // In the source size the builder gives it (640 × 120), nothing cut off.
        b.set_viewport(640, 120).await;
        let fits = "var r = document.getElementById('w-schedule').getBoundingClientRect(); return [r.bottom <= innerHeight, r.right <= innerWidth, innerHeight]";
        assert_eq!(b.js(fits).await, json!([true, true, 120]));
        // Sooner and sooner lives: within the coming week, the weekday is
        // enough; tomorrow's is "demain"; tonight's "aujourd'hui".
        let at_19 = |days: i64| (today + time::Duration::days(days)).replace_time(time::macros::time!(19:00));
        let in_two_days = format!("{} 19:00 — Léa", FR_DAYS[at_19(2).weekday().number_days_from_monday() as usize]);
        let sooner = [
            (at_19(2), "Léa", in_two_days),
            (at_19(1), "Inès", "demain 19:00 — Inès".to_owned()),
            (today.replace_time(time::macros::time!(23:30)), "Noé", "aujourd'hui 23:30 — Noé".to_owned()),
        ];
        for (when, host, want) in sooner {
            let at = when.format(&time::format_description::well_known::Rfc3339).unwrap();
            app.live(&live.campaign_id, json!({"host": host, "scheduled_at": at})).await;
            eventually(&format!("the sooner live: {want}"), Duration::from_secs(10), || async {
                let t = b.js("return document.getElementById('schedule-next').textContent").await;
                (t == want.as_str()).then_some(())
            })
            .await;
        }

        b.goto(&url("lives", "en")).await;
        b.wait_live().await;
        assert_eq!(ranking(b, "lives-list", 2).await, ["Corentin €30.00", "Zoé — Concert €12.00"]);
        // A donation to another live reorders the board (the campaign's totals stream).
        app.donate_ok(&next, 2000).await;
        eventually("the ranking follows", Duration::from_secs(10), || async {
            let first = b.js("var li = document.querySelector('#lives-list li'); return li ? li.innerText : ''").await;
            first.as_str().filter(|t| t.starts_with("Zoé")).map(|_| ())
        })
        .await;
        // Its title changed by the organisers: on the board within seconds too.
        let (s, v) = app.patch_live(&next.id, json!({"title": "Récital"})).await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        let rows = "return Array.from(document.querySelectorAll('#lives-list li')).map(li => li.innerText.replace(/[\\n\\t]/g, ' '))";
        eventually("the new title", Duration::from_secs(10), || async {
            (b.js(rows).await == json!(["Zoé — Récital €32.00", "Corentin €30.00"])).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn top_donors_match_the_server_even_for_a_donor_the_snapshot_did_not_list() {
    let app = spawn_app().await;
    let live = app.setup().await;
    // Eleven named donors: "Onze" (1,00 €) is not in the snapshot's top ten.
    let names = ["Un", "Deux", "Trois", "Quatre", "Cinq", "Six", "Sept", "Huit", "Neuf", "Dix", "Onze"];
    for (i, name) in names.iter().enumerate() {
        let amount = 1100 - 100 * i as i64;
        let (s, _) = app.donate(&live, json!({"amount": amount, "currency": "EUR", "donor": name})).await;
        assert_eq!(s, reqwest::StatusCode::CREATED);
    }
    let url = format!("{}/overlay/lives/{}/top?token={}&lang=en&refresh=2", app.base, live.id, live.overlay_token);
    with_browser(async |b| {
        b.goto(&url).await;
        b.wait_live().await;
        // Onze gives 20,00 € more: its total is 21,00 €, which puts it first.
        let (s, _) = app.donate(&live, json!({"amount": 2000, "currency": "EUR", "donor": "Onze"})).await;
        assert_eq!(s, reqwest::StatusCode::CREATED);
        let first = eventually("the ranking is the server's", Duration::from_secs(15), || async {
            let v = b.js("var li = document.querySelector('#top-list li'); return li ? li.innerText : ''").await;
            v.as_str().map(|t| t.replace(['\n', '\t'], " ")).filter(|t| t.contains("€21.00"))
        })
        .await;
        assert_eq!(first, "Onze €21.00");
    })
    .await;
}

/// The campaign's own overlay (`/overlay/campaigns/{id}`, campaign overlay token):
/// every live's donations alert, and the goal, totals and top donors are the campaign's.
#[tokio::test]
async fn the_campaign_overlay_follows_every_live_of_the_campaign() {
    let app = spawn_app().await;
    let c = app.campaign(json!({"name": "Restos", "currency": "EUR", "goal": 500000})).await;
    let campaign_id = c["id"].as_str().unwrap().to_owned();
    let overlay_url = c["overlay_url"].as_str().unwrap().to_owned();
    let token = c["overlay_token"].as_str().unwrap();
    assert_eq!(overlay_url, format!("{}/overlay/campaigns/{campaign_id}?token={token}", app.base));
    let (s, _) = app
        .post(
            &format!("/api/v1/campaigns/{campaign_id}/matches"),
            Some(ADMIN),
            json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 2000}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    let mardi = app.live(&campaign_id, json!({"host": "Corentin", "goal": 100000})).await;
    let jeudi = app.live(&campaign_id, json!({"host": "Zoé"})).await;
    with_browser(async |b| {
        b.goto(&format!("{overlay_url}&widgets=alert,goal,campaign,top,lives&lang=en&duration=1&refresh=2")).await;
        b.wait_live().await;
        b.js(r#"
            var a = document.getElementById("alert");
            window.__alerts = [];
            var last = null;
            new MutationObserver(function () {
                var id = a.hidden ? null : (a.dataset.id || null);
                if (id && id !== last) {
                    window.__alerts.push([document.getElementById("alert-donor").textContent,
                        document.getElementById("alert-amount").textContent,
                        document.getElementById("alert-matched").hidden ? "" : document.getElementById("alert-matched").textContent]);
                }
                last = id;
            }).observe(a, {attributes: true, subtree: true, childList: true, characterData: true});
        "#)
        .await;
        let (s, _) = app.donate(&mardi, json!({"amount": 1500, "currency": "EUR", "donor": "Ana"})).await;
        assert_eq!(s, reqwest::StatusCode::CREATED);
        let (s, _) = app.donate(&jeudi, json!({"amount": 3000, "currency": "EUR", "donor": "Bob"})).await;
        assert_eq!(s, reqwest::StatusCode::CREATED);
        let alerts = eventually("both lives' donations alert", Duration::from_secs(15), || async {
            let v = b.js("return window.__alerts").await;
            v.as_array().filter(|a| a.len() == 2).cloned()
        })
        .await;
        assert_eq!(
            serde_json::Value::Array(alerts),
            json!([["Ana", "€15.00", "doubled! +€15.00"], ["Bob", "€30.00", "matched! +€5.00"]])
        );
        let text = |id: &'static str| async move {
            b.js(&format!("return document.getElementById('{id}').textContent")).await.as_str().unwrap().to_owned()
        };
        // 45,00 € given, 20,00 € matched (the cap), against the campaign's 5 000,00 € goal.
        eventually("the campaign's totals", Duration::from_secs(10), || async {
            (text("campaign-total").await == "€65.00 / €5,000.00" && text("goal-label").await == "€65.00 / €5,000.00")
                .then_some(())
        })
        .await;
        assert_eq!(text("goal-title").await, "Campaign goal");
        assert_eq!(ranking(b, "top-list", 2).await, ["Bob €30.00", "Ana €15.00"]);
        assert_eq!(ranking(b, "lives-list", 2).await, ["Zoé €35.00", "Corentin €30.00"]);
    })
    .await;
}

/// The countdown's lines (who, label, time), or `None` while it is hidden.
async fn countdown(b: &Browser) -> Option<Vec<String>> {
    let v = b
        .js("var w = document.getElementById('w-countdown');
             return w.hidden ? null : ['countdown-who', 'countdown-label', 'countdown-time']
               .map(id => document.getElementById(id).textContent)")
        .await;
    v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect::<Vec<_>>())
}

#[tokio::test]
async fn the_countdown_counts_down_to_the_live_then_says_it_started() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = &live.campaign_id;
    let on_air = app.live(c, json!({"host": "Léa", "scheduled_at": from_now(-600), "duration_minutes": 120})).await;
    let over = app.live(c, json!({"host": "Tom", "scheduled_at": from_now(-5 * 3600), "duration_minutes": 60})).await;
    let later = app.live(c, json!({"host": "Inès", "scheduled_at": from_now(3 * 24 * 3600)})).await;
    let page = |l: &TestLive, query: &str| {
        format!("{}/overlay/lives/{}/countdown?token={}{query}", app.base, l.id, l.overlay_token)
    };
    with_browser(async |b| {
        // Made once the browser is ours (other tests may hold it a while): two minutes and five seconds ahead.
        let soon = app
            .live(c, json!({"host": "Zoé", "title": "Concert", "scheduled_at": from_now(125), "duration_minutes": 60}))
            .await;
        b.goto(&page(&soon, "")).await;
        b.wait_live().await;
        let shown = eventually("the countdown", Duration::from_secs(10), || async { countdown(b).await }).await;
        assert_eq!(shown[..2], ["Zoé — Concert", "Le live commence dans"]);
        // Two minutes and a few seconds, to the second.
        assert!(shown[2].starts_with("2:0") && shown[2].len() == 4, "{shown:?}");
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let again = countdown(b).await.unwrap();
        assert_ne!(again[2], shown[2], "it counts down");

        b.goto(&page(&on_air, "&lang=en")).await;
        b.wait_live().await;
        let shown = eventually("started", Duration::from_secs(10), || async { countdown(b).await }).await;
        assert_eq!(shown, ["Léa", "Here we go!", ""]);

        // Over: nothing; far ahead: "Prochain live", its day and time.
        b.goto(&page(&over, "")).await;
        b.wait_live().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(countdown(b).await, None);
        b.goto(&page(&later, "")).await;
        b.wait_live().await;
        let shown = eventually("far ahead", Duration::from_secs(10), || async { countdown(b).await }).await;
        let when = OffsetDateTime::now_utc() + time::Duration::days(3);
        let day = FR_DAYS[when.weekday().number_days_from_monday() as usize];
        assert!(shown[1] == "Prochain live" && shown[2].starts_with(day) && shown[2].contains(':'), "{shown:?}");

        // A campaign's overlay counts down to its next live.
        let (s, r) = app.post(&format!("/api/v1/campaigns/{c}/rotate"), Some(ADMIN), json!({})).await;
        assert_eq!(s, reqwest::StatusCode::OK, "{r}");
        b.goto(&format!("{}/overlay/campaigns/{c}/countdown?token={}", app.base, r["overlay_token"].as_str().unwrap()))
            .await;
        b.wait_live().await;
        let shown =
            eventually("the campaign's next live", Duration::from_secs(10), || async { countdown(b).await }).await;
        assert_eq!(shown[..2], ["Zoé — Concert", "Le live commence dans"]);

        // Called off: the live's own countdown says so at once and counts no more.
        b.goto(&page(&soon, "")).await;
        b.wait_live().await;
        eventually("the countdown", Duration::from_secs(10), || async { countdown(b).await }).await;
        let (s, _) = app.patch_live(&soon.id, json!({"cancelled": true})).await;
        assert_eq!(s, reqwest::StatusCode::OK);
        let want = ["Zoé — Concert".to_owned(), "Live annulé".to_owned(), String::new()];
        eventually("cancelled", Duration::from_secs(10), || async { (countdown(b).await? == want).then_some(()) })
            .await;
    })
    .await;
}

/// The marathon timer's lines (label, time, rule, added), or `None` while hidden.
async fn timer(b: &Browser) -> Option<Vec<String>> {
    let v = b
        .js("var w = document.getElementById('w-timer');
             return w.hidden ? null : ['timer-label', 'timer-time', 'timer-rule', 'timer-added']
               .map(id => document.getElementById(id).textContent)")
        .await;
    v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect::<Vec<_>>())
}

/// Waits until the timer reads `label`, a time for which `time` holds, `rule` and `added`.
async fn wait_timer(b: &Browser, label: &str, time: impl Fn(&str) -> bool, rule: &str, added: &str) -> String {
    let (rule, added) = (fr(rule), fr(added));
    eventually(&format!("the timer: {label}, {rule}, {added}"), Duration::from_secs(10), || async {
        let t = timer(b).await?;
        (t[0] == label && time(&t[1]) && t[2] == rule && t[3] == added).then(|| t[1].clone())
    })
    .await
}

/// A marathon whose donations add time: from the live's start, its length and
/// what the live's total added ("+2 min" for every 10 €), a refund taking its
/// time back, a cap, before the start and after the end.
#[tokio::test]
async fn donations_add_time_to_the_marathon_timer() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    // On air for ten minutes of its two hours.
    let on_air = app.live(&c, json!({"host": "Léa", "scheduled_at": from_now(-600), "duration_minutes": 120})).await;
    let later = app.live(&c, json!({"host": "Tom", "scheduled_at": from_now(3600)})).await;
    let over = app.live(&c, json!({"host": "Zoé", "scheduled_at": from_now(-3 * 3600), "duration_minutes": 60})).await;
    let page =
        |l: &TestLive, q: &str| format!("{}/overlay/lives/{}/timer?token={}{q}", app.base, l.id, l.overlay_token);
    with_browser(async |b| {
        b.goto(&page(&on_air, "&timer_step=10&timer_add=2")).await;
        b.wait_live().await;
        // 1:50:00 less the seconds since it was made.
        let near = |lo: &'static str, at: &'static str| move |t: &str| t.starts_with(lo) || t == at;
        let rule = "+2 min par tranche de 10,00_€";
        let first = wait_timer(b, "Fin du marathon dans", near("1:49:", "1:50:00"), rule, "").await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_ne!(timer(b).await.unwrap()[1], first, "it counts down");
        // 25 €: two steps of 10 €, four minutes more, flashed.
        app.donate(&on_air, json!({"amount": 2500, "currency": "EUR", "donor": "Ana"})).await;
        wait_timer(b, "+4 min de marathon\u{a0}!", near("1:53:", "1:54:00"), rule, "· déjà +4 min").await;
        assert_eq!(b.js("return document.getElementById('w-timer').dataset.plus").await, "1");
        // Three seconds later, the label again (the picture of docs/overlays.md).
        wait_timer(b, "Fin du marathon dans", near("1:53:", "1:54:00"), rule, "· déjà +4 min").await;
        b.screenshot_element("#w-timer", "timer").await;
        // 10 € of it given back: one step left.
        let id = app.events(&on_air, 0).await.iter().find(|e| e["type"] == "donation").unwrap()["donation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(app.refund(&on_air, &id, json!({"refunded_amount": 1000})).await, reqwest::StatusCode::OK);
        wait_timer(b, "Fin du marathon dans", near("1:51:", "1:52:00"), rule, "· déjà +2 min").await;

        // Before its start: the length won so far, up to its cap (90 minutes, 10 at most from gifts).
        b.goto(&page(&later, "&timer_minutes=90&timer_max=100&timer_step=5&timer_add=0.5&lang=en")).await;
        b.wait_live().await;
        let exactly = |at: &'static str| move |t: &str| t == at;
        let rule = "+30 s for every €5.00";
        wait_timer(b, "Marathon length", exactly("1:30:00"), rule, "").await;
        app.donate(&later, json!({"amount": 1500, "currency": "EUR", "donor": "Bob"})).await;
        wait_timer(b, "+1 min 30 s of marathon!", exactly("1:31:30"), rule, "· +1 min 30 s so far").await;
        app.donate(&later, json!({"amount": 50000, "currency": "EUR", "donor": "Bob"})).await;
        wait_timer(b, "Marathon length", exactly("1:40:00"), rule, "· +10 min so far").await;

        // Over: it says so, with what the donations added.
        app.donate(&over, json!({"amount": 1000, "currency": "EUR", "donor": "Eve"})).await;
        b.goto(&page(&over, "")).await;
        b.wait_live().await;
        wait_timer(b, "Marathon terminé\u{a0}!", exactly(""), "+1 min par tranche de 10,00_€", "· déjà +1 min").await;
    })
    .await;
    // A campaign's overlay has no marathon timer: each live has its own.
    let (s, r) = app.post(&format!("/api/v1/campaigns/{c}/rotate"), Some(ADMIN), json!({})).await;
    assert_eq!(s, reqwest::StatusCode::OK, "{r}");
    let token = r["overlay_token"].as_str().unwrap();
    let (s, e) = app.get(&format!("/overlay/campaigns/{c}/timer?token={token}")).await;
    assert_eq!((s, e["error"].as_str()), (reqwest::StatusCode::NOT_FOUND, Some("widget_not_found")), "{e}");
}

#[tokio::test]
async fn the_hosts_leaderboard_adds_up_each_host_s_lives() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    let mon = app.live(&c, json!({"host": "Ana", "title": "Lundi"})).await;
    let wed = app.live(&c, json!({"host": "ana", "title": "Mercredi"})).await;
    let zoe = app.live(&c, json!({"host": "Zoé"})).await;
    for (l, amount) in [(&mon, 1000), (&wed, 700), (&zoe, 1500)] {
        app.donate_ok(l, amount).await;
    }
    with_browser(async |b| {
        // The overlay's leaderboard by host: Ana's two lives added up.
        b.goto(&format!(
            "{}/overlay/lives/{}/lives?token={}&lives_by=host&refresh=2",
            app.base, zoe.id, zoe.overlay_token
        ))
        .await;
        b.wait_live().await;
        assert_eq!(ranking(b, "lives-list", 2).await, [fr("Ana 17,00_€"), fr("Zoé 15,00_€")]);
        assert_eq!(b.js("return document.getElementById('lives-title').textContent").await, "Classement des hôtes");
        // Zoé's donation moves her up at once.
        app.donate_ok(&zoe, 500).await;
        eventually("Zoé first", Duration::from_secs(10), || async {
            let first = b.js("return document.querySelector('#lives-list li').innerText").await;
            (first.as_str().unwrap_or_default().replace(['\n', '\t'], " ") == fr("Zoé 20,00_€")).then_some(())
        })
        .await;

        // The campaign's public page: its hosts, each one's lives and total, following donations.
        b.goto(&format!("{}/campaigns/{c}", app.base)).await;
        let rows = || async {
            b.js("var box = document.getElementById('hosts-box'); if (box.hidden) return null;
                  return Array.from(document.querySelectorAll('#hosts tbody tr')).map(tr => Array.from(tr.cells).map(c => c.textContent))")
                .await
        };
        let want = json!([["Zoé", "1", fr("20,00_€")], ["Ana", "2", fr("17,00_€")]]);
        eventually("the hosts leaderboard", Duration::from_secs(10), || async { (rows().await == want).then_some(()) })
            .await;
        app.donate_ok(&wed, 400).await;
        let want = json!([["Ana", "2", fr("21,00_€")], ["Zoé", "1", fr("20,00_€")]]);
        eventually("Ana first again", Duration::from_secs(10), || async { (rows().await == want).then_some(()) }).await;
        // Her Monday called off: one live of hers left, her total kept (its gifts count).
        let (s, _) = app.patch_live(&mon.id, json!({"cancelled": true})).await;
        assert_eq!(s, reqwest::StatusCode::OK);
        let want = json!([["Ana", "1", fr("21,00_€")], ["Zoé", "1", fr("20,00_€")]]);
        eventually("Monday not counted", Duration::from_secs(10), || async { (rows().await == want).then_some(()) })
            .await;
    })
    .await;
}

fn fr(s: &str) -> String {
    crate::dashboard::fr(s)
}
