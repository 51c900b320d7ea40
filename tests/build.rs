//! Building images with both of the daemon's builders: berth's build context (ignore rules,
//! streaming) checked against Compose's own builds of the same contexts, the attributes RUN steps
//! see (extra hosts, ulimits), build arguments and labels, and build failures.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use berth_engine::build::context::ContextSpec;
use berth_engine::build::{BuildRequest, Builder, Ulimit};
use berth_engine::{Engine, EngineError};

use crate::support::{IMAGE, Images, TestProject, docker};

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

fn write_context(dir: &Path, from: &str, ignore: &str, dockerfile_ignore: Option<&str>) {
    for file in FILES {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, file).unwrap();
    }
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {from}\nCOPY . /ctx\n"),
    )
    .unwrap();
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

/// Builds every case of [`CASES`] with `docker compose build` (with `DOCKER_BUILDKIT` set for
/// `builder`) and with berth's engine, and returns the cases whose images hold different files.
/// `known` maps a case's Compose files to the files berth's image is expected to hold instead.
async fn ignore_table(
    test: &str,
    builder: Builder,
    known: impl Fn(&str, Vec<String>) -> Vec<String>,
) -> Vec<String> {
    assert!(CASES.len() >= 40);
    let mut compose = String::from("services:\n");
    for (i, _) in CASES.iter().enumerate() {
        compose.push_str(&format!("  c{i:02}:\n    build: ./c{i:02}\n"));
    }
    let project = TestProject::new(test, &compose);
    let mut images = Images(Vec::new());
    // The classic builder looks for a cached step among the children of the step's parent, and
    // for `FROM scratch` among every parentless image of the daemon, which other tests remove
    // concurrently (the daemon then fails the build). An empty base of the test's own keeps
    // the candidates to this test's images.
    let from = if builder == Builder::Classic {
        let base = format!("{}-base", project.name);
        let output = Command::new("sh")
            .args([
                "-c",
                &format!("tar cf - --files-from /dev/null | docker import - {base}"),
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        images.0.push(base.clone());
        base
    } else {
        "scratch".to_owned()
    };
    for (i, (ignore, dockerfile_ignore)) in CASES.iter().enumerate() {
        write_context(
            &project.dir.join(format!("c{i:02}")),
            &from,
            ignore,
            *dockerfile_ignore,
        );
        images.0.push(format!("{}-c{i:02}", project.name));
        images.0.push(format!("{}-berth-c{i:02}", project.name));
    }

    // The oracle, with the same builder. Its classic builds meet the daemon's race that berth's
    // engine retries (an image removed by another test while a `FROM scratch` step looks for a
    // cached one: `unable to find image "sha256:…"`), so it gets the same second chances.
    let mut attempts = 0;
    let output = loop {
        attempts += 1;
        let output = Command::new("docker")
            .args(["compose", "-p", &project.name, "build"])
            .current_dir(&project.dir)
            .env(
                "DOCKER_BUILDKIT",
                if builder == Builder::BuildKit {
                    "1"
                } else {
                    "0"
                },
            )
            .output()
            .unwrap();
        let lost =
            String::from_utf8_lossy(&output.stderr).contains("unable to find image \"sha256:");
        if output.status.success() || !lost || attempts == 3 {
            break output;
        }
    };
    assert!(
        output.status.success(),
        "docker compose build: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let engine = Engine::connect().await.expect("the daemon answers");
    let mut disagreements = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let tag = format!("{}-berth-c{i:02}", project.name);
        let mut request = BuildRequest::new(ContextSpec {
            dir: project.dir.join(format!("c{i:02}")),
            dockerfile: "Dockerfile".into(),
            inline: None,
            ignore_files: builder.ignore_files(),
        });
        request.tags = vec![tag.clone()];
        request.builder = builder;
        engine
            .build_image(request, |_| {})
            .await
            .unwrap_or_else(|error| panic!("case {case:?}: {error}"));
        let ours = image_files(&project, &tag);
        let theirs = image_files(&project, &format!("{}-c{i:02}", project.name));
        let expected = known(case.0, theirs.clone());
        if ours != expected {
            disagreements.push(format!(
                "{case:?}:\n  berth   {ours:?}\n  compose {theirs:?}"
            ));
        }
    }
    // Not vacuous: the first case (no rules) has every file.
    let all = image_files(&project, &format!("{}-c00", project.name));
    assert!(all.iter().any(|f| f == "d/sub/deep/w.log"), "{all:?}");
    disagreements
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_dockerignore_table_agrees_with_compose_classic() {
    let disagreements =
        ignore_table("build-ignore-classic", Builder::Classic, |_, files| files).await;
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_dockerignore_table_agrees_with_compose_buildkit() {
    // Compose's BuildKit gets the Dockerfile through its session, apart from the context; berth's
    // tar body must carry it, and BuildKit reads it from there, so a Dockerfile that the rules
    // exclude is the one file berth's context has in addition.
    let adjusted = std::sync::atomic::AtomicUsize::new(0);
    let disagreements = ignore_table(
        "build-ignore-buildkit",
        Builder::BuildKit,
        |_, mut files| {
            if !files.iter().any(|file| file == "Dockerfile") {
                adjusted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                files.push("Dockerfile".to_owned());
                files.sort();
            }
            files
        },
    )
    .await;
    // "*", "*\n!src", "**", "**\n!README", "Dockerfile" and the `Dockerfile.dockerignore` "*".
    assert_eq!(adjusted.into_inner(), 6);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

fn busybox_request(
    dir: &Path,
    dockerfile: &str,
    tag: &str,
    inline: Option<String>,
    builder: Builder,
) -> BuildRequest {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    let mut request = BuildRequest::new(ContextSpec {
        dir: dir.to_owned(),
        dockerfile: "Dockerfile".into(),
        inline,
        ignore_files: builder.ignore_files(),
    });
    request.tags = vec![tag.to_owned()];
    request.args = HashMap::from([("WHO".to_owned(), "berth".to_owned())]);
    request.labels = HashMap::from([("com.example.built-by".to_owned(), "berth".to_owned())]);
    request.builder = builder;
    request
}

/// Runs `args` in a throwaway container of `image`, labelled with the project.
fn run_in(project: &TestProject, image: &str, args: &[&str]) -> String {
    let label = format!("com.docker.compose.project={}", project.name);
    let mut full = vec!["run", "--rm", "--label", &label, image];
    full.extend_from_slice(args);
    docker(&full)
}

async fn failing_step(test: &str, builder: Builder) -> (String, EngineError) {
    let project = TestProject::new(test, "services: {}\n");
    let tag = format!("{}-fail", project.name);
    let _images = Images(vec![tag.clone()]);
    let dockerfile =
        format!("FROM {IMAGE}\nARG WHO\nRUN echo hello $WHO\nRUN echo about to fail && exit 3\n");
    let mut request = busybox_request(&project.dir.join("ctx"), &dockerfile, &tag, None, builder);
    request.no_cache = true;
    let engine = Engine::connect().await.expect("the daemon answers");
    let mut output = String::new();
    let error = engine
        .build_image(request, |text| output.push_str(text))
        .await
        .expect_err("the build fails");
    // The classic builder keeps the images of the steps that ran (` ---> ID` after each
    // intermediate container is removed); they are this test's to remove.
    let mut lines = output.lines();
    let mut steps = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with("Removing intermediate container")
            && let Some(id) = lines.next().and_then(|next| next.strip_prefix(" ---> "))
        {
            steps.push(id.trim().to_owned());
        }
    }
    steps.reverse();
    drop(Images(steps));
    (output, error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_failing_step_reports_its_step_output_and_error_classic() {
    let (output, error) = failing_step("build-failing-step-classic", Builder::Classic).await;
    assert!(
        output.contains("Step 4/5 : RUN echo about to fail && exit 3"),
        "{output}{error:?}"
    );
    assert!(output.contains("hello berth"), "{output}");
    assert!(output.contains("about to fail"), "{output}");
    assert!(
        matches!(error, EngineError::Daemon { status: 3, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_failing_step_reports_its_step_output_and_error_buildkit() {
    let (output, error) = failing_step("build-failing-step-buildkit", Builder::BuildKit).await;
    let step = regex::Regex::new(
        r"(?m)^#(\d+) \[3/3\] RUN echo about to fail && exit 3\n#(\d+) \d+\.\d+ about to fail\n#(\d+) ERROR: executor failed running \[/bin/sh -c echo about to fail && exit 3\]: exit code: 3$",
    )
    .unwrap();
    let found = step.captures(&output).unwrap_or_else(|| panic!("{output}"));
    assert!(found[1] == found[2] && found[2] == found[3], "{output}");
    assert!(
        regex::Regex::new(r"(?m)^#\d+ \d+\.\d+ hello berth$")
            .unwrap()
            .is_match(&output),
        "{output}"
    );
    assert!(
        matches!(error, EngineError::Daemon { status: 3, .. }),
        "{error:?}"
    );
    // Docker 20.10's BuildKit words it so (later ones: `process "…" did not complete
    // successfully: exit code: 3`).
    assert_eq!(
        error.to_string(),
        "executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3"
    );
}

async fn inline_dockerfile(test: &str, builder: Builder) -> Vec<String> {
    let project = TestProject::new(test, "services: {}\n");
    let tag = format!("{}-inline", project.name);
    let _images = Images(vec![tag.clone()]);
    let dir = project.dir.join("ctx");
    // The Dockerfile on disk is not the one used: the inline text is.
    let inline = format!("FROM {IMAGE}\nARG WHO\nCOPY . /ctx\nRUN echo \"$WHO\" > /who\n");
    let request = busybox_request(&dir, "FROM scratch\n", &tag, Some(inline), builder);
    std::fs::write(dir.join("data.txt"), "data").unwrap();
    let engine = Engine::connect().await.expect("the daemon answers");
    engine
        .build_image(request, |_| {})
        .await
        .expect("the build succeeds");
    assert_eq!(run_in(&project, &tag, &["cat", "/who"]).trim(), "berth");
    let label = docker(&[
        "image",
        "inspect",
        "-f",
        "{{index .Config.Labels \"com.example.built-by\"}}",
        &tag,
    ]);
    assert_eq!(label.trim(), "berth");
    run_in(&project, &tag, &["ls", "-A", "/ctx"])
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_inline_dockerfile_with_args_and_labels_classic() {
    let files = inline_dockerfile("build-inline-classic", Builder::Classic).await;
    // The generated Dockerfile is dropped from what the build sees.
    assert_eq!(files, ["Dockerfile", "data.txt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_inline_dockerfile_with_args_and_labels_buildkit() {
    let files = inline_dockerfile("build-inline-buildkit", Builder::BuildKit).await;
    // BuildKit reads the generated Dockerfile from the tar and applies no ignore rules to it, so
    // COPY sees it too (Compose's BuildKit session sends it apart from the context).
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files[0].starts_with(".dockerfile."), "{files:?}");
    assert_eq!(files[1..], ["Dockerfile", "data.txt"]);
}

/// Builds an image whose RUN step records `/etc/hosts` and `ulimit -n`, with two extra hosts, a
/// `nofile` limit and two tags; returns (hosts, nofile).
async fn run_step_attributes(test: &str, builder: Builder) -> (String, String) {
    let project = TestProject::new(test, "services: {}\n");
    let tags = [
        format!("{}-attrs", project.name),
        format!("{}-attrs:second", project.name),
    ];
    let _images = Images(tags.to_vec());
    let dockerfile = format!("FROM {IMAGE}\nRUN cat /etc/hosts > /hosts && ulimit -n > /nofile\n");
    let mut request = busybox_request(
        &project.dir.join("ctx"),
        &dockerfile,
        &tags[0],
        None,
        builder,
    );
    request.tags = tags.to_vec();
    request.no_cache = true;
    request.extra_hosts = vec![
        "first.example:10.1.2.3".to_owned(),
        "second.example:10.4.5.6".to_owned(),
    ];
    request.ulimits = vec![Ulimit {
        name: "nofile".to_owned(),
        soft: 1234,
        hard: 2345,
    }];
    let engine = Engine::connect().await.expect("the daemon answers");
    let mut output = String::new();
    let id = engine
        .build_image(request, |text| output.push_str(text))
        .await
        .expect("the build succeeds");
    match builder {
        Builder::Classic => assert!(output.contains("Successfully tagged"), "{output}"),
        // BuildKit's plain lines only.
        Builder::BuildKit => assert!(
            output
                .lines()
                .all(|line| line.is_empty() || line.starts_with('#')),
            "{output}"
        ),
    }
    for tag in &tags {
        let tagged = docker(&["image", "inspect", "-f", "{{.Id}}", tag]);
        assert_eq!(tagged.trim(), id, "{tag}");
    }
    (
        run_in(&project, &tags[0], &["cat", "/hosts"]),
        run_in(&project, &tags[0], &["cat", "/nofile"])
            .trim()
            .to_owned(),
    )
}

fn has_host(hosts: &str, name: &str, address: &str) -> bool {
    hosts.lines().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some(address) && words.any(|word| word == name)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_run_steps_see_extra_hosts_and_ulimits_classic() {
    let (hosts, nofile) = run_step_attributes("build-attrs-classic", Builder::Classic).await;
    assert!(has_host(&hosts, "first.example", "10.1.2.3"), "{hosts}");
    assert!(has_host(&hosts, "second.example", "10.4.5.6"), "{hosts}");
    assert_eq!(nofile, "1234");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_run_steps_see_extra_hosts_but_not_ulimits_buildkit() {
    let (hosts, nofile) = run_step_attributes("build-attrs-buildkit", Builder::BuildKit).await;
    assert!(has_host(&hosts, "first.example", "10.1.2.3"), "{hosts}");
    assert!(has_host(&hosts, "second.example", "10.4.5.6"), "{hosts}");
    // Docker 20.10 does not hand `ulimits` to BuildKit (moby added that in 25.0): RUN keeps the
    // daemon's default limit.
    assert_ne!(nofile, "1234");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_buildkit_refuses_a_named_network_before_reading_the_context() {
    let project = TestProject::new("build-buildkit-network", "services: {}\n");
    let tag = format!("{}-net", project.name);
    let _images = Images(vec![tag.clone()]);
    let dir = project.dir.join("ctx");
    let mut request = busybox_request(
        &dir,
        &format!("FROM {IMAGE}\n"),
        &tag,
        None,
        Builder::BuildKit,
    );
    // More than the socket buffers hold, so the daemon answers while berth is still sending.
    std::fs::write(dir.join("big"), vec![1_u8; 32 << 20]).unwrap();
    request.network = Some(format!("{}_default", project.name));
    let engine = Engine::connect().await.expect("the daemon answers");
    let error = engine
        .build_image(request, |_| {})
        .await
        .expect_err("BuildKit refuses the network");
    assert_eq!(
        error.to_string(),
        format!(
            "network mode \"{}_default\" not supported by buildkit",
            project.name
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_default_builder_is_the_docker_clis() {
    let engine = Engine::connect().await.expect("the daemon answers");
    // This daemon (20.10, no `features.buildkit` in daemon.json) sends no `Builder-Version`.
    let expected = Builder::choose(
        std::env::var("DOCKER_BUILDKIT").ok().as_deref(),
        None,
        Some("linux"),
    )
    .unwrap();
    assert_eq!(engine.default_builder().await.unwrap(), expected);
}

/// Containers whose command mentions `marker` (the classic builder's RUN containers).
fn containers_running(marker: &str) -> usize {
    docker(&["ps", "-a", "--no-trunc", "--format", "{{.Command}}"])
        .lines()
        .filter(|command| command.contains(marker))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_dropped_build_stops_its_run_step_classic() {
    let project = TestProject::new("build-dropped", "services: {}\n");
    let tag = format!("{}-dropped", project.name);
    let _images = Images(vec![tag.clone()]);
    let marker = format!("sleep 31 # {}", project.name);
    let dockerfile = format!("FROM {IMAGE}\nRUN {marker}\n");
    let mut request = busybox_request(
        &project.dir.join("ctx"),
        &dockerfile,
        &tag,
        None,
        Builder::Classic,
    );
    request.no_cache = true;
    let engine = Engine::connect().await.expect("the daemon answers");
    let mut build = Box::pin(engine.build_image(request, |_| {}));
    // Until the RUN container exists, then drop the build.
    let started = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            tokio::select! {
                result = &mut build => panic!("the build ended: {result:?}"),
                () = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
            }
            if containers_running(&marker) > 0 {
                break;
            }
        }
    })
    .await;
    assert!(started.is_ok(), "the RUN step started");
    drop(build);
    assert!(
        crate::support::eventually(std::time::Duration::from_secs(20), || {
            containers_running(&marker) == 0
        }),
        "the RUN container is removed once the build is dropped"
    );
}

/// A registry on 127.0.0.1 that answers only requests with the Basic credentials
/// `alice:s3cret`, serving the test image as `berth/base:1` (its `docker save` layers, served
/// uncompressed); every request is logged as `METHOD path authorized`.
struct FakeRegistry {
    port: u16,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FakeRegistry {
    const AUTHORIZATION: &str = "Basic YWxpY2U6czNjcmV0";

    fn start(dir: &Path) -> Self {
        use sha2::{Digest, Sha256};
        let digest = |bytes: &[u8]| format!("sha256:{:x}", Sha256::digest(bytes));
        let saved = dir.join("saved");
        std::fs::create_dir_all(&saved).unwrap();
        let archive = dir.join("image.tar");
        docker(&["save", "-o", archive.to_str().unwrap(), IMAGE]);
        let untar = Command::new("tar")
            .arg("xf")
            .arg(&archive)
            .arg("-C")
            .arg(&saved)
            .status()
            .unwrap();
        assert!(untar.success());
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(saved.join("manifest.json")).unwrap()).unwrap();
        let config = std::fs::read(saved.join(manifest[0]["Config"].as_str().unwrap())).unwrap();
        let mut blobs = HashMap::new();
        let config_digest = digest(&config);
        let mut layers = Vec::new();
        for layer in manifest[0]["Layers"].as_array().unwrap() {
            let bytes = std::fs::read(saved.join(layer.as_str().unwrap())).unwrap();
            let layer_digest = digest(&bytes);
            layers.push(serde_json::json!({
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": bytes.len(),
                "digest": layer_digest,
            }));
            blobs.insert(layer_digest, bytes);
        }
        let image_manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": config.len(),
                "digest": config_digest,
            },
            "layers": layers,
        }))
        .unwrap();
        let manifest_digest = digest(&image_manifest);
        blobs.insert(config_digest, config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared_log = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let answer = |stream: std::net::TcpStream| -> std::io::Result<()> {
                    Self::answer(
                        stream,
                        &shared_log,
                        &image_manifest,
                        &manifest_digest,
                        &blobs,
                    )
                };
                let _ = answer(stream);
            }
        });
        Self { port, log }
    }

    fn answer(
        mut stream: std::net::TcpStream,
        log: &std::sync::Mutex<Vec<String>>,
        manifest: &[u8],
        manifest_digest: &str,
        blobs: &HashMap<String, Vec<u8>>,
    ) -> std::io::Result<()> {
        use std::io::{Read, Write};
        stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        let mut head = Vec::new();
        let mut byte = [0_u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte)? == 0 || head.len() > 64 * 1024 {
                return Ok(());
            }
            // A TLS hello (the daemon tries HTTPS first): not this registry's protocol.
            if head.is_empty() && byte[0] == 0x16 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let mut words = head.split_whitespace();
        let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let authorized = head.lines().any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.eq_ignore_ascii_case("authorization") && value.trim() == Self::AUTHORIZATION
            })
        });
        log.lock()
            .unwrap()
            .push(format!("{method} {path} {authorized}"));
        let mut headers = vec![
            "Docker-Distribution-API-Version: registry/2.0".to_owned(),
            "Connection: close".to_owned(),
        ];
        let (status, body): (&str, &[u8]) = if !authorized {
            headers.push("WWW-Authenticate: Basic realm=\"berth\"".to_owned());
            (
                "401 Unauthorized",
                b"{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}",
            )
        } else if path == "/v2/" {
            ("200 OK", b"{}")
        } else if path.starts_with("/v2/berth/base/manifests/") {
            headers.push(
                "Content-Type: application/vnd.docker.distribution.manifest.v2+json".to_owned(),
            );
            headers.push(format!("Docker-Content-Digest: {manifest_digest}"));
            ("200 OK", manifest)
        } else if let Some(blob) = path
            .strip_prefix("/v2/berth/base/blobs/")
            .and_then(|digest| blobs.get(digest))
        {
            headers.push("Content-Type: application/octet-stream".to_owned());
            ("200 OK", blob)
        } else {
            ("404 Not Found", b"{\"errors\":[{\"code\":\"NOT_FOUND\"}]}")
        };
        headers.push(format!("Content-Length: {}", body.len()));
        let response = format!("HTTP/1.1 {status}\r\n{}\r\n\r\n", headers.join("\r\n"));
        stream.write_all(response.as_bytes())?;
        if method != "HEAD" {
            stream.write_all(body)?;
        }
        stream.flush()
    }
}

/// Runs in a child process (see [`build_base_images_come_from_an_authenticated_registry`]) with
/// `DOCKER_CONFIG` set to a directory of its own: builds `FROM` an image of a registry that needs
/// credentials, with each builder, with nothing of it in the daemon's store beforehand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by build_base_images_come_from_an_authenticated_registry, in a process of its own"]
async fn build_from_authenticated_registry_child() {
    let config_dir = std::path::PathBuf::from(std::env::var("DOCKER_CONFIG").unwrap());
    let project = TestProject::new("build-auth-registry", "services: {}\n");
    let registry = FakeRegistry::start(&project.dir);
    std::fs::write(
        config_dir.join("config.json"),
        format!(
            "{{\"auths\":{{\"127.0.0.1:{}\":{{\"auth\":\"YWxpY2U6czNjcmV0\"}}}}}}",
            registry.port
        ),
    )
    .unwrap();
    let base = format!("127.0.0.1:{}/berth/base:1", registry.port);
    let engine = Engine::connect().await.expect("the daemon answers");
    for builder in [Builder::Classic, Builder::BuildKit] {
        let tag = format!("{}-{builder:?}", project.name).to_lowercase();
        let _images = Images(vec![tag.clone(), base.clone()]);
        registry.log.lock().unwrap().clear();
        let dockerfile = format!("FROM {base}\nRUN echo built > /built\n");
        let request = busybox_request(&project.dir.join("ctx"), &dockerfile, &tag, None, builder);
        let mut output = String::new();
        let result = engine
            .build_image(request, |text| output.push_str(text))
            .await;
        let log = registry.log.lock().unwrap().clone();
        assert!(
            result.is_ok(),
            "{builder:?}: {result:?}\n{output}\n{log:#?}"
        );
        assert_eq!(run_in(&project, &tag, &["cat", "/built"]).trim(), "built");
        assert!(
            log.iter().any(|line| line.contains("/manifests/1 true")),
            "{builder:?}: {log:#?}"
        );
    }
}

#[test]
fn build_base_images_come_from_an_authenticated_registry() {
    let config_dir =
        std::env::temp_dir().join(format!("berth-tests/auth-config-{}", std::process::id()));
    std::fs::create_dir_all(&config_dir).unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "build::build_from_authenticated_registry_child",
            "--ignored",
            "--nocapture",
        ])
        .env("DOCKER_CONFIG", &config_dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&config_dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The network interfaces a RUN step sees with `network: none`.
async fn interfaces_without_network(test: &str, builder: Builder) -> Vec<String> {
    let project = TestProject::new(test, "services: {}\n");
    let tag = format!("{}-none", project.name);
    let _images = Images(vec![tag.clone()]);
    let dockerfile =
        format!("FROM {IMAGE}\nRUN tail -n +3 /proc/net/dev | cut -d: -f1 > /ifaces\n");
    let mut request = busybox_request(&project.dir.join("ctx"), &dockerfile, &tag, None, builder);
    request.no_cache = true;
    request.network = Some("none".to_owned());
    let engine = Engine::connect().await.expect("the daemon answers");
    engine
        .build_image(request, |_| {})
        .await
        .expect("the build succeeds");
    run_in(&project, &tag, &["cat", "/ifaces"])
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_network_none_leaves_run_steps_only_loopback() {
    for builder in [Builder::Classic, Builder::BuildKit] {
        let test = format!("build-network-none-{builder:?}").to_lowercase();
        assert_eq!(
            interfaces_without_network(&test, builder).await,
            ["lo"],
            "{builder:?}"
        );
    }
}
