//! The campaign's report: donations and donors counted, the average, median and
//! largest gift, the refunds, and each day's donations on the organiser's clock.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_report_sums_the_campaign_by_day_on_the_organisers_clock() {
    let clock = ManualClock::at("2026-12-31T10:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    app.add_match(&live.campaign_id, json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 1000})).await;
    let mut ids = std::collections::HashMap::new();
    for (at, key, donor, amount, anonymous) in [
        ("2026-12-31T10:00:00Z", "ana", Some("Ana"), 1000, false),
        ("2026-12-31T22:30:00Z", "bob", Some("Bob"), 500, false),
        ("2026-12-31T22:40:00Z", "dan", Some("Dan"), 2500, false),
        ("2026-12-31T22:50:00Z", "eve", Some("Eve"), 1200, false),
        // Past midnight in Paris, not yet in UTC.
        ("2026-12-31T23:30:00Z", "chloe", Some("Chloé"), 3000, true),
        ("2026-12-31T23:40:00Z", "nameless", None, 700, false),
        ("2027-01-01T09:00:00Z", "ana2", Some(" ana "), 200, false),
    ] {
        clock.set(at);
        ids.insert(key, app.gift(&live, donor, amount, anonymous).await);
    }
    assert_eq!(app.refund(&live, &ids["dan"], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&live, &ids["eve"], json!({"refunded_amount": 400})).await, StatusCode::OK);

    let path = format!("/api/v1/campaigns/{}/report", live.campaign_id);
    let app = &app;
    let get = |query: &str| {
        let url = format!("{path}{query}");
        async move { app.admin_get(&url).await }
    };
    let (s, paris) = get("?tz=Europe/Paris").await;
    assert_eq!(s, StatusCode::OK, "{paris}");
    let largest = json!({
        "id": ids["chloe"], "amount": 3000, "at": "2026-12-31T23:30:00.000Z", "live_id": live.id,
        "host": "Corentin", "donor": "Chloé", "anonymous": true,
    });
    assert_eq!(
        paris,
        json!({
            "campaign_id": live.campaign_id, "currency": "EUR", "time_zone": "Europe/Paris",
            "totals": {"raised": 6200, "matched": 1000, "total": 7200, "donations": 6},
            // Ana twice under one name; Dan's gift given back whole does not count.
            "donors": 4, "unnamed_donations": 1,
            // 200, 500, 700, 800, 1 000 and 3 000: 6 200 / 6, and between 700 and 800.
            "average": 1033, "median": 750,
            "largest": largest,
            "refunds": {"whole": 1, "partial": 1, "amount": 2900},
            "by_day": [
                {"date": "2026-12-31", "donations": 3, "raised": 2300, "matched": 1000, "total": 3300},
                {"date": "2027-01-01", "donations": 3, "raised": 3900, "matched": 0, "total": 3900},
            ],
            "by_platform": [{"platform": "direct", "donations": 6, "raised": 6200, "matched": 1000, "total": 7200}],
        })
    );
    // On UTC's clock, two of them are still on New Year's Eve.
    let (s, utc) = get("").await;
    assert_eq!(s, StatusCode::OK, "{utc}");
    assert_eq!(utc["time_zone"], "UTC");
    assert_eq!(
        utc["by_day"],
        json!([
            {"date": "2026-12-31", "donations": 5, "raised": 6000, "matched": 1000, "total": 7000},
            {"date": "2027-01-01", "donations": 1, "raised": 200, "matched": 0, "total": 200},
        ])
    );

    // The organisers' only; a clock that does not exist is refused.
    let (s, e) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = get("?tz=Mars/Olympus").await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{e}");
    let (s, e) = app.admin_get("/api/v1/campaigns/nope/report").await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")), "{e}");

    // A campaign without a donation.
    let empty = app.eur_campaign().await;
    let (s, none) = app.admin_get(&format!("/api/v1/campaigns/{empty}/report")).await;
    assert_eq!(s, StatusCode::OK, "{none}");
    assert_eq!(
        (
            none["donors"].clone(),
            none["average"].clone(),
            none["median"].clone(),
            none["largest"].clone(),
            none["by_day"].clone()
        ),
        (json!(0), json!(0), json!(0), json!(null), json!([]))
    );
}

