//! Measures durable ingest without HTTP: CLIENTS tasks each submit donations
//! back to back to the ledger writer, as the donation endpoint does (group
//! commit, one fsync a batch, read model and hub updated, then the answer), on a
//! fresh log. Prints donations/s and CPU per donation, of the whole process and
//! of the writer thread alone: the figures of the write path that the load
//! generator and the HTTP stack do not blur.
//!
//!     cargo run --release --example ingest -- [DONATIONS=200000] [CLIENTS=32] [--keyed]
//!
//! The log goes in a temporary directory under `target/`, on the disk the
//! server's `./data` would be on (a tmpfs would make every fsync free).

mod common;

use cagnotte::domain::Timestamp;
use cagnotte::domain::state::{Command, Limits, Principal, State};
use cagnotte::hub::Hub;
use cagnotte::ledger::{self, Ledger, sqlite::Store};
use cagnotte::views::Views;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server's allocator, so that the write path costs what it costs in the server.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keyed = args.iter().any(|a| a == "--keyed");
    let mut numbers = args.iter().filter_map(|a| a.parse::<usize>().ok());
    let n = numbers.next().unwrap_or(200_000);
    let clients = numbers.next().unwrap_or(32).max(1);
    std::fs::create_dir_all("target").expect("target/");
    let dir = tempfile::tempdir_in("target").expect("a temporary directory under target/");

    let store = Store::open(dir.path()).expect("open the log");
    let clock = ledger::system_clock();
    let (ledger, _committed, writer) = ledger::start(
        store,
        State::new(Limits::default()),
        Arc::new(Views::default()),
        Arc::new(Hub::default()),
        clock,
    );
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    runtime.block_on(setup(&ledger));

    let (cpu, writer_cpu) = (process_cpu(), thread_cpu("ledger-writer"));
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let ledger = ledger.clone();
                tokio::spawn(async move {
                    for i in (c..n).step_by(clients) {
                        ledger.submit(donation(i, keyed)).await.expect("committed");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("a client task");
        }
    });
    let elapsed = started.elapsed();
    let (cpu, writer_cpu) = (process_cpu() - cpu, thread_cpu("ledger-writer") - writer_cpu);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "{n} donations{} from {clients} clients in {:.2} s: {:.0} donations/s; CPU per donation {:.1} µs (process), {:.1} µs (writer thread)",
        if keyed { " with idempotency keys" } else { "" },
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        per(cpu),
        per(writer_cpu),
    );
    drop(ledger);
    writer.join().expect("the writer thread");
}

/// One campaign whose sponsor doubles every donation, and its lives.
async fn setup(ledger: &Ledger) {
    let now = Timestamp::now();
    ledger.submit(Command::CreateCampaign(common::campaign(now))).await.expect("campaign");
    ledger.submit(Command::CreateMatch(common::sponsor_match(i64::MAX / 4, now))).await.expect("match");
    for l in 0..common::LIVES {
        ledger.submit(Command::CreateLive(common::live(l, now))).await.expect("live");
    }
}

/// The `i`th donation, as the donation endpoint would submit it (a fresh id).
fn donation(i: usize, keyed: bool) -> Command {
    let (donation, idempotency) = common::donation(i, cagnotte::secret::new_id(), keyed);
    Command::Donate { by: Principal::LiveKey(donation.live_id.to_string()), donation, idempotency, reward: None }
}

/// User and system time of this process so far.
fn process_cpu() -> Duration {
    stat_cpu("/proc/self/stat")
}

/// User and system time so far of this process's thread named `name`.
fn thread_cpu(name: &str) -> Duration {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    for t in tasks.flatten() {
        if std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name) {
            return stat_cpu(&t.path().join("stat").to_string_lossy());
        }
    }
    panic!("no thread named {name}");
}

/// utime + stime from a `/proc/.../stat` file, in clock ticks of 10 ms.
fn stat_cpu(path: &str) -> Duration {
    let stat = std::fs::read_to_string(path).expect("a /proc stat file");
    // The command name may hold spaces: the fields start after its closing parenthesis.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 10)
}
