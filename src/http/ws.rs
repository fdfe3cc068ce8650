//! `GET /ws/lives/{id}`: the WebSocket handshake is answered here, so that the
//! session owns the upgraded connection. The session sends the snapshot, replays
//! `after=N` from the hub's ring or the log, then hands the socket to the
//! stream's fan-out ([`crate::fanout`]), which writes the live frames to it
//! directly; the session reads the client's pongs and closes, sends pings, and
//! writes whatever the socket could not take at once. A client that lags behind,
//! blocks a write past the send timeout, or stays silent after a ping is closed;
//! it resumes with `after=`.

use super::limits::ClientIp;
use super::{Path, Query};
use crate::app::AppState;
use crate::error::ApiError;
use crate::fanout::{Io, Outbox, SessionIo, Stop};
use crate::hub::{Channel, Feed, Frame, Hub, Watcher};
use crate::metrics::SessionEnd;
use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request};
use axum::response::Response;
use axum::routing::get;
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::handshake::server::create_response_with_body;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

type Ws = WebSocketStream<SessionIo>;

/// Clients only send control frames; anything bigger is refused (close 1009).
const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// Frames read from the log per query on a long resume.
const REPLAY_CHUNK: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ws/lives/{id}", get(upgrade_live))
        .route("/ws/campaigns/{id}", get(upgrade_campaign))
        .route("/ws/public/lives/{id}", get(upgrade_public_live))
        .route("/ws/public/campaigns/{id}", get(upgrade_public_campaign))
        .route("/ws/public/campaigns/{id}/totals", get(upgrade_public_totals))
        .route("/static/{file}", get(super::serve_static))
}

/// A stream a client can follow: one live's, or a whole campaign's, or a
/// campaign's totals.
#[derive(Debug, Clone)]
pub enum Source {
    Live {
        live_id: String,
        campaign_id: String,
    },
    Campaign {
        campaign_id: String,
    },
    /// A campaign's public stream: the campaign's events as they come, but for
    /// its new gifts past a budget (see [`crate::hub::GiftBudget`]); a resume
    /// (`after=`) replays every event.
    Feed {
        campaign_id: String,
    },
    /// A live's public stream: the same for a live's stream.
    PublicLive {
        live_id: String,
        campaign_id: String,
    },
    /// A campaign's totals, its matches' budgets and its lives' totals, at most
    /// one frame per [`TOTALS_TICK`]: for a live's page that shows the whole
    /// campaign's figures, without every gift of every live. No replay: each
    /// frame is the state as of its seq.
    Totals {
        campaign_id: String,
    },
}

impl Source {
    pub fn live(app: &AppState, live_id: &str) -> Option<Source> {
        let campaign_id = app.views.with_live(live_id, |l| l.live.campaign_id.clone())?;
        Some(Source::Live { live_id: live_id.to_owned(), campaign_id })
    }

    fn channel_key(&self) -> String {
        match self {
            Source::Live { live_id, .. } => live_id.clone(),
            Source::Campaign { campaign_id } => Hub::campaign_key(campaign_id),
            Source::Feed { campaign_id } => Hub::feed_key(campaign_id),
            Source::PublicLive { live_id, .. } => Hub::live_feed_key(live_id),
            Source::Totals { campaign_id } => Hub::totals_key(campaign_id),
        }
    }

    /// The channel whose ring holds this stream's recent frames for a resume.
    fn ring_key(&self) -> String {
        match self {
            Source::Feed { campaign_id } => Hub::campaign_key(campaign_id),
            Source::PublicLive { live_id, .. } => live_id.clone(),
            _ => self.channel_key(),
        }
    }

    fn snapshot(&self, app: &AppState) -> Option<(u64, String)> {
        match self {
            Source::Live { live_id, .. } | Source::PublicLive { live_id, .. } => app.views.snapshot(live_id, app.now()),
            Source::Campaign { campaign_id } | Source::Feed { campaign_id } => {
                app.views.campaign_snapshot(campaign_id, app.now())
            }
            Source::Totals { campaign_id } => app.views.campaign_totals_frame(campaign_id, 0, Some(app.now())),
        }
    }
}

type UpgradeResult = Result<Handshake, ApiError>;

