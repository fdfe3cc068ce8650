//! One line of plain text for a chat bot's command (`!cagnotte`, `!top`,
//! `!dernier`, `!palier`, `!prochain`): Nightbot's `$(urlfetch …)`, StreamElements'
//! `${customapi.…}`, Streamlabs Cloudbot's `{readapi.…}` and the like fetch a URL
//! and say what it answers in the stream's chat.
//!
//! - `GET /api/v1/lives/{id}/chat[?say=…&lang=…&tz=…&follow=host]`
//! - `GET /api/v1/campaigns/{id}/chat[?say=…&lang=…&tz=…]`
//!
//! Public like the live's and the campaign's answers: it says only what their
//! public pages show. `say` is `total` (the default), `top`, `last` (the
//! newest donation), `milestone`, `next` or `rewards` (what the live offers for
//! a gift, and the keyword that claims it); `follow=host` answers for the live its host is on now (one command
//! for a host's month of lives). `text` is the streamer's own sentence instead,
//! its `{total}`, `{goal}`, `{charity}`, `{link}`… ([`FIELDS`]) replaced by
//! what they stand for. At most [`MAX_CHARS`] characters, which every bot and
//! chat takes.

use super::Path;
use super::overlay::lang;
use crate::app::AppState;
use crate::domain::state::MilestoneState;
use crate::domain::{Live, Timestamp, Totals};
use crate::error::ApiError;
use crate::money::Currency;
use crate::views::live_status;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Nightbot's limit, under Twitch's 500 and YouTube's 200 words.
pub const MAX_CHARS: usize = 400;
/// How many donors `say=top` names.
const TOP: usize = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lives/{id}/chat", get(live_line))
        .route("/api/v1/campaigns/{id}/chat", get(campaign_line))
}

/// What the line is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Say {
    Total,
    Top,
    Last,
    Milestone,
    Next,
    Rewards,
    Thanks,
    Match,
}

/// The request's settings.
struct Ask {
    say: Say,
    french: bool,
    zone: Option<(jiff::tz::TimeZone, String)>,
    /// The streamer's own sentence (`text`), its fields checked.
    own: Option<String>,
}

/// What a sentence of the streamer's own may say, each as `{name}`.
const FIELDS: [&str; 14] = [
    "total",
    "raised",
    "matched",
    "donations",
    "goal",
    "percent",
    "left",
    "charity",
    "link",
    "campaign_total",
    "last",
    "last_amount",
    "top",
    "top_amount",
];

/// Each `{name}` of `text` (letters and `_` between braces), in order, with
/// where it starts; other braces are text.
fn fields(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.match_indices('{').filter_map(move |(at, _)| {
        let rest = &text[at + 1..];
        let end = rest.find('}')?;
        let name = &rest[..end];
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')).then_some((at, name))
    })
}

/// `text=`: at most [`MAX_CHARS`] characters, not blank, naming only [`FIELDS`].
fn own_sentence(text: &str) -> Result<String, ApiError> {
    let refused = |why: String| ApiError::bad_request("invalid_query", why).with("field", "text");
    if text.trim().is_empty() || text.chars().count() > MAX_CHARS {
        return Err(refused(format!("text must have 1 to {MAX_CHARS} characters")));
    }
    if let Some((_, name)) = fields(text).find(|(_, name)| !FIELDS.contains(name)) {
        return Err(refused(format!("text names {{{name}}}, which is none of {{{}}}", FIELDS.join("}, {"))));
    }
    Ok(text.trim().to_owned())
}

impl Ask {
    fn of(q: &HashMap<String, String>) -> Result<Ask, ApiError> {
        let say = match q.get("say").map(|s| s.trim()) {
            None | Some("" | "total") => Say::Total,
            Some("top") => Say::Top,
            Some("last") => Say::Last,
            Some("milestone") => Say::Milestone,
            Some("next") => Say::Next,
            Some("rewards") => Say::Rewards,
            Some("thanks") => Say::Thanks,
            Some("match") => Say::Match,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("say must be total, top, last, milestone, next, rewards, thanks or match, not {other:?}"),
                )
                .with("field", "say"));
            }
        };
        let own = q.get("text").map(|t| own_sentence(t)).transpose()?;
        Ok(Ask { say, french: lang(q) == "fr", zone: super::admin::time_zone(q)?, own })
    }

    fn words(&self, fr: &'static str, en: &'static str) -> &'static str {
        if self.french { fr } else { en }
    }

    fn money(&self, currency: Currency, minor: i64) -> String {
        currency.format_for(minor, self.french)
    }

    /// A count with its thousands grouped as the language groups them.
    fn count(&self, n: u64) -> String {
        super::pages::count_for(n, self.french)
    }
}

