//! `GET /ws/lives/{id}`: one task per socket. It sends the snapshot, replays
//! `after=N` from the hub's ring or the log, then forwards the hub's frames.
//! Frames already waiting leave in one write. A client that lags behind the
//! bounded broadcast, blocks a write past the send timeout, or stays silent
//! after a ping is closed; it resumes with `after=`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::hub::{Frame, Hub};
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use futures_util::{FutureExt, SinkExt};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::sync::broadcast::error::RecvError;

/// Clients only send control frames; anything bigger is refused (close 1009).
const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// Frames forwarded in one write when several are waiting.
const COALESCE: usize = 64;
/// Frames read from the log per query on a long resume.
const REPLAY_CHUNK: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ws/lives/{id}", get(upgrade_live))
        .route("/ws/campaigns/{id}", get(upgrade_campaign))
        .route("/ws/public/lives/{id}", get(upgrade_public_live))
        .route("/ws/public/campaigns/{id}", get(upgrade_public_campaign))
        .route("/static/{file}", get(super::serve_static))
}

/// A stream a client can follow: one live's, or a whole campaign's.
#[derive(Debug, Clone)]
pub enum Source {
    Live { live_id: String, campaign_id: String },
    Campaign { campaign_id: String },
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
        }
    }

    fn snapshot(&self, app: &AppState) -> Option<(u64, String)> {
        match self {
            Source::Live { live_id, .. } => app.views.snapshot(live_id, app.now()),
            Source::Campaign { campaign_id } => app.views.campaign_snapshot(campaign_id, app.now()),
        }
    }
}

type QueryResult = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;
type UpgradeResult = Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>;

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
}

async fn open(
    kind: Kind,
    app: AppState,
    id: String,
    headers: HeaderMap,
    peer: ConnectInfo<SocketAddr>,
    query: QueryResult,
    ws: UpgradeResult,
) -> Result<Response, ApiError> {
    let Query(mut q) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let source = match kind {
        Kind::Live | Kind::PublicLive => {
            Source::live(&app, &id).ok_or_else(|| ApiError::not_found("live_not_found", "no live has this id"))?
        }
        Kind::Campaign | Kind::PublicCampaign => {
            if !app.views.has_campaign(&id) {
                return Err(ApiError::not_found("campaign_not_found", "no campaign has this id"));
            }
            Source::Campaign { campaign_id: id.clone() }
        }
    };
    // Checked before the upgrade: a refused client never gets a socket.
    let token = q.get("token").map(String::as_str);
    match kind {
        Kind::Live => app.require_overlay(token, &id)?,
        Kind::Campaign => app.require_campaign_reader(token, &id)?,
        Kind::PublicLive => {
            q.insert("token".into(), format!("public:{id}"));
        }
        Kind::PublicCampaign => {
            q.insert("token".into(), format!("public:campaign:{id}"));
        }
    }
    upgrade(app, source, &q, &headers, peer, ws)
}

macro_rules! route_to {
    ($name:ident, $kind:expr) => {
        async fn $name(
            State(app): State<AppState>,
            Path(id): Path<String>,
            headers: HeaderMap,
            peer: ConnectInfo<SocketAddr>,
            query: QueryResult,
            ws: UpgradeResult,
        ) -> Result<Response, ApiError> {
            open($kind, app, id, headers, peer, query, ws).await
        }
    };
}

route_to!(upgrade_live, Kind::Live);
route_to!(upgrade_campaign, Kind::Campaign);
route_to!(upgrade_public_live, Kind::PublicLive);
route_to!(upgrade_public_campaign, Kind::PublicCampaign);

