package dev.thinet4j.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.fold.Folding;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.zoo.ResNet;
import dev.thinet4j.zoo.Vgg;
import dev.thinet4j.zoo.VggConfig;
import dev.thinet4j.zoo.VggHead;
import dev.thinet4j.zoo.ZooOptions;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
 * Forward pass of a 3×224×224 zoo network, average time per batch: ours ({@link InferenceEngine#forward})
 * against ONNX Runtime for Java running the same network, exported with {@link OnnxExporter#save} to a
 * temporary file in the set-up; {@link #runtime} picks the engine timed.
 *
 * <p>Models: {@code vgg16_bn} is VGG-16 with batch normalisation and the GAP head (global average pool →
 * fc6 → 1000 logits; 15.5 GMAC per image, nearly all in the convolutions); {@code vgg16_bn_folded} is the same
 * network with every BatchNorm folded into its convolution ({@code Folding.foldAll}); {@code vgg16_bn_pruned}
 * is it after the {@code vgg} policy at ratio 0.5 (half the channels of conv1_1 … conv4_3 removed, chosen by L1
 * norm without reconstruction — the speed depends only on the widths); {@code resnet50} is ResNet-50
 * (4.1 GMAC per image). Weights are seeded ({@link ZooOptions#randomized}: random BN
 * statistics and conv biases), the input is a seeded standard-normal batch, the same for both engines.
 *
 * <p>{@code onnx}: an ONNX file given by {@link #file} (e.g. a torchvision model exported by
 * {@code tools/bench/export_torchvision.py}). Ours runs the network {@link OnnxImporter#load} imports from it
 * (ConvNeXt's channels-last regions rewritten channels-first, and so on); ONNX Runtime runs the original file as
 * exported, not a re-export of ours. The file needs a dynamic (or matching) batch dimension.
 *
 * <p>Threads: ND4J's native ops use {@code OMP_NUM_THREADS}; ORT gets an intra-op pool of the same size
 * ({@code Nd4j.getEnvironment().maxThreads()}), one inter-op thread, sequential execution and graph
 * optimisation level ALL (so ORT folds BN into the convolutions; ours runs the graph as imported).
 * The set-up checks that both engines give the same logits (within 1e-3 of the largest |logit|; for the zoo
 * models the bound is at least 1e-3 absolute, for {@code onnx} files it is relative only, since random-init
 * torchvision networks can give logits of 1e-3 or less, and the largest is ORT's) and fails
 * the trial otherwise, then releases the engine not timed. Only {@code session.run} / {@code engine.forward}
 * are timed; output tensors are closed inside the timed call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Dorg.bytedeco.javacpp.maxbytes=4G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=8G"})
public class ForwardBenchmark {
    /** Seed of the weights and of the input. */
    static final long SEED = 20170922L;

    /** The network: {@code vgg16_bn} (GAP head), its variants, {@code resnet50}, or {@code onnx} (see {@link #file}). */
    @Param({"vgg16_bn", "vgg16_bn_folded", "vgg16_bn_pruned", "resnet50"})
    public String model;

    /**
     * For {@code model=onnx}: the ONNX file, e.g. {@code -p model=onnx -p file=/tmp/real/efficientnet_b0.onnx,...}
     * (one trial per file). Ignored by the zoo models; {@code -} (the default) means none.
     */
    @Param({"-"})
    public String file;

    /** Images per forward pass. */
    @Param({"1", "8"})
    public int batch;

    /**
     * Which engine is timed: {@code thinet4j} or {@code onnxruntime}. A parameter rather than two methods so
     * that JMH runs the two engines' forks back to back for each model and batch (the last-named
     * parameter varies fastest), which keeps their ratio meaningful on a machine whose load drifts.
     */
    @Param({"thinet4j", "onnxruntime"})
    public String runtime;

    private InferenceEngine engine;
    private INDArray input;
    private OrtSession session;
    private ai.onnxruntime.OnnxTensor ortInput;
    private String ortInputName;
    private Path onnxFile;

    private boolean fromFile;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        fromFile = model.equals("onnx");
        Network net;
        Path ortFile;
        if (fromFile) {
            if (file.equals("-") || file.isBlank()) {
                throw new IllegalArgumentException("model=onnx needs -p file=PATH.onnx");
            }
            ortFile = Path.of(file);
            net = OnnxImporter.load(ortFile);
        } else {
            net = network(model);
            onnxFile = Files.createTempFile("thinet4j-bench-" + model + "-", ".onnx");
            OnnxExporter.save(net, onnxFile);
            ortFile = onnxFile;
        }
        int threads = Nd4j.getEnvironment().maxThreads();

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(ortFile.toString(), opts);
        }
        ortInputName = session.getInputNames().iterator().next();
        engine = new InferenceEngine(net);

        var in = net.input();
        long[] shape = {batch, in.channels(), in.height(), in.width()};
        float[] values = new float[Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3])];
        SplittableRandom rnd = new SplittableRandom(SEED + batch);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        input = Nd4j.create(values, shape, DataType.FLOAT);
        ortInput = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);

        checkSameLogits();
        if (runtime.equals("thinet4j")) {
            closeOrt();
        } else if (runtime.equals("onnxruntime")) {
            closeOurs();
        } else {
            throw new IllegalArgumentException("unknown runtime '" + runtime + "': thinet4j or onnxruntime");
        }
        System.out.printf("%n[ForwardBenchmark] %s batch %d: %d MACs per image, ND4J maxThreads=%d (OMP_NUM_THREADS=%s),"
                        + " ORT intra-op=%d%n", fromFile ? file : model, batch, ModelSize.of(net).totalMacs(), threads,
                System.getenv("OMP_NUM_THREADS"), threads);
    }

    static Network network(String model) {
        ZooOptions options = ZooOptions.randomized(SEED);
        return switch (model) {
            case "vgg16_bn" -> vgg16Bn(options);
            case "vgg16_bn_folded" -> Folding.foldAll(vgg16Bn(options)).network();
            case "vgg16_bn_pruned" -> pruned(vgg16Bn(options));
            case "resnet50" -> ResNet.resnet50(options);
            default -> throw new IllegalArgumentException("unknown model '" + model
                    + "': vgg16_bn, vgg16_bn_folded, vgg16_bn_pruned, resnet50 or onnx (with -p file=PATH)");
        };
    }

    static Network vgg16Bn(ZooOptions options) {
        return Vgg.build(VggConfig.vgg16Bn().toBuilder().head(VggHead.GAP).build(), options);
    }

    /**
     * The {@code vgg} policy at ratio 0.5 with the L1 criterion and no reconstruction: no calibration pass is
     * needed (the one image given is never read), and the widths are those ThiNet would give.
     */
    static Network pruned(Network net) {
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.L1).reconstruction(Reconstruction.NONE)
                .images(1).seed(SEED).build();
        var in = net.input();
        ImageSource one = ImageSources.fromArray(new float[in.channels() * in.height() * in.width()], 1,
                in.channels(), in.height(), in.width(), null);
        return new ThiNetPruner(config).prune(net, Policies.vgg(0.5), one).network();
    }

    private void checkSameLogits() throws OrtException {
        float[] ours;
        try (INDArray out = engine.forward(input)) {
            ours = out.dup('c').data().asFloat();
        }
        float[] ort;
        try (OrtSession.Result r = session.run(Map.of(ortInputName, ortInput))) {
            FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) r.get(0)).getFloatBuffer();
            ort = new float[fb.remaining()];
            fb.get(ort);
        }
        if (ours.length != ort.length) {
            throw new IllegalStateException(model + ": ours gives " + ours.length + " logits, ORT " + ort.length);
        }
        double largest = 0;
        double diff = 0;
        for (int i = 0; i < ours.length; i++) {
            largest = Math.max(largest, Math.abs(fromFile ? ort[i] : ours[i]));
            diff = Math.max(diff, Math.abs(ours[i] - ort[i]));
        }
        String name = fromFile ? file : model;
        // zoo models: 1e-3 of max(1, largest) as before; ONNX files: relative to the largest logit only
        double bound = 1e-3 * (fromFile ? largest : Math.max(1, largest));
        if (!(diff <= bound) || (fromFile && largest == 0)) {
            throw new IllegalStateException(name + ": ours and ORT differ by " + diff + " (largest |logit| " + largest
                    + ", bound " + bound + ")");
        }
        System.out.printf("%n[ForwardBenchmark] %s: same logits, max |ours − ORT| = %.3g, largest |logit| = %.3g%n",
                name, diff, largest);
    }

    private void closeOrt() throws OrtException {
        if (session != null) {
            ortInput.close();
            session.close();
            session = null;
        }
    }

    private void closeOurs() {
        if (engine != null) {
            input.close();
            engine.close();
            engine = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        closeOrt();
        closeOurs();
        if (onnxFile != null) {
            Files.deleteIfExists(onnxFile);
        }
    }

    /**
     * One forward pass of the batch on the engine named by {@link #runtime}: ours is
     * {@link InferenceEngine#forward}, ONNX Runtime's is {@code session.run}.
     *
     * @return the first logit, so that nothing is optimised away
     */
    @Benchmark
    public float forward() throws OrtException {
        if (engine != null) {
            try (INDArray out = engine.forward(input)) {
                return out.getFloat(0);
            }
        }
        try (OrtSession.Result r = session.run(Map.of(ortInputName, ortInput))) {
            return ((ai.onnxruntime.OnnxTensor) r.get(0)).getFloatBuffer().get(0);
        }
    }
}
