package dev.thinet4j.engine;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;

import java.util.SplittableRandom;

/** Small networks with seeded random weights for the whole-network tests. */
final class TestNets {
    private TestNets() {
    }

    static Op.Conv conv(SplittableRandom rnd, int cin, int cout, int k, int stride, Padding pads, int groups,
                        boolean bias) {
        double bound = Math.sqrt(6.0 / (cin / groups * k * k));
        Tensor w = EngineAsserts.randomTensor(rnd, -bound, bound, cout, cin / groups, k, k);
        Tensor b = bias ? EngineAsserts.randomTensor(rnd, -0.1, 0.1, cout) : null;
        return new Op.Conv(w, b, Hw.of(stride), pads, Hw.of(1), groups);
    }

    static Op.BatchNorm bn(SplittableRandom rnd, int c) {
        return new Op.BatchNorm(EngineAsserts.randomTensor(rnd, 0.5, 1.5, c),
                EngineAsserts.randomTensor(rnd, -0.2, 0.2, c),
                EngineAsserts.randomTensor(rnd, -0.2, 0.2, c),
                EngineAsserts.randomTensor(rnd, 0.5, 2, c), 1e-5f);
    }

    static Op.Linear linear(SplittableRandom rnd, int in, int out) {
        double bound = Math.sqrt(6.0 / in);
        return new Op.Linear(EngineAsserts.randomTensor(rnd, -bound, bound, out, in),
                EngineAsserts.randomTensor(rnd, -0.1, 0.1, out));
    }

    /** conv-BN-ReLU ×2, maxpool, conv-BN-ReLU, ceil-mode maxpool, flatten, FC-ReLU-FC, softmax. 3×16×16 in. */
    static Network vgg(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        return Network.builder("vgg").input("image", 3, 16, 16)
                .add("conv1", conv(rnd, 3, 8, 3, 1, Padding.of(1), 1, true), "image")
                .add("bn1", bn(rnd, 8), "conv1")
                .add("relu1", new Op.Relu(), "bn1")
                .add("conv2", conv(rnd, 8, 8, 3, 1, Padding.of(1), 1, false), "relu1")
                .add("bn2", bn(rnd, 8), "conv2")
                .add("relu2", new Op.Relu(), "bn2")
                .add("pool1", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "relu2")
                .add("conv3", conv(rnd, 8, 16, 3, 1, Padding.of(1), 1, true), "pool1")
                .add("bn3", bn(rnd, 16), "conv3")
                .add("relu3", new Op.Relu(), "bn3")
                .add("pool2", new Op.MaxPool(Hw.of(3), Hw.of(2), Padding.NONE, Hw.of(1), true), "relu3")
                .add("flatten", new Op.Flatten(1), "pool2")
                .add("fc1", linear(rnd, 16 * 4 * 4, 32), "flatten")
                .add("relu4", new Op.Relu(), "fc1")
                .add("drop", new Op.Identity(), "relu4")
                .add("fc2", linear(rnd, 32, 10), "drop")
                .add("prob", new Op.Softmax(1), "fc2")
                .output("prob")
                .build();
    }

