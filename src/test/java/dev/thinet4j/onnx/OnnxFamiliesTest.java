package dev.thinet4j.onnx;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxTestSupport.Arr;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.thinet4j.onnx.OnnxTestSupport.FIXTURES;
import static dev.thinet4j.onnx.OnnxTestSupport.assertClose;
import static dev.thinet4j.onnx.OnnxTestSupport.ort;
import static dev.thinet4j.onnx.OnnxTestSupport.readNpy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The torchvision family exports in {@code fixtures/families} (torch 1.13, opset 13, dynamic
 * batch; see {@code tools/fixtures/FAMILIES.md}): each imports, its outputs keep their names and
 * have the shapes of the torch outputs, and our re-export run by ONNX Runtime reproduces the torch
 * output. The folder can be overridden with {@code -Dthinet4j.families=DIR}; without it the
 * tests are skipped.
 */
class OnnxFamiliesTest {
    private static Path dir() {
        String p = System.getProperty("thinet4j.families");
        return p != null ? Path.of(p) : FIXTURES.resolve("families");
    }

    @TestFactory
    Stream<DynamicTest> everyFamilyImportsWithTheTorchOutputShapes() throws IOException {
        Path dir = dir();
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        List<Path> models;
        try (Stream<Path> s = Files.list(dir)) {
            models = s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
        }
        return models.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> check(p)));
    }

    private static void check(Path model) {
        String stem = model.getFileName().toString().replace(".onnx", "");
        Network net = OnnxImporter.load(model);
        Arr x = readNpy(model.resolveSibling(stem + ".input.npy"));
        List<Arr> expected = new ArrayList<>();
        Path single = model.resolveSibling(stem + ".output.npy");
        if (Files.exists(single)) {
            expected.add(readNpy(single));
        } else {
            for (int k = 0; Files.exists(model.resolveSibling(stem + ".output" + k + ".npy")); k++) {
                expected.add(readNpy(model.resolveSibling(stem + ".output" + k + ".npy")));
            }
        }
        assertEquals(expected.size(), net.outputs().size(), "outputs " + net.outputs());
        Map<String, int[]> shapes = net.shapes((int) x.shape()[0]);
        for (int k = 0; k < expected.size(); k++) {
            int[] s = shapes.get(net.outputs().get(k));
            long[] got = new long[s.length];
            for (int i = 0; i < s.length; i++) {
                got[i] = s[i];
            }
            assertArrayEquals(expected.get(k).shape(), got, "shape of output " + net.outputs().get(k));
        }
        ModelSummary summary = OnnxImporter.inspect(model);
        assertTrue(summary.allOpsSupported());
        assertEquals(summary.outputs().stream().map(ModelSummary.TensorInfo::name).toList(), net.outputs(),
                "graph outputs keep their ONNX names");
        Arr ours = ort(OnnxExporter.toModel(net), net.input().name(), x);
        assertClose(expected.get(0), ours, 1e-4, stem + ": our re-export (ONNX Runtime) vs torch");
        if (stem.startsWith("shufflenet")) {
            assertEquals(4, net.nodesOf(Op.ChannelShuffle.class).size(), "channel shuffles");
            assertFalse(net.nodes().stream().anyMatch(n -> n.op() instanceof Op.Transpose));
        }
        if (stem.startsWith("convnext")) {
            assertEquals(7, net.nodesOf(Op.LayerNorm.class).size(), "decomposed LayerNorms");
            assertFalse(net.nodes().stream().anyMatch(n -> n.op() instanceof Op.ReduceMean));
        }
    }
}
