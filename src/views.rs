//! The read model: what GET endpoints, snapshots and auth read, in DashMaps so
//! reads take no global lock. Only the ledger writer changes it, after each
//! commit, from the [`Change`]s it computed while folding; readers clone what
//! they need and never hold a guard across an `.await` or a second map.

use crate::domain::state::MatchState;
use crate::domain::{Campaign, Donation, Integration, Live, Subscriber, TokenHash, Totals};
use crate::money::Currency;
use dashmap::DashMap;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};

/// How many recent donations a snapshot carries.
pub const RECENT: usize = 20;

/// What one committed event changed, captured by the writer right after folding it.
#[derive(Debug, Clone)]
pub enum Change {
    Campaign(Campaign),
    Match(MatchState),
    Live { live: Live, currency: Currency },
    Donation { donation: Donation, live_totals: Totals, campaign_totals: Totals, matches: Vec<(String, i64)> },
    Secrets { live: Live, old_key: TokenHash, old_overlay: TokenHash },
    Integration(Integration),
    Subscriber(Subscriber),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    LiveKey,
    Overlay,
}

#[derive(Debug, Clone)]
pub struct CampaignView {
    pub campaign: Campaign,
    pub totals: Totals,
    pub matches: Vec<MatchState>,
    pub lives: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct LiveView {
    pub live: Live,
    pub currency: Currency,
    pub totals: Totals,
    /// Seq of the newest event of this live's stream.
    pub last_seq: u64,
    /// Newest first.
    pub recent: VecDeque<Donation>,
    /// Named (not anonymous) donors of this live: name → (sum not refunded, count).
    pub donors: HashMap<String, (i64, u64)>,
}

impl LiveView {
    /// Counts a received donation (`sign = 1`) or takes a refunded one back (`-1`).
    pub fn count_donor(&mut self, d: &Donation, sign: i64) {
        let Some(name) = d.donor.as_ref().filter(|_| !d.anonymous) else {
            return;
        };
        let e = self.donors.entry(name.clone()).or_insert((0, 0));
        e.0 += sign * d.amount;
        e.1 = e.1.saturating_add_signed(sign);
        if e.1 == 0 {
            self.donors.remove(name);
        }
    }

