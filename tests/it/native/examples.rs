//! The example codexes of `codex_examples/`, each run unchanged as a task on a small seeded realm
//! (natively, on a manual clock), with what they wrote checked: entities, counts, exactly-once
//! effects, and the stored key layout of their TaskEntity records.

use crate::support::task_clock::{create, setup, state, tick_at, T0};
use crate::support::{in_vm, repo, result_of, run};
use codexvm::tasks::model::StepOutcome;
use codexvm::tasks::scheduler;
use serde_json::{json, Value};

const DAY: i64 = 86_400;

fn example(file: &str) -> String {
    std::fs::read_to_string(repo(&format!("codex_examples/{file}"))).expect("read example")
}

/// Creates a task whose single step is the example `file`, repeating every `every` seconds.
fn create_example(name: &str, file: &str, every: i64) {
    create(json!({"name": name, "steps": [{"code": example(file), "codex_name": file.trim_end_matches(".py")}], "repeat_every": every}));
}

/// Runs `seed_realm.py` with `users` users (committed).
fn seed_realm(users: usize) {
    let seed = example("seed_realm.py").replace("USERS = 10_000", &format!("USERS = {users}"));
    let x = run(&seed);
    assert!(x.committed, "{:?}", x.outcome.result);
}

/// Runs `seed_governance.py` with `proposals` proposals and `voters` voters (committed).
fn seed_governance(proposals: usize, voters: usize) {
    let seed = example("seed_governance.py")
        .replace("PROPOSALS = 20", &format!("PROPOSALS = {proposals}"))
        .replace("VOTERS = 50", &format!("VOTERS = {voters}"));
    let x = run(&seed);
    assert!(x.committed, "{:?}", x.outcome.result);
}

/// The income `seed_realm.py` gives its `i`-th user (0-based).
fn income(i: i64) -> i64 {
    1_000 + (i * 37) % 9_000
}

fn progress_cycles(name: &str) -> u64 {
    state(name)["progress"]["cycles"].as_u64().unwrap_or(0)
}

/// Ticks every `period` seconds from `*t` until the task's progress reports one more completed
/// cycle; every execution must succeed. Returns the outcomes of the task's executions; `*t` is
/// left at the next tick time.
fn run_cycle(name: &str, t: &mut i64, period: i64) -> Vec<StepOutcome> {
    let start = progress_cycles(name);
    let mut outcomes = Vec::new();
    for _ in 0..1_000 {
        let out = tick_at(*t);
        *t += period;
        for o in &out {
            assert!(o.ok, "execution failed: {}", o.error.as_deref().unwrap_or(""));
        }
        outcomes.extend(out);
        if progress_cycles(name) > start {
            return outcomes;
        }
    }
    panic!("task {name} did not finish a cycle in 1,000 ticks");
}

fn result(o: &StepOutcome) -> Value {
    serde_json::from_str(o.result.as_deref().expect("a result")).expect("result JSON")
}

/// The JSON held in a `value` string field of a record.
fn json_field(record: &Value, field: &str) -> Value {
    serde_json::from_str(record[field].as_str().expect("a string field")).expect("JSON in the field")
}

/// The record of `type_name` in a task state whose alias field `field` is `value`.
fn by_alias<'a>(s: &'a Value, type_name: &str, value: &str) -> &'a Value {
    let id = s["records"][format!("{type_name}_alias")][value].as_str().unwrap_or_else(|| panic!("no alias {value} in {type_name}"));
    &s["records"][type_name][id]
}

fn query(code: &str) -> Value {
    serde_json::from_str(&result_of(code)).expect("query result JSON")
}

