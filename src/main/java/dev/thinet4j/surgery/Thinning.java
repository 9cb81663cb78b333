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
 * behind the group. The weights really shrink; nothing is masked.
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
     * @throws PruningException when {@code keep} is empty, has duplicates or indices out of range
     */
    public static Network keep(Network net, ChannelGroup group, int[] keep) {
        int[] sorted = validate(group, keep);
        if (sorted.length == group.channels()) {
            return net;
        }
        Map<String, Op> ops = new HashMap<>();
        for (Member m : group.members()) {
            Op current = ops.getOrDefault(m.node(), net.node(m.node()).op());
            ops.put(m.node(), cut(current, m, sorted, group.channels()));
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

    /** Removed group channels whose axis index (offset + c) is below {@code bound}. */
    private static int removedBelow(int bound, int offset, int channels, int[] keep) {
        int below = Math.max(0, Math.min(channels, bound - offset));
        int keptBelow = 0;
        for (int c : keep) {
            if (offset + c < bound) {
                keptBelow++;
            }
        }
        return below - keptBelow;
    }

    private static Tensor sel(Tensor t, int axis, int[] idx) {
        return t == null ? null : t.select(axis, idx);
    }

    /**
     * Cuts one member's op: the small cut function of {@link #keep}, for callers that rebuilt a member's op
     * (e.g. a reconstructed consumer that is also one of the group's producers, as a residual block's last
     * conv reading and writing the same stage channels).
     *
     * @param op       the member's op (possibly already changed on another axis)
     * @param m        the member
     * @param keep     kept group channels, ascending. Not modified.
     * @param channels the group's channel count
     * @return the op with the member's axis cut
     */
    public static Op cutMember(Op op, Member m, int[] keep, int channels) {
        return cut(op, m, keep, channels);
    }

    private static Op cut(Op op, Member m, int[] keep, int channels) {
        if (m instanceof Member.ProducerConv) {
            Op.Conv c = (Op.Conv) op;
            int[] idx = axisKeep(c.outChannels(), m.offset(), channels, keep);
            return c.withWeights(c.weight().select(0, idx), sel(c.bias(), 0, idx));
        }
        if (m instanceof Member.DepthwiseConv) {
            Op.Conv c = (Op.Conv) op;
            int[] idx = axisKeep(c.outChannels(), m.offset(), channels, keep);
            return new Op.Conv(c.weight().select(0, idx), sel(c.bias(), 0, idx), c.strides(), c.pads(),
                    c.dilations(), idx.length);
        }
        if (m instanceof Member.BatchNormChannels) {
            Op.BatchNorm bn = (Op.BatchNorm) op;
            int[] idx = axisKeep(bn.channels(), m.offset(), channels, keep);
            return new Op.BatchNorm(bn.scale().select(0, idx), bn.bias().select(0, idx), bn.mean().select(0, idx),
                    bn.var().select(0, idx), bn.epsilon());
        }
        if (m instanceof Member.ConsumerConv) {
            Op.Conv c = (Op.Conv) op;
            int[] idx = axisKeep(c.weight().dim(1), m.offset(), channels, keep);
            return c.withWeights(c.weight().select(1, idx), c.bias());
        }
        if (m instanceof Member.ChannelConstant cc) {
            Op.ConstArith ca = (Op.ConstArith) op;
            int[] idx = axisKeep(ca.constant().dim(cc.axis()), m.offset(), channels, keep);
            return ca.withConstant(ca.constant().select(cc.axis(), idx));
        }
        if (m instanceof Member.LayerNormChannels) {
            Op.LayerNorm ln = (Op.LayerNorm) op;
            int[] idx = axisKeep(ln.features(), m.offset(), channels, keep);
            return ln.withParams(ln.scale().select(0, idx), sel(ln.bias(), 0, idx));
        }
        if (m instanceof Member.SliceBounds) {
            // each bound moves down by the removed group channels that sit below it
            Op.Slice sl = (Op.Slice) op;
            return new Op.Slice(sl.axis(), sl.start() - removedBelow(sl.start(), m.offset(), channels, keep),
                    sl.end() - removedBelow(sl.end(), m.offset(), channels, keep));
        }
        Member.ConsumerLinear cl = (Member.ConsumerLinear) m;
        Op.Linear l = (Op.Linear) op;
        int blocks = l.inFeatures() / cl.blockSize();
        int[] idx = axisKeep(blocks, cl.offset(), channels, keep);
        return new Op.Linear(l.weight().select(1, columns(idx, cl.blockSize())), l.bias());
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
