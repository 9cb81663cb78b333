package dev.thinet4j.pruner;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.ActivationBuffers;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.head.GapHeadResult;
import dev.thinet4j.head.HeadReplacement;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.reconstruction.FullReconstruction;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.reconstruction.ScaleReconstruction;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.report.PruningReport;
import dev.thinet4j.sampling.ActivationCache;
import dev.thinet4j.sampling.GroupSampler;
import dev.thinet4j.sampling.GroupStatistics;
import dev.thinet4j.sampling.SamplingConfig;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.selection.Selection;
import dev.thinet4j.selection.SelectionContext;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Member;
import dev.thinet4j.surgery.Thinning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layer-by-layer ThiNet pruner: for each layer of the policy's plan, in order — sample the next
 * layer(s) from the current network, select the channels to keep, thin the network for real,
 * reconstruct the next layer(s), call the fine-tuning hook, report progress.
 *
 * <p>Every random draw (calibration images, sample locations, the {@code random} criterion) comes
 * from the configuration's seed, so a run is reproducible from its configuration.
 */
public final class ThiNetPruner {
    private static final Logger LOG = LoggerFactory.getLogger(ThiNetPruner.class);

    private final PrunerConfig config;
    private final FineTuner fineTuner;
    private final ProgressListener listener;

    /**
     * A pruner without fine-tuning or progress reports.
     *
     * @param config the run's configuration
     */
    public ThiNetPruner(PrunerConfig config) {
        this(config, FineTuner.NONE, ProgressListener.NONE);
    }

    /**
     * @param config    the run's configuration
     * @param fineTuner called after each layer and at the end ({@link FineTuner#NONE} for none)
     * @param listener  told when each layer starts and ends ({@link ProgressListener#NONE} for none)
     */
    public ThiNetPruner(PrunerConfig config, FineTuner fineTuner, ProgressListener listener) {
        this.config = config;
        this.fineTuner = fineTuner;
        this.listener = listener;
    }

    /**
     * Prunes {@code net} by the policy's plan. When the policy asks for a GAP head
     * ({@link PruningPolicy#gapHead()}), the fully connected head is replaced first (its least-squares fit reads
     * the calibration data with this configuration's seed and batch size), the plan is made for the network with
     * the new head, and the replacement is recorded in the report's provenance ({@code head}, {@code head_init},
     * {@code head_images}, {@code head_ridge}, {@code head_residual}); the report's "before" totals are those of
     * {@code net}.
     *
     * @param net         the trained network. Not modified.
     * @param policy      which layers, at what ratio
     * @param calibration images for sampling; {@code config.images()} of them are drawn at random (seeded)
     * @return the pruned network and the report
     * @throws IllegalArgumentException when the data does not fit the model or has too few images, or a
     *                                  layer of the plan cannot be pruned (with the reason)
     */
    public PruningResult prune(Network net, PruningPolicy policy, ImageSource calibration) {
        checkInput(net, calibration);
        ModelSize original = ModelSize.of(net);
        Map<String, String> provenance = provenance(net, policy.name());
        Network start = net;
        if (policy.gapHead().isPresent()) {
            // ThiNet-GAP: the new head is in place before any conv is pruned, so the last convs feed it and
            // the reconstruction targets come from the network with the new head
            GapHeadResult head = HeadReplacement.toGapHead(net, calibration, policy.gapHead().get(), config.seed(),
                    config.batchSize());
            start = head.network();
            provenance.putAll(head.asMap());
        }
        List<LayerPlan> plan = policy.plan(start);

        ImageSource images = calibrationSubset(calibration);
        List<LayerReport> layers = new ArrayList<>();
        Network current = start;
        try (ActivationCache cache = new ActivationCache(activationCacheBytes());
             InferenceEngine reference = config.targetsFromOriginal() ? new InferenceEngine(start, cache.buffers())
                     : null) {
            for (int k = 0; k < plan.size(); k++) {
                LayerPlan step = plan.get(k);
                listener.layerStarted(k + 1, plan.size(), step.layer());
                long t0 = System.nanoTime();
                StepResult r = pruneLayer(current, step, images, reference, cache);
                current = fineTuner.afterLayer(r.network, k + 1, plan.size());
                LayerReport report = r.report((System.nanoTime() - t0) / 1e9);
                layers.add(report);
                LOG.debug("pruned {} ({}/{}): {} -> {} channels, residual {} -> {}", step.layer(), k + 1, plan.size(),
                        report.channelsBefore(), report.channelsAfter(), report.residualBefore(), report.residualAfter());
                listener.layerFinished(k + 1, plan.size(), report);
            }
        }
        current = fineTuner.atEnd(current);
        ModelSize after = ModelSize.of(current);
        PruningReport report = new PruningReport(provenance, layers, original.totalParams(), after.totalParams(),
                original.totalMacs(), after.totalMacs());
        return new PruningResult(current, report);
    }

