#!/usr/bin/env bash
# The whole GPU check in one command: every CUDA test suite, the benchmarks, one report file.
#
#   kernels-cuda/gpu-check.sh --prepare [--jlink]
#                                         on a build machine (JDK 25 + Maven, Maven Central reachable):
#                                         builds the modules and gathers everything the run needs
#                                         (jars, test classes, the compiled test runner) into
#                                         kernels-cuda/target/gpu-check/bundle; --jlink also makes a
#                                         minimal Java runtime in kernels-cuda/target/gpu-check/jdk
#                                         for a GPU machine without one. Carry kernels-cuda/target/gpu-check.
#   kernels-cuda/gpu-check.sh [OUT_DIR]   on the GPU machine: runs everything and writes
#                                         OUT_DIR/gpu-check-report.md (and OUT_DIR/logs/*); OUT_DIR
#                                         defaults to $OUT, else kernels-cuda/target/gpu-check/out
#
# The run needs neither Maven nor network, only a Java 25 runtime with jdk.incubator.vector: the
# first of $JQAT_JAVA, kernels-cuda/target/gpu-check/jdk (--jlink), ./jdk or ../jdk (a jlink image
# carried beside the repository), $JAVA_HOME/bin/java, java on the PATH. Without
# a bundle it prepares one first (which needs Maven). Without a GPU it still runs, says so at the
# top of the report, and the GPU tests are reported as skipped with the backend's reason.
# Exit status: 0 all ran and passed (on a GPU), 1 a test or step failed, 2 no GPU here, 3 setup.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
WORK="$HERE/target/gpu-check"
BUNDLE="$WORK/bundle"
# Seconds per phase: the whole run must fit in a 10-minute device slot with room to spare.
T_PTX=120
T_CUDA_TESTS=300
T_QAT_TESTS=200
T_TORCH=120
# What the test suites need from the JDK (jdeps over the bundle), for --prepare --jlink.
JLINK_MODULES=java.base,java.logging,java.net.http,java.sql,jdk.management,jdk.incubator.vector,jdk.unsupported

KERNEL_TESTS=(org.jqat.kernels.cuda.LaunchSignatureTest org.jqat.kernels.cuda.OpCodesTest
    org.jqat.kernels.cuda.PtxResourcesTest org.jqat.kernels.cuda.DeviceMemoryTest
    org.jqat.kernels.cuda.CudaKernelsTest org.jqat.kernels.cuda.CudaGoldenTest
    org.jqat.kernels.cuda.CudaAllocatorTest org.jqat.kernels.cuda.CudaResNetTrainingTest
    org.jqat.kernels.cuda.CudaBenchTest org.jqat.kernels.cuda.CudaResNetThroughputTest
    org.jqat.kernels.cuda.NoGpuTest)
QAT_TESTS=(org.jqat.qat.train.TrainerDeviceTest org.jqat.qat.train.HostSyncTest org.jqat.qat.cli.DeviceOptionTest)

die() { echo "gpu-check: $*" >&2; exit 3; }

# ---- prepare (build machine) ------------------------------------------------------------------

