//! HelloAsso, the French associations' payment platform. Its notifications
//! (`eventType` and `data`, JSON) are signed only for its partners (an
//! `x-ha-signature` header: hex HMAC-SHA256 of the body with the URL's
//! `signatureKey`); an association's own notification URL carries no signature,
//! so it carries our secret instead: `…/hooks/{id}?token=<secret>`. Either is
//! checked, in constant time, before anything in the body is read.
//!
//! `Payment` notifications count (`Order` ones repeat them): a payment
//! `Authorized` is a donation of its `amount` less the tip the payer gave
//! HelloAsso (`amountTip`); `Refunded`, or refund operations processed, a
//! refund up to what they gave back. The payer is "Hugo D." (first name and
//! initial), hidden when the order is anonymous. HelloAsso notifies every form
//! of the association: `form=<formSlug>` in the URL keeps one form's payments;
//! without it, donation, crowdfunding, payment and checkout forms count, and
//! memberships, events and shops are left out. Amounts are euro cents.

use super::{HmacSha256, Incoming, Parsed, WebhookError, clean_text};
use crate::domain::state::RefundTotal;
use crate::domain::text::DONOR_MAX;
use crate::money::Currency;
use hmac::Mac;
use serde_json::Value;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

pub const SIGNATURE_HEADER: &str = "x-ha-signature";

