//! Merge, unicity and reset tests: compose-go's own cases live in `compose_go_cases`; these are
//! the corpus cases (`tests/corpus/compose-cases`) and the quirks checked against
//! `docker compose config` v2.40.3. Trees mirror the YAML files (the YAML reader is separate).

use serde_json::json;

use super::*;

/// Merges `overlay` onto `base`, enforces unicity and compares with compose-go's expectation.
pub(super) fn assert_merge_case(base: &str, overlay: &str, expected: &str) {
    let parse = |text: &str| serde_json::from_str::<Value>(text).expect("case JSON");
    let merged = merge(parse(base), parse(overlay)).expect("merge");
    let merged = enforce_unicity(merged).expect("unicity");
    assert_eq!(merged, parse(expected));
}

/// Enforces unicity on `before` and compares with compose-go's expectation.
pub(super) fn assert_unicity_case(before: &str, expected: &str) {
    let parse = |text: &str| serde_json::from_str::<Value>(text).expect("case JSON");
    assert_eq!(
        enforce_unicity(parse(before)).expect("unicity"),
        parse(expected)
    );
}

/// What the loader does with each `-f` file in turn: delete the recorded paths from what came
/// before, merge, enforce unicity.
fn load(files: Vec<(Value, Vec<TreePath>)>) -> Value {
    let mut model = json!({});
    for (document, recorded) in files {
        remove_paths(&mut model, &recorded);
        model = merge(model, document).expect("merge");
        model = enforce_unicity(model).expect("unicity");
    }
    model
}

fn path(text: &str) -> TreePath {
    TreePath::keys(&text.split('.').collect::<Vec<_>>())
}

// --- corpus cases -------------------------------------------------------------------------------

#[test]
fn corpus_override_depends_on_turns_the_list_into_defaults_then_merges() {
    let model = load(vec![
        (
            json!({"name": "test-override-networks", "services": {
                "test": {"image": "test", "depends_on": ["foo"]},
                "foo": {"image": "foo"}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"depends_on": {
                "foo": {"condition": "service_healthy", "required": false}}}}}),
            vec![],
        ),
    ]);
    assert_eq!(
        model["services"]["test"]["depends_on"],
        json!({"foo": {"condition": "service_healthy", "required": false}})
    );
}

#[test]
fn corpus_override_network_aliases_merge_into_the_listed_network() {
    let model = load(vec![
        (
            json!({"name": "test-override-networks",
                "services": {"test": {"image": "test", "networks": ["test_network"]}},
                "networks": {"test_network": {}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"image": "test",
                "networks": {"test_network": {"aliases": ["alias1", "alias2"]}}}}}),
            vec![],
        ),
    ]);
    assert_eq!(
        model["services"]["test"]["networks"],
        json!({"test_network": {"aliases": ["alias1", "alias2"]}})
    );
}

#[test]
fn corpus_override_tag_replaces_a_network_whole() {
    // override.yaml: `networks: {test: !override {}}`; Compose prints only the default name.
    let model = load(vec![
        (
            json!({"name": "test-override", "networks": {"test": {"name": "test", "external": true}}}),
            vec![],
        ),
        (
            json!({"networks": {"test": {}}}),
            vec![path("networks.test")],
        ),
    ]);
    assert_eq!(model["networks"], json!({"test": {}}));
}

#[test]
fn corpus_reset_tag_removes_a_network() {
    // override.yaml: `networks: {test: !reset {}}`: the tagged node is dropped from the document.
    let model = load(vec![
        (
            json!({"name": "test-reset", "networks": {"test": {"name": "test", "external": true}}}),
            vec![],
        ),
        (json!({"networks": {}}), vec![path("networks.test")]),
    ]);
    assert_eq!(model["networks"], json!({}));
}

