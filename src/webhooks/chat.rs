//! Outgoing events as a chat's incoming webhook takes them: a Discord or Slack
//! channel of the stream's community gets one line of text for what viewers
//! celebrate (a donation, a milestone or challenge reached, a sponsor's budget
//! used up, a poll's result, a prize drawn), in French or English, with the
//! names and messages as viewers see them. Refunds and erasures get no line of
//! their own: a Discord channel's lines that showed the gift are written again
//! (struck through once refunded whole), which Slack's webhooks cannot do.
//!
//! Donors write the names and messages: a chat must not read them as markup.
//! Discord gets no mention parsed (`allowed_mentions`), no link preview
//! (`flags`: suppress embeds) and its markdown characters escaped; Slack gets
//! `&`, `<` and `>` escaped, as its formatting rules ask, so `<!channel>` in a
//! message stays text.

use crate::domain::HookFormat;
use crate::http::pages::count_for;
use crate::money::Currency;
use serde_json::{Value, json};

/// What a line needs beyond its event: the campaign's currency, the goals a
/// donation may cross (its live's, its campaign's), when the event happened
/// (milliseconds since the epoch: a changed challenge's time left), for a
/// gift's line written again, what was refunded of it since, and what the
/// log said before the event ([`Before`], when [`asks_before`] says so).
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub currency: Currency,
    pub live_goal: Option<i64>,
    pub campaign_goal: Option<i64>,
    pub at: Option<i64>,
    pub refund: Option<Refund>,
    pub before: Before,
}

/// What the log held before an event, for the lines said once only: the
/// highest totals its live and its campaign had reached with earlier gifts
/// (a goal reached, then left below by a refund, is not celebrated again
/// when a later gift reaches it), and whether its sponsor's budget, as large
/// or larger, was used up before (its thanks said then, not after a refund
/// gave part of it back). The default: nothing before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Before {
    pub live_total: Option<i64>,
    pub campaign_total: Option<i64>,
    pub used_up: bool,
}

/// What was given back of a gift after its line was said: `amount` in all,
/// `whole` once it is refunded whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refund {
    pub amount: i64,
    pub whole: bool,
}

/// The body to post for an event of `kind` (its outgoing name) whose frame is
/// `frame`, or `None` for an event a chat is not told of.
pub fn body(format: HookFormat, kind: &str, frame: &Value, setting: Setting, french: bool) -> Option<String> {
    let words = Words { format, setting, french };
    let line = match kind {
        "donation.created" => words.donation(frame)?,
        "milestone.reached" => words.milestone(frame)?,
        "challenge.started" => words.challenge(frame, false)?,
        "challenge.updated" => words.challenge(frame, true)?,
        "challenge.missed" => words.missed(frame)?,
        "match.used_up" if setting.before.used_up => return None,
        "match.used_up" => words.used_up(frame)?,
        "poll.started" => words.poll_open(frame, false)?,
        "poll.updated" => words.poll_open(frame, true)?,
        "poll.closed" => words.poll(frame)?,
        "prize.drawn" => words.draw(frame)?,
        "donation.text_released" => words.released(frame)?,
        "live.started" => words.started(frame)?,
        "live.ended" => words.ended(frame)?,
        "campaign.ended" => words.campaign_ended(frame)?,
        "campaign.opened" => words.campaign_opened(frame)?,
        _ => return None,
    };
    let line = match (setting.refund, kind) {
        (Some(refund), "donation.created" | "donation.text_released") => words.refunded(line, refund)?,
        _ => line,
    };
    envelope(format, &line)
}

/// Whether the line for an event of `kind` says something said once only
/// (a sponsor's budget used up, a goal the gift reaches), so that
/// [`Setting::before`] must be read from the log first.
pub fn asks_before(kind: &str, frame: &Value, setting: Setting) -> bool {
    match kind {
        "match.used_up" => true,
        "donation.created" => goals_reached(frame, Setting { before: Before::default(), ..setting }).next().is_some(),
        _ => false,
    }
}

