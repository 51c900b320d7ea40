//! `berth watch` on the real daemon: every test runs the command in the background on its own
//! project, changes files, and checks the files inside the container (issue 6).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestProject, berth_binary, docker, eventually};

/// How long a change may take to show in the container before a test fails.
const ARRIVAL: Duration = Duration::from_secs(15);

/// A `berth watch` running in the background, interrupted (then killed) when dropped.
struct Watching {
    child: Child,
    output: PathBuf,
}

impl Watching {
    /// Starts `berth watch` with `args` in `project` and waits for `Watch enabled`.
    fn start(project: &TestProject, args: &[&str]) -> Self {
        let mut full = vec!["watch"];
        full.extend_from_slice(args);
        Self::command(project, &full)
    }

    /// Starts `berth` with `args` (a command that watches) and waits for `Watch enabled`.
    fn command(project: &TestProject, args: &[&str]) -> Self {
        let output = project.dir.join("watch.out");
        let file = std::fs::File::create(&output).expect("output file");
        let child = Command::new(berth_binary())
            .current_dir(&project.dir)
            .args(["-p", &project.name])
            .args(args)
            .env("COMPOSE_PROGRESS", "plain")
            .env_remove("COMPOSE_PROJECT_NAME")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("file"))
            .stderr(file)
            .spawn()
            .expect("berth watch starts");
        let watching = Self { child, output };
        assert!(
            eventually(Duration::from_secs(60), || watching
                .output()
                .contains("Watch enabled")),
            "watch did not start:\n{}",
            watching.output()
        );
        watching
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file's content in a container, `None` when it cannot be read.
fn cat(container: &str, path: &str) -> Option<String> {
    let output = Command::new("docker")
        .args(["exec", container, "cat", path])
        .output()
        .expect("docker runs");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether `path` exists in the container.
fn exists(container: &str, path: &str) -> bool {
    Command::new("docker")
        .args(["exec", container, "test", "-e", path])
        .status()
        .expect("docker runs")
        .success()
}

/// Waits until `path` in `container` holds `content`.
fn arrives(container: &str, path: &str, content: &str) {
    assert!(
        eventually(ARRIVAL, || cat(container, path).as_deref() == Some(content)),
        "{path} in {container} is {:?}, expected {content:?}",
        cat(container, path)
    );
}

/// Waits until `path` is gone from `container`.
fn vanishes(container: &str, path: &str) {
    assert!(
        eventually(ARRIVAL, || !exists(container, path)),
        "{path} is still in {container}"
    );
}

fn write(dir: &Path, path: &str, content: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("directories");
    std::fs::write(path, content).expect("written");
}

/// One service syncing `./src` to `/app`, with `extra` appended to its trigger.
fn sync_project(test: &str, extra: &str) -> TestProject {
    let project = TestProject::new(
        test,
        &format!(
            "services:\n  web:\n    image: ${{IMAGE}}\n    command: [\"sleep\", \"3600\"]\n    init: true\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n{extra}"
        ),
    );
    std::fs::create_dir_all(project.dir.join("src")).expect("src");
    project
}

#[test]
fn watch_syncs_created_modified_deleted_and_renamed_files_and_directories() {
    let project = sync_project("watch-basic", "");
    let src = project.dir.join("src");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);

    write(&src, "a.txt", "one");
    arrives(&web, "/app/a.txt", "one");
    write(&src, "a.txt", "two");
    arrives(&web, "/app/a.txt", "two");

    write(&src, "dir/sub/deep.txt", "deep");
    arrives(&web, "/app/dir/sub/deep.txt", "deep");
    // A file created in a directory that appeared moments ago is watched too.
    write(&src, "dir/sub/later.txt", "later");
    arrives(&web, "/app/dir/sub/later.txt", "later");

    std::fs::rename(src.join("a.txt"), src.join("b.txt")).expect("renamed");
    arrives(&web, "/app/b.txt", "two");
    vanishes(&web, "/app/a.txt");

    std::fs::rename(src.join("dir"), src.join("moved")).expect("renamed");
    arrives(&web, "/app/moved/sub/deep.txt", "deep");
    vanishes(&web, "/app/dir");
    // The moved directory is still watched under its new name.
    write(&src, "moved/sub/deep.txt", "changed");
    arrives(&web, "/app/moved/sub/deep.txt", "changed");

    std::fs::remove_file(src.join("b.txt")).expect("removed");
    vanishes(&web, "/app/b.txt");
    std::fs::remove_dir_all(src.join("moved")).expect("removed");
    vanishes(&web, "/app/moved");
}

#[test]
fn atomic_saves_arrive_whole_and_leave_no_temporary_file() {
    let project = sync_project("watch-atomic", "");
    let src = project.dir.join("src");
    write(&src, "config.json", "{}");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    for round in 0..5 {
        // As editors save: write a temporary file beside the original, rename it over.
        let content = format!("{{\"round\": {round}}}");
        write(&src, ".config.json.tmp~", &content);
        std::fs::rename(src.join(".config.json.tmp~"), src.join("config.json")).expect("renamed");
        arrives(&web, "/app/config.json", &content);
    }
    // vim's way: a swap file and its `4913` probe, neither synced.
    write(&src, ".config.json.swp", "swap");
    write(&src, "4913", "");
    std::fs::remove_file(src.join("4913")).expect("removed");
    write(&src, "marker", "m");
    arrives(&web, "/app/marker", "m");
    assert!(!exists(&web, "/app/.config.json.swp"));
    assert!(!exists(&web, "/app/.config.json.tmp~"));
}

/// The checksum of every file under `dir` with its path, as the same shell pipeline prints it
/// in the container and on the host.
const TREE_SUM: &str =
    "find . -type f | LC_ALL=C sort | while read -r f; do echo \"$f\"; cat \"$f\"; done | md5sum";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_two_thousand_file_checkout_arrives_complete() {
    let project = sync_project("watch-checkout", "          initial_sync: true\n");
    let src = project.dir.join("src");
    for index in 0..2000 {
        write(
            &src,
            &format!("pkg{}/file{index}.txt", index % 20),
            &format!("a{index}"),
        );
    }
    git(&src, &["init", "-q"]);
    git(&src, &["add", "."]);
    git(&src, &["commit", "-qm", "a"]);
    git(&src, &["checkout", "-qb", "other"]);
    for index in 0..2000 {
        let path = src.join(format!("pkg{}/file{index}.txt", index % 20));
        match index % 4 {
            0 => std::fs::write(&path, format!("b{index}")).expect("rewritten"),
            1 => std::fs::remove_file(&path).expect("removed"),
            _ => {}
        }
    }
    for index in 0..500 {
        write(
            &src,
            &format!("new{}/n{index}.txt", index % 5),
            &format!("n{index}"),
        );
    }
    std::fs::rename(src.join("pkg3"), src.join("renamed3")).expect("renamed");
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-qm", "b"]);
    git(&src, &["checkout", "-q", "main"]);

    let web = format!("{}-web-1", project.name);
    let local_sum = || {
        let output = Command::new("sh")
            .current_dir(&src)
            .args([
                "-c",
                &TREE_SUM.replace(
                    "find . -type f",
                    "find . -path ./.git -prune -o -type f -print",
                ),
            ])
            .output()
            .expect("sh runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let container_sum = || docker(&["exec", "-w", "/app", &web, "sh", "-c", TREE_SUM]);
    let _watching = Watching::start(&project, &[]);
    assert!(
        eventually(Duration::from_secs(60), || container_sum() == local_sum()),
        "initial sync incomplete"
    );
    for branch in ["other", "main", "other"] {
        git(&src, &["checkout", "-q", branch]);
        assert!(
            eventually(Duration::from_secs(60), || container_sum() == local_sum()),
            "checkout of {branch} incomplete"
        );
    }
    assert!(!exists(&web, "/app/.git"), ".git must not be synced");
}

#[test]
fn ignore_include_and_dockerignore_rules_choose_what_is_synced() {
    // Compose builds services with `build` and `develop` before it watches them; so does berth.
    // (Removed after the project: an image in use cannot be removed.)
    let _cleanup = crate::support::Images(vec!["berthtest-watch-ignore-web".to_owned()]);
    let project = TestProject::new(
        "watch-ignore",
        "services:\n  web:\n    build: .\n    command: [\"sleep\", \"3600\"]\n    init: true\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n          ignore: [\"*.tmp\", node_modules]\n        - path: ./assets\n          action: sync\n          target: /assets\n          include: [\"*.css\"]\n",
    );
    std::fs::write(
        project.dir.join("Dockerfile"),
        format!("FROM {}\n", crate::support::IMAGE),
    )
    .expect("Dockerfile");
    std::fs::write(project.dir.join(".dockerignore"), "src/secret\n").expect("dockerignore");
    std::fs::create_dir_all(project.dir.join("src/node_modules/pkg")).expect("dirs");
    std::fs::create_dir_all(project.dir.join("assets")).expect("dirs");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    let src = project.dir.join("src");
    let assets = project.dir.join("assets");
    write(&src, "x.tmp", "ignored");
    write(&src, "node_modules/pkg/index.js", "ignored");
    write(&src, "secret", "ignored");
    write(&assets, "site.js", "ignored");
    write(&assets, "site.css", "body{}");
    write(&src, "kept.js", "kept");
    arrives(&web, "/app/kept.js", "kept");
    arrives(&web, "/assets/site.css", "body{}");
    for path in [
        "/app/x.tmp",
        "/app/node_modules",
        "/app/secret",
        "/assets/site.js",
    ] {
        assert!(!exists(&web, path), "{path} must not be synced");
    }
}

#[test]
fn files_synced_into_a_non_root_image_belong_to_its_user() {
    let image = "berthtest-watch-nonroot:local";
    let _image = crate::support::build_image(
        image,
        &format!(
            "FROM {}\nRUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group && mkdir -p /app /num && chown 1000:1000 /app && chown 2000:2000 /num\nUSER app\n",
            crate::support::IMAGE
        ),
    );
    let project = TestProject::new(
        "watch-nonroot",
        &format!(
            "services:\n  web:\n    image: {image}\n    command: [\"sleep\", \"3600\"]\n    init: true\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n  num:\n    image: {image}\n    user: \"2000:2000\"\n    command: [\"sleep\", \"3600\"]\n    init: true\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /num\n"
        ),
    );
    let src = project.dir.join("src");
    std::fs::create_dir_all(&src).expect("src");
    let _watching = Watching::start(&project, &[]);
    write(&src, "dir/file.txt", "mine");
    for (container, path, owner) in [
        (format!("{}-web-1", project.name), "/app", "1000:1000"),
        (format!("{}-num-1", project.name), "/num", "2000:2000"),
    ] {
        arrives(&container, &format!("{path}/dir/file.txt"), "mine");
        let owners = docker(&[
            "exec",
            &container,
            "stat",
            "-c",
            "%u:%g",
            &format!("{path}/dir"),
            &format!("{path}/dir/file.txt"),
        ]);
        assert_eq!(owners, format!("{owner}\n{owner}\n"), "in {container}");
        // The container's own user can change and delete what was synced.
        let status = Command::new("docker")
            .args([
                "exec",
                &container,
                "sh",
                "-c",
                &format!("echo more >> {path}/dir/file.txt && rm {path}/dir/file.txt"),
            ])
            .status()
            .expect("docker runs");
        assert!(status.success(), "the user of {container} cannot write");
    }
}

#[test]
fn deletions_reach_a_container_without_rm_or_a_shell() {
    let image = "berthtest-watch-norm:local";
    let _image = crate::support::build_image(
        image,
        &format!(
            "FROM {} AS tools\nFROM scratch\nCOPY --from=tools /bin/busybox /busybox\nCMD [\"/busybox\", \"sleep\", \"3600\"]\n",
            crate::support::IMAGE
        ),
    );
    let project = TestProject::new(
        "watch-norm",
        &format!(
            "services:\n  web:\n    image: {image}\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n"
        ),
    );
    let src = project.dir.join("src");
    std::fs::create_dir_all(&src).expect("src");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    let busybox_cat = |path: &str| {
        let output = Command::new("docker")
            .args(["exec", &web, "/busybox", "cat", path])
            .output()
            .expect("docker runs");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    };
    for index in 0..8 {
        write(&src, &format!("d/f{index}"), "x");
    }
    write(&src, "single", "s");
    assert!(eventually(ARRIVAL, || busybox_cat("/app/d/f7").as_deref()
        == Some("x")
        && busybox_cat("/app/single").as_deref() == Some("s")));
    // One deletion, then many at once (more than an archive carries along).
    std::fs::remove_file(src.join("single")).expect("removed");
    assert!(eventually(ARRIVAL, || busybox_cat("/app/single").is_none()));
    for index in 0..8 {
        std::fs::remove_file(src.join(format!("d/f{index}"))).expect("removed");
    }
    assert!(eventually(ARRIVAL, || {
        (0..8).all(|index| busybox_cat(&format!("/app/d/f{index}")).is_none())
    }));
    std::fs::remove_dir(src.join("d")).expect("removed");
    assert!(eventually(ARRIVAL, || !Command::new("docker")
        .args(["exec", &web, "/busybox", "test", "-e", "/app/d"])
        .status()
        .expect("docker runs")
        .success()));
}

#[test]
fn sync_restart_restarts_the_service_after_the_files_arrive() {
    let project = TestProject::new(
        "watch-restart",
        "services:\n  web:\n    image: ${IMAGE}\n    command: [\"sh\", \"-c\", \"cat /app/conf 2>/dev/null > /tmp/seen-at-start; exec sleep 3600\"]\n    init: true\n    develop:\n      watch:\n        - path: ./conf\n          action: sync+restart\n          target: /app/conf\n",
    );
    std::fs::write(project.dir.join("conf"), "v1").expect("conf");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    let started = || docker(&["inspect", "-f", "{{.State.StartedAt}}", &web]);
    let first = started();
    std::fs::write(project.dir.join("conf"), "v2").expect("conf");
    // The restarted process saw the new file at its start.
    arrives(&web, "/tmp/seen-at-start", "v2");
    assert_ne!(started(), first, "the container was not restarted");
}

#[test]
fn sync_exec_runs_the_command_after_each_sync() {
    let project = TestProject::new(
        "watch-exec",
        "services:\n  web:\n    image: ${IMAGE}\n    command: [\"sleep\", \"3600\"]\n    init: true\n    develop:\n      watch:\n        - path: ./src\n          action: sync+exec\n          target: /app\n          exec:\n            command: [\"sh\", \"-c\", \"cat /app/a.txt >> /tmp/log; echo $$GREETING >> /tmp/log\"]\n            environment:\n              GREETING: hello\n",
    );
    std::fs::create_dir_all(project.dir.join("src")).expect("src");
    let src = project.dir.join("src");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    write(&src, "a.txt", "first\n");
    arrives(&web, "/tmp/log", "first\nhello\n");
    write(&src, "a.txt", "second\n");
    arrives(&web, "/tmp/log", "first\nhello\nsecond\nhello\n");
}

#[test]
fn initial_sync_copies_files_changed_since_the_image_was_built() {
    let project = sync_project("watch-initial", "          initial_sync: true\n");
    let src = project.dir.join("src");
    write(&src, "before.txt", "made before watch");
    write(&src, "nested/x.txt", "nested");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    arrives(&web, "/app/before.txt", "made before watch");
    arrives(&web, "/app/nested/x.txt", "nested");
}

#[test]
fn changes_made_while_the_container_was_stopped_or_recreated_arrive_once_it_runs() {
    let project = sync_project("watch-stopped", "");
    let src = project.dir.join("src");
    write(&src, "old.txt", "old");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    write(&src, "kept.txt", "kept");
    arrives(&web, "/app/kept.txt", "kept");

    docker(&["stop", "-t", "0", &web]);
    write(&src, "while-stopped.txt", "arrived");
    std::fs::remove_file(src.join("kept.txt")).expect("removed");
    std::thread::sleep(Duration::from_millis(500));
    docker(&["start", &web]);
    arrives(&web, "/app/while-stopped.txt", "arrived");
    vanishes(&web, "/app/kept.txt");

    // A container recreated from the image gets every change since watch started.
    project.berth_ok(&["up", "-d", "--force-recreate"]);
    arrives(&web, "/app/while-stopped.txt", "arrived");
    assert!(!exists(&web, "/app/kept.txt"));
}

#[test]
fn rebuild_recreates_only_the_service_and_brings_its_dependents_back() {
    // Removed after the project: an image in use cannot be removed.
    let _cleanup = crate::support::Images(vec!["berthtest-watch-rebuild-app".to_owned()]);
    let project = TestProject::new(
        "watch-rebuild",
        "services:\n  db:\n    image: ${IMAGE}\n    command: [\"sleep\", \"3600\"]\n    init: true\n  app:\n    build: ./app\n    depends_on: [db]\n    init: true\n    develop:\n      watch:\n        - path: ./app/version\n          action: rebuild\n  client:\n    image: ${IMAGE}\n    command: [\"sleep\", \"3600\"]\n    init: true\n    depends_on: [app]\n  sidecar:\n    image: ${IMAGE}\n    command: [\"sleep\", \"3600\"]\n    init: true\n    network_mode: \"service:app\"\n",
    );
    write(
        &project.dir,
        "app/Dockerfile",
        &format!(
            "FROM {}\nCOPY version /version\nCMD [\"sleep\", \"3600\"]\n",
            crate::support::IMAGE
        ),
    );
    write(&project.dir, "app/version", "1");
    let watching = Watching::start(&project, &[]);
    let container = |service: &str| format!("{}-{service}-1", project.name);
    arrives(&container("app"), "/version", "1");
    let id = |service: &str| docker(&["inspect", "-f", "{{.Id}}", &container(service)]);
    let (db, app, client) = (id("db"), id("app"), id("client"));
    let old_image = docker(&["inspect", "-f", "{{.Image}}", &container("app")]);

    write(&project.dir, "app/version", "2");
    arrives(&container("app"), "/version", "2");
    assert_ne!(id("app"), app, "app was not recreated");
    assert_eq!(id("db"), db, "a dependency must not be recreated");
    assert_eq!(
        id("client"),
        client,
        "an unaffected dependent is left as it was"
    );
    for service in ["db", "app", "client", "sidecar"] {
        assert!(
            eventually(ARRIVAL, || docker(&[
                "inspect",
                "-f",
                "{{.State.Running}}",
                &container(service)
            ])
            .trim()
                == "true"),
            "{service} is not running after the rebuild"
        );
    }
    // The sidecar shares the new app container's network namespace.
    let sidecar_mode = docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.NetworkMode}}",
        &container("sidecar"),
    ]);
    assert_eq!(
        sidecar_mode.trim(),
        format!("container:{}", id("app").trim())
    );
    // `--prune` (the default): the replaced image is gone once nothing uses it.
    assert!(
        eventually(ARRIVAL, || docker(&[
            "image",
            "inspect",
            "-f",
            "{{.Id}}",
            old_image.trim()
        ])
        .trim()
        .is_empty()),
        "the replaced image {old_image} was not pruned:\n{}",
        watching.output()
    );
}

