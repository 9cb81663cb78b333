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
        } else if (!(op instanceof Op.Relu || op instanceof Op.Sigmoid || op instanceof Op.Identity
                || op instanceof Op.GlobalAvgPool)) {
            throw new IllegalArgumentException("node '" + n.name() + "': cannot export op " + op.onnxType());
        }
        nodes.add(new OnnxNode(ins, List.of(n.name()), n.name(), type, "", attrs, ""));
    }

    private String init(Node n, String role, Tensor t) {
        String base = n.name() + "." + role;
        String name = base;
        for (int k = 2; !taken.add(name); k++) {
            name = base + "_" + k;
        }
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