#[test]
fn corpus_reset_removes_build_and_one_environment_key() {
    let model = load(vec![
        (
            json!({"name": "test", "services": {"foo": {
                "build": {"context": ".", "dockerfile": "foo.Dockerfile"},
                "environment": {"FOO": "BAR"}}}}),
            vec![],
        ),
        (
            json!({"services": {"foo": {"image": "foo", "environment": {}}}}),
            vec![
                path("services.foo.build"),
                path("services.foo.environment.FOO"),
            ],
        ),
    ]);
    // Compose prints `foo` with its image and no build or environment.
    assert_eq!(model["services"]["foo"]["image"], json!("foo"));
    assert!(model["services"]["foo"].get("build").is_none());
    assert_eq!(model["services"]["foo"]["environment"], json!([]));
}

#[test]
fn corpus_override_volume_dedupes_the_same_mount() {
    let model = load(vec![
        (
            json!({"name": "test-override-volume",
                "services": {"test": {"image": "test", "volumes": ["./src:/src"]}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"volumes": ["./src:/src"]}}}),
            vec![],
        ),
    ]);
    assert_eq!(model["services"]["test"]["volumes"], json!(["./src:/src"]));
}

#[test]
fn corpus_environment_mapping_then_list_appends() {
    let model = load(vec![
        (
            json!({"services": {"test": {"image": "foo", "environment": {"FOO": "BAR"}}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"environment": ["QIX=ZOT"]}}}),
            vec![],
        ),
    ]);
    assert_eq!(
        model["services"]["test"]["environment"],
        json!(["FOO=BAR", "QIX=ZOT"])
    );
}

#[test]
fn corpus_extra_hosts_skip_entries_already_in_the_base() {
    let model = load(vec![
        (
            json!({"services": {"test": {"image": "foo", "extra_hosts": {"example.com": "1.2.3.4"}}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"extra_hosts": [
                "localhost=127.0.0.1", "example.com=1.2.3.4", "example.com=4.3.2.1"]}}}),
            vec![],
        ),
    ]);
    // Compose then sorts them for output: example.com=1.2.3.4, example.com=4.3.2.1, localhost=….
    assert_eq!(
        model["services"]["test"]["extra_hosts"],
        json!([
            "example.com=1.2.3.4",
            "localhost=127.0.0.1",
            "example.com=4.3.2.1"
        ])
    );
}

#[test]
fn corpus_logging_with_distinct_drivers_is_replaced() {
    let model = load(vec![
        (
            json!({"services": {"test": {"image": "foo",
                "logging": {"driver": "local", "options": {"max-size": "10m"}}}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"logging": {"driver": "syslog",
                "options": {"syslog-address": "tcp://127.0.0.1:123"}}}}}),
            vec![],
        ),
    ]);
    assert_eq!(
        model["services"]["test"]["logging"],
        json!({"driver": "syslog", "options": {"syslog-address": "tcp://127.0.0.1:123"}})
    );
}

#[test]
fn corpus_build_args_and_contexts_become_lists_and_dedupe() {
    let model = load(vec![
        (
            json!({"services": {"test": {"build": {"context": ".", "args": {"FOO": "BAR"},
                "additional_contexts": ["resources=/path/to/resources", "app=docker-image://my-app:latest"],
                "platform": "linux/amd64", "tags": ["myimage:mytag"]}}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"build": {"args": ["QIX=ZOT"],
                "additional_contexts": {"app": "docker-image://new-app:latest",
                    "source": "https://github.com/myuser/project.git"},
                "tags": ["registry/username/myrepos:my-other-tag"]}}}}),
            vec![],
        ),
    ]);
    let build = &model["services"]["test"]["build"];
    assert_eq!(build["args"], json!(["FOO=BAR", "QIX=ZOT"]));
    assert_eq!(
        build["additional_contexts"],
        json!([
            "resources=/path/to/resources",
            "app=docker-image://new-app:latest",
            "source=https://github.com/myuser/project.git"
        ])
    );
    assert_eq!(
        build["tags"],
        json!(["myimage:mytag", "registry/username/myrepos:my-other-tag"])
    );
}

