//! The read model: what GET endpoints, snapshots and auth read, in DashMaps so
//! reads take no global lock. Only the ledger writer changes it, after each
//! commit, from the [`Change`]s it computed while folding; readers clone what
//! they need and never hold a guard across an `.await` or a second map.

use crate::domain::moderation::Moderation;
use crate::domain::state::HashMap;
use crate::domain::state::{
    DonationState, MatchState, MilestoneState, PlatformTotals, PollState, RewardState, State, Stream,
};
use crate::domain::{
    Campaign, Donation, Draw, Integration, Live, Moderator, SmolStr, Subscriber, Timestamp, TokenHash, Totals,
};
use crate::money::Currency;
use dashmap::DashMap;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;

/// How many recent donations on air a snapshot carries.
pub const RECENT: usize = 20;
/// How many donations on air a board keeps: the [`RECENT`] its snapshots give
/// and some to spare, for when those are refunded whole.
const ON_AIR_KEPT: usize = RECENT + 10;
/// How many of the newest texts waiting for moderation a board keeps, so that
/// one released takes its place among those on air.
const HELD_KEPT: usize = 50;
/// How many entries a leaderboard shows.
pub const TOP: usize = 10;
/// Lives in a frame of a campaign's totals stream: the biggest of those that
/// moved, twice the leaderboards' ten (a live lifted into them has moved).
pub const TOTALS_LIVES: usize = 2 * TOP;
pub use crate::domain::DEFAULT_LIVE_MINUTES;
/// How long a host's link that follows their lives stays on a live after its
/// planned end (a live that runs late, its credits) before it moves on.
pub const FOLLOW_GRACE_MINUTES: i64 = 60;

/// What one committed event changed, captured by the writer right after folding it.
#[derive(Debug, Clone)]
// Each lives for one batch in the writer; boxing the donation variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    Campaign(Campaign),
    /// The campaign's own fields were edited.
    CampaignInfo(Campaign),
    /// The live's own fields were edited.
    LiveInfo(Live),
    /// Inserted, or replaced by id.
    Match(MatchState),
    /// Inserted, or replaced by id.
    Milestone(MilestoneState),
    Live {
        live: Live,
        currency: Currency,
    },
    /// A donation received (`before` is `None`), refunded, or whose text was
    /// released or hidden.
    Donation {
        before: Option<Donation>,
        donation: Donation,
        /// The seq of the event that received it.
        received: u64,
        live_totals: Totals,
        campaign_totals: Totals,
        live_platform: Totals,
        campaign_platform: Totals,
        /// The matches this donation drew on, as they are now.
        matches: Vec<MatchState>,
        /// The poll it voted in, as it is now.
        poll: Option<PollState>,
        /// The reward it claimed, as it is now, or the one it named without getting it.
        reward: Option<RewardState>,
    },
    /// A reward offered, closed, or one of its claims given: inserted, or
    /// replaced by id.
    Reward {
        live_id: String,
        reward: RewardState,
    },
    /// A poll started or closed: inserted, or replaced by id.
    Poll {
        live_id: String,
        poll: PollState,
    },
    /// A prize drawn, with its winning donation as it is now.
    Draw {
        draw: Draw,
        winner: Donation,
    },
    Secrets {
        live: Live,
        old_key: TokenHash,
        old_overlay: TokenHash,
        old_host: Option<TokenHash>,
        old_moderator: Option<TokenHash>,
    },
    /// The campaign's overlay token was replaced.
    CampaignOverlay {
        campaign_id: String,
        old: Option<TokenHash>,
        new: TokenHash,
    },
    /// The charity's space got a new key.
    CampaignReport {
        campaign_id: String,
        old: Option<TokenHash>,
        new: TokenHash,
    },
    /// Inserted, or replaced by id.
    Integration(Integration),
    IntegrationRemoved(String),
    /// Inserted, or replaced by id.
    Subscriber(Subscriber),
    SubscriberRemoved(String),
    Moderation {
        live_id: String,
        moderation: Moderation,
    },
    /// A live's moderators by name, as they are now.
    Moderators {
        live_id: String,
        moderators: Vec<Moderator>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    LiveKey,
    Overlay,
    /// A live's host's space.
    Host,
    /// The host's moderators' (the held texts and hidden names only).
    Moderator,
    CampaignOverlay,
    /// The charity's space of a campaign.
    CampaignReport,
}

/// Recent donations and named donors' sums, for a live or a whole campaign.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// The newest donations on air (counted, and their text not waiting for
    /// moderation), newest first, each with the seq that received it: a burst
    /// of texts held for moderation does not push out what the ticker shows.
    recent: VecDeque<(u64, Donation)>,
    /// The newest donations whose text waits for moderation, likewise.
    held: VecDeque<(u64, Donation)>,
    /// Named (not anonymous) donors: name → (sum kept after refunds, count not refunded whole).
    pub donors: HashMap<String, (i64, u64)>,
    /// Every donation the stream received, refunded and erased ones included:
    /// the organisers' lists' `count`, without counting the log's rows.
    pub received: u64,
}

impl Board {
    /// Records a donation's new state (`before`: its previous one, `None` when
    /// new; `seq`: the seq that received it). Donors count only under the name
    /// viewers may see, and not once refunded.
    pub fn record(&mut self, before: Option<&Donation>, d: &Donation, seq: u64) {
        match before {
            None => self.received += 1,
            Some(before) => {
                self.uncount(before);
                // Out of the list it was in: it may go to the other one, or none.
                self.recent.retain(|(_, r)| r.id != d.id);
                self.held.retain(|(_, r)| r.id != d.id);
            }
        }
        self.keep(seq, d);
        self.count(d);
    }

    /// Puts a donation among the newest on air or held, at its place by the
    /// seq that received it, unless it is older than all of a full list;
    /// one refunded whole is in neither.
    fn keep(&mut self, seq: u64, d: &Donation) {
        if d.refunded {
            return;
        }
        let (list, cap) = if d.pending { (&mut self.held, HELD_KEPT) } else { (&mut self.recent, ON_AIR_KEPT) };
        let at = list.iter().position(|(s, _)| *s < seq).unwrap_or(list.len());
        if at < cap {
            list.insert(at, (seq, d.clone()));
            list.truncate(cap);
        }
    }

    /// The newest donation not refunded whole, on air or its text held (the
    /// chat's "!dernier": the money counts at once).
    pub fn newest(&self) -> Option<&Donation> {
        match (self.recent.front(), self.held.front()) {
            (Some(a), Some(h)) => Some(if a.0 > h.0 { &a.1 } else { &h.1 }),
            (a, h) => a.or(h).map(|(_, d)| d),
        }
    }

    /// The name a donation counts under on the leaderboard, if it counts.
    fn counted(d: &Donation) -> Option<&str> {
        if d.refunded { None } else { d.shown_donor() }
    }

    fn count(&mut self, d: &Donation) {
        let Some(name) = Self::counted(d) else { return };
        match self.donors.get_mut(name) {
            Some(e) => *e = (e.0 + d.kept(), e.1 + 1),
            None => {
                self.donors.insert(name.to_owned(), (d.kept(), 1));
            }
        }
    }

    /// Adds another board's donor sums to this one's (a campaign's from its lives').
    fn absorb(&mut self, other: &Board) {
        self.received += other.received;
        for (name, (sum, n)) in &other.donors {
            match self.donors.get_mut(name) {
                Some(e) => *e = (e.0 + sum, e.1 + n),
                None => {
                    self.donors.insert(name.clone(), (*sum, *n));
                }
            }
        }
    }

