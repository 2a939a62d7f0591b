//! The example codexes of `codex_examples/`, run unchanged as tasks in the built canister (test
//! host), their timers firing as the clock advances; what they wrote is checked through the
//! canister's own endpoints.

use crate::support::canister::{advance, create, installed, result_of, run, state, StepSpec, TaskSpec, TaskState};
use crate::support::repo;
use codexvm_host::Canister;
use serde_json::Value;

fn example(file: &str) -> String {
    std::fs::read_to_string(repo(&format!("codex_examples/{file}"))).expect("read example")
}

/// A canister with `users` users (and, if given, `(proposals, voters)` of governance data).
fn seeded(users: usize, governance: Option<(usize, usize)>) -> Canister {
    let mut c = installed();
    let seed = example("seed_realm.py").replace("USERS = 10_000", &format!("USERS = {users}"));
    let r = run(&mut c, &seed);
    assert!(r.success, "{:?}", r.error);
    if let Some((p, v)) = governance {
        let seed = example("seed_governance.py")
            .replace("PROPOSALS = 20", &format!("PROPOSALS = {p}"))
            .replace("VOTERS = 50", &format!("VOTERS = {v}"));
        let r = run(&mut c, &seed);
        assert!(r.success, "{:?}", r.error);
    }
    c
}

fn create_example(c: &mut Canister, name: &str, file: &str, every: Option<u64>) {
    let steps = vec![StepSpec { code: Some(example(file)), codex_name: Some(file.trim_end_matches(".py").into()), ..Default::default() }];
    create(c, &TaskSpec { name: name.into(), steps, repeat_every: every, ..Default::default() });
}

/// Advances a minute at a time until the task has completed `cycles` cycles; every execution
/// must have succeeded.
fn run_cycles(c: &mut Canister, name: &str, cycles: u64) -> TaskState {
    for _ in 0..100 {
        advance(c, 60);
        let s = state(c, name);
        for e in &s.task.executions {
            assert_eq!(e.status, "completed", "{name}: {}", e.result);
        }
        if s.task.progress.as_ref().is_some_and(|p| p.cycles >= cycles) {
            return s;
        }
    }
    panic!("{name} did not complete {cycles} cycle(s) in 100 minutes");
}

fn records(s: &TaskState) -> Value {
    serde_json::from_str(&s.records_json).expect("records JSON")
}

fn counters(s: &TaskState) -> Value {
    serde_json::from_str(&s.counters_json).expect("counters JSON")
}

/// The record of `ty` whose alias is `alias`.
fn by_alias(r: &Value, ty: &str, alias: &str) -> Value {
    let id = r[format!("{ty}_alias")][alias].as_str().unwrap_or_else(|| panic!("no {alias} in {ty}: {r}"));
    r[ty][id].clone()
}

fn income(i: i64) -> i64 {
    1_000 + (i * 37) % 9_000
}

#[test]
fn batch_processing_counts_every_user_once_per_cycle() {
    let mut c = seeded(250, None);
    create_example(&mut c, "batch", "batch_processing_codex.py", Some(60));
    let s = run_cycles(&mut c, "batch", 2);
    let r = records(&s);
    for cycle in ["cycle_1", "cycle_2"] {
        let v: Value = serde_json::from_str(by_alias(&r, "task_batch::ProcessingState", cycle)["value"].as_str().unwrap()).unwrap();
        assert_eq!(v["processed"], 250, "{cycle}: {v}");
        assert_eq!(v["income_total"], (0..250).map(income).sum::<i64>());
    }
}

#[test]
fn multi_state_logs_each_invalid_vote_once() {
    let mut c = seeded(30, Some((4, 10)));
    create_example(&mut c, "audit", "multi_state_codex.py", Some(60));
    let s = run_cycles(&mut c, "audit", 2);
    let n = counters(&s);
    assert_eq!((n["task_audit::BatchState_count"].as_str(), n["task_audit::ErrorLog_count"].as_str()), (Some("1"), Some("2")), "{n}");
}

#[test]
fn governance_automation_closes_each_due_proposal_once() {
    let mut c = seeded(30, Some((12, 10)));
    create_example(&mut c, "governance", "governance_automation_codex.py", Some(60));
    run_cycles(&mut c, "governance", 1);
    let closed = result_of(
        &mut c,
        "from ggg import Proposal\nresult = sorted(p.proposal_id for p in Proposal.instances() if p.status in ('accepted', 'rejected'))",
    );
    assert_eq!(closed, r#"["prop_000", "prop_002", "prop_004", "prop_006", "prop_008", "prop_010"]"#);
    let s = state(&mut c, "governance");
    assert_eq!(counters(&s)["task_governance::ClosedProposal_count"], "6");
}

#[test]
fn social_benefits_pay_each_eligible_user_once() {
    let mut c = seeded(250, None);
    result_of(&mut c, "from ggg import Treasury\nTreasury['main'].balance = 100_000");
    create_example(&mut c, "benefits", "social_benefits_codex.py", Some(60));
    run_cycles(&mut c, "benefits", 1);
    advance(&mut c, 600); // later in the month nothing more is paid
    let eligible = (0..250).filter(|&i| income(i) < 2_000).count();
    let paid = result_of(&mut c, "from ggg import Transfer, Treasury\nts = [t for t in Transfer.instances() if t.tags.startswith('benefit ')]\nresult = [len(ts), len(set(t.principal_to for t in ts)), Treasury['main'].balance]");
    assert_eq!(paid, format!("[{eligible}, {eligible}, {}]", 100_000 - 50 * eligible));
}

#[test]
fn async_raw_rand_draws_with_the_management_canisters_randomness() {
    let mut c = seeded(20, None);
    create_example(&mut c, "draw", "async_raw_rand_codex.py", None);
    advance(&mut c, 5);
    let s = state(&mut c, "draw");
    let e = s.task.executions.last().expect("an execution");
    assert_eq!(e.status, "completed", "{}", e.result);
    let draw = records(&s)["task_draw::RandomDraw"]["1"].clone();
    assert_eq!(draw["byte_count"], 32, "{draw}");
    assert_eq!(draw["random_hex"].as_str().map(str::len), Some(64));
}
