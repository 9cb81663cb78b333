package dev.thinet4j.training;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The float32 backward pass (oneDNN's kernels) against the float64 one (libnd4j's generic kernels,
 * checked against central differences by {@link GradientCheckTest}): every gradient within 1e-3 of the
 * largest magnitude of its tensor, plus 1e-6.
 */
class PrecisionAgreementTest {

    static Stream<Arguments> nets() {
        Hw one = Hw.of(1);
        return Stream.of(
                Arguments.of("vgg-like", TestNets.vggLike(1)),
                Arguments.of("residual", TestNets.residual(2)),
                Arguments.of("concat + depthwise", TestNets.concatDepthwise(3)),
                Arguments.of("dilated, grouped, asymmetric pads, pools", GradNets.head("mix", 4, 11, 10, 4, (b, r) ->
                        b.add("c1", GradNets.conv(r, 4, 6, Hw.of(3), Hw.of(2), new Padding(1, 2, 0, 1), Hw.of(2), 2, true),
                                        "input")
                                .add("bn", TestNets.bn(r, 6), "c1")
                                .add("act", new Op.LeakyRelu(0.2f), "bn")
                                .add("mp", new Op.MaxPool(Hw.of(2), one, new Padding(0, 1, 1, 0), one, true), "act")
                                .add("dw", GradNets.conv(r, 6, 6, Hw.of(3), one, Padding.of(2), Hw.of(2), 6, true), "mp")
                                .add("ap", new Op.AvgPool(Hw.of(3), Hw.of(2), Padding.of(1), false, true), "dw").last())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nets")
    void float32GradientsAgreeWithFloat64(String name, Network net) {
        int classes = net.shapes(1).get(net.outputs().get(0))[1];
        int[] labels = GradientCheck.randomLabels(4, classes, 5);
        try (INDArray x = GradientCheck.randomInput(net, 4, 5);
             INDArray xf = x.castTo(DataType.FLOAT);
             TrainableNetwork d = TrainableNetwork.of(net, Precision.FLOAT64);
             TrainableNetwork f = TrainableNetwork.of(net, Precision.FLOAT32)) {
            StepResult rd = d.lossAndGradients(x, labels, PassOptions.train().withInputGradient(true));
            StepResult rf = f.lossAndGradients(xf, labels, PassOptions.train().withInputGradient(true));
            assertThat(rf.loss()).isCloseTo(rd.loss(), org.assertj.core.api.Assertions.within(1e-4 * Math.max(1, rd.loss())));
            List<Parameter> pd = d.parameters();
            List<Parameter> pf = f.parameters();
            for (int i = 0; i < pd.size(); i++) {
                assertClose(pd.get(i).name(), pd.get(i).gradient(), pf.get(i).gradient());
            }
            assertClose("input", rd.inputGradient(), rf.inputGradient());
            rd.inputGradient().close();
            rf.inputGradient().close();
        }
    }

    private static void assertClose(String name, INDArray expected, INDArray actual) {
        try (INDArray a = actual.castTo(DataType.DOUBLE)) {
            double scale = expected.amaxNumber().doubleValue();
            double diff = a.sub(expected).amaxNumber().doubleValue();
            // the absolute term covers tensors whose true gradient is 0 (a conv bias before a TRAIN-mode BatchNorm)
            assertThat(diff).as("%s: max |float32 − float64| (max |float64| = %s)", name, scale)
                    .isLessThan(1e-3 * scale + 1e-6);
        }
    }
}
