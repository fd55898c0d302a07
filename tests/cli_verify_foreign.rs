//! End-to-end test of `substance verify` on other tools' result files (issue 12): an MMLU-Pro
//! prediction file alone, in a folder beside other files, inside a zip as published; a tampered copy;
//! claims that match, differ or match nothing; an empty file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::io::Write;
use std::path::PathBuf;

mod support;
use support::{bin, repo};

const NAME: &str = "model_outputs_tiny-model_5shots.json";

fn fixture() -> PathBuf {
    repo().join("tests/fixtures/mmlu-pro").join(NAME)
}

fn verify(args: &[&std::ffi::OsStr]) -> (bool, String, serde_json::Value) {
    let text = bin().arg("verify").args(args).output().unwrap();
    let json = bin()
        .arg("verify")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(text.status.success(), json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"].as_bool(), Some(text.status.success()));
    (
        text.status.success(),
        String::from_utf8_lossy(&text.stdout).into_owned(),
        v,
    )
}

#[test]
fn a_prediction_file_a_folder_and_a_zip_verify() {
    let f = fixture();
    let (ok, out, v) = verify(&[f.as_os_str()]);
    assert!(ok, "{out}");
    assert!(out.contains("items consistent (5 recomputed)"), "{out}");
    assert_eq!(v["reports"][0]["format"], "mmlu-pro");
    assert_eq!(v["reports"][0]["checks"][0]["recomputed"]["kind"], "range");

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&f, dir.path().join(NAME)).unwrap();
    std::fs::write(dir.path().join("README.txt"), "about these files\n").unwrap();
    std::fs::write(dir.path().join(".DS_Store"), "x").unwrap();
    let mut zip =
        zip::ZipWriter::new(std::fs::File::create(dir.path().join("published.zip")).unwrap());
    zip.start_file(
        "model_outputs_other-model_5shots.json",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    zip.write_all(&std::fs::read(&f).unwrap()).unwrap();
    zip.finish().unwrap();
    let (ok, out, v) = verify(&[dir.path().as_os_str()]);
    assert!(ok, "{out}");
    let models: Vec<_> = v["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        models,
        ["tiny-model", "other-model"],
        "name order, zip entries read"
    );
    assert!(
        out.contains("LEFT OUT") && out.contains("README.txt"),
        "{out}"
    );
    let left: Vec<_> = v["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left[0].ends_with(".DS_Store: hidden, not read"), "{left:?}");
    assert!(
        left[1].ends_with("README.txt: not a format verify reads"),
        "{left:?}"
    );
}

#[test]
fn tampering_and_claims_fail_naming_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture()).unwrap();
    let bad = dir.path().join(NAME);
    std::fs::write(&bad, text.replacen(r#""pred": "D""#, r#""pred": "B""#, 1)).unwrap();
    let (ok, out, _) = verify(&[bad.as_os_str()]);
    assert!(!ok);
    assert!(
        out.contains("MISMATCH") && out.contains("record 5 `5` pred: file B / recomputed D"),
        "{out}"
    );

    let claims = dir.path().join("claims.csv");
    std::fs::write(
        &claims,
        "model,task,metric,value\ntiny-model,mmlu_pro,acc,0.7\n",
    )
    .unwrap();
    let f = fixture();
    let (ok, out, v) = verify(&[f.as_os_str(), "--claims".as_ref(), claims.as_os_str()]);
    assert!(!ok, "0.7 is above the reachable range: {out}");
    assert_eq!(v["reports"][0]["checks"][0]["status"], "differs");

    std::fs::write(
        &claims,
        "model,task,metric,value\ntiny-model,mmlu_pro,acc,42%\nnobody,mmlu_pro,acc,0.5\n",
    )
    .unwrap();
    let (ok, out, v) = verify(&[f.as_os_str(), "--claims".as_ref(), claims.as_os_str()]);
    assert!(ok, "{out}");
    assert!(
        out.contains("UNCHECKED claim") && out.contains("line 3"),
        "{out}"
    );
    assert_eq!(v["unused_claims"].as_array().unwrap().len(), 1);

    let empty = dir.path().join("model_outputs_empty_5shots.json");
    std::fs::write(&empty, "").unwrap();
    let (ok, out, _) = verify(&[empty.as_os_str()]);
    assert!(!ok);
    assert!(out.contains("no records (empty file)"), "{out}");
}

#[cfg(unix)]
#[test]
fn a_link_loop_in_a_folder_ends_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture(), dir.path().join(NAME)).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let (ok, out, v) = verify(&[dir.path().as_os_str()]);
    assert!(ok, "{out}");
    assert_eq!(v["reports"].as_array().unwrap().len(), 1);
    let left: Vec<_> = v["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left.len(), 1);
    assert!(
        left[0].ends_with("loop: a link to a folder, not followed"),
        "{left:?}"
    );
}

#[test]
fn an_lm_eval_folder_verifies_and_a_tampered_aggregate_fails() {
    let run = repo().join("tests/fixtures/lm-eval/0.4.13");
    let (ok, out, v) = verify(&[run.as_os_str()]);
    assert!(ok, "{out}");
    assert_eq!(v["reports"][0]["format"], "lm-eval-results");
    assert!(
        out.contains("task_hash") && out.contains("sub_group") && !out.contains("DIFFERS"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(run.join("SmolLM2-135M-Instruct")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let text = if p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("results_")
        {
            text.replacen("\"acc,none\": 0.9166666666666666", "\"acc,none\": 0.95", 1)
        } else {
            text
        };
        std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
    }
    let (ok, out, _) = verify(&[dir.path().as_os_str()]);
    assert!(!ok, "{out}");
    assert!(out.contains("acc,none") && out.contains("DIFFERS"), "{out}");
}