/// Everything a line may say about a live or a campaign, read once.
struct Subject {
    currency: Currency,
    totals: Totals,
    goal: Option<i64>,
    /// The charity, else the campaign's name.
    beneficiary: String,
    /// The whole campaign's totals, on a live's line.
    campaign_totals: Option<Totals>,
    donate_url: Option<String>,
    top: Value,
    /// The newest donation not refunded whole, as viewers see it.
    last: Option<crate::domain::Donation>,
    /// The total the milestones are of, and the milestones it climbs to (no
    /// challenge, none taken off), as the overlay's goal bar: a live's own with
    /// its goal, else the campaign's.
    climb: (i64, Vec<MilestoneState>),
    /// The lives `say=next` looks among: the host's on a live's line, every
    /// live of the campaign on the campaign's (read for `say=next` only).
    lives: Vec<Live>,
    /// The rewards offered now: the live's, or on a campaign's line those of
    /// its lives on air (read for `say=rewards` only).
    rewards: Vec<crate::domain::state::RewardState>,
    /// Where the campaign stands ([`window`]).
    window: Window,
    /// Every donor viewers may see by name, in alphabetical order, and how
    /// many of the donations that count show none (read for `say=thanks` only).
    thanked: Arc<(Vec<String>, u64)>,
    /// The campaign's sponsors' matches (read for `say=match` only).
    matches: Vec<crate::domain::state::MatchState>,
}

/// The rewards of a live still offered.
fn offered(l: &crate::views::LiveView) -> Vec<crate::domain::state::RewardState> {
    l.rewards.iter().filter(|r| r.reward.closed_at.is_none()).cloned().collect()
}

async fn live_line(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let ask = Ask::of(&q)?;
    let not_found = || ApiError::not_found("live_not_found", "no live has this id");
    if !app.views.has_live(&id) {
        return Err(not_found());
    }
    let id = if super::overlay::follow_host(&q)? { super::overlay::followed_live(&app, &id)? } else { id };
    let live = app.views.live(&id).ok_or_else(not_found)?;
    // Only `say=next` looks at the other lives.
    let lives = if ask.say == Say::Next { app.views.host_lives(&id).ok_or_else(not_found)? } else { Vec::new() };
    let campaign = app.views.campaign(&live.live.campaign_id).ok_or_else(not_found)?;
    let climb = if live.live.goal.is_some() {
        (live.totals.total, climbing(&campaign.milestones, |m| m.live_id.as_deref() == Some(id.as_str())))
    } else {
        (campaign.totals.total, climbing(&campaign.milestones, |m| m.live_id.is_none()))
    };
    let mut subject = Subject {
        currency: live.currency,
        totals: live.totals,
        goal: live.live.goal,
        beneficiary: campaign.campaign.charity.clone().unwrap_or_else(|| campaign.campaign.name.clone()),
        campaign_totals: Some(campaign.totals),
        donate_url: live.live.donate_url.clone().or(campaign.campaign.donate_url.clone()),
        top: live.board.top_donors(),
        last: newest(&live.board),
        climb,
        lives,
        rewards: if ask.say == Say::Rewards { offered(&live) } else { Vec::new() },
        window: window(&campaign.campaign, app.now()),
        thanked: Arc::default(),
        matches: if ask.say == Say::Match { campaign.matches.clone() } else { Vec::new() },
    };
    if ask.say == Say::Thanks {
        subject.thanked = thanked(&app, format!("l/{id}"), live.last_seq, &live.board, live.totals).await?;
    }
    text(&line(&ask, &subject, &campaign.totals, app.now()))
}

async fn campaign_line(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let ask = Ask::of(&q)?;
    let c =
        app.views.campaign(&id).ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let mut subject = Subject {
        currency: c.campaign.currency,
        totals: c.totals,
        goal: c.campaign.goal,
        beneficiary: c.campaign.charity.clone().unwrap_or_else(|| c.campaign.name.clone()),
        campaign_totals: None,
        donate_url: c.campaign.donate_url.clone(),
        top: c.board.top_donors(),
        last: newest(&c.board),
        climb: (c.totals.total, climbing(&c.milestones, |m| m.live_id.is_none())),
        lives: if ask.say == Say::Next {
            c.lives.iter().filter_map(|l| app.views.with_live(l, |l| l.live.clone())).collect()
        } else {
            Vec::new()
        },
        rewards: if ask.say == Say::Rewards {
            let now = app.now();
            let on_air = |l: &crate::views::LiveView| live_status(&l.live, now) == "current";
            c.lives
                .iter()
                .filter_map(|l| app.views.with_live(l, |l| on_air(l).then(|| offered(l))))
                .flatten()
                .flatten()
                .collect()
        } else {
            Vec::new()
        },
        window: window(&c.campaign, app.now()),
        thanked: Arc::default(),
        matches: if ask.say == Say::Match { c.matches.clone() } else { Vec::new() },
    };
    if ask.say == Say::Thanks {
        subject.thanked = thanked(&app, format!("c/{id}"), c.last_seq, &c.board, c.totals).await?;
    }
    text(&line(&ask, &subject, &c.totals, app.now()))
}

