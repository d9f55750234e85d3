//! The `edgegate` binary: see the `edgegate_cli` crate.

fn main() -> std::process::ExitCode {
    edgegate_cli::cli::main()
}
