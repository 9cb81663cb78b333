package dev.thinet4j.sampling;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Shapes;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Member;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link GroupSampler} against a straightforward re-implementation of what its documentation says: one
 * forward pass of all images with c-order copies of the tapped tensors, the same seeded draws, patches and
 * contributions with scalar double loops, targets Σ_n W[o, n]·x[n] in double, and the plain-loop
 * {@link NormalEquations#accumulate(double[][], double[][])}.
 */
class GroupSamplerReferenceTest {
    private static final int IMAGES = 7;
    private static final int POINTS = 5;
    private static final long SEED = 11;

    private static Network net(String name, long seed) {
        return switch (name) {
            case "vgg" -> TestNets.vggLike(seed);
            case "residual" -> TestNets.residual(seed);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The sampler's documented per-(image, consumer) generator. */
    private static SplittableRandom rng(long imageIndex, int consumerIndex) {
        return new SplittableRandom(SEED * 0x9E3779B97F4A7C15L + imageIndex * 0xBF58476D1CE4E5B9L
                + consumerIndex * 0x94D049BB133111EBL);
    }

    private record Expected(NormalEquations contributions, Map<String, NormalEquations> full, double[] apoz) {
    }

    private static Expected reference(Network net, Network refNet, ChannelGroup group, float[] images) {
        var in = net.input();
        Map<String, int[]> shapes = net.shapes(1);
        List<Node> consumers = new ArrayList<>();
        Set<String> taps = new LinkedHashSet<>();
        for (Member m : group.consumers()) {
            consumers.add(net.node(m.node()));
            taps.add(net.node(m.node()).input());
        }
        Map<String, float[]> acts = new LinkedHashMap<>();
        Map<String, float[]> refActs = new LinkedHashMap<>();
        try (INDArray x = Nd4j.create(images, new long[]{IMAGES, in.channels(), in.height(), in.width()}, DataType.FLOAT);
             InferenceEngine engine = new InferenceEngine(net);
             InferenceEngine refEngine = refNet == null ? null : new InferenceEngine(refNet)) {
            engine.forward(x, taps).forEach((k, v) -> acts.put(k, v.data().asFloat()));
            if (refEngine != null) {
                refEngine.forward(x, taps).forEach((k, v) -> refActs.put(k, v.data().asFloat()));
            }
        }
        int c = group.channels();
        List<double[]> xhat = new ArrayList<>();
        List<double[]> yhat = new ArrayList<>();
        Map<String, NormalEquations> full = new LinkedHashMap<>();
        long[] zeros = new long[c];
        long zeroDen = 0;
        for (int ci = 0; ci < consumers.size(); ci++) {
            Node node = consumers.get(ci);
            Member member = group.consumers().get(ci);
            int[] s = shapes.get(node.input());
            float[] a = acts.get(node.input());
            float[] ra = refNet == null ? null : refActs.get(node.input());
            Node refNode = refNet == null ? null : refNet.node(node.name());
            List<double[]> fullRows = new ArrayList<>();
            List<double[]> fullTargets = new ArrayList<>();
            if (node.op() instanceof Op.Conv conv) {
                int cin = s[1], h = s[2], w = s[3];
                int kh = conv.weight().dim(2), kw = conv.weight().dim(3), kk = kh * kw;
                int cout = conv.outChannels();
                float[] wt = conv.weight().data();
                float[] rwt = refNode == null ? null : ((Op.Conv) refNode.op()).weight().data();
                int ho = Shapes.windowOut(h, kh, conv.strides().h(), conv.pads().top(), conv.pads().bottom(), 1, false);
                int wo = Shapes.windowOut(w, kw, conv.strides().w(), conv.pads().left(), conv.pads().right(), 1, false);
                if (ci == 0) {
                    for (int i = 0; i < IMAGES; i++) {
                        for (int j = 0; j < c; j++) {
                            for (int p = 0; p < h * w; p++) {
                                if (a[((i * cin) + member.offset() + j) * h * w + p] == 0f) {
                                    zeros[j]++;
                                }
                            }
                        }
                    }
                    zeroDen += (long) IMAGES * h * w;
                }
                for (int i = 0; i < IMAGES; i++) {
                    SplittableRandom rnd = rng(i, ci);
                    for (int p = 0; p < POINTS; p++) {
                        int oy = rnd.nextInt(ho), ox = rnd.nextInt(wo), o = rnd.nextInt(cout);
                        double[] patch = new double[cin * kk];
                        double[] refPatch = new double[cin * kk];
                        for (int ch = 0; ch < cin; ch++) {
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = oy * conv.strides().h() - conv.pads().top() + ky;
                                    int ix = ox * conv.strides().w() - conv.pads().left() + kx;
                                    boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                                    int idx = ((i * cin + ch) * h + iy) * w + ix;
                                    patch[ch * kk + ky * kw + kx] = inside ? a[idx] : 0;
                                    refPatch[ch * kk + ky * kw + kx] = inside && ra != null ? ra[idx] : 0;
                                }
                            }
                        }
                        double[] row = new double[c];
                        double target = 0;
                        for (int j = 0; j < c; j++) {
                            int ch = member.offset() + j;
                            for (int k = 0; k < kk; k++) {
                                row[j] += (double) wt[(o * cin + ch) * kk + k] * patch[ch * kk + k];
                                if (rwt != null) {
                                    target += (double) rwt[(o * cin + ch) * kk + k] * refPatch[ch * kk + k];
                                }
                            }
                            if (rwt == null) {
                                target += row[j];
                            }
                        }
                        xhat.add(row);
                        yhat.add(new double[]{target});
                        double[] t = new double[cout];
                        for (int oo = 0; oo < cout; oo++) {
                            for (int q = 0; q < cin * kk; q++) {
                                t[oo] += (double) (rwt == null ? wt : rwt)[oo * cin * kk + q]
                                        * (rwt == null ? patch : refPatch)[q];
                            }
                        }
                        fullRows.add(patch);
                        fullTargets.add(t);
                    }
                }
            } else {
                Op.Linear lin = (Op.Linear) node.op();
                int features = lin.inFeatures(), out = lin.outFeatures();
                int block = ((Member.ConsumerLinear) member).blockSize();
                float[] wt = lin.weight().data();
                float[] rwt = refNode == null ? null : ((Op.Linear) refNode.op()).weight().data();
                if (ci == 0) {
                    for (int i = 0; i < IMAGES; i++) {
                        for (int j = 0; j < c; j++) {
                            for (int k = 0; k < block; k++) {
                                if (a[i * features + (member.offset() + j) * block + k] == 0f) {
                                    zeros[j]++;
                                }
                            }
                        }
                    }
                    zeroDen += (long) IMAGES * block;
                }
                for (int i = 0; i < IMAGES; i++) {
                    SplittableRandom rnd = rng(i, ci);
                    for (int p = 0; p < POINTS; p++) {
                        int o = rnd.nextInt(out);
                        double[] row = new double[c];
                        double target = 0;
                        for (int j = 0; j < c; j++) {
                            int col = (member.offset() + j) * block;
                            for (int k = 0; k < block; k++) {
                                row[j] += (double) wt[o * features + col + k] * a[i * features + col + k];
                                if (rwt != null) {
                                    target += (double) rwt[o * features + col + k] * ra[i * features + col + k];
                                }
                            }
                            if (rwt == null) {
                                target += row[j];
                            }
                        }
                        xhat.add(row);
                        yhat.add(new double[]{target});
                    }
                    double[] xrow = new double[features];
                    double[] t = new double[out];
                    for (int f = 0; f < features; f++) {
                        xrow[f] = a[i * features + f];
                    }
                    for (int oo = 0; oo < out; oo++) {
                        for (int f = 0; f < features; f++) {
                            t[oo] += (double) (rwt == null ? wt : rwt)[oo * features + f]
                                    * (rwt == null ? a : ra)[i * features + f];
                        }
                    }
                    fullRows.add(xrow);
                    fullTargets.add(t);
                }
            }
            NormalEquations ne = new NormalEquations(fullRows.get(0).length, fullTargets.get(0).length);
            ne.accumulate(fullRows.toArray(new double[0][]), fullTargets.toArray(new double[0][]));
            full.put(node.name(), ne);
        }
        NormalEquations contributions = new NormalEquations(c, 1);
        contributions.accumulate(xhat.toArray(new double[0][]), yhat.toArray(new double[0][]));
        double[] apoz = new double[c];
        for (int j = 0; j < c; j++) {
            apoz[j] = zeroDen == 0 ? 0 : (double) zeros[j] / zeroDen;
        }
        return new Expected(contributions, full, apoz);
    }

    private static void assertSame(NormalEquations expected, NormalEquations actual, double xtyTol, String what) {
        assertEquals(expected.count(), actual.count(), what + " count");
        assertClose(expected.xtx(), actual.xtx(), 1e-10, what + " XᵀX");
        assertClose(expected.xty(), actual.xty(), xtyTol, what + " XᵀY");
        assertClose(new DMatrixRMaj(expected.sumX()), new DMatrixRMaj(actual.sumX()), 1e-10, what + " Σx");
        assertClose(new DMatrixRMaj(expected.yty()), new DMatrixRMaj(actual.yty()), xtyTol, what + " Σy²");
        assertClose(new DMatrixRMaj(expected.sumY()), new DMatrixRMaj(actual.sumY()), xtyTol, what + " Σy");
    }

    private static void assertClose(DMatrixRMaj e, DMatrixRMaj a, double tol, String what) {
        assertEquals(e.getNumElements(), a.getNumElements(), what);
        double scale = 1;
        for (double v : e.data) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.getNumElements(); i++) {
            assertEquals(e.data[i], a.data[i], tol * scale, what + " element " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"vgg,conv1,3", "vgg,conv3,2", "vgg,conv3,7", "residual,stem,2", "residual,b2.conv1,4"})
    void samplerEqualsTheStraightforwardReference(String netName, String layer, int batchSize) {
        Network net = net(netName, 1);
        Network refNet = net(netName, 2);
        ChannelGroup group = new DependencyGraph(net).groupOf(layer);
        float[] images = Forward.images(net, IMAGES, 4);
        var in = net.input();
        for (Network reference : new Network[]{null, refNet}) {
            Expected expected = reference(net, reference, group, images);
            SamplingConfig config = new SamplingConfig(POINTS, SEED, true, batchSize);
            GroupStatistics got;
            GroupStatistics again;
            try (InferenceEngine engine = new InferenceEngine(net);
                 InferenceEngine refEngine = reference == null ? null : new InferenceEngine(reference);
                 ImageSource source = ImageSources.fromArray(images, IMAGES, in.channels(), in.height(), in.width(), null)) {
                got = new GroupSampler(config).sample(engine, group, source, refEngine);
                again = new GroupSampler(config).sample(engine, group, source, refEngine);
            }
            String what = netName + "/" + layer + (reference == null ? "" : " (reference targets)");
            assertSame(expected.contributions, got.contributions(), 1e-10, what + " contributions");
            assertEquals(expected.full.keySet(), got.full().keySet(), what);
            for (String consumer : expected.full.keySet()) {
                // the sampler's full targets are one float32 product: float rounding
                assertSame(expected.full.get(consumer), got.full().get(consumer), 1e-5, what + " full " + consumer);
            }
            assertArrayEquals(expected.apoz, got.zeroFraction(), 0.0, what + " APoZ");
            assertEquals(IMAGES, got.images());
            // same seed, same threads: bit for bit
            assertArrayEquals(got.contributions().xtx().data, again.contributions().xtx().data, 0.0, what);
            for (String consumer : got.full().keySet()) {
                assertArrayEquals(got.full().get(consumer).xtx().data, again.full().get(consumer).xtx().data, 0.0);
                assertArrayEquals(got.full().get(consumer).xty().data, again.full().get(consumer).xty().data, 0.0);
            }
        }
    }
}
