#!/usr/bin/env bash
# Training throughput of Vgg.small28() at batch 64: thinet4j (TrainingBenchmark.main) against PyTorch CPU
# (train_vgg_small28.py), for OMP_NUM_THREADS=1 and 2. The two run alternately ROUNDS times (default 3)
# and the best images/s of each is kept, so that a drifting machine load hits both alike.
#
#   benchmarks/pytorch/compare_training.sh            from the repository root, after mvn test-compile
#
# Needs a python3 with torch (Debian: python3-torch; PYTHON=/usr/bin/python3 picks that interpreter). Prints one line per thread count:
#   threads=1 thinet4j=<img/s> pytorch=<img/s> ratio=<thinet4j/pytorch>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${ROUNDS:-3}
cp_file=target/bench.classpath
if [[ ! -s $cp_file || pom.xml -nt $cp_file ]]; then
    mvn -q ${BENCH_MVN_FLAGS--o} dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
fi
cp="target/test-classes:target/classes:$(cat "$cp_file")"
rate() { sed -n 's/.*images_per_second=\([0-9.]*\).*/\1/p'; }
for threads in 1 2; do
    best_j=0
    best_p=0
    for ((r = 0; r < rounds; r++)); do
        j=$(OMP_NUM_THREADS=$threads java -Xmx2g -cp "$cp" dev.thinet4j.bench.TrainingBenchmark 2>/dev/null | rate)
        p=$(OMP_NUM_THREADS=$threads "${PYTHON:-python3}" benchmarks/pytorch/train_vgg_small28.py | rate)
        best_j=$(python3 -c "print(max($best_j, $j))")
        best_p=$(python3 -c "print(max($best_p, $p))")
    done
    python3 -c "print(f'threads=$threads thinet4j={$best_j:.1f} pytorch={$best_p:.1f} ratio={$best_j / $best_p:.2f}')"
done
