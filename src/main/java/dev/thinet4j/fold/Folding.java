package dev.thinet4j.fold;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Graph rewrites that fold BatchNorms and merge branches of a {@link Network} without changing the
 * function it computes. Only exact patterns are rewritten (see {@link FoldMath} for the conditions);
 * everything else is left untouched, never approximated.
 *
 * <h2>Patterns</h2>
 * Applied one at a time, first match in this order, until none is left:
 * <ol>
 *   <li><b>Conv → BatchNorm</b> and <b>Linear → BatchNorm</b> where the BN is the only reader of the
 *       conv's output and that output is not a graph output. With
 *       {@link FoldOptions#allowMoreMacs()} a BN whose conv has other readers is replaced by a folded
 *       copy of the conv.</li>
 *   <li><b>AveragePool → Conv</b> (only with {@link FoldOptions#avgPoolToConv()}) in floor mode
 *       dividing by k_h·k_w everywhere: depthwise, or with the groups of a parallel conv in the same
 *       Add so that the next rule can merge it.</li>
 *   <li><b>Add of parallel branches</b> reading one tensor x: convs that only the Add reads (and that
 *       are not graph outputs), plus, when the convs have stride 1 and C_in = C_out, x itself
 *       (identity shortcut) or a BatchNorm of x that only the Add reads (RepVGG). The convs must have
 *       the same channels, groups, strides, dilations and aligned kernel centres; kernels of different
 *       sizes are zero-padded to one. Branches of the Add that do not fit stay as they are.</li>
 *   <li><b>Concat of convs</b> on one tensor: consecutive Concat inputs that are convs of identical
 *       geometry and groups 1 read only by the Concat become one conv with stacked filters.</li>
 *   <li><b>Conv → Conv</b> where one is 1×1 with stride 1 and no padding, both have groups 1, and the
 *       second is the only reader of the first: composed into one conv. When the 1×1 comes first and
 *       the second conv pads its input, this is exact only if the 1×1 conv's bias is zero (the padded
 *       border of the intermediate tensor is 0, not b1); otherwise it is left alone and reported in
 *       {@link FoldResult#skipped()}.</li>
 * </ol>
 * Without {@link FoldOptions#allowMoreMacs()}, a branch merge or composition is applied only when the
 * resulting conv has no more MACs than the convs it replaces.
 *
 * <h2>Names</h2>
 * The conv that results keeps the name of a conv it replaces: a BN fold keeps the conv's (or linear
 * layer's) name; a branch merge keeps the name of the first conv branch in the Add's or Concat's input
 * order; a composition keeps the name of the second conv (whose output readers already read);
 * a converted pool keeps the pool's name. Readers of a removed node (BN, fully merged Add or Concat)
 * are rewired to the result. When the removed node is a graph output, the result takes its name
 * instead, so the network's output names never change. When only some inputs of an Add or Concat
 * merge, the Add or Concat stays and reads the merged conv.
 */
public final class Folding {
    private static final Logger LOG = LoggerFactory.getLogger(Folding.class);

    private Folding() {
    }

    /** {@link #foldAll(Network, FoldOptions)} with {@link FoldOptions#defaults()}. */
    public static FoldResult foldAll(Network net) {
        return foldAll(net, FoldOptions.defaults());
    }

    /**
     * Applies every exact rewrite until none is left.
     *
     * @param net     the network; not modified
     * @param options which optional rewrites to apply
     * @return the new network, the rewrites made and the patterns left alone
     */
    public static FoldResult foldAll(Network net, FoldOptions options) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(options, "options");
        Network cur = net;
        List<FoldChange> changes = new ArrayList<>();
        // every step removes a node or turns an AveragePool into a Conv, so this terminates
        for (Step s = next(cur, options); s != null; s = next(cur, options)) {
            cur = s.network();
            changes.add(s.change());
            LOG.debug("{}: {}", net.name(), s.change().description());
        }
        List<FoldSkip> skipped = skips(cur, options);
        LOG.debug("{}: {} rewrites, {} patterns kept", net.name(), changes.size(), skipped.size());
        return new FoldResult(cur, changes, skipped);
    }

    private record Step(Network network, FoldChange change) {
    }

    private static Step next(Network net, FoldOptions options) {
        Step s = foldBatchNorm(net, options);
        if (s == null && options.avgPoolToConv()) {
            s = avgPool(net);
        }
        if (s == null) {
            s = mergeAdd(net, options);
        }
        if (s == null) {
            s = mergeConcat(net);
        }
        if (s == null) {
            s = compose(net, options);
        }
        return s;
    }

    // ------------------------------------------------------------------ BatchNorm

    private static Step foldBatchNorm(Network net, FoldOptions options) {
        for (Node n : net.nodes()) {
            if (!(n.op() instanceof Op.BatchNorm bn)) {
                continue;
            }
            Node p = net.producer(n.input()).orElse(null);
            if (p == null) {
                continue;
            }
            Op folded;
            FoldChange.Kind kind;
            if (p.op() instanceof Op.Conv c) {
                folded = FoldMath.foldBatchNorm(c, bn);
                kind = FoldChange.Kind.BN_INTO_CONV;
            } else if (p.op() instanceof Op.Linear l) {
                folded = FoldMath.foldBatchNorm(l, bn);
                kind = FoldChange.Kind.BN_INTO_LINEAR;
            } else {
                continue;
            }
            Edit e = new Edit();
            if (exclusive(net, p, n)) {
                boolean bnIsOutput = net.outputs().contains(n.name());
                String survivor = bnIsOutput ? n.name() : p.name();
                e.replace(p.name(), new Node(survivor, folded, p.inputs()));
                e.remove(n.name());
                e.rewire(n.name(), survivor);
                String desc = "folded " + n.name() + " into " + p.name()
                        + (bnIsOutput ? " (now named " + n.name() + ", a graph output)" : "");
                return new Step(e.apply(net), new FoldChange(kind, List.of(p.name(), n.name()), survivor, desc));
            }
            if (options.allowMoreMacs()) {
                e.replace(n.name(), new Node(n.name(), folded, p.inputs()));
                String desc = "folded " + n.name() + " into a copy of " + p.name() + " named " + n.name() + " ("
                        + p.name() + " has other readers)";
                return new Step(e.apply(net), new FoldChange(kind, List.of(n.name()), n.name(), desc));
            }
        }
        return null;
    }

    /** {@code reader} is the only reader of {@code p}'s output, which is not a graph output. */
    private static boolean exclusive(Network net, Node p, Node reader) {
        List<Node> readers = net.consumers(p.name());
        return readers.size() == 1 && readers.get(0).name().equals(reader.name()) && !net.outputs().contains(p.name());
    }

    // ------------------------------------------------------------------ average pool

    private static Step avgPool(Network net) {
        for (Node n : net.nodes()) {
            if (!(n.op() instanceof Op.AvgPool pool) || FoldMath.avgPoolObstacle(pool).isPresent()) {
                continue;
            }
            int channels = net.shapes(1).get(n.input())[1];
            int groups = siblingGroups(net, n, pool, channels);
            Op.Conv conv = FoldMath.avgPoolAsConv(pool, channels, groups);
            Edit e = new Edit();
            e.replace(n.name(), new Node(n.name(), conv, n.inputs()));
            String form = groups == channels ? "a depthwise " + pool.kernel() + " conv"
                    : "a " + pool.kernel() + " conv with groups " + groups;
            return new Step(e.apply(net), new FoldChange(FoldChange.Kind.AVGPOOL_TO_CONV, List.of(n.name()), n.name(),
                    "converted average pool " + n.name() + " into " + form));
        }
        return null;
    }

    /** The groups of a conv the pool can be merged with in the Add that alone reads it, else C (depthwise). */
    private static int siblingGroups(Network net, Node poolNode, Op.AvgPool pool, int channels) {
        List<Node> readers = net.consumers(poolNode.name());
        if (readers.size() == 1 && readers.get(0).op() instanceof Op.Add && !net.outputs().contains(poolNode.name())) {
            Node add = readers.get(0);
            for (String t : add.inputs()) {
                Node q = net.producer(t).orElse(null);
                if (q != null && q.op() instanceof Op.Conv c && q.input().equals(poolNode.input()) && exclusive(net, q, add)
                        && c.inChannels() == channels && channels % c.groups() == 0
                        && FoldMath.parallelObstacle(List.of(c, FoldMath.avgPoolAsConv(pool, channels, c.groups())))
                        .isEmpty()) {
                    return c.groups();
                }
            }
        }
        return channels;
    }

    // ------------------------------------------------------------------ Add of parallel branches

    /** One Add input that may be merged: a conv, a BN of the source, or the source itself. */
    private record Branch(int slot, String tensor, String source, Node node, boolean identity) {
        boolean isConv() {
            return node != null && node.op() instanceof Op.Conv;
        }

        String label() {
            return identity ? tensor + " (identity)" : tensor;
        }

        /** The branch as a conv compatible with {@code like} (identity / BN get its groups and dilations). */
        Op.Conv asConv(Op.Conv like) {
            if (isConv()) {
                return (Op.Conv) node.op();
            }
            Op.Conv id = FoldMath.identityConv(like.outChannels(), like.groups(), like.dilations());
            return identity ? id : FoldMath.foldBatchNorm(id, (Op.BatchNorm) node.op());
        }
    }

    /** Branches of one Add on one source that can be summed into one conv. */
    private record BranchClass(String source, List<Branch> members) {
        /** The first conv member (classes start from a conv; identity / BN members may sort before it). */
        Op.Conv firstConv() {
            return (Op.Conv) members.stream().filter(Branch::isConv).findFirst().orElseThrow().node().op();
        }

        String firstConvName() {
            return members.stream().filter(Branch::isConv).findFirst().orElseThrow().tensor();
        }

        List<Op.Conv> convs() {
            Op.Conv like = firstConv();
            return members.stream().map(b -> b.asConv(like)).toList();
        }

        int convCount() {
            return (int) members.stream().filter(Branch::isConv).count();
        }
    }

    /** Groups the branches of an Add: conv branches first (greedily), then identity / BN branches join. */
    private static List<BranchClass> classify(Network net, Node add) {
        List<Branch> convs = new ArrayList<>();
        List<Branch> others = new ArrayList<>();
        for (int j = 0; j < add.inputs().size(); j++) {
            String t = add.inputs().get(j);
            Node p = net.producer(t).orElse(null);
            if (p != null && (p.op() instanceof Op.Conv || p.op() instanceof Op.BatchNorm) && exclusive(net, p, add)) {
                Branch b = new Branch(j, t, p.input(), p, false);
                (b.isConv() ? convs : others).add(b);
            } else {
                others.add(new Branch(j, t, t, null, true));
            }
        }
        List<BranchClass> classes = new ArrayList<>();
        for (Branch b : convs) {
            BranchClass home = null;
            for (BranchClass c : classes) {
                if (c.source().equals(b.source()) && fits(c, b)) {
                    home = c;
                    break;
                }
            }
            if (home == null) {
                classes.add(new BranchClass(b.source(), new ArrayList<>(List.of(b))));
            } else {
                home.members().add(b);
            }
        }
        for (Branch b : others) {
            for (BranchClass c : classes) {
                if (c.source().equals(b.source()) && fits(c, b)) {
                    c.members().add(b);
                    break;
                }
            }
        }
        for (BranchClass c : classes) {
            c.members().sort((x, y) -> Integer.compare(x.slot(), y.slot()));
        }
        return classes;
    }

    private static boolean fits(BranchClass c, Branch b) {
        Op.Conv like = c.firstConv();
        if (!b.isConv() && (like.inChannels() != like.outChannels() || like.outChannels() % like.groups() != 0)) {
            return false;
        }
        List<Op.Conv> all = new ArrayList<>(c.convs());
        all.add(b.asConv(like));
        return FoldMath.parallelObstacle(all).isEmpty();
    }

    private static long convMacs(Network net, Op.Conv c, String input, String output) {
        Map<String, int[]> shapes = net.shapes(1);
        return c.macs(List.of(shapes.get(input)), shapes.get(output));
    }

    private static long branchMacs(Network net, BranchClass c) {
        long sum = 0;
        for (Branch b : c.members()) {
            if (b.isConv()) {
                sum += convMacs(net, (Op.Conv) b.node().op(), b.source(), b.tensor());
            }
        }
        return sum;
    }

    private static Step mergeAdd(Network net, FoldOptions options) {
        for (Node add : net.nodesOf(Op.Add.class)) {
            for (BranchClass c : classify(net, add)) {
                if (c.members().size() < 2) {
                    continue;
                }
                Op.Conv merged = FoldMath.sumParallel(c.convs());
                if (!options.allowMoreMacs() && convMacs(net, merged, c.source(), add.name()) > branchMacs(net, c)) {
                    continue;
                }
                return new Step(mergeInto(net, add, c.members(), merged), branchChange(FoldChange.Kind.ADD_BRANCHES,
                        net, add, c.members()));
            }
        }
        return null;
    }

    /**
     * Replaces {@code members} (inputs of {@code join}, an Add or Concat) by one node computing
     * {@code merged} from their common source, placed just before {@code join}.
     */
    private static Network mergeInto(Network net, Node join, List<Branch> members, Op.Conv merged) {
        String survivor = survivorName(net, join, members);
        String source = members.get(0).source();
        Edit e = new Edit();
        for (Branch b : members) {
            if (b.node() != null) {
                e.remove(b.node().name());
            }
        }
        Node mergedNode = new Node(survivor, merged, List.of(source));
        if (members.size() == join.inputs().size()) {
            e.replace(join.name(), mergedNode);
            e.rewire(join.name(), survivor);
        } else {
            Set<Integer> slots = new HashSet<>();
            members.forEach(b -> slots.add(b.slot()));
            int first = members.get(0).slot();
            List<String> inputs = new ArrayList<>();
            for (int j = 0; j < join.inputs().size(); j++) {
                if (j == first) {
                    inputs.add(survivor);
                } else if (!slots.contains(j)) {
                    inputs.add(join.inputs().get(j));
                }
            }
            e.replace(join.name(), mergedNode, new Node(join.name(), join.op(), inputs));
        }
        return e.apply(net);
    }

    private static String survivorName(Network net, Node join, List<Branch> members) {
        if (members.size() == join.inputs().size() && net.outputs().contains(join.name())) {
            return join.name();
        }
        return members.stream().filter(Branch::isConv).findFirst().orElseThrow().node().name();
    }

    private static FoldChange branchChange(FoldChange.Kind kind, Network net, Node join, List<Branch> members) {
        String survivor = survivorName(net, join, members);
        List<String> replaced = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Branch b : members) {
            labels.add(b.label());
            if (b.node() != null) {
                replaced.add(b.node().name());
            }
        }
        if (members.size() == join.inputs().size()) {
            replaced.add(join.name());
        }
        return new FoldChange(kind, replaced, survivor, "merged branches " + String.join(", ", labels) + " of "
                + join.name() + " into " + survivor);
    }

    // ------------------------------------------------------------------ Concat of convs

    private static Step mergeConcat(Network net) {
        for (Node cat : net.nodesOf(Op.Concat.class)) {
            List<Branch> run = concatRuns(net, cat).stream().filter(r -> r.size() >= 2).findFirst().orElse(null);
            if (run != null) {
                Op.Conv merged = FoldMath.concat(run.stream().map(b -> (Op.Conv) b.node().op()).toList());
                return new Step(mergeInto(net, cat, run, merged), branchChange(FoldChange.Kind.CONCAT_BRANCHES, net,
                        cat, run));
            }
        }
        return null;
    }

    /** Maximal runs of consecutive channel-Concat inputs that are stackable convs on one source. */
    private static List<List<Branch>> concatRuns(Network net, Node cat) {
        List<List<Branch>> runs = new ArrayList<>();
        int axis = ((Op.Concat) cat.op()).axis();
        int rank = net.shapes(1).get(cat.name()).length;
        if (rank != 4 || (axis != 1 && axis != -3)) {
            return runs;
        }
        List<Branch> run = new ArrayList<>();
        for (int j = 0; j < cat.inputs().size(); j++) {
            String t = cat.inputs().get(j);
            Node p = net.producer(t).orElse(null);
            Branch b = p != null && p.op() instanceof Op.Conv && exclusive(net, p, cat)
                    ? new Branch(j, t, p.input(), p, false) : null;
            if (b != null && !run.isEmpty() && run.get(0).source().equals(b.source())
                    && FoldMath.concatObstacle(convsOf(run, b)).isEmpty()) {
                run.add(b);
                continue;
            }
            if (!run.isEmpty()) {
                runs.add(run);
            }
            run = b == null ? new ArrayList<>() : new ArrayList<>(List.of(b));
        }
        if (!run.isEmpty()) {
            runs.add(run);
        }
        return runs;
    }

    private static List<Op.Conv> convsOf(List<Branch> run, Branch extra) {
        List<Op.Conv> out = new ArrayList<>();
        run.forEach(b -> out.add((Op.Conv) b.node().op()));
        out.add((Op.Conv) extra.node().op());
        return out;
    }

    // ------------------------------------------------------------------ sequential convs

    private static Step compose(Network net, FoldOptions options) {
        for (Node second : net.nodesOf(Op.Conv.class)) {
            Node first = net.producer(second.input()).orElse(null);
            if (first == null || !(first.op() instanceof Op.Conv a) || !exclusive(net, first, second)) {
                continue;
            }
            Op.Conv b = (Op.Conv) second.op();
            if (FoldMath.sequentialObstacle(a, b).isPresent()) {
                continue;
            }
            Op.Conv merged = FoldMath.composeSequential(a, b);
            if (!options.allowMoreMacs() && composedMacs(net, merged, first, second) > pairMacs(net, first, second)) {
                continue;
            }
            Edit e = new Edit();
            e.remove(first.name());
            e.replace(second.name(), new Node(second.name(), merged, first.inputs()));
            String desc = FoldMath.isPointwise(a)
                    ? "composed 1x1 conv " + first.name() + " into " + second.name()
                    : "composed conv " + first.name() + " and 1x1 conv " + second.name() + " into " + second.name();
            return new Step(e.apply(net), new FoldChange(FoldChange.Kind.SEQUENTIAL,
                    List.of(first.name(), second.name()), second.name(), desc));
        }
        return null;
    }

    private static long composedMacs(Network net, Op.Conv merged, Node first, Node second) {
        return convMacs(net, merged, first.input(), second.name());
    }

    private static long pairMacs(Network net, Node first, Node second) {
        return convMacs(net, (Op.Conv) first.op(), first.input(), first.name())
                + convMacs(net, (Op.Conv) second.op(), second.input(), second.name());
    }

    // ------------------------------------------------------------------ what was left alone

    private static List<FoldSkip> skips(Network net, FoldOptions options) {
        List<FoldSkip> out = new ArrayList<>();
        for (Node n : net.nodes()) {
            Op op = n.op();
            if (op instanceof Op.BatchNorm) {
                net.producer(n.input()).filter(p -> p.op() instanceof Op.Conv || p.op() instanceof Op.Linear)
                        .ifPresent(p -> out.add(new FoldSkip(n.name(), p.name() + " has other readers or is a graph"
                                + " output (FoldOptions.allowMoreMacs folds the BN into a copy of it)")));
            } else if (op instanceof Op.AvgPool pool && options.avgPoolToConv()) {
                FoldMath.avgPoolObstacle(pool).ifPresent(why -> out.add(new FoldSkip(n.name(), "not a conv: " + why)));
            } else if (op instanceof Op.Conv b) {
                sequentialSkip(net, n, b).ifPresent(out::add);
            } else if (op instanceof Op.Add) {
                addSkips(net, n, out);
            } else if (op instanceof Op.Concat) {
                List<List<Branch>> runs = concatRuns(net, n);
                for (int i = 1; i < runs.size(); i++) {
                    Branch x = runs.get(i - 1).get(runs.get(i - 1).size() - 1);
                    Branch y = runs.get(i).get(0);
                    if (x.slot() + 1 == y.slot() && x.source().equals(y.source())) {
                        out.add(new FoldSkip(n.name(), "convs " + x.tensor() + " and " + y.tensor() + " read "
                                + x.source() + " but cannot be stacked: " + FoldMath.concatObstacle(List.of(
                                (Op.Conv) x.node().op(), (Op.Conv) y.node().op())).orElse("")));
                    }
                }
            }
        }
        return out;
    }

    private static Optional<FoldSkip> sequentialSkip(Network net, Node second, Op.Conv b) {
        Node first = net.producer(second.input()).orElse(null);
        if (first == null || !(first.op() instanceof Op.Conv a) || !exclusive(net, first, second)) {
            return Optional.empty();
        }
        Optional<String> why = FoldMath.sequentialObstacle(a, b);
        if (why.isEmpty()) {
            return Optional.of(new FoldSkip(second.name(), "composing it with " + first.name() + " would raise MACs from "
                    + pairMacs(net, first, second) + " to " + composedMacs(net, FoldMath.composeSequential(a, b), first,
                    second)));
        }
        boolean paddingIsTheObstacle = FoldMath.isPointwise(a) && a.groups() == 1 && b.groups() == 1
                && a.outChannels() == b.inChannels() && !b.pads().isZero() && FoldMath.hasNonZero(a.bias());
        return paddingIsTheObstacle
                ? Optional.of(new FoldSkip(second.name(), "not composed with 1x1 conv " + first.name() + ": " + why.get()))
                : Optional.empty();
    }

    private static void addSkips(Network net, Node add, List<FoldSkip> out) {
        List<BranchClass> classes = classify(net, add);
        for (int i = 0; i < classes.size(); i++) {
            BranchClass c = classes.get(i);
            if (c.members().size() >= 2) {
                long before = branchMacs(net, c);
                long after = convMacs(net, FoldMath.sumParallel(c.convs()), c.source(), add.name());
                out.add(new FoldSkip(add.name(), "merging branches " + String.join(", ",
                        c.members().stream().map(Branch::label).toList()) + " would raise MACs from " + before + " to "
                        + after));
            }
            for (int j = 0; j < i; j++) {
                BranchClass d = classes.get(j);
                if (d.source().equals(c.source())) {
                    out.add(new FoldSkip(add.name(), "branches " + d.firstConvName() + " and " + c.firstConvName()
                            + " read " + c.source() + " but cannot be merged: "
                            + FoldMath.parallelObstacle(List.of(d.firstConv(), c.firstConv())).orElse("")));
                    break;
                }
            }
        }
    }

    // ------------------------------------------------------------------ rebuilding

    /** Node replacements, removals and reader rewiring, applied in one pass in topological order. */
    private static final class Edit {
        private final Map<String, List<Node>> replace = new HashMap<>();
        private final Set<String> remove = new HashSet<>();
        private final Map<String, String> rewire = new HashMap<>();

        void replace(String at, Node... nodes) {
            replace.put(at, List.of(nodes));
        }

        void remove(String name) {
            remove.add(name);
        }

        void rewire(String from, String to) {
            if (!from.equals(to)) {
                rewire.put(from, to);
            }
        }

        Network apply(Network net) {
            NetworkBuilder b = Network.builder(net.name()).input(net.input().name(), net.input().channels(),
                    net.input().height(), net.input().width());
            for (Node n : net.nodes()) {
                List<Node> r = replace.get(n.name());
                if (r != null) {
                    r.forEach(x -> b.add(rewired(x)));
                } else if (!remove.contains(n.name())) {
                    b.add(rewired(n));
                }
            }
            for (String o : net.outputs()) {
                b.output(rewire.getOrDefault(o, o));
            }
            return b.build();
        }

        private Node rewired(Node n) {
            List<String> ins = n.inputs().stream().map(t -> rewire.getOrDefault(t, t)).toList();
            return ins.equals(n.inputs()) ? n : new Node(n.name(), n.op(), ins);
        }
    }
}
