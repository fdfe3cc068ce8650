//! The charity's space in real headless Chromium: opened from the link the
//! dashboard gives, it shows the campaign's totals as they move, its donations
//! (searched), downloads its exports with the charity's key and makes its
//! report; a wrong key is refused, in French and in English.

use crate::browser::{Browser, eventually, with_browser};
use crate::dashboard::{click, fill, fr, input_value, sign_in, text, wait_text};
use crate::helpers::{ADMIN, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn wait_state(b: &Browser, wanted: &str) {
    eventually(&format!("the charity's space is {wanted}"), WAIT, || async {
        (b.js("return document.body.dataset.state").await == wanted).then_some(())
    })
    .await;
}

/// The page's donations: `[host, donor, message, amount, matched, status]` each, newest first.
async fn rows(b: &Browser) -> Value {
    b.js(r##"return Array.from(document.querySelectorAll("#donations tr[data-id]")).map(function (tr) {
            return ["host", "donor", "message", "amount", "matched", "status"].map(function (c) {
              return tr.querySelector("td." + c).textContent;
            });
        });"##)
        .await
}

/// What an export's button downloads: the file's name and text, caught where
/// the page hands the file to the browser.
async fn download(b: &Browser, css: &str) -> (String, String) {
    b.js(r#"window.caught = null;
            var make = URL.createObjectURL;
            URL.createObjectURL = function (blob) { window.caughtBlob = blob; return make.call(URL, blob); };
            var click = HTMLAnchorElement.prototype.click;
            HTMLAnchorElement.prototype.click = function () {
              var a = this;
              window.caughtBlob.text().then(function (t) { window.caught = [a.download, t]; });
              HTMLAnchorElement.prototype.click = click;
              URL.createObjectURL = make;
            };
            return null;"#)
        .await;
    click(b, css).await;
    let got = eventually(&format!("the download of {css}"), WAIT, || async {
        let v = b.js("return window.caught").await;
        (!v.is_null()).then_some(v)
    })
    .await;
    (got[0].as_str().unwrap().to_owned(), got[1].as_str().unwrap().to_owned())
}

async fn csv(app: &TestApp, path: &str) -> String {
    let res = app.client.get(format!("{}{path}", app.base)).bearer_auth(ADMIN).send().await.expect("csv");
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.expect("csv text")
}

#[tokio::test]
async fn the_charity_reads_its_figures_from_the_link_the_dashboard_gives() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = live.campaign_id.clone();
    app.add_match(&c, json!({"sponsor": "Fondation", "ratio": [1, 1], "cap": 1000})).await;
    let (s, _) =
        app.donate(&live, json!({"amount": 1500, "currency": "EUR", "donor": "Ana", "message": "Bravo"})).await;
    assert_eq!(s, StatusCode::CREATED);
    app.gift(&live, Some("Bob"), 700, false).await;

    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        sign_in(b, &app, &format!("#c={c}")).await;
        wait_text(b, "#c-name", "Restos").await;
        // Two clicks: a new link turns the one given before away.
        click(b, "[data-act=rotate-charity]").await;
        wait_text(b, "[data-act=rotate-charity]", "Confirmer\u{a0}?").await;
        click(b, "[data-act=rotate-charity]").await;
        let link = eventually("the charity's link", WAIT, || async {
            let v = input_value(b, "#charity-link").await;
            (!v.is_empty()).then_some(v)
        })
        .await;
        let start = format!("{}/campaigns/{c}/charity?lang=fr#key=rk_", app.base);
        assert!(link.starts_with(&start), "{link}");
        assert_eq!(text(b, "#secret-host").await, "Restos");

        b.goto(&link).await;
        wait_state(b, "ready").await;
        // The key left the address bar at once.
        assert_eq!(b.js("return location.href").await, format!("{}/campaigns/{c}/charity?lang=fr", app.base));
        assert_eq!(text(b, "h1").await, "Restos — Espace association");
        assert_eq!(text(b, "#totals").await, fr("32,00_€ collectés (22,00_€ de dons + 10,00_€ des sponsors) — 2 dons"));
        assert_eq!(text(b, "#goal").await, fr("Objectif\u{a0}: 5~000,00_€ (0_%)"));
        assert_eq!(
            rows(b).await,
            json!([
                ["Corentin", "Bob", "", fr("7,00_€"), "", "Affiché"],
                ["Corentin", "Ana", "Bravo", fr("15,00_€"), fr("10,00_€"), "Affiché"],
            ])
        );

        // A gift on air reaches the page: its row and the new totals.
        app.gift(&live, Some("Chloé"), 300, false).await;
        eventually("Chloé's gift", WAIT, || async {
            (text(b, "#donations tr[data-id] td.donor").await == "Chloé").then_some(())
        })
        .await;
        wait_text(b, "#totals", &fr("35,00_€ collectés (25,00_€ de dons + 10,00_€ des sponsors) — 3 dons")).await;

        // A search for a receipt.
        fill(b, "#donation-search input", "ana").await;
        wait_text(b, "#donations-count", "1 don trouvé.").await;
        assert_eq!(rows(b).await, json!([["Corentin", "Ana", "Bravo", fr("15,00_€"), fr("10,00_€"), "Affiché"]]));

        // The exports, byte for byte what the organisers download, named by the server.
        let (name, body) = download(b, "[data-export='donations.csv'][data-excel='0']").await;
        assert_eq!(name, format!("{c}-donations.csv"));
        assert_eq!(body, csv(&app, &format!("/api/v1/campaigns/{c}/donations.csv")).await);
        wait_text(b, "#notice", &format!("Téléchargé\u{a0}: {c}-donations.csv")).await;
        let excel = "?excel=1&lang=fr&tz=Europe%2FParis";
        let (name, body) = download(b, "[data-export='donations.csv']:not([data-excel])").await;
        assert_eq!(name, format!("{c}-dons.csv"));
        // The spreadsheet's byte-order mark is read off as text decodes it.
        assert_eq!(
            body,
            csv(&app, &format!("/api/v1/campaigns/{c}/donations.csv{excel}")).await.trim_start_matches('\u{feff}')
        );
        assert!(body.starts_with("identifiant;reçu le (Europe/Paris);live;hôte;donateur"), "{body}");
        for (export, named) in [
            ("lives.csv", "lives"),
            ("matches.csv", "abondements"),
            ("draws.csv", "tirages"),
            ("rewards.csv", "contreparties"),
            ("donors.csv", "donateurs"),
        ] {
            let (name, body) = download(b, &format!("[data-export='{export}']")).await;
            assert_eq!(name, format!("{c}-{named}.csv"));
            assert_eq!(
                body,
                csv(&app, &format!("/api/v1/campaigns/{c}/{export}{excel}")).await.trim_start_matches('\u{feff}')
            );
        }

        // The report, on this computer's clock.
        click(b, "#make-report").await;
        wait_text(b, "#report-lines li", "3 dons de 3 donateurs").await;
        assert_eq!(text(b, "#report-campaign").await, "Restos — heure\u{a0}: Europe/Paris");
        let sum = b
            .js("return Array.from(document.querySelector('#report-days tr.sum').cells).map(c => c.textContent)")
            .await;
        assert_eq!(sum, json!(["Total", "3", fr("25,00_€"), fr("10,00_€"), fr("35,00_€")]));

        // Forgotten, the key is asked again; a wrong one is refused, in English too.
        click(b, "#forget").await;
        wait_state(b, "signed-out").await;
        b.goto(&format!("{}/campaigns/{c}/charity?lang=en#key=rk_nope", app.base)).await;
        wait_state(b, "signed-out").await;
        wait_text(b, "#signin-error", "This key does not open this campaign's space: ask the organisers for the link.")
            .await;
        let key = link.split("#key=").nth(1).unwrap();
        fill(b, "#signin-key", key).await;
        click(b, "#signin-form button[type=submit]").await;
        wait_state(b, "ready").await;
        assert_eq!(text(b, "h1").await, "Restos — Charity's space");
        assert_eq!(text(b, "#totals").await, "€35.00 raised (€25.00 given + €10.00 from sponsors) — 3 donations");

        // A new link turns the old one away: the page, opened again in this tab, asks for the key.
        let (s, _) =
            app.post(&format!("/api/v1/campaigns/{c}/rotate"), Some(ADMIN), json!({"report_token": true})).await;
        assert_eq!(s, StatusCode::OK);
        b.goto(&format!("{}/campaigns/{c}/charity?lang=en", app.base)).await;
        wait_state(b, "signed-out").await;
        wait_text(b, "#signin-error", "This key does not open this campaign's space: ask the organisers for the link.")
            .await;
    })
    .await;
}

