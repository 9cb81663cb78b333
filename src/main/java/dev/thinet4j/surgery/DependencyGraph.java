package dev.thinet4j.surgery;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Answers <em>what is coupled</em>: starting from a conv's output channels, finds every tensor and
 * layer that carries or reads the same channels.
 *
 * <p>Rules: the walk reads only each op's {@link dev.thinet4j.model.ChannelRule}. BN, depthwise convs and
 * LayerNorm over the channels are per-channel members (their entries are cut); activations, pooling, Resize,
 * ReduceMean over H and W and arithmetic with a scalar or per-channel constant pass the channels through (a
 * per-channel constant is cut too); an ordinary conv, or a linear layer reading [N, C] or a flattened
 * [N, C, H, W], reads them (its input axis is cut); Add, a squeeze-excitation Mul and the other element-wise
 * ops tie every input of full width and the output, so every conv feeding them is a producer of the same
 * group (an input broadcast along the channels is not coupled). Channels are tracked one by one: Concat
 * shifts them, a Slice passes those inside its range and its bounds move, a channel shuffle or gather
 * re-indexes them (members whose channels are not contiguous are in {@link ChannelGroup#scattered()}).
 * Anything else — the network input or output, Softmax over channels, a ReduceMean over them — is refused
 * with a message naming the node.
 *
 * <p>Grouped (not depthwise) convs, weight [C_out, C_in/g, k_h, k_w], take part with a block constraint
 * (as in Torch-Pruning): as a producer its C_out filters form g blocks of C_out/g
 * ({@link Member.GroupedProducerConv}); as a consumer the group must be its whole input (C = C_in, offset 0,
 * else every conv group would not shrink alike) and conv group q reads block q of C_in/g channels
 * ({@link Member.GroupedConsumerConv}). The group then has {@link ChannelGroup#blocks()} B = lcm of the g of its
 * grouped members: B equal contiguous blocks, a partition refining each member's (block b of size C/B lies in
 * block ⌊b·g/B⌋ of a member with g groups), and pruning removes the same number of channels from each.
 * A group whose blocks would hold one channel each (e.g. read by a conv with one input channel per group)
 * is refused, naming the grouped convs.
 */
public final class DependencyGraph {
    private final Network net;
    private final Map<String, int[]> shapes;

    /**
     * @param net the network to analyse. Not modified.
     * @throws IllegalArgumentException when the network's shapes do not fit
     */
    public DependencyGraph(Network net) {
        this.net = net;
        this.shapes = net.shapes(1);
    }

    /**
     * Convs whose output channels could in principle be pruned (ordinary convs and grouped, not depthwise,
     * convs whose channels reach nothing that cannot be cut).
     *
     * @return their node names, in network order
     */
    public List<String> prunableConvs() {
        List<String> out = new ArrayList<>();
        for (Node n : net.nodes()) {
            if (n.op() instanceof Op.Conv c && !isDepthwise(c)) {
                try {
                    groupOf(n.name());
                    out.add(n.name());
                } catch (PruningException e) {
                    // not prunable: coupled to the output or to an unsupported op
                }
            }
        }
        return out;
    }

    /**
     * The coupled group of the output channels of conv {@code convName}.
     *
     * @param convName a conv of the network
     * @return the group: producers, members and the tensors that carry the channels
     * @throws PruningException when the node is not a conv, is a depthwise conv (its channels belong to its
     *                          input's group), or the channels reach something that cannot be cut
     */
    public ChannelGroup groupOf(String convName) {
        Node start = net.node(convName);
        if (!(start.op() instanceof Op.Conv conv) || isDepthwise(conv)) {
            throw new PruningException("'" + convName + "' is " + describe(start)
                    + "; only ordinary and grouped (not depthwise) convs have prunable output channels");
        }
        return new Walk(conv.outChannels()).run(convName);
    }

    private static String describe(Node n) {
        if (n.op() instanceof Op.Conv c) {
            return "a Conv with groups=" + c.groups();
        }
        return "a " + n.op().onnxType() + " node";
    }

    private int channelsOf(String tensor) {
        int[] s = shapes.get(tensor);
        return s.length > 1 ? s[1] : 0;
    }

    /** One traversal of the coupled channels. */
    private final class Walk {
        private final int channels;
        private final Map<String, int[]> offsets = new LinkedHashMap<>();
        private final Map<Member, int[]> scattered = new LinkedHashMap<>();
        private final Deque<String> queue = new ArrayDeque<>();
        private final Set<String> producersHandled = new LinkedHashSet<>();
        private final Map<String, Member> members = new LinkedHashMap<>();
        private final List<String> producers = new ArrayList<>();
        private String origin;

        Walk(int channels) {
            this.channels = channels;
        }

        ChannelGroup run(String conv) {
            origin = conv;
            visit(conv, contiguous(0));
            while (!queue.isEmpty()) {
                String t = queue.poll();
                process(t, offsets.get(t));
            }
            List<Member> ordered = new ArrayList<>(members.values());
            ordered.sort(Comparator.comparingInt((Member m) -> m instanceof Member.ProducerConv
                            || m instanceof Member.GroupedProducerConv ? 0 : 1)
                    .thenComparingInt(m -> net.indexOf(m.node())));
            List<String> tensors = new ArrayList<>(offsets.keySet());
            tensors.sort(Comparator.comparingInt(t -> t.equals(net.input().name()) ? -1 : net.indexOf(t)));
            List<String> prods = new ArrayList<>(producers);
            prods.sort(Comparator.comparingInt(net::indexOf));
            return new ChannelGroup(prods, channels, ordered, tensors, blocks(ordered), scattered);
        }

        /** B = lcm of the groups of the grouped members; refused when a block would hold a single channel. */
        private int blocks(List<Member> ordered) {
            int blocks = 1;
            List<String> grouped = new ArrayList<>();
            for (Member m : ordered) {
                int g = m instanceof Member.GroupedConsumerConv gc ? gc.groups()
                        : m instanceof Member.GroupedProducerConv gp ? gp.groups() : 1;
                if (g > 1) {
                    blocks = Math.toIntExact(lcm(blocks, g));
                    grouped.add("'" + m.node() + "' (groups=" + g + (m instanceof Member.GroupedConsumerConv
                            ? ", reads" : ", writes") + " the channels)");
                }
            }
            if (blocks > 1 && (channels % blocks != 0 || channels / blocks < 2)) {
                throw refuse("its " + channels + " channels must be cut alike in each of " + blocks
                        + " blocks (grouped convs " + String.join(", ", grouped) + "), so every block holds "
                        + (channels % blocks != 0 ? "a fraction of" : "only one") + " channel and none can be removed");
            }
            return blocks;
        }

        private PruningException refuse(String why) {
            return new PruningException("cannot prune the output channels of '" + origin + "': " + why);
        }

        /** Group channel c at index c + offset of the channel axis, for every c. */
        private int[] contiguous(int offset) {
            int[] pos = new int[channels];
            for (int c = 0; c < channels; c++) {
                pos[c] = offset + c;
            }
            return pos;
        }

        /** The offset when every group channel is present and in order (pos[c] = pos[0] + c), else −1. */
        private int offsetOf(int[] pos) {
            for (int c = 0; c < channels; c++) {
                if (pos[c] != pos[0] + c || pos[c] < 0) {
                    return -1;
                }
            }
            return pos[0];
        }

        private static boolean anyPresent(int[] pos) {
            for (int p : pos) {
                if (p >= 0) {
                    return true;
                }
            }
            return false;
        }

        /** "[a, b)" for contiguous channels, else each channel's index (−1: absent). */
        private String describePlace(int[] pos) {
            int off = offsetOf(pos);
            return off >= 0 ? "[" + off + ", " + (off + channels) + ")" : Arrays.toString(pos);
        }

        private void visit(String tensor, int[] pos) {
            if (!anyPresent(pos)) {
                return; // none of the group's channels are in this tensor
            }
            int[] prev = offsets.get(tensor);
            if (prev != null) {
                if (!Arrays.equals(prev, pos)) {
                    throw refuse("tensor '" + tensor + "' is reached with its channels at two different places ("
                            + describePlace(prev) + " and " + describePlace(pos) + ")");
                }
                return;
            }
            int width = tensor.equals(net.input().name()) ? net.input().channels() : channelsOf(tensor);
            for (int p : pos) {
                if (p >= width) {
                    throw refuse("tensor '" + tensor + "' has " + width + " channels, fewer than the group's place "
                            + describePlace(pos) + " needs");
                }
            }
            offsets.put(tensor, pos);
            queue.add(tensor);
        }

        /**
         * Adds a member whose channels sit at {@code pos}: contiguous members carry their offset, scattered ones
         * (after a channel shuffle or a partial slice) offset −1 and their positions in the group's table.
         */
        private void add(java.util.function.IntFunction<Member> make, int[] pos) {
            int off = offsetOf(pos);
            Member m = make.apply(off);
            if (off < 0) {
                scattered.putIfAbsent(m, pos.clone());
            }
            add(m);
        }

        private void add(Member m) {
            members.putIfAbsent(m.getClass().getSimpleName() + ":" + m.node(), m);
        }

        private void process(String tensor, int[] pos) {
            if (net.outputs().contains(tensor)) {
                throw refuse("its channels reach the network output '" + tensor + "', whose width must not change");
            }
            Optional<Node> producer = net.producer(tensor);
            if (producer.isEmpty()) {
                throw refuse("its channels are tied to the network input '" + tensor + "'");
            }
            if (producersHandled.add(producer.get().name())) {
                backward(producer.get(), pos);
            }
            for (Node consumer : net.consumers(tensor)) {
                forward(consumer, tensor, pos);
            }
        }

        /** The node that writes a group tensor: walk back to the producers (dispatch on the op's channel rule). */
        private void backward(Node p, int[] pos) {
            Op op = p.op();
            switch (op.channelRule()) {
                case PRODUCER -> {
                    if (!(op instanceof Op.Conv c)) {
                        throw refuse("its channels come out of " + op.onnxType() + " node '" + p.name()
                                + "'; only convs can produce a prunable group");
                    }
                    if (offsetOf(pos) != 0 || c.outChannels() != channels) {
                        throw refuse("conv '" + p.name() + "' has " + c.outChannels() + " filters but the group has "
                                + channels + " channels");
                    }
                    add(new Member.ProducerConv(p.name(), 0));
                    producers.add(p.name());
                }
                case PER_CHANNEL -> {
                    perChannelMember(p, pos);
                    visit(p.input(), pos);
                }
                case GROUPED -> {
                    Op.Conv c = (Op.Conv) op;
                    if (offsetOf(pos) != 0 || c.outChannels() != channels) {
                        throw refuse("grouped conv '" + p.name() + "' has " + c.outChannels()
                                + " filters but the group has " + channels + " channels");
                    }
                    add(new Member.GroupedProducerConv(p.name(), 0, c.groups()));
                    producers.add(p.name());
                }
                case PASS_THROUGH -> {
                    passThroughMember(p, pos);
                    visit(p.input(), pos);
                }
                case ELEMENTWISE -> {
                    for (String in : coupledInputs(p)) {
                        visit(in, pos);
                    }
                }
                case REDUCE -> {
                    if (reducesChannels(p)) {
                        throw refuse(op.onnxType() + " node '" + p.name() + "' averages over the channel axis");
                    }
                    visit(p.input(), pos);
                }
                default -> throw refuse("its channels come out of " + op.onnxType() + " node '" + p.name()
                        + "', which cannot be traced back to the producing convs");
            }
        }

        /** A node that reads a group tensor: walk forward to the consumers. */
        private void forward(Node n, String tensor, int[] pos) {
            Op op = n.op();
            producersHandled.add(n.name()); // its output is reached from below: no need to walk back through it
            switch (op.channelRule()) {
                case PRODUCER -> {
                    if (op instanceof Op.Conv) {
                        add(off -> new Member.ConsumerConv(n.name(), off), pos);
                    } else if (op instanceof Op.Linear && shapes.get(tensor).length == 2) {
                        add(off -> new Member.ConsumerLinear(n.name(), off, 1), pos);
                    } else {
                        throw refuse(op.onnxType() + " node '" + n.name() + "' reads the channels of '" + tensor
                                + "' " + Arrays.toString(shapes.get(tensor)) + " on an axis other than its input axis");
                    }
                }
                case PER_CHANNEL -> {
                    perChannelMember(n, pos);
                    visit(n.name(), pos);
                }
                case GROUPED -> {
                    Op.Conv c = (Op.Conv) op;
                    if (offsetOf(pos) != 0 || channels != c.inChannels()) {
                        throw refuse("grouped conv '" + n.name() + "' (groups=" + c.groups() + ") reads channels "
                                + describePlace(pos) + " of its " + c.inChannels()
                                + " inputs; a grouped conv can only be cut when one group is its whole input (every"
                                + " conv group must lose the same number of channels)");
                    }
                    add(new Member.GroupedConsumerConv(n.name(), 0, c.groups()));
                }
                case PASS_THROUGH -> {
                    passThroughMember(n, pos);
                    visit(n.name(), pos);
                }
                case ELEMENTWISE -> {
                    List<String> coupled = coupledInputs(n);
                    if (!coupled.contains(tensor)) {
                        throw refuse(op.onnxType() + " node '" + n.name() + "' broadcasts '" + tensor
                                + "' along the channels; its channels cannot be cut alone");
                    }
                    for (String in : coupled) {
                        visit(in, pos);
                    }
                    visit(n.name(), pos);
                }
                case REDUCE -> {
                    if (reducesChannels(n)) {
                        throw refuse(op.onnxType() + " node '" + n.name() + "' averages over the channel axis");
                    }
                    visit(n.name(), pos);
                }
                case INDEX_MAP -> indexMap(n, tensor, pos);
                case FLATTEN -> flatten(n, tensor, pos);
                case MIXING -> throw refuse(op.onnxType() + " node '" + n.name()
                        + "' mixes all channels of '" + tensor + "' and cannot be cut");
            }
        }

        private void indexMap(Node n, String tensor, int[] pos) {
            Op op = n.op();
            if (op instanceof Op.Concat cat) {
                int axis = cat.axis() < 0 ? cat.axis() + shapes.get(tensor).length : cat.axis();
                if (axis != 1) {
                    throw refuse("Concat '" + n.name() + "' joins on axis " + cat.axis() + ", not channels");
                }
                if (n.inputs().indexOf(tensor) != n.inputs().lastIndexOf(tensor)) {
                    throw refuse("Concat '" + n.name() + "' reads '" + tensor + "' twice");
                }
                int shift = 0;
                for (String in : n.inputs()) {
                    if (in.equals(tensor)) {
                        break;
                    }
                    shift += channelsOf(in);
                }
                int[] out = new int[channels];
                for (int c = 0; c < channels; c++) {
                    out[c] = pos[c] < 0 ? -1 : pos[c] + shift;
                }
                visit(n.name(), out);
            } else if (op instanceof Op.Slice sl && sl.axis() == 1) {
                // the bounds move by the removed channels below them; the channels inside the range pass on
                add(off -> new Member.SliceBounds(n.name(), off), pos);
                int[] out = new int[channels];
                for (int c = 0; c < channels; c++) {
                    out[c] = pos[c] >= sl.start() && pos[c] < sl.end() ? pos[c] - sl.start() : -1;
                }
                visit(n.name(), out);
            } else if (op instanceof Op.ChannelShuffle || op instanceof Op.ChannelGather) {
                int width = channelsOf(tensor);
                int[] sources = op instanceof Op.ChannelShuffle sh ? shuffleSources(sh, width)
                        : ((Op.ChannelGather) op).indices();
                int[] where = new int[width];
                Arrays.fill(where, -1);
                for (int o = 0; o < sources.length; o++) {
                    int src = sources[o];
                    if (where[src] >= 0) {
                        for (int c = 0; c < channels; c++) {
                            if (pos[c] == src) {
                                throw refuse(op.onnxType() + " '" + n.name() + "' copies channel " + src + " of '" + tensor
                                        + "' (a group channel) to several outputs");
                            }
                        }
                    }
                    where[src] = o;
                }
                add(off -> new Member.ChannelReorder(n.name(), off), pos);
                int[] out = new int[channels];
                for (int c = 0; c < channels; c++) {
                    out[c] = pos[c] < 0 ? -1 : where[pos[c]];
                }
                visit(n.name(), out);
            } else {
                throw refuse(op.onnxType() + " node '" + n.name() + "' re-orders the channels of '" + tensor
                        + "' in a way thinet4j cannot follow");
            }
        }

        private void flatten(Node n, String tensor, int[] pos) {
            int[] s = shapes.get(tensor);
            if (n.op() instanceof Op.Reshape r) {
                int[] out = shapes.get(n.name());
                if (out.length != 2) {
                    throw refuse("Reshape '" + n.name() + "' turns '" + tensor + "' " + Arrays.toString(s) + " into "
                            + Arrays.toString(out) + "; only flattening to [N, features] can be cut");
                }
            }
            int block = 1; // features per channel: H·W of an NCHW input
            for (int i = 2; i < s.length; i++) {
                block *= s[i];
            }
            int perChannel = block;
            List<Node> readers = net.consumers(n.name());
            if (net.outputs().contains(n.name()) || readers.isEmpty()) {
                throw refuse(n.op().onnxType() + " '" + n.name() + "' is a network output");
            }
            for (Node r : readers) {
                if (!(r.op() instanceof Op.Linear)) {
                    throw refuse(n.op().onnxType() + " '" + n.name() + "' feeds " + r.op().onnxType() + " '" + r.name()
                            + "'; only linear layers can be cut after flattening");
                }
                add(off -> new Member.ConsumerLinear(r.name(), off, perChannel), pos);
            }
        }

        private void perChannelMember(Node n, int[] pos) {
            if (n.op() instanceof Op.BatchNorm) {
                add(off -> new Member.BatchNormChannels(n.name(), off), pos);
            } else if (n.op() instanceof Op.Conv c && isDepthwise(c)) {
                add(off -> new Member.DepthwiseConv(n.name(), off), pos);
            } else if (n.op() instanceof Op.LayerNorm) {
                add(off -> new Member.LayerNormChannels(n.name(), off), pos);
            } else {
                throw refuse(n.op().onnxType() + " node '" + n.name() + "' has per-channel weights thinet4j cannot cut");
            }
        }

        /** A constant operand along the channels follows them; a scalar or spatial one needs nothing. */
        private void passThroughMember(Node n, int[] pos) {
            if (!(n.op() instanceof Op.ConstArith ca)) {
                return;
            }
            int[] x = shapes.get(n.input());
            int[] c = ca.constant().shape();
            int axis = 1 - (x.length - c.length); // the constant's axis that lines up with the channel axis
            if (axis < 0 || c[axis] == 1) {
                return;
            }
            add(off -> new Member.ChannelConstant(n.name(), off, axis), pos);
        }

        /** Inputs of an element-wise node that carry the channels (the others broadcast along them). */
        private List<String> coupledInputs(Node n) {
            int width = channelsOf(n.name());
            List<String> out = new ArrayList<>();
            for (String in : n.inputs()) {
                if (channelsOf(in) == width) {
                    out.add(in);
                }
            }
            return out;
        }

        private boolean reducesChannels(Node n) {
            return n.op() instanceof Op.ReduceMean r && r.reduces(1);
        }
    }

    private static long lcm(long a, long b) {
        long x = a;
        long y = b;
        while (y != 0) {
            long t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    /** Source channel of each output channel of a shuffle over {@code width} channels. */
    static int[] shuffleSources(Op.ChannelShuffle sh, int width) {
        int[] src = new int[width];
        for (int o = 0; o < width; o++) {
            src[o] = sh.sourceChannel(o, width);
        }
        return src;
    }

    /** A depthwise conv with one filter per channel: the conv's own channel rule says per-channel. */
    static boolean isDepthwise(Op.Conv c) {
        return c.channelRule() == dev.thinet4j.model.ChannelRule.PER_CHANNEL;
    }
}
