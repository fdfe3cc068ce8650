//! Stripe (Checkout, Payment Links, PaymentIntents). `Stripe-Signature:
//! t=…,v1=…` is HMAC-SHA256 of "{t}.{raw body}" with the endpoint's signing
//! secret (`whsec_…`, used as given); several `v1` are sent while a secret is
//! rotated; 300 s tolerance.
//!
//! Donations: `checkout.session.completed` (when `payment_status` is `paid`),
//! `checkout.session.async_payment_succeeded` and `payment_intent.succeeded`.
//! All are keyed by the PaymentIntent id, so a Checkout payment whose session and
//! intent events both arrive counts once. Refunds: `charge.refunded`, whole when
//! the charge is (`refunded: true`), otherwise up to its `amount_refunded` (the
//! total refunded so far, so a repeated or late event changes nothing). The donor name and message come from the metadata or
//! the Checkout custom fields keyed `donor` (or `name`, `pseudo`) and `message`;
//! never from the card holder's name, which is not for the stream.

use super::{Incoming, Parsed, WebhookError, provider_id};
use crate::domain::Timestamp;
use crate::domain::state::RefundTotal;
use crate::domain::text::{DONOR_MAX, MESSAGE_MAX};
use crate::money::Currency;
use serde_json::Value;

pub const TOLERANCE_SECS: i64 = 300;

pub fn verify(secret: &[u8], header: Option<&str>, body: &[u8], now: Timestamp) -> Result<(), WebhookError> {
    super::verify_timestamped("Stripe-Signature", secret, header, body, now, TOLERANCE_SECS)
}

pub fn parse(body: &[u8]) -> Result<Parsed, WebhookError> {
    let ev: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::payload(format!("the Stripe event is not JSON: {e}")))?;
    let event_id = provider_id("id", ev["id"].as_str())?;
    let kind = ev["type"].as_str().ok_or_else(|| WebhookError::payload("the Stripe event has no type"))?;
    let obj = &ev["data"]["object"];
    if !obj.is_object() {
        return Err(WebhookError::payload("the Stripe event has no data.object"));
    }
    let ignored = |reason: String| Ok(Parsed::Ignored { event_id: event_id.clone(), reason });
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            if obj["payment_status"].as_str() != Some("paid") {
                return ignored(format!(
                    "the Checkout session is not paid yet (payment_status {}); its async_payment_succeeded event will count it",
                    obj["payment_status"]
                ));
            }
            // Without a PaymentIntent (a fully discounted session), the session is the payment.
            let payment = obj["payment_intent"].as_str().or(obj["id"].as_str());
            let payment_id = provider_id("data.object.payment_intent", payment)?;
            let amount = integer(&obj["amount_total"], "data.object.amount_total")?;
            donation(event_id, payment_id, amount, obj)
        }
        "payment_intent.succeeded" => {
            let payment_id = provider_id("data.object.id", obj["id"].as_str())?;
            let received = &obj["amount_received"];
            let amount = if received.is_null() {
                integer(&obj["amount"], "data.object.amount")?
            } else {
                integer(received, "data.object.amount_received")?
            };
            donation(event_id, payment_id, amount, obj)
        }
        "charge.refunded" => {
            let payment = obj["payment_intent"].as_str().or(obj["id"].as_str());
            let payment_id = provider_id("data.object.payment_intent", payment)?;
            let so_far = if obj["refunded"].as_bool() == Some(true) {
                None
            } else {
                let amount = integer(&obj["amount_refunded"], "data.object.amount_refunded")?;
                if amount <= 0 {
                    return ignored("the charge reports nothing refunded".into());
                }
                Some(RefundTotal { amount, currency: Some(currency(obj)?) })
            };
            Ok(Parsed::Refund { payment_id, event_id, so_far })
        }
        other => ignored(format!("Stripe event type {other} is not a donation or a refund")),
    }
}

fn integer(v: &Value, field: &str) -> Result<i64, WebhookError> {
    v.as_i64().filter(|_| v.is_i64()).ok_or_else(|| WebhookError::payload(format!("{field} must be an integer")))
}

fn currency(obj: &Value) -> Result<Currency, WebhookError> {
    let code = obj["currency"].as_str().unwrap_or_default().to_ascii_uppercase();
    Currency::parse(&code).map_err(|_| {
        WebhookError::payload(format!("data.object.currency {:?} is not an ISO 4217 code", obj["currency"]))
    })
}

fn donation(event_id: String, payment_id: String, amount: i64, obj: &Value) -> Result<Parsed, WebhookError> {
    let currency = currency(obj)?;
    let amount = to_iso_minor(amount, currency)?;
    if amount <= 0 {
        return Ok(Parsed::Ignored { event_id, reason: "a payment of zero: nothing to count".into() });
    }
    let donor = field(obj, &["donor", "name", "pseudo"]);
    let message = field(obj, &["message"]);
    let anonymous = field(obj, &["anonymous"]).is_some_and(|v| matches!(v.as_str(), "true" | "yes" | "1"));
    Ok(Parsed::Donation(Incoming {
        payment_id,
        event_id,
        amount,
        currency,
        donor: super::clean_text("donor", donor.as_deref(), DONOR_MAX),
        message: super::clean_text("message", message.as_deref(), MESSAGE_MAX),
        anonymous,
        live_id: obj["metadata"]["live_id"].as_str().map(str::to_owned),
        vote: obj["metadata"]["vote"].as_str().map(str::to_owned),
        reward: obj["metadata"]["reward"].as_str().map(str::to_owned),
        channel: None,
    }))
}