#[test]
fn corpus_networks_list_meets_mapping() {
    let model = load(vec![
        (
            json!({"services": {"test": {"image": "foo",
                "networks": ["front-network", "back-network", "network1"]}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"image": "foo", "networks": {
                "network1": {"aliases": ["alias1", "alias2"], "link_local_ips": ["57.123.22.11", "57.123.22.13"]},
                "network2": {"aliases": ["alias1", "alias3"]}}}}}),
            vec![],
        ),
    ]);
    assert_eq!(
        model["services"]["test"]["networks"],
        json!({"front-network": null, "back-network": null,
            "network1": {"aliases": ["alias1", "alias2"], "link_local_ips": ["57.123.22.11", "57.123.22.13"]},
            "network2": {"aliases": ["alias1", "alias3"]}})
    );
}

#[test]
fn corpus_secret_with_a_taken_target_replaces_the_earlier_entry_in_place() {
    let model = load(vec![
        (
            json!({"services": {"test": {"image": "foo", "secrets": ["foo", "bar", "zot"]}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"image": "foo",
                "secrets": [{"source": "zot", "target": "/run/secrets/foo"}]}}}),
            vec![],
        ),
    ]);
    assert_eq!(
        model["services"]["test"]["secrets"],
        json!([{"source": "zot", "target": "/run/secrets/foo"}, "bar", "zot"])
    );
}

#[test]
fn corpus_ulimits_entries_are_replaced_whole() {
    let model = load(vec![
        (
            json!({"services": {"test": {"image": "foo", "ulimits": {
                "nofile": {"soft": 20000, "hard": 40000}, "nproc": 65535,
                "locks": {"soft": 20000, "hard": 40000}}}}}),
            vec![],
        ),
        (
            json!({"services": {"test": {"image": "foo", "ulimits": {
                "nofile": {"soft": 10000, "hard": 40000}, "nproc": {"soft": 65535},
                "locks": {"hard": 65535}}}}}),
            vec![],
        ),
    ]);
    assert_eq!(
        model["services"]["test"]["ulimits"],
        json!({"nofile": {"soft": 10000, "hard": 40000}, "nproc": {"soft": 65535}, "locks": {"hard": 65535}})
    );
}

#[test]
fn corpus_cli_overrides_replace_the_image() {
    let model = load(vec![
        (json!({"services": {"simple": {"image": "nginx"}}}), vec![]),
        (
            json!({"services": {"simple": {"image": "haproxy"}}}),
            vec![],
        ),
    ]);
    assert_eq!(model, json!({"services": {"simple": {"image": "haproxy"}}}));
}

#[test]
fn corpus_override_tag_in_an_extending_service_replaces_inherited_configs() {
    // cgt-override-tag-extends-alias: `x` extends `base` with `configs: !override [...]`, so the
    // recorded path `services.x.configs` is deleted from the copy of the base before merging.
    let mut base = json!({"configs": [{"source": "credentials", "target": "/credentials/file1"}]});
    let mut wrapped = json!({"services": {"x": base.take()}});
    remove_paths(&mut wrapped, &[path("services.x.configs")]);
    let service = json!({"extends": "base",
        "configs": [{"source": "credentials", "target": "/literally-anywhere-else"}]});
    let merged = extend_service(wrapped["services"]["x"].take(), service).expect("extends");
    assert_eq!(
        merged["configs"],
        json!([{"source": "credentials", "target": "/literally-anywhere-else"}])
    );
}

// --- rules checked against the oracle -----------------------------------------------------------

#[test]
fn mapping_meeting_a_list_cannot_be_overridden() {
    let error = merge(
        json!({"services": {"a": {"ports": {"x": 1}}}}),
        json!({"services": {"a": {"ports": [80]}}}),
    )
    .expect_err("mapping vs list");
    assert_eq!(error.to_string(), "cannot override services.a.ports");
    let error = merge(json!({"x-a": [1]}), json!({"x-a": "s"})).expect_err("list vs scalar");
    assert_eq!(error.to_string(), "cannot override x-a");
}

#[test]
fn extends_errors_name_the_service_x_as_compose_does() {
    // Oracle: base `ports: {a: 1}`, extending service `ports: [80]` → `cannot override services.x.ports`.
    let error = extend_service(
        json!({"image": "x", "ports": {"a": 1}}),
        json!({"ports": [80]}),
    )
    .expect_err("mapping vs list");
    assert_eq!(error.to_string(), "cannot override services.x.ports");
}

