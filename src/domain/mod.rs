//! The domain: campaigns, lives, matches and donations, the validated inputs that
//! build them ([`text`]), and the pure fold over the event log ([`state`]).
//! Nothing here knows HTTP or SQL.

pub mod moderation;
pub mod state;
pub mod text;
pub mod time;

use crate::money::Currency;
use serde::{Deserialize, Serialize};
/// Ids, platforms and names of donations: most are short, so they live inline
/// in the donation, without an allocation each (a replay reads a million).
pub use smol_str::SmolStr;
pub use time::Timestamp;

/// SHA-256 of a secret token: what the log stores instead of the token itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenHash(#[serde(with = "hex_bytes")] pub [u8; 32]);

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Sum of donations not refunded.
    pub raised: i64,
    /// Sponsor money earned by those donations.
    pub matched: i64,
    /// `raised + matched`.
    pub total: i64,
    /// Count of donations not refunded.
    pub donations: u64,
}

impl Totals {
    /// The totals after adding one donation; `None` on overflow. (A refund takes
    /// back with [`Totals::less`].)
    pub fn plus(self, amount: i64, matched: i64) -> Option<Totals> {
        let raised = self.raised.checked_add(amount)?;
        let matched = self.matched.checked_add(matched)?;
        let donations = self.donations.checked_add(1)?;
        Some(Totals { raised, matched, total: raised.checked_add(matched)?, donations })
    }

    /// The totals after giving back `raised` and `matched` and uncounting
    /// `donations` (a refund, whole or in part). Refunds only take back what
    /// was counted, so this saturates instead of failing.
    pub fn less(self, raised: i64, matched: i64, donations: u64) -> Totals {
        let raised = self.raised.saturating_sub(raised);
        let matched = self.matched.saturating_sub(matched);
        Totals {
            raised,
            matched,
            total: raised.saturating_add(matched),
            donations: self.donations.saturating_sub(donations),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub currency: Currency,
    pub goal: Option<i64>,
    pub charity: Option<String>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    /// Where viewers give (the charity's or the provider's page).
    #[serde(default)]
    pub donate_url: Option<String>,
    pub created_at: Timestamp,
    /// Read secret of the campaign stream and campaign overlays.
    #[serde(default)]
    pub overlay_hash: Option<TokenHash>,
    /// Read secret of the charity's space: the campaign's report, its exports
    /// and its donations, nothing to write. Left out of the log's rows while none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_hash: Option<TokenHash>,
    /// The campaign's picture (an image of its media library): on its public
    /// pages and in the previews of their links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<String>,
}

impl Campaign {
    /// A campaign with only what it needs: no goal, charity, window, donate URL
    /// or overlay token. The writer stamps `created_at`.
    pub fn new(id: impl Into<String>, name: impl Into<String>, currency: Currency) -> Campaign {
        Campaign {
            id: id.into(),
            name: name.into(),
            currency,
            goal: None,
            charity: None,
            starts_at: None,
            ends_at: None,
            donate_url: None,
            created_at: Timestamp::default(),
            overlay_hash: None,
            report_hash: None,
            cover: None,
        }
    }
}

/// An amount with a label ("at 5 000 € the artist plays an extra song"): reached
/// once, by the campaign's total, or by one live's total when `live_id` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: String,
    pub campaign_id: String,
    pub live_id: Option<String>,
    pub amount: i64,
    pub label: String,
    pub created_at: Timestamp,
    /// A challenge's deadline: not reached by then, it never is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<Timestamp>,
    /// A challenge's start: the live's total when it was set (`amount` is that
    /// total plus what the challenge asks for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// A challenge its host called off: over at that moment (its `ends_at`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

/// A question a live's host puts to its donors ("Which game next?"). While it is
/// open, a donation whose message names an option (its tag, `#zelda`, or its
/// number, `#2`) counts for that option, by what it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: String,
    pub live_id: String,
    pub question: String,
    pub options: Vec<PollOption>,
    pub created_at: Timestamp,
    /// Its deadline, when it was given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<Timestamp>,
    /// When its host closed it (before its deadline, or it had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOption {
    pub label: String,
    /// What a message names to vote for it, without its `#`: the label's
    /// letters and digits, folded (`Mario Kart` → `mariokart`), or the option's
    /// number when that gives nothing or another option's tag.
    pub tag: String,
}

/// The longest tag made from a label, in bytes.
pub const POLL_TAG_MAX: usize = 24;

impl Poll {
    /// Open at `at`: not closed, and before its deadline if it has one.
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.closed_at.is_none() && self.ends_at.is_none_or(|e| at < e)
    }

