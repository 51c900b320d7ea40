//! berth's translation of services into engine specs against Docker Compose itself: the oracle
//! creates a project that uses as many service attributes as a 20.10 daemon accepts, then berth
//! creates a twin of every container from its own spec (same project labels, another name), and
//! the two inspections must agree on `Config`, `HostConfig`, the endpoints and the mounts once the
//! per-container bits (IDs, names, paths, anonymous volume names) are normalised. Networks and
//! volumes are compared with the specs berth would create them from. Everything carries the
//! project label, so the [`TestProject`] removes it all when the test ends, pass or fail.

use std::collections::{BTreeMap, HashMap};

use berth::converge::container::{
    self, ProjectContext, ReplicaContext, hash_for_up, network_spec, volume_spec,
};
use berth::loader::{self, LoadOptions, ProjectOptions};
use berth_engine::Engine;
use serde_json::{Value, json};

use crate::support::{IMAGE, TestProject, docker};

const FIXTURE: &str = r#"
services:
  db:
    image: ${IMAGE}
    command: ["sleep", "300"]
    ipc: shareable
    volumes:
      - data:/data
    networks:
      - back
    deploy:
      resources:
        limits:
          cpus: "1.3"
          memory: 96m
          pids: 64
        reservations:
          memory: 16m
      restart_policy:
        condition: on-failure
        max_attempts: 2
  web:
    image: ${IMAGE}
    command: ["sleep", "300"]
    entrypoint: ["sh", "-c", "exec \"$$@\"", "--"]
    env_file: [web.env]
    environment:
      A: "1"
      EMPTY: ""
      UNSET:
      HTML: "<a&b>"
    labels:
      com.example.web: "yes"
    ports:
      - "8080:80"
      - "127.0.0.1:9000-9001:9000-9001/udp"
      - target: 443
        published: "8443"
        host_ip: 0.0.0.0
        protocol: tcp
      - "5000"
    expose: ["3000", "4000-4002/udp"]
    volumes:
      - data:/data
      - /anon
      - ./src:/src:ro
      - type: bind
        source: ./created-by-daemon
        target: /created
      - type: bind
        source: ./bindopt
        target: /nocreate
        bind:
          create_host_path: false
          propagation: rslave
      - type: tmpfs
        target: /scratch
        tmpfs:
          size: 1048576
          mode: 01777
      - type: volume
        source: data
        target: /nocopy
        volume:
          nocopy: true
    secrets:
      - file_secret
      - source: env_secret
        target: custom
        mode: 0400
    configs:
      - file_config
      - source: content_config
        target: /etc/content.conf
    healthcheck:
      test: ["CMD", "true"]
      interval: 10s
      timeout: 2s
      retries: 4
      start_period: 5s
    restart: on-failure:3
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
      nproc: 512
    sysctls:
      net.core.somaxconn: 1024
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    devices: ["/dev/null:/dev/mynull:rw"]
    security_opt: ["no-new-privileges:true", "label=disable", "seccomp=./seccomp.json"]
    user: "1000:1000"
    working_dir: /work
    hostname: webhost
    domainname: example.com
    extra_hosts: ["somehost:10.0.0.1", "other=10.0.0.2"]
    dns: [8.8.8.8]
    dns_search: [example.com]
    dns_opt: ["ndots:2"]
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    init: true
    shm_size: 64m
    tmpfs: ["/run/x:size=1m", "/run/y"]
    tty: true
    stdin_open: true
    logging:
      driver: json-file
      options:
        max-size: 1m
    group_add: ["100"]
    oom_kill_disable: true
    oom_score_adj: 100
    cgroup_parent: berthtest-parent
    cpu_shares: 512
    cpu_period: 100000
    cpu_quota: 50000
    cpuset: "0"
    mem_limit: 64m
    memswap_limit: 128m
    mem_reservation: 32m
    mem_swappiness: 10
    pids_limit: 100
    blkio_config:
      weight: 300
    runtime: runc
    platform: linux/amd64
    annotations:
      com.example.note: "x"
    pid: host
    userns_mode: host
    links: ["db:database"]
    depends_on:
      db:
        condition: service_started
        restart: true
    networks:
      front:
        priority: 10
        aliases: [www, site]
        ipv4_address: 10.213.77.10
      back:
        aliases: [web-back]
      default:
  side:
    image: ${IMAGE}
    network_mode: service:db
    ipc: service:db
    volumes_from: ["db:ro", "container:berthtest-spec-containers-db-1"]
    uts: host
    privileged: true
    read_only: true
    cgroup: host
    isolation: default
    cpus: 0.7
    cpu_percent: 30
    gpus: all
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu, utility]
  solo:
    image: ${IMAGE}
    container_name: berthtest-spec-containers-solo
    command: echo
    network_mode: none
    restart: always
    stop_grace_period: 2500ms
    healthcheck:
      disable: true
