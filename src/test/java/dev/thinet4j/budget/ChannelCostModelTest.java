package dev.thinet4j.budget;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Thinning;
import dev.thinet4j.testing.TestNets;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The weight-free cost model against ModelSize of the really thinned network. */
class ChannelCostModelTest {
    private static final Network RESNET_FIXTURE =
            OnnxImporter.load(Path.of("src/test/resources/fixtures/resnet_bottleneck_keepbn.onnx"));

    private static Network net(int which) {
        return switch (which) {
            case 0 -> TestNets.vggLike(1);
            case 1 -> TestNets.residual(2);
            case 2 -> TestNets.concatDepthwise(3);
            default -> RESNET_FIXTURE;
        };
    }

    /** Thins {@code net} group by group to the first keep[i] channels. */
    static ModelSize thinned(Network net, List<String> layers, int[] keep) {
        Network cur = net;
        for (int i = 0; i < layers.size(); i++) {
            var group = new DependencyGraph(cur).groupOf(layers.get(i));
            cur = Thinning.keep(cur, group, IntStream.range(0, keep[i]).toArray());
        }
        return ModelSize.of(cur);
    }

    @Property(tries = 60)
    void exactForEveryConfiguration(@ForAll @IntRange(min = 0, max = 3) int which, @ForAll long seed) {
        Network net = net(which);
        List<String> layers = SensitivityAnalysis.candidates(net, Policies.uniform(0.5));
        ChannelCostModel model = ChannelCostModel.of(net, layers);
        Random r = new Random(seed);
        int[] keep = new int[layers.size()];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = 1 + r.nextInt(model.channels(i));
        }
        ModelSize real = thinned(net, layers, keep);
        assertEquals(real.totalMacs(), model.macs(keep));
        assertEquals(real.totalParams(), model.params(keep));
    }

    @Example
    void unprunedEqualsModelSize() {
        for (int w = 0; w < 4; w++) {
            Network net = net(w);
            List<String> layers = SensitivityAnalysis.candidates(net, Policies.uniform(0.5));
            ChannelCostModel model = ChannelCostModel.of(net, layers);
            int[] all = IntStream.range(0, layers.size()).map(model::channels).toArray();
            assertEquals(ModelSize.of(net).totalMacs(), model.macs(all));
            assertEquals(ModelSize.of(net).totalParams(), model.params(all));
        }
    }
}
