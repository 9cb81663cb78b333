package dev.thinet4j.reliability;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.LeastSquares;
import dev.thinet4j.reconstruction.LeastSquaresSolution;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.selection.Criterion;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static dev.thinet4j.reliability.Reliability.conv;
import static dev.thinet4j.reliability.Reliability.gaussian;
import static dev.thinet4j.reliability.Reliability.images;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Singular least-squares systems — duplicated channels, dead channels, constant calibration images —
 * must fall back (pseudo-inverse / ridge) and finish with finite weights, never fail.
 */
class DegenerateReconstructionTest {

    /**
     * conv1 (1→6): channels 0, 1, 2 are one filter, 3 and 4 another (4 = 2 × 3), 5 is dead (zero weights,
     * negative bias, so ReLU gives 0). conv2 reads them all; whatever is kept, XᵀX is singular.
     */
    static Network degenerate() {
        Random r = new Random(21);
        float[] f = gaussian(r, 0.5f, 9).data();
        float[] g = gaussian(r, 0.5f, 9).data();
        float[] w = new float[6 * 9];
        float[] b = {0.1f, 0.1f, 0.1f, 0.05f, 0.1f, -1f};
        for (int k = 0; k < 9; k++) {
            w[k] = f[k];
            w[9 + k] = f[k];
            w[18 + k] = f[k];
            w[27 + k] = g[k];
            w[36 + k] = 2 * g[k];
            w[45 + k] = 0f;
        }
        Op.Conv conv1 = new Op.Conv(Tensor.of(w, 6, 1, 3, 3), Tensor.of(b, 6), Hw.of(1), Padding.of(1), Hw.of(1), 1);
        return Network.builder("degenerate").input("input", 1, 8, 8)
                .add("conv1", conv1, "input")
                .add("relu1", new Op.Relu(), "conv1")
                .add("conv2", conv(r, 6, 4), "relu1")
                .add("relu2", new Op.Relu(), "conv2")
                .add("gap", new Op.GlobalAvgPool(), "relu2")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", new Op.Linear(gaussian(r, 0.4f, 3, 4), gaussian(r, 0.1f, 3)), "flatten")
                .output("fc")
                .build();
    }

    private static PruningResult prune(Network net, float[] x, int n, Criterion criterion, Reconstruction recon,
                                       double ratio) {
        PrunerConfig config = PrunerConfig.builder().criterion(criterion).reconstruction(recon).images(n)
                .pointsPerImage(4).seed(3).build();
        try (ImageSource source = ImageSources.fromArray(x, n, 1, 8, 8, null)) {
            return new ThiNetPruner(config).prune(net, conv1Only(ratio), source);
        }
    }

    private static PruningPolicy conv1Only(double ratio) {
        return new PruningPolicy() {
            @Override
            public List<LayerPlan> plan(Network net) {
                return List.of(new LayerPlan("conv1", ratio));
            }

            @Override
            public String name() {
                return "conv1";
            }
        };
    }

    private static void assertFinite(Network net) {
        for (Node n : net.nodes()) {
            if (n.op() instanceof Op.Conv c) {
                assertAllFinite(n.name(), c.weight());
                if (c.bias() != null) {
                    assertAllFinite(n.name(), c.bias());
                }
            } else if (n.op() instanceof Op.Linear l) {
                assertAllFinite(n.name(), l.weight());
            }
        }
    }

    private static void assertAllFinite(String node, Tensor t) {
        for (float v : t.data()) {
            assertThat(Float.isFinite(v)).as("weights of %s are finite", node).isTrue();
        }
    }

    @Test
    void duplicatedAndDeadChannelsFallBackAndFinish() {
        Network net = degenerate();
        for (Criterion c : new Criterion[]{Criterion.THINET, Criterion.L1, Criterion.RANDOM}) {
            for (Reconstruction recon : new Reconstruction[]{Reconstruction.FULL, Reconstruction.SCALE}) {
                PruningResult r = prune(net, images(4, 12, 1, 8, 8), 12, c, recon, 0.5);
                LayerReport conv1 = r.report().layers().get(0);
                assertEquals(6, conv1.channelsBefore());
                assertEquals(3, conv1.channelsAfter());
                assertThat(conv1.residualAfter()).as("%s/%s", c, recon).isFinite();
                // least squares never does worse than keeping the original weights
                assertThat(conv1.residualAfter()).as("%s/%s", c, recon).isLessThanOrEqualTo(conv1.residualBefore() + 1e-6);
                assertFinite(r.network());
            }
        }
    }

    @Test
    void constantCalibrationImagesFinish() {
        // every image is zero: each channel is a constant map, so the features are collinear
        PruningResult r = prune(degenerate(), new float[10 * 64], 10, Criterion.THINET, Reconstruction.FULL, 0.5);
        assertEquals(3, r.report().layers().get(0).channelsAfter());
        assertFinite(r.network());
    }

    @Test
    void singularSystemUsesThePseudoInverse() {
        // XᵀX of two identical columns: rank 1
        DMatrixRMaj xtx = new DMatrixRMaj(new double[][]{{4, 4}, {4, 4}});
        DMatrixRMaj xty = new DMatrixRMaj(new double[][]{{2}, {2}});
        LeastSquaresSolution s = LeastSquares.solve(xtx, xty, 1.0, 0);
        assertEquals(LeastSquares.PINV, s.method());
        // minimum-norm solution splits the weight evenly
        assertEquals(0.25, s.weights().get(0, 0), 1e-12);
        assertEquals(0.25, s.weights().get(1, 0), 1e-12);
        assertThat(s.sse()).isFinite();
        // an all-zero system has the zero solution
        LeastSquaresSolution z = LeastSquares.solve(new DMatrixRMaj(3, 3), new DMatrixRMaj(3, 2), 0, 0);
        assertThat(z.weights().getData()).containsOnly(0.0);
    }
}
