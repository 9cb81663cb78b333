package dev.thinet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Reads the Fashion-MNIST test subset shipped in data/ (skipped when it is not there). */
class FashionMnistFileTest {
    private static final Path DIR = Path.of("data", "fashion-mnist");

    @Test
    void shippedTestImagesAndLabels() throws IOException {
        Path images = DIR.resolve("t10k-images-idx3-ubyte.gz");
        assumeTrue(Files.exists(images), "shipped data not present: " + images);
        Path labels = DIR.resolve("t10k-labels-idx1-ubyte.gz");
        DataOptions.Builder options = DataOptions.builder();
        if (Files.exists(labels)) {
            options.labelsFile(labels);
        }
        try (ImageSource s = ImageSources.open(images, options.build())) {
            assertEquals(2000, s.size());
            assertEquals(1, s.channels());
            assertEquals(28, s.height());
            assertEquals(28, s.width());
            int seen = 0;
            float max = 0;
            boolean[] classes = new boolean[10];
            for (Batch b : s.batches(500)) {
                for (float v : b.images()) {
                    if (!(v >= 0f && v <= 1f)) {
                        fail("value " + v + " outside [0, 1] in batch " + b);
                    }
                    max = Math.max(max, v);
                }
                if (b.hasLabels()) {
                    for (int l : b.labels()) {
                        assertTrue(l >= 0 && l <= 9, "label " + l);
                        classes[l] = true;
                    }
                }
                seen += b.n();
            }
            assertEquals(2000, seen);
            assertEquals(1f, max); // Fashion-MNIST images reach full intensity
            if (s.hasLabels()) {
                for (int c = 0; c < 10; c++) {
                    assertTrue(classes[c], "class " + c + " missing from 2000 labels");
                }
            }
        }
    }
}