#[test]
fn up_watch_shows_output_syncs_and_stops_the_services_on_ctrl_c() {
    let project = TestProject::new(
        "watch-up",
        "services:\n  web:\n    image: ${IMAGE}\n    command: [\"sh\", \"-c\", \"while true; do cat /app/a.txt 2>/dev/null && echo; sleep 0.2; done\"]\n    init: true\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n",
    );
    let src = project.dir.join("src");
    std::fs::create_dir_all(&src).expect("src");
    let mut watching = Watching::command(&project, &["up", "--watch"]);
    let web = format!("{}-web-1", project.name);
    write(&src, "a.txt", "synced-line");
    arrives(&web, "/app/a.txt", "synced-line");
    assert!(
        eventually(ARRIVAL, || watching
            .output()
            .contains("web-1  | synced-line")),
        "the service's output is not shown:\n{}",
        watching.output()
    );
    let _ = Command::new("kill")
        .args(["-INT", &watching.child.id().to_string()])
        .status();
    let status = watching.child.wait().expect("up ends");
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &web]).trim(),
        "false",
        "Ctrl-C must stop the services as up does"
    );
}

#[test]
fn a_large_file_arrives_intact() {
    let project = sync_project("watch-large", "");
    let src = project.dir.join("src");
    let _watching = Watching::start(&project, &[]);
    let web = format!("{}-web-1", project.name);
    let data: Vec<u8> = (0..12 * 1024 * 1024_u32)
        .map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(src.join("big.bin"), &data).expect("written");
    let local = Command::new("md5sum")
        .arg(src.join("big.bin"))
        .output()
        .expect("md5sum runs");
    let local = String::from_utf8_lossy(&local.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        eventually(ARRIVAL, || docker(&[
            "exec",
            &web,
            "md5sum",
            "/app/big.bin"
        ])
        .starts_with(&local)),
        "big.bin did not arrive intact"
    );
}

