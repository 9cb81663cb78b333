package dev.thinet4j.bench;

import dev.thinet4j.sampling.NormalEquations;
import dev.thinet4j.selection.ThiNetGreedy;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.ejml.data.DMatrixRMaj;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ThiNet channel selection — removing half of C channels — on one seeded set of m sampled
 * contributions ({@link ContributionSample}), average time per call:
 * <ul>
 *   <li>{@link #greedy}: ours, {@link ThiNetGreedy#removalOrder} on the C×C Gram matrix G = X̂ᵀX̂
 *       (built once in the set-up), O(C²);</li>
 *   <li>{@link #gramNd4j}: building G with {@link NormalEquations#accumulate(INDArray, INDArray)}
 *       (float32 [m, C] array, widened to float64 in row blocks, lower triangle by OpenBLAS dgemm in row
 *       panels — the path {@code GroupSampler} uses), O(m·C²);</li>
 *   <li>{@link #gramLoops}: building G with {@link NormalEquations#accumulate(double[][], double[][])},
 *       the plain-loop path (tests and small problems), O(m·C²);</li>
 *   <li>{@link #naiveMasked} and {@link #naiveRunning}: the first {@code steps} greedy steps of the two
 *       baselines of {@link NaiveThiNetGreedy}, which score candidates from the raw samples; the whole
 *       naive selection (C/2 steps) would take up to hours at C = 512, so its time is extrapolated
 *       with {@link NaiveThiNetGreedy#extrapolate} (see {@code docs/benchmarks.md}). Run with
 *       {@code -p channels=64 -p steps=32} to time the complete naive selection at C = 64 and check the
 *       extrapolation.</li>
 * </ul>
 * The set-up checks that both baselines choose the same first {@code steps} channels as ours, and fails
 * the trial otherwise. OpenBLAS uses {@code OMP_NUM_THREADS} threads; everything else is one thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=4G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=9G"})
public class SelectionBenchmark {
    /** Seed of the contributions. */
    static final long SEED = 20170922L;

    /** C, the channels of the layer being pruned. */
    @Param({"64", "256", "512"})
    public int channels;

    /** m, the sampled output entries. */
    @Param({"100000"})
    public int samples;

    /** Greedy steps the naive baselines run per call (the whole selection is C/2 steps). */
    @Param({"2"})
    public int steps;

    private ContributionSample data;
    private double[][] rows;
    private double[][] targets;
    private INDArray x;
    private INDArray y;
    private DMatrixRMaj gram;
    private int numRemove;

    @Setup(Level.Trial)
    public void setUp() {
        numRemove = channels / 2;
        if (steps < 1 || steps > numRemove) {
            throw new IllegalArgumentException("steps must be in [1, " + numRemove + "], got " + steps);
        }
        data = ContributionSample.generate(samples, channels, SEED);
        double[] ySum = data.rowSums();
        rows = data.rows();
        targets = new double[samples][];
        float[] yf = new float[samples];
        for (int s = 0; s < samples; s++) {
            targets[s] = new double[]{ySum[s]};
            yf[s] = (float) ySum[s];
        }
        x = Nd4j.create(data.rowMajor(), new long[]{samples, channels}, DataType.FLOAT);
        y = Nd4j.create(yf, new long[]{samples}, DataType.FLOAT);
        gram = gramNd4j();

        int[] ours = ThiNetGreedy.removalOrder(gram, numRemove);
        int[] prefix = Arrays.copyOf(ours, steps);
        int[] masked = NaiveThiNetGreedy.maskedSum(data.columns, steps);
        int[] running = NaiveThiNetGreedy.runningSum(data.columns, steps);
        if (!Arrays.equals(prefix, masked) || !Arrays.equals(prefix, running)) {
            throw new IllegalStateException("naive greedy disagrees with ThiNetGreedy: ours " + Arrays.toString(prefix)
                    + ", masked " + Arrays.toString(masked) + ", running " + Arrays.toString(running));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        y.close();
    }

    /** Ours: the whole greedy selection (C/2 channels) on the Gram matrix. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int[] greedy() {
        return ThiNetGreedy.removalOrder(gram, numRemove);
    }

    /** The Gram matrix from the float32 ND4J array (one gemm). */
    @Benchmark
    public DMatrixRMaj gramNd4j() {
        NormalEquations ne = new NormalEquations(channels, 1);
        ne.accumulate(x, y);
        return ne.xtx();
    }

    /** The Gram matrix from double rows with plain loops. */
    @Benchmark
    public DMatrixRMaj gramLoops() {
        NormalEquations ne = new NormalEquations(channels, 1);
        ne.accumulate(rows, targets);
        return ne.xtx();
    }

    /** Baseline: the first {@code steps} steps, masked sums rebuilt per candidate. */
    @Benchmark
    public int[] naiveMasked() {
        return NaiveThiNetGreedy.maskedSum(data.columns, steps);
    }

    /** Baseline: the first {@code steps} steps, running sum of the chosen columns. */
    @Benchmark
    public int[] naiveRunning() {
        return NaiveThiNetGreedy.runningSum(data.columns, steps);
    }
}
