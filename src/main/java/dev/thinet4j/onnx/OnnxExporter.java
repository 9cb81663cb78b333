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
 *   <li>{@link Op.Linear} → {@code Gemm(transB=1)} with the [out, in] weight (over the last axis of a
 *       rank &gt; 2 tensor: {@code MatMul} by the [in, out] weight, then {@code Add} of the bias); {@link Op.BatchNorm} →
 *       {@code BatchNormalization}; {@link Op.Clip} → {@code Clip} with scalar min / max
 *       initializers (an infinite bound is left out); {@link Op.Add} of 2 inputs → {@code Add},
 *       of more → {@code Sum}, of one → {@code Identity}; the others map to the ONNX op of the same
 *       meaning ({@link Op#onnxType()}); {@link Op.ConstArith} writes its constant as an
 *       initializer {@code <node>.const}.</li>
 *   <li>Ops without an opset-13 operator are written in the form PyTorch writes, which
 *       {@link OnnxImporter} reads back as the same op: {@link Op.HardSwish} as
 *       {@code Mul(x, HardSigmoid(x, 1/6, 1/2))}, {@link Op.LayerNorm} as the ReduceMean / Sub /
 *       Pow / ReduceMean / Add / Sqrt / Div / Mul / Add decomposition, {@link Op.ChannelShuffle}
 *       as Reshape → Transpose (0, 2, 1, 3, 4) → Reshape; {@link Op.Resize} is an opset-13
 *       {@code Resize} (nearest, asymmetric, floor).</li>
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
        Map<String, int[]> shapes = net.shapes(1);
        var in = net.input();
        List<ValueInfo> inputs = List.of(new ValueInfo(in.name(), OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param(BATCH),
                ValueInfo.Dim.of(in.channels()), ValueInfo.Dim.of(in.height()), ValueInfo.Dim.of(in.width()))));
        List<ValueInfo> outputs = new ArrayList<>();
        for (String o : net.outputs()) {
            int[] s = shapes.get(o);
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
        } else if (op instanceof Op.Linear l && shapes().get(n.inputs().get(0)).length > 2) {
            // over the last axis of a rank > 2 tensor: MatMul by [in, out], then the bias
            String w = init(n, "weight", transposed(l.weight()));
            if (l.bias() == null) {
                ins.add(w);
                type = "MatMul";
            } else {
                String mm = step(n.name() + ".matmul", "MatMul", List.of(ins.get(0), w));
                ins = List.of(mm, init(n, "bias", l.bias()));
                type = "Add";
            }
        } else if (op instanceof Op.Linear l) {
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
        } else if (op instanceof Op.ConstArith c) {
            String k = init(n, "const", c.constant());
            ins.add(c.constantFirst() ? 0 : ins.size(), k);
        } else if (op instanceof Op.HardSigmoid h) {
            attrs.add(OnnxAttribute.ofFloat("alpha", h.alpha()));
            attrs.add(OnnxAttribute.ofFloat("beta", h.beta()));
        } else if (op instanceof Op.HardSwish) {
            // HardSwish is opset 14: x · HardSigmoid(x, 1/6, 1/2)
            String hs = fresh(n.name() + ".hardsigmoid");
            nodes.add(new OnnxNode(ins, List.of(hs), hs, "HardSigmoid", "",
                    List.of(OnnxAttribute.ofFloat("alpha", 1f / 6), OnnxAttribute.ofFloat("beta", 0.5f)), ""));
            ins = List.of(ins.get(0), hs);
            type = "Mul";
        } else if (op instanceof Op.ReduceMean r) {
            attrs.add(OnnxAttribute.ofInts("axes", longs(r.axes())));
            attrs.add(OnnxAttribute.ofInt("keepdims", r.keepDims() ? 1 : 0));
        } else if (op instanceof Op.LayerNorm l) {
            layerNorm(n, l);
            return;
        } else if (op instanceof Op.Transpose t) {
            attrs.add(OnnxAttribute.ofInts("perm", longs(t.perm())));
        } else if (op instanceof Op.Reshape r) {
            ins.add(initLongs(n, "shape", batchFirst(r.shape())));
        } else if (op instanceof Op.Slice sl) {
            ins.add(initLongs(n, "starts", new long[]{sl.start()}));
            ins.add(initLongs(n, "ends", new long[]{sl.end()}));
            ins.add(initLongs(n, "axes", new long[]{sl.axis()}));
        } else if (op instanceof Op.ChannelShuffle c) {
            channelShuffle(n, c);
            return;
        } else if (op instanceof Op.Resize r) {
            ins.add("");
            ins.add(init(n, "scales", Tensor.of(new float[]{1, 1, r.scaleH(), r.scaleW()}, 4)));
            attrs.add(OnnxAttribute.ofString("coordinate_transformation_mode", "asymmetric"));
            attrs.add(OnnxAttribute.ofString("mode", "nearest"));
            attrs.add(OnnxAttribute.ofString("nearest_mode", "floor"));
        } else if (!(op instanceof Op.Relu || op instanceof Op.Sigmoid || op instanceof Op.Identity
                || op instanceof Op.GlobalAvgPool || op instanceof Op.Binary || op instanceof Op.Erf
                || op instanceof Op.Sqrt)) {
            throw new IllegalArgumentException("node '" + n.name() + "': cannot export op " + op.onnxType());
        }
        nodes.add(new OnnxNode(ins, List.of(n.name()), n.name(), type, "", attrs, ""));
    }

    /**
     * LayerNorm in opset-13 form, the decomposition PyTorch writes (which {@link OnnxImporter}
     * reads back as one LayerNorm): ReduceMean, Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div, Mul, Add.
     */
    private void layerNorm(Node n, Op.LayerNorm l) {
        String x = n.inputs().get(0);
        int rank = shapes().get(x).length;
        OnnxAttribute axes = OnnxAttribute.ofInts("axes", l.axis());
        int[] paramShape = new int[rank - l.axis()];
        java.util.Arrays.fill(paramShape, 1);
        paramShape[0] = l.features();
        String p = n.name() + ".";
        String mean = step(p + "mean", "ReduceMean", List.of(x), axes);
        String d = step(p + "centered", "Sub", List.of(x, mean));
        String sq = step(p + "squared", "Pow", List.of(d, init(n, "two", Tensor.of(new float[]{2f}))));
        String var = step(p + "var", "ReduceMean", List.of(sq), axes);
        String ve = step(p + "var_eps", "Add", List.of(var, init(n, "eps", Tensor.of(new float[]{l.epsilon()}))));
        String sd = step(p + "std", "Sqrt", List.of(ve));
        String norm = step(p + "normalized", "Div", List.of(d, sd));
        String scaled = l.bias() == null ? n.name() : fresh(p + "scaled");
        nodes.add(new OnnxNode(List.of(norm, init(n, "scale", l.scale().reshape(paramShape))), List.of(scaled), scaled,
                "Mul", "", List.of(), ""));
        if (l.bias() != null) {
            nodes.add(new OnnxNode(List.of(scaled, init(n, "bias", l.bias().reshape(paramShape))), List.of(n.name()),
                    n.name(), "Add", "", List.of(), ""));
        }
    }

    /** ChannelShuffle as torch writes it: Reshape [N, g, C/g, H, W] → Transpose (0, 2, 1, 3, 4) → Reshape. */
    private void channelShuffle(Node n, Op.ChannelShuffle c) {
        String x = n.inputs().get(0);
        int[] s = shapes().get(x);
        int g = c.groups();
        String grouped = step(n.name() + ".grouped", "Reshape",
                List.of(x, initLongs(n, "grouped_shape", new long[]{0, g, s[1] / g, s[2], s[3]})));
        String swapped = step(n.name() + ".transposed", "Transpose", List.of(grouped),
                OnnxAttribute.ofInts("perm", 0, 2, 1, 3, 4));
        nodes.add(new OnnxNode(List.of(swapped, initLongs(n, "shape", new long[]{0, s[1], s[2], s[3]})),
                List.of(n.name()), n.name(), "Reshape", "", List.of(), ""));
    }

    private Map<String, int[]> shapeCache;

    private Map<String, int[]> shapes() {
        if (shapeCache == null) {
            shapeCache = net.shapes(1);
        }
        return shapeCache;
    }

    /** Adds a helper node with a fresh name (also its output) and returns that name. */
    private String step(String base, String type, List<String> ins, OnnxAttribute... attrs) {
        String name = fresh(base);
        nodes.add(new OnnxNode(ins, List.of(name), name, type, "", List.of(attrs), ""));
        return name;
    }

    private String fresh(String base) {
        String name = base;
        for (int k = 2; !taken.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private static Tensor transposed(Tensor t) {
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

    private static long[] longs(int[] v) {
        long[] l = new long[v.length];
        for (int k = 0; k < v.length; k++) {
            l[k] = v[k];
        }
        return l;
    }

    /** [0, dims…]: a Reshape target keeping the batch. */
    private static long[] batchFirst(int[] dims) {
        long[] l = new long[dims.length + 1];
        for (int k = 0; k < dims.length; k++) {
            l[k + 1] = dims[k];
        }
        return l;
    }

    private String initLongs(Node n, String role, long[] values) {
        String name = fresh(n.name() + "." + role);
        initializers.add(OnnxTensor.ofLongs(name, values, values.length));
        return name;
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
