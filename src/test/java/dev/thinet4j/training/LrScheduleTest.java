package dev.thinet4j.training;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LrScheduleTest {

    @Test
    void handComputedValues() {
        assertThat(LrSchedule.constant().factor(7, 100, 200)).isEqualTo(1.0);
        LrSchedule step = LrSchedule.step(3, 0.1);
        assertThat(step.factor(2, 0, 1)).isEqualTo(1.0);
        assertThat(step.factor(3, 0, 1)).isCloseTo(0.1, within(1e-15));
        assertThat(step.factor(7, 0, 1)).isCloseTo(0.01, within(1e-15));
        LrSchedule cos = LrSchedule.cosine(0.1);
        assertThat(cos.factor(0, 0, 100)).isEqualTo(1.0);
        assertThat(cos.factor(0, 50, 100)).isCloseTo(0.55, within(1e-12));
        assertThat(cos.factor(0, 100, 100)).isCloseTo(0.1, within(1e-12));
    }

    @Test
    void invalidParametersAreNamed() {
        assertThatThrownBy(() -> LrSchedule.step(0, 0.5)).hasMessageContaining("epochs between steps");
        assertThatThrownBy(() -> LrSchedule.step(1, 1.5)).hasMessageContaining("gamma");
        assertThatThrownBy(() -> LrSchedule.cosine(-0.1)).hasMessageContaining("minimum factor");
    }

    @Property(tries = 200)
    void cosineIsNonIncreasingBetweenItsBounds(@ForAll @DoubleRange(min = 0, max = 1) double min,
                                               @ForAll @LongRange(min = 1, max = 100_000) long total,
                                               @ForAll @LongRange(min = 0, max = 100_000) long t) {
        LrSchedule s = LrSchedule.cosine(min);
        double f = s.factor(0, t, total);
        assertThat(f).isBetween(min - 1e-12, 1 + 1e-12);
        assertThat(s.factor(0, t + 1, total)).isLessThanOrEqualTo(f + 1e-12);
    }

    @Property(tries = 200)
    void stepDecaysExactlyAtMultiplesOfTheInterval(@ForAll @IntRange(min = 1, max = 10) int every,
                                                   @ForAll @DoubleRange(min = 0.01, max = 1) double gamma,
                                                   @ForAll @IntRange(min = 0, max = 60) int epoch) {
        LrSchedule s = LrSchedule.step(every, gamma);
        double now = s.factor(epoch, 0, 1);
        double next = s.factor(epoch + 1, 0, 1);
        if ((epoch + 1) % every == 0) {
            assertThat(next).isCloseTo(now * gamma, within(1e-12));
        } else {
            assertThat(next).isEqualTo(now);
        }
    }
}
