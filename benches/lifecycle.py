#!/usr/bin/env python3
"""Time berth's lifecycle commands against `docker compose` and against the Engine API floor.

Usage: lifecycle.py [--rounds R] [--repeat K] [--sizes 10,50] [--only up,noop,ps,ls,down,wait]
                    [--wait-size 10] [--no-compose] [--berth PATH] [--compose CMD]
                    [--timeout S] [--json FILE] [--workdir DIR]

Projects: benches/gen_project.py's layered shape (stacks of 50 services, layers of 5-10, each
service depending on 2 or 3 of the layer below; 10 services: depth 2, 50: depth 7), one per size,
and for `wait` the same shape with healthchecks and `condition: service_healthy`.

Each round, each tool runs one whole cycle on its own project (`berthbench-life-<tool>-<size>`),
in an order rotated every round so that a busy machine hits them alike. The steps that change
nothing (`noop`, `ps`, `ls`) run `--repeat` times in a row within each cycle, each run one sample:
they take milliseconds, and one sample per round is at the mercy of one scheduler hiccup.

  up     `up -d` on nothing                   checked: every container running afterwards
  noop   `up -d` again, nothing changed       checked: no container recreated
  ps     `ps`
  ls     `ls`
  down   `down`                               checked: no container left
  wait   `up -d --wait` on the health project checked: every container healthy; then `down`,
         untimed

The tools: `docker compose` (the oracle), berth (`--berth`, default target/<host tuple>/release/berth) and the
floor (benches/floor.py: the same containers created, started, stopped and removed through the
Engine API with the most parallelism the dependency graph allows, timed in process from the first
request to the last answer). Between cycles every project is swept by label and name, so each
`up` starts from nothing (volumes included). Steps that `--only` leaves out but a later step needs
(an `up` before `ps`, a `down` after it) still run, untimed.

A tool that is missing or fails a step is reported, not fatal: if berth's `up` fails, its project
is brought up by Compose instead (untimed) so that berth's `ps`, `ls` and `down` are still
measured; those cells are marked with `c`. The table gives medians in seconds, the ratios
tool/floor and compose/berth, and the peak resident memory of each CLI (largest over the rounds,
from the rusage wait4 returns: for `docker compose`, its CLI and plugin).

Everything created is removed at the end, on failure and on Ctrl-C (`down -v` by the tool that
created it, then the label- and name-based sweep).
"""

import argparse
import json
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

import binary  # noqa: E402  (beside this script)
import floor  # noqa: E402
import gen_project  # noqa: E402

OPERATIONS = ("up", "noop", "ps", "ls", "down", "wait")
CYCLE = ("up", "noop", "ps", "ls", "down")
LABELS = {"up": "up -d", "noop": "no-op up -d", "ps": "ps", "ls": "ls", "down": "down",
          "wait": "up -d --wait"}
PREFIX = "berthbench-life"

# The command running now, killed (whole process group) on Ctrl-C before the cleanup.
CURRENT = {"process": None}


class Outcome:
    """One timed step: seconds, peak resident KiB (None for the floor), or why it failed."""

    def __init__(self, seconds=None, peak_kib=None, error=None, borrowed=False):
        self.seconds = seconds
        self.peak_kib = peak_kib
        self.error = error
        self.borrowed = borrowed  # the project was brought up by Compose, not by this tool


def child_environment():
    """PATH and HOME (as `env -i` leaves them) plus what says which daemon to talk to."""
    keys = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_CERT_PATH",
            "DOCKER_TLS_VERIFY")
    return {key: os.environ[key] for key in keys if key in os.environ}


def run_command(command, timeout):
    """Run `command`; an Outcome with wall time and peak memory, or the error it ended with."""
    start = time.perf_counter()
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, env=child_environment(),
                                   start_new_session=True)
    except OSError as error:
        return Outcome(error=str(error))
    CURRENT["process"] = process
    expired = threading.Event()

    def kill():
        expired.set()
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        # Read stderr before reaping so that a chatty child cannot block on a full pipe.
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    seconds = time.perf_counter() - start
    CURRENT["process"] = None
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if expired.is_set():
        return Outcome(error=f"timed out after {timeout:.0f} s")
    if process.returncode != 0:
        lines = errors.decode(errors="replace").strip().splitlines()
        return Outcome(error=f"exit {process.returncode}: {lines[0] if lines else ''}")
    return Outcome(seconds, usage.ru_maxrss)


