package dev.thinet4j.onnx.proto;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reading and writing files and streams. */
class OnnxProtoFileTest {

    private static List<Path> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writeThenReadAFile(@TempDir Path dir) throws IOException {
        OnnxModel model = OnnxProtoBadInputTest.smallModel();
        Path file = dir.resolve("model.onnx");
        OnnxProtoWriter.write(model, file);
        assertEquals(List.of(file), listing(dir), "no temporary file left behind");
        assertArrayEquals(OnnxProtoWriter.write(model), Files.readAllBytes(file));
        assertEquals(model, OnnxProtoReader.read(file));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (InputStream in = Files.newInputStream(file)) {
            assertEquals(model, OnnxProtoReader.read(in));
        }
    }

    @Test
    void relativePathsWork(@TempDir Path dir) {
        Path file = Path.of("").toAbsolutePath().relativize(dir.resolve("rel.onnx"));
        OnnxProtoWriter.write(OnnxProtoBadInputTest.smallModel(), file);
        assertEquals(OnnxProtoBadInputTest.smallModel(), OnnxProtoReader.read(file));
    }

    @Test
    void replacingKeepsPermissionsAndLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.write(file, new byte[] {1, 2, 3});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        OnnxModel model = OnnxProtoBadInputTest.smallModel();
        OnnxProtoWriter.write(model, file);
        assertEquals(model, OnnxProtoReader.read(file));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(List.of(file), listing(dir));
    }

    @Test
    void aFailedWriteLeavesTheOldFileUntouched(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.onnx");
        OnnxModel good = OnnxProtoBadInputTest.smallModel();
        OnnxProtoWriter.write(good, file);
        byte[] before = Files.readAllBytes(file);
        OnnxModel invalid = new OnnxModel(0, good.opsetImports(), "", "", "", 0, "", good.graph(), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxProtoWriter.write(invalid, file));
        assertEquals("irVersion must be >= 1, got 0", e.getMessage());
        OnnxModel noOpset = new OnnxModel(8, List.of(), "", "", "", 0, "", good.graph(), null);
        assertThrows(IllegalArgumentException.class, () -> OnnxProtoWriter.write(noOpset, file));
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file), listing(dir));
    }

    @Test
    void writingIntoAMissingDirectoryIsAnIoError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("no/such/dir/model.onnx");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> OnnxProtoWriter.write(OnnxProtoBadInputTest.smallModel(), file));
        assertEquals(List.of(), listing(dir), e.getMessage());
    }

    @Test
    void aLargeModelRoundTripsThroughAFile(@TempDir Path dir) {
        // ~64 MB of weights: exercises the mapped-file reader and the streaming writer
        float[] big = new float[16 << 20];
        for (int k = 0; k < big.length; k++) {
            big[k] = k * 0.5f;
        }
        OnnxTensor w = OnnxTensor.ofFloats("big", big, 4096, 4096);
        OnnxGraph g = new OnnxGraph("g", null, List.of(w), null, null, null, null);
        Path file = dir.resolve("big.onnx");
        OnnxProtoWriter.write(OnnxModel.of(8, 13, g), file);
        OnnxTensor back = OnnxProtoReader.read(file).graph().initializers().get(0);
        assertEquals(w, back);
        float[] decoded = back.toFloatArray();
        assertEquals(big.length, decoded.length);
        assertEquals(12345 * 0.5f, decoded[12345]);
    }
}