#[test]
fn extends_applies_service_rules() {
    let merged = extend_service(
        json!({"image": "x", "environment": ["A=1"], "command": ["a", "b"]}),
        json!({"environment": {"B": 2}, "command": ["c"], "extends": "base"}),
    )
    .expect("extends");
    assert_eq!(
        merged,
        json!({"image": "x", "environment": ["A=1", "B=2"], "command": ["c"], "extends": "base"})
    );
}

#[test]
fn scalars_from_the_override_win_and_null_keeps_the_base() {
    let merged = merge(
        json!({"services": {"a": {"image": "x", "restart": "always", "scale": 1}}}),
        json!({"services": {"a": {"image": "y", "restart": null, "scale": {"n": 1}}}}),
    )
    .expect("merge");
    assert_eq!(
        merged,
        json!({"services": {"a": {"image": "y", "restart": "always", "scale": {"n": 1}}}})
    );
}

#[test]
fn replaced_paths_take_the_override_even_when_null() {
    let merged = merge(
        json!({"services": {"a": {"command": ["a", "b"], "entrypoint": "sh",
            "healthcheck": {"test": ["CMD", "x"], "interval": "1s"}}}}),
        json!({"services": {"a": {"command": null, "entrypoint": ["bash"],
            "healthcheck": {"test": "true"}}}}),
    )
    .expect("merge");
    assert_eq!(
        merged,
        json!({"services": {"a": {"command": null, "entrypoint": ["bash"],
            "healthcheck": {"test": "true", "interval": "1s"}}}})
    );
}

#[test]
fn a_key_new_in_the_override_is_copied_as_written() {
    let merged = merge(
        json!({"services": {"a": {"image": "x"}}}),
        json!({"services": {"a": {"environment": {"B": 1}}, "b": {"labels": {"l": "v"}}}}),
    )
    .expect("merge");
    assert_eq!(merged["services"]["a"]["environment"], json!({"B": 1}));
    assert_eq!(merged["services"]["b"]["labels"], json!({"l": "v"}));
}

#[test]
fn mapping_values_are_printed_with_go_formatting_and_list_values_split() {
    // Oracle: {C: 1.0, D: 1000000.0, E: 1e21, F: 0.00001, G: [1, 2], H: true} merged onto a list
    // gives C=1, D=1e+06, E=1e+21, F=1e-05, G=2 (G=1 then G=2, deduplicated), H=true.
    let merged = merge(
        json!({"services": {"a": {"environment": ["A=1"]}}}),
        json!({"services": {"a": {"environment": {"C": 1.0, "D": 1_000_000.0, "E": 1e21,
            "F": 0.00001, "G": [1, 2], "H": true, "I": null}}}}),
    )
    .expect("merge");
    let merged = enforce_unicity(merged).expect("unicity");
    assert_eq!(
        merged["services"]["a"]["environment"],
        json!([
            "A=1", "C=1", "D=1e+06", "E=1e+21", "F=1e-05", "G=2", "H=true", "I"
        ])
    );
}

#[test]
fn a_string_override_of_a_k_v_field_becomes_one_entry() {
    // Oracle: `environment: "x"` over a mapping loads without error.
    let merged = merge(
        json!({"services": {"a": {"environment": {"A": "1"}}}}),
        json!({"services": {"a": {"environment": "x"}}}),
    )
    .expect("merge");
    assert_eq!(merged["services"]["a"]["environment"], json!(["A=1", "x"]));
}

#[test]
fn k_v_lists_merge_on_top_level_labels_and_mount_labels() {
    let merged = merge(
        json!({"networks": {"n": {"labels": {"b": "2"}}}, "volumes": {"v": {"labels": ["a=1"]}},
            "services": {"s": {"volumes": {"m": {"volume": {"labels": {"x": "1"}}}}}}}),
        json!({"networks": {"n": {"labels": {"a": "1"}}}, "volumes": {"v": {"labels": {"c": "3"}}},
            "services": {"s": {"volumes": {"m": {"volume": {"labels": {"y": "2"}}}}}}}),
    )
    .expect("merge");
    assert_eq!(merged["networks"]["n"]["labels"], json!(["b=2", "a=1"]));
    assert_eq!(merged["volumes"]["v"]["labels"], json!(["a=1", "c=3"]));
    assert_eq!(
        merged["services"]["s"]["volumes"]["m"]["volume"]["labels"],
        json!(["x=1", "y=2"])
    );
}

