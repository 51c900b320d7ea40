//! Building images: berth's build context (ignore rules, streaming) checked against Compose's own
//! classic builds of the same contexts, and build failures.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use berth_engine::Engine;
use berth_engine::build::BuildRequest;
use berth_engine::build::context::ContextSpec;
use berth_engine::build::ignore::IgnoreFiles;

use crate::support::{IMAGE, TestProject, docker};

/// `.dockerignore` texts, and `Dockerfile.dockerignore` texts where given.
const CASES: &[(&str, Option<&str>)] = &[
    ("", None),
    ("*", None),
    ("*\n!src", None),
    ("*.txt", None),
    ("**/*.txt", None),
    ("d", None),
    ("d/", None),
    ("/d", None),
    ("./d", None),
    ("d/*.txt", None),
    ("d/**", None),
    ("d/**/*.log", None),
    ("**/*.log", None),
    ("**/*.log\n!logs/keep/2.log", None),
    ("logs\n!logs/keep", None),
    ("logs\n!logs/keep/*.log", None),
    ("d\n!d/keep.txt", None),
    ("d\n!d/sub\nd/sub/deep", None),
    ("!d/keep.txt\nd", None),
    ("*/*.txt", None),
    ("*/*/*.txt", None),
    ("?.txt", None),
    ("[ab].txt", None),
    ("[!a].txt", None),
    ("[^a].txt", None),
    ("# comment\nc.md", None),
    ("  c.md  ", None),
    ("#c.md\n", None),
    ("node_modules", None),
    ("**/node_modules", None),
    ("src/../c.md", None),
    ("src/**/*.rs\n!src/main.rs", None),
    ("**", None),
    ("**\n!README", None),
    (".hidden", None),
    (".*", None),
    ("Dockerfile", None),
    (".dockerignore", None),
    ("*\n!Dockerfile", None),
    ("e/**/g.txt", None),
    ("e", None),
    ("e\n!e/f/g.txt", None),
    ("a.txt\n!a.txt\na.txt", None),
    ("*.TXT", None),
    ("d/sub", None),
    ("src/tests/", None),
    ("!a.txt", None),
    ("d/*\n!d/sub", None),
    ("**/sub/**", None),
    ("**/deep\n!d/sub/deep/w.log", None),
    ("b.txt", Some("a.txt")),
    ("", Some("*")),
];

const FILES: &[&str] = &[
    "a.txt",
    "b.txt",
    "c.md",
    ".hidden",
    "README",
    "d/x.txt",
    "d/y.log",
    "d/keep.txt",
    "d/sub/z.txt",
    "d/sub/deep/w.log",
    "e/f/g.txt",
    "node_modules/m/index.js",
    "src/main.rs",
    "src/lib.rs",
    "src/tests/t.rs",
    "logs/1.log",
    "logs/keep/2.log",
];

fn write_context(dir: &Path, ignore: &str, dockerfile_ignore: Option<&str>) {
    for file in FILES {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, file).unwrap();
    }
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\nCOPY . /ctx\n").unwrap();
    std::fs::write(dir.join(".dockerignore"), ignore).unwrap();
    if let Some(text) = dockerfile_ignore {
        std::fs::write(dir.join("Dockerfile.dockerignore"), text).unwrap();
    }
}

/// The files under /ctx of `image`, read from an exported container (scratch has no shell).
fn image_files(project: &TestProject, image: &str) -> Vec<String> {
    let label = format!("com.docker.compose.project={}", project.name);
    let id = docker(&["create", "--label", &label, image, "none"]);
    let id = id.trim();
    assert!(!id.is_empty(), "container of {image} created");
    let output = Command::new("sh")
        .args(["-c", &format!("docker export {id} | tar t")])
        .output()
        .unwrap();
    docker(&["rm", "-f", id]);
    let mut files: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("ctx/"))
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    files.sort();
    files
}

