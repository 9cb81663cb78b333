package dev.thinet4j.testing;

import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/** Runs networks in tests and compares outputs. */
public final class Forward {
    private Forward() {
    }

    /** Seeded uniform [0, 1) images for a network's input. */
    public static float[] images(Network net, int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * net.input().channels() * net.input().height() * net.input().width()];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return x;
    }

    /** The first output of {@code net} for the images, as a flat float array. */
    public static float[] run(Network net, float[] images, int n) {
        try (InferenceEngine e = new InferenceEngine(net);
             INDArray x = Nd4j.create(images, new long[]{n, net.input().channels(), net.input().height(),
                     net.input().width()}, 'c');
             INDArray y = e.forward(x)) {
            return y.castTo(DataType.FLOAT).dup('c').data().asFloat();
        }
    }

    /** max |a − b| / max(1, max |b|). */
    public static double relError(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double maxDiff = 0;
        double maxRef = 1;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            maxRef = Math.max(maxRef, Math.abs(b[i]));
        }
        return maxDiff / maxRef;
    }
}
