package dev.thinet4j.report;

import dev.thinet4j.eval.ModelSnapshot;
import dev.thinet4j.model.LayerSize;
import dev.thinet4j.model.ModelSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

class HtmlReportTest {
    static final String NASTY = "features/0<script>alert(\"x\")</script>&'";

    static LayerReport layer(String name, int before, int after, long macsBefore, long macsAfter) {
        return new LayerReport(name, name + " => bn => next", before, after, 1000, 900, macsBefore, macsAfter, 400,
                0.25, after == before ? Double.NaN : 0.125, IntStream.range(0, after).map(i -> 2 * i).toArray(), 1.5);
    }

    static PruningReport report() {
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("model", "vgg<bn>");
        prov.put("policy", "vgg");
        prov.put("criterion", "thinet");
        prov.put("seed", "1");
        return new PruningReport(prov, List.of(layer("conv1_1", 64, 32, 7_413_248, 6_000_000),
                layer(NASTY, 128, 64, 6_000_000, 4_500_000), layer("conv3_1", 256, 128, 4_500_000, 3_000_000)),
                147_162, 73_581, 7_413_248, 3_000_000);
    }

    static Document parse(String html) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new InputSource(new StringReader(html)));
    }

    static List<Element> xpath(Document doc, String expr) throws Exception {
        NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(expr, doc, XPathConstants.NODESET);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add((Element) nodes.item(i));
        }
        return out;
    }

    static double num(Element e, String attribute) {
        return Double.parseDouble(e.getAttribute(attribute));
    }

    @Test
    void isOneSelfContainedWellFormedPageWithEveryTextEscaped() throws Exception {
        String html = HtmlReport.of(report()).render();
        assertThat(html).startsWith("<!DOCTYPE html>");
        // no scripts, nothing fetched: the only URL is the SVG namespace
        assertThat(html).doesNotContain("<script").doesNotContain(" src=").doesNotContain(" href=")
                .doesNotContain("@import").doesNotContain("url(");
        assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http");
        assertThat(html).contains("features/0&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");

        Document doc = parse(html);
        assertEquals("Pruning report: vgg<bn>", xpath(doc, "/html/head/title").get(0).getTextContent());
        assertThat(xpath(doc, "//script")).isEmpty();
        List<String> layers = xpath(doc, "//table[@class='layers']//td[@class='layer']").stream()
                .map(Element::getTextContent).toList();
        assertEquals(List.of("conv1_1", NASTY, "conv3_1"), layers);
        assertEquals(NASTY, xpath(doc, "//svg[@id='chart-channels']//rect[contains(@class,'bar')]").get(2)
                .getAttribute("data-category"));
        Map<String, String> config = new LinkedHashMap<>();
        for (Element row : xpath(doc, "//table[@class='config']//tr")) {
            config.put(row.getElementsByTagName("th").item(0).getTextContent(),
                    row.getElementsByTagName("td").item(0).getTextContent());
        }
        assertEquals(report().provenance(), config);
    }

    @Test
    void totalsShowBeforeAfterAndTheRatio() throws Exception {
        Document doc = parse(HtmlReport.of(report()).render());
        Element params = xpath(doc, "//tr[@id='total-params']").get(0);
        List<Element> cells = xpath(doc, "//tr[@id='total-params']/td");
        assertEquals("147,162", cells.get(0).getTextContent());
        assertEquals(147_162, num(cells.get(0), "data-value"));
        assertEquals("73,581", cells.get(1).getTextContent());
        assertEquals("50.0%", cells.get(2).getTextContent());
        assertEquals("2.00\u00d7", cells.get(3).getTextContent());
        assertThat(params.getTextContent()).startsWith("Parameters");
        List<Element> macs = xpath(doc, "//tr[@id='total-macs']/td");
        assertEquals("7,413,248", macs.get(0).getTextContent());
        assertEquals("3,000,000", macs.get(1).getTextContent());
        assertThat(xpath(doc, "//div[@id='card-macs']").get(0).getTextContent())
                .contains("7.41M \u2192 3M").contains("59.5% removed");
    }

    @Test
    void channelBarsAreAsTallAsTheirCountsAndLabelled() throws Exception {
        Document doc = parse(HtmlReport.of(report()).render());
        Element svg = xpath(doc, "//svg[@id='chart-channels']").get(0);
        double top = num(svg, "data-top");
        double plot = num(svg, "data-plot-height");
        assertThat(top).isGreaterThanOrEqualTo(256);
        List<Element> before = xpath(doc, "//svg[@id='chart-channels']//rect[@class='bar before']");
        List<Element> after = xpath(doc, "//svg[@id='chart-channels']//rect[@class='bar after']");
        long[] expectedBefore = {64, 128, 256};
        long[] expectedAfter = {32, 64, 128};
        for (int i = 0; i < 3; i++) {
            assertEquals(expectedBefore[i], num(before.get(i), "data-value"));
            assertEquals(expectedAfter[i], num(after.get(i), "data-value"));
            assertEquals(expectedBefore[i] / top * plot, num(before.get(i), "height"), 0.01);
            assertEquals(expectedAfter[i] / top * plot, num(after.get(i), "height"), 0.01);
            // bars stand on the same baseline, the after bar right of its before bar
            assertEquals(num(before.get(i), "y") + num(before.get(i), "height"),
                    num(after.get(i), "y") + num(after.get(i), "height"), 0.02);
            assertThat(num(after.get(i), "x")).isGreaterThan(num(before.get(i), "x"));
        }
        List<String> values = xpath(doc, "//svg[@id='chart-channels']//text[contains(@class,'value')]").stream()
                .map(Element::getTextContent).toList();
        assertEquals(List.of("64", "32", "128", "64", "256", "128"), values);
        // three layers leave room for level category labels
        for (Element label : xpath(doc, "//svg[@id='chart-channels']//text[@class='category']")) {
            assertEquals("", label.getAttribute("transform"));
        }
        List<String> legend = xpath(doc, "//svg[@id='chart-channels']//g[@class='legend']/text").stream()
                .map(Element::getTextContent).toList();
        assertEquals(List.of("before", "after"), legend);
        // ticks: evenly spaced round numbers from 0 up to the top
        List<Element> ticks = xpath(doc, "//svg[@id='chart-channels']//text[@class='tick']");
        assertEquals(0, num(ticks.get(0), "data-value"));
        assertEquals(top, num(ticks.get(ticks.size() - 1), "data-value"));
        double step = num(ticks.get(1), "data-value");
        for (int i = 0; i < ticks.size(); i++) {
            assertEquals(i * step, num(ticks.get(i), "data-value"));
            assertEquals(ticks.get(i).getAttribute("data-value"), ticks.get(i).getTextContent());
        }
    }

    @Test
    void macsChartShowsEachLayersOwnMacsWhenSizesAreGivenElseTheNetworkPerStep() throws Exception {
        Document perStep = parse(HtmlReport.of(report()).render());
        assertEquals(List.of(7_413_248.0, 6_000_000.0, 4_500_000.0),
                xpath(perStep, "//svg[@id='chart-macs']//rect[@class='bar before']").stream()
                        .map(e -> num(e, "data-value")).toList());
        assertThat(xpath(perStep, "//svg[@id='chart-macs']//text[contains(@class,'value')]").get(0)
                .getTextContent()).isEqualTo("7.41M");

        ModelSize original = new ModelSize(List.of(new LayerSize("conv1_1", "Conv", 1, 64, 640, 500_000),
                new LayerSize(NASTY, "Conv", 64, 128, 73_856, 1_800_000),
                new LayerSize("conv3_1", "Conv", 128, 256, 295_168, 900_000)), 369_664, 3_200_000);
        ModelSize pruned = new ModelSize(List.of(new LayerSize("conv1_1", "Conv", 1, 32, 320, 250_000),
                new LayerSize(NASTY, "Conv", 32, 64, 18_496, 450_000),
                new LayerSize("conv3_1", "Conv", 64, 128, 73_856, 225_000)), 92_672, 925_000);
        Document doc = parse(HtmlReport.builder(report()).layerSizes(original, pruned).build().render());
        Element svg = xpath(doc, "//svg[@id='chart-macs']").get(0);
        List<Element> before = xpath(doc, "//svg[@id='chart-macs']//rect[@class='bar before']");
        List<Element> after = xpath(doc, "//svg[@id='chart-macs']//rect[@class='bar after']");
        assertEquals(List.of(500_000.0, 1_800_000.0, 900_000.0), before.stream().map(e -> num(e, "data-value")).toList());
        assertEquals(List.of(250_000.0, 450_000.0, 225_000.0), after.stream().map(e -> num(e, "data-value")).toList());
        double perUnit = num(svg, "data-plot-height") / num(svg, "data-top");
        assertEquals(1_800_000 * perUnit, num(before.get(1), "height"), 0.01);
        assertEquals(225_000 * perUnit, num(after.get(2), "height"), 0.01);
    }

    @Test
    void fiftyLayersGetAWiderChartWithTurnedLabelsAndEveryBarInside() throws Exception {
        List<LayerReport> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            many.add(layer("/model/features/features." + i + "/Conv", 64 + i, 32, 1000, 900));
        }
        PruningReport r = new PruningReport(Map.of("model", "wide"), many, 10, 5, 1000, 500);
        Document doc = parse(HtmlReport.of(r).render());
        Element svg = xpath(doc, "//svg[@id='chart-channels']").get(0);
        double width = num(svg, "width");
        double height = num(svg, "height");
        assertThat(width).isGreaterThanOrEqualTo(50 * 34);
        List<Element> bars = xpath(doc, "//svg[@id='chart-channels']//rect[contains(@class,'bar')]");
        assertEquals(100, bars.size());
        double previousRight = 0;
        for (Element b : bars) {
            assertThat(num(b, "x")).isGreaterThanOrEqualTo(previousRight - 0.01);
            previousRight = num(b, "x") + num(b, "width");
            assertThat(previousRight).isLessThanOrEqualTo(width);
            assertThat(num(b, "y")).isPositive();
        }
        List<Element> labels = xpath(doc, "//svg[@id='chart-channels']//text[@class='category']");
        assertEquals(50, labels.size());
        for (Element l : labels) {
            assertThat(l.getAttribute("transform")).startsWith("rotate(-45");
            assertThat(num(l, "y")).isLessThan(height);
        }
        // a name too long for a label is cut at the front; the group's tooltip keeps it whole
        assertEquals("\u2026l/features/features.12/Conv", labels.get(12).getTextContent());
        assertEquals("/model/features/features.12/Conv", ((Element) labels.get(12).getParentNode())
                .getElementsByTagName("title").item(0).getTextContent());
        assertEquals(50, xpath(doc, "//table[@class='layers']/tbody/tr").size());
    }

    @Test
    void layerTableHasResidualsSecondsAndKeptChannels() throws Exception {
        Document doc = parse(HtmlReport.of(report()).render());
        Element row = xpath(doc, "//table[@class='layers']/tbody/tr").get(1);
        assertEquals(NASTY, row.getAttribute("data-layer"));
        Map<String, String> cells = new LinkedHashMap<>();
        NodeList tds = row.getElementsByTagName("td");
        for (int i = 0; i < tds.getLength(); i++) {
            cells.put(((Element) tds.item(i)).getAttribute("class"), tds.item(i).getTextContent());
        }
        assertEquals("128 \u2192 64", cells.get("num channels"));
        assertEquals("0.2500", cells.get("num residual-before"));
        assertEquals("0.1250", cells.get("num residual-after"));
        assertEquals("1.50", cells.get("num seconds"));
        assertEquals("400", cells.get("num samples"));
        assertThat(cells.get("num kept")).startsWith("64 (50.0%)").contains("0 2 4 6").endsWith(" 126");
        assertEquals(NASTY + " => bn => next", cells.get("group"));

        PruningReport unmeasured = new PruningReport(Map.of(), List.of(layer("c", 8, 8, 10, 10)), 1, 1, 10, 10);
        Document d2 = parse(HtmlReport.of(unmeasured).render());
        assertEquals("\u2014", xpath(d2, "//td[@class='num residual-after']").get(0).getTextContent());
    }

    @Test
    void snapshotTableComparesEveryStageWithTheFirst() throws Exception {
        List<ModelSnapshot> rows = List.of(new ModelSnapshot("original", 0.8995, 147_162, 7_413_248, 2.0),
                new ModelSnapshot("pruned <none>", 0.5, 73_581, 3_000_000, 1.0),
                new ModelSnapshot("pruned & full", 0.887, 73_581, 3_000_000, Double.NaN));
        Document doc = parse(HtmlReport.builder(report()).snapshots(rows).title("My <run>").note("on --data & co")
                .build().render());
        assertEquals("My <run>", xpath(doc, "//h1").get(0).getTextContent());
        assertEquals("on --data & co", xpath(doc, "//p[@class='note']").get(0).getTextContent());
        List<Element> trs = xpath(doc, "//table[@class='snapshots']/tbody/tr");
        assertEquals(3, trs.size());
        List<List<String>> text = new ArrayList<>();
        for (Element tr : trs) {
            List<String> cells = new ArrayList<>();
            cells.add(tr.getElementsByTagName("th").item(0).getTextContent());
            NodeList tds = tr.getElementsByTagName("td");
            for (int i = 0; i < tds.getLength(); i++) {
                cells.add(tds.item(i).getTextContent());
            }
            text.add(cells);
        }
        assertEquals(List.of("original", "89.95%", "\u2014", "147,162", "100.0%", "7,413,248", "100.0%", "2.000",
                "\u2014"), text.get(0));
        assertEquals(List.of("pruned <none>", "50.00%", "-39.95 pp", "73,581", "50.0%", "3,000,000", "40.5%",
                "1.000", "2.00\u00d7"), text.get(1));
        assertEquals("-1.25 pp", text.get(2).get(2));
        assertEquals("\u2014", text.get(2).get(7));
        assertThat(xpath(doc, "//table[@class='snapshots']//th").get(4).getTextContent()).isEqualTo("% of original");
    }

    @Test
    void writeHtmlReplacesTheFileAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/report.html");
        HtmlReport page = HtmlReport.of(report());
        page.writeHtml(file);
        Files.writeString(file, "old");
        page.writeHtml(file);
        assertEquals(page.render(), Files.readString(file));
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void charactersXmlCannotHoldAreReplaced() throws Exception {
        PruningReport r = new PruningReport(Map.of("model", "a\u0000b"), List.of(layer("x\u0001y\uD800", 4, 2, 8, 4)),
                1, 1, 8, 4);
        Document doc = parse(HtmlReport.of(r).render());
        assertEquals("x\uFFFDy\uFFFD", xpath(doc, "//td[@class='layer']").get(0).getTextContent());
        assertEquals("Pruning report: a\uFFFDb", xpath(doc, "//h1").get(0).getTextContent());
    }

    @Test
    void numberFormats() {
        assertEquals("950", Html.compact(950));
        assertEquals("12.5k", Html.compact(12_500));
        assertEquals("350k", Html.compact(350_000));
        assertEquals("1.23M", Html.compact(1_234_567));
        assertEquals("1M", Html.compact(999_600));
        assertEquals("4.1G", Html.compact(4_100_000_000L));
        assertEquals("1,234,567", Html.grouped(1_234_567));
        assertEquals(List.of(0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0),
                java.util.Arrays.stream(BarChart.ticks(64)).boxed().toList());
        assertEquals(List.of(0.0, 1.0), java.util.Arrays.stream(BarChart.ticks(0)).boxed().toList());
        assertEquals(List.of(0.0, 1.0, 2.0, 3.0), java.util.Arrays.stream(BarChart.ticks(3)).boxed().toList());
        assertEquals("a&amp;&lt;&gt;&quot;&#39;/", Html.escape("a&<>\"'/"));
        assertEquals("\uD83D\uDE00", Html.escape("\uD83D\uDE00"));
    }
}
