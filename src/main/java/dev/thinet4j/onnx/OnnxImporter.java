package dev.thinet4j.onnx;

import com.google.protobuf.ByteString;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.proto.OnnxAttribute;
import dev.thinet4j.onnx.proto.OnnxFormatException;
import dev.thinet4j.onnx.proto.OnnxGraph;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxProtoReader;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.StringEntry;
import dev.thinet4j.onnx.proto.ValueInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Reads an ONNX model as written by {@code torch.onnx.export} (opsets 11 to 17) into a
 * {@link Network}.
 *
 * <h2>What is mapped</h2>
 * <ul>
 *   <li>Initializers (raw or typed data, or external data next to the model file) and
 *       {@code Constant} nodes ({@code value}, {@code value_float(s)}, {@code value_int(s)})
 *       become constants. Graph inputs that are also initializers are not inputs. The one
 *       remaining graph input is the network input: 4-D float, C, H, W known, any batch.</li>
 *   <li>Conv, BatchNormalization, Relu, LeakyRelu, Clip, Sigmoid, Softmax, MaxPool, AveragePool,
 *       GlobalAveragePool, Flatten, Concat, Add / Sum of activations map to their {@link Op};
 *       Identity and Dropout map to {@link Op.Identity}.</li>
 *   <li>Gemm (transA 0, any transB, alpha/beta folded in) and MatMul with a constant
 *       [in, out] weight, optionally followed by an Add of a constant bias, map to
 *       {@link Op.Linear} with an [out, in] weight.</li>
 *   <li>Reshape to {@code [N | 0 | batch, -1]} or {@code [-1 | N, C·H·W]} maps to
 *       {@code Flatten(1)}; the target shape may be a constant or the opset-11 run-time form
 *       {@code Shape → Gather(0) → Unsqueeze → Concat(…, [-1])} ({@code x.view(x.size(0), -1)}).
 *       A positive first entry N is taken to be the export batch size.</li>
 *   <li>A constant-zero {@code Pad} of H and W (torch writes one before AveragePool for
 *       {@code count_include_pad=True}) is folded into the Conv or AveragePool that reads it
 *       (the pool then counts the padding).</li>
 *   <li>Constant-only sub-graphs of Identity, Dropout, Cast, Reshape, Unsqueeze, Squeeze and
 *       Shape are folded; Shape / Gather / Slice / Unsqueeze / Squeeze / Concat / Cast over shapes
 *       are evaluated symbolically with a free batch dimension (every activation's first axis is
 *       the batch, so the shape may come from any tensor).</li>
 * </ul>
 *
 * <p>Not mapped (clear error): other ops and domains, training-mode BatchNormalization or
 * Dropout, used MaxPool indices / BN statistics / Dropout masks, a constant added anywhere but as
 * a MatMul bias, Reshape other than flattening, Flatten on an axis other than 1, Gemm with
 * transA, non-2-D convolution or pooling, and (before opset 13) Softmax over a non-last axis.
 *
 * <h2>Names</h2>
 * Each emitted node is named after its ONNX node when that name is non-empty and unique in the
 * graph, otherwise {@code <OpType>_<index>} (index of the node in the file), with a numeric
 * suffix if that collides. Because a node's output tensor carries the node's name, the node that
 * produces a <em>graph output</em> is named after that output instead (e.g. {@code "output"}),
 * so the network's outputs keep their ONNX names and {@link OnnxExporter} writes them back
 * unchanged. All other ONNX tensor names are replaced by the names of the nodes producing them.
 * Nodes whose results reach no graph output are dropped.
 *
 * <h2>Errors</h2>
 * Unreadable files: {@link OnnxFormatException} (from the codec). Valid ONNX using something
 * unsupported: {@link UnsupportedOnnxException}. Inconsistent graphs (dangling inputs, cycles,
 * NaN / infinite weights, no usable image input): {@link OnnxImportException}. Messages name the
 * node, its op type and the tensor involved.
 */
public final class OnnxImporter {

    /** Operator types accepted in the default ONNX domain (some only on constants or shapes). */
    public static final SortedSet<String> SUPPORTED_OPS = Collections.unmodifiableSortedSet(new TreeSet<>(List.of(
            "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv", "Dropout",
            "Flatten", "Gather", "Gemm", "GlobalAveragePool", "Identity", "LeakyRelu", "MatMul", "MaxPool", "Pad",
            "Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Softmax", "Squeeze", "Sum", "Unsqueeze")));

    /** Lowest default-domain opset accepted. */
    public static final int MIN_OPSET = 7;

    // ------------------------------------------------------------------ values flowing along ONNX tensors

    private sealed interface Value permits Act, Const, ShapeVec, PendingLinear, PendingPad, Unavailable {
    }

    /** An activation: a tensor of the network, computed from the input; shape with batch 1. */
    private record Act(String name, int[] shape) implements Value {
    }

    /** A constant tensor (initializer, Constant node or folded). */
    private record Const(String name, OnnxTensor tensor, boolean initializer) implements Value {
        long[] dims() {
            return tensor.dims();
        }

        boolean isInteger() {
            int t = tensor.dataType();
            return t == OnnxTensor.INT64 || t == OnnxTensor.INT32 || t == OnnxTensor.INT16 || t == OnnxTensor.INT8
                    || t == OnnxTensor.UINT8 || t == OnnxTensor.UINT16 || t == OnnxTensor.BOOL;
        }
    }

    /**
     * A small integer vector (or scalar) computed from tensor shapes: entries flagged
     * {@code batch} stand for the free batch size.
     */
    private record ShapeVec(long[] vals, boolean[] batch, boolean scalar) implements Value {
        int length() {
            return vals.length;
        }

        String format() {
            StringBuilder sb = new StringBuilder(scalar ? "" : "[");
            for (int k = 0; k < vals.length; k++) {
                if (k > 0) {
                    sb.append(", ");
                }
                sb.append(batch[k] ? "batch" : Long.toString(vals[k]));
            }
            return sb.append(scalar ? "" : "]").toString();
        }
    }

    /** A MatMul by a constant, emitted as Linear once we know whether a bias Add follows. */
    private static final class PendingLinear implements Value {
        final OnnxNode node;
        final Act input;
        final Tensor weight;
        Act materialised;

        PendingLinear(OnnxNode node, Act input, Tensor weight) {
            this.node = node;
            this.input = input;
            this.weight = weight;
        }
    }

    /** A constant-zero Pad of an activation, folded into the Conv or AveragePool that reads it. */
    private record PendingPad(Act input, Padding pads, OnnxNode node) implements Value {
    }

    /** A tensor thinet4j cannot provide (e.g. MaxPool indices); reading it is an error. */
    private record Unavailable(String why) implements Value {
    }

    // ------------------------------------------------------------------ state

    private final OnnxGraph graph;
    private final String source;
    private final Path baseDir;
    private final long opset;
    private final Map<String, Value> values = new HashMap<>();
    private final List<Node> emitted = new ArrayList<>();
    private final Set<String> usedNames = new HashSet<>();
    private final Set<String> graphOutputs = new LinkedHashSet<>();
    private final Map<String, Integer> consumerCount = new HashMap<>();
    private final Map<OnnxNode, String> baseNames = new HashMap<>();
    private String inputName;

