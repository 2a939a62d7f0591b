//! `codexvm run FILE`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::db::policy::{self, ExecContext};
use crate::host;
use crate::py::{Codex, RunOptions};
use crate::tasks::{self, runner};

use super::{state, StateArgs};

/// Arguments of `codexvm run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The codex file to run.
    pub file: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
    /// Instruction budget, in percent of the 40 B message limit (as a task's executions have).
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub budget: u8,
}

/// Runs the codex; exit code 0 on success, 1 if it raised, 2 if it could not be run.
pub fn main(args: RunArgs) -> ExitCode {
    let source = match std::fs::read_to_string(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("codexvm: cannot read {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    if let Err(e) = state::open(&args.state) {
        eprintln!("codexvm: {e}");
        return ExitCode::from(2);
    }
    let filename = args.file.display().to_string();
    // The budget a task's execution has, enforced where a task's is.
    let budget = runner::budget_of(u64::from(args.budget), runner::MESSAGE_LIMIT);
    let previous = policy::set_context(ExecContext { budget: Some(budget), ..ExecContext::default() });
    host::with(|h| h.start_message());
    let exec = tasks::execute(Codex { source: &source, filename: &filename }, &RunOptions::default());
    policy::set_context(previous);
    let exec = match exec {
        Ok(x) => x,
        Err(e) => {
            eprintln!("codexvm: {e}");
            return ExitCode::from(2);
        }
    };
    let c = &exec.outcome.captured;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(c.stdout.as_bytes());
    let _ = out.flush();
    eprint!("{}", c.stderr);
    if c.dropped > 0 {
        eprintln!("{}", c.truncation_note());
    }
    match &exec.outcome.result {
        Ok(json) => {
            let _ = writeln!(out, "{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{}", e.traceback);
            eprintln!("codexvm: the codex raised {}; its store writes were rolled back", e.type_name);
            ExitCode::from(1)
        }
    }
}
