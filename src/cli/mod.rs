//! Layer 7: the native command-line runner.

pub mod bench;
mod canister_bench;
pub mod db;
mod demo;
pub mod faults;
mod native;
pub mod pytest;
mod python_bench;
mod run;
mod state;
pub mod task;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Default location of the state file (the native stable memory).
pub const DEFAULT_STATE: &str = ".codexvm/state.stable";

/// codexvm: run Python codexes against a persistent stable-memory store.
#[derive(Debug, Parser)]
#[command(name = "codexvm", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a codex file once: its store writes commit only if it finishes without an exception.
    Run(run::RunArgs),
    /// Run a Python test suite (pytest / unittest style) by pytest's rules.
    Test(pytest::TestArgs),
    /// Benchmarks (tables for the README).
    Bench(bench::BenchArgs),
    /// Export or import the kybra_simple_db database as JSON.
    Db(db::DbArgs),
    /// Create, inspect, run and maintain tasks.
    Task(task::TaskArgs),
    /// The main job: seed a realm, create the tax-collection task, run one full cycle.
    Demo(demo::DemoArgs),
}

/// Options shared by commands that open the store.
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The state file (created if missing).
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_STATE, env = "CODEXVM_STATE")]
    pub state: PathBuf,
    /// Seed of the random source (`random`, `uuid4`, `os.urandom`); fixed by default.
    #[arg(long, global = true, value_name = "N", conflicts_with = "random")]
    pub seed: Option<u64>,
    /// Seed the random source from the operating system instead of a fixed seed.
    #[arg(long, global = true)]
    pub random: bool,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // Die quietly when the reader of our output goes away (`codexvm task show x | head`).
    // SAFETY: setting a signal disposition to the default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Test(args) => pytest::main(args),
        Command::Bench(args) => bench::main(args),
        Command::Db(args) => db::main(args),
        Command::Task(args) => task::main(args),
        Command::Demo(args) => demo::main(args),
    }
}
