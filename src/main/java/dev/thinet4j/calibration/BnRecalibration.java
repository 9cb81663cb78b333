package dev.thinet4j.calibration;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batch-norm re-calibration ("BN adaptation", as in NNCF): after channels were removed and the next layers
 * refitted, the activations reaching each BatchNormalization no longer have the mean and variance it stored.
 * This re-estimates them on calibration images and changes nothing else — no conv, linear or BN scale/shift.
 *
 * <p>For a BN node over C channels whose input x has shape [N, C, H, W] (or [N, C]), channel c's new statistics
 * are the training-mode ones over all M = N·H·W positions of all calibration images:
 * <pre>
 *   mean<sub>c</sub> = (1/M) Σ x<sub>n,c,h,w</sub>,      var<sub>c</sub> = (1/M) Σ (x<sub>n,c,h,w</sub> − mean<sub>c</sub>)²
 * </pre>
 * (the population variance, the one training-mode BN normalises with; PyTorch's running_var keeps the unbiased
 * M/(M−1) version, a relative difference below 1/M). They are accumulated batch by batch in float64: each batch
 * gives its per-channel count m<sub>b</sub>, mean μ<sub>b</sub> and M2<sub>b</sub> = Σ (x − μ<sub>b</sub>)² (two passes over the batch),
 * merged into the running (m, μ, M2) by Chan et al.'s rule m' = m + m<sub>b</sub>, δ = μ<sub>b</sub> − μ,
 * μ' = μ + δ·m<sub>b</sub>/m', M2' = M2 + M2<sub>b</sub> + δ²·m·m<sub>b</sub>/m', and var = M2/M at the end.
 *
 * <p><b>Order.</b> Re-calibrating a BN changes the input of every BN after it, so a BN's statistics are taken
 * with every BN upstream of it already re-calibrated — the same result as visiting the BNs one by one in
 * topological order. To save passes over the data, BNs are grouped by depth: a BN's pass is one more than the
 * largest pass of the BNs its input depends on, so BNs that do not depend on each other (for example the two
 * branches of a residual block) share a pass. Each pass taps the inputs of its BNs with
 * {@link InferenceEngine#forward(INDArray, java.util.Collection)}, which runs only the nodes they depend on.
 *
 * <p>A network without BatchNormalization nodes (BN folded into the convs at export) is returned unchanged
 * with {@link Result#recalibrated()} false, and the fact is logged.
 */
public final class BnRecalibration {
    private static final Logger LOG = LoggerFactory.getLogger(BnRecalibration.class);

    private BnRecalibration() {
    }

    /**
     * What re-calibration did.
     *
     * @param network      the network with new BN statistics (the input network itself when nothing was done)
     * @param recalibrated false when the network has no BatchNormalization node
     * @param batchNorms   names of the BN nodes whose statistics were re-estimated, in topological order
     * @param passes       passes over the calibration images
     * @param images       calibration images per pass
     */
    public record Result(Network network, boolean recalibrated, List<String> batchNorms, int passes, long images) {
        public Result {
            batchNorms = List.copyOf(batchNorms);
        }
    }

    /**
     * Re-estimates every BN node's mean and variance on {@code images}.
     *
     * @param net    the network. Not modified.
     * @param images calibration images, all of them used, once per pass
     * @param batch  images per forward pass, at least 1
     * @return the re-calibrated network and what was done
     * @throws IllegalArgumentException when the images do not fit the network input, there are none, or batch &lt; 1
     */
    public static Result recalibrate(Network net, ImageSource images, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batch);
        }
        var in = net.input();
        if (images.channels() != in.channels() || images.height() != in.height() || images.width() != in.width()) {
            throw new IllegalArgumentException("calibration images are " + images.channels() + "x" + images.height()
                    + "x" + images.width() + " but model input '" + in.name() + "' expects " + in.channels() + "x"
                    + in.height() + "x" + in.width());
        }
        List<Node> bns = net.nodesOf(Op.BatchNorm.class);
        if (bns.isEmpty()) {
            LOG.info("network '{}' has no BatchNormalization node (folded at export?): nothing to re-calibrate",
                    net.name());
            return new Result(net, false, List.of(), 0, 0);
        }
        Map<Integer, List<Node>> byPass = passes(net);
        Network current = net;
        long seen = 0;
        for (Map.Entry<Integer, List<Node>> e : byPass.entrySet()) {
            List<Node> pass = e.getValue();
            Map<String, Moments> moments = new LinkedHashMap<>();
            for (Node bn : pass) {
                moments.putIfAbsent(bn.input(), new Moments(((Op.BatchNorm) bn.op()).channels()));
            }
            seen = 0;
            try (InferenceEngine engine = new InferenceEngine(current)) {
                for (Batch b : images.batches(batch)) {
                    Map<String, INDArray> taps;
                    try (INDArray x = b.toINDArray()) {
                        taps = engine.forward(x, moments.keySet());
                    }
                    try {
                        for (Map.Entry<String, Moments> m : moments.entrySet()) {
                            m.getValue().add(taps.get(m.getKey()), m.getKey());
                        }
                    } finally {
                        taps.values().forEach(INDArray::close);
                    }
                    seen += b.n();
                }
            }
            if (seen == 0) {
                throw new IllegalArgumentException("no calibration images to re-calibrate batch normalisation with");
            }
            Map<String, Node> replaced = new HashMap<>();
            for (Node bn : pass) {
                Op.BatchNorm op = (Op.BatchNorm) bn.op();
                Moments m = moments.get(bn.input());
                replaced.put(bn.name(), bn.withOp(new Op.BatchNorm(op.scale(), op.bias(),
                        Tensor.of(m.meanAsFloat(), op.channels()), Tensor.of(m.varianceAsFloat(), op.channels()),
                        op.epsilon())));
            }
            current = current.replace(replaced);
            LOG.debug("BN re-calibration pass {}/{}: {} on {} images", e.getKey(), byPass.size(),
                    pass.stream().map(Node::name).toList(), seen);
        }
        List<String> names = bns.stream().map(Node::name).toList();
        LOG.info("re-calibrated {} BatchNormalization nodes of '{}' on {} images in {} passes", names.size(),
                net.name(), seen, byPass.size());
        return new Result(current, true, names, byPass.size(), seen);
    }

    /**
     * BN nodes by pass: pass(bn) = 1 + the largest pass of a BN among the ancestors of its input (0 if none).
     *
     * @return pass number → BN nodes in topological order, passes ascending
     */
    static Map<Integer, List<Node>> passes(Network net) {
        Map<String, Integer> depth = new HashMap<>();
        depth.put(net.input().name(), 0);
        Map<Integer, List<Node>> out = new java.util.TreeMap<>();
        for (Node n : net.nodes()) {
            int d = 0;
            for (String i : n.inputs()) {
                d = Math.max(d, depth.get(i));
            }
            if (n.op() instanceof Op.BatchNorm) {
                d++;
                out.computeIfAbsent(d, k -> new ArrayList<>()).add(n);
            }
            depth.put(n.name(), d);
        }
        return out;
    }

    /** Per-channel count, mean and sum of squared deviations, merged batch by batch (Chan et al.). */
    static final class Moments {
        private final int channels;
        private final double[] mean;
        private final double[] m2;
        private long count;

        Moments(int channels) {
            this.channels = channels;
            this.mean = new double[channels];
            this.m2 = new double[channels];
        }

        /** Adds a [N, C, …] batch. Not modified. */
        void add(INDArray x, String tensor) {
            long[] s = x.shape();
            if (s.length < 2 || s[1] != channels) {
                throw new IllegalArgumentException("batch normalisation over " + channels + " channels reads '"
                        + tensor + "' of shape " + java.util.Arrays.toString(s));
            }
            int n = (int) s[0];
            int per = 1;
            for (int i = 2; i < s.length; i++) {
                per *= (int) s[i];
            }
            INDArray f = x.dataType() == DataType.FLOAT && x.ordering() == 'c' && !x.isView() ? x
                    : x.castTo(DataType.FLOAT).dup('c');
            float[] v = f.data().asFloat();
            if (f != x) {
                f.close();
            }
            long mb = (long) n * per;
            for (int c = 0; c < channels; c++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * channels + c) * per;
                    for (int p = 0; p < per; p++) {
                        sum += v[base + p];
                    }
                }
                double mu = sum / mb;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * channels + c) * per;
                    for (int p = 0; p < per; p++) {
                        double d = v[base + p] - mu;
                        sq += d * d;
                    }
                }
                long total = count + mb;
                double delta = mu - mean[c];
                mean[c] += delta * mb / total;
                m2[c] += sq + delta * delta * ((double) count * mb / total);
            }
            count += mb;
        }

        float[] meanAsFloat() {
            float[] out = new float[channels];
            for (int c = 0; c < channels; c++) {
                out[c] = (float) mean[c];
            }
            return out;
        }

        float[] varianceAsFloat() {
            float[] out = new float[channels];
            for (int c = 0; c < channels; c++) {
                out[c] = (float) Math.max(0.0, m2[c] / count);
            }
            return out;
        }
    }
}