/// Removes the images a test tagged, even when it fails.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for chunk in self.0.chunks(50) {
            let mut args = vec!["rmi", "-f"];
            args.extend(chunk.iter().map(String::as_str));
            docker(&args);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_dockerignore_table_agrees_with_compose() {
    assert!(CASES.len() >= 40);
    let mut compose = String::from("services:\n");
    for (i, _) in CASES.iter().enumerate() {
        compose.push_str(&format!("  c{i:02}:\n    build: ./c{i:02}\n"));
    }
    let project = TestProject::new("build-ignore-table", &compose);
    let mut images = Images(Vec::new());
    for (i, (ignore, dockerfile_ignore)) in CASES.iter().enumerate() {
        write_context(
            &project.dir.join(format!("c{i:02}")),
            ignore,
            *dockerfile_ignore,
        );
        images.0.push(format!("{}-c{i:02}", project.name));
        images.0.push(format!("{}-berth-c{i:02}", project.name));
    }

    // The oracle, with the classic builder berth talks to.
    let output = Command::new("docker")
        .args(["compose", "-p", &project.name, "build"])
        .current_dir(&project.dir)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "docker compose build: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let engine = Engine::connect().await.expect("the daemon answers");
    let mut disagreements = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let tag = format!("{}-berth-c{i:02}", project.name);
        let request = BuildRequest {
            context: ContextSpec {
                dir: project.dir.join(format!("c{i:02}")),
                dockerfile: "Dockerfile".into(),
                inline: None,
                ignore_files: IgnoreFiles::Classic,
            },
            tags: vec![tag.clone()],
            args: HashMap::new(),
            labels: HashMap::new(),
            target: None,
            network: None,
            extra_hosts: Vec::new(),
            shm_size: None,
            cache_from: Vec::new(),
            no_cache: false,
            pull: false,
            platform: None,
        };
        engine
            .build_image(request, |_| {})
            .await
            .unwrap_or_else(|error| panic!("case {case:?}: {error}"));
        let ours = image_files(&project, &tag);
        let theirs = image_files(&project, &format!("{}-c{i:02}", project.name));
        if ours != theirs {
            disagreements.push(format!(
                "{case:?}:\n  berth   {ours:?}\n  compose {theirs:?}"
            ));
        }
    }
    // Not vacuous: the first case (no rules) has every file.
    let all = image_files(&project, &format!("{}-c00", project.name));
    assert!(all.iter().any(|f| f == "d/sub/deep/w.log"), "{all:?}");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

fn busybox_request(
    dir: &Path,
    dockerfile: &str,
    tag: &str,
    inline: Option<String>,
) -> BuildRequest {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    BuildRequest {
        context: ContextSpec {
            dir: dir.to_owned(),
            dockerfile: "Dockerfile".into(),
            inline,
            ignore_files: IgnoreFiles::Classic,
        },
        tags: vec![tag.to_owned()],
        args: HashMap::from([("WHO".to_owned(), "berth".to_owned())]),
        labels: HashMap::from([("com.example.built-by".to_owned(), "berth".to_owned())]),
        target: None,
        network: None,
        extra_hosts: Vec::new(),
        shm_size: None,
        cache_from: Vec::new(),
        no_cache: false,
        pull: false,
        platform: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_failing_step_reports_its_step_output_and_error() {
    let project = TestProject::new("build-failing-step", "services: {}\n");
    let tag = format!("{}-fail", project.name);
    let _images = Images(vec![tag.clone()]);
    let dockerfile =
        format!("FROM {IMAGE}\nARG WHO\nRUN echo hello $WHO\nRUN echo about to fail && exit 3\n");
    let mut request = busybox_request(&project.dir.join("ctx"), &dockerfile, &tag, None);
    request.no_cache = true;
    let engine = Engine::connect().await.expect("the daemon answers");
    let mut output = String::new();
    let error = engine
        .build_image(request, |text| output.push_str(text))
        .await
        .expect_err("the build fails");
    assert!(
        output.contains("Step 4/5 : RUN echo about to fail && exit 3"),
        "{output}"
    );
    assert!(output.contains("hello berth"), "{output}");
    assert!(output.contains("about to fail"), "{output}");
    let message = error.to_string();
    assert!(
        matches!(error, berth_engine::EngineError::Daemon { status: 3, .. }),
        "{error:?}"
    );
    assert_eq!(
        message,
        "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_inline_dockerfile_with_args_and_labels() {
    let project = TestProject::new("build-inline", "services: {}\n");
    let tag = format!("{}-inline", project.name);
    let _images = Images(vec![tag.clone()]);
    let dir = project.dir.join("ctx");
    // The Dockerfile on disk is not the one used: the inline text is.
    let inline = format!("FROM {IMAGE}\nARG WHO\nCOPY . /ctx\nRUN echo \"$WHO\" > /who\n");
    let request = busybox_request(&dir, "FROM scratch\n", &tag, Some(inline));
    std::fs::write(dir.join("data.txt"), "data").unwrap();
    let engine = Engine::connect().await.expect("the daemon answers");
    engine
        .build_image(request, |_| {})
        .await
        .expect("the build succeeds");
    let run = |args: &[&str]| {
        let mut full = vec!["run", "--rm", "--label"];
        let label = format!("com.docker.compose.project={}", project.name);
        full.push(&label);
        full.push(&tag);
        full.extend_from_slice(args);
        docker(&full)
    };
    assert_eq!(run(&["cat", "/who"]).trim(), "berth");
    // The generated Dockerfile is dropped from what the build sees.
    assert_eq!(
        run(&["ls", "-A", "/ctx"])
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["Dockerfile", "data.txt"]
    );
    let label = docker(&[
        "image",
        "inspect",
        "-f",
        "{{index .Config.Labels \"com.example.built-by\"}}",
        &tag,
    ]);
    assert_eq!(label.trim(), "berth");
}
