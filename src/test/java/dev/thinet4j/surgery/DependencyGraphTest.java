package dev.thinet4j.surgery;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DependencyGraphTest {

    @Test
    void chainGroupHasProducerBnAndConsumer() {
        DependencyGraph g = new DependencyGraph(TestNets.vggLike(1));
        ChannelGroup group = g.groupOf("conv1");
        assertEquals(List.of("conv1"), group.producers());
        assertEquals(8, group.channels());
        assertEquals(List.of(new Member.ProducerConv("conv1", 0), new Member.BatchNormChannels("bn1", 0),
                new Member.ConsumerConv("conv2", 0)), group.members());
        assertEquals("conv1 => bn1 => conv2", group.describe());
    }

    @Test
    void flattenMapsEachChannelToItsColumnBlock() {
        ChannelGroup group = new DependencyGraph(TestNets.vggLike(1)).groupOf("conv3");
        assertTrue(group.members().contains(new Member.ConsumerLinear("fc1", 0, 9)));
        assertEquals(1, group.consumers().size());
    }

    @Test
    void residualAddCouplesEveryProducerOfTheStage() {
        DependencyGraph g = new DependencyGraph(TestNets.residual(2));
        ChannelGroup inner = g.groupOf("b1.conv1");
        assertEquals(List.of("b1.conv1"), inner.producers());
        assertEquals(List.of(new Member.ConsumerConv("b1.conv2", 0)), inner.consumers());

        ChannelGroup stage = g.groupOf("b1.conv2");
        assertEquals(List.of("stem", "b1.conv2"), stage.producers());
        assertTrue(stage.isCoupled());
        // the stage's channels are read by the next block's conv1 and its projection shortcut
        assertThat(stage.consumers()).containsExactlyInAnyOrder(new Member.ConsumerConv("b1.conv1", 0),
                new Member.ConsumerConv("b2.conv1", 0), new Member.ConsumerConv("b2.down", 0));
        assertEquals(stage, g.groupOf("stem"));

        ChannelGroup last = g.groupOf("b2.down");
        assertEquals(List.of("b2.conv2", "b2.down"), last.producers());
        assertThat(last.consumers()).containsExactly(new Member.ConsumerLinear("fc", 0, 1));
    }

    @Test
    void concatShiftsOffsetsAndDepthwiseCarriesChannelsThrough() {
        DependencyGraph g = new DependencyGraph(TestNets.concatDepthwise(3));
        ChannelGroup b = g.groupOf("b");
        assertThat(b.members()).contains(new Member.BatchNormChannels("cat_bn", 5),
                new Member.DepthwiseConv("dw", 5), new Member.BatchNormChannels("dw_bn", 5),
                new Member.ConsumerConv("pw", 5));
        ChannelGroup a = g.groupOf("a");
        assertThat(a.members()).contains(new Member.DepthwiseConv("dw", 0), new Member.ConsumerConv("pw", 0));
    }

    @Test
    void refusesTheLayerThatWritesTheOutputWidthAndNonConvs() {
        Network net = TestNets.concatDepthwise(3);
        DependencyGraph g = new DependencyGraph(net);
        PruningException e = assertThrows(PruningException.class, () -> g.groupOf("dw"));
        assertThat(e.getMessage()).contains("'dw'").contains("groups=8");
        assertThrows(PruningException.class, () -> g.groupOf("cat_bn"));
        assertThat(g.prunableConvs()).containsExactly("a", "b", "pw");
    }

    @Test
    void refusesChannelsThatReachTheNetworkOutput() {
        java.util.Random r = new java.util.Random(4);
        Network net = Network.builder("head").input("input", 2, 5, 5)
                .add("c1", TestNets.conv(r, 2, 3, 3, 1, 1), "input")
                .add("c2", TestNets.conv(r, 3, 4, 3, 1, 1), "c1")
                .output("c2").build();
        PruningException e = assertThrows(PruningException.class, () -> new DependencyGraph(net).groupOf("c2"));
        assertThat(e.getMessage()).contains("network output 'c2'");
        assertThat(new DependencyGraph(net).prunableConvs()).containsExactly("c1");
        assertTrue(net.node("c1").op() instanceof Op.Conv);
    }
}
