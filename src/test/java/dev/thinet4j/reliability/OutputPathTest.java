package dev.thinet4j.reliability;

import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.thinet4j.reliability.Reliability.assertCliFails;
import static dev.thinet4j.reliability.Reliability.assertRefused;
import static dev.thinet4j.reliability.Reliability.cli;
import static dev.thinet4j.reliability.Reliability.images;
import static dev.thinet4j.reliability.Reliability.sha256;
import static dev.thinet4j.reliability.Reliability.tinyNet;
import static dev.thinet4j.reliability.Reliability.writeNpy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Where the output goes: a missing folder, a folder that is a file, a destination that is a folder,
 * the input itself, a full disk, an interrupted write. The input model is never modified and no
 * half-written file is left at the destination (temporary file + atomic move).
 */
class OutputPathTest {
    @TempDir
    static Path tmp;
    static Network net;
    static Path model;
    static Path data;
    static String modelSum;

    @BeforeAll
    static void files() throws IOException {
        net = tinyNet(7, 4);
        model = tmp.resolve("in.onnx");
        OnnxExporter.save(net, model);
        modelSum = sha256(model);
        data = writeNpy(tmp.resolve("calib.npy"), images(8, 6, 1, 8, 8), 6, 1, 8, 8);
    }

    private static Reliability.Run prune(Path out) {
        return cli("prune", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--images", "6", "--points", "2", "--reconstruct", "scale");
    }

    /** Names of the entries of a folder (hidden temporary files included). */
    private static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void missingFolder() throws IOException {
        Path out = tmp.resolve("no/such/folder/out.onnx");
        UncheckedIOException e = assertRefused(UncheckedIOException.class, () -> OnnxExporter.save(net, out),
                "out.onnx", "the folder", "no/such/folder", "does not exist");
        assertThat(e.getCause()).isInstanceOf(NoSuchFileException.class);
        assertCliFails(2, prune(out), "out.onnx", "does not exist"); // refused before any work
        assertThat(tmp.resolve("no")).doesNotExist();
        assertEquals(modelSum, sha256(model));
    }

    @Test
    void folderThatIsAFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain.txt"), "not a folder");
        Path out = file.resolve("out.onnx");
        UncheckedIOException e = assertRefused(UncheckedIOException.class, () -> OnnxExporter.save(net, out),
                "plain.txt", "is a file, not a folder");
        assertThat(e.getCause()).isInstanceOf(NotDirectoryException.class);
        assertCliFails(2, prune(out), "plain.txt", "is a file, not a folder"); // refused before any work
        assertEquals("not a folder", Files.readString(file));
    }

    @Test
    void destinationThatIsAFolder() throws IOException {
        // root ignores permission bits, so a folder stands for a destination that cannot be replaced
        Path dir = Files.createDirectory(tmp.resolve("taken.onnx"));
        Files.writeString(dir.resolve("keep.txt"), "x");
        UncheckedIOException e = assertRefused(UncheckedIOException.class, () -> OnnxExporter.save(net, dir),
                "taken.onnx", "is a folder");
        assertThat(e.getCause()).isInstanceOf(FileSystemException.class);
        assertCliFails(2, prune(dir), "taken.onnx", "is a folder"); // refused before any work
        assertThat(entries(dir)).containsExactly("keep.txt");
        Path empty = Files.createDirectory(tmp.resolve("empty.onnx"));
        assertRefused(UncheckedIOException.class, () -> OnnxExporter.save(net, empty), "is a folder");
        assertThat(empty).isEmptyDirectory();
        assertThat(entries(tmp)).noneMatch(n -> n.endsWith(".tmp"));
    }

    @Test
    void outputEqualToInput() throws IOException {
        assertCliFails(2, prune(model), "--out", "is the input model", "refusing to overwrite");
        // the same file under other spellings
        Path dotted = tmp.resolve("sub/../in.onnx");
        Files.createDirectories(tmp.resolve("sub"));
        assertCliFails(2, prune(dotted), "refusing to overwrite");
        Path link = Files.createSymbolicLink(tmp.resolve("link.onnx"), model);
        assertCliFails(2, prune(link), "refusing to overwrite");
        assertEquals(modelSum, sha256(model));
    }

    @Test
    void successfulPruneLeavesTheInputAndNoTemporaryFiles() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("clean"));
        Path out = dir.resolve("pruned.onnx");
        Reliability.Run r = prune(out);
        assertEquals(0, r.code(), r.err());
        assertEquals(modelSum, sha256(model));
        assertThat(entries(dir)).containsExactly("pruned.onnx");
        assertThat(OnnxImporter.load(out).nodes()).isNotEmpty();
    }

    @Test
    void fullDiskThroughAFailingStream() {
        OnnxModel m = OnnxExporter.toModel(net);
        OutputStream full = new OutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > 1000) {
                    throw new IOException("No space left on device");
                }
            }
        };
        UncheckedIOException e = assertRefused(UncheckedIOException.class, () -> OnnxProtoWriter.write(m, full),
                "cannot write ONNX model", "No space left on device");
        assertThat(e.getCause()).isInstanceOf(IOException.class);
    }

    @Test
    void fullDiskOnATinyTmpfs() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("tiny-fs"));
        assumeTrue(mount(mnt), "needs root and mount -t tmpfs");
        try {
            Path out = mnt.resolve("out.onnx");
            Files.writeString(out, "previous version");
            // the tiny net is ~5 KB; fill the 64 KB file system up to a few KB
            byte[] filler = new byte[4096];
            for (int k = 0; ; k++) {
                try {
                    Files.write(mnt.resolve("fill" + k), filler);
                } catch (IOException full) {
                    break;
                }
            }
            UncheckedIOException e = assertRefused(UncheckedIOException.class, () -> OnnxExporter.save(net, out),
                    "out.onnx", "No space left on device");
            assertThat(e.getCause()).isInstanceOf(IOException.class);
            assertEquals("previous version", Files.readString(out), "the old file is left as it was");
            assertThat(entries(mnt)).noneMatch(n -> n.endsWith(".tmp"));
        } finally {
            new ProcessBuilder("umount", mnt.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static boolean mount(Path dir) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return false;
        }
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void interruptedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("interrupted"));
        Path out = dir.resolve("out.onnx");
        Files.writeString(out, "previous version");
        Thread.currentThread().interrupt();
        try {
            UncheckedIOException e = assertRefused(UncheckedIOException.class, () -> OnnxExporter.save(net, out),
                    "out.onnx");
            assertThat(e.getCause()).isInstanceOf(ClosedByInterruptException.class);
        } finally {
            Thread.interrupted(); // clear the flag for the next tests
        }
        assertEquals("previous version", Files.readString(out));
        assertThat(entries(dir)).containsExactly("out.onnx");
        // and the next write works
        OnnxExporter.save(net, out);
        assertThat(OnnxImporter.load(out).nodes()).hasSameSizeAs(net.nodes());
    }

    @Test
    void savingOverTheSourceReplacesItWhole() throws IOException {
        // the library allows it (the CLI refuses): the replacement is atomic, never a mix
        Path copy = Files.copy(model, tmp.resolve("copy.onnx"));
        OnnxExporter.save(OnnxImporter.load(copy), copy);
        String once = sha256(copy);
        OnnxExporter.save(OnnxImporter.load(copy), copy);
        assertEquals(once, sha256(copy), "import + export is a fixed point, so the bytes stay the same");
        assertThat(entries(tmp)).noneMatch(n -> n.endsWith(".tmp"));
    }
}