/// The charity's space reads the campaign's figures with a key of its own,
/// exactly what the organisers read, and nothing else: no write, no other
/// campaign, no stream; a new key turns the old one away, through a restart.
#[tokio::test]
async fn the_charitys_key_reads_the_campaigns_figures_and_nothing_else() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.setup().await;
    app.add_match(&live.campaign_id, json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 1000})).await;
    let ana = app.gift(&live, Some("Ana"), 1500, false).await;
    app.gift(&live, Some("Bob"), 700, true).await;
    app.gift(&other, Some("Chloé"), 900, false).await;
    let rotate = format!("/api/v1/campaigns/{}/rotate", live.campaign_id);

    // Without a body, or with one that names neither, a rotation still replaces the overlay token only.
    for body in ["", "{}"] {
        let (s, v) = app.post_raw(&rotate, Some(ADMIN), &[], body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["overlay_token"].as_str().unwrap().starts_with("ot_") && v.get("report_token").is_none(), "{v}");
    }
    // Refused bodies write nothing.
    for (body, status, code) in [
        (r#"{"overlay_token": false}"#, StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_rotate"),
        (r#"{"report_token": false}"#, StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_rotate"),
        (r#"{"report": true}"#, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field"),
        ("[true]", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
    ] {
        let (s, v) = app.post_raw(&rotate, Some(ADMIN), &[], body).await;
        assert_eq!((s, v["error"].as_str()), (status, Some(code)), "{body}: {v}");
    }
    let (s, v) = app.post("/api/v1/campaigns/nope/rotate", Some(ADMIN), json!({"report_token": true})).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")), "{v}");
    let (s, _) = app.post(&rotate, Some(&live.key), json!({"report_token": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, v) = app.post(&rotate, Some(ADMIN), json!({"report_token": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let key = v["report_token"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rk_") && key.len() > 40, "{key}");
    assert_eq!(v["id"], json!(live.campaign_id));
    assert_eq!(v["report_url"], json!(format!("{}/campaigns/{}/charity#key={key}", app.base, live.campaign_id)));
    assert!(v.get("overlay_token").is_none(), "{v}");

    // What the organisers read, byte for byte.
    let c = &live.campaign_id;
    let reads = [
        format!("/api/v1/campaigns/{c}/report?tz=Europe/Paris"),
        format!("/api/v1/campaigns/{c}/donations"),
        format!("/api/v1/campaigns/{c}/donations?q=ana"),
        format!("/api/v1/campaigns/{c}/donations.csv"),
        format!("/api/v1/campaigns/{c}/donations.csv?excel=1&lang=fr&tz=Europe/Paris"),
        format!("/api/v1/campaigns/{c}/lives.csv"),
        format!("/api/v1/campaigns/{c}/matches.csv"),
        format!("/api/v1/campaigns/{c}/draws.csv"),
        format!("/api/v1/campaigns/{c}/rewards.csv"),
        format!("/api/v1/campaigns/{c}/donors.csv?excel=1&lang=fr"),
    ];
    let read_all = async |app: &TestApp, key: &str| {
        for path in &reads {
            let (s, admin) = app.admin_get(path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {admin}");
            let (s, charity) = app.request(reqwest::Method::GET, path, Some(key), &[], None).await;
            assert_eq!(s, StatusCode::OK, "{path}: {charity}");
            assert_eq!(charity, admin, "{path}");
        }
    };
    read_all(&app, &key).await;
    let (_, found) = app.request(reqwest::Method::GET, &reads[2], Some(&key), &[], None).await;
    assert_eq!(found["count"], json!(1));
    assert_eq!(found["donations"][0]["id"], json!(ana));
    assert_eq!(found["donations"][0]["donor_name"], json!("Ana"));

    // Another campaign's figures, and everything that writes or streams, are refused and change nothing.
    let before = app.get(&format!("/api/v1/campaigns/{c}")).await.1;
    let o = &other.campaign_id;
    let (s, v) =
        app.request(reqwest::Method::GET, &format!("/api/v1/campaigns/{o}/report"), Some(&key), &[], None).await;
    assert_eq!(
        (s, v["message"].as_str()),
        (StatusCode::FORBIDDEN, Some("this charity link belongs to another campaign")),
        "{v}"
    );
    let (s, _) =
        app.request(reqwest::Method::GET, &format!("/api/v1/campaigns/{o}/donations.csv"), Some(&key), &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let donation = json!({"amount": 100, "currency": "EUR"}).to_string();
    let refused = [
        (reqwest::Method::POST, format!("/api/v1/lives/{}/donations", live.id), Some(donation)),
        (reqwest::Method::POST, format!("/api/v1/donations/{ana}/refund"), Some("{}".to_owned())),
        (reqwest::Method::POST, format!("/api/v1/donations/{ana}/hide"), Some(r#"{"donor":true}"#.to_owned())),
        (reqwest::Method::POST, format!("/api/v1/donations/{ana}/erase"), Some("{}".to_owned())),
        (reqwest::Method::PATCH, format!("/api/v1/campaigns/{c}"), Some(r#"{"name":"Autre"}"#.to_owned())),
        (reqwest::Method::POST, format!("/api/v1/campaigns/{c}/lives"), Some(r#"{"host":"Eve"}"#.to_owned())),
        (reqwest::Method::POST, rotate.clone(), Some(r#"{"report_token":true}"#.to_owned())),
        (reqwest::Method::POST, format!("/api/v1/lives/{}/test-alert", live.id), Some("{}".to_owned())),
        (reqwest::Method::GET, format!("/api/v1/lives/{}/donations", live.id), None),
        (reqwest::Method::GET, format!("/api/v1/lives/{}/moderation", live.id), None),
        (reqwest::Method::GET, format!("/api/v1/campaigns/{c}/connections"), None),
        (reqwest::Method::GET, format!("/api/v1/campaigns/{c}/media"), None),
        (reqwest::Method::GET, format!("/api/v1/lives/{}/events", live.id), None),
        (reqwest::Method::GET, format!("/overlay/campaigns/{c}?token={key}"), None),
        (reqwest::Method::GET, format!("/overlay/lives/{}?token={key}", live.id), None),
        (reqwest::Method::GET, format!("/ws/campaigns/{c}?token={key}"), None),
    ];
    for (method, path, body) in refused {
        let (s, v) = app.request(method.clone(), &path, Some(&key), &[], body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }
    assert_eq!(app.get(&format!("/api/v1/campaigns/{c}")).await.1, before);
    // The other keys of the campaign do not read its figures.
    for token in [live.key.as_str(), live.overlay_token.as_str()] {
        let (s, _) = app.request(reqwest::Method::GET, &reads[0], Some(token), &[], None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }

    // An edit of the campaign keeps the key; a new key turns the old one away, after a restart too.
    let (s, _) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/{c}"),
            Some(ADMIN),
            &[],
            Some(r#"{"name":"Restos 2027"}"#.to_owned()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    read_all(&app, &key).await;
    let (_, v) = app.post(&rotate, Some(ADMIN), json!({"report_token": true, "overlay_token": true})).await;
    let new_key = v["report_token"].as_str().unwrap().to_owned();
    assert!(v["overlay_token"].as_str().unwrap().starts_with("ot_"), "{v}");
    let app = app.restart().await;
    let (s, v) = app.request(reqwest::Method::GET, &reads[0], Some(&key), &[], None).await;
    assert_eq!((s, v["message"].as_str()), (StatusCode::UNAUTHORIZED, Some("this token is not valid")), "{v}");
    read_all(&app, &new_key).await;
    // The space's page holds no secret; a campaign that does not exist has none.
    let page = app.client.get(format!("{}/campaigns/{c}/charity?lang=en", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Restos 2027 — Charity&#39;s space</h1>"), "{html}");
    assert!(!html.contains(&new_key) && !html.contains("rk_"), "{html}");
    let (s, v) = app.get("/campaigns/nope/charity").await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")), "{v}");
}

/// The donors' export: one row per name given (case and spaces aside), their
/// gifts that still count, biggest total first; the spreadsheet adds the gifts
/// without a name and the campaign's total, so its columns sum to the totals.
#[tokio::test]
async fn the_donors_export_sums_each_donors_gifts() {
    let clock = ManualClock::at("2026-12-31T10:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    let zoe = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    app.add_match(&live.campaign_id, json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 1000})).await;
    let mut ids = std::collections::HashMap::new();
    for (at, key, on, donor, amount, anonymous) in [
        ("2026-12-31T10:00:00Z", "ana", &live, Some("Ana"), 1000, false),
        ("2026-12-31T22:40:00Z", "dan", &live, Some("Dan"), 2500, false),
        ("2026-12-31T23:30:00Z", "chloe", &zoe, Some("Chloé"), 3000, true),
        ("2026-12-31T23:40:00Z", "nameless", &live, None, 300, false),
        ("2027-01-01T08:00:00Z", "eve", &zoe, Some("Eve"), 1200, false),
        ("2027-01-01T09:00:00Z", "ana2", &zoe, Some(" ANA "), 500, false),
    ] {
        clock.set(at);
        ids.insert(key, app.gift(on, donor, amount, anonymous).await);
    }
    assert_eq!(app.refund(&live, &ids["dan"], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&zoe, &ids["eve"], json!({"refunded_amount": 400})).await, StatusCode::OK);
    let get = async |query: &str| {
        let url = format!("{}/api/v1/campaigns/{}/donors.csv{query}", app.base, live.campaign_id);
        let res = app.client.get(url).bearer_auth(ADMIN).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
        (disposition, res.text().await.unwrap())
    };
    let (disposition, csv) = get("").await;
    assert_eq!(disposition, format!("attachment; filename=\"{}-donors.csv\"", live.campaign_id));
    assert_eq!(
        csv,
        "donor,anonymous,donations,kept,matched,total,currency,first_at,last_at,hosts\n\
         Chloé,yes,1,30.00,0.00,30.00,EUR,2026-12-31T23:30:00.000Z,2026-12-31T23:30:00.000Z,Zoé\n\
         Ana,no,2,15.00,10.00,25.00,EUR,2026-12-31T10:00:00.000Z,2027-01-01T09:00:00.000Z,\"Corentin, Zoé\"\n\
         Eve,no,1,8.00,0.00,8.00,EUR,2027-01-01T08:00:00.000Z,2027-01-01T08:00:00.000Z,Zoé\n"
    );
    let (disposition, csv) = get("?excel=1&lang=fr&tz=Europe/Paris").await;
    assert_eq!(disposition, format!("attachment; filename=\"{}-donateurs.csv\"", live.campaign_id));
    assert_eq!(
        csv,
        "\u{feff}donateur;anonyme;dons;conservé;abondé;total;devise;premier don (Europe/Paris);dernier don (Europe/Paris);lives de\n\
         Chloé;oui;1;30,00;0,00;30,00;EUR;2027-01-01 00:30:00;2027-01-01 00:30:00;Zoé\n\
         Ana;non;2;15,00;10,00;25,00;EUR;2026-12-31 11:00:00;2027-01-01 10:00:00;Corentin, Zoé\n\
         Eve;non;1;8,00;0,00;8,00;EUR;2027-01-01 09:00:00;2027-01-01 09:00:00;Zoé\n\
         Dons sans nom;;1;3,00;0,00;3,00;EUR;;;Corentin\n\
         Total de la campagne;;5;56,00;10,00;66,00;EUR;;;\n"
    );
    let (_, campaign) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(campaign["totals"], json!({"raised": 5600, "matched": 1000, "total": 6600, "donations": 5}));
    let (s, v) = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/campaigns/{}/donors.csv", live.campaign_id),
            Some(&live.key),
            &[],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
}

/// The public day by day: each day's donations that count and their totals,
/// on the asked clock, summing to the campaign's totals; no name in it; a
/// change read in within two seconds.
#[tokio::test]
async fn the_public_day_by_day_sums_to_the_totals_on_the_asked_clock() {
    let clock = ManualClock::at("2027-03-01T10:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let live = app.setup().await;
    app.gift(&live, Some("Ana"), 1500, false).await;
    clock.set("2027-03-01T23:30:00Z");
    app.gift(&live, Some("Bob"), 700, false).await;
    let refunded = app.gift(&live, Some("Chloé"), 900, false).await;
    assert_eq!(app.refund(&live, &refunded, json!(null)).await, StatusCode::OK);
    clock.set("2027-03-03T12:00:00Z");
    app.gift(&live, None, 300, true).await;
    let days = async |q: &str| {
        let (s, v) = app.get(&format!("/api/v1/campaigns/{}/days{q}", live.campaign_id)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    };
    let row = |date: &str, n: u64, total: i64| json!({"date": date, "donations": n, "raised": total, "matched": 0, "total": total});
    let utc = days("").await;
    assert_eq!(utc["time_zone"], "UTC");
    assert_eq!(utc["by_day"], json!([row("2027-03-01", 2, 2200), row("2027-03-03", 1, 300)]));
    let paris = days("?tz=Europe/Paris").await;
    assert_eq!(
        (&paris["time_zone"], &paris["by_day"], &paris["totals"]["total"]),
        (
            &json!("Europe/Paris"),
            &json!([row("2027-03-01", 1, 1500), row("2027-03-02", 1, 700), row("2027-03-03", 1, 300)]),
            &json!(2500)
        )
    );
    assert!(!paris.to_string().contains("Ana") && !paris.to_string().contains("Bob"), "{paris}");

    // A new gift is read in, two seconds later at most.
    app.gift(&live, Some("Dan"), 1000, false).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(days("").await["by_day"], json!([row("2027-03-01", 2, 2200), row("2027-03-03", 2, 1300)]));

    let (s, v) = app.get(&format!("/api/v1/campaigns/{}/days?tz=Mars/Olympus", live.campaign_id)).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
    assert_eq!(app.get("/api/v1/campaigns/nope/days").await.0, StatusCode::NOT_FOUND);
}

/// Many viewers opening the public page at once (a stream's link posted) make
/// one read of the log for the day by day, not one each: those who ask while
/// it is read wait for it; with nothing new, none at all (a read this quick is
/// made again at each change: the two seconds an answer may stand are for a
/// campaign whose log takes long to read).
#[tokio::test]
async fn viewers_asking_the_day_by_day_at_once_share_one_read_of_the_log() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gift(&live, Some("Ana"), 1500, false).await;
    let reads = async || app.metric("cagnotte_public_answers_made_total{what=\"days\"}").await;
    let path = format!("/api/v1/campaigns/{}/days", live.campaign_id);
    let all_at_once = async || app.get_at_once(&path, 40).await["by_day"][0]["donations"].clone();
    assert_eq!(reads().await, 0.0);
    assert_eq!(all_at_once().await, json!(1));
    assert_eq!(reads().await, 1.0);
    // A new gift: one more read for all of them (at once, or within the two
    // seconds an answer may stand when the machine is so busy that its read
    // took 5 ms or more).
    app.gift(&live, Some("Bob"), 700, false).await;
    let mut seen = all_at_once().await;
    for _ in 0..30 {
        if seen == json!(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = all_at_once().await;
    }
    assert_eq!(seen, json!(2));
    assert_eq!(reads().await, 2.0);
    // Nothing new: none.
    assert_eq!(all_at_once().await, json!(2));
    assert_eq!(reads().await, 2.0);
}

/// The report's share of each payment platform, biggest first, summing to the
/// campaign's totals: what each provider's payouts add up to.
#[tokio::test]
async fn the_report_gives_each_platform_s_share() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.add_match(&live.campaign_id, json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 500})).await;
    let mut given_back = String::new();
    for (platform, amount) in
        [("stripe", 1000), ("offline", 3000), ("stripe", 700), ("helloasso", 400), ("helloasso", 9000)]
    {
        let (s, v) = app.donate(&live, json!({"amount": amount, "currency": "EUR", "platform": platform})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        given_back = v["donation"]["id"].as_str().unwrap().to_owned();
    }
    assert_eq!(app.refund(&live, &given_back, json!({})).await, StatusCode::OK);
    let (s, r) = app.admin_get(&format!("/api/v1/campaigns/{}/report", live.campaign_id)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let row = |p: &str, n: u64, raised: i64, matched: i64| json!({"platform": p, "donations": n, "raised": raised, "matched": matched, "total": raised + matched});
    assert_eq!(
        r["by_platform"],
        json!([row("offline", 1, 3000, 0), row("stripe", 2, 1700, 500), row("helloasso", 1, 400, 0)])
    );
    assert_eq!(r["totals"], json!({"raised": 5100, "matched": 500, "total": 5600, "donations": 4}));
}

/// The large exports and lists go gzipped to whoever takes it (the same bytes
/// once unzipped), whole to anyone else; a small answer goes as it is.
#[tokio::test]
async fn large_exports_are_gzipped_for_who_takes_it() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gifts(&live, 120).await;
    let c = &live.campaign_id;
    let get = async |path: &str, gzip: bool| {
        let mut req = app.client.get(format!("{}{path}", app.base)).bearer_auth(ADMIN);
        if gzip {
            req = req.header("accept-encoding", "gzip, deflate, br");
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = |k: &str| res.headers().get(k).map(|v| v.to_str().unwrap().to_owned());
        let said = (h("content-encoding"), h("vary"), h("content-type"));
        (said, res.bytes().await.unwrap().to_vec())
    };
    for (path, ct) in [
        (format!("/api/v1/campaigns/{c}/donations.csv"), "text/csv; charset=utf-8"),
        (format!("/api/v1/campaigns/{c}/donations.csv?excel=1&lang=fr"), "text/csv; charset=utf-8"),
        (format!("/api/v1/campaigns/{c}/donors.csv"), "text/csv; charset=utf-8"),
        (format!("/api/v1/campaigns/{c}/donations"), "application/json"),
        (format!("/api/v1/lives/{}/donations", live.id), "application/json"),
    ] {
        let ((enc, vary, t), zipped) = get(&path, true).await;
        assert_eq!((enc.as_deref(), vary.as_deref(), t.as_deref()), (Some("gzip"), Some("accept-encoding"), Some(ct)));
        let ((enc, vary, _), whole) = get(&path, false).await;
        assert_eq!((enc, vary.as_deref()), (None, Some("accept-encoding")), "{path}");
        assert!(whole.len() >= 8 * 1024, "{path}: {} bytes", whole.len());
        assert!(zipped.len() * 3 < whole.len(), "{path}: {} of {}", zipped.len(), whole.len());
        assert_eq!(gunzip(&zipped), whole, "{path}");
    }
    let ((_, _, _), list) = get(&format!("/api/v1/campaigns/{c}/donations"), true).await;
    let list: serde_json::Value = serde_json::from_slice(&gunzip(&list)).unwrap();
    assert_eq!(list["count"], 120);
    let newest = &list["donations"][0];
    assert_eq!(
        newest,
        &json!({
            "id": newest["id"], "live_id": live.id, "amount": 219, "currency": "EUR", "matched": 0,
            "donor": "Donateur 119", "message": null, "platform": "direct", "at": newest["at"],
            "refunded": false, "refunded_amount": 0, "moderation": "shown", "host": "Corentin",
            "donor_name": "Donateur 119", "anonymous": false, "message_text": null, "donor_hidden": false,
            "message_hidden": false, "refunded_at": null, "reference": null,
        })
    );
    // The newest two, the report: small, as they are.
    for path in [format!("/api/v1/campaigns/{c}/donations?limit=2"), format!("/api/v1/campaigns/{c}/report")] {
        let ((enc, vary, _), body) = get(&path, true).await;
        assert_eq!((enc, vary), (None, None), "{path}");
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok(), "{path}");
    }
    // Every gift counted, by the read model after a restart too, a second live's apart.
    let other = app.live(c, json!({"host": "Zoé"})).await;
    app.gift(&other, Some("Zoé"), 500, false).await;
    let app = app.restart().await;
    for (path, count) in [
        (format!("/api/v1/campaigns/{c}/donations?limit=2"), 121),
        (format!("/api/v1/lives/{}/donations?limit=2", live.id), 120),
        (format!("/api/v1/lives/{}/donations?limit=0", other.id), 1),
    ] {
        let (s, v) = app.request(reqwest::Method::GET, &path, Some(ADMIN), &[], None).await;
        assert_eq!((s, v["count"].as_u64()), (StatusCode::OK, Some(count)), "{path}");
    }
}
