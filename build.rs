//! Freezes Python sources into the binary: a chosen subset of RustPython's standard library
//! (`stdlib-subset.txt`), our overrides of a few of its modules (`pyshim/`), and our own
//! modules (`pylib/`), and — in native builds only — the test runner's modules (`pytesting/`:
//! `pytest`, `unittest`, `codexvm_testing`). `py_freeze!` compiles them to bytecode at build
//! time, so a syntax error in any of them fails the build.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=stdlib-subset.txt");
    println!("cargo:rerun-if-changed=pyshim");
    println!("cargo:rerun-if-changed=pylib");
    println!("cargo:rerun-if-changed=pytesting");
    let native = std::env::var("CARGO_CFG_TARGET_ARCH").map_or(true, |a| a != "wasm32");

    let lib = Path::new(rustpython_pylib::LIB_PATH);
    let dest = out.join("pystdlib");
    let _ = fs::remove_dir_all(&dest);
    let list = fs::read_to_string(manifest.join("stdlib-subset.txt")).expect("stdlib-subset.txt");
    let mut n = 0;
    for line in list.lines().map(|l| l.split('#').next().unwrap().trim()).filter(|l| !l.is_empty()) {
        let src = lib.join(line);
        assert!(src.is_file(), "stdlib-subset.txt names {line}, which is not in {}", lib.display());
        let dst = dest.join(line);
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        fs::copy(&src, &dst).unwrap();
        n += 1;
    }

    let freeze = |dir: &Path| format!("::rustpython_vm::py_freeze!(dir = {:?})", dir.to_str().expect("utf-8 path"));
    let code = format!(
        "/// RustPython's standard library subset ({n} files).\n\
         pub static STDLIB: &::rustpython_vm::frozen::FrozenLib = {};\n\
         /// Our overrides of standard modules (frozen after the stdlib, so they win).\n\
         pub static SHIMS: &::rustpython_vm::frozen::FrozenLib = {};\n\
         /// Our own Python modules (kybra, kybra_simple_db, ggg, ...).\n\
         pub static PYLIB: &::rustpython_vm::frozen::FrozenLib = {};\n\
         /// The test runner's modules (native builds; the canister has none).\n\
         pub static TESTLIB: Option<&::rustpython_vm::frozen::FrozenLib> = {};\n",
        freeze(&dest),
        freeze(&manifest.join("pyshim")),
        freeze(&manifest.join("pylib")),
        if native { format!("Some({})", freeze(&manifest.join("pytesting"))) } else { "None".to_owned() },
    );
    fs::write(out.join("frozen.rs"), code).unwrap();
}
