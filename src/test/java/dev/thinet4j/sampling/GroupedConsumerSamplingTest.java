package dev.thinet4j.sampling;

import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Member;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.GroupedNets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GroupSampler} on a grouped consumer conv (the 3×3 grouped conv of a ResNeXt bottleneck reading conv1's
 * channels), against the consumer's real output from the engine: the documented draws (image, y, x, o) are
 * replayed; at each, the contributions computed here with plain loops — only the channels of o's conv group, zero
 * for the others — must sum to the engine's output minus bias, and the sampler's statistics must equal the ones
 * accumulated from these rows (contributions, and the full normal equations of each conv group, whose targets are
 * the engine's outputs of that group's filters minus bias).
 */
class GroupedConsumerSamplingTest {
    private static final int IMAGES = 6;
    private static final int POINTS = 7;
    private static final long SEED = 23;

    private static SplittableRandom rng(long imageIndex, int consumerIndex) {
        return new SplittableRandom(SEED * 0x9E3779B97F4A7C15L + imageIndex * 0xBF58476D1CE4E5B9L
                + consumerIndex * 0x94D049BB133111EBL);
    }

    @ParameterizedTest(name = "groups {0}, {1} in / {2} out per group")
    @CsvSource({"4, 3, 2", "2, 4, 3", "3, 2, 2"})
    void contributionsSumToTheGroupedConsumersOutput(int groups, int perIn, int perOut) {
        Network net = GroupedNets.resnextBlock(groups * 100 + perIn, groups, perIn, perOut);
        ChannelGroup group = new DependencyGraph(net).groupOf("conv1");
        assertEquals(List.of(new Member.GroupedConsumerConv("conv2", 0, groups)), group.consumers());
        Op.Conv conv = (Op.Conv) net.node("conv2").op();
        int c = group.channels();
        int cout = conv.outChannels();
        int rowsPerGroup = cout / groups;
        int kk = 9;
        int h = net.input().height();
        int w = net.input().width();
        float[] images = Forward.images(net, IMAGES, 5);

        float[] in;
        float[] out;
        try (InferenceEngine e = new InferenceEngine(net);
             INDArray x = Nd4j.create(images, new long[]{IMAGES, 3, h, w}, 'c')) {
            Map<String, INDArray> acts = e.forward(x, List.of("relu1", "conv2"));
            in = acts.get("relu1").castTo(DataType.FLOAT).dup('c').data().asFloat();
            out = acts.get("conv2").castTo(DataType.FLOAT).dup('c').data().asFloat();
        }
        float[] wt = conv.weight().data();
        NormalEquations expected = new NormalEquations(c, 1);
        NormalEquations[] expectedFull = new NormalEquations[groups];
        for (int q = 0; q < groups; q++) {
            expectedFull[q] = new NormalEquations(perIn * kk, rowsPerGroup);
        }
        double worst = 0;
        for (int i = 0; i < IMAGES; i++) {
            SplittableRandom r = rng(i, 0);
            for (int p = 0; p < POINTS; p++) {
                int oy = r.nextInt(h);
                int ox = r.nextInt(w);
                int o = r.nextInt(cout);
                int q = o / rowsPerGroup;
                double[] xhat = new double[c];
                double sum = 0;
                for (int j = 0; j < c; j++) {
                    if (j / perIn != q) {
                        continue; // another conv group's channel: it does not reach output o
                    }
                    double s = 0;
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy - 1 + ky;
                            int ix = ox - 1 + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                s += (double) wt[((o * perIn) + j - q * perIn) * kk + ky * 3 + kx]
                                        * in[((i * c + j) * h + iy) * w + ix];
                            }
                        }
                    }
                    xhat[j] = s;
                    sum += s;
                }
                double actual = out[((i * cout + o) * h + oy) * w + ox] - conv.bias().get(o);
                worst = Math.max(worst, Math.abs(sum - actual) / (1 + Math.abs(actual)));
                expected.accumulate(new double[][]{xhat}, new double[][]{{sum}});
                // the full rows of every conv group: its patch, the engine's outputs of its filters
                for (int g = 0; g < groups; g++) {
                    double[] patch = new double[perIn * kk];
                    for (int l = 0; l < perIn; l++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy - 1 + ky;
                                int ix = ox - 1 + kx;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                    patch[l * kk + ky * 3 + kx] = in[((i * c + g * perIn + l) * h + iy) * w + ix];
                                }
                            }
                        }
                    }
                    double[] ys = new double[rowsPerGroup];
                    for (int t = 0; t < rowsPerGroup; t++) {
                        int oo = g * rowsPerGroup + t;
                        ys[t] = out[((i * cout + oo) * h + oy) * w + ox] - conv.bias().get(oo);
                    }
                    expectedFull[g].accumulate(new double[][]{patch}, new double[][]{ys});
                }
            }
        }
        assertTrue(worst < 1e-5, "contributions sum to the consumer's output minus bias (worst rel. error " + worst + ")");

        GroupStatistics stats;
        try (InferenceEngine e = new InferenceEngine(net)) {
            stats = new GroupSampler(new SamplingConfig(POINTS, SEED, true, 4)).sample(e, group,
                    ImageSources.fromArray(images, IMAGES, 3, h, w, null), null);
        }
        assertClose(expected, stats.contributions(), 1e-6, "contributions");
        assertTrue(stats.full().isEmpty(), "a grouped consumer has per-group statistics only");
        List<NormalEquations> full = stats.groupedFull().get("conv2");
        assertEquals(groups, full.size());
        for (int g = 0; g < groups; g++) {
            assertClose(expectedFull[g], full.get(g), 1e-5, "full statistics of conv group " + g);
        }
    }

    private static void assertClose(NormalEquations e, NormalEquations a, double tol, String what) {
        assertEquals(e.count(), a.count(), what + " count");
        assertEquals(e.features(), a.features(), what + " features");
        assertEquals(e.targets(), a.targets(), what + " targets");
        double scale = 1;
        for (int i = 0; i < e.features(); i++) {
            scale = Math.max(scale, Math.abs(e.xtx(i, i)));
        }
        for (int i = 0; i < e.features(); i++) {
            for (int j = 0; j < e.features(); j++) {
                assertEquals(e.xtx(i, j), a.xtx(i, j), tol * scale, what + " xtx(" + i + ", " + j + ")");
            }
            for (int j = 0; j < e.targets(); j++) {
                assertEquals(e.xty(i, j), a.xty(i, j), tol * scale, what + " xty(" + i + ", " + j + ")");
            }
        }
        assertEquals(e.ytyTotal(), a.ytyTotal(), tol * Math.max(1, e.ytyTotal()), what + " yty");
    }
}
