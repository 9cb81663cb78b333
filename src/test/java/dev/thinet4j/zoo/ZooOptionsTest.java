package dev.thinet4j.zoo;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZooOptionsTest {

    @Test
    void sameSeedGivesIdenticalWeightsAndDifferentSeedsDiffer() {
        for (ZooOptions.Builder opts : List.of(ZooOptions.builder(), ZooOptions.randomized(0).toBuilder())) {
            Network a = ResNet.small28Bottleneck(opts.seed(7).build());
            Network b = ResNet.small28Bottleneck(opts.seed(7).build());
            Network c = ResNet.small28Bottleneck(opts.seed(8).build());
            for (int i = 0; i < a.nodes().size(); i++) {
                List<Tensor> ta = tensors(a.nodes().get(i));
                assertEquals(ta, tensors(b.nodes().get(i)), a.nodes().get(i).name());
            }
            for (Node n : a.nodesOf(Op.Conv.class)) {
                assertNotEquals(((Op.Conv) n.op()).weight(), ((Op.Conv) c.node(n.name()).op()).weight(), n.name());
            }
            for (Node n : a.nodesOf(Op.Linear.class)) {
                assertNotEquals(tensors(n), tensors(c.node(n.name())), n.name());
            }
        }
        Network v1 = Vgg.small28(ZooOptions.seeded(1));
        Network v2 = Vgg.small28(ZooOptions.seeded(1));
        Network v3 = Vgg.small28(ZooOptions.seeded(2));
        assertEquals(tensors(v1.node("fc6")), tensors(v2.node("fc6")));
        assertNotEquals(tensors(v1.node("fc6")), tensors(v3.node("fc6")));
    }

    @Test
    void layersOfOneNetworkDrawFromDifferentStreams() {
        Network net = Vgg.small28(ZooOptions.seeded(5));
        float first11 = ((Op.Conv) net.node("conv1_2").op()).weight().get(0);
        float first12 = ((Op.Conv) net.node("conv2_2").op()).weight().get(0);
        assertNotEquals(first11, first12);
    }

    @Test
    void weightsDependOnSeedAndNameOnlyNotOnOtherLayers() {
        // adding BN layers must not change the conv or FC weights
        Network plain = Vgg.small28(ZooOptions.seeded(11));
        Network withBn = Vgg.build(VggConfig.small28().toBuilder().batchNorm(true).build(), ZooOptions.seeded(11));
        for (Node n : plain.nodesOf(Op.Conv.class)) {
            assertEquals(((Op.Conv) n.op()).weight(), ((Op.Conv) withBn.node(n.name()).op()).weight());
        }
        assertEquals(tensors(plain.node("fc7")), tensors(withBn.node("fc7")));
    }

    @Test
    void neighbouringSeedsAreNotShiftedCopies() {
        float[] a = ((Op.Linear) Vgg.small28(ZooOptions.seeded(1)).node("fc7").op()).weight().data();
        float[] b = ((Op.Linear) Vgg.small28(ZooOptions.seeded(2)).node("fc7").op()).weight().data();
        for (int shift = -3; shift <= 3; shift++) {
            int same = 0;
            for (int i = Math.max(0, -shift); i < a.length && i + shift < b.length; i++) {
                same += a[i] == b[i + shift] ? 1 : 0;
            }
            assertTrue(same < 5, "seed 2 repeats seed 1 shifted by " + shift);
        }
    }

    /** Kaiming-normal, fan-out mode: mean 0, standard deviation √(2 / (C_out·k·k)). */
    @Test
    void convolutionWeightsHaveKaimingStatistics() {
        Network net = ResNet.small28Bottleneck(ZooOptions.seeded(3));
        Op.Conv conv = (Op.Conv) net.node("layer3.1.conv2").op(); // 64×64×3×3 = 36,864 weights
        float[] w = conv.weight().data();
        double sum = 0;
        double sq = 0;
        double fourth = 0;
        for (float v : w) {
            sum += v;
            sq += (double) v * v;
            fourth += Math.pow(v, 4);
        }
        double expectedStd = Math.sqrt(2.0 / (64 * 9));
        double mean = sum / w.length;
        double var = sq / w.length;
        assertEquals(0, mean / expectedStd, 0.03);
        assertEquals(1, Math.sqrt(var) / expectedStd, 0.02);
        // Gaussian kurtosis is 3 (a uniform would give 1.8)
        assertEquals(3, fourth / w.length / (var * var), 0.15);
    }

    @Test
    void linearWeightsAreUniformWithinOneOverSqrtFanIn() {
        Op.Linear fc = (Op.Linear) Vgg.small28(ZooOptions.seeded(4)).node("fc6").op(); // 128×576
        double bound = 1 / Math.sqrt(576);
        double sq = 0;
        float max = 0;
        for (float v : fc.weight().data()) {
            assertTrue(Math.abs(v) <= bound);
            sq += (double) v * v;
            max = Math.max(max, Math.abs(v));
        }
        assertEquals(bound * bound / 3, sq / fc.weight().size(), bound * bound / 3 * 0.03);
        assertTrue(max > 0.99 * bound);
        for (float v : fc.bias().data()) {
            assertTrue(Math.abs(v) <= bound);
        }
    }

    @Test
    void batchNormInitialisationFollowsTheOption() {
        Op.BatchNorm identity = (Op.BatchNorm) ResNet.small28Basic().node("layer2.0.bn1").op();
        assertEquals(Tensor.filled(1f, 32), identity.scale());
        assertEquals(Tensor.zeros(32), identity.bias());
        assertEquals(Tensor.zeros(32), identity.mean());
        assertEquals(Tensor.filled(1f, 32), identity.var());
        assertEquals(1e-5f, identity.epsilon());

        ZooOptions random = ZooOptions.builder().seed(9).bnInit(BnInit.RANDOM).bnEpsilon(1e-3f).build();
        Op.BatchNorm bn = (Op.BatchNorm) ResNet.small28Basic(random).node("layer2.0.bn1").op();
        assertEquals(1e-3f, bn.epsilon());
        assertWithin(bn.scale(), 0.5f, 1.5f);
        assertWithin(bn.bias(), -0.1f, 0.1f);
        assertWithin(bn.mean(), -0.1f, 0.1f);
        assertWithin(bn.var(), 0.5f, 1.5f);
        assertNotEquals(bn.scale(), bn.var());
        assertNotEquals(bn.bias(), bn.mean());
        assertTrue(distinct(bn.scale()) > 30, "scales are spread, not constant");
    }

    @Test
    void optionsValidateAndRoundTrip() {
        ZooOptions o = ZooOptions.randomized(42);
        assertEquals(new ZooOptions(42, BnInit.RANDOM, BiasInit.UNIFORM, ZooOptions.DEFAULT_BN_EPSILON), o);
        assertEquals(o, o.toBuilder().build());
        assertEquals(new ZooOptions(0, BnInit.IDENTITY, BiasInit.ZERO, 1e-5f), ZooOptions.defaults());
        assertThrows(IllegalArgumentException.class, () -> ZooOptions.builder().bnEpsilon(0).build());
        assertThrows(NullPointerException.class, () -> ZooOptions.builder().bnInit(null).build());
    }

    private static void assertWithin(Tensor t, float lo, float hi) {
        for (float v : t.data()) {
            assertTrue(v >= lo && v <= hi, v + " outside [" + lo + ", " + hi + "]");
        }
    }

    private static long distinct(Tensor t) {
        float[] d = t.data();
        return java.util.stream.IntStream.range(0, d.length).mapToObj(i -> d[i]).distinct().count();
    }

    private static List<Tensor> tensors(Node n) {
        if (n.op() instanceof Op.Conv c) {
            return c.bias() == null ? List.of(c.weight()) : List.of(c.weight(), c.bias());
        }
        if (n.op() instanceof Op.Linear l) {
            return List.of(l.weight(), l.bias());
        }
        if (n.op() instanceof Op.BatchNorm b) {
            return List.of(b.scale(), b.bias(), b.mean(), b.var());
        }
        return List.of();
    }
}
