#!/usr/bin/env bash
# Runs the same workloads in jqat (org.jqat.bench.SideBySide) and PyTorch (pytorch_side.py)
# and prints both figures and their ratio per workload. Build first:
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -B -q install -pl bench -am -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
JAR=bench/target/benchmarks.jar
[[ -f "$JAR" ]] || { echo "missing $JAR: build the bench module first" >&2; exit 1; }
# Transparent huge pages for the heap where the kernel gives them on request (madvise mode, as bin/jqat
# does): fewer TLB misses in the memory-bound passes of a training step; PyTorch gets the same through
# glibc.malloc.hugetlb below.
JOPTS=(--add-modules jdk.incubator.vector -Xmx8g -XX:+UseG1GC -cp "$JAR")
if grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
  JOPTS=(-XX:+UseTransparentHugePages "${JOPTS[@]}")
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# jqat's workloads run twice, before and after PyTorch's (below), and each row takes the better run,
# as each PyTorch row takes the best of its runs: on a shared host whose speed drifts for minutes at a
# time, one run against four would mostly measure which side caught a fast phase.
jqat_runs() {
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=1 org.jqat.bench.SideBySide sgemm 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide sgemm 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide fakequant 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide resnet 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide infer 2>/dev/null
  "$JAVA" "${JOPTS[@]}" -Djqat.threads=2 org.jqat.bench.SideBySide br 2>/dev/null
}
jqat_runs | grep '^RESULT' > "$out/jqat_runs"

# Every PyTorch installed here runs the same workloads (Debian's python3-torch 1.13 at
# /usr/bin/python3, a pip-installed 2.x with torch.compile at `python3`; PYTORCH_PYTHONS overrides
# the list); each row pairs jqat with the best of them and names the version that won.
# Each runs twice, with glibc's malloc tuned against page faults and then also asked for transparent
# huge pages (glibc.malloc.hugetlb=1, which helped 1.13's step on this host); the best of both counts.
export OMP_WAIT_POLICY=passive
MALLOC=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824
: > "$out/torch"
seen=""
for py in ${PYTORCH_PYTHONS:-python3 /usr/bin/python3}; do
  version=$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null) || continue
  [[ " $seen " == *" $version "* ]] && continue
  seen="$seen $version"
  for tunables in "$MALLOC" "$MALLOC:glibc.malloc.hugetlb=1"; do
    GLIBC_TUNABLES="$tunables" "$py" bench/pytorch_side.py all 2>/dev/null \
      | awk -v v="$version" '$1 == "RESULT" { print $0, v }' >> "$out/torch"
  done
done
if [[ -z "$seen" ]]; then
  echo "PyTorch not found (apt-get install -y python3-torch, or pip install torch); showing jqat only" >&2
fi
# The best RESULT line per key (an awk expression over the fields): the highest value, or the lowest
# for times (ms); keys in first-seen order. Membership is tested before best[k] is read, since
# reading an awk array element creates it.
best_by() {
  awk "{ k = $1
         if (!(k in best) || (\$4 == \"ms\" ? \$3 < best[k] : \$3 > best[k])) { best[k] = \$3; line[k] = \$0 }
         if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
       END { for (i = 1; i <= n; i++) print line[order[i]] }" "$2"
}
best_by '$2' "$out/torch" > "$out/best"
jqat_runs | grep '^RESULT' >> "$out/jqat_runs"
best_by '$2' "$out/jqat_runs" > "$out/jqat"

printf '%-40s %12s %12s %8s  %s\n' workload jqat pytorch ratio unit
while read -r _ name value unit; do
  tv=$(awk -v n="$name" '$2 == n { print $3 }' "$out/best")
  tver=$(awk -v n="$name" '$2 == n { print $5 }' "$out/best")
  if [[ -n "$tv" ]]; then
    # ratio > 1 means jqat is better (for ms, lower is better, so the ratio is inverted)
    ratio=$(awk -v a="$value" -v b="$tv" -v u="$unit" 'BEGIN { printf "%.2fx", (u == "ms") ? b / a : a / b }')
  else
    tv="-"; ratio="-"
  fi
  printf '%-40s %12s %12s %8s  %s\n' "$name" "$value" "$tv" "$ratio" "$unit${tver:+ (torch $tver)}"
done < "$out/jqat"
# PyTorch-only rows (its separate paths, compile modes and int8 engines, the best per version; the paired rows above
# take the best of all)
best_by '$2 " " $5' "$out/torch" > "$out/perversion"
while read -r _ name value unit version; do
  if ! awk -v n="$name" '$2 == n { found = 1 } END { exit !found }' "$out/jqat"; then
    printf '%-40s %12s %12s %8s  %s\n' "$name" "-" "$value" "-" "$unit (torch $version)"
  fi
done < "$out/perversion"
# Block replacement's cost: its step's time over plain LSQ's, both through the QAT library (the best
# of each over both jqat runs; jqat only).
plain=$(awk '$2 == "resnet20_lsq4_module_step" { print $3 }' "$out/jqat")
br=$(awk '$2 == "resnet20_lsq4_br_step" { print $3 }' "$out/jqat")
if [[ -n "$plain" && -n "$br" ]]; then
  printf '%-40s %12s %12s %8s  %s\n' resnet20_br_cost "$(awk -v p="$plain" -v b="$br" 'BEGIN { printf "%.2fx", p / b }')" - - \
    "time of a block-replacement step over a plain LSQ step (target <= 1.6x)"
fi
# The integer engine against jqat's own FP32 inference (images/s over images/s; the models take turns in
# one JVM, see SideBySide.infer; jqat only).
for b in 1 128; do
  fp=$(awk -v n="resnet20_infer_fp32_b$b" '$2 == n { print $3 }' "$out/jqat")
  for m in int8 w4a4 w2a2; do
    v=$(awk -v n="resnet20_infer_${m}_b$b" '$2 == n { print $3 }' "$out/jqat")
    if [[ -n "$fp" && -n "$v" ]]; then
      if [[ $b == 1 ]]; then target=">= 1.0x"; elif [[ $m == int8 ]]; then target=">= 1.2x"; else target=">= 1.5x"; fi
      printf '%-40s %12s %12s %8s  %s\n' "resnet20_infer_${m}_over_fp32_b$b" "$(awk -v a="$v" -v f="$fp" 'BEGIN { printf "%.2fx", a / f }')" - - \
        "jqat integer over jqat FP32 images/s (target $target)"
    fi
  done
done
