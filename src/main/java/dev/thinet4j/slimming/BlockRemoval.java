package dev.thinet4j.slimming;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.policy.ResidualBlocks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Layer pruning by residual-block removal: a block y = x + F(x) with an identity shortcut becomes
 * y = x. Blocks are found with {@link ResidualBlocks#find}; a block is a candidate when
 * <ul>
 *   <li>its Add has two inputs and one of them is the block input itself (identity shortcut, so the
 *       input and output widths match);</li>
 *   <li>the other input (the branch) ends, possibly through element-wise activations or Identity, in
 *       a BatchNormalization whose input is a conv (the block's last conv);</li>
 *   <li>nothing outside the block reads its interior nodes, and neither the Add nor an interior node
 *       is a network output;</li>
 *   <li>no other candidate's Add lies inside it (of nested blocks only the inner ones are candidates).</li>
 * </ul>
 * Candidates are ranked by the mean |γ| of that BN, weakest first (ties: earlier block first).
 *
 * <p>Removing a block drops the Add and every interior node and makes the Add's readers read the
 * shortcut tensor. When the Add's only reader is a Relu that is no network output and the shortcut
 * itself is a Relu output, that Relu is dropped too (Relu(Relu(x)) = Relu(x)), so the result is exactly
 * the network whose branch outputs zero (the branch BN with γ = β = 0).
 */
public final class BlockRemoval {
    private static final Logger LOG = LoggerFactory.getLogger(BlockRemoval.class);

    private BlockRemoval() {
    }

    /** Every removable block of {@code net}, weakest (smallest mean |γ|) first. {@code net} is not modified. */
    public static List<BlockScore> candidates(Network net) {
        List<ResidualBlocks.Block> blocks = ResidualBlocks.find(net);
        List<BlockScore> scored = new ArrayList<>();
        for (ResidualBlocks.Block b : blocks) {
            score(net, b).ifPresent(scored::add);
        }
        Set<String> adds = new HashSet<>();
        scored.forEach(s -> adds.add(s.add()));
        List<BlockScore> out = new ArrayList<>();
        for (BlockScore s : scored) {
            if (s.interior().stream().noneMatch(adds::contains)) {
                out.add(s);
            } else {
                LOG.debug("residual block '{}' holds another removable block; not a candidate", s.add());
            }
        }
        out.sort(Comparator.comparingDouble(BlockScore::meanAbsGamma).thenComparingInt(s -> net.indexOf(s.add())));
        return out;
    }

    /**
     * Removes the {@code n} weakest candidate blocks.
     *
     * @param net the network. Not modified.
     * @param n   number of blocks to remove, ≥ 0
     * @throws IllegalArgumentException when n is negative or exceeds the number of candidates (the
     *                                  message lists them)
     */
    public static BlockRemovalResult removeWeakest(Network net, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("number of residual blocks to remove must be >= 0, got " + n);
        }
        List<BlockScore> cands = candidates(net);
        if (n > cands.size()) {
            throw new IllegalArgumentException("cannot remove " + n + " residual block(s) from '" + net.name()
                    + "': only " + cands.size() + " have an identity shortcut and a BatchNormalization after their"
                    + " last conv " + cands.stream().map(BlockScore::add).toList());
        }
        Network cur = net;
        List<BlockScore> removed = cands.subList(0, n);
        for (BlockScore b : removed) {
            // re-found on the current network: an earlier removal may have renamed this block's input
            String add = b.add();
            BlockScore now = candidates(cur).stream().filter(c -> c.add().equals(add)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("residual block '" + add
                            + "' stopped being removable after removing other blocks"));
            cur = remove(cur, now);
            LOG.debug("removed residual block '{}' (mean |gamma| {})", b.add(), b.meanAbsGamma());
        }
        return new BlockRemovalResult(cur, removed, cands);
    }

    /**
     * Removes one candidate block, as returned by {@link #candidates} for this very network.
     * {@code net} is not modified.
     */
    public static Network remove(Network net, BlockScore block) {
        Node add = net.node(block.add());
        Set<String> drop = new HashSet<>(block.interior());
        drop.add(add.name());
        Map<String, String> redirect = new HashMap<>();
        redirect.put(add.name(), block.input());
        List<Node> readers = net.consumers(add.name());
        Optional<Node> shortcutProducer = net.producer(block.input());
        if (readers.size() == 1 && readers.get(0).op() instanceof Op.Relu && !net.outputs().contains(readers.get(0).name())
                && shortcutProducer.isPresent() && shortcutProducer.get().op() instanceof Op.Relu) {
            drop.add(readers.get(0).name());
            redirect.put(readers.get(0).name(), block.input());
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : net.nodes()) {
            if (drop.contains(n.name())) {
                continue;
            }
            List<String> ins = n.inputs().stream().map(i -> redirect.getOrDefault(i, i)).toList();
            nodes.add(ins.equals(n.inputs()) ? n : new Node(n.name(), n.op(), ins));
        }
        Network out = net.withNodes(nodes);
        out.shapes(1);
        return out;
    }

    private static Optional<BlockScore> score(Network net, ResidualBlocks.Block b) {
        Node add = net.node(b.add());
        if (add.inputs().size() != 2 || !add.inputs().contains(b.input())
                || add.inputs().get(0).equals(add.inputs().get(1))) {
            return Optional.empty();
        }
        String branch = add.inputs().get(0).equals(b.input()) ? add.inputs().get(1) : add.inputs().get(0);
        Node end = net.node(branch);
        while (isElementwise(end.op()) && b.interior().contains(end.input())) {
            end = net.node(end.input());
        }
        if (!(end.op() instanceof Op.BatchNorm bn) || !b.interior().contains(end.name())
                || net.producer(end.input()).map(p -> !(p.op() instanceof Op.Conv)).orElse(true)) {
            LOG.debug("residual block '{}': its branch does not end in conv -> BatchNormalization", b.add());
            return Optional.empty();
        }
        if (net.outputs().contains(add.name())) {
            return Optional.empty();
        }
        Set<String> inside = new HashSet<>(b.interior());
        inside.add(add.name());
        for (String m : b.interior()) {
            if (net.outputs().contains(m)) {
                return Optional.empty();
            }
            for (Node r : net.consumers(m)) {
                if (!inside.contains(r.name())) {
                    LOG.debug("residual block '{}': '{}' is read outside the block by '{}'", b.add(), m, r.name());
                    return Optional.empty();
                }
            }
        }
        double sum = 0;
        for (int c = 0; c < bn.channels(); c++) {
            sum += Math.abs(bn.scale().get(c));
        }
        List<String> interior = new ArrayList<>(b.interior());
        interior.sort(Comparator.comparingInt(net::indexOf));
        return Optional.of(new BlockScore(add.name(), b.input(), end.name(), sum / bn.channels(), interior));
    }

    private static boolean isElementwise(Op op) {
        return op instanceof Op.Relu || op instanceof Op.LeakyRelu || op instanceof Op.Clip
                || op instanceof Op.Sigmoid || op instanceof Op.Identity;
    }
}