#[test]
fn watch_shows_the_watched_services_output_from_their_first_line() {
    let project = TestProject::new(
        "watch-output",
        "services:\n  web:\n    image: ${IMAGE}\n    command: [\"sh\", \"-c\", \"echo first-line; exec sleep 3600\"]\n    init: true\n    develop:\n      watch:\n        - path: ./src\n          action: sync+restart\n          target: /app\n",
    );
    std::fs::create_dir_all(project.dir.join("src")).expect("src");
    let watching = Watching::start(&project, &[]);
    assert!(
        eventually(ARRIVAL, || watching
            .output()
            .contains("web-1  | first-line")),
        "{}",
        watching.output()
    );
    // After a restart the new run's output is followed too.
    write(&project.dir.join("src"), "a", "a");
    assert!(
        eventually(ARRIVAL, || watching
            .output()
            .matches("web-1  | first-line")
            .count()
            == 2),
        "{}",
        watching.output()
    );
}

#[test]
fn watch_no_up_watches_a_project_that_already_runs() {
    let project = sync_project("watch-no-up", "");
    project.berth_ok(&["up", "-d"]);
    let web = format!("{}-web-1", project.name);
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &web]);
    let watching = Watching::start(&project, &["--no-up"]);
    write(&project.dir.join("src"), "a.txt", "no-up");
    arrives(&web, "/app/a.txt", "no-up");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.StartedAt}}", &web]),
        started,
        "--no-up must leave the containers alone"
    );
    assert!(
        !watching.output().contains("Creating"),
        "{}",
        watching.output()
    );
}
