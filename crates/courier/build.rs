//! Links the `courier` binary as a position-dependent executable on Linux with glibc, unless
//! `COURIER_PIE=1` is set when building.
//!
//! Why: a position-independent executable has its pointers fixed up by the dynamic loader at
//! every start, 21,000 of them here, each page of them copied on write. That was half of
//! `courier --version`'s instructions and a hundred page faults, about 1 ms of every start
//! (docs/performance.md#start-up). The cost is that the binary's own code loads at a fixed
//! address (its libraries, heap and stack stay randomised), as Go's linker does by default;
//! packagers who want full ASLR build with `COURIER_PIE=1`.

fn main() {
    println!("cargo:rerun-if-env-changed=COURIER_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let pie = std::env::var("COURIER_PIE").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