    private OnnxImporter(OnnxModel model, String source, Path baseDir) {
        this.graph = model.graph();
        this.source = source;
        this.baseDir = baseDir;
        OptionalLong v = model.opsetVersion("");
        if (v.isEmpty()) {
            throw unsupported("the model imports no default ONNX opset (opset_import has "
                    + model.opsetImports() + ")");
        }
        this.opset = v.getAsLong();
        if (opset < MIN_OPSET) {
            throw unsupported("opset " + opset + " is too old; thinet4j reads opset " + MIN_OPSET
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
            graphOutputs.add(o.name());
        }
        if (graphOutputs.isEmpty()) {
            throw fail("the graph has no outputs");
        }
        List<Integer> order = topologicalOrder();
        assignBaseNames();
        for (OnnxNode n : graph.nodes()) {
            for (String in : n.inputs()) {
                if (!in.isEmpty()) {
                    consumerCount.merge(in, 1, Integer::sum);
                }
            }
        }
        for (int idx : order) {
            OnnxNode n = graph.nodes().get(idx);
            try {
                convert(n, idx);
            } catch (OnnxImportException e) {
                throw e;
            } catch (IllegalArgumentException | IllegalStateException | ArithmeticException
                     | IndexOutOfBoundsException e) {
                throw fail(at(n) + ": " + e.getMessage(), e);
            }
            for (String out : n.outputs()) {
                if (!out.isEmpty() && !values.containsKey(out)) {
                    values.put(out, new Unavailable("an output of " + at(n) + " that thinet4j does not compute"));
                }
            }
        }
        List<String> outs = new ArrayList<>();
        for (String o : graphOutputs) {
            Value v = values.get(o);
            if (v == null) {
                if (o.equals(inputName)) {
                    throw unsupported("graph output '" + o + "' is the network input itself");
                }
                throw fail("graph output '" + o + "' is not produced by any node");
            }
            if (v instanceof PendingLinear pl) {
                v = materialise(pl);
            }
            if (v instanceof Unavailable u) {
                throw unsupported("graph output '" + o + "' is " + u.why());
            }
            if (v instanceof PendingPad pp) {
                throw unsupported("graph output '" + o + "' is the output of Pad " + at(pp.node())
                        + ", which thinet4j supports only right before a Conv or AveragePool");
            }
            if (!(v instanceof Act a)) {
                throw unsupported("graph output '" + o + "' is a constant, not computed from the input '"
                        + inputName + "'");
            }
            outs.add(a.name());
        }
        return build(networkName, outs);
    }

    private Network build(String networkName, List<String> outs) {
        // drop nodes whose results reach no output
        Map<String, Node> byName = new HashMap<>();
        for (Node n : emitted) {
            byName.put(n.name(), n);
        }
        Set<String> live = new HashSet<>();
        Deque<String> work = new ArrayDeque<>(outs);
        while (!work.isEmpty()) {
            String t = work.pop();
            if (live.add(t)) {
                Node n = byName.get(t);
                if (n != null) {
                    work.addAll(n.inputs());
                }
            }
        }
        int[] in = inputShape;
        NetworkBuilder b = Network.builder(networkName).input(inputName, in[1], in[2], in[3]);
        for (Node n : emitted) {
            if (live.contains(n.name())) {
                b.add(n);
            }
        }
        outs.forEach(b::output);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ checks before conversion

    private void checkOperators() {
        List<OnnxNode> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            String label = n.name().isEmpty() ? n.opType() + "_" + i : n.name();
            if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
                throw unsupported("node '" + label + "' has op type '" + n.opType() + "' from the domain '"
                        + n.domain() + "'; thinet4j supports only the default ONNX domain");
            }
            if (!SUPPORTED_OPS.contains(n.opType())) {
                throw unsupported("node '" + label + "' has op type '" + n.opType()
                        + "', which thinet4j does not support; supported: " + String.join(", ", SUPPORTED_OPS));
            }
        }
    }

    private Set<String> loadInitializers() {
        Set<String> names = new HashSet<>();
        for (OnnxTensor t : graph.initializers()) {
            OnnxTensor tensor = t.isExternal() ? readExternal(t) : t;
            names.add(t.name());
            values.put(t.name(), new Const(t.name(), tensor, true));
        }
        return names;
    }

    private int[] inputShape;

