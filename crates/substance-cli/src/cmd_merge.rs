//! `substance merge`: the receipts of a sharded run (`run --shard i/n`) → the unsharded run's receipt.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use substance_runner::merge_receipts;

use crate::cmd_verify::{partial_path, print_summary};
use crate::util::{open, print_json};

/// `substance merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The receipts of every shard `i/n` of one run, in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Where to write the merged receipt.
    #[arg(long)]
    out: PathBuf,
    /// Print the merged summary as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: MergeArgs) -> Result<ExitCode> {
    let out_id = std::fs::canonicalize(&a.out).ok();
    let mut inputs = Vec::with_capacity(a.shards.len());
    for path in &a.shards {
        if out_id.is_some() && std::fs::canonicalize(path).ok() == out_id {
            bail!(
                "--out {} is one of the receipts to merge: write the merged receipt elsewhere",
                a.out.display()
            );
        }
        inputs.push((path.display().to_string(), open(path)?));
    }
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // Written whole into `<out>.partial`, renamed when complete (as `run` does).
    let partial = partial_path(&a.out);
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let merged = match merge_receipts(inputs, BufWriter::new(file)) {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    std::fs::rename(&partial, &a.out)
        .with_context(|| format!("cannot move {} to {}", partial.display(), a.out.display()))?;
    errln!(
        "merged {} shards of {} ({} items, model {}) into {}",
        merged.shards,
        merged.header.suite.name,
        merged.summary.n_items,
        merged.header.model.id,
        a.out.display()
    );
    if a.json {
        print_json(&merged.summary)?;
    } else {
        print_summary(&merged.summary);
    }
    Ok(ExitCode::SUCCESS)
}
