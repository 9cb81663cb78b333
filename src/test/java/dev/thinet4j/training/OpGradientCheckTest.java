package dev.thinet4j.training;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.thinet4j.training.OpGradientCheck.Values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The ops added for MobileNetV3 / EfficientNet / ConvNeXt / ShuffleNet / FPN-style networks, one at a time
 * ({@link OpGradientCheck}): float64 central differences against the analytic backward of every input and
 * parameter, |analytic − numeric| ≤ 1e-7 + 1e-5·max(|analytic|, |numeric|) (the tolerance of
 * {@link GradientCheckTest}), and float32 forward and backward within 1e-4 (relative to the largest value)
 * of float64.
 */
class OpGradientCheckTest {

    private static int[] s(int... d) {
        return d;
    }

    private static Tensor t(long seed, float scale, int... shape) {
        return TestNets.rand(new Random(seed), scale, shape);
    }

    /** A constant with |c| in [0.5, 1.5] (safe divisor), random signs. */
    private static Tensor away(long seed, int... shape) {
        Tensor r = TestNets.uniform(new Random(seed), 0.5f, 1.5f, shape);
        float[] v = r.data().clone();
        Random sign = new Random(seed + 1);
        for (int i = 0; i < v.length; i++) {
            v[i] = sign.nextBoolean() ? v[i] : -v[i];
        }
        return Tensor.of(v, shape);
    }

    private static Tensor positive(long seed, int... shape) {
        return TestNets.uniform(new Random(seed), 0.5f, 1.5f, shape);
    }

