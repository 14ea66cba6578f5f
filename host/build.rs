//! Compiles the public API from `proto/` and builds the WebAssembly plugins
//! the host ships and tests with.
//!
//! `proto/` is parsed by protox (no system `protoc`); tonic-prost-build
//! generates the messages, servers and clients into `$OUT_DIR`, and the
//! encoded descriptor set (comments kept, for reflection, validation rules,
//! authorization rules and the OpenAPI document) lands in
//! `$OUT_DIR/rampart_descriptor.bin`.
//!
//! Every crate under `plugins/` (shipped, embedded in the binary) and under
//! `tests/plugins/` (hostile and helper plugins for the test suite and the
//! benchmarks) is compiled for `wasm32-wasip2` into a component, in a target
//! directory of its own so the nested cargo never waits on the outer one's lock.
//! The outputs land in `$OUT_DIR/plugins/` and `$OUT_DIR/test-plugins/`, named
//! after the crate without its `rampart-plugin-` / `rampart-test-plugin-` prefix,
//! and `$OUT_DIR/shipped.rs` embeds the shipped ones.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
/// Test plugins also built as core modules for this target and wrapped into
/// import-free components (no WASI), as `<name>-bare.wasm`.
const BARE_TARGET: &str = "wasm32-unknown-unknown";
const BARE_VARIANTS: &[&str] = &["toggle"];
const SHIPPED_PREFIX: &str = "rampart-plugin-";
const TEST_PREFIX: &str = "rampart-test-plugin-";
/// Test plugins also built with a cargo feature, as `<name>-<feature>.wasm`.
const FEATURE_VARIANTS: &[(&str, &str)] = &[
    ("toggle", "v2"),
    ("echo-projection", "v2"),
    ("hostile", "modest"),
];

fn main() {
    let host_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = host_dir
        .parent()
        .expect("host/ sits in the workspace")
        .to_owned();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    for watched in [
        "plugins",
        "tests/plugins",
        "plugin-sdk",
        "wit",
        "Cargo.lock",
        // Embedded by `sqlx::migrate!`, which cannot ask cargo to watch them.
        "migrations",
        "proto",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    compile_protos(&root.join("proto"), &out_dir);

    let shipped = crate_names(&root.join("plugins"));
    let tests = crate_names(&root.join("tests/plugins"));
    ensure_target(TARGET);
    ensure_target(BARE_TARGET);

    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
        .join("wasm-plugins");
    let packages: Vec<&String> = shipped.iter().chain(&tests).collect();
    cargo_build(&root, &target_dir, &packages, None, TARGET);
    let built = target_dir.join(TARGET).join("release");

    let shipped_out = out_dir.join("plugins");
    let tests_out = out_dir.join("test-plugins");
    let mut embedded = String::from(
        "/// The shipped plugins, built from `plugins/`: (file stem, component bytes).\n\
         pub(crate) const SHIPPED: &[(&str, &[u8])] = &[\n",
    );
    for package in &shipped {
        let name = &package[SHIPPED_PREFIX.len()..];
        let dest = copy_artifact(&built, package, &shipped_out, name);
        writeln!(
            embedded,
            "    ({name:?}, include_bytes!({:?})),",
            dest.display()
        )
        .unwrap();
    }
    embedded.push_str("];\n");
    fs::write(out_dir.join("shipped.rs"), embedded).expect("write shipped.rs");

    for package in &tests {
        copy_artifact(&built, package, &tests_out, &package[TEST_PREFIX.len()..]);
    }
    for (name, feature) in FEATURE_VARIANTS {
        let package = format!("{TEST_PREFIX}{name}");
        if tests.contains(&package) {
            cargo_build(&root, &target_dir, &[&package], Some(feature), TARGET);
            copy_artifact(&built, &package, &tests_out, &format!("{name}-{feature}"));
        }
    }
    for name in BARE_VARIANTS {
        let package = format!("{TEST_PREFIX}{name}");
        if tests.contains(&package) {
            cargo_build(&root, &target_dir, &[&package], None, BARE_TARGET);
            let module = target_dir.join(BARE_TARGET).join("release");
            let core = copy_artifact(&module, &package, &out_dir.join("core"), name);
            let bytes = fs::read(&core).expect("read core module");
            let component = wit_component::ComponentEncoder::default()
                .module(&bytes)
                .and_then(|encoder| encoder.validate(true).encode())
                .unwrap_or_else(|err| panic!("wrap {package} into a component: {err:#}"));
            fs::write(tests_out.join(format!("{name}-bare.wasm")), component)
                .expect("write component");
        }
    }
}

/// Compiles every `.proto` file under `proto_dir` into Rust and a descriptor set.
fn compile_protos(proto_dir: &Path, out_dir: &Path) {
    let mut files = Vec::new();
    proto_files(proto_dir, &mut files);
    files.sort();
    // The compiler's own encoding keeps the custom options (authorization and
    // validation rules); `prost_types`' would drop them as unknown fields.
    let mut compiler = protox::Compiler::new([proto_dir])
        .unwrap_or_else(|err| panic!("proto/ cannot be read: {err:?}"));
    compiler.include_imports(true).include_source_info(true);
    compiler
        .open_files(&files)
        .unwrap_or_else(|err| panic!("proto/ does not compile: {err:?}"));
    fs::write(
        out_dir.join("rampart_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )
    .expect("write the descriptor set");
    let descriptors = compiler.file_descriptor_set();
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)
        .unwrap_or_else(|err| panic!("generating the API from proto/ failed: {err}"));
}

/// The `.proto` files below `dir`, recursively.
fn proto_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir)
        .expect("read proto/")
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if path.is_dir() {
            proto_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            files.push(path);
        }
    }
}

