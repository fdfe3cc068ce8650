//! The public pages in real headless Chromium, at a phone's size: what viewers
//! see of a live and of a campaign, updated live over the public stream; and
//! the CSV export downloaded from the dashboard, parsed back by Python.

use crate::browser::{Browser, eventually, noon_zone, with_browser};
use crate::dashboard::{FR_DAYS, FR_MONTHS, fr, on, sign_in, text, wait_text};
use crate::helpers::{ADMIN, TestApp, TestLive, from_now, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A EUR campaign (goal 5 000 €) with a sponsor doubling up to 50 €, and two lives.
async fn setup(app: &TestApp) -> (TestLive, TestLive) {
    let c = app
        .campaign(json!({
            "name": "Restos 2026", "currency": "EUR", "goal": 500000, "charity": "Les Restos du cœur",
            "donate_url": "https://dons.example.org/restos",
        }))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post(
            &format!("/api/v1/campaigns/{cid}/matches"),
            Some(ADMIN),
            json!({"sponsor": "Fondation Tartempion", "ratio": [1, 1], "cap": 5000}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let a = app
        .live(
            &cid,
            json!({"host": "Corentin", "title": "Soirée jeux", "goal": 100000, "scheduled_at": "2020-01-01T20:00:00Z",
                   "duration_minutes": 60}),
        )
        .await;
    let b = app.live(&cid, json!({"host": "Ana", "scheduled_at": "2040-06-01T18:00:00Z"})).await;
    (a, b)
}

async fn donate(app: &TestApp, live: &TestLive, body: Value) -> Value {
    let (s, v) = app.donate(live, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn phone(b: &Browser) {
    b.client.set_window_size(390, 844).await.expect("phone size");
}

/// No sideways scrolling: everything fits the phone's width.
async fn fits_width(b: &Browser) {
    let v = b.js("return [document.documentElement.scrollWidth, window.innerWidth]").await;
    let (w, inner) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
    assert!(w <= inner, "page is {w}px wide in a {inner}px window");
    // Nor inside a table's box (the schedule's four columns included).
    let wide = b
        .js(r#"return Array.from(document.querySelectorAll(".table-wrap")).filter(function (w) {
            return w.offsetParent && w.scrollWidth > w.clientWidth;
        }).map(function (w) { return w.firstElementChild.id + " " + w.scrollWidth + "/" + w.clientWidth; });"#)
        .await;
    assert_eq!(wide, json!([]), "tables scrolling sideways");
}

/// Opens `url` at a phone's size and waits for the page's snapshot.
async fn open_on_phone(b: &Browser, url: &str) {
    phone(b).await;
    b.goto(url).await;
    wait_page_live(b).await;
}

async fn wait_page_live(b: &Browser) {
    eventually("the page receives its snapshot", WAIT, || async {
        (b.js("return document.body.dataset.state").await == "live").then_some(())
    })
    .await;
}

async fn recent(b: &Browser) -> Vec<Vec<String>> {
    let v = b
        .js(r##"return Array.from(document.querySelectorAll("#recent li[data-id]")).map(function (li) {
            var t = function (s) { var n = li.querySelector(s); return n ? n.textContent : ""; };
            return [t(".donor"), t(".amount"), t(".matched"), t(".message")];
        });"##)
        .await;
    serde_json::from_value(v).expect("recent rows")
}

async fn wait_recent(b: &Browser, expected: &[[&str; 4]]) {
    let expected: Vec<Vec<String>> = expected.iter().map(|r| r.iter().map(|c| fr(c)).collect()).collect();
    eventually(&format!("recent donations {expected:?}"), WAIT, || async {
        (recent(b).await == expected).then_some(())
    })
    .await;
}

#[tokio::test]
async fn names_without_spaces_wrap_on_a_phone() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Campagne_sans_la_moindre_espace_pour_voir_2026", "currency": "EUR",
                         "charity": "Association_au_nom_interminable_et_sans_espace"}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let live = app
        .live(
            &cid,
            json!({"host": "Un_pseudo_de_streamer_sans_la_moindre_espace_2026",
                           "title": "Titre_sans_espaces_pour_voir_ce_qui_se_passe"}),
        )
        .await;
    donate(
        &app,
        &live,
        json!({"amount": 1000, "currency": "EUR", "donor": "X".repeat(64), "message": "y".repeat(300)}),
    )
    .await;
    with_browser(async |b| {
        phone(b).await;
        for page in [format!("/lives/{}", live.id), format!("/campaigns/{cid}")] {
            b.goto(&format!("{}{page}", app.base)).await;
            wait_page_live(b).await;
            wait_text(b, "#recent li[data-id] .donor", &"X".repeat(64)).await;
            fits_width(b).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_live_without_its_own_goal_says_the_campaign_total_once() {
    let app = spawn_app().await;
    let (with_goal, without) = setup(&app).await;
    donate(&app, &without, json!({"amount": 1000, "currency": "EUR", "donor": "Zoé"})).await;
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}", app.base, without.id)).await;
        wait_page_live(b).await;
        // The goal line is the campaign's: the campaign's total is not said twice.
        wait_text(b, "#goal-label", &fr("Campagne_: 20,00_€ sur 5~000,00_€ (0_%)")).await;
        assert_eq!(b.js("return document.getElementById('campaign-total').hidden").await, true);
        b.goto(&format!("{}/lives/{}", app.base, with_goal.id)).await;
        wait_page_live(b).await;
        wait_text(b, "#goal-label", &fr("0,00_€ sur 1~000,00_€ (0_%)")).await;
        assert_eq!(b.js("return document.getElementById('campaign-total').hidden").await, false);
        assert_eq!(text(b, "#campaign-total").await, fr("Campagne_: 20,00_€"));
    })
    .await;
}

#[tokio::test]
async fn screen_readers_hear_each_new_donation_and_the_goal_progress() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    with_browser(async |b| {
        // 37,50 € doubled: 75 € of the live's 1 000 € (7 %); then 37,50 € more and the
        // 12,50 € left of the match: 125 € of the campaign's 5 000 € (2 %).
        for (page, progress) in
            [(format!("/lives/{}", live.id), "7"), (format!("/campaigns/{}", live.campaign_id), "2")]
        {
            b.goto(&format!("{}{page}", app.base)).await;
            wait_page_live(b).await;
            let announce = || async { b.js("return document.getElementById('announce').textContent").await };
            assert_eq!(announce().await, "", "nothing said before a donation");
            donate(&app, &live, json!({"amount": 3750, "currency": "EUR", "donor": "Zoé", "message": "Courage !"}))
                .await;
            wait_text(b, "#announce", &fr("Nouveau don_: Zoé, 37,50_€.")).await;
            let bar = b
                .js(r#"var t = document.getElementById("goal-track");
                       return [t.getAttribute("role"), t.getAttribute("aria-valuenow"),
                               document.getElementById(t.getAttribute("aria-labelledby")).textContent !== ""]"#)
                .await;
            assert_eq!(bar, json!(["progressbar", progress, true]), "{page}");
            // Read, not shown.
            let size = b
                .js("var r = document.getElementById('announce').getBoundingClientRect(); return r.width * r.height")
                .await;
            assert!(size.as_f64().unwrap() <= 1.0, "{size}");
        }
    })
    .await;
}

#[tokio::test]
async fn live_page_on_a_phone_updates_live_and_shows_only_moderated_text() {
    let app = spawn_app().await;
    let (live, other) = setup(&app).await;
    donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Zoé", "message": "Courage !"})).await;
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}", app.base, live.id)).await;
        assert_eq!(text(b, "#host").await, "Corentin");
        assert_eq!(text(b, "#title").await, "Soirée jeux");
        assert_eq!(text(b, "#campaign-link").await, "Restos 2026");
        assert_eq!(text(b, "#charity").await, "Les Restos du cœur");
        assert_eq!(text(b, "#status").await, "Terminé");
        wait_text(b, "#total", &fr("20,00_€")).await;
        assert_eq!(text(b, "#breakdown").await, fr("1 don — 10,00_€ dons + 10,00_€ abondés"));
        assert_eq!(text(b, "#goal-label").await, fr("20,00_€ sur 1~000,00_€ (2_%)"));
        assert_eq!(text(b, "#campaign-total").await, fr("Campagne_: 20,00_€"));
        assert_eq!(text(b, "#match-line").await, fr("Votre don est doublé par Fondation Tartempion_!"));
        // Its "!" never alone at the start of a line: with the line just too
        // narrow for it, it goes down with the sponsor's name.
        let bang = "var e = document.getElementById('match-line'), n = e.firstChild, r = document.createRange(); \
                    e.style.width = 'max-content'; r.setStart(n, 0); r.setEnd(n, n.length - 2); \
                    e.style.width = (r.getBoundingClientRect().right - e.getBoundingClientRect().left + 1) + 'px'; \
                    var top = function (i) { r.setStart(n, i); r.setEnd(n, i + 1); return r.getBoundingClientRect().top; }; \
                    var tops = [top(n.length - 1), top(n.length - 3), top(0)]; e.style.width = ''; return tops;";
        let tops = b.js(bang).await;
        assert!(tops[0] == tops[1] && tops[0] != tops[2], "the sponsor's name and its \"!\" on one line: {tops}");
        assert_eq!(text(b, "#match-left").await, fr("Budget restant_: 40,00_€"));
        wait_recent(b, &[["Zoé", "10,00_€", "+10,00_€ abondés", "Courage !"]]).await;
        assert_eq!(
            on(b, "#donate-link", "return document.querySelector(arguments[0]).href").await,
            "https://dons.example.org/restos"
        );
        assert_eq!(on(b, "svg.qr", "return !!document.querySelector(arguments[0])").await, true);
        fits_width(b).await;

        // Live: a new donation, and one to the other live (campaign total only).
        // The big total climbs to it through amounts in between.
        b.js("window.seen = []; new MutationObserver(function () { \
                window.seen.push(parseFloat(document.getElementById('total').textContent.replace(/[^0-9,]/g, '').replace(',', '.'))); \
              }).observe(document.getElementById('total'), {childList: true, characterData: true, subtree: true}); return null")
            .await;
        donate(&app, &live, json!({"amount": 4500, "currency": "EUR", "donor": "Max"})).await;
        wait_text(b, "#total", &fr("105,00_€")).await;
        let seen: Vec<f64> = serde_json::from_value(b.js("return window.seen").await).unwrap();
        let between = seen.iter().filter(|v| **v > 20.0 && **v < 105.0).count();
        assert!(between >= 3 && seen.windows(2).all(|w| w[0] <= w[1]) && seen.last() == Some(&105.0), "{seen:?}");
        wait_recent(
            b,
            &[["Max", "45,00_€", "+40,00_€ abondés", ""], ["Zoé", "10,00_€", "+10,00_€ abondés", "Courage !"]],
        )
        .await;
        // The sponsor's budget is used up: no more "doubled" banner.
        eventually("the match banner leaves", WAIT, || async {
            (on(b, "#match", "return document.querySelector(arguments[0]).hidden").await == true).then_some(())
        })
        .await;
        donate(&app, &other, json!({"amount": 300, "currency": "EUR", "donor": "Ailleurs"})).await;
        wait_text(b, "#campaign-total", &fr("Campagne_: 108,00_€")).await;
        assert_eq!(text(b, "#total").await, fr("105,00_€"), "another live's donation is not this live's");

        // Manual moderation: the amount counts at once, the text waits.
        let (s, v) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/lives/{}/moderation", live.id),
                Some(ADMIN),
                &[],
                Some(json!({"mode": "manual"}).to_string()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let held =
            donate(&app, &live, json!({"amount": 200, "currency": "EUR", "donor": "Secret", "message": "Pas encore"}))
                .await;
        wait_text(b, "#total", &fr("107,00_€")).await;
        assert_eq!(recent(b).await.len(), 2, "a pending text is not listed");
        assert!(!b.client.source().await.unwrap().contains("Pas encore"));
        let id = held["donation"]["id"].as_str().unwrap();
        let (s, _) = app.post(&format!("/api/v1/donations/{id}/approve"), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        wait_recent(
            b,
            &[
                ["Secret", "2,00_€", "", "Pas encore"],
                ["Max", "45,00_€", "+40,00_€ abondés", ""],
                ["Zoé", "10,00_€", "+10,00_€ abondés", "Courage !"],
            ],
        )
        .await;

        // Hidden after the fact: the open page drops the text.
        let zoe = recent_id(b, 2).await;
        let (s, _) = app.post(&format!("/api/v1/donations/{zoe}/hide"), Some(ADMIN), json!({"message": true})).await;
        assert_eq!(s, StatusCode::OK);
        wait_recent(
            b,
            &[
                ["Secret", "2,00_€", "", "Pas encore"],
                ["Max", "45,00_€", "+40,00_€ abondés", ""],
                ["Zoé", "10,00_€", "+10,00_€ abondés", ""],
            ],
        )
        .await;

        // A test alert and a refund: the first changes nothing here, the second the totals.
        let (s, _) = app.post(&format!("/api/v1/lives/{}/test-alert", live.id), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::CREATED);
        let max = recent_id(b, 1).await;
        let (s, _) = app.post(&format!("/api/v1/donations/{max}/refund"), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        wait_text(b, "#total", &fr("22,00_€")).await;
        wait_recent(b, &[["Secret", "2,00_€", "", "Pas encore"], ["Zoé", "10,00_€", "+10,00_€ abondés", ""]]).await;

        // English.
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        wait_text(b, "#total", "€22.00").await;
        assert_eq!(text(b, "#breakdown").await, "2 donations — €12.00 donated + €10.00 matched");
        assert_eq!(text(b, "#status").await, "Ended");
        assert_eq!(text(b, "#donate-link").await, "Donate");
        let html = b.client.source().await.unwrap();
        assert!(!html.contains(&live.key) && !html.contains(&live.overlay_token), "no secret in the page");
    })
    .await;
}

async fn recent_id(b: &Browser, index: usize) -> String {
    let v = b.js("return Array.from(document.querySelectorAll('#recent li[data-id]')).map(function (l) { return l.dataset.id; })").await;
    v[index].as_str().expect("a listed donation").to_owned()
}

#[tokio::test]
async fn campaign_page_shows_schedule_totals_and_matching_and_follows_every_live() {
    let app = spawn_app().await;
    let (live, other) = setup(&app).await;
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/campaigns/{}", app.base, live.campaign_id)).await;
        assert_eq!(text(b, "#name").await, "Restos 2026");
        assert_eq!(text(b, "#charity").await, "Les Restos du cœur");
        wait_text(b, "#total", &fr("0,00_€")).await;
        assert_eq!(text(b, "#goal-label").await, fr("0,00_€ sur 5~000,00_€ (0_%)"));
        assert_eq!(text(b, "#match-line").await, fr("Votre don est doublé par Fondation Tartempion_!"));
        // The schedule's short dates, in the browser's time zone, with the year
        // since neither is this year's: "mer. 1 janv. 2020, 20:00".
        let when = async |iso: &str| {
            let minutes_behind = on(b, iso, "return new Date(arguments[0]).getTimezoneOffset()").await;
            let t = time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339).unwrap()
                - time::Duration::minutes(minutes_behind.as_i64().unwrap());
            let day = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
                [t.weekday().number_days_from_monday() as usize];
            let months =
                ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
            let month = months[t.month() as usize - 1];
            format!("{day} {} {month} {}, {:02}:{:02}", t.day(), t.year(), t.hour(), t.minute())
        };
        let (old, new) = (when("2020-01-01T20:00:00Z").await, when("2040-06-01T18:00:00Z").await);
        let schedule = b
            .js(r##"return Array.from(document.querySelectorAll("#schedule tbody tr")).map(function (tr) {
                var r = document.createRange();
                r.selectNodeContents(tr.querySelector(".host a"));
                return [tr.querySelector(".host a").textContent, r.getClientRects().length,
                        tr.querySelector(".when").textContent, tr.querySelector(".status").textContent,
                        tr.querySelector(".total").textContent, tr.querySelector(".host a").getAttribute("href")];
            });"##)
            .await;
        assert_eq!(
            schedule,
            json!([
                ["Corentin", 1, old, "Terminé", fr("0,00_€"), format!("/lives/{}?lang=fr", live.id)],
                ["Ana", 1, new, "À venir", fr("0,00_€"), format!("/lives/{}?lang=fr", other.id)],
            ])
        );
        assert_eq!(text(b, "#next a").await, "Ana");
        fits_width(b).await;
        // A smaller phone: the schedule is still read without scrolling sideways.
        b.client.set_window_size(360, 740).await.expect("small phone size");
        fits_width(b).await;
        // A live moved by the organisers: the next live follows at once, and back.
        for (at, next) in [("2035-01-01T20:00:00Z", "Corentin — Soirée jeux"), ("2020-01-01T20:00:00Z", "Ana")] {
            let (s, v) = app.patch_live(&live.id, json!({"scheduled_at": at})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            wait_text(b, "#next a", next).await;
        }

        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Zoé"})).await;
        donate(&app, &other, json!({"amount": 250, "currency": "EUR", "anonymous": true, "donor": "Caché"})).await;
        wait_text(b, "#total", &fr("25,00_€")).await;
        wait_text(b, "#schedule tbody tr:nth-child(1) .total", &fr("20,00_€")).await;
        wait_text(b, "#schedule tbody tr:nth-child(2) .total", &fr("5,00_€")).await;
        wait_recent(b, &[["Anonyme", "2,50_€", "+2,50_€ abondés", ""], ["Zoé", "10,00_€", "+10,00_€ abondés", ""]])
            .await;
        wait_text(b, "#top li .donor", "Zoé").await;
        assert!(!b.client.source().await.unwrap().contains("Caché"));
    })
    .await;
}

