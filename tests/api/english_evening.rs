//! An English-speaking evening in pounds with several streams on air at once:
//! the held texts of gifts refunded whole, the chat's lines naming every live
//! on air and grouping their counts, the spreadsheets' words for states, and
//! the help texts' examples in the campaign's currency.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// French text: `~` stands for the narrow no-break space, `_` for the no-break space.
fn fr(s: &str) -> String {
    s.replace('~', "\u{202f}").replace('_', "\u{a0}")
}

async fn say(app: &TestApp, path: &str) -> String {
    let res = app.client.get(format!("{}{path}", app.base)).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.client.get(format!("{}{path}", app.base)).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

/// A pound campaign for a charity.
async fn gbp_campaign(app: &TestApp, body: Value) -> String {
    let mut b = json!({"name": "Spring Stream", "currency": "GBP", "charity": "Shelter"});
    b.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    app.campaign(b).await["id"].as_str().unwrap().to_owned()
}

async fn give(app: &TestApp, live: &TestLive, body: Value) -> Value {
    let (s, d) = app.donate(live, body).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    d["donation"].clone()
}

/// The ids of the texts a live's moderation lists as held, as the host's
/// space and the dashboard read them.
async fn held(app: &TestApp, live: &TestLive) -> Vec<String> {
    let path = format!("/api/v1/lives/{}/moderation", live.id);
    let (s, m) = app.request(reqwest::Method::GET, &path, Some(&live.key), &[], None).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    m["pending"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

/// A gift refunded whole has nothing left to show: its held text leaves the
/// moderation queue and its count (the refund's frame says so to the pages),
/// a gift refunded in part stays there; the same after a restart.
#[tokio::test]
async fn held_texts_of_gifts_refunded_whole_leave_the_moderation_queue() {
    let app = spawn_app().await;
    let c = gbp_campaign(&app, json!({})).await;
    let live = app.live(&c, json!({"host": "Alice"})).await;
    app.moderate(&live, json!({"mode": "manual"})).await;
    let mut ids = Vec::new();
    for (donor, message) in [("Ann", "Go Alice!"), ("Ben", "For Shelter"), ("Cat", "Sing!"), ("Dan", "Cheers")] {
        let d = give(&app, &live, json!({"amount": 2000, "currency": "GBP", "donor": donor, "message": message})).await;
        assert_eq!(d["moderation"], "pending", "{d}");
        ids.push(d["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(held(&app, &live).await, ids);
    let seq = app.events(&live, 0).await.last().unwrap()["seq"].as_u64().unwrap();

    assert_eq!(app.refund(&live, &ids[1], json!({})).await, StatusCode::OK);
    assert_eq!(app.refund(&live, &ids[2], json!({"refunded_amount": 500})).await, StatusCode::OK);
    let waiting = vec![ids[0].clone(), ids[2].clone(), ids[3].clone()];
    assert_eq!(held(&app, &live).await, waiting);
    // The frame that tells the pages to read the list again, and why it left.
    let frames = app.events(&live, seq).await;
    let refund = frames.iter().find(|f| f["type"] == "refund").expect("a refund frame");
    assert_eq!(
        (refund["donation"]["id"].as_str(), &refund["donation"]["refunded"]),
        (Some(ids[1].as_str()), &json!(true))
    );
    // Setting the moderation answers the same list.
    let m = app.moderate(&live, json!({"mode": "manual"})).await;
    assert_eq!(m["pending"].as_array().unwrap().len(), 3, "{m}");

    // A text approved, then the rest after a restart: the same list.
    let (s, _) = app.post(&format!("/api/v1/donations/{}/approve", ids[3]), Some(&live.key), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let app = app.restart().await;
    assert_eq!(held(&app, &live).await, [ids[0].clone(), ids[2].clone()]);
    assert_eq!(app.refund(&live, &ids[0], json!({})).await, StatusCode::OK);
    assert_eq!(held(&app, &live).await, [ids[2].clone()]);
    let app = app.restart().await;
    assert_eq!(held(&app, &live).await, [ids[2].clone()]);
}

/// The campaign's `!next` names every live on air, the earliest started
/// first, each with its title and link, then counts those past three; a single
/// live on air is said as before.
#[tokio::test]
async fn the_chat_s_next_line_names_every_live_on_air() {
    let clock = ManualClock::at("2027-04-10T19:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = gbp_campaign(&app, json!({})).await;
    let next = |lang: &str| format!("/api/v1/campaigns/{c}/chat?say=next&lang={lang}");
    app.live(
        &c,
        json!({"host": "Alice", "title": "Quiz", "scheduled_at": "2027-04-10T19:00:00Z",
                   "stream_url": "https://www.twitch.tv/alice"}),
    )
    .await;
    assert_eq!(say(&app, &next("en")).await, "On air: Alice — Quiz (https://www.twitch.tv/alice).");
    app.live(&c, json!({"host": "Chloë", "title": "Drawing", "scheduled_at": "2027-04-10T19:20:00Z"})).await;
    app.live(&c, json!({"host": "Bob", "scheduled_at": "2027-04-10T19:10:00Z"})).await;
    app.live(&c, json!({"host": "Zoé", "title": "Concert", "scheduled_at": "2027-04-11T18:00:00Z"})).await;
    assert_eq!(
        say(&app, &next("en")).await,
        "On air: Alice — Quiz (https://www.twitch.tv/alice), Bob and Chloë — Drawing. Next live: Zoé — Concert, Sunday 11 April at 18:00 (UTC)."
    );
    assert_eq!(
        say(&app, &next("fr")).await,
        fr(
            "En direct_: Alice — Quiz (https://www.twitch.tv/alice), Bob et Chloë — Drawing. Prochain live_: Zoé — Concert, dimanche 11 avril à 18:00 (UTC)."
        )
    );
    // Five at once: three named, the others counted.
    app.live(&c, json!({"host": "Dan", "scheduled_at": "2027-04-10T19:25:00Z"})).await;
    app.live(&c, json!({"host": "Eve", "scheduled_at": "2027-04-10T19:26:00Z"})).await;
    assert_eq!(
        say(&app, &next("en")).await,
        "On air: Alice — Quiz (https://www.twitch.tv/alice), Bob, Chloë — Drawing and 2 more. Next live: Zoé — Concert, Sunday 11 April at 18:00 (UTC)."
    );
    assert_eq!(
        say(&app, &next("fr")).await,
        fr(
            "En direct_: Alice — Quiz (https://www.twitch.tv/alice), Bob, Chloë — Drawing et 2 autres. Prochain live_: Zoé — Concert, dimanche 11 avril à 18:00 (UTC)."
        )
    );
}

/// Long titles: the line names fewer of the lives on air, within the chat's
/// 400 characters, and counts the others.
#[tokio::test]
async fn the_chat_s_next_line_holds_in_the_chat_s_limit() {
    let clock = ManualClock::at("2027-04-10T19:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = gbp_campaign(&app, json!({})).await;
    let title = "A very long title for a very long evening of songs, quizzes and drawings, all for Shelter";
    for (host, at) in [("Alice", "19:00"), ("Bob", "19:10"), ("Chloë", "19:20")] {
        let url = format!("https://www.twitch.tv/{}-with-a-rather-long-channel-name", host.to_lowercase());
        app.live(
            &c,
            json!({"host": host, "title": title, "scheduled_at": format!("2027-04-10T{at}:00Z"), "stream_url": url}),
        )
        .await;
    }
    let line = say(&app, &format!("/api/v1/campaigns/{c}/chat?say=next&lang=en")).await;
    assert_eq!(
        line,
        format!(
            "On air: Alice — {title} (https://www.twitch.tv/alice-with-a-rather-long-channel-name), Bob — {title} (https://www.twitch.tv/bob-with-a-rather-long-channel-name) and 1 more."
        )
    );
    assert!(line.chars().count() <= 400);
}

/// The lives' and the sponsors' spreadsheets in English say their states in
/// words, as the French ones do; the exports for programs keep the codes.
#[tokio::test]
async fn english_spreadsheets_say_states_in_words() {
    let clock = ManualClock::at("2027-04-10T19:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = gbp_campaign(&app, json!({})).await;
    for body in [
        json!({"id": "acme", "sponsor": "Acme", "ratio": [1, 1], "cap": 1000}),
        json!({"id": "bakery", "sponsor": "Bakery", "ratio": [1, 1], "cap": 100000}),
        json!({"id": "later", "sponsor": "Later Ltd", "ratio": [1, 1], "cap": 5000, "starts_at": "2027-05-01T00:00:00Z"}),
        json!({"id": "over", "sponsor": "Over Ltd", "ratio": [1, 1], "cap": 5000,
               "starts_at": "2027-04-01T00:00:00Z", "ends_at": "2027-04-02T00:00:00Z"}),
    ] {
        app.add_match(&c, body).await;
    }
    let now = app.live(&c, json!({"id": "now", "host": "Alice", "scheduled_at": "2027-04-10T19:00:00Z"})).await;
    app.live(&c, json!({"id": "soon", "host": "Bob", "scheduled_at": "2027-04-11T19:00:00Z"})).await;
    app.live(&c, json!({"id": "done", "host": "Chloë", "scheduled_at": "2027-04-09T19:00:00Z"})).await;
    app.live(&c, json!({"id": "someday", "host": "Dan"})).await;
    app.live(&c, json!({"id": "off", "host": "Eve", "scheduled_at": "2027-04-12T19:00:00Z"})).await;
    let (s, v) = app.patch_live("off", json!({"cancelled": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    give(&app, &now, json!({"amount": 2000, "currency": "GBP", "donor": "Ann"})).await;

    let csv = async |path: String| -> String {
        let res = app.client.get(format!("{}{path}", app.base)).bearer_auth(ADMIN).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap().trim_start_matches('\u{feff}').to_owned()
    };
    // The state of each row: the fifth column of the lives, the ninth of the matches.
    let column = |text: &str, sep: char, at: usize| -> Vec<String> {
        text.lines().skip(1).map(|l| l.split(sep).nth(at).unwrap_or_default().to_owned()).collect()
    };
    let lives = format!("/api/v1/campaigns/{c}/lives.csv");
    let matches = format!("/api/v1/campaigns/{c}/matches.csv");
    let english = csv(format!("{lives}?excel=1&lang=en")).await;
    // In schedule order: Chloë's, Alice's, Bob's, Eve's, Dan's.
    assert_eq!(column(&english, ',', 4), ["Ended", "Live now", "Upcoming", "Cancelled", "Not scheduled", ""]);
    assert_eq!(
        english.lines().next(),
        Some("live id,host,title,date (UTC),status,donations,raised,matched,total,currency")
    );
    let french = csv(format!("{lives}?excel=1&lang=fr")).await;
    assert_eq!(column(&french, ';', 4), ["terminé", "en cours", "à venir", "annulé", "non programmé", ""]);
    let plain = csv(lives).await;
    assert_eq!(column(&plain, ',', 4), ["past", "current", "upcoming", "cancelled", "unscheduled"]);

    let english = csv(format!("{matches}?excel=1&lang=en")).await;
    assert_eq!(column(&english, ',', 8), ["Used up", "Active", "Not started", "Ended", ""]);
    let french = csv(format!("{matches}?excel=1&lang=fr")).await;
    assert_eq!(column(&french, ';', 8), ["épuisé", "en cours", "à venir", "terminé", ""]);
    let plain = csv(matches).await;
    assert_eq!(column(&plain, ',', 8), ["used_up", "active", "pending", "ended"]);
}

/// Counts grouped as each language groups them (the chat's lines, the pages'
/// description where their link is shared), and a thank-you that counts the
/// other named donors apart from the gifts given without a name.
#[tokio::test]
async fn counts_are_grouped_and_anonymous_gifts_counted_apart() {
    let app = spawn_app().await;
    let c = gbp_campaign(&app, json!({})).await;
    let live = app.live(&c, json!({"host": "Alice"})).await;
    // Ten donors with long names (the line holds some of them), and 1,002 gifts without a name.
    let names: Vec<String> =
        (0..10).map(|i| format!("Donor number {i} with a rather long name for the chat line")).collect();
    for name in &names {
        give(&app, &live, json!({"amount": 1000, "currency": "GBP", "donor": name})).await;
    }
    for chunk in 0..6 {
        let n = if chunk < 5 { 200 } else { 2 };
        let gifts = (0..n).map(|_| app.donate(&live, json!({"amount": 100, "currency": "GBP", "anonymous": true})));
        for (s, d) in futures_util::future::join_all(gifts).await {
            assert_eq!(s, StatusCode::CREATED, "{d}");
        }
    }
    let chat = |q: &str| format!("/api/v1/lives/{}/chat{q}", live.id);
    assert_eq!(say(&app, &chat("?lang=en")).await, "£1,102.00 raised for Shelter. 1,012 donations, thank you!");
    assert_eq!(say(&app, &chat("")).await, fr("1~102,00_£GB récoltés pour Shelter. 1~012 dons, merci_!"));
    // As many names as the line holds: five of them here.
    let shown = names[..5].join(", ");
    assert_eq!(
        say(&app, &chat("?say=thanks&lang=en")).await,
        format!("Thank you {shown}, 5 other donors and 1,002 anonymous gifts: £1,102.00 raised for Shelter!")
    );
    assert_eq!(
        say(&app, &chat("?say=thanks")).await,
        fr(&format!(
            "Merci à {shown}, 5 autres donateurs et 1~002 dons anonymes_: 1~102,00_£GB récoltés pour Shelter_!"
        ))
    );
    assert_eq!(
        say(&app, &chat("?text={donations}%20gifts")).await,
        fr("1~012 gifts"),
        "a streamer's own sentence counts as the language does"
    );
    assert_eq!(say(&app, &chat("?text={donations}%20gifts&lang=en")).await, "1,012 gifts");

    // The description a shared link shows.
    let en = page(&app, &format!("/lives/{}?lang=en", live.id)).await;
    let said = "£1,102.00 raised for Shelter (1,012 donations). Follow along and donate!";
    assert!(en.contains(&format!("<meta name=\"description\" content=\"{said}\">")), "{en}");
    let fr_page = page(&app, &format!("/campaigns/{c}")).await;
    let said = fr("1~102,00_£GB collectés pour Shelter (1~012 dons). Suivez le direct et faites un don_!");
    assert!(fr_page.contains(&format!("<meta name=\"description\" content=\"{said}\">")), "{fr_page}");
}

/// The help texts' examples in the campaign's currency as the page's
/// language writes it: pounds in English, euros in French; the dashboard,
/// of no one campaign, gives them bare.
#[tokio::test]
async fn help_examples_are_in_the_campaign_s_currency() {
    let app = spawn_app().await;
    let gbp = gbp_campaign(&app, json!({})).await;
    let london = app.live(&gbp, json!({"host": "Alice"})).await;
    let eur = app.eur_campaign().await;
    let paris = app.live(&eur, json!({"host": "Corentin"})).await;
    let en = page(&app, &format!("/lives/{}/host?lang=en", london.id)).await;
    for said in [
        "at £200 I dye my hair pink",
        "£50 more in 15 minutes and I sing",
        "among the gifts of £10 and more",
        "a portrait drawn on stream, from £30",
    ] {
        assert!(en.contains(said), "{said} in {en}");
    }
    assert!(!en.contains('€'), "{en}");
    let fr_page = page(&app, &format!("/lives/{}/host", paris.id)).await;
    for said in [
        "«\u{a0}à 200\u{a0}€ je me teins les cheveux en rose\u{a0}»",
        "«\u{a0}50\u{a0}€ de plus en 15 minutes et je chante\u{a0}»",
        "parmi les dons de 10\u{a0}€ et plus",
        "dès 30\u{a0}€\u{a0}»",
    ] {
        assert!(fr_page.contains(said), "{said} in {fr_page}");
    }
    let dashboard = page(&app, "/dashboard?lang=en").await;
    assert!(dashboard.contains("50 more in 15 minutes and I sing"), "{dashboard}");
    assert!(!dashboard.contains("€50"), "{dashboard}");
}
