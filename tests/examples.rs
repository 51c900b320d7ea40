//! The README's run command works: the example in `examples/hello` comes up with `up --wait`,
//! serves its page, and goes away with `down -v`.

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::Command;

use crate::support::{TestProject, berth_binary};

#[test]
fn the_hello_example_comes_up_serves_and_goes_down() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let made = Command::new("sh")
        .arg(root.join("examples/make-image.sh"))
        .output()
        .expect("sh runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // An owner for the teardown, whatever happens below.
    let project = TestProject::new("example-hello", "services: {}\n");
    let file = root.join("examples/hello/compose.yaml");
    let file = file.to_str().expect("UTF-8 path");
    let port = "18381";
    let up = Command::new(berth_binary())
        .args([
            "-p",
            &project.name,
            "-f",
            file,
            "up",
            "-d",
            "--wait",
            "--wait-timeout",
            "60",
        ])
        .env("HELLO_PORT", port)
        .output()
        .expect("berth runs");
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", 18381)).expect("web listens");
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    assert!(response.contains("hello from berth"), "{response}");
    let down = Command::new(berth_binary())
        .args(["-p", &project.name, "-f", file, "down", "-v"])
        .output()
        .expect("berth runs");
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(project.containers().is_empty());
    assert!(project.volumes().is_empty());
}
