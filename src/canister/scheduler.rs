//! The scheduler's timers in the canister. A one-shot timer is armed for the next due step; its
//! tick claims the step (committed in the tick's own message) and runs it through a call to the
//! canister itself, so that a trap while running (the 40 B instruction limit, for one) comes
//! back to the tick as a rejection and is recorded at once. An async codex's calls are awaited
//! inside that run. A heartbeat re-arms the timer should a tick itself have been lost, and
//! reaps executions that an upgrade interrupted.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use ic_cdk::call::Call;
use ic_cdk_timers::TimerId;

use crate::tasks::model::{Claim, StepOutcome};
use crate::tasks::runner::{self, Progress, MESSAGE_LIMIT};
use crate::tasks::scheduler::{self as tasks_scheduler, TaskError};

/// How often the heartbeat checks that the timer is armed (seconds).
pub const HEARTBEAT_S: u64 = 60;
/// An execution in flight longer than this is taken as lost (a reply whose callback trapped
/// leaves its tick waiting forever).
pub const STALE_S: i64 = 24 * 3600;
/// The method the tick calls to run a claimed step (callable by the canister only).
pub const RUN_METHOD: &str = "run_claimed_step";

thread_local! {
    /// The one-shot timer armed for the next tick, and when it fires.
    static ARMED: RefCell<Option<(TimerId, i64)>> = const { RefCell::new(None) };
    /// Executions in flight (claimed, their run not yet answered): id -> since when (seconds).
    static LIVE: RefCell<BTreeMap<String, i64>> = const { RefCell::new(BTreeMap::new()) };
}

fn now_s() -> i64 {
    (ic_cdk::api::time() / 1_000_000_000) as i64
}

fn log(line: impl AsRef<str>) {
    ic_cdk::api::debug_print(format!("codexvm scheduler: {}", line.as_ref()));
}

/// Starts the heartbeat and ticks at once (after `init`/`post_upgrade`): the tick records
/// executions an upgrade interrupted, runs what is due and arms the timer for the next step.
pub fn start() {
    ic_cdk_timers::set_timer_interval_serial(Duration::from_secs(HEARTBEAT_S), async || heartbeat());
    set_tick(now_s(), now_s());
}

/// Longest wait of the one-shot timer. A step due later (tasks may name times up to the year
/// 2286) gets a tick that finds nothing due and arms again; a longer timer would trap, as the
/// IC's timers end at 2^64 ns.
const MAX_TIMER_WAIT_S: i64 = 366 * 86_400;

/// When the timer for a step due at `at` fires.
fn tick_time(at: i64, now: i64) -> i64 {
    at.clamp(now, now.saturating_add(MAX_TIMER_WAIT_S))
}

fn set_tick(at: i64, now: i64) {
    let at = tick_time(at, now);
    let id = ic_cdk_timers::set_timer(Duration::from_secs((at - now) as u64), tick());
    ARMED.with_borrow_mut(|a| {
        if let Some((old, _)) = a.replace((id, at)) {
            ic_cdk_timers::clear_timer(old);
        }
    });
}

/// Arms (or re-arms) the one-shot timer for the next due step; call after anything that changes
/// when a task is due.
pub fn arm() {
    let next = match tasks_scheduler::next_wakeup() {
        Ok(n) => n,
        Err(e) => {
            log(format!("cannot read the next wake-up: {e}"));
            Some(now_s() + HEARTBEAT_S as i64)
        }
    };
    let now = now_s();
    match next {
        Some(n) if ARMED.with_borrow(|a| a.is_some_and(|(_, at)| at == tick_time(n, now))) => {} // already armed
        Some(n) => set_tick(n, now),
        None => {
            if let Some((old, _)) = ARMED.with_borrow_mut(|a| a.take()) {
                ic_cdk_timers::clear_timer(old);
            }
        }
    }
}

fn heartbeat() {
    if ARMED.with_borrow(|a| a.is_none_or(|(_, at)| at < now_s())) {
        arm();
    }
}

