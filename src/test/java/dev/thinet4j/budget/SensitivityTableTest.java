package dev.thinet4j.budget;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SensitivityTableTest {

    static SensitivityTable sample() {
        return new SensitivityTable("net <v1> & co", Metric.ACCURACY, 0.9125, 400, 7413248, 147162, List.of(
                new SensitivityRow("/features/conv<1>", 16, 0.1, 1, 0.91, 0.0123456789, 120_000, 160),
                new SensitivityRow("/features/conv<1>", 16, 0.5, 8, 0.8725, 0.25, 1_000_000, 1300),
                new SensitivityRow("b,\"quoted\"", 32, 0.1, 3, 0.9125, 0.001, 50_000, 300),
                new SensitivityRow("b,\"quoted\"", 32, 0.5, 16, 0.5, 1.5, 400_000, 4000)),
                new EvaluationCost(2, 2, 2, 4, 30_000_000, 40_000_000));
    }

    @Test
    void csvRoundTripsEveryValueExactly(@TempDir Path dir) throws IOException {
        SensitivityTable t = sample();
        Path f = dir.resolve("s.csv");
        t.writeCsv(f);
        String text = Files.readString(f);
        assertThat(text).startsWith("# model=net <v1> & co").contains("# metric=accuracy")
                .contains("layer,channels,ratio,removed,metric,logit_error,macs_saved,params_saved");
        SensitivityTable back = SensitivityTable.readCsv(f);
        assertEquals(t.rows(), back.rows());
        assertEquals(t.metric(), back.metric());
        assertEquals(t.baseline(), back.baseline());
        assertEquals(t.images(), back.images());
        assertEquals(t.totalMacs(), back.totalMacs());
        assertEquals(t.totalParams(), back.totalParams());
        assertEquals(t.model(), back.model());
        assertNull(back.cost());
        assertEquals(List.of("/features/conv<1>", "b,\"quoted\""), back.layers());
    }

    @Test
    void badCsvNamesTheProblem() {
        String noMeta = "layer,channels,ratio,removed,metric,logit_error,macs_saved,params_saved\nx,4,0.5,2,1,1,1,1\n";
        assertThat(assertThrows(IllegalArgumentException.class,
                () -> SensitivityTable.readCsv(new StringReader(noMeta), "t.csv")).getMessage())
                .contains("t.csv").contains("metric");
        String badNumber = "# metric=logit_error\n# baseline=0\n# total_macs=10\n# total_params=10\n"
                + "layer,channels,ratio,removed,metric,logit_error,macs_saved,params_saved\nx,4,half,2,1,1,1,1\n";
        assertThat(assertThrows(IllegalArgumentException.class,
                () -> SensitivityTable.readCsv(new StringReader(badNumber), "t.csv")).getMessage())
                .contains("t.csv line 2");
        String missingColumn = "# metric=accuracy\nlayer,ratio\nx,0.5\n";
        assertThat(assertThrows(IllegalArgumentException.class,
                () -> SensitivityTable.readCsv(new StringReader(missingColumn), "t.csv")).getMessage())
                .contains("channels");
    }

    @Test
    void htmlIsSelfContainedWithOnePolylinePerLayer() {
        String html = sample().toHtml();
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg").endsWith("</html>\n");
        assertThat(html).doesNotContain("<script").doesNotContain("src=").doesNotContain("href=");
        assertThat(Pattern.compile("https?://").matcher(html.replace("http://www.w3.org/2000/svg", "")).find())
                .isFalse();
        assertEquals(2, count(html, "<polyline"));
        assertEquals(4, count(html, "<circle"));
        // names are escaped: no raw '<1>' or quote inside an attribute or text
        assertThat(html).contains("/features/conv&lt;1&gt;").contains("b,&quot;quoted&quot;")
                .doesNotContain("conv<1>").contains("net &lt;v1&gt; &amp; co");
        // every polyline starts at ratio 0 on the baseline and has one point per row after it
        Matcher m = Pattern.compile("points=\"([^\"]*)\"").matcher(html);
        while (m.find()) {
            assertEquals(3, m.group(1).trim().split(" ").length);
        }
        assertThat(html).contains("accuracy on 400 held-out images");
    }

    @Test
    void rowsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new SensitivityRow("x", 4, 0.5, 4, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SensitivityRow("x", 4, 1.0, 1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SensitivityTable("m", Metric.ACCURACY, 1, 1, 1, 1,
                List.of(new SensitivityRow("x", 4, 0.5, 2, 0, 0, 0, 0), new SensitivityRow("x", 5, 0.5, 2, 0, 0, 0, 0)),
                null));
        SensitivityTable t = sample();
        assertEquals(0.9125 - 0.8725 + SensitivityTable.LOGIT_TIE_BREAK * 0.25, t.damage(t.rows().get(1)), 1e-15);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
