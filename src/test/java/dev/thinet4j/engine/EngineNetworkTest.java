package dev.thinet4j.engine;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Whole networks: the engine's outputs and intermediates against the double-precision evaluation. */
class EngineNetworkTest {

    static Stream<Arguments> nets() {
        return Stream.of(
                Arguments.of(TestNets.vgg(11), List.of("conv1", "bn2", "pool1", "pool2", "flatten", "fc1")),
                Arguments.of(TestNets.resnet(12), List.of("stem_relu", "b1_add", "b2_conv2", "b2_proj_bn", "dw", "gap")),
                Arguments.of(TestNets.inception(13), List.of("br2", "br4_pool", "cat", "mix", "head_pool")));
    }

    @ParameterizedTest
    @MethodSource("nets")
    void outputMatchesDoubleReference(Network net, List<String> taps) {
        DArray x = DArray.random(new SplittableRandom(5), -1, 1, 3, net.input().channels(), net.input().height(),
                net.input().width());
        Map<String, DArray> ref = ReferenceNet.evaluate(net, x);
        String out = net.outputs().get(0);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray in = EngineAsserts.nd(x)) {
            try (INDArray y = engine.forward(in)) {
                EngineAsserts.assertClose(ref.get(out), y, 1e-4, net.name() + " output");
            }
            Map<String, INDArray> tapped = engine.forward(in, taps);
            assertEquals(taps, new ArrayList<>(tapped.keySet()));
            for (String t : taps) {
                EngineAsserts.assertClose(ref.get(t), tapped.get(t), 1e-4, net.name() + " tensor " + t);
                tapped.get(t).close();
            }
        }
    }

    /** Every tensor at once (nothing released early, no in-place work) equals the reference too. */
    @ParameterizedTest
    @MethodSource("nets")
    void allTensorsMatchDoubleReference(Network net, List<String> ignored) {
        DArray x = DArray.random(new SplittableRandom(6), -1, 1, 2, net.input().channels(), net.input().height(),
                net.input().width());
        Map<String, DArray> ref = ReferenceNet.evaluate(net, x);
        List<String> all = new ArrayList<>();
        all.add(net.input().name());
        for (Node n : net.nodes()) {
            all.add(n.name());
        }
        try (InferenceEngine engine = new InferenceEngine(net); INDArray in = EngineAsserts.nd(x)) {
            Map<String, INDArray> got = engine.forward(in, all);
            assertEquals(all, new ArrayList<>(got.keySet()));
            for (String t : all) {
                EngineAsserts.assertClose(ref.get(t), got.get(t), 1e-4, net.name() + " tensor " + t);
            }
            got.values().forEach(INDArray::close);
        }
    }
}