/// The provider's export checked against the donations, from the dashboard
/// and from the charity's space: what is missing on either side and what
/// differs, or that everything matches.
#[tokio::test]
async fn the_provider_s_export_is_checked_against_the_donations_from_both_pages() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let c = live.campaign_id.clone();
    for (reference, amount, donor) in [("pi_1", 1500, "Ana"), ("pi_2", 700, "Bo"), ("pi_3", 2000, "Chloé")] {
        let body = json!({"amount": amount, "currency": "EUR", "donor": donor, "platform": "stripe"}).to_string();
        let path = format!("/api/v1/lives/{}/donations", live.id);
        let (s, v) = app
            .request(reqwest::Method::POST, &path, Some(&live.key), &[("idempotency-key", reference)], Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let dir = tempfile::tempdir().unwrap();
    let gaps = dir.path().join("export-stripe.csv");
    std::fs::write(
        &gaps,
        "Date;Référence;Montant\n01/12/2026;pi_1;15,00\n01/12/2026;pi_2;8,00\n01/12/2026;pi_4;12,00\n",
    )
    .unwrap();
    let good = dir.path().join("export-juste.csv");
    std::fs::write(&good, "id,amount\npi_1,15.00\npi_2,7.00\npi_3,20.00\npi_4,12.00\n901,20.00\n902,4.00\n903,6.00\n")
        .unwrap();
    // HelloAsso's: the payer, the message, the time on the organiser's clock.
    let named = dir.path().join("export-helloasso.csv");
    std::fs::write(
        &named,
        "Référence;Date;Montant;Prénom;Nom;Commentaire\n901;01/12/2025 21:10;20,00;Inès;dupont;Bravo !\n",
    )
    .unwrap();
    // An evening whose webhook failed: its payments counted at once.
    let evening = dir.path().join("export-soiree.csv");
    std::fs::write(
        &evening,
        "Référence;Date;Montant;Prénom;Nom\n901;01/12/2025 21:10;20,00;Inès;dupont\n902;01/12/2025 21:20;4,00;Jo;\n903;01/12/2025 21:30;6,00;Léo;\n904;01/12/2025;9,00;Max;\n",
    )
    .unwrap();
    let odd = dir.path().join("export-autre.csv");
    std::fs::write(
        &odd,
        "Ref paiement;Somme versée\npi_1;15,00\npi_2;7,00\npi_3;20,00\npi_4;12,00\n901;20,00\n902;4,00\n903;6,00\n",
    )
    .unwrap();
    let (_, rotated) =
        app.post(&format!("/api/v1/campaigns/{c}/rotate"), Some(ADMIN), json!({"report_token": true})).await;
    let link = rotated["report_url"].as_str().unwrap().to_owned();
    // [summary, [kind, reference, in the export, counted, donor] of each row]
    let result = async |b: &Browser| {
        b.js(r##"var rows = Array.from(document.querySelectorAll("#reconcile-table tbody tr")).map(function (tr) {
                   var td = tr.querySelectorAll("td");
                   return [td[0].textContent, td[1].textContent, td[2].textContent, td[3].textContent, td[5].textContent];
                 });
                 return [document.getElementById("reconcile-result").hidden ? null : document.getElementById("reconcile-summary").textContent, rows];"##)
            .await
    };
    let send = async |b: &Browser, file: &std::path::Path, platform: &str| {
        let input = b.client.find(fantoccini::Locator::Css("#reconcile-form input[type=file]")).await.unwrap();
        input.send_keys(&file.display().to_string()).await.unwrap();
        b.js(&format!("document.querySelector('#reconcile-form select[name=platform]').value = '{platform}'")).await;
        click(b, "#reconcile-form button[type=submit]").await;
    };
    with_browser(async |b| {
        b.time_zone("Europe/Paris").await;
        sign_in(b, &app, &format!("#c={c}")).await;
        wait_text(b, "#c-name", "Restos").await;
        // Asked without a file first: said so, and no longer once a file is compared.
        click(b, "#reconcile-form button[type=submit]").await;
        let notice = "return document.getElementById('notice').hidden ? null : document.getElementById('notice').className";
        assert_eq!(b.js(notice).await, json!("notice error"));
        send(b, &gaps, "stripe").await;
        let expected = json!([
            fr("3 paiements dans l'export (colonnes «\u{a0}Référence\u{a0}» et «\u{a0}Montant\u{a0}»)\u{a0}: 1 retrouvé parmi les dons, au centime. 3 écarts à vérifier\u{a0}:"),
            [
                ["Absent de Cagnotte", "pi_4", fr("12,00_€"), "", ""],
                ["Montant différent", "pi_2", fr("8,00_€"), fr("7,00_€"), "Bo"],
                ["Absent de l'export", "pi_3", "", fr("20,00_€"), "Chloé"]
            ]
        ]);
        eventually("the dashboard's comparison", WAIT, || async { (result(b).await == expected).then_some(()) }).await;
        assert_eq!(b.js(notice).await, Value::Null, "the refusal said before is gone");
        // The differences as a spreadsheet for French Excel: the table's rows.
        let saved = tempfile::tempdir().unwrap();
        b.download_to(saved.path()).await;
        let today = b.js("return new Date().toISOString().slice(0, 10)").await;
        let file = saved.path().join(format!("ecarts-rapprochement-{}.csv", today.as_str().unwrap()));
        click(b, "#reconcile-download").await;
        let csv = eventually("the differences saved", WAIT, || async {
            std::fs::read_to_string(&file).ok().filter(|t| t.ends_with("\r\n"))
        })
        .await;
        let lines: Vec<Vec<&str>> = csv.trim_end().split("\r\n").map(|l| l.split(';').collect()).collect();
        assert_eq!(lines[0], ["\u{feff}écart", "référence", "montant dans l'export", "montant compté", "date", "donateur", "message"]);
        assert_eq!(lines[1], ["Absent de Cagnotte", "pi_4", fr("12,00_€").as_str(), "", "", "", ""]);
        assert_eq!(
            lines[2..].iter().map(|l| [l[0], l[1], l[2], l[3], l[5], l[6]]).collect::<Vec<_>>(),
            [
                ["Montant différent", "pi_2", fr("8,00_€").as_str(), fr("7,00_€").as_str(), "Bo", ""],
                ["Absent de l'export", "pi_3", "", fr("20,00_€").as_str(), "Chloé", ""]
            ]
        );
        b.js("document.getElementById('reconcile-box').scrollIntoView(); document.querySelector('.reconcile-more').open = true;").await;
        b.screenshot_element("#reconcile-box", "dashboard-reconcile").await;
        // The payment whose webhook never came, counted on the live in two clicks.
        assert_eq!(b.js("return document.querySelector('#reconcile-live select').value").await, json!(live.id));
        let count = "#reconcile-table tr[data-kind=missing] button";
        click(b, count).await;
        wait_text(b, count, "Confirmer\u{a0}?").await;
        click(b, count).await;
        wait_text(b, count, "Compté ✓").await;
        let (_, found) = app.admin_get(&format!("/api/v1/campaigns/{c}/donations?q=pi_4"))
            .await;
        assert_eq!(
            (&found["count"], &found["donations"][0]["amount"], &found["donations"][0]["platform"]),
            (&json!(1), &json!(1200), &json!("stripe"))
        );
        // Compared again: it is found now.
        click(b, "#reconcile-form button[type=submit]").await;
        wait_text(b, "#reconcile-summary", &fr("3 paiements dans l'export (colonnes «\u{a0}Référence\u{a0}» et «\u{a0}Montant\u{a0}»)\u{a0}: 2 retrouvés parmi les dons, au centime. 2 écarts à vérifier\u{a0}:")).await;

        // An export that names its payer and its time: the live of that time,
        // the name and the message made public when the box is ticked.
        send(b, &named, "helloasso").await;
        let row = r##"var td = document.querySelectorAll("#reconcile-table tr[data-kind=missing] td");
                      if (td.length < 6) return null;
                      return [td[1].textContent, td[4].textContent, td[5].textContent,
                              document.querySelector('#reconcile-live select').value,
                              document.querySelector('#reconcile-live select option').textContent];"##;
        let expected = json!(["901", "1 déc. 2025, 21:10", "Inès D.Bravo !", "", "Celui de la date de chaque paiement"]);
        eventually("the payer and the time", WAIT, || async { (b.js(row).await == expected).then_some(()) }).await;
        b.js("document.getElementById('reconcile-shown').click()").await;
        click(b, count).await;
        click(b, count).await;
        wait_text(b, count, "Compté ✓").await;
        let (_, found) = app.admin_get(&format!("/api/v1/campaigns/{c}/donations?q=901")).await;
        let d = &found["donations"][0];
        assert_eq!(
            (&d["donor"], &d["message"], &d["live_id"], &d["at"].as_str().is_some(), &d["platform"]),
            (&json!("Inès D."), &json!("Bravo !"), &json!(live.id), &true, &json!("helloasso"))
        );
        send(b, &evening, "helloasso").await;
        wait_text(b, "#reconcile-all", "Compter les 3 paiements absents").await;
        // One comes from its webhook meanwhile; one has no time, hence no live.
        app.post(
            &format!("/api/v1/lives/{}/payments", live.id),
            Some(ADMIN),
            json!({"provider": "helloasso", "payment_id": "903", "amount": 600, "currency": "EUR"}),
        )
        .await;
        click(b, "#reconcile-all").await;
        wait_text(b, "#reconcile-all", "Confirmer\u{a0}?").await;
        click(b, "#reconcile-all").await;
        wait_text(b, "#notice", "1 paiement compté, 1 l'était déjà\u{a0}; 1 paiement sans date attend le choix de son live.").await;
        assert_eq!(
            b.js("return Array.from(document.querySelectorAll('#reconcile-table tr[data-kind=missing] button')).map(function (x) { return x.textContent; })").await,
            json!(["Compté ✓", "Déjà compté ✓", "Compter ce paiement"])
        );
        let (_, found) = app.admin_get(&format!("/api/v1/campaigns/{c}/donations?q=902")).await;
        // The box ticked for Inès stays ticked: Jo's name is public too.
        assert_eq!((&found["count"], &found["donations"][0]["donor_name"], &found["donations"][0]["donor"]), (&json!(1), &json!("Jo"), &json!("Jo")));

        // The charity's staff, with their own key: everything matches.
        b.goto(&link).await;
        wait_state(b, "ready").await;
        send(b, &good, "").await;
        let expected = json!([
            fr("7 paiements dans l'export (colonnes «\u{a0}id\u{a0}» et «\u{a0}amount\u{a0}»)\u{a0}: 7 retrouvés parmi les dons, au centime. Tout concorde."),
            []
        ]);
        eventually("the charity's comparison", WAIT, || async { (result(b).await == expected).then_some(()) }).await;
        assert_eq!(b.js("return document.getElementById('reconcile-table').hidden").await, true);
        assert_eq!(b.js("return document.getElementById('reconcile-download').hidden").await, true);

        // Columns of unusual names: said, then chosen from the export's first line.
        send(b, &odd, "").await;
        // Every column of the export may be named, the donor's and the time's too.
        let options = "return Array.from(document.querySelectorAll('#reconcile-form select[name=date] option')).map(function (o) { return o.textContent; })";
        eventually("the export's columns offered", WAIT, || async {
            (b.js(options).await == json!(["(trouvée seule)", "Ref paiement", "Somme versée"])).then_some(())
        })
        .await;
        wait_text(b, "#notice", &fr("Erreur\u{a0}: les colonnes de la référence et du montant n'ont pas été trouvées dans cet export\u{a0}: choisissez-les parmi Ref paiement, Somme versée.")).await;
        // The amount's named: the one left is said alone.
        b.js("document.getElementById('reconcile-form').elements.amount.value = 'Somme versée';").await;
        click(b, "#reconcile-form button[type=submit]").await;
        wait_text(b, "#notice", &fr("Erreur\u{a0}: la colonne de la référence du paiement n'a pas été trouvée dans cet export\u{a0}: choisissez-la parmi Ref paiement, Somme versée.")).await;
        b.js("var f = document.getElementById('reconcile-form'); f.elements.reference.value = 'Ref paiement'; f.elements.amount.value = 'Somme versée';").await;
        click(b, "#reconcile-form button[type=submit]").await;
        let expected = json!([
            fr("7 paiements dans l'export (colonnes «\u{a0}Ref paiement\u{a0}» et «\u{a0}Somme versée\u{a0}»)\u{a0}: 7 retrouvés parmi les dons, au centime. Tout concorde."),
            []
        ]);
        eventually("the comparison by the chosen columns", WAIT, || async { (result(b).await == expected).then_some(()) }).await;
    })
    .await;
}