/// The goals a gift's `frame` says it reached, each once: the live's and the
/// campaign's (with the key of their totals in the frame) that its total is
/// at or past, that it was below before the gift, and that no earlier gift
/// had reached.
fn goals_reached(frame: &Value, setting: Setting) -> impl Iterator<Item = (i64, &'static str)> + '_ {
    let d = &frame["donation"];
    let kept = d["amount"].as_i64().unwrap_or(0) - d["refunded_amount"].as_i64().unwrap_or(0);
    let added = kept + d["matched"].as_i64().unwrap_or(0);
    let before = setting.before;
    [
        (setting.live_goal, "totals", before.live_total),
        (setting.campaign_goal, "campaign_totals", before.campaign_total),
    ]
    .into_iter()
    .filter_map(move |(goal, totals, highest)| {
        let (goal, total) = (goal?, frame[totals]["total"].as_i64()?);
        let reached = goal > 0 && total >= goal && total - added < goal && highest.is_none_or(|h| h < goal);
        reached.then_some((goal, totals))
    })
}

/// `line` as the chat's webhook takes it (`None` for signed subscribers).
fn envelope(format: HookFormat, line: &str) -> Option<String> {
    Some(match format {
        HookFormat::Cagnotte => return None,
        // 4: SUPPRESS_EMBEDS. Discord cuts at 2 000 characters.
        HookFormat::Discord => {
            json!({"content": cut(line, 2000), "allowed_mentions": {"parse": []}, "flags": 4}).to_string()
        }
        HookFormat::Slack => json!({"text": cut(line, 3000)}).to_string(),
    })
}

/// The line a chat gets when organisers test its webhook (`None` for signed subscribers).
pub fn connected(format: HookFormat, campaign: Option<&str>, french: bool) -> Option<String> {
    let line = match (campaign, french) {
        (Some(c), true) => {
            format!(
                "🧪 Ce salon est relié à Cagnotte\u{a0}: les dons de {} y seront annoncés.",
                quote(format, french, c)
            )
        }
        (Some(c), false) => format!(
            "🧪 This channel is connected to Cagnotte: the donations of {} will be announced here.",
            quote(format, french, c)
        ),
        (None, true) => "🧪 Ce salon est relié à Cagnotte\u{a0}: les dons y seront annoncés.".to_owned(),
        (None, false) => "🧪 This channel is connected to Cagnotte: the donations will be announced here.".to_owned(),
    };
    envelope(format, &line)
}

/// The kinds of events a chat is told of.
pub const KINDS: [&str; 13] = [
    "donation.created",
    "milestone.reached",
    "challenge.started",
    "challenge.updated",
    "challenge.missed",
    "match.used_up",
    "poll.started",
    "poll.updated",
    "poll.closed",
    "prize.drawn",
    "donation.text_released",
    "live.started",
    "live.ended",
];

struct Words {
    format: HookFormat,
    setting: Setting,
    french: bool,
}

impl Words {
    fn pick<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        if self.french { fr } else { en }
    }

    fn money(&self, v: &Value) -> Option<String> {
        Some(self.setting.currency.format_for(v.as_i64()?, self.french))
    }

    fn text(&self, s: &str) -> String {
        escape(self.format, s)
    }

    fn quoted(&self, s: &str) -> String {
        quote(self.format, self.french, s)
    }

    /// An http(s) URL the organisers gave, as a link of the channel's: bare
    /// for Discord (no preview: the line's `flags`), between `<>` for Slack.
    fn link(&self, url: &str) -> String {
        match self.format {
            HookFormat::Slack => format!("<{}>", escape(HookFormat::Slack, url)),
            _ => url.to_owned(),
        }
    }

    /// "💛 Ana a donné 10,00 € (doublé : +10,00 €) — « Courage ! ». Total du live : 1 234,00 €."
    fn donation(&self, f: &Value) -> Option<String> {
        let d = &f["donation"];
        let kept = d["amount"].as_i64()? - d["refunded_amount"].as_i64().unwrap_or(0);
        let amount = self.money(&json!(kept))?;
        let mut out = match d["donor"].as_str().filter(|n| !n.is_empty()) {
            Some(name) => {
                let name = self.text(name);
                if self.french {
                    format!("💛 {name} a donné {amount}")
                } else {
                    format!("💛 {name} gave {amount}")
                }
            }
            None => format!("💛 {} {amount}", self.pick("Nouveau don de", "New donation of")),
        };
        let matched = d["matched"].as_i64().unwrap_or(0);
        if matched > 0 {
            let m = self.money(&json!(matched))?;
            out += &match (self.french, matched == kept) {
                (true, true) => format!(" (doublé\u{a0}: +{m})"),
                (true, false) => format!(" (abondé\u{a0}: +{m})"),
                (false, true) => format!(" (doubled: +{m})"),
                (false, false) => format!(" (matched: +{m})"),
            };
        }
        if let Some(m) = d["message"].as_str().filter(|m| !m.is_empty()) {
            out += &format!(" — {}", self.quoted(m));
        }
        // The reward it claimed, which the channel may want to see drawn.
        if let Some(r) = f["reward"]["title"].as_str() {
            out += &format!(" 🎁 {}", self.quoted(r));
        }
        if let Some(total) = self.money(&f["totals"]["total"]) {
            out += &if self.french {
                format!(". Total du live\u{a0}: {total}.")
            } else {
                format!(". Live total: {total}.")
            };
        }
        // The goal this gift reached: the moment the channel celebrates, once.
        for (goal, totals) in goals_reached(f, self.setting) {
            let (fr, en) = if totals == "totals" {
                ("🎯 Objectif du live atteint", "🎯 Live goal reached")
            } else {
                ("🏆 Objectif de la campagne atteint", "🏆 Campaign goal reached")
            };
            let goal = self.money(&json!(goal))?;
            out += &if self.french { format!(" {fr}\u{a0}: {goal}\u{a0}!") } else { format!(" {en}: {goal}!") };
        }
        Some(out)
    }

    /// A gift's `line` as it was said, then what was given back of it since:
    /// "~~💛 Ana a donné 15,00 €. Total du live : 15,00 €.~~ ↩️ Don remboursé."
    /// once refunded whole, "… ↩️ 5,00 € remboursés." for a part.
    fn refunded(&self, line: String, refund: Refund) -> Option<String> {
        if refund.whole {
            let strike = if self.format == HookFormat::Slack { "~" } else { "~~" };
            return Some(format!("{strike}{line}{strike} ↩️ {}", self.pick("Don remboursé.", "Refunded.")));
        }
        let back = self.money(&json!(refund.amount))?;
        Some(match (self.french, refund.amount >= 200) {
            (true, true) => format!("{line} ↩️ {back} remboursés."),
            (true, false) => format!("{line} ↩️ {back} remboursé."),
            (false, _) => format!("{line} ↩️ {back} refunded."),
        })
    }

    /// The name and message of a gift held for moderation, once approved (its
    /// first line had neither): "💬 Ana (15,00 €) : « Courage ! »".
    fn released(&self, f: &Value) -> Option<String> {
        let d = &f["donation"];
        let kept = d["amount"].as_i64()? - d["refunded_amount"].as_i64().unwrap_or(0);
        let amount = self.money(&json!(kept))?;
        let name = d["donor"].as_str().filter(|n| !n.is_empty()).map(|n| self.text(n));
        let message = d["message"].as_str().filter(|m| !m.is_empty()).map(|m| self.quoted(m));
        Some(match (name, message, self.french) {
            (Some(n), Some(m), true) => format!("💬 {n} ({amount})\u{a0}: {m}"),
            (Some(n), Some(m), false) => format!("💬 {n} ({amount}): {m}"),
            (Some(n), None, true) => format!("💬 Merci {n} ({amount})\u{a0}!"),
            (Some(n), None, false) => format!("💬 Thank you {n} ({amount})!"),
            (None, Some(m), true) => format!("💬 Don de {amount}\u{a0}: {m}"),
            (None, Some(m), false) => format!("💬 A gift of {amount}: {m}"),
            (None, None, _) => return None,
        })
    }

    /// A live's scheduled start: "🔴 Ana est en direct : « Dessin » !", and
    /// where to watch it when the live has its link.
    fn started(&self, f: &Value) -> Option<String> {
        let l = &f["live"];
        let host = self.text(l["host"].as_str()?);
        let mut out = match (l["title"].as_str().filter(|t| !t.is_empty()).map(|t| self.quoted(t)), self.french) {
            (Some(t), true) => format!("🔴 {host} est en direct\u{a0}: {t}\u{a0}!"),
            (Some(t), false) => format!("🔴 {host} is live: {t}!"),
            (None, true) => format!("🔴 {host} est en direct\u{a0}!"),
            (None, false) => format!("🔴 {host} is live!"),
        };
        if let Some(url) = l["stream_url"].as_str() {
            out = format!("{out} {}", self.link(url));
        }
        Some(out)
    }

    /// "🏁 Fin du live — Ana, « Dessin » : 25,00 € récoltés en 3 dons (dont 10,00 € des sponsors). Merci à tous !"
    fn ended(&self, f: &Value) -> Option<String> {
        let l = &f["live"];
        let t = &f["totals"];
        let mut who = self.text(l["host"].as_str()?);
        if let Some(title) = l["title"].as_str().filter(|t| !t.is_empty()) {
            who = format!("{who}, {}", self.quoted(title));
        }
        let total = self.money(&t["total"])?;
        let n = t["donations"].as_u64()?;
        if n == 0 {
            return Some(if self.french {
                format!("🏁 Fin du live — {who}. Merci à tous\u{a0}!")
            } else {
                format!("🏁 The live is over — {who}. Thank you all!")
            });
        }
        let matched = t["matched"].as_i64().filter(|m| *m > 0).and_then(|m| self.money(&json!(m)));
        Some(if self.french {
            let gifts = if n > 1 { format!("{} dons", count_for(n, true)) } else { format!("{n} don") };
            let sponsors = matched.map(|m| format!(" (dont {m} des sponsors)")).unwrap_or_default();
            format!("🏁 Fin du live — {who}\u{a0}: {total} récoltés en {gifts}{sponsors}. Merci à tous\u{a0}!")
        } else {
            let gifts = if n == 1 { "1 donation".to_owned() } else { format!("{} donations", count_for(n, false)) };
            let sponsors = matched.map(|m| format!(" ({m} of it from sponsors)")).unwrap_or_default();
            format!("🏁 The live is over — {who}: {total} raised in {gifts}{sponsors}. Thank you all!")
        })
    }

    /// "🚀 La collecte « Décembre solidaire » est ouverte pour Les Restos du
    /// Cœur ! Pour donner : https://…"
    fn campaign_opened(&self, f: &Value) -> Option<String> {
        let c = &f["campaign"];
        let name = self.quoted(c["name"].as_str()?);
        let charity = c["charity"].as_str().filter(|s| !s.is_empty()).map(|s| self.text(s));
        let mut out = match (charity, self.french) {
            (Some(ch), true) => format!("🚀 La collecte {name} est ouverte pour {ch}\u{a0}!"),
            (None, true) => format!("🚀 La collecte {name} est ouverte\u{a0}!"),
            (Some(ch), false) => format!("🚀 The fundraiser {name} is open for {ch}!"),
            (None, false) => format!("🚀 The fundraiser {name} is open!"),
        };
        if let Some(url) = c["donate_url"].as_str() {
            out = format!("{out} {} {}", if self.french { "Pour donner\u{a0}:" } else { "Donate:" }, self.link(url));
        }
        Some(out)
    }

    /// "🏁 La collecte « Décembre solidaire » est terminée : 12 345,00 € récoltés
    /// pour Les Restos du Cœur en 321 dons (dont 2 000,00 € des sponsors). Merci à tous !"
    fn campaign_ended(&self, f: &Value) -> Option<String> {
        let c = &f["campaign"];
        let t = &f["campaign_totals"];
        let name = self.quoted(c["name"].as_str()?);
        let n = t["donations"].as_u64()?;
        if n == 0 {
            return Some(if self.french {
                format!("🏁 La collecte {name} est terminée. Merci à tous\u{a0}!")
            } else {
                format!("🏁 The fundraiser {name} is over. Thank you all!")
            });
        }
        let total = self.money(&t["total"])?;
        let charity = c["charity"].as_str().filter(|s| !s.is_empty()).map(|s| self.text(s));
        let matched = t["matched"].as_i64().filter(|m| *m > 0).and_then(|m| self.money(&json!(m)));
        Some(if self.french {
            let gifts = if n > 1 { format!("{} dons", count_for(n, true)) } else { format!("{n} don") };
            let charity = charity.map(|s| format!(" pour {s}")).unwrap_or_default();
            let sponsors = matched.map(|m| format!(" (dont {m} des sponsors)")).unwrap_or_default();
            format!(
                "🏁 La collecte {name} est terminée\u{a0}: {total} récoltés{charity} en {gifts}{sponsors}. Merci à tous\u{a0}!"
            )
        } else {
            let gifts = if n == 1 { "1 donation".to_owned() } else { format!("{} donations", count_for(n, false)) };
            let charity = charity.map(|s| format!(" for {s}")).unwrap_or_default();
            let sponsors = matched.map(|m| format!(" ({m} of it from sponsors)")).unwrap_or_default();
            format!("🏁 The fundraiser {name} is over: {total} raised{charity} in {gifts}{sponsors}. Thank you all!")
        })
    }

    /// "🎉 Palier atteint : 500,00 € — « Une chanson de plus » !" (a challenge: "Défi réussi").
    fn milestone(&self, f: &Value) -> Option<String> {
        let m = &f["milestone"];
        let at = self.money(&m["amount"])?;
        let label = self.quoted(m["label"].as_str().unwrap_or_default());
        let challenge = !m["ends_at"].is_null();
        Some(match (self.french, challenge) {
            (true, false) => format!("🎉 Palier atteint\u{a0}: {at} — {label}\u{a0}!"),
            (true, true) => format!("🎉 Défi réussi\u{a0}: {label}\u{a0}!"),
            (false, false) => format!("🎉 Milestone reached: {at} — {label}!"),
            (false, true) => format!("🎉 Challenge met: {label}!"),
        })
    }

    /// "⏱ Nouveau défi : 50,00 € de plus en 15 minutes et « Je chante » !":
    /// what it asks for on top of the live's total, and its time; `changed`,
    /// its new terms and the time it has left ("⏱ Défi modifié : désormais …
    /// — encore 12 minutes !"), so that "+5 min" reaches the chat as such.
    fn challenge(&self, f: &Value, changed: bool) -> Option<String> {
        let m = &f["milestone"];
        let more = self.money(&json!(m["amount"].as_i64()? - m["from"].as_i64()?))?;
        let at = |k: &str| crate::domain::Timestamp::parse(m[k].as_str()?).map(|t| t.millis());
        let minutes = self.minutes((at("ends_at")? - at("created_at")?) / 60_000);
        let label = self.quoted(m["label"].as_str().unwrap_or_default());
        if !changed {
            return Some(if self.french {
                format!("⏱ Nouveau défi\u{a0}: {more} de plus en {minutes} et {label}\u{a0}!")
            } else {
                format!("⏱ New challenge: {more} more in {minutes} and {label}!")
            });
        }
        let left = self.time_left(at("ends_at"));
        Some(if self.french {
            format!("⏱ Défi modifié\u{a0}: désormais {more} de plus en {minutes} et {label}{left}\u{a0}!")
        } else {
            format!("⏱ Challenge changed: now {more} more in {minutes} and {label}{left}!")
        })
    }

    /// "⌛ Temps écoulé pour le défi « Je chante » : 15,50 € sur 20,00 €, il
    /// manquait 4,50 €." — what the live gave since the challenge was set, of
    /// what it asked, when its time ran out.
    fn missed(&self, f: &Value) -> Option<String> {
        let m = &f["milestone"];
        let from = m["from"].as_i64()?;
        let asked = m["amount"].as_i64()? - from;
        let given = (f["totals"]["total"].as_i64()? - from).clamp(0, asked);
        let money = |minor: i64| self.money(&json!(minor));
        let (short, given, asked) = (money(asked - given)?, money(given)?, money(asked)?);
        let label = self.quoted(m["label"].as_str().unwrap_or_default());
        Some(if self.french {
            format!("⌛ Temps écoulé pour le défi {label}\u{a0}: {given} sur {asked}, il manquait {short}.")
        } else {
            format!("⌛ Time's up for the challenge {label}: {given} of {asked}, {short} short.")
        })
    }

    /// " — encore 12 minutes" / " — 12 minutes left": what a challenge or a
    /// poll ending at `end` had left when the event happened, to the nearest
    /// minute, one at least (it is still on); nothing when either time is unknown.
    fn time_left(&self, end: Option<i64>) -> String {
        let Some(n) = end.zip(self.setting.at).map(|(end, now)| ((end - now + 30_000) / 60_000).max(1)) else {
            return String::new();
        };
        let n = self.minutes(n);
        if self.french { format!(" — encore {n}") } else { format!(" — {n} left") }
    }

    /// "1 minute", "15 minutes" (French: "0 minute" too), the number and its
    /// word kept together in French.
    fn minutes(&self, n: i64) -> String {
        let one = if self.french { n <= 1 } else { n == 1 };
        let s = if one { "" } else { "s" };
        if self.french { format!("{n}\u{a0}minute{s}") } else { format!("{n} minute{s}") }
    }

    /// "🤝 Acme a doublé 500,00 € de dons : merci !"
    fn used_up(&self, f: &Value) -> Option<String> {
        let m = &f["match"];
        let sponsor = self.text(m["sponsor"].as_str()?);
        let used = self.money(&m["used"]).or_else(|| self.money(&m["cap"]))?;
        Some(if self.french {
            format!("🤝 {sponsor} a abondé {used} de dons, tout son budget\u{a0}: merci\u{a0}!")
        } else {
            format!("🤝 {sponsor} matched {used} of donations, its whole budget: thank you!")
        })
    }

    /// "📊 Quel jeu ensuite ? — Zelda l'emporte avec 45,00 € !" (a tie names the tied options).
    fn poll(&self, f: &Value) -> Option<String> {
        let p = &f["poll"];
        let question = self.text(p["question"].as_str()?);
        let options = p["options"].as_array()?;
        let best = options.iter().filter_map(|o| o["amount"].as_i64()).max().unwrap_or(0);
        if best == 0 {
            return Some(format!("📊 {question} — {}", self.pick("aucun vote.", "no vote.")));
        }
        let winners: Vec<String> = options
            .iter()
            .filter(|o| o["amount"].as_i64() == Some(best))
            .filter_map(|o| o["label"].as_str().map(|l| self.text(l)))
            .collect();
        let amount = self.money(&json!(best))?;
        Some(match (self.french, winners.len()) {
            (true, 1) => format!("📊 {question} — {} l'emporte avec {amount}\u{a0}!", winners[0]),
            (true, _) => format!("📊 {question} — égalité entre {} ({amount} chacun)\u{a0}!", winners.join(", ")),
            (false, 1) => format!("📊 {question} — {} wins with {amount}!", winners[0]),
            (false, _) => format!("📊 {question} — a tie between {} ({amount} each)!", winners.join(", ")),
        })
    }

    /// "📊 Nouveau sondage : Quel jeu ? Votez en donnant, avec #mario pour Mario
    /// ou #zelda pour Zelda dans votre message, 15 minutes pour voter !": how
    /// to vote and its length; `changed`, its question now and the time it has
    /// left ("📊 Sondage modifié : … — encore 20 minutes !").
    fn poll_open(&self, f: &Value, changed: bool) -> Option<String> {
        let p = &f["poll"];
        let question = self.text(p["question"].as_str()?);
        let choices: Vec<String> = p["options"]
            .as_array()?
            .iter()
            .filter_map(|o| {
                let (tag, label) = (o["tag"].as_str()?, self.text(o["label"].as_str()?));
                Some(format!("#{tag} {} {label}", self.pick("pour", "for")))
            })
            .collect();
        let (last, first) = choices.split_last()?;
        let choices = if first.is_empty() {
            last.clone()
        } else {
            format!("{} {} {last}", first.join(", "), self.pick("ou", "or"))
        };
        let at = |t: &Value| crate::domain::Timestamp::parse(t.as_str()?).map(|t| t.millis());
        let end = at(&p["ends_at"]);
        // Changed, the time it has left; put on air, its length from its start.
        let time = if changed {
            self.time_left(end)
        } else {
            let length = end.zip(at(&p["created_at"])).map(|(end, start)| self.minutes((end - start) / 60_000));
            length
                .map(|n| if self.french { format!(", {n} pour voter") } else { format!(", {n} to vote") })
                .unwrap_or_default()
        };
        Some(if self.french {
            let head = if changed { "Sondage modifié" } else { "Nouveau sondage" };
            format!("📊 {head}\u{a0}: {question} Votez en donnant, avec {choices} dans votre message{time}\u{a0}!")
        } else {
            let head = if changed { "Poll changed" } else { "New poll" };
            format!("📊 {head}: {question} Vote with a donation, with {choices} in your message{time}!")
        })
    }

    /// "🎁 Tirage au sort « Affiche » : Ana gagne !"
    fn draw(&self, f: &Value) -> Option<String> {
        let d = &f["draw"];
        let prize = self.quoted(d["prize"].as_str()?);
        let who = match d["winner"]["donor"].as_str().filter(|n| !n.is_empty()) {
            Some(name) => self.text(name),
            None => self.pick("un donateur anonyme", "an anonymous donor").to_owned(),
        };
        Some(if self.french {
            format!("🎁 Tirage au sort {prize}\u{a0}: {who} gagne\u{a0}!")
        } else {
            format!("🎁 Prize draw {prize}: {who} wins!")
        })
    }
}

