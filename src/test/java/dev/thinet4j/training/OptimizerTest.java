package dev.thinet4j.training;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Optimiser updates against hand-computed steps on one- and two-element parameters (float64). */
class OptimizerTest {

    private static Parameter param(ParameterKind kind, double... v) {
        return new Parameter("n", kind, Nd4j.createFromArray(v));
    }

    private static void grad(Parameter p, double... g) {
        p.gradient().assign(Nd4j.createFromArray(g));
    }

    private static double v(Parameter p, int i) {
        return p.value().getDouble(i);
    }

    @Test
    void sgdWithMomentumAndWeightDecay() {
        Parameter w = param(ParameterKind.WEIGHT, 1.0, -2.0);
        Parameter b = param(ParameterKind.BIAS, 0.5);
        TrainingConfig c = TrainingConfig.builder().momentum(0.9).weightDecay(0.1).build();
        try (Optimizer opt = Optimizer.create(c, List.of(w, b))) {
            grad(w, 0.2, 0.4);
            grad(b, 1.0);
            opt.step(0.5);
            // g = ∇ + λw = (0.3, 0.2); v = g; w −= 0.5·v ; bias: no decay
            assertThat(v(w, 0)).isCloseTo(1.0 - 0.5 * 0.3, within(1e-12));
            assertThat(v(w, 1)).isCloseTo(-2.0 - 0.5 * 0.2, within(1e-12));
            assertThat(v(b, 0)).isCloseTo(0.5 - 0.5 * 1.0, within(1e-12));
            grad(w, 0.2, 0.4);
            grad(b, 1.0);
            opt.step(0.5);
            double w0 = 0.85;
            double g0 = 0.2 + 0.1 * w0;
            double v0 = 0.9 * 0.3 + g0;
            assertThat(v(w, 0)).isCloseTo(w0 - 0.5 * v0, within(1e-12));
            assertThat(v(b, 0)).isCloseTo(0.0 - 0.5 * (0.9 * 1.0 + 1.0), within(1e-12));
            assertThat(opt.steps()).isEqualTo(2);
        }
    }

    @Test
    void nesterovAndDecayOnBiasWhenAsked() {
        Parameter b = param(ParameterKind.BIAS, 1.0);
        TrainingConfig c = TrainingConfig.builder().momentum(0.5).nesterov(true).weightDecay(0.2)
                .decayBiasAndBatchNorm(true).build();
        try (Optimizer opt = Optimizer.create(c, List.of(b))) {
            grad(b, 0.3);
            opt.step(0.1);
            // g = 0.3 + 0.2·1 = 0.5; v = 0.5; update = g + μv = 0.75
            assertThat(v(b, 0)).isCloseTo(1.0 - 0.1 * 0.75, within(1e-12));
            grad(b, 0.3);
            opt.step(0.1);
            double w = 0.925;
            double g = 0.3 + 0.2 * w;
            double vel = 0.5 * 0.5 + g;
            assertThat(v(b, 0)).isCloseTo(w - 0.1 * (g + 0.5 * vel), within(1e-12));
        }
    }

    @Test
    void plainSgdWithoutMomentum() {
        Parameter w = param(ParameterKind.WEIGHT, 2.0);
        try (Optimizer opt = Optimizer.create(TrainingConfig.builder().momentum(0).build(), List.of(w))) {
            grad(w, 4.0);
            opt.step(0.25);
            assertThat(v(w, 0)).isCloseTo(1.0, within(1e-12));
        }
    }

