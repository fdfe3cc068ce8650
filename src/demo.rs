//! `cagnotte demo`: the real server on a throwaway data directory, with a demo
//! campaign, a sponsor match and a live, fed with simulated donations, so a
//! newcomer sees every overlay move within a minute. The demo talks to the
//! server only through its public HTTP API, like a streamer's tools would.

use crate::app::BoxError;
use crate::config::{Config, DemoArgs};
use serde_json::{Value, json};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const DONORS: [&str; 16] = [
    "Ana",
    "Corentin",
    "Élodie",
    "Zoë 🎉",
    "Maxime",
    "Inès",
    "Jules",
    "Léa",
    "Nour",
    "Hugo",
    "Camille",
    "Yanis",
    "Chloé",
    "Mathis",
    "Sarah",
    "Théo",
];
const MESSAGES: [&str; 8] = [
    "Bravo pour ce live !",
    "Pour les Restos, avec plaisir",
    "Go go go !",
    "Merci pour tout ce que vous faites",
    "Un petit don, un grand cœur",
    "Love from Lyon",
    "Je double la mise la semaine prochaine",
    "Trop bien ce stream",
];
/// Amounts in cents; small gifts are the most frequent.
const CHALLENGES: [&str; 4] = [
    "Je chante le générique de mon enfance",
    "Le chat passe devant la caméra",
    "Je joue la prochaine partie les yeux bandés",
    "Je lis vos messages avec un accent",
];

/// The prizes the demo host draws among the gifts of 10 € and more.
const PRIZES: [&str; 3] = ["Un dessin original", "Une affiche dédicacée", "Un mug de la chaîne"];

/// The demo host's rewards: a title, its keyword, the least gift (cents), how many.
const REWARDS: [(&str, &str, i64, Option<u32>); 2] = [
    ("Un croquis de votre animal", "croquis", 2000, Some(5)),
    ("Votre pseudo sur le fond d'écran", "pseudo", 500, None),
];

/// The demo host's polls: a question and its options.
const POLLS: [(&str, [&str; 3]); 2] = [
    ("Quel jeu ensuite ?", ["Mario Kart", "Zelda", "Tetris"]),
    ("Quelle tenue au prochain live ?", ["Pyjama", "Costume", "Déguisement"]),
];

const AMOUNTS: [i64; 12] = [200, 300, 500, 500, 1000, 1000, 1050, 1500, 2000, 2500, 5000, 10000];

/// Serves the demo on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    mut config: Config,
    args: DemoArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("cagnotte-demo-{}", std::process::id()));
    config.data_dir = dir.clone();
    let admin = crate::secret::new_token("demo_");
    config.admin_token = Some(admin.clone());
    // A local demo: plain HTTP, which its own simulated donors speak.
    config.tls_cert = None;
    config.tls_key = None;
    let local = listener.local_addr()?;
    // The demo's own client always uses loopback, whatever the listen address.
    let addr = SocketAddr::new(
        if local.ip().is_unspecified() { std::net::Ipv4Addr::LOCALHOST.into() } else { local.ip() },
        local.port(),
    );
    let stop = CancellationToken::new();
    let server_stop = stop.clone();
    let server = tokio::spawn(crate::app::run(listener, config, async move { server_stop.cancelled().await }));

    let result = demo(addr, &admin, &args, shutdown).await;
    stop.cancel();
    let served = server.await;
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    served.map_err(|e| e.to_string())?
}