def kill_current():
    process = CURRENT["process"]
    if process is not None and process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


class CliTool:
    """`docker compose` or berth: every step is one command line."""

    def __init__(self, name, argv, timeout):
        self.name = name
        self.argv = argv
        self.timeout = timeout
        self.missing = None

    def step(self, operation, project, file, services):
        base = [*self.argv, "-p", project, "-f", file]
        command = {
            "up": [*base, "up", "-d"],
            "noop": [*base, "up", "-d"],
            "wait": [*base, "up", "-d", "--wait"],
            "ps": [*base, "ps"],
            "ls": [*self.argv, "ls"],
            "down": [*base, "down"],
        }[operation]
        return run_command(command, self.timeout)

    def teardown(self, project, file):
        """`down -v --remove-orphans`, untimed, whatever state the project is in."""
        run_command([*self.argv, "-p", project, "-f", file, "down", "-v", "--remove-orphans",
                     "-t", "1"], min(self.timeout, 120))


class FloorTool:
    """The Engine API floor, in process."""

    name = "floor"
    missing = None

    def step(self, operation, project, file, services):
        try:
            if operation in ("up", "wait"):
                result = floor.up(services, project, wait=operation == "wait")
            else:
                result = getattr(floor, operation)(services, project)
        except (RuntimeError, OSError) as error:
            return Outcome(error=str(error).splitlines()[0])
        return Outcome(result["seconds"])

    def teardown(self, project, file):
        pass


def ensure_image():
    """busybox:local, tagged from berth-example/busybox:local or made by examples/make-image.sh."""
    def present(tag):
        return subprocess.run(["docker", "image", "inspect", tag], capture_output=True,
                              check=False).returncode == 0

    if present("busybox:local"):
        return
    if not present("berth-example/busybox:local"):
        subprocess.run(["sh", os.path.join(REPOSITORY, "examples", "make-image.sh")], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["docker", "tag", "berth-example/busybox:local", "busybox:local"], check=True)


def write_project(workdir, count, health):
    """Write the project; return (compose file, services as the floor sees them, depth)."""
    directory = os.path.join(workdir, f"{'health' if health else 'layered'}-{count}")
    os.makedirs(directory, exist_ok=True)
    graph = gen_project.dependencies(count, "stacks")
    file = os.path.join(directory, "compose.yaml")
    with open(file, "w", encoding="utf-8") as handle:
        handle.write(gen_project.render(graph, health))
    return file, floor.project_services(count, health), gen_project.depth(graph)


def project_name(tool, count, health):
    return f"{PREFIX}-{tool.name}-{'h' if health else ''}{count}"


def check(operation, project, services, before):
    """None if the state after `operation` is what it should be, else what is wrong."""
    after = floor.states(project)
    count = len(services)
    if operation == "up":
        running = sum(1 for _, state, _ in after.values() if state == "running")
        return None if running == count else f"{running}/{count} running after up"
    if operation == "wait":
        healthy = sum(1 for _, state, status in after.values()
                      if state == "running" and "(healthy)" in status)
        return None if healthy == count else f"{healthy}/{count} healthy after up --wait"
    if operation == "noop":
        if {name: value[0] for name, value in after.items()} != before:
            return "containers recreated by a no-op up"
        return None
    if operation == "down":
        return None if not after else f"{len(after)} containers left after down"
    return None


REPEATABLE = ("noop", "ps", "ls")


