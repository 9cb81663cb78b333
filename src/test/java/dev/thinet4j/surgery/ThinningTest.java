package dev.thinet4j.surgery;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Removing channels must equal keeping them while forcing their activations to zero where the
 * consumers read them (done here independently, by zeroing the consumers' input weights).
 */
class ThinningTest {

    /** The masked reference: same shapes, consumer weights of removed channels zeroed. */
    static Network masked(Network net, ChannelGroup group, int[] removed) {
        Map<String, Node> repl = new HashMap<>();
        for (Member m : group.consumers()) {
            Node n = net.node(m.node());
            if (n.op() instanceof Op.Conv c) {
                float[] w = c.weight().data();
                int[] s = c.weight().shape();
                int kk = s[2] * s[3];
                for (int o = 0; o < s[0]; o++) {
                    for (int r : removed) {
                        java.util.Arrays.fill(w, (o * s[1] + m.offset() + r) * kk, (o * s[1] + m.offset() + r + 1) * kk, 0f);
                    }
                }
                repl.put(n.name(), n.withOp(c.withWeights(Tensor.of(w, s), c.bias())));
            } else {
                Op.Linear l = (Op.Linear) n.op();
                int block = ((Member.ConsumerLinear) m).blockSize();
                float[] w = l.weight().data();
                int in = l.inFeatures();
                for (int o = 0; o < l.outFeatures(); o++) {
                    for (int r : removed) {
                        java.util.Arrays.fill(w, o * in + (m.offset() + r) * block, o * in + (m.offset() + r + 1) * block, 0f);
                    }
                }
                repl.put(n.name(), n.withOp(new Op.Linear(Tensor.of(w, l.weight().shape()), l.bias())));
            }
        }
        return net.replace(repl);
    }

    static int[] randomRemoval(int channels, Random r) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < channels; i++) {
            all.add(i);
        }
        java.util.Collections.shuffle(all, r);
        int k = 1 + r.nextInt(channels - 1);
        return all.subList(0, k).stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    private static void assertThinEqualsMasked(Network net, String conv, int[] removed) {
        ChannelGroup group = new DependencyGraph(net).groupOf(conv);
        Network thin = Thinning.remove(net, group, removed);
        Network mask = masked(net, group, removed);
        float[] x = Forward.images(net, 3, 11);
        float[] a = Forward.run(thin, x, 3);
        float[] b = Forward.run(mask, x, 3);
        assertThat(Forward.relError(a, b)).as("thinned vs masked for %s removing %s", conv,
                java.util.Arrays.toString(removed)).isLessThanOrEqualTo(1e-5);
        // really thinner: the producer has fewer filters
        Op.Conv after = (Op.Conv) thin.node(group.producers().get(0)).op();
        assertEquals(group.channels() - removed.length, after.outChannels());
    }

    @Property(tries = 12)
    void removingEqualsZeroingForEveryPrunableConv(@ForAll @IntRange(min = 0, max = 1000) int seed,
                                                   @ForAll @IntRange(min = 0, max = 2) int which) {
        Network net = switch (which) {
            case 0 -> TestNets.vggLike(seed);
            case 1 -> TestNets.residual(seed);
            default -> TestNets.concatDepthwise(seed);
        };
        Random r = new Random(seed);
        for (String conv : new DependencyGraph(net).prunableConvs()) {
            ChannelGroup g = new DependencyGraph(net).groupOf(conv);
            assertThinEqualsMasked(net, conv, randomRemoval(g.channels(), r));
        }
    }

    @Test
    void shapesShrinkEverywhereTheGroupAppears() {
        Network net = TestNets.vggLike(5);
        ChannelGroup g = new DependencyGraph(net).groupOf("conv3");
        Network thin = Thinning.keep(net, g, new int[]{0, 2, 5});
        assertArrayEquals(new int[]{3, 8, 3, 3}, ((Op.Conv) thin.node("conv3").op()).weight().shape());
        assertEquals(3, ((Op.BatchNorm) thin.node("bn3").op()).channels());
        assertArrayEquals(new int[]{16, 27}, ((Op.Linear) thin.node("fc1").op()).weight().shape());
        // the kept columns are the blocks of channels 0, 2, 5, in order
        Tensor before = ((Op.Linear) net.node("fc1").op()).weight();
        Tensor after = ((Op.Linear) thin.node("fc1").op()).weight();
        assertEquals(before.at(4, 2 * 9 + 3), after.at(4, 9 + 3));
        assertEquals(before.at(7, 5 * 9 + 8), after.at(7, 2 * 9 + 8));
    }

    @Test
    void keepingEveryChannelReturnsTheSameNetwork() {
        Network net = TestNets.residual(1);
        ChannelGroup g = new DependencyGraph(net).groupOf("b1.conv1");
        assertSame(net, Thinning.keep(net, g, new int[]{0, 1, 2, 3, 4, 5}));
    }

    @Test
    void refusesToRemoveEveryChannelOrBadIndices() {
        Network net = TestNets.vggLike(1);
        ChannelGroup g = new DependencyGraph(net).groupOf("conv1");
        PruningException e = assertThrows(PruningException.class, () -> Thinning.keep(net, g, new int[0]));
        assertThat(e.getMessage()).contains("every channel").contains("conv1");
        e = assertThrows(PruningException.class, () -> Thinning.keep(net, g, new int[]{0, 8}));
        assertThat(e.getMessage()).contains("8").contains("[0, 8)");
        e = assertThrows(PruningException.class, () -> Thinning.keep(net, g, new int[]{1, 1}));
        assertThat(e.getMessage()).contains("twice");
    }
}