    /// Tags for these labels, one each, all different.
    pub fn tags(labels: &[String]) -> Vec<String> {
        let mut tags: Vec<String> = Vec::with_capacity(labels.len());
        for (i, label) in labels.iter().enumerate() {
            let tag = folded_tag(label);
            // A tag of digits alone would read as an option's number.
            let usable = !tag.is_empty() && !tag.bytes().all(|b| b.is_ascii_digit()) && !tags.contains(&tag);
            tags.push(if usable { tag } else { (i + 1).to_string() });
        }
        tags
    }

    /// The option a message votes for: the first `#word` in it that is an
    /// option's tag or number (1 for the first), without regard to case or accents.
    pub fn vote_in(&self, message: &str) -> Option<u32> {
        let folded = moderation::normalize(message);
        hashtags(&folded).find_map(|word| {
            if let Some(i) = self.options.iter().position(|o| o.tag == word) {
                return u32::try_from(i).ok();
            }
            let n: usize = word.parse().ok()?;
            (1..=self.options.len()).contains(&n).then(|| u32::try_from(n - 1).ok()).flatten()
        })
    }
}

/// A label's letters and digits, folded (`Mario Kart` → `mariokart`), at most
/// [`POLL_TAG_MAX`] bytes: what a message names with `#` to choose it.
pub fn folded_tag(label: &str) -> String {
    let mut tag: String = moderation::normalize(label).chars().filter(char::is_ascii_alphanumeric).collect();
    tag.truncate(POLL_TAG_MAX);
    tag
}

/// The words a folded text names with `#` (`#zelda`, `#2`), in order.
pub fn hashtags(folded: &str) -> impl Iterator<Item = &str> {
    folded.split('#').skip(1).filter_map(|after| {
        let end = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        (end > 0).then(|| &after[..end])
    })
}

/// Something a live's host gives in return for a gift of at least `amount`
/// ("a portrait drawn on stream, from 30 €"), at most `quantity` times when it
/// has one. A donation claims it by naming its keyword in its message
/// (`#portrait`) or in its `reward` field, and gets it when it gives enough
/// while the reward is offered and some are left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub id: String,
    pub live_id: String,
    pub title: String,
    /// The least a donation gives to claim it (minor units).
    pub amount: i64,
    /// How many donations can claim it; without it, as many as come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    /// What a message names after `#` to claim it, different from the live's
    /// other rewards' (the writer picks it from the title).
    pub tag: String,
    pub created_at: Timestamp,
    /// When its host stopped offering it: no donation claims it after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
}

impl Reward {
    /// A tag for a reward of this title that none of `taken` is: the title's
    /// folded letters and digits, followed by 2, 3… when that is taken, is
    /// empty or is digits alone (which would read as a poll option's number).
    pub fn tag_for(title: &str, taken: &[&str]) -> String {
        let mut base = folded_tag(title);
        if base.is_empty() || base.bytes().all(|b| b.is_ascii_digit()) {
            base = "reward".to_owned();
        }
        if !taken.contains(&base.as_str()) {
            return base;
        }
        base.truncate(POLL_TAG_MAX - 3);
        (2..).map(|n| format!("{base}{n}")).find(|t| !taken.contains(&t.as_str())).unwrap_or(base)
    }
}