    /**
     * A small ResNet: stem conv-BN-ReLU, a basic block with identity shortcut, a downsampling block with a
     * 1×1 stride-2 projection shortcut (conv + BN), a depthwise-separable block with ReLU6, then
     * global average pooling, flatten and FC. 3×12×12 in.
     */
    static Network resnet(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        NetworkBuilder b = Network.builder("resnet").input("image", 3, 12, 12)
                .add("stem", conv(rnd, 3, 8, 3, 1, Padding.of(1), 1, false), "image")
                .add("stem_bn", bn(rnd, 8), "stem")
                .add("stem_relu", new Op.Relu(), "stem_bn")
                // block 1, identity shortcut
                .add("b1_conv1", conv(rnd, 8, 8, 3, 1, Padding.of(1), 1, false), "stem_relu")
                .add("b1_bn1", bn(rnd, 8), "b1_conv1")
                .add("b1_relu1", new Op.Relu(), "b1_bn1")
                .add("b1_conv2", conv(rnd, 8, 8, 3, 1, Padding.of(1), 1, false), "b1_relu1")
                .add("b1_bn2", bn(rnd, 8), "b1_conv2")
                .add("b1_add", new Op.Add(), "b1_bn2", "stem_relu")
                .add("b1_relu", new Op.Relu(), "b1_add")
                // block 2, projection shortcut, stride 2
                .add("b2_conv1", conv(rnd, 8, 16, 3, 2, Padding.of(1), 1, false), "b1_relu")
                .add("b2_bn1", bn(rnd, 16), "b2_conv1")
                .add("b2_relu1", new Op.Relu(), "b2_bn1")
                .add("b2_conv2", conv(rnd, 16, 16, 3, 1, Padding.of(1), 2, false), "b2_relu1")
                .add("b2_bn2", bn(rnd, 16), "b2_conv2")
                .add("b2_proj", conv(rnd, 8, 16, 1, 2, Padding.NONE, 1, false), "b1_relu")
                .add("b2_proj_bn", bn(rnd, 16), "b2_proj")
                .add("b2_add", new Op.Add(), "b2_bn2", "b2_proj_bn")
                .add("b2_relu", new Op.Relu(), "b2_add")
                // depthwise-separable block
                .add("dw", conv(rnd, 16, 16, 3, 1, Padding.of(1), 16, false), "b2_relu")
                .add("dw_bn", bn(rnd, 16), "dw")
                .add("dw_relu6", new Op.Clip(0, 6), "dw_bn")
                .add("pw", conv(rnd, 16, 24, 1, 1, Padding.NONE, 1, true), "dw_relu6")
                .add("gap", new Op.GlobalAvgPool(), "pw")
                .add("flat", new Op.Flatten(1), "gap")
                .add("fc", linear(rnd, 24, 5), "flat");
        return b.output("fc").build();
    }

    /**
     * Inception-like: a stem, four branches (1×1 conv; 3×3 conv with asymmetric padding after a 1×1; 3×3
     * stride-1 max pooling; ceil-mode average pooling + upsampling-free 1×1 conv path) concatenated on
     * channels, then LeakyReLU, sigmoid gating via Add, and a 2×2 average pool. 4×11×11 in.
     */
    static Network inception(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        return Network.builder("inception").input("image", 4, 11, 11)
                .add("stem", conv(rnd, 4, 6, 3, 1, Padding.of(1), 1, true), "image")
                .add("stem_act", new Op.LeakyRelu(0.1f), "stem")
                .add("br1", conv(rnd, 6, 4, 1, 1, Padding.NONE, 1, true), "stem_act")
                .add("br2_reduce", conv(rnd, 6, 3, 1, 1, Padding.NONE, 1, true), "stem_act")
                .add("br2", conv(rnd, 3, 5, 2, 1, new Padding(0, 0, 1, 1), 1, true), "br2_reduce")
                .add("br3", new Op.MaxPool(Hw.of(3), Hw.of(1), Padding.of(1), Hw.of(1), false), "stem_act")
                .add("br4_pool", new Op.AvgPool(Hw.of(3), Hw.of(1), new Padding(1, 0, 1, 2), false, false), "stem_act")
                .add("br4", conv(rnd, 6, 2, 1, 1, Padding.NONE, 1, false), "br4_pool")
                .add("cat", new Op.Concat(1), "br1", "br2", "br3", "br4")
                .add("cat_sig", new Op.Sigmoid(), "cat")
                .add("mix", new Op.Add(), "cat", "cat_sig", "cat")
                .add("head", conv(rnd, 17, 8, 3, 2, Padding.of(1), 1, true), "mix")
                .add("head_pool", new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, true, true), "head")
                .add("prob", new Op.Softmax(1), "head_pool")
                .output("prob")
                .build();
    }
}
