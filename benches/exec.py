#!/usr/bin/env python3
"""Time `exec SERVICE true` with berth and with `docker compose`, side by side on one daemon.

Usage: exec.py [--rounds R] [--berth PATH] [--compose CMD]

One project (`berthbench-exec`, one service running `sleep`) is brought up once by berth. Each
round runs `exec -T s true` once with each tool, in an order alternated every round so a busy
machine hits both alike, and times the whole command from fork to exit. Every run must exit 0.
Prints the median, the 95th percentile and the ratio berth/compose of the medians (the issue's
goal: at most 0.5). The project is taken down at the end, also on failure or Ctrl-C.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import binary  # beside this script

BENCHES = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(BENCHES)
PROJECT = "berthbench-exec"
IMAGE = "berth-test/busybox:local"
COMPOSE = f"""services:
  s:
    image: {IMAGE}
    command: [sleep, "86400"]
    init: true
    stop_grace_period: 1s
"""


def timed(command, cwd):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}): "
                         f"{result.stderr.decode(errors='replace')}")
    return elapsed


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--berth", default=binary.berth())
    parser.add_argument("--compose", default="docker compose")
    args = parser.parse_args()
    subprocess.run(["sh", os.path.join(REPOSITORY, "examples/make-image.sh"), IMAGE],
                   check=True, stdout=subprocess.DEVNULL)
    workdir = tempfile.mkdtemp(prefix="berthbench-exec-")
    with open(os.path.join(workdir, "compose.yaml"), "w", encoding="utf-8") as file:
        file.write(COMPOSE)
    tools = {
        "berth": [args.berth, "-p", PROJECT, "exec", "-T", "s", "true"],
        "compose": args.compose.split() + ["-p", PROJECT, "exec", "-T", "s", "true"],
    }
    times = {tool: [] for tool in tools}
    try:
        subprocess.run([args.berth, "-p", PROJECT, "up", "-d", "--wait"], cwd=workdir,
                       check=True, stderr=subprocess.DEVNULL)
        for tool in tools:  # warm caches once, untimed
            timed(tools[tool], workdir)
        for round_number in range(args.rounds):
            order = list(tools) if round_number % 2 == 0 else list(reversed(tools))
            for tool in order:
                times[tool].append(timed(tools[tool], workdir))
    finally:
        subprocess.run([args.berth, "-p", PROJECT, "down", "-t", "0"], cwd=workdir,
                       check=False, stderr=subprocess.DEVNULL)
    print(f"exec -T s true, {args.rounds} rounds (seconds)")
    print(f"{'tool':<8} {'median':>8} {'p95':>8}")
    for tool, values in times.items():
        print(f"{tool:<8} {statistics.median(values):8.4f} {percentile(values, 0.95):8.4f}")
    ratio = statistics.median(times["berth"]) / statistics.median(times["compose"])
    print(f"berth/compose median ratio: {ratio:.3f} (goal <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