#[test]
fn depends_on_list_entries_get_compose_defaults_and_merge_per_key() {
    let merged = merge(
        json!({"services": {"a": {"depends_on": {"db": {"condition": "service_healthy", "restart": true}}}}}),
        json!({"services": {"a": {"depends_on": ["db", "cache"]}}}),
    )
    .expect("merge");
    assert_eq!(
        merged["services"]["a"]["depends_on"],
        json!({"db": {"condition": "service_started", "restart": true, "required": true},
            "cache": {"condition": "service_started", "required": true}})
    );
}

#[test]
fn build_string_becomes_a_context_before_merging() {
    let merged = merge(
        json!({"services": {"a": {"build": "./dir"}, "b": {"build": {"context": "."}}}}),
        json!({"services": {"a": {"build": {"dockerfile": "D", "args": {"X": "1"}}}, "b": {"build": "./other"}}}),
    )
    .expect("merge");
    assert_eq!(
        merged["services"]["a"]["build"],
        json!({"context": "./dir", "dockerfile": "D", "args": {"X": "1"}})
    );
    assert_eq!(
        merged["services"]["b"]["build"],
        json!({"context": "./other"})
    );
}

#[test]
fn models_and_networks_lists_become_null_mappings() {
    let merged = merge(
        json!({"services": {"a": {"models": ["m1"], "networks": {"n1": {"aliases": ["x"]}}}}}),
        json!({"services": {"a": {"models": {"m2": {"endpoint_var": "U"}}, "networks": ["n1", "n2"]}}}),
    )
    .expect("merge");
    assert_eq!(
        merged["services"]["a"]["models"],
        json!({"m1": null, "m2": {"endpoint_var": "U"}})
    );
    // A null override keeps the base network's aliases.
    assert_eq!(
        merged["services"]["a"]["networks"],
        json!({"n1": {"aliases": ["x"]}, "n2": null})
    );
}

#[test]
fn logging_merges_when_one_side_names_no_driver() {
    let merged = merge(
        json!({"services": {"a": {"logging": {"driver": "json-file", "options": {"max-size": "1m"}}}}}),
        json!({"services": {"a": {"logging": {"options": {"max-file": "3"}}}}}),
    )
    .expect("merge");
    assert_eq!(
        merged["services"]["a"]["logging"],
        json!({"driver": "json-file", "options": {"max-size": "1m", "max-file": "3"}})
    );
}

#[test]
fn ipam_config_keeps_only_base_entries_an_override_entry_shares_a_subnet_with() {
    // Oracle (--all-resources): base [10.0.0.0/24 gw .1, 10.1.0.0/24 gw .1], override
    // [10.1.0.0/24 ip_range] → only the merged 10.1.0.0/24 entry remains.
    let merged = merge(
        json!({"networks": {"n": {"ipam": {"config": [
            {"subnet": "10.0.0.0/24", "gateway": "10.0.0.1"},
            {"subnet": "10.1.0.0/24", "gateway": "10.1.0.1"}]}}}}),
        json!({"networks": {"n": {"ipam": {"config": [
            {"subnet": "10.1.0.0/24", "ip_range": "10.1.0.0/25"}]}}}}),
    )
    .expect("merge");
    assert_eq!(
        merged["networks"]["n"]["ipam"]["config"],
        json!([{"subnet": "10.1.0.0/24", "gateway": "10.1.0.1", "ip_range": "10.1.0.0/25"}])
    );
}