/// A WebSocket opening handshake (RFC 6455, over HTTP/1.1), checked before any
/// token so that the refusal order stays: unknown stream, token, then upgrade.
pub struct Handshake {
    /// The `101 Switching Protocols` answer.
    response: Response,
    on_upgrade: OnUpgrade,
}

impl<S: Send + Sync> FromRequestParts<S> for Handshake {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // tungstenite checks the method, version and headers, and derives the accept key.
        let response = create_response_with_body(&Request::from_parts(parts.clone(), ()), Body::empty)
            .map_err(|e| ApiError::bad_request("websocket_required", e.to_string()))?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or_else(|| ApiError::bad_request("websocket_required", "this connection cannot be upgraded"))?;
        Ok(Handshake { response, on_upgrade })
    }
}

impl Handshake {
    /// Answers 101 and runs `session` on the connection once it is upgraded.
    fn accept<F: Future<Output = ()> + Send + 'static>(
        self,
        session: impl FnOnce(Io) -> F + Send + 'static,
    ) -> Response {
        let Handshake { response, on_upgrade } = self;
        tokio::spawn(async move {
            if let Ok(upgraded) = on_upgrade.await {
                session(TokioIo::new(upgraded)).await;
            }
        });
        response
    }
}

/// Which stream a WebSocket route opens, and with which token.
#[derive(Clone, Copy)]
enum Kind {
    /// A live's stream, with its overlay token.
    Live,
    /// A campaign's stream, with the campaign's overlay token.
    Campaign,
    /// The same streams without a token: they carry no secret and only moderated
    /// text, for viewer pages. Connections are still capped per address, and
    /// together per stream as if they shared one token.
    PublicLive,
    PublicCampaign,
    /// A campaign's totals stream (public).
    PublicTotals,
}