/// A busy evening: the campaign's stream brings the page about ten new gifts
/// a second, and where the campaign stands within a quarter of a second of
/// those it held back; the page's total, its lives' totals and its list of
/// the newest gifts end exact.
#[tokio::test]
async fn a_campaign_page_ends_exact_after_a_burst_of_gifts() {
    let app = spawn_app().await;
    let (live, other) = setup(&app).await;
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/campaigns/{}", app.base, live.campaign_id)).await;
        // Eighty gifts of 1,00 € to 1,79 € (111,60 €), the sponsor's 50 € with them.
        app.gifts(&live, 80).await;
        donate(&app, &other, json!({"amount": 1000, "currency": "EUR", "donor": "Zoé"})).await;
        wait_text(b, "#total", &fr("171,60_€")).await;
        wait_text(b, "#schedule tbody tr:nth-child(1) .total", &fr("161,60_€")).await;
        wait_text(b, "#schedule tbody tr:nth-child(2) .total", &fr("10,00_€")).await;
        wait_newest(b, &["Zoé", "Donateur 79", "Donateur 78"]).await;
    })
    .await;
}

/// Waits for the page's newest gifts to be `names`, newest first, the last of
/// `app.gifts(_, 80)` for 1,79 €.
async fn wait_newest(b: &Browser, names: &[&str]) {
    eventually("the newest gifts", WAIT, || async {
        let rows = recent(b).await;
        let newest: Vec<&str> = rows.iter().map(|r| r[0].as_str()).take(names.len()).collect();
        let last = rows.iter().find(|r| r[0] == "Donateur 79");
        (newest == names && last.is_some_and(|r| r[1] == fr("1,79_€"))).then_some(())
    })
    .await;
}

/// The same on a live's page: its total and its newest gifts, exact after a
/// burst its stream brought in part.
#[tokio::test]
async fn a_live_page_ends_exact_after_a_burst_of_gifts() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}", app.base, live.id)).await;
        app.gifts(&live, 80).await;
        wait_text(b, "#total", &fr("161,60_€")).await;
        wait_newest(b, &["Donateur 79", "Donateur 78"]).await;
    })
    .await;
}

/// Parses CSV text with Python's csv module; returns the rows as JSON.
fn python_csv(csv_text: &str) -> Vec<Vec<String>> {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", "import csv, sys, json; json.dump(list(csv.reader(sys.stdin)), sys.stdout)"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(csv_text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    serde_json::from_slice(&out.stdout).expect("python's json")
}

