//! `exec`, `run` and `attach` on the real daemon: through a real terminal (a tmux pane on a
//! private tmux server), and through pipes byte for byte. Each test owns project
//! `berthtest-it-<test>`, removed when the test ends.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestProject, berth_binary};

const SERVICES: &str = "
services:
  s:
    image: ${IMAGE}
    command: [sleep, '3600']
    init: true
    stop_grace_period: 1s
  tty:
    image: ${IMAGE}
    command: [sh]
    stdin_open: true
    tty: true
";

/// A terminal: a pane of a tmux server private to the test, running `sh` in the project's
/// directory. The server is killed on drop.
struct Terminal {
    socket: String,
}

impl Terminal {
    fn new(project: &TestProject, columns: u16, rows: u16) -> Self {
        let terminal = Self {
            socket: format!("{}-tmux", project.name),
        };
        let _ = terminal.tmux(&["kill-server"]);
        let status = Command::new("tmux")
            .args([
                "-L",
                &terminal.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
            ])
            .args(["-x", &columns.to_string(), "-y", &rows.to_string()])
            .args(["-c", &project.dir.display().to_string()])
            .arg("env PS1='host$ ' sh")
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux starts");
        terminal.wait_for("host$", Duration::from_secs(10));
        terminal
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Types `text` and presses Enter.
    fn line(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
        self.tmux(&["send-keys", "Enter"]);
    }

    /// Presses keys by tmux name (`C-c`, `C-p`, …).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-S", "-200"]).stdout)
            .into_owned()
    }