/// Checks the partner's signature when there is one, else the URL's `token`.
pub fn verify(
    secret: &[u8],
    signature: Option<&str>,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Result<(), WebhookError> {
    if let Some(sig) = signature {
        let given = hex::decode(sig.trim())
            .map_err(|_| WebhookError::signature("x-ha-signature must be the hex HMAC-SHA256 of the body"))?;
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
        mac.update(body);
        return mac
            .verify_slice(&given)
            .map_err(|_| WebhookError::signature("the x-ha-signature signature does not match this body"));
    }
    match query.get("token") {
        Some(token) if bool::from(token.as_bytes().ct_eq(secret)) => Ok(()),
        Some(_) => Err(WebhookError::signature("the token of this notification URL is wrong")),
        None => Err(WebhookError::signature(
            "HelloAsso's notification URL must end with ?token=<the integration's secret> (or be signed: x-ha-signature)",
        )),
    }
}

/// Reads a verified notification.
/// A payer as shown: the first name and the last name's initial ("Inès D."),
/// the first name alone without a last name.
pub fn short_name(first: &str, last: &str) -> String {
    let first = first.trim();
    match last.trim().chars().next() {
        Some(i) if !first.is_empty() => format!("{first} {}.", i.to_uppercase()),
        _ => first.to_owned(),
    }
}

pub fn parse(body: &[u8], query: &HashMap<String, String>) -> Result<Parsed, WebhookError> {
    let ev: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::payload(format!("the body is not JSON: {e}")))?;
    let kind = ev["eventType"].as_str().unwrap_or_default();
    let data = &ev["data"];
    let payment = data["id"].as_i64().filter(|id| *id > 0);
    let event_id = format!("{}-{}", if kind.is_empty() { "event" } else { kind }, payment.unwrap_or(0));
    if kind != "Payment" {
        return Ok(Parsed::Ignored {
            event_id,
            reason: format!("HelloAsso {kind:?} notifications repeat the payments"),
        });
    }
    let payment_id = payment.ok_or_else(|| WebhookError::payload("data.id must be the payment's id"))?.to_string();
    let order = &data["order"];
    let form = order["formSlug"].as_str().unwrap_or_default();
    let form_type = order["formType"].as_str().unwrap_or_default();
    match query.get("form").map(|f| f.trim()).filter(|f| !f.is_empty()) {
        Some(only) if only != form => {
            return Ok(Parsed::Ignored { event_id, reason: format!("form {form:?} is not this URL's form {only:?}") });
        }
        Some(_) => {}
        None if matches!(form_type, "Membership" | "Event" | "Shop") => {
            return Ok(Parsed::Ignored {
                event_id,
                reason: format!(
                    "a {form_type} form's payment is not a donation (form=<slug> in the URL counts one form)"
                ),
            });
        }
        None => {}
    }
    let cents = |v: &Value, field: &str| -> Result<i64, WebhookError> {
        match v {
            Value::Null => Ok(0),
            v => v.as_i64().filter(|c| *c >= 0).ok_or_else(|| WebhookError::payload(format!("{field} must be cents"))),
        }
    };
    let amount = cents(&data["amount"], "data.amount")?;
    let tip = cents(&data["amountTip"], "data.amountTip")?;
    let given = amount
        .checked_sub(tip)
        .filter(|g| *g >= 0)
        .ok_or_else(|| WebhookError::payload("data.amountTip must not be more than data.amount"))?;
    // What refund operations processed gave back (less their tip).
    let mut refunded = 0i64;
    for op in data["refundOperations"].as_array().map(Vec::as_slice).unwrap_or_default() {
        if op["status"].as_str() == Some("Processed") {
            refunded = refunded
                .saturating_add(cents(&op["amount"], "refundOperations.amount")?)
                .saturating_sub(cents(&op["amountTip"], "refundOperations.amountTip")?);
        }
    }
    let state = data["state"].as_str().unwrap_or_default();
    if state == "Refunded" || refunded > 0 {
        let so_far = (refunded > 0 && refunded < given)
            .then(|| RefundTotal { amount: refunded, currency: Some(Currency::parse("EUR").expect("EUR")) });
        return Ok(Parsed::Refund { payment_id, event_id, so_far });
    }
    if !matches!(state, "Authorized" | "AuthorizedPreprod") {
        return Ok(Parsed::Ignored { event_id, reason: format!("a payment {state:?} is not paid") });
    }
    if given == 0 {
        return Ok(Parsed::Ignored { event_id, reason: "a tip alone: nothing for the cause".into() });
    }
    let payer = &data["payer"];
    let name =
        short_name(payer["firstName"].as_str().unwrap_or_default(), payer["lastName"].as_str().unwrap_or_default());
    Ok(Parsed::Donation(Incoming {
        payment_id,
        event_id,
        amount: given,
        currency: Currency::parse("EUR").expect("EUR"),
        donor: clean_text("donor", Some(&name), DONOR_MAX),
        message: None,
        anonymous: order["isAnonymous"].as_bool().unwrap_or(false),
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

    fn payment(state: &str, form_type: &str, refunds: Value) -> Vec<u8> {
        json!({"eventType": "Payment", "data": {
            "order": {"id": 20499, "formSlug": "live-caritatif", "formType": form_type, "isAnonymous": false},
            "payer": {"email": "hugo@example.org", "firstName": "Hugo", "lastName": "dubois"},
            "items": [{"id": 20499, "amount": 2000, "type": "Donation", "state": "Processed"}],
            "id": 13790, "amount": 2300, "amountTip": 300, "state": state, "refundOperations": refunds
        }})
        .to_string()
        .into_bytes()
    }

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_token_or_the_partner_signature() {
        let body = payment("Authorized", "Donation", json!([]));
        assert!(verify(b"s3cret-s3cret-s3cret", None, &q(&[("token", "s3cret-s3cret-s3cret")]), &body).is_ok());
        assert!(verify(b"s3cret-s3cret-s3cret", None, &q(&[("token", "s3cret-s3cret-s3creT")]), &body).is_err());
        assert!(verify(b"s3cret-s3cret-s3cret", None, &q(&[]), &body).is_err());
        let mut mac = HmacSha256::new_from_slice(b"signature-key").unwrap();
        mac.update(&body);
        let sig = hex::encode(mac.finalize().into_bytes());
        assert!(verify(b"signature-key", Some(&sig), &q(&[]), &body).is_ok());
        assert!(verify(b"signature-key", Some(&sig), &q(&[]), b"{}").is_err(), "the body is signed");
        assert!(verify(b"signature-key", Some("zz"), &q(&[]), &body).is_err());
    }

    #[test]
    fn payments_forms_refunds_and_the_tip() {
        let Parsed::Donation(d) = parse(&payment("Authorized", "Donation", json!([])), &q(&[])).unwrap() else {
            panic!()
        };
        assert_eq!(
            (d.payment_id.as_str(), d.amount, d.donor.as_deref(), d.anonymous),
            ("13790", 2000, Some("Hugo D."), false)
        );
        assert!(matches!(parse(&payment("Pending", "Donation", json!([])), &q(&[])), Ok(Parsed::Ignored { .. })));
        assert!(matches!(parse(&payment("Authorized", "Membership", json!([])), &q(&[])), Ok(Parsed::Ignored { .. })));
        // One form only, whatever its type, when the URL names it.
        assert!(matches!(
            parse(&payment("Authorized", "Event", json!([])), &q(&[("form", "live-caritatif")])),
            Ok(Parsed::Donation(_))
        ));
        assert!(matches!(
            parse(&payment("Authorized", "Donation", json!([])), &q(&[("form", "autre")])),
            Ok(Parsed::Ignored { .. })
        ));
        let refund = |state: &str, ops: Value| parse(&payment(state, "Donation", ops), &q(&[])).unwrap();
        assert_eq!(
            refund("Refunded", json!([])),
            Parsed::Refund { payment_id: "13790".into(), event_id: "Payment-13790".into(), so_far: None }
        );
        let Parsed::Refund { so_far: Some(part), .. } = refund(
            "Authorized",
            json!([{"id": 1, "amount": 500, "amountTip": 0, "status": "Processed"},
                                         {"id": 2, "amount": 900, "amountTip": 0, "status": "Processing"}]),
        ) else {
            panic!()
        };
        assert_eq!(part.amount, 500);
        let order = json!({"eventType": "Order", "data": {"id": 20499}}).to_string();
        assert!(matches!(parse(order.as_bytes(), &q(&[])), Ok(Parsed::Ignored { .. })));
        assert!(matches!(parse(b"not json", &q(&[])), Err(WebhookError::Payload(_))));
    }
}
