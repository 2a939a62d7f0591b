//! The `codexvm` native runner.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    codexvm::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
