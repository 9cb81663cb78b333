package dev.thinet4j.families;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.fold.FoldResult;
import dev.thinet4j.fold.Folding;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.families.Families.Arr;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every torchvision CNN family and the YOLOv3-style detector, as PyTorch exported them
 * ({@code tools/fixtures/make_families.py}): import, agree with ONNX Runtime and PyTorch, fold
 * exactly, prune with ThiNet under the uniform policy (0.3) to a model ONNX Runtime runs with the same
 * output shapes and fewer MACs, and under the resnet policy without changing any residual width.
 */
class FamiliesTest {
    @TempDir
    Path tmp;

    static List<String> all() {
        return Families.ALL;
    }

    static List<String> residual() {
        return Families.RESIDUAL;
    }

    /** Every fixture, and the exports that kept their BatchNormalization nodes (torch folds them otherwise). */
    static List<String> foldable() {
        List<String> out = new ArrayList<>(Families.ALL);
        out.addAll(List.of("resnet18_keepbn", "mobilenet_v2_keepbn", "yolo_mbv2_keepbn"));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void importsAndMatchesOnnxRuntime(String name) {
        Network net = OnnxImporter.load(Families.model(name));
        Arr x = Families.input(name);
        Map<String, Arr> ort = Families.ort(Families.model(name), net.input().name(), x);
        Map<String, Arr> ours = Families.engine(net, x);
        assertEquals(List.copyOf(ort.keySet()), net.outputs(), "output names, in order");
        List<Arr> torch = Families.torchOutputs(name);
        int k = 0;
        for (String o : net.outputs()) {
            Families.assertClose(ort.get(o), ours.get(o), 1e-4, name + " output " + o + " vs ONNX Runtime");
            Families.assertClose(torch.get(k++), ours.get(o), 1e-4, name + " output " + o + " vs PyTorch");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("foldable")
    void foldsExactly(String name) throws Exception {
        Network net = OnnxImporter.load(Families.model(name));
        FoldResult folded = Folding.foldAll(net);
        if (name.endsWith("_keepbn")) {
            assertTrue(net.nodes().stream().anyMatch(n -> n.op() instanceof Op.BatchNorm), name + " has BatchNorms");
            assertFalse(folded.network().nodes().stream().anyMatch(n -> n.op() instanceof Op.BatchNorm),
                    name + ": every BatchNorm (each follows a conv) is folded");
        }
        Arr x = Families.input(name);
        Map<String, Arr> before = Families.engine(net, x);
        Map<String, Arr> after = Families.engine(folded.network(), x);
        for (String o : net.outputs()) {
            Families.assertClose(before.get(o), after.get(o), 1e-5, name + " folded output " + o);
        }
        Path out = tmp.resolve(name + "_folded.onnx");
        OnnxExporter.save(folded.network(), out);
        Map<String, Arr> ort = Families.ort(out, net.input().name(), x);
        for (String o : net.outputs()) {
            Families.assertClose(before.get(o), ort.get(o), 1e-4, name + " folded export " + o + " under ONNX Runtime");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void prunesUniformToAValidSmallerModel(String name) {
        Network net = OnnxImporter.load(Families.model(name));
        PruningResult r = prune(net, Policies.uniform(0.3));
        Network pruned = r.network();
        assertTrue(ModelSize.of(pruned).totalMacs() < ModelSize.of(net).totalMacs(),
                name + ": MACs " + ModelSize.of(net).totalMacs() + " -> " + ModelSize.of(pruned).totalMacs());
        checkRunsUnderOrtWithSameShapes(name, net, pruned);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("residual")
    void resnetPolicyKeepsResidualWidths(String name) {
        Network net = OnnxImporter.load(Families.model(name));
        PruningResult r = prune(net, Policies.resnet(0.3));
        Network pruned = r.network();
        Map<String, int[]> before = net.shapes(1);
        Map<String, int[]> after = pruned.shapes(1);
        int adds = 0;
        for (Node n : net.nodes()) {
            if (n.op() instanceof Op.Add && n.inputs().size() > 1) {
                adds++;
                assertArrayEquals(before.get(n.name()), after.get(n.name()), name + ": residual sum '" + n.name() + "'");
            }
        }
        assertTrue(adds > 0, name + " has residual additions");
        assertTrue(ModelSize.of(pruned).totalMacs() < ModelSize.of(net).totalMacs(), name + ": fewer MACs");
        checkRunsUnderOrtWithSameShapes(name, net, pruned);
    }

    private void checkRunsUnderOrtWithSameShapes(String name, Network original, Network pruned) {
        Path out = tmp.resolve(name + "_pruned.onnx");
        OnnxExporter.save(pruned, out);
        Arr x = Families.input(name);
        Map<String, Arr> ort = Families.ort(out, original.input().name(), x);
        Map<String, Arr> ours = Families.engine(pruned, x);
        Map<String, Arr> orig = Families.engine(original, x);
        for (String o : original.outputs()) {
            assertArrayEquals(orig.get(o).shape(), ort.get(o).shape(), name + ": output " + o + " shape");
            Families.assertClose(ort.get(o), ours.get(o), 1e-4, name + " pruned output " + o + " vs ONNX Runtime");
        }
    }

    /** ThiNet with full reconstruction on 24 seeded random images (enough rows for these small layers). */
    static PruningResult prune(Network net, PruningPolicy policy) {
        var in = net.input();
        int n = 24;
        Random r = new Random(11);
        float[] images = new float[n * in.channels() * in.height() * in.width()];
        for (int i = 0; i < images.length; i++) {
            images[i] = r.nextFloat();
        }
        ImageSource calib = ImageSources.fromArray(images, n, in.channels(), in.height(), in.width(), null);
        PrunerConfig config = PrunerConfig.builder().images(n).pointsPerImage(8).seed(5).batchSize(8).build();
        return new ThiNetPruner(config).prune(net, policy, calib);
    }
}
