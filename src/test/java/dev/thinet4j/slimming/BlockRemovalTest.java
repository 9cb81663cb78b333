package dev.thinet4j.slimming;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Removing a block y = relu(x + F(x)) must equal the same network with the branch silenced (γ = β = 0
 * in the BN after the block's last conv), and the weakest blocks by mean |γ| must go first.
 */
class BlockRemovalTest {

    /** Four identity blocks; the last BN of block i gets |γ| = scale_i·(1 + 0.1c) with alternating signs. */
    static Network fourBlocks() {
        Network net = SlimNets.residualPointwise(5, 4);
        double[] scale = {0.2, 1.0, 0.1, 0.5};
        for (int i = 0; i < 4; i++) {
            double s = scale[i];
            net = SlimNets.withBn(net, "b" + (i + 1) + ".bn2", c -> (c % 2 == 0 ? 1 : -1) * s * (1 + 0.1 * c), null);
        }
        return net;
    }

    static Network silenced(Network net, String... bns) {
        for (String bn : bns) {
            net = SlimNets.withBn(net, bn, c -> 0, c -> 0);
        }
        return net;
    }

    @Test
    void theWeakestBlocksGoAndTheNetworkEqualsOneWithSilencedBranches() {
        Network net = fourBlocks();
        List<BlockScore> cands = BlockRemoval.candidates(net);
        assertEquals(List.of("b3.add", "b1.add", "b4.add", "b2.add"), cands.stream().map(BlockScore::add).toList());
        // mean over c = 0..7 of 0.1·(1 + 0.1c) = 0.1·1.35
        assertEquals(0.135, cands.get(0).meanAbsGamma(), 1e-6);
        assertEquals("b3.bn2", cands.get(0).batchNorm());
        assertEquals("b2.relu", cands.get(0).input());
        assertEquals(List.of("b3.conv1", "b3.bn1", "b3.act1", "b3.conv2", "b3.bn2"), cands.get(0).interior());

        BlockRemovalResult r = BlockRemoval.removeWeakest(net, 2);
        assertEquals(List.of("b3.add", "b1.add"), r.removed().stream().map(BlockScore::add).toList());
        Network out = r.network();
        assertThat(out.nodes()).extracting(Node::name).noneMatch(n -> n.startsWith("b1.") || n.startsWith("b3."));
        assertEquals(List.of("stem_relu", "stem_relu"), List.of(out.node("b2.conv1").input(), out.node("b2.add").inputs().get(1)));
        assertEquals("b2.relu", out.node("b4.conv1").input());
        assertEquals(2, out.nodesOf(Op.Add.class).size());

        float[] x = Forward.images(net, 3, 1);
        assertThat(Forward.relError(Forward.run(out, x, 3), Forward.run(silenced(net, "b3.bn2", "b1.bn2"), x, 3)))
                .isLessThanOrEqualTo(1e-5);
    }

    @Test
    void projectionShortcutsAreNoCandidatesAndAskingTooMuchIsAnError() {
        Network net = TestNets.residual(3);
        assertEquals(List.of("b1.add"), BlockRemoval.candidates(net).stream().map(BlockScore::add).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlockRemoval.removeWeakest(net, 2));
        assertThat(e.getMessage()).contains("cannot remove 2").contains("only 1").contains("b1.add");
        assertThat(assertThrows(IllegalArgumentException.class, () -> BlockRemoval.removeWeakest(net, -1)).getMessage())
                .contains(">= 0");
        BlockRemovalResult none = BlockRemoval.removeWeakest(net, 0);
        assertSame(net, none.network());
        assertTrue(none.removed().isEmpty());

        Network one = BlockRemoval.removeWeakest(net, 1).network();
        float[] x = Forward.images(net, 2, 4);
        assertThat(Forward.relError(Forward.run(one, x, 2), Forward.run(silenced(net, "b1.bn2"), x, 2)))
                .isLessThanOrEqualTo(1e-5);
    }

    @Test
    void slimmingCanRemoveBlocksFirst() {
        Network net = fourBlocks();
        SlimmingResult r = NetworkSlimming.slim(net, SlimmingConfig.builder().removeBlocks(3).globalPercent(0.2).build());
        assertEquals(List.of("b3.add", "b1.add", "b4.add"), r.removedBlocks().stream().map(BlockScore::add).toList());
        assertEquals(1, r.network().nodesOf(Op.Add.class).size());
        assertThat(r.after().totalParams()).isLessThan(r.before().totalParams());
        assertEquals(net.nodesOf(Op.BatchNorm.class).size() - 6, r.network().nodesOf(Op.BatchNorm.class).size());
    }
}
