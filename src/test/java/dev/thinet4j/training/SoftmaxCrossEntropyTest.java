package dev.thinet4j.training;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SoftmaxCrossEntropyTest {

    @Test
    void handComputedLossAndGradient() {
        try (INDArray z = Nd4j.create(new double[][]{{1, 2, 3}, {0, 0, 0}});
             INDArray g = z.ulike()) {
            double loss = SoftmaxCrossEntropy.lossAndGradient(z, new int[]{2, 1}, g);
            double s = Math.exp(1) + Math.exp(2) + Math.exp(3);
            double expected = ((Math.log(s) - 3) + Math.log(3)) / 2;
            assertThat(loss).isCloseTo(expected, within(1e-12));
            assertThat(g.getDouble(0, 0)).isCloseTo(Math.exp(1) / s / 2, within(1e-12));
            assertThat(g.getDouble(0, 2)).isCloseTo((Math.exp(3) / s - 1) / 2, within(1e-12));
            assertThat(g.getDouble(1, 1)).isCloseTo((1.0 / 3 - 1) / 2, within(1e-12));
            assertThat(g.getDouble(1, 0)).isCloseTo(1.0 / 6, within(1e-12));
            assertThat(SoftmaxCrossEntropy.correct(z, new int[]{2, 1})).isEqualTo(1);
        }
    }

    @Test
    void hugeLogitsStayFinite() {
        try (INDArray z = Nd4j.create(new float[][]{{1000f, -1000f}, {-1000f, 1000f}})) {
            assertThat(SoftmaxCrossEntropy.loss(z, new int[]{0, 0})).isCloseTo(1000.0, within(1e-3));
        }
    }

    @Test
    void labelsOutsideTheClassesAreNamed() {
        try (INDArray z = Nd4j.zeros(DataType.FLOAT, 2, 4)) {
            assertThatThrownBy(() -> SoftmaxCrossEntropy.loss(z, new int[]{0, 4}))
                    .hasMessageContaining("label 4 of image 1").hasMessageContaining("4 outputs");
            assertThatThrownBy(() -> SoftmaxCrossEntropy.loss(z, new int[]{0}))
                    .hasMessageContaining("1 labels for 2 rows");
        }
    }

    /** Loss ≥ 0, gradient rows sum to 0, and adding a constant to a row changes neither. */
    @Property(tries = 60)
    void invariants(@ForAll @IntRange(min = 1, max = 6) int n, @ForAll @IntRange(min = 2, max = 7) int k,
                    @ForAll @DoubleRange(min = -50, max = 50) double shift, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] v = new double[n][k];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                v[i][j] = 5 * r.nextGaussian();
            }
            y[i] = r.nextInt(k);
        }
        try (INDArray z = Nd4j.create(v);
             INDArray g = z.ulike();
             INDArray shifted = z.add(shift);
             INDArray g2 = z.ulike()) {
            double loss = SoftmaxCrossEntropy.lossAndGradient(z, y, g);
            double loss2 = SoftmaxCrossEntropy.lossAndGradient(shifted, y, g2);
            assertThat(loss).isGreaterThanOrEqualTo(0);
            assertThat(loss2).isCloseTo(loss, within(1e-9 * Math.max(1, loss)));
            for (int i = 0; i < n; i++) {
                assertThat(g.getRow(i).sumNumber().doubleValue()).isCloseTo(0, within(1e-12));
                assertThat(g.getDouble(i, y[i])).isLessThanOrEqualTo(0);
            }
            assertThat(g2.sub(g).amaxNumber().doubleValue()).isLessThan(1e-12);
        }
    }
}