    fn uncount(&mut self, d: &Donation) {
        let Some(name) = Self::counted(d) else { return };
        if let Some(e) = self.donors.get_mut(name) {
            *e = (e.0 - d.kept(), e.1.saturating_sub(1));
            if e.1 == 0 {
                self.donors.remove(name);
            }
        }
    }

    /// The biggest named donors: `[{donor, amount, donations}]`, ties by name.
    pub fn top_donors(&self) -> Value {
        self.ranked_donors(TOP)
    }

    /// Like [`Board::top_donors`], the first `n` of them.
    fn ranked_donors(&self, n: usize) -> Value {
        let mut v: Vec<_> = self.donors.iter().collect();
        let order =
            |a: &(&String, &(i64, u64)), b: &(&String, &(i64, u64))| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0));
        // The first `n` of thousands picked out before they are sorted: every
        // viewer's page and overlay asks for the ten biggest when it opens.
        if n < v.len() {
            v.select_nth_unstable_by(n, order);
            v.truncate(n);
        }
        v.sort_unstable_by(order);
        v.iter().map(|(name, (amount, n))| json!({"donor": name, "amount": amount, "donations": n})).collect()
    }

    /// Every named donor, biggest first, and how many of the `donations` that
    /// still count show no name (anonymous, or a name hidden or waiting for
    /// moderation): what a credits roll thanks.
    fn credits(&self, seq: u64, totals: Totals) -> Value {
        let named: u64 = self.donors.values().map(|(_, n)| n).sum();
        json!({
            "seq": seq,
            "totals": totals,
            "donors": self.ranked_donors(usize::MAX),
            "unnamed_donations": totals.donations.saturating_sub(named),
        })
    }

    /// Every named donor in alphabetical order (without regard to case or
    /// accents), and how many of the `totals`' donations show no name: whom a
    /// thank-you names.
    pub fn thanked(&self, totals: Totals) -> (Vec<String>, u64) {
        let named: u64 = self.donors.values().map(|(_, n)| n).sum();
        let mut names: Vec<(String, &String)> =
            self.donors.keys().map(|n| (crate::domain::moderation::normalize(n), n)).collect();
        names.sort();
        (names.into_iter().map(|(_, n)| n.clone()).collect(), totals.donations.saturating_sub(named))
    }

    /// The [`RECENT`] newest donations on air and, among them, those newer
    /// whose text waits for moderation (its page shows it once released),
    /// newest first.
    pub fn recent_json(&self) -> Vec<Value> {
        let air = self.recent.iter().take(RECENT);
        let floor = if self.recent.len() >= RECENT { self.recent[RECENT - 1].0 } else { 0 };
        let mut all: Vec<&(u64, Donation)> = air.chain(self.held.iter().filter(|(s, _)| *s > floor)).collect();
        all.sort_unstable_by_key(|(s, _)| std::cmp::Reverse(*s));
        all.iter().map(|(_, d)| serde_json::to_value(d.view()).unwrap_or(Value::Null)).collect()
    }
}

#[derive(Debug, Clone)]
pub struct CampaignView {
    pub campaign: Campaign,
    pub totals: Totals,
    pub matches: Vec<MatchState>,
    pub milestones: Vec<MilestoneState>,
    pub lives: Vec<String>,
    pub platforms: PlatformTotals,
    /// Seq of the newest event of the campaign stream.
    pub last_seq: u64,
    /// Seq of the newest change to one of its lives' own fields (a live
    /// created, edited, started, ended): its totals stream's followers read
    /// the schedule again when it moves.
    pub lives_seq: u64,
    /// Shared with the copies readers take; the writer copies it only if one is still held.
    pub board: Arc<Board>,
}

#[derive(Debug, Clone)]
pub struct LiveView {
    pub live: Live,
    pub currency: Currency,
    pub totals: Totals,
    pub platforms: PlatformTotals,
    /// Seq of the newest event of this live's stream.
    pub last_seq: u64,
    /// Shared with the copies readers take; the writer copies it only if one is still held.
    pub board: Arc<Board>,
    pub moderation: Moderation,
    /// Donations whose text waits for moderation, oldest first; one refunded
    /// whole has nothing left to show and is not among them.
    pub pending: Vec<Donation>,
    /// In the order they were put, the newest last.
    pub polls: Vec<PollState>,
    /// Its prize draws and their winning donations as they are now, the newest last.
    pub draws: Vec<(Draw, Donation)>,
    /// The rewards it offers or offered, in the order they were offered.
    pub rewards: Vec<RewardState>,
    /// The donations that claimed them or named one without getting it, as
    /// they are now, by id.
    pub claimants: HashMap<SmolStr, Donation>,
    /// Its moderators by name, in the order they were added.
    pub moderators: Vec<Moderator>,
}

#[derive(Default)]
pub struct Views {
    pub campaigns: DashMap<String, CampaignView>,
    pub lives: DashMap<String, LiveView>,
    /// Digest of a secret → (live or campaign id, which secret).
    pub tokens: DashMap<TokenHash, (String, TokenOwner)>,
    pub integrations: DashMap<String, Integration>,
    pub subscribers: DashMap<String, Subscriber>,
    /// Each prize draw's winning donation → the lives whose draws name it (a
    /// campaign-wide draw's winner may be another live's donation): a hidden
    /// name or a refund reaches them.
    pub draw_winners: DashMap<SmolStr, Vec<String>>,
}

impl Views {
    /// Fills an empty read model from a replayed state.
    pub fn load(&self, state: &State) {
        // The donations are grouped by live (leaderboard, newest donations kept as
        // candidates and cloned at the end, texts waiting for moderation), a long
        // list in two halves on two threads. A campaign's are then merged from its
        // lives' (every donation of a live is in the live's campaign).
        let mut all: Vec<&DonationState> = state.donations.values().collect();
        // In memory order rather than the map's hash order: the donations were
        // allocated one after another as the log was folded, so this walks memory
        // forward instead of missing the cache at every donation.
        all.sort_unstable_by_key(|d| std::ptr::from_ref(*d) as usize);
        let (lives, mut pending) = if all.len() < 100_000 {
            group_by_live(&all)
        } else {
            let (first, second) = all.split_at(all.len() / 2);
            std::thread::scope(|s| {
                let other = s.spawn(|| group_by_live(second));
                let mine = group_by_live(first);
                merge_groups(mine, other.join().expect("a read-model thread panicked"))
            })
        };
        let mut boards: HashMap<&str, Board> = HashMap::default();
        let mut newest: HashMap<&str, Newest> = HashMap::default();
        for (live, (campaign, board, top)) in lives {
            boards.entry(campaign).or_default().absorb(&board);
            newest.entry(campaign).or_default().absorb(&top);
            boards.insert(live, board);
            newest.insert(live, top);
        }
        for (id, top) in newest {
            let board = boards.entry(id).or_default();
            board.recent = top.air.sorted();
            board.held = top.held.sorted();
        }
        for c in state.campaigns.values() {
            let mut lives: Vec<_> = c.lives.iter().filter_map(|l| state.lives.get(l)).collect();
            lives.sort_by_key(|l| l.created_seq);
            self.insert_campaign(CampaignView {
                campaign: c.campaign.clone(),
                totals: c.totals,
                matches: c.matches.clone(),
                milestones: c.milestones.clone(),
                lives: lives.iter().map(|l| l.live.id.clone()).collect(),
                platforms: c.platforms.clone(),
                last_seq: c.stream_seq,
                lives_seq: c.stream_seq,
                board: Arc::new(boards.remove(c.campaign.id.as_str()).unwrap_or_default()),
            });
            for l in lives {
                for d in &l.draws {
                    self.draw_winners.entry(d.winner.as_str().into()).or_default().push(l.live.id.clone());
                }
                let mut pending = pending.remove(l.live.id.as_str()).unwrap_or_default();
                pending.sort_by_key(|d| d.seq);
                self.insert_live(LiveView {
                    live: l.live.clone(),
                    currency: c.campaign.currency,
                    totals: l.totals,
                    platforms: l.platforms.clone(),
                    last_seq: l.stream_seq,
                    board: Arc::new(boards.remove(l.live.id.as_str()).unwrap_or_default()),
                    moderation: l.moderation.clone(),
                    pending: pending.into_iter().map(|d| d.donation.clone()).collect(),
                    polls: l.polls.clone(),
                    draws: l
                        .draws
                        .iter()
                        .filter_map(|d| Some((d.clone(), state.donations.get(&d.winner)?.donation.clone())))
                        .collect(),
                    rewards: l.rewards.clone(),
                    claimants: l
                        .rewards
                        .iter()
                        .flat_map(|r| {
                            r.claims.iter().map(|c| &c.donation_id).chain(r.missed.iter().map(|m| &m.donation_id))
                        })
                        .filter_map(|id| Some((id.clone(), state.donations.get(id)?.donation.clone())))
                        .collect(),
                    moderators: l.moderators.clone(),
                });
            }
        }
        for i in state.integrations.values() {
            self.integrations.insert(i.id.clone(), i.clone());
        }
        for s in state.subscribers.values() {
            self.subscribers.insert(s.id.clone(), s.clone());
        }
    }

