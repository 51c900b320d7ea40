#!/usr/bin/env python3
"""Write the hand-made hostile inputs of fuzz/regressions/: alias bombs, deep nesting, long
chains of extends and dependencies, self-inclusion. Fuzzers rarely reach these by mutation, and
each one is a way a recursive or eager loader overflows its stack, hangs or runs out of memory.

Usage: fuzz/gen-regressions.py   (rewrites the files; the output is deterministic)
Replay: fuzz/check-regressions.sh
"""

import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")
SERVICE = "services:\n  web:\n    image: busybox\n"


def write(name, text):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as file:
        file.write(text)


def alias_bombs():
    # Billion laughs: 9 levels of 9 references, 9^9 (387 million) leaves once expanded.
    levels = ['x-l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        levels.append(f"x-l{level}: &l{level} [{refs}]")
    bomb = "\n".join(levels) + "\n"
    write("alias-bomb-sequence.yaml", bomb + SERVICE)
    # The same bomb reached from a service, so that stages after parsing would walk it.
    write("alias-bomb-in-service.yaml", bomb + SERVICE + "    x-bomb: *l8\n")
    # Mappings of mappings: distinct keys at every level, so merging cannot fold them.
    levels = ["x-m0: &m0 {" + ", ".join(f"k{key}: lol" for key in range(9)) + "}"]
    for level in range(1, 9):
        entries = ", ".join(f"k{key}: *m{level - 1}" for key in range(9))
        levels.append(f"x-m{level}: &m{level} {{{entries}}}")
    write("alias-bomb-mapping.yaml", "\n".join(levels) + "\n" + SERVICE + "    x-bomb: *m8\n")
    # Merge keys fed by the bomb: `<<` copies every key of every merged mapping.
    merged = "\n".join(levels) + "\n" + SERVICE + "    labels:\n      <<: [*m8, *m7, *m6]\n"
    write("alias-bomb-merge-key.yaml", merged)


def deep_nesting():
    depth = 50000
    write("deep-flow-sequence.yaml", SERVICE + "x-deep: " + "[" * depth + "]" * depth + "\n")
    write("deep-flow-mapping.yaml", SERVICE + "x-deep: " + "{a: " * depth + "1" + "}" * depth + "\n")
    write("deep-block-sequence.yaml", SERVICE + "x-deep:\n  " + "- " * depth + "x\n")
    write("deep-unclosed-flow.yaml", SERVICE + "x-deep: " + "[{" * depth + "\n")
    # Just under go-yaml's limit of 10,000 levels, inside a service: Compose accepts the
    # parse, so every later stage (interpolation, merge, normalisation, output) walks it.
    depth = 9990
    write("deep-service-extension.yaml",
          SERVICE + "    x-deep: " + "[" * depth + "1" + "]" * depth + "\n")
    interpolation = "${A:-" * 10000 + "x" + "}" * 10000
    write("deep-interpolation.yaml", SERVICE + f"    environment:\n      A: '{interpolation}'\n")


def chains():
    count = 5000
    lines = ["services:", "  s0:", "    image: busybox"]
    for index in range(1, count):
        lines += [f"  s{index}:", "    extends: s{}".format(index - 1)]
    write("extends-chain.yaml", "\n".join(lines) + "\n")
    lines = ["services:", "  s0:", "    image: busybox"]
    for index in range(1, count):
        lines += [f"  s{index}:", "    image: busybox", f"    depends_on: [s{index - 1}]"]
    write("depends-chain.yaml", "\n".join(lines) + "\n")
    # A cycle as long as the chain: found only after walking all of it.
    lines += ["  s0-cycle:", "    image: busybox", f"    depends_on: [s{count - 1}]"]
    lines[2:3] = ["    image: busybox", "    depends_on: [s0-cycle]"]
    write("depends-long-cycle.yaml", "\n".join(lines) + "\n")
    write("include-self.yaml", "include:\n  - include-self.yaml\n" + SERVICE)
    write("extends-self-file.yaml",
          SERVICE + "    extends:\n      file: extends-self-file.yaml\n      service: web\n")


def main():
    os.makedirs(HERE, exist_ok=True)
    alias_bombs()
    deep_nesting()
    chains()


if __name__ == "__main__":
    main()
