//! Twitch Charity, through EventSub's webhook transport. Each delivery carries
//! `Twitch-Eventsub-Message-Id`, `-Timestamp` (RFC 3339, nanoseconds) and
//! `-Signature` (`sha256=` and the hex HMAC-SHA256 of the id, the timestamp and
//! the raw body, with the secret given when the subscription was made); a
//! timestamp more than ten minutes from the server's clock is refused, as
//! Twitch advises against replays. `-Type` says what it is: the challenge of a
//! new subscription (answered with its text), a revocation (acknowledged), or
//! a notification, of which `channel.charity_campaign.donate` counts:
//! `amount` is `{value, decimal_places, currency}`, keyed by the donation's
//! `event.id`, given by `user_name` (a Twitch charity gift has no message).

use super::{Incoming, Parsed, WebhookError, header, provider_id};
use crate::domain::Timestamp;
use crate::domain::text::DONOR_MAX;
use crate::money::Currency;
use axum::http::HeaderMap;
use hmac::Mac;
use serde_json::Value;

pub const TOLERANCE_SECS: i64 = 600;
/// The subscription type whose notifications are gifts.
pub const DONATE: &str = "channel.charity_campaign.donate";
/// Twitch takes secrets of 10 to 100 characters when a subscription is made.
pub const SECRET_MAX: usize = 100;

const ID: &str = "twitch-eventsub-message-id";
const TIMESTAMP: &str = "twitch-eventsub-message-timestamp";
const SIGNATURE: &str = "twitch-eventsub-message-signature";
const TYPE: &str = "twitch-eventsub-message-type";

pub fn verify(secret: &[u8], headers: &HeaderMap, body: &[u8], now: Timestamp) -> Result<(), WebhookError> {
    let missing = |name: &str| WebhookError::signature(format!("the {name} header is missing"));
    let id = header(headers, ID).ok_or_else(|| missing("Twitch-Eventsub-Message-Id"))?;
    let ts = header(headers, TIMESTAMP).ok_or_else(|| missing("Twitch-Eventsub-Message-Timestamp"))?;
    let signature = header(headers, SIGNATURE).ok_or_else(|| missing("Twitch-Eventsub-Message-Signature"))?;
    let expected = signature
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| WebhookError::signature("Twitch-Eventsub-Message-Signature must look like sha256=<hex>"))?;
    let mut mac = super::HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(id.as_bytes());
    mac.update(ts.as_bytes());
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| {
        WebhookError::signature("the Twitch-Eventsub-Message-Signature signature does not match this body")
    })?;
    let at = Timestamp::parse(ts)
        .ok_or_else(|| WebhookError::signature("Twitch-Eventsub-Message-Timestamp is not an RFC 3339 date-time"))?;
    super::check_age("the Twitch-Eventsub-Message-Timestamp", at, now, TOLERANCE_SECS)
}

/// Reads a verified delivery.
pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Parsed, WebhookError> {
    let ev: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::payload(format!("the Twitch message is not JSON: {e}")))?;
    let event_id = provider_id("Twitch-Eventsub-Message-Id", header(headers, ID))?;
    let subscription = ev["subscription"]["type"].as_str().unwrap_or_default();
    match header(headers, TYPE).unwrap_or_default() {
        "webhook_callback_verification" => {
            let challenge = ev["challenge"]
                .as_str()
                .filter(|c| !c.is_empty() && c.len() <= 1024)
                .ok_or_else(|| WebhookError::payload("challenge must be a string of 1 to 1024 bytes"))?;
            Ok(Parsed::Challenge(challenge.to_owned()))
        }
        "revocation" => {
            let status = ev["subscription"]["status"].as_str().unwrap_or("revoked");
            Ok(Parsed::Revoked {
                event_id,
                reason: format!(
                    "Twitch revoked the {subscription} subscription ({status}): make a new one to count its gifts again"
                ),
            })
        }
        "notification" if subscription == DONATE => donation(event_id, &ev["event"]).map(Parsed::Donation),
        "notification" => Ok(Parsed::Ignored {
            event_id,
            reason: format!("Twitch subscription type {subscription:?} is not {DONATE}"),
        }),
        other => Err(WebhookError::payload(format!(
            "Twitch-Eventsub-Message-Type {other:?} is not notification, webhook_callback_verification or revocation"
        ))),
    }
}

