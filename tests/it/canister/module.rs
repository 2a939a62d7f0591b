//! The built canister module (`target/canister/codexvm.wasm`, made by `scripts/build-canister`)
//! in the wasmtime test host: replica limits, guarded execution, atomic executions,
//! the standard library, upgrades, and the Candid interface.

use crate::support::canister::{installed, module, run, wasm_path};
use crate::support::repo;
use candid::{Nat, Principal};
use codexvm_host::{Canister, RejectCode};

#[test]
fn module_passes_the_replicas_limits() {
    let bytes = std::fs::read(wasm_path()).expect("built module");
    let info = codexvm_host::inspect(&bytes).unwrap();
    let foreign: Vec<_> = info.imports.iter().filter(|i| !i.starts_with("ic0.")).collect();
    assert!(foreign.is_empty(), "imports other than ic0: {foreign:?}");
    assert!(info.code_section < 10 << 20, "code section {} bytes is over 10 MiB", info.code_section);
    assert!(info.functions < 50_000, "{} functions", info.functions);
    assert!(info.custom_sections.len() <= 16);
    assert!(info.custom_sections.iter().map(|c| c.1).sum::<u64>() <= 1 << 20, "custom sections {:?}", info.custom_sections);
    assert!(info.custom_sections.iter().any(|c| c.0 == "icp:public candid:service"), "candid:service metadata missing");
    eprintln!(
        "module: {} bytes, code section {} bytes, data {} bytes, {} functions, {} imports",
        bytes.len(),
        info.code_section,
        info.data_section,
        info.functions,
        info.imports.len()
    );
}

/// The module's size targets: at most 12 MB shrunk and 5 MB gzipped (decimal megabytes).
#[test]
fn module_meets_the_size_targets() {
    let raw = std::fs::metadata(wasm_path()).expect("built module").len();
    let gz = std::fs::metadata(wasm_path().with_extension("wasm.gz")).expect("gzipped module (scripts/build-canister)").len();
    eprintln!("module: {raw} bytes, {gz} gzipped");
    assert!(raw <= 12_000_000, "the module is {raw} bytes, over 12 MB");
    assert!(gz <= 5_000_000, "the gzipped module is {gz} bytes, over 5 MB");
}

