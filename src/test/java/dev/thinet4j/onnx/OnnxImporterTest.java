package dev.thinet4j.onnx;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.onnx.OnnxTestSupport.Arr;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static dev.thinet4j.onnx.OnnxModels.f;
import static dev.thinet4j.onnx.OnnxModels.i;
import static dev.thinet4j.onnx.OnnxModels.ints;
import static dev.thinet4j.onnx.OnnxModels.s;
import static dev.thinet4j.onnx.OnnxTestSupport.assertClose;
import static dev.thinet4j.onnx.OnnxTestSupport.engine;
import static dev.thinet4j.onnx.OnnxTestSupport.ort;
import static dev.thinet4j.onnx.OnnxTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-built ONNX models: each is imported, exported again and run by ONNX Runtime in both forms
 * (the exported model must compute what the original computes), and run by our engine.
 */
class OnnxImporterTest {

    /** Imports {@code m}, checks export and engine against ONNX Runtime on the same bytes. */
    static Network check(OnnxModel m, Arr input) {
        Network net = OnnxImporter.fromModel(m, "hand.onnx");
        Arr ref = ort(m, net.input().name(), input);
        Arr exported = ort(OnnxExporter.toModel(net), net.input().name(), input);
        assertClose(ref, exported, 1e-5, "exported vs original (ONNX Runtime)");
        assertClose(ref.data(), engine(net, input).data(), 1e-4, "InferenceEngine vs ONNX Runtime");
        return net;
    }

    private static List<String> l(String... s) {
        return List.of(s);
    }

    // ------------------------------------------------------------------ Conv padding forms

    @Test
    void convPaddingFormsUnnamedNodesOutOfOrder() {
        // listed in reverse order, no names: the importer sorts and names them
        OnnxModel m = OnnxModels.opset(13).input("x", 3, 13, 13).output("output")
                .weight("w1", 4, 3, 3, 3).weight("b1", 4)
                .weight("w2", 4, 4, 3, 2)
                .weight("w3", 4, 2, 2, 2)
                .weight("w4", 5, 4, 2, 2)
                .node("Conv", "", l("c", "w4"), l("output"), s("auto_pad", "VALID"), ints("dilations", 2, 1))
                .node("Conv", "", l("b", "w3"), l("c"), s("auto_pad", "SAME_LOWER"), i("group", 2))
                .node("Conv", "", l("a", "w2"), l("b"), s("auto_pad", "SAME_UPPER"), ints("strides", 2, 2),
                        ints("kernel_shape", 3, 2))
                .node("Conv", "", l("x", "w1", "b1"), l("a"), ints("pads", 0, 1, 2, 1), ints("strides", 2, 2))
                .build();
        Network net = check(m, random(7, 2, 3, 13, 13));
        List<Node> convs = net.nodesOf(Op.Conv.class);
        assertEquals(List.of("Conv_3", "Conv_2", "Conv_1", "output"), convs.stream().map(Node::name).toList());
        assertEquals(new Padding(0, 1, 2, 1), ((Op.Conv) convs.get(0).op()).pads());
        // SAME_UPPER, in 7x7, stride 2, kernel 3x2: out 4x4, total pad h 2 (1, 1), w 1 (0 before, 1 after)
        assertEquals(new Padding(1, 0, 1, 1), ((Op.Conv) convs.get(1).op()).pads());
        // SAME_LOWER, kernel 2x2 stride 1: total 1 per axis, the extra one before
        assertEquals(new Padding(1, 1, 0, 0), ((Op.Conv) convs.get(2).op()).pads());
        assertEquals(2, ((Op.Conv) convs.get(2).op()).groups());
        assertEquals(new Hw(2, 1), ((Op.Conv) convs.get(3).op()).dilations());
        assertNull(((Op.Conv) convs.get(1).op()).bias());
    }

    // ------------------------------------------------------------------ fully connected forms

    @Test
    void gemmTransBZeroAndOneAlphaBeta() {
        OnnxModel m = OnnxModels.opset(13).input("x", 2, 3, 3).output("y")
                .weight("B0", 18, 5).weight("C0", 1, 5)
                .weight("B1", 4, 5).weight("C1", 4)
                .node("Flatten", "flat", l("x"), l("f"))
                .node("Gemm", "fc0", l("f", "B0", "C0"), l("g"), f("alpha", 0.5f), f("beta", 2f))
                .node("Relu", "relu", l("g"), l("r"))
                .node("Gemm", "fc1", l("r", "B1", "C1"), l("y"), i("transB", 1))
                .build();
        Network net = check(m, random(3, 3, 2, 3, 3));
        List<Node> fcs = net.nodesOf(Op.Linear.class);
        assertEquals(List.of("fc0", "y"), fcs.stream().map(Node::name).toList());
        Op.Linear fc0 = (Op.Linear) fcs.get(0).op();
        assertArrayEquals(new int[]{5, 18}, fc0.weight().shape(), "transB=0 weight is transposed to [out, in]");
        OnnxTensor b0 = m.graph().initializer("B0").orElseThrow();
        assertEquals(0.5f * b0.toFloatArray()[1 * 5 + 2], fc0.weight().at(2, 1), 1e-7f, "alpha folded into weight");
        assertArrayEquals(new int[]{4, 5}, ((Op.Linear) fcs.get(1).op()).weight().shape());
    }