/// Stripe writes ISK with two decimals that are always zero (500 = 5 ISK);
/// ISO 4217 gives it none. Every other currency uses the ISO exponent.
fn to_iso_minor(amount: i64, currency: Currency) -> Result<i64, WebhookError> {
    if currency.code() == "ISK" {
        if amount % 100 != 0 {
            return Err(WebhookError::payload("an ISK amount from Stripe must be a multiple of 100"));
        }
        return Ok(amount / 100);
    }
    Ok(amount)
}

/// A text from `metadata.<key>` or from the Checkout custom field `<key>`.
fn field(obj: &Value, keys: &[&str]) -> Option<String> {
    for key in keys {
        if let Some(v) = obj["metadata"][key].as_str().filter(|v| !v.trim().is_empty()) {
            return Some(v.to_owned());
        }
        let custom = obj["custom_fields"].as_array().into_iter().flatten();
        for f in custom.filter(|f| f["key"].as_str() == Some(key)) {
            let v = f["text"]["value"].as_str().or(f["dropdown"]["value"].as_str());
            if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
                return Some(v.to_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_json(v: Value) -> Result<Parsed, WebhookError> {
        parse(v.to_string().as_bytes())
    }

    #[test]
    fn checkout_session_with_custom_fields() {
        let p = parse_json(json!({
            "id": "evt_1", "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_1", "payment_intent": "pi_1", "payment_status": "paid",
                "amount_total": 1500, "currency": "eur", "customer_details": {"name": "Card Holder"},
                "custom_fields": [
                    {"key": "donor", "type": "text", "text": {"value": "Ana"}},
                    {"key": "message", "type": "text", "text": {"value": "Allez !"}}
                ], "metadata": {}}}
        }))
        .unwrap();
        let Parsed::Donation(d) = p else { panic!("{p:?}") };
        assert_eq!((d.payment_id.as_str(), d.amount, d.currency.code()), ("pi_1", 1500, "EUR"));
        assert_eq!(d.donor.as_deref(), Some("Ana"));
        assert_eq!(d.message.as_deref(), Some("Allez !"));
        assert!(!d.anonymous);
    }

    #[test]
    fn intents_refunds_and_the_rest() {
        let p = parse_json(json!({"id": "evt_2", "type": "payment_intent.succeeded", "data": {"object": {
            "id": "pi_1", "amount": 2000, "amount_received": 1500, "currency": "isk",
            "metadata": {"donor": "Bjork", "anonymous": "true", "vote": "zelda", "reward": "portrait"}}}}))
        .unwrap();
        let Parsed::Donation(d) = p else { panic!("{p:?}") };
        assert_eq!((d.amount, d.currency.code(), d.anonymous), (15, "ISK", true));
        // The poll's option a Checkout of one's own put in the metadata.
        assert_eq!((d.vote.as_deref(), d.reward.as_deref()), (Some("zelda"), Some("portrait")));
        let unpaid = json!({"id": "e", "type": "checkout.session.completed", "data": {"object": {
            "id": "cs", "payment_status": "unpaid", "amount_total": 100, "currency": "eur"}}});
        assert!(matches!(parse_json(unpaid), Ok(Parsed::Ignored { .. })));
        let refund = json!({"id": "e", "type": "charge.refunded", "data": {"object": {
            "id": "ch_1", "payment_intent": "pi_1", "refunded": true}}});
        assert_eq!(
            parse_json(refund),
            Ok(Parsed::Refund { payment_id: "pi_1".into(), event_id: "e".into(), so_far: None })
        );
        let partial = json!({"id": "e", "type": "charge.refunded", "data": {"object": {
            "id": "ch_1", "payment_intent": "pi_1", "refunded": false, "amount": 5000,
            "amount_refunded": 1250, "currency": "eur"}}});
        let so_far = Some(RefundTotal { amount: 1250, currency: Some(Currency::parse("EUR").unwrap()) });
        assert_eq!(parse_json(partial), Ok(Parsed::Refund { payment_id: "pi_1".into(), event_id: "e".into(), so_far }));
        let nothing = json!({"id": "e", "type": "charge.refunded", "data": {"object": {
            "id": "ch_1", "payment_intent": "pi_1", "refunded": false, "amount_refunded": 0, "currency": "eur"}}});
        assert!(matches!(parse_json(nothing), Ok(Parsed::Ignored { .. })));
        let no_total = json!({"id": "e", "type": "charge.refunded", "data": {"object": {
            "id": "ch_1", "payment_intent": "pi_1", "refunded": false, "currency": "eur"}}});
        assert!(matches!(parse_json(no_total), Err(WebhookError::Payload(_))));
        let other = json!({"id": "e", "type": "customer.created", "data": {"object": {"id": "cus"}}});
        assert!(matches!(parse_json(other), Ok(Parsed::Ignored { .. })));
        let float = json!({"id": "e", "type": "payment_intent.succeeded", "data": {"object": {
            "id": "pi", "amount_received": 10.5, "currency": "eur"}}});
        assert!(matches!(parse_json(float), Err(WebhookError::Payload(_))));
        assert!(matches!(parse(b"not json"), Err(WebhookError::Payload(_))));
    }
}