prepare() {
    local mvn=mvn
    command -v mvn > /dev/null || mvn="$ROOT/mvnw"
    if [[ -z "${JAVA_HOME:-}" && -f "$ROOT/bin/find-jdk25.sh" ]]; then
        # shellcheck source=/dev/null
        source "$ROOT/bin/find-jdk25.sh"
    fi
    echo "gpu-check: building (mvn package -DskipTests) and resolving the test class paths ..."
    # One reactor build, so sibling modules come from this checkout, never from ~/.m2.
    (cd "$ROOT" && "$mvn" -B -q package dependency:build-classpath -DskipTests -pl kernels-cuda,qat -am \
        -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath) || die "build failed"
    (cd "$ROOT" && "$mvn" -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-launcher:1.14.1 \
        -DoutputDirectory="$WORK/launcher") || die "cannot fetch junit-platform-launcher (Maven Central)"
    rm -rf "$BUNDLE"
    mkdir -p "$BUNDLE/lib" "$BUNDLE/classes"
    local module entry name
    for module in kernels-cuda qat; do
        : > "$BUNDLE/$module.cp"
        # the module's own classes first, then its test dependencies in Maven's order
        for entry in "$ROOT/$module/target/test-classes" "$ROOT/$module/target/classes" \
                     $(tr ':' ' ' < "$ROOT/$module/target/test.classpath") "$WORK"/launcher/*.jar; do
            if [[ -d "$entry" ]]; then
                name="classes/$(basename "$(dirname "$(dirname "$entry")")")-$(basename "$entry")"
                [[ -d "$BUNDLE/$name" ]] || cp -r "$entry" "$BUNDLE/$name"
            else
                name="lib/$(basename "$entry")"
                cp -n "$entry" "$BUNDLE/lib/"
            fi
            echo "$name" >> "$BUNDLE/$module.cp"
        done
    done
    # The runner is compiled here, so the GPU machine's runtime needs no jdk.compiler.
    mkdir -p "$BUNDLE/runner"
    "${JAVA_HOME:+$JAVA_HOME/bin/}javac" -d "$BUNDLE/runner" -cp "$(classpath kernels-cuda)" "$HERE/gpu-check/RunTests.java" \
        || die "cannot compile gpu-check/RunTests.java"
    (cd "$ROOT" && git rev-parse --short HEAD 2> /dev/null || echo unknown) > "$BUNDLE/revision"
    echo "gpu-check: bundle ready in $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"
    if [[ "${1:-}" == "--jlink" ]]; then
        # A Java runtime for a machine without one: only the modules the suites use.
        rm -rf "$WORK/jdk"
        "${JAVA_HOME:+$JAVA_HOME/bin/}jlink" --add-modules "$JLINK_MODULES" --strip-debug --no-header-files \
            --no-man-pages --compress=zip-9 --output "$WORK/jdk" || die "jlink failed"
        command -v strip > /dev/null && strip --strip-unneeded "$WORK/jdk/lib/server/libjvm.so"
        echo "gpu-check: Java runtime in $WORK/jdk ($(du -sh "$WORK/jdk" | cut -f1))"
    fi
    echo "gpu-check: carry kernels-cuda/target/gpu-check ($(du -sh "$WORK" | cut -f1)) to the GPU machine"
}

# ---- run (GPU machine) ------------------------------------------------------------------------

find_java() {
    local c
    for c in "${JQAT_JAVA:-}" "$WORK/jdk/bin/java" "$ROOT/jdk/bin/java" "$ROOT/../jdk/bin/java" "${JAVA_HOME:+$JAVA_HOME/bin/java}" \
             "$(command -v java 2> /dev/null || true)"; do
        [[ -n "$c" && -x "$c" ]] || continue
        if "$c" --add-modules jdk.incubator.vector -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

classpath() { # MODULE: its test class path inside the bundle
    local cp="" e
    while read -r e; do cp="$cp:$BUNDLE/$e"; done < "$BUNDLE/$1.cp"
    echo "${cp#:}"
}

run_tests() { # MODULE TIMEOUT CLASS...  (run from the module directory, as Surefire does)
    local name="$1" limit="$2" dir="$ROOT/$1"
    shift 2
    local log="$OUTDIR/logs/$name.log"
    echo "gpu-check: $name (limit ${limit}s) ..."
    (cd "$dir" && timeout --kill-after=10 "$limit" "$JAVA" --add-modules jdk.incubator.vector \
        --enable-native-access=ALL-UNNAMED -Xmx24g -XX:+UseG1GC \
        -Djqat.cuda.bench=true -Djqat.golden="$GOLDEN" -cp "$BUNDLE/runner:$(classpath "$name")" RunTests "$@") > "$log" 2>&1
    local rc=$?
    [[ $rc -eq 124 || $rc -eq 137 ]] && echo "TIMEOUT after ${limit}s" >> "$log"
    return $rc
}

section() { printf '\n## %s\n\n' "$1" >> "$REPORT"; }
quote_lines() { sed 's/^/    /' >> "$REPORT"; }

main() {
    if [[ "${1:-}" == "--prepare" ]]; then
        prepare "${2:-}"
        exit 0
    fi
    OUTDIR="${1:-${OUT:-$WORK/out}}"
    mkdir -p "$OUTDIR/logs" || die "cannot create $OUTDIR"
    OUTDIR="$(cd "$OUTDIR" && pwd)"
    REPORT="$OUTDIR/gpu-check-report.md"
    [[ -d "$BUNDLE/runner" ]] || prepare
    JAVA="$(find_java)" || die "no Java 25 runtime: set JQAT_JAVA or JAVA_HOME, or put a jlink image in $ROOT/jdk (docs/cuda.md)"
    GOLDEN="$ROOT/testdata/golden"
    [[ -d "$ROOT/../shared/golden" ]] && GOLDEN="$(cd "$ROOT/../shared/golden" && pwd)"
    [[ -d "$ROOT/shared/golden" ]] && GOLDEN="$(cd "$ROOT/shared/golden" && pwd)"
    local t0=$SECONDS status=0 gpu=yes

    {
        echo "# jqat GPU check"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), host $(hostname), revision $(cat "$BUNDLE/revision" 2> /dev/null)"
        echo "- java: $("$JAVA" -version 2>&1 | head -n1) ($JAVA)"
        echo "- nvcc: $( (command -v nvcc > /dev/null && nvcc --version | tail -n1) || echo 'not found')"
    } > "$REPORT"
    if command -v nvidia-smi > /dev/null && nvidia-smi -L > "$OUTDIR/logs/nvidia-smi.log" 2>&1 && grep -q '^GPU' "$OUTDIR/logs/nvidia-smi.log"; then
        echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | head -n1)" >> "$REPORT"
    else
        gpu=no
        echo "- **GPU: none found** (nvidia-smi: $(head -n1 "$OUTDIR/logs/nvidia-smi.log" 2> /dev/null || echo 'not installed')). The GPU tests below are skipped; this run only checks the harness." >> "$REPORT"
        echo "gpu-check: NO GPU on this machine: running the harness anyway, GPU tests will be skipped" >&2
    fi

    section "PTX (check-ptx.sh: ptxas sm_80/sm_90, fresh nvcc build vs committed)"
    timeout "$T_PTX" bash "$HERE/check-ptx.sh" > "$OUTDIR/logs/check-ptx.log" 2>&1 || status=1
    quote_lines < "$OUTDIR/logs/check-ptx.log"

    section "kernels-cuda tests"
    run_tests kernels-cuda "$T_CUDA_TESTS" "${KERNEL_TESTS[@]}" || status=1
    grep -E '^(PASS|FAIL|SKIP|TIMEOUT|tests:)' "$OUTDIR/logs/kernels-cuda.log" | quote_lines

    section "qat tests on CUDA (train + resume vs host, every QAT method plain and with BR, host syncs per step)"
    run_tests qat "$T_QAT_TESTS" "${QAT_TESTS[@]}" || status=1
    grep -E '^(PASS|FAIL|SKIP|TIMEOUT|tests:)' "$OUTDIR/logs/qat.log" | quote_lines

    section "Figures"
    {
        grep -hE '^(cuda: |copy |fq forward|fq backward|sgemm |resnet20 train|ResNet-20, )' "$OUTDIR/logs/kernels-cuda.log"
        grep -hE 'host syncs per step' "$OUTDIR/logs/qat.log"
    } | quote_lines
    if [[ "$gpu" == yes ]]; then
        echo "PyTorch, same model and batch:" >> "$REPORT"
        timeout "$T_TORCH" python3 "$HERE/gpu-check/torch_resnet20.py" > "$OUTDIR/logs/torch.log" 2>&1 \
            || echo "pytorch run failed or timed out (see logs/torch.log)" >> "$OUTDIR/logs/torch.log"
        quote_lines < "$OUTDIR/logs/torch.log"
    fi

    section "Verdict"
    {
        echo "- wall time: $((SECONDS - t0)) s"
        if [[ "$gpu" == no ]]; then
            echo "- NO GPU: nothing was measured; run this script on the GPU machine."
            [[ $status -eq 0 ]] && status=2
        elif [[ $status -eq 0 ]]; then
            echo "- every test passed"
        else
            echo "- FAILURES: see the FAIL lines above and logs/*.log"
        fi
    } >> "$REPORT"
    echo "gpu-check: report in $REPORT"
    cat "$REPORT"
    exit $status
}

main "$@"
