package dev.thinet4j.onnx;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.Value.Const;
import dev.thinet4j.onnx.Value.PendingLinear;
import dev.thinet4j.onnx.Value.PendingPad;
import dev.thinet4j.onnx.Value.ShapeVec;
import dev.thinet4j.onnx.Value.Unavailable;
import dev.thinet4j.onnx.proto.OnnxAttribute;
import dev.thinet4j.onnx.proto.OnnxGraph;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxTensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state of one import: the {@link Value} of every ONNX tensor seen so far, the network nodes
 * emitted, their names, and the graph structure the pattern matchers look at (producers and
 * consumer counts of ONNX tensors). Also the helpers every {@link OpMapper} uses: typed access to
 * inputs and attributes, emission, and messages that name the node.
 */
final class ImportContext {
    final OnnxGraph graph;
    final String source;
    final long opset;
    final ExternalData externalData;
    final Map<String, Value> values = new HashMap<>();
    final List<Node> emitted = new ArrayList<>();
    final Map<String, Node> emittedByName = new HashMap<>();
    final Set<String> graphOutputs = new LinkedHashSet<>();
    final Map<String, Integer> consumerCount = new HashMap<>();
    final Map<String, OnnxNode> producers = new HashMap<>();
    private final Set<String> usedNames = new HashSet<>();
    private final Map<OnnxNode, String> baseNames = new HashMap<>();
    String inputName;
    int[] inputShape;

    ImportContext(OnnxGraph graph, String source, Path baseDir, long opset) {
        this.graph = graph;
        this.source = source;
        this.opset = opset;
        this.externalData = new ExternalData(source, baseDir);
    }

    // ------------------------------------------------------------------ names

