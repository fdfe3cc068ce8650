//! The fold: [`State::decide`] turns a validated command into a fact (or a
//! refusal) against the current state, and [`State::apply`] folds a committed
//! event into the state. Both are synchronous, deterministic and free of I/O, so
//! replaying the log on start rebuilds exactly the state the writer had.

use super::moderation::{Mode, Moderation};
use super::{
    Actor, Allocation, Campaign, Donation, Draw, Integration, Live, MODERATORS_MAX, Match, Milestone, Moderator, Poll,
    Reward, SmolStr, Subscriber, Timestamp, TokenHash, Totals, Vote,
};
use crate::money::{Currency, apply_ratio};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;

/// The fold's maps hash with foldhash (randomly seeded per process): SipHash
/// was half of the replay's time. Keys are ids, not secrets.
pub type HashMap<K, V> = foldhash::HashMap<K, V>;

/// One entry of the durable log, stored as `{"seq", "at", "fact": {"<kind>": {...}}}`.
/// The fact is externally tagged and nothing is flattened, so serde decodes each
/// event in one pass without buffering it (replay speed depends on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: Timestamp,
    pub fact: Fact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    CampaignCreated {
        campaign: Campaign,
    },
    MatchCreated {
        r#match: Match,
    },
    LiveCreated {
        live: Live,
    },
    DonationReceived {
        donation: Donation,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idempotency: Option<IdempotencyKey>,
        /// The reward of its live it claimed and got (its id).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reward: Option<SmolStr>,
    },
    /// The donation given back: whole, or (`refunded_amount`) in part, up to
    /// that total so far, which is below its amount.
    DonationRefunded {
        donation_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refunded_amount: Option<i64>,
    },
    LiveSecretsRotated {
        live_id: String,
        key_hash: Option<TokenHash>,
        overlay_hash: Option<TokenHash>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host_hash: Option<TokenHash>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        moderator_hash: Option<TokenHash>,
    },
    IntegrationCreated {
        integration: Integration,
    },
    SubscriberCreated {
        subscriber: Subscriber,
    },
    MilestoneCreated {
        milestone: Milestone,
    },
    /// Derived by the writer right after the event that crossed the amount; once per milestone.
    MilestoneReached {
        milestone_id: String,
    },
    /// Derived by the writer once a challenge's time ran out before it was
    /// met; once per challenge, never an hour or more late (the server was off).
    ChallengeMissed {
        milestone_id: String,
    },
    /// The match's window opened (or it was created active).
    MatchStarted {
        match_id: String,
    },
    /// The match's window closed.
    MatchEnded {
        match_id: String,
    },
    /// The match's cap was reached by the donation just before.
    MatchUsedUp {
        match_id: String,
    },
    CampaignUpdated {
        campaign: Campaign,
    },
    LiveUpdated {
        live: Live,
    },
    ModerationSet {
        live_id: String,
        moderation: Moderation,
    },
    /// A pending text goes on air (its delay passed, or someone approved it:
    /// `by`).
    TextReleased {
        donation_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Actor>,
    },
    /// A donor name and/or message is taken off the air.
    TextHidden {
        donation_id: String,
        donor: bool,
        message: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Actor>,
    },
    /// A donor name and/or message hidden before goes back on the air (a
    /// moderator's mistake undone).
    TextShown {
        donation_id: String,
        donor: bool,
        message: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Actor>,
    },
    /// A moderator by name given a link of their own for a live.
    ModeratorAdded {
        live_id: String,
        moderator: Moderator,
    },
    /// A moderator's own link taken back: it stops working at once.
    ModeratorRemoved {
        live_id: String,
        moderator_id: String,
    },
    /// A fake donation overlays show; no total counts it.
    TestAlert {
        donation: Donation,
    },
    /// A donation's alert shown again on the live's overlays, as the donation is
    /// now; nothing else changes.
    AlertReplayed {
        donation_id: String,
    },
    /// The alert on the live's overlays taken off the screen now (the host's
    /// "skip"); nothing else changes.
    AlertSkipped {
        live_id: String,
    },
    /// A challenge called off before its time: over now, never reached.
    ChallengeCancelled {
        milestone_id: String,
    },
    /// A challenge's terms changed on air (its label, what it asks for, its
    /// deadline): the challenge as it is now.
    ChallengeUpdated {
        milestone: Milestone,
    },
    /// A milestone taken off before it was reached (set by mistake, or the
    /// host changed plans): never reached, shown nowhere.
    MilestoneRemoved {
        milestone_id: String,
    },
    /// A poll put to a live's donors: open from now.
    PollStarted {
        poll: Poll,
    },
    /// A poll closed by its host, or by the writer once its time is up: no vote
    /// counts after it.
    PollClosed {
        live_id: String,
        poll_id: String,
    },
    /// An open poll's question or deadline changed on air: the poll as it is now.
    PollUpdated {
        poll: Poll,
    },
    /// A live's scheduled start came (the writer's follow-up, once per start
    /// time): it is on air by the schedule, which chat channels announce.
    LiveStarted {
        live_id: String,
        /// The start announced (a live moved later is announced again at its new time).
        scheduled_at: Timestamp,
    },
    /// A live whose start was announced came to its end (its schedule's, or
    /// when its host ended it): the writer's follow-up, once per end time.
    LiveEnded {
        live_id: String,
        /// The end announced (a live that goes on longer is announced again at its new end).
        ends_at: Timestamp,
    },
    /// A campaign's collection opened (`starts_at`): the writer's follow-up, once
    /// per start time, never an hour or more late, after its end, nor for a
    /// campaign created after it.
    CampaignOpened {
        campaign_id: String,
        /// The start announced (a campaign given a later start is announced again then).
        starts_at: Timestamp,
    },
    /// A campaign came to its end (`ends_at`): the writer's follow-up, once per
    /// end time, never an hour or more late nor for a campaign created after it.
    CampaignEnded {
        campaign_id: String,
        /// The end announced (a campaign given a later end is announced again then).
        ends_at: Timestamp,
    },
    /// A reward offered to a live's donors: claimed from now.
    RewardOffered {
        reward: Reward,
    },
    /// A reward's terms changed (title, least gift, quantity, keyword), or a
    /// reward offered again: `reward` as it is now. Its claims stay.
    RewardUpdated {
        reward: Reward,
    },
    /// A reward its host stopped offering: its claims stay.
    RewardClosed {
        live_id: String,
        reward_id: String,
    },
    /// A donation's reward given (the portrait drawn), or not yet after all.
    RewardDelivered {
        live_id: String,
        donation_id: String,
        delivered: bool,
    },
    /// A match's terms changed; what it already matched stays as recorded.
    MatchUpdated {
        r#match: Match,
    },
    /// The campaign's overlay token was replaced (the old one stops working).
    CampaignOverlayRotated {
        campaign_id: String,
        overlay_hash: TokenHash,
    },
    /// The charity's space got a new key (the old one, if any, stops working).
    CampaignReportRotated {
        campaign_id: String,
        report_hash: TokenHash,
    },
    /// An integration's signing secret was replaced (the old one stops working).
    IntegrationSecretReplaced {
        integration_id: String,
        secret: String,
    },
    /// An integration was deleted: its URL takes nothing more.
    IntegrationRemoved {
        integration_id: String,
    },
    /// A subscriber's URL and/or secret changed.
    SubscriberUpdated {
        subscriber: Subscriber,
    },
    /// A subscriber was deleted: it receives nothing more.
    SubscriberRemoved {
        subscriber_id: String,
    },
    /// A prize drawn among a live's donations, with its winner.
    PrizeDrawn {
        draw: Draw,
    },
    /// The donor's name and message erased at their request (the organisers'
    /// answer to a data-protection request). The writer rewrote every earlier
    /// row and frame that held them in the same transaction; the amount still
    /// counts.
    DonationErased {
        donation_id: String,
    },
}

impl Fact {
    /// The kinds of the events that make or change a donation: what exports fold.
    pub const DONATION_KINDS: [&'static str; 6] =
        ["donation", "refund", "partial_refund", "text_released", "text_hidden", "text_shown"];

    pub fn kind(&self) -> &'static str {
        match self {
            Fact::CampaignCreated { .. } => "campaign_created",
            Fact::MatchCreated { .. } => "match_created",
            Fact::LiveCreated { .. } => "live_created",
            Fact::DonationReceived { .. } => "donation",
            Fact::DonationRefunded { refunded_amount: None, .. } => "refund",
            Fact::DonationRefunded { refunded_amount: Some(_), .. } => "partial_refund",
            Fact::LiveSecretsRotated { .. } => "live_secrets_rotated",
            Fact::IntegrationCreated { .. } => "integration_created",
            Fact::SubscriberCreated { .. } => "subscriber_created",
            Fact::MilestoneCreated { .. } => "milestone_created",
            Fact::MilestoneReached { .. } => "milestone_reached",
            Fact::ChallengeMissed { .. } => "challenge_missed",
            Fact::MatchStarted { .. } => "match_started",
            Fact::MatchEnded { .. } => "match_ended",
            Fact::MatchUsedUp { .. } => "match_used_up",
            Fact::CampaignUpdated { .. } => "campaign_updated",
            Fact::LiveUpdated { .. } => "live_updated",
            Fact::ModerationSet { .. } => "moderation_set",
            Fact::TextReleased { .. } => "text_released",
            Fact::TextHidden { .. } => "text_hidden",
            Fact::TextShown { .. } => "text_shown",
            Fact::ModeratorAdded { .. } => "moderator_added",
            Fact::ModeratorRemoved { .. } => "moderator_removed",
            Fact::TestAlert { .. } => "test_alert",
            Fact::AlertReplayed { .. } => "alert_replay",
            Fact::AlertSkipped { .. } => "alert_skipped",
            Fact::ChallengeCancelled { .. } => "challenge_ended",
            Fact::ChallengeUpdated { .. } => "challenge_updated",
            Fact::MilestoneRemoved { .. } => "milestone_removed",
            Fact::PollStarted { .. } => "poll_started",
            Fact::PollClosed { .. } => "poll_closed",
            Fact::PollUpdated { .. } => "poll_updated",
            Fact::LiveStarted { .. } => "live_started",
            Fact::LiveEnded { .. } => "live_ended",
            Fact::CampaignEnded { .. } => "campaign_ended",
            Fact::CampaignOpened { .. } => "campaign_opened",
            Fact::RewardOffered { .. } => "reward_offered",
            Fact::RewardClosed { .. } => "reward_closed",
            Fact::RewardUpdated { .. } => "reward_updated",
            Fact::RewardDelivered { .. } => "reward_delivered",
            Fact::MatchUpdated { .. } => "match_updated",
            Fact::CampaignOverlayRotated { .. } => "campaign_overlay_rotated",
            Fact::CampaignReportRotated { .. } => "campaign_report_rotated",
            Fact::IntegrationSecretReplaced { .. } => "integration_secret_replaced",
            Fact::IntegrationRemoved { .. } => "integration_removed",
            Fact::SubscriberUpdated { .. } => "subscriber_updated",
            Fact::SubscriberRemoved { .. } => "subscriber_removed",
            Fact::PrizeDrawn { .. } => "prize_drawn",
            Fact::DonationErased { .. } => "donation_erased",
        }
    }
}

/// A client's `Idempotency-Key` and the digest of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyKey {
    pub key: String,
    pub body_hash: BodyDigest,
}

/// The SHA-256 digest of a request body, as 32 bytes. The log keeps it as 64
/// lowercase hex digits, decoded as the event is read (on the replay's decoder
/// threads, not on the fold's); any other text found there (a log written by
/// other means) is read as the digest of that text, so that equal texts still
/// give equal digests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BodyDigest(pub [u8; 32]);

impl BodyDigest {
    pub fn of(bytes: &[u8]) -> BodyDigest {
        BodyDigest(<sha2::Sha256 as sha2::Digest>::digest(bytes).into())
    }

    fn from_text(text: &str) -> BodyDigest {
        // Decoded, then encoded again: only the lowercase text that the
        // digest itself writes is read as hex.
        let (mut out, mut again) = ([0u8; 32], [0u8; 64]);
        let hex = hex::decode_to_slice(text, &mut out).is_ok()
            && hex::encode_to_slice(out, &mut again).is_ok()
            && again == text.as_bytes();
        if hex { BodyDigest(out) } else { BodyDigest::of(text.as_bytes()) }
    }
}

impl std::fmt::Debug for BodyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for BodyDigest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = [0u8; 64];
        hex::encode_to_slice(self.0, &mut text).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for BodyDigest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<BodyDigest, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = BodyDigest;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a request digest")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<BodyDigest, E> {
                Ok(BodyDigest::from_text(text))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// Who asks. Overlay tokens only read, so they never reach a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Admin,
    /// Holder of this live's write key.
    LiveKey(String),
    /// Holder of this live's host key: this live and the other lives of its
    /// host in its campaign (see [`crate::domain::host_key`]).
    Host(String),
    /// A campaign-wide integration: any live of this campaign.
    Campaign(String),
}

/// How much of a donation was given back in all, as a provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundTotal {
    pub amount: i64,
    /// Checked against the donation's when the report names one.
    pub currency: Option<Currency>,
}

impl RefundTotal {
    /// A `refunded_amount` as our API and our webhook scheme take it: integer
    /// minor units, in the donation's currency.
    pub fn from_json(v: &serde_json::Value) -> Result<RefundTotal, crate::money::AmountError> {
        Ok(RefundTotal { amount: crate::money::Amount::from_json(v)?.minor(), currency: None })
    }
}