/// A large export leaves gzipped for the browser, which takes gzip: the file
/// the dashboard's link saves is the CSV itself, byte for byte as the API
/// gives it whole.
#[tokio::test]
async fn a_large_export_saved_from_the_dashboard_is_the_csv_itself() {
    let app = spawn_app().await;
    let live = app.setup().await;
    app.gifts(&live, 150).await;
    let c = live.campaign_id.clone();
    let whole = csv(&app, &format!("/api/v1/campaigns/{c}/donations.csv")).await;
    assert!(whole.len() >= 8 * 1024, "{} bytes", whole.len());
    with_browser(async |b| {
        sign_in(b, &app, &format!("#c={c}")).await;
        wait_text(b, "#c-name", "Restos").await;
        let said = b
            .client
            .execute_async(
                "var done = arguments[0]; fetch(document.getElementById('c-csv').href, {credentials: 'same-origin'}) \
                 .then(function (r) { done(r.headers.get('content-encoding')); });",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(said, "gzip");
        let saved = tempfile::tempdir().unwrap();
        b.download_to(saved.path()).await;
        let file = saved.path().join(format!("{c}-donations.csv"));
        click(b, "#c-csv").await;
        let got = eventually("the export saved", WAIT, || async { std::fs::read_to_string(&file).ok() }).await;
        assert_eq!(got, whole);
    })
    .await;
}
