package dev.thinet4j.engine;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Shapes;
import dev.thinet4j.model.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Op.Binary} and {@link Op.ConstArith} kernels against a float64 reference of NumPy broadcasting computed
 * element by element in plain Java, over random shapes (rank 2 to 5, axes of length 1 on either side, lower-rank
 * operands), operations, seeds, NHWC-view inputs and in-place runs.
 */
class BroadcastPropertyTest {
    private static final double TOL = 1e-5;

    /** Random values suited to the operand's role: positive bases for Pow, divisors away from 0. */
    private static float[] values(SplittableRandom rnd, Arith a, boolean left, int n) {
        float[] f = new float[n];
        for (int k = 0; k < n; k++) {
            double v;
            if (a == Arith.POW) {
                v = left ? rnd.nextDouble(0.5, 2) : rnd.nextDouble(-2, 2);
            } else if (a == Arith.DIV && !left) {
                v = rnd.nextDouble(0.5, 1.5) * (rnd.nextBoolean() ? 1 : -1);
            } else {
                v = rnd.nextDouble(-2, 2);
            }
            f[k] = (float) v;
        }
        return f;
    }

    private static double apply(Arith a, double x, double y) {
        return switch (a) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case POW -> Math.pow(x, y);
        };
    }

    /** Element of a c-order array of shape {@code s} read at output index {@code idx} (right-aligned, 1s broadcast). */
    private static float at(float[] data, int[] s, int[] idx) {
        int off = idx.length - s.length;
        int flat = 0;
        for (int i = 0; i < s.length; i++) {
            flat = flat * s[i] + (s[i] == 1 ? 0 : idx[off + i]);
        }
        return data[flat];
    }

    /** The float64 reference of a ∘ b with broadcasting, as c-order values of the broadcast shape. */
    static double[] reference(Arith arith, float[] a, int[] as, float[] b, int[] bs) {
        int[] out = Shapes.broadcast(as, bs);
        int n = Math.toIntExact(Shapes.numel(out));
        double[] ref = new double[n];
        int[] idx = new int[out.length];
        for (int k = 0; k < n; k++) {
            int rem = k;
            for (int i = out.length - 1; i >= 0; i--) {
                idx[i] = rem % out[i];
                rem /= out[i];
            }
            ref[k] = apply(arith, at(a, as, idx), at(b, bs, idx));
        }
        return ref;
    }

    /** A c-order array, or for rank 4 when asked the NCHW-shaped view of a dense NHWC copy. */
    private static INDArray array(float[] data, int[] shape, boolean nhwc) {
        INDArray c = Nd4j.create(data, NdArrays.longs(shape), DataType.FLOAT);
        if (!nhwc || shape.length != 4) {
            return c;
        }
        INDArray base = c.permute(0, 2, 3, 1).dup('c');
        return base.permute(0, 3, 1, 2);
    }

    private static void assertMatches(double[] ref, int[] shape, INDArray y, String what) {
        assertArrayEquals(NdArrays.longs(shape), y.shape(), what + ": shape");
        float[] got = y.dup('c').data().asFloat();
        for (int k = 0; k < ref.length; k++) {
            if (!(Math.abs(got[k] - ref[k]) <= TOL * (1 + Math.abs(ref[k])))) {
                fail(what + ": element " + k + " is " + got[k] + ", reference " + ref[k]);
            }
        }
    }

    @Property(tries = 150)
    void binaryMatchesFloat64Broadcasting(@ForAll @IntRange(min = 2, max = 5) int rank,
                                          @ForAll @IntRange(min = 0, max = 4) int op,
                                          @ForAll @IntRange(min = 0, max = 2) int dropRankOfB,
                                          @ForAll boolean nhwcA,
                                          @ForAll boolean nhwcB,
                                          @ForAll boolean inPlace,
                                          @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Arith arith = Arith.values()[op];
        int[] as = new int[rank];
        int[] bs = new int[rank];
        for (int i = 0; i < rank; i++) {
            int d = rnd.nextInt(1, 5);
            as[i] = rnd.nextInt(4) == 0 ? 1 : d;
            bs[i] = rnd.nextInt(3) == 0 ? 1 : d;
        }
        int drop = Math.min(dropRankOfB, rank - 1);
        bs = Arrays.copyOfRange(bs, drop, rank);
        float[] a = values(rnd, arith, true, Math.toIntExact(Shapes.numel(as)));
        float[] b = values(rnd, arith, false, Math.toIntExact(Shapes.numel(bs)));
        double[] ref = reference(arith, a, as, b, bs);
        int[] out = Shapes.broadcast(as, bs);
        Node node = new Node("bin", new Op.Binary(arith), List.of("a", "b"));
        try (OpKernel k = OpKernel.of(node)) {
            INDArray xa = array(a, as, nhwcA);
            INDArray xb = array(b, bs, nhwcB);
            INDArray y = k.apply(List.of(xa, xb), inPlace);
            assertMatches(ref, out, y, arith + " " + Arrays.toString(as) + " ∘ " + Arrays.toString(bs)
                    + (nhwcA ? " (a NHWC)" : "") + (nhwcB ? " (b NHWC)" : "") + (inPlace ? " in place" : ""));
        }
    }

    @Property(tries = 150)
    void constArithMatchesFloat64Broadcasting(@ForAll @IntRange(min = 2, max = 5) int rank,
                                              @ForAll @IntRange(min = 0, max = 4) int op,
                                              @ForAll boolean constantFirst,
                                              @ForAll boolean nhwc,
                                              @ForAll boolean inPlace,
                                              @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Arith arith = Arith.values()[op];
        int[] xs = new int[rank];
        for (int i = 0; i < rank; i++) {
            xs[i] = rnd.nextInt(1, 5);
        }
        int crank = rnd.nextInt(0, rank + 1);
        int[] cs = new int[crank];
        for (int i = 0; i < crank; i++) {
            cs[i] = rnd.nextInt(3) == 0 ? 1 : xs[rank - crank + i];
        }
        float[] x = values(rnd, arith, !constantFirst, Math.toIntExact(Shapes.numel(xs)));
        float[] c = values(rnd, arith, constantFirst, Math.toIntExact(Shapes.numel(cs)));
        double[] ref = constantFirst ? reference(arith, c, cs, x, xs) : reference(arith, x, xs, c, cs);
        Node node = new Node("k", new Op.ConstArith(arith, Tensor.of(c, cs), constantFirst), List.of("x"));
        try (OpKernel k = OpKernel.of(node)) {
            INDArray y = k.apply(List.of(array(x, xs, nhwc)), inPlace);
            assertMatches(ref, xs, y, arith + (constantFirst ? " c" + Arrays.toString(cs) + " ∘ x" + Arrays.toString(xs)
                    : " x" + Arrays.toString(xs) + " ∘ c" + Arrays.toString(cs)) + (nhwc ? " (NHWC)" : "")
                    + (inPlace ? " in place" : ""));
        }
    }
}
