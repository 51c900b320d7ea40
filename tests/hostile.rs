//! Hostile inputs (alias bombs, very deep nesting, long cycles and chains, kept in
//! `fuzz/regressions/`) must end in a clear error or a model, quickly: never a crash or a hang.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn hostile_inputs_end_quickly_without_crashing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fuzz/regressions exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the hostile corpus is present");
    let mut failures = Vec::new();
    for file in &files {
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .args(["-p", "hostile", "-f"])
            .arg(file)
            .arg("config")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("berth starts");
        let start = Instant::now();
        // Debug builds are slower than release; 20 s is far beyond what any of these needs.
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait works") {
                break Some(status);
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        match status {
            None => failures.push(format!("{}: still running after 20 s", file.display())),
            Some(status) if status.code().is_none_or(|code| code == 101) => {
                failures.push(format!("{}: crashed ({status})", file.display()));
            }
            Some(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
