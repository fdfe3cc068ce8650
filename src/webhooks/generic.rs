//! Our own scheme, for any other tool: `Cagnotte-Signature: t=<unix seconds>,
//! v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (several v1 allowed, 300 s
//! tolerance) over `{"event_id", "amount", "currency", "donor"?, "message"?,
//! "anonymous"?}` with `amount` in integer minor units; a refund is
//! `{"event_id", "refund_of": "<event_id of the donation>", "refunded_amount"?}`
//! (whole without `refunded_amount`, else up to that total so far). The
//! same header signs what the outbox sends to subscribers. See docs/webhooks.md.

use super::{Incoming, Parsed, WebhookError, provider_id};
use crate::domain::Timestamp;
use crate::domain::state::RefundTotal;
use crate::domain::text::{self, DONOR_MAX, MESSAGE_MAX};
use crate::money::{Amount, AmountError, Currency};
use serde::Deserialize;
use serde_json::Value;

pub const HEADER: &str = "cagnotte-signature";
pub const TOLERANCE_SECS: i64 = 300;

pub fn verify(secret: &[u8], header: Option<&str>, body: &[u8], now: Timestamp) -> Result<(), WebhookError> {
    super::verify_timestamped("Cagnotte-Signature", secret, header, body, now, TOLERANCE_SECS)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    event_id: String,
    amount: Value,
    currency: String,
    donor: Option<String>,
    message: Option<String>,
    anonymous: Option<bool>,
    /// An extension of API.md's body: the live a campaign-wide integration counts it for.
    live_id: Option<String>,
    /// An option of the live's open poll, as the REST API's `vote`.
    vote: Option<String>,
    /// A reward of the live, as the REST API's `reward`.
    reward: Option<String>,
}

/// An extension of API.md's scheme: the donation posted as `refund_of` is
/// refunded whole, or up to `refunded_amount` (the total given back so far, in
/// minor units); the sponsor gets back its share of what is given back.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    event_id: String,
    refund_of: String,
    refunded_amount: Option<Value>,
}

pub fn parse(body: &[u8], max_major: i64) -> Result<Parsed, WebhookError> {
    let invalid = |e: serde_json::Error| WebhookError::payload(format!("invalid body: {e}"));
    let v: Value = serde_json::from_slice(body).map_err(invalid)?;
    if v.get("refund_of").is_some() {
        let r: RefundBody = serde_json::from_slice(body).map_err(invalid)?;
        let event_id = provider_id("event_id", Some(&r.event_id))?;
        let payment_id = provider_id("refund_of", Some(&r.refund_of))?;
        let so_far = r
            .refunded_amount
            .as_ref()
            .map(RefundTotal::from_json)
            .transpose()
            .map_err(|e| WebhookError::payload(format!("refunded_amount: {e}")))?;
        return Ok(Parsed::Refund { payment_id, event_id, so_far });
    }
    // Typed from the raw bytes too, so a repeated field is refused.
    let b: Body = serde_json::from_slice(body).map_err(invalid)?;
    let event_id = provider_id("event_id", Some(&b.event_id))?;
    let currency = Currency::parse(&b.currency).map_err(|e| WebhookError::payload(e.to_string()))?;
    let amount = Amount::from_json_in(&b.amount, currency, max_major).map_err(|e| match e {
        AmountError::TooLarge { .. } => WebhookError::AmountTooLarge(e.to_string()),
        e => WebhookError::payload(e.to_string()),
    })?;
    // Our own format: text that breaks the rules is refused, as in the REST API.
    let donor =
        text::optional("donor", b.donor.as_deref(), DONOR_MAX).map_err(|e| WebhookError::payload(e.to_string()))?;
    let message = text::optional("message", b.message.as_deref(), MESSAGE_MAX)
        .map_err(|e| WebhookError::payload(e.to_string()))?;
    Ok(Parsed::Donation(Incoming {
        payment_id: event_id.clone(),
        event_id,
        amount: amount.minor(),
        currency,
        donor,
        message,
        anonymous: b.anonymous.unwrap_or(false),
        live_id: b.live_id,
        vote: b.vote,
        reward: b.reward,
        channel: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the default maximum of 1 000 000 whole units.
    fn parse_1m(body: &[u8]) -> Result<Parsed, WebhookError> {
        parse(body, 1_000_000)
    }

    #[test]
    fn strict_body() {
        let ok = parse_1m(br#"{"event_id":"e-1","amount":1050,"currency":"EUR","donor":"Ana"}"#).unwrap();
        let Parsed::Donation(d) = ok else { panic!() };
        assert_eq!((d.payment_id.as_str(), d.amount, d.donor.as_deref()), ("e-1", 1050, Some("Ana")));
        let refund = parse_1m(br#"{"event_id":"r-1","refund_of":"e-1"}"#).unwrap();
        assert_eq!(refund, Parsed::Refund { payment_id: "e-1".into(), event_id: "r-1".into(), so_far: None });
        let part = parse_1m(br#"{"event_id":"r-2","refund_of":"e-1","refunded_amount":250}"#).unwrap();
        let so_far = Some(RefundTotal { amount: 250, currency: None });
        assert_eq!(part, Parsed::Refund { payment_id: "e-1".into(), event_id: "r-2".into(), so_far });
        for bad in [
            r#"{"event_id":"e","amount":10.5,"currency":"EUR"}"#,
            r#"{"event_id":"e","amount":"1050","currency":"EUR"}"#,
            r#"{"event_id":"e","amount":0,"currency":"EUR"}"#,
            r#"{"event_id":"e","amount":100,"currency":"eur"}"#,
            r#"{"event_id":"","amount":100,"currency":"EUR"}"#,
            r#"{"event_id":"e","amount":100,"currency":"EUR","extra":1}"#,
            r#"{"amount":100,"currency":"EUR"}"#,
            r#"{"event_id":"r","refund_of":""}"#,
            r#"{"event_id":"r","refund_of":"e-1","amount":100}"#,
            r#"{"refund_of":"e-1"}"#,
            r#"{"event_id":"r","refund_of":"e-1","refunded_amount":0}"#,
            r#"{"event_id":"r","refund_of":"e-1","refunded_amount":2.5}"#,
            r#"{"event_id":"r","refund_of":"e-1","refunded_amount":"250"}"#,
            r#"{"event_id":"e","amount":100,"amount":200,"currency":"EUR"}"#,
        ] {
            assert!(matches!(parse_1m(bad.as_bytes()), Err(WebhookError::Payload(_))), "{bad}");
        }
        // Too large to hold is said with the maximum of the currency (the ledger
        // refuses any other amount above it, in the same words).
        for amount in ["9223372036854775808", "100000000000000000000000"] {
            let body = format!(r#"{{"event_id":"e","amount":{amount},"currency":"EUR"}}"#);
            let err = WebhookError::AmountTooLarge("amount is above the maximum of 100000000 minor units".into());
            assert_eq!(parse_1m(body.as_bytes()), Err(err), "{amount}");
        }
    }
}
