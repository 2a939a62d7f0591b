//! The runner and a state file that is not codexvm's, or is truncated or damaged: every command
//! refuses it with a clear error and leaves it as it was (it used to be silently re-initialised,
//! and a file cut at a page boundary made the runner panic).

use std::path::Path;

use crate::support::codexvm;

/// Runs each command on a copy of `bytes` and checks it fails with `message`, touching nothing.
fn refused_by_every_command(bytes: &[u8], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    let codex = dir.path().join("c.py");
    std::fs::write(&codex, "from ggg import Realm\nRealm(name='x')\nresult = 1").unwrap();
    let codex = codex.to_str().unwrap();
    for args in [vec!["run", codex], vec!["task", "list"], vec!["task", "create", "t", codex, "--every", "60"], vec!["db", "export"]] {
        let state = dir.path().join("state.stable");
        std::fs::write(&state, bytes).unwrap();
        let out = codexvm(&args, &state);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded on a bad state file");
        assert_ne!(out.status.code(), Some(101), "{args:?} panicked: {stderr}");
        assert!(stderr.contains(message), "{args:?}: expected {message:?} in:\n{stderr}");
        assert!(std::fs::read(&state).unwrap() == bytes, "{args:?} changed the state file");
        assert!(!Path::new(&format!("{}.journal", state.display())).exists());
    }
}

/// A state file with a realm in it, written by the runner.
fn real_state(dir: &Path) -> Vec<u8> {
    let state = dir.join("real.stable");
    let codex = dir.join("seed.py");
    std::fs::write(&codex, "from ggg import Realm\nRealm(name='kept')\nresult = 1").unwrap();
    let out = codexvm(&["run", codex.to_str().unwrap()], &state);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(&state).unwrap()
}

#[test]
fn foreign_files_are_refused_and_left_alone() {
    refused_by_every_command(b"# my notes\nnot a database\n", "not a codexvm state file");
    refused_by_every_command(&[0x5a; 65536], "not a codexvm state file");
    let mut bytes = real_state(tempfile::tempdir().unwrap().path());
    bytes[0] = b'X';
    refused_by_every_command(&bytes, "not a codexvm state file");
}

#[test]
fn truncated_and_damaged_files_are_refused_and_left_alone() {
    let bytes = real_state(tempfile::tempdir().unwrap().path());
    refused_by_every_command(&bytes[..3 * 65536], "truncated");
    refused_by_every_command(&bytes[..bytes.len() - 10], "truncated");
    let mut damaged = bytes.clone();
    damaged[3] = 9;
    refused_by_every_command(&damaged, "layout version 9");
    let mut damaged = bytes.clone();
    damaged[65536] ^= 0xff; // the first map's B-tree header
    refused_by_every_command(&damaged, "damaged");
}
