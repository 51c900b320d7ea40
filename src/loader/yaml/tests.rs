//! Tests of the YAML reader against real compose files and answers of the Compose oracle.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

fn corpus(path: &str) -> String {
    let full = format!("{CORPUS}/{path}");
    std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

fn one(text: &str) -> Document {
    let mut documents = parse_documents(text, "compose.yaml").unwrap();
    assert_eq!(documents.len(), 1);
    documents.remove(0)
}

fn error(text: &str) -> String {
    parse_documents(text, "compose.yaml")
        .unwrap_err()
        .to_string()
}

fn paths(paths: &[TreePath]) -> Vec<String> {
    paths.iter().map(ToString::to_string).collect()
}

/// Each row was checked with `docker compose config --format json` (v2.40.3) as a label, whose
/// printed text is noted: Compose prints the decoded value with Go's `fmt.Sprint`.
#[test]
fn plain_scalars_resolve_as_go_yaml_does() {
    let table = [
        ("0777", json!(511)),     // "511"
        ("1.0", json!(1.0)),      // "1"
        ("1e3", json!(1000.0)),   // "1000"
        (".inf", json!("+Inf")),  // "+Inf"
        ("-.Inf", json!("-Inf")), // "-Inf"
        (".nan", json!("NaN")),   // "NaN"
        ("+.inf", json!("+Inf")), // "+Inf"
        ("yes", json!("yes")),    // "yes"
        ("on", json!("on")),      // "on"
        ("0o17", json!(15)),      // "15"
        ("-0o17", json!(-15)),    // "-15"
        ("0x1F", json!(31)),      // "31"
        ("0X1f", json!(31)),      // "31"
        ("1_000", json!(1000)),   // "1000"
        ("1__0", json!(10)),      // "10"
        ("1_", json!(1)),         // "1"
        ("_1", json!("_1")),      // "_1"
        ("+12", json!(12)),       // "12"
        ("-0b101", json!(-5)),    // "-5"
        ("0b101", json!(5)),      // "5"
        ("0B101", json!(5)),      // "5"
        (
            "18446744073709551615",
            json!(18_446_744_073_709_551_615_u64),
        ),
        ("9223372036854775808", json!(9_223_372_036_854_775_808_u64)),
        ("123456789012345678901", json!(1.234_567_890_123_456_8e20)),
        ("1e400", json!("1e400")), // out of range: a string
        ("0440", json!(288)),      // "288"
        ("08", json!(8.0)),        // not octal, but a float: "8"
        (".5", json!(0.5)),        // "0.5"
        ("5.", json!(5.0)),        // "5"
        ("0.5e-7", json!(5e-8)),   // "5e-08"
        ("-0", json!(0)),          // "0"
        ("0o", json!("0o")),       // "0o"
        ("True", json!(true)),     // "true"
        ("TRUE", json!(true)),
        ("false", json!(false)),
        ("~", json!(null)),
        ("", json!(null)),
        ("Null", json!(null)),
        ("NULL", json!(null)),
        ("\"0440\"", json!("0440")), // quoted: "0440"
        ("'true'", json!("true")),
        ("!!str 0777", json!("0777")), // "0777"
        ("!!int \"12\"", json!(12)),   // "12"
        ("!!float 3", json!(3.0)),     // "3"
        ("!!bool true", json!(true)),
        ("!override 0777", json!("0777")), // a custom tag keeps the text: "0777"
        ("! 12", json!(12)),               // `!` alone is no tag for go-yaml
        ("!!binary aGVsbG8=", json!("hello")),
        ("<<", json!("<<")),
        ("2001-12-14", json!("2001-12-14")),
    ];
    for (text, expected) in table {
        let document = one(&format!("x: {text}\n"));
        assert_eq!(document.value["x"], expected, "x: {text}");
    }
}

#[test]
fn go_formats_floats_as_compose_prints_them() {
    // The texts Compose printed for the labels `1.0`, `1e3`, `0.5e-7`, `1e21`, `1e20`,
    // `123456789012345678901`, `12e-10`, `1.5e300`, `0.1`.
    let table = [
        (1.0, "1"),
        (1000.0, "1000"),
        (5e-8, "5e-08"),
        (1e21, "1e+21"),
        (1e20, "1e+20"),
        (1.234_567_890_123_456_8e20, "1.2345678901234568e+20"),
        (12e-10, "1.2e-09"),
        (1.5e300, "1.5e+300"),
        (0.1, "0.1"),
        (123_456.0, "123456"),
        (1_234_567.0, "1.234567e+06"),
        (-0.0001, "-0.0001"),
        (f64::INFINITY, "+Inf"),
        (f64::NAN, "NaN"),
    ];
    for (value, expected) in table {
        assert_eq!(format_float(value), expected, "{value}");
    }
}

#[test]
fn block_scalars_keep_their_chomping() {
    let document = one("a: |\n  x\n  y\n\nb: >-\n  x\n  y\nc: |+\n  x\n\nd: >\n  x\n\n  y\n");
    assert_eq!(document.value["a"], "x\ny\n");
    assert_eq!(document.value["b"], "x y");
    assert_eq!(document.value["c"], "x\n\n");
    assert_eq!(document.value["d"], "x\ny\n");
}

#[test]
fn timestamps_keep_their_text_and_are_recorded() {
    let document = one(
        "x-a:\n  d: 2001-12-14\n  t: 2001-12-14t21:59:43.10-05:00\n  s: 2001-12-14 21:59:43.10\n  \
         no: 2001-02-30\n  q: \"2001-12-14\"\n",
    );
    assert_eq!(document.value["x-a"]["t"], "2001-12-14t21:59:43.10-05:00");
    assert_eq!(document.value["x-a"]["no"], "2001-02-30");
    assert_eq!(paths(&document.timestamps), ["x-a.d", "x-a.t", "x-a.s"]);
}

#[test]
fn documents_are_split_on_dashes_and_empty_files_give_none() {
    assert!(parse_documents("", "f").unwrap().is_empty());
    assert!(
        parse_documents("# only\n# comments\n", "f")
            .unwrap()
            .is_empty()
    );
    let documents = parse_documents("name: a\n---\nname: b\n", "f").unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[1].value, json!({"name": "b"}));
    // An anchor of an earlier document may be aliased (go-yaml keeps anchors per stream).
    let documents = parse_documents("x-a: &a {image: x}\n---\nservices: {b: *a}\n", "f").unwrap();
    assert_eq!(documents[1].value["services"]["b"], json!({"image": "x"}));
}

