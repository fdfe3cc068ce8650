//! The donors a credits roll thanks: every name viewers may see, biggest
//! first, and how many gifts show none.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn donor(name: &str, amount: i64, donations: u64) -> Value {
    json!({"donor": name, "amount": amount, "donations": donations})
}

#[tokio::test]
async fn the_donors_list_names_every_donor_viewers_may_see_and_counts_the_others() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Inès"})).await;
    let elsewhere = app.setup().await;
    let give = |donor: Option<&str>, amount: i64, anonymous: bool| json!({"amount": amount, "currency": "EUR", "donor": donor, "anonymous": anonymous});
    let mut ids = std::collections::HashMap::new();
    for (key, donor, amount, anonymous) in [
        ("ana1", Some("Ana"), 500, false),
        ("ana2", Some("Ana"), 1500, false),
        ("bob", Some("Bob"), 1000, false),
        ("bea", Some("Bea"), 1000, false),
        ("chloe", Some("Chloé"), 3000, true),
        ("nameless", None, 700, false),
        ("dan", Some("Dan"), 2500, false),
        ("eve", Some("Eve"), 1200, false),
        ("fay", Some("Fay"), 1000, false),
    ] {
        ids.insert(key, app.gift(&live, donor, amount, anonymous).await);
    }
    // Dan's gift given back whole, Eve's down to 8 €, Fay's name hidden by the host.
    assert_eq!(app.refund(&live, &ids["dan"], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&live, &ids["eve"], json!({"refunded_amount": 400})).await, StatusCode::OK);
    let (s, _) =
        app.post(&format!("/api/v1/donations/{}/hide", ids["fay"]), Some(&live.key), json!({"donor": true})).await;
    assert_eq!(s, StatusCode::OK);
    // Another live's donor is the campaign's, not this live's; another campaign's is neither.
    app.donate(&other, give(Some("Gus"), 4000, false)).await;
    app.donate(&elsewhere, give(Some("Zed"), 9000, false)).await;

    let (s, list) = app.get(&format!("/api/v1/lives/{}/donors", live.id)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let (_, doc) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(
        list,
        json!({
            "seq": doc["seq"],
            "totals": {"raised": 9500, "matched": 0, "total": 9500, "donations": 8},
            // Ties by name: Bea before Bob.
            "donors": [donor("Ana", 2000, 2), donor("Bea", 1000, 1), donor("Bob", 1000, 1), donor("Eve", 800, 1)],
            // Chloé gave anonymously, one gift has no name, Fay's is hidden.
            "unnamed_donations": 3,
        })
    );
    assert_eq!(list["totals"], doc["totals"]);

    let (s, all) = app.get(&format!("/api/v1/campaigns/{}/donors", live.campaign_id)).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let (_, cdoc) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(
        all,
        json!({
            "seq": cdoc["seq"],
            "totals": {"raised": 13500, "matched": 0, "total": 13500, "donations": 9},
            "donors": [
                donor("Gus", 4000, 1), donor("Ana", 2000, 2), donor("Bea", 1000, 1), donor("Bob", 1000, 1), donor("Eve", 800, 1),
            ],
            "unnamed_donations": 3,
        })
    );

    // A name held for moderation is not shown until approved.
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (s, held) = app.donate(&live, give(Some("Hugo"), 600, false)).await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    let named = [donor("Ana", 2000, 2), donor("Bea", 1000, 1), donor("Bob", 1000, 1), donor("Eve", 800, 1)];
    let (_, list) = app.get(&format!("/api/v1/lives/{}/donors", live.id)).await;
    assert_eq!((list["donors"].clone(), list["unnamed_donations"].clone()), (json!(named), json!(4)), "{list}");
    let held = held["donation"]["id"].as_str().unwrap();
    let (s, _) = app.post(&format!("/api/v1/donations/{held}/approve"), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app.get(&format!("/api/v1/lives/{}/donors", live.id)).await;
    assert_eq!(list["donors"][4], donor("Hugo", 600, 1), "{list}");
    assert_eq!((list["donors"].as_array().unwrap().len(), list["unnamed_donations"].clone()), (5, json!(3)));

    // The same after a restart (the read model rebuilt from the log).
    let app = app.restart().await;
    let (_, again) = app.get(&format!("/api/v1/lives/{}/donors", live.id)).await;
    assert_eq!(again, list);

    for (path, code) in [
        ("/api/v1/lives/nope/donors".to_owned(), "live_not_found"),
        ("/api/v1/campaigns/nope/donors".to_owned(), "campaign_not_found"),
    ] {
        let (s, e) = app.get(&path).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some(code)), "{path}: {e}");
    }
}

/// Every donor's list asked by many at once (credits rolls, public pages) is
/// made once for them, the campaign's and each live's apart; a new gift is in
/// the next answer; with nothing new, none is made.
#[tokio::test]
async fn a_crowd_asking_every_donor_at_once_shares_one_answer() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gift(&live, Some("Ana"), 1500, false).await;
    let made = async || app.metric("cagnotte_public_answers_made_total{what=\"donors\"}").await;
    let all_at_once = async |path: &str| app.get_at_once(path, 40).await["donors"].clone();
    let (campaign, own) =
        (format!("/api/v1/campaigns/{}/donors", live.campaign_id), format!("/api/v1/lives/{}/donors", live.id));
    assert_eq!(made().await, 0.0);
    assert_eq!(all_at_once(&campaign).await, json!([donor("Ana", 1500, 1)]));
    assert_eq!(made().await, 1.0);
    assert_eq!(all_at_once(&own).await, json!([donor("Ana", 1500, 1)]));
    assert_eq!(made().await, 2.0);
    app.gift(&live, Some("Bob"), 700, false).await;
    assert_eq!(all_at_once(&campaign).await, json!([donor("Ana", 1500, 1), donor("Bob", 700, 1)]));
    assert_eq!(made().await, 3.0);
    assert_eq!(all_at_once(&campaign).await, json!([donor("Ana", 1500, 1), donor("Bob", 700, 1)]));
    assert_eq!(made().await, 3.0);
    // Gzipped for whoever takes it: the same list.
    let plain = app.client.get(format!("{}{campaign}", app.base)).send().await.unwrap().bytes().await.unwrap();
    let res = app.client.get(format!("{}{campaign}", app.base)).header("accept-encoding", "gzip").send().await.unwrap();
    let said = |k: &str| res.headers().get(k).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!((said("content-encoding"), said("vary")), (Some("gzip".into()), Some("accept-encoding".into())));
    assert_eq!(gunzip(&res.bytes().await.unwrap()), plain);
    assert_eq!(made().await, 3.0);
}
