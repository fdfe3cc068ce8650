//! Payment-provider webhooks. Incoming: each provider's own signature scheme is
//! checked on the raw body ([`stripe`], [`tiltify`], [`kofi`], [`helloasso`], [`twitch`], and our own
//! [`generic`] scheme), then the payload becomes a [`Parsed`] donation, refund or
//! ignored event; the HTTP edge (`http::integrations`) submits it to the ledger
//! with an idempotency key made of the provider's payment id. Outgoing: the
//! [`outbox`] follows the log and posts signed events to subscribers.
//!
//! Nothing here parses before verifying, except Ko-fi, whose token travels inside
//! the form body it authenticates.

pub mod chat;
pub mod decimal;
pub mod generic;
pub mod helloasso;
pub mod kofi;
pub mod outbox;
pub mod stripe;
pub mod tiltify;
pub mod twitch;

use crate::domain::state::RefundTotal;
use crate::domain::text;
use crate::domain::{Integration, Provider, Timestamp};
use crate::money::Currency;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub type HmacSha256 = Hmac<Sha256>;

/// A verified donation, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The provider's id of the payment: the idempotency key and the donation id
    /// derive from it, so every event and retry about one payment counts once.
    pub payment_id: String,
    /// The provider's id of this delivery (for logs and answers).
    pub event_id: String,
    pub amount: i64,
    pub currency: Currency,
    pub donor: Option<String>,
    pub message: Option<String>,
    pub anonymous: bool,
    /// The live the payer chose, when the payload names one (Stripe metadata
    /// `live_id`, generic `live_id`): used by campaign-wide integrations.
    pub live_id: Option<String>,
    /// The option of the live's open poll the payer chose, when the payload
    /// names one (Stripe metadata `vote`, generic `vote`); one the poll does
    /// not have is left out, never the money.
    pub vote: Option<String>,
    /// The live's reward the payer chose, when the payload names one (Stripe
    /// metadata `reward`, generic `reward`), beside a `#keyword` in the message.
    pub reward: Option<String>,
    /// The streaming channel the gift was made on, when the provider says
    /// (Twitch Charity: `twitch.tv/login`): a campaign-wide integration gives
    /// it to the campaign's live streamed there.
    pub channel: Option<String>,
}

impl Incoming {
    /// The payment as the log counts it, whichever way it comes (its webhook,
    /// or the organisers counting one whose webhook never came): a donation
    /// on `live_id` under the id [`donation_id`] gives it, with the
    /// idempotency key `provider:payment_id` and the digest of what it says,
    /// so that it counts once.
    pub fn donation(
        &self,
        provider: Provider,
        live_id: String,
    ) -> (crate::domain::Donation, crate::domain::state::IdempotencyKey) {
        let canonical = serde_json::json!({
            "amount": self.amount, "currency": self.currency, "donor": self.donor,
            "message": self.message, "anonymous": self.anonymous,
        });
        let idempotency = crate::domain::state::IdempotencyKey {
            key: format!("{}:{}", provider.as_str(), self.payment_id),
            body_hash: crate::domain::state::BodyDigest::of(canonical.to_string().as_bytes()),
        };
        let donation = crate::domain::Donation::new(
            donation_id(provider, &self.payment_id),
            live_id,
            self.amount,
            self.currency,
            self.donor.clone(),
            self.anonymous,
            self.message.clone(),
            provider.as_str().to_owned(),
        );
        (donation, idempotency)
    }
}

/// The payment's reference in the idempotency key of a donation of
/// `platform`: a provider's payment id without the provider's name that
/// [`Incoming::donation`] puts before it (`stripe:pi_1` → `pi_1`), or the key a
/// client of the API chose.
pub fn payment_reference(platform: &str, key: &str) -> String {
    key.strip_prefix(platform).and_then(|k| k.strip_prefix(':')).unwrap_or(key).to_owned()
}

/// What a verified webhook asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Donation(Incoming),
    /// The payment was refunded: whole (`so_far` is `None`), or in part up to
    /// the total the provider reports.
    Refund {
        payment_id: String,
        event_id: String,
        so_far: Option<RefundTotal>,
    },
    /// A verified request that proves the URL is ours (Twitch's challenge of a
    /// new subscription): answered `200` with this text, changing nothing.
    Challenge(String),
    /// The provider stopped sending (Twitch revoked a subscription: its
    /// authorization was taken back, the user is gone…): acknowledged, and
    /// logged as a warning, since gifts no longer come until a new one is made.
    Revoked {
        event_id: String,
        reason: String,
    },
    /// A verified event that changes nothing here (another event type, an unpaid
    /// session...). Answered `200` so the provider stops retrying.
    Ignored {
        event_id: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Missing, malformed, wrong or stale signature: `401`, nothing changes.
    #[error("{0}")]
    Signature(String),
    /// A verified body we cannot read as the provider documents it: `422`.
    #[error("{0}")]
    Payload(String),
    /// An amount above the configured maximum, however large: `422`, as the REST API says it.
    #[error("{0}")]
    AmountTooLarge(String),
}

