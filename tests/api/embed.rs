//! The counter a charity frames on its own website (`/campaigns/{id}/embed`,
//! `/lives/{id}/embed`): exact figures, any site may frame it, the refusals.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn page(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let res = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = res.status();
    let csp = res.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, csp, res.text().await.unwrap())
}

#[tokio::test]
async fn a_charity_frames_its_counter_on_its_own_website() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "goal": 500000, "charity": "Les Restos du cœur",
                         "donate_url": "https://dons.example.org/mars"}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Ana", "title": "Concert", "goal": 100000})).await;
    app.donate_ok(&live, 123450).await;

    let (s, csp, html) = page(&app, &format!("/campaigns/{cid}/embed")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(csp.ends_with("frame-ancestors *") && csp.contains("script-src 'self'"), "{csp}");
    for want in [
        "<span id=\"e-total\">1\u{202f}234,50\u{a0}€</span> <span class=\"e-for\">récoltés pour Les Restos du cœur</span>",
        "24\u{a0}% de l&#39;objectif de 5\u{202f}000,00\u{a0}€",
        "<a class=\"e-donate\" href=\"https://dons.example.org/mars\" target=\"_blank\" rel=\"noopener\">Faire un don</a>",
        "<body class=\"embed light\" data-kind=\"campaign\"",
        "data-total=\"123450\" data-goal=\"500000\"",
        &format!("href=\"/campaigns/{cid}?lang=fr\""),
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    // A live's, in English on a dark background: its own goal.
    let (s, _, html) = page(&app, &format!("/lives/{}/embed?lang=en&theme=dark", live.id)).await;
    assert_eq!(s, StatusCode::OK);
    for want in [
        "<body class=\"embed dark\" data-kind=\"live\"",
        "Ana — Concert",
        "<span id=\"e-total\">€1,234.50</span> <span class=\"e-for\">raised for Les Restos du cœur</span>",
        "123% of the €1,000.00 goal",
        ">Donate</a>",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    // Without a goal nor a donate link: neither bar nor button.
    let bare = app.campaign(json!({"name": "Sans objectif", "currency": "EUR"})).await;
    let (_, _, html) = page(&app, &format!("/campaigns/{}/embed", bare["id"].as_str().unwrap())).await;
    assert!(html.contains("class=\"e-track\" id=\"e-track\" hidden") && !html.contains("e-donate"), "{html}");
    // A host's counter for their month of lives: the one of the moment.
    let later = app.live(&cid, json!({"host": "ana", "scheduled_at": from_now(7 * 86_400)})).await;
    let res =
        app.client.get(format!("{}/lives/{}/embed?follow=host&theme=dark", app.base, later.id)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.url().path(), format!("/lives/{}/embed", later.id), "Ana's next live, as her follow link shows");
    let never = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = never.get(format!("{}/lives/{}/embed?follow=host&theme=dark", app.base, live.id)).send().await.unwrap();
    assert_eq!(
        (res.status(), res.headers()["location"].to_str().unwrap()),
        (StatusCode::FOUND, format!("/lives/{}/embed?lang=fr&theme=dark", later.id).as_str())
    );
    assert_eq!(page(&app, &format!("/lives/{}/embed?follow=campaign", live.id)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        page(&app, &format!("/lives/{}/embed?follow=host&theme=blue", live.id)).await.0,
        StatusCode::BAD_REQUEST
    );
    // Refused: a theme of no kind, no such campaign or live.
    let (s, _, body) = page(&app, &format!("/campaigns/{cid}/embed?theme=blue")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("invalid_query"), "{body}");
    assert_eq!(page(&app, "/campaigns/nope/embed").await.0, StatusCode::NOT_FOUND);
    assert_eq!(page(&app, "/lives/nope/embed").await.0, StatusCode::NOT_FOUND);
}