    /// Waits until the screen shows `text`; returns the screen.
    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < timeout,
                "{text:?} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the local shell prompts again (its prompt is the last line on the screen).
    fn wait_for_host_prompt(&self) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen
                .lines()
                .rev()
                .find(|line| !line.trim().is_empty())
                .is_some_and(|line| line.trim_end().ends_with("host$"))
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no local prompt; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn resize(&self, columns: u16, rows: u16) {
        let output = self.tmux(&[
            "resize-window",
            "-x",
            &columns.to_string(),
            "-y",
            &rows.to_string(),
        ]);
        assert!(output.status.success(), "tmux resizes");
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// Drives an interactive shell started by `command` in `terminal`: typed input, a resize, Ctrl-C
/// to a running command, Ctrl-D ending a command's input, `exit 7`; then checks the exit code and that the local terminal's
/// settings are what they were.
fn drive_shell(project: &TestProject, terminal: &Terminal, command: &str) {
    let berth = berth_binary();
    terminal.line(&format!(
        "stty -g > before.stty; {berth} -p {} {command}",
        project.name
    ));
    terminal.wait_for("/ #", Duration::from_secs(30));
    terminal.line("echo typed-$((6*7))");
    terminal.wait_for("typed-42", Duration::from_secs(10));
    terminal.line("stty size");
    terminal.wait_for("24 80", Duration::from_secs(10));
    terminal.resize(100, 30);
    // The container's terminal follows the resize.
    let start = Instant::now();
    loop {
        terminal.line("stty size");
        std::thread::sleep(Duration::from_millis(300));
        if terminal.screen().contains("30 100") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the size never followed:\n{}",
            terminal.screen()
        );
    }
    // Ctrl-C reaches the command in the container, not berth.
    terminal.line("sleep 60; echo woke-$((3*3))");
    std::thread::sleep(Duration::from_millis(500));
    terminal.keys(&["C-c"]);
    terminal.line("echo after-$((1+1))");
    let screen = terminal.wait_for("after-2", Duration::from_secs(10));
    assert!(
        !screen.contains("slept"),
        "Ctrl-C did not interrupt:\n{screen}"
    );
    // Ctrl-D reaches the container's terminal as end of input.
    terminal.line("cat > /tmp/typed; echo cat-done-$((4+4)); cat /tmp/typed");
    terminal.line("abc");
    std::thread::sleep(Duration::from_millis(300));
    terminal.keys(&["C-d"]);
    terminal.wait_for("cat-done-8", Duration::from_secs(10));
    terminal.line("exit 7");
    terminal.wait_for_host_prompt();
    terminal.line(
        "echo rc=$?; stty -g > after.stty; cmp -s before.stty after.stty && echo restored-$((1+1))",
    );
    terminal.wait_for("rc=7", Duration::from_secs(10));
    terminal.wait_for("restored-2", Duration::from_secs(5));
}

#[test]
fn exec_gives_a_real_terminal_that_follows_resizes_and_is_restored() {
    let project = TestProject::new("it-exec-tty", SERVICES);
    project.berth_ok(&["up", "-d", "s"]);
    let terminal = Terminal::new(&project, 80, 24);
    drive_shell(&project, &terminal, "exec s sh");
}

#[test]
fn run_gives_a_real_terminal_and_removes_its_container_with_rm() {
    let project = TestProject::new("it-run-tty", SERVICES);
    let terminal = Terminal::new(&project, 80, 24);
    drive_shell(&project, &terminal, "run --rm s sh");
    // `--rm`: the one-off container is gone once berth returns.
    let start = Instant::now();
    while project
        .containers()
        .iter()
        .any(|container| container["Config"]["Labels"]["com.docker.compose.oneoff"] == "True")
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the one-off container was not removed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn attach_detaches_with_the_keys_and_passes_on_the_exit_code() {
    let project = TestProject::new("it-attach", SERVICES);
    project.berth_ok(&["up", "-d", "tty"]);
    let terminal = Terminal::new(&project, 80, 24);
    let berth = berth_binary();
    terminal.line(&format!("{berth} -p {} attach tty", project.name));
    std::thread::sleep(Duration::from_millis(800));
    terminal.line("echo attached-$((2+3))");
    terminal.wait_for("attached-5", Duration::from_secs(10));
    terminal.keys(&["C-p", "C-q"]);
    terminal.wait_for_host_prompt();
    terminal.line("echo detached-rc=$?");
    terminal.wait_for("detached-rc=0", Duration::from_secs(10));
    let container = project
        .container(&format!("{}-tty-1", project.name))
        .unwrap();
    assert_eq!(container["State"]["Running"], true, "detaching stopped it");
    terminal.line(&format!("{berth} -p {} attach tty", project.name));
    std::thread::sleep(Duration::from_millis(800));
    terminal.line("exit 9");
    terminal.wait_for_host_prompt();
    terminal.line("echo attach-rc=$?");
    terminal.wait_for("attach-rc=9", Duration::from_secs(10));
}

/// Pipes `input` through `berth args` and returns (stdout, stderr, exit code).
fn pipe(project: &TestProject, args: &[&str], input: &[u8]) -> (Vec<u8>, Vec<u8>, i32) {
    let mut child = Command::new(berth_binary())
        .current_dir(&project.dir)
        .args(["-p", &project.name])
        .args(args)
        .env("COMPOSE_PROGRESS", "quiet")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("berth runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("berth ends");
    writer.join().unwrap();
    (
        output.stdout,
        output.stderr,
        output.status.code().unwrap_or(-1),
    )
}

fn random_bytes(length: usize) -> Vec<u8> {
    let mut bytes = vec![0_u8; length];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut bytes))
        .expect("random bytes");
    bytes
}

#[test]
fn exec_and_run_without_a_terminal_pass_16_mib_exactly_and_keep_stderr_apart() {
    let project = TestProject::new("it-streams", SERVICES);
    project.berth_ok(&["up", "-d", "s"]);
    let data = random_bytes(16 * 1024 * 1024);
    for args in [
        &["exec", "-T", "s", "cat"][..],
        &["run", "--rm", "-T", "s", "cat"][..],
    ] {
        let (stdout, stderr, code) = pipe(&project, args, &data);
        assert_eq!(code, 0, "{args:?}: {}", String::from_utf8_lossy(&stderr));
        assert!(
            stdout.len() == data.len() && stdout == data,
            "{args:?} changed the bytes ({} of {})",
            stdout.len(),
            data.len()
        );
    }
    for args in [
        &[
            "exec",
            "-T",
            "s",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ][..],
        &[
            "run",
            "--rm",
            "-T",
            "s",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ][..],
        // `-q` silences progress only, as in Compose.
        &[
            "run",
            "-q",
            "--rm",
            "-T",
            "s",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ][..],
    ] {
        let (stdout, stderr, code) = pipe(&project, args, b"");
        assert_eq!(code, 3, "{args:?}");
        assert_eq!(String::from_utf8_lossy(&stdout), "out\n", "{args:?}");
        assert_eq!(String::from_utf8_lossy(&stderr), "err\n", "{args:?}");
    }
}

#[test]
fn run_forwards_signals_to_a_container_without_a_terminal() {
    let project = TestProject::new("it-signals", SERVICES);
    let mut child = Command::new(berth_binary())
        .current_dir(&project.dir)
        .args(["-p", &project.name, "run", "--rm", "-T", "s", "sh", "-c"])
        .arg("trap 'echo got-int; exit 3' INT; echo ready; while true; do sleep 0.1; done")
        .env("COMPOSE_PROGRESS", "quiet")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("berth runs");
    let pid = child.id().to_string();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let start = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("ready") {
        let mut buffer = [0_u8; 256];
        let read = std::io::Read::read(&mut stdout, &mut buffer).unwrap();
        assert!(
            read > 0 && start.elapsed() < Duration::from_secs(30),
            "never ready"
        );
        seen.extend_from_slice(&buffer[..read]);
    }
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(
        rest.contains("got-int"),
        "the container did not get SIGINT: {rest:?}"
    );
    // berth ends with the container, with its exit code.
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3), "berth's exit: {status}");
}