    static Stream<Arguments> cases() {
        List<Arguments> c = new ArrayList<>();
        Values div = Values.perInput(u -> 2 * u - 1, u -> u < 0.5 ? -(0.5 + 2 * u) : 0.5 + 2 * (u - 0.5));
        Values pow = Values.perInput(u -> 0.5 + u, u -> 3 * u - 1.5);
        for (Arith a : Arith.values()) {
            Values v = a == Arith.DIV ? div : a == Arith.POW ? pow : Values.UNIFORM;
            c.add(Arguments.of("binary " + a + " SE gate [N,C,H,W]∘[N,C,1,1]", new Op.Binary(a),
                    List.of(s(2, 3, 4, 5), s(2, 3, 1, 1)), v));
            c.add(Arguments.of("binary " + a + " [N,C,1,1]∘[N,C,H,W]", new Op.Binary(a),
                    List.of(s(2, 3, 1, 1), s(2, 3, 4, 5)), v));
            c.add(Arguments.of("binary " + a + " spatial gate [N,C,H,W]∘[N,1,H,W]", new Op.Binary(a),
                    List.of(s(2, 3, 4, 5), s(2, 1, 4, 5)), v));
            c.add(Arguments.of("binary " + a + " both broadcast [N,1,W]∘[N,H,1]", new Op.Binary(a),
                    List.of(s(2, 1, 5), s(2, 4, 1)), v));
            c.add(Arguments.of("binary " + a + " rank 2 [N,F]∘[N,1]", new Op.Binary(a),
                    List.of(s(3, 6), s(3, 1)), v));
            c.add(Arguments.of("binary " + a + " channels-last [N,H,W,C]∘[N,1,1,C]", new Op.Binary(a),
                    List.of(s(2, 3, 4, 5), s(2, 1, 1, 5)), v));
            c.add(Arguments.of("binary " + a + " lower rank [N,C,H,W]∘[H,W]", new Op.Binary(a),
                    List.of(s(2, 3, 4, 5), s(4, 5)), v));
            c.add(Arguments.of("binary " + a + " equal shapes", new Op.Binary(a),
                    List.of(s(2, 3, 4, 5), s(2, 3, 4, 5)), v));
        }
        for (boolean first : new boolean[]{false, true}) {
            for (Arith a : Arith.values()) {
                Tensor k = a == Arith.DIV && !first ? away(11, 3, 1, 1)
                        : a == Arith.POW && first ? positive(12, 3, 1, 1)
                        : a == Arith.POW ? t(13, 1f, 3, 1, 1) : t(14, 1f, 3, 1, 1);
                Values v = a == Arith.DIV && first ? Values.AWAY_FROM_ZERO
                        : a == Arith.POW && !first ? Values.POSITIVE : Values.UNIFORM;
                String side = first ? "c " + a + " x" : "x " + a + " c";
                c.add(Arguments.of("const " + side + ", per-channel [C,1,1]", new Op.ConstArith(a, k, first),
                        List.of(s(2, 3, 4, 5)), v));
                Tensor last = a == Arith.DIV && !first ? away(15, 5) : a == Arith.POW && first ? positive(16, 5)
                        : t(17, 1f, 5);
                c.add(Arguments.of("const " + side + ", channels-last layer scale [C]", new Op.ConstArith(a, last, first),
                        List.of(s(2, 3, 4, 5)), v));
            }
        }
        c.add(Arguments.of("const x^2 on negative and positive x (decomposed LayerNorm)",
                Op.ConstArith.right(Arith.POW, Tensor.filled(2f, 1)), List.of(s(2, 3, 4)), Values.UNIFORM));
        c.add(Arguments.of("const scalar [] x/√2 (GELU)", Op.ConstArith.right(Arith.DIV, Tensor.filled(1.4142135f)),
                List.of(s(2, 3, 4)), Values.UNIFORM));
        c.add(Arguments.of("hard sigmoid (PyTorch 1/6, 1/2)", new Op.HardSigmoid(1 / 6f, 0.5f), List.of(s(2, 3, 4, 5)),
                Values.range(-5, 5)));
        c.add(Arguments.of("hard sigmoid (ONNX 0.2, 0.5), rank 2", new Op.HardSigmoid(0.2f, 0.5f), List.of(s(4, 7)),
                Values.range(-4, 4)));
        c.add(Arguments.of("hard swish", new Op.HardSwish(), List.of(s(2, 3, 4, 5)), Values.range(-5, 5)));
        c.add(Arguments.of("erf", new Op.Erf(), List.of(s(2, 3, 4, 5)), Values.range(-2.5, 2.5)));
        c.add(Arguments.of("sqrt", new Op.Sqrt(), List.of(s(2, 3, 4)), Values.range(0.2, 3)));
        c.add(Arguments.of("reduce mean [2,3] keepdims (GAP)", new Op.ReduceMean(new int[]{2, 3}, true),
                List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("reduce mean [2,3] no keepdims (x.mean([2, 3]))", new Op.ReduceMean(new int[]{2, 3}, false),
                List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("reduce mean last axis keepdims (channels-last LayerNorm)",
                new Op.ReduceMean(new int[]{3}, true), List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("reduce mean [1,3] no keepdims", new Op.ReduceMean(new int[]{1, 3}, false),
                List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("layer norm over channels of NCHW, with bias",
                new Op.LayerNorm(1, t(20, 1f, 3), t(21, 0.5f, 3), 1e-5f), List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("layer norm over the last axis (channels-last), with bias",
                new Op.LayerNorm(3, t(22, 1f, 5), t(23, 0.5f, 5), 1e-6f), List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("layer norm rank 2, no bias", new Op.LayerNorm(1, t(24, 1f, 6), null, 1e-5f),
                List.of(s(3, 6)), Values.UNIFORM));
        c.add(Arguments.of("layer norm rank 3 middle axis", new Op.LayerNorm(1, t(25, 1f, 4), t(26, 1f, 4), 1e-5f),
                List.of(s(2, 4, 3)), Values.UNIFORM));
        c.add(Arguments.of("transpose NCHW→NHWC", new Op.Transpose(new int[]{0, 2, 3, 1}), List.of(s(2, 3, 4, 5)),
                Values.UNIFORM));
        c.add(Arguments.of("transpose NHWC→NCHW", new Op.Transpose(new int[]{0, 3, 1, 2}), List.of(s(2, 4, 5, 3)),
                Values.UNIFORM));
        c.add(Arguments.of("transpose rank 5 (shuffle form)", new Op.Transpose(new int[]{0, 2, 1, 3, 4}),
                List.of(s(2, 2, 3, 2, 2)), Values.UNIFORM));
        c.add(Arguments.of("reshape NCHW to [N, g, C/g, H, W]", new Op.Reshape(new int[]{2, 3, 4, 5}),
                List.of(s(2, 6, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("reshape to rank 2", new Op.Reshape(new int[]{60}), List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("slice channels [0, 3)", new Op.Slice(1, 0, 3), List.of(s(2, 6, 3, 3)), Values.UNIFORM));
        c.add(Arguments.of("slice channels [3, 6)", new Op.Slice(1, 3, 6), List.of(s(2, 6, 3, 3)), Values.UNIFORM));
        c.add(Arguments.of("slice last axis [1, 4)", new Op.Slice(3, 1, 4), List.of(s(2, 3, 2, 5)), Values.UNIFORM));
        c.add(Arguments.of("channel shuffle g=2", new Op.ChannelShuffle(2), List.of(s(2, 6, 3, 2)), Values.UNIFORM));
        c.add(Arguments.of("channel shuffle g=3", new Op.ChannelShuffle(3), List.of(s(2, 6, 2, 3)), Values.UNIFORM));
        c.add(Arguments.of("channel gather, repeated and omitted channels", new Op.ChannelGather(new int[]{4, 0, 1, 4, 2, 0}),
                List.of(s(2, 6, 3, 2)), Values.UNIFORM));
        c.add(Arguments.of("channel gather uneven pruned shuffle", new Op.ChannelGather(new int[]{0, 3, 1, 4, 2}),
                List.of(s(2, 5, 2, 3)), Values.UNIFORM));
        c.add(Arguments.of("channel gather rank 2", new Op.ChannelGather(new int[]{2, 2, 0}), List.of(s(3, 4)),
                Values.UNIFORM));
        c.add(Arguments.of("resize nearest 2x2", new Op.Resize(2, 2), List.of(s(2, 3, 3, 4)), Values.UNIFORM));
        c.add(Arguments.of("resize nearest 3x1", new Op.Resize(3, 1), List.of(s(2, 2, 2, 3)), Values.UNIFORM));
        c.add(Arguments.of("linear over the last axis of [N,H,W,C], bias",
                new Op.Linear(t(30, 0.5f, 7, 5), t(31, 0.2f, 7)), List.of(s(2, 3, 4, 5)), Values.UNIFORM));
        c.add(Arguments.of("linear over the last axis of [N,T,C], no bias", new Op.Linear(t(32, 0.5f, 3, 4), null),
                List.of(s(2, 5, 4)), Values.UNIFORM));
        c.add(Arguments.of("linear rank 2 (unchanged path)", new Op.Linear(t(33, 0.5f, 3, 4), t(34, 0.2f, 3)),
                List.of(s(5, 4)), Values.UNIFORM));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesCentralDifferences(String name, Op op, List<int[]> shapes, Values values) {
        OpGradientCheck.Result r = OpGradientCheck.run(op, shapes, name.hashCode(), values, 24);
        assertThat(r.maxAnalytic()).as("%s: gradients are not all zero", name).isGreaterThan(1e-3);
        assertThat(r.passes()).as("%s: %s", name, r).isTrue();
        assertThat(r.precisionGap()).as("%s: float32 vs float64", name).isLessThan(1e-4);
    }

    /**
     * ChannelGather with repeated and omitted channels, every input entry checked (not a sample), and the
     * backward against the scatter-add by hand: ∂x[:, c] = Σ_{o : idx[o] = c} ∂y[:, o], zero where c is unused.
     */
    @Test
    void channelGatherEveryEntryAndScatterAdd() {
        int[] idx = {4, 0, 1, 4, 2, 0, 4};
        Op.ChannelGather op = new Op.ChannelGather(idx);
        OpGradientCheck.Result r = OpGradientCheck.run(op, List.of(s(2, 6, 2, 3)), 41, Values.UNIFORM, 1000);
        assertThat(r.entries()).isEqualTo(72);
        assertThat(r.passes()).as("%s", r).isTrue();
        assertThat(r.precisionGap()).isLessThan(1e-4);
        for (DataType type : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            TrainOp t = TrainOps.create(new Node("g", op, List.of("x")), type);
            INDArray x = Nd4j.rand(type, 2, 6, 2, 3);
            INDArray y = t.forward(List.of(x), PassOptions.train(), true);
            INDArray gy = Nd4j.rand(type, 2, idx.length, 2, 3);
            INDArray gx = t.backward(gy, new boolean[]{true})[0];
            assertThat(gx.dataType()).isEqualTo(type);
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 6; c++) {
                    for (int p = 0; p < 6; p++) {
                        double expected = 0;
                        for (int o = 0; o < idx.length; o++) {
                            if (idx[o] == c) {
                                expected += gy.getDouble(n, o, p / 3, p % 3);
                            }
                        }
                        assertThat(gx.getDouble(n, c, p / 3, p % 3)).as("%s ∂x[%d, %d, %d]", type, n, c, p)
                                .isCloseTo(expected, within(1e-6));
                    }
                }
                for (int o = 0; o < idx.length; o++) {
                    assertThat(y.getDouble(n, o, 1, 2)).isEqualTo(x.getDouble(n, idx[o], 1, 2));
                }
            }
            assertThat(gx.get(NDArrayIndex.all(), NDArrayIndex.point(3)).sumNumber().doubleValue()).isZero();
            assertThat(gx.get(NDArrayIndex.all(), NDArrayIndex.point(5)).amaxNumber().doubleValue()).isZero();
            t.release();
        }
    }
}
