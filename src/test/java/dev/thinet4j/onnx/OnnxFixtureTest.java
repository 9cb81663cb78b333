package dev.thinet4j.onnx;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxTestSupport.Arr;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.thinet4j.onnx.OnnxTestSupport.FIXTURES;
import static dev.thinet4j.onnx.OnnxTestSupport.assertClose;
import static dev.thinet4j.onnx.OnnxTestSupport.engine;
import static dev.thinet4j.onnx.OnnxTestSupport.ort;
import static dev.thinet4j.onnx.OnnxTestSupport.readNpy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PyTorch-exported fixtures: import, compare ONNX Runtime on the original with PyTorch's logits,
 * export, compare ONNX Runtime on the export with the original, and our engine with both.
 */
class OnnxFixtureTest {
    /** The main fixtures: each has .input.npy, .output.npy and .expected.json (of its family). */
    static final List<String> MAIN = List.of("vgg_bn_fc", "vgg_bn_fc_keepbn", "vgg_bn_fc_opset11", "vgg_bn_fc_opset17",
            "resnet_bottleneck", "resnet_bottleneck_keepbn");

    @TempDir
    Path tmp;

    /** Every fixture model that has sample input and output next to it (main and zoo). */
    static List<Path> models() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String m : MAIN) {
            out.add(FIXTURES.resolve(m + ".onnx"));
        }
        Path zoo = FIXTURES.resolve("zoo");
        if (Files.isDirectory(zoo)) {
            try (Stream<Path> s = Files.list(zoo)) {
                s.filter(p -> p.toString().endsWith(".onnx")).sorted().forEach(out::add);
            }
        }
        return out;
    }

    /** The .npy beside a model; keepbn / opset variants share their family's sample data. */
    static Optional<Path> sample(Path model, String kind) {
        String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        for (String s = stem; ; ) {
            Path p = model.resolveSibling(s + "." + kind + ".npy");
            if (Files.exists(p)) {
                return Optional.of(p);
            }
            int cut = s.lastIndexOf('_');
            if (cut < 0) {
                return Optional.empty();
            }
            s = s.substring(0, cut);
        }
    }

    private static Optional<Path> findUp(Path model, String suffix) {
        String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        for (String s = stem; ; ) {
            Path p = model.resolveSibling(s + suffix);
            if (Files.exists(p)) {
                return Optional.of(p);
            }
            int cut = s.lastIndexOf('_');
            if (cut < 0) {
                return Optional.empty();
            }
            s = s.substring(0, cut);
        }
    }

    private static void assumeFixture(Path model) {
        assumeTrue(Files.exists(model), "fixture " + model + " not present yet");
        assumeTrue(sample(model, "input").isPresent() && sample(model, "output").isPresent(),
                "sample input/output for " + model + " not present yet");
    }

    @TestFactory
    Stream<DynamicTest> importMatchesOrtAndPyTorch() throws IOException {
        return models().stream().map(m -> DynamicTest.dynamicTest("ort " + m.getFileName(), () -> {
            assumeFixture(m);
            Network net = OnnxImporter.load(m);
            Arr in = readNpy(sample(m, "input").orElseThrow());
            Arr torch = readNpy(sample(m, "output").orElseThrow());
            Arr ref = ort(m, net.input().name(), in);
            assertClose(torch, ref, 1e-4, m + ": ONNX Runtime vs PyTorch");
        }));
    }

    @TestFactory
    Stream<DynamicTest> exportRoundTripMatchesOrt() throws IOException {
        return models().stream().map(m -> DynamicTest.dynamicTest("round trip " + m.getFileName(), () -> {
            assumeFixture(m);
            Network net = OnnxImporter.load(m);
            Arr in = readNpy(sample(m, "input").orElseThrow());
            Arr ref = ort(m, net.input().name(), in);
            Path out = tmp.resolve(m.getFileName());
            OnnxExporter.save(net, out);
            Arr mine = ort(out, net.input().name(), in);
            assertClose(ref, mine, 1e-5, m + ": exported model vs original (ONNX Runtime)");

            Network again = OnnxImporter.load(out);
            assertEquals(net.input(), again.input());
            assertEquals(net.outputs(), again.outputs());
            assertEquals(net.nodes().size(), again.nodes().size());
            for (int i = 0; i < net.nodes().size(); i++) {
                Node a = net.nodes().get(i);
                Node b = again.nodes().get(i);
                assertEquals(a.name(), b.name());
                assertEquals(a.inputs(), b.inputs());
                assertEquals(a.op(), b.op(), "op of " + a.name());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> engineMatchesOrt() throws IOException {
        return models().stream().map(m -> DynamicTest.dynamicTest("engine " + m.getFileName(), () -> {
            assumeFixture(m);
            Network net = OnnxImporter.load(m);
            Arr in = readNpy(sample(m, "input").orElseThrow());
            Arr ref = ort(m, net.input().name(), in);
            Arr ours = engine(net, in);
            assertClose(ref.data(), ours.data(), 1e-4, m + ": InferenceEngine vs ONNX Runtime");
        }));
    }

    @TestFactory
    Stream<DynamicTest> structureMatchesExpectedJson() {
        return MAIN.stream().map(name -> DynamicTest.dynamicTest("structure " + name, () -> {
            Path m = FIXTURES.resolve(name + ".onnx");
            assumeTrue(Files.exists(m), "fixture " + m + " not present yet");
            Network net = OnnxImporter.load(m);
            assertEquals("input", net.input().name());
            assertEquals(List.of("output"), net.outputs());
            assertEquals(1, net.input().channels());
            assertEquals(28, net.input().height());
            boolean keepBn = name.contains("keepbn");
            if (name.startsWith("vgg")) {
                assertEquals(6, net.nodesOf(Op.Conv.class).size(), "Conv count");
                assertEquals(2, net.nodesOf(Op.Linear.class).size(), "Linear count");
                assertEquals(1, net.nodesOf(Op.Flatten.class).size(), "Flatten count");
                assertEquals(keepBn ? 6 : 0, net.nodesOf(Op.BatchNorm.class).size(), "BatchNorm count");
            } else {
                assertFalse(net.nodesOf(Op.Add.class).isEmpty(), "resnet has residual Adds");
                assertEquals(keepBn, !net.nodesOf(Op.BatchNorm.class).isEmpty(), "BatchNorm presence");
            }
            Optional<Path> json = findUp(m, ".expected.json");
            if (json.isPresent()) {
                String text = Files.readString(json.get());
                if (text.contains("\"type\": \"Conv2d\"")) {
                    assertEquals(count(text, "\"type\": \"Conv2d\""), net.nodesOf(Op.Conv.class).size(),
                            "Conv count vs expected.json");
                    assertEquals(count(text, "\"type\": \"Linear\""), net.nodesOf(Op.Linear.class).size(),
                            "Linear count vs expected.json");
                }
                ModelSize size = ModelSize.of(net);
                Long macs = number(text, "macs");
                if (macs != null) {
                    assertEquals(macs, size.totalMacs(), "MACs vs expected.json");
                }
                Long params = number(text, keepBn ? "params" : "params_folded");
                if (params != null) {
                    assertEquals(params, size.totalParams(), "params vs expected.json");
                }
            }
        }));
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /** A top-level integer field "key": 123 (the first occurrence). */
    private static Long number(String text, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*(\\d+)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : null;
    }

    @Test
    void graphOutputKeepsItsOnnxName() {
        Path m = FIXTURES.resolve("vgg_bn_fc.onnx");
        assumeTrue(Files.exists(m), "fixture " + m + " not present yet");
        Network net = OnnxImporter.load(m);
        assertEquals("output", net.nodes().get(net.nodes().size() - 1).name());
        assertTrue(net.findNode("/features/features.0/Conv").isPresent(), "ONNX node names are kept");
        var model = OnnxExporter.toModel(net);
        assertEquals("output", model.graph().outputs().get(0).name());
        assertEquals("input", model.graph().inputs().get(0).name());
    }
}