    fn insert_campaign(&self, v: CampaignView) {
        if let Some(h) = v.campaign.overlay_hash {
            self.tokens.insert(h, (v.campaign.id.clone(), TokenOwner::CampaignOverlay));
        }
        if let Some(h) = v.campaign.report_hash {
            self.tokens.insert(h, (v.campaign.id.clone(), TokenOwner::CampaignReport));
        }
        self.campaigns.insert(v.campaign.id.clone(), v);
    }

    fn insert_live(&self, v: LiveView) {
        self.tokens.insert(v.live.key_hash, (v.live.id.clone(), TokenOwner::LiveKey));
        self.tokens.insert(v.live.overlay_hash, (v.live.id.clone(), TokenOwner::Overlay));
        if let Some(h) = v.live.host_hash {
            self.tokens.insert(h, (v.live.id.clone(), TokenOwner::Host));
        }
        if let Some(h) = v.live.moderator_hash {
            self.tokens.insert(h, (v.live.id.clone(), TokenOwner::Moderator));
        }
        for m in &v.moderators {
            self.tokens.insert(m.token_hash, (v.live.id.clone(), TokenOwner::Moderator));
        }
        self.lives.insert(v.live.id.clone(), v);
    }

    /// Applies one committed change; called by the writer only, in seq order.
    pub fn apply(&self, seq: u64, change: &Change) {
        match change {
            Change::Campaign(c) => self.insert_campaign(CampaignView {
                campaign: c.clone(),
                totals: Totals::default(),
                matches: vec![],
                milestones: vec![],
                lives: vec![],
                platforms: PlatformTotals::new(),
                last_seq: seq,
                lives_seq: seq,
                board: Arc::default(),
            }),
            Change::CampaignInfo(info) => {
                if let Some(mut c) = self.campaigns.get_mut(&info.id) {
                    // Only a rotation replaces the overlay token or the charity's key (as in the fold).
                    let (overlay_hash, report_hash) = (c.campaign.overlay_hash, c.campaign.report_hash);
                    c.campaign = info.clone();
                    c.campaign.overlay_hash = overlay_hash;
                    c.campaign.report_hash = report_hash;
                }
            }
            Change::CampaignOverlay { campaign_id, old, new } => {
                if let Some(old) = old {
                    self.tokens.remove(old);
                }
                self.tokens.insert(*new, (campaign_id.clone(), TokenOwner::CampaignOverlay));
                if let Some(mut c) = self.campaigns.get_mut(campaign_id) {
                    c.campaign.overlay_hash = Some(*new);
                }
            }
            Change::CampaignReport { campaign_id, old, new } => {
                if let Some(old) = old {
                    self.tokens.remove(old);
                }
                self.tokens.insert(*new, (campaign_id.clone(), TokenOwner::CampaignReport));
                if let Some(mut c) = self.campaigns.get_mut(campaign_id) {
                    c.campaign.report_hash = Some(*new);
                }
            }
            Change::LiveInfo(info) => {
                if let Some(mut l) = self.lives.get_mut(&info.id) {
                    l.live = info.clone();
                }
                if let Some(mut c) = self.campaigns.get_mut(&info.campaign_id) {
                    c.lives_seq = seq;
                }
            }
            Change::Match(m) => {
                if let Some(mut c) = self.campaigns.get_mut(&m.r#match.campaign_id) {
                    upsert(&mut c.matches, m.clone(), |x| x.r#match.id == m.r#match.id);
                }
            }
            Change::Milestone(m) => {
                if let Some(mut c) = self.campaigns.get_mut(&m.milestone.campaign_id) {
                    upsert(&mut c.milestones, m.clone(), |x| x.milestone.id == m.milestone.id);
                }
            }
            Change::Live { live, currency } => {
                self.insert_live(LiveView {
                    live: live.clone(),
                    currency: *currency,
                    totals: Totals::default(),
                    platforms: PlatformTotals::new(),
                    last_seq: seq,
                    board: Arc::default(),
                    moderation: Moderation::default(),
                    pending: vec![],
                    polls: vec![],
                    draws: vec![],
                    rewards: vec![],
                    claimants: HashMap::default(),
                    moderators: vec![],
                });
                if let Some(mut c) = self.campaigns.get_mut(&live.campaign_id) {
                    c.lives.push(live.id.clone());
                    c.lives_seq = seq;
                }
            }
            Change::Donation {
                before,
                donation,
                received,
                live_totals,
                campaign_totals,
                live_platform,
                campaign_platform,
                matches,
                poll,
                reward,
            } => {
                if let Some(mut l) = self.lives.get_mut(donation.live_id.as_str()) {
                    l.totals = *live_totals;
                    if let Some(p) = poll {
                        upsert(&mut l.polls, p.clone(), |x| x.poll.id == p.poll.id);
                    }
                    if let Some(r) = reward {
                        upsert(&mut l.rewards, r.clone(), |x| x.reward.id == r.reward.id);
                    }
                    // A claim, a reward named without getting it, or one of them changed.
                    if reward.is_some() || l.claimants.contains_key(&donation.id) {
                        l.claimants.insert(donation.id.clone(), donation.clone());
                    }
                    l.platforms.insert(donation.platform.clone(), *live_platform);
                    Arc::make_mut(&mut l.board).record(before.as_ref(), donation, *received);
                    // In its place (oldest first, as a restart lists them), or
                    // out once released, hidden or refunded whole.
                    let waits = donation.pending && !donation.refunded;
                    match l.pending.iter().position(|d| d.id == donation.id) {
                        Some(at) if waits => l.pending[at] = donation.clone(),
                        Some(at) => {
                            l.pending.remove(at);
                        }
                        None if waits => l.pending.push(donation.clone()),
                        None => {}
                    }
                }
                // A winner's name hidden or its gift refunded since: the draws show
                // it as it is (a new donation has won nothing yet).
                let drawn_on =
                    before.as_ref().and_then(|_| self.draw_winners.get(donation.id.as_str()).map(|l| l.clone()));
                for live_id in drawn_on.into_iter().flatten() {
                    if let Some(mut l) = self.lives.get_mut(&live_id) {
                        for (_, w) in l.draws.iter_mut().filter(|(_, w)| w.id == donation.id) {
                            *w = donation.clone();
                        }
                    }
                }
                if let Some(mut c) = self.campaigns.get_mut(donation.campaign_id.as_str()) {
                    c.totals = *campaign_totals;
                    c.platforms.insert(donation.platform.clone(), *campaign_platform);
                    Arc::make_mut(&mut c.board).record(before.as_ref(), donation, *received);
                    for m in matches {
                        upsert(&mut c.matches, m.clone(), |x| x.r#match.id == m.r#match.id);
                    }
                }
            }
            Change::Secrets { live, old_key, old_overlay, old_host, old_moderator } => {
                for (old, new, owner) in [
                    (old_host, live.host_hash, TokenOwner::Host),
                    (old_moderator, live.moderator_hash, TokenOwner::Moderator),
                ] {
                    if *old != new {
                        if let Some(old) = old {
                            self.tokens.remove(old);
                        }
                        if let Some(new) = new {
                            self.tokens.insert(new, (live.id.clone(), owner));
                        }
                    }
                }
                if *old_key != live.key_hash {
                    self.tokens.remove(old_key);
                    self.tokens.insert(live.key_hash, (live.id.clone(), TokenOwner::LiveKey));
                }
                if *old_overlay != live.overlay_hash {
                    self.tokens.remove(old_overlay);
                    self.tokens.insert(live.overlay_hash, (live.id.clone(), TokenOwner::Overlay));
                }
                if let Some(mut l) = self.lives.get_mut(&live.id) {
                    l.live = live.clone();
                }
            }
            Change::Moderators { live_id, moderators } => {
                if let Some(mut l) = self.lives.get_mut(live_id) {
                    for gone in l.moderators.iter().filter(|m| !moderators.iter().any(|n| n.id == m.id)) {
                        self.tokens.remove(&gone.token_hash);
                    }
                    for new in moderators.iter().filter(|n| !l.moderators.iter().any(|m| m.id == n.id)) {
                        self.tokens.insert(new.token_hash, (live_id.clone(), TokenOwner::Moderator));
                    }
                    l.moderators = moderators.clone();
                }
            }
            Change::Poll { live_id, poll } => {
                if let Some(mut l) = self.lives.get_mut(live_id) {
                    upsert(&mut l.polls, poll.clone(), |x| x.poll.id == poll.poll.id);
                }
            }
            Change::Reward { live_id, reward } => {
                if let Some(mut l) = self.lives.get_mut(live_id) {
                    upsert(&mut l.rewards, reward.clone(), |x| x.reward.id == reward.reward.id);
                }
            }
            Change::Draw { draw, winner } => {
                if let Some(mut l) = self.lives.get_mut(&draw.live_id) {
                    l.draws.push((draw.clone(), winner.clone()));
                }
                self.draw_winners.entry(winner.id.clone()).or_default().push(draw.live_id.clone());
            }
            Change::Moderation { live_id, moderation } => {
                if let Some(mut l) = self.lives.get_mut(live_id) {
                    l.moderation = moderation.clone();
                }
            }
            Change::Integration(i) => {
                self.integrations.insert(i.id.clone(), i.clone());
            }
            Change::IntegrationRemoved(id) => {
                self.integrations.remove(id);
            }
            Change::SubscriberRemoved(id) => {
                self.subscribers.remove(id);
            }
            Change::Subscriber(s) => {
                self.subscribers.insert(s.id.clone(), s.clone());
            }
        }
    }

    /// Advances the seq of the streams that show event `seq`. The campaign first,
    /// then its lives: a live snapshot at seq S always sees the campaign data of S.
    pub fn bump(&self, seq: u64, stream: &Stream) {
        let (campaign_id, lives) = match stream {
            Stream::Live(l) => {
                let Some(cid) = self.lives.get(l).map(|v| v.live.campaign_id.clone()) else { return };
                (cid, vec![l.clone()])
            }
            Stream::Campaign(c) => (c.clone(), self.campaigns.get(c).map(|v| v.lives.clone()).unwrap_or_default()),
        };
        if let Some(mut c) = self.campaigns.get_mut(&campaign_id) {
            c.last_seq = seq;
        }
        for l in lives {
            if let Some(mut v) = self.lives.get_mut(&l) {
                v.last_seq = seq;
            }
        }
    }

    pub fn live(&self, id: &str) -> Option<LiveView> {
        self.lives.get(id).map(|l| l.clone())
    }

    pub fn has_live(&self, id: &str) -> bool {
        self.lives.contains_key(id)
    }

    pub fn has_campaign(&self, id: &str) -> bool {
        self.campaigns.contains_key(id)
    }

    /// Reads a part of a live without copying the rest. `f` runs under the map's
    /// read lock: it must be short and must not touch `lives` again.
    pub fn with_live<R>(&self, id: &str, f: impl FnOnce(&LiveView) -> R) -> Option<R> {
        self.lives.get(id).map(|l| f(&l))
    }

    /// Like [`Views::with_live`], for a campaign.
    pub fn with_campaign<R>(&self, id: &str, f: impl FnOnce(&CampaignView) -> R) -> Option<R> {
        self.campaigns.get(id).map(|c| f(&c))
    }

    pub fn campaign(&self, id: &str) -> Option<CampaignView> {
        self.campaigns.get(id).map(|c| c.clone())
    }

    /// The lives of `live_id`'s campaign with its host (see [`host_key`]), in
    /// creation order, `live_id`'s own among them.
    pub fn host_lives(&self, live_id: &str) -> Option<Vec<Live>> {
        let (campaign_id, key) = self.with_live(live_id, |l| (l.live.campaign_id.clone(), host_key(&l.live.host)))?;
        let ids = self.with_campaign(&campaign_id, |c| c.lives.clone())?;
        Some(
            ids.iter()
                .filter_map(|id| self.with_live(id, |l| l.live.clone()))
                .filter(|l| host_key(&l.host) == key)
                .collect(),
        )
    }

    /// Whether two lives are one host's in one campaign: a host's overlay link
    /// may follow them from one to the other.
    pub fn same_host(&self, a: &str, b: &str) -> bool {
        let of = |id: &str| self.with_live(id, |l| (l.live.campaign_id.clone(), host_key(&l.live.host)));
        matches!((of(a), of(b)), (Some(x), Some(y)) if x == y)
    }

    /// The live without its secrets.
    pub fn live_json(&self, id: &str, now: Timestamp) -> Option<Value> {
        let l = self.live(id)?;
        let c = self.campaign(&l.live.campaign_id)?;
        Some(live_json(&l, &c, now))
    }

    /// `GET /api/v1/lives/{id}`: [`Views::live_json`] and the newest donations
    /// as of the same seq (its public page's list, after a burst of gifts its
    /// stream did not all bring).
    pub fn live_doc(&self, id: &str, now: Timestamp) -> Option<Value> {
        let l = self.live(id)?;
        let c = self.campaign(&l.live.campaign_id)?;
        let mut body = live_json(&l, &c, now);
        body["recent"] = json!(l.board.recent_json());
        Some(body)
    }

    /// The campaign, its schedule of lives with their totals, matches,
    /// milestones, leaderboards and totals by platform.
    pub fn campaign_json(&self, id: &str, now: Timestamp) -> Option<Value> {
        let c = self.campaign(id)?;
        let lives: Vec<LiveView> = c.lives.iter().filter_map(|id| self.live(id)).collect();
        Some(campaign_json(&c, &lives, now))
    }

    /// `GET /api/v1/campaigns/{id}`: [`Views::campaign_json`] and the newest
    /// donations as of the same seq (its public page's list, after a burst of
    /// gifts its stream did not all bring).
    pub fn campaign_doc(&self, id: &str, now: Timestamp) -> Option<Value> {
        let c = self.campaign(id)?;
        let lives: Vec<LiveView> = c.lives.iter().filter_map(|id| self.live(id)).collect();
        let mut body = campaign_json(&c, &lives, now);
        body["recent"] = json!(c.board.recent_json());
        Some(body)
    }

    /// `GET /api/v1/lives/{id}/donors`: every donor of the live viewers may see by name.
    pub fn live_donors_json(&self, id: &str) -> Option<Value> {
        // The board is shared: the sort runs outside the map's lock.
        let (board, seq, totals) = self.with_live(id, |l| (l.board.clone(), l.last_seq, l.totals))?;
        Some(board.credits(seq, totals))
    }

    /// `GET /api/v1/campaigns/{id}/donors`: the same for every live of the campaign.
    pub fn campaign_donors_json(&self, id: &str) -> Option<Value> {
        let (board, seq, totals) = self.with_campaign(id, |c| (c.board.clone(), c.last_seq, c.totals))?;
        Some(board.credits(seq, totals))
    }

    /// The first message of a live stream: everything an overlay needs, as of seq
    /// `S`, and the server's time (`now`), by which the pages count down.
    pub fn snapshot(&self, live_id: &str, now: Timestamp) -> Option<(u64, String)> {
        // The live entry is read once, so seq, totals and recent agree; the campaign
        // entry is read after it, so it is at least as new (see `bump`).
        let l = self.live(live_id)?;
        let c = self.campaign(&l.live.campaign_id)?;
        let milestones: Vec<_> = c
            .milestones
            .iter()
            .filter(|m| m.milestone.live_id.as_ref().is_none_or(|id| *id == l.live.id))
            .map(milestone_json)
            .collect();
        let body = json!({
            "type": "snapshot",
            "seq": l.last_seq,
            "now": now,
            "live": live_json(&l, &c, now),
            "totals": l.totals,
            "campaign_totals": c.totals,
            "goal": l.live.goal,
            "campaign_goal": c.campaign.goal,
            "currency": l.currency,
            "recent": l.board.recent_json(),
            "top_donors": l.board.top_donors(),
            "matches": c.matches.iter().map(match_json).collect::<Vec<_>>(),
            "milestones": milestones,
            "platform_totals": l.platforms,
        });
        Some((l.last_seq, body.to_string()))
    }

    /// Where a live stands, for its public stream after gifts it held back
    /// (see [`crate::hub::GiftBudget`]): `{type: "totals", seq, totals,
    /// campaign_totals, matches}` as of the live's newest seq (the campaign's
    /// figures read after, at least as new).
    pub fn live_totals_frame(&self, live_id: &str) -> Option<(u64, String)> {
        let (seq, totals, campaign_id) =
            self.with_live(live_id, |l| (l.last_seq, l.totals, l.live.campaign_id.clone()))?;
        let body = self.with_campaign(&campaign_id, |c| {
            json!({
                "type": "totals", "seq": seq, "totals": totals, "campaign_totals": c.totals,
                "matches": c.matches.iter().map(match_json).collect::<Vec<_>>(),
            })
        })?;
        Some((seq, body.to_string()))
    }

    /// A frame of a campaign's totals stream, `totals`, or with `snapshot_at`
    /// its first message, `snapshot`, with the server's time then (`now`): its
    /// totals, goal, opening and end and its matches as of its newest seq,
    /// the seq of its lives' newest change of schedule (`lives_seq`), and its
    /// lives whose stream moved past `since`, each with its seq and totals, the
    /// biggest [`TOTALS_LIVES`] of them; `None` for a campaign unknown or that
    /// did not move past `since`.
    pub fn campaign_totals_frame(
        &self,
        campaign_id: &str,
        since: u64,
        snapshot_at: Option<Timestamp>,
    ) -> Option<(u64, String)> {
        let (seq, head, lives) = self.with_campaign(campaign_id, |c| {
            // A live created moves no stream, but the schedule.
            let seq = c.last_seq.max(c.lives_seq);
            if seq <= since {
                return None;
            }
            let head = json!({
                "campaign_totals": c.totals, "goal": c.campaign.goal, "starts_at": c.campaign.starts_at,
                "ends_at": c.campaign.ends_at, "lives_seq": c.lives_seq,
                "matches": c.matches.iter().map(match_json).collect::<Vec<_>>(),
            });
            Some((seq, head, c.lives.clone()))
        })??;
        let mut moved: Vec<(String, u64, Totals)> = lives
            .iter()
            .filter_map(|id| {
                self.with_live(id, |l| (l.last_seq > since).then(|| (id.clone(), l.last_seq, l.totals)))?
            })
            .collect();
        moved.sort_by(|a, b| b.2.total.cmp(&a.2.total).then_with(|| a.0.cmp(&b.0)));
        moved.truncate(TOTALS_LIVES);
        let lives: Vec<Value> =
            moved.iter().map(|(id, seq, totals)| json!({"id": id, "seq": seq, "totals": totals})).collect();
        let mut body = json!({"type": "totals", "seq": seq, "lives": lives});
        if let (Some(o), Value::Object(head)) = (body.as_object_mut(), head) {
            o.extend(head);
        }
        if let Some(now) = snapshot_at {
            body["type"] = json!("snapshot");
            body["now"] = json!(now);
        }
        Some((seq, body.to_string()))
    }

    /// The first message of a campaign stream: its document, as a snapshot.
    pub fn campaign_snapshot(&self, campaign_id: &str, now: Timestamp) -> Option<(u64, String)> {
        let mut body = self.campaign_doc(campaign_id, now)?;
        body["type"] = json!("snapshot");
        body["now"] = json!(now);
        Some((body["seq"].as_u64()?, body.to_string()))
    }
}

fn upsert<T>(v: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) {
    match v.iter_mut().find(|x| same(x)) {
        Some(x) => *x = item,
        None => v.push(item),
    }
}

/// When the schedule says a live ends: `duration_minutes` (120 by default) after its start.
pub fn live_end(l: &Live) -> Option<Timestamp> {
    l.ends_at()
}

/// `upcoming`, `current` or `past` at `now`; `unscheduled` without
/// `scheduled_at`; `cancelled` once called off.
pub fn live_status(l: &Live, now: Timestamp) -> &'static str {
    if l.cancelled {
        return "cancelled";
    }
    let (Some(start), Some(end)) = (l.scheduled_at, live_end(l)) else { return "unscheduled" };
    if now < start {
        "upcoming"
    } else if now < end {
        "current"
    } else {
        "past"
    }
}

/// Where a campaign stands by its window at `now`: `upcoming` before its
/// `starts_at`, `ended` from its `ends_at`, else `open`.
pub fn campaign_status(c: &Campaign, now: Timestamp) -> &'static str {
    if c.ends_at.is_some_and(|e| e <= now) {
        "ended"
    } else if c.starts_at.is_some_and(|s| now < s) {
        "upcoming"
    } else {
        "open"
    }
}

