package dev.thinet4j.testing;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;

import java.util.Random;

import static dev.thinet4j.testing.TestNets.bn;
import static dev.thinet4j.testing.TestNets.conv;
import static dev.thinet4j.testing.TestNets.linear;
import static dev.thinet4j.testing.TestNets.rand;

/** Small seeded networks with grouped (not depthwise) convs. */
public final class GroupedNets {
    private GroupedNets() {
    }

    /** A grouped conv in → out with {@code groups} groups, stride 1, weight [out, in/groups, k, k], with bias. */
    public static Op.Conv grouped(Random r, int in, int out, int k, int pad, int groups) {
        return new Op.Conv(rand(r, (float) Math.sqrt(2.0 / (in / groups * k * k)), out, in / groups, k, k),
                rand(r, 0.1f, out), Hw.of(1), Padding.of(pad), Hw.of(1), groups);
    }

    /**
     * A ResNeXt-style bottleneck: stem conv 3→16 (3×3) → BN → ReLU, then conv1 1×1 16→g·perIn → BN → ReLU →
     * conv2 grouped 3×3 (g groups, pad 1) g·perIn→g·perOut → BN → ReLU → conv3 1×1 g·perOut→16 → BN, Add with the
     * stem output, ReLU, GAP, Flatten, fc 16→4. Input 3×8×8.
     */
    public static Network resnextBlock(long seed, int groups, int perIn, int perOut) {
        Random r = new Random(seed);
        int w1 = groups * perIn;
        int w2 = groups * perOut;
        return Network.builder("resnext-block").input("input", 3, 8, 8)
                .add("stem", conv(r, 3, 16, 3, 1, 1), "input")
                .add("stem_bn", bn(r, 16), "stem")
                .add("stem_relu", new Op.Relu(), "stem_bn")
                .add("conv1", conv(r, 16, w1, 1, 1, 0), "stem_relu")
                .add("bn1", bn(r, w1), "conv1")
                .add("relu1", new Op.Relu(), "bn1")
                .add("conv2", grouped(r, w1, w2, 3, 1, groups), "relu1")
                .add("bn2", bn(r, w2), "conv2")
                .add("relu2", new Op.Relu(), "bn2")
                .add("conv3", conv(r, w2, 16, 1, 1, 0), "relu2")
                .add("bn3", bn(r, 16), "conv3")
                .add("add", new Op.Add(), "bn3", "stem_relu")
                .add("relu", new Op.Relu(), "add")
                .add("gap", new Op.GlobalAvgPool(), "relu")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", linear(r, 16, 4), "flatten")
                .output("fc")
                .build();
    }

    /**
     * Two grouped convs in a row: conv1 1×1 3→12 → ReLU → ga (3×3, groups {@code g1}) 12→12 → ReLU → gb (3×3,
     * groups {@code g2}) 12→12 → ReLU → conv 1×1 12→4 → GAP → Flatten. The group of ga is written with g1 blocks and
     * read with g2. Input 3×6×6.
     */
    public static Network twoGrouped(long seed, int g1, int g2) {
        Random r = new Random(seed);
        return Network.builder("two-grouped").input("input", 3, 6, 6)
                .add("conv1", conv(r, 3, 12, 1, 1, 0), "input")
                .add("relu1", new Op.Relu(), "conv1")
                .add("ga", grouped(r, 12, 12, 3, 1, g1), "relu1")
                .add("relu_a", new Op.Relu(), "ga")
                .add("gb", grouped(r, 12, 12, 3, 1, g2), "relu_a")
                .add("relu_b", new Op.Relu(), "gb")
                .add("conv2", conv(r, 12, 4, 1, 1, 0), "relu_b")
                .add("gap", new Op.GlobalAvgPool(), "conv2")
                .add("flatten", new Op.Flatten(1), "gap")
                .output("flatten")
                .build();
    }
}