/// The option of a poll a donation counted for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub poll_id: SmolStr,
    /// The option's index in the poll (0 for the first).
    pub option: u32,
}

/// A prize drawn among a live's donors ("an original drawing among the
/// donations of 10 € and more"). The writer picks the winning donation when the
/// draw is asked for and the log keeps it, so a replay names the same winner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    pub id: String,
    pub live_id: String,
    pub prize: String,
    /// A donation enters when it still counts for at least this much (minor units).
    pub min_amount: i64,
    /// One ticket per `min_amount` a donation counts for; otherwise one per donation.
    pub weighted: bool,
    /// Only the donations given since then enter, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    /// Among the donations of every live of the campaign, not the live's alone
    /// (drawn by the organisers, announced on this live).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub campaign_wide: bool,
    /// How many donations entered, and their tickets.
    pub entries: u64,
    pub tickets: u64,
    /// The winning donation's id.
    pub winner: String,
    pub at: Timestamp,
}

impl Draw {
    /// A draw as asked for: who enters; the writer decides the rest (`at`,
    /// `since`, the entries, tickets and winner).
    pub fn asked(
        id: String,
        live_id: String,
        prize: String,
        min_amount: i64,
        weighted: bool,
        campaign_wide: bool,
    ) -> Draw {
        Draw {
            id,
            live_id,
            prize,
            min_amount,
            weighted,
            since: None,
            campaign_wide,
            entries: 0,
            tickets: 0,
            winner: String::new(),
            at: Timestamp::default(),
        }
    }
}

/// Whose lives a host's links and key go through: the host as typed, without
/// regard to case or to spaces around it, in one campaign.
pub fn host_key(host: &str) -> String {
    host.trim().to_lowercase()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Live {
    pub id: String,
    pub campaign_id: String,
    pub host: String,
    pub title: Option<String>,
    pub platform: Option<String>,
    pub scheduled_at: Option<Timestamp>,
    pub goal: Option<i64>,
    /// Overrides the campaign's donate URL for this live.
    #[serde(default)]
    pub donate_url: Option<String>,
    /// Where viewers watch it (its Twitch or YouTube channel): the pages' link
    /// and the announcements'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_url: Option<String>,
    /// Planned length, for the schedule (current until `scheduled_at + duration`).
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    pub created_at: Timestamp,
    /// Write secret (donations, refunds, integrations of this live).
    pub key_hash: TokenHash,
    /// Read secret for overlays and the live WebSocket.
    pub overlay_hash: TokenHash,
    /// The host's secret, for the live's host's space: moderation, test alerts
    /// and a new overlay link, never donations. Lives created before it had none
    /// until one is made (a rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_hash: Option<TokenHash>,
    /// The host's moderators' secret: the held texts approved, names and
    /// messages hidden, nothing else. None until the host or the organisers
    /// make one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderator_hash: Option<TokenHash>,
    /// Called off by the organisers (an artist ill, a date dropped): out of the
    /// schedule's next live, the follow links, the campaign integrations'
    /// choice and the chat's; its donations still count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
    /// Its overlays start no new alert until the host resumes them (a serious
    /// moment on stream); donations still count and their alerts wait.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alerts_paused: bool,
    /// When its host ended it, sooner or later than planned (`POST
    /// /lives/{id}/end`); a new start or a new schedule takes it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
}

/// One of a live's moderators by name (the host's Twitch moderator, say): a
/// link of their own, which approves held texts and hides or shows names and
/// messages, and is taken back alone; what they do is written in the log under
/// their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderator {
    pub id: SmolStr,
    pub name: SmolStr,
    pub token_hash: TokenHash,
    pub created_at: Timestamp,
}

/// The most moderators by name a live has at once.
pub const MODERATORS_MAX: usize = 50;

