package dev.thinet4j.families;

import dev.thinet4j.families.Families.Arr;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.surgery.DependencyGraph;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ResNeXt and RegNetX, whose bottlenecks have grouped 3×3 convs: ThiNet (full reconstruction, {@link FamiliesTest#prune})
 * now cuts through them — fewer MACs, the grouped convs really thinner on both axes (groups unchanged, every conv
 * group alike), the residual sums' widths kept under the resnet policy, and the exported model runs under ONNX
 * Runtime with the original output shapes and our engine's outputs.
 */
class GroupedFamiliesTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"resnext, resnet", "regnet_x, uniform", "resnext, uniform", "regnet_x, resnet"})
    void prunesThroughGroupedConvs(String name, String policyName) {
        Network net = OnnxImporter.load(Families.model(name));
        PruningPolicy policy = Policies.parse(policyName, 0.3);
        long groupedPlanned = policy.plan(net).stream()
                .filter(p -> ((Op.Conv) net.node(p.layer()).op()).groups() > 1).count();
        assertTrue(groupedPlanned > 0, name + ": the " + policyName + " plan prunes grouped convs' filters");
        PruningResult r = FamiliesTest.prune(net, policy);
        Network pruned = r.network();
        long before = ModelSize.of(net).totalMacs();
        long after = ModelSize.of(pruned).totalMacs();
        assertTrue(after < before, name + ": MACs " + before + " -> " + after);
        System.out.printf("%s %s: MACs %d -> %d (%.1f %%), params %d -> %d%n", name, policyName, before, after,
                100.0 * after / before, ModelSize.of(net).totalParams(), ModelSize.of(pruned).totalParams());

        int inputCut = 0;
        int filterCut = 0;
        for (Node n : net.nodes()) {
            if (n.op() instanceof Op.Conv c && c.groups() > 1 && !c.isDepthwise()) {
                Op.Conv p = (Op.Conv) pruned.node(n.name()).op();
                assertEquals(c.groups(), p.groups(), n.name() + ": groups kept");
                assertEquals(0, p.outChannels() % p.groups(), n.name() + ": filters split evenly over the groups");
                inputCut += p.weight().dim(1) < c.weight().dim(1) ? 1 : 0;
                filterCut += p.outChannels() < c.outChannels() ? 1 : 0;
            }
        }
        assertTrue(inputCut > 0, name + ": some grouped conv lost input channels per group");
        assertTrue(filterCut > 0, name + ": some grouped conv lost filters");

        if (policyName.equals("resnet")) {
            Map<String, int[]> s0 = net.shapes(1);
            Map<String, int[]> s1 = pruned.shapes(1);
            for (Node n : net.nodes()) {
                if (n.op() instanceof Op.Add && n.inputs().size() > 1) {
                    assertArrayEquals(s0.get(n.name()), s1.get(n.name()), name + ": residual sum '" + n.name() + "'");
                }
            }
        }
        Path out = tmp.resolve(name + "_pruned.onnx");
        OnnxExporter.save(pruned, out);
        Arr x = Families.input(name);
        Map<String, Arr> ort = Families.ort(out, net.input().name(), x);
        Map<String, Arr> ours = Families.engine(pruned, x);
        Map<String, Arr> orig = Families.engine(net, x);
        for (String o : net.outputs()) {
            assertArrayEquals(orig.get(o).shape(), ort.get(o).shape(), name + ": output " + o + " shape");
            Families.assertClose(ort.get(o), ours.get(o), 1e-4, name + " pruned output " + o + " vs ONNX Runtime");
        }
        // the pruned model can be analysed and pruned again
        assertTrue(new DependencyGraph(pruned).prunableConvs().size() > 0);
    }
}
