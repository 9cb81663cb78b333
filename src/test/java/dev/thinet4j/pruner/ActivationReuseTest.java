package dev.thinet4j.pruner;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Keeping activations between layers (the default) prunes exactly as recomputing every prefix does. */
class ActivationReuseTest {

    private static PruningResult prune(Network net, boolean targetsFromOriginal, long cacheMiB) {
        String key = "thinet4j.activationCacheMiB";
        String before = System.getProperty(key);
        System.setProperty(key, Long.toString(cacheMiB));
        try {
            var in = net.input();
            ImageSource data = ImageSources.fromArray(Forward.images(net, 30, 2), 30, in.channels(), in.height(),
                    in.width(), null);
            PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                    .images(24).pointsPerImage(8).batchSize(5).seed(3).targetsFromOriginal(targetsFromOriginal).build();
            return new ThiNetPruner(config).prune(net, net.name().equals("residual") ? Policies.resnet(0.5)
                    : Policies.uniform(0.5), data);
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    @Test
    void reusedActivationsGiveTheSamePrunedNetwork() {
        for (Network net : new Network[]{TestNets.vggLike(4), TestNets.residual(4)}) {
            for (boolean original : new boolean[]{true, false}) {
                PruningResult cached = prune(net, original, 768);
                PruningResult plain = prune(net, original, 0);
                String what = net.name() + " targetsFromOriginal=" + original;
                assertEquals(plain.network().nodes().size(), cached.network().nodes().size(), what);
                for (Node n : plain.network().nodes()) {
                    Op a = n.op();
                    Op b = cached.network().node(n.name()).op();
                    if (a instanceof Op.Conv ca) {
                        assertArrayEquals(ca.weight().data(), ((Op.Conv) b).weight().data(), 0f, what + " " + n.name());
                    } else if (a instanceof Op.Linear la) {
                        assertArrayEquals(la.weight().data(), ((Op.Linear) b).weight().data(), 0f, what + " " + n.name());
                    }
                }
                for (int i = 0; i < plain.report().layers().size(); i++) {
                    LayerReport p = plain.report().layers().get(i);
                    LayerReport c = cached.report().layers().get(i);
                    assertArrayEquals(p.kept(), c.kept(), what + " " + p.layer());
                    assertEquals(p.residualAfter(), c.residualAfter(), 0.0, what + " " + p.layer());
                }
            }
        }
    }
}
