//! `berth build` when things go wrong or get big, against `DOCKER_BUILDKIT=0 docker compose build`
//! on the same daemon: a 1 GiB context sent in bounded memory, a failing `RUN` step next to a
//! service that builds, a file in the context its user cannot read, a missing Dockerfile and an
//! unknown service. Every image (and every container Compose's classic builder leaves behind) is
//! removed when the test ends, even on failure.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestProject, berth_binary, docker, text};

/// Images and containers removed when the test ends.
struct Cleanup {
    images: Vec<String>,
    containers: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for container in &self.containers {
            let _ = Command::new("docker")
                .args(["rm", "-f", container])
                .output();
        }
        for image in &self.images {
            let _ = Command::new("docker").args(["rmi", "-f", image]).output();
        }
    }
}

fn present(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// A tag of the test image owned by this test (`<project>-base`, removed with `cleanup`): builds
/// start `FROM` it, so that the image stays while other test processes remove and make again the
/// shared tag (a build whose base vanished fails with "unknown parent image ID").
fn private_base(project: &TestProject, cleanup: &mut Cleanup) -> String {
    let base = format!("{}-base", project.name);
    cleanup.images.push(base.clone());
    let output = Command::new("docker")
        .args(["tag", crate::support::IMAGE, &base])
        .output()
        .expect("docker tag runs");
    assert!(output.status.success(), "docker tag: {}", text(&output));
    base
}

const CLASSIC: &[(&str, &str)] = &[("DOCKER_BUILDKIT", "0")];

/// The ids of the containers the classic builder ran (`---> Running in <id>`): Compose leaves
/// them behind when a build fails or is cancelled.
fn step_containers(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| line.split_once("Running in "))
        .map(|(_, id)| id.trim().to_owned())
        .filter(|id| !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_hexdigit()))
        .collect()
}

