#!/usr/bin/env python3
"""Time `berth config` against `docker compose config` on the same generated projects.

Usage: compare.py [--rounds R] [--deep] [--timeout S] [--no-linearity] [--no-compose]
                  [--check-output] [--berth PATH] [--workdir DIR]

For each shape (see gen_project.py) both tools run `-p bench -f DIR/compose.yaml config` with
output to /dev/null, in a clean environment (only PATH and HOME, as `env -i` would leave), in
interleaved rounds (compose, berth, compose, berth, ...) so that a busy machine slows both alike.
The table gives the median wall time of each, the ratio compose/berth and the peak resident
memory of each (the largest over the rounds, from the rusage that wait4 returns for the child,
which covers the processes it waited for: for `docker compose`, the CLI and its plugin).

Shapes compared:
  layered 10, layered 200, flat 1,000, chain 100 (14 layers)
  --deep: chain 130 (18 layers), one round only, Compose stopped after --timeout seconds.
Linearity (berth alone): flat 1,000 / 2,000 / 4,000 and chains of 100 / 200 / 400 / 1,000,
with the time per service and per dependency edge.

Goals (the issue): berth at most 1/20 of Compose's time on 1,000 flat services, at most 1/50 on
the 100-service chain, and a cost linear in services and edges.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCHES = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(BENCHES)
sys.path.insert(0, BENCHES)

import binary  # noqa: E402  (beside this script, as the generator)
import gen_project  # noqa: E402  (the generator lives beside this script)

# (label, number of services, gen_project shape flag)
COMPARED = [
    ("layered", 10, None),
    ("layered", 200, None),
    ("flat", 1000, "--flat"),
    ("chain", 100, "--chain"),
]
DEEP = ("chain", 130, "--chain")
LINEARITY = [
    ("flat", 1000, "--flat"),
    ("flat", 2000, "--flat"),
    ("flat", 4000, "--flat"),
    ("chain", 100, "--chain"),
    ("chain", 200, "--chain"),
    ("chain", 400, "--chain"),
    ("chain", 1000, "--chain"),
]


class Run:
    """One timed run: wall seconds, peak resident memory in KiB, and how it ended."""

    def __init__(self, seconds, peak_kib, returncode, timed_out):
        self.seconds = seconds
        self.peak_kib = peak_kib
        self.returncode = returncode
        self.timed_out = timed_out


def clean_environment():
    """What `env -i PATH="$PATH" HOME="$HOME"` leaves."""
    return {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}


def timed(command, timeout, stdout=subprocess.DEVNULL):
    """Run `command`, return a Run; kill its whole process group after `timeout` seconds."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=clean_environment(),
        start_new_session=True,
    )
    expired = threading.Event()

    def kill():
        expired.set()
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    # Read stderr before reaping so a chatty child cannot block on a full pipe.
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    run = Run(seconds, usage.ru_maxrss, process.returncode, expired.is_set())
    if run.returncode != 0 and not run.timed_out:
        message = errors.decode(errors="replace").strip()
        sys.exit(f"{' '.join(command)} failed with {run.returncode}: {message}")
    return run


def berth_binary(path):
    """The release binary, built if missing."""
    if path:
        return path
    path = binary.berth()
    if not os.path.exists(path):
        print(f"building {os.path.relpath(path, REPOSITORY)} ...", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--bin", "berth"], cwd=REPOSITORY,
                       check=True)
    return path


def generate(workdir, label, count, flag):
    """Write the project once; return (path of compose.yaml, number of dependency edges)."""
    directory = os.path.join(workdir, f"{label}-{count}")
    shape = {"--flat": "flat", "--chain": "chain", None: "stacks"}[flag]
    graph = gen_project.dependencies(count, shape)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "compose.yaml")
    with open(path, "w", encoding="utf-8") as file:
        file.write(gen_project.render(graph, health=False))
    edges = sum(len(deps) for _, deps in graph.values())
    return path, edges, gen_project.depth(graph)


def config_command(tool, file):
    """The `config` invocation of a tool (a list of program and arguments)."""
    return [*tool, "-p", "bench", "-f", file, "config"]


def median(runs):
    return statistics.median(run.seconds for run in runs)


def peak_mib(runs):
    return max(run.peak_kib for run in runs) / 1024


def check_output(compose, berth, file):
    """Whether both tools print the same JSON for the file (parsed, so key order is ignored)."""
    import json

    outputs = []
    for tool in (compose, berth):
        result = subprocess.run([*tool, "-p", "bench", "-f", file, "config", "--format", "json"],
                                capture_output=True, env=clean_environment(), check=False)
        outputs.append(json.loads(result.stdout) if result.returncode == 0 else None)
    return "same" if outputs[0] is not None and outputs[0] == outputs[1] else "DIFFERENT"


