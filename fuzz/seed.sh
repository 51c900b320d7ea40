#!/bin/sh
# Seeds fuzz/corpus/<target>/ (git-ignored) for `cargo +nightly fuzz run <target>`:
# every YAML file of tests/corpus and the hand-made hostile inputs of fuzz/regressions/ for both
# targets, and for `load` one structured input per embedded corpus file (0xFF, then the file's
# number as two bytes, no mutation yet: libFuzzer appends the mutations).
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/yaml corpus/load
find ../tests/corpus -type f \( -name '*.yaml' -o -name '*.yml' \) | sort >corpus/.files
while read -r file; do
    # Flatten the path into a unique file name.
    name=$(printf '%s' "${file#../tests/corpus/}" | tr '/' '_')
    cp "$file" "corpus/yaml/$name"
    cp "$file" "corpus/load/$name"
done <corpus/.files
for file in regressions/*; do
    [ -f "$file" ] || continue
    cp "$file" "corpus/yaml/regression_${file#regressions/}"
    cp "$file" "corpus/load/regression_${file#regressions/}"
done
count=$(wc -l <corpus/.files)
number=0
while [ "$number" -lt "$count" ]; do
    high=$(printf '%03o' $((number / 256)))
    low=$(printf '%03o' $((number % 256)))
    # shellcheck disable=SC2059  # the format holds the octal escapes on purpose
    printf "\\377\\$high\\$low" >"corpus/load/structured_$number"
    number=$((number + 1))
done
rm corpus/.files
echo "seeded $(ls corpus/yaml | wc -l) yaml and $(ls corpus/load | wc -l) load inputs"