impl WebhookError {
    pub fn signature(m: impl Into<String>) -> Self {
        WebhookError::Signature(m.into())
    }

    pub fn payload(m: impl Into<String>) -> Self {
        WebhookError::Payload(m.into())
    }
}

/// Verifies a delivery to `integration` and reads it. `query` is the URL's query
/// (HelloAsso's unsigned notifications carry the secret there). `now` is the server's clock,
/// against which timestamps are judged; `max_major` the largest donation, in
/// whole units (the ledger checks it too; an amount too large to hold never gets there).
pub fn verify_and_parse(
    integration: &Integration,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: &[u8],
    now: Timestamp,
    max_major: i64,
) -> Result<Parsed, WebhookError> {
    let secret = integration.secret.as_bytes();
    match integration.provider {
        Provider::Stripe => {
            stripe::verify(secret, header(headers, "stripe-signature"), body, now)?;
            stripe::parse(body)
        }
        Provider::Tiltify => {
            tiltify::verify(
                secret,
                header(headers, "x-tiltify-signature"),
                header(headers, "x-tiltify-timestamp"),
                body,
                now,
            )?;
            tiltify::parse(body)
        }
        Provider::Kofi => kofi::verify_and_parse(secret, body),
        Provider::HelloAsso => {
            helloasso::verify(secret, header(headers, helloasso::SIGNATURE_HEADER), query, body)?;
            helloasso::parse(body, query)
        }
        Provider::Twitch => {
            twitch::verify(secret, headers, body, now)?;
            twitch::parse(headers, body)
        }
        Provider::Generic => {
            generic::verify(secret, header(headers, generic::HEADER), body, now)?;
            generic::parse(body, max_major)
        }
    }
}

/// A header's value, when it is visible ASCII.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Refuses a signed time (`what`, as the refusal names it) more than
/// `tolerance_secs` away from `now` (a replay, or a clock far off), saying by how much.
pub fn check_age(what: &str, at: Timestamp, now: Timestamp, tolerance_secs: i64) -> Result<(), WebhookError> {
    let age_ms = now.millis().saturating_sub(at.millis());
    if age_ms.abs() > tolerance_secs.saturating_mul(1000) {
        let age = age_ms / 1000;
        return Err(WebhookError::signature(format!(
            "{what} is {age} s away from the server's clock; at most {tolerance_secs} s is accepted"
        )));
    }
    Ok(())
}

/// The id of the donation a provider's payment becomes: `stripe-` and the first
/// 24 hex digits of SHA-256 of the payment id. The same payment always gives the
/// same id, so a refund event finds its donation.
pub fn donation_id(provider: Provider, payment_id: &str) -> String {
    let digest = hex::encode(Sha256::digest(payment_id.as_bytes()));
    format!("{}-{}", provider.as_str(), &digest[..24])
}

/// Checks a provider's id before it becomes part of a key: 1 to 200 visible ASCII characters.
pub fn provider_id(field: &str, v: Option<&str>) -> Result<String, WebhookError> {
    match v {
        Some(s) if (1..=200).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) => Ok(s.to_owned()),
        Some(_) => Err(WebhookError::payload(format!("{field} must be 1 to 200 visible ASCII characters"))),
        None => Err(WebhookError::payload(format!("{field} is missing"))),
    }
}

/// Donor text from a provider: the donation is paid, so text that breaks our
/// limits is cleaned (control and direction-override characters become spaces)
/// and shortened rather than refused.
pub fn clean_text(field: &'static str, v: Option<&str>, max_chars: usize) -> Option<String> {
    let v = v?;
    let cleaned: String = v
        .chars()
        .map(|c| {
            let bidi =
                matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
            if c.is_control() || bidi { ' ' } else { c }
        })
        .collect();
    let trimmed = cleaned.trim();
    let short: String = trimmed.chars().take(max_chars).collect();
    text::optional(field, Some(&short), max_chars).ok().flatten()
}

/// The parts of a `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` header (Stripe's and ours).
pub struct TimestampedSignature<'a> {
    pub t: &'a str,
    pub seconds: i64,
    pub v1: Vec<Vec<u8>>,
}

