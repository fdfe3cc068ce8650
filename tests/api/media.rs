//! A campaign's media library: the images and sounds its alerts show and play
//! (`/api/v1/campaigns/{id}/media`, `/media/{id}`).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn delete(app: &TestApp, campaign: &str, id: &str, token: &str) -> StatusCode {
    let path = format!("/api/v1/campaigns/{campaign}/media/{id}");
    app.request(reqwest::Method::DELETE, &path, Some(token), &[], None).await.0
}

async fn list(app: &TestApp, campaign: &str, token: &str) -> (StatusCode, Value) {
    app.request(reqwest::Method::GET, &format!("/api/v1/campaigns/{campaign}/media"), Some(token), &[], None).await
}

/// A file as `/media/{id}` serves it: status, type, bytes.
async fn fetch(app: &TestApp, id: &str) -> (StatusCode, String, Vec<u8>, reqwest::header::HeaderMap) {
    let res = app.client.get(format!("{}/media/{id}", app.base)).send().await.expect("media");
    let status = res.status();
    let headers = res.headers().clone();
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (status, ct, res.bytes().await.unwrap().to_vec(), headers)
}

/// A browser asking whether its copy of a file still holds (`If-None-Match`).
async fn revalidate(app: &TestApp, id: &str) -> StatusCode {
    let req = app.client.get(format!("{}/media/{id}", app.base)).header("if-none-match", format!("\"{id}\""));
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn hosts_and_organisers_fill_a_campaigns_media_library_which_overlays_read() {
    let app = spawn_app().await;
    let campaign = app.campaign(json!({"name": "Restos", "currency": "EUR"})).await;
    let cid = campaign["id"].as_str().unwrap().to_owned();
    let live = app.live(&cid, json!({"host": "Corentin"})).await;
    let host = live.body["host_token"].as_str().unwrap().to_owned();
    let zoe = app.live(&cid, json!({"host": "Zoé"})).await;
    let zoe_host = zoe.body["host_token"].as_str().unwrap().to_owned();
    let elsewhere = app.live(&app.eur_campaign().await, json!({"host": "Corentin"})).await;
    let elsewhere_host = elsewhere.body["host_token"].as_str().unwrap().to_owned();

    // A host sends a GIF from their space; its name is kept as given.
    let (s, sent) = app.upload_media(&cid, Some(&host), "name=C%C5%93ur%20qui%20bat.gif", GIF.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    let gif = sent["media"].clone();
    let gif_id = gif["id"].as_str().unwrap().to_owned();
    assert!(gif["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{gif}");
    let mut expected = json!({
        "id": gif_id, "campaign_id": cid, "name": "Cœur qui bat.gif", "kind": "image", "content_type": "image/gif",
        "size": GIF.len(), "host": "Corentin", "url": format!("/media/{gif_id}")
    });
    expected["created_at"] = gif["created_at"].clone();
    assert_eq!(gif, expected);
    // Served to anyone, with the type its bytes say, for as long as it is kept.
    let (s, ct, bytes, headers) = fetch(&app, &gif_id).await;
    assert_eq!((s, ct.as_str(), bytes.as_slice()), (StatusCode::OK, "image/gif", GIF));
    // Checked again at each opening: the same bytes while kept.
    assert_eq!(
        (&headers["cache-control"], &headers["etag"]),
        (&"no-cache".parse().unwrap(), &format!("\"{gif_id}\"").parse().unwrap())
    );
    assert_eq!(revalidate(&app, &gif_id).await, StatusCode::NOT_MODIFIED);
    assert_eq!(headers["x-content-type-options"], "nosniff");

    // The organisers send a sound without a name: it is named by its kind.
    let (s, sent) = app.upload_media(&cid, Some(ADMIN), "", wav()).await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    let sound = sent["media"].clone();
    assert_eq!(
        (&sound["name"], &sound["kind"], &sound["content_type"], &sound["host"], &sound["size"]),
        (&json!("sound.wav"), &json!("sound"), &json!("audio/wav"), &json!(null), &json!(wav().len()))
    );
    let sound_id = sound["id"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&app, &sound_id).await.2, wav());

    // Any token of the campaign reads the library (an overlay's builder does), oldest first.
    let campaign_overlay = campaign["overlay_token"].as_str().unwrap();
    for token in [ADMIN, campaign_overlay, &live.overlay_token, &zoe.key, &zoe_host] {
        let (s, l) = list(&app, &cid, token).await;
        assert_eq!((s, l["media"].clone()), (StatusCode::OK, json!([gif, sound])), "{token}");
    }
    assert_eq!(list(&app, &cid, &elsewhere.overlay_token).await.0, StatusCode::FORBIDDEN);
    let (s, e) = app.get(&format!("/api/v1/campaigns/{cid}/media")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));

    // Refused, and nothing kept: a file of another kind, SVG (it can hold
    // scripts), nothing, too large, a name too long or with a control
    // character, an overlay token, another campaign's host, no campaign.
    let long = format!("name={}", "a".repeat(81));
    let refusals: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (&host, "name=notes.txt", b"hello".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media"),
        (
            &host,
            "",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media",
        ),
        (&host, "", Vec::new(), StatusCode::BAD_REQUEST, "invalid_body"),
        (&host, "", [GIF, &vec![0; 8 << 20]].concat(), StatusCode::PAYLOAD_TOO_LARGE, "media_too_large"),
        (&host, &long, GIF.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "name_too_long"),
        (&host, "name=a%0Ab.gif", GIF.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_name"),
        (&live.overlay_token, "", GIF.to_vec(), StatusCode::FORBIDDEN, "forbidden"),
        (&elsewhere_host, "", GIF.to_vec(), StatusCode::FORBIDDEN, "forbidden"),
    ];
    for (token, query, bytes, status, code) in refusals {
        let (s, e) = app.upload_media(&cid, Some(token), query, bytes).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{query}: {e}");
    }
    let (s, e) = app.upload_media(&cid, Some(&host), "", [GIF, &vec![0; 8 << 20]].concat()).await;
    assert_eq!((s, e["max"].as_u64()), (StatusCode::PAYLOAD_TOO_LARGE, Some(8 << 20)), "{e}");
    let (s, e) = app.upload_media("nope", Some(ADMIN), "", GIF.to_vec()).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::NOT_FOUND, Some("campaign_not_found")));
    assert_eq!(list(&app, &cid, ADMIN).await.1["media"], json!([gif, sound]));

    // A host removes the files sent from their own spaces only; the organisers any.
    assert_eq!(delete(&app, &cid, &gif_id, &zoe_host).await, StatusCode::FORBIDDEN);
    assert_eq!(delete(&app, &cid, &sound_id, &host).await, StatusCode::FORBIDDEN);
    assert_eq!(delete(&app, &cid, &gif_id, &live.overlay_token).await, StatusCode::FORBIDDEN);
    // Not through another campaign's library.
    assert_eq!(delete(&app, &elsewhere.campaign_id, &gif_id, ADMIN).await, StatusCode::NOT_FOUND);
    assert_eq!(delete(&app, &cid, &gif_id, &host).await, StatusCode::NO_CONTENT);
    let (s, _, body, _) = fetch(&app, &gif_id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"], "media_not_found");
    assert_eq!(revalidate(&app, &gif_id).await, StatusCode::NOT_FOUND, "a copy kept by a browser is not confirmed");
    assert_eq!(delete(&app, &cid, &gif_id, &host).await, StatusCode::NOT_FOUND);
    assert_eq!(list(&app, &cid, ADMIN).await.1["media"], json!([sound]));

    // Kept across a restart.
    let app = app.restart().await;
    assert_eq!(list(&app, &cid, ADMIN).await.1["media"], json!([sound]));
    assert_eq!(fetch(&app, &sound_id).await.2, wav());
    assert_eq!(delete(&app, &cid, &sound_id, ADMIN).await, StatusCode::NO_CONTENT);
    assert_eq!(list(&app, &cid, ADMIN).await.1["media"], json!([]));
}

#[tokio::test]
async fn a_full_library_takes_no_more_until_a_file_is_removed() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let cid = live.campaign_id.clone();
    let mut first = String::new();
    for i in 0..100 {
        let (s, m) = app.upload_media(&cid, Some(ADMIN), &format!("name=f{i}.gif"), GIF.to_vec()).await;
        assert_eq!(s, StatusCode::CREATED, "{i}: {m}");
        if i == 0 {
            first = m["media"]["id"].as_str().unwrap().to_owned();
        }
    }
    let (s, e) = app.upload_media(&cid, Some(ADMIN), "", GIF.to_vec()).await;
    assert_eq!(
        (s, e["error"].as_str(), e["files"].as_u64()),
        (StatusCode::CONFLICT, Some("media_library_full"), Some(100))
    );
    // Another campaign's library is its own.
    let other = app.eur_campaign().await;
    assert_eq!(app.upload_media(&other, Some(ADMIN), "", GIF.to_vec()).await.0, StatusCode::CREATED);
    assert_eq!(delete(&app, &cid, &first, ADMIN).await, StatusCode::NO_CONTENT);
    assert_eq!(app.upload_media(&cid, Some(ADMIN), "", GIF.to_vec()).await.0, StatusCode::CREATED);
    assert_eq!(list(&app, &cid, ADMIN).await.1["media"].as_array().unwrap().len(), 100);
}

