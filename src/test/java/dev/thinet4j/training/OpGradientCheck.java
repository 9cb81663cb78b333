package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

/**
 * Gradient check of one {@link TrainOp} in isolation, on inputs of any rank (the network-level
 * {@link GradientCheck} needs an NCHW image input): in float64, the scalar L = Σ R ⊙ y for a random R of the
 * output's shape; the analytic ∂L/∂input (the op's backward of R) and ∂L/∂parameter against central
 * differences (L(θ + h) − L(θ − h))/2h for up to {@code perTensor} seeded entries of every input and
 * parameter. The same forward and backward also run in float32 and must agree with float64 to float32
 * accuracy.
 */
final class OpGradientCheck {
    static final double H = 1e-6;
    /** The tolerance of {@link GradientCheckTest}: |a − n| ≤ ATOL + RTOL·max(|a|, |n|). */
    static final double ATOL = 1e-7;
    static final double RTOL = 1e-5;

    /** Values of input i drawn from a distribution: maps a uniform u ∈ [0, 1) to a value. */
    interface Values {
        double of(int input, double u);

        /** Uniform on [−1, 1). */
        Values UNIFORM = (i, u) -> 2 * u - 1;
        /** Uniform on [0.5, 1.5). */
        Values POSITIVE = (i, u) -> 0.5 + u;

        /** Uniform on [lo, hi). */
        static Values range(double lo, double hi) {
            return (i, u) -> lo + (hi - lo) * u;
        }

        /** |v| uniform on [0.5, 1.5), random sign: safe denominators. */
        Values AWAY_FROM_ZERO = (i, u) -> u < 0.5 ? -(0.5 + 2 * u) : 0.5 + 2 * (u - 0.5);

        static Values perInput(DoubleUnaryOperator... f) {
            return (i, u) -> f[i].applyAsDouble(u);
        }
    }

    /** The outcome: worst normalised error (≤ 1 passes), worst relative and absolute error, entries checked. */
    record Result(double worst, double maxRelative, double maxAbsolute, double maxAnalytic, int entries, String worstAt,
                  double precisionGap) {
        boolean passes() {
            return worst <= 1.0;
        }

        @Override
        public String toString() {
            return String.format("worst %.3g (at %s), max rel %.3g, max abs %.3g, max |grad| %.3g, %d entries, "
                    + "float32 gap %.3g", worst, worstAt, maxRelative, maxAbsolute, maxAnalytic, entries, precisionGap);
        }
    }

    private OpGradientCheck() {
    }

