//! `berth cp` on the real daemon, each behaviour checked against `docker compose cp` (the oracle)
//! on the same containers: a tree with modes, symlinks, an empty directory and a 100 MiB file
//! round-tripped both ways; docker cp's path rules case by case; the errors for bad input; tar
//! streams on standard input and output; ownership with `-a`; and the memory berth holds while
//! it streams 100 MiB.
//!
//! Each test owns project `berthtest-cp-<test>`, removed by label when it ends.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::support::{TestProject, berth_binary, docker};

const COMPOSE: &str = r#"services:
  web:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    init: true
  other:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    init: true
    profiles: [never]
"#;

/// A project with `web` up (one replica, or `scale`), made by the oracle.
fn project(test: &str, scale: u32) -> TestProject {
    let project = TestProject::new(&format!("cp-{test}"), COMPOSE);
    project.compose_ok(&["up", "-d", "--scale", &format!("web={scale}"), "web"]);
    project
}

fn container(project: &TestProject, number: u32) -> String {
    format!("{}-web-{number}", project.name)
}

/// Runs `program` (berth, or `docker compose`) in the project directory with `stdin` fed in.
fn run_with_stdin(project: &TestProject, oracle: bool, args: &[&str], stdin: &[u8]) -> Output {
    let mut command = if oracle {
        let mut command = Command::new("docker");
        command.args(["compose", "-p", &project.name]);
        command
    } else {
        let mut command = Command::new(berth_binary());
        command.args(["-p", &project.name]);
        command
    };
    let mut child = command
        .args(args)
        .current_dir(&project.dir)
        .env("COMPOSE_PROGRESS", "plain")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("stdin written");
    drop(input);
    child.wait_with_output().expect("the command ends")
}

/// `docker exec` in `container`, asserting success; returns stdout.
fn exec(container: &str, script: &str) -> String {
    let output = Command::new("docker")
        .args(["exec", container, "sh", "-c", script])
        .output()
        .expect("docker exec runs");
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every entry under `root` in the container: name, mode, owner, type and link target, plus size
/// and mtime when `with_times` (left out where the two tools' starting states were made at
/// slightly different moments).
fn container_listing(container: &str, root: &str, with_times: bool) -> String {
    let format = if with_times {
        "%n %a %u:%g %s %Y %h %F %N"
    } else {
        "%n %a %u:%g %F %N"
    };
    exec(
        container,
        &format!(
            "cd {root} && find . | sort | while read -r f; do stat -c '{format}' \"$f\"; done"
        ),
    )
}

/// Every entry under `root` locally, in the same spirit: name, type, mode, size, link target,
/// the content of small files, and mtimes when `with_times`.
fn local_listing(root: &Path, with_times: bool) -> Vec<String> {
    let mut lines = Vec::new();
    walk(root, root, with_times, &mut lines);
    lines.sort();
    lines
}

fn walk(root: &Path, path: &Path, with_times: bool, lines: &mut Vec<String>) {
    let metadata = fs::symlink_metadata(path).expect("lstat");
    let name = path
        .strip_prefix(root)
        .expect("under root")
        .display()
        .to_string();
    let kind = metadata.file_type();
    let mode = metadata.mode() & 0o7777;
    let time = if with_times {
        metadata.mtime().to_string()
    } else {
        String::new()
    };
    if kind.is_symlink() {
        let target = fs::read_link(path).expect("readlink");
        lines.push(format!("{name} link {} {time}", target.display()));
    } else if kind.is_dir() {
        lines.push(format!("{name} dir {mode:o} {time}"));
        for entry in fs::read_dir(path).expect("read_dir") {
            walk(root, &entry.expect("entry").path(), with_times, lines);
        }
    } else {
        let content = if metadata.len() <= 4096 {
            String::from_utf8_lossy(&fs::read(path).expect("read")).into_owned()
        } else {
            String::new()
        };
        lines.push(format!(
            "{name} file {mode:o} {} {time} links={} {content:?}",
            metadata.len(),
            metadata.nlink()
        ));
    }
}

/// Whether two files hold the same bytes, compared a megabyte at a time.
fn same_bytes(first: &Path, second: &Path) -> bool {
    use std::io::Read as _;
    let mut first = fs::File::open(first).expect("open");
    let mut second = fs::File::open(second).expect("open");
    let mut one = vec![0; 1 << 20];
    let mut two = vec![0; 1 << 20];
    loop {
        let read = first.read(&mut one).expect("read");
        let mut filled = 0;
        while filled < read {
            let more = second.read(&mut two[filled..read]).expect("read");
            if more == 0 {
                return false;
            }
            filled += more;
        }
        if read == 0 {
            return second.read(&mut two).expect("read") == 0;
        }
        if one[..read] != two[..read] {
            return false;
        }
    }
}

/// Writes `size` pseudo-random bytes (xorshift, so nothing compresses or repeats).
fn write_noise(path: &Path, size: usize) {
    let mut file = std::io::BufWriter::new(fs::File::create(path).expect("create"));
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for word in chunk.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let take = left.min(chunk.len());
        file.write_all(&chunk[..take]).expect("write");
        left -= take;
    }
    file.flush().expect("flush");
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The tree the round trip copies: modes 0755, 0750, 0700, 0600, 0644, a relative and an
/// absolute symlink, a hard link, an empty directory, and a 100 MiB file; every mtime fixed in
/// the past.
fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("empty")).expect("dirs");
    fs::create_dir_all(root.join("sub")).expect("dirs");
    fs::write(root.join("run.sh"), "#!/bin/sh\necho hi\n").expect("file");
    fs::write(root.join("secret"), "s3cret\n").expect("file");
    fs::write(root.join("data.txt"), "data\n").expect("file");
    write_noise(&root.join("sub/big.bin"), 100 << 20);
    std::os::unix::fs::symlink("data.txt", root.join("rel")).expect("symlink");
    std::os::unix::fs::symlink("/etc/hostname", root.join("abs")).expect("symlink");
    fs::hard_link(root.join("data.txt"), root.join("twin.txt")).expect("hard link");
    chmod(root, 0o755);
    chmod(&root.join("run.sh"), 0o755);
    chmod(&root.join("secret"), 0o600);
    chmod(&root.join("data.txt"), 0o644);
    chmod(&root.join("empty"), 0o700);
    chmod(&root.join("sub"), 0o750);
    let status = Command::new("sh")
        .args(["-c", "find \"$0\" -exec touch -h -d @1600000000 {} +"])
        .arg(root)
        .status()
        .expect("touch runs");
    assert!(status.success());
}

