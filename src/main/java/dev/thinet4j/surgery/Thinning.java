package dev.thinet4j.surgery;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Answers <em>how to cut</em>: removes channels of a {@link ChannelGroup} for real, one small cut
 * function per member kind — producer filters and bias, BN entries, depthwise filters, consumer
 * conv input channels, linear column blocks, per-channel constants, the bounds of a channel Slice
 * behind the group, grouped conv filters and grouped conv input columns. The weights really shrink; nothing
 * is masked.
 *
 * <p>Grouped convs (weight [C_out, C_in/g, k_h, k_w], g groups): a producer keeps the rows of the kept filters
 * (g stays, each of its g blocks of C_out/g filters must keep as many); a consumer with k′ kept channels in each
 * of its g input blocks of C_in/g gets the weight W′ [C_out, k′, k_h, k_w] with
 * W′[o, a, …] = W[o, kept<sub>q</sub>[a] − q·C_in/g, …] for q = ⌊o / (C_out/g)⌋, kept<sub>q</sub> the kept channels of
 * block q ascending. A keep set that is not balanced over the group's {@link ChannelGroup#blocks()} is refused.
 */
public final class Thinning {
    private Thinning() {
    }

    /**
     * Keeps only the group channels {@code keep} everywhere the group appears.
     *
     * @param net   the network. Not modified (a new network is returned).
     * @param group the coupled channels, from {@link DependencyGraph#groupOf}
     * @param keep  group channel indices to keep, each in [0, group.channels()), at least one. Not modified.
     * @return the thinned network
     * @throws PruningException when {@code keep} is empty, has duplicates or indices out of range, or keeps
     *                          different numbers of channels in the group's blocks
     */
    public static Network keep(Network net, ChannelGroup group, int[] keep) {
        int[] sorted = validate(group, keep);
        if (sorted.length == group.channels()) {
            return net;
        }
        Map<String, Op> ops = new HashMap<>();
        Map<String, int[]> shapes = null;
        for (Member m : group.members()) {
            Op current = ops.getOrDefault(m.node(), net.node(m.node()).op());
            if (current instanceof Op.ChannelShuffle sh) {
                // the cut channels need not leave a shuffle of the smaller width: write the permutation out
                shapes = shapes == null ? net.shapes(1) : shapes;
                current = new Op.ChannelGather(DependencyGraph.shuffleSources(sh, shapes.get(net.node(m.node()).input())[1]));
            }
            ops.put(m.node(), cut(current, m, sorted, group.positions(m)));
        }
        Map<String, Node> replaced = new HashMap<>();
        ops.forEach((name, op) -> replaced.put(name, net.node(name).withOp(op)));
        Network out = net.replace(replaced);
        out.shapes(1); // every shape still fits
        return out;
    }

    /**
     * Removes the group channels {@code remove} (the complement of {@link #keep}).
     *
     * @param net    the network. Not modified.
     * @param group  a group of {@code net}
     * @param remove the group channels to remove. Not modified.
     * @return the thinned network
     * @throws PruningException when a channel is out of range or every channel would go
     */
    public static Network remove(Network net, ChannelGroup group, int[] remove) {
        return keep(net, group, complement(group.channels(), remove));
    }

    /**
     * The indices of [0, n) not in {@code remove}, ascending.
     *
     * @param n      the number of indices
     * @param remove indices to leave out (duplicates allowed). Not modified.
     * @return the complement
     * @throws PruningException when an index is outside [0, n)
     */
    public static int[] complement(int n, int[] remove) {
        boolean[] gone = new boolean[n];
        for (int r : remove) {
            if (r < 0 || r >= n) {
                throw new PruningException("channel " + r + " outside [0, " + n + ")");
            }
            gone[r] = true;
        }
        return java.util.stream.IntStream.range(0, n).filter(i -> !gone[i]).toArray();
    }

