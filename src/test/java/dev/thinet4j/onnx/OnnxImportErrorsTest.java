package dev.thinet4j.onnx;

import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxTestSupport.Arr;
import dev.thinet4j.onnx.proto.OnnxFormatException;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.StringEntry;
import dev.thinet4j.onnx.proto.ValueInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.thinet4j.onnx.OnnxModels.i;
import static dev.thinet4j.onnx.OnnxModels.ints;
import static dev.thinet4j.onnx.OnnxTestSupport.FIXTURES;
import static dev.thinet4j.onnx.OnnxTestSupport.assertClose;
import static dev.thinet4j.onnx.OnnxTestSupport.ort;
import static dev.thinet4j.onnx.OnnxTestSupport.readNpy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the importer refuses, and how it says so. */
class OnnxImportErrorsTest {
    @TempDir
    Path tmp;

    private static List<String> l(String... s) {
        return List.of(s);
    }

    /** Asserts that {@code body} throws {@code type} whose message contains every key word. */
    private static <T extends Throwable> T assertRefused(Class<T> type, Executable body, String... keyWords) {
        T e = assertThrows(type, body);
        for (String k : keyWords) {
            assertTrue(e.getMessage().contains(k), "message should contain '" + k + "': " + e.getMessage());
        }
        return e;
    }

    private static Executable importing(OnnxModel m) {
        return () -> OnnxImporter.fromModel(m, "bad.onnx");
    }

    private static OnnxModels tiny() {
        return OnnxModels.opset(13).input("x", 1, 4, 4).output("y");
    }

    // ------------------------------------------------------------------ unsupported

