#!/usr/bin/env python3
"""Regenerates tests/fixtures/model/ from the Docker Compose oracle.

For every successful case of tests/corpus/compose-cases and every app of
tests/corpus/awesome-compose, for every tiny compose file under
tests/fixtures/model/scalars/*.yaml and for compose-go's full example, it records what `docker compose` prints for
`config --format json`, `config` (YAML, stored as JSON) and `config --hash '*'`.
Outputs hold absolute paths of the corpus folders, so run it from the checkout
whose tests will read them: `python3 scripts/model-fixtures.py`.
"""
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "model")


def compose(cwd, args, env, extra):
    full_env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
    full_env.update(env)
    result = subprocess.run(
        ["docker", "compose", *args, *extra],
        cwd=cwd, env=full_env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        return None, result.stderr.strip()
    return result.stdout, None


def record(cwd, args, env, flags=()):
    json_out, error = compose(cwd, args, env, ["config", *flags, "--format", "json"])
    if json_out is None:
        return {"error": error}
    yaml_out, _ = compose(cwd, args, env, ["config", *flags])
    hash_out, _ = compose(cwd, args, env, ["config", *flags, "--hash", "*"])
    # `config --hash` hashes the project before env_file resolution, so keep that form too.
    unresolved_out, _ = compose(
        cwd, args, env, ["config", *flags, "--no-env-resolution", "--format", "json"]
    )
    hashes = {}
    for line in (hash_out or "").splitlines():
        service, digest = line.split(" ", 1)
        hashes[service] = digest
    data = {
        "config": json.loads(json_out),
        "yaml": yaml.safe_load(yaml_out) if yaml_out is not None else None,
        "hashes": hashes,
    }
    unresolved = json.loads(unresolved_out) if unresolved_out is not None else None
    if unresolved is not None and unresolved != data["config"]:
        data["unresolved"] = unresolved
    return data


def write(group, name, data):
    os.makedirs(os.path.join(OUT, group), exist_ok=True)
    with open(os.path.join(OUT, group, name + ".json"), "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    cases_dir = os.path.join(ROOT, "tests", "corpus", "compose-cases")
    for case in json.load(open(os.path.join(cases_dir, "cases.json"))):
        if case["expect"] != "ok":
            continue
        cwd = os.path.join(cases_dir, case["name"], case.get("cwd", "."))
        write("compose-cases", case["name"], record(cwd, case["args"], case.get("env", {})))
    apps_dir = os.path.join(ROOT, "tests", "corpus", "awesome-compose")
    for app in json.load(open(os.path.join(apps_dir, "cases.json"))):
        cwd = os.path.join(apps_dir, app["name"])
        write("awesome-compose", app["name"], record(cwd, app["args"], app.get("env", {})))
    scalars = os.path.join(OUT, "scalars")
    for file in sorted(os.listdir(scalars)):
        if file.endswith(".yaml"):
            data = record(scalars, ["-p", "scalars", "--profile", "*", "-f", file], {})
            write("scalars", file[: -len(".yaml")], data)
    # compose-go's full example is inconsistent on purpose (network_mode with networks).
    full = os.path.join(OUT, "full-example")
    data = record(full, ["-f", "full-example.yml"], {}, ["--no-consistency"])
    write("full-example", "full-example", data)
    print("fixtures written to", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
