//! `edge check`: one line per check (profile, camera, GPIO, bundle, folders), exit code 1
//! if any failed.

use std::path::PathBuf;
use std::process::ExitCode;

use edge::clock::MonotonicClock;
use edge::line::Backend;
use edge::source::SourceSpec;
use edge::station::check::{check_board, CheckOptions, Status};

/// `edge check` options.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Board profile to check.
    #[arg(long)]
    board: PathBuf,
    /// Also build the inspector from this bundle.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Probe this source instead of the profile's camera.
    #[arg(long)]
    source: Option<SourceSpec>,
    /// Open this GPIO backend instead of the profile's.
    #[arg(long)]
    gpio: Option<Backend>,
    /// Check this verdict log path instead of the profile's.
    #[arg(long)]
    log: Option<PathBuf>,
}

/// Runs `edge check`: prints every check, fails if any did.
pub fn run(args: CheckArgs) -> ExitCode {
    let options = CheckOptions {
        board: args.board,
        bundle: args.bundle,
        source: args.source,
        gpio: args.gpio,
        log: args.log,
    };
    let lines = check_board(&options, &MonotonicClock::shared());
    for line in &lines {
        println!("{line}");
    }
    let failed = lines.iter().filter(|l| l.status == Status::Fail).count();
    if failed == 0 {
        println!("ready: every check passed");
        ExitCode::SUCCESS
    } else {
        println!("not ready: {failed} check(s) failed");
        ExitCode::FAILURE
    }
}
