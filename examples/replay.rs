//! Measures start-up replay: writes N donation events (spread over 100 lives of
//! one campaign, with a sponsor match) into a fresh log, then times opening it
//! (read + fold) and filling the read model, as the server does on start.
//!
//!     cargo run --release --example replay -- 1000000 [DIR] [--keyed]
//!
//! With DIR, the log is kept there, and a log already in DIR is replayed as it is
//! (to profile the replay alone). With `--keyed`, every donation carries an
//! idempotency key, as those from integrations do.

mod common;

use cagnotte::domain::Timestamp;
use cagnotte::domain::state::{Command, Decision, Event, Limits, Principal, State};
use cagnotte::hub::Hub;
use cagnotte::ledger::sqlite::{Row, Store};
use cagnotte::views::Views;
use std::time::Instant;

/// The server's allocator, so that the stages cost what they cost in the server.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keyed = args.iter().any(|a| a == "--keyed");
    let mut args = args.into_iter().filter(|a| a != "--keyed");
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let kept = args.next().map(std::path::PathBuf::from);
    if let Some(dir) = kept.as_deref().filter(|d| cagnotte::ledger::sqlite::db_path(d).exists()) {
        replay(dir);
        return;
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = kept.unwrap_or_else(|| temp.path().to_owned());
    let mut state = State::new(Limits::default());
    let mut store = Store::open(&dir).expect("open");
    let mut rows = Vec::new();
    let now = Timestamp::now();
    let push = |state: &mut State, rows: &mut Vec<Row>, cmd: Command| {
        if let Ok(Decision::Append(fact)) = state.decide(&cmd) {
            let ev = Event { seq: state.last_seq + 1, at: now, fact };
            state.apply(&ev).expect("fold");
            rows.push(Row { event: ev, live_id: None, campaign_id: None, frame: None });
        }
    };
    push(&mut state, &mut rows, Command::CreateCampaign(common::campaign(now)));
    push(&mut state, &mut rows, Command::CreateMatch(common::sponsor_match(1_000_000, now)));
    for l in 0..common::LIVES {
        push(&mut state, &mut rows, Command::CreateLive(common::live(l, now)));
    }
    let started = Instant::now();
    for i in 0..n {
        let (donation, idempotency) = common::donation(i, format!("d{i}"), keyed);
        let by = Principal::LiveKey(donation.live_id.to_string());
        push(&mut state, &mut rows, Command::Donate { by, donation, idempotency, reward: None });
        if rows.len() >= 10_000 {
            store.append(&rows).expect("append");
            rows.clear();
        }
    }
    store.append(&rows).expect("append");
    drop(store);
    println!("wrote {} events in {:.2} s", state.last_seq, started.elapsed().as_secs_f64());

    assert_eq!(replay(&dir), state, "replay gives the state the writer had");
}

/// Opens the log in `dir` as the server does on start (read, fold, read model),
/// prints the time of each stage, and returns the replayed state.
fn replay(dir: &std::path::Path) -> State {
    let started = Instant::now();
    let (_store, replayed) = cagnotte::ledger::open(dir, Limits::default()).expect("replay");
    let folded = started.elapsed();
    cagnotte::ledger::load_views(&replayed, &Views::default(), &Hub::default());
    let total = started.elapsed();
    println!(
        "replayed {} events: read and fold {:.2} s, read model {:.2} s, total {:.2} s ({:.0} events/s)",
        replayed.last_seq,
        folded.as_secs_f64(),
        (total - folded).as_secs_f64(),
        total.as_secs_f64(),
        replayed.last_seq as f64 / total.as_secs_f64()
    );
    replayed
}
