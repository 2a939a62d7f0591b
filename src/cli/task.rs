//! `codexvm task ...`: create, inspect, run and maintain tasks on the native store.
//!
//! `task run` drives the scheduler on a simulated clock (it jumps to the next due step instead
//! of waiting), persisted in the state file so that later commands continue from it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::db::grants;
use crate::host::{self, Clock, NativeHost};
use crate::store::StoreError;
use crate::tasks::manage;
use crate::tasks::model::{StepSpec, TaskSpec, TaskView};
use crate::tasks::runner::{self, MESSAGE_LIMIT};
use crate::tasks::scheduler::{self, TaskError};

use super::{state, StateArgs};

/// `codexvm task ...`
#[derive(Debug, Args)]
pub struct TaskArgs {
    #[command(subcommand)]
    what: TaskCommand,
    #[command(flatten)]
    state: StateArgs,
}

#[derive(Debug, Subcommand)]
enum TaskCommand {
    /// Create a task whose steps are the given codex files, in order.
    Create(CreateArgs),
    /// List the tasks with their status and progress.
    List,
    /// Show a task: status, schedule, progress, last executions and every record of its namespace.
    Show {
        /// The task.
        name: String,
        /// How many executions to show.
        #[arg(long, default_value_t = 10)]
        executions: u32,
    },
    /// Show the logs of a task's last executions.
    Logs {
        /// The task.
        name: String,
        /// How many executions.
        #[arg(long, default_value_t = 5)]
        last: u32,
    },
    /// Run the scheduler (simulated clock) until the task finishes a cycle, or for a while.
    Run(RunArgs),
    /// Cancel a task (no step runs until `start`).
    Stop {
        /// The task.
        name: String,
    },
    /// Resume a stopped, failed or completed task at its current step.
    Start {
        /// The task.
        name: String,
    },
    /// Delete every record of a task's namespace.
    Clear {
        /// The task.
        name: String,
    },
    /// Delete a task with its steps, schedule, executions and namespace.
    Delete {
        /// The task.
        name: String,
    },
    /// Let a task read (or also write) another task's namespace.
    Grant {
        /// The task that gets access.
        name: String,
        /// The other task (its namespace `task_<other>`).
        other: String,
        /// Writing too.
        #[arg(long)]
        write: bool,
    },
    /// Take a grant back.
    Revoke {
        /// The task.
        name: String,
        /// The other task.
        other: String,
    },
}