#[test]
fn batch_processing_sees_every_user_once_per_cycle_and_keeps_its_cursor() {
    in_vm(|| {
        setup();
        seed_realm(250);
        create_example("batch", "batch_processing_codex.py", 60);
        let mut t = T0;
        let first = run_cycle("batch", &mut t, 60);
        assert_eq!(first.len(), 3, "250 users in batches of 100");
        let positions: Vec<i64> = first.iter().map(|o| result(o)["position"].as_i64().unwrap()).collect();
        assert_eq!(positions, vec![100, 200, 250]);
        let second = run_cycle("batch", &mut t, 60);
        assert_eq!(second.len(), 3);

        let s = state("batch");
        let ty = "task_batch::ProcessingState";
        let expected_total: i64 = (0..250).map(income).sum();
        let low = (0..250).filter(|&i| income(i) < 3_000).count() as i64;
        let high = (0..250).filter(|&i| income(i) >= 7_000).count() as i64;
        for cycle in ["cycle_1", "cycle_2"] {
            let c = json_field(by_alias(&s, ty, cycle), "value");
            assert_eq!(
                c,
                json!({"processed": 250, "income_total": expected_total,
                                 "brackets": {"low": low, "middle": 250 - low - high, "high": high}}),
                "{cycle}"
            );
        }
        assert_eq!(by_alias(&s, ty, "batch_position")["value"], "0", "reset after the cycle");
        let stats = json_field(by_alias(&s, ty, "statistics"), "value");
        assert_eq!((stats["runs"].as_i64(), stats["cycles_completed"].as_i64()), (Some(6), Some(2)));
        assert_eq!(stats["cycle"]["processed"], 0, "the running cycle starts empty");
        // The stored layout: `task_<name>::<Class>@<id>`, its counters and the alias index.
        assert_eq!(s["counters"]["task_batch::ProcessingState_id"], "4");
        assert_eq!(s["counters"]["task_batch::ProcessingState_count"], "4");
        assert_eq!(
            s["records"]["task_batch::ProcessingState_alias"],
            json!({"batch_position": "1", "statistics": "2", "cycle_1": "3", "cycle_2": "4"})
        );
        assert_eq!(s["records"][ty]["1"]["_type"], ty);
        // It only reads the users.
        assert_eq!(query("from ggg import User\nresult = [User.count(), User['user_00001'].income]"), json!([250, 1000]));
    });
}

#[test]
fn multi_state_keeps_three_entity_types_apart_in_one_namespace() {
    in_vm(|| {
        setup();
        seed_realm(30);
        seed_governance(4, 10);
        create_example("audit", "multi_state_codex.py", 60);
        let mut t = T0;
        let first = run_cycle("audit", &mut t, 60);
        assert_eq!(first.len(), 2, "42 votes in batches of 25");
        let second = run_cycle("audit", &mut t, 60);
        assert_eq!(second.len(), 2);

        // The tally a pass must find: seed_governance's choices, plus its two invalid ballots.
        let choices = ["yes", "no", "yes", "abstain", "yes", "no", "no"];
        let mut expected = json!({"yes": 0, "no": 0, "abstain": 0, "invalid": 2});
        for n in 0..4 {
            for v in 0..10 {
                let c = choices[(n * 3 + v) % choices.len()];
                expected[c] = json!(expected[c].as_i64().unwrap() + 1);
            }
        }
        let s = state("audit");
        let metrics = "task_audit::ProcessingMetrics";
        assert_eq!(json_field(by_alias(&s, metrics, "last_tally"), "value"), expected);
        assert_eq!(json_field(by_alias(&s, metrics, "current_tally"), "value"), json!({"yes": 0, "no": 0, "abstain": 0, "invalid": 0}));
        assert_eq!(by_alias(&s, metrics, "runs")["value"], "4");
        assert_eq!(by_alias(&s, metrics, "cycles_completed")["value"], "2");
        let batch = by_alias(&s, "task_audit::BatchState", "votes");
        assert_eq!((batch["position"].as_i64(), batch["total"].as_i64()), (Some(0), Some(42)));

        // Each invalid vote is logged once, although both passes saw it.
        let errors: Vec<&str> =
            s["records"]["task_audit::ErrorLog"].as_object().unwrap().values().map(|r| r["message"].as_str().unwrap()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|m| m.contains("invalid choice 'maybe'")), "{errors:?}");
        assert!(errors.iter().any(|m| m.contains("unknown proposal 'prop_withdrawn'")), "{errors:?}");

        // Three types, each with its own ids and counters, all under the task's namespace.
        let c = &s["counters"];
        assert_eq!(
            (
                c["task_audit::BatchState_count"].as_str(),
                c["task_audit::ProcessingMetrics_count"].as_str(),
                c["task_audit::ErrorLog_count"].as_str()
            ),
            (Some("1"), Some("4"), Some("2"))
        );
        let mut types: Vec<&String> = s["records"].as_object().unwrap().keys().collect();
        types.sort();
        assert_eq!(
            types,
            [
                "task_audit::BatchProgress",
                "task_audit::BatchProgress_alias",
                "task_audit::BatchState",
                "task_audit::BatchState_alias",
                "task_audit::ErrorLog",
                "task_audit::ErrorLog_alias",
                "task_audit::ProcessingMetrics",
                "task_audit::ProcessingMetrics_alias"
            ]
        );
    });
}