fn donation(event_id: String, e: &Value) -> Result<Incoming, WebhookError> {
    let payment_id = provider_id("event.id", e["id"].as_str())?;
    let code = e["amount"]["currency"].as_str().unwrap_or_default();
    let currency = Currency::parse(code)
        .map_err(|_| WebhookError::payload(format!("event.amount.currency {code:?} is not an ISO 4217 code")))?;
    let value = e["amount"]["value"]
        .as_i64()
        .filter(|v| *v > 0)
        .ok_or_else(|| WebhookError::payload("event.amount.value must be a positive integer"))?;
    let places = e["amount"]["decimal_places"]
        .as_u64()
        .and_then(|p| u32::try_from(p).ok())
        .filter(|p| *p <= 18)
        .ok_or_else(|| WebhookError::payload("event.amount.decimal_places must be an integer from 0 to 18"))?;
    let amount = minor_units(value, places, currency.exponent())?;
    // The channel it was given on, so that a campaign's one URL finds the live streamed there.
    let channel = e["broadcaster_user_login"].as_str().filter(|l| !l.is_empty()).map(str::to_ascii_lowercase);
    Ok(Incoming {
        payment_id,
        event_id,
        amount,
        currency,
        donor: super::clean_text("donor", e["user_name"].as_str().or(e["user_login"].as_str()), DONOR_MAX),
        message: None,
        anonymous: false,
        live_id: None,
        vote: None,
        reward: None,
        channel: channel.map(|login| format!("twitch.tv/{login}")),
    })
}

/// `value` with `places` decimals, in the minor units of a currency of
/// `exponent` decimals: exact, or refused (never rounded).
fn minor_units(value: i64, places: u32, exponent: u32) -> Result<i64, WebhookError> {
    let too_large = || WebhookError::AmountTooLarge("event.amount.value is too large to count".into());
    if places <= exponent {
        let scale = 10i64.checked_pow(exponent - places).ok_or_else(too_large)?;
        value.checked_mul(scale).ok_or_else(too_large)
    } else {
        let scale = 10i64.checked_pow(places - exponent).ok_or_else(too_large)?;
        if value % scale != 0 {
            return Err(WebhookError::payload(format!(
                "event.amount has {places} decimals, more than its currency's {exponent}"
            )));
        }
        Ok(value / scale)
    }
}