    static Result run(Op op, List<int[]> inputShapes, long seed, Values values, int perTensor) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inputShapes.size(); i++) {
            names.add("in" + i);
        }
        Node node = new Node("op", op, names);
        List<INDArray> xs = new ArrayList<>();
        for (int i = 0; i < inputShapes.size(); i++) {
            int[] s = inputShapes.get(i);
            double[] v = new double[(int) Arrays.stream(s).asLongStream().reduce(1, (a, b) -> a * b)];
            for (int k = 0; k < v.length; k++) {
                v[k] = values.of(i, r.nextDouble());
            }
            xs.add(Nd4j.create(v, Nd.longs(s), DataType.DOUBLE));
        }
        TrainOp t = TrainOps.create(node, DataType.DOUBLE);
        PassOptions pass = PassOptions.train();
        INDArray y = t.forward(xs, pass, true);
        int[] outShape = op.outputShape(inputShapes);
        if (!Arrays.equals(Nd.ints(y.shape()), outShape)) {
            throw new AssertionError("output shape " + Arrays.toString(y.shape()) + " but the op declares "
                    + Arrays.toString(outShape));
        }
        double[] rv = new double[(int) y.length()];
        for (int k = 0; k < rv.length; k++) {
            rv[k] = r.nextDouble(-1, 1);
        }
        INDArray weights = Nd4j.create(rv, y.shape(), DataType.DOUBLE);
        boolean[] need = new boolean[xs.size()];
        Arrays.fill(need, true);
        INDArray[] gi = t.backward(weights, need);
        List<INDArray> analytic = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            if (gi[i] == null || !Arrays.equals(gi[i].shape(), xs.get(i).shape())) {
                throw new AssertionError("gradient of input " + i + " has shape "
                        + (gi[i] == null ? "null" : Arrays.toString(gi[i].shape())) + ", input "
                        + Arrays.toString(xs.get(i).shape()));
            }
            analytic.add(gi[i].dup('c'));
        }
        List<Parameter> params = t.parameters();
        for (Parameter p : params) {
            analytic.add(p.gradient().dup('c'));
        }
        t.clear();
        double gap = precisionGap(node, xs, weights, y, analytic.subList(0, xs.size()));

        List<INDArray> targets = new ArrayList<>(xs);
        List<String> targetNames = new ArrayList<>(names);
        for (Parameter p : params) {
            targets.add(p.value());
            targetNames.add(p.name());
        }
        double worst = 0;
        double maxRel = 0;
        double maxAbs = 0;
        double maxA = 0;
        int count = 0;
        String worstAt = "-";
        SplittableRandom pick = new SplittableRandom(seed + 17);
        for (int ti = 0; ti < targets.size(); ti++) {
            INDArray target = targets.get(ti);
            for (long i : indices(target.length(), perTensor, pick)) {
                double v = target.getDouble(i);
                target.putScalar(i, v + H);
                double plus = loss(t, xs, pass, weights);
                target.putScalar(i, v - H);
                double minus = loss(t, xs, pass, weights);
                target.putScalar(i, v);
                double numeric = (plus - minus) / (2 * H);
                double a = analytic.get(ti).getDouble(i);
                double err = Math.abs(a - numeric);
                double scale = Math.max(Math.abs(a), Math.abs(numeric));
                double w = err / (ATOL + RTOL * scale);
                if (!(w <= worst)) {
                    worst = Double.isNaN(w) ? Double.POSITIVE_INFINITY : w;
                    worstAt = targetNames.get(ti) + "[" + i + "] analytic " + a + " numeric " + numeric;
                }
                maxAbs = Math.max(maxAbs, err);
                if (scale > 1e-6) {
                    maxRel = Math.max(maxRel, err / scale);
                }
                maxA = Math.max(maxA, Math.abs(a));
                count++;
            }
        }
        t.release();
        return new Result(worst, maxRel, maxAbs, maxA, count, worstAt, gap);
    }

    private static double loss(TrainOp t, List<INDArray> xs, PassOptions pass, INDArray weights) {
        INDArray y = t.forward(xs, pass, false);
        double l = y.mul(weights).sumNumber().doubleValue();
        return l;
    }

    /**
     * The same op in float32 on the same inputs: max |y32 − y64| and max |∂x32 − ∂x64| relative to the
     * largest magnitude of y64 (resp. ∂x64), or absolute where that is below 1 (a gradient that cancels to
     * nearly 0, e.g. LayerNorm over 2 values, has no meaningful float32 relative error).
     */
    private static double precisionGap(Node node, List<INDArray> xs, INDArray weights, INDArray y64,
                                       List<INDArray> g64) {
        TrainOp t = TrainOps.create(node, DataType.FLOAT);
        List<INDArray> xf = new ArrayList<>();
        for (INDArray x : xs) {
            xf.add(x.castTo(DataType.FLOAT));
        }
        INDArray y = t.forward(xf, PassOptions.train(), true);
        if (y.dataType() != DataType.FLOAT) {
            throw new AssertionError("float32 op returned " + y.dataType());
        }
        boolean[] need = new boolean[xs.size()];
        Arrays.fill(need, true);
        INDArray[] g = t.backward(weights.castTo(DataType.FLOAT), need);
        double gap = relGap(y, y64);
        for (int i = 0; i < g.length; i++) {
            if (g[i].dataType() != DataType.FLOAT) {
                throw new AssertionError("float32 gradient " + i + " is " + g[i].dataType());
            }
            gap = Math.max(gap, relGap(g[i], g64.get(i)));
        }
        t.clear();
        t.release();
        return gap;
    }

    private static double relGap(INDArray f32, INDArray f64) {
        INDArray d = f32.castTo(DataType.DOUBLE).subi(f64);
        double max = f64.amaxNumber().doubleValue();
        return d.amaxNumber().doubleValue() / Math.max(max, 1.0);
    }

    private static long[] indices(long n, int max, SplittableRandom r) {
        if (n <= max) {
            long[] all = new long[(int) n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        long[] some = new long[max];
        for (int i = 0; i < max; i++) {
            some[i] = r.nextLong(n);
        }
        return some;
    }
}
