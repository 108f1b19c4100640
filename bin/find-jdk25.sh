# Sourced by bin/jqat and .ci/run: sets JAVA_HOME to a JDK 25 or newer, or exits with what to install.
jqat_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1; }
jqat_find_jdk25() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [[ -n "$candidate" && -x "$candidate/bin/java" && -x "$candidate/bin/javac" ]] || continue
    major="$(jqat_java_major "$candidate")"
    if [[ "$major" =~ ^[0-9]+$ ]] && (( major >= 25 )); then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
if ! JAVA_HOME="$(jqat_find_jdk25)"; then
  echo "jqat needs a JDK 25 or newer: none found in JAVA_HOME or /usr/lib/jvm." >&2
  echo "Install one (e.g. Temurin 25: apt-get install temurin-25-jdk) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME
