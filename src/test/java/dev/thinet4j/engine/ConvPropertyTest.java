package dev.thinet4j.engine;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The engine's convolution against the double-precision reference on random shapes. */
class ConvPropertyTest {

    private static List<Integer> divisors(int n) {
        List<Integer> d = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            if (n % i == 0) {
                d.add(i);
            }
        }
        return d;
    }

    /** Largest dilation ≤ d whose dilated kernel fits the padded length. */
    static int fitDilation(int d, int k, int padded) {
        while (d > 1 && d * (k - 1) + 1 > padded) {
            d--;
        }
        return d;
    }

    @Property(tries = 120)
    void convMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
                              @ForAll @IntRange(min = 1, max = 8) int cin,
                              @ForAll @IntRange(min = 0, max = 7) int groupPick,
                              @ForAll boolean depthwise,
                              @ForAll @IntRange(min = 1, max = 3) int outPerGroup,
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
                              @ForAll boolean withBias,
                              @ForAll @IntRange(min = 5, max = 17) int h,
                              @ForAll @IntRange(min = 5, max = 17) int w,
                              @ForAll long seed) {
        List<Integer> divs = divisors(cin);
        int groups = depthwise ? cin : divs.get(groupPick % divs.size());
        int cout = groups * outPerGroup;
        if (symmetricPads) {
            pb = pt;
            pr = pl;
        }
        dh = fitDilation(dh, kh, h + pt + pb);
        dw = fitDilation(dw, kw, w + pl + pr);
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor weight = EngineAsserts.randomTensor(rnd, -1, 1, cout, cin / groups, kh, kw);
        Tensor bias = withBias ? EngineAsserts.randomTensor(rnd, -1, 1, cout) : null;
        Op.Conv conv = new Op.Conv(weight, bias, new Hw(sh, sw), new Padding(pt, pl, pb, pr), new Hw(dh, dw), groups);
        Network net = Network.builder("conv").input("x", cin, h, w).add("conv", conv, "x").build();
        DArray x = DArray.random(rnd, -1, 1, batch, cin, h, w);

        DArray ref = ReferenceOps.conv(x, ReferenceNet.darray(weight), ReferenceNet.doubles(bias), sh, sw,
                pt, pl, pb, pr, dh, dw, groups);
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray in = EngineAsserts.nd(x);
             INDArray out = engine.forward(in)) {
            EngineAsserts.assertClose(ref, out, 1e-4, conv.toString());
        }
    }

    /**
     * Grouped convs (1 &lt; groups &lt; C_in) with strides, dilations, asymmetric pads and batches &gt; 1, on both
     * grouped paths (im2col + sgemm, per-group conv2d) forced, and through the engine (path chosen by size),
     * against the double-precision reference; the kernel gets a dense NCHW input or an NCHW-shaped view of
     * NHWC memory (what the engine may hold; the kernel must read it right even though it asks for NCHW).
     */
    @Property(tries = 80)
    void groupedConvMatchesReference(@ForAll @IntRange(min = 1, max = 4) int batch,
                                     @ForAll @IntRange(min = 2, max = 8) int groups,
                                     @ForAll @IntRange(min = 1, max = 4) int inPerGroup,
                                     @ForAll @IntRange(min = 1, max = 3) int outPerGroup,
                                     @ForAll @IntRange(min = 1, max = 3) int kh,
                                     @ForAll @IntRange(min = 1, max = 3) int kw,
                                     @ForAll @IntRange(min = 1, max = 3) int sh,
                                     @ForAll @IntRange(min = 1, max = 3) int sw,
                                     @ForAll @IntRange(min = 0, max = 2) int pt,
                                     @ForAll @IntRange(min = 0, max = 2) int pl,
                                     @ForAll @IntRange(min = 0, max = 2) int pb,
                                     @ForAll @IntRange(min = 0, max = 2) int pr,
                                     @ForAll @IntRange(min = 1, max = 3) int dh,
                                     @ForAll @IntRange(min = 1, max = 3) int dw,
                                     @ForAll boolean withBias,
                                     @ForAll boolean nhwcInput,
                                     @ForAll @IntRange(min = 4, max = 14) int h,
                                     @ForAll @IntRange(min = 4, max = 14) int w,
                                     @ForAll long seed) {
        int cin = groups * inPerGroup;
        int cout = groups * outPerGroup;
        dh = fitDilation(dh, kh, h + pt + pb);
        dw = fitDilation(dw, kw, w + pl + pr);
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor weight = EngineAsserts.randomTensor(rnd, -1, 1, cout, inPerGroup, kh, kw);
        Tensor bias = withBias ? EngineAsserts.randomTensor(rnd, -1, 1, cout) : null;
        Op.Conv conv = new Op.Conv(weight, bias, new Hw(sh, sw), new Padding(pt, pl, pb, pr), new Hw(dh, dw), groups);
        Network net = Network.builder("conv").input("x", cin, h, w).add("conv", conv, "x").build();
        DArray x = DArray.random(rnd, -1, 1, batch, cin, h, w);
        DArray ref = ReferenceOps.conv(x, ReferenceNet.darray(weight), ReferenceNet.doubles(bias), sh, sw,
                pt, pl, pb, pr, dh, dw, groups);
        for (Boolean gemm : new Boolean[]{Boolean.TRUE, Boolean.FALSE}) {
            try (ConvKernel k = new ConvKernel(net.node("conv"), conv).forceGroupedPath(gemm);
                 INDArray dense = EngineAsserts.nd(x);
                 INDArray nhwc = dense.permute(0, 2, 3, 1).dup('c')) {
                INDArray in = nhwcInput ? nhwc.permute(0, 3, 1, 2) : dense;
                INDArray out = k.run(List.of(in), false, Buffers.FRESH);
                try {
                    EngineAsserts.assertClose(ref, out, 1e-4, (gemm ? "im2col+sgemm " : "per-group conv2d ")
                            + (nhwcInput ? "NHWC-view input " : "") + conv);
                } finally {
                    NdArrays.closeQuietly(out);
                }
            }
        }
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray in = EngineAsserts.nd(x);
             INDArray out = engine.forward(in)) {
            EngineAsserts.assertClose(ref, out, 1e-4, conv.toString());
        }
    }
}