def cycle(tool, operations, scenario, compose, results, repeat=1):
    """One tool's cycle on its project; appends an Outcome per timed run to `results` (`repeat`
    of them for the steps that change nothing), then sweeps the project away."""
    file, services, health = scenario["file"], scenario["services"], scenario["health"]
    project = project_name(tool, len(services), health)
    if health:
        steps = ["wait", "down"]
        timed = {"wait"} & operations
    else:
        steps = list(CYCLE)
        timed = set(CYCLE) & operations
        # Only what is timed, with the `up` it needs first and the `down` after it.
        steps = [run for step in steps if step in timed or step in ("up", "down")
                 for run in [step] * (repeat if step in REPEATABLE else 1)]
    borrowed = False
    failed_up = False
    for step in steps:
        if (failed_up and step != "down") or (borrowed and step == "noop"):
            # Without this tool's own `up` there is nothing for it to do (or, for the no-op,
            # nothing that would be its own no-op).
            if step in timed:
                results[step].append(Outcome(error=f"{tool.name} up failed"))
            continue
        before = ({name: value[0] for name, value in floor.states(project).items()}
                  if step == "noop" else None)
        outcome = tool.step(step, project, file, services)
        if outcome.error is None:
            problem = check(step, project, services, before)
            if problem:
                outcome = Outcome(error=problem)
        outcome.borrowed = borrowed
        if step in timed:
            results[step].append(outcome)
        if outcome.error is not None and step in ("up", "wait"):
            floor.clean(project)
            # Keep measuring `ps`, `ls` and `down` on a project Compose brings up, if it can.
            if compose is not None and compose is not tool and not health:
                retry = compose.step("up", project, file, services)
                if retry.error is None and check("up", project, services, None) is None:
                    borrowed = True
                    continue
            failed_up = True
    # The timed `down` leaves the volumes, and a failed step may leave anything.
    floor.clean(project)


def describe(outcomes):
    """(median seconds or None, peak MiB or None, borrowed, error)."""
    good = [outcome for outcome in outcomes if outcome.error is None]
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    if not good:
        return None, None, False, errors[0] if errors else "not run"
    peaks = [outcome.peak_kib for outcome in good if outcome.peak_kib]
    return (statistics.median(outcome.seconds for outcome in good),
            max(peaks) / 1024 if peaks else None,
            any(outcome.borrowed for outcome in good),
            f"{len(errors)} of {len(outcomes)} failed: {errors[0]}" if errors else None)


def seconds_text(value, borrowed=False):
    if value is None:
        return "-"
    text = f"{value:.3f}" if value >= 0.1 else f"{value:.4f}"
    return text + ("c" if borrowed else "")