async fn open(
    kind: Kind,
    app: AppState,
    id: String,
    headers: HeaderMap,
    client: Extension<ClientIp>,
    Query(mut q): Query<HashMap<String, String>>,
    ws: UpgradeResult,
) -> Result<Response, ApiError> {
    let source = match kind {
        Kind::Live => {
            Source::live(&app, &id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?
        }
        Kind::PublicLive => {
            let Some(Source::Live { live_id, campaign_id }) = Source::live(&app, &id) else {
                return Err(ApiError::not_found("live_not_found", "no live has this id"));
            };
            // Opened by its first follower; the ledger writer sends to it from then on.
            app.hub.open(&Hub::live_feed_key(&live_id), 0);
            Source::PublicLive { live_id, campaign_id }
        }
        Kind::Campaign | Kind::PublicCampaign | Kind::PublicTotals => {
            if !app.views.has_campaign(&id) {
                return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
            }
            match kind {
                Kind::PublicTotals => {
                    // Opened by its first follower; the ticker sends to it from then on.
                    app.hub.open(&Hub::totals_key(&id), 0);
                    Source::Totals { campaign_id: id.clone() }
                }
                Kind::PublicCampaign => {
                    // Opened by its first follower; the ledger writer sends to it from then on.
                    app.hub.open(&Hub::feed_key(&id), 0);
                    Source::Feed { campaign_id: id.clone() }
                }
                _ => Source::Campaign { campaign_id: id.clone() },
            }
        }
    };
    // Read before the token is checked: if the token is replaced after the
    // check, the session sees the generation move and ends.
    let generation = app.hub.channel(&source.channel_key()).map_or(0, |c| c.overlay_generation());
    // Checked before the upgrade: a refused client never gets a socket.
    let token = q.get("token").map(String::as_str);
    let mut generation = Generation::Own(generation);
    match kind {
        Kind::Live => {
            let of = app.require_overlay(token, &id)?;
            if of != id {
                // A host's follow link: its session ends when the token of the live
                // it belongs to is replaced. Read, then checked again.
                let origin =
                    app.hub.channel(&of).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?;
                generation = Generation::Origin(Arc::clone(&origin), origin.overlay_generation());
                app.require_overlay(token, &id)?;
            }
        }
        Kind::Campaign => app.require_campaign_reader(token, &id)?,
        Kind::PublicLive => {
            q.insert("token".into(), format!("public:{id}"));
        }
        Kind::PublicCampaign => {
            q.insert("token".into(), format!("public:campaign:{id}"));
        }
        Kind::PublicTotals => {
            q.insert("token".into(), format!("public:totals:{id}"));
        }
    }
    // Overlay sessions end when their token is replaced; public ones have none.
    let token_generation = match kind {
        Kind::Live | Kind::Campaign => Some(generation),
        Kind::PublicLive | Kind::PublicCampaign | Kind::PublicTotals => None,
    };
    upgrade(app, source, token_generation, &q, &headers, client, ws)
}

macro_rules! route_to {
    ($name:ident, $kind:expr) => {
        async fn $name(
            State(app): State<AppState>,
            Path(id): Path<String>,
            headers: HeaderMap,
            client: Extension<ClientIp>,
            query: Query<HashMap<String, String>>,
            ws: UpgradeResult,
        ) -> Result<Response, ApiError> {
            open($kind, app, id, headers, client, query, ws).await
        }
    };
}

route_to!(upgrade_live, Kind::Live);
route_to!(upgrade_campaign, Kind::Campaign);
route_to!(upgrade_public_live, Kind::PublicLive);
route_to!(upgrade_public_campaign, Kind::PublicCampaign);
route_to!(upgrade_public_totals, Kind::PublicTotals);

fn upgrade(
    app: AppState,
    source: Source,
    token_generation: Option<Generation>,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    ws: UpgradeResult,
) -> Result<Response, ApiError> {
    super::limits::check_origin(&app, headers)?;
    let after = super::api::parse_u64(q, "after")?;
    let ws = ws?;
    let token = q.get("token").map(String::as_str).unwrap_or("");
    let slot = app.limits.connections.acquire(ip, token, app.config.ws_max_per_ip, app.config.ws_max_per_token)?;
    Ok(ws.accept(move |io| {
        let tracker = app.sessions.clone();
        tracker.track_future(async move {
            run_session(app, io, source, token_generation, after).await;
            drop(slot);
        })
    }))
}

impl AppState {
    /// Frames of a stream with `after < seq <= upto`, from the hub's ring when it still
    /// holds them, else from the log; at most `limit`.
    pub async fn frames_between(
        &self,
        source: &Source,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<Frame>, ApiError> {
        let (campaign_id, live_id) = match source {
            Source::Live { live_id, campaign_id } | Source::PublicLive { live_id, campaign_id } => {
                (campaign_id.clone(), Some(live_id.clone()))
            }
            Source::Campaign { campaign_id } | Source::Feed { campaign_id } => (campaign_id.clone(), None),
            // A totals stream has no events to replay: each frame is the state.
            Source::Totals { .. } => return Ok(vec![]),
        };
        if after >= upto {
            return Ok(vec![]);
        }
        if let Some(ch) = self.hub.channel(&source.ring_key())
            && let Some(mut frames) = ch.since(after, upto)
        {
            frames.truncate(limit);
            return Ok(frames);
        }
        let app = self.clone();
        let rows = tokio::task::spawn_blocking(move || {
            app.readers.stream_frames(&campaign_id, live_id.as_deref(), after, upto, limit)
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(rows.into_iter().map(|(seq, text)| Frame::new(seq, text)).collect())
    }
}

/// How often a campaign's totals stream may get a frame: however many gifts
/// its lives get, each of its followers gets at most four frames a second.
pub const TOTALS_TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// Sends each followed campaign's totals stream a frame every [`TOTALS_TICK`]
/// when the campaign moved since its last one, with the lives that moved; and
/// a totals frame to a public stream (a campaign's or a live's) that did not
/// get some of its new gifts (see [`crate::hub::GiftBudget`]).
pub fn spawn_totals(app: &AppState) {
    let app = app.clone();
    let tracker = app.sessions.clone();
    tracker.spawn(async move {
        // Campaign → the seq its totals stream's last frame was as of.
        let mut sent: HashMap<String, u64> = HashMap::new();
        let mut every = tokio::time::interval(TOTALS_TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = app.shutdown.cancelled() => break,
                _ = every.tick() => {}
            }
            let followed = app.hub.followed_totals();
            sent.retain(|campaign, _| followed.contains(campaign));
            for campaign in followed {
                let since = sent.get(&campaign).copied().unwrap_or(0);
                // Nothing when the campaign did not move since its last frame.
                if let Some((seq, text)) = app.views.campaign_totals_frame(&campaign, since, None) {
                    app.hub.send(&Hub::totals_key(&campaign), vec![Frame::new(seq, text)]);
                    sent.insert(campaign, seq);
                }
            }
            // A public stream that did not get some new gifts: where the
            // campaign (with the lives that moved since), or the live, stands now.
            for (feed, from, upto) in app.hub.owed_feeds() {
                let key = feed.key();
                let frame = match &feed {
                    Feed::Campaign(campaign) => app.views.campaign_totals_frame(campaign, from - 1, None),
                    Feed::Live(live) => app.views.live_totals_frame(live),
                };
                match frame {
                    // The read model shows them all: the frame counts every one.
                    Some((seq, text)) if seq >= upto => app.hub.send(&key, vec![Frame::new(seq, text)]),
                    // The writer has not shown the last yet: at the next tick.
                    _ => app.hub.owe(&key, from, upto),
                }
            }
        }
    });
}

/// Which overlay token a session was opened with, as a count of its
/// replacements (see [`crate::hub::Channel::overlay_generation`]).
enum Generation {
    /// The stream's own token: its replacement halts the session's outbox.
    Own(u64),
    /// The token of another live of the same host (a host's follow link): the
    /// session ends when that live's token is replaced, not when this one's is.
    Origin(Arc<Channel>, u64),
}

enum End {
    /// Close with this code and reason.
    Close(CloseCode, &'static str, SessionEnd),
    /// The peer is gone or unwritable: just drop the socket.
    Drop,
}

/// `token_generation` is the generation of the overlay token the session was
/// opened with (see [`crate::hub::Channel::overlay_generation`]); `None` for a
/// public session, which has no token.
async fn run_session(app: AppState, io: Io, source: Source, token_generation: Option<Generation>, after: Option<u64>) {
    let outbox = Arc::new(Outbox::new(io, matches!(token_generation, Some(Generation::Own(_)))));
    let config = WebSocketConfig::default()
        // Clients send only pongs and closes; tungstenite clears this buffer on
        // every read, so small is cheaper as well as leaner.
        .read_buffer_size(512)
        // Every frame goes straight to the outbox's queue; a flush writes the
        // queue at once.
        .write_buffer_size(0)
        .max_message_size(Some(MAX_CLIENT_MESSAGE))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE));
    let mut ws =
        WebSocketStream::from_raw_socket(SessionIo::new(Arc::clone(&outbox)), Role::Server, Some(config)).await;
    app.metrics.session_opened();
    let end = session(&app, &mut ws, &outbox, &source, token_generation, after).await;
    // Nothing live is written after the session's last frame.
    outbox.halt(Stop::Gone);
    app.metrics.session_ended(match end {
        End::Close(.., why) => why,
        End::Drop => SessionEnd::Left,
    });
    if let End::Close(code, reason, _) = end {
        let close = Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }));
        // The closing handshake: after our close, read until the client's (or
        // until it goes), so that a frame it sends meanwhile (a pong) does not
        // meet a closed socket, whose reset would destroy our close unread.
        let closing = async {
            ws.send(close).await?;
            while ws.next().await.transpose()?.is_some() {}
            Ok::<(), tokio_tungstenite::tungstenite::Error>(())
        };
        let _ = tokio::time::timeout(app.config.ws_send_timeout(), closing).await;
    }
}