fn plain(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[tokio::test]
async fn csv_downloaded_from_the_dashboard_parses_back_to_the_api_rows() {
    let app = spawn_app().await;
    let (live, other) = setup(&app).await;
    donate(
        &app,
        &live,
        json!({"amount": 1234, "currency": "EUR", "donor": "Dupont, \"Jean\"", "message": "Merci, \"vraiment\""}),
    )
    .await;
    let refunded = donate(&app, &other, json!({"amount": 700, "currency": "EUR", "donor": "Ana; O'Brien"})).await;
    donate(&app, &live, json!({"amount": 5000, "currency": "EUR", "donor": "Anonyme réel", "anonymous": true})).await;
    let id = refunded["donation"]["id"].as_str().unwrap();
    let (s, _) = app.post(&format!("/api/v1/donations/{id}/refund"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, api) = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/campaigns/{}/donations", live.campaign_id),
            Some(ADMIN),
            &[],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{api}");

    let csv_text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
        wait_text(b, "#c-name", "Restos 2026").await;
        let href = on(b, "#c-csv", "return document.querySelector(arguments[0]).getAttribute('href')").await;
        assert_eq!(href, format!("/api/v1/campaigns/{}/donations.csv", live.campaign_id));
        // The spreadsheets' times on the browser's clock (the API's tests check other zones).
        let zone = b.js("return Intl.DateTimeFormat().resolvedOptions().timeZone").await;
        let zone = zone.as_str().expect("the browser's time zone");
        assert!(!zone.is_empty());
        let excel = on(b, "#c-excel", "return document.querySelector(arguments[0]).getAttribute('href')").await;
        let tz = zone.replace('/', "%2F").replace('+', "%2B");
        assert_eq!(excel, format!("/api/v1/campaigns/{}/donations.csv?excel=1&lang=fr&tz={tz}", live.campaign_id));
        let head = b
            .client
            .execute_async(
                "var done = arguments[0]; fetch(document.getElementById('c-excel').href, {credentials: 'same-origin'}) \
                 .then(function (r) { return r.arrayBuffer().then(function (t) { \
                   var bytes = new Uint8Array(t); done([bytes[0], bytes[1], bytes[2], new TextDecoder().decode(bytes).split('\\n')[0]]); }); });",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(head, json!([0xEF, 0xBB, 0xBF, format!("identifiant;reçu le ({zone});live;hôte;donateur;anonyme;message;montant;conservé;abondé;total;devise;plateforme;remboursé;remboursé le ({zone});montant remboursé;référence du paiement;masqué;modéré par")]));
        // The totals by live, for the charity's report, and what each sponsor
        // gave, for its invoices, with the session cookie too: each link's
        // address, its text and the header it downloads.
        let link = async |id: &str| {
            b.client
                .execute_async(
                    "var done = arguments[1], a = document.getElementById(arguments[0]); \
                     fetch(a.href, {credentials: 'same-origin'}).then(function (r) { return r.text().then(function (t) { \
                       done([a.getAttribute('href'), a.textContent, t.split('\\n')[0]]); }); });",
                    vec![json!(id)],
                )
                .await
                .unwrap()
        };
        assert_eq!(
            link("c-lives-csv").await,
            json!([
                format!("/api/v1/campaigns/{}/lives.csv?excel=1&lang=fr&tz={tz}", live.campaign_id),
                "Bilan par live (Excel)",
                format!("live;hôte;titre;date ({zone});état;dons;collecté;abondé;total;devise")
            ])
        );
        assert_eq!(
            link("c-matches-csv").await,
            json!([
                format!("/api/v1/campaigns/{}/matches.csv?excel=1&lang=fr&tz={tz}", live.campaign_id),
                "Bilan des abondements (Excel)",
                format!("abondement;mécène;ratio;plafond;abondé;reste;début ({zone});fin ({zone});état;devise")
            ])
        );
        assert_eq!(
            link("c-draws-csv").await,
            json!([
                format!("/api/v1/campaigns/{}/draws.csv?excel=1&lang=fr&tz={tz}", live.campaign_id),
                "Tirages au sort (Excel)",
                format!(
                    "tirage;tiré le ({zone});live;hôte;lot;don minimum;un ticket par tranche;dons depuis ({zone});toute la campagne;participations;tickets;don gagnant;gagnant;anonyme;montant du don;don reçu le ({zone});don remboursé;devise"
                )
            ])
        );
        assert_eq!(
            link("c-donors-csv").await,
            json!([
                format!("/api/v1/campaigns/{}/donors.csv?excel=1&lang=fr&tz={tz}", live.campaign_id),
                "Donateurs (Excel)",
                format!("donateur;anonyme;dons;conservé;abondé;total;devise;premier don ({zone});dernier don ({zone});lives de")
            ])
        );
        // What the link downloads, fetched by the page with its session cookie.
        let got = b
            .client
            .execute_async(
                "var done = arguments[0]; fetch(document.getElementById('c-csv').href, {credentials: 'same-origin'}) \
                 .then(function (r) { return r.text().then(function (t) { done([r.status, r.headers.get('content-type'), t]); }); });",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(got[0], 200);
        assert_eq!(got[1], "text/csv; charset=utf-8");
        *csv_text.lock().unwrap() = got[2].as_str().unwrap().to_owned();
    })
    .await;
    let rows = python_csv(&csv_text.lock().unwrap());
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let mut expected: Vec<Vec<(usize, String)>> = Vec::new();
    // The API lists newest first; the CSV reads oldest first.
    for d in api["donations"].as_array().unwrap().iter().rev() {
        let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
        let amount = d["amount"].as_i64().unwrap();
        let refunded = d["refunded"].as_bool().unwrap();
        // What the donation counts for now: a whole refund takes the sponsor's share too.
        let kept = amount - d["refunded_amount"].as_i64().unwrap();
        let matched = if refunded { 0 } else { d["matched"].as_i64().unwrap() };
        let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
        expected.push(vec![
            (col("donation_id"), s(&d["id"])),
            (col("live_id"), s(&d["live_id"])),
            (col("host"), s(&d["host"])),
            (col("donor"), s(&d["donor_name"])),
            (col("anonymous"), yes(d["anonymous"].as_bool().unwrap())),
            (col("message"), s(&d["message_text"])),
            (col("amount"), plain(amount)),
            (col("kept"), plain(kept)),
            (col("matched"), plain(matched)),
            (col("total"), plain(kept + matched)),
            (col("currency"), "EUR".to_owned()),
            (col("refunded"), yes(refunded)),
            (col("reference"), s(&d["reference"])),
        ]);
    }
    assert_eq!(rows.len(), 1 + expected.len(), "{rows:?}");
    for (row, want) in rows[1..].iter().zip(&expected) {
        assert_eq!(row.len(), header.len(), "{row:?}");
        for (i, v) in want {
            assert_eq!(&row[*i], v, "column {} of {row:?}", header[*i]);
        }
    }
    // The tricky names survived exactly, and the refund and the matching are there.
    let donor = col("donor");
    assert_eq!(rows[1][donor], "Dupont, \"Jean\"");
    assert_eq!(rows[1][col("message")], "Merci, \"vraiment\"");
    assert_eq!(rows[1][col("matched")], "12.34");
    assert_eq!(rows[2][donor], "Ana; O'Brien");
    assert_eq!(rows[2][col("refunded")], "yes");
    assert_eq!([&rows[2][col("amount")], &rows[2][col("kept")], &rows[2][col("total")]], ["7.00", "0.00", "0.00"]);
    assert!(!rows[2][col("refunded_at")].is_empty());
    assert_eq!((rows[3][donor].as_str(), rows[3][col("anonymous")].as_str()), ("Anonyme réel", "yes"));
}

#[tokio::test]
async fn pages_load_nothing_from_outside_keep_a_strict_csp_and_show_markup_as_text() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    let xss = "<img src=x onerror=\"window.__pwned=1\">";
    donate(
        &app,
        &live,
        json!({"amount": 1000, "currency": "EUR", "donor": xss, "message": "<script>window.__pwned=2</script>"}),
    )
    .await;
    let pages = [
        format!("{}/dashboard", app.base),
        format!("{}/lives/{}", app.base, live.id),
        format!("{}/campaigns/{}", app.base, live.campaign_id),
    ];
    for page in &pages {
        let res = reqwest::get(page).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{page}");
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{page}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("<script>") && !html.contains("style="), "{page}: no inline script or style");
        assert!(!html.contains(&live.key) && !html.contains(&live.overlay_token), "{page}: no secret");
    }
    // Unknown ids are a plain 404.
    for path in ["/lives/nope", "/campaigns/nope"] {
        let (s, v) = app.get(path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    // The dashboard's campaign list is for the admin only.
    let (s, _) = app.get("/dashboard/campaigns").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.request(reqwest::Method::GET, "/dashboard/campaigns", Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a live's write key is not the admin");

    with_browser(async |b| {
        for (i, page) in pages.iter().enumerate() {
            if i == 0 {
                sign_in(b, &app, &format!("#c={}", live.campaign_id)).await;
                wait_text(b, "#donations tbody tr td.donor", xss).await;
            } else {
                b.goto(page).await;
                wait_page_live(b).await;
                wait_text(b, "#recent li .donor", xss).await;
                assert_eq!(text(b, "#recent li .message").await, "<script>window.__pwned=2</script>");
            }
            assert_eq!(b.js("return window.__pwned === undefined").await, true, "{page}");
            let loaded = b
                .js(r##"return performance.getEntriesByType("resource").map(function (e) { return e.name; })
                        .concat([location.href]);"##)
                .await;
            let loaded: Vec<String> = serde_json::from_value(loaded).unwrap();
            for u in &loaded {
                assert!(
                    u.starts_with(&format!("{}/", app.base)) || u.starts_with(&format!("ws://{}/", app.addr)),
                    "{u} is not from our server"
                );
            }
        }
    })
    .await;
    for file in ["dashboard.js", "public.js", "pages.css"] {
        let (s, body) = app.get(&format!("/static/{file}")).await;
        assert_eq!(s, StatusCode::OK, "{file}");
        let body = body.as_str().unwrap();
        assert!(!body.contains("http://") && !body.contains("https://") && !body.contains("@import"), "{file}");
    }
}

/// fr-FR's long date of `iso` in the browser's time zone: "vendredi 4 décembre à 19:00",
/// with the year before "à" when `with_year`.
async fn long_fr(b: &Browser, iso: &str, with_year: bool) -> String {
    let minutes_behind = on(b, iso, "return new Date(arguments[0]).getTimezoneOffset()").await;
    let t = time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339).unwrap()
        - time::Duration::minutes(minutes_behind.as_i64().unwrap());
    let day = FR_DAYS[t.weekday().number_days_from_monday() as usize];
    let year = if with_year { format!(" {}", t.year()) } else { String::new() };
    format!("{day} {} {}{year} à {:02}:{:02}", t.day(), FR_MONTHS[t.month() as usize - 1], t.hour(), t.minute())
}

#[tokio::test]
async fn long_dates_give_the_year_only_when_it_is_not_this_one() {
    let app = spawn_app().await;
    let cid = app.eur_campaign().await;
    let now = time::OffsetDateTime::now_utc();
    // Three days ahead (today's and tomorrow's lives are said so: `a_live_page_says_how_long_until_the_live_starts`).
    let soon = (now + time::Duration::days(3)).replace_second(0).unwrap().replace_nanosecond(0).unwrap();
    let soon = soon.format(&time::format_description::well_known::Rfc3339).unwrap();
    let later = app.live(&cid, json!({"host": "Ana", "scheduled_at": "2040-06-01T18:00:00Z"})).await;
    app.live(&cid, json!({"host": "Zoé", "scheduled_at": soon})).await;
    with_browser(async |b| {
        // Three days from now is this year, except in the last days of December.
        let this_year = on(b, &soon, "return new Date(arguments[0]).getFullYear() === new Date().getFullYear()").await;
        b.goto(&format!("{}/campaigns/{cid}", app.base)).await;
        wait_page_live(b).await;
        let next = format!("Zoé — {}", long_fr(b, &soon, this_year != json!(true)).await);
        wait_text(b, "#next", &next).await;
        b.goto(&format!("{}/lives/{}", app.base, later.id)).await;
        wait_page_live(b).await;
        wait_text(b, "#when", &long_fr(b, "2040-06-01T18:00:00Z", true).await).await;
    })
    .await;
}

/// A goal reached: the viewers' page thanks them and its bar turns green, as
/// the donation that crosses it arrives.
#[tokio::test]
async fn a_live_page_thanks_its_viewers_once_the_goal_is_reached() {
    let app = spawn_app().await;
    let live = app.setup().await;
    donate(&app, &live, json!({"amount": 90000, "currency": "EUR", "donor": "Ana"})).await;
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page_live(b).await;
        let goal = || async {
            b.js("var g = document.getElementById('goal'); return [document.getElementById('goal-label').textContent, \
                  g.dataset.reached, getComputedStyle(document.getElementById('goal-fill')).backgroundColor];")
                .await
        };
        wait_text(b, "#goal-label", &fr("900,00_€ sur 1~000,00_€ (90_%)")).await;
        assert_eq!(goal().await[1], "");
        donate(&app, &live, json!({"amount": 15000, "currency": "EUR", "donor": "Léa"})).await;
        wait_text(b, "#goal-label", &fr("1~050,00_€ sur 1~000,00_€ (105_%) — objectif atteint, merci_!")).await;
        assert_eq!(
            goal().await,
            json!([fr("1~050,00_€ sur 1~000,00_€ (105_%) — objectif atteint, merci_!"), "1", "rgb(43, 138, 62)"])
        );
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        wait_text(b, "#goal-label", "€1,050.00 of €1,000.00 (105%) — goal reached, thank you!").await;
    })
    .await;
}

/// A donor back from the payment (the provider's return address ends with
/// `?thanks=1`) is thanked on this visit only: the address loses it, the
/// banner closes, a page opened without it shows none; through a host's
/// one link too.
#[tokio::test]
async fn a_donor_back_from_the_payment_is_thanked_once() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/lives/{}?follow=host&lang=en&thanks=1", app.base, live.id))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/lives/{}?lang=en&thanks=1", live.id),
        "the host's link keeps the thanks"
    );
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}?lang=fr&thanks=1#top", app.base, live.id)).await;
        assert_eq!(
            b.js("var t = document.getElementById('thanks'); return [t.firstChild.textContent.trim(), t.querySelector('button').getAttribute('aria-label'), location.search, location.hash, t.hidden]").await,
            json!(["Merci pour votre don\u{a0}! Il s'affichera ici et à l'écran dès que le paiement sera confirmé, en général en quelques secondes.", "Fermer", "?lang=fr", "#top", false])
        );
        fits_width(b).await;
        b.screenshot_element("#thanks", "live-page-thanks").await;
        b.js("document.getElementById('thanks-close').focus(); document.getElementById('thanks-close').click()").await;
        assert_eq!(b.js("return document.getElementById('thanks').hidden").await, true);
        // The keyboard's place goes to the page's heading, not to nowhere.
        assert_eq!(b.js("return document.activeElement.tagName + ' ' + document.activeElement.textContent.trim()").await, "H1 Corentin");
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page_live(b).await;
        assert_eq!(b.js("return document.getElementById('thanks')").await, Value::Null);
        b.goto(&format!("{}/campaigns/{}?thanks=1&lang=en", app.base, live.campaign_id)).await;
        wait_page_live(b).await;
        assert_eq!(
            b.js("return [document.getElementById('thanks').firstChild.textContent.trim(), location.search]").await,
            json!(["Thank you for your donation! It will show here and on stream as soon as the payment is confirmed, usually within seconds.", "?lang=en"])
        );
    })
    .await;
}

