package dev.thinet4j.training;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.testing.TestNets;

import java.util.Random;
import java.util.SplittableRandom;

/** A small, linearly separable image classification problem and a small net for it. */
final class Synthetic {
    static final int SIZE = 8;
    static final int CLASSES = 3;

    private Synthetic() {
    }

    /**
     * n images 1×8×8, label i % 3: class 0 a bright horizontal bar (rows 2–3), class 1 a vertical bar
     * (columns 5–6), class 2 a bright 3×3 square at the bottom left; plus N(0, 0.25²) noise.
     */
    static ImageSource data(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * SIZE * SIZE];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % CLASSES;
            y[i] = label;
            for (int row = 0; row < SIZE; row++) {
                for (int col = 0; col < SIZE; col++) {
                    boolean on = switch (label) {
                        case 0 -> row == 2 || row == 3;
                        case 1 -> col == 5 || col == 6;
                        default -> row >= 5 && col <= 2;
                    };
                    x[(i * SIZE + row) * SIZE + col] = (on ? 1f : 0f) + (float) (0.25 * r.nextGaussian());
                }
            }
        }
        return ImageSources.fromArray(x, n, 1, SIZE, SIZE, y);
    }

    /** conv(1→4) → bn → relu → maxpool 2 → conv(4→6) → relu → GAP → flatten → fc(6→3). */
    static Network net(long seed) {
        Random r = new Random(seed);
        return Network.builder("synthetic").input("input", 1, SIZE, SIZE)
                .add("conv1", TestNets.conv(r, 1, 4, 3, 1, 1), "input")
                .add("bn1", TestNets.bn(r, 4), "conv1")
                .add("relu1", new Op.Relu(), "bn1")
                .add("pool1", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "relu1")
                .add("conv2", TestNets.conv(r, 4, 6, 3, 1, 1), "pool1")
                .add("relu2", new Op.Relu(), "conv2")
                .add("gap", new Op.GlobalAvgPool(), "relu2")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("drop", new Op.Identity(), "flatten")
                .add("fc", TestNets.linear(r, 6, CLASSES), "drop")
                .output("fc")
                .build();
    }
}
