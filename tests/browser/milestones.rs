//! Milestones ahead: marked on the overlay's goal bar with the next one under
//! it, and listed on the public pages, reached as the donations come.

use crate::browser::{Browser, eventually, with_browser};
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

        // The campaign's page, in English: the campaign's own.
        b.goto(&format!("{}/campaigns/{}?lang=en", app.base, live.campaign_id)).await;
        let only = vec!["€2,000.00 | Concert | €1,490.00 to go".to_owned()];
        assert_eq!(listed(b, |l| l == only.as_slice()).await, only);
        assert_eq!(b.js("return document.querySelector('#milestones-box h2').textContent").await, "Milestones");
    })
    .await;
}
