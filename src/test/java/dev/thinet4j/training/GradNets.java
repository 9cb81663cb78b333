package dev.thinet4j.training;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;

import java.util.Random;

import static dev.thinet4j.testing.TestNets.bn;
import static dev.thinet4j.testing.TestNets.linear;
import static dev.thinet4j.testing.TestNets.rand;

/**
 * Tiny networks for the gradient checks, each exercising one op (or one configuration of it) between a
 * random input and a linear classifier with {@link #CLASSES} outputs.
 */
final class GradNets {
    static final int CLASSES = 3;

    private GradNets() {
    }

    static Op.Conv conv(Random r, int in, int out, Hw k, Hw stride, Padding pad, Hw dil, int groups, boolean bias) {
        return new Op.Conv(rand(r, 0.5f, out, in / groups, k.h(), k.w()), bias ? rand(r, 0.2f, out) : null, stride, pad,
                dil, groups);
    }

    /** input c×h×w → {body} → flatten → linear(…, CLASSES). */
    static Network head(String name, int c, int h, int w, long seed, Body body) {
        Random r = new Random(seed);
        NetworkBuilder b = Network.builder(name).input("input", c, h, w);
        String last = body.add(b, r);
        Network partial = b.output(last).build();
        int[] s = partial.shapes(1).get(last);
        int features = 1;
        for (int i = 1; i < s.length; i++) {
            features *= s[i];
        }
        NetworkBuilder full = Network.builder(name).input("input", c, h, w);
        partial.nodes().forEach(full::add);
        String flat = last;
        if (s.length != 2) {
            full.add("flatten", new Op.Flatten(1), last);
            flat = "flatten";
        }
        full.add("fc", linear(r, features, CLASSES), flat);
        return full.output("fc").build();
    }

    interface Body {
        /** Adds nodes reading "input" and returns the last node's name. */
        String add(NetworkBuilder b, Random r);
    }

    static Tensor t(Random r, float scale, int... shape) {
        return rand(r, scale, shape);
    }

    static Op.BatchNorm batchNorm(Random r, int c) {
        return bn(r, c);
    }
}