async fn session(
    app: &AppState,
    ws: &mut Ws,
    outbox: &Arc<Outbox>,
    source: &Source,
    token_generation: Option<Generation>,
    after: Option<u64>,
) -> End {
    let send_timeout = app.config.ws_send_timeout();
    let Some(channel) = app.hub.channel(&source.channel_key()) else {
        return End::Close(CloseCode::Away, "stream unavailable", SessionEnd::StreamClosed);
    };
    if let Some(pause) = app.config.join_pause {
        tokio::time::sleep(pause).await;
    }
    // Counted until the session ends (the dashboard shows who follows each stream).
    let _watching = channel.watch(if token_generation.is_some() { Watcher::Overlay } else { Watcher::Viewer });
    // Join before the snapshot: nothing published in between is missed, and the
    // frames the snapshot already covers are dropped at the release below.
    channel.join(outbox);
    // Its token was replaced after it was checked, before this session joined
    // (once joined, a replacement halts the outbox).
    if let Some(Generation::Own(g)) = token_generation
        && channel.overlay_generation() != g
    {
        return revoked();
    }
    let Some((snapshot_seq, snapshot)) = source.snapshot(app) else {
        return End::Close(CloseCode::Away, "stream unavailable", SessionEnd::StreamClosed);
    };
    if !write(ws, [Message::Text(snapshot.into())], send_timeout).await {
        return End::Drop;
    }
    if let Some(mut from) = after {
        while from < snapshot_seq {
            let frames = match app.frames_between(source, from, snapshot_seq, REPLAY_CHUNK).await {
                Ok(f) if !f.is_empty() => f,
                _ => break,
            };
            from = frames.last().map_or(snapshot_seq, |f| f.seq);
            let msgs: Vec<Message> = frames.iter().map(|f| Message::Text(f.replayed())).collect();
            if !write(ws, msgs, send_timeout).await {
                return End::Drop;
            }
        }
    }
    outbox.release(snapshot_seq);

    let ping_every = app.config.ws_ping();
    let silence_limit = ping_every + app.config.ws_pong_timeout();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut last_heard = Instant::now();
    // Registered once with the shared token, not at every wake-up of every session.
    let shutdown = app.shutdown.cancelled();
    tokio::pin!(shutdown);
    // A host's follow link also ends when the token of the live it belongs to is
    // replaced (no allocation for other sessions: `pending` takes no room).
    let mut origin_replaced: Pin<Box<dyn Future<Output = ()> + Send>> = match token_generation {
        Some(Generation::Origin(origin, g)) => Box::pin(async move { origin.replaced_since(g).await }),
        _ => Box::pin(std::future::pending()),
    };
    loop {
        match outbox.stopped() {
            None => {}
            Some(Stop::Lagged) => {
                return End::Close(CloseCode::Again, "too slow: resume with after=", SessionEnd::TooSlow);
            }
            Some(Stop::Closed) => return End::Close(CloseCode::Away, "stream closed", SessionEnd::StreamClosed),
            Some(Stop::Gone) => return End::Drop,
            Some(Stop::Revoked) => return revoked(),
        }
        tokio::select! {
            biased;
            // The fan-out could not write everything at once: the rest is ours.
            () = outbox.notified() => {
                if outbox.stopped().is_none() && !write(ws, [], send_timeout).await {
                    return End::Drop;
                }
            }
            _ = &mut shutdown => return End::Close(CloseCode::Away, "server shutting down", SessionEnd::Shutdown),
            () = &mut origin_replaced => return revoked(),
            m = ws.next() => match m {
                Some(Ok(Message::Close(_))) | None => return End::Drop,
                Some(Err(e)) if client_fault(&e) => {
                    return End::Close(CloseCode::Size, "message too big or malformed", SessionEnd::BadMessage);
                }
                // A client that went without closing is gone, not at fault.
                Some(Err(_)) => return End::Drop,
                Some(Ok(_)) => last_heard = Instant::now(),
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > silence_limit {
                    return End::Close(CloseCode::Away, "no pong", SessionEnd::NoPong);
                }
                if !write(ws, [Message::Ping(Default::default())], send_timeout).await {
                    return End::Drop;
                }
            }
        }
    }
}

fn revoked() -> End {
    End::Close(CloseCode::Policy, "overlay token replaced", SessionEnd::Revoked)
}

/// Whether a read failed over what the client sent (too big, not WebSocket, not
/// UTF-8) rather than because the client went away.
fn client_fault(e: &WsError) -> bool {
    match e {
        WsError::Capacity(_) | WsError::Utf8(_) => true,
        WsError::Protocol(p) => !matches!(p, ProtocolError::ResetWithoutClosingHandshake),
        _ => false,
    }
}

/// Queues the messages and flushes once (with nothing to queue, writes out what
/// the fan-out left); false when the client is gone or too slow.
async fn write(ws: &mut Ws, msgs: impl IntoIterator<Item = Message>, timeout: std::time::Duration) -> bool {
    let fut = async {
        for m in msgs {
            ws.feed(m).await?;
        }
        ws.flush().await
    };
    let mut fut = std::pin::pin!(fut);
    // Nearly every write fits in the socket's buffer and is done at the first
    // poll: the timer is only armed for a write that has to wait.
    if let Some(done) = (&mut fut).now_or_never() {
        return done.is_ok();
    }
    matches!(tokio::time::timeout(timeout, fut).await, Ok(Ok(())))
}
