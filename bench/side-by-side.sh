#!/usr/bin/env bash
# Runs the same workloads in jqat (org.jqat.bench.SideBySide) and PyTorch (pytorch_side.py)
# and prints both figures and their ratio per workload. Build first:
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -B -q install -pl bench -am -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
JAR=bench/target/benchmarks.jar
[[ -f "$JAR" ]] || { echo "missing $JAR: build the bench module first" >&2; exit 1; }
JOPTS=(--add-modules jdk.incubator.vector -Xmx8g -XX:+UseG1GC -cp "$JAR")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

{
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=1 org.jqat.bench.SideBySide sgemm 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide sgemm 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide fakequant 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide resnet 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide infer 2>/dev/null
} | grep '^RESULT' > "$out/jqat"

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  export OMP_WAIT_POLICY=passive
  export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824
  /usr/bin/python3 bench/pytorch_side.py all 2>/dev/null | grep '^RESULT' > "$out/torch"
else
  echo "PyTorch not found for /usr/bin/python3 (apt-get install -y python3-torch); showing jqat only" >&2
  : > "$out/torch"
fi

printf '%-40s %12s %12s %8s  %s\n' workload jqat pytorch ratio unit
while read -r _ name value unit; do
  tv=$(awk -v n="$name" '$2 == n { print $3 }' "$out/torch")
  if [[ -n "$tv" ]]; then
    # ratio > 1 means jqat is better (for ms, lower is better, so the ratio is inverted)
    ratio=$(awk -v a="$value" -v b="$tv" -v u="$unit" 'BEGIN { printf "%.2fx", (u == "ms") ? b / a : a / b }')
  else
    tv="-"; ratio="-"
  fi
  printf '%-40s %12s %12s %8s  %s\n' "$name" "$value" "$tv" "$ratio" "$unit"
done < "$out/jqat"
# PyTorch-only rows (its separate inference paths and int8 engines; the paired rows above take the best of them)
while read -r _ name value unit; do
  if ! awk -v n="$name" '$2 == n { found = 1 } END { exit !found }' "$out/jqat"; then
    printf '%-40s %12s %12s %8s  %s\n' "$name" "-" "$value" "-" "$unit"
  fi
done < "$out/torch"