    @Test
    void matMulAddBecomesLinearAndMatMulAloneHasNoBias() {
        OnnxModel m = OnnxModels.opset(13).input("x", 2, 3, 3).output("y")
                .weight("W0", 18, 6).weight("W1", 6, 3)
                .node("Flatten", "flat", l("x"), l("f"))
                .node("MatMul", "mm0", l("f", "W0"), l("m0"))
                .constFloats("bias", OnnxTestSupport.randomFloats(5, 6, 1f), 6)
                .node("Add", "add0", l("bias", "m0"), l("a0"))
                .node("Relu", "relu", l("a0"), l("r"))
                .node("MatMul", "mm1", l("r", "W1"), l("y"))
                .build();
        Network net = check(m, random(4, 2, 2, 3, 3));
        List<Node> fcs = net.nodesOf(Op.Linear.class);
        assertEquals(2, fcs.size());
        assertEquals("mm0", fcs.get(0).name(), "a fused Linear takes the MatMul's name");
        assertArrayEquals(new int[]{6, 18}, ((Op.Linear) fcs.get(0).op()).weight().shape());
        assertEquals(6, ((Op.Linear) fcs.get(0).op()).bias().size());
        assertNull(((Op.Linear) fcs.get(1).op()).bias());
        assertTrue(net.nodesOf(Op.Add.class).isEmpty());
    }

    // ------------------------------------------------------------------ reshape / flatten forms

    @ParameterizedTest
    @ValueSource(strings = {"0,-1", "-1,72", "2,-1", "2,72", "0,72"})
    void reshapeWithConstantShapeIsFlatten(String target) {
        long[] shape = java.util.Arrays.stream(target.split(",")).mapToLong(Long::parseLong).toArray();
        OnnxModel m = OnnxModels.opset(13).input("x", 2, 6, 6).output("y")
                .weight("w", 2, 2, 3, 3).weight("B", 3, 72)
                .longs("shape", shape, 2)
                .node("Conv", "conv", l("x", "w"), l("c"), ints("pads", 1, 1, 1, 1))
                .node("Reshape", "view", l("c", "shape"), l("v"))
                .node("Gemm", "fc", l("v", "B"), l("y"), i("transB", 1))
                .build();
        Network net = check(m, random(5, 2, 2, 6, 6));
        assertEquals(new Op.Flatten(1), net.node("view").op());
    }

    @ParameterizedTest
    @ValueSource(ints = {11, 13})
    void reshapeWithRuntimeShapeIsFlatten(int opset) {
        // x.view(x.size(0), -1) as torch writes it: Shape → Gather(0) → Unsqueeze → Concat(…, [-1]) → Reshape
        OnnxModels b = OnnxModels.opset(opset).input("x", 2, 6, 6).output("y")
                .weight("w", 2, 2, 3, 3).weight("B", 3, 72)
                .node("Conv", "conv", l("x", "w"), l("c"), ints("pads", 1, 1, 1, 1))
                .node("Shape", "shape", l("c"), l("s"))
                .constLongs("zero", new long[]{0})
                .node("Gather", "gather", l("s", "zero"), l("n"), i("axis", 0));
        if (opset < 13) {
            b.node("Unsqueeze", "unsq", l("n"), l("n1"), ints("axes", 0));
        } else {
            b.constLongs("axes", new long[]{0}, 1).node("Unsqueeze", "unsq", l("n", "axes"), l("n1"));
        }
        OnnxModel m = b.constLongs("minus1", new long[]{-1}, 1)
                .node("Concat", "cat", l("n1", "minus1"), l("target"), i("axis", 0))
                .node("Reshape", "view", l("c", "target"), l("v"))
                .node("Gemm", "fc", l("v", "B"), l("y"), i("transB", 1))
                .build();
        Network net = check(m, random(6, 3, 2, 6, 6));
        assertEquals(List.of("conv", "view", "y"), net.nodes().stream().map(Node::name).toList(),
                "the shape sub-graph leaves no nodes");
        assertEquals(new Op.Flatten(1), net.node("view").op());
    }

