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
 * <p>Rules: BN, element-wise activations, pooling and Identity pass channels through (BN entries
 * are cut); a depthwise conv ties its input channel to its output channel; an ordinary conv or a
 * linear layer after Flatten reads them (its input axis is cut); Concat shifts the channel index by
 * the widths of the inputs before it; Add ties all its inputs and its output, so every conv that
 * feeds the Add (through BN and activations) is a producer of the same group. Anything else —
 * the network input or output, Softmax over channels, a Concat seen from its output — is refused with a
 * message naming the node.
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
        private final Map<String, Integer> offsets = new LinkedHashMap<>();
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
            visit(conv, 0);
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
            return new ChannelGroup(prods, channels, ordered, tensors, blocks(ordered));
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

        private void visit(String tensor, int offset) {
            Integer prev = offsets.get(tensor);
            if (prev != null) {
                if (prev != offset) {
                    throw refuse("tensor '" + tensor + "' is reached at two different channel offsets ("
                            + prev + " and " + offset + ")");
                }
                return;
            }
            int width = tensor.equals(net.input().name()) ? net.input().channels() : channelsOf(tensor);
            if (offset + channels > width) {
                throw refuse("tensor '" + tensor + "' has " + width + " channels, fewer than offset " + offset
                        + " + " + channels);
            }
            offsets.put(tensor, offset);
            queue.add(tensor);
        }

        private void add(Member m) {
            members.putIfAbsent(m.getClass().getSimpleName() + ":" + m.node(), m);
        }

        private void process(String tensor, int offset) {
            if (net.outputs().contains(tensor)) {
                throw refuse("its channels reach the network output '" + tensor + "', whose width must not change");
            }
            Optional<Node> producer = net.producer(tensor);
            if (producer.isEmpty()) {
                throw refuse("its channels are tied to the network input '" + tensor + "'");
            }
            if (producersHandled.add(producer.get().name())) {
                backward(producer.get(), offset);
            }
            for (Node consumer : net.consumers(tensor)) {
                forward(consumer, tensor, offset);
            }
        }

        /** The node that writes a group tensor: walk back to the producers (dispatch on the op's channel rule). */
        private void backward(Node p, int offset) {
            Op op = p.op();
            switch (op.channelRule()) {
                case PRODUCER -> {
                    if (!(op instanceof Op.Conv c)) {
                        throw refuse("its channels come out of " + op.onnxType() + " node '" + p.name()
                                + "'; only convs can produce a prunable group");
                    }
                    if (offset != 0 || c.outChannels() != channels) {
                        throw refuse("conv '" + p.name() + "' has " + c.outChannels() + " filters but the group has "
                                + channels + " channels");
                    }
                    add(new Member.ProducerConv(p.name(), 0));
                    producers.add(p.name());
                }
                case PER_CHANNEL -> {
                    add(perChannelMember(p, offset));
                    visit(p.input(), offset);
                }
                case GROUPED -> {
                    Op.Conv c = (Op.Conv) op;
                    if (offset != 0 || c.outChannels() != channels) {
                        throw refuse("grouped conv '" + p.name() + "' has " + c.outChannels()
                                + " filters but the group has " + channels + " channels");
                    }
                    add(new Member.GroupedProducerConv(p.name(), 0, c.groups()));
                    producers.add(p.name());
                }
                case PASS_THROUGH -> {
                    passThroughMember(p, offset);
                    visit(p.input(), offset);
                }
                case ELEMENTWISE -> {
                    for (String in : coupledInputs(p)) {
                        visit(in, offset);
                    }
                }
                case REDUCE -> {
                    if (reducesChannels(p)) {
                        throw refuse(op.onnxType() + " node '" + p.name() + "' averages over the channel axis");
                    }
                    visit(p.input(), offset);
                }
                case MIXING -> {
                    if (!(op instanceof Op.LayerNorm ln && ln.axis() == 1)) {
                        throw refuse("its channels come out of " + op.onnxType() + " node '" + p.name()
                                + "', which mixes the channels");
                    }
                    add(new Member.LayerNormChannels(p.name(), offset));
                    visit(p.input(), offset);
                }
                default -> throw refuse("its channels come out of " + op.onnxType() + " node '" + p.name()
                        + "', which cannot be traced back to the producing convs");
            }
        }

        /** A node that reads a group tensor: walk forward to the consumers. */
        private void forward(Node n, String tensor, int offset) {
            Op op = n.op();
            producersHandled.add(n.name()); // its output is reached from below: no need to walk back through it
            switch (op.channelRule()) {
                case PRODUCER -> {
                    if (op instanceof Op.Conv) {
                        add(new Member.ConsumerConv(n.name(), offset));
                    } else if (op instanceof Op.Linear && shapes.get(tensor).length == 2) {
                        add(new Member.ConsumerLinear(n.name(), offset, 1));
                    } else {
                        throw refuse(op.onnxType() + " node '" + n.name() + "' reads the channels of '" + tensor
                                + "' " + Arrays.toString(shapes.get(tensor)) + " on an axis other than its input axis");
                    }
                }
                case PER_CHANNEL -> {
                    add(perChannelMember(n, offset));
                    visit(n.name(), offset);
                }
                case GROUPED -> {
                    Op.Conv c = (Op.Conv) op;
                    if (offset != 0 || channels != c.inChannels()) {
                        throw refuse("grouped conv '" + n.name() + "' (groups=" + c.groups() + ") reads channels ["
                                + offset + ", " + (offset + channels) + ") of its " + c.inChannels()
                                + " inputs; a grouped conv can only be cut when one group is its whole input (every"
                                + " conv group must lose the same number of channels)");
                    }
                    add(new Member.GroupedConsumerConv(n.name(), offset, c.groups()));
                }
                case PASS_THROUGH -> {
                    passThroughMember(n, offset);
                    visit(n.name(), offset);
                }
                case ELEMENTWISE -> {
                    List<String> coupled = coupledInputs(n);
                    if (!coupled.contains(tensor)) {
                        throw refuse(op.onnxType() + " node '" + n.name() + "' broadcasts '" + tensor
                                + "' along the channels; its channels cannot be cut alone");
                    }
                    for (String in : coupled) {
                        visit(in, offset);
                    }
                    visit(n.name(), offset);
                }
                case REDUCE -> {
                    if (reducesChannels(n)) {
                        throw refuse(op.onnxType() + " node '" + n.name() + "' averages over the channel axis");
                    }
                    visit(n.name(), offset);
                }
                case INDEX_MAP -> indexMap(n, tensor, offset);
                case FLATTEN -> flatten(n, tensor, offset);
                case MIXING -> {
                    if (op instanceof Op.LayerNorm ln && ln.axis() == 1) {
                        // normalised over the channels: the kept channels' statistics change, as with any cut, and
                        // the scale and shift follow the channels (Torch-Pruning's rule for LayerNorm)
                        add(new Member.LayerNormChannels(n.name(), offset));
                        visit(n.name(), offset);
                    } else {
                        throw refuse(op.onnxType() + " node '" + n.name()
                                + "' mixes all channels of '" + tensor + "' and cannot be cut");
                    }
                }
            }
        }

        private void indexMap(Node n, String tensor, int offset) {
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
                visit(n.name(), offset + shift);
            } else if (op instanceof Op.Slice sl && sl.axis() == 1) {
                if (offset >= sl.start() && offset + channels <= sl.end()) {
                    add(new Member.SliceBounds(n.name(), offset));
                    visit(n.name(), offset - sl.start());
                } else if (offset + channels <= sl.start() || offset >= sl.end()) {
                    // the slice keeps none of the group's channels: not coupled; the slice bounds move
                    add(new Member.SliceBounds(n.name(), offset));
                } else {
                    throw refuse("Slice '" + n.name() + "' keeps channels [" + sl.start() + ", " + sl.end()
                            + ") of '" + tensor + "', part of the group at [" + offset + ", " + (offset + channels) + ")");
                }
            } else {
                throw refuse(op.onnxType() + " node '" + n.name() + "' re-orders the channels of '" + tensor
                        + "'; the group's channels would be scattered");
            }
        }

        private void flatten(Node n, String tensor, int offset) {
            int[] s = shapes.get(tensor);
            if (n.op() instanceof Op.Reshape r) {
                int[] out = shapes.get(n.name());
                if (out.length != 2) {
                    throw refuse("Reshape '" + n.name() + "' turns '" + tensor + "' " + Arrays.toString(s) + " into "
                            + Arrays.toString(out) + "; only flattening to [N, features] can be cut");
                }
            }
            int block = 1;
            for (int i = 2; i < s.length; i++) {
                block *= s[i];
            }
            List<Node> readers = net.consumers(n.name());
            if (net.outputs().contains(n.name()) || readers.isEmpty()) {
                throw refuse(n.op().onnxType() + " '" + n.name() + "' is a network output");
            }
            for (Node r : readers) {
                if (!(r.op() instanceof Op.Linear)) {
                    throw refuse(n.op().onnxType() + " '" + n.name() + "' feeds " + r.op().onnxType() + " '" + r.name()
                            + "'; only linear layers can be cut after flattening");
                }
                add(new Member.ConsumerLinear(r.name(), offset, block));
            }
        }

        private Member perChannelMember(Node n, int offset) {
            if (n.op() instanceof Op.BatchNorm) {
                return new Member.BatchNormChannels(n.name(), offset);
            }
            if (n.op() instanceof Op.Conv c && isDepthwise(c)) {
                return new Member.DepthwiseConv(n.name(), offset);
            }
            throw refuse(n.op().onnxType() + " node '" + n.name() + "' has per-channel weights thinet4j cannot cut");
        }

        /** A constant operand along the channels follows them; a scalar or spatial one needs nothing. */
        private void passThroughMember(Node n, int offset) {
            if (!(n.op() instanceof Op.ConstArith ca)) {
                return;
            }
            int[] x = shapes.get(n.input());
            int[] c = ca.constant().shape();
            int axis = 1 - (x.length - c.length); // the constant's axis that lines up with the channel axis
            if (axis < 0 || c[axis] == 1) {
                return;
            }
            add(new Member.ChannelConstant(n.name(), offset, axis));
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

    static boolean isDepthwise(Op.Conv c) {
        return c.groups() > 1 && c.weight().dim(1) == 1 && c.outChannels() == c.groups();
    }

    /** Ops that keep every channel where it is (element-wise or per-channel spatial). */
    static boolean isChannelwise(Op op) {
        return op.channelRule() == dev.thinet4j.model.ChannelRule.PASS_THROUGH;
    }
}