/// Why `codexvm task create` or `task run` stopped.
#[derive(Debug, thiserror::Error)]
enum CommandError {
    /// The scheduler refused or failed.
    #[error(transparent)]
    Task(#[from] TaskError),
    /// A codex file could not be read.
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    /// The simulated clock could not be saved.
    #[error("cannot save the simulated clock: {0}")]
    Clock(#[from] StoreError),
    /// More `--step-delay` values than steps after the first.
    #[error("{delays} --step-delay value(s) for {steps} step(s): give one per step after the first")]
    StepDelays { delays: usize, steps: usize },
    /// A number given to `task create` that the task's spec cannot hold.
    #[error("{option} {value} is out of range ({low} to {high})")]
    Range { option: &'static str, value: i64, low: u64, high: u64 },
    /// The next run is due after the simulated clock's last reading.
    #[error("the next run is due at {0} s since the epoch, past the simulated clock's range (64-bit nanoseconds end in the year 2554)")]
    PastClock(i64),
}

/// Arguments of `codexvm task create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The task's name (its namespace is `task_<name>`).
    pub name: String,
    /// One codex file per step.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Repeat every N seconds (0: run once).
    #[arg(long, default_value_t = 0)]
    pub every: i64,
    /// First run no earlier than this time (seconds since the epoch).
    #[arg(long, default_value_t = 0)]
    pub at: i64,
    /// First run N seconds from now.
    #[arg(long, default_value_t = 0)]
    pub after: i64,
    /// Delay before each step after the first (seconds), one value per step after the first.
    #[arg(long = "step-delay", value_delimiter = ',')]
    pub step_delays: Vec<i64>,
    /// Retries of a failed step.
    #[arg(long, default_value_t = 0)]
    pub retries: i64,
    /// Seconds before a retry.
    #[arg(long, default_value_t = 0)]
    pub retry_delay: i64,
    /// Instruction budget of each execution, in percent of the 40 B message limit.
    #[arg(long, default_value_t = 80)]
    pub budget: i64,
    /// How much one execution may grow the heap, in MiB.
    #[arg(long, default_value_t = 1024)]
    pub heap_mib: i64,
}

/// Arguments of `codexvm task run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The task.
    pub name: String,
    /// Run until the task completes a full pass (the batch cycle it reports with `progress`/`batch`,
    /// else one run of all its steps) or completes, fails or is stopped.
    #[arg(long, conflicts_with = "for_")]
    pub until_done: bool,
    /// Run for this long of (simulated) time: `90s`, `30m`, `2h`, `1d` (at most 100 years).
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub for_: Option<u64>,
    /// Stop after this many executions.
    #[arg(long)]
    pub max_executions: Option<u64>,
}

const CLOCK_KEY: &[u8] = b"clock";

/// Reads the simulated clock (ns) saved in the state, or the machine's time.
fn load_clock() -> u64 {
    crate::store::global::with(|s| s.get(grants::GRANTS_MAP, CLOCK_KEY))
        .ok()
        .flatten()
        .and_then(|v| v.try_into().ok().map(u64::from_le_bytes))
        .unwrap_or_else(|| host::with(|h| h.time_ns()))
}

fn save_clock(ns: u64) -> Result<(), StoreError> {
    crate::store::global::with(|s| -> Result<(), StoreError> {
        s.begin()?;
        s.put(grants::GRANTS_MAP, CLOCK_KEY, &ns.to_le_bytes())?;
        s.commit().map(drop)
    })
    .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

fn set_clock(ns: u64) {
    host::install(Box::new(NativeHost::new(Clock::Manual(ns))));
}

/// Longest `--for`, in seconds (100 years).
const MAX_FOR_S: u64 = 100 * 365 * 86_400;

/// Seconds of a duration written `N`, `Ns`, `Nm`, `Nh` or `Nd`.
fn parse_duration(s: &str) -> Result<u64, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit in {s:?}: write a whole number followed by s, m, h or d")),
    };
    let n: u64 = num.parse().map_err(|_| format!("{s:?} is not a whole number followed by s, m, h or d"))?;
    n.checked_mul(mult).filter(|&secs| secs <= MAX_FOR_S).ok_or_else(|| format!("{s:?} is longer than {MAX_FOR_S} seconds (100 years)"))
}

/// The simulated clock's reading (ns) at `secs` seconds since the epoch, if the clock reaches it.
fn clock_at(secs: i64) -> Option<u64> {
    u64::try_from(secs).ok()?.checked_mul(1_000_000_000)
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("codexvm task: {e}");
    ExitCode::from(1)
}

fn progress_line(view: &TaskView, executions: u64, elapsed_s: i64) -> String {
    let cycles = view.progress.as_ref().map_or(0, |p| p.cycles);
    let bar = match &view.progress {
        Some(p) if p.total > 0 => {
            // Between cycles `done` is back at 0: a finished cycle shows full.
            let done = if p.done == 0 && p.cycles > 0 { p.total } else { p.done };
            let width = 30;
            let filled = (done as usize * width / p.total as usize).min(width);
            format!("[{}{}] {done}/{}", "#".repeat(filled), ".".repeat(width - filled), p.total)
        }
        _ => String::from("[no progress reported]"),
    };
    format!("{bar}  cycles: {cycles}  executions: {executions}  status: {}  simulated time: +{elapsed_s}s", view.status)
}

