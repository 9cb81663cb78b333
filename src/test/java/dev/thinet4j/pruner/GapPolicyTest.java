package dev.thinet4j.pruner;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.head.GapHeadOptions;
import dev.thinet4j.head.GapHeadResult;
import dev.thinet4j.head.HeadInit;
import dev.thinet4j.head.HeadReplacement;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code vgg-gap} policy (ThiNet-GAP) through {@link ThiNetPruner}. */
class GapPolicyTest {
    private static final PrunerConfig CONFIG = PrunerConfig.builder().images(60).pointsPerImage(8).batchSize(16)
            .seed(2).build();

    private static ImageSource calibration(Network net, int n) {
        var in = net.input();
        return ImageSources.fromArray(Forward.images(net, n, 17), n, in.channels(), in.height(), in.width(), null);
    }

    @Test
    void replacesTheHeadBeforePruningTheVggLayersAndRecordsIt() {
        Network net = TestNets.vggDeep(1);
        PruningResult gap;
        PruningResult plain;
        PruningResult reference;
        GapHeadResult head;
        try (ImageSource calib = calibration(net, 120)) {
            gap = new ThiNetPruner(CONFIG).prune(net, Policies.vggGap(0.5), calib);
            plain = new ThiNetPruner(CONFIG).prune(net, Policies.vgg(0.5), calib);
            // what the pruner must do: the head first (its own seed and batch size), then the vgg plan on it
            head = HeadReplacement.toGapHead(net, calib, GapHeadOptions.DEFAULTS, CONFIG.seed(), CONFIG.batchSize());
            reference = new ThiNetPruner(CONFIG).prune(head.network(), Policies.vgg(0.5), calib);
        }
        Network out = gap.network();
        assertThat(out.findNode("fc1")).isEmpty();
        assertThat(out.findNode("drop")).isEmpty();
        assertThat(out.node("gap").op()).isInstanceOf(Op.GlobalAvgPool.class);
        assertThat(out.node("gap").inputs()).containsExactly("pool5");
        Op.Linear fc = (Op.Linear) out.node("fc2").op();
        assertThat(fc.weight().shape()).containsExactly(5, 10);
        assertThat(out.outputs()).containsExactly("fc2");

        // the vgg plan: all convs but the last three, halved
        assertThat(gap.report().layers()).extracting(LayerReport::layer).containsExactly("conv1", "conv2");
        assertThat(gap.report().layers()).allSatisfy(l -> assertThat(l.channelsAfter()).isEqualTo(4));

        // identical to replacing the head first and pruning that network with plain vgg
        assertThat(out.nodes()).extracting(Node::name)
                .isEqualTo(reference.network().nodes().stream().map(Node::name).toList());
        for (Node n : out.nodes()) {
            assertThat(n.op()).as(n.name()).isEqualTo(reference.network().node(n.name()).op());
        }
        assertThat(fc).isEqualTo(head.network().node("fc2").op());

        // provenance and totals: "before" is the original network with its FC head
        assertThat(gap.report().provenance()).containsEntry("policy", "vgg-gap")
                .containsEntry("head", "gap: flatten,fc1,relu_fc1,drop,fc2 -> gap,flatten,fc2 (Linear 10->5)")
                .containsEntry("head_init", "least-squares").containsEntry("head_images", "120")
                .containsKeys("head_ridge", "head_residual");
        assertThat(Double.parseDouble(gap.report().provenance().get("head_residual"))).isBetween(0.0, 1.0);
        assertThat(gap.report().paramsBefore()).isEqualTo(ModelSize.of(net).totalParams());
        long oldHead = 90 * 16 + 16 + 16 * 5 + 5;
        long newHead = 10 * 5 + 5;
        assertThat(gap.report().paramsAfter()).isEqualTo(plain.report().paramsAfter() - oldHead + newHead);
        assertThat(gap.report().macsAfter()).isEqualTo(plain.report().macsAfter() - (90 * 16 + 16 * 5) + 10 * 5);
        assertThat(gap.report().summary()).contains("head gap: flatten,fc1,relu_fc1,drop,fc2 -> gap,flatten,fc2");
        assertThat(plain.report().provenance()).doesNotContainKey("head");
        assertThat(plain.report().summary()).doesNotContain("head ");
    }

    @Test
    void policyParsingAndOptions() {
        PruningPolicy p = Policies.parse("vgg-gap", 0.3);
        assertThat(p.name()).isEqualTo("vgg-gap");
        assertThat(p.gapHead()).contains(GapHeadOptions.DEFAULTS);
        assertThat(Policies.parse("vgg", 0.3).gapHead()).isEmpty();
        assertThat(Policies.vggGap(0.5, GapHeadOptions.DEFAULTS.withInit(HeadInit.ZERO)).gapHead().orElseThrow().init())
                .isEqualTo(HeadInit.ZERO);
        assertThat(p.plan(TestNets.vggDeep(1))).isEqualTo(Policies.vgg(0.3).plan(TestNets.vggDeep(1)));
        assertThatThrownBy(() -> Policies.parse("vgg-gapp", 0.3)).hasMessageContaining("vgg-gap");
        assertThatThrownBy(() -> p.plan(TestNets.vggLike(1))).hasMessageContaining("policy 'vgg-gap'");
    }

    @Test
    void aNetworkWithoutAFullyConnectedHeadIsRefusedNamingTheNode() {
        Network full = TestNets.vggDeep(1);
        var b = Network.builder("headless").input("input", 3, 12, 12);
        for (Node n : full.nodes()) {
            if (n.name().equals("flatten")) {
                break;
            }
            b.add(n);
        }
        Network headless = b.build();
        assertThat(headless.outputs()).containsExactly("pool5");
        try (ImageSource calib = calibration(headless, 70)) {
            assertThatThrownBy(() -> new ThiNetPruner(CONFIG).prune(headless, Policies.vggGap(0.5), calib))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'headless'")
                    .hasMessageContaining("'pool5' (MaxPool)");
        }
    }
}