#[test]
fn governance_automation_closes_each_due_proposal_exactly_once() {
    in_vm(|| {
        setup();
        seed_realm(30);
        seed_governance(12, 10);
        create_example("governance", "governance_automation_codex.py", 60);
        let mut t = T0;
        let first = run_cycle("governance", &mut t, 60);
        assert_eq!(first.len(), 2, "6 proposals past their deadline, 5 per execution");
        assert_eq!(result(&first[0])["closed"], json!(["prop_000", "prop_002", "prop_004", "prop_006", "prop_008"]));
        assert_eq!(result(&first[1]), json!({"closed": ["prop_010"], "remaining": 0}));

        // Nothing else is due before the other deadlines (T0 + 3 days).
        let idle = tick_at(t);
        assert_eq!(idle.len(), 1);
        assert_eq!(result(&idle[0]), json!({"closed": [], "remaining": 0}));
        let s = state("governance");
        assert_eq!(s["records"]["task_governance::ClosedProposal"].as_object().unwrap().len(), 6);

        // After the other deadlines the rest close, each once.
        t = T0 + 4 * DAY;
        let later = run_cycle("governance", &mut t, 60);
        assert_eq!(later.len(), 2);
        let s = state("governance");
        let closed = s["records"]["task_governance::ClosedProposal"].as_object().unwrap();
        assert_eq!(closed.len(), 12, "one ClosedProposal per proposal");

        // Every proposal carries the tally of its votes and the outcome the threshold gives.
        let proposals = query(
            "from ggg import Proposal\nresult = {p.proposal_id: [p.status, p.votes_yes, p.votes_no, p.votes_abstain, p.total_voters] for p in Proposal.instances()}",
        );
        let choices = ["yes", "no", "yes", "abstain", "yes", "no", "no"];
        for n in 0..12usize {
            let (mut yes, mut no, mut abstain) = (0.0, 0.0, 0.0);
            for v in 0..10 {
                match choices[(n * 3 + v) % choices.len()] {
                    "yes" => yes += 1.0,
                    "no" => no += 1.0,
                    _ => abstain += 1.0,
                }
            }
            let outcome = if yes > 0.5 * (yes + no) { "accepted" } else { "rejected" };
            let pid = format!("prop_{n:03}");
            assert_eq!(proposals[&pid], json!([outcome, yes, no, abstain, yes + no + abstain]), "{pid}");
            let record = by_alias(&s, "task_governance::ClosedProposal", &pid);
            assert_eq!((record["outcome"].as_str(), record["yes"].as_f64()), (Some(outcome), Some(yes)), "{pid}");
        }
        // prop_000's spoiled ballot ("maybe") was not counted: 10 voters, 10 counted votes.
        assert_eq!(proposals["prop_000"][4], json!(10.0));
    });
}

#[test]
fn social_benefits_pay_each_eligible_user_once_per_month() {
    in_vm(|| {
        setup();
        seed_realm(250);
        assert!(run("from ggg import Treasury\nTreasury['main'].balance = 100_000").committed);
        create_example("benefits", "social_benefits_codex.py", 60);
        let eligible = (0..250).filter(|&i| income(i) < 2_000).count() as i64;
        assert!(eligible > 0);
        let mut t = T0;
        let january = run_cycle("benefits", &mut t, 60);
        assert_eq!(january.len(), 3, "250 users in batches of 100");
        let paid: i64 = january.iter().map(|o| result(o)["paid"].as_i64().unwrap()).sum();
        assert_eq!(paid, eligible);

        let totals = "from ggg import Transfer, Treasury\nts = [t for t in Transfer.instances() if t.tags == 'benefit ' + PERIOD]\nresult = [len(ts), len(set(t.principal_to for t in ts)), sum(t.amount for t in ts), Treasury['main'].balance]";
        let jan = |code: &str| code.replace("PERIOD", "'2027-01'");
        assert_eq!(query(&jan(totals)), json!([eligible, eligible, 50 * eligible, 100_000 - 50 * eligible]));
        let s = state("benefits");
        let month = by_alias(&s, "task_benefits::BenefitRun", "2027-01");
        assert_eq!(
            (month["status"].as_str(), month["paid_count"].as_i64(), month["paid_total"].as_i64(), month["position"].as_i64()),
            (Some("done"), Some(eligible), Some(50 * eligible), Some(250))
        );

        // Later in the month: nothing more is paid.
        for now in [t, t + 60, T0 + 10 * DAY] {
            let out = tick_at(now);
            assert_eq!(out.len(), 1);
            assert!(out[0].ok);
            assert_eq!((result(&out[0])["paid"].as_i64(), result(&out[0])["status"].as_str()), (Some(0), Some("done")));
        }
        // Even with its cursor lost, the month is walked again without paying anyone twice.
        scheduler::clear("benefits").expect("clear");
        let mut t2 = T0 + 10 * DAY + 60;
        let again = run_cycle("benefits", &mut t2, 60);
        assert!(again.iter().all(|o| result(o)["paid"] == 0), "nobody is paid twice in a month");
        assert_eq!(query(&jan(totals)), json!([eligible, eligible, 50 * eligible, 100_000 - 50 * eligible]));

        // The next month is a new cycle.
        let mut t3 = T0 + 31 * DAY;
        let february = run_cycle("benefits", &mut t3, 60);
        assert_eq!(february.iter().map(|o| result(o)["paid"].as_i64().unwrap()).sum::<i64>(), eligible);
        let feb = totals.replace("PERIOD", "'2027-02'");
        assert_eq!(query(&feb), json!([eligible, eligible, 50 * eligible, 100_000 - 100 * eligible]));
    });
}