#[test]
fn ipam_config_adds_new_subnets_after_merged_ones() {
    let merged = merge(
        json!({"networks": {"n": {"ipam": {"config": [{"subnet": "10.0.0.0/24", "gateway": "10.0.0.1"}]}}}}),
        json!({"networks": {"n": {"ipam": {"config": [
            {"subnet": "10.0.0.0/24", "ip_range": "10.0.0.0/25"}, {"subnet": "10.2.0.0/24"}]}}}}),
    )
    .expect("merge");
    assert_eq!(
        merged["networks"]["n"]["ipam"]["config"],
        json!([{"subnet": "10.0.0.0/24", "gateway": "10.0.0.1", "ip_range": "10.0.0.0/25"},
            {"subnet": "10.2.0.0/24"}])
    );
}

#[test]
fn ipam_config_that_is_not_a_list_is_an_unexpected_type() {
    let error = merge(
        json!({"networks": {"n": {"ipam": {"config": [{"subnet": "10.0.0.0/24"}]}}}}),
        json!({"networks": {"n": {"ipam": {"config": null}}}}),
    )
    .expect_err("null config");
    assert_eq!(
        error.to_string(),
        "networks.n.ipam.config: unexpected type []interface {}"
    );
}

// --- unicity ------------------------------------------------------------------------------------

#[test]
fn unicity_rejects_non_string_k_v_items_with_compose_text() {
    // Oracle: `labels: [1]` → `services.base.labels.[0]: unexpected type int`.
    let error =
        enforce_unicity(json!({"services": {"base": {"labels": [1]}}})).expect_err("int label");
    assert_eq!(
        error.to_string(),
        "services.base.labels.[0]: unexpected type int"
    );
}

#[test]
fn unicity_compares_volume_targets_raw() {
    // `/data/` and `/data` are different keys here; the consistency check later rejects them.
    let value = json!({"services": {"s": {"volumes": [
        {"type": "volume", "source": "a", "target": "/data/"}, "vb:/data", "vc:/data:ro"]}}});
    assert_eq!(
        enforce_unicity(value).expect("unicity")["services"]["s"]["volumes"],
        json!([{"type": "volume", "source": "a", "target": "/data/"}, "vc:/data:ro"])
    );
}

#[test]
fn unicity_keys_long_ports_by_their_go_text() {
    // A long port prints as `0.0.0.0:8080:80/tcp`, so a short entry written that way is a duplicate;
    // an integer published port prints as `%!s(int=8080)` and is not.
    let value = json!({"services": {"s": {"ports": [
        "0.0.0.0:8080:80/tcp", {"target": 80, "published": "8080"},
        {"target": 80, "published": 8080}, 80, "80"]}}});
    assert_eq!(
        enforce_unicity(value).expect("unicity")["services"]["s"]["ports"],
        json!([{"target": 80, "published": "8080"}, {"target": 80, "published": 8080}, "80"])
    );
}

#[test]
fn unicity_keys_secrets_and_configs_by_target_or_default_path() {
    let value = json!({"services": {"s": {
        "secrets": ["a", {"source": "b", "target": "/run/secrets/a"}, {"source": "c"}, "c"],
        "configs": ["a", {"source": "b", "target": "/a"}]}}});
    let unique = enforce_unicity(value).expect("unicity");
    assert_eq!(
        unique["services"]["s"]["secrets"],
        json!([{"source": "b", "target": "/run/secrets/a"}, "c"])
    );
    assert_eq!(
        unique["services"]["s"]["configs"],
        json!([{"source": "b", "target": "/a"}])
    );
}

#[test]
fn unicity_covers_devices_expose_env_files_and_network_aliases() {
    let value = json!({"services": {"s": {
        "devices": ["/dev/a:/dev/x", {"source": "/dev/b", "target": "/dev/x"}, "/dev/c"],
        "expose": [80, "80", "81"],
        "env_file": ["a.env", {"path": "a.env", "required": false}],
        "networks": {"n": {"aliases": ["x", "y", "x"]}},
        "security_opt": ["a", "a"]}}});
    let unique = enforce_unicity(value).expect("unicity");
    let service = &unique["services"]["s"];
    assert_eq!(
        service["devices"],
        json!([{"source": "/dev/b", "target": "/dev/x"}, "/dev/c"])
    );
    assert_eq!(service["expose"], json!(["80", "81"]));
    assert_eq!(
        service["env_file"],
        json!([{"path": "a.env", "required": false}])
    );
    assert_eq!(service["networks"]["n"]["aliases"], json!(["x", "y"]));
    // Lists without a key keep their duplicates.
    assert_eq!(service["security_opt"], json!(["a", "a"]));
}

