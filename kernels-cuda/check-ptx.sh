#!/usr/bin/env bash
# Builds and checks the PTX of the CUDA kernels (kernels-cuda/src/main/cuda/*.cu).
#
#   kernels-cuda/check-ptx.sh            check (CI): every committed PTX assembles with ptxas for
#                                        sm_80 and sm_90, and matches a fresh nvcc build
#   kernels-cuda/check-ptx.sh --write    regenerate the committed PTX after editing a .cu file
#   kernels-cuda/check-ptx.sh --out DIR  write fresh PTX into DIR (the Maven 'nvcc' profile)
#
# Missing tools are skipped with a message, never a failure: a machine without the CUDA toolkit
# still passes and the committed PTX is what ships.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src/main/cuda"
PTX_DIR="$HERE/src/main/resources/org/jqat/kernels/cuda/ptx"
ARCHS=(sm_80 sm_90)

find_tool() {
    local t
    t="$(command -v "$1" 2>/dev/null || true)"
    if [[ -z "$t" && -x "/usr/local/cuda/bin/$1" ]]; then t="/usr/local/cuda/bin/$1"; fi
    echo "$t"
}
NVCC="$(find_tool nvcc)"
PTXAS="$(find_tool ptxas)"

compile_all() { # DIR
    local out="$1" f name
    mkdir -p "$out"
    for f in "$SRC"/*.cu; do
        name="$(basename "$f" .cu)"
        "$NVCC" -ptx -arch=compute_80 -O3 -I "$SRC" "$f" -o "$out/$name.ptx"
    done
}

mode="${1:-check}"
case "$mode" in
    --write|--out)
        if [[ -z "$NVCC" ]]; then
            echo "check-ptx: nvcc not found; PTX not regenerated (the committed PTX is used)"
            exit 0
        fi
        dest="$PTX_DIR"
        if [[ "$mode" == --out ]]; then dest="${2:?--out needs a directory}"; fi
        compile_all "$dest"
        echo "check-ptx: regenerated $(ls "$SRC"/*.cu | wc -l) PTX files into $dest with $("$NVCC" --version | tail -1)"
        exit 0
        ;;
    check) ;;
    *) echo "usage: $0 [--write | --out DIR]" >&2; exit 2 ;;
esac

status=0

# 1. every .cu has committed PTX and every PTX has a source.
for f in "$SRC"/*.cu; do
    name="$(basename "$f" .cu)"
    if [[ ! -f "$PTX_DIR/$name.ptx" ]]; then
        echo "check-ptx: FAIL: $PTX_DIR/$name.ptx is missing; run kernels-cuda/check-ptx.sh --write"
        status=1
    fi
done
for p in "$PTX_DIR"/*.ptx; do
    name="$(basename "$p" .ptx)"
    if [[ ! -f "$SRC/$name.cu" ]]; then
        echo "check-ptx: FAIL: $p has no source $SRC/$name.cu"
        status=1
    fi
done

# 2. ptxas for each target architecture.
if [[ -z "$PTXAS" ]]; then
    echo "check-ptx: ptxas not found; skipped assembling the PTX"
else
    for p in "$PTX_DIR"/*.ptx; do
        for arch in "${ARCHS[@]}"; do
            if "$PTXAS" -arch="$arch" "$p" -o /dev/null 2>/tmp/check-ptx.$$.err; then
                echo "check-ptx: ok   ptxas -arch=$arch $(basename "$p")"
            else
                echo "check-ptx: FAIL ptxas -arch=$arch $(basename "$p"):"
                cat /tmp/check-ptx.$$.err
                status=1
            fi
        done
    done
    rm -f /tmp/check-ptx.$$.err
fi

# 3. committed PTX == fresh nvcc output (comment lines, which carry the compiler build, ignored).
if [[ -z "$NVCC" ]]; then
    echo "check-ptx: nvcc not found; skipped comparing the committed PTX with its sources"
else
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    compile_all "$tmp"
    for f in "$tmp"/*.ptx; do
        name="$(basename "$f")"
        [[ -f "$PTX_DIR/$name" ]] || continue
        if diff -q <(grep -v '^//' "$f") <(grep -v '^//' "$PTX_DIR/$name") >/dev/null; then
            echo "check-ptx: ok   $name matches its source"
        else
            echo "check-ptx: FAIL $name is stale (differs from nvcc -ptx -arch=compute_80 -O3 of src/main/cuda/${name%.ptx}.cu)"
            echo "           committed PTX was built with: $(grep -m1 'Cuda compilation tools' "$PTX_DIR/$name" || echo unknown)"
            echo "           this machine has:             $("$NVCC" --version | tail -2 | head -1)"
            echo "           fix: kernels-cuda/check-ptx.sh --write && git add kernels-cuda/src/main/resources"
            status=1
        fi
    done
fi

if [[ $status -eq 0 ]]; then echo "check-ptx: all checks passed"; fi
exit $status
