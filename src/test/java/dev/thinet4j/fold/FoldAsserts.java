package dev.thinet4j.fold;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared helpers of the fold tests: random ops and the exactness check through InferenceEngine. */
final class FoldAsserts {
    static final double TOL = 1e-5;

    private FoldAsserts() {
    }

    /** A conv with N(0, 2/fan_in) weights and, when asked, an N(0, 0.3) bias. */
    static Op.Conv conv(Random r, int cin, int cout, int kh, int kw, Hw strides, Padding pads, Hw dil, int groups,
                        boolean bias) {
        float scale = (float) Math.sqrt(2.0 / (cin / groups * kh * kw));
        return new Op.Conv(TestNets.rand(r, scale, cout, cin / groups, kh, kw), bias ? TestNets.rand(r, 0.3f, cout) : null,
                strides, pads, dil, groups);
    }

    /** BN with scale and var in [0.5, 1.5], shift and mean N(0, 0.3). */
    static Op.BatchNorm bn(Random r, int c) {
        return new Op.BatchNorm(TestNets.uniform(r, 0.5f, 1.5f, c), TestNets.rand(r, 0.3f, c), TestNets.rand(r, 0.3f, c),
                TestNets.uniform(r, 0.5f, 1.5f, c), 1e-5f);
    }

    /** Runs both networks on the same seeded images; fails when the relative error exceeds {@link #TOL}. */
    static double assertSameFunction(Network original, Network rewritten, long seed) {
        float[] x = Forward.images(original, 2, seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = 2 * x[i] - 1; // [-1, 1): negative inputs too
        }
        float[] a = Forward.run(original, x, 2);
        float[] b = Forward.run(rewritten, x, 2);
        double err = Forward.relError(b, a);
        assertTrue(err <= TOL, "rewritten network differs: relative error " + err + "\noriginal " + original.nodes()
                + "\nrewritten " + rewritten.nodes());
        return err;
    }

    /** BatchNorm nodes that read a Conv or Linear output. */
    static long bnAfterLayer(Network net) {
        return net.nodesOf(Op.BatchNorm.class).stream()
                .map(n -> net.producer(n.input()).map(Node::op).orElse(null))
                .filter(op -> op instanceof Op.Conv || op instanceof Op.Linear).count();
    }
}
