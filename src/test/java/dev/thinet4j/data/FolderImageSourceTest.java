package dev.thinet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderImageSourceTest {
    @TempDir
    Path dir;

    private static int red(int x, int y) {
        return 10 * x + y;
    }

    private static int green(int x, int y) {
        return 40 + x * y;
    }

    private static int blue(int x, int y) {
        return 200 - 7 * x - y;
    }

    /** A width x height RGB image with the known colours above (plus {@code shift} on red). */
    private static BufferedImage known(int width, int height, int shift) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, ((red(x, y) + shift) << 16) | (green(x, y) << 8) | blue(x, y));
            }
        }
        return img;
    }

    private static Path png(BufferedImage img, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, "png", file.toFile()));
        return file;
    }

    /** An image whose every row is {@code columns}, as 8-bit grayscale. */
    private static BufferedImage grayColumns(int height, int... columns) {
        BufferedImage img = new BufferedImage(columns.length, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < columns.length; x++) {
                img.getRaster().setSample(x, y, 0, columns[x]);
            }
        }
        return img;
    }

    @Test
    void identityResizeAndCentreCropRemoveTheOuterColumns() throws IOException {
        // 6 wide, 4 high: the shorter side is already 4, so resize(4) is the identity and crop(4)
        // keeps columns 1..4 (left = (6 - 4) / 2 = 1)
        png(known(6, 4, 0), dir.resolve("img.png"));
        DataOptions o = DataOptions.builder().resize(4).crop(4).build();
        try (ImageSource s = ImageSources.open(dir, o)) {
            assertEquals(3, s.channels());
            assertEquals(4, s.height());
            assertEquals(4, s.width());
            assertEquals(1, s.size());
            Batch b = TestData.all(s, 8).get(0);
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    assertEquals(red(x + 1, y) / 255f, b.get(0, 0, y, x), "R at " + y + "," + x);
                    assertEquals(green(x + 1, y) / 255f, b.get(0, 1, y, x), "G at " + y + "," + x);
                    assertEquals(blue(x + 1, y) / 255f, b.get(0, 2, y, x), "B at " + y + "," + x);
                }
            }
        }
    }

    @Test
    void noResizeNoCropKeepsTheImage() throws IOException {
        Path f = png(known(3, 2, 0), dir.resolve("one.png"));
        assertEquals(DataFormat.IMAGE_FILE, ImageSources.detect(f));
        try (ImageSource s = ImageSources.open(f)) {
            assertEquals(2, s.height());
            assertEquals(3, s.width());
            Batch b = TestData.all(s, 1).get(0);
            assertEquals(blue(2, 1) / 255f, b.get(0, 2, 1, 2));
            assertEquals(red(0, 0) / 255f, b.get(0, 0, 0, 0));
        }
    }

    @Test
    void downscalingAveragesWithAWidenedTriangle() throws IOException {
        // 4x4 -> 2x2 (factor 2): output column 0 is centred at 1.0 with taps at 0.5, 1.5, 2.5 weighted
        // 0.75, 0.75, 0.25 (normalised by 1.75): (0.75*0 + 0.75*70 + 0.25*140) / 1.75 = 50;
        // column 1 centred at 3.0: (0.25*70 + 0.75*140 + 0.75*210) / 1.75 = 160. Rows are constant.
        png(grayColumns(4, 0, 70, 140, 210), dir.resolve("g.png"));
        DataOptions o = DataOptions.builder().resize(2).colorMode(ColorMode.GRAYSCALE).build();
        try (ImageSource s = ImageSources.open(dir, o)) {
            assertEquals(1, s.channels());
            assertEquals(2, s.height());
            assertEquals(2, s.width());
            Batch b = TestData.all(s, 1).get(0);
            for (int y = 0; y < 2; y++) {
                assertEquals(50 / 255f, b.get(0, 0, y, 0), 1e-6f);
                assertEquals(160 / 255f, b.get(0, 0, y, 1), 1e-6f);
            }
        }
    }

    @Test
    void upscalingIsBilinearWithHalfPixelCentres() throws IOException {
        // 2 -> 4: centres at 0.25, 0.75, 1.25, 1.75 in input pixels: [a, .75a+.25b, .25a+.75b, b]
        png(grayColumns(2, 0, 200), dir.resolve("g.png"));
        DataOptions o = DataOptions.builder().resize(4).colorMode(ColorMode.GRAYSCALE).build();
        try (ImageSource s = ImageSources.open(dir, o)) {
            Batch b = TestData.all(s, 1).get(0);
            float[] want = {0, 50, 150, 200};
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    assertEquals(want[x] / 255f, b.get(0, 0, y, x), 1e-6f);
                }
            }
        }
    }

    @Test
    void nonSquareResizeKeepsAspectRatioOfTheShorterSide() throws IOException {
        png(known(8, 4, 0), dir.resolve("wide.png")); // 8x4 -> shorter side 2 -> 4x2
        try (ImageSource s = ImageSources.open(dir, DataOptions.builder().resize(2).build())) {
            assertEquals(2, s.height());
            assertEquals(4, s.width());
            assertEquals(1, TestData.all(s, 1).size());
        }
    }

    @Test
    void grayscaleModes() throws IOException {
        png(grayColumns(2, 0, 37, 255), dir.resolve("a_gray.png"));
        try (ImageSource s = ImageSources.open(dir, DataOptions.builder().colorMode(ColorMode.GRAYSCALE).build())) {
            Batch b = TestData.all(s, 1).get(0);
            assertArrayEquals(new float[]{0, 37 / 255f, 1, 0, 37 / 255f, 1}, b.images());
        }
        try (ImageSource s = ImageSources.open(dir)) { // RGB: gray replicated into three channels
            Batch b = TestData.all(s, 1).get(0);
            assertEquals(3, b.channels());
            for (int c = 0; c < 3; c++) {
                assertEquals(37 / 255f, b.get(0, c, 1, 1));
            }
        }
        Path rgb = png(known(2, 2, 0), dir.resolve("sub").resolve("rgb.png"));
        try (ImageSource s = ImageSources.open(rgb, DataOptions.builder().colorMode(ColorMode.GRAYSCALE).build())) {
            Batch b = TestData.all(s, 1).get(0);
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 2; x++) {
                    float luma = (float) (0.299 * red(x, y) + 0.587 * green(x, y) + 0.114 * blue(x, y));
                    assertEquals(luma / 255f, b.get(0, 0, y, x), 1e-6f);
                }
            }
        }
    }

    @Test
    void classSubFoldersGiveSortedLabels() throws IOException {
        Path root = dir.resolve("train");
        png(known(2, 2, 3), root.resolve("dog").resolve("x.png"));
        png(known(2, 2, 2), root.resolve("cat").resolve("b.png"));
        png(known(2, 2, 1), root.resolve("cat").resolve("a.png"));
        Files.writeString(root.resolve("cat").resolve("notes.txt"), "not an image");
        Files.createDirectories(root.resolve(".cache"));
        assertEquals(DataFormat.IMAGE_FOLDER, ImageSources.detect(root));
        try (ImageSource s = ImageSources.open(root)) {
            assertTrue(s.hasLabels());
            assertEquals(List.of("cat", "dog"), s.classNames());
            assertEquals(3, s.size());
            List<Batch> batches = TestData.all(s, 2);
            assertArrayEquals(new int[]{0, 0}, batches.get(0).labels());
            assertArrayEquals(new int[]{1}, batches.get(1).labels());
            // order: cat/a.png (shift 1), cat/b.png (shift 2), dog/x.png (shift 3)
            assertEquals((red(0, 0) + 1) / 255f, batches.get(0).get(0, 0, 0, 0));
            assertEquals((red(0, 0) + 2) / 255f, batches.get(0).get(1, 0, 0, 0));
            assertEquals((red(0, 0) + 3) / 255f, batches.get(1).get(0, 0, 0, 0));
        }
        Path labels = Files.writeString(dir.resolve("labels.txt"), "5\n6\n7\n");
        try (ImageSource s = ImageSources.open(root, DataOptions.builder().labelsFile(labels).build())) {
            assertArrayEquals(new int[]{5, 6, 7}, TestData.all(s, 3).get(0).labels());
        }
    }

    @Test
    void flatFolderIsSortedByNameAndUnlabelled() throws IOException {
        png(known(2, 2, 2), dir.resolve("b.png"));
        png(known(2, 2, 1), dir.resolve("a.PNG"));
        png(known(2, 2, 3), dir.resolve("c.png"));
        try (ImageSource s = ImageSources.open(dir)) {
            assertFalse(s.hasLabels());
            Batch b = TestData.all(s, 3).get(0);
            assertEquals(null, b.labels());
            for (int i = 0; i < 3; i++) {
                assertEquals((red(0, 0) + i + 1) / 255f, b.get(i, 0, 0, 0));
            }
        }
    }

    @Test
    void imagenetNormalizationOfAFolder() throws IOException {
        png(known(2, 2, 0), dir.resolve("a.png"));
        try (ImageSource s = ImageSources.open(dir, DataOptions.builder().normalization(Normalization.IMAGENET)
                .build())) {
            Batch b = TestData.all(s, 1).get(0);
            float[] mean = {0.485f, 0.456f, 0.406f};
            float[] std = {0.229f, 0.224f, 0.225f};
            assertEquals((red(1, 1) / 255f - mean[0]) / std[0], b.get(0, 0, 1, 1));
            assertEquals((green(1, 0) / 255f - mean[1]) / std[1], b.get(0, 1, 0, 1));
            assertEquals((blue(0, 1) / 255f - mean[2]) / std[2], b.get(0, 2, 1, 0));
        }
    }

    @Test
    void jpegIsDecoded() throws IOException {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                img.setRGB(x, y, (200 << 16) | (100 << 8) | 50);
            }
        }
        Path f = dir.resolve("flat.jpg");
        assertTrue(ImageIO.write(img, "jpg", f.toFile()));
        assertEquals(DataFormat.IMAGE_FILE, ImageSources.detect(f));
        try (ImageSource s = ImageSources.open(f, DataOptions.builder().crop(8).build())) {
            Batch b = TestData.all(s, 1).get(0);
            assertEquals(200 / 255f, b.get(0, 0, 4, 4), 4 / 255f);
            assertEquals(100 / 255f, b.get(0, 1, 4, 4), 4 / 255f);
            assertEquals(50 / 255f, b.get(0, 2, 4, 4), 4 / 255f);
        }
    }

    @Test
    void mixedSizesWithoutCropNameTheOffendingFile() throws IOException {
        png(known(4, 4, 0), dir.resolve("a.png"));
        png(known(5, 4, 0), dir.resolve("b.png"));
        try (ImageSource s = ImageSources.open(dir)) {
            InvalidDataException e = assertThrows(InvalidDataException.class, () -> TestData.all(s, 2));
            assertEquals(dir.resolve("b.png"), e.file());
            assertTrue(e.getMessage().contains("image 1 is 5x4 (width x height), but the first image a.png gives 4x4"),
                    e.getMessage());
        }
        try (ImageSource s = ImageSources.open(dir, DataOptions.builder().crop(4).build())) {
            assertEquals(2, TestData.all(s, 2).get(0).n());
        }
    }

    @Test
    void imageSmallerThanTheCropIsRejected() throws IOException {
        png(known(3, 3, 0), dir.resolve("a.png"));
        try (ImageSource s = ImageSources.open(dir, DataOptions.builder().crop(4).build())) {
            InvalidDataException e = assertThrows(InvalidDataException.class, () -> TestData.all(s, 1));
            assertTrue(e.getMessage().contains("image 0 is 3x3 (width x height), smaller than the 4x4 crop"),
                    e.getMessage());
        }
    }

    @Test
    void undecodableFileAndEmptyFolder() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(empty));
        assertTrue(e.getMessage().contains("the folder holds no image files"), e.getMessage());

        Path bad = dir.resolve("bad");
        png(known(2, 2, 0), bad.resolve("a.png"));
        Files.write(bad.resolve("b.png"), new byte[]{1, 2, 3, 4, 5});
        try (ImageSource s = ImageSources.open(bad)) {
            InvalidDataException e2 = assertThrows(InvalidDataException.class, () -> TestData.all(s, 2));
            assertEquals(bad.resolve("b.png"), e2.file());
            assertTrue(e2.getMessage().contains("image 1 (of 2)"), e2.getMessage());
        }
    }

    @Test
    void selectSkipsWithoutDecoding() throws IOException {
        png(known(2, 2, 1), dir.resolve("a.png"));
        Files.write(dir.resolve("b.png"), new byte[]{9, 9, 9}); // never decoded: skipped
        png(known(2, 2, 3), dir.resolve("c.png"));
        try (ImageSource s = ImageSources.select(ImageSources.open(dir), new int[]{2, 0})) {
            Batch b = TestData.all(s, 5).get(0);
            assertEquals(2, b.n());
            assertEquals((red(0, 0) + 1) / 255f, b.get(0, 0, 0, 0));
            assertEquals((red(0, 0) + 3) / 255f, b.get(1, 0, 0, 0));
        }
    }
}
