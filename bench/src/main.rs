//! Cagnotte's benchmark harness.
//!
//! `cagnotte-bench run --mode quick|full|smoke` starts Cagnotte, the Node.js `ws`
//! peer and nats-server one after the other, drives the same workloads against
//! each with fleets of subscriber processes (`cagnotte-bench sub`), samples the
//! server from /proc, and writes BENCHMARKS.md, a p99 plot and the raw JSON.
//! Run it from the repository root (bench/run.sh does).

mod flame;
mod fleet;
mod floor;
mod post;
mod proto;
mod report;
mod run;
mod servers;
mod sub;
mod wsclient;

use proto::{Proto, Result};
use std::path::PathBuf;

const USAGE: &str = "usage: cagnotte-bench run [--mode quick|full|smoke] [--servers cagnotte,ws,nats] \
[--workloads w1,w2,w3,w4,w5,w6,w7] [--sizes 1000,2000] [--rates 1,10,100] [--secs S] [--repeat R] [--w3-step 500] [--w5-clients 32,128] [--w5-rounds 3] [--w5-subs 1000] [--w5-rates 500,1000] [--w5-spread 100] [--w5-spread-rates 5000,10000] \
[--replay-log EVENTS:DIR] [--replay-keyed-log EVENTS:DIR] [--out BENCHMARKS.md] [--svg docs/bench-p99.svg] [--json target/bench/results.json] [--cagnotte PATH]
       cagnotte-bench report --json FILE [--out FILE] [--svg FILE]
       cagnotte-bench flame PERF_SCRIPT_OUTPUT OUT.svg
       cagnotte-bench sub   (internal: a subscriber process)
       cagnotte-bench floor-write N RATE SECS BYTES | floor-read PORT BIND COUNT   (internal: the floor)";

fn list<T: std::str::FromStr>(v: &str) -> Result<Vec<T>> {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse().map_err(|_| format!("bad value {s:?}").into()))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.first().map(String::as_str) {
        Some("sub") => sub::main(),
        Some("run") => cli_run(&args[1..]),
        Some("report") => cli_report(&args[1..]),
        Some("flame") => flame::main(&args[1..]),
        Some("floor-write") => floor::write_main(&args[1..]),
        Some("floor-read") => floor::read_main(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = r {
        eprintln!("cagnotte-bench: {e}");
        std::process::exit(1);
    }
}

struct Outputs {
    out: PathBuf,
    svg: PathBuf,
    json: PathBuf,
}

fn cli_report(args: &[String]) -> Result<()> {
    let mut o = Outputs {
        out: "BENCHMARKS.md".into(),
        svg: "docs/bench-p99.svg".into(),
        json: "target/bench/results.json".into(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().ok_or(USAGE)?;
        match a.as_str() {
            "--out" => o.out = v.into(),
            "--svg" => o.svg = v.into(),
            "--json" => o.json = v.into(),
            _ => return Err(USAGE.into()),
        }
    }
    let res: run::Results = serde_json::from_str(&std::fs::read_to_string(&o.json)?)?;
    write_outputs(&res, &o)
}

fn write_outputs(res: &run::Results, o: &Outputs) -> Result<()> {
    for p in [&o.out, &o.svg, &o.json] {
        if let Some(d) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d)?;
        }
    }
    std::fs::write(&o.json, serde_json::to_string_pretty(res)?)?;
    std::fs::write(&o.svg, report::svg(res))?;
    let rel_svg = o.svg.to_string_lossy().to_string();
    std::fs::write(&o.out, report::markdown(res, &rel_svg))?;
    eprintln!("wrote {}, {} and {}", o.out.display(), o.svg.display(), o.json.display());
    Ok(())
}