/// The files an image field is tried with: an image of the campaign named
/// `name`, one of its sounds, and an image of another campaign; their ids.
async fn image_sound_and_another_s(app: &TestApp, campaign: &str, name: &str) -> (String, String, String) {
    let id_of = |v: &Value| v["media"]["id"].as_str().unwrap().to_owned();
    let image = id_of(&app.upload_media(campaign, Some(ADMIN), &format!("name={name}"), GIF.to_vec()).await.1);
    let sound = id_of(&app.upload_media(campaign, Some(ADMIN), "", wav()).await.1);
    let other = app.eur_campaign().await;
    let elsewhere = id_of(&app.upload_media(&other, Some(ADMIN), "", GIF.to_vec()).await.1);
    (image, sound, elsewhere)
}

#[tokio::test]
async fn a_sponsor_s_logo_is_an_image_of_the_campaign_s_library() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let cid = live.campaign_id.clone();
    let (logo, sound, elsewhere) = image_sound_and_another_s(&app, &cid, "boulangerie.gif").await;
    let mut ws = app.campaign_ws(&cid).await;
    ws.next().await;

    let path = format!("/api/v1/campaigns/{cid}/matches");
    let terms = |logo: &str| json!({"sponsor": "Boulangerie", "ratio": [1, 1], "cap": 50000, "logo": logo});
    // Not a sound, not another campaign's image, not nothing at all.
    for bad in [sound.as_str(), elsewhere.as_str(), "nope"] {
        let (s, e) = app.post(&path, Some(ADMIN), terms(bad)).await;
        assert_eq!(
            (s, e["error"].as_str(), e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_logo"), Some("logo"))
        );
    }
    assert_eq!(app.get(&format!("/api/v1/campaigns/{cid}")).await.1["matches"], json!([]));
    let (s, m) = app.post(&path, Some(ADMIN), terms(&logo)).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!((m["logo"].as_str(), m["logo_url"].clone()), (Some(logo.as_str()), json!(format!("/media/{logo}"))));
    let mid = m["id"].as_str().unwrap().to_owned();
    // Changed and taken off on air: the match's frame carries it.
    let edit = async |body: Value| {
        let path = format!("/api/v1/campaigns/{cid}/matches/{mid}");
        app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body.to_string())).await
    };
    let (s, m) = edit(json!({"logo": null})).await;
    assert_eq!((s, &m["logo"], &m["logo_url"]), (StatusCode::OK, &json!(null), &json!(null)));
    assert_eq!(ws.until("match_updated").await["match"]["logo_url"], json!(null));
    let (s, e) = edit(json!({"logo": sound})).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_logo")));
    let (s, m) = edit(json!({"logo": logo})).await;
    assert_eq!((s, m["logo_url"].clone()), (StatusCode::OK, json!(format!("/media/{logo}"))));
    assert_eq!(ws.until("match_updated").await["match"]["logo"], logo.as_str());
    // Kept across a restart, in the campaign's answer.
    let app = app.restart().await;
    let (_, c) = app.get(&format!("/api/v1/campaigns/{cid}")).await;
    assert_eq!(c["matches"][0]["logo_url"], json!(format!("/media/{logo}")));
}

