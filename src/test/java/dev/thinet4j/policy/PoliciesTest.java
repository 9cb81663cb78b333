package dev.thinet4j.policy;

import dev.thinet4j.model.Network;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PoliciesTest {

    private static List<String> layers(List<LayerPlan> plan) {
        return plan.stream().map(LayerPlan::layer).toList();
    }

    @Test
    void resnetPolicyPrunesOnlyConvsInsideBlocks() {
        Network net = TestNets.residual(1);
        List<LayerPlan> plan = Policies.resnet(0.5).plan(net);
        assertEquals(List.of("b1.conv1", "b2.conv1"), layers(plan));
        assertThat(plan).allMatch(p -> p.ratio() == 0.5);
    }

    @Test
    void residualBlocksAreFoundFromAddNodes() {
        List<ResidualBlocks.Block> blocks = ResidualBlocks.find(TestNets.residual(1));
        assertEquals(2, blocks.size());
        assertEquals("stem_relu", blocks.get(0).input());
        assertThat(blocks.get(0).interior()).containsExactlyInAnyOrder("b1.conv1", "b1.bn1", "b1.relu1", "b1.conv2",
                "b1.bn2");
        assertEquals("b1.relu", blocks.get(1).input());
        assertThat(blocks.get(1).interior()).contains("b2.down", "b2.conv1", "b2.conv2");
    }

    @Test
    void resnetPolicyRefusesNetworksWithoutBlocks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.resnet(0.5).plan(TestNets.vggLike(1)));
        assertThat(e.getMessage()).contains("no residual blocks");
    }

    @Test
    void uniformTakesOneConvPerCoupledGroup() {
        assertEquals(List.of("stem", "b1.conv1", "b2.conv1", "b2.conv2"),
                layers(Policies.uniform(0.3).plan(TestNets.residual(1))));
        assertEquals(List.of("conv1", "conv2", "conv3"), layers(Policies.uniform(0.3).plan(TestNets.vggLike(1))));
    }

    @Test
    void vggPolicySkipsTheLastThreeConvs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.vgg(0.5).plan(TestNets.vggLike(1)));
        assertThat(e.getMessage()).contains("only 3 convs");
    }

    @Test
    void csvPolicyReadsRatiosAndRejectsUnknownLayers(@TempDir Path dir) throws IOException {
        Path ok = dir.resolve("ok.csv");
        Files.writeString(ok, "layer,ratio\nconv2,0.25\nconv1,0.5\n");
        List<LayerPlan> plan = Policies.csv(ok).plan(TestNets.vggLike(1));
        assertEquals(List.of(new LayerPlan("conv1", 0.5), new LayerPlan("conv2", 0.25)), plan);

        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "layer,ratio\nconv9,0.5\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.csv(bad).plan(TestNets.vggLike(1)));
        assertThat(e.getMessage()).contains("'conv9' is not a node").contains("prunable layers: conv1, conv2, conv3");

        Path ratio = dir.resolve("ratio.csv");
        Files.writeString(ratio, "layer,ratio\nconv1,1.0\n");
        e = assertThrows(IllegalArgumentException.class, () -> Policies.csv(ratio));
        assertThat(e.getMessage()).contains("line 2").contains("[0, 1)");

        Path header = dir.resolve("header.csv");
        Files.writeString(header, "name,r\nconv1,0.5\n");
        e = assertThrows(IllegalArgumentException.class, () -> Policies.csv(header));
        assertThat(e.getMessage()).contains("layer,ratio");
    }

    @Test
    void parseKnowsTheCliNames() {
        assertEquals("vgg", Policies.parse("vgg", 0.5).name());
        assertThrows(IllegalArgumentException.class, () -> Policies.parse("mobilenet", 0.5));
        assertThrows(IllegalArgumentException.class, () -> new LayerPlan("x", 1.0));
    }
}
