package dev.thinet4j.reliability;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.InvalidDataException;
import dev.thinet4j.data.Labels;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.thinet4j.reliability.Reliability.DATA;
import static dev.thinet4j.reliability.Reliability.assertCliFails;
import static dev.thinet4j.reliability.Reliability.assertRefused;
import static dev.thinet4j.reliability.Reliability.cli;
import static dev.thinet4j.reliability.Reliability.images;
import static dev.thinet4j.reliability.Reliability.tinyNet;
import static dev.thinet4j.reliability.Reliability.writeNpy;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad calibration data: non-finite values, the wrong shape or channel count, too few images,
 * truncated or unrecognised files — through {@link ThiNetPruner#prune} and {@code thinet4j prune}.
 * Nothing is written when the data is refused.
 */
class CalibrationDataBadInputTest {
    @TempDir
    static Path tmp;
    static Network net;
    static Path model;

    @BeforeAll
    static void model() {
        net = tinyNet(3, 4);
        model = tmp.resolve("tiny.onnx");
        OnnxExporter.save(net, model);
    }

    private static PrunerConfig config(int images) {
        return PrunerConfig.builder().images(images).pointsPerImage(3).reconstruction(Reconstruction.FULL).seed(5)
                .build();
    }

    private static Reliability.Run cliPrune(Path data, Path out, String... extra) {
        String[] base = {"prune", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--images", "6", "--points", "3"};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return cli(all);
    }

    @Test
    void nanInCalibrationData() throws IOException {
        float[] x = images(1, 6, 1, 8, 8);
        x[3 * 64 + 2 * 8 + 5] = Float.NaN; // image 3, row 2, column 5
        Path data = writeNpy(tmp.resolve("nan.npy"), x, 6, 1, 8, 8);
        try (ImageSource source = ImageSources.open(data)) {
            assertRefused(InvalidDataException.class,
                    () -> new ThiNetPruner(config(6)).prune(net, Policies.uniform(0.5), source),
                    "nan.npy", "image 3 (of 6)", "NaN", "channel 0, row 2, column 5", "must be finite");
        }
        Path out = tmp.resolve("nan_out.onnx");
        assertCliFails(1, cliPrune(data, out), "nan.npy", "image 3", "NaN");
        assertThat(out).doesNotExist();
    }

    @Test
    void infinityInCalibrationData() throws IOException {
        float[] x = images(2, 6, 1, 8, 8);
        x[5 * 64 + 63] = Float.POSITIVE_INFINITY;
        Path data = writeNpy(tmp.resolve("inf.npy"), x, 6, 1, 8, 8);
        try (ImageSource source = ImageSources.open(data)) {
            assertRefused(InvalidDataException.class,
                    () -> new ThiNetPruner(config(6)).prune(net, Policies.uniform(0.5), source),
                    "inf.npy", "image 5 (of 6)", "Infinity", "row 7, column 7");
        }
    }

    @Test
    void nanInAnInMemoryArray() {
        float[] x = images(3, 2, 1, 8, 8);
        x[70] = Float.NaN;
        assertRefused(InvalidDataException.class, () -> ImageSources.fromArray(x, 2, 1, 8, 8, null), "NaN",
                "image 1");
    }

    @Test
    void wrongChannelCount() throws IOException {
        Path data = writeNpy(tmp.resolve("rgb.npy"), images(4, 6, 3, 8, 8), 6, 3, 8, 8);
        try (ImageSource source = ImageSources.open(data)) {
            assertRefused(IllegalArgumentException.class,
                    () -> new ThiNetPruner(config(6)).prune(net, Policies.uniform(0.5), source),
                    "calibration images are 3x8x8", "model input 'input' expects 1x8x8");
        }
        Path out = tmp.resolve("rgb_out.onnx");
        assertCliFails(1, cliPrune(data, out), "rgb.npy", "3x8x8", "1x8x8");
        assertThat(out).doesNotExist();
    }

    @Test
    void wrongImageSize() throws IOException {
        // the shipped Fashion-MNIST images are 28×28; the model takes 8×8
        Path out = tmp.resolve("size_out.onnx");
        assertCliFails(1, cliPrune(DATA.resolve("t10k-images-idx3-ubyte.gz"), out), "t10k-images-idx3-ubyte.gz",
                "1x28x28", "1x8x8");
        assertThat(out).doesNotExist();
    }

    @Test
    void wrongRank() throws IOException {
        Path data = writeNpy(tmp.resolve("flat.npy"), images(5, 6, 1, 8, 8), 6, 64);
        assertRefused(InvalidDataException.class, () -> ImageSources.open(data), "flat.npy", "(6, 64)",
                "2 dimension(s)", "[N, C, H, W] or [N, H, W]");
        assertCliFails(1, cliPrune(data, tmp.resolve("o.onnx")), "flat.npy", "(6, 64)");
    }

    @Test
    void fewerImagesThanRequested() throws IOException {
        Path data = writeNpy(tmp.resolve("few.npy"), images(6, 4, 1, 8, 8), 4, 1, 8, 8);
        try (ImageSource source = ImageSources.open(data)) {
            assertRefused(IllegalArgumentException.class,
                    () -> new ThiNetPruner(config(10)).prune(net, Policies.uniform(0.5), source),
                    "asked for 10 calibration images", "the data has 4");
        }
        Path out = tmp.resolve("few_out.onnx");
        assertCliFails(1, cliPrune(data, out), "asked for 6 calibration images", "the data has 4");
        assertThat(out).doesNotExist();
    }

    @Test
    void truncatedNpy() throws IOException {
        Path full = writeNpy(tmp.resolve("full.npy"), images(7, 6, 1, 8, 8), 6, 1, 8, 8);
        byte[] bytes = Files.readAllBytes(full);
        Path cut = Files.write(tmp.resolve("cut.npy"), Arrays.copyOf(bytes, bytes.length - 100));
        assertRefused(InvalidDataException.class, () -> ImageSources.open(cut), "cut.npy", "truncated",
                "image 5 (of 6) is incomplete", "needs " + bytes.length + " bytes");
        assertCliFails(1, cliPrune(cut, tmp.resolve("o.onnx")), "cut.npy", "truncated");
    }

    @Test
    void labelFileGivenAsImages() {
        Path labels = DATA.resolve("t10k-labels-idx1-ubyte.gz");
        assertRefused(InvalidDataException.class, () -> ImageSources.open(labels), "t10k-labels-idx1-ubyte.gz",
                "looks like an IDX label file");
    }

    @Test
    void unrecognisedFormat() throws IOException {
        Path text = Files.writeString(tmp.resolve("images.csv"), "0.1,0.2,0.3\n");
        assertRefused(InvalidDataException.class, () -> ImageSources.open(text), "images.csv",
                "unrecognised image data", "expected IDX images");
        assertCliFails(1, cliPrune(text, tmp.resolve("o.onnx")), "images.csv", "unrecognised image data");
    }

    @Test
    void missingDataFile() {
        Path missing = tmp.resolve("none.npy");
        assertRefused(NoSuchFileException.class, () -> ImageSources.open(missing), "none.npy");
        assertCliFails(2, cliPrune(missing, tmp.resolve("o.onnx")), "--data", "none.npy", "no such file");
    }

    @Test
    void badLabelsAreNamedByLine() throws IOException {
        Path labels = Files.writeString(tmp.resolve("labels.txt"), "1\n2\nthree\n");
        assertRefused(InvalidDataException.class, () -> Labels.read(labels), "labels.txt", "line 3",
                "\"three\"");
    }

    @Test
    void truncatedImagesStreamedFromGzipFailWhileReading() throws IOException {
        // a gzip NPY header is accepted (the length is unknown until the end); reading stops with the position
        Path full = writeNpy(tmp.resolve("g.npy"), images(8, 6, 1, 8, 8), 6, 1, 8, 8);
        byte[] bytes = Files.readAllBytes(full);
        Path gz = tmp.resolve("g.npy.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(bytes, 0, bytes.length - 300);
        }
        try (ImageSource source = ImageSources.open(gz)) {
            assertThat(source.size()).isEqualTo(6);
            assertRefused(InvalidDataException.class, () -> {
                for (Batch b : source.batches(2)) {
                    assertThat(b.n()).isEqualTo(2);
                }
            }, "g.npy.gz", "truncated", "image 4 (of 6) is incomplete");
        }
    }
}