fn cli_run(args: &[String]) -> Result<()> {
    let mut mode = "quick".to_string();
    let mut it = args.iter();
    let mut pairs = Vec::new();
    while let Some(a) = it.next() {
        let v = it.next().ok_or(USAGE)?.clone();
        if a == "--mode" {
            mode = v;
        } else {
            pairs.push((a.clone(), v));
        }
    }
    let mut opts = run::Opts::preset(&mode);
    let mut o = Outputs {
        out: "BENCHMARKS.md".into(),
        svg: "docs/bench-p99.svg".into(),
        json: "target/bench/results.json".into(),
    };
    let work = std::env::temp_dir().join(format!("cagnotte-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut paths = servers::Paths {
        cagnotte: "target/release/cagnotte".into(),
        node_server: "bench/peers/server.js".into(),
        nats_conf: "bench/peers/nats.conf".into(),
        nats_bin: which("nats-server").unwrap_or_else(|| "/usr/sbin/nats-server".into()),
        work: work.clone(),
    };
    for (a, v) in pairs {
        match a.as_str() {
            "--servers" => {
                opts.servers = v
                    .split(',')
                    .map(|s| match s {
                        "cagnotte" => Ok(Proto::Cagnotte),
                        "ws" | "node-ws" => Ok(Proto::Ws),
                        "nats" | "nats-server" => Ok(Proto::Nats),
                        _ => Err(format!("unknown server {s}")),
                    })
                    .collect::<std::result::Result<_, _>>()?
            }
            "--workloads" => opts.workloads = list(&v)?,
            "--sizes" => opts.sizes = list(&v)?,
            "--rates" => opts.rates = list(&v)?,
            "--secs" => opts.secs = v.parse()?,
            "--repeat" => opts.repeat = v.parse()?,
            "--w3-step" => opts.w3_step = v.parse()?,
            "--w5-clients" => opts.w5_clients = list(&v)?,
            "--w5-rounds" => opts.w5_rounds = v.parse()?,
            "--w5-subs" => opts.w5_subs = v.parse()?,
            "--w5-rates" => opts.w5_rates = list(&v)?,
            "--w5-spread" => opts.w5_spread = v.parse()?,
            "--w5-spread-rates" => opts.w5_spread_rates = list(&v)?,
            "--out" => o.out = v.into(),
            "--svg" => o.svg = v.into(),
            "--json" => o.json = v.into(),
            "--cagnotte" => paths.cagnotte = v.into(),
            "--replay-log" | "--replay-keyed-log" => {
                let (events, dir) = v.split_once(':').ok_or("--replay-log takes EVENTS:DIR")?;
                let log = Some((dir.into(), events.parse()?));
                if a == "--replay-log" {
                    opts.replay_log = log;
                } else {
                    opts.replay_keyed_log = log;
                }
            }
            _ => return Err(USAGE.into()),
        }
    }
    let command = std::env::var("BENCH_COMMAND").unwrap_or_else(|_| format!("cagnotte-bench run {}", args.join(" ")));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let started = report::now_utc();
    let clock = std::time::Instant::now();
    let probe_before = report::speed_probe();
    let disk_before = report::disk_probe(&work);
    let mut res = rt.block_on(run::run(&opts, &paths, command))?;
    res.started = started;
    res.minutes = clock.elapsed().as_secs_f64() / 60.0;
    res.machine = report::machine();
    res.machine.push((
        "speed probe: a fixed single-thread loop, before and after the run (lower is faster; compares runs on this shared machine)".into(),
        format!("{probe_before:.0} ms, {:.0} ms", report::speed_probe()),
    ));
    let disk = |p: std::io::Result<(f64, f64)>| match p {
        Ok((median, p90)) => format!("median {median:.2} ms, p90 {p90:.2} ms"),
        Err(e) => format!("failed: {e}"),
    };
    res.machine.push((
        "disk probe: a 4 KiB overwrite then `fdatasync`, 100 times, before and after the run (the durable workloads follow it)"
            .into(),
        format!("{}; {}", disk(disk_before), disk(report::disk_probe(&work))),
    ));
    let _ = std::fs::remove_dir_all(&work);
    write_outputs(&res, &o)?;
    if !res.problems.is_empty() {
        for p in &res.problems {
            eprintln!("PROBLEM: {p}");
        }
        return Err(format!("{} problem(s) found", res.problems.len()).into());
    }
    Ok(())
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.exists())
}
