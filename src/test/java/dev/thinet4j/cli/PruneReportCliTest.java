package dev.thinet4j.cli;

import dev.thinet4j.report.LayerReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.thinet4j.cli.CliTest.DATA;
import static dev.thinet4j.cli.CliTest.FIX;
import static dev.thinet4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code prune --html / --labels / --eval-data} and the progress output. */
class PruneReportCliTest {
    static final String MODEL = FIX.resolve("vgg_bn_fc_keepbn.onnx").toString();
    static final String TRAIN = DATA.resolve("train-images-idx3-ubyte.gz").toString();
    static final String TEST = DATA.resolve("t10k-images-idx3-ubyte.gz").toString();
    static final String TEST_LABELS = DATA.resolve("t10k-labels-idx1-ubyte.gz").toString();

    static List<String> texts(Document doc, String expr) throws Exception {
        NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(expr, doc, XPathConstants.NODESET);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add(nodes.item(i).getTextContent());
        }
        return out;
    }

    static String accuracy(String out, String stage) {
        Matcher m = Pattern.compile("(?m)^" + stage + ": accuracy=([0-9.]+) images=(\\d+)$").matcher(out);
        assertThat(m.find()).as("%s accuracy line in%n%s", stage, out).isTrue();
        return m.group(1) + " " + m.group(2);
    }

    @Test
    void htmlReportWithAccuracyBeforeAndAfterOnTheEvaluationImages(@TempDir Path dir) throws Exception {
        Path html = dir.resolve("r.html");
        Path csv = dir.resolve("r.csv");
        CliTest.Run r = run("prune", "--model", MODEL, "--data", TRAIN, "--out", dir.resolve("p.onnx").toString(),
                "--policy", "vgg", "--images", "30", "--points", "4", "--report", csv.toString(),
                "--html", html.toString(), "--eval-data", TEST, "--labels", TEST_LABELS, "--eval-limit", "200");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertThat(out).contains("before: total params=147162").contains("after: total params=")
                .contains("html " + html).doesNotContain("\r").doesNotContain("note:");
        assertThat(out.strip().lines().reduce((a, b) -> b).orElseThrow()).startsWith("wrote ");
        String before = accuracy(out, "before");
        String after = accuracy(out, "after");
        assertThat(before).endsWith(" 200");
        assertThat(after).endsWith(" 200");
        // the same number eval gives on the same 200 images
        CliTest.Run eval = run("eval", "--model", MODEL, "--data", TEST, "--labels", TEST_LABELS, "--limit", "200");
        assertThat(eval.out()).contains("accuracy=" + before.split(" ")[0]);

        // plain progress lines, one pair per layer, in the order of the CSV report
        List<String> csvLayers = Files.readAllLines(csv).stream().filter(l -> !l.startsWith("#"))
                .skip(1)
                .map(l -> l.substring(0, l.indexOf(','))).toList();
        assertThat(csvLayers).isNotEmpty();
        int n = csvLayers.size();
        for (int i = 0; i < n; i++) {
            assertThat(out).contains("[" + (i + 1) + "/" + n + "] pruning " + csvLayers.get(i) + "\n")
                    .containsPattern("\\[" + (i + 1) + "/" + n + "] " + Pattern.quote(csvLayers.get(i))
                            + ": \\d+ -> \\d+ channels in [0-9.]+ s\n");
        }

        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        Document doc = f.newDocumentBuilder().parse(html.toFile());
        assertEquals(csvLayers, texts(doc, "//table[@class='layers']//td[@class='layer']"));
        assertEquals(List.of("original", "pruned"), texts(doc, "//table[@class='snapshots']/tbody/tr/th"));
        List<String> acc = texts(doc, "//table[@class='snapshots']//td[contains(@class,'accuracy')]");
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f%%", 100 * Double.parseDouble(before.split(" ")[0])),
                acc.get(0));
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f%%", 100 * Double.parseDouble(after.split(" ")[0])),
                acc.get(1));
        assertThat(texts(doc, "//tr[@id='total-params']/td[contains(@class,'before')]")).containsExactly("147,162");
        assertThat(texts(doc, "//svg[@id='chart-channels']//rect[@class='bar before']")).hasSize(n);
        assertThat(texts(doc, "//p[@class='note']").get(0)).contains("200 images");
    }

    @Test
    void labelsAloneEvaluateOnTheCalibrationDataAndSaySo(@TempDir Path dir) {
        CliTest.Run r = run("prune", "--model", MODEL, "--data", TRAIN, "--out", dir.resolve("p.onnx").toString(),
                "--policy", "vgg", "--images", "20", "--points", "3", "--labels",
                DATA.resolve("train-labels-idx1-ubyte.gz").toString(), "--eval-limit", "50", "--reconstruct", "none");
        assertEquals(0, r.code(), r.err());
        assertThat(r.out()).contains("note: no --eval-data given: accuracy is measured on the calibration data");
        assertThat(accuracy(r.out(), "before")).endsWith(" 50");
        assertThat(accuracy(r.out(), "after")).endsWith(" 50");
    }

    @Test
    void evaluationMistakesAreUsageErrors(@TempDir Path dir) {
        String out = dir.resolve("p.onnx").toString();
        CliTest.Run limit = run("prune", "--model", MODEL, "--data", TRAIN, "--out", out, "--labels", TEST_LABELS,
                "--eval-data", TEST, "--eval-limit", "0");
        assertEquals(2, limit.code());
        assertThat(limit.err()).contains("--eval-limit must be positive");
        CliTest.Run noLabels = run("prune", "--model", MODEL, "--data", TRAIN, "--out", out, "--eval-data", TEST,
                "--images", "10");
        assertEquals(2, noLabels.code());
        assertThat(noLabels.err()).contains("has no labels; give --labels");
        CliTest.Run htmlOverModel = run("prune", "--model", MODEL, "--data", TRAIN, "--out", out, "--html", out);
        assertEquals(2, htmlOverModel.code());
        assertThat(htmlOverModel.err()).contains("--html");
        CliTest.Run limitAlone = run("prune", "--model", MODEL, "--data", TRAIN, "--out", out, "--eval-limit", "5");
        assertEquals(2, limitAlone.code());
        assertThat(Files.exists(Path.of(out))).isFalse();
    }

    static LayerReport step(String name, int before, int after) {
        return new LayerReport(name, name, before, after, 10, 8, 100, 80, 5, 0.5, 0.25, new int[after], 0.25);
    }

    @Test
    void progressBarRedrawsOneLineOnATerminalAndPrintsPlainLinesOtherwise() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        PruneCommand.ProgressBar bar = new PruneCommand.ProgressBar(ps, true);
        bar.layerStarted(1, 4, "conv1_1_with_a_long_name");
        bar.layerFinished(1, 4, step("conv1_1_with_a_long_name", 64, 32));
        bar.layerStarted(2, 4, "c2");
        bar.end();
        bar.end();
        String term = bytes.toString(StandardCharsets.UTF_8);
        assertThat(term).startsWith("\r").endsWith("\n").doesNotContain("\n\n");
        String[] frames = term.substring(1, term.length() - 1).split("\r");
        assertEquals("[....................] 1/4 conv1_1_with_a_long_name", frames[0]);
        assertEquals("[#####...............] 1/4 conv1_1_with_a_long_name 64 -> 32", frames[1]);
        // a shorter frame is padded with spaces so nothing of the longer one stays on screen
        assertEquals(frames[1].length(), frames[2].length());
        assertEquals("[#####...............] 2/4 c2", frames[2].stripTrailing());

        bytes.reset();
        PruneCommand.ProgressBar whole = new PruneCommand.ProgressBar(ps, true);
        whole.layerStarted(1, 1, "only");
        whole.layerFinished(1, 1, step("only", 4, 2));
        whole.end();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).endsWith("\r[####################] 1/1 only 4 -> 2\n");

        bytes.reset();
        PruneCommand.ProgressBar plain = new PruneCommand.ProgressBar(ps, false);
        plain.layerStarted(2, 10, "conv3_1");
        plain.layerFinished(2, 10, step("conv3_1", 256, 128));
        plain.end();
        assertEquals("[2/10] pruning conv3_1\n[2/10] conv3_1: 256 -> 128 channels in 0.3 s\n",
                bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
        assertThat(PruneCommand.ProgressBar.isTerminal(ps)).isFalse();
    }
}
