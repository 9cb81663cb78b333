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
 * input), and the target ŷ = Σ_j x̂_j. For a linear consumer after Flatten, channel j owns the H·W
 * columns of its block and a sample is one image and one output neuron. Rows are accumulated into
 * {@link NormalEquations} batch by batch, so memory does not grow with the number of images.
 *
 * <p>With a reference network (the unpruned original), targets come from it instead: the same
 * (image, location, channel) evaluated with the original consumer weights on the original input, so
 * errors do not accumulate from layer to layer.
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
    private record Consumer(Member member, Node node, String tensor, int[] inputShape) {
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
        Network net = engine.network();
        Map<String, int[]> shapes = net.shapes(1);
        List<Consumer> consumers = new ArrayList<>();
        for (Member m : group.consumers()) {
            Node n = net.node(m.node());
            String tensor = n.input();
            consumers.add(new Consumer(m, n, tensor, shapes.get(tensor)));
        }
        if (consumers.isEmpty()) {
            throw new IllegalArgumentException("group " + group.describe() + " has no consumer layer to sample");
        }
        Map<String, Node> refNodes = new HashMap<>();
        if (reference != null) {
            for (Consumer c : consumers) {
                Node r = reference.network().findNode(c.node.name()).orElseThrow(() -> new IllegalArgumentException(
                        "reference network has no node '" + c.node.name() + "'"));
                int[] rs = reference.network().shapes(1).get(r.input());
                if (!java.util.Arrays.equals(rs, c.inputShape) || !sameWeightShape(r.op(), c.node.op())) {
                    throw new IllegalArgumentException("consumer '" + c.node.name() + "' reads " + Shapes.format(c.inputShape)
                            + " in the current network but " + Shapes.format(rs)
                            + " in the reference network; targets from the original network need the same input width");
                }
                refNodes.put(c.node.name(), r);
            }
        }
        int groupChannels = group.channels();
        NormalEquations contributions = new NormalEquations(groupChannels, 1);
        Map<String, NormalEquations> full = new LinkedHashMap<>();
        if (config.full()) {
            for (Consumer c : consumers) {
                int n = fullColumns(c);
                if (n > MAX_FULL_COLUMNS) {
                    throw new IllegalArgumentException("full reconstruction of '" + c.node.name() + "' needs " + n
                            + " columns (more than " + MAX_FULL_COLUMNS + "); use scale reconstruction for this layer");
                }
                full.put(c.node.name(), new NormalEquations(n, outputs(c)));
            }
        }
        long[] zeros = new long[groupChannels];
        long zeroDenominator = 0;
        Set<String> taps = new LinkedHashSet<>();
        consumers.forEach(c -> taps.add(c.tensor));
        long seen = 0;
        for (Batch batch : images.batches(config.batchSize())) {
            Map<String, INDArray> acts;
            Map<String, INDArray> refActs = null;
            try (INDArray x = batch.toINDArray()) {
                acts = engine.forward(x, taps);
                if (reference != null) {
                    refActs = reference.forward(x, taps);
                }
            }
            try {
                for (int ci = 0; ci < consumers.size(); ci++) {
                    Consumer c = consumers.get(ci);
                    float[] in = floats(acts.get(c.tensor));
                    float[] refIn = refActs == null ? null : floats(refActs.get(c.tensor));
                    Node refNode = refNodes.get(c.node.name());
                    if (ci == 0) {
                        zeroDenominator += countZeros(in, c, batch.n(), zeros);
                    }
                    sampleConsumer(c, ci, in, refIn, refNode, batch, contributions, full.get(c.node.name()));
                }
            } finally {
                acts.values().forEach(INDArray::close);
                if (refActs != null) {
                    refActs.values().forEach(INDArray::close);
                }
            }
            seen += batch.n();
            LOG.debug("sampled {} images for group {}", seen, group.describe());
        }
        if (seen == 0) {
            throw new IllegalArgumentException("no calibration images to sample group " + group.describe());
        }
        double[] apoz = new double[groupChannels];
        for (int j = 0; j < groupChannels; j++) {
            apoz[j] = zeroDenominator == 0 ? 0 : (double) zeros[j] / zeroDenominator;
        }
        return new GroupStatistics(contributions, full, apoz, seen);
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

    private static boolean sameWeightShape(Op a, Op b) {
        if (a instanceof Op.Conv ca && b instanceof Op.Conv cb) {
            return java.util.Arrays.equals(ca.weight().shape(), cb.weight().shape());
        }
        if (a instanceof Op.Linear la && b instanceof Op.Linear lb) {
            return java.util.Arrays.equals(la.weight().shape(), lb.weight().shape());
        }
        return false;
    }

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

    private static float[] floats(INDArray a) {
        INDArray f = a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView() ? a : a.castTo(DataType.FLOAT).dup('c');
        float[] out = f.data().asFloat();
        if (f != a) {
            f.close();
        }
        return out;
    }

    /** Adds zero counts per group channel; returns the number of activations per channel counted. */
    private static long countZeros(float[] in, Consumer c, int n, long[] zeros) {
        int channels = zeros.length;
        int offset = c.member.offset();
        int perChannel;
        int total;
        if (c.isConv()) {
            perChannel = c.inputShape[2] * c.inputShape[3];
            total = c.inputShape[1];
        } else {
            perChannel = ((Member.ConsumerLinear) c.member).blockSize();
            total = c.inputShape[1] / perChannel;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < channels; j++) {
                int base = (i * total + offset + j) * perChannel;
                long z = 0;
                for (int p = 0; p < perChannel; p++) {
                    if (in[base + p] == 0f) {
                        z++;
                    }
                }
                zeros[j] += z;
            }
        }
        return (long) n * perChannel;
    }

    /** A generator for one (image, consumer): independent of batch size, fixed by the seed. */
    private SplittableRandom rng(long imageIndex, int consumerIndex) {
        long s = config.seed() * 0x9E3779B97F4A7C15L + imageIndex * 0xBF58476D1CE4E5B9L + consumerIndex * 0x94D049BB133111EBL;
        return new SplittableRandom(s);
    }

    private void sampleConsumer(Consumer c, int ci, float[] in, float[] refIn, Node refNode, Batch batch,
                                NormalEquations contributions, NormalEquations full) {
        if (c.isConv()) {
            sampleConv(c, ci, in, refIn, refNode, batch, contributions, full);
        } else {
            sampleLinear(c, ci, in, refIn, refNode, batch, contributions, full);
        }
    }

    private void sampleConv(Consumer c, int ci, float[] in, float[] refIn, Node refNode, Batch batch,
                            NormalEquations contributions, NormalEquations full) {
        Op.Conv conv = (Op.Conv) c.node.op();
        float[] w = conv.weight().data();
        float[] refW = refNode == null ? null : ((Op.Conv) refNode.op()).weight().data();
        int cin = c.inputShape[1];
        int h = c.inputShape[2];
        int wd = c.inputShape[3];
        int kh = conv.weight().dim(2);
        int kw = conv.weight().dim(3);
        int kk = kh * kw;
        int cout = conv.outChannels();
        int ho = Shapes.windowOut(h, kh, conv.strides().h(), conv.pads().top(), conv.pads().bottom(), conv.dilations().h(), false);
        int wo = Shapes.windowOut(wd, kw, conv.strides().w(), conv.pads().left(), conv.pads().right(), conv.dilations().w(), false);
        int groupChannels = contributions.features();
        int offset = c.member.offset();
        int points = config.pointsPerImage();
        int rows = batch.n() * points;
        double[][] xhat = new double[rows][groupChannels];
        double[][] yhat = new double[rows][1];
        float[] patches = full == null ? null : new float[rows * cin * kk];
        float[] refPatches = full == null || refIn == null ? null : new float[rows * cin * kk];
        float[] patch = new float[cin * kk];
        float[] refPatch = refIn == null ? null : new float[cin * kk];
        int r = 0;
        for (int i = 0; i < batch.n(); i++) {
            SplittableRandom rng = rng(batch.offset() + i, ci);
            for (int p = 0; p < points; p++, r++) {
                int oy = rng.nextInt(ho);
                int ox = rng.nextInt(wo);
                int o = rng.nextInt(cout);
                gather(in, i, cin, h, wd, conv, kh, kw, oy, ox, patch);
                double target = 0;
                for (int j = 0; j < groupChannels; j++) {
                    int ch = offset + j;
                    double s = 0;
                    int wb = (o * cin + ch) * kk;
                    int pb = ch * kk;
                    for (int k = 0; k < kk; k++) {
                        s += (double) w[wb + k] * patch[pb + k];
                    }
                    xhat[r][j] = s;
                    target += s;
                }
                if (refIn != null) {
                    gather(refIn, i, cin, h, wd, conv, kh, kw, oy, ox, refPatch);
                    target = 0;
                    for (int j = 0; j < groupChannels; j++) {
                        int ch = offset + j;
                        int wb = (o * cin + ch) * kk;
                        int pb = ch * kk;
                        for (int k = 0; k < kk; k++) {
                            target += (double) refW[wb + k] * refPatch[pb + k];
                        }
                    }
                }
                yhat[r][0] = target;
                if (patches != null) {
                    System.arraycopy(patch, 0, patches, r * cin * kk, cin * kk);
                    if (refPatches != null) {
                        System.arraycopy(refPatch, 0, refPatches, r * cin * kk, cin * kk);
                    }
                }
            }
        }
        contributions.accumulate(xhat, yhat);
        if (full != null) {
            accumulateFull(full, patches, refPatches, rows, cin * kk, conv.weight().data(), refW, cout);
        }
    }

    /** Unfolds the k_h×k_w window of every input channel under output position (oy, ox) of image i. */
    private static void gather(float[] in, int i, int cin, int h, int wd, Op.Conv conv, int kh, int kw, int oy, int ox,
                               float[] patch) {
        int sy = oy * conv.strides().h() - conv.pads().top();
        int sx = ox * conv.strides().w() - conv.pads().left();
        int dh = conv.dilations().h();
        int dw = conv.dilations().w();
        int q = 0;
        for (int ch = 0; ch < cin; ch++) {
            int base = (i * cin + ch) * h * wd;
            for (int ky = 0; ky < kh; ky++) {
                int iy = sy + ky * dh;
                for (int kx = 0; kx < kw; kx++) {
                    int ix = sx + kx * dw;
                    patch[q++] = iy >= 0 && iy < h && ix >= 0 && ix < wd ? in[base + iy * wd + ix] : 0f;
                }
            }
        }
    }

    private void sampleLinear(Consumer c, int ci, float[] in, float[] refIn, Node refNode, Batch batch,
                              NormalEquations contributions, NormalEquations full) {
        Op.Linear lin = (Op.Linear) c.node.op();
        float[] w = lin.weight().data();
        float[] refW = refNode == null ? null : ((Op.Linear) refNode.op()).weight().data();
        int features = lin.inFeatures();
        int out = lin.outFeatures();
        int block = ((Member.ConsumerLinear) c.member).blockSize();
        int groupChannels = contributions.features();
        int offset = c.member.offset();
        int points = config.pointsPerImage();
        int rows = batch.n() * points;
        double[][] xhat = new double[rows][groupChannels];
        double[][] yhat = new double[rows][1];
        int r = 0;
        for (int i = 0; i < batch.n(); i++) {
            SplittableRandom rng = rng(batch.offset() + i, ci);
            for (int p = 0; p < points; p++, r++) {
                int o = rng.nextInt(out);
                double target = 0;
                double refTarget = 0;
                for (int j = 0; j < groupChannels; j++) {
                    int col = (offset + j) * block;
                    double s = 0;
                    double rs = 0;
                    for (int k = 0; k < block; k++) {
                        s += (double) w[o * features + col + k] * in[i * features + col + k];
                        if (refIn != null) {
                            rs += (double) refW[o * features + col + k] * refIn[i * features + col + k];
                        }
                    }
                    xhat[r][j] = s;
                    target += s;
                    refTarget += rs;
                }
                yhat[r][0] = refIn == null ? target : refTarget;
            }
        }
        contributions.accumulate(xhat, yhat);
        if (full != null) {
            float[] rowsIn = java.util.Arrays.copyOf(in, batch.n() * features);
            float[] refRows = refIn == null ? null : java.util.Arrays.copyOf(refIn, batch.n() * features);
            accumulateFull(full, rowsIn, refRows, batch.n(), features, w, refW, out);
        }
    }

    /** Adds rows X [m, n] with targets Y = X_target · Wᵀ [m, k] (no bias) to the full normal equations. */
    private static void accumulateFull(NormalEquations full, float[] x, float[] refX, int m, int n, float[] w,
                                       float[] refW, int k) {
        try (INDArray xs = Nd4j.create(x, new long[]{m, n}, 'c');
             INDArray wt = Nd4j.create(refW == null ? w : refW, new long[]{k, n}, 'c');
             INDArray tx = refX == null ? null : Nd4j.create(refX, new long[]{m, n}, 'c');
             INDArray y = (tx == null ? xs : tx).mmul(wt.transpose())) {
            full.accumulate(xs, y);
        }
    }
}
