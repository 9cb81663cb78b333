package dev.thinet4j.zoo;

import dev.thinet4j.model.LayerSize;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VggTest {

    /**
     * VGG-16 at 224×224: the published sizes (torchvision {@code vgg16}: 138,357,544 parameters;
     * 15.47 GMACs) and the same numbers re-derived here layer by layer. Builds VGG-16 once (~550 MB).
     */
    @Test
    void vgg16MatchesPublishedSizes() {
        Network net = Vgg.vgg16();
        ModelSize size = ModelSize.of(net);

        // independent arithmetic: 3x3 convs with padding 1 keep H×W; each pool halves it
        int[][] blocks = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
        long params = 0;
        long convMacs = 0;
        int c = 3;
        int hw = 224;
        for (int[] block : blocks) {
            for (int w : block) {
                params += (long) w * c * 9 + w;
                convMacs += (long) w * hw * hw * c * 9;
                c = w;
            }
            hw /= 2;
        }
        long fcMacs = 512L * 7 * 7 * 4096 + 4096L * 4096 + 4096L * 1000;
        params += fcMacs + 4096 + 4096 + 1000;

        assertEquals(138_357_544L, params, "own arithmetic vs published parameter count");
        assertEquals(15_346_630_656L, convMacs);
        assertEquals(123_633_664L, fcMacs);
        assertEquals(138_357_544L, size.totalParams());
        assertEquals(15_470_264_320L, size.totalMacs());
        assertEquals(convMacs + fcMacs, size.totalMacs());

        assertEquals(size.totalParams(), size.layers().stream().mapToLong(LayerSize::params).sum());
        assertEquals(size.totalMacs(), size.layers().stream().mapToLong(LayerSize::macs).sum());
        LayerSize conv11 = layer(size, "conv1_1");
        assertEquals(64L * 224 * 224 * 3 * 3 * 3, conv11.macs());
        assertEquals(86_704_128L, conv11.macs());
        assertEquals(64 * 3 * 9 + 64, conv11.params());
        assertEquals(512L * 7 * 7 * 4096, layer(size, "fc6").macs());

        assertArrayEquals(new int[]{1, 1000}, net.shapes(1).get("fc8"));
        assertEquals(List.of("fc8"), net.outputs());
        assertEquals(13, net.nodesOf(Op.Conv.class).size());
        assertEquals(List.of("fc6", "fc7", "fc8"), net.nodesOf(Op.Linear.class).stream().map(Node::name).toList());
        assertEquals(List.of("conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
                        "conv4_1", "conv4_2", "conv4_3"),
                Vgg.convNames(VggConfig.vgg16()).subList(0, 10));
        assertEquals(Vgg.convNames(VggConfig.vgg16()),
                net.nodesOf(Op.Conv.class).stream().map(Node::name).toList());
        assertInstanceOf(Op.Identity.class, net.node("drop6").op());
        assertInstanceOf(Op.Flatten.class, net.node("flatten").op());
        assertEquals("pool5", net.node("flatten").input());
        assertArrayEquals(new int[]{1, 512, 7, 7}, net.shapes(1).get("pool5"));
    }

    /** torchvision {@code vgg16_bn}: 138,365,992 = VGG-16 + 2·(2·64 + 2·128 + 3·256 + 6·512) BN parameters. */
    @Test
    void vgg16BnAddsBatchNormParameters() {
        assertEquals(8_448, 2 * (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512));
        Network net = Vgg.vgg16Bn(ZooOptions.defaults());
        ModelSize size = ModelSize.of(net);
        assertEquals(138_365_992L, size.totalParams());
        assertEquals(138_357_544L + 8_448, size.totalParams());
        assertEquals(15_470_264_320L, size.totalMacs(), "BN adds no MACs");
        assertEquals(List.of("conv1_1", "bn1_1", "relu1_1", "conv1_2", "bn1_2", "relu1_2", "pool1"),
                net.nodes().subList(0, 7).stream().map(Node::name).toList());
        assertEquals(13, net.nodesOf(Op.BatchNorm.class).size());
    }

    @Test
    void small28HasTheDocumentedShape() {
        Network net = Vgg.small28();
        Map<String, int[]> shapes = net.shapes(5);
        assertArrayEquals(new int[]{5, 1, 28, 28}, shapes.get("input"));
        assertArrayEquals(new int[]{5, 16, 28, 28}, shapes.get("conv1_1"));
        assertArrayEquals(new int[]{5, 16, 14, 14}, shapes.get("pool1"));
        assertArrayEquals(new int[]{5, 32, 7, 7}, shapes.get("pool2"));
        assertArrayEquals(new int[]{5, 64, 3, 3}, shapes.get("pool3"));
        assertArrayEquals(new int[]{5, 576}, shapes.get("flatten"));
        assertArrayEquals(new int[]{5, 128}, shapes.get("fc6"));
        assertArrayEquals(new int[]{5, 10}, shapes.get("fc7"));
        assertEquals(List.of("fc7"), net.outputs());

        Op.Conv conv = (Op.Conv) net.node("conv2_1").op();
        assertArrayEquals(new int[]{32, 16, 3, 3}, conv.weight().shape());
        assertEquals(1, conv.pads().top());
        assertEquals(1, conv.strides().h());
        Op.MaxPool pool = (Op.MaxPool) net.node("pool1").op();
        assertEquals(2, pool.kernel().h());
        assertEquals(2, pool.strides().h());
        assertFalse(pool.ceilMode());

        long expected = (16 * 1 * 9 + 16) + (16 * 16 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 32 * 9 + 32)
                + (64 * 32 * 9 + 64) + (64 * 64 * 9 + 64) + (576 * 128 + 128) + (128 * 10 + 10);
        assertEquals(expected, ModelSize.of(net).totalParams());
        long macs = 28L * 28 * (16 * 1 * 9 + 16 * 16 * 9) + 14L * 14 * (32 * 16 * 9 + 32 * 32 * 9)
                + 7L * 7 * (64 * 32 * 9 + 64 * 64 * 9) + 576 * 128 + 128 * 10;
        assertEquals(macs, ModelSize.of(net).totalMacs());
    }

    @Test
    void gapHeadPoolsGloballyBeforeOneClassifier() {
        Network net = Vgg.build(VggConfig.small28().toBuilder().head(VggHead.GAP).batchNorm(true).build(),
                ZooOptions.defaults());
        assertEquals(List.of("pool3", "gap", "flatten", "fc6"),
                net.nodes().subList(net.nodes().size() - 4, net.nodes().size()).stream().map(Node::name).toList());
        assertInstanceOf(Op.GlobalAvgPool.class, net.node("gap").op());
        assertArrayEquals(new int[]{10, 64}, ((Op.Linear) net.node("fc6").op()).weight().shape());
        assertArrayEquals(new int[]{3, 10}, net.shapes(3).get("fc6"));
        assertEquals(6, net.nodesOf(Op.BatchNorm.class).size());
    }

    @Test
    void widthMultiplierAndCustomBlocksScaleConvolutions() {
        VggConfig cfg = VggConfig.builder()
                .blocks(List.of(List.of(10, 10), List.of(20)))
                .widthMultiplier(0.5).hiddenFeatures(List.of(32, 16)).classes(3)
                .inputChannels(2).inputSize(12, 16).build();
        Network net = Vgg.build(cfg, ZooOptions.seeded(1));
        assertArrayEquals(new int[]{5, 2, 3, 3}, ((Op.Conv) net.node("conv1_1").op()).weight().shape());
        assertArrayEquals(new int[]{10, 5, 3, 3}, ((Op.Conv) net.node("conv2_1").op()).weight().shape());
        assertArrayEquals(new int[]{1, 10, 3, 4}, net.shapes(1).get("pool2"));
        assertArrayEquals(new int[]{32, 120}, ((Op.Linear) net.node("fc6").op()).weight().shape());
        assertArrayEquals(new int[]{3, 16}, ((Op.Linear) net.node("fc8").op()).weight().shape());
        assertEquals(5, cfg.convWidth(0, 1));

        VggConfig tiny = cfg.toBuilder().widthMultiplier(0.01).build();
        assertEquals(1, tiny.convWidth(0, 0), "widths never round to zero");
        assertEquals(cfg, cfg.toBuilder().build());
    }

    @Test
    void rejectsConfigurationsThatCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class,
                () -> VggConfig.vgg16().toBuilder().inputSize(16).build(), "five pools need at least 32 pixels");
        assertThrows(IllegalArgumentException.class,
                () -> VggConfig.builder().blocks(List.of(List.of(8), List.of())).build());
        assertThrows(IllegalArgumentException.class,
                () -> VggConfig.builder().blocks(List.of(List.of(8, 0))).build());
        assertThrows(IllegalArgumentException.class, () -> VggConfig.builder().widthMultiplier(0).build());
        assertThrows(IllegalArgumentException.class, () -> VggConfig.builder().classes(0).build());
    }

    @Test
    void convolutionBiasesFollowTheOption() {
        Op.Conv zero = (Op.Conv) Vgg.small28(ZooOptions.seeded(3)).node("conv2_2").op();
        for (float b : zero.bias().data()) {
            assertEquals(0f, b);
        }
        Op.Conv uniform = (Op.Conv) Vgg.small28(ZooOptions.randomized(3)).node("conv2_2").op();
        float bound = (float) (1 / Math.sqrt(32 * 9));
        int nonZero = 0;
        for (float b : uniform.bias().data()) {
            assertTrue(Math.abs(b) <= bound, "bias " + b + " outside ±" + bound);
            nonZero += b != 0 ? 1 : 0;
        }
        assertEquals(32, nonZero);
        assertEquals(zero.weight(), uniform.weight(), "the bias option does not change the weights");
    }

    private static LayerSize layer(ModelSize size, String name) {
        return size.layers().stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
    }
}