networks:
  front:
    ipam:
      config:
        - subnet: 10.213.77.0/24
          gateway: 10.213.77.1
    labels:
      com.example.net: front
  back:
    internal: true
    driver_opts:
      com.docker.network.bridge.enable_icc: "true"
volumes:
  data:
    labels:
      com.example.vol: data
secrets:
  file_secret:
    file: ./secret.txt
  env_secret:
    environment: SECRET_VALUE
configs:
  file_config:
    file: ./config.txt
  content_config:
    content: hello
"#;

/// The project as berth's `up` loads it.
fn load(project: &TestProject) -> loader::Loaded {
    let options = ProjectOptions {
        files: vec![project.dir.join("compose.yaml").display().to_string()],
        project_name: Some(project.name.clone()),
        project_directory: None,
        env_files: Vec::new(),
        profiles: Vec::new(),
        os_environment: BTreeMap::new(),
        current_dir: project.dir.clone(),
    };
    loader::load(&options, &LoadOptions::default()).expect("the fixture loads")
}

fn inspect(kind: &str, name: &str) -> Value {
    let text = docker(&[kind, "inspect", name]);
    let list: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("docker {kind} inspect {name} prints JSON: {text:?}"));
    list[0].clone()
}

/// Sorts an array whose order Compose takes from Go map iteration (environment, binds, mounts,
/// ulimits, extra hosts, device requests).
fn sort_array(value: &mut Value) {
    if let Value::Array(items) = value {
        items.sort_by_key(ToString::to_string);
    }
}

/// What must match between Compose's container and berth's twin.
fn comparable(inspection: &Value, own_volumes: &[String]) -> Value {
    let id = inspection["Id"].as_str().unwrap_or_default();
    let mut config = inspection["Config"].clone();
    if config["Hostname"].as_str() == Some(&id[..12]) {
        config["Hostname"] = json!("<id>");
    }
    sort_array(&mut config["Env"]);
    let mut host = inspection["HostConfig"].clone();
    for key in ["Binds", "Mounts", "Ulimits", "ExtraHosts", "DeviceRequests"] {
        sort_array(&mut host[key]);
    }
    let mut mounts = inspection["Mounts"].clone();
    if let Value::Array(items) = &mut mounts {
        for mount in items.iter_mut() {
            let name = mount["Name"].as_str().unwrap_or_default().to_owned();
            // Anonymous volumes are each container's own.
            if own_volumes.contains(&name) || (name.len() == 64 && !name.contains('_')) {
                mount["Name"] = json!("<anonymous>");
                mount["Source"] = json!("<anonymous>");
            }
        }
    }
    sort_array(&mut mounts);
    let mut networks = inspection["NetworkSettings"]["Networks"].clone();
    if let Value::Object(map) = &mut networks {
        for endpoint in map.values_mut() {
            if let Value::Object(fields) = endpoint {
                fields.remove("EndpointID");
            }
            // The daemon adds the container's short ID to its aliases.
            if let Value::Array(aliases) = &mut endpoint["Aliases"] {
                for alias in aliases.iter_mut() {
                    if alias.as_str() == Some(&id[..12]) {
                        *alias = json!("<id>");
                    }
                }
            }
        }
    }
    json!({
        "Config": config,
        "HostConfig": host,
        "Mounts": mounts,
        "Networks": networks,
        "Platform": inspection["Platform"],
        "Driver": inspection["Driver"],
    })
}

