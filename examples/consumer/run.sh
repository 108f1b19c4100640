#!/usr/bin/env bash
# The consumer test (.ci/run calls it after the build): installs this checkout's jqat artifacts,
# builds examples/consumer against them through the BOM, offline, as an application would, and
# runs it on the class path (with and without --add-modules jdk.incubator.vector) and on the
# module path.
#
# The artifacts go to a private local repository (examples/consumer/target/local-repo): every
# other group of the user's repository (~/.m2/repository, or $JQAT_M2_REPO) is linked into it,
# so the shared repository's jqat SNAPSHOTs are left alone. Needs a prior build of the checkout
# (the plugins and dependencies in ~/.m2); the consumer itself is then built offline.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
source bin/find-jdk25.sh
java="$JAVA_HOME/bin/java"
mvn_cmd=mvn
command -v mvn > /dev/null || mvn_cmd="$root/mvnw"

shared="${JQAT_M2_REPO:-$HOME/.m2/repository}"
repo="$here/target/local-repo"
if [[ ! -d "$shared/org/apache/maven/plugins" ]]; then
  echo "consumer: $shared holds no Maven plugins; build the checkout first (mvn -B verify) or set JQAT_M2_REPO" >&2
  exit 1
fi
rm -rf "$repo"
mkdir -p "$repo/org"
for d in "$shared"/*; do
  [[ "$(basename "$d")" == org ]] || ln -s "$d" "$repo/"
done
for d in "$shared"/org/*; do
  [[ "$(basename "$d")" == jqat ]] || ln -s "$d" "$repo/org/"
done

echo "consumer: installing jqat into $repo"
# Online: `mvn verify` never resolves maven-install-plugin, so a fresh machine fetches it here.
"$mvn_cmd" -B -q install -DskipTests -pl '!bench' -Dmaven.repo.local="$repo"

echo "consumer: building examples/consumer against the installed BOM"
"$mvn_cmd" -B -q -o -f "$here/pom.xml" -Dmaven.repo.local="$repo" package dependency:build-classpath \
  -Dmdep.outputFile="$here/target/classpath.txt" -Dmdep.includeScope=runtime
cp="$(cat "$here/target/classpath.txt")"
classes="$here/target/classes"

echo "consumer: class path, --add-modules jdk.incubator.vector"
"$java" --add-modules jdk.incubator.vector -cp "$classes:$cp" org.example.consumer.Main cpu

echo "consumer: class path without the flag (reference backend, one warning)"
err="$here/target/no-flag.err"
"$java" -cp "$classes:$cp" org.example.consumer.Main reference 2> "$err"
warnings="$(grep -c "is not available; host ops run on the 'reference' backend" "$err" || true)"
if [[ "$warnings" != 1 ]]; then
  echo "consumer: expected exactly one fallback warning, got $warnings:" >&2
  cat "$err" >&2
  exit 1
fi
grep -q -- "--add-modules jdk.incubator.vector" "$err"

echo "consumer: module path (JCuda's jars and the CUDA backend on the class path, as docs/architecture.md says)"
modules=() unnamed=()
IFS=':' read -r -a jars <<< "$cp"
for j in "${jars[@]}"; do
  case "$(basename "$j")" in
    jcuda-*|jcublas-*|jqat-kernels-cuda-*) unnamed+=("$j") ;;
    *) modules+=("$j") ;;
  esac
done
module_path="$classes$(printf ':%s' "${modules[@]}")"
class_path="$(IFS=':'; echo "${unnamed[*]}")"
"$java" -p "$module_path" -cp "$class_path" -m org.example.consumer/org.example.consumer.Main cpu
echo "consumer: OK"
