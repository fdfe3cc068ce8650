//! Ko-fi. A form-encoded body whose `data` field is JSON carrying the
//! `verification_token` shown in Ko-fi's webhook settings: the token is compared
//! in constant time before anything in the event is used. `Donation` and `Tip`
//! count (other types are acknowledged and ignored); `is_public: false` hides
//! the donor's name and message. Amounts are decimal strings ("3.00").

use super::{Incoming, Parsed, WebhookError, provider_id};
use crate::domain::text::{DONOR_MAX, MESSAGE_MAX};
use crate::money::Currency;
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

#[derive(Deserialize)]
struct Form {
    data: String,
}

pub fn verify_and_parse(secret: &[u8], body: &[u8]) -> Result<Parsed, WebhookError> {
    let unsigned = || WebhookError::signature("the Ko-fi verification_token is missing or wrong");
    // The token is inside the body: nothing but the form and the token is read before it is checked.
    let form: Form = serde_urlencoded::from_bytes(body).map_err(|_| unsigned())?;
    let ev: Value = serde_json::from_str(&form.data).map_err(|_| unsigned())?;
    let token = ev["verification_token"].as_str().ok_or_else(unsigned)?;
    if !bool::from(token.as_bytes().ct_eq(secret)) {
        return Err(unsigned());
    }
    let event_id = provider_id("message_id", ev["message_id"].as_str())?;
    let kind = ev["type"].as_str().unwrap_or_default();
    if !matches!(kind, "Donation" | "Tip") {
        return Ok(Parsed::Ignored { event_id, reason: format!("Ko-fi type {kind:?} is not a donation or a tip") });
    }
    let payment_id = provider_id("kofi_transaction_id", ev["kofi_transaction_id"].as_str())?;
    let code = ev["currency"].as_str().unwrap_or_default();
    let currency = Currency::parse(code)
        .map_err(|_| WebhookError::payload(format!("currency {code:?} is not an ISO 4217 code")))?;
    let value = ev["amount"]
        .as_str()
        .ok_or_else(|| WebhookError::payload("amount must be a decimal string such as \"3.00\""))?;
    let amount = super::decimal::parse_minor(value, currency.exponent())
        .map_err(|e| WebhookError::payload(format!("amount: {e}")))?;
    if amount == 0 {
        return Ok(Parsed::Ignored { event_id, reason: "a donation of zero: nothing to count".into() });
    }
    // Ko-fi: when is_public is false, neither the name nor the message may be shown.
    let public = ev["is_public"].as_bool().unwrap_or(false);
    Ok(Parsed::Donation(Incoming {
        payment_id,
        event_id,
        amount,
        currency,
        donor: public.then(|| super::clean_text("donor", ev["from_name"].as_str(), DONOR_MAX)).flatten(),
        message: public.then(|| super::clean_text("message", ev["message"].as_str(), MESSAGE_MAX)).flatten(),
        anonymous: !public,
        live_id: None,
        vote: None,
        reward: None,
        channel: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(v: Value) -> Vec<u8> {
        serde_urlencoded::to_string([("data", v.to_string())]).unwrap().into_bytes()
    }

    fn event(kind: &str, public: bool, token: &str) -> Value {
        json!({"verification_token": token, "message_id": "m-1", "timestamp": "2025-01-01T10:00:00Z",
            "type": kind, "is_public": public, "from_name": "Jo", "message": "Good luck!", "amount": "3.50",
            "url": "https://ko-fi.com/Home/CoffeeShop?txid=00000000", "email": "jo@example.com", "currency": "EUR",
            "is_subscription_payment": false, "is_first_subscription_payment": false,
            "kofi_transaction_id": "00000000-1111-2222-3333-444444444444", "shop_items": null, "tiers_name": null})
    }

    #[test]
    fn tokens_types_and_privacy() {
        let Parsed::Donation(d) = verify_and_parse(b"tok-123", &form(event("Donation", true, "tok-123"))).unwrap()
        else {
            panic!()
        };
        assert_eq!((d.amount, d.donor.as_deref(), d.message.as_deref()), (350, Some("Jo"), Some("Good luck!")));
        let Parsed::Donation(d) = verify_and_parse(b"tok-123", &form(event("Tip", false, "tok-123"))).unwrap() else {
            panic!()
        };
        assert_eq!((d.donor, d.message, d.anonymous), (None, None, true));
        assert!(matches!(
            verify_and_parse(b"tok-123", &form(event("Shop Order", true, "tok-123"))),
            Ok(Parsed::Ignored { .. })
        ));
        for bad in [form(event("Donation", true, "tok-124")), b"data=%7B".to_vec(), b"nothing".to_vec()] {
            assert!(matches!(verify_and_parse(b"tok-123", &bad), Err(WebhookError::Signature(_))));
        }
    }
}
