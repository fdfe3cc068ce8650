//! [`ApiError`]: every failure a client sees, as `{"error": "<code>", "message": "<sentence>"}`,
//! with one fact beside them when the sentence names one (`"max": 100000000`,
//! `"used": 8000`, `"field": "donor"`…), so that a client can say it in its own
//! language and format.

use crate::domain::state::Refusal;
use crate::domain::text::TextError;
use crate::ledger::LedgerError;
use crate::money::{AmountError, CurrencyError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The facts the message names, each as its own field of the body.
    pub details: Vec<(&'static str, serde_json::Value)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: Vec::new() }
    }

    /// Adds a fact the message names as a field of the body.
    pub fn with(mut self, key: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.details.push((key, value.into()));
        self
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::error!(%message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; nothing was changed",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.code, "message": self.message });
        for (key, value) in self.details {
            body[key] = value;
        }
        let body = body.to_string();
        let mut res = (self.status, body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        res
    }
}

impl From<TextError> for ApiError {
    fn from(e: TextError) -> Self {
        ApiError::invalid("invalid_field", e.to_string()).with("field", e.field)
    }
}

impl From<AmountError> for ApiError {
    fn from(e: AmountError) -> Self {
        match e {
            AmountError::TooLarge { max } => ApiError::invalid("amount_too_large", e.to_string()).with("max", max),
            _ => ApiError::invalid("invalid_amount", e.to_string()),
        }
    }
}

impl From<CurrencyError> for ApiError {
    fn from(e: CurrencyError) -> Self {
        ApiError::invalid("invalid_currency", e.to_string())
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let msg = r.to_string();
        match r {
            Refusal::CampaignNotFound => ApiError::not_found("campaign_not_found", msg),
            Refusal::LiveNotFound => ApiError::not_found("live_not_found", msg),
            Refusal::DonationNotFound => ApiError::not_found("donation_not_found", msg),
            Refusal::IdTaken(_) => ApiError::new(StatusCode::CONFLICT, "id_taken", msg),
            Refusal::IdempotencyConflict => ApiError::new(StatusCode::CONFLICT, "idempotency_conflict", msg),
            Refusal::CurrencyMismatch { expected, .. } => {
                ApiError::invalid("currency_mismatch", msg).with("expected", expected.code())
            }
            Refusal::AmountTooLarge { max } => ApiError::invalid("amount_too_large", msg).with("max", max),
            Refusal::Forbidden => ApiError::forbidden(msg),
            Refusal::TotalsOverflow => ApiError::invalid("totals_overflow", msg),
            Refusal::MatchNotFound => ApiError::not_found("match_not_found", msg),
            Refusal::IntegrationNotFound => ApiError::not_found("integration_not_found", msg),
            Refusal::SubscriberNotFound => ApiError::not_found("subscriber_not_found", msg),
            Refusal::CapBelowUsed { used } => ApiError::invalid("cap_below_used", msg).with("used", used),
            Refusal::RefundOutOfRange { amount } => {
                ApiError::invalid("refund_out_of_range", msg).with("amount", amount)
            }
            Refusal::DonationRefunded => ApiError::new(StatusCode::CONFLICT, "donation_refunded", msg),
            Refusal::TextPending => ApiError::new(StatusCode::CONFLICT, "text_pending", msg),
            Refusal::ChallengeNotFound => ApiError::not_found("challenge_not_found", msg),
            Refusal::ChallengeOver => ApiError::new(StatusCode::CONFLICT, "challenge_over", msg),
            Refusal::TooShort { what, elapsed } => {
                let code = if what == "poll" { "poll_too_short" } else { "challenge_too_short" };
                ApiError::invalid(code, msg).with("field", "minutes").with("elapsed_minutes", elapsed)
            }
            Refusal::MilestoneNotFound => ApiError::not_found("milestone_not_found", msg),
            Refusal::MilestoneReached => ApiError::new(StatusCode::CONFLICT, "milestone_reached", msg),
            Refusal::PollNotFound => ApiError::not_found("poll_not_found", msg),
            Refusal::HostNotFound => ApiError::not_found("host_not_found", msg),
            Refusal::PollOver => ApiError::new(StatusCode::CONFLICT, "poll_over", msg),
            Refusal::PollOpen => ApiError::new(StatusCode::CONFLICT, "poll_open", msg),
            Refusal::RewardNotFound => ApiError::not_found("reward_not_found", msg),
            Refusal::RewardClosed => ApiError::new(StatusCode::CONFLICT, "reward_closed", msg),
            Refusal::RewardOpen => ApiError::new(StatusCode::CONFLICT, "reward_open", msg),
            Refusal::QuantityBelowClaimed { claimed } => {
                ApiError::invalid("quantity_below_claimed", msg).with("claimed", claimed)
            }
            Refusal::TooManyRewards { max } => {
                ApiError::new(StatusCode::CONFLICT, "too_many_rewards", msg).with("max", max)
            }
            Refusal::TagTaken => ApiError::new(StatusCode::CONFLICT, "tag_taken", msg).with("field", "tag"),
            Refusal::ClaimNotFound => ApiError::not_found("claim_not_found", msg),
            Refusal::NoEntries => ApiError::new(StatusCode::CONFLICT, "no_entries", msg),
            Refusal::LiveCancelled => ApiError::new(StatusCode::CONFLICT, "live_cancelled", msg),
            Refusal::LiveOnAir => ApiError::new(StatusCode::CONFLICT, "live_on_air", msg),
            Refusal::LiveNotOnAir => ApiError::new(StatusCode::CONFLICT, "live_not_on_air", msg),
            Refusal::LiveTooLong { max } => ApiError::invalid("live_too_long", msg).with("max", max),
            Refusal::TooManyModerators { max } => {
                ApiError::new(StatusCode::CONFLICT, "too_many_moderators", msg).with("max", max)
            }
            Refusal::ModeratorNameTaken => {
                ApiError::new(StatusCode::CONFLICT, "moderator_name_taken", msg).with("field", "name")
            }
            Refusal::ModeratorNotFound => ApiError::not_found("moderator_not_found", msg),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Refused(r) => r.into(),
            LedgerError::Storage(m) => {
                tracing::error!(error = %m, "ledger storage failure");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the ledger could not write to disk; nothing was recorded, retry later",
                )
            }
            LedgerError::Closed => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is shutting down; retry later",
            ),
        }
    }
}
