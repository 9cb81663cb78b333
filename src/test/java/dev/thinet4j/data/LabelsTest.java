package dev.thinet4j.data;

import static dev.thinet4j.data.TestData.dict;
import static dev.thinet4j.data.TestData.gzip;
import static dev.thinet4j.data.TestData.idx;
import static dev.thinet4j.data.TestData.npy;
import static dev.thinet4j.data.TestData.u1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelsTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void idxPlainAndGzip() throws IOException {
        byte[] file = idx(0x08, new int[]{5}, u1(9, 0, 255, 3, 7));
        assertArrayEquals(new int[]{9, 0, 255, 3, 7}, Labels.read(write("l.idx", file)));
        assertArrayEquals(new int[]{9, 0, 255, 3, 7}, Labels.read(write("l.bin", gzip(file))));
    }

    @Test
    void idxErrors() throws IOException {
        byte[] file = idx(0x08, new int[]{5}, u1(9, 0, 255));
        Path p = write("short.idx", file);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Labels.read(p));
        assertEquals(p + ": truncated: the header declares 5 labels but only 3 follow (label 3 is missing)",
                e.getMessage());
        Path images = write("img.idx", idx(0x08, new int[]{1, 1, 1}, u1(3)));
        assertTrue(assertThrows(InvalidDataException.class, () -> Labels.read(images)).getMessage()
                .contains("looks like an IDX image file"));
    }

    @Test
    void npyIntegerTypes() throws IOException {
        assertArrayEquals(new int[]{1, 200, 3},
                Labels.read(write("u1.npy", npy(1, dict("|u1", false, "(3,)"), u1(1, 200, 3)))));
        assertArrayEquals(new int[]{4, -1, 999999},
                Labels.read(write("i8.npy", npy(1, dict("<i8", false, "(3,)"), TestData.i8(4, -1, 999999)))));
        assertArrayEquals(new int[]{7, 8},
                Labels.read(write("i4.npy", npy(2, dict("<i4", false, "(2, 1)"), TestData.i4(7, 8)))));
        Path big = write("big.npy", npy(1, dict("<i8", false, "(2,)"), TestData.i8(1, 1L << 40)));
        assertTrue(assertThrows(InvalidDataException.class, () -> Labels.read(big)).getMessage()
                .contains("label 1 is 1099511627776, outside the int range"));
        Path floats = write("f.npy", npy(1, dict("<f4", false, "(1,)"), TestData.f4(1)));
        assertTrue(assertThrows(InvalidDataException.class, () -> Labels.read(floats)).getMessage()
                .contains("NPY labels need an integer dtype, found '<f4'"));
        Path shape = write("s.npy", npy(1, dict("|u1", false, "(2, 2)"), u1(1, 2, 3, 4)));
        assertTrue(assertThrows(InvalidDataException.class, () -> Labels.read(shape)).getMessage()
                .contains("NPY labels need shape (N,) or (N, 1), found (2, 2)"));
    }

    @Test
    void textOneIntegerPerLine() throws IOException {
        assertArrayEquals(new int[]{3, 1, 4, 1, 5},
                Labels.read(Files.writeString(dir.resolve("l.txt"), "# header\n3\n1\r\n 4 \n\n1\n5")));
        Path bad = Files.writeString(dir.resolve("bad.txt"), "1\n2\ncat\n");
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Labels.read(bad));
        assertEquals(bad + ": line 3: expected one integer label, found \"cat\"", e.getMessage());
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        assertTrue(assertThrows(InvalidDataException.class, () -> Labels.read(empty)).getMessage()
                .contains("no labels found"));
    }

    @Test
    void classCount() {
        assertEquals(10, Labels.classCount(new int[]{0, 9, 3}));
        assertEquals(0, Labels.classCount(new int[0]));
    }
}
