package dev.thinet4j.training;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-epoch orders of the training data: permutations, seeded, in memory and streamed. */
class TrainingDataTest {

    /** n images of 1×1×2 whose pixels and label are the image's index. */
    private static ImageSource indexed(int n) {
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = i;
            y[i] = i;
        }
        return ImageSources.fromArray(x, n, 1, 1, 2, y);
    }

    private static List<Integer> order(TrainingData d, int epoch) {
        List<Integer> out = new ArrayList<>();
        Iterator<Batch> it = d.epoch(epoch);
        while (it.hasNext()) {
            Batch b = it.next();
            for (int i = 0; i < b.n(); i++) {
                assertThat(b.images()[2 * i]).isEqualTo((float) b.labels()[i]);
                out.add(b.labels()[i]);
            }
        }
        return out;
    }

    @Property(tries = 40)
    void everyEpochIsAPermutationAndSeedsReproduceIt(@ForAll @IntRange(min = 2, max = 90) int n,
                                                      @ForAll @IntRange(min = 1, max = 20) int batch,
                                                      @ForAll boolean streamed,
                                                      @ForAll @IntRange(min = 1, max = 40) int window,
                                                      @ForAll long seed) {
        TrainingConfig c = TrainingConfig.builder().batchSize(batch).seed(seed)
                .maxInMemoryBytes(streamed ? 0 : 1 << 20).shuffleWindow(window).build();
        try (ImageSource src = indexed(n)) {
            TrainingData d = TrainingData.of(src, c);
            assertThat(d).isInstanceOf(streamed ? TrainingData.Streaming.class : TrainingData.InMemory.class);
            List<Integer> e0 = order(d, 0);
            // a last batch of one image is skipped when batches hold more than one
            assertThat(e0).doesNotHaveDuplicates();
            assertThat(e0.size()).isBetween(n - (streamed ? (n + window - 1) / window : 1), n);
            assertThat(order(TrainingData.of(src, c), 0)).isEqualTo(e0);
            if (!streamed) {
                assertThat((long) e0.size()).isEqualTo(n - (n % batch == 1 && batch > 1 ? 1 : 0));
                assertThat(d.batchesPerEpoch()).isEqualTo((n / batch) + (n % batch >= 2 ? 1 : 0));
            }
        }
    }

    @Test
    void epochsAndSeedsGiveDifferentOrdersAndNoShufflingKeepsTheSourceOrder() {
        try (ImageSource src = indexed(50)) {
            TrainingConfig c = TrainingConfig.builder().batchSize(10).seed(3).build();
            TrainingData d = TrainingData.of(src, c);
            assertThat(order(d, 0)).isNotEqualTo(order(d, 1));
            assertThat(order(d, 0)).isNotEqualTo(order(TrainingData.of(src, c.toBuilder().seed(4).build()), 0));
            List<Integer> plain = order(TrainingData.of(src, c.toBuilder().shuffle(false).build()), 0);
            assertThat(plain).isSorted().hasSize(50);
        }
    }

    @Test
    void streamingShufflesWithinWindowsOnly() {
        try (ImageSource src = indexed(40)) {
            TrainingConfig c = TrainingConfig.builder().batchSize(5).seed(1).maxInMemoryBytes(0).shuffleWindow(10).build();
            List<Integer> o = order(TrainingData.of(src, c), 0);
            assertThat(o).hasSize(40);
            for (int w = 0; w < 4; w++) {
                assertThat(o.subList(10 * w, 10 * w + 10)).containsExactlyInAnyOrderElementsOf(range(10 * w, 10 * w + 10));
            }
        }
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i < to; i++) {
            r.add(i);
        }
        return r;
    }
}