async fn demo(
    addr: SocketAddr,
    admin: &str,
    args: &DemoArgs,
    shutdown: impl Future<Output = ()>,
) -> Result<(), BoxError> {
    ready(addr).await?;
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let start = time::OffsetDateTime::now_utc();
    let now = start.format(rfc3339)?;
    let ends_at = (start + time::Duration::hours(2)).format(rfc3339)?;
    let campaign = call(
        addr,
        "/api/v1/campaigns",
        admin,
        json!({
            "name": "#Doubletesdons",
            "currency": "EUR",
            "goal": 1_000_000,
            "charity": "Les Restos du cœur",
            "donate_url": "https://dons.example.org/doubletesdons",
        }),
    )
    .await?;
    let campaign_id = str_field(&campaign, "id")?;
    call(
        addr,
        &format!("/api/v1/campaigns/{campaign_id}/matches"),
        admin,
        json!({"sponsor": "Fondation Exemple", "ratio": [1, 1], "cap": 150_000, "ends_at": ends_at}),
    )
    .await?;
    let live = call(
        addr,
        &format!("/api/v1/campaigns/{campaign_id}/lives"),
        admin,
        json!({
            "host": "Corentin",
            "title": "Live démo",
            // On air now, for as long as the sponsor's match: the pages say "live now".
            "scheduled_at": now,
            "duration_minutes": 120,
            "goal": 250_000,
            "donate_url": "https://dons.example.org/doubletesdons/corentin",
        }),
    )
    .await?;
    let live_id = str_field(&live, "id")?;
    let key = str_field(&live, "key")?;
    // The charity's space: the campaign's figures, read only.
    let charity =
        call(addr, &format!("/api/v1/campaigns/{campaign_id}/rotate"), admin, json!({"report_token": true})).await?;
    let token = str_field(&live, "overlay_token")?;
    // The live's milestones, as a host announces them: marked on the goal bar.
    for (amount, label) in [(100_000, "Je chante une chanson"), (200_000, "Un dessin en direct pour le public")] {
        call(
            addr,
            &format!("/api/v1/campaigns/{campaign_id}/milestones"),
            admin,
            json!({"amount": amount, "label": label, "live_id": live_id}),
        )
        .await?;
    }

    let base = format!("http://{addr}/overlay/lives/{live_id}");
    // Rewards offered from the start: some donors claim them with their keywords.
    let mut rewards = Vec::new();
    for (title, tag, amount, quantity) in REWARDS {
        let body = json!({"title": title, "tag": tag, "amount": amount, "quantity": quantity});
        match call(addr, &format!("/api/v1/lives/{live_id}/rewards"), &key, body).await {
            Ok(r) => rewards.extend(r["tag"].as_str().map(|t| (t.to_owned(), amount))),
            Err(err) => tracing::warn!(%err, "demo reward failed"),
        }
    }
    println!();
    println!("Cagnotte demo on http://{addr} — stop with ctrl-c (its data is thrown away).");
    println!("Open these in a browser or add them to OBS as Browser sources:");
    println!("  all widgets      {base}?token={token}");
    for (name, label) in [
        ("alert", "alert box"),
        ("goal", "goal bar"),
        ("campaign", "campaign totals"),
        ("match", "matching badge"),
        ("poll", "poll"),
        ("rewards", "rewards"),
        ("ticker", "ticker"),
        ("top", "top donors"),
        ("latest", "latest donation"),
        ("cta", "call to action"),
        ("milestones", "milestones"),
        ("countdown", "countdown"),
        ("credits", "end credits"),
    ] {
        println!("  {label:<16} {base}/{name}?token={token}");
    }
    println!("  thermometer      {base}/goal?token={token}&goal_style=thermometer");
    println!("  marathon timer   {base}/timer?token={token}&timer_step=10&timer_add=2");
    println!("  in English       {base}?token={token}&lang=en");
    println!("  overlay builder  {base}/builder?token={token}");
    println!("  whole campaign   {}", str_field(&campaign, "overlay_url")?);
    println!("Pages:");
    println!("  dashboard        http://{addr}/dashboard (sign in with the admin token)");
    println!("  host's space     {}", str_field(&live, "host_url")?);
    println!("  charity's space  {}", str_field(&charity, "report_url")?);
    println!("  public page      http://{addr}/lives/{live_id}");
    println!("  calendar         http://{addr}/api/v1/lives/{live_id}/calendar.ics?follow=host");
    println!("Chat bot (!cagnotte, for Nightbot's $(urlfetch …)):");
    println!("  http://{addr}/api/v1/lives/{live_id}/chat?follow=host");
    println!("Admin token: {admin}");
    println!("Live key:    {key}");
    println!("A simulated donation arrives about every {} s.", args.every);
    println!();

    tokio::pin!(shutdown);
    let path = format!("/api/v1/lives/{live_id}/donations");
    // A challenge on air now and then, as a host would set: under the goal bar.
    let challenges = format!("/api/v1/lives/{live_id}/challenges");
    let mut next_challenge = tokio::time::Instant::now();
    // About what three fifths of its three minutes bring at this rate (matched
    // money included), so that it stays on screen a while before it is met.
    let mean = AMOUNTS.iter().sum::<i64>() as f64 / AMOUNTS.len() as f64;
    let challenge_amount = ((0.6 * 2.0 * mean * 180.0 / args.every.max(0.2)) / 1000.0).round().max(1.0) as i64 * 1000;
    // And a poll: some donors vote with its keywords.
    let polls = format!("/api/v1/lives/{live_id}/polls");
    let (mut next_poll, mut asked, mut tags) = (tokio::time::Instant::now(), 0, Vec::<String>::new());
    // And a prize drawn now and then, once a few gifts came: an alert names its winner.
    let draws = format!("/api/v1/lives/{live_id}/draws");
    let (mut next_draw, mut drawn) = (tokio::time::Instant::now() + Duration::from_secs(30), 0);
    loop {
        if tokio::time::Instant::now() >= next_draw {
            let body = json!({"prize": PRIZES[drawn % PRIZES.len()], "min_amount": 1000});
            drawn += 1;
            if let Err(err) = call(addr, &draws, &key, body).await {
                tracing::warn!(%err, "demo draw failed");
            }
            next_draw += Duration::from_secs(6 * 60);
        }
        if tokio::time::Instant::now() >= next_poll {
            let (question, options) = POLLS[asked % POLLS.len()];
            asked += 1;
            match call(addr, &polls, &key, json!({"question": question, "options": options, "minutes": 4})).await {
                Ok(poll) => {
                    tags = poll["options"]
                        .as_array()
                        .map(|o| o.iter().filter_map(|o| o["tag"].as_str().map(str::to_owned)).collect())
                        .unwrap_or_default();
                }
                Err(err) => tracing::warn!(%err, "demo poll failed"),
            }
            next_poll += Duration::from_secs(5 * 60);
        }
        if tokio::time::Instant::now() >= next_challenge {
            let label = CHALLENGES[random(CHALLENGES.len() as u64) as usize];
            let body = json!({"label": label, "amount": challenge_amount, "minutes": 3});
            if let Err(err) = call(addr, &challenges, &key, body).await {
                tracing::warn!(%err, "demo challenge failed");
            }
            next_challenge += Duration::from_secs(4 * 60);
        }
        // Between half and one and a half times the mean interval.
        let wait = args.every.max(0.2) * (0.5 + random(1000) as f64 / 1000.0);
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs_f64(wait)) => {}
        }
        let mut body = donation();
        if !tags.is_empty() && random(2) == 0 {
            let tag = &tags[random(tags.len() as u64) as usize];
            let said = body["message"].as_str().map_or(String::new(), |m| format!("{m} "));
            body["message"] = json!(format!("{said}#{tag}"));
        }
        // One donor in four who gives enough for a reward claims it.
        let given = body["amount"].as_i64().unwrap_or_default();
        let affordable: Vec<&String> = rewards.iter().filter(|(_, a)| *a <= given).map(|(t, _)| t).collect();
        if !affordable.is_empty() && random(4) == 0 {
            let tag = affordable[random(affordable.len() as u64) as usize];
            let said = body["message"].as_str().map_or(String::new(), |m| format!("{m} "));
            body["message"] = json!(format!("{said}#{tag}"));
        }
        if let Err(err) = call(addr, &path, &key, body).await {
            tracing::warn!(%err, "demo donation failed");
        }
    }
}