pub fn parse_timestamped<'a>(
    header_name: &str,
    value: Option<&'a str>,
) -> Result<TimestampedSignature<'a>, WebhookError> {
    let value = value.ok_or_else(|| WebhookError::signature(format!("the {header_name} header is missing")))?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in value.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else { continue };
        match k {
            "t" if t.is_none() => t = Some(v),
            // Other schemes (Stripe's v0 test signatures) are ignored.
            "v1" => {
                if let Ok(bytes) = hex::decode(v) {
                    v1.push(bytes);
                }
            }
            _ => {}
        }
    }
    let bad = || WebhookError::signature(format!("{header_name} must look like t=<unix seconds>,v1=<hex>"));
    let t = t.ok_or_else(bad)?;
    let seconds = t.parse::<i64>().ok().filter(|s| *s > 0 && t.bytes().all(|b| b.is_ascii_digit())).ok_or_else(bad)?;
    if v1.is_empty() {
        return Err(bad());
    }
    Ok(TimestampedSignature { t, seconds, v1 })
}

/// Verifies a `t=…,v1=…` header: one of the v1 signatures (several are sent while
/// a secret is rotated) must be HMAC-SHA256(secret, "{t}.{body}"), compared in
/// constant time, and `t` within `tolerance_secs` of `now`.
pub fn verify_timestamped(
    header_name: &str,
    secret: &[u8],
    value: Option<&str>,
    body: &[u8],
    now: Timestamp,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    let sig = parse_timestamped(header_name, value)?;
    let mac = signed_mac(secret, sig.t, body);
    if !sig.v1.iter().any(|v| mac.clone().verify_slice(v).is_ok()) {
        return Err(WebhookError::signature(format!("the {header_name} signature does not match this body")));
    }
    let at = Timestamp::from_millis(sig.seconds.saturating_mul(1000));
    check_age(&format!("the {header_name} timestamp"), at, now, tolerance_secs)
}

/// HMAC-SHA256(secret, "{t}.{body}"), not yet finalized.
pub fn signed_mac(secret: &[u8], t: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Our outgoing signature header value: `t=<seconds>,v1=<hex>`.
pub fn sign(secret: &[u8], seconds: i64, body: &[u8]) -> String {
    let t = seconds.to_string();
    let mac = signed_mac(secret, &t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(mac))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed with `openssl dgst -sha256 -hmac` when this test was written.
    const GOOD: &str = "ee724c626c10f4db36b56655aa71ed327a145857a13cb17901fba24fb6f0a3ec";
    const OLD: &str = "acb07b40161cb2eaeaefbcaf10124ffacbcfff3a5008dc52493d3492d6f4c284";
    const BODY: &[u8] = br#"{"a":1}"#;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_millis(seconds * 1000)
    }

    #[test]
    fn known_answer_and_rotation() {
        assert_eq!(sign(b"whsec_unit", 1_700_000_000, BODY), format!("t=1700000000,v1={GOOD}"));
        let ok = |h: &str| verify_timestamped("Sig", b"whsec_unit", Some(h), BODY, at(1_700_000_100), 300);
        assert!(ok(&format!("t=1700000000,v1={GOOD}")).is_ok());
        assert!(ok(&format!("t=1700000000,v1={OLD},v1={GOOD},v0=00")).is_ok(), "any v1 may match");
        assert!(ok(&format!("t=1700000000,v1={OLD}")).is_err());
        assert!(ok(&format!("v1={GOOD}")).is_err());
        assert!(ok("t=1700000000").is_err());
        assert!(ok(&format!("t=-5,v1={GOOD}")).is_err());
        assert!(ok(&format!("t=1700000001,v1={GOOD}")).is_err(), "t is signed");
        let stale = verify_timestamped(
            "Sig",
            b"whsec_unit",
            Some(&format!("t=1700000000,v1={GOOD}")),
            BODY,
            at(1_700_000_301),
            300,
        );
        assert!(matches!(stale, Err(WebhookError::Signature(m)) if m.contains("301 s")));
        assert!(verify_timestamped("Sig", b"whsec_unit", None, BODY, at(1_700_000_000), 300).is_err());
    }

    #[test]
    fn donation_ids_are_stable_and_valid() {
        let a = donation_id(Provider::Stripe, "pi_3MtwBwLkdIwHu7ix28a3tqPa");
        assert_eq!(a, donation_id(Provider::Stripe, "pi_3MtwBwLkdIwHu7ix28a3tqPa"));
        assert_ne!(a, donation_id(Provider::Stripe, "pi_other"));
        assert!(a.starts_with("stripe-") && a.len() == 7 + 24);
        assert!(text::id(&a).is_ok());
    }

    #[test]
    fn provider_text_is_cleaned_not_refused() {
        assert_eq!(clean_text("donor", Some("  Ana\u{202E}\n "), 64), Some("Ana".into()));
        assert_eq!(clean_text("donor", Some(&"x".repeat(100)), 64).map(|s| s.len()), Some(64));
        assert_eq!(clean_text("donor", Some("   "), 64), None);
        assert_eq!(clean_text("donor", None, 64), None);
    }
}