#[test]
fn unicity_errors_for_entries_without_their_key() {
    let cases = [
        (
            json!({"volumes": [{"source": "a"}]}),
            "service volume services.s.volumes.[0] is missing a mount target",
        ),
        (
            json!({"devices": [{"source": "a"}]}),
            "service device services.s.devices.[0] is missing a mount target",
        ),
        (
            json!({"ports": [{"published": "80"}]}),
            "service ports services.s.ports.[0] is missing a target port",
        ),
        (
            json!({"env_file": [{"required": true}]}),
            "environment path attribute services.s.env_file.[0] is missing",
        ),
        (
            json!({"expose": [1.5]}),
            "services.s.expose.[0]: unsupported expose value %!s(float64=1.5)",
        ),
        (
            json!({"volumes": ["/a:/b:ro:x"]}),
            "invalid spec: /a:/b:ro:x: too many colons",
        ),
    ];
    for (service, message) in cases {
        let error = enforce_unicity(json!({"services": {"s": service}})).expect_err(message);
        assert_eq!(error.to_string(), message);
    }
}

// --- reset paths --------------------------------------------------------------------------------

#[test]
fn reset_paths_delete_mapping_entries_only() {
    let mut model = json!({"services": {"a": {"image": "x", "command": ["a"], "ports": ["80", "81"],
        "environment": {"A": "1", "B": "2"}}}});
    remove_paths(
        &mut model,
        &[
            path("services.a.command"),
            path("services.a.environment.A"),
            // A tag on a sequence item records an index, which never matches a list item.
            TreePath::keys(&["services", "a", "ports"]).index(0),
        ],
    );
    assert_eq!(
        model,
        json!({"services": {"a": {"image": "x", "ports": ["80", "81"], "environment": {"B": "2"}}}})
    );
}

#[test]
fn reset_paths_skip_merge_keys_and_honour_wildcards() {
    let mut model =
        json!({"services": {"a": {"image": "x", "user": "u"}, "b": {"image": "y", "user": "v"}}});
    remove_paths(
        &mut model,
        &[
            TreePath::keys(&["services", "a", "<<", "image"]),
            path("services.*.user"),
        ],
    );
    assert_eq!(model, json!({"services": {"a": {}, "b": {"image": "y"}}}));
}

#[test]
fn reset_of_a_key_in_a_merged_k_v_list_is_silently_ignored() {
    // LOADER-NOTES §8: once an earlier merge turned environment into a list, `A: !reset` finds
    // nothing to delete.
    let mut model = json!({"services": {"a": {"environment": ["A=1"]}}});
    remove_paths(&mut model, &[path("services.a.environment.A")]);
    assert_eq!(model, json!({"services": {"a": {"environment": ["A=1"]}}}));
}

#[test]
fn merge_overrides_scalars_without_unicity() {
    // compose-go merge_test.go Test_mergeOverrides.
    let merged = merge(
        json!({"services": {"test": {"image": "foo", "scale": 1}}}),
        json!({"services": {"test": {"image": "bar", "scale": 2}}}),
    )
    .expect("merge");
    assert_eq!(
        merged,
        json!({"services": {"test": {"image": "bar", "scale": 2}}})
    );
}

#[test]
fn null_logging_override_keeps_the_base_where_compose_panics() {
    // docker compose v2.40.3 crashes here (`interface {} is nil, not map[string]interface {}`);
    // berth applies the default rule instead.
    let merged = merge(
        json!({"services": {"a": {"logging": {"driver": "local"}}}}),
        json!({"services": {"a": {"logging": null}}}),
    )
    .expect("merge");
    assert_eq!(
        merged["services"]["a"]["logging"],
        json!({"driver": "local"})
    );
}