/// A page left open sees its live end, and a campaign's schedule sees a live
/// start, by the clock: no frame comes to say it.
#[tokio::test]
async fn an_open_page_sees_lives_start_and_end_on_time() {
    let app = spawn_app().await;
    let cid = app.eur_campaign().await;
    with_browser(async |b| {
        // One minute long, ending in 8 s.
        let ending =
            app.live(&cid, json!({"host": "Corentin", "scheduled_at": from_now(-52), "duration_minutes": 1})).await;
        b.goto(&format!("{}/lives/{}", app.base, ending.id)).await;
        wait_page_live(b).await;
        wait_text(b, "#status", "En direct").await;
        wait_text(b, "#status", "Terminé").await;
        // Starting in 8 s, on the campaign's schedule.
        let starting =
            app.live(&cid, json!({"host": "Inès", "scheduled_at": from_now(8), "duration_minutes": 60})).await;
        b.goto(&format!("{}/campaigns/{cid}", app.base)).await;
        wait_page_live(b).await;
        let row = format!("#schedule tr[data-id='{}'] td.status", starting.id);
        wait_text(b, &row, "À venir").await;
        wait_text(b, &row, "En direct").await;
        assert_eq!(text(b, &format!("#schedule tr[data-id='{}'] td.status", ending.id)).await, "Terminé");
    })
    .await;
}

/// A challenge whose time runs out unmet: "Temps écoulé" on the live's page,
/// at what the live had given by then (a gift after it changes nothing), also
/// on a page opened in the minute after.
#[tokio::test]
async fn the_live_page_says_when_a_challenge_s_time_runs_out() {
    let clock = crate::helpers::ManualClock::at("2026-12-04T20:00:00Z");
    let app = crate::helpers::spawn_app_clocked(&clock).await;
    let (live, _) = setup(&app).await;
    donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
    let host = live.body["host_token"].as_str().unwrap();
    let line = "var c = document.getElementById('challenge'); \
                return c.hidden ? null : [document.getElementById('challenge-label').textContent, \
                  document.getElementById('challenge-time').textContent, \
                  document.getElementById('challenge-amounts').textContent, c.dataset.missed];";
    with_browser(async |b| {
        // The server's clock 52 s behind the real time: a challenge of a minute
        // ends 8 s from now, when the server's clock catches up at once (the
        // page, on the server's time from its opening, is told so).
        let now = clock.set_behind(52_000);
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page_live(b).await;
        let path = format!("/api/v1/lives/{}/challenges", live.id);
        let (s, c) = app.post(&path, Some(host), json!({"label": "Je chante", "amount": 2000, "minutes": 1})).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        // 5 € doubled by the sponsor: 10 € of the 20 € asked.
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Bea"})).await;
        let v = eventually("the challenge on the page", WAIT, || async {
            let v = b.js(line).await;
            (!v.is_null() && v[2] == fr("10,00_€ sur 20,00_€")).then_some(v)
        })
        .await;
        assert_eq!((v[0].clone(), v[3].clone()), (json!("Défi en cours\u{a0}: Je chante"), json!("")));
        clock.catch_up(now + 8_000).await;
        let missed = json!(["Défi\u{a0}: Je chante", "Temps écoulé", fr("10,00_€ sur 20,00_€"), "1"]);
        eventually("time's up", WAIT, || async { (b.js(line).await == missed).then_some(()) }).await;
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Cléo"})).await;
        wait_text(b, "#total", &fr("50,00_€")).await;
        assert_eq!(b.js(line).await, missed);
        // Opened again within the minute: as it stood.
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page_live(b).await;
        wait_text(b, "#total", &fr("50,00_€")).await;
        assert_eq!(b.js(line).await, missed, "opened after its time ran out");
    })
    .await;
}

/// Viewers see the challenge their host set on air, its time and progress, and
/// when it is met, also on a page opened in the minute after.
#[tokio::test]
async fn the_live_page_shows_the_challenge_on_air() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
    let host = live.body["host_token"].as_str().unwrap();
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}", app.base, live.id)).await;
        let line = "var c = document.getElementById('challenge'); \
                    return c.hidden ? null : [document.getElementById('challenge-label').textContent, \
                      document.getElementById('challenge-time').textContent, \
                      document.getElementById('challenge-amounts').textContent, c.dataset.met];";
        assert_eq!(b.js(line).await, Value::Null);
        let path = format!("/api/v1/lives/{}/challenges", live.id);
        let (s, c) = app.post(&path, Some(host), json!({"label": "Je chante", "amount": 2000, "minutes": 5})).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let v = eventually("the challenge on the page", WAIT, || async {
            let v = b.js(line).await;
            (!v.is_null()).then_some(v)
        })
        .await;
        assert_eq!(
            (v[0].clone(), v[2].clone()),
            (json!("Défi en cours\u{a0}: Je chante"), json!(fr("0,00_€ sur 20,00_€")))
        );
        // A screen reader reads how far it is, not an endless bar.
        let bar = "var t = document.querySelector('#challenge [role=progressbar]'); \
                   return [t.getAttribute('aria-valuenow'), t.getAttribute('aria-valuetext')];";
        assert_eq!(b.js(bar).await, json!(["0", fr("0,00_€ sur 20,00_€")]));
        // 5 € doubled: 10 € of the 20 € asked.
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "donor": "Bea"})).await;
        eventually("the bar at half", WAIT, || async {
            (b.js(bar).await == json!(["50", fr("10,00_€ sur 20,00_€")])).then_some(())
        })
        .await;
        let time = v[1].as_str().unwrap();
        assert!(time.starts_with("encore 4 min ") || time == "encore 5 min 00 s", "{time}");
        fits_width(b).await;
        // Five more minutes and a new label, given on air: the page follows.
        let one = format!("{path}/{}", c["id"].as_str().unwrap());
        let body = json!({"label": "Je chante en duo", "minutes": 10}).to_string();
        let (s, v) = app.request(reqwest::Method::PATCH, &one, Some(host), &[], Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eventually("the new terms on the page", WAIT, || async {
            let v = b.js(line).await;
            let time = v[1].as_str()?;
            (v[0] == "Défi en cours\u{a0}: Je chante en duo"
                && (time.starts_with("encore 9 min ") || time == "encore 10 min 00 s"))
                .then_some(())
        })
        .await;
        // 10 € doubled by the sponsor: 20 € on the live's total, the challenge met.
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Bea"})).await;
        eventually("the challenge met", WAIT, || async {
            (b.js(line).await
                == json!(["Défi\u{a0}: Je chante en duo", "Défi réussi\u{a0}!", fr("20,00_€ sur 20,00_€"), "1"]))
            .then_some(())
        })
        .await;
        // Opened again within the minute: still met.
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        let met = json!(["Challenge: Je chante en duo", "Challenge met!", "€20.00 of €20.00", "1"]);
        assert_eq!(b.js(line).await, met, "met just before the page opened");
        // A new one, in English, called off by the host: it leaves the page,
        // the one met in its minute shows again.
        let (_, c) = app.post(&path, Some(host), json!({"label": "I juggle", "amount": 500, "minutes": 10})).await;
        let shown = eventually("the English challenge", WAIT, || async {
            let v = b.js(line).await;
            (v[0] == "Challenge on: I juggle").then_some(v)
        })
        .await;
        assert_eq!((shown[0].clone(), shown[2].clone()), (json!("Challenge on: I juggle"), json!("€0.00 of €5.00")));
        let one = format!("{path}/{}", c["id"].as_str().unwrap());
        let (s, v) = app.request(reqwest::Method::DELETE, &one, Some(host), &[], None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eventually("the challenge called off leaves", WAIT, || async { (b.js(line).await == met).then_some(()) }).await;
    })
    .await;
}

