package dev.thinet4j.rewrite;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Rewrites channels-last regions of a network into channels-first (NCHW) form, exactly: a region is bracketed by
 * {@code Transpose(0,2,3,1)} entries and {@code Transpose(0,3,1,2)} exits on 4-D tensors, and every op inside it
 * has an NCHW equivalent under that axis permutation. The transposes disappear and the ops are re-expressed:
 *
 * <ul>
 *   <li>{@link Op.LayerNorm} over NHWC axis a → over the corresponding NCHW axis (ConvNeXt's axis 3 → axis 1);</li>
 *   <li>{@link Op.Linear} on [N, H, W, C] → a 1x1 {@link Op.Conv}, weight [out, in, 1, 1], same bias, groups 1
 *       ({@link dev.thinet4j.model.ChannelRule#PRODUCER});</li>
 *   <li>element-wise unary ops (Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Erf, Sqrt, Identity)
 *       unchanged;</li>
 *   <li>{@link Op.ConstArith}: a one-element constant unchanged; any other constant right-aligned against
 *       [N, H, W, C] and permuted to NCHW, leading ones dropped down to rank 3 ([C] and [1,1,1,C] →
 *       [C,1,1]);</li>
 *   <li>{@link Op.Binary} and {@link Op.Add} whose inputs all lie in the region unchanged (both operands are
 *       permuted alike, so broadcasting is preserved);</li>
 *   <li>{@link Op.Softmax}, {@link Op.Concat}, {@link Op.Slice} and {@link Op.ReduceMean} with kept dims: the
 *       axis (axes) mapped to NCHW.</li>
 * </ul>
 *
 * <p>A region is found by following channels-last tensors from an entry: forward to every consumer and, for an
 * op with several inputs, backward to every producer (so a region may branch, merge and hold several entries and
 * exits). It is <em>unsafe</em> and left exactly as it is when a channels-last tensor is read by any other op
 * (Flatten, a pool, a conv, a Transpose of another permutation, ...), when an op of the region reads a tensor that
 * is neither an entry's output nor another region op's output, or when a channels-last tensor is a graph output.
 *
 * <p>Before and after that, chains of Transposes are simplified: a Transpose reading a Transpose whose only
 * consumer it is becomes one Transpose of the composed permutation, and identity Transposes (including inverse
 * pairs such as {@code Transpose(0,3,1,2)} directly followed by {@code Transpose(0,2,3,1)}) are removed.
 *
 * <p>Names: rewritten nodes keep their names; removed transposes disappear and their readers read the tensor the
 * transpose read. When a removed transpose wrote a graph output, the output name is kept by renaming the node
 * writing the replacement tensor (or, when that is the network input, another graph output or already renamed, by
 * an {@link Op.Identity} node of the transpose's name); see {@link Result#renamed()}.
 *
 * <p><b>Use</b>: call {@link #apply} once on a freshly imported network, before folding, dependency analysis or
 * pruning, and continue with {@link Result#network()}:
 *
 * <pre>{@code
 * ChannelsFirst.Result r = ChannelsFirst.apply(imported);
 * Network net = r.network();          // same function, same input and output names and shapes
 * if (!r.skipped().isEmpty()) { ... } // regions left channels-last, each with the reason
 * }</pre>
 *
 * The pass is pure (the argument is not modified), idempotent, and checks that every output keeps its shape.
 */
public final class ChannelsFirst {
    private static final int[] TO_LAST = {0, 2, 3, 1};
    private static final int[] TO_FIRST = {0, 3, 1, 2};
    /** NHWC axis i holds NCHW axis {@code NCHW_OF[i]}. */
    private static final int[] NCHW_OF = {0, 2, 3, 1};
    private static final int MAX_ROUNDS = 8;

    private ChannelsFirst() {
    }

    /**
     * One channels-last region rewritten to NCHW.
     *
     * @param entries the removed {@code Transpose(0,2,3,1)} nodes
     * @param exits   the removed {@code Transpose(0,3,1,2)} nodes
     * @param nodes   the ops of the region, rewritten in place under the same names, in topological order
     */
    public record Region(List<String> entries, List<String> exits, List<String> nodes) {
        public Region {
            entries = List.copyOf(entries);
            exits = List.copyOf(exits);
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * A channels-last region left as it is.
     *
     * @param entries its {@code Transpose(0,2,3,1)} nodes
     * @param reason  why it could not be rewritten (the first offending tensor / node)
     */
    public record Skipped(List<String> entries, String reason) {
        public Skipped {
            entries = List.copyOf(entries);
        }
    }

    /**
     * The outcome of {@link ChannelsFirst#apply}.
     *
     * <p>How to use it: take {@link #network()} as the network from now on (it computes the same function as the
     * argument, with the same input, output names and output shapes); {@link #regions()} and
     * {@link #removedTransposes()} say what changed (for a log line), {@link #skipped()} lists regions that stay
     * channels-last — their ops then still work channels-last in the engine, but the channel analysis will not see
     * through them — and {@link #renamed()} maps a node that now carries a graph output's name (old name → new
     * name). Names of all other nodes are unchanged, so per-layer settings keyed by node name stay valid, except
     * for the removed transposes.
     *
     * <p>A ConvNeXt import becomes plain NCHW: the pointwise layers are 1x1 convs ({@code PRODUCER}) the pruner
     * can cut, and its LayerNorms run over axis 1, which the channel analysis treats as per-channel members
     * ({@link dev.thinet4j.model.ChannelRule#PER_CHANNEL}: scale and bias cut with the channels).
     *
     * @param network           the rewritten network (the argument itself when nothing changed)
     * @param regions           the regions rewritten to NCHW
     * @param skipped           channels-last regions left untouched, with the reason
     * @param removedTransposes every Transpose node no longer present: region entries and exits, cancelled pairs,
     *                          identity transposes, the first of two fused transposes
     * @param fused             transposes whose permutation was replaced by the composition with the transpose
     *                          before them (node name kept)
     * @param renamed           old node name → new name, for nodes renamed to keep a graph output's name
     */
    public record Result(Network network, List<Region> regions, List<Skipped> skipped, List<String> removedTransposes,
                         List<String> fused, Map<String, String> renamed) {
        public Result {
            regions = List.copyOf(regions);
            skipped = List.copyOf(skipped);
            removedTransposes = List.copyOf(removedTransposes);
            fused = List.copyOf(fused);
            renamed = Map.copyOf(renamed);
        }

        /** Whether the network was changed at all. */
        public boolean changed() {
            return !removedTransposes.isEmpty() || !fused.isEmpty() || !regions.isEmpty();
        }
    }

    /**
     * Rewrites every safe channels-last region of {@code net} to NCHW and simplifies transpose chains.
     *
     * @param net a network; not modified
     * @return the rewritten network and what changed
     * @throws IllegalStateException if the rewritten network would not keep the output shapes (a bug)
     */
    public static Result apply(Network net) {
        Log log = new Log();
        Network cur = net;
        Map<String, int[]> before = outputShapes(net);
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Network simplified = simplifyTransposes(cur, log);
            log.skipped.clear();
            Network rewritten = rewriteRegions(simplified, log);
            boolean changed = simplified != cur || rewritten != simplified;
            cur = rewritten;
            if (!changed) {
                break;
            }
        }
        Map<String, int[]> after;
        try {
            after = outputShapes(cur);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("channels-first rewrite of '" + net.name() + "' broke the network: "
                    + e.getMessage(), e);
        }
        for (Map.Entry<String, int[]> e : before.entrySet()) {
            if (!Arrays.equals(e.getValue(), after.get(e.getKey()))) {
                throw new IllegalStateException("channels-first rewrite of '" + net.name() + "' changed output '"
                        + e.getKey() + "' from " + Arrays.toString(e.getValue()) + " to "
                        + Arrays.toString(after.get(e.getKey())));
            }
        }
        List<String> fused = new ArrayList<>();
        for (String f : log.fused) {
            if (cur.findNode(f).isPresent() && !log.removed.contains(f)) {
                fused.add(f);
            }
        }
        return new Result(cur, log.regions, log.skipped, log.removed, fused, resolveRenames(log.renamed));
    }

    /** Collapses chains old → mid → new into old → new (a node renamed twice over several rounds). */
    private static Map<String, String> resolveRenames(Map<String, String> renamed) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> intermediate = new HashSet<>(renamed.values());
        for (String k : renamed.keySet()) {
            if (intermediate.contains(k)) {
                continue;
            }
            String v = renamed.get(k);
            int guard = 0;
            while (renamed.containsKey(v) && guard++ < renamed.size()) {
                v = renamed.get(v);
            }
            out.put(k, v);
        }
        return out;
    }

    private static Map<String, int[]> outputShapes(Network net) {
        Map<String, int[]> all = net.shapes(1);
        Map<String, int[]> out = new LinkedHashMap<>();
        for (String o : net.outputs()) {
            out.put(o, all.get(o));
        }
        return out;
    }

    private static final class Log {
        final List<Region> regions = new ArrayList<>();
        final List<Skipped> skipped = new ArrayList<>();
        final List<String> removed = new ArrayList<>();
        final Set<String> fused = new LinkedHashSet<>();
        final Map<String, String> renamed = new LinkedHashMap<>();
    }

    // ------------------------------------------------------------------ edits

    /** Pending changes to one network, applied all at once by {@link #build}. */
    private static final class Edits {
        final Network net;
        final Log log;
        /** Tensor → the tensor its readers read instead. */
        final Map<String, String> alias = new HashMap<>();
        /** Original node name → its new op / inputs (name taken from {@link #renamedTo} if present). */
        final Map<String, Node> replace = new HashMap<>();
        final Set<String> removed = new HashSet<>();
        /** Original node name → new name. */
        final Map<String, String> renamedTo = new HashMap<>();

        Edits(Network net, Log log) {
            this.net = net;
            this.log = log;
        }

        boolean isEmpty() {
            return alias.isEmpty() && replace.isEmpty() && removed.isEmpty() && renamedTo.isEmpty();
        }

        String resolve(String t) {
            int guard = 0;
            while (alias.containsKey(t)) {
                t = alias.get(t);
                if (guard++ > alias.size()) {
                    throw new IllegalStateException("alias cycle at '" + t + "'");
                }
            }
            return t;
        }

        /** Removes a node that is not a graph output; its readers read {@code replacement}. */
        void remove(Node x, String replacement) {
            removed.add(x.name());
            alias.put(x.name(), replacement);
        }

        /**
         * Removes {@code x} (a transpose) so that its readers read {@code r}; a graph output keeps its name through a
         * renamed producer or an Identity node.
         */
        void bypass(Node x, String r) {
            log.removed.add(x.name());
            if (!net.outputs().contains(x.name())) {
                remove(x, r);
                return;
            }
            String src = resolve(r);
            Optional<Node> p = renamedTo.containsValue(src) ? Optional.empty() : net.producer(src);
            if (p.isPresent() && !removed.contains(src) && !renamedTo.containsKey(src)
                    && !net.outputs().contains(src)) {
                renamedTo.put(src, x.name());
                alias.put(src, x.name());
                removed.add(x.name());
                log.renamed.put(src, x.name());
            } else {
                replace.put(x.name(), new Node(x.name(), new Op.Identity(), List.of(r)));
            }
        }

        Network build() {
            if (isEmpty()) {
                return net;
            }
            List<Node> out = new ArrayList<>(net.nodes().size());
            for (Node n : net.nodes()) {
                if (removed.contains(n.name())) {
                    continue;
                }
                Node m = replace.getOrDefault(n.name(), n);
                List<String> ins = new ArrayList<>(m.inputs().size());
                for (String in : m.inputs()) {
                    ins.add(resolve(in));
                }
                out.add(new Node(renamedTo.getOrDefault(n.name(), m.name()), m.op(), ins));
            }
            return net.withNodes(out);
        }
    }

    // ------------------------------------------------------------------ transpose chains

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    /** Removes identity transposes and fuses chains, one change per rebuild, until none is left. */
    private static Network simplifyTransposes(Network net, Log log) {
        Network cur = net;
        for (int guard = 0; guard <= net.nodes().size(); guard++) {
            Edits e = new Edits(cur, log);
            for (Node n : cur.nodes()) {
                if (!(n.op() instanceof Op.Transpose t)) {
                    continue;
                }
                if (isIdentity(t.perm())) {
                    e.bypass(n, n.input());
                    break;
                }
                Optional<Node> p = cur.producer(n.input());
                if (p.isEmpty() || !(p.get().op() instanceof Op.Transpose first)) {
                    continue;
                }
                int[] p1 = first.perm();
                int[] p2 = t.perm();
                int[] comp = new int[p2.length];
                for (int i = 0; i < p2.length; i++) {
                    comp[i] = p1[p2[i]];
                }
                if (cur.consumers(p.get().name()).size() != 1 || cur.outputs().contains(p.get().name())) {
                    continue; // the first transpose stays for its other readers: nothing to gain
                }
                log.removed.add(p.get().name());
                e.remove(p.get(), p.get().input());
                if (isIdentity(comp)) {
                    e.bypass(n, p.get().input());
                } else {
                    e.replace.put(n.name(), new Node(n.name(), new Op.Transpose(comp), List.of(p.get().input())));
                    log.fused.add(n.name());
                }
                break;
            }
            if (e.isEmpty()) {
                return cur;
            }
            cur = e.build();
        }
        return cur;
    }

    // ------------------------------------------------------------------ regions

    private static boolean isTranspose(Node n, int[] perm) {
        return n.op() instanceof Op.Transpose t && Arrays.equals(t.perm(), perm);
    }

    private static final class Grown {
        final Set<String> entries = new LinkedHashSet<>();
        final Set<String> exits = new LinkedHashSet<>();
        final Set<String> interior = new LinkedHashSet<>();
        String reason;
    }

    private static Network rewriteRegions(Network net, Log log) {
        Set<String> assigned = new HashSet<>();
        Edits e = new Edits(net, log);
        for (Node n : net.nodes()) {
            if (!isTranspose(n, TO_LAST) || assigned.contains(n.name())) {
                continue;
            }
            Grown g = grow(net, n);
            assigned.addAll(g.entries);
            if (g.reason != null) {
                log.skipped.add(new Skipped(new ArrayList<>(g.entries), g.reason));
                continue;
            }
            List<String> nodes = new ArrayList<>();
            for (Node m : net.nodes()) {
                if (g.interior.contains(m.name())) {
                    e.replace.put(m.name(), m.withOp(channelsFirst(m.op())));
                    nodes.add(m.name());
                }
            }
            for (String en : g.entries) {
                Node entry = net.node(en);
                log.removed.add(en);
                e.remove(entry, entry.input());
            }
            for (Node m : net.nodes()) {
                if (g.exits.contains(m.name())) {
                    e.bypass(m, m.input());
                }
            }
            log.regions.add(new Region(new ArrayList<>(g.entries), new ArrayList<>(g.exits), nodes));
        }
        return e.build();
    }

    /** Follows channels-last tensors from {@code start}; records the region or the reason it is unsafe. */
    private static Grown grow(Network net, Node start) {
        Grown g = new Grown();
        Set<String> nhwc = new HashSet<>();
        Deque<Node> work = new ArrayDeque<>();
        g.entries.add(start.name());
        nhwc.add(start.name());
        work.add(start);
        while (!work.isEmpty() && g.reason == null) {
            Node n = work.poll();
            if (g.interior.contains(n.name())) {
                for (String in : n.inputs()) {
                    if (nhwc.contains(in)) {
                        continue;
                    }
                    Optional<Node> p = net.producer(in);
                    if (p.isEmpty()) {
                        g.reason = "'" + n.name() + "' reads the network input '" + in + "', which is not channels-last";
                        break;
                    }
                    Node pn = p.get();
                    if (isTranspose(pn, TO_LAST)) {
                        g.entries.add(pn.name());
                    } else if (channelsFirst(pn.op()) != null) {
                        g.interior.add(pn.name());
                    } else {
                        g.reason = "'" + n.name() + "' reads '" + in + "' (" + pn.op().onnxType()
                                + "), which is not channels-last";
                        break;
                    }
                    nhwc.add(pn.name());
                    work.add(pn);
                }
                if (g.reason != null) {
                    break;
                }
            }
            if (net.outputs().contains(n.name())) {
                g.reason = "channels-last tensor '" + n.name() + "' is a graph output";
                break;
            }
            for (Node c : net.consumers(n.name())) {
                if (g.exits.contains(c.name()) || g.interior.contains(c.name())) {
                    continue;
                }
                if (isTranspose(c, TO_FIRST)) {
                    g.exits.add(c.name());
                } else if (channelsFirst(c.op()) != null) {
                    g.interior.add(c.name());
                    nhwc.add(c.name());
                    work.add(c);
                } else {
                    g.reason = "channels-last tensor '" + n.name() + "' is read by '" + c.name() + "' ("
                            + c.op().onnxType() + (c.op() instanceof Op.Transpose t
                            ? " " + Arrays.toString(t.perm()) : "") + ")";
                    break;
                }
            }
        }
        return g;
    }

    private static int nchwAxis(int nhwcAxis) {
        int a = nhwcAxis < 0 ? nhwcAxis + 4 : nhwcAxis;
        if (a < 1 || a > 3) {
            return -1;
        }
        return NCHW_OF[a];
    }

    /**
     * The NCHW form of an op applied to a rank-4 NHWC tensor, or null when there is none (the op is not
     * position-wise under the layout change, or would change the rank).
     */
    static Op channelsFirst(Op op) {
        if (op instanceof Op.Relu || op instanceof Op.LeakyRelu || op instanceof Op.Clip || op instanceof Op.Sigmoid
                || op instanceof Op.HardSigmoid || op instanceof Op.HardSwish || op instanceof Op.Erf
                || op instanceof Op.Sqrt || op instanceof Op.Identity || op instanceof Op.Binary
                || op instanceof Op.Add) {
            return op;
        }
        if (op instanceof Op.LayerNorm l) {
            int a = nchwAxis(l.axis());
            return a < 0 ? null : new Op.LayerNorm(a, l.scale(), l.bias(), l.epsilon());
        }
        if (op instanceof Op.Linear l) {
            Tensor w = l.weight().reshape(l.outFeatures(), l.inFeatures(), 1, 1);
            Tensor b = l.bias() == null ? null : l.bias().reshape(l.outFeatures());
            return Op.Conv.simple(w, b);
        }
        if (op instanceof Op.ConstArith c) {
            Tensor k = constantChannelsFirst(c.constant());
            return k == null ? null : c.withConstant(k);
        }
        if (op instanceof Op.Softmax s) {
            int a = nchwAxis(s.axis());
            return a < 0 ? null : new Op.Softmax(a);
        }
        if (op instanceof Op.Concat c) {
            int a = nchwAxis(c.axis());
            return a < 0 ? null : new Op.Concat(a);
        }
        if (op instanceof Op.Slice s) {
            int a = nchwAxis(s.axis());
            return a < 0 ? null : new Op.Slice(a, s.start(), s.end());
        }
        if (op instanceof Op.ReduceMean r && r.keepDims()) {
            int[] axes = r.axes();
            int[] mapped = new int[axes.length];
            for (int i = 0; i < axes.length; i++) {
                mapped[i] = nchwAxis(axes[i]);
                if (mapped[i] < 0) {
                    return null;
                }
            }
            Arrays.sort(mapped);
            return new Op.ReduceMean(mapped, true);
        }
        return null;
    }

    /**
     * A constant broadcast against [N, H, W, C], re-expressed against [N, C, H, W]: one element unchanged,
     * otherwise right-aligned to rank 4, permuted (0, 3, 1, 2), leading ones dropped down to rank 3.
     */
    static Tensor constantChannelsFirst(Tensor c) {
        if (c.size() == 1) {
            return c;
        }
        int[] s = c.shape();
        if (s.length > 4) {
            return null;
        }
        int[] p = new int[4];
        Arrays.fill(p, 1);
        System.arraycopy(s, 0, p, 4 - s.length, s.length);
        int n = p[0];
        int h = p[1];
        int w = p[2];
        int ch = p[3];
        float[] src = c.data();
        float[] dst = new float[src.length];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int k = 0; k < ch; k++) {
                        dst[((i * ch + k) * h + y) * w + x] = src[((i * h + y) * w + x) * ch + k];
                    }
                }
            }
        }
        int[] q = {n, ch, h, w};
        int from = 0;
        while (from < 1 && q[from] == 1) {
            from++;
        }
        return Tensor.of(dst, Arrays.copyOfRange(q, from, 4));
    }
}