    @Test
    void shapeOfAnotherTensorWithTheSameBatch() {
        // the batch size is read from the input, the reshape applies to a later tensor
        OnnxModel m = OnnxModels.opset(13).input("x", 2, 4, 4).output("y")
                .weight("w", 3, 2, 3, 3).weight("B", 2, 12)
                .node("Conv", "conv", l("x", "w"), l("c"))
                .node("Shape", "shape", l("x"), l("s"))
                .constLongs("zero", new long[]{0}, 1)
                .node("Gather", "gather", l("s", "zero"), l("n1"), i("axis", 0))
                .constLongs("minus1", new long[]{-1}, 1)
                .node("Concat", "cat", l("n1", "minus1"), l("target"), i("axis", 0))
                .node("Reshape", "view", l("c", "target"), l("v"))
                .node("Gemm", "fc", l("v", "B"), l("y"), i("transB", 1))
                .build();
        Network net = check(m, random(8, 2, 2, 4, 4));
        assertEquals(new Op.Flatten(1), net.node("view").op());
    }

    @Test
    void reshapeWithSlicedShapeIsFlatten() {
        // x.reshape(x.shape[0:1] + (-1,)) : Shape → Slice → Concat → Reshape
        OnnxModel m = OnnxModels.opset(13).input("x", 2, 4, 4).output("y")
                .weight("B", 2, 32)
                .node("Relu", "relu", l("x"), l("r"))
                .node("Shape", "shape", l("r"), l("s"))
                .longs("starts", new long[]{0}, 1).longs("ends", new long[]{1}, 1)
                .node("Slice", "slice", l("s", "starts", "ends"), l("n1"))
                .constLongs("minus1", new long[]{-1}, 1)
                .node("Concat", "cat", l("n1", "minus1"), l("target"), i("axis", 0))
                .node("Reshape", "view", l("r", "target"), l("v"))
                .node("Gemm", "fc", l("v", "B"), l("y"), i("transB", 1))
                .build();
        Network net = check(m, random(15, 3, 2, 4, 4));
        assertEquals(List.of("relu", "view", "y"), net.nodes().stream().map(Node::name).toList());
    }

    // ------------------------------------------------------------------ activations, pools, merges

    @Test
    void activationsPoolsAndMerges() {
        OnnxModel m = OnnxModels.opset(13).input("x", 4, 8, 8).output("y")
                .weight("w0", 4, 4, 3, 3).weight("w1", 4, 4, 1, 1)
                .weight("bn_s", 8).weight("bn_b", 8).weight("bn_m", 8)
                .floats("bn_v", new float[]{1, 2, 0.5f, 1, 3, 1, 1, 0.25f}, 8)
                .floats("lo", new float[]{-0.5f}).floats("hi", new float[]{0.75f})
                .weight("fc", 3, 8)
                .node("Conv", "c0", l("x", "w0"), l("c0"), ints("pads", 1, 1, 1, 1))
                .node("LeakyRelu", "lrelu", l("c0"), l("a0"))
                .node("Conv", "c1", l("x", "w1"), l("c1"))
                .node("Clip", "clip", l("c1", "lo", "hi"), l("a1"))
                .node("Concat", "cat", l("a0", "a1"), l("cat"), i("axis", -3))
                .node("BatchNormalization", "bn", l("cat", "bn_s", "bn_b", "bn_m", "bn_v"), l("bn"),
                        f("epsilon", 1e-3f))
                .node("Sigmoid", "sig", l("bn"), l("sig"))
                .node("Add", "add", l("sig", "cat"), l("add"))
                .node("Sum", "sum", l("add", "cat", "bn"), l("sum"))
                .node(new OnnxNode(l("sum"), l("drop", "mask"), "drop", "Dropout", "", List.of(), ""))
                .node("MaxPool", "mp", l("drop"), l("mp"), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        ints("pads", 1, 1, 1, 1), i("ceil_mode", 1))
                .node("AveragePool", "ap", l("mp"), l("ap"), ints("kernel_shape", 2, 2), ints("pads", 1, 1, 1, 1),
                        i("count_include_pad", 0))
                .node("GlobalAveragePool", "gap", l("ap"), l("gap"))
                .node("Flatten", "flat", l("gap"), l("flat"))
                .node("Gemm", "fc", l("flat", "fc"), l("logits"), i("transB", 1))
                .node("Softmax", "softmax", l("logits"), l("y"))
                .build();
        Network net = check(m, random(9, 2, 4, 8, 8));
        assertEquals(new Op.LeakyRelu(0.01f), net.node("lrelu").op(), "LeakyRelu alpha defaults to 0.01");
        assertEquals(new Op.Clip(-0.5f, 0.75f), net.node("clip").op());
        assertEquals(new Op.Concat(1), net.node("cat").op());
        assertEquals(new Op.Identity(), net.node("drop").op());
        assertEquals(new Op.Softmax(1), net.node("y").op(), "opset 13 default axis -1 of a 2-D tensor");
        assertEquals(3, net.node("sum").inputs().size());
        assertEquals(1e-3f, ((Op.BatchNorm) net.node("bn").op()).epsilon());
    }