/// Viewers see their host's poll, how to vote, the votes coming in, and its
/// result once closed.
#[tokio::test]
async fn the_live_page_shows_the_poll_and_how_to_vote() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap();
    let path = format!("/api/v1/lives/{}/polls", live.id);
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}", app.base, live.id)).await;
        let card = r##"var c = document.getElementById('poll');
            return c.hidden ? null : [document.getElementById('poll-question').textContent,
              document.getElementById('poll-time').textContent,
              Array.from(document.querySelectorAll('#poll-options li')).map(function (li) { return li.textContent; }),
              document.getElementById('poll-hint').textContent, c.dataset.over];"##;
        assert_eq!(b.js(card).await, Value::Null);
        let (s, p) =
            app.post(&path, Some(host), json!({"question": "Quelle tenue ?", "options": ["Pyjama", "Costume"]})).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let v = eventually("the poll on the page", WAIT, || async {
            let v = b.js(card).await;
            (!v.is_null()).then_some(v)
        })
        .await;
        assert_eq!(
            v,
            json!([
                "Quelle tenue\u{a0}?",
                "Sondage en cours",
                [fr("Pyjama#pyjama0,00_€"), fr("Costume#costume0,00_€")],
                "Pour voter, écrivez le mot-clé de votre choix dans le message de votre don (par exemple #pyjama).",
                ""
            ])
        );
        fits_width(b).await;
        donate(&app, &live, json!({"amount": 1500, "currency": "EUR", "donor": "Zoé", "message": "#Costume !"})).await;
        donate(&app, &live, json!({"amount": 500, "currency": "EUR", "message": "#pyjama"})).await;
        eventually("the votes", WAIT, || async {
            (b.js(card).await[2] == json!([fr("Pyjama#pyjama5,00_€ · 25_%"), fr("Costume#costume15,00_€ · 75_%")]))
                .then_some(())
        })
        .await;
        // Reworded and given ten minutes on air: the page follows.
        let one = format!("{path}/{}", p["id"].as_str().unwrap());
        let edit = json!({"question": "Quelle tenue ce soir ?", "minutes": 10}).to_string();
        let (s, e) = app.request(reqwest::Method::PATCH, &one, Some(host), &[], Some(edit)).await;
        assert_eq!(s, StatusCode::OK, "{e}");
        eventually("the poll's new terms", WAIT, || async {
            let v = b.js(card).await;
            let time = v[1].as_str()?;
            (v[0] == "Quelle tenue ce soir\u{a0}?" && time.starts_with("encore ")).then_some(())
        })
        .await;
        let (s, _) = app.post(&format!("{one}/close"), Some(host), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        eventually("the result", WAIT, || async {
            let v = b.js(card).await;
            (v[1] == "Sondage terminé" && v[3] == "Costume l'emporte\u{a0}!" && v[4] == "1").then_some(())
        })
        .await;
        // In English, the result still shown within the minute.
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        let v = b.js(card).await;
        assert_eq!((v[1].clone(), v[3].clone()), (json!("Poll closed"), json!("Costume wins!")));
    })
    .await;
}

/// The live's public page lists its prize draws and their winners as viewers
/// may see them: a draw made while it is open, the list again after a reload,
/// a winner's name hidden since, in English.
#[tokio::test]
async fn the_live_page_lists_the_prizes_drawn_and_their_winners() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    let host = live.body["host_token"].as_str().unwrap();
    let path = format!("/api/v1/lives/{}/draws", live.id);
    let give = |donor: &str, amount: i64, anonymous: bool| json!({"amount": amount, "currency": "EUR", "donor": donor, "anonymous": anonymous});
    let (_, ana) = app.donate(&live, give("Ana", 3000, false)).await;
    let ana = ana["donation"]["id"].as_str().unwrap().to_owned();
    app.donate(&live, give("Chloé", 500, true)).await;
    let list = r##"var c = document.getElementById('draws-box');
        return c.hidden ? null : Array.from(document.querySelectorAll('#draws li')).map(function (li) { return li.textContent; });"##;
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}", app.base, live.id)).await;
        assert_eq!(b.js(list).await, Value::Null);
        let (s, d) = app.post(&path, Some(host), json!({"prize": "Dessin original", "min_amount": 1000})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        eventually("the first draw", WAIT, || async {
            (b.js(list).await == json!(["Dessin original\u{a0}: Ana"])).then_some(())
        })
        .await;
        let (s, d) = app.post(&path, Some(host), json!({"prize": "Affiche"})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        eventually("the second draw, first", WAIT, || async {
            (b.js(list).await == json!(["Affiche\u{a0}: Anonyme", "Dessin original\u{a0}: Ana"])).then_some(())
        })
        .await;
        // Ana's name hidden: the list follows at once.
        let (s, _) = app.post(&format!("/api/v1/donations/{ana}/hide"), Some(host), json!({"donor": true})).await;
        assert_eq!(s, StatusCode::OK);
        eventually("the hidden name", WAIT, || async {
            (b.js(list).await == json!(["Affiche\u{a0}: Anonyme", "Dessin original\u{a0}: Anonyme"])).then_some(())
        })
        .await;
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        assert_eq!(b.js(list).await, json!(["Affiche: Anonymous", "Dessin original: Anonymous"]));

        // A live without a donate link lists its draws too.
        let plain = app.live(&app.eur_campaign().await, json!({"host": "Inès"})).await;
        assert!(plain.body["donate_url"].is_null(), "{}", plain.body);
        app.donate(&plain, give("Bob", 2000, false)).await;
        let draw = format!("/api/v1/lives/{}/draws", plain.id);
        let (s, d) = app.post(&draw, Some(&plain.key), json!({"prize": "Mug"})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        b.goto(&format!("{}/lives/{}", app.base, plain.id)).await;
        wait_page_live(b).await;
        assert_eq!(b.js(list).await, json!(["Mug\u{a0}: Bob"]));
    })
    .await;
}

/// The rows of the open list of every donor once there are `len`, as `name amount`.
async fn every_donor(b: &Browser, len: usize) -> Vec<String> {
    let rows = eventually(&format!("{len} donors listed"), WAIT, || async {
        let v = b
            .js("return Array.from(document.querySelectorAll('#all-donors-list li'))
                   .map(li => li.querySelector('.donor').textContent + ' ' + li.querySelector('.amount').textContent)")
            .await;
        v.as_array().filter(|a| a.len() == len).cloned()
    })
    .await;
    rows.iter().map(|r| r.as_str().unwrap().replace(['\u{a0}', '\u{202f}'], " ")).collect()
}

#[tokio::test]
async fn viewers_open_the_list_of_every_donor_beyond_the_top_ten() {
    let app = spawn_app().await;
    let (live, other) = setup(&app).await;
    for i in 1..=12 {
        donate(&app, &live, json!({"amount": 100 * i, "currency": "EUR", "donor": format!("Donateur {i:02}")})).await;
    }
    donate(&app, &live, json!({"amount": 5000, "currency": "EUR", "donor": "Secret", "anonymous": true})).await;
    donate(&app, &other, json!({"amount": 9900, "currency": "EUR", "donor": "Zoé"})).await;
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}", app.base, live.id)).await;
        assert_eq!(b.js("return document.querySelectorAll('#top li').length").await, 10);
        assert_eq!(
            b.js(
                "var d = document.getElementById('all-donors'); return [d.open, d.querySelector('summary').textContent]"
            )
            .await,
            json!([false, "Voir tous les donateurs"])
        );
        b.js("document.querySelector('#all-donors summary').click()").await;
        let want: Vec<String> = (1..=12).rev().map(|i| format!("Donateur {i:02} {},00 €", i)).collect();
        assert_eq!(every_donor(b, 12).await, want);
        assert_eq!(text(b, "#all-donors-unnamed").await, "Et 1 don anonyme.");
        fits_width(b).await;
        // A donation while the list is open: it follows.
        donate(&app, &live, json!({"amount": 150, "currency": "EUR", "donor": "Ana"})).await;
        let rows = every_donor(b, 13).await;
        assert_eq!(rows[11], "Ana 1,50 €");

        // The campaign's page, in English: every live's donors.
        b.goto(&format!("{}/campaigns/{}?lang=en", app.base, live.campaign_id)).await;
        wait_page_live(b).await;
        b.js("document.querySelector('#all-donors summary').click()").await;
        let rows = every_donor(b, 14).await;
        assert_eq!(
            (rows[0].as_str(), rows[12].as_str(), rows[13].as_str()),
            ("Zoé €99.00", "Ana €1.50", "Donateur 01 €1.00")
        );
        assert_eq!(text(b, "#all-donors-unnamed").await, "And 1 anonymous gift.");
        assert_eq!(b.js("return document.querySelector('#all-donors summary').textContent").await, "See every donor");
    })
    .await;
}