#[test]
fn candid_interface_matches_the_checked_in_file() {
    let mut c = Canister::new(module()).unwrap();
    let generated = c.candid_interface().unwrap();
    if std::env::var("CODEXVM_BLESS").is_ok() {
        std::fs::write(repo("codexvm.did"), &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(repo("codexvm.did")).expect("codexvm.did (regenerate with CODEXVM_BLESS=1)");
    assert_eq!(checked_in.trim(), generated.trim(), "codexvm.did drifted from the code; regenerate with CODEXVM_BLESS=1");
}

#[test]
fn controller_runs_a_codex_and_gets_result_and_logs() {
    let mut c = installed();
    let r = run(&mut c, "from kybra import ic\nprint('hello')\nic.print('from ic')\nresult = {'sum': sum(range(10))}");
    assert!(r.success, "{:?}", r.error);
    assert_eq!(r.result.as_deref(), Some(r#"{"sum": 45}"#));
    assert_eq!(r.logs, vec!["hello", "from ic"]);
    assert!(r.instructions > 0);
}

#[test]
fn non_controllers_are_rejected() {
    let mut c = installed();
    let stranger = Principal::self_authenticating(b"someone else");
    let report = c.update_as(stranger, "run_codex", &candid::encode_one("result = 1").unwrap());
    let rej = report.reject();
    assert_eq!(rej.code, RejectCode::CanisterReject, "inspect_message refuses it early");
    assert!(rej.message.contains("may not call run_codex: it needs the admin role"), "{}", rej.message);
    let report = c.update_as(Principal::anonymous(), "run_codex", &candid::encode_one("result = 1").unwrap());
    assert!(report.reject().message.contains("anonymous principal may not call run_codex"), "{}", report.reject().message);
}

#[test]
fn a_codex_that_raises_leaves_stable_memory_unchanged() {
    let mut c = installed();
    let m = "from kybra import StableBTreeMap\nm = StableBTreeMap[str, str](memory_id=3, max_key_size=10, max_value_size=10)\n";
    assert!(run(&mut c, &format!("{m}m.insert('k', 'before')")).success);
    let before = c.stable_memory();
    let r = run(&mut c, &format!("{m}m.insert('k', 'after')\nm.insert('x', 'y')\n1/0"));
    assert!(!r.success);
    assert!(r.error.unwrap().contains("ZeroDivisionError"));
    assert!(c.stable_memory() == before, "stable memory changed by a failed execution");
    let r = run(&mut c, &format!("{m}result = m.items()"));
    assert_eq!(r.result.as_deref(), Some(r#"[["k", "before"]]"#));
}

#[test]
fn stdlib_behaves_as_in_cpython_in_the_canister() {
    let expected = std::process::Command::new("python3").arg(repo("tests/py/stdlib_check.py")).output().expect("python3");
    let expected = String::from_utf8(expected.stdout).unwrap();
    let mut c = installed();
    let src = std::fs::read_to_string(repo("tests/py/stdlib_check.py")).unwrap();
    let r = run(&mut c, &src);
    assert!(r.success, "{}", r.error.unwrap_or_default());
    let got = r.logs.join("\n");
    let expected_lines: Vec<&str> = expected.trim().lines().collect();
    let got_lines: Vec<&str> = got.lines().collect();
    assert_eq!(expected_lines, got_lines);
    eprintln!("stdlib_check.py in the canister: {} instructions", r.instructions);
}

#[test]
fn the_registered_native_modules_import_and_the_rest_are_missing_in_the_canister() {
    let mut c = installed();
    let r = run(&mut c, &crate::support::native_modules_check());
    assert!(r.success, "{}", r.error.unwrap_or_default());
    assert_eq!(r.result.as_deref(), Some(crate::support::NATIVE_MODULES_MISSING));
}

#[test]
fn state_survives_an_upgrade_and_randomness_is_reseeded() {
    let mut c = installed();
    let counter = std::fs::read_to_string(repo("codex_examples/counter_codex.py")).unwrap();
    assert_eq!(run(&mut c, &counter).result.as_deref(), Some(r#"{"runs": 1}"#));
    assert_eq!(run(&mut c, &counter).result.as_deref(), Some(r#"{"runs": 2}"#));
    // The raw_rand timer armed by init.
    c.tick();
    assert!(c.peer_calls().iter().any(|p| p.callee == Principal::management_canister() && p.method == "raw_rand"));
    let report = c.upgrade(module(), &candid::encode_args(()).unwrap());
    assert!(report.result.is_ok(), "{:?}", report.result);
    assert_eq!(run(&mut c, &counter).result.as_deref(), Some(r#"{"runs": 3}"#));
    c.tick();
    assert_eq!(c.peer_calls().iter().filter(|p| p.method == "raw_rand").count(), 2, "post_upgrade re-arms raw_rand");
    let r = run(&mut c, "import random, uuid\nresult = [random.random() < 1, uuid.uuid4().version]");
    assert_eq!(r.result.as_deref(), Some("[true, 4]"));
}

#[test]
fn a_profile_charges_every_instruction_of_a_call_to_named_functions() {
    // The profiling copy of the module under test: the same code, with its function names.
    let named = wasm_path().with_file_name("codexvm.named.wasm");
    let m = codexvm_host::CanisterModule::load_profiling(&named).unwrap_or_else(|e| panic!("{e} (scripts/build-canister makes it)"));
    let (mut c, _) = Canister::install(&m, &candid::encode_args(()).unwrap()).unwrap();
    c.take_profile();
    // A query that runs Python (realms' object listing goes through the interpreter).
    let report = c.query("get_objects_paginated", &candid::encode_args(("User", Nat::from(0u32), Nat::from(10u32), "asc")).unwrap());
    assert!(report.result.is_ok(), "{:?}", report.result);
    let p = c.take_profile().expect("a profiling module's canister profiles");
    assert_eq!(p.instructions, report.instructions);
    assert_eq!(p.entries.iter().map(|e| e.self_instructions).sum::<u64>() + p.unsampled, p.instructions);
    assert!(p.samples >= 10, "{} samples", p.samples);
    let entry = p.entries.iter().find(|e| e.name == "canister_query get_objects_paginated").unwrap_or_else(|| panic!("{p}"));
    assert!(entry.inclusive_instructions * 10 >= p.instructions * 9, "{p}");
    assert!(p.entries.iter().any(|e| e.name.starts_with("rustpython_vm::")), "{p}");
    // Sampled at every check, a short call is seen in full.
    c.sample_every_check(true);
    let report = c.query("my_access", &candid::encode_args(()).unwrap());
    let p = c.take_profile().unwrap();
    assert_eq!(p.instructions, report.instructions);
    assert!(p.samples >= 100, "{} samples of {} instructions", p.samples, p.instructions);
    assert!(p.entries.iter().any(|e| e.name == "canister_query my_access" && e.inclusive_instructions * 100 >= p.instructions * 99), "{p}");
    // An upgraded canister goes on profiling (its new instance trapped at the first epoch check).
    // Sampled every 50 µs: post_upgrade's 1.6 B instructions at every check would be millions of
    // stacks.
    c.sample_every_check(false);
    let upgraded = c.upgrade(&m, &candid::encode_args(()).unwrap());
    assert!(upgraded.result.is_ok(), "{:?}", upgraded.result);
    c.take_profile();
    c.sample_every_check(true);
    let report = c.query("my_access", &candid::encode_args(()).unwrap());
    assert!(report.result.is_ok(), "{:?}", report.result);
    assert!(c.take_profile().is_some_and(|p| p.instructions == report.instructions && p.samples >= 100));
    // A module loaded as usual does not profile.
    assert!(installed().take_profile().is_none());
}

#[test]
fn start_up_and_execution_costs_are_reported() {
    let (mut c, init) = Canister::install(module(), &candid::encode_args(()).unwrap()).unwrap();
    let pass = run(&mut c, "pass");
    let json = run(&mut c, "import json, datetime, re, collections, dataclasses\nresult = json.dumps({'a': 1})");
    eprintln!(
        "instructions: init (boot + preload) {}, run_codex('pass') see report (execution {}), re-import of 5 modules {}",
        init.instructions, pass.instructions, json.instructions
    );
    assert!(init.instructions < 300_000_000_000);
    assert!(pass.instructions < 50_000_000, "set-up of an execution costs {}", pass.instructions);
}
