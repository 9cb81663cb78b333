package dev.thinet4j.sampling;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Shapes;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.Member;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * ThiNet sampling: runs calibration images through the network, taps the input of every layer that
 * reads a channel group (layer i+1), and draws random (image, location, output channel) triples.
 *
 * <p>For a conv consumer with weight W [C_out, C, k_h, k_w], a sample at output position (y, x) and
 * output channel o gives, for each group channel j, the contribution
 * x̂_j = Σ_{k1,k2} W[o, j, k1, k2] · X[j, y·s_h − p_top + k1·d_h, x·s_w − p_left + k2·d_w] (zero outside the
 * input), and the target ŷ = Σ_j x̂_j. For a grouped consumer conv (weight [C_out, C_in/g, k_h, k_w], g groups)
 * output o belongs to conv group q = ⌊o / (C_out/g)⌋ and sees only q's input channels
 * [q·C_in/g, (q+1)·C_in/g): x̂_j = Σ_k W[o, j − q·C_in/g, k]·X[j, …] for those, x̂_j = 0 for the others, so ŷ is
 * still the output (without bias); its full statistics are one {@link NormalEquations} per conv group
 * ({@link GroupStatistics#groupedFull()}: n = C_in/g·k_h·k_w, k = C_out/g, rows the patch of q's channels, targets
 * the outputs of q's filters). For a linear consumer after Flatten, channel j owns the H·W
 * columns of its block and a sample is one image and one output neuron. Rows are accumulated into
 * {@link NormalEquations} batch by batch, so memory does not grow with the number of images.
 *
 * <p>With a reference network (the unpruned original), targets come from it instead: the same
 * (image, location, channel) evaluated with the original consumer weights on the original input, so
 * errors do not accumulate from layer to layer.
 *
 * <p>Work per batch of b images, m = b·points rows, group width C, consumer input C_in·k_h·k_w = n:
 * the activations are read where the engine keeps them ({@link InferenceEngine#withTensors}, no copy);
 * each row's patch (n values) is gathered once; the contributions x̂ (m·C·k_h·k_w multiply-adds, plain
 * loops in float64 — small next to the Gram matrix) go to {@link NormalEquations#accumulate(INDArray, INDArray)}
 * as one [m, C] matrix, whose Gram matrix is one blocked BLAS product (m·C² multiply-adds); for full
 * reconstruction the patches form one [m, n] float32 matrix, the targets are one product with the consumer
 * weights ([m, n]·[n, C_out]) and its normal equations one more blocked product (m·n²). Every random draw
 * depends only on the seed, the image's index and the consumer, so results do not depend on the batch size.
 */
public final class GroupSampler {
    private static final Logger LOG = LoggerFactory.getLogger(GroupSampler.class);
    /** Full normal equations above this many columns are refused (memory: n² doubles). */
    public static final int MAX_FULL_COLUMNS = 12_000;

    private final SamplingConfig config;

    /**
     * @param config how many rows to draw, from which seed, and whether to accumulate full statistics
     */
    public GroupSampler(SamplingConfig config) {
        this.config = config;
    }

    /** One consumer of the group: the node, the tensor it reads and the geometry. */
    private record Consumer(Member member, Node node, String tensor, int[] inputShape, int[] pos) {
        boolean isConv() {
            return node.op() instanceof Op.Conv;
        }
    }

    /**
     * Samples one group.
     *
     * @param engine    the current network's engine. Not modified.
     * @param group     the channels, from the current network's dependency graph
     * @param images    calibration images (every image is used, in order)
     * @param reference the original network's engine for targets, or null to take targets from {@code engine}
     * @return the group's statistics: ThiNet contributions, per-consumer full normal equations when asked
     *         for, zero fractions and the number of images seen
     * @throws IllegalArgumentException when the group has no consumer to sample, or the reference network's
     *                                  consumer does not match the current one in shape
     */
    public GroupStatistics sample(InferenceEngine engine, ChannelGroup group, ImageSource images,
                                  InferenceEngine reference) {
        return sample(engine, group, images, reference, null);
    }

    /**
     * Samples one group, starting the forward passes from activations kept by earlier calls where the cache has
     * usable ones, and keeping activations for later calls (see {@link ActivationCache}). The statistics are
     * the same as without a cache (the passes compute the same values).
     *
     * @param engine    the current network's engine, best built on {@code cache.buffers()}. Not modified.
     * @param group     the channels, from the current network's dependency graph
     * @param images    calibration images (every image is used, in order); the same source on every call
     * @param reference the original network's engine for targets, or null to take targets from {@code engine}
     * @param cache     activations kept across calls of one pruning run, or null
     * @return the group's statistics, as {@link #sample(InferenceEngine, ChannelGroup, ImageSource, InferenceEngine)}
     * @throws IllegalArgumentException as {@link #sample(InferenceEngine, ChannelGroup, ImageSource, InferenceEngine)}
     */
    public GroupStatistics sample(InferenceEngine engine, ChannelGroup group, ImageSource images,
                                  InferenceEngine reference, ActivationCache cache) {
        Network net = engine.network();
        Map<String, int[]> shapes = net.shapes(1);
        List<Consumer> consumers = new ArrayList<>();
        for (Member m : group.consumers()) {
            Node n = net.node(m.node());
            String tensor = n.input();
            consumers.add(new Consumer(m, n, tensor, shapes.get(tensor), group.positions(m)));
        }
        if (consumers.isEmpty()) {
            throw new IllegalArgumentException("group " + group.describe() + " has no consumer layer to sample");
        }
        Map<String, Node> refNodes = new HashMap<>();
        if (reference != null) {
            Map<String, int[]> refShapes = reference.network().shapes(1);
            for (Consumer c : consumers) {
                Node r = reference.network().findNode(c.node.name()).orElseThrow(() -> new IllegalArgumentException(
                        "reference network has no node '" + c.node.name() + "'"));
                int[] rs = refShapes.get(r.input());
                if (!java.util.Arrays.equals(rs, c.inputShape) || !sameWeightShape(r.op(), c.node.op())) {
                    // e.g. a residual block's conv whose output filters were cut in another group before: the
                    // original network's outputs no longer correspond one to one, so this group's targets come
                    // from the current network (as with targets = current)
                    LOG.warn("group {}: consumer '{}' has input {} and weights {} in the current network but input {} "
                                    + "and weights {} in the original one; taking this group's reconstruction targets "
                                    + "from the current network", group.describe(), c.node.name(),
                            Shapes.format(c.inputShape), weightShape(c.node.op()), Shapes.format(rs),
                            weightShape(r.op()));
                    refNodes.clear();
                    reference = null;
                    break;
                }
                refNodes.put(c.node.name(), r);
            }
        }
        int groupChannels = group.channels();
        NormalEquations contributions = new NormalEquations(groupChannels, 1);
        Map<String, NormalEquations> full = new LinkedHashMap<>();
        Map<String, List<NormalEquations>> groupedFull = new LinkedHashMap<>();
        if (config.full()) {
            for (Consumer c : consumers) {
                int n = fullColumns(c);
                if (n > MAX_FULL_COLUMNS) {
                    throw new IllegalArgumentException("full reconstruction of '" + c.node.name() + "' needs " + n
                            + " columns (more than " + MAX_FULL_COLUMNS + "); use scale reconstruction for this layer");
                }
                if (isGrouped(c)) {
                    int g = ((Op.Conv) c.node.op()).groups();
                    List<NormalEquations> perGroup = new ArrayList<>();
                    for (int q = 0; q < g; q++) {
                        perGroup.add(new NormalEquations(n, outputs(c) / g));
                    }
                    groupedFull.put(c.node.name(), perGroup);
                } else {
                    full.put(c.node.name(), new NormalEquations(n, outputs(c)));
                }
            }
        }
        long[] zeros = new long[groupChannels];
        long[] zeroDenominator = {0};
        Set<String> taps = new LinkedHashSet<>();
        consumers.forEach(c -> taps.add(c.tensor));
        Map<String, INDArray> weights = new HashMap<>();
        long seen = 0;
        if (reference != null && reference.network() == net) {
            // the reference is the network sampled (e.g. the first layer of a run): its pass would repeat ours
            reference = null;
        }
        long start = System.nanoTime();
        long fresh0 = engine.activationBuffers().freshBytes();
        long[] work = {0};
        Set<String> changing = new LinkedHashSet<>(group.producers());
        group.members().forEach(m -> changing.add(m.node()));
        ActivationCache.Use cur = cache == null ? null
                : cache.plan(false, net, taps, changing, images.size(), config.batchSize());
        ActivationCache.Use ref = cache == null || reference == null ? null
                : cache.plan(true, reference.network(), taps, changing, images.size(), config.batchSize());
        boolean done = false;
        try {
            int index = 0;
            for (Batch batch : images.batches(config.batchSize())) {
                int bi = index++;
                try (INDArray x = batch.toINDArray()) {
                    // the reference pass first, reduced to what the rows need, so the two passes' activations are
                    // never in memory together
                    Map<String, Reference> refRows = reference == null ? null
                            : reference.withTensors(given(reference, ref, bi, batch, x), request(taps, ref), refActs -> {
                                keep(ref, refActs, batch);
                                long t0 = System.nanoTime();
                                Map<String, Reference> r = referenceRows(consumers, refActs, refNodes, batch, groupChannels,
                                        full, groupedFull);
                                work[0] += System.nanoTime() - t0;
                                return r;
                            });
                    engine.withTensors(given(engine, cur, bi, batch, x), request(taps, cur), acts -> {
                        keep(cur, acts, batch);
                        long t0 = System.nanoTime();
                        sampleBatch(consumers, acts, refRows, batch, contributions, full, groupedFull, weights, zeros,
                                zeroDenominator);
                        work[0] += System.nanoTime() - t0;
                        return null;
                    });
                }
                seen += batch.n();
                LOG.debug("sampled {} images for group {}", seen, group.describe());
            }
            done = true;
        } finally {
            weights.values().forEach(INDArray::close);
            for (ActivationCache.Use use : new ActivationCache.Use[]{cur, ref}) {
                if (use != null) {
                    if (done) {
                        use.finish(use.reference ? reference.network() : net, config.batchSize());
                    } else {
                        use.abandon();
                    }
                }
            }
        }
        if (seen == 0) {
            throw new IllegalArgumentException("no calibration images to sample group " + group.describe());
        }
        if (LOG.isDebugEnabled()) {
            double total = (System.nanoTime() - start) / 1e9;
            LOG.debug("sampled group {}: {} images in {} s ({} s forward passes, {} s gathering and normal equations;"
                            + " {} MiB of fresh activation memory)", group.describe(), seen, String.format("%.2f", total),
                    String.format("%.2f", total - work[0] / 1e9), String.format("%.2f", work[0] / 1e9),
                    (engine.activationBuffers().freshBytes() - fresh0) >> 20);
        }
        double[] apoz = new double[groupChannels];
        for (int j = 0; j < groupChannels; j++) {
            apoz[j] = zeroDenominator[0] == 0 ? 0 : (double) zeros[j] / zeroDenominator[0];
        }
        return new GroupStatistics(contributions, full, apoz, seen, groupedFull);
    }

    /**
     * Whether full normal equations for every consumer of the group stay within {@link #MAX_FULL_COLUMNS}.
     *
     * @param net   the network
     * @param group a group of {@code net}
     * @return true when every consumer's input patch has at most that many values
     */
    public static boolean canSampleFull(Network net, ChannelGroup group) {
        for (Member m : group.consumers()) {
            Op op = net.node(m.node()).op();
            int n = op instanceof Op.Conv conv ? conv.weight().dim(1) * conv.weight().dim(2) * conv.weight().dim(3)
                    : ((Op.Linear) op).inFeatures();
            if (n > MAX_FULL_COLUMNS) {
                return false;
            }
        }
        return true;
    }

    private static String weightShape(Op op) {
        if (op instanceof Op.Conv c) {
            return Shapes.format(c.weight().shape());
        }
        if (op instanceof Op.Linear l) {
            return Shapes.format(l.weight().shape());
        }
        return op.getClass().getSimpleName();
    }

    private static boolean sameWeightShape(Op a, Op b) {
        if (a instanceof Op.Conv ca && b instanceof Op.Conv cb) {
            return java.util.Arrays.equals(ca.weight().shape(), cb.weight().shape());
        }
        if (a instanceof Op.Linear la && b instanceof Op.Linear lb) {
            return java.util.Arrays.equals(la.weight().shape(), lb.weight().shape());
        }
        return false;
    }

    /** A consumer conv with groups &gt; 1 (a grouped consumer: depthwise convs are never consumers). */
    private static boolean isGrouped(Consumer c) {
        return c.node.op() instanceof Op.Conv conv && conv.groups() > 1;
    }

    /** Columns of one full-statistics row: the patch of one conv group (C_in/g·k_h·k_w), or a linear's inputs. */
    private static int fullColumns(Consumer c) {
        if (c.node.op() instanceof Op.Conv conv) {
            return conv.weight().dim(1) * conv.weight().dim(2) * conv.weight().dim(3);
        }
        return ((Op.Linear) c.node.op()).inFeatures();
    }

    private static int outputs(Consumer c) {
        if (c.node.op() instanceof Op.Conv conv) {
            return conv.outChannels();
        }
        return ((Op.Linear) c.node.op()).outFeatures();
    }

    /** Where a pass starts: the kept activation for this batch when the cache has one, else the images. */
    private static Map<String, INDArray> given(InferenceEngine engine, ActivationCache.Use use, int index, Batch batch,
                                               INDArray x) {
        INDArray kept = use == null ? null : use.startFor(index, batch.offset(), batch.n());
        return kept != null ? Map.of(use.start.tensor(), kept) : Map.of(engine.network().input().name(), x);
    }

    private static Set<String> request(Set<String> taps, ActivationCache.Use use) {
        if (use == null || use.capture == null) {
            return taps;
        }
        Set<String> r = new LinkedHashSet<>(taps);
        r.add(use.capture);
        return r;
    }

    private static void keep(ActivationCache.Use use, Map<String, INDArray> acts, Batch batch) {
        if (use != null && use.capture != null) {
            use.keep(acts.get(use.capture), batch.offset(), batch.n());
        }
    }

    /**
     * What the reference network gives one consumer's rows of a batch: the target of every row, and for full
     * statistics the reference inputs (patches for a conv, whole rows for a linear), row-major.
     */
    private record Reference(double[] targets, float[] inputs, float[] weights) {
    }

    /** The reference targets (and inputs) of every consumer's rows of one batch. */
    private Map<String, Reference> referenceRows(List<Consumer> consumers, Map<String, INDArray> refActs,
                                                 Map<String, Node> refNodes, Batch batch, int groupChannels,
                                                 Map<String, NormalEquations> full,
                                                 Map<String, List<NormalEquations>> groupedFull) {
        Map<String, Activations> readers = new HashMap<>();
        Map<String, Reference> out = new HashMap<>();
        try {
            for (int ci = 0; ci < consumers.size(); ci++) {
                Consumer c = consumers.get(ci);
                Activations refIn = readers.computeIfAbsent(c.tensor, t -> Activations.of(refActs.get(t)));
                Node refNode = refNodes.get(c.node.name());
                boolean withInputs = full.containsKey(c.node.name()) || groupedFull.containsKey(c.node.name());
                out.put(c.node.name(), c.isConv() ? referenceConv(c, ci, refIn, refNode, batch, groupChannels, withInputs)
                        : referenceLinear(c, ci, refIn, refNode, batch, groupChannels, withInputs));
            }
        } finally {
            readers.values().forEach(Activations::close);
        }
        return out;
    }

    /** One batch: every consumer's rows, and the zero counts of the first consumer's input. */
    private void sampleBatch(List<Consumer> consumers, Map<String, INDArray> acts, Map<String, Reference> refRows,
                             Batch batch, NormalEquations contributions, Map<String, NormalEquations> full,
                             Map<String, List<NormalEquations>> groupedFull, Map<String, INDArray> weights, long[] zeros,
                             long[] zeroDenominator) {
        Map<String, Activations> readers = new HashMap<>();
        try {
            for (int ci = 0; ci < consumers.size(); ci++) {
                Consumer c = consumers.get(ci);
                Activations in = readers.computeIfAbsent(c.tensor, t -> Activations.of(acts.get(t)));
                Reference ref = refRows == null ? null : refRows.get(c.node.name());
                if (ci == 0) {
                    zeroDenominator[0] += countZeros(in, c, batch.n(), zeros);
                }
                NormalEquations fullNe = full.get(c.node.name());
                if (c.isConv()) {
                    sampleConv(c, ci, in, ref, batch, contributions, fullNe, groupedFull.get(c.node.name()), weights);
                } else {
                    sampleLinear(c, ci, in, ref, batch, contributions, fullNe, weights);
                }
            }
        } finally {
            readers.values().forEach(Activations::close);
        }
    }

    /**
     * Read access to an activation of any strides ([N, C, H, W] or [N, F]) through its memory, without
     * copying it (a copy is made only for a layout this class does not read directly).
     */
    static final class Activations implements AutoCloseable {
        private final FloatBuffer buf;
        private final int[] stride;
        private final INDArray copy;

        private Activations(INDArray a, INDArray copy) {
            this.copy = copy;
            this.buf = a.data().asNioFloat();
            long[] st = a.stride();
            this.stride = new int[st.length];
            for (int i = 0; i < st.length; i++) {
                stride[i] = Math.toIntExact(st[i]);
            }
        }

        static Activations of(INDArray a) {
            boolean direct = a.dataType() == DataType.FLOAT && a.offset() == 0 && a.data().originalDataBuffer() == null
                    && a.data().length() <= Integer.MAX_VALUE && (a.rank() == 2 || a.rank() == 4);
            if (direct) {
                return new Activations(a, null);
            }
            INDArray c = a.castTo(DataType.FLOAT).dup('c');
            return new Activations(c, c);
        }

        float get(int n, int c, int y, int x) {
            return buf.get(n * stride[0] + c * stride[1] + y * stride[2] + x * stride[3]);
        }

        float get(int n, int f) {
            return buf.get(n * stride[0] + f * stride[1]);
        }

        /** Whether the channel axis of a rank-4 activation is the innermost in memory (NHWC). */
        boolean channelsLast() {
            return stride.length == 4 && stride[1] == 1;
        }

        /**
         * Adds the zeros of channels [c0, c0 + z.length) of image i ([h, w] plane) to z, reading memory in order
         * (bulk copies of contiguous runs, branch-free counting).
         */
        void countZeros(int i, int c0, int h, int w, long[] z) {
            int channels = z.length;
            if (channelsLast()) {
                float[] run = new float[channels];
                int[] count = new int[channels];
                for (int y = 0; y < h; y++) {
                    int row = i * stride[0] + y * stride[2] + c0;
                    for (int x = 0; x < w; x++) {
                        buf.get(row + x * stride[3], run, 0, channels);
                        for (int j = 0; j < channels; j++) {
                            count[j] += run[j] == 0f ? 1 : 0;
                        }
                    }
                }
                for (int j = 0; j < channels; j++) {
                    z[j] += count[j];
                }
            } else if (stride[3] == 1) {
                float[] run = new float[w];
                for (int j = 0; j < channels; j++) {
                    int plane = i * stride[0] + (c0 + j) * stride[1];
                    int count = 0;
                    for (int y = 0; y < h; y++) {
                        buf.get(plane + y * stride[2], run, 0, w);
                        for (int x = 0; x < w; x++) {
                            count += run[x] == 0f ? 1 : 0;
                        }
                    }
                    z[j] += count;
                }
            } else {
                for (int j = 0; j < channels; j++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            z[j] += get(i, c0 + j, y, x) == 0f ? 1 : 0;
                        }
                    }
                }
            }
        }

        @Override
        public void close() {
            if (copy != null) {
                copy.close();
            }
        }
    }

    /** Adds zero counts per group channel; returns the number of activations per channel counted. */
    private static long countZeros(Activations in, Consumer c, int n, long[] zeros) {
        int channels = zeros.length;
        int offset = c.member.offset();
        int[] pos = c.pos;
        if (c.isConv()) {
            int h = c.inputShape[2];
            int w = c.inputShape[3];
            long[] z = new long[channels];
            for (int i = 0; i < n; i++) {
                if (offset >= 0) {
                    in.countZeros(i, offset, h, w, z);
                } else {
                    for (int j = 0; j < channels; j++) {
                        if (pos[j] < 0) {
                            continue; // this channel does not reach the consumer
                        }
                        for (int y = 0; y < h; y++) {
                            for (int x = 0; x < w; x++) {
                                z[j] += in.get(i, pos[j], y, x) == 0f ? 1 : 0;
                            }
                        }
                    }
                }
            }
            for (int j = 0; j < channels; j++) {
                zeros[j] += z[j];
            }
            return (long) n * h * w;
        }
        int perChannel = ((Member.ConsumerLinear) c.member).blockSize();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < channels; j++) {
                if (pos[j] < 0) {
                    continue;
                }
                int base = pos[j] * perChannel;
                long z = 0;
                for (int p = 0; p < perChannel; p++) {
                    if (in.get(i, base + p) == 0f) {
                        z++;
                    }
                }
                zeros[j] += z;
            }
        }
        return (long) n * perChannel;
    }

    /** A new dense float32 [rows, cols] array holding {@code v} (bulk copy). */
    private static INDArray floats(float[] v, long rows, long cols) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
        a.data().asNioFloat().put(v, 0, Math.toIntExact(rows * cols));
        return a;
    }

    /** A new dense float64 [rows, cols] array holding {@code v} (bulk copy). */
    private static INDArray doubles(double[] v, long rows, long cols) {
        INDArray a = Nd4j.createUninitialized(DataType.DOUBLE, rows, cols);
        a.data().asNioDouble().put(v, 0, Math.toIntExact(rows * cols));
        return a;
    }

    /** A generator for one (image, consumer): independent of batch size, fixed by the seed. */
    private SplittableRandom rng(long imageIndex, int consumerIndex) {
        long s = config.seed() * 0x9E3779B97F4A7C15L + imageIndex * 0xBF58476D1CE4E5B9L + consumerIndex * 0x94D049BB133111EBL;
        return new SplittableRandom(s);
    }

    /** The consumer's weights (or the reference's) as a float32 [outputs, n] array, made once per sampling run. */
    private static INDArray weightMatrix(Map<String, INDArray> cache, String key, float[] w, int outputs, int n) {
        return cache.computeIfAbsent(key, unused -> floats(w, outputs, n));
    }

    /** The output size of a conv consumer over its input [C, H, W]. */
    private static int[] outSize(Op.Conv conv, int[] inputShape) {
        int kh = conv.weight().dim(2);
        int kw = conv.weight().dim(3);
        return new int[]{
                Shapes.windowOut(inputShape[2], kh, conv.strides().h(), conv.pads().top(), conv.pads().bottom(),
                        conv.dilations().h(), false),
                Shapes.windowOut(inputShape[3], kw, conv.strides().w(), conv.pads().left(), conv.pads().right(),
                        conv.dilations().w(), false)};
    }

    /**
     * The reference side of a conv consumer's rows: the same draws as {@link #sampleConv}, each row's target
     * Σ_{j in group} Σ_k W_ref[o, j, k]·X_ref[j, …] and, for full statistics, the reference patches.
     */
    private Reference referenceConv(Consumer c, int ci, Activations refIn, Node refNode, Batch batch, int group,
                                    boolean withInputs) {
        Op.Conv conv = (Op.Conv) c.node.op();
        float[] refW = ((Op.Conv) refNode.op()).weight().data();
        int cin = c.inputShape[1];
        int kh = conv.weight().dim(2);
        int kw = conv.weight().dim(3);
        int kk = kh * kw;
        int cols = cin * kk;
        int cout = conv.outChannels();
        int per = conv.weight().dim(1);
        int rowsPerGroup = cout / conv.groups();
        int[] out = outSize(conv, c.inputShape);
        int groupChannels = group;
        int[] pos = c.pos;
        int points = config.pointsPerImage();
        int rows = batch.n() * points;
        double[] targets = new double[rows];
        float[] patches = withInputs ? new float[rows * cols] : null;
        float[] patch = new float[cols];
        int r = 0;
        for (int i = 0; i < batch.n(); i++) {
            SplittableRandom rng = rng(batch.offset() + i, ci);
            for (int p = 0; p < points; p++, r++) {
                int oy = rng.nextInt(out[0]);
                int ox = rng.nextInt(out[1]);
                int o = rng.nextInt(cout);
                gather(refIn, i, cin, c.inputShape[2], c.inputShape[3], conv, kh, kw, oy, ox, patch);
                double target = 0;
                int first = o / rowsPerGroup * per; // the first input channel of o's conv group
                for (int j = 0; j < groupChannels; j++) {
                    int ch = pos[j]; // −1 when the channel does not reach this consumer: skipped below
                    if (ch < first || ch >= first + per) {
                        continue;
                    }
                    int wb = (o * per + ch - first) * kk;
                    int pb = ch * kk;
                    for (int k = 0; k < kk; k++) {
                        target += (double) refW[wb + k] * patch[pb + k];
                    }
                }
                targets[r] = target;
                if (patches != null) {
                    System.arraycopy(patch, 0, patches, r * cols, cols);
                }
            }
        }
        return new Reference(targets, patches, refW);
    }

    private void sampleConv(Consumer c, int ci, Activations in, Reference ref, Batch batch,
                            NormalEquations contributions, NormalEquations full, List<NormalEquations> grouped,
                            Map<String, INDArray> weights) {
        Op.Conv conv = (Op.Conv) c.node.op();
        float[] w = conv.weight().data();
        int cin = c.inputShape[1];
        int kh = conv.weight().dim(2);
        int kw = conv.weight().dim(3);
        int kk = kh * kw;
        int cols = cin * kk;
        int cout = conv.outChannels();
        int per = conv.weight().dim(1);
        int rowsPerGroup = cout / conv.groups();
        int[] out = outSize(conv, c.inputShape);
        int groupChannels = contributions.features();
        int[] pos = c.pos;
        int points = config.pointsPerImage();
        int rows = batch.n() * points;
        double[] xhat = new double[rows * groupChannels];
        double[] yhat = new double[rows];
        float[] patches = full == null && grouped == null ? null : new float[rows * cols];
        float[] patch = new float[cols];
        int r = 0;
        for (int i = 0; i < batch.n(); i++) {
            SplittableRandom rng = rng(batch.offset() + i, ci);
            for (int p = 0; p < points; p++, r++) {
                int oy = rng.nextInt(out[0]);
                int ox = rng.nextInt(out[1]);
                int o = rng.nextInt(cout);
                gather(in, i, cin, c.inputShape[2], c.inputShape[3], conv, kh, kw, oy, ox, patch);
                double target = 0;
                int xr = r * groupChannels;
                int first = o / rowsPerGroup * per; // the first input channel of o's conv group (0 for groups = 1)
                for (int j = 0; j < groupChannels; j++) {
                    int ch = pos[j]; // −1 when the channel does not reach this consumer: skipped below
                    if (ch < first || ch >= first + per) {
                        xhat[xr + j] = 0; // another conv group's channel: no contribution to output o
                        continue;
                    }
                    double s = 0;
                    int wb = (o * per + ch - first) * kk;
                    int pb = ch * kk;
                    for (int k = 0; k < kk; k++) {
                        s += (double) w[wb + k] * patch[pb + k];
                    }
                    xhat[xr + j] = s;
                    target += s;
                }
                yhat[r] = ref == null ? target : ref.targets[r];
                if (patches != null) {
                    System.arraycopy(patch, 0, patches, r * cols, cols);
                }
            }
        }
        try (INDArray xs = doubles(xhat, rows, groupChannels);
             INDArray ys = doubles(yhat, rows, 1)) {
            contributions.accumulate(xs, ys);
        }
        if (full != null) {
            INDArray wt = ref == null ? weightMatrix(weights, c.node.name(), w, cout, cols)
                    : weightMatrix(weights, "ref:" + c.node.name(), ref.weights, cout, cols);
            accumulateFull(full, patches, ref == null ? null : ref.inputs, rows, cols, wt);
        }
        if (grouped != null) {
            // conv group q: the columns of its input channels, the targets of its filters
            int n = per * kk;
            float[] src = ref == null ? w : ref.weights;
            String key = (ref == null ? "" : "ref:") + c.node.name();
            for (int q = 0; q < grouped.size(); q++) {
                int q0 = q;
                INDArray wq = weights.computeIfAbsent(key + "#" + q, unused -> floats(java.util.Arrays.copyOfRange(src,
                        q0 * rowsPerGroup * n, (q0 + 1) * rowsPerGroup * n), rowsPerGroup, n));
                accumulateFull(grouped.get(q), columnBlock(patches, rows, cols, q * n, n),
                        ref == null ? null : columnBlock(ref.inputs, rows, cols, q * n, n), rows, n, wq);
            }
        }
    }

    /** Columns [c0, c0 + n) of a row-major [rows, cols] array, as a new row-major [rows, n] array. */
    private static float[] columnBlock(float[] a, int rows, int cols, int c0, int n) {
        float[] out = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * cols + c0, out, r * n, n);
        }
        return out;
    }

    /**
     * Unfolds the k_h×k_w window of every input channel under output position (oy, ox) of image i into
     * {@code patch} in [channel][k_y][k_x] order (zero outside the input), reading channel-innermost when the
     * activation is NHWC.
     */
    private static void gather(Activations in, int i, int cin, int h, int wd, Op.Conv conv, int kh, int kw, int oy,
                               int ox, float[] patch) {
        int sy = oy * conv.strides().h() - conv.pads().top();
        int sx = ox * conv.strides().w() - conv.pads().left();
        int dh = conv.dilations().h();
        int dw = conv.dilations().w();
        int kk = kh * kw;
        for (int ky = 0; ky < kh; ky++) {
            int iy = sy + ky * dh;
            for (int kx = 0; kx < kw; kx++) {
                int ix = sx + kx * dw;
                int q = ky * kw + kx;
                if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                    for (int ch = 0; ch < cin; ch++) {
                        patch[ch * kk + q] = in.get(i, ch, iy, ix);
                    }
                } else {
                    for (int ch = 0; ch < cin; ch++) {
                        patch[ch * kk + q] = 0f;
                    }
                }
            }
        }
    }

    /** The reference side of a linear consumer's rows (see {@link #referenceConv}). */
    private Reference referenceLinear(Consumer c, int ci, Activations refIn, Node refNode, Batch batch, int group,
                                      boolean withInputs) {
        Op.Linear lin = (Op.Linear) c.node.op();
        float[] refW = ((Op.Linear) refNode.op()).weight().data();
        int features = lin.inFeatures();
        int out = lin.outFeatures();
        int block = ((Member.ConsumerLinear) c.member).blockSize();
        int groupChannels = group;
        int[] pos = c.pos;
        int points = config.pointsPerImage();
        double[] targets = new double[batch.n() * points];
        int r = 0;
        for (int i = 0; i < batch.n(); i++) {
            SplittableRandom rng = rng(batch.offset() + i, ci);
            for (int p = 0; p < points; p++, r++) {
                int o = rng.nextInt(out);
                double refTarget = 0;
                for (int j = 0; j < groupChannels; j++) {
                    if (pos[j] < 0) {
                        continue;
                    }
                    int col = pos[j] * block;
                    double rs = 0;
                    for (int k = 0; k < block; k++) {
                        rs += (double) refW[o * features + col + k] * refIn.get(i, col + k);
                    }
                    refTarget += rs;
                }
                targets[r] = refTarget;
            }
        }
        return new Reference(targets, withInputs ? copyRows(refIn, batch.n(), features) : null, refW);
    }

    private void sampleLinear(Consumer c, int ci, Activations in, Reference ref, Batch batch,
                              NormalEquations contributions, NormalEquations full, Map<String, INDArray> weights) {
        Op.Linear lin = (Op.Linear) c.node.op();
        float[] w = lin.weight().data();
        int features = lin.inFeatures();
        int out = lin.outFeatures();
        int block = ((Member.ConsumerLinear) c.member).blockSize();
        int groupChannels = contributions.features();
        int[] pos = c.pos;
        int points = config.pointsPerImage();
        int rows = batch.n() * points;
        double[] xhat = new double[rows * groupChannels];
        double[] yhat = new double[rows];
        int r = 0;
        for (int i = 0; i < batch.n(); i++) {
            SplittableRandom rng = rng(batch.offset() + i, ci);
            for (int p = 0; p < points; p++, r++) {
                int o = rng.nextInt(out);
                double target = 0;
                for (int j = 0; j < groupChannels; j++) {
                    if (pos[j] < 0) {
                        xhat[r * groupChannels + j] = 0;
                        continue;
                    }
                    int col = pos[j] * block;
                    double s = 0;
                    for (int k = 0; k < block; k++) {
                        s += (double) w[o * features + col + k] * in.get(i, col + k);
                    }
                    xhat[r * groupChannels + j] = s;
                    target += s;
                }
                yhat[r] = ref == null ? target : ref.targets[r];
            }
        }
        try (INDArray xs = doubles(xhat, rows, groupChannels);
             INDArray ys = doubles(yhat, rows, 1)) {
            contributions.accumulate(xs, ys);
        }
        if (full != null) {
            float[] rowsIn = copyRows(in, batch.n(), features);
            INDArray wt = ref == null ? weightMatrix(weights, c.node.name(), w, out, features)
                    : weightMatrix(weights, "ref:" + c.node.name(), ref.weights, out, features);
            accumulateFull(full, rowsIn, ref == null ? null : ref.inputs, batch.n(), features, wt);
        }
    }

    private static float[] copyRows(Activations in, int n, int features) {
        float[] out = new float[n * features];
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < features; f++) {
                out[i * features + f] = in.get(i, f);
            }
        }
        return out;
    }

    /**
     * Adds rows X [m, n] with targets Y = X_target · Wᵀ [m, k] (no bias; one float32 product) to the full
     * normal equations.
     */
    private static void accumulateFull(NormalEquations full, float[] x, float[] refX, int m, int n, INDArray w) {
        try (INDArray xs = floats(x, m, n);
             INDArray tx = refX == null ? null : floats(refX, m, n);
             INDArray y = (tx == null ? xs : tx).mmul(w.transpose())) {
            full.accumulate(xs, y);
        }
    }
}
