package dev.thinet4j.bench;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.zoo.ResNet;
import dev.thinet4j.zoo.Vgg;
import dev.thinet4j.zoo.VggConfig;
import dev.thinet4j.zoo.VggHead;
import dev.thinet4j.zoo.ZooOptions;
import org.bytedeco.javacpp.Pointer;
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
import org.openjdk.jmh.infra.BenchmarkParams;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * End to end: ThiNet on a zoo network at 224×224 with seeded random weights (seed 1) — {@code model=vgg16_bn}:
 * VGG-16-BN (GAP head) with the {@code vgg} policy at ratio 0.5; {@code model=resnet50}: ResNet-50 with the
 * {@code resnet} policy at ratio 0.5 — {@code full} reconstruction, {@link #images} (64) seeded
 * standard-normal calibration images, 10 points per image, batches of {@link #batch} (targets from the
 * original network, the default), against one forward pass of the same images through the unpruned model
 * with the same batch size. Single-shot times, one call per iteration. {@code -p images=32,128} (with
 * {@code PruneBenchmark.prune}) shows that peak memory does not grow with the number of images.
 *
 * <ul>
 *   <li>{@link #prune}: the whole {@link ThiNetPruner#prune} call (engines, sampling with the activation
 *       cache, selection, reconstruction, thinning).</li>
 *   <li>{@link #forward}: the same images through a warm engine of the unpruned model (the engine and its buffers
 *       are made in the set-up, so this is the cheaper, steady-state baseline and the ratio errs on the slow
 *       side).</li>
 * </ul>
 * Each iteration also samples the process's resident memory ({@code Pointer.physicalBytes()}, heap and native
 * together), the used heap and JavaCPP's tracked native bytes every 20 ms and prints their peaks
 * ({@code [PruneBenchmark] peak …}) at the end of the iteration.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx800m", "-Dorg.bytedeco.javacpp.maxbytes=3G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=4G"})
public class PruneBenchmark {
    static final long SEED = 1;

    /** The network: {@code vgg16_bn} (vgg policy) or {@code resnet50} (resnet policy). */
    @Param({"vgg16_bn", "resnet50"})
    public String model;

    /** Calibration images. */
    @Param({"64"})
    public int images;

    /** Images per forward pass, for both benchmarks. */
    @Param({"8"})
    public int batch;

    private Network net;
    private ImageSource source;
    private InferenceEngine engine;
    private String method;
    private Thread sampler;
    private volatile boolean sampling;
    private volatile long peakRss;
    private volatile long peakHeap;
    private volatile long peakJavaCpp;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        net = switch (model) {
            case "vgg16_bn" -> Vgg.build(VggConfig.vgg16Bn().toBuilder().head(VggHead.GAP).build(),
                    ZooOptions.randomized(SEED));
            case "resnet50" -> ResNet.resnet50(ZooOptions.randomized(SEED));
            default -> throw new IllegalArgumentException("unknown model " + model);
        };
        var in = net.input();
        float[] data = new float[images * in.channels() * in.height() * in.width()];
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rnd.nextGaussian();
        }
        source = ImageSources.fromArray(data, images, in.channels(), in.height(), in.width(), null);
        // only the forward benchmark's fork holds an engine, so the prune fork's memory peaks are the pruner's
        method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        engine = method.equals("forward") ? new InferenceEngine(net) : null;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (engine != null) {
            engine.close();
        }
        source.close();
    }

    @Setup(Level.Iteration)
    public void startSampling() {
        peakRss = 0;
        peakHeap = 0;
        peakJavaCpp = 0;
        sampling = true;
        sampler = new Thread(() -> {
            while (sampling) {
                sampleMemory();
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "memory-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    private void sampleMemory() {
        peakRss = Math.max(peakRss, Pointer.physicalBytes());
        peakJavaCpp = Math.max(peakJavaCpp, Pointer.totalBytes());
        long heap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heap += pool.getUsage().getUsed();
            }
        }
        peakHeap = Math.max(peakHeap, heap);
    }

    @TearDown(Level.Iteration)
    public void stopSampling() throws InterruptedException {
        sampling = false;
        sampler.join();
        sampleMemory();
        System.out.printf("%n[PruneBenchmark] peak resident %d MiB, peak used heap %d MiB, peak JavaCPP-tracked %d MiB"
                + " (%s, model=%s images=%d, OMP_NUM_THREADS=%s)%n", peakRss >> 20, peakHeap >> 20,
                peakJavaCpp >> 20, method, model, images, System.getenv("OMP_NUM_THREADS"));
    }

    /** ThiNet, vgg or resnet policy 0.5, full reconstruction, {@link #images} images × 10 points. */
    @Benchmark
    public long prune() {
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(images).pointsPerImage(10).seed(SEED).batchSize(batch).build();
        PruningPolicy policy = model.equals("resnet50") ? Policies.resnet(0.5) : Policies.vgg(0.5);
        PruningResult r = new ThiNetPruner(config).prune(net, policy, source);
        return r.report().macsAfter();
    }

    /** The same images through the unpruned model, once. */
    @Benchmark
    public float forward() {
        float sink = 0;
        for (Batch b : source.batches(batch)) {
            try (INDArray x = b.toINDArray(); INDArray y = engine.forward(x)) {
                sink += y.getFloat(0);
            }
        }
        return sink;
    }
}