/// A live today or tomorrow is said so, with the time left within a day; one
/// days ahead by its date; the campaign's next live and a sponsor's window
/// tomorrow the same.
#[tokio::test]
async fn a_live_page_says_how_long_until_the_live_starts() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    let later = app.live(&c, json!({"host": "Léo", "scheduled_at": from_now(3 * 24 * 3600)})).await;
    let tomorrow = from_now(26 * 3600);
    let next_day = app.live(&c, json!({"host": "Inès", "scheduled_at": tomorrow})).await;
    let body = json!({"sponsor": "Boulangerie", "ratio": [1, 1], "cap": 50000, "starts_at": tomorrow});
    app.add_match(&c, body).await;
    with_browser(async |b| {
        b.time_zone(&noon_zone().0).await;
        let clock = async |iso: &str, lang: &str| {
            let script = format!(
                "return new Intl.DateTimeFormat('{lang}', {{ timeStyle: 'short' }}).format(new Date(arguments[0]))"
            );
            on(b, iso, &script).await.as_str().unwrap().to_owned()
        };
        // Made once the browser is ours (other tests may hold it a while).
        let at = from_now(90 * 60);
        let soon = app.live(&c, json!({"host": "Zoé", "scheduled_at": at})).await;
        b.goto(&format!("{}/lives/{}", app.base, soon.id)).await;
        wait_page_live(b).await;
        let when = eventually("the time left", WAIT, || async {
            let t = b.js("return document.getElementById('when').textContent").await;
            t.as_str().filter(|t| t.contains(" — dans ")).map(str::to_owned)
        })
        .await;
        // Today, an hour and a half ahead, to the minute (a minute may have passed since).
        let today = format!("aujourd'hui à {}", clock(&at, "fr-FR").await);
        assert!(when == format!("{today} — dans 1 h 30") || when == format!("{today} — dans 1 h 29"), "{when}");
        b.goto(&format!("{}/lives/{}?lang=en", app.base, soon.id)).await;
        wait_page_live(b).await;
        let when = text(b, "#when").await;
        let today = format!("Today at {}", clock(&at, "en-US").await);
        assert!(
            when == json!(format!("{today} — in 1 h 30")) || when == json!(format!("{today} — in 1 h 29")),
            "{when}"
        );
        // Tomorrow: said so, more than a day ahead, without the time left; the
        // sponsor's window that opens then too.
        b.goto(&format!("{}/lives/{}", app.base, next_day.id)).await;
        wait_page_live(b).await;
        let day = format!("demain à {}", clock(&tomorrow, "fr-FR").await);
        assert_eq!(text(b, "#when").await, json!(day));
        assert_eq!(text(b, "#match-line").await, fr(&format!("Dès {day}, chaque don sera doublé par Boulangerie_!")));
        // Days ahead: its date alone.
        b.goto(&format!("{}/lives/{}", app.base, later.id)).await;
        wait_page_live(b).await;
        let iso = later.body["scheduled_at"].as_str().unwrap();
        let other_year = on(b, iso, "return new Date(arguments[0]).getFullYear() !== new Date().getFullYear()").await;
        assert_eq!(text(b, "#when").await, json!(long_fr(b, iso, other_year == json!(true)).await));
        // The campaign's page: its next live, today.
        b.goto(&format!("{}/campaigns/{c}", app.base)).await;
        wait_page_live(b).await;
        wait_text(b, "#next", &format!("Zoé — aujourd'hui à {}", clock(&at, "fr-FR").await)).await;
    })
    .await;
}

#[tokio::test]
async fn the_public_pages_give_the_schedule_as_a_calendar() {
    let app = spawn_app().await;
    let (a, b_live) = setup(&app).await;
    with_browser(async |b| {
        phone(b).await;
        for (page, want_path, uid, label) in [
            (
                format!("{}/lives/{}", app.base, b_live.id),
                format!("/api/v1/lives/{}/calendar.ics?follow=host", b_live.id),
                &b_live.id,
                "Ses lives dans mon agenda",
            ),
            (
                format!("{}/campaigns/{}?lang=en", app.base, a.campaign_id),
                format!("/api/v1/campaigns/{}/calendar.ics?lang=en", a.campaign_id),
                &a.id,
                "The lives in my calendar",
            ),
        ] {
            b.goto(&page).await;
            wait_page_live(b).await;
            let link = b.js("var a = document.getElementById('calendar-link'); return [a.textContent, a.href]").await;
            assert_eq!(link, json!([label, format!("{}{want_path}", app.base)]));
            fits_width(b).await;
            let res = app.client.get(link[1].as_str().unwrap()).send().await.unwrap();
            assert_eq!(res.headers()["content-type"], "text/calendar; charset=utf-8");
            let body = res.text().await.unwrap();
            assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
            assert!(body.contains(&format!("UID:{uid}@")), "{body}");
        }
    })
    .await;
}

