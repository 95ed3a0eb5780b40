//! Compiles `proto/` with the pure-Rust `protox` compiler (no system `protoc`)
//! and generates the tonic services. The encoded descriptor set is written
//! to `OUT_DIR` for server reflection, because `compile_fds` does not write it.

use std::path::PathBuf;

const PROTO_ROOT: &str = "proto";
const PROTO_FILES: &[&str] = &[
    "stepwise/v1/account.proto",
    "stepwise/v1/account_service.proto",
    "stepwise/v1/goal.proto",
    "stepwise/v1/action_step.proto",
    "stepwise/v1/goal_service.proto",
    "stepwise/v1/check_in.proto",
    "stepwise/v1/efficacy_rating.proto",
    "stepwise/v1/progress_service.proto",
    "stepwise/v1/sync_service.proto",
    "stepwise/v1/care.proto",
    "stepwise/v1/care_service.proto",
    "stepwise/v1/backup_service.proto",
    "stepwise/v1/admin.proto",
    "stepwise/v1/admin_service.proto",
    "stepwise/v1/assessment.proto",
    "stepwise/v1/assessment_service.proto",
    "stepwise/v1/attainment.proto",
    "stepwise/v1/comment.proto",
    "stepwise/v1/comment_service.proto",
    "stepwise/v1/skill.proto",
    "stepwise/v1/skill_service.proto",
    "stepwise/v1/thought_record.proto",
    "stepwise/v1/insight_service.proto",
    "stepwise/v1/session.proto",
    "stepwise/v1/token.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let mut compiler = protox::Compiler::new([PROTO_ROOT])?;
    // Reflection must be able to describe imported well-known types too.
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(PROTO_FILES)?;

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
