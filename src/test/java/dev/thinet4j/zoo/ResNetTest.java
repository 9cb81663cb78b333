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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResNetTest {

    /** torchvision {@code resnet18}: 11,689,512 parameters, 1.814 GMACs (conv + fc). */
    @Test
    void resnet18MatchesPublishedSizes() {
        Network net = ResNet.resnet18();
        ModelSize size = ModelSize.of(net);
        long[] ref = ResNetArithmetic.sizes(false, new int[]{2, 2, 2, 2}, new int[]{64, 128, 256, 512}, 1000);
        assertEquals(11_689_512L, ref[0], "own arithmetic vs published parameter count");
        assertEquals(1_814_073_344L, ref[1], "own arithmetic vs published MAC count");
        assertEquals(11_689_512L, size.totalParams());
        assertEquals(1_814_073_344L, size.totalMacs());
        assertEquals(size.totalParams(), size.layers().stream().mapToLong(LayerSize::params).sum());
        assertEquals(size.totalMacs(), size.layers().stream().mapToLong(LayerSize::macs).sum());

        // stem conv: 64 · 112 · 112 · 3 · 7 · 7
        assertEquals(118_013_952L, layer(size, "conv1").macs());
        assertEquals(64L * 112 * 112 * 3 * 49, layer(size, "conv1").macs());
        Map<String, int[]> shapes = net.shapes(1);
        assertArrayEquals(new int[]{1, 64, 56, 56}, shapes.get("maxpool"));
        assertArrayEquals(new int[]{1, 512, 7, 7}, shapes.get("layer4.1.relu_out"));
        assertArrayEquals(new int[]{1, 1000}, shapes.get("fc"));
        assertEquals(List.of("fc"), net.outputs());

        assertTrue(net.findNode("layer1.0.downsample.0").isEmpty(), "layer1 keeps 64 channels at stride 1");
        assertTrue(net.findNode("layer2.0.downsample.0").isPresent());
        assertTrue(net.findNode("layer2.1.downsample.0").isEmpty());
        assertEquals(List.of("layer2.0.bn2", "layer2.0.downsample.1"), net.node("layer2.0.add").inputs());
        assertEquals(List.of("layer1.1.bn2", "layer1.0.relu_out"), net.node("layer1.1.add").inputs());
        assertEquals(20, net.nodesOf(Op.Conv.class).size(), "17 main-path convs + 3 projections");
        for (Node n : net.nodesOf(Op.Conv.class)) {
            assertNull(((Op.Conv) n.op()).bias(), n.name() + " has no bias, as in torchvision");
            assertTrue(net.consumers(n.name()).get(0).op() instanceof Op.BatchNorm, n.name() + " feeds a BN");
        }
    }

    /** torchvision {@code resnet50}: 25,557,032 parameters, 4.089 GMACs (conv + fc). */
    @Test
    void resnet50MatchesPublishedSizes() {
        Network net = ResNet.resnet50();
        ModelSize size = ModelSize.of(net);
        long[] ref = ResNetArithmetic.sizes(true, new int[]{3, 4, 6, 3}, new int[]{64, 128, 256, 512}, 1000);
        assertEquals(25_557_032L, ref[0], "own arithmetic vs published parameter count");
        assertEquals(4_089_184_256L, ref[1], "own arithmetic vs published MAC count");
        assertEquals(25_557_032L, size.totalParams());
        assertEquals(4_089_184_256L, size.totalMacs());
        assertEquals(size.totalParams(), size.layers().stream().mapToLong(LayerSize::params).sum());

        // v1.5: the stride sits on the 3×3 conv, the 1×1 reduce keeps the resolution
        Op.Conv reduce = (Op.Conv) net.node("layer2.0.conv1").op();
        Op.Conv spatial = (Op.Conv) net.node("layer2.0.conv2").op();
        assertEquals(1, reduce.strides().h());
        assertEquals(2, spatial.strides().h());
        assertEquals(2, ((Op.Conv) net.node("layer2.0.downsample.0").op()).strides().h());
        Map<String, int[]> shapes = net.shapes(1);
        assertArrayEquals(new int[]{1, 128, 56, 56}, shapes.get("layer2.0.conv1"));
        assertArrayEquals(new int[]{1, 128, 28, 28}, shapes.get("layer2.0.conv2"));
        assertArrayEquals(new int[]{1, 2048, 7, 7}, shapes.get("layer4.2.relu_out"));
        assertArrayEquals(new int[]{1, 1000}, shapes.get("fc"));
        assertTrue(net.findNode("layer1.0.downsample.0").isPresent(), "64 → 256 channels needs a projection");
        assertArrayEquals(new int[]{256, 64, 1, 1},
                ((Op.Conv) net.node("layer1.0.downsample.0").op()).weight().shape());
        assertEquals(53, net.nodesOf(Op.Conv.class).size(), "49 main-path convs + 4 projections");
        // layer3.0.conv2: 256 · 14 · 14 · 256 · 3 · 3
        assertEquals(115_605_504L, layer(size, "layer3.0.conv2").macs());
    }

    /** torchvision {@code resnet34}: 21,797,672 parameters. */
    @Test
    void resnet34MatchesPublishedParameterCount() {
        ModelSize size = ModelSize.of(ResNet.build(ResNetConfig.resnet34(), ZooOptions.defaults()));
        long[] ref = ResNetArithmetic.sizes(false, new int[]{3, 4, 6, 3}, new int[]{64, 128, 256, 512}, 1000);
        assertEquals(21_797_672L, ref[0]);
        assertEquals(21_797_672L, size.totalParams());
        assertEquals(ref[1], size.totalMacs());
    }

    @Test
    void smallBasicVariantHasTheDocumentedShape() {
        Network net = ResNet.small28Basic();
        Map<String, int[]> shapes = net.shapes(4);
        assertArrayEquals(new int[]{4, 1, 28, 28}, shapes.get("input"));
        assertArrayEquals(new int[]{4, 16, 28, 28}, shapes.get("relu"));
        assertTrue(net.findNode("maxpool").isEmpty());
        assertArrayEquals(new int[]{4, 16, 28, 28}, shapes.get("layer1.1.relu_out"));
        assertArrayEquals(new int[]{4, 32, 14, 14}, shapes.get("layer2.1.relu_out"));
        assertArrayEquals(new int[]{4, 64, 7, 7}, shapes.get("layer3.1.relu_out"));
        assertArrayEquals(new int[]{4, 10}, shapes.get("fc"));
        assertArrayEquals(new int[]{16, 1, 3, 3}, ((Op.Conv) net.node("conv1").op()).weight().shape());
        assertTrue(net.findNode("layer1.0.downsample.0").isEmpty());
        assertTrue(net.findNode("layer4.0.conv1").isEmpty());

        long[] ref = ResNetArithmetic.small(false);
        ModelSize size = ModelSize.of(net);
        assertEquals(ref[0], size.totalParams());
        assertEquals(ref[1], size.totalMacs());
    }

    @Test
    void smallBottleneckVariantHasTheDocumentedShape() {
        Network net = ResNet.small28Bottleneck();
        Map<String, int[]> shapes = net.shapes(2);
        assertArrayEquals(new int[]{2, 16, 28, 28}, shapes.get("layer1.0.conv1"));
        assertArrayEquals(new int[]{2, 64, 28, 28}, shapes.get("layer1.1.relu_out"));
        assertArrayEquals(new int[]{2, 32, 28, 28}, shapes.get("layer2.0.conv1"));
        assertArrayEquals(new int[]{2, 32, 14, 14}, shapes.get("layer2.0.conv2"));
        assertArrayEquals(new int[]{2, 128, 14, 14}, shapes.get("layer2.1.relu_out"));
        assertArrayEquals(new int[]{2, 256, 7, 7}, shapes.get("layer3.1.relu_out"));
        assertArrayEquals(new int[]{2, 10}, shapes.get("fc"));
        assertTrue(net.findNode("layer1.0.downsample.0").isPresent(), "16 → 64 channels needs a projection");

        long[] ref = ResNetArithmetic.small(true);
        ModelSize size = ModelSize.of(net);
        assertEquals(ref[0], size.totalParams());
        assertEquals(ref[1], size.totalMacs());
    }

    @Test
    void rejectsInconsistentConfigurations() {
        assertThrows(IllegalArgumentException.class,
                () -> ResNetConfig.builder().widths(List.of(64, 128)).build());
        assertThrows(IllegalArgumentException.class,
                () -> ResNetConfig.builder().blocksPerStage(List.of(2, 0, 2, 2)).build());
        assertThrows(IllegalArgumentException.class, () -> ResNetConfig.builder().stemWidth(0).build());
        assertEquals(ResNetConfig.resnet50(), ResNetConfig.resnet50().toBuilder().build());
        assertFalse(ResNetConfig.small28Basic().equals(ResNetConfig.small28Bottleneck()));
    }

    private static LayerSize layer(ModelSize size, String name) {
        return size.layers().stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
    }

    /** Parameter and MAC counts worked out from the ResNet paper's structure, without the model package. */
    static final class ResNetArithmetic {
        private ResNetArithmetic() {
        }

        /** ImageNet ResNet (7×7/2 stem + 3×3/2 pool, strides 1/2/2/2, 224×224×3): {params, macs}. */
        static long[] sizes(boolean bottleneck, int[] blocks, int[] widths, int classes) {
            long[] acc = new long[2];
            int hw = 112; // after the 7×7 stride-2 stem conv
            conv(acc, 3, 64, 7, hw);
            bn(acc, 64);
            hw = 56; // 3×3/2 max pool
            stages(acc, bottleneck, 64, hw, blocks, widths, new int[]{1, 2, 2, 2}, classes);
            return acc;
        }

        /** The small 28×28 variants: 3×3 stem of 16, stages 16/32/64 × 2 blocks, strides 1/2/2. */
        static long[] small(boolean bottleneck) {
            return smallStem(bottleneck, 1, 16, 28, new int[]{2, 2, 2}, new int[]{16, 32, 64}, new int[]{1, 2, 2}, 10);
        }

        /** Any ResNet with the 3×3 stride-1 stem on a square input of side {@code hw}. */
        static long[] smallStem(boolean bottleneck, int inChannels, int stemWidth, int hw, int[] blocks, int[] widths,
                                int[] strides, int classes) {
            long[] acc = new long[2];
            conv(acc, inChannels, stemWidth, 3, hw);
            bn(acc, stemWidth);
            stages(acc, bottleneck, stemWidth, hw, blocks, widths, strides, classes);
            return acc;
        }

        private static void stages(long[] acc, boolean bottleneck, int in, int hw, int[] blocks, int[] widths,
                                   int[] strides, int classes) {
            int expansion = bottleneck ? 4 : 1;
            for (int s = 0; s < blocks.length; s++) {
                for (int b = 0; b < blocks[s]; b++) {
                    int stride = b == 0 ? strides[s] : 1;
                    int w = widths[s];
                    int out = w * expansion;
                    int hwOut = (hw - 1) / stride + 1; // k = 3 pad 1 and k = 1 pad 0 alike
                    if (bottleneck) {
                        conv(acc, in, w, 1, hw);
                        bn(acc, w);
                        conv(acc, w, w, 3, hwOut);
                        bn(acc, w);
                        conv(acc, w, out, 1, hwOut);
                        bn(acc, out);
                    } else {
                        conv(acc, in, w, 3, hwOut);
                        bn(acc, w);
                        conv(acc, w, w, 3, hwOut);
                        bn(acc, w);
                    }
                    if (stride != 1 || in != out) {
                        conv(acc, in, out, 1, hwOut);
                        bn(acc, out);
                    }
                    in = out;
                    hw = hwOut;
                }
            }
            acc[0] += (long) in * classes + classes;
            acc[1] += (long) in * classes;
        }

        private static void conv(long[] acc, int in, int out, int k, int hwOut) {
            acc[0] += (long) in * out * k * k;
            acc[1] += (long) in * out * k * k * hwOut * hwOut;
        }

        private static void bn(long[] acc, int c) {
            acc[0] += 2L * c;
        }
    }
}