/// The names a thank-you says (see [`crate::views::Board::thanked`]), sorted
/// once for whoever asks meanwhile.
async fn thanked(
    app: &AppState,
    key: String,
    seq: u64,
    board: &crate::views::Board,
    totals: Totals,
) -> Result<Arc<(Vec<String>, u64)>, ApiError> {
    app.public.thanked.get(&key, seq, async || Ok(board.thanked(totals))).await
}

/// The newest donation of a board not refunded whole.
fn newest(board: &crate::views::Board) -> Option<crate::domain::Donation> {
    board.newest().cloned()
}

/// The milestones of `which` a total climbs to: no challenge, none taken off.
fn climbing(all: &[MilestoneState], which: impl Fn(&crate::domain::Milestone) -> bool) -> Vec<MilestoneState> {
    all.iter()
        .filter(|m| m.milestone.ends_at.is_none() && !m.milestone.cancelled && which(&m.milestone))
        .cloned()
        .collect()
}

fn text(line: &str) -> Result<Response, ApiError> {
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        cut(line, MAX_CHARS),
    )
        .into_response())
}

/// `s` in at most `max` characters, cut after a word with "…" when longer.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let head: String = s.chars().take(max - 1).collect();
    let head = head.rfind(' ').map_or(head.as_str(), |i| &head[..i]);
    format!("{}…", head.trim_end_matches([',', ';', ':', ' ']))
}

fn line(ask: &Ask, s: &Subject, campaign_totals: &Totals, now: Timestamp) -> String {
    if let Some(text) = &ask.own {
        return own_line(ask, s, campaign_totals, text);
    }
    match ask.say {
        Say::Total => total_line(ask, s, campaign_totals),
        Say::Top => top_line(ask, s),
        Say::Last => last_line(ask, s),
        Say::Milestone => milestone_line(ask, s),
        Say::Next => next_line(ask, s, now),
        Say::Rewards => rewards_line(ask, s),
        Say::Thanks => thanks_line(ask, s),
        Say::Match => match_line(ask, s, now),
    }
}