/// Peak resident memory of `berth args` in KiB, from the kernel's high-water mark (`VmHWM`) read
/// while it runs (it only grows, so the last reading is the peak up to a few milliseconds), and
/// the output.
fn berth_peak_kib(project: &TestProject, env: &[(&str, &str)], args: &[&str]) -> (u64, Output) {
    let mut command = Command::new(berth_binary());
    command
        .args(["-p", &project.name])
        .args(args)
        .current_dir(&project.dir)
        .env("COMPOSE_PROGRESS", "plain")
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().expect("berth runs");
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        // Stops when the process is gone (reaped): the file then no longer exists, or it is a
        // zombie's, which has no VmHWM line.
        while let Ok(status) = fs::read_to_string(&status_file) {
            let Some(line) = status.lines().find(|line| line.starts_with("VmHWM:")) else {
                break;
            };
            peak = line
                .split_whitespace()
                .nth(1)
                .and_then(|kib| kib.parse().ok())
                .unwrap_or(peak)
                .max(peak);
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let output = child.wait_with_output().expect("berth ends");
    (sampler.join().expect("sampler"), output)
}

/// A 1 GiB context (four sparse 256 MiB files, each ending with a marker) is streamed to the
/// daemon while it is read: berth's peak RSS stays under 100 MiB and every file arrives whole.
#[test]
fn build_sends_a_1_gib_context_in_bounded_memory() {
    let project = TestProject::new("buildfault-memory", "services:\n  big:\n    build: ctx\n");
    let image = format!("{}-big", project.name);
    let mut cleanup = Cleanup {
        images: vec![image.clone()],
        containers: Vec::new(),
    };
    let base = private_base(&project, &mut cleanup);
    let context = project.dir.join("ctx");
    fs::create_dir_all(&context).expect("context directory");
    fs::write(
        context.join("Dockerfile"),
        format!("FROM {base}\nCOPY . /ctx/\n"),
    )
    .expect("Dockerfile");
    const SIZE: u64 = 256 << 20;
    for index in 0..4 {
        let file = fs::File::create(context.join(format!("big{index}"))).expect("big file");
        file.set_len(SIZE).expect("sparse file");
        std::os::unix::fs::FileExt::write_all_at(
            &file,
            format!("end-of-big-{index}-ok\n").as_bytes(),
            SIZE - 16,
        )
        .expect("marker at the end");
    }
    let started = Instant::now();
    let (peak, output) = berth_peak_kib(&project, CLASSIC, &["build", "big"]);
    let elapsed = started.elapsed();
    eprintln!(
        "1 GiB context: berth build took {elapsed:?}, peak RSS {peak} KiB; {}",
        text(&output).lines().last().unwrap_or_default()
    );
    assert!(
        output.status.success(),
        "berth build failed:\n{}",
        text(&output)
    );
    assert!(peak > 0, "no VmHWM read");
    assert!(
        peak < 100 * 1024,
        "berth build peaked at {peak} KiB sending a 1 GiB context"
    );
    let arrived = docker(&[
        "run",
        "--rm",
        &image,
        "sh",
        "-c",
        "for f in /ctx/big*; do echo $(stat -c %s $f) $(tail -c 16 $f); done",
    ]);
    let expected: String = (0..4)
        .map(|index| format!("{SIZE} end-of-big-{index}-ok\n"))
        .collect();
    assert_eq!(arrived, expected);
}

/// A failing `RUN` in one service while another builds: berth ends with the step's exit code, as
/// Compose's classic builder does (3 for `exit 3`), shows the step and its output, and reports the
/// other service built (its image exists). Compose cancels the other build when one fails; berth
/// finishes it.
#[test]
fn build_failing_run_step_exits_with_its_code_and_the_other_service_is_built() {
    let project = TestProject::new(
        "buildfault-run",
        "services:\n  bad:\n    build: bad\n  good:\n    build: good\n",
    );
    let bad = format!("{}-bad", project.name);
    let good = format!("{}-good", project.name);
    let mut cleanup = Cleanup {
        images: vec![bad.clone(), good.clone()],
        containers: Vec::new(),
    };
    let base = private_base(&project, &mut cleanup);
    for (dir, dockerfile) in [
        (
            "bad",
            "FROM ${IMAGE}\nRUN echo output-before-failing && exit 3\n",
        ),
        ("good", "FROM ${IMAGE}\nRUN echo fine > /fine\n"),
    ] {
        fs::create_dir_all(project.dir.join(dir)).expect("context");
        fs::write(
            project.dir.join(dir).join("Dockerfile"),
            dockerfile.replace("${IMAGE}", &base),
        )
        .expect("Dockerfile");
    }

    let compose = project.compose_env(CLASSIC, &["build"]);
    let compose_text = text(&compose);
    cleanup.containers.extend(step_containers(&compose_text));
    assert_eq!(compose.status.code(), Some(3), "Compose:\n{compose_text}");
    for image in [&bad, &good] {
        let _ = docker(&["rmi", "-f", image]);
    }

    let output = project.berth_env(CLASSIC, &["build"]);
    let output_text = text(&output);
    cleanup.containers.extend(step_containers(&output_text));
    assert_eq!(
        output.status.code(),
        compose.status.code(),
        "berth:\n{output_text}"
    );
    for shown in [
        "RUN echo output-before-failing && exit 3",
        "\noutput-before-failing\n",
        "returned a non-zero code: 3",
    ] {
        let found = output_text.contains(shown)
            || output_text
                .lines()
                .any(|line| line.ends_with(shown.trim_matches('\n')));
        assert!(found, "{shown:?} not shown:\n{output_text}");
    }
    assert!(
        output_text
            .lines()
            .any(|line| line.contains("good") && line.trim_end().ends_with("Built")),
        "the good service is not reported built:\n{output_text}"
    );
    assert!(!present(&bad), "the failed build left an image");
    assert_eq!(
        docker(&["run", "--rm", &good, "cat", "/fine"]),
        "fine\n",
        "the good service's image"
    );
}

/// The gid of the daemon's socket, so that an unprivileged user can be let in.
fn socket_gid() -> Option<u32> {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let path = host
        .strip_prefix("unix://")
        .unwrap_or("/var/run/docker.sock");
    fs::metadata(path).ok().map(|metadata| metadata.gid())
}

/// The Compose plugin, reachable by an unprivileged user: hard-linked (or copied) next to `dir`
/// when it sits in root's home. Returns the `DOCKER_CONFIG` to use.
fn compose_config_for_others(dir: &Path) -> Option<PathBuf> {
    let home = std::env::var("HOME").unwrap_or_default();
    let config = std::env::var("DOCKER_CONFIG").unwrap_or_else(|_| format!("{home}/.docker"));
    let plugin = [
        format!("{config}/cli-plugins/docker-compose"),
        "/usr/local/lib/docker/cli-plugins/docker-compose".to_owned(),
        "/usr/libexec/docker/cli-plugins/docker-compose".to_owned(),
        "/usr/lib/docker/cli-plugins/docker-compose".to_owned(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.is_file())?;
    let others = dir.join("docker-config");
    fs::create_dir_all(others.join("cli-plugins")).ok()?;
    let link = others.join("cli-plugins/docker-compose");
    if fs::hard_link(&plugin, &link).is_err() {
        fs::copy(&plugin, &link).ok()?;
    }
    Some(others)
}

/// Runs `program args` in `dir` as nobody (65534) with the socket's group, through `setpriv`.
fn as_nobody(dir: &Path, env: &[(&str, &str)], program: &str, args: &[&str]) -> Output {
    let gid = socket_gid().expect("the daemon's socket").to_string();
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--groups", &gid, program])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("COMPOSE_PROGRESS", "plain")
        .env_remove("COMPOSE_PROJECT_NAME");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("setpriv runs")
}

fn chown_tree(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).expect("chown");
    if path.is_dir() && !path.is_symlink() {
        for entry in fs::read_dir(path).expect("directory") {
            chown_tree(&entry.expect("entry").path(), uid);
        }
    }
}

/// A context file its user cannot read. Tests run as root, which reads a mode-000 file anyway,
/// so both tools run as nobody (uid 65534, with the socket's group) on a project nobody owns.
/// Compose's classic builder stops before sending, naming the file ("checking context: no
/// permission to read from '<path>'", exit 1); berth must fail too and build and tag nothing, with
/// either builder. (Compose with BuildKit builds, with the file empty in the image.)
#[test]
fn build_with_an_unreadable_context_file_fails_and_builds_nothing() {
    unreadable_context_file("buildfault-unreadable", false);
}

/// As above, and berth's error names the file, as Compose's does.
#[test]
fn build_with_an_unreadable_context_file_names_it() {
    unreadable_context_file("buildfault-unreadable-named", true);
}

fn unreadable_context_file(test: &str, named: bool) {
    let project = TestProject::new(test, "services:\n  s:\n    build: ctx\n");
    let image = format!("{}-s", project.name);
    let _cleanup = Cleanup {
        images: vec![image.clone()],
        containers: Vec::new(),
    };
    let context = project.dir.join("ctx");
    fs::create_dir_all(context.join("sub")).expect("context");
    fs::write(
        context.join("Dockerfile"),
        format!("FROM {}\nCOPY . /ctx/\n", crate::support::IMAGE),
    )
    .expect("Dockerfile");
    fs::write(context.join("open.txt"), "open\n").expect("file");
    let locked = context.join("sub/locked.txt");
    fs::write(&locked, "secret\n").expect("file");
    chown_tree(&project.dir, 65534);
    // After the chown: the plugin may be a hard link to root's own file.
    let compose_config = compose_config_for_others(&project.dir);
    fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000))
        .expect("chmod 000");
    let mut parent = project.dir.parent();
    while let Some(dir) = parent {
        // The temporary directories above the project must let nobody through.
        let mode = fs::metadata(dir).expect("parent").mode();
        assert!(mode & 0o001 != 0, "{} is closed to others", dir.display());
        parent = dir.parent();
    }
    let name = project.name.clone();
    let args = ["-p", &name, "build"];

    if let Some(config) = &compose_config {
        let config = config.to_string_lossy().into_owned();
        let mut compose_args = vec!["compose"];
        compose_args.extend_from_slice(&args);
        let compose = as_nobody(
            &project.dir,
            &[("DOCKER_BUILDKIT", "0"), ("DOCKER_CONFIG", &config)],
            "docker",
            &compose_args,
        );
        let compose_text = text(&compose);
        assert_eq!(compose.status.code(), Some(1), "Compose:\n{compose_text}");
        assert!(
            compose_text.contains(&format!(
                "no permission to read from '{}'",
                locked.display()
            )),
            "Compose:\n{compose_text}"
        );
        assert!(!present(&image), "Compose built {image}");
    }

    for builder in ["0", "1"] {
        let output = as_nobody(
            &project.dir,
            &[("DOCKER_BUILDKIT", builder)],
            berth_binary(),
            &args,
        );
        let output_text = text(&output);
        assert!(
            !output.status.success(),
            "DOCKER_BUILDKIT={builder}: berth built with an unreadable file:\n{output_text}"
        );
        assert!(
            !present(&image),
            "DOCKER_BUILDKIT={builder}: berth tagged {image}"
        );
        assert!(
            !named || output_text.contains(&locked.display().to_string()),
            "DOCKER_BUILDKIT={builder}: the error does not name {}:\n{output_text}",
            locked.display()
        );
    }
    // Root removes the project directory whoever owns it.
}