pub use crate::domain::host_key;

/// The live a host's follow link shows at `now`, among that host's lives of one
/// campaign (in creation order): the one on air per the schedule (the latest
/// started if several); else the last one to end, for an hour after its end
/// ([`FOLLOW_GRACE_MINUTES`]: a live that runs late, its credits); else the
/// next one to start (its countdown); else the last one to end; else the newest
/// unscheduled one. Lives called off are passed over, unless the host has no other.
pub fn followed<'a>(lives: &[&'a Live], now: Timestamp) -> Option<&'a Live> {
    let on: Vec<&Live> = lives.iter().copied().filter(|l| !l.cancelled).collect();
    let lives = if on.is_empty() { lives } else { &on };
    let ended = |l: &Live| live_end(l).filter(|end| *end <= now);
    let grace = FOLLOW_GRACE_MINUTES * 60_000;
    let last_ended = || lives.iter().copied().filter(|l| ended(l).is_some()).max_by_key(|l| live_end(l));
    lives
        .iter()
        .copied()
        .filter(|l| live_status(l, now) == "current")
        .max_by_key(|l| l.scheduled_at)
        .or_else(|| last_ended().filter(|l| ended(l).is_some_and(|end| now.millis() - end.millis() < grace)))
        .or_else(|| {
            lives.iter().copied().filter(|l| l.scheduled_at.is_some_and(|s| s > now)).min_by_key(|l| l.scheduled_at)
        })
        .or_else(last_ended)
        .or_else(|| lives.iter().rev().copied().find(|l| l.scheduled_at.is_none()))
}

