//! Every number the command line takes is range-checked: a value out of range is refused with a
//! clear error, never a panic, and a refused `task create` leaves nothing behind.

use std::path::Path;
use std::process::Output;

use clap::{CommandFactory, Parser};
use codexvm::cli::Cli;
use proptest::prelude::*;

use crate::support::{codexvm, Workdir};

/// Cases of the command-line runs below (each runs the binary two to three times):
/// `CODEXVM_CLI_CASES`, else 12.
fn run_cases() -> u32 {
    std::env::var("CODEXVM_CLI_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12)
}

/// Numbers as a user (or a script with a bug) may type them: the edges of every range and of
/// the integer types, any 64-bit value, and text that is not a number at all.
fn number() -> impl Strategy<Value = String> {
    let edges = [
        "0",
        "1",
        "100",
        "101",
        "3072",
        "3073",
        "65535",
        "65536",
        "1000000",
        "1000001",
        "3153600000",
        "10000000000",
        "10000000001",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999",
        "-1",
        "-9223372036854775808",
        "+7",
        "007",
    ];
    prop_oneof![
        3 => prop::sample::select(edges.to_vec()).prop_map(String::from),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<u64>().prop_map(|v| v.to_string()),
        1 => (0u64..20_000_000_000).prop_map(|v| v.to_string()),
        1 => "[-+ 0-9a-z._]{0,8}",
    ]
}

/// A `--for` duration: a number with or without a unit, known or not.
fn duration() -> impl Strategy<Value = String> {
    (number(), prop::sample::select(vec!["", "s", "m", "h", "d", "ms", "x", " "])).prop_map(|(n, u)| format!("{n}{u}"))
}

/// What clap's integer parsers accept as a value of type `T` (a leading `-` starts an option).
fn is<T: std::str::FromStr>(v: &str) -> Option<T> {
    if v.starts_with('-') {
        None
    } else {
        v.parse().ok()
    }
}

fn parses(args: &[&str]) -> bool {
    Cli::try_parse_from(std::iter::once("codexvm").chain(args.iter().copied())).is_ok()
}

#[test]
fn the_command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Each numeric option is accepted exactly when its value is in the documented range.
    #[test]
    fn numeric_options_accept_exactly_their_range(v in number(), d in duration()) {
        let in_range = |low: u64, high: u64| is::<u64>(&v).is_some_and(|n| (low..=high).contains(&n));
        let checks: [(Vec<&str>, bool); 12] = [
            (vec!["run", "x.py", "--budget", &v], in_range(1, 100)),
            (vec!["demo", "--users", &v], in_range(1, 1_000_000)),
            (vec!["bench", "db", "--n", &v], in_range(1, 1_000_000)),
            (vec!["bench", "python", "--min-ms", &v], in_range(1, 10_000)),
            (vec!["task", "show", "t", "--executions", &v], is::<u32>(&v).is_some()),
            (vec!["task", "logs", "t", "--last", &v], is::<u32>(&v).is_some()),
            (vec!["task", "run", "t", "--max-executions", &v], is::<u64>(&v).is_some()),
            (vec!["run", "x.py", "--seed", &v], is::<u64>(&v).is_some()),
            (vec!["db", "export", "--memory-id", &v], is::<u16>(&v).is_some()),
            (vec!["task", "create", "t", "a.py", "--every", &v], is::<i64>(&v).is_some()),
            (vec!["task", "create", "t", "a.py", "b.py", "--step-delay", &v], is::<i64>(&v).is_some()),
            (vec!["task", "create", "t", "a.py", "--heap-mib", &v], is::<i64>(&v).is_some()),
        ];
        for (args, want) in checks {
            prop_assert_eq!(parses(&args), want, "{:?}", args);
        }
        let (digits, unit) = d.split_at(d.find(|c: char| !c.is_ascii_digit()).unwrap_or(d.len()));
        let secs = match unit {
            "" | "s" => Some(1u64),
            "m" => Some(60),
            "h" => Some(3600),
            "d" => Some(86_400),
            _ => None,
        }
        .and_then(|mult| digits.parse::<u64>().ok()?.checked_mul(mult));
        let want = secs.is_some_and(|s| s <= 100 * 365 * 86_400);
        prop_assert_eq!(parses(&["task", "run", "t", "--for", &d]), want, "--for {}", d);
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 0, or a non-zero exit with a one-line reason, never a panic.
fn clean(out: &Output, what: &str) -> Result<(), TestCaseError> {
    let err = stderr(out);
    prop_assert!(!err.contains("panicked") && out.status.code().is_some_and(|c| c <= 2), "{}: {:?}\n{}", what, out.status, err);
    if !out.status.success() {
        prop_assert!(err.contains("codexvm") || err.starts_with("error:"), "{}: no reason given\n{}", what, err);
    }
    Ok(())
}

fn task_list(state: &Path) -> String {
    String::from_utf8_lossy(&codexvm(&["task", "list"], state).stdout).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: run_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// `task create` with any numbers either creates the task, which then runs without a panic,
    /// or refuses it with a reason and writes nothing.
    #[test]
    fn task_numbers_are_refused_cleanly_or_run(
        every in number(), at in number(), after in number(), delay in number(), retries in number(),
        retry_delay in number(), budget in number(), heap in number(), run_for in duration(),
    ) {
        let w = Workdir::new();
        let state = &w.state;
        let (a, b) = (w.codex("a.py", "raise RuntimeError('step a fails, so retries count')"), w.codex("b.py", "result = 2"));
        let (a, b) = (a.as_str(), b.as_str());
        let opts = [
            ("--every", &every), ("--at", &at), ("--after", &after), ("--step-delay", &delay), ("--retries", &retries),
            ("--retry-delay", &retry_delay), ("--budget", &budget), ("--heap-mib", &heap),
        ];
        let mut args = vec!["task", "create", "t", a, b];
        for (name, value) in &opts {
            args.push(name);
            args.push(value);
        }
        let before = task_list(state);
        let out = codexvm(&args, state);
        clean(&out, "task create")?;
        if out.status.success() {
            prop_assert!(task_list(state).contains("pending"), "{}", task_list(state));
            let out = codexvm(&["task", "run", "t", "--max-executions", "3", "--for", &run_for], state);
            clean(&out, "task run")?;
        } else {
            prop_assert_eq!(task_list(state), before, "a refused task left records: {}", stderr(&out));
        }
    }
}

#[test]
fn a_step_due_past_the_clocks_range_stops_the_run_with_a_reason() {
    let w = Workdir::new();
    let state = &w.state;
    let (a, b) = (w.codex("a.py", "result = 1"), w.codex("b.py", "result = 2"));
    let (a, b) = (a.as_str(), b.as_str());
    // The first step at the last second a task may name, the second 10^10 s after it: past 2^64 ns.
    let out = codexvm(&["task", "create", "far", a, b, "--at", "10000000000", "--step-delay", "10000000000"], state);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = codexvm(&["task", "run", "far", "--until-done"], state);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("past the simulated clock's range"), "{err}");
    let show = String::from_utf8_lossy(&codexvm(&["task", "show", "far"], state).stdout).into_owned();
    assert!(show.contains("\"step_to_execute\": 1"), "the first step ran and was kept: {show}");
    // Refused outright: a time past the year 2286, more delay values than steps.
    for (args, why) in [
        (vec!["task", "create", "x", a, "--at", "10000000001"], "run_at must be an integer between 0 and 10000000000 seconds"),
        (vec!["task", "create", "x", a, b, "--step-delay", "1,2"], "2 --step-delay value(s) for 2 step(s)"),
    ] {
        let out = codexvm(&args, state);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
    }
    assert!(!task_list(state).lines().any(|l| l.starts_with("x ")), "{}", task_list(state));
}
