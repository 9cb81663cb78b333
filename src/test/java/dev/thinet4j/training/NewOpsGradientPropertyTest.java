package dev.thinet4j.training;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.testing.TestNets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.thinet4j.training.OpGradientCheck.Values;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Float64 gradient checks ({@link OpGradientCheck}, the tolerance of {@link GradientCheckTest}) on random
 * shapes and seeds: NumPy broadcasting of {@link Op.Binary} (random ranks, random length-1 axes on either
 * side, missing leading axes; always including the SE gate, spatial gate, rank-2 and channels-last
 * patterns), LayerNorm over a random axis, ReduceMean over random axes, ChannelShuffle and Transpose; and
 * that ChannelShuffle's forward is the declared channel permutation.
 */
class NewOpsGradientPropertyTest {
    private static final int PER_TENSOR = 12;

    private static void check(String what, OpGradientCheck.Result r) {
        check(what, r, 1e-4);
    }

    /** As {@link #check(String, OpGradientCheck.Result)} with a float32-vs-float64 bound of {@code gap}. */
    private static void check(String what, OpGradientCheck.Result r, double gap) {
        assertThat(r.maxAnalytic()).as("%s: gradients not all zero", what).isGreaterThan(1e-4);
        assertThat(r.passes()).as("%s: %s", what, r).isTrue();
        assertThat(r.precisionGap()).as("%s: float32 vs float64", what).isLessThan(gap);
    }

    private static Values valuesFor(Arith a) {
        return switch (a) {
            case DIV -> Values.perInput(u -> 2 * u - 1, u -> u < 0.5 ? -(0.5 + 2 * u) : 0.5 + 2 * (u - 0.5));
            case POW -> Values.perInput(u -> 0.5 + u, u -> 3 * u - 1.5);
            default -> Values.UNIFORM;
        };
    }

    /**
     * A random broadcast pair for an output of rank 2–5 (batch first): pattern 0 is random (each non-batch
     * axis of each side independently 1 with probability 1/3, the right side sometimes missing leading
     * axes), 1 the SE gate [N,C,H,W]·[N,C,1,1], 2 the spatial gate [N,C,H,W]·[N,1,H,W], 3 rank 2
     * [N,F]·[N,1], 4 channels-last [N,H,W,C]·[N,1,1,C]; {@code swap} exchanges the sides.
     */
    @Property(tries = 60)
    void binaryBroadcastingGradients(@ForAll @IntRange(min = 0, max = 4) int pattern,
                                     @ForAll @IntRange(min = 0, max = 4) int arithIndex,
                                     @ForAll @IntRange(min = 2, max = 5) int rank,
                                     @ForAll boolean swap,
                                     @ForAll long seed) {
        Random r = new Random(seed);
        Arith arith = Arith.values()[arithIndex];
        int[] a;
        int[] b;
        switch (pattern) {
            case 1 -> {
                int n = 1 + r.nextInt(2), c = 1 + r.nextInt(4), h = 2 + r.nextInt(3), w = 1 + r.nextInt(4);
                a = new int[]{n, c, h, w};
                b = new int[]{n, c, 1, 1};
            }
            case 2 -> {
                int n = 1 + r.nextInt(2), c = 2 + r.nextInt(3), h = 1 + r.nextInt(4), w = 1 + r.nextInt(4);
                a = new int[]{n, c, h, w};
                b = new int[]{n, 1, h, w};
            }
            case 3 -> {
                int n = 1 + r.nextInt(3), f = 2 + r.nextInt(6);
                a = new int[]{n, f};
                b = new int[]{n, 1};
            }
            case 4 -> {
                int n = 1 + r.nextInt(2), h = 1 + r.nextInt(3), w = 1 + r.nextInt(3), c = 2 + r.nextInt(4);
                a = new int[]{n, h, w, c};
                b = new int[]{n, 1, 1, c};
            }
            default -> {
                int[] out = new int[rank];
                out[0] = 1 + r.nextInt(2);
                for (int i = 1; i < rank; i++) {
                    out[i] = 1 + r.nextInt(4);
                }
                a = out.clone();
                int[] full = out.clone();
                for (int i = 1; i < rank; i++) {
                    if (r.nextInt(3) == 0) {
                        a[i] = 1;
                    }
                    if (r.nextInt(3) == 0) {
                        full[i] = 1;
                    }
                }
                int drop = r.nextInt(4) == 0 ? r.nextInt(rank) : 0;
                b = Arrays.copyOfRange(full, drop, rank);
            }
        }
        List<int[]> shapes = swap ? List.of(b, a) : List.of(a, b);
        String what = arith + " " + Arrays.toString(shapes.get(0)) + " ∘ " + Arrays.toString(shapes.get(1));
        check(what, OpGradientCheck.run(new Op.Binary(arith), shapes, seed, valuesFor(arith), PER_TENSOR));
    }