/// The campaign's hosts, in the order of their first live: each one's lives
/// (in creation order), the one their follow link shows at `now` (see
/// [`followed`]) and their lives' totals summed.
fn hosts_json(lives: &[LiveView], now: Timestamp) -> Vec<Value> {
    let mut hosts: Vec<(String, Vec<&Live>, Totals)> = Vec::new();
    for l in lives {
        let key = host_key(&l.live.host);
        let i = match hosts.iter().position(|(k, ..)| *k == key) {
            Some(i) => i,
            None => {
                hosts.push((key, Vec::new(), Totals::default()));
                hosts.len() - 1
            }
        };
        let (_, of_host, totals) = &mut hosts[i];
        of_host.push(&l.live);
        totals.raised += l.totals.raised;
        totals.matched += l.totals.matched;
        totals.total += l.totals.total;
        totals.donations += l.totals.donations;
    }
    hosts
        .iter()
        .filter_map(|(_, of_host, totals)| {
            let shown = followed(of_host, now)?;
            Some(json!({
                "host": of_host[0].host, "live_id": shown.id,
                "lives": of_host.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), "totals": totals,
            }))
        })
        .collect()
}

/// A live's own fields as edited (`live_updated` frames): no secret, no totals.
pub fn live_info_json(lv: &Live) -> Value {
    json!({
        "id": lv.id, "campaign_id": lv.campaign_id, "host": lv.host, "title": lv.title,
        "platform": lv.platform, "scheduled_at": lv.scheduled_at, "duration_minutes": lv.duration_minutes,
        "ends_at": live_end(lv), "goal": lv.goal, "donate_url": lv.donate_url, "stream_url": lv.stream_url, "cancelled": lv.cancelled,
        "alerts_paused": lv.alerts_paused,
    })
}

