//! Who is asking: the admin, the holder of a live's write key, of its host
//! token, or of its overlay token. Tokens are never compared as strings: their
//! SHA-256 digests are compared in constant time with the stored digests.

use crate::app::AppState;
use crate::domain::state::Principal;
use crate::domain::{Actor, ActorRole};
use crate::error::ApiError;
use crate::secret;
use crate::views::TokenOwner;
use axum::http::{HeaderMap, header};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Admin,
    LiveKey(String),
    /// A live's host token: the host's space (moderation, test alerts, a new
    /// overlay or host link), never a donation, a refund or the write key.
    Host(String),
    /// A live's moderators' token: its held texts and names hidden, nothing
    /// else. With the moderator (by name) whose own link it is.
    Moderator(String, Option<Actor>),
    Overlay(String),
    CampaignOverlay(String),
    /// The charity's key of a campaign: its report, exports and donations, read only.
    CampaignReport(String),
}

/// Name of the dashboard's session cookie.
pub const SESSION_COOKIE: &str = "cagnotte_session";

pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    bearer_of(headers.get(header::AUTHORIZATION)?)
}

/// The token of an `Authorization: Bearer …` header's value.
pub fn bearer_of(value: &axum::http::HeaderValue) -> Option<&str> {
    let v = value.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

impl AppState {
    /// Which secret this token is, if any.
    pub fn identify(&self, token: &str) -> Option<Access> {
        let digest = secret::hash(token);
        if secret::same(&digest, &self.admin_hash) {
            return Some(Access::Admin);
        }
        // The digest index only narrows the search; the stored digest is still
        // compared in constant time.
        let (live_id, owner) = self.views.tokens.get(&digest).map(|e| e.value().clone())?;
        // A campaign's token: its id stands where a live's would.
        if let TokenOwner::CampaignOverlay | TokenOwner::CampaignReport = owner {
            let report = owner == TokenOwner::CampaignReport;
            let hash = self
                .views
                .with_campaign(&live_id, |c| if report { c.campaign.report_hash } else { c.campaign.overlay_hash })?;
            let ok = hash.is_some_and(|h| secret::same(&digest, &h));
            return ok.then_some(if report {
                Access::CampaignReport(live_id)
            } else {
                Access::CampaignOverlay(live_id)
            });
        }
        let (key, overlay, host, moderator, named) = self.views.with_live(&live_id, |l| {
            // A moderator's own link, unless it is the moderators' shared one.
            let named = (owner == TokenOwner::Moderator
                && !l.live.moderator_hash.is_some_and(|h| secret::same(&digest, &h)))
            .then(|| l.moderators.iter().find(|m| secret::same(&digest, &m.token_hash)))
            .flatten()
            .map(|m| Actor {
                role: ActorRole::Moderator,
                name: Some(m.name.clone()),
                moderator_id: Some(m.id.clone()),
            });
            (l.live.key_hash, l.live.overlay_hash, l.live.host_hash, l.live.moderator_hash, named)
        })?;
        if named.is_some() {
            return Some(Access::Moderator(live_id, named));
        }
        match owner {
            TokenOwner::LiveKey if secret::same(&digest, &key) => Some(Access::LiveKey(live_id)),
            TokenOwner::Overlay if secret::same(&digest, &overlay) => Some(Access::Overlay(live_id)),
            TokenOwner::Host if host.is_some_and(|h| secret::same(&digest, &h)) => Some(Access::Host(live_id)),
            TokenOwner::Moderator if moderator.is_some_and(|h| secret::same(&digest, &h)) => {
                Some(Access::Moderator(live_id, None))
            }
            TokenOwner::LiveKey
            | TokenOwner::Overlay
            | TokenOwner::Host
            | TokenOwner::Moderator
            | TokenOwner::CampaignOverlay
            | TokenOwner::CampaignReport => None,
        }
    }

    fn access(&self, token: Option<&str>) -> Result<Access, ApiError> {
        let token =
            token.ok_or_else(|| ApiError::unauthorized("a token is required: Authorization: Bearer <token>"))?;
        self.identify(token).ok_or_else(|| ApiError::unauthorized("this token is not valid"))
    }

    /// The bearer token, or else a dashboard session cookie (which stands for the admin).
    fn access_headers(&self, headers: &HeaderMap) -> Result<Access, ApiError> {
        if bearer(headers).is_none() && self.session(headers).is_some() {
            return Ok(Access::Admin);
        }
        self.access(bearer(headers))
    }

    /// The signed-in dashboard session of this request, if any: (digest, CSRF token).
    pub fn session(&self, headers: &HeaderMap) -> Option<(crate::domain::TokenHash, String)> {
        let id = session_cookie(headers)?;
        let hash = secret::hash(id);
        let csrf = self.logins.get(&hash)?;
        Some((hash, csrf))
    }

    pub fn require_admin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        match self.access_headers(headers)? {
            Access::Admin => Ok(()),
            _ => Err(ApiError::forbidden("only the admin token may do this")),
        }
    }

    /// What the charity's space reads (a campaign's report, exports and
    /// donations): the admin, or this campaign's charity key.
    pub fn require_report_reader(&self, headers: &HeaderMap, campaign_id: &str) -> Result<(), ApiError> {
        match self.access_headers(headers)? {
            Access::Admin => Ok(()),
            Access::CampaignReport(c) if c == campaign_id => Ok(()),
            Access::CampaignReport(_) => Err(ApiError::forbidden("this charity link belongs to another campaign")),
            _ => Err(ApiError::forbidden("only the admin token or the campaign's charity link may read this")),
        }
    }

    /// Admin or the write key of this live (`live_id = None`: of any live; the ledger checks ownership).
    pub fn require_writer(&self, headers: &HeaderMap, live_id: Option<&str>) -> Result<Principal, ApiError> {
        writer(self.access_headers(headers)?, live_id)
    }

    /// What the host's space does (moderation, test alerts, a new overlay link):
    /// the admin, the live's write key, or its host token; `live_id = None` for a
    /// donation's live, which the ledger checks. `true` with a host token.
    pub fn require_host(&self, headers: &HeaderMap, live_id: Option<&str>) -> Result<(Principal, bool), ApiError> {
        self.live_exists(live_id)?;
        self.host_of(self.access_headers(headers)?, live_id)
    }

    /// `404` when `live_id` names no live.
    fn live_exists(&self, live_id: Option<&str>) -> Result<(), ApiError> {
        match live_id {
            Some(id) if !self.views.has_live(id) => Err(ApiError::not_found("live_not_found", "no live has this id")),
            _ => Ok(()),
        }
    }

    /// [`Self::require_host`] for an access already identified.
    fn host_of(&self, access: Access, live_id: Option<&str>) -> Result<(Principal, bool), ApiError> {
        match access {
            // A host's key opens their other lives of the campaign too; the writer checks it again.
            Access::Host(l) if live_id.is_none_or(|id| id == l || self.views.same_host(&l, id)) => {
                Ok((Principal::Host(l), true))
            }
            Access::Host(_) => Err(ApiError::forbidden("this host link belongs to another live")),
            a => writer(a, live_id).map(|p| (p, false)),
        }
    }

    /// What the host's moderators do (the held texts, names and messages
    /// hidden, the live's donations read): everything [`Self::require_host`]
    /// takes, and the live's moderator token (the host's other lives of the
    /// campaign too, as their host link). It acts as the host on that live;
    /// the [`Actor`] is who is written in the log as having done it.
    pub fn require_moderator(
        &self,
        headers: &HeaderMap,
        live_id: Option<&str>,
    ) -> Result<(Principal, Actor), ApiError> {
        self.live_exists(live_id)?;
        match self.access_headers(headers)? {
            Access::Moderator(l, named) if live_id.is_none_or(|id| id == l || self.views.same_host(&l, id)) => {
                Ok((Principal::Host(l), named.unwrap_or(Actor::role(ActorRole::Moderator))))
            }
            Access::Moderator(..) => Err(ApiError::forbidden("this moderator link belongs to another live")),
            a => {
                let role = match a {
                    Access::Admin => ActorRole::Admin,
                    Access::LiveKey(_) => ActorRole::Key,
                    _ => ActorRole::Host,
                };
                self.host_of(a, live_id).map(|(p, _)| (p, Actor::role(role)))
            }
        }
    }

    /// An existing live (`404` otherwise) and a token that may write to it.
    pub fn require_live_writer(&self, headers: &HeaderMap, live_id: &str) -> Result<Principal, ApiError> {
        if !self.views.has_live(live_id) {
            return Err(ApiError::not_found("live_not_found", "no live has this id"));
        }
        self.require_writer(headers, Some(live_id))
    }

    /// Admin, or the key or overlay token of this live.
    pub fn require_reader(&self, token: Option<&str>, live_id: &str) -> Result<Access, ApiError> {
        let a = self.access(token)?;
        match &a {
            Access::Admin => Ok(a),
            Access::LiveKey(l) | Access::Host(l) | Access::Overlay(l) if l == live_id => Ok(a),
            _ => Err(ApiError::forbidden("this token belongs to another live")),
        }
    }

    /// Exactly this campaign's overlay token: the campaign stream and campaign overlays.
    pub fn require_campaign_reader(&self, token: Option<&str>, campaign_id: &str) -> Result<(), ApiError> {
        match self.access(token)? {
            Access::CampaignOverlay(c) if c == campaign_id => Ok(()),
            _ => Err(ApiError::forbidden("use the campaign's overlay_token in this URL")),
        }
    }

    /// Any token of this campaign: the admin's (or a dashboard session), its
    /// overlay token, or the key, host or overlay token of one of its lives.
    /// What may read the campaign's media library.
    pub fn require_campaign_token(&self, headers: &HeaderMap, campaign_id: &str) -> Result<Access, ApiError> {
        if !self.views.has_campaign(campaign_id) {
            return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
        }
        let a = self.access_headers(headers)?;
        let ours = match &a {
            Access::Admin => true,
            Access::CampaignOverlay(c) => c == campaign_id,
            // The charity's space has no use for the media library.
            Access::CampaignReport(_) | Access::Moderator(..) => false,
            Access::LiveKey(l) | Access::Host(l) | Access::Overlay(l) => {
                self.views.with_live(l, |l| l.live.campaign_id == campaign_id).unwrap_or(false)
            }
        };
        if ours { Ok(a) } else { Err(ApiError::forbidden("this token belongs to another campaign")) }
    }

    /// This live's overlay token (what browser sources carry in their URL), or
    /// the overlay token of another live of its host in its campaign (a host's
    /// link that follows their lives, `follow=host`). Gives the token's live.
    pub fn require_overlay(&self, token: Option<&str>, live_id: &str) -> Result<String, ApiError> {
        match self.access(token)? {
            Access::Overlay(l) if l == live_id || self.views.same_host(&l, live_id) => Ok(l),
            Access::Overlay(_) => Err(ApiError::forbidden("this overlay token belongs to another live")),
            _ => Err(ApiError::forbidden("use the live's overlay_token in this URL, never a write key")),
        }
    }
}

/// Admin or the write key of this live (`None`: of any live).
fn writer(access: Access, live_id: Option<&str>) -> Result<Principal, ApiError> {
    match access {
        Access::Admin => Ok(Principal::Admin),
        Access::LiveKey(l) if live_id.is_none_or(|id| id == l) => Ok(Principal::LiveKey(l)),
        Access::LiveKey(_) => Err(ApiError::forbidden("this key belongs to another live")),
        Access::Host(_) => Err(ApiError::forbidden(
            "a host link moderates, sends test alerts and replaces the overlay link; this needs the live's key",
        )),
        Access::Moderator(..) => {
            Err(ApiError::forbidden("a moderator link approves held texts and hides names and messages, nothing else"))
        }
        Access::Overlay(_) | Access::CampaignOverlay(_) => Err(ApiError::forbidden("an overlay token can only read")),
        Access::CampaignReport(_) => Err(ApiError::forbidden("a charity link can only read the campaign's figures")),
    }
}