/// A command whose fields are already validated at the edge.
#[derive(Debug, Clone)]
pub enum Command {
    CreateCampaign(Campaign),
    CreateMatch(Match),
    CreateLive(Live),
    Donate {
        by: Principal,
        donation: Donation,
        idempotency: Option<IdempotencyKey>,
        /// The reward the request named (its id), claimed if it still can be;
        /// else the first the message names.
        reward: Option<SmolStr>,
    },
    Refund {
        by: Principal,
        donation_id: String,
        /// `None`: the whole donation. Otherwise the total given back so far
        /// (providers report it this way, so a repeated or late report changes nothing).
        so_far: Option<RefundTotal>,
    },
    RotateLiveSecrets {
        by: Principal,
        live_id: String,
        key_hash: Option<TokenHash>,
        overlay_hash: Option<TokenHash>,
        host_hash: Option<TokenHash>,
        moderator_hash: Option<TokenHash>,
    },
    CreateIntegration {
        by: Principal,
        integration: Integration,
    },
    CreateSubscriber(Subscriber),
    /// A milestone of the campaign (the admin), or of one live (the admin, the
    /// live's key or its host key).
    CreateMilestone {
        by: Principal,
        milestone: Milestone,
    },
    /// Takes a milestone off before it is reached: one of `live_id`'s when set
    /// (the admin, the live's key or its host key), else any of the campaign's
    /// (the admin). Challenges are called off with [`Command::CancelChallenge`].
    RemoveMilestone {
        by: Principal,
        campaign_id: String,
        live_id: Option<String>,
        milestone_id: String,
    },
    /// A challenge set during a live: `milestone.amount` more on the live's total
    /// within `minutes` (the writer turns it into a milestone with a deadline).
    CreateChallenge {
        by: Principal,
        milestone: Milestone,
        minutes: u32,
    },
    /// Time passed: lets the writer record match windows that opened or closed,
    /// and release texts whose moderation delay is over.
    Tick,
    UpdateCampaign(Campaign),
    UpdateLive(Live),
    /// Every live of `from` (its host's name however typed: case and spaces
    /// around it aside) in a campaign called `to`, in one commit.
    RenameHost {
        campaign_id: String,
        from: String,
        to: String,
    },
    /// A new goal for a live, on air ("on passe à 1 000 € !"): the admin, the
    /// live's key or its host key. The writer changes it on the live as it is.
    SetLiveGoal {
        by: Principal,
        live_id: String,
        goal: Option<i64>,
    },
    /// Where a live is watched (its channel), set by its host too; `None` takes it off.
    SetStreamUrl {
        by: Principal,
        live_id: String,
        stream_url: Option<String>,
    },
    /// The live starts at `at` (stamped by the writer), whatever its schedule said.
    StartLive {
        by: Principal,
        live_id: String,
        at: Timestamp,
    },
    /// The live on air ends at `at` (stamped by the writer).
    EndLive {
        by: Principal,
        live_id: String,
        at: Timestamp,
    },
    /// The live on air at `at` (stamped by the writer) goes on `minutes` longer.
    ExtendLive {
        by: Principal,
        live_id: String,
        minutes: u32,
        at: Timestamp,
    },
    SetModeration {
        by: Principal,
        live_id: String,
        moderation: Moderation,
    },
    Approve {
        by: Principal,
        actor: Actor,
        donation_id: String,
    },
    Hide {
        by: Principal,
        actor: Actor,
        donation_id: String,
        donor: bool,
        message: bool,
    },
    Show {
        by: Principal,
        actor: Actor,
        donation_id: String,
        donor: bool,
        message: bool,
    },
    AddModerator {
        by: Principal,
        live_id: String,
        moderator: Moderator,
    },
    RemoveModerator {
        by: Principal,
        live_id: String,
        moderator_id: String,
    },
    TestAlert {
        by: Principal,
        donation: Donation,
    },
    ReplayAlert {
        by: Principal,
        donation_id: String,
    },
    /// The live's overlays start no new alert (`true`) until resumed (`false`).
    PauseAlerts {
        by: Principal,
        live_id: String,
        paused: bool,
    },
    /// The alert on the live's overlays leaves the screen now.
    SkipAlert {
        by: Principal,
        live_id: String,
    },
    CancelChallenge {
        by: Principal,
        live_id: String,
        milestone_id: String,
        /// When it is asked (the writer's clock).
        at: Timestamp,
    },
    /// A challenge's terms changed before it is over: its `label`, what it asks
    /// for (`amount`, on top of the live's total when it was set, as when it was
    /// set) and its length (`minutes` from when it was set). None changes nothing.
    UpdateChallenge {
        by: Principal,
        live_id: String,
        milestone_id: String,
        label: Option<String>,
        amount: Option<i64>,
        minutes: Option<u32>,
        /// When it is asked (the writer's clock).
        at: Timestamp,
    },
    /// A poll put to a live's donors (the writer stamps `created_at`, and
    /// `ends_at` from `minutes`).
    StartPoll {
        by: Principal,
        poll: Poll,
        minutes: Option<u32>,
    },
    ClosePoll {
        by: Principal,
        live_id: String,
        poll_id: String,
        /// When it is asked (the writer's clock).
        at: Timestamp,
    },
    /// An open poll's `question`, or its length (`minutes` from its start, a
    /// deadline given to one without). None changes nothing.
    UpdatePoll {
        by: Principal,
        live_id: String,
        poll_id: String,
        question: Option<String>,
        minutes: Option<u32>,
        /// When it is asked (the writer's clock).
        at: Timestamp,
    },
    /// A reward offered to a live's donors (the writer stamps `created_at` and
    /// picks its tag).
    OfferReward {
        by: Principal,
        reward: Reward,
    },
    CloseReward {
        by: Principal,
        live_id: String,
        reward_id: String,
    },
    /// New terms for a reward (`reward`: its id and live, the new title,
    /// amount, quantity and tag; the writer keeps its times). Its claims stay.
    UpdateReward {
        by: Principal,
        reward: Reward,
    },
    /// A reward no longer offered, offered again (its keyword as it was).
    ReopenReward {
        by: Principal,
        live_id: String,
        reward_id: String,
    },
    DeliverReward {
        by: Principal,
        live_id: String,
        donation_id: String,
        delivered: bool,
    },
    /// New terms for an existing match (admin).
    UpdateMatch(Match),
    RotateCampaignOverlay {
        campaign_id: String,
        overlay_hash: TokenHash,
    },
    /// A new key for the campaign's charity space (admin).
    RotateCampaignReport {
        campaign_id: String,
        report_hash: TokenHash,
    },
    ReplaceIntegrationSecret {
        by: Principal,
        integration_id: String,
        secret: String,
    },
    RemoveIntegration {
        by: Principal,
        integration_id: String,
    },
    /// New URL or secret of a subscriber (admin).
    UpdateSubscriber(Subscriber),
    RemoveSubscriber {
        subscriber_id: String,
    },
    /// A prize drawn among a live's donations: `draw` says who enters (the
    /// writer stamps `at`, and `since` from `minutes`); `seed`, drawn at random
    /// by the caller, picks the winning ticket, so deciding stays free of I/O.
    /// Each of `more` (a draw's id and seed) draws the prize again, each winner
    /// left out of the next, all in one commit; fewer when fewer donations enter.
    DrawPrize {
        by: Principal,
        draw: Draw,
        minutes: Option<u32>,
        seed: u64,
        more: Vec<(String, u64)>,
    },
    /// The donor's name and message erased for good (admin).
    EraseDonation {
        donation_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
// Decisions live for one batch on the writer's stack; boxing the common case buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Decision {
    Append(Fact),
    /// Same idempotency key, same body: answer with that donation's original response.
    Repeat {
        donation_id: String,
    },
    /// Approving or hiding what already is: answer with the donation as it is.
    Current {
        donation_id: String,
    },
    /// A second refund of the same donation: nothing to write.
    AlreadyRefunded {
        donation_id: String,
    },
    /// Several facts of one command, in order, in one commit.
    AppendAll(Vec<Fact>),
    /// Nothing to write (a tick with nothing due).
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no campaign has this id")]
    CampaignNotFound,
    #[error("no live has this id")]
    LiveNotFound,
    #[error("no donation has this id")]
    DonationNotFound,
    #[error("this {0} id is already taken")]
    IdTaken(&'static str),
    #[error("this campaign takes {expected}, not {got}")]
    CurrencyMismatch { expected: Currency, got: Currency },
    #[error("amount is above the maximum of {max} minor units")]
    AmountTooLarge { max: i64 },
    #[error("this Idempotency-Key was already used with a different body")]
    IdempotencyConflict,
    #[error("this token may not act on this live")]
    Forbidden,
    #[error("the totals would overflow")]
    TotalsOverflow,
    #[error("no match has this id")]
    MatchNotFound,
    #[error("no integration has this id")]
    IntegrationNotFound,
    #[error("no webhook subscriber has this id")]
    SubscriberNotFound,
    #[error("the cap cannot go below what the match already gave ({used} minor units)")]
    CapBelowUsed { used: i64 },
    #[error("the amount refunded must be from 1 to the donation's amount ({amount} minor units)")]
    RefundOutOfRange { amount: i64 },
    #[error("this donation was refunded: its alert is not shown again")]
    DonationRefunded,
    #[error("this donation's text waits for approval: approve or hide it first")]
    TextPending,
    #[error("no challenge of this live has this id")]
    ChallengeNotFound,
    #[error("this challenge is over: met, called off, or its time is up")]
    ChallengeOver,
    #[error("the {what} has run {elapsed} minutes already: its length must be more")]
    TooShort { what: &'static str, elapsed: u32 },
    #[error("no poll of this live has this id")]
    PollNotFound,
    #[error("no live of this campaign has this host")]
    HostNotFound,
    #[error("this poll is closed: closed by its host or its time is up")]
    PollOver,
    #[error("this live already has a poll open: close it first")]
    PollOpen,
    #[error("no reward of this live has this id")]
    RewardNotFound,
    #[error("this reward is no longer offered")]
    RewardClosed,
    #[error("this reward is offered already")]
    RewardOpen,
    #[error("{claimed} donations claimed this reward already: its quantity cannot go below that")]
    QuantityBelowClaimed { claimed: usize },
    #[error("this live already offers {max} rewards: close one first")]
    TooManyRewards { max: usize },
    #[error("another reward this live offers has this keyword")]
    TagTaken,
    #[error("no donation of this live claimed a reward with this id")]
    ClaimNotFound,
    #[error("no donation of this live enters this draw (each winner is left out of the next draws)")]
    NoEntries,
    #[error("no milestone here has this id (a challenge is called off, not removed)")]
    MilestoneNotFound,
    #[error("this milestone was reached: it stays on record")]
    MilestoneReached,
    #[error("this live was called off")]
    LiveCancelled,
    #[error("this live is on air already")]
    LiveOnAir,
    #[error("this live is not on air: it has not started, or it is over")]
    LiveNotOnAir,
    #[error("a live lasts {max} minutes at most")]
    LiveTooLong { max: u32 },
    #[error("a live has {max} moderators by name at most: take back a link first")]
    TooManyModerators { max: usize },
    #[error("this live has a moderator of this name already")]
    ModeratorNameTaken,
    #[error("this live has no moderator with this id")]
    ModeratorNotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest donation, in whole units of the campaign currency.
    pub max_amount_major: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_amount_major: 1_000_000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchState {
    pub r#match: Match,
    pub used: i64,
    /// `match_started` was recorded.
    pub started: bool,
    /// `match_ended` was recorded.
    pub ended: bool,
    /// `match_used_up` was recorded and no refund gave budget back since.
    pub used_up: bool,
}

impl MatchState {
    pub fn left(&self) -> i64 {
        self.r#match.cap - self.used
    }

    pub fn new(r#match: Match) -> MatchState {
        MatchState { r#match, used: 0, started: false, ended: false, used_up: false }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneState {
    pub milestone: Milestone,
    /// Seq of its `milestone_reached` event.
    pub reached: Option<u64>,
    /// When it was reached (its `milestone_reached` event's time).
    pub reached_at: Option<Timestamp>,
    /// Seq of its `challenge_missed` event: a challenge whose time ran out unmet.
    pub missed: Option<u64>,
    /// A challenge whose time ran out: its live's total then, where it stopped.
    pub missed_total: Option<i64>,
}

/// Totals by platform (`twitch`, `tiktok`, `direct`, ...).
pub type PlatformTotals = BTreeMap<SmolStr, Totals>;

/// The streams an event is shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    /// One live's stream (and its campaign's).
    Live(String),
    /// Every live stream of the campaign, and the campaign's.
    Campaign(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignState {
    pub campaign: Campaign,
    pub totals: Totals,
    /// In creation order: the order in which matches pay (documented in the README).
    pub matches: Vec<MatchState>,
    pub lives: Vec<String>,
    /// In creation order.
    pub milestones: Vec<MilestoneState>,
    pub platforms: PlatformTotals,
    /// Seq of the newest event of the campaign stream.
    pub stream_seq: u64,
    /// The deadlines of its lives' polls not closed yet: (deadline, live id,
    /// poll id). Usually empty: the writer's follow-up check after each event
    /// looks here, not at every live.
    pub poll_deadlines: Vec<(Timestamp, String, String)>,
    /// Its lives' scheduled starts not announced yet (`live_started`), the
    /// soonest first: (start, end, live id). A start whose live ended before it
    /// was announced (the server was off) is dropped, never announced late.
    pub starts: Vec<(Timestamp, Timestamp, String)>,
    /// The ends not announced yet (`live_ended`) of its lives whose start was,
    /// the soonest first: (end, live id). One missed by an hour or more (the
    /// server was off) is dropped, never announced that late.
    pub ends: Vec<(Timestamp, String)>,
    /// The campaign's end last announced (`campaign_ended`).
    pub ended: Option<Timestamp>,
    /// The campaign's start last announced (`campaign_opened`).
    pub opened: Option<Timestamp>,
}

impl CampaignState {
    /// Schedules the announcement of `live`'s start, in place of any earlier one:
    /// none for a live called off, without a date, or whose start was announced.
    fn schedule_start(&mut self, live: &Live, announced: Option<Timestamp>, at: Timestamp) {
        self.starts.retain(|(.., id)| *id != live.id);
        let (Some(start), Some(end)) = (live.scheduled_at, live.ends_at()) else { return };
        if live.cancelled || announced == Some(start) || end <= at {
            return;
        }
        let i = self.starts.partition_point(|(s, ..)| *s <= start);
        self.starts.insert(i, (start, end, live.id.clone()));
    }

    /// Forgets the starts first in line whose live ended by `at` unannounced,
    /// and the ends missed by an hour or more.
    fn drop_missed_starts(&mut self, at: Timestamp) {
        while self.starts.first().is_some_and(|(_, end, _)| *end <= at) {
            self.starts.remove(0);
        }
        while self.ends.first().is_some_and(|(end, _)| end.millis().saturating_add(ENDS_MISSED_AFTER_MS) <= at.millis())
        {
            self.ends.remove(0);
        }
    }

    /// Schedules the announcement of `live`'s end, in place of any earlier one:
    /// only once its present start was announced (`started`), never for a live
    /// called off, nor for the end already announced (`ended`).
    fn schedule_end(&mut self, live: &Live, started: Option<Timestamp>, ended: Option<Timestamp>) {
        self.ends.retain(|(_, id)| *id != live.id);
        let Some(end) = live.ends_at() else { return };
        if live.cancelled || started.is_none() || started != live.scheduled_at || ended == Some(end) {
            return;
        }
        let i = self.ends.partition_point(|(e, _)| *e <= end);
        self.ends.insert(i, (end, live.id.clone()));
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveState {
    pub live: Live,
    pub moderation: Moderation,
    /// `moderation.word_list()`, computed once per change.
    pub words: crate::domain::moderation::WordList,
    pub totals: Totals,
    pub created_seq: u64,
    /// Seq of the newest event of this live's stream.
    pub stream_seq: u64,
    pub platforms: PlatformTotals,
    /// In the order they were put, the newest last.
    pub polls: Vec<PollState>,
    /// Its prize draws, the newest last.
    pub draws: Vec<Draw>,
    /// The rewards it offers or offered, in the order they were offered.
    pub rewards: Vec<RewardState>,
    /// The scheduled start last announced (`live_started`).
    pub started: Option<Timestamp>,
    /// The end last announced (`live_ended`).
    pub ended: Option<Timestamp>,
    /// Its moderators by name, in the order they were added.
    pub moderators: Vec<Moderator>,
}

/// The longest a live lasts, in minutes (a day), as its schedule's edits allow.
pub const LIVE_MINUTES_MAX: u32 = 24 * 60;

/// The deadline of a `what` (a challenge, a poll) set at `start` that lasts
/// `minutes`, which must be after `now`.
fn ends_after(what: &'static str, start: Timestamp, minutes: u32, now: Timestamp) -> Result<Timestamp, Refusal> {
    let ends_at = Timestamp::from_millis(start.millis() + i64::from(minutes) * 60_000);
    if ends_at <= now {
        let elapsed = u32::try_from((now.millis() - start.millis()) / 60_000).unwrap_or(u32::MAX);
        return Err(Refusal::TooShort { what, elapsed });
    }
    Ok(ends_at)
}

/// How late a live's end may still be announced (the server was off at its time).
const ENDS_MISSED_AFTER_MS: i64 = 60 * 60 * 1000;

/// The most rewards a live offers at once.
pub const REWARDS_MAX: usize = 20;

/// A reward and the donations that claimed it, in the order they came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardState {
    pub reward: Reward,
    pub claims: Vec<Claim>,
    /// The donations whose message named it but that got no reward, in the
    /// order they came: its host may want to answer them.
    pub missed: Vec<Missed>,
}

/// A donation that named a reward and did not get it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    pub donation_id: SmolStr,
    pub why: MissedWhy,
}

/// Why a donation that named a reward did not get it, as things stood when it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedWhy {
    /// It was no longer offered.
    Closed,
    /// None was left.
    NoneLeft,
    /// The gift was less than the reward's least amount.
    TooLittle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub donation_id: SmolStr,
    /// Its host gave it (marked done).
    pub delivered: bool,
    /// Its donation was refunded whole: it no longer counts, and its reward
    /// goes back to the others.
    pub refunded: bool,
}

impl RewardState {
    /// How many are left to claim, when it has a quantity.
    pub fn left(&self) -> Option<u32> {
        let claimed = u32::try_from(self.claimed()).unwrap_or(u32::MAX);
        self.reward.quantity.map(|q| q.saturating_sub(claimed))
    }

    /// How many donations hold it (their claims still count).
    pub fn claimed(&self) -> usize {
        self.claims.iter().filter(|c| !c.refunded).count()
    }

    /// Whether a donation of `amount` gets it now: offered, enough given, some left.
    pub fn takes(&self, amount: i64) -> bool {
        self.reward.closed_at.is_none() && amount >= self.reward.amount && self.left() != Some(0)
    }
}

/// A poll and what each of its options gathered so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollState {
    pub poll: Poll,
    /// One per option, in the poll's order.
    pub tallies: Vec<Tally>,
}

/// What the donations that voted for one option still count for (refunds
/// taken off), and how many of them do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub amount: i64,
    pub donations: u64,
}

impl PollState {
    pub fn new(poll: Poll) -> PollState {
        let tallies = vec![Tally::default(); poll.options.len()];
        PollState { poll, tallies }
    }
}

impl LiveState {
    pub fn poll(&self, id: &str) -> Option<&PollState> {
        self.polls.iter().find(|p| p.poll.id == id)
    }

    /// The poll open at `at`, if any (at most one is).
    pub fn open_poll(&self, at: Timestamp) -> Option<&PollState> {
        self.polls.last().filter(|p| p.poll.is_open(at))
    }

    pub fn reward(&self, id: &str) -> Option<&RewardState> {
        self.rewards.iter().find(|r| r.reward.id == id)
    }

    /// The keywords of the rewards it offers now, but `except`'s.
    pub fn offered_tags(&self, except: Option<&str>) -> Vec<&str> {
        self.rewards
            .iter()
            .filter(|r| r.reward.closed_at.is_none() && Some(r.reward.id.as_str()) != except)
            .map(|r| r.reward.tag.as_str())
            .collect()
    }

    /// The reward a donation of this live claimed, if it did.
    pub fn reward_of(&self, donation_id: &str) -> Option<&RewardState> {
        self.rewards.iter().find(|r| r.claims.iter().any(|c| c.donation_id == donation_id))
    }

    /// The reward a donation of this live named without getting it, if it did.
    pub fn reward_missed_by(&self, donation_id: &str) -> Option<&RewardState> {
        self.rewards.iter().find(|r| r.missed.iter().any(|m| m.donation_id == donation_id))
    }

    /// The first reward a donation that gets none names in its message, and
    /// why it does not get it (as things stand before it counts).
    fn missed_reward(&self, d: &Donation) -> Option<(usize, MissedWhy)> {
        if self.rewards.is_empty() || d.test {
            return None;
        }
        let folded = crate::domain::moderation::normalize(d.message.as_deref()?);
        // An offered one of this keyword, else the last closed one that had it.
        let i = crate::domain::hashtags(&folded).find_map(|w| {
            let offered = self.rewards.iter().position(|r| r.reward.tag == w && r.reward.closed_at.is_none());
            offered.or_else(|| self.rewards.iter().rposition(|r| r.reward.tag == w))
        })?;
        let r = &self.rewards[i];
        let why = if r.reward.closed_at.is_some() {
            MissedWhy::Closed
        } else if r.left() == Some(0) {
            MissedWhy::NoneLeft
        } else {
            MissedWhy::TooLittle
        };
        Some((i, why))
    }

    /// The reward a donation gets: the one its request named if that takes
    /// it, else the first its message names with `#` that takes it (a donor
    /// who names two gets the second when the first is gone or costs more).
    pub fn reward_for(&self, asked: Option<&str>, d: &Donation) -> Option<&RewardState> {
        if self.rewards.is_empty() || d.test {
            return None;
        }
        let takes = |r: &&RewardState| r.takes(d.amount);
        let named = || {
            let folded = crate::domain::moderation::normalize(d.message.as_deref()?);
            crate::domain::hashtags(&folded)
                .find_map(|word| self.rewards.iter().filter(takes).find(|r| r.reward.tag == word))
        };
        asked.and_then(|id| self.reward(id)).filter(takes).or_else(named)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonationState {
    pub donation: Donation,
    /// Seq of the event that received it.
    pub seq: u64,
    /// When a delayed text goes on air (milliseconds since the epoch, at least
    /// 1: the niche keeps a donation in its 256-byte block).
    pub release_at: Option<std::num::NonZeroI64>,
}

/// The donations, found by id. A million of them are replayed into it on
/// start, so each is boxed once (the table holds a pointer per donation and
/// stays small) and found by hashing its own id: no second copy of the id is
/// kept as a key.
#[derive(Clone, Default)]
pub struct Donations {
    table: hashbrown::HashTable<Box<DonationState>>,
    hasher: foldhash::fast::RandomState,
}

/// Puts `value` in `table` at `hash`, in place of the entry that is `same` as
/// it if there is one (`rehash` places entries again when the table grows).
fn put<T>(
    table: &mut hashbrown::HashTable<T>,
    hash: u64,
    value: T,
    same: impl Fn(&T, &T) -> bool,
    rehash: impl Fn(&T) -> u64,
) {
    match table.entry(hash, |x| same(x, &value), rehash) {
        hashbrown::hash_table::Entry::Occupied(mut e) => *e.get_mut() = value,
        hashbrown::hash_table::Entry::Vacant(e) => drop(e.insert(value)),
    }
}

/// Where a donation's id hashes to in a [`Donations`] table.
fn hash_id(hasher: &foldhash::fast::RandomState, id: &str) -> u64 {
    hasher.hash_one(id)
}

impl Donations {
    fn hash(&self, id: &str) -> u64 {
        hash_id(&self.hasher, id)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Room for `more` donations without growing the table on the way.
    pub fn reserve(&mut self, more: usize) {
        let hasher = &self.hasher;
        self.table.reserve(more, |d| hash_id(hasher, &d.donation.id));
    }

    pub fn get(&self, id: &str) -> Option<&DonationState> {
        self.table.find(self.hash(id), |d| d.donation.id == id).map(|d| &**d)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut DonationState> {
        let hash = self.hash(id);
        self.table.find_mut(hash, |d| d.donation.id == id).map(|d| &mut **d)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Adds a donation, or replaces the one with its id.
    pub fn insert(&mut self, d: Box<DonationState>) {
        let hash = self.hash(&d.donation.id);
        let hasher = &self.hasher;
        put(&mut self.table, hash, d, |x, d| x.donation.id == d.donation.id, |x| hash_id(hasher, &x.donation.id));
    }

    /// Every donation, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &DonationState> {
        self.table.iter().map(|d| &**d)
    }
}

impl<Q: AsRef<str> + ?Sized> std::ops::Index<&Q> for Donations {
    type Output = DonationState;

    /// The donation with this id; panics when there is none, like a map's index.
    fn index(&self, id: &Q) -> &DonationState {
        self.get(id.as_ref()).expect("no donation with this id")
    }
}

impl PartialEq for Donations {
    fn eq(&self, other: &Donations) -> bool {
        self.len() == other.len() && self.values().all(|d| other.get(&d.donation.id) == Some(d))
    }
}

impl Eq for Donations {}

impl std::fmt::Debug for Donations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.values().map(|d| (&d.donation.id, d))).finish()
    }
}

/// The idempotency keys used so far: (live id, key) → (digest of the request
/// body, donation id). Every donation from an integration carries a key, so a
/// log of a million of them keeps a million entries, and each entry is kept
/// small:
/// - no text of the key: (live id, key) is kept as a 128-bit digest under keys
///   drawn at random once per process (the standard library's keyed hasher,
///   twice). Without those keys no client can aim a key of its own at another
///   one, and two of a million keys meet by chance with odds of about 2^-88;
/// - the body digest as its 32 bytes (the log keeps it as 64 hex digits);
/// - the donation id inline, without an allocation of its own, up to 23 bytes
///   (the server's ids are 12).
///
/// Entries sit in blocks of `KEY_BLOCK` that never move, found through a
/// table of their indices (4 bytes a slot): growing the table or adding a block
/// copies no entry, and no memory is taken but what entries fill.
#[derive(Clone, Default)]
pub struct IdempotencyKeys {
    blocks: Vec<Vec<Keyed>>,
    /// Indices into `blocks`, placed by the first half of each entry's key digest.
    table: hashbrown::HashTable<u32>,
}

/// Entries in one block of [`IdempotencyKeys`].
const KEY_BLOCK: usize = 4096;

#[derive(Clone)]
struct Keyed {
    key: [u64; 2],
    body: [u8; 32],
    donation_id: SmolStr,
}

/// The digest that stands for (live id, key) in [`IdempotencyKeys`].
fn key_digest(live_id: &str, key: &str) -> [u64; 2] {
    static KEYS: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(std::hash::RandomState::new);
    [keys.hash_one((0u8, live_id, key)), keys.hash_one((1u8, live_id, key))]
}

impl IdempotencyKeys {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    fn at(blocks: &[Vec<Keyed>], i: u32) -> &Keyed {
        let i = i as usize;
        &blocks[i / KEY_BLOCK][i % KEY_BLOCK]
    }

    fn at_mut(blocks: &mut [Vec<Keyed>], i: u32) -> &mut Keyed {
        let i = i as usize;
        &mut blocks[i / KEY_BLOCK][i % KEY_BLOCK]
    }

    fn find(&self, key: [u64; 2]) -> Option<&Keyed> {
        let blocks = &self.blocks;
        self.table.find(key[0], |&i| Self::at(blocks, i).key == key).map(|&i| Self::at(blocks, i))
    }

    /// The body digest and the donation id that this key of this live was first used for.
    pub fn get(&self, live_id: &str, key: &str) -> Option<(&[u8; 32], &str)> {
        self.find(key_digest(live_id, key)).map(|k| (&k.body, k.donation_id.as_str()))
    }

    /// Records a key's first use (or replaces it).
    pub fn insert(&mut self, live_id: &str, key: &str, body: [u8; 32], donation_id: &str) {
        let key = key_digest(live_id, key);
        let keyed = Keyed { key, body, donation_id: donation_id.into() };
        let next = u32::try_from(self.table.len()).expect("fewer than 2^32 idempotency keys");
        let blocks = &mut self.blocks;
        let entry = self.table.entry(key[0], |&i| Self::at(blocks, i).key == key, |&i| Self::at(blocks, i).key[0]);
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => *Self::at_mut(blocks, *e.get()) = keyed,
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(next);
                match blocks.last_mut() {
                    Some(last) if last.len() < KEY_BLOCK => last.push(keyed),
                    _ => {
                        let mut block = Vec::with_capacity(KEY_BLOCK);
                        block.push(keyed);
                        blocks.push(block);
                    }
                }
            }
        }
    }

    fn entries(&self) -> impl Iterator<Item = &Keyed> {
        self.blocks.iter().flatten()
    }
}

impl PartialEq for IdempotencyKeys {
    fn eq(&self, other: &IdempotencyKeys) -> bool {
        self.len() == other.len()
            && self
                .entries()
                .all(|k| other.find(k.key).is_some_and(|o| o.body == k.body && o.donation_id == k.donation_id))
    }
}

impl Eq for IdempotencyKeys {}

impl std::fmt::Debug for IdempotencyKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entry =
            |k: &Keyed| (format!("{:016x}{:016x}", k.key[0], k.key[1]), (hex::encode(k.body), k.donation_id.clone()));
        f.debug_map().entries(self.entries().map(entry)).finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    pub limits: Limits,
    pub last_seq: u64,
    pub campaigns: HashMap<String, CampaignState>,
    pub lives: HashMap<String, LiveState>,
    pub donations: Donations,
    /// Match id → campaign id.
    pub match_index: HashMap<String, String>,
    /// Milestone id → campaign id.
    pub milestone_index: HashMap<String, String>,
    /// Delayed texts by release time: (milliseconds, donation id).
    pub releases: BTreeSet<(i64, SmolStr)>,
    /// (live id, key) → (body digest, donation id).
    pub idempotency: IdempotencyKeys,
    pub integrations: HashMap<String, Integration>,
    pub subscribers: HashMap<String, Subscriber>,
    /// Ids of deleted integrations and subscribers: never given again, so that
    /// nothing meant for the old one can reach a new one.
    pub retired: BTreeSet<String>,
    /// Donations whose recorded matching differs from what the rules give on
    /// replay; always 0 unless the log was written by different rules.
    pub diverged: u64,
}

impl State {
    pub fn new(limits: Limits) -> Self {
        State { limits, ..State::default() }
    }

    /// Whether `by` may write to this live.
    fn may(&self, by: &Principal, live_id: &str) -> bool {
        match by {
            Principal::Admin => true,
            Principal::LiveKey(l) => l == live_id,
            Principal::Host(l) => l == live_id || self.same_host(l, live_id),
            Principal::Campaign(c) => self.lives.get(live_id).is_some_and(|l| &l.live.campaign_id == c),
        }
    }

    /// A reward of a live that `by` may change: the live and the reward, or why not.
    fn reward_for_host(
        &self,
        by: &Principal,
        live_id: &str,
        reward_id: &str,
    ) -> Result<(&LiveState, &RewardState), Refusal> {
        let live = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
        let r = live.reward(reward_id).ok_or(Refusal::RewardNotFound)?;
        if !self.may(by, live_id) {
            return Err(Refusal::Forbidden);
        }
        Ok((live, r))
    }

    /// The moderators by name of `live_id`'s host in its campaign (each on the
    /// live they were made on), whose links open all of the host's lives there.
    fn host_moderators<'a>(&'a self, live_id: &'a str) -> impl Iterator<Item = (&'a str, &'a Moderator)> + 'a {
        self.lives
            .iter()
            .filter(move |(id, _)| self.same_host(live_id, id))
            .flat_map(|(id, l)| l.moderators.iter().map(move |m| (id.as_str(), m)))
    }

    /// Whether two lives are one host's in one campaign.
    fn same_host(&self, a: &str, b: &str) -> bool {
        match (self.lives.get(a), self.lives.get(b)) {
            (Some(a), Some(b)) => {
                a.live.campaign_id == b.live.campaign_id
                    && super::host_key(&a.live.host) == super::host_key(&b.live.host)
            }
            _ => false,
        }
    }

    /// Whether `by` may manage this integration: its live's key, or the admin.
    fn may_manage(&self, by: &Principal, i: &Integration) -> bool {
        match &i.live_id {
            Some(l) => self.may(by, l),
            None => *by == Principal::Admin,
        }
    }

    pub fn decide(&self, cmd: &Command) -> Result<Decision, Refusal> {
        match cmd {
            Command::CreateCampaign(c) => {
                if self.campaigns.contains_key(&c.id) {
                    return Err(Refusal::IdTaken("campaign"));
                }
                Ok(Decision::Append(Fact::CampaignCreated { campaign: c.clone() }))
            }
            Command::CreateMatch(m) => {
                if !self.campaigns.contains_key(&m.campaign_id) {
                    return Err(Refusal::CampaignNotFound);
                }
                if self.match_index.contains_key(&m.id) {
                    return Err(Refusal::IdTaken("match"));
                }
                Ok(Decision::Append(Fact::MatchCreated { r#match: m.clone() }))
            }
            Command::CreateLive(l) => {
                if !self.campaigns.contains_key(&l.campaign_id) {
                    return Err(Refusal::CampaignNotFound);
                }
                if self.lives.contains_key(&l.id) {
                    return Err(Refusal::IdTaken("live"));
                }
                Ok(Decision::Append(Fact::LiveCreated { live: l.clone() }))
            }
            Command::Donate { by, donation, idempotency, reward } => {
                self.decide_donation(by, donation, idempotency, reward.as_deref())
            }
            Command::Refund { by, donation_id, so_far } => {
                let d = self.donation_for(by, donation_id)?;
                let unchanged = Ok(Decision::AlreadyRefunded { donation_id: donation_id.clone() });
                if d.refunded {
                    return unchanged;
                }
                let refunded_amount = match so_far {
                    None => None,
                    Some(t) => {
                        if let Some(got) = t.currency
                            && got != d.currency
                        {
                            return Err(Refusal::CurrencyMismatch { expected: d.currency, got });
                        }
                        if t.amount < 1 || t.amount > d.amount {
                            return Err(Refusal::RefundOutOfRange { amount: d.amount });
                        }
                        if t.amount <= d.refunded_amount {
                            // Already given back (a repeated or late report).
                            return unchanged;
                        }
                        (t.amount < d.amount).then_some(t.amount)
                    }
                };
                Ok(Decision::Append(Fact::DonationRefunded { donation_id: donation_id.clone(), refunded_amount }))
            }
            Command::RotateLiveSecrets { by, live_id, key_hash, overlay_hash, host_hash, moderator_hash } => {
                if !self.lives.contains_key(live_id) {
                    return Err(Refusal::LiveNotFound);
                }
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                Ok(Decision::Append(Fact::LiveSecretsRotated {
                    live_id: live_id.clone(),
                    key_hash: *key_hash,
                    overlay_hash: *overlay_hash,
                    host_hash: *host_hash,
                    moderator_hash: *moderator_hash,
                }))
            }
            Command::CreateIntegration { by, integration } => {
                match (&integration.live_id, &integration.campaign_id) {
                    (Some(l), None) if !self.lives.contains_key(l) => return Err(Refusal::LiveNotFound),
                    (None, Some(c)) if !self.campaigns.contains_key(c) => return Err(Refusal::CampaignNotFound),
                    (Some(_), None) | (None, Some(_)) => {}
                    _ => return Err(Refusal::LiveNotFound),
                }
                if !self.may_manage(by, integration) {
                    return Err(Refusal::Forbidden);
                }
                if self.integrations.contains_key(&integration.id) || self.retired.contains(&integration.id) {
                    return Err(Refusal::IdTaken("integration"));
                }
                Ok(Decision::Append(Fact::IntegrationCreated { integration: integration.clone() }))
            }
            Command::CreateSubscriber(sub) => {
                if sub.campaign_id.as_ref().is_some_and(|c| !self.campaigns.contains_key(c)) {
                    return Err(Refusal::CampaignNotFound);
                }
                if self.subscribers.contains_key(&sub.id) || self.retired.contains(&sub.id) {
                    return Err(Refusal::IdTaken("subscriber"));
                }
                Ok(Decision::Append(Fact::SubscriberCreated { subscriber: sub.clone() }))
            }
            Command::CreateMilestone { by, milestone: m } => {
                let c = self.campaigns.get(&m.campaign_id).ok_or(Refusal::CampaignNotFound)?;
                if let Some(l) = &m.live_id
                    && !c.lives.contains(l)
                {
                    return Err(Refusal::LiveNotFound);
                }
                let allowed = match &m.live_id {
                    Some(l) => self.may(by, l),
                    None => *by == Principal::Admin,
                };
                if !allowed {
                    return Err(Refusal::Forbidden);
                }
                if self.milestone_index.contains_key(&m.id) {
                    return Err(Refusal::IdTaken("milestone"));
                }
                Ok(Decision::Append(Fact::MilestoneCreated { milestone: m.clone() }))
            }
            Command::CreateChallenge { by, milestone: m, minutes } => {
                let live_id = m.live_id.as_deref().ok_or(Refusal::LiveNotFound)?;
                let live = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if self.milestone_index.contains_key(&m.id) {
                    return Err(Refusal::IdTaken("milestone"));
                }
                let from = live.totals.total;
                let amount = from.checked_add(m.amount).ok_or(Refusal::TotalsOverflow)?;
                let ends_at = Timestamp::from_millis(m.created_at.millis() + i64::from(*minutes) * 60_000);
                let milestone = Milestone {
                    campaign_id: live.live.campaign_id.clone(),
                    amount,
                    from: Some(from),
                    ends_at: Some(ends_at),
                    ..m.clone()
                };
                Ok(Decision::Append(Fact::MilestoneCreated { milestone }))
            }
            Command::Tick => Ok(Decision::Nothing),
            Command::UpdateCampaign(c) => {
                if !self.campaigns.contains_key(&c.id) {
                    return Err(Refusal::CampaignNotFound);
                }
                Ok(Decision::Append(Fact::CampaignUpdated { campaign: c.clone() }))
            }
            Command::UpdateLive(l) => {
                if !self.lives.contains_key(&l.id) {
                    return Err(Refusal::LiveNotFound);
                }
                Ok(Decision::Append(Fact::LiveUpdated { live: l.clone() }))
            }
            Command::RenameHost { campaign_id, from, to } => {
                let c = self.campaigns.get(campaign_id).ok_or(Refusal::CampaignNotFound)?;
                let key = super::host_key(from);
                let theirs: Vec<&Live> = c
                    .lives
                    .iter()
                    .filter_map(|id| self.lives.get(id))
                    .map(|l| &l.live)
                    .filter(|l| super::host_key(&l.host) == key)
                    .collect();
                if theirs.is_empty() {
                    return Err(Refusal::HostNotFound);
                }
                let facts: Vec<Fact> = theirs
                    .into_iter()
                    .filter(|l| l.host != *to)
                    .map(|l| Fact::LiveUpdated { live: Live { host: to.clone(), ..l.clone() } })
                    .collect();
                Ok(if facts.is_empty() { Decision::Nothing } else { Decision::AppendAll(facts) })
            }
            Command::SetLiveGoal { by, live_id, goal } => {
                let l = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                Ok(Decision::Append(Fact::LiveUpdated { live: Live { goal: *goal, ..l.live.clone() } }))
            }
            Command::SetStreamUrl { by, live_id, stream_url } => {
                let l = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if l.live.stream_url == *stream_url {
                    return Ok(Decision::Nothing);
                }
                Ok(Decision::Append(Fact::LiveUpdated {
                    live: Live { stream_url: stream_url.clone(), ..l.live.clone() },
                }))
            }
            Command::StartLive { by, live_id, at } => {
                let l = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if l.live.cancelled {
                    return Err(Refusal::LiveCancelled);
                }
                if l.live.on_air(*at) {
                    return Err(Refusal::LiveOnAir);
                }
                Ok(Decision::Append(Fact::LiveUpdated {
                    live: Live { scheduled_at: Some(*at), ended_at: None, ..l.live.clone() },
                }))
            }
            Command::EndLive { by, live_id, at } => {
                let l = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if !l.live.on_air(*at) {
                    return Err(if l.live.cancelled { Refusal::LiveCancelled } else { Refusal::LiveNotOnAir });
                }
                Ok(Decision::Append(Fact::LiveUpdated { live: Live { ended_at: Some(*at), ..l.live.clone() } }))
            }
            Command::ExtendLive { by, live_id, minutes, at } => {
                let l = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if !l.live.on_air(*at) {
                    return Err(if l.live.cancelled { Refusal::LiveCancelled } else { Refusal::LiveNotOnAir });
                }
                // On air: it has a start and an end.
                let (Some(start), Some(end)) = (l.live.scheduled_at, l.live.ends_at()) else {
                    return Err(Refusal::LiveNotOnAir);
                };
                let length = (end.millis() - start.millis() + 59_999) / 60_000 + i64::from(*minutes);
                let length = u32::try_from(length).ok().filter(|m| *m <= LIVE_MINUTES_MAX);
                let Some(length) = length else { return Err(Refusal::LiveTooLong { max: LIVE_MINUTES_MAX }) };
                Ok(Decision::Append(Fact::LiveUpdated {
                    live: Live { duration_minutes: Some(length), ended_at: None, ..l.live.clone() },
                }))
            }
            Command::SetModeration { by, live_id, moderation } => {
                if !self.lives.contains_key(live_id) {
                    return Err(Refusal::LiveNotFound);
                }
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                Ok(Decision::Append(Fact::ModerationSet { live_id: live_id.clone(), moderation: moderation.clone() }))
            }
            Command::Approve { by, actor, donation_id } => {
                let d = self.donation_for(by, donation_id)?;
                if !d.pending {
                    return Ok(Decision::Current { donation_id: donation_id.clone() });
                }
                Ok(Decision::Append(Fact::TextReleased { donation_id: donation_id.clone(), by: Some(actor.clone()) }))
            }
            Command::AddModerator { by, live_id, moderator } => {
                let l = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if l.moderators.len() >= MODERATORS_MAX {
                    return Err(Refusal::TooManyModerators { max: MODERATORS_MAX });
                }
                // One name once among the host's lives of the campaign, which
                // each of their moderators' links opens.
                let name = moderator.name.trim().to_lowercase();
                if self.host_moderators(live_id).any(|(_, m)| m.name.trim().to_lowercase() == name) {
                    return Err(Refusal::ModeratorNameTaken);
                }
                Ok(Decision::Append(Fact::ModeratorAdded { live_id: live_id.clone(), moderator: moderator.clone() }))
            }
            Command::RemoveModerator { by, live_id, moderator_id } => {
                if !self.lives.contains_key(live_id) {
                    return Err(Refusal::LiveNotFound);
                }
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                // Made on this live or on another of its host's.
                let (owner, _) = self
                    .host_moderators(live_id)
                    .find(|(_, m)| m.id == moderator_id.as_str())
                    .ok_or(Refusal::ModeratorNotFound)?;
                Ok(Decision::Append(Fact::ModeratorRemoved {
                    live_id: owner.to_owned(),
                    moderator_id: moderator_id.clone(),
                }))
            }
            Command::Hide { by, actor, donation_id, donor, message } => {
                let d = self.donation_for(by, donation_id)?;
                let donor = *donor && !d.donor_hidden;
                let message = *message && !d.message_hidden;
                if !donor && !message {
                    return Ok(Decision::Current { donation_id: donation_id.clone() });
                }
                let by = Some(actor.clone());
                Ok(Decision::Append(Fact::TextHidden { donation_id: donation_id.clone(), donor, message, by }))
            }
            Command::Show { by, actor, donation_id, donor, message } => {
                let d = self.donation_for(by, donation_id)?;
                let donor = *donor && d.donor_hidden;
                let message = *message && d.message_hidden;
                if !donor && !message {
                    return Ok(Decision::Current { donation_id: donation_id.clone() });
                }
                let by = Some(actor.clone());
                Ok(Decision::Append(Fact::TextShown { donation_id: donation_id.clone(), donor, message, by }))
            }
            Command::TestAlert { by, donation } => {
                let live = self.lives.get(donation.live_id.as_str()).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, &donation.live_id) {
                    return Err(Refusal::Forbidden);
                }
                let donation =
                    Donation { campaign_id: live.live.campaign_id.as_str().into(), test: true, ..donation.clone() }
                        .masked_with(&live.words);
                Ok(Decision::Append(Fact::TestAlert { donation }))
            }
            Command::ReplayAlert { by, donation_id } => {
                let d = self.donation_for(by, donation_id)?;
                if d.refunded {
                    return Err(Refusal::DonationRefunded);
                }
                if d.pending {
                    return Err(Refusal::TextPending);
                }
                Ok(Decision::Append(Fact::AlertReplayed { donation_id: donation_id.clone() }))
            }
            Command::PauseAlerts { by, live_id, paused } => {
                let l = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if l.live.alerts_paused == *paused {
                    return Ok(Decision::Nothing);
                }
                Ok(Decision::Append(Fact::LiveUpdated { live: Live { alerts_paused: *paused, ..l.live.clone() } }))
            }
            Command::SkipAlert { by, live_id } => {
                if !self.lives.contains_key(live_id) {
                    return Err(Refusal::LiveNotFound);
                }
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                Ok(Decision::Append(Fact::AlertSkipped { live_id: live_id.clone() }))
            }
            Command::CancelChallenge { by, live_id, milestone_id, at: now } => {
                self.open_challenge(by, live_id, milestone_id, *now)?;
                Ok(Decision::Append(Fact::ChallengeCancelled { milestone_id: milestone_id.clone() }))
            }
            Command::UpdateChallenge { by, live_id, milestone_id, label, amount, minutes, at: now } => {
                let m = &self.open_challenge(by, live_id, milestone_id, *now)?.milestone;
                let mut next = m.clone();
                if let Some(label) = label {
                    next.label.clone_from(label);
                }
                if let Some(asked) = amount {
                    next.amount = m.from.unwrap_or(0).checked_add(*asked).ok_or(Refusal::TotalsOverflow)?;
                }
                if let Some(minutes) = minutes {
                    next.ends_at = Some(ends_after("challenge", m.created_at, *minutes, *now)?);
                }
                if next == *m {
                    return Ok(Decision::Nothing);
                }
                Ok(Decision::Append(Fact::ChallengeUpdated { milestone: next }))
            }
            Command::RemoveMilestone { by, campaign_id, live_id, milestone_id } => {
                let ms = self
                    .milestone_state(milestone_id)
                    .filter(|m| {
                        let m = &m.milestone;
                        &m.campaign_id == campaign_id
                            && m.ends_at.is_none()
                            && !m.cancelled
                            && live_id.as_ref().is_none_or(|l| m.live_id.as_ref() == Some(l))
                    })
                    .ok_or(Refusal::MilestoneNotFound)?;
                let allowed = match live_id {
                    Some(l) => self.may(by, l),
                    None => *by == Principal::Admin,
                };
                if !allowed {
                    return Err(Refusal::Forbidden);
                }
                if ms.reached.is_some() {
                    return Err(Refusal::MilestoneReached);
                }
                Ok(Decision::Append(Fact::MilestoneRemoved { milestone_id: milestone_id.clone() }))
            }
            Command::StartPoll { by, poll, minutes } => {
                let live = self.lives.get(&poll.live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, &poll.live_id) {
                    return Err(Refusal::Forbidden);
                }
                if live.poll(&poll.id).is_some() {
                    return Err(Refusal::IdTaken("poll"));
                }
                if live.open_poll(poll.created_at).is_some() {
                    return Err(Refusal::PollOpen);
                }
                let ends_at = minutes.map(|m| Timestamp::from_millis(poll.created_at.millis() + i64::from(m) * 60_000));
                let poll = Poll { ends_at, closed_at: None, ..poll.clone() };
                Ok(Decision::Append(Fact::PollStarted { poll }))
            }
            Command::ClosePoll { by, live_id, poll_id, at: now } => {
                let live = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                let p = live.poll(poll_id).ok_or(Refusal::PollNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if !p.poll.is_open(*now) {
                    return Err(Refusal::PollOver);
                }
                Ok(Decision::Append(Fact::PollClosed { live_id: live_id.clone(), poll_id: poll_id.clone() }))
            }
            Command::UpdatePoll { by, live_id, poll_id, question, minutes, at: now } => {
                let live = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                let p = &live.poll(poll_id).ok_or(Refusal::PollNotFound)?.poll;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                if !p.is_open(*now) {
                    return Err(Refusal::PollOver);
                }
                let mut next = p.clone();
                if let Some(question) = question {
                    next.question.clone_from(question);
                }
                if let Some(minutes) = minutes {
                    next.ends_at = Some(ends_after("poll", p.created_at, *minutes, *now)?);
                }
                if next == *p {
                    return Ok(Decision::Nothing);
                }
                Ok(Decision::Append(Fact::PollUpdated { poll: next }))
            }
            Command::OfferReward { by, reward } => {
                let live = self.lives.get(&reward.live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, &reward.live_id) {
                    return Err(Refusal::Forbidden);
                }
                if live.reward(&reward.id).is_some() {
                    return Err(Refusal::IdTaken("reward"));
                }
                let offered = live.offered_tags(None);
                if offered.len() >= REWARDS_MAX {
                    return Err(Refusal::TooManyRewards { max: REWARDS_MAX });
                }
                // The keyword its host chose, else one from its title.
                let tag = match reward.tag.as_str() {
                    "" => Reward::tag_for(&reward.title, &offered),
                    asked if offered.contains(&asked) => return Err(Refusal::TagTaken),
                    asked => asked.to_owned(),
                };
                Ok(Decision::Append(Fact::RewardOffered { reward: Reward { tag, closed_at: None, ..reward.clone() } }))
            }
            Command::CloseReward { by, live_id, reward_id } => {
                let (_, r) = self.reward_for_host(by, live_id, reward_id)?;
                if r.reward.closed_at.is_some() {
                    return Err(Refusal::RewardClosed);
                }
                Ok(Decision::Append(Fact::RewardClosed { live_id: live_id.clone(), reward_id: reward_id.clone() }))
            }
            Command::UpdateReward { by, reward } => {
                let (live, r) = self.reward_for_host(by, &reward.live_id, &reward.id)?;
                if reward.quantity.is_some_and(|q| (q as usize) < r.claimed()) {
                    return Err(Refusal::QuantityBelowClaimed { claimed: r.claimed() });
                }
                // A keyword another offered reward has would claim either.
                if r.reward.closed_at.is_none() && live.offered_tags(Some(&reward.id)).contains(&reward.tag.as_str()) {
                    return Err(Refusal::TagTaken);
                }
                let reward =
                    Reward { created_at: r.reward.created_at, closed_at: r.reward.closed_at, ..reward.clone() };
                if reward == r.reward {
                    return Ok(Decision::Nothing);
                }
                Ok(Decision::Append(Fact::RewardUpdated { reward }))
            }
            Command::ReopenReward { by, live_id, reward_id } => {
                let (live, r) = self.reward_for_host(by, live_id, reward_id)?;
                if r.reward.closed_at.is_none() {
                    return Err(Refusal::RewardOpen);
                }
                let offered = live.offered_tags(None);
                if offered.len() >= REWARDS_MAX {
                    return Err(Refusal::TooManyRewards { max: REWARDS_MAX });
                }
                if offered.contains(&r.reward.tag.as_str()) {
                    return Err(Refusal::TagTaken);
                }
                Ok(Decision::Append(Fact::RewardUpdated { reward: Reward { closed_at: None, ..r.reward.clone() } }))
            }
            Command::DeliverReward { by, live_id, donation_id, delivered } => {
                let live = self.lives.get(live_id).ok_or(Refusal::LiveNotFound)?;
                if !self.may(by, live_id) {
                    return Err(Refusal::Forbidden);
                }
                let r = live.reward_of(donation_id).ok_or(Refusal::ClaimNotFound)?;
                if r.claims.iter().any(|c| c.donation_id == donation_id.as_str() && c.delivered == *delivered) {
                    return Ok(Decision::Nothing);
                }
                Ok(Decision::Append(Fact::RewardDelivered {
                    live_id: live_id.clone(),
                    donation_id: donation_id.clone(),
                    delivered: *delivered,
                }))
            }
            Command::DrawPrize { by, draw, minutes, seed, more } => {
                let live = self.lives.get(&draw.live_id).ok_or(Refusal::LiveNotFound)?;
                // Among every live's donations: the organisers' call, not one live's.
                if !self.may(by, &draw.live_id) || (draw.campaign_wide && *by != Principal::Admin) {
                    return Err(Refusal::Forbidden);
                }
                if live.draws.iter().any(|d| d.id == draw.id) {
                    return Err(Refusal::IdTaken("draw"));
                }
                if more.iter().any(|(id, _)| *id == draw.id || live.draws.iter().any(|d| d.id == *id)) {
                    return Err(Refusal::IdTaken("draw"));
                }
                let since = minutes.map(|m| Timestamp::from_millis(draw.at.millis() - i64::from(m) * 60_000));
                let first = Draw { since, ..draw.clone() };
                let mut drawn = vec![self.draw_one(live, first, *seed, &[]).ok_or(Refusal::NoEntries)?];
                for (id, seed) in more {
                    let won: Vec<&str> = drawn.iter().map(|d| d.winner.as_str()).collect();
                    let next = Draw { id: id.clone(), since, ..draw.clone() };
                    // Fewer donations enter than winners asked for: those drawn stand.
                    let Some(d) = self.draw_one(live, next, *seed, &won) else { break };
                    drawn.push(d);
                }
                let mut facts: Vec<Fact> = drawn.into_iter().map(|draw| Fact::PrizeDrawn { draw }).collect();
                Ok(if facts.len() == 1 { Decision::Append(facts.remove(0)) } else { Decision::AppendAll(facts) })
            }
            Command::UpdateMatch(m) => {
                let current = self.match_state(&m.id).ok_or(Refusal::MatchNotFound)?;
                if current.r#match.campaign_id != m.campaign_id {
                    return Err(Refusal::MatchNotFound);
                }
                if m.cap < current.used {
                    return Err(Refusal::CapBelowUsed { used: current.used });
                }
                Ok(Decision::Append(Fact::MatchUpdated { r#match: m.clone() }))
            }
            Command::ReplaceIntegrationSecret { by, integration_id, secret } => {
                let i = self.integrations.get(integration_id).ok_or(Refusal::IntegrationNotFound)?;
                if !self.may_manage(by, i) {
                    return Err(Refusal::Forbidden);
                }
                Ok(Decision::Append(Fact::IntegrationSecretReplaced {
                    integration_id: integration_id.clone(),
                    secret: secret.clone(),
                }))
            }
            Command::RemoveIntegration { by, integration_id } => {
                let i = self.integrations.get(integration_id).ok_or(Refusal::IntegrationNotFound)?;
                if !self.may_manage(by, i) {
                    return Err(Refusal::Forbidden);
                }
                Ok(Decision::Append(Fact::IntegrationRemoved { integration_id: integration_id.clone() }))
            }
            Command::UpdateSubscriber(sub) => {
                if !self.subscribers.contains_key(&sub.id) {
                    return Err(Refusal::SubscriberNotFound);
                }
                Ok(Decision::Append(Fact::SubscriberUpdated { subscriber: sub.clone() }))
            }
            Command::EraseDonation { donation_id } => {
                let d = self.donation_for(&Principal::Admin, donation_id)?;
                if d.erased {
                    return Ok(Decision::Current { donation_id: donation_id.clone() });
                }
                Ok(Decision::Append(Fact::DonationErased { donation_id: donation_id.clone() }))
            }
            Command::RemoveSubscriber { subscriber_id } => {
                if !self.subscribers.contains_key(subscriber_id) {
                    return Err(Refusal::SubscriberNotFound);
                }
                Ok(Decision::Append(Fact::SubscriberRemoved { subscriber_id: subscriber_id.clone() }))
            }
            Command::RotateCampaignOverlay { campaign_id, overlay_hash } => {
                if !self.campaigns.contains_key(campaign_id) {
                    return Err(Refusal::CampaignNotFound);
                }
                Ok(Decision::Append(Fact::CampaignOverlayRotated {
                    campaign_id: campaign_id.clone(),
                    overlay_hash: *overlay_hash,
                }))
            }
            Command::RotateCampaignReport { campaign_id, report_hash } => {
                if !self.campaigns.contains_key(campaign_id) {
                    return Err(Refusal::CampaignNotFound);
                }
                Ok(Decision::Append(Fact::CampaignReportRotated {
                    campaign_id: campaign_id.clone(),
                    report_hash: *report_hash,
                }))
            }
        }
    }

    fn donation_for(&self, by: &Principal, donation_id: &str) -> Result<&Donation, Refusal> {
        let d = &self.donations.get(donation_id).ok_or(Refusal::DonationNotFound)?.donation;
        if !self.may(by, &d.live_id) {
            return Err(Refusal::Forbidden);
        }
        Ok(d)
    }

    /// The donation a fact is about, as it is before the fact is folded.
    pub fn donation_before(&self, fact: &Fact) -> Option<Donation> {
        match fact {
            Fact::DonationRefunded { donation_id, .. }
            | Fact::TextReleased { donation_id, .. }
            | Fact::TextHidden { donation_id, .. }
            | Fact::TextShown { donation_id, .. }
            | Fact::DonationErased { donation_id } => Some(self.donations.get(donation_id)?.donation.clone()),
            _ => None,
        }
    }

    /// The next fact the state calls for by itself at `now`: a match used up,
    /// a window opened or closed, a milestone crossed. The writer appends it right
    /// after the event that caused it, so each is recorded exactly once.
    /// `campaign`: only look at that campaign (after one of its events); `None`: all.
    pub fn follow_up(&self, campaign: Option<&str>, now: Timestamp) -> Option<Fact> {
        match campaign {
            Some(id) => self.campaigns.get(id).and_then(|c| self.follow_up_in(c, now)),
            None => {
                if let Some((at, id)) = self.releases.first()
                    && *at <= now.millis()
                {
                    return Some(Fact::TextReleased { donation_id: id.to_string(), by: None });
                }
                let mut ids: Vec<&String> = self.campaigns.keys().collect();
                ids.sort();
                ids.into_iter().find_map(|id| self.follow_up_in(&self.campaigns[id], now))
            }
        }
    }

    fn follow_up_in(&self, c: &CampaignState, now: Timestamp) -> Option<Fact> {
        for m in &c.matches {
            let id = || m.r#match.id.clone();
            if !m.used_up && m.used >= m.r#match.cap {
                return Some(Fact::MatchUsedUp { match_id: id() });
            }
            if !m.ended && m.r#match.ends_at.is_some_and(|e| now >= e) {
                return Some(Fact::MatchEnded { match_id: id() });
            }
            if !m.started && !m.ended && m.r#match.is_active(now) {
                return Some(Fact::MatchStarted { match_id: id() });
            }
        }
        // A live's start came while it is on by the schedule: announced once.
        if let Some((start, _, live_id)) =
            c.starts.iter().take_while(|(s, ..)| *s <= now).find(|(_, end, _)| now < *end)
        {
            return Some(Fact::LiveStarted { live_id: live_id.clone(), scheduled_at: *start });
        }
        // A live whose start was announced came to its end: announced once, not
        // an hour or more late.
        if let Some((end, live_id)) = c
            .ends
            .iter()
            .take_while(|(end, _)| *end <= now)
            .find(|(end, _)| now.millis() < end.millis().saturating_add(ENDS_MISSED_AFTER_MS))
        {
            return Some(Fact::LiveEnded { live_id: live_id.clone(), ends_at: *end });
        }
        // The campaign's collection opened: announced once, not an hour or more
        // late nor once it is over.
        if let Some(start) = c.campaign.starts_at
            && start <= now
            && now.millis() < start.millis().saturating_add(ENDS_MISSED_AFTER_MS)
            && c.campaign.ends_at.is_none_or(|end| now < end)
            && c.campaign.created_at < start
            && c.opened != Some(start)
        {
            return Some(Fact::CampaignOpened { campaign_id: c.campaign.id.clone(), starts_at: start });
        }
        // The campaign came to its end: announced once, not an hour or more late.
        if let Some(end) = c.campaign.ends_at
            && end <= now
            && now.millis() < end.millis().saturating_add(ENDS_MISSED_AFTER_MS)
            && c.campaign.created_at < end
            && c.ended != Some(end)
        {
            return Some(Fact::CampaignEnded { campaign_id: c.campaign.id.clone(), ends_at: end });
        }
        // A poll's time is up: closed, once, at its deadline.
        if let Some((_, live_id, poll_id)) = c.poll_deadlines.iter().find(|(end, ..)| now >= *end) {
            return Some(Fact::PollClosed { live_id: live_id.clone(), poll_id: poll_id.clone() });
        }
        for ms in c.milestones.iter().filter(|m| m.reached.is_none() && !m.milestone.cancelled) {
            let m = &ms.milestone;
            // A challenge's time is up: reached later, it no longer counts. Its
            // end is announced once, not an hour or more late.
            if let Some(end) = m.ends_at
                && now > end
            {
                if ms.missed.is_none() && now.millis() < end.millis().saturating_add(ENDS_MISSED_AFTER_MS) {
                    return Some(Fact::ChallengeMissed { milestone_id: m.id.clone() });
                }
                continue;
            }
            let total = match &m.live_id {
                Some(l) => self.lives.get(l).map_or(0, |l| l.totals.total),
                None => c.totals.total,
            };
            if total >= m.amount {
                return Some(Fact::MilestoneReached { milestone_id: m.id.clone() });
            }
        }
        None
    }

    /// `draw` with its winner: the ticket `seed` points at among the donations
    /// that enter, the donations `won` (this command's earlier winners) left
    /// out; none when none enters.
    fn draw_one(&self, live: &LiveState, draw: Draw, seed: u64, won: &[&str]) -> Option<Draw> {
        let entries = self.draw_entries(live, &draw, won);
        let tickets: u64 = entries.iter().map(|(_, _, t)| t).sum();
        if tickets == 0 {
            return None;
        }
        // The ticket `seed` points at, in [0, tickets): the high half of a
        // 128-bit product (even to within tickets / 2^64).
        let mut ticket = ((u128::from(seed) * u128::from(tickets)) >> 64) as u64;
        let mut winner = &entries[0];
        for e in &entries {
            if ticket < e.2 {
                winner = e;
                break;
            }
            ticket -= e.2;
        }
        Some(Draw { entries: entries.len() as u64, tickets, winner: winner.1.to_string(), ..draw })
    }

    /// The donations that enter a draw of `live`, in the order they came: (seq,
    /// id, tickets). A donation of the live (of any live of its campaign for a
    /// campaign-wide draw) enters when it still counts for at least the draw's
    /// `min_amount`, came at or after its `since`, and won none of the
    /// campaign's earlier draws. Visits every donation of the server: a draw is rare.
    pub fn draw_entries<'a>(&'a self, live: &LiveState, draw: &Draw, won: &[&str]) -> Vec<(u64, &'a str, u64)> {
        let min = draw.min_amount.max(1);
        let campaign = live.live.campaign_id.as_str();
        let lives = self.campaigns.get(campaign).map_or(&[][..], |c| &c.lives[..]);
        let winners: Vec<&str> = lives
            .iter()
            .filter_map(|l| self.lives.get(l))
            .flat_map(|l| l.draws.iter().map(|d| d.winner.as_str()))
            .chain(won.iter().copied())
            .collect();
        let mut entries: Vec<(u64, &str, u64)> = self
            .donations
            .values()
            .filter(|d| {
                let x = &d.donation;
                let ours =
                    if draw.campaign_wide { x.campaign_id == campaign } else { x.live_id == live.live.id.as_str() };
                ours && !x.refunded
                    && !x.test
                    && x.kept() >= min
                    && draw.since.is_none_or(|since| x.at >= since)
                    && !winners.contains(&x.id.as_str())
            })
            .map(|d| {
                let tickets = if draw.weighted { (d.donation.kept() / min) as u64 } else { 1 };
                (d.seq, d.donation.id.as_str(), tickets)
            })
            .collect();
        entries.sort_unstable_by_key(|e| e.0);
        entries
    }

    /// The campaign an event belongs to, if any.
    pub fn campaign_of(&self, fact: &Fact) -> Option<String> {
        Some(match fact {
            Fact::CampaignCreated { campaign } => campaign.id.clone(),
            Fact::MatchCreated { r#match } => r#match.campaign_id.clone(),
            Fact::LiveCreated { live } => live.campaign_id.clone(),
            Fact::DonationReceived { donation, .. } => donation.campaign_id.to_string(),
            Fact::DonationRefunded { donation_id, .. } => {
                self.donations.get(donation_id)?.donation.campaign_id.to_string()
            }
            Fact::LiveSecretsRotated { live_id, .. } => self.lives.get(live_id)?.live.campaign_id.clone(),
            Fact::IntegrationCreated { integration } => self.integration_campaign(integration)?,
            Fact::SubscriberCreated { subscriber } => subscriber.campaign_id.clone()?,
            Fact::MilestoneCreated { milestone } | Fact::ChallengeUpdated { milestone } => {
                milestone.campaign_id.clone()
            }
            Fact::MilestoneReached { milestone_id }
            | Fact::ChallengeMissed { milestone_id }
            | Fact::ChallengeCancelled { milestone_id }
            | Fact::MilestoneRemoved { milestone_id } => self.milestone_index.get(milestone_id)?.clone(),
            Fact::PollStarted { poll } | Fact::PollUpdated { poll } => {
                self.lives.get(&poll.live_id)?.live.campaign_id.clone()
            }
            Fact::PollClosed { live_id, .. }
            | Fact::RewardClosed { live_id, .. }
            | Fact::RewardDelivered { live_id, .. }
            | Fact::LiveStarted { live_id, .. }
            | Fact::LiveEnded { live_id, .. } => self.lives.get(live_id)?.live.campaign_id.clone(),
            Fact::RewardOffered { reward } | Fact::RewardUpdated { reward } => {
                self.lives.get(&reward.live_id)?.live.campaign_id.clone()
            }
            Fact::MatchStarted { match_id } | Fact::MatchEnded { match_id } | Fact::MatchUsedUp { match_id } => {
                self.match_index.get(match_id)?.clone()
            }
            Fact::CampaignUpdated { campaign } => campaign.id.clone(),
            Fact::CampaignEnded { campaign_id, .. } | Fact::CampaignOpened { campaign_id, .. } => campaign_id.clone(),
            Fact::LiveUpdated { live } => live.campaign_id.clone(),
            Fact::ModerationSet { live_id, .. }
            | Fact::AlertSkipped { live_id }
            | Fact::ModeratorAdded { live_id, .. }
            | Fact::ModeratorRemoved { live_id, .. } => self.lives.get(live_id)?.live.campaign_id.clone(),
            Fact::TextReleased { donation_id, .. }
            | Fact::TextHidden { donation_id, .. }
            | Fact::TextShown { donation_id, .. }
            | Fact::AlertReplayed { donation_id }
            | Fact::DonationErased { donation_id } => self.donations.get(donation_id)?.donation.campaign_id.to_string(),
            Fact::TestAlert { donation } => donation.campaign_id.to_string(),
            Fact::MatchUpdated { r#match } => r#match.campaign_id.clone(),
            Fact::CampaignOverlayRotated { campaign_id, .. } | Fact::CampaignReportRotated { campaign_id, .. } => {
                campaign_id.clone()
            }
            Fact::IntegrationSecretReplaced { integration_id, .. } | Fact::IntegrationRemoved { integration_id } => {
                self.integration_campaign(self.integrations.get(integration_id)?)?
            }
            Fact::SubscriberUpdated { subscriber } => subscriber.campaign_id.clone()?,
            Fact::SubscriberRemoved { subscriber_id } => self.subscribers.get(subscriber_id)?.campaign_id.clone()?,
            Fact::PrizeDrawn { draw } => self.lives.get(&draw.live_id)?.live.campaign_id.clone(),
        })
    }

    /// The campaign an integration serves: its own, or its live's.
    pub fn integration_campaign(&self, i: &Integration) -> Option<String> {
        match (&i.campaign_id, &i.live_id) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(l)) => Some(self.lives.get(l)?.live.campaign_id.clone()),
            (None, None) => None,
        }
    }

    pub fn match_state(&self, match_id: &str) -> Option<&MatchState> {
        let c = self.campaigns.get(self.match_index.get(match_id)?)?;
        c.matches.iter().find(|m| m.r#match.id == match_id)
    }

    pub fn milestone_state(&self, milestone_id: &str) -> Option<&MilestoneState> {
        let c = self.campaigns.get(self.milestone_index.get(milestone_id)?)?;
        c.milestones.iter().find(|m| m.milestone.id == milestone_id)
    }

    /// A challenge of `live_id` still on at `now`, that `by` may call off or
    /// change.
    fn open_challenge(
        &self,
        by: &Principal,
        live_id: &str,
        milestone_id: &str,
        now: Timestamp,
    ) -> Result<&MilestoneState, Refusal> {
        let ms = self
            .milestone_state(milestone_id)
            .filter(|m| m.milestone.ends_at.is_some() && m.milestone.live_id.as_deref() == Some(live_id))
            .ok_or(Refusal::ChallengeNotFound)?;
        if !self.may(by, live_id) {
            return Err(Refusal::Forbidden);
        }
        let over = ms.milestone.ends_at.is_some_and(|e| now > e);
        if ms.reached.is_some() || ms.milestone.cancelled || over {
            return Err(Refusal::ChallengeOver);
        }
        Ok(ms)
    }

    /// Which streams show an event; `None` for events no stream shows.
    pub fn stream_of(&self, fact: &Fact) -> Option<Stream> {
        match fact {
            Fact::DonationReceived { donation, .. } => Some(Stream::Live(donation.live_id.to_string())),
            Fact::DonationRefunded { donation_id, .. } => {
                Some(Stream::Live(self.donations.get(donation_id)?.donation.live_id.to_string()))
            }
            Fact::MilestoneReached { milestone_id }
            | Fact::ChallengeMissed { milestone_id }
            | Fact::MilestoneRemoved { milestone_id } => {
                let m = &self.milestone_state(milestone_id)?.milestone;
                Some(match &m.live_id {
                    Some(l) => Stream::Live(l.clone()),
                    None => Stream::Campaign(m.campaign_id.clone()),
                })
            }
            // A challenge (always a live's) or a milestone, on its stream at once.
            Fact::MilestoneCreated { milestone } => Some(match &milestone.live_id {
                Some(l) => Stream::Live(l.clone()),
                None => Stream::Campaign(milestone.campaign_id.clone()),
            }),
            Fact::ChallengeCancelled { milestone_id } => {
                Some(Stream::Live(self.milestone_state(milestone_id)?.milestone.live_id.clone()?))
            }
            Fact::ChallengeUpdated { milestone } => Some(Stream::Live(milestone.live_id.clone()?)),
            Fact::MatchCreated { .. }
            | Fact::MatchStarted { .. }
            | Fact::MatchEnded { .. }
            | Fact::MatchUsedUp { .. }
            | Fact::MatchUpdated { .. } => Some(Stream::Campaign(self.campaign_of(fact)?)),
            Fact::TextReleased { donation_id, .. }
            | Fact::TextHidden { donation_id, .. }
            | Fact::TextShown { donation_id, .. }
            | Fact::AlertReplayed { donation_id }
            | Fact::DonationErased { donation_id } => {
                Some(Stream::Live(self.donations.get(donation_id)?.donation.live_id.to_string()))
            }
            Fact::TestAlert { donation } => Some(Stream::Live(donation.live_id.to_string())),
            Fact::PollStarted { poll } | Fact::PollUpdated { poll } => Some(Stream::Live(poll.live_id.clone())),
            Fact::PollClosed { live_id, .. }
            | Fact::AlertSkipped { live_id }
            | Fact::RewardClosed { live_id, .. }
            | Fact::RewardDelivered { live_id, .. }
            | Fact::LiveStarted { live_id, .. }
            | Fact::LiveEnded { live_id, .. } => Some(Stream::Live(live_id.clone())),
            Fact::RewardOffered { reward } | Fact::RewardUpdated { reward } => {
                Some(Stream::Live(reward.live_id.clone()))
            }
            Fact::PrizeDrawn { draw } => Some(Stream::Live(draw.live_id.clone())),
            // An edit on air: a new goal, a new time, a new title.
            Fact::LiveUpdated { live } => Some(Stream::Live(live.id.clone())),
            Fact::CampaignUpdated { campaign } => Some(Stream::Campaign(campaign.id.clone())),
            Fact::CampaignEnded { campaign_id, .. } | Fact::CampaignOpened { campaign_id, .. } => {
                Some(Stream::Campaign(campaign_id.clone()))
            }
            _ => None,
        }
    }

    fn decide_donation(
        &self,
        by: &Principal,
        d: &Donation,
        idempotency: &Option<IdempotencyKey>,
        asked_reward: Option<&str>,
    ) -> Result<Decision, Refusal> {
        let live = self.lives.get(d.live_id.as_str()).ok_or(Refusal::LiveNotFound)?;
        if !self.may(by, &d.live_id) {
            return Err(Refusal::Forbidden);
        }
        if let Some(k) = idempotency
            && let Some((body, donation_id)) = self.idempotency.get(&d.live_id, &k.key)
        {
            if *body != k.body_hash.0 {
                return Err(Refusal::IdempotencyConflict);
            }
            return Ok(Decision::Repeat { donation_id: donation_id.to_owned() });
        }
        if self.donations.contains_key(&d.id) {
            return Err(Refusal::IdTaken("donation"));
        }
        let campaign = self.campaigns.get(&live.live.campaign_id).ok_or(Refusal::CampaignNotFound)?;
        let currency = campaign.campaign.currency;
        if d.currency != currency {
            return Err(Refusal::CurrencyMismatch { expected: currency, got: d.currency });
        }
        let max = currency.minor_units(self.limits.max_amount_major);
        if d.amount > max {
            return Err(Refusal::AmountTooLarge { max });
        }
        let allocations = allocate(campaign, d.amount, d.at);
        let matched = allocations.iter().map(|a| a.amount).sum::<i64>();
        live.totals.plus(d.amount, matched).ok_or(Refusal::TotalsOverflow)?;
        campaign.totals.plus(d.amount, matched).ok_or(Refusal::TotalsOverflow)?;
        let has_text = d.message.is_some() || (d.donor.is_some() && !d.anonymous);
        // The option the request named, if it is of the poll open now; else
        // the first keyword of the message.
        let vote = live.open_poll(d.at).and_then(|p| {
            let option = match d.vote.as_deref() {
                Some(v) if v.poll_id == p.poll.id.as_str() && (v.option as usize) < p.poll.options.len() => v.option,
                _ => p.poll.vote_in(d.message.as_deref()?)?,
            };
            Some(Box::new(Vote { poll_id: p.poll.id.as_str().into(), option }))
        });
        let reward = live.reward_for(asked_reward, d).map(|r| SmolStr::from(r.reward.id.as_str()));
        let donation = Donation {
            vote,
            live_id: d.live_id.clone(),
            campaign_id: live.live.campaign_id.as_str().into(),
            matched,
            allocations: allocations.into_boxed_slice(),
            refunded: false,
            pending: has_text && live.moderation.holds_text(),
            ..d.clone()
        }
        .masked_with(&live.words);
        Ok(Decision::Append(Fact::DonationReceived { donation, idempotency: idempotency.clone(), reward }))
    }

    /// Folds one committed event. Events come in seq order; an event that does not
    /// fit the state (which the writer never produces) is skipped with an error.
    pub fn apply(&mut self, ev: &Event) -> Result<(), FoldError> {
        if ev.seq <= self.last_seq {
            return Err(FoldError::OutOfOrder { seq: ev.seq, last: self.last_seq });
        }
        self.last_seq = ev.seq;
        match &ev.fact {
            Fact::CampaignCreated { campaign } => {
                self.campaigns.insert(
                    campaign.id.clone(),
                    CampaignState {
                        campaign: campaign.clone(),
                        totals: Totals::default(),
                        matches: vec![],
                        lives: vec![],
                        milestones: vec![],
                        platforms: PlatformTotals::new(),
                        stream_seq: ev.seq,
                        poll_deadlines: vec![],
                        starts: vec![],
                        ends: vec![],
                        ended: None,
                        opened: None,
                    },
                );
            }
            Fact::MatchCreated { r#match } => {
                let c = self.campaigns.get_mut(&r#match.campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.matches.push(MatchState::new(r#match.clone()));
                self.match_index.insert(r#match.id.clone(), r#match.campaign_id.clone());
            }
            Fact::LiveCreated { live } => {
                let c = self.campaigns.get_mut(&live.campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.lives.push(live.id.clone());
                c.schedule_start(live, None, ev.at);
                self.lives.insert(
                    live.id.clone(),
                    LiveState {
                        live: live.clone(),
                        totals: Totals::default(),
                        created_seq: ev.seq,
                        stream_seq: ev.seq,
                        platforms: PlatformTotals::new(),
                        moderation: Moderation::default(),
                        words: Moderation::default().word_list(),
                        polls: vec![],
                        draws: vec![],
                        rewards: vec![],
                        started: None,
                        ended: None,
                        moderators: vec![],
                    },
                );
            }
            Fact::DonationReceived { donation, idempotency, reward } => {
                return self.receive(ev.seq, donation.clone(), idempotency.clone(), reward.as_deref());
            }
            Fact::DonationRefunded { donation_id, refunded_amount } => {
                let d = &mut self.donations.get_mut(donation_id).ok_or(FoldError::Unknown(ev.seq))?.donation;
                let before = d.refunded_amount;
                let whole = match *refunded_amount {
                    None => true,
                    Some(r) if r > before && r < d.amount => false,
                    Some(_) => return Err(FoldError::Unknown(ev.seq)),
                };
                if d.refunded {
                    return Err(FoldError::Unknown(ev.seq));
                }
                let matched_before = d.matched;
                match refunded_amount {
                    Some(r) => d.refund_part(*r),
                    None => d.refund_whole(),
                }
                let d = &*d;
                let raised_back = d.refunded_amount - before;
                let matched_back = if whole { matched_before } else { matched_before - d.matched };
                let uncounted = u64::from(whole);
                let (Some(l), Some(c)) =
                    (self.lives.get_mut(d.live_id.as_str()), self.campaigns.get_mut(d.campaign_id.as_str()))
                else {
                    return Err(FoldError::Unknown(ev.seq));
                };
                l.totals = l.totals.less(raised_back, matched_back, uncounted);
                if let Some(t) = d.vote.as_deref().and_then(|v| tally_of(&mut l.polls, v)) {
                    t.amount -= raised_back;
                    t.donations -= uncounted;
                }
                // Given back whole, its reward goes back to the others.
                if whole {
                    for c in l.rewards.iter_mut().flat_map(|r| r.claims.iter_mut()) {
                        if c.donation_id == d.id {
                            c.refunded = true;
                        }
                    }
                }
                for p in [&mut l.platforms, &mut c.platforms] {
                    let t = p.entry(d.platform.clone()).or_default();
                    *t = t.less(raised_back, matched_back, uncounted);
                }
                c.totals = c.totals.less(raised_back, matched_back, uncounted);
                // The sponsor gets back its share of what was given back: all of it
                // for a whole refund, its share of the refunded part otherwise.
                for a in &d.allocations {
                    if let Some(m) = c.matches.iter_mut().find(|m| m.r#match.id == a.match_id) {
                        let now = if whole { 0 } else { d.share_kept(a.amount, d.refunded_amount) };
                        m.used -= d.share_kept(a.amount, before) - now;
                        if m.used < m.r#match.cap {
                            m.used_up = false;
                        }
                    }
                }
            }
            Fact::LiveSecretsRotated { live_id, key_hash, overlay_hash, host_hash, moderator_hash } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                if let Some(h) = key_hash {
                    l.live.key_hash = *h;
                }
                if let Some(h) = overlay_hash {
                    l.live.overlay_hash = *h;
                }
                if host_hash.is_some() {
                    l.live.host_hash = *host_hash;
                }
                if moderator_hash.is_some() {
                    l.live.moderator_hash = *moderator_hash;
                }
            }
            Fact::IntegrationCreated { integration } => {
                self.integrations.insert(integration.id.clone(), integration.clone());
            }
            Fact::SubscriberCreated { subscriber } => {
                self.subscribers.insert(subscriber.id.clone(), subscriber.clone());
            }
            Fact::MilestoneCreated { milestone } => {
                let c = self.campaigns.get_mut(&milestone.campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.milestones.push(MilestoneState {
                    milestone: milestone.clone(),
                    reached: None,
                    reached_at: None,
                    missed: None,
                    missed_total: None,
                });
                self.milestone_index.insert(milestone.id.clone(), milestone.campaign_id.clone());
            }
            Fact::MilestoneReached { milestone_id } => {
                let cid = self.milestone_index.get(milestone_id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = self.campaigns.get_mut(cid).ok_or(FoldError::Unknown(ev.seq))?;
                let m = c.milestones.iter_mut().find(|m| &m.milestone.id == milestone_id);
                let m = m.ok_or(FoldError::Unknown(ev.seq))?;
                m.reached = Some(ev.seq);
                m.reached_at = Some(ev.at);
            }
            Fact::ChallengeMissed { milestone_id } => {
                let cid = self.milestone_index.get(milestone_id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = self.campaigns.get_mut(cid).ok_or(FoldError::Unknown(ev.seq))?;
                let m = c.milestones.iter_mut().find(|m| &m.milestone.id == milestone_id);
                let m = m.ok_or(FoldError::Unknown(ev.seq))?;
                let live = m.milestone.live_id.as_deref().and_then(|id| self.lives.get(id));
                m.missed = Some(ev.seq);
                m.missed_total = live.map(|l| l.totals.total);
            }
            Fact::MilestoneRemoved { milestone_id } => {
                let cid = self.milestone_index.get(milestone_id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = self.campaigns.get_mut(cid).ok_or(FoldError::Unknown(ev.seq))?;
                let m = c.milestones.iter_mut().find(|m| &m.milestone.id == milestone_id);
                m.ok_or(FoldError::Unknown(ev.seq))?.milestone.cancelled = true;
            }
            Fact::ChallengeCancelled { milestone_id } => {
                let cid = self.milestone_index.get(milestone_id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = self.campaigns.get_mut(cid).ok_or(FoldError::Unknown(ev.seq))?;
                let m = c.milestones.iter_mut().find(|m| &m.milestone.id == milestone_id);
                let m = &mut m.ok_or(FoldError::Unknown(ev.seq))?.milestone;
                m.cancelled = true;
                m.ends_at = Some(ev.at);
            }
            Fact::ChallengeUpdated { milestone } => {
                let cid = self.milestone_index.get(&milestone.id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = self.campaigns.get_mut(cid).ok_or(FoldError::Unknown(ev.seq))?;
                let m = c.milestones.iter_mut().find(|m| m.milestone.id == milestone.id);
                m.ok_or(FoldError::Unknown(ev.seq))?.milestone = milestone.clone();
            }
            Fact::CampaignUpdated { campaign } => {
                let c = self.campaigns.get_mut(&campaign.id).ok_or(FoldError::Unknown(ev.seq))?;
                // Only a rotation replaces the overlay token or the charity's key: an edit keeps them.
                let (overlay_hash, report_hash) = (c.campaign.overlay_hash, c.campaign.report_hash);
                c.campaign = campaign.clone();
                c.campaign.overlay_hash = overlay_hash;
                c.campaign.report_hash = report_hash;
            }
            Fact::IntegrationSecretReplaced { integration_id, secret } => {
                let i = self.integrations.get_mut(integration_id).ok_or(FoldError::Unknown(ev.seq))?;
                i.secret = secret.clone();
            }
            Fact::IntegrationRemoved { integration_id } => {
                self.integrations.remove(integration_id).ok_or(FoldError::Unknown(ev.seq))?;
                self.retired.insert(integration_id.clone());
            }
            Fact::SubscriberUpdated { subscriber } => {
                let s = self.subscribers.get_mut(&subscriber.id).ok_or(FoldError::Unknown(ev.seq))?;
                *s = subscriber.clone();
            }
            Fact::SubscriberRemoved { subscriber_id } => {
                self.subscribers.remove(subscriber_id).ok_or(FoldError::Unknown(ev.seq))?;
                self.retired.insert(subscriber_id.clone());
            }
            Fact::CampaignOverlayRotated { campaign_id, overlay_hash } => {
                let c = self.campaigns.get_mut(campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.campaign.overlay_hash = Some(*overlay_hash);
            }
            Fact::CampaignReportRotated { campaign_id, report_hash } => {
                let c = self.campaigns.get_mut(campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.campaign.report_hash = Some(*report_hash);
            }
            Fact::MatchUpdated { r#match } => {
                let c = self.campaigns.get_mut(&r#match.campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                let m = c.matches.iter_mut().find(|m| m.r#match.id == r#match.id).ok_or(FoldError::Unknown(ev.seq))?;
                m.r#match = r#match.clone();
                // The recorded window and budget events are re-derived against the new terms:
                // a raised cap reopens a used-up match, a window moved ahead reopens an ended
                // one, a start moved later makes a started match wait again. The writer then
                // records the matching match_started / match_used_up / match_ended.
                let now = ev.at;
                if m.used < r#match.cap {
                    m.used_up = false;
                }
                if r#match.ends_at.is_none_or(|e| now < e) {
                    m.ended = false;
                }
                if r#match.starts_at.is_some_and(|s| now < s) {
                    m.started = false;
                }
            }
            Fact::LiveUpdated { live } => {
                let l = self.lives.get_mut(&live.id).ok_or(FoldError::Unknown(ev.seq))?;
                l.live = live.clone();
                if let Some(c) = self.campaigns.get_mut(&live.campaign_id) {
                    c.schedule_start(live, l.started, ev.at);
                    c.schedule_end(live, l.started, l.ended);
                }
            }
            Fact::LiveStarted { live_id, scheduled_at } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.started = Some(*scheduled_at);
                if let Some(c) = self.campaigns.get_mut(&l.live.campaign_id) {
                    c.starts.retain(|(.., id)| id != live_id);
                    c.schedule_end(&l.live, l.started, l.ended);
                }
            }
            Fact::LiveEnded { live_id, ends_at } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.ended = Some(*ends_at);
                if let Some(c) = self.campaigns.get_mut(&l.live.campaign_id) {
                    c.ends.retain(|(_, id)| id != live_id);
                }
            }
            Fact::CampaignEnded { campaign_id, ends_at } => {
                let c = self.campaigns.get_mut(campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.ended = Some(*ends_at);
            }
            Fact::CampaignOpened { campaign_id, starts_at } => {
                let c = self.campaigns.get_mut(campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.opened = Some(*starts_at);
            }
            Fact::ModerationSet { live_id, moderation } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.words = moderation.word_list();
                l.moderation = moderation.clone();
            }
            Fact::ModeratorAdded { live_id, moderator } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.moderators.push(moderator.clone());
            }
            Fact::ModeratorRemoved { live_id, moderator_id } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.moderators.retain(|m| m.id != moderator_id.as_str());
            }
            Fact::TextReleased { donation_id, .. } | Fact::TextHidden { donation_id, .. } => {
                let d = self.donations.get_mut(donation_id).ok_or(FoldError::Unknown(ev.seq))?;
                if let Some(at) = d.release_at.take() {
                    self.releases.remove(&(at.get(), SmolStr::from(donation_id.as_str())));
                }
                // Releasing or hiding both settle a pending text.
                d.donation.pending = false;
                if let Fact::TextHidden { donor, message, .. } = &ev.fact {
                    d.donation.set_hidden(*donor, *message, true);
                }
            }
            Fact::TextShown { donation_id, donor, message, .. } => {
                let d = self.donations.get_mut(donation_id).ok_or(FoldError::Unknown(ev.seq))?;
                d.donation.set_hidden(*donor, *message, false);
            }
            Fact::DonationErased { donation_id } => {
                let d = self.donations.get_mut(donation_id).ok_or(FoldError::Unknown(ev.seq))?;
                if let Some(at) = d.release_at.take() {
                    self.releases.remove(&(at.get(), SmolStr::from(donation_id.as_str())));
                }
                // Nothing is left to moderate.
                d.donation.pending = false;
                d.donation.erase();
                // Its message gone, it names no reward (as a replay of the rewritten log finds).
                let live_id = d.donation.live_id.clone();
                if let Some(l) = self.lives.get_mut(live_id.as_str()) {
                    for r in &mut l.rewards {
                        r.missed.retain(|m| m.donation_id != donation_id.as_str());
                    }
                }
            }
            Fact::TestAlert { .. } | Fact::AlertReplayed { .. } | Fact::AlertSkipped { .. } => {}
            Fact::PollStarted { poll } => {
                let l = self.lives.get_mut(&poll.live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.polls.push(PollState::new(poll.clone()));
                if let Some(end) = poll.ends_at {
                    let c = self.campaigns.get_mut(&l.live.campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                    c.poll_deadlines.push((end, poll.live_id.clone(), poll.id.clone()));
                }
            }
            Fact::PollClosed { live_id, poll_id } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                if let Some(c) = self.campaigns.get_mut(&l.live.campaign_id) {
                    c.poll_deadlines.retain(|(_, l, p)| !(l == live_id && p == poll_id));
                }
                let p = l.polls.iter_mut().find(|p| &p.poll.id == poll_id).ok_or(FoldError::Unknown(ev.seq))?;
                // Closed at its deadline if that came first (the writer's follow-up).
                p.poll.closed_at = Some(p.poll.ends_at.map_or(ev.at, |e| e.min(ev.at)));
            }
            Fact::PollUpdated { poll } => {
                let l = self.lives.get_mut(&poll.live_id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = self.campaigns.get_mut(&l.live.campaign_id).ok_or(FoldError::Unknown(ev.seq))?;
                c.poll_deadlines.retain(|(_, l, p)| !(*l == poll.live_id && *p == poll.id));
                if let Some(end) = poll.ends_at {
                    c.poll_deadlines.push((end, poll.live_id.clone(), poll.id.clone()));
                }
                let p = l.polls.iter_mut().find(|p| p.poll.id == poll.id).ok_or(FoldError::Unknown(ev.seq))?;
                p.poll = poll.clone();
            }
            Fact::PrizeDrawn { draw } => {
                let l = self.lives.get_mut(&draw.live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.draws.push(Draw { at: ev.at, ..draw.clone() });
            }
            Fact::RewardOffered { reward } => {
                let l = self.lives.get_mut(&reward.live_id).ok_or(FoldError::Unknown(ev.seq))?;
                l.rewards.push(RewardState { reward: reward.clone(), claims: vec![], missed: vec![] });
            }
            Fact::RewardUpdated { reward } => {
                let l = self.lives.get_mut(&reward.live_id).ok_or(FoldError::Unknown(ev.seq))?;
                let r = l.rewards.iter_mut().find(|r| r.reward.id == reward.id).ok_or(FoldError::Unknown(ev.seq))?;
                r.reward = reward.clone();
            }
            Fact::RewardClosed { live_id, reward_id } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                let r = l.rewards.iter_mut().find(|r| &r.reward.id == reward_id).ok_or(FoldError::Unknown(ev.seq))?;
                r.reward.closed_at = Some(ev.at);
            }
            Fact::RewardDelivered { live_id, donation_id, delivered } => {
                let l = self.lives.get_mut(live_id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = l
                    .rewards
                    .iter_mut()
                    .flat_map(|r| r.claims.iter_mut())
                    .find(|c| c.donation_id == donation_id.as_str())
                    .ok_or(FoldError::Unknown(ev.seq))?;
                c.delivered = *delivered;
            }
            Fact::MatchStarted { match_id } | Fact::MatchEnded { match_id } | Fact::MatchUsedUp { match_id } => {
                let cid = self.match_index.get(match_id).ok_or(FoldError::Unknown(ev.seq))?;
                let c = self.campaigns.get_mut(cid).ok_or(FoldError::Unknown(ev.seq))?;
                let m = c.matches.iter_mut().find(|m| &m.r#match.id == match_id).ok_or(FoldError::Unknown(ev.seq))?;
                match &ev.fact {
                    Fact::MatchStarted { .. } => m.started = true,
                    Fact::MatchEnded { .. } => m.ended = true,
                    _ => m.used_up = true,
                }
            }
        }
        match self.stream_of(&ev.fact) {
            Some(Stream::Live(l)) => {
                if let Some(live) = self.lives.get_mut(&l) {
                    live.stream_seq = ev.seq;
                    if let Some(c) = self.campaigns.get_mut(&live.live.campaign_id) {
                        c.stream_seq = ev.seq;
                        c.drop_missed_starts(ev.at);
                    }
                }
            }
            Some(Stream::Campaign(cid)) => {
                if let Some(c) = self.campaigns.get_mut(&cid) {
                    c.stream_seq = ev.seq;
                    for l in &c.lives {
                        if let Some(live) = self.lives.get_mut(l) {
                            live.stream_seq = ev.seq;
                        }
                    }
                }
            }
            None => {}
        }
        Ok(())
    }

    /// Folds an event it may consume: replay moves each donation into the state
    /// instead of copying it.
    pub fn apply_owned(&mut self, ev: Event) -> Result<(), FoldError> {
        match ev.fact {
            Fact::DonationReceived { donation, idempotency, reward } => {
                if ev.seq <= self.last_seq {
                    return Err(FoldError::OutOfOrder { seq: ev.seq, last: self.last_seq });
                }
                self.last_seq = ev.seq;
                self.receive(ev.seq, donation, idempotency, reward.as_deref())
            }
            fact => self.apply(&Event { seq: ev.seq, at: ev.at, fact }),
        }
    }

    /// A donation received (the hottest fact of the log).
    fn receive(
        &mut self,
        seq: u64,
        donation: Donation,
        idempotency: Option<IdempotencyKey>,
        reward: Option<&str>,
    ) -> Result<(), FoldError> {
        let c = self.campaigns.get_mut(donation.campaign_id.as_str()).ok_or(FoldError::Unknown(seq))?;
        let recorded = donation.allocations.iter().map(|a| (a.match_id.as_str(), a.amount));
        if !shares(c, donation.amount, donation.at).eq(recorded) {
            self.diverged += 1;
        }
        let l = self.lives.get_mut(donation.live_id.as_str()).ok_or(FoldError::Unknown(seq))?;
        let (Some(lt), Some(ct)) =
            (l.totals.plus(donation.amount, donation.matched), c.totals.plus(donation.amount, donation.matched))
        else {
            return Err(FoldError::Unknown(seq));
        };
        l.totals = lt;
        c.totals = ct;
        for p in [&mut l.platforms, &mut c.platforms] {
            match p.get_mut(&donation.platform) {
                Some(t) => *t = t.plus(donation.amount, donation.matched).unwrap_or(*t),
                None => {
                    let t = Totals::default().plus(donation.amount, donation.matched).unwrap_or_default();
                    p.insert(donation.platform.clone(), t);
                }
            }
        }
        for a in &donation.allocations {
            if let Some(m) = c.matches.iter_mut().find(|m| m.r#match.id == a.match_id) {
                m.used += a.amount;
            }
        }
        if let Some(t) = donation.vote.as_deref().and_then(|v| tally_of(&mut l.polls, v)) {
            t.amount += donation.amount;
            t.donations += 1;
        }
        if let Some(id) = reward {
            let r = l.rewards.iter_mut().find(|r| r.reward.id == id).ok_or(FoldError::Unknown(seq))?;
            r.claims.push(Claim { donation_id: donation.id.clone(), delivered: false, refunded: false });
        } else if let Some((i, why)) = l.missed_reward(&donation) {
            l.rewards[i].missed.push(Missed { donation_id: donation.id.clone(), why });
        }
        // The stream of this live (and its campaign's) moved to this seq.
        l.stream_seq = seq;
        c.stream_seq = seq;
        let release_at = (donation.pending && l.moderation.mode == Mode::Delay)
            .then(|| donation.at.millis().saturating_add(i64::from(l.moderation.delay_seconds) * 1000).max(1))
            .and_then(std::num::NonZeroI64::new);
        if let Some(k) = idempotency {
            self.idempotency.insert(&donation.live_id, &k.key, k.body_hash.0, &donation.id);
        }
        if let Some(at) = release_at {
            self.releases.insert((at.get(), donation.id.clone()));
        }
        self.donations.insert(Box::new(DonationState { donation, seq, release_at }));
        Ok(())
    }

    /// Rebuilds a state from a log.
    pub fn replay<'a>(limits: Limits, events: impl IntoIterator<Item = &'a Event>) -> Result<State, FoldError> {
        let mut s = State::new(limits);
        for e in events {
            s.apply(e)?;
        }
        Ok(s)
    }
}

/// The tally a vote counts in, among a live's polls.
fn tally_of<'a>(polls: &'a mut [PollState], vote: &Vote) -> Option<&'a mut Tally> {
    let p = polls.iter_mut().rev().find(|p| p.poll.id == vote.poll_id)?;
    p.tallies.get_mut(usize::try_from(vote.option).ok()?)
}

/// What each active match of the campaign pays for a donation, in creation order:
/// `floor(amount × num / den)`, at most `max_per_donation`, at most what is left
/// of the cap (so the donation that reaches the cap gets exactly what remains).
pub fn allocate(c: &CampaignState, amount: i64, at: Timestamp) -> Vec<Allocation> {
    shares(c, amount, at).map(|(id, amount)| Allocation { match_id: id.into(), amount }).collect()
}

/// [`allocate`]'s (match id, share) pairs, without building them: a replay
/// checks every donation's recorded allocations against them.
fn shares(c: &CampaignState, amount: i64, at: Timestamp) -> impl Iterator<Item = (&str, i64)> {
    c.matches.iter().filter_map(move |m| {
        let r = &m.r#match;
        if !r.is_active(at) || r.min_amount.is_some_and(|min| amount < min) {
            return None;
        }
        let mut share = apply_ratio(amount, r.ratio[0], r.ratio[1]);
        if let Some(max) = r.max_per_donation {
            share = share.min(max);
        }
        share = share.min(m.left());
        (share > 0).then_some((r.id.as_str(), share))
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("event {seq} comes after {last}: the log is out of order")]
    OutOfOrder { seq: u64, last: u64 },
    #[error("event {0} refers to something the log never created")]
    Unknown(u64),
}

#[cfg(test)]
mod tests {
    use super::{BodyDigest, DonationState, Donations, IdempotencyKeys};
    use crate::domain::Donation;
    use crate::money::Currency;

    fn donation(id: &str, amount: i64, seq: u64) -> Box<DonationState> {
        let eur = Currency::parse("EUR").expect("EUR");
        let donation = Donation::new(id.into(), "live".into(), amount, eur, None, false, None, "twitch".into());
        Box::new(DonationState { donation, seq, release_at: None })
    }

    #[test]
    fn donations_are_found_by_their_own_id() {
        let mut all = Donations::default();
        assert!(all.is_empty());
        all.reserve(3);
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            all.insert(donation(id, 100 * (i as i64 + 1), i as u64 + 1));
        }
        assert_eq!(all.len(), 3);
        assert_eq!(all.get("b").map(|d| (d.donation.amount, d.seq)), Some((200, 2)));
        assert_eq!(all[&"c".to_owned()].donation.amount, 300);
        assert!(all.contains_key("a"));
        assert!(all.get("d").is_none());
        // Changed in place, found again by the same id.
        all.get_mut("a").expect("a").donation.refunded_amount = 40;
        assert_eq!(all["a"].donation.refunded_amount, 40);
        // The same id again replaces the donation instead of adding one.
        all.insert(donation("b", 999, 9));
        assert_eq!(all.len(), 3);
        assert_eq!((all["b"].donation.amount, all["b"].seq), (999, 9));
        let mut amounts: Vec<i64> = all.values().map(|d| d.donation.amount).collect();
        amounts.sort_unstable();
        assert_eq!(amounts, [100, 300, 999]);
    }

    #[test]
    fn equal_donations_compare_equal_whatever_the_order_they_came_in() {
        let mut one = Donations::default();
        let mut two = Donations::default();
        for id in ["x", "y", "z"] {
            one.insert(donation(id, 5, 1));
        }
        for id in ["z", "x", "y"] {
            two.insert(donation(id, 5, 1));
        }
        assert_eq!(one, two);
        two.get_mut("y").expect("y").seq = 2;
        assert_ne!(one, two);
        two.get_mut("y").expect("y").seq = 1;
        two.insert(donation("w", 5, 1));
        assert_ne!(one, two);
        assert_eq!(one.clone(), one);
    }

    /// Every donation is one boxed `DonationState` for the life of the process
    /// (a million of them after a long campaign): at 256 bytes it fits the
    /// allocator's 256-byte class; at 257 it would take a 320-byte block.
    #[test]
    fn a_donation_fits_a_256_byte_block() {
        assert!(std::mem::size_of::<DonationState>() <= 256, "{} bytes", std::mem::size_of::<DonationState>());
    }

    /// Every idempotency key is one `Keyed` for the life of the process, in a
    /// block with no allocation of its own for a donation id of the server's.
    #[test]
    fn an_idempotency_key_takes_72_bytes() {
        assert_eq!(std::mem::size_of::<super::Keyed>(), 72);
        assert!(!smol_str::SmolStr::from(crate::secret::new_id()).is_heap_allocated());
    }

    #[test]
    #[should_panic(expected = "no donation with this id")]
    fn indexing_an_unknown_id_panics_like_a_map() {
        let _ = &Donations::default()["missing"];
    }

    #[test]
    fn an_idempotency_key_is_found_for_its_own_live_only() {
        let mut keys = IdempotencyKeys::default();
        keys.insert("ab", "c", [1; 32], "d1");
        keys.insert("a", "bc", [2; 32], "d2");
        keys.insert("live-2", "c", [3; 32], "d3");
        assert_eq!(keys.len(), 3);
        assert_eq!(keys.get("ab", "c"), Some((&[1; 32], "d1")));
        assert_eq!(keys.get("a", "bc"), Some((&[2; 32], "d2")));
        assert_eq!(keys.get("live-2", "c"), Some((&[3; 32], "d3")));
        assert_eq!(keys.get("abc", ""), None);
        assert_eq!(keys.get("ab", "C"), None);
        // The donation id, stored after the key, is not part of it.
        assert_eq!(keys.get("ab", "cd1"), None);
        keys.insert("ab", "c", [4; 32], "d4");
        assert_eq!(keys.len(), 3);
        assert_eq!(keys.get("ab", "c"), Some((&[4; 32], "d4")));
    }

    #[test]
    fn idempotency_keys_are_found_across_blocks_and_replaced_in_place() {
        let mut keys = IdempotencyKeys::default();
        let n = 3 * super::KEY_BLOCK + 17;
        for i in 0..n {
            keys.insert(&format!("live-{}", i % 7), &format!("key-{i}"), [(i % 251) as u8; 32], &format!("d{i}"));
        }
        assert_eq!((keys.len(), keys.blocks.len()), (n, 4));
        for i in [0, 1, super::KEY_BLOCK - 1, super::KEY_BLOCK, 2 * super::KEY_BLOCK + 5, n - 1] {
            let id = format!("d{i}");
            let live = format!("live-{}", i % 7);
            assert_eq!(keys.get(&live, &format!("key-{i}")), Some((&[(i % 251) as u8; 32], id.as_str())));
            assert_eq!(keys.get(&format!("live-{}", (i + 1) % 7), &format!("key-{i}")), None);
        }
        // 4101 % 7 == 6: the same key of the same live.
        keys.insert("live-6", "key-4101", [9; 32], "again");
        assert_eq!((keys.len(), keys.blocks.len()), (n, 4));
        assert_eq!(keys.get("live-6", "key-4101"), Some((&[9; 32], "again")));
        assert_eq!(keys.get("live-5", "key-4101"), None);
        assert_eq!(keys.get("live-5", "key-4100"), Some((&[(4100 % 251) as u8; 32], "d4100")));
    }

    #[test]
    fn idempotency_keys_compare_by_content_whatever_the_order() {
        let (mut a, mut b) = (IdempotencyKeys::default(), IdempotencyKeys::default());
        for i in 0..100 {
            a.insert("live", &format!("k{i}"), [i as u8; 32], &format!("d{i}"));
            b.insert("live", &format!("k{}", 99 - i), [99 - i as u8; 32], &format!("d{}", 99 - i));
        }
        assert_eq!(a, b);
        b.insert("live", "k5", [0; 32], "d5");
        assert_ne!(a, b);
    }

    #[test]
    fn a_body_digest_reads_the_recorded_hex_as_bytes_and_digests_any_other_text() {
        let digest = BodyDigest::of(b"{\"amount\":500}");
        let text = serde_json::to_string(&digest).unwrap();
        assert_eq!(text, format!("\"{}\"", ::hex::encode(digest.0)));
        assert_eq!(serde_json::from_str::<BodyDigest>(&text).unwrap(), digest);
        let read = |t: &str| serde_json::from_value::<BodyDigest>(serde_json::Value::from(t)).unwrap();
        // Other texts: equal texts give equal digests, different ones differ.
        assert_eq!(read("500"), BodyDigest::of(b"500"));
        assert_ne!(read("500"), read("501"));
        let hex = ::hex::encode(digest.0);
        assert_ne!(read(&hex.to_uppercase()), digest);
        assert_ne!(read(&hex[..62]), read(&hex[..63]));
    }

    /// Folds log events written as the log keeps them.
    fn replayed(lines: &[String]) -> super::State {
        let mut state = super::State::new(super::Limits::default());
        for l in lines {
            let event: super::Event = serde_json::from_str(l).expect("an event of the log");
            state.apply(&event).expect("fold");
        }
        state
    }

    /// A log: campaign "c", whose sponsor "m" doubles every donation up to
    /// 10 000 cents, its live "live", then donations of (id, amount, share
    /// recorded for "m").
    fn matched_log(donations: &[(&str, i64, Option<i64>)]) -> Vec<String> {
        let at = "2026-12-01T20:00:00.000Z";
        let (key, overlay) = ("0".repeat(64), "1".repeat(64));
        let mut facts = vec![
            format!(
                r#"{{"campaign_created":{{"campaign":{{"id":"c","name":"C","currency":"EUR","created_at":"{at}"}}}}}}"#
            ),
            format!(
                r#"{{"match_created":{{"match":{{"id":"m","campaign_id":"c","sponsor":"S","ratio":[1,1],"cap":10000,"created_at":"{at}"}}}}}}"#
            ),
            format!(
                r#"{{"live_created":{{"live":{{"id":"live","campaign_id":"c","host":"H","key_hash":"{key}","overlay_hash":"{overlay}","created_at":"{at}"}}}}}}"#
            ),
        ];
        for (id, amount, share) in donations {
            let allocations =
                share.map_or(String::new(), |s| format!(r#","allocations":[{{"match_id":"m","amount":{s}}}]"#));
            facts.push(format!(
                r#"{{"donation_received":{{"donation":{{"id":"{id}","live_id":"live","campaign_id":"c","amount":{amount},"currency":"EUR","matched":{}{allocations},"anonymous":false,"platform":"direct","at":"{at}","refunded":false}}}}}}"#,
                share.unwrap_or(0)
            ));
        }
        facts.iter().enumerate().map(|(i, f)| format!(r#"{{"seq":{},"at":"{at}","fact":{f}}}"#, i + 1)).collect()
    }

    /// (winner, entries, tickets) of a draw among the live's donations from
    /// `min_amount`, with the winning ticket pointed at by `seed`.
    fn draw(state: &super::State, min_amount: i64, weighted: bool, seed: u64) -> (String, u64, u64) {
        let draw = crate::domain::Draw::asked("w".into(), "live".into(), "P".into(), min_amount, weighted, false);
        match state.decide(&super::Command::DrawPrize {
            by: super::Principal::Admin,
            draw,
            minutes: None,
            seed,
            more: vec![],
        }) {
            Ok(super::Decision::Append(super::Fact::PrizeDrawn { draw })) => (draw.winner, draw.entries, draw.tickets),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_draw_picks_the_ticket_its_seed_points_at_among_the_donations_that_enter() {
        // d1 1 €, d2 5 €, d3 2 €, in that order.
        let mut state =
            replayed(&matched_log(&[("d1", 100, Some(100)), ("d2", 500, Some(500)), ("d3", 200, Some(200))]));
        let w = |id: &str, entries, tickets| (id.to_owned(), entries, tickets);
        // One ticket each: the seed's share of 2^64 picks the ticket.
        let third = u64::MAX / 3;
        assert_eq!(draw(&state, 1, false, 0), w("d1", 3, 3));
        assert_eq!(draw(&state, 1, false, third), w("d1", 3, 3));
        assert_eq!(draw(&state, 1, false, third + 1), w("d2", 3, 3));
        assert_eq!(draw(&state, 1, false, u64::MAX), w("d3", 3, 3));
        // One ticket per euro: d1 has ticket 0, d2 tickets 1 to 5, d3 6 and 7.
        let eighth = 1u64 << 61;
        assert_eq!(draw(&state, 100, true, eighth - 1), w("d1", 3, 8));
        assert_eq!(draw(&state, 100, true, eighth), w("d2", 3, 8));
        assert_eq!(draw(&state, 100, true, 6 * eighth - 1), w("d2", 3, 8));
        assert_eq!(draw(&state, 100, true, 6 * eighth), w("d3", 3, 8));
        // From 2 €: d2 and d3 only, one ticket each, or 2 and 1 per 2 €.
        assert_eq!(draw(&state, 200, false, 0), w("d2", 2, 2));
        assert_eq!(draw(&state, 200, true, u64::MAX), w("d3", 2, 3));
        // A winner does not enter the live's next draws; with none left, none is drawn.
        for (seq, winner) in [(100, "d2"), (101, "d3")] {
            let (_, entries, _) = draw(&state, 200, false, 0);
            assert_eq!(entries, 102 - seq);
            let fact = super::Fact::PrizeDrawn {
                draw: crate::domain::Draw {
                    entries,
                    tickets: entries,
                    winner: winner.into(),
                    ..crate::domain::Draw::asked(format!("w{seq}"), "live".into(), "P".into(), 200, false, false)
                },
            };
            state.apply(&super::Event { seq, at: crate::domain::Timestamp::from_millis(0), fact }).expect("fold");
        }
        assert_eq!(draw(&state, 1, false, u64::MAX), w("d1", 1, 1));
        let none = crate::domain::Draw { id: "x".into(), ..state.lives["live"].draws[0].clone() };
        let refused = state.decide(&super::Command::DrawPrize {
            by: super::Principal::Admin,
            draw: none,
            minutes: None,
            seed: 0,
            more: vec![],
        });
        assert_eq!(refused, Err(super::Refusal::NoEntries));
    }

    /// Several winners in one command: each a draw of its own, each winner left
    /// out of the next, decided together (one commit); fewer when fewer enter.
    #[test]
    fn several_winners_are_drawn_in_one_decision_each_left_out_of_the_next() {
        let state = replayed(&matched_log(&[("d1", 100, Some(100)), ("d2", 500, Some(500)), ("d3", 200, Some(200))]));
        let ask = |more: Vec<(String, u64)>| {
            let draw = crate::domain::Draw::asked("w1".into(), "live".into(), "P".into(), 1, false, false);
            state.decide(&super::Command::DrawPrize { by: super::Principal::Admin, draw, minutes: None, seed: 0, more })
        };
        let drawn = |d: Result<super::Decision, super::Refusal>| match d {
            Ok(super::Decision::AppendAll(facts)) => facts
                .into_iter()
                .map(|f| match f {
                    super::Fact::PrizeDrawn { draw } => (draw.id, draw.winner, draw.entries),
                    other => panic!("{other:?}"),
                })
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        // The first ticket each time: d1, then d2 once d1 is out, then d3.
        let t = |id: &str, winner: &str, entries: u64| (id.to_owned(), winner.to_owned(), entries);
        assert_eq!(
            drawn(ask(vec![("w2".into(), 0), ("w3".into(), 0)])),
            [t("w1", "d1", 3), t("w2", "d2", 2), t("w3", "d3", 1)]
        );
        // Five asked, three enter: three drawn.
        let five = (2..=5).map(|i| (format!("w{i}"), u64::MAX)).collect();
        assert_eq!(drawn(ask(five)), [t("w1", "d1", 3), t("w2", "d3", 2), t("w3", "d2", 1)]);
        // Ids must differ.
        assert_eq!(ask(vec![("w1".into(), 0)]), Err(super::Refusal::IdTaken("draw")));
    }

    #[test]
    fn a_replayed_donation_whose_recorded_matching_differs_is_counted_and_kept() {
        // As the rules give: doubled, then the cap's last 1 000 cents.
        let state = replayed(&matched_log(&[("d1", 9_000, Some(9_000)), ("d2", 5_000, Some(1_000))]));
        assert_eq!(state.diverged, 0);
        assert_eq!(state.campaigns["c"].totals.matched, 10_000);
        // The cap is reached: the rules give nothing, the log recorded a share.
        let lines = matched_log(&[("d1", 9_000, Some(9_000)), ("d2", 5_000, Some(1_000)), ("d3", 500, Some(500))]);
        let state = replayed(&lines);
        assert_eq!(state.diverged, 1);
        // Recorded values are kept.
        assert_eq!(state.campaigns["c"].totals.matched, 10_500);
        assert_eq!(state.donations["d3"].donation.matched, 500);
        // A share the rules give, left out of the log, differs too.
        let state = replayed(&matched_log(&[("d4", 700, None)]));
        assert_eq!(state.diverged, 1);
        assert_eq!(state.campaigns["c"].totals.matched, 0);
    }
}
