package dev.thinet4j.slimming;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Member;
import dev.thinet4j.surgery.PruningException;
import dev.thinet4j.surgery.Thinning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Network slimming (Liu et al., ICCV 2017) of a trained network with real BatchNormalization nodes:
 * channels whose BN scale |γ| falls below one global threshold are removed, whole coupled groups at a
 * time, and their constant output is absorbed by the layers that read them.
 *
 * <pre>{@code
 * SlimmingConfig config = SlimmingConfig.builder().globalPercent(0.3).layerKeep(0.1).build();
 * SlimmingResult r = NetworkSlimming.slim(net, config);
 * OnnxExporter.save(r.network(), Path.of("slim.onnx"));
 * }</pre>
 *
 * <p><b>Which channels.</b> A channel group ({@link DependencyGraph#groupOf}) is slimmable when each of
 * its producing convs is read by exactly one node, a BatchNormalization (its scored BN). The BN directly
 * after a depthwise conv the channels pass through is scored too. Thresholds and per-layer floors are
 * those of {@link SlimmingConfig}. A group with several producers (joined by a residual Add) carries one
 * mask: a channel is removed only when every producer's BN lets it go (the union of their kept sets).
 * Depthwise BNs are reconciled by {@link DepthwiseStrategy}. Every group keeps at least one channel. Groups that
 * pass through grouped (not depthwise) convs ({@link ChannelGroup#blocks()} &gt; 1, which must lose the same number
 * of channels in every block) are not slimmed: they are listed as skipped; so are groups whose channels a channel
 * shuffle scatters or a slice splits ({@link ChannelGroup#scattered()}).
 *
 * <p><b>Absorption.</b> In the masked network ({@link #mask}) a removed channel c emits a constant
 * a<sub>c</sub>: β of the last BN it passed, through the activations, pools and Adds after it
 * (ReLU: max(β, 0)). Before cutting, each reader takes in δ<sub>o</sub> (see {@link Absorption}): a conv
 * read only by a BN shifts that BN's running mean by −δ; another conv adds δ to its bias (created if
 * absent); a linear layer after Flatten adds δ to its bias. Without absorption the removed channels
 * simply vanish, which differs from the masked network wherever a<sub>c</sub> ≠ 0.
 *
 * <p><b>Exactness.</b> The compact network equals the masked network (up to float rounding) at every
 * output position of a reader whose windows do not touch zero padding: 1×1 or pad-0 convs, linear
 * layers, and the interior pixels of padded convs. At the border of a padded conv the masked network
 * multiplies the padding, not a<sub>c</sub>, with the outer taps, so the compact output is off there by
 * a<sub>c</sub> times those taps (nothing when a<sub>c</sub> = 0, e.g. ReLU of a negative β).
 * {@link Absorption#exact()} reports this per reader.
 */
public final class NetworkSlimming {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkSlimming.class);

    private NetworkSlimming() {
    }

    /**
     * Removes {@link SlimmingConfig#removeBlocks()} residual blocks ({@link BlockRemoval}), then
     * slims the channels of what is left ({@link #plan}, {@link #apply}).
     *
     * @param net    a network with BatchNormalization nodes. Not modified.
     * @param config selection and absorption options
     * @return the compact network with what was removed and the sizes before and after
     * @throws IllegalArgumentException when fewer removable residual blocks exist than requested
     */
    public static SlimmingResult slim(Network net, SlimmingConfig config) {
        ModelSize before = ModelSize.of(net);
        Network work = net;
        List<BlockScore> removedBlocks = List.of();
        if (config.removeBlocks() > 0) {
            BlockRemovalResult br = BlockRemoval.removeWeakest(net, config.removeBlocks());
            work = br.network();
            removedBlocks = br.removed();
        }
        SlimmingPlan plan = plan(work, config);
        SlimmingResult r = apply(work, plan, config.absorb());
        LOG.info("slimmed '{}': threshold {}, {} channels removed in {} groups, {} blocks removed; params {} -> {}",
                net.name(), plan.threshold(), plan.removedChannels(), plan.groups().size(), removedBlocks.size(),
                before.totalParams(), r.after().totalParams());
        return new SlimmingResult(r.network(), r.layers(), removedBlocks, r.threshold(), r.skipped(), before, r.after());
    }

    /**
     * Chooses the channels to remove without changing anything.
     *
     * @param net    the network. Not modified.
     * @param config threshold, per-layer floor and depthwise strategy ({@code removeBlocks} and
     *               {@code absorb} are not used here)
     */
    public static SlimmingPlan plan(Network net, SlimmingConfig config) {
        DependencyGraph graph = new DependencyGraph(net);
        List<Scored> candidates = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Node n : net.nodes()) {
            if (!(n.op() instanceof Op.Conv c) || c.groups() != 1 || seen.contains(n.name())) {
                continue;
            }
            ChannelGroup g;
            try {
                g = graph.groupOf(n.name());
            } catch (PruningException e) {
                seen.add(n.name());
                skipped.add(e.getMessage());
                continue;
            }
            seen.addAll(g.producers());
            if (g.blocks() > 1) {
                skipped.add(g.describe() + ": its channels pass through grouped convs (" + g.blocks()
                        + " blocks that must lose the same number of channels); slimming does not balance blocks");
                continue;
            }
            if (!g.scattered().isEmpty()) {
                skipped.add(g.describe() + ": its channels pass a channel shuffle or a partial slice; slimming only"
                        + " cuts channels that stay together");
                continue;
            }
            Scored s = score(net, g);
            if (s.reason != null) {
                skipped.add(g.describe() + ": " + s.reason);
            } else {
                candidates.add(s);
            }
        }
        skipped.forEach(line -> LOG.debug("not slimmed: {}", line));
        int total = 0;
        for (Scored s : candidates) {
            total += s.scores.size() * s.group.channels();
        }
        if (total == 0) {
            return new SlimmingPlan(Double.NaN, 0, List.of(), skipped);
        }
        double[] pool = new double[total];
        int k = 0;
        for (Scored s : candidates) {
            for (double[] v : s.scores) {
                System.arraycopy(v, 0, pool, k, v.length);
                k += v.length;
            }
        }
        double t = GammaThreshold.threshold(pool, config.globalPercent());
        List<GroupPlan> plans = new ArrayList<>();
        for (Scored s : candidates) {
            plans.add(select(s, t, config));
        }
        return new SlimmingPlan(t, total, plans, skipped);
    }

    /** One slimmable group with the |γ| slices of its scored BNs (producers first, then depthwise). */
    private record Scored(ChannelGroup group, List<String> producerNorms, List<String> depthwiseNorms,
                          List<double[]> scores, String reason) {
    }

    private static Scored score(Network net, ChannelGroup g) {
        Map<String, Integer> bnOffsets = new HashMap<>();
        for (Member m : g.members()) {
            if (m instanceof Member.BatchNormChannels) {
                bnOffsets.put(m.node(), m.offset());
            }
        }
        List<String> prod = new ArrayList<>();
        for (String p : g.producers()) {
            String bn = normAfter(net, p);
            if (bn == null || !bnOffsets.containsKey(bn)) {
                return new Scored(g, List.of(), List.of(), List.of(), "conv '" + p
                        + "' is not read by exactly one BatchNormalization, so its channels have no |gamma| to rank");
            }
            prod.add(bn);
        }
        List<String> dw = new ArrayList<>();
        for (Member m : g.members()) {
            if (m instanceof Member.DepthwiseConv) {
                String bn = normAfter(net, m.node());
                if (bn != null && bnOffsets.containsKey(bn) && !dw.contains(bn)) {
                    dw.add(bn);
                }
            }
        }
        List<double[]> scores = new ArrayList<>();
        for (String bn : concat(prod, dw)) {
            Tensor gamma = ((Op.BatchNorm) net.node(bn).op()).scale();
            int off = bnOffsets.get(bn);
            double[] s = new double[g.channels()];
            for (int c = 0; c < s.length; c++) {
                s[c] = Math.abs(gamma.get(off + c));
            }
            scores.add(s);
        }
        return new Scored(g, prod, dw, scores, null);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static GroupPlan select(Scored s, double t, SlimmingConfig config) {
        int channels = s.group.channels();
        int min = config.minKeep(channels);
        boolean[] keep = new boolean[channels];
        double[] combined = new double[channels];
        int np = s.producerNorms.size();
        for (int i = 0; i < np; i++) {
            double[] sc = s.scores.get(i);
            boolean[] k = GammaThreshold.kept(sc, t, min);
            for (int c = 0; c < channels; c++) {
                keep[c] |= k[c];
                combined[c] = Math.max(combined[c], sc[c]);
            }
        }
        for (int i = np; i < s.scores.size(); i++) {
            double[] sc = s.scores.get(i);
            boolean[] k = GammaThreshold.kept(sc, t, min);
            for (int c = 0; c < channels; c++) {
                if (config.depthwise() == DepthwiseStrategy.KEEP_LARGER) {
                    keep[c] |= k[c];
                    combined[c] = Math.max(combined[c], sc[c]);
                } else {
                    keep[c] &= k[c];
                    combined[c] = Math.min(combined[c], sc[c]);
                }
            }
        }
        GammaThreshold.topUp(keep, combined, min);
        List<Integer> kept = new ArrayList<>();
        List<Integer> removed = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            (keep[c] ? kept : removed).add(c);
        }
        return new GroupPlan(s.group, s.producerNorms, s.depthwiseNorms, kept, removed);
    }

    /**
     * The masked reference network: the same shapes, with γ<sub>c</sub> = 0 for every removed channel
     * in every BatchNormalization of its group (β, running mean and variance unchanged), so that each
     * removed channel outputs the constant act(β).
     *
     * @param net  the network the plan was made for. Not modified.
     * @param plan from {@link #plan}
     */
    public static Network mask(Network net, SlimmingPlan plan) {
        Map<String, float[]> scales = new LinkedHashMap<>();
        for (GroupPlan gp : plan.groups()) {
            for (Member m : gp.group().members()) {
                if (m instanceof Member.BatchNormChannels) {
                    Op.BatchNorm bn = batchNorm(net, m.node());
                    float[] s = scales.computeIfAbsent(m.node(), k -> bn.scale().data());
                    for (int r : gp.removed()) {
                        s[m.offset() + r] = 0f;
                    }
                }
            }
        }
        Map<String, Node> repl = new HashMap<>();
        scales.forEach((name, s) -> {
            Op.BatchNorm bn = batchNorm(net, name);
            repl.put(name, net.node(name).withOp(new Op.BatchNorm(Tensor.of(s, s.length), bn.bias(), bn.mean(),
                    bn.var(), bn.epsilon())));
        });
        return net.replace(repl);
    }

    private static Op.BatchNorm batchNorm(Network net, String name) {
        if (!(net.node(name).op() instanceof Op.BatchNorm bn)) {
            throw new IllegalArgumentException("node '" + name + "' of the plan is not a BatchNormalization in network '"
                    + net.name() + "'; was the plan made for another network?");
        }
        return bn;
    }

    /**
     * Carries out a plan: for each group, absorbs the removed channels' constants (when {@code absorb})
     * and cuts the channels with {@link Thinning#keep}.
     *
     * @param net    the network the plan was made for. Not modified.
     * @param plan   from {@link #plan}
     * @param absorb whether to absorb act(β) of removed channels into their readers
     * @return the compact network; {@code removedBlocks} is empty and {@code before} is the size of {@code net}
     */
    public static SlimmingResult apply(Network net, SlimmingPlan plan, boolean absorb) {
        Network cur = net;
        List<LayerChange> changes = new ArrayList<>();
        for (GroupPlan gp : plan.groups()) {
            String first = gp.group().producers().get(0);
            ChannelGroup g = new DependencyGraph(cur).groupOf(first);
            if (g.channels() != gp.group().channels() || !g.producers().equals(gp.group().producers())) {
                throw new IllegalArgumentException("the plan's group of '" + first + "' (" + gp.group().channels()
                        + " channels) does not match the network (" + g.channels() + " channels, producers "
                        + g.producers() + "); was the plan made for another network?");
            }
            if (g.blocks() > 1) {
                throw new PruningException("the plan's group of '" + first + "' passes through grouped convs ("
                        + g.blocks() + " blocks); slimming does not cut such groups");
            }
            if (!g.scattered().isEmpty()) {
                throw new PruningException("the plan's group of '" + first + "' passes a channel shuffle or a partial"
                        + " slice; slimming does not cut such groups");
            }
            List<Absorption> absorptions = List.of();
            if (!gp.removed().isEmpty()) {
                if (absorb) {
                    Absorbed a = absorb(cur, g, gp.removedArray());
                    cur = a.network;
                    absorptions = a.absorptions;
                }
                cur = Thinning.keep(cur, g, gp.keptArray());
            }
            List<String> norms = concat(gp.producerNorms(), gp.depthwiseNorms());
            changes.add(new LayerChange(g.producers(), norms, g.channels(), gp.kept(), absorptions));
            LOG.debug("group {}: {} -> {} channels", g.describe(), g.channels(), gp.kept().size());
        }
        return new SlimmingResult(cur, changes, List.of(), plan.threshold(), plan.skipped(), ModelSize.of(net),
                ModelSize.of(cur));
    }

    private record Absorbed(Network network, List<Absorption> absorptions) {
    }

    /**
     * Adds δ (see {@link Absorption}) to each reader of the group; returns a new network with the
     * changed biases / running means. The group's channels are not cut here.
     */
    private static Absorbed absorb(Network net, ChannelGroup g, int[] removed) {
        Map<String, ConstantChannels.Values> consts = ConstantChannels.propagate(net, g, removed);
        Map<String, Op> ops = new LinkedHashMap<>();
        List<Absorption> out = new ArrayList<>();
        for (Member m : g.consumers()) {
            Node n = net.node(m.node());
            if (m instanceof Member.ConsumerConv) {
                ConstantChannels.Values a = constantAt(consts, n.input(), n, g);
                Op.Conv c = (Op.Conv) ops.getOrDefault(n.name(), n.op());
                int perGroup = c.weight().dim(1);
                int kk = c.weight().dim(2) * c.weight().dim(3);
                double[] delta = new double[c.outChannels()];
                for (int o = 0; o < delta.length; o++) {
                    for (int i = 0; i < removed.length; i++) {
                        int ch = m.offset() + removed[i];
                        delta[o] += a.values()[i] * ConstantChannels.sum(c.weight(), (o * perGroup + ch) * kk, kk);
                    }
                }
                boolean exact = a.exact() && (c.pads().isZero() || a.allZero());
                String bn = normAfter(net, n.name());
                if (bn != null) {
                    Op.BatchNorm b = (Op.BatchNorm) ops.getOrDefault(bn, net.node(bn).op());
                    ops.put(bn, new Op.BatchNorm(b.scale(), b.bias(), shifted(b.mean(), delta, -1), b.var(), b.epsilon()));
                    out.add(new Absorption(n.name(), Absorption.Kind.BN_RUNNING_MEAN, bn, maxAbs(delta), exact));
                } else {
                    ops.put(n.name(), c.withWeights(c.weight(), shifted(c.bias(), delta, 1)));
                    out.add(new Absorption(n.name(), Absorption.Kind.CONV_BIAS, n.name(), maxAbs(delta), exact));
                }
            } else if (m instanceof Member.ConsumerLinear cl) {
                Node flatten = net.producer(n.input()).orElseThrow();
                ConstantChannels.Values a = constantAt(consts, flatten.input(), n, g);
                Op.Linear l = (Op.Linear) ops.getOrDefault(n.name(), n.op());
                int in = l.inFeatures();
                int block = cl.blockSize();
                double[] delta = new double[l.outFeatures()];
                for (int o = 0; o < delta.length; o++) {
                    for (int i = 0; i < removed.length; i++) {
                        int col = (cl.offset() + removed[i]) * block;
                        delta[o] += a.values()[i] * ConstantChannels.sum(l.weight(), o * in + col, block);
                    }
                }
                ops.put(n.name(), new Op.Linear(l.weight(), shifted(l.bias(), delta, 1)));
                out.add(new Absorption(n.name(), Absorption.Kind.LINEAR_BIAS, n.name(), maxAbs(delta), a.exact()));
            } else {
                throw new PruningException("cannot absorb removed channels of " + g.describe() + " into '" + n.name()
                        + "': a grouped conv reader is not supported by slimming");
            }
        }
        Map<String, Node> repl = new HashMap<>();
        ops.forEach((name, op) -> repl.put(name, net.node(name).withOp(op)));
        return new Absorbed(net.replace(repl), out);
    }

    private static ConstantChannels.Values constantAt(Map<String, ConstantChannels.Values> consts, String tensor,
                                                      Node reader, ChannelGroup g) {
        ConstantChannels.Values a = consts.get(tensor);
        if (a == null) {
            throw new PruningException("cannot absorb removed channels of " + g.describe() + " into '" + reader.name()
                    + "': tensor '" + tensor + "' is not constant for them in the masked network");
        }
        return a;
    }

    /** base + sign·delta, element-wise, as a new tensor; a null base counts as zeros. */
    private static Tensor shifted(Tensor base, double[] delta, int sign) {
        float[] v = base == null ? new float[delta.length] : base.data();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] + sign * delta[i]);
        }
        return Tensor.of(v, v.length);
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    /** The BatchNormalization that is the only reader of {@code node}'s output, or null. */
    static String normAfter(Network net, String node) {
        if (net.outputs().contains(node)) {
            return null;
        }
        List<Node> readers = net.consumers(node);
        if (readers.size() == 1 && readers.get(0).op() instanceof Op.BatchNorm) {
            return readers.get(0).name();
        }
        return null;
    }
}
