package dev.thinet4j.selection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thinet4j.model.Tensor;
import dev.thinet4j.sampling.NormalEquations;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class CriteriaTest {

    private static SelectionContext gammaCtx(double... gamma) {
        return new SelectionContext("bn", gamma.length, null, gamma, null, null, 0);
    }

    private static SelectionContext apozCtx(double... apoz) {
        return new SelectionContext("relu", apoz.length, null, null, apoz, null, 0);
    }

    @Example
    void l1AndL2HandComputed() {
        // filters [3, 1, 2]: L1 = 4, 3, 0.1; L2 = √8 ≈ 2.83, 3, 0.1
        Tensor w = Tensor.of(new float[]{2, 2, 3, 0, 0, 0.1f}, 3, 1, 2);
        Selection l1 = Criterion.L1.create().select(SelectionContext.ofFilters("conv1", w), 2);
        Selection l2 = Criterion.L2.create().select(SelectionContext.ofFilters("conv1", w), 2);
        assertArrayEquals(new int[]{1, 2}, l1.removed());
        assertArrayEquals(new int[]{0}, l1.kept());
        assertArrayEquals(new int[]{0, 2}, l2.removed());
        assertArrayEquals(new double[]{4, 3, 0.1f}, l1.scores(), 1e-7);
        assertArrayEquals(new double[]{Math.sqrt(8), 3, 0.1f}, l2.scores(), 1e-7);
        assertTrue(Double.isNaN(l1.objective()));
        // ties: L1 = 3, 1, 3 → remove 1, then 0 before 2
        Tensor t = Tensor.of(new float[]{1, -2, 0.5f, 0.5f, -3, 0}, 3, 2);
        assertArrayEquals(new int[]{0, 1}, new FilterNormCriterion(FilterNormCriterion.Norm.L1)
                .select(SelectionContext.ofFilters("c", t), 2).removed());
    }

    @Example
    void bnGammaHandComputed() {
        SelectionContext ctx = gammaCtx(0.5, -0.1, 0.2, -0.5, 0.1);
        ChannelCriterion bn = Criterion.BN_GAMMA.create();
        assertArrayEquals(new int[]{1, 4}, bn.select(ctx, 2).removed());
        assertArrayEquals(new int[]{1, 2, 4}, bn.select(ctx, 3).removed());
        assertArrayEquals(new int[]{0, 1, 2, 4}, bn.select(ctx, 4).removed(), "tie at |γ| = 0.5: lower index");
        assertArrayEquals(new double[]{0.5, 0.1, 0.2, 0.5, 0.1}, bn.select(ctx, 1).scores());
    }

    @Example
    void apozHandComputed() {
        SelectionContext ctx = apozCtx(0.1, 0.9, 0.5, 0.9, 0.0);
        ChannelCriterion apoz = Criterion.APOZ.create();
        assertArrayEquals(new int[]{1}, apoz.select(ctx, 1).removed(), "tie at 0.9: lower index");
        assertArrayEquals(new int[]{1, 3}, apoz.select(ctx, 2).removed());
        assertArrayEquals(new int[]{1, 2, 3}, apoz.select(ctx, 3).removed());
        assertArrayEquals(new int[]{0, 4}, apoz.select(ctx, 3).kept());
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, apoz.select(ctx, 0).kept());
    }

    @Example
    void randomIsSeededAndUniform() {
        ChannelCriterion random = Criterion.RANDOM.create();
        SelectionContext a = new SelectionContext("c", 64, null, null, null, null, 1);
        SelectionContext b = new SelectionContext("c", 64, null, null, null, null, 2);
        Selection s1 = random.select(a, 32);
        assertEquals(s1, random.select(a, 32));
        assertNotEquals(s1, random.select(b, 32));
        assertEquals(32, s1.removed().length);
        assertNull(s1.scores());
        int[] hits = new int[64];
        for (long seed = 0; seed < 2000; seed++) {
            for (int r : random.select(new SelectionContext("c", 64, null, null, null, null, seed), 16).removed()) {
                hits[r]++;
            }
        }
        for (int c = 0; c < 64; c++) {
            // expected 500 per channel, sd ≈ 19
            assertTrue(hits[c] > 400 && hits[c] < 600, "channel " + c + " removed " + hits[c] + " times");
        }
    }

    @Example
    void numToRemoveBoundaries() {
        assertEquals(0, Selection.numToRemove(10, 0));
        assertEquals(2, Selection.numToRemove(5, 0.5));
        assertEquals(2, Selection.numToRemove(3, 0.99));
        assertEquals(0, Selection.numToRemove(1, 0.9));
        assertEquals(3, Selection.numToRemove(4, 0.9999));
        assertEquals(29, Selection.numToRemove(100, 0.29));
        assertEquals(7, Selection.numToRemove(10, 0.7));
        assertThrows(IllegalArgumentException.class, () -> Selection.numToRemove(10, 1.0));
        assertThrows(IllegalArgumentException.class, () -> Selection.numToRemove(10, -0.1));
        assertThrows(IllegalArgumentException.class, () -> Selection.numToRemove(10, Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Selection.numToRemove(0, 0.5));
        assertTrue(e.getMessage().contains("0"));
    }

    @Property(tries = 200, seed = "99")
    void numToRemoveNeverRemovesEverything(@ForAll @IntRange(min = 1, max = 5000) int c,
                                           @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double r) {
        int n = Selection.numToRemove(c, r);
        assertTrue(n >= 0 && n <= c - 1, c + " " + r + " → " + n);
        assertTrue(n >= Math.min(c - 1, (int) Math.floor(c * r) - 1) && n <= Math.floor(c * r) + 1);
    }

    @Example
    void parseNames() {
        assertEquals(Criterion.THINET, Criterion.parse("thinet"));
        assertEquals(Criterion.THINET_TPAMI, Criterion.parse("thinet-tpami"));
        assertEquals(Criterion.L1, Criterion.parse("L1"));
        assertEquals(Criterion.L2, Criterion.parse("l2"));
        assertEquals(Criterion.APOZ, Criterion.parse("apoz"));
        assertEquals(Criterion.BN_GAMMA, Criterion.parse("bn-gamma"));
        assertEquals(Criterion.BN_GAMMA, Criterion.parse("bn_gamma"));
        assertEquals(Criterion.RANDOM, Criterion.parse("random"));
        for (Criterion c : Criterion.values()) {
            assertEquals(c, Criterion.parse(c.cliName()));
            assertEquals(c.cliName(), c.create().name());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Criterion.parse("l3"));
        assertTrue(e.getMessage().contains("thinet, thinet-tpami, l1, l2, apoz, bn-gamma, random"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Criterion.parse(null));
    }

    @Example
    void missingInputsAreNamed() {
        SelectionContext empty = new SelectionContext("conv3", 4, null, null, null, null, 0);
        for (Criterion c : new Criterion[]{Criterion.THINET, Criterion.THINET_TPAMI, Criterion.L1, Criterion.L2,
                Criterion.APOZ, Criterion.BN_GAMMA}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.create().select(empty, 1));
            assertTrue(e.getMessage().contains("'" + c.cliName() + "'") && e.getMessage().contains("'conv3'"),
                    e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Criterion.APOZ.create().select(empty, 1));
        assertTrue(e.getMessage().contains("activation statistics"), e.getMessage());
        // random needs nothing
        assertEquals(1, Criterion.RANDOM.create().select(empty, 1).removed().length);
    }

    @Example
    void contextValidation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SelectionContext("bn1", 4, null, new double[3], null, null, 0));
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("3") && e.getMessage().contains("bn1"));
        assertThrows(IllegalArgumentException.class,
                () -> new SelectionContext("c", 4, Tensor.zeros(3, 2), null, null, null, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new SelectionContext("c", 4, null, null, null, new NormalEquations(5, 1), 0));
        assertThrows(IllegalArgumentException.class,
                () -> new SelectionContext("c", 2, null, new double[]{1, Double.NaN}, null, null, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new SelectionContext("c", 0, null, null, null, null, 0));
        double[] gamma = {1, 2};
        SelectionContext ctx = gammaCtx(gamma);
        gamma[0] = 100;
        ctx.bnGamma()[1] = 100;
        assertArrayEquals(new double[]{1, 2}, ctx.bnGamma());
        // numRemove must leave at least one channel
        assertThrows(IllegalArgumentException.class, () -> Criterion.BN_GAMMA.create().select(ctx, 2));
        assertThrows(IllegalArgumentException.class, () -> Criterion.BN_GAMMA.create().select(ctx, -1));
    }

    @Example
    void selectionValidatesAndCopies() {
        int[] kept = {0, 2};
        Selection s = new Selection(kept, new int[]{1}, null, Double.NaN);
        kept[0] = 5;
        s.kept()[1] = 7;
        assertArrayEquals(new int[]{0, 2}, s.kept());
        assertEquals(3, s.channels());
        assertThrows(IllegalArgumentException.class, () -> new Selection(new int[]{2, 0}, new int[]{1}, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new Selection(new int[]{0, 1}, new int[]{1}, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new Selection(new int[]{0, 1}, new int[]{3}, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new Selection(new int[]{0}, new int[]{1}, new double[3], 0));
        assertFalse(Selection.ofRemoved(4, new int[]{3, 1}, null, 0).equals(Selection.ofRemoved(4, new int[]{1, 3}, null, 0)),
                "the removal order is part of a selection");
        assertArrayEquals(new int[]{0, 2}, Selection.ofRemoved(4, new int[]{3, 1}, null, 0).kept());
    }
}