/// Compose: `top-level object must be a mapping` for each of these (checked with the oracle),
/// raised once the documents before have been read.
#[test]
fn a_document_that_is_not_a_mapping_is_refused() {
    for text in [
        "hello\n",
        "~\n",
        "---\n",
        "- a\n",
        "services: {}\n---\n",
        "!reset\n",
    ] {
        let mut documents = documents(text, "f");
        let failure = documents.find_map(Result::err).unwrap();
        assert_eq!(
            failure.to_string(),
            "top-level object must be a mapping",
            "{text:?}"
        );
    }
    // An empty mapping is a mapping (the pipeline then says `empty compose file`).
    assert_eq!(one("{}\n").value, json!({}));
}

#[test]
fn non_string_keys_are_refused_with_compose_text() {
    // Texts from the oracle.
    let table = [
        (
            "services:\n  1: {image: x}\n",
            "non-string key in services: 1",
        ),
        (
            "services:\n  true: {image: x}\n",
            "non-string key in services: true",
        ),
        (
            "services:\n  ~: {image: x}\n",
            "non-string key in services: <nil>",
        ),
        (
            "services:\n  1.5: {image: x}\n",
            "non-string key in services: 1.5",
        ),
        (
            "services:\n  1e3: {image: x}\n",
            "non-string key in services: 1000",
        ),
        (
            "services:\n  18446744073709551615: {image: x}\n",
            "non-string key in services: 0xffffffffffffffff",
        ),
        ("1: x\n", "non-string key at top level: 1"),
        ("x-a:\n  .inf: x\n", "non-string key in x-a: +Inf"),
        ("x-a:\n  - 1: x\n", "non-string key in x-a[0]: 1"),
        (
            "x-a:\n  2001-12-14: x\n",
            "non-string key in x-a: time.Date(2001, time.December, 14, 0, 0, 0, 0, time.UTC)",
        ),
        (
            "x-a:\n  2001-12-14t21:59:43.10-05:00: x\n",
            "non-string key in x-a: time.Date(2001, time.December, 14, 21, 59, 43, 100000000, time.Location(\"\"))",
        ),
        (
            "x-a:\n  2001-12-14t21:59:43+00:00: x\n",
            "non-string key in x-a: time.Date(2001, time.December, 14, 21, 59, 43, 0, time.Local)",
        ),
        (
            "services:\n  [a, b]: {image: x}\n",
            "failed to parse compose.yaml: yaml: invalid map key: []interface {}{\"a\", \"b\"}",
        ),
        (
            "services:\n  {a: 1}: {image: x}\n",
            "failed to parse compose.yaml: yaml: invalid map key: map[string]interface {}{\"a\":1}",
        ),
    ];
    for (text, expected) in table {
        assert_eq!(error(text), expected, "{text:?}");
    }
    // Quoted keys are strings.
    assert_eq!(
        one("\"1\": x\n'true': y\n").value,
        json!({"1": "x", "true": "y"})
    );
}