    /** Names every ONNX node (its own name when unique, else {@code <OpType>_<index>}). */
    void assignBaseNames() {
        List<OnnxNode> nodes = graph.nodes();
        Map<String, Integer> counts = new HashMap<>();
        for (OnnxNode n : nodes) {
            if (!n.name().isEmpty()) {
                counts.merge(n.name(), 1, Integer::sum);
            }
        }
        usedNames.add(inputName);
        usedNames.addAll(graphOutputs);
        for (OnnxNode n : nodes) {
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
        for (OnnxNode n : nodes) {
            for (String in : n.inputs()) {
                if (!in.isEmpty()) {
                    consumerCount.merge(in, 1, Integer::sum);
                }
            }
            for (String out : n.outputs()) {
                if (!out.isEmpty()) {
                    producers.put(out, n);
                }
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

    // ------------------------------------------------------------------ graph structure

    /** The ONNX node writing {@code tensor}; null for the input, initializers and unknown names. */
    OnnxNode producer(String tensor) {
        return producers.get(tensor);
    }

    /**
     * Whether the ONNX tensor is read by exactly one node input and is not a graph output, so a
     * fusion may swallow the node writing it.
     */
    boolean soleUse(String tensor) {
        return consumerCount.getOrDefault(tensor, 0) == 1 && !graphOutputs.contains(tensor);
    }

    /** The emitted node writing activation {@code a}; null for the network input. */
    Node emittedNode(Act a) {
        return emittedByName.get(a.name());
    }

    // ------------------------------------------------------------------ emission

    Act emit(OnnxNode n, Op op, Act... inputs) {
        return emit(n, output(n), op, inputs);
    }

    /** Emits one node for {@code op} whose result is the ONNX tensor {@code out}. */
    Act emit(OnnxNode n, String out, Op op, Act... inputs) {
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
        Node node = new Node(name, op, names);
        emitted.add(node);
        emittedByName.put(name, node);
        Act act = new Act(name, shape);
        values.put(out, act);
        return act;
    }

    void put(String out, Value v) {
        values.put(out, v);
    }

    /** Records a folded constant for {@code out}. */
    void putConst(String out, OnnxTensor t) {
        values.put(out, new Const(out, t.withName(out), false));
    }

    String output(OnnxNode n) {
        if (n.outputs().isEmpty() || n.outputs().get(0).isEmpty()) {
            throw fail(at(n) + " has no output");
        }
        return n.outputs().get(0);
    }

    /** Emits the Linear of a pending MatMul without bias. */
    Act materialise(PendingLinear pl) {
        if (pl.materialised == null) {
            pl.materialised = emit(pl.node, output(pl.node), new Op.Linear(pl.weight, null), pl.input);
            values.put(output(pl.node), pl.materialised);
        }
        return pl.materialised;
    }

    // ------------------------------------------------------------------ input access

    boolean hasInput(OnnxNode n, int k) {
        return k < n.inputs().size() && !n.inputs().get(k).isEmpty();
    }

    /** The value of input k, null when the optional input is absent; pending MatMuls stay pending. */
    Value rawValue(OnnxNode n, int k) {
        if (!hasInput(n, k)) {
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

    Value value(OnnxNode n, int k) {
        Value v = valueOrPad(n, k);
        if (v instanceof PendingPad pp) {
            throw unsupported(at(n) + " reads '" + n.inputs().get(k) + "', the output of Pad " + at(pp.node())
                    + "; thinet4j supports Pad only as zero padding right before a Conv or AveragePool");
        }
        return v;
    }

    /** Like {@link #value} but lets a pending zero Pad through (for Conv and AveragePool). */
    Value valueOrPad(OnnxNode n, int k) {
        Value v = rawValue(n, k);
        if (v == null) {
            throw fail(at(n) + ": input " + k + " is missing");
        }
        return v instanceof PendingLinear pl ? materialise(pl) : v;
    }

    Act act(OnnxNode n, int k) {
        Value v = value(n, k);
        if (v instanceof Act a) {
            return a;
        }
        String what = v instanceof Const ? "a constant" : "a shape computation";
        throw unsupported(at(n) + ": input '" + n.inputs().get(k) + "' must be computed from the network input '"
                + inputName + "', but it is " + what);
    }

    /** An integer constant or shape value, as a shape vector; null when it is neither. */
    ShapeVec shapeOf(OnnxNode n, int k) {
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

    /** A value as a constant when it is one (a shape vector without the batch counts). */
    static Const asConst(Value v, String name) {
        if (v instanceof Const c) {
            return c;
        }
        if (v instanceof ShapeVec sv && !sv.anyBatch()) {
            OnnxTensor t = sv.scalar() ? OnnxTensor.ofLongs(name, sv.vals())
                    : OnnxTensor.ofLongs(name, sv.vals(), sv.length());
            return new Const(name, t, false);
        }
        return null;
    }

    Const constInput(OnnxNode n, int k, String role) {
        Const c = asConst(value(n, k), n.inputs().get(k));
        if (c != null) {
            return c;
        }
        throw unsupported(at(n) + ": the " + role + " '" + n.inputs().get(k)
                + "' must be a constant (an initializer or a Constant node), but it is computed at run time");
    }

    /** Constant input k as longs, or null when the optional input is absent. */
    long[] optionalLongs(OnnxNode n, int k, String role) {
        return hasInput(n, k) ? constInput(n, k, role).tensor().toLongArray() : null;
    }

    Tensor weight(OnnxNode n, int k, String role) {
        return constTensor(n, constInput(n, k, role), role);
    }

    Tensor optionalWeight(OnnxNode n, int k, String role) {
        return hasInput(n, k) ? weight(n, k, role) : null;
    }

    float scalar(OnnxNode n, int k, String role) {
        Const c = constInput(n, k, role);
        float[] v = c.tensor().toFloatArray();
        if (v.length != 1) {
            throw unsupported(at(n) + ": the " + role + " '" + c.name() + "' must be a scalar, has shape "
                    + Arrays.toString(c.dims()));
        }
        return v[0];
    }

    /** A constant as a finite float tensor. */
    Tensor constTensor(OnnxNode n, Const c, String role) {
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

    OnnxTensor readExternal(OnnxTensor t) {
        return externalData.read(t);
    }

    // ------------------------------------------------------------------ attributes

    OnnxAttribute attr(OnnxNode n, String name) {
        return n.attribute(name).orElse(null);
    }

    long attrInt(OnnxNode n, String name, long dflt) {
        OnnxAttribute a = attr(n, name);
        if (a == null) {
            return dflt;
        }
        return switch (a.type()) {
            case INT, UNDEFINED -> a.i();
            default -> throw fail(at(n) + ": attribute '" + name + "' should be an INT, is " + a.type());
        };
    }

    long[] attrInts(OnnxNode n, String name, long[] dflt) {
        OnnxAttribute a = attr(n, name);
        if (a == null) {
            return dflt;
        }
        return switch (a.type()) {
            case INTS, UNDEFINED -> a.ints();
            default -> throw fail(at(n) + ": attribute '" + name + "' should be INTS, is " + a.type());
        };
    }

    float attrFloat(OnnxNode n, String name, float dflt) {
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

    String attrString(OnnxNode n, String name, String dflt) {
        OnnxAttribute a = attr(n, name);
        if (a == null) {
            return dflt;
        }
        if (a.type() != OnnxAttribute.Type.STRING && a.type() != OnnxAttribute.Type.UNDEFINED) {
            throw fail(at(n) + ": attribute '" + name + "' should be a STRING, is " + a.type());
        }
        return a.s().toStringUtf8();
    }

    /** The {@code axes} attribute, or (opset 13 form) the constant second input; null when absent. */
    long[] axesOf(OnnxNode n) {
        if (n.attribute("axes").isPresent()) {
            return attrInts(n, "axes", null);
        }
        if (hasInput(n, 1)) {
            return constInput(n, 1, "axes").tensor().toLongArray();
        }
        return null;
    }

    // ------------------------------------------------------------------ messages

    String at(OnnxNode n) {
        String label = baseNames.get(n);
        if (label == null) {
            label = n.name().isEmpty() ? n.opType() : n.name();
        }
        return "node '" + label + "' (" + n.opType() + ")";
    }

    static String describeShapes(List<int[]> shapes) {
        StringBuilder sb = new StringBuilder();
        for (int[] s : shapes) {
            sb.append(sb.length() == 0 ? "" : ", ").append(Arrays.toString(withBatch(s)));
        }
        return sb.toString();
    }

    /** A shape with batch 1 printed with "batch" first. */
    static String[] withBatch(int[] shape) {
        String[] s = new String[shape.length];
        for (int k = 0; k < shape.length; k++) {
            s[k] = k == 0 ? "batch" : Integer.toString(shape[k]);
        }
        return s;
    }

    static String shapeText(int[] shape) {
        return Arrays.toString(withBatch(shape));
    }

    OnnxImportException fail(String msg) {
        return new OnnxImportException("cannot import " + source + ": " + msg);
    }

    OnnxImportException fail(String msg, Throwable cause) {
        return new OnnxImportException("cannot import " + source + ": " + msg, cause);
    }

    UnsupportedOnnxException unsupported(String msg) {
        return new UnsupportedOnnxException("cannot import " + source + ": " + msg);
    }
}