#[test]
fn bad_input_fails_as_compose_fails() {
    let project = TestProject::new("it-bad-input", SERVICES);
    project.berth_ok(&["up", "-d", "s"]);
    project.berth_ok(&["create", "tty"]);
    let cases: [(&[&str], &str); 5] = [
        (
            &["exec", "-T", "nope", "true"],
            "service \"nope\" is not running",
        ),
        (
            &["exec", "-T", "tty", "true"],
            "service \"tty\" is not running",
        ),
        (
            &["exec", "-T", "--index", "3", "s", "true"],
            "service \"s\" is not running container #3",
        ),
        (
            &["exec", "-T", "s", "no-such-command"],
            "executable file not found",
        ),
        (
            &["run", "--rm", "-T", "nope", "true"],
            "no such service: nope",
        ),
    ];
    for (args, message) in cases {
        let berth = project.berth(args);
        let compose = project.compose(args);
        let berth_text = format!(
            "{}{}",
            String::from_utf8_lossy(&berth.stdout),
            String::from_utf8_lossy(&berth.stderr)
        );
        assert_eq!(
            berth.status.code(),
            compose.status.code(),
            "{args:?}: berth said {berth_text:?}, compose {:?}",
            String::from_utf8_lossy(&compose.stderr)
        );
        assert!(
            berth_text.contains(message),
            "{args:?}: {berth_text:?} lacks {message:?}"
        );
        assert!(
            String::from_utf8_lossy(&compose.stderr).contains(message)
                || String::from_utf8_lossy(&compose.stdout).contains(message),
            "{args:?}: the oracle no longer says {message:?}"
        );
    }
}

