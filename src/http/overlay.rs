//! The overlay suite: the HTML pages an OBS browser source opens, the builder
//! that previews them and produces their URLs, and the files they load.
//!
//! - `GET /overlay/lives/{id}?token=…[&widgets=alert,goal,…]`: several widgets on one page
//!   (all of them when `widgets` is absent);
//! - `GET /overlay/lives/{id}/{widget}?token=…`: one widget alone, one browser source each;
//! - `GET /overlay/lives/{id}/builder?token=…`: the overlay builder;
//! - the same three under `/overlay/campaigns/{id}` with the campaign's overlay
//!   token: every widget follows the whole campaign (all its lives' donations).
//!
//! The pages hold no live data: `static/overlay.js` reads everything from the
//! WebSocket, so a reload or a scene switch resumes where it left off. The only
//! thing rendered here is the QR code of the donate URL, as inline SVG. Every
//! customization (colors, font, size, position, thresholds) is read by the
//! script from the URL and applied through CSS custom properties, so the pages
//! need no inline style and the CSP allows only our own files.

use super::Path;
use crate::app::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

/// Only our own script, style and socket; nothing leaves for another host.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// The builder also frames its preview (an overlay page of this server).
pub const BUILDER_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; font-src 'self'; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Every widget, in the order they stack on a combined page. The last five
/// are not in the scene of every widget: the list of milestones (the goal bar
/// already names the next one), the countdown to the live's start, the
/// marathon's timer that donations lengthen, the rewards the live offers (a
/// live's own, shown where its host wants them), and the credits roll (a page
/// of its own: it fills its source).
pub const WIDGETS: [&str; 16] = [
    "alert",
    "goal",
    "campaign",
    "match",
    "poll",
    "ticker",
    "top",
    "latest",
    "lives",
    "schedule",
    "cta",
    "milestones",
    "countdown",
    "timer",
    "rewards",
    "credits",
];

/// The widgets of a campaign's overlay: a poll, a marathon's timer and rewards are a live's.
pub const CAMPAIGN_WIDGETS: [&str; 13] = [
    "alert",
    "goal",
    "campaign",
    "match",
    "ticker",
    "top",
    "latest",
    "lives",
    "schedule",
    "cta",
    "milestones",
    "countdown",
    "credits",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/overlay/lives/{id}", get(combined))
        .route("/overlay/lives/{id}/builder", get(builder))
        .route("/overlay/lives/{id}/{widget}", get(single))
        .route("/overlay/campaigns/{id}", get(campaign_combined))
        .route("/overlay/campaigns/{id}/builder", get(campaign_builder))
        .route("/overlay/campaigns/{id}/{widget}", get(campaign_single))
}

/// Files of the overlays, compiled into the binary (served under `/static/`).
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match name {
        "builder.js" => ("text/javascript; charset=utf-8", include_bytes!("../../static/builder.js")),
        "builder.css" => ("text/css; charset=utf-8", include_bytes!("../../static/builder.css")),
        "alert.wav" => ("audio/wav", include_bytes!("../../static/alert.wav")),
        "fanfare.wav" => ("audio/wav", include_bytes!("../../static/fanfare.wav")),
        _ => return None,
    })
}

/// Which widgets a page shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Widgets {
    pub alert: bool,
    pub goal: bool,
    pub campaign: bool,
    pub matching: bool,
    /// The live's poll, open or just closed.
    pub poll: bool,
    pub ticker: bool,
    pub top: bool,
    /// The latest donation, always on screen; not in the scene of every widget.
    pub latest: bool,
    /// Leaderboard of the campaign's lives.
    pub lives: bool,
    /// The campaign's next live.
    pub schedule: bool,
    pub cta: bool,
    /// The milestones the goal bar's total climbs to, reached or ahead; not in
    /// the scene of every widget.
    pub milestones: bool,
    /// The time left before the live (a campaign's: its next live) starts, for a
    /// "starting soon" scene; not in the scene of every widget.
    pub countdown: bool,
    /// The marathon's time left, which donations lengthen (`timer_add` minutes
    /// per `timer_step` raised), for a live; not in the scene of every widget.
    pub timer: bool,
    /// The rewards the live offers ("a portrait from 30 €"): each one's least
    /// gift, keyword and how many are left; a live's own, not in the scene of
    /// every widget.
    pub rewards: bool,
    /// The credits roll: every donor, the totals, the sponsors. Alone on its page,
    /// never in the scene of every widget.
    pub credits: bool,
}

impl Widgets {
    pub fn all() -> Widgets {
        Widgets {
            alert: true,
            goal: true,
            campaign: true,
            matching: true,
            poll: true,
            ticker: true,
            top: true,
            latest: false,
            lives: true,
            schedule: true,
            cta: true,
            milestones: false,
            countdown: false,
            timer: false,
            rewards: false,
            credits: false,
        }
    }