/// Who approved, hid or showed a donation's text: the organisers (`admin`),
/// the live's key (`key`), its host (`host`) or a moderator (`moderator`, with
/// their name and id when their link is their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub role: ActorRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<SmolStr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderator_id: Option<SmolStr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorRole {
    Admin,
    Key,
    Host,
    Moderator,
}

impl Actor {
    pub fn role(role: ActorRole) -> Actor {
        Actor { role, name: None, moderator_id: None }
    }
}

/// A live's planned length when it has none of its own, in minutes.
pub const DEFAULT_LIVE_MINUTES: u32 = 120;

impl Live {
    /// When it ends: when its host ended it, else `duration_minutes` (120 by
    /// default) after its start.
    pub fn ends_at(&self) -> Option<Timestamp> {
        let minutes = i64::from(self.duration_minutes.unwrap_or(DEFAULT_LIVE_MINUTES));
        let planned =
            self.scheduled_at.map(|start| Timestamp::from_millis(start.millis().saturating_add(minutes * 60_000)));
        self.ended_at.or(planned)
    }

    /// On air at `at`: started, not over, not called off.
    pub fn on_air(&self, at: Timestamp) -> bool {
        !self.cancelled && self.scheduled_at.is_some_and(|s| s <= at) && self.ends_at().is_some_and(|e| at < e)
    }

    /// A live with only what it needs: its campaign, host and two secrets. The
    /// writer stamps `created_at`.
    pub fn new(
        id: impl Into<String>,
        campaign_id: impl Into<String>,
        host: impl Into<String>,
        key_hash: TokenHash,
        overlay_hash: TokenHash,
    ) -> Live {
        Live {
            id: id.into(),
            campaign_id: campaign_id.into(),
            host: host.into(),
            title: None,
            platform: None,
            scheduled_at: None,
            goal: None,
            donate_url: None,
            stream_url: None,
            duration_minutes: None,
            created_at: Timestamp::default(),
            key_hash,
            overlay_hash,
            host_hash: None,
            moderator_hash: None,
            cancelled: false,
            alerts_paused: false,
            ended_at: None,
        }
    }
}

/// A sponsor's promise: `ratio` of every eligible donation, up to `cap` in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub campaign_id: String,
    pub sponsor: String,
    /// `[num, den]`: `[1, 1]` doubles every donation.
    pub ratio: [i64; 2],
    pub cap: i64,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub min_amount: Option<i64>,
    pub max_per_donation: Option<i64>,
    pub created_at: Timestamp,
    /// The sponsor's logo: an image of the campaign's media library, shown by
    /// the matching badge and the credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
}

impl Match {
    pub fn is_active(&self, at: Timestamp) -> bool {
        self.starts_at.is_none_or(|s| at >= s) && self.ends_at.is_none_or(|e| at < e)
    }
}

/// A payment provider that posts webhooks to one live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Stripe,
    Tiltify,
    Kofi,
    HelloAsso,
    Twitch,
    Generic,
}

impl Provider {
    /// The names [`Provider::parse`] reads, for error messages.
    pub const NAMES: &str = "stripe, tiltify, kofi, helloasso, twitch or generic";

    pub fn parse(s: &str) -> Option<Provider> {
        Some(match s {
            "stripe" => Provider::Stripe,
            "tiltify" => Provider::Tiltify,
            "kofi" => Provider::Kofi,
            "helloasso" => Provider::HelloAsso,
            "twitch" => Provider::Twitch,
            "generic" => Provider::Generic,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Stripe => "stripe",
            Provider::Tiltify => "tiltify",
            Provider::Kofi => "kofi",
            Provider::HelloAsso => "helloasso",
            Provider::Twitch => "twitch",
            Provider::Generic => "generic",
        }
    }
}

/// Incoming webhooks of one provider for one live. The secret is kept as given:
/// verifying an HMAC needs it (see SECURITY.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    pub id: String,
    /// The live it posts donations to; `None` for a campaign-wide integration.
    pub live_id: Option<String>,
    /// Set for a campaign-wide integration (donations go to the campaign's live on air).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    pub provider: Provider,
    pub secret: String,
    pub created_at: Timestamp,
}