/// Paths where two JSON values differ, with both sides.
fn differences(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                differences(
                    &format!("{path}.{key}"),
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if ours == theirs => {}
        _ => out.push(format!("{path}: berth {ours} / compose {theirs}")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn containers_from_berths_specs_match_the_ones_compose_creates() {
    let project = TestProject::new("spec-containers", FIXTURE);
    let dir = &project.dir;
    std::fs::write(dir.join("web.env"), "FROM_FILE=yes\nA=overridden\n").unwrap();
    std::fs::write(dir.join(".env"), "SECRET_VALUE=s3cret\n").unwrap();
    std::fs::write(dir.join("secret.txt"), "secret\n").unwrap();
    std::fs::write(dir.join("config.txt"), "config\n").unwrap();
    std::fs::write(
        dir.join("seccomp.json"),
        "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"architectures\": [ \"SCMP_ARCH_X86_64\" ],\n  \"syscalls\": []\n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("bindopt")).unwrap();
    project.compose_ok(&["create"]);

    let loaded = load(&project);
    let context = ProjectContext {
        project: &loaded.project,
        working_dir: &loaded.working_dir,
        config_files: &loaded.config_files,
        env_files: None,
    };
    let engine = Engine::connect().await.expect("the daemon answers");

    // Compose resolves `service:` references to the first container's full ID.
    let theirs: HashMap<String, Value> = project
        .containers()
        .into_iter()
        .map(|container| {
            let service = container["Config"]["Labels"]["com.docker.compose.service"]
                .as_str()
                .unwrap()
                .to_owned();
            (service, container)
        })
        .collect();
    assert_eq!(
        theirs.len(),
        loaded.project.services.len(),
        "one container per service"
    );
    let ids: HashMap<String, String> = theirs
        .iter()
        .map(|(service, container)| {
            (
                service.clone(),
                container["Id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let linked: HashMap<String, Vec<String>> = theirs
        .iter()
        .map(|(service, container)| {
            let name = container["Name"].as_str().unwrap().trim_start_matches('/');
            (service.clone(), vec![name.to_owned()])
        })
        .collect();
    let image_id = inspect("image", IMAGE)["Id"].as_str().unwrap().to_owned();

    let mut failures = Vec::new();
    for service in loaded.project.services.values() {
        let compose = &theirs[&service.name];
        let hash = hash_for_up(service, &ids);
        let replica = ReplicaContext {
            name: format!("{}-berth-{}", project.name, service.name),
            number: 1,
            config_hash: &hash,
            image_id: &image_id,
            replace: None,
            one_off: None,
            containers: &ids,
            linked: &linked,
            inherit_anonymous_volumes_from: None,
        };
        let spec = container::container_spec(&context, service, &replica)
            .unwrap_or_else(|error| panic!("{}: {error}", service.name));
        engine
            .create_container(&spec)
            .await
            .unwrap_or_else(|error| panic!("{}: creating berth's twin: {error}", service.name));
        let ours = inspect("container", &replica.name);
        assert_eq!(
            ours["Config"]["Labels"]["com.docker.compose.config-hash"],
            json!(hash),
            "{}: berth's twin is inspected",
            service.name
        );
        let own_volumes: Vec<String> = Vec::new();
        differences(
            &service.name,
            &comparable(&ours, &own_volumes),
            &comparable(compose, &own_volumes),
            &mut failures,
        );
    }

    for (key, network) in &loaded.project.networks {
        let spec = network_spec(&context, key, network);
        let compose = inspect("network", &spec.body.name);
        let expected = json!({
            "Labels": spec.body.labels,
            "Driver": spec.body.driver.clone().unwrap_or_else(|| "bridge".to_owned()),
            "Internal": spec.body.internal.unwrap_or(false),
            "Attachable": spec.body.attachable.unwrap_or(false),
            "Options": spec.body.options.clone().unwrap_or_default(),
            "Subnets": spec.body.ipam.as_ref().and_then(|ipam| ipam.config.clone()).unwrap_or_default()
                .iter().map(|pool| json!([pool.subnet, pool.gateway])).collect::<Vec<_>>(),
        });
        let pools: Vec<Value> = if spec.body.ipam.is_some() {
            compose["IPAM"]["Config"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|pool| json!([pool["Subnet"], pool["Gateway"]]))
                .collect()
        } else {
            Vec::new()
        };
        let actual = json!({
            "Labels": compose["Labels"],
            "Driver": compose["Driver"],
            "Internal": compose["Internal"],
            "Attachable": compose["Attachable"],
            "Options": compose["Options"],
            "Subnets": pools,
        });
        differences(&format!("network {key}"), &expected, &actual, &mut failures);
    }
    for (key, volume) in &loaded.project.volumes {
        let spec = volume_spec(&context, key, volume);
        let name = spec.body.name.clone().unwrap();
        let compose = inspect("volume", &name);
        let expected = json!({
            "Labels": spec.body.labels,
            "Driver": spec.body.driver.clone().unwrap_or_else(|| "local".to_owned()),
            "Options": spec.body.driver_opts,
        });
        let actual = json!({
            "Labels": compose["Labels"],
            "Driver": compose["Driver"],
            "Options": compose["Options"],
        });
        differences(&format!("volume {key}"), &expected, &actual, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "berth and Compose differ:\n{}",
        failures.join("\n")
    );
}
