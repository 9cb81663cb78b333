package dev.thinet4j.reliability;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.InvalidDataException;
import dev.thinet4j.data.Labels;
import dev.thinet4j.onnx.OnnxImportException;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.onnx.proto.OnnxFormatException;
import dev.thinet4j.onnx.proto.OnnxProtoReader;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import dev.thinet4j.onnx.proto.OnnxTensor;
import dev.thinet4j.onnx.proto.StringEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static dev.thinet4j.reliability.OnnxBadInputTest.bias;
import static dev.thinet4j.reliability.OnnxBadInputTest.convModel;
import static dev.thinet4j.reliability.Reliability.assertCliFails;
import static dev.thinet4j.reliability.Reliability.assertRefused;
import static dev.thinet4j.reliability.Reliability.cli;
import static dev.thinet4j.reliability.Reliability.writeNpy;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Inputs that declare more data than fits in memory are refused (or streamed) with a message that
 * says how much is needed; nothing is allocated from a declared size before it is checked.
 */
class LimitsTest {
    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ ONNX

    @Test
    void onnxTensorOfTenToTheTwelveElements() {
        OnnxTensor huge = OnnxTensor.builder().name("w").dataType(OnnxTensor.FLOAT).dims(1_000_000, 1_000_000, 1, 1)
                .build();
        Path f = tmp.resolve("huge.onnx");
        OnnxProtoWriter.write(convModel(huge, bias()), f);
        assertThat(f.toFile().length()).isLessThan(1000);
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "huge.onnx", "node 'conv'",
                "tensor 'w'", "1000000000000 elements", "4000000000000 bytes");
        assertCliFails(1, cli("info", "--model", f.toString()), "1000000000000 elements", "4000000000000 bytes");
    }

    @Test
    void onnxTensorWhoseElementCountOverflows() {
        OnnxTensor huge = OnnxTensor.builder().name("w").dataType(OnnxTensor.FLOAT)
                .dims(1L << 40, 1L << 40, 1, 1).build();
        Path f = tmp.resolve("overflow.onnx");
        OnnxProtoWriter.write(convModel(huge, bias()), f);
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "tensor 'w'", "more than 2^63 elements");
    }

    @Test
    void externalTensorLargerThanAnArray() {
        OnnxTensor huge = external(OnnxTensor.builder().name("w").dataType(OnnxTensor.FLOAT)
                .dims(1_000_000, 1_000_000, 1, 1), "w.bin");
        Path f = tmp.resolve("ext_huge.onnx");
        OnnxProtoWriter.write(convModel(huge, bias()), f);
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "initializer 'w'",
                "needs 4000000000000 bytes", "more than one Java array holds");
    }

    @Test
    void externalTensorLargerThanItsFileIsCheckedBeforeAllocating() throws IOException {
        // 250 M floats = 1 GB declared, backed by a 64-byte file: refused from the file size
        OnnxTensor big = external(OnnxTensor.builder().name("w").dataType(OnnxTensor.FLOAT)
                .dims(250_000_000, 1, 1, 1), "w.bin");
        Files.write(tmp.resolve("w.bin"), new byte[64]);
        Path f = tmp.resolve("ext_big.onnx");
        OnnxProtoWriter.write(convModel(big, bias()), f);
        assertRefused(OnnxImportException.class, () -> OnnxImporter.load(f), "initializer 'w'", "'w.bin'",
                "ends before byte 1000000000", "it has 64 bytes");
    }

    private static OnnxTensor external(OnnxTensor.Builder b, String location) {
        return b.dataLocation(OnnxTensor.LOCATION_EXTERNAL)
                .externalData(List.of(new StringEntry("location", location))).build();
    }

    @Test
    void protobufLengthFieldOfTwoGigabytes() {
        // ModelProto.graph (field 7, length-delimited) claiming 0x7FFFFFF0 bytes, then 4 bytes
        byte[] bytes = {0x3A, (byte) 0xF0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 1, 2, 3, 4};
        assertRefused(OnnxFormatException.class, () -> OnnxProtoReader.read(bytes), "not an ONNX model",
                "truncated");
        assertRefused(OnnxFormatException.class, () -> OnnxProtoReader.read(new ByteArrayInputStream(bytes)),
                "not an ONNX model", "truncated");
        // a raw_data field (bytes) of a tensor claiming 2 GB, read from a stream
        byte[] raw = {0x3A, 0x0A, 0x2A, 0x08, 0x4A, (byte) 0xF0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 1, 2};
        assertRefused(OnnxFormatException.class, () -> OnnxProtoReader.read(new ByteArrayInputStream(raw)),
                "not an ONNX model", "truncated");
    }

    // ------------------------------------------------------------------ images

    @Test
    void npyHeaderClaimingTenToTheNineImages() throws IOException {
        Path f = writeNpy(tmp.resolve("many.npy"), "<f4", new long[]{1_000_000_000L, 1, 28, 28}, new byte[3136]);
        assertRefused(InvalidDataException.class, () -> ImageSources.open(f), "many.npy",
                "image 1 (of 1000000000) is incomplete", "needs 3136000000128 bytes", "the file has 3264");
        assertCliFails(1, cli("prune", "--model", Reliability.VGG.toString(), "--data", f.toString(), "--out",
                tmp.resolve("o.onnx").toString()), "many.npy", "3136000000128 bytes");
    }

    @Test
    void gzipNpyClaimingTenToTheNineImagesIsStreamed() throws IOException {
        Path plain = writeNpy(tmp.resolve("p.npy"), "<f4", new long[]{1_000_000_000L, 1, 28, 28}, new byte[3 * 3136]);
        Path gz = gzip(plain, tmp.resolve("many.npy.gz"));
        try (ImageSource source = ImageSources.open(gz)) {
            assertThat(source.size()).isEqualTo(1_000_000_000);
            int[] seen = {0};
            assertRefused(InvalidDataException.class, () -> {
                for (Batch b : source.batches(64)) {
                    seen[0] += b.n();
                }
            }, "many.npy.gz", "truncated", "image 3 (of 1000000000)");
            assertThat(seen[0]).isZero(); // the first batch of 64 is already incomplete
        }
    }

    @Test
    void npyImageOfTenToTheTwelveValues() throws IOException {
        Path f = writeNpy(tmp.resolve("wide.npy"), "<f4", new long[]{1, 1, 1_000_000, 1_000_000}, new byte[64]);
        assertRefused(InvalidDataException.class, () -> ImageSources.open(f), "wide.npy",
                "one image of '<f4' values needs 4000000000000 bytes");
        Path g = writeNpy(tmp.resolve("wider.npy"), "<f8",
                new long[]{2, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, new byte[64]);
        assertRefused(InvalidDataException.class, () -> ImageSources.open(g), "wider.npy", "needs over 2^63 bytes");
    }

    @Test
    void idxHeaderClaimingTwoBillionImages() throws IOException {
        Path f = tmp.resolve("many-idx3-ubyte");
        Files.write(f, ByteBuffer.allocate(16 + 784).putInt(0x803).putInt(Integer.MAX_VALUE).putInt(28).putInt(28)
                .array());
        assertRefused(InvalidDataException.class, () -> ImageSources.open(f), "many-idx3-ubyte",
                "(of 2147483647) is incomplete", "= " + (16 + 784L * Integer.MAX_VALUE) + " bytes",
                "the file has 800 bytes");
        Path g = tmp.resolve("huge-idx3-ubyte");
        Files.write(g, ByteBuffer.allocate(16).putInt(0x803).putInt(1).putInt(65536).putInt(65536).array());
        assertRefused(InvalidDataException.class, () -> ImageSources.open(g), "huge-idx3-ubyte",
                "65536x65536 are too large", "4294967296 bytes");
    }

    // ------------------------------------------------------------------ labels

    @Test
    void labelHeaderClaimingABillionLabels() throws IOException {
        Path f = tmp.resolve("many-idx1-ubyte");
        Files.write(f, ByteBuffer.allocate(8 + 10).putInt(0x801).putInt(1_000_000_000).array());
        assertRefused(InvalidDataException.class, () -> Labels.read(f), "many-idx1-ubyte",
                "declares 1000000000 labels but only 10 follow");
        Path npy = writeNpy(tmp.resolve("labels.npy"), "<i8", new long[]{1_000_000_000L}, new byte[80]);
        assertRefused(InvalidDataException.class, () -> Labels.read(npy), "labels.npy",
                "needs 8000000128 bytes", "label 10 is missing");
    }

    @Test
    void labelFileOverOneGibibyte() throws IOException {
        Path f = tmp.resolve("sparse-labels.txt");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength((1L << 30) + 1); // sparse: no disk used
        }
        assertRefused(InvalidDataException.class, () -> Labels.read(f), "sparse-labels.txt",
                "has 1073741825 bytes", "limited to 1073741824 bytes");
    }

    private static Path gzip(Path in, Path out) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(out))) {
            o.write(Files.readAllBytes(in));
        }
        return out;
    }
}
