package dev.thinet4j.onnx;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.OnnxTestSupport.Arr;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxProtoReader;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.ValueInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.thinet4j.onnx.OnnxTestSupport.assertClose;
import static dev.thinet4j.onnx.OnnxTestSupport.engine;
import static dev.thinet4j.onnx.OnnxTestSupport.ort;
import static dev.thinet4j.onnx.OnnxTestSupport.random;
import static dev.thinet4j.onnx.OnnxTestSupport.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Networks built in Java, written as ONNX, run by ONNX Runtime and read back. */
class OnnxExporterTest {
    @TempDir
    Path tmp;

    private static Tensor t(long seed, float scale, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Tensor.of(randomFloats(seed, n, scale), shape);
    }

    /** A network using every op the model has. */
    static Network everyOp() {
        float[] var = new float[6];
        java.util.Arrays.fill(var, 0.8f);
        var[2] = 1.7f;
        return Network.builder("every_op").input("image", 3, 10, 9)
                .add("conv_a", new Op.Conv(t(1, 0.3f, 4, 3, 3, 3), t(2, 0.1f, 4), new Hw(2, 1), new Padding(0, 1, 2, 1),
                        Hw.of(1), 1), "image")
                .add("bn", new Op.BatchNorm(t(3, 1f, 4), t(4, 0.1f, 4), t(5, 0.1f, 4),
                        Tensor.of(new float[]{0.5f, 1f, 2f, 1.5f}, 4), 1e-3f), "conv_a")
                .add("relu", new Op.Relu(), "bn")
                .add("conv_g", new Op.Conv(t(6, 0.3f, 4, 2, 3, 3), null, Hw.of(1), Padding.of(2), Hw.of(2), 2), "relu")
                .add("leaky", new Op.LeakyRelu(0.2f), "conv_g")
                .add("relu6", new Op.Clip(0f, 6f), "leaky")
                .add("clip_hi", new Op.Clip(Float.NEGATIVE_INFINITY, 0.5f), "conv_g")
                .add("clip_lo", new Op.Clip(-0.25f, Float.POSITIVE_INFINITY), "conv_g")
                .add("sig", new Op.Sigmoid(), "clip_lo")
                .add("sum2", new Op.Add(), "relu6", "clip_hi")
                .add("sum3", new Op.Add(), "sum2", "sig", "relu")
                .add("ident", new Op.Identity(), "sum3")
                .add("cat", new Op.Concat(1), "ident", "relu6")
                .add("bn2", new Op.BatchNorm(t(7, 1f, 8).reshape(8), t(8, 0.1f, 8), t(9, 0.1f, 8),
                        Tensor.filled(1.2f, 8), 1e-5f), "cat")
                .add("maxpool", new Op.MaxPool(Hw.of(3), Hw.of(2), Padding.of(1), Hw.of(1), true), "bn2")
                .add("avgpool", new Op.AvgPool(Hw.of(2), Hw.of(1), Padding.of(1), false, false), "maxpool")
                // ceil_mode with count_include_pad is left out: where the last window overflows, ONNX Runtime 1.20
                // divides by the whole kernel, PyTorch (and our engine) by the window clipped to the padded input
                .add("avgpool_inc", new Op.AvgPool(new Hw(3, 2), Hw.of(2), Padding.of(1), true, false), "avgpool")
                .add("gap", new Op.GlobalAvgPool(), "avgpool_inc")
                .add("flat", new Op.Flatten(1), "gap")
                .add("fc1", new Op.Linear(t(10, 0.3f, 6, 8), t(11, 0.1f, 6)), "flat")
                .add("fc2", new Op.Linear(t(12, 0.3f, 5, 6), null), "fc1")
                .add("probs", new Op.Softmax(1), "fc2")
                .output("probs")
                .output("fc1")
                .build();
    }

    @Test
    void everyOpRunsInOnnxRuntimeLikeOurEngine() {
        Network net = everyOp();
        Arr in = random(21, 2, 3, 10, 9);
        Arr ours = engine(net, in);
        Arr theirs = ort(OnnxExporter.toModel(net), "image", in);
        assertArrayEquals(new long[]{2, 5}, theirs.shape());
        assertClose(theirs.data(), ours.data(), 1e-4, "InferenceEngine vs ONNX Runtime on the export");
    }

    @Test
    void reimportGivesTheSameNetwork() {
        Network net = everyOp();
        Network back = OnnxImporter.fromModel(OnnxExporter.toModel(net), "every_op.onnx");
        assertEquals(net.input(), back.input());
        assertEquals(net.outputs(), back.outputs());
        assertEquals(net.nodes(), back.nodes(), "same names, ops (weights included) and inputs");
    }

