package dev.thinet4j.slimming;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.testing.TestNets;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

/** Small seeded networks for slimming tests, with "sparse" BN scales (about half near zero). */
final class SlimNets {
    private SlimNets() {
    }

    /** BN whose γ is near zero for about half the channels (as after sparsity training); β ~ N(0, 0.5). */
    static Op.BatchNorm sparseBn(Random r, int c) {
        float[] g = new float[c];
        for (int i = 0; i < c; i++) {
            g[i] = r.nextBoolean() ? (float) (r.nextGaussian() * 0.02) : (r.nextBoolean() ? 1 : -1) * (0.5f + r.nextFloat());
        }
        return new Op.BatchNorm(Tensor.of(g, c), TestNets.rand(r, 0.5f, c), TestNets.rand(r, 0.1f, c),
                TestNets.uniform(r, 0.5f, 1.5f, c), 1e-5f);
    }

    static Op.Conv conv(Random r, int in, int out, int k, int pad, boolean bias) {
        Op.Conv c = TestNets.conv(r, in, out, k, 1, pad);
        return bias ? c : c.withWeights(c.weight(), null);
    }

    /**
     * Every reader of a slimmable group is pad-0 or linear. Input 3×8×8: conv1(3×3, pad 1)-bn1-relu1,
     * conv1b(1×1, no bias, no BN)-relu, conv2(1×1, no bias)-bn2-leakyrelu, maxpool, conv3(1×1, no bias)-bn3-sigmoid,
     * flatten (16 columns per channel), fc.
     */
    static Network pointwise(long seed) {
        Random r = new Random(seed);
        return Network.builder("pointwise").input("input", 3, 8, 8)
                .add("conv1", conv(r, 3, 8, 3, 1, true), "input")
                .add("bn1", sparseBn(r, 8), "conv1")
                .add("relu1", new Op.Relu(), "bn1")
                .add("conv1b", conv(r, 8, 8, 1, 0, false), "relu1")
                .add("relu1b", new Op.Relu(), "conv1b")
                .add("conv2", conv(r, 8, 10, 1, 0, false), "relu1b")
                .add("bn2", sparseBn(r, 10), "conv2")
                .add("act2", new Op.LeakyRelu(0.1f), "bn2")
                .add("pool2", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "act2")
                .add("conv3", conv(r, 10, 6, 1, 0, false), "pool2")
                .add("bn3", sparseBn(r, 6), "conv3")
                .add("act3", new Op.Sigmoid(), "bn3")
                .add("flatten", new Op.Flatten(1), "act3")
                .add("fc", TestNets.linear(r, 6 * 4 * 4, 5), "flatten")
                .output("fc")
                .build();
    }

    /**
     * Stem conv(3×3, pad 1, 8)-bn-relu, {@code blocks} identity blocks conv(1×1, 4)-bn-act-conv(1×1, 8)-bn
     * + shortcut, relu (block 2 uses Clip 0..6 inside), then GAP, flatten, fc. Input 3×6×6.
     */
    static Network residualPointwise(long seed, int blocks) {
        Random r = new Random(seed);
        NetworkBuilder b = Network.builder("res-pointwise").input("input", 3, 6, 6)
                .add("stem", conv(r, 3, 8, 3, 1, false), "input")
                .add("stem_bn", sparseBn(r, 8), "stem")
                .add("stem_relu", new Op.Relu(), "stem_bn");
        String x = "stem_relu";
        for (int i = 1; i <= blocks; i++) {
            String p = "b" + i + ".";
            b.add(p + "conv1", conv(r, 8, 4, 1, 0, false), x)
                    .add(p + "bn1", sparseBn(r, 4), p + "conv1")
                    .add(p + "act1", i == 2 ? new Op.Clip(0f, 6f) : new Op.Relu(), p + "bn1")
                    .add(p + "conv2", conv(r, 4, 8, 1, 0, false), p + "act1")
                    .add(p + "bn2", sparseBn(r, 8), p + "conv2")
                    .add(p + "add", new Op.Add(), p + "bn2", x)
                    .add(p + "relu", new Op.Relu(), p + "add");
            x = p + "relu";
        }
        return b.add("gap", new Op.GlobalAvgPool(), x)
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", TestNets.linear(r, 8, 5), "flatten")
                .output("fc")
                .build();
    }

    /**
     * conv0(3×3, pad 1, 8)-bn0-relu6, depthwise(3×3, pad 1)-dw_bn-relu, pw(1×1, 6)-pw_bn-relu, GAP,
     * flatten, fc. Input 3×6×6.
     */
    static Network depthwise(long seed) {
        Random r = new Random(seed);
        return Network.builder("depthwise").input("input", 3, 6, 6)
                .add("conv0", conv(r, 3, 8, 3, 1, false), "input")
                .add("bn0", sparseBn(r, 8), "conv0")
                .add("relu0", new Op.Clip(0f, 6f), "bn0")
                .add("dw", TestNets.depthwise(r, 8, 3, 1), "relu0")
                .add("dw_bn", sparseBn(r, 8), "dw")
                .add("dw_relu", new Op.Relu(), "dw_bn")
                .add("pw", conv(r, 8, 6, 1, 0, false), "dw_relu")
                .add("pw_bn", sparseBn(r, 6), "pw")
                .add("pw_relu", new Op.Relu(), "pw_bn")
                .add("gap", new Op.GlobalAvgPool(), "pw_relu")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", TestNets.linear(r, 6, 4), "flatten")
                .output("fc")
                .build();
    }

    /** conv1(3×3, pad 1, 6)-bn1-relu, conv2(3×3, pad 1, 4) as the output: the reader is zero-padded. Input 3×6×6. */
    static Network padded(long seed) {
        Random r = new Random(seed);
        return Network.builder("padded").input("input", 3, 6, 6)
                .add("conv1", conv(r, 3, 6, 3, 1, true), "input")
                .add("bn1", sparseBn(r, 6), "conv1")
                .add("relu1", new Op.Relu(), "bn1")
                .add("conv2", conv(r, 6, 4, 3, 1, true), "relu1")
                .output("conv2")
                .build();
    }

    /** The network with BN {@code name}'s γ (and, when not null, β) replaced by the given functions of the channel. */
    static Network withBn(Network net, String name, IntToDoubleFunction gamma, IntToDoubleFunction beta) {
        Op.BatchNorm bn = (Op.BatchNorm) net.node(name).op();
        int c = bn.channels();
        float[] g = new float[c];
        float[] b = bn.bias().data();
        for (int i = 0; i < c; i++) {
            g[i] = (float) gamma.applyAsDouble(i);
            if (beta != null) {
                b[i] = (float) beta.applyAsDouble(i);
            }
        }
        Map<String, Node> repl = new HashMap<>();
        repl.put(name, net.node(name).withOp(new Op.BatchNorm(Tensor.of(g, c), Tensor.of(b, c), bn.mean(), bn.var(),
                bn.epsilon())));
        return net.replace(repl);
    }
}
