package dev.thinet4j.budget;

import dev.thinet4j.model.LayerSize;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Member;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact MACs and parameters of a network after keeping {@code keep[i]} channels of each candidate layer's group,
 * computed from the channel counts alone (no weights are copied), with the conventions of {@link ModelSize}.
 *
 * <p>With r<sub>i</sub> = C<sub>i</sub> − keep<sub>i</sub> removed channels of group i, a node's output channels shrink by the r of
 * the groups it produces or carries (producer conv, grouped producer conv, depthwise conv, BN) and its input
 * channels by the r of the groups it reads (consumer conv; a linear layer after Flatten loses r·H·W columns; a
 * grouped consumer conv with g groups loses r/g of its C_in/g inputs per group). Then, with H<sub>o</sub>W<sub>o</sub>
 * the output size, k<sub>h</sub>k<sub>w</sub> the kernel and C′<sub>in</sub> a conv's weight axis 1 (C_in/g for g groups):
 * <pre>
 *   conv:      MACs = C′<sub>out</sub>·H<sub>o</sub>W<sub>o</sub>·C′<sub>in</sub>·k<sub>h</sub>k<sub>w</sub>,   params = C′<sub>out</sub>·C′<sub>in</sub>·k<sub>h</sub>k<sub>w</sub> + C′<sub>out</sub> (with bias)
 *   depthwise: MACs = C′·H<sub>o</sub>W<sub>o</sub>·k<sub>h</sub>k<sub>w</sub>,          params = C′·k<sub>h</sub>k<sub>w</sub> + C′ (with bias)
 *   BN:        params = 2·C′
 *   linear:    MACs = in′·out,                    params = in′·out + out (with bias)
 * </pre>
 * and every other node keeps its size. Pruning does not change spatial sizes, so this is exact — the same numbers
 * {@code ModelSize.of} gives for the really thinned network — for every count a group can really keep: with
 * {@link #blocks(int)} B<sub>i</sub> &gt; 1, C<sub>i</sub> − keep<sub>i</sub> must be a multiple of B<sub>i</sub> (other counts are
 * refused).
 */
public final class ChannelCostModel {
    private final List<String> layers;
    private final int[] channels;
    private final long fixedMacs;
    private final long fixedParams;
    private final List<Term> terms;

    /** A node whose size depends on the removed channels. */
    /** inBlocks[j]: columns lost per removed channel of inLayers[j]; inDivisors[j]: g of a grouped reader, else 1. */
    private record Term(Kind kind, int[] outLayers, int[] inLayers, int[] inBlocks, int[] inDivisors, long out,
                        long in, long spatial, long kernel, boolean bias, long linearOut) {
    }

    private enum Kind { CONV, DEPTHWISE, BATCH_NORM, LINEAR }

    private final int[] blocks;

    private ChannelCostModel(List<String> layers, int[] channels, int[] blocks, long fixedMacs, long fixedParams,
                             List<Term> terms) {
        this.layers = List.copyOf(layers);
        this.channels = channels;
        this.blocks = blocks;
        this.fixedMacs = fixedMacs;
        this.fixedParams = fixedParams;
        this.terms = List.copyOf(terms);
    }

