//! The `edgegate` binary: see the `edgegate_infra` crate.

fn main() -> std::process::ExitCode {
    edgegate_infra::cli::main()
}
