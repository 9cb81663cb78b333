package dev.thinet4j.rewrite;

import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Seeded channels-last test networks (ConvNeXt-style) and an output comparison through the engine. */
final class CfNets {
    static final int[] TO_LAST = {0, 2, 3, 1};
    static final int[] TO_FIRST = {0, 3, 1, 2};

    private CfNets() {
    }

    static Tensor rand(SplittableRandom rnd, double lo, double hi, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) rnd.nextDouble(lo, hi);
        }
        return Tensor.of(f, shape);
    }

    static Tensor scalar(float v, int... shape) {
        return Tensor.of(new float[]{v}, shape);
    }

    static Op.Conv conv(SplittableRandom rnd, int cin, int cout, int k, int stride, int pad, int groups) {
        double bound = Math.sqrt(6.0 / (cin / groups * k * k));
        return new Op.Conv(rand(rnd, -bound, bound, cout, cin / groups, k, k), rand(rnd, -0.1, 0.1, cout),
                Hw.of(stride), Padding.of(pad), Hw.of(1), groups);
    }

    static Op.Linear linear(SplittableRandom rnd, int in, int out) {
        double bound = Math.sqrt(6.0 / in);
        return new Op.Linear(rand(rnd, -bound, bound, out, in), rand(rnd, -0.1, 0.1, out));
    }

    static Op.LayerNorm ln(SplittableRandom rnd, int axis, int c) {
        return new Op.LayerNorm(axis, rand(rnd, 0.5, 1.5, c), rand(rnd, -0.1, 0.1, c), 1e-6f);
    }

    static Op.Transpose t(int... perm) {
        return new Op.Transpose(perm);
    }

    /** LayerNorm2d as torch exports it: Transpose(0,2,3,1), LayerNorm over the last axis, Transpose(0,3,1,2). */
    static String ln2d(NetworkBuilder b, SplittableRandom rnd, String p, String in, int c) {
        b.add(p + ".perm1", t(TO_LAST), in)
                .add(p + ".ln", ln(rnd, 3, c), p + ".perm1")
                .add(p + ".perm2", t(TO_FIRST), p + ".ln");
        return p + ".perm2";
    }

    /** GELU(x) = x · (1 + erf(x / √2)) · 0.5 in torch's exported form. */
    static String gelu(NetworkBuilder b, String p, String in) {
        b.add(p + ".gelu_div", Op.ConstArith.right(Arith.DIV, scalar(1.4142135f)), in)
                .add(p + ".gelu_erf", new Op.Erf(), p + ".gelu_div")
                .add(p + ".gelu_add", Op.ConstArith.right(Arith.ADD, scalar(1f, 1)), p + ".gelu_erf")
                .add(p + ".gelu_mul", new Op.Binary(Arith.MUL), in, p + ".gelu_add")
                .add(p + ".gelu_half", Op.ConstArith.right(Arith.MUL, scalar(0.5f)), p + ".gelu_mul");
        return p + ".gelu_half";
    }

    /**
     * A ConvNeXt block: depthwise 7x7, permute, LayerNorm, Linear C→4C, GELU, Linear 4C→C, permute back, layer
     * scale, residual. With {@code scaleBeforeExit} the layer scale is a [C] constant applied channels-last
     * (inside the region), otherwise torch's Mul(gamma [C,1,1], x) after the permute back.
     */
    static String block(NetworkBuilder b, SplittableRandom rnd, String p, String in, int c, boolean scaleBeforeExit) {
        b.add(p + ".dw", conv(rnd, c, c, 7, 1, 3, c), in)
                .add(p + ".perm1", t(TO_LAST), p + ".dw")
                .add(p + ".ln", ln(rnd, 3, c), p + ".perm1")
                .add(p + ".fc1", linear(rnd, c, 4 * c), p + ".ln");
        String g = gelu(b, p, p + ".fc1");
        b.add(p + ".fc2", linear(rnd, 4 * c, c), g);
        String scaled;
        if (scaleBeforeExit) {
            b.add(p + ".ls", Op.ConstArith.right(Arith.MUL, rand(rnd, 0.1, 1.0, c)), p + ".fc2")
                    .add(p + ".perm2", t(TO_FIRST), p + ".ls");
            scaled = p + ".perm2";
        } else {
            b.add(p + ".perm2", t(TO_FIRST), p + ".fc2")
                    .add(p + ".ls", new Op.ConstArith(Arith.MUL, rand(rnd, 0.1, 1.0, c, 1, 1), true), p + ".perm2");
            scaled = p + ".ls";
        }
        b.add(p + ".add", new Op.Add(), scaled, in);
        return p + ".add";
    }

    /**
     * Stem conv 4x4/4 + LayerNorm2d, two blocks at 8 channels, downsample LayerNorm2d + conv 2x2/2, one block at 16
     * channels (layer scale inside the region), head GAP → LayerNorm2d → Flatten → Linear. Input 3x16x16.
     */
    static Network convnext(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        NetworkBuilder b = Network.builder("convnext-mini").input("input", 3, 16, 16);
        b.add("stem", conv(rnd, 3, 8, 4, 4, 0, 1), "input");
        String x = ln2d(b, rnd, "stem_ln", "stem", 8);
        x = block(b, rnd, "s1b0", x, 8, false);
        x = block(b, rnd, "s1b1", x, 8, false);
        x = ln2d(b, rnd, "ds_ln", x, 8);
        b.add("ds", conv(rnd, 8, 16, 2, 2, 0, 1), x);
        x = block(b, rnd, "s2b0", "ds", 16, true);
        b.add("gap", new Op.GlobalAvgPool(), x);
        x = ln2d(b, rnd, "head_ln", "gap", 16);
        b.add("flat", new Op.Flatten(1), x)
                .add("fc", linear(rnd, 16, 10), "flat")
                .output("fc");
        return b.build();
    }

    static INDArray input(Network net, int batch, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, batch, net.input().channels(), net.input().height(), net.input().width())
                .subi(0.5).muli(2);
    }

    /**
     * max over outputs of max|a − b| / max|a| for one batch; the outputs must have the same names and shapes.
     */
    static double maxRelDiff(Network ref, Network other, INDArray x) {
        try (InferenceEngine ea = new InferenceEngine(ref); InferenceEngine eb = new InferenceEngine(other)) {
            Map<String, INDArray> ya = ea.forwardAll(x);
            Map<String, INDArray> yb = eb.forwardAll(x);
            double worst = 0;
            for (String o : ref.outputs()) {
                INDArray a = ya.get(o);
                INDArray b = yb.get(o);
                assertArrayEquals(a.shape(), b.shape(), "output " + o);
                float[] fa = a.dup('c').reshape(a.length()).toFloatVector();
                float[] fb = b.dup('c').reshape(b.length()).toFloatVector();
                double max = 0;
                double diff = 0;
                for (int i = 0; i < fa.length; i++) {
                    max = Math.max(max, Math.abs(fa[i]));
                    double d = Math.abs((double) fa[i] - fb[i]);
                    diff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(diff, d);
                }
                worst = Math.max(worst, max == 0 ? diff : diff / max);
            }
            ya.values().forEach(INDArray::close);
            yb.values().forEach(INDArray::close);
            return worst;
        }
    }

    static String describe(Network net) {
        StringBuilder sb = new StringBuilder();
        net.nodes().forEach(n -> sb.append(n).append(' ').append(n.op() instanceof Op.Transpose tr
                ? Arrays.toString(tr.perm()) : "").append('\n'));
        return sb.toString();
    }
}