#[test]
fn duplicate_keys_are_refused_with_the_duplicate_line() {
    let text = corpus("compose-cases/cgt-duplicate-key/duplicate.yml");
    let failure = parse_documents(&text, "/work/duplicate.yml").unwrap_err();
    assert_eq!(
        failure.to_string(),
        "failed to parse /work/duplicate.yml: line 6: mapping key \"command\" already defined at line 5"
    );
    // Texts from the oracle: the first clash in document order, quoted and aliased keys alike.
    assert_eq!(
        error("x-b:\n  c:\n    d: 1\n    d: 2\n  c: 3\n"),
        "failed to parse compose.yaml: line 4: mapping key \"d\" already defined at line 3"
    );
    assert_eq!(
        error("x-b:\n  a: 1\n  \"a\": 2\n"),
        "failed to parse compose.yaml: line 3: mapping key \"a\" already defined at line 2"
    );
    assert_eq!(
        error("x-a: &a k\nx-b:\n  *a : 1\n  a: 2\n"),
        "failed to parse compose.yaml: line 4: mapping key \"a\" already defined at line 3"
    );
    // Under `!override` the reset pass does not look; go-yaml's decoder does.
    assert_eq!(
        error("services:\n  a: !override\n    image: x\n    image: y\n"),
        "failed to parse compose.yaml: yaml: unmarshal errors:\n  line 4: mapping key \"image\" already defined at line 3"
    );
}

#[test]
fn anchors_aliases_and_merge_keys_expand_as_in_compose() {
    let alias = one(&corpus(
        "compose-cases/cgt-anchors-alias-service/compose.yaml",
    ));
    assert_eq!(alias.value["services"]["a2"], json!({"image": "alpine"}));
    assert_eq!(alias.value["services"]["a"], alias.value["services"]["a2"]);

    let common = one(&corpus(
        "compose-cases/cgt-anchors-common-merge-key/compose.yaml",
    ));
    for name in ["backend", "backend-static", "backend-worker"] {
        assert_eq!(
            common.value["services"][name],
            json!({"image": "alpine:latest", "restart": "unless-stopped"})
        );
    }

    let nested = one(&corpus(
        "compose-cases/cgt-anchors-nested-merge/compose.yaml",
    ));
    assert_eq!(
        nested.value["x-templates"]["vp0"],
        json!({"environment": {"a": "b"}})
    );
    assert_eq!(
        nested.value["x-templates"]["x-gluetun-env-pia"],
        json!({"a": "b"})
    );
}

#[test]
fn explicit_keys_win_over_merged_ones_and_earlier_sources_win() {
    let document = one(
        "x-a: &a {k: a, only-a: 1}\nx-b: &b {k: b, only-b: 2, only-a: b}\n\
         s:\n  k: own\n  <<: [*a, *b]\nt:\n  <<: *b\n  k: own\n",
    );
    assert_eq!(
        document.value["s"],
        json!({"k": "own", "only-a": 1, "only-b": 2})
    );
    assert_eq!(
        document.value["t"],
        json!({"k": "own", "only-b": 2, "only-a": "b"})
    );
    // A quoted `<<` is an ordinary key.
    assert_eq!(one("\"<<\": x\n").value, json!({"<<": "x"}));
}

#[test]
fn bad_merge_values_are_refused() {
    // Texts from the oracle.
    for text in [
        "x-a:\n  <<: 1\n",
        "x-a:\n  <<:\n",
        "x-b: &b 1\nx-a:\n  <<: [*b]\n",
    ] {
        assert_eq!(
            error(text),
            "failed to parse compose.yaml: yaml: map merge requires map or sequence of maps as the value"
        );
    }
}

#[test]
fn alias_cycles_are_reported_as_compose_does() {
    let text = corpus("compose-cases/cgt-anchors-self-cycle/compose.yaml");
    assert_eq!(
        parse_documents(&text, "/case/compose.yaml")
            .unwrap_err()
            .to_string(),
        "failed to parse /case/compose.yaml: cycle detected: node at path \
         x-healthcheck.egress-service.egress-service references node at path x-healthcheck.egress-service"
    );
    assert_eq!(
        error("x-a: &a [*a]\n"),
        "failed to parse compose.yaml: cycle detected: node at path x-a.0.0 references node at path x-a.0"
    );
}

