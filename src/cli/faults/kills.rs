//! A batch task killed (SIGKILL) at random moments of its runs: after each kill the state file is
//! reopened and checked — every batch all or nothing, nobody charged twice, counters and the
//! treasury consistent — and in the end every user is charged exactly once per cycle.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Rng, Scratch};

const SEED: &str = include_str!("../../../codex_examples/seed_realm.py");
const CODEX: &str = include_str!("../../../codex_examples/tax_collection_codex.py");
const BATCH: u64 = 100;

/// Reads the realm's charges, per cycle, without writing anything.
const CHECK: &str = r#"from ggg import Transfer, Treasury, User
cycles = {}
for t in Transfer.instances():
    cycles.setdefault(t.tags, []).append(t.principal_from)
listed = sum(len(v) for v in cycles.values())
result = {
    "users": User.count(),
    "cycles": {k: [len(v), len(set(v))] for k, v in cycles.items()},
    "count": Transfer.count(),
    "listed": listed,
    "balance": Treasury["main"].balance,
    "sum": sum(t.amount for t in Transfer.instances()),
}
"#;

/// What the kills did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KillReport {
    /// Runs killed.
    pub kills: usize,
    /// Kills that landed while the run was still going (the others found it finished).
    pub mid_run: usize,
    /// Kills after which the reopened state was consistent.
    pub survived: usize,
    /// Users left uncharged in a finished cycle (must be 0).
    pub lost: u64,
    /// Extra charges (must be 0).
    pub duplicated: u64,
    /// What went wrong.
    pub failures: Vec<String>,
}

fn codexvm(exe: &Path, state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(exe);
    c.args(args).arg("--state").arg(state).stdin(Stdio::null());
    c
}

fn ok(mut c: Command) -> Result<String, String> {
    let out = c.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("{:?} exited with {}: {}", c, out.status, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Checks the state after a kill: returns (charged users of finished cycles missing, extra charges).
fn check(exe: &Path, dir: &Path, state: &Path, finished: bool) -> Result<(u64, u64), String> {
    let out = ok(codexvm(exe, state, &["run", dir.join("check.py").to_str().unwrap_or_default()]))?;
    let v: Value = serde_json::from_str(out.lines().last().unwrap_or("")).map_err(|e| format!("check: {e}: {out}"))?;
    let users = v["users"].as_u64().unwrap_or(0);
    let mut problems = Vec::new();
    if v["count"] != v["listed"] {
        problems.push(format!("Transfer.count() is {} but {} are stored", v["count"], v["listed"]));
    }
    if v["balance"] != v["sum"] {
        problems.push(format!("the treasury holds {} but the transfers add up to {}", v["balance"], v["sum"]));
    }
    let (mut lost, mut duplicated) = (0, 0);
    let cycles = v["cycles"].as_object().cloned().unwrap_or_default();
    let last = cycles.keys().max_by_key(|k| k.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok())).cloned();
    for (cycle, n) in &cycles {
        let (charges, distinct) = (n[0].as_u64().unwrap_or(0), n[1].as_u64().unwrap_or(0));
        duplicated += charges - distinct;
        let complete = Some(cycle) != last.as_ref() || finished;
        if complete && distinct != users {
            lost += users.saturating_sub(distinct);
            problems.push(format!("{cycle}: {distinct} of {users} users charged"));
        } else if distinct % BATCH != 0 && distinct != users {
            problems.push(format!("{cycle}: {distinct} users charged, not a whole number of batches"));
        }
    }
    if duplicated > 0 {
        problems.push(format!("{duplicated} users charged twice"));
    }
    if problems.is_empty() {
        Ok((lost, duplicated))
    } else {
        Err(problems.join("; "))
    }
}

/// Seeds `users` users, creates the tax task, kills `kills` runs of it at random moments, then
/// lets it finish its cycle. `exe` is the codexvm binary.
pub fn run(exe: &Path, users: usize, kills: usize, seed: u64) -> Result<KillReport, String> {
    let scratch = Scratch::new(&format!("kills-{seed}"))?;
    let dir = scratch.path().to_path_buf();
    let state = dir.join("s.stable");
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).map_err(|e| e.to_string());
    write("seed.py", &SEED.replace("USERS = 10_000", &format!("USERS = {users}")))?;
    write("tax.py", CODEX)?;
    write("check.py", CHECK)?;
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    ok(codexvm(exe, &state, &["run", &path("seed.py")]))?;
    // Retries: a run killed mid-execution leaves it claimed; the next run records it as failed
    // and retries the step.
    ok(codexvm(exe, &state, &["task", "create", "tax", &path("tax.py"), "--every", "60", "--retries", "1000"]))?;
    // Time one undisturbed cycle on a copy, to spread the kills over a run's whole length.
    let copy = dir.join("copy.stable");
    std::fs::copy(&state, &copy).map_err(|e| e.to_string())?;
    let t = Instant::now();
    ok(codexvm(exe, &copy, &["task", "run", "tax", "--until-done"]))?;
    let full = t.elapsed().as_millis().max(20) as u64;
    let mut rng = Rng::new(seed);
    let mut report = KillReport::default();
    for k in 0..kills {
        let mut child = codexvm(exe, &state, &["task", "run", "tax", "--until-done"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(rng.below(full + full / 4)));
        report.mid_run += matches!(child.try_wait(), Ok(None)) as usize;
        let _ = child.kill();
        let _ = child.wait();
        report.kills += 1;
        match check(exe, &dir, &state, false) {
            Ok((lost, duplicated)) => {
                report.survived += 1;
                report.lost += lost;
                report.duplicated += duplicated;
            }
            Err(e) => report.failures.push(format!("after kill {}: {e}", k + 1)),
        }
    }
    ok(codexvm(exe, &state, &["task", "run", "tax", "--until-done"]))?;
    match check(exe, &dir, &state, true) {
        Ok((lost, duplicated)) => {
            report.lost += lost;
            report.duplicated += duplicated;
        }
        Err(e) => report.failures.push(format!("after the last undisturbed run: {e}")),
    }
    Ok(report)
}