fn md5(container: &str, path: &str) -> String {
    exec(container, &format!("md5sum {path}"))
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn cp_round_trips_a_tree_both_ways_as_compose_does() {
    let project = project("roundtrip", 1);
    let web = container(&project, 1);
    let tree = project.dir.join("tree");
    make_tree(&tree);

    // Host to container: berth and Compose must leave the same tree.
    project.berth_ok(&["cp", "tree", "web:/by-berth"]);
    project.compose_ok(&["cp", "tree", "web:/by-compose"]);
    let by_berth = container_listing(&web, "/by-berth", true);
    // Without `-a` the daemon keeps the archive's owner: whoever owns the local files.
    let owner = fs::metadata(&tree).expect("tree");
    let owner = format!("{}:{}", owner.uid(), owner.gid());
    assert_eq!(by_berth, container_listing(&web, "/by-compose", true));
    for expected in [
        format!(". 755 {owner} "),
        format!("./secret 600 {owner} 7 1600000000 1 regular file"),
        format!("./twin.txt 644 {owner} 5 1600000000 2 regular file"),
        "./run.sh 755 ".to_owned(),
        "./empty 700 ".to_owned(),
        "./sub 750 ".to_owned(),
        format!("./rel 777 {owner} 8 1600000000 1 symbolic link './rel' -> 'data.txt'"),
        "'./abs' -> '/etc/hostname'".to_owned(),
        format!("./sub/big.bin 644 {owner} 104857600 1600000000 1 regular file"),
    ] {
        assert!(by_berth.contains(&expected), "{expected:?} in:\n{by_berth}");
    }
    let local_md5 = Command::new("md5sum")
        .arg(tree.join("sub/big.bin"))
        .output()
        .expect("md5sum runs");
    let local_md5 = String::from_utf8_lossy(&local_md5.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(md5(&web, "/by-berth/sub/big.bin"), local_md5);
    assert_eq!(md5(&web, "/by-compose/sub/big.bin"), local_md5);

    // Container to host: the tree comes back as it left, as it does through Compose.
    project.berth_ok(&["cp", "web:/by-berth", "back"]);
    project.compose_ok(&["cp", "web:/by-compose", "back-compose"]);
    let original = local_listing(&tree, true);
    assert_eq!(local_listing(&project.dir.join("back"), true), original);
    assert_eq!(
        local_listing(&project.dir.join("back-compose"), true),
        original
    );
    assert!(same_bytes(
        &tree.join("sub/big.bin"),
        &project.dir.join("back/sub/big.bin")
    ));
}

/// One path-rule case: berth copies into `b`, Compose into `c`, from the same source.
struct Case {
    args: &'static [&'static str],
}

/// Runs `args` with `ROOT` replaced by `b` for berth and `c` for Compose; both must succeed or
/// fail alike, with the same message, which is returned.
fn both(project: &TestProject, args: &[&str]) -> Option<String> {
    let for_root =
        |root: &str| -> Vec<String> { args.iter().map(|arg| arg.replace("ROOT", root)).collect() };
    let berth_args = for_root("b");
    let compose_args = for_root("c");
    let berth = project.berth(&berth_args.iter().map(String::as_str).collect::<Vec<_>>());
    let compose = project.compose(&compose_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        berth.status.code(),
        compose.status.code(),
        "{args:?}: berth {}, compose {}",
        String::from_utf8_lossy(&berth.stderr),
        String::from_utf8_lossy(&compose.stderr)
    );
    if !compose.status.success() {
        let unrooted = |line: String, root: &str| {
            line.replace(&format!("/{root}/"), "/ROOT/")
                .replace(&format!("/{root}\""), "/ROOT\"")
        };
        let message = unrooted(last_line(&compose), "c");
        assert_eq!(
            unrooted(last_line(&berth), "b").trim_start_matches("error: "),
            message,
            "{args:?}"
        );
        return Some(message);
    }
    None
}

/// The last line of `output`'s stderr that is a message, not Compose's log of its tar writer
/// finding the pipe closed: when the daemon refuses a copy, that goroutine may log after the
/// error is printed (`level=error msg="Can't add file … to tar: io: read/write on closed pipe"`).
fn last_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .rfind(|line| !(line.starts_with("time=") && line.contains("read/write on closed pipe")))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn cp_path_rules_match_compose() {
    let project = project("paths", 1);
    let web = container(&project, 1);
    // Local sources.
    let dir = project.dir.join("dir");
    fs::create_dir_all(dir.join("inner")).expect("dirs");
    fs::write(dir.join("a.txt"), "a\n").expect("file");
    fs::write(dir.join("inner/b.txt"), "b\n").expect("file");
    fs::write(project.dir.join("file.txt"), "file\n").expect("file");
    std::os::unix::fs::symlink("file.txt", project.dir.join("link")).expect("symlink");
    fs::write(project.dir.join("inner"), "a file named like a directory\n").expect("file");
    // Container sides: the same starting state under /b and /c.
    exec(
        &web,
        "for r in /b /c; do mkdir -p $r/existing $r/existing2 $r/srcdir/inner && \
         echo x > $r/afile && echo s > $r/srcfile && echo i > $r/srcdir/inner/i && \
         ln -s srcfile $r/srclink && ln -s existing2 $r/dirlink; done",
    );
    // Local destinations: the same starting state under b/ and c/.
    for root in ["b", "c"] {
        let root = project.dir.join(root);
        fs::create_dir_all(root.join("existing")).expect("dirs");
        fs::write(root.join("afile"), "x\n").expect("file");
        fs::create_dir_all(root.join("clash")).expect("dirs");
        fs::create_dir_all(root.join("linked")).expect("dirs");
        std::os::unix::fs::symlink("linked", root.join("dlink")).expect("symlink");
        fs::write(root.join("clash/inner"), "a file where a directory comes\n").expect("file");
    }

    let to_container = [
        Case {
            args: &["cp", "dir", "web:/ROOT/new"],
        },
        Case {
            args: &["cp", "dir/.", "web:/ROOT/existing"],
        },
        Case {
            args: &["cp", "dir/", "web:/ROOT/existing2/"],
        },
        Case {
            args: &["cp", "file.txt", "web:/ROOT/existing"],
        },
        Case {
            args: &["cp", "file.txt", "web:/ROOT/renamed.txt"],
        },
        Case {
            args: &["cp", "file.txt", "web:/ROOT/afile"],
        },
        Case {
            args: &["cp", "file.txt", "web:/ROOT/missing/"],
        },
        Case {
            args: &["cp", "dir", "web:/ROOT/afile"],
        },
        Case {
            args: &["cp", "dir", "web:/ROOT/nowhere/deeper/"],
        },
        Case {
            args: &["cp", "link", "web:/ROOT/existing2"],
        },
        Case {
            args: &["cp", "-L", "link", "web:/ROOT/followed"],
        },
        // A destination that is a symlink to a directory is followed.
        Case {
            args: &["cp", "file.txt", "web:/ROOT/dirlink"],
        },
        // The daemon refuses to put a file where a directory is.
        Case {
            args: &["cp", "inner", "web:/ROOT/existing"],
        },
    ];
    let mut errors: Vec<String> = to_container
        .iter()
        .filter_map(|case| both(&project, case.args))
        .collect();
    assert_eq!(
        container_listing(&web, "/b", false),
        container_listing(&web, "/c", false)
    );
    let listing = container_listing(&web, "/b", false);
    for expected in [
        "./new/inner/b.txt",
        "./existing/a.txt",
        "./existing/inner/b.txt",
        "./existing2/dir/a.txt",
        "./existing2/file.txt",
        "./existing/file.txt",
        "./renamed.txt",
        "'./existing2/link' -> 'file.txt'",
        "./followed 644 ",
    ] {
        assert!(listing.contains(expected), "{expected:?} in:\n{listing}");
    }

    let from_container = [
        Case {
            args: &["cp", "web:/ROOT/srcdir", "ROOT/newdir"],
        },
        Case {
            args: &["cp", "web:/ROOT/srcdir/.", "ROOT/existing"],
        },
        Case {
            args: &["cp", "web:/ROOT/srcfile", "ROOT/existing"],
        },
        Case {
            args: &["cp", "web:/ROOT/srcfile", "ROOT/renamed"],
        },
        Case {
            args: &["cp", "web:/ROOT/srcfile", "ROOT/afile"],
        },
        Case {
            args: &["cp", "web:/ROOT/srcfile", "ROOT/missing/"],
        },
        Case {
            args: &["cp", "web:/ROOT/srcdir", "ROOT/afile"],
        },
        Case {
            args: &["cp", "web:/ROOT/srclink", "ROOT/kept-link"],
        },
        Case {
            args: &["cp", "-L", "web:/ROOT/srclink", "ROOT/followed"],
        },
        Case {
            args: &["cp", "web:/ROOT/srcfile", "ROOT/no/such/dir"],
        },
        // A local destination that is a symlink to a directory is followed.
        Case {
            args: &["cp", "web:/ROOT/srcfile", "ROOT/dlink"],
        },
        // berth refuses to put a directory where a file is, as Docker's extraction does.
        Case {
            args: &["cp", "web:/ROOT/srcdir/.", "ROOT/clash"],
        },
    ];
    errors.extend(
        from_container
            .iter()
            .filter_map(|case| both(&project, case.args)),
    );
    let errors = errors.join("\n");
    for expected in [
        "no such directory",
        "cannot copy directory",
        "Error response from daemon: Could not find the file /ROOT/nowhere in container",
        "Error response from daemon: Error processing tar file(exit status 1): cannot overwrite directory \"/ROOT/existing/inner\" with non-directory \"/ROOT/existing\"",
        "invalid output path: directory",
        "/ROOT/clash/inner\" with directory",
    ] {
        assert!(errors.contains(expected), "{expected:?} in:\n{errors}");
    }
    let berth_side = local_listing(&project.dir.join("b"), false);
    assert_eq!(berth_side, local_listing(&project.dir.join("c"), false));
    let joined = berth_side.join("\n");
    for expected in [
        "newdir/inner/i file",
        "existing/inner/i file",
        "existing/srcfile file",
        "renamed file",
        "afile file 644 2",
        "kept-link link srcfile",
        "followed file",
        "linked/srcfile file",
    ] {
        assert!(joined.contains(expected), "{expected:?} in:\n{joined}");
    }
}

#[test]
fn cp_bad_input_fails_as_compose_does() {
    let project = project("errors", 2);
    fs::write(project.dir.join("file.txt"), "file\n").expect("file");
    for args in [
        &["cp", "file.txt", "nosuch:/tmp"][..],
        &["cp", "file.txt", "other:/tmp"],
        &["cp", "--index", "3", "file.txt", "web:/tmp"],
        &["cp", "--index", "3", "web:/etc/hostname", "out"],
        &["cp", "web:/etc/hostname", "web:/tmp"],
        &["cp", "file.txt", "out.txt"],
        &["cp", "missing.txt", "web:/tmp"],
        &["cp", "web:/no/such/file", "out"],
        &["cp", "file.txt", "web:/tmp/new/"],
        &["cp", "web:/etc/hostname", "no/such/dir/out"],
        &["cp", "", "web:/tmp"],
        &["cp", "file.txt", ""],
        &["cp", "--index", "1", "-", "web:/etc/hostname"],
    ] {
        both(&project, args);
    }
    // A wrong count of paths is a usage error with Compose's exit code, 1.
    for args in [&["cp", "file.txt"][..], &["cp", "a", "b", "c"]] {
        let berth = project.berth(args);
        assert_eq!(berth.status.code(), project.compose(args).status.code());
        assert!(
            String::from_utf8_lossy(&berth.stderr).contains("'berth cp' requires 2 arguments"),
            "{}",
            String::from_utf8_lossy(&berth.stderr)
        );
    }
    // The index picks the replica: both tools read replica 2's file.
    exec(&container(&project, 2), "echo two > /tmp/which");
    project.berth_ok(&["cp", "--index", "2", "web:/tmp/which", "which"]);
    assert_eq!(
        fs::read_to_string(project.dir.join("which")).expect("copied"),
        "two\n"
    );
}

#[test]
fn cp_streams_tar_on_standard_input_and_output() {
    let project = project("streams", 2);
    let web = container(&project, 1);
    exec(
        &web,
        "mkdir -p /src/d && echo hello > /src/d/f && chmod 640 /src/d/f",
    );
    let berth = run_with_stdin(
        &project,
        false,
        &["cp", "--index", "1", "web:/src/d", "-"],
        b"",
    );
    let compose = run_with_stdin(
        &project,
        true,
        &["cp", "--index", "1", "web:/src/d", "-"],
        b"",
    );
    assert!(
        berth.status.success(),
        "{}",
        String::from_utf8_lossy(&berth.stderr)
    );
    assert!(compose.status.success());
    // The daemon made both archives from the same files.
    assert_eq!(berth.stdout, compose.stdout);
    let archive = project.dir.join("d.tar");
    fs::write(&archive, &berth.stdout).expect("archive");
    let listing = Command::new("tar")
        .arg("tvf")
        .arg(&archive)
        .output()
        .expect("tar runs");
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains(" d/\n") && listing.contains("-rw-r----- "),
        "{listing}"
    );

    // The same tar back in, to every replica (Compose gives standard input to one only).
    let berth = run_with_stdin(&project, false, &["cp", "-", "web:/tmp"], &compose.stdout);
    assert!(
        berth.status.success(),
        "{}",
        String::from_utf8_lossy(&berth.stderr)
    );
    for number in [1, 2] {
        assert_eq!(
            exec(&container(&project, number), "stat -c '%a %s' /tmp/d/f"),
            "640 6\n"
        );
    }
}