#[test]
fn other_errors_carry_compose_text_or_a_line() {
    assert_eq!(
        error("x-a: *b\n"),
        "failed to parse compose.yaml: yaml: unknown anchor 'b' referenced"
    );
    assert_eq!(
        error("x-b: !!int x\n"),
        "failed to parse compose.yaml: yaml: cannot decode !!str `x` as a !!int"
    );
    assert_eq!(
        error("x-b: !!null x\n"),
        "failed to parse compose.yaml: yaml: cannot decode !!str `x` as a !!null"
    );
    let syntax = parse_documents("services:\n\ta: b\n", "compose.yaml").unwrap_err();
    assert!(
        matches!(syntax, YamlError::Syntax { line: 2, .. }),
        "{syntax:?}"
    );
    assert!(
        syntax
            .to_string()
            .starts_with("failed to parse compose.yaml: yaml: line 2: ")
    );
}

#[test]
fn reset_and_override_tags_record_their_paths() {
    let build = one(&corpus(
        "compose-cases/cgt-reset-build-environment/override.yml",
    ));
    assert_eq!(
        paths(&build.resets),
        ["services.foo.build", "services.foo.environment.FOO"]
    );
    assert_eq!(
        build.value["services"]["foo"],
        json!({"image": "foo", "environment": {}})
    );

    let network = one(&corpus(
        "compose-cases/cgt-reset-remove-network/override.yaml",
    ));
    assert_eq!(paths(&network.resets), ["networks.test"]);
    assert_eq!(network.value, json!({"networks": {}}));

    let replace = one(&corpus(
        "compose-cases/cgt-override-replace-network/override.yaml",
    ));
    assert_eq!(paths(&replace.overrides), ["networks.test"]);
    assert_eq!(replace.value, json!({"networks": {"test": {}}}));

    // The tag is reached again through the merge key, at the merged path (`.<<` dropped).
    let extends = one(&corpus(
        "compose-cases/cgt-override-tag-extends-alias/compose.yaml",
    ));
    assert_eq!(
        paths(&extends.overrides),
        ["services.x.configs", "services.y.configs"]
    );
    assert_eq!(
        extends.value["services"]["y"]["configs"][0]["target"],
        "/literally-anywhere-else"
    );
}

#[test]
fn reset_paths_follow_compose_go_quirks() {
    // Sequence items are plain segments; `!reset anything` is a reset; a tagged anchor counts
    // where it is aliased.
    let document = one(
        "services:\n  a:\n    ports: [\"80\", !reset \"81\", \"82\"]\n    command: !reset anything\n\
         x-r: &r !reset gone\nx-s: *r\nx-k: {\"a.b\": {c: !override 1}}\n",
    );
    assert_eq!(
        paths(&document.resets),
        ["services.a.ports.1", "services.a.command", "x-r", "x-s"]
    );
    assert_eq!(
        document.value["services"]["a"],
        json!({"ports": ["80", "82"]})
    );
    assert!(document.value.get("x-s").is_none());
    assert_eq!(document.overrides[0].0.len(), 3);
    assert_eq!(paths(&document.overrides), ["x-k.a.b.c"]);
    assert_eq!(
        document.overrides[0].0[1],
        crate::loader::tree::Segment::Key("a.b".to_owned())
    );
}

#[test]
fn locations_point_at_keys_and_items() {
    let document = one("services:\n  web:\n    image: x\n    ports:\n      - \"80\"\n      - 81\n");
    let at = |path: TreePath| {
        let location = document.locations.find(&path).unwrap();
        (location.line, location.column)
    };
    assert_eq!(at(TreePath::keys(&["services", "web"])), (2, 3));
    assert_eq!(at(TreePath::keys(&["services", "web", "image"])), (3, 5));
    assert_eq!(
        at(TreePath::keys(&["services", "web", "ports"]).index(1)),
        (6, 9)
    );
    assert_eq!(
        &*document
            .locations
            .find(&TreePath::keys(&["services"]))
            .unwrap()
            .file,
        "compose.yaml"
    );
}

#[test]
fn every_awesome_compose_file_reads_as_a_mapping_of_services() {
    let directory = format!("{CORPUS}/awesome-compose");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&directory).unwrap() {
        let app = entry.unwrap().path();
        if !app.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&app).unwrap() {
            let file = entry.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                files.push(file);
            }
        }
    }
    assert_eq!(files.len(), 39);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let documents = parse_documents(&text, &file.to_string_lossy()).unwrap();
        assert_eq!(documents.len(), 1, "{}", file.display());
        assert!(
            documents[0].value["services"].is_object(),
            "{}",
            file.display()
        );
        assert!(!documents[0].locations.is_empty());
    }
}

