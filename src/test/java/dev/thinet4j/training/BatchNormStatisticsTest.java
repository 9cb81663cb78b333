package dev.thinet4j.training;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** BatchNorm's running statistics against hand-computed PyTorch updates, in TRAIN and EVAL mode. */
class BatchNormStatisticsTest {
    private static final int N = 4;
    private static final int C = 3;
    private static final int H = 2;
    private static final int W = 3;

    /** input → bn → flatten → fc, with known running statistics. */
    private static Network net() {
        Random r = new Random(5);
        Op.BatchNorm bn = new Op.BatchNorm(Tensor.of(new float[]{1f, 0.5f, 2f}, C), Tensor.of(new float[]{0f, 0.1f, -0.2f}, C),
                Tensor.of(new float[]{0.3f, -1f, 2f}, C), Tensor.of(new float[]{1f, 4f, 0.5f}, C), 1e-5f);
        return Network.builder("bn").input("input", C, H, W)
                .add("bn", bn, "input")
                .add("flatten", new Op.Flatten(1), "bn")
                .add("fc", dev.thinet4j.testing.TestNets.linear(r, C * H * W, 2), "flatten")
                .output("fc").build();
    }

    private static double[] data() {
        Random r = new Random(9);
        double[] x = new double[N * C * H * W];
        for (int i = 0; i < x.length; i++) {
            x[i] = 3 * r.nextGaussian() + (i % 5);
        }
        return x;
    }

    @Test
    void trainModeMovesRunningStatisticsByMomentumWithUnbiasedVariance() {
        double[] x = data();
        double momentum = 0.25;
        try (TrainableNetwork tn = TrainableNetwork.of(net(), Precision.FLOAT64);
             INDArray input = Nd4j.create(x, new long[]{N, C, H, W}, DataType.DOUBLE)) {
            tn.lossAndGradients(input, new int[]{0, 1, 1, 0}, PassOptions.train().withBnMomentum(momentum));
            double[] oldMean = {0.3, -1, 2};
            double[] oldVar = {1, 4, 0.5};
            for (int c = 0; c < C; c++) {
                double sum = 0;
                int m = N * H * W;
                for (int n = 0; n < N; n++) {
                    for (int i = 0; i < H * W; i++) {
                        sum += x[(n * C + c) * H * W + i];
                    }
                }
                double mean = sum / m;
                double ss = 0;
                for (int n = 0; n < N; n++) {
                    for (int i = 0; i < H * W; i++) {
                        double d = x[(n * C + c) * H * W + i] - mean;
                        ss += d * d;
                    }
                }
                double unbiased = ss / (m - 1);
                assertThat(tn.runningMean("bn").getDouble(c)).isCloseTo((1 - momentum) * oldMean[c] + momentum * mean,
                        within(1e-6));
                assertThat(tn.runningVar("bn").getDouble(c)).isCloseTo((1 - momentum) * oldVar[c] + momentum * unbiased,
                        within(1e-6));
            }
        }
    }

    @Test
    void trainModeNormalisesWithBatchStatisticsAndEvalModeUsesRunningOnes() {
        try (TrainableNetwork tn = TrainableNetwork.of(net(), Precision.FLOAT64);
             INDArray input = Nd4j.create(data(), new long[]{N, C, H, W}, DataType.DOUBLE)) {
            // a network that stops at the BN: read the BN output through a tapped forward of the same node
            Network bnOnly = Network.builder("bn-only").input("input", C, H, W)
                    .add(tn.network().node("bn")).output("bn").build();
            try (TrainableNetwork b = TrainableNetwork.of(bnOnly, Precision.FLOAT64)) {
                INDArray y = b.forward(input, PassOptions.train());
                for (int c = 0; c < C; c++) {
                    INDArray ch = y.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(c));
                    double gamma = b.parameter("bn.weight").value().getDouble(c);
                    double beta = b.parameter("bn.bias").value().getDouble(c);
                    assertThat(ch.meanNumber().doubleValue()).isCloseTo(beta, within(1e-9));
                    // biased variance of the normalised values: γ²·σ²/(σ² + ε) ≈ γ²
                    double var = ch.sub(beta).mul(ch.sub(beta)).meanNumber().doubleValue();
                    assertThat(var).isCloseTo(gamma * gamma, within(1e-4));
                }
                INDArray before = b.runningMean("bn").dup();
                INDArray beforeVar = b.runningVar("bn").dup();
                INDArray e = b.forward(input, PassOptions.eval());
                assertThat(b.runningMean("bn")).isEqualTo(before);
                assertThat(b.runningVar("bn")).isEqualTo(beforeVar);
                // eval: (x − mean_r)/√(var_r + ε)·γ + β, element 0 of channel 1
                double x0 = input.getDouble(0, 1, 0, 0);
                double expected = (x0 - before.getDouble(1)) / Math.sqrt(beforeVar.getDouble(1) + 1e-5)
                        * b.parameter("bn.weight").value().getDouble(1) + b.parameter("bn.bias").value().getDouble(1);
                assertThat(e.getDouble(0, 1, 0, 0)).isCloseTo(expected, within(1e-6));
            }
        }
    }

    @Test
    void evalPassesLeaveRunningStatisticsUntouched() {
        try (TrainableNetwork tn = TrainableNetwork.of(net(), Precision.FLOAT64);
             INDArray input = Nd4j.create(data(), new long[]{N, C, H, W}, DataType.DOUBLE)) {
            INDArray mean = tn.runningMean("bn").dup();
            INDArray var = tn.runningVar("bn").dup();
            tn.lossAndGradients(input, new int[]{0, 1, 1, 0}, PassOptions.eval());
            tn.loss(input, new int[]{0, 1, 1, 0}, PassOptions.eval());
            assertThat(tn.runningMean("bn")).isEqualTo(mean);
            assertThat(tn.runningVar("bn")).isEqualTo(var);
            Network back = tn.toNetwork();
            Op.BatchNorm bn = (Op.BatchNorm) back.node("bn").op();
            assertThat(bn.mean().data()).containsExactly(0.3f, -1f, 2f);
            assertThat(bn.var().data()).containsExactly(1f, 4f, 0.5f);
        }
    }

    @Test
    void aSingleValuePerChannelIsRejectedInTrainMode() {
        Random r = new Random(1);
        Network net = Network.builder("bn1d").input("input", 1, 2, 2)
                .add("flatten", new Op.Flatten(1), "input")
                .add("fc", dev.thinet4j.testing.TestNets.linear(r, 4, 3), "flatten")
                .add("bn", dev.thinet4j.testing.TestNets.bn(r, 3), "fc")
                .output("bn").build();
        try (TrainableNetwork tn = TrainableNetwork.of(net);
             INDArray x = Nd4j.rand(DataType.FLOAT, 1, 1, 2, 2)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> tn.lossAndGradients(x, new int[]{0},
                            PassOptions.train()))
                    .hasMessageContaining("node 'bn'").hasMessageContaining("more than one value per channel");
        }
    }
}