/// The streamer's own sentence, "Déjà {total} pour {charity} ! {link}", each
/// field replaced by what it stands for now (empty when there is none: no goal,
/// no donation yet, no link), names and amounts as the public pages show them.
fn own_line(ask: &Ask, s: &Subject, campaign_totals: &Totals, text: &str) -> String {
    let money = |m| ask.money(s.currency, m);
    let goal = s.goal.filter(|g| *g > 0);
    let top = s.top.as_array().and_then(|t| t.first());
    let value = |name: &str| -> String {
        match name {
            "total" => money(s.totals.total),
            "raised" => money(s.totals.raised),
            "matched" => money(s.totals.matched),
            "donations" => ask.count(s.totals.donations),
            "goal" => goal.map(money).unwrap_or_default(),
            "percent" => goal.map(|g| (s.totals.total.saturating_mul(100) / g).to_string()).unwrap_or_default(),
            "left" => goal.map(|g| money((g - s.totals.total).max(0))).unwrap_or_default(),
            "charity" => s.beneficiary.clone(),
            "link" => s.donate_url.clone().unwrap_or_default(),
            "campaign_total" => money(campaign_totals.total),
            "last" => s.last.as_ref().map(|d| donor_said(ask, d).to_owned()).unwrap_or_default(),
            "last_amount" => s.last.as_ref().map(|d| money(d.kept())).unwrap_or_default(),
            "top" => top.and_then(|d| d["donor"].as_str()).unwrap_or_default().to_owned(),
            "top_amount" => top.and_then(|d| d["amount"].as_i64()).map(money).unwrap_or_default(),
            _ => String::new(),
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (at, name) in fields(text) {
        out.push_str(&text[from..at]);
        out.push_str(&value(name));
        from = at + name.len() + 2;
    }
    out.push_str(&text[from..]);
    // One line, without the double spaces an empty field leaves (the amounts'
    // no-break spaces kept).
    let out = out.replace(['\n', '\r', '\t'], " ");
    out.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A donor as viewers see them: their name, unless it is held or hidden.
fn donor_said<'a>(ask: &Ask, d: &'a crate::domain::Donation) -> &'a str {
    match d.shown_donor() {
        Some(name) => name,
        None if d.anonymous => ask.words("un donateur anonyme", "an anonymous donor"),
        None => ask.words("un donateur", "a donor"),
    }
}

/// "💛 Boulangerie double chaque don jusqu'au mercredi 3 mars à 21:00
/// (Europe/Paris) : encore 450,00 € à abonder !", or the next window ahead:
/// the sponsor's doubling the pages and the overlays show, for the chat.
fn match_line(ask: &Ask, s: &Subject, now: Timestamp) -> String {
    if s.window.over() {
        return ask
            .words("Collecte terminée\u{a0}: plus de doublement des dons.", "The fundraiser is over: no more matching.")
            .to_owned();
    }
    let open = |m: &&crate::domain::state::MatchState| m.left() > 0 && !m.ended && !m.used_up;
    let running = s
        .matches
        .iter()
        .filter(open)
        .find(|m| m.r#match.starts_at.is_none_or(|at| at <= now) && m.r#match.ends_at.is_none_or(|at| now < at));
    let ahead = || {
        s.matches
            .iter()
            .filter(open)
            .filter(|m| m.r#match.starts_at.is_some_and(|at| at > now))
            .min_by_key(|m| m.r#match.starts_at)
    };
    let Some(m) = running.or_else(ahead) else {
        return ask.words("Pas de doublement des dons en cours ni prévu.", "No match running or planned.").to_owned();
    };
    let r = &m.r#match;
    let (n, d) = (r.ratio[0], r.ratio[1]);
    let left = ask.money(s.currency, m.left());
    let soon = running.is_none();
    let what = match (n == d, n == 2 * d, soon, ask.french) {
        (true, _, false, true) => "double chaque don".to_owned(),
        (_, true, false, true) => "triple chaque don".to_owned(),
        (true, _, true, true) => "doublera chaque don".to_owned(),
        (_, true, true, true) => "triplera chaque don".to_owned(),
        (true, _, false, false) => "doubles every donation".to_owned(),
        (_, true, false, false) => "triples every donation".to_owned(),
        (true, _, true, false) => "will double every donation".to_owned(),
        (_, true, true, false) => "will triple every donation".to_owned(),
        (false, false, false, true) => format!("ajoute {}\u{a0}% à chaque don", n * 100 / d),
        (false, false, true, true) => format!("ajoutera {}\u{a0}% à chaque don", n * 100 / d),
        (false, false, false, false) => format!("adds {}% to every donation", n * 100 / d),
        (false, false, true, false) => format!("will add {}% to every donation", n * 100 / d),
    };
    let until =
        r.ends_at.map(|at| format!(" {} {}", ask.words("jusqu'au", "until"), when(ask, at))).unwrap_or_default();
    match (soon, ask.french) {
        (false, true) => format!("💛 {} {what}{until}\u{a0}: encore {left} à abonder\u{a0}!", r.sponsor),
        (false, false) => format!("💛 {} {what}{until}: {left} of matching left!", r.sponsor),
        (true, true) => format!(
            "⏳ À partir du {}, {} {what}{until} (budget\u{a0}: {left})\u{a0}!",
            when(ask, r.starts_at.unwrap_or(now)),
            r.sponsor
        ),
        (true, false) => {
            format!("⏳ From {}, {} {what}{until} (budget: {left})!", when(ask, r.starts_at.unwrap_or(now)), r.sponsor)
        }
    }
}

/// "🎁 Contreparties : Un portrait (dès 30,00 €, #unportrait dans votre
/// message, 2 restantes) · …": each reward offered, what it takes and how to
/// claim it, how many are left when they are counted.
fn rewards_line(ask: &Ask, s: &Subject) -> String {
    if s.rewards.is_empty() {
        return ask.words("Pas de contrepartie pour l'instant.", "No reward on offer right now.").to_owned();
    }
    let each: Vec<String> = s
        .rewards
        .iter()
        .map(|r| {
            let from = ask.money(s.currency, r.reward.amount);
            let tag = &r.reward.tag;
            let left = match (r.left(), ask.french) {
                (None, _) => String::new(),
                (Some(0), true) => ", épuisée".to_owned(),
                (Some(0), false) => ", sold out".to_owned(),
                (Some(1), true) => ", 1 restante".to_owned(),
                (Some(n), true) => format!(", {} restantes", ask.count(u64::from(n))),
                (Some(n), false) => format!(", {} left", ask.count(u64::from(n))),
            };
            let title = &r.reward.title;
            if ask.french {
                format!("{title} (dès {from}, #{tag} dans votre message{left})")
            } else {
                format!("{title} (from {from}, #{tag} in your message{left})")
            }
        })
        .collect();
    let mut out = format!("🎁 {} {}.", ask.words("Contreparties\u{a0}:", "Rewards:"), each.join(" · "));
    if let Some(url) = &s.donate_url {
        out += &format!(" {} {url}", ask.words("Pour donner\u{a0}:", "Donate:"));
    }
    out
}

/// Where the campaign stands for the chat's lines.
#[derive(Clone, Copy)]
enum Window {
    /// To open at this time: the total line says when, with no link to give.
    Opens(Timestamp),
    Open,
    /// Came to its end: the total line thanks, with no link to give.
    Over,
}

impl Window {
    fn over(self) -> bool {
        matches!(self, Window::Over)
    }
}

fn window(c: &crate::domain::Campaign, now: Timestamp) -> Window {
    match (crate::views::campaign_status(c, now), c.starts_at) {
        ("ended", _) => Window::Over,
        ("upcoming", Some(at)) => Window::Opens(at),
        _ => Window::Open,
    }
}

fn total_line(ask: &Ask, s: &Subject, campaign_totals: &Totals) -> String {
    let money = |m| ask.money(s.currency, m);
    // Not open yet: when it opens, and no link to give (as the pages).
    if let Window::Opens(at) = s.window {
        let mut out = if ask.french {
            format!("La collecte pour {} ouvre le {}.", s.beneficiary, when(ask, at))
        } else {
            format!("The fundraiser for {} opens on {}.", s.beneficiary, when(ask, at))
        };
        if s.totals.total > 0 {
            out += &format!(
                " {} {}",
                money(s.totals.total),
                ask.words("déjà récoltés, merci\u{a0}!", "raised already, thank you!")
            );
        }
        return out;
    }
    let mut out = match (s.window.over(), ask.french) {
        (false, true) => format!("{} récoltés pour {}", money(s.totals.total), s.beneficiary),
        (false, false) => format!("{} raised for {}", money(s.totals.total), s.beneficiary),
        (true, true) => format!("Collecte terminée\u{a0}: {} récoltés pour {}", money(s.totals.total), s.beneficiary),
        (true, false) => format!("The fundraiser is over: {} raised for {}", money(s.totals.total), s.beneficiary),
    };
    if s.totals.matched > 0 {
        out += &if ask.french {
            format!(" (dont {} des partenaires)", money(s.totals.matched))
        } else {
            format!(" ({} of it from sponsors)", money(s.totals.matched))
        };
    }
    if let Some(goal) = s.goal.filter(|g| *g > 0) {
        let pct = s.totals.total.saturating_mul(100) / goal;
        out += &if ask.french {
            format!(", {pct}\u{a0}% de l'objectif de {}", money(goal))
        } else {
            format!(", {pct}% of the {} goal", money(goal))
        };
    }
    out.push('.');
    if s.campaign_totals.is_some() && campaign_totals.total != s.totals.total {
        out += &format!(
            " {} {}.",
            ask.words("Toute la campagne\u{a0}:", "The whole campaign:"),
            money(campaign_totals.total)
        );
    }
    out += &match (s.totals.donations, ask.french) {
        (0, _) if s.window.over() => String::new(),
        (0, _) => format!(" {}", ask.words("Soyez le premier à donner\u{a0}!", "Be the first to give!")),
        (1, true) => " 1 don, merci\u{a0}!".to_owned(),
        (n, true) => format!(" {} dons, merci\u{a0}!", ask.count(n)),
        (1, false) => " 1 donation, thank you!".to_owned(),
        (n, false) => format!(" {} donations, thank you!", ask.count(n)),
    };
    if let Some(url) = s.donate_url.as_ref().filter(|_| !s.window.over()) {
        out += &format!(" {} {url}", ask.words("Pour donner\u{a0}:", "Donate:"));
    }
    out
}

/// "Merci à Ana, Bob et Chloé, et à 2 donateurs anonymes : 250,00 € récoltés
/// pour Les Restos du Cœur !": every donor viewers may see by name,
/// alphabetically, as many as the line holds, the others counted with the
/// gifts given without a name apart ("…, 12 autres donateurs et 3 dons
/// anonymes"), for the chat or a post after the live.
fn thanks_line(ask: &Ask, s: &Subject) -> String {
    let (names, anonymous) = (&s.thanked.0, s.thanked.1);
    let named: u64 = names.len() as u64;
    if named == 0 && anonymous == 0 {
        return ask
            .words("Pas encore de don\u{a0}: soyez le premier\u{a0}!", "No donation yet: be the first!")
            .to_owned();
    }
    let total = ask.money(s.currency, s.totals.total);
    let tail = if ask.french {
        format!("\u{a0}: {total} récoltés pour {}\u{a0}!", s.beneficiary)
    } else {
        format!(": {total} raised for {}!", s.beneficiary)
    };
    if named == 0 {
        return match (anonymous, ask.french) {
            (1, true) => format!("Merci au donateur anonyme{tail}"),
            (n, true) => format!("Merci aux {} donateurs anonymes{tail}", ask.count(n)),
            (1, false) => format!("Thank you to the anonymous donor{tail}"),
            (n, false) => format!("Thank you to the {} anonymous donors{tail}", ask.count(n)),
        };
    }
    // As many names as the line holds, the other named donors counted, and
    // the gifts without a name counted apart (one donor may give several).
    let line = |shown: usize| {
        let others = named - shown as u64;
        let list = &names[..shown];
        let and = ask.words(" et ", " and ");
        let mut out = match list.split_last() {
            Some((last, rest)) if !rest.is_empty() && others == 0 => format!("{}{and}{last}", rest.join(", ")),
            _ => list.join(", "),
        };
        if others > 0 {
            let others = match (others, ask.french) {
                (1, true) => "1 autre donateur".to_owned(),
                (n, true) => format!("{} autres donateurs", ask.count(n)),
                (1, false) => "1 other donor".to_owned(),
                (n, false) => format!("{} other donors", ask.count(n)),
            };
            out += &match (anonymous, ask.french) {
                (0, _) => format!("{and}{others}"),
                (1, true) => format!(", {others} et 1 don anonyme"),
                (n, true) => format!(", {others} et {} dons anonymes", ask.count(n)),
                (1, false) => format!(", {others} and 1 anonymous gift"),
                (n, false) => format!(", {others} and {} anonymous gifts", ask.count(n)),
            };
        } else if anonymous > 0 {
            let comma = if shown > 1 { "," } else { "" };
            out += &match (anonymous, ask.french) {
                (1, true) => format!("{comma} et à 1 donateur anonyme"),
                (n, true) => format!("{comma} et à {} donateurs anonymes", ask.count(n)),
                (1, false) => format!("{comma} and 1 anonymous donor"),
                (n, false) => format!("{comma} and {} anonymous donors", ask.count(n)),
            };
        }
        format!("{}{out}{tail}", ask.words("Merci à ", "Thank you "))
    };
    // No more names than fit end to end with ", " between them: the line holds
    // them and more, so that it is cut from there, not from every donor of a
    // campaign of thousands one at a time.
    let mut shown = 0;
    let mut chars = 0;
    for name in names {
        chars += name.chars().count() + if shown > 0 { 2 } else { 0 };
        if chars > MAX_CHARS {
            break;
        }
        shown += 1;
    }
    let mut shown = shown.max(1);
    let mut out = line(shown);
    while shown > 1 && out.chars().count() > MAX_CHARS {
        shown -= 1;
        out = line(shown);
    }
    out
}

fn top_line(ask: &Ask, s: &Subject) -> String {
    let donors: Vec<String> = s
        .top
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .take(TOP)
        .enumerate()
        .map(|(i, d)| {
            let name = d["donor"].as_str().unwrap_or_default();
            format!("{}. {name} ({})", i + 1, ask.money(s.currency, d["amount"].as_i64().unwrap_or_default()))
        })
        .collect();
    if donors.is_empty() {
        return ask
            .words("Pas encore de donateur\u{a0}: soyez le premier\u{a0}!", "No donor yet: be the first!")
            .to_owned();
    }
    format!("{} {}", ask.words("Top donateurs\u{a0}:", "Top donors:"), donors.join(", "))
}

/// "Dernier don : Hugo, 15,00 € (doublé : +15,00 €) — « Courage ! ». Merci !":
/// the name and message as viewers see them (none while held or hidden),
/// what it still counts for after a partial refund.
fn last_line(ask: &Ask, s: &Subject) -> String {
    let Some(d) = &s.last else {
        return ask
            .words("Pas encore de don\u{a0}: soyez le premier\u{a0}!", "No donation yet: be the first!")
            .to_owned();
    };
    let money = |m| ask.money(s.currency, m);
    // A name held for moderation is not said; an anonymous gift is said so.
    let who = donor_said(ask, d);
    let kept = d.amount - d.refunded_amount;
    let mut out = format!("{} {who}, {}", ask.words("Dernier don\u{a0}:", "Latest donation:"), money(kept));
    if d.matched > 0 {
        let matched = money(d.matched);
        out += &match (ask.french, d.matched == kept) {
            (true, true) => format!(" (doublé\u{a0}: +{matched})"),
            (true, false) => format!(" (abondé\u{a0}: +{matched})"),
            (false, true) => format!(" (doubled: +{matched})"),
            (false, false) => format!(" (matched: +{matched})"),
        };
    }
    if let Some(m) = d.shown_message().filter(|m| !m.is_empty()) {
        out += &if ask.french { format!(" — «\u{a0}{m}\u{a0}»") } else { format!(" — \u{201c}{m}\u{201d}") };
    }
    out += ask.words(". Merci\u{a0}!", ". Thank you!");
    out
}

fn milestone_line(ask: &Ask, s: &Subject) -> String {
    let (total, milestones) = &s.climb;
    let mut ahead: Vec<&MilestoneState> = milestones.iter().filter(|m| m.reached.is_none()).collect();
    ahead.sort_by_key(|m| m.milestone.amount);
    match ahead.first() {
        Some(m) => {
            let left = ask.money(s.currency, (m.milestone.amount - total).max(0));
            let at = ask.money(s.currency, m.milestone.amount);
            if ask.french {
                format!("Prochain palier\u{a0}: {at} — {} (encore {left}).", m.milestone.label)
            } else {
                format!("Next milestone: {at} — {} ({left} to go).", m.milestone.label)
            }
        }
        None if milestones.is_empty() => ask.words("Pas de palier pour l'instant.", "No milestone yet.").to_owned(),
        None => ask
            .words("Tous les paliers sont atteints\u{a0}: merci\u{a0}!", "Every milestone is reached: thank you!")
            .to_owned(),
    }
}

fn next_line(ask: &Ask, s: &Subject, now: Timestamp) -> String {
    // The host and title, and where to watch when the live has its link.
    let who = |l: &Live| {
        let mut who = match &l.title {
            Some(t) if !t.is_empty() => format!("{} — {t}", l.host),
            _ => l.host.clone(),
        };
        if let Some(url) = &l.stream_url {
            who = format!("{who} ({url})");
        }
        who
    };
    // Every live on air, the earliest started first (several streams at once
    // for one campaign).
    let mut on_air: Vec<&Live> = s.lives.iter().filter(|l| live_status(l, now) == "current").collect();
    on_air.sort_by_key(|l| l.scheduled_at);
    let next = s
        .lives
        .iter()
        .filter(|l| !l.cancelled && l.scheduled_at.is_some_and(|t| t > now))
        .min_by_key(|l| l.scheduled_at);
    let next = match next.and_then(|l| Some((l, l.scheduled_at?))) {
        Some((l, at)) => {
            format!("{} {}, {}.", ask.words("Prochain live\u{a0}:", "Next live:"), who(l), when(ask, at))
        }
        None if on_air.is_empty() => {
            return ask.words("Pas de prochain live prévu pour l'instant.", "No next live planned yet.").to_owned();
        }
        None => String::new(),
    };
    if on_air.is_empty() {
        return next;
    }
    // As many of them as the line holds with the next live, three at most
    // (four when they are four), the others counted.
    let line = |named: usize| {
        let said: Vec<String> = on_air[..named].iter().map(|l| who(l)).collect();
        let list = listed(ask, &said, on_air.len() - named);
        let sep = if next.is_empty() { "" } else { " " };
        format!("{} {list}.{sep}{next}", ask.words("En direct\u{a0}:", "On air:"))
    };
    let mut named = if on_air.len() <= ON_AIR_NAMED + 1 { on_air.len() } else { ON_AIR_NAMED };
    let mut out = line(named);
    while named > 1 && out.chars().count() > MAX_CHARS {
        named -= 1;
        out = line(named);
    }
    out
}

/// How many lives on air a line names before it counts the others.
const ON_AIR_NAMED: usize = 3;

/// "Alice, Bob et Chloë" / "Alice, Bob and Chloë", or with `more` not named
/// "Alice, Bob, Chloë et 2 autres" / "Alice, Bob, Chloë and 2 more".
fn listed(ask: &Ask, said: &[String], more: usize) -> String {
    let and = ask.words(" et ", " and ");
    if more > 0 {
        let more = match (more, ask.french) {
            (1, true) => "1 autre".to_owned(),
            (n, true) => format!("{} autres", ask.count(n as u64)),
            (n, false) => format!("{} more", ask.count(n as u64)),
        };
        return format!("{}{and}{more}", said.join(", "));
    }
    match said.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}{and}{last}", rest.join(", ")),
        _ => said.join(", "),
    }
}

const FR_DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const EN_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "mercredi 3 mars à 19:00 (Europe/Paris)" / "Wednesday 3 March at 19:00
/// (Europe/Paris)": on the clock of `tz`, UTC without one.
fn when(ask: &Ask, at: Timestamp) -> String {
    let instant = jiff::Timestamp::from_millisecond(at.millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let (zone, name) = match &ask.zone {
        Some((zone, name)) => (zone.clone(), name.as_str()),
        None => (jiff::tz::TimeZone::UTC, "UTC"),
    };
    let d = zone.to_datetime(instant);
    let day = usize::from(d.weekday().to_monday_zero_offset().unsigned_abs());
    let month = usize::from(d.month().unsigned_abs()) - 1;
    let (days, months, at_word) = if ask.french { (FR_DAYS, FR_MONTHS, "à") } else { (EN_DAYS, EN_MONTHS, "at") };
    format!("{} {} {} {at_word} {:02}:{:02} ({name})", days[day], d.day(), months[month], d.hour(), d.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A campaign's thank-you to `names` (sorted), 1 € each, and two anonymous gifts.
    fn thanks_to(names: &[String]) -> String {
        let ask = Ask::of(&HashMap::from([("say".to_owned(), "thanks".to_owned())])).unwrap();
        let n = names.len() as i64;
        let totals = Totals { raised: 100 * (n + 2), matched: 0, total: 100 * (n + 2), donations: n as u64 + 2 };
        let subject = Subject {
            currency: Currency::parse("EUR").unwrap(),
            totals,
            goal: None,
            beneficiary: "Restos".to_owned(),
            campaign_totals: None,
            donate_url: None,
            top: Value::Null,
            last: None,
            climb: (totals.total, Vec::new()),
            lives: Vec::new(),
            rewards: Vec::new(),
            window: Window::Open,
            thanked: Arc::new((names.to_vec(), 2)),
            matches: Vec::new(),
        };
        thanks_line(&ask, &subject)
    }

    /// However many donors, the thank-you names the most that the line holds
    /// (the first alphabetically) and counts the others with the anonymous
    /// gifts: the same line as adding names one at a time while they fit.
    #[test]
    fn a_thank_you_to_thousands_names_as_many_as_the_line_holds() {
        for (count, width) in
            [(1, 5), (3, 40), (20, 12), (33, 9), (40, 9), (500, 3), (30_000, 11), (200, 399), (2, 500)]
        {
            let names: Vec<String> = (0..count).map(|i| format!("{i:0width$}")).collect();
            let total = Currency::parse("EUR").unwrap().format_for(100 * (count as i64 + 2), true);
            let tail = format!("\u{a0}: {total} récoltés pour Restos\u{a0}!");
            // The reference: every count of names shown, the longest line that fits.
            let with = |shown: usize| {
                let others = match count - shown {
                    1 => "1 autre donateur".to_owned(),
                    n => format!("{} autres donateurs", crate::http::pages::count_for(n as u64, true)),
                };
                let list = if shown == count && count == 1 {
                    format!("{} et à 2 donateurs anonymes", names[0])
                } else if shown == count {
                    format!("{} et {}, et à 2 donateurs anonymes", names[..count - 1].join(", "), names[count - 1])
                } else {
                    format!("{}, {others} et 2 dons anonymes", names[..shown].join(", "))
                };
                format!("Merci à {list}{tail}")
            };
            let expected = (1..=count.min(400)).rev().map(with).find(|l| l.chars().count() <= MAX_CHARS);
            let said = thanks_to(&names);
            assert_eq!(said, expected.unwrap_or_else(|| with(1)), "{count} names of {width}");
        }
    }

    #[test]
    fn a_long_line_is_cut_after_a_word() {
        assert_eq!(cut("abc def", 10), "abc def");
        assert_eq!(cut("Top donors: 1. Ana (€5.00), 2. Bob (€3.00)", 30), "Top donors: 1. Ana (€5.00)…");
        let long = "é".repeat(500);
        assert_eq!(cut(&long, MAX_CHARS).chars().count(), MAX_CHARS);
    }
}
