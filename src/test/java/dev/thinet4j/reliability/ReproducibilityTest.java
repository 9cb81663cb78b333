package dev.thinet4j.reliability;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.thinet4j.reliability.Reliability.images;
import static dev.thinet4j.reliability.Reliability.sha256;
import static dev.thinet4j.reliability.Reliability.tinyNet;
import static dev.thinet4j.reliability.Reliability.writeNpy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same configuration and seed give a byte-identical pruned model and the same report (all but
 * the timing column), whatever the number of native threads: {@code thinet4j prune} runs in fresh
 * JVMs with {@code OMP_NUM_THREADS=1} and {@code 2} (OpenMP reads it when the native library loads, so
 * only a new process can change it), and once more in this JVM through the API. A run killed half-way
 * leaves the input untouched and no output.
 */
class ReproducibilityTest {
    @TempDir
    static Path tmp;
    static Path model;
    static Path data;
    static String modelSum;

    @BeforeAll
    static void files() throws IOException {
        model = tmp.resolve("tiny.onnx");
        OnnxExporter.save(tinyNet(17, 8), model);
        modelSum = sha256(model);
        data = writeNpy(tmp.resolve("calib.npy"), images(18, 20, 1, 8, 8), 20, 1, 8, 8);
    }

    private static List<String> pruneArgs(Path out, Path report) {
        return List.of("prune", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--report", report.toString(), "--policy", "uniform", "--ratio", "0.5", "--criterion", "thinet",
                "--reconstruct", "full", "--images", "12", "--points", "5", "--seed", "7");
    }

    private static ProcessBuilder cliProcess(List<String> args, int threads) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), "dev.thinet4j.cli.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().remove("THINET4J_DEBUG");
        return pb;
    }

    private static String runCli(List<String> args, int threads) throws Exception {
        Process p = cliProcess(args, threads).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished").isTrue();
        assertEquals(0, p.exitValue(), output);
        return output;
    }

    @Test
    void sameSeedSameBytesWhateverTheThreadCount() throws Exception {
        Path out1 = tmp.resolve("one.onnx");
        Path rep1 = tmp.resolve("one.csv");
        Path out2 = tmp.resolve("two.onnx");
        Path rep2 = tmp.resolve("two.csv");
        runCli(pruneArgs(out1, rep1), 1);
        runCli(pruneArgs(out2, rep2), 2);
        assertArrayEquals(Files.readAllBytes(out1), Files.readAllBytes(out2), "pruned models with 1 and 2 threads");
        assertEquals(withoutTimings(Files.readString(rep1)), withoutTimings(Files.readString(rep2)));

        // the same run through the API in this JVM (the model is named after its file, so import from one)
        Network net = OnnxImporter.load(model);
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(12).pointsPerImage(5).seed(7).build();
        PruningResult r;
        try (ImageSource source = ImageSources.open(data)) {
            r = new ThiNetPruner(config).prune(net, Policies.uniform(0.5), source);
        }
        assertArrayEquals(Files.readAllBytes(out1), OnnxProtoWriter.write(OnnxExporter.toModel(r.network())),
                "pruned model in this JVM");
        StringBuilder csv = new StringBuilder();
        r.report().writeCsv(new java.io.Writer() {
            @Override
            public void write(char[] buf, int off, int len) {
                csv.append(buf, off, len);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        assertEquals(withoutTimings(Files.readString(rep1)), withoutTimings(csv.toString()));
        assertEquals(modelSum, sha256(model));
    }

    /** The report with its provenance comments and every column but {@code seconds}. */
    static List<String> withoutTimings(String csv) throws IOException {
        List<String> rows = new ArrayList<>();
        csv.lines().filter(l -> l.startsWith("#")).forEach(rows::add);
        try (CSVParser p = CSVFormat.DEFAULT.builder().setCommentMarker('#').setHeader().setSkipHeaderRecord(true)
                .build().parse(new StringReader(csv))) {
            List<String> columns = new ArrayList<>(p.getHeaderNames());
            assertThat(columns).contains("seconds", "kept", "residual_after");
            columns.remove("seconds");
            rows.add(String.join(",", columns));
            for (CSVRecord rec : p) {
                rows.add(String.join(",", columns.stream().map(rec::get).toList()));
            }
        }
        assertThat(rows).hasSizeGreaterThan(3);
        return rows;
    }

    @Test
    void killedRunLeavesTheInputAndNoOutput() throws Exception {
        Path outDir = Files.createDirectory(tmp.resolve("killed"));
        Path out = outDir.resolve("out.onnx");
        // the shipped VGG with many images: long enough to be killed while pruning
        Path vgg = Files.copy(Reliability.VGG, tmp.resolve("vgg.onnx"));
        String vggSum = sha256(vgg);
        Process p = cliProcess(List.of("prune", "--model", vgg.toString(), "--data", Reliability.TRAIN_IMAGES.toString(),
                "--out", out.toString(), "--policy", "vgg", "--images", "2000", "--points", "10"), 1).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean pruning = false;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("[1/")) {
                    pruning = true;
                    break;
                }
            }
            assertThat(pruning).as("the run reached the first layer").isTrue();
            p.destroyForcibly();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertEquals(vggSum, sha256(vgg), "the input model is unchanged");
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s.toList()).as("nothing at the destination").isEmpty();
        }
    }
}
