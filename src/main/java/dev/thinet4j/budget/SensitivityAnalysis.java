package dev.thinet4j.budget;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.selection.Selection;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Member;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-layer sensitivity: each candidate layer is pruned <em>alone</em> at each ratio of a grid (with the
 * configured criterion and reconstruction, by {@link ThiNetPruner}) and the damage is measured on held-out images —
 * top-1 accuracy when labels are given, otherwise the relative error of the logits against the unpruned network
 * ({@link Metric}).
 *
 * <p><b>Work reused.</b> With L layers and R ratios the naive way costs L·R pruning runs (each sampling the layer's
 * group over the calibration images) and L·R full forward passes over the held-out images. Here:
 * <ul>
 *   <li>the unpruned network's logits on the held-out images are computed once;</li>
 *   <li>each layer's group is sampled once and every ratio is selected and reconstructed from the same
 *       statistics ({@link ThiNetPruner#pruneLayerAtRatios}): L sampling passes instead of L·R;</li>
 *   <li>pruning a layer changes no node before its group's first member, so the unpruned network's activation at
 *       the latest cut tensor T before it (a tensor after which every node reads only T or later nodes) is computed
 *       once per layer and cached, and each ratio runs only the pruned network's tail after T. The cache holds
 *       N·|T| floats; above {@link #CACHE_BYTES} the layer falls back to full forward passes.</li>
 * </ul>
 * The evaluation MACs per held-out image are therefore M + Σ<sub>L</sub> (P<sub>L</sub> + Σ<sub>r</sub> S<sub>L,r</sub>) against the naive
 * M + Σ<sub>L</sub> Σ<sub>r</sub> M<sub>L,r</sub> (M: the unpruned network, P<sub>L</sub>: its prefix up to T, S<sub>L,r</sub>: the pruned tail,
 * M<sub>L,r</sub> = P<sub>L</sub> + S<sub>L,r</sub>); {@link SensitivityTable#cost()} reports both.
 *
 * <p>Every result is reproducible from the {@link PrunerConfig} (seed, images, points) and the images given.
 */
public final class SensitivityAnalysis {
    private static final Logger LOG = LoggerFactory.getLogger(SensitivityAnalysis.class);

    /** The default ratio grid: 0.1, 0.2, …, 0.9. */
    public static final double[] DEFAULT_RATIOS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};

    /** Largest cache of cut activations per layer, in bytes (512 MiB). */
    public static final long CACHE_BYTES = 512L << 20;

    /** Progress of an analysis, layer by layer. */
    public interface Listener {
        /** Called before layer {@code index} (1-based) of {@code total} is analysed. */
        default void layerStarted(int index, int total, String layer) {
        }

        /** Called after layer {@code index} of {@code total} was measured at every ratio. */
        default void layerFinished(int index, int total, String layer, List<SensitivityRow> rows) {
        }

        /** A listener that does nothing. */
        Listener NONE = new Listener() {
        };
    }

    private final PrunerConfig config;
    private final double[] ratios;
    private final Listener listener;

    /** An analysis over {@link #DEFAULT_RATIOS}. */
    public SensitivityAnalysis(PrunerConfig config) {
        this(config, DEFAULT_RATIOS, Listener.NONE);
    }

    /**
     * @param config   criterion, reconstruction, calibration images, points, seed and batch size of each pruning
     * @param ratios   the grid, each in (0, 1); sorted and de-duplicated here
     * @param listener progress
     * @throws IllegalArgumentException for an empty grid or a ratio outside (0, 1)
     */
    public SensitivityAnalysis(PrunerConfig config, double[] ratios, Listener listener) {
        this.config = Objects.requireNonNull(config, "config");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.ratios = checkRatios(ratios);
    }

    static double[] checkRatios(double[] ratios) {
        if (ratios == null || ratios.length == 0) {
            throw new IllegalArgumentException("the ratio grid is empty");
        }
        for (double r : ratios) {
            if (!(r > 0 && r < 1)) {
                throw new IllegalArgumentException("sensitivity ratios must be in (0, 1), got " + r);
            }
        }
        return Arrays.stream(ratios).sorted().distinct().toArray();
    }

    /** @return the ratio grid, ascending */
    public double[] ratios() {
        return ratios.clone();
    }

    /**
     * The candidate layers of a policy: the layers of {@code policy.plan(net)} (their ratios are ignored), in plan
     * order, each a prunable conv standing for a distinct channel group.
     *
     * @throws IllegalArgumentException when the plan is empty, names an unprunable layer, or names two layers of the
     *                                  same coupled group
     */
    public static List<String> candidates(Network net, PruningPolicy policy) {
        List<String> layers = new ArrayList<>();
        for (LayerPlan p : policy.plan(net)) {
            layers.add(p.layer());
        }
        checkCandidates(net, layers, policy.name());
        return layers;
    }

    private static void checkCandidates(Network net, List<String> layers, String what) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(what + " lists no layer to prune in '" + net.name() + "'");
        }
        DependencyGraph g = new DependencyGraph(net);
        Map<String, String> owner = new HashMap<>();
        for (String layer : layers) {
            ChannelGroup group;
            try {
                group = g.groupOf(layer);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + ": layer '" + layer + "' cannot be pruned: "
                        + e.getMessage(), e);
            }
            for (String p : group.producers()) {
                String prev = owner.put(p, layer);
                if (prev != null) {
                    throw new IllegalArgumentException(what + ": layers '" + prev + "' and '" + layer
                            + "' prune the same coupled channels (" + group.describe() + "); list one of them");
                }
            }
        }
    }

    /** {@link #run(Network, List, ImageSource, ImageSource, int[])} over a policy's {@link #candidates}. */
    public SensitivityTable run(Network net, PruningPolicy candidates, ImageSource calibration,
                                ImageSource evaluation, int[] labels) {
        return run(net, candidates(net, candidates), calibration, evaluation, labels);
    }

    /**
     * Measures every layer at every ratio of the grid.
     *
     * @param net         the trained network. Not modified.
     * @param layers      prunable convs of distinct channel groups
     * @param calibration images the pruner samples from (as {@link ThiNetPruner#prune})
     * @param evaluation  held-out images, all of them used
     * @param labels      one label per evaluation image (indexed like the images), or null: then the batches'
     *                    own labels are used when the source has them, and the logit error otherwise
     * @return one row per (layer, ratio), layers in the order given, ratios ascending
     * @throws IllegalArgumentException when images do not fit the network, labels are too few, or a layer cannot
     *                                  be pruned
     */
    public SensitivityTable run(Network net, List<String> layers, ImageSource calibration, ImageSource evaluation,
                                int[] labels) {
        checkCandidates(net, layers, "the candidate list");
        var in = net.input();
        if (evaluation.channels() != in.channels() || evaluation.height() != in.height()
                || evaluation.width() != in.width()) {
            throw new IllegalArgumentException("held-out images are " + evaluation.channels() + "x"
                    + evaluation.height() + "x" + evaluation.width() + " but model input '" + in.name()
                    + "' expects " + in.channels() + "x" + in.height() + "x" + in.width());
        }
        if (labels != null && evaluation.size() >= 0 && labels.length < evaluation.size()) {
            throw new IllegalArgumentException("there are " + labels.length + " labels for " + evaluation.size()
                    + " held-out images");
        }
        ModelSize size = ModelSize.of(net);
        ThiNetPruner pruner = new ThiNetPruner(config);
        List<SensitivityRow> rows = new ArrayList<>();
        long evalMacs = size.totalMacs();
        long naiveMacs = size.totalMacs();
        long sampling = 0;
        long naiveSampling = 0;
        Baseline base;
        try (InferenceEngine engine = new InferenceEngine(net)) {
            base = baseline(engine, evaluation, labels);
            LOG.info("sensitivity of '{}': {} layers x {} ratios, {} on {} held-out images, unpruned {}", net.name(),
                    layers.size(), ratios.length, base.metric.id(), base.images, base.value);
            for (int li = 0; li < layers.size(); li++) {
                String layer = layers.get(li);
                listener.layerStarted(li + 1, layers.size(), layer);
                ChannelGroup group = new DependencyGraph(net).groupOf(layer);
                int first = Integer.MAX_VALUE;
                for (Member m : group.members()) {
                    first = Math.min(first, net.indexOf(m.node()));
                }
                int t = Suffix.cut(net, first);
                List<PruningResult> results = pruner.pruneLayerAtRatios(net, layer, ratios, calibration);
                List<Integer> evaluated = new ArrayList<>();
                for (int k = 0; k < ratios.length; k++) {
                    if (group.balancedRemoval(Selection.numToRemove(group.channels(), ratios[k])) > 0) {
                        evaluated.add(k);
                    }
                }
                if (!evaluated.isEmpty() && needsSampling()) {
                    sampling++;
                    naiveSampling += evaluated.size();
                }
                Map<Integer, Measure> measured = evaluate(engine, net, t, results, evaluated, evaluation, base);
                List<SensitivityRow> layerRows = new ArrayList<>();
                boolean cached = measured.values().stream().anyMatch(m -> m.fromCut);
                if (!evaluated.isEmpty()) {
                    evalMacs += cached ? Suffix.prefixMacs(net, t) : 0;
                }
                for (int k = 0; k < ratios.length; k++) {
                    PruningResult r = results.get(k);
                    int removed = group.balancedRemoval(Selection.numToRemove(group.channels(), ratios[k]));
                    Measure m = measured.get(k);
                    long prunedMacs = r.report().macsAfter();
                    if (m != null) {
                        naiveMacs += prunedMacs;
                        evalMacs += m.fromCut ? prunedMacs - Suffix.prefixMacs(r.network(), t) : prunedMacs;
                    }
                    layerRows.add(new SensitivityRow(layer, group.channels(), ratios[k], removed,
                            m == null ? base.value : m.value, m == null ? 0.0 : m.logitError,
                            size.totalMacs() - prunedMacs, size.totalParams() - r.report().paramsAfter()));
                }
                rows.addAll(layerRows);
                LOG.info("sensitivity {} ({}/{}): {}", layer, li + 1, layers.size(), layerRows.stream()
                        .map(r -> String.format(java.util.Locale.ROOT, "%.2f->%.4g", r.ratio(), r.metric())).toList());
                listener.layerFinished(li + 1, layers.size(), layer, layerRows);
            }
        }
        EvaluationCost cost = new EvaluationCost(layers.size(), ratios.length, sampling, naiveSampling, evalMacs,
                naiveMacs);
        LOG.info("sensitivity of '{}' done: {}", net.name(), cost.summary());
        return new SensitivityTable(net.name(), base.metric, base.value, base.images, size.totalMacs(),
                size.totalParams(), rows, cost);
    }

    private boolean needsSampling() {
        Criterion c = config.criterion();
        return c == Criterion.THINET || c == Criterion.THINET_TPAMI || c == Criterion.APOZ
                || config.reconstruction() != Reconstruction.NONE;
    }

    /** The unpruned network's logits per held-out batch, the labels and the baseline value. */
    private record Baseline(List<float[]> logits, List<int[]> labels, Metric metric, double value, long images,
                            double logitEnergy) {
    }

    /** A measured ratio; {@code fromCut} when it ran from cached cut activations. */
    private record Measure(double value, double logitError, boolean fromCut) {
    }

    private Baseline baseline(InferenceEngine engine, ImageSource evaluation, int[] labels) {
        List<float[]> logits = new ArrayList<>();
        List<int[]> batchLabels = new ArrayList<>();
        Boolean labelled = null;
        long n = 0;
        long correct = 0;
        double energy = 0;
        for (Batch b : evaluation.batches(config.batchSize())) {
            int[] lab = labelsOf(b, labels);
            if (labelled != null && labelled != (lab != null)) {
                throw new IllegalArgumentException("some held-out batches have labels and some do not");
            }
            labelled = lab != null;
            float[] z = logits(engine, b);
            logits.add(z);
            batchLabels.add(lab);
            if (lab != null) {
                correct += correct(z, b.n(), lab);
            }
            for (float v : z) {
                energy += (double) v * v;
            }
            n += b.n();
        }
        if (n == 0) {
            throw new IllegalArgumentException("no held-out images to measure the damage on");
        }
        boolean acc = Boolean.TRUE.equals(labelled);
        return new Baseline(logits, batchLabels, acc ? Metric.ACCURACY : Metric.LOGIT_ERROR,
                acc ? (double) correct / n : 0.0, n, energy);
    }

    private static int[] labelsOf(Batch b, int[] labels) {
        if (labels != null) {
            if (labels.length < b.offset() + b.n()) {
                throw new IllegalArgumentException("there are " + labels.length + " labels but held-out image "
                        + (b.offset() + b.n() - 1) + " needs one");
            }
            return Arrays.copyOfRange(labels, b.offset(), b.offset() + b.n());
        }
        return b.hasLabels() ? b.labels().clone() : null;
    }

    /** Evaluates the pruned networks of one layer, from cached cut activations when they fit. */
    private Map<Integer, Measure> evaluate(InferenceEngine base, Network net, int t, List<PruningResult> results,
                                           List<Integer> evaluated, ImageSource evaluation, Baseline baseline) {
        Map<Integer, Measure> out = new HashMap<>();
        if (evaluated.isEmpty()) {
            return out;
        }
        List<INDArray> cache = null;
        if (t >= 0) {
            int[] s = net.shapes(1).get(net.nodes().get(t).name());
            long bytes = 4L * baseline.images * s[1] * s[2] * s[3];
            if (bytes <= CACHE_BYTES) {
                cache = new ArrayList<>();
                String cut = net.nodes().get(t).name();
                for (Batch b : evaluation.batches(config.batchSize())) {
                    try (INDArray x = b.toINDArray()) {
                        cache.add(base.forward(x, List.of(cut)).get(cut));
                    }
                }
            } else {
                LOG.info("cut activations of {} need {} MiB (more than {} MiB): full forward passes for this layer",
                        net.nodes().get(t).name(), bytes >> 20, CACHE_BYTES >> 20);
            }
        }
        try {
            for (int k : evaluated) {
                Network pruned = results.get(k).network();
                Network runnable = cache == null ? pruned : Suffix.after(pruned, t);
                long correct = 0;
                double err = 0;
                try (InferenceEngine engine = new InferenceEngine(runnable)) {
                    if (cache != null) {
                        for (int bi = 0; bi < cache.size(); bi++) {
                            float[] z = floats(engine.forward(cache.get(bi)));
                            correct += score(z, bi, baseline);
                            err += squaredError(z, baseline.logits.get(bi));
                        }
                    } else {
                        int bi = 0;
                        for (Batch b : evaluation.batches(config.batchSize())) {
                            float[] z = logits(engine, b);
                            correct += score(z, bi, baseline);
                            err += squaredError(z, baseline.logits.get(bi));
                            bi++;
                        }
                    }
                }
                double value = baseline.metric == Metric.ACCURACY ? (double) correct / baseline.images
                        : relative(err, baseline.logitEnergy);
                out.put(k, new Measure(value, relative(err, baseline.logitEnergy), cache != null));
            }
        } finally {
            if (cache != null) {
                cache.forEach(INDArray::close);
            }
        }
        return out;
    }

    private static double relative(double err, double energy) {
        return energy > 0 ? Math.sqrt(err / energy) : (err > 0 ? Double.POSITIVE_INFINITY : 0.0);
    }

    private static long score(float[] z, int batchIndex, Baseline baseline) {
        int[] lab = baseline.labels.get(batchIndex);
        return lab == null ? 0 : correct(z, lab.length, lab);
    }

    private static float[] logits(InferenceEngine engine, Batch b) {
        try (INDArray x = b.toINDArray()) {
            return floats(engine.forward(x));
        }
    }

    /** The values of an engine output in row-major order; closes it. */
    static float[] floats(INDArray y) {
        try (y) {
            if (y.dataType() == DataType.FLOAT && y.ordering() == 'c' && !y.isView()) {
                return y.data().asFloat();
            }
            try (INDArray f = y.castTo(DataType.FLOAT).dup('c')) {
                return f.data().asFloat();
            }
        }
    }

    /** Images whose first largest logit is at their label. */
    static long correct(float[] z, int n, int[] labels) {
        int k = z.length / n;
        long c = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (z[i * k + j] > z[i * k + best]) {
                    best = j;
                }
            }
            if (best == labels[i]) {
                c++;
            }
        }
        return c;
    }

    static double squaredError(float[] z, float[] ref) {
        if (z.length != ref.length) {
            throw new IllegalStateException("pruned logits have " + z.length + " values, unpruned " + ref.length);
        }
        double s = 0;
        for (int i = 0; i < z.length; i++) {
            double d = (double) z[i] - ref[i];
            s += d * d;
        }
        return s;
    }
}