    /**
     * Prunes the single layer {@code layer} of {@code net} at each of several ratios from <em>one</em> sampling
     * pass. For every ratio r the result is the one {@link #prune} gives for a plan holding only
     * {@code (layer, r)} — same calibration images, same sampled rows (the seeds depend on the layer, not on the
     * ratio), same selection, reconstruction and fine-tuning hooks — but the calibration images go through the
     * network once instead of once per ratio: the group statistics (Gram matrix of the contributions, full normal
     * equations, APoZ) do not depend on the ratio, and each selection and least-squares refit reads only them.
     * The progress listener is not called.
     *
     * @param net         the trained network. Not modified.
     * @param layer       a prunable conv of {@code net}
     * @param ratios      pruning ratios, each in [0, 1); a ratio removing no channel returns {@code net} unchanged
     * @param calibration images for sampling, drawn as in {@link #prune}
     * @return one result per ratio, in the order given
     * @throws IllegalArgumentException as {@link #prune}, or for a ratio outside [0, 1)
     */
    public List<PruningResult> pruneLayerAtRatios(Network net, String layer, double[] ratios, ImageSource calibration) {
        checkInput(net, calibration);
        List<LayerPlan> steps = new ArrayList<>();
        for (double r : ratios) {
            steps.add(new LayerPlan(layer, r));
        }
        ChannelGroup group = new DependencyGraph(net).groupOf(layer);
        ModelSize original = ModelSize.of(net);
        ImageSource images = null;
        Sampled sampled = null;
        List<PruningResult> out = new ArrayList<>();
        try (InferenceEngine reference = config.targetsFromOriginal() ? new InferenceEngine(net) : null) {
            for (LayerPlan step : steps) {
                long t0 = System.nanoTime();
                int remove = removal(group, step);
                StepResult r;
                if (remove == 0) {
                    r = unchanged(net, step, group);
                } else {
                    if (sampled == null) {
                        images = calibrationSubset(calibration);
                        sampled = sample(net, step, group, images, reference, null);
                    }
                    r = applyStep(net, step, group, sampled, remove);
                }
                Network tuned = fineTuner.atEnd(fineTuner.afterLayer(r.network, 1, 1));
                ModelSize after = ModelSize.of(tuned);
                Map<String, String> provenance = provenance(net, "layer:" + layer + "@" + step.ratio());
                out.add(new PruningResult(tuned, new PruningReport(provenance,
                        List.of(r.report((System.nanoTime() - t0) / 1e9)), original.totalParams(),
                        after.totalParams(), original.totalMacs(), after.totalMacs())));
            }
        }
        return out;
    }

    private static void checkInput(Network net, ImageSource calibration) {
        var in = net.input();
        if (calibration.channels() != in.channels() || calibration.height() != in.height()
                || calibration.width() != in.width()) {
            throw new IllegalArgumentException("calibration images are " + calibration.channels() + "x"
                    + calibration.height() + "x" + calibration.width() + " but model input '" + in.name()
                    + "' expects " + in.channels() + "x" + in.height() + "x" + in.width());
        }
    }

    private Map<String, String> provenance(Network net, String policyName) {
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("thinet4j", PruningReport.libraryVersion());
        provenance.put("model", net.name());
        provenance.put("policy", policyName);
        provenance.putAll(config.asMap());
        return provenance;
    }

    private ImageSource calibrationSubset(ImageSource calibration) {
        int size = calibration.size();
        if (size >= 0 && size < config.images()) {
            throw new IllegalArgumentException("asked for " + config.images() + " calibration images but the data has "
                    + size);
        }
        if (size == config.images()) {
            return calibration;
        }
        return size < 0 ? ImageSources.limit(calibration, config.images())
                : ImageSources.sample(calibration, config.images(), config.seed());
    }

    private boolean needsSampling() {
        Criterion c = config.criterion();
        return c == Criterion.THINET || c == Criterion.THINET_TPAMI || c == Criterion.APOZ
                || config.reconstruction() != Reconstruction.NONE;
    }

