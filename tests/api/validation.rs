//! Bad input gets a clear 4xx in the contract's shape and changes nothing.

use super::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn bad_donations_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let other = app.live(&live.campaign_id, json!({"host": "Zoé"})).await;
    app.donate_ok(&live, 250).await;
    let before = app.get(&format!("/api/v1/lives/{}", live.id)).await.1;
    let before_events = app.events(&live, 0).await;
    let path = format!("/api/v1/lives/{}/donations", live.id);
    let long = "x".repeat(501);
    let cases: Vec<(&str, Option<&str>, String, StatusCode, &str)> = vec![
        (
            "zero",
            Some(&live.key),
            json!({"amount": 0, "currency": "EUR"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            "negative",
            Some(&live.key),
            json!({"amount": -100, "currency": "EUR"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            "float",
            Some(&live.key),
            r#"{"amount": 10.5, "currency": "EUR"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            "float zero fraction",
            Some(&live.key),
            r#"{"amount": 10.0, "currency": "EUR"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            "exponent",
            Some(&live.key),
            r#"{"amount": 1e3, "currency": "EUR"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            "string",
            Some(&live.key),
            r#"{"amount": "1050", "currency": "EUR"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            "10^18",
            Some(&live.key),
            r#"{"amount": 1000000000000000000, "currency": "EUR"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_too_large",
        ),
        (
            "10^20",
            Some(&live.key),
            r#"{"amount": 100000000000000000000, "currency": "EUR"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_too_large",
        ),
        (
            "2^63",
            Some(&live.key),
            r#"{"amount": 9223372036854775808, "currency": "EUR"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_too_large",
        ),
        (
            "just above max",
            Some(&live.key),
            json!({"amount": 100_000_001, "currency": "EUR"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_too_large",
        ),
        (
            "wrong currency",
            Some(&live.key),
            json!({"amount": 100, "currency": "USD"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "currency_mismatch",
        ),
        (
            "lower-case currency",
            Some(&live.key),
            json!({"amount": 100, "currency": "eur"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_currency",
        ),
        (
            "unknown currency",
            Some(&live.key),
            json!({"amount": 100, "currency": "ABC"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_currency",
        ),
        (
            "missing amount",
            Some(&live.key),
            json!({"currency": "EUR"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown field",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "tip": 1}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
        ),
        ("not json", Some(&live.key), "amount=100".into(), StatusCode::BAD_REQUEST, "invalid_json"),
        ("empty body", Some(&live.key), String::new(), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            "missing token",
            None,
            json!({"amount": 100, "currency": "EUR"}).to_string(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "wrong token",
            Some("ck_0000"),
            json!({"amount": 100, "currency": "EUR"}).to_string(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "overlay token writes",
            Some(&live.overlay_token),
            json!({"amount": 100, "currency": "EUR"}).to_string(),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "other live's key",
            Some(&other.key),
            json!({"amount": 100, "currency": "EUR"}).to_string(),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "message too long",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "message": long}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "donor too long",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "donor": "d".repeat(65)}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "control character",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "donor": "a\u{0007}b"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "bidi override",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "message": "gg \u{202E}olleh"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "bad id",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "id": "Not Valid"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "bad platform",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "platform": "<b>"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "anonymous not bool",
            Some(&live.key),
            json!({"amount": 100, "currency": "EUR", "anonymous": "yes"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (name, token, body, status, code) in cases {
        let (s, v) = app.post_raw(&path, token, &[], &body).await;
        assert_eq!(s, status, "{name}: {v}");
        assert_eq!(v["error"], code, "{name}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {v}");
    }
    // However large, an amount above the maximum is told the configured maximum.
    for amount in ["100000001", "9223372036854775807", "9223372036854775808", "100000000000000000000000"] {
        let body = format!(r#"{{"amount": {amount}, "currency": "EUR"}}"#);
        let (s, v) = app.post_raw(&path, Some(&live.key), &[], &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
        assert_eq!(
            v,
            json!({
                "error": "amount_too_large",
                "message": "amount is above the maximum of 100000000 minor units",
                "max": 100_000_000
            }),
            "{amount}"
        );
    }
    let (s, v) =
        app.post_raw(&path, Some(&live.key), &[("Idempotency-Key", "")], r#"{"amount":1,"currency":"EUR"}"#).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_idempotency_key")));
    let (s, _) =
        app.post_raw("/api/v1/lives/nope/donations", Some(ADMIN), &[], r#"{"amount":1,"currency":"EUR"}"#).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A body over the limit.
    let huge = format!(r#"{{"amount":1,"currency":"EUR","message":"{}"}}"#, "x".repeat(100_000));
    let (s, v) = app.post_raw(&path, Some(&live.key), &[], &huge).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")), "{v}");

    assert_eq!(app.get(&format!("/api/v1/lives/{}", live.id)).await.1, before);
    assert_eq!(app.events(&live, 0).await, before_events);
}

#[tokio::test]
async fn admin_endpoints_need_the_admin_token() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let body = json!({"name": "X", "currency": "EUR"});
    let (s, v) = app.post("/api/v1/campaigns", None, body.clone()).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (s, _) = app.post("/api/v1/campaigns", Some("not-a-token"), body.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = app.post("/api/v1/campaigns", Some(&live.key), body.clone()).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (s, _) = app
        .post(&format!("/api/v1/campaigns/{}/lives", live.campaign_id), Some(&live.overlay_token), json!({"host": "x"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/api/v1/campaigns/{}/matches", live.campaign_id),
            Some(&live.key),
            json!({"sponsor": "x", "ratio": [1, 1], "cap": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_campaigns_lives_and_matches_are_refused() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let campaigns: Vec<(Value, &str)> = vec![
        (json!({"name": "X", "currency": "EURO"}), "invalid_currency"),
        (json!({"name": "", "currency": "EUR"}), "invalid_field"),
        (json!({"name": "X", "currency": "EUR", "goal": 12.5}), "invalid_amount"),
        (json!({"name": "X", "currency": "EUR", "goal": 0}), "invalid_amount"),
        (json!({"name": "X", "currency": "EUR", "starts_at": "tomorrow"}), "invalid_time"),
        (
            json!({"name": "X", "currency": "EUR", "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-11-01T00:00:00Z"}),
            "invalid_time",
        ),
        (json!({"name": "X", "currency": "EUR", "id": "UPPER"}), "invalid_field"),
        (json!({"name": "X", "currency": "EUR", "owner": "me"}), "unknown_field"),
        (json!({"name": "X", "currency": "EUR", "donate_url": "javascript:alert(1)"}), "invalid_field"),
    ];
    for (body, code) in campaigns {
        let (s, v) = app.post("/api/v1/campaigns", Some(ADMIN), body.clone()).await;
        assert!(s.is_client_error(), "{body}: {s}");
        assert_eq!(v["error"], code, "{body}: {v}");
    }
    let matches: Vec<(Value, &str)> = vec![
        (json!({"sponsor": "A", "ratio": [1, 0], "cap": 100}), "invalid_ratio"),
        (json!({"sponsor": "A", "ratio": [1.5, 1], "cap": 100}), "invalid_ratio"),
        (json!({"sponsor": "A", "ratio": [1], "cap": 100}), "invalid_ratio"),
        (json!({"sponsor": "A", "ratio": [1, 1], "cap": -1}), "invalid_amount"),
        (json!({"sponsor": "A", "ratio": [1, 1], "cap": "100"}), "invalid_amount"),
        (json!({"sponsor": "", "ratio": [1, 1], "cap": 100}), "invalid_field"),
    ];
    for (body, code) in matches {
        let (s, v) =
            app.post(&format!("/api/v1/campaigns/{}/matches", live.campaign_id), Some(ADMIN), body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(v["error"], code, "{body}: {v}");
    }
    for body in [json!({"host": "  "}), json!({"host": "Ana", "stream_url": "twitch.tv/ana"})] {
        let (s, v) = app.post(&format!("/api/v1/campaigns/{}/lives", live.campaign_id), Some(ADMIN), body).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")), "{v}");
    }
    let (s, v) = app.patch_live(&live.id, json!({"stream_url": "javascript:alert(1)"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("stream_url")), "{v}");
    let (_, c) = app.get(&format!("/api/v1/campaigns/{}", live.campaign_id)).await;
    assert_eq!(c["lives"].as_array().unwrap().len(), 1);
    assert_eq!(c["matches"], json!([]));
}

#[tokio::test]
async fn wrong_methods_bad_paths_and_non_object_bodies_get_the_error_shape() {
    let app = spawn_app().await;
    let live = app.setup().await;
    let before = app.events(&live, 0).await;
    let error = |code: &str, message: &str| json!({"error": code, "message": message});
    let wrong_method =
        error("method_not_allowed", "this endpoint does not take this method; the Allow header lists those it takes");
    for (method, path, allow) in [
        (reqwest::Method::PUT, "/api/v1/campaigns".to_owned(), "POST"),
        (reqwest::Method::DELETE, format!("/api/v1/lives/{}/donations", live.id), "POST,GET,HEAD"),
        (reqwest::Method::POST, "/healthz".to_owned(), "GET,HEAD"),
        (reqwest::Method::POST, format!("/lives/{}", live.id), "GET,HEAD"),
    ] {
        let res = app.client.request(method.clone(), format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        assert_eq!(res.headers()["content-type"], "application/json", "{method} {path}");
        assert_eq!(res.json::<Value>().await.unwrap(), wrong_method, "{method} {path}");
    }
    // A percent-encoded byte that is not UTF-8 where an id goes.
    for (path, param) in [
        ("/api/v1/lives/%ff".to_owned(), "id"),
        ("/campaigns/%ff".to_owned(), "id"),
        ("/static/%ff".to_owned(), "file"),
        ("/ws/lives/%ff?token=x".to_owned(), "id"),
        ("/overlay/lives/%fe/goal?token=x".to_owned(), "id"),
    ] {
        let (s, v) = app.get(&path).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            v,
            error("invalid_path", &format!("the URL's path is not valid: Invalid UTF-8 in `{param}`")),
            "{path}"
        );
    }
    // A body of valid JSON that is not an object.
    for body in ["[]", "[\"Restos\", \"EUR\"]", "\"Restos\"", "1", "true", "null"] {
        let (s, v) = app.post_raw("/api/v1/campaigns", Some(ADMIN), &[], body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(v, error("invalid_body", "the body must be a JSON object"), "{body}");
    }
    let (s, v) =
        app.post_raw(&format!("/api/v1/lives/{}/donations", live.id), Some(&live.key), &[], "[1000, \"EUR\"]").await;
    assert_eq!((s, v), (StatusCode::UNPROCESSABLE_ENTITY, error("invalid_body", "the body must be a JSON object")));
    // Not even an array serde could read as the body's fields in order (`key`, `overlay_token`, `host_token`).
    let (s, v) =
        app.post_raw(&format!("/api/v1/lives/{}/rotate", live.id), Some(ADMIN), &[], "[true, true, true]").await;
    assert_eq!((s, v), (StatusCode::UNPROCESSABLE_ENTITY, error("invalid_body", "the body must be a JSON object")));
    // Nothing was changed: the live has no donation and no new event.
    let (s, v) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totals"], json!({"raised": 0, "matched": 0, "total": 0, "donations": 0}));
    assert_eq!(app.events(&live, 0).await, before);
}

/// A wrong or replaced key is said as such whatever the body holds: the same
/// request with the right key is refused for its body; nothing is written
/// either way.
#[tokio::test]
async fn a_wrong_key_is_refused_whatever_its_body() {
    let app = spawn_app().await;
    let live = app.setup().await;
    for (path, body) in [
        ("/api/v1/campaigns".to_owned(), json!({})),
        (format!("/api/v1/lives/{}/donations", live.id), json!({"amount": "x"})),
        (format!("/api/v1/lives/{}/moderators", live.id), json!({"name": ""})),
    ] {
        let (s, v) = app.post(&path, Some("ck_not_a_key_of_ours"), body.clone()).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{path}: {v}");
        let (s, v) = app.post(&path, Some(ADMIN), body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {v}");
    }
    let (_, l) = app.get(&format!("/api/v1/lives/{}", live.id)).await;
    assert_eq!(l["totals"]["donations"], 0);
}
