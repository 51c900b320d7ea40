//! Tests of the schema layer against messages recorded from `docker compose config` v2.40.3.

mod awesome_compose;
mod oracle_cases;

use std::time::Instant;

use serde_json::json;

use super::*;
use crate::loader::tree::Map;

fn message(tree: &Value) -> Option<String> {
    validate_schema(tree).err().map(|error| error.to_string())
}

#[test]
fn reports_the_message_compose_prints_for_each_oracle_case() {
    assert!(oracle_cases::ORACLE_CASES.len() >= 25);
    let mut mismatches = Vec::new();
    for (case, tree, expected) in oracle_cases::ORACLE_CASES {
        let tree: Value = serde_json::from_str(tree).expect("case is JSON");
        let actual = message(&tree);
        if actual.as_deref() != Some(*expected) {
            mismatches.push(format!("{case}: expected {expected:?}, got {actual:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn errors_carry_the_path_of_the_failing_node() {
    let tree = json!({"services": {"a": {"image": "x", "ports": [true]}}});
    let error = validate_schema(&tree).expect_err("a boolean port is invalid");
    assert_eq!(
        error.path(),
        TreePath::keys(&["services", "a", "ports"]).index(0)
    );
    assert_eq!(error.to_string(), "services.a.ports.0 must be a number");
}

#[test]
fn top_level_additional_property_has_an_empty_path() {
    let tree = json!({"foo": 1, "services": {"a": {"image": "x"}}});
    // The pipeline prefixes `validating <file>: `, which gives Compose's two spaces.
    assert_eq!(
        message(&tree).as_deref(),
        Some(" additional properties 'foo' not allowed")
    );
}

#[test]
fn several_unknown_keys_are_listed_in_source_order() {
    // Compose lists them in Go map order, which varies between runs; berth keeps source order.
    let tree = json!({"services": {"a": {"image": "x", "foo": 1, "bar": 2}}});
    assert_eq!(
        message(&tree).as_deref(),
        Some("services.a additional properties 'foo', 'bar' not allowed")
    );
}

#[test]
fn first_failing_service_in_source_order_is_reported() {
    let tree = json!({"services": {
        "b": {"image": "x", "bar": 1},
        "a": {"image": "x", "foo": 1},
    }});
    assert_eq!(
        message(&tree).as_deref(),
        Some("services.b additional properties 'bar' not allowed")
    );
}

#[test]
fn property_error_beats_an_unknown_key_at_the_same_depth() {
    // additionalProperties counts one level deeper, which ties with the type error below it;
    // the type error comes first because additionalProperties is reported after the properties.
    let tree = json!({"services": {"a": {"foo": 1, "image": 1}}});
    assert_eq!(
        message(&tree).as_deref(),
        Some("services.a.image must be a string")
    );
}

#[test]
fn quotes_in_values_are_escaped_as_compose_does() {
    let tree = json!({"services": {"a": {"image": "x", "container_name": "-'\n"}}});
    assert_eq!(
        message(&tree).as_deref(),
        Some(
            r"services.a.container_name '-\'\n' does not match pattern '[a-zA-Z0-9][a-zA-Z0-9_.-]+'"
        )
    );
}

#[test]
fn value_matching_two_one_of_branches_fails() {
    // No compose schema oneOf has overlapping branches, so check the walk on a schema of its own.
    let document = json!({"oneOf": [{"type": "number"}, {"minimum": 0}]});
    let patterns = HashMap::new();
    let explainer = Explainer {
        document: &document,
        patterns: &patterns,
    };
    let mut failures = Vec::new();
    explainer.check(&document, &json!(3), &TreePath::keys(&["x"]), &mut failures);
    assert_eq!(
        failures.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec!["x oneOf failed, subschemas 0, 1 matched"]
    );
}

#[test]
fn integral_floats_count_as_integers() {
    let tree = json!({"services": {"a": {"image": "x", "cpu_count": 2.0}}});
    assert_eq!(message(&tree), None);
    let tree = json!({"services": {"a": {"image": "x", "cpu_count": 2.5}}});
    assert_eq!(
        message(&tree).as_deref(),
        Some("services.a.cpu_count must be a string")
    );
}

#[test]
fn awesome_compose_samples_pass() {
    for (sample, tree) in awesome_compose::samples() {
        assert_eq!(message(&tree), None, "{sample}");
    }
}

#[test]
fn null_service_of_cg_extends_base_is_reported() {
    // tests/corpus/compose-cases/cg-extends-base/base.yaml after `extends` is resolved.
    let tree = json!({"services": {
        "base": {"image": "base"},
        "another": {"image": "base"},
        "with-port": {"ports": ["8000:8000"]},
        "withUlimits": {"image": "test", "ulimits": {
            "nproc": 65535,
            "nofile": {"soft": 20000, "hard": 40000},
        }},
        "with-build": {"build": "."},
        "nil": null,
    }});
    assert_eq!(
        message(&tree).as_deref(),
        Some("services.nil must be a mapping")
    );
}

#[test]
fn build_platform_of_cgt_merge_build_args_mixed_is_reported() {
    // tests/corpus/compose-cases/cgt-merge-build-args-mixed/compose.yaml, validated on its own
    // (Compose validates after each file).
    let tree = json!({"services": {"test": {"build": {
        "context": ".",
        "args": {"FOO": "BAR"},
        "additional_contexts": [
            "resources=/path/to/resources",
            "app=docker-image://my-app:latest",
        ],
        "platform": "linux/amd64",
        "tags": ["myimage:mytag"],
    }}}});
    assert_eq!(
        message(&tree).as_deref(),
        Some("services.test.build additional properties 'platform' not allowed")
    );
}

#[test]
fn merged_ulimits_of_cgt_merge_ulimits_are_reported() {
    // tests/corpus/compose-cases/cgt-merge-ulimits after the override replaced each ulimit.
    let tree = json!({"services": {"test": {"image": "foo", "ulimits": {
        "nofile": {"soft": 10000, "hard": 40000},
        "nproc": {"soft": 65535},
        "locks": {"hard": 65535},
    }}}});
    let actual = message(&tree).unwrap_or_default();
    assert!(actual.ends_with("must be a integer or string"), "{actual}");
    assert_eq!(
        actual,
        "services.test.ulimits.nproc must be a integer or string"
    );
}

#[test]
fn crate_and_explainer_agree_on_every_case() {
    // The crate decides valid or not; the explainer must find an error whenever it says invalid.
    let compiled = compiled().expect("schema compiles");
    for (case, tree, _) in oracle_cases::ORACLE_CASES {
        let tree: Value = serde_json::from_str(tree).expect("case is JSON");
        assert!(!compiled.validator.is_valid(&tree), "{case}");
    }
    for (sample, tree) in awesome_compose::samples() {
        assert!(compiled.validator.is_valid(&tree), "{sample}");
    }
}

#[test]
fn validates_a_thousand_services_quickly() {
    let mut services = Map::new();
    for index in 0..1000 {
        services.insert(
            format!("service{index}"),
            json!({
                "image": "nginx:1.27",
                "ports": [{"target": 80, "published": "8080", "protocol": "tcp", "mode": "ingress"}],
                "environment": {"A": "1", "B": null},
                "volumes": [{"type": "bind", "source": "/src", "target": "/dst", "bind": {"create_host_path": true}}],
                "depends_on": {"db": {"condition": "service_healthy", "required": true}},
                "healthcheck": {"test": ["CMD", "true"], "interval": "10s"},
                "networks": {"default": null},
                "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "512m"}}},
            }),
        );
    }
    let tree = json!({"name": "big", "services": services});
    validate_schema(&tree).expect("valid");
    let start = Instant::now();
    validate_schema(&tree).expect("valid");
    let elapsed = start.elapsed();
    // A few ms in release builds; debug builds are much slower, so the bound here is loose.
    assert!(elapsed.as_millis() < 2000, "{elapsed:?}");
}

#[test]
fn every_pattern_of_the_schema_compiles() {
    // The patterns compile lazily, on the first invalid tree: a broken one must still fail here.
    let compiled = compiled().expect("schema compiles");
    let patterns = compiled.patterns().expect("patterns compile");
    assert!(patterns.len() >= 5, "{} patterns", patterns.len());
}