    /** Prunes one layer of {@code net}. */
    private StepResult pruneLayer(Network net, LayerPlan step, ImageSource images, InferenceEngine reference,
                                  ActivationCache cache) {
        ChannelGroup group = new DependencyGraph(net).groupOf(step.layer());
        int remove = removal(group, step);
        if (remove == 0) {
            return unchanged(net, step, group);
        }
        return applyStep(net, step, group, sample(net, step, group, images, reference, cache), remove);
    }

    /**
     * How many channels a step removes: ⌊C·r⌋ ({@link Selection#numToRemove}), rounded down to a multiple of the
     * group's {@link ChannelGroup#blocks()} B when grouped convs constrain it (logged when the rounding changes it).
     */
    private static int removal(ChannelGroup group, LayerPlan step) {
        int remove = Selection.numToRemove(group.channels(), step.ratio());
        int balanced = group.balancedRemoval(remove);
        if (balanced != remove) {
            LOG.info("layer {}: removing {} instead of {} of {} channels (ratio {}): a multiple of the {} blocks of {}"
                            + " channels its grouped convs impose", step.layer(), balanced, remove, group.channels(),
                    step.ratio(), group.blocks(), group.blockSize());
        }
        return balanced;
    }

    private static StepResult unchanged(Network net, LayerPlan step, ChannelGroup group) {
        ModelSize before = ModelSize.of(net);
        int[] all = java.util.stream.IntStream.range(0, group.channels()).toArray();
        return new StepResult(net, step.layer(), group, before, before, 0, Double.NaN, Double.NaN, all);
    }

    /** The group statistics of one layer (null when nothing needs sampling) and the reconstruction to use. */
    private record Sampled(GroupStatistics stats, Reconstruction recon) {
    }

    /**
     * Most bytes of activations a {@link #prune} run keeps from one layer's sampling pass to the next (see
     * {@link ActivationCache}): system property {@code thinet4j.activationCacheMiB}, default 768 MiB; 0 turns
     * the reuse off.
     */
    static long activationCacheBytes() {
        return Math.max(0, Long.getLong("thinet4j.activationCacheMiB", 768L)) << 20;
    }

    /**
     * The group's statistics; the sampling engine shares the run's activation buffers (the cache's, else the
     * reference engine's) so that successive layers reuse native memory.
     */
    private Sampled sample(Network net, LayerPlan step, ChannelGroup group, ImageSource images,
                           InferenceEngine reference, ActivationCache cache) {
        GroupStatistics stats = null;
        Reconstruction recon = config.reconstruction();
        if (recon == Reconstruction.FULL && !GroupSampler.canSampleFull(net, group)) {
            LOG.warn("layer {}: a consumer is too wide for full reconstruction (more than {} columns); using scale",
                    step.layer(), GroupSampler.MAX_FULL_COLUMNS);
            recon = Reconstruction.SCALE;
        }
        if (needsSampling()) {
            SamplingConfig sc = new SamplingConfig(config.pointsPerImage(), config.seed() + 7919L * net.indexOf(step.layer()),
                    recon == Reconstruction.FULL, config.batchSize());
            ActivationBuffers buffers = cache != null ? cache.buffers()
                    : reference != null ? reference.activationBuffers() : null;
            if (cache != null) {
                // the cache's engine takes over the previous layer's kernels of unchanged nodes (and owns it)
                stats = new GroupSampler(sc).sample(cache.engine(net), group, images, reference, cache);
            } else {
                try (InferenceEngine engine = new InferenceEngine(net, buffers)) {
                    stats = new GroupSampler(sc).sample(engine, group, images, reference, cache);
                }
            }
        }
        return new Sampled(stats, recon);
    }