/// A campaign's own fields as edited (`campaign_updated` frames): no secret, no totals.
pub fn campaign_info_json(cp: &Campaign) -> Value {
    json!({
        "id": cp.id, "name": cp.name, "currency": cp.currency, "goal": cp.goal, "charity": cp.charity,
        "starts_at": cp.starts_at, "ends_at": cp.ends_at, "donate_url": cp.donate_url,
        "cover": cp.cover, "cover_url": cover_url(cp),
    })
}

/// Where the campaign's picture is served, if it has one.
fn cover_url(cp: &Campaign) -> Option<String> {
    cp.cover.as_ref().map(|id| format!("/media/{id}"))
}

fn live_json(l: &LiveView, c: &CampaignView, now: Timestamp) -> Value {
    let lv = &l.live;
    json!({
        "id": lv.id, "campaign_id": lv.campaign_id, "host": lv.host, "title": lv.title,
        "platform": lv.platform, "scheduled_at": lv.scheduled_at, "duration_minutes": lv.duration_minutes,
        "ends_at": live_end(lv), "status": live_status(lv, now), "goal": lv.goal, "cancelled": lv.cancelled,
        "alerts_paused": lv.alerts_paused,
        "created_at": lv.created_at, "currency": l.currency, "campaign_name": c.campaign.name,
        "campaign_goal": c.campaign.goal, "campaign_starts_at": c.campaign.starts_at, "campaign_ends_at": c.campaign.ends_at, "totals": l.totals, "campaign_totals": c.totals, "seq": l.last_seq,
        "donate_url": lv.donate_url.as_ref().or(c.campaign.donate_url.as_ref()), "stream_url": lv.stream_url,
        "platform_totals": l.platforms, "top_donors": l.board.top_donors(),
        "matches": c.matches.iter().map(match_json).collect::<Vec<_>>(),
        "polls": l.polls.iter().map(poll_json).collect::<Vec<_>>(),
        "draws": l.draws.iter().map(|(d, w)| draw_json(d, w)).collect::<Vec<_>>(),
        "rewards": l.rewards.iter().map(reward_json).collect::<Vec<_>>(),
    })
}

