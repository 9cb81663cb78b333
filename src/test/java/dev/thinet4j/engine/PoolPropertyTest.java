package dev.thinet4j.engine;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The engine's max and average pooling against the double-precision reference on random shapes, with
 * PyTorch's constraint pad ≤ kernel/2 per side.
 */
class PoolPropertyTest {

    @Property(tries = 120)
    void maxPoolMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
                                 @ForAll @IntRange(min = 1, max = 4) int c,
                                 @ForAll @IntRange(min = 1, max = 5) int kh,
                                 @ForAll @IntRange(min = 1, max = 5) int kw,
                                 @ForAll @IntRange(min = 1, max = 3) int sh,
                                 @ForAll @IntRange(min = 1, max = 3) int sw,
                                 @ForAll @IntRange(min = 0, max = 2) int pt,
                                 @ForAll @IntRange(min = 0, max = 2) int pl,
                                 @ForAll @IntRange(min = 0, max = 2) int pb,
                                 @ForAll @IntRange(min = 0, max = 2) int pr,
                                 @ForAll boolean symmetricPads,
                                 @ForAll @IntRange(min = 1, max = 3) int dh,
                                 @ForAll @IntRange(min = 1, max = 3) int dw,
                                 @ForAll boolean ceil,
                                 @ForAll @IntRange(min = 5, max = 17) int h,
                                 @ForAll @IntRange(min = 5, max = 17) int w,
                                 @ForAll long seed) {
        if (symmetricPads) {
            pb = pt;
            pr = pl;
        }
        pt = Math.min(pt, kh / 2);
        pb = Math.min(pb, kh / 2);
        pl = Math.min(pl, kw / 2);
        pr = Math.min(pr, kw / 2);
        dh = ConvPropertyTest.fitDilation(dh, kh, h + pt + pb);
        dw = ConvPropertyTest.fitDilation(dw, kw, w + pl + pr);
        Op.MaxPool op = new Op.MaxPool(new Hw(kh, kw), new Hw(sh, sw), new Padding(pt, pl, pb, pr), new Hw(dh, dw), ceil);
        SplittableRandom rnd = new SplittableRandom(seed);
        DArray x = DArray.random(rnd, -2, 2, batch, c, h, w);
        DArray ref = ReferenceOps.maxPool(x, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, ceil);
        check(op, x, ref);
    }

    @Property(tries = 120)
    void avgPoolMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
                                 @ForAll @IntRange(min = 1, max = 4) int c,
                                 @ForAll @IntRange(min = 1, max = 5) int kh,
                                 @ForAll @IntRange(min = 1, max = 5) int kw,
                                 @ForAll @IntRange(min = 1, max = 3) int sh,
                                 @ForAll @IntRange(min = 1, max = 3) int sw,
                                 @ForAll @IntRange(min = 0, max = 2) int pt,
                                 @ForAll @IntRange(min = 0, max = 2) int pl,
                                 @ForAll @IntRange(min = 0, max = 2) int pb,
                                 @ForAll @IntRange(min = 0, max = 2) int pr,
                                 @ForAll boolean symmetricPads,
                                 @ForAll boolean countIncludePad,
                                 @ForAll boolean ceil,
                                 @ForAll @IntRange(min = 5, max = 17) int h,
                                 @ForAll @IntRange(min = 5, max = 17) int w,
                                 @ForAll long seed) {
        if (symmetricPads) {
            pb = pt;
            pr = pl;
        }
        pt = Math.min(pt, kh / 2);
        pb = Math.min(pb, kh / 2);
        pl = Math.min(pl, kw / 2);
        pr = Math.min(pr, kw / 2);
        Op.AvgPool op = new Op.AvgPool(new Hw(kh, kw), new Hw(sh, sw), new Padding(pt, pl, pb, pr), countIncludePad, ceil);
        SplittableRandom rnd = new SplittableRandom(seed);
        DArray x = DArray.random(rnd, -2, 2, batch, c, h, w);
        DArray ref = ReferenceOps.avgPool(x, kh, kw, sh, sw, pt, pl, pb, pr, countIncludePad, ceil);
        check(op, x, ref);
    }

    /**
     * Hand-computed ceil-mode case: 1×1×5×5 input 0..24, k=2, s=2, pad 0, ceil → 3×3 output whose last
     * row/column windows overhang by one; with count_include_pad the overhang is not counted (PyTorch).
     */
    @Test
    void avgPoolCeilOverhangHandComputed() {
        double[] v = new double[25];
        for (int i = 0; i < 25; i++) {
            v[i] = i;
        }
        DArray x = new DArray(new int[]{1, 1, 5, 5}, v);
        Op.AvgPool op = new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, true, true);
        // windows: rows {0,1},{2,3},{4}; cols likewise. e.g. (0,0): (0+1+5+6)/4 = 3; (0,2): (4+9)/2 = 6.5;
        // (2,2): 24/1 = 24; (2,0): (20+21)/2 = 20.5
        DArray expected = new DArray(new int[]{1, 1, 3, 3},
                new double[]{3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24});
        check(op, x, expected);
        // max pooling of the same windows takes the bottom-right element of each clipped window
        Op.MaxPool max = new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), true);
        check(max, x, new DArray(new int[]{1, 1, 3, 3}, new double[]{6, 8, 9, 16, 18, 19, 21, 23, 24}));
    }

    /** Hand-computed: 1×1×3×3 ones, k=3, s=1, pads (1,1,1,1): count_include_pad divides corners by 9, else by 4. */
    @Test
    void avgPoolPaddingDivisorHandComputed() {
        DArray x = new DArray(new int[]{1, 1, 3, 3}, new double[]{1, 1, 1, 1, 1, 1, 1, 1, 1});
        Op.AvgPool incl = new Op.AvgPool(Hw.of(3), Hw.of(1), Padding.of(1), true, false);
        check(incl, x, new DArray(new int[]{1, 1, 3, 3},
                new double[]{4 / 9.0, 6 / 9.0, 4 / 9.0, 6 / 9.0, 1, 6 / 9.0, 4 / 9.0, 6 / 9.0, 4 / 9.0}));
        Op.AvgPool excl = new Op.AvgPool(Hw.of(3), Hw.of(1), Padding.of(1), false, false);
        check(excl, x, new DArray(new int[]{1, 1, 3, 3}, new double[]{1, 1, 1, 1, 1, 1, 1, 1, 1}));
    }

    private static void check(Op op, DArray x, DArray ref) {
        Network net = Network.builder("pool").input("x", x.dim(1), x.dim(2), x.dim(3)).add("pool", op, "x").build();
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray in = EngineAsserts.nd(x);
             INDArray out = engine.forward(in)) {
            assertArrayEquals(ref.shape(), EngineAsserts.darray(out).shape(), op::toString);
            EngineAsserts.assertClose(ref, out, 1e-5, op.toString());
        }
    }
}
