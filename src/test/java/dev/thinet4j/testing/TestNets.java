package dev.thinet4j.testing;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;

import java.util.Random;

/** Small seeded networks for tests. */
public final class TestNets {
    private TestNets() {
    }

    public static Tensor rand(Random r, float scale, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return Tensor.of(v, shape);
    }

    public static Tensor uniform(Random r, float lo, float hi, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * r.nextFloat();
        }
        return Tensor.of(v, shape);
    }

    public static Op.Conv conv(Random r, int in, int out, int k, int stride, int pad) {
        return new Op.Conv(rand(r, (float) Math.sqrt(2.0 / (in * k * k)), out, in, k, k), rand(r, 0.1f, out),
                Hw.of(stride), Padding.of(pad), Hw.of(1), 1);
    }

    public static Op.Conv depthwise(Random r, int c, int k, int pad) {
        return new Op.Conv(rand(r, (float) Math.sqrt(2.0 / (k * k)), c, 1, k, k), rand(r, 0.1f, c),
                Hw.of(1), Padding.of(pad), Hw.of(1), c);
    }

    public static Op.BatchNorm bn(Random r, int c) {
        return new Op.BatchNorm(uniform(r, 0.5f, 1.5f, c), rand(r, 0.1f, c), rand(r, 0.1f, c),
                uniform(r, 0.5f, 1.5f, c), 1e-5f);
    }

    public static Op.Linear linear(Random r, int in, int out) {
        return new Op.Linear(rand(r, (float) Math.sqrt(1.0 / in), out, in), rand(r, 0.1f, out));
    }

    /** conv-bn-relu ×2, pool, conv-bn-relu, pool, flatten, fc, relu, fc: input 3×12×12. */
    public static Network vggLike(long seed) {
        Random r = new Random(seed);
        return Network.builder("vgg-like").input("input", 3, 12, 12)
                .add("conv1", conv(r, 3, 8, 3, 1, 1), "input")
                .add("bn1", bn(r, 8), "conv1")
                .add("relu1", new Op.Relu(), "bn1")
                .add("conv2", conv(r, 8, 8, 3, 1, 1), "relu1")
                .add("bn2", bn(r, 8), "conv2")
                .add("relu2", new Op.Relu(), "bn2")
                .add("pool2", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "relu2")
                .add("conv3", conv(r, 8, 6, 3, 1, 1), "pool2")
                .add("bn3", bn(r, 6), "conv3")
                .add("relu3", new Op.Relu(), "bn3")
                .add("pool3", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "relu3")
                .add("flatten", new Op.Flatten(1), "pool3")
                .add("fc1", linear(r, 6 * 3 * 3, 16), "flatten")
                .add("relu_fc1", new Op.Relu(), "fc1")
                .add("fc2", linear(r, 16, 5), "relu_fc1")
                .output("fc2")
                .build();
    }

    /**
     * Five conv-bn-relu layers (8, 8, 12, 12, 10 channels; max pooling after the 2nd and the 5th), then the
     * fully connected head flatten → fc1 (90→16) → relu → dropout (Identity) → fc2 (16→5): input 3×12×12.
     * Enough convs for the {@code vgg} policy (it keeps the last three).
     */
    public static Network vggDeep(long seed) {
        Random r = new Random(seed);
        NetworkBuilder b = Network.builder("vgg-deep").input("input", 3, 12, 12);
        int[] widths = {8, 8, 12, 12, 10};
        String prev = "input";
        int in = 3;
        for (int i = 0; i < widths.length; i++) {
            String k = Integer.toString(i + 1);
            b.add("conv" + k, conv(r, in, widths[i], 3, 1, 1), prev)
                    .add("bn" + k, bn(r, widths[i]), "conv" + k)
                    .add("relu" + k, new Op.Relu(), "bn" + k);
            prev = "relu" + k;
            if (i == 1 || i == 4) {
                b.add("pool" + k, new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), prev);
                prev = "pool" + k;
            }
            in = widths[i];
        }
        return b.add("flatten", new Op.Flatten(1), prev)
                .add("fc1", linear(r, 10 * 3 * 3, 16), "flatten")
                .add("relu_fc1", new Op.Relu(), "fc1")
                .add("drop", new Op.Identity(), "relu_fc1")
                .add("fc2", linear(r, 16, 5), "drop")
                .output("fc2")
                .build();
    }

    /**
     * A residual net: stem conv (8), a block conv1-bn-relu-conv2-bn + identity add, a block with a
     * projection shortcut to 12 channels (stride 2), GAP, flatten, fc. Input 3×10×10.
     */
    public static Network residual(long seed) {
        Random r = new Random(seed);
        NetworkBuilder b = Network.builder("residual").input("input", 3, 10, 10)
                .add("stem", conv(r, 3, 8, 3, 1, 1), "input")
                .add("stem_bn", bn(r, 8), "stem")
                .add("stem_relu", new Op.Relu(), "stem_bn")
                .add("b1.conv1", conv(r, 8, 6, 3, 1, 1), "stem_relu")
                .add("b1.bn1", bn(r, 6), "b1.conv1")
                .add("b1.relu1", new Op.Relu(), "b1.bn1")
                .add("b1.conv2", conv(r, 6, 8, 3, 1, 1), "b1.relu1")
                .add("b1.bn2", bn(r, 8), "b1.conv2")
                .add("b1.add", new Op.Add(), "b1.bn2", "stem_relu")
                .add("b1.relu", new Op.Relu(), "b1.add")
                .add("b2.conv1", conv(r, 8, 5, 3, 2, 1), "b1.relu")
                .add("b2.bn1", bn(r, 5), "b2.conv1")
                .add("b2.relu1", new Op.Relu(), "b2.bn1")
                .add("b2.conv2", conv(r, 5, 12, 3, 1, 1), "b2.relu1")
                .add("b2.bn2", bn(r, 12), "b2.conv2")
                .add("b2.down", conv(r, 8, 12, 1, 2, 0), "b1.relu")
                .add("b2.down_bn", bn(r, 12), "b2.down")
                .add("b2.add", new Op.Add(), "b2.bn2", "b2.down_bn")
                .add("b2.relu", new Op.Relu(), "b2.add")
                .add("gap", new Op.GlobalAvgPool(), "b2.relu")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", linear(r, 12, 4), "flatten");
        return b.output("fc").build();
    }

    /** Two conv branches concatenated, a depthwise conv, a 1×1 conv, GAP, fc. Input 4×8×8. */
    public static Network concatDepthwise(long seed) {
        Random r = new Random(seed);
        return Network.builder("concat-dw").input("input", 4, 8, 8)
                .add("a", conv(r, 4, 5, 3, 1, 1), "input")
                .add("a_relu", new Op.Relu(), "a")
                .add("b", conv(r, 4, 3, 1, 1, 0), "input")
                .add("cat", new Op.Concat(1), "a_relu", "b")
                .add("cat_bn", bn(r, 8), "cat")
                .add("dw", depthwise(r, 8, 3, 1), "cat_bn")
                .add("dw_bn", bn(r, 8), "dw")
                .add("dw_relu", new Op.Clip(0f, 6f), "dw_bn")
                .add("pw", conv(r, 8, 6, 1, 1, 0), "dw_relu")
                .add("gap", new Op.GlobalAvgPool(), "pw")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", linear(r, 6, 3), "flatten")
                .output("fc")
                .build();
    }
}
