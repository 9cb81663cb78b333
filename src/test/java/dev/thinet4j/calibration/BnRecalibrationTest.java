package dev.thinet4j.calibration;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BnRecalibrationTest {
    private static final int N = 23;

    private static ImageSource data(Network net, int n, long seed) {
        var in = net.input();
        return ImageSources.fromArray(Forward.images(net, n, seed), n, in.channels(), in.height(), in.width(), null);
    }

    /** Scales every conv's weights so that the stored BN statistics are wrong, as after pruning. */
    private static Network perturbed(Network net) {
        Map<String, Node> repl = new HashMap<>();
        for (Node n : net.nodesOf(Op.Conv.class)) {
            Op.Conv c = (Op.Conv) n.op();
            float[] w = c.weight().data();
            for (int i = 0; i < w.length; i++) {
                w[i] *= 1.7f;
            }
            repl.put(n.name(), n.withOp(c.withWeights(Tensor.of(w, c.weight().shape()), c.bias())));
        }
        return net.replace(repl);
    }

    /** Brute force: per channel mean and population variance of a BN's input over all images, two passes, float64. */
    private static double[][] inputMoments(Network net, String bn, float[] images, int n) {
        String input = net.node(bn).input();
        var in = net.input();
        try (InferenceEngine e = new InferenceEngine(net);
             INDArray x = Nd4j.create(images, new long[]{n, in.channels(), in.height(), in.width()}, 'c');
             INDArray t = e.forward(x, List.of(input)).get(input)) {
            double[] v = t.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            int c = (int) t.size(1);
            int per = (int) (t.length() / n / c);
            double[] mean = new double[c];
            double[] var = new double[c];
            for (int ch = 0; ch < c; ch++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < per; p++) {
                        s += v[(i * c + ch) * per + p];
                    }
                }
                mean[ch] = s / ((double) n * per);
                double q = 0;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < per; p++) {
                        double d = v[(i * c + ch) * per + p] - mean[ch];
                        q += d * d;
                    }
                }
                var[ch] = q / ((double) n * per);
            }
            return new double[][]{mean, var};
        }
    }

    @Test
    void onlyMeanAndVarianceChange() {
        Network net = perturbed(TestNets.residual(3));
        BnRecalibration.Result r = BnRecalibration.recalibrate(net, data(net, N, 1), 8);
        assertTrue(r.recalibrated());
        assertEquals(net.nodesOf(Op.BatchNorm.class).size(), r.batchNorms().size());
        assertEquals(N, r.images());
        Network out = r.network();
        assertEquals(net.nodes().size(), out.nodes().size());
        for (int i = 0; i < net.nodes().size(); i++) {
            Node a = net.nodes().get(i);
            Node b = out.nodes().get(i);
            assertEquals(a.name(), b.name());
            assertEquals(a.inputs(), b.inputs());
            if (a.op() instanceof Op.BatchNorm x) {
                Op.BatchNorm y = (Op.BatchNorm) b.op();
                assertEquals(x.scale(), y.scale());
                assertEquals(x.bias(), y.bias());
                assertEquals(x.epsilon(), y.epsilon());
                assertNotEquals(x.mean(), y.mean(), a.name());
                assertNotEquals(x.var(), y.var(), a.name());
            } else {
                assertEquals(a.op(), b.op(), a.name() + " must be unchanged");
            }
        }
    }

    /**
     * The re-calibrated statistics are a fixed point: every BN's mean and variance equal those of its input in the
     * re-calibrated network itself — which holds only if each BN was measured after every BN before it.
     */
    @Test
    void everyBnMatchesTheMomentsOfItsInputInTheFinalNetwork() {
        for (Network base : List.of(TestNets.vggLike(2), TestNets.residual(4), TestNets.concatDepthwise(5))) {
            Network net = perturbed(base);
            float[] images = Forward.images(net, N, 7);
            var in = net.input();
            Network out = BnRecalibration.recalibrate(net,
                    ImageSources.fromArray(images, N, in.channels(), in.height(), in.width(), null), 5).network();
            for (Node bn : out.nodesOf(Op.BatchNorm.class)) {
                double[][] m = inputMoments(out, bn.name(), images, N);
                Op.BatchNorm op = (Op.BatchNorm) bn.op();
                for (int c = 0; c < op.channels(); c++) {
                    assertEquals(m[0][c], op.mean().get(c), 1e-5 * (1 + Math.abs(m[0][c])), bn.name() + " mean " + c);
                    assertEquals(m[1][c], op.var().get(c), 1e-5 * (1 + m[1][c]), bn.name() + " var " + c);
                }
            }
        }
    }

    @Test
    void independentBnsShareAPassAndBatchSizeDoesNotMatter() {
        Network net = perturbed(TestNets.residual(8));
        // stem_bn; b1.bn1; b1.bn2; b2.bn1 and b2.down_bn (both read b1.relu); b2.bn2
        Map<Integer, List<Node>> passes = BnRecalibration.passes(net);
        assertEquals(5, passes.size());
        assertThat(passes.get(4).stream().map(Node::name).toList()).containsExactly("b2.bn1", "b2.down_bn");
        BnRecalibration.Result a = BnRecalibration.recalibrate(net, data(net, N, 2), 1);
        BnRecalibration.Result b = BnRecalibration.recalibrate(net, data(net, N, 2), 64);
        assertEquals(5, a.passes());
        for (Node bn : a.network().nodesOf(Op.BatchNorm.class)) {
            Op.BatchNorm x = (Op.BatchNorm) bn.op();
            Op.BatchNorm y = (Op.BatchNorm) b.network().node(bn.name()).op();
            for (int c = 0; c < x.channels(); c++) {
                assertEquals(x.mean().get(c), y.mean().get(c), 1e-5 * (1 + Math.abs(x.mean().get(c))));
                assertEquals(x.var().get(c), y.var().get(c), 1e-5 * (1 + x.var().get(c)));
            }
        }
    }

    @Test
    void aFoldedNetworkComesBackUnchanged() {
        Network folded = OnnxImporter.load(Path.of("src/test/resources/fixtures/vgg_bn_fc.onnx"));
        BnRecalibration.Result r = BnRecalibration.recalibrate(folded, data(folded, 2, 1), 2);
        assertFalse(r.recalibrated());
        assertSame(folded, r.network());
        assertTrue(r.batchNorms().isEmpty());
        assertEquals(0, r.passes());
    }

    @Test
    void wrongInputsAreRefused() {
        Network net = TestNets.vggLike(1);
        assertThrows(IllegalArgumentException.class, () -> BnRecalibration.recalibrate(net, data(net, 2, 1), 0));
        ImageSource wrong = ImageSources.fromArray(new float[2 * 3 * 5 * 5], 2, 3, 5, 5, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BnRecalibration.recalibrate(net, wrong, 2));
        assertThat(e.getMessage()).contains("3x12x12");
    }
}
