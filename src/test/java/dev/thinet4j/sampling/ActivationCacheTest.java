package dev.thinet4j.sampling;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Thinning;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A layer-by-layer sequence of sampling passes with an {@link ActivationCache} gives bit for bit the statistics
 * of passes from the images, and the cache does keep activations.
 */
class ActivationCacheTest {

    private static void assertSameStatistics(GroupStatistics a, GroupStatistics b, String what) {
        assertArrayEquals(a.contributions().xtx().data, b.contributions().xtx().data, 0.0, what + " Gram");
        assertArrayEquals(a.contributions().xty().data, b.contributions().xty().data, 0.0, what + " XᵀY");
        assertArrayEquals(a.contributions().yty(), b.contributions().yty(), 0.0, what + " yᵀy");
        assertEquals(a.full().keySet(), b.full().keySet(), what);
        for (String k : a.full().keySet()) {
            assertArrayEquals(a.full().get(k).xtx().data, b.full().get(k).xtx().data, 0.0, what + " full " + k);
            assertArrayEquals(a.full().get(k).xty().data, b.full().get(k).xty().data, 0.0, what + " full " + k);
        }
        assertArrayEquals(a.zeroFraction(), b.zeroFraction(), 0.0, what + " APoZ");
    }

    @ParameterizedTest
    @CsvSource({"vgg,conv1;conv2;conv3,3,true", "vgg,conv1;conv2;conv3,20,true", "vgg,conv1;conv2;conv3,4,false",
            "residual,b1.conv1;b2.conv1,4,true", "residual,b2.conv1;stem;b1.conv1,2,false"})
    void cachedPassesEqualPassesFromTheImages(String netName, String layers, int batchSize, boolean withReference) {
        Network original = netName.equals("vgg") ? TestNets.vggLike(3) : TestNets.residual(3);
        var in = original.input();
        int images = 9;
        float[] data = Forward.images(original, images, 5);
        SamplingConfig config = new SamplingConfig(4, 21, true, batchSize);
        Network current = original;
        long maxKept = 0;
        try (ActivationCache cache = new ActivationCache(1L << 30, 0);
             InferenceEngine reference = withReference ? new InferenceEngine(original, cache.buffers()) : null;
             ImageSource source = ImageSources.fromArray(data, images, in.channels(), in.height(), in.width(), null)) {
            for (String layer : List.of(layers.split(";"))) {
                ChannelGroup group = new DependencyGraph(current).groupOf(layer);
                GroupStatistics cached;
                GroupStatistics plain;
                try (InferenceEngine engine = new InferenceEngine(current, cache.buffers())) {
                    cached = new GroupSampler(config).sample(engine, group, source, reference, cache);
                    plain = new GroupSampler(config).sample(engine, group, source, reference);
                }
                assertSameStatistics(plain, cached, netName + " " + layer);
                maxKept = Math.max(maxKept, cache.keptBytes());
                // thin the layer as the pruner would (keep every other channel), leaving the consumers as they are
                int[] keep = IntStream.range(0, group.channels()).filter(c -> c % 2 == 0).toArray();
                current = Thinning.keep(current, group, keep);
            }
        }
        assertTrue(maxKept > 0, "the cache never kept an activation");
    }
}