    /// The ten biggest named donors: `[{donor, amount, donations}]`.
    pub fn top_donors(&self) -> Value {
        let mut v: Vec<_> = self.donors.iter().collect();
        v.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
        v.iter()
            .take(TOP_DONORS)
            .map(|(name, (amount, n))| json!({"donor": name, "amount": amount, "donations": n}))
            .collect()
    }
}

pub const TOP_DONORS: usize = 10;

#[derive(Default)]
pub struct Views {
    pub campaigns: DashMap<String, CampaignView>,
    pub lives: DashMap<String, LiveView>,
    /// Digest of a live secret → (live id, which secret).
    pub tokens: DashMap<TokenHash, (String, TokenOwner)>,
    pub integrations: DashMap<String, Integration>,
    pub subscribers: DashMap<String, Subscriber>,
}

impl Views {
    /// Applies one committed change; called by the writer only, in seq order.
    pub fn apply(&self, seq: u64, change: &Change) {
        match change {
            Change::Campaign(c) => {
                self.campaigns.insert(
                    c.id.clone(),
                    CampaignView { campaign: c.clone(), totals: Totals::default(), matches: vec![], lives: vec![] },
                );
            }
            Change::Match(m) => {
                if let Some(mut c) = self.campaigns.get_mut(&m.r#match.campaign_id) {
                    c.matches.push(m.clone());
                }
            }
            Change::Live { live, currency } => {
                self.tokens.insert(live.key_hash, (live.id.clone(), TokenOwner::LiveKey));
                self.tokens.insert(live.overlay_hash, (live.id.clone(), TokenOwner::Overlay));
                self.lives.insert(
                    live.id.clone(),
                    LiveView {
                        live: live.clone(),
                        currency: *currency,
                        totals: Totals::default(),
                        last_seq: seq,
                        recent: VecDeque::new(),
                        donors: HashMap::new(),
                    },
                );
                if let Some(mut c) = self.campaigns.get_mut(&live.campaign_id) {
                    c.lives.push(live.id.clone());
                }
            }
            Change::Donation { donation, live_totals, campaign_totals, matches } => {
                if let Some(mut l) = self.lives.get_mut(&donation.live_id) {
                    l.totals = *live_totals;
                    l.last_seq = seq;
                    l.count_donor(donation, if donation.refunded { -1 } else { 1 });
                    if let Some(d) = l.recent.iter_mut().find(|d| d.id == donation.id) {
                        *d = donation.clone();
                    } else if !donation.refunded {
                        l.recent.push_front(donation.clone());
                        l.recent.truncate(RECENT);
                    }
                }
                if let Some(mut c) = self.campaigns.get_mut(&donation.campaign_id) {
                    c.totals = *campaign_totals;
                    for (id, used) in matches {
                        if let Some(m) = c.matches.iter_mut().find(|m| &m.r#match.id == id) {
                            m.used = *used;
                        }
                    }
                }
            }
            Change::Secrets { live, old_key, old_overlay } => {
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
            Change::Integration(i) => {
                self.integrations.insert(i.id.clone(), i.clone());
            }
            Change::Subscriber(s) => {
                self.subscribers.insert(s.id.clone(), s.clone());
            }
        }
    }

    pub fn live(&self, id: &str) -> Option<LiveView> {
        self.lives.get(id).map(|l| l.clone())
    }

    pub fn campaign(&self, id: &str) -> Option<CampaignView> {
        self.campaigns.get(id).map(|c| c.clone())
    }

    pub fn campaign_totals(&self, id: &str) -> Totals {
        self.campaigns.get(id).map(|c| c.totals).unwrap_or_default()
    }

    /// `GET /api/v1/lives/{id}`: the live without its secrets.
    pub fn live_json(&self, id: &str) -> Option<Value> {
        let l = self.live(id)?;
        let c = self.campaign(&l.live.campaign_id)?;
        Some(live_json(&l, &c))
    }

    /// `GET /api/v1/campaigns/{id}`.
    pub fn campaign_json(&self, id: &str) -> Option<Value> {
        let c = self.campaign(id)?;
        let lives: Vec<Value> = c
            .lives
            .iter()
            .filter_map(|id| self.live(id))
            .map(|l| {
                json!({
                    "id": l.live.id, "host": l.live.host, "title": l.live.title, "platform": l.live.platform,
                    "scheduled_at": l.live.scheduled_at, "goal": l.live.goal, "totals": l.totals,
                })
            })
            .collect();
        let cp = &c.campaign;
        Some(json!({
            "id": cp.id, "name": cp.name, "currency": cp.currency, "goal": cp.goal, "charity": cp.charity,
            "starts_at": cp.starts_at, "ends_at": cp.ends_at, "created_at": cp.created_at, "donate_url": cp.donate_url,
            "totals": c.totals, "lives": lives, "matches": matches_json(&c.matches),
        }))
    }

    /// The first WebSocket message: everything an overlay needs, as of seq `S`.
    pub fn snapshot(&self, live_id: &str) -> Option<(u64, String)> {
        // The live entry is read once, so seq, totals and recent agree.
        let l = self.live(live_id)?;
        let c = self.campaign(&l.live.campaign_id)?;
        let recent: Vec<_> = l.recent.iter().map(Donation::view).collect();
        let body = json!({
            "type": "snapshot",
            "seq": l.last_seq,
            "live": live_json(&l, &c),
            "totals": l.totals,
            "campaign_totals": c.totals,
            "goal": l.live.goal,
            "campaign_goal": c.campaign.goal,
            "currency": l.currency,
            "recent": recent,
            "top_donors": l.top_donors(),
            "matches": matches_json(&c.matches),
        });
        Some((l.last_seq, body.to_string()))
    }
}

fn live_json(l: &LiveView, c: &CampaignView) -> Value {
    let lv = &l.live;
    json!({
        "id": lv.id, "campaign_id": lv.campaign_id, "host": lv.host, "title": lv.title,
        "platform": lv.platform, "scheduled_at": lv.scheduled_at, "goal": lv.goal,
        "created_at": lv.created_at, "currency": l.currency, "campaign_name": c.campaign.name,
        "campaign_goal": c.campaign.goal, "totals": l.totals, "campaign_totals": c.totals, "seq": l.last_seq,
        "donate_url": lv.donate_url.as_ref().or(c.campaign.donate_url.as_ref()),
    })
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
    starts_at: Option<crate::domain::Timestamp>,
    ends_at: Option<crate::domain::Timestamp>,
    min_amount: Option<i64>,
    max_per_donation: Option<i64>,
    created_at: crate::domain::Timestamp,
}

pub fn match_json(m: &MatchState) -> Value {
    let r = &m.r#match;
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
        created_at: r.created_at,
    })
    .unwrap_or(Value::Null)
}

fn matches_json(ms: &[MatchState]) -> Vec<Value> {
    ms.iter().map(match_json).collect()
}