/// A donor's or organiser's text, safe as this chat's markup.
fn escape(format: HookFormat, s: &str) -> String {
    match format {
        HookFormat::Slack => s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"),
        _ => {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '[' | ']' | '(' | ')' | '#' | '@' | ':')
                {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }
    }
}

/// `s` escaped, between the language's quotation marks.
fn quote(format: HookFormat, french: bool, s: &str) -> String {
    if french {
        format!("«\u{a0}{}\u{a0}»", escape(format, s))
    } else {
        format!("\u{201c}{}\u{201d}", escape(format, s))
    }
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max - 1) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn setting() -> Setting {
        Setting {
            currency: eur(),
            live_goal: None,
            campaign_goal: None,
            at: None,
            refund: None,
            before: Before::default(),
        }
    }

    /// The Slack line for `kind` when its event happened at `at` (RFC 3339).
    fn said_at(kind: &str, frame: &Value, at: &str, french: bool) -> String {
        let at = crate::domain::Timestamp::parse(at).map(|t| t.millis());
        let body = body(HookFormat::Slack, kind, frame, Setting { at, ..setting() }, french).unwrap();
        serde_json::from_str::<Value>(&body).unwrap()["text"].as_str().unwrap().to_owned()
    }

    fn content(format: HookFormat, kind: &str, frame: Value, french: bool) -> Value {
        serde_json::from_str(&body(format, kind, &frame, setting(), french).unwrap()).unwrap()
    }

    #[test]
    fn a_live_s_end_says_what_it_raised() {
        let frame = json!({
            "live": {"host": "Ana", "title": "Dessin"},
            "totals": {"raised": 1500, "matched": 1000, "total": 2500, "donations": 3},
        });
        assert_eq!(
            content(HookFormat::Discord, "live.ended", frame.clone(), true)["content"],
            "🏁 Fin du live — Ana, «\u{a0}Dessin\u{a0}»\u{a0}: 25,00\u{a0}€ récoltés en 3 dons (dont 10,00\u{a0}€ des sponsors). Merci à tous\u{a0}!"
        );
        let one =
            json!({"live": {"host": "Bob_"}, "totals": {"raised": 500, "matched": 0, "total": 500, "donations": 1}});
        assert_eq!(
            content(HookFormat::Slack, "live.ended", one, false)["text"],
            "🏁 The live is over — Bob_: €5.00 raised in 1 donation. Thank you all!"
        );
        assert_eq!(
            content(
                HookFormat::Discord,
                "live.ended",
                json!({"live": {"host": "Bob_"}, "totals": {"raised": 0, "matched": 0, "total": 0, "donations": 0}}),
                true
            )["content"],
            "🏁 Fin du live — Bob\\_. Merci à tous\u{a0}!"
        );
    }

    #[test]
    fn a_campaign_s_opening_says_for_whom_and_where_to_give() {
        let frame = json!({"campaign": {"name": "Décembre solidaire", "charity": "Les Restos du Cœur", "donate_url": "https://dons.example.org/a_b"}});
        assert_eq!(
            content(HookFormat::Discord, "campaign.opened", frame.clone(), true)["content"],
            "🚀 La collecte «\u{a0}Décembre solidaire\u{a0}» est ouverte pour Les Restos du Cœur\u{a0}! Pour donner\u{a0}: https://dons.example.org/a_b"
        );
        assert_eq!(
            content(HookFormat::Slack, "campaign.opened", frame, false)["text"],
            "🚀 The fundraiser \u{201c}Décembre solidaire\u{201d} is open for Les Restos du Cœur! Donate: <https://dons.example.org/a_b>"
        );
        assert_eq!(
            content(HookFormat::Discord, "campaign.opened", json!({"campaign": {"name": "Mars"}}), false)["content"],
            "🚀 The fundraiser \u{201c}Mars\u{201d} is open!"
        );
    }

    #[test]
    fn a_campaign_s_end_says_what_it_raised_and_for_whom() {
        let frame = json!({
            "campaign": {"name": "Décembre solidaire", "charity": "Les Restos du Cœur"},
            "campaign_totals": {"raised": 1_234_500, "matched": 200_000, "total": 1_434_500, "donations": 4321},
        });
        assert_eq!(
            content(HookFormat::Discord, "campaign.ended", frame.clone(), true)["content"],
            "🏁 La collecte «\u{a0}Décembre solidaire\u{a0}» est terminée\u{a0}: 14\u{202f}345,00\u{a0}€ récoltés pour Les Restos du Cœur en 4\u{202f}321 dons (dont 2\u{202f}000,00\u{a0}€ des sponsors). Merci à tous\u{a0}!"
        );
        assert_eq!(
            content(HookFormat::Slack, "campaign.ended", frame, false)["text"],
            "🏁 The fundraiser \u{201c}Décembre solidaire\u{201d} is over: €14,345.00 raised for Les Restos du Cœur in 4,321 donations (€2,000.00 of it from sponsors). Thank you all!"
        );
        let one = json!({
            "campaign": {"name": "Mars", "charity": null},
            "campaign_totals": {"raised": 500, "matched": 0, "total": 500, "donations": 1},
        });
        assert_eq!(
            content(HookFormat::Discord, "campaign.ended", one, true)["content"],
            "🏁 La collecte «\u{a0}Mars\u{a0}» est terminée\u{a0}: 5,00\u{a0}€ récoltés en 1 don. Merci à tous\u{a0}!"
        );
        let none = json!({"campaign": {"name": "Mars"}, "campaign_totals": {"raised": 0, "matched": 0, "total": 0, "donations": 0}});
        assert_eq!(
            content(HookFormat::Slack, "campaign.ended", none, false)["text"],
            "🏁 The fundraiser \u{201c}Mars\u{201d} is over. Thank you all!"
        );
    }

    #[test]
    fn a_donation_is_one_line_with_its_matching_message_and_total() {
        let frame = json!({
            "donation": {"id": "d", "amount": 1000, "refunded_amount": 0, "matched": 1000, "donor": "Ana", "message": "Courage !"},
            "totals": {"total": 123400}
        });
        let v = content(HookFormat::Discord, "donation.created", frame.clone(), true);
        assert_eq!(
            v,
            json!({
                "content": "💛 Ana a donné 10,00\u{a0}€ (doublé\u{a0}: +10,00\u{a0}€) — «\u{a0}Courage !\u{a0}». Total du live\u{a0}: 1\u{202f}234,00\u{a0}€.",
                "allowed_mentions": {"parse": []},
                "flags": 4
            })
        );
        let v = content(HookFormat::Slack, "donation.created", frame, false);
        assert_eq!(
            v,
            json!({"text": "💛 Ana gave €10.00 (doubled: +€10.00) — \u{201c}Courage !\u{201d}. Live total: €1,234.00."})
        );
        // A reward claimed: its title after the message.
        let frame = json!({
            "donation": {"amount": 3000, "matched": 0, "donor": "Ana", "message": "Mon chat #portrait"},
            "totals": {"total": 3000}, "reward": {"title": "Un portrait *dessiné*"}
        });
        assert_eq!(
            content(HookFormat::Discord, "donation.created", frame.clone(), true)["content"],
            "💛 Ana a donné 30,00\u{a0}€ — «\u{a0}Mon chat \\#portrait\u{a0}» 🎁 «\u{a0}Un portrait \\*dessiné\\*\u{a0}». Total du live\u{a0}: 30,00\u{a0}€."
        );
        assert_eq!(
            content(HookFormat::Slack, "donation.created", frame, false)["text"],
            "💛 Ana gave €30.00 — \u{201c}Mon chat #portrait\u{201d} 🎁 \u{201c}Un portrait *dessiné*\u{201d}. Live total: €30.00."
        );
        // Held for moderation, then approved: its name and message in a line of their own.
        let released = |donor: Value, message: Value, lang: bool| {
            let frame = json!({"donation": {"amount": 1500, "refunded_amount": 0, "donor": donor, "message": message}});
            content(HookFormat::Slack, "donation.text_released", frame, lang)["text"].clone()
        };
        assert_eq!(
            released(json!("Ana"), json!("Courage !"), true),
            "💬 Ana (15,00\u{a0}€)\u{a0}: «\u{a0}Courage !\u{a0}»"
        );
        assert_eq!(released(json!("Ana"), json!(null), false), "💬 Thank you Ana (€15.00)!");
        assert_eq!(
            released(json!(null), json!("<!here>"), false),
            "💬 A gift of €15.00: \u{201c}&lt;!here&gt;\u{201d}"
        );
        let nothing = json!({"donation": {"amount": 1500, "donor": null, "message": null}});
        assert_eq!(body(HookFormat::Discord, "donation.text_released", &nothing, setting(), true), None);
        // A live's start, by the schedule.
        let started = |title: Value, lang: bool| {
            let frame = json!({"live": {"host": "Ana_B", "title": title}});
            content(HookFormat::Discord, "live.started", frame, lang)["content"].clone()
        };
        assert_eq!(
            started(json!("Dessin *live*"), true),
            "🔴 Ana\\_B est en direct\u{a0}: «\u{a0}Dessin \\*live\\*\u{a0}»\u{a0}!"
        );
        assert_eq!(started(json!(null), false), "🔴 Ana\\_B is live!");
        // Where to watch it: bare for Discord, a Slack link between `<>`.
        let frame =
            json!({"live": {"host": "Ana", "title": null, "stream_url": "https://www.twitch.tv/ana_b?a=1&b=2"}});
        assert_eq!(
            content(HookFormat::Discord, "live.started", frame.clone(), true)["content"],
            "🔴 Ana est en direct\u{a0}! https://www.twitch.tv/ana_b?a=1&b=2"
        );
        assert_eq!(
            content(HookFormat::Slack, "live.started", frame, false)["text"],
            "🔴 Ana is live! <https://www.twitch.tv/ana_b?a=1&amp;b=2>"
        );
        // No name (anonymous, held or hidden), no message: the amount alone.
        let frame = json!({"donation": {"amount": 500, "matched": 0, "donor": null, "message": null}, "totals": {"total": 500}});
        assert_eq!(
            content(HookFormat::Discord, "donation.created", frame, true)["content"],
            "💛 Nouveau don de 5,00\u{a0}€. Total du live\u{a0}: 5,00\u{a0}€."
        );
    }

    #[test]
    fn the_gift_that_crosses_a_goal_says_so_once() {
        let gift = |amount: i64, matched: i64, live: i64, campaign: i64| {
            json!({
                "donation": {"amount": amount, "matched": matched, "donor": "Ana", "message": null},
                "totals": {"total": live}, "campaign_totals": {"total": campaign}
            })
        };
        let goals = Setting { live_goal: Some(10000), campaign_goal: Some(50000), ..setting() };
        let say = |frame: Value| {
            let v: Value =
                serde_json::from_str(&body(HookFormat::Slack, "donation.created", &frame, goals, true).unwrap())
                    .unwrap();
            v["text"].as_str().unwrap().to_owned()
        };
        // 30 € doubled takes the live from 40 € to 100 €: its goal, exactly.
        assert_eq!(
            say(gift(3000, 3000, 10000, 20000)),
            "💛 Ana a donné 30,00\u{a0}€ (doublé\u{a0}: +30,00\u{a0}€). Total du live\u{a0}: 100,00\u{a0}€. 🎯 Objectif du live atteint\u{a0}: 100,00\u{a0}€\u{a0}!"
        );
        // The next gift, past it: nothing more; one that crosses the campaign's.
        assert!(!say(gift(500, 0, 10500, 20500)).contains('🎯'));
        assert!(
            say(gift(1000, 0, 11500, 50500))
                .ends_with(" 🏆 Objectif de la campagne atteint\u{a0}: 500,00\u{a0}€\u{a0}!")
        );
        let english =
            body(HookFormat::Discord, "donation.created", &gift(3000, 3000, 10000, 52000), goals, false).unwrap();
        assert!(english.contains("🎯 Live goal reached: €100.00! 🏆 Campaign goal reached: €500.00!"), "{english}");
    }

    #[test]
    fn what_is_said_once_is_not_said_again() {
        // A goal reached before, left below by a refund, reached again: not said again.
        let frame = json!({
            "donation": {"amount": 3000, "matched": 0, "donor": "Ana", "message": null},
            "totals": {"total": 11000}, "campaign_totals": {"total": 51000}
        });
        let goals = Setting { live_goal: Some(10000), campaign_goal: Some(50000), ..setting() };
        assert!(asks_before("donation.created", &frame, goals));
        let before = Before { live_total: Some(10500), campaign_total: Some(49000), used_up: false };
        let say = |setting: Setting| {
            let body = body(HookFormat::Slack, "donation.created", &frame, setting, false).unwrap();
            serde_json::from_str::<Value>(&body).unwrap()["text"].as_str().unwrap().to_owned()
        };
        assert!(say(goals).ends_with(". 🎯 Live goal reached: €100.00! 🏆 Campaign goal reached: €500.00!"));
        assert_eq!(
            say(Setting { before, ..goals }),
            "💛 Ana gave €30.00. Live total: €110.00. 🏆 Campaign goal reached: €500.00!"
        );
        // No goal reached: nothing to read first.
        assert!(!asks_before("donation.created", &frame, setting()));
        // A sponsor's budget used up: thanked the first time only.
        let used = json!({"match": {"id": "m", "sponsor": "Acme", "used": 50000, "cap": 50000}});
        assert!(asks_before("match.used_up", &used, setting()));
        let before = Before { used_up: true, ..Before::default() };
        assert_eq!(body(HookFormat::Discord, "match.used_up", &used, Setting { before, ..setting() }, true), None);
        // One minute, in both languages.
        let one = json!({"milestone": {"amount": 6000, "from": 1000, "label": "Poirier",
            "created_at": "2026-12-05T19:45:00.000Z", "ends_at": "2026-12-05T19:46:00.000Z"}});
        assert_eq!(
            content(HookFormat::Slack, "challenge.started", one.clone(), false)["text"],
            "⏱ New challenge: €50.00 more in 1 minute and \u{201c}Poirier\u{201d}!"
        );
        assert_eq!(
            content(HookFormat::Slack, "challenge.updated", one, true)["text"],
            "⏱ Défi modifié\u{a0}: désormais 50,00\u{a0}€ de plus en 1\u{a0}minute et «\u{a0}Poirier\u{a0}»\u{a0}!"
        );
    }

    #[test]
    fn donors_words_are_never_markup_nor_mentions() {
        let frame = json!({
            "donation": {"amount": 100, "matched": 0, "donor": "@everyone", "message": "<!channel> **gras** [lien](https://x.example)"},
            "totals": {"total": 100}
        });
        let d = content(HookFormat::Discord, "donation.created", frame.clone(), false);
        assert_eq!(
            d["content"],
            "💛 \\@everyone gave €1.00 — \u{201c}\\<!channel\\> \\*\\*gras\\*\\* \\[lien\\]\\(https\\://x.example\\)\u{201d}. Live total: €1.00."
        );
        assert_eq!(d["allowed_mentions"], json!({"parse": []}));
        let s = content(HookFormat::Slack, "donation.created", frame, false);
        assert_eq!(
            s["text"],
            "💛 @everyone gave €1.00 — \u{201c}&lt;!channel&gt; **gras** [lien](https://x.example)\u{201d}. Live total: €1.00."
        );
    }

    #[test]
    fn milestones_challenges_matches_polls_and_draws() {
        let say =
            |kind: &str, frame: Value, french: bool| content(HookFormat::Slack, kind, frame, french)["text"].clone();
        let milestone = json!({"milestone": {"amount": 50000, "label": "Une chanson", "ends_at": null}});
        assert_eq!(
            say("milestone.reached", milestone, true),
            "🎉 Palier atteint\u{a0}: 500,00\u{a0}€ — «\u{a0}Une chanson\u{a0}»\u{a0}!"
        );
        let challenge = json!({"milestone": {"amount": 5000, "label": "Je chante", "ends_at": "2026-12-05T20:00:00Z"}});
        assert_eq!(say("milestone.reached", challenge, false), "🎉 Challenge met: \u{201c}Je chante\u{201d}!");
        let started = json!({"milestone": {"amount": 6000, "from": 1000, "label": "Je chante",
            "created_at": "2026-12-05T19:45:00.000Z", "ends_at": "2026-12-05T20:00:00.000Z"}});
        assert_eq!(
            say("challenge.started", started.clone(), true),
            "⏱ Nouveau défi\u{a0}: 50,00\u{a0}€ de plus en 15\u{a0}minutes et «\u{a0}Je chante\u{a0}»\u{a0}!"
        );
        assert_eq!(
            say("challenge.started", started.clone(), false),
            "⏱ New challenge: €50.00 more in 15 minutes and \u{201c}Je chante\u{201d}!"
        );
        // A changed challenge says the minutes it has left, to the nearest.
        let changed = |at: &str, french: bool| said_at("challenge.updated", &started, at, french);
        for (at, french, line) in [
            (
                "2026-12-05T19:48:20Z",
                true,
                "⏱ Défi modifié\u{a0}: désormais 50,00\u{a0}€ de plus en 15\u{a0}minutes et «\u{a0}Je chante\u{a0}» \
                 — encore 12\u{a0}minutes\u{a0}!",
            ),
            (
                "2026-12-05T19:48:40Z",
                false,
                "⏱ Challenge changed: now €50.00 more in 15 minutes and \u{201c}Je chante\u{201d} — 11 minutes left!",
            ),
            (
                "2026-12-05T19:59:50Z",
                true,
                "⏱ Défi modifié\u{a0}: désormais 50,00\u{a0}€ de plus en 15\u{a0}minutes et «\u{a0}Je chante\u{a0}» \
                 — encore 1\u{a0}minute\u{a0}!",
            ),
            (
                "2026-12-05T19:59:50Z",
                false,
                "⏱ Challenge changed: now €50.00 more in 15 minutes and \u{201c}Je chante\u{201d} — 1 minute left!",
            ),
        ] {
            assert_eq!(changed(at, french), line, "{at}");
        }
        assert_eq!(
            say("challenge.updated", started, false),
            "⏱ Challenge changed: now €50.00 more in 15 minutes and \u{201c}Je chante\u{201d}!",
            "without the event's time"
        );
        // A challenge whose time ran out: what the live gave since it was set, of what it asked.
        let missed = |total: i64| {
            json!({"milestone": {"label": "Je chante", "amount": 15000, "from": 10000,
                "created_at": "2026-12-05T19:45:00.000Z", "ends_at": "2026-12-05T20:00:00.000Z", "missed": true},
                "totals": {"raised": total, "matched": 0, "total": total, "donations": 3}})
        };
        assert_eq!(
            say("challenge.missed", missed(13550), true),
            "⌛ Temps écoulé pour le défi «\u{a0}Je chante\u{a0}»\u{a0}: 35,50\u{a0}€ sur 50,00\u{a0}€, il manquait 14,50\u{a0}€."
        );
        assert_eq!(
            say("challenge.missed", missed(13550), false),
            "⌛ Time's up for the challenge \u{201c}Je chante\u{201d}: €35.50 of €50.00, €14.50 short."
        );
        // Nothing given since, or the total gone below its start by a refund: nothing of it.
        assert_eq!(
            say("challenge.missed", missed(9000), false),
            "⌛ Time's up for the challenge \u{201c}Je chante\u{201d}: €0.00 of €50.00, €50.00 short."
        );
        // A poll put on air says how to vote and for how long; changed, the time it has left.
        let poll_on = |ends_at: Option<&str>| {
            json!({"poll": {"question": "Quel jeu ?", "created_at": "2026-12-05T19:45:00.000Z", "ends_at": ends_at,
                "options": [{"label": "Mario Kart", "tag": "mariokart"}, {"label": "Zelda", "tag": "zelda"},
                            {"label": "Tetris", "tag": "tetris"}]}})
        };
        let timed = poll_on(Some("2026-12-05T20:00:00.000Z"));
        assert_eq!(
            say("poll.started", timed.clone(), true),
            "📊 Nouveau sondage\u{a0}: Quel jeu ? Votez en donnant, avec #mariokart pour Mario Kart, #zelda pour Zelda \
             ou #tetris pour Tetris dans votre message, 15\u{a0}minutes pour voter\u{a0}!"
        );
        assert_eq!(
            say("poll.started", timed.clone(), false),
            "📊 New poll: Quel jeu ? Vote with a donation, with #mariokart for Mario Kart, #zelda for Zelda \
             or #tetris for Tetris in your message, 15 minutes to vote!"
        );
        let open_ended = json!({"poll": {"question": "Pile ou face ?", "created_at": "2026-12-05T19:45:00.000Z",
            "options": [{"label": "Pile", "tag": "pile"}, {"label": "Face", "tag": "face"}]}});
        assert_eq!(
            say("poll.started", open_ended, true),
            "📊 Nouveau sondage\u{a0}: Pile ou face ? Votez en donnant, avec #pile pour Pile ou #face pour Face \
             dans votre message\u{a0}!"
        );
        let changed_poll = |french: bool| said_at("poll.updated", &timed, "2026-12-05T19:48:20Z", french);
        assert_eq!(
            changed_poll(true),
            "📊 Sondage modifié\u{a0}: Quel jeu ? Votez en donnant, avec #mariokart pour Mario Kart, #zelda pour Zelda \
             ou #tetris pour Tetris dans votre message — encore 12\u{a0}minutes\u{a0}!"
        );
        assert_eq!(
            changed_poll(false),
            "📊 Poll changed: Quel jeu ? Vote with a donation, with #mariokart for Mario Kart, #zelda for Zelda \
             or #tetris for Tetris in your message — 12 minutes left!"
        );
        let used = json!({"match": {"sponsor": "Acme", "used": 50000, "cap": 50000}});
        assert_eq!(
            say("match.used_up", used, true),
            "🤝 Acme a abondé 500,00\u{a0}€ de dons, tout son budget\u{a0}: merci\u{a0}!"
        );
        let poll = |a: i64, b: i64| json!({"poll": {"question": "Quel jeu ?", "options": [{"label": "Zelda", "amount": a}, {"label": "Mario", "amount": b}]}});
        assert_eq!(
            say("poll.closed", poll(4500, 1000), true),
            "📊 Quel jeu ? — Zelda l'emporte avec 45,00\u{a0}€\u{a0}!"
        );
        assert_eq!(
            say("poll.closed", poll(1000, 1000), false),
            "📊 Quel jeu ? — a tie between Zelda, Mario (€10.00 each)!"
        );
        assert_eq!(say("poll.closed", poll(0, 0), false), "📊 Quel jeu ? — no vote.");
        let draw = |donor: Value| json!({"draw": {"prize": "Affiche", "winner": {"donor": donor}}});
        assert_eq!(
            say("prize.drawn", draw(json!("Bob")), true),
            "🎁 Tirage au sort «\u{a0}Affiche\u{a0}»\u{a0}: Bob gagne\u{a0}!"
        );
        assert_eq!(
            say("prize.drawn", draw(Value::Null), false),
            "🎁 Prize draw \u{201c}Affiche\u{201d}: an anonymous donor wins!"
        );
    }

    #[test]
    fn refunds_erasures_and_signed_subscribers_get_no_line() {
        let frame = json!({"donation": {"amount": 100, "matched": 0, "donor": "Ana"}, "totals": {"total": 0}});
        for kind in ["donation.refunded", "donation.partially_refunded", "donation.erased"] {
            assert_eq!(body(HookFormat::Discord, kind, &frame, setting(), true), None, "{kind}");
        }
        assert_eq!(body(HookFormat::Cagnotte, "donation.created", &frame, setting(), true), None);
        assert!(KINDS.iter().all(|k| crate::webhooks::outbox::KINDS.iter().any(|(_, name)| name == k)));
    }

    #[test]
    fn a_refunded_gift_s_line_says_what_was_given_back() {
        let gift = json!({"donation": {"amount": 1500, "matched": 0, "donor": "Ana"}, "totals": {"total": 1500}});
        let said = |format, kind, frame: &Value, amount, whole, french| {
            let refund = Some(Refund { amount, whole });
            let body = body(format, kind, frame, Setting { refund, ..setting() }, french).unwrap();
            let v: Value = serde_json::from_str(&body).unwrap();
            v.get("content").or(v.get("text")).and_then(Value::as_str).unwrap().to_owned()
        };
        let line = "💛 Ana a donné 15,00\u{a0}€. Total du live\u{a0}: 15,00\u{a0}€.";
        let d = HookFormat::Discord;
        assert_eq!(said(d, "donation.created", &gift, 1500, true, true), format!("~~{line}~~ ↩️ Don remboursé."));
        assert_eq!(said(d, "donation.created", &gift, 500, false, true), format!("{line} ↩️ 5,00\u{a0}€ remboursés."));
        assert_eq!(said(d, "donation.created", &gift, 150, false, true), format!("{line} ↩️ 1,50\u{a0}€ remboursé."));
        assert_eq!(
            said(d, "donation.created", &gift, 500, false, false),
            "💛 Ana gave €15.00. Live total: €15.00. ↩️ €5.00 refunded."
        );
        assert_eq!(
            said(HookFormat::Slack, "donation.created", &gift, 1500, true, false),
            "~💛 Ana gave €15.00. Live total: €15.00.~ ↩️ Refunded."
        );
        let released = json!({"donation": {"amount": 1500, "donor": "Ana", "message": "Courage"}});
        assert_eq!(
            said(d, "donation.text_released", &released, 1500, true, true),
            "~~💬 Ana (15,00\u{a0}€)\u{a0}: «\u{a0}Courage\u{a0}»~~ ↩️ Don remboursé."
        );
        // A prize drawn stays as it was drawn.
        let drawn = json!({"draw": {"prize": "Poster", "winner": {"donor": "Ana"}}});
        let refund = Some(Refund { amount: 1500, whole: true });
        let plain = body(d, "prize.drawn", &drawn, setting(), true);
        assert!(plain.as_deref().is_some_and(|b| b.contains("Ana gagne")));
        assert_eq!(body(d, "prize.drawn", &drawn, Setting { refund, ..setting() }, true), plain);
    }

    #[test]
    fn a_long_line_is_cut_for_the_chat() {
        let long = "a".repeat(2500);
        let frame = json!({"donation": {"amount": 100, "matched": 0, "donor": "Ana", "message": long}, "totals": {"total": 100}});
        let v = content(HookFormat::Discord, "donation.created", frame, true);
        assert_eq!(v["content"].as_str().unwrap().chars().count(), 2000);
        assert!(v["content"].as_str().unwrap().ends_with("a…"));
    }
}
