use cagnotte::config::{Cmd, Config};
use clap::Parser;
use std::io::Write;
use tracing_subscriber::EnvFilter;

/// Many threads allocate small, short-lived buffers (requests, frames, answers):
/// mimalloc serves them from per-thread pages instead of glibc's shared arenas.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut config = Config::parse();
    let cmd = config.cmd.take();
    let filter = match EnvFilter::try_new(&config.log) {
        Ok(filter) => filter,
        Err(err) => {
            // As clap says a bad value: exit 2, nothing started.
            let _ = writeln!(std::io::stderr(), "error: invalid value '{}' for '--log <LOG>': {err}", config.log);
            return std::process::ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        // A log line that cannot be written (stderr's reader gone: a closed
        // pipe, a logged-out terminal) is dropped. Reporting it would panic the
        // task that logged, which stops signals from being heard and backups
        // from being taken.
        .log_internal_errors(false)
        .init();
    if let Some(Cmd::Backup(args)) = &cmd {
        // No listener: the server may be running on this data directory.
        return match cagnotte::app::backup(&config, &args.to) {
            Ok(done) => {
                let _ = writeln!(std::io::stdout(), "{done}");
                std::process::ExitCode::SUCCESS
            }
            Err(err) => {
                tracing::error!(%err, "backup failed");
                std::process::ExitCode::FAILURE
            }
        };
    }
    // A file-size limit (RLIMIT_FSIZE) must fail the write, which the ledger
    // answers with 503 and survives, instead of killing the process.
    #[cfg(target_os = "linux")]
    let _xfsz = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(25));
    let listener = match cagnotte::app::listen(&config.listen).await {
        Ok(l) => l,
        Err(err) => {
            tracing::error!(%err, listen = %config.listen, "cannot listen");
            return std::process::ExitCode::FAILURE;
        }
    };
    // `listening on …` is logged once the log is replayed and the server serves.
    let served = match cmd {
        Some(Cmd::Demo(args)) => cagnotte::demo::run(listener, config, args, cagnotte::app::shutdown_signal()).await,
        Some(Cmd::Backup(_)) => Ok(()),
        None => cagnotte::app::run(listener, config, cagnotte::app::shutdown_signal()).await,
    };
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(%err, "server failed");
            std::process::ExitCode::FAILURE
        }
    }
}