    @Test
    void unsupportedOpNamesNodeAndOpAndListsSupported() {
        OnnxModel m = tiny().node("Tanh", "weird", l("x"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'weird'", "Tanh ×1",
                "does not support", "supported: Add, AveragePool, BatchNormalization");
    }

    @Test
    void everyUnsupportedOpTypeIsListedOnceWithItsCountAndFirstNode() {
        OnnxModel m = tiny().node("Tanh", "weird_node", l("x"), l("t1")).node("Tanh", "t2", l("t1"), l("t2"))
                .node("GridSample", "gs", l("t2", "t2"), l("g")).node("Tanh", "", l("g"), l("t3"))
                .node(new OnnxNode(l("t3"), l("y"), "fused", "FusedConv", "com.microsoft", List.of(), ""))
                .build();
        UnsupportedOnnxException e = assertRefused(UnsupportedOnnxException.class, importing(m),
                "unsupported ONNX ops: Tanh ×3 (first: node 'weird_node'), GridSample ×1 (first: node 'gs'), "
                        + "FusedConv (domain 'com.microsoft') ×1 (first: node 'fused')", "these 3 op types");
        assertEquals(1, e.getMessage().split("Tanh ×").length - 1, e.getMessage());
        ModelSummary s = OnnxImporter.inspect(m, "bad.onnx");
        assertEquals(3, s.unsupported().size());
        assertEquals(new ModelSummary.UnsupportedOp("Tanh", "", 3, "weird_node"), s.unsupported().get(0));
        assertEquals(3, s.opCounts().get("Tanh"));
        assertEquals(1, s.opCounts().get("com.microsoft:FusedConv"));
        assertEquals("x", s.inputs().get(0).name());
        assertEquals("[N, 1, 4, 4]", s.inputs().get(0).shape());
        assertEquals("y", s.outputs().get(0).name());
        assertEquals(13, s.opset());
    }

    @Test
    void unsupportedUnnamedOpGetsGeneratedName() {
        OnnxModel m = tiny().node("Relu", "", l("x"), l("r")).node("Tanh", "", l("r"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'Tanh_1'", "Tanh ×1");
    }

    @Test
    void nonDefaultDomain() {
        OnnxModel m = tiny().node(new OnnxNode(l("x"), l("y"), "fused", "FusedConv", "com.microsoft", List.of(), ""))
                .build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "'fused'", "FusedConv", "com.microsoft");
    }

    @Test
    void matMulOfTwoActivations() {
        OnnxModel m = tiny().node("Relu", "r", l("x"), l("r"))
                .node("MatMul", "mm", l("r", "x"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'mm'", "MatMul of two activations");
    }

    @Test
    void usedMaxPoolIndices() {
        OnnxModel m = tiny().output("idx")
                .node(new OnnxNode(l("x"), l("y", "idx"), "mp", "MaxPool", "",
                        List.of(ints("kernel_shape", 2, 2)), ""))
                .build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "Indices", "'mp'");
    }

    @Test
    void batchNormInTrainingMode() {
        OnnxModel m = OnnxModels.opset(15).input("x", 2, 4, 4).output("y")
                .weight("s", 2).weight("b", 2).weight("m", 2).floats("v", new float[]{1, 1}, 2)
                .node("BatchNormalization", "bn", l("x", "s", "b", "m", "v"), l("y"), i("training_mode", 1))
                .build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'bn'", "training_mode");
    }

    @Test
    void flattenOtherAxis() {
        OnnxModel m = tiny().node("Flatten", "fl", l("x"), l("y"), i("axis", 2)).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'fl'", "axis 2");
    }

    @Test
    void gemmTransA() {
        OnnxModel m = tiny().weight("B", 16, 3).node("Flatten", "fl", l("x"), l("f"))
                .node("Gemm", "fc", l("f", "B"), l("y"), i("transA", 1)).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'fc'", "transA");
    }

    @Test
    void gemmWeightComputedAtRunTime() {
        OnnxModel m = tiny().node("Flatten", "fl", l("x"), l("f"))
                .node("Gemm", "fc", l("f", "f"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'fc'", "must be a constant");
    }

    @Test
    void reshapeMixingTheBatch() {
        OnnxModel m = tiny().longs("shape", new long[]{-1, 8}, 2)
                .node("Reshape", "rs", l("x", "shape"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "node 'rs'", "Reshape", "[-1, 8]",
                "mix the batch axis");
    }

    @Test
    void inputMustBeFourDimensionalWithKnownChw() {
        OnnxModel threeD = OnnxModels.opset(13).output("y")
                .rawInput(new ValueInfo("img", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("N"),
                        ValueInfo.Dim.of(3), ValueInfo.Dim.of(8))))
                .node("Relu", "r", l("img"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(threeD), "input 'img'", "[N, 3, 8]");
        OnnxModel unknownH = OnnxModels.opset(13).output("y")
                .rawInput(new ValueInfo("img", OnnxTensor.FLOAT, List.of(ValueInfo.Dim.param("N"),
                        ValueInfo.Dim.of(3), ValueInfo.Dim.param("H"), ValueInfo.Dim.of(8))))
                .node("Relu", "r", l("img"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(unknownH), "input 'img'", "[N, 3, H, 8]");
        OnnxModel two = tiny().input("z", 1, 4, 4).node("Add", "a", l("x", "z"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(two), "exactly one", "'x'", "'z'");
    }

    @Test
    void batchMayBeAnything() {
        for (ValueInfo.Dim batch : List.of(ValueInfo.Dim.param("batch_size"), ValueInfo.Dim.of(1),
                ValueInfo.Dim.of(8), ValueInfo.Dim.unknown())) {
            OnnxModel m = OnnxModels.opset(13).output("y")
                    .rawInput(new ValueInfo("img", OnnxTensor.FLOAT, List.of(batch, ValueInfo.Dim.of(3),
                            ValueInfo.Dim.of(5), ValueInfo.Dim.of(6))))
                    .node("Relu", "r", l("img"), l("y")).build();
            Network net = OnnxImporter.fromModel(m, "b.onnx");
            assertEquals(3, net.input().channels());
            assertEquals(6, net.input().width());
        }
    }

    // ------------------------------------------------------------------ inconsistent graphs

    @Test
    void danglingInputNamesNodeAndTensor() {
        OnnxModel m = tiny().node("Add", "add", l("x", "ghost"), l("y")).build();
        OnnxImportException e = assertRefused(OnnxImportException.class, importing(m), "node 'add'", "'ghost'");
        assertEquals(OnnxImportException.class, e.getClass());
    }

    @Test
    void cycleNamesTheNodes() {
        OnnxModel m = tiny()
                .node("Add", "a", l("x", "b_out"), l("a_out"))
                .node("Relu", "b", l("a_out"), l("b_out"))
                .node("Relu", "c", l("a_out"), l("y")).build();
        assertRefused(OnnxImportException.class, importing(m), "cycle", "node 'a'", "'b_out'", "node 'b'");
    }

    @Test
    void nanWeightNamesTheInitializer() {
        float[] w = new float[9];
        w[4] = Float.NaN;
        OnnxModel m = tiny().floats("conv.weight", w, 1, 1, 3, 3)
                .node("Conv", "conv", l("x", "conv.weight"), l("y")).build();
        assertRefused(OnnxImportException.class, importing(m), "initializer 'conv.weight'", "NaN", "node 'conv'");
        w[4] = Float.POSITIVE_INFINITY;
        OnnxModel inf = tiny().floats("conv.weight", w, 1, 1, 3, 3)
                .node("Conv", "conv", l("x", "conv.weight"), l("y")).build();
        assertRefused(OnnxImportException.class, importing(inf), "'conv.weight'", "Infinity");
    }

    @Test
    void graphOutputThatIsAConstant() {
        OnnxModel m = tiny().floats("c", new float[]{1f}, 1).node("Identity", "id", l("c"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, importing(m), "graph output 'y'", "constant");
    }

    // ------------------------------------------------------------------ external data

    private static OnnxModel externalModel(String location) {
        OnnxTensor w = OnnxTensor.builder().name("conv.weight").dataType(OnnxTensor.FLOAT).dims(1, 1, 3, 3)
                .dataLocation(OnnxTensor.LOCATION_EXTERNAL)
                .externalData(List.of(new StringEntry("location", location), new StringEntry("offset", "16"),
                        new StringEntry("length", "36")))
                .build();
        return tiny().init(w).node("Conv", "conv", l("x", "conv.weight"), l("y")).build();
    }

    @Test
    void externalDataWithoutADirectoryIsRefused() {
        assertRefused(UnsupportedOnnxException.class, importing(externalModel("weights.bin")),
                "initializer 'conv.weight'", "'weights.bin'", "external data");
    }

    @Test
    void externalDataIsReadBesideTheModelFile() throws IOException {
        Path model = tmp.resolve("ext.onnx");
        OnnxProtoWriter.write(externalModel("weights.bin"), model);
        assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(model),
                "initializer 'conv.weight'", "'weights.bin'", "does not exist");

        ByteBuffer data = ByteBuffer.allocate(16 + 36).order(ByteOrder.LITTLE_ENDIAN);
        data.position(16);
        for (int k = 0; k < 9; k++) {
            data.putFloat(k == 4 ? 1f : 0f);
        }
        Files.write(tmp.resolve("weights.bin"), data.array());
        Network net = OnnxImporter.load(model);
        Arr in = OnnxTestSupport.random(3, 1, 1, 4, 4);
        assertClose(ort(model, "x", in), ort(OnnxExporter.toModel(net), "x", in), 1e-6, "external weights");

        Path escaping = tmp.resolve("sub").resolve("esc.onnx");
        Files.createDirectories(escaping.getParent());
        OnnxProtoWriter.write(externalModel("../weights.bin"), escaping);
        assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(escaping),
                "'conv.weight'", "outside the model's directory");
    }

    // ------------------------------------------------------------------ fixtures/bad

    private static Path bad(String name) {
        Path p = FIXTURES.resolve("bad").resolve(name);
        assumeTrue(Files.exists(p), "fixture " + p + " not present yet");
        return p;
    }

    @Test
    void garbageFile() {
        Path p = bad("garbage.onnx");
        assertRefused(OnnxFormatException.class, () -> OnnxImporter.load(p), "not an ONNX model", "garbage.onnx");
    }

    @Test
    void truncatedFile() {
        Path p = bad("truncated.onnx");
        assertRefused(OnnxFormatException.class, () -> OnnxImporter.load(p), "not an ONNX model", "truncated.onnx");
    }

    @Test
    void notAModel() {
        Path p = bad("not_a_model.onnx");
        assertRefused(OnnxFormatException.class, () -> OnnxImporter.load(p), "not an ONNX model",
                "not_a_model.onnx");
    }

    @Test
    void unsupportedOpFixture() {
        Path p = bad("unsupported_op.onnx");
        assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(p), "unsupported_op.onnx",
                "node 'weird_node'", "Tanh ×1", "supported: ");
    }

    @Test
    void infoPrintsWhatItCanForAnUnsupportedModelAndFails() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = dev.thinet4j.cli.Main.run(new String[]{"info", "--model", bad("unsupported_op.onnx").toString()},
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        String o = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        String e = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, code, e);
        assertTrue(o.contains("(not importable)"), o);
        assertTrue(o.matches("(?s).*input +\\S+ FLOAT \\[.*"), o);
        assertTrue(o.matches("(?s).*\\nTanh +1  unsupported\\n.*"), o);
        assertTrue(o.contains("unsupported ONNX ops: Tanh ×1 (first: node 'weird_node')"), o);
        assertEquals(1, e.strip().lines().count(), e);
        assertTrue(e.contains("weird_node") && e.contains("supported: "), e);
    }

    @Test
    void externalDataFixtureLoadsBesideItsDataFileAndIsRefusedWithoutIt() throws IOException {
        Path p = bad("external_data.onnx");
        Path data = p.resolveSibling("external_data.onnx.data");
        assumeTrue(Files.exists(data), "external data file not present");
        Network net = OnnxImporter.load(p);
        Path in = p.resolveSibling("external_data.input.npy");
        Path out = p.resolveSibling("external_data.output.npy");
        if (Files.exists(in) && Files.exists(out)) {
            Arr x = readNpy(in);
            assertClose(readNpy(out), ort(OnnxExporter.toModel(net), net.input().name(), x), 1e-4,
                    "external_data export vs PyTorch");
        }
        Path alone = tmp.resolve("external_data.onnx");
        Files.copy(p, alone);
        UnsupportedOnnxException e = assertRefused(UnsupportedOnnxException.class, () -> OnnxImporter.load(alone),
                "external_data.onnx.data", "does not exist", "re-export with all tensors inside the .onnx file");
        assertTrue(e.getMessage().matches("(?s).*initializer '[^']+'.*"), e.getMessage());
    }
}