    @Test
    void clipBeforeOpset11UsesAttributesAndOpset11OptionalInputs() {
        OnnxModel old = OnnxModels.opset(10).input("x", 1, 2, 2).output("y")
                .node("Clip", "clip", l("x"), l("c"), f("min", -0.25f))
                .node("Relu", "r", l("c"), l("y"))
                .build();
        Network a = check(old, random(10, 2, 1, 2, 2));
        assertEquals(new Op.Clip(-0.25f, Float.POSITIVE_INFINITY), a.node("clip").op());

        OnnxModel v11 = OnnxModels.opset(11).input("x", 1, 2, 2).output("y")
                .constFloats("hi", new float[]{0.5f})
                .node("Clip", "clip", l("x", "", "hi"), l("c"))
                .node("Softmax", "sm", l("c"), l("y"), i("axis", 3))
                .build();
        Network b = check(v11, random(11, 2, 1, 2, 2));
        assertEquals(new Op.Clip(Float.NEGATIVE_INFINITY, 0.5f), b.node("clip").op());
        assertEquals(new Op.Softmax(3), b.node("y").op());
    }

    @Test
    void constantFoldingIdentityCastAndOldStyleInitializerInputs() {
        // IR 3 / opset 9: weights listed as graph inputs, stored as float_data; weight through Identity
        OnnxTensor w = OnnxTensor.builder().name("w").dataType(OnnxTensor.FLOAT).dims(3, 2, 3, 3)
                .floatData(OnnxTestSupport.randomFloats(12, 54, 0.3f)).build();
        OnnxTensor bias = OnnxTensor.builder().name("b").dataType(OnnxTensor.DOUBLE).dims(3)
                .doubleData(0.1, -0.2, 0.3).build();
        OnnxModel m = OnnxModels.opset(9).ir(3).input("x", 2, 5, 5).output("y")
                .init(w).init(bias)
                .initializersAsInputs()
                .node("Identity", "wid", l("w"), l("w2"))
                .node("Cast", "bcast", l("b"), l("b2"), i("to", OnnxTensor.FLOAT))
                .node("Conv", "conv", l("x", "w2", "b2"), l("c"))
                .node("Relu", "relu", l("c"), l("y"))
                .build();
        Network net = check(m, random(12, 2, 2, 5, 5));
        assertEquals(List.of("conv", "y"), net.nodes().stream().map(Node::name).toList());
        assertEquals("x", net.input().name());
    }

    @Test
    void zeroPadFoldsIntoConvAndAveragePool() {
        OnnxModel m = OnnxModels.opset(13).input("x", 2, 6, 6).output("y")
                .weight("w", 3, 2, 3, 3)
                .longs("p1", new long[]{0, 0, 1, 2, 0, 0, 0, 1}, 8)
                .longs("p2", new long[]{0, 0, 1, 1, 0, 0, 1, 1}, 8)
                .node("Pad", "pad1", l("x", "p1"), l("px"), s("mode", "constant"))
                .node("Conv", "conv", l("px", "w"), l("c"), ints("pads", 1, 0, 0, 0))
                .node("Pad", "pad2", l("c", "p2"), l("pc"))
                .node("AveragePool", "pool", l("pc"), l("y"), ints("kernel_shape", 3, 3), ints("strides", 2, 2))
                .build();
        Network net = check(m, random(13, 2, 2, 6, 6));
        assertEquals(new Padding(2, 2, 0, 1), ((Op.Conv) net.node("conv").op()).pads());
        Op.AvgPool pool = (Op.AvgPool) net.node("y").op();
        assertEquals(Padding.of(1), pool.pads());
        assertTrue(pool.countIncludePad(), "padded zeros are averaged in");
        assertEquals(2, net.nodes().size());
    }

    @Test
    void graphOutputNamesArePreservedAndOtherNamesStayUnique() {
        // two nodes share the name "dup"; a node is named like the output of another
        OnnxModel m = OnnxModels.opset(13).input("x", 1, 2, 2).output("out")
                .node("Relu", "dup", l("x"), l("a"))
                .node("Sigmoid", "dup", l("a"), l("b"))
                .node("Relu", "out", l("b"), l("c"))
                .node("Identity", "final", l("c"), l("out"))
                .build();
        // ONNX Runtime refuses duplicate node names, so only the export is run
        Network net = OnnxImporter.fromModel(m, "dup.onnx");
        assertEquals(List.of("Relu_0", "Sigmoid_1", "Relu_2", "out"), net.nodes().stream().map(Node::name).toList());
        assertEquals(List.of("out"), net.outputs());
        Arr in = random(14, 1, 1, 2, 2);
        assertClose(engine(net, in).data(), ort(OnnxExporter.toModel(net), "x", in).data(), 1e-5, "export vs engine");
    }
}
