//! How the binary is built, where users notice it: its start-up (docs/performance.md#start-up).

use crate::support;

/// On Linux with glibc the binary is position-dependent (ELF type `EXEC`), so the dynamic
/// loader has none of its pointers to fix up at start; `COURIER_PIE=1` builds a PIE instead.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_starts_without_relocating_itself() {
    let head = std::fs::read(support::bin()).expect("the binary");
    let elf_type = u16::from_le_bytes([head[16], head[17]]);
    let pie_build = option_env!("COURIER_PIE") == Some("1");
    let (expected, name) = if pie_build { (3, "DYN") } else { (2, "EXEC") };
    assert_eq!(elf_type, expected, "ELF type {elf_type}, expected {name}");
}