def compare(arguments, berth, compose, workdir):
    rows = []
    shapes = [(shape, arguments.rounds) for shape in COMPARED]
    if arguments.deep:
        shapes.append((DEEP, 1))
    for (label, count, flag), rounds in shapes:
        file, _, depth = generate(workdir, label, count, flag)
        compose_runs, berth_runs = [], []
        # One untimed run of each warms the page cache and the binaries.
        if rounds > 1:
            timed(config_command(compose, file), arguments.timeout)
            timed(config_command(berth, file), arguments.timeout)
        # The order alternates every round, as in lifecycle.py: whichever tool runs second
        # inherits the machine the first one leaves (its exit's page freeing, a busier cache).
        for round_number in range(rounds):
            if round_number % 2 == 0:
                compose_runs.append(timed(config_command(compose, file), arguments.timeout))
                berth_runs.append(timed(config_command(berth, file), arguments.timeout))
            else:
                berth_runs.append(timed(config_command(berth, file), arguments.timeout))
                compose_runs.append(timed(config_command(compose, file), arguments.timeout))
        timed_out = any(run.timed_out for run in compose_runs)
        compose_seconds = median(compose_runs)
        berth_seconds = median(berth_runs)
        row = {
            "shape": f"{label} (depth {depth})",
            "n": count,
            "rounds": rounds,
            "compose": f">{arguments.timeout:.0f}" if timed_out else f"{compose_seconds:.3f}",
            "berth": f"{berth_seconds:.4f}",
            "ratio": (f">{arguments.timeout / berth_seconds:.0f}" if timed_out
                      else f"{compose_seconds / berth_seconds:.0f}"),
            "compose_mib": "-" if timed_out else f"{peak_mib(compose_runs):.0f}",
            "berth_mib": f"{peak_mib(berth_runs):.1f}",
        }
        if arguments.check_output and not timed_out:
            row["output"] = check_output(compose, berth, file)
        rows.append(row)
        print_row(row, arguments.check_output, first=len(rows) == 1)
    return rows


def print_row(row, with_output, first):
    if first:
        header = (f"{'shape':<18} {'N':>5} {'rounds':>6} {'compose s':>10} {'berth s':>9} "
                  f"{'ratio':>7} {'compose MiB':>11} {'berth MiB':>9}")
        print(header + ("  output" if with_output else ""))
    line = (f"{row['shape']:<18} {row['n']:>5} {row['rounds']:>6} {row['compose']:>10} "
            f"{row['berth']:>9} {row['ratio']:>7} {row['compose_mib']:>11} {row['berth_mib']:>9}")
    print(line + (f"  {row['output']}" if with_output else ""), flush=True)


def linearity(arguments, berth, workdir):
    print()
    print(f"{'berth alone':<18} {'N':>5} {'edges':>6} {'median s':>9} {'us/service':>10} "
          f"{'us/(svc+edge)':>13} {'MiB':>6}")
    for label, count, flag in LINEARITY:
        file, edges, depth = generate(workdir, label, count, flag)
        timed(config_command(berth, file), arguments.timeout)
        runs = [timed(config_command(berth, file), arguments.timeout)
                for _ in range(arguments.rounds)]
        seconds = median(runs)
        print(f"{label + f' (depth {depth})':<18} {count:>5} {edges:>6} {seconds:>9.4f} "
              f"{seconds / count * 1e6:>10.1f} {seconds / (count + edges) * 1e6:>13.1f} "
              f"{peak_mib(runs):>6.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per shape (5)")
    parser.add_argument("--deep", action="store_true",
                        help="also the 130-service chain (Compose: about 100 s, one round)")
    parser.add_argument("--timeout", type=float, default=150.0,
                        help="seconds after which a run is stopped (150)")
    parser.add_argument("--no-linearity", action="store_true", help="skip berth's own scaling")
    parser.add_argument("--no-compose", action="store_true",
                        help="skip the comparison with Compose (linearity only)")
    parser.add_argument("--check-output", action="store_true",
                        help="also check that both print the same `config --format json`")
    parser.add_argument("--berth",
                        help="berth binary (default: target/<host tuple>/release/berth, built)")
    parser.add_argument("--compose", default="docker compose",
                        help="Compose command line ('docker compose')")
    parser.add_argument("--workdir", help="where projects are generated (default: a temp dir)")
    arguments = parser.parse_args()

    berth = [berth_binary(arguments.berth)]
    compose = arguments.compose.split()
    workdir = arguments.workdir or tempfile.mkdtemp(prefix="berth-bench-")
    try:
        print(f"berth: {berth[0]}; compose: {' '.join(compose)}; projects in {workdir}")
        if not arguments.no_compose:
            compare(arguments, berth, compose, workdir)
        if not arguments.no_linearity:
            linearity(arguments, berth, workdir)
    finally:
        if not arguments.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
