//! What a user test of the overlays in OBS found: rankings whose amounts fell
//! on the next donor's line, a goal bar whose challenge fell below its source,
//! a poll whose words broke where French does not. Each measured in the source
//! sizes the docs suggest and in the scene of every widget.

use crate::browser::{Browser, eventually, with_browser};
use crate::helpers::{ADMIN, TestApp, TestLive, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const NNBSP: char = '\u{202f}';
const NBSP: char = '\u{a0}';

/// fr-FR money readably: `~` for the narrow no-break space, `_` for the no-break space.
fn eur_fr(s: &str) -> String {
    s.replace('~', &NNBSP.to_string()).replace('_', &NBSP.to_string())
}

const LONG_NAME: &str = "Jean-Baptiste Poquelin de la Fontaine-Saint-Germain-en-Laye";
const LONGER_NAME: &str = "Supercalifragilisticexpialidocious_LeGrandDonateur_2024";
const OTHER_HOST: &str = "Marie-Charlotte de La Tour d'Auvergne";
const OTHER_TITLE: &str = "Marathon de jeux vidéo rétro toute la nuit";
const OPTION: &str = "Un portrait de chaque modérateur de la chaîne";

/// A EUR live (goal 200 000 €) with the user test's donors (two very long
/// names, one of them 123 456,78 €), another live of the campaign with a long
/// host and title, a milestone ahead (its line under the goal bar), a
/// challenge on air (`challenge`) and a poll.
async fn fixture(app: &TestApp, challenge: &str, options: &[&str]) -> TestLive {
    let c = app.campaign(json!({"name": "Restos", "currency": "EUR", "goal": 50_000_000})).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let live = app.live(&id, json!({"host": "Corentin", "goal": 20_000_000})).await;
    let gifts =
        [(LONG_NAME, 12_345_678), (LONGER_NAME, 1_234_567), ("🐱 Chat Pitre", 10_000), ("Ana", 500), ("Léa", 250)];
    for (donor, amount) in gifts {
        let (s, v) = app.donate(&live, json!({"amount": amount, "currency": "EUR", "donor": donor})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let other = app.live(&id, json!({"host": OTHER_HOST, "title": OTHER_TITLE})).await;
    let (s, v) = app.donate(&other, json!({"amount": 9_999_999, "currency": "EUR", "donor": "Zoé"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let path = format!("/api/v1/lives/{}/milestones", live.id);
    let (s, v) = app.post(&path, Some(ADMIN), json!({"amount": 15_000_000, "label": "Karaoké géant"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/lives/{}/challenges", live.id);
    let (s, v) = app.post(&path, Some(&host), json!({"label": challenge, "amount": 5000, "minutes": 30})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let path = format!("/api/v1/lives/{}/polls", live.id);
    let poll = json!({"question": "Quel jeu ensuite ?", "options": options, "minutes": 30});
    let (s, v) = app.post(&path, Some(&host), poll).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    live
}

fn page(app: &TestApp, live: &TestLive, widget: &str, query: &str) -> String {
    let path = if widget.is_empty() { String::new() } else { format!("/{widget}") };
    format!("{}/overlay/lives/{}{path}?token={}{query}", app.base, live.id, live.overlay_token)
}

/// Opens `url` in a source of `w` × `h`.
async fn open(b: &Browser, url: &str, w: u32, h: u32) {
    b.set_viewport(w, h).await;
    b.goto(url).await;
    b.wait_live().await;
}

/// Runs `script` (a function's body) once the page has drawn two more frames:
/// the fitting done on a resize (a ResizeObserver's) is then over.
async fn settled(b: &Browser, script: &str) -> Value {
    b.js(&format!(
        "var measure = function () {{ {script} }};
         return new Promise(function (done) {{
           requestAnimationFrame(function () {{ requestAnimationFrame(function () {{ done(measure()); }}); }});
         }});"
    ))
    .await
}

/// Each row of the shown rankings: `[list id, [[name, amount, amount on the
/// name's line and in the row, name before the amount and the amount whole
/// inside the list, name cut with "…"], …], row heights all equal]`.
const RANKINGS: &str = r#"
    return ["top-list", "lives-list"].filter(function (id) {
        var ol = document.getElementById(id);
        return ol && !ol.closest("[hidden]") && ol.children.length;
    }).map(function (id) {
        var ol = document.getElementById(id), box = ol.getBoundingClientRect(), heights = [];
        var rows = Array.from(ol.children).map(function (li) {
            var n = li.children[0], a = li.children[1];
            var r = li.getBoundingClientRect(), nr = n.getBoundingClientRect(), ar = a.getBoundingClientRect();
            heights.push(r.height);
            return [n.textContent, a.textContent,
                    Math.abs(nr.top - ar.top) < 1 && ar.top >= r.top - .5 && ar.bottom <= r.bottom + .5,
                    nr.right <= ar.left + .5 && ar.right <= box.right + .5 && a.scrollWidth <= Math.ceil(ar.width),
                    n.scrollWidth > n.clientWidth];
        });
        return [id, rows, Math.max.apply(null, heights) - Math.min.apply(null, heights) < 1];
    });"#;

#[tokio::test]
async fn each_ranked_amount_stays_on_its_own_donor_s_line() {
    let app = spawn_app().await;
    let live = fixture(&app, "Je chante", &["Zelda", "Mario"]).await;
    let donors = |m: [&str; 5]| {
        json!([
            [LONG_NAME, m[0], true, true, true],
            [LONGER_NAME, m[1], true, true, true],
            ["🐱 Chat Pitre", m[2], true, true, false],
            ["Ana", m[3], true, true, false],
            ["Léa", m[4], true, true, false]
        ])
    };
    let lives = |m: [&str; 2]| {
        json!([
            ["Corentin", m[0], true, true, false],
            [format!("{OTHER_HOST} — {OTHER_TITLE}"), m[1], true, true, true]
        ])
    };
    let fr = |s: &str| eur_fr(s);
    let top_fr = donors([&fr("123~456,78_€"), &fr("12~345,67_€"), &fr("100,00_€"), &fr("5,00_€"), &fr("2,50_€")]);
    let lives_fr = lives([&fr("135~909,95_€"), &fr("99~999,99_€")]);
    let top_en = donors(["€123,456.78", "€12,345.67", "€100.00", "€5.00", "€2.50"]);
    let lives_en = lives(["€135,909.95", "€99,999.99"]);
    with_browser(async |b| {
        for (lang, top, lives) in [("fr", &top_fr, &lives_fr), ("en", &top_en, &lives_en)] {
            // The scene of every widget in its two usual sizes, then each
            // ranking alone in the source the docs suggest (480 × 400).
            let sources = [("", 1920, 1080), ("", 1280, 720), ("top", 480, 400), ("lives", 480, 400)];
            for (widget, w, h) in sources {
                open(b, &page(&app, &live, widget, &format!("&lang={lang}&refresh=300")), w, h).await;
                let want = match widget {
                    "top" => json!([["top-list", top, true]]),
                    "lives" => json!([["lives-list", lives, true]]),
                    _ => json!([["top-list", top, true], ["lives-list", lives, true]]),
                };
                // Without the fix, an amount after a long name falls to the next
                // line and every amount below is one row off.
                crate::browser::until_found(
                    &format!("the rankings of {widget:?} in {w} x {h}, {lang}: {want}"),
                    WAIT,
                    || async {
                        let got = settled(b, RANKINGS).await;
                        if got == want { Ok(()) } else { Err(got.to_string()) }
                    },
                )
                .await;
            }
        }
    })
    .await;
}

/// Where the goal card and its parts are: `[[id, top, bottom, left, right], …]`
/// (null for one hidden), the source's height less the page's padding, and the
/// widgets' font size as a share of the page's.
const GOAL_PARTS: &str = r#"
    var ids = ["w-goal", "goal-track", "goal-label", "goal-next", "goal-challenge", "challenge-label", "challenge-fill",
               "challenge-amounts", "challenge-time", "w-poll"];
    var parts = ids.map(function (id) {
        var n = document.getElementById(id);
        if (!n || n.closest("[hidden]")) return null;
        if (id === "challenge-fill") n = n.parentNode;
        var r = n.getBoundingClientRect();
        return [id, r.top, r.bottom, r.left, r.right];
    });
    var pad = parseFloat(getComputedStyle(document.body).paddingBottom);
    var ratio = parseFloat(getComputedStyle(document.getElementById("overlay")).fontSize) /
                parseFloat(getComputedStyle(document.body).fontSize);
    return {parts: parts, room: innerHeight - pad, width: innerWidth, ratio: ratio,
            label: (document.getElementById("challenge-label") || {}).textContent,
            amounts: (document.getElementById("challenge-amounts") || {}).textContent};"#;

/// Every shown part of `v` (GOAL_PARTS) inside the source, and the challenge's inside the goal card.
fn inside(v: &Value) -> Result<(), String> {
    let room = v["room"].as_f64().unwrap();
    let width = v["width"].as_f64().unwrap();
    let parts: Vec<&Value> = v["parts"].as_array().unwrap().iter().filter(|p| !p.is_null()).collect();
    let card = parts.iter().find(|p| p[0] == "w-goal").ok_or("no goal card")?;
    for p in &parts {
        let [top, bottom, left, right] = [1, 2, 3, 4].map(|i| p[i].as_f64().unwrap());
        if top < 0.0 || bottom > room + 0.5 || left < 0.0 || right > width + 0.5 {
            return Err(format!("{p} outside the source ({width} x {room})"));
        }
        if p[0] != "w-poll" && (top < card[1].as_f64().unwrap() - 0.5 || bottom > card[2].as_f64().unwrap() + 0.5) {
            return Err(format!("{p} outside the goal card {card}"));
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_goal_bar_with_a_long_challenge_fits_its_source() {
    let app = spawn_app().await;
    let label = "Je chante l'intégrale de Céline Dion en yaourt";
    let live = fixture(&app, label, &[OPTION, "Zelda", "Mario Kart"]).await;
    with_browser(async |b| {
        // The goal bar's documented source (800 × 160) and a smaller one: the
        // card is drawn smaller, whole; in 800 × 220, at its full size.
        for (w, h, least) in [(800, 160, 0.6), (640, 140, 0.5), (800, 220, 1.0)] {
            open(b, &page(&app, &live, "goal", ""), w, h).await;
            // Without fitting, the challenge's bar and amounts end at 201 px, the card at 213.
            let v = until_found(&format!("the goal bar inside {w} x {h}"), || async {
                let v = settled(b, GOAL_PARTS).await;
                inside(&v).map(|()| v.clone()).map_err(|e| format!("{e}: {v}"))
            })
            .await;
            assert_eq!(v["label"], format!("Défi{NBSP}: {label}"));
            assert_eq!(v["amounts"], eur_fr("0,00_€ / 50,00_€"));
            assert!(v["parts"].as_array().unwrap().iter().filter(|p| !p.is_null()).count() == 9, "{v}");
            let ratio = v["ratio"].as_f64().unwrap();
            assert!(ratio >= least && ratio <= 1.0, "drawn at {ratio} of its size in {w} x {h} (at least {least})");
            if h == 220 {
                assert_eq!(ratio, 1.0, "800 x 220 holds it whole");
            }
        }
        // The goal bar and the poll listed together in that source: both
        // inside; whole in 800 x 480, the size the docs give them.
        for h in [160, 480] {
            open(b, &page(&app, &live, "", "&widgets=goal,poll"), 800, h).await;
            let v = until_found(&format!("the goal bar and the poll inside 800 x {h}"), || async {
                let v = settled(b, GOAL_PARTS).await;
                let poll = !v["parts"][9].is_null();
                inside(&v)
                    .and_then(|()| if poll { Ok(v.clone()) } else { Err("no poll".into()) })
                    .map_err(|e| format!("{e}: {v}"))
            })
            .await;
            let ratio = v["ratio"].as_f64().unwrap();
            assert!(if h == 480 { ratio == 1.0 } else { ratio < 1.0 }, "{ratio} in 800 x {h}: {v}");
        }
        // The thermometer (480 × 360): the challenge's own bar stays a bar
        // under its words (it was drawn as a second thermometer, 12 em tall).
        open(b, &page(&app, &live, "goal", "&goal_style=thermometer"), 480, 360).await;
        let v = until_found("the thermometer inside 480 x 360", || async {
            let v = settled(b, GOAL_PARTS).await;
            inside(&v).map(|()| v.clone()).map_err(|e| format!("{e}: {v}"))
        })
        .await;
        let bar = v["parts"][6].as_array().unwrap().iter().skip(1).map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
        let (height, width) = (bar[1] - bar[0], bar[3] - bar[2]);
        assert!(height < 12.0 && width > 100.0, "the challenge's bar is {width} x {height}: {v}");
        assert_eq!(v["ratio"], 1.0, "at its full size: {v}");
    })
    .await;
}

async fn until_found<F, Fut>(what: &str, f: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Value, String>>,
{
    crate::browser::until_found(what, WAIT, f).await
}

/// The lines a node's text is laid out on (its one text node), as text.
const LINES: &str = r#"
    var lines = function (n) {
        var t = n.firstChild, out = [], cur = "", top = null;
        for (var i = 0; i < t.length; i++) {
            var r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
            var y = Math.round(r.getBoundingClientRect().top);
            if (t.data[i] !== " " && top !== null && y !== top) { out.push(cur.trim()); cur = ""; }
            if (t.data[i] !== " ") top = y;
            cur += t.data[i];
        }
        out.push(cur.trim());
        return out;
    };
    // Breaks where the next line's first word would have fitted on the line
    // before: room to spare (`avail`, the width the text may take).
    var spare = function (n, avail) {
        var ls = lines(n), found = [];
        for (var i = 1; i < ls.length; i++) {
            var c = n.cloneNode();
            c.style.whiteSpace = "nowrap"; c.style.position = "absolute";
            c.textContent = ls[i - 1] + " " + ls[i].split(" ")[0];
            n.parentNode.appendChild(c);
            var w = c.getBoundingClientRect().width;
            c.remove();
            if (w <= avail - 1) found.push(ls[i - 1] + " / " + ls[i]);
        }
        return found;
    };
    var starts = function (n) { return lines(n).filter(function (l) { return /^[?!:;»]/.test(l); }); };"#;

/// The poll's and the challenge's words: `{question, labels, challenge}` as
/// text, the lines that start with a sign French keeps on the line before,
/// the breaks with room to spare, and the challenge label's width against its card's.
const WORDS: &str = r#"
    var q = document.getElementById("poll-question"), c = document.getElementById("challenge-label");
    var labels = Array.from(document.querySelectorAll(".poll-label"));
    var all = [q].concat(labels, c ? [c] : []);
    return {
        question: q.textContent,
        labels: labels.map(function (n) { return n.textContent; }),
        label_lines: labels.map(function (n) { return lines(n); }),
        challenge: c && c.textContent,
        signs_first: all.map(starts).reduce(function (a, b) { return a.concat(b); }, []),
        spare: labels.map(function (n) { return spare(n, n.parentNode.getBoundingClientRect().width); })
            .concat(c ? [spare(c, c.getBoundingClientRect().width)] : [])
            .reduce(function (a, b) { return a.concat(b); }, []),
        challenge_width: c && Math.round(c.getBoundingClientRect().width),
        challenge_room: c && Math.round(document.getElementById("goal-challenge").clientWidth)
    };"#;

#[tokio::test]
async fn a_poll_s_and_a_challenge_s_words_break_where_french_does() {
    let app = spawn_app().await;
    let challenge = "Karaoké : je chante l'intégrale de Céline Dion en yaourt !";
    let live = fixture(&app, challenge, &[OPTION, "Zelda : Breath of the Wild", "Mario Kart !"]).await;
    let words = format!("{LINES}\n{WORDS}");
    with_browser(async |b| {
        // The scene of every widget at 1280 × 720: the poll and the goal bar in its left column.
        open(b, &page(&app, &live, "", "&refresh=300"), 1280, 720).await;
        let v = eventually("the poll and the challenge in the scene", WAIT, || async {
            let v = settled(b, &words).await;
            (v["labels"].as_array().is_some_and(|l| l.len() == 3) && v["challenge"].is_string()).then_some(v)
        })
        .await;
        assert_eq!(v["question"], format!("Quel jeu ensuite{NBSP}?"), "{v}");
        assert_eq!(
            v["labels"],
            json!([OPTION, format!("Zelda{NBSP}: Breath of the Wild"), format!("Mario Kart{NBSP}!")])
        );
        assert_eq!(
            v["challenge"],
            format!("Défi{NBSP}: Karaoké{NBSP}: je chante l'intégrale de Céline Dion en yaourt{NBSP}!")
        );
        // No "?" alone at a line's start; no line broken with room to spare
        // (the option broke "…modérateur de" / "la" / "chaîne", its tag glued to its last word).
        assert_eq!(v["signs_first"], json!([]), "{v}");
        assert_eq!(v["spare"], json!([]), "{v}");
        // The challenge's words take the card's width, not what its time left leaves them (158 px of 350).
        assert_eq!(v["challenge_width"], v["challenge_room"], "{v}");

        // The poll alone in its documented source (640 × 360): the option on one line.
        open(b, &page(&app, &live, "poll", ""), 640, 360).await;
        let v = eventually("the poll in 640 x 360", WAIT, || async {
            let v = settled(b, &words).await;
            (v["labels"].as_array().is_some_and(|l| l.len() == 3)).then_some(v)
        })
        .await;
        assert_eq!(v["label_lines"][0], json!([OPTION]), "{v}");
        assert_eq!((v["signs_first"].clone(), v["spare"].clone()), (json!([]), json!([])), "{v}");
        // So narrow that the question must break: "ensuite ?" stays whole.
        open(b, &page(&app, &live, "poll", ""), 200, 900).await;
        let v = eventually("the poll in 200 x 900", WAIT, || async {
            let v = settled(b, &format!("{LINES}\nreturn lines(document.getElementById('poll-question'));")).await;
            (v.as_array().is_some_and(|l| l.len() > 1)).then_some(v)
        })
        .await;
        assert_eq!(v.as_array().unwrap().last().unwrap(), &json!(format!("ensuite{NBSP}?")), "{v}");
    })
    .await;
}
