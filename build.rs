//! Compiles `proto/` with the pure-Rust `protox` compiler (no system `protoc`)
//! and generates the tonic services. The encoded descriptor set is written
//! to `OUT_DIR` for server reflection, because `compile_fds` does not write it.

use std::path::PathBuf;

const PROTO_ROOT: &str = "proto";
/// Where the API's files are, under [`PROTO_ROOT`]: every `.proto` there is
/// compiled, so a new file needs no line here.
const PROTO_PACKAGE_DIR: &str = "stepwise/v1";

/// The `.proto` files of the API, relative to [`PROTO_ROOT`], in name order.
fn proto_files() -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(PathBuf::from(PROTO_ROOT).join(PROTO_PACKAGE_DIR))? {
        let name = entry?
            .file_name()
            .into_string()
            .map_err(|name| format!("{name:?}"))?;
        if name.ends_with(".proto") {
            files.push(format!("{PROTO_PACKAGE_DIR}/{name}"));
        }
    }
    files.sort();
    Ok(files)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let mut compiler = protox::Compiler::new([PROTO_ROOT])?;
    // Reflection must be able to describe imported well-known types too.
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(proto_files()?)?;

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("stepwise_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