/// The charity's website frames the counter (a page of another origin): it
/// shows the total and follows the donations; the dashboard gives its code.
#[tokio::test]
async fn the_counter_framed_on_another_site_follows_the_donations() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "goal": 100000, "donate_url": "https://dons.example.org/mars"}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Ana"})).await;
    app.donate_ok(&live, 25000).await;
    // The charity's site: another origin, one page with the code the dashboard gives.
    let site = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site_addr = site.local_addr().unwrap();
    let frame = format!(
        "<!doctype html><title>Association</title><h1>Nos actions</h1>\
         <iframe src=\"{}/campaigns/{cid}/embed\" width=\"360\" height=\"230\" style=\"border:0\" title=\"Mars solidaire\"></iframe>",
        app.base
    );
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = site.accept().await else { return };
            let body = frame.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            });
        }
    });
    with_browser(async |b| {
        b.goto(&format!("http://{site_addr}/")).await;
        eventually("the framed counter", WAIT, || async {
            b.client.enter_frame(0).await.ok()?;
            let v = b.js("return [document.body.dataset.state, document.getElementById('e-total').textContent, document.getElementById('e-goal').textContent]").await;
            b.client.enter_parent_frame().await.ok()?;
            (v == json!(["live", fr("250,00_€"), fr("25_% de l'objectif de 1~000,00_€")])).then_some(())
        })
        .await;
        app.donate_ok(&live, 25000).await;
        eventually("the counter following a donation", WAIT, || async {
            b.client.enter_frame(0).await.ok()?;
            let v = b.js("var f = document.getElementById('e-fill'), t = document.getElementById('e-track');
                          return [document.getElementById('e-total').textContent, document.getElementById('e-goal').textContent, f.style.width]").await;
            b.client.enter_parent_frame().await.ok()?;
            (v == json!([fr("500,00_€"), fr("50_% de l'objectif de 1~000,00_€"), "50%"])).then_some(())
        })
        .await;
        // While a live of the campaign is on air with its stream link, the counter says where to watch it.
        let watch = async || {
            b.client.enter_frame(0).await.ok()?;
            let v = b
                .js("var p = document.getElementById('e-watch'), a = document.getElementById('e-watch-link');
                     return [p.hidden, a.textContent, a.getAttribute('href'), document.documentElement.scrollHeight <= innerHeight]")
                .await;
            b.client.enter_parent_frame().await.ok()?;
            Some(v)
        };
        assert_eq!(watch().await.unwrap()[0], true);
        assert_eq!(app.patch_live(&live.id, json!({"stream_url": "https://www.twitch.tv/ana"})).await.0, StatusCode::OK);
        let (s, _) = app.post(&format!("/api/v1/lives/{}/start", live.id), Some(&live.key), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        let on_air = json!([false, "▶ En direct\u{a0}: Ana sur twitch.tv", "https://www.twitch.tv/ana", true]);
        eventually("the counter's link to the live on air", WAIT, || async { (watch().await? == on_air).then_some(()) }).await;
        let (s, _) = app.post(&format!("/api/v1/lives/{}/end", live.id), Some(&live.key), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        eventually("the link gone once the live is over", WAIT, || async { (watch().await?[0] == true).then_some(()) }).await;

        // The dashboard's code for it, and its preview.
        sign_in(b, &app, "").await;
        wait_text(b, "#c-name", "Mars solidaire").await;
        crate::dashboard::click(b, "#embed-details > summary").await;
        let code = crate::dashboard::input_value(b, "#embed-code").await;
        assert_eq!(
            code,
            format!("<iframe src=\"{}/campaigns/{cid}/embed\" width=\"360\" height=\"230\" style=\"border:0\" title=\"Mars solidaire\"></iframe>", app.base)
        );
        eventually("the preview", WAIT, || async {
            (b.js("return document.getElementById('embed-preview').getAttribute('src')").await
                == format!("/campaigns/{cid}/embed"))
            .then_some(())
        })
        .await;
        b.js("document.getElementById('embed-box').scrollIntoView()").await;
        b.screenshot_element("#embed-box", "dashboard-embed").await;
    })
    .await;
}

/// The campaign's end: its pages and the website counter thank the donors
/// where they invited them to give, at the minute on an open page (by its
/// clock, and when the organisers move the end), and from the first paint on
/// a page opened after it.
#[tokio::test]
async fn the_pages_and_the_counter_thank_the_donors_once_the_campaign_is_over() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "goal": 100000, "charity": "Les Restos du cœur",
                         "donate_url": "https://dons.example.org/mars", "ends_at": from_now(3600)}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Ana"})).await;
    app.donate_ok(&live, 2500).await;
    let end_at = async |at: String| {
        let body = json!({ "ends_at": at }).to_string();
        let path = format!("/api/v1/campaigns/{cid}");
        let (s, v) = app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    // [the thanks shown, its words, the donate card shown]
    let page = async |b: &Browser| {
        b.js("var o = document.getElementById('over'), d = document.getElementById('donate');
              return [!o.hidden && o.offsetHeight > 0, o.querySelector('h2').textContent + ' ' + o.querySelector('p').textContent, !d.hidden && d.offsetHeight > 0]")
            .await
    };
    let thanks = fr("Collecte terminée Merci à toutes et à tous pour vos dons_!");
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/campaigns/{cid}", app.base)).await;
        assert_eq!(page(b).await, json!([false, thanks, true]));
        // "Partager": without a share sheet (a desktop browser), the page's address copied.
        crate::dashboard::click(b, "#share").await;
        wait_text(b, "#share", "Lien copié\u{a0}!").await;
        let shared = b.js("return document.getElementById('share').dataset.shared").await;
        assert_eq!(shared, format!("{}/campaigns/{cid}?lang=fr", app.base));
        fits_width(b).await;
        b.screenshot_element("header.top", "campaign-header-share").await;

        // Ended three seconds from now: the open page turns at that minute.
        end_at(from_now(3)).await;
        eventually("the thanks at the campaign's end", WAIT, || async {
            (page(b).await == json!([true, thanks, false])).then_some(())
        })
        .await;
        fits_width(b).await;
        b.screenshot_element("#over", "campaign-over").await;
        // The organisers give it another hour: the invitation comes back at once.
        end_at(from_now(3600)).await;
        eventually("open again", WAIT, || async { (page(b).await == json!([false, thanks, true])).then_some(()) }).await;
        end_at(from_now(-60)).await;
        eventually("over again", WAIT, || async { (page(b).await == json!([true, thanks, false])).then_some(()) }).await;

        // Opened after the end: the live's page, in English, and the counters.
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        assert_eq!(page(b).await, json!([true, "The fundraiser is over Thank you all for your gifts!", false]));
        crate::dashboard::click(b, "#share").await;
        wait_text(b, "#share", "Link copied!").await;
        assert_eq!(b.js("return document.getElementById('share').dataset.shared").await, format!("{}/lives/{}?lang=en", app.base, live.id));
        for path in [format!("/campaigns/{cid}/embed"), format!("/lives/{}/embed", live.id)] {
            b.goto(&format!("{}{path}", app.base)).await;
            eventually("the counter's thanks", WAIT, || async {
                let v = b
                    .js("var o = document.getElementById('e-over'), a = document.getElementById('e-actions');
                         return [document.body.dataset.state, !o.hidden && o.offsetHeight > 0, o.textContent, a.hidden]")
                    .await;
                (v == json!(["live", true, fr("Collecte terminée_: merci_!"), true])).then_some(())
            })
            .await;
        }
        b.screenshot_element("main", "embed-over").await;

        // The dashboard says where the campaign stands, on the organiser's clock.
        end_at("2025-01-15T18:00:00Z".to_owned()).await;
        b.time_zone("Europe/Paris").await;
        sign_in(b, &app, "").await;
        wait_text(b, "#c-name", "Mars solidaire").await;
        wait_text(b, "#c-window", "Collecte terminée le 15 janv. 2025, 19:00").await;
        // The list says which campaigns are over; the dashboard opens on the newest one that is not.
        app.campaign(json!({"name": "Avril solidaire", "currency": "EUR"})).await;
        app.campaign(json!({"name": "Vieille", "currency": "EUR", "starts_at": "2024-01-01T00:00:00Z", "ends_at": "2024-02-01T00:00:00Z"}))
            .await;
        b.goto(&format!("{}/dashboard", app.base)).await;
        wait_text(b, "#c-name", "Avril solidaire").await;
        let list = b
            .js("return Array.from(document.querySelectorAll('#campaign-list li')).map(li => [li.querySelector('a').textContent, li.dataset.status, (li.querySelector('.badge') || {}).textContent || ''])")
            .await;
        assert_eq!(
            list,
            json!([["Vieille", "ended", "terminée"], ["Avril solidaire", "open", ""], ["Mars solidaire", "ended", "terminée"]])
        );
        b.screenshot_element("#campaign-list", "dashboard-campaign-list").await;
    })
    .await;
}

/// A sponsor's window ahead ("power hour"): the viewers' page announces it
/// with its hours, then says it pays from its minute, until when, on the
/// visitor's clock; moved by the organisers, it is followed at once.
#[tokio::test]
async fn the_viewers_page_announces_a_sponsor_s_window_ahead_and_its_end() {
    let app = spawn_app().await;
    let cid = app.eur_campaign().await;
    let at = |secs: i64| from_now(secs);
    let (starts, ends) = (at(1200), at(2400));
    let m = app
        .add_match(
            &cid,
            json!({"sponsor": "Boulangerie", "ratio": [1, 1], "cap": 50000, "starts_at": starts, "ends_at": ends}),
        )
        .await;
    let live = app.live(&cid, json!({"host": "Ana"})).await;
    with_browser(async |b| {
        // An hour ahead is the same day, written as a time.
        b.time_zone(&noon_zone().0).await;
        let clock = async |iso: &str| {
            on(b, iso, "return new Intl.DateTimeFormat('fr-FR', { timeStyle: 'short' }).format(new Date(arguments[0]))")
                .await
        };
        let (from, until) = (clock(&starts).await, clock(&ends).await);
        let (from, until) = (from.as_str().unwrap(), until.as_str().unwrap());
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page_live(b).await;
        assert_eq!(on(b, "#match", "return document.querySelector(arguments[0]).dataset.state").await, "soon");
        assert_eq!(text(b, "#match-line").await, fr(&format!("Dès {from}, chaque don sera doublé par Boulangerie_!")));
        assert_eq!(text(b, "#match-left").await, fr(&format!("Budget_: 500,00_€ — jusqu'à {until}")));
        b.screenshot_element("#match", "public-match-soon").await;
        // Brought forward to two seconds from now: it pays from that second, until its end.
        let path = format!("/api/v1/campaigns/{cid}/matches/{}", m["id"].as_str().unwrap());
        let body = json!({"starts_at": at(2)}).to_string();
        let (s, v) = app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_text(b, "#match-line", &fr("Votre don est doublé par Boulangerie_!")).await;
        assert_eq!(text(b, "#match-left").await, fr(&format!("Budget restant_: 500,00_€ — jusqu'à {until}")));
        // Without an end: the budget alone, as before.
        let (s, v) = app
            .request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(json!({"ends_at": null}).to_string()))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_text(b, "#match-left", &fr("Budget restant_: 500,00_€")).await;
    })
    .await;
}

/// A campaign still to open: its pages and the website counter say so where
/// they invite to give, with the opening on the visitor's clock, and invite
/// from the minute it opens (moved by the organisers on an open page).
#[tokio::test]
async fn the_pages_and_the_counter_say_when_the_campaign_opens() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Noël solidaire", "currency": "EUR", "charity": "Les Restos du cœur",
                         "donate_url": "https://dons.example.org/noel", "starts_at": "2027-12-03T18:00:00Z"}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Ana"})).await;
    // [the notice shown, its words, the donate card shown, the thanks shown]
    let page = async |b: &Browser| {
        b.js("var s = document.getElementById('soon'), d = document.getElementById('donate'), o = document.getElementById('over');
              return [!s.hidden && s.offsetHeight > 0, Array.from(s.querySelectorAll('h2, p')).map(n => n.textContent).join(' | '),
                      !d.hidden && d.offsetHeight > 0, !o.hidden]")
            .await
    };
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        for path in [format!("/campaigns/{cid}/embed"), format!("/lives/{}/embed", live.id)] {
            b.goto(&format!("{}{path}", app.base)).await;
            eventually("the counter's notice", WAIT, || async {
                let v = b
                    .js("var s = document.getElementById('e-soon'), a = document.getElementById('e-actions');
                         return [document.body.dataset.state, !s.hidden && s.offsetHeight > 0, s.textContent, a.hidden]")
                    .await;
                (v == json!(["live", true, "La collecte n'est pas encore ouverte.", true])).then_some(())
            })
            .await;
        }
        open_on_phone(b, &format!("{}/campaigns/{cid}", app.base)).await;
        let soon = json!([true, "La collecte n'est pas encore ouverte | Ouverture le vendredi 3 décembre 2027 à 19:00. | Revenez à son ouverture pour faire un don.", false, false]);
        assert_eq!(page(b).await, soon);
        fits_width(b).await;
        b.screenshot_element("#soon", "campaign-soon").await;
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        let words = b.js("return document.getElementById('soon-when').textContent").await;
        assert_eq!(words, "It opens on Friday, December 3, 2027 at 7:00 PM.");
        // On a computer in Britain: as Britain writes it.
        b.locale(Some("en-GB")).await;
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        let words = b.js("return [navigator.language, document.getElementById('soon-when').textContent]").await;
        b.locale(None).await;
        assert_eq!(words, json!(["en-GB", "It opens on Friday, 3 December 2027 at 19:00."]));
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        let words = b.js("return [navigator.language, document.getElementById('soon-when').textContent]").await;
        assert_eq!(words, json!(["en-US", "It opens on Friday, December 3, 2027 at 7:00 PM."]), "back to the browser's own");
        // Opened three seconds from now: the open page invites to give at that minute.
        let body = json!({ "starts_at": from_now(3) }).to_string();
        let path = format!("/api/v1/campaigns/{cid}");
        let (s, v) = app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eventually("the invitation at the opening", WAIT, || async {
            let v = b
                .js("return [document.getElementById('soon').hidden, document.getElementById('donate').hidden]")
                .await;
            (v == json!([true, false])).then_some(())
        })
        .await;
        b.goto(&format!("{}/campaigns/{cid}/embed", app.base)).await;
        eventually("the counter's button", WAIT, || async {
            let v = b.js("return [document.getElementById('e-soon').hidden, document.getElementById('e-actions').hidden]").await;
            (v == json!([true, false])).then_some(())
        })
        .await;
    })
    .await;
}

