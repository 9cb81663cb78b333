package dev.thinet4j.head;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.reconstruction.LeastSquares;
import dev.thinet4j.reconstruction.LeastSquaresSolution;
import dev.thinet4j.sampling.NormalEquations;
import org.ejml.data.DMatrixRMaj;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * ThiNet-GAP: replaces a VGG-style fully connected classifier head by global average pooling and one
 * linear layer.
 *
 * <p>The head is found by walking back from the network's first output over Linear (Gemm), ReLU,
 * LeakyReLU, Clip, Sigmoid, Identity (inference Dropout) and rank-2 BatchNorm nodes to a Flatten of an
 * [N, C, H, W] feature tensor F (a trailing Softmax is kept; a GlobalAveragePool right before the Flatten
 * is replaced too). The nodes from the Flatten to the logits are replaced by
 * <pre>
 *   g = GAP(F) ∈ ℝᶜ,  g<sub>c</sub> = (1/HW) Σ<sub>h,w</sub> F<sub>c,h,w</sub>;   Flatten;   z' = W g + b,  W ∈ ℝ<sup>K×C</sup>
 * </pre>
 * with the new GlobalAveragePool node named {@code gap} (made unique), the Flatten keeping the old
 * Flatten's name and the linear layer the old logits node's name, so the network's output names stay.
 *
 * <p>Least-squares initialisation ({@link HeadInit#LEAST_SQUARES}): for m calibration images with GAP
 * features gᵢ and original logits zᵢ (from the unchanged network), W and b minimise
 * <pre>
 *   Σᵢ ‖zᵢ − W gᵢ − b‖² + λ‖W‖²<sub>F</sub>,   λ = ρ · (1/C) Σ<sub>c</sub> (Σᵢ g<sub>ic</sub>² − (Σᵢ g<sub>ic</sub>)²/m)
 * </pre>
 * (ρ the relative ridge of {@link GapHeadOptions}, the bias not penalised). With the augmented feature
 * ĝ = [g; 1] and Θ = [Wᵀ; bᵀ] the solution is (Σ ĝĝᵀ + λD) Θ = Σ ĝ zᵀ, D = diag(1, …, 1, 0): the sums
 * are accumulated batch by batch in float64 ({@link NormalEquations}, memory O(C² + CK) whatever m is)
 * and solved by {@link LeastSquares} (Cholesky, pseudo-inverse fallback). The fit is exact when the old
 * logits are an affine function of the GAP features and m ≥ C + 1.
 */
public final class HeadReplacement {
    private static final Logger LOG = LoggerFactory.getLogger(HeadReplacement.class);

    private HeadReplacement() {
    }

    /**
     * Finds the fully connected head of a network.
     *
     * @param net the network. Not modified.
     * @return the head
     * @throws IllegalArgumentException naming the node and op met when the network's first output is not
     *                                  reached from a Flatten of a spatial tensor through head ops only, when
     *                                  the head holds no Linear, or when another node reads a head tensor
     */
    public static ClassifierHead find(Network net) {
        String out = net.outputs().get(0);
        String where = "network '" + net.name() + "' has no Flatten -> Linear classifier head to replace";
        Node node = net.producer(out).orElseThrow(() -> new IllegalArgumentException(where + ": its output '" + out
                + "' is the network input"));
        String softmax = null;
        if (node.op() instanceof Op.Softmax) {
            softmax = node.name();
            node = producerOf(net, node, where);
        }
        List<Node> chain = new ArrayList<>();
        while (!(node.op() instanceof Op.Flatten)) {
            if (!isHeadOp(node.op())) {
                throw new IllegalArgumentException(where + ": walking back from output '" + out + "' met node '"
                        + node.name() + "' (" + node.op().onnxType() + ") before any Flatten; a head may hold only"
                        + " Gemm, Relu, LeakyRelu, Clip, Sigmoid, Dropout/Identity and BatchNormalization after the"
                        + " Flatten");
            }
            chain.add(0, node);
            node = producerOf(net, node, where);
        }
        Node flatten = node;
        if (chain.stream().noneMatch(n -> n.op() instanceof Op.Linear)) {
            throw new IllegalArgumentException(where + ": no Gemm (Linear) between Flatten '" + flatten.name()
                    + "' and output '" + out + "'");
        }
        Map<String, int[]> shapes = net.shapes(1);
        String features = flatten.input();
        int[] fs = shapes.get(features);
        if (fs.length != 4) {
            throw new IllegalArgumentException(where + ": Flatten '" + flatten.name() + "' reads '" + features
                    + "' of shape " + Arrays.toString(fs) + ", not a spatial [N, C, H, W] tensor");
        }
        List<Node> replaced = new ArrayList<>();
        Node gap = net.producer(features).orElse(null);
        if (gap != null && gap.op() instanceof Op.GlobalAvgPool && net.consumers(features).size() == 1) {
            replaced.add(gap);
            features = gap.input();
        }
        replaced.add(flatten);
        replaced.addAll(chain);
        Set<String> names = new HashSet<>();
        replaced.forEach(n -> names.add(n.name()));
        if (softmax != null) {
            names.add(softmax);
        }
        Node logits = chain.get(chain.size() - 1);
        for (Node n : replaced) {
            for (Node consumer : net.consumers(n.name())) {
                if (!names.contains(consumer.name())) {
                    throw new IllegalArgumentException(where + ": head node '" + n.name() + "' ("
                            + n.op().onnxType() + ") is also read by '" + consumer.name() + "' ("
                            + consumer.op().onnxType() + "), outside the head");
                }
            }
            if (n != logits && net.outputs().contains(n.name())) {
                throw new IllegalArgumentException(where + ": head node '" + n.name() + "' ("
                        + n.op().onnxType() + ") is a network output besides '" + out + "'");
            }
        }
        int[] ls = shapes.get(logits.name());
        return new ClassifierHead(features, replaced.stream().map(Node::name).toList(), logits.name(), softmax,
                shapes.get(features)[1], ls[ls.length - 1]);
    }

    private static Node producerOf(Network net, Node node, String where) {
        return net.producer(node.input()).orElseThrow(() -> new IllegalArgumentException(where + ": walking back"
                + " from output '" + net.outputs().get(0) + "' reached the network input '" + node.input()
                + "' without finding a Flatten"));
    }

    private static boolean isHeadOp(Op op) {
        return op instanceof Op.Linear || op instanceof Op.Relu || op instanceof Op.LeakyRelu || op instanceof Op.Clip
                || op instanceof Op.Sigmoid || op instanceof Op.Identity || op instanceof Op.BatchNorm;
    }

    /**
     * The network with {@code head} replaced by GlobalAveragePool → Flatten → {@code linear} (structure only).
     *
     * @param net    the network. Not modified.
     * @param head   its head, from {@link #find}
     * @param linear the new linear layer, weight [K, C]
     * @return the new network; its output names are unchanged
     * @throws IllegalArgumentException naming both shapes when {@code linear} is not [K, C] for the head
     */
    public static Network replace(Network net, ClassifierHead head, Op.Linear linear) {
        if (linear.inFeatures() != head.channels() || linear.outFeatures() != head.classes()) {
            throw new IllegalArgumentException("the GAP head's linear layer must be [" + head.classes() + ", "
                    + head.channels() + "] for head '" + head.logits() + "' over '" + head.features()
                    + "', got " + Arrays.toString(linear.weight().shape()));
        }
        Set<String> removed = new HashSet<>(head.nodes());
        String first = head.nodes().get(0);
        String gapName = gapName(net, head);
        String flattenName = head.nodes().stream().filter(n -> net.node(n).op() instanceof Op.Flatten).findFirst()
                .orElseThrow();
        List<Node> nodes = new ArrayList<>();
        for (Node n : net.nodes()) {
            if (n.name().equals(first)) {
                nodes.add(new Node(gapName, new Op.GlobalAvgPool(), List.of(head.features())));
                nodes.add(new Node(flattenName, new Op.Flatten(1), List.of(gapName)));
                nodes.add(new Node(head.logits(), linear, List.of(flattenName)));
            } else if (!removed.contains(n.name())) {
                nodes.add(n);
            }
        }
        Network out = net.withNodes(nodes);
        out.shapes(1);
        return out;
    }

    private static String unique(Network net, Set<String> free, String base) {
        String name = base;
        for (int i = 1; net.findNode(name).isPresent() && !free.contains(name)
                || name.equals(net.input().name()); i++) {
            name = base + "_" + i;
        }
        return name;
    }

    /**
     * {@link #toGapHead(Network, ImageSource, GapHeadOptions, long, int)} with seed 1 and batches of 32.
     *
     * @param net         the network. Not modified.
     * @param calibration images for the least-squares fit (not closed)
     * @param options     init, images and ridge
     * @return the network with the GAP head and what was done
     */
    public static GapHeadResult toGapHead(Network net, ImageSource calibration, GapHeadOptions options) {
        return toGapHead(net, calibration, options, 1, 32);
    }

    /**
     * Replaces the fully connected head by GlobalAveragePool → Flatten → Linear(C, K) and initialises the
     * linear layer as {@code options} says (least squares: see the class description).
     *
     * @param net         the network. Not modified.
     * @param calibration images for the least-squares fit, of the network's input shape (not closed; may be
     *                    null for the zero and random inits); {@code options.images()} of them are drawn at
     *                    random (seeded) when it holds more
     * @param options     init, images and ridge
     * @param seed        seed of the image draw and of the random init
     * @param batchSize   images per forward pass, at least 1
     * @return the network with the GAP head and what was done
     * @throws IllegalArgumentException when the network has no such head (see {@link #find}), or the
     *                                  calibration images are missing or do not fit the network's input
     */
    public static GapHeadResult toGapHead(Network net, ImageSource calibration, GapHeadOptions options, long seed,
                                          int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        ClassifierHead head = find(net);
        int c = head.channels();
        int k = head.classes();
        switch (options.init()) {
            case ZERO:
                return new GapHeadResult(replace(net, head, new Op.Linear(Tensor.zeros(k, c), Tensor.zeros(k))),
                        head, gapName(net, head), HeadInit.ZERO, 0, Double.NaN, Double.NaN);
            case RANDOM: {
                Random r = new Random(seed);
                double bound = 1 / Math.sqrt(c);
                float[] w = new float[k * c];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) ((2 * r.nextDouble() - 1) * bound);
                }
                float[] b = new float[k];
                for (int i = 0; i < k; i++) {
                    b[i] = (float) ((2 * r.nextDouble() - 1) * bound);
                }
                return new GapHeadResult(replace(net, head, new Op.Linear(Tensor.of(w, k, c), Tensor.of(b, k))),
                        head, gapName(net, head), HeadInit.RANDOM, 0, Double.NaN, Double.NaN);
            }
            default:
                return leastSquares(net, head, calibration, options, seed, batchSize);
        }
    }

    private static String gapName(Network net, ClassifierHead head) {
        String first = head.nodes().get(0);
        return net.node(first).op() instanceof Op.GlobalAvgPool ? first
                : unique(net, new HashSet<>(head.nodes()), "gap");
    }

    /**
     * Refits the linear layer of a network that already has a GAP head (e.g. after its convs were pruned) by the
     * least squares of the class description, with the features g from {@code net} and the targets z from the
     * first output of {@code reference} (e.g. the original network) on the same images — so the head absorbs
     * what pruning changed in the features.
     *
     * @param net         a network whose head is GlobalAveragePool → Flatten → Linear. Not modified.
     * @param reference   the network whose logits the head is fitted to; same input shape, same class count.
     *                    Not modified.
     * @param calibration images, drawn as in {@link #toGapHead(Network, ImageSource, GapHeadOptions, long, int)}
     * @param options     images and ridge (the init is ignored)
     * @param seed        seed of the image draw
     * @param batchSize   images per forward pass, at least 1
     * @return the network with the refitted linear layer (same node names and shapes)
     * @throws IllegalArgumentException when {@code net} has no GAP head with one Linear, or the reference's output
     *                                  is not [N, K] for the head's K classes
     */
    public static GapHeadResult refit(Network net, Network reference, ImageSource calibration, GapHeadOptions options,
                                      long seed, int batchSize) {
        ClassifierHead head = find(net);
        if (head.nodes().size() != 3 || !(net.node(head.nodes().get(0)).op() instanceof Op.GlobalAvgPool)
                || !(net.node(head.logits()).op() instanceof Op.Linear)) {
            throw new IllegalArgumentException("network '" + net.name() + "' has no GAP head to refit: its head is "
                    + head.nodes() + ", expected GlobalAveragePool -> Flatten -> Gemm");
        }
        int[] z = reference.shapes(1).get(reference.outputs().get(0));
        if (z.length != 2 || z[1] != head.classes()) {
            throw new IllegalArgumentException("reference '" + reference.name() + "' output '"
                    + reference.outputs().get(0) + "' is " + Arrays.toString(z) + ", not [N, " + head.classes()
                    + "] like the head '" + head.logits() + "' of '" + net.name() + "'");
        }
        return leastSquares(net, reference, head, calibration, options, seed, batchSize);
    }

    private static GapHeadResult leastSquares(Network net, ClassifierHead head, ImageSource calibration,
                                              GapHeadOptions options, long seed, int batchSize) {
        return leastSquares(net, null, head, calibration, options, seed, batchSize);
    }

    /** Fits the new head: features from {@code net}, targets from {@code reference}'s output (null: net's logits). */
    private static GapHeadResult leastSquares(Network net, Network reference, ClassifierHead head,
                                              ImageSource calibration, GapHeadOptions options, long seed,
                                              int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (calibration == null) {
            throw new IllegalArgumentException("the least-squares init of the GAP head of '" + net.name()
                    + "' needs calibration images");
        }
        var in = net.input();
        if (calibration.channels() != in.channels() || calibration.height() != in.height()
                || calibration.width() != in.width()) {
            throw new IllegalArgumentException("calibration images are " + calibration.channels() + "x"
                    + calibration.height() + "x" + calibration.width() + " but model input '" + in.name()
                    + "' expects " + in.channels() + "x" + in.height() + "x" + in.width());
        }
        int size = calibration.size();
        ImageSource images = size > options.images() ? ImageSources.sample(calibration, options.images(), seed)
                : size < 0 ? ImageSources.limit(calibration, options.images()) : calibration;
        int c = head.channels();
        int k = head.classes();
        NormalEquations ne = new NormalEquations(c, k);
        List<String> taps = reference == null ? List.of(head.features(), head.logits()) : List.of(head.features());
        try (InferenceEngine engine = new InferenceEngine(net);
             InferenceEngine targets = reference == null ? null : new InferenceEngine(reference)) {
            for (Batch b : images.batches(batchSize)) {
                try (INDArray x = b.toINDArray();
                     INDArray ref = targets == null ? null : targets.forward(x)) {
                    engine.withTensors(x, taps, t -> {
                        try (INDArray f = t.get(head.features()).castTo(DataType.DOUBLE);
                             INDArray g = f.mean(2, 3);
                             INDArray z = (ref != null ? ref : t.get(head.logits())).castTo(DataType.DOUBLE)) {
                            ne.accumulate(g, z);
                        }
                        return null;
                    });
                }
            }
        }
        long m = ne.count();
        if (m < c + 1) {
            LOG.warn("GAP head of '{}': {} calibration images for {} unknowns per class; the ridge decides the fit",
                    net.name(), m, c + 1);
        }
        double[] sx = ne.sumX();
        double spread = 0;
        for (int i = 0; i < c; i++) {
            spread += Math.max(0, ne.xtx(i, i) - sx[i] * sx[i] / m);
        }
        double lambda = options.ridge() * spread / c;
        int[] all = java.util.stream.IntStream.range(0, c).toArray();
        LeastSquaresSolution sol = LeastSquares.solve(ne, all, lambda, true);
        DMatrixRMaj theta = sol.weights();
        float[] w = new float[k * c];
        float[] b = new float[k];
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < c; i++) {
                w[j * c + i] = (float) theta.get(i, j);
            }
            b[j] = (float) theta.get(c, j);
        }
        Op.Linear linear = new Op.Linear(Tensor.of(w, k, c), Tensor.of(b, k));
        Network out = reference == null ? replace(net, head, linear)
                : net.replace(Map.of(head.logits(), net.node(head.logits()).withOp(linear)));
        LOG.info("GAP head of '{}': {} -> Linear {}->{} fitted to '{}' on {} images, residual {} (ridge {}, {})",
                net.name(), head.nodes(), c, k, reference == null ? head.logits() : reference.name() + " output", m,
                sol.residual(), sol.ridge(), sol.method());
        return new GapHeadResult(out, head, gapName(net, head), HeadInit.LEAST_SQUARES, Math.toIntExact(m),
                sol.ridge(), sol.residual());
    }
}
