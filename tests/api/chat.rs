//! The line a chat bot says (`/chat`): the totals, the top donors, the next
//! milestone and the next live, in French and English, exactly.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// French text: `~` stands for the narrow no-break space, `_` for the no-break space.
fn fr(s: &str) -> String {
    s.replace('~', "\u{202f}").replace('_', "\u{a0}")
}

async fn say(app: &TestApp, path: &str) -> String {
    let res = app.client.get(format!("{}{path}", app.base)).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    res.text().await.unwrap()
}

#[tokio::test]
async fn a_chat_bot_says_the_totals_the_top_donors_the_next_milestone_and_the_next_live() {
    let clock = ManualClock::at("2027-03-01T12:00:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "goal": 500000, "charity": "Les Restos du cœur",
                         "donate_url": "https://dons.example.org/mars"}))
        .await;
    let c = c["id"].as_str().unwrap().to_owned();
    app.add_match(&c, json!({"sponsor": "Boulangerie", "ratio": [1, 1], "cap": 100000})).await;
    let monday = app
        .live(&c, json!({"host": "Ana", "title": "Dessin", "goal": 10000, "scheduled_at": "2027-03-01T19:00:00Z"}))
        .await;
    let zoe = app.live(&c, json!({"host": "Zoé", "scheduled_at": "2027-03-02T18:00:00Z"})).await;
    let wednesday = app
        .live(&c, json!({"host": "Ana", "title": "Concert", "goal": 10000, "scheduled_at": "2027-03-03T19:00:00Z"}))
        .await;
    let live = |l: &TestLive, q: &str| format!("/api/v1/lives/{}/chat{q}", l.id);
    let campaign = |q: &str| format!("/api/v1/campaigns/{c}/chat{q}");

    // Nothing given yet.
    assert_eq!(
        say(&app, &live(&monday, "")).await,
        fr(
            "0,00_€ récoltés pour Les Restos du cœur, 0_% de l'objectif de 100,00_€. Soyez le premier à donner\u{a0}! Pour donner\u{a0}: https://dons.example.org/mars"
        )
    );
    assert_eq!(say(&app, &live(&monday, "?say=top&lang=en")).await, "No donor yet: be the first!");
    assert_eq!(say(&app, &live(&monday, "?say=milestone")).await, "Pas de palier pour l'instant.");

    clock.set("2027-03-01T19:30:00Z");
    for (l, donor, amount, anonymous) in
        [(&monday, "Bob", 1500, false), (&monday, "Chloé", 500, true), (&zoe, "Dan", 1000, false)]
    {
        let (s, d) =
            app.donate(l, json!({"amount": amount, "currency": "EUR", "donor": donor, "anonymous": anonymous})).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
    }
    assert_eq!(
        say(&app, &live(&monday, "")).await,
        fr(
            "40,00_€ récoltés pour Les Restos du cœur (dont 20,00_€ des partenaires), 40_% de l'objectif de 100,00_€. Toute la campagne\u{a0}: 60,00_€. 2 dons, merci\u{a0}! Pour donner\u{a0}: https://dons.example.org/mars"
        )
    );
    assert_eq!(
        say(&app, &live(&monday, "?lang=en&say=total")).await,
        "€40.00 raised for Les Restos du cœur (€20.00 of it from sponsors), 40% of the €100.00 goal. The whole campaign: €60.00. 2 donations, thank you! Donate: https://dons.example.org/mars"
    );
    assert_eq!(
        say(&app, &campaign("")).await,
        fr(
            "60,00_€ récoltés pour Les Restos du cœur (dont 30,00_€ des partenaires), 1_% de l'objectif de 5~000,00_€. 3 dons, merci\u{a0}! Pour donner\u{a0}: https://dons.example.org/mars"
        )
    );
    // A host's command for the month: Wednesday's route follows Ana to Monday's live, on air.
    assert_eq!(say(&app, &live(&wednesday, "?follow=host")).await, say(&app, &live(&monday, "")).await);
    assert_eq!(say(&app, &live(&wednesday, "?say=top")).await, "Pas encore de donateur\u{a0}: soyez le premier\u{a0}!");

    // Thanks: every name viewers see, alphabetically, and the anonymous gifts counted.
    assert_eq!(
        say(&app, &live(&monday, "?say=thanks")).await,
        fr("Merci à Bob et à 1 donateur anonyme_: 40,00_€ récoltés pour Les Restos du cœur_!")
    );
    assert_eq!(
        say(&app, &campaign("?say=thanks&lang=en")).await,
        "Thank you Bob and Dan, and 1 anonymous donor: €60.00 raised for Les Restos du cœur!"
    );
    assert_eq!(
        say(&app, &live(&zoe, "?say=thanks")).await,
        fr("Merci à Dan_: 20,00_€ récoltés pour Les Restos du cœur_!")
    );
    assert_eq!(say(&app, &live(&wednesday, "?say=thanks&lang=en")).await, "No donation yet: be the first!");
    // Top donors: by name as viewers see them (an anonymous gift has none).
    assert_eq!(say(&app, &live(&monday, "?say=top")).await, fr("Top donateurs_: 1. Bob (15,00_€)"));
    assert_eq!(say(&app, &campaign("?say=top&lang=en")).await, "Top donors: 1. Bob (€15.00), 2. Dan (€10.00)");

    // The next milestone of the live's goal; a live without a goal climbs the campaign's.
    let (s, m) = app
        .post(
            &format!("/api/v1/lives/{}/milestones", monday.id),
            Some(ADMIN),
            json!({"amount": 5000, "label": "Karaoké"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (s, m) = app
        .post(&format!("/api/v1/campaigns/{c}/milestones"), Some(ADMIN), json!({"amount": 10000, "label": "Tatouage"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(
        say(&app, &live(&monday, "?say=milestone")).await,
        fr("Prochain palier_: 50,00_€ — Karaoké (encore 10,00_€).")
    );
    assert_eq!(
        say(&app, &live(&zoe, "?say=milestone&lang=en")).await,
        "Next milestone: €100.00 — Tatouage (€40.00 to go)."
    );
    assert_eq!(
        say(&app, &campaign("?say=milestone")).await,
        fr("Prochain palier_: 100,00_€ — Tatouage (encore 40,00_€).")
    );
    app.donate(&monday, json!({"amount": 600, "currency": "EUR", "donor": "Eve"})).await;
    assert_eq!(say(&app, &live(&monday, "?say=milestone")).await, "Tous les paliers sont atteints\u{a0}: merci\u{a0}!");
    assert_eq!(
        say(&app, &campaign("?say=milestone")).await,
        fr("Prochain palier_: 100,00_€ — Tatouage (encore 28,00_€).")
    );

    // The next live: the host's on a live's line, the campaign's on its own, on the clock asked.
    assert_eq!(
        say(&app, &live(&monday, "?say=next&tz=Europe/Paris")).await,
        "En direct\u{a0}: Ana — Dessin. Prochain live\u{a0}: Ana — Concert, mercredi 3 mars à 20:00 (Europe/Paris)."
    );
    assert_eq!(
        say(&app, &campaign("?say=next&lang=en")).await,
        "On air: Ana — Dessin. Next live: Zoé, Tuesday 2 March at 18:00 (UTC)."
    );
    // A live given where to watch it: its link beside it.
    let (s, l) = app.patch_live(&wednesday.id, json!({"stream_url": "https://www.twitch.tv/ana"})).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(
        say(&app, &live(&monday, "?say=next&tz=Europe/Paris")).await,
        "En direct\u{a0}: Ana — Dessin. Prochain live\u{a0}: Ana — Concert (https://www.twitch.tv/ana), mercredi 3 mars à 20:00 (Europe/Paris)."
    );
    clock.set("2027-03-04T12:00:00Z");
    assert_eq!(say(&app, &live(&monday, "?say=next")).await, "Pas de prochain live prévu pour l'instant.");

    // The sponsor's doubling for the chat: running, until when, and what is left; else the next window.
    let campaign_match = |q: &str| format!("/api/v1/campaigns/{c}/chat?say=match{q}");
    assert_eq!(
        say(&app, &campaign_match("&tz=Europe/Paris")).await,
        fr("💛 Boulangerie double chaque don_: encore 964,00_€ à abonder_!")
    );
    let m = app
        .add_match(
            &c,
            json!({"sponsor": "Fromagerie", "ratio": [1, 2], "cap": 20000,
                              "starts_at": "2027-03-04T19:00:00Z", "ends_at": "2027-03-04T20:00:00Z"}),
        )
        .await;
    assert_eq!(m["status"], "pending");
    // Boulangerie's budget aside: the next window ahead.
    let (_, first) = app.get(&format!("/api/v1/campaigns/{c}")).await;
    let boulangerie = first["matches"][0]["id"].as_str().unwrap().to_owned();
    let end = json!({"ends_at": "2027-03-04T11:30:00Z"}).to_string();
    let (s, v) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/{c}/matches/{boulangerie}"),
            Some(ADMIN),
            &[],
            Some(end),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    clock.set("2027-03-04T11:45:00Z");
    assert_eq!(
        say(&app, &campaign_match("&tz=Europe/Paris")).await,
        fr(
            "⏳ À partir du jeudi 4 mars à 20:00 (Europe/Paris), Fromagerie ajoutera 50_% à chaque don jusqu'au jeudi 4 mars à 21:00 (Europe/Paris) (budget_: 200,00_€)\u{a0}!"
        )
    );
    clock.set("2027-03-04T19:30:00Z");
    assert_eq!(
        say(&app, &live(&zoe, "?say=match&lang=en")).await,
        "💛 Fromagerie adds 50% to every donation until Thursday 4 March at 20:00 (UTC): €200.00 of matching left!"
    );
    clock.set("2027-03-04T20:30:00Z");
    assert_eq!(say(&app, &campaign_match("")).await, "Pas de doublement des dons en cours ni prévu.");
    clock.set("2027-03-04T12:00:00Z");

    // The campaign over: its total thanks, with no link to give any more.
    let body = json!({"ends_at": "2027-03-04T11:00:00Z"}).to_string();
    let path = format!("/api/v1/campaigns/{c}");
    assert_eq!(app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body)).await.0, StatusCode::OK);
    assert_eq!(
        say(&app, &campaign("")).await,
        fr(
            "Collecte terminée_: 72,00_€ récoltés pour Les Restos du cœur (dont 36,00_€ des partenaires), 1_% de l'objectif de 5~000,00_€. 4 dons, merci\u{a0}!"
        )
    );
    assert_eq!(
        say(&app, &live(&zoe, "?lang=en")).await,
        "The fundraiser is over: €20.00 raised for Les Restos du cœur (€10.00 of it from sponsors). The whole campaign: €72.00. 1 donation, thank you!"
    );
    assert_eq!(say(&app, &campaign("?say=match")).await, fr("Collecte terminée_: plus de doublement des dons."));

    // A campaign still to open: when it opens (on the asked clock), no link to give yet.
    let (_, next) = app
        .post(
            "/api/v1/campaigns",
            Some(ADMIN),
            json!({"name": "Avril", "currency": "EUR", "charity": "La Croix-Rouge", "starts_at": "2027-04-01T16:00:00Z",
                   "donate_url": "https://dons.example.org/avril"}),
        )
        .await;
    let april = |q: &str| format!("/api/v1/campaigns/{}/chat{q}", next["id"].as_str().unwrap());
    assert_eq!(
        say(&app, &april("?tz=Europe/Paris")).await,
        "La collecte pour La Croix-Rouge ouvre le jeudi 1 avril à 18:00 (Europe/Paris)."
    );
    let early = app.live(next["id"].as_str().unwrap(), json!({"host": "Léo"})).await;
    app.donate_ok(&early, 500).await;
    assert_eq!(
        say(&app, &live(&early, "?lang=en")).await,
        "The fundraiser for La Croix-Rouge opens on Thursday 1 April at 16:00 (UTC). €5.00 raised already, thank you!"
    );
    clock.set("2027-04-01T16:00:00Z");
    assert_eq!(
        say(&app, &april("")).await,
        fr("5,00_€ récoltés pour La Croix-Rouge. 1 don, merci_! Pour donner_: https://dons.example.org/avril")
    );

    // Bad asks: the contract's errors.
    for (path, status, code) in [
        (live(&monday, "?say=everything"), StatusCode::BAD_REQUEST, "invalid_query"),
        (live(&monday, "?say=next&tz=Mars/Olympus"), StatusCode::BAD_REQUEST, "invalid_query"),
        (live(&monday, "?follow=campaign"), StatusCode::BAD_REQUEST, "invalid_query"),
        ("/api/v1/lives/nope/chat".to_owned(), StatusCode::NOT_FOUND, "live_not_found"),
        ("/api/v1/campaigns/nope/chat".to_owned(), StatusCode::NOT_FOUND, "campaign_not_found"),
    ] {
        let (s, e) = app.get(&path).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{path}: {e}");
    }
}

#[tokio::test]
async fn a_chat_bot_says_the_latest_donation_as_viewers_see_it() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let path = |q: &str| format!("/api/v1/lives/{}/chat?say=last{q}", live.id);
    let campaign = format!("/api/v1/campaigns/{}/chat?say=last&lang=en", live.campaign_id);
    assert_eq!(say(&app, &path("")).await, "Pas encore de don\u{a0}: soyez le premier\u{a0}!");
    assert_eq!(say(&app, &campaign).await, "No donation yet: be the first!");

    app.add_match(&live.campaign_id, json!({"sponsor": "Boulangerie", "ratio": [1, 1], "cap": 100000})).await;
    let gift = |body: serde_json::Value| {
        let mut body = body;
        body["currency"] = json!("EUR");
        app.donate(&live, body)
    };
    let (s, _) = gift(json!({"amount": 1500, "donor": "Bob", "message": "Courage !"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        say(&app, &path("")).await,
        fr("Dernier don_: Bob, 15,00_€ (doublé_: +15,00_€) — «_Courage !_». Merci_!")
    );
    assert_eq!(
        say(&app, &campaign).await,
        "Latest donation: Bob, €15.00 (doubled: +€15.00) \u{2014} \u{201c}Courage !\u{201d}. Thank you!"
    );
    gift(json!({"amount": 500, "donor": "Chloé", "anonymous": true})).await;
    assert_eq!(say(&app, &path("")).await, fr("Dernier don_: un donateur anonyme, 5,00_€ (doublé_: +5,00_€). Merci_!"));

    // A text held for moderation: neither its name nor its message is said until approved.
    app.moderate(&live, json!({"mode": "manual"})).await;
    let (_, held) = gift(json!({"amount": 2000, "donor": "Inès", "message": "Coucou le chat"})).await;
    assert_eq!(say(&app, &path("&lang=en")).await, "Latest donation: a donor, €20.00 (doubled: +€20.00). Thank you!");
    let id = held["donation"]["id"].as_str().unwrap().to_owned();
    let (s, _) = app.post(&format!("/api/v1/donations/{id}/approve"), Some(ADMIN), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        say(&app, &path("")).await,
        fr("Dernier don_: Inès, 20,00_€ (doublé_: +20,00_€) — «_Coucou le chat_». Merci_!")
    );
    // What it still counts for after a partial refund; refunded whole, the one before.
    assert_eq!(app.refund(&live, &id, json!({"refunded_amount": 500})).await, StatusCode::OK);
    assert_eq!(
        say(&app, &path("")).await,
        fr("Dernier don_: Inès, 15,00_€ (doublé_: +15,00_€) — «_Coucou le chat_». Merci_!")
    );
    assert_eq!(app.refund(&live, &id, json!({})).await, StatusCode::OK);
    assert_eq!(say(&app, &path("")).await, fr("Dernier don_: un donateur anonyme, 5,00_€ (doublé_: +5,00_€). Merci_!"));
}

#[tokio::test]
async fn a_chat_bot_says_the_rewards_on_offer_and_how_to_claim_them() {
    let clock = ManualClock::at("2027-03-01T19:30:00Z");
    let app = spawn_app_clocked(&clock).await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "donate_url": "https://dons.example.org/mars"}))
        .await;
    let c = c["id"].as_str().unwrap().to_owned();
    let on_air = app.live(&c, json!({"host": "Ana", "scheduled_at": "2027-03-01T19:00:00Z"})).await;
    let later = app.live(&c, json!({"host": "Zoé", "scheduled_at": "2027-03-02T18:00:00Z"})).await;
    let live = |l: &TestLive, q: &str| format!("/api/v1/lives/{}/chat?say=rewards{q}", l.id);
    let campaign = format!("/api/v1/campaigns/{c}/chat?say=rewards");
    assert_eq!(say(&app, &live(&on_air, "")).await, "Pas de contrepartie pour l'instant.");
    let offer = async |l: &TestLive, body: serde_json::Value| {
        let (s, r) = app.post(&format!("/api/v1/lives/{}/rewards", l.id), Some(&l.key), body).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        r["id"].as_str().unwrap().to_owned()
    };
    offer(&on_air, json!({"title": "Un portrait", "amount": 3000, "quantity": 2})).await;
    let thanks = offer(&on_air, json!({"title": "Merci en direct", "amount": 500})).await;
    offer(&later, json!({"title": "Une affiche", "amount": 2000})).await;
    let (s, _) = app.donate(&on_air, json!({"amount": 3000, "currency": "EUR", "message": "#unportrait"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        say(&app, &live(&on_air, "")).await,
        fr(
            "🎁 Contreparties\u{a0}: Un portrait (dès 30,00_€, #unportrait dans votre message, 1 restante) · Merci en direct (dès 5,00_€, #merciendirect dans votre message). Pour donner\u{a0}: https://dons.example.org/mars"
        )
    );
    app.donate(&on_air, json!({"amount": 5000, "currency": "EUR", "reward": "unportrait"})).await;
    app.post(&format!("/api/v1/lives/{}/rewards/{thanks}/close", on_air.id), Some(&on_air.key), json!({})).await;
    // The campaign's line: the rewards of the lives on air.
    assert_eq!(
        say(&app, &format!("{campaign}&lang=en")).await,
        "🎁 Rewards: Un portrait (from €30.00, #unportrait in your message, sold out). Donate: https://dons.example.org/mars"
    );
    assert_eq!(
        say(&app, &live(&later, "&lang=en")).await,
        "🎁 Rewards: Une affiche (from €20.00, #uneaffiche in your message). Donate: https://dons.example.org/mars"
    );
    clock.set("2027-03-02T18:30:00Z");
    assert!(say(&app, &campaign).await.starts_with(&fr("🎁 Contreparties_: Une affiche (dès 20,00_€")));
}

/// A thank-you of many donors names as many as the line holds, alphabetically,
/// and counts the others; one of anonymous gifts only thanks them.
#[tokio::test]
async fn a_chat_bot_thanks_every_donor_the_line_holds() {
    let app = spawn_app().await;
    let c = app.eur_campaign().await;
    let live = app.live(&c, json!({"host": "Ana"})).await;
    let quiet = app.live(&c, json!({"host": "Zoé"})).await;
    for i in (1..=40).rev() {
        app.gift(&live, Some(&format!("Donatrice n°{i:02}")), 100, false).await;
    }
    app.gift(&live, Some("Élodie"), 100, false).await;
    app.gift(&live, Some("Anonyme ici"), 100, true).await;
    let line = say(&app, &format!("/api/v1/lives/{}/chat?say=thanks", live.id)).await;
    assert!(line.chars().count() <= 400, "{line}");
    let list = line.trim_start_matches("Merci à ").split(" et ").next().unwrap();
    let shown: Vec<&str> = list.split(", ").filter(|n| n.starts_with("Donatrice")).collect();
    let expected: Vec<String> = (1..=shown.len()).map(|i| format!("Donatrice n°{i:02}")).collect();
    assert_eq!(shown, expected, "alphabetically, accents aside (Élodie after the Donatrices)");
    // The other named donors, and the gift without a name apart.
    let others = 41 - shown.len();
    let end = fr(&format!(", {others} autres donateurs et 1 don anonyme_: 42,00_€ récoltés pour Restos_!"));
    assert!(line.ends_with(&end), "{line}");
    for _ in 0..2 {
        app.gift(&quiet, Some("Caché"), 500, true).await;
    }
    assert_eq!(
        say(&app, &format!("/api/v1/lives/{}/chat?say=thanks", quiet.id)).await,
        fr("Merci aux 2 donateurs anonymes_: 10,00_€ récoltés pour Restos_!")
    );
    assert_eq!(
        say(&app, &format!("/api/v1/lives/{}/chat?say=thanks&lang=en", quiet.id)).await,
        "Thank you to the 2 anonymous donors: €10.00 raised for Restos!"
    );
    // The names are sorted once for each live as it stands, whatever the language.
    assert_eq!(app.metric("cagnotte_public_answers_made_total{what=\"thanked\"}").await, 2.0);
}

/// `text=`: the streamer's own sentence, each field replaced by what it stands
/// for (as viewers see it), an empty field leaving no double space; an unknown
/// field, a blank or too long sentence are refused.
#[tokio::test]
async fn a_chat_bot_says_the_streamer_s_own_sentence() {
    let app = spawn_app().await;
    let c = app
        .campaign(json!({"name": "Mars solidaire", "currency": "EUR", "goal": 500000, "charity": "Les Restos du cœur",
                         "donate_url": "https://dons.example.org/mars"}))
        .await;
    let c = c["id"].as_str().unwrap().to_owned();
    app.add_match(&c, json!({"sponsor": "Boulangerie", "ratio": [1, 1], "cap": 1000})).await;
    let ana = app.live(&c, json!({"host": "Ana", "goal": 10000})).await;
    let zoe = app.live(&c, json!({"host": "Zoé"})).await;
    let ask = |l: &TestLive, text: &str, q: &str| {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/lives/{}/chat", app.base, l.id)).unwrap();
        url.query_pairs_mut().append_pair("text", text);
        format!("{}?{}{q}", url.path(), url.query().unwrap())
    };
    let all = "Déjà {total} ({raised} + {matched}) en {donations} dons pour {charity}, {percent} % de {goal}, \
               encore {left} ; campagne {campaign_total}. Dernier : {last} ({last_amount}), meilleur : {top} ({top_amount}). {link}";
    // Nothing given yet: the empty fields leave nothing behind.
    assert_eq!(
        say(&app, &ask(&zoe, "Merci {last} ! Top : {top} {top_amount}. Objectif {goal}", "")).await,
        "Merci ! Top : . Objectif"
    );
    app.donate(&ana, json!({"amount": 1500, "currency": "EUR", "donor": "Bob"})).await;
    app.donate(&ana, json!({"amount": 500, "currency": "EUR", "donor": "Chloé", "anonymous": true})).await;
    app.donate(&zoe, json!({"amount": 700, "currency": "EUR", "donor": "Dan"})).await;
    assert_eq!(
        say(&app, &ask(&ana, all, "")).await,
        fr(
            "Déjà 30,00_€ (20,00_€ + 10,00_€) en 2 dons pour Les Restos du cœur, 30 % de 100,00_€, encore 70,00_€ ; campagne 37,00_€. Dernier : un donateur anonyme (5,00_€), meilleur : Bob (15,00_€). https://dons.example.org/mars"
        )
    );
    assert_eq!(
        say(&app, &ask(&ana, "{top} gives {top_amount}, {donations} gifts: {total}!", "&lang=en")).await,
        "Bob gives €15.00, 2 gifts: €30.00!"
    );
    // The campaign's line, with braces that name nothing kept as they are.
    let mut url = reqwest::Url::parse(&format!("{}/api/v1/campaigns/{c}/chat", app.base)).unwrap();
    url.query_pairs_mut().append_pair("text", "{total} / {goal} {:)} {{charity}}");
    assert_eq!(
        say(&app, &format!("{}?{}", url.path(), url.query().unwrap())).await,
        fr("37,00_€ / 5~000,00_€ {:)} {Les Restos du cœur}")
    );

    for text in ["Déjà {Total} !", "{montant}", "   ", &"x".repeat(401)] {
        let (s, e) = app.get(&ask(&ana, text, "")).await;
        assert_eq!(
            (s, e["error"].as_str(), e["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_query"), Some("text")),
            "{text}: {e}"
        );
    }
    let (_, e) = app.get(&ask(&ana, "{montant}", "")).await;
    assert!(
        e["message"].as_str().unwrap().starts_with("text names {montant}, which is none of {total}, {raised}"),
        "{e}"
    );
}