    @Test
    void adamFirstStepsMatchTheBiasCorrectedFormula() {
        Parameter w = param(ParameterKind.WEIGHT, 1.0, -1.0);
        TrainingConfig c = TrainingConfig.builder().optimizer(OptimizerType.ADAM).momentum(0).adamBeta1(0.9)
                .adamBeta2(0.99).adamEpsilon(1e-8).weightDecay(0.01).build();
        try (Optimizer opt = Optimizer.create(c, List.of(w))) {
            grad(w, 0.5, -2.0);
            opt.step(0.1);
            // step 1: m̂ = g, v̂ = g², update = g/(|g| + ε) with g = ∇ + 0.01·w
            double g0 = 0.5 + 0.01;
            assertThat(v(w, 0)).isCloseTo(1.0 - 0.1 * g0 / (Math.abs(g0) + 1e-8), within(1e-10));
            double w0 = v(w, 0);
            grad(w, 0.1, 0.0);
            opt.step(0.1);
            double g1 = 0.1 + 0.01 * w0;
            double m = 0.9 * 0.1 * g0 + 0.1 * g1;
            double vv = 0.99 * 0.01 * g0 * g0 + 0.01 * g1 * g1;
            double mh = m / (1 - 0.81);
            double vh = vv / (1 - 0.99 * 0.99);
            assertThat(v(w, 0)).isCloseTo(w0 - 0.1 * mh / (Math.sqrt(vh) + 1e-8), within(1e-10));
        }
    }

    @Test
    void adamWDecaysTheWeightsDirectly() {
        Parameter w = param(ParameterKind.WEIGHT, 2.0);
        TrainingConfig c = TrainingConfig.builder().optimizer(OptimizerType.ADAMW).momentum(0).weightDecay(0.5).build();
        try (Optimizer opt = Optimizer.create(c, List.of(w))) {
            grad(w, 3.0);
            opt.step(0.1);
            // w·(1 − ηλ) − η·g/(|g| + ε)
            assertThat(v(w, 0)).isCloseTo(2.0 * (1 - 0.05) - 0.1 * 3.0 / (3.0 + 1e-8), within(1e-10));
        }
    }

    @Test
    void l1OnBatchNormScalesAddsTheSignSubgradientOnlyThere() {
        Parameter gamma = param(ParameterKind.BN_SCALE, 0.5, -0.25, 0.0);
        Parameter beta = param(ParameterKind.BN_SHIFT, 0.5);
        Parameter w = param(ParameterKind.WEIGHT, 0.5);
        TrainingConfig c = TrainingConfig.builder().momentum(0).l1Gamma(0.01).build();
        try (Optimizer opt = Optimizer.create(c, List.of(gamma, beta, w))) {
            grad(gamma, 0, 0, 0);
            grad(beta, 0);
            grad(w, 0);
            opt.step(1.0);
            assertThat(v(gamma, 0)).isCloseTo(0.49, within(1e-12));
            assertThat(v(gamma, 1)).isCloseTo(-0.24, within(1e-12));
            assertThat(v(gamma, 2)).isCloseTo(0.0, within(1e-12));
            assertThat(v(beta, 0)).isEqualTo(0.5);
            assertThat(v(w, 0)).isEqualTo(0.5);
            assertThat(gamma.gradient().getDouble(0)).as("the penalty is added to the gradient in place")
                    .isCloseTo(0.01, within(1e-12));
        }
    }

    @Test
    void invalidSettingsAreNamed() {
        assertThatThrownBy(() -> TrainingConfig.builder().learningRate(0).build()).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> TrainingConfig.builder().momentum(1).build()).hasMessageContaining("momentum");
        assertThatThrownBy(() -> TrainingConfig.builder().optimizer(OptimizerType.ADAM).nesterov(true).build())
                .hasMessageContaining("Nesterov");
        assertThatThrownBy(() -> TrainingConfig.builder().bnMomentum(0).build()).hasMessageContaining("BatchNorm momentum");
        assertThatThrownBy(() -> TrainingConfig.builder().dropout(1).build()).hasMessageContaining("dropout");
        assertThatThrownBy(() -> TrainingConfig.builder().batchSize(0).build()).hasMessageContaining("batch size");
        Parameter w = param(ParameterKind.WEIGHT, 1.0);
        try (Optimizer opt = Optimizer.create(TrainingConfig.builder().build(), List.of(w))) {
            assertThatThrownBy(() -> opt.step(Double.NaN)).hasMessageContaining("learning rate");
        }
        INDArray unused = w.value();
        assertThat(unused.length()).isEqualTo(1);
    }
}