fn campaign_json(c: &CampaignView, lives: &[LiveView], now: Timestamp) -> Value {
    // The schedule: by planned start, unscheduled ones last, then creation order.
    let mut schedule: Vec<&LiveView> = lives.iter().collect();
    schedule.sort_by_key(|l| (l.live.scheduled_at.is_none(), l.live.scheduled_at));
    let lives_json: Vec<Value> = schedule
        .iter()
        .map(|l| {
            json!({
                "id": l.live.id, "host": l.live.host, "title": l.live.title, "platform": l.live.platform,
                "stream_url": l.live.stream_url,
                "scheduled_at": l.live.scheduled_at, "duration_minutes": l.live.duration_minutes,
                "ends_at": live_end(&l.live), "status": live_status(&l.live, now), "goal": l.live.goal,
                "cancelled": l.live.cancelled, "alerts_paused": l.live.alerts_paused, "totals": l.totals,
                "polls": l.polls.iter().map(poll_json).collect::<Vec<_>>(),
                "draws": l.draws.iter().map(|(d, w)| draw_json(d, w)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let next_live = schedule.iter().find(|l| live_status(&l.live, now) == "upcoming").map(
        |l| json!({"id": l.live.id, "host": l.live.host, "title": l.live.title, "scheduled_at": l.live.scheduled_at, "stream_url": l.live.stream_url}),
    );
    let mut top_lives: Vec<&LiveView> = lives.iter().collect();
    top_lives.sort_by(|a, b| b.totals.total.cmp(&a.totals.total).then_with(|| a.live.id.cmp(&b.live.id)));
    let top_lives: Vec<Value> = top_lives
        .iter()
        .take(TOP)
        .map(|l| json!({"id": l.live.id, "host": l.live.host, "title": l.live.title, "totals": l.totals}))
        .collect();
    // The campaign's own fields as its edits' frames give them, and the rest.
    let mut out = campaign_info_json(&c.campaign);
    let more = json!({
        "created_at": c.campaign.created_at, "status": campaign_status(&c.campaign, now),
        "totals": c.totals, "lives": lives_json, "next_live": next_live, "hosts": hosts_json(lives, now),
        "matches": c.matches.iter().map(match_json).collect::<Vec<_>>(),
        "milestones": c.milestones.iter().map(milestone_json).collect::<Vec<_>>(),
        "leaderboard": {"donors": c.board.top_donors(), "lives": top_lives},
        "platform_totals": c.platforms,
        "seq": c.last_seq,
    });
    if let (Some(o), Value::Object(more)) = (out.as_object_mut(), more) {
        o.extend(more);
    }
    out
}

#[derive(Serialize)]
struct MatchJson<'a> {
    id: &'a str,
    campaign_id: &'a str,
    sponsor: &'a str,
    ratio: [i64; 2],
    cap: i64,
    used: i64,
    left: i64,
    starts_at: Option<Timestamp>,
    ends_at: Option<Timestamp>,
    min_amount: Option<i64>,
    max_per_donation: Option<i64>,
    /// `pending` (window not open yet), `active`, `used_up` or `ended`, as last recorded.
    status: &'static str,
    created_at: Timestamp,
    /// The sponsor's logo (a media library's image) and where it is served.
    logo: Option<&'a str>,
    logo_url: Option<String>,
}

pub fn match_json(m: &MatchState) -> Value {
    let r = &m.r#match;
    let status = if m.ended {
        "ended"
    } else if m.used_up {
        "used_up"
    } else if m.started {
        "active"
    } else {
        "pending"
    };
    serde_json::to_value(MatchJson {
        id: &r.id,
        campaign_id: &r.campaign_id,
        sponsor: &r.sponsor,
        ratio: r.ratio,
        cap: r.cap,
        used: m.used,
        left: m.left(),
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        min_amount: r.min_amount,
        max_per_donation: r.max_per_donation,
        status,
        created_at: r.created_at,
        logo: r.logo.as_deref(),
        logo_url: r.logo.as_ref().map(|id| format!("/media/{id}")),
    })
    .unwrap_or(Value::Null)
}

/// A poll with what each option gathered (`amount`: what its donations still
/// count for; `donations`: how many). Whether it is open follows the clock:
/// until `closed_at`, and before `ends_at` when it has one.
pub fn poll_json(p: &PollState) -> Value {
    let poll = &p.poll;
    let options: Vec<Value> = poll
        .options
        .iter()
        .zip(&p.tallies)
        .map(|(o, t)| json!({"label": o.label, "tag": o.tag, "amount": t.amount, "donations": t.donations}))
        .collect();
    json!({
        "id": poll.id, "live_id": poll.live_id, "question": poll.question, "options": options,
        "created_at": poll.created_at, "ends_at": poll.ends_at, "closed_at": poll.closed_at,
    })
}

/// A reward as viewers see it: what it takes, how many were claimed and given
/// (`delivered`), and how many are `left` when it has a quantity.
pub fn reward_json(r: &RewardState) -> Value {
    let w = &r.reward;
    json!({
        "id": w.id, "live_id": w.live_id, "title": w.title, "amount": w.amount, "quantity": w.quantity,
        "tag": w.tag, "claimed": r.claimed(), "delivered": r.claims.iter().filter(|c| c.delivered && !c.refunded).count(),
        "left": r.left(), "created_at": w.created_at, "closed_at": w.closed_at,
    })
}

impl LiveView {
    pub fn reward(&self, id: &str) -> Option<&RewardState> {
        self.rewards.iter().find(|r| r.reward.id == id)
    }
}

/// A live's rewards with their claims, oldest first (for its host and the
/// organisers): each claim's donation as viewers see it, and whether it was
/// given; and the donations that named it without getting it, and why.
pub fn reward_claims_json(l: &LiveView) -> Vec<Value> {
    l.rewards
        .iter()
        .map(|r| {
            let claims: Vec<Value> = r
                .claims
                .iter()
                .filter_map(|c| {
                    let d = l.claimants.get(&c.donation_id)?;
                    Some(json!({"donation": d.view(), "delivered": c.delivered}))
                })
                .collect();
            let missed: Vec<Value> = r
                .missed
                .iter()
                .filter_map(|m| l.claimants.get(&m.donation_id).map(|d| (d, m.why)))
                // An erased one names nothing any more (its message is gone).
                .filter(|(d, _)| !d.erased)
                .map(|(d, why)| json!({"donation": d.view(), "why": why}))
                .collect();
            let mut v = reward_json(r);
            v["claims"] = Value::Array(claims);
            v["missed"] = Value::Array(missed);
            v
        })
        .collect()
}

/// A prize draw: who entered (`min_amount`, `weighted`, `since`), how many
/// donations and tickets did, and the winning donation as viewers see it.
pub fn draw_json(d: &Draw, winner: &Donation) -> Value {
    json!({
        "id": d.id, "live_id": d.live_id, "prize": d.prize, "min_amount": d.min_amount, "weighted": d.weighted,
        "since": d.since, "campaign_wide": d.campaign_wide, "entries": d.entries, "tickets": d.tickets, "at": d.at, "winner": winner.view(),
    })
}

pub fn milestone_json(m: &MilestoneState) -> Value {
    let ms = &m.milestone;
    json!({
        "id": ms.id, "campaign_id": ms.campaign_id, "live_id": ms.live_id, "amount": ms.amount,
        "label": ms.label, "reached": m.reached.is_some(), "missed": m.missed.is_some(), "created_at": ms.created_at,
        "ends_at": ms.ends_at, "from": ms.from, "cancelled": ms.cancelled, "reached_at": m.reached_at,
        "missed_total": m.missed_total,
    })
}

/// Each live's campaign, leaderboard and newest donations; and each live's texts
/// waiting for moderation (not those of gifts refunded whole).
type Grouped<'a> = (HashMap<&'a str, (&'a str, Board, Newest<'a>)>, HashMap<&'a str, Vec<&'a DonationState>>);

fn group_by_live<'a>(donations: &[&'a DonationState]) -> Grouped<'a> {
    let (mut lives, mut pending): Grouped<'a> = Default::default();
    for &d in donations {
        if d.donation.pending && !d.donation.refunded {
            pending.entry(d.donation.live_id.as_str()).or_default().push(d);
        }
        let (_, board, newest) = lives
            .entry(d.donation.live_id.as_str())
            .or_insert_with(|| (d.donation.campaign_id.as_str(), Board::default(), Newest::default()));
        board.received += 1;
        board.count(&d.donation);
        newest.offer(d);
    }
    (lives, pending)
}

fn merge_groups<'a>((mut lives, mut pending): Grouped<'a>, (other, other_pending): Grouped<'a>) -> Grouped<'a> {
    for (live, (campaign, board, top)) in other {
        let (_, mine, newest) = lives.entry(live).or_insert_with(|| (campaign, Board::default(), Newest::default()));
        mine.absorb(&board);
        newest.absorb(&top);
    }
    for (live, texts) in other_pending {
        pending.entry(live).or_default().extend(texts);
    }
    (lives, pending)
}

/// The newest donations of one stream, gathered in any order: those on air
/// and those whose text waits for moderation, as a [`Board`] keeps them.
#[derive(Default)]
struct Newest<'a> {
    air: Kept<'a, ON_AIR_KEPT>,
    held: Kept<'a, HELD_KEPT>,
}

impl<'a> Newest<'a> {
    fn offer(&mut self, d: &'a DonationState) {
        match (d.donation.refunded, d.donation.pending) {
            (true, _) => {}
            (false, true) => self.held.offer(d),
            (false, false) => self.air.offer(d),
        }
    }

    /// Keeps the newest of both (a campaign's from its lives').
    fn absorb(&mut self, other: &Newest<'a>) {
        self.air.absorb(&other.air);
        self.held.absorb(&other.held);
    }
}

/// The `N` newest of the donations offered, gathered in any order.
#[derive(Default)]
struct Kept<'a, const N: usize> {
    kept: Vec<(u64, &'a DonationState)>,
    /// The lowest seq in `kept` once it is full: most offers stop at this test.
    floor: u64,
}