/// A service whose Dockerfile does not exist, and an unknown service: a clear error naming it,
/// the exit code Compose gives (1), nothing built.
#[test]
fn build_of_a_missing_dockerfile_or_an_unknown_service_fails_as_compose_does() {
    let project = TestProject::new(
        "buildfault-missing",
        "services:\n  s:\n    build:\n      context: ctx\n      dockerfile: Missing.Dockerfile\n",
    );
    let image = format!("{}-s", project.name);
    let _cleanup = Cleanup {
        images: vec![image.clone()],
        containers: Vec::new(),
    };
    fs::create_dir_all(project.dir.join("ctx")).expect("context");
    fs::write(project.dir.join("ctx/Dockerfile"), "FROM scratch\n").expect("other Dockerfile");
    let builders: [&[(&str, &str)]; 2] = [CLASSIC, &[]];
    for env in builders {
        for (args, named) in [
            (&["build", "s"][..], "Missing.Dockerfile"),
            (&["build", "nosuch"][..], "no such service: nosuch"),
        ] {
            let compose = project.compose_env(env, args);
            let output = project.berth_env(env, args);
            assert_eq!(
                compose.status.code(),
                Some(1),
                "Compose {env:?} {args:?}:\n{}",
                text(&compose)
            );
            assert!(
                text(&compose).contains(named),
                "Compose:\n{}",
                text(&compose)
            );
            assert_eq!(
                output.status.code(),
                compose.status.code(),
                "berth {env:?} {args:?}:\n{}",
                text(&output)
            );
            assert!(
                text(&output).contains(named),
                "berth {env:?} {args:?} does not say {named:?}:\n{}",
                text(&output)
            );
            assert!(!present(&image), "{args:?} built {image}");
        }
    }
}
