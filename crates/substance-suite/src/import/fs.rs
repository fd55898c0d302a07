//! Importing from paths (feature `fs`): single files, and folders of per-subject files merged into one
//! suite (MMLU `test/`, BBH `bbh/`, BBQ `data/`).

use std::path::{Path, PathBuf};

use substance_core::Suite;

use super::{AuxFile, ImportOptions, import, sanitize_name};
use crate::SuiteError;

fn read(path: &Path) -> Result<Vec<u8>, SuiteError> {
    std::fs::read(path).map_err(|source| SuiteError::Io {
        file: path.display().to_string(),
        source,
    })
}

fn aux(path: &Path) -> Result<AuxFile, SuiteError> {
    Ok(AuxFile {
        origin: path.display().to_string(),
        bytes: read(path)?,
    })
}

/// The natural extension of an importer's input files (used to list a folder).
fn extension(format: &str) -> &'static str {
    match format {
        "mmlu" | "truthfulqa-mc1" | "truthfulqa-mc2" | "xstest" | "harmbench" | "advbench"
        | "strongreject" | "gpqa" => "csv",
        "bbh" => "json",
        "hellaswag" => "txt",
        _ => "jsonl",
    }
}

fn stem(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(|n| super::file_stem(n).to_owned())
        .unwrap_or_default()
}

/// The companion file an importer uses when none is given: MMLU `../dev/<subject>_dev.csv`, BBH
/// `../cot-prompts/<task>.txt`. `fewshot_dir` overrides the folder searched.
fn companion(format: &str, file: &Path, fewshot_dir: Option<&Path>) -> Option<PathBuf> {
    let s = stem(file);
    let root = file.parent()?.parent();
    let candidate = match format {
        "mmlu" => {
            let subject = super::mmlu::subject_from_origin(&s);
            let name = format!("{subject}_dev.csv");
            match fewshot_dir {
                Some(d) => d.join(name),
                None => root?.join("dev").join(name),
            }
        }
        "bbh" => {
            let name = format!("{s}.txt");
            match fewshot_dir {
                Some(d) => d.join(name),
                None => root?.join("cot-prompts").join(name),
            }
        }
        _ => return None,
    };
    candidate.is_file().then_some(candidate)
}

fn import_file(
    format: &str,
    path: &Path,
    fewshot: Option<&Path>,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let mut opts = opts.clone();
    if opts.fewshot.is_none() {
        let f = match fewshot {
            Some(f) if f.is_file() => Some(f.to_path_buf()),
            Some(dir) => companion(format, path, Some(dir)),
            None => companion(format, path, None),
        };
        if let Some(f) = f {
            opts.fewshot = Some(aux(&f)?);
        }
    }
    import(format, &read(path)?, &path.display().to_string(), &opts)
}

/// Import a file or a folder.
///
/// - A **file** is imported with [`import`]. When `fewshot` is `None` and [`ImportOptions::fewshot`] is
///   unset, MMLU looks for `../dev/<subject>_dev.csv` and BBH for `../cot-prompts/<task>.txt` next to the
///   file's folder (the layout of the published data), so `import_path("mmlu", "mmlu/test/x_test.csv")`
///   is the 5-shot task. `fewshot` may name the companion file or the folder holding it.
/// - A **folder** imports every file with the importer's extension (sorted by name) and merges them into
///   one suite: items and few-shot pools are concatenated, and the spec of the first file is kept with
///   the name `opts.name`, else the format (`mmlu`, `bbh`, `bbq`, …). The files must produce the same
///   spec apart from name and description (per-subject text lives in the items' meta, see the importers).
pub fn import_path(
    format: &str,
    path: &Path,
    fewshot: Option<&Path>,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    if !path.is_dir() {
        return import_file(format, path, fewshot, opts);
    }
    let ext = extension(format);
    let entries = std::fs::read_dir(path).map_err(|source| SuiteError::Io {
        file: path.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = Vec::new();
    for e in entries {
        let e = e.map_err(|source| SuiteError::Io {
            file: path.display().to_string(),
            source,
        })?;
        let p = e.path();
        if p.is_file() && p.extension().and_then(|x| x.to_str()) == Some(ext) {
            files.push(p);
        }
    }
    files.sort();
    let origin = path.display().to_string();
    if files.is_empty() {
        return Err(SuiteError::syntax(
            &origin,
            None,
            format!("no `.{ext}` files to import as `{format}`"),
        ));
    }
    // Per-file options must not force one subject or name on every file.
    let per_file = ImportOptions {
        subject: None,
        name: None,
        ..opts.clone()
    };
    let mut merged: Option<Suite> = None;
    for f in &files {
        let s = import_file(format, f, fewshot, &per_file)?;
        match &mut merged {
            None => merged = Some(s),
            Some(m) => {
                let mut a = m.spec.clone();
                let mut b = s.spec.clone();
                a.name.clear();
                b.name.clear();
                a.description.clear();
                b.description.clear();
                if a != b {
                    return Err(SuiteError::field_error(
                        &f.display().to_string(),
                        None,
                        "spec",
                        "this file yields a different prompt or few-shot spec than the first file of \
                         the folder; import the files separately",
                    ));
                }
                m.items.extend(s.items);
                m.fewshot_pool.extend(s.fewshot_pool);
            }
        }
    }
    let Some(mut suite) = merged else {
        return Err(SuiteError::syntax(&origin, None, "nothing imported"));
    };
    let default_name = match format {
        "mmlu" | "bbh" | "bbq" => format.to_owned(),
        _ => sanitize_name(&stem(path)),
    };
    suite.spec.name = opts.name.clone().unwrap_or(default_name);
    if format == "mmlu" {
        suite.spec.description = format!(
            "MMLU ({} subjects), lm-eval format: letter choices A-D scored by log-likelihood, few-shot from each subject's dev set when given.",
            files.len()
        );
    }
    crate::file::validate_suite(&suite, &origin)?;
    Ok(suite)
}