/// An outgoing webhook subscriber: receives a campaign's events (or every
/// campaign's when `campaign_id` is `None`), signed with `secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    pub id: String,
    pub campaign_id: Option<String>,
    pub url: String,
    pub secret: String,
    pub created_at: Timestamp,
    /// Signed JSON events, or a chat's incoming webhook (one line of text).
    #[serde(default, skip_serializing_if = "HookFormat::is_signed")]
    pub format: HookFormat,
    /// A chat's lines in English rather than French.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub english: bool,
}

/// What a webhook subscriber receives: our signed JSON events, or, for a
/// Discord or Slack channel's incoming webhook, a line of text for each event
/// viewers celebrate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookFormat {
    #[default]
    Cagnotte,
    Discord,
    Slack,
}

impl HookFormat {
    pub fn is_signed(&self) -> bool {
        *self == HookFormat::Cagnotte
    }

    pub fn parse(s: &str) -> Option<HookFormat> {
        Some(match s {
            "cagnotte" => HookFormat::Cagnotte,
            "discord" => HookFormat::Discord,
            "slack" => HookFormat::Slack,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            HookFormat::Cagnotte => "cagnotte",
            HookFormat::Discord => "discord",
            HookFormat::Slack => "slack",
        }
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The part of a donation a match paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub match_id: SmolStr,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Donation {
    pub id: SmolStr,
    pub live_id: SmolStr,
    pub campaign_id: SmolStr,
    pub amount: i64,
    pub currency: Currency,
    /// Sum of `allocations`: sponsor money this donation earned.
    pub matched: i64,
    #[serde(default, skip_serializing_if = "<[Allocation]>::is_empty")]
    pub allocations: Box<[Allocation]>,
    /// The name as given; shown only when `anonymous` is false.
    pub donor: Option<SmolStr>,
    pub anonymous: bool,
    pub message: Option<SmolStr>,
    pub platform: SmolStr,
    pub at: Timestamp,
    /// Refunded whole: counted nowhere any more.
    pub refunded: bool,
    /// The part of `amount` given back so far (`amount` once refunded whole).
    /// `matched` follows it: each match keeps its share of what is left.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refunded_amount: i64,
    /// The text waits for moderation (delay or manual approval).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub donor_hidden: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub message_hidden: bool,
    /// The name as shown, when the word list masked part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donor_masked: Option<Box<str>>,
    /// The message as shown, when the word list masked part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_masked: Option<Box<str>>,
    /// A test alert: shown by overlays, counted nowhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// The poll option its message voted for (boxed: few donations vote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<Box<Vote>>,
    /// The donor's name and message erased at their request: gone from the log,
    /// its frames and the state; the money still counts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub erased: bool,
}

/// The public shape of a donation (API.md `donation` object).
#[derive(Debug, Serialize)]
pub struct DonationView<'a> {
    pub id: &'a str,
    pub live_id: &'a str,
    pub amount: i64,
    pub currency: Currency,
    pub matched: i64,
    pub donor: Option<&'a str>,
    pub message: Option<&'a str>,
    pub platform: &'a str,
    pub at: Timestamp,
    pub refunded: bool,
    /// The part of `amount` given back so far.
    pub refunded_amount: i64,
    /// `shown`, `pending` (text waiting for moderation) or `hidden`.
    pub moderation: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote: Option<&'a Vote>,
    /// The name and message erased at the donor's request.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub erased: bool,
}

impl Donation {
    /// The donation with its name and message masked by a live's word list
    /// (`donor_masked` and `message_masked` set, or cleared when nothing matched).
    pub fn masked_with(mut self, words: &moderation::WordList) -> Donation {
        let mask = |text: Option<&str>| text.and_then(|t| moderation::mask(t, words)).map(String::into_boxed_str);
        self.donor_masked = mask(self.donor.as_deref());
        self.message_masked = mask(self.message.as_deref());
        self
    }

    /// Forgets the donor's name and message (the donor's request): the
    /// donation as the log's rewritten row holds it.
    pub fn erase(&mut self) {
        self.donor = None;
        self.message = None;
        self.donor_masked = None;
        self.message_masked = None;
        self.erased = true;
    }

    /// The donor name viewers may see, if any.
    pub fn shown_donor(&self) -> Option<&str> {
        if self.anonymous || self.pending || self.donor_hidden {
            return None;
        }
        self.donor_masked.as_deref().or(self.donor.as_deref())
    }

    /// The message viewers may see, if any.
    pub fn shown_message(&self) -> Option<&str> {
        if self.pending || self.message_hidden {
            return None;
        }
        self.message_masked.as_deref().or(self.message.as_deref())
    }

    pub fn moderation(&self) -> &'static str {
        if self.pending {
            "pending"
        } else if self.donor_hidden || self.message_hidden {
            "hidden"
        } else {
            "shown"
        }
    }

    /// What the donation still counts for: its amount less what was given back.
    pub fn kept(&self) -> i64 {
        self.amount - self.refunded_amount
    }

    /// A match's share of this donation once `refunded_amount` of it is given back:
    /// the share first allocated, scaled to the part kept and rounded down, so a
    /// sponsor never pays more than in proportion to what the charity keeps.
    pub fn share_kept(&self, allocated: i64, refunded_amount: i64) -> i64 {
        if self.amount <= 0 {
            return 0;
        }
        let kept = i128::from(self.amount - refunded_amount).max(0);
        (i128::from(allocated) * kept / i128::from(self.amount)) as i64
    }

    /// Gives back part of the donation: `refunded_amount` is the total given back
    /// so far (below `amount`); `matched` becomes the matches' shares of the rest.
    pub fn refund_part(&mut self, refunded_amount: i64) {
        self.matched = self.allocations.iter().map(|a| self.share_kept(a.amount, refunded_amount)).sum();
        self.refunded_amount = refunded_amount;
    }

    /// Takes the name and/or the message chosen off the air (`hidden`), or
    /// puts them back; the others stay as they are.
    pub fn set_hidden(&mut self, donor: bool, message: bool, hidden: bool) {
        if donor {
            self.donor_hidden = hidden;
        }
        if message {
            self.message_hidden = hidden;
        }
    }

    /// Gives back the whole donation (what a match paid stays shown in `matched`).
    pub fn refund_whole(&mut self) {
        self.refunded = true;
        self.refunded_amount = self.amount;
    }

    /// A donation as received, before matching and moderation decide the rest.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        live_id: String,
        amount: i64,
        currency: Currency,
        donor: Option<String>,
        anonymous: bool,
        message: Option<String>,
        platform: String,
    ) -> Donation {
        Donation {
            id: id.into(),
            live_id: live_id.into(),
            campaign_id: SmolStr::default(),
            amount,
            currency,
            matched: 0,
            allocations: Box::default(),
            donor: donor.map(Into::into),
            anonymous,
            message: message.map(Into::into),
            platform: platform.into(),
            at: Timestamp::default(),
            refunded: false,
            refunded_amount: 0,
            pending: false,
            donor_hidden: false,
            message_hidden: false,
            donor_masked: None,
            message_masked: None,
            test: false,
            vote: None,
            erased: false,
        }
    }

    pub fn view(&self) -> DonationView<'_> {
        DonationView {
            id: &self.id,
            live_id: &self.live_id,
            amount: self.amount,
            currency: self.currency,
            matched: self.matched,
            donor: self.shown_donor(),
            message: self.shown_message(),
            platform: &self.platform,
            at: self.at,
            refunded: self.refunded,
            refunded_amount: self.refunded_amount,
            moderation: self.moderation(),
            test: self.test,
            vote: self.vote.as_deref(),
            erased: self.erased,
        }
    }
}
