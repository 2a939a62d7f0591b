//! `codexvm bench faults` in CI: hostile codexes stopped, killed runs survived, random db
//! operation sequences matching the model, and no entity lost or duplicated; `codexvm bench
//! python` runs against CPython.

use std::process::Command;

#[test]
fn the_faults_report_shows_everything_stopped_or_survived_and_nothing_lost() {
    let out = Command::new(env!("CARGO_BIN_EXE_codexvm"))
        .args(["bench", "faults", "--cases", "300", "--kills", "12", "--users", "600", "--seed", "7"])
        .output()
        .expect("run codexvm bench faults");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let rows: Vec<Vec<&str>> = stdout.lines().skip(2).map(|l| l.trim_matches('|').split('|').map(str::trim).collect()).collect();
    assert_eq!(rows.len(), 4, "{stdout}");
    for r in &rows {
        let n = |i: usize| r[i].parse::<u64>().unwrap_or_else(|_| panic!("{r:?}"));
        assert!(n(1) > 0, "nothing tried: {r:?}");
        assert_eq!(n(2), n(1), "not all stopped / survived / matched: {r:?}");
        assert_eq!((n(3), n(4)), (0, 0), "entities lost or duplicated: {r:?}");
    }
    assert!(rows[0][0].starts_with("hostile codexes") && rows[3][0].starts_with("db operation sequences"), "{stdout}");
}

/// A hand-written sequence through the same model check: an oversized rename is refused with
/// `ValueError` and leaves the name and alias, then a rename and a delete leave no alias behind.
#[test]
fn a_refused_rename_leaves_the_old_name_and_the_model_check_holds() {
    use codexvm::cli::faults::fuzz::{check_case, FuzzReport, Op};
    crate::support::in_vm(|| {
        let mut r = FuzzReport::default();
        let ops = [
            Op::Create { name: 0, score: 1 },
            Op::OversizedName { id: 1 },
            Op::Rename { id: 1, name: 2 },
            Op::Create { name: 0, score: 2 },
            Op::Delete { id: 1 },
        ];
        check_case(&ops, &mut r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.cases, r.ops, r.refused), (1, 5, 1));
    });
}

/// `codexvm bench python`: every benchmark of bench/py_micro.py timed in codexvm and in CPython,
/// with their ratio and the geometric mean (what the figures are is the benchmark's business).
#[test]
fn the_python_benchmark_compares_every_case_with_cpython() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_codexvm")).args(["bench", "python", "--min-ms", "1"]).output().expect("run codexvm bench python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Vec<&str>> = stdout.lines().skip(2).map(|l| l.trim_matches('|').split('|').map(str::trim).collect()).collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(
        names,
        [
            "fib(25) iterative",
            "fib_recursive(20)",
            "sum_to(10000) loop",
            "ackermann(3,6)",
            "string_ops (100 concats)",
            "list_ops (500 append + sort)",
            "dict_ops (500 inserts + 500 lookups)",
            "geometric mean of the ratios"
        ],
        "{stdout}"
    );
    for r in &rows[..7] {
        assert!(r[1] != "-" && r[2] != "-", "both interpreters ran {r:?}");
        assert!(r[3].parse::<f64>().is_ok_and(|x| x > 0.0), "{r:?}");
    }
    assert!(rows[7][3].parse::<f64>().is_ok_and(|x| x > 0.0), "{stdout}");
}
