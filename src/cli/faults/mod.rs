//! `codexvm bench faults`: hostile codexes, killed processes and random db operation sequences,
//! with what was stopped or survived and the entities lost or duplicated (which must be 0).

pub mod fuzz;
pub mod hostile;
pub mod kills;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// A deterministic random source (ChaCha20, as the runtime's own), so every run can be repeated
/// by its seed.
#[derive(Debug, Clone)]
pub struct Rng(ChaCha20Rng);

impl Rng {
    /// A source started from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(ChaCha20Rng::seed_from_u64(seed))
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.0.next_u64() % n
        }
    }
}

/// A scratch directory of this process, removed (with what is in it) when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    /// Creates `codexvm-<name>-<pid>` in the temporary directory.
    pub fn new(name: &str) -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("codexvm-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Arguments of `codexvm bench faults`.
#[derive(Debug, Clone, Args)]
pub struct FaultsArgs {
    /// Random db operation sequences to check against the model.
    #[arg(long, default_value_t = 500)]
    pub cases: usize,
    /// Longest sequence.
    #[arg(long, default_value_t = 40)]
    pub max_ops: usize,
    /// Runs of the batch task to kill.
    #[arg(long, default_value_t = 20)]
    pub kills: usize,
    /// Users of the realm the killed task charges.
    #[arg(long, default_value_t = 1_000)]
    pub users: usize,
    /// Seed of the fuzz cases and of the kill moments.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What was tried.
    pub what: String,
    /// How many.
    pub tried: usize,
    /// How many were stopped (hostile) or survived (faults) or matched the model (fuzz).
    pub held: usize,
    /// Entities lost.
    pub lost: u64,
    /// Entities duplicated.
    pub duplicated: u64,
}

/// The report as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut s =
        String::from("| check | tried | stopped / survived / matched | entities lost | entities duplicated |\n|---|---:|---:|---:|---:|\n");
    for r in rows {
        s.push_str(&format!("| {} | {} | {} | {} | {} |\n", r.what, r.tried, r.held, r.lost, r.duplicated));
    }
    s
}

/// Runs everything natively; `exe` is the codexvm binary used for the process-level checks.
pub fn run(args: &FaultsArgs, exe: PathBuf) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    match hostile::run() {
        Ok(r) => {
            rows.push(Row {
                what: "hostile codexes (as tasks, beside a victim task)".into(),
                tried: r.tried,
                held: r.stopped,
                lost: r.lost as u64,
                duplicated: r.kept_writes as u64,
            });
            failures.extend(r.failures);
        }
        Err(e) => failures.push(format!("hostile codexes: {e}")),
    }
    match hostile::memory_bombs(&exe) {
        Ok((tried, stopped, f)) => {
            rows.push(Row { what: "memory bombs (heap allowance)".into(), tried, held: stopped, lost: 0, duplicated: 0 });
            failures.extend(f);
        }
        Err(e) => failures.push(format!("memory bombs: {e}")),
    }
    match kills::run(&exe, args.users, args.kills, args.seed) {
        Ok(r) => {
            rows.push(Row {
                what: format!("SIGKILL at random moments of a batch task ({} users; {} mid-run)", args.users, r.mid_run),
                tried: r.kills,
                held: r.survived,
                lost: r.lost,
                duplicated: r.duplicated,
            });
            failures.extend(r.failures);
        }
        Err(e) => failures.push(format!("kills: {e}")),
    }
    match fuzz::run(args.seed, args.cases, args.max_ops) {
        Ok(r) => rows.push(Row {
            what: format!("db operation sequences vs model ({} ops, {} refused)", r.ops, r.refused),
            tried: r.cases,
            held: r.cases,
            lost: r.lost as u64,
            duplicated: r.duplicated as u64,
        }),
        Err(e) => failures.push(format!("db fuzz: {e}")),
    }
    (rows, failures)
}

/// `codexvm bench faults`.
pub fn main(args: FaultsArgs) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("codexvm bench faults: {e}");
            return ExitCode::from(2);
        }
    };
    let (rows, failures) = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || run(&args, exe))
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
    print!("{}", table(&rows));
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("FAILED: {f}");
        }
        ExitCode::from(1)
    }
}
