package dev.thinet4j.zoo;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ZooPropertiesTest {

    /** Any small VGG configuration builds, ends in [N, classes] and has the sizes worked out by hand. */
    @Property(tries = 40)
    void vggSizesMatchHandArithmetic(@ForAll("vggConfigs") VggConfig cfg, @ForAll @IntRange(min = 1, max = 3) int batch) {
        Network net = Vgg.build(cfg, ZooOptions.randomized(cfg.hashCode()));
        assertArrayEquals(new int[]{batch, cfg.classes()}, net.shapes(batch).get(net.outputs().get(0)));

        long params = 0;
        long macs = 0;
        int c = cfg.inputChannels();
        int h = cfg.inputHeight();
        int w = cfg.inputWidth();
        for (List<Integer> block : cfg.blocks()) {
            for (int nominal : block) {
                int width = Math.max(1, (int) Math.round(nominal * cfg.widthMultiplier()));
                params += (long) width * c * 9 + width + (cfg.batchNorm() ? 2L * width : 0);
                macs += (long) width * c * 9 * h * w;
                c = width;
            }
            h /= 2;
            w /= 2;
        }
        long features = cfg.head() == VggHead.GAP ? c : (long) c * h * w;
        List<Integer> fcs = new ArrayList<>(cfg.head() == VggHead.GAP ? List.of() : cfg.hiddenFeatures());
        fcs.add(cfg.classes());
        for (int out : fcs) {
            params += features * out + out;
            macs += features * out;
            features = out;
        }
        ModelSize size = ModelSize.of(net);
        assertEquals(params, size.totalParams());
        assertEquals(macs, size.totalMacs());
    }

    /** Any small-stem ResNet builds, ends in [N, classes] and has the sizes worked out by hand. */
    @Property(tries = 40)
    void resnetSizesMatchHandArithmetic(@ForAll("resnetConfigs") ResNetConfig cfg) {
        Network net = ResNet.build(cfg, ZooOptions.seeded(cfg.hashCode()));
        assertArrayEquals(new int[]{2, cfg.classes()}, net.shapes(2).get("fc"));
        long[] ref = ResNetTest.ResNetArithmetic.smallStem(cfg.block() == BlockType.BOTTLENECK, cfg.inputChannels(),
                cfg.stemWidth(), cfg.inputHeight(), ints(cfg.blocksPerStage()), ints(cfg.widths()),
                ints(cfg.strides()), cfg.classes());
        ModelSize size = ModelSize.of(net);
        assertEquals(ref[0], size.totalParams());
        assertEquals(ref[1], size.totalMacs());
    }

    @Provide
    Arbitrary<VggConfig> vggConfigs() {
        Arbitrary<List<List<Integer>>> blocks = Arbitraries.integers().between(1, 8).list().ofMinSize(1).ofMaxSize(3)
                .list().ofMinSize(1).ofMaxSize(3);
        Arbitrary<List<Integer>> hidden = Arbitraries.integers().between(1, 12).list().ofMaxSize(2);
        return Combinators.combine(blocks, hidden, Arbitraries.of(VggHead.class), Arbitraries.of(true, false),
                        Arbitraries.of(0.5, 1.0, 1.5), Arbitraries.integers().between(1, 3),
                        Arbitraries.integers().between(8, 19), Arbitraries.integers().between(1, 5))
                .as((b, hid, head, bn, mult, ch, size, classes) -> VggConfig.builder().name("p").blocks(b)
                        .hiddenFeatures(hid).head(head).batchNorm(bn).widthMultiplier(mult).inputChannels(ch)
                        .inputSize(size, size + 1).classes(classes).build());
    }

    @Provide
    Arbitrary<ResNetConfig> resnetConfigs() {
        Arbitrary<Integer> stages = Arbitraries.integers().between(1, 3);
        return stages.flatMap(n -> Combinators.combine(
                        Arbitraries.integers().between(1, 2).list().ofSize(n),
                        Arbitraries.integers().between(1, 6).list().ofSize(n),
                        Arbitraries.integers().between(1, 2).list().ofSize(n),
                        Arbitraries.of(BlockType.class), Arbitraries.integers().between(1, 6),
                        Arbitraries.integers().between(5, 13), Arbitraries.integers().between(1, 4))
                .as((blocks, widths, strides, type, stem, size, classes) -> ResNetConfig.builder().name("p")
                        .stem(ResNetStem.SMALL).block(type).blocksPerStage(blocks).widths(widths).strides(strides)
                        .stemWidth(stem).inputChannels(2).inputSize(size).classes(classes).build()));
    }

    private static int[] ints(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }
}
