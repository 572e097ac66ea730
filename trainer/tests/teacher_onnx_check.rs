//! The graphs we write pass the official ONNX checker (`scripts/onnx_check.py`), when the
//! `onnx` Python package is installed; otherwise the test says `skipped: onnx not installed`.

use std::path::Path;
use std::process::Command;

use trainer::features::{feature_graph, DEFAULT_LAYERS};
use trainer::teacher::{classifier_onnx, truncated_onnx, TeacherWeights};

fn onnx_available() -> bool {
    Command::new("python3")
        .args(["-c", "import onnx"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn written_graphs_pass_the_onnx_checker() {
    if !onnx_available() {
        println!("skipped: onnx not installed (pip install onnx)");
        return;
    }
    let w = TeacherWeights::load_default().unwrap();
    let dir = std::env::temp_dir().join(format!("trainer-onnx-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let graphs = [
        ("classifier.onnx", classifier_onnx(&w, 224).unwrap()),
        (
            "trunk.onnx",
            truncated_onnx(&w, 64, &["stride8", "stride16"]).unwrap(),
        ),
        (
            "features.onnx",
            feature_graph(&w, 256, &DEFAULT_LAYERS).unwrap().onnx,
        ),
    ];
    let mut args = vec![Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/onnx_check.py")
        .display()
        .to_string()];
    for (name, bytes) in &graphs {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        args.push(p.display().to_string());
    }
    let out = Command::new("python3").args(&args).output().unwrap();
    println!("{}", String::from_utf8_lossy(&out.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "onnx checker: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