    /// Turns one widget on; `false` if the name is not a widget.
    fn set(&mut self, name: &str) -> bool {
        let slot = match name {
            "alert" => &mut self.alert,
            "goal" => &mut self.goal,
            "campaign" => &mut self.campaign,
            "match" => &mut self.matching,
            "poll" => &mut self.poll,
            "ticker" => &mut self.ticker,
            "top" => &mut self.top,
            "latest" => &mut self.latest,
            "lives" => &mut self.lives,
            "schedule" => &mut self.schedule,
            "cta" => &mut self.cta,
            "milestones" => &mut self.milestones,
            "countdown" => &mut self.countdown,
            "timer" => &mut self.timer,
            "rewards" => &mut self.rewards,
            "credits" => &mut self.credits,
            _ => return false,
        };
        *slot = true;
        true
    }

    /// `alert,goal` → those two; an empty list or an unknown name is an error.
    pub fn parse(list: &str) -> Result<Widgets, String> {
        let mut w = Widgets::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !w.set(name) {
                return Err(format!("unknown widget {name:?}; expected some of {}", WIDGETS.join(", ")));
            }
        }
        if w == Widgets::default() {
            return Err("no widget named".to_owned());
        }
        if w.credits && w.count() > 1 {
            return Err("the credits roll fills its source: it is a page of its own (…/credits)".to_owned());
        }
        Ok(w)
    }

    fn count(&self) -> usize {
        [
            self.alert,
            self.goal,
            self.campaign,
            self.matching,
            self.poll,
            self.ticker,
            self.top,
            self.latest,
            self.lives,
            self.schedule,
            self.cta,
            self.milestones,
            self.countdown,
            self.timer,
            self.rewards,
            self.credits,
        ]
        .iter()
        .filter(|on| **on)
        .count()
    }
}

#[derive(Template)]
#[template(path = "overlay.html")]
struct OverlayPage<'a> {
    /// `live` or `campaign`: which stream the page follows.
    scope: &'static str,
    id: &'a str,
    /// `host` on a host's link that follows their lives (`follow=host`): the
    /// page moves on to the next live when the campaign's schedule says so.
    follow: &'static str,
    /// The host of the live, or the campaign's name.
    title: &'a str,
    campaign: &'a str,
    currency: &'a str,
    lang: &'a str,
    w: Widgets,
    /// `single` when the page shows one widget (it is positioned in the viewport);
    /// `scene` for every widget without `widgets=` (the `overlay_url`), laid out
    /// over a whole 16:9 source; `stack` for the widgets listed in `widgets=`.
    layout: &'static str,
    donate_url: &'a str,
    /// The URL as shown, cut after each `/`: a narrow card breaks the line there
    /// rather than inside a word.
    donate_label: Vec<&'a str>,
    /// Inline SVG made by us from `donate_url`; empty without one.
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "builder.html")]
struct BuilderPage<'a> {
    /// The overlay pages' path: `/overlay/lives/{id}` or `/overlay/campaigns/{id}`.
    base: String,
    /// Whose media library the alerts' images and sounds come from.
    campaign_id: &'a str,
    title: &'a str,
    lang: &'a str,
    widgets: &'static [&'static str],
    /// A live's builder offers its host's follow link (`follow=host`), ticked
    /// when the host has other lives in the campaign; `None` for a campaign's.
    follow: Option<bool>,
    /// Opened without a token (from the dashboard or the host's space, which
    /// keep only its digest): the page asks for the overlay link already in OBS.
    needs_link: bool,
}

/// The builder's token, checked when given; `None` when the page opens without
/// one and asks for the link instead (it holds nothing secret: the live's host
/// or the campaign's name, as their public pages say).
fn builder_token(q: &HashMap<String, String>) -> Option<&str> {
    q.get("token").map(String::as_str).filter(|t| !t.is_empty())
}

/// `fr` or `en`, from `?lang=`; French by default (the campaigns this serves are French first).
pub fn lang(q: &HashMap<String, String>) -> &'static str {
    match q.get("lang").map(String::as_str) {
        Some("en") => "en",
        _ => "fr",
    }
}

/// The QR code of `url` as an SVG element (no XML prolog: it is inlined in HTML).
/// Its content is only our own markup: the URL is encoded in the modules, never as text.
pub fn qr_svg(url: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    let start = image.find("<svg")?;
    // Where it is drawn, the address it holds is beside it (the donate link,
    // the call to action's text): screen readers read that, not the picture.
    Some(image[start..].replacen("<svg ", "<svg class=\"qr\" aria-hidden=\"true\" focusable=\"false\" ", 1))
}