#[test]
fn social_benefits_wait_for_funds_and_resume_where_they_stopped() {
    in_vm(|| {
        setup();
        seed_realm(250);
        assert!(run("from ggg import Treasury\nTreasury['main'].balance = 120").committed);
        create_example("benefits", "social_benefits_codex.py", 60);
        let eligible = (0..250).filter(|&i| income(i) < 2_000).count() as i64;
        let first = tick_at(T0);
        assert_eq!(result(&first[0])["paid"], 2, "120 pays two benefits of 50");
        assert_eq!(result(&first[0])["status"], "waiting for funds");
        let waiting = tick_at(T0 + 60);
        assert_eq!((result(&waiting[0])["paid"].as_i64(), result(&waiting[0])["status"].as_str()), (Some(0), Some("waiting for funds")));
        assert!(run("from ggg import Treasury\nTreasury['main'].balance = Treasury['main'].balance + 100_000").committed);
        let mut t = T0 + 120;
        let rest = run_cycle("benefits", &mut t, 60);
        let paid_later: i64 = rest.iter().map(|o| result(o)["paid"].as_i64().unwrap()).sum();
        assert_eq!(2 + paid_later, eligible);
        let r = query("from ggg import Transfer, Treasury\nts = [t for t in Transfer.instances() if t.tags == 'benefit 2027-01']\nresult = [len(ts), len(set(t.principal_to for t in ts)), Treasury['main'].balance]");
        assert_eq!(r, json!([eligible, eligible, 100_120 - 50 * eligible]));
    });
}

#[test]
fn async_raw_rand_stores_32_random_bytes_and_a_winner() {
    in_vm(|| {
        setup();
        seed_realm(20);
        create(json!({"name": "draw", "steps": [{"code": example("async_raw_rand_codex.py"), "codex_name": "async_raw_rand_codex"}]}));
        let s = state("draw");
        assert_eq!(s["steps"][0]["is_async"], true, "async_task() makes it an async step");
        let out = tick_at(T0);
        assert_eq!(out.len(), 1);
        assert!(out[0].ok, "{}", out[0].error.as_deref().unwrap_or(""));
        let r = result(&out[0]);
        assert_eq!((r["draw_id"].as_str(), r["bytes"].as_i64()), (Some("draw_1"), Some(32)));
        assert!(out[0].logs.iter().any(|l| l.contains("Asking the management canister")));

        // Run it again: a second draw, with other random bytes.
        scheduler::start("draw", T0 + 10).expect("start");
        let out = tick_at(T0 + 10);
        assert!(out[0].ok, "{}", out[0].error.as_deref().unwrap_or(""));
        let s = state("draw");
        assert_eq!(s["status"], "completed");
        let draws = &s["records"]["task_draw::RandomDraw"];
        let users = query("from ggg import User\nresult = [u.id for u in User.instances()]");
        let mut hexes = Vec::new();
        for id in ["1", "2"] {
            let d = &draws[id];
            let hex = d["random_hex"].as_str().unwrap_or_else(|| panic!("draws: {draws}\nstate: {s}"));
            assert_eq!(hex.len(), 64, "32 bytes as hex");
            assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
            assert_eq!(d["byte_count"], 32);
            assert_eq!(d["drawn_at"], json!((T0 + if id == "1" { 0 } else { 10 }) * 1_000_000_000));
            assert!(users.as_array().unwrap().contains(&d["winner_user_id"]), "the winner is a user: {d}");
            hexes.push(hex.to_owned());
        }
        assert_ne!(hexes[0], hexes[1]);
        assert_eq!(s["records"]["task_draw::RandomDraw_alias"], json!({"draw_1": "1", "draw_2": "2"}));
    });
}