fn upgrade(
    app: AppState,
    source: Source,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: UpgradeResult,
) -> Result<Response, ApiError> {
    super::limits::check_origin(&app, headers)?;
    let after = super::api::parse_u64(q, "after")?;
    let ws = ws.map_err(|e| ApiError::bad_request("websocket_required", e.body_text()))?;
    let token = q.get("token").map(String::as_str).unwrap_or("");
    let slot =
        app.limits.connections.acquire(peer.ip(), token, app.config.ws_max_per_ip, app.config.ws_max_per_token)?;
    Ok(ws
        // Clients send only pongs and closes; tungstenite clears this buffer on every
        // read, so small is cheaper as well as leaner.
        .read_buffer_size(512)
        // Frames queued with `feed` leave together at the flush: one write for many.
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| {
            let tracker = app.sessions.clone();
            tracker.track_future(async move {
                run_session(app, socket, source, after).await;
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
        if after >= upto {
            return Ok(vec![]);
        }
        if let Some(ch) = self.hub.channel(&source.channel_key())
            && let Some(mut frames) = ch.since(after, upto)
        {
            frames.truncate(limit);
            return Ok(frames);
        }
        let app = self.clone();
        let source = source.clone();
        let rows = tokio::task::spawn_blocking(move || match &source {
            Source::Live { live_id, campaign_id } => {
                app.readers.stream_frames(campaign_id, Some(live_id), after, upto, limit)
            }
            Source::Campaign { campaign_id } => app.readers.stream_frames(campaign_id, None, after, upto, limit),
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(rows.into_iter().map(|(seq, text)| Frame::new(seq, text)).collect())
    }
}

enum End {
    /// Close with this code and reason.
    Close(u16, &'static str),
    /// The peer is gone or unwritable: just drop the socket.
    Drop,
}

async fn run_session(app: AppState, mut socket: WebSocket, source: Source, after: Option<u64>) {
    let end = session(&app, &mut socket, &source, after).await;
    if let End::Close(code, reason) = end {
        let close = Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }));
        let _ = tokio::time::timeout(app.config.ws_send_timeout(), socket.send(close)).await;
    }
}

async fn session(app: &AppState, socket: &mut WebSocket, source: &Source, after: Option<u64>) -> End {
    let send_timeout = app.config.ws_send_timeout();
    let Some(channel) = app.hub.channel(&source.channel_key()) else {
        return End::Close(close_code::AWAY, "stream unavailable");
    };
    // Subscribe before the snapshot: nothing published in between is missed, and
    // frames the snapshot already covers are skipped below.
    let mut rx = channel.subscribe();
    let Some((snapshot_seq, snapshot)) = source.snapshot(app) else {
        return End::Close(close_code::AWAY, "stream unavailable");
    };
    if !write(socket, [Message::Text(snapshot.into())], send_timeout).await {
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
            if !write(socket, msgs, send_timeout).await {
                return End::Drop;
            }
        }
    }

    let ping_every = app.config.ws_ping();
    let silence_limit = ping_every + app.config.ws_pong_timeout();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut last_heard = Instant::now();
    // Grows on first use only: an idle subscriber keeps no frame buffer.
    let mut out: Vec<Message> = Vec::new();
    // Registered once with the shared token, not at every wake-up of every session.
    let shutdown = app.shutdown.cancelled();
    tokio::pin!(shutdown);
    loop {
        // Frames first: a wake-up for a frame polls nothing else. The other
        // branches are polled whenever no frame is waiting (the broadcast's
        // cooperative budget bounds a run of ready frames).
        tokio::select! {
            biased;
            r = rx.recv() => {
                let first = match r {
                    Ok(batch) => batch,
                    Err(RecvError::Lagged(_)) => return End::Close(close_code::AGAIN, "too slow: resume with after="),
                    Err(RecvError::Closed) => return End::Close(close_code::AWAY, "stream closed"),
                };
                // One buffer for the whole session: no allocation per event.
                out.clear();
                out.extend(first.iter().filter(|f| f.seq > snapshot_seq).map(|f| Message::Text(f.text.clone())));
                while out.len() < COALESCE {
                    match rx.try_recv() {
                        Ok(batch) => {
                            out.extend(batch.iter().filter(|f| f.seq > snapshot_seq).map(|f| Message::Text(f.text.clone())))
                        }
                        Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                            return End::Close(close_code::AGAIN, "too slow: resume with after=");
                        }
                        Err(_) => break,
                    }
                }
                if !out.is_empty() && !write(socket, out.drain(..), send_timeout).await {
                    return End::Drop;
                }
            }
            _ = &mut shutdown => return End::Close(close_code::AWAY, "server shutting down"),
            m = socket.recv() => match m {
                Some(Ok(Message::Close(_))) | None => return End::Drop,
                Some(Err(_)) => return End::Close(close_code::SIZE, "message too big or malformed"),
                Some(Ok(_)) => last_heard = Instant::now(),
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > silence_limit {
                    return End::Close(close_code::AWAY, "no pong");
                }
                if !write(socket, [Message::Ping(Default::default())], send_timeout).await {
                    return End::Drop;
                }
            }
        }
    }
}

/// Queues the messages and flushes once; false when the client is gone or too slow.
async fn write(socket: &mut WebSocket, msgs: impl IntoIterator<Item = Message>, timeout: std::time::Duration) -> bool {
    let fut = async {
        for m in msgs {
            socket.feed(m).await?;
        }
        socket.flush().await
    };
    let mut fut = std::pin::pin!(fut);
    // Nearly every write fits in the socket's buffer and is done at the first
    // poll: the timer is only armed for a write that has to wait.
    if let Some(done) = (&mut fut).now_or_never() {
        return done.is_ok();
    }
    matches!(tokio::time::timeout(timeout, fut).await, Ok(Ok(())))
}
