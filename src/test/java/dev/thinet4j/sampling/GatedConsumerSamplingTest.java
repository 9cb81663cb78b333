package dev.thinet4j.sampling;

import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Member;
import dev.thinet4j.testing.Forward;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import static dev.thinet4j.testing.TestNets.conv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ThiNet sampling of a squeeze-excitation group: the expanded channels x are read by the SE reduce conv
 * (through global pooling) and, gated, by the projection conv, which sees gate·x. The documented draws are
 * replayed on the engine's real activations; each row's contributions must sum to the consumer's real output
 * minus bias — computed from the gated tensor, which differs from the ungated one — and the sampler's
 * statistics must equal the rows accumulated here for both consumers.
 */
class GatedConsumerSamplingTest {
    private static final int IMAGES = 5;
    private static final int POINTS = 6;
    private static final long SEED = 31;

    static Network seBlock(long seed) {
        Random r = new Random(seed);
        return Network.builder("se").input("input", 3, 6, 6)
                .add("expand", conv(r, 3, 6, 1, 1, 0), "input")
                .add("act", new Op.Relu(), "expand")
                .add("pool", new Op.GlobalAvgPool(), "act")
                .add("reduce", conv(r, 6, 2, 1, 1, 0), "pool")
                .add("reduce_act", new Op.Relu(), "reduce")
                .add("se_expand", conv(r, 2, 6, 1, 1, 0), "reduce_act")
                .add("gate", new Op.Sigmoid(), "se_expand")
                .add("gated", new Op.Binary(Arith.MUL), "act", "gate")
                .add("project", conv(r, 6, 4, 3, 1, 1), "gated")
                .output("project")
                .build();
    }

    private static SplittableRandom rng(long imageIndex, int consumerIndex) {
        return new SplittableRandom(SEED * 0x9E3779B97F4A7C15L + imageIndex * 0xBF58476D1CE4E5B9L
                + consumerIndex * 0x94D049BB133111EBL);
    }

    @Test
    void theProjectionSamplesTheGatedChannelsAndBothConsumersAreAccumulated() {
        Network net = seBlock(4);
        ChannelGroup group = new DependencyGraph(net).groupOf("expand");
        assertEquals(List.of(new Member.ConsumerConv("reduce", 0), new Member.ConsumerConv("project", 0)),
                group.consumers());
        int c = 6;
        int h = 6;
        int w = 6;
        float[] images = Forward.images(net, IMAGES, 9);
        float[] act;
        float[] gated;
        float[] pool;
        float[] reduce;
        float[] project;
        try (InferenceEngine e = new InferenceEngine(net);
             INDArray x = Nd4j.create(images, new long[]{IMAGES, 3, h, w}, 'c')) {
            Map<String, INDArray> a = e.forward(x, List.of("act", "gated", "pool", "reduce", "project"));
            act = a.get("act").castTo(DataType.FLOAT).dup('c').data().asFloat();
            gated = a.get("gated").castTo(DataType.FLOAT).dup('c').data().asFloat();
            pool = a.get("pool").castTo(DataType.FLOAT).dup('c').data().asFloat();
            reduce = a.get("reduce").castTo(DataType.FLOAT).dup('c').data().asFloat();
            project = a.get("project").castTo(DataType.FLOAT).dup('c').data().asFloat();
        }
        Op.Conv red = (Op.Conv) net.node("reduce").op();
        Op.Conv proj = (Op.Conv) net.node("project").op();
        float[] wr = red.weight().data();
        float[] wp = proj.weight().data();
        NormalEquations expected = new NormalEquations(c, 1);
        double worst = 0;
        double ungatedGap = 0;
        for (int i = 0; i < IMAGES; i++) {
            // consumer 0: the SE reduce conv on the pooled [C, 1, 1] map
            SplittableRandom r0 = rng(i, 0);
            for (int p = 0; p < POINTS; p++) {
                r0.nextInt(1);
                r0.nextInt(1);
                int o = r0.nextInt(2);
                double[] xhat = new double[c];
                double sum = 0;
                for (int j = 0; j < c; j++) {
                    xhat[j] = (double) wr[o * c + j] * pool[i * c + j];
                    sum += xhat[j];
                }
                double actual = reduce[i * 2 + o] - red.bias().get(o);
                worst = Math.max(worst, Math.abs(sum - actual) / (1 + Math.abs(actual)));
                expected.accumulate(new double[][]{xhat}, new double[][]{{sum}});
            }
            // consumer 1: the projection, a 3x3 conv (pad 1) of gate·x
            SplittableRandom r1 = rng(i, 1);
            for (int p = 0; p < POINTS; p++) {
                int oy = r1.nextInt(h);
                int ox = r1.nextInt(w);
                int o = r1.nextInt(4);
                double[] xhat = new double[c];
                double sum = 0;
                double ungated = 0;
                for (int j = 0; j < c; j++) {
                    double s = 0;
                    double u = 0;
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy - 1 + ky;
                            int ix = ox - 1 + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                double wt = wp[((o * c) + j) * 9 + ky * 3 + kx];
                                s += wt * gated[((i * c + j) * h + iy) * w + ix];
                                u += wt * act[((i * c + j) * h + iy) * w + ix];
                            }
                        }
                    }
                    xhat[j] = s;
                    sum += s;
                    ungated += u;
                }
                double actual = project[((i * 4 + o) * h + oy) * w + ox] - proj.bias().get(o);
                worst = Math.max(worst, Math.abs(sum - actual) / (1 + Math.abs(actual)));
                ungatedGap = Math.max(ungatedGap, Math.abs(ungated - actual));
                expected.accumulate(new double[][]{xhat}, new double[][]{{sum}});
            }
        }
        assertTrue(worst < 1e-5, "contributions sum to each consumer's output minus bias (worst " + worst + ")");
        assertTrue(ungatedGap > 1e-2, "the gate matters: the ungated x gives other sums (gap " + ungatedGap + ")");

        GroupStatistics stats;
        try (InferenceEngine e = new InferenceEngine(net)) {
            stats = new GroupSampler(new SamplingConfig(POINTS, SEED, false, 2)).sample(e, group,
                    ImageSources.fromArray(images, IMAGES, 3, h, w, null), null);
        }
        NormalEquations got = stats.contributions();
        assertEquals(expected.count(), got.count());
        double scale = 1;
        for (int i = 0; i < c; i++) {
            scale = Math.max(scale, Math.abs(expected.xtx(i, i)));
        }
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                assertEquals(expected.xtx(i, j), got.xtx(i, j), 1e-6 * scale, "xtx(" + i + ", " + j + ")");
            }
            assertEquals(expected.xty(i, 0), got.xty(i, 0), 1e-6 * scale, "xty(" + i + ")");
        }
    }
}
