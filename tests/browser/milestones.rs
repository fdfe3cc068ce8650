//! Milestones ahead: marked on the overlay's goal bar with the next one under
//! it, and listed on the public pages, reached as the donations come.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, fill, sign_in, wait_text};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A page's text with its no-break spaces as plain ones.
fn plain(v: &Value) -> String {
    v.as_str().unwrap_or_default().replace(['\u{a0}', '\u{202f}'], " ")
}

/// The goal bar's next-milestone line (`None` when hidden) and its marks (`left` and reached).
async fn goal_bar(b: &Browser) -> (Option<String>, Vec<(String, bool)>) {
    let v = b
        .js("var n = document.getElementById('goal-next');
             return [n.hidden ? null : n.textContent,
                     Array.from(document.querySelectorAll('#goal-track .goal-mark'))
                       .map(m => [m.style.left, m.classList.contains('reached')])]")
        .await;
    let marks = v[1].as_array().unwrap().iter().map(|m| (m[0].as_str().unwrap().to_owned(), m[1] == true)).collect();
    ((!v[0].is_null()).then(|| plain(&v[0])), marks)
}

async fn wait_goal_bar(b: &Browser, want: (Option<&str>, Vec<(&str, bool)>)) {
    let want = (want.0.map(str::to_owned), want.1.into_iter().map(|(l, r)| (l.to_owned(), r)).collect::<Vec<_>>());
    let mut last = None;
    let found = tokio::time::timeout(WAIT, async {
        loop {
            let got = goal_bar(b).await;
            if got == want {
                return;
            }
            last = Some(got);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(found.is_ok(), "goal bar: wanted {want:?}, last saw {last:?}");
}

/// The public page's milestones, one line each.
async fn listed(b: &Browser, until: impl Fn(&[String]) -> bool) -> Vec<String> {
    eventually("the milestones listed", WAIT, || async {
        let v = b
            .js("var box = document.getElementById('milestones-box'); if (box.hidden) return [];
                 return Array.from(document.querySelectorAll('#milestones li'))
                   .map(li => Array.from(li.children).map(c => c.textContent).join(' | '))")
            .await;
        let v: Vec<String> = v.as_array()?.iter().map(plain).collect();
        until(&v).then_some(v)
    })
    .await
}

#[tokio::test]
async fn the_goal_bar_marks_the_milestones_and_names_the_next_one() {
    let app = spawn_app().await;
    let live = app.setup().await; // live goal 1 000 €, campaign goal 5 000 €
    let path = format!("/api/v1/campaigns/{}/milestones", live.campaign_id);
    for body in [
        json!({"amount": 50000, "label": "Karaoké", "live_id": live.id}),
        json!({"amount": 20000, "label": "Cheveux roses", "live_id": live.id}),
        json!({"amount": 150000, "label": "Nuit blanche", "live_id": live.id}),
        json!({"amount": 200000, "label": "Concert"}),
    ] {
        let (s, m) = app.post(&path, Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
    }
    app.donate_ok(&live, 15000).await;
    let page = |query: &str| format!("{}/overlay/lives/{}/goal?token={}{query}", app.base, live.id, live.overlay_token);
    with_browser(async |b| {
        b.goto(&page("")).await;
        b.wait_live().await;
        // The live's milestones below its goal are marked; the campaign's is not its.
        wait_goal_bar(
            b,
            (Some("Prochain palier : 200,00 € — Cheveux roses (encore 50,00 €)"), vec![("20%", false), ("50%", false)]),
        )
        .await;
        // Crossed on air: its mark turns, the next one is named.
        app.donate_ok(&live, 6000).await;
        wait_goal_bar(
            b,
            (Some("Prochain palier : 500,00 € — Karaoké (encore 290,00 €)"), vec![("20%", true), ("50%", false)]),
        )
        .await;
        // Past every mark, the one beyond the goal is still ahead.
        app.donate_ok(&live, 30000).await;
        wait_goal_bar(
            b,
            (Some("Prochain palier : 1 500,00 € — Nuit blanche (encore 990,00 €)"), vec![("20%", true), ("50%", true)]),
        )
        .await;
        // The bar of the campaign's goal, in English: the campaign's milestone.
        b.goto(&page("&goal=campaign&lang=en")).await;
        b.wait_live().await;
        wait_goal_bar(b, (Some("Next milestone: €2,000.00 — Concert (€1,490.00 to go)"), vec![("40%", false)])).await;
        // Or none at all.
        b.goto(&page("&milestones=0")).await;
        b.wait_live().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(goal_bar(b).await, (None, vec![]));
    })
    .await;
}

#[tokio::test]
async fn the_public_pages_list_the_milestones_ahead_and_reached() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let path = format!("/api/v1/campaigns/{}/milestones", live.campaign_id);
    for body in [
        json!({"amount": 20000, "label": "Cheveux roses", "live_id": live.id}),
        json!({"amount": 50000, "label": "Karaoké", "live_id": live.id}),
        json!({"amount": 200000, "label": "Concert"}),
    ] {
        let (s, m) = app.post(&path, Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
    }
    // A challenge is not a milestone of this list.
    let (s, c) = app
        .post(
            &format!("/api/v1/lives/{}/challenges", live.id),
            Some(&live.key),
            json!({"label": "Je chante", "amount": 1000, "minutes": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    app.donate_ok(&live, 21000).await;
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}", app.base, live.id)).await;
        let want = |karaoke: &str, concert: &str| {
            vec![
                "200,00 € | Cheveux roses | atteint ✓".to_owned(),
                format!("500,00 € | Karaoké | {karaoke}"),
                format!("Campagne : 2 000,00 € | Concert | {concert}"),
            ]
        };
        let first = want("encore 290,00 €", "encore 1 790,00 €");
        assert_eq!(listed(b, |l| l == first.as_slice()).await, first);
        // Reached while the page is open.
        app.donate_ok(&live, 30000).await;
        let then = want("atteint ✓", "encore 1 490,00 €");
        assert_eq!(listed(b, |l| l == then.as_slice()).await, then);
        // Set while the page is open: listed at once, the live's before the campaign's.
        for body in [
            json!({"amount": 100000, "label": "Nuit blanche", "live_id": live.id}),
            json!({"amount": 300000, "label": "Tournée"}),
        ] {
            let (s, m) = app.post(&path, Some(ADMIN), body).await;
            assert_eq!(s, StatusCode::CREATED, "{m}");
        }
        let more = vec![
            then[0].clone(),
            then[1].clone(),
            "1 000,00 € | Nuit blanche | encore 490,00 €".to_owned(),
            then[2].clone(),
            "Campagne : 3 000,00 € | Tournée | encore 2 490,00 €".to_owned(),
        ];
        assert_eq!(listed(b, |l| l == more.as_slice()).await, more);

        // The campaign's page, in English: the campaign's own.
        b.goto(&format!("{}/campaigns/{}?lang=en", app.base, live.campaign_id)).await;
        let only = vec![
            "€2,000.00 | Concert | €1,490.00 to go".to_owned(),
            "€3,000.00 | Tournée | €2,490.00 to go".to_owned(),
        ];
        assert_eq!(listed(b, |l| l == only.as_slice()).await, only);
        assert_eq!(b.js("return document.querySelector('#milestones-box h2').textContent").await, "Milestones");
    })
    .await;
}

/// Clicks a button twice: the first click arms it, the second acts.
async fn twice(b: &Browser, css: &str) {
    click(b, css).await;
    let armed = format!("return document.querySelector({css:?}).dataset.armed");
    eventually("the button armed", WAIT, || async { (b.js(&armed).await == "1").then_some(()) }).await;
    click(b, css).await;
}

#[tokio::test]
async fn a_host_sets_a_milestone_from_their_space_and_takes_it_off_and_the_overlay_follows() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    app.donate_ok(&live, 5000).await;
    with_browser(async |b| {
        b.goto(&format!("{}/lives/{}/host#key={host}", app.base, live.id)).await;
        eventually("the host's space", WAIT, || async {
            (b.js("return document.body.dataset.state").await == "ready").then_some(())
        })
        .await;
        wait_text(b, "#host-milestones li", "Aucun palier pour l'instant.").await;
        fill(b, "#milestone-form [name=label]", "Cheveux roses").await;
        fill(b, "#milestone-form [name=amount]", "200").await;
        click(b, "#milestone-form button[type=submit]").await;
        wait_text(b, "#notice", "Palier ajouté\u{a0}: vos overlays le marquent sur la barre d'objectif.").await;
        fill(b, "#milestone-form [name=label]", "Karaoké").await;
        fill(b, "#milestone-form [name=amount]", "30").await;
        click(b, "#milestone-form button[type=submit]").await;
        // By amount: the karaoke reached at once (50 € given), the pink hair ahead.
        let list = || async {
            let v = b.js("return Array.from(document.querySelectorAll('#host-milestones li')).map(li => li.textContent)").await;
            v.as_array().unwrap().iter().map(plain).collect::<Vec<_>>()
        };
        let want = vec!["30,00 € — Karaoké atteint".to_owned(), "200,00 € — Cheveux roses encore 150,00 € Retirer".to_owned()];
        eventually("both milestones listed", WAIT, || async { (list().await == want).then_some(()) }).await;
        let pink = b.js("return document.querySelector('#host-milestones li[data-state=open]').dataset.id").await;
        let pink = pink.as_str().unwrap().to_owned();
        let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
        let labels: Vec<&str> = c["milestones"].as_array().unwrap().iter().map(|m| m["label"].as_str().unwrap()).collect();
        assert_eq!(labels, ["Cheveux roses", "Karaoké"]);

        // On the overlay's goal bar (its campaign document read every 300 s: the
        // removal comes by the live's stream).
        b.goto(&format!("{}/overlay/lives/{}/goal?token={}&refresh=300", app.base, live.id, live.overlay_token)).await;
        b.wait_live().await;
        wait_goal_bar(
            b,
            (Some("Prochain palier : 200,00 € — Cheveux roses (encore 150,00 €)"), vec![("3%", true), ("20%", false)]),
        )
        .await;
        let path = format!("/api/v1/lives/{}/milestones/{pink}", live.id);
        let (s, v) = app.request(reqwest::Method::DELETE, &path, Some(&host), &[], None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_goal_bar(b, (None, vec![("3%", true)])).await;
        // One set while the overlay is open shows at once, by its frame too.
        let (s, poster) = app
            .post(&format!("/api/v1/lives/{}/milestones", live.id), Some(&host), json!({"amount": 10000, "label": "Affiche"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{poster}");
        wait_goal_bar(b, (Some("Prochain palier : 100,00 € — Affiche (encore 50,00 €)"), vec![("3%", true), ("10%", false)]))
            .await;
        let path = format!("/api/v1/lives/{}/milestones/{}", live.id, poster["id"].as_str().unwrap());
        let (s, v) = app.request(reqwest::Method::DELETE, &path, Some(&host), &[], None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        wait_goal_bar(b, (None, vec![("3%", true)])).await;

        // The host's space lists what is left; a reached one cannot be taken off.
        b.goto(&format!("{}/lives/{}/host?lang=en#key={host}", app.base, live.id)).await;
        eventually("the list", WAIT, || async { (list().await == ["€30.00 — Karaoké reached"]).then_some(()) }).await;
        fill(b, "#milestone-form [name=label]", "Dessin").await;
        fill(b, "#milestone-form [name=amount]", "500").await;
        click(b, "#milestone-form button[type=submit]").await;
        eventually("the new one", WAIT, || async { (list().await.len() == 2).then_some(()) }).await;
        twice(b, "#host-milestones button[data-act=remove-milestone]").await;
        wait_text(b, "#notice", "Milestone removed: your overlays no longer show it.").await;
        eventually("taken off", WAIT, || async { (list().await == ["€30.00 — Karaoké reached"]).then_some(()) }).await;

        // The organisers see them removed, and take one off the campaign.
        let (s, wide) = app
            .post(&format!("/api/v1/campaigns/{}/milestones", live.campaign_id), Some(ADMIN), json!({"amount": 900000, "label": "Concert"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{wide}");
        sign_in(b, &app, "").await;
        let table = || async {
            let v = b
                .js("return Array.from(document.querySelectorAll('#milestones tbody tr')).map(tr => Array.from(tr.cells).map(c => c.textContent).join(' | '))")
                .await;
            v.as_array().unwrap().iter().map(plain).collect::<Vec<_>>()
        };
        let rows = vec![
            "Cheveux roses | 200,00 € | Corentin | retiré | ".to_owned(),
            "Karaoké | 30,00 € | Corentin | atteint | ".to_owned(),
            "Affiche | 100,00 € | Corentin | retiré | ".to_owned(),
            "Dessin | 500,00 € | Corentin | retiré | ".to_owned(),
            "Concert | 9 000,00 € | toute la campagne | pas encore | Supprimer".to_owned(),
        ];
        eventually("the milestones' table", WAIT, || async { (table().await == rows).then_some(()) }).await;
        twice(b, &format!("#milestones button[data-act=remove-milestone][data-id='{}']", wide["id"].as_str().unwrap())).await;
        eventually("the campaign's taken off", WAIT, || async {
            (table().await.last().map(String::as_str) == Some("Concert | 9 000,00 € | toute la campagne | retiré | ")).then_some(())
        })
        .await;
    })
    .await;
}

/// The milestones widget's rows (`class: amount | label | state`), none while hidden.
async fn milestone_rows(b: &Browser) -> Vec<String> {
    let v = b
        .js("var w = document.getElementById('w-milestones'); if (w.hidden) return [];
             return Array.from(document.querySelectorAll('#milestone-list li'))
               .map(li => li.className + ': ' + Array.from(li.children).map(c => c.textContent).join(' | '))")
        .await;
    v.as_array().unwrap().iter().map(plain).collect()
}

#[tokio::test]
async fn the_milestones_widget_lists_them_reached_and_ahead() {
    let app = spawn_app().await;
    let live = app.setup().await; // live goal 1 000 €, campaign goal 5 000 €
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/milestones", live.id);
    for (amount, label) in [(20000, "Cheveux roses"), (50000, "Karaoké"), (150000, "Nuit blanche")] {
        let (s, m) = app.post(&path, Some(&host), json!({"amount": amount, "label": label})).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
    }
    let (s, m) = app
        .post(
            &format!("/api/v1/campaigns/{}/milestones", live.campaign_id),
            Some(ADMIN),
            json!({"amount": 200000, "label": "Concert"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    app.donate_ok(&live, 21000).await;
    with_browser(async |b| {
        b.goto(&format!("{}/overlay/lives/{}/milestones?token={}", app.base, live.id, live.overlay_token)).await;
        b.wait_live().await;
        let want = [
            "reached: 200,00 € | Cheveux roses | ✓",
            "next: 500,00 € | Karaoké | encore 290,00 €",
            ": 1 500,00 € | Nuit blanche | ",
        ];
        eventually("the live's milestones", WAIT, || async { (milestone_rows(b).await == want).then_some(()) }).await;
        assert_eq!(b.js("return document.getElementById('milestones-title').textContent").await, "Paliers");
        // Reached on air.
        app.donate_ok(&live, 30000).await;
        let want = [
            "reached: 200,00 € | Cheveux roses | ✓",
            "reached: 500,00 € | Karaoké | ✓",
            "next: 1 500,00 € | Nuit blanche | encore 990,00 €",
        ];
        eventually("the karaoke reached", WAIT, || async { (milestone_rows(b).await == want).then_some(()) }).await;
        // The campaign's, in English.
        b.goto(&format!(
            "{}/overlay/lives/{}/milestones?token={}&goal=campaign&lang=en",
            app.base, live.id, live.overlay_token
        ))
        .await;
        b.wait_live().await;
        let want = ["next: €2,000.00 | Concert | €1,490.00 left"];
        eventually("the campaign's", WAIT, || async { (milestone_rows(b).await == want).then_some(()) }).await;
        assert_eq!(b.js("return document.getElementById('milestones-title').textContent").await, "Milestones");
        // Not in the scene of every widget.
        b.goto(&format!("{}/overlay/lives/{}?token={}", app.base, live.id, live.overlay_token)).await;
        b.wait_live().await;
        assert_eq!(b.js("return !!document.getElementById('w-milestones')").await, false);
    })
    .await;
}
