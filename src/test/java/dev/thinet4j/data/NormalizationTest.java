package dev.thinet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class NormalizationTest {

    @Test
    void imagenetValues() {
        assertArrayEquals(new float[]{0.485f, 0.456f, 0.406f}, Normalization.IMAGENET.mean());
        assertArrayEquals(new float[]{0.229f, 0.224f, 0.225f}, Normalization.IMAGENET.std());
        assertTrue(Normalization.NONE.isNone());
    }

    @Test
    void parsesCommaSeparatedLists() {
        assertEquals(Normalization.IMAGENET, Normalization.parse("0.485,0.456,0.406", " 0.229, 0.224 ,0.225"));
        assertEquals(Normalization.of(0.5f, 0.5f), Normalization.parse("0.5", "0.5"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.parse("0.4,abc", "1,1"));
        assertEquals("normalization mean \"0.4,abc\": value 2 \"abc\" is not a number", e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Normalization.parse("", "1")).getMessage()
                .contains("mean is empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Normalization.parse("0", "0")).getMessage()
                .contains("std[0] is 0.0, expected a finite number > 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Normalization.parse("1,2", "1,2,3"))
                .getMessage().contains("mean has 2 values and std has 3"));
    }

    @Test
    void lengthMustBeOneOrTheChannelCount() {
        Normalization.IMAGENET.checkChannels(3, "x");
        Normalization.of(0, 1).checkChannels(3, "x");
        Normalization.parse("0.1", "0.2,0.3,0.4").checkChannels(3, "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.IMAGENET.checkChannels(1, "data.idx"));
        assertEquals("normalization mean has 3 values but data.idx has 1 channel; give 1 value", e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Normalization.parse("0,0", "1,1").checkChannels(3, "d"));
        assertEquals("normalization mean has 2 values but d has 3 channels; give 1 or 3 values", e2.getMessage());
    }

    @Test
    void appliesPerChannel() {
        // 2 images, 2 channels, 2 pixels
        float[] data = {1, 2, 3, 4, 5, 6, 7, 8};
        new Normalization(new float[]{1, 2}, new float[]{2, 4}).applyInPlace(data, 2, 2);
        assertArrayEquals(new float[]{0, 0.5f, 0.25f, 0.5f, 2, 2.5f, 1.25f, 1.5f}, data);
    }

    @Test
    void isImmutable() {
        float[] mean = {0.5f};
        Normalization n = new Normalization(mean, new float[]{1});
        mean[0] = 9;
        n.mean()[0] = 7;
        assertEquals(0.5f, n.meanOf(0));
    }

    @Property(tries = 50)
    void noneIsTheIdentityAndMeanStdInvert(@ForAll @FloatRange(min = -10, max = 10) float x,
                                           @ForAll @FloatRange(min = -1, max = 1) float mean,
                                           @ForAll @FloatRange(min = 0.1f, max = 5) float std,
                                           @ForAll @IntRange(min = 1, max = 4) int channels) {
        float[] data = new float[channels];
        java.util.Arrays.fill(data, x);
        Normalization.NONE.applyInPlace(data, channels, 1);
        assertEquals(x, data[0]);
        Normalization.of(mean, std).applyInPlace(data, channels, 1);
        for (float v : data) {
            assertEquals(x, v * std + mean, 1e-4f * (1 + Math.abs(x)));
        }
    }
}