fn donation() -> Value {
    let amount = AMOUNTS[random(AMOUNTS.len() as u64) as usize];
    let mut body = json!({"amount": amount, "currency": "EUR", "platform": "twitch"});
    if random(5) == 0 {
        body["anonymous"] = json!(true);
    } else {
        body["donor"] = json!(DONORS[random(DONORS.len() as u64) as usize]);
    }
    if random(2) == 0 {
        body["message"] = json!(MESSAGES[random(MESSAGES.len() as u64) as usize]);
    }
    body
}

/// A uniform-enough number in `0..n` (a demo, not cryptography).
fn random(n: u64) -> u64 {
    let mut b = [0u8; 8];
    // The OS generator does not fail on supported platforms; a zero is harmless here.
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b) % n.max(1)
}

fn str_field(v: &Value, name: &str) -> Result<String, BoxError> {
    v[name].as_str().map(str::to_owned).ok_or_else(|| format!("the answer has no {name}: {v}").into())
}

/// Waits until the server answers `/healthz` (the ledger is replayed).
async fn ready(addr: SocketAddr) -> Result<(), BoxError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((200, _)) = request(addr, "GET", "/healthz", None, None).await {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err("the demo server did not become ready within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// POSTs JSON with a bearer token and expects a 2xx with a JSON body.
async fn call(addr: SocketAddr, path: &str, token: &str, body: Value) -> Result<Value, BoxError> {
    let (status, text) = request(addr, "POST", path, Some(token), Some(body.to_string())).await?;
    if !(200..300).contains(&status) {
        return Err(format!("POST {path} answered {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

/// One HTTP/1.1 request on its own connection (`Connection: close`): the demo
/// needs a handful of calls, not a client library.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<(u16, String), BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    let body = body.unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await??;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("the server's answer has no header end")?;
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or("the server's answer has no status")?;
    Ok((status, rest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_donations_are_valid_requests() {
        for _ in 0..200 {
            let d = donation();
            assert!(AMOUNTS.contains(&d["amount"].as_i64().unwrap()));
            assert_eq!(d["currency"], "EUR");
            assert!(d["anonymous"] == json!(true) || d["donor"].is_string(), "{d}");
        }
        assert!((0..100).all(|_| random(3) < 3));
    }
}
