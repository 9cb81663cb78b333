package dev.thinet4j.training;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.testing.TestNets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Euler's identity for positively homogeneous networks, on random conv configurations: a bias-free
 * net of conv → ReLU → max or average pool → conv → GAP → flatten → linear computes logits z that are
 * homogeneous of degree 1 in the input and in each weight tensor, so ⟨∂L/∂x, x⟩ = ⟨∂L/∂W, W⟩ =
 * ⟨∂L/∂z, z⟩ for every weight tensor W, with ∂L/∂z = (softmax(z) − onehot)/N computed independently here.
 */
class HomogeneityPropertyTest {

    @Property(tries = 25)
    void gradientsSatisfyEulersIdentity(@ForAll @IntRange(min = 1, max = 4) int cin,
                                        @ForAll @IntRange(min = 1, max = 3) int groupsPick,
                                        @ForAll boolean depthwise,
                                        @ForAll @IntRange(min = 1, max = 3) int k,
                                        @ForAll @IntRange(min = 1, max = 2) int stride,
                                        @ForAll @IntRange(min = 0, max = 2) int padTop,
                                        @ForAll @IntRange(min = 0, max = 2) int padRight,
                                        @ForAll @IntRange(min = 1, max = 2) int dilation,
                                        @ForAll boolean maxPool,
                                        @ForAll boolean ceil,
                                        @ForAll long seed) {
        int groups = depthwise ? cin : (cin % groupsPick == 0 ? groupsPick : 1);
        int cout = depthwise ? cin * 2 : groups * 3;
        Random r = new Random(seed);
        int size = 9;
        NetworkBuilder b = Network.builder("homogeneous").input("input", cin, size, size)
                .add("conv1", new Op.Conv(TestNets.rand(r, 0.5f, cout, cin / groups, k, k), null, Hw.of(stride),
                        new Padding(padTop, 1, 1, padRight), Hw.of(dilation), groups), "input")
                .add("relu", new Op.Relu(), "conv1");
        Op pool = maxPool ? new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), ceil)
                : new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, true, ceil);
        Network net = b.add("pool", pool, "relu")
                .add("conv2", new Op.Conv(TestNets.rand(r, 0.5f, 4, cout, 1, 1), null, Hw.of(1), Padding.NONE, Hw.of(1), 1),
                        "pool")
                .add("gap", new Op.GlobalAvgPool(), "conv2")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", new Op.Linear(TestNets.rand(r, 0.5f, 3, 4), null), "flatten")
                .output("fc").build();
        int n = 2;
        int[] labels = GradientCheck.randomLabels(n, 3, seed);
        try (TrainableNetwork tn = TrainableNetwork.of(net, Precision.FLOAT64);
             INDArray x = GradientCheck.randomInput(net, n, seed);
             INDArray z = tn.logits(x, PassOptions.eval())) {
            double zdz = 0;
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < 3; j++) {
                    max = Math.max(max, z.getDouble(i, j));
                }
                double sum = 0;
                for (int j = 0; j < 3; j++) {
                    sum += Math.exp(z.getDouble(i, j) - max);
                }
                for (int j = 0; j < 3; j++) {
                    double p = Math.exp(z.getDouble(i, j) - max) / sum;
                    zdz += (p - (labels[i] == j ? 1 : 0)) / n * z.getDouble(i, j);
                }
            }
            StepResult res = tn.lossAndGradients(x, labels, PassOptions.train().withInputGradient(true));
            double scale = Math.max(1e-3, Math.abs(zdz));
            assertThat(dot(res.inputGradient(), x)).as("<dL/dx, x>").isCloseTo(zdz, within(1e-9 * scale + 1e-12));
            for (Parameter p : tn.parameters()) {
                assertThat(dot(p.gradient(), p.value())).as("<dL/dW, W> of %s", p.name())
                        .isCloseTo(zdz, within(1e-9 * scale + 1e-12));
            }
            res.inputGradient().close();
        }
    }

    private static double dot(INDArray a, INDArray b) {
        return a.mul(b).sumNumber().doubleValue();
    }
}