/// Package names of the crates directly below `dir`, sorted.
fn crate_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| fs::read_to_string(entry.path().join("Cargo.toml")).ok())
        .filter_map(|manifest| package_name(&manifest))
        .collect();
    names.sort();
    names
}

/// The `name = "..."` of a manifest's `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let package = manifest.split("[package]").nth(1)?;
    package.lines().find_map(|line| {
        let value = line.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_owned())
    })
}

/// Adds the rustup target if this toolchain lacks it; fails with the fix otherwise.
fn ensure_target(target: &str) {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let installed = |sysroot: &Option<String>| {
        sysroot
            .as_ref()
            .is_some_and(|root| Path::new(root).join("lib/rustlib").join(target).is_dir())
    };
    if installed(&sysroot) {
        return;
    }
    let added = Command::new("rustup")
        .args(["target", "add", target])
        .status()
        .is_ok_and(|status| status.success());
    if !added || !installed(&sysroot) {
        panic!(
            "the Rust target {target} is missing and could not be added; \
             run `rustup target add {target}` and build again"
        );
    }
}

/// `cargo build --release --target <target>` of `packages`, in `target_dir`.
fn cargo_build(
    root: &Path,
    target_dir: &Path,
    packages: &[&String],
    feature: Option<&str>,
    target: &str,
) {
    if packages.is_empty() {
        return;
    }
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--release", "--locked", "--target", target])
        .arg("--target-dir")
        .arg(target_dir);
    for package in packages {
        cmd.args(["-p", package]);
    }
    if let Some(feature) = feature {
        cmd.args(["--features", feature]);
    }
    // The outer build's flags and target are for the host, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    // Plugins are small: no debug info, which would only slow their compile.
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    let status = cmd
        .status()
        .unwrap_or_else(|err| panic!("could not run cargo to build the plugins: {err}"));
    if !status.success() {
        panic!("building the plugins for {target} failed ({status}); see the cargo output above");
    }
}

/// Copies `package`'s component from `built` to `dest_dir/<name>.wasm`.
fn copy_artifact(built: &Path, package: &str, dest_dir: &Path, name: &str) -> PathBuf {
    fs::create_dir_all(dest_dir).expect("create plugin output dir");
    let candidates = [
        built.join(format!("{}.wasm", package.replace('-', "_"))),
        built.join(format!("{package}.wasm")),
    ];
    let source = candidates
        .iter()
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "cargo built {package} but left no component in {}",
                built.display()
            )
        });
    let dest = dest_dir.join(format!("{name}.wasm"));
    fs::copy(source, &dest).unwrap_or_else(|err| panic!("copy {}: {err}", source.display()));
    dest
}