impl<'a, const N: usize> Kept<'a, N> {
    fn offer(&mut self, d: &'a DonationState) {
        if self.kept.len() < N {
            self.kept.push((d.seq, d));
            if self.kept.len() == N {
                self.floor = self.kept.iter().map(|(seq, _)| *seq).min().unwrap_or(0);
            }
        } else if d.seq > self.floor {
            if let Some(slot) = self.kept.iter_mut().find(|(seq, _)| *seq == self.floor) {
                *slot = (d.seq, d);
            }
            self.floor = self.kept.iter().map(|(seq, _)| *seq).min().unwrap_or(0);
        }
    }

    fn absorb(&mut self, other: &Kept<'a, N>) {
        for (_, d) in &other.kept {
            self.offer(d);
        }
    }

    /// Newest first, as a [`Board`] keeps them.
    fn sorted(mut self) -> VecDeque<(u64, Donation)> {
        self.kept.sort_unstable_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        self.kept.into_iter().map(|(seq, d)| (seq, d.donation.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Donation;

    /// The biggest donors picked out of many are those of a whole sort: by
    /// amount, ties by name, however many are asked for.
    #[test]
    fn the_biggest_donors_are_picked_as_a_whole_sort_ranks_them() {
        let mut board = Board::default();
        for i in 0..500u64 {
            // Amounts with many ties (37 values), names in no order.
            board.donors.insert(format!("Donor {:03}", (i * 7919) % 500), ((i % 37) as i64 * 100, 1 + i % 3));
        }
        let mut all: Vec<_> = board.donors.iter().collect();
        all.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
        let whole: Vec<Value> =
            all.iter().map(|(name, (amount, n))| json!({"donor": name, "amount": amount, "donations": n})).collect();
        for n in [0, 1, 3, TOP, 499, 500, 501, usize::MAX] {
            assert_eq!(board.ranked_donors(n), json!(whole[..n.min(500)]), "{n}");
        }
        assert_eq!(board.top_donors()[0], json!({"donor": "Donor 084", "amount": 3600, "donations": 1}));
    }

    const MIN: i64 = 60_000;

    /// A live of host "Ana" starting `start` minutes from 0 for `minutes` (unscheduled without a start).
    fn live(id: &str, start: Option<i64>, minutes: u32) -> Live {
        let mut l = Live::new(id, "c", " Ana ", TokenHash([0; 32]), TokenHash([1; 32]));
        l.scheduled_at = start.map(|m| Timestamp::from_millis(m * MIN));
        l.duration_minutes = Some(minutes);
        l
    }

    fn shown(lives: &[&Live], at_minute: i64) -> String {
        followed(lives, Timestamp::from_millis(at_minute * MIN)).unwrap().id.clone()
    }

    /// Monday 0–120, Wednesday 3 000–3 120, Friday 6 000–6 120, and a live without a date.
    #[test]
    fn a_follow_link_goes_from_one_live_to_the_next() {
        let (mon, wed, fri, later) = (
            live("mon", Some(0), 120),
            live("wed", Some(3_000), 120),
            live("fri", Some(6_000), 120),
            live("x", None, 60),
        );
        let lives = [&mon, &wed, &fri, &later];
        // Before the first: its countdown.
        assert_eq!(shown(&lives, -500), "mon");
        // On air, then for an hour after its planned end (it runs late, its credits).
        assert_eq!(shown(&lives, 0), "mon");
        assert_eq!(shown(&lives, 119), "mon");
        assert_eq!(shown(&lives, 179), "mon");
        // Then the next one to start.
        assert_eq!(shown(&lives, 180), "wed");
        assert_eq!(shown(&lives, 3_000), "wed");
        assert_eq!(shown(&lives, 3_300), "fri");
        // After the last, the last.
        assert_eq!(shown(&lives, 6_180), "fri");
        assert_eq!(shown(&lives, 100_000), "fri");
        // Two on air at once: the latest started.
        let overlap = live("overlap", Some(60), 120);
        assert_eq!(shown(&[&mon, &overlap], 90), "overlap");
        // Nothing scheduled: the newest unscheduled.
        let newer = live("y", None, 60);
        assert_eq!(shown(&[&later, &newer], 0), "y");
        assert!(followed(&[], Timestamp::from_millis(0)).is_none());
        assert_eq!(host_key(" Ana "), host_key("ana"));
    }

    fn donations(n: u64) -> Vec<DonationState> {
        let eur = crate::money::Currency::parse("EUR").unwrap();
        (1..=n)
            .map(|seq| {
                let live = format!("live-{}", seq % 7);
                let mut d = Donation::new(
                    format!("d{seq}"),
                    live,
                    100 + (seq % 13) as i64,
                    eur,
                    Some(format!("Donor {}", seq % 11)),
                    seq % 5 == 0,
                    None,
                    "twitch".into(),
                );
                d.campaign_id = format!("c{}", seq % 7 % 2).into();
                d.refunded = seq % 17 == 0;
                d.pending = seq % 19 == 0;
                DonationState { donation: d, seq, release_at: None }
            })
            .collect()
    }

    /// Grouping two halves and merging them gives what one pass over all gives.
    #[test]
    fn halves_merged_equal_one_pass() {
        let all = donations(5_000);
        // An order unrelated to seq, as a hash map's.
        let mut refs: Vec<&DonationState> = all.iter().collect();
        refs.sort_by_key(|d| (d.seq * 7919) % 5_003);
        let (first, second) = refs.split_at(refs.len() / 2);
        let one = group_by_live(&refs);
        let two = merge_groups(group_by_live(first), group_by_live(second));
        let summary = |(lives, pending): Grouped<'_>| {
            let mut lives: Vec<_> = lives
                .into_iter()
                .map(|(live, (campaign, board, top))| {
                    let mut donors: Vec<_> = board.donors.into_iter().collect();
                    donors.sort();
                    let seqs = |kept: &[(u64, &DonationState)]| {
                        let mut seqs: Vec<u64> = kept.iter().map(|(seq, _)| *seq).collect();
                        seqs.sort_unstable();
                        seqs
                    };
                    let kept = (seqs(&top.air.kept), seqs(&top.held.kept));
                    (live.to_owned(), campaign.to_owned(), donors, kept)
                })
                .collect();
            lives.sort();
            let mut pending: Vec<_> = pending
                .into_iter()
                .map(|(live, ds)| {
                    let mut seqs: Vec<u64> = ds.iter().map(|d| d.seq).collect();
                    seqs.sort_unstable();
                    (live.to_owned(), seqs)
                })
                .collect();
            pending.sort();
            (lives, pending)
        };
        let (lives, pending) = summary(one);
        assert_eq!((lives.clone(), pending.clone()), summary(two));
        // And the result is the expected one: each live keeps its newest seqs on
        // air and held apart, none refunded whole.
        assert_eq!(lives.len(), 7);
        let (live, campaign, _, kept) = &lives[0];
        assert_eq!((live.as_str(), campaign.as_str()), ("live-0", "c0"));
        let newest = |held: bool, n: usize| {
            let mut seqs: Vec<u64> =
                (1..=5_000u64).filter(|s| s % 7 == 0 && s % 17 != 0 && (s % 19 == 0) == held).rev().take(n).collect();
            seqs.reverse();
            seqs
        };
        assert_eq!(kept, &(newest(false, ON_AIR_KEPT), newest(true, HELD_KEPT)));
        // The held texts of gifts refunded whole are not waiting for anyone.
        let held = (1..=5_000u64).filter(|s| s % 19 == 0 && s % 17 != 0).count();
        assert_eq!(pending.iter().map(|(_, s)| s.len()).sum::<usize>(), held);
    }
}