/// Whether `url` (a live's stream link) is the Twitch channel `channel`
/// (`twitch.tv/login`): `https://www.twitch.tv/Login`, `twitch.tv/login/…`.
pub fn is_channel(url: &str, channel: &str) -> bool {
    let Some(login) = channel.strip_prefix("twitch.tv/") else { return false };
    let Ok(uri) = url.parse::<axum::http::Uri>() else { return false };
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let on_twitch = matches!(host.as_str(), "twitch.tv" | "www.twitch.tv" | "m.twitch.tv");
    on_twitch && uri.path().trim_start_matches('/').split('/').next().is_some_and(|p| p.eq_ignore_ascii_case(login))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &[u8] = b"s3cre7-for-twitch-tests";
    const ID_1: &str = "befa7b53-d79d-478f-86b9-120f112b044e";
    const TS: &str = "2025-01-15T18:30:00.123456789Z";
    const CHALLENGE: &str = r#"{"challenge":"pogchamp-kappa-360noscope-vohiyo"}"#;
    // Computed with `printf '%s%s%s' "$ID_1" "$TS" "$CHALLENGE" | openssl dgst -sha256 -hmac "$SECRET"`.
    const KNOWN: &str = "sha256=a20addeabdf3e7a74220b636b2f809ec66b7cbe01dc0ba91eb8bc350a6ada5dc";

    fn body() -> String {
        serde_json::json!({
            "subscription": {"id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", "type": DONATE, "version": "1",
                "status": "enabled", "cost": 0, "condition": {"broadcaster_user_id": "123456"},
                "transport": {"method": "webhook", "callback": "https://example.com/hooks/tw"},
                "created_at": "2025-01-15T18:00:00.000000000Z"},
            "event": {"id": "a1b2c3-aabb-4455-d1e2f3", "campaign_id": "123-abc-456-def",
                "broadcaster_user_id": "123456", "broadcaster_user_name": "Ana_Dessine",
                "broadcaster_user_login": "ana_dessine", "user_id": "654321", "user_login": "generoususer1",
                "user_name": "GenerousUser1", "charity_name": "Les Restos du Cœur", "charity_description": "",
                "charity_logo": "", "charity_website": "https://www.restosducoeur.org",
                "amount": {"value": 1050, "decimal_places": 2, "currency": "EUR"}}
        })
        .to_string()
    }

    fn headers(kind: &str, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ID, HeaderValue::from_static(ID_1));
        h.insert(TIMESTAMP, HeaderValue::from_static(TS));
        h.insert(TYPE, HeaderValue::from_str(kind).unwrap());
        h.insert(SIGNATURE, HeaderValue::from_str(sig).unwrap());
        h
    }

    fn signed(body: &str) -> String {
        let mut mac = super::super::HmacSha256::new_from_slice(SECRET).unwrap();
        mac.update(format!("{ID_1}{TS}{body}").as_bytes());
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signature_and_clock() {
        let now = Timestamp::parse("2025-01-15T18:35:00Z").unwrap();
        let b = body();
        let good = signed(&b);
        verify(SECRET, &headers("notification", &good), b.as_bytes(), now).unwrap();
        let tampered = b.replace("1050", "1051");
        assert!(verify(SECRET, &headers("notification", &good), tampered.as_bytes(), now).is_err());
        assert!(verify(b"another-secret-0000", &headers("notification", &good), b.as_bytes(), now).is_err());
        assert!(verify(SECRET, &headers("notification", &good.replace("sha256=", "")), b.as_bytes(), now).is_err());
        let late = Timestamp::parse("2025-01-15T18:40:01Z").unwrap();
        let err = verify(SECRET, &headers("notification", &good), b.as_bytes(), late).unwrap_err();
        assert!(matches!(err, WebhookError::Signature(m) if m.contains("600 s")));
        let mut no_id = headers("notification", &good);
        no_id.remove(ID);
        assert!(verify(SECRET, &no_id, b.as_bytes(), now).is_err());
    }

    #[test]
    fn known_answer() {
        // An HMAC from an independent tool, so that `signed` above is not checked against itself.
        let now = Timestamp::parse("2025-01-15T18:30:01Z").unwrap();
        let h = headers("webhook_callback_verification", KNOWN);
        verify(SECRET, &h, CHALLENGE.as_bytes(), now).unwrap();
        assert_eq!(signed(CHALLENGE), KNOWN);
        assert_eq!(
            parse(&h, CHALLENGE.as_bytes()).unwrap(),
            Parsed::Challenge("pogchamp-kappa-360noscope-vohiyo".into())
        );
    }

    #[test]
    fn kinds_and_amounts() {
        let b = body();
        let Parsed::Donation(d) = parse(&headers("notification", ""), b.as_bytes()).unwrap() else { panic!() };
        assert_eq!((d.amount, d.currency.code(), d.donor.as_deref()), (1050, "EUR", Some("GenerousUser1")));
        assert_eq!((d.payment_id.as_str(), d.event_id.as_str()), ("a1b2c3-aabb-4455-d1e2f3", ID_1));
        assert_eq!((d.message, d.anonymous, d.channel.as_deref()), (None, false, Some("twitch.tv/ana_dessine")));
        let challenge = r#"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"type":"channel.charity_campaign.donate"}}"#;
        assert_eq!(
            parse(&headers("webhook_callback_verification", ""), challenge.as_bytes()).unwrap(),
            Parsed::Challenge("pogchamp-kappa-360noscope-vohiyo".into())
        );
        let revoked = r#"{"subscription":{"type":"channel.charity_campaign.donate","status":"authorization_revoked"}}"#;
        let Parsed::Revoked { reason, .. } = parse(&headers("revocation", ""), revoked.as_bytes()).unwrap() else {
            panic!()
        };
        assert!(reason.contains("authorization_revoked"), "{reason}");
        let follow = b.replace(DONATE, "channel.follow");
        assert!(matches!(parse(&headers("notification", ""), follow.as_bytes()), Ok(Parsed::Ignored { .. })));
        assert!(parse(&headers("something", ""), b.as_bytes()).is_err());
        assert_eq!(minor_units(1050, 2, 2).unwrap(), 1050);
        assert_eq!(minor_units(500, 0, 2).unwrap(), 50_000);
        assert_eq!(minor_units(12_300, 2, 0).unwrap(), 123);
        assert!(matches!(minor_units(12_345, 2, 0), Err(WebhookError::Payload(_))));
        assert!(matches!(minor_units(i64::MAX, 0, 2), Err(WebhookError::AmountTooLarge(_))));
        for bad in [r#""value": 0"#, r#""value": -5"#, r#""value": "10""#] {
            let v = b.replace(r#""value":1050"#, bad);
            assert!(parse(&headers("notification", ""), v.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn channels() {
        for url in [
            "https://www.twitch.tv/Ana_Dessine",
            "https://twitch.tv/ana_dessine/",
            "http://m.twitch.tv/ana_dessine/videos",
        ] {
            assert!(is_channel(url, "twitch.tv/ana_dessine"), "{url}");
        }
        for url in [
            "https://www.twitch.tv/ana",
            "https://youtube.com/ana_dessine",
            "https://twitch.tv.evil/ana_dessine",
            "nope",
        ] {
            assert!(!is_channel(url, "twitch.tv/ana_dessine"), "{url}");
        }
    }
}