def ratio_text(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return "-"
    value = numerator / denominator
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


HEADER = (f"{'project':<22} {'operation':<13} {'floor s':>8} {'compose s':>10} {'berth s':>9} "
          f"{'compose/floor':>13} {'berth/floor':>11} {'compose/berth':>13} "
          f"{'compose MiB':>11} {'berth MiB':>9}")


def report(scenario, operation, per_tool, notes):
    """Print one table row; return it as a dictionary for --json."""
    medians = {}
    row = {"project": scenario["label"], "operation": LABELS[operation]}
    for name, outcomes in per_tool.items():
        seconds, mib, borrowed, error = describe(outcomes)
        medians[name] = seconds
        row[name] = {"median_s": seconds, "peak_mib": mib, "borrowed": borrowed, "error": error,
                     "runs": [outcome.seconds for outcome in outcomes]}
        if error:
            notes.append(f"{name} {LABELS[operation]} on {scenario['label']}: {error}")

    def cell(name):
        if name not in per_tool:
            return "missing" if name == "berth" else "-"
        if medians.get(name) is None:
            return "fail"
        return seconds_text(medians[name], row[name]["borrowed"])

    def mib(name):
        value = row.get(name, {}).get("peak_mib")
        return f"{value:.0f}" if value is not None else "-"

    print(f"{scenario['label']:<22} {LABELS[operation]:<13} {cell('floor'):>8} "
          f"{cell('compose'):>10} {cell('berth'):>9} "
          f"{ratio_text(medians.get('compose'), medians.get('floor')):>13} "
          f"{ratio_text(medians.get('berth'), medians.get('floor')):>11} "
          f"{ratio_text(medians.get('compose'), medians.get('berth')):>13} "
          f"{mib('compose'):>11} {mib('berth'):>9}", flush=True)
    return row


def run_scenario(scenario, tools, compose, operations, rounds, notes, repeat=1):
    timed = [operation for operation in OPERATIONS if operation in operations
             and (operation == "wait") == scenario["health"]]
    results = {tool.name: {operation: [] for operation in timed} for tool in tools}
    for round_number in range(rounds):
        shift = round_number % len(tools)
        order = tools[shift:] + tools[:shift]
        for tool in order:
            start = time.perf_counter()
            cycle(tool, operations, scenario, compose, results[tool.name], repeat)
            figures = " ".join(
                f"{operation}=" + (seconds_text(outcomes[-1].seconds) if outcomes
                                   and outcomes[-1].error is None else "fail")
                for operation, outcomes in results[tool.name].items())
            print(f"  [{scenario['label']} round {round_number + 1}/{rounds}] {tool.name:<7} "
                  f"{figures} ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    return [report(scenario, operation,
                   {tool.name: results[tool.name][operation] for tool in tools}, notes)
            for operation in timed]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of noop, ps and ls per cycle, each a sample (5)")
    parser.add_argument("--sizes", default="10,50", help="project sizes for up/noop/ps/ls/down")
    parser.add_argument("--wait-size", type=int, default=10, help="size of the `wait` project")
    parser.add_argument("--only", default=",".join(OPERATIONS),
                        help="operations to time, among " + ",".join(OPERATIONS))
    parser.add_argument("--no-compose", action="store_true", help="berth and the floor only")
    parser.add_argument("--berth", default=binary.berth(),
                        help="berth binary (default: target/<host tuple>/release/berth)")
    parser.add_argument("--compose", default="docker compose", help="Compose command line")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds after which one command is killed (300)")
    parser.add_argument("--json", help="also write every run and median to this file")
    parser.add_argument("--workdir", help="where projects are written (default: a temp dir)")
    arguments = parser.parse_args()
    operations = {operation.strip() for operation in arguments.only.split(",") if operation}
    unknown = operations - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown operations in --only: {', '.join(sorted(unknown))}")
    sizes = [int(size) for size in arguments.sizes.split(",") if size]

    compose = None if arguments.no_compose else CliTool(
        "compose", arguments.compose.split(), arguments.timeout)
    tools = [FloorTool()] + ([compose] if compose else [])
    berth_note = None
    if os.access(arguments.berth, os.X_OK):
        tools.append(CliTool("berth", [arguments.berth], arguments.timeout))
    else:
        berth_note = (f"berth: {arguments.berth} not found (cargo build --release): "
                      "reported as missing")

    ensure_image()
    workdir = arguments.workdir or tempfile.mkdtemp(prefix="berth-lifebench-")
    scenarios = []
    if set(CYCLE) & operations:
        for size in sizes:
            file, services, depth = write_project(workdir, size, health=False)
            scenarios.append({"label": f"layered {size} (depth {depth})", "file": file,
                              "services": services, "health": False})
    if "wait" in operations:
        file, services, depth = write_project(workdir, arguments.wait_size, health=True)
        scenarios.append({"label": f"healthy {arguments.wait_size} (depth {depth})",
                          "file": file, "services": services, "health": True})
    projects = [(tool, project_name(tool, len(scenario["services"]), scenario["health"]),
                 scenario["file"]) for scenario in scenarios for tool in tools]

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started in the background
    notes = [berth_note] if berth_note else []
    rows = []
    interrupted = False
    try:
        # Leftovers of an earlier, killed run would make `up` fail or `ls` slower.
        for _, project, _ in projects:
            floor.clean(project)
        # Warm the binaries' pages: the first run of a cold 76 MB plugin is not what we measure.
        for tool in tools:
            if isinstance(tool, CliTool):
                run_command([*tool.argv, "version"], arguments.timeout)
        print(f"floor: benches/floor.py (in process); compose: "
              f"{'-' if compose is None else arguments.compose}; berth: "
              f"{arguments.berth if berth_note is None else 'missing'}; rounds: "
              f"{arguments.rounds}, {arguments.repeat} runs of noop, ps and ls in each; "
              f"projects in {workdir}", flush=True)
        print(HEADER, flush=True)
        for scenario in scenarios:
            rows.extend(run_scenario(scenario, tools, compose, operations, arguments.rounds,
                                     notes, max(1, arguments.repeat)))
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: cleaning up", file=sys.stderr, flush=True)
    finally:
        kill_current()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        for tool, project, file in projects:
            if floor.states(project):
                tool.teardown(project, file)
            floor.clean(project)
        if not arguments.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if any(row.get("berth", {}).get("borrowed") for row in rows):
        notes.append("c: berth's `up` failed, so Compose brought its project up for that cycle")
    for note in notes:
        print(f"note: {note}")
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as handle:
            json.dump({"rounds": arguments.rounds, "repeat": arguments.repeat, "rows": rows,
                       "notes": notes}, handle,
                      indent=1)
    if interrupted:
        sys.exit(130)


if __name__ == "__main__":
    main()