    @Property(tries = 30)
    void layerNormGradients(@ForAll @IntRange(min = 2, max = 5) int rank,
                            @ForAll @IntRange(min = 1, max = 4) int axisPick,
                            @ForAll boolean bias,
                            @ForAll long seed) {
        Random r = new Random(seed);
        int axis = 1 + (axisPick - 1) % (rank - 1);
        int[] shape = new int[rank];
        shape[0] = 1 + r.nextInt(3);
        for (int i = 1; i < rank; i++) {
            shape[i] = 1 + r.nextInt(4);
        }
        shape[axis] = 2 + r.nextInt(5);
        int d = shape[axis];
        Op.LayerNorm ln = new Op.LayerNorm(axis, TestNets.rand(r, 1f, d), bias ? TestNets.rand(r, 0.5f, d) : null,
                r.nextBoolean() ? 1e-5f : 1e-6f);
        // float32 rounding of x − mean is divided by σ: over two or three features σ can be small, and the float32
        // gradient then differs from the float64 one by up to ~2e-4 (seen: 1.6e-4 on [3, 2, 3, 4, 1], axis 1); the
        // float64 check above is the correctness check, this one only bounds the float32 path
        check("layer norm axis " + axis + " of " + Arrays.toString(shape),
                OpGradientCheck.run(ln, List.of(shape), seed, Values.UNIFORM, PER_TENSOR), 1e-3);
    }

    @Property(tries = 30)
    void reduceMeanGradients(@ForAll @IntRange(min = 2, max = 5) int rank,
                             @ForAll boolean keepDims,
                             @ForAll long seed) {
        Random r = new Random(seed);
        int[] shape = new int[rank];
        shape[0] = 1 + r.nextInt(3);
        List<Integer> axes = new ArrayList<>();
        for (int i = 1; i < rank; i++) {
            shape[i] = 1 + r.nextInt(4);
            if (r.nextBoolean()) {
                axes.add(i);
            }
        }
        if (axes.isEmpty()) {
            axes.add(1 + r.nextInt(rank - 1));
        }
        int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
        check("reduce mean " + Arrays.toString(ax) + " keepDims " + keepDims + " of " + Arrays.toString(shape),
                OpGradientCheck.run(new Op.ReduceMean(ax, keepDims), List.of(shape), seed, Values.UNIFORM, PER_TENSOR));
    }

    @Property(tries = 25)
    void channelShuffleGradientsAndPermutation(@ForAll @IntRange(min = 1, max = 4) int groups,
                                               @ForAll @IntRange(min = 1, max = 4) int perGroup,
                                               @ForAll @IntRange(min = 1, max = 3) int h,
                                               @ForAll @IntRange(min = 1, max = 3) int w,
                                               @ForAll long seed) {
        int c = groups * perGroup;
        int[] shape = {2, c, h, w};
        Op.ChannelShuffle op = new Op.ChannelShuffle(groups);
        check("shuffle g=" + groups + " of " + Arrays.toString(shape),
                OpGradientCheck.run(op, List.of(shape), seed, Values.UNIFORM, PER_TENSOR));

        Random r = new Random(seed);
        Tensor xt = TestNets.rand(r, 1f, shape);
        try (INDArray x = Nd.toNd(xt, DataType.DOUBLE)) {
            TrainOp t = TrainOps.create(new dev.thinet4j.model.Node("s", op, List.of("x")), DataType.DOUBLE);
            INDArray y = t.forward(List.of(x), PassOptions.eval(), false);
            for (int o = 0; o < c; o++) {
                int src = op.sourceChannel(o, c);
                assertThat(y.get(Nd.slice(4, 1, o, o + 1)).equalsWithEps(x.get(Nd.slice(4, 1, src, src + 1)), 0))
                        .as("output channel %d reads input channel %d", o, src).isTrue();
            }
            y.close();
        }
    }

    @Property(tries = 25)
    void transposeGradients(@ForAll @IntRange(min = 2, max = 5) int rank, @ForAll long seed) {
        Random r = new Random(seed);
        int[] shape = new int[rank];
        shape[0] = 1 + r.nextInt(2);
        for (int i = 1; i < rank; i++) {
            shape[i] = 1 + r.nextInt(4);
        }
        List<Integer> rest = new ArrayList<>();
        for (int i = 1; i < rank; i++) {
            rest.add(i);
        }
        java.util.Collections.shuffle(rest, r);
        int[] perm = new int[rank];
        for (int i = 1; i < rank; i++) {
            perm[i] = rest.get(i - 1);
        }
        Op.Transpose op = new Op.Transpose(perm);
        check("transpose " + Arrays.toString(perm) + " of " + Arrays.toString(shape),
                OpGradientCheck.run(op, List.of(shape), seed, Values.UNIFORM, PER_TENSOR));
        // forward: y[i0, i1, …] = x[j] with j[perm[k]] = i[k]
        Tensor xt = TestNets.rand(r, 1f, shape);
        try (INDArray x = Nd.toNd(xt, DataType.DOUBLE)) {
            TrainOp t = TrainOps.create(new dev.thinet4j.model.Node("t", op, List.of("x")), DataType.DOUBLE);
            INDArray y = t.forward(List.of(x), PassOptions.eval(), false);
            long[] idx = new long[rank];
            for (int trial = 0; trial < 10; trial++) {
                long[] src = new long[rank];
                for (int k = 0; k < rank; k++) {
                    idx[k] = r.nextInt((int) y.size(k));
                    src[perm[k]] = idx[k];
                }
                assertThat(y.getDouble(idx)).isEqualTo(x.getDouble(src));
            }
            y.close();
        }
    }
}
