#!/usr/bin/env bash
# Runs the JMH suite (benchmarks/src/main/java, package dev.thinet4j.bench) from the repository root.
#
#   benchmarks/run.sh all [--short] [--out DIR]
#                                            the whole suite, one JMH invocation per step (selection,
#                                            sampling, EJML solves, end to end, forward), each writing
#                                            DIR/<step>.json and DIR/<step>.log (default DIR:
#                                            target/bench-results), `uptime` before/after each step in
#                                            DIR/load.txt; then prints the ratio tables and the peak-memory
#                                            lines of PruneBenchmark. --short: fewer sizes and iterations
#                                            (a smoke run). BENCH_STEPS=a,b runs only those steps
#                                            (selection, sampling, solve-normal, solve-qr, prune-vgg16,
#                                            prune-resnet50, prune-memory, forward)
#   benchmarks/run.sh [JMH arguments]        e.g.  benchmarks/run.sh SelectionBenchmark -p channels=64
#   benchmarks/run.sh -h                     JMH's own help;  benchmarks/run.sh -l  lists the benchmarks
#   benchmarks/run.sh report A.json [B…]     ratio tables (Markdown, median [min–max]) from JMH result files
#                                            written with -rf json -rff A.json (or -rf csv: means only)
#                                            (dev.thinet4j.bench.BenchReport)
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

jmh() {
    # shellcheck disable=SC2086
    java ${BENCH_JAVA_OPTS:-} -cp "$classpath" org.openjdk.jmh.Main "$@"
}

if [[ ${1:-} == all ]]; then
    shift
    short=0
    out=target/bench-results
    while [[ $# -gt 0 ]]; do
        case $1 in
            --short) short=1 ;;
            --out) out=$2; shift ;;
            *) echo "benchmarks/run.sh all: unknown option $1 (use --short, --out DIR)" >&2; exit 2 ;;
        esac
        shift
    done
    mkdir -p "$out"
    touch "$out/load.txt"
    step() {
        local name=$1
        shift
        if [[ -n ${BENCH_STEPS:-} && ",$BENCH_STEPS," != *",$name,"* ]]; then
            return 0
        fi
        echo "== $name: $*" >&2
        echo "$name before: $(uptime)" >> "$out/load.txt"
        jmh "$@" -rf json -rff "$out/$name.json" 2>&1 | tee "$out/$name.log" | grep --line-buffered -E '^(Iteration|\[PruneBenchmark\]|# Parameters|# Benchmark:)' >&2 || true
        echo "$name after: $(uptime)" >> "$out/load.txt"
        if [[ ! -s $out/$name.json ]]; then
            echo "benchmarks/run.sh all: step $name wrote no results; see $out/$name.log" >&2
            exit 1
        fi
    }
    if [[ $short == 1 ]]; then
        q=(-f 1 -wi 1 -w 1s -i 3 -r 1s)
        step selection 'SelectionBenchmark.(greedy|gramNd4j|naiveMasked|naiveRunning)$' -p channels=64,512 "${q[@]}"
        step sampling SamplingBenchmark -p images=8 "${q[@]}"
        step solve-normal 'SolveBenchmark.(cholesky|choleskyMt|library)$' -p channels=64,256 -f 1 -wi 1 -i 2
        step solve-qr 'SolveBenchmark.(qr|qrMt|gramCholesky|gramCholeskyMt)$' -p channels=64,128 -f 1 -wi 1 -i 2
        step prune-vgg16 PruneBenchmark -p model=vgg16_bn -p images=16 -f 1 -wi 0 -i 1
        step prune-resnet50 PruneBenchmark -p model=resnet50 -p images=16 -f 1 -wi 0 -i 1
        step forward ForwardBenchmark -p model=vgg16_bn,vgg16_bn_pruned -p batch=8 -f 1 -wi 1 -w 1s -i 3 -r 1s
    else
        step selection 'SelectionBenchmark.(greedy|gramNd4j|naiveMasked|naiveRunning)$' -p channels=64,256,512 \
            -f 1 -wi 1 -w 1s -i 3 -r 1s
        step sampling SamplingBenchmark -f 1 -wi 1 -w 2s -i 3 -r 2s
        step solve-normal 'SolveBenchmark.(cholesky|choleskyMt|library)$'
        step solve-qr 'SolveBenchmark.(qr|qrMt|gramCholesky|gramCholeskyMt)$' -p channels=64,128
        step prune-vgg16 PruneBenchmark -p model=vgg16_bn
        step prune-resnet50 PruneBenchmark -p model=resnet50 -wi 0 -i 2
        step prune-memory 'PruneBenchmark.prune$' -p model=vgg16_bn -p images=32,128 -wi 0 -i 2
        step forward ForwardBenchmark -p model=vgg16_bn,resnet50 -p batch=1,8 -f 1 -wi 1 -w 2s -i 3 -r 2s
    fi
    java -cp "$classpath" dev.thinet4j.bench.BenchReport "$out"/*.json
    if compgen -G "$out/prune-*.log" > /dev/null; then
        echo "### Peak memory of the pruning runs (sampled every 20 ms)"
        echo
        grep -h '^\[PruneBenchmark\] peak' "$out"/prune-*.log | sed 's/^/    /' || true
        echo
    fi
    echo "### Load average before/after each step"
    echo
    sed 's/^/    /' "$out/load.txt"
    exit 0
fi

# shellcheck disable=SC2086
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" org.openjdk.jmh.Main "$@"
