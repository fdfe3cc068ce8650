//! The counter on the charity's website while several streams of the campaign
//! are on air at once: it names every one of them, each name linking to its
//! stream, three at most and the others counted; one alone is said as before.

use crate::browser::{Browser, eventually, with_browser};
use crate::helpers::{ADMIN, TestApp, TestLive, from_now, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The counter's line of the lives on air: hidden or not, its text, and each
/// of its links' text and address; and whether the counter fits its frame.
async fn watch(b: &Browser) -> Value {
    b.js("var p = document.getElementById('e-watch');
          var links = Array.prototype.map.call(p.querySelectorAll('a'), function (a) {
            return [a.textContent, a.getAttribute('href'), a.target, a.rel];
          });
          return [p.hidden, p.textContent, links, document.documentElement.scrollHeight <= innerHeight]")
        .await
}

async fn on_air(app: &TestApp, cid: &str, host: &str, minutes_ago: i64) -> TestLive {
    let url = format!("https://www.twitch.tv/{}", host.to_lowercase().replace('ë', "e"));
    app.live(cid, json!({"host": host, "scheduled_at": from_now(-60 * minutes_ago), "stream_url": url})).await
}

fn link(host: &str) -> Value {
    let url = format!("https://www.twitch.tv/{}", host.to_lowercase().replace('ë', "e"));
    json!([host, url, "_blank", "noopener"])
}

#[tokio::test]
async fn the_counter_names_every_live_on_air() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Spring Stream", "currency": "GBP", "goal": 100000, "charity": "Shelter",
                         "donate_url": "https://give.example.org/spring"}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    // Three streams on air, started one after the other (not in that order);
    // one on air without a stream link, one to come.
    let chloe = on_air(&app, &cid, "Chloë", 10).await;
    let alice = on_air(&app, &cid, "Alice", 30).await;
    let bob = on_air(&app, &cid, "Bob", 20).await;
    app.live(&cid, json!({"host": "Nolink", "scheduled_at": from_now(-300)})).await;
    app.live(
        &cid,
        json!({"host": "Later", "scheduled_at": from_now(86_400), "stream_url": "https://www.twitch.tv/later"}),
    )
    .await;
    with_browser(async |b| {
        b.set_viewport(360, 230).await;
        b.goto(&format!("{}/campaigns/{cid}/embed?lang=en", app.base)).await;
        let three =
            json!([false, "▶ Live now: Alice, Bob and Chloë", [link("Alice"), link("Bob"), link("Chloë")], true]);
        eventually("three lives on air, in English", WAIT, || async { (watch(b).await == three).then_some(()) }).await;
        b.goto(&format!("{}/campaigns/{cid}/embed", app.base)).await;
        let trois =
            json!([false, "▶ En direct\u{a0}: Alice, Bob et Chloë", [link("Alice"), link("Bob"), link("Chloë")], true]);
        eventually("three lives on air, in French", WAIT, || async { (watch(b).await == trois).then_some(()) }).await;

        // Two more on air: three named at most, the others counted; fewer
        // when their names would not hold on one line of the frame (a second
        // line would push the donate button out of it).
        let dan = on_air(&app, &cid, "Dan", 5).await;
        let eve = on_air(&app, &cid, "Eve", 1).await;
        let fit = json!([false, "▶ En direct\u{a0}: Alice, Bob et 3 autres", [link("Alice"), link("Bob")], true]);
        eventually("five lives on air, in a narrow frame", WAIT, || async { (watch(b).await == fit).then_some(()) })
            .await;
        b.set_viewport(600, 230).await;
        let five = json!([
            false,
            "▶ En direct\u{a0}: Alice, Bob, Chloë et 2 autres",
            [link("Alice"), link("Bob"), link("Chloë")],
            true
        ]);
        eventually("five lives on air, in a wide frame", WAIT, || async { (watch(b).await == five).then_some(()) })
            .await;
        b.set_viewport(360, 230).await;

        // Back to one: said as before, the whole line its link.
        for l in [&bob, &chloe, &dan, &eve] {
            let (s, v) = app.post(&format!("/api/v1/lives/{}/end", l.id), Some(&l.key), json!({})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let one = json!([
            false,
            "▶ En direct\u{a0}: Alice sur twitch.tv",
            [["▶ En direct\u{a0}: Alice sur twitch.tv", "https://www.twitch.tv/alice", "_blank", "noopener"]],
            true
        ]);
        eventually("one live on air", WAIT, || async { (watch(b).await == one).then_some(()) }).await;
        b.goto(&format!("{}/campaigns/{cid}/embed?lang=en", app.base)).await;
        let alone = json!([
            false,
            "▶ Live now: Alice on twitch.tv",
            [["▶ Live now: Alice on twitch.tv", "https://www.twitch.tv/alice", "_blank", "noopener"]],
            true
        ]);
        eventually("one live on air, in English", WAIT, || async { (watch(b).await == alone).then_some(()) }).await;
        let (s, v) = app.post(&format!("/api/v1/lives/{}/end", alice.id), Some(ADMIN), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eventually("none on air", WAIT, || async { (watch(b).await[0] == true).then_some(()) }).await;
    })
    .await;
}