#[test]
fn awesome_compose_values_are_typed_as_in_compose() {
    let text = corpus("awesome-compose/nginx-golang-mysql/compose.yaml");
    let document = one(&text);
    let services = &document.value["services"];
    assert!(services["backend"].is_object());
    assert!(services["db"]["environment"].is_object() || services["db"]["environment"].is_array());
}

/// Runs `check` on its own thread with a deadline, so an unbounded input fails the test instead
/// of hanging it, on a stack no larger than a test thread's.
fn within_a_second<T: Send + 'static>(check: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || sender.send(check()))
        .unwrap();
    receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("did not finish in time")
}

#[test]
fn alias_bombs_are_refused_quickly() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..=12 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 10].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    let started = Instant::now();
    let failure =
        within_a_second(move || parse_documents(&text, "bomb.yaml").unwrap_err().to_string());
    assert_eq!(
        failure,
        "failed to parse bomb.yaml: yaml: document contains excessive aliasing"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Self-merging anchors send Compose into endless recursion; berth stops.
    for text in ["x: &a {<<: *a}\n", "x: &a {<<: [*a, *a]}\n"] {
        let failure = within_a_second(move || parse_documents(text, "f").unwrap_err());
        assert!(
            matches!(
                failure,
                YamlError::ExcessiveAliasing { .. }
                    | YamlError::TooDeep { .. }
                    | YamlError::Cycle { .. }
            ),
            "{failure:?}"
        );
    }
}

/// `levels` nested block mappings, one key per level.
fn nest(levels: usize) -> String {
    (1..=levels)
        .map(|level| format!("{}k:\n", " ".repeat(level)))
        .collect()
}

#[test]
fn deep_nesting_is_refused_and_allowed_up_to_the_limit() {
    // saphyr stops flow collections at 255 levels, with a line.
    let deep = format!("x: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let failure = within_a_second(move || parse_documents(&deep, "f").unwrap_err());
    assert!(
        matches!(failure, YamlError::Syntax { line: 1, .. }),
        "{failure:?}"
    );
    // Block collections stop at the limit.
    let deep = format!("x:\n{}", nest(MAX_DEPTH + 10));
    let failure = within_a_second(move || parse_documents(&deep, "f").unwrap_err());
    assert!(matches!(failure, YamlError::TooDeep { .. }), "{failure:?}");
    assert!(
        failure.to_string().contains("exceeded max depth of 400"),
        "{failure}"
    );
    let allowed = format!("x:\n{}", nest(MAX_DEPTH - 2));
    within_a_second(move || parse_documents(&allowed, "f").unwrap());
    // Depth gained through a chain of aliases counts too.
    let mut chain = String::from("a0: &a0 [[[[[[[[[[1]]]]]]]]]]\n");
    for level in 1..100 {
        chain.push_str(&format!(
            "a{level}: &a{level} [[[[[[*a{}]]]]]]\n",
            level - 1
        ));
    }
    let failure = within_a_second(move || parse_documents(&chain, "f").unwrap_err());
    assert!(matches!(failure, YamlError::TooDeep { .. }), "{failure:?}");
}

#[test]
fn arbitrary_text_never_panics() {
    // A small deterministic fuzz over YAML-significant characters.
    let alphabet: Vec<char> = "ab1 :-?[]{},&*!<|>'\"#%@`\n\t.~0x_\u{e9}".chars().collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let finished = within_a_second(move || {
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(state % 60) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(alphabet[usize::try_from(state % alphabet.len() as u64).unwrap()]);
            }
            let _ = parse_documents(&text, "fuzz.yaml");
        }
        true
    });
    assert!(finished);
}

#[test]
fn a_thousand_services_load_in_linear_time() {
    let mut text =
        String::from("x-common: &common\n  restart: always\n  labels: {a: b}\nservices:\n");
    for index in 0..1000 {
        text.push_str(&format!(
            "  s{index}:\n    <<: *common\n    image: \"img:{index}\"\n    ports: [\"{index}:80\"]\n    environment:\n      A: 1\n"
        ));
    }
    let started = Instant::now();
    let document = one(&text);
    assert_eq!(document.value["services"].as_object().unwrap().len(), 1000);
    assert_eq!(document.value["services"]["s999"]["restart"], "always");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
