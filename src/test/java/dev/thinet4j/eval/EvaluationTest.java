package dev.thinet4j.eval;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EvaluationTest {
    static final int N = 11;
    static Network net;
    static float[] images;
    static int[] predicted;

    @BeforeAll
    static void predictOneByOne() {
        net = TestNets.vggLike(5);
        images = Forward.images(net, N, 7);
        predicted = new int[N];
        try (InferenceEngine engine = new InferenceEngine(net)) {
            float[][] rows = engine.forwardToArray(images, N);
            for (int i = 0; i < N; i++) {
                int best = 0;
                for (int c = 1; c < rows[i].length; c++) {
                    if (rows[i][c] > rows[i][best]) {
                        best = c;
                    }
                }
                predicted[i] = best;
            }
        }
    }

    /** Labels that agree with the network's prediction on exactly the first {@code right} images. */
    static int[] labels(int right) {
        int[] l = new int[N];
        for (int i = 0; i < N; i++) {
            l[i] = i < right ? predicted[i] : (predicted[i] + 1) % 5;
        }
        return l;
    }

    static ImageSource source(int[] labels) {
        var in = net.input();
        return ImageSources.fromArray(images, N, in.channels(), in.height(), in.width(), labels);
    }

    @Test
    void countsTheImagesWhoseTopClassIsTheLabelAcrossUnevenBatches() {
        try (ImageSource s = source(null)) {
            for (int batch : new int[]{1, 3, 4, 64}) {
                Accuracy a = Evaluation.top1(net, s, labels(7), batch);
                assertEquals(new Accuracy(7, N), a, "batch " + batch);
                assertEquals(7.0 / N, Evaluation.accuracy(net, s, labels(7), batch), 0);
            }
            assertEquals(1.0, Evaluation.accuracy(net, s, labels(N), 5));
            assertEquals(0.0, Evaluation.accuracy(net, s, labels(0), 5));
        }
    }

    @Test
    void extraLabelsAreIgnoredAndALimitedViewCountsOnlyItsImages() {
        int[] longer = java.util.Arrays.copyOf(labels(N), N + 5);
        try (ImageSource s = source(null); ImageSource first4 = ImageSources.limit(source(null), 4)) {
            assertEquals(new Accuracy(N, N), Evaluation.top1(net, s, longer, 4));
            assertEquals(new Accuracy(4, 4), Evaluation.top1(net, first4, labels(N), 3));
        }
    }

    @Test
    void nullLabelsUseTheLabelsTheSourceCarries() {
        try (ImageSource labelled = source(labels(3)); ImageSource unlabelled = source(null)) {
            assertEquals(new Accuracy(3, N), Evaluation.top1(net, labelled, null, 4));
            assertThrows(IllegalStateException.class, () -> Evaluation.top1(net, unlabelled, null, 4));
        }
    }

    @Test
    void refusesTooFewLabelsAndImagesOfTheWrongShape() {
        try (ImageSource s = source(null);
             ImageSource wrong = ImageSources.fromArray(new float[2 * 12 * 12], 2, 1, 12, 12, null)) {
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                    () -> Evaluation.top1(net, s, new int[N - 1], 4));
            assertThat(few.getMessage()).contains("10 labels").contains("11 images");
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> Evaluation.accuracy(net, wrong, new int[2], 4));
            assertThat(shape.getMessage()).contains("1x12x12").contains("3x12x12");
            assertThrows(IllegalArgumentException.class, () -> Evaluation.accuracy(net, s, labels(1), 0));
        }
    }

    @Test
    void latencyIsAPositiveMedianPerImage() {
        try (ImageSource s = source(null)) {
            double one = Evaluation.latencyMillisPerImage(net, s);
            double four = Evaluation.latencyMillisPerImage(net, s, 4, 1, 3);
            assertThat(one).isPositive().isFinite();
            assertThat(four).isPositive().isFinite();
            assertThrows(IllegalArgumentException.class, () -> Evaluation.latencyMillisPerImage(net, s, 1, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> Evaluation.latencyMillisPerImage(net, s, 1, -1, 3));
        }
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3, Evaluation.median(new double[]{9, 1, 3}));
        assertEquals(2.5, Evaluation.median(new double[]{4, 1, 2, 3}));
    }

    @Test
    void snapshotCountsTheSizeAndMeasuresWhatItCan() {
        ModelSize size = ModelSize.of(net);
        try (ImageSource labelled = source(labels(5)); ImageSource unlabelled = source(null)) {
            ModelSnapshot a = Evaluation.snapshot("original", net, labelled, null, 4);
            assertEquals("original", a.stage());
            assertEquals(5.0 / N, a.accuracy(), 1e-12);
            assertEquals(size.totalParams(), a.params());
            assertEquals(size.totalMacs(), a.macs());
            assertThat(a.latencyMs()).isPositive();
            ModelSnapshot b = Evaluation.snapshot("pruned", net, unlabelled, null, 4);
            assertThat(b.hasAccuracy()).isFalse();
            assertThat(b.hasLatency()).isTrue();
        }
    }

    @Test
    void snapshotRejectsImpossibleValues() {
        assertThrows(IllegalArgumentException.class, () -> new ModelSnapshot("x", 1.5, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ModelSnapshot("x", 0.5, -1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ModelSnapshot("x", 0.5, 1, 1, -2));
        assertThrows(IllegalArgumentException.class, () -> new Accuracy(3, 2));
        ModelSnapshot unmeasured = new ModelSnapshot("x", Double.NaN, 1, 1, Double.NaN);
        assertThat(unmeasured.hasAccuracy()).isFalse();
        assertThat(unmeasured.hasLatency()).isFalse();
    }

    @Test
    void topOneRefusesADetectorsHeadsAndADenseMapNamingTheOutputs() {
        java.util.Random r = new java.util.Random(3);
        Network heads = Network.builder("two-heads").input("input", 3, 8, 8)
                .add("a", TestNets.conv(r, 3, 5, 3, 1, 1), "input")
                .add("b", TestNets.conv(r, 3, 4, 3, 2, 1), "input")
                .output("a").output("b")
                .build();
        float[] x = Forward.images(heads, 4, 1);
        ImageSource images = ImageSources.fromArray(x, 4, 3, 8, 8, new int[]{0, 1, 2, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dev.thinet4j.eval.Evaluation.accuracy(heads, images, null, 2));
        assertThat(e.getMessage()).contains("one output").contains("'a' [N, 5, 8, 8]").contains("'b' [N, 4, 4, 4]");
        Network dense = Network.builder("dense").input("input", 3, 8, 8)
                .add("a", TestNets.conv(r, 3, 5, 3, 1, 1), "input")
                .output("a")
                .build();
        e = assertThrows(IllegalArgumentException.class,
                () -> dev.thinet4j.eval.Evaluation.accuracy(dense, images, null, 2));
        assertThat(e.getMessage()).contains("[N, classes]").contains("[N, 5, 8, 8]");
    }
}
