#!/usr/bin/env bash
# Runs the JMH suite (benchmarks/src/main/java, package dev.thinet4j.bench) from the repository root.
#
#   benchmarks/run.sh [JMH arguments]        e.g.  benchmarks/run.sh SelectionBenchmark -p channels=64
#   benchmarks/run.sh -h                     JMH's own help;  benchmarks/run.sh -l  lists the benchmarks
#   benchmarks/run.sh report A.csv [B.csv…]  ratio tables (Markdown) from JMH result files written with
#                                            -rf csv -rff A.csv (dev.thinet4j.bench.BenchReport)
#
# The benchmarks are compiled with the tests (the pom adds benchmarks/src/main/java as a test source
# root; JMH's annotation processor writes target/test-classes/META-INF/BenchmarkList), so this builds
# with `mvn test-compile`, caches the test-scope dependency classpath in target/bench.classpath, and
# starts org.openjdk.jmh.Main with an explicit -cp, which JMH hands on to its forked JVMs.
#
# Environment: OMP_NUM_THREADS (default 1 here) sets ND4J's native threads and the ORT intra-op pool of
# ForwardBenchmark; BENCH_MVN_FLAGS (default -o, offline) goes to both mvn calls; BENCH_JAVA_OPTS to the
# host JVM (the forks take their heap settings from the @Fork annotations).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mvn_flags=${BENCH_MVN_FLAGS--o}
# shellcheck disable=SC2086
mvn -q -B $mvn_flags -DskipTests test-compile >&2

cp_file=target/bench.classpath
if [[ ! -s $cp_file || pom.xml -nt $cp_file ]]; then
    # shellcheck disable=SC2086
    mvn -q -B $mvn_flags dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2
fi
if [[ ! -s target/test-classes/META-INF/BenchmarkList ]]; then
    echo "benchmarks/run.sh: no target/test-classes/META-INF/BenchmarkList after test-compile" >&2
    exit 1
fi

classpath="target/test-classes:target/classes:$(cat "$cp_file")"
if [[ ${1:-} == report ]]; then
    shift
    exec java -cp "$classpath" dev.thinet4j.bench.BenchReport "$@"
fi

export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# shellcheck disable=SC2086
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" org.openjdk.jmh.Main "$@"