fn run_inner(args: &RunArgs) -> Result<ExitCode, CommandError> {
    let name = args.name.clone();
    let view = scheduler::view(&name, 0)?;
    let start_cycles = view.progress.as_ref().map_or(0, |p| p.cycles);
    let limit_s = args.for_;
    let mut clock = load_clock();
    let began = clock;
    let tty = std::io::stdout().is_terminal();
    let mut executions = 0u64;
    let mut last_view = view;
    let mut cycle_ended = false;
    loop {
        set_clock(clock);
        let now = (clock / 1_000_000_000) as i64;
        if let Some(l) = limit_s {
            if (clock - began) / 1_000_000_000 >= l {
                break;
            }
        }
        match runner::tick(now, MESSAGE_LIMIT)? {
            Some((claim, outcome)) => {
                executions += 1;
                if !outcome.ok {
                    let why = outcome.error.as_deref().unwrap_or("").trim_end().lines().last().unwrap_or("").to_owned();
                    eprintln!(
                        "{}execution {} of task {} (step {}) failed: {why}",
                        if tty { "\n" } else { "" },
                        claim.execution,
                        claim.task,
                        claim.step
                    );
                }
                if claim.task == name {
                    last_view = scheduler::view(&name, 0)?;
                    // A task that reports no progress is done with a pass once its last step ran.
                    let steps = last_view.steps.len();
                    if last_view.progress.is_none() && claim.step as usize + 1 == steps && last_view.step_to_execute == 0 {
                        cycle_ended = true;
                    }
                    let line = progress_line(&last_view, executions, ((clock - began) / 1_000_000_000) as i64);
                    if tty {
                        print!("\r{line}");
                        let _ = std::io::stdout().flush();
                    } else {
                        println!("{line}");
                    }
                }
                // Each execution takes (simulated) time: a second per execution. The clock is
                // saved as it goes, so an interrupted run resumes at the same simulated time.
                clock = clock.saturating_add(1_000_000_000);
                save_clock(clock)?;
            }
            None => match scheduler::next_wakeup()? {
                Some(t) if limit_s.is_some() || args.until_done || args.max_executions.is_some() => {
                    let at = clock_at(t).ok_or(CommandError::PastClock(t))?;
                    clock = clock.max(at);
                }
                _ => break,
            },
        }
        let cycles = last_view.progress.as_ref().map_or(0, |p| p.cycles);
        if args.until_done
            && (cycles > start_cycles || cycle_ended || matches!(last_view.status.as_str(), "completed" | "failed" | "cancelled"))
        {
            break;
        }
        if args.max_executions.is_some_and(|m| executions >= m) {
            break;
        }
    }
    if tty {
        println!();
    }
    save_clock(clock)?;
    println!("{}", progress_line(&last_view, executions, ((clock - began) / 1_000_000_000) as i64));
    Ok(ExitCode::SUCCESS)
}

/// Runs the scheduler as `codexvm task run` does (the store must be open).
pub fn run(args: &RunArgs) -> ExitCode {
    set_clock(load_clock());
    run_inner(args).unwrap_or_else(fail)
}

/// `value` of `option` as the spec's type, if it fits (the scheduler checks the range it allows).
fn fits<T: TryFrom<i64> + Into<u64> + Bounded>(option: &'static str, value: i64) -> Result<T, CommandError> {
    T::try_from(value).map_err(|_| CommandError::Range { option, value, low: 0, high: T::MAX.into() })
}

/// The largest value of a spec's unsigned field type.
trait Bounded {
    const MAX: Self;
}
impl Bounded for u8 {
    const MAX: Self = u8::MAX;
}
impl Bounded for u32 {
    const MAX: Self = u32::MAX;
}
impl Bounded for u64 {
    const MAX: Self = u64::MAX;
}

fn create(a: &CreateArgs) -> Result<TaskView, CommandError> {
    if a.step_delays.len() >= a.files.len() {
        return Err(CommandError::StepDelays { delays: a.step_delays.len(), steps: a.files.len() });
    }
    let mut steps = Vec::new();
    for (i, f) in a.files.iter().enumerate() {
        let code = std::fs::read_to_string(f).map_err(|source| CommandError::Read { path: f.display().to_string(), source })?;
        let delay = if i == 0 { 0 } else { a.step_delays.get(i - 1).copied().unwrap_or(0) };
        // Stored per task, so that another task's `step.py` is another codex.
        let stem = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        steps.push(StepSpec {
            code: Some(code),
            codex_name: Some(format!("{}/{stem}", a.name)),
            run_next_after: Some(fits("--step-delay", delay)?),
        });
    }
    let spec = TaskSpec {
        name: a.name.clone(),
        steps,
        repeat_every: Some(fits("--every", a.every)?),
        run_at: Some(fits("--at", a.at)?),
        run_after: Some(fits("--after", a.after)?),
        max_retries: Some(fits("--retries", a.retries)?),
        retry_delay: Some(fits("--retry-delay", a.retry_delay)?),
        budget_percent: Some(fits("--budget", a.budget)?),
        heap_mib: Some(fits("--heap-mib", a.heap_mib)?),
        metadata: None,
    };
    let now = (load_clock() / 1_000_000_000) as i64;
    Ok(scheduler::create(&spec, now)?)
}

/// Entry point of `codexvm task`.
pub fn main(args: TaskArgs) -> ExitCode {
    if let Err(e) = state::open(&args.state) {
        eprintln!("codexvm: {e}");
        return ExitCode::from(2);
    }
    set_clock(load_clock());
    let now = || (load_clock() / 1_000_000_000) as i64;
    let result = match &args.what {
        TaskCommand::Create(a) => {
            return create(a).map_or_else(fail, |v| {
                println!("created task {} ({} step(s)); first run at {}", a.name, a.files.len(), v.next_run_at);
                ExitCode::SUCCESS
            })
        }
        TaskCommand::List => scheduler::list().map(|tasks| {
            for t in tasks {
                let prog = t.progress.map(|p| format!("  {}/{} (cycles {})", p.done, p.total, p.cycles)).unwrap_or_default();
                println!("{:<24} {:<10} next run {:<12} executions {}{prog}", t.name, t.status, t.next_run_at, t.executions_total);
            }
            ExitCode::SUCCESS
        }),
        TaskCommand::Show { name, executions } => manage::document(name, *executions).map(|v| {
            print_json(&v);
            ExitCode::SUCCESS
        }),
        TaskCommand::Logs { name, last } => scheduler::view(name, *last).map(|v| {
            for e in v.executions {
                println!("--- execution {} (step {}) {} at {}, {} instructions", e.id, e.step, e.status, e.started_at, e.instructions);
                println!("{}", e.logs);
                println!("result: {}", e.result);
            }
            ExitCode::SUCCESS
        }),
        TaskCommand::Run(a) => return run_inner(a).unwrap_or_else(fail),
        TaskCommand::Stop { name } => scheduler::stop(name).map(|_| {
            println!("task {name} cancelled");
            ExitCode::SUCCESS
        }),
        TaskCommand::Start { name } => scheduler::start(name, now()).map(|_| {
            println!("task {name} resumed");
            ExitCode::SUCCESS
        }),
        TaskCommand::Clear { name } => scheduler::clear(name).map(|v| {
            println!("removed {v} keys of namespace task_{name}");
            ExitCode::SUCCESS
        }),
        TaskCommand::Delete { name } => manage::delete(name).map(|v| {
            println!("deleted task {name} ({v} namespace keys)");
            ExitCode::SUCCESS
        }),
        TaskCommand::Grant { name, other, write } => manage::grant(name, other, *write).map(|g| {
            println!("task {name} grants: {}", serde_json::to_string(&g).unwrap_or_default());
            ExitCode::SUCCESS
        }),
        TaskCommand::Revoke { name, other } => manage::revoke(name, other).map(|g| {
            println!("task {name} grants: {}", serde_json::to_string(&g).unwrap_or_default());
            ExitCode::SUCCESS
        }),
    };
    result.unwrap_or_else(fail)
}