/// The URL as shown under the QR code: without the scheme, and without a trailing slash.
fn display_url(url: &str) -> &str {
    let u = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url);
    u.strip_suffix('/').unwrap_or(u)
}

fn html(csp: &'static str, page: impl Template) -> Result<Response, ApiError> {
    let html = page.render().map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::CONTENT_SECURITY_POLICY, csp), (header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// Whose overlay a page is.
#[derive(Clone, Copy)]
enum Scope {
    Live,
    Campaign,
}

/// The page of `widgets` for the live or campaign `id`, if the token is its overlay token.
fn render(
    app: &AppState,
    scope: Scope,
    id: &str,
    q: &HashMap<String, String>,
    w: Widgets,
) -> Result<Response, ApiError> {
    let token = q.get("token").map(String::as_str);
    let follow = follow_host(q)?;
    let mut id = id;
    let followed;
    let (live, campaign) = match scope {
        Scope::Live => {
            if !app.views.has_live(id) {
                return Err(ApiError::not_found("live_not_found", "no live has this id"));
            }
            app.require_overlay(token, id)?;
            if follow {
                followed = followed_live(app, id)?;
                id = &followed;
            }
            let live =
                app.views.live(id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
            let campaign = app.views.campaign(&live.live.campaign_id);
            (Some(live), campaign)
        }
        Scope::Campaign => {
            let campaign = app
                .views
                .campaign(id)
                .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
            app.require_campaign_reader(token, id)?;
            if follow {
                return Err(ApiError::bad_request("invalid_query", "follow=host is for a live's overlay link"));
            }
            (None, Some(campaign))
        }
    };
    let donate_url = live
        .as_ref()
        .and_then(|l| l.live.donate_url.clone())
        .or_else(|| campaign.as_ref().and_then(|c| c.campaign.donate_url.clone()))
        .unwrap_or_default();
    let qr = if w.cta && !donate_url.is_empty() { qr_svg(&donate_url).unwrap_or_default() } else { String::new() };
    let campaign_name = campaign.as_ref().map_or("", |c| c.campaign.name.as_str());
    let currency = match (&live, &campaign) {
        (Some(l), _) => l.currency,
        (None, Some(c)) => c.campaign.currency,
        (None, None) => return Err(ApiError::not_found("campaign_not_found", "no campaign has this id")),
    };
    let page = OverlayPage {
        scope: match scope {
            Scope::Live => "live",
            Scope::Campaign => "campaign",
        },
        id,
        follow: if follow { "host" } else { "" },
        title: live.as_ref().map_or(campaign_name, |l| l.live.host.as_str()),
        campaign: campaign_name,
        currency: currency.code(),
        lang: lang(q),
        w,
        layout: match (w.count(), q.contains_key("widgets")) {
            (1, _) => "single",
            (_, false) => "scene",
            (_, true) => "stack",
        },
        donate_url: &donate_url,
        donate_label: display_url(&donate_url).split_inclusive('/').collect(),
        qr_svg: qr,
    };
    html(CSP, page)
}

/// `follow=host`: the page shows the live its host is on now (see
/// [`crate::views::followed`]); nothing else is a value of `follow`.
pub(crate) fn follow_host(q: &HashMap<String, String>) -> Result<bool, ApiError> {
    match q.get("follow").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("host") => Ok(true),
        Some(other) => Err(ApiError::bad_request("invalid_query", format!("follow must be host, not {other:?}"))
            .with("field", "follow")),
    }
}

/// Among the lives of `live_id`'s host in its campaign, the one a follow link shows now.
pub(crate) fn followed_live(app: &AppState, live_id: &str) -> Result<String, ApiError> {
    let lives =
        app.views.host_lives(live_id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    let lives: Vec<&crate::domain::Live> = lives.iter().collect();
    Ok(crate::views::followed(&lives, app.now()).map_or_else(|| live_id.to_owned(), |l| l.id.clone()))
}

/// `widgets=…` of a combined page; all of them when absent.
fn widget_list(q: &HashMap<String, String>) -> Result<Widgets, ApiError> {
    match q.get("widgets") {
        Some(list) => Widgets::parse(list).map_err(|m| ApiError::bad_request("invalid_widgets", m)),
        None => Ok(Widgets::all()),
    }
}

fn one_widget(name: &str) -> Result<Widgets, ApiError> {
    let mut w = Widgets::default();
    if !w.set(name) {
        return Err(ApiError::not_found("widget_not_found", "no widget has this name"));
    }
    Ok(w)
}

async fn combined(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    render(&app, Scope::Live, &live_id, &q, widget_list(&q)?)
}

async fn single(
    State(app): State<AppState>,
    Path((live_id, widget)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    render(&app, Scope::Live, &live_id, &q, one_widget(&widget)?)
}

async fn campaign_combined(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    // On a campaign's own overlay the goal bar is already the campaign's total:
    // its page of every widget leaves out the campaign card that would repeat it.
    let w = if q.contains_key("widgets") {
        campaign_widgets(widget_list(&q)?)?
    } else {
        Widgets { campaign: false, poll: false, ..Widgets::all() }
    };
    render(&app, Scope::Campaign, &campaign_id, &q, w)
}

async fn campaign_single(
    State(app): State<AppState>,
    Path((campaign_id, widget)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let w = campaign_widgets(one_widget(&widget)?).map_err(|_| {
        ApiError::not_found(
            "widget_not_found",
            "a poll, a marathon's timer and rewards are a live's: their widgets are on the live's overlay",
        )
    })?;
    render(&app, Scope::Campaign, &campaign_id, &q, w)
}

/// A campaign's page shows no poll, marathon's timer nor rewards (each live has its own).
fn campaign_widgets(w: Widgets) -> Result<Widgets, ApiError> {
    if w.poll || w.timer || w.rewards {
        return Err(ApiError::bad_request(
            "invalid_widgets",
            format!(
                "a poll, a marathon's timer and rewards are a live's: a campaign's overlay takes some of {}",
                CAMPAIGN_WIDGETS.join(", ")
            ),
        ));
    }
    Ok(w)
}

async fn builder(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let live = app.views.live(&live_id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
    let token = builder_token(&q);
    if token.is_some() {
        app.require_overlay(token, &live_id)?;
    }
    let base = format!("/overlay/lives/{live_id}");
    let others = app.views.host_lives(&live_id).is_some_and(|l| l.len() > 1);
    html(
        BUILDER_CSP,
        BuilderPage {
            base,
            campaign_id: &live.live.campaign_id,
            title: &live.live.host,
            lang: lang(&q),
            widgets: &WIDGETS,
            follow: Some(others),
            needs_link: token.is_none(),
        },
    )
}

async fn campaign_builder(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let c = app
        .views
        .campaign(&campaign_id)
        .ok_or_else(|| ApiError::not_found("campaign_not_found", "no campaign has this id"))?;
    let token = builder_token(&q);
    if token.is_some() {
        app.require_campaign_reader(token, &campaign_id)?;
    }
    let base = format!("/overlay/campaigns/{campaign_id}");
    html(
        BUILDER_CSP,
        BuilderPage {
            base,
            campaign_id: &campaign_id,
            title: &c.campaign.name,
            lang: lang(&q),
            widgets: &CAMPAIGN_WIDGETS,
            follow: None,
            needs_link: token.is_none(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_lists() {
        let w = Widgets::parse("alert, goal").unwrap();
        assert!(w.alert && w.goal && !w.ticker);
        assert_eq!(w.count(), 2);
        assert!(Widgets::parse("alert,nope").is_err());
        assert!(Widgets::parse(" , ").is_err());
        // Every widget but the milestones' list, the latest donation, the
        // marathon's timer, the rewards and those for before and after the live.
        assert_eq!(Widgets::all().count(), WIDGETS.len() - 6);
        assert!(!Widgets::all().latest && Widgets::parse("latest").unwrap().latest);
        assert!(!Widgets::all().credits && !Widgets::all().countdown && !Widgets::all().milestones);
        assert!(!Widgets::all().timer && Widgets::parse("timer").unwrap().timer);
        assert!(!Widgets::all().rewards && Widgets::parse("rewards,alert").unwrap().rewards);
        assert!(Widgets::parse("countdown,alert").unwrap().countdown);
        for name in WIDGETS {
            assert_eq!(Widgets::parse(name).unwrap().count(), 1, "{name}");
        }
        assert!(Widgets::parse("credits").unwrap().credits);
        assert!(Widgets::parse("alert,credits").unwrap_err().contains("page of its own"));
        // A campaign's overlay takes every widget but a live's own: its poll,
        // its marathon's timer and its rewards.
        for name in WIDGETS {
            let on_campaign = campaign_widgets(Widgets::parse(name).unwrap()).is_ok();
            assert_eq!(on_campaign, CAMPAIGN_WIDGETS.contains(&name), "{name}");
        }
    }

    #[test]
    fn qr_is_an_inline_svg_without_the_url_as_text() {
        let svg = qr_svg("https://dons.example.org/live/<b>").unwrap();
        assert!(svg.starts_with("<svg class=\"qr\" aria-hidden=\"true\""), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<b>") && !svg.contains("example"));
    }

    #[test]
    fn donate_url_is_shown_without_scheme() {
        assert_eq!(display_url("https://dons.org/x/"), "dons.org/x");
        assert_eq!(display_url("dons.org"), "dons.org");
    }
}