    /**
     * @param net    the unpruned network. Not modified.
     * @param layers prunable convs of distinct channel groups
     * @throws dev.thinet4j.surgery.PruningException when a layer cannot be pruned
     */
    public static ChannelCostModel of(Network net, List<String> layers) {
        DependencyGraph g = new DependencyGraph(net);
        Map<String, int[]> shapes = net.shapes(1);
        int[] channels = new int[layers.size()];
        int[] blocks = new int[layers.size()];
        Map<String, List<int[]>> outs = new LinkedHashMap<>();   // node → [layer]
        Map<String, List<int[]>> ins = new LinkedHashMap<>();    // node → [layer, block]
        for (int i = 0; i < layers.size(); i++) {
            ChannelGroup group = g.groupOf(layers.get(i));
            channels[i] = group.channels();
            blocks[i] = group.blocks();
            for (Member m : group.members()) {
                if (m instanceof Member.ProducerConv || m instanceof Member.DepthwiseConv
                        || m instanceof Member.BatchNormChannels || m instanceof Member.GroupedProducerConv) {
                    outs.computeIfAbsent(m.node(), k -> new ArrayList<>()).add(new int[]{i});
                } else if (m instanceof Member.ConsumerConv) {
                    ins.computeIfAbsent(m.node(), k -> new ArrayList<>()).add(new int[]{i, 1, 1});
                } else if (m instanceof Member.GroupedConsumerConv gc) {
                    ins.computeIfAbsent(m.node(), k -> new ArrayList<>()).add(new int[]{i, 1, gc.groups()});
                } else if (m instanceof Member.ConsumerLinear cl) {
                    ins.computeIfAbsent(m.node(), k -> new ArrayList<>()).add(new int[]{i, cl.blockSize(), 1});
                }
            }
        }
        long fixedMacs = 0;
        long fixedParams = 0;
        List<Term> terms = new ArrayList<>();
        List<LayerSize> sizes = ModelSize.of(net).layers();
        for (int idx = 0; idx < net.nodes().size(); idx++) {
            Node n = net.nodes().get(idx);
            List<int[]> o = outs.getOrDefault(n.name(), List.of());
            List<int[]> in = ins.getOrDefault(n.name(), List.of());
            if (o.isEmpty() && in.isEmpty()) {
                fixedMacs += sizes.get(idx).macs();
                fixedParams += sizes.get(idx).params();
                continue;
            }
            int[] outLayers = o.stream().mapToInt(a -> a[0]).toArray();
            int[] inLayers = in.stream().mapToInt(a -> a[0]).toArray();
            int[] inBlocks = in.stream().mapToInt(a -> a[1]).toArray();
            int[] inDivisors = in.stream().mapToInt(a -> a[2]).toArray();
            int[] shape = shapes.get(n.name());
            Op op = n.op();
            if (op instanceof Op.Conv c) {
                long spatial = (long) shape[2] * shape[3];
                long kernel = (long) c.weight().dim(2) * c.weight().dim(3);
                boolean dw = c.isDepthwise() && c.outChannels() == c.groups();
                terms.add(new Term(dw ? Kind.DEPTHWISE : Kind.CONV, outLayers, inLayers, inBlocks, inDivisors,
                        c.outChannels(), c.weight().dim(1), spatial, kernel, c.bias() != null, 0));
            } else if (op instanceof Op.BatchNorm bn) {
                terms.add(new Term(Kind.BATCH_NORM, outLayers, inLayers, inBlocks, inDivisors, bn.channels(), 0, 0, 0,
                        false, 0));
            } else if (op instanceof Op.Linear l) {
                terms.add(new Term(Kind.LINEAR, outLayers, inLayers, inBlocks, inDivisors, 0, l.inFeatures(), 0, 0,
                        l.bias() != null, l.outFeatures()));
            } else {
                throw new IllegalStateException("node '" + n.name() + "' (" + op.onnxType()
                        + ") is a member of a channel group but has no size rule");
            }
        }
        return new ChannelCostModel(layers, channels, blocks, fixedMacs, fixedParams, terms);
    }

    /** The candidate layers, in the order {@code keep} arrays follow. */
    public List<String> layers() {
        return layers;
    }

    /** Channels C<sub>i</sub> of layer i's group before pruning. */
    public int channels(int i) {
        return channels[i];
    }

    /**
     * The block count of layer i's group ({@link dev.thinet4j.surgery.ChannelGroup#blocks()}): its removals must be
     * multiples of it.
     */
    public int blocks(int i) {
        return blocks[i];
    }

    /** MACs (one image) when keeping {@code keep[i]} channels of layer i. */
    public long macs(int[] keep) {
        return total(keep, true);
    }

    /** Parameters when keeping {@code keep[i]} channels of layer i. */
    public long params(int[] keep) {
        return total(keep, false);
    }

    /** This model for one resource. */
    public CostModel model(BudgetTarget.Resource resource) {
        return resource == BudgetTarget.Resource.MACS ? this::macs : this::params;
    }

    private long total(int[] keep, boolean macs) {
        if (keep.length != channels.length) {
            throw new IllegalArgumentException("expected " + channels.length + " kept-channel counts, got " + keep.length);
        }
        for (int i = 0; i < keep.length; i++) {
            if (keep[i] < 1 || keep[i] > channels[i]) {
                throw new IllegalArgumentException("layer '" + layers.get(i) + "' has " + channels[i]
                        + " channels; cannot keep " + keep[i]);
            }
            if ((channels[i] - keep[i]) % blocks[i] != 0) {
                throw new IllegalArgumentException("layer '" + layers.get(i) + "' has " + channels[i] + " channels in "
                        + blocks[i] + " blocks that must lose the same number (grouped convs); cannot keep " + keep[i]);
            }
        }
        long sum = macs ? fixedMacs : fixedParams;
        for (Term t : terms) {
            long out = t.out;
            for (int l : t.outLayers) {
                out -= channels[l] - keep[l];
            }
            long in = t.in;
            for (int j = 0; j < t.inLayers.length; j++) {
                in -= (long) (channels[t.inLayers[j]] - keep[t.inLayers[j]]) * t.inBlocks[j] / t.inDivisors[j];
            }
            sum += switch (t.kind) {
                case CONV -> macs ? out * t.spatial * in * t.kernel : out * in * t.kernel + (t.bias ? out : 0);
                case DEPTHWISE -> macs ? out * t.spatial * t.kernel : out * t.kernel + (t.bias ? out : 0);
                case BATCH_NORM -> macs ? 0 : 2 * out;
                case LINEAR -> macs ? in * t.linearOut : in * t.linearOut + (t.bias ? t.linearOut : 0);
            };
        }
        return sum;
    }
}
