package dev.thinet4j.bench;

import dev.thinet4j.model.Network;
import dev.thinet4j.training.Optimizer;
import dev.thinet4j.training.OptimizerType;
import dev.thinet4j.training.PassOptions;
import dev.thinet4j.training.TrainableNetwork;
import dev.thinet4j.training.TrainingConfig;
import dev.thinet4j.zoo.Vgg;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * One training step of {@link Vgg#small28()} (1×28×28, conv widths 16/32/64, fc 576-128-10, no BN):
 * {@link TrainableNetwork#lossAndGradients} in TRAIN mode plus an SGD step (momentum 0.9, weight decay
 * 5e-4), average time per step; images/s = batch / time. The same step as
 * {@code benchmarks/pytorch/train_vgg_small28.py}, which times PyTorch on the same network and batch.
 *
 * <p>Input: a seeded uniform [0, 1) batch with seeded labels, reused every step (throughput only). Threads:
 * {@code OMP_NUM_THREADS}. {@link #main} runs the same step without JMH and prints
 * {@code images_per_second=<best of the repeats>} like the Python script, for
 * {@code benchmarks/pytorch/compare_training.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxbytes=3G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=5G"})
public class TrainingBenchmark {
    static final long SEED = 20170922L;

    /** Images per step. */
    @Param({"64"})
    public int batch;

    private TrainableNetwork net;
    private Optimizer optimizer;
    private INDArray images;
    private int[] labels;

    @Setup(Level.Trial)
    public void setUp() {
        Network vgg = Vgg.small28();
        net = TrainableNetwork.of(vgg);
        optimizer = Optimizer.create(TrainingConfig.builder().optimizer(OptimizerType.SGD).learningRate(0.01)
                .momentum(0.9).weightDecay(5e-4).build(), net.parameters());
        SplittableRandom r = new SplittableRandom(SEED);
        float[] x = new float[batch * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        images = Nd4j.create(x, new long[]{batch, 1, 28, 28}, DataType.FLOAT);
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(10);
        }
    }

    @Benchmark
    public double step() {
        double loss = net.lossAndGradients(images, labels, PassOptions.train()).loss();
        optimizer.step(0.01);
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        optimizer.close();
        net.close();
        images.close();
    }

    /**
     * Without JMH: {@code [batch] [steps] [warmup] [repeats]} (defaults 64 30 5 3); prints
     * {@code images_per_second=<best repeat> threads=<OMP_NUM_THREADS>}.
     */
    public static void main(String[] args) {
        int[] a = {64, 30, 5, 3};
        for (int i = 0; i < Math.min(args.length, a.length); i++) {
            a[i] = Integer.parseInt(args[i]);
        }
        TrainingBenchmark b = new TrainingBenchmark();
        b.batch = a[0];
        b.setUp();
        try {
            for (int i = 0; i < a[2]; i++) {
                b.step();
            }
            double[] rates = new double[a[3]];
            for (int rep = 0; rep < a[3]; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < a[1]; i++) {
                    b.step();
                }
                rates[rep] = (double) a[1] * b.batch / ((System.nanoTime() - t0) / 1e9);
            }
            System.out.printf(Locale.ROOT, "images_per_second=%.1f threads=%s%n", Arrays.stream(rates).max().orElseThrow(),
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "?"));
        } finally {
            b.tearDown();
        }
    }
}