/// A public page's HTML.
async fn page(app: &TestApp, path: &str) -> String {
    app.client.get(format!("{}{path}", app.base)).send().await.unwrap().text().await.unwrap()
}

async fn edit_campaign(app: &TestApp, campaign: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/campaigns/{campaign}");
    app.request(reqwest::Method::PATCH, &path, Some(ADMIN), &[], Some(body.to_string())).await
}

/// The campaign's picture: an image of its library, on its public pages and in
/// their links' previews (an absolute URL), gone with its file or taken off.
#[tokio::test]
async fn a_campaign_s_picture_shows_on_its_pages_and_their_link_previews() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let cid = live.campaign_id.clone();
    let (picture, sound, elsewhere) = image_sound_and_another_s(&app, &cid, "affiche.gif").await;
    let id_of = |v: &Value| v["media"]["id"].as_str().unwrap().to_owned();
    let meta = format!("<meta property=\"og:image\" content=\"{}/media/{picture}\">", app.base);
    let img = format!("<img class=\"cover\" id=\"cover\" src=\"/media/{picture}\" alt=\"\">");
    let campaign_page = format!("/campaigns/{cid}");
    let live_page = format!("/lives/{}", live.id);

    // Not a sound, not another campaign's image, not nothing; nothing changes.
    for bad in [sound.as_str(), elsewhere.as_str(), "nope"] {
        let (s, e) = edit_campaign(&app, &cid, json!({"cover": bad})).await;
        assert_eq!(
            (s, e["error"].as_str(), e["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_cover"), Some("cover")),
            "{e}"
        );
    }
    assert!(!page(&app, &campaign_page).await.contains("og:image"));
    let (s, c) = edit_campaign(&app, &cid, json!({"cover": picture})).await;
    assert_eq!((s, c["cover"].as_str()), (StatusCode::OK, Some(picture.as_str())), "{c}");
    assert_eq!(c["cover_url"], format!("/media/{picture}"));
    for p in [&campaign_page, &live_page] {
        let html = page(&app, p).await;
        assert!(html.contains(&meta) && html.contains(&img), "{p}: {html}");
        assert!(html.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"), "{p}");
    }
    // Another edit keeps it; a restart too.
    let (_, c) = edit_campaign(&app, &cid, json!({"name": "Renamed"})).await;
    assert_eq!(c["cover"].as_str(), Some(picture.as_str()));
    let app = app.restart().await;
    assert!(page(&app, &campaign_page).await.contains(&meta));
    // Its file removed: the pages do without it.
    assert_eq!(delete(&app, &cid, &picture, ADMIN).await, StatusCode::NO_CONTENT);
    let html = page(&app, &live_page).await;
    assert!(!html.contains("og:image") && !html.contains("class=\"cover\""), "{html}");
    // Another picture, then none.
    let again = id_of(&app.upload_media(&cid, Some(ADMIN), "", GIF.to_vec()).await.1);
    let (_, c) = edit_campaign(&app, &cid, json!({"cover": again})).await;
    assert_eq!(c["cover"].as_str(), Some(again.as_str()));
    assert!(page(&app, &campaign_page).await.contains(&format!("/media/{again}")));
    let (_, c) = edit_campaign(&app, &cid, json!({"cover": null})).await;
    assert_eq!((c["cover"].clone(), c["cover_url"].clone()), (Value::Null, Value::Null));
    assert!(!page(&app, &campaign_page).await.contains("og:image"));
}
