//! Tiltify. `X-Tiltify-Signature` is base64 HMAC-SHA256 of
//! "{X-Tiltify-Timestamp}.{raw body}", the webhook signing key used as a string;
//! the timestamp (ISO 8601) must be within a minute of the server's clock.
//! `…:donation_updated` events of a completed donation count; amounts are decimal
//! strings ("82.95") parsed exactly.

use super::{Incoming, Parsed, WebhookError, provider_id};
use crate::domain::Timestamp;
use crate::domain::text::{DONOR_MAX, MESSAGE_MAX};
use crate::money::Currency;
use base64::Engine;
use hmac::Mac;
use serde_json::Value;

pub const TOLERANCE_SECS: i64 = 60;

pub fn verify(
    secret: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<(), WebhookError> {
    let signature = signature.ok_or_else(|| WebhookError::signature("the X-Tiltify-Signature header is missing"))?;
    let ts = timestamp.ok_or_else(|| WebhookError::signature("the X-Tiltify-Timestamp header is missing"))?;
    let expected = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| WebhookError::signature("X-Tiltify-Signature is not base64"))?;
    let mac = super::signed_mac(secret, ts, body);
    mac.verify_slice(&expected)
        .map_err(|_| WebhookError::signature("the X-Tiltify-Signature signature does not match this body"))?;
    let at = Timestamp::parse(ts)
        .ok_or_else(|| WebhookError::signature("X-Tiltify-Timestamp is not an ISO 8601 date-time"))?;
    super::check_age("the X-Tiltify-Timestamp", at, now, TOLERANCE_SECS)
}

pub fn parse(body: &[u8]) -> Result<Parsed, WebhookError> {
    let ev: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::payload(format!("the Tiltify event is not JSON: {e}")))?;
    let event_id = provider_id("meta.id", ev["meta"]["id"].as_str())?;
    let kind = ev["meta"]["event_type"].as_str().unwrap_or_default();
    if !kind.ends_with("donation_updated") {
        return Ok(Parsed::Ignored { event_id, reason: format!("Tiltify event type {kind:?} is not a donation") });
    }
    let d = &ev["data"];
    if d["completed_at"].is_null() {
        return Ok(Parsed::Ignored { event_id, reason: "the donation is not completed yet".into() });
    }
    let payment_id = provider_id("data.id", d["id"].as_str())?;
    let code = d["amount"]["currency"].as_str().unwrap_or_default();
    let currency = Currency::parse(code)
        .map_err(|_| WebhookError::payload(format!("data.amount.currency {code:?} is not an ISO 4217 code")))?;
    let value = d["amount"]["value"]
        .as_str()
        .ok_or_else(|| WebhookError::payload("data.amount.value must be a decimal string such as \"82.95\""))?;
    let amount = super::decimal::parse_minor(value, currency.exponent())
        .map_err(|e| WebhookError::payload(format!("data.amount.value: {e}")))?;
    if amount == 0 {
        return Ok(Parsed::Ignored { event_id, reason: "a donation of zero: nothing to count".into() });
    }
    Ok(Parsed::Donation(Incoming {
        payment_id,
        event_id,
        amount,
        currency,
        donor: super::clean_text("donor", d["donor_name"].as_str(), DONOR_MAX),
        message: super::clean_text("message", d["donor_comment"].as_str(), MESSAGE_MAX),
        anonymous: false,
        live_id: None,
        vote: None,
        reward: None,
        channel: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiltify's documented example (developers.tiltify.com, "Verifying Webhook
    /// Signature"): real values; re-checked with `openssl dgst -sha256 -hmac … -binary | base64`.
    const KEY: &str = "13c3b68914487acd1c68d85857ee1cfc308f15510f2d8e71273ee0f8a42d9d00";
    const SIG: &str = "4OSwlhTt0EcrlSQFlqgE18FOtT+EKX4qTJdJeC8oV/o=";
    const TS: &str = "2023-04-18T16:49:00.617031Z";
    const BODY: &str = r#"{"data":{"amount":{"currency":"USD","value":"82.95"},"campaign_id":"a4fd5207-bd9f-4712-920a-85f8d92cf4e6","completed_at":"2023-04-18T16:48:26.510702Z","created_at":"2023-04-18T03:36:36.510717Z","donor_comment":"Rerum quo necessitatibus voluptas provident ad molestiae ipsam.","donor_name":"Jirachi","fundraising_event_id":null,"id":"dfa25dcc-2026-4320-a5b7-5da076efeb05","legacy_id":0,"poll_id":null,"poll_option_id":null,"reward_id":null,"sustained":false,"target_id":null,"team_event_id":null},"meta":{"attempted_at":"2023-04-18T16:49:00.617031Z","event_type":"public:direct:donation_updated","generated_at":"2023-04-18T16:48:59.510758Z","id":"d8768e26-1092-4f4c-a829-a2698cd19664","subscription_source_id":"00000000-0000-0000-0000-000000000000","subscription_source_type":"test"}}"#;

    #[test]
    fn documented_example() {
        let now = Timestamp::parse("2023-04-18T16:49:30Z").unwrap();
        verify(KEY.as_bytes(), Some(SIG), Some(TS), BODY.as_bytes(), now).unwrap();
        let Parsed::Donation(d) = parse(BODY.as_bytes()).unwrap() else { panic!() };
        assert_eq!((d.amount, d.currency.code(), d.donor.as_deref()), (8295, "USD", Some("Jirachi")));
        assert_eq!(d.payment_id, "dfa25dcc-2026-4320-a5b7-5da076efeb05");
        let late = Timestamp::parse("2023-04-18T16:50:01Z").unwrap();
        assert!(verify(KEY.as_bytes(), Some(SIG), Some(TS), BODY.as_bytes(), late).is_err());
        let tampered = BODY.replace("82.95", "82.96");
        assert!(verify(KEY.as_bytes(), Some(SIG), Some(TS), tampered.as_bytes(), now).is_err());
        assert!(verify(KEY.as_bytes(), Some(SIG), Some("2023-04-18T16:49:00.617032Z"), BODY.as_bytes(), now).is_err());
        assert!(verify(KEY.as_bytes(), Some("%%%"), Some(TS), BODY.as_bytes(), now).is_err());
        assert!(verify(KEY.as_bytes(), None, Some(TS), BODY.as_bytes(), now).is_err());
    }
}