    /**
     * Selects, reconstructs and thins one layer from its group statistics. The selection is block-balanced
     * ({@link dev.thinet4j.selection.ChannelCriterion#selectBalanced}) with the group's {@link ChannelGroup#blocks()};
     * a grouped consumer conv is rescaled or refitted per conv group (see {@link #scaled} and
     * {@link FullReconstruction#groupedConv}).
     */
    private StepResult applyStep(Network net, LayerPlan step, ChannelGroup group, Sampled sampled, int remove) {
        ModelSize before = ModelSize.of(net);
        GroupStatistics stats = sampled.stats();
        Reconstruction recon = sampled.recon();
        Selection sel = config.criterion().create().selectBalanced(context(net, group, stats), remove, group.blocks());
        int[] kept = sel.kept();

        Map<String, Op> newConsumers = new HashMap<>();
        double residualBefore = Double.NaN;
        double residualAfter = Double.NaN;
        if (stats != null) {
            ScaleReconstruction.Result scale = ScaleReconstruction.fit(stats.contributions(), kept, config.ridge());
            residualBefore = scale.residualBefore();
            residualAfter = residualBefore;
            if (recon == Reconstruction.SCALE) {
                residualAfter = scale.residualAfter();
                for (Member m : group.consumers()) {
                    newConsumers.put(m.node(), scaled(net.node(m.node()).op(), m, group, kept, scale.scales()));
                }
            } else if (recon == Reconstruction.FULL) {
                double sumBefore = 0;
                double sumAfter = 0;
                for (Member m : group.consumers()) {
                    boolean grouped = m instanceof Member.GroupedConsumerConv;
                    dev.thinet4j.sampling.NormalEquations ne = grouped ? stats.groupedFull().get(m.node()).get(0)
                            : stats.full().get(m.node());
                    // unknowns per target: the kept share of the n columns (a grouped consumer's group is its whole
                    // input, so the share is the same in each conv group's n = C_in/g·k_h·k_w columns)
                    long unknowns = (long) ne.features() * kept.length / group.channels();
                    if (ne.count() < unknowns) {
                        // fewer sampled rows than unknowns: a full refit would interpolate the samples
                        LOG.warn("layer {}: consumer {} has {} sampled rows for {} unknowns; using scale"
                                + " reconstruction for it (give more calibration images or points)", step.layer(),
                                m.node(), ne.count(), unknowns);
                        newConsumers.put(m.node(), scaled(net.node(m.node()).op(), m, group, kept, scale.scales()));
                        sumBefore += scale.residualBefore();
                        sumAfter += scale.residualAfter();
                        continue;
                    }
                    FullOp fr = full(net.node(m.node()).op(), m, group, kept, stats);
                    newConsumers.put(m.node(), fr.op());
                    sumBefore += fr.result().residualBefore();
                    sumAfter += fr.result().residualAfter();
                }
                int n = group.consumers().size();
                residualBefore = sumBefore / n;
                residualAfter = sumAfter / n;
            }
        }
        Network thinned = Thinning.keep(net, group, kept);
        // a reconstructed consumer that also writes the group (a conv reading and writing one residual stage)
        // needs its output filters cut as well (kept is ascending: Selection guarantees it)
        for (Member m : group.members()) {
            Op op = newConsumers.get(m.node());
            if (op != null && !group.consumers().contains(m)) {
                newConsumers.put(m.node(), Thinning.cutMember(op, m, group, kept));
            }
        }
        Map<String, Node> repl = new HashMap<>();
        newConsumers.forEach((name, op) -> repl.put(name, thinned.node(name).withOp(op)));
        Network result = repl.isEmpty() ? thinned : thinned.replace(repl);
        ModelSize after = ModelSize.of(result);
        return new StepResult(result, step.layer(), group, before, after, stats == null ? 0 : stats.samples(),
                residualBefore, residualAfter, kept);
    }

    private SelectionContext context(Network net, ChannelGroup group, GroupStatistics stats) {
        String producer = group.producers().get(0);
        Op.Conv conv = (Op.Conv) net.node(producer).op();
        double[] gamma = null;
        for (Member m : group.members()) {
            if (m instanceof Member.BatchNormChannels && m.offset() == 0
                    && net.node(m.node()).input().equals(producer)) {
                Tensor s = ((Op.BatchNorm) net.node(m.node()).op()).scale();
                gamma = new double[s.size()];
                for (int i = 0; i < gamma.length; i++) {
                    gamma[i] = s.get(i);
                }
                break;
            }
        }
        return new SelectionContext(producer, group.channels(), conv.weight(), gamma,
                stats == null ? null : stats.zeroFraction(), stats == null ? null : stats.contributions(),
                config.seed() + net.indexOf(producer));
    }