/// With `-a` the daemon gives the files to the service's user (looked up by name), without it
/// they keep the local owner's ids. Changing a file's owner takes root, as the daemon tests do.
#[test]
fn cp_archive_mode_applies_the_service_user_as_compose_does() {
    let project = TestProject::new(
        "cp-owner",
        r#"services:
  web:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    init: true
    user: root
"#,
    );
    project.compose_ok(&["up", "-d"]);
    let web = container(&project, 1);
    let file = project.dir.join("owned.txt");
    fs::write(&file, "x\n").expect("file");
    std::os::unix::fs::chown(&file, Some(42), Some(43)).expect("chown");
    for (tool, archive) in [("b", false), ("c", false), ("ba", true), ("ca", true)] {
        let destination = format!("web:/tmp/{tool}");
        let mut args = vec!["cp"];
        if archive {
            args.push("-a");
        }
        args.extend(["owned.txt", &destination]);
        if tool.starts_with('b') {
            project.berth_ok(&args);
        } else {
            project.compose_ok(&args);
        }
    }
    let owners = exec(&web, "stat -c '%n %u:%g' /tmp/b /tmp/c /tmp/ba /tmp/ca");
    assert_eq!(
        owners,
        "/tmp/b 42:43\n/tmp/c 42:43\n/tmp/ba 0:0\n/tmp/ca 0:0\n"
    );
}

