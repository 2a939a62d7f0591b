//! `codexvm demo`: the main job, end to end on the default store — seed a realm of users, create
//! the recurring tax-collection task (the seed guide's batch codex), and run the scheduler until
//! one full cycle has charged every user, showing progress.

use std::process::ExitCode;

use clap::Args;

use crate::py::{Codex, RunOptions};
use crate::tasks::model::{StepSpec, TaskSpec};
use crate::tasks::{self, runner, scheduler};

use super::{state, task, StateArgs};

const SEED: &str = include_str!("../../codex_examples/seed_realm.py");
const FIXED: &str = include_str!("../../codex_examples/tax_collection_codex.py");
const ADAPTIVE: &str = include_str!("../../codex_examples/tax_collection_adaptive_codex.py");

/// Arguments of `codexvm demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Users in the realm (1 to 1,000,000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub users: u32,
    /// Use the adaptive batching helper instead of the fixed batch of 100.
    #[arg(long)]
    pub adaptive: bool,
    #[command(flatten)]
    pub state: StateArgs,
}

/// Runs the demo.
pub fn main(args: DemoArgs) -> ExitCode {
    if let Err(e) = state::open(&args.state) {
        eprintln!("codexvm: {e}");
        return ExitCode::from(2);
    }
    let name = if args.adaptive { "tax_collection_adaptive" } else { "tax_collection" };
    let seed = SEED.replace("USERS = 10_000", &format!("USERS = {}", args.users));
    println!("1. seeding the realm ({} users) with codex_examples/seed_realm.py", args.users);
    match tasks::execute(Codex { source: &seed, filename: "codex_examples/seed_realm.py" }, &RunOptions::default()) {
        Ok(x) if x.committed => println!("   {}", x.outcome.captured.stdout.trim()),
        Ok(x) => {
            eprintln!("{}", x.outcome.result.err().map(|e| e.traceback).unwrap_or_default());
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("codexvm: {e}");
            return ExitCode::from(2);
        }
    }
    let exists = scheduler::view(name, 0).is_ok();
    if exists {
        println!("2. task {name} exists: running its next cycle");
    } else {
        let file = if args.adaptive { "codex_examples/tax_collection_adaptive_codex.py" } else { "codex_examples/tax_collection_codex.py" };
        println!("2. creating task {name} from {file}, repeating every 60 s");
        let code = if args.adaptive { ADAPTIVE } else { FIXED };
        let step = StepSpec { codex_name: Some(name.into()), run_next_after: Some(0), ..StepSpec::code(code) };
        let spec = TaskSpec { name: name.into(), steps: vec![step], repeat_every: Some(60), ..Default::default() };
        if let Err(e) = scheduler::create(&spec, runner::now_s()) {
            eprintln!("codexvm: {e}");
            return ExitCode::from(1);
        }
    }
    println!("3. running the scheduler (simulated clock) until every user was charged once");
    let code = task::run(&task::RunArgs { name: name.into(), until_done: true, for_: None, max_executions: None });
    if code != ExitCode::SUCCESS {
        return code;
    }
    let summary = r#"
from ggg import Transfer, Treasury, User
result = {"users": User.count(), "transfers": Transfer.count(), "treasury_balance": Treasury["main"].balance}
"#;
    if let Ok(x) = tasks::execute(Codex { source: summary, filename: "<summary>" }, &RunOptions::default()) {
        if let Ok(json) = x.outcome.result {
            println!("4. realm after the cycle: {json}");
        }
    }
    println!("   inspect it with: scripts/codexvm task show {name}   (state: {})", args.state.state.display());
    ExitCode::SUCCESS
}
