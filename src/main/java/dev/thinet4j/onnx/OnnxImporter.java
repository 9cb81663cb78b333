package dev.thinet4j.onnx;

import dev.thinet4j.model.Network;
import dev.thinet4j.rewrite.ChannelsFirst;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Node;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.Value.PendingLinear;
import dev.thinet4j.onnx.Value.PendingPad;
import dev.thinet4j.onnx.Value.Unavailable;
import dev.thinet4j.onnx.proto.OnnxFormatException;
import dev.thinet4j.onnx.proto.OnnxGraph;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxProtoReader;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.ValueInfo;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads an ONNX model as written by {@code torch.onnx.export} (opsets 11 to 17) into a
 * {@link Network}.
 *
 * <h2>Structure</h2>
 * This class is the driver: it checks the op types, loads initializers ({@link ExternalData} for
 * data outside the file), finds the image input, orders the nodes and hands each to the
 * {@link OpMapper} registered for its type in {@link OpMappers} (the single source of
 * {@link #SUPPORTED_OPS}). The values flowing along ONNX tensors ({@link Value}: activations,
 * constants, symbolic shapes, pending fusions) live in an {@link ImportContext}.
 *
 * <h2>What is mapped</h2>
 * <ul>
 *   <li>Initializers (raw or typed data, or external data next to the model file) and
 *       {@code Constant} nodes ({@code value}, {@code value_float(s)}, {@code value_int(s)})
 *       become constants. Graph inputs that are also initializers are not inputs. The one
 *       remaining graph input is the network input: 4-D float, C, H, W known, any batch.
 *       Activations inside the network may have any rank ≥ 2, batch first.</li>
 *   <li>Conv, BatchNormalization, Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid (alpha / beta,
 *       defaults 0.2 / 0.5), HardSwish, Erf, Sqrt, Softmax, MaxPool, AveragePool,
 *       GlobalAveragePool, Flatten, Concat, Sum map to their {@link dev.thinet4j.model.Op};
 *       Identity and Dropout map to {@code Op.Identity}.</li>
 *   <li>Add / Sub / Mul / Div / Pow: of two activations → {@code Op.Add} for an Add of equal shapes
 *       (residuals), else {@code Op.Binary} (broadcasting, same rank); of an activation and a
 *       constant (either side, scalars too) → {@code Op.ConstArith}; of constants → folded; of
 *       shape values → evaluated symbolically.</li>
 *   <li>Gemm (transA 0, any transB, alpha/beta folded in) and MatMul of an activation (any rank,
 *       over its last axis) with a constant [in, out] weight, optionally followed by an Add of a
 *       constant bias, map to {@code Op.Linear} with an [out, in] weight.</li>
 *   <li>ReduceMean (axes attribute or, from opset 18, input; negative axes; keepdims) over
 *       non-batch axes → {@code Op.ReduceMean}. LayerNormalization (opset 17) over one axis →
 *       {@code Op.LayerNorm}.</li>
 *   <li>Transpose keeping the batch first → {@code Op.Transpose}. Reshape to any target that keeps
 *       the batch first ({@code 0}, {@code -1}, the batch from Shape / Gather, or a positive first
 *       entry taken to be the export batch size) → {@code Flatten(1)} when the result is
 *       [N, features], else {@code Op.Reshape}.</li>
 *   <li>Slice of an activation (constant starts / ends / axes, step 1, non-batch axes, ends
 *       clamped as in ONNX) → one {@code Op.Slice} per sliced axis; Split (sizes from the input
 *       (opset 13), the attribute (opset 11) or equal parts) → one {@code Op.Slice} node per
 *       output.</li>
 *   <li>Gather of an activation along axis 1 with constant 1-D integer indices (negative ones
 *       normalised; channels may repeat or be left out) → {@code Op.ChannelGather}; a scalar index
 *       or another axis is refused.</li>
 *   <li>Resize (opset 10–17; scales [1, 1, s, s] of integers or sizes that are integer
 *       multiples; mode nearest with a coordinate mode that repeats pixels, e.g. PyTorch's
 *       asymmetric / floor) and Upsample (mode nearest) → {@code Op.Resize}.</li>
 *   <li>A constant-zero {@code Pad} of H and W (torch writes one before AveragePool for
 *       {@code count_include_pad=True}) is folded into the Conv or AveragePool that reads it
 *       (the pool then counts the padding).</li>
 *   <li>Constant-only sub-graphs (Identity, Dropout, Cast, Reshape, Unsqueeze, Squeeze, Shape,
 *       Gather, Slice, Concat, Transpose, arithmetic) are folded; Shape / Gather / Slice /
 *       Unsqueeze / Squeeze / Concat / Cast / Add / Sub / Mul / Div over shapes are evaluated
 *       symbolically with a free batch dimension (every activation's first axis is the batch, so
 *       the shape may come from any tensor).</li>
 * </ul>
 *
 * <h2>Recognised patterns</h2>
 * <ul>
 *   <li>MatMul + constant Add → one {@code Op.Linear} (named after the MatMul).</li>
 *   <li>Channel shuffle: Reshape [N, g, C/g, H, W] → Transpose (0, 2, 1, 3, 4) → Reshape
 *       [N, C, H, W] → one {@code Op.ChannelShuffle(g)} when the intermediate tensors have no
 *       other consumers (see {@link LayoutMappers}).</li>
 *   <li>Decomposed layer normalisation (torch before opset 17): ReduceMean / Sub / Pow 2 /
 *       ReduceMean / Add ε / Sqrt / Div, then Mul by the weight and Add of the bias → one
 *       {@code Op.LayerNorm} (see {@link NormMappers}); incomplete patterns stay separate ops.</li>
 *   <li>Zero Pad → Conv / AveragePool: folded padding.</li>
 *   <li>Channels-last regions (ConvNeXt: Transpose (0, 2, 3, 1) → LayerNorm / MatMul / element-wise →
 *       Transpose (0, 3, 1, 2)) are rewritten channels-first after import by
 *       {@link dev.thinet4j.rewrite.ChannelsFirst} — the same function, with the transposes gone, the
 *       LayerNorm over axis 1 and each MatMul a 1×1 {@code Op.Conv} — so that their channels can be
 *       pruned; regions it cannot prove safe stay as imported.</li>
 * </ul>
 *
 * <p>Not mapped (clear error): other ops and domains (all listed at once with counts, see
 * {@link #inspect}), training-mode BatchNormalization or Dropout, used MaxPool indices / BN
 * statistics / Dropout masks, Reshape / Transpose / Slice / Split / ReduceMean involving the batch
 * axis, MatMul of two activations, Flatten on an axis other than 1, Gemm with transA, non-2-D
 * convolution or pooling, Resize other than nearest by integer factors, and (before opset 13)
 * Softmax over a non-last axis.
 *
 * <h2>Names</h2>
 * Each emitted node is named after its ONNX node when that name is non-empty and unique in the
 * graph, otherwise {@code <OpType>_<index>} (index of the node in the file), with a numeric
 * suffix if that collides (a Split's outputs: {@code split}, {@code split_2}, …). Because a
 * node's output tensor carries the node's name, the node that produces a <em>graph output</em>
 * is named after that output instead (e.g. {@code "output"}), so the network's outputs — one or
 * several — keep their ONNX names and {@link OnnxExporter} writes them back unchanged. All other
 * ONNX tensor names are replaced by the names of the nodes producing them. Nodes whose results
 * reach no graph output are dropped.
 *
 * <h2>Errors</h2>
 * Unreadable files: {@link OnnxFormatException} (from the codec). Valid ONNX using something
 * unsupported: {@link UnsupportedOnnxException}. Inconsistent graphs (dangling inputs, cycles,
 * NaN / infinite weights, no usable image input): {@link OnnxImportException}. Messages name the
 * node, its op type and the tensor involved.
 */
public final class OnnxImporter {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OnnxImporter.class);


    /** Operator types accepted in the default ONNX domain (some only on constants or shapes). */
    public static final SortedSet<String> SUPPORTED_OPS =
            Collections.unmodifiableSortedSet(new TreeSet<>(OpMappers.REGISTRY.keySet()));

    /** Lowest default-domain opset accepted. */
    public static final int MIN_OPSET = 7;

    private final ImportContext ctx;
    private final OnnxGraph graph;

    private OnnxImporter(OnnxModel model, String source, Path baseDir) {
        this.graph = model.graph();
        OptionalLong v = model.opsetVersion("");
        if (v.isEmpty()) {
            throw new UnsupportedOnnxException("cannot import " + source + ": the model imports no default ONNX opset"
                    + " (opset_import has " + model.opsetImports() + ")");
        }
        long opset = v.getAsLong();
        this.ctx = new ImportContext(graph, source, baseDir, opset);
        if (opset < MIN_OPSET) {
            throw ctx.unsupported("opset " + opset + " is too old; thinet4j reads opset " + MIN_OPSET
                    + " and later (PyTorch exports 11 to 17)");
        }
    }

    // ------------------------------------------------------------------ entry points

    /**
     * Reads and imports an {@code .onnx} file. External-data initializers are read from files
     * inside the model's directory.
     *
     * @param path the model file
     * @return the network, named after the file (without {@code .onnx})
     * @throws OnnxFormatException      when the file is not an ONNX model
     * @throws UnsupportedOnnxException when it uses something thinet4j does not support
     * @throws OnnxImportException      when the graph is inconsistent
     * @throws UncheckedIOException     when the file cannot be read
     */
    public static Network load(Path path) {
        OnnxModel model = OnnxProtoReader.read(path);
        Path dir = path.toAbsolutePath().getParent();
        return new OnnxImporter(model, path.toString(), dir).run(stem(path.getFileName().toString()));
    }

    /**
     * Imports an already-decoded model. External data cannot be resolved without a directory and
     * is reported as unsupported.
     *
     * @param model      the decoded model
     * @param sourceName a name for messages (e.g. the file name); its stem names the network
     * @return the network
     */
    public static Network fromModel(OnnxModel model, String sourceName) {
        String src = sourceName == null || sourceName.isEmpty() ? "<model>" : sourceName;
        String leaf = src.replace('\\', '/').replaceAll(".*/", "");
        return new OnnxImporter(model, src, null).run(stem(leaf));
    }

    /**
     * Describes a model file without importing it: op types with counts, inputs and outputs with
     * their shapes, opset and the op types thinet4j does not support. Works for models that
     * {@link #load} refuses.
     *
     * @param path the model file
     * @return the summary
     * @throws OnnxFormatException  when the file is not an ONNX model
     * @throws UncheckedIOException when the file cannot be read
     */
    public static ModelSummary inspect(Path path) {
        return inspect(OnnxProtoReader.read(path), path.toString());
    }

    /**
     * @param model      a decoded model
     * @param sourceName a name for the summary
     * @return the summary of {@code model}
     */
    public static ModelSummary inspect(OnnxModel model, String sourceName) {
        OnnxGraph g = model.graph();
        Map<String, Integer> counts = new TreeMap<>();
        for (OnnxNode n : g.nodes()) {
            String key = isDefaultDomain(n) ? n.opType() : n.domain() + ":" + n.opType();
            counts.merge(key, 1, Integer::sum);
        }
        Set<String> inits = new HashSet<>();
        for (OnnxTensor t : g.initializers()) {
            inits.add(t.name());
        }
        List<ModelSummary.TensorInfo> ins = new ArrayList<>();
        for (ValueInfo vi : g.inputs()) {
            if (!inits.contains(vi.name())) {
                ins.add(info(vi));
            }
        }
        List<ModelSummary.TensorInfo> outs = g.outputs().stream().map(OnnxImporter::info).toList();
        String producer = (model.producerName() + " " + model.producerVersion()).strip();
        return new ModelSummary(sourceName, model.irVersion(), model.opsetVersion("").orElse(-1),
                producer, new TreeMap<>(counts), ins, outs, unsupportedOps(g));
    }

    private static ModelSummary.TensorInfo info(ValueInfo vi) {
        String type = vi.elemType() == 0 ? "?" : OnnxTensor.dataTypeName(vi.elemType());
        return new ModelSummary.TensorInfo(vi.name(), type, vi.hasShape() ? vi.shape().toString() : "?");
    }

    private static boolean isDefaultDomain(OnnxNode n) {
        return n.domain().isEmpty() || n.domain().equals("ai.onnx");
    }

    /** Every op type without a mapper (or from another domain), with counts and its first node. */
    static List<ModelSummary.UnsupportedOp> unsupportedOps(OnnxGraph g) {
        Map<String, int[]> counts = new LinkedHashMap<>();
        Map<String, String[]> first = new HashMap<>();
        List<OnnxNode> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            boolean known = isDefaultDomain(n) && OpMappers.of(n.opType()) != null;
            if (known) {
                continue;
            }
            String domain = isDefaultDomain(n) ? "" : n.domain();
            String key = domain + "\u0000" + n.opType();
            counts.computeIfAbsent(key, k -> new int[1])[0]++;
            String label = n.name().isEmpty() ? n.opType() + "_" + i : n.name();
            first.putIfAbsent(key, new String[]{n.opType(), domain, label});
        }
        List<ModelSummary.UnsupportedOp> out = new ArrayList<>();
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            String[] f = first.get(e.getKey());
            out.add(new ModelSummary.UnsupportedOp(f[0], f[1], e.getValue()[0], f[2]));
        }
        return out;
    }

    private static String stem(String fileName) {
        String s = fileName.endsWith(".onnx") ? fileName.substring(0, fileName.length() - 5) : fileName;
        return s.isEmpty() ? "model" : s;
    }

    // ------------------------------------------------------------------ driver

    private Network run(String networkName) {
        checkOperators();
        Set<String> initNames = loadInitializers();
        findInput(initNames);
        for (ValueInfo o : graph.outputs()) {
            ctx.graphOutputs.add(o.name());
        }
        if (ctx.graphOutputs.isEmpty()) {
            throw ctx.fail("the graph has no outputs");
        }
        List<Integer> order = topologicalOrder();
        ctx.assignBaseNames();
        for (int idx : order) {
            OnnxNode n = graph.nodes().get(idx);
            try {
                OpMappers.of(n.opType()).map(ctx, n);
            } catch (OnnxImportException e) {
                throw e;
            } catch (IllegalArgumentException | IllegalStateException | ArithmeticException
                     | IndexOutOfBoundsException | NegativeArraySizeException e) {
                throw ctx.fail(ctx.at(n) + ": " + e.getMessage(), e);
            }
            for (String out : n.outputs()) {
                if (!out.isEmpty() && !ctx.values.containsKey(out)) {
                    ctx.put(out, new Unavailable("an output of " + ctx.at(n) + " that thinet4j does not compute"));
                }
            }
        }
        List<String> outs = new ArrayList<>();
        for (String o : ctx.graphOutputs) {
            Value v = ctx.values.get(o);
            if (v == null) {
                if (o.equals(ctx.inputName)) {
                    throw ctx.unsupported("graph output '" + o + "' is the network input itself");
                }
                throw ctx.fail("graph output '" + o + "' is not produced by any node");
            }
            if (v instanceof PendingLinear pl) {
                v = ctx.materialise(pl);
            }
            if (v instanceof Unavailable u) {
                throw ctx.unsupported("graph output '" + o + "' is " + u.why());
            }
            if (v instanceof PendingPad pp) {
                throw ctx.unsupported("graph output '" + o + "' is the output of Pad " + ctx.at(pp.node())
                        + ", which thinet4j supports only right before a Conv or AveragePool");
            }
            if (!(v instanceof Act a)) {
                throw ctx.unsupported("graph output '" + o + "' is a constant, not computed from the input '"
                        + ctx.inputName + "'");
            }
            if (outs.contains(a.name())) {
                throw ctx.unsupported("graph output '" + o + "' is the same tensor as another graph output");
            }
            outs.add(a.name());
        }
        return build(networkName, outs);
    }

    private Network build(String networkName, List<String> outs) {
        // drop nodes whose results reach no output
        Set<String> live = new HashSet<>();
        Deque<String> work = new ArrayDeque<>(outs);
        while (!work.isEmpty()) {
            String t = work.pop();
            if (live.add(t)) {
                Node n = ctx.emittedByName.get(t);
                if (n != null) {
                    work.addAll(n.inputs());
                }
            }
        }
        int[] in = ctx.inputShape;
        NetworkBuilder b = Network.builder(networkName).input(ctx.inputName, in[1], in[2], in[3]);
        for (Node n : ctx.emitted) {
            if (live.contains(n.name())) {
                b.add(n);
            }
        }
        outs.forEach(b::output);
        Network net;
        try {
            net = b.build();
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage(), e);
        }
        ChannelsFirst.Result cf = ChannelsFirst.apply(net);
        if (cf.changed()) {
            LOG.debug("{}: channels-last regions rewritten channels-first ({} transposes removed, {} left alone)",
                    networkName, cf.removedTransposes(), cf.skipped().size());
        }
        return cf.network();
    }

    // ------------------------------------------------------------------ checks before conversion

    /** Refuses, in one message, every op type without a mapper. */
    private void checkOperators() {
        List<ModelSummary.UnsupportedOp> bad = unsupportedOps(graph);
        if (bad.isEmpty()) {
            return;
        }
        ModelSummary.UnsupportedOp only = bad.size() == 1 ? bad.get(0) : null;
        String domainHint = bad.stream().anyMatch(u -> !u.domain().isEmpty())
                ? "; thinet4j supports only the default ONNX domain" : "";
        throw ctx.unsupported("unsupported ONNX ops: " + String.join(", ", bad.stream()
                .map(ModelSummary.UnsupportedOp::describe).toList()) + "; thinet4j does not support "
                + (only != null ? "this op type" : "these " + bad.size() + " op types") + domainHint
                + "; supported: " + String.join(", ", SUPPORTED_OPS));
    }

    private Set<String> loadInitializers() {
        Set<String> names = new HashSet<>();
        for (OnnxTensor t : graph.initializers()) {
            OnnxTensor tensor = t.isExternal() ? ctx.readExternal(t) : t;
            names.add(t.name());
            ctx.put(t.name(), new Value.Const(t.name(), tensor, true));
        }
        return names;
    }

    private void findInput(Set<String> initNames) {
        List<ValueInfo> real = new ArrayList<>();
        for (ValueInfo vi : graph.inputs()) {
            if (!initNames.contains(vi.name())) {
                real.add(vi);
            }
        }
        if (real.isEmpty()) {
            throw ctx.fail("the graph has no input (every graph input is an initializer)");
        }
        if (real.size() > 1) {
            StringBuilder sb = new StringBuilder();
            for (ValueInfo vi : real) {
                sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(vi.name()).append("' ")
                        .append(describeShape(vi));
            }
            throw ctx.unsupported("thinet4j supports exactly one image input, but the graph has " + real.size()
                    + ": " + sb);
        }
        ValueInfo vi = real.get(0);
        boolean ok = vi.elemType() == OnnxTensor.FLOAT && vi.hasShape() && vi.shape().size() == 4;
        if (ok) {
            for (int k = 1; k < 4; k++) {
                ValueInfo.Dim d = vi.shape().get(k);
                ok &= d.isFixed() && d.value() > 0 && d.value() <= Integer.MAX_VALUE;
            }
        }
        if (!ok) {
            throw ctx.unsupported("input '" + vi.name() + "' must be a 4-D float tensor [batch, C, H, W] with known C,"
                    + " H and W, but it is " + describeShape(vi));
        }
        ctx.inputName = vi.name();
        ctx.inputShape = new int[]{1, (int) vi.shape().get(1).value(), (int) vi.shape().get(2).value(),
                (int) vi.shape().get(3).value()};
        ctx.put(ctx.inputName, new Act(ctx.inputName, ctx.inputShape));
    }

    private static String describeShape(ValueInfo vi) {
        String type = vi.elemType() == 0 ? "of unknown type" : OnnxTensor.dataTypeName(vi.elemType());
        return type + " " + (vi.hasShape() ? vi.shape().toString() : "of unknown shape");
    }

    /** Kahn's algorithm, preferring file order; names the first node that cannot run. */
    private List<Integer> topologicalOrder() {
        List<OnnxNode> nodes = graph.nodes();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).outputs()) {
                if (out.isEmpty()) {
                    continue;
                }
                Integer prev = producer.put(out, i);
                if (prev != null) {
                    throw ctx.fail("tensor '" + out + "' is written by both " + at(nodes.get(prev), prev) + " and "
                            + at(nodes.get(i), i));
                }
                if (ctx.values.containsKey(out)) {
                    throw ctx.fail(at(nodes.get(i), i) + " writes '" + out + "', which is already "
                            + (out.equals(ctx.inputName) ? "the graph input" : "an initializer"));
                }
            }
        }
        int[] missing = new int[nodes.size()];
        Map<String, List<Integer>> waiting = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : new LinkedHashSet<>(nodes.get(i).inputs())) {
                if (in.isEmpty() || ctx.values.containsKey(in)) {
                    continue;
                }
                if (!producer.containsKey(in)) {
                    throw ctx.fail(at(nodes.get(i), i) + " reads '" + in
                            + "', which is not the graph input, an initializer or the output of any node");
                }
                missing[i]++;
                waiting.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        TreeSet<Integer> ready = new TreeSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (missing[i] == 0) {
                ready.add(i);
            }
        }
        List<Integer> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            int i = ready.pollFirst();
            order.add(i);
            for (String out : nodes.get(i).outputs()) {
                for (int j : waiting.getOrDefault(out, List.of())) {
                    if (--missing[j] == 0) {
                        ready.add(j);
                    }
                }
            }
        }
        if (order.size() < nodes.size()) {
            Set<Integer> done = new HashSet<>(order);
            for (int i = 0; i < nodes.size(); i++) {
                if (!done.contains(i)) {
                    for (String in : nodes.get(i).inputs()) {
                        Integer p = producer.get(in);
                        if (p != null && !done.contains(p)) {
                            throw ctx.fail("the graph has a cycle: " + at(nodes.get(i), i) + " reads '" + in
                                    + "', written by " + at(nodes.get(p), p) + ", which depends on it");
                        }
                    }
                }
            }
            throw ctx.fail("the graph has a cycle");
        }
        return order;
    }

    private static String at(OnnxNode n, int idx) {
        String label = n.name().isEmpty() ? n.opType() + "_" + idx : n.name();
        return "node '" + label + "' (" + n.opType() + ")";
    }
}