/// Where a live is watched: a link on its page that follows the organisers'
/// edits, and a "▶" beside it in the campaign's schedule.
#[tokio::test]
async fn viewers_find_where_each_live_is_watched() {
    let app = spawn_app().await;
    let (live, other) = setup(&app).await;
    let (s, v) = app.patch_live(&live.id, json!({"stream_url": "https://www.twitch.tv/corentin"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let watch = "var a = document.getElementById('watch'); \
                 return a.hidden ? null : [a.textContent, a.getAttribute('href'), a.target, a.rel];";
    with_browser(async |b| {
        open_on_phone(b, &format!("{}/lives/{}", app.base, live.id)).await;
        assert_eq!(
            b.js(watch).await,
            json!(["▶ Regarder sur twitch.tv", "https://www.twitch.tv/corentin", "_blank", "noopener noreferrer"])
        );
        fits_width(b).await;
        // Moved to YouTube: the open page follows; taken off, the link leaves.
        app.patch_live(&live.id, json!({"stream_url": "https://youtube.com/@corentin/live"})).await;
        eventually("the new link", WAIT, || async {
            (b.js(watch).await
                == json!(["▶ Regarder sur youtube.com", "https://youtube.com/@corentin/live", "_blank", "noopener noreferrer"]))
            .then_some(())
        })
        .await;
        app.patch_live(&live.id, json!({"stream_url": null})).await;
        eventually("no link", WAIT, || async { b.js(watch).await.is_null().then_some(()) }).await;

        // The campaign's schedule: "▶" beside the lives that have a link, titled for screen readers.
        app.patch_live(&other.id, json!({"stream_url": "https://www.twitch.tv/ana"})).await;
        b.goto(&format!("{}/campaigns/{}?lang=en", app.base, live.campaign_id)).await;
        wait_page_live(b).await;
        let rows = b
            .js("return Array.from(document.querySelectorAll('#schedule tbody tr')).map(function (tr) { \
                   var a = tr.querySelector('a.watch'); \
                   return [tr.querySelector('.host a').textContent, a ? [a.textContent, a.getAttribute('href'), a.getAttribute('aria-label')] : null]; })")
            .await;
        assert_eq!(
            rows,
            json!([["Corentin", null], ["Ana", ["▶", "https://www.twitch.tv/ana", "Watch on twitch.tv"]]])
        );
        // The next live's box: where to follow it, in words.
        let next = "var a = document.querySelector('#next a.watch'); return a ? [a.textContent, a.getAttribute('href')] : null";
        assert_eq!(b.js(next).await, json!(["▶ Watch on twitch.tv", "https://www.twitch.tv/ana"]));
    })
    .await;
}

/// The campaign page draws the collection day by day on the visitor's clock,
/// the empty days too, and says its best day.
#[tokio::test]
async fn the_campaign_page_draws_the_collection_day_by_day() {
    let clock = crate::helpers::ManualClock::at("2027-03-01T10:00:00Z");
    let app = crate::helpers::spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    app.gift(&live, Some("Ana"), 1500, false).await;
    clock.set("2027-03-01T23:30:00Z");
    app.gift(&live, Some("Bob"), 700, false).await;
    clock.set("2027-03-04T12:00:00Z");
    app.gift(&live, None, 300, true).await;
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        open_on_phone(b, &format!("{}/campaigns/{}", app.base, live.campaign_id)).await;
        let bars = || {
            b.js("return Array.from(document.querySelectorAll('#days rect')).map(r => [r.dataset.date, r.getAttribute('class') || '', r.querySelector('title').textContent, Number(r.getAttribute('height'))])")
        };
        let expected = json!([
            ["2027-03-01", "", fr("1 mars_: 15,00_€ (1 don)"), 100],
            ["2027-03-02", "", fr("2 mars_: 7,00_€ (1 don)"), 47],
            ["2027-03-03", "empty", fr("3 mars_: 0,00_€ (0 don)"), 1],
            ["2027-03-04", "", fr("4 mars_: 3,00_€ (1 don)"), 20]
        ]);
        eventually("the day by day", WAIT, || async { (bars().await == expected).then_some(()) }).await;
        assert_eq!(text(b, "#days-best").await, fr("Meilleur jour_: 1 mars, 15,00_€ — sur 4 jours."));
        fits_width(b).await;
        b.js("document.getElementById('days-box').scrollIntoView()").await;
        b.screenshot_element("#days-box", "campaign-days").await;
    })
    .await;
}

/// A wrong or replaced link opened by a person is a page in its language, not
/// the API's JSON: a live gone, an overlay's old token (see-through in OBS),
/// the counter on a charity's site; a script still gets the JSON.
#[tokio::test]
async fn a_wrong_link_is_a_page_that_says_so() {
    let app = spawn_app().await;
    let live = app.setup().await;
    with_browser(async |b| {
        let said = "return [document.title, document.querySelector('h1').textContent, \
                    document.querySelector('section p').textContent, document.body.hidden]";
        b.goto(&format!("{}/lives/nope?lang=en", app.base)).await;
        assert_eq!(
            b.js(said).await,
            json!([
                "Not found",
                "Not found",
                "This live or campaign does not exist, or no longer does. Check the link you were given.",
                false
            ])
        );
        b.goto(&format!("{}/overlay/lives/{}/alert?token=ot_old", app.base, live.id)).await;
        assert_eq!(
            b.js(said).await,
            json!([
                "Lien non valide",
                "Lien non valide",
                "Ce lien n'est pas, ou plus, valide\u{a0}: il a pu être remplacé par un nouveau. Demandez le lien du \
                 moment à qui vous l'a donné.",
                false
            ])
        );
        b.goto(&format!("{}/campaigns/nope/embed", app.base)).await;
        assert_eq!(b.js("return document.querySelector('h1').textContent").await, "Introuvable");
    })
    .await;
    let (s, v) = app.get(&format!("/overlay/lives/{}/alert?token=ot_old", live.id)).await;
    assert_eq!((s, &v["error"]), (StatusCode::UNAUTHORIZED, &json!("unauthorized")), "{v}");
}

/// A busy evening read by a screen reader: the first gift is said at once,
/// those that come in the next ten seconds in one sentence with how many and
/// the new total, the goal reached once with them; the held ones and the
/// tests are not counted as said.
#[tokio::test]
async fn screen_readers_hear_a_busy_evening_summed_up_every_ten_seconds() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        wait_page_live(b).await;
        // Every sentence said, with when.
        b.js(r#"window.said = [];
                var a = document.getElementById("announce");
                new MutationObserver(function () { window.said.push([a.textContent, performance.now()]); })
                  .observe(a, { childList: true, characterData: true, subtree: true });"#)
            .await;
        let said = || async {
            let v = b.js("return window.said").await;
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| (x[0].as_str().unwrap().to_owned(), x[1].as_f64().unwrap()))
                .collect::<Vec<_>>()
        };
        donate(&app, &live, json!({"amount": 1000, "currency": "EUR", "donor": "Ana"})).await;
        eventually("the first gift said", WAIT, || async { (!said().await.is_empty()).then_some(()) }).await;
        // Ten gifts of 1,00 € and one of 990,00 €, doubled until the sponsor's
        // 50 € are used up: 1 060,00 € of the live's 1 000,00 €.
        for i in 0..10 {
            donate(&app, &live, json!({"amount": 100, "currency": "EUR", "donor": format!("Donateur {i}")})).await;
        }
        donate(&app, &live, json!({"amount": 99000, "currency": "EUR", "donor": "Mécène"})).await;
        let said = eventually("the gifts summed up", WAIT, || async {
            let s = said().await;
            (s.len() == 2).then_some(s)
        })
        .await;
        let (_, totals) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
        assert_eq!(totals["totals"]["total"], 106000, "{totals}");
        assert_eq!(said[0].0, fr("Nouveau don_: Ana, 10,00_€."));
        assert_eq!(said[1].0, fr("11 nouveaux dons, total_: 1~060,00_€. Objectif atteint, merci_!"));
        let apart = said[1].1 - said[0].1;
        assert!((9_900.0..15_000.0).contains(&apart), "said {apart} ms apart");
        // Quiet for ten seconds: the next gift is said alone, at once.
        donate(&app, &live, json!({"amount": 200, "currency": "EUR", "donor": "Zoé"})).await;
        wait_text(b, "#announce", &fr("Nouveau don_: Zoé, 2,00_€.")).await;
    })
    .await;
}

/// A viewer who went to a live's link on the campaign's schedule with the
/// keyboard keeps it while the totals move.
#[tokio::test]
async fn a_focused_link_of_the_schedule_keeps_its_focus_as_gifts_come() {
    let app = spawn_app().await;
    let (live, other) = setup(&app).await;
    with_browser(async |b| {
        b.goto(&format!("{}/campaigns/{}", app.base, live.campaign_id)).await;
        wait_page_live(b).await;
        b.js(&format!(
            "window.kept = document.querySelector(\"#schedule tr[data-id='{}'] td.host a\"); window.kept.focus();",
            live.id
        ))
        .await;
        for amount in [1000, 250, 300] {
            donate(&app, &live, json!({"amount": amount, "currency": "EUR", "donor": "Zoé"})).await;
        }
        donate(&app, &other, json!({"amount": 500, "currency": "EUR", "donor": "Léa"})).await;
        // 15,50 € doubled by the sponsor; Léa's 5 € too.
        wait_text(b, &format!("#schedule tr[data-id='{}'] .total", live.id), &fr("31,00_€")).await;
        wait_text(b, &format!("#schedule tr[data-id='{}'] .total", other.id), &fr("10,00_€")).await;
        assert_eq!(b.js("return document.activeElement === window.kept && window.kept.isConnected").await, true);
    })
    .await;
}

/// Two sponsors at once on the viewers' pages: both named, what they add
/// together; a sponsor used up comes back on the campaign's page once a refund
/// gives part of its budget back.
#[tokio::test]
async fn the_pages_name_every_sponsor_paying_and_one_back_after_a_refund() {
    let app = spawn_app().await;
    // The setup's sponsor: Fondation Tartempion doubles up to 50 €.
    let (live, _) = setup(&app).await;
    let path = format!("/api/v1/campaigns/{}/matches", live.campaign_id);
    let (s, v) = app.post(&path, Some(ADMIN), json!({"sponsor": "Boulangerie", "ratio": [1, 2], "cap": 1000})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let card = "return document.getElementById('match').hidden ? null : \
                [document.getElementById('match-line').textContent, document.getElementById('match-left').textContent]";
    with_browser(async |b| {
        for page in [format!("/lives/{}", live.id), format!("/campaigns/{}", live.campaign_id)] {
            b.goto(&format!("{}{page}", app.base)).await;
            wait_page_live(b).await;
            let both = json!([
                fr("Fondation Tartempion et Boulangerie ajoutent 150_% à chaque don_!"),
                fr("Budgets restants_: 50,00_€ et 10,00_€")
            ]);
            eventually("both sponsors", WAIT, || async { (b.js(card).await == both).then_some(()) }).await;
        }
        // 20 € given: Boulangerie's 10 € used up; Fondation Tartempion's 20 €.
        let d = donate(&app, &live, json!({"amount": 2000, "currency": "EUR", "donor": "Ana"})).await;
        assert_eq!(d["donation"]["matched"], 3000, "{d}");
        let one = json!([fr("Votre don est doublé par Fondation Tartempion_!"), fr("Budget restant_: 30,00_€")]);
        eventually("Boulangerie used up", WAIT, || async { (b.js(card).await == one).then_some(()) }).await;
        // 40 € more: Fondation Tartempion's last 30 € too; no sponsor left.
        let e = donate(&app, &live, json!({"amount": 4000, "currency": "EUR", "donor": "Bea"})).await;
        assert_eq!(e["donation"]["matched"], 3000, "{e}");
        eventually("no sponsor left", WAIT, || async { b.js(card).await.is_null().then_some(()) }).await;
        // Half of Bea's 40 € given back: what Fondation Tartempion added to it
        // falls by half too, 15 € of its budget back.
        let path = format!("/api/v1/donations/{}/refund", e["donation"]["id"].as_str().unwrap());
        let (s, v) = app.post(&path, Some(&live.key), json!({"refunded_amount": 2000})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
        let left: Vec<(String, i64, String)> = c["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["sponsor"].as_str().unwrap().to_owned(),
                    m["left"].as_i64().unwrap(),
                    m["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            left,
            [
                ("Fondation Tartempion".to_owned(), 1500, "active".to_owned()),
                ("Boulangerie".to_owned(), 0, "used_up".to_owned())
            ]
        );
        let back = json!([fr("Votre don est doublé par Fondation Tartempion_!"), fr("Budget restant_: 15,00_€")]);
        eventually("Fondation Tartempion back", WAIT, || async { (b.js(card).await == back).then_some(()) }).await;
    })
    .await;
}

/// A thousand gifts are counted as each language writes a thousand.
#[tokio::test]
async fn the_pages_count_a_thousand_gifts_as_each_language_does() {
    let app = spawn_app().await;
    let (live, _) = setup(&app).await;
    // 1,00 € to 10,99 €: 5 995,00 €, the sponsor's 50 € with them.
    app.gifts(&live, 1000).await;
    with_browser(async |b| {
        b.goto(&format!("{}/campaigns/{}", app.base, live.campaign_id)).await;
        wait_page_live(b).await;
        wait_text(b, "#breakdown", &fr("1~000 dons — 5~995,00_€ dons + 50,00_€ abondés")).await;
        b.goto(&format!("{}/lives/{}?lang=en", app.base, live.id)).await;
        wait_page_live(b).await;
        wait_text(b, "#breakdown", "1,000 donations — €5,995.00 donated + €50.00 matched").await;
    })
    .await;
}
