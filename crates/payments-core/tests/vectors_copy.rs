//! The vendored test vectors must equal the shared originals, when those are present.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::fs;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn vendored_vectors_match_shared_ones() {
    let shared = workspace().join("../shared/vectors");
    let vendored = workspace().join("testdata/vectors");
    let Ok(entries) = fs::read_dir(&shared) else {
        // No shared/ beside this checkout: the vendored copy is all there is.
        assert!(vendored.join("feennex.json").is_file(), "testdata/vectors is missing");
        return;
    };
    let mut compared = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let name = path.file_name().unwrap();
            let copy = fs::read(vendored.join(name)).unwrap_or_else(|_| {
                panic!("testdata/vectors/{} is missing", name.to_string_lossy())
            });
            assert_eq!(
                copy,
                fs::read(&path).unwrap(),
                "testdata/vectors/{} differs from shared",
                name.to_string_lossy()
            );
            compared += 1;
        }
    }
    assert!(compared >= 3, "expected the three gateway vector files, found {compared}");
}