    @Test
    void modelHeaderAndEncoding() {
        OnnxModel m = OnnxExporter.toModel(everyOp());
        assertEquals(8, m.irVersion());
        assertEquals(13, m.opsetVersion("").orElseThrow());
        assertEquals("thinet4j", m.producerName());
        ValueInfo in = m.graph().inputs().get(0);
        assertEquals("image", in.name());
        assertEquals(OnnxTensor.FLOAT, in.elemType());
        assertEquals(List.of(ValueInfo.Dim.param("batch"), ValueInfo.Dim.of(3), ValueInfo.Dim.of(10),
                ValueInfo.Dim.of(9)), in.shape());
        assertEquals(List.of("probs", "fc1"), m.graph().outputs().stream().map(ValueInfo::name).toList());
        assertEquals(List.of(ValueInfo.Dim.param("batch"), ValueInfo.Dim.of(5)), m.graph().outputs().get(0).shape());
        assertEquals(1, m.graph().inputs().size(), "initializers are not listed as inputs");
        for (OnnxTensor t : m.graph().initializers()) {
            assertEquals(OnnxTensor.FLOAT, t.dataType(), t.name());
            assertFalse(t.rawData().isEmpty(), t.name() + " uses raw_data");
        }
        OnnxNode fc1 = node(m, "fc1");
        assertEquals("Gemm", fc1.opType());
        assertEquals(1, fc1.attribute("transB").orElseThrow().i());
        assertEquals(List.of("flat", "fc1.weight", "fc1.bias"), fc1.inputs());
        assertEquals(List.of("fc2"), node(m, "fc2").outputs());
        assertEquals(2, node(m, "fc2").inputs().size(), "no bias input for a Linear without bias");
        assertEquals("Sum", node(m, "sum3").opType());
        assertEquals("Add", node(m, "sum2").opType());
        assertEquals(List.of("leaky", "relu6.min", "relu6.max"), node(m, "relu6").inputs());
        assertEquals(List.of("conv_g", "", "clip_hi.max"), node(m, "clip_hi").inputs());
        assertEquals(List.of("conv_g", "clip_lo.min"), node(m, "clip_lo").inputs());
        assertEquals(0, m.graph().initializer("relu6.max").orElseThrow().rank(), "Clip bounds are scalars");
        assertArrayEquals(new long[]{0, 1, 2, 1}, node(m, "conv_a").attribute("pads").orElseThrow().ints());
        assertEquals(2, node(m, "conv_g").attribute("group").orElseThrow().i());
        assertEquals("BatchNormalization", node(m, "bn").opType());
        assertEquals(1e-3f, node(m, "bn").attribute("epsilon").orElseThrow().f());
    }

    private static OnnxNode node(OnnxModel m, String name) {
        return m.graph().nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void initializerNamesNeverCollideWithTensorNames() {
        Network net = Network.builder("clash").input("x", 1, 3, 3)
                .add("a", new Op.Conv(t(1, 1f, 1, 1, 1, 1), null, Hw.of(1), Padding.NONE, Hw.of(1), 1), "x")
                .add("a.weight", new Op.Relu(), "a")
                .build();
        OnnxModel m = OnnxExporter.toModel(net);
        assertEquals(List.of("x", "a.weight_2"), node(m, "a").inputs());
        Arr in = random(2, 1, 1, 3, 3);
        assertClose(engine(net, in).data(), ort(m, "x", in).data(), 1e-5, "clash");
    }

    @Test
    void saveWritesAtomicallyAndOverwrites() throws IOException {
        Network net = everyOp();
        Path file = tmp.resolve("model.onnx");
        Files.writeString(file, "old contents");
        OnnxExporter.save(net, file);
        assertEquals(OnnxExporter.toModel(net).graph().nodes(), OnnxProtoReader.read(file).graph().nodes());
        assertEquals(net.nodes(), OnnxImporter.load(file).nodes());
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(file), s.toList(), "no temporary files left behind");
        }
        Path missingDir = tmp.resolve("no").resolve("such").resolve("dir.onnx");
        assertThrows(UncheckedIOException.class, () -> OnnxExporter.save(net, missingDir));
        assertFalse(Files.exists(missingDir));
    }

    @Test
    void exportOfAnImportedFixtureKeepsOutputName() {
        Path p = OnnxTestSupport.FIXTURES.resolve("zoo/zoo_concat.onnx");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(p), "fixture " + p + " not present yet");
        Network net = OnnxImporter.load(p);
        OnnxModel m = OnnxExporter.toModel(net);
        assertEquals("output", m.graph().outputs().get(0).name());
        assertTrue(m.graph().nodes().stream().anyMatch(n -> n.outputs().equals(List.of("output"))));
        for (Node n : net.nodes()) {
            assertEquals(n.name(), node(m, n.name()).outputs().get(0));
        }
    }
}