/// Peak resident memory of `berth args`, in KiB, read from `/proc` while it runs (the kernel's
/// high-water mark only grows, so the last reading is the peak up to a few milliseconds).
fn berth_peak_kib(project: &TestProject, args: &[&str]) -> u64 {
    let mut child = Command::new(berth_binary())
        .args(["-p", &project.name])
        .args(args)
        .current_dir(&project.dir)
        .env("COMPOSE_PROGRESS", "quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("berth runs");
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak = 0;
    loop {
        if let Ok(status) = fs::read_to_string(&status_file)
            && let Some(line) = status.lines().find(|line| line.starts_with("VmHWM:"))
        {
            peak = line
                .split_whitespace()
                .nth(1)
                .and_then(|kib| kib.parse().ok())
                .unwrap_or(peak)
                .max(peak);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "berth {args:?} failed");
            return peak;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn cp_memory_stays_bounded_on_a_100_mib_copy() {
    let project = project("memory", 1);
    write_noise(&project.dir.join("big.bin"), 100 << 20);
    fs::write(project.dir.join("small.bin"), "s\n").expect("file");
    let small_in = berth_peak_kib(&project, &["cp", "small.bin", "web:/tmp/small.bin"]);
    let big_in = berth_peak_kib(&project, &["cp", "big.bin", "web:/tmp/big.bin"]);
    let small_out = berth_peak_kib(&project, &["cp", "web:/tmp/small.bin", "small.out"]);
    let big_out = berth_peak_kib(&project, &["cp", "web:/tmp/big.bin", "big.out"]);
    eprintln!(
        "peak RSS (KiB): in small {small_in}, in 100 MiB {big_in}, out small {small_out}, \
         out 100 MiB {big_out}"
    );
    assert!(same_bytes(
        &project.dir.join("big.bin"),
        &project.dir.join("big.out")
    ));
    // Holding the archive would add at least 100 MiB; streaming adds a few chunks.
    for (small, big) in [(small_in, big_in), (small_out, big_out)] {
        assert!(
            big < small + 24 * 1024,
            "copying 100 MiB took {big} KiB against {small} KiB for 2 bytes"
        );
    }
    let _ = docker(&["exec", &container(&project, 1), "rm", "-f", "/tmp/big.bin"]);
}

/// Copies into a service reach its one-off (`run`) containers only with `--all`, for both tools.
#[test]
fn cp_all_includes_one_off_containers_as_compose_does() {
    let project = project("all", 1);
    project.compose_ok(&[
        "run",
        "-d",
        "--name",
        &format!("{}-oneoff", project.name),
        "web",
    ]);
    let one_off = format!("{}-oneoff", project.name);
    let web = container(&project, 1);
    fs::write(project.dir.join("f.txt"), "f\n").expect("file");
    project.berth_ok(&["cp", "f.txt", "web:/tmp/berth-plain"]);
    project.compose_ok(&["cp", "f.txt", "web:/tmp/compose-plain"]);
    project.berth_ok(&["cp", "--all", "f.txt", "web:/tmp/berth-all"]);
    project.compose_ok(&["cp", "--all", "f.txt", "web:/tmp/compose-all"]);
    let listing = |name: &str| exec(name, "cd /tmp && ls -d *-plain *-all 2>/dev/null; true");
    assert_eq!(
        listing(&web),
        "berth-all\nberth-plain\ncompose-all\ncompose-plain\n"
    );
    assert_eq!(listing(&one_off), "berth-all\ncompose-all\n");
}