#[test]
fn run_flags_make_the_one_off_container_compose_makes() {
    let project = TestProject::new(
        "it-run-flags",
        "
services:
  db:
    image: ${IMAGE}
    command: [sleep, '3600']
    stop_grace_period: 1s
  s:
    image: ${IMAGE}
    command: [sleep, '1']
    depends_on: [db]
    restart: always
    ports: ['8080']
    environment: [KEEP=1, OVERRIDE=service]
    labels: {from.service: 'yes'}
    networks:
      default:
        aliases: [alias-s]
",
    );
    std::fs::write(project.dir.join(".env"), "FROM_DOTENV=dotenv\n").unwrap();
    std::fs::write(
        project.dir.join("extra.env"),
        "FROM_FILE=file\nOVERRIDE=file\n",
    )
    .unwrap();
    let flags = |name: &str| -> Vec<String> {
        [
            "run",
            "-d",
            "--name",
            name,
            "-e",
            "OVERRIDE=flag",
            "-e",
            "FROM_DOTENV",
            "--env-from-file",
            "extra.env",
            "-l",
            "from.flag=yes",
            "-v",
            "./data:/data:ro",
            "-p",
            "127.0.0.1::81",
            "-w",
            "/tmp",
            "-u",
            "1000",
            "--entrypoint",
            "sh -c",
            "--cap-add",
            "NET_ADMIN",
            "--use-aliases",
            "s",
            "sleep 30",
        ]
        .iter()
        .map(|word| (*word).to_owned())
        .collect()
    };
    let berth_name = format!("{}-berth-run", project.name);
    let compose_name = format!("{}-compose-run", project.name);
    let args = flags(&berth_name);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    project.berth_ok(&args);
    let args = flags(&compose_name);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    project.compose_ok(&args);
    let berth = project
        .container(&berth_name)
        .expect("berth's one-off container");
    let compose = project
        .container(&compose_name)
        .expect("Compose's one-off container");
    let sorted = |value: &serde_json::Value| -> Vec<String> {
        let mut items: Vec<String> = value
            .as_array()
            .map(|items| items.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        items.sort();
        items
    };
    for pointer in [
        "/Config/Entrypoint",
        "/Config/Cmd",
        "/Config/WorkingDir",
        "/Config/User",
        "/Config/Tty",
        "/Config/OpenStdin",
        "/Config/AttachStdin",
        "/Config/StdinOnce",
        "/HostConfig/CapAdd",
        "/HostConfig/RestartPolicy",
        "/HostConfig/AutoRemove",
    ] {
        assert_eq!(
            berth.pointer(pointer),
            compose.pointer(pointer),
            "{pointer}"
        );
    }
    assert_eq!(
        sorted(&berth["Config"]["Env"]),
        sorted(&compose["Config"]["Env"]),
        "Env"
    );
    // Published ports: the same container ports and host addresses (host ports are random).
    let bindings = |container: &serde_json::Value| -> Vec<String> {
        let mut out: Vec<String> = container["HostConfig"]["PortBindings"]
            .as_object()
            .map(|ports| {
                ports
                    .iter()
                    .map(|(port, binding)| format!("{port} {}", binding[0]["HostIp"]))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    };
    assert_eq!(bindings(&berth), bindings(&compose), "PortBindings");
    let mounts = |container: &serde_json::Value| -> Vec<String> {
        let mut out: Vec<String> = container["Mounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|mount| {
                format!(
                    "{} {} {}",
                    mount["Source"], mount["Destination"], mount["RW"]
                )
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(mounts(&berth), mounts(&compose), "Mounts");
    // Labels but the ones that name the container (slug, config hash over its name).
    let labels = |container: &serde_json::Value| -> Vec<String> {
        let mut out: Vec<String> = container["Config"]["Labels"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(key, _)| {
                !matches!(
                    key.as_str(),
                    "com.docker.compose.slug" | "com.docker.compose.config-hash"
                )
            })
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        out.sort();
        out
    };
    assert_eq!(labels(&berth), labels(&compose), "Labels");
    assert_eq!(
        berth["Config"]["Labels"]["com.docker.compose.oneoff"],
        "True"
    );
    // Aliases: the service's too with --use-aliases (the container's own name and ID differ).
    let aliases = |container: &serde_json::Value, own: &str| -> Vec<String> {
        let network = format!("{}_default", project.name);
        let id = container["Id"].as_str().unwrap();
        let mut out: Vec<String> =
            container["NetworkSettings"]["Networks"][network.as_str()]["Aliases"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|alias| alias.as_str())
                .filter(|alias| *alias != own && !id.starts_with(alias))
                .map(str::to_owned)
                .collect();
        out.sort();
        out
    };
    assert_eq!(
        aliases(&berth, &berth_name),
        aliases(&compose, &compose_name),
        "Aliases"
    );
    assert!(
        aliases(&berth, &berth_name).contains(&"alias-s".to_owned()),
        "--use-aliases"
    );
    // The dependency was started first, once.
    let db = project
        .container(&format!("{}-db-1", project.name))
        .expect("the dependency");
    assert_eq!(db["State"]["Running"], true);
}