    /**
     * The consumer with its input axis cut to the kept channels and each kept group channel's weights multiplied by
     * its scale (1 outside the group). For a grouped consumer (weight [C_out, C_in/g, k_h, k_w]) the new weight is
     * W′[o, a, …] = ŵ<sub>j</sub>·W[o, local<sub>q</sub>[a], …], q = ⌊o / (C_out/g)⌋, j = q·C_in/g + local<sub>q</sub>[a] − offset
     * the group channel of that column. {@code op} is not modified.
     */
    private static Op scaled(Op op, Member m, ChannelGroup group, int[] kept, double[] groupScales) {
        int channels = group.channels();
        int[] pos = group.positions(m);
        if (m instanceof Member.GroupedConsumerConv) {
            Op.Conv c = (Op.Conv) op;
            int[][] local = Thinning.groupedInputKeep(c.groups(), c.weight().dim(1), m.offset(), channels, kept);
            double[][] scales = groupedScales(local, c.weight().dim(1), m.offset(), channels, kept, groupScales);
            return c.withWeights(ScaleReconstruction.scaleGroupedConvInputs(c.weight(), local, scales), c.bias());
        }
        if (op instanceof Op.Conv c) {
            int width = c.weight().dim(1);
            int[] axis = Thinning.axisKeep(width, pos, kept);
            return c.withWeights(ScaleReconstruction.scaleConvInputs(c.weight(), axis,
                    axisScales(width, axis, pos, kept, groupScales)), c.bias());
        }
        Op.Linear l = (Op.Linear) op;
        int block = ((Member.ConsumerLinear) m).blockSize();
        int width = l.inFeatures() / block;
        int[] axis = Thinning.axisKeep(width, pos, kept);
        return new Op.Linear(ScaleReconstruction.scaleLinearInputs(l.weight(), axis,
                axisScales(width, axis, pos, kept, groupScales), block), l.bias());
    }

    /** Per conv group and kept local column, the scale of its group channel (1 for a channel outside the group). */
    private static double[][] groupedScales(int[][] local, int per, int offset, int channels, int[] kept,
                                            double[] groupScales) {
        double[] byChannel = new double[channels];
        for (int i = 0; i < kept.length; i++) {
            byChannel[kept[i]] = groupScales[i];
        }
        double[][] out = new double[local.length][];
        for (int q = 0; q < local.length; q++) {
            out[q] = new double[local[q].length];
            for (int a = 0; a < local[q].length; a++) {
                int j = q * per + local[q][a] - offset;
                out[q][a] = j >= 0 && j < channels ? byChannel[j] : 1.0;
            }
        }
        return out;
    }

    /**
     * The scale of each kept axis index: groupScales[i] where the index holds kept group channel kept[i], 1 for
     * channels outside the group.
     */
    private static double[] axisScales(int width, int[] axis, int[] pos, int[] kept, double[] groupScales) {
        double[] byIndex = new double[width];
        Arrays.fill(byIndex, 1.0);
        for (int i = 0; i < kept.length; i++) {
            if (pos[kept[i]] >= 0) {
                byIndex[pos[kept[i]]] = groupScales[i];
            }
        }
        double[] s = new double[axis.length];
        for (int a = 0; a < axis.length; a++) {
            s[a] = byIndex[axis[a]];
        }
        return s;
    }

    private record FullOp(Op op, FullReconstruction.Result result) {
    }

    private FullOp full(Op op, Member m, ChannelGroup group, int[] kept, GroupStatistics stats) {
        int channels = group.channels();
        int[] pos = group.positions(m);
        if (m instanceof Member.GroupedConsumerConv) {
            Op.Conv c = (Op.Conv) op;
            int[][] local = Thinning.groupedInputKeep(c.groups(), c.weight().dim(1), m.offset(), channels, kept);
            FullReconstruction.Result r = FullReconstruction.groupedConv(stats.groupedFull().get(m.node()), c.weight(),
                    c.bias(), local, config.biasRefit(), config.ridge());
            return new FullOp(c.withWeights(r.weight(), r.bias()), r);
        }
        dev.thinet4j.sampling.NormalEquations ne = stats.full().get(m.node());
        if (op instanceof Op.Conv c) {
            int[] axis = Thinning.axisKeep(c.weight().dim(1), pos, kept);
            FullReconstruction.Result r = FullReconstruction.conv(ne, c.weight(), c.bias(), axis, config.biasRefit(),
                    config.ridge());
            return new FullOp(c.withWeights(r.weight(), r.bias()), r);
        }
        Op.Linear l = (Op.Linear) op;
        int block = ((Member.ConsumerLinear) m).blockSize();
        int[] axis = Thinning.axisKeep(l.inFeatures() / block, pos, kept);
        FullReconstruction.Result r = FullReconstruction.linear(ne, l.weight(), l.bias(), axis, block,
                config.biasRefit(), config.ridge());
        return new FullOp(new Op.Linear(r.weight(), r.bias()), r);
    }

    private record StepResult(Network network, String layer, ChannelGroup group, ModelSize before, ModelSize after,
                              long samples, double residualBefore, double residualAfter, int[] kept) {
        LayerReport report(double seconds) {
            return new LayerReport(layer, group.describe(), group.channels(), kept.length, before.totalParams(),
                    after.totalParams(), before.totalMacs(), after.totalMacs(), samples, residualBefore, residualAfter,
                    kept, seconds);
        }
    }
}
