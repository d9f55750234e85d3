//! Replays the committed seed corpus (`tests/fuzz/corpus/<target>/`) and any saved crash
//! reproducers (`tests/fuzz/regressions/<target>/`) through every fuzz target body, so the
//! properties hold under `cargo test` on stable, without libFuzzer.

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_seeds_and_they_keep_their_properties() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for (name, body) in edgegate_fuzz::TARGETS {
        let seeds = inputs(&root.join("corpus").join(name));
        assert!(seeds.len() >= 3, "{name}: only {} seeds", seeds.len());
        let regressions = inputs(&root.join("regressions").join(name));
        for file in seeds.iter().chain(&regressions) {
            let data = std::fs::read(file).expect("seed");
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(
                outcome.is_ok(),
                "{name}: {} broke a property",
                file.display()
            );
            replayed += 1;
        }
    }
    assert!(replayed >= 30, "replayed {replayed}");
}

#[test]
fn every_target_has_a_libfuzzer_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("libfuzzer");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("libfuzzer manifest");
    for (name, _) in edgegate_fuzz::TARGETS {
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "{name}: no fuzz_targets/{name}.rs"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name}: no [[bin]]"
        );
    }
}
