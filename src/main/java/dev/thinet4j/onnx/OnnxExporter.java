package dev.thinet4j.onnx;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.proto.OnnxAttribute;
import dev.thinet4j.onnx.proto.OnnxGraph;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.OpsetId;
import dev.thinet4j.onnx.proto.StringEntry;
import dev.thinet4j.onnx.proto.ValueInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link Network} as an ONNX model: opset 13, IR version 8, producer {@code thinet4j}.
 *
 * <ul>
 *   <li>One ONNX node per network node, with the node's name as node name and output tensor name,
 *       so graph outputs keep their names (see {@link OnnxImporter} for how imported outputs are
 *       named).</li>
 *   <li>Weights become {@code raw_data} FLOAT initializers named {@code <node>.weight},
 *       {@code <node>.bias}, {@code <node>.scale}, {@code <node>.mean}, {@code <node>.var},
 *       {@code <node>.min}, {@code <node>.max} (suffixed when a name is taken).</li>
 *   <li>{@link Op.Linear} → {@code Gemm(transB=1)} with the [out, in] weight; {@link Op.BatchNorm} →
 *       {@code BatchNormalization}; {@link Op.Clip} → {@code Clip} with scalar min / max
 *       initializers (an infinite bound is left out); {@link Op.Add} of 2 inputs → {@code Add},
 *       of more → {@code Sum}, of one → {@code Identity}; the others map to the ONNX op of the same
 *       meaning ({@link Op#onnxType()}).</li>
 *   <li>{@link Op.Linear} on a tensor of rank &gt; 2 → {@code MatMul} with the transposed [in, out] weight, then
 *       {@code Add} of the bias; {@link Op.Binary} → {@code Add / Sub / Mul / Div / Pow};
 *       {@link Op.ConstArith} → the same with a {@code <node>.constant} initializer as first or second input;
 *       {@link Op.HardSwish} (no HardSwish before opset 14) → {@code Mul(x, HardSigmoid(x, 1/6, 1/2))};
 *       {@link Op.ReduceMean} → {@code ReduceMean} with the {@code axes} attribute; {@link Op.LayerNorm}
 *       (no LayerNormalization before opset 17) → ReduceMean, Sub, Mul, ReduceMean, Add ε, Sqrt, Div,
 *       Mul scale, Add bias over its axis; {@link Op.Reshape} → {@code Reshape} with an INT64 shape
 *       [0, d1, …]; {@link Op.Slice} → {@code Slice} with INT64 starts / ends / axes / steps;
 *       {@link Op.ChannelShuffle} → Reshape [0, g, C/g, H, W], Transpose (0, 2, 1, 3, 4), Reshape
 *       [0, C, H, W]; {@link Op.ChannelGather} → {@code Gather(x, indices, axis=1)} with a 1-D INT64
 *       {@code <node>.indices} initializer; {@link Op.Resize} → {@code Resize(x, "", scales [1, 1, s_h, s_w])},
 *       nearest, asymmetric, floor. Helper tensors of a decomposed op are named {@code <node>/<role>}.</li>
 *   <li>An op the exporter does not know fails with an error naming the node.</li>
 *   <li>The input is {@code [batch, C, H, W]} with the symbolic dimension {@code "batch"}; outputs
 *       carry their shapes with the same batch dimension.</li>
 * </ul>
 */
public final class OnnxExporter {
    /** Default-domain opset written. */
    public static final int OPSET = 13;
    /** ONNX IR version written. */
    public static final int IR_VERSION = 8;
    /** {@code producer_name} written. */
    public static final String PRODUCER = "thinet4j";
    /** {@code producer_version} written. */
    public static final String PRODUCER_VERSION = "0.1.0";
    /** The symbolic batch dimension of the input and outputs. */
    public static final String BATCH = "batch";

    private final Network net;
    private final Set<String> taken = new HashSet<>();
    private final List<OnnxTensor> initializers = new ArrayList<>();
    private final List<OnnxNode> nodes = new ArrayList<>();
    private Map<String, int[]> shapes;

    private OnnxExporter(Network net) {
        this.net = net;
        taken.add(net.input().name());
        for (Node n : net.nodes()) {
            taken.add(n.name());
        }
    }

    /**
     * Writes {@code net} to {@code path} atomically (a temporary file in the same directory, then a
     * move), so an existing file at {@code path}, e.g. the model the network was imported from,
     * is either replaced completely or left untouched.
     *
     * @param net  the network
     * @param path the {@code .onnx} file to write
     * @throws java.io.UncheckedIOException when the file cannot be written
     */
    public static void save(Network net, Path path) {
        OnnxProtoWriter.write(toModel(net), path);
    }

    /**
     * The ONNX model of {@code net}.
     *
     * @param net the network
     * @return the model records, ready for {@link OnnxProtoWriter}
     */
    public static OnnxModel toModel(Network net) {
        return new OnnxExporter(net).build();
    }

    private OnnxModel build() {
        for (Node n : net.nodes()) {
            node(n);
        }
        var in = net.input();
        List<ValueInfo> inputs = List.of(new ValueInfo(in.name(), OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param(BATCH),
                ValueInfo.Dim.of(in.channels()), ValueInfo.Dim.of(in.height()), ValueInfo.Dim.of(in.width()))));
        List<ValueInfo> outputs = new ArrayList<>();
        for (String o : net.outputs()) {
            int[] s = shape(o);
            ValueInfo.Dim[] dims = new ValueInfo.Dim[s.length];
            for (int k = 0; k < s.length; k++) {
                dims[k] = k == 0 ? ValueInfo.Dim.param(BATCH) : ValueInfo.Dim.of(s[k]);
            }
            outputs.add(new ValueInfo(o, OnnxTensor.FLOAT, List.of(dims)));
        }
        OnnxGraph graph = new OnnxGraph(net.name(), nodes, initializers, inputs, outputs, List.of(), "");
        return new OnnxModel(IR_VERSION, List.of(OpsetId.onnx(OPSET)), PRODUCER, PRODUCER_VERSION, "", 0,
                "", graph, List.<StringEntry>of());
    }

    private void node(Node n) {
        Op op = n.op();
        List<String> ins = new ArrayList<>(n.inputs());
        List<OnnxAttribute> attrs = new ArrayList<>();
        String type = op.onnxType();
        if (op instanceof Op.Conv c) {
            ins.add(init(n, "weight", c.weight()));
            if (c.bias() != null) {
                ins.add(init(n, "bias", c.bias()));
            }
            attrs.add(OnnxAttribute.ofInts("dilations", c.dilations().h(), c.dilations().w()));
            attrs.add(OnnxAttribute.ofInt("group", c.groups()));
            attrs.add(OnnxAttribute.ofInts("kernel_shape", c.weight().dim(2), c.weight().dim(3)));
            attrs.add(pads(c.pads()));
            attrs.add(hw("strides", c.strides()));
        } else if (op instanceof Op.BatchNorm b) {
            ins.add(init(n, "scale", b.scale()));
            ins.add(init(n, "bias", b.bias()));
            ins.add(init(n, "mean", b.mean()));
            ins.add(init(n, "var", b.var()));
            attrs.add(OnnxAttribute.ofFloat("epsilon", b.epsilon()));
        } else if (op instanceof Op.Linear l) {
            if (shape(n.input()).length != 2) {
                linearMatMul(n, l);
                return;
            }
            ins.add(init(n, "weight", l.weight()));
            if (l.bias() != null) {
                ins.add(init(n, "bias", l.bias()));
            }
            attrs.add(OnnxAttribute.ofFloat("alpha", 1f));
            attrs.add(OnnxAttribute.ofFloat("beta", 1f));
            attrs.add(OnnxAttribute.ofInt("transB", 1));
        } else if (op instanceof Op.LeakyRelu r) {
            attrs.add(OnnxAttribute.ofFloat("alpha", r.alpha()));
        } else if (op instanceof Op.Clip c) {
            boolean hasMin = c.min() != Float.NEGATIVE_INFINITY;
            boolean hasMax = c.max() != Float.POSITIVE_INFINITY;
            if (hasMin || hasMax) {
                ins.add(hasMin ? init(n, "min", Tensor.of(new float[]{c.min()})) : "");
            }
            if (hasMax) {
                ins.add(init(n, "max", Tensor.of(new float[]{c.max()})));
            }
        } else if (op instanceof Op.Softmax s) {
            attrs.add(OnnxAttribute.ofInt("axis", s.axis()));
        } else if (op instanceof Op.Add) {
            type = ins.size() == 1 ? "Identity" : ins.size() == 2 ? "Add" : "Sum";
        } else if (op instanceof Op.Concat c) {
            attrs.add(OnnxAttribute.ofInt("axis", c.axis()));
        } else if (op instanceof Op.MaxPool p) {
            attrs.add(OnnxAttribute.ofInt("ceil_mode", p.ceilMode() ? 1 : 0));
            attrs.add(hw("dilations", p.dilations()));
            attrs.add(hw("kernel_shape", p.kernel()));
            attrs.add(pads(p.pads()));
            attrs.add(hw("strides", p.strides()));
        } else if (op instanceof Op.AvgPool p) {
            attrs.add(OnnxAttribute.ofInt("ceil_mode", p.ceilMode() ? 1 : 0));
            attrs.add(OnnxAttribute.ofInt("count_include_pad", p.countIncludePad() ? 1 : 0));
            attrs.add(hw("kernel_shape", p.kernel()));
            attrs.add(pads(p.pads()));
            attrs.add(hw("strides", p.strides()));
        } else if (op instanceof Op.Flatten f) {
            attrs.add(OnnxAttribute.ofInt("axis", f.axis()));
        } else if (op instanceof Op.Relu || op instanceof Op.Sigmoid || op instanceof Op.Identity
                || op instanceof Op.GlobalAvgPool || op instanceof Op.Erf || op instanceof Op.Sqrt) {
            // no attributes
        } else if (op instanceof Op.Binary b) {
            type = b.arith().onnxType();
        } else if (op instanceof Op.ConstArith c) {
            type = c.arith().onnxType();
            String k = init(n, "constant", c.constant());
            ins.add(c.constantFirst() ? 0 : 1, k);
        } else if (op instanceof Op.HardSigmoid h) {
            attrs.add(OnnxAttribute.ofFloat("alpha", h.alpha()));
            attrs.add(OnnxAttribute.ofFloat("beta", h.beta()));
        } else if (op instanceof Op.HardSwish) {
            // opset 13 has no HardSwish: x · HardSigmoid(x; 1/6, 1/2)
            String gate = emit(n, "hardsigmoid", "HardSigmoid", List.of(n.input()),
                    List.of(OnnxAttribute.ofFloat("alpha", 1f / 6f), OnnxAttribute.ofFloat("beta", 0.5f)));
            type = "Mul";
            ins.add(gate);
        } else if (op instanceof Op.ReduceMean r) {
            attrs.add(OnnxAttribute.ofInts("axes", toLongs(r.axes())));
            attrs.add(OnnxAttribute.ofInt("keepdims", r.keepDims() ? 1 : 0));
        } else if (op instanceof Op.LayerNorm l) {
            layerNorm(n, l);
            return;
        } else if (op instanceof Op.Transpose t) {
            attrs.add(OnnxAttribute.ofInts("perm", toLongs(t.perm())));
        } else if (op instanceof Op.Reshape r) {
            ins.add(shapeInit(n, "shape", r.shape()));
        } else if (op instanceof Op.Slice s) {
            ins.add(longInit(n, "starts", s.start()));
            ins.add(longInit(n, "ends", s.end()));
            ins.add(longInit(n, "axes", s.axis()));
            ins.add(longInit(n, "steps", 1));
        } else if (op instanceof Op.ChannelShuffle c) {
            int[] x = shape(n.input());
            int g = c.groups();
            String split = emit(n, "split", "Reshape",
                    List.of(n.input(), shapeInit(n, "split_shape", new int[]{g, x[1] / g, x[2], x[3]})), List.of());
            String swapped = emit(n, "transpose", "Transpose", List.of(split),
                    List.of(OnnxAttribute.ofInts("perm", 0, 2, 1, 3, 4)));
            type = "Reshape";
            ins = new ArrayList<>(List.of(swapped, shapeInit(n, "shape", new int[]{x[1], x[2], x[3]})));
        } else if (op instanceof Op.ChannelGather g) {
            String name = fresh(n.name() + ".indices");
            int[] idx = g.indices();
            initializers.add(OnnxTensor.ofLongs(name, toLongs(idx), idx.length));
            ins.add(name);
            attrs.add(OnnxAttribute.ofInt("axis", 1));
        } else if (op instanceof Op.Resize r) {
            ins.add("");
            ins.add(init(n, "scales", Tensor.of(new float[]{1, 1, r.scaleH(), r.scaleW()}, 4)));
            attrs.add(OnnxAttribute.ofString("coordinate_transformation_mode", "asymmetric"));
            attrs.add(OnnxAttribute.ofString("mode", "nearest"));
            attrs.add(OnnxAttribute.ofString("nearest_mode", "floor"));
        } else {
            throw new IllegalArgumentException("node '" + n.name() + "': cannot export op " + op.onnxType()
                    + " (" + op.getClass().getSimpleName() + ")");
        }
        nodes.add(new OnnxNode(ins, List.of(n.name()), n.name(), type, "", attrs, ""));
    }

    /** Linear on [N, …, in]: MatMul with the [in, out] transposed weight, then Add of the bias. */
    private void linearMatMul(Node n, Op.Linear l) {
        int in = l.inFeatures();
        int out = l.outFeatures();
        float[] w = l.weight().data();
        float[] wt = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wt[i * out + o] = w[o * in + i];
            }
        }
        String weight = init(n, "weight", Tensor.of(wt, in, out));
        if (l.bias() == null) {
            nodes.add(new OnnxNode(List.of(n.input(), weight), List.of(n.name()), n.name(), "MatMul", "", List.of(), ""));
            return;
        }
        String product = emit(n, "matmul", "MatMul", List.of(n.input(), weight), List.of());
        nodes.add(new OnnxNode(List.of(product, init(n, "bias", l.bias())), List.of(n.name()), n.name(), "Add", "",
                List.of(), ""));
    }

    /**
     * LayerNorm over axis a as opset-13 primitives: μ = ReduceMean_a(x), d = x − μ, σ² = ReduceMean_a(d·d),
     * y = d / Sqrt(σ² + ε) · scale + bias, scale and bias stored as [D, 1, …, 1] so that they broadcast along a.
     */
    private void layerNorm(Node n, Op.LayerNorm l) {
        int rank = shape(n.input()).length;
        List<OnnxAttribute> reduce = List.of(OnnxAttribute.ofInts("axes", l.axis()), OnnxAttribute.ofInt("keepdims", 1));
        String mean = emit(n, "mean", "ReduceMean", List.of(n.input()), reduce);
        String d = emit(n, "centered", "Sub", List.of(n.input(), mean), List.of());
        String sq = emit(n, "squared", "Mul", List.of(d, d), List.of());
        String var = emit(n, "var", "ReduceMean", List.of(sq), reduce);
        String eps = init(n, "epsilon", Tensor.of(new float[]{l.epsilon()}));
        String ve = emit(n, "var_eps", "Add", List.of(var, eps), List.of());
        String sd = emit(n, "std", "Sqrt", List.of(ve), List.of());
        String norm = emit(n, "normalized", "Div", List.of(d, sd), List.of());
        int[] pshape = new int[rank - l.axis()];
        java.util.Arrays.fill(pshape, 1);
        pshape[0] = l.features();
        String scale = init(n, "scale", l.scale().reshape(pshape));
        if (l.bias() == null) {
            nodes.add(new OnnxNode(List.of(norm, scale), List.of(n.name()), n.name(), "Mul", "", List.of(), ""));
            return;
        }
        String scaled = emit(n, "scaled", "Mul", List.of(norm, scale), List.of());
        nodes.add(new OnnxNode(List.of(scaled, init(n, "bias", l.bias().reshape(pshape))), List.of(n.name()),
                n.name(), "Add", "", List.of(), ""));
    }

    /** Adds a helper node writing a fresh tensor named after {@code n} and returns that tensor's name. */
    private String emit(Node n, String role, String type, List<String> inputs, List<OnnxAttribute> attrs) {
        String name = fresh(n.name() + "/" + role);
        nodes.add(new OnnxNode(inputs, List.of(name), name, type, "", attrs, ""));
        return name;
    }

    private String fresh(String base) {
        String name = base;
        for (int k = 2; !taken.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private int[] shape(String tensor) {
        if (shapes == null) {
            shapes = net.shapes(1);
        }
        return shapes.get(tensor);
    }

    /** An INT64 shape initializer [0, dims…] (0 copies the batch dimension). */
    private String shapeInit(Node n, String role, int[] dims) {
        long[] v = new long[dims.length + 1];
        for (int k = 0; k < dims.length; k++) {
            v[k + 1] = dims[k];
        }
        String name = fresh(n.name() + "." + role);
        initializers.add(OnnxTensor.ofLongs(name, v, v.length));
        return name;
    }

    /** A one-element INT64 initializer. */
    private String longInit(Node n, String role, long value) {
        String name = fresh(n.name() + "." + role);
        initializers.add(OnnxTensor.ofLongs(name, new long[]{value}, 1));
        return name;
    }

    private static long[] toLongs(int[] v) {
        long[] out = new long[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = v[k];
        }
        return out;
    }

    private String init(Node n, String role, Tensor t) {
        String name = fresh(n.name() + "." + role);
        int[] s = t.shape();
        long[] dims = new long[s.length];
        for (int k = 0; k < s.length; k++) {
            dims[k] = s[k];
        }
        initializers.add(OnnxTensor.ofFloats(name, t.data(), dims));
        return name;
    }

    private static OnnxAttribute hw(String name, Hw v) {
        return OnnxAttribute.ofInts(name, v.h(), v.w());
    }

    private static OnnxAttribute pads(Padding p) {
        return OnnxAttribute.ofInts("pads", p.top(), p.left(), p.bottom(), p.right());
    }
}
