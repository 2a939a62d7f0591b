//! Codex timers in the canister: `ic.set_timer` and `ic.set_timer_interval` become IC timers
//! that run their callback in a message of their own, atomically.

use crate::support::canister;

use std::time::Duration;

use canister::{installed, module, result_of, run};

const COUNT_REALMS: &str = "from ggg import Realm\nresult = sorted(r.name for r in Realm.instances())";

#[test]
fn a_timer_fires_in_its_own_message_with_the_codex_globals() {
    let mut c = installed();
    let set = "from kybra import ic\nfrom ggg import Realm\nNAME = 'made by a timer'\ndef later():\n    Realm(name=NAME)\nresult = ic.set_timer(30, later)";
    let id: u64 = result_of(&mut c, set).parse().unwrap();
    assert!(id > 0);
    c.advance_time(Duration::from_secs(10));
    assert_eq!(result_of(&mut c, COUNT_REALMS), "[]", "not due yet");
    let reports = c.advance_time(Duration::from_secs(25));
    assert!(reports.iter().all(|r| r.result.is_ok()), "{:?}", reports.iter().map(|r| &r.result).collect::<Vec<_>>());
    assert_eq!(result_of(&mut c, COUNT_REALMS), r#"["made by a timer"]"#);
    c.advance_time(Duration::from_secs(60));
    assert_eq!(result_of(&mut c, COUNT_REALMS), r#"["made by a timer"]"#, "a one-shot timer fires once");
}

#[test]
fn an_interval_timer_repeats_until_cleared_and_a_raising_callback_keeps_nothing() {
    let mut c = installed();
    let set = "from kybra import ic\nfrom ggg import Realm\nstate = {'n': 0}\ndef tick():\n    state['n'] += 1\n    Realm(name='tick %d' % state['n'])\n    if state['n'] == 2:\n        raise RuntimeError('the second tick fails')\nresult = ic.set_timer_interval(10, tick)";
    let id: u64 = result_of(&mut c, set).parse().unwrap();
    for _ in 0..3 {
        c.advance_time(Duration::from_secs(10));
    }
    assert_eq!(result_of(&mut c, COUNT_REALMS), r#"["tick 1", "tick 3"]"#, "tick 2 raised: its Realm is gone");
    assert!(c.debug_log().iter().any(|l| l.contains("RuntimeError: the second tick fails")), "{:?}", c.debug_log());
    result_of(&mut c, &format!("from kybra import ic\nic.clear_timer({id})"));
    for _ in 0..3 {
        c.advance_time(Duration::from_secs(10));
    }
    assert_eq!(result_of(&mut c, COUNT_REALMS), r#"["tick 1", "tick 3"]"#, "cleared");
}

#[test]
fn timers_are_gone_after_an_upgrade_and_tasks_may_not_set_them() {
    let mut c = installed();
    result_of(&mut c, "from kybra import ic\nfrom ggg import Realm\nic.set_timer(30, lambda: Realm(name='never'))");
    let up = c.upgrade(module(), &candid::encode_args(()).unwrap());
    assert!(up.result.is_ok(), "{:?}", up.result);
    c.advance_time(Duration::from_secs(60));
    assert_eq!(result_of(&mut c, COUNT_REALMS), "[]");
    let spec = canister::TaskSpec {
        name: "sneaky".into(),
        steps: vec![canister::StepSpec { code: Some("from kybra import ic\nic.set_timer(1, lambda: None)".into()), ..Default::default() }],
        ..Default::default()
    };
    let made: Result<candid::Reserved, String> = c.update("create_task", &candid::encode_one(&spec).unwrap()).decode();
    made.unwrap();
    c.advance_time(Duration::from_secs(2));
    let state = run(&mut c, "from ggg import Task\nresult = [[e.status, e.result, e.logs] for e in Task['sneaky'].executions]");
    assert!(state.result.unwrap_or_default().contains("may not set timers"), "the task's execution failed with the reason");
}
