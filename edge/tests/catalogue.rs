//! `tests/catalogue.md` cannot rot: every id of the security catalogue and of the field reports
//! has exactly one row, every row names at least one test or says why none applies, and every
//! test it names exists in the checkout:
//!
//! - `corpus:<name>`: a case file `tests/corpus/cases/NNN-<name>.json`;
//! - `<path>.rs::<name>`: a `fn <name>` in that file, marked as a test just above it;
//! - `<path>.js::<title>` / `<path>.mjs::<title>`: that text inside a `test(...)` title of the file;
//! - `<path>` (a `.guard`, `.mjs`, `.js`, `.rs` or `.sh` file): the file exists.
//!
//! Reads only files of this checkout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("edge/ sits in the workspace")
        .to_path_buf()
}

/// Every id the two shared documents define.
fn expected_ids() -> Vec<String> {
    let mut ids = Vec::new();
    let mut range = |prefix: &str, n: u32, width: usize| {
        for i in 1..=n {
            ids.push(format!("{prefix}{i:0width$}"));
        }
    };
    range("I-", 5, 1);
    range("JWT-S-", 10, 2);
    range("JWT-K-", 16, 2);
    range("JWT-C-", 12, 2);
    range("TX-", 5, 2);
    range("SIG-", 14, 2);
    range("CB-", 16, 2);
    range("CK-", 9, 2);
    range("PATH-", 17, 2);
    range("FLT-", 8, 2);
    range("OPS-", 4, 2);
    for b in [
        1, 2, 4, 5, 6, 10, 12, 13, 14, 15, 16, 18, 20, 21, 22, 23, 25, 26, 27, 28, 29, 30, 31, 32,
        33, 34, 35, 36, 38, 39, 40, 41, 43, 44, 45,
    ] {
        ids.push(format!("B{b:02}"));
    }
    ids
}

/// The table rows: id → the rest of the row.
fn rows(text: &str) -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("| ") else {
            continue;
        };
        let Some((id, cells)) = rest.split_once(" |") else {
            continue;
        };
        let is_id = id.starts_with(['I', 'J', 'T', 'S', 'C', 'P', 'F', 'O', 'B'])
            && id.chars().any(|c| c.is_ascii_digit())
            && !id.contains(' ');
        if !is_id {
            continue;
        }
        assert!(
            rows.insert(id.to_string(), cells.to_string()).is_none(),
            "{id}: more than one row"
        );
    }
    rows
}

/// The backtick spans of `cells`.
fn spans(cells: &str) -> Vec<&str> {
    cells.split('`').skip(1).step_by(2).collect()
}

/// Whether `file` (Rust) has `fn name` marked as a test on one of the lines just above it.
fn rust_test_exists(source: &str, name: &str) -> bool {
    let lines: Vec<&str> = source.lines().collect();
    lines.iter().enumerate().any(|(i, line)| {
        let t = line.trim_start();
        let named = ["fn ", "async fn "].iter().any(|p| {
            t.strip_prefix(p)
                .and_then(|r| r.strip_prefix(name))
                .is_some_and(|r| r.starts_with('('))
        });
        named
            && lines[i.saturating_sub(4)..i]
                .iter()
                .any(|l| l.trim_start().starts_with("#[") && l.contains("test"))
    })
}

/// Checks one reference; `Err` says what is wrong.
fn check(root: &Path, cases: &[String], reference: &str) -> Result<bool, String> {
    if let Some(name) = reference.strip_prefix("corpus:") {
        return if cases.iter().any(|c| c == name) {
            Ok(true)
        } else {
            Err(format!("no corpus case {name}"))
        };
    }
    if reference.contains('<') || !reference.contains('/') {
        return Ok(false); // prose in backticks: a placeholder, a cookie attribute, a command
    }
    let (path, name) = match reference.split_once("::") {
        Some((path, name)) => (path, Some(name)),
        None => (reference, None),
    };
    let known = [".rs", ".js", ".mjs", ".guard", ".sh"];
    if !known.iter().any(|ext| path.ends_with(ext)) {
        return Ok(false);
    }
    let source = std::fs::read_to_string(root.join(path)).map_err(|e| format!("{path}: {e}"))?;
    match name {
        None => Ok(true),
        Some(name) if path.ends_with(".rs") => {
            if rust_test_exists(&source, name) {
                Ok(true)
            } else {
                Err(format!("{path}: no test fn {name}"))
            }
        }
        Some(title) => {
            let in_title = source.lines().any(|l| {
                let t = l.trim_start();
                (t.starts_with("test(") || t.starts_with("await test.test(")) && l.contains(title)
            });
            if in_title {
                Ok(true)
            } else {
                Err(format!("{path}: no test titled {title:?}"))
            }
        }
    }
}

#[test]
fn catalogue_rows_cover_every_id_and_name_existing_tests() {
    let root = workspace();
    let text =
        std::fs::read_to_string(root.join("tests/catalogue.md")).expect("tests/catalogue.md");
    let cases: Vec<String> = std::fs::read_dir(root.join("tests/corpus/cases"))
        .expect("corpus cases")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|f| {
            let stem = f.strip_suffix(".json")?;
            Some(stem.split_once('-')?.1.to_string())
        })
        .collect();
    let rows = rows(&text);
    let mut problems = Vec::new();
    for id in expected_ids() {
        if !rows.contains_key(&id) {
            problems.push(format!("{id}: no row"));
        }
    }
    for (id, cells) in &rows {
        if !expected_ids().contains(id) {
            problems.push(format!(
                "{id}: not an id of the catalogue or the field reports"
            ));
        }
        let mut named = 0;
        for reference in spans(cells) {
            match check(&root, &cases, reference) {
                Ok(true) => named += 1,
                Ok(false) => {}
                Err(e) => problems.push(format!("{id}: {e}")),
            }
        }
        if named == 0 && !cells.contains("n/a") && !cells.contains("not covered") {
            problems.push(format!("{id}: names no test and gives no reason"));
        }
    }
    assert!(
        problems.is_empty(),
        "tests/catalogue.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn catalogue_checker_refuses_what_does_not_exist() {
    let root = workspace();
    let cases = vec!["bearer-expired-invalid".to_string()];
    assert_eq!(
        check(&root, &cases, "corpus:bearer-expired-invalid"),
        Ok(true)
    );
    assert!(check(&root, &cases, "corpus:no-such-case").is_err());
    assert_eq!(
        check(&root, &cases, "keys/tests/jwt.rs::unknown_kid_fails"),
        Ok(true)
    );
    assert!(check(&root, &cases, "keys/tests/jwt.rs::unknown_kid").is_err());
    // A helper that is not a test does not count.
    assert!(check(&root, &cases, "keys/tests/jwt.rs::raw_with").is_err());
    assert!(check(&root, &cases, "tests/node/handler.test.js::no such title").is_err());
    assert!(check(&root, &cases, "infra/guard/no_such_rule.guard").is_err());
    assert_eq!(check(&root, &cases, "Path=/auth/"), Ok(false));
}