    private void findInput(Set<String> initNames) {
        List<ValueInfo> real = new ArrayList<>();
        for (ValueInfo vi : graph.inputs()) {
            if (!initNames.contains(vi.name())) {
                real.add(vi);
            }
        }
        if (real.isEmpty()) {
            throw fail("the graph has no input (every graph input is an initializer)");
        }
        if (real.size() > 1) {
            StringBuilder sb = new StringBuilder();
            for (ValueInfo vi : real) {
                sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(vi.name()).append("' ")
                        .append(describeShape(vi));
            }
            throw unsupported("thinet4j supports exactly one image input, but the graph has " + real.size()
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
            throw unsupported("input '" + vi.name() + "' must be a 4-D float tensor [batch, C, H, W] with known C, H"
                    + " and W, but it is " + describeShape(vi));
        }
        inputName = vi.name();
        inputShape = new int[]{1, (int) vi.shape().get(1).value(), (int) vi.shape().get(2).value(),
                (int) vi.shape().get(3).value()};
        values.put(inputName, new Act(inputName, inputShape));
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
                    throw fail("tensor '" + out + "' is written by both " + at(nodes.get(prev), prev) + " and "
                            + at(nodes.get(i), i));
                }
                if (values.containsKey(out)) {
                    throw fail(at(nodes.get(i), i) + " writes '" + out + "', which is already "
                            + (out.equals(inputName) ? "the graph input" : "an initializer"));
                }
            }
        }
        int[] missing = new int[nodes.size()];
        Map<String, List<Integer>> waiting = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : new LinkedHashSet<>(nodes.get(i).inputs())) {
                if (in.isEmpty() || values.containsKey(in)) {
                    continue;
                }
                if (!producer.containsKey(in)) {
                    throw fail(at(nodes.get(i), i) + " reads '" + in
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
                            throw fail("the graph has a cycle: " + at(nodes.get(i), i) + " reads '" + in
                                    + "', written by " + at(nodes.get(p), p) + ", which depends on it");
                        }
                    }
                }
            }
            throw fail("the graph has a cycle");
        }
        return order;
    }

    private void assignBaseNames() {
        List<OnnxNode> nodes = graph.nodes();
        Map<String, Integer> counts = new HashMap<>();
        for (OnnxNode n : nodes) {
            if (!n.name().isEmpty()) {
                counts.merge(n.name(), 1, Integer::sum);
            }
        }
        usedNames.add(inputName);
        usedNames.addAll(graphOutputs);
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            if (!n.name().isEmpty() && counts.get(n.name()) == 1 && !usedNames.contains(n.name())) {
                baseNames.put(n, n.name());
            }
        }
        Set<String> reserved = new HashSet<>(usedNames);
        reserved.addAll(baseNames.values());
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode n = nodes.get(i);
            if (!baseNames.containsKey(n)) {
                baseNames.put(n, unique(n.opType() + "_" + i, reserved));
            }
        }
    }

    private static String unique(String base, Set<String> taken) {
        String name = base;
        for (int k = 2; taken.contains(name); k++) {
            name = base + "_" + k;
        }
        taken.add(name);
        return name;
    }

    /** Name of the node emitted for ONNX node {@code n} whose result is the ONNX tensor {@code out}. */
    private String nodeName(OnnxNode n, String out) {
        if (graphOutputs.contains(out)) {
            return out;
        }
        return unique(baseNames.get(n), usedNames);
    }

    // ------------------------------------------------------------------ conversion of one node

    private void convert(OnnxNode n, int idx) {
        switch (n.opType()) {
            case "Constant" -> constant(n);
            case "Identity", "Dropout" -> identity(n);
            case "Cast" -> cast(n);
            case "Shape" -> shape(n);
            case "Gather" -> gather(n);
            case "Slice" -> slice(n);
            case "Unsqueeze" -> unsqueeze(n, true);
            case "Squeeze" -> unsqueeze(n, false);
            case "Concat" -> concat(n);
            case "Reshape" -> reshape(n);
            case "Conv" -> conv(n);
            case "Pad" -> pad(n);
            case "BatchNormalization" -> batchNorm(n);
            case "Relu" -> emit(n, new Op.Relu(), act(n, 0));
            case "Sigmoid" -> emit(n, new Op.Sigmoid(), act(n, 0));
            case "LeakyRelu" -> emit(n, new Op.LeakyRelu(attrFloat(n, "alpha", 0.01f)), act(n, 0));
            case "Clip" -> clip(n);
            case "Softmax" -> softmax(n);
            case "MaxPool" -> maxPool(n);
            case "AveragePool" -> avgPool(n);
            case "GlobalAveragePool" -> emit(n, new Op.GlobalAvgPool(), act(n, 0));
            case "Flatten" -> flatten(n);
            case "Gemm" -> gemm(n);
            case "MatMul" -> matMul(n);
            case "Add" -> add(n);
            case "Sum" -> sum(n);
            default -> throw unsupported(at(n) + " is not supported");
        }
    }

    private void constant(OnnxNode n) {
        String out = output(n);
        if (n.attributes().size() != 1) {
            throw fail(at(n) + " must have exactly one value attribute, has " + n.attributes());
        }
        OnnxAttribute a = n.attributes().get(0);
        OnnxTensor t = switch (a.name()) {
            case "value" -> {
                if (a.t() == null) {
                    throw fail(at(n) + ": attribute 'value' holds no tensor");
                }
                OnnxTensor v = a.t();
                yield v.isExternal() ? readExternal(v) : v;
            }
            case "value_float" -> OnnxTensor.ofFloats(out, new float[]{a.f()});
            case "value_floats" -> OnnxTensor.ofFloats(out, a.floats(), a.floatCount());
            case "value_int" -> OnnxTensor.ofLongs(out, new long[]{a.i()});
            case "value_ints" -> OnnxTensor.ofLongs(out, a.ints(), a.intCount());
            default -> throw unsupported(at(n) + ": Constant attribute '" + a.name() + "' is not supported");
        };
        values.put(out, new Const(out, t.withName(out), false));
    }

    private void identity(OnnxNode n) {
        if (n.opType().equals("Dropout")) {
            if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) {
                Value tm = value(n, 2);
                if (!(tm instanceof Const c) || anyNonZero(c)) {
                    throw unsupported(at(n) + ": Dropout in training mode is not supported (input 'training_mode')");
                }
            }
            for (int k = 1; k < n.outputs().size(); k++) {
                if (!n.outputs().get(k).isEmpty()) {
                    values.put(n.outputs().get(k), new Unavailable("the mask output of Dropout " + at(n)
                            + ", which thinet4j does not support"));
                }
            }
        }
        Value v = value(n, 0);
        String out = output(n);
        if (v instanceof Const c) {
            values.put(out, new Const(out, c.tensor().withName(out), false));
        } else if (v instanceof ShapeVec s) {
            values.put(out, s);
        } else {
            emit(n, new Op.Identity(), act(n, 0));
        }
    }

    private boolean anyNonZero(Const c) {
        for (float f : c.tensor().toFloatArray()) {
            if (f != 0) {
                return true;
            }
        }
        return false;
    }

    private void cast(OnnxNode n) {
        long to = attrInt(n, "to", -1);
        Value v = value(n, 0);
        String out = output(n);
        boolean toInt = to == OnnxTensor.INT64 || to == OnnxTensor.INT32;
        if (v instanceof Const c) {
            OnnxTensor t;
            if (to == OnnxTensor.FLOAT) {
                t = OnnxTensor.ofFloats(out, c.tensor().toFloatArray(), c.dims());
            } else if (toInt) {
                long[] l;
                if (c.isInteger()) {
                    l = c.tensor().toLongArray();
                } else {
                    float[] f = c.tensor().toFloatArray();
                    l = new long[f.length];
                    for (int k = 0; k < f.length; k++) {
                        l[k] = (long) f[k];
                    }
                }
                t = OnnxTensor.ofLongs(out, l, c.dims());
            } else {
                throw unsupported(at(n) + ": Cast of constant '" + c.name() + "' to "
                        + OnnxTensor.dataTypeName((int) to) + " is not supported");
            }
            values.put(out, new Const(out, t, false));
        } else if (v instanceof ShapeVec s && toInt) {
            values.put(out, s);
        } else if (v instanceof Act a && to == OnnxTensor.FLOAT) {
            emit(n, new Op.Identity(), a);
        } else {
            throw unsupported(at(n) + ": Cast of '" + n.inputs().get(0) + "' to "
                    + OnnxTensor.dataTypeName((int) to) + " is not supported");
        }
    }

    private void shape(OnnxNode n) {
        Value v = value(n, 0);
        long[] vals;
        boolean[] batch;
        if (v instanceof Act a) {
            vals = new long[a.shape().length];
            batch = new boolean[vals.length];
            for (int k = 0; k < vals.length; k++) {
                vals[k] = a.shape()[k];
            }
            batch[0] = true;
        } else if (v instanceof Const c) {
            vals = c.dims();
            batch = new boolean[vals.length];
        } else {
            throw unsupported(at(n) + ": Shape of a shape value is not supported");
        }
        int r = vals.length;
        int start = (int) clampAxis(attrInt(n, "start", 0), r);
        int end = (int) clampAxis(attrInt(n, "end", r), r);
        end = Math.max(start, end);
        values.put(output(n), new ShapeVec(Arrays.copyOfRange(vals, start, end), Arrays.copyOfRange(batch, start, end),
                false));
    }

    private static long clampAxis(long a, int rank) {
        long x = a < 0 ? a + rank : a;
        return Math.max(0, Math.min(rank, x));
    }

    private void gather(OnnxNode n) {
        Value data = value(n, 0);
        ShapeVec s = data instanceof Const c && c.isInteger() && c.dims().length <= 1 ? shapeOf(n, 0) : null;
        if (data instanceof ShapeVec sv) {
            s = sv;
        }
        if (s == null) {
            throw unsupported(at(n) + ": Gather is supported only on tensor shapes (x.size(k)), not on '"
                    + n.inputs().get(0) + "'");
        }
        if (attrInt(n, "axis", 0) != 0) {
            throw unsupported(at(n) + ": Gather on a shape must use axis 0");
        }
        Const idx = constInput(n, 1, "indices");
        long[] ix = idx.tensor().toLongArray();
        long[] vals = new long[ix.length];
        boolean[] batch = new boolean[ix.length];
        for (int k = 0; k < ix.length; k++) {
            long j = ix[k] < 0 ? ix[k] + s.length() : ix[k];
            if (j < 0 || j >= s.length()) {
                throw fail(at(n) + ": index " + ix[k] + " is outside the shape " + s.format());
            }
            vals[k] = s.vals()[(int) j];
            batch[k] = s.batch()[(int) j];
        }
        values.put(output(n), new ShapeVec(vals, batch, idx.dims().length == 0));
    }

    private static boolean anyTrue(boolean[] b) {
        for (boolean x : b) {
            if (x) {
                return true;
            }
        }
        return false;
    }

    /** Slice of a 1-D shape vector or integer constant along axis 0 (e.g. {@code x.shape[0:1]}). */
    private void slice(OnnxNode n) {
        ShapeVec s = shapeOf(n, 0);
        if (s == null || s.scalar()) {
            throw unsupported(at(n) + ": Slice is supported only on 1-D tensor shapes or integer constants, not on '"
                    + n.inputs().get(0) + "'");
        }
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps;
        if (opset < 10) {
            starts = attrInts(n, "starts", null);
            ends = attrInts(n, "ends", null);
            axes = attrInts(n, "axes", null);
            steps = null;
        } else {
            starts = constInput(n, 1, "starts").tensor().toLongArray();
            ends = constInput(n, 2, "ends").tensor().toLongArray();
            axes = n.inputs().size() > 3 && !n.inputs().get(3).isEmpty()
                    ? constInput(n, 3, "axes").tensor().toLongArray() : null;
            steps = n.inputs().size() > 4 && !n.inputs().get(4).isEmpty()
                    ? constInput(n, 4, "steps").tensor().toLongArray() : null;
        }
        if (starts == null || ends == null || starts.length != 1 || ends.length != 1
                || (axes != null && (axes.length != 1 || (axes[0] != 0 && axes[0] != -1)))
                || (steps != null && (steps.length != 1 || steps[0] != 1))) {
            throw unsupported(at(n) + ": only a step-1 Slice along axis 0 of a shape is supported");
        }
        int len = s.length();
        int from = (int) clampAxis(starts[0], len);
        int to = (int) clampAxis(Math.min(ends[0], Integer.MAX_VALUE), len);
        to = Math.max(from, to);
        values.put(output(n), new ShapeVec(Arrays.copyOfRange(s.vals(), from, to),
                Arrays.copyOfRange(s.batch(), from, to), false));
    }

    private long[] axesOf(OnnxNode n) {
        if (n.attribute("axes").isPresent()) {
            return n.attribute("axes").get().ints();
        }
        if (n.inputs().size() > 1 && !n.inputs().get(1).isEmpty()) {
            return constInput(n, 1, "axes").tensor().toLongArray();
        }
        return null;
    }

    private void unsqueeze(OnnxNode n, boolean unsqueeze) {
        Value v = value(n, 0);
        long[] axes = axesOf(n);
        String out = output(n);
        String op = n.opType();
        if (v instanceof ShapeVec s) {
            if (unsqueeze && s.scalar() && axes != null && axes.length == 1 && (axes[0] == 0 || axes[0] == -1)) {
                values.put(out, new ShapeVec(s.vals(), s.batch(), false));
                return;
            }
            if (!unsqueeze && !s.scalar() && s.length() == 1 && (axes == null
                    || (axes.length == 1 && (axes[0] == 0 || axes[0] == -1)))) {
                values.put(out, new ShapeVec(s.vals(), s.batch(), true));
                return;
            }
            throw unsupported(at(n) + ": " + op + " of the shape value " + s.format() + " with axes "
                    + Arrays.toString(axes) + " is not supported");
        }
        if (v instanceof Const c) {
            long[] dims = c.dims();
            List<Long> d = new ArrayList<>();
            for (long x : dims) {
                d.add(x);
            }
            if (unsqueeze) {
                if (axes == null) {
                    throw fail(at(n) + ": Unsqueeze needs axes");
                }
                int outRank = dims.length + axes.length;
                long[] norm = new long[axes.length];
                for (int k = 0; k < axes.length; k++) {
                    norm[k] = axes[k] < 0 ? axes[k] + outRank : axes[k];
                }
                Arrays.sort(norm);
                for (long a : norm) {
                    d.add((int) a, 1L);
                }
            } else {
                Set<Long> drop = new HashSet<>();
                if (axes == null) {
                    for (int k = 0; k < dims.length; k++) {
                        if (dims[k] == 1) {
                            drop.add((long) k);
                        }
                    }
                } else {
                    for (long a : axes) {
                        drop.add(a < 0 ? a + dims.length : a);
                    }
                }
                d.clear();
                for (int k = 0; k < dims.length; k++) {
                    if (!drop.contains((long) k)) {
                        d.add(dims[k]);
                    }
                }
            }
            long[] nd = d.stream().mapToLong(Long::longValue).toArray();
            values.put(out, new Const(out, reshapeConst(c, out, nd), false));
            return;
        }
        throw unsupported(at(n) + ": " + op + " of an activation is not supported");
    }

    private OnnxTensor reshapeConst(Const c, String name, long[] dims) {
        if (c.isInteger()) {
            return OnnxTensor.ofLongs(name, c.tensor().toLongArray(), dims);
        }
        return OnnxTensor.ofFloats(name, c.tensor().toFloatArray(), dims);
    }

    /** An integer constant or shape value, as a shape vector. */
    private ShapeVec shapeOf(OnnxNode n, int k) {
        Value v = value(n, k);
        if (v instanceof ShapeVec s) {
            return s;
        }
        if (v instanceof Const c && c.isInteger() && c.dims().length <= 1) {
            long[] vals = c.tensor().toLongArray();
            return new ShapeVec(vals, new boolean[vals.length], c.dims().length == 0);
        }
        return null;
    }

    private void concat(OnnxNode n) {
        if (n.inputs().isEmpty()) {
            throw fail(at(n) + " has no inputs");
        }
        List<Value> ins = new ArrayList<>();
        boolean allAct = true;
        boolean allShape = true;
        for (int k = 0; k < n.inputs().size(); k++) {
            Value v = value(n, k);
            ins.add(v);
            allAct &= v instanceof Act;
            allShape &= v instanceof ShapeVec || (v instanceof Const c && c.isInteger() && c.dims().length == 1);
        }
        long axis = attrInt(n, "axis", Long.MIN_VALUE);
        if (axis == Long.MIN_VALUE) {
            throw fail(at(n) + ": Concat needs the attribute 'axis'");
        }
        if (allAct) {
            int rank = ((Act) ins.get(0)).shape().length;
            for (int k = 1; k < ins.size(); k++) {
                int[] s = ((Act) ins.get(k)).shape();
                if (s.length != rank) {
                    throw fail(at(n) + ": Concat of inputs of different ranks: '" + n.inputs().get(0) + "' is "
                            + Arrays.toString(withBatch(((Act) ins.get(0)).shape())) + ", '" + n.inputs().get(k)
                            + "' is " + Arrays.toString(withBatch(s)));
                }
            }
            int ax = (int) (axis < 0 ? axis + rank : axis);
            emit(n, new Op.Concat(ax), ins.stream().map(v -> (Act) v).toArray(Act[]::new));
            return;
        }
        if (allShape) {
            if (axis != 0 && axis != -1) {
                throw fail(at(n) + ": Concat of 1-D shapes must use axis 0");
            }
            List<Long> vals = new ArrayList<>();
            List<Boolean> batch = new ArrayList<>();
            for (int k = 0; k < ins.size(); k++) {
                ShapeVec s = shapeOf(n, k);
                if (s.scalar()) {
                    throw fail(at(n) + ": Concat of a scalar '" + n.inputs().get(k) + "'");
                }
                for (int j = 0; j < s.length(); j++) {
                    vals.add(s.vals()[j]);
                    batch.add(s.batch()[j]);
                }
            }
            boolean[] b = new boolean[batch.size()];
            for (int j = 0; j < b.length; j++) {
                b[j] = batch.get(j);
            }
            values.put(output(n), new ShapeVec(vals.stream().mapToLong(Long::longValue).toArray(), b, false));
            return;
        }
        throw unsupported(at(n) + ": Concat mixes activations with constants; only activations (or only shapes)"
                + " can be concatenated");
    }

    private void reshape(OnnxNode n) {
        Value data = value(n, 0);
        ShapeVec target = shapeOf(n, 1);
        if (target == null) {
            throw unsupported(at(n) + ": the target shape '" + n.inputs().get(1)
                    + "' must be an integer constant or computed from tensor shapes");
        }
        boolean allowZero = attrInt(n, "allowzero", 0) != 0;
        String out = output(n);
        if (data instanceof Const c) {
            long[] dims = resolveReshape(n, c.dims(), target, allowZero);
            values.put(out, new Const(out, reshapeConst(c, out, dims), false));
            return;
        }
        if (!(data instanceof Act x)) {
            throw unsupported(at(n) + ": Reshape of a shape value is not supported");
        }
        long feat = 1;
        for (int k = 1; k < x.shape().length; k++) {
            feat *= x.shape()[k];
        }
        boolean ok = !target.scalar() && target.length() == 2 && x.shape().length >= 2;
        if (ok) {
            long e0 = target.vals()[0];
            long e1 = target.vals()[1];
            boolean b0 = target.batch()[0];
            boolean b1 = target.batch()[1];
            boolean firstIsBatch = b0 || (e0 == 0 && !allowZero) || e0 > 0;
            if (b1) {
                ok = false;
            } else if (firstIsBatch) {
                ok = e1 == -1 || e1 == feat;
            } else if (e0 == -1) {
                ok = e1 == feat;
            } else {
                ok = false;
            }
        }
        if (!ok) {
            throw unsupported(at(n) + ": Reshape of " + Arrays.toString(withBatch(x.shape())) + " to "
                    + target.format() + " is not supported; only flattening to [batch, -1]"
                    + " (x.view(x.size(0), -1)) is");
        }
        emit(n, new Op.Flatten(1), x);
    }

    private static String describeShapes(List<int[]> shapes) {
        StringBuilder sb = new StringBuilder();
        for (int[] s : shapes) {
            sb.append(sb.length() == 0 ? "" : ", ").append(Arrays.toString(withBatch(s)));
        }
        return sb.toString();
    }

    private static String[] withBatch(int[] shape) {
        String[] s = new String[shape.length];
        for (int k = 0; k < shape.length; k++) {
            s[k] = k == 0 ? "batch" : Integer.toString(shape[k]);
        }
        return s;
    }

    private long[] resolveReshape(OnnxNode n, long[] in, ShapeVec target, boolean allowZero) {
        long total = 1;
        for (long d : in) {
            total *= d;
        }
        long[] out = new long[target.length()];
        int minus = -1;
        long known = 1;
        for (int k = 0; k < out.length; k++) {
            if (target.batch()[k]) {
                throw unsupported(at(n) + ": Reshape of a constant to a batch-dependent shape");
            }
            long e = target.vals()[k];
            if (e == 0 && !allowZero) {
                if (k >= in.length) {
                    throw fail(at(n) + ": 0 at position " + k + " of the target shape has no input dimension");
                }
                e = in[k];
            }
            if (e == -1) {
                if (minus >= 0) {
                    throw fail(at(n) + ": more than one -1 in the target shape " + target.format());
                }
                minus = k;
            } else {
                out[k] = e;
                known *= e;
            }
        }
        if (minus >= 0) {
            if (known == 0 || total % known != 0) {
                throw fail(at(n) + ": cannot reshape " + Arrays.toString(in) + " to " + target.format());
            }
            out[minus] = total / known;
        } else if (known != total) {
            throw fail(at(n) + ": cannot reshape " + Arrays.toString(in) + " to " + target.format());
        }
        return out;
    }

    private void conv(OnnxNode n) {
        PendingPad pre = valueOrPad(n, 0) instanceof PendingPad pp ? pp : null;
        Act x = pre != null ? pre.input() : act(n, 0);
        Tensor w = weight(n, 1, "weight");
        if (w.rank() != 4) {
            throw unsupported(at(n) + ": only 2-D convolution is supported, but the weight '" + n.inputs().get(1)
                    + "' has shape " + Arrays.toString(w.shape()));
        }
        if (x.shape().length != 4) {
            throw unsupported(at(n) + ": the input '" + n.inputs().get(0) + "' must be 4-D (NCHW), is "
                    + Arrays.toString(withBatch(x.shape())));
        }
        Tensor b = optionalWeight(n, 2, "bias");
        if (b != null) {
            b = b.reshape(b.size());
        }
        int kh = w.dim(2);
        int kw = w.dim(3);
        long[] ks = attrInts(n, "kernel_shape", null);
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
            throw fail(at(n) + ": kernel_shape " + Arrays.toString(ks) + " does not match the weight '"
                    + n.inputs().get(1) + "' of shape " + Arrays.toString(w.shape()));
        }
        Hw strides = hw(n, "strides");
        Hw dil = hw(n, "dilations");
        Padding pads = plus(pads(n, padded(x.shape(), pre), kh, kw, strides, dil), pre);
        int group = (int) attrInt(n, "group", 1);
        emit(n, new Op.Conv(w, b, strides, pads, dil, group), x);
    }

    private Hw hw(OnnxNode n, String attr) {
        long[] v = attrInts(n, attr, new long[]{1, 1});
        if (v.length != 2) {
            throw unsupported(at(n) + ": attribute '" + attr + "' " + Arrays.toString(v)
                    + " is not 2-D; only 2-D (NCHW) windows are supported");
        }
        return new Hw(Math.toIntExact(v[0]), Math.toIntExact(v[1]));
    }

    /** Explicit [top, left, bottom, right] pads from {@code pads} or {@code auto_pad}. */
    private Padding pads(OnnxNode n, int[] x, int kh, int kw, Hw strides, Hw dil) {
        String autoPad = attrString(n, "auto_pad", "NOTSET");
        switch (autoPad) {
            case "NOTSET", "" -> {
                long[] p = attrInts(n, "pads", new long[]{0, 0, 0, 0});
                if (p.length != 4) {
                    throw unsupported(at(n) + ": pads " + Arrays.toString(p) + " are not 2-D");
                }
                for (long v : p) {
                    if (v < 0) {
                        throw unsupported(at(n) + ": negative pads " + Arrays.toString(p) + " are not supported");
                    }
                }
                return new Padding(Math.toIntExact(p[0]), Math.toIntExact(p[1]), Math.toIntExact(p[2]),
                        Math.toIntExact(p[3]));
            }
            case "VALID" -> {
                return Padding.NONE;
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                boolean upper = autoPad.equals("SAME_UPPER");
                int[] h = samePad(x[2], kh, strides.h(), dil.h(), upper);
                int[] w = samePad(x[3], kw, strides.w(), dil.w(), upper);
                return new Padding(h[0], w[0], h[1], w[1]);
            }
            default -> throw unsupported(at(n) + ": auto_pad '" + autoPad + "' is not supported");
        }
    }

    /** The shape after a pending zero Pad. */
    private static int[] padded(int[] x, PendingPad pre) {
        if (pre == null) {
            return x;
        }
        Padding p = pre.pads();
        return new int[]{x[0], x[1], x[2] + p.top() + p.bottom(), x[3] + p.left() + p.right()};
    }

    private static Padding plus(Padding a, PendingPad pre) {
        if (pre == null) {
            return a;
        }
        Padding b = pre.pads();
        return new Padding(a.top() + b.top(), a.left() + b.left(), a.bottom() + b.bottom(), a.right() + b.right());
    }

    /** A constant-zero spatial Pad, kept pending until a Conv or AveragePool folds it in. */
    private void pad(OnnxNode n) {
        Act x = act(n, 0);
        String mode = attrString(n, "mode", "constant");
        if (!mode.equals("constant")) {
            throw unsupported(at(n) + ": Pad mode '" + mode + "' is not supported; only zero padding folded into a"
                    + " following Conv or AveragePool is");
        }
        long[] p;
        float value;
        if (opset < 11) {
            p = attrInts(n, "pads", null);
            value = attrFloat(n, "value", 0f);
        } else {
            p = constInput(n, 1, "pads").tensor().toLongArray();
            value = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? scalar(n, 2, "constant_value") : 0f;
            if (n.inputs().size() > 3 && !n.inputs().get(3).isEmpty()) {
                throw unsupported(at(n) + ": Pad with an 'axes' input is not supported");
            }
        }
        if (p == null || p.length != 8 || x.shape().length != 4) {
            throw unsupported(at(n) + ": only Pad of NCHW tensors is supported (pads " + Arrays.toString(p) + ")");
        }
        if (value != 0f) {
            throw unsupported(at(n) + ": Pad with the value " + value + " is not supported; only zero padding is");
        }
        for (int k = 0; k < 8; k++) {
            if (p[k] < 0 || ((k % 4) < 2 && p[k] != 0)) {
                throw unsupported(at(n) + ": Pad " + Arrays.toString(p) + " is not supported; only non-negative"
                        + " padding of H and W is");
            }
        }
        Padding pads = new Padding(Math.toIntExact(p[2]), Math.toIntExact(p[3]), Math.toIntExact(p[6]),
                Math.toIntExact(p[7]));
        values.put(output(n), new PendingPad(x, pads, n));
    }

    private static int[] samePad(int in, int k, int stride, int dil, boolean upper) {
        int out = (in + stride - 1) / stride;
        int total = Math.max(0, (out - 1) * stride + (k - 1) * dil + 1 - in);
        int small = total / 2;
        int big = total - small;
        return upper ? new int[]{small, big} : new int[]{big, small};
    }

    private void batchNorm(OnnxNode n) {
        Act x = act(n, 0);
        if (attrInt(n, "training_mode", 0) != 0) {
            throw unsupported(at(n) + ": BatchNormalization with training_mode=1 is not supported; export the model"
                    + " in eval() mode");
        }
        if (attrInt(n, "spatial", 1) == 0) {
            throw unsupported(at(n) + ": BatchNormalization with spatial=0 is not supported");
        }
        if (n.inputs().size() != 5) {
            throw fail(at(n) + " needs 5 inputs (X, scale, B, mean, var), has " + n.inputs().size());
        }
        Tensor scale = flat(weight(n, 1, "scale"));
        Tensor bias = flat(weight(n, 2, "bias"));
        Tensor mean = flat(weight(n, 3, "running mean"));
        Tensor var = flat(weight(n, 4, "running variance"));
        float eps = attrFloat(n, "epsilon", 1e-5f);
        for (int k = 1; k < n.outputs().size(); k++) {
            if (!n.outputs().get(k).isEmpty()) {
                values.put(n.outputs().get(k), new Unavailable("a training-mode output of BatchNormalization "
                        + at(n) + ", which thinet4j does not support"));
            }
        }
        emit(n, new Op.BatchNorm(scale, bias, mean, var, eps), x);
    }

    private static Tensor flat(Tensor t) {
        return t.rank() == 1 ? t : t.reshape(t.size());
    }

    private void clip(OnnxNode n) {
        Act x = act(n, 0);
        float min = Float.NEGATIVE_INFINITY;
        float max = Float.POSITIVE_INFINITY;
        if (opset < 11) {
            min = attrFloat(n, "min", min);
            max = attrFloat(n, "max", max);
        } else {
            if (n.inputs().size() > 1 && !n.inputs().get(1).isEmpty()) {
                min = scalar(n, 1, "min");
            }
            if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) {
                max = scalar(n, 2, "max");
            }
        }
        emit(n, new Op.Clip(min, max), x);
    }

    private float scalar(OnnxNode n, int k, String role) {
        Const c = constInput(n, k, role);
        float[] v = c.tensor().toFloatArray();
        if (v.length != 1) {
            throw unsupported(at(n) + ": the " + role + " '" + c.name() + "' must be a scalar, has shape "
                    + Arrays.toString(c.dims()));
        }
        return v[0];
    }

    private void softmax(OnnxNode n) {
        Act x = act(n, 0);
        int rank = x.shape().length;
        long axis = attrInt(n, "axis", opset < 13 ? 1 : -1);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw fail(at(n) + ": axis " + axis + " is out of range for rank " + rank);
        }
        if (opset < 13 && ax != rank - 1) {
            throw unsupported(at(n) + ": before opset 13 Softmax over axis " + axis + " of a rank-" + rank
                    + " tensor flattens the trailing axes, which is not supported; re-export with opset 13 or later");
        }
        emit(n, new Op.Softmax((int) ax), x);
    }

    private void maxPool(OnnxNode n) {
        Act x = act(n, 0);
        long[] ks = kernelShape(n, x);
        Hw strides = hw(n, "strides");
        Hw dil = hw(n, "dilations");
        Padding pads = pads(n, x.shape(), (int) ks[0], (int) ks[1], strides, dil);
        boolean ceil = attrInt(n, "ceil_mode", 0) != 0;
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
            values.put(n.outputs().get(1), new Unavailable("the Indices output of MaxPool " + at(n)
                    + ", which thinet4j does not support"));
        }
        emit(n, new Op.MaxPool(new Hw((int) ks[0], (int) ks[1]), strides, pads, dil, ceil), x);
    }

    private void avgPool(OnnxNode n) {
        PendingPad pre = valueOrPad(n, 0) instanceof PendingPad pp ? pp : null;
        Act x = pre != null ? pre.input() : act(n, 0);
        long[] ks = kernelShape(n, x);
        Hw strides = hw(n, "strides");
        Hw dil = hw(n, "dilations");
        if (dil.h() != 1 || dil.w() != 1) {
            throw unsupported(at(n) + ": AveragePool with dilations " + dil + " is not supported");
        }
        Padding pads = pads(n, padded(x.shape(), pre), (int) ks[0], (int) ks[1], strides, dil);
        boolean ceil = attrInt(n, "ceil_mode", 0) != 0;
        boolean countPad = attrInt(n, "count_include_pad", 0) != 0;
        if (pre != null) {
            if (!pads.isZero() && !countPad) {
                throw unsupported(at(n) + ": AveragePool with its own pads and count_include_pad=0 after the zero Pad "
                        + at(pre.node()) + " is not supported");
            }
            pads = plus(pads, pre);
            countPad = true; // the padded zeros are real values for the pool
        }
        emit(n, new Op.AvgPool(new Hw((int) ks[0], (int) ks[1]), strides, pads, countPad, ceil), x);
    }

    private long[] kernelShape(OnnxNode n, Act x) {
        long[] ks = attrInts(n, "kernel_shape", null);
        if (ks == null) {
            throw fail(at(n) + ": attribute 'kernel_shape' is missing");
        }
        if (ks.length != 2 || x.shape().length != 4) {
            throw unsupported(at(n) + ": only 2-D pooling of NCHW tensors is supported (kernel_shape "
                    + Arrays.toString(ks) + ")");
        }
        return ks;
    }

    private void flatten(OnnxNode n) {
        Act x = act(n, 0);
        int rank = x.shape().length;
        long axis = attrInt(n, "axis", 1);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax != 1) {
            throw unsupported(at(n) + ": Flatten with axis " + axis + " (input rank " + rank
                    + ") is not supported; only axis 1 (keep the batch) is");
        }
        emit(n, new Op.Flatten(1), x);
    }

    private void gemm(OnnxNode n) {
        Act a = act(n, 0);
        if (attrInt(n, "transA", 0) != 0) {
            throw unsupported(at(n) + ": Gemm with transA=1 is not supported");
        }
        if (a.shape().length != 2) {
            throw unsupported(at(n) + ": Gemm input '" + n.inputs().get(0) + "' must be 2-D, is "
                    + Arrays.toString(withBatch(a.shape())));
        }
        Tensor b = weight(n, 1, "weight (B)");
        if (b.rank() != 2) {
            throw fail(at(n) + ": the weight '" + n.inputs().get(1) + "' must be 2-D, has shape "
                    + Arrays.toString(b.shape()));
        }
        float alpha = attrFloat(n, "alpha", 1f);
        float beta = attrFloat(n, "beta", 1f);
        Tensor w = attrInt(n, "transB", 0) != 0 ? b : transpose(b);
        if (alpha != 1f) {
            w = scale(w, alpha);
        }
        Tensor c = optionalWeight(n, 2, "bias (C)");
        Tensor bias = null;
        if (c != null && beta != 0f) {
            bias = biasVector(n, c, w.dim(0));
            if (beta != 1f) {
                bias = scale(bias, beta);
            }
        }
        emit(n, new Op.Linear(w, bias), a);
    }

    private Tensor biasVector(OnnxNode n, Tensor c, int out) {
        int[] s = c.shape();
        boolean rowOk = s.length == 1 || (s.length == 2 && s[0] == 1);
        if (c.size() == out && (rowOk || s.length == 0)) {
            return c.reshape(out);
        }
        if (c.size() == 1) {
            return Tensor.filled(c.get(0), out);
        }
        throw unsupported(at(n) + ": bias of shape " + Arrays.toString(s)
                + " does not broadcast as a per-output bias of " + out + " features");
    }

    private static Tensor transpose(Tensor t) {
        int r = t.dim(0);
        int c = t.dim(1);
        float[] src = t.data();
        float[] dst = new float[src.length];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                dst[j * r + i] = src[i * c + j];
            }
        }
        return Tensor.of(dst, c, r);
    }

    private static Tensor scale(Tensor t, float s) {
        float[] d = t.data();
        for (int k = 0; k < d.length; k++) {
            d[k] *= s;
        }
        return Tensor.of(d, t.shape());
    }

    private void matMul(OnnxNode n) {
        Value va = value(n, 0);
        Value vb = value(n, 1);
        if (!(va instanceof Act a) || !(vb instanceof Const)) {
            throw unsupported(at(n) + ": MatMul is supported only as activation × constant weight [in, out]");
        }
        if (a.shape().length != 2) {
            throw unsupported(at(n) + ": MatMul input '" + n.inputs().get(0) + "' must be 2-D, is "
                    + Arrays.toString(withBatch(a.shape())));
        }
        Tensor b = weight(n, 1, "weight");
        if (b.rank() != 2) {
            throw unsupported(at(n) + ": the MatMul weight '" + n.inputs().get(1)
                    + "' must be 2-D [in, out], has shape " + Arrays.toString(b.shape()));
        }
        if (b.dim(0) != a.shape()[1]) {
            throw fail(at(n) + ": weight '" + n.inputs().get(1) + "' " + Arrays.toString(b.shape())
                    + " does not fit the input " + Arrays.toString(withBatch(a.shape())));
        }
        values.put(output(n), new PendingLinear(n, a, transpose(b)));
    }

    private Act materialise(PendingLinear pl) {
        if (pl.materialised == null) {
            pl.materialised = emit(pl.node, output(pl.node), new Op.Linear(pl.weight, null), pl.input);
            values.put(output(pl.node), pl.materialised);
        }
        return pl.materialised;
    }

    private void add(OnnxNode n) {
        if (n.inputs().size() != 2) {
            throw fail(at(n) + " needs 2 inputs, has " + n.inputs().size());
        }
        Value a = rawValue(n, 0);
        Value b = rawValue(n, 1);
        PendingLinear pl = a instanceof PendingLinear p ? p : b instanceof PendingLinear p ? p : null;
        Value other = pl == a ? b : a;
        if (pl != null && pl.materialised == null && other instanceof Const c
                && consumerCount.getOrDefault(output(pl.node), 0) == 1 && !graphOutputs.contains(output(pl.node))) {
            Tensor bias = biasVector(n, constTensor(n, c, "bias"), pl.weight.dim(0));
            String out = output(n);
            pl.materialised = emit(pl.node, out, new Op.Linear(pl.weight, bias), pl.input);
            return;
        }
        Value va = value(n, 0);
        Value vb = value(n, 1);
        if (va instanceof Act x && vb instanceof Act y) {
            emit(n, new Op.Add(), x, y);
            return;
        }
        if (va instanceof Const && vb instanceof Const) {
            throw unsupported(at(n) + ": Add of two constants is not supported; export with do_constant_folding=True");
        }
        String constName = va instanceof Const ? n.inputs().get(0) : n.inputs().get(1);
        throw unsupported(at(n) + " adds the constant '" + constName + "' to an activation; thinet4j supports"
                + " a constant Add only as the bias right after a MatMul");
    }

    private void sum(OnnxNode n) {
        Act[] ins = new Act[n.inputs().size()];
        for (int k = 0; k < ins.length; k++) {
            ins[k] = act(n, k);
        }
        emit(n, new Op.Add(), ins);
    }

    // ------------------------------------------------------------------ emission and value access

    private Act emit(OnnxNode n, Op op, Act... inputs) {
        return emit(n, output(n), op, inputs);
    }

    private Act emit(OnnxNode n, String out, Op op, Act... inputs) {
        List<String> names = new ArrayList<>(inputs.length);
        List<int[]> shapes = new ArrayList<>(inputs.length);
        for (Act a : inputs) {
            names.add(a.name());
            shapes.add(a.shape());
        }
        int[] shape;
        try {
            shape = op.outputShape(shapes);
        } catch (IllegalArgumentException | IndexOutOfBoundsException | ArithmeticException e) {
            // the shape rules of model.Op reject what does not fit; a few report it as an index error
            throw fail(at(n) + ": inputs " + describeShapes(shapes) + " do not fit " + op.onnxType() + ": "
                    + e.getMessage(), e);
        }
        String name = nodeName(n, out);
        emitted.add(new Node(name, op, names));
        Act act = new Act(name, shape);
        values.put(out, act);
        return act;
    }

    private String output(OnnxNode n) {
        if (n.outputs().isEmpty() || n.outputs().get(0).isEmpty()) {
            throw fail(at(n) + " has no output");
        }
        return n.outputs().get(0);
    }

    /** The value of input k, null when the optional input is absent; pending MatMuls stay pending. */
    private Value rawValue(OnnxNode n, int k) {
        if (k >= n.inputs().size() || n.inputs().get(k).isEmpty()) {
            return null;
        }
        String name = n.inputs().get(k);
        Value v = values.get(name);
        if (v == null) {
            throw fail(at(n) + " reads '" + name + "', which is not available");
        }
        if (v instanceof Unavailable u) {
            throw unsupported(at(n) + " reads '" + name + "', " + u.why());
        }
        return v;
    }

    private Value value(OnnxNode n, int k) {
        Value v = valueOrPad(n, k);
        if (v instanceof PendingPad pp) {
            throw unsupported(at(n) + " reads '" + n.inputs().get(k) + "', the output of Pad " + at(pp.node())
                    + "; thinet4j supports Pad only as zero padding right before a Conv or AveragePool");
        }
        return v;
    }

    /** Like {@link #value} but lets a pending zero Pad through (for Conv and AveragePool). */
    private Value valueOrPad(OnnxNode n, int k) {
        Value v = rawValue(n, k);
        if (v == null) {
            throw fail(at(n) + ": input " + k + " is missing");
        }
        return v instanceof PendingLinear pl ? materialise(pl) : v;
    }

    private Act act(OnnxNode n, int k) {
        Value v = value(n, k);
        if (v instanceof Act a) {
            return a;
        }
        String what = v instanceof Const ? "a constant" : "a shape computation";
        throw unsupported(at(n) + ": input '" + n.inputs().get(k) + "' must be computed from the network input '"
                + inputName + "', but it is " + what);
    }

    private Const constInput(OnnxNode n, int k, String role) {
        Value v = value(n, k);
        if (v instanceof Const c) {
            return c;
        }
        if (v instanceof ShapeVec sv && !anyTrue(sv.batch())) {
            String name = n.inputs().get(k);
            OnnxTensor t = sv.scalar() ? OnnxTensor.ofLongs(name, sv.vals())
                    : OnnxTensor.ofLongs(name, sv.vals(), sv.length());
            return new Const(name, t, false);
        }
        throw unsupported(at(n) + ": the " + role + " '" + n.inputs().get(k)
                + "' must be a constant (an initializer or a Constant node), but it is computed at run time");
    }

    private Tensor weight(OnnxNode n, int k, String role) {
        return constTensor(n, constInput(n, k, role), role);
    }

    private Tensor optionalWeight(OnnxNode n, int k, String role) {
        if (k >= n.inputs().size() || n.inputs().get(k).isEmpty()) {
            return null;
        }
        return weight(n, k, role);
    }

    /** A constant as a finite float tensor. */
    private Tensor constTensor(OnnxNode n, Const c, String role) {
        float[] data = c.tensor().toFloatArray();
        for (int k = 0; k < data.length; k++) {
            if (!Float.isFinite(data[k])) {
                throw fail((c.initializer() ? "initializer '" : "constant '") + c.name() + "' (" + role + " of "
                        + at(n) + ") contains " + data[k] + " at flat index " + k + "; weights must be finite");
            }
        }
        long[] dims = c.dims();
        int[] shape = new int[dims.length];
        for (int k = 0; k < dims.length; k++) {
            shape[k] = Math.toIntExact(dims[k]);
        }
        return Tensor.of(data, shape);
    }

    // ------------------------------------------------------------------ attributes

    private OnnxAttribute attr(OnnxNode n, String name) {
        return n.attribute(name).orElse(null);
    }

    private long attrInt(OnnxNode n, String name, long dflt) {
        OnnxAttribute a = attr(n, name);
        if (a == null) {
            return dflt;
        }
        return switch (a.type()) {
            case INT, UNDEFINED -> a.i();
            default -> throw fail(at(n) + ": attribute '" + name + "' should be an INT, is " + a.type());
        };
    }

    private long[] attrInts(OnnxNode n, String name, long[] dflt) {
        OnnxAttribute a = attr(n, name);
        if (a == null) {
            return dflt;
        }
        return switch (a.type()) {
            case INTS, UNDEFINED -> a.ints();
            default -> throw fail(at(n) + ": attribute '" + name + "' should be INTS, is " + a.type());
        };
    }

    private float attrFloat(OnnxNode n, String name, float dflt) {
        OnnxAttribute a = attr(n, name);
        if (a == null) {
            return dflt;
        }
        return switch (a.type()) {
            case FLOAT, UNDEFINED -> a.f();
            case INT -> a.i();
            default -> throw fail(at(n) + ": attribute '" + name + "' should be a FLOAT, is " + a.type());
        };
    }

    private String attrString(OnnxNode n, String name, String dflt) {
        OnnxAttribute a = attr(n, name);
        if (a == null) {
            return dflt;
        }
        if (a.type() != OnnxAttribute.Type.STRING && a.type() != OnnxAttribute.Type.UNDEFINED) {
            throw fail(at(n) + ": attribute '" + name + "' should be a STRING, is " + a.type());
        }
        return a.s().toStringUtf8();
    }

    // ------------------------------------------------------------------ external data

    private OnnxTensor readExternal(OnnxTensor t) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringEntry e : t.externalData()) {
            switch (e.key()) {
                case "location" -> location = e.value();
                case "offset" -> offset = parseLong(t, e);
                case "length" -> length = parseLong(t, e);
                default -> {
                }
            }
        }
        String file = location == null ? "?" : location;
        String hint = "; re-export with all tensors inside the .onnx file";
        if (baseDir == null || location == null) {
            throw unsupported("initializer '" + t.name() + "' keeps its data in the external file '" + file
                    + "': external data is supported only when loading the model from a file with"
                    + " OnnxImporter.load(Path)" + hint);
        }
        Path base = baseDir.normalize();
        Path p = base.resolve(location).normalize();
        if (Path.of(location).isAbsolute() || !p.startsWith(base)) {
            throw unsupported("initializer '" + t.name() + "' keeps its data in '" + location
                    + "', outside the model's directory " + base + hint);
        }
        int width = OnnxTensor.rawElementSize(t.dataType());
        long need;
        try {
            need = Math.multiplyExact(t.elementCount(), (long) Math.max(width, 0));
        } catch (ArithmeticException e) {
            throw fail("initializer '" + t.name() + "' (" + OnnxTensor.dataTypeName(t.dataType()) + " "
                    + Arrays.toString(t.dims()) + ") declares more than 2^63 bytes of external data");
        }
        if (need < 0) {
            throw fail("initializer '" + t.name() + "' has a negative dimension in " + Arrays.toString(t.dims()));
        }
        if (length < 0) {
            length = need;
        }
        if (length != need) {
            throw fail("initializer '" + t.name() + "' external data length " + length + " does not match its "
                    + need + " bytes (" + OnnxTensor.dataTypeName(t.dataType()) + " " + Arrays.toString(t.dims())
                    + ")");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw fail("initializer '" + t.name() + "' (" + OnnxTensor.dataTypeName(t.dataType()) + " "
                    + Arrays.toString(t.dims()) + ") needs " + length + " bytes, more than one Java array holds ("
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        if (offset < 0) {
            throw fail("initializer '" + t.name() + "': external data offset " + offset + " is negative");
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            // check the declared range against the file before allocating it
            if (offset > ch.size() - length) {
                throw fail("initializer '" + t.name() + "': the external file '" + location + "' ends before byte "
                        + (offset + length) + " (it has " + ch.size() + " bytes; " + OnnxTensor.dataTypeName(t.dataType())
                        + " " + Arrays.toString(t.dims()) + " needs " + length + " from offset " + offset + ")");
            }
            byte[] bytes = new byte[(int) length];
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            long pos = offset;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos);
                if (r < 0) {
                    throw fail("initializer '" + t.name() + "': the external file '" + location + "' ends before byte "
                            + (offset + length));
                }
                pos += r;
            }
            return t.toBuilder().rawData(ByteString.copyFrom(bytes)).dataLocation(OnnxTensor.LOCATION_DEFAULT)
                    .externalData(List.of()).build();
        } catch (NoSuchFileException e) {
            throw unsupported("initializer '" + t.name() + "' keeps its data in the external file '" + location
                    + "', which does not exist next to the model (" + p + "); copy it there" + hint.replace(";", " or"),
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read external data '" + location + "' of initializer '"
                    + t.name() + "': " + e.getMessage(), e);
        }
    }

    private long parseLong(OnnxTensor t, StringEntry e) {
        try {
            return Long.parseLong(e.value().trim());
        } catch (NumberFormatException ex) {
            throw fail("initializer '" + t.name() + "': external data " + e.key() + " '" + e.value()
                    + "' is not a number");
        }
    }

    // ------------------------------------------------------------------ messages

    private String at(OnnxNode n) {
        String label = baseNames.get(n);
        if (label == null) {
            label = n.name().isEmpty() ? n.opType() : n.name();
        }
        return "node '" + label + "' (" + n.opType() + ")";
    }

    private String at(OnnxNode n, int idx) {
        String label = n.name().isEmpty() ? n.opType() + "_" + idx : n.name();
        return "node '" + label + "' (" + n.opType() + ")";
    }

    private OnnxImportException fail(String msg) {
        return new OnnxImportException("cannot import " + source + ": " + msg);
    }

    private OnnxImportException fail(String msg, Throwable cause) {
        return new OnnxImportException("cannot import " + source + ": " + msg, cause);
    }

    private UnsupportedOnnxException unsupported(String msg) {
        return new UnsupportedOnnxException("cannot import " + source + ": " + msg);
    }

    private UnsupportedOnnxException unsupported(String msg, Throwable cause) {
        return new UnsupportedOnnxException("cannot import " + source + ": " + msg, cause);
    }
}
