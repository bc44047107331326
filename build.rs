//! Compiles the small C shim (csrc/num.c) that gives src/util/num.rs access to C
//! `long double`, `strtold`/`strtod` and `snprintf`, which Redis's float commands use
//! and which Rust cannot reproduce bit for bit.

fn main() {
    println!("cargo:rerun-if-changed=csrc/num.c");
    cc::Build::new()
        .file("csrc/num.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("shoal_num");
}
