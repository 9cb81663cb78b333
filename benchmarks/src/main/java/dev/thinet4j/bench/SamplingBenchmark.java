package dev.thinet4j.bench;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.sampling.GroupSampler;
import dev.thinet4j.sampling.GroupStatistics;
import dev.thinet4j.sampling.SamplingConfig;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.testing.TestNets;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * Sampling throughput for a 3×3 convolution consumer at C = {@link #channels} (default 256): a two-convolution
 * network, input [C, {@link #size}, {@link #size}] → conv_a (C→C, 3×3, pad 1) → BN → ReLU → conv_b (C→C, 3×3,
 * pad 1) → ReLU → GAP → FC, seeded weights. The group is conv_a's output channels, its consumer conv_b (the
 * shape of VGG-16's conv3_x at 224×224 input: C = 256, 56×56).
 *
 * <ul>
 *   <li>{@link #sample}: {@link GroupSampler#sample} over {@link #images} seeded images with
 *       {@link #points} points per image, batches of 8 (the forward pass of conv_a, gathering the patches, the
 *       contributions and the normal equations; with {@code full=true} also the [m, 9·C] patch matrix, its
 *       targets and its 9·C × 9·C normal equations). Samples per call = images × points; samples/s =
 *       that / the time per call ({@code BenchReport} prints it).</li>
 *   <li>{@link #forward}: the same images through the prefix the sampler needs (conv_a → BN → ReLU) on a warm
 *       engine, with the tensor lent, not copied — the part of {@link #sample} that is not sampling.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxbytes=3G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=5G"})
public class SamplingBenchmark {
    static final long SEED = 7;
    static final int BATCH = 8;

    /** C: the group's channels and the consumer's input and output channels. */
    @Param({"256"})
    public int channels;

    /** Height and width of the activations. */
    @Param({"56"})
    public int size;

    /** Calibration images per call. */
    @Param({"16"})
    public int images;

    /** Sampled locations per image (ThiNet: 10; more show the sampling cost apart from the forward pass). */
    @Param({"10", "100"})
    public int points;

    /** Whether the full normal equations (9·C columns) are accumulated too. */
    @Param({"false", "true"})
    public boolean full;

    private Network net;
    private ChannelGroup group;
    private ImageSource source;
    private InferenceEngine engine;
    private GroupSampler sampler;

    @Setup(Level.Trial)
    public void setUp() {
        Random r = new Random(SEED);
        int c = channels;
        net = Network.builder("sampling" + c).input("input", c, size, size)
                .add("conv_a", TestNets.conv(r, c, c, 3, 1, 1), "input")
                .add("bn_a", TestNets.bn(r, c), "conv_a")
                .add("relu_a", new Op.Relu(), "bn_a")
                .add("conv_b", TestNets.conv(r, c, c, 3, 1, 1), "relu_a")
                .add("relu_b", new Op.Relu(), "conv_b")
                .add("gap", new Op.GlobalAvgPool(), "relu_b")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", TestNets.linear(r, c, 10), "flatten")
                .build();
        group = new DependencyGraph(net).groupOf("conv_a");
        float[] data = new float[images * c * size * size];
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rnd.nextGaussian();
        }
        source = ImageSources.fromArray(data, images, c, size, size, null);
        engine = new InferenceEngine(net);
        sampler = new GroupSampler(new SamplingConfig(points, SEED, full, BATCH));
        long samples = sample().samples();
        if (samples != (long) images * points) {
            throw new IllegalStateException("expected " + (long) images * points + " samples, got " + samples);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        engine.close();
        source.close();
    }

    /** The group's statistics from all images (targets from the same network). */
    @Benchmark
    public GroupStatistics sample() {
        return sampler.sample(engine, group, source, null);
    }

    /** The same images through conv_a → BN → ReLU, the tensor the sampler reads lent and touched once. */
    @Benchmark
    public double forward() {
        double sink = 0;
        for (Batch b : source.batches(BATCH)) {
            try (INDArray x = b.toINDArray()) {
                sink += engine.withTensors(x, List.of("relu_a"), t -> t.get("relu_a").getDouble(0, 0, 0, 0));
            }
        }
        return sink;
    }
}
