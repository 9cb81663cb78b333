package dev.thinet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DataOptionsTest {

    @Test
    void defaults() {
        DataOptions d = DataOptions.DEFAULTS;
        assertEquals(Normalization.NONE, d.normalization());
        assertEquals(0, d.resize());
        assertEquals(0, d.crop());
        assertEquals(ColorMode.RGB, d.colorMode());
        assertEquals(0, d.limit());
        assertTrue(d.scaleUint8());
        assertNull(d.labelsFile());
    }

    @Test
    void builderRoundTrip() {
        DataOptions o = DataOptions.builder().normalization(Normalization.IMAGENET).resize(256).crop(224)
                .colorMode(ColorMode.GRAYSCALE).limit(500).scaleUint8(false).labelsFile(Path.of("l.txt")).build();
        assertEquals(new DataOptions(Normalization.IMAGENET, 256, 224, ColorMode.GRAYSCALE, 500, false,
                Path.of("l.txt")), o);
        assertEquals(o, o.toBuilder().build());
        assertEquals(100, o.toBuilder().limit(100).build().limit());
    }

    @Test
    void invalidValuesAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DataOptions.builder().crop(300).resize(256)
                .build()).getMessage().contains("crop 300 is larger than resize 256"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DataOptions.builder().limit(-1).build())
                .getMessage().contains("limit must be >= 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DataOptions.builder().resize(-2).build())
                .getMessage().contains("resize must be >= 0"));
    }
}