/// The executions in flight (spared by the reaper).
fn live(now: i64) -> Vec<String> {
    LIVE.with_borrow(|l| l.iter().filter(|(_, since)| **since >= now - STALE_S).map(|(id, _)| id.clone()).collect())
}

/// Records executions that are running but not in flight (an upgrade interrupted them), claims
/// the next due step and runs it.
async fn tick() {
    ARMED.with_borrow_mut(|a| *a = None);
    let now = now_s();
    let claim = match tasks_scheduler::claim_with(now, &live(now), None) {
        Ok(Some(claim)) => claim,
        Ok(None) => return arm(),
        Err(e) => {
            log(format!("claim failed: {e}"));
            return set_tick(now + HEARTBEAT_S as i64, now);
        }
    };
    if claim.reaped > 0 {
        log(format!("{} interrupted execution(s) recorded as failed", claim.reaped));
    }
    LIVE.with_borrow_mut(|l| l.insert(claim.execution.clone(), now));
    arm(); // other due steps get ticks of their own
    dispatch(claim).await;
}

/// Runs a claimed step in a call to the canister itself and records a trap as a failure.
async fn dispatch(claim: Claim) {
    let arg = candid::encode_one(serde_json::to_string(&claim).expect("claim JSON")).expect("encode");
    let reply = Call::unbounded_wait(ic_cdk::api::canister_self(), RUN_METHOD).with_raw_args(&arg).await;
    LIVE.with_borrow_mut(|l| l.remove(&claim.execution));
    if let Err(e) = reply {
        let outcome = StepOutcome {
            execution: claim.execution.clone(),
            ok: false,
            result: None,
            error: Some(format!("the execution's message trapped, so none of its writes after its last commit point were kept: {e}")),
            logs: Vec::new(),
            instructions: 0,
        };
        if let Err(e) = tasks_scheduler::finish(&outcome, now_s()) {
            log(format!("recording execution {} failed: {e}", claim.execution));
        }
    }
    arm();
}

/// Runs a claimed step: its codex up to the end, awaiting each call an async codex yields, then
/// records the outcome (called by the tick, through a call to the canister itself).
#[ic_cdk::update(hidden = true)]
async fn run_claimed_step(claim_json: String) {
    if ic_cdk::api::msg_caller() != ic_cdk::api::canister_self() {
        ic_cdk::trap(format!("codexvm: {RUN_METHOD} is internal to the scheduler"));
    }
    let claim: Claim = serde_json::from_str(&claim_json).unwrap_or_else(|e| ic_cdk::trap(format!("codexvm: bad claim: {e}")));
    let mut progress = runner::start(&claim, MESSAGE_LIMIT);
    loop {
        match progress {
            Progress::Done(outcome) => {
                if let Err(e) = tasks_scheduler::finish(&outcome, now_s()) {
                    log(format!("recording execution {} failed: {e}", claim.execution));
                }
                return;
            }
            Progress::Calling(s) => {
                let c = s.call.clone();
                let reply = Call::bounded_wait(c.canister, &c.method)
                    .with_raw_args(&c.args)
                    .with_cycles(c.cycles)
                    .await
                    .map(|r| r.into_bytes())
                    .map_err(|e| e.to_string());
                progress = runner::resume(*s, reply, MESSAGE_LIMIT);
            }
        }
    }
}

/// Runs one task's due step now, in this message (for `execute_code`); None if it is not due.
pub fn run_now(task: &str) -> Result<Option<StepOutcome>, TaskError> {
    let now = now_s();
    let Some(claim) = tasks_scheduler::claim_with(now, &live(now), Some(task))? else { return Ok(None) };
    let Progress::Done(outcome) = runner::start(&claim, MESSAGE_LIMIT) else { unreachable!("a codex that is not async makes no calls") };
    tasks_scheduler::finish(&outcome, now_s())?;
    Ok(Some(outcome))
}