    private static int[] validate(ChannelGroup group, int[] keep) {
        if (keep.length == 0) {
            throw new PruningException("refusing to remove every channel of " + group.producers()
                    + " (" + group.channels() + " channels): keep at least one");
        }
        int[] sorted = keep.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || sorted[i] >= group.channels()) {
                throw new PruningException("kept channel " + sorted[i] + " outside [0, " + group.channels()
                        + ") of group " + group.describe());
            }
            if (i > 0 && sorted[i] == sorted[i - 1]) {
                throw new PruningException("kept channel " + sorted[i] + " listed twice for group " + group.describe());
            }
        }
        if (group.blocks() > 1) {
            int[] perBlock = new int[group.blocks()];
            for (int c : sorted) {
                perBlock[c / group.blockSize()]++;
            }
            for (int b = 1; b < perBlock.length; b++) {
                if (perBlock[b] != perBlock[0]) {
                    throw new PruningException("unbalanced keep set for the group of " + group.producers() + ": its "
                            + group.channels() + " channels form " + group.blocks() + " blocks of "
                            + group.blockSize() + " (grouped convs), and every block must keep the same number of"
                            + " channels, but the blocks keep " + Arrays.toString(perBlock));
                }
            }
        }
        return sorted;
    }

    /**
     * Indices to keep on a member axis of {@code width} entries whose group channels start at
     * {@code offset}: everything outside the group, and the kept group channels.
     *
     * @param width    entries on the member's axis
     * @param offset   where group channel 0 sits on it
     * @param channels the group's channel count
     * @param keep     the kept group channels, ascending. Not modified.
     * @return the axis indices to keep, ascending
     */
    public static int[] axisKeep(int width, int offset, int channels, int[] keep) {
        int[] out = new int[width - channels + keep.length];
        int k = 0;
        for (int i = 0; i < offset; i++) {
            out[k++] = i;
        }
        for (int c : keep) {
            out[k++] = offset + c;
        }
        for (int i = offset + channels; i < width; i++) {
            out[k++] = i;
        }
        return out;
    }

    private static Tensor sel(Tensor t, int axis, int[] idx) {
        return t == null ? null : t.select(axis, idx);
    }

    /**
     * Cuts one member's op: the small cut function of {@link #keep}, for callers that rebuilt a member's op (e.g. a
     * reconstructed consumer that is also one of the group's producers, as a residual block's last conv reading and
     * writing the same stage channels), wherever its channels sit.
     *
     * @param op    the member's op
     * @param m     the member
     * @param group the group
     * @param keep  kept group channels, ascending. Not modified.
     * @return the op with the member's axis cut
     */
    public static Op cutMember(Op op, Member m, ChannelGroup group, int[] keep) {
        return cut(op, m, keep, group.positions(m));
    }

    /**
     * Indices to keep on a member axis of {@code width} entries: every index that holds no group channel, and
     * the indices of the kept group channels (ascending). With contiguous positions this is
     * {@link #axisKeep(int, int, int, int[])}.
     *
     * @param width entries on the member's axis
     * @param pos   index of each group channel on the axis, −1 where absent. Not modified.
     * @param keep  the kept group channels. Not modified.
     * @return the axis indices to keep, ascending
     */
    public static int[] axisKeep(int width, int[] pos, int[] keep) {
        boolean[] gone = new boolean[width];
        for (int p : pos) {
            if (p >= 0) {
                gone[p] = true;
            }
        }
        for (int c : keep) {
            if (pos[c] >= 0) {
                gone[pos[c]] = false;
            }
        }
        int n = 0;
        for (boolean g : gone) {
            n += g ? 0 : 1;
        }
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < width; i++) {
            if (!gone[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** Removed group channels whose axis index is below {@code bound}. */
    static int removedBelow(int bound, int[] pos, int[] keep) {
        boolean[] kept = new boolean[pos.length];
        for (int c : keep) {
            kept[c] = true;
        }
        int n = 0;
        for (int c = 0; c < pos.length; c++) {
            if (!kept[c] && pos[c] >= 0 && pos[c] < bound) {
                n++;
            }
        }
        return n;
    }

    /**
     * The kept input channels of each conv group of a grouped consumer, local to the group: entry [q][a] is an
     * index in [0, C_in/g) of conv group q's weight columns. A conv input channel i = q·C_in/g + l is kept when it
     * lies outside the group's range [offset, offset + channels) or is offset + a kept group channel.
     *
     * @param groups   g, the conv's groups
     * @param perGroup C_in/g, the conv's weight axis 1
     * @param offset   where group channel 0 sits on the conv's input
     * @param channels the group's channel count
     * @param keep     kept group channels, ascending. Not modified.
     * @return g arrays of the same length k′, ascending
     * @throws PruningException when the conv groups would keep different numbers of channels
     */
    public static int[][] groupedInputKeep(int groups, int perGroup, int offset, int channels, int[] keep) {
        int[] axis = axisKeep(groups * perGroup, offset, channels, keep);
        int[] count = new int[groups];
        for (int i : axis) {
            count[i / perGroup]++;
        }
        for (int q = 1; q < groups; q++) {
            if (count[q] != count[0]) {
                throw new PruningException("a grouped conv with " + groups + " groups of " + perGroup
                        + " input channels would keep " + Arrays.toString(count) + " per group; every group must keep"
                        + " the same number");
            }
        }
        int[][] out = new int[groups][count[0]];
        int[] fill = new int[groups];
        for (int i : axis) {
            int q = i / perGroup;
            out[q][fill[q]++] = i - q * perGroup;
        }
        return out;
    }

    /**
     * Keeps, in each row of a grouped conv weight, the columns of its own conv group:
     * out[o, a, …] = w[o, local[⌊o / (C_out/g)⌋][a], …].
     *
     * @param weight [C_out, C_in/g, k_h, k_w]. Not modified.
     * @param groups g
     * @param local  per conv group, the local columns to keep (all of one length k′), from
     *               {@link #groupedInputKeep}. Not modified.
     * @return a new weight [C_out, k′, k_h, k_w]
     */
    public static Tensor selectGroupedInputs(Tensor weight, int groups, int[][] local) {
        int cout = weight.dim(0);
        int per = weight.dim(1);
        int kk = weight.dim(2) * weight.dim(3);
        int kept = local[0].length;
        int rowsPerGroup = cout / groups;
        float[] src = weight.data();
        float[] out = new float[cout * kept * kk];
        for (int o = 0; o < cout; o++) {
            int[] cols = local[o / rowsPerGroup];
            for (int a = 0; a < kept; a++) {
                System.arraycopy(src, (o * per + cols[a]) * kk, out, (o * kept + a) * kk, kk);
            }
        }
        return Tensor.of(out, cout, kept, weight.dim(2), weight.dim(3));
    }

    private static Op cut(Op op, Member m, int[] keep, int[] pos) {
        int channels = pos.length;
        if (m instanceof Member.GroupedProducerConv) {
            Op.Conv c = (Op.Conv) op;
            int[] idx = axisKeep(c.outChannels(), pos, keep);
            int per = c.outChannels() / c.groups();
            int[] count = new int[c.groups()];
            for (int i : idx) {
                count[i / per]++;
            }
            for (int q = 1; q < count.length; q++) {
                if (count[q] != count[0]) {
                    throw new PruningException("grouped conv '" + m.node() + "' (groups=" + c.groups()
                            + ") would keep " + Arrays.toString(count) + " filters per group; every group must keep"
                            + " the same number");
                }
            }
            return c.withWeights(c.weight().select(0, idx), sel(c.bias(), 0, idx));
        }
        if (m instanceof Member.GroupedConsumerConv) {
            Op.Conv c = (Op.Conv) op;
            int[][] local;
            try {
                local = groupedInputKeep(c.groups(), c.weight().dim(1), m.offset(), channels, keep);
            } catch (PruningException e) {
                throw new PruningException("grouped conv '" + m.node() + "': " + e.getMessage());
            }
            return c.withWeights(selectGroupedInputs(c.weight(), c.groups(), local), c.bias());
        }
        if (m instanceof Member.ProducerConv) {
            Op.Conv c = (Op.Conv) op;
            int[] idx = axisKeep(c.outChannels(), pos, keep);
            return c.withWeights(c.weight().select(0, idx), sel(c.bias(), 0, idx));
        }
        if (m instanceof Member.DepthwiseConv) {
            Op.Conv c = (Op.Conv) op;
            int[] idx = axisKeep(c.outChannels(), pos, keep);
            return new Op.Conv(c.weight().select(0, idx), sel(c.bias(), 0, idx), c.strides(), c.pads(),
                    c.dilations(), idx.length);
        }
        if (m instanceof Member.BatchNormChannels) {
            Op.BatchNorm bn = (Op.BatchNorm) op;
            int[] idx = axisKeep(bn.channels(), pos, keep);
            return new Op.BatchNorm(bn.scale().select(0, idx), bn.bias().select(0, idx), bn.mean().select(0, idx),
                    bn.var().select(0, idx), bn.epsilon());
        }
        if (m instanceof Member.ConsumerConv) {
            Op.Conv c = (Op.Conv) op;
            int[] idx = axisKeep(c.weight().dim(1), pos, keep);
            return c.withWeights(c.weight().select(1, idx), c.bias());
        }
        if (m instanceof Member.ChannelConstant cc) {
            Op.ConstArith ca = (Op.ConstArith) op;
            int[] idx = axisKeep(ca.constant().dim(cc.axis()), pos, keep);
            return ca.withConstant(ca.constant().select(cc.axis(), idx));
        }
        if (m instanceof Member.LayerNormChannels) {
            Op.LayerNorm ln = (Op.LayerNorm) op;
            int[] idx = axisKeep(ln.features(), pos, keep);
            return ln.withParams(ln.scale().select(0, idx), sel(ln.bias(), 0, idx));
        }
        if (m instanceof Member.ChannelReorder) {
            return reorder(op, m, pos, keep);
        }
        if (m instanceof Member.SliceBounds) {
            // each bound moves down by the removed group channels that sit below it
            Op.Slice sl = (Op.Slice) op;
            int start = sl.start() - removedBelow(sl.start(), pos, keep);
            int end = sl.end() - removedBelow(sl.end(), pos, keep);
            if (end <= start) {
                throw new PruningException("cutting these channels would leave Slice '" + m.node() + "' empty (it keeps "
                        + "only removed channels); keep at least one of them");
            }
            return new Op.Slice(sl.axis(), start, end);
        }
        Member.ConsumerLinear cl = (Member.ConsumerLinear) m;
        Op.Linear l = (Op.Linear) op;
        int blocks = l.inFeatures() / cl.blockSize();
        int[] idx = axisKeep(blocks, pos, keep);
        return new Op.Linear(l.weight().select(1, columns(idx, cl.blockSize())), l.bias());
    }

    /**
     * A shuffle or gather the channels pass through, after the cut: a {@link Op.ChannelGather} whose output o
     * (of those left) reads the new index of its old source. Outputs whose source is a removed group channel
     * go; the others keep their order.
     */
    private static Op reorder(Op op, Member m, int[] pos, int[] keep) {
        if (!(op instanceof Op.ChannelGather g)) {
            throw new PruningException("node '" + m.node() + "' (" + op.onnxType() + ") must be a ChannelGather here;"
                    + " Thinning.keep turns a channel shuffle into one first");
        }
        return gatherAfterCut(g.indices(), pos, keep);
    }

    /** The gather that replaces {@code sources} once the group channels outside {@code keep} are removed. */
    static Op.ChannelGather gatherAfterCut(int[] sources, int[] pos, int[] keep) {
        int width = 0;
        for (int src : sources) {
            width = Math.max(width, src + 1);
        }
        for (int p : pos) {
            width = Math.max(width, p + 1);
        }
        int[] newIndex = new int[width];
        int[] kept = axisKeep(width, pos, keep);
        java.util.Arrays.fill(newIndex, -1);
        for (int i = 0; i < kept.length; i++) {
            newIndex[kept[i]] = i;
        }
        int n = 0;
        for (int src : sources) {
            n += newIndex[src] >= 0 ? 1 : 0;
        }
        if (n == 0) {
            throw new PruningException("cutting these channels would leave a channel gather with no channel");
        }
        int[] out = new int[n];
        int k = 0;
        for (int src : sources) {
            if (newIndex[src] >= 0) {
                out[k++] = newIndex[src];
            }
        }
        return new Op.ChannelGather(out);
    }

    /**
     * Column indices of the given channel blocks: channel k owns columns k·block … k·block + block − 1.
     *
     * @param channels the channels. Not modified.
     * @param block    columns per channel
     * @return the columns, channel by channel
     */
    public static int[] columns(int[] channels, int block) {
        int[] cols = new int[channels.length * block];
        for (int i = 0; i < channels.length; i++) {
            for (int j = 0; j < block; j++) {
                cols[i * block + j] = channels[i] * block + j;
            }
        }
        return cols;
    }
}
