//! The shell of `edgegate stack params`: its options, reading edgegate.toml (fully loaded and
//! validated when edge.json or origin.json is asked for), the key slots' PEM files and the
//! `--stack-outputs` files, and writing the parameter files and the deploy commands.

use super::outputs::StackOutputs;
use super::render::{deploy_commands, render, Inputs};
use super::settings::parse_stack;
use crate::load::{self, Source};
use crate::{bundle, CliError, IoAction};
use edgegate_edge::ConfigDocument;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `edgegate stack ...`.
#[derive(clap::Subcommand)]
pub enum StackCommand {
    /// Write the CloudFormation parameter files (one per stack) derived from edgegate.toml.
    Params(ParamsArgs),
}

/// `edgegate stack params` options.
#[derive(clap::Args)]
pub struct ParamsArgs {
    /// edgegate.toml.
    #[arg(long)]
    pub config: PathBuf,
    /// SHA-256 of viewer-request.zip (printed by `edgegate bundle`): writes edge.json.
    #[arg(long)]
    pub bundle_sha256: Option<String>,
    /// SHA-256 of the origin auth function's zip: with the edge stack's outputs, writes origin.json.
    #[arg(long)]
    pub origin_bundle_sha256: Option<String>,
    /// `aws cloudformation describe-stacks` JSON of a deployed stack (repeatable): the edge
    /// stack's fill origin.json, the identity stack's are checked against edgegate.toml.
    #[arg(long = "stack-outputs")]
    pub stack_outputs: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// Reads the document without loading the JWKS (the user pool may not exist yet), inlining
/// `public_key_file`s relative to the config file as the loader does.
pub(super) fn read_doc(path: &Path) -> Result<ConfigDocument, CliError> {
    let mut doc = load::read_document(path)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    for (i, k) in doc
        .cloudfront
        .iter_mut()
        .flat_map(|c| c.trusted_keys.iter_mut())
        .enumerate()
    {
        if let (None, Some(file)) = (&k.public_key, &k.public_key_file) {
            let path = base.join(file);
            let pem = std::fs::read_to_string(&path).map_err(|source| CliError::SettingFile {
                field: format!("cloudfront.trusted_keys[{i}].public_key_file"),
                path,
                source,
            })?;
            k.public_key = Some(pem);
            k.public_key_file = None;
        }
    }
    Ok(doc)
}

/// Runs `edgegate stack ...`, returning what to print.
pub async fn run(command: StackCommand) -> Result<String, CliError> {
    let StackCommand::Params(args) = command;
    let base = args
        .config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let needs_complete = args.bundle_sha256.is_some() || args.origin_bundle_sha256.is_some();
    // The identity stack comes first, before the user pool and the public key ids exist: its
    // file renders from the document alone. The others run what the bundle runs, so they load
    // and validate the configuration exactly as `edgegate bundle` does.
    let (doc, validated) = if needs_complete {
        let loaded = load::load(&Source::File(args.config.clone()), None).await?;
        bundle::refuse_dev(&loaded)?;
        (loaded.document, true)
    } else {
        (read_doc(&args.config)?, false)
    };
    let stack = parse_stack(&doc)?;
    let read_slot = |slot: &str, file: &Option<String>| -> Result<Option<String>, CliError> {
        file.as_ref()
            .map(|f| {
                let path = base.join(f);
                std::fs::read_to_string(&path).map_err(|source| CliError::SettingFile {
                    field: format!("stack.cloudfront_keys.{slot}"),
                    path,
                    source,
                })
            })
            .transpose()
    };
    let slot_pems = (
        read_slot("a", &stack.doc.cloudfront_keys.a)?,
        read_slot("b", &stack.doc.cloudfront_keys.b)?,
    );
    let mut outputs = Vec::new();
    for p in &args.stack_outputs {
        let text = std::fs::read_to_string(p).map_err(|e| CliError::io(IoAction::Read, p, e))?;
        outputs.extend(StackOutputs::parse_describe_stacks(
            &text,
            &p.display().to_string(),
        )?);
    }
    let rendered = render(
        &doc,
        &Inputs {
            slot_pems,
            bundle_sha256: args.bundle_sha256,
            origin_bundle_sha256: args.origin_bundle_sha256,
            outputs,
            validated,
        },
    )?;
    std::fs::create_dir_all(&args.out).map_err(|e| CliError::io(IoAction::Create, &args.out, e))?;
    let mut report = String::new();
    for f in &rendered.files {
        let path = args.out.join(format!("{}.json", f.kind.name()));
        std::fs::write(&path, f.to_json()).map_err(|e| CliError::io(IoAction::Write, &path, e))?;
        let _ = writeln!(
            report,
            "wrote {} (stack {}, region {})",
            path.display(),
            f.stack_name,
            f.regions.join(" and ")
        );
    }
    for n in &rendered.notes {
        let _ = writeln!(report, "{n}");
    }
    let _ = writeln!(report, "deploy (README: infra/cloudformation/README.md):");
    report.push_str(&deploy_commands(&rendered, &args.out));
    Ok(report)
}
